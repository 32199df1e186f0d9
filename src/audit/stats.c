/*
 * stats.c - the little statistics the timing phase needs to decide when a
 * round has enough samples.  (Reported medians and bootstrap intervals are
 * computed from the trace by the detectors, not here.)
 */
#include "audit/audit_private.h"
#include "detect/stats.h"

#include <math.h>
#include <stdlib.h>

/* Standard error of the median relative to it: 1.2533 sigma / sqrt(n),
 * with sigma estimated robustly as 1.4826 MAD (outliers from a busy host
 * must not keep a round running forever).  Infinite when there is too
 * little to judge. */
double stats_rel_noise(const double *v, size_t n)
{
	if (n < 3)
		return INFINITY;
	double med = detect_median(v, n);
	double *w = xmalloc(n * sizeof *w);
	for (size_t i = 0; i < n; i++)
		w[i] = fabs(v[i] - med);
	double mad = detect_median(w, n);
	free(w);
	if (!(med > 0))
		return INFINITY;
	return 1.2533 * 1.4826 * mad / med / sqrt((double)n);
}
