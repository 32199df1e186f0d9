/*
 * report_html.c - `kaudit report -o OUT.html`: one self-contained HTML
 * file a reviewer can attach.  Inline CSS, inline SVG plots, no script, no
 * font, image or style from anywhere else; its Content-Security-Policy
 * forbids scripts and every fetch, so even a string that escaped the
 * escaping could not run or call home.  Every string from the trace goes
 * through kreport_escape().
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/kreport.h"

static const char css[] =
	"body{font-family:'DejaVu Sans',sans-serif;margin:24px auto;max-width:1040px;"
	"padding:0 16px;color:#1a202c;background:#fff;line-height:1.4}"
	"h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;"
	"border-bottom:1px solid #cbd5e0;padding-bottom:4px}h3{font-size:15px;margin:16px 0 6px}"
	".title{font-size:17px;margin:0 0 14px;color:#2d3748}"
	".banner{font-size:18px;font-weight:bold;padding:12px 16px;margin:10px 0;"
	"border:3px solid #9b2c2c;background:#fed7d7;color:#742a2a}"
	".banner.warn{border-color:#b7791f;background:#fefcbf;color:#744210;font-size:15px}"
	"table{border-collapse:collapse;margin:6px 0 12px}"
	"th,td{text-align:left;padding:4px 10px;border-bottom:1px solid #e2e8f0;vertical-align:top}"
	"table.meta th{color:#4a5568;font-weight:normal;white-space:nowrap}"
	"td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
	".mono{font-family:'DejaVu Sans Mono',monospace;font-size:13px;word-break:break-all}"
	".verdict{font-weight:bold;padding:1px 8px;border-radius:3px;color:#fff;background:#718096}"
	".reproduced{background:#2f855a}.invalid,.error{background:#c53030}"
	".not-reproduced,.inconclusive{background:#b7791f}"
	".ok{color:#276749}.warn{color:#975a16}.fail{color:#c53030;font-weight:bold}"
	".sev-invalidating{color:#c53030;font-weight:bold;white-space:nowrap}"
	".sev-warning{color:#975a16;white-space:nowrap}"
	"pre{white-space:pre-wrap;word-break:break-all;margin:0;font-size:12px}"
	"svg.plot{width:100%;height:auto;display:block;margin:6px 0}"
	"footer{margin-top:32px;color:#718096;font-size:12px}";

#define E(s) kreport_escape(f, (s), KREPORT_HTML)

static const char *level_class(enum inspect_level l)
{
	return l == INSPECT_OK ? "ok" : l == INSPECT_WARN ? "warn" : "fail";
}

static void banners(FILE *f, const struct kreport_input *in)
{
	const json_t *s = in->summary;
	if (json_is_true(json_object_get(s, "synthetic")))
		fputs("<div class=\"banner\" id=\"synthetic\">SYNTHETIC: records made up for an "
		      "example or a test, not measured on a GPU</div>\n", f);
	if (json_is_true(json_object_get(s, "stand_in")))
		fputs("<div class=\"banner\" id=\"stand-in\">STAND-IN: this trace was not made by "
		      "kaudit's own GPU plugin; its measurements are only as good as the plugin "
		      "named below</div>\n", f);
	if (in->status->level == INSPECT_FAIL) {
		fputs("<div class=\"banner\" id=\"integrity\">", f);
		E(in->status->text);
		fputs("</div>\n", f);
	} else if (in->status->level == INSPECT_WARN) {
		fputs("<div class=\"banner warn\" id=\"integrity\">", f);
		E(in->status->text);
		fputs("</div>\n", f);
	}
}

static void meta_row(FILE *f, const char *label, const char *cls)
{
	fprintf(f, "<tr><th>%s</th><td%s%s%s>", label, cls ? " class=\"" : "", cls ? cls : "",
		cls ? "\"" : "");
}

static void header_table(FILE *f, const struct kreport_input *in)
{
	const json_t *s = in->summary, *claim = json_object_get(s, "claim");
	const struct inspect_signer *sg = in->signer;
	fputs("<table class=\"meta\">\n", f);
	meta_row(f, "signer", sg->trusted ? "ok" : sg->verified && !sg->required ? "warn" : "fail");
	E(sg->text);
	fputs("</td></tr>\n", f);
	if (sg->keyid[0]) {
		meta_row(f, "keyid", "mono");
		E(sg->keyid);
		fputs("</td></tr>\n", f);
	}
	meta_row(f, "integrity", level_class(in->status->level));
	E(in->status->text);
	fputs("</td></tr>\n", f);
	meta_row(f, "claim", NULL);
	E(kreport_get_str(claim, "title"));
	fputs("</td></tr>\n", f);
	meta_row(f, "manifest", NULL);
	E(kreport_get_str(claim, "path"));
	fputs(" <span class=\"mono\">sha256 ", f);
	E(kreport_get_str(claim, "sha256"));
	fputs("</span></td></tr>\n", f);
	meta_row(f, "device", NULL);
	kreport_device_line(f, json_object_get(s, "device"), KREPORT_HTML);
	fputs("</td></tr>\n", f);
	meta_row(f, "audit", NULL);
	kreport_audit_line(f, json_object_get(s, "audit"), KREPORT_HTML);
	fputs("</td></tr>\n", f);
	const json_t *plugin = json_object_get(s, "plugin");
	if (json_is_object(plugin)) {
		meta_row(f, "plugin", NULL);
		E(kreport_get_str(plugin, "path"));
		fputs(" <span class=\"mono\">sha256 ", f);
		E(kreport_get_str(plugin, "sha256"));
		fputs("</span></td></tr>\n", f);
	}
	meta_row(f, "trace", NULL);
	E(in->path);
	fputs(" (", f);
	kreport_int(f, s, "records");
	fputs(" records)</td></tr>\n", f);
	const char *v = kreport_get_str(s, "verdict");
	meta_row(f, "claim verdict", NULL);
	fprintf(f, "<span class=\"verdict %s\">", kreport_verdict_class(v));
	E(v ? v : "(none recorded)");
	fputs("</span></td></tr>\n</table>\n", f);
}

static void speedup_cells(FILE *f, const json_t *c)
{
	char b[64], lo[32], hi[32];
	fprintf(f, "<td class=\"num\">%s</td>", kreport_num(b, sizeof b, "%.2fx",
							    kreport_get_num(c, "measured")));
	fprintf(f, "<td class=\"num\">%s &ndash; %s</td>", kreport_num(lo, sizeof lo, "%.2f", kreport_ci_at(c, 0)),
		kreport_num(hi, sizeof hi, "%.2f", kreport_ci_at(c, 1)));
	fprintf(f, "<td class=\"num\">%s</td>", kreport_num(b, sizeof b, "%.2fx",
							    kreport_get_num(c, "claimed")));
}

static void case_title(FILE *f, const json_t *c)
{
	kreport_int(f, c, "case");
	fputs(" ", f);
	E(kreport_get_str(c, "kernel"));
}

static void overview(FILE *f, const struct kreport_input *in)
{
	fputs("<h2>Cases</h2>\n<table>\n<tr><th>case</th><th>params</th><th>verdict</th>"
	      "<th>measured</th><th>95% CI</th><th>claimed</th><th>findings</th></tr>\n", f);
	json_t *c;
	for (size_t i = 0; (c = kreport_case_at(in, i)); json_decref(c), i++) {
		const char *v = kreport_get_str(c, "verdict");
		fprintf(f, "<tr><td><a href=\"#case-%zu\">", i);
		case_title(f, c);
		fputs("</a></td><td class=\"mono\">", f);
		kreport_json_text(f, json_object_get(c, "params"), KREPORT_HTML);
		fprintf(f, "</td><td><span class=\"verdict %s\">", kreport_verdict_class(v));
		E(v ? v : "(none)");
		fputs("</span></td>", f);
		speedup_cells(f, c);
		fprintf(f, "<td class=\"num\">%zu</td></tr>\n",
			json_array_size(json_object_get(c, "findings")));
	}
	fputs("</table>\n", f);
}

static void html_round_row(FILE *f, const struct kreport_round_row *r)
{
	fprintf(f, "<tr><td class=\"num\">%zu</td><td>%s</td><td class=\"num\">%llu</td>"
		"<td class=\"num\">%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td></tr>\n",
		r->round, r->impl, (unsigned long long)r->samples, r->median, r->min, r->max);
}

static void rounds_table(FILE *f, const struct kreport_case *k, const json_t *timing)
{
	const char *const *names = kreport_impl_names;
	if (!k)
		return;
	fputs("<table>\n<tr><th>round</th><th>impl</th><th>samples</th><th>median</th>"
	      "<th>min</th><th>max</th></tr>\n", f);
	kreport_round_rows(k, timing, html_round_row, f);
	fputs("</table>\n", f);
	for (int w = 0; w < 2; w++)
		if (k->impl[w].other)
			fprintf(f, "<p class=\"warn\">%llu %s samples name a round outside 0..%d and "
				"are not shown.</p>\n", (unsigned long long)k->impl[w].other, names[w],
				KREPORT_MAX_ROUND - 1);
}

static void findings(FILE *f, const json_t *fs)
{
	fputs("<h3>Findings</h3>\n", f);
	if (json_array_size(fs) == 0) {
		fputs("<p>none</p>\n", f);
		return;
	}
	fputs("<table>\n<tr><th>code</th><th>severity</th><th>impl</th><th>trial</th>"
	      "<th>sample</th><th>record</th><th>message and evidence</th></tr>\n", f);
	size_t i;
	const json_t *x;
	json_array_foreach(fs, i, x) {
		const char *sev = kreport_get_str(x, "severity");
		const char *cls = sev && strcmp(sev, "invalidating") == 0 ? "sev-invalidating"
				  : "sev-warning";
		fprintf(f, "<tr><td class=\"%s\">", cls);
		E(kreport_get_str(x, "code"));
		fputs("</td><td>", f);
		E(sev);
		fputs("</td><td>", f);
		E(kreport_get_str(x, "impl"));
		fputs("</td><td class=\"num\">", f);
		kreport_int(f, x, "trial");
		fputs("</td><td class=\"num\">", f);
		kreport_int(f, x, "sample");
		fputs("</td><td class=\"num\">", f);
		kreport_int(f, x, "record");
		fputs("</td><td>", f);
		E(kreport_get_str(x, "message"));
		fputs("<pre>", f);
		kreport_json_text(f, json_object_get(x, "evidence"), KREPORT_HTML);
		fputs("</pre></td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void case_section(FILE *f, size_t i, const json_t *c, const struct kreport_samples *smp)
{
	char b[64], lo[32], hi[32];
	const char *v = kreport_get_str(c, "verdict");
	fprintf(f, "<section id=\"case-%zu\">\n<h2>case ", i);
	case_title(f, c);
	fputs(" <span class=\"mono\">", f);
	kreport_json_text(f, json_object_get(c, "params"), KREPORT_HTML);
	fprintf(f, "</span></h2>\n<p><span class=\"verdict %s\">", kreport_verdict_class(v));
	E(v ? v : "(no verdict recorded)");
	fputs("</span> ", f);
	E(kreport_get_str(c, "reason"));
	fputs("</p>\n", f);
	if (kreport_get_str(c, "error")) {
		fputs("<p class=\"fail\">error: ", f);
		E(kreport_get_str(c, "error"));
		fputs("</p>\n", f);
	}
	double cl = kreport_ci_at(c, 0), ch = kreport_ci_at(c, 1);
	fprintf(f, "<p>speedup: measured <b>%s</b> (95%% CI %s &ndash; %s), claimed <b>",
		kreport_num(b, sizeof b, "%.2fx", kreport_get_num(c, "measured")),
		kreport_num(lo, sizeof lo, "%.2f", cl), kreport_num(hi, sizeof hi, "%.2f", ch));
	fprintf(f, "%s</b>; median baseline ", kreport_num(b, sizeof b, "%.2fx",
							   kreport_get_num(c, "claimed")));
	fprintf(f, "%s, ", kreport_ns(lo, sizeof lo, kreport_get_num(c, "baseline_ns")));
	fprintf(f, "candidate %s</p>\n", kreport_ns(hi, sizeof hi, kreport_get_num(c, "candidate_ns")));
	const json_t *timing = json_object_get(c, "timing");
	const struct kreport_case *k = kreport_samples_find(smp, json_integer_value(
		json_object_get(c, "case")));
	if (!json_is_integer(json_object_get(c, "case")))
		k = NULL;
	fputs("<h3>Timing samples</h3>\n", f);
	svg_case_plot(f, k, timing);
	rounds_table(f, k, timing);
	findings(f, json_object_get(c, "findings"));
	fputs("</section>\n", f);
}

void html_write(FILE *f, const struct kreport_input *in)
{
	const json_t *s = in->summary, *claim = json_object_get(s, "claim");
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'; img-src data:\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>kaudit report: ", f);
	E(kreport_get_str(claim, "title"));
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>kaudit report</h1>\n"
		"<p class=\"title\">", css);
	E(kreport_get_str(claim, "title"));
	fputs("</p>\n", f);
	banners(f, in);
	header_table(f, in);
	overview(f, in);
	json_t *c;
	for (size_t i = 0; (c = kreport_case_at(in, i)); i++) {
		case_section(f, i, c, in->samples);
		json_decref(c);
	}
	fprintf(f, "<footer>Written by kaudit %s report from the trace's records; "
		"`kaudit check` re-derives every verdict and finding from them.</footer>\n"
		"</body>\n</html>\n", KAUDIT_VERSION);
}
