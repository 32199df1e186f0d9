/*
 * escape.c - timing-escape: GPU work of a timed call that ran before its
 * start event or after its stop event, so the harness's timer did not
 * measure it (work pushed into the next call, a side stream still running
 * at the stop event, a deferred launch).
 */
#include <string.h>

#include "detect/detect_private.h"

/* CUDA event timestamps and CUPTI activity timestamps come from the same
 * GPU global timer, but event completion is stamped when the event is
 * processed, and on some GPUs the timer advances in steps of up to 1 us.
 * Work edges closer than this to the window are jitter, not an escape. */
#define ESCAPE_SLACK_NS 1000

/* If most timed calls of BOTH sides have no GPU work inside their window
 * at all, the window's clock (CUDA event device timestamps) and the
 * activity clock disagree: an honest baseline's kernels cannot all run
 * outside the events that bracket them.  Then nothing can be judged, and
 * the case gets trace-incomplete instead of a timing-escape for every call.
 * One side alone outside its windows is what an escape looks like. */
#define ESCAPE_CLOCK_DISJOINT_FRACTION 0.5

struct escape {
	int64_t call, sample, window_start, window_end, calls;
	int64_t worked, disjoint; /* timed calls with GPU work; with none inside */
	double escaped_ns;
	struct detect_ids ids;
	int found;
};

/* Nanoseconds of [s, e) outside [ws, we].  In double: a forged trace's
 * timestamps must not overflow. */
static double outside(double s, double e, double ws, double we)
{
	double o = 0;
	if (s < ws)
		o += (e < ws ? e : ws) - s;
	if (e > we)
		o += e - (s > we ? s : we);
	return o;
}

static void judge_call(const struct detect_call *k, struct escape *x)
{
	const struct rec_sample *sm = &k->sample->u.sample;
	int64_t ws = sm->window_start, we = sm->window_end;
	double esc = 0;
	int64_t work = 0, inside = 0;
	struct detect_ids ids;
	detect_ids_init(&ids);
	for (size_t i = 0; i < k->n; i++) {
		const struct record *r = k->recs[i];
		if (!detect_is_gpu_work(r) || r->impl != k->impl)
			continue;
		double s = (double)detect_work_start(r), e = (double)detect_work_end(r);
		work++;
		inside += e > (double)ws && s < (double)we;
		if (s >= (double)ws - ESCAPE_SLACK_NS && e <= (double)we + ESCAPE_SLACK_NS)
			continue;
		esc += outside(s, e, (double)ws, (double)we);
		detect_ids_add(&ids, r);
	}
	x->worked += work > 0;
	x->disjoint += work > 0 && inside == 0;
	if (ids.total == 0) {
		json_decref(ids.ids);
		return;
	}
	x->calls++;
	if (x->found) {
		json_decref(ids.ids);
		return;
	}
	x->found = 1;
	x->call = k->call;
	x->sample = sm->index;
	x->escaped_ns = esc;
	x->window_start = ws;
	x->window_end = we;
	detect_ids_add(&ids, k->sample);
	x->ids = ids;
}

static int clocks_disagree(const struct escape *esc)
{
	for (int impl = IMPL_BASELINE; impl <= IMPL_CANDIDATE; impl++)
		if (esc[impl].worked == 0 ||
		    (double)esc[impl].disjoint <
			    ESCAPE_CLOCK_DISJOINT_FRACTION * (double)esc[impl].worked)
			return 0;
	return 1;
}

static void emit_clock_mismatch(const struct detect_case *c, struct escape *esc,
				struct record_list *out)
{
	json_t *ev = json_object();
	json_object_set_new(ev, "reason", json_string("clock-mismatch"));
	json_object_set_new(ev, "baseline_disjoint", json_integer(esc[IMPL_BASELINE].disjoint));
	json_object_set_new(ev, "baseline_timed", json_integer(esc[IMPL_BASELINE].worked));
	json_object_set_new(ev, "candidate_disjoint",
			    json_integer(esc[IMPL_CANDIDATE].disjoint));
	json_object_set_new(ev, "candidate_timed", json_integer(esc[IMPL_CANDIDATE].worked));
	detect_emit(out, c->case_index, IMPL_NONE, "trace-incomplete", REC_NONE, REC_NONE,
		    REC_NONE, ev,
		    "the timed windows' clock disagrees with the activity clock: most timed "
		    "calls of both sides have no GPU work inside their window, so "
		    "timing-escape cannot be judged");
	for (int impl = IMPL_BASELINE; impl <= IMPL_CANDIDATE; impl++)
		if (esc[impl].found)
			json_decref(esc[impl].ids.ids);
}

void detect_timing_escape(const struct detect_index *ix, struct record_list *out)
{
	for (size_t ci = 0; ci < ix->ncases; ci++) {
		const struct detect_case *c = &ix->cases[ci];
		struct escape esc[IMPL_HARNESS + 1];
		memset(esc, 0, sizeof esc);
		for (size_t i = 0; i < c->ncalls; i++) {
			const struct detect_call *k = &c->calls[i];
			if ((k->impl != IMPL_BASELINE && k->impl != IMPL_CANDIDATE) ||
			    !k->sample || k->sample->u.sample.window_start == REC_NONE ||
			    k->sample->u.sample.window_end == REC_NONE)
				continue;
			judge_call(k, &esc[k->impl]);
		}
		if (clocks_disagree(esc)) {
			emit_clock_mismatch(c, esc, out);
			continue;
		}
		for (int impl = IMPL_BASELINE; impl <= IMPL_CANDIDATE; impl++) {
			struct escape *x = &esc[impl];
			if (!x->found)
				continue;
			json_t *ev = json_object();
			json_object_set_new(ev, "escaped_ns", json_real(x->escaped_ns));
			json_object_set_new(ev, "window_start", json_integer(x->window_start));
			json_object_set_new(ev, "window_end", json_integer(x->window_end));
			json_object_set_new(ev, "slack_ns", json_integer(ESCAPE_SLACK_NS));
			json_object_set_new(ev, "calls", json_integer(x->calls));
			detect_ids_into(&x->ids, ev);
			detect_emit(out, c->case_index, (enum record_impl)impl, "timing-escape",
				    x->call, REC_NONE, x->sample, ev,
				    "%s: %.0f ns of GPU work of timed call %lld ran outside its "
				    "timed window (%lld timed call%s affected)",
				    record_impl_name((enum record_impl)impl),
				    x->escaped_ns, (long long)x->call,
				    (long long)x->calls, x->calls == 1 ? "" : "s");
		}
	}
}
