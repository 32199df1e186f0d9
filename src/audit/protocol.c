/*
 * protocol.c - runs one case: plan, load, allocate, correctness, timing.
 * Any failure becomes one `error` record naming where it happened, the
 * implementation and the call (when a call failed), then -1.
 */
#include "audit/audit_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void audit_opts_init(struct audit_opts *o, uint64_t seed, int quick)
{
	memset(o, 0, sizeof *o);
	o->seed = seed;
	o->quick = quick;
	o->trials = 5;
	o->rounds = 3;
	o->noise_target = 0.005;
	o->min_samples = quick ? 5 : 10;
	o->max_samples = quick ? 30 : 200;
	/* A default case must audit in 20 s after compiling (issue target):
	 * 15 s of timing leaves 5 for allocation, inputs and the trials. */
	o->max_seconds = quick ? 5.0 : 15.0;
	o->input_sets = 4;
	o->warmup = quick ? 1 : 3;
	o->controls = quick ? 1 : 3;
	o->check_fraction = 0.25;
	o->emit_case = 1;
}

static int load_impl(struct plan *p, int side, const char *so, struct errbuf *e)
{
	struct plan_side *sd = &p->side[side];
	p->where = "load";
	p->err_impl = sd->impl;
	if (!so)
		return errbuf_set(e, EXIT_NOT_REPRODUCED, "no shared object for the %s",
				  record_impl_name(sd->impl));
	if (p->b->load(p->b->self, so, sd->entry, &sd->bi, e) < 0)
		return -1;
	p->err_impl = IMPL_NONE;
	return 0;
}

/* Emits the error record for a failure already described in E and maps
 * its code onto the worker's: environment stays 3, anything else is 1. */
static void report_failure(struct plan *p, struct errbuf *e)
{
	int code = e->code == EXIT_ENVIRONMENT ? EXIT_ENVIRONMENT : EXIT_NOT_REPRODUCED;
	if (!p->sink_failed) {
		struct record r;
		plan_record(p, &r, REC_ERROR, PHASE_NONE, p->err_impl);
		r.call = p->err_call;
		r.u.error.where = xstrdup(p->where ? p->where : "worker");
		r.u.error.message = xstrdup(e->msg);
		struct errbuf ignored;
		(void)plan_emit(p, &r, &ignored);
	}
	e->code = code;
}

int audit_run_case(const struct backend *b, const struct claim *c, size_t case_index,
		   const struct audit_opts *o, const struct record_sink *sink,
		   struct errbuf *e)
{
	size_t ncases = 0;
	struct claim_case *cases = claim_cases(c, &ncases);
	if (case_index >= ncases) {
		free(cases);
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: no case %zu (the claim has %zu)",
				  c->path ? c->path : "claim", case_index, ncases);
	}
	const struct claim_kernel *k = cases[case_index].kernel;
	const struct claim_params *params = &k->params[cases[case_index].param_index];
	free(cases);

	struct plan p;
	int rc = plan_init(&p, b, k, params, (int64_t)case_index, o, sink, e);
	if (rc == 0 && o->emit_case)
		rc = plan_emit_case(&p, e);
	if (rc == 0)
		rc = load_impl(&p, SIDE_BASE, o->baseline_so, e);
	if (rc == 0)
		rc = load_impl(&p, SIDE_CAND, o->candidate_so, e);
	if (rc == 0) {
		p.where = "setup";
		rc = plan_alloc(&p, e);
	}
	if (rc == 0)
		rc = audit_correctness(&p, e);
	if (rc == 0)
		rc = audit_timing(&p, e);
	if (rc < 0)
		report_failure(&p, e);
	plan_release(&p);
	return rc;
}
