/*
 * verdict.c - one verdict per case and one for the claim (DESIGN section 5
 * step 5), from the records and the findings.
 *
 * Per case, the first rule that applies:
 *   invalid         an invalidating finding (wrong output included): what
 *                   was measured is not the computation, whatever happened
 *                   after; evidence of a cheat outranks a later crash.
 *   error           an error record, no case record, or no timed samples
 *                   for one side: the case could not be audited.
 *   inconclusive    the speedup's 95% interval straddles the threshold
 *                   claimed x (1 - margin) and is wider than
 *                   INCONCLUSIVE_REL_WIDTH of the measured speedup: noise,
 *                   not the kernels, decides which side it falls on.
 *   reproduced      measured speedup >= claimed x (1 - margin).
 *   not-reproduced  otherwise.
 * The claim's verdict is the worst of its cases, in the order invalid,
 * error, not-reproduced, inconclusive, reproduced: a cheat anywhere
 * invalidates the claim; a case that could not be run leaves it unproven
 * (error) rather than refuted, which is still worse than noise.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/rng.h"
#include "detect/detect_private.h"
#include "detect/stats.h"

/* A 95% interval wider than 10% of the measured speedup (the default
 * margin) cannot say on which side of the margin the claim falls. */
#define INCONCLUSIVE_REL_WIDTH 0.10

static const char *const verdict_order[] = {
	"reproduced", "inconclusive", "not-reproduced", "error", "invalid"
};
enum { V_REPRODUCED, V_INCONCLUSIVE, V_NOT_REPRODUCED, V_ERROR, V_INVALID };

static int finding_invalidating(const struct record *f)
{
	const char *code = f->u.finding.code;
	if (finding_code_known(code))
		return finding_code_severity(code) == SEV_INVALIDATING;
	return f->u.finding.severity && strcmp(f->u.finding.severity, "invalidating") == 0;
}

/* Appends CODE to the JSON array A unless it is there already. */
void detect_codes_add(json_t *a, const char *code)
{
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
		if (strcmp(json_string_value(v), code) == 0)
			return;
	json_array_append_new(a, json_string(code));
}

static double *sample_times(const struct detect_case *c, enum record_impl impl, size_t *n)
{
	const struct record **s;
	size_t m = detect_case_samples(c, impl, 1, &s);
	if (m == 0) { /* no traced samples: fall back to every sample */
		free(s);
		m = detect_case_samples(c, impl, -1, &s);
	}
	double *v = xmalloc((m ? m : 1) * sizeof *v);
	size_t k = 0;
	for (size_t i = 0; i < m; i++)
		if (isfinite(detect_sample_ns(s[i])))
			v[k++] = detect_sample_ns(s[i]);
	free(s);
	*n = k;
	return v;
}

static uint64_t case_seed(const struct detect_case *c)
{
	int64_t s = c->kase && c->kase->u.kase.seed != REC_NONE ? c->kase->u.kase.seed
								 : c->case_index;
	return rng_derive((uint64_t)s, 0x7665726469637400ULL, 0); /* "verdict" */
}

/* "CODE finding: MESSAGE", the reason of an invalid verdict. */
static void invalid_reason(char *buf, size_t n, const struct record *f)
{
	snprintf(buf, n, "%s finding: %s", f->u.finding.code,
		 f->u.finding.message ? f->u.finding.message : "");
}

int detect_finding_invalidating(const struct record *f)
{
	return f->type == REC_FINDING && f->u.finding.code && finding_invalidating(f);
}

void detect_verdict_invalidate(struct record *v, const struct record *f)
{
	char reason[512];
	invalid_reason(reason, sizeof reason, f);
	free(v->u.verdict.verdict);
	free(v->u.verdict.reason);
	v->u.verdict.verdict = xstrdup(verdict_order[V_INVALID]);
	v->u.verdict.reason = xstrdup(reason);
}

/* FINDINGS[0..NFINDINGS): the findings that bear on case C (its own and
 * the audit-wide ones), in the order detect_all gives them. */
int detect_case_verdict(const struct detect_case *c, const struct record *const *findings,
			size_t nfindings, double margin, struct record *v)
{
	if (!(margin >= 0 && margin < 1))
		margin = 0.10;
	record_init(v, REC_VERDICT);
	v->case_index = c->case_index;
	v->phase = PHASE_ANALYSIS;
	struct rec_verdict *d = &v->u.verdict;
	d->findings = json_array();
	const struct record *invalidating = NULL;
	for (size_t i = 0; i < nfindings; i++) {
		const struct record *f = findings[i];
		if (f->type != REC_FINDING || !f->u.finding.code ||
		    (f->case_index != c->case_index && f->case_index != REC_NONE))
			continue;
		detect_codes_add(d->findings, f->u.finding.code);
		if (!invalidating && finding_invalidating(f))
			invalidating = f;
	}
	const struct record *error = NULL;
	for (size_t i = 0; i < c->n && !error; i++)
		if (c->recs[i]->type == REC_ERROR)
			error = c->recs[i];
	if (c->kase) {
		const struct rec_case *k = &c->kase->u.kase;
		d->kernel = k->kernel ? xstrdup(k->kernel) : NULL;
		d->params = k->params ? json_deep_copy(k->params) : NULL;
		d->claimed = k->claimed;
	}

	size_t nb, nc;
	double *tb = sample_times(c, IMPL_BASELINE, &nb);
	double *tc = sample_times(c, IMPL_CANDIDATE, &nc);
	uint64_t seed = case_seed(c);
	struct detect_ci sp;
	d->baseline_ns = detect_median(tb, nb);
	d->candidate_ns = detect_median(tc, nc);
	detect_ratio_ci(tb, nb, tc, nc, seed, &sp);
	free(tb);
	free(tc);
	d->measured = sp.value;
	d->ci_low = sp.low;
	d->ci_high = sp.high;

	char reason[512];
	int verdict;
	double need = d->claimed * (1 - margin);
	if (invalidating) {
		verdict = V_INVALID;
		invalid_reason(reason, sizeof reason, invalidating);
	} else if (error) {
		verdict = V_ERROR;
		snprintf(reason, sizeof reason, "%s error: %s",
			 error->u.error.where ? error->u.error.where : "audit",
			 error->u.error.message ? error->u.error.message : "");
	} else if (!c->kase) {
		verdict = V_ERROR;
		snprintf(reason, sizeof reason, "the trace has no case record for case %lld",
			 (long long)c->case_index);
	} else if (nb == 0 || nc == 0) {
		verdict = V_ERROR;
		snprintf(reason, sizeof reason, "no timed samples for the %s",
			 nb == 0 ? "baseline" : "candidate");
	} else if (!isfinite(d->measured) || !(d->claimed > 0)) {
		verdict = V_ERROR;
		snprintf(reason, sizeof reason, "%s",
			 !(d->claimed > 0) ? "the case has no claimed speedup"
					   : "the speedup could not be computed");
	} else if (sp.low < need && sp.high > need &&
		   sp.high - sp.low > INCONCLUSIVE_REL_WIDTH * d->measured) {
		verdict = V_INCONCLUSIVE;
		snprintf(reason, sizeof reason,
			 "speedup %.3gx, 95%% interval %.3g-%.3gx straddles the threshold "
			 "%.3gx (claimed %.3gx less %.0f%%)", d->measured, sp.low, sp.high,
			 need, d->claimed, margin * 100);
	} else if (d->measured >= need) {
		verdict = V_REPRODUCED;
		snprintf(reason, sizeof reason,
			 "speedup %.3gx >= %.3gx (claimed %.3gx less %.0f%%)", d->measured, need,
			 d->claimed, margin * 100);
	} else {
		verdict = V_NOT_REPRODUCED;
		snprintf(reason, sizeof reason,
			 "speedup %.3gx < %.3gx (claimed %.3gx less %.0f%%)", d->measured, need,
			 d->claimed, margin * 100);
	}
	d->verdict = xstrdup(verdict_order[verdict]);
	d->reason = xstrdup(reason);
	return verdict;
}

int detect_verdict_rank(const char *verdict)
{
	for (int i = 0; verdict && i <= V_INVALID; i++)
		if (strcmp(verdict_order[i], verdict) == 0)
			return i;
	return V_ERROR;
}

void detect_claim_begin(struct detect_claim_acc *a, struct record *claim)
{
	memset(a, 0, sizeof *a);
	a->worst = -1;
	a->worst_case = REC_NONE;
	a->one_kernel = 1;
	record_init(claim, REC_VERDICT);
	claim->phase = PHASE_ANALYSIS;
	claim->u.verdict.findings = json_array();
}

void detect_claim_add(struct detect_claim_acc *a, struct record *claim, const struct record *v)
{
	size_t i;
	json_t *code;
	json_array_foreach(v->u.verdict.findings, i, code)
		detect_codes_add(claim->u.verdict.findings, json_string_value(code));
	if (v->u.verdict.kernel) {
		if (claim->u.verdict.kernel && strcmp(claim->u.verdict.kernel, v->u.verdict.kernel) != 0)
			a->one_kernel = 0;
		if (!claim->u.verdict.kernel)
			claim->u.verdict.kernel = xstrdup(v->u.verdict.kernel);
	}
	int verdict = detect_verdict_rank(v->u.verdict.verdict);
	if (verdict > a->worst) {
		a->worst = verdict;
		a->worst_case = v->case_index;
	}
	a->n++;
}

void detect_claim_end(struct detect_claim_acc *a, struct record *claim)
{
	char reason[256];
	int worst = a->worst;
	if (worst < 0) {
		worst = V_ERROR;
		snprintf(reason, sizeof reason, "the audit has no cases");
	} else {
		snprintf(reason, sizeof reason, "worst of %zu case%s: case %lld is %s", a->n,
			 a->n == 1 ? "" : "s", (long long)a->worst_case, verdict_order[worst]);
	}
	if (!a->one_kernel) {
		free(claim->u.verdict.kernel);
		claim->u.verdict.kernel = NULL; /* the claim names a kernel only when all share it */
	}
	claim->u.verdict.verdict = xstrdup(verdict_order[worst]);
	claim->u.verdict.reason = xstrdup(reason);
}

void detect_claim_verdict(const struct record *v, size_t n, struct record *claim)
{
	struct detect_claim_acc a;
	detect_claim_begin(&a, claim);
	for (size_t ci = 0; ci < n; ci++)
		detect_claim_add(&a, claim, &v[ci]);
	detect_claim_end(&a, claim);
}

/* An observation (kaudit observe) has no claim and no case: its verdict
 * says whether the harness's timing windows covered what they launched.
 * First rule that applies: invalid (an invalidating finding), error (an
 * error record: the command failed or was not observed), inconclusive (no
 * window could be judged), reproduced (every window judged covered its work:
 * the harness's numbers are what the GPU did).  kaudit(1) OBSERVE. */
void detect_observe_verdict(const struct record *const *global, size_t n,
			    const struct record *const *f, size_t nf, struct record *claim)
{
	record_init(claim, REC_VERDICT);
	claim->phase = PHASE_ANALYSIS;
	claim->u.verdict.findings = json_array();
	const struct record *inv = NULL, *err = NULL;
	for (size_t i = 0; i < nf; i++) {
		if (f[i]->type != REC_FINDING || !f[i]->u.finding.code)
			continue;
		detect_codes_add(claim->u.verdict.findings, f[i]->u.finding.code);
		if (!inv && finding_invalidating(f[i]))
			inv = f[i];
	}
	size_t procs = 0;
	for (size_t i = 0; i < n; i++) {
		if (global[i]->type == REC_ERROR && !err)
			err = global[i];
		procs += global[i]->type == REC_PROCESS;
	}
	struct detect_window *w = NULL;
	struct detect_observe_totals t;
	size_t nw = detect_observe_windows(global, n, &w, &t);
	free(w);
	char reason[512];
	const char *v;
	if (inv) {
		v = "invalid";
		snprintf(reason, sizeof reason, "%s: %s", inv->u.finding.code,
			 inv->u.finding.message ? inv->u.finding.message : "");
	} else if (err) {
		v = "error";
		snprintf(reason, sizeof reason, "%s: %s", err->u.error.where,
			 err->u.error.message);
	} else if (t.judged == 0) {
		v = "inconclusive";
		snprintf(reason, sizeof reason, "no timing window could be judged: %zu elapsed "
			 "read%s (%zu failed, %zu unpaired, %zu without device timestamps) in %zu "
			 "process%s", t.reads, t.reads == 1 ? "" : "s", t.failed_reads, t.unpaired,
			 t.unjudged, procs, procs == 1 ? "" : "es");
	} else {
		v = "reproduced";
		snprintf(reason, sizeof reason, "%zu of %zu timing windows judged in %zu process%s: "
			 "each covered the GPU work launched inside it", t.judged, nw, procs,
			 procs == 1 ? "" : "es");
	}
	claim->u.verdict.verdict = xstrdup(v);
	claim->u.verdict.reason = xstrdup(reason);
}

/* Findings with a case, by (case, position): each case finds its own in
 * log time, so verdicts cost n log n however many cases there are. */
static int cmp_finding_case(const void *x, const void *y)
{
	const struct record *a = *(const struct record *const *)x;
	const struct record *b = *(const struct record *const *)y;
	if (a->case_index != b->case_index)
		return (a->case_index > b->case_index) - (a->case_index < b->case_index);
	return (a > b) - (a < b);
}

int detect_verdicts(const struct record *recs, size_t n, const struct record *findings,
		    size_t nfindings, double margin, struct record_list *out)
{
	struct detect_index ix;
	detect_index_build(&ix, recs, n);
	const struct record **byc = xmalloc((nfindings ? nfindings : 1) * sizeof *byc);
	const struct record **wide = xmalloc((nfindings ? nfindings : 1) * sizeof *wide);
	const struct record **mine = xmalloc((nfindings ? nfindings : 1) * sizeof *mine);
	size_t nbyc = 0, nwide = 0;
	for (size_t i = 0; i < nfindings; i++) {
		if (findings[i].type != REC_FINDING)
			continue;
		if (findings[i].case_index == REC_NONE)
			wide[nwide++] = &findings[i];
		else
			byc[nbyc++] = &findings[i];
	}
	xsort(byc, nbyc, sizeof *byc, cmp_finding_case);
	size_t first = out->n;
	for (size_t ci = 0; ci < ix.ncases; ci++) {
		int64_t k = ix.cases[ci].case_index;
		size_t lo = 0, hi = nbyc;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (byc[mid]->case_index < k)
				lo = mid + 1;
			else
				hi = mid;
		}
		/* The case's findings and the audit-wide ones, merged back into
		 * FINDINGS' order (both runs are in that order already). */
		size_t m = 0, w = 0;
		while ((lo < nbyc && byc[lo]->case_index == k) || w < nwide) {
			int take_case = lo < nbyc && byc[lo]->case_index == k &&
					(w == nwide || byc[lo] < wide[w]);
			mine[m++] = take_case ? byc[lo++] : wide[w++];
		}
		struct record v;
		detect_case_verdict(&ix.cases[ci], mine, m, margin, &v);
		record_list_push(out, &v);
	}
	struct record claim;
	if (ix.ncases == 0 && detect_is_observation(ix.global, ix.nglobal))
		detect_observe_verdict(ix.global, ix.nglobal, wide, nwide, &claim);
	else /* No case: OUT may have no array yet, and NULL + 0 is undefined. */
		detect_claim_verdict(out->n > first ? out->v + first : NULL, out->n - first,
				     &claim);
	record_list_push(out, &claim);
	free(byc);
	free(wide);
	free(mine);
	detect_index_free(&ix);
	return 0;
}
