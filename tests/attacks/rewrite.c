/*
 * rewrite.c - a candidate that changes the claim on disk while it is being
 * audited, so that a later case of the same audit runs something else than
 * what the supervisor loaded, hashed and recorded (tests/sh/attack_rewrite.sh).
 *
 *   -DREWRITE_MANIFEST  on the first call, replaces the manifest (its path
 *                       from the worker's own --claim argument) with `evil`
 *                       (-include a header defining it): the next cases'
 *                       claimed speedups and tolerances are the forger's
 *   -DREWRITE_BINARY='"DST"' -DREWRITE_FROM='"SRC"'
 *                       on the first call, replaces the shared object DST
 *                       (a later case's candidate, already built, hashed
 *                       and entry-checked) with the bytes of SRC
 *
 * Both try an in-place write first, then a new file renamed over the old
 * one.  Either way the candidate itself computes the right answer, at the
 * baseline's speed.
 */
#include "attack.h"

const double cheat_cost_ns = 4000000, cheat_jitter = 0.02;
static int64_t calls;

/* Replaces PATH's content with DATA; 0 when one of the two ways worked. */
static int replace(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd >= 0) {
		int rc = at_write_all(fd, data, len);
		close(fd);
		if (rc == 0)
			return 0;
	}
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	int rc = at_write_all(fd, data, len);
	close(fd);
	if (rc == 0 && rename(tmp, path) == 0)
		return 0;
	unlink(tmp);
	return -1;
}

static void attack(void)
{
#ifdef REWRITE_MANIFEST
	size_t n = 0;
	char *argv = at_slurp("/proc/self/cmdline", 1 << 16, &n);
	char claim[4096];
	if (argv && at_argv_value(argv, n, "--claim", claim, sizeof claim) == 0) {
		int rc = replace(claim, evil, strlen(evil));
		fprintf(stderr, "rewrite: %s: %s\n", claim, rc == 0 ? "replaced" : strerror(errno));
	}
	free(argv);
#endif
#ifdef REWRITE_BINARY
	size_t len = 0;
	char *bytes = at_slurp(REWRITE_FROM, 64u << 20, &len);
	if (bytes) {
		int rc = replace(REWRITE_BINARY, bytes, len);
		fprintf(stderr, "rewrite: %s: %s\n", REWRITE_BINARY,
			rc == 0 ? "replaced" : strerror(errno));
	}
	free(bytes);
#endif
}

KAUDIT_ENTRY(cheat)
{
	if (calls++ == 0)
		attack();
	at_scale(l, 1.0f);
	return 0;
}
