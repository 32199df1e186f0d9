/*
 * fake_worker.c - a stand-in for `kaudit __worker` on machines without a
 * GPU, selected with KAUDIT_WORKER=path/to/fake_worker (kaudit(1)).  It
 * follows the worker's contract (src/run/wire.h: the mode in argv, the plan
 * on stdin, records that keep the plan) and misbehaves on demand, so the
 * supervisor's handling of crashes, hangs, garbage and forged streams is
 * tested for real.
 *
 * Environment:
 *   FAKE_WORKER_PROBE   "none": --probe fails like a machine without a GPU
 *   FAKE_WORKER_CASES   comma-separated behaviour per case index (the last
 *                       one repeats; default "ok"):
 *     ok        check and timing records as the plan asks, speedup
 *               FAKE_WORKER_SPEEDUP (2.0)
 *     wrong     like ok, but the comparison fails
 *     crash     a few records, then SIGSEGV
 *     hang      a record, then sleeps (with a child process) forever
 *     garbage   a line that is not JSON
 *     env       "no device" on stderr, exit 3
 *     fail      an error record (where cuda), exit 1
 *     othercase records that claim to belong to case 99
 *     partial   a record cut in the middle, exit 0
 *     short     one timed pair, then exit 0 (fewer samples than promised)
 *     badseed   like ok, but the checks carry another seed
 *     sendcase  like ok, but it sends a case record of its own
 *     device    like ok, but it sends a device record (peak_bw 1e16)
 *     skipround like ok, but round 1's samples are missing
(The worker runs confined and with a cleaned environment: FAKE_WORKER_*
 * reach it only because the tests list them in $KAUDIT_WORKER_ENV.)
 */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/worker.h"
#include "trace/record.h"

/* The plan the supervisor sent (stdin). */
static struct run_plan plan;

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

static void emit_check_of(long long kase, int ok, int64_t trial, enum record_phase phase,
			  uint64_t seed)
{
	struct record r;
	record_init(&r, REC_CHECK);
	r.case_index = kase;
	r.phase = phase;
	r.impl = IMPL_CANDIDATE;
	r.u.check.kind = strdup("compare");
	r.u.check.buffer = strdup("y");
	r.u.check.trial = phase == PHASE_CORRECTNESS ? trial : REC_NONE;
	r.u.check.seed = (int64_t)seed;
	r.u.check.ok = ok;
	r.u.check.count = 1024;
	r.u.check.mismatches = ok ? 0 : 17;
	r.u.check.max_abs = ok ? 0.0 : 3.5;
	emit(&r);
}

/* One compare per trial, with the plan's seed (or SEED_DELTA off it). */
static void emit_check(long long kase, int ok)
{
	for (int t = 0; t < (plan.opts.trials > 0 ? plan.opts.trials : 1); t++)
		emit_check_of(kase, ok, t, PHASE_CORRECTNESS, plan.opts.seed);
}

static void emit_sample(long long kase, int side, int round, long long *index,
			long long *call, int traced, int checked, double speedup)
{
	struct record r;
	record_init(&r, REC_SAMPLE);
	r.case_index = kase;
	r.phase = PHASE_TIMING;
	r.impl = side ? IMPL_CANDIDATE : IMPL_BASELINE;
	r.call = (*call)++;
	r.u.sample.round = round;
	r.u.sample.index = (*index)++;
	r.u.sample.input_set = 0;
	double cand = 100000.0 + 100.0 * ((r.u.sample.index * 7 + round) % 5);
	r.u.sample.event_ns = side ? cand : cand * speedup;
	r.u.sample.span_ns = r.u.sample.event_ns * 0.98;
	r.u.sample.kernels = 1;
	r.u.sample.traced = traced;
	r.u.sample.checked = checked;
	emit(&r);
}

/* What the plan promises per round: min_samples traced pairs (one of them
 * checked), then the untraced controls. */
static void emit_samples(long long kase, double speedup, int skip_round)
{
	long long call = 1000, index = 0;
	uint64_t draws = 0;
	for (int round = 0; round < plan.opts.rounds; round++) {
		if (round == skip_round)
			continue;
		int round_checked = 0;
		for (int i = 0; i < plan.opts.min_samples; i++) {
			emit_sample(kase, 0, round, &index, &call, 1, 0, speedup);
			/* Checked where the protocol would check: as the seed draws,
			 * else the round's last. */
			int checked = audit_draw_checked(plan.opts.seed, draws++,
							 plan.opts.check_fraction) ||
				      (i == plan.opts.min_samples - 1 && !round_checked);
			round_checked |= checked;
			if (checked)
				emit_check_of(kase, 1, 0, PHASE_TIMING, plan.opts.seed);
			emit_sample(kase, 1, round, &index, &call, 1, checked, speedup);
		}
		for (int c = 0; c < plan.opts.controls; c++)
			for (int side = 0; side < 2; side++)
				emit_sample(kase, side, round, &index, &call, 0, 0, speedup);
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

static int run_case(long long kase)
{
	const char *b = behaviour(kase);
	const char *sp = getenv("FAKE_WORKER_SPEEDUP");
	double speedup = sp ? atof(sp) : 2.0;
	fprintf(stderr, "fake_worker: case %lld: %s\n", kase, b);
	if (strcmp(b, "ok") == 0 || strcmp(b, "wrong") == 0) {
		emit_check(kase, strcmp(b, "ok") == 0);
		emit_samples(kase, speedup, -1);
		return 0;
	}
	if (strcmp(b, "short") == 0) {
		/* One pair, checked where the seed says, so only the count
		 * breaks the plan. */
		long long call = 0, index = 0;
		int checked = audit_draw_checked(plan.opts.seed, 0, plan.opts.check_fraction);
		emit_check(kase, 1);
		emit_sample(kase, 0, 0, &index, &call, 1, 0, speedup);
		if (checked)
			emit_check_of(kase, 1, 0, PHASE_TIMING, plan.opts.seed);
		emit_sample(kase, 1, 0, &index, &call, 1, checked, speedup);
		return 0;
	}
	if (strcmp(b, "badseed") == 0) {
		for (int t = 0; t < plan.opts.trials; t++)
			emit_check_of(kase, 1, t, PHASE_CORRECTNESS, plan.opts.seed + 1);
		emit_samples(kase, speedup, -1);
		return 0;
	}
	if (strcmp(b, "sendcase") == 0 || strcmp(b, "device") == 0) {
		struct record c;
		if (b[0] == 's') {
			record_init(&c, REC_CASE);
			c.case_index = kase;
			c.phase = PHASE_SETUP;
			c.u.kase.kernel = strdup("from-worker");
			c.u.kase.seed = 12345;
			c.u.kase.claimed = 2.0;
		} else {
			record_init(&c, REC_DEVICE);
			c.u.device.name = strdup("Forged GPU");
			c.u.device.peak_bw = 1e16;
		}
		emit_check(kase, 1);
		emit(&c);
		emit_samples(kase, speedup, -1);
		return 0;
	}
	if (strcmp(b, "skipround") == 0) {
		emit_check(kase, 1);
		emit_samples(kase, speedup, 1);
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
		emit_samples(99, speedup, -1);
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
	if (argc != 3 || strcmp(argv[1], "__worker") != 0 || run_mode_parse(argv[2]) < 0) {
		fprintf(stderr, "fake_worker: usage: fake_worker __worker MODE < plan\n");
		return 2;
	}
	struct errbuf e = { "", 0 };
	if (run_plan_read(0, &plan, &e) < 0 || plan.mode != (enum run_mode)run_mode_parse(argv[2])) {
		fprintf(stderr, "fake_worker: bad plan: %s\n", e.msg);
		return 2;
	}
	if (plan.mode == RUN_MODE_PROBE) {
		const char *p = getenv("FAKE_WORKER_PROBE");
		if (p && strcmp(p, "none") == 0) {
			fprintf(stderr, "no CUDA device: cuInit failed (fake)\n");
			return 3;
		}
		printf("Fake GPU 0 (KAUDIT_WORKER test double)\n");
		return 0;
	}
	if (plan.mode == RUN_MODE_ENTRY_CHECK) {
		/* As the real one does: the entry must resolve. */
		void *h = dlopen(plan.so, RTLD_NOW | RTLD_LOCAL);
		if (!h || !dlsym(h, plan.entry)) {
			fprintf(stderr, "kaudit: entry '%s' not found in '%s': %s\n", plan.entry,
				plan.so, dlerror());
			return 2;
		}
		return 0;
	}
	if (plan.mode == RUN_MODE_ENVIRONMENT) {
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
	return run_case(plan.case_index);
}
