/*
 * kreport.h - what `kaudit report` (cmd_report.c) shares with its renderers:
 * the timing samples of each case grouped in one pass over the records
 * (report_samples.c), hostile-text escaping and number formatting
 * (report_text.c), the SVG strip plot (report_svg.c), and the HTML
 * (report_html.c) and markdown (report_md.c) writers.
 *
 * Not report.c: that is verify's result table (report_*).  Everything here
 * is kreport_, svg_, html_ or md_.
 *
 * Every string in a trace is hostile: renderers print trace text only
 * through kreport_escape(), and numbers only through kreport_num() and
 * kreport_ns(), which write "-" for NaN and infinities.
 */
#ifndef KAUDIT_KREPORT_H
#define KAUDIT_KREPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "cli/cmd_inspect.h"
#include "trace/record.h"
#include "trace/trace.h"

/* Points kept per (case, implementation, round) for the plot: a uniform
 * reservoir sample, so memory per case is bounded however many samples a
 * trace holds; counts, minimum and maximum stay exact. */
#define KREPORT_KEEP 256
/* Rounds 0..KREPORT_MAX_ROUND-1 are plotted, as trace_summary() counts them
 * for its per-round medians; a sample outside is counted in `other`. */
#define KREPORT_MAX_ROUND 1000

struct kreport_round {
	uint64_t count;              /* traced samples of this round */
	uint64_t finite;             /* of them with a finite event time */
	double min, max;             /* of their finite event times, NaN if none */
	size_t kept;                 /* points in pts, at most KREPORT_KEEP */
	double *pts;                 /* event_ns; non-finite ones are not kept */
	size_t cap;                  /* pts' allocation */
};

/* The traced samples of one implementation in one case, by round. */
struct kreport_series {
	struct kreport_round **rounds; /* [0..nrounds), NULL where a round has none */
	size_t nrounds;
	uint64_t other;              /* samples whose round is out of range */
};

struct kreport_case {
	int64_t case_index;
	struct kreport_series impl[2]; /* [0] baseline, [1] candidate */
};

/* Samples grouped by case: an open-addressing table keyed by case_index. */
struct kreport_samples {
	struct kreport_case *slots;  /* case_index REC_NONE: empty */
	size_t cap, n;
};

/* One pass over RECS[0..N): every traced `sample` record of a baseline or
 * candidate, grouped by its case. */
void kreport_samples_build(struct kreport_samples *s, const struct record *recs, size_t n);
/* The same in steps, for a streaming reader: init, then add each run of
 * records (a case's, as trace_stream hands them out). */
void kreport_samples_init(struct kreport_samples *s);
void kreport_samples_add(struct kreport_samples *s, const struct record *recs, size_t n);
/* The samples of case K, NULL when it has none. */
const struct kreport_case *kreport_samples_find(const struct kreport_samples *s, int64_t k);
void kreport_samples_release(struct kreport_samples *s);

/* How a renderer escapes trace text. */
enum kreport_esc {
	KREPORT_HTML,  /* & < > " ' as entities */
	KREPORT_MD     /* markdown punctuation and | backslash-escaped (table cells) */
};
/* Writes S (NULL: "-") to F escaped for MODE.  Either way, control
 * characters (C0, DEL, C1), line and paragraph separators, bidirectional
 * overrides and bytes that are not UTF-8 are written visibly as \xNN or
 * \u{NNNN}; a newline or tab becomes a space. */
void kreport_escape(FILE *f, const char *s, enum kreport_esc mode);
/* V with printf format FMT (one double) into BUF, "-" when not finite. */
const char *kreport_num(char *buf, size_t n, const char *fmt, double v);
/* Nanoseconds as a short duration ("232.55 us"), "-" when not finite. */
const char *kreport_ns(char *buf, size_t n, double ns);
/* The number at key K of object O, NaN when absent or not a number. */
double kreport_get_num(const json_t *o, const char *k);
/* The string at key K, NULL when absent. */
const char *kreport_get_str(const json_t *o, const char *k);

/* The device as one line: name, cc, SMs, memory, driver, uuid. */
void kreport_device_line(FILE *f, const json_t *dev, enum kreport_esc mode);
/* The audit as one line: time, host, kaudit version. */
void kreport_audit_line(FILE *f, const json_t *audit, enum kreport_esc mode);
/* V as (indented-free, ", "-separated) JSON text, escaped; "-" for NULL. */
void kreport_json_text(FILE *f, const json_t *v, enum kreport_esc mode);
/* The integer at key K of O, or "-". */
void kreport_int(FILE *f, const json_t *o, const char *k);
/* V when it is a verdict kaudit knows (safe as a CSS class), else "unknown". */
const char *kreport_verdict_class(const char *v);

/* What a report shows besides the summary: who signed it and what the
 * trace's integrity is, judged exactly as inspect judges it. */
struct kreport_input {
	const char *path;                  /* the trace, as named */
	const json_t *summary;             /* trace_summary() */
	const struct kreport_samples *samples;
	const struct inspect_signer *signer;
	const struct inspect_status *status;
	/* The cases one at a time (SUMMARY from trace_summary_acc_finish_head),
	 * or NULL: SUMMARY's "cases". */
	struct trace_summary_acc *cases;
};
/* How many cases IN has, and case I (a new reference, NULL past the end). */
size_t kreport_ncases(const struct kreport_input *in);
json_t *kreport_case_at(const struct kreport_input *in, size_t i);

/* Writes case C's strip plot: one row per round and implementation on a
 * time axis shared by the case, each sample a dot, the round's median a
 * bar (TIMING: the summary's timing object of the case). */
void svg_case_plot(FILE *f, const struct kreport_case *c, const json_t *timing);

/* The case's 95% CI bound I (0 low, 1 high), NaN when the trace gives none. */
double kreport_ci_at(const json_t *c, size_t i);
/* One row of a case's rounds table, as both renderers show it. */
struct kreport_round_row {
	size_t round;
	const char *impl;            /* "baseline" or "candidate" */
	uint64_t samples;
	char median[32], min[32], max[32];
};
/* Calls ROW for each round and implementation of K with samples, in
 * round order, baseline first (TIMING: the summary's timing object). */
void kreport_round_rows(const struct kreport_case *k, const json_t *timing,
			void (*row)(FILE *f, const struct kreport_round_row *r), FILE *f);
/* The implementations' names, [0] baseline, [1] candidate. */
extern const char *const kreport_impl_names[2];

/* Writes the whole self-contained HTML document (no scripts, no network:
 * its Content-Security-Policy forbids both). */
void html_write(FILE *f, const struct kreport_input *in);
/* Writes the markdown report. */
void md_write(FILE *f, const struct kreport_input *in);

#endif
