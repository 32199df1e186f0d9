/*
 * test_detect_timing.c - timing warnings (unstable-timing, launch-bound,
 * tracing-overhead), environment warnings (clock-throttled,
 * trace-incomplete), the bootstrap statistics and the verdicts.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "detect/detect.h"
#include "detect/stats.h"
#include "detect_fixtures.h"

static size_t count_after(struct detfix *f, const char *code)
{
	struct record_list out;
	detfix_detect(f, &out);
	size_t n = detfix_count(&out, code, REC_NONE, IMPL_NONE);
	record_list_free(&out);
	return n;
}

/* Candidate samples in 3 rounds whose times are BASE * FACTOR[round]. */
static size_t unstable_for(const double factor[3])
{
	struct detfix f;
	detfix_init(&f);
	detfix_case(&f, 0, 2, 1024);
	int64_t call = 0;
	for (int r = 0; r < 3; r++)
		for (int i = 0; i < 8; i++) {
			int64_t ns = (int64_t)(100000 * factor[r]) + (i % 4) * 200;
			detfix_timed_call(&f, 0, IMPL_CANDIDATE, call++, r, r * 8 + i, f.t, ns, 1);
			f.t += 200000;
		}
	size_t n = count_after(&f, "unstable-timing");
	detfix_free(&f);
	return n;
}

static void unstable_timing(void **state)
{
	(void)state;
	const double wild[3] = { 1.0, 1.6, 1.0 };
	const double drift[3] = { 1.0, 1.1, 1.2 };
	const double calm[3] = { 1.0, 1.01, 0.995 };
	assert_int_equal(unstable_for(wild), 1);
	assert_int_equal(unstable_for(drift), 1);
	assert_int_equal(unstable_for(calm), 0);
}

static size_t launch_bound_for(int64_t ns)
{
	struct detfix f;
	detfix_init(&f);
	detfix_case(&f, 0, 2, 1024);
	for (int i = 0; i < 6; i++) {
		detfix_timed_call(&f, 0, IMPL_CANDIDATE, i, 0, i, f.t, ns, 1);
		f.t += 100000;
	}
	size_t n = count_after(&f, "launch-bound");
	detfix_free(&f);
	return n;
}

static void launch_bound(void **state)
{
	(void)state;
	assert_int_equal(launch_bound_for(4000), 1);
	assert_int_equal(launch_bound_for(9900), 1);
	assert_int_equal(launch_bound_for(10100), 0);
	assert_int_equal(launch_bound_for(500000), 0);
}

/* Traced samples at 100 us, untraced at UNTRACED ns. */
static size_t overhead_for(int64_t untraced)
{
	struct detfix f;
	detfix_init(&f);
	detfix_case(&f, 0, 2, 1024);
	int64_t call = 0;
	for (int i = 0; i < 8; i++) {
		detfix_timed_call(&f, 0, IMPL_BASELINE, call++, 0, 2 * i, f.t, 100000 + i * 30,
				  1);
		f.t += 200000;
		detfix_timed_call(&f, 0, IMPL_BASELINE, call++, 0, 2 * i + 1, f.t,
				  untraced + i * 30, 0);
		f.t += 200000;
	}
	size_t n = count_after(&f, "tracing-overhead");
	detfix_free(&f);
	return n;
}

static void tracing_overhead(void **state)
{
	(void)state;
	assert_int_equal(overhead_for(70000), 1);  /* tracing added 40% */
	assert_int_equal(overhead_for(130000), 1);
	assert_int_equal(overhead_for(97000), 0);  /* 3%: fine */
	assert_int_equal(overhead_for(100000), 0);
}

static size_t throttled_for(int64_t throttle, int64_t sm, int64_t max_sm)
{
	struct detfix f;
	detfix_init(&f);
	struct record *d = detfix_device(&f, 1e12);
	d->u.device.throttle = throttle;
	d->u.device.sm_clock_mhz = sm;
	d->u.device.max_sm_clock_mhz = max_sm;
	size_t n = count_after(&f, "clock-throttled");
	detfix_free(&f);
	return n;
}

static void clock_throttled(void **state)
{
	(void)state;
	assert_int_equal(throttled_for(0x40, 1980, 1980), 1);  /* HW thermal slowdown */
	assert_int_equal(throttled_for(0x4, 1980, 1980), 1);   /* SW power cap */
	assert_int_equal(throttled_for(0, 1400, 1980), 1);     /* clock 30% low */
	/* Near misses: idle GPU, app clocks, boost wander, unknown. */
	assert_int_equal(throttled_for(0x1, 345, 1980), 0);
	assert_int_equal(throttled_for(0x2, 1980, 1980), 0);
	assert_int_equal(throttled_for(0, 1900, 1980), 0);
	assert_int_equal(throttled_for(REC_NONE, REC_NONE, REC_NONE), 0);
}

static void trace_incomplete(void **state)
{
	(void)state;
	struct detfix f;
	struct record_list out;
	detfix_init(&f);
	detfix_case(&f, 0, 2, 1024);
	struct record *d = detfix_add(&f, REC_DROPPED, 0, IMPL_NONE, REC_NONE, PHASE_TIMING);
	d->u.dropped.count = 0; /* a zero count is a report, not a loss */
	assert_int_equal(count_after(&f, "trace-incomplete"), 0);
	d = detfix_add(&f, REC_DROPPED, 0, IMPL_NONE, REC_NONE, PHASE_TIMING);
	d->u.dropped.count = 12;
	d = detfix_add(&f, REC_DROPPED, 0, IMPL_NONE, REC_NONE, PHASE_TIMING);
	d->u.dropped.count = 30;
	detfix_detect(&f, &out);
	const struct record *r = detfix_find(&out, "trace-incomplete");
	assert_non_null(r);
	assert_int_equal(json_integer_value(json_object_get(r->u.finding.evidence, "dropped")),
			 42);
	assert_string_equal(r->u.finding.severity, "warning");
	record_list_free(&out);
	detfix_free(&f);
}

/* ---- statistics ---- */

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void median_matches_sorting(void **state)
{
	(void)state;
	double v[101], s[101];
	uint64_t x = 88172645463325252ULL;
	for (size_t n = 1; n <= 101; n += 7) {
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			v[i] = s[i] = (double)(x % 1000) / 7.0; /* duplicates too */
		}
		qsort(s, n, sizeof *s, cmp_d);
		double want = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
		assert_true(detect_median(v, n) == want);
	}
	assert_true(isnan(detect_median(v, 0)));
	double with_nan[3] = { NAN, 5, 3 };
	assert_true(detect_median(with_nan, 3) == 4);
}

static void bootstrap_is_deterministic(void **state)
{
	(void)state;
	double a[40], b[40];
	for (int i = 0; i < 40; i++) {
		a[i] = 1000 + fmod(i * 37.13, 23.7) * 3;
		b[i] = 100 + fmod(i * 11.31, 17.3);
	}
	struct detect_ci c1, c2, c3, r1, r2;
	detect_median_ci(a, 40, 42, &c1);
	detect_median_ci(a, 40, 42, &c2);
	detect_median_ci(a, 40, 43, &c3);
	assert_memory_equal(&c1, &c2, sizeof c1);
	assert_true(c1.low <= c1.value && c1.value <= c1.high);
	assert_true(c1.high > c1.low);
	/* Another seed draws other resamples; the interval still holds the median. */
	assert_true(c3.low <= c3.value && c3.value <= c3.high);
	detect_ratio_ci(a, 40, b, 40, 7, &r1);
	detect_ratio_ci(a, 40, b, 40, 7, &r2);
	assert_memory_equal(&r1, &r2, sizeof r1);
	assert_true(r1.low <= r1.value && r1.value <= r1.high);
	assert_true(fabs(r1.value - detect_median(a, 40) / detect_median(b, 40)) < 1e-12);
}

/* A side whose samples are all one value skips its draws (each resample's
 * median is that value); the intervals are still the ones the draws gave
 * (pinned from the code that drew them), and the other side draws the
 * same resamples from its own stream. */
static void bootstrap_of_a_constant_side(void **state)
{
	(void)state;
	double a[40], k[40];
	for (int i = 0; i < 40; i++) {
		a[i] = 1000 + fmod(i * 37.13, 23.7) * 3;
		k[i] = 250;
	}
	struct detect_ci r;
	detect_ratio_ci(a, 40, k, 40, 7, &r);
	assert_true(r.value == 4.1374600000000008);
	assert_true(r.low == 4.0900600000000011 && r.high == 4.1753800000000014);
	detect_ratio_ci(k, 40, a, 40, 7, &r);
	assert_true(r.low == 0.2392275819832923 && r.high == 0.24449519077959728);
	detect_ratio_ci(k, 3, k, 1, 7, &r);
	assert_true(r.value == 1 && r.low == 1 && r.high == 1);
	detect_median_ci(k, 5, 9, &r);
	assert_true(r.value == 250 && r.low == 250 && r.high == 250);
	/* A -0 sample: the interval is +0, as interpolating between draws gave. */
	double z[2] = { -0.0, -0.0 };
	detect_ratio_ci(z, 2, k, 1, 7, &r);
	assert_true(r.low == 0 && !signbit(r.low) && !signbit(r.high));
}

/* ---- verdicts ---- */

static const struct record *claim_verdict(const struct record_list *v)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->v[i].type == REC_VERDICT && v->v[i].case_index == REC_NONE)
			return &v->v[i];
	return NULL;
}

static const struct record *case_verdict(const struct record_list *v, int64_t c)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->v[i].type == REC_VERDICT && v->v[i].case_index == c)
			return &v->v[i];
	return NULL;
}

static void verdicts_of(struct detfix *f, double margin, struct record_list *v)
{
	struct record_list found;
	detfix_detect(f, &found);
	memset(v, 0, sizeof *v);
	assert_int_equal(detect_verdicts(f->l.v, f->l.n, found.v, found.n, margin, v), 0);
	record_list_free(&found);
}

/* An honest case with baseline 200 us, candidate 200/SPEEDUP us. */
static char *verdict_for(double claimed, double speedup, double margin)
{
	struct detfix f;
	struct record_list v;
	detfix_init(&f);
	detfix_device(&f, 2e12);
	detfix_honest_case(&f, 0, claimed, 200000, (int64_t)(200000 / speedup), 2, 3, 6);
	verdicts_of(&f, margin, &v);
	const struct record *r = case_verdict(&v, 0);
	assert_non_null(r);
	char *s = strdup(r->u.verdict.verdict);
	assert_non_null(claim_verdict(&v));
	assert_string_equal(claim_verdict(&v)->u.verdict.verdict, s);
	record_list_free(&v);
	detfix_free(&f);
	return s;
}

static void verdict_reproduced_and_margin(void **state)
{
	(void)state;
	char *s;
	s = verdict_for(10, 10, 0.10);
	assert_string_equal(s, "reproduced");
	free(s);
	s = verdict_for(10, 9.2, 0.10); /* within the 10% margin */
	assert_string_equal(s, "reproduced");
	free(s);
	s = verdict_for(10, 8.8, 0.10); /* just below claimed x 0.9 */
	assert_string_equal(s, "not-reproduced");
	free(s);
	s = verdict_for(10, 9.2, 0.05); /* a tighter margin refutes it */
	assert_string_equal(s, "not-reproduced");
	free(s);
	s = verdict_for(10, 3, 0.10);
	assert_string_equal(s, "not-reproduced");
	free(s);
}

static void verdict_fields(void **state)
{
	(void)state;
	struct detfix f;
	struct record_list v;
	detfix_init(&f);
	detfix_device(&f, 2e12);
	detfix_honest_case(&f, 0, 10, 200000, 20000, 2, 3, 6);
	verdicts_of(&f, 0.10, &v);
	const struct record *r = case_verdict(&v, 0);
	const struct rec_verdict *d = &r->u.verdict;
	assert_string_equal(d->kernel, "synthetic");
	assert_true(fabs(d->baseline_ns - 200000) < 2000);
	assert_true(fabs(d->candidate_ns - 20000) < 200);
	assert_true(fabs(d->measured - 10) < 0.2);
	assert_true(d->ci_low <= d->measured && d->measured <= d->ci_high);
	assert_true(d->claimed == 10);
	assert_int_equal(json_integer_value(json_object_get(d->params, "N")), 1 << 20);
	assert_int_equal(json_array_size(d->findings), 0);
	assert_int_equal(r->phase, PHASE_ANALYSIS);
	record_list_free(&v);
	detfix_free(&f);
}

static void verdict_invalid_error_inconclusive(void **state)
{
	(void)state;
	struct detfix f;
	struct record_list v;
	detfix_init(&f);
	detfix_device(&f, 2e12);
	/* Case 0: honest, reproduced.  Case 1: stale output. */
	detfix_honest_case(&f, 0, 10, 200000, 20000, 2, 3, 6);
	detfix_honest_case(&f, 1, 10, 200000, 20000, 2, 3, 6);
	detfix_check(&f, 1, IMPL_CANDIDATE, 1, "bait", 0, 3);
	/* Case 2: the worker crashed. */
	detfix_case(&f, 2, 10, 1024);
	struct record *e = detfix_add(&f, REC_ERROR, 2, IMPL_NONE, REC_NONE, PHASE_TIMING);
	e->u.error.where = strdup("crash");
	e->u.error.message = strdup("worker killed by signal 11");
	/* Case 3: wildly noisy candidate around the 9x threshold. */
	detfix_case(&f, 3, 10, 1 << 20);
	int64_t call = 0;
	for (int i = 0; i < 12; i++) {
		detfix_timed_call(&f, 3, IMPL_BASELINE, call++, 0, 2 * i, f.t, 200000, 1);
		f.t += 300000;
		int64_t ns = i % 2 ? 14000 : 34000;
		detfix_timed_call(&f, 3, IMPL_CANDIDATE, call++, 0, 2 * i + 1, f.t, ns, 1);
		f.t += 300000;
	}
	verdicts_of(&f, 0.10, &v);
	assert_string_equal(case_verdict(&v, 0)->u.verdict.verdict, "reproduced");
	const struct record *r1 = case_verdict(&v, 1);
	assert_string_equal(r1->u.verdict.verdict, "invalid");
	assert_string_equal(json_string_value(json_array_get(r1->u.verdict.findings, 0)),
			    "stale-output");
	assert_non_null(strstr(r1->u.verdict.reason, "stale-output"));
	assert_string_equal(case_verdict(&v, 2)->u.verdict.verdict, "error");
	assert_non_null(strstr(case_verdict(&v, 2)->u.verdict.reason, "signal 11"));
	const struct record *r3 = case_verdict(&v, 3);
	assert_string_equal(r3->u.verdict.verdict, "inconclusive");
	assert_true(r3->u.verdict.ci_low < 9 && r3->u.verdict.ci_high > 9);
	/* The claim is the worst: invalid. */
	const struct record *c = claim_verdict(&v);
	assert_string_equal(c->u.verdict.verdict, "invalid");
	assert_string_equal(c->u.verdict.kernel, "synthetic");
	assert_int_equal(v.n, 5);
	record_list_free(&v);
	detfix_free(&f);
}

static void verdict_claim_order(void **state)
{
	(void)state;
	struct detfix f;
	struct record_list v;
	detfix_init(&f);
	detfix_device(&f, 2e12);
	detfix_honest_case(&f, 0, 10, 200000, 20000, 2, 3, 6);   /* reproduced */
	detfix_honest_case(&f, 1, 10, 200000, 50000, 2, 3, 6);   /* not-reproduced */
	detfix_case(&f, 2, 10, 1024);                           /* no samples: error */
	verdicts_of(&f, 0.10, &v);
	assert_string_equal(case_verdict(&v, 1)->u.verdict.verdict, "not-reproduced");
	assert_string_equal(case_verdict(&v, 2)->u.verdict.verdict, "error");
	assert_string_equal(claim_verdict(&v)->u.verdict.verdict, "error");
	record_list_free(&v);
	detfix_free(&f);

	/* No cases at all: the claim could not be audited. */
	detfix_init(&f);
	verdicts_of(&f, 0.10, &v);
	assert_int_equal(v.n, 1);
	assert_string_equal(claim_verdict(&v)->u.verdict.verdict, "error");
	record_list_free(&v);
	detfix_free(&f);
}

/* check recomputes verdicts from a stored trace: same numbers, bit for bit. */
static void verdicts_are_reproducible(void **state)
{
	(void)state;
	struct detfix f;
	struct record_list v1, v2;
	detfix_init(&f);
	detfix_device(&f, 2e12);
	detfix_honest_case(&f, 0, 10, 200000, 21000, 2, 3, 6);
	verdicts_of(&f, 0.10, &v1);
	verdicts_of(&f, 0.10, &v2);
	assert_int_equal(v1.n, v2.n);
	for (size_t i = 0; i < v1.n; i++) {
		char *a, *b;
		size_t la, lb;
		assert_int_equal(record_encode_line(&v1.v[i], &a, &la), 0);
		assert_int_equal(record_encode_line(&v2.v[i], &b, &lb), 0);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	record_list_free(&v1);
	record_list_free(&v2);
	detfix_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unstable_timing),
		cmocka_unit_test(launch_bound),
		cmocka_unit_test(tracing_overhead),
		cmocka_unit_test(clock_throttled),
		cmocka_unit_test(trace_incomplete),
		cmocka_unit_test(median_matches_sorting),
		cmocka_unit_test(bootstrap_is_deterministic),
		cmocka_unit_test(bootstrap_of_a_constant_side),
		cmocka_unit_test(verdict_reproduced_and_margin),
		cmocka_unit_test(verdict_fields),
		cmocka_unit_test(verdict_invalid_error_inconclusive),
		cmocka_unit_test(verdict_claim_order),
		cmocka_unit_test(verdicts_are_reproducible),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
