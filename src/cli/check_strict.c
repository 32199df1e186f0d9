/*
 * check_strict.c - check's strict re-analysis (kaudit(1) check,
 * kaudit-trace(5) CHECK): the detectors of this kaudit run again over the
 * stored records, with the header's margin; every stored finding (code,
 * severity, case, impl, call, trial, sample, message, evidence), every
 * stored verdict (verdict, kernel, claimed, measured, 95% interval,
 * medians, reason, params, finding codes), the claim's verdict, the signed
 * predicate (all but end_time) and the header's selection (which cases,
 * which shard) must be what that gives.  Reals agree within a relative
 * CHECK_RTOL; text and integers exactly.  One line per disagreement.
 * Also the kernels' `expect` (check --expect).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/check_trace.h"

static void differ(struct check_strict *s, const char *fmt, ...) KAUDIT_PRINTF(2, 3);
static void differ(struct check_strict *s, const char *fmt, ...)
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
static void json_diff(struct check_strict *s, const char *who, const char *path, const json_t *stored,
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

static void compare_finding(struct check_strict *s, const struct record *st, const struct record *dv)
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
static void compare_findings(struct check_strict *s, const struct record **st, size_t ns,
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

static void compare_real(struct check_strict *s, const char *who, const char *what, double a,
			 double b, int dec, const char *unit)
{
	if (same_real(a, b))
		return;
	char x[64], y[64];
	fmt_pair(a, b, dec, unit, x, y, sizeof x);
	differ(s, "%s: stored %s %s, records give %s", who, what, x, y);
}

static void compare_text(struct check_strict *s, const char *who, const char *what, const char *a,
			 const char *b)
{
	if (same_str(a, b))
		return;
	differ(s, "%s: stored %s %s%.200s%s, records give %s%.200s%s", who, what, a ? "'" : "",
	       a ? a : "none", a ? "'" : "", b ? "'" : "", b ? b : "none", b ? "'" : "");
}

static void compare_verdict(struct check_strict *s, const struct record *st, const struct record *dv)
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
static void compare_verdicts(struct check_strict *s, const struct record **st, size_t ns,
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

static void compare_predicate(struct check_strict *s, const json_t *statement,
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

int check_verdict_rank(const char *v)
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
			if (!got || check_verdict_rank(vs) > check_verdict_rank(got))
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

size_t check_expectations(const struct record_list *cases, const struct check_analysis *a,
			  json_t *json, size_t *failed)
{
	return expectations(cases, a->dv, a->ndv, a->df, a->ndf, json, failed);
}

/* ---- the header's selection (verify --kernel, --shard) ---- */

static int cmp_i64_ptr(const void *x, const void *y)
{
	return cmp_i64(*(const int64_t *)x, *(const int64_t *)y);
}

/* Every case record must be of the selection; and without a --kernel (so
 * that the cases of the shard follow from the count alone) every case of
 * the shard must have one: summary counts a claim's cases from it. */
static void compare_selection(struct check_strict *s, const struct rec_header *h,
			      const struct record_list *cases)
{
	struct trace_selection sel;
	struct errbuf e = { "", 0 };
	if (trace_selection_of(h, &sel, &e) < 0) {
		differ(s, "header: %s", e.msg);
		return;
	}
	if (!sel.present)
		return;
	char shard[96] = "";
	if (sel.sharded)
		snprintf(shard, sizeof shard, "shard %lld/%lld of ", (long long)sel.shard_index,
			 (long long)sel.shard_count);
	int64_t *idx = xmalloc((cases->n ? cases->n : 1) * sizeof *idx);
	size_t n = 0;
	for (size_t i = 0; i < cases->n; i++) {
		const struct record *r = &cases->v[i];
		if (!trace_selection_has(&sel, r->case_index, r->u.kase.kernel))
			differ(s, "case %lld: not in the header's selection (%sthe claim's %lld "
			       "cases%s%.64s)", (long long)r->case_index, shard, (long long)sel.cases,
			       sel.kernel ? ", kernel " : "", sel.kernel ? sel.kernel : "");
		else
			idx[n++] = r->case_index;
	}
	xsort(idx, n, sizeof *idx, cmp_i64_ptr);
	size_t distinct = 0;
	for (size_t i = 0; i < n; i++)
		distinct += i == 0 || idx[i] != idx[i - 1];
	if (!sel.kernel) {
		int64_t want = sel.cases > sel.shard_index
			       ? (sel.cases - 1 - sel.shard_index) / sel.shard_count + 1 : 0;
		if ((int64_t)distinct != want) {
			/* the first case of the selection the trace lacks */
			int64_t missing = sel.shard_index;
			for (size_t i = 0; i < n && idx[i] == missing; i++)
				if (i + 1 == n || idx[i + 1] != idx[i])
					missing += sel.shard_count;
			differ(s, "header: the selection (%sthe claim's %lld cases) holds %lld "
			       "case%s, the trace has records of %zu (case %lld has none)", shard,
			       (long long)sel.cases, (long long)want, want == 1 ? "" : "s", distinct,
			       (long long)missing);
		}
	}
	free(idx);
}

int check_strict_run(const struct trace_contents *c, const struct record *header,
		     const struct record *device, const struct record_list *stored,
		     const struct record_list *cases, struct detect_stream *det,
		     struct check_analysis *a, struct check_strict *s)
{
	memset(a, 0, sizeof *a);
	if (!det || detect_stream_finish(det, &a->found, &a->verdicts) < 0)
		return -1;
	size_t cap = stored->n + a->found.n + a->verdicts.n + 1;
	a->sf = xmalloc(cap * sizeof *a->sf);
	a->sv = xmalloc(cap * sizeof *a->sv);
	a->df = xmalloc(cap * sizeof *a->df);
	a->dv = xmalloc(cap * sizeof *a->dv);
	a->expected = xmalloc(cap * sizeof *a->expected);
	for (size_t i = 0; i < stored->n; i++) {
		if (stored->v[i].type == REC_FINDING)
			a->sf[a->nsf++] = &stored->v[i];
		else
			a->sv[a->nsv++] = &stored->v[i];
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
		compare_predicate(s, c->statement, header ? &header->u.header : NULL,
				  device ? &device->u.device : NULL, a->expected, a->nexpected);
	if (header)
		compare_selection(s, &header->u.header, cases);
	return 0;
}

void check_analysis_free(struct check_analysis *a)
{
	record_list_free(&a->found);
	record_list_free(&a->verdicts);
	free(a->sf);
	free(a->df);
	free(a->sv);
	free(a->dv);
	free(a->expected);
}
