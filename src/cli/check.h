/* check.h - the parts of the strict check (cmd_check.c): how a stored
 * conclusion is compared with the one the records give (check_compare.c),
 * and what check keeps of a trace while it streams past, then judges in
 * one walk over the cases (check_keep.c). */
#ifndef KAUDIT_CHECK_H
#define KAUDIT_CHECK_H

#include <jansson.h>

#include "detect/detect.h"
#include "trace/trace.h"

/* Stored reals hold 10 significant digits (record.c), so a value the
 * records give and its stored copy differ by up to 5e-10 relative; 1e-9
 * admits that and nothing a reader could see in a speedup or a time. */
#define CHECK_RTOL 1e-9
/* Disagreements printed per trace (all are counted). */
#define CHECK_MAX_LINES 200

/* The disagreements found. */
struct check_strict {
	size_t n;                  /* disagreements */
	char first[ERRBUF_LEN];    /* the first, for the status and stderr lines */
	json_t *lines;             /* the first CHECK_MAX_LINES, as strings */
};
void check_strict_init(struct check_strict *s);
/* FROM's disagreements after TO's (FROM is emptied). */
void check_strict_move(struct check_strict *to, struct check_strict *from);
void check_strict_release(struct check_strict *s);
void check_differ(struct check_strict *s, const char *fmt, ...) KAUDIT_PRINTF(2, 3);

int check_same_real(double a, double b);
int check_same_str(const char *a, const char *b);
/* Cases in ascending order, REC_NONE (the claim, audit-wide) after them. */
int check_cmp_case(int64_t a, int64_t b);
/* Every difference between STORED and DERIVED (either may be NULL:
 * absent) under PATH; WHO names the record. */
void check_json_diff(struct check_strict *s, const char *who, const char *path,
		     const json_t *stored, const json_t *derived);

/* Findings (pointer arrays sorted with check_cmp_finding_ptr), stored
 * against derived. */
int check_cmp_finding_ptr(const void *x, const void *y);
void check_compare_findings(struct check_strict *s, const struct record **st, size_t ns,
			    const struct record **dv, size_t nd);
/* Verdicts (sorted with check_cmp_verdict_ptr); appends to EXPECTED the
 * verdicts the predicate must show (*NEXPECTED of them). */
int check_cmp_verdict_ptr(const void *x, const void *y);
void check_compare_verdicts(struct check_strict *s, const struct record **st, size_t ns,
			    const struct record **dv, size_t nd, const struct record **expected,
			    size_t *nexpected);

/* What the predicate shows of a case (its strings borrowed). */
struct check_pred_case {
	int64_t case_index;
	const char *kernel, *verdict;
	double claimed, measured;
};
/* The signed predicate of STATEMENT (its cases in PC when kept as text,
 * trace_contents.pred_cases) against the one header H, device D,
 * the claim's verdict CLAIM (NULL: none) and CASES[0..N) (ascending case
 * order) give; all but end_time must agree. */
void check_compare_predicate(struct check_strict *s, const json_t *statement,
			     const struct trace_pred_cases *pc, const struct rec_header *h, const struct rec_device *d,
			     const char *claim, const struct check_pred_case *cases, size_t n);

/* ---- check_keep.c ---- */
struct check_keep;
struct check_keep *check_keep_new(void);
/* A stored finding or verdict (R borrowed; any other type is ignored). */
void check_keep_stored(struct check_keep *k, const struct record *r);
/* A case record: its kernel and expect, for the expectations. */
void check_keep_case(struct check_keep *k, const struct record *r);
/* The judgement, after the whole trace: the detectors' conclusions (D,
 * fed every record) against the stored ones and the signed predicate of
 * STATEMENT (NULL: none; its cases in PC when kept as text), disagreements into S; each kernel's `expect`
 * as JSON objects appended to EXP, *NEXP of them, *NFAILED failing.
 * -1 when the detectors or a kept conclusion failed. */
int check_keep_judge(struct check_keep *k, struct detect_stream *d, const json_t *statement,
		     const struct trace_pred_cases *pc, const struct rec_header *h, const struct rec_device *dev,
		     struct check_strict *s, json_t *exp, size_t *nexp, size_t *nfailed)
	KAUDIT_MUST_CHECK;
/* Calls FN(CTX, V) in check_keep_judge with each verdict the trace is
 * held to: those the records give, and verify's error or inconclusive for
 * a case it could not start; V borrowed for the call (summary keeps a few
 * words of each, check_trace.h). */
void check_keep_on_verdict(struct check_keep *k, void (*fn)(void *ctx, const struct record *v),
			   void *ctx);
void check_keep_free(struct check_keep *k);

#endif
