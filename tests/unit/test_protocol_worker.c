/*
 * test_protocol_worker.c - `kaudit __worker` (src/cli/cmd_worker.c) without
 * a GPU: argument errors are exit 2, a missing plugin is exit 3 with one
 * line on stderr, and a case run on the host test double streams decodable
 * JSON lines on stdout, each carrying the case, ending in an error record
 * and exit 1 when the candidate fails.  The file is included (libssh
 * style) to reach its static functions.
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

#include "../../src/cli/cmd_worker.c"
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

static int call_worker(const char **args, int n, char **err)
{
	char *argv[16];
	argv[0] = "__worker";
	for (int i = 0; i < n; i++)
		argv[i + 1] = (char *)args[i];
	argv[n + 1] = NULL;
	struct capture c;
	capture_begin(&c, STDERR_FILENO);
	int rc = cmd_worker(n + 1, argv);
	*err = capture_end(&c, NULL);
	return rc;
}

static void test_bad_arguments_exit_2(void **state)
{
	(void)state;
	char *err;
	const char *none[] = { "--quick" };
	assert_int_equal(call_worker(none, 1, &err), EXIT_BAD_INPUT);
	assert_non_null(strstr(err, "no mode"));
	free(err);
	const char *partial[] = { "--claim", MANIFEST, "--case", "0" };
	assert_int_equal(call_worker(partial, 4, &err), EXIT_BAD_INPUT);
	assert_non_null(strstr(err, "--seed"));
	free(err);
	const char *seed[] = { "--probe", "--seed", "-1" };
	assert_int_equal(call_worker(seed, 3, &err), EXIT_BAD_INPUT);
	free(err);
	const char *nocase[] = { "--claim", MANIFEST, "--case", "99", "--seed", "1",
				 "--baseline-so", "a.so", "--candidate-so", "b.so" };
	assert_int_equal(call_worker(nocase, 10, &err), EXIT_BAD_INPUT);
	assert_non_null(strstr(err, "no case 99"));
	free(err);
}

static void test_missing_plugin_exit_3(void **state)
{
	(void)state;
	char *err;
	setenv("KAUDIT_GPU_LIB", "/nonexistent/libkaudit-gpu.so", 1);
	const char *probe_args[] = { "--probe" };
	assert_int_equal(call_worker(probe_args, 1, &err), EXIT_ENVIRONMENT);
	/* One line, naming what failed. */
	assert_non_null(strstr(err, "/nonexistent/libkaudit-gpu.so"));
	assert_non_null(strchr(err, '\n'));
	assert_int_equal(strchr(err, '\n')[1], '\0');
	free(err);
	const char *env_args[] = { "--environment" };
	assert_int_equal(call_worker(env_args, 1, &err), EXIT_ENVIRONMENT);
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

/* Runs case INDEX through the worker's own run_case and stdout sink. */
static int worker_case(size_t index, struct record_list *out)
{
	struct claim *c;
	struct errbuf e;
	assert_int_equal(claim_load(MANIFEST, &c, &e), 0);
	struct worker_args a = { .mode = MODE_CASE, .claim = MANIFEST, .case_index = index,
				 .seed = 7, .quick = 1, .baseline_so = "a.so",
				 .candidate_so = "b.so" };
	struct backend b;
	host_backend_open(&b, impls);
	struct capture cap, cerr;
	capture_begin(&cap, STDOUT_FILENO);
	capture_begin(&cerr, STDERR_FILENO);
	int rc = run_case(&a, &b, c);
	free(capture_end(&cerr, NULL));
	size_t len;
	char *text = capture_end(&cap, &len);
	b.close(b.self);
	claim_free(c);
	for (char *line = text; *line;) {
		char *nl = strchr(line, '\n');
		assert_non_null(nl); /* every record is a whole line */
		struct record r;
		assert_int_equal(record_decode_line(line, (size_t)(nl - line), &r, &e), 0);
		assert_int_equal(r.case_index, (int64_t)index);
		record_list_push(out, &r);
		line = nl + 1;
	}
	free(text);
	return rc;
}

static void test_case_streams_records(void **state)
{
	(void)state;
	struct record_list l = { 0 };
	assert_int_equal(worker_case(0, &l), EXIT_OK);
	assert_true(l.n > 50);
	assert_int_equal(l.v[0].type, REC_CASE);
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
	assert_true(l.n >= 2);
	assert_int_equal(l.v[0].type, REC_CASE);
	assert_string_equal(l.v[0].u.kase.kernel, "failing");
	assert_int_equal(l.v[l.n - 1].type, REC_ERROR);
	assert_string_equal(l.v[l.n - 1].u.error.where, "launch");
	record_list_free(&l);
}

/* Past the cap, records are counted and reported by one dropped record. */
static void test_sink_cap_reports_drops(void **state)
{
	(void)state;
	struct stdout_sink s = { .fd = STDOUT_FILENO, .case_index = 4,
				  .written = WORKER_MAX_RECORDS };
	struct record r;
	record_init(&r, REC_SAMPLE);
	r.u.sample.event_ns = 1.0;
	struct capture cap;
	capture_begin(&cap, STDOUT_FILENO);
	assert_int_equal(stdout_emit(&s, &r), 0);
	assert_int_equal(stdout_emit(&s, &r), 0);
	assert_int_equal(stdout_finish(&s), 0);
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
		cmocka_unit_test(test_bad_arguments_exit_2),
		cmocka_unit_test(test_missing_plugin_exit_3),
		cmocka_unit_test(test_case_streams_records),
		cmocka_unit_test(test_failing_case_exit_1),
		cmocka_unit_test(test_sink_cap_reports_drops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
