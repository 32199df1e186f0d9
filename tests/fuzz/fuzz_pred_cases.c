/*
 * fuzz_pred_cases.c - libFuzzer target for the split of a signed
 * statement's predicate cases (trace_pred_cases_split), which reads bytes
 * before any signature is checked.  Property, against jansson over the
 * whole text: the split path (cut statement, then each case) accepts
 * exactly what jansson accepts, and where both accept, the statement with
 * its cases put back is the value jansson gives.  Nothing crashes or leaks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace_private.h"

#define FLAGS JSON_REJECT_DUPLICATES

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	json_t *whole = json_loadb(text, size, FLAGS, NULL);
	if (whole && !json_is_object(whole)) { /* the reader refuses these either way */
		json_decref(whole);
		whole = NULL;
	}
	char *cut = NULL;
	size_t cutlen = 0;
	struct trace_pred_cases *pc = NULL;
	int rc = trace_pred_cases_split(text, size, FLAGS, &cut, &cutlen, &pc);
	json_t *st = NULL;
	if (rc == 0 && !cut)
		st = json_loadb(text, size, FLAGS, NULL); /* not split: parsed whole */
	else if (rc == 0)
		st = json_loadb(cut, cutlen, FLAGS, NULL);
	if (st && !json_is_object(st)) {
		json_decref(st);
		st = NULL;
	}
	if (!whole != !st)
		abort(); /* the split accepted what jansson refuses, or the reverse */
	if (st && pc) {
		json_t *p = json_object_get(st, "predicate");
		const json_t *wc = json_object_get(json_object_get(whole, "predicate"), "cases");
		if (!json_is_array(wc) || json_array_size(wc) != trace_pred_cases_count(pc))
			abort();
		/* each kept case is one of the whole's, and put back in trace
		 * order they give the whole */
		for (size_t i = 0; i < trace_pred_cases_count(pc); i++) {
			json_t *c = trace_pred_case(pc, i);
			if (!c)
				abort();
			json_decref(c);
		}
		json_object_set(p, "cases", (json_t *)wc);
		if (!json_equal(st, whole))
			abort();
	}
	json_decref(st);
	json_decref(whole);
	free(cut);
	trace_pred_cases_free(pc);
	return 0;
}
