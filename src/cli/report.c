/*
 * report.c - the result of `kaudit verify` for people (a table that fits
 * 80 columns, colour only on a terminal) and for programs (one JSON
 * document), plus the expectations of test manifests (`expect`).
 *
 * Both are rendered from one document: the trace_summary() of the trace
 * just written and signed, read back, the very document `kaudit inspect
 * --json` gives for it (man/kaudit-result.schema.json).  Nothing here reads
 * the records itself, so the table cannot say what the trace does not.
 */
#include "cli/verify.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "detect/detect.h"

#define COLS 80

static const char *sget(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static double nget(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* A case without a verdict (the summary omits it) is an error. */
static const char *case_verdict(const json_t *c)
{
	return sget(c, "verdict") ? sget(c, "verdict") : "error";
}

static int finding_invalidates(const json_t *f)
{
	const char *sev = sget(f, "severity");
	return sev && strcmp(sev, "invalidating") == 0;
}

void report_params(const json_t *params, char *out, size_t cap)
{
	size_t len = 0;
	const char *name;
	json_t *v;
	out[0] = '\0';
	if (!json_is_object(params))
		return;
	json_object_foreach((json_t *)params, name, v) {
		int n;
		if (json_is_integer(v))
			n = snprintf(out + len, cap - len, "%s%s=%lld", len ? " " : "", name,
				     (long long)json_integer_value(v));
		else
			n = snprintf(out + len, cap - len, "%s%s=?", len ? " " : "", name);
		if (n < 0 || (size_t)n >= cap - len)
			return;
		len += (size_t)n;
	}
}

static void summary_record(void *ctx, const struct record *r)
{
	trace_summary_acc_record(ctx, r);
}

static void summary_case(void *ctx, const struct record *recs, size_t n)
{
	trace_summary_acc_case(ctx, recs, n);
}

json_t *report_summary(struct run_audit *a, struct trace_facts *f, struct errbuf *e)
{
	/* The records are in the trace now, and the trace holds them as it
	 * wrote them (reals to 10 digits), not as they are here: what is
	 * shown is read back, never a second account of the same audit.
	 * Streamed, as inspect reads it: never the trace's records at once. */
	record_list_free(&a->recs);
	struct trace_contents c;
	struct trace_summary_acc *acc = trace_summary_acc_new();
	struct trace_visitor v = { acc, summary_record, summary_case };
	if (trace_stream(a->trace_path, &v, &c, e) < 0) {
		trace_summary_acc_free(acc);
		return NULL;
	}
	trace_facts_of(&c, f);
	json_t *s = trace_summary_acc_finish(acc, &c);
	trace_summary_acc_free(acc);
	trace_contents_free(&c);
	return s;
}

int report_exit_code(const struct run_audit *a, const json_t *summary)
{
	const json_t *cases = json_object_get(summary, "cases");
	if (a->interrupted || json_array_size(cases) != a->nselected)
		return EXIT_NOT_REPRODUCED;
	size_t i, k;
	const json_t *c, *f;
	json_array_foreach(cases, i, c) {
		if (strcmp(case_verdict(c), "reproduced") != 0)
			return EXIT_NOT_REPRODUCED;
		json_array_foreach(json_object_get(c, "findings"), k, f)
			if (finding_invalidates(f))
				return EXIT_NOT_REPRODUCED;
	}
	return EXIT_OK;
}

/* ---- expectations ---- */

static int has_code(const json_t *codes, const char *code)
{
	size_t i;
	const json_t *v;
	json_array_foreach(codes, i, v)
		if (strcmp(json_string_value(v), code) == 0)
			return 1;
	return 0;
}

/* "a,b,c" of CODES, control characters escaped (a code in `expect` is
 * the manifest's text). */
static void codes_text(const json_t *codes, char *out, size_t cap)
{
	size_t i, len = 0;
	const json_t *v;
	out[0] = '\0';
	json_array_foreach(codes, i, v) {
		char *shown = cli_printable(json_string_value(v), json_string_length(v));
		int n = snprintf(out + len, cap - len, "%s%s", i ? "," : "", shown);
		free(shown);
		if (n < 0 || (size_t)n >= cap - len)
			return;
		len += (size_t)n;
	}
}

void report_expectations(const struct run_audit *a, const json_t *summary, size_t *expect_n,
			 size_t *expect_failed, json_t *json_out, FILE *text_out)
{
	const struct claim *c = a->claim;
	const json_t *cases = json_object_get(summary, "cases");
	*expect_n = *expect_failed = 0;
	for (size_t k = 0; k < c->nkernels; k++) {
		const struct claim_kernel *kk = &c->kernels[k];
		if (!kk->expect.set)
			continue;
		/* The kernel's verdict is the worst of its cases'; its findings
		 * the union of theirs. */
		const char *got = NULL;
		int any = 0;
		json_t *codes = json_array();
		size_t i, j;
		const json_t *cs, *f;
		json_array_foreach(cases, i, cs) {
			if (!sget(cs, "kernel") || strcmp(sget(cs, "kernel"), kk->id) != 0)
				continue;
			any = 1;
			const char *vs = case_verdict(cs);
			if (!got || detect_verdict_rank(vs) > detect_verdict_rank(got))
				got = vs;
			json_array_foreach(json_object_get(cs, "findings"), j, f) {
				const char *code = sget(f, "code");
				if (code && !has_code(codes, code))
					json_array_append_new(codes, json_string(code));
			}
		}
		if (!any) {
			json_decref(codes);
			continue; /* not selected by --kernel */
		}
		(*expect_n)++;
		int ok = !kk->expect.verdict || strcmp(kk->expect.verdict, got) == 0;
		json_t *missing = json_array();
		for (size_t n = 0; n < kk->expect.nfindings; n++)
			if (!has_code(codes, kk->expect.findings[n]))
				json_array_append_new(missing, json_string(kk->expect.findings[n]));
		ok = ok && json_array_size(missing) == 0;
		if (!ok)
			(*expect_failed)++;
		json_t *wanted_codes = json_array();
		for (size_t n = 0; n < kk->expect.nfindings; n++)
			json_array_append_new(wanted_codes, json_string(kk->expect.findings[n]));
		if (text_out) {
			/* The kernel id is [A-Za-z0-9_.-]+ and the wanted verdict one
			 * of five words (the manifest loader checks both); the rest
			 * is escaped. */
			char wc[256], gc[256];
			codes_text(wanted_codes, wc, sizeof wc);
			codes_text(codes, gc, sizeof gc);
			char *shown_got = cli_printable(got, strlen(got));
			if (ok)
				fprintf(text_out, "%s: expect ok\n", kk->id);
			else
				fprintf(text_out, "%s: expect FAILED: wanted %s%s%s%s got %s%s%s%s\n",
					kk->id, kk->expect.verdict ? kk->expect.verdict : "any verdict",
					wc[0] ? " [" : "", wc, wc[0] ? "]" : "", shown_got,
					" [", gc, "]");
			free(shown_got);
		}
		if (json_out)
			json_array_append_new(json_out, json_pack(
				"{s:s, s:b, s:{s:s?, s:o}, s:{s:s, s:o}, s:o}", "kernel", kk->id,
				"ok", ok, "wanted", "verdict", kk->expect.verdict, "findings",
				wanted_codes, "got", "verdict", got, "findings", codes, "missing",
				missing));
		else {
			json_decref(wanted_codes);
			json_decref(codes);
			json_decref(missing);
		}
	}
}

/* ---- terminal ---- */

static const char *verdict_color(const char *v)
{
	if (strcmp(v, "reproduced") == 0)
		return "\033[32m";
	if (strcmp(v, "inconclusive") == 0)
		return "\033[33m";
	return "\033[31m";
}

/* Two decimals where they mean something; fewer digits for the absurd
 * speedups of cheats, so "low-high" still fits the table's CI column. */
static void fmt_speedup(double x, char *out, size_t cap)
{
	if (!isfinite(x))
		snprintf(out, cap, "-");
	else if (fabs(x) < 100)
		snprintf(out, cap, "%.2fx", x);
	else if (fabs(x) < 1e5)
		snprintf(out, cap, "%.0fx", x);
	else
		snprintf(out, cap, "%.0ex", x);
}

static void fmt_time(double ns, char *out, size_t cap)
{
	if (!isfinite(ns))
		snprintf(out, cap, "-");
	else if (ns >= 1e9)
		snprintf(out, cap, "%.3g s", ns / 1e9);
	else if (ns >= 1e6)
		snprintf(out, cap, "%.3g ms", ns / 1e6);
	else if (ns >= 1e3)
		snprintf(out, cap, "%.3g us", ns / 1e3);
	else
		snprintf(out, cap, "%.3g ns", ns);
}

/* Prints TEXT after INDENT spaces, cut to fit COLS. */
static void line_fit(FILE *f, int indent, const char *text)
{
	int room = COLS - indent;
	int n = (int)strlen(text);
	if (n > room)
		fprintf(f, "%*s%.*s...\n", indent, "", room - 3, text);
	else
		fprintf(f, "%*s%s\n", indent, "", text);
}

static void print_case(FILE *f, const json_t *c, int color)
{
	const char *reset = color ? "\033[0m" : "";
	const char *vs = case_verdict(c);
	char cl[16], me[16], ci[32] = "-", lo[16], hi[16];
	fmt_speedup(nget(c, "claimed"), cl, sizeof cl);
	fmt_speedup(nget(c, "measured"), me, sizeof me);
	const json_t *civ = json_object_get(c, "ci");
	if (json_array_size(civ) == 2) {
		fmt_speedup(json_number_value(json_array_get(civ, 0)), lo, sizeof lo);
		fmt_speedup(json_number_value(json_array_get(civ, 1)), hi, sizeof hi);
		snprintf(ci, sizeof ci, "%s-%s", lo, hi);
	}
	fprintf(f, "%-4lld %-22.22s %9s %9s %-15.15s %s%s%s\n",
		(long long)json_integer_value(json_object_get(c, "case")),
		sget(c, "kernel") ? sget(c, "kernel") : "?", cl, me, ci,
		color ? verdict_color(vs) : "", vs, reset);

	char params[128], bt[24], ct[24], text[512];
	report_params(json_object_get(c, "params"), params, sizeof params);
	fmt_time(nget(c, "baseline_ns"), bt, sizeof bt);
	fmt_time(nget(c, "candidate_ns"), ct, sizeof ct);
	snprintf(text, sizeof text, "%s%sbaseline %s, candidate %s", params,
		 params[0] ? "; " : "", bt, ct);
	line_fit(f, 5, text);

	const json_t *fs = json_object_get(c, "findings");
	if (json_array_size(fs)) {
		size_t len = (size_t)snprintf(text, sizeof text, "findings:"), k;
		const json_t *x;
		json_array_foreach(fs, k, x) {
			if (len >= sizeof text)
				break;
			len += (size_t)snprintf(text + len, sizeof text - len, " %s%s",
					  sget(x, "code") ? sget(x, "code") : "?",
					  finding_invalidates(x) ? "" : "(w)");
		}
		line_fit(f, 5, text);
	}
	if (sget(c, "error")) {
		snprintf(text, sizeof text, "error (%s): %s",
			 sget(c, "error_where") ? sget(c, "error_where") : "?", sget(c, "error"));
		line_fit(f, 5, text);
	} else if (sget(c, "reason") && strcmp(vs, "reproduced") != 0) {
		snprintf(text, sizeof text, "why: %s", sget(c, "reason"));
		line_fit(f, 5, text);
	}
}

void report_terminal(FILE *f, const json_t *summary, int color)
{
	/* Every string below comes from the manifest or the workers' records:
	 * shown with its control characters escaped, never sent to the
	 * terminal as they are. */
	json_t *s = cli_printable_json(summary);
	const char *reset = color ? "\033[0m" : "";
	if (json_is_true(json_object_get(s, "stand_in"))) {
		/* The trace says so too (header.plugin); the reader of this table
		 * must not take a stand-in's numbers for a GPU's. */
		const char *path = sget(json_object_get(s, "plugin"), "path");
		fprintf(f, "*** STAND-IN: measured by %s, not by kaudit's own GPU plugin: its "
			"timings are whatever it declares ***\n", path ? path : "an unnamed plugin");
	}
	fprintf(f, "%-4s %-22s %9s %9s %-15s %s\n", "case", "kernel", "claimed", "measured",
		"95% CI", "verdict");
	size_t i, total = 0, good = 0;
	const json_t *c;
	json_array_foreach(json_object_get(s, "cases"), i, c) {
		print_case(f, c, color);
		total++;
		good += strcmp(case_verdict(c), "reproduced") == 0;
	}
	const char *cvs = sget(s, "verdict") ? sget(s, "verdict") : "error";
	char text[512];
	snprintf(text, sizeof text, "claim: %s%s%s (%zu of %zu cases reproduced)",
		 color ? verdict_color(cvs) : "", cvs, reset, good, total);
	fprintf(f, "\n%s\n", text);
	const char *title = sget(json_object_get(s, "claim"), "title");
	snprintf(text, sizeof text, "\"%s\"", title ? title : "");
	line_fit(f, 7, text);
	json_decref(s);
}
