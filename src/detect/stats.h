/*
 * stats.h - timing statistics: medians and deterministic bootstrap
 * confidence intervals.
 *
 * Deterministic because `check` must recompute, years later and on another
 * machine, exactly the numbers `verify` wrote: the bootstrap draws come from
 * the counter-based generator of src/util/rng.h seeded by the caller (the
 * case's seed), never from a clock or rand().
 */
#ifndef KAUDIT_DETECT_STATS_H
#define KAUDIT_DETECT_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Resamples per bootstrap: 2000 keeps the 2.5/97.5 percentiles stable to
 * about 1% of the interval width, and costs a few ms for 1000 samples. */
#define STATS_BOOTSTRAP_ROUNDS 2000
/* Samples kept for a bootstrap: above this the values are thinned evenly
 * (a ceiling on the work, see the >= 250k records/s target of check). */
#define STATS_BOOTSTRAP_MAX_N 2048

/* A median with its 95% bootstrap interval; NaN when N is 0. */
struct detect_ci {
	double value, low, high;
	size_t n;
};

/* Median of V[0..N) (V is not modified); NaN for N == 0. NaN values are
 * ignored. */
double detect_median(const double *v, size_t n);

/* Median of V and its 95% percentile-bootstrap interval. */
void detect_median_ci(const double *v, size_t n, uint64_t seed, struct detect_ci *out);

/* Speedup NUM/DEN of medians (baseline time over candidate time) and its
 * 95% interval, resampling both sides independently. */
void detect_ratio_ci(const double *num, size_t nnum, const double *den, size_t nden,
		    uint64_t seed, struct detect_ci *out);

#endif
