/*
 * gpu_attrib.h - attribution of CUPTI activity to implementation calls,
 * with no CUPTI or CUDA header (DESIGN section 1: "attribution logic in
 * files that include no CUPTI header, unit-tested without a GPU").
 *
 * The collector (gpu_collect.c) feeds it what the callbacks saw (API entry
 * and exit, harness and entry brackets, all on CUPTI's clock) and the
 * activity records converted to struct record (gpu_activity.c); it decides
 * which call each record belongs to, what is the harness's own work (never
 * emitted), the timed window of the current call and its totals.
 * tests/unit/test_attribution.c drives it from fabricated records.
 *
 * Not thread-safe: the collector holds its lock around every call.  Nothing
 * here calls into CUPTI, so holding that lock here can never deadlock with
 * CUPTI's own.
 */
#ifndef KAUDIT_GPU_ATTRIB_H
#define KAUDIT_GPU_ATTRIB_H

#include <stddef.h>
#include <stdint.h>

#include "audit/backend.h"

#define ATTRIB_MAX_TAGS (1u << 22)     /* correlation IDs remembered */
#define ATTRIB_MAX_INTERVALS 4096      /* harness brackets remembered between drains */
#define ATTRIB_MAX_EVMAP 4096          /* CUPTI event IDs remembered */

enum attrib_role { ATTRIB_NO_ROLE = 0, ATTRIB_ROLE_START, ATTRIB_ROLE_STOP };

/* What a correlation ID belongs to. */
struct attrib_tag {
	uint32_t corr;            /* 0: empty slot */
	uint8_t harness, in_call, role;
	uint8_t launch;           /* the API call launches one kernel (not a graph) */
	enum record_impl impl;
	int64_t call, case_index;
	enum record_phase phase;
	int64_t stream, event;    /* API arguments, REC_NONE if none */
};

/* A stretch of CUPTI host time in which a thread ran harness or entry code. */
struct attrib_interval {
	int64_t t0, t1;
};

/* An activity record converted but not yet attributed.  attrib_drain sets
 * EMIT (the record goes to the trace) and MODULE_LOAD (a copy the driver
 * made for a kernel launch: see attrib_drain). */
struct attrib_pending {
	struct record rec;
	uint32_t corr;
	uint8_t emit, module_load;
};

struct attrib {
	/* correlation ID -> tag, open addressing with linear probing; FIFO
	 * holds the live IDs in insertion order, so pruning visits only the
	 * tags it removes (no rebuild of the table per drain). */
	struct attrib_tag *tags;
	size_t tag_cap, tag_n;
	uint32_t *fifo;
	size_t fifo_head;
	uint32_t max_corr, keep_from;
	uint64_t dropped_cap;     /* tags lost to ATTRIB_MAX_TAGS */
	/* CUPTI event ID -> event handle (see learn_events). */
	struct { uint32_t id; int64_t handle; } evmap[ATTRIB_MAX_EVMAP];
	size_t nevmap, evmap_next;
	/* the most recent call and who is running what */
	int have_call;
	struct attrib_tag cur;
	int entry_running;
	int64_t entry_tid;
	int harness_active;
	int64_t harness_tid;
	uint8_t harness_role;
	struct attrib_interval harness_iv[ATTRIB_MAX_INTERVALS];
	size_t nharness_iv;
	struct attrib_interval entry_iv;
};

/* A struct attrib is big (the event map): allocate it.  attrib_new never
 * fails (xcalloc); attrib_free(NULL) does nothing. */
struct attrib *attrib_new(void);
void attrib_free(struct attrib *a);

/* Brackets (NOW: CUPTI clock; TID: gettid of the caller). */
void attrib_harness_begin(struct attrib *a, int64_t tid, int64_t now, enum attrib_role role);
void attrib_harness_end(struct attrib *a, int64_t now);
void attrib_begin_call(struct attrib *a, const struct invoke_opts *o);
void attrib_entry_enter(struct attrib *a, int64_t tid, int64_t now);
void attrib_entry_exit(struct attrib *a, int64_t now);

/* An API callback at the call's entry on thread TID: tags CORR with the
 * current call (or the harness), whether the entry point runs on TID, and
 * the STREAM/EVENT arguments (REC_NONE if none); LAUNCH: the call launches
 * one kernel (cudaLaunchKernel, __cudaLaunchKernel, cuLaunchKernel...; not a
 * graph, whose copy nodes are the implementation's). */
void attrib_api_enter(struct attrib *a, uint32_t corr, int64_t tid, int64_t stream,
		      int64_t event, int launch);
/* At the call's exit: the stream a creation call produced. */
void attrib_api_exit(struct attrib *a, uint32_t corr, int64_t created_stream);

/* Whether a record can be discarded as it arrives: the harness's own work
 * (everything but the start/stop events of its timed window). */
int attrib_is_harness(const struct attrib *a, uint32_t corr, const struct record *r);
/* GPU work without both timestamps (a forced flush hands such over). */
int attrib_incomplete(const struct record *r);

/* Attributes the N records of P to calls, sets each one's EMIT flag, and
 * fills RES (memset by the caller, window and span REC_NONE) with the
 * current call's totals and the device window when BOTH of its start and
 * stop events carried a device timestamp (never one of each: a window is
 * on one clock).  Then forgets tags older than the previous drain.  NOW:
 * the drain's CUPTI time (an open harness bracket continues from it). */
void attrib_drain(struct attrib *a, struct attrib_pending *p, size_t n, int64_t now,
		  struct invoke_result *res);

/* After attrib_drain: an api record whose arguments gave no stream takes
 * the stream of the GPU work with its correlation ID when all of that work
 * is on one stream. */
void attrib_backfill_streams(struct attrib_pending *p, size_t n);

/* Tags lost to the ceiling since the last call (and resets the count). */
uint64_t attrib_take_dropped(struct attrib *a);

/* Fills R (record_init'ed as REC_DROPPED) with the current call. */
void attrib_current(const struct attrib *a, struct record *r);

#endif
