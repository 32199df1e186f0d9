/*
 * forge.c - a candidate that writes records of its own into the worker's
 * record channel (tests/sh/attack_forge.sh).  One variant per build:
 *
 *   -DFORGE_STREAM   on the first call: a whole case's record stream, taken
 *                    from an honest audit where the candidate was 100x
 *                    faster (-include a header defining `forged`), then
 *                    _exit(0); it never computes anything itself
 *   -DFORGE_RESEED   the same stream from a constructor (only the worker's
 *                    own `case` record precedes it), without its `case`
 *                    record and with every seed rewritten to this worker's
 *                    --seed, read from /proc/self/cmdline; then _exit(0)
 *   -DFORGE_DEVICE   on the first call: a `device` record with peak_bw 1e16
 *                    (the double's is 1e11), so a candidate faster than the
 *                    roofline allows passes; it computes the right answer
 *   -DFORGE_EXIT_AT=N  computes the right answer, 100x faster, but
 *                    _exit(0)s on its Nth call: just after its first timed
 *                    sample, so the stream ends far short of the plan
 *   -DFORGE_CASE     on the first call: a second `case` record (`forged`,
 *                    another seed); computes the right answer, 100x faster
 *   -DFORGE_CHECKS   on the first call: passing `check` records (`forged`)
 *                    whose seed is not the case's; right answer, 100x faster
 *
 * FORGE_CASE and FORGE_CHECKS only cheat when they could write their
 * records: with no record channel to find, they return a wrong answer
 * instead, so that a case is reproduced only if kaudit accepted a stream
 * with forged records in it.
 */
#include "attack.h"

#ifndef FORGE_COST_NS
#define FORGE_COST_NS 40000.0
#endif
const double cheat_cost_ns = FORGE_COST_NS, cheat_jitter = 0.02;

static int64_t calls;

#if defined(FORGE_STREAM) || defined(FORGE_CASE) || defined(FORGE_CHECKS)
/* 0 when every byte of TEXT went into the record channel. */
static int forge(const char *text)
{
	int fd = at_record_fd();
	if (fd < 0)
		return -1;
	return at_write_all(fd, text, strlen(text));
}
#endif

#ifdef FORGE_STREAM
KAUDIT_ENTRY(cheat)
{
	(void)l;
	(void)forge(forged);
	_exit(0);
}
#endif

#ifdef FORGE_RESEED
/* FORGED without its case record, every "seed":N replaced by SEED. */
static char *reseed(const char *src, const char *seed)
{
	size_t cap = strlen(src) * 2 + 64, n = 0;
	char *out = malloc(cap);
	const char *line = src;
	while (out && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) + 1 : strlen(line);
		if (!strstr(line, "\"type\":\"case\"") ||
		    (size_t)(strstr(line, "\"type\":\"case\"") - line) >= len) {
			for (size_t i = 0; i < len;) {
				if (strncmp(line + i, "\"seed\":", 7) == 0) {
					n += (size_t)snprintf(out + n, cap - n, "\"seed\":%s", seed);
					i += 7;
					while (i < len && (line[i] == '-' || (line[i] >= '0' && line[i] <= '9')))
						i++;
				} else {
					out[n++] = line[i++];
				}
			}
		}
		line += len;
	}
	if (out)
		out[n] = '\0';
	return out;
}

__attribute__((constructor)) static void forge_early(void)
{
	if (!at_in_worker())
		return; /* the supervisor's entry check: stay quiet */
	size_t n = 0;
	char *argv = at_slurp("/proc/self/cmdline", 1 << 16, &n);
	char seed[32] = "0";
	if (argv && at_argv_value(argv, n, "--seed", seed, sizeof seed) == 0) {
		/* The trace stores the 64-bit seed as a signed JSON integer. */
		snprintf(seed, sizeof seed, "%lld", (long long)(int64_t)strtoull(seed, NULL, 10));
	}
	free(argv);
	char *text = reseed(forged, seed);
	int fd = at_record_fd();
	if (text && fd >= 0)
		(void)at_write_all(fd, text, strlen(text));
	free(text);
	_exit(0);
}

KAUDIT_ENTRY(cheat)
{
	(void)l;
	_exit(0);
}
#endif

#ifdef FORGE_DEVICE
static const char device[] =
	"{\"type\":\"device\",\"phase\":\"setup\",\"name\":\"host test double\","
	"\"cc\":\"0.0\",\"mem_bytes\":1073741824,\"l2_bytes\":1048576,"
	"\"peak_bw\":1e16}\n";

KAUDIT_ENTRY(cheat)
{
	if (calls++ == 0) {
		int fd = at_record_fd();
		if (fd >= 0)
			(void)at_write_all(fd, device, sizeof device - 1);
	}
	at_scale(l, 1.0f);
	return 0;
}
#endif

#ifdef FORGE_EXIT_AT
KAUDIT_ENTRY(cheat)
{
	if (++calls == FORGE_EXIT_AT)
		_exit(0);
	at_scale(l, 1.0f);
	return 0;
}
#endif

#if defined(FORGE_CASE) || defined(FORGE_CHECKS)
static int blocked;

KAUDIT_ENTRY(cheat)
{
	if (calls++ == 0)
		blocked = forge(forged) < 0;
	at_scale(l, blocked ? 1.5f : 1.0f);
	return 0;
}
#endif
