/*
 * build_private.h - the pieces of the compile step, shared by the files of
 * src/build/ and its unit test; nothing outside src/build/ includes it.
 *
 *   build_exec.c   run a program by argv with a timeout, capture its output
 *   build_nvcc.c   find nvcc, its version, the architecture, the argv
 *   build_cache.c  the cache directory and the cache key
 *   build.c        build_impl() and build_check_entry() on top of them
 */
#ifndef KAUDIT_BUILD_PRIVATE_H
#define KAUDIT_BUILD_PRIVATE_H

#include <stddef.h>

#include "build.h"

#define BUILD_TIMEOUT_S 300          /* one nvcc run */
#define BUILD_VERSION_TIMEOUT_S 60   /* nvcc --version */
#define BUILD_CHECK_TIMEOUT_S 60     /* dlopen in a child */
#define BUILD_LOG_MAX (1u << 20)     /* captured compiler output */
#define BUILD_SOURCE_MAX (16u << 20) /* a source or an included file */
#define BUILD_MAX_INCLUDES 256       /* quoted includes hashed into the key */
#define BUILD_MAX_ARGS 4096          /* nvcc argv entries */

/* The portable default when no architecture is given and no GPU is
 * visible: SASS for A100 (sm_80) and H100/H200 (sm_90), plus compute_90
 * PTX that newer GPUs JIT-compile at load time. */
#define BUILD_PORTABLE_ARCH \
	"-gencode", "arch=compute_80,code=sm_80", \
	"-gencode", "arch=compute_90,code=sm_90", \
	"-gencode", "arch=compute_90,code=compute_90"

/* A NULL-terminated, growable argv; every string is owned. */
struct build_argv {
	char **v;
	size_t n, cap;
};

void build_argv_push(struct build_argv *a, const char *s);
void build_argv_release(struct build_argv *a);

/* --- build_exec.c --- */

struct build_exec_result {
	int exited;     /* 1: exited normally, status holds the exit status */
	int status;     /* exit status, or the signal number when !exited */
	int timed_out;  /* killed after the timeout */
	char *output;   /* stdout and stderr interleaved, NUL-terminated, owned */
	size_t len;
	int truncated;  /* output was longer than the ceiling (rest discarded) */
};

/* Runs ARGV[0] (a path, or a name looked up in PATH) with ARGV, stdin from
 * /dev/null and stdout+stderr captured up to MAX_OUT bytes; the program and
 * everything it starts are killed after TIMEOUT_S seconds.  Returns -1 only
 * when the program could not be started (E->code EXIT_ENVIRONMENT); a
 * program that fails is reported in R. */
int build_exec(char *const argv[], int timeout_s, size_t max_out,
	       struct build_exec_result *r, struct errbuf *e) KAUDIT_MUST_CHECK;
void build_exec_result_release(struct build_exec_result *r);

/* --- build_nvcc.c --- */

/* Finds nvcc: $NVCC, $CUDA_HOME/bin/nvcc, /usr/local/cuda/bin/nvcc, PATH.
 * A set $NVCC that is not executable is an error, not a reason to look
 * elsewhere (EXIT_ENVIRONMENT). */
int build_find_nvcc(char *out, size_t outsz, struct errbuf *e) KAUDIT_MUST_CHECK;

/* Runs `nvcc --version`; *FULL receives its whole output (owned, hashed into
 * the cache key), RELEASE the line naming the release. */
int build_nvcc_version(const char *nvcc, char **full, char *release, size_t relsz,
		       struct errbuf *e) KAUDIT_MUST_CHECK;

/* The CUDA runtime directory matching NVCC (<nvcc>/../lib64), for the
 * rpath; "" when it does not exist. */
void build_cuda_libdir(const char *nvcc, char *out, size_t outsz);

/* The architecture arguments: ARCH, else $KAUDIT_ARCH, else "native" when
 * GPU_VISIBLE, else BUILD_PORTABLE_ARCH.  A named architecture becomes one
 * "-arch=NAME" entry; NAME must match [A-Za-z0-9_.-]+ (EXIT_BAD_INPUT). */
int build_arch_args(const char *arch, int gpu_visible, struct build_argv *out,
		    struct errbuf *e) KAUDIT_MUST_CHECK;

/* Nonzero when a GPU device node is visible (/dev/nvidia0). */
int build_gpu_visible(void);

/* Refuses manifest flags that would move nvcc's output (-o and friends)
 * or change what is built (-c, -E, ...): the cache owns the output path. */
int build_check_flags(char *const *flags, size_t n, struct errbuf *e) KAUDIT_MUST_CHECK;

/* The whole nvcc command line: NVCC -shared -Xcompiler -fPIC -cudart shared
 * -O3 -std=c++17 -I INCDIR ARCH... [-Xlinker -rpath,LIBDIR] FLAGS... -o OUT
 * SOURCE.  Each flag stays one argv entry, verbatim. */
void build_compile_argv(struct build_argv *a, const char *nvcc, const char *incdir,
			const struct build_argv *arch, const char *libdir,
			char *const *flags, size_t nflags, const char *out,
			const char *source);

/* --- build_cache.c --- */

/* $XDG_CACHE_HOME/kaudit (absolute values only), else ~/.cache/kaudit;
 * created (0700) when missing.  EXIT_ENVIRONMENT when that fails. */
int build_cache_dir(char *out, size_t outsz, struct errbuf *e) KAUDIT_MUST_CHECK;

/* Everything a compiled object depends on. */
struct build_key_input {
	const char *source;         /* source text */
	size_t source_len;
	char *const *flags;         /* manifest flags */
	size_t nflags;
	const struct build_argv *arch;
	const char *libdir;         /* rpath */
	const char *nvcc_version;   /* full `nvcc --version` output */
	const char *launcher;       /* kaudit/launcher.h text */
	const char *includes;       /* build_source_includes() digest text */
};

/* sha256 over a length-prefixed encoding of IN: equal inputs, equal keys;
 * any field that differs, a different key. */
void build_cache_key(const struct build_key_input *in, char out[65]);

/* Follows the `#include "..."` lines of the source at PATH (text TEXT),
 * resolved against the including file's directory, recursively (at most
 * BUILD_MAX_INCLUDES files); *OUT receives "path sha256\n" per file found
 * (owned).  Includes that do not resolve there (system headers, the
 * launcher header, -I paths) are skipped. */
int build_source_includes(const char *path, const char *text, char **out,
			  struct errbuf *e) KAUDIT_MUST_CHECK;

/* sha256 of a file's contents, streamed (no size limit). */
int build_sha256_file(const char *path, char out[65], struct errbuf *e) KAUDIT_MUST_CHECK;

/* Finds the directory holding kaudit/launcher.h: INCLUDE_DIR when given,
 * else beside the executable (<exe>/include, <exe>/../include,
 * <exe>/../../include for build/san/kaudit).  EXIT_ENVIRONMENT if none. */
int build_find_include_dir(const char *include_dir, char *out, size_t outsz,
			   struct errbuf *e) KAUDIT_MUST_CHECK;

#endif
