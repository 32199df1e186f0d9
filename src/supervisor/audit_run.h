/*
 * audit_run.h - the supervisor's side of `kaudit verify`: build, run each
 * case in a fresh confined worker, check its records against its plan,
 * judge, and write the signed trace (DESIGN sections 5 and 10).  cli/
 * parses options and renders what this leaves in struct run_audit.
 *
 * The supervisor owns the facts: the manifest text it read once, the plan,
 * the seeds, and the header, build, case, sandbox and device records (the
 * last from an environment worker that loads no claimant code).  Workers
 * contribute activity, checks and samples, each admitted by the plan check.
 *
 * Ownership: struct run_audit owns the claim, the cases and every record
 * written to the trace (recs, in trace order, ids set, header first), so
 * the detectors, the predicate and the report all read the same records.
 */
#ifndef KAUDIT_AUDIT_RUN_H
#define KAUDIT_AUDIT_RUN_H

#include <limits.h>
#include <signal.h>

#include "claim/claim.h"
#include "trace/record.h"
#include "trace/trace.h"
#include "util/util.h"

struct run_built; /* what building one kernel's two sides gave */
struct run_py_files;

struct run_audit {
	/* Set by the caller before run_audit_execute(). */
	const char *prog;           /* the worker program (this executable) */
	const char *out;            /* -o; NULL: ./CLAIM-YYYYmmddTHHMMSSZ.kat */
	const char *kernel;         /* --kernel; NULL: every kernel */
	int64_t shard_index, shard_count; /* --shard I/N: the cases with index mod N
					     = I; count 0: not sharded */
	const char *key_path;       /* where the signing key lives (never exposed) */
	int quick;
	double margin;              /* a fraction (--margin 10 -> 0.10) */
	double timeout_s;           /* per case */
	volatile sig_atomic_t *stop; /* raised by Ctrl-C */
	void (*note)(const char *msg); /* "the cache entry was rebuilt"...; may be NULL */
	/* --python; NULL: $KAUDIT_PYTHON, else python3 on PATH, else
	 * /usr/bin/python3, the first that has torch. */
	const char *python;

	/* Filled by run_audit_load(). */
	struct claim *claim;
	struct claim_case *cases;
	size_t ncases;
	int *selected;              /* per case: run it (--kernel) */

	/* Filled by run_audit_execute(). */
	struct trace_writer *w;
	struct record_list recs;    /* every record written, in trace order */
	char trace_path[PATH_MAX];
	size_t nselected, not_run;  /* not_run: stopped by an interruption */
	int interrupted;
	int write_failed;           /* the trace (or the supervisor) failed: abort */
	struct errbuf werr;         /* why, the first time */
	size_t ceiling;             /* records past which activity is counted, not
				       written (run_audit_execute: TRACE_MAX_RECORDS
				       less RUN_CONCLUSIONS_RESERVE) */
	int64_t ceiling_dropped;    /* activity not written since the last note */
	int64_t ceiling_case;       /* the case it belonged to */
	struct run_built *built;
	struct run_py_files *py;    /* NULL until a Python implementation is built */
	const char *py_dir;         /* run_py_describe: the directory workers read */
};

/* Loads the manifest at PATH and selects the cases (A->kernel and A's
 * shard); a selection of no case is EXIT_BAD_INPUT. */
int run_audit_load(struct run_audit *a, const char *path, struct errbuf *e) KAUDIT_MUST_CHECK;

/* Everything after the probe and the key: builds, trace, cases, verdicts,
 * signature.  -1 with E (E->code the exit code) when the audit could not be
 * carried out or its trace written; a case that fails is not a failure. */
int run_audit_execute(struct run_audit *a, struct trace_key *key,
		      struct errbuf *e) KAUDIT_MUST_CHECK;

void run_audit_free(struct run_audit *a);

/* `kaudit import kernelbench`: runs the KernelBench problem file PROBLEM
 * (get_init_inputs, Model, get_inputs, one forward under seed 0) in a
 * confined Python worker that may read DIR, and returns in *JSON what it
 * saw (kaudit_bridge.py, describe): the inputs' and outputs' shapes and
 * dtypes, forward's argument names, the module's integer constants.
 * PYTHON as --python (NULL: $KAUDIT_PYTHON, python3 with torch). */
int run_py_describe(const char *prog, const char *python, const char *dir, const char *problem,
		    char **json, struct errbuf *e) KAUDIT_MUST_CHECK;

/* Runs `__worker --probe` (no claimant code): 0, or -1 with a one-line
 * message and EXIT_ENVIRONMENT when there is no usable device. */
int run_probe(const char *prog, volatile sig_atomic_t *stop, struct errbuf *e) KAUDIT_MUST_CHECK;

/* Loads SO and resolves ENTRY in a fresh confined worker (no GPU needed),
 * so a constructor in claimant code never runs in the caller.  READ_DIR is
 * the claim's directory.  A missing dependency (libcudart) is
 * EXIT_ENVIRONMENT; a broken object or a missing entry EXIT_BAD_INPUT. */
int run_check_entry(const char *prog, const char *claim_dir, const char *so,
		    const char *entry, struct errbuf *e) KAUDIT_MUST_CHECK;

/* The verdict record of case I (REC_NONE: the claim's), or its first record
 * of type T; NULL when absent. */
const struct record *run_audit_find(const struct run_audit *a, enum record_type t,
				    int64_t case_index);

#endif
