/*
 * case_record.c - the `case` record of one case: kernel, parameters,
 * buffers under those parameters, seed, claim, tolerance, work bounds and
 * expectation.  One definition for the protocol's unit tests (which emit it
 * from inside audit_run_case) and for the supervisor, which writes it from
 * its own copy of the manifest before a worker starts (a worker may not).
 */
#include "audit/audit.h"

#include <stdlib.h>

static json_t *case_buffers(const struct claim_kernel *k, const struct claim_params *p,
			    struct errbuf *e)
{
	json_t *bufs = json_array();
	for (size_t i = 0; i < k->nbuffers; i++) {
		const struct claim_buffer *b = &k->buffers[i];
		json_t *shape = json_array();
		for (size_t d = 0; d < b->ndim; d++) {
			int64_t v;
			if (claim_expr_eval(b->shape[d], p, &v, e) < 0) {
				json_decref(shape);
				json_decref(bufs);
				return NULL;
			}
			json_array_append_new(shape, json_integer(v));
		}
		int64_t numel = 0;
		if (claim_buffer_numel(b, p, &numel, e) < 0) {
			json_decref(shape);
			json_decref(bufs);
			return NULL;
		}
		json_t *bj = json_pack("{s:s, s:s, s:s, s:o, s:I}", "name", b->name,
			"role", claim_role_name(b->role), "dtype", claim_dtype_name(b->dtype),
			"shape", shape, "bytes",
			(json_int_t)(numel * (int64_t)claim_dtype_size(b->dtype)));
		/* Its values are not kaudit's to regenerate from the seed: say
		 * where they came from (the supervisor adds their digest). */
		if (b->init.dist == CLAIM_INIT_GET_INPUTS) {
			json_object_set_new(bj, "init", json_string("get_inputs"));
			json_object_set_new(bj, "item", json_integer(b->init.item));
			json_object_set_new(bj, "file", json_string(k->inputs_source));
		}
		json_array_append_new(bufs, bj);
	}
	return bufs;
}

static json_t *case_expect(const struct claim_expect *x)
{
	if (!x->set)
		return NULL;
	json_t *f = json_array();
	for (size_t i = 0; i < x->nfindings; i++)
		json_array_append_new(f, json_string(x->findings[i]));
	return json_pack("{s:s?, s:o}", "verdict", x->verdict, "findings", f);
}

int audit_case_record(const struct claim_kernel *k, const struct claim_params *p,
		      int64_t case_index, uint64_t seed, struct record *out, struct errbuf *e)
{
	json_t *bufs = case_buffers(k, p, e);
	if (!bufs)
		return -1;
	record_init(out, REC_CASE);
	out->case_index = case_index;
	out->phase = PHASE_SETUP;
	struct rec_case *c = &out->u.kase;
	c->kernel = xstrdup(k->id);
	c->params = json_object();
	for (size_t i = 0; i < p->n; i++)
		json_object_set_new(c->params, p->names[i], json_integer(p->values[i]));
	c->buffers = bufs;
	c->seed = (int64_t)seed;
	c->claimed = k->claimed_speedup;
	/* The tolerance of the first output decides (outputs of a kernel
	 * normally share a dtype); each compare uses its buffer's own. */
	for (size_t i = 0; i < k->nbuffers; i++) {
		if (k->buffers[i].role != CLAIM_IN) {
			struct claim_tolerance t = claim_tolerance_for(k, k->buffers[i].dtype);
			c->rtol = t.rtol;
			c->atol = t.atol;
			break;
		}
	}
	c->deterministic = k->deterministic ? 1 : 0;
	if ((k->work_bytes && claim_expr_eval(k->work_bytes, p, &c->work_bytes, e) < 0) ||
	    (k->work_flops && claim_expr_eval(k->work_flops, p, &c->work_flops, e) < 0)) {
		record_clear(out);
		return -1;
	}
	c->expect = case_expect(&k->expect);
	return 0;
}
