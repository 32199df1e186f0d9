/*
 * check_trace.h - the judgement of `kaudit check` on one trace, without
 * its printing, so that every command that must take a trace only when
 * check would (check itself, summary) judges it with the very same code.
 * Internal to src/cli/.
 *
 * check_strict.c: the strict re-analysis (the detectors again over the
 * stored records, every stored finding, verdict, the signed predicate and
 * the header's selection compared with what they give) and the kernels'
 * `expect`.  check_trace.c: one streaming pass over the trace, then the
 * verdict on it (status line, signer, exit code).
 */
#ifndef KAUDIT_CHECK_TRACE_H
#define KAUDIT_CHECK_TRACE_H

#include <jansson.h>

#include "cli/cmd_inspect.h"
#include "detect/detect.h"
#include "trace/trace.h"

/* Stored reals hold 10 significant digits (record.c), so a value the
 * records give and its stored copy differ by up to 5e-10 relative; 1e-9
 * admits that and nothing a reader could see in a speedup or a time. */
#define CHECK_RTOL 1e-9
/* Disagreements kept as text per trace (all are counted). */
#define CHECK_MAX_LINES 200

/* The disagreements between what a trace stores and what its records give. */
struct check_strict {
	size_t n;                  /* disagreements */
	char first[ERRBUF_LEN];    /* the first, for the status and stderr lines */
	json_t *lines;             /* the first CHECK_MAX_LINES, as strings */
};

/* What the detectors gave, and the stored and derived conclusions sorted
 * for comparison: findings by case (the claim's last), then code, impl,
 * trial, sample, call; verdicts by case, the claim's last.  EXPECTED: the
 * verdicts the predicate must show. */
struct check_analysis {
	struct record_list found, verdicts;
	const struct record **sf, **df, **sv, **dv, **expected;
	size_t nsf, ndf, nsv, ndv, nexpected;
};
void check_analysis_free(struct check_analysis *a);

/* Ends DET's pass and compares (check_strict.c): STORED holds the trace's
 * findings and verdicts, CASES its case records (case, kernel, expect),
 * HEADER and DEVICE the first of each (either may be NULL).  -1 when the
 * detectors failed. */
int check_strict_run(const struct trace_contents *c, const struct record *header,
		     const struct record *device, const struct record_list *stored,
		     const struct record_list *cases, struct detect_stream *det,
		     struct check_analysis *a, struct check_strict *s);
/* Per kernel with an `expect` (its cases' worst verdict and the union of
 * their findings, as verify judges it): an entry {kernel ok wanted{verdict
 * findings} got{verdict findings} missing} appended to JSON; returns their
 * number, *FAILED those that fail. */
size_t check_expectations(const struct record_list *cases, const struct check_analysis *a,
			  json_t *json, size_t *failed);
/* reproduced < inconclusive < not-reproduced < error < invalid; none or
 * unknown counts as error.  A claim's verdict is the worst of its cases'. */
int check_verdict_rank(const char *verdict);

struct check_opts {
	int expect, json;
	int brief;                 /* the summary keeps a line per case only */
	const struct inspect_trust *trust;
};

/* What check keeps while a trace streams past (never the records): the
 * summary inspect shows, the detectors' state, the header and first
 * device, the stored conclusions, and each case record's case, kernel and
 * expect. */
struct check_feed {
	struct trace_summary_acc *sum;
	struct detect_stream *det;
	struct record header, device;
	int has_header, has_device, seen_any;
	struct record_list stored, cases;
};

/* Check's verdict on one trace. */
struct check_trace {
	struct trace_contents c;
	struct check_feed f;
	json_t *summary;           /* trace_summary_acc_finish_head: cases in f.sum */
	struct inspect_signer sg;
	int intact, analysed, detectors_failed;
	char problem[ERRBUF_LEN];  /* trace_integrity's message when not intact */
	struct check_strict s;
	struct check_analysis a;   /* a.dv: the verdicts the records give, when analysed */
	json_t *expectations;
	size_t nexp, nfailed;
	struct inspect_status st;  /* the status line */
	char why[1200];            /* the one-line reason when rc is EXIT_INTEGRITY */
	int rc;                    /* check's exit code for it */
};

/* Streams PATH once and judges it as check does (T owns what it holds
 * until check_trace_release).  -1 with E when PATH is no trace at all
 * (missing, not gzip, no header: EXIT_BAD_INPUT); T is then released. */
int check_trace_run(const char *path, const struct check_opts *o, struct check_trace *t,
		    struct errbuf *e) KAUDIT_MUST_CHECK;
void check_trace_release(struct check_trace *t);

#endif
