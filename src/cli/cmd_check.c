/*
 * cmd_check.c - kaudit check TRACE... [--pubkey PUB] [--expect] [--json]:
 * is this trace intact, who signed it, and is every conclusion it stores
 * what its records give?
 *
 * Strict check (kaudit(1) check, kaudit-trace(5) CHECK): the detectors of
 * this kaudit run again over the stored records, with the header's margin;
 * every stored finding (code, severity, case, impl, call, trial, sample,
 * message, evidence), every stored verdict (verdict, kernel, claimed,
 * measured, 95% interval, medians, reason, params, finding codes), the
 * claim's verdict, and the signed predicate (all but end_time) must be what
 * that gives.  Reals agree within a relative CHECK_RTOL; text and integers
 * exactly.  One line per disagreement; any makes the exit code 4.
 *
 * The judgement itself is check_trace.c (with check_keep.c, check_compare.c
 * and check_selection.c), shared with
 * summary; this file prints it.
 *
 * Exit: 0 intact, consistent, and (with --pubkey or a trust store) signed
 * by a trusted key; 4 otherwise; 2 not a trace or bad usage; with
 * --expect, 1 when a kernel's `expect` does not hold.  Several traces: the
 * largest code.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/check_trace.h"
#include "cli/cli.h"
#include "cli/cli_json.h"
#include "cli/cmds.h"

static const char usage[] = "kaudit check TRACE.kat... [--pubkey PUB.pem] [--expect] [--json]";

static void codes_text(const json_t *codes, char *out, size_t cap)
{
	size_t i, len = 0;
	json_t *v;
	out[0] = '\0';
	json_array_foreach(codes, i, v) {
		int n = snprintf(out + len, cap - len, "%s%s", i ? "," : "",
				 json_string_value(v) ? json_string_value(v) : "?");
		if (n < 0 || (size_t)n >= cap - len)
			return;
		len += (size_t)n;
	}
}

/* "ID: expect ok" or "ID: expect FAILED: wanted V [CODES] got V [CODES]",
 * as verify prints them. */
static void print_expectation(const json_t *x)
{
	const char *kernel = json_string_value(json_object_get(x, "kernel"));
	const json_t *w = json_object_get(x, "wanted"), *g = json_object_get(x, "got");
	const char *want = json_string_value(json_object_get(w, "verdict"));
	char wc[256], gc[256];
	codes_text(json_object_get(w, "findings"), wc, sizeof wc);
	codes_text(json_object_get(g, "findings"), gc, sizeof gc);
	if (json_is_true(json_object_get(x, "ok")))
		printf("  %s: expect ok\n", kernel ? kernel : "?");
	else
		printf("  %s: expect FAILED: wanted %s%s%s%s got %s [%s]\n", kernel ? kernel : "?",
		       want ? want : "any verdict", wc[0] ? " [" : "", wc, wc[0] ? "]" : "",
		       json_string_value(json_object_get(g, "verdict")), gc);
}

static int check_one(const char *path, const struct check_opts *o)
{
	struct check_trace t;
	struct errbuf e = { "", 0 };
	struct check_opts oo = *o;
	oo.brief = !o->json; /* the text shows a line per case */
	if (check_trace_run(path, &oo, &t, &e) < 0)
		return cli_fail_err(&e);
	const struct check_feed *f = &t.f;
	const struct check_strict *s = &t.s;
	json_t *sum = t.summary;
	int rc = t.rc;
	if (o->json) {
		json_object_set_new(sum, "file", cli_json_string(path));
		json_object_set_new(sum, "signer", inspect_signer_json(&t.sg));
		json_t *chk = json_object();
		json_object_set_new(chk, "valid", json_boolean(t.st.level != INSPECT_FAIL));
		json_object_set_new(chk, "exit", json_integer(rc));
		json_object_set_new(chk, "status", json_string(t.st.text));
		json_object_set_new(chk, "analysed", json_boolean(t.analysed));
		json_object_set_new(chk, "tolerance", json_real(CHECK_RTOL));
		json_object_set_new(chk, "disagreements", json_incref(s->lines));
		json_object_set_new(chk, "disagreements_total", json_integer((json_int_t)s->n));
		json_object_set_new(chk, "expectations", json_incref(t.expectations));
		json_object_set_new(sum, "check", chk);
		inspect_print_json(sum, f->sum);
	} else {
		inspect_print_summary(path, sum, f->sum, 0, &t.st, &t.sg);
		if (t.intact)
			printf("integrity ok: %lld records and their sha256 match the footer,\n"
			       "  sha256 %s\n"
			       "  Ed25519 signature valid, by the key the header names,\n"
			       "  %s\n",
			       (long long)(t.c.nrecords - 2), t.c.computed_sha256,
			       t.c.file_bound ? "over the records and this file's bytes before it"
			       : "over the records only (kaudit 0.1 format: not this file's bytes)");
		else
			printf("integrity FAILED: %s\n", t.problem);
		if (!t.intact) {
			printf("strict re-analysis: not run (the trace is not intact)\n");
		} else if (t.detectors_failed) {
			printf("strict re-analysis: the detectors failed on these records\n");
		} else if (s->n == 0) {
			printf("strict re-analysis: kaudit %s detectors, margin %g%%, reals to %g "
			       "relative\n  the records support every stored finding and verdict, and "
			       "every stored\n  speedup, interval and the signed predicate are what "
			       "they give\n",
			       KAUDIT_VERSION, f->has_header && isfinite(f->header.u.header.margin)
			       ? f->header.u.header.margin * 100 : 10.0, CHECK_RTOL);
		} else {
			printf("strict re-analysis: kaudit %s detectors, reals to %g relative\n"
			       "  CONTRADICTED: %zu stored value%s not what the records "
			       "give:\n", KAUDIT_VERSION, CHECK_RTOL, s->n,
			       s->n == 1 ? " is" : "s are");
			size_t i;
			json_t *l;
			json_array_foreach(s->lines, i, l)
				printf("  %s\n", json_string_value(l));
			if (s->n > CHECK_MAX_LINES)
				printf("  ... and %zu more\n", s->n - CHECK_MAX_LINES);
		}
		if (t.nexp) {
			printf("expectations:\n");
			size_t i;
			json_t *x;
			json_array_foreach(t.expectations, i, x)
				print_expectation(x);
		} else if (o->expect && t.analysed) {
			printf("expectations: no case of this trace has an 'expect'\n");
		}
	}
	char why[sizeof t.why];
	snprintf(why, sizeof why, "%s", t.why);
	size_t nfailed = t.nfailed, nexp = t.nexp;
	check_trace_release(&t);
	if (rc == EXIT_INTEGRITY)
		return cli_fail(rc, "%s: %s", path, why);
	if (rc == EXIT_NOT_REPRODUCED)
		return cli_fail(rc, "%s: %zu of %zu expectations do not hold", path, nfailed, nexp);
	return rc;
}

static int check_path(const char *path, void *ctx)
{
	return check_one(path, ctx);
}

enum { OPT_PUBKEY = 1, OPT_EXPECT, OPT_JSON };
static const struct cli_opt opts[] = {
	{ "pubkey", 0, CLI_VALUE, OPT_PUBKEY },
	{ "expect", 0, CLI_FLAG, OPT_EXPECT },
	{ "json", 0, CLI_FLAG, OPT_JSON },
	{ NULL, 0, 0, 0 },
};
static const struct cli_command check_cmd = {
	"check", usage,
	"Verifies gzip integrity, every record, the record count and sha256 against\n"
	"the footer, and the Ed25519 signature; names the signer from --pubkey or\n"
	"the trust store (kaudit(1) FILES); then runs the detectors again and\n"
	"compares every stored finding, verdict, speedup, interval and the signed\n"
	"predicate with what the records give.  Exit 0 valid, 4 tampered, truncated,\n"
	"unsigned, contradicted or (with --pubkey or a trust store) an untrusted\n"
	"signer, 2 not a trace; with --expect, 1 when an expectation fails.\n",
	opts, "TRACE.kat", 1, CLI_MANY,
};

int cmd_check(int argc, char **argv)
{
	const char *pubpath = NULL;
	struct check_opts o = { 0, 0, 0, NULL };
	cli_json_begin(argc, argv);
	struct cli_parse p;
	int id;
	cli_opts_init(&p, &check_cmd, argc, argv);
	while ((id = cli_opts_next(&p)) > 0) {
		switch (id) {
		case OPT_PUBKEY: pubpath = p.value; break;
		case OPT_EXPECT: o.expect = 1; break;
		case OPT_JSON: o.json = 1; break;
		}
	}
	if (id == CLI_STOP)
		return p.status;
	struct inspect_trust t;
	struct errbuf e = { "", 0 };
	if (inspect_trust_load(&t, pubpath, &e) < 0)
		return cli_fail_err(&e);
	o.trust = &t;
	int rc = inspect_each_trace(p.noperands, p.operands, o.json, check_path, &o);
	inspect_trust_release(&t);
	return rc;
}
