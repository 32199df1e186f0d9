/*
 * cmd_inspect.c - kaudit inspect TRACE... [--pubkey PUB] [--json]: what a
 * trace shows (claim, device, who signed it, verdicts, speedups, findings
 * and their evidence, timings), in 80 columns; colour only on a terminal
 * and never with NO_COLOR.  Works on a truncated or unsigned trace, and
 * says so first.  Also what check shares with it: the signer's judgement
 * (--pubkey, the trust store) and the summary's text rendering.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_json.h"
#include "cli/cmd_inspect.h"
#include "cli/observe_show.h"
#include "cli/cmds.h"
#include "trace/trace.h"

static const char usage[] = "kaudit inspect TRACE.kat... [--pubkey PUB.pem] "
			    "[--json | --manifest | --source PATH]";

static const char *sget(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static double nget(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *verdict_color(const struct inspect_style *st, const char *v)
{
	if (!v)
		return st->yellow;
	if (strcmp(v, "reproduced") == 0)
		return st->green;
	if (strcmp(v, "invalid") == 0 || strcmp(v, "error") == 0)
		return st->red;
	return st->yellow;
}

/* Nanoseconds as a short human duration. */
static void fmt_ns(char *buf, size_t n, double ns)
{
	if (!isfinite(ns))
		snprintf(buf, n, "-");
	else if (ns >= 1e9)
		snprintf(buf, n, "%.3f s", ns / 1e9);
	else if (ns >= 1e6)
		snprintf(buf, n, "%.3f ms", ns / 1e6);
	else if (ns >= 1e3)
		snprintf(buf, n, "%.2f us", ns / 1e3);
	else
		snprintf(buf, n, "%.0f ns", ns);
}

/* Prints S wrapped at 78 columns with INDENT spaces before each line;
 * LABEL (may be NULL), padded to INDENT columns, replaces the first line's
 * spaces, and ON/OFF (colour codes, "" for none) surround each line's
 * text, so a colour never runs across a line break. */
void inspect_wrap_label(const char *label, const char *s, int indent, const char *on,
			const char *off)
{
	int col = indent;
	if (label)
		printf("%-*s%s", indent, label, on);
	else
		printf("%*s%s", indent, "", on);
	while (*s) {
		int gap = (int)strspn(s, " ");
		s += gap;
		if (!*s)
			break;
		const char *sp = strchr(s, ' ');
		int w = sp ? (int)(sp - s) : (int)strlen(s);
		/* The blanks before a word are printed only when the word stays
		 * on the line, so no line ends in a blank and alignment inside
		 * a line is kept. */
		if (col > indent && col + gap + w > 78) {
			printf("%s\n%*s%s", off, indent, "", on);
			col = indent;
		} else if (col > indent) {
			printf("%*s", gap, "");
			col += gap;
		}
		printf("%.*s", w, s);
		col += w;
		s += w;
	}
	printf("%s\n", off);
}

static void wrap(const char *s, int indent)
{
	inspect_wrap_label(NULL, s, indent, "", "");
}

/* "compare 4/4, bait 1/1, ..." of a case's checks: what "no findings"
 * rests on, and where a failed check sits among those that passed. */
static void print_checks(const json_t *c)
{
	const json_t *checks = json_object_get(c, "checks");
	const char *kind;
	const json_t *k;
	size_t cap = 64, len = 0;
	char *line = xmalloc(cap);
	line[0] = '\0';
	json_object_foreach((json_t *)checks, kind, k) {
		char item[160];
		int n = snprintf(item, sizeof item, "%s%s %lld/%lld", len ? ", " : "", kind,
				 (long long)json_integer_value(json_object_get(k, "passed")),
				 (long long)json_integer_value(json_object_get(k, "ran")));
		if (n < 0)
			continue;
		xgrow((void **)&line, &cap, len + (size_t)n + 1, 1);
		memcpy(line + len, item, (size_t)n + 1);
		len += (size_t)n;
	}
	long long sampled = (long long)json_integer_value(json_object_get(c, "checked_samples"));
	char *text = xmalloc(len + 160);
	if (len)
		sprintf(text, "%s passed; %lld timed call%s checked", line, sampled,
			sampled == 1 ? "" : "s");
	else
		sprintf(text, "none recorded");
	inspect_wrap_label("  checks", text, 12, "", "");
	free(text);
	free(line);
}

static void print_timing(const char *impl, const json_t *t)
{
	if (!t)
		return;
	char med[32], span[32], lo[32], hi[32];
	fmt_ns(med, sizeof med, nget(t, "median_event_ns"));
	fmt_ns(span, sizeof span, nget(t, "median_span_ns"));
	fmt_ns(lo, sizeof lo, nget(t, "min_event_ns"));
	fmt_ns(hi, sizeof hi, nget(t, "max_event_ns"));
	printf("    %-9s %s median, GPU span %s\n", impl, med, span);
	printf("              %lld samples, %s .. %s\n",
	       (long long)json_integer_value(json_object_get(t, "samples")), lo, hi);
	const json_t *rounds = json_object_get(t, "round_medians_ns");
	if (json_array_size(rounds) > 1) {
		char line[256] = "rounds:";
		size_t i;
		const json_t *v;
		json_array_foreach(rounds, i, v) {
			char b[32];
			fmt_ns(b, sizeof b, json_is_number(v) ? json_number_value(v) : NAN);
			size_t l = strlen(line);
			snprintf(line + l, sizeof line - l, " %s", b);
		}
		printf("              %s\n", line);
	}
}

/* Inputs that get_inputs() made: a reader must know they are not
 * regenerable from the seed alone, and what their bytes hashed to. */
static void print_inputs(const json_t *c)
{
	const json_t *in = json_object_get(c, "inputs");
	if (!json_array_size(in))
		return;
	char text[2048] = "from get_inputs(), not kaudit's generator:";
	size_t i, len = strlen(text);
	const json_t *b;
	json_array_foreach(in, i, b) {
		const char *sha = sget(b, "sha256");
		len += (size_t)snprintf(text + len, len < sizeof text ? sizeof text - len : 0,
				       "%s %s (item %lld of %s, sha256 %.16s%s)", i ? "," : "",
				       sget(b, "buffer") ? sget(b, "buffer") : "?",
				       (long long)json_integer_value(json_object_get(b, "item")),
				       sget(b, "file") ? sget(b, "file") : "?",
				       sha ? sha : "none", sha ? "..." : "");
		if (len >= sizeof text)
			break;
	}
	inspect_wrap_label("  inputs", text, 12, "", "");
}

static void print_case(const struct inspect_style *st, const json_t *c)
{
	char *params = json_dumps(json_object_get(c, "params"), JSON_COMPACT | JSON_PRESERVE_ORDER);
	const char *v = sget(c, "verdict");
	printf("\n%scase %lld  %s%s  %s\n", st->bold, (long long)json_integer_value(json_object_get(c, "case")),
	       sget(c, "kernel") ? sget(c, "kernel") : "?", st->off, params ? params : "");
	free(params);
	printf("  verdict   %s%s%s\n", verdict_color(st, v), v ? v : "(none recorded)", st->off);
	if (sget(c, "reason"))
		inspect_wrap_label("  reason", sget(c, "reason"), 12, "", "");
	if (sget(c, "error"))
		printf("  error     %s\n", sget(c, "error"));
	double m = nget(c, "measured"), cl = nget(c, "claimed");
	const json_t *ci = json_object_get(c, "ci");
	if (isfinite(m) || isfinite(cl)) {
		if (isfinite(m))
			printf("  speedup   measured %.2fx", m);
		else
			printf("  speedup   measured -");
		if (json_array_size(ci) == 2)
			printf(" (95%% CI %.2f-%.2f)", json_number_value(json_array_get(ci, 0)),
			       json_number_value(json_array_get(ci, 1)));
		printf(", claimed %.2fx\n", cl);
	}
	const json_t *tol = json_object_get(c, "tolerance");
	if (tol)
		printf("  tolerance rtol %g, atol %g; %s\n", nget(tol, "rtol"), nget(tol, "atol"),
		       json_is_true(json_object_get(tol, "deterministic"))
		       ? "deterministic: repeats must match bitwise"
		       : "nondeterministic: repeats within tolerance");
	print_inputs(c);
	print_checks(c);
	const json_t *timing = json_object_get(c, "timing");
	if (json_object_size(timing)) {
		printf("  timing\n");
		print_timing("baseline", json_object_get(timing, "baseline"));
		print_timing("candidate", json_object_get(timing, "candidate"));
	}
	const json_t *fs = json_object_get(c, "findings");
	if (json_array_size(fs) == 0) {
		printf("  findings  none\n");
		return;
	}
	printf("  findings\n");
	size_t i;
	const json_t *f;
	json_array_foreach(fs, i, f) {
		const char *sev = sget(f, "severity");
		int bad = sev && strcmp(sev, "invalidating") == 0;
		printf("    %s%s%s (%s", bad ? st->red : st->yellow, sget(f, "code"), st->off,
		       sev ? sev : "?");
		if (sget(f, "impl"))
			printf(", %s", sget(f, "impl"));
		if (json_is_integer(json_object_get(f, "trial")))
			printf(", trial %lld", (long long)json_integer_value(json_object_get(f, "trial")));
		if (json_is_integer(json_object_get(f, "sample")))
			printf(", sample %lld", (long long)json_integer_value(json_object_get(f, "sample")));
		printf(", record %lld)\n", (long long)json_integer_value(json_object_get(f, "record")));
		if (sget(f, "message"))
			wrap(sget(f, "message"), 6);
		/* Not compact: ", " separators let long evidence wrap. */
		char *ev = json_dumps(json_object_get(f, "evidence"),
				      JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
		if (ev) {
			char line[1024];
			snprintf(line, sizeof line, "evidence: %s", ev);
			wrap(line, 6);
			free(ev);
		}
	}
}

int inspect_trust_load(struct inspect_trust *t, const char *pubpath, struct errbuf *e)
{
	memset(t, 0, sizeof *t);
	t->pubpath = pubpath;
	if (pubpath && trace_key_load_public(pubpath, &t->pub, e) < 0)
		return -1;
	if (trace_trust_load(NULL, &t->store, e) < 0) {
		trace_key_free(t->pub);
		t->pub = NULL;
		return -1;
	}
	return 0;
}

void inspect_trust_release(struct inspect_trust *t)
{
	trace_key_free(t->pub);
	trace_trust_free(t->store);
	t->pub = NULL;
	t->store = NULL;
}

void inspect_signer_judge(const struct trace_contents *c, const struct inspect_trust *t,
			  struct inspect_signer *out)
{
	struct trace_facts f;
	trace_facts_of(c, &f);
	inspect_signer_judge_facts(&f, t, out);
}

void inspect_signer_judge_facts(const struct trace_facts *c, const struct inspect_trust *t,
				struct inspect_signer *out)
{
	memset(out, 0, sizeof *out);
	snprintf(out->keyid, sizeof out->keyid, "%s", c->keyid);
	out->verified = c->signature_ok && c->keyid[0];
	out->required = t->pub || t->store;
	const char *named = trace_trust_name(t->store, c->keyid);
	if (out->verified)
		out->trusted = t->pub ? strcmp(trace_key_id(t->pub), c->keyid) == 0 : named != NULL;
	if (out->trusted)
		snprintf(out->name, sizeof out->name, "%s", named ? named : t->pubpath);
	/* Twice: with the keyid shortened (the 80 columns) and whole (stderr). */
	for (int whole = 0; whole < 2; whole++) {
		char *buf = whole ? out->full : out->text;
		size_t n = whole ? sizeof out->full : sizeof out->text;
		int kw = whole ? 64 : 16;
		const char *dots = whole ? "" : "...";
		if (!c->keyid[0])
			snprintf(buf, n, "no signer: the header names no key");
		else if (!out->verified)
			snprintf(buf, n, "%s (the header's key %.*s%s)",
				 c->has_signature ? "no valid signature" : "unsigned", kw, c->keyid,
				 dots);
		else if (out->trusted)
			snprintf(buf, n, "signed by %s (keyid %.*s%s)", out->name, kw, c->keyid, dots);
		else if (t->pub)
			snprintf(buf, n, "signed by an UNTRUSTED key %.*s%s, not by the expected key "
				 "%.*s%s of %s", kw, c->keyid, dots, kw, trace_key_id(t->pub), dots,
				 t->pubpath);
		else if (t->store)
			snprintf(buf, n, "signed by an UNTRUSTED key %.*s%s (not in %s)", kw, c->keyid,
				 dots, trace_trust_path(t->store));
		else
			snprintf(buf, n, "signed by an UNTRUSTED key %.*s%s (no trust store or "
				 "--pubkey names it; see kaudit(1) FILES)", kw, c->keyid, dots);
	}
}

json_t *inspect_signer_json(const struct inspect_signer *s)
{
	json_t *o = json_object();
	record_json_put_str(o, "keyid", s->keyid[0] ? s->keyid : NULL);
	json_object_set_new(o, "verified", json_boolean(s->verified));
	json_object_set_new(o, "trusted", json_boolean(s->trusted));
	json_object_set_new(o, "required", json_boolean(s->required));
	json_object_set_new(o, "name", s->trusted ? json_string(s->name) : json_null());
	json_object_set_new(o, "text", json_string(s->text));
	return o;
}

void inspect_damage_text(const json_t *s, char *buf, size_t n)
{
	static const struct {
		const char *damage, *label;
	} labels[] = {
		{ "truncated", "TRUNCATED" },
		{ "corrupt", "CORRUPT" },
		{ "unsigned", "UNSIGNED" },
		{ "tampered", "TAMPERED" },
	};
	buf[0] = '\0';
	if (json_is_true(json_object_get(s, "intact")))
		return;
	const char *d = sget(s, "damage"), *label = "TAMPERED";
	for (size_t i = 0; d && i < sizeof labels / sizeof labels[0]; i++)
		if (strcmp(d, labels[i].damage) == 0)
			label = labels[i].label;
	snprintf(buf, n, "%s: %s", label, sget(s, "problem") ? sget(s, "problem") : "incomplete");
}

/* The text rendering of trace_summary(); check prints the same head.
 * STATUS is the status line (what the command concluded); SIGNER who
 * signed it. */
/* One case's line (or, FULL, its section); C already printable. */
static void print_one_case(const struct inspect_style *st, const json_t *c, int full)
{
	if (full) {
		print_case(st, c);
		return;
	}
	const char *v = sget(c, "verdict");
	printf("case %-4lld %-24s %s%s%s\n", (long long)json_integer_value(json_object_get(c, "case")),
	       sget(c, "kernel") ? sget(c, "kernel") : "?", verdict_color(st, v),
	       v ? v : "(no verdict)", st->off);
}

void inspect_print_summary(const char *path, const json_t *summary,
			   struct trace_summary_acc *cases, int full,
			   const struct inspect_status *status, const struct inspect_signer *signer)
{
	/* Every string below comes from the trace: shown with its control
	 * characters escaped, never sent to the terminal as they are. */
	json_t *s = cli_printable_json(summary);
	char *shown_path = cli_printable(path, strlen(path));
	struct inspect_style st = { "", "", "", "", "" };
	if (cli_use_color(1))
		st = (struct inspect_style){ "\033[1m", "\033[31m", "\033[32m", "\033[33m", "\033[0m" };
	printf("%strace%s     %s (%lld records)\n", st.bold, st.off, shown_path,
	       (long long)json_integer_value(json_object_get(s, "records")));
	inspect_print_banners(s, &st);
	const char *color = status->level == INSPECT_OK ? st.green
			    : status->level == INSPECT_WARN ? st.yellow : st.red;
	char *status_text = cli_printable(status->text, strlen(status->text));
	inspect_wrap_label("status", status_text, 10, color, st.off);
	free(status_text);
	/* Yellow: a valid signature nobody vouches for, where that is allowed;
	 * red: no valid signature, or one a required trust refuses. */
	const char *scolor = signer->trusted ? "" : signer->verified && !signer->required
			     ? st.yellow : st.red;
	inspect_wrap_label("signer", signer->text, 10, scolor, *scolor ? st.off : "");
	if (signer->keyid[0])
		printf("keyid     %s\n", signer->keyid);
	const json_t *claim = json_object_get(s, "claim");
	if (sget(claim, "title"))
		printf("claim     \"%s\"\n", sget(claim, "title"));
	if (sget(claim, "sha256"))
		printf("manifest  %s sha256 %.16s...\n", sget(claim, "path") ? sget(claim, "path") : "?",
		       sget(claim, "sha256"));
	const json_t *audit = json_object_get(s, "audit");
	if (audit)
		printf("audit     %s on %s, kaudit %s\n", sget(audit, "time") ? sget(audit, "time") : "?",
		       sget(audit, "host") ? sget(audit, "host") : "?",
		       sget(audit, "tool") ? sget(audit, "tool") : "?");
	/* A part of the claim only: which (summary joins the parts). */
	const json_t *sel = json_object_get(audit, "selection");
	const json_t *shard = json_object_get(sel, "shard");
	if (shard)
		printf("shard     %lld/%lld: the cases whose index mod %lld is %lld, of the "
		       "claim's %lld\n", (long long)json_integer_value(json_object_get(shard, "index")),
		       (long long)json_integer_value(json_object_get(shard, "count")),
		       (long long)json_integer_value(json_object_get(shard, "count")),
		       (long long)json_integer_value(json_object_get(shard, "index")),
		       (long long)json_integer_value(json_object_get(sel, "cases")));
	if (sget(sel, "kernel"))
		printf("kernel    only %s (verify --kernel), of the claim's %lld cases\n",
		       sget(sel, "kernel"), (long long)json_integer_value(json_object_get(sel, "cases")));
	if (full)
		inspect_print_setup(s, &st);
	size_t i;
	const json_t *c;
	json_array_foreach(json_object_get(s, "cases"), i, c)
		print_one_case(&st, c, full);
	for (i = 0; cases && i < trace_summary_acc_ncases(cases); i++) {
		json_t *raw = trace_summary_acc_case_at(cases, i);
		json_t *shown = cli_printable_json(raw);
		print_one_case(&st, shown, full);
		json_decref(shown);
		json_decref(raw);
	}
	const json_t *obs = json_object_get(s, "observation");
	if (obs)
		observe_print(obs);
	const char *v = sget(s, "verdict");
	printf("%s%s%s  %s%s%s\n", full ? "\n" : "", obs ? "observation verdict" : "claim verdict",
	       "", verdict_color(&st, v), v ? v : "(none recorded)", st.off);
	free(shown_path);
	json_decref(s);
}

int inspect_judge(const json_t *s, int intact, const char *problem,
		  const struct inspect_signer *sg, struct inspect_status *st, char *why, size_t n)
{
	st->level = INSPECT_OK;
	st->text[0] = '\0';
	why[0] = '\0';
	if (!intact) {
		st->level = INSPECT_FAIL;
		inspect_damage_text(s, st->text, sizeof st->text);
		snprintf(why, n, "%s", problem);
		return EXIT_INTEGRITY;
	}
	if (!sg->trusted && sg->required) {
		st->level = INSPECT_FAIL;
		snprintf(st->text, sizeof st->text, "UNTRUSTED: intact, but %s", sg->text);
		snprintf(why, n, "%s", sg->full);
		return EXIT_INTEGRITY;
	}
	if (!sg->trusted) {
		st->level = INSPECT_WARN;
		snprintf(st->text, sizeof st->text, "intact, but signed by an UNTRUSTED key: "
			 "no trust store or --pubkey says who it is");
	} else {
		snprintf(st->text, sizeof st->text, "intact, signed by %s", sg->name);
	}
	return EXIT_OK;
}

struct inspect_feed {
	struct trace_summary_acc *acc;
	struct observe_keep keep;
};

static void summary_record(void *ctx, const struct record *r)
{
	struct inspect_feed *f = ctx;
	trace_summary_acc_record(f->acc, r);
	observe_keep_record(&f->keep, r);
}

static void summary_case(void *ctx, const struct record *recs, size_t n)
{
	struct inspect_feed *f = ctx;
	trace_summary_acc_case(f->acc, recs, n);
}

static json_t *summary_case_at(void *ctx, size_t i)
{
	return trace_summary_acc_case_at(ctx, i);
}

void inspect_print_json(const json_t *summary, struct trace_summary_acc *cases)
{
	cli_json_print_array(summary, "cases", trace_summary_acc_ncases(cases), summary_case_at,
			     cases);
}

/* Inspects one trace; returns its exit code. */
static int inspect_one(const char *path, const struct inspect_trust *t, int as_json)
{
	/* One streaming pass (trace_stream): the summary takes each case as it
	 * ends, and the status is judged when the reader has seen it all. */
	struct trace_contents c;
	struct errbuf e = { "", 0 };
	struct inspect_feed feed;
	memset(&feed, 0, sizeof feed);
	feed.acc = trace_summary_acc_new();
	struct trace_summary_acc *acc = feed.acc;
	struct trace_visitor v = { &feed, summary_record, summary_case };
	if (trace_stream(path, &v, &c, &e) < 0) {
		trace_summary_acc_free(acc);
		observe_keep_free(&feed.keep);
		return cli_fail_err(&e);
	}
	json_t *s = trace_summary_acc_finish_head(acc, &c);
	json_t *obs = observe_keep_summary(&feed.keep);
	if (obs)
		json_object_set_new(s, "observation", obs);
	observe_keep_free(&feed.keep);
	struct inspect_signer sg;
	inspect_signer_judge(&c, t, &sg);
	int intact = trace_integrity(&c, NULL, &e) == 0;
	trace_contents_free(&c);
	struct inspect_status st;
	char why[1200];
	int rc = inspect_judge(s, intact, e.msg, &sg, &st, why, sizeof why);
	if (as_json) {
		json_object_set_new(s, "file", cli_json_string(path));
		json_object_set_new(s, "signer", inspect_signer_json(&sg));
		inspect_print_json(s, acc);
	} else {
		inspect_print_summary(path, s, acc, 1, &st, &sg);
	}
	json_decref(s);
	trace_summary_acc_free(acc);
	/* Everything readable was shown; the exit code still says the trace
	 * cannot be trusted as a whole (kaudit-trace(5)). */
	if (rc != EXIT_OK)
		return cli_fail(rc, "%s: %s", path, why);
	return EXIT_OK;
}

int inspect_each_trace(int npaths, char **paths, int json,
		       int (*one)(const char *path, void *ctx), void *ctx)
{
	int rc = EXIT_OK;
	for (int i = 0; i < npaths; i++) {
		if (i > 0 && !json)
			putchar('\n');
		cli_json_item(paths[i]);
		int r = one(paths[i], ctx);
		if (r > rc)
			rc = r;
	}
	return rc;
}

struct inspect_args {
	const struct inspect_trust *t;
	int json;
	int manifest;          /* --manifest */
	const char *source;    /* --source PATH */
};

/* Writes TEXT as it is when stdout is not a terminal (redirected to a
 * file: the exact bytes), else with control characters other than
 * newline and tab escaped. */
static void print_embedded(const char *text)
{
	if (!isatty(STDOUT_FILENO)) {
		fputs(text, stdout);
		return;
	}
	for (const char *p = text; *p; p++) {
		const char *next = p + strcspn(p, "\n\t");
		char *shown = cli_printable(p, (size_t)(next - p));
		fputs(shown, stdout);
		free(shown);
		if (!*next)
			break;
		putchar(*next);
		p = next;
	}
}

/* The header, the first record (--manifest and --source need nothing else). */
struct header_feed {
	int has, seen;
	struct record header;
};

static void header_record(void *ctx, const struct record *r)
{
	struct header_feed *f = ctx;
	if (!f->seen && r->type == REC_HEADER) {
		record_copy(&f->header, r);
		f->has = 1;
	}
	f->seen = 1;
}

/* --manifest / --source PATH: the embedded text of one trace.  Printed
 * also from a damaged or untrusted trace (an investigator needs it), but
 * then exit 4 with the reason, as inspect does. */
static int extract_one(const char *path, const struct inspect_args *a)
{
	struct trace_contents c;
	struct errbuf e = { "", 0 };
	struct header_feed hf = { 0, 0, { 0 } };
	struct trace_visitor v = { &hf, header_record, NULL };
	if (trace_stream(path, &v, &c, &e) < 0) {
		if (hf.has)
			record_clear(&hf.header);
		return cli_fail_err(&e);
	}
	if (!hf.has) {
		trace_contents_free(&c);
		return cli_fail(EXIT_INTEGRITY, "%s: no complete header to take the text from", path);
	}
	struct inspect_signer sg;
	inspect_signer_judge(&c, a->t, &sg);
	int intact = trace_integrity(&c, NULL, &e) == 0;
	const struct rec_header *h = &hf.header.u.header;
	const char *text = NULL;
	int rc = EXIT_OK;
	if (a->manifest) {
		text = h->manifest_text;
		if (!text)
			rc = cli_fail(EXIT_BAD_INPUT, "%s: the header holds no manifest", path);
	} else {
		/* The first entry of a sha256 holds its text; later ones name it. */
		const char *sha = NULL;
		size_t i;
		const json_t *src;
		json_array_foreach(h->sources, i, src) {
			const char *p = json_string_value(json_object_get(src, "path"));
			if (p && strcmp(p, a->source) == 0 && !sha)
				sha = json_string_value(json_object_get(src, "sha256"));
		}
		json_array_foreach(h->sources, i, src)
			if (!text && sha && json_is_string(json_object_get(src, "text")) &&
			    strcmp(sha, json_string_value(json_object_get(src, "sha256"))) == 0)
				text = json_string_value(json_object_get(src, "text"));
		if (!sha)
			rc = cli_fail(EXIT_BAD_INPUT, "%s: no source %s in this trace (`kaudit "
				      "inspect %s` lists them)", path, a->source, path);
		else if (!text)
			rc = cli_fail(EXIT_BAD_INPUT, "%s: %s is recorded by its sha256 %.16s... "
				      "only (not UTF-8 text, or too large to embed)", path,
				      a->source, sha);
	}
	if (text)
		print_embedded(text);
	record_clear(&hf.header);
	trace_contents_free(&c);
	if (rc == EXIT_OK && !intact)
		rc = cli_fail(EXIT_INTEGRITY, "%s: %s (the text above is from a trace that does "
			      "not verify)", path, e.msg);
	else if (rc == EXIT_OK && !sg.trusted && sg.required)
		rc = cli_fail(EXIT_INTEGRITY, "%s: %s", path, sg.full);
	return rc;
}

static int inspect_path(const char *path, void *ctx)
{
	const struct inspect_args *a = ctx;
	if (a->manifest || a->source)
		return extract_one(path, a);
	return inspect_one(path, a->t, a->json);
}

enum { OPT_PUBKEY = 1, OPT_JSON, OPT_MANIFEST, OPT_SOURCE };
static const struct cli_opt opts[] = {
	{ "pubkey", 0, CLI_VALUE, OPT_PUBKEY },
	{ "json", 0, CLI_FLAG, OPT_JSON },
	{ "manifest", 0, CLI_FLAG, OPT_MANIFEST },
	{ "source", 0, CLI_VALUE, OPT_SOURCE },
	{ NULL, 0, 0, 0 },
};
static const struct cli_command inspect_cmd = {
	"inspect", usage,
	"Summarises each trace: claim, device, who signed it, verdict per case,\n"
	"measured vs claimed speedup, findings with evidence, timings.  Reads\n"
	"truncated traces up to the last complete gzip member.  With --pubkey (or\n"
	"a trust store) a signer it does not name exits 4.  --manifest and --source PATH print the manifest or\n"
	"a source as the trace holds it.  See kaudit-trace(5).\n",
	opts, "TRACE.kat", 1, CLI_MANY,
};

int cmd_inspect(int argc, char **argv)
{
	const char *pubpath = NULL, *source = NULL;
	int as_json = 0, manifest = 0;
	cli_json_begin(argc, argv);
	struct cli_parse p;
	int id;
	cli_opts_init(&p, &inspect_cmd, argc, argv);
	while ((id = cli_opts_next(&p)) > 0) {
		switch (id) {
		case OPT_PUBKEY: pubpath = p.value; break;
		case OPT_JSON: as_json = 1; break;
		case OPT_MANIFEST: manifest = 1; break;
		case OPT_SOURCE: source = p.value; break;
		}
	}
	if (id == CLI_STOP)
		return p.status;
	if ((manifest || source) && (as_json || (manifest && source)))
		return cli_opts_error(&inspect_cmd, "--manifest and --source print text: one of "
				      "them, without --json");
	struct inspect_trust t;
	struct errbuf e = { "", 0 };
	if (inspect_trust_load(&t, pubpath, &e) < 0)
		return cli_fail_err(&e);
	struct inspect_args a = { &t, as_json, manifest, source };
	int rc = inspect_each_trace(p.noperands, p.operands, as_json, inspect_path, &a);
	inspect_trust_release(&t);
	return rc;
}
