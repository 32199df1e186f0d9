/*
 * report_md.c - `kaudit report --markdown`: the report for a review form
 * that takes markdown.  No picture: per round a table of medians and
 * extremes instead.  Every string from the trace goes through
 * kreport_escape() for a table cell (| and backticks escaped, no newline),
 * so a hostile name can neither break a table nor inject a link, HTML or
 * code.
 */
#include <math.h>
#include <string.h>

#include "cli/kreport.h"

#define E(s) kreport_escape(f, (s), KREPORT_MD)

static void banners(FILE *f, const struct kreport_input *in)
{
	const json_t *s = in->summary;
	if (json_is_true(json_object_get(s, "synthetic")))
		fputs("> **SYNTHETIC: records made up for an example or a test, not measured on "
		      "a GPU**\n\n", f);
	if (json_is_true(json_object_get(s, "stand_in")))
		fputs("> **STAND-IN: this trace was not made by kaudit's own GPU plugin; its "
		      "measurements are only as good as the plugin named below**\n\n", f);
	if (in->status->level != INSPECT_OK) {
		fputs(in->status->level == INSPECT_FAIL ? "> **" : "> ", f);
		E(in->status->text);
		fputs(in->status->level == INSPECT_FAIL ? "**\n\n" : "\n\n", f);
	}
}

static void header_table(FILE *f, const struct kreport_input *in)
{
	const json_t *s = in->summary, *claim = json_object_get(s, "claim");
	fputs("| | |\n|---|---|\n| signer | ", f);
	E(in->signer->text);
	fputs(" |\n", f);
	if (in->signer->keyid[0]) {
		fputs("| keyid | ", f);
		E(in->signer->keyid);
		fputs(" |\n", f);
	}
	fputs("| integrity | ", f);
	E(in->status->text);
	fputs(" |\n| claim | ", f);
	E(kreport_get_str(claim, "title"));
	fputs(" |\n| manifest | ", f);
	E(kreport_get_str(claim, "path"));
	fputs(" sha256 ", f);
	E(kreport_get_str(claim, "sha256"));
	fputs(" |\n| device | ", f);
	kreport_device_line(f, json_object_get(s, "device"), KREPORT_MD);
	fputs(" |\n| audit | ", f);
	kreport_audit_line(f, json_object_get(s, "audit"), KREPORT_MD);
	fputs(" |\n", f);
	const json_t *plugin = json_object_get(s, "plugin");
	if (json_is_object(plugin)) {
		fputs("| plugin | ", f);
		E(kreport_get_str(plugin, "path"));
		fputs(" sha256 ", f);
		E(kreport_get_str(plugin, "sha256"));
		fputs(" |\n", f);
	}
	fputs("| trace | ", f);
	E(in->path);
	fputs(" (", f);
	kreport_int(f, s, "records");
	fputs(" records) |\n| claim verdict | **", f);
	E(kreport_get_str(s, "verdict") ? kreport_get_str(s, "verdict") : "(none recorded)");
	fputs("** |\n\n", f);
}

static void case_name(FILE *f, const json_t *c)
{
	kreport_int(f, c, "case");
	fputc(' ', f);
	E(kreport_get_str(c, "kernel"));
}

static void overview(FILE *f, const struct kreport_input *in)
{
	fputs("## Cases\n\n| case | params | verdict | measured | 95% CI | claimed | findings |\n"
	      "|---|---|---|--:|--:|--:|--:|\n", f);
	json_t *c;
	for (size_t i = 0; (c = kreport_case_at(in, i)); json_decref(c), i++) {
		char m[32], lo[32], hi[32], cl[32];
		fputs("| ", f);
		case_name(f, c);
		fputs(" | ", f);
		kreport_json_text(f, json_object_get(c, "params"), KREPORT_MD);
		fputs(" | ", f);
		E(kreport_get_str(c, "verdict"));
		fprintf(f, " | %s | %s - %s | %s | %zu |\n",
			kreport_num(m, sizeof m, "%.2fx", kreport_get_num(c, "measured")),
			kreport_num(lo, sizeof lo, "%.2f", kreport_ci_at(c, 0)),
			kreport_num(hi, sizeof hi, "%.2f", kreport_ci_at(c, 1)),
			kreport_num(cl, sizeof cl, "%.2fx", kreport_get_num(c, "claimed")),
			json_array_size(json_object_get(c, "findings")));
	}
	fputc('\n', f);
}

static void md_round_row(FILE *f, const struct kreport_round_row *r)
{
	fprintf(f, "| %zu | %s | %llu | %s | %s | %s |\n", r->round, r->impl,
		(unsigned long long)r->samples, r->median, r->min, r->max);
}

static void rounds_table(FILE *f, const struct kreport_case *k, const json_t *timing)
{
	const char *const *names = kreport_impl_names;
	if (!k) {
		fputs("No timing samples in this trace for this case.\n\n", f);
		return;
	}
	fputs("| round | impl | samples | median | min | max |\n|--:|---|--:|--:|--:|--:|\n", f);
	kreport_round_rows(k, timing, md_round_row, f);
	fputc('\n', f);
	for (int w = 0; w < 2; w++)
		if (k->impl[w].other)
			fprintf(f, "%llu %s samples name a round outside 0..%d and are not shown.\n\n",
				(unsigned long long)k->impl[w].other, names[w], KREPORT_MAX_ROUND - 1);
}

static void findings(FILE *f, const json_t *fs)
{
	if (json_array_size(fs) == 0) {
		fputs("Findings: none.\n\n", f);
		return;
	}
	fputs("| code | severity | impl | trial | sample | record | message | evidence |\n"
	      "|---|---|---|--:|--:|--:|---|---|\n", f);
	size_t i;
	const json_t *x;
	json_array_foreach(fs, i, x) {
		fputs("| ", f);
		E(kreport_get_str(x, "code"));
		fputs(" | ", f);
		E(kreport_get_str(x, "severity"));
		fputs(" | ", f);
		E(kreport_get_str(x, "impl"));
		fputs(" | ", f);
		kreport_int(f, x, "trial");
		fputs(" | ", f);
		kreport_int(f, x, "sample");
		fputs(" | ", f);
		kreport_int(f, x, "record");
		fputs(" | ", f);
		E(kreport_get_str(x, "message"));
		fputs(" | ", f);
		kreport_json_text(f, json_object_get(x, "evidence"), KREPORT_MD);
		fputs(" |\n", f);
	}
	fputc('\n', f);
}

static void case_section(FILE *f, const json_t *c, const struct kreport_samples *smp)
{
	char m[32], lo[32], hi[32], cl[32], b[32], k[32];
	fputs("## case ", f);
	case_name(f, c);
	fputs("\n\n**Verdict: ", f);
	E(kreport_get_str(c, "verdict") ? kreport_get_str(c, "verdict") : "(no verdict recorded)");
	fputs("**", f);
	if (kreport_get_str(c, "reason")) {
		fputs(" - ", f);
		E(kreport_get_str(c, "reason"));
	}
	fputs("\n\n", f);
	if (kreport_get_str(c, "error")) {
		fputs("Error: ", f);
		E(kreport_get_str(c, "error"));
		fputs("\n\n", f);
	}
	fprintf(f, "Speedup: measured **%s** (95%% CI %s - %s), claimed **%s**; median baseline "
		"%s, candidate %s.\n\n",
		kreport_num(m, sizeof m, "%.2fx", kreport_get_num(c, "measured")),
		kreport_num(lo, sizeof lo, "%.2f", kreport_ci_at(c, 0)),
		kreport_num(hi, sizeof hi, "%.2f", kreport_ci_at(c, 1)),
		kreport_num(cl, sizeof cl, "%.2fx", kreport_get_num(c, "claimed")),
		kreport_ns(b, sizeof b, kreport_get_num(c, "baseline_ns")),
		kreport_ns(k, sizeof k, kreport_get_num(c, "candidate_ns")));
	const json_t *ci = json_object_get(c, "case");
	const struct kreport_case *kc = json_is_integer(ci) ?
		kreport_samples_find(smp, json_integer_value(ci)) : NULL;
	rounds_table(f, kc, json_object_get(c, "timing"));
	findings(f, json_object_get(c, "findings"));
}

void md_write(FILE *f, const struct kreport_input *in)
{
	const json_t *s = in->summary;
	fputs("# kaudit report: ", f);
	E(kreport_get_str(json_object_get(s, "claim"), "title"));
	fputs("\n\n", f);
	banners(f, in);
	header_table(f, in);
	overview(f, in);
	json_t *c;
	for (size_t i = 0; (c = kreport_case_at(in, i)); i++) {
		case_section(f, c, in->samples);
		json_decref(c);
	}
	fprintf(f, "Written by kaudit %s report from the trace's records; kaudit check "
		"re-derives every verdict and finding from them.\n", KAUDIT_VERSION);
}
