/*
 * build.h - compiling implementations with nvcc, with a compile cache.
 *
 * kaudit starts nvcc by argv (fork/exec), never through a shell, but nvcc
 * itself runs its sub-tools through sh -c: so every flag and path it is
 * given comes from an allowlist or a safe character set (claim.h,
 * claim_flags_check).  Before compiling, `nvcc -M` lists every file the
 * compile reads; each must lie in the claim's tree, kaudit's header
 * directory, the CUDA toolkit or the system include directories, or
 * nothing is compiled.  Shared objects are cached under
 * $XDG_CACHE_HOME/kaudit (default ~/.cache/kaudit, mode 0700), keyed by
 * the sha256 of the source, every file it reads, the flags, the
 * architecture and nvcc's version; each object is read-only, its sha256 is
 * recorded beside it and checked again on every hit.
 */
#ifndef KAUDIT_BUILD_H
#define KAUDIT_BUILD_H

#include <limits.h>

#include "claim/claim.h"

struct build_opts {
	const char *arch;        /* nvcc -arch value; NULL: $KAUDIT_ARCH or "native"
				    when a GPU is visible, else a portable default */
	const char *include_dir; /* directory holding kaudit/launcher.h; NULL: found
				    beside the executable */
	int verbose;
};

/* One file the compile reads (kaudit-claim(5), INCLUDED FILES). */
struct build_dep {
	char *path;       /* claim: relative to the manifest's directory (after
			     links are followed); others: absolute real path */
	char kind[8];     /* "claim" (inside the claim's tree), "kaudit" (the
			     launcher header directory), "toolkit" (the CUDA
			     toolkit nvcc belongs to) or "system" (the host
			     compiler's include directories) */
	char sha256[65];  /* of the file's bytes */
	char *text;       /* claim files only: the contents verbatim,
			     NUL-terminated; NULL when not valid UTF-8, when it
			     holds a NUL byte, when larger than 16 MiB, and for
			     every other kind */
};

struct build_result {
	char so_path[PATH_MAX];  /* the shared object to dlopen */
	char so_sha256[65];
	char source_sha256[65];
	char nvcc_version[128];  /* "" for a prebuilt .so */
	char arch[64];           /* the -arch option given to nvcc ("-arch=sm_90"),
				    "" for a prebuilt .so */
	int cached;              /* 1: taken from the cache (and re-hashed) */
	char *log;               /* nvcc's output (malloc'ed, may be NULL); never
				    the dependency pass's */
	struct build_dep *deps;  /* every file the compile reads, the source
				    first, then in nvcc -M's order; a prebuilt
				    .so is one entry (itself, "claim", no text) */
	size_t ndeps;
	char note[256];          /* "" or one line for the user and the trace:
				    a cache entry that failed its re-hash (or
				    had no recorded sha256) and was rebuilt */
};

/* Compiles (or finds in the cache) IMPL of claim C.  The source must lie
 * inside C's tree (C->root, else the real path of C->dir); flags are
 * checked against the allowlist; an include that leaves the permitted
 * directories is refused before nvcc runs, or after `nvcc -M` names it,
 * and never compiled.  A refusal or a compile error fails with
 * EXIT_BAD_INPUT (compile errors with the nvcc output in OUT->log); a
 * missing nvcc fails with EXIT_ENVIRONMENT.  OUT is filled as far as it
 * got either way: release it with build_result_release(). */
int build_impl(const struct claim *c, const struct claim_impl *impl,
	       const struct build_opts *o, struct build_result *out,
	       struct errbuf *e) KAUDIT_MUST_CHECK;

/* dlopens SO in a forked child and checks that ENTRY resolves.  Used only
 * by the unit tests of the build: kaudit itself never loads a claimant's
 * object in a fork of a process that may hold the key, it uses a fresh
 * confined worker (run_check_entry, src/supervisor/audit_run.h).  A missing
 * dependency is EXIT_ENVIRONMENT; a broken object or entry EXIT_BAD_INPUT. */
int build_check_entry(const char *so, const char *entry, struct errbuf *e) KAUDIT_MUST_CHECK;

/* The sha256 of the object R names, read now (streamed): the supervisor
 * compares it with R->so_sha256 before each case that loads it. */
int build_rehash(const struct build_result *r, char out[65], struct errbuf *e) KAUDIT_MUST_CHECK;

/* Frees R's log and deps (R itself is the caller's). */
void build_result_release(struct build_result *r);

#endif
