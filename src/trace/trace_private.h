/*
 * trace_private.h - what the files of src/trace/ share and nothing else
 * sees: base64, raw Ed25519 sign/verify, and the DSSE envelope.
 */
#ifndef KAUDIT_TRACE_PRIVATE_H
#define KAUDIT_TRACE_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "trace/trace.h"

#define DSSE_PAYLOAD_TYPE "application/vnd.in-toto+json"
#define INTOTO_STATEMENT_TYPE "https://in-toto.io/Statement/v1"
#define KAUDIT_PREDICATE_TYPE "urn:kaudit:audit:v1"
/* The statement's subjects: the uncompressed records before the footer
 * (the footer's digest), and the bytes of the .kat before the gzip member
 * that holds the signature (annotations.bytes says how many). */
#define TRACE_SUBJECT_RECORDS "kaudit-trace"
#define TRACE_SUBJECT_FILE "kaudit-trace.kat-body"

/* What the reader saw of the file before the signature's member. */
struct trace_body {
	int known;           /* the signature line starts a gzip member */
	uint64_t bytes;      /* compressed bytes before that member */
	char sha256[65];     /* their sha256 */
};

/* The reader's core (trace_read.c): reads FD, checks what trace_read_fd
 * documents, and hands each record of a complete gzip member to DELIVER
 * in file order when its member ends (DELIVER may move it out; the core
 * clears it afterwards).  OUT gets everything but records (nrecords counts
 * them).  Returns as trace_read_fd. */
typedef void (*trace_deliver_fn)(void *ctx, struct record *r);
int trace_read_core(int fd, const char *name, trace_deliver_fn deliver, void *ctx,
		    struct trace_contents *out, struct errbuf *e) KAUDIT_MUST_CHECK;

/* Standard base64 with padding, no newlines; malloc'ed, NUL-terminated. */
char *trace_b64_encode(const unsigned char *in, size_t n);
/* Strict decoder (standard alphabet, padding required); -1 on bad input. */
int trace_b64_decode(const char *in, size_t n, unsigned char **out, size_t *outlen);

/* Ed25519 over MSG with K's private half; SIG receives 64 bytes. */
int trace_key_sign(const struct trace_key *k, const void *msg, size_t n,
		   unsigned char sig[64], struct errbuf *e) KAUDIT_MUST_CHECK;
/* 0 when SIG is K's signature of MSG. */
int trace_key_verify(const struct trace_key *k, const void *msg, size_t n,
		     const unsigned char *sig, size_t siglen);

/* DSSE pre-authentication encoding of BODY (malloc'ed). */
char *trace_dsse_pae(const char *body, size_t n, size_t *outlen);
/* A signed envelope over STATEMENT's compact JSON (new reference). */
json_t *trace_dsse_sign(const json_t *statement, const struct trace_key *k, struct errbuf *e);
/* 0 when ENV is a valid envelope over a kaudit statement whose first
 * subject is FOOTER_SHA and whose second, if any, is BODY, signed by K;
 * else PROBLEM says what is wrong.  *FILE_BOUND (may be NULL): 1 when the
 * statement names the file's bytes (BODY), 0 for the first format that
 * names the records only.  *STATEMENT_OUT (may be NULL) receives the
 * decoded statement on success, and *CASES_OUT (may be NULL) its
 * predicate's cases when they were split off (the statement's "cases" is
 * then []; trace_pred_cases_split), else NULL. */
int trace_dsse_verify(const json_t *env, const struct trace_key *k, const char *footer_sha,
		      const struct trace_body *body, int *file_bound, json_t **statement_out,
		      struct trace_pred_cases **cases_out, char *problem, size_t psize);
/* Splits the statement text BODY[0..N) (trace_pred_cases.c): *CUT (N
 * bytes at *CUTLEN, malloc'ed) is the text with its predicate's cases
 * replaced by [], *OUT the cases.  Both NULL, and 0, when the cases could
 * not be found (parse BODY whole); -1 when a case is not JSON (FLAGS:
 * jansson's, as for the whole). */
int trace_pred_cases_split(const char *body, size_t n, int flags, char **cut, size_t *cutlen,
			   struct trace_pred_cases **out) KAUDIT_MUST_CHECK;
/* The in-toto Statement v1 over a trace whose footer digest is SHA and
 * whose first BODY_BYTES compressed bytes hash to BODY_SHA. */
json_t *trace_statement(const char *sha, const char *body_sha, uint64_t body_bytes,
			const json_t *predicate);

/* --- trace_summary_setup.c: trace_summary()'s account of the setup --- */
/* [{impl, kernel, path, kind, sha256, bytes, embedded}] of H's sources. */
json_t *trace_summary_sources(const struct rec_header *h);
/* {kernel, impl, source, ok, cached, nvcc, arch, flags, so_sha256, record}. */
json_t *trace_summary_build(const struct record *build);
json_t *trace_summary_device(const struct rec_device *d);
/* {processes, degraded, landlock_abi, refused [{layer, why}]}: new, and
 * adding one sandbox record. */
json_t *trace_summary_sandbox_new(void);
void trace_summary_sandbox_add(json_t *sandbox, const struct record *r);


#endif
