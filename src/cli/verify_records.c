/*
 * verify_records.c - the records only the supervisor writes: the header
 * (manifest and every source verbatim, so a trace stands alone years
 * later), case records for cases no worker described, error records, and
 * the writing itself (trace file + in-memory list for the detectors).
 */
#include "verify.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A source larger than this is recorded by digest only. */
#define VERIFY_MAX_SOURCE (16u << 20)

int verify_write(struct verify_audit *a, struct record *r)
{
	if (a->write_failed) {
		record_clear(r);
		return -1;
	}
	if (trace_writer_add(a->w, r, &a->werr) < 0) {
		a->write_failed = 1;
		record_clear(r);
		return -1;
	}
	record_list_push(&a->recs, r);
	return 0;
}

int verify_sink_emit(void *audit, const struct record *r)
{
	struct verify_audit *a = audit;
	if (r->type == REC_CASE && r->case_index == a->cur_case)
		a->cur_case_seen = 1;
	struct record c;
	record_copy(&c, r);
	return verify_write(a, &c);
}

static json_t *source_entry(const char *kernel, const char *impl, const struct claim_impl *ci,
			    json_t *seen)
{
	json_t *s = json_object();
	json_object_set_new(s, "impl", json_string(impl));
	json_object_set_new(s, "kernel", json_string(kernel));
	json_object_set_new(s, "path", json_string(ci->source));
	char *text = NULL;
	size_t len = 0;
	struct errbuf e = { "", 0 };
	if (read_file(ci->path, VERIFY_MAX_SOURCE, &text, &len, &e) < 0) {
		json_object_set_new(s, "error", json_string(e.msg));
		return s;
	}
	char sha[65];
	sha256_hex(text, len, sha);
	json_object_set_new(s, "sha256", json_string(sha));
	/* Each distinct text once: later entries name it by digest.  A binary
	 * (a prebuilt .so) is not UTF-8 and is recorded by digest only. */
	if (!json_object_get(seen, sha)) {
		json_t *t = json_stringn(text, len);
		if (t) {
			json_object_set_new(s, "text", t);
			json_object_set_new(seen, sha, json_true());
		} else {
			json_object_set_new(s, "binary", json_true());
		}
	}
	free(text);
	return s;
}

int verify_header(const struct claim *c, const char *const *so_sha256, uint64_t root_seed,
		  const char *pubkey, struct record *out, struct errbuf *e)
{
	(void)e;
	record_init(out, REC_HEADER);
	struct rec_header *h = &out->u.header;
	char now[32], host[256];
	utc_now(now);
	if (gethostname(host, sizeof host) != 0)
		strcpy(host, "unknown");
	host[sizeof host - 1] = '\0';
	h->version = 1;
	h->tool = xstrdup(KAUDIT_VERSION);
	h->time = xstrdup(now);
	h->host = xstrdup(host);
	h->synthetic = 0;
	h->root_seed = (int64_t)root_seed;
	h->manifest_path = xstrdup(c->path);
	h->manifest_text = xstrndup(c->text, c->text_len);
	h->manifest_sha256 = xstrdup(c->sha256);
	h->pubkey = xstrdup(pubkey);
	h->sources = json_array();
	h->binaries = json_array();
	json_t *seen = json_object();
	for (size_t k = 0; k < c->nkernels; k++) {
		const struct claim_kernel *kk = &c->kernels[k];
		json_array_append_new(h->sources, source_entry(kk->id, "baseline", &kk->baseline, seen));
		json_array_append_new(h->sources, source_entry(kk->id, "candidate", &kk->candidate, seen));
		for (int side = 0; side < 2; side++) {
			const char *sha = so_sha256[2 * k + (size_t)side];
			if (sha)
				json_array_append_new(h->binaries,
					json_pack("{s:s, s:s, s:s}", "impl",
						  side ? "candidate" : "baseline", "kernel",
						  kk->id, "sha256", sha));
		}
	}
	json_decref(seen);
	return 0;
}

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
		json_array_append_new(bufs, json_pack("{s:s, s:s, s:s, s:o, s:I}", "name", b->name,
			"role", claim_role_name(b->role), "dtype", claim_dtype_name(b->dtype),
			"shape", shape, "bytes",
			(json_int_t)(numel * (int64_t)claim_dtype_size(b->dtype))));
	}
	return bufs;
}

int verify_case_record(const struct claim_case *cc, size_t index, uint64_t seed,
		       struct record *out, struct errbuf *e)
{
	const struct claim_kernel *k = cc->kernel;
	const struct claim_params *p = &k->params[cc->param_index];
	json_t *bufs = case_buffers(k, p, e);
	if (!bufs)
		return -1;
	record_init(out, REC_CASE);
	out->case_index = (int64_t)index;
	out->phase = PHASE_SETUP;
	struct rec_case *c = &out->u.kase;
	c->kernel = xstrdup(k->id);
	c->params = json_object();
	for (size_t i = 0; i < p->n; i++)
		json_object_set_new(c->params, p->names[i], json_integer(p->values[i]));
	c->buffers = bufs;
	c->seed = (int64_t)seed;
	c->claimed = k->claimed_speedup;
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
	if (k->expect.set) {
		json_t *f = json_array();
		for (size_t i = 0; i < k->expect.nfindings; i++)
			json_array_append_new(f, json_string(k->expect.findings[i]));
		c->expect = json_pack("{s:s?, s:o}", "verdict", k->expect.verdict, "findings", f);
	}
	return 0;
}

void verify_error_record(int64_t index, const char *where, const char *message,
			 struct record *out)
{
	record_init(out, REC_ERROR);
	out->case_index = index;
	out->u.error.where = xstrdup(where);
	out->u.error.message = xstrdup(message);
}

int verify_verdict_rank(const char *v)
{
	static const char *const order[] = { "reproduced", "inconclusive", "not-reproduced",
					     "error", "invalid" };
	if (!v)
		return 3; /* no verdict at all counts as an error */
	for (int i = 0; i < 5; i++)
		if (strcmp(order[i], v) == 0)
			return i;
	return 3;
}

const struct record *verify_find(const struct verify_audit *a, enum record_type t,
				 int64_t case_index)
{
	for (size_t i = 0; i < a->recs.n; i++)
		if (a->recs.v[i].type == t && a->recs.v[i].case_index == case_index)
			return &a->recs.v[i];
	return NULL;
}
