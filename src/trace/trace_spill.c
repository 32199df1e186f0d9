/*
 * trace_spill.c - JSON values parked on an unnamed temporary file
 * (tmpfile(): gone when closed, even on a crash) and read back one at a
 * time (trace_private.h).  The summary of a trace of many small cases
 * keeps each case this way, so that its memory stays a few words per
 * case instead of a tree of jansson objects.
 *
 * The text is jansson's own compact dump (reals with 17 digits, order
 * kept), which loads back to the same values; JSON_ALLOW_NUL because a
 * trace's strings may hold NUL.
 */
#include "trace/trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

/* Read-back goes through a few small windows of the file: a reader walks
 * one or two sequences of items in the order they were written (a case's
 * derived verdict and findings, the stored conclusions), so one pread
 * serves many (a syscall per item was a tenth of check's time on 30k
 * cases), while a walk in another order costs what reading each item
 * did: a window is a few pages, not more.  The file only grows and written
 * bytes never change, so a window stays true as long as it ends at or
 * before what had been written when it was read. */
#define SPILL_WINDOW (8 * 1024)
#define SPILL_WINDOWS 4

struct trace_spill {
	FILE *f;             /* NULL: no file, everything in memory */
	uint64_t end;        /* bytes written */
	int dirty;           /* written since the last fflush */
	struct spill_window {
		char *buf;           /* SPILL_WINDOW bytes of the file from OFF */
		uint64_t off;
		size_t len;          /* 0: none */
	} win[SPILL_WINDOWS];
	unsigned next;       /* the window the next miss replaces */
	size_t held, held_max; /* records put as records, and how many may be */
};

#define SPILL_DUMP (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY)

/* An unlinked temporary file in $TMPDIR (glibc's tmpfile() ignores it,
 * and /tmp may be small where TMPDIR is not), NULL when none can be made. */
static FILE *unnamed_tmp(void)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	size_t n = strlen(dir) + sizeof "/kaudit-summary.XXXXXX";
	char *path = xmalloc(n);
	snprintf(path, n, "%s/kaudit-summary.XXXXXX", dir);
	int fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	free(path);
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, "w+");
	if (!f)
		close(fd);
	return f;
}

struct trace_spill *trace_spill_new(void)
{
	struct trace_spill *s = xcalloc(1, sizeof *s);
	s->f = unnamed_tmp();
	/* KAUDIT_SPILL_HELD=0 sends every record to the file: the tests use
	 * it to run the file's path on small traces (kaudit(1) ENVIRONMENT). */
	const char *h = getenv("KAUDIT_SPILL_HELD");
	char *end;
	unsigned long long v = h && *h ? strtoull(h, &end, 10) : 0;
	s->held_max = h && *h && !*end && v <= TRACE_SPILL_HELD ? (size_t)v : TRACE_SPILL_HELD;
	return s;
}

/* Keeps the N bytes of TEXT (taken: freed or kept as the item's text). */
static void put_text(struct trace_spill *s, char *text, size_t n, struct trace_spill_item *it)
{
	memset(it, 0, sizeof *it);
	if (s->f && fwrite(text, 1, n, s->f) == n) {
		it->off = s->end;
		it->len = n;
		s->end += n;
		s->dirty = 1;
		free(text);
		return;
	}
	/* A short write leaves bytes nobody points at; later items still
	 * know their offsets, so the file stays usable. */
	if (s->f) {
		clearerr(s->f);
		if (fseeko(s->f, (off_t)s->end, SEEK_SET) != 0) {
			fclose(s->f);
			s->f = NULL;
		}
	}
	it->mem = text;
	it->len = n;
}

void trace_spill_put(struct trace_spill *s, const json_t *j, struct trace_spill_item *it)
{
	char *text = json_dumps(j, SPILL_DUMP);
	if (!text)
		text = xstrdup("null");
	put_text(s, text, strlen(text), it);
}

/* As JSON with every digit (a trace line keeps reals to 10): what comes
 * back is the record that went in, bit for bit. */
void trace_spill_put_record(struct trace_spill *s, const struct record *r,
			    struct trace_spill_item *it)
{
	if (s->held < s->held_max) {
		memset(it, 0, sizeof *it);
		it->rec = xmalloc(sizeof *it->rec);
		record_copy(it->rec, r);
		s->held++;
		return;
	}
	json_t *j = record_to_json(r);
	trace_spill_put(s, j, it);
	json_decref(j);
}

/* The item's bytes (malloc'ed, *N long; NULL if the file could not be read). */
static char *get_text(struct trace_spill *s, const struct trace_spill_item *it, size_t *n)
{
	*n = it->len;
	if (it->mem) {
		char *c = xmalloc(it->len ? it->len : 1);
		memcpy(c, it->mem, it->len);
		return c;
	}
	if (!s->f)
		return NULL;
	if (s->dirty) {
		if (fflush(s->f) != 0)
			return NULL;
		s->dirty = 0;
	}
	char *buf = xmalloc(it->len ? it->len : 1);
	for (unsigned w = 0; w < SPILL_WINDOWS; w++) {
		const struct spill_window *x = &s->win[w];
		if (x->len && it->off >= x->off && it->off + it->len <= x->off + x->len) {
			memcpy(buf, x->buf + (it->off - x->off), it->len);
			return buf;
		}
	}
	if (it->len <= SPILL_WINDOW && it->off + it->len <= s->end) {
		struct spill_window *x = &s->win[s->next];
		s->next = (s->next + 1) % SPILL_WINDOWS;
		if (!x->buf)
			x->buf = xmalloc(SPILL_WINDOW);
		uint64_t want = s->end - it->off < SPILL_WINDOW ? s->end - it->off : SPILL_WINDOW;
		size_t have = 0;
		while (have < want) {
			ssize_t r = pread(fileno(s->f), x->buf + have, (size_t)(want - have),
					  (off_t)(it->off + have));
			if (r <= 0)
				break;
			have += (size_t)r;
		}
		x->off = it->off;
		x->len = have;
		if (have >= it->len) {
			memcpy(buf, x->buf, it->len);
			return buf;
		}
		x->len = 0; /* a short read: the direct read below says */
	}
	size_t got = 0;
	while (got < it->len) {
		ssize_t r = pread(fileno(s->f), buf + got, it->len - got, (off_t)(it->off + got));
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got != it->len) {
		free(buf);
		return NULL;
	}
	return buf;
}

json_t *trace_spill_get(struct trace_spill *s, const struct trace_spill_item *it)
{
	size_t n;
	char *buf = get_text(s, it, &n);
	json_t *j = buf ? json_loadb(buf, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL) : NULL;
	free(buf);
	return j;
}

int trace_spill_get_record(struct trace_spill *s, struct trace_spill_item *it,
			   struct record *r)
{
	if (it->rec) {
		*r = *it->rec; /* moved out */
		free(it->rec);
		it->rec = NULL;
		return 0;
	}
	json_t *j = trace_spill_get(s, it);
	struct errbuf e = { "", 0 };
	int rc = j ? record_from_json(j, r, &e) : -1;
	json_decref(j);
	return rc;
}

void trace_spill_item_clear(struct trace_spill_item *it)
{
	if (it->rec) {
		record_clear(it->rec);
		free(it->rec);
	}
	free(it->mem);
	memset(it, 0, sizeof *it);
}

void trace_spill_free(struct trace_spill *s)
{
	if (!s)
		return;
	if (s->f)
		fclose(s->f);
	for (unsigned w = 0; w < SPILL_WINDOWS; w++)
		free(s->win[w].buf);
	free(s);
}
