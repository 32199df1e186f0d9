/*
 * observe_windows.c - kaudit observe's analysis: the timing windows a
 * harness kaudit did not write built out of CUDA events, and the GPU work
 * each one missed (kaudit(1) OBSERVE, kaudit-findings(7)).
 *
 * Input: the audit-wide records of an observation (api, event, kernel,
 * memcpy, memset, elapsed, process; each naming its pid).  Per process:
 *
 * - A window is one successful elapsed read (cudaEventElapsedTime and
 *   friends).  Its start and stop are the last event-record calls for the
 *   two event handles that process issued before the read: events reused
 *   across iterations pair with the iteration that read them.  The device
 *   timestamps are those of the CUDA_EVENT activity of those calls
 *   (same correlation id).  The window's stream is the start event's.
 * - The work of a window: GPU work whose launching API call (same pid and
 *   correlation id; a graph launch's nodes share it) was issued between the
 *   two event-record calls, on any thread.
 * - timing-escape: such work that ran outside [start, stop] on the GPU
 *   clock (beyond ESCAPE_SLACK_NS): the harness's number does not cover it.
 * - foreign-stream: such work on another stream than the window's, not
 *   joined back: no stream-wait on the window's stream, issued before the
 *   stop event, on an event recorded on the work's stream after its launch.
 * - deferred-launch: such work launched by another thread than the one that
 *   recorded the window's events (a launch queue the window does not own).
 * - busy ratio: the union of the window's work intervals over the elapsed
 *   time the harness was given.  Honest windows stay near or below 1.
 *
 * Windows whose events have no device timestamp cannot be judged: counted,
 * and trace-incomplete says so.  A read that failed (cudaErrorNotReady: the
 * harness never synchronised the stop event) gave the harness no number:
 * counted apart, never judged.  Work, events and windows of one process are
 * never matched with another's: pids partition everything.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect_private.h"

/* The same slack as verify's timing-escape (escape.c): event timestamps
 * step by up to 1 us on some GPUs. */
#define OBSERVE_SLACK_NS 1000
/* Example windows a finding's evidence lists. */
#define OBSERVE_EXAMPLES 4

static int name_has(const char *name, const char *prefix)
{
	return name && strncmp(name, prefix, strlen(prefix)) == 0;
}

int detect_observe_is_event_record(const struct record *r)
{
	return r->type == REC_API && (name_has(r->u.api.name, "cudaEventRecord") ||
				      name_has(r->u.api.name, "cuEventRecord"));
}

static int is_stream_wait(const struct record *r)
{
	return r->type == REC_API && (name_has(r->u.api.name, "cudaStreamWaitEvent") ||
				      name_has(r->u.api.name, "cuStreamWaitEvent"));
}

static int64_t work_pid(const struct record *r)
{
	switch (r->type) {
	case REC_KERNEL: return r->u.kernel.pid;
	case REC_MEMCPY: return r->u.memcpy.pid;
	case REC_MEMSET: return r->u.memset.pid;
	default: return REC_NONE;
	}
}

static int64_t work_corr(const struct record *r)
{
	switch (r->type) {
	case REC_KERNEL: return r->u.kernel.corr;
	case REC_MEMCPY: return r->u.memcpy.corr;
	case REC_MEMSET: return r->u.memset.corr;
	default: return REC_NONE;
	}
}

/* (pid, corr) keyed lookups over api and event activity records. */
struct keyed {
	int64_t pid, corr;
	const struct record *r;
};

static int cmp_keyed(const void *x, const void *y)
{
	const struct keyed *a = x, *b = y;
	if (a->pid != b->pid)
		return (a->pid > b->pid) - (a->pid < b->pid);
	if (a->corr != b->corr)
		return (a->corr > b->corr) - (a->corr < b->corr);
	return (a->r->id > b->r->id) - (a->r->id < b->r->id);
}

static const struct record *keyed_find(const struct keyed *v, size_t n, int64_t pid,
				       int64_t corr)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].pid < pid || (v[mid].pid == pid && v[mid].corr < corr))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo].pid == pid && v[lo].corr == corr ? v[lo].r : NULL;
}

/* A work record with its launching call. */
struct launched {
	int64_t pid, at;              /* the call's host start */
	const struct record *work, *api;
};

/* Everything sorted once, so that a window costs a few binary searches and
 * its own work, not a scan of the trace (check must stay fast on a
 * benchmark of a million windows, and on a forged trace built to be slow). */
struct observe_set {
	const struct record **ev_rec, **waits, **elapsed;
	size_t nev_rec, nwaits, nelapsed;
	struct keyed *api, *events;   /* by (pid, corr) */
	size_t napi, nevents;
	struct launched *work;        /* by (pid, at); work with no known call left out */
	size_t nwork;
};

static int cmp_i64(int64_t a, int64_t b)
{
	return (a > b) - (a < b);
}

/* Event-record calls and stream waits by (pid, event, start, id). */
static int cmp_by_event(const void *x, const void *y)
{
	const struct record *a = *(const struct record *const *)x;
	const struct record *b = *(const struct record *const *)y;
	int c;
	if ((c = cmp_i64(a->u.api.pid, b->u.api.pid)) || (c = cmp_i64(a->u.api.event, b->u.api.event)) ||
	    (c = cmp_i64(a->u.api.start, b->u.api.start)))
		return c;
	return cmp_i64(a->id, b->id);
}

/* Stream waits by (pid, stream, start, id). */
static int cmp_by_stream(const void *x, const void *y)
{
	const struct record *a = *(const struct record *const *)x;
	const struct record *b = *(const struct record *const *)y;
	int c;
	if ((c = cmp_i64(a->u.api.pid, b->u.api.pid)) ||
	    (c = cmp_i64(a->u.api.stream, b->u.api.stream)) ||
	    (c = cmp_i64(a->u.api.start, b->u.api.start)))
		return c;
	return cmp_i64(a->id, b->id);
}

static int cmp_launched(const void *x, const void *y)
{
	const struct launched *a = x, *b = y;
	int c;
	if ((c = cmp_i64(a->pid, b->pid)) || (c = cmp_i64(a->at, b->at)))
		return c;
	return cmp_i64(a->work->id, b->work->id);
}

static void set_build(struct observe_set *s, const struct record *const *recs, size_t n)
{
	memset(s, 0, sizeof *s);
	size_t cap = n ? n : 1;
	s->ev_rec = xmalloc(cap * sizeof *s->ev_rec);
	s->waits = xmalloc(cap * sizeof *s->waits);
	const struct record **work = xmalloc(cap * sizeof *work);
	size_t nwork = 0;
	s->elapsed = xmalloc(cap * sizeof *s->elapsed);
	s->api = xmalloc(cap * sizeof *s->api);
	s->events = xmalloc(cap * sizeof *s->events);
	for (size_t i = 0; i < n; i++) {
		const struct record *r = recs[i];
		switch (r->type) {
		case REC_API:
			if (r->u.api.pid == REC_NONE)
				break;
			if (r->u.api.corr != REC_NONE)
				s->api[s->napi++] = (struct keyed){ r->u.api.pid, r->u.api.corr, r };
			if (detect_observe_is_event_record(r) && r->u.api.event != REC_NONE &&
			    r->u.api.start != REC_NONE)
				s->ev_rec[s->nev_rec++] = r;
			else if (is_stream_wait(r) && r->u.api.event != REC_NONE &&
				 r->u.api.start != REC_NONE)
				s->waits[s->nwaits++] = r;
			break;
		case REC_EVENT:
			if (r->u.event.pid != REC_NONE && r->u.event.corr != REC_NONE)
				s->events[s->nevents++] =
					(struct keyed){ r->u.event.pid, r->u.event.corr, r };
			break;
		case REC_KERNEL:
		case REC_MEMCPY:
		case REC_MEMSET:
			if (work_pid(r) != REC_NONE && work_corr(r) != REC_NONE)
				work[nwork++] = r;
			break;
		case REC_ELAPSED:
			s->elapsed[s->nelapsed++] = r;
			break;
		default:
			break;
		}
	}
	xsort(s->api, s->napi, sizeof *s->api, cmp_keyed);
	xsort(s->events, s->nevents, sizeof *s->events, cmp_keyed);
	xsort(s->ev_rec, s->nev_rec, sizeof *s->ev_rec, cmp_by_event);
	xsort(s->waits, s->nwaits, sizeof *s->waits, cmp_by_stream);
	s->work = xmalloc((nwork ? nwork : 1) * sizeof *s->work);
	for (size_t i = 0; i < nwork; i++) {
		const struct record *r = work[i];
		const struct record *a = keyed_find(s->api, s->napi, work_pid(r), work_corr(r));
		if (a && a->u.api.start != REC_NONE)
			s->work[s->nwork++] = (struct launched){ work_pid(r), a->u.api.start, r, a };
	}
	free(work);
	xsort(s->work, s->nwork, sizeof *s->work, cmp_launched);
}

static void set_free(struct observe_set *s)
{
	free(s->ev_rec);
	free(s->waits);
	free(s->work);
	free(s->elapsed);
	free(s->api);
	free(s->events);
}

/* The first event-record call at or after (PID, EVENT, T). */
static size_t ev_lower(const struct observe_set *s, int64_t pid, int64_t event, int64_t t)
{
	size_t lo = 0, hi = s->nev_rec;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct rec_api *m = &s->ev_rec[mid]->u.api;
		if (m->pid < pid || (m->pid == pid && (m->event < event ||
						       (m->event == event && m->start < t))))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The last event-record call of EVENT in PID issued before host time T
 * (ties: the later record). */
static const struct record *last_record_of(const struct observe_set *s, int64_t pid,
					   int64_t event, int64_t t)
{
	size_t i = ev_lower(s, pid, event, t);
	if (i == 0)
		return NULL;
	const struct record *r = s->ev_rec[i - 1];
	return r->u.api.pid == pid && r->u.api.event == event ? r : NULL;
}

static int64_t ts_of(const struct observe_set *s, const struct record *call)
{
	const struct record *ev = keyed_find(s->events, s->nevents, call->u.api.pid,
					     call->u.api.corr);
	return ev && ev->u.event.ts != REC_NONE ? ev->u.event.ts : REC_NONE;
}

/* The device timestamp of event-record call CALL: its own CUDA_EVENT
 * activity, else that of a call it is nested in or that is nested in it
 * (cudaEventRecord calls cuEventRecord; both are sent, and the activity
 * carries one of the two correlation ids). */
static int64_t device_ts(const struct observe_set *s, const struct record *call)
{
	int64_t ts = ts_of(s, call);
	if (ts != REC_NONE || call->u.api.end == REC_NONE)
		return ts;
	/* Nested calls start within a few microseconds of each other: look
	 * at the neighbours of CALL among the records of its event. */
	size_t at = ev_lower(s, call->u.api.pid, call->u.api.event, call->u.api.start);
	size_t lo = at > 4 ? at - 4 : 0, hi = at + 4 < s->nev_rec ? at + 4 : s->nev_rec;
	for (size_t i = lo; i < hi && ts == REC_NONE; i++) {
		const struct record *r = s->ev_rec[i];
		if (r == call || r->u.api.pid != call->u.api.pid ||
		    r->u.api.event != call->u.api.event || r->u.api.end == REC_NONE ||
		    r->u.api.thread != call->u.api.thread)
			continue;
		int nested = (r->u.api.start >= call->u.api.start && r->u.api.end <= call->u.api.end) ||
			     (call->u.api.start >= r->u.api.start && call->u.api.end <= r->u.api.end);
		if (nested)
			ts = ts_of(s, r);
	}
	return ts;
}

/* Is work W (launched by A at host time) joined back to the window's stream
 * before its stop call STOP? */
static int joined(const struct observe_set *s, const struct record *a, int64_t wstream,
		  int64_t stream, const struct record *stop)
{
	int64_t pid = stop->u.api.pid;
	size_t lo = 0, hi = s->nwaits;
	while (lo < hi) { /* the first wait of (pid, wstream) after A */
		size_t mid = lo + (hi - lo) / 2;
		const struct rec_api *m = &s->waits[mid]->u.api;
		if (m->pid < pid || (m->pid == pid && (m->stream < wstream ||
		    (m->stream == wstream && m->start <= a->u.api.start))))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < s->nwaits; i++) {
		const struct record *wt = s->waits[i];
		if (wt->u.api.pid != pid || wt->u.api.stream != wstream ||
		    wt->u.api.start >= stop->u.api.start)
			break;
		const struct record *er = last_record_of(s, pid, wt->u.api.event, wt->u.api.start);
		if (er && er->u.api.stream == stream && er->u.api.start > a->u.api.start)
			return 1;
	}
	return 0;
}

struct span { double s, e; };

static int cmp_span(const void *x, const void *y)
{
	const struct span *a = x, *b = y;
	return (a->s > b->s) - (a->s < b->s);
}

/* Length of the union of V[0..N) (sorted in place). */
static double union_ns(struct span *v, size_t n)
{
	xsort(v, n, sizeof *v, cmp_span);
	double total = 0, cs = 0, ce = 0;
	int open = 0;
	for (size_t i = 0; i < n; i++) {
		if (open && v[i].s <= ce) {
			if (v[i].e > ce)
				ce = v[i].e;
			continue;
		}
		if (open)
			total += ce - cs;
		cs = v[i].s;
		ce = v[i].e;
		open = 1;
	}
	if (open)
		total += ce - cs;
	return total;
}

static void judge_window(const struct observe_set *s, struct detect_window *w,
			 struct span *spans)
{
	const struct record *a0 = w->start_call, *a1 = w->stop_call;
	double ws = (double)w->window_start, we = (double)w->window_end;
	size_t nsp = 0, lo = 0, hi = s->nwork;
	while (lo < hi) { /* the first work launched after the start call */
		size_t mid = lo + (hi - lo) / 2;
		if (s->work[mid].pid < w->pid ||
		    (s->work[mid].pid == w->pid && s->work[mid].at <= a0->u.api.start))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < s->nwork; i++) {
		if (s->work[i].pid != w->pid || s->work[i].at >= a1->u.api.start)
			break;
		const struct record *r = s->work[i].work, *a = s->work[i].api;
		double st = (double)detect_work_start(r), en = (double)detect_work_end(r);
		int64_t stream = detect_work_stream(r);
		w->work++;
		w->work_ns += en - st;
		spans[nsp++] = (struct span){ st, en };
		if (st < ws - OBSERVE_SLACK_NS || en > we + OBSERVE_SLACK_NS) {
			w->escaped++;
			double o = 0;
			if (st < ws)
				o += (en < ws ? en : ws) - st;
			if (en > we)
				o += en - (st > we ? st : we);
			w->escaped_ns += o;
			if (w->first_escaped == NULL)
				w->first_escaped = r;
		}
		if (stream != w->stream && !joined(s, a, w->stream, stream, a1)) {
			w->foreign++;
			if (w->first_foreign == NULL)
				w->first_foreign = r;
		}
		if (a->u.api.thread != REC_NONE && a0->u.api.thread != REC_NONE &&
		    a->u.api.thread != a0->u.api.thread) {
			w->deferred++;
			if (w->first_deferred == NULL)
				w->first_deferred = r;
		}
	}
	w->busy_ns = union_ns(spans, nsp);
	w->ratio = w->reported_ns > 0 ? w->busy_ns / w->reported_ns : NAN;
}

size_t detect_observe_windows(const struct record *const *recs, size_t n,
			      struct detect_window **out, struct detect_observe_totals *t)
{
	struct observe_set s;
	set_build(&s, recs, n);
	memset(t, 0, sizeof *t);
	struct detect_window *w = xcalloc(s.nelapsed ? s.nelapsed : 1, sizeof *w);
	struct span *spans = xmalloc((s.nwork ? s.nwork : 1) * sizeof *spans);
	size_t nw = 0;
	for (size_t i = 0; i < s.nelapsed; i++) {
		const struct record *e = s.elapsed[i];
		const struct rec_elapsed *x = &e->u.elapsed;
		t->reads++;
		if (x->result != 0 || !isfinite(x->ms)) {
			t->failed_reads++;
			continue;
		}
		int64_t at = x->start != REC_NONE ? x->start : INT64_MAX;
		const struct record *a0 = last_record_of(&s, x->pid, x->start_event, at);
		const struct record *a1 = last_record_of(&s, x->pid, x->stop_event, at);
		if (!a0 || !a1 || a1->u.api.start <= a0->u.api.start) {
			t->unpaired++;
			continue;
		}
		struct detect_window *d = &w[nw];
		memset(d, 0, sizeof *d);
		d->elapsed = e;
		d->start_call = a0;
		d->stop_call = a1;
		d->pid = x->pid;
		d->stream = a0->u.api.stream;
		d->stop_stream = a1->u.api.stream;
		d->thread = a0->u.api.thread;
		d->reported_ns = x->ms * 1e6;
		d->window_start = device_ts(&s, a0);
		d->window_end = device_ts(&s, a1);
		d->ratio = NAN;
		if (d->window_start == REC_NONE || d->window_end == REC_NONE ||
		    d->window_end < d->window_start) {
			t->unjudged++;
			nw++;
			continue;
		}
		d->judged = 1;
		judge_window(&s, d, spans);
		t->judged++;
		nw++;
	}
	free(spans);
	set_free(&s);
	*out = w;
	return nw;
}

/* ---- findings ------------------------------------------------------------ */

struct family {
	const char *code;
	size_t off_count;              /* offsetof the window's count for it */
	size_t off_first;
	const char *what;
};

static const struct family families[] = {
	{ "timing-escape", offsetof(struct detect_window, escaped),
	  offsetof(struct detect_window, first_escaped),
	  "GPU work launched inside the window ran outside its events" },
	{ "foreign-stream", offsetof(struct detect_window, foreign),
	  offsetof(struct detect_window, first_foreign),
	  "work launched inside the window ran on another stream, not joined back" },
	{ "deferred-launch", offsetof(struct detect_window, deferred),
	  offsetof(struct detect_window, first_deferred),
	  "work launched inside the window came from another thread" },
};

static int64_t wcount(const struct detect_window *w, const struct family *f)
{
	return *(const int64_t *)((const char *)w + f->off_count);
}

static const struct record *wfirst(const struct detect_window *w, const struct family *f)
{
	return *(const struct record *const *)((const char *)w + f->off_first);
}

json_t *detect_window_json(const struct detect_window *w)
{
	json_t *o = json_object();
	record_json_put_int(o, "pid", w->pid);
	record_json_put_int(o, "elapsed", w->elapsed->id);
	record_json_put_int(o, "start_record", w->start_call->id);
	record_json_put_int(o, "stop_record", w->stop_call->id);
	record_json_put_int(o, "stream", w->stream);
	if (w->stop_stream != w->stream)
		record_json_put_int(o, "stop_stream", w->stop_stream);
	record_json_put_int(o, "thread", w->thread);
	record_json_put_real(o, "reported_ns", w->reported_ns);
	record_json_put_int(o, "window_start", w->window_start);
	record_json_put_int(o, "window_end", w->window_end);
	json_object_set_new(o, "judged", json_boolean(w->judged));
	if (w->judged) {
		json_object_set_new(o, "work", json_integer(w->work));
		json_object_set_new(o, "busy_ns", json_real(w->busy_ns));
		record_json_put_real(o, "ratio", w->ratio);
		json_object_set_new(o, "escaped", json_integer(w->escaped));
		json_object_set_new(o, "escaped_ns", json_real(w->escaped_ns));
		json_object_set_new(o, "foreign", json_integer(w->foreign));
		json_object_set_new(o, "deferred", json_integer(w->deferred));
	}
	return o;
}

/* One finding per (family, pid): a benchmark reads thousands of windows. */
static void emit_family(const struct family *f, const struct detect_window *w, size_t nw,
			struct record_list *out)
{
	size_t i = 0;
	while (i < nw) {
		int64_t pid = w[i].pid;
		size_t j = i, of = 0, hit = 0;
		double esc_ns = 0;
		json_t *ex = json_array();
		struct detect_ids ids;
		detect_ids_init(&ids);
		const struct detect_window *first = NULL;
		for (; j < nw && w[j].pid == pid; j++) {
			if (!w[j].judged)
				continue;
			of++;
			if (wcount(&w[j], f) == 0)
				continue;
			hit++;
			esc_ns += w[j].escaped_ns;
			if (!first)
				first = &w[j];
			if (json_array_size(ex) < OBSERVE_EXAMPLES) {
				json_array_append_new(ex, detect_window_json(&w[j]));
				detect_ids_add(&ids, w[j].elapsed);
				detect_ids_add(&ids, wfirst(&w[j], f));
			}
		}
		if (hit) {
			json_t *ev = json_object();
			json_object_set_new(ev, "pid", json_integer(pid));
			json_object_set_new(ev, "windows", json_integer((json_int_t)hit));
			json_object_set_new(ev, "of", json_integer((json_int_t)of));
			json_object_set_new(ev, "slack_ns", json_integer(OBSERVE_SLACK_NS));
			if (f->off_count == offsetof(struct detect_window, escaped))
				json_object_set_new(ev, "escaped_ns", json_real(esc_ns));
			json_object_set_new(ev, "examples", ex);
			detect_ids_into(&ids, ev);
			detect_emit(out, REC_NONE, IMPL_HARNESS, f->code, REC_NONE, REC_NONE,
				    REC_NONE, ev,
				    "pid %lld: %zu of %zu timing windows: %s (first: elapsed record "
				    "%lld, %.4g ms reported, work busy %.4g ms)",
				    (long long)pid, hit, of, f->what, (long long)first->elapsed->id,
				    first->reported_ns / 1e6, first->busy_ns / 1e6);
		} else {
			json_decref(ex);
			json_decref(ids.ids);
		}
		i = j;
	}
}

static int cmp_window_pid(const void *x, const void *y)
{
	const struct detect_window *a = x, *b = y;
	if (a->pid != b->pid)
		return (a->pid > b->pid) - (a->pid < b->pid);
	return (a->elapsed->id > b->elapsed->id) - (a->elapsed->id < b->elapsed->id);
}

void detect_observe_findings(const struct record *const *recs, size_t n,
			     struct record_list *out)
{
	struct detect_window *w = NULL;
	struct detect_observe_totals t;
	size_t nw = detect_observe_windows(recs, n, &w, &t);
	xsort(w, nw, sizeof *w, cmp_window_pid);
	for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
		emit_family(&families[i], w, nw, out);
	/* What the records cannot prove: processes CUPTI refused, windows
	 * without device timestamps. */
	for (size_t i = 0; i < n; i++) {
		const struct record *r = recs[i];
		if (r->type != REC_PROCESS || r->u.process.subscribed != 0)
			continue;
		json_t *ev = json_pack("{s:I, s:[I]}", "pid", (json_int_t)r->u.process.pid,
				       "records", (json_int_t)r->id);
		detect_emit(out, REC_NONE, IMPL_NONE, "trace-incomplete", REC_NONE, REC_NONE,
			    REC_NONE, ev, "pid %lld: CUPTI refused kaudit's subscription (%s): "
			    "none of its GPU work was seen", (long long)r->u.process.pid,
			    r->u.process.message ? r->u.process.message : "no reason given");
	}
	if (t.unjudged) {
		json_t *ev = json_pack("{s:I, s:I}", "unjudged", (json_int_t)t.unjudged,
				       "windows", (json_int_t)nw);
		detect_emit(out, REC_NONE, IMPL_NONE, "trace-incomplete", REC_NONE, REC_NONE,
			    REC_NONE, ev, "%zu of %zu timing windows have no device timestamp "
			    "for an event: what they covered cannot be judged", t.unjudged, nw);
	}
	free(w);
}

int detect_is_observation(const struct record *const *recs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (recs[i]->type == REC_PROCESS || recs[i]->type == REC_ELAPSED)
			return 1;
	return 0;
}

void detect_observe(const struct detect_index *ix, struct record_list *out)
{
	if (!ix->audit_wide || !detect_is_observation(ix->global, ix->nglobal))
		return;
	detect_observe_findings(ix->global, ix->nglobal, out);
}
