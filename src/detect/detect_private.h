/*
 * detect_private.h - what the detector files share: an index of the records
 * by (case, call), built once per analysis so that every detector is a
 * linear pass over its case instead of a scan of the whole trace, and the
 * helpers that turn an observation into a finding record.
 *
 * Ownership: the index holds pointers into the caller's record array and
 * never copies or frees records; detect_index_free() releases only the
 * index's own arrays.
 */
#ifndef KAUDIT_DETECT_PRIVATE_H
#define KAUDIT_DETECT_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "detect/detect.h"

/* A finding lists at most this many record ids; a reader who wants every
 * one re-runs the jq command of kaudit-findings(7).  Keeps a finding line
 * short however large the trace. */
#define DETECT_MAX_EVIDENCE_IDS 32

/* One implementation call: every record of the case carrying that call
 * number, in trace order (harness records of the call included). */
struct detect_call {
	int64_t call;
	enum record_impl impl;          /* baseline/candidate, IMPL_NONE if unknown */
	const struct record *const *recs;
	size_t n;
	const struct record *sample;    /* the call's sample record, NULL if untimed */
};

struct detect_case {
	int64_t case_index;
	const struct record *kase;      /* the case record, NULL if missing */
	const struct record *device;    /* this case's device record, else the audit's */
	const struct record *const *recs; /* every record of the case, by (call, trace order) */
	size_t n;
	struct detect_call *calls;      /* ascending call number (REC_NONE excluded) */
	size_t ncalls;
};

struct detect_index {
	const struct record **sorted;   /* records with a case, by (case, call, position) */
	struct detect_case *cases;      /* ascending case index */
	size_t ncases;
	const struct record **global;   /* records without a case, trace order */
	size_t nglobal;
	const struct record *device;    /* first audit-wide device record */
	int audit_wide;                 /* judge the audit-wide scope too (0: an index
					   of one case's records, stream.c) */
};

/* Builds the index over RECS (finding, verdict, header, footer and
 * signature records are left out: detectors never read them). */
void detect_index_build(struct detect_index *ix, const struct record *recs, size_t n);
/* The same over one scope: the records of one case (DEVICE: the audit-wide
 * device record the case falls back to, may be NULL; AUDIT_WIDE 0), or
 * the audit-wide records (DEVICE NULL: found among them; AUDIT_WIDE 1). */
void detect_index_build_scope(struct detect_index *ix, const struct record *recs, size_t n,
			      const struct record *device, int audit_wide);
void detect_index_free(struct detect_index *ix);

/* A detector: appends its findings for the whole index to OUT. */
typedef void (*detect_fn)(const struct detect_index *ix, struct record_list *out);

struct detector {
	const char *name;
	detect_fn fn;
};
extern const struct detector detect_detectors[];

/* The detectors (one file per finding family). */
void detect_checks(const struct detect_index *ix, struct record_list *out);
void detect_invalid_return(const struct detect_index *ix, struct record_list *out);
void detect_degenerate(const struct detect_index *ix, struct record_list *out);
void detect_foreign_stream(const struct detect_index *ix, struct record_list *out);
void detect_timing_escape(const struct detect_index *ix, struct record_list *out);
void detect_deferred_launch(const struct detect_index *ix, struct record_list *out);
void detect_work_drift(const struct detect_index *ix, struct record_list *out);
void detect_roofline(const struct detect_index *ix, struct record_list *out);
void detect_timing_health(const struct detect_index *ix, struct record_list *out);
void detect_environment(const struct detect_index *ix, struct record_list *out);
void detect_sandbox(const struct detect_index *ix, struct record_list *out);
/* kaudit observe: the audit-wide scope of an observation only. */
void detect_observe(const struct detect_index *ix, struct record_list *out);
void detect_observe_findings(const struct record *const *recs, size_t n,
			     struct record_list *out);
/* The verdict of an observation (no case): CLAIM from its audit-wide
 * records GLOBAL and findings F[0..NF). */
void detect_observe_verdict(const struct record *const *global, size_t n,
			    const struct record *const *f, size_t nf, struct record *claim);

/* Appends a finding of CODE (severity from the code table) for case C
 * (REC_NONE: audit-wide) and IMPL to OUT.  EVIDENCE is stolen (may be
 * NULL); TRIAL, SAMPLE and CALL may be REC_NONE. */
void detect_emit(struct record_list *out, int64_t case_index, enum record_impl impl,
		 const char *code, int64_t call, int64_t trial, int64_t sample,
		 json_t *evidence, const char *fmt, ...) KAUDIT_PRINTF(9, 10);

/* verdict.c, shared with stream.c. */
/* The verdict of case C from FINDINGS[0..N) (its own and the audit-wide
 * ones, in detect_all's order). */
int detect_case_verdict(const struct detect_case *c, const struct record *const *findings,
			size_t n, double margin, struct record *v);
/* The claim's verdict from the case verdicts V[0..N) in ascending case order. */
void detect_claim_verdict(const struct record *v, size_t n, struct record *claim);
/* The same one case verdict at a time: begin, add each, end. */
struct detect_claim_acc {
	int worst, one_kernel;
	int64_t worst_case;
	size_t n;
};
void detect_claim_begin(struct detect_claim_acc *a, struct record *claim);
void detect_claim_add(struct detect_claim_acc *a, struct record *claim, const struct record *v);
void detect_claim_end(struct detect_claim_acc *a, struct record *claim);
/* 1 when F is an invalidating finding (its code's severity). */
int detect_finding_invalidating(const struct record *f);
/* Makes V invalid because of F (verdict and reason; the rest of a verdict
 * does not depend on findings). */
void detect_verdict_invalidate(struct record *v, const struct record *f);

/* A JSON array of record ids, capped at DETECT_MAX_EVIDENCE_IDS. */
struct detect_ids {
	json_t *ids;
	int64_t total;                  /* ids offered, including those left out */
};
void detect_ids_init(struct detect_ids *d);
void detect_ids_add(struct detect_ids *d, const struct record *r);
/* Moves the ids into EVIDENCE as "records" (and "records_total" when some
 * were left out). */
void detect_ids_into(struct detect_ids *d, json_t *evidence);

/* True for kernel, memcpy and memset records: work the GPU did. */
int detect_is_gpu_work(const struct record *r);
/* Stream, start and end of a GPU work record. */
int64_t detect_work_stream(const struct record *r);
int64_t detect_work_start(const struct record *r);
int64_t detect_work_end(const struct record *r);

/* The sample records of case C for IMPL, in trace order; traced selects
 * traced samples (1), untraced control samples (0) or both (-1).  Returns
 * the count; *OUT is malloc'ed (free it). */
size_t detect_case_samples(const struct detect_case *c, enum record_impl impl, int traced,
			   const struct record ***out);

/* Most frequent value of V[0..N) (sorted in place); REC_NONE if empty.
 * Ties go to the smallest value, so the choice is reproducible. */
int64_t detect_mode_i64(int64_t *v, size_t n);

/* A sample's time for timing statistics: the event time. */
double detect_sample_ns(const struct record *s);

#endif
