/*
 * streams.c - foreign-stream: GPU work of an implementation call on a
 * stream other than the harness's that was not joined back before the
 * entry returned (launcher ABI, DESIGN section 4).  Such work is not
 * ordered before the harness's stop event, so the timer may not see it.
 *
 * The harness stream of a call is the stream of its start/stop event
 * records (role start/stop).  An untimed call (a correctness trial) has
 * none: it uses the stream most of the case's start/stop events were on,
 * else the stream most of the harness's own kernels (poison fills) ran
 * on - kernels only: the copies the GPU plugin files as the harness's are
 * the driver's module loads, on a stream of the driver's (FACTS.md Q9).  It is never inferred from the implementation's own launches, which
 * a cheat controls.  A case with none of these is not judged.
 *
 * A side stream S is joined back when, after its last work was enqueued,
 * an event E was recorded on S (cudaEventRecord/cuEventRecord api, or an
 * event record whose device timestamp follows S's last work) and, later
 * and still inside the call, the harness stream waited on E
 * (cudaStreamWaitEvent/cuStreamWaitEvent api, or a sync record of kind
 * stream_wait).
 */
#include <stdlib.h>
#include <string.h>

#include "detect/detect_private.h"

static int is_role_event(const struct record *r)
{
	const char *role = r->u.event.role;
	return r->type == REC_EVENT && role &&
	       (strcmp(role, "start") == 0 || strcmp(role, "stop") == 0) &&
	       r->u.event.stream != REC_NONE;
}

/* The fallback harness stream of case C (see the comment at the top). */
static int64_t case_harness_stream(const struct detect_case *c)
{
	int64_t *v = xmalloc((c->n ? c->n : 1) * sizeof *v);
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++)
		if (is_role_event(c->recs[i]))
			v[n++] = c->recs[i]->u.event.stream;
	if (n == 0)
		for (size_t i = 0; i < c->n; i++) {
			const struct record *r = c->recs[i];
			if (r->impl == IMPL_HARNESS && r->type == REC_KERNEL &&
			    detect_work_stream(r) != REC_NONE)
				v[n++] = detect_work_stream(r);
		}
	int64_t s = detect_mode_i64(v, n);
	free(v);
	return s;
}

static int64_t call_harness_stream(const struct detect_call *k, int64_t fallback)
{
	for (size_t i = 0; i < k->n; i++)
		if (is_role_event(k->recs[i]))
			return k->recs[i]->u.event.stream;
	return fallback;
}

/* An event recorded on a stream: host time of the api call, or the
 * device timestamp of the event record (the other one REC_NONE). */
struct recording {
	int64_t stream, event, host, dev;
};

struct keyed {
	int64_t key, val;
};

static int cmp_keyed(const void *pa, const void *pb)
{
	const struct keyed *a = pa, *b = pb;
	if (a->key != b->key)
		return (a->key > b->key) - (a->key < b->key);
	return (a->val > b->val) - (a->val < b->val);
}

static int cmp_recording(const void *pa, const void *pb)
{
	const struct recording *a = pa, *b = pb;
	return (a->stream > b->stream) - (a->stream < b->stream);
}

static int cmp_work_stream(const void *pa, const void *pb)
{
	const struct record *a = *(const struct record *const *)pa;
	const struct record *b = *(const struct record *const *)pb;
	int64_t x = detect_work_stream(a), y = detect_work_stream(b);
	if (x != y)
		return (x > y) - (x < y);
	return (a > b) - (a < b);
}

/* Last element of sorted V with key K, or NULL (V holds the maximum value
 * per key last because ties sort by value). */
static const struct keyed *find_last(const struct keyed *v, size_t n, int64_t k)
{
	size_t lo = 0, hi = n;
	while (lo < hi) { /* first index with key > k */
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].key <= k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && v[lo - 1].key == k ? &v[lo - 1] : NULL;
}

static const struct keyed *find_first(const struct keyed *v, size_t n, int64_t k)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].key < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo].key == k ? &v[lo] : NULL;
}

static int name_has(const struct record *r, const char *s)
{
	return r->u.api.name && strstr(r->u.api.name, s);
}

/* The call's bookkeeping, built once per call. */
struct call_view {
	struct keyed *api;     /* (corr, host start) of every api record */
	size_t napi;
	struct keyed *waits;   /* (event, host time) the harness stream waited on */
	size_t nwaits;
	struct recording *recs; /* events recorded, by stream */
	size_t nrecs;
	const struct record **work; /* the impl's work off the harness stream */
	size_t nwork;
};

static void view_build(struct call_view *v, const struct detect_call *k, int64_t h)
{
	size_t n = k->n ? k->n : 1;
	v->api = xmalloc(n * sizeof *v->api);
	v->waits = xmalloc(n * sizeof *v->waits);
	v->recs = xmalloc(n * sizeof *v->recs);
	v->work = xmalloc(n * sizeof *v->work);
	v->napi = v->nwaits = v->nrecs = v->nwork = 0;
	for (size_t i = 0; i < k->n; i++) {
		const struct record *r = k->recs[i];
		if (r->type == REC_API) {
			const struct rec_api *a = &r->u.api;
			if (a->corr != REC_NONE)
				v->api[v->napi++] = (struct keyed){ a->corr, a->start };
			if (a->in_call == 0 || a->event == REC_NONE || a->stream == REC_NONE)
				continue;
			if (name_has(r, "StreamWaitEvent") && a->stream == h)
				v->waits[v->nwaits++] = (struct keyed){ a->event, a->start };
			else if (name_has(r, "EventRecord"))
				v->recs[v->nrecs++] = (struct recording){ a->stream, a->event,
									   a->start, REC_NONE };
		} else if (r->type == REC_SYNC) {
			const struct rec_sync *s = &r->u.sync;
			/* Without a host time the order is unknown: give it the
			 * benefit of the doubt (latest possible). */
			if (s->kind && strcmp(s->kind, "stream_wait") == 0 && s->stream == h &&
			    s->event != REC_NONE)
				v->waits[v->nwaits++] = (struct keyed){
					s->event, s->start != REC_NONE ? s->start : INT64_MAX };
		} else if (r->type == REC_EVENT && !is_role_event(r)) {
			const struct rec_event *e = &r->u.event;
			if (e->stream != REC_NONE && e->event != REC_NONE && e->ts != REC_NONE)
				v->recs[v->nrecs++] = (struct recording){ e->stream, e->event,
									   REC_NONE, e->ts };
		} else if (detect_is_gpu_work(r) && r->impl == k->impl) {
			int64_t s = detect_work_stream(r);
			if (s != REC_NONE && s != h)
				v->work[v->nwork++] = r;
		}
	}
	xsort(v->api, v->napi, sizeof *v->api, cmp_keyed);
	xsort(v->waits, v->nwaits, sizeof *v->waits, cmp_keyed);
	xsort(v->recs, v->nrecs, sizeof *v->recs, cmp_recording);
	xsort(v->work, v->nwork, sizeof *v->work, cmp_work_stream);
}

static void view_free(struct call_view *v)
{
	free(v->api);
	free(v->waits);
	free(v->recs);
	free(v->work);
}

/* Whether side stream S, whose last work was enqueued at host time ENQ
 * (REC_NONE if unknown) and ended at device time END, was joined back. */
static int joined(const struct call_view *v, int64_t s, int64_t enq, int64_t end)
{
	/* Recordings on S: a contiguous run of the stream-sorted array. */
	size_t lo = 0, hi = v->nrecs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v->recs[mid].stream < s)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < v->nrecs && v->recs[i].stream == s; i++) {
		const struct recording *rc = &v->recs[i];
		const struct keyed *w = find_last(v->waits, v->nwaits, rc->event);
		if (!w)
			continue;
		if (rc->host != REC_NONE) {
			if ((enq == REC_NONE || rc->host > enq) && w->val > rc->host)
				return 1;
		} else if (rc->dev >= end) {
			return 1;
		}
	}
	return 0;
}

/* If most calls of BOTH sides run none of their work on the harness
 * stream, the stream ids of the harness's events and of the activity are
 * not in one id space (an honest baseline runs on the stream it is given):
 * the case gets trace-incomplete instead of a foreign-stream for every call.
 * One side alone off the harness stream is what the finding is for. */
#define STREAM_MISMATCH_FRACTION 0.5

/* The first unjoined side stream of one call, for the finding. */
struct offence {
	int64_t call, stream, harness, kernels, calls;
	int64_t worked, off; /* calls with GPU work; with none on the harness stream */
	double busy_ns;
	struct detect_ids ids;
	int found;
};

static void judge_call(const struct detect_call *k, int64_t h, struct offence *o)
{
	struct call_view v;
	view_build(&v, k, h);
	size_t on_harness = 0, work = 0;
	for (size_t i = 0; i < k->n; i++)
		if (detect_is_gpu_work(k->recs[i]) && k->recs[i]->impl == k->impl) {
			work++;
			on_harness += detect_work_stream(k->recs[i]) == h;
		}
	o->worked += work > 0;
	o->off += work > 0 && on_harness == 0;
	int hit = 0;
	for (size_t i = 0; i < v.nwork;) {
		int64_t s = detect_work_stream(v.work[i]);
		size_t j = i;
		int64_t enq = REC_NONE, end = INT64_MIN;
		for (; j < v.nwork && detect_work_stream(v.work[j]) == s; j++) {
			const struct record *r = v.work[j];
			int64_t corr = r->type == REC_KERNEL   ? r->u.kernel.corr
				       : r->type == REC_MEMCPY ? r->u.memcpy.corr
							       : r->u.memset.corr;
			const struct keyed *a = corr != REC_NONE
				? find_first(v.api, v.napi, corr) : NULL;
			if (a && (enq == REC_NONE || a->val > enq))
				enq = a->val;
			if (detect_work_end(r) > end)
				end = detect_work_end(r);
		}
		if (!joined(&v, s, enq, end)) {
			hit = 1;
			if (!o->found) {
				o->found = 1;
				o->call = k->call;
				o->stream = s;
				o->harness = h;
				detect_ids_init(&o->ids);
				for (size_t t = i; t < j; t++) {
					const struct record *r = v.work[t];
					detect_ids_add(&o->ids, r);
					o->kernels += r->type == REC_KERNEL;
					o->busy_ns += (double)detect_work_end(r) -
						      (double)detect_work_start(r);
				}
			}
		}
		i = j;
	}
	o->calls += hit;
	view_free(&v);
}

static int stream_ids_disagree(const struct offence *off)
{
	for (int impl = IMPL_BASELINE; impl <= IMPL_CANDIDATE; impl++)
		if (off[impl].worked == 0 ||
		    (double)off[impl].off < STREAM_MISMATCH_FRACTION * (double)off[impl].worked)
			return 0;
	return 1;
}

static void emit_stream_mismatch(const struct detect_case *c, struct offence *off,
				 struct record_list *out)
{
	json_t *ev = json_object();
	json_object_set_new(ev, "reason", json_string("stream-mismatch"));
	json_object_set_new(ev, "baseline_off", json_integer(off[IMPL_BASELINE].off));
	json_object_set_new(ev, "baseline_calls", json_integer(off[IMPL_BASELINE].worked));
	json_object_set_new(ev, "candidate_off", json_integer(off[IMPL_CANDIDATE].off));
	json_object_set_new(ev, "candidate_calls", json_integer(off[IMPL_CANDIDATE].worked));
	detect_emit(out, c->case_index, IMPL_NONE, "trace-incomplete", REC_NONE, REC_NONE,
		    REC_NONE, ev,
		    "most calls of both sides ran no work on the harness stream: the "
		    "stream ids of events and activity disagree, so foreign-stream "
		    "cannot be judged");
	for (int impl = IMPL_BASELINE; impl <= IMPL_CANDIDATE; impl++)
		if (off[impl].found)
			json_decref(off[impl].ids.ids);
}

void detect_foreign_stream(const struct detect_index *ix, struct record_list *out)
{
	for (size_t ci = 0; ci < ix->ncases; ci++) {
		const struct detect_case *c = &ix->cases[ci];
		int64_t fallback = case_harness_stream(c);
		struct offence off[IMPL_HARNESS + 1];
		memset(off, 0, sizeof off);
		for (size_t i = 0; i < c->ncalls; i++) {
			const struct detect_call *k = &c->calls[i];
			if (k->impl != IMPL_BASELINE && k->impl != IMPL_CANDIDATE)
				continue;
			int64_t h = call_harness_stream(k, fallback);
			if (h == REC_NONE)
				continue;
			judge_call(k, h, &off[k->impl]);
		}
		if (stream_ids_disagree(off)) {
			emit_stream_mismatch(c, off, out);
			continue;
		}
		for (int impl = IMPL_BASELINE; impl <= IMPL_CANDIDATE; impl++) {
			struct offence *o = &off[impl];
			if (!o->found)
				continue;
			json_t *ev = json_object();
			json_object_set_new(ev, "stream", json_integer(o->stream));
			json_object_set_new(ev, "harness_stream", json_integer(o->harness));
			json_object_set_new(ev, "kernels", json_integer(o->kernels));
			json_object_set_new(ev, "busy_ns", json_real(o->busy_ns));
			json_object_set_new(ev, "calls", json_integer(o->calls));
			detect_ids_into(&o->ids, ev);
			detect_emit(out, c->case_index, (enum record_impl)impl, "foreign-stream",
				    o->call, REC_NONE, REC_NONE, ev,
				    "%s: call %lld ran work on stream %lld that was not joined "
				    "back to the harness stream %lld (%lld call%s affected)",
				    record_impl_name((enum record_impl)impl), (long long)o->call,
				    (long long)o->stream, (long long)o->harness,
				    (long long)o->calls, o->calls == 1 ? "" : "s");
		}
	}
}
