/*
 * correctness.c - findings from the worker's correctness checks: a failed
 * check record maps to one invalidating code (record.h conventions), and
 * compare checks feed degenerate-reference.
 *
 * One finding per (case, implementation, code): it names the first failing
 * trial or sample, carries that check's numbers, counts every failure and
 * lists the failing check records.
 */
#include <math.h>
#include <string.h>

#include "detect/detect_private.h"

static const struct {
	const char *kind, *code, *what;
} check_codes[] = {
	{ "compare", "wrong-output", "output differs from the baseline's" },
	{ "unwritten", "unwritten-output", "output elements still hold the poison" },
	{ "guards", "out-of-bounds-write", "guard-zone bytes changed" },
	{ "input", "input-mutation", "an input buffer was modified" },
	{ "bait", "stale-output", "output equals the previous trial's answer" },
	{ "repeat", "nondeterministic-output", "identical inputs gave different bits" },
	{ "sensitivity", "input-insensitive", "output did not follow the inputs" },
};
#define NCHECK (sizeof check_codes / sizeof check_codes[0])

static int check_kind(const char *kind)
{
	for (size_t i = 0; kind && i < NCHECK; i++)
		if (strcmp(check_codes[i].kind, kind) == 0)
			return (int)i;
	return -1; /* a newer worker's check: not ours to judge */
}

static int64_t detail_sample(const struct record *r)
{
	json_t *s = json_object_get(r->u.check.detail, "sample");
	return json_is_integer(s) ? json_integer_value(s) : REC_NONE;
}

/* Failures of one kind for one implementation in one case. */
struct failures {
	const struct record *first;
	struct detect_ids ids;
	int64_t count;
};

static void emit_failures(struct record_list *out, const struct detect_case *c,
			  enum record_impl impl, size_t kind, struct failures *f)
{
	const struct rec_check *k = &f->first->u.check;
	json_t *ev = json_object();
	json_object_set_new(ev, "check", json_string(check_codes[kind].kind));
	if (k->buffer)
		json_object_set_new(ev, "buffer", json_string(k->buffer));
	record_json_put_int(ev, "failed_checks", f->count);
	record_json_put_real(ev, "max_abs", k->max_abs);
	record_json_put_real(ev, "max_rel", k->max_rel);
	record_json_put_real(ev, "rel_l2", k->rel_l2);
	record_json_put_int(ev, "count", k->count);
	record_json_put_int(ev, "mismatches", k->mismatches);
	record_json_put_int(ev, "unwritten", k->unwritten);
	record_json_put_int(ev, "seed", k->seed);
	if (k->detail)
		json_object_set_new(ev, "detail", json_deep_copy(k->detail));
	detect_ids_into(&f->ids, ev);
	int64_t sample = detail_sample(f->first);
	detect_emit(out, c->case_index, impl, check_codes[kind].code, f->first->call,
		    k->trial, sample, ev, "%s: %s%s%s (%lld failed check%s)",
		    record_impl_name(impl) ? record_impl_name(impl) : "implementation",
		    check_codes[kind].what, k->buffer ? " in buffer " : "",
		    k->buffer ? k->buffer : "", (long long)f->count, f->count == 1 ? "" : "s");
}

void detect_checks(const struct detect_index *ix, struct record_list *out)
{
	/* Indexed [impl][kind]; impl none and harness checks are kept too. */
	struct failures fail[IMPL_HARNESS + 1][NCHECK];
	for (size_t ci = 0; ci < ix->ncases; ci++) {
		const struct detect_case *c = &ix->cases[ci];
		memset(fail, 0, sizeof fail);
		int deterministic = !c->kase || c->kase->u.kase.deterministic != 0;
		for (size_t i = 0; i < c->n; i++) {
			const struct record *r = c->recs[i];
			if (r->type != REC_CHECK || r->u.check.ok != 0)
				continue;
			int kind = check_kind(r->u.check.kind);
			if (kind < 0 || (unsigned)r->impl > IMPL_HARNESS)
				continue;
			/* `deterministic: false` in the manifest allows it. */
			if (!deterministic && strcmp(check_codes[kind].kind, "repeat") == 0)
				continue;
			struct failures *f = &fail[r->impl][kind];
			if (!f->first) {
				f->first = r;
				detect_ids_init(&f->ids);
			}
			f->count++;
			detect_ids_add(&f->ids, r);
		}
		for (int impl = 0; impl <= IMPL_HARNESS; impl++)
			for (size_t k = 0; k < NCHECK; k++)
				if (fail[impl][k].first)
					emit_failures(out, c, (enum record_impl)impl, k,
						      &fail[impl][k]);
	}
}

/*
 * invalid-return: a Python implementation returned something that cannot
 * be the output the manifest declares (an input or another output, a
 * tensor it returned on an earlier call, the wrong shape, dtype, device or
 * count).  The worker stops the call there and records an error with
 * where "output"; the audit could not check such an output, and a harness
 * that takes it (KernelBench copies returned tensors) would be fooled by
 * exactly this, so it invalidates the case rather than leave it an error.
 * One finding per (case, implementation): the first such call's message.
 */
void detect_invalid_return(const struct detect_index *ix, struct record_list *out)
{
	for (size_t ci = 0; ci < ix->ncases; ci++) {
		const struct detect_case *c = &ix->cases[ci];
		const struct record *first[IMPL_HARNESS + 1] = { NULL };
		struct detect_ids ids[IMPL_HARNESS + 1];
		int64_t count[IMPL_HARNESS + 1] = { 0 };
		for (size_t i = 0; i < c->n; i++) {
			const struct record *r = c->recs[i];
			if (r->type != REC_ERROR || !r->u.error.where ||
			    strcmp(r->u.error.where, "output") != 0 || (unsigned)r->impl > IMPL_HARNESS)
				continue;
			if (!first[r->impl]) {
				first[r->impl] = r;
				detect_ids_init(&ids[r->impl]);
			}
			count[r->impl]++;
			detect_ids_add(&ids[r->impl], r);
		}
		for (int impl = 0; impl <= IMPL_HARNESS; impl++) {
			const struct record *r = first[impl];
			if (!r)
				continue;
			json_t *ev = json_object();
			record_json_put_int(ev, "calls", count[impl]);
			detect_ids_into(&ids[impl], ev);
			const char *name = record_impl_name((enum record_impl)impl);
			detect_emit(out, c->case_index, (enum record_impl)impl, "invalid-return", r->call,
				    REC_NONE, REC_NONE, ev, "%s: what it returned cannot be the output: %.400s",
				    name ? name : "implementation",
				    r->u.error.message ? r->u.error.message : "(no message)");
		}
	}
}

/* Missing tolerances count as 0: only an exactly constant or all-zero
 * reference is then degenerate, which is right for integer outputs. */
static double tol(double v)
{
	return isfinite(v) && v > 0 ? v : 0;
}

static double detail_num(const json_t *d, const char *k)
{
	json_t *v = json_object_get(d, k);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/*
 * degenerate-reference: the reference is so flat that a constant output
 * would pass allclose.  Near zero: every |b| <= atol, so an all-zero output
 * passes.  Near constant: the whole range max - min fits inside the
 * tolerance at the largest magnitude, so the midpoint constant is within
 * half a tolerance of every element.
 */
void detect_degenerate(const struct detect_index *ix, struct record_list *out)
{
	for (size_t ci = 0; ci < ix->ncases; ci++) {
		const struct detect_case *c = &ix->cases[ci];
		double rtol = c->kase ? tol(c->kase->u.kase.rtol) : 0;
		double atol = c->kase ? tol(c->kase->u.kase.atol) : 0;
		int done[IMPL_HARNESS + 1] = { 0 };
		for (size_t i = 0; i < c->n; i++) {
			const struct record *r = c->recs[i];
			if (r->type != REC_CHECK || !r->u.check.kind ||
			    strcmp(r->u.check.kind, "compare") != 0 ||
			    (unsigned)r->impl > IMPL_HARNESS || done[r->impl])
				continue;
			const json_t *d = r->u.check.detail;
			double lo = detail_num(d, "ref_min"), hi = detail_num(d, "ref_max");
			double am = detail_num(d, "ref_absmax");
			if (!isfinite(am) && isfinite(lo) && isfinite(hi))
				am = fmax(fabs(lo), fabs(hi));
			if (!isfinite(am))
				continue;
			const char *why = NULL;
			if (am <= atol)
				why = "near zero";
			else if (isfinite(lo) && isfinite(hi) && hi - lo <= atol + rtol * am)
				why = "near constant";
			if (!why)
				continue;
			done[r->impl] = 1;
			json_t *ev = json_object();
			record_json_put_real(ev, "ref_min", lo);
			record_json_put_real(ev, "ref_max", hi);
			record_json_put_real(ev, "ref_absmax", am);
			record_json_put_real(ev, "rtol", rtol);
			record_json_put_real(ev, "atol", atol);
			struct detect_ids ids;
			detect_ids_init(&ids);
			detect_ids_add(&ids, r);
			detect_ids_into(&ids, ev);
			detect_emit(out, c->case_index, r->impl, "degenerate-reference", r->call,
				    r->u.check.trial, detail_sample(r), ev,
				    "reference output is %s (min %g, max %g, |max| %g; "
				    "rtol %g, atol %g): a constant output would pass",
				    why, lo, hi, am, rtol, atol);
		}
	}
}
