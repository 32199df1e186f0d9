/*
 * trace_private.h - what the files of src/trace/ share and nothing else
 * sees: base64, raw Ed25519 sign/verify, and the DSSE envelope.
 */
#ifndef KAUDIT_TRACE_PRIVATE_H
#define KAUDIT_TRACE_PRIVATE_H

#include <stddef.h>

#include <jansson.h>

#include "trace.h"

#define DSSE_PAYLOAD_TYPE "application/vnd.in-toto+json"
#define INTOTO_STATEMENT_TYPE "https://in-toto.io/Statement/v1"
#define KAUDIT_PREDICATE_TYPE "urn:kaudit:audit:v1"

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
/* 0 when ENV is a valid envelope over a kaudit statement whose subject is
 * FOOTER_SHA, signed by K; else PROBLEM says what is wrong.  *STATEMENT_OUT
 * (may be NULL) receives the decoded statement on success. */
int trace_dsse_verify(const json_t *env, const struct trace_key *k, const char *footer_sha,
		      json_t **statement_out, char *problem, size_t psize);
/* The in-toto Statement v1 over a trace whose footer digest is SHA. */
json_t *trace_statement(const char *sha, const json_t *predicate);

#endif
