/*
 * plan.c - the plan of one case: buffer sizes, the backend allocations of
 * each side, launch structs, poison patterns, input generation, calls, and
 * the `case` record.  The correctness and timing phases build on these.
 */
#include "audit/audit_private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/rng.h"

/* Salts keep the derived streams of unrelated decisions apart. */
#define SALT_POISON 0x706f69736f6e0001ULL

int plan_is_output(const struct plan_buf *b)
{
	return b->cb->role == CLAIM_OUT || b->cb->role == CLAIM_INOUT;
}

int plan_is_input(const struct plan_buf *b)
{
	return b->cb->role == CLAIM_IN || b->cb->role == CLAIM_INOUT;
}

void plan_record(const struct plan *p, struct record *r, enum record_type t,
		 enum record_phase phase, enum record_impl impl)
{
	record_init(r, t);
	r->case_index = p->case_index;
	r->phase = phase;
	r->impl = impl;
}

int plan_emit(struct plan *p, struct record *r, struct errbuf *e)
{
	int rc = record_emit(p->sink, r);
	record_clear(r);
	if (rc < 0) {
		p->sink_failed = 1;
		return errbuf_set(e, EXIT_NOT_REPRODUCED, "cannot emit records: output closed");
	}
	return 0;
}

/* Rewrites E's message as "WHAT: message" with code 1 (the manifest was
 * valid; this case cannot run). */
static int err_prefix(struct errbuf *e, const char *what, const char *name)
{
	char msg[ERRBUF_LEN];
	snprintf(msg, sizeof msg, "%s", e->msg);
	return errbuf_set(e, EXIT_NOT_REPRODUCED, "%s '%s': %s", what, name, msg);
}

static int size_mul(size_t a, size_t b, size_t *out)
{
	if (a && b > SIZE_MAX / a)
		return -1;
	*out = a * b;
	return 0;
}

int plan_init(struct plan *p, const struct backend *b, const struct claim_kernel *k,
	      const struct claim_params *params, int64_t case_index,
	      const struct audit_opts *o, const struct record_sink *sink,
	      struct errbuf *e)
{
	memset(p, 0, sizeof *p);
	p->b = b;
	p->k = k;
	p->params = params;
	p->o = o;
	p->sink = sink;
	p->case_index = case_index;
	p->seed = o->seed;
	p->where = "setup";
	p->err_call = REC_NONE;
	p->inputs_fd = -1;
	p->nbuf = k->nbuffers;
	p->pb = xcalloc(p->nbuf, sizeof *p->pb);
	for (size_t i = 0; i < p->nbuf; i++) {
		struct plan_buf *pb = &p->pb[i];
		pb->cb = &k->buffers[i];
		pb->elem = claim_dtype_size(pb->cb->dtype);
		pb->shape = xcalloc(pb->cb->ndim ? pb->cb->ndim : 1, sizeof *pb->shape);
		for (size_t d = 0; d < pb->cb->ndim; d++)
			if (claim_expr_eval(pb->cb->shape[d], params, &pb->shape[d], e) < 0)
				return err_prefix(e, "buffer", pb->cb->name);
		if (claim_buffer_numel(pb->cb, params, &pb->numel, e) < 0)
			return err_prefix(e, "buffer", pb->cb->name);
		if (pb->elem == 0 || pb->numel <= 0 ||
		    size_mul((size_t)pb->numel, pb->elem, &pb->bytes) < 0)
			return errbuf_set(e, EXIT_NOT_REPRODUCED,
					  "buffer '%s': size overflows", pb->cb->name);
		struct claim_tolerance t = claim_tolerance_for(k, pb->cb->dtype);
		pb->rtol = t.rtol;
		pb->atol = t.atol;
	}
	p->side[SIDE_BASE].impl = IMPL_BASELINE;
	p->side[SIDE_BASE].entry = k->baseline.entry;
	p->side[SIDE_CAND].impl = IMPL_CANDIDATE;
	p->side[SIDE_CAND].entry = k->candidate.entry;
	return 0;
}

/* Bytes the correctness phase allocates: each side's buffers plus the
 * previous results of its outputs, and the pristine inputs. */
static size_t plan_footprint(const struct plan *p)
{
	size_t total = 0;
	for (size_t i = 0; i < p->nbuf; i++) {
		size_t copies = 2 + (plan_is_output(&p->pb[i]) ? 2 : 0) +
				(plan_is_input(&p->pb[i]) ? 1 : 0);
		size_t add;
		if (size_mul(p->pb[i].bytes, copies, &add) < 0 || total + add < total)
			return SIZE_MAX;
		total += add;
	}
	return total;
}

static int alloc_buf(struct plan *p, size_t bytes, struct backend_buf **out,
		     struct errbuf *e)
{
	if (p->b->alloc(p->b->self, bytes, out, e) < 0) {
		p->where = "setup";
		return -1;
	}
	return 0;
}

int plan_alloc(struct plan *p, struct errbuf *e)
{
	const struct backend *b = p->b;
	if (b->mem_info) {
		size_t avail = 0, total = 0, need = plan_footprint(p);
		if (b->mem_info(b->self, &avail, &total, e) < 0)
			return -1;
		if (need > avail)
			return errbuf_set(e, EXIT_NOT_REPRODUCED,
					  "plan does not fit: case needs %zu bytes of device "
					  "memory, %zu of %zu are free", need, avail, total);
	}
	p->pristine = xcalloc(p->nbuf, sizeof *p->pristine);
	for (int s = 0; s < 2; s++) {
		struct plan_side *sd = &p->side[s];
		sd->buf = xcalloc(p->nbuf, sizeof *sd->buf);
		sd->prev = xcalloc(p->nbuf, sizeof *sd->prev);
		sd->kb = xcalloc(p->nbuf ? p->nbuf : 1, sizeof *sd->kb);
	}
	for (size_t i = 0; i < p->nbuf; i++) {
		struct plan_buf *pb = &p->pb[i];
		for (int s = 0; s < 2; s++) {
			struct plan_side *sd = &p->side[s];
			if (alloc_buf(p, pb->bytes, &sd->buf[i], e) < 0)
				return -1;
			if (plan_is_output(pb) && alloc_buf(p, pb->bytes, &sd->prev[i], e) < 0)
				return -1;
			sd->kb[i].name = pb->cb->name;
			sd->kb[i].data = b->data(sd->buf[i]);
			sd->kb[i].dtype = pb->cb->dtype;
			sd->kb[i].ndim = (int)pb->cb->ndim;
			sd->kb[i].shape = pb->shape;
		}
		if (plan_is_input(pb) && alloc_buf(p, pb->bytes, &p->pristine[i], e) < 0)
			return -1;
	}
	for (int s = 0; s < 2; s++) {
		kaudit_launch *l = &p->side[s].launch;
		l->abi_version = KAUDIT_ABI_VERSION;
		l->nbuffers = (int)p->nbuf;
		l->buffers = p->side[s].kb;
		l->nparams = (int)p->params->n;
		l->param_names = (const char *const *)p->params->names;
		l->param_values = p->params->values;
		l->stream = NULL; /* the backend sets its stream */
	}
	return 0;
}

static void release_all(const struct backend *b, struct backend_buf **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		if (v[i])
			b->release(b->self, v[i]);
	free(v);
}

void plan_release(struct plan *p)
{
	for (int s = 0; s < 2; s++) {
		release_all(p->b, p->side[s].buf, p->nbuf);
		release_all(p->b, p->side[s].prev, p->nbuf);
		free(p->side[s].kb);
	}
	release_all(p->b, p->pristine, p->nbuf);
	if (p->inputs_fd >= 0)
		close(p->inputs_fd);
	p->inputs_fd = -1;
	if (p->pb)
		for (size_t i = 0; i < p->nbuf; i++)
			free(p->pb[i].shape);
	free(p->pb);
	p->pb = NULL;
	p->pristine = NULL;
}

/* A NaN of the buffer's float type carrying PAYLOAD, repeated to 32 bits,
 * so an honest kernel cannot produce it by accident; integers get random
 * bits (the unwritten check corrects for coincidences). */
static uint32_t pattern_for(int dtype, uint64_t h)
{
	uint32_t payload = (uint32_t)(h >> 32);
	uint16_t half;
	switch (dtype) {
	case KAUDIT_F32:
		return 0x7fc00000u | ((payload & 0x3fffffu) | 1u);
	case KAUDIT_F64: /* repeated: high word 0x7ff8xxxx makes a quiet NaN */
		return 0x7ff80000u | ((payload & 0x7ffffu) | 1u);
	case KAUDIT_F16:
		half = (uint16_t)(0x7e00u | ((payload & 0x1ffu) | 1u));
		return ((uint32_t)half << 16) | half;
	case KAUDIT_BF16:
		half = (uint16_t)(0x7fc0u | ((payload & 0x3fu) | 1u));
		return ((uint32_t)half << 16) | half;
	default:
		return (uint32_t)h;
	}
}

uint32_t plan_poison_pattern(const struct plan *p, size_t i, uint64_t when,
			     int side, int variant)
{
	uint64_t h = rng_derive(p->seed ^ SALT_POISON, when,
				(uint64_t)i * 4 + (uint64_t)side * 2 + (uint64_t)variant);
	uint32_t pat = pattern_for(p->pb[i].cb->dtype, h);
	/* The two sides must never share a pattern: flip the lowest payload bit
	 * of the candidate's when the hash happened to agree. */
	if (side == SIDE_CAND) {
		uint64_t hb = rng_derive(p->seed ^ SALT_POISON, when, (uint64_t)i * 4 +
					 (uint64_t)variant);
		if (pattern_for(p->pb[i].cb->dtype, hb) == pat)
			pat ^= 0x00020002u;
	}
	return pat;
}

int plan_generate_inputs(struct plan *p, uint64_t trial, struct errbuf *e)
{
	for (size_t i = 0; i < p->nbuf; i++) {
		struct plan_buf *pb = &p->pb[i];
		if (!plan_is_input(pb))
			continue;
		if (pb->cb->init.dist == CLAIM_INIT_GET_INPUTS) {
			if (plan_load_get_inputs(p, i, trial, e) < 0) {
				p->where = "inputs";
				return -1;
			}
			continue;
		}
		if (p->b->generate(p->b->self, p->pristine[i], pb->cb->dtype,
				   (uint64_t)pb->numel, &pb->cb->init,
				   rng_derive_seed(p->seed, trial, i), e) < 0) {
			p->where = "cuda";
			return -1;
		}
	}
	return 0;
}

int plan_load_inputs(struct plan *p, int side, struct backend_buf **from, struct errbuf *e)
{
	for (size_t i = 0; i < p->nbuf; i++) {
		if (!plan_is_input(&p->pb[i]))
			continue;
		if (p->b->copy(p->b->self, p->side[side].buf[i], from[i], p->pb[i].bytes, e) < 0) {
			p->where = "cuda";
			return -1;
		}
	}
	return 0;
}

int plan_invoke(struct plan *p, int side, enum record_phase phase, int timed,
		int traced, struct invoke_result *r, struct errbuf *e)
{
	struct plan_side *sd = &p->side[side];
	struct invoke_opts io = {
		.impl = sd->impl,
		.call = p->next_call++,
		.case_index = p->case_index,
		.phase = phase,
		.timed = timed,
		.traced = traced,
	};
	memset(r, 0, sizeof *r);
	r->span_start = r->span_end = REC_NONE;
	p->err_impl = sd->impl;
	p->err_call = io.call;
	if (p->b->invoke(p->b->self, sd->bi, &sd->launch, &io, p->sink, r, e) < 0) {
		p->where = "cuda";
		return -1;
	}
	if (r->entry_rc != 0) {
		p->where = "launch";
		return errbuf_set(e, EXIT_NOT_REPRODUCED, "%s entry '%s' returned %d (call %lld)",
				  record_impl_name(sd->impl), sd->entry, r->entry_rc,
				  (long long)io.call);
	}
	if (r->failed) {
		p->where = r->where[0] == 'p' ? "python" : r->where[0] == 'o' ? "output" : "cuda";
		return errbuf_set(e, EXIT_NOT_REPRODUCED, "%s entry '%s' failed (call %lld): %s",
				  record_impl_name(sd->impl), sd->entry, (long long)io.call,
				  r->error[0] ? r->error : "CUDA error");
	}
	p->err_impl = IMPL_NONE;
	p->err_call = REC_NONE;
	return 0;
}

/* JSON cannot hold NaN or infinities: such a statistic is left out. */
static void set_real(json_t *o, const char *key, double v)
{
	if (isfinite(v))
		json_object_set_new(o, key, json_real(v));
}

int plan_compare(struct plan *p, size_t i, struct backend_buf *cand,
		 struct backend_buf *ref, struct record *r, struct errbuf *e)
{
	const struct plan_buf *pb = &p->pb[i];
	struct compare_stats st;
	memset(&st, 0, sizeof st);
	if (p->b->compare(p->b->self, cand, ref, pb->cb->dtype, (uint64_t)pb->numel,
			  pb->rtol, pb->atol, &st, e) < 0)
		return -1;
	r->u.check.ok = st.mismatches == 0;
	r->u.check.count = (int64_t)st.count;
	r->u.check.mismatches = (int64_t)st.mismatches;
	r->u.check.max_abs = st.max_abs;
	r->u.check.max_rel = st.max_rel;
	r->u.check.rel_l2 = st.rel_l2;
	json_t *d = json_object();
	set_real(d, "ref_min", st.ref_min);
	set_real(d, "ref_max", st.ref_max);
	set_real(d, "ref_absmax", st.ref_absmax);
	r->u.check.detail = d;
	return 0;
}

int plan_emit_case(struct plan *p, struct errbuf *e)
{
	struct record r;
	if (audit_case_record(p->k, p->params, p->case_index, p->seed, &r, e) < 0)
		return err_prefix(e, "kernel", p->k->id);
	return plan_emit(p, &r, e);
}
