/*
 * report_samples.c - the timing samples of every case for `kaudit report`,
 * grouped in one pass over the records: a hash table keyed by case_index
 * (a hostile trace may number its cases anyhow), and per implementation
 * and round an exact count, minimum and maximum plus a bounded uniform
 * reservoir of points to plot.  Linear in the records, bounded memory per
 * round.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/kreport.h"

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void table_init(struct kreport_samples *s, size_t cap)
{
	s->cap = cap;
	s->n = 0;
	s->slots = xcalloc(cap, sizeof *s->slots);
	for (size_t i = 0; i < cap; i++)
		s->slots[i].case_index = REC_NONE;
}

/* The slot of case K: found, or the empty one where it belongs. */
static struct kreport_case *slot_of(const struct kreport_samples *s, int64_t k)
{
	size_t i = (size_t)(mix64((uint64_t)k) & (s->cap - 1));
	while (s->slots[i].case_index != REC_NONE && s->slots[i].case_index != k)
		i = (i + 1) & (s->cap - 1);
	return &s->slots[i];
}

static struct kreport_case *case_get(struct kreport_samples *s, int64_t k)
{
	struct kreport_case *c = slot_of(s, k);
	if (c->case_index == k)
		return c;
	if (2 * (s->n + 1) > s->cap) {
		/* Keep the load under one half: double and re-insert. */
		struct kreport_samples old = *s;
		table_init(s, old.cap * 2);
		for (size_t i = 0; i < old.cap; i++)
			if (old.slots[i].case_index != REC_NONE) {
				*slot_of(s, old.slots[i].case_index) = old.slots[i];
				s->n++;
			}
		free(old.slots);
		c = slot_of(s, k);
	}
	memset(c, 0, sizeof *c);
	c->case_index = k;
	s->n++;
	return c;
}

static void round_add(struct kreport_round *r, double ns, uint64_t salt)
{
	r->count++;
	if (!isfinite(ns))
		return;
	r->finite++;
	if (r->finite == 1 || ns < r->min)
		r->min = ns;
	if (r->finite == 1 || ns > r->max)
		r->max = ns;
	if (r->kept < KREPORT_KEEP) {
		/* Grown as points come: a case of a few samples (a trace of
		 * many small cases) takes a few doubles, not KREPORT_KEEP. */
		xgrow((void **)&r->pts, &r->cap, r->kept + 1, sizeof *r->pts);
		r->pts[r->kept++] = ns;
		return;
	}
	/* Reservoir sampling (Algorithm R), seeded by position: the same trace
	 * always gives the same picture. */
	uint64_t j = mix64(salt ^ r->finite) % r->finite;
	if (j < KREPORT_KEEP)
		r->pts[j] = ns;
}

static void series_add(struct kreport_series *s, int64_t round, double ns, uint64_t salt)
{
	if (round < 0 || round >= KREPORT_MAX_ROUND) {
		s->other++;
		return;
	}
	if ((size_t)round >= s->nrounds) {
		size_t n = (size_t)round + 1;
		s->rounds = xrealloc(s->rounds, n * sizeof *s->rounds);
		for (size_t i = s->nrounds; i < n; i++)
			s->rounds[i] = NULL;
		s->nrounds = n;
	}
	if (!s->rounds[round]) {
		s->rounds[round] = xcalloc(1, sizeof *s->rounds[round]);
		s->rounds[round]->min = s->rounds[round]->max = NAN;
	}
	round_add(s->rounds[round], ns, salt);
}

void kreport_samples_init(struct kreport_samples *s)
{
	table_init(s, 64);
}

void kreport_samples_build(struct kreport_samples *s, const struct record *recs, size_t n)
{
	kreport_samples_init(s);
	kreport_samples_add(s, recs, n);
}

void kreport_samples_add(struct kreport_samples *s, const struct record *recs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct record *r = &recs[i];
		if (r->type != REC_SAMPLE || r->case_index == REC_NONE || r->u.sample.traced == 0 ||
		    (r->impl != IMPL_BASELINE && r->impl != IMPL_CANDIDATE))
			continue;
		struct kreport_case *c = case_get(s, r->case_index);
		int which = r->impl == IMPL_CANDIDATE;
		uint64_t salt = mix64((uint64_t)r->case_index * 4 + (uint64_t)which) ^
				(uint64_t)r->u.sample.round;
		series_add(&c->impl[which], r->u.sample.round, r->u.sample.event_ns, salt);
	}
}

const struct kreport_case *kreport_samples_find(const struct kreport_samples *s, int64_t k)
{
	if (!s->slots || k == REC_NONE)
		return NULL;
	const struct kreport_case *c = slot_of(s, k);
	return c->case_index == k ? c : NULL;
}

void kreport_samples_release(struct kreport_samples *s)
{
	for (size_t i = 0; i < s->cap; i++) {
		if (s->slots[i].case_index == REC_NONE)
			continue;
		for (int w = 0; w < 2; w++) {
			struct kreport_series *se = &s->slots[i].impl[w];
			for (size_t r = 0; r < se->nrounds; r++) {
				if (se->rounds[r])
					free(se->rounds[r]->pts);
				free(se->rounds[r]);
			}
			free(se->rounds);
		}
	}
	free(s->slots);
	memset(s, 0, sizeof *s);
}
