/*
 * attack.h - what the hostile implementations of tests/sh/attack_*.sh share.
 *
 * These are launchers for the host test double (tests/plugins/host_plugin.c):
 * plain C, built with `cc -shared -fPIC -Iinclude -Itests/attacks`, buffer
 * pointers are host memory, times come from the double's fake clock
 * (ENTRY_cost_ns).  Each one attacks kaudit itself, not the measurement:
 * see the test that builds it for what kaudit must do about it.
 *
 * Every hostile object may be built with -DAT_BEACON='"PATH"': then it opens
 * PATH (read only, without O_CLOEXEC) when loaded and never closes it, so
 * that the test can find any process it leaves behind, however it hides,
 * by scanning /proc/PID/fd.  Reading a file of the claim tree is something
 * the sandbox allows, so the beacon does not depend on the defences.
 */
#ifndef KAUDIT_ATTACK_H
#define KAUDIT_ATTACK_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kaudit/launcher.h"

#ifdef AT_BEACON
__attribute__((constructor)) static void at_beacon_open(void)
{
	(void)open(AT_BEACON, O_RDONLY);
}
#endif

static inline int64_t at_n(const kaudit_launch *l)
{
	return kaudit_numel(&l->buffers[1]);
}

/* y = 2x + ADD: ADD = 1 is the right answer, anything else a wrong one. */
static inline void at_scale(const kaudit_launch *l, float add)
{
	const float *x = l->buffers[0].data;
	float *y = l->buffers[1].data;
	for (int64_t i = 0; i < at_n(l); i++)
		y[i] = 2.0f * x[i] + add;
}

static inline void at_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static inline int at_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Up to MAX bytes of PATH (NUL-terminated, *LEN bytes), or NULL.  Reads
 * until EOF, so /proc files (st_size 0) work. */
static inline char *at_slurp(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	while (buf) {
		if (n == cap) {
			if (cap >= max)
				break;
			cap *= 2;
			char *nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (!buf)
		return NULL;
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* The value after OPT ("--seed") in a NUL-separated argv (a cmdline file),
 * or after "OPT=".  Returns 0 with OUT set, -1 when absent. */
static inline int at_argv_value(const char *argv, size_t len, const char *opt, char *out,
				size_t cap)
{
	size_t olen = strlen(opt);
	for (size_t i = 0; i < len;) {
		const char *a = argv + i;
		size_t alen = strnlen(a, len - i);
		const char *v = NULL;
		if (strcmp(a, opt) == 0 && i + alen + 1 < len)
			v = a + alen + 1;
		else if (strncmp(a, opt, olen) == 0 && a[olen] == '=')
			v = a + olen + 1;
		if (v) {
			snprintf(out, cap, "%s", v);
			return 0;
		}
		i += alen + 1;
	}
	return -1;
}

/* 1 when this process is a kaudit worker (`kaudit __worker ...`), 0 when it
 * is something else that loaded us: the supervisor's entry check, lint. */
static inline int at_in_worker(void)
{
	size_t n = 0;
	char *c = at_slurp("/proc/self/cmdline", 1 << 16, &n);
	int yes = 0;
	for (size_t i = 0; c && i < n; i += strlen(c + i) + 1)
		if (strcmp(c + i, "__worker") == 0)
			yes = 1;
	free(c);
	return yes;
}

static inline int at_is_pipe(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) &&
	       (fcntl(fd, F_GETFL) & O_ACCMODE) != O_RDONLY;
}

/* The worker's record channel as a claimant's code finds it: the lowest
 * writable pipe at 64 or above (cmd_worker.c moves it there), from
 * /proc/self/fd, else by probing 64..1023.  -1 when there is none. */
static inline int at_record_fd(void)
{
	int best = -1;
	DIR *d = opendir("/proc/self/fd");
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			int fd = atoi(de->d_name);
			if (fd >= 64 && fd != dirfd(d) && at_is_pipe(fd) && (best < 0 || fd < best))
				best = fd;
		}
		closedir(d);
	}
	for (int fd = 64; best < 0 && fd < 1024; fd++)
		if (at_is_pipe(fd))
			best = fd;
	return best;
}

#endif
