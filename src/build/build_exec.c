/*
 * build_exec.c - run a program by argv (never a shell), capture its output
 * with a ceiling, kill it after a timeout: the one spawn primitive of
 * src/run/run_spawn.c, in text mode with stderr merged into stdout.
 *
 * The child leads its own process group, so the timeout kills nvcc and the
 * cicc/ptxas/host compiler processes it starts, not only nvcc itself; an
 * exec failure is told apart from a failing nvcc.  A compile runs confined
 * (build.c gives the policy): it can read only what a compile may read.
 */
#include "build/build_private.h"

#include <stdlib.h>
#include <string.h>

#include "run/run.h"

void build_argv_push(struct build_argv *a, const char *s)
{
	/* One slot more for the NULL terminator execvp needs. */
	xgrow((void **)&a->v, &a->cap, a->n + 2, sizeof *a->v);
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

void build_argv_release(struct build_argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

void build_exec_result_release(struct build_exec_result *r)
{
	free(r->output);
	r->output = NULL;
	r->len = 0;
}

int build_exec(char *const argv[], int timeout_s, size_t max_out,
	       struct build_exec_result *r, struct errbuf *e)
{
	return build_exec_confined(argv, timeout_s, max_out, NULL, NULL, r, e);
}

int build_exec_confined(char *const argv[], int timeout_s, size_t max_out,
			const struct sandbox_policy *sandbox, char *const *envp,
			struct build_exec_result *r, struct errbuf *e)
{
	memset(r, 0, sizeof *r);
	struct run_opts o = {
		.argv = argv,
		.timeout_s = timeout_s,
		.case_index = REC_NONE,
		.envp = envp,
		.sandbox = sandbox,
		.process = "nvcc",
		.merge_output = 1,
		.capture_max = max_out ? max_out : 1,
	};
	struct run_result *rr = xcalloc(1, sizeof *rr);
	if (run_worker(&o, rr, e) < 0) {
		free(rr);
		return -1;
	}
	if (rr->status == RUN_SPAWN_FAILED) {
		errbuf_set(e, EXIT_ENVIRONMENT, "cannot run '%s': %s", argv[0], rr->problem);
		run_result_release(rr);
		free(rr);
		return -1;
	}
	r->output = rr->captured ? rr->captured : xstrdup("");
	rr->captured = NULL;
	r->len = rr->captured_len;
	r->truncated = rr->captured_truncated;
	r->timed_out = rr->status == RUN_TIMEOUT;
	if (rr->status == RUN_OK || rr->status == RUN_EXIT) {
		r->exited = 1;
		r->status = rr->exit_code;
	} else if (rr->status == RUN_SIGNAL) {
		r->status = rr->sig;
	}
	free(rr);
	return 0;
}
