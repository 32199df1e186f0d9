/*
 * trace_write.c - the .kat writer: JSON Lines through gzip in several
 * members, a running sha256 of the uncompressed bytes, then the footer and
 * the signature line.  Everything goes to PATH.tmp.XXXXXX beside PATH and is
 * renamed into place only when complete, so a reader never sees a partial
 * file under the final name; a crash leaves the temporary file, whose
 * closed members `inspect` can still read.
 */
#include "trace/trace_private.h"
#include "util/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#define IN_BUF (256u << 10)  /* uncompressed bytes batched per deflate call */
#define OUT_BUF (256u << 10)

struct trace_writer {
	struct outfile of;       /* the temporary file beside the target (of.fd) */
	int fd;                  /* of.fd, -1 once closed */
	char *path, *tmp;        /* the target and the temporary file, for messages */
	z_stream z;
	EVP_MD_CTX *sha;         /* of the uncompressed lines before the footer */
	EVP_MD_CTX *zsha;        /* of the compressed bytes written (the .kat itself) */
	uint64_t zbytes;         /* how many */
	int64_t next_id;
	size_t member_records;   /* records in the member being written */
	unsigned char *in, *out;
	size_t inlen;
	char *header_pubkey;     /* the key the header names, checked at finish */
	int failed;              /* a write failed: the trace cannot be completed */
};

static int fail(struct trace_writer *w, struct errbuf *e, const char *what)
{
	w->failed = 1;
	return errbuf_set(e, EXIT_BAD_INPUT, "%s: %s: %s", w->tmp, what,
			  errno ? strerror(errno) : "failed");
}

/* Runs deflate over the batched input with FLUSH and writes its output. */
static int pump(struct trace_writer *w, int flush, struct errbuf *e)
{
	w->z.next_in = w->in;
	w->z.avail_in = (uInt)w->inlen;
	int zrc;
	do {
		w->z.next_out = w->out;
		w->z.avail_out = OUT_BUF;
		zrc = deflate(&w->z, flush);
		if (zrc == Z_STREAM_ERROR) {
			errno = 0;
			return fail(w, e, "gzip compression");
		}
		size_t have = OUT_BUF - w->z.avail_out;
		if (have && write_all(w->fd, w->out, have) < 0)
			return fail(w, e, "write");
		if (have && EVP_DigestUpdate(w->zsha, w->out, have) != 1) {
			errno = 0;
			return fail(w, e, "sha256");
		}
		w->zbytes += have;
	} while (w->z.avail_out == 0 || (flush == Z_FINISH && zrc != Z_STREAM_END));
	w->inlen = 0;
	return 0;
}

/* Ends the current gzip member so everything so far survives a crash. */
static int close_member(struct trace_writer *w, struct errbuf *e)
{
	if (w->member_records == 0 && w->inlen == 0)
		return 0;
	if (pump(w, Z_FINISH, e) < 0)
		return -1;
	deflateReset(&w->z); /* the next bytes start a new member */
	w->member_records = 0;
	return 0;
}

static int append(struct trace_writer *w, const char *line, size_t n, int hashed,
		  struct errbuf *e)
{
	if (hashed && EVP_DigestUpdate(w->sha, line, n) != 1) {
		errno = 0;
		return fail(w, e, "sha256");
	}
	while (n > 0) {
		size_t room = IN_BUF - w->inlen;
		size_t k = n < room ? n : room;
		memcpy(w->in + w->inlen, line, k);
		w->inlen += k;
		line += k;
		n -= k;
		if (w->inlen == IN_BUF && pump(w, Z_NO_FLUSH, e) < 0)
			return -1;
	}
	return 0;
}

int trace_writer_open(const char *path, struct trace_writer **out, struct errbuf *e)
{
	return trace_writer_open_for(path, NULL, 0, out, e);
}

int trace_writer_open_for(const char *path, const char *const *inputs, int unique,
			  struct trace_writer **out, struct errbuf *e)
{
	struct trace_writer *w = xcalloc(1, sizeof *w);
	if (outfile_open(&w->of, path, inputs, unique ? OUTFILE_UNIQUE : 0, e) < 0) {
		free(w);
		return -1;
	}
	w->fd = w->of.fd;
	w->path = xstrdup(w->of.target);
	w->tmp = xstrdup(w->of.tmp);
	/* 15 + 16: gzip wrapping.  Level 6: level 9 is 3x slower for ~5% less. */
	if (deflateInit2(&w->z, 6, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
		outfile_abort(&w->of);
		free(w->path);
		free(w->tmp);
		free(w);
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: zlib initialisation failed", path);
	}
	w->sha = EVP_MD_CTX_new();
	w->zsha = EVP_MD_CTX_new();
	if (!w->sha || EVP_DigestInit_ex(w->sha, EVP_sha256(), NULL) != 1 || !w->zsha ||
	    EVP_DigestInit_ex(w->zsha, EVP_sha256(), NULL) != 1) {
		trace_writer_abort(w);
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: sha256 initialisation failed", path);
	}
	w->in = xmalloc(IN_BUF);
	w->out = xmalloc(OUT_BUF);
	*out = w;
	return 0;
}

int trace_writer_add(struct trace_writer *w, struct record *r, struct errbuf *e)
{
	if (w->failed)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: an earlier write failed", w->tmp);
	if ((w->next_id == 0) != (r->type == REC_HEADER))
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: the header must be the first record, "
				  "and only the first", w->path);
	if (r->type == REC_FOOTER || r->type == REC_SIGNATURE)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: footer and signature are written by "
				  "trace_writer_finish", w->path);
	/* Room is kept for the footer and the signature. */
	if ((uint64_t)w->next_id + 3 > TRACE_MAX_RECORDS)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: a trace holds at most %u records, "
				  "footer and signature included", w->path, TRACE_MAX_RECORDS);
	r->id = w->next_id;
	char *line;
	size_t n;
	if (record_encode_line(r, &line, &n) < 0)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: record %lld cannot be encoded "
				  "(longer than %u bytes?)", w->path, (long long)r->id,
				  RECORD_MAX_LINE);
	int rc = append(w, line, n, 1, e);
	free(line);
	if (rc < 0)
		return -1;
	w->next_id++;
	w->member_records++;
	if (r->type == REC_HEADER) {
		w->header_pubkey = r->u.header.pubkey ? xstrdup(r->u.header.pubkey) : NULL;
		return close_member(w, e); /* a crash right away still leaves the header */
	}
	if (w->member_records >= TRACE_MEMBER_RECORDS)
		return close_member(w, e);
	return 0;
}

int trace_writer_flush(struct trace_writer *w, struct errbuf *e)
{
	if (w->failed)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: an earlier write failed", w->tmp);
	return close_member(w, e);
}

/* Appends R (footer or signature) without hashing it. */
static int add_trailer(struct trace_writer *w, struct record *r, struct errbuf *e)
{
	r->id = w->next_id++;
	char *line;
	size_t n;
	if (record_encode_line(r, &line, &n) < 0)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: cannot encode the %s", w->path,
				  record_type_name(r->type));
	int rc = append(w, line, n, 0, e);
	free(line);
	return rc;
}

/* The hex sha256 of what CTX has seen (CTX is finished). */
static int digest_hex(EVP_MD_CTX *ctx, char hex[65])
{
	unsigned char md[32];
	unsigned mdlen = 0;
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32)
		return -1;
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int trace_writer_finish(struct trace_writer *w, const struct trace_key *key,
			const json_t *predicate, struct errbuf *e)
{
	int rc = -1;
	if (w->failed) {
		errbuf_set(e, EXIT_BAD_INPUT, "%s: an earlier write failed", w->tmp);
		goto out;
	}
	if (w->next_id == 0) {
		errbuf_set(e, EXIT_BAD_INPUT, "%s: no header was written", w->path);
		goto out;
	}
	if (!w->header_pubkey || strcmp(w->header_pubkey, trace_key_public_pem(key)) != 0) {
		errbuf_set(e, EXIT_BAD_INPUT, "%s: the header's pubkey is not the signing "
			   "key's public half", w->path);
		goto out;
	}
	char hex[65], body_hex[65];
	if (digest_hex(w->sha, hex) < 0) {
		errno = 0;
		fail(w, e, "sha256");
		goto out;
	}
	struct record foot, sig;
	record_init(&foot, REC_FOOTER);
	foot.u.footer.records = w->next_id;
	foot.u.footer.sha256 = xstrdup(hex);
	record_init(&sig, REC_SIGNATURE);
	/* The footer ends the body's last member; the signature gets a member
	 * of its own, so the statement can name the exact bytes of the file
	 * that precede it (kaudit-trace(5), SIGNATURE). */
	if (add_trailer(w, &foot, e) == 0 && close_member(w, e) == 0) {
		if (digest_hex(w->zsha, body_hex) < 0) {
			errno = 0;
			fail(w, e, "sha256");
		} else {
			json_t *st = trace_statement(hex, body_hex, w->zbytes, predicate);
			sig.u.signature.dsse = trace_dsse_sign(st, key, e);
			json_decref(st);
		}
	}
	if (sig.u.signature.dsse && add_trailer(w, &sig, e) == 0 && close_member(w, e) == 0) {
		w->fd = -1; /* outfile_commit closes it, and removes what it made on failure */
		if (outfile_commit(&w->of, e) == 0)
			rc = 0;
	}
	record_clear(&foot);
	record_clear(&sig);
out:
	trace_writer_abort(w);
	return rc;
}

size_t trace_writer_records(const struct trace_writer *w)
{
	return (size_t)w->next_id;
}

const char *trace_writer_path(const struct trace_writer *w)
{
	return w->path;
}

void trace_writer_abort(struct trace_writer *w)
{
	if (!w)
		return;
	outfile_abort(&w->of); /* no-op after a commit */
	deflateEnd(&w->z);
	EVP_MD_CTX_free(w->sha);
	EVP_MD_CTX_free(w->zsha);
	free(w->in);
	free(w->out);
	free(w->header_pubkey);
	free(w->path);
	free(w->tmp);
	free(w);
}
