/*
 * deferred.c - deferred-launch: an implementation enqueued GPU work after
 * its entry returned, or from a thread other than the one kaudit called it
 * on.  Such work escapes the call it belongs to: it can run inside the next
 * call's timed window, or outside every window.
 *
 * The entry thread of a case is the thread most of its in-call api records
 * were issued from (the worker marks api records from other threads
 * in_call = 0, so this is the harness's calling thread).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect_private.h"

/* Whether api NAME enqueues GPU work: kernel and graph launches, host
 * callbacks (cudaLaunchHostFunc), memcpy and memset in any variant. */
static int is_launch(const char *name)
{
	if (!name)
		return 0;
	if (strstr(name, "Launch"))
		return 1;
	char low[128];
	size_t i = 0;
	for (; name[i] && i + 1 < sizeof low; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[i] = '\0';
	return strstr(low, "memcpy") || strstr(low, "memset");
}

static int64_t entry_thread(const struct detect_case *c)
{
	int64_t *v = xmalloc((c->n ? c->n : 1) * sizeof *v);
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct record *r = c->recs[i];
		if (r->type == REC_API && r->u.api.in_call != 0 && r->u.api.thread != REC_NONE)
			v[n++] = r->u.api.thread;
	}
	int64_t best = detect_mode_i64(v, n);
	free(v);
	return best;
}

struct deferral {
	const struct record *first;
	int64_t after_return, other_thread;
	struct detect_ids ids;
};

void detect_deferred_launch(const struct detect_index *ix, struct record_list *out)
{
	for (size_t ci = 0; ci < ix->ncases; ci++) {
		const struct detect_case *c = &ix->cases[ci];
		int64_t thread = entry_thread(c);
		struct deferral d[IMPL_HARNESS + 1];
		memset(d, 0, sizeof d);
		for (size_t i = 0; i < c->n; i++) {
			const struct record *r = c->recs[i];
			if (r->type != REC_API ||
			    (r->impl != IMPL_BASELINE && r->impl != IMPL_CANDIDATE) ||
			    !is_launch(r->u.api.name))
				continue;
			int late = r->u.api.in_call == 0;
			int foreign = thread != REC_NONE && r->u.api.thread != REC_NONE &&
				      r->u.api.thread != thread;
			if (!late && !foreign)
				continue;
			struct deferral *x = &d[r->impl];
			if (!x->first) {
				x->first = r;
				detect_ids_init(&x->ids);
			}
			x->after_return += late;
			x->other_thread += foreign;
			detect_ids_add(&x->ids, r);
		}
		for (int impl = IMPL_BASELINE; impl <= IMPL_CANDIDATE; impl++) {
			struct deferral *x = &d[impl];
			if (!x->first)
				continue;
			const struct rec_api *a = &x->first->u.api;
			json_t *ev = json_object();
			json_object_set_new(ev, "api", json_string(a->name));
			json_object_set_new(ev, "launches", json_integer(x->ids.total));
			json_object_set_new(ev, "after_return", json_integer(x->after_return));
			json_object_set_new(ev, "other_thread", json_integer(x->other_thread));
			if (a->thread != REC_NONE)
				json_object_set_new(ev, "thread", json_integer(a->thread));
			if (thread != REC_NONE)
				json_object_set_new(ev, "entry_thread", json_integer(thread));
			detect_ids_into(&x->ids, ev);
			detect_emit(out, c->case_index, (enum record_impl)impl, "deferred-launch",
				    x->first->call, REC_NONE, REC_NONE, ev,
				    "%s: %s %s (call %lld; %lld launch%s after return, %lld "
				    "from another thread)",
				    record_impl_name((enum record_impl)impl), a->name,
				    a->in_call == 0 ? "issued after the entry returned"
						    : "issued from another thread",
				    (long long)x->first->call, (long long)x->after_return,
				    x->after_return == 1 ? "" : "es", (long long)x->other_thread);
		}
	}
}
