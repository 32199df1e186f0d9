/*
 * check_trace.c - check's judgement on one trace (check_trace.h): one
 * streaming pass (trace_stream) in which the summary, the detectors and
 * check_keep take each case, then - only once the reader has said whether
 * the whole trace is intact - the strict judgement, the header's
 * selection, the signer and the status.
 *
 * Exit code: 0 intact, consistent, and (with --pubkey or a trust store)
 * signed by a trusted key; 4 otherwise; with --expect, 1 when a kernel's
 * `expect` does not hold.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/check_trace.h"

static void feed_common(struct check_feed *f, const struct record *r)
{
	if (r->type == REC_DEVICE && !f->has_device) {
		record_copy(&f->device, r);
		f->has_device = 1;
	}
	if (r->type == REC_CASE) {
		check_keep_case(f->keep, r);
		check_selection_case(&f->sel, r);
	}
}

static void feed_record(void *ctx, const struct record *r)
{
	struct check_feed *f = ctx;
	trace_summary_acc_record(f->sum, r);
	if (!f->seen_any && r->type == REC_HEADER) {
		record_copy(&f->header, r);
		f->has_header = 1;
		check_selection_begin(&f->sel, &f->header.u.header);
	}
	f->seen_any = 1;
	observe_keep_record(&f->obs, r);
	if (!f->det) /* a trace from before the header kept a margin: verify's default */
		f->det = detect_stream_new(f->has_header ? f->header.u.header.margin : NAN);
	feed_common(f, r);
	if (r->type == REC_FINDING || r->type == REC_VERDICT)
		check_keep_stored(f->keep, r);
	else
		detect_stream_global(f->det, r);
}

static void feed_case(void *ctx, const struct record *recs, size_t n)
{
	struct check_feed *f = ctx;
	trace_summary_acc_case(f->sum, recs, n);
	if (!f->det)
		f->det = detect_stream_new(NAN);
	f->seen_any = 1;
	detect_stream_case(f->det, recs, n);
	for (size_t i = 0; i < n; i++)
		feed_common(f, &recs[i]);
}

static void feed_release(struct check_feed *f)
{
	trace_summary_acc_free(f->sum);
	detect_stream_free(f->det);
	check_keep_free(f->keep);
	check_selection_release(&f->sel);
	observe_keep_free(&f->obs);
	if (f->has_header)
		record_clear(&f->header);
	if (f->has_device)
		record_clear(&f->device);
}

int check_trace_run(const char *path, const struct check_opts *o, struct check_trace *t,
		    struct errbuf *e)
{
	memset(t, 0, sizeof *t);
	struct check_feed *f = &t->f;
	f->sum = trace_summary_acc_new();
	f->keep = check_keep_new();
	if (o->on_verdict)
		check_keep_on_verdict(f->keep, o->on_verdict, o->ctx);
	if (o->brief)
		trace_summary_acc_brief(f->sum);
	struct trace_visitor v = { f, feed_record, feed_case };
	if (trace_stream(path, &v, &t->c, e) < 0) {
		feed_release(f);
		memset(t, 0, sizeof *t);
		return -1;
	}
	t->summary = trace_summary_acc_finish_head(f->sum, &t->c); /* cases: one at a time */
	json_t *obs = observe_keep_summary(&f->obs);
	if (obs)
		json_object_set_new(t->summary, "observation", obs);
	inspect_signer_judge(&t->c, o->trust, &t->sg);
	struct errbuf ie = { "", 0 };
	t->intact = trace_integrity(&t->c, NULL, &ie) == 0;
	if (!t->intact)
		snprintf(t->problem, sizeof t->problem, "%s", ie.msg);

	/* Judge everything first: the status line says how it ended. */
	check_strict_init(&t->s);
	t->expectations = json_array();
	if (t->intact) {
		if (!f->det)
			f->det = detect_stream_new(NAN);
		if (check_keep_judge(f->keep, f->det, t->c.statement, t->c.pred_cases,
				     f->has_header ? &f->header.u.header : NULL,
				     f->has_device ? &f->device.u.device : NULL, &t->s,
				     t->expectations, &t->nexp, &t->nfailed) < 0)
			t->detectors_failed = 1;
		else
			t->analysed = 1;
		check_selection_end(&f->sel, &t->s);
	}

	struct inspect_status *st = &t->st;
	const struct inspect_signer *sg = &t->sg;
	const struct check_strict *s = &t->s;
	char *why = t->why;
	size_t nwhy = sizeof t->why;
	st->level = INSPECT_OK;
	t->rc = EXIT_OK;
	if (!t->intact) {
		inspect_damage_text(t->summary, st->text, sizeof st->text);
		snprintf(why, nwhy, "%s", t->problem);
	} else if (!sg->trusted && sg->required) {
		snprintf(st->text, sizeof st->text, "UNTRUSTED: %s", sg->text);
		snprintf(why, nwhy, "%s", sg->full);
	} else if (t->detectors_failed) {
		snprintf(st->text, sizeof st->text, "FAILED: the detectors failed on these records");
		snprintf(why, nwhy, "the detectors failed on these records");
	} else if (s->n) {
		snprintf(st->text, sizeof st->text, "CONTRADICTED: %zu stored value%s not what the "
			 "records give", s->n, s->n == 1 ? " is" : "s are");
		snprintf(why, nwhy, "%zu stored value%s not what the records give (%s)", s->n,
			 s->n == 1 ? " is" : "s are", s->first);
	}
	if (why[0]) {
		st->level = INSPECT_FAIL;
		t->rc = EXIT_INTEGRITY;
	} else if (!sg->trusted) {
		st->level = INSPECT_WARN;
		snprintf(st->text, sizeof st->text, "intact and consistent, but signed by an "
			 "UNTRUSTED key: no trust store or --pubkey says who signed it");
	} else {
		snprintf(st->text, sizeof st->text, "valid: intact, signed by %s, every conclusion "
			 "re-derived", sg->name);
	}
	/* A valid trace of records nobody measured on kaudit's plugin is still
	 * no measurement: the status says so (the exit code is the trace's
	 * validity, kaudit(1) EXIT STATUS). */
	if (!why[0] && (json_is_true(json_object_get(t->summary, "stand_in")) ||
			json_is_true(json_object_get(t->summary, "synthetic")))) {
		size_t l = strlen(st->text);
		snprintf(st->text + l, sizeof st->text - l, "; but %s",
			 json_is_true(json_object_get(t->summary, "synthetic"))
			 ? "SYNTHETIC: the records are made up, not measured"
			 : "STAND-IN: not measured by kaudit's own GPU plugin");
		st->level = INSPECT_WARN;
	}
	if (t->rc == EXIT_OK && o->expect && t->nfailed)
		t->rc = EXIT_NOT_REPRODUCED;
	return 0;
}

void check_trace_release(struct check_trace *t)
{
	json_decref(t->expectations);
	check_strict_release(&t->s);
	json_decref(t->summary);
	feed_release(&t->f);
	trace_contents_free(&t->c);
	memset(t, 0, sizeof *t);
}
