/*
 * stream.c - the analysis of detect_all and detect_verdicts, one case at a
 * time (detect.h).  Every detector reads one case's records, except the
 * audit-wide scope (clock-throttled of the audit's device, trace-incomplete
 * and sandbox-degraded of records with no case), which is judged at the
 * end over the audit-wide records kept (a few per kernel: builds, entry
 * checks, the device).
 *
 * What is kept of a case until the end is a few words: its findings and
 * verdict go to a spill file (trace.h) as their trace lines, and memory
 * holds where they lie plus what the end needs without reading them back
 * (each finding's case, code, detector and whether it invalidates).  So a
 * trace of millions of small cases costs tens of bytes each, not the
 * kilobytes of a jansson tree.
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
#include "trace/trace.h"

/* A case finding, in arrival order. */
struct kept_finding {
	int64_t case_index;
	const char *code;              /* interned (S->codes), NULL if none */
	unsigned char det;             /* the detector that gave it */
	unsigned char invalidating;
	struct trace_spill_item item;
};

/* A case verdict as detect_case_verdict gave it, and the findings
 * (FIRST, COUNT in S->found) of the scope it came from. */
struct kept_verdict {
	int64_t case_index;
	size_t first, count;
	struct trace_spill_item item;
};

struct detect_stream {
	double margin;
	struct record_list global;     /* copies of the audit-wide records */
	struct record device;          /* the first audit-wide device record */
	int has_device;
	struct trace_spill *spill;
	struct kept_finding *found;
	size_t nfound, found_cap;
	struct kept_verdict *verdicts;
	size_t nverdicts, verdicts_cap;
	char **codes;                  /* distinct finding codes seen */
	size_t ncodes, codes_cap;
	/* after detect_stream_end */
	int ended;
	struct record_list wide;       /* the audit-wide findings */
	unsigned char *wdet;
	size_t *forder, *vorder;       /* output orders of FOUND and VERDICTS */
	size_t fnext, vnext;
	struct detect_claim_acc claim_acc;
	struct record claim;
	int claim_given;
};

struct detect_stream *detect_stream_new(double margin)
{
	struct detect_stream *s = xcalloc(1, sizeof *s);
	s->margin = margin;
	s->spill = trace_spill_new();
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

static const char *intern(struct detect_stream *s, const char *code)
{
	if (!code)
		return NULL;
	for (size_t i = 0; i < s->ncodes; i++)
		if (strcmp(s->codes[i], code) == 0)
			return s->codes[i];
	xgrow((void **)&s->codes, &s->codes_cap, s->ncodes + 1, sizeof *s->codes);
	s->codes[s->ncodes] = xstrdup(code);
	return s->codes[s->ncodes++];
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
	if (s->ended)
		return;
	struct detect_index ix;
	detect_index_build_scope(&ix, recs, n, s->has_device ? &s->device : NULL, 0);
	struct record_list out = { NULL, 0, 0 };
	unsigned char *det = NULL;
	size_t det_cap = 0;
	run_detectors(&ix, &out, &det, &det_cap);
	const struct record **mine = xmalloc((out.n + 1) * sizeof *mine);
	for (size_t ci = 0; ci < ix.ncases; ci++) {
		/* One case, unless the records were out of order (the reader
		 * has then called the trace damaged). */
		size_t m = 0;
		for (size_t i = 0; i < out.n; i++)
			if (out.v[i].case_index == ix.cases[ci].case_index)
				mine[m++] = &out.v[i];
		struct record v;
		detect_case_verdict(&ix.cases[ci], mine, m, s->margin, &v);
		xgrow((void **)&s->verdicts, &s->verdicts_cap, s->nverdicts + 1,
		      sizeof *s->verdicts);
		struct kept_verdict *kv = &s->verdicts[s->nverdicts++];
		kv->case_index = v.case_index;
		kv->first = s->nfound;
		kv->count = out.n;
		trace_spill_put_record(s->spill, &v, &kv->item);
		record_clear(&v);
	}
	xgrow((void **)&s->found, &s->found_cap, s->nfound + out.n + 1, sizeof *s->found);
	for (size_t i = 0; i < out.n; i++) {
		struct kept_finding *k = &s->found[s->nfound++];
		k->case_index = out.v[i].case_index;
		k->code = intern(s, out.v[i].u.finding.code);
		k->det = det[i];
		k->invalidating = (unsigned char)detect_finding_invalidating(&out.v[i]);
		trace_spill_put_record(s->spill, &out.v[i], &k->item);
	}
	free(mine);
	free(det);
	record_list_free(&out);
	detect_index_free(&ix);
}

/* V's codes again, with the audit-wide findings in their place, in
 * detect_all's order. */
static void complete_verdict(const struct detect_stream *s, struct record *v,
			     const struct kept_verdict *kv)
{
	json_t *codes = json_array();
	const struct record *wide_inv = NULL;
	int case_inv = 0;
	size_t w = 0, f = kv->first, end = kv->first + kv->count;
	for (size_t d = 0; detect_detectors[d].name; d++) {
		for (; w < s->wide.n && s->wdet[w] == d; w++) {
			const struct record *x = &s->wide.v[w];
			if (x->type != REC_FINDING || !x->u.finding.code)
				continue;
			detect_codes_add(codes, x->u.finding.code);
			if (!wide_inv && !case_inv && detect_finding_invalidating(x))
				wide_inv = x;
		}
		for (; f < end && s->found[f].det == d; f++) {
			const struct kept_finding *k = &s->found[f];
			if (k->case_index != v->case_index || !k->code)
				continue;
			detect_codes_add(codes, k->code);
			if (!wide_inv && k->invalidating)
				case_inv = 1;
		}
	}
	json_decref(v->u.verdict.findings);
	v->u.verdict.findings = codes;
	if (wide_inv) /* the first invalidating finding is audit-wide */
		detect_verdict_invalidate(v, wide_inv);
}

/* Output order: case ascending, REC_NONE last, then arrival. */
struct by_case {
	int64_t case_index;
	size_t at;
};

static int cmp_by_case(const void *x, const void *y)
{
	const struct by_case *a = x, *b = y;
	if (a->case_index != b->case_index) {
		if (a->case_index == REC_NONE || b->case_index == REC_NONE)
			return (a->case_index == REC_NONE) - (b->case_index == REC_NONE);
		return (a->case_index > b->case_index) - (a->case_index < b->case_index);
	}
	return (a->at > b->at) - (a->at < b->at);
}

/* The positions 0..N) in output order, given each one's case in KEYS. */
static size_t *order_of(struct by_case *keys, size_t n)
{
	xsort(keys, n, sizeof *keys, cmp_by_case);
	size_t *o = xmalloc((n ? n : 1) * sizeof *o);
	for (size_t i = 0; i < n; i++)
		o[i] = keys[i].at;
	free(keys);
	return o;
}

int detect_stream_end(struct detect_stream *s, struct record_list *wide)
{
	if (s->ended)
		return -1;
	s->ended = 1;
	struct detect_index ix;
	detect_index_build_scope(&ix, s->global.v, s->global.n, NULL, 1);
	size_t wcap = 0;
	run_detectors(&ix, &s->wide, &s->wdet, &wcap);
	detect_index_free(&ix);
	for (size_t i = 0; i < s->wide.n; i++) {
		struct record c;
		record_copy(&c, &s->wide.v[i]);
		record_list_push(wide, &c);
	}
	struct by_case *fk = xmalloc((s->nfound ? s->nfound : 1) * sizeof *fk);
	for (size_t i = 0; i < s->nfound; i++)
		fk[i] = (struct by_case){ s->found[i].case_index, i };
	s->forder = order_of(fk, s->nfound);
	struct by_case *vk = xmalloc((s->nverdicts ? s->nverdicts : 1) * sizeof *vk);
	for (size_t i = 0; i < s->nverdicts; i++)
		vk[i] = (struct by_case){ s->verdicts[i].case_index, i };
	s->vorder = order_of(vk, s->nverdicts);
	detect_claim_begin(&s->claim_acc, &s->claim);
	return 0;
}

int detect_stream_next_finding(struct detect_stream *s, struct record *r)
{
	if (!s->ended || s->fnext >= s->nfound)
		return 0;
	struct kept_finding *k = &s->found[s->forder[s->fnext++]];
	return trace_spill_get_record(s->spill, &k->item, r) < 0 ? -1 : 1;
}

/* An observation (kaudit observe) has no case: its verdict comes from its
 * audit-wide records and findings (verdict.c), as detect_verdicts gives it. */
static void observation_verdict(struct detect_stream *s)
{
	size_t n = s->global.n;
	const struct record **g = xmalloc((n ? n : 1) * sizeof *g);
	for (size_t i = 0; i < n; i++)
		g[i] = &s->global.v[i];
	if (detect_is_observation(g, n)) {
		const struct record **wf = xmalloc((s->wide.n ? s->wide.n : 1) * sizeof *wf);
		for (size_t i = 0; i < s->wide.n; i++)
			wf[i] = &s->wide.v[i];
		record_clear(&s->claim);
		detect_observe_verdict(g, n, wf, s->wide.n, &s->claim);
		free(wf);
	}
	free(g);
}

int detect_stream_next_verdict(struct detect_stream *s, struct record *r)
{
	if (!s->ended || s->claim_given)
		return 0;
	if (s->vnext < s->nverdicts) {
		struct kept_verdict *kv = &s->verdicts[s->vorder[s->vnext++]];
		if (trace_spill_get_record(s->spill, &kv->item, r) < 0)
			return -1;
		complete_verdict(s, r, kv);
		detect_claim_add(&s->claim_acc, &s->claim, r); /* ascending case order */
		return 1;
	}
	detect_claim_end(&s->claim_acc, &s->claim);
	if (s->nverdicts == 0)
		observation_verdict(s);
	*r = s->claim; /* moved out */
	record_init(&s->claim, REC_VERDICT);
	s->claim_given = 1;
	return 1;
}

int detect_stream_finish(struct detect_stream *s, struct record_list *findings,
			 struct record_list *verdicts)
{
	if (detect_stream_end(s, findings) < 0)
		return -1;
	struct record r;
	int got;
	while ((got = detect_stream_next_finding(s, &r)) > 0)
		record_list_push(findings, &r);
	if (got < 0)
		return -1;
	while ((got = detect_stream_next_verdict(s, &r)) > 0)
		record_list_push(verdicts, &r);
	return got < 0 ? -1 : 0;
}

void detect_stream_free(struct detect_stream *s)
{
	if (!s)
		return;
	record_list_free(&s->global);
	if (s->has_device)
		record_clear(&s->device);
	for (size_t i = 0; i < s->nfound; i++)
		trace_spill_item_clear(&s->found[i].item);
	for (size_t i = 0; i < s->nverdicts; i++)
		trace_spill_item_clear(&s->verdicts[i].item);
	free(s->found);
	free(s->verdicts);
	for (size_t i = 0; i < s->ncodes; i++)
		free(s->codes[i]);
	free(s->codes);
	record_list_free(&s->wide);
	free(s->wdet);
	free(s->forder);
	free(s->vorder);
	if (s->ended && !s->claim_given)
		record_clear(&s->claim);
	trace_spill_free(s->spill);
	free(s);
}
