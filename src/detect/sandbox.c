/*
 * sandbox.c - sandbox-degraded: a process that ran claimant code (or the
 * compiler) was confined by less than DESIGN section 10 promises, because
 * the kernel refused a layer (no Landlock under gVisor, seccomp disabled,
 * an old kernel).  What that code could then do - read beyond the claim's
 * tree, signal or trace the supervisor - is no longer ruled out by the
 * trace, so a reader must be told.
 */
#include <stdio.h>
#include <string.h>

#include "detect/detect_private.h"

/* The layers a sandbox record states, in the order sandbox.h applies them. */
static const struct {
	const char *name;
	size_t offset;
} layers[] = {
	{ "no_new_privs", offsetof(struct rec_sandbox, no_new_privs) },
	{ "seccomp", offsetof(struct rec_sandbox, seccomp) },
	{ "landlock", offsetof(struct rec_sandbox, landlock) },
};
#define NLAYERS (sizeof layers / sizeof layers[0])

/* Only an explicit true is in force: false and absent are both refused,
 * so nothing passes for confined without saying so. */
static int layer_on(const struct rec_sandbox *s, size_t l)
{
	return *(const int *)((const char *)s + layers[l].offset) == 1;
}

/* The record's reason for refusing LAYER, NULL if it gives none. */
static const char *why_of(const struct rec_sandbox *s, const char *layer)
{
	size_t i;
	json_t *e;
	if (!json_is_array(s->refused))
		return NULL;
	json_array_foreach(s->refused, i, e) {
		const char *l = json_string_value(json_object_get(e, "layer"));
		const char *w = json_string_value(json_object_get(e, "why"));
		if (l && w && strcmp(l, layer) == 0)
			return w;
	}
	return NULL;
}

/* Appends {process, layer, why} to REFUSED unless an equal entry is there:
 * every worker of a case reports the same refusal. */
static void add_refusal(json_t *refused, const char *process, const char *layer,
			const char *why)
{
	size_t i;
	json_t *e;
	json_t *n = json_pack("{s:s, s:s}", "process", process, "layer", layer);
	if (why)
		json_object_set_new(n, "why", json_string(why));
	json_array_foreach(refused, i, e)
		if (json_equal(e, n)) {
			json_decref(n);
			return;
		}
	if (json_array_size(refused) < DETECT_MAX_EVIDENCE_IDS)
		json_array_append_new(refused, n);
	else
		json_decref(n);
}

/* Appends ", NAME" (or "NAME" first) to BUF unless NAME is already in it
 * as a whole item; truncation only shortens the message. */
static void list_add(char *buf, size_t size, const char *name)
{
	if (!*name)
		name = "?"; /* a forged empty name must not stall the search below */
	size_t n = strlen(name), len = strlen(buf);
	for (const char *p = buf; (p = strstr(p, name)); p += n)
		if ((p == buf || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
			return;
	snprintf(buf + len, size - len, "%s%s", len ? ", " : "", name);
}

/* One finding for the sandbox records of one scope (a case, or the audit). */
static void scope(const struct record *const *recs, size_t n, int64_t case_index,
		  struct record_list *out)
{
	struct detect_ids ids;
	json_t *refused = NULL;
	char which[64] = "", procs[128] = "";
	detect_ids_init(&ids);
	for (size_t i = 0; i < n; i++) {
		if (recs[i]->type != REC_SANDBOX)
			continue;
		const struct rec_sandbox *s = &recs[i]->u.sandbox;
		const char *process = s->process ? s->process : "?";
		int degraded = 0;
		for (size_t l = 0; l < NLAYERS; l++) {
			if (layer_on(s, l))
				continue;
			if (!refused)
				refused = json_array();
			add_refusal(refused, process, layers[l].name, why_of(s, layers[l].name));
			list_add(which, sizeof which, layers[l].name);
			degraded = 1;
		}
		if (degraded) {
			list_add(procs, sizeof procs, process);
			detect_ids_add(&ids, recs[i]);
		}
	}
	if (!refused) {
		json_decref(ids.ids);
		return;
	}
	json_t *ev = json_object();
	json_object_set_new(ev, "refused", refused);
	detect_ids_into(&ids, ev);
	detect_emit(out, case_index, IMPL_NONE, "sandbox-degraded", REC_NONE, REC_NONE,
		    REC_NONE, ev, "the kernel refused sandbox layer(s) %s for %s: the trace "
		    "cannot rule out what that confinement prevents", which, procs);
}

void detect_sandbox(const struct detect_index *ix, struct record_list *out)
{
	scope((const struct record *const *)ix->global, ix->nglobal, REC_NONE, out);
	for (size_t ci = 0; ci < ix->ncases; ci++)
		scope(ix->cases[ci].recs, ix->cases[ci].n, ix->cases[ci].case_index, out);
}
