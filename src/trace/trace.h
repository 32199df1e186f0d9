/*
 * trace.h - the signed audit trace (.kat, kaudit-trace(5)): writer, reader,
 * signing keys.  Only this header leaves src/trace/ (with record.h).
 *
 * Writer: gzip JSON Lines in several members, a running sha256 of the
 * uncompressed bytes, the footer, then the DSSE signature line; written to a
 * temporary file beside PATH and renamed into place by trace_writer_finish.
 */
#ifndef KAUDIT_TRACE_H
#define KAUDIT_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "trace/record.h"
#include "util/util.h"

/* A member is closed at least every this many records (DESIGN section 7). */
#define TRACE_MEMBER_RECORDS 4096
/* The most lines a trace holds, footer and signature included: the writer
 * refuses a record past it and every reader takes this many, so kaudit
 * never writes a trace that check refuses (kaudit-trace(5)). */
#define TRACE_MAX_RECORDS (1u << 24)

struct trace_key;     /* an Ed25519 key pair (private half may be absent) */
struct trace_writer;

/* Loads the private key at PATH (PKCS#8 PEM); refuses files readable by group
 * or others.  PATH NULL: $KAUDIT_KEY, else $XDG_CONFIG_HOME/kaudit/key.pem
 * (~/.config/kaudit/key.pem), created on first use.  This module does not
 * print: when it created the key it returns 0 with E->msg holding the note
 * for the caller to print (E->code EXIT_OK); otherwise E->msg is "". */
int trace_key_load(const char *path, struct trace_key **out, struct errbuf *e) KAUDIT_MUST_CHECK;
/* Loads a public key (SPKI PEM) from a file or a PEM string. */
int trace_key_load_public(const char *path, struct trace_key **out, struct errbuf *e) KAUDIT_MUST_CHECK;
int trace_key_from_pem(const char *pem, struct trace_key **out, struct errbuf *e) KAUDIT_MUST_CHECK;
/* The same from the SPKI DER (exactly one key, no trailing bytes). */
int trace_key_from_der(const unsigned char *der, size_t n, struct trace_key **out,
		       struct errbuf *e) KAUDIT_MUST_CHECK;
/* Generates a key pair: PATH (0600, refuses to overwrite) and PATH.pub,
 * creating missing parent directories (0700). */
int trace_key_generate(const char *path, struct errbuf *e) KAUDIT_MUST_CHECK;
/* SPKI PEM of the public half (owned by the key). */
const char *trace_key_public_pem(const struct trace_key *k);
/* keyid: sha256 hex of the public key's DER. */
const char *trace_key_id(const struct trace_key *k);
void trace_key_free(struct trace_key *k);
/* 1 when K holds a private half (can sign). */
int trace_key_has_private(const struct trace_key *k);
/* The default private key path ($XDG_CONFIG_HOME/kaudit/key.pem or
 * ~/.config/kaudit/key.pem) into BUF. */
int trace_key_default_path(char *buf, size_t size, struct errbuf *e) KAUDIT_MUST_CHECK;

/* The trust store: named public keys whose signatures a reader trusts
 * (kaudit(1) FILES): lines "NAME BASE64-SPKI-DER", '#' comments, blank
 * lines.  trace_trust_load(PATH): PATH, else $KAUDIT_ALLOWED_SIGNERS (set
 * and empty: no store), else $XDG_CONFIG_HOME/kaudit/allowed_signers
 * (~/.config/kaudit/allowed_signers).  A missing file at the default place
 * is no store (0, *OUT NULL); a missing file named by PATH or the variable,
 * or a malformed line, is an error naming FILE:LINE. */
struct trace_trust;
int trace_trust_load(const char *path, struct trace_trust **out, struct errbuf *e) KAUDIT_MUST_CHECK;
/* The default path into BUF ("" when neither XDG_CONFIG_HOME nor HOME is set). */
int trace_trust_default_path(char *buf, size_t size, struct errbuf *e) KAUDIT_MUST_CHECK;
/* The name the store gives KEYID (a trace_key_id), NULL if none or T NULL. */
const char *trace_trust_name(const struct trace_trust *t, const char *keyid);
const char *trace_trust_path(const struct trace_trust *t);
size_t trace_trust_count(const struct trace_trust *t);
void trace_trust_free(struct trace_trust *t);

/* Opens PATH.tmp.XXXXXX beside PATH for writing (util/outfile.h: PATH
 * must be absent or a regular file). */
int trace_writer_open(const char *path, struct trace_writer **out, struct errbuf *e) KAUDIT_MUST_CHECK;
/* The same, refusing a PATH that is one of INPUTS (NULL-terminated, may be
 * NULL); UNIQUE: PATH is a default name, replaced by NAME-2.kat, ... when it
 * exists and reserved at once, so concurrent audits never share a trace. */
int trace_writer_open_for(const char *path, const char *const *inputs, int unique,
			  struct trace_writer **out, struct errbuf *e) KAUDIT_MUST_CHECK;
/* How many records W holds so far (the header included). */
size_t trace_writer_records(const struct trace_writer *w);
/* Where W's trace lands (the name taken when UNIQUE). */
const char *trace_writer_path(const struct trace_writer *w);
/* Sets R->id to the next line index and appends R. */
int trace_writer_add(struct trace_writer *w, struct record *r, struct errbuf *e) KAUDIT_MUST_CHECK;
/* Closes the current gzip member (call at each phase end). */
int trace_writer_flush(struct trace_writer *w, struct errbuf *e) KAUDIT_MUST_CHECK;
/* Writes footer and signature (predicate: the urn:kaudit:audit:v1 body,
 * borrowed, see trace_predicate), closes, renames into place, frees W (also
 * on failure).  The header's pubkey must be KEY's trace_key_public_pem(). */
int trace_writer_finish(struct trace_writer *w, const struct trace_key *key,
			const json_t *predicate, struct errbuf *e) KAUDIT_MUST_CHECK;
/* Abandons W, removing its temporary file. */
void trace_writer_abort(struct trace_writer *w);

/* What reading a trace found. */
struct trace_contents {
	struct record_list records;  /* every complete, parsed record (footer and
					signature included) in file order; empty
					from trace_stream() */
	size_t nrecords;             /* how many there are (also from trace_stream()) */
	int complete_gzip;           /* the gzip stream ended cleanly */
	int has_footer, has_signature;
	int digest_ok;               /* footer sha256 and count match the bytes */
	int signature_ok;            /* DSSE signature verifies with the header key */
	int file_bound;              /* the signed statement also names the file's bytes
					before the signature (0: the first format, records only) */
	uint64_t body_bytes;         /* those bytes: where the signature's gzip member starts */
	char computed_sha256[65];
	char keyid[65];              /* the header key's id, "" if none */
	json_t *statement;           /* the signed in-toto statement, NULL
					unless the signature verified */
	struct trace_pred_cases *pred_cases; /* its predicate's cases, kept as text
					(the statement's "cases" is then []);
					NULL: the statement holds its own */
	char problem[ERRBUF_LEN];    /* first integrity problem, "" if none */
};

/* The signed predicate's cases kept as text (trace_contents.pred_cases):
 * how many, and case I in case order (cases with an integer "case"
 * ascending, then the rest, each in trace order among equals), parsed
 * (new reference; NULL if I is past the end or the text unreadable). */
struct trace_pred_cases;
size_t trace_pred_cases_count(const struct trace_pred_cases *pc);
json_t *trace_pred_case(const struct trace_pred_cases *pc, size_t i);
void trace_pred_cases_free(struct trace_pred_cases *pc);

/* Reads PATH as far as it can.  Returns -1 (code EXIT_BAD_INPUT) only when
 * the file is not a kaudit trace at all (not gzip, no header); integrity
 * problems are reported in OUT for the caller to judge. */
int trace_read(const char *path, struct trace_contents *out, struct errbuf *e) KAUDIT_MUST_CHECK;
/* The same from an open file descriptor; NAME is used in messages. */
int trace_read_fd(int fd, const char *name, struct trace_contents *out,
		  struct errbuf *e) KAUDIT_MUST_CHECK;
void trace_contents_free(struct trace_contents *c);

/* 1 when R is one of its case's measured records: it names a case and is
 * not a header, finding, verdict, footer or signature.  These are the
 * records kaudit-trace(5) ORDER requires to be contiguous per case, and
 * the records a case's analysis reads. */
int trace_case_record(const struct record *r);

/* Streaming reader: what check, inspect and report use, so that memory
 * follows the largest case, not the trace.  Reads PATH with every check of
 * trace_read() (same OUT, same problems, same return) but keeps no record:
 * RECORD gets every record that is not a case's measured record (header,
 * audit-wide records, findings, verdicts, footer, signature) and CASE_END
 * gets the measured records of one case at once, when that case's records
 * end (the next case's begin, or the trace ends).  Both in file order,
 * except that an audit-wide record that lies among a case's records
 * reaches RECORD before that case reaches CASE_END.  Only records of
 * complete gzip members are handed out.  Records are borrowed for the
 * call.  The consumer learns whether the trace is intact only from OUT at
 * the end: it must not conclude anything before. */
struct trace_visitor {
	void *ctx;
	void (*record)(void *ctx, const struct record *r);
	void (*case_end)(void *ctx, const struct record *recs, size_t n);
};
int trace_stream(const char *path, const struct trace_visitor *v, struct trace_contents *out,
		 struct errbuf *e) KAUDIT_MUST_CHECK;
int trace_stream_fd(int fd, const char *name, const struct trace_visitor *v,
		    struct trace_contents *out, struct errbuf *e) KAUDIT_MUST_CHECK;

/* 0 when C is complete, intact and signed (and, with PUB, signed by PUB);
 * else -1 with the first problem in E (code EXIT_INTEGRITY). */
int trace_integrity(const struct trace_contents *c, const struct trace_key *pub,
		    struct errbuf *e) KAUDIT_MUST_CHECK;

/* The urn:kaudit:audit:v1 predicate for the records of an audit (header
 * first): claim_sha256, verdict (the claim's), margin (the header's, when
 * it has one), cases [{case, kernel, verdict, claimed, measured}], sources
 * [{impl, kernel, path, kind, sha256}] and binaries [{impl, kernel,
 * sha256}] (the header's, without text), device
 * {name, uuid}, start_time (header), end_time (now), kaudit_version,
 * synthetic.  New reference. */
json_t *trace_predicate(const struct record *recs, size_t n);
/* The same from its parts: header H and device D (either may be NULL) and
 * the verdict records V[0..N) (others are skipped), cases in V's order,
 * the claim's verdict the last one with no case.  check builds the
 * predicate the records give this way, from the verdicts it derives. */
json_t *trace_predicate_of(const struct rec_header *h, const struct rec_device *d,
			   const struct record *const *v, size_t n);
/* One entry of its cases (a check that streams compares them one by one). */
json_t *trace_predicate_case(int64_t case_index, const char *kernel, const char *verdict,
			     double claimed, double measured);

/* Which of its claim's cases an audit ran: the header's "selection"
 * (kaudit-trace(5)).  Case I is in it when I < CASES, its kernel is
 * KERNEL (when set: verify --kernel) and I mod SHARD_COUNT is SHARD_INDEX
 * (verify --shard; 0 of 1 when not sharded). */
#define TRACE_SHARD_MAX 1000000
/* The most cases a selection may name: a manifest (1 MiB, 100,000 YAML
 * nodes) holds far fewer, and a reader allocates per case. */
#define TRACE_SELECTION_MAX_CASES (1 << 20)
struct trace_selection {
	int present;                 /* 0: a trace older than the field (every case in it) */
	int64_t cases;               /* how many cases the claim has */
	const char *kernel;          /* NULL: every kernel (borrowed from the header) */
	int sharded;
	int64_t shard_index, shard_count;
};
/* Reads H's selection (H may be NULL); -1 with E when it is malformed. */
int trace_selection_of(const struct rec_header *h, struct trace_selection *out,
		       struct errbuf *e) KAUDIT_MUST_CHECK;
/* 1 when case CASE_INDEX of KERNEL is in S. */
int trace_selection_has(const struct trace_selection *s, int64_t case_index, const char *kernel);
/* 1 when CASE_INDEX falls in S's shard (whatever its kernel). */
int trace_selection_in_shard(const struct trace_selection *s, int64_t case_index);
/* {cases, kernel (when not NULL), shard {index, count} (when COUNT > 0)}
 * as verify writes it (new reference). */
json_t *trace_selection_json(int64_t cases, const char *kernel, int64_t index, int64_t count);

/* What a reader knows about a trace beside its records: how it ended and
 * who signed it (trace_facts_of: from a trace read or streamed). */
struct trace_facts {
	int intact;                  /* complete, digest and signature verify */
	char problem[ERRBUF_LEN];    /* trace_integrity's message, "" when intact */
	int complete_gzip;           /* for telling truncated from corrupt */
	char reader_problem[ERRBUF_LEN]; /* the reader's first problem (trace_contents) */
	int has_signature, signature_ok, file_bound;
	char keyid[65];              /* the header key's id, "" if none */
	size_t records;              /* every record the file holds (footer and
					signature included) */
};
void trace_facts_of(const struct trace_contents *c, struct trace_facts *out);

/* What a trace shows, as one JSON document (new reference): the one result
 * schema of inspect, check and verify --json, man/kaudit-result.schema.json.
 * Keys: intact, problem, damage (null when intact, else "truncated" (cut
 * short), "corrupt" (gzip data damaged), "unsigned" or "tampered" (records,
 * digest or signature do not match)), truncated (damage is "truncated"),
 * signed, signer_keyid, records, synthetic, stand_in, plugin, file_bound,
 * audit {time host tool root_seed margin}, claim {title path sha256
 * manifest_bytes}, sources, device {...}, verdict, builds, sandbox, and
 * cases [{case kernel params claimed seed tolerance verdict measured ci
 * baseline_ns candidate_ns reason error error_where findings checks
 * checked_samples timing}].  Pure: no printing.
 *
 * trace_summary: over a trace read whole (trace_read); the accumulator
 * below gives the same document for a trace that streams past. */
json_t *trace_summary(const struct trace_contents *c);
/* The same, built as the records stream past (trace_stream): feed it
 * every record trace_stream's RECORD gets and every case CASE_END gets,
 * then finish with the reader's OUT (new reference).  Keeps the header
 * and, per case, its summary (on a temporary file): never the records. */
struct trace_summary_acc;
struct trace_summary_acc *trace_summary_acc_new(void);
void trace_summary_acc_record(struct trace_summary_acc *a, const struct record *r);
void trace_summary_acc_case(struct trace_summary_acc *a, const struct record *recs, size_t n);
json_t *trace_summary_acc_finish(struct trace_summary_acc *a, const struct trace_contents *c);
/* The same a case at a time, so that a trace of many cases never has
 * them all in memory: the document with "cases": null in their place
 * (new reference), then case I of the NCASES (0-based, the order of the
 * "cases" array; new reference each).  The cases wait on a temporary
 * file meanwhile (a few words of memory per case). */
json_t *trace_summary_acc_finish_head(struct trace_summary_acc *a, const struct trace_contents *c);
size_t trace_summary_acc_ncases(const struct trace_summary_acc *a);
/* Call before feeding: each case keeps only its case, kernel and verdict
 * (and empty findings, checks and timing), all that check's text shows. */
void trace_summary_acc_brief(struct trace_summary_acc *a);
json_t *trace_summary_acc_case_at(struct trace_summary_acc *a, size_t i);
void trace_summary_acc_free(struct trace_summary_acc *a);
/* 1 when H's records were not measured by kaudit's own GPU plugin: the
 * header names none, or one from $KAUDIT_GPU_LIB (never for a synthetic
 * trace, which says so already). */
int trace_stand_in(const struct rec_header *h);
/* claim.title from a manifest's text (malloc'ed), NULL if it has none. */
char *trace_claim_title(const char *manifest);

/* --- trace_spill.c: JSON values kept on a temporary file, not in memory --- */
/* What a reader keeps of each case until the trace ends (the summary's
 * part and conclusions, check's findings and verdicts) lies here as
 * compact text, so that memory is a few words per case.  Where no
 * temporary file can be made or written, a value stays in memory as its
 * text: never lost, only bigger. */
struct trace_spill_item {
	uint64_t off;        /* where its text starts in the file */
	size_t len;
	char *mem;           /* its text, when the file could not take it */
	struct record *rec;  /* a record kept as it is (trace_spill_put_record) */
};
struct trace_spill;
struct trace_spill *trace_spill_new(void);
/* Keeps J's text (J borrowed); *IT says where. */
void trace_spill_put(struct trace_spill *s, const json_t *j, struct trace_spill_item *it);
/* The value back (new reference; NULL only if the file could not be read). */
json_t *trace_spill_get(struct trace_spill *s, const struct trace_spill_item *it);
/* Record R (borrowed), every digit kept; and back, into *R (0, or -1
 * when the file could not be read or the line does not decode).  The
 * first TRACE_SPILL_HELD records of a spill stay in memory as records
 * (a trace of a few thousand cases pays no encoding), the rest go to the
 * file; either way a record item gives its record once (it is moved out). */
#define TRACE_SPILL_HELD 16384
void trace_spill_put_record(struct trace_spill *s, const struct record *r,
			    struct trace_spill_item *it);
int trace_spill_get_record(struct trace_spill *s, struct trace_spill_item *it,
			   struct record *r) KAUDIT_MUST_CHECK;
void trace_spill_item_clear(struct trace_spill_item *it);
void trace_spill_free(struct trace_spill *s);

#endif
