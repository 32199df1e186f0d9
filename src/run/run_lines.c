/*
 * run_lines.c - splitting a worker's output into lines, with ceilings, and
 * keeping the tail of a stream for messages.
 *
 * A worker is untrusted: a line without end or a flood of stderr must not
 * grow the supervisor's memory without bound (STYLE P5).
 */
#include "run/run.h"

#include <stdlib.h>
#include <string.h>

void run_lines_init(struct run_lines *l, size_t max)
{
	memset(l, 0, sizeof *l);
	l->max = max ? max : RECORD_MAX_LINE;
}

void run_lines_release(struct run_lines *l)
{
	free(l->buf);
	l->buf = NULL;
	l->len = l->cap = 0;
}

size_t run_lines_pending(const struct run_lines *l)
{
	return l->len;
}

static int too_long(const struct run_lines *l, struct errbuf *e)
{
	return errbuf_set(e, EXIT_BAD_INPUT, "line %lld is longer than %zu bytes",
			  (long long)l->lineno + 1, l->max);
}

/* Appends to the carried partial line, refusing to pass the ceiling: a line
 * of max bytes includes its '\n', so at most max - 1 bytes are carried. */
static int carry(struct run_lines *l, const char *data, size_t n, struct errbuf *e)
{
	if (n > l->max - 1 - l->len)
		return too_long(l, e);
	xgrow((void **)&l->buf, &l->cap, l->len + n, 1);
	memcpy(l->buf + l->len, data, n);
	l->len += n;
	return 0;
}

int run_lines_feed(struct run_lines *l, const char *data, size_t n, run_line_fn fn,
		   void *ctx, struct errbuf *e)
{
	while (n > 0) {
		const char *nl = memchr(data, '\n', n);
		size_t take = nl ? (size_t)(nl - data) : n;
		if (!nl)
			return carry(l, data, take, e);
		const char *line = data;
		size_t len = take;
		if (l->len > 0) {
			/* The line began in an earlier feed: complete it in buf. */
			if (carry(l, data, take, e) < 0)
				return -1;
			line = l->buf;
			len = l->len;
		} else if (len > l->max - 1) {
			return too_long(l, e);
		}
		l->lineno++;
		int rc = fn(ctx, line, len, e);
		l->len = 0;
		if (rc < 0)
			return -1;
		data += take + 1;
		n -= take + 1;
	}
	return 0;
}

void run_tail_append(struct run_tail *t, const char *data, size_t n)
{
	if (n >= RUN_TAIL_MAX) {
		/* Only the last RUN_TAIL_MAX bytes of DATA can survive. */
		t->truncated |= t->len > 0 || n > RUN_TAIL_MAX;
		memcpy(t->buf, data + n - RUN_TAIL_MAX, RUN_TAIL_MAX);
		t->len = RUN_TAIL_MAX;
	} else {
		size_t keep = t->len;
		if (keep + n > RUN_TAIL_MAX) {
			size_t drop = keep + n - RUN_TAIL_MAX;
			memmove(t->buf, t->buf + drop, keep - drop);
			keep -= drop;
			t->truncated = 1;
		}
		memcpy(t->buf + keep, data, n);
		t->len = keep + n;
	}
	t->buf[t->len] = '\0';
}

void run_tail_last_line(const struct run_tail *t, char *out, size_t cap)
{
	if (cap == 0)
		return;
	out[0] = '\0';
	size_t end = t->len;
	/* Skip trailing blank lines and whitespace. */
	while (end > 0 && (t->buf[end - 1] == '\n' || t->buf[end - 1] == '\r' ||
			   t->buf[end - 1] == ' ' || t->buf[end - 1] == '\t'))
		end--;
	size_t start = end;
	while (start > 0 && t->buf[start - 1] != '\n')
		start--;
	size_t n = end - start;
	if (n > cap - 1)
		n = cap - 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t->buf[start + i];
		out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out[n] = '\0';
}
