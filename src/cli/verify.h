/*
 * verify.h - what cmd_verify.c shares with report.c, which renders a
 * finished audit (struct run_audit, src/run/audit_run.h).  Internal to
 * src/cli/.
 */
#ifndef KAUDIT_VERIFY_H
#define KAUDIT_VERIFY_H

#include <limits.h>
#include <stdio.h>

#include "../run/audit_run.h"

struct verify_opts {
	const char *claim_path;
	const char *out;    /* -o; NULL: ./CLAIM-YYYYmmddTHHMMSSZ.kat */
	const char *kernel; /* --kernel; NULL: every kernel */
	const char *key;    /* --key; NULL: trace_key_load's default */
	int json, quick, expect;
	double margin;      /* a fraction (--margin 10 -> 0.10) */
	double timeout_s;   /* per case */
};

/* Rendering (report.c).  Exit code of the audit: 0 when every selected case
 * reproduced with no invalidating finding, else 1.  With expectations
 * evaluated (always, for kernels that have one), *EXPECT_FAILED receives
 * how many failed and *EXPECT_N how many there were. */
int report_exit_code(const struct run_audit *a);
void report_expectations(const struct run_audit *a, size_t *expect_n,
			 size_t *expect_failed, json_t *json_out, FILE *text_out);
void report_terminal(FILE *f, const struct run_audit *a, int color);
json_t *report_json(const struct run_audit *a);
/* "N=4096 D=8192" for a params object, into OUT. */
void report_params(const json_t *params, char *out, size_t cap);

#endif
