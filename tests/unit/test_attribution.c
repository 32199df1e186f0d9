/*
 * test_attribution.c - the GPU plugin's attribution (src/gpu/gpu_attrib.c)
 * without a GPU: fabricated callbacks and activity records, the way CUPTI
 * would deliver them, and what the collector must make of them.  Each
 * behaviour is shown both ways: a case that triggers it and one that must
 * not.  The side-stream cases go on through the detectors (foreign-stream),
 * so the attribution is judged by what it is for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "detect_fixtures.h"
#include "gpu/gpu_attrib.h"

#define H 7         /* the harness stream (CUPTI ID) */
#define S 9         /* a side stream */
#define MAIN 100    /* the worker's main thread: harness and entry */
#define OTHER 101   /* a thread the implementation started */
#define EV 0xE1E1   /* an event handle of the implementation's */

struct fx {
	struct attrib *a;
	struct attrib_pending p[256];
	size_t n;
	struct invoke_result res;
	int64_t t;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->a = attrib_new();
	f->t = 1000000;
	*state = f;
	return 0;
}

static void clear_pending(struct fx *f)
{
	for (size_t i = 0; i < f->n; i++)
		record_clear(&f->p[i].rec);
	f->n = 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	clear_pending(f);
	attrib_free(f->a);
	free(f);
	return 0;
}

static struct record *pend(struct fx *f, enum record_type t, uint32_t corr)
{
	struct attrib_pending *p = &f->p[f->n++];
	memset(p, 0, sizeof *p);
	record_init(&p->rec, t);
	p->corr = corr;
	return &p->rec;
}

static void api_rec(struct fx *f, uint32_t corr, int64_t tid, int64_t start, const char *name)
{
	struct record *r = pend(f, REC_API, corr);
	r->u.api.name = strdup(name);
	r->u.api.thread = tid;
	r->u.api.start = start;
	r->u.api.end = start + 500;
	r->u.api.corr = corr;
}

static void kernel_rec(struct fx *f, uint32_t corr, int64_t stream, int64_t start, int64_t end)
{
	struct record *r = pend(f, REC_KERNEL, corr);
	r->u.kernel.name = strdup("k");
	r->u.kernel.stream = stream;
	r->u.kernel.start = start;
	r->u.kernel.end = end;
	r->u.kernel.corr = corr;
}

static void memcpy_rec(struct fx *f, uint32_t corr, int64_t stream, int64_t start, int64_t bytes)
{
	struct record *r = pend(f, REC_MEMCPY, corr);
	r->u.memcpy.kind = strdup("HtoD");
	r->u.memcpy.stream = stream;
	r->u.memcpy.start = start;
	r->u.memcpy.end = start + 100;
	r->u.memcpy.bytes = bytes;
	r->u.memcpy.corr = corr;
}

static void event_rec(struct fx *f, uint32_t corr, int64_t cupti_id, int64_t stream, int64_t ts)
{
	struct record *r = pend(f, REC_EVENT, corr);
	r->u.event.event = cupti_id;
	r->u.event.stream = stream;
	r->u.event.ts = ts;
	r->u.event.corr = corr;
}

static void drain(struct fx *f)
{
	memset(&f->res, 0, sizeof f->res);
	f->res.window_start = f->res.window_end = REC_NONE;
	f->res.span_start = f->res.span_end = REC_NONE;
	attrib_drain(f->a, f->p, f->n, f->t, &f->res);
	attrib_backfill_streams(f->p, f->n);
}

static void call(struct fx *f, enum record_impl impl, int64_t c)
{
	struct invoke_opts o = { .impl = impl, .call = c, .case_index = 0,
				 .phase = PHASE_TIMING, .timed = 1, .traced = 1 };
	attrib_begin_call(f->a, &o);
}

/* The harness's timed window around the entry: start event, entry, stop. */
static void start_event(struct fx *f, uint32_t corr)
{
	attrib_harness_begin(f->a, MAIN, f->t++, ATTRIB_ROLE_START);
	attrib_api_enter(f->a, corr, MAIN, H, 0x5A, 0);
	attrib_harness_end(f->a, f->t++);
}

static void stop_event(struct fx *f, uint32_t corr)
{
	attrib_harness_begin(f->a, MAIN, f->t++, ATTRIB_ROLE_STOP);
	attrib_api_enter(f->a, corr, MAIN, H, 0x5B, 0);
	attrib_harness_end(f->a, f->t++);
}

/* ---- deferred launches: in_call only on the entry's thread, while it runs */

static void test_in_call_only_on_entry_thread(void **state)
{
	struct fx *f = *state;
	call(f, IMPL_CANDIDATE, 3);
	attrib_entry_enter(f->a, MAIN, f->t++);
	attrib_api_enter(f->a, 10, MAIN, H, REC_NONE, 1);  /* must be in_call */
	attrib_api_enter(f->a, 11, OTHER, H, REC_NONE, 1); /* another thread: not */
	attrib_entry_exit(f->a, f->t++);
	attrib_api_enter(f->a, 12, MAIN, H, REC_NONE, 1);  /* after return: not */
	api_rec(f, 10, MAIN, f->t, "cudaLaunchKernel");
	api_rec(f, 11, OTHER, f->t, "cudaLaunchKernel");
	api_rec(f, 12, MAIN, f->t, "cudaLaunchKernel");
	kernel_rec(f, 11, H, f->t, f->t + 10);
	drain(f);
	assert_int_equal(f->p[0].rec.u.api.in_call, 1);
	assert_int_equal(f->p[1].rec.u.api.in_call, 0);
	assert_int_equal(f->p[2].rec.u.api.in_call, 0);
	for (size_t i = 0; i < f->n; i++) {
		assert_true(f->p[i].emit);
		assert_int_equal(f->p[i].rec.impl, IMPL_CANDIDATE);
		assert_int_equal(f->p[i].rec.call, 3);
	}
	/* The other thread's kernel is still the call's work. */
	assert_int_equal(f->res.kernels, 1);
}

/* ---- kaudit's own helpers (poison, flush, compare) ----------------------- */

static void test_harness_helpers_never_attributed(void **state)
{
	struct fx *f = *state;
	call(f, IMPL_CANDIDATE, 1);
	/* poison fill, L2 flush, compare: three helper launches on MAIN */
	attrib_harness_begin(f->a, MAIN, f->t++, ATTRIB_NO_ROLE);
	attrib_api_enter(f->a, 20, MAIN, H, REC_NONE, 1);
	attrib_api_enter(f->a, 21, MAIN, H, REC_NONE, 1);
	attrib_api_enter(f->a, 22, MAIN, H, REC_NONE, 1);
	/* meanwhile, a thread of the implementation launches: must NOT be
	 * taken for the harness's */
	attrib_api_enter(f->a, 23, OTHER, S, REC_NONE, 1);
	int64_t in_bracket = f->t++;
	attrib_harness_end(f->a, f->t++);
	struct record probe;
	record_init(&probe, REC_KERNEL);
	assert_true(attrib_is_harness(f->a, 20, &probe));
	assert_false(attrib_is_harness(f->a, 23, &probe));
	for (uint32_t c = 20; c <= 23; c++)
		kernel_rec(f, c, c == 23 ? S : H, f->t, f->t + 5);
	/* CUPTI-internal launches no callback saw: by thread and time */
	api_rec(f, 24, MAIN, in_bracket, "internal-launch");  /* harness */
	kernel_rec(f, 24, H, f->t, f->t + 5);
	api_rec(f, 25, OTHER, in_bracket, "internal-launch"); /* not */
	kernel_rec(f, 25, S, f->t, f->t + 5);
	drain(f);
	for (size_t i = 0; i < f->n; i++) {
		uint32_t c = f->p[i].corr;
		int harness = c == 20 || c == 21 || c == 22 || c == 24;
		assert_int_equal(f->p[i].emit, !harness);
		if (!harness)
			assert_int_equal(f->p[i].rec.impl, IMPL_CANDIDATE);
	}
	assert_int_equal(f->res.kernels, 2); /* 23 and 25 */
}

/* ---- the timed window ------------------------------------------------------ */

static void timed_call(struct fx *f, int64_t c, int64_t ts_start, int64_t ts_stop,
		       int have_start_record)
{
	call(f, IMPL_CANDIDATE, c);
	uint32_t base = (uint32_t)(100 + 10 * c);
	start_event(f, base);
	attrib_entry_enter(f->a, MAIN, f->t++);
	attrib_api_enter(f->a, base + 1, MAIN, H, REC_NONE, 1);
	attrib_entry_exit(f->a, f->t++);
	stop_event(f, base + 2);
	if (have_start_record)
		event_rec(f, base, 1, H, ts_start);
	kernel_rec(f, base + 1, H, 5000, 6000);
	event_rec(f, base + 2, 2, H, ts_stop);
	drain(f);
}

static void test_window_on_device_clock(void **state)
{
	struct fx *f = *state;
	timed_call(f, 0, 4900, 6100, 1);
	assert_int_equal(f->res.window_start, 4900);
	assert_int_equal(f->res.window_end, 6100);
	assert_int_equal(f->res.window_clock, WINDOW_CLOCK_DEVICE);
	assert_int_equal(f->res.span_start, 5000);
	assert_int_equal(f->res.span_end, 6000);
	/* role events are emitted, as the harness's, with their handle */
	assert_true(f->p[0].emit);
	assert_int_equal(f->p[0].rec.impl, IMPL_HARNESS);
	assert_string_equal(f->p[0].rec.u.event.role, "start");
	assert_int_equal(f->p[0].rec.u.event.event, 0x5A);
}

static void test_missing_device_timestamp_never_mixes(void **state)
{
	struct fx *f = *state;
	timed_call(f, 0, 4900, REC_NONE, 1); /* the stop event has no device stamp */
	assert_int_equal(f->res.window_start, REC_NONE);
	assert_int_equal(f->res.window_end, REC_NONE);
	assert_int_equal(f->res.window_clock, WINDOW_CLOCK_NONE); /* the caller takes host */
}

static void test_event_predating_collector(void **state)
{
	struct fx *f = *state;
	/* No CUDA_EVENT record for the start event (CUPTI did not know an
	 * event created before it attached): no device window at all. */
	timed_call(f, 0, 4900, 6100, 0);
	assert_int_equal(f->res.window_start, REC_NONE);
	assert_int_equal(f->res.window_end, REC_NONE);
	assert_int_equal(f->res.window_clock, WINDOW_CLOCK_NONE);
	/* An event record whose API call no callback saw keeps the handle
	 * learnt for its CUPTI ID earlier; an unknown ID stays as it is. */
	clear_pending(f);
	call(f, IMPL_CANDIDATE, 1);
	event_rec(f, 0, 2, H, 7000);  /* CUPTI ID 2 = handle 0x5B, learnt above */
	event_rec(f, 0, 77, H, 7001); /* never seen */
	drain(f);
	assert_int_equal(f->p[0].rec.u.event.event, 0x5B);
	assert_int_equal(f->p[1].rec.u.event.event, 77);
}

static void test_late_event_of_earlier_call(void **state)
{
	struct fx *f = *state;
	timed_call(f, 0, 4900, 6100, 1);
	clear_pending(f);
	/* call 1 starts; call 0's stop event arrives only now */
	call(f, IMPL_CANDIDATE, 1);
	event_rec(f, 102, 2, H, 6100);
	drain(f);
	assert_int_equal(f->res.window_start, REC_NONE); /* must not move call 1's */
	assert_int_equal(f->p[0].rec.call, 0);
}

/* ---- side streams, through foreign-stream ---------------------------------- */

/* Appends the emitted records to a detector fixture with a sample. */
static size_t foreign_stream(struct fx *f)
{
	struct detfix d;
	struct record_list out;
	detfix_init(&d);
	detfix_device(&d, 2e12);
	detfix_case(&d, 0, 2.0, 1024);
	for (size_t i = 0; i < f->n; i++) {
		if (!f->p[i].emit)
			continue;
		struct record *r = detfix_add(&d, f->p[i].rec.type, 0, IMPL_NONE, 0, PHASE_TIMING);
		int64_t id = r->id;
		record_copy(r, &f->p[i].rec);
		r->id = id;
	}
	struct record *s = detfix_add(&d, REC_SAMPLE, 0, IMPL_CANDIDATE, 0, PHASE_TIMING);
	s->u.sample.event_ns = 1200;
	s->u.sample.window_start = f->res.window_start;
	s->u.sample.window_end = f->res.window_end;
	s->u.sample.traced = 1;
	s->u.sample.kernels = f->res.kernels;
	detfix_detect(&d, &out);
	size_t n = detfix_count(&out, "foreign-stream", 0, IMPL_CANDIDATE);
	record_list_free(&out);
	detfix_free(&d);
	return n;
}

/* Launch on S, optionally record EV on S and make H wait on it. */
static void side_stream_call(struct fx *f, int join)
{
	call(f, IMPL_CANDIDATE, 0);
	start_event(f, 1);
	attrib_entry_enter(f->a, MAIN, f->t);
	int64_t t = f->t;
	attrib_api_enter(f->a, 2, MAIN, S, REC_NONE, 1);
	api_rec(f, 2, MAIN, t + 10, "cudaLaunchKernel");
	kernel_rec(f, 2, S, 5000, 5500);
	if (join) {
		attrib_api_enter(f->a, 3, MAIN, S, EV, 0);
		api_rec(f, 3, MAIN, t + 20, "cudaEventRecord");
		attrib_api_enter(f->a, 4, MAIN, H, EV, 0);
		api_rec(f, 4, MAIN, t + 30, "cudaStreamWaitEvent");
	}
	f->t += 100;
	attrib_entry_exit(f->a, f->t++);
	stop_event(f, 5);
	event_rec(f, 1, 1, H, 4900);
	event_rec(f, 5, 2, H, 6100);
	drain(f);
}

static void test_side_stream_joined(void **state)
{
	struct fx *f = *state;
	side_stream_call(f, 1);
	assert_int_equal(f->res.window_clock, WINDOW_CLOCK_DEVICE);
	assert_int_equal(foreign_stream(f), 0);
}

static void test_side_stream_not_joined(void **state)
{
	struct fx *f = *state;
	side_stream_call(f, 0);
	assert_int_equal(foreign_stream(f), 1);
}

/* ---- lazy loading: the driver's copies for a launch at call 0 -------------- */

static void test_module_load_copies_are_not_the_call(void **state)
{
	struct fx *f = *state;
	side_stream_call(f, 1); /* an honest call, joined */
	clear_pending(f);
	/* call 0 again, but its first launch loads the module: the launch's
	 * correlation ID brings a copy on a driver stream (99) */
	attrib_free(f->a);
	f->a = attrib_new();
	call(f, IMPL_CANDIDATE, 0);
	start_event(f, 1);
	attrib_entry_enter(f->a, MAIN, f->t);
	attrib_api_enter(f->a, 2, MAIN, REC_NONE, REC_NONE, 1); /* __cudaLaunchKernel */
	api_rec(f, 2, MAIN, f->t + 10, "__cudaLaunchKernel");
	memcpy_rec(f, 2, 99, 4950, 4096);
	kernel_rec(f, 2, H, 5000, 5500);
	f->t += 100;
	attrib_entry_exit(f->a, f->t++);
	stop_event(f, 5);
	event_rec(f, 1, 1, H, 4900);
	event_rec(f, 5, 2, H, 6100);
	drain(f);
	int seen = 0;
	for (size_t i = 0; i < f->n; i++)
		if (f->p[i].rec.type == REC_MEMCPY) {
			seen = 1;
			assert_true(f->p[i].emit);        /* still in the trace */
			assert_true(f->p[i].module_load);
			assert_int_equal(f->p[i].rec.impl, IMPL_HARNESS);
		} else if (f->p[i].rec.type == REC_API) {
			/* backfilled from the kernel alone, not made ambiguous */
			assert_int_equal(f->p[i].rec.u.api.stream, H);
		}
	assert_true(seen);
	assert_int_equal(f->res.bytes, 0);
	assert_int_equal(foreign_stream(f), 0);
}

static void test_module_load_copies_never_name_the_harness_stream(void **state)
{
	struct fx *f = *state;
	/* An untimed call (a correctness trial: no start/stop events), whose
	 * first launch loads the module: streams.c's fallback for the harness
	 * stream must not take the driver's stream of the module-load copy,
	 * or the implementation's kernel on the harness stream would be
	 * foreign. */
	struct invoke_opts o = { .impl = IMPL_CANDIDATE, .call = 0, .case_index = 0,
				 .phase = PHASE_CORRECTNESS, .timed = 0, .traced = 1 };
	attrib_begin_call(f->a, &o);
	attrib_entry_enter(f->a, MAIN, f->t);
	attrib_api_enter(f->a, 2, MAIN, REC_NONE, REC_NONE, 1);
	api_rec(f, 2, MAIN, f->t + 10, "__cudaLaunchKernel");
	memcpy_rec(f, 2, 99, 4950, 4096);
	kernel_rec(f, 2, H, 5000, 5500);
	f->t += 100;
	attrib_entry_exit(f->a, f->t++);
	drain(f);
	assert_int_equal(foreign_stream(f), 0);
}

static void test_module_load_does_not_hide_the_kernel(void **state)
{
	struct fx *f = *state;
	/* must not: the launch that loads a module still launched a kernel,
	 * and that kernel on an unjoined side stream is foreign */
	call(f, IMPL_CANDIDATE, 0);
	start_event(f, 1);
	attrib_entry_enter(f->a, MAIN, f->t);
	attrib_api_enter(f->a, 2, MAIN, S, REC_NONE, 1);
	api_rec(f, 2, MAIN, f->t + 10, "cudaLaunchKernel");
	memcpy_rec(f, 2, 99, 4950, 4096);
	kernel_rec(f, 2, S, 5000, 5500);
	f->t += 100;
	attrib_entry_exit(f->a, f->t++);
	stop_event(f, 5);
	event_rec(f, 1, 1, H, 4900);
	event_rec(f, 5, 2, H, 6100);
	drain(f);
	assert_int_equal(f->res.kernels, 1);
	assert_int_equal(foreign_stream(f), 1);
}

static void test_requested_copy_on_side_stream_is_the_call(void **state)
{
	struct fx *f = *state;
	/* must not: a copy the implementation asked for (cudaMemcpyAsync on a
	 * side stream, not a launch) is its own work, and unjoined */
	call(f, IMPL_CANDIDATE, 0);
	start_event(f, 1);
	attrib_entry_enter(f->a, MAIN, f->t);
	attrib_api_enter(f->a, 2, MAIN, 99, REC_NONE, 0);
	api_rec(f, 2, MAIN, f->t + 10, "cudaMemcpyAsync");
	memcpy_rec(f, 2, 99, 4950, 4096);
	f->t += 100;
	attrib_entry_exit(f->a, f->t++);
	stop_event(f, 5);
	event_rec(f, 1, 1, H, 4900);
	event_rec(f, 5, 2, H, 6100);
	drain(f);
	for (size_t i = 0; i < f->n; i++)
		if (f->p[i].rec.type == REC_MEMCPY) {
			assert_false(f->p[i].module_load);
			assert_int_equal(f->p[i].rec.impl, IMPL_CANDIDATE);
		}
	assert_int_equal(f->res.bytes, 4096);
	assert_int_equal(foreign_stream(f), 1);
}

/* ---- streams of api records without stream arguments ---------------------- */

static void test_backfill_one_stream_only(void **state)
{
	struct fx *f = *state;
	call(f, IMPL_CANDIDATE, 0);
	attrib_api_enter(f->a, 2, MAIN, REC_NONE, REC_NONE, 1);
	attrib_api_enter(f->a, 3, MAIN, REC_NONE, REC_NONE, 0);
	api_rec(f, 2, MAIN, f->t, "__cudaLaunchKernel");
	api_rec(f, 3, MAIN, f->t, "cudaMemcpy");
	kernel_rec(f, 2, S, 10, 20);
	memcpy_rec(f, 3, S, 30, 8);
	memcpy_rec(f, 3, H, 40, 8); /* two streams: ambiguous */
	drain(f);
	assert_int_equal(f->p[0].rec.u.api.stream, S);
	assert_int_equal(f->p[1].rec.u.api.stream, REC_NONE);
}

/* ---- missing device timestamps on work ------------------------------------- */

static void test_incomplete_work(void **state)
{
	struct fx *f = *state;
	kernel_rec(f, 1, H, 10, 20);
	kernel_rec(f, 2, H, 10, REC_NONE);
	memcpy_rec(f, 3, H, REC_NONE, 8);
	event_rec(f, 4, 1, H, REC_NONE);
	assert_false(attrib_incomplete(&f->p[0].rec));
	assert_true(attrib_incomplete(&f->p[1].rec));
	assert_true(attrib_incomplete(&f->p[2].rec));
	assert_false(attrib_incomplete(&f->p[3].rec)); /* an event may lack its stamp */
}

/* ---- tags: pruned incrementally, never lost while live --------------------- */

static void test_tags_pruned_after_two_drains(void **state)
{
	struct fx *f = *state;
	call(f, IMPL_BASELINE, 0);
	attrib_entry_enter(f->a, MAIN, f->t);
	for (uint32_t c = 1; c <= 5000; c++) /* grows the table past its start */
		attrib_api_enter(f->a, c, MAIN, H, REC_NONE, 1);
	attrib_entry_exit(f->a, f->t + 1);
	drain(f); /* nothing pending */
	size_t cap = f->a->tag_cap;
	assert_int_equal(f->a->tag_n, 5000);
	call(f, IMPL_CANDIDATE, 1);
	attrib_api_enter(f->a, 6000, MAIN, H, REC_NONE, 1);
	/* Each drain forgets the IDs below the newest one of the previous
	 * drain: they have had a full sync and flush to come back. */
	drain(f);
	assert_int_equal(f->a->tag_n, 2); /* 5000 and 6000 */
	call(f, IMPL_CANDIDATE, 2);
	drain(f);
	assert_int_equal(f->a->tag_n, 1); /* 6000 stays one drain longer */
	assert_int_equal(f->a->tag_cap, cap); /* no rebuild */
	/* a late record for a pruned ID: the most recent call, in_call 0 */
	api_rec(f, 4321, MAIN, f->t + 1000, "cudaLaunchKernel"); /* after the entry */
	kernel_rec(f, 6000, H, 1, 2);
	drain(f);
	assert_int_equal(f->p[0].rec.impl, IMPL_CANDIDATE);
	assert_int_equal(f->p[0].rec.call, 2);
	assert_int_equal(f->p[0].rec.u.api.in_call, 0);
	assert_int_equal(f->p[1].rec.call, 1); /* 6000 was still known */
}

static void test_tag_table_survives_deletions(void **state)
{
	struct fx *f = *state;
	/* Interleave inserts and prunes so backward-shift deletion runs over
	 * many clusters; every live tag must stay findable. */
	call(f, IMPL_CANDIDATE, 0);
	uint32_t corr = 1;
	for (int round = 0; round < 20; round++) {
		for (int k = 0; k < 700; k++, corr++)
			attrib_api_enter(f->a, corr * 7919u % 1000003u + 1, MAIN, H, REC_NONE, 1);
		drain(f);
	}
	/* At most the last two rounds' tags are live. */
	struct record probe;
	record_init(&probe, REC_KERNEL);
	assert_true(f->a->tag_n <= 1400);
	assert_true(f->a->tag_n >= 700);
	/* Re-tag each live ID as the harness's: found in place, not added. */
	size_t before = f->a->tag_n;
	attrib_harness_begin(f->a, MAIN, f->t, ATTRIB_NO_ROLE);
	for (uint32_t c = corr - 700; c < corr; c++)
		attrib_api_enter(f->a, c * 7919u % 1000003u + 1, MAIN, H, REC_NONE, 0);
	attrib_harness_end(f->a, f->t);
	assert_int_equal(f->a->tag_n, before);
	for (uint32_t c = corr - 700; c < corr; c++)
		assert_true(attrib_is_harness(f->a, c * 7919u % 1000003u + 1, &probe));
	/* and the first round's are gone */
	assert_false(attrib_is_harness(f->a, 1 * 7919u % 1000003u + 1, &probe));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_in_call_only_on_entry_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_harness_helpers_never_attributed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_on_device_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_device_timestamp_never_mixes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_event_predating_collector, setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_event_of_earlier_call, setup, teardown),
		cmocka_unit_test_setup_teardown(test_side_stream_joined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_side_stream_not_joined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_module_load_copies_are_not_the_call, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_module_load_copies_never_name_the_harness_stream,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_module_load_does_not_hide_the_kernel, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_requested_copy_on_side_stream_is_the_call, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_backfill_one_stream_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incomplete_work, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tags_pruned_after_two_drains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tag_table_survives_deletions, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
