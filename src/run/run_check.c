/*
 * run_check.c - the supervisor's check of a worker's record stream against
 * the plan it gave that worker (DESIGN section 10).
 *
 * Claimant code runs inside the case worker and can write to its record
 * channel, so nothing a case worker sends is taken on trust: each record
 * must be of a type that worker may send, belong to its case, carry the
 * seed the supervisor derived, and come in the order the protocol emits
 * (trials before samples; samples numbered 0, 1, 2... in ABAB pairs, rounds
 * in order, controls last in a round).  A worker that exits 0 must also
 * have delivered what the protocol promises: a compare of every trial, and
 * in every round at least min_samples traced pairs (at most max_samples),
 * exactly `controls` untraced pairs, and a checked sample.  Anything else
 * makes the case an `error`, never a verdict.
 *
 * What this cannot catch: claimant code that reads the plan out of its own
 * process and forges a complete, consistent stream (kaudit(1), SECURITY).
 */
#include "run/run_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void run_check_init(struct run_check *c, enum run_mode m, int64_t case_index,
		    const struct audit_opts *o)
{
	memset(c, 0, sizeof *c);
	c->mode = m;
	c->case_index = case_index;
	if (o)
		c->o = *o;
	c->round = -1;
	c->last_sample_call = -1;
	c->bait = audit_bait_trial(c->o.seed, c->o.trials);
	if (m == RUN_MODE_CASE) {
		size_t rounds = c->o.rounds > 0 ? (size_t)c->o.rounds : 1;
		c->traced = xcalloc(2 * rounds, sizeof *c->traced);
		c->untraced = xcalloc(2 * rounds, sizeof *c->untraced);
		c->compared = xcalloc(c->o.trials > 0 ? (size_t)c->o.trials : 1, 1);
	}
}

void run_check_release(struct run_check *c)
{
	free(c->traced);
	free(c->untraced);
	free(c->compared);
	c->traced = c->untraced = NULL;
	c->compared = NULL;
}

static const char *const check_kinds[] = {
	"compare", "unwritten", "guards", "input", "bait", "repeat", "sensitivity", NULL,
};

static int check_record(struct run_check *c, const struct record *r, struct errbuf *e)
{
	const struct rec_check *k = &r->u.check;
	int known = 0;
	for (size_t i = 0; check_kinds[i]; i++)
		known |= k->kind && strcmp(k->kind, check_kinds[i]) == 0;
	if (!known)
		return errbuf_set(e, EXIT_NOT_REPRODUCED, "a check of unknown kind '%s'",
				  k->kind ? k->kind : "");
	if ((uint64_t)k->seed != c->o.seed || k->seed == REC_NONE)
		return errbuf_set(e, EXIT_NOT_REPRODUCED,
				  "a %s check with seed %lld, but the case's seed is %llu",
				  k->kind, (long long)k->seed, (unsigned long long)c->o.seed);
	if (r->phase == PHASE_CORRECTNESS) {
		if (c->samples)
			return errbuf_set(e, EXIT_NOT_REPRODUCED,
					  "a correctness check after the timing phase began");
		if (k->trial < 0 || k->trial >= c->o.trials)
			return errbuf_set(e, EXIT_NOT_REPRODUCED,
					  "a check of trial %lld; the plan has %d trials",
					  (long long)k->trial, c->o.trials);
		/* Which trial is the bait follows from the seed: a replayed
		 * stream of another audit has it elsewhere. */
		int is_bait = strcmp(k->kind, "bait") == 0;
		if (is_bait != (k->trial == c->bait) && (is_bait || strcmp(k->kind, "sensitivity") == 0))
			return errbuf_set(e, EXIT_NOT_REPRODUCED,
					  "a %s check in trial %lld; the seed makes trial %lld the bait",
					  k->kind, (long long)k->trial, (long long)c->bait);
		if (strcmp(k->kind, "compare") == 0)
			c->compared[k->trial] = 1;
		return 0;
	}
	if (r->phase == PHASE_TIMING && strcmp(k->kind, "compare") == 0) {
		c->timing_checks++;
		return 0;
	}
	return errbuf_set(e, EXIT_NOT_REPRODUCED, "a %s check in the %s phase", k->kind,
			  record_phase_name(r->phase) ? record_phase_name(r->phase) : "no");
}

/* Which candidate samples are checked follows from the seed, drawn after
 * each call; a round with none drawn checks its last one, which ends it. */
static int checked_sample(struct run_check *c, const struct rec_sample *s, struct errbuf *e)
{
	int drawn = audit_draw_checked(c->o.seed, c->draws++, c->o.check_fraction);
	if (drawn && !s->checked)
		return errbuf_set(e, EXIT_NOT_REPRODUCED,
				  "sample %lld is not checked; the seed chose it", (long long)s->index);
	if (s->checked && !drawn) {
		if (c->round_checked)
			return errbuf_set(e, EXIT_NOT_REPRODUCED,
					  "sample %lld is checked; the seed did not choose it",
					  (long long)s->index);
		c->round_closed = 1;
	}
	c->round_checked |= s->checked != 0;
	return 0;
}

static int sample_record(struct run_check *c, const struct record *r, struct errbuf *e)
{
	const struct rec_sample *s = &r->u.sample;
	const struct audit_opts *o = &c->o;
	int side = r->impl == IMPL_BASELINE ? 0 : r->impl == IMPL_CANDIDATE ? 1 : -1;
	if (side < 0 || r->phase != PHASE_TIMING)
		return errbuf_set(e, EXIT_NOT_REPRODUCED,
				  "a sample of neither side, or outside the timing phase");
	if (s->index != c->samples)
		return errbuf_set(e, EXIT_NOT_REPRODUCED, "sample %lld where sample %lld was due",
				  (long long)s->index, (long long)c->samples);
	if (r->call == REC_NONE || r->call <= c->last_sample_call)
		return errbuf_set(e, EXIT_NOT_REPRODUCED,
				  "sample %lld names call %lld, not a call after %lld",
				  (long long)s->index, (long long)r->call,
				  (long long)c->last_sample_call);
	if (s->round < c->round || s->round >= o->rounds)
		return errbuf_set(e, EXIT_NOT_REPRODUCED,
				  "sample %lld in round %lld after round %lld (the plan has %d)",
				  (long long)s->index, (long long)s->round, (long long)c->round,
				  o->rounds);
	if (s->input_set < 0 || s->input_set >= o->input_sets)
		return errbuf_set(e, EXIT_NOT_REPRODUCED, "sample %lld uses input set %lld of %d",
				  (long long)s->index, (long long)s->input_set, o->input_sets);
	if (s->round != c->round) {
		c->round = s->round;
		c->controls_begun = 0;
		c->round_checked = c->round_closed = 0;
	}
	int64_t *tr = &c->traced[2 * s->round], *un = &c->untraced[2 * s->round];
	if (s->traced) {
		if (c->controls_begun)
			return errbuf_set(e, EXIT_NOT_REPRODUCED,
					  "a traced sample after round %lld's controls",
					  (long long)s->round);
		/* ABAB: the baseline leads each pair. */
		if ((side == 0 && tr[0] != tr[1]) || (side == 1 && tr[0] != tr[1] + 1))
			return errbuf_set(e, EXIT_NOT_REPRODUCED,
					  "sample %lld breaks the baseline-candidate alternation",
					  (long long)s->index);
		if (tr[side] >= o->max_samples)
			return errbuf_set(e, EXIT_NOT_REPRODUCED,
					  "more than %d samples of one side in round %lld",
					  o->max_samples, (long long)s->round);
		if (c->round_closed)
			return errbuf_set(e, EXIT_NOT_REPRODUCED,
					  "sample %lld after the sample that ended round %lld",
					  (long long)s->index, (long long)s->round);
		if (side == 1 && checked_sample(c, s, e) < 0)
			return -1;
		tr[side]++;
	} else {
		if (!c->controls_begun && tr[0] != tr[1])
			return errbuf_set(e, EXIT_NOT_REPRODUCED,
					  "round %lld's controls began inside a pair",
					  (long long)s->round);
		c->controls_begun = 1;
		if ((side == 0 && un[0] != un[1]) || (side == 1 && un[0] != un[1] + 1) ||
		    un[side] >= o->controls)
			return errbuf_set(e, EXIT_NOT_REPRODUCED,
					  "control sample %lld is not in the plan", (long long)s->index);
		un[side]++;
	}
	c->samples++;
	c->last_sample_call = r->call;
	return 0;
}

int run_check_record(struct run_check *c, const struct record *r, struct errbuf *e)
{
	if (!run_worker_may_send(c->mode, r->type))
		return errbuf_set(e, EXIT_NOT_REPRODUCED, "a worker may not send a %s record",
				  record_type_name(r->type));
	if (c->records++ > RUN_WORKER_MAX_RECORDS)
		return errbuf_set(e, EXIT_NOT_REPRODUCED, "more than %zu records",
				  RUN_WORKER_MAX_RECORDS);
	if (r->case_index != REC_NONE && r->case_index != c->case_index)
		return errbuf_set(e, EXIT_NOT_REPRODUCED, "a record of case %lld in case %lld's "
				  "stream", (long long)r->case_index, (long long)c->case_index);
	if (r->type == REC_DEVICE)
		c->devices++;
	if (c->mode != RUN_MODE_CASE)
		return 0;
	if (r->phase == PHASE_ANALYSIS)
		return errbuf_set(e, EXIT_NOT_REPRODUCED, "a %s record of the analysis phase",
				  record_type_name(r->type));
	switch (r->type) {
	case REC_CHECK:
		return check_record(c, r, e);
	case REC_SAMPLE:
		return sample_record(c, r, e);
	case REC_ERROR:
		c->errors++;
		return 0;
	default:
		return 0;
	}
}

int run_check_finish(const struct run_check *c, struct errbuf *e)
{
	if (c->mode == RUN_MODE_ENVIRONMENT && c->devices == 0)
		return errbuf_set(e, EXIT_NOT_REPRODUCED, "the worker described no device");
	if (c->mode != RUN_MODE_CASE || c->errors)
		return 0;
	const struct audit_opts *o = &c->o;
	int any_compare = 0;
	for (int t = 0; t < o->trials; t++)
		any_compare |= c->compared[t];
	for (int t = 0; t < o->trials && any_compare; t++)
		if (!c->compared[t])
			return errbuf_set(e, EXIT_NOT_REPRODUCED,
					  "ended without comparing trial %d of %d", t, o->trials);
	int min = o->min_samples < o->max_samples ? o->min_samples : o->max_samples;
	for (int rd = 0; rd < o->rounds; rd++) {
		const int64_t *tr = &c->traced[2 * rd], *un = &c->untraced[2 * rd];
		if (tr[0] < min || tr[1] < min)
			return errbuf_set(e, EXIT_NOT_REPRODUCED,
					  "ended with %lld baseline and %lld candidate samples in "
					  "round %d of %d; the plan promises at least %d each",
					  (long long)tr[0], (long long)tr[1], rd, o->rounds, min);
		if (un[0] != o->controls || un[1] != o->controls)
			return errbuf_set(e, EXIT_NOT_REPRODUCED,
					  "ended with %lld and %lld control samples in round %d; "
					  "the plan has %d", (long long)un[0], (long long)un[1], rd,
					  o->controls);
	}
	if (any_compare && c->timing_checks < o->rounds)
		return errbuf_set(e, EXIT_NOT_REPRODUCED,
				  "ended with %lld checked samples; every round checks one",
				  (long long)c->timing_checks);
	return 0;
}
