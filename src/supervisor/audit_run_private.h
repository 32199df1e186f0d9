/*
 * audit_run_private.h - shared by the supervisor's files (audit_run.c:
 * the audit, audit_records.c: the records only it writes).  Nothing
 * outside src/run/ includes it.
 */
#ifndef KAUDIT_AUDIT_RUN_PRIVATE_H
#define KAUDIT_AUDIT_RUN_PRIVATE_H

#include "build/build.h"
#include "supervisor/audit_run.h"
#include "run/sandbox.h"

/* A source larger than this is recorded by digest only. */
#define RUN_MAX_SOURCE (16u << 20)

struct run_built {
	struct build_result res[2];
	int ok[2];
	char err[2][ERRBUF_LEN];
	int checked[2];                  /* the entry check ran (sandbox below) */
	struct sandbox_report check_sandbox[2];
};

static inline const struct claim_impl *run_side_impl(const struct claim_kernel *k, int side)
{
	return side ? &k->candidate : &k->baseline;
}

/* Appends R (moved: the caller's copy is emptied) to the trace and to
 * A->recs.  After a write failure it only records that one happened. */
int run_audit_write(struct run_audit *a, struct record *r) KAUDIT_MUST_CHECK;
/* Lines kept free near the trace's ceiling for what follows the activity
 * of the remaining cases: their samples, checks, errors, findings and
 * verdicts. */
#define RUN_CONCLUSIONS_RESERVE ((size_t)1 << 20)
/* Writes one `dropped` record (source "ceiling") for the activity
 * run_audit_write did not write since the last call; 0 when there was none. */
int run_audit_ceiling_note(struct run_audit *a) KAUDIT_MUST_CHECK;
/* record_sink callback over struct run_audit: copies, then writes. */
int run_audit_sink_emit(void *audit, const struct record *r);
/* The header record (format version 1; synthetic = 0). */
int run_audit_header(const struct run_audit *a, uint64_t root_seed, const char *pubkey,
		     struct record *out) KAUDIT_MUST_CHECK;
/* run_check_entry, also returning the sandbox report of the checking
 * worker (*REPORTED set once it ran). */
int run_check_entry_sandboxed(const char *prog, const char *claim_dir, const char *so,
			      const char *entry, struct sandbox_report *rep, int *reported,
			      struct errbuf *e) KAUDIT_MUST_CHECK;
/* An error record of case INDEX. */
void run_error_record(int64_t index, const char *where, const char *message,
		      struct record *out);

/* --- Python implementations (audit_python.c) --- */

#include "run/wire.h"

/* The bridge and the libraries a Python worker runs with. */
struct run_py_files {
	char bridge[PATH_MAX], lib[PATH_MAX], poison[PATH_MAX];
	char python[PATH_MAX];  /* the interpreter the builds chose */
	char tree[PATH_MAX];    /* its installation (read-only to workers), or "" */
	/* torch's compiled extensions, one directory per implementation
	 * (kernel K, side S: ext/kK-baseline), written only by that side's
	 * build; removed with the audit.  "" until the first Python build. */
	char ext[PATH_MAX];
};
/* Finds the bridge files beside the executable or in ../lib/kaudit/;
 * EXIT_ENVIRONMENT when they are missing. */
int run_py_locate(struct run_py_files *f, struct errbuf *e) KAUDIT_MUST_CHECK;
/* The installation tree of interpreter PYTHON (PREFIX of PREFIX/bin/python),
 * "" when it cannot be resolved or is "/". */
void run_py_interpreter_tree(const char *python, char *out, size_t cap);
/* { PYTHON, "-I", BRIDGE, LIB, FLAG, NULL }. */
void run_py_argv(const char *python, const struct run_py_files *f, enum run_mode m,
		 char *argv[6]);
/* ENV (run_confine_env's, reallocated) plus the preload and the torch and
 * triton caches inside SCRATCH (torch's at EXT instead when not NULL). */
char **run_py_env(char **env, const struct run_py_files *f, const char *scratch,
		  const char *ext);
/* Where side SIDE of kernel KERNEL keeps what its build compiled (F->ext
 * is created when missing; the directory itself may not exist). */
int run_py_ext_dir(struct run_py_files *f, size_t kernel, int side, char *out, size_t cap,
		   struct errbuf *e) KAUDIT_MUST_CHECK;
/* The one working extension directory, F->ext/cur, emptied: every Python
 * worker (one at a time) compiles and imports there, so the paths ninja
 * recorded in a build are the paths a case finds. */
int run_py_ext_work(struct run_py_files *f, char *out, size_t cap, struct errbuf *e)
	KAUDIT_MUST_CHECK;
/* After a build: WORK becomes that side's STORE. */
int run_py_ext_keep(const char *work, const char *store, struct errbuf *e) KAUDIT_MUST_CHECK;
/* Copies what BUILT (one side's store) holds into DEST (the working
 * directory of a case's worker), skipping any extension name DEST
 * already has: a case's import finds its build current instead of
 * compiling again, and neither side can overwrite the other's. */
int run_py_ext_seed(const char *built, const char *dest, struct errbuf *e) KAUDIT_MUST_CHECK;
/* The build of a Python implementation before its import check: every
 * file it names (the .py, its init_inputs file) as deps with text and
 * sha256. */
int run_py_build(const struct claim *c, const struct claim_impl *impl,
		 struct build_result *out, struct errbuf *e) KAUDIT_MUST_CHECK;
/* Nonzero when IMPL's .py file and its init_inputs file still hold what
 * their build BR recorded (the C objects' rehash, for Python: with a
 * degraded sandbox an earlier case could rewrite them); 0 with WHY. */
int run_py_unchanged(const struct claim_impl *impl, const struct build_result *br, char *why,
		     size_t cap);
/* Checks what the --inputs worker left at PATH for kernel K under
 * parameters P and budgets O (one plain file, every input set) and puts
 * in SHA[b] the sha256 of buffer b's bytes over all sets ("" for a
 * buffer not from get_inputs). */
int run_py_inputs_digest(const char *path, const struct claim_kernel *k,
			 const struct claim_params *p, const struct audit_opts *o,
			 char (*sha)[65], struct errbuf *e) KAUDIT_MUST_CHECK;

#endif
