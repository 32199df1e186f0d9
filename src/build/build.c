/*
 * build.c - turning a claim implementation into a loadable shared object.
 *
 * A .cu source is compiled by nvcc (argv, never a shell) into the compile
 * cache; a .so is used as it is.  build_check_entry() loads the result in a
 * forked child, so neither a constructor in the claimant's code nor the
 * CUDA runtime it pulls in ever runs inside the caller (the supervisor must
 * stay free of CUDA: DESIGN section 8).
 */
#include "build_private.h"

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

void build_result_release(struct build_result *r)
{
	free(r->log);
	r->log = NULL;
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

static int use_prebuilt(const char *path, struct build_result *out, struct errbuf *e)
{
	if (regular_file(path, e) < 0)
		return -1;
	if (!realpath(path, out->so_path))
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", path, strerror(errno));
	if (build_sha256_file(out->so_path, out->so_sha256, e) < 0)
		return -1;
	memcpy(out->source_sha256, out->so_sha256, sizeof out->source_sha256);
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

/* Writes the compile log beside the object; best effort (only a help). */
static void save_log(const char *cache, const char *key, const char *log)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s/%s.log.XXXXXX", cache, key) >= (int)sizeof tmp ||
	    snprintf(dst, sizeof dst, "%s/%s.log", cache, key) >= (int)sizeof dst)
		return;
	int fd = mkstemp(tmp);
	if (fd < 0)
		return;
	int ok = write_all(fd, log, strlen(log)) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, dst) != 0)
		unlink(tmp);
}

struct compile_job {
	const char *path;         /* the source, as the claim names it */
	char real[PATH_MAX];      /* the source, absolute */
	char nvcc[PATH_MAX];
	char incdir[PATH_MAX];
	char libdir[PATH_MAX];
	char cache[PATH_MAX];
	char key[65];
	struct build_argv arch;
};

/* Runs nvcc into a temporary name in the cache and renames it into place,
 * so a concurrent kaudit never sees a half-written object. */
static int compile(struct compile_job *j, const struct claim_impl *impl,
		   struct build_result *out, struct errbuf *e)
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
	build_compile_argv(&argv, j->nvcc, j->incdir, &j->arch, j->libdir, impl->flags,
			   impl->nflags, tmp, j->real);
	struct build_exec_result r;
	int rc = build_exec(argv.v, BUILD_TIMEOUT_S, BUILD_LOG_MAX, &r, e);
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
	/* mkstemp made it 0600; others sharing the cache may read it. */
	chmod(tmp, 0755);
	if (rename(tmp, out->so_path) != 0) {
		int saved = errno;
		unlink(tmp);
		return errbuf_set(e, EXIT_ENVIRONMENT, "cannot rename into cache '%s': %s",
				  out->so_path, strerror(saved));
	}
	save_log(j->cache, j->key, out->log);
	return 0;
}

/* Fills the job and the key: everything up to, not including, nvcc. */
static int prepare(struct compile_job *j, const struct claim_impl *impl,
		   const struct build_opts *o, const char *text, size_t len,
		   struct build_result *out, struct errbuf *e)
{
	char *version = NULL, *launcher = NULL, *includes = NULL;
	int rc = -1;
	if (build_check_flags(impl->flags, impl->nflags, e) < 0 ||
	    build_find_nvcc(j->nvcc, sizeof j->nvcc, e) < 0 ||
	    build_nvcc_version(j->nvcc, &version, out->nvcc_version,
			       sizeof out->nvcc_version, e) < 0 ||
	    build_find_include_dir(o ? o->include_dir : NULL, j->incdir, sizeof j->incdir,
				   e) < 0 ||
	    build_arch_args(o ? o->arch : NULL, build_gpu_visible(), &j->arch, e) < 0)
		goto out;
	char lpath[PATH_MAX + 32];
	snprintf(lpath, sizeof lpath, "%s/kaudit/launcher.h", j->incdir);
	if (read_file(lpath, BUILD_SOURCE_MAX, &launcher, NULL, e) < 0)
		goto out;
	if (build_source_includes(j->real, text, &includes, e) < 0)
		goto out;
	build_cuda_libdir(j->nvcc, j->libdir, sizeof j->libdir);
	struct build_key_input in = {
		.source = text, .source_len = len,
		.flags = impl->flags, .nflags = impl->nflags,
		.arch = &j->arch, .libdir = j->libdir,
		.nvcc_version = version, .launcher = launcher, .includes = includes,
	};
	build_cache_key(&in, j->key);
	if (build_cache_dir(j->cache, sizeof j->cache, e) < 0)
		goto out;
	if (snprintf(out->so_path, sizeof out->so_path, "%s/%s.so", j->cache, j->key) >=
	    (int)sizeof out->so_path) {
		errbuf_set(e, EXIT_ENVIRONMENT, "cache path too long");
		goto out;
	}
	rc = 0;
out:
	free(version);
	free(launcher);
	free(includes);
	return rc;
}

static int compile_cu(const char *path, const struct claim_impl *impl,
		      const struct build_opts *o, struct build_result *out,
		      struct errbuf *e)
{
	struct compile_job j = { .path = path };
	char *text = NULL;
	size_t len = 0;
	int rc = -1;
	if (regular_file(path, e) < 0 || read_file(path, BUILD_SOURCE_MAX, &text, &len, e) < 0)
		return -1;
	sha256_hex(text, len, out->source_sha256);
	if (!realpath(path, j.real)) {
		errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (prepare(&j, impl, o, text, len, out, e) < 0)
		goto out;
	struct stat st;
	if (stat(out->so_path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		out->cached = 1;
		char lpath[PATH_MAX + 80];
		snprintf(lpath, sizeof lpath, "%s/%s.log", j.cache, j.key);
		struct errbuf ignored;
		if (read_file(lpath, BUILD_LOG_MAX + 128, &out->log, NULL, &ignored) < 0)
			out->log = NULL;
	} else if (compile(&j, impl, out, e) < 0) {
		goto out;
	}
	rc = build_sha256_file(out->so_path, out->so_sha256, e);
out:
	build_argv_release(&j.arch);
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
		return use_prebuilt(path, out, e);
	if (!ends_with(path, ".cu"))
		return errbuf_set(e, EXIT_BAD_INPUT,
				  "%s: unsupported source type (expected .cu or .so)", path);
	if (compile_cu(path, impl, o, out, e) < 0) {
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
