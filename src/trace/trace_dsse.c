/*
 * trace_dsse.c - the signature line: a DSSE envelope over an in-toto
 * Statement v1 whose subject is the footer digest (kaudit-trace(5)).
 * The signed bytes are DSSE's PAE of the statement's exact JSON bytes, so
 * anyone can verify with base64, printf and openssl pkeyutl.
 */
#include "trace/trace_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

char *trace_b64_encode(const unsigned char *in, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);
	int len = n ? EVP_EncodeBlock((unsigned char *)out, in, (int)n) : 0;
	out[len] = '\0';
	return out;
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int trace_b64_decode(const char *in, size_t n, unsigned char **out, size_t *outlen)
{
	if (n % 4 != 0)
		return -1;
	unsigned char *buf = xmalloc(n / 4 * 3 + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;
		for (int j = 0; j < 4; j++) {
			unsigned char c = (unsigned char)in[i + j];
			if (c == '=' && i + 4 == n && j >= 2) {
				v[j] = 0;
				pad++;
				continue;
			}
			v[j] = pad ? -1 : b64_value(c); /* no data after padding */
			if (v[j] < 0) {
				free(buf);
				return -1;
			}
		}
		unsigned triple = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 |
				  (unsigned)v[2] << 6 | (unsigned)v[3];
		buf[o++] = (unsigned char)(triple >> 16);
		if (pad < 2)
			buf[o++] = (unsigned char)(triple >> 8);
		if (pad < 1)
			buf[o++] = (unsigned char)triple;
	}
	*out = buf;
	*outlen = o;
	return 0;
}

char *trace_dsse_pae(const char *body, size_t n, size_t *outlen)
{
	const char *type = DSSE_PAYLOAD_TYPE;
	char head[128];
	int h = snprintf(head, sizeof head, "DSSEv1 %zu %s %zu ", strlen(type), type, n);
	char *out = xmalloc((size_t)h + n + 1);
	memcpy(out, head, (size_t)h);
	memcpy(out + h, body, n);
	out[h + n] = '\0';
	*outlen = (size_t)h + n;
	return out;
}

json_t *trace_statement(const char *sha, const char *body_sha, uint64_t body_bytes,
			const json_t *predicate)
{
	return json_pack("{s:s, s:[{s:s, s:{s:s}}, {s:s, s:{s:s}, s:{s:I}}], s:s, s:O}",
			 "_type", INTOTO_STATEMENT_TYPE,
			 "subject", "name", TRACE_SUBJECT_RECORDS, "digest", "sha256", sha,
			 "name", TRACE_SUBJECT_FILE, "digest", "sha256", body_sha,
			 "annotations", "bytes", (json_int_t)body_bytes,
			 "predicateType", KAUDIT_PREDICATE_TYPE,
			 "predicate", predicate ? predicate : json_null());
}

/* The statement's second subject, when it has one, must be the bytes of
 * the file before the signature's member (BODY); a statement with the
 * records' subject alone is the first format (*BOUND 0). */
static int check_file_subject(const json_t *st, const struct trace_body *body, int *bound,
			      char *problem, size_t psize)
{
	const json_t *subjects = json_object_get(st, "subject");
	*bound = 0;
	if (json_array_size(subjects) == 1)
		return 0;
	const json_t *s = json_array_get(subjects, 1);
	const char *name = json_string_value(json_object_get(s, "name"));
	const char *sha = json_string_value(json_object_get(json_object_get(s, "digest"),
							       "sha256"));
	const json_t *bytes = json_object_get(json_object_get(s, "annotations"), "bytes");
	if (json_array_size(subjects) != 2 || !name || strcmp(name, TRACE_SUBJECT_FILE) != 0 ||
	    !sha || !json_is_integer(bytes)) {
		snprintf(problem, psize, "signed statement's subjects are not the records and "
			 "the file");
		return -1;
	}
	if (!body || !body->known) {
		snprintf(problem, psize, "the signature does not start a gzip member of its own");
		return -1;
	}
	if (json_integer_value(bytes) < 0 || (uint64_t)json_integer_value(bytes) != body->bytes) {
		snprintf(problem, psize, "signed statement names the first %lld bytes of the "
			 "file, but the signature's member starts at byte %llu",
			 (long long)json_integer_value(bytes), (unsigned long long)body->bytes);
		return -1;
	}
	if (strcmp(sha, body->sha256) != 0) {
		snprintf(problem, psize, "sha256 of the file's first %llu bytes does not match "
			 "the signed statement", (unsigned long long)body->bytes);
		return -1;
	}
	*bound = 1;
	return 0;
}

json_t *trace_dsse_sign(const json_t *statement, const struct trace_key *k, struct errbuf *e)
{
	char *body = json_dumps(statement, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!body) {
		errbuf_set(e, EXIT_BAD_INPUT, "cannot encode the statement");
		return NULL;
	}
	size_t blen = strlen(body), plen;
	char *pae = trace_dsse_pae(body, blen, &plen);
	unsigned char sig[64];
	int rc = trace_key_sign(k, pae, plen, sig, e);
	free(pae);
	if (rc < 0) {
		free(body);
		return NULL;
	}
	char *payload = trace_b64_encode((unsigned char *)body, blen);
	char *sig64 = trace_b64_encode(sig, sizeof sig);
	json_t *env = json_pack("{s:s, s:s, s:[{s:s, s:s}]}",
				"payloadType", DSSE_PAYLOAD_TYPE, "payload", payload,
				"signatures", "keyid", trace_key_id(k), "sig", sig64);
	free(body);
	free(payload);
	free(sig64);
	return env;
}

/* Decodes ENV's payload into *STATEMENT; fills PROBLEM on failure. */
static int envelope_statement(const json_t *env, json_t **statement,
			      struct trace_pred_cases **cases, char *body_out[], size_t *blen,
			      char *problem, size_t psize)
{
	const char *ptype = json_string_value(json_object_get(env, "payloadType"));
	const char *payload = json_string_value(json_object_get(env, "payload"));
	if (!ptype || !payload) {
		snprintf(problem, psize, "signature envelope lacks payloadType or payload");
		return -1;
	}
	if (strcmp(ptype, DSSE_PAYLOAD_TYPE) != 0) {
		snprintf(problem, psize, "signature envelope has payloadType '%.64s'", ptype);
		return -1;
	}
	unsigned char *body;
	if (trace_b64_decode(payload, strlen(payload), &body, blen) < 0) {
		snprintf(problem, psize, "signature payload is not base64");
		return -1;
	}
	json_error_t je;
	char *cut;
	size_t cutlen;
	*cases = NULL;
	*statement = NULL;
	if (trace_pred_cases_split((char *)body, *blen, JSON_REJECT_DUPLICATES, &cut, &cutlen,
				   cases) == 0) {
		*statement = cut ? json_loadb(cut, cutlen, JSON_REJECT_DUPLICATES, &je)
			     : json_loadb((char *)body, *blen, JSON_REJECT_DUPLICATES, &je);
		free(cut);
	}
	if (!*statement || !json_is_object(*statement)) {
		json_decref(*statement);
		*statement = NULL;
		trace_pred_cases_free(*cases);
		*cases = NULL;
		free(body);
		snprintf(problem, psize, "signed statement is not a JSON object");
		return -1;
	}
	*body_out = (char *)body;
	return 0;
}

int trace_dsse_verify(const json_t *env, const struct trace_key *k, const char *footer_sha,
		      const struct trace_body *body, int *file_bound, json_t **statement_out,
		      struct trace_pred_cases **cases_out, char *problem, size_t psize)
{
	int bound = 0;
	json_t *st = NULL;
	struct trace_pred_cases *cases = NULL;
	char *body_text = NULL;
	size_t blen;
	int rc = -1;
	if (!json_is_object(env)) {
		snprintf(problem, psize, "signature envelope is not an object");
		return -1;
	}
	if (envelope_statement(env, &st, &cases, &body_text, &blen, problem, psize) < 0)
		return -1;
	const char *type = json_string_value(json_object_get(st, "_type"));
	const char *ptype = json_string_value(json_object_get(st, "predicateType"));
	const json_t *subj = json_array_get(json_object_get(st, "subject"), 0);
	const char *sha = json_string_value(json_object_get(json_object_get(subj, "digest"),
							       "sha256"));
	if (!type || strcmp(type, INTOTO_STATEMENT_TYPE) != 0 || !ptype ||
	    strcmp(ptype, KAUDIT_PREDICATE_TYPE) != 0) {
		snprintf(problem, psize, "signed statement is not a kaudit in-toto statement");
		goto out;
	}
	const char *name = json_string_value(json_object_get(subj, "name"));
	if (!sha || !footer_sha || strcmp(sha, footer_sha) != 0 || !name ||
	    strcmp(name, TRACE_SUBJECT_RECORDS) != 0) {
		snprintf(problem, psize, "signed statement's subject is not the footer digest");
		goto out;
	}
	if (check_file_subject(st, body, &bound, problem, psize) < 0)
		goto out;
	const json_t *sigs = json_object_get(env, "signatures");
	if (!json_is_array(sigs) || json_array_size(sigs) == 0) {
		snprintf(problem, psize, "signature envelope has no signatures");
		goto out;
	}
	size_t plen;
	char *pae = trace_dsse_pae(body_text, blen, &plen);
	size_t i;
	const json_t *s;
	int verified = 0;
	json_array_foreach(sigs, i, s) {
		const char *sig64 = json_string_value(json_object_get(s, "sig"));
		unsigned char *sig;
		size_t slen;
		if (!sig64 || trace_b64_decode(sig64, strlen(sig64), &sig, &slen) < 0)
			continue;
		verified = trace_key_verify(k, pae, plen, sig, slen) == 0;
		free(sig);
		if (verified)
			break;
	}
	free(pae);
	if (!verified) {
		snprintf(problem, psize, "Ed25519 signature does not verify with key %.16s...",
			 trace_key_id(k));
		goto out;
	}
	rc = 0;
	if (file_bound)
		*file_bound = bound;
out:
	free(body_text);
	if (rc == 0 && statement_out)
		*statement_out = st;
	else
		json_decref(st);
	if (rc == 0 && cases_out)
		*cases_out = cases;
	else
		trace_pred_cases_free(cases);
	return rc;
}
