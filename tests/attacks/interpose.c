/*
 * interpose.c - an honest candidate that happens to define functions with
 * the names of kaudit internals (tests/sh/attack_interpose.sh): xmalloc,
 * record_emit and errbuf_set are common enough names.  Its own calls must
 * reach its own definitions; kaudit's must not be reachable from it at all.
 *
 * It computes the right answer (100x faster than the baseline) only when
 * that holds; otherwise it answers y = 2x + 1 + 16 * MASK, so that the
 * compare check's max_abs says what went wrong:
 *   1  its call to xmalloc ran someone else's xmalloc
 *   2  &record_emit is not its record_emit (calling it would run kaudit's)
 *   4  &errbuf_set is not its errbuf_set
 *   8  kaudit's record_encode_line resolves from the candidate (weakly)
 */
#include "attack.h"

const double cheat_cost_ns = 40000, cheat_jitter = 0.02;

static int mine;

void *xmalloc(size_t n);
void *xmalloc(size_t n)
{
	mine = 1;
	return malloc(n ? n : 1);
}

static int my_record_emit(const void *sink, const void *rec)
{
	(void)sink;
	(void)rec;
	return 7;
}
int record_emit(const void *sink, const void *rec) __attribute__((alias("my_record_emit")));

static int my_errbuf_set(void *e, int code, const char *fmt, ...)
{
	(void)e;
	(void)fmt;
	return code + 1;
}
int errbuf_set(void *e, int code, const char *fmt, ...) __attribute__((alias("my_errbuf_set")));

/* Not defined here: non-NULL only when kaudit exports it. */
extern int record_encode_line(const void *r, char **line, size_t *len) __attribute__((weak));

KAUDIT_ENTRY(cheat)
{
	int mask = 0;
	mine = 0;
	free(xmalloc(16));
	if (!mine)
		mask |= 1;
	/* Through the GOT, as any call would go: interposed if kaudit's. */
	int (*volatile re)(const void *, const void *) = record_emit;
	if ((void *)re != (void *)my_record_emit || re(NULL, NULL) != 7)
		mask |= 2;
	int (*volatile es)(void *, int, const char *, ...) = errbuf_set;
	if ((void *)es != (void *)my_errbuf_set || es(NULL, 1, "x") != 2)
		mask |= 4;
	if (record_encode_line)
		mask |= 8;
	at_scale(l, 1.0f + 16.0f * (float)mask);
	return 0;
}
