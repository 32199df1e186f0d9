/*
 * test_protocol_worker.c - the worker's end of the wire (src/run/worker.c,
 * src/run/wire.c) without a GPU: a bad mode or plan is exit 2, a missing
 * plugin is exit 3 with one line, a plan survives encoding and decoding, a
 * case run on the host test double streams decodable JSON lines that carry
 * the case and no `case` record of their own (the supervisor writes that),
 * ending in an error record when the candidate fails; the record cap is
 * reported.  The file is included (libssh style) to reach its statics.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "run/worker.c"
#include "util/rng.h"
#include "cli/cmds.h"
#include "host_backend.h"

#define MANIFEST "tests/unit/data/protocol.yaml"

/* fd FD redirected into a temporary file; capture_end returns what was
 * written (malloc'ed). */
struct capture {
	int fd, saved;
	FILE *f;
};

static void capture_begin(struct capture *c, int fd)
{
	fflush(NULL);
	c->fd = fd;
	c->f = tmpfile();
	assert_non_null(c->f);
	c->saved = dup(fd);
	assert_true(c->saved >= 0);
	assert_true(dup2(fileno(c->f), fd) >= 0);
}

static char *capture_end(struct capture *c, size_t *len)
{
	fflush(NULL);
	assert_true(dup2(c->saved, c->fd) >= 0);
	close(c->saved);
	long n = ftell(c->f);
	assert_true(n >= 0);
	char *s = xmalloc((size_t)n + 1);
	rewind(c->f);
	assert_int_equal(fread(s, 1, (size_t)n, c->f), (size_t)n);
	s[n] = '\0';
	fclose(c->f);
	if (len)
		*len = (size_t)n;
	return s;
}

/* `kaudit __worker MODE` with PLAN (may be NULL: empty stdin). */
static int call_worker(const char *mode, const char *plan, char **err)
{
	char *argv[] = { "__worker", (char *)mode, NULL };
	FILE *in = tmpfile();
	assert_non_null(in);
	if (plan)
		fputs(plan, in);
	fflush(in);
	rewind(in);
	int saved_in = dup(0);
	assert_true(dup2(fileno(in), 0) >= 0);
	struct capture c;
	capture_begin(&c, STDERR_FILENO);
	int rc = cmd_worker(mode ? 2 : 1, argv);
	*err = capture_end(&c, NULL);
	assert_true(dup2(saved_in, 0) >= 0);
	close(saved_in);
	fclose(in);
	return rc;
}

static void test_bad_mode_or_plan_exit_2(void **state)
{
	(void)state;
	char *err;
	assert_int_equal(call_worker(NULL, NULL, &err), EXIT_BAD_INPUT);
	free(err);
	assert_int_equal(call_worker("--claim", NULL, &err), EXIT_BAD_INPUT);
	assert_non_null(strstr(err, "kaudit __worker: unknown option '--claim'"));
	free(err);
	assert_int_equal(call_worker("--probe", "not json", &err), EXIT_BAD_INPUT);
	assert_non_null(strstr(err, "plan: not a JSON object"));
	free(err);
	/* The plan's mode must be the argv's. */
	assert_int_equal(call_worker("--case", "{\"mode\":\"probe\",\"device\":0}", &err),
			 EXIT_BAD_INPUT);
	assert_non_null(strstr(err, "its mode is not --case"));
	free(err);
	/* A case plan without its fields, and one with a budget out of range. */
	assert_int_equal(call_worker("--case", "{\"mode\":\"case\",\"device\":0}", &err),
			 EXIT_BAD_INPUT);
	assert_non_null(strstr(err, "manifest_path"));
	free(err);
}

static struct run_plan case_plan(int64_t index, const char *text, size_t len)
{
	struct run_plan p = { .mode = RUN_MODE_CASE, .manifest_path = MANIFEST,
			      .manifest_text = (char *)text, .manifest_len = len,
			      .case_index = index, .baseline_so = "a.so", .candidate_so = "b.so" };
	audit_opts_init(&p.opts, 0x1fedcba9876543ULL, 1);
	return p;
}

static void test_plan_round_trip(void **state)
{
	(void)state;
	const char text[] = "kaudit: 1\n";
	struct run_plan p = case_plan(3, text, sizeof text - 1);
	p.opts.trials = 7;
	p.opts.min_samples = 4;
	size_t len;
	char *json = run_plan_encode(&p, &len);
	struct run_plan q;
	struct errbuf e = { "", 0 };
	assert_int_equal(run_plan_decode(json, len, &q, &e), 0);
	assert_int_equal(q.mode, RUN_MODE_CASE);
	assert_int_equal(q.case_index, 3);
	assert_true(q.opts.seed == 0x1fedcba9876543ULL); /* all 53 bits */
	assert_int_equal(q.opts.trials, 7);
	assert_int_equal(q.opts.min_samples, 4);
	assert_int_equal(q.opts.quick, 1);
	assert_int_equal(q.opts.emit_case, 0); /* the supervisor writes it */
	assert_string_equal(q.manifest_text, text);
	assert_string_equal(q.opts.candidate_so, "b.so");
	run_plan_release(&q);
	/* A budget outside what the protocol can use is refused. */
	char *bad = strstr(json, "\"trials\":7");
	assert_non_null(bad);
	memcpy(bad, "\"trials\":0", 10);
	assert_int_equal(run_plan_decode(json, len, &q, &e), -1);
	assert_non_null(strstr(e.msg, "trials"));
	free(json);
	/* Seeds are below 2^53: the largest passes, 2^53 is refused. */
	for (int over = 0; over < 2; over++) {
		p.opts.seed = RNG_SEED_LIMIT - 1 + (uint64_t)over;
		json = run_plan_encode(&p, &len);
		int rc = run_plan_decode(json, len, &q, &e);
		free(json);
		if (over) {
			assert_int_equal(rc, -1);
			assert_non_null(strstr(e.msg, "'seed'"));
		} else {
			assert_int_equal(rc, 0);
			assert_true(q.opts.seed == RNG_SEED_LIMIT - 1);
			run_plan_release(&q);
		}
	}
}

static void test_missing_plugin_exit_3(void **state)
{
	(void)state;
	char *err;
	setenv("KAUDIT_GPU_LIB", "/nonexistent/libkaudit-gpu.so", 1);
	assert_int_equal(call_worker("--probe", "{\"mode\":\"probe\",\"device\":0}", &err),
			 EXIT_ENVIRONMENT);
	/* One line, naming what failed. */
	assert_non_null(strstr(err, "/nonexistent/libkaudit-gpu.so"));
	assert_non_null(strchr(err, '\n'));
	assert_int_equal(strchr(err, '\n')[1], '\0');
	free(err);
	assert_int_equal(call_worker("--environment", "{\"mode\":\"environment\",\"device\":0}",
				     &err), EXIT_ENVIRONMENT);
	free(err);
	unsetenv("KAUDIT_GPU_LIB");
}

static int ref_scale(const kaudit_launch *l, struct host_impl_state *st)
{
	(void)st;
	const float *x = l->buffers[0].data;
	float *y = l->buffers[1].data;
	for (int64_t i = 0; i < kaudit_param(l, "N", 0); i++)
		y[i] = 2.0f * x[i] + 1.0f;
	return 0;
}

static int fail_entry(const kaudit_launch *l, struct host_impl_state *st)
{
	(void)l;
	(void)st;
	return 3;
}

static const struct host_impl_def impls[] = {
	{ "ref_scale", ref_scale, 2000, 0 },
	{ "fast_scale", ref_scale, 1000, 0 },
	{ "cheat_fail", fail_entry, 1000, 0 },
	{ NULL, NULL, 0, 0 },
};

/* Runs case INDEX through the worker's own plan decoding, claim loading
 * (from the plan's text) and record channel. */
static int worker_case(int64_t index, struct record_list *out)
{
	char *text;
	size_t tlen;
	struct errbuf e = { "", 0 };
	assert_int_equal(read_file(MANIFEST, 1 << 20, &text, &tlen, &e), 0);
	struct run_plan p0 = case_plan(index, text, tlen);
	size_t len;
	char *json = run_plan_encode(&p0, &len);
	struct run_plan p;
	assert_int_equal(run_plan_decode(json, len, &p, &e), 0);
	free(json);
	free(text);
	struct claim *c;
	assert_int_equal(run_worker_plan_claim(&p, &c, &e), 0);
	struct backend b;
	host_backend_open(&b, impls);
	FILE *f = tmpfile();
	assert_non_null(f);
	struct capture cerr;
	capture_begin(&cerr, STDERR_FILENO);
	int rc = audit_case(&p, c, &b, fileno(f), &e);
	free(capture_end(&cerr, NULL));
	b.close(b.self);
	claim_free(c);
	run_plan_release(&p);
	long n = ftell(f);
	char *out_text = xmalloc((size_t)n + 1);
	rewind(f);
	assert_int_equal(fread(out_text, 1, (size_t)n, f), (size_t)n);
	out_text[n] = '\0';
	fclose(f);
	for (char *line = out_text; *line;) {
		char *nl = strchr(line, '\n');
		assert_non_null(nl); /* every record is a whole line */
		struct record r;
		assert_int_equal(record_decode_line(line, (size_t)(nl - line), &r, &e), 0);
		assert_int_equal(r.case_index, index);
		assert_true(r.type != REC_CASE);
		record_list_push(out, &r);
		line = nl + 1;
	}
	free(out_text);
	return rc < 0 ? e.code : 0;
}

static void test_case_streams_records(void **state)
{
	(void)state;
	struct record_list l = { 0 };
	assert_int_equal(worker_case(0, &l), EXIT_OK);
	assert_true(l.n > 50);
	size_t samples = 0, checks = 0;
	for (size_t i = 0; i < l.n; i++) {
		samples += l.v[i].type == REC_SAMPLE;
		checks += l.v[i].type == REC_CHECK;
		assert_true(l.v[i].type != REC_ERROR);
		if (l.v[i].type == REC_CHECK)
			assert_true(l.v[i].u.check.ok);
	}
	assert_true(samples > 0 && checks > 0);
	record_list_free(&l);
}

static void test_failing_case_exit_1(void **state)
{
	(void)state;
	struct record_list l = { 0 };
	assert_int_equal(worker_case(9, &l), EXIT_NOT_REPRODUCED); /* kernel "failing" */
	assert_true(l.n >= 1);
	assert_int_equal(l.v[l.n - 1].type, REC_ERROR);
	assert_string_equal(l.v[l.n - 1].u.error.where, "launch");
	record_list_free(&l);
}

/* Past the cap, records are counted and reported by one dropped record. */
static void test_channel_cap_reports_drops(void **state)
{
	(void)state;
	struct channel s = { .fd = STDOUT_FILENO, .case_index = 4,
			     .written = RUN_WORKER_MAX_RECORDS };
	struct record r;
	record_init(&r, REC_SAMPLE);
	r.u.sample.event_ns = 1.0;
	struct capture cap;
	capture_begin(&cap, STDOUT_FILENO);
	assert_int_equal(channel_emit(&s, &r), 0);
	assert_int_equal(channel_emit(&s, &r), 0);
	assert_int_equal(channel_finish(&s), 0);
	size_t len;
	char *text = capture_end(&cap, &len);
	struct record d;
	struct errbuf e;
	assert_int_equal(record_decode_line(text, len, &d, &e), 0);
	assert_int_equal(d.type, REC_DROPPED);
	assert_int_equal(d.u.dropped.count, 2);
	assert_int_equal(d.case_index, 4);
	record_clear(&d);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_mode_or_plan_exit_2),
		cmocka_unit_test(test_plan_round_trip),
		cmocka_unit_test(test_missing_plugin_exit_3),
		cmocka_unit_test(test_case_streams_records),
		cmocka_unit_test(test_failing_case_exit_1),
		cmocka_unit_test(test_channel_cap_reports_drops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
