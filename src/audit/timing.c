/*
 * timing.c - the timing phase (DESIGN section 5, step 4).
 *
 * Several input sets are generated up front and the baseline's answer for
 * each is computed once, untimed.  After warm-up calls, each round takes
 * samples in ABAB order (baseline, candidate, ...): every sample loads the
 * next input set, poisons the outputs, flushes L2 and makes one timed,
 * traced call.  A round takes at least min_samples pairs; then it stops
 * when both sides' relative noise is below the target, or when its share of
 * the sample or time budget is spent.  After each candidate call a seeded draw - made after the call,
 * so the candidate cannot know - decides whether its output is compared
 * with the baseline's answer for that input set; every round checks at
 * least one.  Each round ends with a few untraced control samples.
 */
#include "audit/audit_private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/rng.h"

/* Trial numbers of the timing input sets, far from correctness trials. */
#define TIMING_SET_BASE AUDIT_TIMING_SET_BASE
/* Poison "when" of samples, far from both. */
#define TIMING_SAMPLE_BASE 2000000u
#define SALT_CHECKED 0x636865636b6564c3ULL
/* Share of free device memory the input sets and answers may use. */
#define TIMING_MEM_SHARE 0.8

struct timing {
	int nsets;
	struct backend_buf ***set;  /* [k][i]: input set k (in/inout, else NULL) */
	struct backend_buf ***ref;  /* [k][i]: the baseline's answer (out/inout) */
	int64_t index;              /* next sample index */
	int64_t pair;               /* next input set = pair % nsets */
	uint64_t draws;             /* checked-sample draws made */
	double *times[2];           /* event_ns of the round's traced samples */
	int n[2];
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Input sets that fit: each needs its inputs and the baseline's answers. */
static int choose_sets(struct plan *p, int *nsets, struct errbuf *e)
{
	size_t per_set = 0;
	for (size_t i = 0; i < p->nbuf; i++)
		per_set += (plan_is_input(&p->pb[i]) ? p->pb[i].bytes : 0) +
			   (plan_is_output(&p->pb[i]) ? p->pb[i].bytes : 0);
	*nsets = p->o->input_sets > 0 ? p->o->input_sets : 1;
	if (!p->b->mem_info || per_set == 0)
		return 0;
	size_t avail = 0, total = 0;
	if (p->b->mem_info(p->b->self, &avail, &total, e) < 0)
		return -1;
	double fit = (double)avail * TIMING_MEM_SHARE / (double)per_set;
	if (fit < 1.0)
		return errbuf_set(e, EXIT_NOT_REPRODUCED,
				  "plan does not fit: a timing input set needs %zu bytes of "
				  "device memory, %zu are free", per_set, avail);
	if (fit < *nsets)
		*nsets = (int)fit;
	return 0;
}

static int alloc_sets(struct plan *p, struct timing *tm, struct errbuf *e)
{
	tm->set = xcalloc((size_t)tm->nsets, sizeof *tm->set);
	tm->ref = xcalloc((size_t)tm->nsets, sizeof *tm->ref);
	for (int k = 0; k < tm->nsets; k++) {
		tm->set[k] = xcalloc(p->nbuf, sizeof **tm->set);
		tm->ref[k] = xcalloc(p->nbuf, sizeof **tm->ref);
		for (size_t i = 0; i < p->nbuf; i++) {
			if (plan_is_input(&p->pb[i]) &&
			    p->b->alloc(p->b->self, p->pb[i].bytes, &tm->set[k][i], e) < 0)
				return -1;
			if (plan_is_output(&p->pb[i]) &&
			    p->b->alloc(p->b->self, p->pb[i].bytes, &tm->ref[k][i], e) < 0)
				return -1;
		}
	}
	return 0;
}

static void timing_release(struct plan *p, struct timing *tm)
{
	for (int k = 0; k < tm->nsets; k++) {
		for (size_t i = 0; i < p->nbuf; i++) {
			if (tm->set && tm->set[k] && tm->set[k][i])
				p->b->release(p->b->self, tm->set[k][i]);
			if (tm->ref && tm->ref[k] && tm->ref[k][i])
				p->b->release(p->b->self, tm->ref[k][i]);
		}
		if (tm->set)
			free(tm->set[k]);
		if (tm->ref)
			free(tm->ref[k]);
	}
	free(tm->set);
	free(tm->ref);
	free(tm->times[0]);
	free(tm->times[1]);
}

/* Loads input set K into SIDE and poisons its `out` buffers for WHEN. */
static int prepare(struct plan *p, struct timing *tm, int side, int k, uint64_t when,
		   struct errbuf *e)
{
	if (plan_load_inputs(p, side, tm->set[k], e) < 0)
		return -1;
	for (size_t i = 0; i < p->nbuf; i++) {
		if (p->pb[i].cb->role != CLAIM_OUT)
			continue;
		uint32_t pat = plan_poison_pattern(p, i, when, side, 0);
		if (p->b->poison(p->b->self, p->side[side].buf[i], pat, e) < 0)
			return -1;
	}
	return 0;
}

/* Generates every input set and the baseline's answer for it (untimed). */
static int make_sets(struct plan *p, struct timing *tm, struct errbuf *e)
{
	struct invoke_result res;
	for (int k = 0; k < tm->nsets; k++) {
		if (plan_generate_inputs(p, TIMING_SET_BASE + (uint64_t)k, e) < 0)
			return -1;
		for (size_t i = 0; i < p->nbuf; i++)
			if (plan_is_input(&p->pb[i]) &&
			    p->b->copy(p->b->self, tm->set[k][i], p->pristine[i],
				       p->pb[i].bytes, e) < 0)
				return -1;
		if (prepare(p, tm, SIDE_BASE, k, TIMING_SET_BASE + (uint64_t)k, e) < 0)
			return -1;
		if (plan_invoke(p, SIDE_BASE, PHASE_TIMING, 0, 1, &res, e) < 0)
			return -1;
		p->where = "cuda";
		for (size_t i = 0; i < p->nbuf; i++)
			if (plan_is_output(&p->pb[i]) &&
			    p->b->copy(p->b->self, tm->ref[k][i], p->side[SIDE_BASE].buf[i],
				       p->pb[i].bytes, e) < 0)
				return -1;
	}
	return 0;
}

/* One timed call of SIDE on input set K. */
static int timed_call(struct plan *p, struct timing *tm, int side, int k, int traced,
		      struct invoke_result *res, struct errbuf *e)
{
	if (prepare(p, tm, side, k, TIMING_SAMPLE_BASE + (uint64_t)tm->index, e) < 0)
		return -1;
	if (p->b->flush_l2(p->b->self, e) < 0)
		return -1;
	if (plan_invoke(p, side, PHASE_TIMING, 1, traced, res, e) < 0)
		return -1;
	p->where = "cuda";
	return 0;
}

static int emit_sample(struct plan *p, int side, int64_t round, int64_t index, int k,
		       int traced, int checked, const struct invoke_result *res,
		       struct errbuf *e)
{
	struct record r;
	plan_record(p, &r, REC_SAMPLE, PHASE_TIMING, p->side[side].impl);
	r.call = p->next_call - 1;
	struct rec_sample *s = &r.u.sample;
	s->round = round;
	s->index = index;
	s->input_set = k;
	s->event_ns = res->event_ns;
	s->window_start = res->window_start;
	s->window_end = res->window_end;
	if (res->window_clock != WINDOW_CLOCK_NONE && res->window_start != REC_NONE)
		s->window_clock = xstrdup(res->window_clock == WINDOW_CLOCK_DEVICE ? "device" : "host");
	s->traced = traced;
	s->checked = checked;
	if (traced) {
		s->span_start = res->span_start;
		s->span_end = res->span_end;
		if (res->span_start != REC_NONE && res->span_end != REC_NONE)
			s->span_ns = (double)(res->span_end - res->span_start);
		s->kernels = res->kernels;
		s->kernel_ns = res->kernel_ns;
		s->bytes = res->bytes;
	}
	return plan_emit(p, &r, e);
}

/* The checked-sample compare of the candidate's output on input set K. */
static int check_sample(struct plan *p, struct timing *tm, int64_t index, int k,
			struct errbuf *e)
{
	for (size_t i = 0; i < p->nbuf; i++) {
		if (!plan_is_output(&p->pb[i]))
			continue;
		struct record r;
		plan_record(p, &r, REC_CHECK, PHASE_TIMING, IMPL_CANDIDATE);
		r.call = p->next_call - 1;
		r.u.check.kind = xstrdup("compare");
		r.u.check.buffer = xstrdup(p->pb[i].cb->name);
		r.u.check.seed = (int64_t)p->seed;
		if (plan_compare(p, i, p->side[SIDE_CAND].buf[i], tm->ref[k][i], &r, e) < 0) {
			record_clear(&r);
			return -1;
		}
		json_object_set_new(r.u.check.detail, "sample", json_integer(index));
		json_object_set_new(r.u.check.detail, "input_set", json_integer(k));
		if (plan_emit(p, &r, e) < 0)
			return -1;
	}
	return 0;
}

static int round_done(const struct plan *p, const struct timing *tm, double deadline)
{
	const struct audit_opts *o = p->o;
	int n = tm->n[SIDE_CAND];
	int min = o->min_samples < o->max_samples ? o->min_samples : o->max_samples;
	/* The minimum is a promise the supervisor holds the worker to
	 * (run_check.c): neither noise nor the time budget stops a round
	 * before it, so a stream with fewer samples is a broken one. */
	if (n >= o->max_samples)
		return 1;
	if (n < min)
		return 0;
	if (now_s() >= deadline)
		return 1;
	return stats_rel_noise(tm->times[SIDE_BASE], (size_t)tm->n[SIDE_BASE]) < o->noise_target &&
	       stats_rel_noise(tm->times[SIDE_CAND], (size_t)tm->n[SIDE_CAND]) < o->noise_target;
}

int audit_draw_checked(uint64_t seed, uint64_t draw, double check_fraction)
{
	return rng_uniform(seed ^ SALT_CHECKED, draw, 0) < check_fraction;
}

/* Decided after the candidate's call returned. */
static int draw_checked(struct plan *p, struct timing *tm)
{
	return audit_draw_checked(p->seed, tm->draws++, p->o->check_fraction);
}

static int run_round(struct plan *p, struct timing *tm, int64_t round, double deadline,
		     struct errbuf *e)
{
	struct invoke_result res;
	int round_checked = 0;
	tm->n[0] = tm->n[1] = 0;
	for (;;) {
		int k = (int)(tm->pair++ % tm->nsets);
		int64_t index = tm->index;
		if (timed_call(p, tm, SIDE_BASE, k, 1, &res, e) < 0)
			return -1;
		tm->index++;
		tm->times[SIDE_BASE][tm->n[SIDE_BASE]++] = res.event_ns;
		if (emit_sample(p, SIDE_BASE, round, index, k, 1, 0, &res, e) < 0)
			return -1;

		index = tm->index;
		if (timed_call(p, tm, SIDE_CAND, k, 1, &res, e) < 0)
			return -1;
		tm->index++;
		tm->times[SIDE_CAND][tm->n[SIDE_CAND]++] = res.event_ns;
		int done = round_done(p, tm, deadline);
		int checked = draw_checked(p, tm) || (done && !round_checked);
		if (checked) {
			round_checked = 1;
			if (check_sample(p, tm, index, k, e) < 0)
				return -1;
		}
		if (emit_sample(p, SIDE_CAND, round, index, k, 1, checked, &res, e) < 0)
			return -1;
		if (done)
			break;
	}
	/* Untraced controls: the same calls without CUPTI (tracing-overhead). */
	for (int c = 0; c < p->o->controls; c++) {
		int k = (int)(tm->pair++ % tm->nsets);
		for (int side = 0; side < 2; side++) {
			int64_t index = tm->index;
			if (timed_call(p, tm, side, k, 0, &res, e) < 0)
				return -1;
			tm->index++;
			if (emit_sample(p, side, round, index, k, 0, 0, &res, e) < 0)
				return -1;
		}
	}
	return 0;
}

static int run_timing(struct plan *p, struct timing *tm, struct errbuf *e)
{
	const struct audit_opts *o = p->o;
	p->where = "setup";
	if (choose_sets(p, &tm->nsets, e) < 0 || alloc_sets(p, tm, e) < 0)
		return -1;
	p->where = "cuda";
	if (make_sets(p, tm, e) < 0)
		return -1;
	struct invoke_result res;
	for (int w = 0; w < o->warmup; w++) {
		for (int side = 0; side < 2; side++) {
			if (prepare(p, tm, side, w % tm->nsets, TIMING_SAMPLE_BASE - 1 - (uint64_t)w,
				    e) < 0 ||
			    p->b->flush_l2(p->b->self, e) < 0)
				return -1;
			if (plan_invoke(p, side, PHASE_TIMING, 1, 1, &res, e) < 0)
				return -1;
			p->where = "cuda";
		}
	}
	int cap = o->max_samples > 0 ? o->max_samples : 1;
	tm->times[0] = xcalloc((size_t)cap, sizeof(double));
	tm->times[1] = xcalloc((size_t)cap, sizeof(double));
	double start = now_s();
	for (int64_t round = 0; round < o->rounds; round++) {
		double deadline = start + o->max_seconds * (double)(round + 1) / o->rounds;
		if (run_round(p, tm, round, deadline, e) < 0)
			return -1;
	}
	return 0;
}

int audit_timing(struct plan *p, struct errbuf *e)
{
	struct timing tm;
	memset(&tm, 0, sizeof tm);
	int rc = run_timing(p, &tm, e);
	timing_release(p, &tm);
	return rc;
}
