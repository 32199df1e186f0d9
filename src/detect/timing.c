/*
 * timing.c - warnings about the timing itself: unstable-timing (rounds
 * disagree beyond noise), launch-bound (times so short that launch overhead
 * dominates) and tracing-overhead (traced and untraced timings differ).
 * The times are the harness's event times of the samples.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/rng.h"
#include "detect/detect_private.h"
#include "detect/stats.h"

/* Round medians further apart than 10% (max/min) are not noise: the
 * sampler stops at 0.5% relative noise, so honest rounds agree to a few
 * percent; 10% is "ran the benchmark twice with wildly different results".
 * The spread must also leave the overall median's 95% interval. */
#define UNSTABLE_RATIO 0.10
/* A round median needs this many samples to mean anything. */
#define UNSTABLE_MIN_PER_ROUND 3
/* Below 10 us a kernel launch plus two event records (3-5 us on current
 * GPUs and drivers) is a third or more of the measurement. */
#define LAUNCH_BOUND_NS 10000.0
/* Traced and untraced medians more than 10% apart: CUPTI changed what was
 * measured, so the traced timings (and their speedup) are suspect. */
#define TRACING_OVERHEAD_RATIO 0.10
/* Fewest samples on each side for a tracing-overhead comparison. */
#define TRACING_MIN_SAMPLES 3

/* Bootstrap seed for a statistic of case C: the case's seed (recorded in
 * the trace, so `check` draws the same resamples), the impl and a purpose
 * tag. */
static uint64_t seed_for(const struct detect_case *c, enum record_impl impl, uint64_t tag)
{
	int64_t s = c->kase && c->kase->u.kase.seed != REC_NONE ? c->kase->u.kase.seed
								 : c->case_index;
	return rng_derive((uint64_t)s, (uint64_t)impl, tag);
}

struct rv {
	int64_t round;
	double v;
};

static int cmp_rv(const void *pa, const void *pb)
{
	const struct rv *a = pa, *b = pb;
	if (a->round != b->round)
		return (a->round > b->round) - (a->round < b->round);
	return (a->v > b->v) - (a->v < b->v);
}

static double *times(const struct record **s, size_t n)
{
	double *v = xmalloc((n ? n : 1) * sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = detect_sample_ns(s[i]);
	return v;
}

static void unstable(const struct detect_case *c, enum record_impl impl,
		     const struct record **s, size_t n, struct record_list *out)
{
	struct rv *rv = xmalloc((n ? n : 1) * sizeof *rv);
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i]->u.sample.round != REC_NONE && isfinite(detect_sample_ns(s[i])))
			rv[m++] = (struct rv){ s[i]->u.sample.round, detect_sample_ns(s[i]) };
	xsort(rv, m, sizeof *rv, cmp_rv);
	json_t *rounds = json_array();
	double lo = INFINITY, hi = -INFINITY;
	double *vals = xmalloc((m ? m : 1) * sizeof *vals);
	for (size_t i = 0; i < m;) {
		size_t j = i;
		while (j < m && rv[j].round == rv[i].round)
			j++;
		if (j - i >= UNSTABLE_MIN_PER_ROUND) {
			for (size_t t = i; t < j; t++)
				vals[t - i] = rv[t].v;
			double med = detect_median(vals, j - i);
			json_array_append_new(rounds, json_pack("{sI sf sI}", "round",
								(json_int_t)rv[i].round,
								"median_ns", med, "n",
								(json_int_t)(j - i)));
			lo = fmin(lo, med);
			hi = fmax(hi, med);
		}
		i = j;
	}
	free(vals);
	free(rv);
	if (json_array_size(rounds) < 2 || !(hi > lo * (1 + UNSTABLE_RATIO))) {
		json_decref(rounds);
		return;
	}
	double *v = times(s, n);
	struct detect_ci ci;
	detect_median_ci(v, n, seed_for(c, impl, 1), &ci);
	free(v);
	if (!(hi > ci.high || lo < ci.low)) {
		json_decref(rounds);
		return;
	}
	json_t *ev = json_object();
	json_object_set_new(ev, "rounds", rounds);
	json_object_set_new(ev, "ratio", json_real(hi / lo));
	json_object_set_new(ev, "threshold", json_real(1 + UNSTABLE_RATIO));
	json_object_set_new(ev, "median_ns", json_real(ci.value));
	json_object_set_new(ev, "ci_low", json_real(ci.low));
	json_object_set_new(ev, "ci_high", json_real(ci.high));
	struct detect_ids ids;
	detect_ids_init(&ids);
	for (size_t i = 0; i < n; i++)
		detect_ids_add(&ids, s[i]);
	detect_ids_into(&ids, ev);
	detect_emit(out, c->case_index, impl, "unstable-timing", REC_NONE, REC_NONE, REC_NONE,
		    ev, "%s: round medians range from %.0f to %.0f ns (x%.2f), beyond the "
		    "95%% interval %.0f-%.0f ns of the median",
		    record_impl_name(impl), lo, hi, hi / lo, ci.low, ci.high);
}

static void launch_bound(const struct detect_case *c, enum record_impl impl,
			 const struct record **s, size_t n, struct record_list *out)
{
	double *v = times(s, n);
	double med = detect_median(v, n);
	free(v);
	if (!(med < LAUNCH_BOUND_NS))
		return;
	json_t *ev = json_object();
	json_object_set_new(ev, "median_ns", json_real(med));
	json_object_set_new(ev, "threshold_ns", json_real(LAUNCH_BOUND_NS));
	json_object_set_new(ev, "samples", json_integer((json_int_t)n));
	struct detect_ids ids;
	detect_ids_init(&ids);
	for (size_t i = 0; i < n; i++)
		detect_ids_add(&ids, s[i]);
	detect_ids_into(&ids, ev);
	detect_emit(out, c->case_index, impl, "launch-bound", REC_NONE, REC_NONE, REC_NONE, ev,
		    "%s: median time %.0f ns is under %.0f ns: launch overhead dominates",
		    record_impl_name(impl), med, LAUNCH_BOUND_NS);
}

static void overhead(const struct detect_case *c, enum record_impl impl,
		     const struct record **t, size_t nt, struct record_list *out)
{
	const struct record **u;
	size_t nu = detect_case_samples(c, impl, 0, &u);
	if (nt < TRACING_MIN_SAMPLES || nu < TRACING_MIN_SAMPLES) {
		free(u);
		return;
	}
	double *vt = times(t, nt), *vu = times(u, nu);
	struct detect_ci ct, cu;
	detect_median_ci(vt, nt, seed_for(c, impl, 2), &ct);
	detect_median_ci(vu, nu, seed_for(c, impl, 3), &cu);
	free(vt);
	free(vu);
	double rel = ct.value / cu.value - 1;
	int apart = ct.low > cu.high || cu.low > ct.high;
	if (isfinite(rel) && fabs(rel) > TRACING_OVERHEAD_RATIO && apart) {
		json_t *ev = json_object();
		json_object_set_new(ev, "traced_ns", json_real(ct.value));
		json_object_set_new(ev, "untraced_ns", json_real(cu.value));
		json_object_set_new(ev, "relative", json_real(rel));
		json_object_set_new(ev, "threshold", json_real(TRACING_OVERHEAD_RATIO));
		struct detect_ids ids;
		detect_ids_init(&ids);
		for (size_t i = 0; i < nu; i++)
			detect_ids_add(&ids, u[i]);
		detect_ids_into(&ids, ev);
		detect_emit(out, c->case_index, impl, "tracing-overhead", REC_NONE, REC_NONE,
			    REC_NONE, ev,
			    "%s: traced median %.0f ns vs untraced %.0f ns (%+.1f%%)",
			    record_impl_name(impl), ct.value, cu.value, rel * 100);
	}
	free(u);
}

void detect_timing_health(const struct detect_index *ix, struct record_list *out)
{
	for (size_t ci = 0; ci < ix->ncases; ci++) {
		const struct detect_case *c = &ix->cases[ci];
		for (int impl = IMPL_BASELINE; impl <= IMPL_CANDIDATE; impl++) {
			const struct record **s;
			size_t n = detect_case_samples(c, (enum record_impl)impl, 1, &s);
			if (n > 0) {
				unstable(c, (enum record_impl)impl, s, n, out);
				launch_bound(c, (enum record_impl)impl, s, n, out);
				overhead(c, (enum record_impl)impl, s, n, out);
			}
			free(s);
		}
	}
}
