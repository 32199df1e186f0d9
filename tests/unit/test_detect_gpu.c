/*
 * test_detect_gpu.c - detectors over what the GPU did: foreign-stream,
 * timing-escape, deferred-launch, work-drift, roofline-violation.  Each has
 * cases that must trigger it and near misses that must not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>

#include "detect/detect.h"
#include "detect_fixtures.h"

#define H DETFIX_HARNESS_STREAM
#define S DETFIX_SIDE_STREAM

static size_t count_after(struct detfix *f, const char *code)
{
	struct record_list out;
	detfix_detect(f, &out);
	size_t n = detfix_count(&out, code, REC_NONE, IMPL_NONE);
	record_list_free(&out);
	return n;
}

/* ---- foreign-stream ---- */

/* A timed candidate call that also runs a kernel on a side stream; JOIN
 * selects how (if at all) it is joined back. */
enum join { NO_JOIN, JOIN_API, JOIN_EVENT_SYNC, JOIN_WAIT_FIRST, JOIN_RECORD_EARLY };

static size_t side_stream_call(enum join join, int timed)
{
	struct detfix f;
	detfix_init(&f);
	detfix_device(&f, 2e12);
	int64_t call = detfix_honest_case(&f, 0, 10, 200000, 20000, 2, 2, 4);
	int64_t t0 = f.t;
	if (!timed) {
		/* An untimed trial: the harness stream comes from the case. */
		detfix_trial_call(&f, 0, IMPL_CANDIDATE, call, 9, t0, 10000);
	} else {
		struct record *s = detfix_timed_call(&f, 0, IMPL_CANDIDATE, call, 1, 99, t0,
						     30000, 1);
		(void)s;
	}
	/* Side-stream work, launched at host time t0 + 2000 - 3000. */
	detfix_launch(&f, 0, IMPL_CANDIDATE, call, S, t0 + 2000, t0 + 12000, 1);
	switch (join) {
	case NO_JOIN:
		break;
	case JOIN_API:
		detfix_api(&f, 0, IMPL_CANDIDATE, call, "cudaEventRecord", S, 55, t0 + 100, 1);
		detfix_api(&f, 0, IMPL_CANDIDATE, call, "cudaStreamWaitEvent", H, 55, t0 + 200,
			   1);
		break;
	case JOIN_EVENT_SYNC: {
		struct record *e = detfix_add(&f, REC_EVENT, 0, IMPL_CANDIDATE, call,
					      PHASE_TIMING);
		e->u.event.event = 56;
		e->u.event.stream = S;
		e->u.event.ts = t0 + 12010;
		struct record *w = detfix_add(&f, REC_SYNC, 0, IMPL_CANDIDATE, call,
					      PHASE_TIMING);
		w->u.sync.kind = strdup("stream_wait");
		w->u.sync.stream = H;
		w->u.sync.event = 56;
		break;
	}
	case JOIN_WAIT_FIRST: /* waits on the event before recording it */
		detfix_api(&f, 0, IMPL_CANDIDATE, call, "cudaStreamWaitEvent", H, 55, t0 - 5000,
			   1);
		detfix_api(&f, 0, IMPL_CANDIDATE, call, "cudaEventRecord", S, 55, t0 + 100, 1);
		break;
	case JOIN_RECORD_EARLY: /* records the event before the side work */
		detfix_api(&f, 0, IMPL_CANDIDATE, call, "cudaEventRecord", S, 55, t0 - 4000, 1);
		detfix_api(&f, 0, IMPL_CANDIDATE, call, "cudaStreamWaitEvent", H, 55, t0 + 200,
			   1);
		break;
	}
	size_t n = count_after(&f, "foreign-stream");
	detfix_free(&f);
	return n;
}

static void foreign_stream(void **state)
{
	(void)state;
	assert_int_equal(side_stream_call(NO_JOIN, 1), 1);
	assert_int_equal(side_stream_call(NO_JOIN, 0), 1);
	assert_int_equal(side_stream_call(JOIN_WAIT_FIRST, 1), 1);
	assert_int_equal(side_stream_call(JOIN_RECORD_EARLY, 1), 1);
	/* Near misses: a side stream properly joined back. */
	assert_int_equal(side_stream_call(JOIN_API, 1), 0);
	assert_int_equal(side_stream_call(JOIN_API, 0), 0);
	assert_int_equal(side_stream_call(JOIN_EVENT_SYNC, 1), 0);
}

static void foreign_stream_evidence(void **state)
{
	(void)state;
	struct detfix f;
	struct record_list out;
	detfix_init(&f);
	detfix_honest_case(&f, 0, 10, 200000, 20000, 1, 1, 3);
	detfix_launch(&f, 0, IMPL_CANDIDATE, 3, S, f.t, f.t + 5000, 1);
	int64_t kid = f.l.v[f.l.n - 1].id;
	detfix_detect(&f, &out);
	const struct record *r = detfix_find(&out, "foreign-stream");
	assert_non_null(r);
	assert_int_equal(r->impl, IMPL_CANDIDATE);
	assert_int_equal(r->call, 3);
	json_t *ev = r->u.finding.evidence;
	assert_int_equal(json_integer_value(json_object_get(ev, "stream")), S);
	assert_int_equal(json_integer_value(json_object_get(ev, "harness_stream")), H);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(ev, "records"), 0)),
			 kid);
	record_list_free(&out);
	detfix_free(&f);
}

/* Every kernel of both sides reported on a stream id the harness's events
 * never use: the id spaces disagree, which is not a foreign stream. */
static void foreign_stream_id_mismatch(void **state)
{
	(void)state;
	struct detfix f;
	struct record_list out;
	detfix_init(&f);
	detfix_honest_case(&f, 0, 10, 200000, 20000, 2, 2, 3);
	for (size_t i = 0; i < f.l.n; i++)
		if (f.l.v[i].type == REC_KERNEL)
			f.l.v[i].u.kernel.stream = 4242;
	detfix_detect(&f, &out);
	assert_int_equal(detfix_count(&out, "foreign-stream", REC_NONE, IMPL_NONE), 0);
	const struct record *r = detfix_find(&out, "trace-incomplete");
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r->u.finding.evidence, "reason")),
			    "stream-mismatch");
	record_list_free(&out);
	/* The baseline back on the harness stream: now the candidate's work
	 * elsewhere is foreign. */
	for (size_t i = 0; i < f.l.n; i++)
		if (f.l.v[i].type == REC_KERNEL && f.l.v[i].impl == IMPL_BASELINE)
			f.l.v[i].u.kernel.stream = H;
	detfix_detect(&f, &out);
	assert_int_equal(detfix_count(&out, "foreign-stream", 0, IMPL_CANDIDATE), 1);
	assert_int_equal(detfix_count(&out, "trace-incomplete", REC_NONE, IMPL_NONE), 0);
	record_list_free(&out);
	detfix_free(&f);
}

/* ---- timing-escape ---- */

static size_t escape_with(int64_t before, int64_t after)
{
	struct detfix f;
	detfix_init(&f);
	int64_t call = detfix_honest_case(&f, 0, 10, 200000, 20000, 1, 1, 3);
	int64_t t0 = f.t;
	detfix_timed_call(&f, 0, IMPL_CANDIDATE, call, 0, 50, t0, 20000, 1);
	/* A second kernel of the call, BEFORE ns before the window and
	 * AFTER ns past its end. */
	detfix_launch(&f, 0, IMPL_CANDIDATE, call, H, t0 + 5000 - before,
		      t0 + 20000 + after, 1);
	size_t n = count_after(&f, "timing-escape");
	detfix_free(&f);
	return n;
}

static void timing_escape(void **state)
{
	(void)state;
	assert_int_equal(escape_with(0, 50000), 1);  /* runs 50 us past the stop */
	assert_int_equal(escape_with(8000, 0), 1);   /* started before the start */
	/* Near misses: clock jitter of a few ns at either edge. */
	assert_int_equal(escape_with(0, 5), 0);
	assert_int_equal(escape_with(5003, -10000), 0);
	assert_int_equal(escape_with(0, 0), 0);
}

static void timing_escape_evidence(void **state)
{
	(void)state;
	struct detfix f;
	struct record_list out;
	detfix_init(&f);
	int64_t call = detfix_honest_case(&f, 0, 10, 200000, 20000, 1, 1, 3);
	detfix_timed_call(&f, 0, IMPL_CANDIDATE, call, 0, 50, f.t, 20000, 1);
	detfix_launch(&f, 0, IMPL_CANDIDATE, call, H, f.t + 15000, f.t + 60000, 1);
	detfix_detect(&f, &out);
	const struct record *r = detfix_find(&out, "timing-escape");
	assert_non_null(r);
	assert_int_equal(r->u.finding.sample, 50);
	assert_true(json_number_value(json_object_get(r->u.finding.evidence, "escaped_ns")) ==
		    40000);
	record_list_free(&out);
	detfix_free(&f);
}

/* Every timed kernel of both sides shifted 10 ms away from its window: the
 * window clock and the activity clock disagree, which is not an escape. */
static void timing_escape_clock_mismatch(void **state)
{
	(void)state;
	struct detfix f;
	struct record_list out;
	detfix_init(&f);
	detfix_honest_case(&f, 0, 10, 200000, 20000, 1, 2, 3);
	for (size_t i = 0; i < f.l.n; i++) {
		struct record *r = &f.l.v[i];
		if (r->type == REC_KERNEL && r->phase == PHASE_TIMING) {
			r->u.kernel.start += 10000000;
			r->u.kernel.end += 10000000;
		}
	}
	detfix_detect(&f, &out);
	assert_int_equal(detfix_count(&out, "timing-escape", REC_NONE, IMPL_NONE), 0);
	const struct record *r = detfix_find(&out, "trace-incomplete");
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r->u.finding.evidence, "reason")),
			    "clock-mismatch");
	record_list_free(&out);
	/* Only the candidate's work outside its windows: an escape, and the
	 * clocks are not blamed. */
	for (size_t i = 0; i < f.l.n; i++) {
		struct record *r2 = &f.l.v[i];
		if (r2->type == REC_KERNEL && r2->phase == PHASE_TIMING &&
		    r2->impl == IMPL_BASELINE) {
			r2->u.kernel.start -= 10000000;
			r2->u.kernel.end -= 10000000;
		}
	}
	detfix_detect(&f, &out);
	assert_int_equal(detfix_count(&out, "timing-escape", 0, IMPL_CANDIDATE), 1);
	assert_int_equal(detfix_count(&out, "trace-incomplete", REC_NONE, IMPL_NONE), 0);
	record_list_free(&out);
	detfix_free(&f);
}

/* ---- deferred-launch ---- */

static void deferred_launch(void **state)
{
	(void)state;
	for (int variant = 0; variant < 5; variant++) {
		struct detfix f;
		detfix_init(&f);
		int64_t call = detfix_honest_case(&f, 0, 10, 200000, 20000, 1, 1, 3);
		struct record *a = NULL;
		switch (variant) {
		case 0: /* kernel launched after the entry returned */
			detfix_launch(&f, 0, IMPL_CANDIDATE, call - 1, H, f.t, f.t + 100, 0);
			break;
		case 1: /* memcpy from a helper thread, marked in call */
			a = detfix_api(&f, 0, IMPL_CANDIDATE, call - 1, "cudaMemcpyAsync", H,
				       REC_NONE, f.t, 1);
			a->u.api.thread = DETFIX_THREAD + 1;
			break;
		case 2: /* near miss: in-call launch on the entry thread */
			detfix_launch(&f, 0, IMPL_CANDIDATE, call - 1, H, f.t, f.t + 100, 1);
			break;
		case 3: /* near miss: a non-launch api after return */
			detfix_api(&f, 0, IMPL_CANDIDATE, call - 1, "cudaFree", REC_NONE,
				   REC_NONE, f.t, 0);
			break;
		case 4: /* near miss: the harness's own memset between calls */
			detfix_api(&f, 0, IMPL_HARNESS, call - 1, "cudaMemsetAsync", H,
				   REC_NONE, f.t, 0);
			break;
		}
		assert_int_equal(count_after(&f, "deferred-launch"), variant < 2 ? 1 : 0);
		detfix_free(&f);
	}
}

/* ---- work-drift ---- */

/* Trials then timed samples of the candidate whose kernel time per call
 * is given by WORK(i); the baseline is honest. */
static size_t drift_for(int64_t (*work)(int i), int ncalls, int untraced_from)
{
	struct detfix f;
	detfix_init(&f);
	detfix_case(&f, 0, 2, 1024);
	int64_t call = 0;
	for (int i = 0; i < ncalls; i++) {
		int64_t w = work(i);
		detfix_timed_call(&f, 0, IMPL_BASELINE, call++, i / 4, 2 * i, f.t, 40000, 1);
		f.t += 100000;
		int traced = untraced_from < 0 || i < untraced_from;
		struct record *s = detfix_timed_call(&f, 0, IMPL_CANDIDATE, call, i / 4,
						     2 * i + 1, f.t, w > 0 ? w : 1, traced && w > 0);
		s->u.sample.traced = traced;
		/* Setup work (work() above 20 us) is extra small kernels. */
		for (int64_t extra = w - 20000; traced && extra > 0; extra -= 1000)
			detfix_launch(&f, 0, IMPL_CANDIDATE, call, H, f.t, f.t + 1000, 1);
		call++;
		f.t += 100000;
	}
	size_t n = count_after(&f, "work-drift");
	detfix_free(&f);
	return n;
}

static int64_t steady(int i)
{
	return 20000 + (i % 3) * 500;
}
static int64_t batch_and_skip(int i)
{
	return i == 0 ? 20000 * 16 : 0; /* first call computes all 16 answers */
}
static int64_t warmup_detect(int i)
{
	return i < 5 ? 20000 : 300; /* real work until the timed calls */
}
static int64_t cached_handle(int i)
{
	return i == 0 ? 20000 + 6000 : 20000; /* 6 small setup kernels on call 0 */
}
static int64_t first_call_heavy(int i)
{
	return i == 0 ? 20000 + 40000 : 20000; /* setup twice the real work */
}

static void work_drift(void **state)
{
	(void)state;
	assert_int_equal(drift_for(batch_and_skip, 16, -1), 1);
	assert_int_equal(drift_for(warmup_detect, 16, -1), 1);
	/* Near misses: honest, a cached library handle, heavy first call,
	 * and untraced control samples (no activity to compare). */
	assert_int_equal(drift_for(steady, 16, -1), 0);
	assert_int_equal(drift_for(cached_handle, 16, -1), 0);
	assert_int_equal(drift_for(first_call_heavy, 16, -1), 0);
	assert_int_equal(drift_for(steady, 16, 10), 0);
}

/* ---- roofline-violation ---- */

/* Candidate median at FRACTION of the measured peak bandwidth for the
 * case's 8 MiB (4 MiB in + 4 MiB out). */
static size_t roofline_at(double fraction, int64_t work_bytes)
{
	struct detfix f;
	detfix_init(&f);
	double peak = 1e12;
	detfix_device(&f, peak);
	struct record *k = detfix_case(&f, 0, 2, 1 << 20);
	k->u.kase.work_bytes = work_bytes;
	double bytes = 8.0 * (1 << 20);
	int64_t ns = (int64_t)(bytes / (peak * fraction) * 1e9);
	int64_t call = 0;
	for (int i = 0; i < 9; i++) {
		detfix_timed_call(&f, 0, IMPL_BASELINE, call++, 0, 2 * i, f.t, 3 * ns, 1);
		f.t += 10 * ns;
		detfix_timed_call(&f, 0, IMPL_CANDIDATE, call++, 0, 2 * i + 1, f.t, ns, 1);
		f.t += 10 * ns;
	}
	size_t n = count_after(&f, "roofline-violation");
	detfix_free(&f);
	return n;
}

static void roofline(void **state)
{
	(void)state;
	assert_int_equal(roofline_at(3.0, REC_NONE), 1);  /* 3x the peak: impossible */
	assert_int_equal(roofline_at(1.5, REC_NONE), 1);
	/* Near misses: 95% and 110% of the measured copy bandwidth. */
	assert_int_equal(roofline_at(0.95, REC_NONE), 0);
	assert_int_equal(roofline_at(1.1, REC_NONE), 0);
	/* work.bytes larger than the buffers raises the floor. */
	assert_int_equal(roofline_at(0.95, 2 * 8 * (1 << 20)), 1);
}

/* A forged trace (extreme timestamps, sizes and counts) must not crash or
 * overflow: check runs the detectors on untrusted files under UBSan. */
static void forged_values_are_harmless(void **state)
{
	(void)state;
	struct detfix f;
	struct record_list out, v;
	detfix_init(&f);
	struct record *d = detfix_device(&f, 1e-300);
	d->u.device.throttle = INT64_MAX;
	d->u.device.sm_clock_mhz = INT64_MIN + 1;
	d->u.device.max_sm_clock_mhz = INT64_MAX;
	struct record *k = detfix_case(&f, 0, 1e308, 1);
	k->u.kase.work_bytes = INT64_MAX;
	k->u.kase.work_flops = INT64_MAX;
	k->u.kase.seed = INT64_MIN;
	for (int64_t call = 0; call < 6; call++) {
		enum record_impl impl = call % 2 ? IMPL_CANDIDATE : IMPL_BASELINE;
		struct record *s = detfix_timed_call(&f, 0, impl, call, call % 2, call,
						     INT64_MIN + 2, INT64_MAX, 1);
		s->u.sample.window_start = INT64_MAX;
		s->u.sample.window_end = INT64_MIN + 1;
		s->u.sample.event_ns = call == 3 ? -1 : 1e300;
		detfix_launch(&f, 0, impl, call, DETFIX_SIDE_STREAM, INT64_MIN + 5000,
			      INT64_MAX, 0);
		struct record *m = detfix_add(&f, REC_MEMCPY, 0, impl, call, PHASE_TIMING);
		m->u.memcpy.bytes = INT64_MAX;
		m->u.memcpy.start = INT64_MAX;
		m->u.memcpy.end = INT64_MIN + 1;
	}
	for (int i = 0; i < 3; i++) {
		struct record *r = detfix_add(&f, REC_DROPPED, 0, IMPL_NONE, REC_NONE,
					      PHASE_TIMING);
		r->u.dropped.count = INT64_MAX;
	}
	detfix_detect(&f, &out);
	/* Once for the dropped records, once because no work lies inside any
	 * (inverted) window: the window clock cannot be trusted. */
	assert_true(detfix_count(&out, "trace-incomplete", 0, IMPL_NONE) == 2);
	memset(&v, 0, sizeof v);
	assert_int_equal(detect_verdicts(f.l.v, f.l.n, out.v, out.n, NAN, &v), 0);
	assert_true(v.n == 2);
	record_list_free(&v);
	record_list_free(&out);
	detfix_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(foreign_stream),
		cmocka_unit_test(foreign_stream_evidence),
		cmocka_unit_test(foreign_stream_id_mismatch),
		cmocka_unit_test(timing_escape),
		cmocka_unit_test(timing_escape_evidence),
		cmocka_unit_test(timing_escape_clock_mismatch),
		cmocka_unit_test(deferred_launch),
		cmocka_unit_test(work_drift),
		cmocka_unit_test(roofline),
		cmocka_unit_test(forged_values_are_harmless),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
