/*
 * check_trace.h - the judgement of `kaudit check` on one trace, without
 * its printing, so that every command that must take a trace only when
 * check would (check itself, summary) judges it with the very same code.
 * Internal to src/cli/.
 *
 * check_trace.c: one streaming pass over the trace (the summary, the
 * detectors, check_keep), then the strict judgement (check.h), the
 * header's selection (check_selection.c), the signer and the status.
 */
#ifndef KAUDIT_CHECK_TRACE_H
#define KAUDIT_CHECK_TRACE_H

#include <jansson.h>

#include "cli/check.h"
#include "cli/cmd_inspect.h"
#include "cli/observe_show.h"
#include "detect/detect.h"
#include "trace/trace.h"

struct check_opts {
	int expect, json;
	int brief;                 /* the summary keeps a line per case only */
	const struct inspect_trust *trust;
	/* Called (may be NULL) with each verdict check holds the trace to (those
	 * its records give, and verify's error or inconclusive for a case it
	 * could not start), before the trace's validity is known. */
	void (*on_verdict)(void *ctx, const struct record *v);
	void *ctx;
};

/* The header's selection against the case records, as they stream past
 * (check_selection.c): a case outside it is a disagreement at once, and
 * without a --kernel every case of the shard must have a record. */
struct check_selection {
	struct trace_selection sel;
	int ok;                    /* the header's selection read (present or not) */
	int64_t *idx;              /* the cases seen, a word each */
	size_t n, cap;
	struct check_strict s;     /* its disagreements so far */
};
void check_selection_begin(struct check_selection *c, const struct rec_header *h);
void check_selection_case(struct check_selection *c, const struct record *r);
/* Moves its disagreements (the missing cases among them) to S. */
void check_selection_end(struct check_selection *c, struct check_strict *s);
void check_selection_release(struct check_selection *c);

/* What check keeps while a trace streams past (never the records). */
struct check_feed {
	struct trace_summary_acc *sum;
	struct detect_stream *det;
	struct check_keep *keep;
	struct check_selection sel;
	struct record header, device;
	int has_header, has_device, seen_any;
	struct observe_keep obs;   /* an observation's records (kaudit observe) */
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
