/*
 * confine.h - what a process that loads claimant code may see (DESIGN
 * section 10): the sandbox policy of a worker or compiler, the environment
 * it inherits, and its private scratch directory.
 *
 * Read: the system's libraries, the CUDA toolkit and driver, kaudit's own
 * files, the claim's tree and the compiled objects, /proc/self.  Write:
 * the device nodes, /dev/null and the scratch directory, nothing else.
 * The environment keeps what the toolkit and driver need and drops the
 * rest ($KAUDIT_KEY among it).
 */
#ifndef KAUDIT_CONFINE_H
#define KAUDIT_CONFINE_H

#include <limits.h>
#include <stddef.h>

#include "run/sandbox.h"

#define RUN_CONFINE_MAX 64

struct run_confine {
	char store[RUN_CONFINE_MAX][PATH_MAX];
	int is_write[RUN_CONFINE_MAX];
	size_t n;
	const char *read[RUN_CONFINE_MAX], *write[RUN_CONFINE_MAX];
	size_t nread, nwrite;
	struct sandbox_policy policy;
};

/* The base policy: system, toolkit, kaudit, the claim's directory
 * CLAIM_DIR (read) and SCRATCH (write). */
void run_confine_init(struct run_confine *c, const char *claim_dir, const char *scratch);
/* Also readable: PATH, or the directory holding FILE (a compiled object). */
void run_confine_read(struct run_confine *c, const char *path);
void run_confine_read_dir_of(struct run_confine *c, const char *file);
/* Also writable: beneath PATH. */
void run_confine_write(struct run_confine *c, const char *path);
/* The policy for the spawn primitive (points into C). */
const struct sandbox_policy *run_confine_policy(struct run_confine *c);
/* Nonzero when PATH (resolved) lies in anything C lets the process read:
 * the signing key must not. */
int run_confine_exposes(const struct run_confine *c, const char *path);

/* The environment of a confined process (owned; run_confine_env_free). */
char **run_confine_env(const char *scratch);
void run_confine_env_free(char **env);

/* mkdtemp under $TMPDIR or /tmp into OUT. */
int run_scratch_make(char *out, size_t cap, struct errbuf *e) KAUDIT_MUST_CHECK;
/* Removes DIR and everything in it, never following a symlink. */
void run_scratch_remove(const char *dir);

#endif
