/*
 * cmd_check.c - kaudit check TRACE... [--pubkey PUB] [--expect] [--json]:
 * is this trace intact, who signed it, and is every conclusion it stores
 * what its records give?
 *
 * Strict check (kaudit(1) check, kaudit-trace(5) CHECK): the detectors of
 * this kaudit run again over the stored records, with the header's margin;
 * every stored finding (code, severity, case, impl, call, trial, sample,
 * message, evidence), every stored verdict (verdict, kernel, claimed,
 * measured, 95% interval, medians, reason, params, finding codes), the
 * claim's verdict, and the signed predicate (all but end_time) must be what
 * that gives.  Reals agree within a relative CHECK_RTOL; text and integers
 * exactly.  One line per disagreement; any makes the exit code 4.
 *
 * Exit: 0 intact, consistent, and (with --pubkey or a trust store) signed
 * by a trusted key; 4 otherwise; 2 not a trace or bad usage; with
 * --expect, 1 when a kernel's `expect` does not hold.  Several traces: the
 * largest code.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_json.h"
#include "cli/cmd_inspect.h"
#include "cli/cmds.h"
#include "cli/observe_show.h"
#include "detect/detect.h"
#include "trace/trace.h"

static const char usage[] = "kaudit check TRACE.kat... [--pubkey PUB.pem] [--expect] [--json]";

/* Stored reals hold 10 significant digits (record.c), so a value the
 * records give and its stored copy differ by up to 5e-10 relative; 1e-9
 * admits that and nothing a reader could see in a speedup or a time. */
#define CHECK_RTOL 1e-9
/* Disagreements printed per trace (all are counted). */
#define CHECK_MAX_LINES 200

struct strict {
	size_t n;                  /* disagreements */
	char first[ERRBUF_LEN];    /* the first, for the status and stderr lines */
	json_t *lines;             /* the first CHECK_MAX_LINES, as strings */
};

static void differ(struct strict *s, const char *fmt, ...) KAUDIT_PRINTF(2, 3);
static void differ(struct strict *s, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (s->n == 0)
		snprintf(s->first, sizeof s->first, "%.*s", (int)sizeof s->first - 1, line);
	if (s->n < CHECK_MAX_LINES)
		json_array_append_new(s->lines, json_string(line));
	s->n++;
}

/* ---- values ---- */

static int same_real(double a, double b)
{
	if (!isfinite(a) || !isfinite(b))
		return !isfinite(a) && !isfinite(b); /* absent on both sides */
	return fabs(a - b) <= CHECK_RTOL * fmax(fabs(a), fabs(b));
}

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void fmt_one(char *buf, size_t n, double v, int dec, const char *unit)
{
	if (!isfinite(v))
		snprintf(buf, n, "none");
	else
		snprintf(buf, n, "%.*f%s", dec, v, unit);
}

/* X and Y with DEC decimals, or as many more as it takes to tell them
 * apart. */
static void fmt_pair(double x, double y, int dec, const char *unit, char *bx, char *by,
		     size_t n)
{
	for (int d = dec; d <= dec + 15; d++) {
		fmt_one(bx, n, x, d, unit);
		fmt_one(by, n, y, d, unit);
		if (strcmp(bx, by) != 0)
			return;
	}
}

/* A JSON value as short text; reals with 10 digits, or 17 where
 * ANOTHER (may be NULL) would print the same with 10. */
static void json_text(char *buf, size_t n, const json_t *v, const json_t *another)
{
	if (!v) {
		snprintf(buf, n, "none");
		return;
	}
	if (json_is_real(v) || (json_is_number(v) && another && json_is_real(another))) {
		double x = json_number_value(v);
		double y = another && json_is_number(another) ? json_number_value(another) : NAN;
		char a[64], b[64];
		snprintf(a, sizeof a, "%.10g", x);
		snprintf(b, sizeof b, "%.10g", y);
		snprintf(buf, n, "%.*g", strcmp(a, b) == 0 ? 17 : 10, x);
		return;
	}
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER |
			     JSON_REAL_PRECISION(10));
	if (!s) {
		snprintf(buf, n, "?");
		return;
	}
	if (strlen(s) > 96)
		snprintf(buf, n, "%.93s...", s);
	else
		snprintf(buf, n, "%s", s);
	free(s);
}

static int json_same_number(const json_t *a, const json_t *b)
{
	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) == json_integer_value(b); /* exact past 2^53 */
	return same_real(json_number_value(a), json_number_value(b));
}

/* Reports every difference between STORED and DERIVED (either may be
 * NULL: absent) under PATH; WHO names the record. */
static void json_diff(struct strict *s, const char *who, const char *path, const json_t *stored,
		      const json_t *derived)
{
	char ps[256];
	int leaf = 1;
	if (!stored && !derived)
		return;
	if (stored && derived && json_is_object(stored) && json_is_object(derived)) {
		const char *k;
		const json_t *v;
		json_object_foreach((json_t *)stored, k, v) {
			snprintf(ps, sizeof ps, "%s%s%s", path, *path ? "." : "", k);
			json_diff(s, who, ps, v, json_object_get(derived, k));
		}
		json_object_foreach((json_t *)derived, k, v) {
			if (json_object_get(stored, k))
				continue;
			snprintf(ps, sizeof ps, "%s%s%s", path, *path ? "." : "", k);
			json_diff(s, who, ps, NULL, v);
		}
		return;
	}
	if (stored && derived && json_is_array(stored) && json_is_array(derived) &&
	    json_array_size(stored) == json_array_size(derived)) {
		for (size_t i = 0; i < json_array_size(stored); i++) {
			const json_t *a = json_array_get(stored, i), *b = json_array_get(derived, i);
			const json_t *ka = json_object_get(a, "case");
			if (json_is_integer(ka) && json_equal((json_t *)ka, json_object_get(b, "case")))
				snprintf(ps, sizeof ps, "%s%scase %lld", path, *path ? " " : "",
					 (long long)json_integer_value(ka));
			else
				snprintf(ps, sizeof ps, "%s[%zu]", path, i);
			json_diff(s, who, ps, a, b);
		}
		return;
	}
	if (stored && derived) {
		if (json_is_number(stored) && json_is_number(derived))
			leaf = !json_same_number(stored, derived);
		else
			leaf = !json_equal((json_t *)stored, (json_t *)derived);
	}
	if (!leaf)
		return;
	char a[128], b[128];
	json_text(a, sizeof a, stored, derived);
	json_text(b, sizeof b, derived, stored);
	differ(s, "%s: stored %s %s, records give %s", who, *path ? path : "value", a, b);
}

/* ---- findings ---- */

static void where_name(char *buf, size_t n, int64_t k, int verdict)
{
	if (k == REC_NONE)
		snprintf(buf, n, "%s", verdict ? "the claim" : "audit-wide");
	else
		snprintf(buf, n, "case %lld", (long long)k);
}

static int cmp_i64(int64_t a, int64_t b)
{
	return (a > b) - (a < b);
}

/* REC_NONE (the claim, audit-wide) after every case. */
static int cmp_case(int64_t a, int64_t b)
{
	if (a == REC_NONE || b == REC_NONE)
		return (a == REC_NONE) - (b == REC_NONE);
	return cmp_i64(a, b);
}

static int finding_key_cmp(const struct record *a, const struct record *b)
{
	int c = cmp_case(a->case_index, b->case_index);
	if (!c)
		c = strcmp(a->u.finding.code ? a->u.finding.code : "",
			   b->u.finding.code ? b->u.finding.code : "");
	if (!c)
		c = (int)a->impl - (int)b->impl;
	if (!c)
		c = cmp_i64(a->u.finding.trial, b->u.finding.trial);
	if (!c)
		c = cmp_i64(a->u.finding.sample, b->u.finding.sample);
	return c;
}

/* By key, then call, then array order: findings of one key pair up in
 * call order, and a changed call shows as that, not as two findings. */
static int cmp_finding_ptr(const void *x, const void *y)
{
	const struct record *a = *(const struct record *const *)x;
	const struct record *b = *(const struct record *const *)y;
	int c = finding_key_cmp(a, b);
	if (!c)
		c = cmp_i64(a->call, b->call);
	return c ? c : (a > b) - (a < b);
}

/* "stale-output (candidate, trial 3, record 311)" */
static void finding_name(char *buf, size_t n, const struct record *f, int stored)
{
	char parts[128] = "";
	size_t len = 0;
	const char *impl = record_impl_name(f->impl);
	if (impl)
		len += (size_t)snprintf(parts + len, sizeof parts - len, ", %s", impl);
	if (f->u.finding.trial != REC_NONE && len < sizeof parts)
		len += (size_t)snprintf(parts + len, sizeof parts - len, ", trial %lld",
					(long long)f->u.finding.trial);
	if (f->u.finding.sample != REC_NONE && len < sizeof parts)
		len += (size_t)snprintf(parts + len, sizeof parts - len, ", sample %lld",
					(long long)f->u.finding.sample);
	if (stored && len < sizeof parts)
		len += (size_t)snprintf(parts + len, sizeof parts - len, ", record %lld",
					(long long)f->id);
	const char *code = f->u.finding.code ? f->u.finding.code : "?";
	if (parts[0])
		snprintf(buf, n, "%.64s (%s)", code, parts + 2);
	else
		snprintf(buf, n, "%.64s", code);
}

static void compare_finding(struct strict *s, const struct record *st, const struct record *dv)
{
	char where[48], fname[256], who[320];
	where_name(where, sizeof where, st->case_index, 0);
	finding_name(fname, sizeof fname, st, 1);
	snprintf(who, sizeof who, "%s: finding %s", where, fname);
	if (!same_str(st->u.finding.severity, dv->u.finding.severity))
		differ(s, "%s: stored severity %s, records give %s", who,
		       st->u.finding.severity ? st->u.finding.severity : "none",
		       dv->u.finding.severity ? dv->u.finding.severity : "none");
	if (st->call != dv->call) {
		char a[32] = "none", b[32] = "none";
		if (st->call != REC_NONE)
			snprintf(a, sizeof a, "%lld", (long long)st->call);
		if (dv->call != REC_NONE)
			snprintf(b, sizeof b, "%lld", (long long)dv->call);
		differ(s, "%s: stored call %s, records give %s", who, a, b);
	}
	if (!same_str(st->u.finding.message, dv->u.finding.message))
		differ(s, "%s: stored message '%.200s', records give '%.200s'", who,
		       st->u.finding.message ? st->u.finding.message : "",
		       dv->u.finding.message ? dv->u.finding.message : "");
	json_diff(s, who, "evidence", st->u.finding.evidence, dv->u.finding.evidence);
}

/* Stored findings against derived ones: both sorted by key, merged. */
static void compare_findings(struct strict *s, const struct record **st, size_t ns,
			     const struct record **dv, size_t nd)
{
	size_t i = 0, j = 0;
	char where[48], fname[256];
	while (i < ns || j < nd) {
		int c = i == ns ? 1 : j == nd ? -1 : finding_key_cmp(st[i], dv[j]);
		if (c == 0) {
			compare_finding(s, st[i++], dv[j++]);
		} else if (c < 0) {
			where_name(where, sizeof where, st[i]->case_index, 0);
			finding_name(fname, sizeof fname, st[i], 1);
			differ(s, "%s: stored finding %s is not what the records give", where, fname);
			i++;
		} else {
			where_name(where, sizeof where, dv[j]->case_index, 0);
			finding_name(fname, sizeof fname, dv[j], 0);
			differ(s, "%s: the records give finding %s, which the trace lacks", where,
			       fname);
			j++;
		}
	}
}

/* ---- verdicts ---- */

static int cmp_verdict_ptr(const void *x, const void *y)
{
	const struct record *a = *(const struct record *const *)x;
	const struct record *b = *(const struct record *const *)y;
	int c = cmp_case(a->case_index, b->case_index);
	return c ? c : (a > b) - (a < b);
}

static void compare_real(struct strict *s, const char *who, const char *what, double a,
			 double b, int dec, const char *unit)
{
	if (same_real(a, b))
		return;
	char x[64], y[64];
	fmt_pair(a, b, dec, unit, x, y, sizeof x);
	differ(s, "%s: stored %s %s, records give %s", who, what, x, y);
}

static void compare_text(struct strict *s, const char *who, const char *what, const char *a,
			 const char *b)
{
	if (same_str(a, b))
		return;
	differ(s, "%s: stored %s %s%.200s%s, records give %s%.200s%s", who, what, a ? "'" : "",
	       a ? a : "none", a ? "'" : "", b ? "'" : "", b ? b : "none", b ? "'" : "");
}

static void compare_verdict(struct strict *s, const struct record *st, const struct record *dv)
{
	const struct rec_verdict *a = &st->u.verdict, *b = &dv->u.verdict;
	char who[48];
	where_name(who, sizeof who, st->case_index, 1);
	if (!same_str(a->verdict, b->verdict))
		differ(s, "%s: stored verdict %s, records give %s", who,
		       a->verdict ? a->verdict : "none", b->verdict ? b->verdict : "none");
	compare_text(s, who, "kernel", a->kernel, b->kernel);
	compare_real(s, who, "claimed", a->claimed, b->claimed, 2, "x");
	compare_real(s, who, "measured", a->measured, b->measured, 2, "x");
	if (!same_real(a->ci_low, b->ci_low) || !same_real(a->ci_high, b->ci_high)) {
		char l1[64], l2[64], h1[64], h2[64];
		fmt_pair(a->ci_low, b->ci_low, 2, "", l1, l2, sizeof l1);
		fmt_pair(a->ci_high, b->ci_high, 2, "x", h1, h2, sizeof h1);
		differ(s, "%s: stored 95%% CI %s-%s, records give %s-%s", who, l1, h1, l2, h2);
	}
	compare_real(s, who, "baseline median", a->baseline_ns, b->baseline_ns, 0, " ns");
	compare_real(s, who, "candidate median", a->candidate_ns, b->candidate_ns, 0, " ns");
	compare_text(s, who, "reason", a->reason, b->reason);
	json_diff(s, who, "params", a->params, b->params);
	json_diff(s, who, "findings", a->findings, b->findings);
}

/* A verdict verify writes for a case it could not run at all (no record
 * of the case, so the detectors give none): error or inconclusive. */
static int fallback_verdict(const struct record *v)
{
	const char *x = v->u.verdict.verdict;
	return v->case_index != REC_NONE && x &&
	       (strcmp(x, "error") == 0 || strcmp(x, "inconclusive") == 0);
}

/* Stored verdicts against derived ones (both sorted by case, the claim
 * last); appends to EXPECTED the verdicts the predicate must show. */
static void compare_verdicts(struct strict *s, const struct record **st, size_t ns,
			     const struct record **dv, size_t nd, const struct record **expected,
			     size_t *nexpected)
{
	size_t i = 0, j = 0;
	char who[48];
	*nexpected = 0;
	while (i < ns || j < nd) {
		int c = i == ns ? 1 : j == nd ? -1 : cmp_case(st[i]->case_index, dv[j]->case_index);
		if (c == 0) {
			compare_verdict(s, st[i], dv[j]);
			expected[(*nexpected)++] = dv[j];
			while (++i < ns && st[i]->case_index == dv[j]->case_index) {
				where_name(who, sizeof who, st[i]->case_index, 1);
				differ(s, "%s: a second stored verdict (record %lld)", who,
				       (long long)st[i]->id);
			}
			j++;
		} else if (c < 0) {
			where_name(who, sizeof who, st[i]->case_index, 1);
			if (fallback_verdict(st[i]))
				expected[(*nexpected)++] = st[i];
			else
				differ(s, "%s: stored verdict %s (record %lld), but the trace has no "
				       "records of it to give one", who,
				       st[i]->u.verdict.verdict ? st[i]->u.verdict.verdict : "none",
				       (long long)st[i]->id);
			i++;
		} else {
			where_name(who, sizeof who, dv[j]->case_index, 1);
			differ(s, "%s: no stored verdict, records give %s", who,
			       dv[j]->u.verdict.verdict);
			expected[(*nexpected)++] = dv[j];
			j++;
		}
	}
}

/* ---- the signed predicate ---- */

static int cmp_case_json(const void *x, const void *y)
{
	const json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
	const json_t *ka = json_object_get(a, "case"), *kb = json_object_get(b, "case");
	if (json_is_integer(ka) != json_is_integer(kb))
		return json_is_integer(kb) - json_is_integer(ka);
	return cmp_i64(json_integer_value(ka), json_integer_value(kb));
}

/* A copy of P without end_time and with cases in case order (the
 * predicate lists them in trace order; the order proves nothing).  Only
 * the top level and the cases array are new: the values are P's, which
 * json_diff only reads (a deep copy cost more than the comparison). */
static json_t *predicate_canonical(const json_t *p)
{
	json_t *c = json_copy((json_t *)p);
	json_object_del(c, "end_time");
	json_t *cases = json_object_get(c, "cases");
	size_t n = json_array_size(cases);
	if (n > 1) {
		json_t **v = xmalloc(n * sizeof *v);
		for (size_t i = 0; i < n; i++)
			v[i] = json_array_get(cases, i);
		xsort(v, n, sizeof *v, cmp_case_json);
		json_t *sorted = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append(sorted, v[i]);
		json_object_set_new(c, "cases", sorted); /* in the place "cases" had */
		free(v);
	}
	return c;
}

static void compare_predicate(struct strict *s, const json_t *statement,
			      const struct rec_header *h, const struct rec_device *d,
			      const struct record *const *expected, size_t nexpected)
{
	const json_t *signedp = json_object_get(statement, "predicate");
	if (!json_is_object(signedp)) {
		differ(s, "signed predicate: not a JSON object");
		return;
	}
	json_t *want = trace_predicate_of(h, d, expected, nexpected);
	if (!json_is_string(json_object_get(signedp, "end_time")))
		differ(s, "signed predicate: no end_time");
	json_t *a = predicate_canonical(signedp), *b = predicate_canonical(want);
	json_diff(s, "signed predicate", "", a, b);
	json_decref(a);
	json_decref(b);
	json_decref(want);
}

/* ---- expectations (the `expect` of test manifests) ---- */

static int verdict_rank(const char *v)
{
	static const char *const order[] = { "reproduced", "inconclusive", "not-reproduced",
					     "error", "invalid" };
	for (int i = 0; v && i < 5; i++)
		if (strcmp(order[i], v) == 0)
			return i;
	return 3; /* none or unknown counts as an error */
}

static int cmp_case_kernel(const void *x, const void *y)
{
	const struct record *a = *(const struct record *const *)x;
	const struct record *b = *(const struct record *const *)y;
	int c = strcmp(a->u.kase.kernel ? a->u.kase.kernel : "",
		       b->u.kase.kernel ? b->u.kase.kernel : "");
	return c ? c : (a > b) - (a < b);
}

static int cmp_first_pos(const void *x, const void *y)
{
	const struct record *a = **(const struct record *const *const *)x;
	const struct record *b = **(const struct record *const *const *)y;
	return (a > b) - (a < b);
}

static const struct record *find_verdict(const struct record **v, size_t n, int64_t k)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_case(v[mid]->case_index, k) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo]->case_index == k ? v[lo] : NULL;
}

static void add_code(json_t *codes, const char *code)
{
	size_t i;
	json_t *v;
	json_array_foreach(codes, i, v)
		if (strcmp(json_string_value(v), code) == 0)
			return;
	json_array_append_new(codes, json_string(code));
}

static void codes_text(const json_t *codes, char *out, size_t cap)
{
	size_t i, len = 0;
	json_t *v;
	out[0] = '\0';
	json_array_foreach(codes, i, v) {
		int n = snprintf(out + len, cap - len, "%s%s", i ? "," : "",
				 json_string_value(v) ? json_string_value(v) : "?");
		if (n < 0 || (size_t)n >= cap - len)
			return;
		len += (size_t)n;
	}
}

/* Per kernel (its cases' worst verdict and the union of their findings,
 * as verify judges it): does its `expect` hold?  One entry per kernel with
 * an `expect` in JSON {kernel ok wanted{verdict findings} got{verdict
 * findings} missing}; returns their number, *FAILED those that fail.
 * VERDICTS sorted by case, FINDINGS by case first. */
static size_t expectations(const struct record_list *cases, const struct record **verdicts,
			   size_t nv, const struct record **findings, size_t nf, json_t *json,
			   size_t *failed)
{
	const struct record **cs = xmalloc((cases->n ? cases->n : 1) * sizeof *cs);
	size_t ncs = 0;
	for (size_t i = 0; i < cases->n; i++)
		cs[ncs++] = &cases->v[i]; /* trace order: pointer order is position */
	xsort(cs, ncs, sizeof *cs, cmp_case_kernel);
	/* groups[g] points at the first case of each kernel */
	const struct record ***groups = xmalloc((ncs ? ncs : 1) * sizeof *groups);
	size_t ng = 0;
	for (size_t i = 0; i < ncs; i++)
		if (i == 0 || !same_str(cs[i]->u.kase.kernel, cs[i - 1]->u.kase.kernel))
			groups[ng++] = &cs[i];
	xsort(groups, ng, sizeof *groups, cmp_first_pos); /* manifest order */
	size_t total = 0;
	*failed = 0;
	for (size_t g = 0; g < ng; g++) {
		const struct record **first = groups[g];
		const char *kernel = (*first)->u.kase.kernel;
		const json_t *expect = NULL;
		const char *got = NULL;
		json_t *codes = json_array();
		for (const struct record **p = first; p < cs + ncs && same_str((*p)->u.kase.kernel,
								   kernel); p++) {
			if (!expect && json_is_object((*p)->u.kase.expect))
				expect = (*p)->u.kase.expect;
			const struct record *v = find_verdict(verdicts, nv, (*p)->case_index);
			const char *vs = v && v->u.verdict.verdict ? v->u.verdict.verdict : "error";
			if (!got || verdict_rank(vs) > verdict_rank(got))
				got = vs;
			/* FINDINGS is sorted by case first (cmp_finding_ptr) */
			size_t lo = 0, hi = nf;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if (cmp_case(findings[mid]->case_index, (*p)->case_index) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			for (size_t f = lo; f < nf && findings[f]->case_index == (*p)->case_index; f++)
				if (findings[f]->u.finding.code)
					add_code(codes, findings[f]->u.finding.code);
		}
		if (!expect) {
			json_decref(codes);
			continue;
		}
		total++;
		const char *want = json_string_value(json_object_get(expect, "verdict"));
		const json_t *wanted = json_object_get(expect, "findings");
		int ok = !want || strcmp(want, got) == 0;
		json_t *missing = json_array();
		size_t i;
		const json_t *w;
		json_array_foreach(wanted, i, w) {
			int have = 0;
			size_t k;
			const json_t *h;
			json_array_foreach(codes, k, h)
				have |= json_equal((json_t *)h, (json_t *)w);
			if (!have)
				json_array_append(missing, (json_t *)w);
		}
		ok = ok && json_array_size(missing) == 0;
		*failed += !ok;
		json_array_append_new(json, json_pack("{s:s?, s:b, s:{s:s?, s:O?}, s:{s:s, s:o}, s:o}",
			"kernel", kernel, "ok", ok, "wanted", "verdict", want, "findings", wanted,
			"got", "verdict", got, "findings", codes, "missing", missing));
	}
	free(groups);
	free(cs);
	return total;
}

/* "ID: expect ok" or "ID: expect FAILED: wanted V [CODES] got V [CODES]",
 * as verify prints them. */
static void print_expectation(const json_t *x)
{
	const char *kernel = json_string_value(json_object_get(x, "kernel"));
	const json_t *w = json_object_get(x, "wanted"), *g = json_object_get(x, "got");
	const char *want = json_string_value(json_object_get(w, "verdict"));
	char wc[256], gc[256];
	codes_text(json_object_get(w, "findings"), wc, sizeof wc);
	codes_text(json_object_get(g, "findings"), gc, sizeof gc);
	if (json_is_true(json_object_get(x, "ok")))
		printf("  %s: expect ok\n", kernel ? kernel : "?");
	else
		printf("  %s: expect FAILED: wanted %s%s%s%s got %s [%s]\n", kernel ? kernel : "?",
		       want ? want : "any verdict", wc[0] ? " [" : "", wc, wc[0] ? "]" : "",
		       json_string_value(json_object_get(g, "verdict")), gc);
}

/* ---- one trace ---- */

struct check_opts {
	int expect, json;
	const struct inspect_trust *trust;
};

/* What check keeps while the trace streams past (never the records): the
 * summary inspect shows, the detectors' state, the header and first
 * device, the stored conclusions, and each case record (for `expect`). */
struct feed {
	struct trace_summary_acc *sum;
	struct detect_stream *det;
	struct record header, device;
	int has_header, has_device, seen_any;
	struct record_list stored, cases; /* stored findings and verdicts; case records */
	struct observe_keep keep;         /* an observation's records (kaudit observe) */
};

static void feed_keep(struct record_list *l, const struct record *r)
{
	struct record c;
	record_copy(&c, r);
	record_list_push(l, &c);
}

/* What `expect` needs of case record R: its case, kernel and expect (not
 * its params and buffers, kept for every case of the trace). */
static void feed_keep_case(struct record_list *l, const struct record *r)
{
	struct record c;
	record_init(&c, REC_CASE);
	c.id = r->id;
	c.case_index = r->case_index;
	c.u.kase.kernel = r->u.kase.kernel ? xstrdup(r->u.kase.kernel) : NULL;
	c.u.kase.expect = r->u.kase.expect ? json_deep_copy(r->u.kase.expect) : NULL;
	record_list_push(l, &c);
}

static void feed_common(struct feed *f, const struct record *r)
{
	if (r->type == REC_DEVICE && !f->has_device) {
		record_copy(&f->device, r);
		f->has_device = 1;
	}
	if (r->type == REC_CASE)
		feed_keep_case(&f->cases, r);
}

static void feed_record(void *ctx, const struct record *r)
{
	struct feed *f = ctx;
	trace_summary_acc_record(f->sum, r);
	if (!f->seen_any && r->type == REC_HEADER) {
		record_copy(&f->header, r);
		f->has_header = 1;
	}
	f->seen_any = 1;
	observe_keep_record(&f->keep, r);
	if (!f->det) /* a trace from before the header kept a margin: verify's default */
		f->det = detect_stream_new(f->has_header ? f->header.u.header.margin : NAN);
	feed_common(f, r);
	if (r->type == REC_FINDING || r->type == REC_VERDICT)
		feed_keep(&f->stored, r);
	else
		detect_stream_global(f->det, r);
}

static void feed_case(void *ctx, const struct record *recs, size_t n)
{
	struct feed *f = ctx;
	trace_summary_acc_case(f->sum, recs, n);
	if (!f->det)
		f->det = detect_stream_new(NAN);
	f->seen_any = 1;
	detect_stream_case(f->det, recs, n);
	for (size_t i = 0; i < n; i++)
		feed_common(f, &recs[i]);
}

static void feed_release(struct feed *f)
{
	trace_summary_acc_free(f->sum);
	detect_stream_free(f->det);
	if (f->has_header)
		record_clear(&f->header);
	if (f->has_device)
		record_clear(&f->device);
	record_list_free(&f->stored);
	record_list_free(&f->cases);
	observe_keep_free(&f->keep);
}

struct analysis {
	struct record_list found, verdicts;
	const struct record **sf, **df, **sv, **dv, **expected;
	size_t nsf, ndf, nsv, ndv, nexpected;
};

static void analysis_free(struct analysis *a)
{
	record_list_free(&a->found);
	record_list_free(&a->verdicts);
	free(a->sf);
	free(a->df);
	free(a->sv);
	free(a->dv);
	free(a->expected);
}

/* Ends the detectors' pass over F's records and compares; returns -1 when
 * the detectors failed. */
static int strict_check(const struct trace_contents *c, struct feed *f, struct analysis *a,
			struct strict *s)
{
	memset(a, 0, sizeof *a);
	if (!f->det || detect_stream_finish(f->det, &a->found, &a->verdicts) < 0)
		return -1;
	size_t cap = f->stored.n + a->found.n + a->verdicts.n + 1;
	a->sf = xmalloc(cap * sizeof *a->sf);
	a->sv = xmalloc(cap * sizeof *a->sv);
	a->df = xmalloc(cap * sizeof *a->df);
	a->dv = xmalloc(cap * sizeof *a->dv);
	a->expected = xmalloc(cap * sizeof *a->expected);
	for (size_t i = 0; i < f->stored.n; i++) {
		if (f->stored.v[i].type == REC_FINDING)
			a->sf[a->nsf++] = &f->stored.v[i];
		else
			a->sv[a->nsv++] = &f->stored.v[i];
	}
	for (size_t i = 0; i < a->found.n; i++)
		a->df[a->ndf++] = &a->found.v[i];
	for (size_t i = 0; i < a->verdicts.n; i++)
		a->dv[a->ndv++] = &a->verdicts.v[i];
	xsort(a->sf, a->nsf, sizeof *a->sf, cmp_finding_ptr);
	xsort(a->df, a->ndf, sizeof *a->df, cmp_finding_ptr);
	xsort(a->sv, a->nsv, sizeof *a->sv, cmp_verdict_ptr);
	xsort(a->dv, a->ndv, sizeof *a->dv, cmp_verdict_ptr);
	compare_findings(s, a->sf, a->nsf, a->df, a->ndf);
	compare_verdicts(s, a->sv, a->nsv, a->dv, a->ndv, a->expected, &a->nexpected);
	if (c->statement)
		compare_predicate(s, c->statement, f->has_header ? &f->header.u.header : NULL,
				  f->has_device ? &f->device.u.device : NULL, a->expected,
				  a->nexpected);
	return 0;
}

static int check_one(const char *path, const struct check_opts *o)
{
	/* One pass: the trace streams past case by case (trace_stream), the
	 * summary and the detectors take each case, and nothing is concluded
	 * until the reader has said whether the whole trace is intact. */
	struct trace_contents c;
	struct errbuf e = { "", 0 };
	struct feed f;
	memset(&f, 0, sizeof f);
	f.sum = trace_summary_acc_new();
	if (!o->json)
		trace_summary_acc_brief(f.sum); /* the text shows a line per case */
	struct trace_visitor v = { &f, feed_record, feed_case };
	if (trace_stream(path, &v, &c, &e) < 0) {
		feed_release(&f);
		return cli_fail_err(&e);
	}
	json_t *sum = trace_summary_acc_finish_head(f.sum, &c); /* cases: one at a time */
	json_t *obs = observe_keep_summary(&f.keep);
	if (obs)
		json_object_set_new(sum, "observation", obs);
	struct inspect_signer sg;
	inspect_signer_judge(&c, o->trust, &sg);
	int intact = trace_integrity(&c, NULL, &e) == 0;

	/* Judge everything first: the status line above says how it ended. */
	struct strict s = { 0, "", json_array() };
	struct analysis a;
	int analysed = 0, detectors_failed = 0;
	memset(&a, 0, sizeof a);
	if (intact) {
		if (strict_check(&c, &f, &a, &s) < 0)
			detectors_failed = 1;
		else
			analysed = 1;
	}
	json_t *exp = json_array();
	size_t nexp = 0, nfailed = 0;
	if (analysed)
		nexp = expectations(&f.cases, a.dv, a.ndv, a.df, a.ndf, exp, &nfailed);

	struct inspect_status st = { INSPECT_OK, "" };
	char why[1200] = "";
	int rc = EXIT_OK;
	if (!intact) {
		inspect_damage_text(sum, st.text, sizeof st.text);
		snprintf(why, sizeof why, "%s", e.msg);
	} else if (!sg.trusted && sg.required) {
		snprintf(st.text, sizeof st.text, "UNTRUSTED: %s", sg.text);
		snprintf(why, sizeof why, "%s", sg.full);
	} else if (detectors_failed) {
		snprintf(st.text, sizeof st.text, "FAILED: the detectors failed on these records");
		snprintf(why, sizeof why, "the detectors failed on these records");
	} else if (s.n) {
		snprintf(st.text, sizeof st.text, "CONTRADICTED: %zu stored value%s not what the "
			 "records give", s.n, s.n == 1 ? " is" : "s are");
		snprintf(why, sizeof why, "%zu stored value%s not what the records give (%s)", s.n,
			 s.n == 1 ? " is" : "s are", s.first);
	}
	if (why[0]) {
		st.level = INSPECT_FAIL;
		rc = EXIT_INTEGRITY;
	} else if (!sg.trusted) {
		st.level = INSPECT_WARN;
		snprintf(st.text, sizeof st.text, "intact and consistent, but signed by an "
			 "UNTRUSTED key: no trust store or --pubkey says who signed it");
	} else {
		snprintf(st.text, sizeof st.text, "valid: intact, signed by %s, every conclusion "
			 "re-derived", sg.name);
	}
	/* A valid trace of records nobody measured on kaudit's plugin is still
	 * no measurement: the verdict line says so (the exit code is the
	 * trace's validity, kaudit(1) EXIT STATUS). */
	if (!why[0] && (json_is_true(json_object_get(sum, "stand_in")) ||
			json_is_true(json_object_get(sum, "synthetic")))) {
		size_t l = strlen(st.text);
		snprintf(st.text + l, sizeof st.text - l, "; but %s",
			 json_is_true(json_object_get(sum, "synthetic"))
			 ? "SYNTHETIC: the records are made up, not measured"
			 : "STAND-IN: not measured by kaudit's own GPU plugin");
		st.level = INSPECT_WARN;
	}
	if (rc == EXIT_OK && o->expect && nfailed)
		rc = EXIT_NOT_REPRODUCED;

	if (o->json) {
		json_object_set_new(sum, "file", cli_json_string(path));
		json_object_set_new(sum, "signer", inspect_signer_json(&sg));
		json_t *chk = json_object();
		json_object_set_new(chk, "valid", json_boolean(st.level != INSPECT_FAIL));
		json_object_set_new(chk, "exit", json_integer(rc));
		json_object_set_new(chk, "status", json_string(st.text));
		json_object_set_new(chk, "analysed", json_boolean(analysed));
		json_object_set_new(chk, "tolerance", json_real(CHECK_RTOL));
		json_object_set_new(chk, "disagreements", json_incref(s.lines));
		json_object_set_new(chk, "disagreements_total", json_integer((json_int_t)s.n));
		json_object_set_new(chk, "expectations", json_incref(exp));
		json_object_set_new(sum, "check", chk);
		inspect_print_json(sum, f.sum);
	} else {
		inspect_print_summary(path, sum, f.sum, 0, &st, &sg);
		if (intact)
			printf("integrity ok: %lld records and their sha256 match the footer,\n"
			       "  sha256 %s\n"
			       "  Ed25519 signature valid, by the key the header names,\n"
			       "  %s\n",
			       (long long)(c.nrecords - 2), c.computed_sha256,
			       c.file_bound ? "over the records and this file's bytes before it"
			       : "over the records only (kaudit 0.1 format: not this file's bytes)");
		else
			printf("integrity FAILED: %s\n", e.msg);
		if (!intact) {
			printf("strict re-analysis: not run (the trace is not intact)\n");
		} else if (detectors_failed) {
			printf("strict re-analysis: the detectors failed on these records\n");
		} else if (s.n == 0) {
			printf("strict re-analysis: kaudit %s detectors, margin %g%%, reals to %g "
			       "relative\n  the records support every stored finding and verdict, and "
			       "every stored\n  speedup, interval and the signed predicate are what "
			       "they give\n",
			       KAUDIT_VERSION, f.has_header && isfinite(f.header.u.header.margin)
			       ? f.header.u.header.margin * 100 : 10.0, CHECK_RTOL);
		} else {
			printf("strict re-analysis: kaudit %s detectors, reals to %g relative\n"
			       "  CONTRADICTED: %zu stored value%s not what the records "
			       "give:\n", KAUDIT_VERSION, CHECK_RTOL, s.n,
			       s.n == 1 ? " is" : "s are");
			size_t i;
			json_t *l;
			json_array_foreach(s.lines, i, l)
				printf("  %s\n", json_string_value(l));
			if (s.n > CHECK_MAX_LINES)
				printf("  ... and %zu more\n", s.n - CHECK_MAX_LINES);
		}
		if (nexp) {
			printf("expectations:\n");
			size_t i;
			json_t *x;
			json_array_foreach(exp, i, x)
				print_expectation(x);
		} else if (o->expect && analysed) {
			printf("expectations: no case of this trace has an 'expect'\n");
		}
	}
	json_decref(exp);
	json_decref(s.lines);
	json_decref(sum);
	analysis_free(&a);
	feed_release(&f);
	trace_contents_free(&c);
	if (rc == EXIT_INTEGRITY)
		return cli_fail(rc, "%s: %s", path, why);
	if (rc == EXIT_NOT_REPRODUCED)
		return cli_fail(rc, "%s: %zu of %zu expectations do not hold", path, nfailed, nexp);
	return rc;
}

static int check_path(const char *path, void *ctx)
{
	return check_one(path, ctx);
}

enum { OPT_PUBKEY = 1, OPT_EXPECT, OPT_JSON };
static const struct cli_opt opts[] = {
	{ "pubkey", 0, CLI_VALUE, OPT_PUBKEY },
	{ "expect", 0, CLI_FLAG, OPT_EXPECT },
	{ "json", 0, CLI_FLAG, OPT_JSON },
	{ NULL, 0, 0, 0 },
};
static const struct cli_command check_cmd = {
	"check", usage,
	"Verifies gzip integrity, every record, the record count and sha256 against\n"
	"the footer, and the Ed25519 signature; names the signer from --pubkey or\n"
	"the trust store (kaudit(1) FILES); then runs the detectors again and\n"
	"compares every stored finding, verdict, speedup, interval and the signed\n"
	"predicate with what the records give.  Exit 0 valid, 4 tampered, truncated,\n"
	"unsigned, contradicted or (with --pubkey or a trust store) an untrusted\n"
	"signer, 2 not a trace; with --expect, 1 when an expectation fails.\n",
	opts, "TRACE.kat", 1, CLI_MANY,
};

int cmd_check(int argc, char **argv)
{
	const char *pubpath = NULL;
	struct check_opts o = { 0, 0, NULL };
	cli_json_begin(argc, argv);
	struct cli_parse p;
	int id;
	cli_opts_init(&p, &check_cmd, argc, argv);
	while ((id = cli_opts_next(&p)) > 0) {
		switch (id) {
		case OPT_PUBKEY: pubpath = p.value; break;
		case OPT_EXPECT: o.expect = 1; break;
		case OPT_JSON: o.json = 1; break;
		}
	}
	if (id == CLI_STOP)
		return p.status;
	struct inspect_trust t;
	struct errbuf e = { "", 0 };
	if (inspect_trust_load(&t, pubpath, &e) < 0)
		return cli_fail_err(&e);
	o.trust = &t;
	int rc = inspect_each_trace(p.noperands, p.operands, o.json, check_path, &o);
	inspect_trust_release(&t);
	return rc;
}
