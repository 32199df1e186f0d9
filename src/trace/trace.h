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

#include "record.h"
#include "../util/util.h"

/* A member is closed at least every this many records (DESIGN section 7). */
#define TRACE_MEMBER_RECORDS 4096

struct trace_key;     /* an Ed25519 key pair (private half may be absent) */
struct trace_writer;

/* Loads the private key at PATH (PKCS#8 PEM); refuses files readable by group
 * or others.  PATH NULL: $KAUDIT_KEY, else $XDG_CONFIG_HOME/kaudit/key.pem
 * (~/.config/kaudit/key.pem), created on first use with a note on stderr. */
int trace_key_load(const char *path, struct trace_key **out, struct errbuf *e) KAUDIT_MUST_CHECK;
/* Loads a public key (SPKI PEM) from a file or a PEM string. */
int trace_key_load_public(const char *path, struct trace_key **out, struct errbuf *e) KAUDIT_MUST_CHECK;
int trace_key_from_pem(const char *pem, struct trace_key **out, struct errbuf *e) KAUDIT_MUST_CHECK;
/* Generates a key pair: PATH (0600, refuses to overwrite) and PATH.pub. */
int trace_key_generate(const char *path, struct errbuf *e) KAUDIT_MUST_CHECK;
/* SPKI PEM of the public half (owned by the key). */
const char *trace_key_public_pem(const struct trace_key *k);
/* keyid: sha256 hex of the public key's DER. */
const char *trace_key_id(const struct trace_key *k);
void trace_key_free(struct trace_key *k);

/* Opens PATH.tmp.XXXXXX beside PATH for writing. */
int trace_writer_open(const char *path, struct trace_writer **out, struct errbuf *e) KAUDIT_MUST_CHECK;
/* Sets R->id to the next line index and appends R. */
int trace_writer_add(struct trace_writer *w, struct record *r, struct errbuf *e) KAUDIT_MUST_CHECK;
/* Closes the current gzip member (call at each phase end). */
int trace_writer_flush(struct trace_writer *w, struct errbuf *e) KAUDIT_MUST_CHECK;
/* Writes footer and signature (predicate: the urn:kaudit:audit:v1 body,
 * borrowed), closes, renames into place, frees W. */
int trace_writer_finish(struct trace_writer *w, const struct trace_key *key,
			const json_t *predicate, struct errbuf *e) KAUDIT_MUST_CHECK;
/* Abandons W, removing its temporary file. */
void trace_writer_abort(struct trace_writer *w);

/* What reading a trace found. */
struct trace_contents {
	struct record_list records;  /* every complete, parsed record (footer and
					signature included) in file order */
	int complete_gzip;           /* the gzip stream ended cleanly */
	int has_footer, has_signature;
	int digest_ok;               /* footer sha256 and count match the bytes */
	int signature_ok;            /* DSSE signature verifies with the header key */
	char computed_sha256[65];
	char problem[ERRBUF_LEN];    /* first integrity problem, "" if none */
};

/* Reads PATH as far as it can.  Returns -1 (code EXIT_BAD_INPUT) only when
 * the file is not a kaudit trace at all (not gzip, no header); integrity
 * problems are reported in OUT for the caller to judge. */
int trace_read(const char *path, struct trace_contents *out, struct errbuf *e) KAUDIT_MUST_CHECK;
void trace_contents_free(struct trace_contents *c);

#endif
