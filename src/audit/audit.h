/*
 * audit.h - the audit protocol of one case (DESIGN section 5, steps 2-4).
 *
 * audit_run_case() is plain C that reaches the GPU only through a struct
 * backend: the worker passes the CUDA + CUPTI plugin, unit tests a host
 * double.  It emits, in order: one `case` record, the correctness trials'
 * `check` records, the timing phase's `sample` (and checked-sample `check`)
 * records; the backend adds the activity records of every call.  Every
 * record carries the case index.
 *
 * On failure (a backend error, an entry that returned nonzero, a CUDA error
 * in a call, a plan that does not fit) it emits one `error` record, and
 * returns -1 with the message in E; E->code is EXIT_ENVIRONMENT when the
 * device itself is unusable and EXIT_NOT_REPRODUCED (1) otherwise.  When
 * the sink itself fails nothing more is emitted.
 */
#ifndef KAUDIT_AUDIT_H
#define KAUDIT_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "audit/backend.h"

struct audit_opts {
	uint64_t seed;         /* the case's seed: every input derives from it */
	int quick;             /* smaller budgets (kaudit verify --quick) */
	int trials;            /* correctness trials (default 5) */
	int rounds;            /* timing rounds (default 3) */
	double noise_target;   /* stop a round below this relative noise (0.005) */
	int min_samples;       /* per impl and round before noise may stop it */
	int max_samples;       /* per impl and round: the sample budget */
	double max_seconds;    /* wall-clock budget of the whole timing phase */
	int input_sets;        /* pre-generated timing input sets (fewer if short of memory) */
	int warmup;            /* untimed-as-sample warm-up calls per impl */
	int controls;          /* untraced control samples per impl and round */
	double check_fraction; /* share of timed candidate calls checked afterwards */
	/* Emit the `case` record first (1, the default).  A worker sets 0:
	 * there the supervisor writes the case record itself, from its own
	 * copy of the manifest, and refuses one from the worker. */
	int emit_case;
	/* The compiled implementations, loaded with backend->load and the
	 * kernel's entry names (a load failure is an `error` record). */
	const char *baseline_so, *candidate_so;
	/* The inputs of the buffers whose init is get_inputs, made before the
	 * worker started by a separate interpreter that imports the problem
	 * file only (src/run/pyinputs.c): every input set's bytes in
	 * audit_get_inputs_layout() order.  NULL when no buffer needs it. */
	const char *inputs_path;
};

/* Defaults for SEED (reduced budgets when QUICK). */
void audit_opts_init(struct audit_opts *o, uint64_t seed, int quick);

/* The `case` record of kernel K under parameters P (case CASE_INDEX, seed
 * SEED): record_init'ed here.  Fails (E) when a shape or work expression
 * does not evaluate. */
int audit_case_record(const struct claim_kernel *k, const struct claim_params *p,
		      int64_t case_index, uint64_t seed, struct record *out,
		      struct errbuf *e) KAUDIT_MUST_CHECK;

/* Choices the protocol derives from the case's seed, public so the
 * supervisor can hold a worker to them (src/run/run_check.c): the trial
 * that is the stale-answer bait (-1: none, with fewer than 2 trials), and
 * whether the DRAW-th traced candidate sample of the case is checked. */
int64_t audit_bait_trial(uint64_t seed, int trials);
int audit_draw_checked(uint64_t seed, uint64_t draw, double check_fraction);

/* The input sets a case asks for: its correctness trials 0..trials-1,
 * then the timing phase's sets AUDIT_TIMING_SET_BASE + k, k < input_sets.
 * Slots number them in that order (the layout of o->inputs_path). */
#define AUDIT_TIMING_SET_BASE 1000000u
int audit_input_sets(const struct audit_opts *o);
uint64_t audit_input_set_id(const struct audit_opts *o, int slot);
/* The slot of set ID, or -1 when the plan O has no such set. */
int audit_input_set_slot(const struct audit_opts *o, uint64_t id);
/* The torch.manual_seed of get_inputs() for input set ID of the case
 * seeded CASE_SEED (below 2^53, like every seed). */
uint64_t audit_get_inputs_seed(uint64_t case_seed, uint64_t id);
/* Where buffer B of K's get_inputs buffers lies in one input set under
 * parameters P (*OFFSET), and one set's bytes (*SET_BYTES: every
 * get_inputs buffer's, in manifest order).  -1 (E) on a shape that does
 * not evaluate or a size past 64 bits. */
int audit_get_inputs_layout(const struct claim_kernel *k, const struct claim_params *p,
			    size_t b, uint64_t *offset, uint64_t *set_bytes,
			    struct errbuf *e) KAUDIT_MUST_CHECK;

/* Runs case CASE_INDEX (claim_cases() order) of C on B. */
int audit_run_case(const struct backend *b, const struct claim *c, size_t case_index,
		   const struct audit_opts *o, const struct record_sink *sink,
		   struct errbuf *e) KAUDIT_MUST_CHECK;

#endif
