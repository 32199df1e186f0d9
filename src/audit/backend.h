/*
 * backend.h - what the audit protocol (src/audit/protocol.c) needs from a GPU.
 *
 * The protocol - trials, poison, bait, comparisons, timing rounds - is plain C
 * that only reaches the device through this table, so unit tests drive it with
 * a host implementation (tests/unit/host_backend.c) whose "kernels" misbehave
 * in the known ways.  The real implementation is src/gpu/ (CUDA + CUPTI),
 * built into libkaudit-gpu.so and loaded only by the worker process.
 *
 * Every function returns 0, or -1 with a message in E (E->code is
 * EXIT_ENVIRONMENT for "no device / no CUPTI", EXIT_BAD_INPUT otherwise).
 * A failure inside an implementation call is not a backend failure: it is
 * reported in struct invoke_result.
 */
#ifndef KAUDIT_BACKEND_H
#define KAUDIT_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "kaudit/launcher.h"
#include "claim/claim.h"
#include "trace/record.h"
#include "util/util.h"

struct backend_buf;  /* a device allocation surrounded by guard zones */
/* The GPU backend's guard zone on each side of every buffer: wide enough
 * that an off-by-a-row write of a large row still lands in it.  lint counts
 * it in a case's device memory. */
#define BACKEND_GUARD_BYTES ((size_t)1 << 20)
struct backend_impl; /* a loaded implementation entry point */

/* Result of comparing a candidate output with the baseline's (allclose). */
struct compare_stats {
	uint64_t count;       /* elements compared */
	uint64_t mismatches;  /* elements outside tolerance (NaN never equal) */
	double max_abs, max_rel, rel_l2;
	double ref_min, ref_max, ref_absmax; /* of the reference, for degenerate-reference */
};

struct invoke_opts {
	enum record_impl impl;   /* tags the records of the call */
	int64_t call;            /* call index, unique within the case */
	int64_t case_index;
	enum record_phase phase;
	int timed;               /* bracket with start/stop events, flush L2 first */
	int traced;              /* collect CUPTI activity for the call */
};

/* A timed window is on one clock, never a mix: the device timestamps of
 * the start and stop events (CUPTI CUDA_EVENT records), or, when either is
 * missing, CUPTI's host clock read before the start event and after the
 * synchronisation (it brackets the device window from outside). */
enum window_clock { WINDOW_CLOCK_NONE = 0, WINDOW_CLOCK_DEVICE, WINDOW_CLOCK_HOST };
struct invoke_result {
	int entry_rc;            /* the entry point's return value */
	int failed;              /* CUDA error during or after the call */
	char error[384];         /* what failed */
	/* "" (a CUDA error), or where else the call failed: "python" (the
	 * entry raised), "output" (what it returned cannot be the output);
	 * becomes the error record's `where` (src/run/pyworker.c sets it). */
	char where[16];
	double event_ns;         /* timed: stop - start, CUDA events */
	int64_t window_start, window_end; /* timed: start/stop of the timed window */
	int window_clock;        /* enum window_clock: whose clock the window is on */
	/* Activity attributed to the call (any stream), from tracing: */
	int64_t span_start, span_end;     /* REC_NONE when nothing was traced */
	int64_t kernels;
	double kernel_ns;
	int64_t bytes;
};

struct backend {
	void *self;
	/* Emits the device record (DESIGN section 5 step 1) to SINK, including
	 * the measured peak device-to-device bandwidth. */
	int (*environment)(void *self, const struct record_sink *sink, struct errbuf *e);
	/* Loads ENTRY from the shared object SO. */
	int (*load)(void *self, const char *so, const char *entry,
		    struct backend_impl **out, struct errbuf *e);
	/* BYTES of device memory plus guard zones filled with a canary. */
	int (*alloc)(void *self, size_t bytes, struct backend_buf **out, struct errbuf *e);
	void (*release)(void *self, struct backend_buf *b);
	void *(*data)(struct backend_buf *b);
	/* Fills COUNT elements of DTYPE from INIT with the counter-based
	 * generator seeded by SEED (reproducible from the trace). */
	int (*generate)(void *self, struct backend_buf *b, int dtype, uint64_t count,
			const struct claim_init *init, uint64_t seed, struct errbuf *e);
	/* Fills the whole buffer with the 32-bit PATTERN repeated. */
	int (*poison)(void *self, struct backend_buf *b, uint32_t pattern, struct errbuf *e);
	/* Counts elements (of ELEM_SIZE bytes) still equal to the PATTERN fill. */
	int (*count_poison)(void *self, struct backend_buf *b, size_t elem_size,
			    uint64_t count, uint32_t pattern, uint64_t *hits, struct errbuf *e);
	/* Bytes of the guard zones that no longer hold the canary. */
	int (*guard_damage)(void *self, struct backend_buf *b, uint64_t *bad, struct errbuf *e);
	int (*copy)(void *self, struct backend_buf *dst, struct backend_buf *src,
		    size_t bytes, struct errbuf *e);
	/* Copies BYTES of host memory at SRC into the start of DST (inputs
	 * that get_inputs() made: kaudit-claim(5)).  Optional: NULL refuses
	 * such a claim with a message. */
	int (*upload)(void *self, struct backend_buf *dst, const void *src, size_t bytes,
		      struct errbuf *e);
	/* Number of differing bytes in the first BYTES of A and B. */
	int (*diff_bytes)(void *self, struct backend_buf *a, struct backend_buf *b,
			  size_t bytes, uint64_t *ndiff, struct errbuf *e);
	int (*compare)(void *self, struct backend_buf *cand, struct backend_buf *ref,
		       int dtype, uint64_t count, double rtol, double atol,
		       struct compare_stats *out, struct errbuf *e);
	/* Calls IMPL with L (the backend sets L's stream) and waits for it.
	 * With O->traced, the call's api/kernel/memcpy/memset/event/sync/alloc
	 * records go to SINK tagged with O's impl, call, case and phase, and
	 * dropped activity is reported as a dropped record. */
	int (*invoke)(void *self, struct backend_impl *impl, kaudit_launch *l,
		      const struct invoke_opts *o, const struct record_sink *sink,
		      struct invoke_result *r, struct errbuf *e);
	/* Writes at least twice the L2 size so the next call starts cold. */
	int (*flush_l2)(void *self, struct errbuf *e);
	void (*close)(void *self);
	/* Optional (may be NULL): an implementation that is already a function
	 * in this process (the Python bridge's launcher, src/run/pyworker.c),
	 * named NAME in messages; invoked exactly like a loaded entry. */
	int (*adopt)(void *self, const char *name, int (*launcher)(const kaudit_launch *l),
		     struct backend_impl **out, struct errbuf *e);
	/* Nonzero when buffer data are host pointers (the test double), so the
	 * Python bridge wraps them as CPU tensors; 0: CUDA device pointers. */
	int host_memory;
	/* Optional (may be NULL): free and total device memory in bytes, so
	 * the protocol refuses plans that do not fit before allocating. */
	int (*mem_info)(void *self, size_t *free_bytes, size_t *total_bytes,
			struct errbuf *e);
};



/* The GPU plugin (libkaudit-gpu.so) exports this symbol; the worker
 * dlopens the plugin and calls it to get the CUDA + CUPTI backend for
 * DEVICE.  Fails with EXIT_ENVIRONMENT when there is no usable device,
 * driver or CUPTI. */
#define KAUDIT_GPU_BACKEND_SYMBOL "kaudit_gpu_backend_open"
typedef int (*kaudit_gpu_backend_open_fn)(struct backend *out, int device,
					  struct errbuf *e);

#endif
