/* test_run.c - the worker supervisor: line splitting, outcomes, timeouts. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "run/run.h"
#include "run/confine.h"

/* ---- line splitting ---- */

struct lines_seen {
	char lines[8][64];
	size_t n;
	int fail_at; /* 1-based line whose callback fails; 0 never */
};

static int collect(void *ctx, const char *line, size_t len, struct errbuf *e)
{
	struct lines_seen *s = ctx;
	if (s->fail_at && (int)s->n + 1 == s->fail_at)
		return errbuf_set(e, EXIT_BAD_INPUT, "refused");
	assert_true(s->n < 8 && len < 64);
	memcpy(s->lines[s->n], line, len);
	s->lines[s->n][len] = '\0';
	s->n++;
	return 0;
}

static void lines_split_across_feeds(void **state)
{
	(void)state;
	struct run_lines l;
	struct lines_seen s = { .n = 0 };
	struct errbuf e = { "", 0 };
	run_lines_init(&l, 64);
	assert_int_equal(run_lines_feed(&l, "ab", 2, collect, &s, &e), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(run_lines_pending(&l), 2);
	assert_int_equal(run_lines_feed(&l, "c\nde\n\nf", 7, collect, &s, &e), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.lines[0], "abc");
	assert_string_equal(s.lines[1], "de");
	assert_string_equal(s.lines[2], "");
	assert_int_equal(run_lines_pending(&l), 1);
	assert_int_equal(l.lineno, 3);
	run_lines_release(&l);
}

static void lines_ceiling_counts_the_newline(void **state)
{
	(void)state;
	struct run_lines l;
	struct lines_seen s = { .n = 0 };
	struct errbuf e = { "", 0 };
	/* max 4: "abc\n" fits, "abcd\n" does not. */
	run_lines_init(&l, 4);
	assert_int_equal(run_lines_feed(&l, "abc\n", 4, collect, &s, &e), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(run_lines_feed(&l, "abcd\n", 5, collect, &s, &e), -1);
	assert_non_null(strstr(e.msg, "line 2 is longer than 4 bytes"));
	run_lines_release(&l);

	/* The same line fed a byte at a time must hit the same ceiling
	 * without ever holding more than the ceiling. */
	struct lines_seen s2 = { .n = 0 };
	run_lines_init(&l, 4);
	int rc = 0;
	for (const char *p = "abcdefgh"; *p && rc == 0; p++)
		rc = run_lines_feed(&l, p, 1, collect, &s2, &e);
	assert_int_equal(rc, -1);
	assert_true(l.len <= 3);
	assert_int_equal(s2.n, 0);
	run_lines_release(&l);
}

static void lines_callback_failure_stops(void **state)
{
	(void)state;
	struct run_lines l;
	struct lines_seen s = { .n = 0, .fail_at = 2 };
	struct errbuf e = { "", 0 };
	run_lines_init(&l, 64);
	assert_int_equal(run_lines_feed(&l, "a\nb\nc\n", 6, collect, &s, &e), -1);
	assert_int_equal(s.n, 1);
	assert_string_equal(e.msg, "refused");
	run_lines_release(&l);
}

static void tail_keeps_the_end(void **state)
{
	(void)state;
	struct run_tail *t = calloc(1, sizeof *t);
	char last[64];
	run_tail_append(t, "first line\nsecond", 17);
	run_tail_append(t, " line\n\n", 7);
	run_tail_last_line(t, last, sizeof last);
	assert_string_equal(last, "second line");
	assert_int_equal(t->truncated, 0);

	char *big = malloc(RUN_TAIL_MAX * 2);
	memset(big, 'x', RUN_TAIL_MAX * 2);
	memcpy(big + RUN_TAIL_MAX * 2 - 5, "\nEND\n", 5);
	run_tail_append(t, big, RUN_TAIL_MAX * 2);
	assert_int_equal(t->len, RUN_TAIL_MAX);
	assert_true(t->truncated);
	run_tail_last_line(t, last, sizeof last);
	assert_string_equal(last, "END");
	/* Many small appends past the ceiling stay bounded and keep order. */
	for (int i = 0; i < 5000; i++)
		run_tail_append(t, "0123456789", 10);
	run_tail_append(t, "\n\x01tail\n", 7);
	assert_int_equal(t->len, RUN_TAIL_MAX);
	run_tail_last_line(t, last, sizeof last);
	assert_string_equal(last, "?tail");
	free(big);
	free(t);
}

/* ---- outcome classification ---- */

static int status_of_child(int how)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (how < 0) {
			signal(-how, SIG_DFL);
			raise(-how);
		}
		_exit(how);
	}
	int ws;
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	return ws;
}

static void classify_exit_and_signal(void **state)
{
	(void)state;
	struct run_result *r = calloc(1, sizeof *r);
	run_classify_wait(status_of_child(0), r);
	assert_int_equal(r->status, RUN_OK);
	run_classify_wait(status_of_child(5), r);
	assert_int_equal(r->status, RUN_EXIT);
	assert_int_equal(r->exit_code, 5);
	run_classify_wait(status_of_child(-SIGKILL), r);
	assert_int_equal(r->status, RUN_SIGNAL);
	assert_int_equal(r->sig, SIGKILL);
	assert_string_equal(run_signal_name(SIGSEGV), "SIGSEGV");
	assert_string_equal(run_signal_name(SIGBUS), "SIGBUS");
	assert_string_equal(run_signal_name(77), "signal 77");
	free(r);
}

static void error_record_names_the_failure(void **state)
{
	(void)state;
	struct run_result *r = calloc(1, sizeof *r);
	struct record rec;
	r->status = RUN_OK;
	assert_int_equal(run_result_error(r, 2, &rec), -1);

	r->status = RUN_SIGNAL;
	r->sig = SIGSEGV;
	run_tail_append(&r->err, "loading kernel\nsegfault in foo\n", 31);
	assert_int_equal(run_result_error(r, 2, &rec), 0);
	assert_int_equal(rec.type, REC_ERROR);
	assert_int_equal(rec.case_index, 2);
	assert_string_equal(rec.u.error.where, "crash");
	assert_int_equal(rec.u.error.signal, SIGSEGV);
	assert_string_equal(rec.u.error.message, "worker crashed with SIGSEGV: segfault in foo");
	record_clear(&rec);

	r->status = RUN_EXIT;
	r->exit_code = 3;
	assert_int_equal(run_result_error(r, 0, &rec), 0);
	assert_string_equal(rec.u.error.where, "environment");
	assert_int_equal(rec.u.error.status, 3);
	record_clear(&rec);

	r->status = RUN_TIMEOUT;
	r->elapsed_s = 2.01;
	assert_int_equal(run_result_error(r, 0, &rec), 0);
	assert_string_equal(rec.u.error.where, "timeout");
	assert_non_null(strstr(rec.u.error.message, "timed out after 2 s"));
	record_clear(&rec);
	free(r);
}

/* ---- running real processes ---- */

static struct run_result *run_sh(const char *script, double timeout, int64_t kase,
				 struct record_list *got, size_t max_records, size_t max_line,
				 volatile sig_atomic_t *stop)
{
	char *argv[] = { "/bin/sh", "-c", (char *)script, NULL };
	struct record_sink sink = { record_list_sink_emit, got };
	struct run_opts o = { .argv = argv, .timeout_s = timeout, .grace_s = 0.3,
			      .sink = got ? &sink : NULL, .case_index = kase,
			      .max_records = max_records, .max_line = max_line, .stop = stop };
	struct run_result *r = calloc(1, sizeof *r);
	struct errbuf e = { "", 0 };
	assert_int_equal(run_worker(&o, r, &e), 0);
	return r;
}

#define REC_LINE "{\"type\":\"check\",\"case\":7,\"id\":5,\"kind\":\"compare\",\"ok\":true}"

static void records_are_forced_to_the_case(void **state)
{
	(void)state;
	struct record_list got = { 0 };
	struct run_result *r = run_sh("echo '" REC_LINE "'; echo '" REC_LINE "'; "
				      "echo done >&2", 10, 3, &got, 0, 0, NULL);
	assert_int_equal(r->status, RUN_OK);
	assert_int_equal(r->records, 2);
	assert_int_equal(got.n, 2);
	for (size_t i = 0; i < got.n; i++) {
		assert_int_equal(got.v[i].type, REC_CHECK);
		assert_int_equal(got.v[i].case_index, 3);
		assert_true(got.v[i].id == REC_NONE);
	}
	assert_string_equal(r->err.buf, "done\n");
	record_list_free(&got);
	free(r);
}

static void garbage_is_malformed(void **state)
{
	(void)state;
	struct record_list got = { 0 };
	/* After the bad line the worker would go on for a long time: it must
	 * be stopped, not waited for. */
	struct run_result *r = run_sh("echo '" REC_LINE "'; echo 'not json'; sleep 30", 20, 0,
				      &got, 0, 0, NULL);
	assert_int_equal(r->status, RUN_MALFORMED);
	assert_non_null(strstr(r->problem, "line 2"));
	assert_non_null(strstr(r->problem, "not json"));
	assert_int_equal(got.n, 1);
	assert_true(r->elapsed_s < 10);
	record_list_free(&got);
	free(r);

	r = run_sh("echo '{\"type\":\"footer\",\"records\":1,\"sha256\":\"00\"}'", 10, 0, &got,
		   0, 0, NULL);
	assert_int_equal(r->status, RUN_MALFORMED);
	assert_non_null(strstr(r->problem, "may not send a footer record"));
	assert_int_equal(got.n, 0);
	free(r);

	/* Verdicts are the supervisor's to give, not a worker's. */
	r = run_sh("echo '{\"type\":\"verdict\",\"verdict\":\"reproduced\"}'", 10, 0, &got,
		   0, 0, NULL);
	assert_int_equal(r->status, RUN_MALFORMED);
	assert_non_null(strstr(r->problem, "may not send a verdict record"));
	assert_int_equal(got.n, 0);
	free(r);

	/* A record cut short at a clean exit is malformed; at a crash the
	 * crash is what counts. */
	r = run_sh("printf '{\"type\":\"che'", 10, 0, &got, 0, 0, NULL);
	assert_int_equal(r->status, RUN_MALFORMED);
	assert_non_null(strstr(r->problem, "inside a record"));
	free(r);
	r = run_sh("printf '{\"type\":\"che'; kill -SEGV $$", 10, 0, &got, 0, 0, NULL);
	assert_int_equal(r->status, RUN_SIGNAL);
	assert_int_equal(r->sig, SIGSEGV);
	assert_true(r->partial > 0);
	free(r);
	record_list_free(&got);
}

static void ceilings_stop_the_worker(void **state)
{
	(void)state;
	struct record_list got = { 0 };
	struct run_result *r = run_sh("while :; do echo '" REC_LINE "'; done", 20, 0, &got, 3,
				      0, NULL);
	assert_int_equal(r->status, RUN_TOO_MANY);
	assert_non_null(strstr(r->problem, "more than 3 records"));
	assert_int_equal(got.n, 3);
	record_list_free(&got);
	free(r);

	r = run_sh("while :; do printf xxxxxxxxxxxxxxxxxxxx; done", 20, 0, &got, 0, 100,
		   NULL);
	assert_int_equal(r->status, RUN_MALFORMED);
	assert_non_null(strstr(r->problem, "longer than 100 bytes"));
	free(r);
	record_list_free(&got);
}

static void exit_codes_and_signals(void **state)
{
	(void)state;
	struct record_list got = { 0 };
	struct run_result *r = run_sh("echo 'cudaMalloc failed' >&2; exit 5", 10, 0, &got, 0, 0,
				      NULL);
	assert_int_equal(r->status, RUN_EXIT);
	assert_int_equal(r->exit_code, 5);
	char msg[600];
	run_result_describe(r, msg, sizeof msg);
	assert_string_equal(msg, "worker exited with status 5: cudaMalloc failed");
	free(r);

	r = run_sh("kill -SEGV $$", 10, 0, &got, 0, 0, NULL);
	assert_int_equal(r->status, RUN_SIGNAL);
	assert_int_equal(r->sig, SIGSEGV);
	free(r);
	record_list_free(&got);
}

static int process_gone(pid_t pid)
{
	/* Dead, or a zombie waiting for whoever adopted it. */
	for (int i = 0; i < 100; i++) {
		char path[64], buf[256];
		snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
		FILE *f = fopen(path, "r");
		if (!f)
			return 1;
		size_t n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = '\0';
		char *rp = strrchr(buf, ')');
		if (rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X'))
			return 1;
		usleep(20000);
	}
	return 0;
}

static void timeout_kills_the_group(void **state)
{
	(void)state;
	char pidfile[] = "/tmp/kaudit-test-run-XXXXXX";
	int fd = mkstemp(pidfile);
	assert_true(fd >= 0);
	close(fd);
	char script[512];
	/* The worker ignores SIGTERM and leaves a grandchild behind: both must
	 * go (SIGKILL after the grace period, to the whole group). */
	snprintf(script, sizeof script,
		 "trap '' TERM; sleep 60 & echo $! > %s; echo about to hang >&2; "
		 "while :; do sleep 1; done", pidfile);
	struct record_list got = { 0 };
	struct run_result *r = run_sh(script, 0.5, 0, &got, 0, 0, NULL);
	assert_int_equal(r->status, RUN_TIMEOUT);
	assert_true(r->elapsed_s >= 0.5);
	assert_true(r->elapsed_s < 5);
	char msg[600];
	run_result_describe(r, msg, sizeof msg);
	assert_non_null(strstr(msg, "timed out"));
	assert_non_null(strstr(msg, "about to hang"));
	FILE *f = fopen(pidfile, "r");
	assert_non_null(f);
	int gpid = 0;
	assert_int_equal(fscanf(f, "%d", &gpid), 1);
	fclose(f);
	unlink(pidfile);
	assert_true(gpid > 0);
	assert_true(process_gone(gpid));
	free(r);
	record_list_free(&got);
}

static void stop_flag_interrupts(void **state)
{
	(void)state;
	volatile sig_atomic_t stop = 1;
	struct run_result *r = run_sh("sleep 30", 0, 0, NULL, 0, 0, &stop);
	assert_int_equal(r->status, RUN_INTERRUPTED);
	assert_true(r->elapsed_s < 5);
	free(r);
}

static void spawn_failure_and_text_mode(void **state)
{
	(void)state;
	char *argv[] = { "/nonexistent/kaudit-worker", "__worker", NULL };
	struct run_opts o = { .argv = argv, .timeout_s = 5, .case_index = REC_NONE };
	struct run_result *r = calloc(1, sizeof *r);
	struct errbuf e = { "", 0 };
	assert_int_equal(run_worker(&o, r, &e), 0);
	assert_int_equal(r->status, RUN_SPAWN_FAILED);
	assert_non_null(strstr(r->problem, "/nonexistent/kaudit-worker"));
	assert_non_null(strstr(r->problem, "No such file"));
	free(r);

	r = run_sh("echo 'Fake GPU 0'; echo 'not a record either'", 5, REC_NONE, NULL, 0, 0,
		   NULL);
	assert_int_equal(r->status, RUN_OK);
	assert_string_equal(r->out.buf, "Fake GPU 0\nnot a record either\n");
	free(r);
}

/* What a worker can leave in its scratch without chmod: directories made
 * without permissions, nested, holding files.  Removed all the same, also
 * by a user whom permissions bind (root is not: the check drops to
 * nobody when it can). */
static void scratch_removal_opens_locked_dirs(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(3);
		char dir[PATH_MAX], p[PATH_MAX + 64];
		struct errbuf e;
		setenv("TMPDIR", "/tmp", 1);
		if (run_scratch_make(dir, sizeof dir, &e) < 0)
			_exit(4);
		snprintf(p, sizeof p, "%s/a", dir);
		if (mkdir(p, 0700) != 0)
			_exit(5);
		snprintf(p, sizeof p, "%s/a/b", dir);
		if (mkdir(p, 0700) != 0)
			_exit(5);
		snprintf(p, sizeof p, "%s/a/b/file", dir);
		FILE *f = fopen(p, "w");
		if (!f || fputs("x", f) < 0 || fclose(f) != 0)
			_exit(6);
		snprintf(p, sizeof p, "%s/a/b", dir);
		if (chmod(p, 0) != 0)
			_exit(7);
		snprintf(p, sizeof p, "%s/a", dir);
		if (chmod(p, 0) != 0)
			_exit(7);
		run_scratch_remove(dir);
		struct stat st;
		_exit(lstat(dir, &st) == 0 ? 1 : 0);
	}
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines_split_across_feeds),
		cmocka_unit_test(lines_ceiling_counts_the_newline),
		cmocka_unit_test(lines_callback_failure_stops),
		cmocka_unit_test(tail_keeps_the_end),
		cmocka_unit_test(classify_exit_and_signal),
		cmocka_unit_test(error_record_names_the_failure),
		cmocka_unit_test(records_are_forced_to_the_case),
		cmocka_unit_test(garbage_is_malformed),
		cmocka_unit_test(ceilings_stop_the_worker),
		cmocka_unit_test(exit_codes_and_signals),
		cmocka_unit_test(timeout_kills_the_group),
		cmocka_unit_test(stop_flag_interrupts),
		cmocka_unit_test(spawn_failure_and_text_mode),
		cmocka_unit_test(scratch_removal_opens_locked_dirs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
