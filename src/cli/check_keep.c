/*
 * check_keep.c - what check keeps of a trace while it streams past, and
 * the one walk over the cases that judges it (check.h).
 *
 * A trace stores its findings and verdicts after every case's records, so
 * the stored conclusions and the derived ones can only meet at the end.
 * Both wait on spill files (trace.h), memory holding a few words each
 * (the case, the arrival, where the text lies); the end sorts those words
 * by case and walks the cases once, reading back one case's conclusions
 * at a time.  So memory stays tens of bytes per case, however many cases
 * a trace has (make bench; kaudit(1) check).
 *
 * The walk gives what comparing everything at once gave: per case, the
 * stored findings against the derived ones, then the verdicts, each with
 * its own list of disagreements so that the findings' lines still come
 * before the verdicts' and the predicate's last.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/check.h"

/* Strings kept once (kernel names, verdicts), by an open-addressing hash:
 * a hostile trace of a million distinct kernel names stays linear. */
struct strtab {
	struct strslot { char *s; size_t kernel; } *slot; /* kernel: KERNEL_NONE if none */
	size_t cap, n;
};
#define KERNEL_NONE SIZE_MAX

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void strtab_grow(struct strtab *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64;
	struct strslot *nv = xcalloc(cap, sizeof *nv);
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->slot[i].s)
			continue;
		size_t j = hash_str(t->slot[i].s) & (cap - 1);
		while (nv[j].s)
			j = (j + 1) & (cap - 1);
		nv[j] = t->slot[i];
	}
	free(t->slot);
	t->slot = nv;
	t->cap = cap;
}

/* S's slot, added if new (a slot moves when the table grows: use it
 * before the next call). */
static struct strslot *strtab_find(struct strtab *t, const char *s)
{
	if ((t->n + 1) * 2 > t->cap)
		strtab_grow(t);
	size_t j = hash_str(s) & (t->cap - 1);
	while (t->slot[j].s && strcmp(t->slot[j].s, s) != 0)
		j = (j + 1) & (t->cap - 1);
	if (!t->slot[j].s) {
		t->slot[j].s = xstrdup(s);
		t->slot[j].kernel = KERNEL_NONE;
		t->n++;
	}
	return &t->slot[j];
}

static const char *intern(struct strtab *t, const char *s)
{
	return s ? strtab_find(t, s)->s : NULL;
}

static void strtab_free(struct strtab *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->slot[i].s);
	free(t->slot);
}

/* A stored finding or verdict, or a case record: its case and arrival. */
struct kept {
	int64_t case_index;
	size_t at;
	struct trace_spill_item item;  /* stored conclusions only */
	size_t kernel;                 /* case records only: K->kernels[kernel] */
};

/* A kernel of the trace's case records, in the order they first appear
 * (the manifest's): its `expect` (the first case's that has one) and,
 * during the walk, its cases' worst verdict and their findings' codes. */
struct kernel_acc {
	const char *name;              /* interned, NULL for case records with none */
	json_t *expect;
	const char *got;
	json_t *codes;
};

struct check_keep {
	struct trace_spill *spill;
	struct strtab strings;
	struct kept *sf, *sv, *cases;
	size_t nsf, sf_cap, nsv, sv_cap, ncases, cases_cap, seq;
	struct kernel_acc *kernels;
	size_t nkernels, kernels_cap, unnamed; /* unnamed: the kernel of cases with none */
	void (*on_verdict)(void *ctx, const struct record *v); /* check_keep_on_verdict */
	void *on_verdict_ctx;
};

void check_keep_on_verdict(struct check_keep *k, void (*fn)(void *ctx, const struct record *v),
			   void *ctx)
{
	k->on_verdict = fn;
	k->on_verdict_ctx = ctx;
}

struct check_keep *check_keep_new(void)
{
	struct check_keep *k = xcalloc(1, sizeof *k);
	k->spill = trace_spill_new();
	k->unnamed = KERNEL_NONE;
	return k;
}

static struct kept *push(struct kept **v, size_t *n, size_t *cap, int64_t case_index,
			 size_t at)
{
	xgrow((void **)v, cap, *n + 1, sizeof **v);
	struct kept *x = &(*v)[(*n)++];
	memset(x, 0, sizeof *x);
	x->case_index = case_index;
	x->at = at;
	return x;
}

void check_keep_stored(struct check_keep *k, const struct record *r)
{
	struct kept *x;
	if (r->type == REC_FINDING)
		x = push(&k->sf, &k->nsf, &k->sf_cap, r->case_index, k->seq++);
	else if (r->type == REC_VERDICT)
		x = push(&k->sv, &k->nsv, &k->sv_cap, r->case_index, k->seq++);
	else
		return;
	trace_spill_put_record(k->spill, r, &x->item);
}

static size_t kernel_of(struct check_keep *k, const char *name)
{
	struct strslot *sl = name ? strtab_find(&k->strings, name) : NULL;
	size_t *slot = sl ? &sl->kernel : &k->unnamed;
	if (*slot == KERNEL_NONE) {
		xgrow((void **)&k->kernels, &k->kernels_cap, k->nkernels + 1, sizeof *k->kernels);
		k->kernels[k->nkernels] = (struct kernel_acc){ sl ? sl->s : NULL, NULL, NULL, NULL };
		*slot = k->nkernels++;
	}
	return *slot;
}

void check_keep_case(struct check_keep *k, const struct record *r)
{
	size_t g = kernel_of(k, r->u.kase.kernel);
	struct kept *x = push(&k->cases, &k->ncases, &k->cases_cap, r->case_index, k->seq++);
	x->kernel = g;
	if (!k->kernels[g].expect && json_is_object(r->u.kase.expect))
		k->kernels[g].expect = json_deep_copy(r->u.kase.expect);
}

static int cmp_kept(const void *x, const void *y)
{
	const struct kept *a = x, *b = y;
	int c = check_cmp_case(a->case_index, b->case_index);
	return c ? c : (a->at > b->at) - (a->at < b->at);
}

/* ---- the walk ---- */

/* One case's conclusions, both sides, read back. */
struct group {
	struct record_list sf, df, sv, dv;
};

/* The derived conclusions not yet taken, one of each kind looked ahead. */
struct derived {
	struct detect_stream *d;
	struct record f, v;
	int has_f, has_v, failed;
};

static void derived_next_finding(struct derived *x)
{
	int got = detect_stream_next_finding(x->d, &x->f);
	x->has_f = got > 0;
	x->failed |= got < 0;
}

static void derived_next_verdict(struct derived *x)
{
	int got = detect_stream_next_verdict(x->d, &x->v);
	x->has_v = got > 0;
	x->failed |= got < 0;
}

/* Reads back the stored conclusions of case K from V[*I..N). */
static int take_stored(struct check_keep *k, struct kept *v, size_t n, size_t *i,
		       int64_t key, struct record_list *out)
{
	for (; *i < n && v[*i].case_index == key; (*i)++) {
		struct record r;
		if (trace_spill_get_record(k->spill, &v[*i].item, &r) < 0)
			return -1;
		record_list_push(out, &r);
	}
	return 0;
}

static const struct record **pointers(const struct record_list *l,
				      int (*cmp)(const void *, const void *))
{
	const struct record **p = xmalloc((l->n ? l->n : 1) * sizeof *p);
	for (size_t i = 0; i < l->n; i++)
		p[i] = &l->v[i];
	xsort(p, l->n, sizeof *p, cmp);
	return p;
}

/* What the case records of case KEY (K->cases[*I..]) add to their kernels:
 * the case's derived verdict (error if none) and its findings' codes
 * (DF sorted by check_cmp_finding_ptr). */
static void add_to_kernels(struct check_keep *k, size_t *i, int64_t key,
			   const struct record **dv, size_t ndv, const struct record **df,
			   size_t ndf)
{
	for (; *i < k->ncases && k->cases[*i].case_index == key; (*i)++) {
		struct kernel_acc *g = &k->kernels[k->cases[*i].kernel];
		const char *vs = ndv && dv[0]->u.verdict.verdict ? dv[0]->u.verdict.verdict : "error";
		if (!g->got || detect_verdict_rank(vs) > detect_verdict_rank(g->got))
			g->got = intern(&k->strings, vs);
		if (!g->codes)
			g->codes = json_array();
		for (size_t f = 0; f < ndf; f++)
			if (df[f]->u.finding.code)
				detect_codes_add(g->codes, df[f]->u.finding.code);
	}
}

/* Per kernel with an `expect` (manifest order): does it hold?  JSON
 * {kernel ok wanted{verdict findings} got{verdict findings} missing}. */
static size_t expectations(struct check_keep *k, json_t *json, size_t *failed)
{
	size_t total = 0;
	*failed = 0;
	for (size_t g = 0; g < k->nkernels; g++) {
		struct kernel_acc *a = &k->kernels[g];
		if (!a->expect)
			continue;
		total++;
		const char *got = a->got ? a->got : "error";
		json_t *codes = a->codes ? json_incref(a->codes) : json_array();
		const char *want = json_string_value(json_object_get(a->expect, "verdict"));
		const json_t *wanted = json_object_get(a->expect, "findings");
		int ok = !want || strcmp(want, got) == 0;
		json_t *missing = json_array();
		size_t i;
		const json_t *w;
		json_array_foreach(wanted, i, w) {
			int have = 0;
			size_t j;
			const json_t *h;
			json_array_foreach(codes, j, h)
				have |= json_equal((json_t *)h, (json_t *)w);
			if (!have)
				json_array_append(missing, (json_t *)w);
		}
		ok = ok && json_array_size(missing) == 0;
		*failed += !ok;
		json_array_append_new(json, json_pack("{s:s?, s:b, s:{s:s?, s:O?}, s:{s:s, s:o}, s:o}",
			"kernel", a->name, "ok", ok, "wanted", "verdict", want, "findings", wanted,
			"got", "verdict", got, "findings", codes, "missing", missing));
	}
	return total;
}

/* The next case to judge: the least case any side still holds. */
static int next_key(const struct check_keep *k, const struct derived *x, size_t isf, size_t isv,
		    size_t ic, size_t nwide, int64_t *key)
{
	int any = 0;
#define CONSIDER(c) do {                                         \
		int64_t c_ = (c);                                      \
		if (!any || check_cmp_case(c_, *key) < 0)              \
			*key = c_;                                     \
		any = 1;                                               \
	} while (0)
	if (isf < k->nsf)
		CONSIDER(k->sf[isf].case_index);
	if (isv < k->nsv)
		CONSIDER(k->sv[isv].case_index);
	if (ic < k->ncases)
		CONSIDER(k->cases[ic].case_index);
	if (x->has_f)
		CONSIDER(x->f.case_index);
	if (x->has_v)
		CONSIDER(x->v.case_index);
	if (nwide)
		CONSIDER(REC_NONE);
#undef CONSIDER
	return any;
}

int check_keep_judge(struct check_keep *k, struct detect_stream *d, const json_t *statement,
		     const struct trace_pred_cases *pc, const struct rec_header *h, const struct rec_device *dev,
		     struct check_strict *s, json_t *exp, size_t *nexp, size_t *nfailed)
{
	*nexp = *nfailed = 0;
	struct record_list wide = { NULL, 0, 0 };
	if (detect_stream_end(d, &wide) < 0) {
		record_list_free(&wide);
		return -1;
	}
	xsort(k->sf, k->nsf, sizeof *k->sf, cmp_kept);
	xsort(k->sv, k->nsv, sizeof *k->sv, cmp_kept);
	xsort(k->cases, k->ncases, sizeof *k->cases, cmp_kept);

	struct derived x = { d, { 0 }, { 0 }, 0, 0, 0 };
	derived_next_finding(&x);
	derived_next_verdict(&x);
	struct check_strict sf, sv;
	check_strict_init(&sf);
	check_strict_init(&sv);
	struct check_pred_case *pred = NULL;
	size_t npred = 0, pred_cap = 0, isf = 0, isv = 0, ic = 0;
	const char *claim = NULL;
	int rc = 0;
	int64_t key;
	while (!x.failed && next_key(k, &x, isf, isv, ic, wide.n, &key)) {
		struct group g;
		memset(&g, 0, sizeof g);
		if (key == REC_NONE) { /* audit-wide findings first, as detect_stream_finish */
			for (size_t i = 0; i < wide.n; i++)
				record_list_push(&g.df, &wide.v[i]);
			wide.n = 0; /* moved */
		}
		for (; x.has_f && x.f.case_index == key; derived_next_finding(&x))
			record_list_push(&g.df, &x.f);
		for (; x.has_v && x.v.case_index == key; derived_next_verdict(&x))
			record_list_push(&g.dv, &x.v);
		if (take_stored(k, k->sf, k->nsf, &isf, key, &g.sf) < 0 ||
		    take_stored(k, k->sv, k->nsv, &isv, key, &g.sv) < 0)
			rc = -1;
		const struct record **psf = pointers(&g.sf, check_cmp_finding_ptr);
		const struct record **pdf = pointers(&g.df, check_cmp_finding_ptr);
		const struct record **psv = pointers(&g.sv, check_cmp_verdict_ptr);
		const struct record **pdv = pointers(&g.dv, check_cmp_verdict_ptr);
		check_compare_findings(&sf, psf, g.sf.n, pdf, g.df.n);
		const struct record **expected = xmalloc((g.sv.n + g.dv.n + 1) * sizeof *expected);
		size_t ne = 0;
		check_compare_verdicts(&sv, psv, g.sv.n, pdv, g.dv.n, expected, &ne);
		for (size_t i = 0; i < ne; i++) {
			const struct rec_verdict *v = &expected[i]->u.verdict;
			if (k->on_verdict)
				k->on_verdict(k->on_verdict_ctx, expected[i]);
			if (expected[i]->case_index == REC_NONE) {
				claim = intern(&k->strings, v->verdict);
				continue;
			}
			xgrow((void **)&pred, &pred_cap, npred + 1, sizeof *pred);
			pred[npred++] = (struct check_pred_case){ expected[i]->case_index,
				intern(&k->strings, v->kernel), intern(&k->strings, v->verdict),
				v->claimed, v->measured };
		}
		add_to_kernels(k, &ic, key, pdv, g.dv.n, pdf, g.df.n);
		free(expected);
		free(psf);
		free(pdf);
		free(psv);
		free(pdv);
		record_list_free(&g.sf);
		record_list_free(&g.df);
		record_list_free(&g.sv);
		record_list_free(&g.dv);
		if (rc < 0)
			break;
	}
	if (x.has_f)
		record_clear(&x.f);
	if (x.has_v)
		record_clear(&x.v);
	record_list_free(&wide);
	if (x.failed)
		rc = -1;
	check_strict_move(s, &sf);
	check_strict_move(s, &sv);
	check_strict_release(&sf);
	check_strict_release(&sv);
	if (rc == 0 && statement)
		check_compare_predicate(s, statement, pc, h, dev, claim, pred, npred);
	free(pred);
	if (rc == 0)
		*nexp = expectations(k, exp, nfailed);
	return rc;
}

void check_keep_free(struct check_keep *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->nsf; i++)
		trace_spill_item_clear(&k->sf[i].item);
	for (size_t i = 0; i < k->nsv; i++)
		trace_spill_item_clear(&k->sv[i].item);
	free(k->sf);
	free(k->sv);
	free(k->cases);
	for (size_t i = 0; i < k->nkernels; i++) {
		json_decref(k->kernels[i].expect);
		json_decref(k->kernels[i].codes);
	}
	free(k->kernels);
	strtab_free(&k->strings);
	trace_spill_free(k->spill);
	free(k);
}
