/*
 * report.c - the result of `kaudit verify` for people (a table that fits
 * 80 columns, colour only on a terminal) and for programs (one JSON
 * document), plus the expectations of test manifests (`expect`).
 *
 * Everything shown is read back from the audit's records (verdict, finding
 * and error records), the same records the trace holds.
 */
#include "verify.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define COLS 80

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

/* Every finding record of case I, in trace order. */
static size_t case_findings(const struct run_audit *a, int64_t i, const struct record **out,
			    size_t cap)
{
	size_t n = 0;
	for (size_t k = 0; k < a->recs.n && n < cap; k++)
		if (a->recs.v[k].type == REC_FINDING && a->recs.v[k].case_index == i)
			out[n++] = &a->recs.v[k];
	return n;
}

static int finding_invalidates(const struct record *f)
{
	return f->u.finding.severity && strcmp(f->u.finding.severity, "invalidating") == 0;
}

int report_exit_code(const struct run_audit *a)
{
	if (a->interrupted)
		return EXIT_NOT_REPRODUCED;
	for (size_t i = 0; i < a->ncases; i++) {
		if (!a->selected[i])
			continue;
		const struct record *v = run_audit_find(a, REC_VERDICT, (int64_t)i);
		if (!v || strcmp(v->u.verdict.verdict, "reproduced") != 0)
			return EXIT_NOT_REPRODUCED;
	}
	for (size_t k = 0; k < a->recs.n; k++)
		if (a->recs.v[k].type == REC_FINDING && finding_invalidates(&a->recs.v[k]))
			return EXIT_NOT_REPRODUCED;
	return EXIT_OK;
}

/* ---- expectations ---- */

static int has_code(json_t *codes, const char *code)
{
	size_t i;
	json_t *v;
	json_array_foreach(codes, i, v)
		if (strcmp(json_string_value(v), code) == 0)
			return 1;
	return 0;
}

static void codes_text(json_t *codes, char *out, size_t cap)
{
	size_t i, len = 0;
	json_t *v;
	out[0] = '\0';
	json_array_foreach(codes, i, v) {
		int n = snprintf(out + len, cap - len, "%s%s", i ? "," : "", json_string_value(v));
		if (n < 0 || (size_t)n >= cap - len)
			return;
		len += (size_t)n;
	}
}

void report_expectations(const struct run_audit *a, size_t *expect_n, size_t *expect_failed,
			 json_t *json_out, FILE *text_out)
{
	const struct claim *c = a->claim;
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
		for (size_t i = 0; i < a->ncases; i++) {
			if (a->cases[i].kernel_index != k || !a->selected[i])
				continue;
			any = 1;
			const struct record *v = run_audit_find(a, REC_VERDICT, (int64_t)i);
			const char *vs = v ? v->u.verdict.verdict : "error";
			if (!got || run_verdict_rank(vs) > run_verdict_rank(got))
				got = vs;
			for (size_t r = 0; r < a->recs.n; r++) {
				const struct record *f = &a->recs.v[r];
				if (f->type == REC_FINDING && f->case_index == (int64_t)i &&
				    !has_code(codes, f->u.finding.code))
					json_array_append_new(codes, json_string(f->u.finding.code));
			}
		}
		if (!any) {
			json_decref(codes);
			continue; /* not selected by --kernel */
		}
		(*expect_n)++;
		int ok = !kk->expect.verdict || strcmp(kk->expect.verdict, got) == 0;
		json_t *missing = json_array();
		for (size_t f = 0; f < kk->expect.nfindings; f++)
			if (!has_code(codes, kk->expect.findings[f]))
				json_array_append_new(missing, json_string(kk->expect.findings[f]));
		ok = ok && json_array_size(missing) == 0;
		if (!ok)
			(*expect_failed)++;
		json_t *wanted_codes = json_array();
		for (size_t f = 0; f < kk->expect.nfindings; f++)
			json_array_append_new(wanted_codes, json_string(kk->expect.findings[f]));
		if (text_out) {
			char wc[256], gc[256];
			codes_text(wanted_codes, wc, sizeof wc);
			codes_text(codes, gc, sizeof gc);
			if (ok)
				fprintf(text_out, "%s: expect ok\n", kk->id);
			else
				fprintf(text_out, "%s: expect FAILED: wanted %s%s%s%s got %s%s%s%s\n",
					kk->id, kk->expect.verdict ? kk->expect.verdict : "any verdict",
					wc[0] ? " [" : "", wc, wc[0] ? "]" : "", got,
					" [", gc, "]");
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

void report_terminal(FILE *f, const struct run_audit *a, int color)
{
	const char *reset = color ? "\033[0m" : "";
	fprintf(f, "%-4s %-22s %9s %9s %-15s %s\n", "case", "kernel", "claimed", "measured",
		"95% CI", "verdict");
	for (size_t i = 0; i < a->ncases; i++) {
		if (!a->selected[i])
			continue;
		const struct claim_case *cc = &a->cases[i];
		const struct record *v = run_audit_find(a, REC_VERDICT, (int64_t)i);
		const struct record *err = run_audit_find(a, REC_ERROR, (int64_t)i);
		const char *vs = v ? v->u.verdict.verdict : "error";
		double claimed = v ? v->u.verdict.claimed : NAN;
		if (!isfinite(claimed))
			claimed = cc->kernel->claimed_speedup;
		char cl[16], me[16], ci[32] = "-", lo[16], hi[16];
		fmt_speedup(claimed, cl, sizeof cl);
		fmt_speedup(v ? v->u.verdict.measured : NAN, me, sizeof me);
		if (v && isfinite(v->u.verdict.ci_low) && isfinite(v->u.verdict.ci_high)) {
			fmt_speedup(v->u.verdict.ci_low, lo, sizeof lo);
			fmt_speedup(v->u.verdict.ci_high, hi, sizeof hi);
			snprintf(ci, sizeof ci, "%s-%s", lo, hi);
		}
		fprintf(f, "%-4zu %-22.22s %9s %9s %-15.15s %s%s%s\n", i, cc->kernel->id, cl, me,
			ci, color ? verdict_color(vs) : "", vs, reset);

		char params[128], bt[24], ct[24], text[512];
		const struct claim_params *p = &cc->kernel->params[cc->param_index];
		json_t *pj = json_object();
		for (size_t k = 0; k < p->n; k++)
			json_object_set_new(pj, p->names[k], json_integer(p->values[k]));
		report_params(pj, params, sizeof params);
		json_decref(pj);
		fmt_time(v ? v->u.verdict.baseline_ns : NAN, bt, sizeof bt);
		fmt_time(v ? v->u.verdict.candidate_ns : NAN, ct, sizeof ct);
		snprintf(text, sizeof text, "%s%sbaseline %s, candidate %s", params,
			 params[0] ? "; " : "", bt, ct);
		line_fit(f, 5, text);

		const struct record *fs[64];
		size_t nf = case_findings(a, (int64_t)i, fs, 64);
		if (nf) {
			size_t len = (size_t)snprintf(text, sizeof text, "findings:");
			for (size_t k = 0; k < nf && len < sizeof text; k++)
				len += (size_t)snprintf(text + len, sizeof text - len, " %s%s",
						  fs[k]->u.finding.code,
						  finding_invalidates(fs[k]) ? "" : "(w)");
			line_fit(f, 5, text);
		}
		if (err) {
			snprintf(text, sizeof text, "error (%s): %s", err->u.error.where,
				 err->u.error.message);
			line_fit(f, 5, text);
		} else if (v && v->u.verdict.reason && strcmp(vs, "reproduced") != 0) {
			snprintf(text, sizeof text, "why: %s", v->u.verdict.reason);
			line_fit(f, 5, text);
		}
	}
	const struct record *cv = run_audit_find(a, REC_VERDICT, REC_NONE);
	size_t total = 0, good = 0;
	for (size_t i = 0; i < a->ncases; i++) {
		if (!a->selected[i])
			continue;
		total++;
		const struct record *v = run_audit_find(a, REC_VERDICT, (int64_t)i);
		good += v && strcmp(v->u.verdict.verdict, "reproduced") == 0;
	}
	const char *cvs = cv ? cv->u.verdict.verdict : "error";
	char text[512];
	snprintf(text, sizeof text, "claim: %s%s%s (%zu of %zu cases reproduced)",
		 color ? verdict_color(cvs) : "", cvs, reset, good, total);
	fprintf(f, "\n%s\n", text);
	snprintf(text, sizeof text, "\"%s\"", a->claim->title);
	line_fit(f, 7, text);
}

/* ---- JSON ---- */

json_t *report_json(const struct run_audit *a)
{
	const struct record *cv = run_audit_find(a, REC_VERDICT, REC_NONE);
	const struct record *dev = NULL;
	for (size_t k = 0; k < a->recs.n && !dev; k++)
		if (a->recs.v[k].type == REC_DEVICE)
			dev = &a->recs.v[k];
	json_t *doc = json_object();
	json_object_set_new(doc, "claim", json_pack("{s:s, s:s, s:s, s:s}", "title",
		a->claim->title, "path", a->claim->path, "sha256", a->claim->sha256, "verdict",
		cv ? cv->u.verdict.verdict : "error"));
	json_object_set_new(doc, "device", dev ? record_to_json(dev) : json_null());
	json_t *cases = json_array();
	for (size_t i = 0; i < a->ncases; i++) {
		if (!a->selected[i])
			continue;
		const struct claim_case *cc = &a->cases[i];
		const struct record *v = run_audit_find(a, REC_VERDICT, (int64_t)i);
		const struct record *err = run_audit_find(a, REC_ERROR, (int64_t)i);
		json_t *c = json_object();
		json_object_set_new(c, "case", json_integer((json_int_t)i));
		json_object_set_new(c, "kernel", json_string(cc->kernel->id));
		const struct claim_params *p = &cc->kernel->params[cc->param_index];
		json_t *pj = json_object();
		for (size_t k = 0; k < p->n; k++)
			json_object_set_new(pj, p->names[k], json_integer(p->values[k]));
		json_object_set_new(c, "params", pj);
		json_object_set_new(c, "verdict", json_string(v ? v->u.verdict.verdict : "error"));
		record_json_put_real(c, "claimed", cc->kernel->claimed_speedup);
		if (v) {
			record_json_put_real(c, "measured", v->u.verdict.measured);
			record_json_put_real(c, "ci_low", v->u.verdict.ci_low);
			record_json_put_real(c, "ci_high", v->u.verdict.ci_high);
			record_json_put_real(c, "baseline_ns", v->u.verdict.baseline_ns);
			record_json_put_real(c, "candidate_ns", v->u.verdict.candidate_ns);
			if (v->u.verdict.reason)
				json_object_set_new(c, "reason", json_string(v->u.verdict.reason));
		}
		if (err)
			json_object_set_new(c, "error", json_pack("{s:s, s:s}", "where",
				err->u.error.where, "message", err->u.error.message));
		json_t *fa = json_array();
		const struct record *fs[256];
		size_t nf = case_findings(a, (int64_t)i, fs, 256);
		for (size_t k = 0; k < nf; k++)
			json_array_append_new(fa, json_pack("{s:s, s:s, s:s?}", "code",
				fs[k]->u.finding.code, "severity", fs[k]->u.finding.severity,
				"message", fs[k]->u.finding.message));
		json_object_set_new(c, "findings", fa);
		json_array_append_new(cases, c);
	}
	json_object_set_new(doc, "cases", cases);
	json_object_set_new(doc, "interrupted", json_boolean(a->interrupted));
	json_object_set_new(doc, "trace", json_string(a->trace_path));
	return doc;
}
