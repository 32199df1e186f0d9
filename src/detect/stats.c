/*
 * stats.c - medians and percentile-bootstrap intervals (see stats.h).
 */
#include "detect/stats.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util/rng.h"
#include "util/util.h"

/* Copies the finite values of V into a new array, thinned evenly to at
 * most STATS_BOOTSTRAP_MAX_N (the values are in trace order, so an even
 * thinning keeps every round represented). */
static double *finite_copy(const double *v, size_t n, size_t *out_n)
{
	double *c = xmalloc((n ? n : 1) * sizeof *c);
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i]))
			c[m++] = v[i];
	if (m > STATS_BOOTSTRAP_MAX_N) {
		/* Index k*m/keep is increasing in k and >= k: in place is safe. */
		size_t keep = STATS_BOOTSTRAP_MAX_N;
		for (size_t k = 0; k < keep; k++)
			c[k] = c[(uint64_t)k * m / keep];
		m = keep;
	}
	*out_n = m;
	return c;
}

/* Wirth's selection: afterwards v[k] is the k-th smallest, everything
 * before it is <= v[k] and everything after >= v[k].  Expected O(n). */
static double select_kth(double *v, size_t n, size_t k)
{
	ptrdiff_t l = 0, m = (ptrdiff_t)n - 1, kk = (ptrdiff_t)k;
	while (l < m) {
		double x = v[kk];
		ptrdiff_t i = l, j = m;
		do {
			while (v[i] < x)
				i++;
			while (x < v[j])
				j--;
			if (i <= j) {
				double t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				j--;
			}
		} while (i <= j);
		if (j < kk)
			l = i;
		if (kk < i)
			m = j;
	}
	return v[k];
}

/* Median of the N finite values in V (reordered). */
static double median_inplace(double *v, size_t n)
{
	size_t h = n / 2;
	double upper = select_kth(v, n, h);
	if (n % 2)
		return upper;
	/* The lower middle is the largest of v[0..h) after selection. */
	double lower = v[0];
	for (size_t i = 1; i < h; i++)
		if (v[i] > lower)
			lower = v[i];
	return (lower + upper) / 2;
}

double detect_median(const double *v, size_t n)
{
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		m += isfinite(v[i]) != 0;
	if (m == 0)
		return NAN;
	double *c = xmalloc(m * sizeof *c);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i]))
			c[k++] = v[i];
	double med = median_inplace(c, m);
	free(c);
	return med;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Percentile P (0..1) of sorted V[0..N), linear interpolation. */
static double percentile(const double *v, size_t n, double p)
{
	double pos = p * (double)(n - 1);
	size_t i = (size_t)pos;
	if (i + 1 >= n)
		return v[n - 1];
	double f = pos - (double)i;
	return v[i] + f * (v[i + 1] - v[i]);
}

/* Median of a resample (with replacement) of SORTED V, drawn from
 * generator position *CTR of SEED.  Counting how often each position is
 * drawn and walking the counts finds the middle order statistics in O(n)
 * without sorting or selecting the resample. */
static double resample_median(const double *v, size_t n, uint32_t *cnt, uint64_t seed,
			      uint64_t *ctr)
{
	memset(cnt, 0, n * sizeof *cnt);
	for (size_t i = 0; i < n; i++) {
		/* High 32 bits times n: an unbiased-enough index without a
		 * division (n <= STATS_BOOTSTRAP_MAX_N). */
		uint64_t h = rng_hash(seed, (*ctr)++) >> 32;
		cnt[(h * n) >> 32]++;
	}
	size_t lo_rank = (n - 1) / 2, hi_rank = n / 2, cum = 0;
	double lo = NAN;
	for (size_t j = 0; j < n; j++) {
		cum += cnt[j];
		if (isnan(lo) && cum > lo_rank)
			lo = v[j];
		if (cum > hi_rank)
			return (lo + v[j]) / 2;
	}
	return v[n - 1];
}

/* 1 when every value of sorted V[0..N) is the same: each resample of V
 * then has that median, whatever the draws, and the bootstrap can skip
 * them (a case of one sample per side, the common small case). */
static int constant(const double *v, size_t n)
{
	return n == 0 || v[0] == v[n - 1];
}

static void interval(double *stat, size_t b, struct detect_ci *out)
{
	size_t m = 0, sorted = 1;
	for (size_t i = 0; i < b; i++)
		if (isfinite(stat[i])) {
			sorted &= m == 0 || stat[m - 1] <= stat[i];
			stat[m++] = stat[i];
		}
	if (m == 0) {
		out->low = out->high = NAN;
		return;
	}
	if (!sorted) /* a sorted run (a constant one above all) is its own sort */
		xsort(stat, m, sizeof *stat, cmp_double);
	out->low = percentile(stat, m, 0.025);
	out->high = percentile(stat, m, 0.975);
}

/* interval() of STATS_BOOTSTRAP_ROUNDS copies of V, without making them:
 * percentile() of any run of one finite value is what it gives for two. */
static void point_interval(double v, struct detect_ci *out)
{
	if (!isfinite(v)) {
		out->low = out->high = NAN;
		return;
	}
	const double two[2] = { v, v };
	out->low = percentile(two, 2, 0.025);
	out->high = percentile(two, 2, 0.975);
}

void detect_median_ci(const double *v, size_t n, uint64_t seed, struct detect_ci *out)
{
	size_t m;
	double *c = finite_copy(v, n, &m);
	out->n = m;
	out->value = out->low = out->high = NAN;
	if (m == 0) {
		free(c);
		return;
	}
	out->value = detect_median(v, n);
	xsort(c, m, sizeof *c, cmp_double);
	if (constant(c, m)) { /* every resample's median: what the draws give */
		point_interval((c[0] + c[0]) / 2, out);
		free(c);
		return;
	}
	uint32_t *scratch = xmalloc(m * sizeof *scratch);
	double *stat = xmalloc(STATS_BOOTSTRAP_ROUNDS * sizeof *stat);
	uint64_t ctr = 0;
	for (size_t r = 0; r < STATS_BOOTSTRAP_ROUNDS; r++)
		stat[r] = resample_median(c, m, scratch, seed, &ctr);
	interval(stat, STATS_BOOTSTRAP_ROUNDS, out);
	free(stat);
	free(scratch);
	free(c);
}

void detect_ratio_ci(const double *num, size_t nnum, const double *den, size_t nden,
		    uint64_t seed, struct detect_ci *out)
{
	size_t a, b;
	double *ca = finite_copy(num, nnum, &a);
	double *cb = finite_copy(den, nden, &b);
	out->n = a < b ? a : b;
	out->value = out->low = out->high = NAN;
	if (a && b) {
		double md = detect_median(den, nden);
		if (md > 0)
			out->value = detect_median(num, nnum) / md;
		xsort(ca, a, sizeof *ca, cmp_double);
		xsort(cb, b, sizeof *cb, cmp_double);
		/* A constant side draws nothing: the other side's stream is its
		 * own, so its draws are the same either way. */
		int fa = constant(ca, a), fb = constant(cb, b);
		if (fa && fb) {
			double x = (ca[0] + ca[0]) / 2, y = (cb[0] + cb[0]) / 2;
			point_interval(y > 0 ? x / y : NAN, out);
			free(ca);
			free(cb);
			return;
		}
		uint32_t *sa = xmalloc(a * sizeof *sa), *sb = xmalloc(b * sizeof *sb);
		double *stat = xmalloc(STATS_BOOTSTRAP_ROUNDS * sizeof *stat);
		/* Two independent generator streams, one per side. */
		uint64_t seed_b = rng_hash(seed, 0x5eedULL), ca_ctr = 0, cb_ctr = 0;
		for (size_t r = 0; r < STATS_BOOTSTRAP_ROUNDS; r++) {
			double x = fa ? (ca[0] + ca[0]) / 2 : resample_median(ca, a, sa, seed, &ca_ctr);
			double y = fb ? (cb[0] + cb[0]) / 2
				  : resample_median(cb, b, sb, seed_b, &cb_ctr);
			stat[r] = y > 0 ? x / y : NAN;
		}
		interval(stat, STATS_BOOTSTRAP_ROUNDS, out);
		free(stat);
		free(sa);
		free(sb);
	}
	free(ca);
	free(cb);
}
