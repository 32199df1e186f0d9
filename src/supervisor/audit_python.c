/*
 * audit_python.c - what the supervisor needs to run a Python
 * implementation's workers (src/run/pyworker.h): where the bridge and its
 * libraries are, which interpreter, what the worker may read, and the
 * build step (a confined import of the file).
 */
#include "supervisor/audit_run_private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "run/confine.h"

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

char **run_py_env(char **env, const struct run_py_files *f, const char *scratch,
		  const char *ext)
{
	size_t n = 0;
	while (env[n])
		n++;
	env = xrealloc(env, (n + 5) * sizeof *env);
	const char *fmt[] = { "LD_PRELOAD=%s", ext ? "TORCH_EXTENSIONS_DIR=%s"
						    : "TORCH_EXTENSIONS_DIR=%s/torch_extensions",
			      "TRITON_CACHE_DIR=%s/triton", "PYTHONDONTWRITEBYTECODE=%s" };
	const char *arg[] = { f->poison, ext ? ext : scratch, scratch, "1" };
#if defined(__SANITIZE_ADDRESS__) && defined(KAUDIT_ASAN_LIB)
	/* A sanitized kaudit's worker library needs the ASan runtime in the
	 * interpreter, loaded after the poisoning preload (whose allocation
	 * wrappers must come first), hence no link-order check. */
	/* libstdc++ too, loaded from the start: the runtime resolves the
	 * real __cxa_throw when it starts, and an interpreter does not link
	 * libstdc++, so the first C++ exception torch throws (an IndexError,
	 * say) would abort the worker in the interceptor instead. */
	static char preload[2 * PATH_MAX + 32];
	snprintf(preload, sizeof preload, "%s:%s:libstdc++.so.6", f->poison, KAUDIT_ASAN_LIB);
	arg[0] = preload;
	for (size_t i = 0; i < n; i++)
		if (strncmp(env[i], "ASAN_OPTIONS=", 13) == 0) {
			free(env[i]);
			env[i] = xstrdup("ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0");
		}
#endif
	for (size_t i = 0; i < 4; i++) {
		size_t len = strlen(fmt[i]) + strlen(arg[i]) + 1;
		env[n] = xmalloc(len);
		snprintf(env[n++], len, fmt[i], arg[i]);
	}
	env[n] = NULL;
	return env;
}

int run_py_ext_work(struct run_py_files *f, char *out, size_t cap, struct errbuf *e)
{
	char dummy[PATH_MAX];
	if (run_py_ext_dir(f, 0, 0, dummy, sizeof dummy, e) < 0)
		return -1;
	if ((size_t)snprintf(out, cap, "%s/cur", f->ext) >= cap)
		return errbuf_set(e, EXIT_ENVIRONMENT, "extension directory path too long");
	run_scratch_remove(out);
	if (mkdir(out, 0700) != 0)
		return errbuf_set(e, EXIT_ENVIRONMENT, "cannot create %s: %s", out, strerror(errno));
	return 0;
}

int run_py_ext_keep(const char *work, const char *store, struct errbuf *e)
{
	run_scratch_remove(store);
	if (rename(work, store) != 0)
		return errbuf_set(e, EXIT_ENVIRONMENT, "cannot keep the compiled extensions in %s: %s",
				  store, strerror(errno));
	return 0;
}

int run_py_ext_dir(struct run_py_files *f, size_t kernel, int side, char *out, size_t cap,
		   struct errbuf *e)
{
	if (!f->ext[0]) {
		char tmpl[PATH_MAX];
		if (run_scratch_make(tmpl, sizeof tmpl, e) < 0)
			return -1;
		snprintf(f->ext, sizeof f->ext, "%s", tmpl);
	}
	if ((size_t)snprintf(out, cap, "%s/k%zu-%s", f->ext, kernel,
			     side ? "candidate" : "baseline") >= cap)
		return errbuf_set(e, EXIT_ENVIRONMENT, "extension directory path too long");
	return 0;
}

/* Copies the regular file FROM to TO (mode and times kept: ninja decides
 * by modification time that the build is current). */
static int copy_file(const char *from, const char *to, const struct stat *st)
{
	int in = open(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return -1;
	int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		       st->st_mode & 0700);
	if (out < 0) {
		close(in);
		return -1;
	}
	char buf[1 << 16];
	ssize_t n;
	int rc = 0;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write_all(out, buf, (size_t)n) < 0) {
			rc = -1;
			break;
		}
	if (n < 0)
		rc = -1;
	struct timespec t[2] = { st->st_atim, st->st_mtim };
	if (futimens(out, t) != 0)
		rc = -1;
	close(in);
	if (close(out) != 0)
		rc = -1;
	return rc;
}

/* FROM's tree into TO: directories and regular files only (a link a build
 * left is not followed), each directory's times set after its entries. */
static int copy_tree(const char *from, const char *to, int depth)
{
	if (depth > 16 || mkdir(to, 0700) != 0)
		return -1;
	DIR *d = opendir(from);
	if (!d)
		return -1;
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char a[PATH_MAX], b[PATH_MAX];
		struct stat st;
		if ((size_t)snprintf(a, sizeof a, "%s/%s", from, de->d_name) >= sizeof a ||
		    (size_t)snprintf(b, sizeof b, "%s/%s", to, de->d_name) >= sizeof b ||
		    lstat(a, &st) != 0) {
			rc = -1;
			break;
		}
		if (S_ISDIR(st.st_mode))
			rc = copy_tree(a, b, depth + 1);
		else if (S_ISREG(st.st_mode))
			rc = copy_file(a, b, &st);
	}
	closedir(d);
	struct stat st;
	if (rc == 0 && stat(from, &st) == 0) {
		struct timespec t[2] = { st.st_atim, st.st_mtim };
		(void)utimensat(AT_FDCWD, to, t, 0);
	}
	return rc;
}

int run_py_ext_seed(const char *built, const char *dest, struct errbuf *e)
{
	DIR *d = opendir(built);
	if (!d)
		return 0; /* nothing was compiled */
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char a[PATH_MAX], b[PATH_MAX];
		struct stat st;
		if ((size_t)snprintf(a, sizeof a, "%s/%s", built, de->d_name) >= sizeof a ||
		    (size_t)snprintf(b, sizeof b, "%s/%s", dest, de->d_name) >= sizeof b ||
		    lstat(a, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		/* The first side's extension of a name wins: the candidate's
		 * build cannot plant one under a name the baseline uses. */
		if (lstat(b, &st) == 0)
			continue;
		if (copy_tree(a, b, 0) < 0)
			rc = errbuf_set(e, EXIT_NOT_REPRODUCED, "cannot copy the compiled extension "
					"%s into the worker's scratch", de->d_name);
	}
	closedir(d);
	return rc;
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

int run_py_unchanged(const struct claim_impl *impl, const struct build_result *br, char *why,
		     size_t cap)
{
	const char *paths[2] = { impl->path, impl->init_path };
	for (size_t i = 0; i < br->ndeps && i < 2; i++) {
		char *text = NULL, sha[65];
		size_t len = 0;
		struct errbuf e = { "", 0 };
		if (read_file(paths[i], PY_MAX_SOURCE, &text, &len, &e) < 0) {
			snprintf(why, cap, "%s", e.msg);
			return 0;
		}
		sha256_hex(text, len, sha);
		free(text);
		if (strcmp(sha, br->deps[i].sha256) != 0) {
			snprintf(why, cap, "%s changed after it was built (sha256 %.12s, built %.12s): "
				 "the trace holds the text that was built, not the one that would run",
				 br->deps[i].path, sha, br->deps[i].sha256);
			return 0;
		}
	}
	return 1;
}

int run_py_build(const struct claim *c, const struct claim_impl *impl, struct build_result *out,
		 struct errbuf *e)
{
	memset(out, 0, sizeof *out);
	return py_deps(c, impl, out, e);
}

int run_py_inputs_digest(const char *path, const struct claim_kernel *k,
			 const struct claim_params *p, const struct audit_opts *o,
			 char (*sha)[65], struct errbuf *e)
{
	uint64_t off = 0, set = 0;
	if (audit_get_inputs_layout(k, p, 0, &off, &set, e) < 0)
		return -1;
	int sets = audit_input_sets(o);
	/* The generator is done and its processes are gone; what it left
	 * must be one plain file of exactly the promised size (not a link,
	 * not a second name of another file, and not a FIFO, which O_NONBLOCK
	 * keeps the open from waiting on forever). */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return errbuf_set(e, EXIT_NOT_REPRODUCED, "its inputs file %s is gone or not a "
				  "plain file: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    (uint64_t)st.st_size != set * (uint64_t)sets) {
		close(fd);
		return errbuf_set(e, EXIT_NOT_REPRODUCED, "its inputs file is not what was asked "
				  "(a plain file of %d sets of %llu bytes, one name): %lld bytes, "
				  "%lu names", sets, (unsigned long long)set, (long long)st.st_size,
				  (unsigned long)st.st_nlink);
	}
	EVP_MD_CTX **ctx = xcalloc(k->nbuffers ? k->nbuffers : 1, sizeof *ctx);
	for (size_t b = 0; b < k->nbuffers; b++)
		if (k->buffers[b].init.dist == CLAIM_INIT_GET_INPUTS) {
			ctx[b] = EVP_MD_CTX_new();
			if (!ctx[b] || EVP_DigestInit_ex(ctx[b], EVP_sha256(), NULL) != 1) {
				fprintf(stderr, "kaudit: out of memory\n");
				abort();
			}
		}
	/* Each set holds the get_inputs buffers' bytes back to back, in
	 * manifest order (audit_get_inputs_layout): one pass over the file. */
	uint64_t *bytes = xcalloc(k->nbuffers ? k->nbuffers : 1, sizeof *bytes);
	int rc = 0;
	for (size_t b = 0; b < k->nbuffers && rc == 0; b++) {
		int64_t numel = 0;
		if (ctx[b] && claim_buffer_numel(&k->buffers[b], p, &numel, e) < 0)
			rc = -1;
		bytes[b] = ctx[b] ? (uint64_t)numel * claim_dtype_size(k->buffers[b].dtype) : 0;
	}
	unsigned char *buf = xmalloc(1 << 20);
	uint64_t at = 0;
	for (int s = 0; s < sets && rc == 0; s++)
		for (size_t b = 0; b < k->nbuffers && rc == 0; b++)
			for (uint64_t left = bytes[b]; left > 0 && rc == 0;) {
				size_t want = left < (1u << 20) ? (size_t)left : (1u << 20);
				if (pread_all(fd, buf, want, at) < 0)
					rc = errbuf_set(e, EXIT_NOT_REPRODUCED, "cannot read the inputs "
							"from get_inputs() (%s)", path);
				else
					EVP_DigestUpdate(ctx[b], buf, want);
				left -= want;
				at += want;
			}
	free(bytes);
	for (size_t b = 0; b < k->nbuffers; b++) {
		sha[b][0] = '\0';
		if (!ctx[b])
			continue;
		unsigned char md[32];
		unsigned int len = 0;
		EVP_DigestFinal_ex(ctx[b], md, &len);
		for (unsigned i = 0; i < 32; i++)
			snprintf(sha[b] + 2 * i, 3, "%02x", md[i]);
		EVP_MD_CTX_free(ctx[b]);
	}
	free(ctx);
	free(buf);
	close(fd);
	return rc;
}
