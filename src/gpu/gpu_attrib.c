/*
 * gpu_attrib.c - which call each activity record belongs to (gpu_attrib.h).
 *
 * Attribution (record.h conventions): the callback for an API call runs on
 * the calling thread at its entry, so it knows whether the implementation's
 * entry point was running on that very thread (in_call = 1) or not (another
 * thread, or after the entry returned: in_call = 0, the most recent call).
 * Activity records (kernels, copies, events...) carry the correlation ID of
 * the API call that caused them and inherit its tag.  An ID with no tag
 * (CUPTI's internal launches, or a tag already pruned) goes to the most
 * recent call with in_call = 0: the conservative reading.
 *
 * The harness's own CUDA calls (helpers, the timing events, its
 * synchronisation) are bracketed by attrib_harness_begin/end and never
 * emitted, except the CUDA_EVENT records of the start/stop events of a
 * timed window, which are emitted with impl "harness" and role
 * "start"/"stop".
 *
 * No CUPTI or CUDA header here: this file is compiled into the host unit
 * test as well (tests/unit/test_attribution.c).
 */
#include <stdlib.h>
#include <string.h>

#include "gpu/gpu_attrib.h"

#define TAG_CAP0 (1u << 12)

struct attrib *attrib_new(void)
{
	struct attrib *a = xcalloc(1, sizeof *a);
	a->tag_cap = TAG_CAP0;
	a->tags = xcalloc(a->tag_cap, sizeof *a->tags);
	a->fifo = xcalloc(a->tag_cap, sizeof *a->fifo);
	a->cur.call = a->cur.case_index = REC_NONE;
	a->cur.stream = a->cur.event = REC_NONE;
	return a;
}

void attrib_free(struct attrib *a)
{
	if (!a)
		return;
	free(a->tags);
	free(a->fifo);
	free(a);
}

/* ---- correlation tags ----------------------------------------------------- */

static size_t tag_slot(uint32_t corr, size_t cap)
{
	return (size_t)((corr * 2654435761u) & (cap - 1));
}

/* Inserts into a table known to have room. */
static struct attrib_tag *tag_put(struct attrib_tag *tags, size_t cap, const struct attrib_tag *t)
{
	size_t i = tag_slot(t->corr, cap);
	while (tags[i].corr && tags[i].corr != t->corr)
		i = (i + 1) & (cap - 1);
	tags[i] = *t;
	return &tags[i];
}

static struct attrib_tag *tag_find(const struct attrib *a, uint32_t corr)
{
	if (!corr || !a->tags)
		return NULL;
	size_t i = tag_slot(corr, a->tag_cap);
	while (a->tags[i].corr) {
		if (a->tags[i].corr == corr)
			return &a->tags[i];
		i = (i + 1) & (a->tag_cap - 1);
	}
	return NULL;
}

/* The live IDs in insertion order, oldest first. */
static uint32_t fifo_at(const struct attrib *a, size_t k)
{
	return a->fifo[(a->fifo_head + k) & (a->tag_cap - 1)];
}

/* Doubles the table (and the FIFO): amortised growth, never per drain. */
static void tag_grow(struct attrib *a)
{
	size_t cap = a->tag_cap * 2;
	struct attrib_tag *nt = xcalloc(cap, sizeof *nt);
	uint32_t *nf = xcalloc(cap, sizeof *nf);
	for (size_t k = 0; k < a->tag_n; k++) {
		uint32_t corr = fifo_at(a, k);
		tag_put(nt, cap, tag_find(a, corr));
		nf[k] = corr;
	}
	free(a->tags);
	free(a->fifo);
	a->tags = nt;
	a->fifo = nf;
	a->fifo_head = 0;
	a->tag_cap = cap;
}

/* Removes CORR by backward-shift deletion (linear probing stays valid
 * without tombstones). */
static void tag_del(struct attrib *a, uint32_t corr)
{
	struct attrib_tag *t = tag_find(a, corr);
	if (!t)
		return;
	size_t mask = a->tag_cap - 1, i = (size_t)(t - a->tags), j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (!a->tags[j].corr)
			break;
		size_t k = tag_slot(a->tags[j].corr, a->tag_cap);
		/* The entry at j may move to the hole at i unless its home k
		 * lies cyclically in (i, j]. */
		int stays = i <= j ? (k > i && k <= j) : (k > i || k <= j);
		if (!stays) {
			a->tags[i] = a->tags[j];
			i = j;
		}
	}
	a->tags[i].corr = 0;
	a->tag_n--;
}

/* Forgets the tags inserted before any ID >= KEEP_FROM that are older than
 * it: only the front of the FIFO is visited. */
static void tag_prune(struct attrib *a, uint32_t keep_from)
{
	while (a->tag_n && fifo_at(a, 0) < keep_from) {
		tag_del(a, fifo_at(a, 0));
		a->fifo_head = (a->fifo_head + 1) & (a->tag_cap - 1);
	}
}

/* Adds T; past the ceiling the tag is lost and counted. */
static struct attrib_tag *tag_add(struct attrib *a, const struct attrib_tag *t)
{
	struct attrib_tag *slot = tag_find(a, t->corr);
	if (slot) {
		*slot = *t;
		return slot;
	}
	if ((a->tag_n + 1) * 2 > a->tag_cap) {
		if (a->tag_cap * 2 > ATTRIB_MAX_TAGS) {
			a->dropped_cap++;
			return NULL;
		}
		tag_grow(a);
	}
	a->fifo[(a->fifo_head + a->tag_n) & (a->tag_cap - 1)] = t->corr;
	a->tag_n++;
	if (t->corr > a->max_corr)
		a->max_corr = t->corr;
	return tag_put(a->tags, a->tag_cap, t);
}

uint64_t attrib_take_dropped(struct attrib *a)
{
	uint64_t n = a->dropped_cap;
	a->dropped_cap = 0;
	return n;
}

/* ---- brackets and API callbacks ------------------------------------------ */

void attrib_harness_begin(struct attrib *a, int64_t tid, int64_t now, enum attrib_role role)
{
	a->harness_active = 1;
	a->harness_tid = tid;
	if (a->nharness_iv == ATTRIB_MAX_INTERVALS) /* widen the last one: still harness time */
		a->nharness_iv--;
	a->harness_iv[a->nharness_iv].t0 = now;
	a->harness_iv[a->nharness_iv].t1 = INT64_MAX;
	a->nharness_iv++;
	a->harness_role = (uint8_t)role;
}

void attrib_harness_end(struct attrib *a, int64_t now)
{
	a->harness_active = 0;
	if (a->nharness_iv)
		a->harness_iv[a->nharness_iv - 1].t1 = now;
	a->harness_role = ATTRIB_NO_ROLE;
}

void attrib_begin_call(struct attrib *a, const struct invoke_opts *o)
{
	a->have_call = 1;
	a->cur.impl = o->impl;
	a->cur.call = o->call;
	a->cur.case_index = o->case_index;
	a->cur.phase = o->phase;
}

void attrib_entry_enter(struct attrib *a, int64_t tid, int64_t now)
{
	a->entry_running = 1;
	a->entry_tid = tid;
	a->entry_iv.t0 = now;
	a->entry_iv.t1 = INT64_MAX;
}

void attrib_entry_exit(struct attrib *a, int64_t now)
{
	a->entry_running = 0;
	a->entry_iv.t1 = now;
}

void attrib_api_enter(struct attrib *a, uint32_t corr, int64_t tid, int64_t stream,
		      int64_t event, int launch)
{
	struct attrib_tag t = { .corr = corr, .stream = stream, .event = event,
				.call = REC_NONE, .case_index = REC_NONE,
				.launch = (uint8_t)(launch != 0) };
	if (!corr)
		return;
	if (a->harness_active && tid == a->harness_tid) {
		t.harness = 1;
		t.role = a->harness_role;
		t.impl = IMPL_HARNESS;
	}
	if (a->have_call) {
		if (!t.harness)
			t.impl = a->cur.impl;
		t.call = a->cur.call;
		t.case_index = a->cur.case_index;
		t.phase = a->cur.phase;
	}
	t.in_call = !t.harness && a->entry_running && tid == a->entry_tid;
	tag_add(a, &t);
}

void attrib_api_exit(struct attrib *a, uint32_t corr, int64_t created_stream)
{
	struct attrib_tag *t = created_stream != REC_NONE ? tag_find(a, corr) : NULL;
	if (t)
		t->stream = created_stream;
}

int attrib_is_harness(const struct attrib *a, uint32_t corr, const struct record *r)
{
	const struct attrib_tag *t = tag_find(a, corr);
	return t && t->harness && !(t->role && r->type == REC_EVENT);
}

int attrib_incomplete(const struct record *r)
{
	switch (r->type) {
	case REC_KERNEL:
		return r->u.kernel.start == REC_NONE || r->u.kernel.end == REC_NONE;
	case REC_MEMCPY:
		return r->u.memcpy.start == REC_NONE || r->u.memcpy.end == REC_NONE;
	case REC_MEMSET:
		return r->u.memset.start == REC_NONE || r->u.memset.end == REC_NONE;
	default:
		return 0;
	}
}

/* ---- drain ------------------------------------------------------------------ */

static void set_call(struct record *r, const struct attrib_tag *t)
{
	r->impl = t->impl;
	r->call = t->call;
	r->case_index = t->case_index;
	r->phase = t->phase;
}

void attrib_current(const struct attrib *a, struct record *r)
{
	if (a->have_call)
		set_call(r, &a->cur);
}

/* Gives R the call its correlation ID belongs to; fills API arguments. */
static void attribute(struct record *r, const struct attrib_tag *t, const struct attrib *a)
{
	if (t)
		set_call(r, t);
	else
		attrib_current(a, r);
	switch (r->type) {
	case REC_API:
		r->u.api.in_call = t ? t->in_call : 0;
		r->u.api.stream = t ? t->stream : REC_NONE;
		r->u.api.event = t ? t->event : REC_NONE;
		break;
	case REC_EVENT:
		if (t && t->event != REC_NONE)
			r->u.event.event = t->event;
		if (t && t->role)
			r->u.event.role = xstrdup(t->role == ATTRIB_ROLE_START ? "start" : "stop");
		break;
	default:
		break;
	}
}

/* Adds R's GPU activity to the call's totals when it belongs to CUR. */
static void account(const struct record *r, const struct attrib_tag *cur,
		    struct invoke_result *res)
{
	int64_t start, end, bytes = 0;
	if (r->call != cur->call || r->impl != cur->impl || r->case_index != cur->case_index)
		return;
	switch (r->type) {
	case REC_KERNEL:
		start = r->u.kernel.start;
		end = r->u.kernel.end;
		res->kernels++;
		if (start != REC_NONE && end != REC_NONE)
			res->kernel_ns += (double)(end - start);
		break;
	case REC_MEMCPY:
		start = r->u.memcpy.start;
		end = r->u.memcpy.end;
		bytes = r->u.memcpy.bytes;
		break;
	case REC_MEMSET:
		start = r->u.memset.start;
		end = r->u.memset.end;
		bytes = r->u.memset.bytes;
		break;
	default:
		return;
	}
	res->bytes += bytes;
	if (start != REC_NONE && (res->span_start == REC_NONE || start < res->span_start))
		res->span_start = start;
	if (end != REC_NONE && (res->span_end == REC_NONE || end > res->span_end))
		res->span_end = end;
}

static int in_interval(const struct attrib_interval *iv, int64_t t)
{
	return t != REC_NONE && iv->t0 != REC_NONE && t >= iv->t0 && t <= iv->t1;
}

/* API records that no callback saw (CUPTI's INTERNAL_LAUNCH_API) are
 * tagged by when and where they ran: on the harness thread inside a
 * harness bracket -> harness; on the entry's thread while it ran -> the
 * current call, in_call = 1.  Their kernels share the correlation ID and
 * follow.  Anything else keeps no tag: most recent call, in_call = 0. */
static void tag_untagged(struct attrib *a, const struct attrib_pending *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct record *r = &p[i].rec;
		if (r->type != REC_API || !p[i].corr || tag_find(a, p[i].corr))
			continue;
		struct attrib_tag t = { .corr = p[i].corr, .stream = REC_NONE, .event = REC_NONE,
					.call = REC_NONE, .case_index = REC_NONE };
		int harness = 0;
		if (r->u.api.thread == a->harness_tid)
			for (size_t k = 0; k < a->nharness_iv && !harness; k++)
				harness = in_interval(&a->harness_iv[k], r->u.api.start);
		if (harness) {
			t.harness = 1;
			t.impl = IMPL_HARNESS;
		} else if (a->have_call && r->u.api.thread == a->entry_tid &&
			   in_interval(&a->entry_iv, r->u.api.start)) {
			t.impl = a->cur.impl;
			t.call = a->cur.call;
			t.case_index = a->cur.case_index;
			t.phase = a->cur.phase;
			t.in_call = 1;
		} else {
			continue;
		}
		tag_add(a, &t);
	}
}

static void evmap_put(struct attrib *a, uint32_t id, int64_t handle)
{
	for (size_t i = 0; i < a->nevmap; i++)
		if (a->evmap[i].id == id) {
			a->evmap[i].handle = handle;
			return;
		}
	size_t slot = a->nevmap < ATTRIB_MAX_EVMAP ? a->nevmap++
						   : a->evmap_next++ % ATTRIB_MAX_EVMAP;
	a->evmap[slot].id = id;
	a->evmap[slot].handle = handle;
}

static int64_t evmap_get(const struct attrib *a, int64_t id)
{
	for (size_t i = 0; i < a->nevmap; i++)
		if ((int64_t)a->evmap[i].id == id)
			return a->evmap[i].handle;
	return REC_NONE;
}

/* Learns CUPTI event ID -> handle from the CUDA_EVENT records of this
 * drain (before any is used: records of different streams arrive in any
 * order) whose cudaEventRecord call was seen, so sync records (which carry
 * only CUPTI's ID) name events the way api and event records do. */
static void learn_events(struct attrib *a, const struct attrib_pending *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct record *r = &p[i].rec;
		if (r->type != REC_EVENT || r->u.event.event == REC_NONE)
			continue;
		const struct attrib_tag *t = tag_find(a, p[i].corr);
		if (t && t->event != REC_NONE)
			evmap_put(a, (uint32_t)r->u.event.event, t->event);
	}
}

void attrib_drain(struct attrib *a, struct attrib_pending *p, size_t n, int64_t now,
		  struct invoke_result *res)
{
	struct attrib_tag cur = a->cur;
	tag_untagged(a, p, n);
	learn_events(a, p, n);
	for (size_t i = 0; i < n; i++) {
		struct record *r = &p[i].rec;
		const struct attrib_tag *t = tag_find(a, p[i].corr);
		p[i].emit = 1;
		p[i].module_load = 0;
		if (t && t->harness && !(r->type == REC_EVENT && t->role)) {
			p[i].emit = 0; /* harness work: not emitted */
			continue;
		}
		int64_t h;
		if (r->type == REC_SYNC && r->u.sync.event != REC_NONE &&
		    (h = evmap_get(a, r->u.sync.event)) != REC_NONE)
			r->u.sync.event = h;
		if (r->type == REC_EVENT && !(t && t->event != REC_NONE) &&
		    r->u.event.event != REC_NONE && (h = evmap_get(a, r->u.event.event)) != REC_NONE)
			r->u.event.event = h;
		attribute(r, t, a);
		/* A copy or fill that a kernel launch caused is the driver loading
		 * the launched module (CUDA_MODULE_LOADING=LAZY, the default since
		 * CUDA 12.2), on a stream of the driver's: not the implementation's
		 * work, which a launch call cannot enqueue as a copy.  It stays in
		 * the trace, as the harness's (tests/gpu/FACTS.md, Q9). */
		if (t && t->launch && (r->type == REC_MEMCPY || r->type == REC_MEMSET)) {
			p[i].module_load = 1;
			r->impl = IMPL_HARNESS;
			continue;
		}
		/* The window is the current call's (a late event of an earlier
		 * call must not move it). */
		if (t && t->harness && t->call == cur.call && t->case_index == cur.case_index) {
			if (t->role == ATTRIB_ROLE_START && r->u.event.ts != REC_NONE)
				res->window_start = r->u.event.ts;
			if (t->role == ATTRIB_ROLE_STOP && r->u.event.ts != REC_NONE)
				res->window_end = r->u.event.ts;
		}
		account(r, &cur, res);
	}
	/* A window is on one clock: with only one of the two device stamps,
	 * the caller brackets the whole window with the host clock. */
	if ((res->window_start == REC_NONE) != (res->window_end == REC_NONE))
		res->window_start = res->window_end = REC_NONE;
	if (res->window_start != REC_NONE)
		res->window_clock = WINDOW_CLOCK_DEVICE;
	/* Tags older than the previous drain have had a full sync + flush to
	 * bring their activity back; what still comes for them is attributed
	 * to the most recent call, in_call = 0. */
	uint32_t keep = a->keep_from;
	a->keep_from = a->max_corr;
	if (keep)
		tag_prune(a, keep);
	a->nharness_iv = 0;
	if (a->harness_active) { /* keep the open bracket */
		a->harness_iv[0].t0 = now;
		a->harness_iv[0].t1 = INT64_MAX;
		a->nharness_iv = 1;
	}
}

static int cmp_keyed(const void *pa, const void *pb)
{
	const int64_t *x = pa, *y = pb;
	if (x[0] != y[0])
		return (x[0] > y[0]) - (x[0] < y[0]);
	return (x[1] > y[1]) - (x[1] < y[1]);
}

/* The stream and correlation ID of GPU work (stream REC_NONE otherwise). */
static int64_t work_stream(const struct record *r, int64_t *corr)
{
	switch (r->type) {
	case REC_KERNEL: *corr = r->u.kernel.corr; return r->u.kernel.stream;
	case REC_MEMCPY: *corr = r->u.memcpy.corr; return r->u.memcpy.stream;
	case REC_MEMSET: *corr = r->u.memset.corr; return r->u.memset.stream;
	default: *corr = REC_NONE; return REC_NONE;
	}
}

/* CUDA 13's __cudaLaunchKernel has no public parameter struct, and
 * synchronous copies name no stream: such an api record takes the stream
 * of its correlated GPU work (CUPTI's stream ID, the id space of kernel
 * records), module-load copies left out. */
void attrib_backfill_streams(struct attrib_pending *p, size_t n)
{
	int64_t (*w)[2] = xmalloc((n ? n : 1) * sizeof *w);
	size_t nw = 0;
	for (size_t i = 0; i < n; i++) {
		int64_t corr, st = work_stream(&p[i].rec, &corr);
		if (p[i].module_load || !p[i].emit)
			continue;
		if (st != REC_NONE && corr != REC_NONE && corr != 0) {
			w[nw][0] = corr;
			w[nw][1] = st;
			nw++;
		}
	}
	xsort(w, nw, sizeof *w, cmp_keyed);
	for (size_t i = 0; i < n && nw; i++) {
		struct record *r = &p[i].rec;
		int64_t corr = r->type == REC_API ? r->u.api.corr : REC_NONE;
		if (r->type != REC_API || r->u.api.stream != REC_NONE || corr == REC_NONE || !corr)
			continue;
		size_t lo = 0, hi = nw;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (w[mid][0] < corr)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == nw || w[lo][0] != corr)
			continue;
		size_t end = lo;
		while (end < nw && w[end][0] == w[lo][0])
			end++;
		if (w[end - 1][1] == w[lo][1]) /* sorted: first == last means one stream */
			r->u.api.stream = w[lo][1];
	}
	free(w);
}
