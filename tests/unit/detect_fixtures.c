/* detect_fixtures.c - builders of synthetic audits (detect_fixtures.h). */
#include "detect_fixtures.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect.h"

void detfix_init(struct detfix *f)
{
	memset(f, 0, sizeof *f);
	f->next_id = 1; /* 0 is the header */
	f->next_corr = 1;
	f->t = 1000000;
}

void detfix_free(struct detfix *f)
{
	record_list_free(&f->l);
}

struct record *detfix_add(struct detfix *f, enum record_type t, int64_t case_index,
			  enum record_impl impl, int64_t call, enum record_phase phase)
{
	struct record r;
	record_init(&r, t);
	r.id = f->next_id++;
	r.case_index = case_index;
	r.impl = impl;
	r.call = call;
	r.phase = phase;
	record_list_push(&f->l, &r);
	return &f->l.v[f->l.n - 1];
}

struct record *detfix_device(struct detfix *f, double peak_bw)
{
	struct record *d = detfix_add(f, REC_DEVICE, REC_NONE, IMPL_NONE, REC_NONE, PHASE_SETUP);
	d->u.device.name = strdup("Synthetic GPU");
	d->u.device.peak_bw = peak_bw;
	return d;
}

struct record *detfix_case(struct detfix *f, int64_t c, double claimed, int64_t elems)
{
	struct record *k = detfix_add(f, REC_CASE, c, IMPL_NONE, REC_NONE, PHASE_SETUP);
	k->u.kase.kernel = strdup("synthetic");
	k->u.kase.params = json_pack("{sI}", "N", (json_int_t)elems);
	k->u.kase.buffers = json_pack("[{ss ss ss s[I] sI}, {ss ss ss s[I] sI}]",
				      "name", "x", "role", "in", "dtype", "f32", "shape",
				      (json_int_t)elems, "bytes", (json_int_t)(4 * elems),
				      "name", "y", "role", "out", "dtype", "f32", "shape",
				      (json_int_t)elems, "bytes", (json_int_t)(4 * elems));
	k->u.kase.seed = 12345 + c;
	k->u.kase.claimed = claimed;
	k->u.kase.rtol = 1e-5;
	k->u.kase.atol = 1e-6;
	k->u.kase.deterministic = 1;
	return k;
}

struct record *detfix_api(struct detfix *f, int64_t c, enum record_impl impl, int64_t call,
			  const char *name, int64_t stream, int64_t event, int64_t at,
			  int in_call)
{
	struct record *a = detfix_add(f, REC_API, c, impl, call, PHASE_TIMING);
	a->u.api.name = strdup(name);
	a->u.api.thread = DETFIX_THREAD;
	a->u.api.start = at;
	a->u.api.end = at < INT64_MAX - 500 ? at + 500 : at; /* forged-value tests */
	a->u.api.corr = f->next_corr++;
	a->u.api.stream = stream;
	a->u.api.event = event;
	a->u.api.in_call = in_call;
	return a;
}

void detfix_launch(struct detfix *f, int64_t c, enum record_impl impl, int64_t call,
		   int64_t stream, int64_t start, int64_t end, int in_call)
{
	struct record *a = detfix_api(f, c, impl, call, "cudaLaunchKernel", stream, REC_NONE,
				      start > INT64_MIN + 3000 ? start - 3000 : start, in_call);
	int64_t corr = a->u.api.corr;
	struct record *k = detfix_add(f, REC_KERNEL, c, impl, call, PHASE_TIMING);
	k->u.kernel.name = strdup("work_kernel");
	k->u.kernel.stream = stream;
	k->u.kernel.start = start;
	k->u.kernel.end = end;
	k->u.kernel.corr = corr;
}

static void role_event(struct detfix *f, int64_t c, int64_t call, const char *role,
		       int64_t ts)
{
	struct record *e = detfix_add(f, REC_EVENT, c, IMPL_HARNESS, call, PHASE_TIMING);
	e->u.event.event = strcmp(role, "start") == 0 ? 1 : 2;
	e->u.event.stream = DETFIX_HARNESS_STREAM;
	e->u.event.ts = ts;
	e->u.event.role = strdup(role);
}

struct record *detfix_timed_call(struct detfix *f, int64_t c, enum record_impl impl,
				 int64_t call, int64_t round, int64_t index, int64_t t0,
				 int64_t kernel_ns, int traced)
{
	role_event(f, c, call, "start", t0);
	if (traced)
		detfix_launch(f, c, impl, call, DETFIX_HARNESS_STREAM, t0, t0 + kernel_ns, 1);
	role_event(f, c, call, "stop", t0 + kernel_ns);
	struct record *s = detfix_add(f, REC_SAMPLE, c, impl, call, PHASE_TIMING);
	struct rec_sample *m = &s->u.sample;
	m->round = round;
	m->index = index;
	m->input_set = index % 4;
	m->event_ns = (double)kernel_ns;
	m->span_ns = traced ? (double)kernel_ns : NAN;
	m->window_start = t0;
	m->window_end = t0 + kernel_ns;
	m->kernels = traced ? 1 : 0;
	m->kernel_ns = traced ? (double)kernel_ns : 0;
	m->bytes = 0;
	m->checked = 0;
	m->traced = traced;
	return s;
}

struct record *detfix_check(struct detfix *f, int64_t c, enum record_impl impl,
			    int64_t call, const char *kind, int ok, int64_t trial)
{
	struct record *k = detfix_add(f, REC_CHECK, c, impl, call, PHASE_CORRECTNESS);
	k->u.check.kind = strdup(kind);
	k->u.check.trial = trial;
	k->u.check.buffer = strdup("y");
	k->u.check.ok = ok;
	k->u.check.count = 1024;
	k->u.check.mismatches = ok ? 0 : 17;
	return k;
}

void detfix_trial_call(struct detfix *f, int64_t c, enum record_impl impl, int64_t call,
		       int64_t trial, int64_t t0, int64_t kernel_ns)
{
	size_t first = f->l.n;
	detfix_launch(f, c, impl, call, DETFIX_HARNESS_STREAM, t0, t0 + kernel_ns, 1);
	for (size_t i = first; i < f->l.n; i++)
		f->l.v[i].phase = PHASE_CORRECTNESS;
	if (impl == IMPL_CANDIDATE) {
		struct record *k = detfix_check(f, c, impl, call, "compare", 1, trial);
		k->u.check.detail = json_pack("{sf sf sf}", "ref_min", -3.0, "ref_max", 3.0,
					      "ref_absmax", 3.0);
	}
}

int64_t detfix_honest_case(struct detfix *f, int64_t c, double claimed, int64_t base_ns,
			   int64_t cand_ns, int trials, int rounds, int per_round)
{
	detfix_case(f, c, claimed, 1 << 20);
	int64_t call = 0;
	for (int t = 0; t < trials; t++) {
		detfix_trial_call(f, c, IMPL_BASELINE, call++, t, f->t, base_ns);
		f->t += base_ns + 50000;
		detfix_trial_call(f, c, IMPL_CANDIDATE, call++, t, f->t, cand_ns);
		f->t += cand_ns + 50000;
	}
	int64_t index = 0;
	for (int r = 0; r < rounds; r++)
		for (int i = 0; i < per_round; i++) {
			/* +-1% jitter, the same every run. */
			int64_t j = (int64_t)((i * 7 + r * 3) % 5) - 2;
			int64_t b = base_ns + base_ns * j / 200, k = cand_ns + cand_ns * j / 200;
			detfix_timed_call(f, c, IMPL_BASELINE, call++, r, index++, f->t, b, 1);
			f->t += b + 50000;
			detfix_timed_call(f, c, IMPL_CANDIDATE, call++, r, index++, f->t, k, 1);
			f->t += k + 50000;
		}
	return call;
}

size_t detfix_count(const struct record_list *l, const char *code, int64_t c,
		    enum record_impl i)
{
	size_t n = 0;
	for (size_t k = 0; k < l->n; k++) {
		const struct record *r = &l->v[k];
		if (r->type == REC_FINDING && strcmp(r->u.finding.code, code) == 0 &&
		    (c == REC_NONE || r->case_index == c) && (i == IMPL_NONE || r->impl == i))
			n++;
	}
	return n;
}

const struct record *detfix_find(const struct record_list *l, const char *code)
{
	for (size_t k = 0; k < l->n; k++)
		if (l->v[k].type == REC_FINDING && strcmp(l->v[k].u.finding.code, code) == 0)
			return &l->v[k];
	return NULL;
}

void detfix_detect(const struct detfix *f, struct record_list *out)
{
	memset(out, 0, sizeof *out);
	if (detect_all(f->l.v, f->l.n, out) != 0)
		abort();
}
