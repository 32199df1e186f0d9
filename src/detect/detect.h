/*
 * detect.h - detectors and verdicts: pure functions from records to findings.
 *
 * The same code runs inside `verify` (over the records a worker streamed)
 * and inside `check` (over a stored trace), so a trace can be re-judged by a
 * newer kaudit without a GPU.  Nothing here touches CUDA, files or clocks.
 *
 * Input: every record of an audit in trace order (ids set), as a read-only
 * array.  Records of type finding/verdict already present in the input are
 * ignored by the analysis (check compares them against what it derives).
 */
#ifndef KAUDIT_DETECT_H
#define KAUDIT_DETECT_H

#include "trace/finding_codes.h"
#include "trace/record.h"

/* Runs every detector over RECS and appends finding records (phase
 * analysis, case and impl set, evidence naming record ids) to OUT. */
int detect_all(const struct record *recs, size_t n, struct record_list *out) KAUDIT_MUST_CHECK;

/* Derives one verdict record per case and one for the claim (case_index
 * REC_NONE) from RECS and the FINDINGS detect_all produced; appends them to
 * OUT.  MARGIN is the fraction of the claimed speedup a measurement may
 * fall short by and still reproduce it (DESIGN section 5, default 0.10). */
int detect_verdicts(const struct record *recs, size_t n,
		    const struct record *findings, size_t nfindings,
		    double margin, struct record_list *out) KAUDIT_MUST_CHECK;

/* 0 reproduced, 1 inconclusive, 2 not-reproduced, 3 error, 4 invalid:
 * the order in which a claim's verdict is the worst of its cases'; none
 * or unknown text ranks as error. */
int detect_verdict_rank(const char *verdict);
/* Appends CODE (a finding code) to the JSON array CODES unless it is there:
 * the union of codes a verdict lists, in first-seen order. */
void detect_codes_add(json_t *codes, const char *code);

/*
 * The same analysis one case at a time, for a reader that streams a trace
 * (check): memory is one case's records plus a few words per case and per
 * finding (the findings and verdicts wait on a spill file), never the whole
 * trace.  Feed every audit-wide
 * record (case REC_NONE; others are ignored) with detect_stream_global
 * before the cases it must bear on (the reader's order rules see to the
 * device record), each case's measured records with detect_stream_case
 * (borrowed for the call), then detect_stream_finish: the findings and
 * verdicts are what detect_all and detect_verdicts give over the same
 * records (verdicts in ascending case order, the claim's last; findings in
 * another order).  tests/unit/test_detect_stream.c holds the two equal.
 */
struct detect_stream;
struct detect_stream *detect_stream_new(double margin);
void detect_stream_global(struct detect_stream *s, const struct record *r);
void detect_stream_case(struct detect_stream *s, const struct record *recs, size_t n);
/* The end, one conclusion at a time: detect_stream_end judges the
 * audit-wide scope (its findings appended to WIDE); then
 * detect_stream_next_finding gives each case scope's finding, by (case
 * ascending, REC_NONE last, arrival), and detect_stream_next_verdict each
 * case's verdict in ascending case order, the claim's last.  Each returns
 * 1 with *R filled (the caller's to clear), 0 when there are no more, -1
 * when a kept conclusion could not be read back. */
int detect_stream_end(struct detect_stream *s, struct record_list *wide) KAUDIT_MUST_CHECK;
int detect_stream_next_finding(struct detect_stream *s, struct record *r) KAUDIT_MUST_CHECK;
int detect_stream_next_verdict(struct detect_stream *s, struct record *r) KAUDIT_MUST_CHECK;
/* All of it at once: appends to FINDINGS (the audit-wide first) and
 * VERDICTS. */
int detect_stream_finish(struct detect_stream *s, struct record_list *findings,
			 struct record_list *verdicts) KAUDIT_MUST_CHECK;
void detect_stream_free(struct detect_stream *s);

/*
 * kaudit observe (observe_windows.c): the timing windows of a harness kaudit
 * did not write, per process.  A window is one successful elapsed-time read
 * of two CUDA events; see that file for how work is matched to it.  The
 * record pointers point into the caller's records.
 */
struct detect_window {
	const struct record *elapsed, *start_call, *stop_call;
	int64_t pid, stream, stop_stream, thread;
	double reported_ns;             /* what the harness was given, in ns */
	int64_t window_start, window_end; /* device ts of the events, REC_NONE if unknown */
	int judged;                     /* both device timestamps known */
	int64_t work;                   /* work launched between the events */
	double work_ns, busy_ns;        /* its summed and its union duration */
	double ratio;                   /* busy_ns / reported_ns, NaN if undefined */
	int64_t escaped, foreign, deferred; /* work items of each kind */
	double escaped_ns;              /* of that work, the time outside the window */
	const struct record *first_escaped, *first_foreign, *first_deferred;
};
struct detect_observe_totals {
	size_t reads, failed_reads, unpaired, unjudged, judged;
};
/* The windows of the observation RECS[0..N) in read order; *OUT malloc'ed. */
size_t detect_observe_windows(const struct record *const *recs, size_t n,
			      struct detect_window **out, struct detect_observe_totals *t);
/* The window as JSON (record ids, numbers): for evidence and inspect. */
json_t *detect_window_json(const struct detect_window *w);
/* 1 when RECS hold an observation (process or elapsed records). */
int detect_is_observation(const struct record *const *recs, size_t n);
/* 1 for an api record that records an event (cudaEventRecord, cuEventRecord,
 * WithFlags, _ptsz). */
int detect_observe_is_event_record(const struct record *r);

#endif
