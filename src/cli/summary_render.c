/*
 * summary_render.c - what `kaudit summary` prints (summary.h): a table per
 * claim as text, markdown or CSV, or one JSON document
 * (man/kaudit-summary.schema.json).
 *
 * Every string here comes from a trace or names a file: text goes through
 * cli_printable (control characters escaped), markdown through
 * kreport_escape, CSV through csv_field (quoted, escaped, and a cell that
 * a spreadsheet would run as a formula is prefixed with '), JSON through
 * jansson (and cli_json_string for paths).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_json.h"
#include "cli/kreport.h"
#include "cli/summary.h"
#include "cli/verify.h"

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');
	return b && b[1] ? b + 1 : path;
}

static const char *num(char *buf, size_t n, double v)
{
	if (!isfinite(v))
		return "-";
	snprintf(buf, n, "%.2fx", v);
	return buf;
}

/* "covered", "missing", "duplicated" or "disputed" */
static const char *case_status(const struct summary_case *k)
{
	return k->n == 0 ? "missing" : k->disagree ? "disputed" : k->n > 1 ? "duplicated"
								       : "covered";
}

static char *shown(const char *s)
{
	return s ? cli_printable(s, strlen(s)) : xstrdup("?");
}

static void shard_text(const struct summary_trace *t, char *buf, size_t n)
{
	if (t->sharded)
		snprintf(buf, n, "shard %lld/%lld", (long long)t->shard_index,
			 (long long)t->shard_count);
	else if (t->cases_total >= 0)
		snprintf(buf, n, "whole claim");
	else
		snprintf(buf, n, "no selection recorded");
}

/* One line saying where a claim stands. */
static void claim_standing(const struct summary_claim *c, char *buf, size_t n)
{
	if (c->nvalid == 0)
		snprintf(buf, n, "NO VALID TRACE: nothing of it counts");
	else if (c->cases_total < 0)
		snprintf(buf, n, "UNKNOWN COVERAGE: its traces do not record how many cases "
			 "the claim has (written before verify --shard)");
	else if (!c->complete)
		snprintf(buf, n, "INCOMPLETE: %zu of %lld cases missing", c->missing,
			 (long long)c->cases_total);
	else if (c->disagreeing)
		snprintf(buf, n, "DISPUTED: traces disagree on %zu case%s", c->disagreeing,
			 c->disagreeing == 1 ? "" : "s");
	else if (c->ok)
		snprintf(buf, n, "complete: every case audited once or more, and reproduced");
	else
		snprintf(buf, n, "complete, but not reproduced");
}

/* ---- text ---- */

static void text_traces_of(FILE *f, const struct summary *s, const struct summary_claim *c)
{
	/* Valid traces by status (10,000 shards are one line, not 10,000);
	 * every rejected one on its own. */
	json_t *count = json_object();
	for (size_t j = 0; j < c->ntraces; j++) {
		const struct summary_trace *t = &s->traces[c->traces[j]];
		if (!t->valid)
			continue;
		json_t *v = json_object_get(count, t->status);
		json_object_set_new(count, t->status,
				    json_integer(v ? json_integer_value(v) + 1 : 1));
	}
	const char *k;
	json_t *v;
	json_object_foreach(count, k, v) {
		char *st = shown(k), line[1400];
		snprintf(line, sizeof line, "%lld valid: %s", (long long)json_integer_value(v), st);
		fflush(f);
		inspect_wrap_label("traces", line, 10, "", "");
		free(st);
	}
	json_decref(count);
	for (size_t j = 0; j < c->ntraces; j++) {
		const struct summary_trace *t = &s->traces[c->traces[j]];
		if (t->valid)
			continue;
		char *p = shown(t->path), *st = shown(t->status), sh[64], line[2400];
		shard_text(t, sh, sizeof sh);
		snprintf(line, sizeof line, "%s (%s, exit %d): %s", p, sh, t->rc, st);
		fflush(f);
		inspect_wrap_label("REJECTED", line, 10, "", "");
		free(p);
		free(st);
	}
}

static void text_case(FILE *f, const struct summary *s, const struct summary_case *k)
{
	char cl[32] = "-", ms[32] = "-", b[32];
	const char *kernel = "-";
	if (k->n) {
		const struct summary_result *r = &s->results[k->first];
		kernel = r->kernel ? r->kernel : "?";
		snprintf(cl, sizeof cl, "%s", num(b, sizeof b, r->claimed));
		snprintf(ms, sizeof ms, "%s", num(b, sizeof b, r->measured));
	}
	char params[256] = "-";
	if (k->n)
		report_params(s->results[k->first].params, params, sizeof params);
	char *kn = shown(kernel), *pn = shown(params[0] ? params : "-");
	char verdict[48];
	if (k->n == 0)
		snprintf(verdict, sizeof verdict, "MISSING");
	else
		snprintf(verdict, sizeof verdict, "%s%s", k->verdict, k->disagree ? " DISPUTED" : "");
	fprintf(f, "%-6lld %-16s %-16s %-24s %8s %8s  ", (long long)k->case_index, kn, pn,
		verdict, cl, ms);
	free(kn);
	free(pn);
	if (k->n == 0)
		fputs("-", f);
	for (size_t i = 0; i < k->n; i++) {
		const struct summary_result *r = &s->results[k->first + i];
		char *p = shown(base_name(s->traces[r->trace].path));
		fprintf(f, "%s%s", i ? " " : "", p);
		if (k->disagree)
			fprintf(f, "=%s", r->verdict);
		free(p);
	}
	fputc('\n', f);
}

static void text_render(FILE *f, const struct summary *s)
{
	size_t ok = 0;
	for (size_t i = 0; i < s->nclaims; i++)
		ok += (size_t)s->claims[i].ok;
	fprintf(f, "summary   %zu trace%s, %zu claim%s: %zu complete and reproduced; %zu trace%s "
		"rejected\n", s->ntraces, s->ntraces == 1 ? "" : "s", s->nclaims,
		s->nclaims == 1 ? "" : "s", ok, s->rejected, s->rejected == 1 ? "" : "s");
	for (size_t i = 0; i < s->nclaims; i++) {
		const struct summary_claim *c = &s->claims[i];
		char *title = shown(c->title), *sha = shown(c->sha), standing[160];
		claim_standing(c, standing, sizeof standing);
		fprintf(f, "\nclaim     \"%s\"\nmanifest  sha256 %s\n", title, sha);
		free(title);
		free(sha);
		fprintf(f, "status    %s\n", standing);
		fprintf(f, "verdict   %s (the worst of %zu case%s%s)\n",
			c->verdict ? c->verdict : "none", c->ncases, c->ncases == 1 ? "" : "s",
			c->missing ? "; a missing case counts as error" : "");
		if (c->cases_total >= 0)
			fprintf(f, "coverage  %zu of %lld cases covered, %zu missing, %zu duplicated "
				"(%zu disputed)%s\n", c->covered, (long long)c->cases_total, c->missing,
				c->duplicated, c->disagreeing, c->total_conflict
				? "; its traces name different case counts: the largest is taken" : "");
		else
			fprintf(f, "coverage  %zu cases seen, %zu duplicated (%zu disputed); how many "
				"the claim has is not recorded\n", c->covered, c->duplicated,
				c->disagreeing);
		text_traces_of(f, s, c);
		if (c->ncases)
			fprintf(f, "%-6s %-16s %-16s %-24s %8s %8s  %s\n", "case", "kernel", "params",
				"verdict", "claimed", "measured", "traces");
		for (size_t j = 0; j < c->ncases; j++)
			text_case(f, s, &c->cases[j]);
	}
	int header = 0;
	for (size_t i = 0; i < s->ntraces; i++) {
		const struct summary_trace *t = &s->traces[i];
		if (t->claim != SUMMARY_NO_CLAIM)
			continue;
		if (!header++)
			fputs("\nnot counted (no claim can be read from them):\n", f);
		char *p = shown(t->path), *st = shown(t->status), line[2400];
		snprintf(line, sizeof line, "%s (exit %d): %s", p, t->rc, st);
		fflush(f);
		inspect_wrap_label("REJECTED", line, 10, "", "");
		free(p);
		free(st);
	}
	fprintf(f, "\nexit %d\n", s->rc);
}

/* ---- markdown ---- */

static void md_render(FILE *f, const struct summary *s)
{
	fprintf(f, "# kaudit summary\n\n%zu trace%s, %zu claim%s, %zu trace%s rejected; exit %d.\n",
		s->ntraces, s->ntraces == 1 ? "" : "s", s->nclaims, s->nclaims == 1 ? "" : "s",
		s->rejected, s->rejected == 1 ? "" : "s", s->rc);
	for (size_t i = 0; i < s->nclaims; i++) {
		const struct summary_claim *c = &s->claims[i];
		char standing[160], b[32];
		claim_standing(c, standing, sizeof standing);
		fputs("\n## ", f);
		kreport_escape(f, c->title, KREPORT_MD);
		fputs("\n\n| | |\n|---|---|\n| manifest sha256 | ", f);
		kreport_escape(f, c->sha, KREPORT_MD);
		fputs(" |\n| status | ", f);
		kreport_escape(f, standing, KREPORT_MD);
		fprintf(f, " |\n| verdict | **%s** (the worst of %zu cases) |\n",
			c->verdict ? c->verdict : "none", c->ncases);
		fprintf(f, "| coverage | %zu covered, %zu missing, %zu duplicated, %zu disputed",
			c->covered, c->missing, c->duplicated, c->disagreeing);
		if (c->cases_total >= 0)
			fprintf(f, " of %lld", (long long)c->cases_total);
		fprintf(f, " |\n| traces | %zu valid of %zu |\n", c->nvalid, c->ntraces);
		fputs("\n| case | kernel | params | verdict | claimed | measured | traces |\n"
		      "|---:|---|---|---|---:|---:|---|\n", f);
		for (size_t j = 0; j < c->ncases; j++) {
			const struct summary_case *k = &c->cases[j];
			const struct summary_result *r = k->n ? &s->results[k->first] : NULL;
			char params[512] = "";
			if (r)
				report_params(r->params, params, sizeof params);
			fprintf(f, "| %lld | ", (long long)k->case_index);
			kreport_escape(f, r ? r->kernel : NULL, KREPORT_MD);
			fputs(" | ", f);
			kreport_escape(f, r && params[0] ? params : NULL, KREPORT_MD);
			fprintf(f, " | %s%s | %s | %s | ", k->n ? k->verdict : "**missing**",
				k->disagree ? " (**disputed**)" : "",
				r ? num(b, sizeof b, r->claimed) : "-",
				r ? num(params, sizeof params, r->measured) : "-");
			for (size_t x = 0; x < k->n; x++) {
				const struct summary_result *y = &s->results[k->first + x];
				if (x)
					fputs(", ", f);
				kreport_escape(f, base_name(s->traces[y->trace].path), KREPORT_MD);
				if (k->disagree)
					fprintf(f, ": %s", y->verdict);
			}
			fputs(" |\n", f);
		}
	}
	if (s->rejected) {
		fputs("\n## Traces not counted\n\n| trace | exit | status |\n|---|---:|---|\n", f);
		for (size_t i = 0; i < s->ntraces; i++) {
			const struct summary_trace *t = &s->traces[i];
			if (t->valid)
				continue;
			fputs("| ", f);
			kreport_escape(f, t->path, KREPORT_MD);
			fprintf(f, " | %d | ", t->rc);
			kreport_escape(f, t->status, KREPORT_MD);
			fputs(" |\n", f);
		}
	}
}

/* ---- CSV (RFC 4180) ---- */

static void csv_field(FILE *f, const char *s, int text)
{
	char *p = s ? cli_printable(s, strlen(s)) : xstrdup("");
	/* A cell a spreadsheet would evaluate (=, +, -, @ first) is text. */
	int guard = text && p[0] && strchr("=+-@", p[0]);
	int quote = guard || strpbrk(p, ",\"\r\n") != NULL;
	if (quote)
		fputc('"', f);
	if (guard)
		fputc('\'', f);
	for (const char *c = p; *c; c++) {
		if (*c == '"')
			fputc('"', f);
		fputc(*c, f);
	}
	if (quote)
		fputc('"', f);
	free(p);
}

static void csv_real(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.6g", v);
}

static void csv_render(FILE *f, const struct summary *s)
{
	fputs("claim_sha256,claim_title,case,kernel,params,status,verdict,claimed,measured,"
	      "findings,trace,shard\r\n", f);
	for (size_t i = 0; i < s->nclaims; i++) {
		const struct summary_claim *c = &s->claims[i];
		for (size_t j = 0; j < c->ncases; j++) {
			const struct summary_case *k = &c->cases[j];
			for (size_t x = 0; x < (k->n ? k->n : 1); x++) {
				const struct summary_result *r = k->n ? &s->results[k->first + x] : NULL;
				const struct summary_trace *t = r ? &s->traces[r->trace] : NULL;
				char params[512] = "", codes[512] = "", sh[64] = "";
				if (r)
					report_params(r->params, params, sizeof params);
				size_t len = 0, q;
				json_t *v;
				json_array_foreach(r ? r->findings : NULL, q, v) {
					int n = snprintf(codes + len, sizeof codes - len, "%s%s",
							 len ? " " : "", json_string_value(v)
							 ? json_string_value(v) : "?");
					if (n < 0 || (size_t)n >= sizeof codes - len)
						break;
					len += (size_t)n;
				}
				if (t && t->sharded)
					snprintf(sh, sizeof sh, "%lld/%lld", (long long)t->shard_index,
						 (long long)t->shard_count);
				csv_field(f, c->sha, 0);
				fputc(',', f);
				csv_field(f, c->title, 1);
				fprintf(f, ",%lld,", (long long)k->case_index);
				csv_field(f, r ? r->kernel : NULL, 1);
				fputc(',', f);
				csv_field(f, params, 1);
				fprintf(f, ",%s,%s,", case_status(k), r ? r->verdict : "");
				if (r)
					csv_real(f, r->claimed);
				fputc(',', f);
				if (r)
					csv_real(f, r->measured);
				fputc(',', f);
				csv_field(f, codes, 1);
				fputc(',', f);
				csv_field(f, t ? t->path : NULL, 1);
				fprintf(f, ",%s\r\n", sh);
			}
		}
	}
}

/* ---- JSON ---- */

static void put_real(json_t *o, const char *k, double v)
{
	if (isfinite(v))
		json_object_set_new(o, k, json_real(v));
}

static json_t *trace_json(const struct summary_trace *t)
{
	json_t *o = json_object();
	json_object_set_new(o, "file", cli_json_string(t->path));
	json_object_set_new(o, "exit", json_integer(t->rc));
	json_object_set_new(o, "valid", json_boolean(t->valid));
	json_object_set_new(o, "status", cli_json_string(t->status));
	json_object_set_new(o, "claim_sha256", t->claim_sha ? json_string(t->claim_sha)
							     : json_null());
	json_object_set_new(o, "shard", t->sharded
			    ? json_pack("{s:I, s:I}", "index", (json_int_t)t->shard_index, "count",
					(json_int_t)t->shard_count) : json_null());
	if (t->kernel)
		json_object_set_new(o, "kernel", json_string(t->kernel));
	if (t->cases_total >= 0)
		json_object_set_new(o, "cases_total", json_integer((json_int_t)t->cases_total));
	json_object_set_new(o, "cases", json_integer((json_int_t)t->nresults));
	if (t->signer)
		json_object_set(o, "signer", t->signer);
	return o;
}

static json_t *case_json(const struct summary *s, const struct summary_case *k)
{
	json_t *o = json_object();
	json_object_set_new(o, "case", json_integer((json_int_t)k->case_index));
	json_object_set_new(o, "status", json_string(case_status(k)));
	json_object_set_new(o, "verdict", k->n ? json_string(k->verdict) : json_null());
	if (k->n && s->results[k->first].kernel)
		json_object_set_new(o, "kernel", json_string(s->results[k->first].kernel));
	json_t *rs = json_array();
	for (size_t i = 0; i < k->n; i++) {
		const struct summary_result *r = &s->results[k->first + i];
		json_t *x = json_object();
		json_object_set_new(x, "trace", json_integer((json_int_t)r->trace));
		json_object_set_new(x, "verdict", json_string(r->verdict));
		put_real(x, "claimed", r->claimed);
		put_real(x, "measured", r->measured);
		if (r->params)
			json_object_set(x, "params", r->params);
		if (r->findings)
			json_object_set(x, "findings", r->findings);
		json_array_append_new(rs, x);
	}
	json_object_set_new(o, "results", rs);
	return o;
}

json_t *summary_json(const struct summary *s)
{
	json_t *claims = json_array();
	size_t ok = 0;
	for (size_t i = 0; i < s->nclaims; i++) {
		const struct summary_claim *c = &s->claims[i];
		char standing[160];
		claim_standing(c, standing, sizeof standing);
		ok += (size_t)c->ok;
		json_t *o = json_object();
		json_object_set_new(o, "sha256", json_string(c->sha));
		json_object_set_new(o, "title", c->title ? json_string(c->title) : json_null());
		json_object_set_new(o, "status", json_string(standing));
		json_object_set_new(o, "verdict", c->verdict ? json_string(c->verdict) : json_null());
		json_object_set_new(o, "ok", json_boolean(c->ok));
		json_object_set_new(o, "complete", json_boolean(c->complete));
		json_object_set_new(o, "cases_total", c->cases_total >= 0
				    ? json_integer((json_int_t)c->cases_total) : json_null());
		json_object_set_new(o, "cases_total_conflict", json_boolean(c->total_conflict));
		json_object_set_new(o, "covered", json_integer((json_int_t)c->covered));
		json_object_set_new(o, "missing", json_integer((json_int_t)c->missing));
		json_object_set_new(o, "duplicated", json_integer((json_int_t)c->duplicated));
		json_object_set_new(o, "disputed", json_integer((json_int_t)c->disagreeing));
		json_t *tr = json_array();
		for (size_t j = 0; j < c->ntraces; j++)
			json_array_append_new(tr, json_integer((json_int_t)c->traces[j]));
		json_object_set_new(o, "traces", tr);
		json_object_set_new(o, "valid_traces", json_integer((json_int_t)c->nvalid));
		json_t *cs = json_array();
		for (size_t j = 0; j < c->ncases; j++)
			json_array_append_new(cs, case_json(s, &c->cases[j]));
		json_object_set_new(o, "cases", cs);
		json_array_append_new(claims, o);
	}
	json_t *traces = json_array();
	for (size_t i = 0; i < s->ntraces; i++)
		json_array_append_new(traces, trace_json(&s->traces[i]));
	json_t *head = json_pack("{s:i, s:I, s:I, s:I, s:I}", "exit", s->rc, "traces",
				 (json_int_t)s->ntraces, "rejected", (json_int_t)s->rejected,
				 "claims", (json_int_t)s->nclaims, "claims_ok", (json_int_t)ok);
	return json_pack("{s:o, s:o, s:o}", "summary", head, "claims", claims, "traces", traces);
}

void summary_render(FILE *f, const struct summary *s, enum summary_format fmt)
{
	switch (fmt) {
	case SUMMARY_MARKDOWN: md_render(f, s); break;
	case SUMMARY_CSV: csv_render(f, s); break;
	case SUMMARY_JSON: {
		json_t *doc = summary_json(s);
		cli_json_print(doc);
		json_decref(doc);
		break;
	}
	default: text_render(f, s); break;
	}
}
