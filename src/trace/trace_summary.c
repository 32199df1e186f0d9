/*
 * trace_summary.c - what a trace shows, as one JSON document: the claim,
 * device, per case the verdict, measured vs claimed speedup, findings with
 * their evidence, and timing summaries.  Records are grouped by case once,
 * so the cost is one sort of the records, not a scan per case.  `inspect --json` prints it as is;
 * `inspect` and `check` render it as text.  Pure: no printing.
 */
#include "trace/trace_private.h"

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
	xsort(v, n, sizeof *v, cmp_double);
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
	xsort(rt, nr, sizeof *rt, cmp_round_time);
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

/* What a case's measured records show of it, kept until the trace ends:
 * the case's head (from its case record), its error, its checks and its
 * timing, as [head, checks, checked_samples, timing] on the spill file.
 * Its findings and verdict come later in the trace (kaudit-trace(5)
 * ORDER) and are joined when the cases are handed out. */
struct case_part {
	int64_t case_index;
	struct trace_spill_item item;
};

/* A finding or verdict of a case, in trace order (SEQ), on the spill file. */
struct conclusion {
	int64_t case_index;
	size_t seq;
	int verdict;             /* 1: the verdict's keys, 0: a finding */
	struct trace_spill_item item;
};

struct trace_summary_acc {
	struct record header;
	int has_header, seen_any;
	json_t *device, *builds, *sandbox;
	char *verdict;           /* the claim's (the last verdict with no case) */
	struct trace_spill *spill;
	struct case_part *cases;
	size_t ncases, cases_cap;
	struct conclusion *concl;
	size_t nconcl, concl_cap;
	int sorted;              /* CONCL sorted by case (the trace has ended) */
	int brief;               /* keep of a case only case, kernel and verdict */
};

void trace_summary_acc_brief(struct trace_summary_acc *a)
{
	a->brief = 1;
}

struct trace_summary_acc *trace_summary_acc_new(void)
{
	struct trace_summary_acc *a = xcalloc(1, sizeof *a);
	a->builds = json_array();
	a->sandbox = trace_summary_sandbox_new();
	a->spill = trace_spill_new();
	return a;
}

/* Keeps case K's part (HEAD, CHECKS and TIMING taken over). */
static void keep_part(struct trace_summary_acc *a, int64_t k, json_t *head, json_t *checks,
		      json_int_t checked_samples, json_t *timing)
{
	json_t *part = json_pack("[o,o,I,o]", head, checks, checked_samples, timing);
	xgrow((void **)&a->cases, &a->cases_cap, a->ncases + 1, sizeof *a->cases);
	struct case_part *p = &a->cases[a->ncases++];
	p->case_index = k;
	trace_spill_put(a->spill, part, &p->item);
	json_decref(part);
}

/* The buffers whose values came from the problem's get_inputs() rather
 * than kaudit's generator: which item of which file, and the digest the
 * supervisor took of their bytes (kaudit-trace(5), case). */
static void add_inputs(json_t *o, const json_t *buffers)
{
	json_t *list = json_array();
	size_t i;
	const json_t *b;
	json_array_foreach(buffers, i, b) {
		const json_t *init = json_object_get(b, "init");
		if (!json_is_string(init) || strcmp(json_string_value(init), "get_inputs") != 0)
			continue;
		json_t *x = json_object();
		const char *keys[] = { "name", "file", "sha256" };
		for (size_t k = 0; k < 3; k++) {
			const json_t *v = json_object_get(b, keys[k]);
			if (json_is_string(v))
				json_object_set_new(x, k == 0 ? "buffer" : keys[k],
						    json_string(json_string_value(v)));
		}
		const json_t *item = json_object_get(b, "item");
		if (json_is_integer(item))
			json_object_set_new(x, "item", json_integer(json_integer_value(item)));
		json_array_append_new(list, x);
	}
	if (json_array_size(list))
		json_object_set_new(o, "inputs", list);
	else
		json_decref(list);
}

/* The head of case record C; RECS[0..N) are its case's measured records
 * (N 0 for a case record that names no case). */
static void add_case(struct trace_summary_acc *a, const struct record *c,
		     const struct record *recs, size_t n)
{
	json_t *o = json_object();
	json_object_set_new(o, "case", json_integer(c->case_index));
	record_json_put_str(o, "kernel", c->u.kase.kernel);
	if (a->brief) {
		keep_part(a, c->case_index, o, json_object(), 0, json_object());
		return;
	}
	if (c->u.kase.params)
		json_object_set(o, "params", c->u.kase.params);
	record_json_put_real(o, "claimed", c->u.kase.claimed);
	record_json_put_int(o, "seed", c->u.kase.seed);
	json_t *tol = json_object();
	record_json_put_real(tol, "rtol", c->u.kase.rtol);
	record_json_put_real(tol, "atol", c->u.kase.atol);
	json_object_set_new(tol, "deterministic", json_boolean(c->u.kase.deterministic == 1));
	json_object_set_new(o, "tolerance", tol);
	add_inputs(o, c->u.kase.buffers);
	/* Per kind of check, how many ran and how many passed: what "no
	 * findings" rests on. */
	json_t *checks = json_object();
	json_int_t checked_samples = 0;
	for (size_t i = 0; i < n; i++) {
		const struct record *r = &recs[i];
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
		} else if (r->type == REC_ERROR && !json_object_get(o, "error")) {
			/* The first error is the cause; later ones follow from it. */
			record_json_put_str(o, "error", r->u.error.message);
			record_json_put_str(o, "error_where", r->u.error.where);
		}
	}
	const struct record **ptrs = xmalloc((n ? n : 1) * sizeof *ptrs);
	for (size_t i = 0; i < n; i++)
		ptrs[i] = &recs[i];
	json_t *timing = json_object();
	json_t *tb = timing_of(ptrs, n, IMPL_BASELINE);
	json_t *tc = timing_of(ptrs, n, IMPL_CANDIDATE);
	free(ptrs);
	if (tb)
		json_object_set_new(timing, "baseline", tb);
	if (tc)
		json_object_set_new(timing, "candidate", tc);
	keep_part(a, c->case_index, o, checks, checked_samples, timing);
}

/* Device, build and sandbox records, audit-wide or a case's: the setup. */
static void setup_record(struct trace_summary_acc *a, const struct record *r)
{
	if (r->type == REC_DEVICE && !a->device)
		a->device = trace_summary_device(&r->u.device);
	else if (r->type == REC_BUILD)
		json_array_append_new(a->builds, trace_summary_build(r));
	else if (r->type == REC_SANDBOX)
		trace_summary_sandbox_add(a->sandbox, r);
}

void trace_summary_acc_record(struct trace_summary_acc *a, const struct record *r)
{
	if (!a->seen_any && r->type == REC_HEADER) {
		record_copy(&a->header, r);
		a->has_header = 1;
	}
	a->seen_any = 1;
	setup_record(a, r);
	if (r->type == REC_CASE) {
		add_case(a, r, NULL, 0); /* names no case: no record is its */
	} else if (r->type == REC_VERDICT && r->case_index == REC_NONE) {
		free(a->verdict);
		a->verdict = r->u.verdict.verdict ? xstrdup(r->u.verdict.verdict) : NULL;
	} else if ((r->type == REC_VERDICT || r->type == REC_FINDING) &&
		   r->case_index != REC_NONE) {
		json_t *j;
		if (a->brief && r->type == REC_FINDING) {
			return;
		} else if (a->brief) {
			j = json_object();
			record_json_put_str(j, "verdict", r->u.verdict.verdict);
		} else if (r->type == REC_FINDING) {
			j = finding_json(r);
		} else {
			const struct rec_verdict *v = &r->u.verdict;
			j = json_object();
			record_json_put_str(j, "verdict", v->verdict);
			record_json_put_real(j, "claimed", v->claimed);
			record_json_put_real(j, "measured", v->measured);
			if (isfinite(v->ci_low) && isfinite(v->ci_high))
				json_object_set_new(j, "ci", json_pack("[f,f]", v->ci_low, v->ci_high));
			record_json_put_real(j, "baseline_ns", v->baseline_ns);
			record_json_put_real(j, "candidate_ns", v->candidate_ns);
			record_json_put_str(j, "reason", v->reason);
		}
		xgrow((void **)&a->concl, &a->concl_cap, a->nconcl + 1, sizeof *a->concl);
		struct conclusion *k = &a->concl[a->nconcl];
		*k = (struct conclusion){ r->case_index, a->nconcl, r->type == REC_VERDICT,
					  { 0, 0, NULL } };
		trace_spill_put(a->spill, j, &k->item);
		json_decref(j);
		a->nconcl++;
	}
}

void trace_summary_acc_case(struct trace_summary_acc *a, const struct record *recs, size_t n)
{
	a->seen_any = 1;
	for (size_t i = 0; i < n; i++)
		setup_record(a, &recs[i]);
	for (size_t i = 0; i < n; i++)
		if (recs[i].type == REC_CASE)
			add_case(a, &recs[i], recs, n);
}

static int cmp_conclusion(const void *x, const void *y)
{
	const struct conclusion *a = x, *b = y;
	if (a->case_index != b->case_index)
		return (a->case_index > b->case_index) - (a->case_index < b->case_index);
	return (a->seq > b->seq) - (a->seq < b->seq);
}

/* The conclusions by case, once the trace has ended. */
static void sort_conclusions(struct trace_summary_acc *a)
{
	if (!a->sorted && a->nconcl > 1)
		xsort(a->concl, a->nconcl, sizeof *a->concl, cmp_conclusion);
	a->sorted = 1;
}

/* Case part P with its conclusions (C[0..N) sorted by case) joined.  A
 * value the spill file lost (an I/O error on the temporary file) leaves
 * its place empty rather than ending the summary. */
static json_t *case_json(struct trace_spill *sp, const struct case_part *p,
			 const struct conclusion *c, size_t n)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c[mid].case_index < p->case_index)
			lo = mid + 1;
		else
			hi = mid;
	}
	json_t *part = trace_spill_get(sp, &p->item);
	json_t *o = json_array_get(part, 0);
	o = json_is_object(o) ? json_incref(o) : json_pack("{s:I}", "case", (json_int_t)p->case_index);
	json_t *findings = json_array();
	for (; p->case_index != REC_NONE && lo < n && c[lo].case_index == p->case_index; lo++) {
		json_t *j = trace_spill_get(sp, &c[lo].item);
		if (json_is_object(j) && c[lo].verdict)
			json_object_update(o, j);
		else if (json_is_object(j))
			json_array_append(findings, j);
		json_decref(j);
	}
	json_object_set_new(o, "findings", findings);
	json_t *checks = json_array_get(part, 1), *timing = json_array_get(part, 3);
	json_object_set(o, "checks", checks ? checks : json_object());
	json_object_set_new(o, "checked_samples",
			    json_integer(json_integer_value(json_array_get(part, 2))));
	json_object_set(o, "timing", timing ? timing : json_object());
	json_decref(part);
	return o;
}

/* What kind of damage C's first problem is; NULL when intact.  Reads the
 * reader's problem text (trace_read.c), and test_trace.c pins each kind: a
 * cut file must not be called tampered, nor a flipped byte truncated.  A
 * gzip stream that did not end cleanly is truncated when the reader saw it
 * end early, and otherwise corrupt, whatever garbage it decoded to first. */
static const char *damage_of(const struct trace_contents *c, int intact)
{
	static const char *const truncated[] = { "truncated", "no complete gzip member" };
	static const char *const corrupt[] = { "corrupt gzip", "a gzip member ends inside a line",
					       "the header's gzip member is damaged" };
	static const char *const unsigned_[] = { "no signature",
						 "the header names no signer key" };
	if (intact)
		return NULL;
	for (size_t i = 0; i < sizeof truncated / sizeof truncated[0]; i++)
		if (strncmp(c->problem, truncated[i], strlen(truncated[i])) == 0)
			return "truncated";
	if (!c->complete_gzip)
		return "corrupt";
	for (size_t i = 0; i < sizeof corrupt / sizeof corrupt[0]; i++)
		if (strncmp(c->problem, corrupt[i], strlen(corrupt[i])) == 0)
			return "corrupt";
	for (size_t i = 0; i < sizeof unsigned_ / sizeof unsigned_[0]; i++)
		if (strncmp(c->problem, unsigned_[i], strlen(unsigned_[i])) == 0)
			return "unsigned";
	if (!c->problem[0] && !c->has_signature)
		return "unsigned";
	return "tampered";
}

json_t *trace_summary_acc_finish_head(struct trace_summary_acc *a, const struct trace_contents *c)
{
	json_t *s = json_object();
	struct errbuf e;
	int intact = trace_integrity(c, NULL, &e) == 0;
	const char *damage = damage_of(c, intact);
	json_object_set_new(s, "intact", json_boolean(intact));
	if (!intact)
		json_object_set_new(s, "problem", json_string(e.msg));
	json_object_set_new(s, "damage", damage ? json_string(damage) : json_null());
	json_object_set_new(s, "truncated", json_boolean(damage && strcmp(damage, "truncated") == 0));
	json_object_set_new(s, "signed", json_boolean(c->has_signature));
	if (c->keyid[0])
		json_object_set_new(s, "signer_keyid", json_string(c->keyid));
	json_object_set_new(s, "records", json_integer((json_int_t)c->nrecords));
	const struct rec_header *h = a->has_header ? &a->header.u.header : NULL;
	json_object_set_new(s, "synthetic", json_boolean(h && h->synthetic == 1));
	json_object_set_new(s, "stand_in", json_boolean(trace_stand_in(h)));
	json_object_set_new(s, "plugin", h && h->plugin ? json_incref(h->plugin) : json_null());
	json_object_set_new(s, "file_bound", json_boolean(c->file_bound));
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
		struct trace_selection sel;
		struct errbuf se = { "", 0 };
		if (trace_selection_of(h, &sel, &se) == 0 && sel.present) /* check says when not */
			json_object_set_new(audit, "selection", trace_selection_json(sel.cases,
				sel.kernel, sel.shard_index, sel.sharded ? sel.shard_count : 0));
		json_object_set_new(s, "audit", audit);
		json_object_set_new(claim, "manifest_bytes", h->manifest_text ?
				    json_integer((json_int_t)strlen(h->manifest_text)) : json_null());
	}
	json_object_set_new(s, "claim", claim);
	json_object_set_new(s, "sources", trace_summary_sources(h));
	if (a->device)
		json_object_set(s, "device", a->device);
	record_json_put_str(s, "verdict", a->verdict);
	sort_conclusions(a);
	json_object_set(s, "builds", a->builds);
	json_object_set(s, "sandbox", a->sandbox);
	json_object_set_new(s, "cases", json_null());
	return s;
}

size_t trace_summary_acc_ncases(const struct trace_summary_acc *a)
{
	return a->ncases;
}

json_t *trace_summary_acc_case_at(struct trace_summary_acc *a, size_t i)
{
	sort_conclusions(a);
	return case_json(a->spill, &a->cases[i], a->concl, a->nconcl);
}

json_t *trace_summary_acc_finish(struct trace_summary_acc *a, const struct trace_contents *c)
{
	json_t *s = trace_summary_acc_finish_head(a, c);
	json_t *cases = json_array();
	for (size_t i = 0; i < a->ncases; i++)
		json_array_append_new(cases, trace_summary_acc_case_at(a, i));
	json_object_set_new(s, "cases", cases);
	return s;
}

void trace_summary_acc_free(struct trace_summary_acc *a)
{
	if (!a)
		return;
	if (a->has_header)
		record_clear(&a->header);
	json_decref(a->device);
	json_decref(a->builds);
	json_decref(a->sandbox);
	free(a->verdict);
	for (size_t i = 0; i < a->ncases; i++)
		trace_spill_item_clear(&a->cases[i].item);
	free(a->cases);
	for (size_t i = 0; i < a->nconcl; i++)
		trace_spill_item_clear(&a->concl[i].item);
	free(a->concl);
	trace_spill_free(a->spill);
	free(a);
}

/* Every case record, grouped by case once (sorted by case, then trace
 * order), so that the whole-trace summary feeds the accumulator the same
 * groups the streaming reader gives it. */
static int cmp_case_pos(const void *x, const void *y)
{
	const struct record *a = *(const struct record *const *)x;
	const struct record *b = *(const struct record *const *)y;
	if (a->case_index != b->case_index)
		return (a->case_index > b->case_index) - (a->case_index < b->case_index);
	return (a > b) - (a < b); /* same array: position is trace order */
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
	out->records = c->nrecords;
}

json_t *trace_summary(const struct trace_contents *c)
{
	const struct record *recs = c->records.v;
	size_t n = c->records.n;
	struct trace_summary_acc *a = trace_summary_acc_new();
	const struct record **g = xmalloc((n ? n : 1) * sizeof *g);
	size_t ng = 0;
	for (size_t i = 0; i < n; i++)
		if (trace_case_record(&recs[i]))
			g[ng++] = &recs[i];
	xsort(g, ng, sizeof *g, cmp_case_pos);
	struct record_list group = { NULL, 0, 0 };
	for (size_t i = 0; i < n; i++) {
		const struct record *r = &recs[i];
		if (!trace_case_record(r)) {
			trace_summary_acc_record(a, r);
			continue;
		}
		/* The group of R's case, at its first record. */
		size_t lo = 0, hi = ng;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (cmp_case_pos(&g[mid], &r) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo > 0 && g[lo - 1]->case_index == r->case_index)
			continue; /* not the first: fed already */
		group.n = 0;
		for (size_t j = lo; j < ng && g[j]->case_index == r->case_index; j++) {
			xgrow((void **)&group.v, &group.cap, group.n + 1, sizeof *group.v);
			group.v[group.n++] = *g[j]; /* a shallow copy: borrowed */
		}
		trace_summary_acc_case(a, group.v, group.n);
	}
	free(group.v);
	free(g);
	json_t *s = trace_summary_acc_finish(a, c);
	trace_summary_acc_free(a);
	return s;
}
