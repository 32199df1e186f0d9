/*
 * test_observe.c - kaudit observe's analysis (src/detect/observe_windows.c)
 * over fabricated record streams: honest windows, escaped ones, work on the
 * wrong stream (joined and not), graph replays, nested windows, events
 * reused across iterations, several processes, another thread's launches,
 * reads that failed and events without timestamps.  Every finding is shown
 * both ways: a stream that must raise it and a near miss that must not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "detect/detect.h"
#include "detect_fixtures.h"

#define WS 7   /* the harness's stream */
#define SS 9   /* a side stream */
#define T1 100 /* the harness's thread */
#define T2 200 /* another thread */
#define EV_A 0x1000 /* event handles */
#define EV_B 0x2000
#define EV_J 0x3000

struct obs {
	struct detfix f;
	int64_t corr;
};

static void obs_init(struct obs *o)
{
	detfix_init(&o->f);
	o->corr = 1;
}

static struct record *add(struct obs *o, enum record_type t)
{
	return detfix_add(&o->f, t, REC_NONE, IMPL_NONE, REC_NONE, PHASE_NONE);
}

static void process(struct obs *o, int64_t pid, int subscribed)
{
	struct record *r = add(o, REC_PROCESS);
	r->u.process.pid = pid;
	r->u.process.subscribed = subscribed;
	if (!subscribed)
		r->u.process.message = strdup("CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED");
}

/* An API call at host time AT; returns its correlation id. */
static int64_t api(struct obs *o, int64_t pid, int64_t thread, const char *name, int64_t stream,
		   int64_t event, int64_t at)
{
	struct record *r = add(o, REC_API);
	r->u.api.name = strdup(name);
	r->u.api.pid = pid;
	r->u.api.thread = thread;
	r->u.api.stream = stream;
	r->u.api.event = event;
	r->u.api.start = at;
	r->u.api.end = at + 10;
	r->u.api.corr = o->corr++;
	return r->u.api.corr;
}

/* cudaEventRecord at host time AT, completing on the GPU at TS (REC_NONE:
 * no CUDA_EVENT activity came back). */
static void record_event(struct obs *o, int64_t pid, int64_t thread, int64_t event,
			 int64_t stream, int64_t at, int64_t ts)
{
	int64_t c = api(o, pid, thread, "cudaEventRecord", stream, event, at);
	if (ts == REC_NONE)
		return;
	struct record *r = add(o, REC_EVENT);
	r->u.event.pid = pid;
	r->u.event.corr = c;
	r->u.event.stream = stream;
	r->u.event.ts = ts;
}

static void kernel(struct obs *o, int64_t pid, int64_t corr, int64_t stream, int64_t s,
		   int64_t e)
{
	struct record *r = add(o, REC_KERNEL);
	r->u.kernel.name = strdup("k");
	r->u.kernel.pid = pid;
	r->u.kernel.corr = corr;
	r->u.kernel.stream = stream;
	r->u.kernel.start = s;
	r->u.kernel.end = e;
}

/* A launch at host time AT by THREAD and its kernel on the GPU [S, E). */
static void launch(struct obs *o, int64_t pid, int64_t thread, int64_t stream, int64_t at,
		   int64_t s, int64_t e)
{
	int64_t c = api(o, pid, thread, "cuLaunchKernel", stream, REC_NONE, at);
	kernel(o, pid, c, stream, s, e);
}

static void elapsed(struct obs *o, int64_t pid, int64_t e0, int64_t e1, double ms, int64_t at,
		    int64_t result)
{
	struct record *r = add(o, REC_ELAPSED);
	r->u.elapsed.name = strdup("cudaEventElapsedTime");
	r->u.elapsed.pid = pid;
	r->u.elapsed.thread = T1;
	r->u.elapsed.start = at;
	r->u.elapsed.end = at + 5;
	r->u.elapsed.start_event = e0;
	r->u.elapsed.stop_event = e1;
	r->u.elapsed.ms = result == 0 ? ms : NAN;
	r->u.elapsed.result = result;
}

/* One honest window at host time T: events on WS around a 50 us kernel on
 * WS; the GPU runs it at device time D. */
static void honest_window(struct obs *o, int64_t pid, int64_t t, int64_t d)
{
	record_event(o, pid, T1, EV_A, WS, t, d);
	launch(o, pid, T1, WS, t + 100, d + 1000, d + 51000);
	record_event(o, pid, T1, EV_B, WS, t + 200, d + 52000);
	elapsed(o, pid, EV_A, EV_B, 0.052, t + 300, 0);
}

struct result {
	struct record_list found, verdicts;
};

static void analyse(struct obs *o, struct result *r)
{
	memset(r, 0, sizeof *r);
	assert_int_equal(detect_all(o->f.l.v, o->f.l.n, &r->found), 0);
	assert_int_equal(detect_verdicts(o->f.l.v, o->f.l.n, r->found.v, r->found.n, 0.1,
					 &r->verdicts), 0);
	/* The streaming analysis (what check runs) agrees. */
	struct detect_stream *s = detect_stream_new(0.1);
	for (size_t i = 0; i < o->f.l.n; i++)
		detect_stream_global(s, &o->f.l.v[i]);
	struct record_list sf = { NULL, 0, 0 }, sv = { NULL, 0, 0 };
	assert_int_equal(detect_stream_finish(s, &sf, &sv), 0);
	assert_int_equal(sf.n, r->found.n);
	for (size_t i = 0; i < sf.n; i++)
		assert_string_equal(sf.v[i].u.finding.code, r->found.v[i].u.finding.code);
	assert_int_equal(sv.n, 1);
	assert_int_equal(r->verdicts.n, 1);
	assert_string_equal(sv.v[0].u.verdict.verdict, r->verdicts.v[0].u.verdict.verdict);
	record_list_free(&sf);
	record_list_free(&sv);
	detect_stream_free(s);
}

static size_t count(const struct result *r, const char *code)
{
	size_t n = 0;
	for (size_t i = 0; i < r->found.n; i++)
		n += strcmp(r->found.v[i].u.finding.code, code) == 0;
	return n;
}

static const struct record *finding(const struct result *r, const char *code)
{
	for (size_t i = 0; i < r->found.n; i++)
		if (strcmp(r->found.v[i].u.finding.code, code) == 0)
			return &r->found.v[i];
	return NULL;
}

static int64_t ev_int(const struct record *f, const char *k)
{
	return json_integer_value(json_object_get(f->u.finding.evidence, k));
}

static const char *verdict(const struct result *r)
{
	return r->verdicts.v[r->verdicts.n - 1].u.verdict.verdict;
}

static void result_free(struct result *r, struct obs *o)
{
	record_list_free(&r->found);
	record_list_free(&r->verdicts);
	detfix_free(&o->f);
}

/* ---- honest ---- */

static void test_honest_windows(void **state)
{
	(void)state;
	struct obs o;
	obs_init(&o);
	process(&o, 10, 1);
	for (int i = 0; i < 5; i++) /* the same two events, five iterations */
		honest_window(&o, 10, 1000000 * (i + 1), 5000000 * (i + 1));
	struct result r;
	analyse(&o, &r);
	assert_int_equal(r.found.n, 0);
	assert_string_equal(verdict(&r), "reproduced");

	struct detect_window *w = NULL;
	struct detect_observe_totals t;
	const struct record **p = malloc(o.f.l.n * sizeof *p);
	for (size_t i = 0; i < o.f.l.n; i++)
		p[i] = &o.f.l.v[i];
	size_t nw = detect_observe_windows(p, o.f.l.n, &w, &t);
	assert_int_equal(nw, 5);
	assert_int_equal(t.judged, 5);
	for (size_t i = 0; i < nw; i++) {
		assert_int_equal(w[i].work, 1);
		assert_int_equal(w[i].stream, WS);
		/* 50 us of kernel in a 52 us window */
		assert_true(fabs(w[i].ratio - 50.0 / 52.0) < 1e-9);
		/* each pairs with its own iteration's records */
		assert_int_equal(w[i].window_start, 5000000 * ((int64_t)i + 1));
	}
	free(w);
	free(p);
	result_free(&r, &o);
}

/* ---- timing-escape and foreign-stream ---- */

/* Events on WS around a side-stream kernel (the Helion/CuTe incident): the
 * stop event is recorded at once and completes before the kernel does.
 * JOIN: the harness joins the side stream back first (the honest form). */
static void side_stream(struct obs *o, int join)
{
	process(o, 10, 1);
	record_event(o, 10, T1, EV_A, WS, 1000, 100000);
	launch(o, 10, T1, SS, 1100, 101000, 351000); /* 250 us */
	if (join) {
		record_event(o, 10, T1, EV_J, SS, 1200, 351500);
		api(o, 10, T1, "cudaStreamWaitEvent", WS, EV_J, 1300);
		record_event(o, 10, T1, EV_B, WS, 1400, 352000);
		elapsed(o, 10, EV_A, EV_B, 0.252, 2000, 0);
	} else {
		record_event(o, 10, T1, EV_B, WS, 1400, 105000);
		elapsed(o, 10, EV_A, EV_B, 0.005, 2000, 0);
	}
}

static void test_side_stream_escapes(void **state)
{
	(void)state;
	struct obs o;
	obs_init(&o);
	side_stream(&o, 0);
	struct result r;
	analyse(&o, &r);
	assert_int_equal(count(&r, "timing-escape"), 1);
	assert_int_equal(count(&r, "foreign-stream"), 1);
	assert_int_equal(count(&r, "deferred-launch"), 0);
	const struct record *f = finding(&r, "timing-escape");
	assert_int_equal(ev_int(f, "pid"), 10);
	assert_int_equal(ev_int(f, "windows"), 1);
	assert_int_equal(ev_int(f, "of"), 1);
	/* 246 us of the 250 us kernel ran after the stop event */
	double esc = json_real_value(json_object_get(f->u.finding.evidence, "escaped_ns"));
	assert_true(fabs(esc - 246000) < 1e-6);
	/* the busy ratio says 50x what the harness was told */
	json_t *ex = json_array_get(json_object_get(f->u.finding.evidence, "examples"), 0);
	assert_true(json_real_value(json_object_get(ex, "ratio")) > 49);
	assert_string_equal(verdict(&r), "invalid");
	result_free(&r, &o);
}

static void test_side_stream_joined(void **state)
{
	(void)state;
	struct obs o;
	obs_init(&o);
	side_stream(&o, 1);
	struct result r;
	analyse(&o, &r);
	assert_int_equal(r.found.n, 0);
	assert_string_equal(verdict(&r), "reproduced");
	result_free(&r, &o);
}

/* A join on an event recorded BEFORE the side-stream launch joins nothing. */
static void test_join_too_early(void **state)
{
	(void)state;
	struct obs o;
	obs_init(&o);
	process(&o, 10, 1);
	record_event(&o, 10, T1, EV_A, WS, 1000, 100000);
	record_event(&o, 10, T1, EV_J, SS, 1050, 100500);
	launch(&o, 10, T1, SS, 1100, 101000, 110000);
	api(&o, 10, T1, "cudaStreamWaitEvent", WS, EV_J, 1300);
	record_event(&o, 10, T1, EV_B, WS, 1400, 120000); /* covers it by luck */
	elapsed(&o, 10, EV_A, EV_B, 0.020, 2000, 0);
	struct result r;
	analyse(&o, &r);
	assert_int_equal(count(&r, "foreign-stream"), 1);
	assert_int_equal(count(&r, "timing-escape"), 0); /* it did run inside */
	result_free(&r, &o);
}

/* ---- graph replays ---- */

/* A graph of three kernels launched between the events: its nodes share the
 * graph launch's correlation id.  ON_SIDE: the graph was captured on a side
 * stream and replays there (flashinfer-bench PR 427). */
static void graph_window(int on_side, struct result *r, struct obs *o)
{
	obs_init(o);
	process(o, 10, 1);
	int64_t stream = on_side ? SS : WS;
	record_event(o, 10, T1, EV_A, WS, 1000, 100000);
	int64_t c = api(o, 10, T1, "cudaGraphLaunch", stream, REC_NONE, 1100);
	kernel(o, 10, c, stream, 101000, 111000);
	kernel(o, 10, c, stream, 111000, 121000);
	kernel(o, 10, c, stream, 121000, 131000);
	o->f.l.v[o->f.l.n - 1].u.kernel.graph = 3;
	record_event(o, 10, T1, EV_B, WS, 1200, on_side ? 102000 : 132000);
	elapsed(o, 10, EV_A, EV_B, on_side ? 0.002 : 0.032, 2000, 0);
	analyse(o, r);
}

static void test_graph_replay(void **state)
{
	(void)state;
	struct obs o;
	struct result r;
	graph_window(0, &r, &o);
	assert_int_equal(r.found.n, 0);
	result_free(&r, &o);
	graph_window(1, &r, &o);
	assert_int_equal(count(&r, "timing-escape"), 1);
	assert_int_equal(count(&r, "foreign-stream"), 1);
	result_free(&r, &o);
}

/* ---- nested windows ---- */

static void test_nested_windows(void **state)
{
	(void)state;
	struct obs o;
	obs_init(&o);
	process(&o, 10, 1);
	record_event(&o, 10, T1, EV_A, WS, 1000, 100000);      /* outer start */
	record_event(&o, 10, T1, EV_J, WS, 1100, 110000);      /* inner start */
	launch(&o, 10, T1, SS, 1200, 111000, 150000);           /* runs past inner stop */
	record_event(&o, 10, T1, EV_B, WS, 1300, 120000);      /* inner stop */
	api(&o, 10, T1, "cudaStreamWaitEvent", WS, 0x4000, 1400); /* an unrelated wait */
	launch(&o, 10, T1, WS, 1500, 150000, 190000);
	record_event(&o, 10, T1, 0x5000, WS, 1600, 200000);    /* outer stop */
	elapsed(&o, 10, EV_J, EV_B, 0.010, 2000, 0);            /* inner */
	elapsed(&o, 10, EV_A, 0x5000, 0.100, 2100, 0);          /* outer */
	struct result r;
	analyse(&o, &r);
	const struct record *f = finding(&r, "timing-escape");
	assert_non_null(f);
	assert_int_equal(ev_int(f, "windows"), 1); /* the inner only */
	assert_int_equal(ev_int(f, "of"), 2);
	json_t *ex = json_array_get(json_object_get(f->u.finding.evidence, "examples"), 0);
	assert_int_equal(json_integer_value(json_object_get(ex, "window_end")), 120000);
	/* the outer window covered the side kernel in time, but never joined it */
	const struct record *fs = finding(&r, "foreign-stream");
	assert_non_null(fs);
	assert_int_equal(ev_int(fs, "windows"), 2);
	result_free(&r, &o);
}

/* ---- events reused across iterations ---- */

static void test_reused_events(void **state)
{
	(void)state;
	struct obs o;
	obs_init(&o);
	process(&o, 10, 1);
	honest_window(&o, 10, 1000000, 5000000);
	/* iteration 2: its kernel escapes (side stream, no join) */
	record_event(&o, 10, T1, EV_A, WS, 2000000, 6000000);
	launch(&o, 10, T1, SS, 2000100, 6001000, 6100000);
	record_event(&o, 10, T1, EV_B, WS, 2000200, 6002000);
	elapsed(&o, 10, EV_A, EV_B, 0.002, 2000300, 0);
	honest_window(&o, 10, 3000000, 7000000);
	struct result r;
	analyse(&o, &r);
	const struct record *f = finding(&r, "timing-escape");
	assert_non_null(f);
	assert_int_equal(ev_int(f, "windows"), 1);
	assert_int_equal(ev_int(f, "of"), 3);
	json_t *ex = json_array_get(json_object_get(f->u.finding.evidence, "examples"), 0);
	assert_int_equal(json_integer_value(json_object_get(ex, "window_start")), 6000000);
	result_free(&r, &o);
}

/* ---- many processes ---- */

/* Two processes use the same correlation ids, event handles and stream ids
 * (each numbers its own): nothing of one is matched with the other's. */
static void test_many_processes(void **state)
{
	(void)state;
	struct obs o;
	obs_init(&o);
	process(&o, 10, 1);
	honest_window(&o, 10, 1000000, 5000000);
	o.corr = 1; /* the second process counts from 1 as well */
	side_stream(&o, 0);
	/* side_stream() wrote pid 10: make it pid 11's */
	for (size_t i = o.f.l.n; i-- > 0;) {
		struct record *r = &o.f.l.v[i];
		if (r->type == REC_PROCESS) {
			r->u.process.pid = 11;
			break;
		}
		if (r->type == REC_API)
			r->u.api.pid = 11;
		else if (r->type == REC_EVENT)
			r->u.event.pid = 11;
		else if (r->type == REC_KERNEL)
			r->u.kernel.pid = 11;
		else if (r->type == REC_ELAPSED)
			r->u.elapsed.pid = 11;
	}
	struct result r;
	analyse(&o, &r);
	const struct record *f = finding(&r, "timing-escape");
	assert_non_null(f);
	assert_int_equal(count(&r, "timing-escape"), 1);
	assert_int_equal(ev_int(f, "pid"), 11);
	assert_int_equal(ev_int(f, "of"), 1);
	result_free(&r, &o);

	/* and the honest process alone is honest */
	obs_init(&o);
	process(&o, 10, 1);
	honest_window(&o, 10, 1000000, 5000000);
	analyse(&o, &r);
	assert_int_equal(r.found.n, 0);
	result_free(&r, &o);
}

/* ---- deferred-launch ---- */

static void other_thread(int thread, struct result *r, struct obs *o)
{
	obs_init(o);
	process(o, 10, 1);
	record_event(o, 10, T1, EV_A, WS, 1000, 100000);
	launch(o, 10, thread, WS, 1100, 101000, 150000);
	record_event(o, 10, T1, EV_B, WS, 1200, 151000);
	elapsed(o, 10, EV_A, EV_B, 0.051, 2000, 0);
	analyse(o, r);
}

static void test_deferred_launch(void **state)
{
	(void)state;
	struct obs o;
	struct result r;
	other_thread(T2, &r, &o);
	assert_int_equal(count(&r, "deferred-launch"), 1);
	assert_int_equal(count(&r, "timing-escape"), 0);
	result_free(&r, &o);
	other_thread(T1, &r, &o);
	assert_int_equal(r.found.n, 0);
	result_free(&r, &o);
}

/* Work launched after the stop event's call is the next window's, never
 * this one's, even when it runs on the GPU before the stop completes. */
static void test_launch_after_stop_not_counted(void **state)
{
	(void)state;
	struct obs o;
	obs_init(&o);
	process(&o, 10, 1);
	record_event(&o, 10, T1, EV_A, WS, 1000, 100000);
	record_event(&o, 10, T1, EV_B, WS, 1200, 151000);
	launch(&o, 10, T1, SS, 1300, 140000, 400000);
	elapsed(&o, 10, EV_A, EV_B, 0.051, 2000, 0);
	struct result r;
	analyse(&o, &r);
	assert_int_equal(r.found.n, 0);
	result_free(&r, &o);
}

/* ---- what cannot be judged ---- */

static void test_unsynchronised_read(void **state)
{
	(void)state;
	struct obs o;
	obs_init(&o);
	process(&o, 10, 1);
	record_event(&o, 10, T1, EV_A, WS, 1000, 100000);
	launch(&o, 10, T1, SS, 1100, 101000, 351000);
	record_event(&o, 10, T1, EV_B, WS, 1400, 105000);
	elapsed(&o, 10, EV_A, EV_B, 0, 1500, 600); /* cudaErrorNotReady: no number */
	struct result r;
	analyse(&o, &r);
	assert_int_equal(r.found.n, 0);
	assert_string_equal(verdict(&r), "inconclusive");
	result_free(&r, &o);
}

static void test_no_device_timestamps(void **state)
{
	(void)state;
	struct obs o;
	obs_init(&o);
	process(&o, 10, 1);
	record_event(&o, 10, T1, EV_A, WS, 1000, REC_NONE);
	launch(&o, 10, T1, SS, 1100, 101000, 351000);
	record_event(&o, 10, T1, EV_B, WS, 1400, REC_NONE);
	elapsed(&o, 10, EV_A, EV_B, 0.004, 1500, 0);
	struct result r;
	analyse(&o, &r);
	assert_int_equal(count(&r, "trace-incomplete"), 1);
	assert_int_equal(count(&r, "timing-escape"), 0);
	assert_string_equal(verdict(&r), "inconclusive");
	result_free(&r, &o);
}

static void test_unsubscribed_process(void **state)
{
	(void)state;
	struct obs o;
	obs_init(&o);
	process(&o, 10, 1);
	process(&o, 12, 0);
	honest_window(&o, 10, 1000000, 5000000);
	struct result r;
	analyse(&o, &r);
	assert_int_equal(count(&r, "trace-incomplete"), 1);
	assert_int_equal(ev_int(finding(&r, "trace-incomplete"), "pid"), 12);
	assert_string_equal(verdict(&r), "reproduced"); /* a warning only */
	result_free(&r, &o);
}

/* A read of events never recorded (or recorded after the read) is no
 * window; a failed command is an error verdict. */
static void test_unpaired_and_error(void **state)
{
	(void)state;
	struct obs o;
	obs_init(&o);
	process(&o, 10, 1);
	elapsed(&o, 10, EV_A, EV_B, 0.004, 500, 0);
	record_event(&o, 10, T1, EV_A, WS, 1000, 100000);
	record_event(&o, 10, T1, EV_B, WS, 1400, 105000);
	struct result r;
	analyse(&o, &r);
	assert_int_equal(r.found.n, 0);
	assert_string_equal(verdict(&r), "inconclusive");
	result_free(&r, &o);

	obs_init(&o);
	process(&o, 10, 1);
	honest_window(&o, 10, 1000000, 5000000);
	struct record *e = add(&o, REC_ERROR);
	e->u.error.where = strdup("command");
	e->u.error.message = strdup("exited with status 1");
	analyse(&o, &r);
	assert_string_equal(verdict(&r), "error");
	result_free(&r, &o);
}

/* cudaEventRecord calls cuEventRecord: both are sent, and the CUDA_EVENT
 * activity carries the runtime call's correlation id; the later (driver)
 * call is the one paired with the read, and still gets its timestamp. */
static void test_nested_event_record(void **state)
{
	(void)state;
	struct obs o;
	obs_init(&o);
	process(&o, 10, 1);
	for (int k = 0; k < 2; k++) {
		int64_t ev = k ? EV_B : EV_A, at = k ? 1200 : 1000, ts = k ? 152000 : 100000;
		struct record *rt = add(&o, REC_API);
		rt->u.api.name = strdup("cudaEventRecord");
		rt->u.api.pid = 10;
		rt->u.api.thread = T1;
		rt->u.api.stream = WS;
		rt->u.api.event = ev;
		rt->u.api.start = at;
		rt->u.api.end = at + 50;
		rt->u.api.corr = o.corr++;
		struct record *ev_act = add(&o, REC_EVENT);
		ev_act->u.event.pid = 10;
		ev_act->u.event.corr = o.corr - 1;
		ev_act->u.event.ts = ts;
		struct record *dr = add(&o, REC_API);
		dr->u.api.name = strdup("cuEventRecord");
		dr->u.api.pid = 10;
		dr->u.api.thread = T1;
		dr->u.api.stream = WS;
		dr->u.api.event = ev;
		dr->u.api.start = at + 10;
		dr->u.api.end = at + 40;
		dr->u.api.corr = o.corr++;
		if (k == 0)
			launch(&o, 10, T1, SS, 1100, 101000, 351000); /* escapes */
	}
	elapsed(&o, 10, EV_A, EV_B, 0.052, 2000, 0);
	struct result r;
	analyse(&o, &r);
	assert_int_equal(count(&r, "timing-escape"), 1);
	assert_int_equal(count(&r, "trace-incomplete"), 0);
	result_free(&r, &o);
}

/* A benchmark of many windows: each costs binary searches, not a scan. */
static void test_many_windows(void **state)
{
	(void)state;
	struct obs o;
	obs_init(&o);
	process(&o, 10, 1);
	for (int i = 0; i < 20000; i++)
		honest_window(&o, 10, 1000000 * (int64_t)(i + 1), 5000000 * (int64_t)(i + 1));
	struct result r;
	analyse(&o, &r);
	assert_int_equal(r.found.n, 0);
	assert_string_equal(verdict(&r), "reproduced");
	result_free(&r, &o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_honest_windows),
		cmocka_unit_test(test_side_stream_escapes),
		cmocka_unit_test(test_side_stream_joined),
		cmocka_unit_test(test_join_too_early),
		cmocka_unit_test(test_graph_replay),
		cmocka_unit_test(test_nested_windows),
		cmocka_unit_test(test_reused_events),
		cmocka_unit_test(test_many_processes),
		cmocka_unit_test(test_deferred_launch),
		cmocka_unit_test(test_launch_after_stop_not_counted),
		cmocka_unit_test(test_unsynchronised_read),
		cmocka_unit_test(test_no_device_timestamps),
		cmocka_unit_test(test_unsubscribed_process),
		cmocka_unit_test(test_unpaired_and_error),
		cmocka_unit_test(test_nested_event_record),
		cmocka_unit_test(test_many_windows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
