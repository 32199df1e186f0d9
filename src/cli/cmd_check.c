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
 * Exit: 0 intact, consistent, and (with --pubkey or a trust store) signed
 * by a trusted key; 4 otherwise; 2 not a trace or bad usage; with
 * --expect, 1 when a kernel's `expect` does not hold.  Several traces: the
 * largest code.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/check.h"
#include "cli/cli.h"
#include "cli/cli_json.h"
#include "cli/cmd_inspect.h"
#include "cli/cmds.h"
#include "cli/observe_show.h"

static const char usage[] = "kaudit check TRACE.kat... [--pubkey PUB.pem] [--expect] [--json]";

/* ---- expectations (the `expect` of test manifests) ---- */

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


/* ---- one trace ---- */

struct check_opts {
	int expect, json;
	const struct inspect_trust *trust;
};

/* What check keeps while the trace streams past (never the records): the
 * summary inspect shows, the detectors' state, the header and first
 * device, and (check_keep) the stored conclusions and each case's kernel
 * and expect, a few words each in memory. */
struct feed {
	struct trace_summary_acc *sum;
	struct detect_stream *det;
	struct check_keep *keep;
	struct record header, device;
	int has_header, has_device, seen_any;
	struct observe_keep obs;          /* an observation's records (kaudit observe) */
};

static void feed_common(struct feed *f, const struct record *r)
{
	if (r->type == REC_DEVICE && !f->has_device) {
		record_copy(&f->device, r);
		f->has_device = 1;
	}
	if (r->type == REC_CASE)
		check_keep_case(f->keep, r);
}

static void feed_record(void *ctx, const struct record *r)
{
	struct feed *f = ctx;
	trace_summary_acc_record(f->sum, r);
	if (!f->seen_any && r->type == REC_HEADER) {
		record_copy(&f->header, r);
		f->has_header = 1;
	}
	f->seen_any = 1;
	observe_keep_record(&f->obs, r);
	if (!f->det) /* a trace from before the header kept a margin: verify's default */
		f->det = detect_stream_new(f->has_header ? f->header.u.header.margin : NAN);
	feed_common(f, r);
	if (r->type == REC_FINDING || r->type == REC_VERDICT)
		check_keep_stored(f->keep, r);
	else
		detect_stream_global(f->det, r);
}

static void feed_case(void *ctx, const struct record *recs, size_t n)
{
	struct feed *f = ctx;
	trace_summary_acc_case(f->sum, recs, n);
	if (!f->det)
		f->det = detect_stream_new(NAN);
	f->seen_any = 1;
	detect_stream_case(f->det, recs, n);
	for (size_t i = 0; i < n; i++)
		feed_common(f, &recs[i]);
}

static void feed_release(struct feed *f)
{
	trace_summary_acc_free(f->sum);
	detect_stream_free(f->det);
	check_keep_free(f->keep);
	observe_keep_free(&f->obs);
	if (f->has_header)
		record_clear(&f->header);
	if (f->has_device)
		record_clear(&f->device);
}

static int check_one(const char *path, const struct check_opts *o)
{
	/* One pass: the trace streams past case by case (trace_stream), the
	 * summary and the detectors take each case, and nothing is concluded
	 * until the reader has said whether the whole trace is intact. */
	struct trace_contents c;
	struct errbuf e = { "", 0 };
	struct feed f;
	memset(&f, 0, sizeof f);
	f.sum = trace_summary_acc_new();
	f.keep = check_keep_new();
	if (!o->json)
		trace_summary_acc_brief(f.sum); /* the text shows a line per case */
	struct trace_visitor v = { &f, feed_record, feed_case };
	if (trace_stream(path, &v, &c, &e) < 0) {
		feed_release(&f);
		return cli_fail_err(&e);
	}
	json_t *sum = trace_summary_acc_finish_head(f.sum, &c); /* cases: one at a time */
	json_t *obs = observe_keep_summary(&f.obs);
	if (obs)
		json_object_set_new(sum, "observation", obs);
	struct inspect_signer sg;
	inspect_signer_judge(&c, o->trust, &sg);
	int intact = trace_integrity(&c, NULL, &e) == 0;

	/* Judge everything first: the status line above says how it ended. */
	struct check_strict s;
	check_strict_init(&s);
	int analysed = 0, detectors_failed = 0;
	json_t *exp = json_array();
	size_t nexp = 0, nfailed = 0;
	if (intact) {
		if (!f.det)
			f.det = detect_stream_new(NAN);
		if (check_keep_judge(f.keep, f.det, c.statement, c.pred_cases,
				     f.has_header ? &f.header.u.header : NULL,
				     f.has_device ? &f.device.u.device : NULL, &s, exp, &nexp,
				     &nfailed) < 0)
			detectors_failed = 1;
		else
			analysed = 1;
	}

	struct inspect_status st = { INSPECT_OK, "" };
	char why[1200] = "";
	int rc = EXIT_OK;
	if (!intact) {
		inspect_damage_text(sum, st.text, sizeof st.text);
		snprintf(why, sizeof why, "%s", e.msg);
	} else if (!sg.trusted && sg.required) {
		snprintf(st.text, sizeof st.text, "UNTRUSTED: %s", sg.text);
		snprintf(why, sizeof why, "%s", sg.full);
	} else if (detectors_failed) {
		snprintf(st.text, sizeof st.text, "FAILED: the detectors failed on these records");
		snprintf(why, sizeof why, "the detectors failed on these records");
	} else if (s.n) {
		snprintf(st.text, sizeof st.text, "CONTRADICTED: %zu stored value%s not what the "
			 "records give", s.n, s.n == 1 ? " is" : "s are");
		snprintf(why, sizeof why, "%zu stored value%s not what the records give (%s)", s.n,
			 s.n == 1 ? " is" : "s are", s.first);
	}
	if (why[0]) {
		st.level = INSPECT_FAIL;
		rc = EXIT_INTEGRITY;
	} else if (!sg.trusted) {
		st.level = INSPECT_WARN;
		snprintf(st.text, sizeof st.text, "intact and consistent, but signed by an "
			 "UNTRUSTED key: no trust store or --pubkey says who signed it");
	} else {
		snprintf(st.text, sizeof st.text, "valid: intact, signed by %s, every conclusion "
			 "re-derived", sg.name);
	}
	/* A valid trace of records nobody measured on kaudit's plugin is still
	 * no measurement: the verdict line says so (the exit code is the
	 * trace's validity, kaudit(1) EXIT STATUS). */
	if (!why[0] && (json_is_true(json_object_get(sum, "stand_in")) ||
			json_is_true(json_object_get(sum, "synthetic")))) {
		size_t l = strlen(st.text);
		snprintf(st.text + l, sizeof st.text - l, "; but %s",
			 json_is_true(json_object_get(sum, "synthetic"))
			 ? "SYNTHETIC: the records are made up, not measured"
			 : "STAND-IN: not measured by kaudit's own GPU plugin");
		st.level = INSPECT_WARN;
	}
	if (rc == EXIT_OK && o->expect && nfailed)
		rc = EXIT_NOT_REPRODUCED;

	if (o->json) {
		json_object_set_new(sum, "file", cli_json_string(path));
		json_object_set_new(sum, "signer", inspect_signer_json(&sg));
		json_t *chk = json_object();
		json_object_set_new(chk, "valid", json_boolean(st.level != INSPECT_FAIL));
		json_object_set_new(chk, "exit", json_integer(rc));
		json_object_set_new(chk, "status", json_string(st.text));
		json_object_set_new(chk, "analysed", json_boolean(analysed));
		json_object_set_new(chk, "tolerance", json_real(CHECK_RTOL));
		json_object_set_new(chk, "disagreements", json_incref(s.lines));
		json_object_set_new(chk, "disagreements_total", json_integer((json_int_t)s.n));
		json_object_set_new(chk, "expectations", json_incref(exp));
		json_object_set_new(sum, "check", chk);
		inspect_print_json(sum, f.sum);
	} else {
		inspect_print_summary(path, sum, f.sum, 0, &st, &sg);
		if (intact)
			printf("integrity ok: %lld records and their sha256 match the footer,\n"
			       "  sha256 %s\n"
			       "  Ed25519 signature valid, by the key the header names,\n"
			       "  %s\n",
			       (long long)(c.nrecords - 2), c.computed_sha256,
			       c.file_bound ? "over the records and this file's bytes before it"
			       : "over the records only (kaudit 0.1 format: not this file's bytes)");
		else
			printf("integrity FAILED: %s\n", e.msg);
		if (!intact) {
			printf("strict re-analysis: not run (the trace is not intact)\n");
		} else if (detectors_failed) {
			printf("strict re-analysis: the detectors failed on these records\n");
		} else if (s.n == 0) {
			printf("strict re-analysis: kaudit %s detectors, margin %g%%, reals to %g "
			       "relative\n  the records support every stored finding and verdict, and "
			       "every stored\n  speedup, interval and the signed predicate are what "
			       "they give\n",
			       KAUDIT_VERSION, f.has_header && isfinite(f.header.u.header.margin)
			       ? f.header.u.header.margin * 100 : 10.0, CHECK_RTOL);
		} else {
			printf("strict re-analysis: kaudit %s detectors, reals to %g relative\n"
			       "  CONTRADICTED: %zu stored value%s not what the records "
			       "give:\n", KAUDIT_VERSION, CHECK_RTOL, s.n,
			       s.n == 1 ? " is" : "s are");
			size_t i;
			json_t *l;
			json_array_foreach(s.lines, i, l)
				printf("  %s\n", json_string_value(l));
			if (s.n > CHECK_MAX_LINES)
				printf("  ... and %zu more\n", s.n - CHECK_MAX_LINES);
		}
		if (nexp) {
			printf("expectations:\n");
			size_t i;
			json_t *x;
			json_array_foreach(exp, i, x)
				print_expectation(x);
		} else if (o->expect && analysed) {
			printf("expectations: no case of this trace has an 'expect'\n");
		}
	}
	json_decref(exp);
	check_strict_release(&s);
	json_decref(sum);
	feed_release(&f);
	trace_contents_free(&c);
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
	struct check_opts o = { 0, 0, NULL };
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
