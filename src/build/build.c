/*
 * build.c - turning a claim implementation into a loadable shared object.
 *
 * A .cu source is compiled by nvcc (argv, never a shell) into the compile
 * cache; a .so is used as it is.  Before anything is compiled, the source
 * must lie in the claim's tree, its flags must pass the allowlist, the
 * include scan must accept its claim files, and `nvcc -M` must list only
 * files kaudit may read (build_deps.c).  nvcc runs in a private, empty
 * working directory under the cache, so nothing of the caller's working
 * directory is on its include path.
 *
 * build_check_entry() loads the result in a forked child, so neither a
 * constructor in the claimant's code nor the CUDA runtime it pulls in ever
 * runs inside the caller (the supervisor must stay free of CUDA: DESIGN
 * section 8).
 */
#include "build/build_private.h"

#include "run/confine.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int build_rehash(const struct build_result *r, char out[65], struct errbuf *e)
{
	return build_sha256_file(r->so_path, out, NULL, e);
}

void build_result_release(struct build_result *r)
{
	free(r->log);
	r->log = NULL;
	build_deps_release(r->deps, r->ndeps);
	r->deps = NULL;
	r->ndeps = 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The implementation's path: resolved by the claim loader, else joined
 * here with the manifest's directory. */
static int impl_path(const struct claim *c, const struct claim_impl *impl, char *out,
		     size_t outsz, struct errbuf *e)
{
	int n;
	if (impl->path)
		n = snprintf(out, outsz, "%s", impl->path);
	else if (!impl->source)
		return errbuf_set(e, EXIT_BAD_INPUT, "implementation without a source");
	else if (impl->source[0] == '/' || !c || !c->dir)
		n = snprintf(out, outsz, "%s", impl->source);
	else
		n = snprintf(out, outsz, "%s/%s", c->dir, impl->source);
	if (n < 0 || (size_t)n >= outsz)
		return errbuf_set(e, EXIT_BAD_INPUT, "source path too long: '%s'", impl->source);
	return 0;
}

static int regular_file(const char *path, struct errbuf *e)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: not a regular file", path);
	return 0;
}

/* The claim's tree (C->root, else the real path of C->dir, else the
 * source's own directory) and the source's real path inside it. */
static int locate(const struct claim *c, const char *path, char root[PATH_MAX],
		  char real[PATH_MAX], const char **rel, struct errbuf *e)
{
	if (regular_file(path, e) < 0)
		return -1;
	if (!realpath(path, real))
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", path, strerror(errno));
	if (c && c->root) {
		snprintf(root, PATH_MAX, "%s", c->root);
	} else if (c && c->dir) {
		if (!realpath(c->dir, root))
			return errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", c->dir, strerror(errno));
	} else {
		snprintf(root, PATH_MAX, "%s", real);
		*strrchr(root, '/') = '\0';
		if (!root[0])
			snprintf(root, PATH_MAX, "/");
	}
	*rel = claim_tree_rel(root, real);
	if (!*rel || claim_path_secret(real))
		return errbuf_set(e, EXIT_BAD_INPUT,
				  "%s: the source is outside the claim directory (links followed)",
				  path);
	return 0;
}

static int use_prebuilt(const struct claim *c, const char *path, struct build_result *out,
			struct errbuf *e)
{
	char root[PATH_MAX];
	const char *rel;
	if (locate(c, path, root, out->so_path, &rel, e) < 0)
		return -1;
	if (build_sha256_file(out->so_path, out->so_sha256, NULL, e) < 0)
		return -1;
	memcpy(out->source_sha256, out->so_sha256, sizeof out->source_sha256);
	out->deps = xcalloc(1, sizeof *out->deps);
	out->deps[0].path = xstrdup(rel);
	snprintf(out->deps[0].kind, sizeof out->deps[0].kind, "claim");
	memcpy(out->deps[0].sha256, out->so_sha256, sizeof out->deps[0].sha256);
	out->ndeps = 1;
	return 0;
}

/* The first line of LOG that reports an error, for a one-line message. */
static void first_error_line(const char *log, char *out, size_t outsz)
{
	out[0] = '\0';
	for (const char *line = log; line && *line;) {
		size_t len = strcspn(line, "\n");
		const char *hit = strstr(line, "error");
		if (hit && (size_t)(hit - line) < len) {
			snprintf(out, outsz, ": %.*s", (int)(len > 200 ? 200 : len), line);
			return;
		}
		line = line[len] ? line + len + 1 : NULL;
	}
}

struct compile_job {
	const char *path;         /* the source, as the claim names it */
	char real[PATH_MAX];      /* the source, absolute */
	char nvcc[PATH_MAX];
	char incdir[PATH_MAX];    /* kaudit's headers, a real path */
	char libdir[PATH_MAX];
	char cache[PATH_MAX];
	char work[PATH_MAX];      /* private working directory for nvcc ("" none) */
	char key[65];
	struct build_argv arch;
	struct claim_nvcc_flags flags;
	struct build_roots roots;
};

/* Runs ARGV with the working directory J->work, so neither the caller's
 * directory (nvcc puts "-I." on some of its own compiles) nor anything
 * relative leaks in. */
static int run_in_work(const struct compile_job *j, char *const argv[], int timeout_s,
		       struct build_exec_result *r, struct errbuf *e)
{
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0)
		return errbuf_set(e, EXIT_ENVIRONMENT, "cannot open the working directory: %s",
				  strerror(errno));
	if (chdir(j->work) != 0) {
		int saved = errno;
		close(cwd);
		return errbuf_set(e, EXIT_ENVIRONMENT, "cannot enter '%s': %s", j->work,
				  strerror(saved));
	}
	/* Confined like a worker (src/run/confine.c), plus what a compile
	 * needs: kaudit's headers, the toolkit nvcc belongs to, the host
	 * compiler's include directories; writes only its working directory
	 * and the cache (the object's temporary name).  So whatever the
	 * include scan missed, the compile cannot read it, and nvcc gets no
	 * NVCC_PREPEND_FLAGS or other stray environment. */
	struct run_confine *c = xmalloc(sizeof *c);
	run_confine_init(c, j->roots.claim, j->work);
	run_confine_read(c, j->roots.kaudit);
	run_confine_read(c, j->roots.toolkit);
	run_confine_read_dir_of(c, j->nvcc);
	for (size_t i = 0; i < j->roots.system.n; i++)
		run_confine_read(c, j->roots.system.v[i]);
	run_confine_write(c, j->cache);
	char **env = run_confine_env(j->work);
	int rc = build_exec_confined(argv, timeout_s, BUILD_LOG_MAX,
				     getenv("KAUDIT_SANDBOX") && strcmp(getenv("KAUDIT_SANDBOX"), "off") == 0
				     ? NULL : run_confine_policy(c), env, r, e);
	run_confine_env_free(env);
	free(c);
	int back = fchdir(cwd);
	int saved = errno;
	close(cwd);
	if (back != 0) {
		if (rc == 0)
			build_exec_result_release(r);
		return errbuf_set(e, EXIT_ENVIRONMENT, "cannot return to the working directory: %s",
				  strerror(saved));
	}
	return rc;
}

/* Empties and removes the working directory; best effort. */
static void remove_work(struct compile_job *j)
{
	if (!j->work[0])
		return;
	DIR *d = opendir(j->work);
	if (d) {
		for (struct dirent *de; (de = readdir(d));) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			if (unlinkat(dirfd(d), de->d_name, 0) != 0)
				unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
		}
		closedir(d);
	}
	rmdir(j->work);
	j->work[0] = '\0';
}

/* A path kaudit itself hands nvcc must survive its shell. */
static int env_path_ok(const char *what, const char *path, struct errbuf *e)
{
	if (claim_shell_safe(path))
		return 0;
	return errbuf_set(e, EXIT_ENVIRONMENT,
			  "%s '%s' holds characters nvcc would hand to a shell (allowed: "
			  "letters, digits and _ . / + = @ %% : -)", what, path);
}

/* Runs nvcc -M and fills OUT->deps: every file the compile will read. */
static int depend(struct compile_job *j, struct build_result *out, struct errbuf *e)
{
	char depfile[PATH_MAX + 16];
	snprintf(depfile, sizeof depfile, "%s/deps.d", j->work);
	struct build_argv argv = { 0 };
	build_depend_argv(&argv, j->nvcc, j->incdir, &j->arch, j->flags.argv, j->flags.n,
			  depfile, j->real);
	struct build_exec_result r;
	int rc = run_in_work(j, argv.v, BUILD_TIMEOUT_S, &r, e);
	build_argv_release(&argv);
	if (rc < 0)
		return -1;
	if (r.timed_out || !r.exited || r.status != 0) {
		/* Its output is not kept: only a diagnostic from a file kaudit
		 * may show. */
		char first[256];
		build_deps_diagnostic(&j->roots, r.output, first, sizeof first);
		int timed_out = r.timed_out, exited = r.exited, status = r.status;
		build_exec_result_release(&r);
		if (timed_out)
			return errbuf_set(e, EXIT_BAD_INPUT,
					  "%s: the dependency pass (nvcc -M) did not finish within "
					  "%d s", j->path, BUILD_TIMEOUT_S);
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: the dependency pass (nvcc -M) failed "
				  "(%s %d)%s%s", j->path, exited ? "exit status" : "signal", status,
				  first[0] ? ": " : "", first);
	}
	build_exec_result_release(&r);
	char *text = NULL;
	struct build_argv paths = { 0 };
	rc = -1;
	if (read_file(depfile, BUILD_DEPS_MAX, &text, NULL, e) == 0 &&
	    build_deps_parse(text, &paths, e) == 0 &&
	    build_deps_collect(&j->roots, j->real, j->path, &paths, j->work, out, e) == 0)
		rc = 0;
	free(text);
	build_argv_release(&paths);
	unlink(depfile);
	return rc;
}

/* Runs nvcc into a temporary name in the cache, records the object's
 * sha256 and renames both into place, so a concurrent kaudit never sees a
 * half-written object. */
static int compile(struct compile_job *j, struct build_result *out, struct errbuf *e)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s/%s.so.XXXXXX", j->cache, j->key) >= (int)sizeof tmp)
		return errbuf_set(e, EXIT_ENVIRONMENT, "cache path too long");
	int fd = mkstemp(tmp);
	if (fd < 0)
		return errbuf_set(e, EXIT_ENVIRONMENT, "cannot write to cache '%s': %s", j->cache,
				  strerror(errno));
	close(fd);

	struct build_argv argv = { 0 };
	build_compile_argv(&argv, j->nvcc, j->incdir, &j->arch, j->libdir, j->flags.argv,
			   j->flags.n, tmp, j->real);
	struct build_exec_result r;
	int rc = run_in_work(j, argv.v, BUILD_TIMEOUT_S, &r, e);
	build_argv_release(&argv);
	if (rc < 0) {
		unlink(tmp);
		return -1;
	}
	if (r.truncated) {
		char note[96];
		int n = snprintf(note, sizeof note,
				 "\n[kaudit: compiler output truncated at %u bytes]\n",
				 BUILD_LOG_MAX);
		r.output = xrealloc(r.output, r.len + (size_t)n + 1);
		memcpy(r.output + r.len, note, (size_t)n + 1);
	}
	free(out->log);
	out->log = r.output;
	r.output = NULL;

	if (r.timed_out) {
		unlink(tmp);
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: nvcc did not finish within %d s",
				  j->path, BUILD_TIMEOUT_S);
	}
	if (!r.exited || r.status != 0) {
		unlink(tmp);
		char first[256];
		first_error_line(out->log, first, sizeof first);
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: nvcc failed (%s %d)%s", j->path,
				  r.exited ? "exit status" : "signal", r.status, first);
	}
	/* Read-only for everyone: nobody rewrites an entry in place. */
	if (build_sha256_file(tmp, out->so_sha256, NULL, e) < 0 || chmod(tmp, 0444) != 0 ||
	    build_cache_record(j->cache, j->key, out->so_sha256, e) < 0) {
		if (!e->msg[0])
			errbuf_set(e, EXIT_ENVIRONMENT, "cannot finish cache entry '%s'", tmp);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, out->so_path) != 0) {
		int saved = errno;
		unlink(tmp);
		return errbuf_set(e, EXIT_ENVIRONMENT, "cannot rename into cache '%s': %s",
				  out->so_path, strerror(saved));
	}
	char name[96];
	snprintf(name, sizeof name, "%s.log", j->key);
	build_cache_put_text(j->cache, name, out->log);
	return 0;
}

/* Fills the job: nvcc, its version, the directories, the flags, and the
 * include scan; everything before nvcc first runs on the claim. */
static int prepare(struct compile_job *j, const struct claim_impl *impl,
		   const struct build_opts *o, const char *root, const char *text,
		   char **version, struct build_result *out, struct errbuf *e)
{
	char incdir[PATH_MAX];
	if (build_check_flags(root, impl->flags, impl->nflags, &j->flags, e) < 0 ||
	    build_find_nvcc(j->nvcc, sizeof j->nvcc, e) < 0 ||
	    build_nvcc_version(j->nvcc, version, out->nvcc_version,
			       sizeof out->nvcc_version, e) < 0 ||
	    build_find_include_dir(o ? o->include_dir : NULL, incdir, sizeof incdir, e) < 0 ||
	    build_arch_args(o ? o->arch : NULL, build_gpu_visible(), &j->arch, e) < 0 ||
	    build_cache_dir(j->cache, sizeof j->cache, e) < 0)
		return -1;
	if (!realpath(incdir, j->incdir))
		return errbuf_set(e, EXIT_ENVIRONMENT, "%s: %s", incdir, strerror(errno));
	if (j->arch.n)
		snprintf(out->arch, sizeof out->arch, "%s", j->arch.v[0]);
	build_cuda_libdir(j->nvcc, j->libdir, sizeof j->libdir);
	if (env_path_ok("nvcc", j->nvcc, e) < 0 ||
	    env_path_ok("the launcher header directory", j->incdir, e) < 0 ||
	    env_path_ok("the CUDA library directory", j->libdir, e) < 0 ||
	    env_path_ok("the cache directory", j->cache, e) < 0)
		return -1;
	if (!claim_shell_safe(j->real))
		return errbuf_set(e, EXIT_BAD_INPUT,
				  "%s: the source's path '%s' holds characters nvcc would hand to "
				  "a shell (allowed: letters, digits and _ . / + = @ %% : -)",
				  j->path, j->real);
	snprintf(j->roots.claim, sizeof j->roots.claim, "%s", root);
	snprintf(j->roots.kaudit, sizeof j->roots.kaudit, "%s", j->incdir);
	build_toolkit_root(j->nvcc, j->roots.toolkit, sizeof j->roots.toolkit);
	build_roots_system(&j->roots);
	/* The preprocessor must never open what the scan can see is out of
	 * bounds. */
	if (build_source_includes(&j->roots, j->real, text, j->flags.incdirs, j->flags.nincdirs,
				  e) < 0)
		return -1;
	if (snprintf(j->work, sizeof j->work, "%s/tmp.XXXXXX", j->cache) >= (int)sizeof j->work ||
	    !mkdtemp(j->work)) {
		j->work[0] = '\0';
		return errbuf_set(e, EXIT_ENVIRONMENT, "cannot create a directory in '%s': %s",
				  j->cache, strerror(errno));
	}
	return 0;
}

/* The cache key and the object's name, once the dependencies are known. */
static int name_entry(struct compile_job *j, const struct claim_impl *impl, const char *text,
		      size_t len, const char *version, struct build_result *out,
		      struct errbuf *e)
{
	char lpath[PATH_MAX + 32];
	char *launcher = NULL;
	snprintf(lpath, sizeof lpath, "%s/kaudit/launcher.h", j->incdir);
	if (read_file(lpath, BUILD_SOURCE_MAX, &launcher, NULL, e) < 0)
		return -1;
	char *deps = build_deps_digest(out->deps, out->ndeps);
	struct build_key_input in = {
		.source = text, .source_len = len,
		.flags = impl->flags, .nflags = impl->nflags,
		.arch = &j->arch, .libdir = j->libdir,
		.nvcc_version = version, .launcher = launcher, .deps = deps,
	};
	build_cache_key(&in, j->key);
	free(launcher);
	free(deps);
	if (snprintf(out->so_path, sizeof out->so_path, "%s/%s.so", j->cache, j->key) >=
	    (int)sizeof out->so_path)
		return errbuf_set(e, EXIT_ENVIRONMENT, "cache path too long");
	return 0;
}

/* A usable cache hit: the object is there, a regular file, and matches
 * the sha256 recorded when it was built.  0: build it (NOTE may say why). */
static int cache_hit(struct compile_job *j, struct build_result *out, struct errbuf *e)
{
	struct stat st;
	if (lstat(out->so_path, &st) != 0)
		return 0;
	if (!S_ISREG(st.st_mode)) {
		snprintf(out->note, sizeof out->note,
			 "cache entry %.16s was not a regular file; rebuilt it", j->key);
		unlink(out->so_path);
		return 0;
	}
	int rc = build_cache_verify(j->cache, j->key, out->so_path, out->so_sha256, out->note,
				    sizeof out->note, e);
	if (rc <= 0)
		return rc;
	char lpath[PATH_MAX + 80];
	snprintf(lpath, sizeof lpath, "%s/%s.log", j->cache, j->key);
	/* The log goes into the trace: only a regular file, never a link
	 * someone left in its place. */
	struct errbuf ignored;
	if (lstat(lpath, &st) != 0 || !S_ISREG(st.st_mode) ||
	    read_file(lpath, BUILD_LOG_MAX + 128, &out->log, NULL, &ignored) < 0)
		out->log = NULL;
	return 1;
}

static int compile_cu(const struct claim *c, const char *path, const struct claim_impl *impl,
		      const struct build_opts *o, struct build_result *out,
		      struct errbuf *e)
{
	struct compile_job j = { .path = path };
	char root[PATH_MAX];
	const char *rel;
	char *text = NULL, *version = NULL;
	size_t len = 0;
	int rc = -1;
	if (locate(c, path, root, j.real, &rel, e) < 0 ||
	    read_file(j.real, BUILD_SOURCE_MAX, &text, &len, e) < 0)
		return -1;
	sha256_hex(text, len, out->source_sha256);
	if (prepare(&j, impl, o, root, text, &version, out, e) < 0 || depend(&j, out, e) < 0 ||
	    name_entry(&j, impl, text, len, version, out, e) < 0)
		goto out;
	int hit = cache_hit(&j, out, e);
	if (hit < 0)
		goto out;
	if (hit) {
		out->cached = 1;
		rc = 0;
	} else {
		rc = compile(&j, out, e);
	}
out:
	remove_work(&j);
	build_argv_release(&j.arch);
	claim_nvcc_flags_release(&j.flags);
	build_roots_release(&j.roots);
	free(version);
	free(text);
	return rc;
}

int build_impl(const struct claim *c, const struct claim_impl *impl,
	       const struct build_opts *o, struct build_result *out, struct errbuf *e)
{
	memset(out, 0, sizeof *out);
	char path[PATH_MAX];
	if (impl_path(c, impl, path, sizeof path, e) < 0)
		return -1;
	if (ends_with(path, ".so"))
		return use_prebuilt(c, path, out, e);
	if (!ends_with(path, ".cu"))
		return errbuf_set(e, EXIT_BAD_INPUT,
				  "%s: unsupported source type (expected .cu or .so)", path);
	if (compile_cu(c, path, impl, o, out, e) < 0) {
		out->so_path[0] = '\0';
		out->cached = 0;
		return -1;
	}
	return 0;
}

/* --- build_check_entry: dlopen in a child --- */

/* The child's report: a status byte, then dlerror's text. */
enum { CHECK_OK = '0', CHECK_NO_LOAD = '1', CHECK_NO_ENTRY = '2' };

static void check_child(const char *so, const char *entry, int fd)
{
	char msg[1024];
	void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *err = dlerror();
		snprintf(msg, sizeof msg, "%c%s", CHECK_NO_LOAD, err ? err : "unknown error");
	} else {
		dlerror();
		void *sym = dlsym(h, entry);
		const char *err = dlerror();
		if (!sym || err)
			snprintf(msg, sizeof msg, "%c%s", CHECK_NO_ENTRY,
				 err ? err : "symbol is NULL");
		else
			snprintf(msg, sizeof msg, "%c", CHECK_OK);
	}
	ssize_t w = write(fd, msg, strlen(msg));
	(void)w;
	/* _exit: no atexit handlers or destructors of the parent's state. */
	_exit(0);
}

/* Reads the child's report (at most outsz-1 bytes) within TIMEOUT_S. */
static int read_report(int fd, char *out, size_t outsz, int timeout_s)
{
	size_t n = 0;
	int waited_ms = 0;
	while (n + 1 < outsz) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int pr = poll(&p, 1, 100);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			break;
		if (pr == 0) {
			waited_ms += 100;
			if (waited_ms >= timeout_s * 1000)
				return -1;
			continue;
		}
		ssize_t r = read(fd, out + n, outsz - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	out[n] = '\0';
	return 0;
}

/* A missing dependency (libcudart, a library the claim links) is the
 * machine's problem; a broken object is the claim's. */
static int load_error_code(const char *so, const char *msg)
{
	if (strstr(msg, "cannot open shared object file") && strncmp(msg, so, strlen(so)) != 0)
		return EXIT_ENVIRONMENT;
	return EXIT_BAD_INPUT;
}

int build_check_entry(const char *so, const char *entry, struct errbuf *e)
{
	if (!entry || !*entry)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: no entry point named", so);
	if (regular_file(so, e) < 0)
		return -1;
	/* dlopen treats a name without a slash as a library to search for. */
	char path[PATH_MAX];
	if (!realpath(so, path))
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", so, strerror(errno));
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return errbuf_set(e, EXIT_ENVIRONMENT, "pipe: %s", strerror(errno));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int saved = errno;
		close(p[0]);
		close(p[1]);
		return errbuf_set(e, EXIT_ENVIRONMENT, "fork: %s", strerror(saved));
	}
	if (pid == 0) {
		close(p[0]);
		check_child(path, entry, p[1]);
	}
	close(p[1]);
	char report[1100];
	int timed_out = read_report(p[0], report, sizeof report, BUILD_CHECK_TIMEOUT_S) < 0;
	close(p[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	int ws = 0;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	if (timed_out)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: loading did not finish within %d s",
				  so, BUILD_CHECK_TIMEOUT_S);
	switch (report[0]) {
	case CHECK_OK:
		return 0;
	case CHECK_NO_LOAD:
		return errbuf_set(e, load_error_code(path, report + 1), "cannot load '%s': %s",
				  so, report + 1);
	case CHECK_NO_ENTRY:
		return errbuf_set(e, EXIT_BAD_INPUT,
				  "entry '%s' not found in '%s' (declare it with KAUDIT_ENTRY so "
				  "it has C linkage): %s", entry, so, report + 1);
	default:
		if (WIFSIGNALED(ws))
			return errbuf_set(e, EXIT_BAD_INPUT, "loading '%s' crashed (signal %d)",
					  so, WTERMSIG(ws));
		return errbuf_set(e, EXIT_BAD_INPUT, "loading '%s' failed without a report",
				  so);
	}
}
