/*
 * cmd_check.c - kaudit check TRACE [--pubkey PUB]: is this trace intact,
 * who signed it, what does it show, and do today's detectors agree with
 * the findings and verdicts it stores?
 *
 * Exit: 0 intact and signed (and by PUB), 4 tampered/truncated/unsigned/
 * wrong key, 2 not a trace.  Re-analysis differences are printed but do not
 * change the exit code: they judge the audit, not the file (kaudit-trace(5)).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_inspect.h"
#include "cmds.h"
#include "detect/detect.h"
#include "trace/trace.h"

static const char usage[] = "kaudit check TRACE.kat [--pubkey PUB.pem]";

static const char *impl_or(enum record_impl i)
{
	const char *s = record_impl_name(i);
	return s ? s : "-";
}

static int same_finding(const struct record *a, const struct record *b)
{
	return a->case_index == b->case_index && a->impl == b->impl &&
	       strcmp(a->u.finding.code, b->u.finding.code) == 0;
}

static void case_name(char *buf, size_t n, int64_t k)
{
	if (k == REC_NONE)
		snprintf(buf, n, "the claim");
	else
		snprintf(buf, n, "case %lld", (long long)k);
}

/* Re-runs the detectors over the stored records and prints every finding
 * or verdict that differs; returns the number of differences, -1 if the
 * detectors failed. */
static int reanalyse(const struct trace_contents *c)
{
	const struct record *recs = c->records.v;
	size_t n = c->records.n;
	double margin = n && recs[0].type == REC_HEADER && isfinite(recs[0].u.header.margin)
				? recs[0].u.header.margin : 0.10;
	struct record_list found = { 0 }, verdicts = { 0 };
	if (detect_all(recs, n, &found) < 0 ||
	    detect_verdicts(recs, n, found.v, found.n, margin, &verdicts) < 0) {
		record_list_free(&found);
		record_list_free(&verdicts);
		return -1;
	}
	int diffs = 0;
	char cn[32];
	for (size_t i = 0; i < found.n; i++) {
		int stored = 0;
		for (size_t j = 0; j < n && !stored; j++)
			stored = recs[j].type == REC_FINDING && same_finding(&recs[j], &found.v[i]);
		if (stored)
			continue;
		case_name(cn, sizeof cn, found.v[i].case_index);
		printf("  finding %s on %s (%s) is not in the trace\n", found.v[i].u.finding.code,
		       cn, impl_or(found.v[i].impl));
		diffs++;
	}
	for (size_t j = 0; j < n; j++) {
		if (recs[j].type != REC_FINDING)
			continue;
		int derived = 0;
		for (size_t i = 0; i < found.n && !derived; i++)
			derived = same_finding(&recs[j], &found.v[i]);
		if (derived)
			continue;
		case_name(cn, sizeof cn, recs[j].case_index);
		printf("  finding %s on %s (%s, record %lld) is not supported by the records\n",
		       recs[j].u.finding.code, cn, impl_or(recs[j].impl), (long long)recs[j].id);
		diffs++;
	}
	for (size_t j = 0; j < n; j++) {
		if (recs[j].type != REC_VERDICT)
			continue;
		const struct record *d = NULL;
		for (size_t i = 0; i < verdicts.n && !d; i++)
			if (verdicts.v[i].case_index == recs[j].case_index)
				d = &verdicts.v[i];
		case_name(cn, sizeof cn, recs[j].case_index);
		if (!d) {
			printf("  VERDICT NOT SUPPORTED: %s is '%s' in the trace; the records "
			       "give no verdict\n", cn, recs[j].u.verdict.verdict);
			diffs++;
		} else if (strcmp(d->u.verdict.verdict, recs[j].u.verdict.verdict) != 0) {
			printf("  VERDICT CONTRADICTED: %s is '%s' in the trace but the records "
			       "give '%s'\n", cn, recs[j].u.verdict.verdict, d->u.verdict.verdict);
			diffs++;
		}
	}
	record_list_free(&found);
	record_list_free(&verdicts);
	return diffs;
}

int cmd_check(int argc, char **argv)
{
	const char *path = NULL, *pubpath = NULL;
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("usage: %s\n\nVerifies gzip integrity, every record, the record count "
			       "and sha256\nagainst the footer, and the Ed25519 signature (against the "
			       "header's key\nand, with --pubkey, that key); then re-runs the detectors "
			       "and reports\nfindings and verdicts that differ.  Exit 0 valid, 4 "
			       "tampered/truncated/\nunsigned/wrong key, 2 not a trace.\n", usage);
			return EXIT_OK;
		}
		if (strcmp(argv[i], "--pubkey") == 0 && i + 1 < argc && !pubpath)
			pubpath = argv[++i];
		else if (argv[i][0] == '-' || path)
			return cli_usage_error("check", usage, "unexpected argument '%s'", argv[i]);
		else
			path = argv[i];
	}
	if (!path)
		return cli_usage_error("check", usage, "a trace file is required");
	struct errbuf e = { "", 0 };
	struct trace_key *pub = NULL;
	if (pubpath && trace_key_load_public(pubpath, &pub, &e) < 0)
		return cli_fail_err(&e);
	struct trace_contents c;
	if (trace_read(path, &c, &e) < 0) {
		trace_key_free(pub);
		return cli_fail_err(&e);
	}
	json_t *s = trace_summary(&c);
	inspect_print_summary(path, s, 0);
	json_decref(s);
	int rc = trace_integrity(&c, pub, &e);
	if (rc == 0) {
		printf("integrity ok: %lld records and their sha256 match the footer,\n"
		       "  sha256 %s\n"
		       "          Ed25519 signature valid (%s)\n",
		       (long long)(c.records.n - 2), c.computed_sha256,
		       pub ? "signer is the --pubkey key" : "signer named in the header");
	} else {
		printf("integrity FAILED: %s\n", e.msg);
	}
	printf("re-analysis (detectors of kaudit %s):\n", KAUDIT_VERSION);
	int diffs = reanalyse(&c);
	if (diffs < 0)
		printf("  the detectors failed on these records\n");
	else if (diffs == 0)
		printf("  the records support every stored finding and verdict\n");
	else
		printf("  %d difference%s (reported only: the exit code judges integrity)\n",
		       diffs, diffs == 1 ? "" : "s");
	trace_contents_free(&c);
	trace_key_free(pub);
	if (rc < 0)
		return cli_fail(EXIT_INTEGRITY, "%s: %s", path, e.msg);
	return EXIT_OK;
}
