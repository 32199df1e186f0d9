/*
 * fake_worker.c - a stand-in for `kaudit __worker` on machines without a
 * GPU, selected with KAUDIT_WORKER=path/to/fake_worker (kaudit(1)).  It
 * follows the worker's argv contract and misbehaves on demand, so the
 * supervisor's handling of crashes, hangs and garbage is tested for real.
 *
 * Environment:
 *   FAKE_WORKER_PROBE   "none": --probe fails like a machine without a GPU
 *   FAKE_WORKER_CASES   comma-separated behaviour per case index (the last
 *                       one repeats; default "ok"):
 *     ok        case, check and timing records, speedup FAKE_WORKER_SPEEDUP (2.0)
 *     wrong     like ok, but the comparison fails
 *     crash     a few records, then SIGSEGV
 *     hang      a record, then sleeps (with a child process) forever
 *     garbage   a line that is not JSON
 *     env       "no device" on stderr, exit 3
 *     fail      an error record (where cuda), exit 1
 *     othercase records that claim to belong to case 99
 *     partial   a record cut in the middle, exit 0
 *   FAKE_WORKER_ARGV    if set, a file the argv is appended to (one line)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace/record.h"

static void emit(struct record *r)
{
	char *line;
	size_t len;
	if (record_encode_line(r, &line, &len) < 0) {
		fprintf(stderr, "fake_worker: cannot encode a record\n");
		exit(1);
	}
	if (fwrite(line, 1, len, stdout) != len)
		exit(1);
	fflush(stdout);
	free(line);
	record_clear(r);
}

static void emit_check(long long kase, int ok)
{
	struct record r;
	record_init(&r, REC_CHECK);
	r.case_index = kase;
	r.phase = PHASE_CORRECTNESS;
	r.impl = IMPL_CANDIDATE;
	r.u.check.kind = strdup("compare");
	r.u.check.buffer = strdup("y");
	r.u.check.trial = 0;
	r.u.check.ok = ok;
	r.u.check.count = 1024;
	r.u.check.mismatches = ok ? 0 : 17;
	r.u.check.max_abs = ok ? 0.0 : 3.5;
	emit(&r);
}

static void emit_samples(long long kase, double speedup)
{
	long long call = 0;
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 10; i++) {
			for (int side = 0; side < 2; side++) {
				struct record r;
				record_init(&r, REC_SAMPLE);
				r.case_index = kase;
				r.phase = PHASE_TIMING;
				r.impl = side ? IMPL_CANDIDATE : IMPL_BASELINE;
				r.call = call++;
				r.u.sample.round = round;
				r.u.sample.index = i;
				double cand = 100000.0 + 100.0 * ((i * 7 + round) % 5);
				r.u.sample.event_ns = side ? cand : cand * speedup;
				r.u.sample.span_ns = r.u.sample.event_ns * 0.98;
				r.u.sample.kernels = 1;
				r.u.sample.traced = 1;
				r.u.sample.checked = (i == 3);
				emit(&r);
			}
		}
	}
}

static const char *behaviour(long long kase)
{
	static char buf[64];
	const char *list = getenv("FAKE_WORKER_CASES");
	if (!list || !*list)
		return "ok";
	const char *p = list;
	for (long long i = 0; i < kase; i++) {
		const char *comma = strchr(p, ',');
		if (!comma)
			break;
		p = comma + 1;
	}
	size_t n = strcspn(p, ",");
	if (n >= sizeof buf)
		n = sizeof buf - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

static void log_argv(int argc, char **argv)
{
	const char *path = getenv("FAKE_WORKER_ARGV");
	if (!path)
		return;
	FILE *f = fopen(path, "a");
	if (!f)
		return;
	for (int i = 1; i < argc; i++)
		fprintf(f, "%s%s", i > 1 ? " " : "", argv[i]);
	fputc('\n', f);
	fclose(f);
}

static const char *arg_after(int argc, char **argv, const char *name)
{
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

static int has_arg(int argc, char **argv, const char *name)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

static int run_case(long long kase)
{
	const char *b = behaviour(kase);
	const char *sp = getenv("FAKE_WORKER_SPEEDUP");
	double speedup = sp ? atof(sp) : 2.0;
	fprintf(stderr, "fake_worker: case %lld: %s\n", kase, b);
	if (strcmp(b, "ok") == 0 || strcmp(b, "wrong") == 0) {
		/* Like the real worker (audit_run_case): the case record first. */
		struct record c;
		record_init(&c, REC_CASE);
		c.case_index = kase;
		c.phase = PHASE_SETUP;
		c.u.kase.kernel = strdup("from-worker");
		c.u.kase.claimed = 2.0;
		emit(&c);
		emit_check(kase, strcmp(b, "ok") == 0);
		emit_samples(kase, speedup);
		return 0;
	}
	if (strcmp(b, "crash") == 0) {
		emit_check(kase, 1);
		fprintf(stderr, "fake_worker: about to dereference NULL\n");
		signal(SIGSEGV, SIG_DFL); /* past any sanitizer's handler */
		raise(SIGSEGV);
		return 1;
	}
	if (strcmp(b, "hang") == 0) {
		emit_check(kase, 1);
		if (fork() == 0) {
			for (;;)
				pause();
		}
		for (;;)
			pause();
	}
	if (strcmp(b, "garbage") == 0) {
		printf("this is not a record\n");
		fflush(stdout);
		return 0;
	}
	if (strcmp(b, "env") == 0) {
		fprintf(stderr, "fake_worker: no CUDA device is visible\n");
		return 3;
	}
	if (strcmp(b, "fail") == 0) {
		struct record r;
		record_init(&r, REC_ERROR);
		r.case_index = kase;
		r.u.error.where = strdup("cuda");
		r.u.error.message = strdup("cudaMalloc: out of memory");
		emit(&r);
		fprintf(stderr, "fake_worker: cudaMalloc failed\n");
		return 1;
	}
	if (strcmp(b, "othercase") == 0) {
		emit_check(99, 1);
		emit_samples(99, speedup);
		return 0;
	}
	if (strcmp(b, "partial") == 0) {
		emit_check(kase, 1);
		printf("{\"type\":\"check\",\"kind\":\"comp");
		fflush(stdout);
		return 0;
	}
	fprintf(stderr, "fake_worker: unknown behaviour '%s'\n", b);
	return 2;
}

int main(int argc, char **argv)
{
	log_argv(argc, argv);
	if (argc < 3 || strcmp(argv[1], "__worker") != 0) {
		fprintf(stderr, "fake_worker: usage: fake_worker __worker ...\n");
		return 2;
	}
	if (has_arg(argc, argv, "--probe")) {
		const char *p = getenv("FAKE_WORKER_PROBE");
		if (p && strcmp(p, "none") == 0) {
			fprintf(stderr, "no CUDA device: cuInit failed (fake)\n");
			return 3;
		}
		printf("Fake GPU 0 (KAUDIT_WORKER test double)\n");
		return 0;
	}
	if (has_arg(argc, argv, "--environment")) {
		struct record r;
		record_init(&r, REC_DEVICE);
		r.phase = PHASE_SETUP;
		r.u.device.name = strdup("Fake GPU");
		r.u.device.uuid = strdup("GPU-00000000-fake");
		r.u.device.cc = strdup("9.0");
		r.u.device.sms = 132;
		r.u.device.l2_bytes = 50 << 20;
		r.u.device.peak_bw = 3.0e12;
		emit(&r);
		return 0;
	}
	const char *kase = arg_after(argc, argv, "--case");
	if (!kase || !arg_after(argc, argv, "--claim") ||
	    !arg_after(argc, argv, "--baseline-so") ||
	    !arg_after(argc, argv, "--candidate-so") || !arg_after(argc, argv, "--seed")) {
		fprintf(stderr, "fake_worker: missing --claim/--case/--baseline-so/"
				"--candidate-so/--seed\n");
		return 2;
	}
	return run_case(atoll(kase));
}
