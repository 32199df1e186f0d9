/*
 * bench_detect.c - re-analysis speed: detect_all + detect_verdicts over a
 * synthetic audit of about a million records.  `kaudit check` must
 * re-analyse at least 250,000 records/s (the detectors issue); exits 1 when
 * slower.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "detect/detect.h"

#define CASES 8
#define CALLS 12000 /* per case: 8 records each */

static struct record *add(struct record_list *l, enum record_type t, int64_t c, int64_t call,
			  enum record_impl impl)
{
	struct record r;
	record_init(&r, t);
	r.id = (int64_t)l->n + 1;
	r.case_index = c;
	r.call = call;
	r.impl = impl;
	r.phase = PHASE_TIMING;
	record_list_push(l, &r);
	return &l->v[l->n - 1];
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	struct record_list l = { 0 };
	struct record *d = add(&l, REC_DEVICE, REC_NONE, REC_NONE, IMPL_NONE);
	d->u.device.name = strdup("bench");
	d->u.device.peak_bw = 2e12;
	int64_t t = 1000000, corr = 1;
	for (int c = 0; c < CASES; c++) {
		struct record *k = add(&l, REC_CASE, c, REC_NONE, IMPL_NONE);
		k->u.kase.kernel = strdup("bench");
		k->u.kase.seed = c;
		k->u.kase.claimed = 5;
		for (int64_t call = 0; call < CALLS; call++) {
			enum record_impl impl = call % 2 ? IMPL_CANDIDATE : IMPL_BASELINE;
			int64_t ns = impl == IMPL_BASELINE ? 100000 + call % 7 : 20000 + call % 5;
			struct record *e = add(&l, REC_EVENT, c, call, IMPL_HARNESS);
			e->u.event.stream = 7, e->u.event.ts = t, e->u.event.role = strdup("start");
			struct record *a = add(&l, REC_API, c, call, impl);
			a->u.api.name = strdup("cudaLaunchKernel");
			a->u.api.stream = 7, a->u.api.corr = corr, a->u.api.start = t;
			a->u.api.in_call = 1, a->u.api.thread = 1;
			for (int j = 0; j < 3; j++) {
				struct record *kk = add(&l, REC_KERNEL, c, call, impl);
				kk->u.kernel.name = strdup("k");
				kk->u.kernel.stream = 7, kk->u.kernel.corr = corr;
				kk->u.kernel.start = t + j * ns / 3;
				kk->u.kernel.end = t + (j + 1) * ns / 3;
			}
			corr++;
			e = add(&l, REC_EVENT, c, call, IMPL_HARNESS);
			e->u.event.stream = 7, e->u.event.ts = t + ns, e->u.event.role = strdup("stop");
			struct record *a2 = add(&l, REC_API, c, call, impl);
			a2->u.api.name = strdup("cudaGetLastError");
			a2->u.api.in_call = 1, a2->u.api.thread = 1;
			struct record *s = add(&l, REC_SAMPLE, c, call, impl);
			s->u.sample.round = call * 3 / CALLS, s->u.sample.index = call;
			s->u.sample.event_ns = (double)ns, s->u.sample.span_ns = (double)ns;
			s->u.sample.window_start = t, s->u.sample.window_end = t + ns;
			s->u.sample.traced = 1;
			t += ns + 10000;
		}
	}
	double t0 = now();
	struct record_list f = { 0 }, v = { 0 };
	if (detect_all(l.v, l.n, &f) || detect_verdicts(l.v, l.n, f.v, f.n, 0.1, &v))
		return 2;
	double dt = now() - t0;
	double rate = (double)l.n / dt;
	printf("bench_detect: %zu records, %zu findings, %zu verdicts in %.3f s: %.0f records/s\n",
	       l.n, f.n, v.n, dt, rate);
	record_list_free(&f);
	record_list_free(&v);
	record_list_free(&l);
	return rate >= 250000 ? 0 : 1;
}
