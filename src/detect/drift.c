/*
 * drift.c - work-drift: a call of an implementation does far less GPU work
 * than the typical earlier call of the same implementation in the case,
 * although every call gets other inputs.  This is how batch-and-skip (the
 * first call computes every answer, later calls do nothing), warm-up
 * detection (real work until the timed calls start) and memoisation show
 * up in the trace.
 *
 * A call's work is its GPU busy time: summed kernel, memcpy and memset
 * durations of the implementation (bytes moved and kernel counts go into
 * the evidence).  Each call is compared with the running median of the
 * calls before it, so a majority of skipping calls cannot drag the
 * reference down; a call doing MORE than the reference is never flagged,
 * which keeps first-call setup (a cuBLAS handle, a cached workspace, extra
 * small kernels on call 0 only) out of it unless that setup is several
 * times the real work (DRIFT_FRACTION).
 *
 * Only calls known to be traced are compared: timed calls whose sample
 * says traced, and correctness trials (always traced).  Untraced control
 * samples and warm-up calls have no activity to compare.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/detect_private.h"

/* A call doing less than a quarter of the reference's busy time is drift.
 * Honest calls of one kernel on same-shaped inputs vary by well under 2x
 * (clocks, L2 state after the flush); a quarter leaves room for that and
 * for first-call setup up to 3x the steady work. */
#define DRIFT_FRACTION 0.25
/* The reference needs this many earlier calls: one call alone may be the
 * one that paid for setup. */
#define DRIFT_MIN_EARLIER 2
/* Below 1 us of reference busy time the comparison is timer resolution,
 * not work; only a call with no GPU work at all is then judged. */
#define DRIFT_MIN_REF_NS 1000.0

/* Running median: a max-heap of the lower half and a max-heap of the
 * negated upper half. */
struct heap {
	double *v;
	size_t n, cap;
};

static void heap_push(struct heap *h, double x)
{
	xgrow((void **)&h->v, &h->cap, h->n + 1, sizeof *h->v);
	size_t i = h->n++;
	while (i > 0 && h->v[(i - 1) / 2] < x) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = x;
}

static double heap_pop(struct heap *h)
{
	double top = h->v[0], x = h->v[--h->n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1] > h->v[c])
			c++;
		if (h->v[c] <= x)
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n)
		h->v[i] = x;
	return top;
}

struct runmed {
	struct heap lo, hi;
};

static void runmed_add(struct runmed *m, double x)
{
	if (m->lo.n == 0 || x <= m->lo.v[0])
		heap_push(&m->lo, x);
	else
		heap_push(&m->hi, -x);
	if (m->lo.n > m->hi.n + 1)
		heap_push(&m->hi, -heap_pop(&m->lo));
	else if (m->hi.n > m->lo.n)
		heap_push(&m->lo, -heap_pop(&m->hi));
}

static double runmed_get(const struct runmed *m)
{
	return m->lo.n > m->hi.n ? m->lo.v[0] : (m->lo.v[0] - m->hi.v[0]) / 2;
}

static void runmed_free(struct runmed *m)
{
	free(m->lo.v);
	free(m->hi.v);
	memset(m, 0, sizeof *m);
}

struct profile {
	int64_t kernels;
	double bytes, busy_ns;
};

static int traced_call(const struct detect_call *k)
{
	if (k->sample)
		return k->sample->u.sample.traced != 0;
	for (size_t i = 0; i < k->n; i++)
		if (k->recs[i]->phase == PHASE_CORRECTNESS)
			return 1;
	return 0;
}

static struct profile call_profile(const struct detect_call *k, struct detect_ids *ids)
{
	struct profile p = { 0, 0, 0 };
	for (size_t i = 0; i < k->n; i++) {
		const struct record *r = k->recs[i];
		if (!detect_is_gpu_work(r) || r->impl != k->impl)
			continue;
		/* In double: forged timestamps must not overflow. */
		double d = (double)detect_work_end(r) - (double)detect_work_start(r);
		p.busy_ns += d > 0 ? d : 0;
		if (r->type == REC_KERNEL)
			p.kernels++;
		else if (r->type == REC_MEMCPY && r->u.memcpy.bytes > 0)
			p.bytes += (double)r->u.memcpy.bytes;
		else if (r->type == REC_MEMSET && r->u.memset.bytes > 0)
			p.bytes += (double)r->u.memset.bytes;
		if (ids)
			detect_ids_add(ids, r);
	}
	return p;
}

struct drift {
	const struct detect_call *first;
	struct profile got;
	double ref_busy, ref_kernels;
	int64_t calls, compared;
};

static void judge_impl(const struct detect_case *c, enum record_impl impl, struct drift *d)
{
	struct runmed busy, kern;
	memset(&busy, 0, sizeof busy);
	memset(&kern, 0, sizeof kern);
	size_t earlier = 0;
	for (size_t i = 0; i < c->ncalls; i++) {
		const struct detect_call *k = &c->calls[i];
		if (k->impl != impl || !traced_call(k))
			continue;
		struct profile p = call_profile(k, NULL);
		if (earlier >= DRIFT_MIN_EARLIER) {
			double rb = runmed_get(&busy), rk = runmed_get(&kern);
			int less = rb >= DRIFT_MIN_REF_NS && p.busy_ns < DRIFT_FRACTION * rb;
			int idle = rk >= 1 && p.kernels == 0 && p.bytes == 0;
			d->compared++;
			if (less || idle) {
				d->calls++;
				if (!d->first) {
					d->first = k;
					d->got = p;
					d->ref_busy = rb;
					d->ref_kernels = rk;
				}
			}
		}
		runmed_add(&busy, p.busy_ns);
		runmed_add(&kern, (double)p.kernels);
		earlier++;
	}
	runmed_free(&busy);
	runmed_free(&kern);
}

void detect_work_drift(const struct detect_index *ix, struct record_list *out)
{
	for (size_t ci = 0; ci < ix->ncases; ci++) {
		const struct detect_case *c = &ix->cases[ci];
		for (int impl = IMPL_BASELINE; impl <= IMPL_CANDIDATE; impl++) {
			struct drift d;
			memset(&d, 0, sizeof d);
			judge_impl(c, (enum record_impl)impl, &d);
			if (!d.first)
				continue;
			const struct detect_call *k = d.first;
			struct detect_ids ids;
			detect_ids_init(&ids);
			if (k->sample)
				detect_ids_add(&ids, k->sample);
			(void)call_profile(k, &ids);
			json_t *ev = json_object();
			json_object_set_new(ev, "busy_ns", json_real(d.got.busy_ns));
			json_object_set_new(ev, "kernels", json_integer(d.got.kernels));
			json_object_set_new(ev, "bytes", json_real(d.got.bytes));
			json_object_set_new(ev, "reference_busy_ns", json_real(d.ref_busy));
			json_object_set_new(ev, "reference_kernels", json_real(d.ref_kernels));
			json_object_set_new(ev, "fraction", json_real(DRIFT_FRACTION));
			json_object_set_new(ev, "calls", json_integer(d.calls));
			json_object_set_new(ev, "compared", json_integer(d.compared));
			detect_ids_into(&ids, ev);
			detect_emit(out, c->case_index, (enum record_impl)impl, "work-drift",
				    k->call, REC_NONE,
				    k->sample ? k->sample->u.sample.index : REC_NONE, ev,
				    "%s: call %lld did %.0f ns of GPU work (%lld kernels) against "
				    "a median of %.0f ns over earlier calls (%lld of %lld calls "
				    "below %.0f%%)",
				    record_impl_name((enum record_impl)impl), (long long)k->call,
				    d.got.busy_ns, (long long)d.got.kernels, d.ref_busy,
				    (long long)d.calls, (long long)d.compared, DRIFT_FRACTION * 100);
		}
	}
}
