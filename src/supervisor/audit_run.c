/*
 * audit_run.c - one audit, supervisor side (audit_run.h).
 *
 * The supervisor never touches CUDA and holds the signing key; every step
 * that loads claimant code or touches the GPU runs in a fresh worker
 * (`kaudit __worker`, exec'd and confined before its first instruction, so
 * it inherits neither the key, nor the trace's descriptor, nor a writable
 * view of the claim).  A worker that crashes, hangs, talks nonsense or
 * breaks its plan costs its case an `error` verdict, not the audit.
 * Ctrl-C stops the current worker, skips the remaining cases (each gets an
 * "interrupted" error record) and still writes and signs the trace of what
 * finished.
 */
#include "supervisor/audit_run_private.h"
#include "util/outfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "util/rng.h"
#include "detect/detect.h"
#include "run/confine.h"
#include "run/run.h"
#include "run/run_check.h"
#include "run/wire.h"
#include "run/pyworker.h"

/* Probing a device takes seconds even on a big node; a minute means hung. */
#define PROBE_TIMEOUT_S 60.0
#define ENV_TIMEOUT_S 300.0
#define CHECK_ENTRY_TIMEOUT_S 60.0
/* Importing a Python implementation may compile (load_inline, Triton). */
#define PY_BUILD_TIMEOUT_S 900.0

/* $KAUDIT_SANDBOX=off: run workers unconfined (to tell a sandbox problem
 * from a CUDA one on a new machine).  Every sandbox record then says so
 * and every case carries `sandbox-degraded`. */
static int sandbox_disabled(void)
{
	const char *s = getenv("KAUDIT_SANDBOX");
	return s && strcmp(s, "off") == 0;
}

/* A confined run of PROG's worker of mode M with PLAN on stdin. */
struct confined {
	char scratch[PATH_MAX];
	struct run_confine confine;
	char **env;
	char *plan;
	size_t plan_len;
	char *argv[6];
};

static int confined_init(struct confined *c, const char *prog, enum run_mode m,
			 const struct run_plan *plan, const char *claim_dir, struct errbuf *e)
{
	memset(c, 0, sizeof *c);
	if (run_scratch_make(c->scratch, sizeof c->scratch, e) < 0)
		return -1;
	run_confine_init(&c->confine, claim_dir, c->scratch);
	run_confine_read_dir_of(&c->confine, prog); /* $KAUDIT_WORKER may live elsewhere */
	c->env = run_confine_env(c->scratch);
	c->plan = run_plan_encode(plan, &c->plan_len);
	run_worker_argv(prog, m, c->argv);
	return 0;
}

/* The same for a Python worker: the interpreter running the bridge, its
 * installation readable, the poisoning preload and private caches. */
static int confined_init_py(struct confined *c, const struct run_audit *a, enum run_mode m,
			    const struct run_plan *plan, const char *ext, struct errbuf *e)
{
	if (confined_init(c, a->prog, m, plan, a->claim ? a->claim->dir : a->py_dir, e) < 0)
		return -1;
	run_py_argv(a->py->python, a->py, m, c->argv);
	c->env = run_py_env(c->env, a->py, c->scratch, ext);
	if (ext)
		run_confine_write(&c->confine, ext);
	if (a->py->tree[0])
		run_confine_read(&c->confine, a->py->tree);
	run_confine_read_dir_of(&c->confine, a->py->bridge);
	run_confine_read_dir_of(&c->confine, a->py->lib);
	run_confine_read_dir_of(&c->confine, a->py->poison);
	return 0;
}

static void confined_opts(struct confined *c, struct run_opts *ro, const char *process)
{
	ro->argv = c->argv;
	ro->input = c->plan;
	ro->input_len = c->plan_len;
	ro->envp = c->env;
	ro->sandbox = sandbox_disabled() ? NULL : run_confine_policy(&c->confine);
	ro->process = process;
}

static void confined_release(struct confined *c)
{
	run_scratch_remove(c->scratch);
	run_confine_env_free(c->env);
	free(c->plan);
}

/* The report written in place of the sandbox's when it was switched off. */
static void disabled_report(struct sandbox_report *r)
{
	memset(r, 0, sizeof *r);
	for (int l = 0; l < SANDBOX_NLAYERS; l++)
		snprintf(r->why[l], sizeof r->why[l], "disabled by $KAUDIT_SANDBOX=off");
}

/* The sandbox report of a check worker's run R into *REP. */
static void worker_report(const struct run_result *r, struct sandbox_report *rep)
{
	if (r->sandboxed)
		*rep = r->sandbox;
	else
		disabled_report(rep);
}

int run_probe(const char *prog, volatile sig_atomic_t *stop, struct errbuf *e)
{
	struct run_plan plan = { .mode = RUN_MODE_PROBE, .case_index = REC_NONE };
	struct confined c;
	if (confined_init(&c, prog, RUN_MODE_PROBE, &plan, NULL, e) < 0)
		return -1;
	struct run_opts ro = { .timeout_s = PROBE_TIMEOUT_S, .case_index = REC_NONE,
			       .stop = stop };
	confined_opts(&c, &ro, "probe");
	struct run_result *r = xcalloc(1, sizeof *r);
	char why[ERRBUF_LEN + 64];
	int rc = 0;
	if (run_worker(&ro, r, e) < 0) {
		char msg[ERRBUF_LEN];
		snprintf(msg, sizeof msg, "%s", e->msg);
		rc = errbuf_set(e, EXIT_ENVIRONMENT, "cannot probe the GPU: %s", msg);
	} else if (r->status == RUN_EXIT && r->exit_code == EXIT_ENVIRONMENT &&
		   (run_tail_last_line(&r->err, why, sizeof why), why[0])) {
		/* The worker's contract: one clear line saying what it looked
		 * for.  It is kaudit too: don't say "kaudit:" twice. */
		const char *w = strncmp(why, "kaudit: ", 8) == 0 ? why + 8 : why;
		rc = errbuf_set(e, EXIT_ENVIRONMENT, "%s", w);
	} else if (r->status != RUN_OK) {
		if (r->status == RUN_SPAWN_FAILED)
			snprintf(why, sizeof why, "%s", r->problem);
		else
			run_result_describe(r, why, sizeof why);
		rc = errbuf_set(e, EXIT_ENVIRONMENT,
				"no usable CUDA device: probing it failed (%s); 'kaudit check' "
				"re-checks stored traces without a GPU", why);
	}
	free(r);
	confined_release(&c);
	return rc;
}

int run_check_entry(const char *prog, const char *claim_dir, const char *so,
		    const char *entry, struct errbuf *e)
{
	return run_check_entry_sandboxed(prog, claim_dir, so, entry, NULL, NULL, e);
}

int run_check_entry_sandboxed(const char *prog, const char *claim_dir, const char *so,
			      const char *entry, struct sandbox_report *rep, int *reported,
			      struct errbuf *e)
{
	if (!entry || !*entry)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: no entry point named", so);
	char real[PATH_MAX];
	if (!realpath(so, real))
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", so, strerror(errno));
	struct run_plan plan = { .mode = RUN_MODE_ENTRY_CHECK, .case_index = REC_NONE,
				 .so = real, .entry = (char *)entry };
	struct confined c;
	if (confined_init(&c, prog, RUN_MODE_ENTRY_CHECK, &plan, claim_dir, e) < 0)
		return -1;
	run_confine_read_dir_of(&c.confine, real);
	struct run_opts ro = { .timeout_s = CHECK_ENTRY_TIMEOUT_S, .case_index = REC_NONE };
	confined_opts(&c, &ro, "entry-check");
	struct run_result *r = xcalloc(1, sizeof *r);
	int rc = 0;
	if (run_worker(&ro, r, e) < 0) {
		rc = -1;
	} else if (r->status == RUN_EXIT && (r->exit_code == EXIT_BAD_INPUT ||
					     r->exit_code == EXIT_ENVIRONMENT)) {
		char why[ERRBUF_LEN];
		run_tail_last_line(&r->err, why, sizeof why);
		rc = errbuf_set(e, r->exit_code, "%s",
				strncmp(why, "kaudit: ", 8) == 0 ? why + 8 : why);
	} else if (r->status == RUN_TIMEOUT) {
		rc = errbuf_set(e, EXIT_BAD_INPUT, "%s: loading did not finish within %.0f s", so,
				CHECK_ENTRY_TIMEOUT_S);
	} else if (r->status == RUN_SIGNAL) {
		rc = errbuf_set(e, EXIT_BAD_INPUT, "loading '%s' crashed (%s)", so,
				run_signal_name(r->sig));
	} else if (r->status != RUN_OK) {
		char why[ERRBUF_LEN + 300];
		run_result_describe(r, why, sizeof why);
		rc = errbuf_set(e, r->status == RUN_SPAWN_FAILED ? EXIT_ENVIRONMENT : EXIT_BAD_INPUT,
				"cannot check '%s': %s", so, why);
	}
	if (rep && reported) {
		*reported = 1;
		worker_report(r, rep);
	}
	free(r);
	confined_release(&c);
	return rc;
}

/* `--check-entry` of a Python implementation with interpreter A->py->python:
 * imports the file, resolves the entry; its answer (versions, inline
 * sources) becomes the build log. */
static int check_python_with(struct run_audit *a, const struct claim_impl *impl,
			     const char *ext, struct build_result *br, struct sandbox_report *rep,
			     int *reported, struct errbuf *e)
{
	char key[PATH_MAX];
	if (a->key_path && a->py->tree[0] && realpath(a->key_path, key) &&
	    path_within(key, a->py->tree))
		return errbuf_set(e, EXIT_BAD_INPUT, "the signing key %s lies in the Python "
				  "interpreter's tree %s, which its workers may read: move it",
				  a->key_path, a->py->tree);
	char so[PATH_MAX + 16];
	snprintf(so, sizeof so, "%s%s", RUN_PY_PREFIX, impl->path);
	struct run_plan plan = { .mode = RUN_MODE_ENTRY_CHECK, .case_index = REC_NONE,
				 .so = so, .entry = impl->entry };
	struct confined c;
	if (confined_init_py(&c, a, RUN_MODE_ENTRY_CHECK, &plan, ext, e) < 0)
		return -1;
	/* Import-time compilation (load_inline, Triton) happens here: a
	 * build's time, not a case's. */
	struct run_opts ro = { .timeout_s = PY_BUILD_TIMEOUT_S, .case_index = REC_NONE };
	confined_opts(&c, &ro, "entry-check");
	struct run_result *r = xcalloc(1, sizeof *r);
	int rc = 0;
	if (run_worker(&ro, r, e) < 0) {
		rc = -1;
	} else if (r->status == RUN_OK) {
		free(br->log);
		br->log = xstrdup(r->out.buf);
	} else if (r->status == RUN_EXIT && (r->exit_code == EXIT_BAD_INPUT ||
					     r->exit_code == EXIT_ENVIRONMENT)) {
		char why[ERRBUF_LEN];
		run_tail_last_line(&r->err, why, sizeof why);
		rc = errbuf_set(e, r->exit_code, "%s",
				strncmp(why, "kaudit: ", 8) == 0 ? why + 8 : why);
		free(br->log);
		br->log = xstrdup(r->err.buf);
	} else if (r->status == RUN_SPAWN_FAILED) {
		rc = errbuf_set(e, EXIT_ENVIRONMENT, "cannot start the Python interpreter '%s': %s",
				a->py->python, r->problem);
	} else {
		char why[ERRBUF_LEN + 300];
		run_result_describe(r, why, sizeof why);
		rc = errbuf_set(e, EXIT_BAD_INPUT, "importing '%s' failed: %s", impl->source, why);
		free(br->log);
		br->log = xstrdup(r->err.buf);
	}
	*reported = 1;
	worker_report(r, rep);
	free(r);
	confined_release(&c);
	return rc;
}

/* The interpreter: --python, $KAUDIT_PYTHON, or the first of python3 on
 * PATH and /usr/bin/python3 that has torch, into A->py (already located). */
static void choose_python(struct run_audit *a, const char *try)
{
	const char *env = getenv("KAUDIT_PYTHON");
	const char *given = a->python ? a->python : env && *env ? env : try;
	snprintf(a->py->python, sizeof a->py->python, "%s", given);
	run_py_interpreter_tree(a->py->python, a->py->tree, sizeof a->py->tree);
}

int run_py_describe(const char *prog, const char *python, const char *dir, const char *problem,
		    char **json, struct errbuf *e)
{
	struct run_audit a;
	memset(&a, 0, sizeof a);
	a.prog = prog;
	a.python = python;
	a.py_dir = dir;
	a.py = xcalloc(1, sizeof *a.py);
	*json = NULL;
	int rc = run_py_locate(a.py, e);
	static const char *const tries[] = { "python3", "/usr/bin/python3" };
	for (size_t t = 0; rc == 0 && t < 2; t++) {
		choose_python(&a, tries[t]);
		char so[PATH_MAX + 16];
		snprintf(so, sizeof so, "%s%s", RUN_PY_DESCRIBE_PREFIX, problem);
		struct run_plan plan = { .mode = RUN_MODE_ENTRY_CHECK, .case_index = REC_NONE,
					 .so = so, .entry = "Model" };
		struct confined c;
		if (confined_init_py(&c, &a, RUN_MODE_ENTRY_CHECK, &plan, NULL, e) < 0) {
			rc = -1;
			break;
		}
		struct run_opts ro = { .timeout_s = PY_BUILD_TIMEOUT_S, .case_index = REC_NONE };
		confined_opts(&c, &ro, "describe");
		struct run_result *r = xcalloc(1, sizeof *r);
		rc = run_worker(&ro, r, e);
		if (rc == 0 && r->status == RUN_OK) {
			*json = xstrdup(r->out.buf);
		} else if (rc == 0) {
			char why[ERRBUF_LEN];
			run_tail_last_line(&r->err, why, sizeof why);
			if (r->status == RUN_EXIT && why[0])
				rc = errbuf_set(e, r->exit_code == EXIT_ENVIRONMENT ? EXIT_ENVIRONMENT
										     : EXIT_BAD_INPUT, "%s",
						strncmp(why, "kaudit: ", 8) == 0 ? why + 8 : why);
			else if (r->status == RUN_SPAWN_FAILED)
				rc = errbuf_set(e, EXIT_ENVIRONMENT, "cannot start the Python "
						"interpreter '%s': %s", a.py->python, r->problem);
			else {
				char d[ERRBUF_LEN + 300];
				run_result_describe(r, d, sizeof d);
				rc = errbuf_set(e, EXIT_BAD_INPUT, "running %s failed: %s", problem, d);
			}
		}
		free(r);
		confined_release(&c);
		if (rc == 0 || e->code != EXIT_ENVIRONMENT || a.python || getenv("KAUDIT_PYTHON"))
			break;
	}
	free(a.py);
	return rc;
}

/* The interpreter: --python, $KAUDIT_PYTHON, or the first of python3 on
 * PATH and /usr/bin/python3 that has torch (the first check decides). */
static int check_python(struct run_audit *a, const struct claim_impl *impl, const char *ext,
			struct build_result *br, struct sandbox_report *rep, int *reported,
			struct errbuf *e)
{
	const char *env = getenv("KAUDIT_PYTHON");
	const char *given = a->python ? a->python : env && *env ? env : NULL;
	if (given || a->py->python[0]) {
		if (!a->py->python[0])
			snprintf(a->py->python, sizeof a->py->python, "%s", given);
		run_py_interpreter_tree(a->py->python, a->py->tree, sizeof a->py->tree);
		return check_python_with(a, impl, ext, br, rep, reported, e);
	}
	static const char *const tries[] = { "python3", "/usr/bin/python3" };
	int rc = -1;
	for (size_t i = 0; i < 2; i++) {
		snprintf(a->py->python, sizeof a->py->python, "%s", tries[i]);
		run_py_interpreter_tree(a->py->python, a->py->tree, sizeof a->py->tree);
		rc = check_python_with(a, impl, ext, br, rep, reported, e);
		if (rc == 0 || e->code != EXIT_ENVIRONMENT)
			return rc;
	}
	return rc;
}

/* The build of one Python side: its files, then the confined import. */
static int build_python(struct run_audit *a, size_t k, const struct claim_impl *impl,
			struct run_built *b, int side, struct errbuf *e)
{
	if (!a->py) {
		a->py = xcalloc(1, sizeof *a->py);
		if (run_py_locate(a->py, e) < 0)
			return -1;
	}
	char work[PATH_MAX], store[PATH_MAX];
	if (run_py_ext_dir(a->py, k, side, store, sizeof store, e) < 0 ||
	    run_py_ext_work(a->py, work, sizeof work, e) < 0 ||
	    run_py_build(a->claim, impl, &b->res[side], e) < 0)
		return -1;
	int rc = check_python(a, impl, work, &b->res[side], &b->check_sandbox[side],
			      &b->checked[side], e);
	struct errbuf ke = { "", 0 };
	if (rc == 0 && run_py_ext_keep(work, store, &ke) < 0)
		rc = errbuf_set(e, ke.code, "%s", ke.msg);
	return rc;
}

int run_audit_load(struct run_audit *a, const char *path, struct errbuf *e)
{
	if (claim_load(path, &a->claim, e) < 0)
		return -1;
	a->cases = claim_cases(a->claim, &a->ncases);
	a->selected = xcalloc(a->ncases ? a->ncases : 1, sizeof *a->selected);
	a->nselected = 0;
	size_t of_kernel = 0;
	for (size_t i = 0; i < a->ncases; i++) {
		int k = !a->kernel || strcmp(a->kernel, a->cases[i].kernel->id) == 0;
		/* The shard by case index alone: the same manifest is cut the
		 * same way on every machine (kaudit(1), --shard). */
		int in = a->shard_count <= 0 || (int64_t)i % a->shard_count == a->shard_index;
		of_kernel += (size_t)k;
		a->selected[i] = k && in;
		a->nselected += (size_t)a->selected[i];
	}
	if (of_kernel == 0)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: no kernel '%s'", path,
				  a->kernel ? a->kernel : "");
	if (a->nselected == 0)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: shard %lld/%lld selects none of its %zu "
				  "case%s%s%s (a shard holds the cases whose index mod %lld is "
				  "%lld): use fewer shards", path, (long long)a->shard_index,
				  (long long)a->shard_count, of_kernel, of_kernel == 1 ? "" : "s",
				  a->kernel ? " of kernel " : "", a->kernel ? a->kernel : "",
				  (long long)a->shard_count, (long long)a->shard_index);
	return 0;
}

static int kernel_selected(const struct run_audit *a, size_t k)
{
	return !a->kernel || strcmp(a->kernel, a->claim->kernels[k].id) == 0;
}

static void note(const struct run_audit *a, const char *fmt, const char *x, const char *y)
{
	char msg[ERRBUF_LEN * 2];
	snprintf(msg, sizeof msg, fmt, x, y);
	if (a->note)
		a->note(msg);
}

/* Builds every selected kernel and checks each entry in a confined worker.
 * -1: an environment failure (no nvcc) that ends the audit, message in E. */
static int build_all(struct run_audit *a, struct errbuf *e)
{
	const struct claim *c = a->claim;
	struct build_opts bo = { NULL, NULL, 0 };
	for (size_t k = 0; k < c->nkernels; k++) {
		if (!kernel_selected(a, k))
			continue;
		struct run_built *b = &a->built[k];
		for (int side = 0; side < 2 && !(a->stop && *a->stop); side++) {
			const struct claim_impl *impl = run_side_impl(&c->kernels[k], side);
			struct errbuf be = { "", 0 };
			memset(&b->res[side], 0, sizeof b->res[side]);
			if (impl->python) {
				if (build_python(a, k, impl, b, side, &be) < 0) {
					/* No interpreter with torch, no bridge: the
					 * machine's problem, for every Python side. */
					if (be.code == EXIT_ENVIRONMENT)
						return errbuf_set(e, EXIT_ENVIRONMENT, "%s", be.msg);
					snprintf(b->err[side], sizeof b->err[side], "%s", be.msg);
					continue;
				}
				b->ok[side] = 1;
				continue;
			}
			if (build_impl(c, impl, &bo, &b->res[side], &be) < 0) {
				if (be.code == EXIT_ENVIRONMENT)
					return errbuf_set(e, EXIT_ENVIRONMENT, "%s", be.msg);
				snprintf(b->err[side], sizeof b->err[side], "%s", be.msg);
				continue;
			}
			if (b->res[side].note[0])
				note(a, "%s: %s", impl->source, b->res[side].note);
			if (run_check_entry_sandboxed(a->prog, c->dir, b->res[side].so_path,
						      impl->entry, &b->check_sandbox[side],
						      &b->checked[side], &be) < 0) {
				if (be.code == EXIT_ENVIRONMENT && !b->checked[side])
					return errbuf_set(e, EXIT_ENVIRONMENT, "%s", be.msg);
				snprintf(b->err[side], sizeof b->err[side], "%s", be.msg);
				continue;
			}
			b->ok[side] = 1;
		}
	}
	return 0;
}

static int write_builds(struct run_audit *a)
{
	const struct claim *c = a->claim;
	for (size_t k = 0; k < c->nkernels; k++) {
		if (!kernel_selected(a, k))
			continue;
		const struct run_built *b = &a->built[k];
		for (int side = 0; side < 2; side++) {
			const struct claim_impl *impl = run_side_impl(&c->kernels[k], side);
			const struct build_result *br = &b->res[side];
			struct record r;
			record_init(&r, REC_BUILD);
			r.phase = PHASE_SETUP;
			r.impl = side ? IMPL_CANDIDATE : IMPL_BASELINE;
			r.u.build.kernel = xstrdup(c->kernels[k].id);
			r.u.build.source = xstrdup(impl->source);
			if (br->source_sha256[0])
				r.u.build.sha256 = xstrdup(br->source_sha256);
			if (b->ok[side] && br->so_sha256[0])
				r.u.build.so_sha256 = xstrdup(br->so_sha256);
			r.u.build.flags = json_array();
			for (size_t f = 0; f < impl->nflags; f++)
				json_array_append_new(r.u.build.flags, json_string(impl->flags[f]));
			if (br->nvcc_version[0])
				r.u.build.nvcc = xstrdup(br->nvcc_version);
			if (br->arch[0])
				r.u.build.arch = xstrdup(br->arch);
			r.u.build.cached = br->cached ? 1 : 0;
			r.u.build.ok = b->ok[side];
			if (br->log && br->log[0])
				r.u.build.log = xstrdup(br->log);
			else if (!b->ok[side] && b->err[side][0])
				r.u.build.log = xstrdup(b->err[side]);
			if (run_audit_write(a, &r) < 0)
				return -1;
			if (b->checked[side]) {
				struct record s;
				sandbox_report_record(&b->check_sandbox[side], "entry-check", REC_NONE,
						      &s);
				s.impl = r.impl;
				if (run_audit_write(a, &s) < 0)
					return -1;
			}
		}
	}
	return 0;
}

static int admit(void *ctx, const struct record *r, struct errbuf *e)
{
	return run_check_record(ctx, r, e);
}

/* `__worker --environment`: the device record, from a worker that loads no
 * claimant code.  -1 with E on failure. */
static int environment(struct run_audit *a, struct errbuf *e)
{
	struct run_plan plan = { .mode = RUN_MODE_ENVIRONMENT, .case_index = REC_NONE };
	struct confined c;
	if (confined_init(&c, a->prog, RUN_MODE_ENVIRONMENT, &plan, NULL, e) < 0)
		return -1;
	struct run_check chk;
	run_check_init(&chk, RUN_MODE_ENVIRONMENT, REC_NONE, NULL);
	struct record_sink sink = { run_audit_sink_emit, a };
	struct run_opts ro = { .timeout_s = ENV_TIMEOUT_S, .sink = &sink,
			       .case_index = REC_NONE, .stop = a->stop, .admit = admit,
			       .admit_ctx = &chk };
	confined_opts(&c, &ro, "environment");
	struct run_result *r = xcalloc(1, sizeof *r);
	int rc = run_worker(&ro, r, e);
	struct errbuf fe = { "", 0 };
	if (rc == 0 && r->status == RUN_OK && run_check_finish(&chk, &fe) < 0)
		rc = errbuf_set(e, EXIT_ENVIRONMENT, "cannot describe the GPU: %s", fe.msg);
	else if (rc == 0 && r->status != RUN_OK && r->status != RUN_INTERRUPTED) {
		char why[ERRBUF_LEN + 300];
		run_result_describe(r, why, sizeof why);
		rc = errbuf_set(e, EXIT_ENVIRONMENT, "cannot describe the GPU: %s", why);
	}
	run_check_release(&chk);
	free(r);
	confined_release(&c);
	return rc;
}

static void progress(size_t i, size_t n, const struct claim_case *cc)
{
	char params[96];
	const struct claim_params *p = &cc->kernel->params[cc->param_index];
	size_t len = 0;
	params[0] = '\0';
	for (size_t k = 0; k < p->n && len < sizeof params; k++)
		len += (size_t)snprintf(params + len, sizeof params - len, "%s%s:%lld",
					k ? ", " : "", p->names[k], (long long)p->values[k]);
	/* Numbered from 0 as in the trace, lint and inspect. */
	fprintf(stderr, "\r\033[Kcase %zu %s {%s} (%zu of %zu) ...", i, cc->kernel->id, params,
		i + 1, n);
	fflush(stderr);
}

/* The case record, written by the supervisor from its own manifest before
 * any worker runs; a fallback without buffers if the manifest's shapes do
 * not evaluate (the loader makes that unlikely). */
static int write_case(struct run_audit *a, size_t i, uint64_t seed, char (*inputs_sha)[65])
{
	const struct claim_case *cc = &a->cases[i];
	struct record c;
	struct errbuf e = { "", 0 };
	if (audit_case_record(cc->kernel, &cc->kernel->params[cc->param_index], (int64_t)i,
			      seed, &c, &e) == 0) {
		/* The digest of every get_inputs buffer's bytes over all its
		 * input sets: the supervisor's fact, from the file it checked. */
		json_t *b;
		size_t j;
		json_array_foreach(c.u.kase.buffers, j, b)
			if (inputs_sha && j < cc->kernel->nbuffers && inputs_sha[j][0])
				json_object_set_new(b, "sha256", json_string(inputs_sha[j]));
	} else {
		record_init(&c, REC_CASE);
		c.case_index = (int64_t)i;
		c.phase = PHASE_SETUP;
		c.u.kase.kernel = xstrdup(cc->kernel->id);
		c.u.kase.seed = (int64_t)seed;
		c.u.kase.claimed = cc->kernel->claimed_speedup;
	}
	return run_audit_write(a, &c);
}

static int case_error(struct run_audit *a, size_t i, const char *where, const char *msg)
{
	struct record err;
	run_error_record((int64_t)i, where, msg, &err);
	return run_audit_write(a, &err);
}

/* The object about to be loaded must still be the one built: the cache is
 * not the workers' to write, but it is a file on a disk. */
static int object_unchanged(const struct run_built *b, int side, char *why, size_t cap);

/* Both sides of case CC still load what was built: the compiled object,
 * or the .py and init_inputs files (with a degraded sandbox an earlier
 * case could rewrite the problem file its get_inputs() comes from).
 * Checked before anything of the case runs, the inputs' interpreter
 * included. */
static int sides_unchanged(const struct claim_case *cc, const struct run_built *kb, char *why,
			   size_t cap)
{
	for (int side = 0; side < 2; side++) {
		const struct claim_impl *im = run_side_impl(cc->kernel, side);
		if (im->python ? !run_py_unchanged(im, &kb->res[side], why, cap)
			       : !object_unchanged(kb, side, why, cap))
			return 0;
	}
	return 1;
}

static int object_unchanged(const struct run_built *b, int side, char *why, size_t cap)
{
	char sha[65];
	struct errbuf e = { "", 0 };
	const struct build_result *br = &b->res[side];
	if (build_rehash(br, sha, &e) < 0) {
		snprintf(why, cap, "%s", e.msg);
		return 0;
	}
	if (strcmp(sha, br->so_sha256) != 0) {
		snprintf(why, cap, "the compiled %s changed after it was built (sha256 %.12s, "
			 "built %.12s)", side ? "candidate" : "baseline", sha, br->so_sha256);
		return 0;
	}
	return 1;
}

/* Case I after its case record: the failures found before the worker
 * (INPUTS_FAILED: making its inputs), else case I in a confined worker,
 * INPUTS_DIR (when set) readable to it; its records stream into the
 * trace, each admitted by the plan check. */
static int run_case_worker(struct run_audit *a, size_t i, struct run_plan *plan,
			   const struct run_built *kb, const char *inputs_failed,
			   const char *inputs_dir)
{
	const struct claim_case *cc = &a->cases[i];
	if (a->stop && *a->stop) {
		a->not_run++;
		return case_error(a, i, "interrupted", "interrupted before the case could run");
	}
	if (!kb->ok[0] || !kb->ok[1]) {
		char msg[2 * ERRBUF_LEN + 64];
		int side = kb->ok[0] ? 1 : 0;
		snprintf(msg, sizeof msg, "%s '%s' did not build: %s", side ? "candidate" : "baseline",
			 run_side_impl(cc->kernel, side)->source, kb->err[side]);
		return case_error(a, i, "build", msg);
	}
	if (inputs_failed) {
		char msg[ERRBUF_LEN + 400];
		snprintf(msg, sizeof msg, "get_inputs() of %s: %s", cc->kernel->inputs_source,
			 inputs_failed);
		return case_error(a, i, "inputs", msg);
	}
	int python = cc->kernel->baseline.python || cc->kernel->candidate.python;
	struct errbuf e = { "", 0 };
	struct confined c;
	/* What each Python side's build compiled, copied into the working
	 * extension directory (baseline first): the case imports without
	 * compiling again. */
	char work[PATH_MAX] = "";
	for (int side = 0; python && side < 2; side++) {
		char built[PATH_MAX];
		if ((!work[0] && run_py_ext_work(a->py, work, sizeof work, &e) < 0) ||
		    (run_side_impl(cc->kernel, side)->python &&
		     (run_py_ext_dir(a->py, cc->kernel_index, side, built, sizeof built, &e) < 0 ||
		      run_py_ext_seed(built, work, &e) < 0)))
			return case_error(a, i, "setup", e.msg);
	}
	if ((python ? confined_init_py(&c, a, RUN_MODE_CASE, plan, work, &e)
		    : confined_init(&c, a->prog, RUN_MODE_CASE, plan, a->claim->dir, &e)) < 0)
		return case_error(a, i, "setup", e.msg);
	for (int side = 0; side < 2; side++)
		if (!run_side_impl(cc->kernel, side)->python)
			run_confine_read_dir_of(&c.confine, kb->res[side].so_path);
	/* Read, never write: the inputs are the generator's, digested. */
	if (inputs_dir)
		run_confine_read(&c.confine, inputs_dir);

	struct run_check chk;
	run_check_init(&chk, RUN_MODE_CASE, (int64_t)i, &plan->opts);
	struct record_sink sink = { run_audit_sink_emit, a };
	struct run_opts ro = { .timeout_s = a->timeout_s, .sink = &sink,
			       .case_index = (int64_t)i, .stop = a->stop, .admit = admit,
			       .admit_ctx = &chk };
	confined_opts(&c, &ro, "worker");
	if (!ro.sandbox) {
		struct sandbox_report off;
		struct record s;
		disabled_report(&off);
		sandbox_report_record(&off, "worker", (int64_t)i, &s);
		if (run_audit_write(a, &s) < 0) {
			confined_release(&c);
			run_check_release(&chk);
			return -1;
		}
	}
	struct run_result *r = xcalloc(1, sizeof *r);
	int rc = run_worker(&ro, r, &e);
	confined_release(&c);
	if (work[0])
		run_scratch_remove(work);
	if (rc < 0 || a->write_failed) {
		if (!a->write_failed) {
			a->werr = e; /* the supervisor itself failed: end the audit */
			a->write_failed = 1;
		}
		run_check_release(&chk);
		free(r);
		return -1;
	}
	if (r->status == RUN_INTERRUPTED)
		a->not_run++;
	struct record err;
	int have_err = 0;
	struct errbuf fe = { "", 0 };
	if (r->status == RUN_OK && run_check_finish(&chk, &fe) < 0) {
		/* Exit 0 with less than the plan promises: never a verdict. */
		run_error_record((int64_t)i, "plan", fe.msg, &err);
		have_err = 1;
	} else if (r->status != RUN_OK && !(r->status == RUN_EXIT && r->worker_errors > 0)) {
		/* A worker that failed in a controlled way already said why in
		 * its own error record; an uncontrolled end gets the
		 * supervisor's. */
		have_err = run_result_error(r, (int64_t)i, &err) == 0;
	}
	run_check_release(&chk);
	free(r);
	return have_err ? run_audit_write(a, &err) : 0;
}

/* The --inputs worker of case I: a fresh confined interpreter imports the
 * problem file only and writes every input set's get_inputs() into
 * DIR/inputs.bin (DIR: a scratch directory of the supervisor's, which that
 * worker alone may write); the file is checked and digested into SHA.
 * -1 with WHY when it failed (the case's error), after writing the
 * generator's sandbox record. */
static int make_inputs(struct run_audit *a, size_t i, const struct run_plan *cp, char *dir,
		       size_t cap, char *path, size_t pcap, char (*sha)[65], char *why, size_t wcap)
{
	const struct claim_case *cc = &a->cases[i];
	struct errbuf e = { "", 0 };
	if (run_scratch_make(dir, cap, &e) < 0) {
		snprintf(why, wcap, "%s", e.msg);
		return -1;
	}
	snprintf(path, pcap, "%s/inputs.bin", dir);
	struct run_plan plan = *cp;
	plan.mode = RUN_MODE_INPUTS;
	plan.inputs_path = path;
	struct confined c;
	if (confined_init_py(&c, a, RUN_MODE_INPUTS, &plan, NULL, &e) < 0) {
		snprintf(why, wcap, "%s", e.msg);
		return -1;
	}
	run_confine_write(&c.confine, dir);
	/* Making a case's inputs is part of the case: its timeout. */
	struct run_opts ro = { .timeout_s = a->timeout_s > 0 ? a->timeout_s : PY_BUILD_TIMEOUT_S,
			       .case_index = REC_NONE, .stop = a->stop };
	confined_opts(&c, &ro, "get_inputs");
	struct run_result *r = xcalloc(1, sizeof *r);
	int rc = run_worker(&ro, r, &e);
	confined_release(&c);
	if (rc < 0) {
		snprintf(why, wcap, "%s", e.msg);
		free(r);
		return -1;
	}
	struct sandbox_report rep;
	struct record s;
	worker_report(r, &rep);
	sandbox_report_record(&rep, "get_inputs", (int64_t)i, &s);
	if (run_audit_write(a, &s) < 0) {
		free(r);
		snprintf(why, wcap, "cannot write the trace");
		return -1;
	}
	if (r->status != RUN_OK) {
		char line[ERRBUF_LEN];
		run_tail_last_line(&r->err, line, sizeof line);
		if (r->status == RUN_EXIT && line[0])
			snprintf(why, wcap, "%s", strncmp(line, "kaudit: ", 8) == 0 ? line + 8 : line);
		else
			run_result_describe(r, why, wcap);
		free(r);
		return -1;
	}
	free(r);
	if (run_py_inputs_digest(path, cc->kernel, &cc->kernel->params[cc->param_index],
				 &cp->opts, sha, &e) < 0) {
		snprintf(why, wcap, "%s", e.msg);
		return -1;
	}
	return 0;
}

static int run_case(struct run_audit *a, size_t i, uint64_t seed)
{
	const struct claim_case *cc = &a->cases[i];
	const struct run_built *kb = &a->built[cc->kernel_index];
	int stopped = a->stop && *a->stop;
	int built = kb->ok[0] && kb->ok[1];
	char changed[ERRBUF_LEN] = "";
	if (built && !stopped && !sides_unchanged(cc, kb, changed, sizeof changed))
		built = 0;
	int needs_inputs = cc->kernel->inputs_path != NULL && built && !stopped;
	char inputs_dir[PATH_MAX] = "", inputs_why[ERRBUF_LEN + 320] = "";
	char (*inputs_sha)[65] = NULL;
	char inputs_file[PATH_MAX + 16] = "";
	int inputs_failed = 0;
	struct run_plan plan = {
		.mode = RUN_MODE_CASE,
		.manifest_path = a->claim->path,
		.manifest_text = a->claim->text,
		.manifest_len = a->claim->text_len,
		.case_index = (int64_t)i,
		.baseline_so = cc->kernel->baseline.python ? RUN_PY_PREFIX "baseline"
							    : (char *)kb->res[0].so_path,
		.candidate_so = cc->kernel->candidate.python ? RUN_PY_PREFIX "candidate"
							      : (char *)kb->res[1].so_path,
	};
	audit_opts_init(&plan.opts, seed, a->quick);
	if (needs_inputs) {
		inputs_sha = xcalloc(cc->kernel->nbuffers, sizeof *inputs_sha);
		if (make_inputs(a, i, &plan, inputs_dir, sizeof inputs_dir, inputs_file,
				sizeof inputs_file, inputs_sha, inputs_why, sizeof inputs_why) < 0)
			inputs_failed = 1;
		if (a->write_failed) {
			free(inputs_sha);
			if (inputs_dir[0])
				run_scratch_remove(inputs_dir);
			return -1;
		}
		plan.inputs_path = inputs_file;
		plan.opts.inputs_path = inputs_file;
	}
	int rc = write_case(a, i, seed, inputs_failed ? NULL : inputs_sha);
	free(inputs_sha);
	if (rc == 0 && changed[0])
		rc = case_error(a, i, "build", changed);
	else if (rc == 0)
		rc = run_case_worker(a, i, &plan, kb, inputs_failed ? inputs_why : NULL,
				     inputs_dir[0] ? inputs_dir : NULL);
	if (inputs_dir[0])
		run_scratch_remove(inputs_dir);
	return rc;
}


/* Verdicts the detectors did not give: a case that failed is an `error`;
 * the claim's is the worst of its cases'. */
static int fallback_verdicts(struct run_audit *a)
{
	const char *worst = NULL;
	for (size_t i = 0; i < a->ncases; i++) {
		if (!a->selected[i])
			continue;
		const struct record *v = run_audit_find(a, REC_VERDICT, (int64_t)i);
		if (!v) {
			const struct record *err = run_audit_find(a, REC_ERROR, (int64_t)i);
			struct record r;
			record_init(&r, REC_VERDICT);
			r.case_index = (int64_t)i;
			r.phase = PHASE_ANALYSIS;
			r.u.verdict.kernel = xstrdup(a->cases[i].kernel->id);
			r.u.verdict.verdict = xstrdup(err ? "error" : "inconclusive");
			r.u.verdict.claimed = a->cases[i].kernel->claimed_speedup;
			r.u.verdict.reason = xstrdup(err ? err->u.error.message
						     : "the detectors gave no verdict");
			if (run_audit_write(a, &r) < 0)
				return -1;
			v = run_audit_find(a, REC_VERDICT, (int64_t)i);
		}
		if (!worst || detect_verdict_rank(v->u.verdict.verdict) > detect_verdict_rank(worst))
			worst = v->u.verdict.verdict;
	}
	if (!run_audit_find(a, REC_VERDICT, REC_NONE)) {
		struct record r;
		record_init(&r, REC_VERDICT);
		r.phase = PHASE_ANALYSIS;
		r.u.verdict.verdict = xstrdup(worst ? worst : "error");
		r.u.verdict.reason = xstrdup("the worst of its cases");
		if (run_audit_write(a, &r) < 0)
			return -1;
	}
	return 0;
}

/* detect_all + detect_verdicts over everything written so far. */
static int judge(struct run_audit *a, struct errbuf *e)
{
	struct record_list findings = { 0 }, verdicts = { 0 };
	if (detect_all(a->recs.v, a->recs.n, &findings) < 0 ||
	    detect_verdicts(a->recs.v, a->recs.n, findings.v, findings.n, a->margin,
			    &verdicts) < 0) {
		record_list_free(&findings);
		record_list_free(&verdicts);
		return errbuf_set(e, EXIT_BAD_INPUT, "the detectors failed");
	}
	int rc = 0;
	for (size_t i = 0; i < findings.n && rc == 0; i++)
		rc = run_audit_write(a, &findings.v[i]);
	for (size_t i = 0; i < verdicts.n && rc == 0; i++)
		rc = run_audit_write(a, &verdicts.v[i]);
	record_list_free(&findings);
	record_list_free(&verdicts);
	if (rc == 0)
		rc = fallback_verdicts(a);
	if (rc < 0)
		return errbuf_set(e, a->werr.code, "%s", a->werr.msg);
	return 0;
}

/* ./CLAIM-YYYYmmddTHHMMSSZ.kat for the manifest at PATH; a shard's
 * ./CLAIM-shardIofN-YYYYmmddTHHMMSSZ.kat, I padded to N's width so that
 * the shards of one run sort in order. */
static void default_output(const struct run_audit *a, const char *path, char *out, size_t cap)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	if (n > 5 && strcmp(base + n - 5, ".yaml") == 0)
		n -= 5;
	else if (n > 4 && strcmp(base + n - 4, ".yml") == 0)
		n -= 4;
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	char stamp[32];
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	char shard[64] = "";
	if (a->shard_count > 0) {
		int w = snprintf(NULL, 0, "%lld", (long long)(a->shard_count - 1));
		snprintf(shard, sizeof shard, "-shard%0*lldof%lld", w, (long long)a->shard_index,
			 (long long)a->shard_count);
	}
	snprintf(out, cap, "%.*s%s-%s.kat", (int)(n > 200 ? 200 : n), base, shard, stamp);
}

/* The key must stay out of everything a confined process may read. */
static int key_hidden(const struct run_audit *a, struct errbuf *e)
{
	struct run_confine *c = xmalloc(sizeof *c);
	run_confine_init(c, a->claim->dir, "/nonexistent");
	int exposed = a->key_path && run_confine_exposes(c, a->key_path);
	free(c);
	if (exposed)
		return errbuf_set(e, EXIT_BAD_INPUT,
				  "the signing key %s lies where the code under audit can read it "
				  "(the claim's tree, the toolkit or a system directory): move it",
				  a->key_path);
	return 0;
}

/* Every file of the audit the trace must not replace: the manifest, the
 * key, each implementation's source (NULL-terminated, malloc'ed). */
static const char **audit_inputs(const struct run_audit *a)
{
	const struct claim *c = a->claim;
	const char **v = xcalloc(2 * c->nkernels + 3, sizeof *v);
	size_t n = 0;
	v[n++] = c->path;
	if (a->key_path)
		v[n++] = a->key_path;
	for (size_t k = 0; k < c->nkernels; k++)
		for (int side = 0; side < 2; side++)
			v[n++] = run_side_impl(&c->kernels[k], side)->path;
	v[n] = NULL;
	return v;
}

int run_audit_execute(struct run_audit *a, struct trace_key *key, struct errbuf *e)
{
	const struct claim *c = a->claim;
	if (key_hidden(a, e) < 0)
		return -1;
	/* A bad -o fails now, not after minutes of compiling and measuring. */
	const char **inputs = audit_inputs(a);
	if (a->out && outfile_check(a->out, inputs, e) < 0) {
		free(inputs);
		return -1;
	}
	a->built = xcalloc(c->nkernels ? c->nkernels : 1, sizeof *a->built);
	if (build_all(a, e) < 0) {
		free(inputs);
		return -1;
	}

	uint64_t root = 0;
	if (getrandom(&root, sizeof root, 0) != (ssize_t)sizeof root)
		return errbuf_set(e, EXIT_ENVIRONMENT, "getrandom: %s", strerror(errno));
	root = rng_seed(root); /* 53 bits: exact in any JSON reader */

	if (a->out)
		snprintf(a->trace_path, sizeof a->trace_path, "%s", a->out);
	else
		default_output(a, c->path, a->trace_path, sizeof a->trace_path);
	a->ceiling = TRACE_MAX_RECORDS - RUN_CONCLUSIONS_RESERVE;
	int opened = trace_writer_open_for(a->trace_path, inputs, a->out == NULL, &a->w, e);
	free(inputs);
	if (opened < 0)
		return -1;
	/* A default name taken already is now NAME-2.kat, ...: say the one used. */
	if (!a->out)
		snprintf(a->trace_path, sizeof a->trace_path, "%s", trace_writer_path(a->w));

	struct record hdr;
	int rc = run_audit_header(a, root, trace_key_public_pem(key), &hdr);
	if (rc == 0)
		rc = run_audit_write(a, &hdr);
	if (rc == 0 && !(a->stop && *a->stop) && environment(a, e) < 0 && !a->write_failed) {
		trace_writer_abort(a->w);
		a->w = NULL;
		return -1;
	}
	if (rc == 0)
		rc = write_builds(a);
	if (rc == 0)
		rc = trace_writer_flush(a->w, &a->werr) < 0 ? (a->write_failed = 1, -1) : 0;

	size_t done = 0;
	int show = isatty(2); /* a progress line only where someone watches */
	for (size_t i = 0; i < a->ncases && rc == 0; i++) {
		if (!a->selected[i])
			continue;
		if (show)
			progress(done, a->nselected, &a->cases[i]);
		done++;
		rc = run_case(a, i, rng_derive_seed(root, i, 0));
		if (rc == 0)
			rc = run_audit_ceiling_note(a);
		if (rc == 0 && trace_writer_flush(a->w, &a->werr) < 0) {
			a->write_failed = 1;
			rc = -1;
		}
	}
	if (show)
		fprintf(stderr, "\r\033[K");
	a->interrupted = a->stop && *a->stop;
	if (rc == 0)
		rc = judge(a, e);
	if (rc < 0 || a->write_failed) {
		trace_writer_abort(a->w);
		a->w = NULL;
		if (a->write_failed)
			*e = a->werr;
		return -1;
	}
	json_t *pred = trace_predicate(a->recs.v, a->recs.n);
	rc = trace_writer_finish(a->w, key, pred, e);
	json_decref(pred);
	a->w = NULL;
	return rc;
}

void run_audit_free(struct run_audit *a)
{
	if (a->built && a->claim)
		for (size_t k = 0; k < a->claim->nkernels; k++)
			for (int s = 0; s < 2; s++)
				build_result_release(&a->built[k].res[s]);
	free(a->built);
	if (a->py && a->py->ext[0])
		run_scratch_remove(a->py->ext);
	free(a->py);
	a->py = NULL;
	record_list_free(&a->recs);
	free(a->selected);
	free(a->cases);
	claim_free(a->claim);
	a->built = NULL;
	a->selected = NULL;
	a->cases = NULL;
	a->claim = NULL;
}
