/*
 * stream.c - the analysis of detect_all and detect_verdicts, one case at a
 * time (detect.h).  Every detector reads one case's records, except the
 * audit-wide scope (clock-throttled of the audit's device, trace-incomplete
 * and sandbox-degraded of records with no case), which is judged at the
 * end over the audit-wide records kept (a few per kernel: builds, entry
 * checks, the device).
 *
 * What the end must still do to each case's verdict: its finding codes
 * list the audit-wide findings too, in detect_all's order (detector by
 * detector, a detector's audit-wide finding before its case findings), so
 * each finding keeps the index of the detector that gave it; and an
 * audit-wide invalidating finding (none of today's detectors gives one)
 * would make the case invalid, which depends on nothing else the case's
 * records held.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/detect_private.h"

struct detect_stream {
	double margin;
	struct record_list global;     /* copies of the audit-wide records */
	struct record device;          /* the first audit-wide device record */
	int has_device;
	struct record_list found;      /* case findings, cases in arrival order */
	unsigned char *det;            /* detector index of each found[i] */
	size_t det_cap;
	struct record_list verdicts;   /* one per case, arrival order */
	struct vrange { size_t first, count; } *vr; /* each verdict's findings in FOUND */
	size_t vr_cap;
};

struct detect_stream *detect_stream_new(double margin)
{
	struct detect_stream *s = xcalloc(1, sizeof *s);
	s->margin = margin;
	return s;
}

void detect_stream_global(struct detect_stream *s, const struct record *r)
{
	if (r->case_index != REC_NONE)
		return;
	switch (r->type) {
	case REC_HEADER:
	case REC_FINDING:
	case REC_VERDICT:
	case REC_FOOTER:
	case REC_SIGNATURE:
		return; /* what detect_index_build leaves out */
	default:
		break;
	}
	struct record c;
	record_copy(&c, r);
	record_list_push(&s->global, &c);
	if (r->type == REC_DEVICE && !s->has_device) {
		record_copy(&s->device, r);
		s->has_device = 1;
	}
}

/* Runs every detector over IX, appending to OUT and each finding's
 * detector index to *DET. */
static void run_detectors(const struct detect_index *ix, struct record_list *out,
			  unsigned char **det, size_t *cap)
{
	for (size_t d = 0; detect_detectors[d].name; d++) {
		size_t before = out->n;
		detect_detectors[d].fn(ix, out);
		xgrow((void **)det, cap, out->n ? out->n : 1, 1);
		for (size_t i = before; i < out->n; i++)
			(*det)[i] = (unsigned char)d;
	}
}

void detect_stream_case(struct detect_stream *s, const struct record *recs, size_t n)
{
	struct detect_index ix;
	detect_index_build_scope(&ix, recs, n, s->has_device ? &s->device : NULL, 0);
	size_t first = s->found.n;
	run_detectors(&ix, &s->found, &s->det, &s->det_cap);
	const struct record **mine = xmalloc((s->found.n - first + 1) * sizeof *mine);
	for (size_t ci = 0; ci < ix.ncases; ci++) {
		/* One case, unless the records were out of order (the reader
		 * has then called the trace damaged). */
		size_t m = 0;
		for (size_t i = first; i < s->found.n; i++)
			if (s->found.v[i].case_index == ix.cases[ci].case_index)
				mine[m++] = &s->found.v[i];
		struct record v;
		detect_case_verdict(&ix.cases[ci], mine, m, s->margin, &v);
		xgrow((void **)&s->vr, &s->vr_cap, s->verdicts.n + 1, sizeof *s->vr);
		s->vr[s->verdicts.n] = (struct vrange){ first, s->found.n - first };
		record_list_push(&s->verdicts, &v);
	}
	free(mine);
	detect_index_free(&ix);
}

static void add_code(json_t *a, const char *code)
{
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
		if (strcmp(json_string_value(v), code) == 0)
			return;
	json_array_append_new(a, json_string(code));
}

/* A finding that bears on verdict V: its codes and the first invalidating. */
static void consider(json_t *codes, const struct record **inv, const struct record *f)
{
	if (f->type != REC_FINDING || !f->u.finding.code)
		return;
	add_code(codes, f->u.finding.code);
	if (!*inv && detect_finding_invalidating(f))
		*inv = f;
}

/* V's codes again, with the audit-wide findings WIDE in their place. */
static void complete_verdict(const struct detect_stream *s, struct record *v,
			     const struct vrange *vr, const struct record_list *wide,
			     const unsigned char *wdet)
{
	json_t *codes = json_array();
	const struct record *inv = NULL;
	size_t w = 0, f = vr->first, end = vr->first + vr->count;
	for (size_t d = 0; detect_detectors[d].name; d++) {
		for (; w < wide->n && wdet[w] == d; w++)
			consider(codes, &inv, &wide->v[w]);
		for (; f < end && s->det[f] == d; f++)
			if (s->found.v[f].case_index == v->case_index)
				consider(codes, &inv, &s->found.v[f]);
	}
	json_decref(v->u.verdict.findings);
	v->u.verdict.findings = codes;
	if (inv && inv->case_index == REC_NONE)
		detect_verdict_invalidate(v, inv);
}

struct by_case {
	int64_t case_index;
	size_t at;
};

static int cmp_by_case(const void *x, const void *y)
{
	const struct by_case *a = x, *b = y;
	if (a->case_index != b->case_index)
		return (a->case_index > b->case_index) - (a->case_index < b->case_index);
	return (a->at > b->at) - (a->at < b->at);
}

int detect_stream_finish(struct detect_stream *s, struct record_list *findings,
			 struct record_list *verdicts)
{
	struct detect_index ix;
	detect_index_build_scope(&ix, s->global.v, s->global.n, NULL, 1);
	struct record_list wide = { NULL, 0, 0 };
	unsigned char *wdet = NULL;
	size_t wcap = 0;
	run_detectors(&ix, &wide, &wdet, &wcap);

	size_t n = s->verdicts.n;
	struct by_case *order = xmalloc((n ? n : 1) * sizeof *order);
	for (size_t i = 0; i < n; i++) {
		complete_verdict(s, &s->verdicts.v[i], &s->vr[i], &wide, wdet);
		order[i] = (struct by_case){ s->verdicts.v[i].case_index, i };
	}
	/* detect_verdicts judges cases in ascending case order. */
	xsort(order, n, sizeof *order, cmp_by_case);
	size_t first = verdicts->n;
	for (size_t i = 0; i < n; i++)
		record_list_push(verdicts, &s->verdicts.v[order[i].at]);
	struct record claim;
	if (n == 0 && detect_is_observation(ix.global, ix.nglobal)) {
		const struct record **wf = xmalloc((wide.n ? wide.n : 1) * sizeof *wf);
		for (size_t i = 0; i < wide.n; i++)
			wf[i] = &wide.v[i];
		detect_observe_verdict(ix.global, ix.nglobal, wf, wide.n, &claim);
		free(wf);
	} else {
		/* no case: maybe no array yet, and NULL + 0 is undefined */
		detect_claim_verdict(verdicts->n > first ? verdicts->v + first : NULL,
				     verdicts->n - first, &claim);
	}
	detect_index_free(&ix);
	record_list_push(verdicts, &claim);
	free(order);
	s->verdicts.n = 0; /* moved out */

	for (size_t i = 0; i < wide.n; i++)
		record_list_push(findings, &wide.v[i]);
	for (size_t i = 0; i < s->found.n; i++)
		record_list_push(findings, &s->found.v[i]);
	s->found.n = 0;
	record_list_free(&wide);
	free(wdet);
	return 0;
}

void detect_stream_free(struct detect_stream *s)
{
	if (!s)
		return;
	record_list_free(&s->global);
	if (s->has_device)
		record_clear(&s->device);
	record_list_free(&s->found);
	record_list_free(&s->verdicts);
	free(s->det);
	free(s->vr);
	free(s);
}
