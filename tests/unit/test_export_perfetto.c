/*
 * test_export_perfetto.c - the Perfetto writer on records built in memory
 * (what a trace cannot easily carry, or what a shell test cannot see):
 * names that are not valid UTF-8 or that are very long, correlation ids that
 * repeat across cases, one launch feeding several kernels, ids that are not
 * line indices, a failing write, no records at all, and time linear in the
 * number of records however large the case indices.
 * tests/sh/export_perfetto.sh covers the rest end to end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cli/export_perfetto.h"

struct mem {
	char *p;
	size_t n, cap;
	size_t fail_after; /* a write beyond this many bytes fails; 0: never */
};

static int mem_write(void *self, const void *buf, size_t len)
{
	struct mem *m = self;
	if (m->fail_after && m->n + len > m->fail_after)
		return -1;
	xgrow((void **)&m->p, &m->cap, m->n + len + 1, 1);
	memcpy(m->p + m->n, buf, len);
	m->n += len;
	m->p[m->n] = '\0';
	return 0;
}

struct recs {
	struct record *v;
	size_t n, cap;
};

static struct record *add(struct recs *l, enum record_type t, int64_t kase)
{
	xgrow((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v);
	struct record *r = &l->v[l->n];
	record_init(r, t);
	r->id = (int64_t)l->n++;
	r->case_index = kase;
	r->phase = PHASE_TIMING;
	return r;
}

static struct record *api(struct recs *l, int64_t kase, int64_t thread, int64_t start,
			  int64_t corr)
{
	struct record *r = add(l, REC_API, kase);
	r->u.api.name = xstrdup("cudaLaunchKernel");
	r->u.api.thread = thread;
	r->u.api.start = start;
	r->u.api.end = start + 1000;
	r->u.api.corr = corr;
	r->u.api.in_call = 1;
	return r;
}

static struct record *kernel(struct recs *l, int64_t kase, const char *name, int64_t start,
			     int64_t corr)
{
	struct record *r = add(l, REC_KERNEL, kase);
	r->u.kernel.name = xstrdup(name);
	r->u.kernel.stream = 7;
	r->u.kernel.start = start;
	r->u.kernel.end = start + 500;
	r->u.kernel.corr = corr;
	return r;
}

static void recs_free(struct recs *l)
{
	for (size_t i = 0; i < l->n; i++)
		record_clear(&l->v[i]);
	free(l->v);
}

/* The export of L, parsed (the test fails unless it is JSON). */
static json_t *export(const struct recs *l)
{
	struct mem m = { 0 };
	assert_int_equal(perfetto_write(l->v, l->n, mem_write, &m), 0);
	json_error_t je;
	json_t *j = json_loadb(m.p, m.n, 0, &je);
	if (!j)
		fail_msg("not JSON: %s at %d", je.text, je.position);
	free(m.p);
	assert_true(json_is_array(json_object_get(j, "traceEvents")));
	return j;
}

/* The events of J with ph PH and, if not NULL, cat CAT (or, with FLOW,
 * flow_out or flow_in set) into OUT (at most MAX); returns how many. */
static size_t events(json_t *j, const char *ph, const char *cat, const char *flow, json_t **out,
		     size_t max)
{
	size_t i, k = 0;
	json_t *e;
	json_array_foreach(json_object_get(j, "traceEvents"), i, e) {
		if (strcmp(json_string_value(json_object_get(e, "ph")), ph) != 0)
			continue;
		if (cat && (!json_object_get(e, "cat") ||
			    strcmp(json_string_value(json_object_get(e, "cat")), cat) != 0))
			continue;
		if (flow && !json_is_true(json_object_get(e, flow)))
			continue;
		if (k < max)
			out[k] = e;
		k++;
	}
	return k;
}

static int64_t num(json_t *e, const char *k)
{
	return (int64_t)json_number_value(json_object_get(e, k));
}

static void names_are_escaped_and_never_cut(void **state)
{
	(void)state;
	struct recs l = { 0 };
	kernel(&l, 0, "bad \xff\xfe utf8, \"quotes\" \\ and \x01 control", 1000, REC_NONE);
	kernel(&l, 0, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 2000, REC_NONE);
	size_t big = 100000;
	char *name = xmalloc(big + 1);
	for (size_t i = 0; i < big; i++)
		name[i] = (char)('a' + i % 26);
	name[big] = '\0';
	kernel(&l, 0, name, 3000, REC_NONE);
	json_t *j = export(&l);
	json_t *k[3];
	assert_int_equal(events(j, "X", "kernel", NULL, k, 3), 3);
	assert_string_equal(json_string_value(json_object_get(k[0], "name")),
			    "bad \xef\xbf\xbd\xef\xbf\xbd utf8, \"quotes\" \\ and \x01 control");
	assert_string_equal(json_string_value(json_object_get(k[1], "name")),
			    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	assert_string_equal(json_string_value(json_object_get(k[2], "name")), name);
	free(name);
	json_decref(j);
	recs_free(&l);
}

/* Correlation ids restart in every worker: a kernel links to the api
 * record of its own case; a graph launch's kernels all link to it. */
static void flows_stay_in_their_case(void **state)
{
	(void)state;
	struct recs l = { 0 };
	api(&l, 0, 10, 1000, 1);           /* 0 */
	kernel(&l, 0, "a", 3000, 1);       /* 1 */
	kernel(&l, 0, "b", 4000, 1);       /* 2: the same launch */
	kernel(&l, 1, "c", 9000, 1);       /* 3: case 1's corr 1 */
	api(&l, 1, 11, 8000, 1);           /* 4: after its kernel in the records */
	api(&l, 1, 11, 8500, 2);           /* 5: no kernel: no flow */
	json_t *j = export(&l);
	json_t *s[4], *f[4];
	assert_int_equal(events(j, "X", NULL, "flow_out", s, 4), 2);
	assert_int_equal(events(j, "X", NULL, "flow_in", f, 4), 3);
	assert_int_equal(num(s[0], "bind_id"), num(f[0], "bind_id"));
	assert_int_equal(num(s[0], "bind_id"), num(f[1], "bind_id"));
	assert_int_not_equal(num(s[0], "bind_id"), num(f[2], "bind_id"));
	assert_int_equal(num(s[1], "bind_id"), num(f[2], "bind_id"));
	assert_string_equal(json_string_value(json_object_get(f[2], "name")), "c");
	/* case 1's api and case 0's are in different host processes */
	assert_int_not_equal(num(s[0], "pid"), num(s[1], "pid"));
	/* every tid is distinct from every pid */
	json_t *m[64];
	size_t nm = events(j, "M", NULL, NULL, m, 64);
	for (size_t a = 0; a < nm && a < 64; a++)
		for (size_t b = 0; b < nm && b < 64; b++)
			if (json_object_get(m[a], "tid"))
				assert_int_not_equal(num(m[a], "tid"), num(m[b], "pid"));
	json_decref(j);
	recs_free(&l);
}

/* A finding's evidence names record ids; they are line indices, but a
 * reader must not rely on it. */
static void findings_find_records_by_id(void **state)
{
	(void)state;
	struct recs l = { 0 };
	kernel(&l, 0, "a", 1000, REC_NONE);
	kernel(&l, 0, "b", 5000, REC_NONE);
	struct record *f = add(&l, REC_FINDING, 0);
	f->u.finding.code = xstrdup("timing-escape");
	f->u.finding.severity = xstrdup("invalidating");
	f->u.finding.evidence = json_pack("{s:[I,I]}", "records", (json_int_t)501,
					  (json_int_t)-3);
	l.v[0].id = 500;
	l.v[1].id = 501;
	json_t *j = export(&l);
	json_t *e[2];
	assert_int_equal(events(j, "i", "finding", NULL, e, 2), 1);
	assert_int_equal(num(e[0], "ts"), 4); /* record 501: (5000 - 1000) ns */
	assert_string_equal(json_string_value(json_object_get(json_object_get(e[0], "args"),
							      "placed_at")), "record 501");
	json_decref(j);
	recs_free(&l);
}

/* The tid of the thread_name event named NAME, -1 if none. */
static int64_t track_tid(json_t *j, const char *name)
{
	json_t *m[256];
	size_t n = events(j, "M", NULL, NULL, m, 256);
	for (size_t i = 0; i < n && i < 256; i++) {
		json_t *a = json_object_get(m[i], "args");
		if (json_is_string(json_object_get(a, "name")) &&
		    strcmp(json_string_value(json_object_get(a, "name")), name) == 0 &&
		    strcmp(json_string_value(json_object_get(m[i], "name")), "thread_name") == 0)
			return num(m[i], "tid");
	}
	return -1;
}

/* Slices on one track must nest or be disjoint (else Perfetto drops one):
 * a partial overlap spills to a lane of its own, nesting stays. */
static void overlapping_slices_get_lanes(void **state)
{
	(void)state;
	struct recs l = { 0 };
	struct record *r = api(&l, 0, 10, 1000, REC_NONE); /* 0: cudaLaunchKernel [1000, 5000] */
	r->u.api.end = 5000;
	r = api(&l, 0, 10, 2000, REC_NONE);                /* 1: nested in it (driver call) */
	free(r->u.api.name);
	r->u.api.name = xstrdup("cuLaunchKernel");
	r->u.api.end = 5000;
	kernel(&l, 0, "a", 10000, REC_NONE);               /* 2: [10000, 10500] */
	kernel(&l, 0, "b", 10400, REC_NONE);               /* 3: starts inside a, ends after */
	kernel(&l, 0, "c", 10500, REC_NONE);               /* 4: where a ends: a's lane */
	json_t *j = export(&l);
	int64_t stream = track_tid(j, "stream 7"), lane = track_tid(j, "stream 7 [overlap 2]");
	int64_t thread = track_tid(j, "host thread 10 (entry thread)");
	assert_true(stream > 0 && lane > 0 && thread > 0 && stream != lane);
	assert_int_equal(track_tid(j, "host thread 10 (entry thread) [overlap 2]"), -1);
	json_t *k[3], *a[2];
	assert_int_equal(events(j, "X", "kernel", NULL, k, 3), 3);
	assert_int_equal(num(k[0], "tid"), stream);
	assert_int_equal(num(k[1], "tid"), lane);
	assert_int_equal(num(k[2], "tid"), stream);
	assert_int_equal(events(j, "X", "api", NULL, a, 2), 2);
	assert_int_equal(num(a[0], "tid"), thread);
	assert_int_equal(num(a[1], "tid"), thread);
	json_decref(j);
	recs_free(&l);
}

static void a_failed_write_is_reported(void **state)
{
	(void)state;
	struct recs l = { 0 };
	for (int i = 0; i < 20000; i++)
		kernel(&l, 0, "k", 1000 * i, REC_NONE);
	struct mem m = { .fail_after = 4096 };
	assert_int_equal(perfetto_write(l.v, l.n, mem_write, &m), -1);
	free(m.p);
	recs_free(&l);
}

static void no_records(void **state)
{
	(void)state;
	struct recs l = { 0 };
	json_t *j = export(&l);
	assert_int_equal(json_array_size(json_object_get(j, "traceEvents")), 0);
	json_decref(j);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* 200000 records in 100000 cases with indices up to 2^40: no work per case
 * index, none per pair of records. */
static void linear_in_records(void **state)
{
	(void)state;
	struct recs l = { 0 };
	for (int64_t i = 0; i < 100000; i++) {
		int64_t kase = i * ((int64_t)1 << 23);
		api(&l, kase, 1, 1000 * i, i);
		kernel(&l, kase, "k", 1000 * i + 500, i);
	}
	double t = now();
	struct mem m = { 0 };
	assert_int_equal(perfetto_write(l.v, l.n, mem_write, &m), 0);
	t = now() - t;
	assert_true(m.n > 0);
	free(m.p);
	recs_free(&l);
	if (t > 5.0)
		fail_msg("200000 records took %.1f s", t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_are_escaped_and_never_cut),
		cmocka_unit_test(flows_stay_in_their_case),
		cmocka_unit_test(findings_find_records_by_id),
		cmocka_unit_test(overlapping_slices_get_lanes),
		cmocka_unit_test(a_failed_write_is_reported),
		cmocka_unit_test(no_records),
		cmocka_unit_test(linear_in_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
