/*
 * check_compare.c - how check compares a stored conclusion with the one
 * the records give (check.h): reals within CHECK_RTOL, text and integers
 * exactly, JSON values key by key; one line per disagreement.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/check.h"

void check_strict_init(struct check_strict *s)
{
	s->n = 0;
	s->first[0] = '\0';
	s->lines = json_array();
}

void check_strict_move(struct check_strict *to, struct check_strict *from)
{
	if (to->n == 0 && from->n)
		snprintf(to->first, sizeof to->first, "%s", from->first);
	size_t i;
	json_t *l;
	json_array_foreach(from->lines, i, l)
		if (json_array_size(to->lines) < CHECK_MAX_LINES)
			json_array_append(to->lines, l);
	to->n += from->n;
	json_array_clear(from->lines);
	from->n = 0;
	from->first[0] = '\0';
}

void check_strict_release(struct check_strict *s)
{
	json_decref(s->lines);
	s->lines = NULL;
}

void check_differ(struct check_strict *s, const char *fmt, ...)
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

int check_same_real(double a, double b)
{
	if (!isfinite(a) || !isfinite(b))
		return !isfinite(a) && !isfinite(b); /* absent on both sides */
	return fabs(a - b) <= CHECK_RTOL * fmax(fabs(a), fabs(b));
}

int check_same_str(const char *a, const char *b)
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
	return check_same_real(json_number_value(a), json_number_value(b));
}

/* Reports every difference between STORED and DERIVED (either may be
 * NULL: absent) under PATH; WHO names the record. */
void check_json_diff(struct check_strict *s, const char *who, const char *path, const json_t *stored,
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
			check_json_diff(s, who, ps, v, json_object_get(derived, k));
		}
		json_object_foreach((json_t *)derived, k, v) {
			if (json_object_get(stored, k))
				continue;
			snprintf(ps, sizeof ps, "%s%s%s", path, *path ? "." : "", k);
			check_json_diff(s, who, ps, NULL, v);
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
			check_json_diff(s, who, ps, a, b);
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
	check_differ(s, "%s: stored %s %s, records give %s", who, *path ? path : "value", a, b);
}

/* ---- findings ---- */

void check_where_name(char *buf, size_t n, int64_t k, int verdict)
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
int check_cmp_case(int64_t a, int64_t b)
{
	if (a == REC_NONE || b == REC_NONE)
		return (a == REC_NONE) - (b == REC_NONE);
	return cmp_i64(a, b);
}

static int finding_key_cmp(const struct record *a, const struct record *b)
{
	int c = check_cmp_case(a->case_index, b->case_index);
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
int check_cmp_finding_ptr(const void *x, const void *y)
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
	check_where_name(where, sizeof where, st->case_index, 0);
	finding_name(fname, sizeof fname, st, 1);
	snprintf(who, sizeof who, "%s: finding %s", where, fname);
	if (!check_same_str(st->u.finding.severity, dv->u.finding.severity))
		check_differ(s, "%s: stored severity %s, records give %s", who,
		       st->u.finding.severity ? st->u.finding.severity : "none",
		       dv->u.finding.severity ? dv->u.finding.severity : "none");
	if (st->call != dv->call) {
		char a[32] = "none", b[32] = "none";
		if (st->call != REC_NONE)
			snprintf(a, sizeof a, "%lld", (long long)st->call);
		if (dv->call != REC_NONE)
			snprintf(b, sizeof b, "%lld", (long long)dv->call);
		check_differ(s, "%s: stored call %s, records give %s", who, a, b);
	}
	if (!check_same_str(st->u.finding.message, dv->u.finding.message))
		check_differ(s, "%s: stored message '%.200s', records give '%.200s'", who,
		       st->u.finding.message ? st->u.finding.message : "",
		       dv->u.finding.message ? dv->u.finding.message : "");
	check_json_diff(s, who, "evidence", st->u.finding.evidence, dv->u.finding.evidence);
}

/* Stored findings against derived ones: both sorted by key, merged. */
void check_compare_findings(struct check_strict *s, const struct record **st, size_t ns,
			     const struct record **dv, size_t nd)
{
	size_t i = 0, j = 0;
	char where[48], fname[256];
	while (i < ns || j < nd) {
		int c = i == ns ? 1 : j == nd ? -1 : finding_key_cmp(st[i], dv[j]);
		if (c == 0) {
			compare_finding(s, st[i++], dv[j++]);
		} else if (c < 0) {
			check_where_name(where, sizeof where, st[i]->case_index, 0);
			finding_name(fname, sizeof fname, st[i], 1);
			check_differ(s, "%s: stored finding %s is not what the records give", where, fname);
			i++;
		} else {
			check_where_name(where, sizeof where, dv[j]->case_index, 0);
			finding_name(fname, sizeof fname, dv[j], 0);
			check_differ(s, "%s: the records give finding %s, which the trace lacks", where,
			       fname);
			j++;
		}
	}
}

/* ---- verdicts ---- */

int check_cmp_verdict_ptr(const void *x, const void *y)
{
	const struct record *a = *(const struct record *const *)x;
	const struct record *b = *(const struct record *const *)y;
	int c = check_cmp_case(a->case_index, b->case_index);
	return c ? c : (a > b) - (a < b);
}

static void compare_real(struct check_strict *s, const char *who, const char *what, double a,
			 double b, int dec, const char *unit)
{
	if (check_same_real(a, b))
		return;
	char x[64], y[64];
	fmt_pair(a, b, dec, unit, x, y, sizeof x);
	check_differ(s, "%s: stored %s %s, records give %s", who, what, x, y);
}

static void compare_text(struct check_strict *s, const char *who, const char *what, const char *a,
			 const char *b)
{
	if (check_same_str(a, b))
		return;
	check_differ(s, "%s: stored %s %s%.200s%s, records give %s%.200s%s", who, what, a ? "'" : "",
	       a ? a : "none", a ? "'" : "", b ? "'" : "", b ? b : "none", b ? "'" : "");
}

static void compare_verdict(struct check_strict *s, const struct record *st, const struct record *dv)
{
	const struct rec_verdict *a = &st->u.verdict, *b = &dv->u.verdict;
	char who[48];
	check_where_name(who, sizeof who, st->case_index, 1);
	if (!check_same_str(a->verdict, b->verdict))
		check_differ(s, "%s: stored verdict %s, records give %s", who,
		       a->verdict ? a->verdict : "none", b->verdict ? b->verdict : "none");
	compare_text(s, who, "kernel", a->kernel, b->kernel);
	compare_real(s, who, "claimed", a->claimed, b->claimed, 2, "x");
	compare_real(s, who, "measured", a->measured, b->measured, 2, "x");
	if (!check_same_real(a->ci_low, b->ci_low) || !check_same_real(a->ci_high, b->ci_high)) {
		char l1[64], l2[64], h1[64], h2[64];
		fmt_pair(a->ci_low, b->ci_low, 2, "", l1, l2, sizeof l1);
		fmt_pair(a->ci_high, b->ci_high, 2, "x", h1, h2, sizeof h1);
		check_differ(s, "%s: stored 95%% CI %s-%s, records give %s-%s", who, l1, h1, l2, h2);
	}
	compare_real(s, who, "baseline median", a->baseline_ns, b->baseline_ns, 0, " ns");
	compare_real(s, who, "candidate median", a->candidate_ns, b->candidate_ns, 0, " ns");
	compare_text(s, who, "reason", a->reason, b->reason);
	check_json_diff(s, who, "params", a->params, b->params);
	check_json_diff(s, who, "findings", a->findings, b->findings);
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
void check_compare_verdicts(struct check_strict *s, const struct record **st, size_t ns,
			     const struct record **dv, size_t nd, const struct record **expected,
			     size_t *nexpected)
{
	size_t i = 0, j = 0;
	char who[48];
	*nexpected = 0;
	while (i < ns || j < nd) {
		int c = i == ns ? 1 : j == nd ? -1 : check_cmp_case(st[i]->case_index, dv[j]->case_index);
		if (c == 0) {
			compare_verdict(s, st[i], dv[j]);
			expected[(*nexpected)++] = dv[j];
			while (++i < ns && st[i]->case_index == dv[j]->case_index) {
				check_where_name(who, sizeof who, st[i]->case_index, 1);
				check_differ(s, "%s: a second stored verdict (record %lld)", who,
				       (long long)st[i]->id);
			}
			j++;
		} else if (c < 0) {
			check_where_name(who, sizeof who, st[i]->case_index, 1);
			if (fallback_verdict(st[i]))
				expected[(*nexpected)++] = st[i];
			else
				check_differ(s, "%s: stored verdict %s (record %lld), but the trace has no "
				       "records of it to give one", who,
				       st[i]->u.verdict.verdict ? st[i]->u.verdict.verdict : "none",
				       (long long)st[i]->id);
			i++;
		} else {
			check_where_name(who, sizeof who, dv[j]->case_index, 1);
			check_differ(s, "%s: no stored verdict, records give %s", who,
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

/* The signed predicate's cases in case order (the predicate lists them in
 * trace order; the order proves nothing), as new references: from PC
 * (kept as text, already in order) or P's own array; NULL when P has no
 * array of cases. */
static json_t **sorted_cases(const json_t *p, const struct trace_pred_cases *pc, size_t *n)
{
	const json_t *cases = json_object_get(p, "cases");
	if (!pc && !json_is_array(cases))
		return NULL;
	*n = pc ? trace_pred_cases_count(pc) : json_array_size(cases);
	json_t **v = xmalloc((*n ? *n : 1) * sizeof *v);
	for (size_t i = 0; i < *n; i++)
		v[i] = pc ? trace_pred_case(pc, i) : json_incref(json_array_get(cases, i));
	if (!pc)
		xsort(v, *n, sizeof *v, cmp_case_json);
	return v;
}

static void free_cases(json_t **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		json_decref(v[i]);
	free(v);
}

/* The cases the records give, as one array (for a difference in number,
 * where the two are shown whole). */
static json_t *want_cases(const struct check_pred_case *c, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, trace_predicate_case(c[i].case_index, c[i].kernel,
							      c[i].verdict, c[i].claimed,
							      c[i].measured));
	return a;
}

/* The signed cases against the derived ones: one by one when they are as
 * many (each built only for its comparison, so a trace of many cases
 * never holds a second copy of them), whole otherwise.  Paths as
 * check_json_diff names array elements. */
static void compare_cases(struct check_strict *s, const json_t *signedp,
			  const struct trace_pred_cases *pc, const struct check_pred_case *c,
			  size_t n)
{
	const char *who = "signed predicate";
	size_t ns = 0;
	/* Kept as text and as many: each signed case is parsed only for its
	 * comparison (300k cases parsed at once took 150 MB). */
	int lazy = pc && trace_pred_cases_count(pc) == n;
	json_t **sv = lazy ? NULL : sorted_cases(signedp, pc, &ns);
	if (lazy)
		ns = n;
	else if (!sv || ns != n) {
		json_t *sorted = json_array(), *want = want_cases(c, n);
		for (size_t i = 0; sv && i < ns; i++)
			json_array_append(sorted, sv[i] ? sv[i] : json_null());
		const json_t *stored = json_object_get(signedp, "cases");
		check_json_diff(s, who, "cases", sv ? sorted : stored, want);
		json_decref(sorted);
		json_decref(want);
		free_cases(sv, ns);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *b = trace_predicate_case(c[i].case_index, c[i].kernel, c[i].verdict,
						 c[i].claimed, c[i].measured);
		json_t *a = lazy ? trace_pred_case(pc, i) : json_incref(sv[i]);
		const json_t *ka = json_object_get(a, "case");
		char path[64];
		if (json_is_integer(ka) && json_integer_value(ka) == c[i].case_index)
			snprintf(path, sizeof path, "cases case %lld", (long long)c[i].case_index);
		else
			snprintf(path, sizeof path, "cases[%zu]", i);
		check_json_diff(s, who, path, a, b);
		json_decref(a);
		json_decref(b);
	}
	free_cases(sv, lazy ? 0 : ns);
}

void check_compare_predicate(struct check_strict *s, const json_t *statement,
			     const struct trace_pred_cases *pc, const struct rec_header *h, const struct rec_device *d,
			     const char *claim, const struct check_pred_case *cases, size_t n)
{
	const json_t *signedp = json_object_get(statement, "predicate");
	if (!json_is_object(signedp)) {
		check_differ(s, "signed predicate: not a JSON object");
		return;
	}
	/* Everything but the cases from trace_predicate_of, given only the
	 * claim's verdict. */
	struct record cv;
	record_init(&cv, REC_VERDICT);
	cv.u.verdict.verdict = claim ? xstrdup(claim) : NULL;
	const struct record *only = &cv;
	json_t *want = trace_predicate_of(h, d, claim ? &only : NULL, claim ? 1 : 0);
	record_clear(&cv);
	if (!json_is_string(json_object_get(signedp, "end_time")))
		check_differ(s, "signed predicate: no end_time");
	/* check_json_diff's walk of two objects, with the cases compared by
	 * compare_cases where they stand. */
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)signedp, k, v) {
		if (strcmp(k, "end_time") == 0)
			continue;
		if (strcmp(k, "cases") == 0)
			compare_cases(s, signedp, pc, cases, n);
		else
			check_json_diff(s, "signed predicate", k, v, json_object_get(want, k));
	}
	json_object_foreach(want, k, v) {
		if (strcmp(k, "end_time") == 0 || json_object_get(signedp, k))
			continue;
		if (strcmp(k, "cases") == 0) {
			json_t *all = want_cases(cases, n);
			check_json_diff(s, "signed predicate", k, NULL, all);
			json_decref(all);
		} else {
			check_json_diff(s, "signed predicate", k, NULL, v);
		}
	}
	json_decref(want);
}
