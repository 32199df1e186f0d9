/*
 * audit_private.h - the plan of one case, shared by the protocol's files:
 * plan.c (buffers, launch structs, record helpers), correctness.c (trials),
 * timing.c (samples) and protocol.c (the driver).  Nothing outside
 * src/audit/ includes it.
 */
#ifndef KAUDIT_AUDIT_PRIVATE_H
#define KAUDIT_AUDIT_PRIVATE_H

#include "audit/audit.h"

/* Index of each side in struct plan.side[]. */
enum { SIDE_BASE = 0, SIDE_CAND = 1 };

/* One manifest buffer under the case's parameters. */
struct plan_buf {
	const struct claim_buffer *cb;
	int64_t numel;
	size_t elem;            /* bytes per element */
	size_t bytes;
	int64_t *shape;         /* cb->ndim extents */
	double rtol, atol;      /* claim_tolerance_for(kernel, dtype) */
};

/* An implementation with its own copy of every buffer. */
struct plan_side {
	enum record_impl impl;
	const char *entry;
	struct backend_impl *bi;
	struct backend_buf **buf;   /* nbuf, in argument order */
	struct backend_buf **prev;  /* out/inout: the previous trial's result (else NULL) */
	kaudit_buffer *kb;
	kaudit_launch launch;
};

struct plan {
	const struct backend *b;
	const struct claim_kernel *k;
	const struct claim_params *params;
	const struct audit_opts *o;
	const struct record_sink *sink;
	int64_t case_index;
	uint64_t seed;
	size_t nbuf;
	struct plan_buf *pb;
	struct backend_buf **pristine; /* in/inout: this trial's inputs (else NULL) */
	struct plan_side side[2];
	int64_t next_call;
	/* What the failure being reported concerns (error record). */
	const char *where;
	enum record_impl err_impl;
	int64_t err_call;
	int sink_failed;
	int inputs_fd; /* o->inputs_path once opened, else -1 */
};

/* plan.c */
int plan_init(struct plan *p, const struct backend *b, const struct claim_kernel *k,
	      const struct claim_params *params, int64_t case_index,
	      const struct audit_opts *o, const struct record_sink *sink,
	      struct errbuf *e);
/* Allocates every buffer; refuses plans that do not fit (mem_info). */
int plan_alloc(struct plan *p, struct errbuf *e);
void plan_release(struct plan *p);
int plan_emit_case(struct plan *p, struct errbuf *e);
/* A record of type T tagged with the case, PHASE and IMPL. */
void plan_record(const struct plan *p, struct record *r, enum record_type t,
		 enum record_phase phase, enum record_impl impl);
/* Emits and clears R. */
int plan_emit(struct plan *p, struct record *r, struct errbuf *e);
int plan_is_output(const struct plan_buf *b);  /* out or inout */
int plan_is_input(const struct plan_buf *b);   /* in or inout */
/* The 32-bit poison pattern for buffer I (NaN payloads for floats);
 * distinct for each (trial/sample, side, variant). */
uint32_t plan_poison_pattern(const struct plan *p, size_t i, uint64_t when,
			     int side, int variant);
/* get_inputs.c: buffer I's bytes of input set ID from o->inputs_path
 * into its pristine buffer. */
int plan_load_get_inputs(struct plan *p, size_t i, uint64_t id, struct errbuf *e);
/* Generates this trial's (or timing set's) inputs into the pristine buffers. */
int plan_generate_inputs(struct plan *p, uint64_t trial, struct errbuf *e);
/* Copies the pristine inputs into SIDE's in/inout buffers. */
int plan_load_inputs(struct plan *p, int side, struct backend_buf **from, struct errbuf *e);
/* Invokes SIDE with the next call number; a failed call is an error. */
int plan_invoke(struct plan *p, int side, enum record_phase phase, int timed,
		int traced, struct invoke_result *r, struct errbuf *e);

/* Compares CAND with REF (buffer I's dtype and tolerance) and fills the
 * compare check R: counts, errors, detail {ref_min, ref_max, ref_absmax}. */
int plan_compare(struct plan *p, size_t i, struct backend_buf *cand,
		 struct backend_buf *ref, struct record *r, struct errbuf *e);

/* correctness.c */
int audit_correctness(struct plan *p, struct errbuf *e);

/* timing.c */
int audit_timing(struct plan *p, struct errbuf *e);

/* stats.c */
double stats_rel_noise(const double *v, size_t n);  /* relative s.e. of the median */

#endif
