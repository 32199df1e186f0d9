/*
 * cmd_summary.c - kaudit summary TRACE... [--pubkey PUB.pem]
 * [--json | --markdown | --csv]: the traces of many audits (the shards of
 * a job array, reruns, several claims) as one table per claim.
 *
 * Each trace is checked exactly as `kaudit check` checks it (check_trace.c:
 * integrity, signer against --pubkey or the trust store, strict
 * re-analysis), one at a time as it streams past; only a valid trace's
 * cases count.  Of each case it keeps a few words (kernel, verdict,
 * speedups, params, finding codes), so time and memory grow with the
 * number of traces and cases, never with their records.  Traces join by
 * claim (the manifest's sha256); each claim's case count comes from its
 * traces' selection (verify --shard), so a case no valid trace holds is
 * missing, and counts as `error` in the claim's verdict (the worst of its
 * cases).  A case two traces hold is duplicated; when their verdicts
 * differ, the case's verdict is the worse and the disagreement is shown.
 *
 * Exit (kaudit(1) summary): 0 every trace valid and every claim complete,
 * undisputed and reproduced; 1 every trace valid, but a claim is not
 * reproduced, incomplete, of an unknown case count, or disputed; 2 bad
 * usage or an operand that is no trace; 4 a trace check refuses
 * (tampered, truncated, unsigned, contradicted, untrusted signer with a
 * trust store or --pubkey).  Several: the largest.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/check_trace.h"
#include "cli/cli.h"
#include "cli/cli_json.h"
#include "cli/cmds.h"
#include "cli/summary.h"

static const char usage[] =
	"kaudit summary TRACE.kat|DIR... [--pubkey PUB.pem] [--json | --markdown | --csv]";

/* Printed after "kaudit: " on stderr, escaped as cli_fail does, but never
 * as a JSON error object: under --json the one document is the summary. */
static void note_trace(const char *path, const char *msg)
{
	char *p = cli_printable(path, strlen(path));
	char *m = cli_printable(msg, strlen(msg));
	fprintf(stderr, "kaudit: %s: %s\n", p, m);
	free(p);
	free(m);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* ---- one trace ---- */

/* Each verdict check holds the trace to (check_opts.on_verdict: those its
 * records give, and verify's error or inconclusive for a case it could
 * not start), kept while the trace is judged; dropped again unless the
 * trace turns out valid. */
struct collect {
	struct summary *s;
	size_t trace;
};

static void keep_result(void *ctx, const struct record *v)
{
	struct collect *k = ctx;
	struct summary *s = k->s;
	if (v->type != REC_VERDICT || v->case_index == REC_NONE)
		return; /* the trace's claim verdict: summary derives its own */
	if (s->nresults == s->cap)
		xgrow((void **)&s->results, &s->cap, s->nresults + 1, sizeof *s->results);
	struct summary_result *r = &s->results[s->nresults++];
	memset(r, 0, sizeof *r);
	r->case_index = v->case_index;
	r->trace = k->trace;
	r->kernel = dup_or_null(v->u.verdict.kernel);
	r->verdict = xstrdup(v->u.verdict.verdict ? v->u.verdict.verdict : "error");
	r->claimed = v->u.verdict.claimed;
	r->measured = v->u.verdict.measured;
	r->params = json_is_object(v->u.verdict.params) ? json_deep_copy(v->u.verdict.params)
							 : NULL;
	r->findings = json_is_array(v->u.verdict.findings)
		      ? json_deep_copy(v->u.verdict.findings) : NULL;
}

static void result_clear(struct summary_result *r)
{
	free(r->kernel);
	free(r->verdict);
	json_decref(r->params);
	json_decref(r->findings);
}

static void one_trace(struct summary *s, const char *path, const struct check_opts *o)
{
	struct summary_trace *st = &s->traces[s->ntraces];
	size_t ti = s->ntraces++;
	memset(st, 0, sizeof *st);
	st->path = xstrdup(path);
	st->cases_total = -1;
	st->claim = SUMMARY_NO_CLAIM;
	struct check_trace t;
	struct errbuf e = { "", 0 };
	struct collect k = { s, ti };
	struct check_opts oo = *o;
	oo.on_verdict = keep_result;
	oo.ctx = &k;
	size_t before = s->nresults;
	int ran = check_trace_run(path, &oo, &t, &e);
	if (ran < 0 || t.rc != EXIT_OK) { /* only a valid trace's cases count */
		for (size_t i = before; i < s->nresults; i++)
			result_clear(&s->results[i]);
		s->nresults = before;
	}
	st->nresults = s->nresults - before;
	if (ran < 0) {
		st->rc = e.code ? e.code : EXIT_BAD_INPUT;
		st->status = xstrdup(e.msg);
		note_trace(path, e.msg);
		return;
	}
	st->rc = t.rc;
	st->valid = t.rc == EXIT_OK;
	st->warn = st->valid && t.st.level != INSPECT_OK;
	st->status = xstrdup(t.st.text);
	st->signer = inspect_signer_json(&t.sg);
	const json_t *claim = json_object_get(t.summary, "claim");
	st->claim_sha = dup_or_null(json_string_value(json_object_get(claim, "sha256")));
	st->title = dup_or_null(json_string_value(json_object_get(claim, "title")));
	struct trace_selection sel;
	struct errbuf se = { "", 0 };
	if (t.f.has_header && trace_selection_of(&t.f.header.u.header, &sel, &se) == 0 &&
	    sel.present) {
		st->cases_total = sel.cases;
		st->sharded = sel.sharded;
		st->shard_index = sel.shard_index;
		st->shard_count = sel.shard_count;
		st->kernel = dup_or_null(sel.kernel);
	}
	if (!st->valid)
		note_trace(path, t.why);
	check_trace_release(&t);
}

/* ---- operands: traces, and directories of them ---- */

static int cmp_str_ptr(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Every regular *.kat file directly in DIR, in name order (the shards of
 * one run sort in shard order: verify pads the index). */
static int dir_traces(const char *dir, char ***out, size_t *n)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	char **v = NULL;
	size_t cap = 0, k = 0;
	struct dirent *de;
	size_t dl = strlen(dir);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".kat") != 0 || de->d_name[0] == '.')
			continue;
		char *p = xmalloc(dl + l + 2);
		snprintf(p, dl + l + 2, "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/",
			 de->d_name);
		struct stat sb;
		if (stat(p, &sb) != 0 || !S_ISREG(sb.st_mode)) {
			free(p);
			continue;
		}
		if (k == cap)
			xgrow((void **)&v, &cap, k + 1, sizeof *v);
		v[k++] = p;
	}
	closedir(d);
	xsort(v, k, sizeof *v, cmp_str_ptr);
	*out = v;
	*n = k;
	return 0;
}

/* ---- joining by claim ---- */

static int cmp_result(const void *x, const void *y)
{
	const struct summary_result *a = x, *b = y;
	if (a->claim != b->claim)
		return a->claim < b->claim ? -1 : 1;
	if (a->case_index != b->case_index)
		return a->case_index < b->case_index ? -1 : 1;
	return (a->trace > b->trace) - (a->trace < b->trace);
}

static void group_claims(struct summary *s)
{
	json_t *by_sha = json_object(); /* sha256 -> claim index */
	for (size_t i = 0; i < s->ntraces; i++) {
		struct summary_trace *t = &s->traces[i];
		if (!t->claim_sha)
			continue;
		const json_t *k = json_object_get(by_sha, t->claim_sha);
		size_t ci;
		if (k) {
			ci = (size_t)json_integer_value(k);
		} else {
			xgrow((void **)&s->claims, &s->claims_cap, s->nclaims + 1, sizeof *s->claims);
			ci = s->nclaims++;
			memset(&s->claims[ci], 0, sizeof s->claims[ci]);
			s->claims[ci].sha = t->claim_sha;
			s->claims[ci].title = t->title;
			s->claims[ci].cases_total = -1;
			json_object_set_new(by_sha, t->claim_sha, json_integer((json_int_t)ci));
		}
		struct summary_claim *c = &s->claims[ci];
		t->claim = ci;
		xgrow((void **)&c->traces, &c->traces_cap, c->ntraces + 1, sizeof *c->traces);
		c->traces[c->ntraces++] = i;
		if (!t->valid)
			continue;
		c->nvalid++;
		if (t->cases_total >= 0) {
			if (c->cases_total >= 0 && c->cases_total != t->cases_total)
				c->total_conflict = 1;
			if (t->cases_total > c->cases_total)
				c->cases_total = t->cases_total;
		}
	}
	json_decref(by_sha);
}

/* The cases of claim C from its results R[0..N) (sorted by case). */
static void claim_cases(struct summary_claim *c, const struct summary_result *r, size_t n,
			size_t first)
{
	size_t distinct = 0;
	for (size_t i = 0; i < n; i++)
		distinct += i == 0 || r[i].case_index != r[i - 1].case_index;
	/* Results beyond the count a trace named cannot be (check holds every
	 * case record against its selection), but are shown, not dropped. */
	size_t cap = distinct + (c->cases_total > 0 ? (size_t)c->cases_total : 0);
	c->cases = xcalloc(cap ? cap : 1, sizeof *c->cases);
	size_t i = 0;
	int64_t next = 0;
	while (i < n || (c->cases_total >= 0 && next < c->cases_total)) {
		struct summary_case *k = &c->cases[c->ncases++];
		if (i < n && (c->cases_total < 0 || r[i].case_index <= next ||
			      next >= c->cases_total)) {
			k->case_index = r[i].case_index;
			k->first = first + i;
			while (i < n && r[i].case_index == k->case_index) {
				const char *v = r[i].verdict;
				if (!k->verdict || detect_verdict_rank(v) > detect_verdict_rank(k->verdict))
					k->verdict = v;
				if (k->n && strcmp(v, r[k->first - first].verdict) != 0)
					k->disagree = 1;
				k->n++;
				i++;
			}
			if (k->case_index >= next)
				next = k->case_index + 1;
		} else {
			k->case_index = next++; /* no valid trace holds it */
		}
	}
	for (size_t j = 0; j < c->ncases; j++) {
		const struct summary_case *k = &c->cases[j];
		c->covered += k->n > 0;
		c->missing += k->n == 0;
		c->duplicated += k->n > 1;
		c->disagreeing += (size_t)k->disagree;
		const char *v = k->n ? k->verdict : "error"; /* a case not run is an error */
		if (!c->verdict || detect_verdict_rank(v) > detect_verdict_rank(c->verdict))
			c->verdict = v;
	}
	c->complete = c->cases_total >= 0 && c->missing == 0;
	c->ok = c->complete && !c->disagreeing && c->verdict &&
		strcmp(c->verdict, "reproduced") == 0;
}

static void join(struct summary *s)
{
	group_claims(s);
	for (size_t i = 0; i < s->nresults; i++)
		s->results[i].claim = s->traces[s->results[i].trace].claim;
	xsort(s->results, s->nresults, sizeof *s->results, cmp_result);
	size_t i = 0;
	for (size_t ci = 0; ci < s->nclaims; ci++) {
		size_t j = i;
		while (j < s->nresults && s->results[j].claim == ci)
			j++;
		claim_cases(&s->claims[ci], s->results + i, j - i, i);
		i = j;
	}
	s->rc = EXIT_OK;
	for (size_t t = 0; t < s->ntraces; t++) {
		s->rejected += !s->traces[t].valid;
		if (s->traces[t].rc > s->rc)
			s->rc = s->traces[t].rc;
	}
	for (size_t ci = 0; ci < s->nclaims && s->rc == EXIT_OK; ci++)
		if (!s->claims[ci].ok)
			s->rc = EXIT_NOT_REPRODUCED;
}

static void summary_free(struct summary *s)
{
	for (size_t i = 0; i < s->ntraces; i++) {
		struct summary_trace *t = &s->traces[i];
		free(t->path);
		free(t->status);
		json_decref(t->signer);
		free(t->claim_sha);
		free(t->title);
		free(t->kernel);
	}
	for (size_t i = 0; i < s->nresults; i++)
		result_clear(&s->results[i]);
	for (size_t i = 0; i < s->nclaims; i++) {
		free(s->claims[i].traces);
		free(s->claims[i].cases);
	}
	free(s->traces);
	free(s->results);
	free(s->claims);
}

/* ---- the command ---- */

enum { OPT_PUBKEY = 1, OPT_JSON, OPT_MARKDOWN, OPT_CSV };
static const struct cli_opt opts[] = {
	{ "pubkey", 0, CLI_VALUE, OPT_PUBKEY },
	{ "json", 0, CLI_FLAG, OPT_JSON },
	{ "markdown", 0, CLI_FLAG, OPT_MARKDOWN },
	{ "csv", 0, CLI_FLAG, OPT_CSV },
	{ NULL, 0, 0, 0 },
};
static const struct cli_command summary_cmd = {
	"summary", usage,
	"Checks every trace as 'kaudit check' does (integrity, signer from --pubkey\n"
	"or the trust store, strict re-analysis) and joins the valid ones by claim\n"
	"(manifest sha256): which cases are covered, missing or duplicated across\n"
	"shards (verify --shard), where duplicates disagree, the claim's verdict\n"
	"(the worst of its cases; a missing case counts as error) and every case's\n"
	"result in one table.  A DIR operand stands for the *.kat files in it.\n\n"
	"      --pubkey PUB.pem  trust only this key (as check)\n"
	"      --json            one JSON document (man/kaudit-summary.schema.json)\n"
	"      --markdown        markdown tables\n"
	"      --csv             one row per case and trace (RFC 4180)\n\n"
	"exit: 0 every trace valid, every claim complete and reproduced; 1 a claim\n"
	"      not reproduced, incomplete or disputed; 2 bad usage or not a trace;\n"
	"      4 a trace check refuses (tampered, truncated, untrusted...)\n",
	opts, "TRACE.kat", 1, CLI_MANY,
};

int cmd_summary(int argc, char **argv)
{
	const char *pubpath = NULL;
	enum summary_format fmt = SUMMARY_TEXT;
	int nfmt = 0;
	cli_json_begin(argc, argv);
	struct cli_parse p;
	int id;
	cli_opts_init(&p, &summary_cmd, argc, argv);
	while ((id = cli_opts_next(&p)) > 0) {
		switch (id) {
		case OPT_PUBKEY: pubpath = p.value; break;
		case OPT_JSON: fmt = SUMMARY_JSON; nfmt++; break;
		case OPT_MARKDOWN: fmt = SUMMARY_MARKDOWN; nfmt++; break;
		case OPT_CSV: fmt = SUMMARY_CSV; nfmt++; break;
		}
	}
	if (id == CLI_STOP)
		return p.status;
	if (nfmt > 1)
		return cli_opts_error(&summary_cmd, "--json, --markdown and --csv exclude each other");
	struct inspect_trust trust;
	struct errbuf e = { "", 0 };
	if (inspect_trust_load(&trust, pubpath, &e) < 0)
		return cli_fail_err(&e);
	struct check_opts o = { 0, 0, 1, &trust };
	struct summary s;
	memset(&s, 0, sizeof s);
	size_t cap = 0;
	for (int i = 0; i < p.noperands; i++) {
		const char *path = p.operands[i];
		struct stat sb;
		char **files = NULL;
		size_t nfiles = 0;
		int is_dir = stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
		if (is_dir && dir_traces(path, &files, &nfiles) < 0)
			is_dir = 0; /* unreadable: the reader says why */
		for (size_t k = 0; k < (is_dir ? nfiles : 1); k++) {
			if (s.ntraces == cap)
				xgrow((void **)&s.traces, &cap, s.ntraces + 1, sizeof *s.traces);
			one_trace(&s, is_dir ? files[k] : path, &o);
		}
		for (size_t k = 0; k < nfiles; k++)
			free(files[k]);
		free(files);
		if (is_dir && nfiles == 0) {
			if (s.ntraces == cap)
				xgrow((void **)&s.traces, &cap, s.ntraces + 1, sizeof *s.traces);
			struct summary_trace *st = &s.traces[s.ntraces++];
			memset(st, 0, sizeof *st);
			st->path = xstrdup(path);
			st->rc = EXIT_BAD_INPUT;
			st->status = xstrdup("a directory without a single *.kat file");
			st->cases_total = -1;
			st->claim = SUMMARY_NO_CLAIM;
			note_trace(path, st->status);
		}
	}
	inspect_trust_release(&trust);
	join(&s);
	if (fmt == SUMMARY_JSON) {
		json_t *doc = summary_json(&s);
		cli_json_print(doc);
		json_decref(doc);
	} else {
		summary_render(stdout, &s, fmt);
	}
	int rc = s.rc;
	summary_free(&s);
	return rc;
}
