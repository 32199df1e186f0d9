/*
 * build_private.h - the pieces of the compile step, shared by the files of
 * src/build/ and its unit test; nothing outside src/build/ includes it.
 *
 *   build_exec.c   run a program by argv with a timeout, capture its output
 *   build_nvcc.c   find nvcc, its version, the architecture, the argv
 *   build_deps.c   what the compile reads: the include scan before nvcc,
 *                  the `nvcc -M` list after it, and where each file lies
 *   build_cache.c  the cache directory, the cache key, the recorded sha256
 *   build.c        build_impl() and build_check_entry() on top of them
 */
#ifndef KAUDIT_BUILD_PRIVATE_H
#define KAUDIT_BUILD_PRIVATE_H

#include <stddef.h>

#include "build/build.h"

#define BUILD_TIMEOUT_S 300          /* one nvcc run */
#define BUILD_VERSION_TIMEOUT_S 60   /* nvcc --version */
#define BUILD_CHECK_TIMEOUT_S 60     /* dlopen in a child */
#define BUILD_LOG_MAX (1u << 20)     /* captured compiler output */
#define BUILD_SOURCE_MAX (16u << 20) /* a source or an included file */
#define BUILD_MAX_INCLUDES 256       /* claim files the include scan follows */
#define BUILD_MAX_DEPS 8192          /* files one compile may read */
#define BUILD_DEPS_MAX (4u << 20)    /* nvcc -M's dependency file */
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
/* The same, confined by SANDBOX (NULL: not) with environment ENVP (NULL:
 * the caller's). */
struct sandbox_policy;
int build_exec_confined(char *const argv[], int timeout_s, size_t max_out,
			const struct sandbox_policy *sandbox, char *const *envp,
			struct build_exec_result *r, struct errbuf *e) KAUDIT_MUST_CHECK;

/* --- build_nvcc.c --- */

/* Finds nvcc: $NVCC, $CUDA_HOME/bin/nvcc, /usr/local/cuda/bin/nvcc, PATH;
 * OUT is made absolute (nvcc runs in a private working directory).  A set
 * $NVCC that is not executable is an error, not a reason to look
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

/* The manifest flags as nvcc gets them (claim_flags_check against the
 * claim tree ROOT); a refused flag is EXIT_BAD_INPUT naming it. */
int build_check_flags(const char *root, char *const *flags, size_t n,
		      struct claim_nvcc_flags *out, struct errbuf *e) KAUDIT_MUST_CHECK;

/* The whole nvcc command line: NVCC -shared -Xcompiler -fPIC -cudart shared
 * -O3 -std=c++17 -I INCDIR ARCH... [-Xlinker -rpath,LIBDIR] FLAGS... -o OUT
 * SOURCE.  Each flag stays one argv entry (FLAGS are claim_flags_check's
 * argv: -I directories already resolved). */
void build_compile_argv(struct build_argv *a, const char *nvcc, const char *incdir,
			const struct build_argv *arch, const char *libdir,
			char *const *flags, size_t nflags, const char *out,
			const char *source);

/* The dependency pass: the same command line with -M -MF DEPFILE in place
 * of the rpath and -o, so it preprocesses exactly what the compile will
 * (host and every device architecture) and only lists the files read. */
void build_depend_argv(struct build_argv *a, const char *nvcc, const char *incdir,
		       const struct build_argv *arch, char *const *flags, size_t nflags,
		       const char *depfile, const char *source);

/* The toolkit NVCC belongs to: the real path of <nvcc>/..; "" when it does
 * not resolve or is "/". */
void build_toolkit_root(const char *nvcc, char *out, size_t outsz);

/* Pushes the host compiler's #include <...> search directories onto OUT
 * (from `gcc -xc++ -E -v`, the compiler nvcc runs by default); nothing
 * when gcc cannot be run. */
void build_host_include_dirs(struct build_argv *out);

/* --- build_deps.c --- */

/* Where the files a compile reads may lie, each a real path. */
struct build_roots {
	char claim[PATH_MAX];    /* the claim's tree */
	char kaudit[PATH_MAX];   /* the directory holding kaudit/launcher.h */
	char toolkit[PATH_MAX];  /* build_toolkit_root(); "" none */
	struct build_argv system; /* /usr/include, /usr/lib/gcc,
				     /usr/local/include and the host compiler's
				     search directories, those that exist */
};

/* Fills R->system (the other fields are the caller's). */
void build_roots_system(struct build_roots *r);
void build_roots_release(struct build_roots *r);

/* The kind of REAL (a real path) under R: "claim", "kaudit", "toolkit",
 * "system", or NULL when a compile may not read it (outside all four,
 * under /proc, /sys or /dev, or kaudit's configuration directory).  *REL
 * (may be NULL) receives the part after the claim tree for "claim". */
const char *build_classify(const struct build_roots *r, const char *real, const char **rel);

/* The include scan, before any preprocessor runs.  Starting at SOURCE (a
 * real path in the claim tree, text TEXT) every #include, #include_next,
 * #import and #embed line of every claim file is read (after line splices
 * and trigraphs, in comments and disabled blocks too); refused are a
 * computed include (#include MACRO), an absolute name or one with a ".."
 * component that reaches a file build_classify() refuses, and a name that
 * finds, in the claim tree (beside the includer or in INCDIRS), a link
 * leading out of it or a file that is not regular.  Claim files found are
 * scanned in turn, at most BUILD_MAX_INCLUDES.  Errors (EXIT_BAD_INPUT)
 * give the including file, its line and the name; never contents. */
int build_source_includes(const struct build_roots *r, const char *source, const char *text,
			  char *const *incdirs, size_t nincdirs,
			  struct errbuf *e) KAUDIT_MUST_CHECK;

/* The prerequisites of the make rule(s) in TEXT (nvcc -M's output), in
 * order, with "\ " unescaped; targets are left out. */
int build_deps_parse(const char *text, struct build_argv *out, struct errbuf *e) KAUDIT_MUST_CHECK;

/* Classifies, hashes and (claim files) reads each of PATHS (relative ones
 * are taken against CWD), appending to OUT->deps after the source SOURCE,
 * which comes first whether or not PATHS names it; duplicates are
 * dropped.  A file build_classify() refuses, one that does not resolve, or
 * a claim file that is not regular fails with EXIT_BAD_INPUT naming it
 * and SHOWN (the source as the claim names it). */
int build_deps_collect(const struct build_roots *r, const char *source, const char *shown,
		       const struct build_argv *paths, const char *cwd, struct build_result *out,
		       struct errbuf *e) KAUDIT_MUST_CHECK;

/* "kind path sha256\n" per dep: what the cache key takes of them.  Owned. */
char *build_deps_digest(const struct build_dep *deps, size_t n);

void build_deps_release(struct build_dep *deps, size_t n);

/* The first diagnostic line of a failed dependency pass's OUTPUT that
 * carries "error" and is attributed to a file build_classify() accepts,
 * into OUT ("" if none): the pass may have opened a file it must not show,
 * so the rest of its output is never kept. */
void build_deps_diagnostic(const struct build_roots *r, const char *output, char *out,
			   size_t outsz);

/* --- build_cache.c --- */

/* $XDG_CACHE_HOME/kaudit (absolute values only), else ~/.cache/kaudit;
 * created (0700) when missing, made 0700 when it is more open.
 * EXIT_ENVIRONMENT when that fails or another user owns it. */
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
	const char *deps;           /* build_deps_digest() of every file read */
};

/* sha256 over a length-prefixed encoding of IN: equal inputs, equal keys;
 * any field that differs, a different key. */
void build_cache_key(const struct build_key_input *in, char out[65]);

/* sha256 of a regular file's contents, streamed (no size limit); the last
 * component is not followed if it is a link.  With TEXT, *TEXT receives
 * the contents (NUL-terminated, owned) when they are at most
 * BUILD_SOURCE_MAX bytes of UTF-8 without NUL, else NULL. */
int build_sha256_file(const char *path, char out[65], char **text,
		      struct errbuf *e) KAUDIT_MUST_CHECK;

/* Records SHA as the sha256 of cache entry KEY: <cache>/<key>.sha256,
 * written to a temporary name, made 0444 and renamed into place. */
int build_cache_record(const char *cache, const char *key, const char sha[65],
		       struct errbuf *e) KAUDIT_MUST_CHECK;

/* Checks the cached object SO (entry KEY) against its recorded sha256:
 * 1 when it matches (SHA receives it), 0 when the entry must be rebuilt
 * (NOTE says why: changed since it was built, or no record), -1 on an
 * error reading it. */
int build_cache_verify(const char *cache, const char *key, const char *so, char sha[65],
		       char *note, size_t notesz, struct errbuf *e) KAUDIT_MUST_CHECK;

/* Writes TEXT to DIR/NAME atomically, mode 0444; best effort. */
void build_cache_put_text(const char *dir, const char *name, const char *text);

/* Finds the directory holding kaudit/launcher.h: INCLUDE_DIR when given,
 * else beside the executable (<exe>/include, <exe>/../include,
 * <exe>/../../include for build/san/kaudit).  EXIT_ENVIRONMENT if none. */
int build_find_include_dir(const char *include_dir, char *out, size_t outsz,
			   struct errbuf *e) KAUDIT_MUST_CHECK;

#endif
