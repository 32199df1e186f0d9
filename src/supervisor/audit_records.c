/*
 * audit_records.c - the records only the supervisor writes: the header
 * (the manifest and every file the compile read from the claim's tree,
 * verbatim, so a trace stands alone years later), error records, and the
 * writing itself (trace file + in-memory list for the detectors).
 */
#include "supervisor/audit_run_private.h"
#include "run/plugin.h"
#include "util/build_info.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The records a case has most of: what the collector saw the GPU do. */
static int is_activity(enum record_type t)
{
	return t == REC_API || t == REC_KERNEL || t == REC_MEMCPY || t == REC_MEMSET ||
	       t == REC_EVENT || t == REC_SYNC || t == REC_ALLOC;
}

int run_audit_write(struct run_audit *a, struct record *r)
{
	if (a->write_failed) {
		record_clear(r);
		return -1;
	}
	/* Near the ceiling, activity is counted instead of written, so the
	 * conclusions still fit and the trace stays one every reader takes;
	 * the `dropped` note makes it a trace-incomplete warning. */
	if (a->ceiling && is_activity(r->type) && trace_writer_records(a->w) >= a->ceiling) {
		if (a->ceiling_dropped && a->ceiling_case != r->case_index &&
		    run_audit_ceiling_note(a) < 0) {
			record_clear(r);
			return -1;
		}
		a->ceiling_case = r->case_index;
		a->ceiling_dropped++;
		record_clear(r);
		return 0;
	}
	if (trace_writer_add(a->w, r, &a->werr) < 0) {
		a->write_failed = 1;
		record_clear(r);
		return -1;
	}
	record_list_push(&a->recs, r);
	return 0;
}

int run_audit_ceiling_note(struct run_audit *a)
{
	if (a->ceiling_dropped == 0)
		return 0;
	struct record d;
	record_init(&d, REC_DROPPED);
	d.case_index = a->ceiling_case;
	d.u.dropped.count = a->ceiling_dropped;
	d.u.dropped.source = xstrdup("ceiling");
	a->ceiling_dropped = 0;
	size_t keep = a->ceiling;
	a->ceiling = 0; /* the note itself is always written */
	int rc = run_audit_write(a, &d);
	a->ceiling = keep;
	return rc;
}

int run_audit_sink_emit(void *audit, const struct record *r)
{
	struct record c;
	record_copy(&c, r);
	return run_audit_write(audit, &c);
}

/* One file of an implementation: its text once per distinct digest
 * (later entries name it by digest); a binary (a prebuilt .so) or a file
 * from the toolkit or the system by digest only. */
static json_t *file_entry(const char *kernel, const char *impl, const char *path,
			  const char *kind, const char *sha, const char *text, size_t len,
			  json_t *seen)
{
	json_t *s = json_object();
	json_object_set_new(s, "impl", json_string(impl));
	json_object_set_new(s, "kernel", json_string(kernel));
	json_object_set_new(s, "path", json_string(path));
	json_object_set_new(s, "kind", json_string(kind));
	json_object_set_new(s, "sha256", json_string(sha));
	if (text)
		json_object_set_new(s, "bytes", json_integer((json_int_t)len));
	if (text && !json_object_get(seen, sha)) {
		json_t *t = json_stringn(text, len);
		if (t) {
			json_object_set_new(s, "text", t);
			json_object_set_new(seen, sha, json_true());
		} else {
			json_object_set_new(s, "binary", json_true());
		}
	} else if (!text && strcmp(kind, "source") == 0) {
		json_object_set_new(s, "binary", json_true());
	}
	return s;
}

/* Every file building IMPL read: the source first, then each include by
 * kind (build.h).  When the build failed before it could say, the source
 * as the manifest names it, read here (it is inside the claim's tree: the
 * loader checked). */
static void impl_files(json_t *out, const char *kernel, const char *impl,
		       const struct claim_impl *ci, const struct build_result *br, json_t *seen)
{
	if (br->ndeps > 0) {
		for (size_t i = 0; i < br->ndeps; i++) {
			const struct build_dep *d = &br->deps[i];
			const char *kind = i == 0 ? "source" : d->kind;
			json_array_append_new(out, file_entry(kernel, impl, d->path, kind, d->sha256,
							      d->text, d->text ? strlen(d->text) : 0,
							      seen));
		}
		return;
	}
	char *text = NULL;
	size_t len = 0;
	struct errbuf e = { "", 0 };
	if (read_file(ci->path, RUN_MAX_SOURCE, &text, &len, &e) < 0) {
		json_t *s = json_pack("{s:s, s:s, s:s, s:s, s:s}", "impl", impl, "kernel", kernel,
				      "path", ci->source, "kind", "source", "error", e.msg);
		json_array_append_new(out, s);
		return;
	}
	char sha[65];
	sha256_hex(text, len, sha);
	json_t *as_json = json_stringn(text, len); /* NULL: not UTF-8 */
	int utf8 = as_json != NULL;
	json_decref(as_json);
	json_array_append_new(out, file_entry(kernel, impl, ci->source, "source", sha,
					      utf8 ? text : NULL, len, seen));
	free(text);
}

int run_audit_header(const struct run_audit *a, uint64_t root_seed, const char *pubkey,
		     struct record *out)
{
	const struct claim *c = a->claim;
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
	h->margin = a->margin;
	h->plugin = run_plugin_identity();
	h->build = json_pack("{s:s, s:s}", "commit", build_info_commit(), "cuda",
			     build_info_cuda());
	h->selection = trace_selection_json((int64_t)a->ncases, a->kernel, a->shard_index,
					    a->shard_count);
	h->sources = json_array();
	h->binaries = json_array();
	json_t *seen = json_object();
	for (size_t k = 0; k < c->nkernels; k++) {
		const struct claim_kernel *kk = &c->kernels[k];
		const struct run_built *b = &a->built[k];
		for (int side = 0; side < 2; side++) {
			const char *impl = side ? "candidate" : "baseline";
			impl_files(h->sources, kk->id, impl, run_side_impl(kk, side), &b->res[side],
				   seen);
			if (b->ok[side] && b->res[side].so_sha256[0])
				json_array_append_new(h->binaries,
					json_pack("{s:s, s:s, s:s}", "impl", impl, "kernel", kk->id,
						  "sha256", b->res[side].so_sha256));
		}
	}
	json_decref(seen);
	return 0;
}

void run_error_record(int64_t index, const char *where, const char *message,
		      struct record *out)
{
	record_init(out, REC_ERROR);
	out->case_index = index;
	out->u.error.where = xstrdup(where);
	out->u.error.message = xstrdup(message);
}

const struct record *run_audit_find(const struct run_audit *a, enum record_type t,
				    int64_t case_index)
{
	for (size_t i = 0; i < a->recs.n; i++)
		if (a->recs.v[i].type == t && a->recs.v[i].case_index == case_index)
			return &a->recs.v[i];
	return NULL;
}
