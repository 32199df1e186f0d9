/*
 * correctness.c - the correctness trials (DESIGN section 5, step 3).
 *
 * Each trial generates fresh inputs from its own seed, gives both sides an
 * identical copy, poisons their outputs with patterns that change per trial
 * and differ between the sides, calls them in a seeded random order and
 * emits one `check` record per check and buffer (record.h conventions).
 * One trial (never the first) is the stale-answer bait: the candidate's
 * outputs keep the previous trial's answer instead of poison.  The other
 * trials repeat both calls on identical inputs with different poison.
 */
#include "audit/audit_private.h"

#include <stdlib.h>
#include <string.h>

#include "util/rng.h"

#define SALT_ORDER 0x6f726465720000a1ULL
#define SALT_BAIT 0x6261697400000b2ULL

struct trial {
	int64_t t;
	int bait;
	int64_t call[2];      /* each side's call of the trial */
	unsigned char *unwritten[2]; /* per buffer: the call left poison in it */
};

static void check_init(const struct plan *p, struct record *r, const char *kind,
		       const struct trial *tr, size_t i, int side)
{
	plan_record(p, r, REC_CHECK, PHASE_CORRECTNESS, p->side[side].impl);
	r->call = tr->call[side];
	r->u.check.kind = xstrdup(kind);
	r->u.check.trial = tr->t;
	r->u.check.buffer = xstrdup(p->pb[i].cb->name);
	r->u.check.seed = (int64_t)p->seed;
}

static int diff(const struct plan *p, struct backend_buf *a, struct backend_buf *b,
		size_t i, uint64_t *n, struct errbuf *e)
{
	return p->b->diff_bytes(p->b->self, a, b, p->pb[i].bytes, n, e);
}

/* Loads the trial's inputs into SIDE and poisons its `out` buffers (unless
 * KEEP_OUTPUTS: the bait leaves the previous answer in place). */
static int prepare_side(struct plan *p, int side, uint64_t when, int variant,
			int keep_outputs, struct errbuf *e)
{
	if (plan_load_inputs(p, side, p->pristine, e) < 0)
		return -1;
	for (size_t i = 0; i < p->nbuf; i++) {
		if (p->pb[i].cb->role != CLAIM_OUT || keep_outputs)
			continue;
		uint32_t pat = plan_poison_pattern(p, i, when, side, variant);
		if (p->b->poison(p->b->self, p->side[side].buf[i], pat, e) < 0)
			return -1;
	}
	return 0;
}

/* unwritten: elements still holding the side's poison.  An element whose
 * correct value happens to equal the pattern (possible for small integer
 * types) is not unwritten, so the hits of the same pattern in the other
 * side's output are subtracted. */
static int check_unwritten(struct plan *p, struct trial *tr, size_t i, int side,
			   struct errbuf *e)
{
	const struct backend *b = p->b;
	const struct plan_buf *pb = &p->pb[i];
	uint32_t pat = plan_poison_pattern(p, i, (uint64_t)tr->t, side, 0);
	uint64_t hits = 0, coincident = 0;
	if (b->count_poison(b->self, p->side[side].buf[i], pb->elem, (uint64_t)pb->numel,
			    pat, &hits, e) < 0 ||
	    b->count_poison(b->self, p->side[!side].buf[i], pb->elem, (uint64_t)pb->numel,
			    pat, &coincident, e) < 0)
		return -1;
	uint64_t unwritten = hits > coincident ? hits - coincident : 0;
	tr->unwritten[side][i] = unwritten > 0;
	struct record r;
	check_init(p, &r, "unwritten", tr, i, side);
	r.u.check.ok = unwritten == 0;
	r.u.check.count = pb->numel;
	r.u.check.unwritten = (int64_t)unwritten;
	r.u.check.detail = json_pack("{s:I, s:I, s:I}", "poison_hits", (json_int_t)hits,
				     "coincident", (json_int_t)coincident,
				     "pattern", (json_int_t)pat);
	return plan_emit(p, &r, e);
}

static int check_guards(struct plan *p, struct trial *tr, size_t i, int side,
			struct errbuf *e)
{
	uint64_t bad = 0;
	if (p->b->guard_damage(p->b->self, p->side[side].buf[i], &bad, e) < 0)
		return -1;
	struct record r;
	check_init(p, &r, "guards", tr, i, side);
	r.u.check.ok = bad == 0;
	r.u.check.mismatches = (int64_t)bad;
	r.u.check.detail = json_pack("{s:I}", "bad_bytes", (json_int_t)bad);
	return plan_emit(p, &r, e);
}

static int check_input(struct plan *p, struct trial *tr, size_t i, int side,
		       struct errbuf *e)
{
	uint64_t n = 0;
	if (diff(p, p->side[side].buf[i], p->pristine[i], i, &n, e) < 0)
		return -1;
	struct record r;
	check_init(p, &r, "input", tr, i, side);
	r.u.check.ok = n == 0;
	r.u.check.count = (int64_t)p->pb[i].bytes;
	r.u.check.mismatches = (int64_t)n;
	r.u.check.detail = json_pack("{s:I}", "changed_bytes", (json_int_t)n);
	return plan_emit(p, &r, e);
}

/* candidate vs baseline on buffer I: the evidence of wrong-output. */
static int check_compare(struct plan *p, struct trial *tr, size_t i, struct errbuf *e)
{
	struct record r;
	check_init(p, &r, "compare", tr, i, SIDE_CAND);
	if (plan_compare(p, i, p->side[SIDE_CAND].buf[i], p->side[SIDE_BASE].buf[i],
			 &r, e) < 0) {
		record_clear(&r);
		return -1;
	}
	json_object_set_new(r.u.check.detail, "baseline_call",
			    json_integer(tr->call[SIDE_BASE]));
	return plan_emit(p, &r, e);
}

/* bait and sensitivity share one question: did the candidate's output stay
 * the same while the baseline's changed?  KIND names which check asks. */
static int check_unchanged(struct plan *p, struct trial *tr, size_t i, const char *kind,
			   struct errbuf *e)
{
	uint64_t cand_changed = 0, base_changed = 0;
	if (diff(p, p->side[SIDE_CAND].buf[i], p->side[SIDE_CAND].prev[i], i,
		 &cand_changed, e) < 0 ||
	    diff(p, p->side[SIDE_BASE].buf[i], p->side[SIDE_BASE].prev[i], i,
		 &base_changed, e) < 0)
		return -1;
	int stuck = cand_changed == 0 && base_changed > 0;
	struct record r;
	check_init(p, &r, kind, tr, i, SIDE_CAND);
	r.u.check.ok = !stuck;
	r.u.check.count = (int64_t)p->pb[i].bytes;
	r.u.check.mismatches = (int64_t)cand_changed;
	r.u.check.detail = json_pack("{s:b, s:I, s:I}", "equal_old", cand_changed == 0,
				     "candidate_changed_bytes", (json_int_t)cand_changed,
				     "baseline_changed_bytes", (json_int_t)base_changed);
	return plan_emit(p, &r, e);
}

static int save_outputs(struct plan *p, int side, struct errbuf *e)
{
	for (size_t i = 0; i < p->nbuf; i++)
		if (plan_is_output(&p->pb[i]) &&
		    p->b->copy(p->b->self, p->side[side].prev[i], p->side[side].buf[i],
			       p->pb[i].bytes, e) < 0)
			return -1;
	return 0;
}

static int first_side(const struct plan *p, int64_t t)
{
	return (int)(rng_hash(p->seed ^ SALT_ORDER, (uint64_t)t) & 1);
}

static int call_both(struct plan *p, struct trial *tr, struct errbuf *e)
{
	int first = first_side(p, tr->t);
	struct invoke_result res;
	for (int k = 0; k < 2; k++) {
		int side = k ? !first : first;
		tr->call[side] = p->next_call;
		if (plan_invoke(p, side, PHASE_CORRECTNESS, 0, 1, &res, e) < 0)
			return -1;
	}
	p->where = "cuda";
	return 0;
}

/* repeat: the same inputs again with other poison; the bits must match
 * the trial's first answer (saved in prev). */
static int repeat_trial(struct plan *p, struct trial *tr, struct errbuf *e)
{
	if (!p->k->deterministic) {
		for (size_t i = 0; i < p->nbuf; i++) {
			if (!plan_is_output(&p->pb[i]))
				continue;
			for (int side = 0; side < 2; side++) {
				struct record r;
				check_init(p, &r, "repeat", tr, i, side);
				r.call = REC_NONE;
				r.u.check.ok = 1;
				r.u.check.detail = json_pack("{s:b}", "skipped", 1);
				if (plan_emit(p, &r, e) < 0)
					return -1;
			}
		}
		return 0;
	}
	for (int side = 0; side < 2; side++)
		if (prepare_side(p, side, (uint64_t)tr->t, 1, 0, e) < 0)
			return -1;
	if (call_both(p, tr, e) < 0)
		return -1;
	for (size_t i = 0; i < p->nbuf; i++) {
		if (!plan_is_output(&p->pb[i]))
			continue;
		for (int side = 0; side < 2; side++) {
			struct record r;
			/* Poison left in the output differs between the two calls
			 * by design: that is unwritten-output, already reported,
			 * not nondeterminism. */
			if (tr->unwritten[side][i]) {
				check_init(p, &r, "repeat", tr, i, side);
				r.u.check.ok = 1;
				r.u.check.detail = json_pack("{s:b, s:s}", "skipped", 1, "why",
							     "unwritten");
				if (plan_emit(p, &r, e) < 0)
					return -1;
				continue;
			}
			uint64_t n = 0;
			if (diff(p, p->side[side].buf[i], p->side[side].prev[i], i, &n, e) < 0)
				return -1;
			check_init(p, &r, "repeat", tr, i, side);
			r.u.check.ok = n == 0;
			r.u.check.count = (int64_t)p->pb[i].bytes;
			r.u.check.mismatches = (int64_t)n;
			r.u.check.detail = json_pack("{s:I}", "changed_bytes", (json_int_t)n);
			if (plan_emit(p, &r, e) < 0)
				return -1;
		}
	}
	return 0;
}

static int run_trial(struct plan *p, struct trial *tr, struct errbuf *e)
{
	p->where = "cuda";
	if (plan_generate_inputs(p, (uint64_t)tr->t, e) < 0)
		return -1;
	/* The bait compares against exactly what the call found in place. */
	if (tr->bait && save_outputs(p, SIDE_CAND, e) < 0)
		return -1;
	for (int side = 0; side < 2; side++)
		if (prepare_side(p, side, (uint64_t)tr->t, 0,
				 tr->bait && side == SIDE_CAND, e) < 0)
			return -1;
	if (call_both(p, tr, e) < 0)
		return -1;
	for (size_t i = 0; i < p->nbuf; i++) {
		const struct plan_buf *pb = &p->pb[i];
		for (int side = 0; side < 2; side++) {
			if (pb->cb->role == CLAIM_OUT && !(tr->bait && side == SIDE_CAND) &&
			    check_unwritten(p, tr, i, side, e) < 0)
				return -1;
			if (check_guards(p, tr, i, side, e) < 0)
				return -1;
			if (pb->cb->role == CLAIM_IN && check_input(p, tr, i, side, e) < 0)
				return -1;
		}
		if (!plan_is_output(pb))
			continue;
		if (check_compare(p, tr, i, e) < 0)
			return -1;
		/* inout buffers start from fresh inputs, so only `out` can be bait. */
		if (tr->bait && pb->cb->role == CLAIM_OUT &&
		    check_unchanged(p, tr, i, "bait", e) < 0)
			return -1;
		if (!tr->bait && tr->t > 0 && check_unchanged(p, tr, i, "sensitivity", e) < 0)
			return -1;
	}
	for (int side = 0; side < 2; side++)
		if (save_outputs(p, side, e) < 0)
			return -1;
	return tr->bait ? 0 : repeat_trial(p, tr, e);
}

int64_t audit_bait_trial(uint64_t seed, int trials)
{
	return trials >= 2 ? 1 + (int64_t)(rng_hash(seed ^ SALT_BAIT, 0) % (uint64_t)(trials - 1))
			   : -1;
}

int audit_correctness(struct plan *p, struct errbuf *e)
{
	int n = p->o->trials;
	int64_t bait = audit_bait_trial(p->seed, n);
	int rc = 0;
	for (int64_t t = 0; t < n && rc == 0; t++) {
		struct trial tr = { .t = t, .bait = t == bait,
				    .call = { REC_NONE, REC_NONE } };
		for (int side = 0; side < 2; side++)
			tr.unwritten[side] = xcalloc(p->nbuf ? p->nbuf : 1, 1);
		rc = run_trial(p, &tr, e);
		free(tr.unwritten[0]);
		free(tr.unwritten[1]);
	}
	return rc;
}
