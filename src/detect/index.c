/*
 * index.c - groups the records of an audit by (case, call) once, so that
 * each detector walks only its case's records: one O(n log n) sort instead
 * of a scan of the whole trace per case or per call.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/detect_private.h"

static int analysed(const struct record *r)
{
	switch (r->type) {
	case REC_HEADER:
	case REC_FINDING:
	case REC_VERDICT:
	case REC_FOOTER:
	case REC_SIGNATURE:
		return 0;
	default:
		return 1;
	}
}

static int cmp_i64(int64_t a, int64_t b)
{
	return (a > b) - (a < b);
}

/* By case, then call (REC_NONE first), then trace position. */
static int cmp_case_call(const void *pa, const void *pb)
{
	const struct record *a = *(const struct record *const *)pa;
	const struct record *b = *(const struct record *const *)pb;
	int c = cmp_i64(a->case_index, b->case_index);
	if (!c)
		c = cmp_i64(a->call, b->call);
	if (!c)
		c = (a > b) - (a < b);
	return c;
}

static void index_calls(struct detect_case *c)
{
	size_t i = 0, cap = 0;
	while (i < c->n && c->recs[i]->call == REC_NONE)
		i++;
	while (i < c->n) {
		size_t j = i;
		while (j < c->n && c->recs[j]->call == c->recs[i]->call)
			j++;
		xgrow((void **)&c->calls, &cap, c->ncalls + 1, sizeof *c->calls);
		struct detect_call *k = &c->calls[c->ncalls++];
		memset(k, 0, sizeof *k);
		k->call = c->recs[i]->call;
		k->recs = c->recs + i;
		k->n = j - i;
		for (size_t t = i; t < j; t++) {
			const struct record *r = c->recs[t];
			if (k->impl == IMPL_NONE &&
			    (r->impl == IMPL_BASELINE || r->impl == IMPL_CANDIDATE))
				k->impl = r->impl;
			if (r->type == REC_SAMPLE && !k->sample)
				k->sample = r;
		}
		i = j;
	}
}

void detect_index_build(struct detect_index *ix, const struct record *recs, size_t n)
{
	detect_index_build_scope(ix, recs, n, NULL, 1);
}

void detect_index_build_scope(struct detect_index *ix, const struct record *recs, size_t n,
			      const struct record *device, int audit_wide)
{
	memset(ix, 0, sizeof *ix);
	ix->audit_wide = audit_wide;
	size_t ncase = 0, nglobal = 0;
	for (size_t i = 0; i < n; i++) {
		if (!analysed(&recs[i]))
			continue;
		if (recs[i].case_index == REC_NONE)
			nglobal++;
		else
			ncase++;
	}
	ix->sorted = xmalloc((ncase ? ncase : 1) * sizeof *ix->sorted);
	ix->global = xmalloc((nglobal ? nglobal : 1) * sizeof *ix->global);
	size_t a = 0, g = 0;
	for (size_t i = 0; i < n; i++) {
		const struct record *r = &recs[i];
		if (!analysed(r))
			continue;
		if (r->case_index == REC_NONE) {
			ix->global[g++] = r;
			if (r->type == REC_DEVICE && !ix->device)
				ix->device = r;
		} else {
			ix->sorted[a++] = r;
		}
	}
	ix->nglobal = g;
	if (!ix->device)
		ix->device = device;
	xsort(ix->sorted, a, sizeof *ix->sorted, cmp_case_call);

	size_t cap = 0;
	for (size_t i = 0; i < a;) {
		size_t j = i;
		while (j < a && ix->sorted[j]->case_index == ix->sorted[i]->case_index)
			j++;
		xgrow((void **)&ix->cases, &cap, ix->ncases + 1, sizeof *ix->cases);
		struct detect_case *c = &ix->cases[ix->ncases++];
		memset(c, 0, sizeof *c);
		c->case_index = ix->sorted[i]->case_index;
		c->recs = ix->sorted + i;
		c->n = j - i;
		c->device = ix->device;
		for (size_t t = i; t < j; t++) {
			const struct record *r = ix->sorted[t];
			if (r->type == REC_CASE && !c->kase)
				c->kase = r;
			/* A worker's own device record describes the GPU the
			 * case ran on better than the audit-wide one. */
			if (r->type == REC_DEVICE && (c->device == ix->device))
				c->device = r;
		}
		index_calls(c);
		i = j;
	}
}

void detect_index_free(struct detect_index *ix)
{
	for (size_t i = 0; i < ix->ncases; i++)
		free(ix->cases[i].calls);
	free(ix->cases);
	free(ix->sorted);
	free(ix->global);
	memset(ix, 0, sizeof *ix);
}

static int cmp_i64p(const void *pa, const void *pb)
{
	int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
	return (a > b) - (a < b);
}

int64_t detect_mode_i64(int64_t *v, size_t n)
{
	xsort(v, n, sizeof *v, cmp_i64p);
	int64_t best = REC_NONE;
	size_t bestn = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && v[j] == v[i])
			j++;
		if (j - i > bestn) {
			bestn = j - i;
			best = v[i];
		}
		i = j;
	}
	return best;
}
