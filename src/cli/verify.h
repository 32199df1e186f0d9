/*
 * verify.h - what cmd_verify.c shares with report.c, which renders a
 * finished audit (struct run_audit, src/supervisor/audit_run.h).  Internal to
 * src/cli/.
 */
#ifndef KAUDIT_VERIFY_H
#define KAUDIT_VERIFY_H

#include <limits.h>
#include <stdio.h>

#include "supervisor/audit_run.h"

struct verify_opts {
	const char *claim_path;
	const char *out;    /* -o; NULL: ./CLAIM-YYYYmmddTHHMMSSZ.kat */
	const char *kernel; /* --kernel; NULL: every kernel */
	const char *key;    /* --key; NULL: trace_key_load's default */
	int json, quick, expect;
	double margin;      /* a fraction (--margin 10 -> 0.10) */
	double timeout_s;   /* per case */
	int64_t shard_index, shard_count; /* --shard I/N; count 0: none */
	const char *python; /* --python; NULL: $KAUDIT_PYTHON, python3 */
};

/* Rendering (report.c), all of it from SUMMARY: report_summary() of the
 * finished audit, the document `inspect --json` gives for its trace.
 *
 * Reads back the trace A wrote (A->trace_path) and returns its summary
 * (new reference) and the facts F about it; NULL with E when it cannot be
 * read.  A's records are released first: the trace holds them now. */
json_t *report_summary(struct run_audit *a, struct trace_facts *f, struct errbuf *e);
/* Exit code of the audit: 0 when every selected case reproduced with no
 * invalidating finding, else 1. */
int report_exit_code(const struct run_audit *a, const json_t *summary);
/* Expectations, evaluated for the kernels of A's claim that have one:
 * *EXPECT_FAILED receives how many failed and *EXPECT_N how many there
 * were; each is appended to JSON_OUT and/or printed on TEXT_OUT (either
 * may be NULL). */
void report_expectations(const struct run_audit *a, const json_t *summary, size_t *expect_n,
			 size_t *expect_failed, json_t *json_out, FILE *text_out);
/* The table: 80 columns, colour codes only with COLOR, every string from
 * the manifest or the trace escaped (cli_printable). */
void report_terminal(FILE *f, const json_t *summary, int color);
/* "N=4096 D=8192" for a params object, into OUT. */
void report_params(const json_t *params, char *out, size_t cap);

#endif
