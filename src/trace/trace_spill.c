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

struct trace_spill {
	FILE *f;             /* NULL: no file, everything in memory */
	uint64_t end;        /* bytes written */
	int dirty;           /* written since the last fflush */
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

int trace_spill_get_record(struct trace_spill *s, const struct trace_spill_item *it,
			   struct record *r)
{
	json_t *j = trace_spill_get(s, it);
	struct errbuf e = { "", 0 };
	int rc = j ? record_from_json(j, r, &e) : -1;
	json_decref(j);
	return rc;
}

void trace_spill_item_clear(struct trace_spill_item *it)
{
	free(it->mem);
	memset(it, 0, sizeof *it);
}

void trace_spill_free(struct trace_spill *s)
{
	if (!s)
		return;
	if (s->f)
		fclose(s->f);
	free(s);
}
