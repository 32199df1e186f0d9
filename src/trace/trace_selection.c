/*
 * trace_selection.c - which of a claim's cases an audit ran: the header's
 * "selection" {cases, kernel?, shard? {index, count}} (kaudit-trace(5)).
 *
 * verify writes it from the manifest it loaded; check holds every case
 * record of the trace against it (a case outside it, or a case of the
 * shard that is absent, is a stored conclusion the records contradict);
 * summary reads it to know how many cases a claim has and which shard a
 * trace is.  The shard rule is fixed by the case index alone, so every
 * machine that loads the same manifest cuts it the same way.
 */
#include "trace/trace.h"

#include <string.h>

/* Reads integer KEY of O into *OUT, within [LO, HI]. */
static int get_int(const json_t *o, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
	const json_t *v = json_object_get(o, key);
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return -1;
	*out = json_integer_value(v);
	return 0;
}

int trace_selection_of(const struct rec_header *h, struct trace_selection *out,
		       struct errbuf *e)
{
	memset(out, 0, sizeof *out);
	out->shard_count = 1;
	const json_t *s = h ? h->selection : NULL;
	if (!s)
		return 0; /* a trace older than the field */
	if (!json_is_object(s))
		return errbuf_set(e, EXIT_BAD_INPUT, "the header's selection is not an object");
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)s, k, v)
		if (strcmp(k, "cases") != 0 && strcmp(k, "kernel") != 0 && strcmp(k, "shard") != 0)
			return errbuf_set(e, EXIT_BAD_INPUT, "the header's selection has an "
					  "unknown key '%.64s'", k);
	if (get_int(s, "cases", 0, TRACE_SELECTION_MAX_CASES, &out->cases) < 0)
		return errbuf_set(e, EXIT_BAD_INPUT, "the header's selection.cases is not a "
				  "case count");
	const json_t *kern = json_object_get(s, "kernel");
	if (kern && !json_is_string(kern))
		return errbuf_set(e, EXIT_BAD_INPUT, "the header's selection.kernel is not a string");
	out->kernel = json_string_value(kern);
	const json_t *sh = json_object_get(s, "shard");
	if (sh) {
		if (!json_is_object(sh) || json_object_size(sh) != 2 ||
		    get_int(sh, "count", 1, TRACE_SHARD_MAX, &out->shard_count) < 0 ||
		    get_int(sh, "index", 0, out->shard_count - 1, &out->shard_index) < 0)
			return errbuf_set(e, EXIT_BAD_INPUT, "the header's selection.shard is not "
					  "{index, count} with 0 <= index < count <= %d",
					  TRACE_SHARD_MAX);
		out->sharded = 1;
	}
	out->present = 1;
	return 0;
}

int trace_selection_in_shard(const struct trace_selection *s, int64_t case_index)
{
	return case_index >= 0 && case_index % s->shard_count == s->shard_index;
}

int trace_selection_has(const struct trace_selection *s, int64_t case_index, const char *kernel)
{
	if (!s->present)
		return 1;
	if (case_index < 0 || case_index >= s->cases || !trace_selection_in_shard(s, case_index))
		return 0;
	return !s->kernel || (kernel && strcmp(kernel, s->kernel) == 0);
}

json_t *trace_selection_json(int64_t cases, const char *kernel, int64_t index, int64_t count)
{
	json_t *s = json_pack("{s:I}", "cases", (json_int_t)cases);
	if (kernel)
		json_object_set_new(s, "kernel", json_string(kernel));
	if (count > 0)
		json_object_set_new(s, "shard", json_pack("{s:I, s:I}", "index", (json_int_t)index,
							  "count", (json_int_t)count));
	return s;
}
