/*
 * verify.h - what cmd_verify.c shares with its helpers (verify_records.c
 * builds the records only the supervisor writes, report.c renders the
 * result).  Internal to src/cli/.
 *
 * Ownership: struct verify_audit owns the claim, the cases and every record
 * written to the trace (recs, in trace order, ids set, header first), so
 * the detectors, the predicate and the report all read the same records.
 */
#ifndef KAUDIT_VERIFY_H
#define KAUDIT_VERIFY_H

#include <limits.h>
#include <stdio.h>

#include "../claim/claim.h"
#include "../trace/record.h"
#include "../trace/trace.h"
#include "../util/util.h"

struct verify_opts {
	const char *claim_path;
	const char *out;    /* -o; NULL: ./CLAIM-YYYYmmddTHHMMSSZ.kat */
	const char *kernel; /* --kernel; NULL: every kernel */
	const char *key;    /* --key; NULL: trace_key_load's default */
	int json, quick, expect;
	double margin;      /* a fraction (--margin 10 -> 0.10) */
	double timeout_s;   /* per case */
};

struct verify_audit {
	const struct verify_opts *opt;
	struct claim *claim;
	struct claim_case *cases;
	size_t ncases;
	int *selected;             /* per case: run it (--kernel) */
	struct trace_writer *w;
	struct record_list recs;   /* every record written, in trace order */
	char trace_path[PATH_MAX];
	size_t not_run;            /* cases stopped by an interruption */
	int interrupted;
	/* The case being streamed by a worker: whether it sent its case record. */
	int64_t cur_case;
	int cur_case_seen;
	int write_failed;          /* the trace (or the supervisor) failed: abort */
	struct errbuf werr;        /* why, the first time */
};

/* Appends R (moved: the caller's copy is emptied) to the trace and to
 * A->recs.  After a write failure it only records that one happened. */
int verify_write(struct verify_audit *a, struct record *r) KAUDIT_MUST_CHECK;
/* record_sink callback over struct verify_audit: copies, then verify_write. */
int verify_sink_emit(void *audit, const struct record *r);

/* The header record (format version 1; synthetic = 0). */
int verify_header(const struct claim *c, const char *const *so_sha256, uint64_t root_seed,
		  const char *pubkey, struct record *out, struct errbuf *e) KAUDIT_MUST_CHECK;
/* The case record of case INDEX, from the manifest: written by the
 * supervisor when the worker could not (build failure, crash before its
 * first record, interruption). */
int verify_case_record(const struct claim_case *cc, size_t index, uint64_t seed,
		       struct record *out, struct errbuf *e) KAUDIT_MUST_CHECK;
/* An error record of case INDEX. */
void verify_error_record(int64_t index, const char *where, const char *message,
			 struct record *out);

/* Verdict ranking: the claim's verdict is the worst of its cases'. */
int verify_verdict_rank(const char *verdict);

/* The verdict record of case I (REC_NONE: the claim's), its first error
 * record, NULL when absent. */
const struct record *verify_find(const struct verify_audit *a, enum record_type t,
				 int64_t case_index);

/* Rendering (report.c).  Exit code of the audit: 0 when every selected case
 * reproduced with no invalidating finding, else 1.  With expectations
 * evaluated (always, for kernels that have one), *EXPECT_FAILED receives
 * how many failed and *EXPECT_N how many there were. */
int report_exit_code(const struct verify_audit *a);
void report_expectations(const struct verify_audit *a, size_t *expect_n,
			 size_t *expect_failed, json_t *json_out, FILE *text_out);
void report_terminal(FILE *f, const struct verify_audit *a, int color);
json_t *report_json(const struct verify_audit *a);
/* "N=4096 D=8192" for a params object, into OUT. */
void report_params(const json_t *params, char *out, size_t cap);

#endif
