/*
 * trace_summary.c - what a trace shows, as one JSON document: the claim,
 * device, per case the verdict, measured vs claimed speedup, findings with
 * their evidence, and timing summaries.  Records are grouped by case once,
 * so the cost is one sort of the records, not a scan per case.  It is the
 * one result schema (man/kaudit-result.schema.json): `inspect --json`,
 * `check --json` and `verify --json` print it; inspect, check and verify's
 * table render it as text.  It runs over records and the facts about their
 * file (trace_facts), so verify summarises the records it has just
 * written exactly as inspect summarises them read back.  Pure: no printing.
 */
#include "trace_private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

char *trace_claim_title(const char *manifest)
{
	if (!manifest)
		return NULL;
	yaml_parser_t p;
	yaml_document_t d;
	char *title = NULL;
	if (!yaml_parser_initialize(&p))
		return NULL;
	yaml_parser_set_input_string(&p, (const unsigned char *)manifest, strlen(manifest));
	if (!yaml_parser_load(&p, &d)) {
		yaml_parser_delete(&p);
		return NULL;
	}
	yaml_node_t *root = yaml_document_get_root_node(&d);
	for (int pass = 0; root && root->type == YAML_MAPPING_NODE && pass < 2; pass++) {
		/* pass 0 finds claim:, pass 1 finds title: inside it */
		yaml_node_t *found = NULL;
		const char *want = pass ? "title" : "claim";
		for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
		     pr < root->data.mapping.pairs.top; pr++) {
			yaml_node_t *k = yaml_document_get_node(&d, pr->key);
			if (k && k->type == YAML_SCALAR_NODE &&
			    strcmp((char *)k->data.scalar.value, want) == 0)
				found = yaml_document_get_node(&d, pr->value);
		}
		root = found;
		if (pass == 1 && found && found->type == YAML_SCALAR_NODE)
			title = xstrdup((char *)found->data.scalar.value);
	}
	yaml_document_delete(&d);
	yaml_parser_delete(&p);
	return title;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	if (n == 0)
		return NAN;
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A traced sample's round and event time, for per-round medians. */
struct round_time {
	int64_t round;
	double ns;
};

static int cmp_round_time(const void *a, const void *b)
{
	const struct round_time *x = a, *y = b;
	if (x->round != y->round)
		return (x->round > y->round) - (x->round < y->round);
	return (x->ns > y->ns) - (x->ns < y->ns);
}

/* Timing of one implementation in one case (its records R[0..N), in trace
 * order): samples, medians, extremes, and the median of each round (rounds
 * that disagree = unstable timing).  One pass and a sort. */
static json_t *timing_of(const struct record *const *recs, size_t n, enum record_impl impl)
{
	size_t cnt = 0;
	for (size_t i = 0; i < n; i++) {
		const struct record *r = recs[i];
		cnt += r->type == REC_SAMPLE && r->impl == impl && r->u.sample.traced != 0;
	}
	if (cnt == 0)
		return NULL;
	double *ev = xcalloc(cnt, sizeof *ev), *sp = xcalloc(cnt, sizeof *sp);
	struct round_time *rt = xcalloc(cnt, sizeof *rt);
	size_t ne = 0, ns = 0, nr = 0;
	int64_t max_round = -1;
	for (size_t i = 0; i < n; i++) {
		const struct record *r = recs[i];
		if (r->type != REC_SAMPLE || r->impl != impl || r->u.sample.traced == 0)
			continue;
		ev[ne++] = r->u.sample.event_ns;
		if (isfinite(r->u.sample.span_ns))
			sp[ns++] = r->u.sample.span_ns;
		int64_t round = r->u.sample.round;
		if (round >= 0 && round < 1000) {
			rt[nr++] = (struct round_time){ round, r->u.sample.event_ns };
			if (round > max_round)
				max_round = round;
		}
	}
	json_t *t = json_object();
	json_object_set_new(t, "samples", json_integer((json_int_t)cnt));
	record_json_put_real(t, "median_event_ns", median(ev, ne));
	record_json_put_real(t, "min_event_ns", ev[0]);
	record_json_put_real(t, "max_event_ns", ev[ne - 1]);
	record_json_put_real(t, "median_span_ns", median(sp, ns));
	qsort(rt, nr, sizeof *rt, cmp_round_time);
	json_t *rounds = json_array();
	size_t at = 0;
	for (int64_t round = 0; round <= max_round; round++) {
		size_t k = 0;
		while (at < nr && rt[at].round == round)
			ev[k++] = rt[at++].ns; /* already in order: median() sorts a sorted run */
		double m = median(ev, k);
		json_array_append_new(rounds, isfinite(m) ? json_real(m) : json_null());
	}
	json_object_set_new(t, "round_medians_ns", rounds);
	free(ev);
	free(sp);
	free(rt);
	return t;
}

static json_t *finding_json(const struct record *r)
{
	json_t *f = json_object();
	record_json_put_str(f, "code", r->u.finding.code);
	record_json_put_str(f, "severity", r->u.finding.severity);
	record_json_put_str(f, "impl", record_impl_name(r->impl));
	record_json_put_int(f, "trial", r->u.finding.trial);
	record_json_put_int(f, "sample", r->u.finding.sample);
	record_json_put_str(f, "message", r->u.finding.message);
	if (r->u.finding.evidence)
		json_object_set(f, "evidence", r->u.finding.evidence);
	record_json_put_int(f, "record", r->id);
	return f;
}

json_t *trace_summary_case(const struct record *c, const struct record *const *recs, size_t n)
{
	json_t *o = json_object();
	json_object_set_new(o, "case", json_integer(c->case_index));
	record_json_put_str(o, "kernel", c->u.kase.kernel);
	if (c->u.kase.params)
		json_object_set(o, "params", c->u.kase.params);
	record_json_put_real(o, "claimed", c->u.kase.claimed);
	record_json_put_int(o, "seed", c->u.kase.seed);
	json_t *tol = json_object();
	record_json_put_real(tol, "rtol", c->u.kase.rtol);
	record_json_put_real(tol, "atol", c->u.kase.atol);
	json_object_set_new(tol, "deterministic", json_boolean(c->u.kase.deterministic == 1));
	json_object_set_new(o, "tolerance", tol);
	json_t *findings = json_array();
	/* Per kind of check, how many ran and how many passed: what "no
	 * findings" rests on. */
	json_t *checks = json_object();
	json_int_t checked_samples = 0;
	for (size_t i = 0; i < n; i++) {
		const struct record *r = recs[i];
		if (r->type == REC_CHECK) {
			const char *kind = r->u.check.kind ? r->u.check.kind : "?";
			json_t *k = json_object_get(checks, kind);
			if (!k) {
				k = json_pack("{s:i, s:i}", "ran", 0, "passed", 0);
				json_object_set_new(checks, kind, k);
			}
			json_object_set_new(k, "ran", json_integer(
				json_integer_value(json_object_get(k, "ran")) + 1));
			if (r->u.check.ok == 1)
				json_object_set_new(k, "passed", json_integer(
					json_integer_value(json_object_get(k, "passed")) + 1));
		} else if (r->type == REC_SAMPLE) {
			checked_samples += r->u.sample.checked == 1;
		} else if (r->type == REC_FINDING) {
			json_array_append_new(findings, finding_json(r));
		} else if (r->type == REC_VERDICT) {
			const struct rec_verdict *v = &r->u.verdict;
			record_json_put_str(o, "verdict", v->verdict);
			record_json_put_real(o, "claimed", v->claimed);
			record_json_put_real(o, "measured", v->measured);
			if (isfinite(v->ci_low) && isfinite(v->ci_high))
				json_object_set_new(o, "ci", json_pack("[f,f]", v->ci_low, v->ci_high));
			record_json_put_real(o, "baseline_ns", v->baseline_ns);
			record_json_put_real(o, "candidate_ns", v->candidate_ns);
			record_json_put_str(o, "reason", v->reason);
		} else if (r->type == REC_ERROR && !json_object_get(o, "error")) {
			/* The first error is the cause; later ones follow from it. */
			record_json_put_str(o, "error", r->u.error.message);
			record_json_put_str(o, "error_where", r->u.error.where);
		}
	}
	json_object_set_new(o, "findings", findings);
	json_object_set_new(o, "checks", checks);
	json_object_set_new(o, "checked_samples", json_integer(checked_samples));
	json_t *timing = json_object();
	json_t *tb = timing_of(recs, n, IMPL_BASELINE);
	json_t *tc = timing_of(recs, n, IMPL_CANDIDATE);
	if (tb)
		json_object_set_new(timing, "baseline", tb);
	if (tc)
		json_object_set_new(timing, "candidate", tc);
	json_object_set_new(o, "timing", timing);
	return o;
}

/* Every record that names a case, grouped by case once (sorted by case,
 * then trace order), so the summary is one sort and one pass however many
 * cases there are. */
struct by_case {
	const struct record **v;
	size_t n;
};

static int cmp_case_pos(const void *a, const void *b)
{
	const struct record *x = *(const struct record *const *)a;
	const struct record *y = *(const struct record *const *)b;
	if (x->case_index != y->case_index)
		return (x->case_index > y->case_index) - (x->case_index < y->case_index);
	return (x > y) - (x < y); /* same array: position is trace order */
}

static void by_case_build(struct by_case *g, const struct record *recs, size_t n)
{
	g->v = xmalloc((n ? n : 1) * sizeof *g->v);
	g->n = 0;
	for (size_t i = 0; i < n; i++)
		if (recs[i].case_index != REC_NONE)
			g->v[g->n++] = &recs[i];
	qsort(g->v, g->n, sizeof *g->v, cmp_case_pos);
}

/* The records of case K: *OUT and the count. */
static size_t by_case_find(const struct by_case *g, int64_t k, const struct record *const **out)
{
	size_t lo = 0, hi = g->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (g->v[mid]->case_index < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t end = lo;
	while (end < g->n && g->v[end]->case_index == k)
		end++;
	*out = g->v + lo;
	return end - lo;
}

/* What kind of damage F's first problem is; NULL when intact.  Reads the
 * reader's problem text (trace_read.c), and test_trace.c pins each kind: a
 * cut file must not be called tampered, nor a flipped byte truncated.  A
 * gzip stream that did not end cleanly is truncated when the reader saw it
 * end early, and otherwise corrupt, whatever garbage it decoded to first. */
static const char *damage_of(const struct trace_facts *f)
{
	static const char *const truncated[] = { "truncated", "no complete gzip member" };
	static const char *const corrupt[] = { "corrupt gzip", "a gzip member ends inside a line",
					       "the header's gzip member is damaged" };
	static const char *const unsigned_[] = { "no signature",
						 "the header names no signer key" };
	const char *p = f->reader_problem;
	if (f->intact)
		return NULL;
	for (size_t i = 0; i < sizeof truncated / sizeof truncated[0]; i++)
		if (strncmp(p, truncated[i], strlen(truncated[i])) == 0)
			return "truncated";
	if (!f->complete_gzip)
		return "corrupt";
	for (size_t i = 0; i < sizeof corrupt / sizeof corrupt[0]; i++)
		if (strncmp(p, corrupt[i], strlen(corrupt[i])) == 0)
			return "corrupt";
	for (size_t i = 0; i < sizeof unsigned_ / sizeof unsigned_[0]; i++)
		if (strncmp(p, unsigned_[i], strlen(unsigned_[i])) == 0)
			return "unsigned";
	if (!p[0] && !f->has_signature)
		return "unsigned";
	return "tampered";
}

void trace_facts_of(const struct trace_contents *c, struct trace_facts *out)
{
	struct errbuf e = { "", 0 };
	memset(out, 0, sizeof *out);
	out->intact = trace_integrity(c, NULL, &e) == 0;
	if (!out->intact)
		snprintf(out->problem, sizeof out->problem, "%s", e.msg);
	out->complete_gzip = c->complete_gzip;
	snprintf(out->reader_problem, sizeof out->reader_problem, "%s", c->problem);
	out->has_signature = c->has_signature;
	out->signature_ok = c->signature_ok;
	out->file_bound = c->file_bound;
	snprintf(out->keyid, sizeof out->keyid, "%s", c->keyid);
	out->records = c->records.n;
}

json_t *trace_summary(const struct trace_contents *c)
{
	struct trace_facts f;
	trace_facts_of(c, &f);
	return trace_summary_records(c->records.v, c->records.n, &f);
}

json_t *trace_summary_records(const struct record *recs, size_t n, const struct trace_facts *f)
{
	json_t *s = json_object();
	const char *damage = damage_of(f);
	json_object_set_new(s, "intact", json_boolean(f->intact));
	if (!f->intact)
		json_object_set_new(s, "problem", json_string(f->problem));
	json_object_set_new(s, "damage", damage ? json_string(damage) : json_null());
	json_object_set_new(s, "truncated", json_boolean(damage && strcmp(damage, "truncated") == 0));
	json_object_set_new(s, "signed", json_boolean(f->has_signature));
	if (f->keyid[0])
		json_object_set_new(s, "signer_keyid", json_string(f->keyid));
	json_object_set_new(s, "records", json_integer((json_int_t)f->records));
	const struct rec_header *h = n && recs[0].type == REC_HEADER ? &recs[0].u.header : NULL;
	json_object_set_new(s, "synthetic", json_boolean(h && h->synthetic == 1));
	json_object_set_new(s, "stand_in", json_boolean(trace_stand_in(h)));
	json_object_set_new(s, "plugin", h && h->plugin ? json_incref(h->plugin) : json_null());
	json_object_set_new(s, "file_bound", json_boolean(f->file_bound));
	json_t *claim = json_object();
	if (h) {
		char *title = trace_claim_title(h->manifest_text);
		record_json_put_str(claim, "title", title);
		free(title);
		record_json_put_str(claim, "path", h->manifest_path);
		record_json_put_str(claim, "sha256", h->manifest_sha256);
		json_t *audit = json_object();
		record_json_put_str(audit, "time", h->time);
		record_json_put_str(audit, "host", h->host);
		record_json_put_str(audit, "tool", h->tool);
		record_json_put_int(audit, "root_seed", h->root_seed);
		record_json_put_real(audit, "margin", h->margin);
		json_object_set_new(s, "audit", audit);
		json_object_set_new(claim, "manifest_bytes", h->manifest_text ?
				    json_integer((json_int_t)strlen(h->manifest_text)) : json_null());
	}
	json_object_set_new(s, "claim", claim);
	json_object_set_new(s, "sources", trace_summary_sources(h));
	json_t *builds = json_array(), *sandbox = trace_summary_sandbox_new();
	json_t *cases = json_array();
	struct by_case g;
	by_case_build(&g, recs, n);
	for (size_t i = 0; i < n; i++) {
		const struct record *r = &recs[i];
		if (r->type == REC_DEVICE && !json_object_get(s, "device")) {
			json_object_set_new(s, "device", trace_summary_device(&r->u.device));
		} else if (r->type == REC_BUILD) {
			json_array_append_new(builds, trace_summary_build(r));
		} else if (r->type == REC_SANDBOX) {
			trace_summary_sandbox_add(sandbox, r);
		} else if (r->type == REC_CASE) {
			const struct record *const *cr;
			size_t cn = by_case_find(&g, r->case_index, &cr);
			json_array_append_new(cases, trace_summary_case(r, cr, cn));
		} else if (r->type == REC_VERDICT && r->case_index == REC_NONE) {
			record_json_put_str(s, "verdict", r->u.verdict.verdict);
		}
	}
	free(g.v);
	json_object_set_new(s, "builds", builds);
	json_object_set_new(s, "sandbox", sandbox);
	json_object_set_new(s, "cases", cases);
	return s;
}
