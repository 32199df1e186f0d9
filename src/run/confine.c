/*
 * confine.c - what a process that loads claimant code may see: its sandbox
 * policy, its environment, and its private scratch directory (confine.h).
 */
#include "run/confine.h"

#include <errno.h>
#include <ftw.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What the dynamic loader, libc, the CUDA driver and runtime read: the
 * system's libraries and the driver's view of the device.  /etc is not
 * here (only the loader's cache is): it may hold credentials. */
static const char *const system_read[] = {
	"/usr", "/lib", "/lib64", "/lib32", "/etc/ld.so.cache",
	/* Whole here; an exec'd worker narrows it to its own /proc/PID at
	 * once (sandbox_narrow_proc). */
	"/proc",
	"/sys/devices", "/sys/bus/pci", "/sys/module/nvidia",
	"/dev/urandom", "/dev/random", "/dev/zero",
};

static void add(struct run_confine *c, int write, const char *path)
{
	if (!path || !*path || c->n >= RUN_CONFINE_MAX)
		return;
	char real[PATH_MAX];
	/* A path that does not exist is left for the sandbox to skip and count;
	 * one that does is given resolved, so a symlink cannot widen it later. */
	const char *p = realpath(path, real) ? real : path;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->store[i], p) == 0 && c->is_write[i] >= write)
			return;
	snprintf(c->store[c->n], sizeof c->store[c->n], "%s", p);
	c->is_write[c->n] = write;
	c->n++;
}

static void add_dir_of(struct run_confine *c, const char *file)
{
	if (!file)
		return;
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", file);
	char *slash = strrchr(dir, '/');
	if (!slash)
		return;
	*slash = '\0';
	add(c, 0, dir[0] ? dir : "/");
}

void run_confine_init(struct run_confine *c, const char *claim_dir, const char *scratch)
{
	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < sizeof system_read / sizeof system_read[0]; i++)
		add(c, 0, system_read[i]);
	const char *cuda = getenv("CUDA_HOME");
	add(c, 0, cuda && *cuda == '/' ? cuda : "/usr/local/cuda");
	/* kaudit itself, its plugin and (in a bundle) the CUDA libraries. */
	add(c, 0, exe_dir());
	add_dir_of(c, getenv("KAUDIT_GPU_LIB"));
	add(c, 0, claim_dir);
	/* The device nodes are opened read-write and driven by ioctl. */
	add(c, 1, "/dev/null");
	glob_t g;
	if (glob("/dev/nvidia*", 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			add(c, 1, g.gl_pathv[i]);
		globfree(&g);
	}
	add(c, 1, scratch);
}

void run_confine_read(struct run_confine *c, const char *path)
{
	add(c, 0, path);
}

void run_confine_write(struct run_confine *c, const char *path)
{
	add(c, 1, path);
}

void run_confine_read_dir_of(struct run_confine *c, const char *file)
{
	add_dir_of(c, file);
}

const struct sandbox_policy *run_confine_policy(struct run_confine *c)
{
	c->nread = c->nwrite = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (c->is_write[i])
			c->write[c->nwrite++] = c->store[i];
		else
			c->read[c->nread++] = c->store[i];
	}
	c->policy.read = c->read;
	c->policy.nread = c->nread;
	c->policy.write = c->write;
	c->policy.nwrite = c->nwrite;
	return &c->policy;
}

int run_confine_exposes(const struct run_confine *c, const char *path)
{
	char real[PATH_MAX];
	if (!path || !realpath(path, real))
		return 0;
	for (size_t i = 0; i < c->n; i++)
		if (path_within(real, c->store[i]))
			return 1;
	return 0;
}

/* --- environment --- */

/* What a worker or compiler inherits: enough to find the toolkit, the
 * driver, the device and the locale.  Nothing else: no $KAUDIT_KEY, no
 * tokens, no SSH agent. */
static int inherited(const char *kv)
{
	static const char *const names[] = {
		"PATH=", "LANG=", "LC_ALL=", "LC_CTYPE=", "LC_NUMERIC=", "TZ=",
		"LD_LIBRARY_PATH=", "KAUDIT_GPU_LIB=", "ASAN_OPTIONS=", "UBSAN_OPTIONS=",
		"LSAN_OPTIONS=", "CUDA_", "NVIDIA_",
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strncmp(kv, names[i], strlen(names[i])) == 0)
			return strncmp(kv, "CUDA_CACHE_PATH=", 16) != 0;
	/* $KAUDIT_WORKER_ENV: the user's own additions (NAME,NAME...), never
	 * the key's variable. */
	const char *extra = getenv("KAUDIT_WORKER_ENV");
	size_t klen = strcspn(kv, "=");
	if (!extra || kv[klen] != '=' || (klen == 10 && strncmp(kv, "KAUDIT_KEY", 10) == 0))
		return 0;
	for (const char *p = extra; *p;) {
		size_t n = strcspn(p, ",");
		if (n == klen && strncmp(p, kv, n) == 0)
			return 1;
		p += n + (p[n] == ',');
	}
	return 0;
}

extern char **environ;

char **run_confine_env(const char *scratch)
{
	size_t n = 0;
	for (char **v = environ; v && *v; v++)
		n++;
	char **env = xcalloc(n + 8, sizeof *env);
	size_t k = 0;
	for (char **v = environ; v && *v; v++) {
		if (!inherited(*v))
			continue;
#if defined(__SANITIZE_ADDRESS__)
		/* LeakSanitizer stops the world with ptrace, which the sandbox
		 * refuses: a sanitized worker checks memory errors, not leaks. */
		if (strncmp(*v, "ASAN_OPTIONS=", 13) == 0)
			continue;
#endif
		env[k++] = xstrdup(*v);
	}
	/* Scratch is the only place the process may write: temporary files,
	 * and the CUDA JIT cache under $HOME. */
	const char *vars[] = { "TMPDIR", "HOME", "CUDA_CACHE_PATH" };
	for (size_t i = 0; i < 3; i++) {
		size_t len = strlen(vars[i]) + strlen(scratch) + 2;
		env[k] = xmalloc(len);
		snprintf(env[k++], len, "%s=%s", vars[i], scratch);
	}
#if defined(__SANITIZE_ADDRESS__)
	env[k++] = xstrdup("ASAN_OPTIONS=detect_leaks=0");
#endif
	env[k] = NULL;
	return env;
}

void run_confine_env_free(char **env)
{
	for (char **v = env; v && *v; v++)
		free(*v);
	free(env);
}

/* --- scratch --- */

int run_scratch_make(char *out, size_t cap, struct errbuf *e)
{
	const char *tmp = getenv("TMPDIR");
	if (!tmp || tmp[0] != '/')
		tmp = "/tmp";
	if ((size_t)snprintf(out, cap, "%s/kaudit-scratch.XXXXXX", tmp) >= cap)
		return errbuf_set(e, EXIT_ENVIRONMENT, "scratch path too long");
	if (!mkdtemp(out))
		return errbuf_set(e, EXIT_ENVIRONMENT, "cannot create a scratch directory in %s: %s",
				  tmp, strerror(errno));
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	/* FTW_PHYS: a symlink the worker left is removed, never followed. */
	if (flag == FTW_DP)
		(void)rmdir(path);
	else
		(void)unlink(path);
	return 0; /* best effort: go on with the rest */
}

/* Set when a pass made an unreadable directory readable: its entries are
 * only seen by the next pass. */
static int opened_up;

static int open_up(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)f;
	/* Only directories (FTW_PHYS: never a link's target). */
	if ((flag == FTW_D || flag == FTW_DNR) && (st->st_mode & 0700) != 0700 &&
	    chmod(path, (st->st_mode & 07777) | 0700) == 0 && flag == FTW_DNR)
		opened_up = 1;
	return 0;
}

void run_scratch_remove(const char *dir)
{
	if (!dir || !dir[0])
		return;
	/* A worker may leave a directory it made without permissions (mkdir
	 * with mode 0 needs no chmod): the scratch is kaudit's, so its
	 * directories are opened up, one more level per pass, then removed. */
	for (int pass = 0; pass < 16; pass++) {
		opened_up = 0;
		nftw(dir, open_up, 16, FTW_PHYS | FTW_MOUNT);
		if (!opened_up)
			break;
	}
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}
