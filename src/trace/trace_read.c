/*
 * trace_read.c - reads a .kat as far as it can and records what it found:
 * gzip members, JSON lines, ids in sequence, the footer digest and count,
 * and the DSSE signature.  Only records of complete gzip members are kept,
 * so a writer killed mid-member leaves a readable prefix.  The reader never
 * judges: trace_integrity() turns the findings into a verdict.
 *
 * One core serves both readers: trace_read() keeps every record, and
 * trace_stream() (trace_stream.c) hands the records out case by case and
 * keeps none.  The core holds back the records of the gzip member it is
 * inside and hands them on ("commits" them) when the member ends, so both
 * see exactly the records of complete members, and it checks the order
 * rules of kaudit-trace(5) ORDER on what it commits, so both give the same
 * integrity verdict.
 */
#include "trace/trace_private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#define CHUNK (256u << 10)

/* A set of case indexes (open addressing, grows at half full): the cases
 * whose records have ended, so that a record of one of them later is seen
 * in constant time however many cases a trace has. */
struct case_set {
	int64_t *v;            /* REC_NONE marks an empty slot */
	size_t n, cap;
};

static size_t case_slot(const struct case_set *s, int64_t k)
{
	uint64_t h = (uint64_t)k * 0x9e3779b97f4a7c15ULL;
	size_t i = (size_t)(h >> 17) & (s->cap - 1);
	while (s->v[i] != REC_NONE && s->v[i] != k)
		i = (i + 1) & (s->cap - 1);
	return i;
}

static int case_set_has(const struct case_set *s, int64_t k)
{
	return s->cap && s->v[case_slot(s, k)] == k;
}

static void case_set_add(struct case_set *s, int64_t k)
{
	if (2 * (s->n + 1) > s->cap) {
		struct case_set g = { NULL, 0, s->cap ? 2 * s->cap : 64 };
		g.v = xmalloc(g.cap * sizeof *g.v);
		for (size_t i = 0; i < g.cap; i++)
			g.v[i] = REC_NONE;
		for (size_t i = 0; i < s->cap; i++)
			if (s->v[i] != REC_NONE) {
				g.v[case_slot(&g, s->v[i])] = s->v[i];
				g.n++;
			}
		free(s->v);
		*s = g;
	}
	size_t i = case_slot(s, k);
	if (s->v[i] == REC_NONE) {
		s->v[i] = k;
		s->n++;
	}
}

/* A committed verdict record, for check_predicate: its case and verdict. */
struct verdict_seen {
	int64_t case_index;
	char *verdict;
};

struct reader {
	const char *name;
	struct trace_contents *c;
	EVP_MD_CTX *sha;
	size_t lines;          /* complete lines seen */
	/* Records of the member being read, not yet committed, and the line
	 * (0-based) each came from. */
	struct record_list held;
	size_t *held_line, held_cap;
	size_t kept;           /* records committed or held: TRACE_MAX_RECORDS counts these */
	trace_deliver_fn deliver; /* takes each committed record */
	void *deliver_ctx;
	/* What the order rules need (kaudit-trace(5) ORDER). */
	int64_t open_case;     /* the case whose records were committed last, REC_NONE */
	struct case_set ended; /* cases whose records were followed by another case's */
	int cases_began, device_seen;
	int committed_footer, committed_signature;
	char *header_sha;      /* the header's manifest_sha256, for check_predicate */
	struct verdict_seen *verdicts;
	size_t nverdicts, verdicts_cap;
	int after_footer, after_signature;
	char *pending;         /* a line split across inflate outputs */
	size_t plen, pcap;
	int fatal;             /* stop reading: a line too long, too many records */
	struct trace_key *key; /* the header's signer key */
	char footer_sha[65];   /* what the footer claims */
	EVP_MD_CTX *zsha;      /* of the compressed bytes consumed so far */
	uint64_t zbytes;       /* how many */
	EVP_MD_CTX *member_end; /* zsha at the end of the last complete member */
	uint64_t member_end_bytes;
	size_t member_end_lines; /* lines read by then */
	int member_ended;       /* a member has ended */
};

static void problem(struct reader *r, const char *fmt, ...) KAUDIT_PRINTF(2, 3);
static void problem(struct reader *r, const char *fmt, ...)
{
	if (r->c->problem[0])
		return; /* keep the first: later ones usually follow from it */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->c->problem, sizeof r->c->problem, fmt, ap);
	va_end(ap);
}

static void finish_digest(struct reader *r)
{
	unsigned char md[32];
	unsigned n = 0;
	if (EVP_DigestFinal_ex(r->sha, md, &n) != 1 || n != 32)
		return;
	for (int i = 0; i < 32; i++)
		snprintf(r->c->computed_sha256 + 2 * i, 3, "%02x", md[i]);
}

static void on_footer(struct reader *r, const struct record *rec, size_t line)
{
	struct trace_contents *c = r->c;
	c->has_footer = 1;
	r->after_footer = 1;
	finish_digest(r);
	snprintf(r->footer_sha, sizeof r->footer_sha, "%s", rec->u.footer.sha256);
	if (rec->u.footer.records != (int64_t)line)
		problem(r, "footer counts %lld records but %zu precede it",
			(long long)rec->u.footer.records, line);
	else if (strcmp(rec->u.footer.sha256, c->computed_sha256) != 0)
		problem(r, "sha256 of the records does not match the footer");
	else
		c->digest_ok = 1;
}

static void on_signature(struct reader *r, const struct record *rec, size_t line)
{
	struct trace_contents *c = r->c;
	c->has_signature = 1;
	r->after_signature = 1;
	if (!r->key) {
		problem(r, "the header names no signer key");
		return;
	}
	const char *footer_sha = r->footer_sha;
	char why[ERRBUF_LEN];
	json_t *st = NULL;
	/* The file's bytes before the signature: known when the signature line
	 * is the first of a member (the writer gives it one of its own). */
	struct trace_body body = { 0, 0, "" };
	if (r->member_ended && r->member_end_lines == line) {
		EVP_MD_CTX *copy = EVP_MD_CTX_new();
		unsigned char md[32];
		unsigned mdlen = 0;
		if (copy && EVP_MD_CTX_copy_ex(copy, r->member_end) == 1 &&
		    EVP_DigestFinal_ex(copy, md, &mdlen) == 1 && mdlen == 32) {
			for (int i = 0; i < 32; i++)
				snprintf(body.sha256 + 2 * i, 3, "%02x", md[i]);
			body.bytes = r->member_end_bytes;
			body.known = 1;
		}
		EVP_MD_CTX_free(copy);
	}
	int bound = 0;
	struct trace_pred_cases *pc = NULL;
	if (trace_dsse_verify(rec->u.signature.dsse, r->key, footer_sha, &body, &bound, &st, &pc,
			      why, sizeof why) < 0) {
		problem(r, "%s", why);
		return;
	}
	json_decref(c->statement);
	c->statement = st;
	trace_pred_cases_free(c->pred_cases);
	c->pred_cases = pc;
	c->signature_ok = c->digest_ok;
	c->file_bound = bound;
	c->body_bytes = bound ? body.bytes : 0;
}

/* Judges one complete line (S[N] is its '\n'); returns -1 only when the
 * file is not a kaudit trace at all. */
static int on_line(struct reader *r, const char *s, size_t n, struct errbuf *e)
{
	struct trace_contents *c = r->c;
	size_t line = r->lines++;
	if (r->after_signature) {
		problem(r, "line %zu: data after the signature", line + 1);
		return 0;
	}
	struct record rec;
	struct errbuf why = { "", 0 };
	int bad = record_decode_line(s, n, &rec, &why) < 0;
	/* The digest covers every byte before the footer line. */
	if (!r->after_footer && (bad || rec.type != REC_FOOTER) &&
	    EVP_DigestUpdate(r->sha, s, n + 1) != 1) {
		if (!bad)
			record_clear(&rec);
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: sha256 failed", r->name);
	}
	if (bad) {
		if (line == 0)
			return errbuf_set(e, EXIT_BAD_INPUT, "%s: not a kaudit trace (%s)",
					  r->name, why.msg);
		problem(r, "line %zu: %s", line + 1, why.msg);
		return 0;
	}
	if ((line == 0) != (rec.type == REC_HEADER)) {
		record_clear(&rec);
		if (line == 0)
			return errbuf_set(e, EXIT_BAD_INPUT,
					  "%s: not a kaudit trace (first record is not a header)",
					  r->name);
		problem(r, "line %zu: a second header", line + 1);
		return 0;
	}
	if (rec.id != (int64_t)line)
		problem(r, "line %zu: record id %lld where %zu was expected (a record was "
			"deleted, duplicated or moved)", line + 1, (long long)rec.id, line);
	if (line == 0 && rec.u.header.manifest_sha256)
		r->header_sha = xstrdup(rec.u.header.manifest_sha256);
	if (line == 0 && rec.u.header.pubkey) {
		struct errbuf ke;
		if (trace_key_from_pem(rec.u.header.pubkey, &r->key, &ke) == 0)
			memcpy(c->keyid, trace_key_id(r->key), sizeof c->keyid);
		else
			problem(r, "header: signer key: %s", ke.msg);
	}
	if (rec.type == REC_FOOTER) {
		if (r->after_footer)
			problem(r, "line %zu: a second footer", line + 1);
		else
			on_footer(r, &rec, line);
	} else if (rec.type == REC_SIGNATURE) {
		if (!r->after_footer)
			problem(r, "line %zu: signature before the footer", line + 1);
		else
			on_signature(r, &rec, line);
	} else if (r->after_footer) {
		problem(r, "line %zu: a %s record after the footer", line + 1,
			record_type_name(rec.type));
	}
	if (r->kept >= TRACE_MAX_RECORDS) {
		record_clear(&rec);
		problem(r, "more than %u records", TRACE_MAX_RECORDS);
		r->fatal = 1;
		return 0;
	}
	xgrow((void **)&r->held_line, &r->held_cap, r->held.n + 1, sizeof *r->held_line);
	r->held_line[r->held.n] = line;
	record_list_push(&r->held, &rec);
	r->kept++;
	return 0;
}

int trace_case_record(const struct record *r)
{
	switch (r->type) {
	case REC_HEADER:
	case REC_FINDING:
	case REC_VERDICT:
	case REC_FOOTER:
	case REC_SIGNATURE:
		return 0;
	default:
		return r->case_index != REC_NONE;
	}
}

/* The order rules of kaudit-trace(5) ORDER, on one committed record from
 * LINE (0-based): a case's measured records are contiguous, and the first
 * audit-wide device record comes before every case's.  A streaming reader
 * analyses a case when its records end, so a record that breaks these
 * rules would be judged apart from its case: that is a format problem. */
static void check_order(struct reader *r, const struct record *rec, size_t line)
{
	if (trace_case_record(rec)) {
		int64_t k = rec->case_index;
		if (k == r->open_case)
			return;
		if (r->open_case != REC_NONE)
			case_set_add(&r->ended, r->open_case);
		if (case_set_has(&r->ended, k))
			problem(r, "line %zu: a record of case %lld after other cases' records "
				"began (a case's records must be contiguous)", line + 1,
				(long long)k);
		r->open_case = k;
		r->cases_began = 1;
	} else if (rec->type == REC_DEVICE && rec->case_index == REC_NONE && !r->device_seen) {
		r->device_seen = 1;
		if (r->cases_began)
			problem(r, "line %zu: the audit-wide device record comes after the "
				"cases' records began", line + 1);
	}
}

/* The member ended: its records are committed, in order. */
static void commit(struct reader *r)
{
	for (size_t i = 0; i < r->held.n; i++) {
		struct record *rec = &r->held.v[i];
		check_order(r, rec, r->held_line[i]);
		r->committed_footer |= rec->type == REC_FOOTER;
		r->committed_signature |= rec->type == REC_SIGNATURE;
		if (rec->type == REC_VERDICT && rec->u.verdict.verdict) {
			xgrow((void **)&r->verdicts, &r->verdicts_cap, r->nverdicts + 1,
			      sizeof *r->verdicts);
			r->verdicts[r->nverdicts++] = (struct verdict_seen){
				rec->case_index, xstrdup(rec->u.verdict.verdict) };
		}
		r->c->nrecords++;
		r->deliver(r->deliver_ctx, rec);
		record_clear(rec);
	}
	r->held.n = 0;
}

/* Drops what was held: records of a member that never ended. */
static void drop_held(struct reader *r)
{
	for (size_t i = 0; i < r->held.n; i++)
		record_clear(&r->held.v[i]);
	r->kept -= r->held.n;
	r->held.n = 0;
}

/* Splits inflated bytes into lines; a partial line waits in r->pending. */
static int on_bytes(struct reader *r, const char *p, size_t n, struct errbuf *e)
{
	while (n > 0 && !r->fatal) {
		const char *nl = memchr(p, '\n', n);
		size_t k = nl ? (size_t)(nl - p) : n;
		if (r->plen + k > RECORD_MAX_LINE) {
			problem(r, "line %zu: longer than %u bytes", r->lines + 1, RECORD_MAX_LINE);
			r->fatal = 1;
			return r->lines == 0 ? errbuf_set(e, EXIT_BAD_INPUT,
				"%s: not a kaudit trace (first line too long)", r->name) : 0;
		}
		if (!nl || r->plen) {
			xgrow((void **)&r->pending, &r->pcap, r->plen + k + 1, 1);
			memcpy(r->pending + r->plen, p, k);
			r->plen += k;
		}
		if (!nl)
			return 0;
		int rc;
		if (r->plen) {
			r->pending[r->plen] = '\n';
			rc = on_line(r, r->pending, r->plen, e);
		} else {
			rc = on_line(r, p, k, e);
		}
		r->plen = 0;
		if (rc < 0)
			return -1;
		p += k + 1;
		n -= k + 1;
	}
	return 0;
}

/* Whether what was read so far is (the start of) a kaudit trace, so that
 * damage to it is an integrity problem and not "not a trace". */
static int looks_like_trace(const struct reader *r)
{
	static const char head[] = "{\"type\":\"header\"";
	size_t k = r->plen < sizeof head - 1 ? r->plen : sizeof head - 1;
	return r->lines > 0 || (k > 0 && memcmp(r->pending, head, k) == 0);
}

/* Adds N raw (compressed) bytes to the file's running digest; AT_END: they
 * end a gzip member, so remember the digest and the line count there. */
static int hash_raw(struct reader *r, const unsigned char *p, size_t n, int at_end)
{
	if (n && EVP_DigestUpdate(r->zsha, p, n) != 1)
		return -1;
	r->zbytes += n;
	if (!at_end)
		return 0;
	if (EVP_MD_CTX_copy_ex(r->member_end, r->zsha) != 1)
		return -1;
	r->member_end_bytes = r->zbytes;
	r->member_end_lines = r->lines;
	r->member_ended = 1;
	return 0;
}

/* Inflates FD member after member; sets complete_gzip when the last member
 * ended exactly at the end of the file. */
static int inflate_all(struct reader *r, int fd, struct errbuf *e)
{
	unsigned char *in = xmalloc(CHUNK), *out = xmalloc(CHUNK);
	z_stream z;
	memset(&z, 0, sizeof z);
	int rc = -1, ended = 0, started = 0;
	if (inflateInit2(&z, 15 + 16) != Z_OK) {
		errbuf_set(e, EXIT_BAD_INPUT, "%s: zlib initialisation failed", r->name);
		goto out;
	}
	for (;;) {
		ssize_t got = read(fd, in, CHUNK);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", r->name, strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		if (!started) {
			started = 1;
			if (got < 2 || in[0] != 0x1f || in[1] != 0x8b) {
				errbuf_set(e, EXIT_BAD_INPUT, "%s: not a kaudit trace (not gzip)",
					   r->name);
				goto out;
			}
		}
		z.next_in = in;
		z.avail_in = (uInt)got;
		size_t hashed = 0; /* bytes of IN already in r->zsha */
		while (z.avail_in > 0 && !r->fatal) {
			if (ended) { /* another member follows */
				inflateReset(&z);
				ended = 0;
			}
			z.next_out = out;
			z.avail_out = CHUNK;
			int zrc = inflate(&z, Z_NO_FLUSH);
			if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR) {
				if (CHUNK - z.avail_out == 0 && !looks_like_trace(r)) {
					errbuf_set(e, EXIT_BAD_INPUT,
						   "%s: not a kaudit trace (corrupt gzip)", r->name);
					goto out;
				}
				problem(r, "corrupt gzip data after %zu lines (%s)", r->lines,
					z.msg ? z.msg : "inflate error");
				r->fatal = 1;
				break;
			}
			if (on_bytes(r, (char *)out, CHUNK - z.avail_out, e) < 0)
				goto out;
			if (zrc == Z_STREAM_END) {
				ended = 1;
				commit(r);
				if (r->plen)
					problem(r, "a gzip member ends inside a line");
				size_t used = (size_t)got - z.avail_in;
				if (hash_raw(r, in + hashed, used - hashed, 1) < 0) {
					errbuf_set(e, EXIT_BAD_INPUT, "%s: sha256 failed", r->name);
					goto out;
				}
				hashed = used;
			}
		}
		if (r->fatal)
			break;
		if (hash_raw(r, in + hashed, (size_t)got - hashed, 0) < 0) {
			errbuf_set(e, EXIT_BAD_INPUT, "%s: sha256 failed", r->name);
			goto out;
		}
	}
	if (!started) {
		errbuf_set(e, EXIT_BAD_INPUT, "%s: not a kaudit trace (empty file)", r->name);
		goto out;
	}
	if (r->lines == 0) {
		/* Not one complete line: a truncated trace if what there is looks
		 * like the start of a header, else not a trace. */
		if (!looks_like_trace(r)) {
			errbuf_set(e, EXIT_BAD_INPUT, "%s: not a kaudit trace (no header line)",
				   r->name);
			goto out;
		}
	}
	r->c->complete_gzip = ended && !r->fatal;
	if (!ended && !r->fatal)
		problem(r, "truncated: the last gzip member is incomplete (interrupted writer "
			"or cut file)");
	rc = 0;
out:
	inflateEnd(&z);
	free(in);
	free(out);
	return rc;
}

static int cmp_verdict_seen(const void *x, const void *y)
{
	const struct verdict_seen *a = x, *b = y;
	if (a->case_index != b->case_index)
		return (a->case_index > b->case_index) - (a->case_index < b->case_index);
	return strcmp(a->verdict, b->verdict);
}

/* The signed predicate must say what the records say: the claim digest
 * and each case's verdict.  The signature covers the records through the
 * footer digest, so a disagreement means the signer lied or erred.  The
 * verdicts committed are sorted once and each predicate case looked up,
 * so this is n log n however many cases there are. */
static void check_predicate(struct reader *r, const struct rec_header *h)
{
	struct trace_contents *c = r->c;
	const json_t *p = json_object_get(c->statement, "predicate");
	const char *sha = json_string_value(json_object_get(p, "claim_sha256"));
	const char *msha = h ? h->manifest_sha256 : NULL;
	if ((sha || msha) && (!sha || !msha || strcmp(sha, msha) != 0)) {
		problem(r, "the signed statement's claim_sha256 is not the header's manifest_sha256");
		return;
	}
	/* none: no array at all (xsort takes that) */
	xsort(r->verdicts, r->nverdicts, sizeof *r->verdicts, cmp_verdict_seen);
	const json_t *tree = json_object_get(p, "cases");
	size_t n = c->pred_cases ? trace_pred_cases_count(c->pred_cases) : json_array_size(tree);
	for (size_t i = 0; i < n; i++) {
		json_t *pc = c->pred_cases ? trace_pred_case(c->pred_cases, i)
			     : json_incref(json_array_get(tree, i));
		const json_t *k = json_object_get(pc, "case");
		const char *v = json_string_value(json_object_get(pc, "verdict"));
		int found = 0;
		if (json_is_integer(k) && v) {
			struct verdict_seen key = { json_integer_value(k), (char *)v };
			found = bsearch(&key, r->verdicts, r->nverdicts, sizeof *r->verdicts,
					cmp_verdict_seen) != NULL;
		}
		long long shown = json_is_integer(k) ? (long long)json_integer_value(k) : -1LL;
		json_decref(pc);
		if (!found) {
			problem(r, "the signed statement's verdict for case %lld is not the "
				"trace's", shown);
			return;
		}
	}
}

/* After the first member failed to give a header: does a later member
 * decode to kaudit records?  Then this is a trace whose header member was
 * damaged (integrity, exit 4), not some other gzip file (exit 2). */
static int later_member_is_trace(int fd)
{
	enum { SCAN = 1 << 20 };
	if (lseek(fd, 0, SEEK_SET) != 0)
		return 0;
	unsigned char *buf = xmalloc(SCAN);
	ssize_t n = 0, got;
	while (n < SCAN && (got = read(fd, buf + n, (size_t)(SCAN - n))) > 0)
		n += got;
	static const char want[] = "{\"type\":\"";
	char out[sizeof want - 1];
	int found = 0;
	for (ssize_t i = 1; i + 3 <= n && !found; i++) {
		if (buf[i] != 0x1f || buf[i + 1] != 0x8b || buf[i + 2] != 8)
			continue;
		z_stream z;
		memset(&z, 0, sizeof z);
		if (inflateInit2(&z, 15 + 16) != Z_OK)
			break;
		z.next_in = buf + i;
		z.avail_in = (uInt)(n - i);
		z.next_out = (unsigned char *)out;
		z.avail_out = sizeof out;
		int zrc = inflate(&z, Z_NO_FLUSH);
		found = (zrc == Z_OK || zrc == Z_STREAM_END) && z.avail_out == 0 &&
			memcmp(out, want, sizeof out) == 0;
		inflateEnd(&z);
	}
	free(buf);
	return found;
}

int trace_read_core(int fd, const char *name, trace_deliver_fn deliver, void *ctx,
		    struct trace_contents *out, struct errbuf *e)
{
	memset(out, 0, sizeof *out);
	struct reader r = { .name = name, .c = out, .deliver = deliver, .deliver_ctx = ctx,
			    .open_case = REC_NONE };
	r.sha = EVP_MD_CTX_new();
	r.zsha = EVP_MD_CTX_new();
	r.member_end = EVP_MD_CTX_new();
	struct rec_header header;
	int rc = -1;
	if (!r.sha || EVP_DigestInit_ex(r.sha, EVP_sha256(), NULL) != 1 || !r.zsha ||
	    EVP_DigestInit_ex(r.zsha, EVP_sha256(), NULL) != 1 || !r.member_end) {
		errbuf_set(e, EXIT_BAD_INPUT, "%s: sha256 initialisation failed", name);
		goto out;
	}
	if (inflate_all(&r, fd, e) < 0) {
		if (!e || r.lines > 0 || !strstr(e->msg, "not a kaudit trace (") ||
		    strstr(e->msg, "(not gzip)") || strstr(e->msg, "(empty file)") ||
		    !later_member_is_trace(fd))
			goto out;
		/* Nothing was committed: no line decoded. */
		memset(out, 0, sizeof *out);
		problem(&r, "the header's gzip member is damaged (later members hold "
			"kaudit records)");
	} else if (out->nrecords == 0 && r.held.n == 0 && !out->problem[0]) {
		problem(&r, "no complete gzip member");
	}
	/* Keep only what complete members hold; a digest or signature verdict
	 * from a member that did not end cleanly is void. */
	if (!out->complete_gzip) {
		drop_held(&r);
		out->has_footer = r.committed_footer;
		out->has_signature = r.committed_signature;
		out->digest_ok = out->signature_ok = out->file_bound = 0;
	}
	if (out->signature_ok && out->statement) {
		/* The header, from the key the reader kept: check_predicate needs
		 * only its manifest digest. */
		memset(&header, 0, sizeof header);
		header.manifest_sha256 = r.header_sha;
		check_predicate(&r, &header);
	}
	if (r.plen && out->complete_gzip)
		problem(&r, "the last line has no newline");
	if (out->complete_gzip && !out->has_footer)
		problem(&r, "truncated: no footer (an unfinished or cut trace)");
	else if (out->complete_gzip && !out->has_signature)
		problem(&r, "no signature: the trace is unsigned (cut after its footer?)");
	rc = 0;
out:
	if (rc < 0) {
		json_decref(out->statement);
		out->statement = NULL;
		trace_pred_cases_free(out->pred_cases);
		out->pred_cases = NULL;
	}
	drop_held(&r);
	record_list_free(&r.held);
	free(r.held_line);
	free(r.ended.v);
	for (size_t i = 0; i < r.nverdicts; i++)
		free(r.verdicts[i].verdict);
	free(r.verdicts);
	free(r.header_sha);
	EVP_MD_CTX_free(r.sha);
	EVP_MD_CTX_free(r.zsha);
	EVP_MD_CTX_free(r.member_end);
	trace_key_free(r.key);
	free(r.pending);
	return rc;
}

static void keep_record(void *ctx, struct record *r)
{
	record_list_push(ctx, r);
}

int trace_read_fd(int fd, const char *name, struct trace_contents *out, struct errbuf *e)
{
	struct record_list all = { NULL, 0, 0 };
	int rc = trace_read_core(fd, name, keep_record, &all, out, e);
	if (rc < 0)
		record_list_free(&all);
	else
		out->records = all;
	return rc;
}

int trace_read(const char *path, struct trace_contents *out, struct errbuf *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		memset(out, 0, sizeof *out);
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", path, strerror(errno));
	}
	int rc = trace_read_fd(fd, path, out, e);
	close(fd);
	return rc;
}

void trace_contents_free(struct trace_contents *c)
{
	record_list_free(&c->records);
	json_decref(c->statement);
	c->statement = NULL;
	trace_pred_cases_free(c->pred_cases);
	c->pred_cases = NULL;
}

int trace_integrity(const struct trace_contents *c, const struct trace_key *pub,
		    struct errbuf *e)
{
	if (c->problem[0])
		return errbuf_set(e, EXIT_INTEGRITY, "%s", c->problem);
	if (!c->complete_gzip || !c->has_footer || !c->has_signature || !c->digest_ok ||
	    !c->signature_ok)
		return errbuf_set(e, EXIT_INTEGRITY, "the trace is incomplete or unsigned");
	if (pub && strcmp(trace_key_id(pub), c->keyid) != 0)
		return errbuf_set(e, EXIT_INTEGRITY, "signed by key %.16s..., not by the "
				  "expected key %.16s...", c->keyid, trace_key_id(pub));
	return 0;
}
