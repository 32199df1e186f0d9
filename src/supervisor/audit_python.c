/*
 * audit_python.c - what the supervisor needs to run a Python
 * implementation's workers (src/run/pyworker.h): where the bridge and its
 * libraries are, which interpreter, what the worker may read, and the
 * build step (a confined import of the file).
 */
#include "supervisor/audit_run_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/pyworker.h"

/* What a Python file may hold: a KernelBench file is a few KB. */
#define PY_MAX_SOURCE (4u << 20)

/* FILE beside the executable, else in ../lib/kaudit/ of it (installed). */
static int locate(const char *file, char *out, size_t cap, struct errbuf *e)
{
	const char *dir = exe_dir();
	snprintf(out, cap, "%s/%s", dir, file);
	if (access(out, R_OK) == 0)
		return 0;
	snprintf(out, cap, "%s/../lib/kaudit/%s", dir, file);
	if (access(out, R_OK) == 0)
		return 0;
	return errbuf_set(e, EXIT_ENVIRONMENT, "cannot run Python implementations: %s not found "
			  "in %s or %s/../lib/kaudit (make builds it)", file, dir, dir);
}

int run_py_locate(struct run_py_files *f, struct errbuf *e)
{
	if (locate("kaudit_bridge.py", f->bridge, sizeof f->bridge, e) < 0 ||
	    locate("libkaudit-pyworker.so", f->lib, sizeof f->lib, e) < 0 ||
	    locate("libkaudit-poison.so", f->poison, sizeof f->poison, e) < 0)
		return -1;
	return 0;
}

/* PROG as execvp would find it, resolved. */
static int resolve_program(const char *prog, char out[PATH_MAX])
{
	if (strchr(prog, '/'))
		return realpath(prog, out) ? 0 : -1;
	const char *path = getenv("PATH");
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");
		char cand[PATH_MAX];
		if (n > 0 && (size_t)snprintf(cand, sizeof cand, "%.*s/%s", (int)n, p, prog) <
				     sizeof cand &&
		    access(cand, X_OK) == 0 && realpath(cand, out))
			return 0;
		p += n + (p[n] == ':');
	}
	return -1;
}

void run_py_interpreter_tree(const char *python, char *out, size_t cap)
{
	char real[PATH_MAX];
	out[0] = '\0';
	if (resolve_program(python, real) < 0)
		return;
	/* PREFIX/bin/pythonX.Y: the tree holds its standard library and
	 * site-packages (torch).  "/" or a home directory is never given
	 * whole: the caller checks the key stays out of it. */
	for (int up = 0; up < 2; up++) {
		char *slash = strrchr(real, '/');
		if (!slash)
			return;
		*slash = '\0';
	}
	if (real[0] && strcmp(real, "/") != 0)
		snprintf(out, cap, "%s", real);
}

void run_py_argv(const char *python, const struct run_py_files *f, enum run_mode m,
		 char *argv[6])
{
	argv[0] = (char *)python;
	argv[1] = "-I"; /* no PYTHON* variables, no user site, no script dir */
	argv[2] = (char *)f->bridge;
	argv[3] = (char *)f->lib;
	argv[4] = (char *)run_mode_flag(m);
	argv[5] = NULL;
}

char **run_py_env(char **env, const struct run_py_files *f, const char *scratch)
{
	size_t n = 0;
	while (env[n])
		n++;
	env = xrealloc(env, (n + 5) * sizeof *env);
	const char *fmt[] = { "LD_PRELOAD=%s", "TORCH_EXTENSIONS_DIR=%s/torch_extensions",
			      "TRITON_CACHE_DIR=%s/triton", "PYTHONDONTWRITEBYTECODE=%s" };
	const char *arg[] = { f->poison, scratch, scratch, "1" };
	for (size_t i = 0; i < 4; i++) {
		size_t len = strlen(fmt[i]) + strlen(arg[i]) + 1;
		env[n] = xmalloc(len);
		snprintf(env[n++], len, fmt[i], arg[i]);
	}
	env[n] = NULL;
	return env;
}

/* The files of IMPL as build deps: the .py, then its init_inputs file. */
static int py_deps(const struct claim *c, const struct claim_impl *impl,
		   struct build_result *out, struct errbuf *e)
{
	const char *paths[2] = { impl->path, impl->init_path };
	const char *shown[2] = { impl->source, impl->init_source };
	size_t n = impl->init_path && strcmp(impl->init_path, impl->path) != 0 ? 2 : 1;
	out->deps = xcalloc(n, sizeof *out->deps);
	for (size_t i = 0; i < n; i++) {
		char *text = NULL;
		size_t len = 0;
		if (read_file(paths[i], PY_MAX_SOURCE, &text, &len, e) < 0)
			return -1;
		struct build_dep *d = &out->deps[out->ndeps++];
		const char *rel = c->root ? claim_tree_rel(c->root, paths[i]) : NULL;
		d->path = xstrdup(rel && *rel ? rel : shown[i]);
		snprintf(d->kind, sizeof d->kind, "claim");
		sha256_hex(text, len, d->sha256);
		if (memchr(text, '\0', len) == NULL) {
			d->text = text;
			text = NULL;
		}
		free(text);
	}
	snprintf(out->source_sha256, sizeof out->source_sha256, "%s", out->deps[0].sha256);
	return 0;
}

int run_py_build(const struct claim *c, const struct claim_impl *impl, struct build_result *out,
		 struct errbuf *e)
{
	memset(out, 0, sizeof *out);
	return py_deps(c, impl, out, e);
}
