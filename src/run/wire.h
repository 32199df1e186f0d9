/*
 * wire.h - the protocol between the supervisor and a worker, both ends
 * (DESIGN sections 5 and 10).
 *
 * A worker is `kaudit __worker MODE`, freshly exec'd.  Everything it needs
 * comes from the supervisor as one JSON document on its stdin, the plan:
 * the manifest text (never re-read from disk: a candidate of an earlier case
 * may have rewritten it), the case, its seed, the protocol's budgets and the
 * compiled objects to load.  The worker answers with records, one JSON line
 * each, on its record channel (its stdout at exec; moved to a private
 * descriptor before claimant code loads), and diagnostics on stderr.
 *
 * Which records a worker of each mode may send, how many, and how long a
 * line may be are defined here once, for both ends; run_check.c holds the
 * supervisor's check of a case stream against its plan.
 */
#ifndef KAUDIT_WIRE_H
#define KAUDIT_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"
#include "trace/record.h"
#include "util/util.h"

enum run_mode {
	RUN_MODE_PROBE,        /* is there a usable device? one line of text */
	RUN_MODE_ENVIRONMENT,  /* the device record; loads no claimant code */
	RUN_MODE_CASE,         /* one case of the audit protocol */
	RUN_MODE_ENTRY_CHECK,  /* load one object, resolve its entry; no GPU */
	RUN_MODE_INPUTS,       /* a Python interpreter runs the problem file's
				  get_inputs() for every input set of a case
				  into inputs_path; no GPU, no claimant code
				  but the problem file */
	RUN_NMODES
};

/* Records one case worker may send; past it the worker stops writing and
 * one `dropped` record says how many it did not (the trace must not lie by
 * omission).  The supervisor refuses anything beyond the cap plus that one
 * record. */
#define RUN_WORKER_MAX_RECORDS ((size_t)1 << 21)
/* Longest plan accepted on a worker's stdin: the manifest's own ceiling
 * (kaudit-claim(5)) plus room for the rest. */
#define RUN_PLAN_MAX ((size_t)18 << 20)

/* What the supervisor tells a worker. */
struct run_plan {
	enum run_mode mode;
	int device;
	/* RUN_MODE_CASE */
	char *manifest_path;     /* for messages: the worker never opens it */
	char *manifest_text;
	size_t manifest_len;
	int64_t case_index;
	struct audit_opts opts;  /* seed and budgets; its object paths point
				    at the two fields below */
	char *baseline_so, *candidate_so;
	/* RUN_MODE_CASE: the get_inputs() inputs to read (NULL: none);
	 * RUN_MODE_INPUTS (which uses the case fields too): the file to write */
	char *inputs_path;
	/* RUN_MODE_ENTRY_CHECK */
	char *so, *entry;
};

/* Encodes P as one JSON document (malloc'ed, *LEN bytes). */
char *run_plan_encode(const struct run_plan *p, size_t *len);
/* Decodes a plan; every field is checked (types, ranges, the mode's
 * required fields). */
int run_plan_decode(const char *text, size_t len, struct run_plan *out,
		    struct errbuf *e) KAUDIT_MUST_CHECK;
void run_plan_release(struct run_plan *p);

/* "--probe", "--environment", "--case", "--check-entry", "--inputs"; NULL if
 * unknown. */
const char *run_mode_flag(enum run_mode m);
/* The mode named by FLAG, or -1. */
int run_mode_parse(const char *flag);
/* argv of a worker of mode M: { PROG, "__worker", FLAG, NULL }. */
void run_worker_argv(const char *prog, enum run_mode m, char *argv[4]);

/* Nonzero when a worker of mode M may send a record of type T.  Only the
 * supervisor frames a trace (header, footer, signature), builds, writes
 * case and sandbox records, and judges (finding, verdict); only the
 * environment worker, which loads no claimant code, describes the device. */
int run_worker_may_send(enum run_mode m, enum record_type t);

#endif
