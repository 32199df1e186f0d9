/*
 * stats.c - the little statistics the timing phase needs to decide when a
 * round has enough samples.  (Reported medians and bootstrap intervals are
 * computed from the trace by the detectors, not here.)
 */
#include "audit_private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double stats_median(double *v, size_t n)
{
	if (n == 0)
		return NAN;
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Standard error of the median relative to it: 1.2533 sigma / sqrt(n),
 * with sigma estimated robustly as 1.4826 MAD (outliers from a busy host
 * must not keep a round running forever).  Infinite when there is too
 * little to judge. */
double stats_rel_noise(const double *v, size_t n)
{
	if (n < 3)
		return INFINITY;
	double *w = xmalloc(n * sizeof *w);
	memcpy(w, v, n * sizeof *w);
	double med = stats_median(w, n);
	for (size_t i = 0; i < n; i++)
		w[i] = fabs(w[i] - med);
	double mad = stats_median(w, n);
	free(w);
	if (!(med > 0))
		return INFINITY;
	return 1.2533 * 1.4826 * mad / med / sqrt((double)n);
}
