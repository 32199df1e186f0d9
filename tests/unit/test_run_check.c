/*
 * test_run_check.c - the supervisor's plan check (src/run/run_check.c): a
 * stream that keeps the plan passes, and each way of breaking it - a type
 * the worker may not send, another case, another seed, a trial the plan
 * lacks, samples out of order or out of alternation, too few samples, no
 * controls, a missing round, an unchecked round - is refused, with a near
 * miss that must pass beside each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "audit/audit.h"
#include "run/run_check.h"

#define SEED 0x1234567890abcdefULL

static struct audit_opts plan_opts(void)
{
	struct audit_opts o;
	audit_opts_init(&o, SEED, 1);
	o.trials = 3;
	o.rounds = 2;
	o.min_samples = 2;
	o.max_samples = 4;
	o.controls = 1;
	o.input_sets = 2;
	return o;
}

static struct record check(int64_t trial, enum record_phase phase, uint64_t seed)
{
	struct record r;
	record_init(&r, REC_CHECK);
	r.case_index = 5;
	r.phase = phase;
	r.impl = IMPL_CANDIDATE;
	r.u.check.kind = xstrdup("compare");
	r.u.check.trial = trial;
	r.u.check.seed = (int64_t)seed;
	r.u.check.ok = 1;
	return r;
}

static struct record sample(int side, int64_t round, int64_t index, int traced)
{
	struct record r;
	record_init(&r, REC_SAMPLE);
	r.case_index = 5;
	r.phase = PHASE_TIMING;
	r.impl = side ? IMPL_CANDIDATE : IMPL_BASELINE;
	r.call = 100 + index;
	r.u.sample.round = round;
	r.u.sample.index = index;
	r.u.sample.input_set = index % 2;
	r.u.sample.traced = traced;
	r.u.sample.event_ns = 1000;
	return r;
}

/* Feeds R (and frees it); the check's answer. */
static int feed(struct run_check *c, struct record r, char *why)
{
	struct errbuf e = { "", 0 };
	int rc = run_check_record(c, &r, &e);
	record_clear(&r);
	if (why)
		strcpy(why, e.msg);
	return rc;
}

/* A whole honest stream; SKIP (a label) leaves out one piece of it. */
enum skip { SKIP_NONE, SKIP_TRIAL, SKIP_PAIR, SKIP_CONTROL, SKIP_ROUND, SKIP_TIMING_CHECK };

/* The timed part of a round as the protocol emits it: PAIRS traced pairs,
 * each candidate sample checked when the seed draws it, else the round's
 * last when none was (a compare check before each checked sample). */
static void timed_pairs(struct run_check *c, const struct audit_opts *o, int rd, int pairs,
			int64_t *index, uint64_t *draws, int with_checks)
{
	int round_checked = 0;
	for (int i = 0; i < pairs; i++) {
		assert_int_equal(feed(c, sample(0, rd, (*index)++, 1), NULL), 0);
		int checked = audit_draw_checked(SEED, (*draws)++, o->check_fraction) ||
			      (i == pairs - 1 && !round_checked);
		round_checked |= checked;
		if (checked && with_checks)
			assert_int_equal(feed(c, check(REC_NONE, PHASE_TIMING, SEED), NULL), 0);
		struct record r = sample(1, rd, (*index)++, 1);
		r.u.sample.checked = checked;
		assert_int_equal(feed(c, r, NULL), 0);
	}
}

static void honest(struct run_check *c, enum skip skip)
{
	struct audit_opts o = plan_opts();
	for (int t = 0; t < 3; t++)
		if (!(skip == SKIP_TRIAL && t == 2))
			assert_int_equal(feed(c, check(t, PHASE_CORRECTNESS, SEED), NULL), 0);
	int64_t index = 0;
	uint64_t draws = 0;
	for (int rd = 0; rd < 2; rd++) {
		if (skip == SKIP_ROUND && rd == 1)
			break;
		int pairs = skip == SKIP_PAIR && rd == 1 ? 1 : 2;
		timed_pairs(c, &o, rd, pairs, &index, &draws, !(skip == SKIP_TIMING_CHECK && rd == 1));
		if (skip == SKIP_CONTROL && rd == 0)
			continue;
		assert_int_equal(feed(c, sample(0, rd, index++, 0), NULL), 0);
		assert_int_equal(feed(c, sample(1, rd, index++, 0), NULL), 0);
	}
}

static void test_honest_stream_passes(void **state)
{
	(void)state;
	struct audit_opts o = plan_opts();
	struct run_check c;
	run_check_init(&c, RUN_MODE_CASE, 5, &o);
	honest(&c, SKIP_NONE);
	struct errbuf e = { "", 0 };
	assert_int_equal(run_check_finish(&c, &e), 0);
	run_check_release(&c);
}

static void test_short_streams_refused_at_exit(void **state)
{
	(void)state;
	static const struct { enum skip skip; const char *why; } cases[] = {
		{ SKIP_TRIAL, "trial 2 of 3" },
		{ SKIP_PAIR, "round 1 of 2" },
		{ SKIP_CONTROL, "control samples in round 0" },
		{ SKIP_ROUND, "round 1 of 2" },
		{ SKIP_TIMING_CHECK, "checked samples" },
	};
	struct audit_opts o = plan_opts();
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct run_check c;
		run_check_init(&c, RUN_MODE_CASE, 5, &o);
		honest(&c, cases[i].skip);
		struct errbuf e = { "", 0 };
		assert_int_equal(run_check_finish(&c, &e), -1);
		assert_non_null(strstr(e.msg, cases[i].why));
		run_check_release(&c);
	}
	/* A worker that failed and said so owes nothing more. */
	struct run_check c;
	run_check_init(&c, RUN_MODE_CASE, 5, &o);
	struct record err;
	record_init(&err, REC_ERROR);
	err.u.error.where = xstrdup("cuda");
	err.u.error.message = xstrdup("out of memory");
	assert_int_equal(feed(&c, err, NULL), 0);
	struct errbuf e = { "", 0 };
	assert_int_equal(run_check_finish(&c, &e), 0);
	run_check_release(&c);
}

static void test_records_a_worker_may_not_send(void **state)
{
	(void)state;
	struct audit_opts o = plan_opts();
	static const enum record_type forbidden[] = {
		REC_HEADER, REC_DEVICE, REC_BUILD, REC_CASE, REC_FINDING, REC_VERDICT,
		REC_SANDBOX, REC_FOOTER, REC_SIGNATURE,
	};
	for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++) {
		struct run_check c;
		run_check_init(&c, RUN_MODE_CASE, 5, &o);
		struct record r;
		record_init(&r, forbidden[i]);
		char why[ERRBUF_LEN];
		assert_int_equal(feed(&c, r, why), -1);
		assert_non_null(strstr(why, "may not send"));
		run_check_release(&c);
	}
	/* The environment worker describes the device, and only that. */
	struct run_check c;
	run_check_init(&c, RUN_MODE_ENVIRONMENT, REC_NONE, NULL);
	struct record d;
	record_init(&d, REC_DEVICE);
	assert_int_equal(feed(&c, d, NULL), 0);
	struct errbuf e = { "", 0 };
	assert_int_equal(run_check_finish(&c, &e), 0);
	assert_int_equal(feed(&c, sample(0, 0, 0, 1), NULL), -1);
	run_check_release(&c);
	run_check_init(&c, RUN_MODE_ENVIRONMENT, REC_NONE, NULL);
	assert_int_equal(run_check_finish(&c, &e), -1); /* no device at all */
	run_check_release(&c);
}

static void test_seeds_cases_and_trials(void **state)
{
	(void)state;
	struct audit_opts o = plan_opts();
	struct run_check c;
	char why[ERRBUF_LEN];
	run_check_init(&c, RUN_MODE_CASE, 5, &o);
	assert_int_equal(feed(&c, check(0, PHASE_CORRECTNESS, SEED + 1), why), -1);
	assert_non_null(strstr(why, "seed"));
	assert_int_equal(feed(&c, check(3, PHASE_CORRECTNESS, SEED), why), -1);
	assert_non_null(strstr(why, "trial 3"));
	assert_int_equal(feed(&c, check(2, PHASE_CORRECTNESS, SEED), NULL), 0);
	struct record other = check(0, PHASE_CORRECTNESS, SEED);
	other.case_index = 6;
	assert_int_equal(feed(&c, other, why), -1);
	assert_non_null(strstr(why, "case 6"));
	struct record unstamped = check(1, PHASE_CORRECTNESS, SEED);
	unstamped.case_index = REC_NONE; /* the worker's channel stamps it */
	assert_int_equal(feed(&c, unstamped, NULL), 0);
	struct record odd = check(1, PHASE_CORRECTNESS, SEED);
	free(odd.u.check.kind);
	odd.u.check.kind = xstrdup("trust-me");
	assert_int_equal(feed(&c, odd, why), -1);
	assert_non_null(strstr(why, "unknown kind"));
	run_check_release(&c);
}

static void test_sample_order(void **state)
{
	(void)state;
	struct audit_opts o = plan_opts();
	struct run_check c;
	char why[ERRBUF_LEN];
	/* The candidate first breaks ABAB; so does a skipped index. */
	run_check_init(&c, RUN_MODE_CASE, 5, &o);
	assert_int_equal(feed(&c, sample(1, 0, 0, 1), why), -1);
	assert_non_null(strstr(why, "alternation"));
	run_check_release(&c);
	run_check_init(&c, RUN_MODE_CASE, 5, &o);
	assert_int_equal(feed(&c, sample(0, 0, 0, 1), NULL), 0);
	assert_int_equal(feed(&c, sample(1, 0, 2, 1), why), -1);
	assert_non_null(strstr(why, "sample 1 was due"));
	run_check_release(&c);
	/* Rounds go forward; a round past the plan's, an input set past the
	 * plan's and more than max_samples are refused. */
	run_check_init(&c, RUN_MODE_CASE, 5, &o);
	assert_int_equal(feed(&c, sample(0, 1, 0, 1), NULL), 0);
	assert_int_equal(feed(&c, sample(1, 1, 1, 1), NULL), 0);
	assert_int_equal(feed(&c, sample(0, 0, 2, 1), why), -1);
	assert_non_null(strstr(why, "round 0 after round 1"));
	run_check_release(&c);
	run_check_init(&c, RUN_MODE_CASE, 5, &o);
	assert_int_equal(feed(&c, sample(0, 2, 0, 1), why), -1);
	struct record set = sample(0, 0, 0, 1);
	set.u.sample.input_set = 2;
	assert_int_equal(feed(&c, set, why), -1);
	assert_non_null(strstr(why, "input set 2"));
	run_check_release(&c);
	run_check_init(&c, RUN_MODE_CASE, 5, &o);
	int64_t index = 0;
	for (int i = 0; i < 4; i++) {
		assert_int_equal(feed(&c, sample(0, 0, index++, 1), NULL), 0);
		struct record cs = sample(1, 0, index++, 1);
		cs.u.sample.checked = audit_draw_checked(SEED, (uint64_t)i, o.check_fraction);
		assert_int_equal(feed(&c, cs, NULL), 0);
	}
	assert_int_equal(feed(&c, sample(0, 0, index++, 1), why), -1);
	assert_non_null(strstr(why, "more than 4"));
	run_check_release(&c);
	/* Controls come last in a round, a pair at a time, no more than planned. */
	run_check_init(&c, RUN_MODE_CASE, 5, &o);
	assert_int_equal(feed(&c, sample(0, 0, 0, 1), NULL), 0);
	assert_int_equal(feed(&c, sample(0, 0, 1, 0), why), -1);
	assert_non_null(strstr(why, "inside a pair"));
	run_check_release(&c);
	run_check_init(&c, RUN_MODE_CASE, 5, &o);
	assert_int_equal(feed(&c, sample(0, 0, 0, 0), NULL), 0);
	assert_int_equal(feed(&c, sample(1, 0, 1, 0), NULL), 0);
	assert_int_equal(feed(&c, sample(0, 0, 2, 0), why), -1);
	assert_non_null(strstr(why, "not in the plan"));
	assert_int_equal(feed(&c, sample(0, 0, 2, 1), why), -1);
	assert_non_null(strstr(why, "after round 0's controls"));
	run_check_release(&c);
	/* Calls only move forward. */
	run_check_init(&c, RUN_MODE_CASE, 5, &o);
	struct record a = sample(0, 0, 0, 1), b = sample(1, 0, 1, 1);
	b.call = a.call;
	assert_int_equal(feed(&c, a, NULL), 0);
	assert_int_equal(feed(&c, b, why), -1);
	assert_non_null(strstr(why, "names call"));
	run_check_release(&c);
	/* Correctness after timing began. */
	run_check_init(&c, RUN_MODE_CASE, 5, &o);
	assert_int_equal(feed(&c, sample(0, 0, 0, 1), NULL), 0);
	assert_int_equal(feed(&c, check(0, PHASE_CORRECTNESS, SEED), why), -1);
	assert_non_null(strstr(why, "after the timing phase"));
	run_check_release(&c);
}

/* What follows from the seed: the bait trial, and which samples are
 * checked.  A stream replayed from another audit (another seed) has them
 * elsewhere. */
static void test_seed_derived_choices(void **state)
{
	(void)state;
	struct audit_opts o = plan_opts();
	struct run_check c;
	char why[ERRBUF_LEN];
	int64_t bait = audit_bait_trial(SEED, o.trials);
	assert_true(bait >= 1 && bait < o.trials);
	int64_t other = bait == 1 ? 2 : 1;
	run_check_init(&c, RUN_MODE_CASE, 5, &o);
	struct record b = check(bait, PHASE_CORRECTNESS, SEED);
	free(b.u.check.kind);
	b.u.check.kind = xstrdup("bait");
	assert_int_equal(feed(&c, b, NULL), 0);
	b = check(other, PHASE_CORRECTNESS, SEED);
	free(b.u.check.kind);
	b.u.check.kind = xstrdup("bait");
	assert_int_equal(feed(&c, b, why), -1);
	assert_non_null(strstr(why, "the bait"));
	run_check_release(&c);
	/* A sensitivity check belongs to every trial but the bait. */
	run_check_init(&c, RUN_MODE_CASE, 5, &o);
	struct record sn = check(bait, PHASE_CORRECTNESS, SEED);
	free(sn.u.check.kind);
	sn.u.check.kind = xstrdup("sensitivity");
	assert_int_equal(feed(&c, sn, why), -1);
	run_check_release(&c);
	/* Checked samples: the first candidate sample the seed draws must be
	 * checked, and one it does not draw may not be (except to end a round
	 * that had none, and then nothing may follow in that round). */
	uint64_t first = 0;
	while (!audit_draw_checked(SEED, first, o.check_fraction))
		first++;
	run_check_init(&c, RUN_MODE_CASE, 5, &o);
	o.max_samples = 1000;
	c.o.max_samples = 1000;
	int64_t index = 0;
	for (uint64_t d = 0; d <= first; d++) {
		assert_int_equal(feed(&c, sample(0, 0, index++, 1), NULL), 0);
		struct record r = sample(1, 0, index++, 1);
		r.u.sample.checked = 0;
		int rc = feed(&c, r, why);
		if (d < first) {
			assert_int_equal(rc, 0);
		} else {
			assert_int_equal(rc, -1);
			assert_non_null(strstr(why, "the seed chose it"));
		}
	}
	run_check_release(&c);
	/* Round 0 takes the samples the seed draws before the first it does
	 * not; round 1 begins with that one, checked to end the round (a
	 * round with no drawn sample checks its last), and nothing may follow
	 * it in round 1. */
	uint64_t undrawn = 0;
	while (audit_draw_checked(SEED, undrawn, o.check_fraction))
		undrawn++;
	run_check_init(&c, RUN_MODE_CASE, 5, &o);
	c.o.max_samples = 1000;
	index = 0;
	for (uint64_t d = 0; d <= undrawn; d++) {
		int64_t rd = d == undrawn ? 1 : 0;
		assert_int_equal(feed(&c, sample(0, rd, index++, 1), NULL), 0);
		struct record r = sample(1, rd, index++, 1);
		r.u.sample.checked = 1;
		assert_int_equal(feed(&c, r, NULL), 0);
	}
	assert_int_equal(feed(&c, sample(0, 1, index++, 1), why), -1);
	assert_non_null(strstr(why, "ended round 1"));
	run_check_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_honest_stream_passes),
		cmocka_unit_test(test_short_streams_refused_at_exit),
		cmocka_unit_test(test_records_a_worker_may_not_send),
		cmocka_unit_test(test_seeds_cases_and_trials),
		cmocka_unit_test(test_sample_order),
		cmocka_unit_test(test_seed_derived_choices),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
