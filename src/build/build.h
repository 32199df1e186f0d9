/*
 * build.h - compiling implementations with nvcc, with a compile cache.
 *
 * nvcc runs through argv (fork/exec), never a shell.  Shared objects are
 * cached under $XDG_CACHE_HOME/kaudit (default ~/.cache/kaudit), keyed by
 * the sha256 of the source, the flags, the architecture and nvcc's version.
 */
#ifndef KAUDIT_BUILD_H
#define KAUDIT_BUILD_H

#include <limits.h>

#include "../claim/claim.h"

struct build_opts {
	const char *arch;        /* nvcc -arch value; NULL: $KAUDIT_ARCH or "native"
				    when a GPU is visible, else a portable default */
	const char *include_dir; /* directory holding kaudit/launcher.h; NULL: found
				    beside the executable */
	int verbose;
};

struct build_result {
	char so_path[PATH_MAX];  /* the shared object to dlopen */
	char so_sha256[65];
	char source_sha256[65];
	char nvcc_version[128];  /* "" for a prebuilt .so */
	int cached;              /* 1: taken from the cache */
	char *log;               /* nvcc's output (malloc'ed, may be NULL) */
};

/* Compiles (or finds in the cache) IMPL of claim C.  A compile error fails
 * with EXIT_BAD_INPUT and the nvcc output in OUT->log; a missing nvcc fails
 * with EXIT_ENVIRONMENT. */
int build_impl(const struct claim *c, const struct claim_impl *impl,
	       const struct build_opts *o, struct build_result *out,
	       struct errbuf *e) KAUDIT_MUST_CHECK;

/* dlopens SO and checks that ENTRY resolves (works without a GPU).  The
 * dlopen happens in a forked child, so the claimant's constructors and the
 * CUDA runtime never run in the caller.  A missing dependency (libcudart)
 * is EXIT_ENVIRONMENT; a broken object or a missing entry EXIT_BAD_INPUT. */
int build_check_entry(const char *so, const char *entry, struct errbuf *e) KAUDIT_MUST_CHECK;

void build_result_release(struct build_result *r);

#endif
