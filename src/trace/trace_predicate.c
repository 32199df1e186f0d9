/*
 * trace_predicate.c - the urn:kaudit:audit:v1 predicate: what a signed
 * trace shows, in a form other tools can read without parsing the trace
 * (claim digest, verdict per case, margin, device, times, tool version).
 * `check` rebuilds it from the verdicts it derives and compares it with the
 * signed one, so every key here must follow from the records (end_time, the
 * moment of signing, is the one exception).
 */
#include "trace/trace.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* What a reader of the predicate needs of the header's sources (or
 * binaries): which file, for which kernel and side, with which sha256;
 * never the text. */
static json_t *source_digests(const json_t *list, int with_path)
{
	json_t *out = json_array();
	size_t i;
	const json_t *s;
	json_array_foreach(list, i, s) {
		json_t *o = json_object();
		static const char *const keys[] = { "impl", "kernel", "path", "kind", "sha256" };
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
			if (!with_path && strcmp(keys[k], "path") == 0)
				continue;
			const json_t *v = json_object_get(s, keys[k]);
			if (json_is_string(v))
				json_object_set(o, keys[k], (json_t *)v);
		}
		json_array_append_new(out, o);
	}
	return out;
}

json_t *trace_predicate_case(int64_t case_index, const char *kernel, const char *verdict,
			     double claimed, double measured)
{
	json_t *c = json_object();
	json_object_set_new(c, "case", json_integer(case_index));
	record_json_put_str(c, "kernel", kernel);
	record_json_put_str(c, "verdict", verdict);
	record_json_put_real(c, "claimed", claimed);
	record_json_put_real(c, "measured", measured);
	return c;
}

json_t *trace_predicate_of(const struct rec_header *h, const struct rec_device *d,
			   const struct record *const *v, size_t n)
{
	json_t *p = json_object();
	json_t *cases = json_array();
	const char *claim_verdict = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct record *r = v[i];
		if (r->type != REC_VERDICT)
			continue;
		if (r->case_index == REC_NONE) {
			claim_verdict = r->u.verdict.verdict;
			continue;
		}
		json_array_append_new(cases, trace_predicate_case(r->case_index, r->u.verdict.kernel,
								  r->u.verdict.verdict,
								  r->u.verdict.claimed,
								  r->u.verdict.measured));
	}
	json_object_set_new(p, "claim_sha256",
			    h && h->manifest_sha256 ? json_string(h->manifest_sha256) : json_null());
	record_json_put_str(p, "verdict", claim_verdict);
	if (h)
		record_json_put_real(p, "margin", h->margin);
	if (h && h->selection) /* which cases, which shard: summary's coverage */
		json_object_set(p, "selection", h->selection);
	json_object_set_new(p, "cases", cases);
	json_object_set_new(p, "sources", source_digests(h ? h->sources : NULL, 1));
	json_object_set_new(p, "binaries", source_digests(h ? h->binaries : NULL, 0));
	json_t *dev = json_object();
	if (d) {
		record_json_put_str(dev, "name", d->name);
		record_json_put_str(dev, "uuid", d->uuid);
	}
	json_object_set_new(p, "device", dev);
	record_json_put_str(p, "start_time", h ? h->time : NULL);
	char now[32];
	utc_now(now);
	json_object_set_new(p, "end_time", json_string(now));
	json_object_set_new(p, "kaudit_version",
			    json_string(h && h->tool ? h->tool : KAUDIT_VERSION));
	if (h && h->synthetic == 1)
		json_object_set_new(p, "synthetic", json_true());
	return p;
}

json_t *trace_predicate(const struct record *recs, size_t n)
{
	const struct rec_header *h = NULL;
	const struct rec_device *d = NULL;
	const struct record **v = xmalloc((n ? n : 1) * sizeof *v);
	size_t nv = 0;
	for (size_t i = 0; i < n; i++) {
		const struct record *r = &recs[i];
		if (r->type == REC_HEADER && !h)
			h = &r->u.header;
		else if (r->type == REC_DEVICE && !d)
			d = &r->u.device;
		else if (r->type == REC_VERDICT)
			v[nv++] = r;
	}
	json_t *p = trace_predicate_of(h, d, v, nv);
	free(v);
	return p;
}
