/*
 * export_perfetto.c - the records of a trace as Chrome trace-event JSON
 * (export_perfetto.h; what the file shows is in kaudit(1), export).
 *
 * Processes and tracks (pid/tid are small numbers given here, all tids
 * distinct from each other and from every pid; names carry the real ids):
 *
 *   "kaudit: phases, timed windows, findings"
 *       case K KERNEL: phases        setup/correctness/timing slices
 *       case K IMPL: timed windows   one slice per sample, start->stop event
 *       case K IMPL: GPU span        the call's GPU work, any stream
 *       case K: findings             one instant per finding
 *   "GPU D: NAME"                    one track per stream, "stream N"
 *   "case K KERNEL: host"            one track per OS thread, "host thread T",
 *                                    its api calls as slices; synchronizations
 *
 * A kernel, memcpy or memset record whose correlation id matches an api
 * record of the same case (ids restart in every worker) gets a flow arrow
 * from the api slice to its own (flow events v2: bind_id on both slices);
 * a CUDA event names its api record in its args.  A finding is drawn at
 * the earliest timestamp of the records its evidence names, else where
 * their call, its sample, call or trial began, else where its case began.
 * Slices that would overlap partially on a track (Perfetto drops such a
 * slice) go to a lane of their own, "NAME [overlap 2]".
 *
 * Passes: index the records (cases, calls, tracks: one hash table keyed by
 * (tag, a, b)), sort the slices once to give them lanes, then emit in
 * record order (linking api records by correlation id within each case)
 * and the per-case phases.  Everything is linear in the records but that
 * sort.  Streamed (export_perfetto_stream), two passes over the file, one
 * case's records at a time.  Pass 1 indexes what spans cases: the devices,
 * the GPU streams' tracks and their lanes (given case by case: a lane
 * keeps only its open slices), each case's findings track, and what the
 * findings will look up (the records, calls, samples and trials they
 * name).  Pass 2 indexes a case's own tracks when its records arrive,
 * gives them lanes and ids, names them, draws the case, answers the
 * findings' lookups and forgets the case.  What stays for the whole trace
 * is the streams, the devices, and per finding a few words; memory
 * follows the largest case and the findings, not the trace (make bench).
 * Process ids are odd and thread ids even there, so a case's can be
 * given as it comes; Perfetto orders tracks by their sort indices.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "cli/export_perfetto.h"
#include "trace/trace.h"
#include "util/outfile.h"

/* ---- one hash table for every index ---- */

enum tag {
	M_CASE = 1,  /* (case, 0) -> index in cases */
	M_CALL,      /* (case, call) -> earliest timestamp of the call's activity */
	M_TRIAL,     /* (case, trial) -> earliest start of a call checked in the trial */
	M_SAMPLE,    /* (case, sample index) -> its window start (or span start) */
	M_API,       /* (case, corr) -> index of the first api record */
	M_ID,        /* (id, 0) -> record index, only when ids are not line indices */
	M_LANE,      /* (record index, ITEM_*) -> its lane, only where not its base track */
	M_WANT,      /* streaming: (id, 0) of a record some finding's evidence names */
	M_PROC,      /* (kind, key) -> index in procs */
	M_FIRST,     /* streaming: (case, 0) -> the case's first timestamp, for findings */
	M_TRACK      /* + track kind: (case or device, key) -> index in tracks */
};

struct hent {
	int64_t tag, a, b, v;
};

struct hmap {
	struct hent *e; /* tag 0: empty */
	size_t cap, n;
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static size_t hslot(size_t cap, int64_t tag, int64_t a, int64_t b)
{
	uint64_t h = mix((uint64_t)tag * 0x9e3779b97f4a7c15ULL ^ mix((uint64_t)a) ^
			 mix((uint64_t)b + 0x632be59bd9b4e019ULL));
	return (size_t)h & (cap - 1);
}

static struct hent *hfind(const struct hmap *m, int64_t tag, int64_t a, int64_t b)
{
	if (!m->cap)
		return NULL;
	for (size_t i = hslot(m->cap, tag, a, b);; i = (i + 1) & (m->cap - 1)) {
		struct hent *x = &m->e[i];
		if (!x->tag)
			return NULL;
		if (x->tag == tag && x->a == a && x->b == b)
			return x;
	}
}

/* The entry for (TAG, A, B); a new one holds V and sets *ADDED. */
static struct hent *hput(struct hmap *m, int64_t tag, int64_t a, int64_t b, int64_t v, int *added)
{
	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct hent *e = xcalloc(cap, sizeof *e);
		for (size_t i = 0; i < m->cap; i++) {
			struct hent *x = &m->e[i];
			if (!x->tag)
				continue;
			size_t j = hslot(cap, x->tag, x->a, x->b);
			while (e[j].tag)
				j = (j + 1) & (cap - 1);
			e[j] = *x;
		}
		free(m->e);
		m->e = e;
		m->cap = cap;
	}
	size_t i = hslot(m->cap, tag, a, b);
	for (;; i = (i + 1) & (m->cap - 1)) {
		struct hent *x = &m->e[i];
		if (!x->tag)
			break;
		if (x->tag == tag && x->a == a && x->b == b) {
			if (added)
				*added = 0;
			return x;
		}
	}
	m->e[i] = (struct hent){ tag, a, b, v };
	m->n++;
	if (added)
		*added = 1;
	return &m->e[i];
}

/* Keeps the smallest V seen for (TAG, A, B). */
static void hmin(struct hmap *m, int64_t tag, int64_t a, int64_t b, int64_t v)
{
	int added;
	struct hent *x = hput(m, tag, a, b, v, &added);
	if (!added && v < x->v)
		x->v = v;
}

/* ---- a growable string ---- */

struct sb {
	char *p;
	size_t n, cap;
};

static void sb_need(struct sb *b, size_t more)
{
	if (b->n + more + 1 > b->cap)
		xgrow((void **)&b->p, &b->cap, b->n + more + 1, 1);
}

static void sb_put(struct sb *b, const char *s, size_t n)
{
	sb_need(b, n);
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void sb_puts(struct sb *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void sb_f(struct sb *b, const char *fmt, ...) KAUDIT_PRINTF(2, 3);
static void sb_f(struct sb *b, const char *fmt, ...)
{
	va_list ap, aq;
	va_start(ap, fmt);
	va_copy(aq, ap);
	sb_need(b, 128);
	int k = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
	if (k > 0 && (size_t)k >= b->cap - b->n) {
		sb_need(b, (size_t)k);
		k = vsnprintf(b->p + b->n, b->cap - b->n, fmt, aq);
	}
	if (k > 0)
		b->n += (size_t)k;
	va_end(aq);
	va_end(ap);
}

/* Length of the valid UTF-8 sequence at S (1-4), 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f))
			return 0; /* overlong, surrogate */
		return 3;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

/* S as a JSON string; bytes that are not UTF-8 become U+FFFD. */
static void sb_str(struct sb *b, const char *s)
{
	if (!s)
		s = "?";
	sb_need(b, strlen(s) + 2);
	b->p[b->n++] = '"';
	const unsigned char *u = (const unsigned char *)s;
	while (*u) {
		size_t run = 0;
		while (u[run] >= 0x20 && u[run] < 0x80 && u[run] != '"' && u[run] != '\\')
			run++;
		if (run) {
			sb_put(b, (const char *)u, run);
			u += run;
			continue;
		}
		if (*u == '"' || *u == '\\') {
			char esc[2] = { '\\', (char)*u };
			sb_put(b, esc, 2);
			u++;
		} else if (*u < 0x20) {
			sb_f(b, "\\u%04x", *u);
			u++;
		} else {
			size_t k = utf8_len(u);
			if (k) {
				sb_put(b, (const char *)u, k);
				u += k;
			} else {
				sb_puts(b, "\\ufffd");
				u++;
			}
		}
	}
	sb_put(b, "\"", 1);
}

/* V in decimal (the hot path: printf is most of an export's time). */
static void sb_i64(struct sb *b, int64_t v)
{
	char buf[24], *p = buf + sizeof buf;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	sb_put(b, p, (size_t)(buf + sizeof buf - p));
}

/* NS >= 0 as microseconds with exactly three decimals. */
static void sb_us(struct sb *b, int64_t ns)
{
	if (ns < 0)
		ns = 0;
	char frac[4] = { (char)('0' + ns % 1000 / 100), (char)('0' + ns % 100 / 10),
			 (char)('0' + ns % 10), '\0' };
	sb_i64(b, ns / 1000);
	sb_put(b, ".", 1);
	sb_put(b, frac, 3);
}

/* ---- what the pass over the records collects ---- */

enum proc_kind { P_AUDIT, P_DEVICE, P_HOST };

enum track_kind {
	T_PHASES, T_WINDOWS, T_SPAN, T_FINDINGS, /* audit process, per case */
	T_STREAM,                                /* device process */
	T_THREAD, T_SYNC                         /* host process of a case */
};

struct proc {
	enum proc_kind kind;
	int64_t key;  /* device number, case */
	size_t rank;  /* display order */
	int64_t pid;
};

struct track {
	enum track_kind kind;
	int64_t kase, key; /* case (device for streams); thread, stream or impl */
	size_t proc;
	size_t first;      /* the first record on it */
	int64_t tid;
	int64_t in_call;   /* T_THREAD: api records issued during the entry call */
	unsigned impls;    /* T_THREAD: bit per impl of its api records */
	int timed;         /* T_STREAM: the harness's start/stop events are on it */
	size_t base;       /* the track it is a lane of (itself for lane 0) */
	int lane;          /* 0, or 1.. for the lanes its overlapping slices spill to */
	size_t lset;       /* streaming, a GPU stream's base track: 1 + its index in lsets */
	int64_t sort;      /* streaming: its thread_sort_index */
};

/* A slice to draw, for giving overlapping slices lanes of their own: a
 * track's slices must nest or be disjoint, or Perfetto drops (or moves)
 * the one that starts inside another and ends after it; a forged trace, a
 * call's GPU span running into a later call's, or a phase's late work
 * into the next phase, would otherwise lose the very slice that shows it. */
struct item {
	size_t track;  /* the base track */
	int64_t s, e;  /* e >= s */
	size_t rec;    /* record index; for a phase, the case's index in cases */
	int which;     /* ITEM_RECORD, ITEM_SPAN, ITEM_PHASE + phase */
};
enum { ITEM_RECORD, ITEM_SPAN, ITEM_PHASE };

struct kase {
	int64_t index;
	const char *kernel;
	int64_t first;                  /* earliest timestamp, REC_NONE if none */
	int64_t ps[PHASE_ANALYSIS + 1], pe[PHASE_ANALYSIS + 1];
	int64_t entry_thread, entry_n;  /* most in-call api records */
	size_t phase_track[PHASE_ANALYSIS + 1]; /* the lane its phase slice is on */
};

#define NO_LINK SIZE_MAX

/* A track's lanes as one slice after another is given one (lanes_place):
 * each lane's open slices, innermost last, and its last slice's start. */
struct lane {
	size_t track;
	int64_t *ends;
	size_t n, cap;
	int64_t last;
};

struct lane_set {
	struct lane *lanes;
	size_t n, cap;
};

struct w {
	const struct record *recs;
	size_t n;
	int (*write)(void *, const void *, size_t);
	void *self;
	int failed;
	struct sb out, name;
	int first_event, nargs;
	int64_t t0;
	int64_t impossible;
	struct hmap m;
	int ids_indexed;
	struct kase *cases;
	size_t ncases, capcases;
	struct proc *procs;
	size_t nprocs, capprocs;
	struct track *tracks;
	size_t ntracks, captracks;
	const char **devnames;
	size_t ndevnames, capdevnames;
	/* Per record, so that emitting looks nothing up: the track (lane) of
	 * an api, sync or device record, or of a sample's window; for a device
	 * record the api record it links to, for an api record itself when a
	 * device record links to it. */
	size_t *track_of, *api_of, cap_of; /* per record of recs[] */
	struct hmap api;               /* M_API over recs[0..n) (link_batch) */
	struct record *named;          /* streaming: the records findings name */
	size_t nnamed, capnamed;
	int streaming;
	struct item *items;
	size_t nitems, capitems;
	/* Streaming.  Pass 1 indexes what spans cases: the GPU streams (their
	 * lanes given case by case, each lane's open slices kept in lsets),
	 * the devices, the findings' tracks and what findings look up.  Pass 2
	 * indexes each case's own tracks in cm when the case arrives, names
	 * them, draws the case and forgets them: tracks[gtracks..] and
	 * procs[gprocs..] are the case's.  Process ids are odd, thread ids
	 * even, so that neither needs the count of the other in advance. */
	int pass;                      /* 0 whole trace, else streaming pass 1 or 2 */
	struct hmap cm;                /* pass 2: the case's M_CASE, M_CALL, M_SAMPLE,
					* M_TRIAL, M_LANE, M_PROC and tracks */
	size_t gtracks, gprocs;
	int64_t next_pid, next_tid;
	int missing;                   /* pass 2 met a record pass 1 did not index */
	struct lane_set *lsets;
	size_t nlsets, caplsets;
};

/* Case K's place among the audit process's tracks (thread_sort_index):
 * its index, bounded so that sort indices stay small integers. */
static int64_t case_slot(int64_t kase)
{
	if (kase < 0)
		return 0;
	return kase < ((int64_t)1 << 22) ? kase + 1 : (int64_t)1 << 22;
}

/* The map that holds case-local tags (the case's map in pass 2). */
static struct hmap *cmap(struct w *w)
{
	return w->pass == 2 ? &w->cm : &w->m;
}

static const struct hmap *cmap_c(const struct w *w)
{
	return w->pass == 2 ? &w->cm : &w->m;
}

static void flush(struct w *w)
{
	if (w->out.n && !w->failed && w->write(w->self, w->out.p, w->out.n) < 0)
		w->failed = 1;
	w->out.n = 0;
}

/* [*S, *E] of a span; 1 drawable, 0 absent, -1 impossible (negative). A
 * missing end is the start. */
static int span(int64_t s, int64_t e, int64_t *os, int64_t *oe)
{
	if (s == REC_NONE)
		return 0;
	if (s < 0 || (e != REC_NONE && e < 0))
		return -1;
	*os = s;
	*oe = e == REC_NONE ? s : e;
	return 1;
}

/* The record's own time: host CUPTI clock for api and sync records, device
 * timestamps for the rest; a sample's is its timed window. */
static int rec_time(const struct record *r, int64_t *s, int64_t *e)
{
	switch (r->type) {
	case REC_API: return span(r->u.api.start, r->u.api.end, s, e);
	case REC_KERNEL: return span(r->u.kernel.start, r->u.kernel.end, s, e);
	case REC_MEMCPY: return span(r->u.memcpy.start, r->u.memcpy.end, s, e);
	case REC_MEMSET: return span(r->u.memset.start, r->u.memset.end, s, e);
	case REC_EVENT: return span(r->u.event.ts, r->u.event.ts, s, e);
	case REC_SYNC: return span(r->u.sync.start, r->u.sync.end, s, e);
	case REC_SAMPLE: {
		int k = span(r->u.sample.window_start, r->u.sample.window_end, s, e);
		return k ? k : span(r->u.sample.span_start, r->u.sample.span_end, s, e);
	}
	default: return 0;
	}
}

static int valid_impl(enum record_impl i)
{
	return (unsigned)i <= IMPL_HARNESS;
}

static const char *impl_name(enum record_impl i)
{
	const char *s = valid_impl(i) ? record_impl_name(i) : NULL;
	return s ? s : "?";
}

/* Where track KIND is indexed: a GPU stream's and a case's findings span
 * the trace (they are indexed in pass 1); the rest are a case's. */
static struct hmap *tmap(struct w *w, enum track_kind kind)
{
	return kind == T_STREAM || kind == T_FINDINGS ? &w->m : cmap(w);
}

static struct kase *case_get(struct w *w, int64_t index)
{
	int added;
	struct hent *x = hput(cmap(w), M_CASE, index, 0, (int64_t)w->ncases, &added);
	if (added) {
		xgrow((void **)&w->cases, &w->capcases, w->ncases + 1, sizeof *w->cases);
		struct kase *k = &w->cases[w->ncases++];
		memset(k, 0, sizeof *k);
		k->index = index;
		k->first = k->entry_thread = REC_NONE;
		for (int p = 0; p <= PHASE_ANALYSIS; p++) {
			k->ps[p] = k->pe[p] = REC_NONE;
			k->phase_track[p] = NO_LINK;
		}
	}
	return &w->cases[x->v];
}

static size_t proc_get(struct w *w, enum proc_kind kind, int64_t key)
{
	int added;
	struct hent *x = hput(kind == P_HOST ? cmap(w) : &w->m, M_PROC, kind, key,
			      (int64_t)w->nprocs, &added);
	if (added) {
		xgrow((void **)&w->procs, &w->capprocs, w->nprocs + 1, sizeof *w->procs);
		w->procs[w->nprocs++] = (struct proc){ kind, key, 0, 0 };
	}
	return (size_t)x->v;
}

/* The track (KIND, KASE, KEY), created for record index FIRST. */
static struct track *track_get(struct w *w, enum track_kind kind, int64_t kase, int64_t key,
			       size_t first)
{
	int added;
	/* A new entry already holds the index the track gets below. */
	struct hent *x = hput(tmap(w, kind), M_TRACK + kind, kase, key, (int64_t)w->ntracks,
			      &added);
	if (!added)
		return &w->tracks[x->v];
	size_t proc;
	if (kind == T_STREAM)
		proc = proc_get(w, P_DEVICE, kase);
	else if (kind == T_THREAD || kind == T_SYNC)
		proc = proc_get(w, P_HOST, kase);
	else
		proc = proc_get(w, P_AUDIT, 0);
	if (kind == T_THREAD || kind == T_SYNC)
		case_get(w, kase); /* their names and order need it */
	xgrow((void **)&w->tracks, &w->captracks, w->ntracks + 1, sizeof *w->tracks);
	struct track *t = &w->tracks[w->ntracks++];
	memset(t, 0, sizeof *t);
	t->kind = kind;
	t->kase = kase;
	t->key = key;
	t->proc = proc;
	t->first = first;
	t->base = w->ntracks - 1;
	return t;
}

static const struct track *track_find(const struct w *w, enum track_kind kind, int64_t kase,
				      int64_t key)
{
	const struct hent *x = hfind(tmap((struct w *)w, kind), M_TRACK + kind, kase, key);
	return x ? &w->tracks[x->v] : NULL;
}

static int64_t device_of(const struct record *r)
{
	return r->type == REC_KERNEL && r->u.kernel.device != REC_NONE ? r->u.kernel.device : 0;
}

static int64_t stream_of(const struct record *r)
{
	switch (r->type) {
	case REC_KERNEL: return r->u.kernel.stream;
	case REC_MEMCPY: return r->u.memcpy.stream;
	case REC_MEMSET: return r->u.memset.stream;
	case REC_EVENT: return r->u.event.stream;
	default: return REC_NONE;
	}
}

static int64_t corr_of(const struct record *r)
{
	switch (r->type) {
	case REC_KERNEL: return r->u.kernel.corr;
	case REC_MEMCPY: return r->u.memcpy.corr;
	case REC_MEMSET: return r->u.memset.corr;
	case REC_EVENT: return r->u.event.corr;
	default: return REC_NONE;
	}
}

/* The process of a record of an observation (kaudit observe), REC_NONE
 * for an audit's records: each observed process numbers its own streams
 * and correlation ids. */
static int64_t pid_of(const struct record *r)
{
	switch (r->type) {
	case REC_API: return r->u.api.pid;
	case REC_KERNEL: return r->u.kernel.pid;
	case REC_MEMCPY: return r->u.memcpy.pid;
	case REC_MEMSET: return r->u.memset.pid;
	case REC_EVENT: return r->u.event.pid;
	default: return REC_NONE;
	}
}

/* A stream track's key: the stream, or for an observed process
 * (pid << 32) + stream, so that two processes' stream 7 are two tracks. */
#define STREAM_PID_SHIFT 32
static int64_t stream_key(const struct record *r)
{
	int64_t st = stream_of(r), pid = pid_of(r);
	if (pid == REC_NONE || pid <= 0 || pid >= ((int64_t)1 << 30) || st == REC_NONE ||
	    st < 0 || st >= ((int64_t)1 << STREAM_PID_SHIFT))
		return st;
	return (pid << STREAM_PID_SHIFT) + st;
}

/* Which api records a device record may link to: its case's, or its
 * observed process's. */
static int64_t link_scope(const struct record *r)
{
	int64_t pid = pid_of(r);
	return pid != REC_NONE && r->case_index == REC_NONE ? -2 - pid : r->case_index;
}

static int is_device_work(const struct record *r)
{
	return r->type == REC_KERNEL || r->type == REC_MEMCPY || r->type == REC_MEMSET ||
	       r->type == REC_EVENT;
}

/* ---- pass 1: the indexes ---- */

static void add_item(struct w *w, size_t track, int64_t s, int64_t e, size_t rec, int which)
{
	xgrow((void **)&w->items, &w->capitems, w->nitems + 1, sizeof *w->items);
	w->items[w->nitems++] = (struct item){ track, s, e > s ? e : s, rec, which };
}

static int cmp_item(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;
	if (a->track != b->track)
		return a->track < b->track ? -1 : 1;
	if (a->s != b->s)
		return a->s < b->s ? -1 : 1;
	if (a->e != b->e)
		return a->e > b->e ? -1 : 1; /* the longer first: it is the parent */
	if (a->rec != b->rec)
		return a->rec < b->rec ? -1 : 1;
	return (a->which > b->which) - (a->which < b->which);
}

/* Sorts the slices once and gives each the first lane of its track where it
 * nests or is disjoint (as Perfetto's slice tracker sees it: a slice ending
 * where the next begins is closed), adding lanes where none fits. */
static void assign_lanes_of(struct w *w, struct item *items, size_t nitems)
{
	if (nitems)
		xsort(items, nitems, sizeof *items, cmp_item);
	struct lane *lanes = NULL;
	size_t nlanes = 0, caplanes = 0, used = 0, base = NO_LINK;
	for (size_t i = 0; i < nitems; i++) {
		const struct item *it = &items[i];
		if (it->track != base) {
			base = it->track;
			used = 0;
		}
		size_t l;
		for (l = 0;; l++) {
			if (l == used) {
				if (used == nlanes) {
					xgrow((void **)&lanes, &caplanes, nlanes + 1, sizeof *lanes);
					lanes[nlanes++] = (struct lane){ .track = 0 };
				}
				lanes[l].n = 0;
				lanes[l].track = l == 0 ? base : w->ntracks;
				if (l > 0) {
					xgrow((void **)&w->tracks, &w->captracks, w->ntracks + 1,
					      sizeof *w->tracks);
					struct track *t = &w->tracks[w->ntracks++];
					*t = w->tracks[base];
					t->lane = (int)l;
					t->first = it->which == ITEM_PHASE ? w->tracks[base].first : it->rec;
				}
				used++;
			}
			struct lane *ln = &lanes[l];
			while (ln->n && ln->ends[ln->n - 1] <= it->s)
				ln->n--;
			if (!ln->n || ln->ends[ln->n - 1] >= it->e)
				break;
		}
		struct lane *ln = &lanes[l];
		xgrow((void **)&ln->ends, &ln->cap, ln->n + 1, sizeof *ln->ends);
		ln->ends[ln->n++] = it->e;
		if (it->which < ITEM_PHASE) {
			/* Most slices are on their base track: only the others are kept. */
			if (ln->track != it->track)
				hput(cmap(w), M_LANE, (int64_t)it->rec, it->which, (int64_t)ln->track,
				     NULL);
		} else
			w->cases[it->rec].phase_track[it->which - ITEM_PHASE] = ln->track;
	}
	for (size_t l = 0; l < nlanes; l++)
		free(lanes[l].ends);
	free(lanes);
}

static void assign_lanes(struct w *w)
{
	assign_lanes_of(w, w->items, w->nitems);
	free(w->items);
	w->items = NULL;
	w->nitems = w->capitems = 0;
}

/* What record R, index I in the trace, adds to the indexes (streamed:
 * pass 1 what spans cases, pass 2 what is the case's own). */
static void index_record(struct w *w, const struct record *r, size_t i)
{
	{
		int64_t s, e, ss = 0, se = 0;
		if (w->pass == 2 && (r->type == REC_DEVICE || r->type == REC_FINDING))
			return;
		if (r->type == REC_DEVICE) {
			xgrow((void **)&w->devnames, &w->capdevnames, w->ndevnames + 1,
			      sizeof *w->devnames);
			/* streaming: the record is gone when the names are written */
			w->devnames[w->ndevnames++] = w->streaming && r->u.device.name ?
						      xstrdup(r->u.device.name) : r->u.device.name;
			return;
		}
		if (r->type == REC_CASE && r->u.kase.kernel && w->pass != 1) {
			struct kase *k = case_get(w, r->case_index);
			if (w->streaming) /* a case record twice: the last names it */
				free((char *)k->kernel);
			k->kernel = w->streaming ? xstrdup(r->u.kase.kernel) : r->u.kase.kernel;
		}
		if (r->type == REC_FINDING) {
			track_get(w, T_FINDINGS, r->case_index, 0, i);
			return;
		}
		int k = rec_time(r, &s, &e);
		int ks = r->type == REC_SAMPLE ?
			 span(r->u.sample.span_start, r->u.sample.span_end, &ss, &se) : 0;
		if ((k < 0 || ks < 0) && w->pass != 2)
			w->impossible++;
		if (k <= 0)
			return;
		int64_t own = s; /* a sample's: its window start */
		if (ks > 0 && ss < s)
			s = ss;
		if (w->pass != 2 && (w->t0 == REC_NONE || s < w->t0))
			w->t0 = s;
		if (w->pass == 1) {
			/* the audit process's tracks are pass 2's, the process is not */
			if ((r->phase > PHASE_NONE && r->phase <= PHASE_ANALYSIS) ||
			    r->type == REC_SAMPLE)
				proc_get(w, P_AUDIT, 0);
			if (r->type == REC_API || r->type == REC_SYNC || r->type == REC_SAMPLE)
				return;
			goto device_work;
		}
		struct kase *c = case_get(w, r->case_index);
		if (c->first == REC_NONE || s < c->first)
			c->first = s;
		int64_t end = ks > 0 && se > e ? se : e;
		if (r->phase > PHASE_NONE && r->phase <= PHASE_ANALYSIS) {
			if (c->ps[r->phase] == REC_NONE || s < c->ps[r->phase])
				c->ps[r->phase] = s;
			if (c->pe[r->phase] == REC_NONE || end > c->pe[r->phase])
				c->pe[r->phase] = end;
			track_get(w, T_PHASES, r->case_index, 0, i);
		}
		if (r->call != REC_NONE)
			hmin(cmap(w), M_CALL, r->case_index, r->call, s);
		switch (r->type) {
		case REC_API: {
			struct track *t = track_get(w, T_THREAD, r->case_index, r->u.api.thread, i);
			add_item(w, (size_t)(t - w->tracks), s, e, i, ITEM_RECORD);
			t->in_call += r->u.api.in_call == 1;
			if (valid_impl(r->impl))
				t->impls |= 1u << r->impl;
			break;
		}
		case REC_SYNC:
			add_item(w, (size_t)(track_get(w, T_SYNC, r->case_index, 0, i) - w->tracks),
				 s, e, i, ITEM_RECORD);
			break;
		case REC_SAMPLE:
			if (r->u.sample.index != REC_NONE)
				hput(cmap(w), M_SAMPLE, r->case_index, r->u.sample.index, own, NULL);
			if (r->u.sample.window_start != REC_NONE) /* rec_time gave the window */
				add_item(w, (size_t)(track_get(w, T_WINDOWS, r->case_index, r->impl, i) -
						     w->tracks), own, e, i, ITEM_RECORD);
			if (ks > 0)
				add_item(w, (size_t)(track_get(w, T_SPAN, r->case_index, r->impl, i) -
						     w->tracks), ss, se, i, ITEM_SPAN);
			break;
		default:
			if (w->pass == 2)
				break;
		device_work: {
			struct track *t = track_get(w, T_STREAM, device_of(r), stream_key(r), i);
			if (r->type != REC_EVENT) /* instants nest anywhere */
				add_item(w, (size_t)(t - w->tracks), s, e, i, ITEM_RECORD);
			if (r->type == REC_EVENT && r->u.event.role &&
			    (strcmp(r->u.event.role, "start") == 0 ||
			     strcmp(r->u.event.role, "stop") == 0))
				t->timed = 1;
			break;
		}
		}
	}
}

/* A trial starts at the earliest start of a call checked in it: once the
 * calls of RECS[0..N) are known (a case's, or all). */
static void index_trials(struct w *w, const struct record *recs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct record *r = &recs[i];
		if (r->type == REC_CHECK && r->u.check.trial != REC_NONE && r->call != REC_NONE) {
			const struct hent *x = hfind(cmap(w), M_CALL, r->case_index, r->call);
			if (x)
				hmin(cmap(w), M_TRIAL, r->case_index, r->u.check.trial, x->v);
		}
	}
}

/* The slices of case K's phases (K: its index in cases). */
static void add_phases(struct w *w, size_t k)
{
	const struct kase *c = &w->cases[k];
	const struct track *t = track_find(w, T_PHASES, c->index, 0);
	for (int p = PHASE_SETUP; p <= PHASE_ANALYSIS && t; p++)
		if (c->ps[p] != REC_NONE)
			add_item(w, (size_t)(t - w->tracks), c->ps[p], c->pe[p], k, ITEM_PHASE + p);
}

/* Once every record is indexed: the phases' slices, and every slice's lane. */
static void index_end(struct w *w)
{
	if (w->t0 == REC_NONE)
		w->t0 = 0;
	for (size_t k = 0; k < w->ncases && !w->streaming; k++)
		add_phases(w, k);
	assign_lanes(w);
}

/* Streamed, pass 1, at the end of a case: the lanes of the GPU streams'
 * slices it added (the only items of pass 1).  A stream's lanes go on
 * from case to case: each lane keeps its open slices and its last slice's
 * start, and a slice fits a lane where it starts no earlier than that and
 * nests or is disjoint, so a lane stays a track Perfetto draws whole
 * however a forged trace orders its cases' times. */
static void stream_lanes(struct w *w)
{
	if (w->nitems)
		xsort(w->items, w->nitems, sizeof *w->items, cmp_item);
	for (size_t i = 0; i < w->nitems; i++) {
		const struct item *it = &w->items[i];
		if (!w->tracks[it->track].lset) {
			xgrow((void **)&w->lsets, &w->caplsets, w->nlsets + 1, sizeof *w->lsets);
			w->lsets[w->nlsets++] = (struct lane_set){ 0 };
			w->tracks[it->track].lset = w->nlsets;
		}
		struct lane_set *ls = &w->lsets[w->tracks[it->track].lset - 1];
		size_t l;
		for (l = 0;; l++) {
			if (l == ls->n) {
				size_t track = it->track;
				if (l > 0) {
					xgrow((void **)&w->tracks, &w->captracks, w->ntracks + 1,
					      sizeof *w->tracks);
					struct track *t = &w->tracks[w->ntracks];
					*t = w->tracks[it->track];
					t->lane = (int)l;
					t->lset = 0;
					t->first = it->rec;
					track = w->ntracks++;
				}
				xgrow((void **)&ls->lanes, &ls->cap, ls->n + 1, sizeof *ls->lanes);
				ls->lanes[ls->n++] = (struct lane){ .track = track, .last = INT64_MIN };
			}
			struct lane *ln = &ls->lanes[l];
			if (it->s < ln->last)
				continue;
			while (ln->n && ln->ends[ln->n - 1] <= it->s)
				ln->n--;
			if (!ln->n || ln->ends[ln->n - 1] >= it->e)
				break;
		}
		struct lane *ln = &ls->lanes[l];
		xgrow((void **)&ln->ends, &ln->cap, ln->n + 1, sizeof *ln->ends);
		ln->ends[ln->n++] = it->e;
		ln->last = it->s;
		if (ln->track != it->track)
			hput(&w->m, M_LANE, (int64_t)it->rec, it->which, (int64_t)ln->track, NULL);
	}
	w->nitems = 0;
}

static void index_records(struct w *w)
{
	w->t0 = REC_NONE;
	for (size_t i = 0; i < w->n; i++)
		index_record(w, &w->recs[i], i);
	index_trials(w, w->recs, w->n);
	index_end(w);
}

/* The index in the trace of recs[I]: streamed, recs[] is a case's records
 * (with gaps where findings lie among them) and ids are the indices. */
static size_t gidx(const struct w *w, size_t i)
{
	return w->streaming ? (size_t)w->recs[i].id : i;
}

/* The track (lane) record I of recs[] is drawn on (WHICH: its own time or
 * a sample's GPU span); only for records index_record gave a track. */
static size_t rec_track(const struct w *w, size_t i, int which)
{
	const struct hent *x = hfind(&w->m, M_LANE, (int64_t)gidx(w, i), which);
	if (!x && w->pass == 2)
		x = hfind(&w->cm, M_LANE, (int64_t)gidx(w, i), which);
	if (x)
		return (size_t)x->v;
	const struct record *r = &w->recs[i];
	const struct track *t;
	if (r->type == REC_API)
		t = track_find(w, T_THREAD, r->case_index, r->u.api.thread);
	else if (r->type == REC_SYNC)
		t = track_find(w, T_SYNC, r->case_index, 0);
	else if (r->type == REC_SAMPLE)
		t = track_find(w, which == ITEM_SPAN ? T_SPAN : T_WINDOWS, r->case_index, r->impl);
	else
		t = track_find(w, T_STREAM, device_of(r), stream_key(r));
	return t ? (size_t)(t - w->tracks) : NO_LINK; /* streamed: not there in pass 1 */
}

/* For recs[0..n) (a case's records, or all): the track of each drawn
 * record, and which api records a device record points back at (indices
 * in recs[]).  The api records of a case are all among its own. */
static void link_batch(struct w *w)
{
	size_t n = w->n ? w->n : 1;
	xgrow((void **)&w->track_of, &w->cap_of, n, sizeof *w->track_of);
	w->api_of = xrealloc(w->api_of, w->cap_of * sizeof *w->api_of);
	free(w->api.e);
	memset(&w->api, 0, sizeof w->api);
	for (size_t i = 0; i < w->n; i++) {
		const struct record *r = &w->recs[i];
		int64_t s, e;
		w->track_of[i] = w->api_of[i] = NO_LINK;
		if (rec_time(r, &s, &e) <= 0)
			continue;
		if (r->type == REC_API || r->type == REC_SYNC || is_device_work(r) ||
		    (r->type == REC_SAMPLE && r->u.sample.window_start != REC_NONE))
			w->track_of[i] = rec_track(w, i, ITEM_RECORD);
		if (r->type == REC_API && r->u.api.corr != REC_NONE)
			hput(&w->api, M_API, link_scope(r), r->u.api.corr, (int64_t)i, NULL);
	}
	for (size_t i = 0; i < w->n; i++) {
		const struct record *r = &w->recs[i];
		int64_t s, e;
		if (!is_device_work(r) || corr_of(r) == REC_NONE || rec_time(r, &s, &e) <= 0)
			continue;
		const struct hent *x = hfind(&w->api, M_API, link_scope(r), corr_of(r));
		if (!x)
			continue;
		w->api_of[i] = (size_t)x->v;
		if (r->type != REC_EVENT) /* an instant takes no flow (a slice does) */
			w->api_of[x->v] = (size_t)x->v;
	}
}

/* ---- display order, names ---- */

static int cmp_i64(int64_t a, int64_t b)
{
	return (a > b) - (a < b);
}

static int cmp_proc(const void *pa, const void *pb, void *ctx)
{
	const struct proc *v = ctx;
	const struct proc *a = &v[*(const size_t *)pa], *b = &v[*(const size_t *)pb];
	if (a->kind != b->kind)
		return cmp_i64(a->kind, b->kind);
	return cmp_i64(a->key, b->key);
}

/* Within the audit process: per case its phases, then per impl its timed
 * windows over its GPU spans, then its findings. */
static int64_t audit_order(const struct track *t)
{
	switch (t->kind) {
	case T_PHASES: return 0;
	case T_FINDINGS: return 100;
	default: return 1 + 2 * (valid_impl((enum record_impl)t->key) ? t->key : 9) +
			(t->kind == T_SPAN);
	}
}

struct order_ctx {
	const struct w *w;
};

static int cmp_track(const void *pa, const void *pb, void *ctx)
{
	const struct w *w = ((const struct order_ctx *)ctx)->w;
	const struct track *la = &w->tracks[*(const size_t *)pa];
	const struct track *lb = &w->tracks[*(const size_t *)pb];
	if (la->base == lb->base) /* lanes of one track: in order, after it */
		return la->lane - lb->lane;
	const struct track *a = &w->tracks[la->base], *b = &w->tracks[lb->base];
	size_t ra = w->procs[a->proc].rank, rb = w->procs[b->proc].rank;
	if (ra != rb)
		return ra < rb ? -1 : 1;
	int c;
	switch (w->procs[a->proc].kind) {
	case P_AUDIT:
		if ((c = cmp_i64(a->kase, b->kase)) || (c = cmp_i64(audit_order(a), audit_order(b))))
			return c;
		break;
	case P_DEVICE:
		if ((c = cmp_i64(a->key, b->key)))
			return c;
		break;
	case P_HOST: {
		/* the entry thread, the other threads, the synchronizations */
		const struct kase *k = &w->cases[hfind(cmap_c(w), M_CASE, a->kase, 0)->v];
		int oa = a->kind == T_SYNC ? 2 : a->key == k->entry_thread && k->entry_n ? 0 : 1;
		int ob = b->kind == T_SYNC ? 2 : b->key == k->entry_thread && k->entry_n ? 0 : 1;
		if (oa != ob)
			return oa - ob;
		break;
	}
	}
	if (a->first != b->first)
		return a->first < b->first ? -1 : 1;
	return a->base < b->base ? -1 : a->base > b->base;
}

static const char *case_kernel(const struct w *w, int64_t kase)
{
	const struct hent *x = hfind(cmap_c(w), M_CASE, kase, 0);
	const char *k = x ? w->cases[x->v].kernel : NULL;
	return k ? k : "?";
}

/* "case 3" or "audit" for records of no case. */
static void case_label(struct sb *b, int64_t kase)
{
	if (kase == REC_NONE)
		sb_puts(b, "audit");
	else
		sb_f(b, "case %lld", (long long)kase);
}

static void proc_name(const struct w *w, const struct proc *p, struct sb *b)
{
	b->n = 0;
	switch (p->kind) {
	case P_AUDIT:
		sb_puts(b, "kaudit: phases, timed windows, findings");
		break;
	case P_DEVICE: {
		const char *name = "device";
		if (p->key >= 0 && (uint64_t)p->key < w->ndevnames && w->devnames[p->key])
			name = w->devnames[p->key];
		else if (w->ndevnames && w->devnames[0])
			name = w->devnames[0];
		sb_f(b, "GPU %lld: %s", (long long)p->key, name);
		break;
	}
	case P_HOST:
		case_label(b, p->key);
		if (p->key != REC_NONE)
			sb_f(b, " %s", case_kernel(w, p->key));
		sb_puts(b, ": host (worker process)");
		break;
	}
}

static void base_name(const struct w *w, const struct track *t, struct sb *b)
{
	b->n = 0;
	switch (t->kind) {
	case T_PHASES:
		case_label(b, t->kase);
		sb_f(b, " %s: phases", case_kernel(w, t->kase));
		break;
	case T_WINDOWS:
	case T_SPAN:
		case_label(b, t->kase);
		sb_f(b, " %s: %s", impl_name((enum record_impl)t->key),
		     t->kind == T_WINDOWS ? "timed windows" : "GPU span");
		break;
	case T_FINDINGS:
		case_label(b, t->kase);
		sb_puts(b, ": findings");
		break;
	case T_STREAM:
		if (t->key == REC_NONE)
			sb_puts(b, "stream ?");
		else if (t->key >= ((int64_t)1 << STREAM_PID_SHIFT))
			sb_f(b, "pid %lld stream %lld", (long long)(t->key >> STREAM_PID_SHIFT),
			     (long long)(t->key & (((int64_t)1 << STREAM_PID_SHIFT) - 1)));
		else
			sb_f(b, "stream %lld", (long long)t->key);
		if (w->tracks[t->base].timed) /* a lane may be older than its mark */
			sb_puts(b, " (timed)");
		break;
	case T_SYNC:
		sb_puts(b, "CUDA synchronizations");
		break;
	case T_THREAD: {
		const struct kase *k = &w->cases[hfind(cmap_c(w), M_CASE, t->kase, 0)->v];
		if (t->key == REC_NONE)
			sb_puts(b, "host thread ?");
		else
			sb_f(b, "host thread %lld", (long long)t->key);
		const char *sep = " (";
		if (k->entry_n) {
			sb_puts(b, t->key == k->entry_thread ? " (entry thread" : " (another thread");
			sep = "; ";
		}
		for (int i = IMPL_BASELINE; i <= IMPL_HARNESS; i++)
			if (t->impls & (1u << i)) {
				sb_f(b, "%s%s", sep, impl_name((enum record_impl)i));
				sep = ", ";
			}
		if (strcmp(sep, " (") != 0)
			sb_puts(b, ")");
		break;
	}
	}
}

/* A lane's name is its track's, numbered from 2. */
static void track_name(const struct w *w, const struct track *t, struct sb *b)
{
	base_name(w, t, b);
	if (t->lane)
		sb_f(b, " [overlap %d]", t->lane + 1);
}

/* ---- events ---- */

static void ev_begin(struct w *w)
{
	if (w->out.n > (1u << 20))
		flush(w);
	sb_puts(&w->out, w->first_event ? "\n{" : ",\n{");
	w->first_event = 0;
}

static void ev_end(struct w *w)
{
	sb_put(&w->out, "}", 1);
}

static void ev_head(struct w *w, const char *name, const char *cat, const char *ph)
{
	ev_begin(w);
	sb_puts(&w->out, "\"name\":");
	sb_str(&w->out, name);
	if (cat) {
		sb_puts(&w->out, ",\"cat\":\"");
		sb_puts(&w->out, cat);
		sb_put(&w->out, "\"", 1);
	}
	sb_puts(&w->out, ",\"ph\":\"");
	sb_puts(&w->out, ph);
	sb_put(&w->out, "\"", 1);
}

static void ev_ts(struct w *w, int64_t t)
{
	int64_t rel;
	if (__builtin_sub_overflow(t, w->t0, &rel) || rel < 0)
		rel = 0; /* cannot happen: t >= t0 >= 0 */
	sb_puts(&w->out, ",\"ts\":");
	sb_us(&w->out, rel);
}

static void ev_where(struct w *w, const struct track *t)
{
	sb_puts(&w->out, ",\"pid\":");
	sb_i64(&w->out, w->procs[t->proc].pid);
	sb_puts(&w->out, ",\"tid\":");
	sb_i64(&w->out, t->tid);
}

/* An "X" slice [S, E] on T; the caller adds args and ends it. */
static void slice(struct w *w, const struct track *t, const char *name, const char *cat,
		  int64_t s, int64_t e)
{
	int64_t dur;
	ev_head(w, name, cat, "X");
	ev_ts(w, s);
	if (__builtin_sub_overflow(e, s, &dur) || dur < 0)
		dur = 0;
	sb_puts(&w->out, ",\"dur\":");
	sb_us(&w->out, dur);
	ev_where(w, t);
}

static void instant(struct w *w, const struct track *t, const char *name, const char *cat,
		    int64_t at)
{
	ev_head(w, name, cat, "i");
	sb_puts(&w->out, ",\"s\":\"t\"");
	ev_ts(w, at);
	ev_where(w, t);
}

/* The slice just begun is the source (OUT) or a destination of flow ID:
 * flow events v2, bound to the slice itself, so no other slice at the same
 * timestamp can catch the arrow. */
static void flow(struct w *w, int64_t id, int out)
{
	sb_puts(&w->out, ",\"bind_id\":");
	sb_i64(&w->out, id);
	sb_puts(&w->out, out ? ",\"flow_out\":true" : ",\"flow_in\":true");
}

static void args_begin(struct w *w)
{
	sb_puts(&w->out, ",\"args\":{");
	w->nargs = 0;
}

static void args_end(struct w *w)
{
	sb_put(&w->out, "}", 1);
}

static void arg_key(struct w *w, const char *k)
{
	sb_puts(&w->out, w->nargs++ ? ",\"" : "\"");
	sb_puts(&w->out, k);
	sb_put(&w->out, "\":", 2);
}

static void arg_i(struct w *w, const char *k, int64_t v)
{
	if (v == REC_NONE)
		return;
	arg_key(w, k);
	sb_i64(&w->out, v);
}

static void arg_s(struct w *w, const char *k, const char *v)
{
	if (!v)
		return;
	arg_key(w, k);
	sb_str(&w->out, v);
}

static void arg_b(struct w *w, const char *k, int v)
{
	if (v < 0)
		return;
	arg_key(w, k);
	sb_puts(&w->out, v ? "true" : "false");
}

static void arg_d(struct w *w, const char *k, double v)
{
	if (!isfinite(v))
		return;
	char buf[32];
	snprintf(buf, sizeof buf, "%.15g", v); /* shortest that reads back the same */
	if (strtod(buf, NULL) != v)
		snprintf(buf, sizeof buf, "%.17g", v);
	arg_key(w, k);
	sb_puts(&w->out, buf);
}

static void arg_dim3(struct w *w, const char *k, const int64_t v[3])
{
	if (v[0] == REC_NONE)
		return;
	arg_key(w, k);
	for (int i = 0; i < 3; i++) {
		sb_put(&w->out, i ? "," : "[", 1);
		sb_i64(&w->out, v[i] == REC_NONE ? 1 : v[i]);
	}
	sb_put(&w->out, "]", 1);
}

/* The args every record's event carries. */
static void args_common(struct w *w, const struct record *r)
{
	args_begin(w);
	arg_i(w, "record", r->id);
	arg_i(w, "case", r->case_index);
	if (valid_impl(r->impl) && r->impl != IMPL_NONE)
		arg_s(w, "impl", record_impl_name(r->impl));
	arg_i(w, "call", r->call);
	if (r->phase > PHASE_NONE && r->phase <= PHASE_ANALYSIS)
		arg_s(w, "phase", record_phase_name(r->phase));
}

static void metadata(struct w *w, const char *what, int64_t pid, int64_t tid, const char *key,
		     const char *s, int64_t v)
{
	ev_head(w, what, NULL, "M");
	sb_f(&w->out, ",\"pid\":%lld", (long long)pid);
	if (tid != REC_NONE)
		sb_f(&w->out, ",\"tid\":%lld", (long long)tid);
	sb_f(&w->out, ",\"args\":{\"%s\":", key);
	if (s)
		sb_str(&w->out, s);
	else
		sb_f(&w->out, "%lld", (long long)v);
	sb_puts(&w->out, "}}");
}

/* Orders processes and tracks, gives them their ids, and names them. */
static void emit_metadata(struct w *w)
{
	for (size_t i = 0; i < w->ntracks; i++) {
		const struct track *t = &w->tracks[i];
		if (t->kind != T_THREAD || !t->in_call || t->lane)
			continue;
		struct kase *k = &w->cases[hfind(cmap(w), M_CASE, t->kase, 0)->v];
		if (t->in_call > k->entry_n || (t->in_call == k->entry_n && t->key < k->entry_thread)) {
			k->entry_n = t->in_call;
			k->entry_thread = t->key;
		}
	}
	size_t *po = xmalloc((w->nprocs + 1) * sizeof *po);
	for (size_t i = 0; i < w->nprocs; i++)
		po[i] = i;
	qsort_r(po, w->nprocs, sizeof *po, cmp_proc, w->procs);
	for (size_t i = 0; i < w->nprocs; i++) {
		w->procs[po[i]].rank = i;
		/* streamed, cases' processes and tracks get their ids later */
		w->procs[po[i]].pid = w->pass ? 2 * (int64_t)i + 1 : (int64_t)i + 1;
	}
	size_t *to = xmalloc((w->ntracks + 1) * sizeof *to);
	for (size_t i = 0; i < w->ntracks; i++)
		to[i] = i;
	struct order_ctx ctx = { w };
	qsort_r(to, w->ntracks, sizeof *to, cmp_track, &ctx);
	for (size_t i = 0; i < w->ntracks; i++) {
		struct track *t = &w->tracks[to[i]];
		t->tid = w->pass ? 2 * ((int64_t)i + 1) : (int64_t)(w->nprocs + 1 + i);
		t->sort = w->pass && t->kind == T_FINDINGS ? case_slot(t->kase) * 256 + 255 :
			  (int64_t)i;
	}
	for (size_t i = 0; i < w->nprocs; i++) {
		const struct proc *p = &w->procs[po[i]];
		proc_name(w, p, &w->name);
		metadata(w, "process_name", p->pid, REC_NONE, "name", w->name.p, 0);
		metadata(w, "process_sort_index", p->pid, REC_NONE, "sort_index", NULL,
			 (int64_t)i + 1);
	}
	for (size_t i = 0; i < w->ntracks; i++) {
		const struct track *t = &w->tracks[to[i]];
		int64_t pid = w->procs[t->proc].pid;
		track_name(w, t, &w->name);
		metadata(w, "thread_name", pid, t->tid, "name", w->name.p, 0);
		metadata(w, "thread_sort_index", pid, t->tid, "sort_index", NULL, t->sort);
	}
	w->gtracks = w->ntracks;
	w->gprocs = w->nprocs;
	w->next_pid = (int64_t)w->nprocs;
	w->next_tid = (int64_t)w->ntracks + 1;
	free(po);
	free(to);
}

/* Streamed, pass 2: the ids and names of case's own processes and tracks
 * (procs[gprocs..], tracks[gtracks..]), in the order emit_metadata gives
 * them; its tracks in the audit process sort by case, beside its findings. */
static void emit_case_metadata(struct w *w)
{
	for (size_t i = w->gtracks; i < w->ntracks; i++) {
		const struct track *t = &w->tracks[i];
		if (t->kind != T_THREAD || !t->in_call || t->lane)
			continue;
		struct kase *k = &w->cases[hfind(cmap(w), M_CASE, t->kase, 0)->v];
		if (t->in_call > k->entry_n || (t->in_call == k->entry_n && t->key < k->entry_thread)) {
			k->entry_n = t->in_call;
			k->entry_thread = t->key;
		}
	}
	for (size_t i = w->gprocs; i < w->nprocs; i++) {
		struct proc *p = &w->procs[i];
		p->rank = i; /* after the audit's and the devices' */
		p->pid = 2 * w->next_pid++ + 1;
		proc_name(w, p, &w->name);
		metadata(w, "process_name", p->pid, REC_NONE, "name", w->name.p, 0);
		metadata(w, "process_sort_index", p->pid, REC_NONE, "sort_index", NULL,
			 (int64_t)w->gprocs + case_slot(p->key));
	}
	size_t n = w->ntracks - w->gtracks, audit = 0, host = 0;
	size_t *to = xmalloc((n + 1) * sizeof *to);
	for (size_t i = 0; i < n; i++)
		to[i] = w->gtracks + i;
	struct order_ctx ctx = { w };
	qsort_r(to, n, sizeof *to, cmp_track, &ctx);
	for (size_t i = 0; i < n; i++) {
		struct track *t = &w->tracks[to[i]];
		t->tid = 2 * w->next_tid++;
		if (w->procs[t->proc].kind == P_AUDIT)
			t->sort = case_slot(t->kase) * 256 + (int64_t)(audit < 254 ? audit++ : 254);
		else
			t->sort = (int64_t)host++;
		track_name(w, t, &w->name);
		metadata(w, "thread_name", w->procs[t->proc].pid, t->tid, "name", w->name.p, 0);
		metadata(w, "thread_sort_index", w->procs[t->proc].pid, t->tid, "sort_index", NULL,
			 t->sort);
	}
	free(to);
}

/* ---- pass 2: one event (or a few) per record ---- */

static const struct record *record_by_id(struct w *w, int64_t id)
{
	if (w->streaming) { /* ids are indices here (stream_usable) */
		const struct hent *x = hfind(&w->m, M_ID, id, 0);
		return x ? &w->named[x->v] : NULL;
	}
	if (id >= 0 && (uint64_t)id < w->n && w->recs[id].id == id)
		return &w->recs[id];
	if (!w->ids_indexed) {
		for (size_t i = 0; i < w->n; i++)
			if (w->recs[i].id != REC_NONE)
				hput(&w->m, M_ID, w->recs[i].id, 0, (int64_t)i, NULL);
		w->ids_indexed = 1;
	}
	const struct hent *x = hfind(&w->m, M_ID, id, 0);
	return x ? &w->recs[x->v] : NULL;
}

static int64_t lookup(const struct w *w, enum tag tag, int64_t a, int64_t b)
{
	if (b == REC_NONE)
		return REC_NONE;
	const struct hent *x = hfind(&w->m, tag, a, b);
	return x ? x->v : REC_NONE;
}

/* Where finding R is drawn, and why there (into w->name). */
static int64_t place_finding(struct w *w, const struct record *r)
{
	const struct rec_finding *f = &r->u.finding;
	int64_t at = REC_NONE, at_id = REC_NONE, call_at = REC_NONE, call_id = REC_NONE;
	json_t *ids = f->evidence ? json_object_get(f->evidence, "records") : NULL;
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v) {
		if (!json_is_integer(v))
			continue;
		const struct record *x = record_by_id(w, json_integer_value(v));
		int64_t s, e;
		if (!x)
			continue;
		if (rec_time(x, &s, &e) > 0) {
			if (at == REC_NONE || s < at)
				at = s, at_id = x->id;
		} else {
			int64_t c = lookup(w, M_CALL, x->case_index, x->call);
			if (c != REC_NONE && (call_at == REC_NONE || c < call_at))
				call_at = c, call_id = x->id;
		}
	}
	w->name.n = 0;
	if (at != REC_NONE) {
		sb_f(&w->name, "record %lld", (long long)at_id);
		return at;
	}
	if (call_at != REC_NONE) {
		sb_f(&w->name, "the call of record %lld", (long long)call_id);
		return call_at;
	}
	if ((at = lookup(w, M_SAMPLE, r->case_index, f->sample)) != REC_NONE) {
		sb_f(&w->name, "sample %lld", (long long)f->sample);
		return at;
	}
	if ((at = lookup(w, M_CALL, r->case_index, r->call)) != REC_NONE) {
		sb_f(&w->name, "call %lld", (long long)r->call);
		return at;
	}
	if ((at = lookup(w, M_TRIAL, r->case_index, f->trial)) != REC_NONE) {
		sb_f(&w->name, "trial %lld", (long long)f->trial);
		return at;
	}
	if (w->pass) {
		at = lookup(w, M_FIRST, r->case_index, 0);
		if (at != REC_NONE) {
			sb_puts(&w->name, "the start of the case");
			return at;
		}
	} else {
		const struct hent *k = hfind(&w->m, M_CASE, r->case_index, 0);
		if (k && w->cases[k->v].first != REC_NONE) {
			sb_puts(&w->name, "the start of the case");
			return w->cases[k->v].first;
		}
	}
	sb_puts(&w->name, "the start of the trace");
	return w->t0;
}

static void emit_finding(struct w *w, const struct record *r)
{
	const struct track *t = track_find(w, T_FINDINGS, r->case_index, 0);
	if (!t) { /* streamed: not there in pass 1 */
		w->missing = 1;
		return;
	}
	int64_t at = place_finding(w, r);
	const struct rec_finding *f = &r->u.finding;
	instant(w, t, f->code, "finding", at);
	args_common(w, r);
	arg_s(w, "code", f->code);
	arg_s(w, "severity", f->severity);
	arg_i(w, "trial", f->trial);
	arg_i(w, "sample", f->sample);
	arg_s(w, "message", f->message);
	arg_s(w, "placed_at", w->name.p);
	if (f->evidence) {
		/* the trace's own precision (record.c) */
		char *ev = json_dumps(f->evidence, JSON_COMPACT | JSON_PRESERVE_ORDER |
				      JSON_ENCODE_ANY | JSON_REAL_PRECISION(10));
		if (ev) {
			arg_key(w, "evidence");
			sb_puts(&w->out, ev);
			free(ev);
		}
	}
	args_end(w);
	ev_end(w);
}

/* Nanoseconds of [s, e] outside [ws, we], in double (forged timestamps
 * must not overflow), as the timing-escape detector counts them. */
static double outside(double s, double e, double ws, double we)
{
	double o = 0;
	if (s < ws)
		o += (e < ws ? e : ws) - s;
	if (e > we)
		o += e - (s > we ? s : we);
	return o;
}

static void sample_name(struct sb *b, const struct record *r, const char *what, double ns)
{
	const struct rec_sample *sm = &r->u.sample;
	b->n = 0;
	sb_f(b, "%s %s", impl_name(r->impl), what);
	if (sm->round != REC_NONE)
		sb_f(b, " r%lld", (long long)sm->round);
	if (sm->index != REC_NONE)
		sb_f(b, " s%lld", (long long)sm->index);
	if (isfinite(ns))
		sb_f(b, " %.1f us", ns / 1e3);
}

static void emit_sample(struct w *w, const struct record *r)
{
	const struct rec_sample *sm = &r->u.sample;
	int64_t ws, we, ss = 0, se = 0;
	if (rec_time(r, &ws, &we) <= 0)
		return; /* left out by the index too */
	int kw = span(sm->window_start, sm->window_end, &ws, &we);
	int ks = span(sm->span_start, sm->span_end, &ss, &se);
	double out = kw > 0 && ks > 0 ? outside((double)ss, (double)se, (double)ws, (double)we) : NAN;
	size_t lane = ks > 0 ? rec_track(w, (size_t)(r - w->recs), ITEM_SPAN) : 0;
	if ((kw > 0 && w->track_of[r - w->recs] == NO_LINK) || lane == NO_LINK) {
		w->missing = 1;
		return;
	}
	if (kw > 0) {
		sample_name(&w->name, r, "window", sm->event_ns);
		slice(w, &w->tracks[w->track_of[r - w->recs]], w->name.p, "window", ws, we);
		args_common(w, r);
		arg_i(w, "round", sm->round);
		arg_i(w, "sample", sm->index);
		arg_i(w, "input_set", sm->input_set);
		arg_d(w, "event_ns", sm->event_ns);
		arg_d(w, "span_ns", sm->span_ns);
		arg_i(w, "kernels", sm->kernels);
		arg_d(w, "kernel_ns", sm->kernel_ns);
		arg_i(w, "bytes", sm->bytes);
		arg_b(w, "checked", sm->checked);
		arg_b(w, "traced", sm->traced);
		arg_b(w, "impossible_span", we < ws ? 1 : -1);
		args_end(w);
		ev_end(w);
	}
	if (ks > 0) {
		double ns = isfinite(sm->span_ns) ? sm->span_ns : (double)se - (double)ss;
		sample_name(&w->name, r, "GPU span", ns);
		if (out > 1000) /* the escape detector's slack */
			sb_f(&w->name, ", %.1f us outside the window", out / 1e3);
		slice(w, &w->tracks[lane], w->name.p, "span", ss, se);
		args_common(w, r);
		arg_i(w, "round", sm->round);
		arg_i(w, "sample", sm->index);
		arg_d(w, "span_ns", sm->span_ns);
		arg_d(w, "outside_window_ns", out);
		arg_b(w, "impossible_span", se < ss ? 1 : -1);
		args_end(w);
		ev_end(w);
	}
}

static void emit_device(struct w *w, size_t i, int64_t s, int64_t e)
{
	const struct record *r = &w->recs[i];
	const struct track *t = &w->tracks[w->track_of[i]];
	struct sb *nm = &w->name;
	nm->n = 0;
	size_t api = w->api_of[i];
	switch (r->type) {
	case REC_KERNEL:
		slice(w, t, r->u.kernel.name, "kernel", s, e);
		break;
	case REC_MEMCPY:
		sb_f(nm, "memcpy %s", r->u.memcpy.kind ? r->u.memcpy.kind : "?");
		if (r->u.memcpy.bytes != REC_NONE)
			sb_f(nm, " %lld B", (long long)r->u.memcpy.bytes);
		slice(w, t, nm->p, "memcpy", s, e);
		break;
	case REC_MEMSET:
		sb_puts(nm, "memset");
		if (r->u.memset.bytes != REC_NONE)
			sb_f(nm, " %lld B", (long long)r->u.memset.bytes);
		slice(w, t, nm->p, "memset", s, e);
		break;
	default:
		if (r->u.event.role)
			sb_f(nm, "timer %s event", r->u.event.role);
		else if (r->u.event.event != REC_NONE)
			sb_f(nm, "event %lld", (long long)r->u.event.event);
		else
			sb_puts(nm, "event");
		instant(w, t, nm->p, "event", s);
		break;
	}
	if (api != NO_LINK && r->type != REC_EVENT)
		flow(w, (int64_t)gidx(w, api), 0);
	args_common(w, r);
	arg_i(w, "corr", corr_of(r));
	arg_i(w, "stream", stream_of(r));
	switch (r->type) {
	case REC_KERNEL:
		arg_i(w, "device", r->u.kernel.device);
		arg_dim3(w, "grid", r->u.kernel.grid);
		arg_dim3(w, "block", r->u.kernel.block);
		arg_i(w, "smem", r->u.kernel.smem);
		arg_i(w, "regs", r->u.kernel.regs);
		break;
	case REC_MEMCPY:
		arg_s(w, "kind", r->u.memcpy.kind);
		arg_i(w, "bytes", r->u.memcpy.bytes);
		break;
	case REC_MEMSET:
		arg_i(w, "bytes", r->u.memset.bytes);
		arg_i(w, "value", r->u.memset.value);
		break;
	default:
		arg_i(w, "event", r->u.event.event);
		arg_s(w, "role", r->u.event.role);
		break;
	}
	if (api != NO_LINK) {
		arg_i(w, "api_record", w->recs[api].id);
		arg_s(w, "api", w->recs[api].u.api.name);
	}
	arg_b(w, "impossible_span", e < s ? 1 : -1);
	args_end(w);
	ev_end(w);
}

static void emit_api(struct w *w, size_t i, int64_t s, int64_t e)
{
	const struct record *r = &w->recs[i];
	const struct rec_api *a = &r->u.api;
	const struct track *t = &w->tracks[w->track_of[i]];
	slice(w, t, a->name, a->in_call == 0 ? "api,outside-call" : "api", s, e);
	if (w->api_of[i] == i)
		flow(w, (int64_t)gidx(w, i), 1);
	args_common(w, r);
	arg_i(w, "thread", a->thread);
	arg_b(w, "in_call", a->in_call);
	arg_i(w, "corr", a->corr);
	arg_i(w, "stream", a->stream);
	arg_i(w, "event", a->event);
	arg_b(w, "impossible_span", e < s ? 1 : -1);
	args_end(w);
	ev_end(w);
}

static void emit_sync(struct w *w, size_t i, int64_t s, int64_t e)
{
	const struct record *r = &w->recs[i];
	const struct rec_sync *y = &r->u.sync;
	w->name.n = 0;
	sb_f(&w->name, "sync %s", y->kind ? y->kind : "?");
	slice(w, &w->tracks[w->track_of[i]], w->name.p, "sync", s, e);
	args_common(w, r);
	arg_s(w, "kind", y->kind);
	arg_i(w, "stream", y->stream);
	arg_i(w, "event", y->event);
	arg_i(w, "corr", y->corr);
	arg_b(w, "impossible_span", e < s ? 1 : -1);
	args_end(w);
	ev_end(w);
}

static void emit_range(struct w *w, size_t from, size_t to)
{
	for (size_t i = from; i < to && !w->failed; i++) {
		const struct record *r = &w->recs[i];
		int64_t s, e;
		if (r->type == REC_FINDING) {
			emit_finding(w, r);
			continue;
		}
		if (r->type == REC_SAMPLE) {
			emit_sample(w, r);
			continue;
		}
		if (rec_time(r, &s, &e) <= 0)
			continue;
		if (w->track_of[i] == NO_LINK && (r->type == REC_API || r->type == REC_SYNC ||
						  is_device_work(r))) {
			w->missing = 1;
			continue;
		}
		if (r->type == REC_API)
			emit_api(w, i, s, e);
		else if (r->type == REC_SYNC)
			emit_sync(w, i, s, e);
		else if (is_device_work(r))
			emit_device(w, i, s, e);
	}
}

static void emit_records(struct w *w)
{
	emit_range(w, 0, w->n);
}

/* ---- pass 3: each case's phases ---- */

static void emit_phases(struct w *w)
{
	for (size_t i = 0; i < w->ncases; i++) {
		const struct kase *k = &w->cases[i];
		for (int p = PHASE_SETUP; p <= PHASE_ANALYSIS; p++) {
			if (k->phase_track[p] == NO_LINK)
				continue;
			const struct track *t = &w->tracks[k->phase_track[p]];
			w->name.n = 0;
			case_label(&w->name, k->index);
			sb_f(&w->name, " %s: %s", k->kernel ? k->kernel : "?",
			     record_phase_name((enum record_phase)p));
			slice(w, t, w->name.p, "phase", k->ps[p], k->pe[p]);
			args_begin(w);
			arg_i(w, "case", k->index);
			arg_s(w, "phase", record_phase_name((enum record_phase)p));
			args_end(w);
			ev_end(w);
		}
	}
}

int perfetto_write(const struct record *recs, size_t n,
		   int (*write)(void *self, const void *buf, size_t len), void *self)
{
	struct w w = { .recs = recs, .n = n, .write = write, .self = self, .first_event = 1 };
	index_records(&w);
	link_batch(&w);
	sb_f(&w.out, "{\"otherData\":{\"kaudit\":\"%s\",\"t0_ns\":%lld,"
	     "\"records\":%zu,\"impossible_times\":%lld},\"traceEvents\":[", KAUDIT_VERSION,
	     (long long)w.t0, n, (long long)w.impossible);
	emit_metadata(&w);
	emit_records(&w);
	emit_phases(&w);
	sb_puts(&w.out, "\n]}\n");
	flush(&w);
	free(w.out.p);
	free(w.name.p);
	free(w.m.e);
	free(w.cases);
	free(w.procs);
	free(w.tracks);
	free(w.devnames);
	free(w.track_of);
	free(w.api_of);
	free(w.api.e);
	return w.failed ? -1 : 0;
}


/* ---- streaming: two passes over the file (export_perfetto_stream) ---- */

/* trace_stream hands a case's records over when the case ends, so a record
 * of no case that lies among them or after them (findings, verdicts, the
 * footer: those after the last case) arrives first.  In a trace without
 * problems ids are line indices, that is perfetto_write's indices: pass 1
 * indexes by id, and pass 2 holds back what arrives early (a finding: a
 * copy; anything else draws nothing) and merges it in by id. */
struct held {
	int64_t id;
	struct record *f; /* a finding's copy; NULL: nothing to draw (a verdict
			   * of each case waits here for the last case) */
};

struct sw {
	struct w w;
	size_t nrecords; /* how many records were delivered */
	size_t next;     /* pass 2: the index of the next record to draw */
	int usable;      /* pass 1: the passes can reproduce perfetto_write */
	int64_t last_device;
	struct held *held;
	size_t nheld, capheld;
	int changed;     /* pass 2 did not see what pass 1 saw */
};

/* Pass 1 refuses (then perfetto_write on the whole trace does it) what
 * pass 2 could not draw as it: an id that is not an index, a record of no
 * case that is drawn (its lanes and links would span cases) or that makes
 * a case, devices out of order, a finding naming a record after it or
 * lying before its case's records (p1_case). */
static void check_usable(struct sw *x, const struct record *r)
{
	int64_t s, e;
	if (r->id < 0 || (uint64_t)r->id >= TRACE_MAX_RECORDS)
		x->usable = 0;
	if (!trace_case_record(r) && (rec_time(r, &s, &e) != 0 || r->type == REC_CASE))
		x->usable = 0;
	if (r->type == REC_DEVICE) {
		if (r->id < x->last_device)
			x->usable = 0;
		x->last_device = r->id;
	}
}

/* A finding's evidence ids are remembered: pass 2 keeps those records'
 * numbers for placing it, and only those. */
static void want_evidence(struct sw *x, const struct record *r)
{
	json_t *ids = r->u.finding.evidence ? json_object_get(r->u.finding.evidence, "records") :
					      NULL;
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v) {
		if (!json_is_integer(v))
			continue;
		if (json_integer_value(v) >= r->id)
			x->usable = 0;
		hput(&x->w.m, M_WANT, json_integer_value(v), 0, 0, NULL);
	}
	/* what place_finding looks up, answered as pass 2 reads the case */
	const struct rec_finding *f = &r->u.finding;
	if (r->call != REC_NONE)
		hput(&x->w.m, M_CALL, r->case_index, r->call, REC_NONE, NULL);
	if (f->sample != REC_NONE)
		hput(&x->w.m, M_SAMPLE, r->case_index, f->sample, REC_NONE, NULL);
	if (f->trial != REC_NONE)
		hput(&x->w.m, M_TRIAL, r->case_index, f->trial, REC_NONE, NULL);
}

static void p1_record(void *ctx, const struct record *r)
{
	struct sw *x = ctx;
	check_usable(x, r);
	x->nrecords++;
	if (!x->usable)
		return;
	index_record(&x->w, r, (size_t)r->id);
	if (r->type == REC_FINDING)
		want_evidence(x, r);
}

static void p1_case(void *ctx, const struct record *recs, size_t n)
{
	struct sw *x = ctx;
	x->nrecords += n;
	for (size_t i = 0; i < n && x->usable; i++) {
		check_usable(x, &recs[i]);
		if (x->usable)
			index_record(&x->w, &recs[i], (size_t)recs[i].id);
	}
	/* A finding of this case that came before its records began (among
	 * another case's) would be drawn before pass 2 reads what it names. */
	const struct track *f = track_find(&x->w, T_FINDINGS, recs[0].case_index, 0);
	if (f && f->first < (size_t)recs[0].id)
		x->usable = 0;
	if (x->usable)
		stream_lanes(&x->w);
}

/* Keeps the numbers of the records in RECS[0..N) a finding names (rec_time,
 * case, call, id: what place_finding reads of them). */
static void keep_named(struct w *w, const struct record *recs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!hfind(&w->m, M_WANT, recs[i].id, 0))
			continue;
		xgrow((void **)&w->named, &w->capnamed, w->nnamed + 1, sizeof *w->named);
		struct record *c = &w->named[w->nnamed];
		memset(c, 0, sizeof *c);
		c->type = recs[i].type;
		c->id = recs[i].id;
		c->case_index = recs[i].case_index;
		c->call = recs[i].call;
		if (rec_time(&recs[i], &(int64_t){ 0 }, &(int64_t){ 0 }) != 0)
			c->u = recs[i].u; /* a timed record: only its integers are read */
		else if (c->call != REC_NONE) /* its call's start is looked up */
			hput(&w->m, M_CALL, c->case_index, c->call, REC_NONE, NULL);
		hput(&w->m, M_ID, c->id, 0, (int64_t)w->nnamed++, NULL);
	}
}

/* Draws recs[FROM..TO), records that follow each other in the trace. */
static void draw_range(struct sw *x, size_t from, size_t to)
{
	struct w *w = &x->w;
	if (from == to)
		return;
	if (w->recs[from].id != (int64_t)x->next ||
	    w->recs[to - 1].id != (int64_t)(x->next + (to - from) - 1))
		x->changed = 1;
	emit_range(w, from, to);
	x->next += to - from;
}

static void hold(struct sw *x, const struct record *r)
{
	xgrow((void **)&x->held, &x->capheld, x->nheld + 1, sizeof *x->held);
	struct held *h = &x->held[x->nheld++];
	h->id = r->id;
	h->f = NULL;
	if (r->type != REC_FINDING)
		return;
	h->f = xmalloc(sizeof *h->f);
	*h->f = *r;
	struct rec_finding *f = &h->f->u.finding;
	f->code = f->code ? xstrdup(f->code) : NULL;
	f->severity = f->severity ? xstrdup(f->severity) : NULL;
	f->message = f->message ? xstrdup(f->message) : NULL;
	if (f->evidence)
		json_incref(f->evidence);
}

static void held_free(struct held *h)
{
	if (!h->f)
		return;
	free(h->f->u.finding.code);
	free(h->f->u.finding.severity);
	free(h->f->u.finding.message);
	json_decref(h->f->u.finding.evidence);
	free(h->f);
}

/* Draws RECS[0..N) (a case's, linked as one) with the held records among
 * and after them, in index order. */
static void draw_merged(struct sw *x, const struct record *recs, size_t n)
{
	struct w *w = &x->w;
	size_t i = 0, h = 0;
	w->recs = recs;
	w->n = n;
	link_batch(w);
	while (i < n || h < x->nheld) {
		if (h < x->nheld && (i == n || x->held[h].id < recs[i].id)) {
			if (x->held[h].id != (int64_t)x->next++)
				x->changed = 1;
			if (x->held[h].f && !w->failed)
				emit_finding(w, x->held[h].f);
			held_free(&x->held[h++]);
			continue;
		}
		size_t j = i;
		while (j < n && (h == x->nheld || recs[j].id < x->held[h].id))
			j++;
		draw_range(x, i, j);
		i = j;
	}
	x->nheld = 0;
}

static void p2_record(void *ctx, const struct record *r)
{
	struct sw *x = ctx;
	keep_named(&x->w, r, 1);
	if (r->id > (int64_t)x->next)
		hold(x, r); /* it lies among or after the case being read */
	else
		draw_merged(x, r, 1);
}

/* What findings look up in the case just indexed, into the answers in m. */
static void case_answers(struct w *w)
{
	for (size_t i = 0; i < w->cm.cap; i++) {
		const struct hent *c = &w->cm.e[i];
		if (c->tag != M_CALL && c->tag != M_SAMPLE && c->tag != M_TRIAL)
			continue;
		struct hent *x = hfind(&w->m, c->tag, c->a, c->b);
		if (x)
			x->v = c->v;
	}
	for (size_t k = 0; k < w->ncases; k++)
		if (w->cases[k].first != REC_NONE && track_find(w, T_FINDINGS, w->cases[k].index, 0))
			hput(&w->m, M_FIRST, w->cases[k].index, 0, w->cases[k].first, NULL);
}

/* After a case is drawn: what was its own only. */
static void case_forget(struct w *w)
{
	w->ntracks = w->gtracks;
	w->nprocs = w->gprocs;
	for (size_t k = 0; k < w->ncases; k++)
		free((char *)w->cases[k].kernel);
	w->ncases = 0;
	free(w->cm.e);
	memset(&w->cm, 0, sizeof w->cm);
}

/* A case: its tracks, lanes and ids, then its records and phases. */
static void p2_case(void *ctx, const struct record *recs, size_t n)
{
	struct sw *x = ctx;
	struct w *w = &x->w;
	keep_named(w, recs, n);
	for (size_t i = 0; i < n; i++)
		index_record(w, &recs[i], (size_t)recs[i].id);
	index_trials(w, recs, n);
	for (size_t k = 0; k < w->ncases; k++)
		add_phases(w, k);
	assign_lanes(w);
	case_answers(w);
	emit_case_metadata(w);
	draw_merged(x, recs, n);
	emit_phases(w);
	case_forget(w);
}

static void w_free(struct w *w)
{
	free(w->out.p);
	free(w->name.p);
	free(w->m.e);
	free(w->api.e);
	if (w->streaming) {
		for (size_t i = 0; i < w->ncases; i++)
			free((char *)w->cases[i].kernel);
		for (size_t i = 0; i < w->ndevnames; i++)
			free((char *)w->devnames[i]);
	}
	free(w->cases);
	free(w->procs);
	free(w->tracks);
	free(w->devnames);
	free(w->track_of);
	free(w->api_of);
	free(w->named);
	free(w->items);
	free(w->cm.e);
	for (size_t i = 0; i < w->nlsets; i++) {
		for (size_t l = 0; l < w->lsets[i].n; l++)
			free(w->lsets[i].lanes[l].ends);
		free(w->lsets[i].lanes);
	}
	free(w->lsets);
}

/* The trace at PATH through WRITE in two streaming passes: 1 done (0 or -1
 * in *RC as perfetto_write gives), 0 when it cannot be done so (nothing
 * written), -1 when the file cannot be read (E set). */
static int stream_write(const char *path, int (*write)(void *, const void *, size_t),
			void *self, int *rc, struct trace_contents *out, struct errbuf *e)
{
	struct sw x = { .w = { .write = write, .self = self, .first_event = 1, .streaming = 1,
			       .t0 = REC_NONE, .pass = 1 }, .usable = 1, .last_device = -1 };
	struct trace_visitor v1 = { &x, p1_record, p1_case };
	struct trace_contents c;
	if (trace_stream(path, &v1, out, e) < 0) {
		w_free(&x.w);
		return -1;
	}
	/* A problem may be a record moved or left out: ids are not indices. */
	if (!x.usable || out->problem[0] || x.nrecords != out->nrecords) {
		trace_contents_free(out);
		w_free(&x.w);
		return 0;
	}
	struct w *w = &x.w;
	index_end(w);
	sb_f(&w->out, "{\"otherData\":{\"kaudit\":\"%s\",\"t0_ns\":%lld,"
	     "\"records\":%zu,\"impossible_times\":%lld},\"traceEvents\":[", KAUDIT_VERSION,
	     (long long)w->t0, x.nrecords, (long long)w->impossible);
	emit_metadata(w);
	w->pass = 2;
	struct trace_visitor v2 = { &x, p2_record, p2_case };
	int ok = trace_stream(path, &v2, &c, e) == 0;
	if (ok) {
		trace_contents_free(&c);
		draw_merged(&x, NULL, 0);
		if (x.changed || w->missing || x.next != x.nrecords)
			ok = 0, errbuf_set(e, EXIT_BAD_INPUT, "%s: changed while exported", path);
	}
	for (size_t i = 0; i < x.nheld; i++)
		held_free(&x.held[i]);
	free(x.held);
	if (!ok) {
		trace_contents_free(out);
		w_free(w);
		return -1;
	}
	emit_phases(w);
	sb_puts(&w->out, "\n]}\n");
	flush(w);
	*rc = w->failed ? -1 : 0;
	w_free(w);
	return 1;
}

struct gz_out {
	gzFile gz;
	int err; /* errno of the failed write, 0 if none or unknown */
};

static int gz_sink(void *self, const void *buf, size_t len)
{
	struct gz_out *g = self;
	const char *p = buf;
	while (len) {
		unsigned k = len > (1u << 30) ? 1u << 30 : (unsigned)len;
		errno = 0;
		if (gzwrite(g->gz, p, k) != (int)k) {
			g->err = errno;
			return -1;
		}
		p += k;
		len -= k;
	}
	return 0;
}

/* Into OUT as export_perfetto() says: from RECS[0..N), or (C not NULL)
 * from the trace at INPUT in two streaming passes, falling back to reading
 * it whole into *C when the passes cannot reproduce that. */
static int export_to(const struct record *recs, size_t n, const char *input, const char *out,
		     struct trace_contents *c, struct errbuf *e)
{
	struct outfile f;
	const char *const inputs[] = { input, NULL };
	if (outfile_open(&f, out, inputs, OUTFILE_STDOUT, e) < 0)
		return -1;
	if (f.to_stdout)
		out = "standard output";
	int fd = fcntl(f.fd, F_DUPFD_CLOEXEC, 0); /* gzclose closes its own */
	/* One gzip member, level 1: on 1M records level 6 is 25% smaller and
	 * takes twice as long (make bench). */
	struct gz_out g = { fd >= 0 ? gzdopen(fd, "wb1") : NULL, 0 };
	if (!g.gz) {
		int err = errno ? errno : ENOMEM;
		if (fd >= 0)
			close(fd);
		outfile_abort(&f);
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", out, strerror(err));
	}
	int ok = 1, rc = 0, done = c ? stream_write(input, gz_sink, &g, &rc, c, e) : 0;
	if (done < 0) {
		gzclose(g.gz);
		outfile_abort(&f);
		return -1;
	}
	if (!done && c) {
		if (trace_read(input, c, e) < 0) {
			gzclose(g.gz);
			outfile_abort(&f);
			return -1;
		}
		recs = c->records.v;
		n = c->records.n;
	}
	if (!done)
		rc = perfetto_write(recs, n, gz_sink, &g);
	ok = rc == 0;
	errno = 0;
	if (gzclose(g.gz) != Z_OK) {
		ok = 0;
		if (!g.err)
			g.err = errno;
	}
	if (!ok) {
		outfile_abort(&f);
		if (g.err)
			return errbuf_set(e, EXIT_BAD_INPUT, "%s: write failed: %s", out,
					  strerror(g.err));
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: write failed", out);
	}
	return outfile_commit(&f, e);
}

int export_perfetto(const struct record *recs, size_t n, const char *input, const char *out,
		    struct errbuf *e)
{
	return export_to(recs, n, input, out, NULL, e);
}

int export_perfetto_stream(const char *input, const char *out, struct trace_contents *c,
			   struct errbuf *e)
{
	return export_to(NULL, 0, input, out, c, e);
}
