/*
 * test_trace.c - the signed trace end to end through the library: write,
 * read, verify; gzip members; an interrupted writer's prefix; and every
 * tampering a reviewer must catch, each with its exit code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <zlib.h>

#include "trace/trace.h"

struct fx {
	char dir[64];
	char key_a[128], key_b[128], kat[128], tampered[128];
	struct trace_key *a, *b;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	strcpy(f->dir, "/tmp/test_trace.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->key_a, sizeof f->key_a, "%s/a.pem", f->dir);
	snprintf(f->key_b, sizeof f->key_b, "%s/b.pem", f->dir);
	snprintf(f->kat, sizeof f->kat, "%s/t.kat", f->dir);
	snprintf(f->tampered, sizeof f->tampered, "%s/x.kat", f->dir);
	struct errbuf e;
	if (trace_key_generate(f->key_a, &e) < 0 || trace_key_generate(f->key_b, &e) < 0 ||
	    trace_key_load(f->key_a, &f->a, &e) < 0 || trace_key_load(f->key_b, &f->b, &e) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	trace_key_free(f->a);
	trace_key_free(f->b);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* A header, a device, N kernel records in one case, a verdict. */
static struct trace_writer *write_records(const char *path, const struct trace_key *k, int n)
{
	struct trace_writer *w;
	struct errbuf e;
	assert_int_equal(trace_writer_open(path, &w, &e), 0);
	struct record r;
	record_init(&r, REC_HEADER);
	r.u.header.version = 1;
	r.u.header.tool = xstrdup(KAUDIT_VERSION);
	r.u.header.time = xstrdup("2026-11-26T08:00:00Z");
	r.u.header.manifest_sha256 = xstrdup("c1a1");
	r.u.header.pubkey = xstrdup(trace_key_public_pem(k));
	assert_int_equal(trace_writer_add(w, &r, &e), 0);
	record_clear(&r);
	record_init(&r, REC_DEVICE);
	r.u.device.name = xstrdup("NVIDIA H100");
	r.u.device.uuid = xstrdup("GPU-1");
	assert_int_equal(trace_writer_add(w, &r, &e), 0);
	record_clear(&r);
	for (int i = 0; i < n; i++) {
		record_init(&r, REC_KERNEL);
		r.case_index = 0;
		r.phase = PHASE_TIMING;
		r.impl = IMPL_CANDIDATE;
		r.u.kernel.name = xstrdup("k");
		r.u.kernel.start = 1764144000000000000LL + i * 1000;
		r.u.kernel.end = r.u.kernel.start + 700;
		assert_int_equal(trace_writer_add(w, &r, &e), 0);
		record_clear(&r);
	}
	record_init(&r, REC_VERDICT);
	r.case_index = 0;
	r.u.verdict.kernel = xstrdup("k");
	r.u.verdict.verdict = xstrdup("reproduced");
	assert_int_equal(trace_writer_add(w, &r, &e), 0);
	record_clear(&r);
	return w;
}

static void write_trace_verdict(const char *path, const struct trace_key *k, int n,
				const char *signed_verdict)
{
	struct trace_writer *w = write_records(path, k, n);
	struct errbuf e;
	json_t *p = json_pack("{s:s,s:[{s:i,s:s}]}", "claim_sha256", "c1a1", "cases", "case", 0,
			      "verdict", signed_verdict);
	assert_int_equal(trace_writer_finish(w, k, p, &e), 0);
	json_decref(p);
}

static void write_trace(const char *path, const struct trace_key *k, int n)
{
	write_trace_verdict(path, k, n, "reproduced");
}

/* Reads PATH; returns the integrity exit code (0, 4) or 2 for non-traces. */
static int judge(const char *path, const struct trace_key *pub, char *msg)
{
	struct trace_contents c;
	struct errbuf e = { "", 0 };
	if (trace_read(path, &c, &e) < 0) {
		if (msg)
			strcpy(msg, e.msg);
		return e.code;
	}
	int rc = trace_integrity(&c, pub, &e) == 0 ? 0 : e.code;
	if (msg)
		strcpy(msg, rc ? e.msg : "");
	trace_contents_free(&c);
	return rc;
}

static char *gunzip_all(const char *path, size_t *n)
{
	gzFile g = gzopen(path, "rb");
	assert_non_null(g);
	size_t cap = 1 << 20;
	char *buf = malloc(cap);
	*n = 0;
	int r;
	while ((r = gzread(g, buf + *n, (unsigned)(cap - *n))) > 0) {
		*n += (size_t)r;
		if (*n == cap)
			buf = realloc(buf, cap *= 2);
	}
	gzclose(g);
	return buf;
}

static void gzip_to(const char *path, const char *data, size_t n)
{
	gzFile g = gzopen(path, "wb");
	assert_non_null(g);
	assert_int_equal(gzwrite(g, data, (unsigned)n), (int)n);
	assert_int_equal(gzclose(g), Z_OK);
}

/* The file at FROM as written, then one more gzip member holding DATA. */
static void append_member_to(const char *path, const char *from, const char *data)
{
	char *raw;
	size_t n;
	struct errbuf e;
	assert_int_equal(read_file(from, 1 << 26, &raw, &n, &e), 0);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(raw, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	free(raw);
	gzFile g = gzopen(path, "ab");
	assert_non_null(g);
	assert_int_equal(gzwrite(g, data, (unsigned)strlen(data)), (int)strlen(data));
	assert_int_equal(gzclose(g), Z_OK);
}

static void raw_to(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
}

/* Pointer to the start of line I (0-based) in BUF. */
static char *line_at(char *buf, int i)
{
	char *p = buf;
	while (i-- > 0)
		p = strchr(p, '\n') + 1;
	return p;
}

static void intact_trace_verifies(void **state)
{
	struct fx *f = *state;
	write_trace(f->kat, f->a, 10);
	struct trace_contents c;
	struct errbuf e;
	assert_int_equal(trace_read(f->kat, &c, &e), 0);
	assert_int_equal(trace_integrity(&c, NULL, &e), 0);
	assert_int_equal(trace_integrity(&c, f->a, &e), 0);
	assert_int_equal(trace_integrity(&c, f->b, &e), -1); /* --pubkey of another key */
	assert_int_equal(e.code, EXIT_INTEGRITY);
	assert_int_equal(c.records.n, 2 + 10 + 1 + 2);
	assert_int_equal(c.records.v[c.records.n - 2].type, REC_FOOTER);
	assert_int_equal(c.records.v[c.records.n - 2].u.footer.records, 13);
	assert_string_equal(c.keyid, trace_key_id(f->a));
	const char *subj = json_string_value(json_object_get(json_object_get(json_array_get(
		json_object_get(c.statement, "subject"), 0), "digest"), "sha256"));
	assert_string_equal(subj, c.computed_sha256);
	for (size_t i = 0; i < c.records.n; i++)
		assert_int_equal(c.records.v[i].id, (int64_t)i);
	trace_contents_free(&c);
	struct stat st;
	assert_int_equal(stat(f->kat, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
}

/* Counts gzip members by inflating one after another. */
static int count_members(const char *path)
{
	char *raw;
	size_t n;
	struct errbuf e;
	assert_int_equal(read_file(path, 1 << 26, &raw, &n, &e), 0);
	z_stream z;
	memset(&z, 0, sizeof z);
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	unsigned char out[65536];
	int members = 0;
	z.next_in = (unsigned char *)raw;
	z.avail_in = (uInt)n;
	while (z.avail_in > 0) {
		z.next_out = out;
		z.avail_out = sizeof out;
		int rc = inflate(&z, Z_NO_FLUSH);
		assert_true(rc == Z_OK || rc == Z_STREAM_END);
		if (rc == Z_STREAM_END) {
			members++;
			inflateReset(&z);
		}
	}
	inflateEnd(&z);
	free(raw);
	return members;
}

static void members_close_every_4096_records(void **state)
{
	struct fx *f = *state;
	write_trace(f->kat, f->a, 10000);
	/* header alone, then ceil(10002 / 4096) members, then the trailer's */
	assert_true(count_members(f->kat) >= 1 + 3);
	assert_int_equal(judge(f->kat, f->a, NULL), 0);
}

static void interrupted_writer_leaves_readable_prefix(void **state)
{
	struct fx *f = *state;
	struct trace_writer *w = write_records(f->kat, f->a, 5000);
	struct errbuf e;
	/* Find the writer's temporary file: a crash leaves exactly this. */
	DIR *d = opendir(f->dir);
	struct dirent *de;
	char tmp[512] = "";
	while ((de = readdir(d)))
		if (strncmp(de->d_name, "t.kat.tmp.", 10) == 0)
			snprintf(tmp, sizeof tmp, "%s/%s", f->dir, de->d_name);
	closedir(d);
	assert_true(tmp[0]);
	assert_int_not_equal(access(f->kat, F_OK), 0); /* nothing under the final name */
	char *raw;
	size_t n;
	assert_int_equal(read_file(tmp, 1 << 26, &raw, &n, &e), 0);
	raw_to(f->tampered, raw, n);
	free(raw);
	trace_writer_abort(w);
	assert_int_not_equal(access(tmp, F_OK), 0); /* abort removes it */

	struct trace_contents c;
	assert_int_equal(trace_read(f->tampered, &c, &e), 0);
	assert_false(c.has_footer);
	/* header member + one full 4096-record member; the open one is lost */
	assert_int_equal(c.records.n, 1 + 4096);
	assert_int_equal(c.records.v[0].type, REC_HEADER);
	assert_int_equal(trace_integrity(&c, NULL, &e), -1);
	assert_int_equal(e.code, EXIT_INTEGRITY);
	assert_non_null(strstr(e.msg, "truncated"));
	trace_contents_free(&c);
}

static void tampering(struct fx *f, int which, int want, const char *fragment)
{
	write_trace(f->kat, f->a, 20);
	size_t n;
	char *buf = gunzip_all(f->kat, &n);
	char *out = malloc(n * 2 + 64);
	size_t m = 0;
	char *l5 = line_at(buf, 5), *l6 = line_at(buf, 6);
	char *footer = line_at(buf, 23), *sig = line_at(buf, 24);
	switch (which) {
	case 0: { /* a changed digit in start and end alike (ns still agrees) */
		memcpy(out, buf, n);
		m = n;
		for (int k = 0; k < 2; k++) {
			char *d = strstr(out + (l5 - buf), k ? "\"end\":" : "\"start\":");
			d += k ? 7 : 9;
			*d = *d == '9' ? '8' : (char)(*d + 1);
		}
		break;
	}
	case 1: /* a deleted record */
		memcpy(out, buf, (size_t)(l5 - buf));
		memcpy(out + (l5 - buf), l6, (size_t)(buf + n - l6));
		m = n - (size_t)(l6 - l5);
		break;
	case 2: /* a duplicated record */
		memcpy(out, buf, (size_t)(l6 - buf));
		memcpy(out + (l6 - buf), l5, (size_t)(buf + n - l5));
		m = n + (size_t)(l6 - l5);
		break;
	case 3: /* footer removed */
		memcpy(out, buf, (size_t)(footer - buf));
		memcpy(out + (footer - buf), sig, (size_t)(buf + n - sig));
		m = n - (size_t)(sig - footer);
		break;
	case 4: /* signature removed */
		m = (size_t)(sig - buf);
		memcpy(out, buf, m);
		break;
	case 5: /* garbage line appended inside the gzip stream */
		memcpy(out, buf, n);
		memcpy(out + n, "{\"type\":\"kernel\"}\n", 18);
		m = n + 18;
		break;
	}
	/* Garbage appended to the file as written (a member of its own): the
	 * signed bytes are untouched, so the problem found is the garbage. */
	if (which == 5)
		append_member_to(f->tampered, f->kat, "{\"type\":\"kernel\"}\n");
	else
		gzip_to(f->tampered, out, m);
	char msg[ERRBUF_LEN];
	int rc = judge(f->tampered, NULL, msg);
	if (rc != want || !strstr(msg, fragment))
		fail_msg("tampering %d: exit %d '%s', wanted %d '%s'", which, rc, msg, want,
			 fragment);
	free(buf);
	free(out);
}

static void tampered_traces_are_caught(void **state)
{
	struct fx *f = *state;
	tampering(f, 0, EXIT_INTEGRITY, "sha256");
	tampering(f, 1, EXIT_INTEGRITY, "deleted");
	tampering(f, 2, EXIT_INTEGRITY, "duplicated");
	tampering(f, 3, EXIT_INTEGRITY, "record id 24 where 23");
	tampering(f, 4, EXIT_INTEGRITY, "unsigned");
	tampering(f, 5, EXIT_INTEGRITY, "after the signature");
}

static void damaged_files(void **state)
{
	struct fx *f = *state;
	write_trace(f->kat, f->a, 3000);
	char *raw, msg[ERRBUF_LEN];
	size_t n;
	struct errbuf e;
	assert_int_equal(read_file(f->kat, 1 << 26, &raw, &n, &e), 0);
	raw_to(f->tampered, raw, n - 7); /* truncated */
	assert_int_equal(judge(f->tampered, NULL, msg), EXIT_INTEGRITY);
	assert_non_null(strstr(msg, "truncated"));
	raw_to(f->tampered, raw, n / 2); /* truncated mid-member */
	assert_int_equal(judge(f->tampered, NULL, msg), EXIT_INTEGRITY);
	char *more = malloc(n + 5);
	memcpy(more, raw, n);
	memcpy(more + n, "junk\n", 5);
	raw_to(f->tampered, more, n + 5); /* appended garbage after the last member */
	assert_int_equal(judge(f->tampered, NULL, msg), EXIT_INTEGRITY);
	raw[12] ^= 0x55; /* damage in the header's member: still a trace, tampered */
	raw_to(f->tampered, raw, n);
	assert_int_equal(judge(f->tampered, NULL, msg), EXIT_INTEGRITY);
	assert_non_null(strstr(msg, "header's gzip member is damaged"));
	raw[12] ^= 0x55;
	raw[n / 2] ^= 0x20; /* one flipped bit in the compressed data */
	raw_to(f->tampered, raw, n);
	assert_int_equal(judge(f->tampered, NULL, msg), EXIT_INTEGRITY);
	free(raw);
	free(more);
	raw_to(f->tampered, "", 0);
	assert_int_equal(judge(f->tampered, NULL, msg), EXIT_BAD_INPUT);
	assert_non_null(strstr(msg, "empty"));
	raw_to(f->tampered, "{\"type\":\"header\"}\n", 18);
	assert_int_equal(judge(f->tampered, NULL, msg), EXIT_BAD_INPUT);
	assert_non_null(strstr(msg, "not gzip"));
	gzip_to(f->tampered, "hello\nworld\n", 12);
	assert_int_equal(judge(f->tampered, NULL, msg), EXIT_BAD_INPUT);
	assert_non_null(strstr(msg, "not a kaudit trace"));
	assert_int_equal(judge("/nonexistent/t.kat", NULL, msg), EXIT_BAD_INPUT);
}

static void resigned_by_another_key(void **state)
{
	struct fx *f = *state;
	/* Same records, signed by B: valid on its own, wrong for --pubkey A. */
	write_trace(f->kat, f->b, 5);
	char msg[ERRBUF_LEN];
	assert_int_equal(judge(f->kat, NULL, msg), 0);
	assert_int_equal(judge(f->kat, f->a, msg), EXIT_INTEGRITY);
	assert_non_null(strstr(msg, "not by the expected key"));
	/* B's signature line grafted onto a trace whose header names A. */
	size_t na, nb;
	write_trace(f->tampered, f->a, 5);
	char *a = gunzip_all(f->tampered, &na), *b = gunzip_all(f->kat, &nb);
	char *asig = line_at(a, 9), *bsig = line_at(b, 9);
	char *out = malloc(na + nb);
	size_t m = (size_t)(asig - a);
	memcpy(out, a, m);
	memcpy(out + m, bsig, (size_t)(b + nb - bsig));
	m += (size_t)(b + nb - bsig);
	gzip_to(f->tampered, out, m);
	assert_int_equal(judge(f->tampered, NULL, msg), EXIT_INTEGRITY);
	assert_non_null(strstr(msg, "subject is not the footer digest"));
	free(a);
	free(b);
	free(out);
}

static void signed_predicate_must_match_records(void **state)
{
	struct fx *f = *state;
	char msg[ERRBUF_LEN];
	/* Validly signed, but the statement claims a verdict the records lack. */
	write_trace_verdict(f->kat, f->a, 3, "invalid");
	assert_int_equal(judge(f->kat, NULL, msg), EXIT_INTEGRITY);
	assert_non_null(strstr(msg, "verdict for case 0"));
	struct trace_writer *w = write_records(f->kat, f->a, 3);
	struct errbuf e;
	json_t *p = json_pack("{s:s}", "claim_sha256", "another-claim");
	assert_int_equal(trace_writer_finish(w, f->a, p, &e), 0);
	json_decref(p);
	assert_int_equal(judge(f->kat, NULL, msg), EXIT_INTEGRITY);
	assert_non_null(strstr(msg, "claim_sha256"));
}

static void writer_refuses_misuse(void **state)
{
	struct fx *f = *state;
	struct trace_writer *w;
	struct errbuf e;
	assert_int_equal(trace_writer_open(f->kat, &w, &e), 0);
	struct record r;
	record_init(&r, REC_KERNEL);
	assert_int_equal(trace_writer_add(w, &r, &e), -1); /* header first */
	trace_writer_abort(w);
	w = write_records(f->kat, f->a, 1);
	json_t *p = json_object();
	assert_int_equal(trace_writer_finish(w, f->b, p, &e), -1); /* header names A */
	assert_non_null(strstr(e.msg, "pubkey"));
	json_decref(p);
}

static void keys(void **state)
{
	struct fx *f = *state;
	struct errbuf e;
	struct stat st;
	assert_int_equal(stat(f->key_a, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(trace_key_generate(f->key_a, &e), -1); /* no overwrite */
	assert_non_null(strstr(e.msg, "refusing to overwrite"));
	char pub[160];
	snprintf(pub, sizeof pub, "%s.pub", f->key_a);
	struct trace_key *k;
	assert_int_equal(trace_key_load_public(pub, &k, &e), 0);
	assert_string_equal(trace_key_id(k), trace_key_id(f->a));
	assert_false(trace_key_has_private(k));
	trace_key_free(k);
	assert_int_equal(chmod(f->key_a, 0640), 0);
	assert_int_equal(trace_key_load(f->key_a, &k, &e), -1); /* group-readable */
	assert_non_null(strstr(e.msg, "chmod 600"));
	assert_int_equal(chmod(f->key_a, 0620), 0); /* writable but not readable: allowed */
	assert_int_equal(trace_key_load(f->key_a, &k, &e), 0);
	trace_key_free(k);
	assert_int_equal(chmod(f->key_a, 0600), 0);
	assert_int_equal(trace_key_load_public(f->kat, &k, &e), -1); /* not a key */
}

static void default_key_created_on_first_use(void **state)
{
	struct fx *f = *state;
	char xdg[128], path[160];
	snprintf(xdg, sizeof xdg, "%s/config", f->dir);
	snprintf(path, sizeof path, "%s/kaudit/key.pem", xdg);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	unsetenv("KAUDIT_KEY");
	struct trace_key *k;
	struct errbuf e;
	assert_int_equal(trace_key_load(NULL, &k, &e), 0);
	assert_non_null(strstr(e.msg, "created signing key"));
	assert_non_null(strstr(e.msg, path));
	char id[65];
	strcpy(id, trace_key_id(k));
	trace_key_free(k);
	assert_int_equal(trace_key_load(NULL, &k, &e), 0); /* second use: same key, no note */
	assert_string_equal(e.msg, "");
	assert_string_equal(trace_key_id(k), id);
	trace_key_free(k);
	setenv("KAUDIT_KEY", f->key_b, 1); /* KAUDIT_KEY chooses another */
	assert_int_equal(trace_key_load(NULL, &k, &e), 0);
	assert_string_equal(trace_key_id(k), trace_key_id(f->b));
	trace_key_free(k);
	unsetenv("KAUDIT_KEY");
	unsetenv("XDG_CONFIG_HOME");
}

/* Writes PKEY to PATH as PEM, mode 0600: the private key (encrypted with
 * the pass phrase "x" when ENCRYPT), or only its public half. */
static void pem_to(const char *path, EVP_PKEY *pkey, int private, int encrypt)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	int ok = private ? PEM_write_PrivateKey(fp, pkey, encrypt ? EVP_aes_256_cbc() : NULL,
						(unsigned char *)(encrypt ? "x" : NULL),
						encrypt ? 1 : 0, NULL, NULL)
			 : PEM_write_PUBKEY(fp, pkey);
	assert_int_equal(ok, 1);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, 0600), 0);
}

/* Loads PATH (a private key when PRIVATE) and checks the whole message:
 * "PATH: WANT", the path once. */
static void want_key_error(const char *path, int private, const char *want)
{
	struct trace_key *k = NULL;
	struct errbuf e;
	int rc = private ? trace_key_load(path, &k, &e) : trace_key_load_public(path, &k, &e);
	assert_int_equal(rc, -1);
	assert_null(k);
	char full[1024];
	snprintf(full, sizeof full, "%s: %s", path, want);
	assert_string_equal(e.msg, full);
	assert_int_equal(e.code, EXIT_BAD_INPUT);
}

static void key_errors_say_what_is_wrong(void **state)
{
	struct fx *f = *state;
	char path[192];
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_non_null(rsa);
	assert_non_null(ec);
	assert_non_null(ed);
	static const char other_alg[] = "kaudit signs with Ed25519 (kaudit keygen)";
	char want[512];

	snprintf(path, sizeof path, "%s/rsa.pem", f->dir);
	pem_to(path, rsa, 1, 0);
	snprintf(want, sizeof want, "is an RSA key; %s", other_alg);
	want_key_error(path, 1, want);
	snprintf(path, sizeof path, "%s/rsa.pub", f->dir);
	pem_to(path, rsa, 0, 0);
	want_key_error(path, 0, want);

	snprintf(path, sizeof path, "%s/ec.pem", f->dir);
	pem_to(path, ec, 1, 0);
	snprintf(want, sizeof want, "is an EC key; %s", other_alg);
	want_key_error(path, 1, want);

	/* Encrypted: refused without asking (the callback refuses; a prompt
	 * would block here, with no terminal to answer it). */
	snprintf(path, sizeof path, "%s/enc.pem", f->dir);
	pem_to(path, ed, 1, 1);
	want_key_error(path, 1, "encrypted keys are not supported: kaudit never prompts for a "
				"pass phrase (it runs unattended); use an unencrypted key of mode "
				"0600 (kaudit keygen)");
	want_key_error(path, 0, "is a private key, where a public key (SPKI PEM) is needed: "
				"give the public half (KEY.pem.pub, written by kaudit keygen)");

	/* The halves swapped: each says which half it is. */
	char pub[192];
	snprintf(pub, sizeof pub, "%s.pub", f->key_a);
	assert_int_equal(chmod(pub, 0644), 0);
	want_key_error(pub, 1, "is a public key, where the private key is needed to sign: "
			       "give the private half (the file without .pub)");
	want_key_error(f->key_a, 0, "is a private key, where a public key (SPKI PEM) is "
				    "needed: give the public half (KEY.pem.pub, written by "
				    "kaudit keygen)");

	/* A symbolic link: refused, saying why and where the key really is. */
	snprintf(path, sizeof path, "%s/link.pem", f->dir);
	assert_int_equal(symlink(f->key_a, path), 0);
	snprintf(want, sizeof want,
		 "is a symbolic link; kaudit opens keys without following links so that a "
		 "link planted in the key's place cannot make it sign with another key or "
		 "read another file (give the real path: %s)", f->key_a);
	want_key_error(path, 1, want);

	/* Owned by another user, mode 0600: refused like a 0644 key (only
	 * root can give a file away, and root reads every file). */
	if (geteuid() == 0) {
		snprintf(path, sizeof path, "%s/other.pem", f->dir);
		pem_to(path, ed, 1, 0);
		assert_int_equal(chown(path, 65534, (gid_t)-1), 0);
		snprintf(want, sizeof want,
			 "private key is owned by another user (uid 65534, not 0), who can read "
			 "or replace it; use a key of your own (kaudit keygen) or run "
			 "'chown 0 %s'", path);
		want_key_error(path, 1, want);
		assert_int_equal(chown(path, 0, (gid_t)-1), 0); /* the same file, owned: taken */
		struct trace_key *k;
		struct errbuf e;
		assert_int_equal(trace_key_load(path, &k, &e), 0);
		trace_key_free(k);
	}
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ed);
}

/* The XDG base directory spec: a relative $XDG_CONFIG_HOME is invalid and
 * ignored, for the key and for the trust store alike. */
static void relative_xdg_config_home_is_ignored(void **state)
{
	(void)state;
	char buf[512];
	struct errbuf e;
	const char *home = getenv("HOME");
	char saved[512];
	snprintf(saved, sizeof saved, "%s", home ? home : "");
	setenv("HOME", "/home/someone", 1);
	setenv("XDG_CONFIG_HOME", "relative/cfg", 1);
	assert_int_equal(trace_key_default_path(buf, sizeof buf, &e), 0);
	assert_string_equal(buf, "/home/someone/.config/kaudit/key.pem");
	assert_int_equal(trace_trust_default_path(buf, sizeof buf, &e), 0);
	assert_string_equal(buf, "/home/someone/.config/kaudit/allowed_signers");
	setenv("XDG_CONFIG_HOME", "/abs/cfg", 1); /* an absolute one is honoured */
	assert_int_equal(trace_key_default_path(buf, sizeof buf, &e), 0);
	assert_string_equal(buf, "/abs/cfg/kaudit/key.pem");
	assert_int_equal(trace_trust_default_path(buf, sizeof buf, &e), 0);
	assert_string_equal(buf, "/abs/cfg/kaudit/allowed_signers");
	unsetenv("XDG_CONFIG_HOME");
	if (home)
		setenv("HOME", saved, 1);
	else
		unsetenv("HOME");
}

/* The damage a summary names: a cut file is truncated, a flipped byte in
 * the compressed data corrupt, a changed record tampered (never the one
 * for the other: inspect and check label the status line with it). */
static const char *damage(const char *path)
{
	static char out[32];
	struct trace_contents c;
	struct errbuf e;
	assert_int_equal(trace_read(path, &c, &e), 0);
	json_t *s = trace_summary(&c);
	const char *d = json_string_value(json_object_get(s, "damage"));
	snprintf(out, sizeof out, "%s", d ? d : "none");
	assert_int_equal(json_is_true(json_object_get(s, "truncated")), strcmp(out, "truncated") == 0);
	json_decref(s);
	trace_contents_free(&c);
	return out;
}

static void damage_is_told_apart(void **state)
{
	struct fx *f = *state;
	write_trace(f->kat, f->a, 3000);
	assert_string_equal(damage(f->kat), "none");
	char *raw;
	size_t n;
	struct errbuf e;
	assert_int_equal(read_file(f->kat, 1 << 26, &raw, &n, &e), 0);
	raw_to(f->tampered, raw, n - 7);
	assert_string_equal(damage(f->tampered), "truncated");
	raw_to(f->tampered, raw, n / 2);
	assert_string_equal(damage(f->tampered), "truncated");
	raw[n / 2] ^= 0x20;
	raw_to(f->tampered, raw, n);
	assert_string_equal(damage(f->tampered), "corrupt");
	free(raw);
	size_t m;
	char *buf = gunzip_all(f->kat, &m);
	char *d = strstr(line_at(buf, 5), "\"start\":") + 9;
	*d = *d == '9' ? '8' : (char)(*d + 1);
	gzip_to(f->tampered, buf, m);
	assert_string_equal(damage(f->tampered), "tampered");
	free(buf);
	buf = gunzip_all(f->kat, &m);
	gzip_to(f->tampered, buf, (size_t)(line_at(buf, 3004) - buf)); /* signature cut off */
	assert_string_equal(damage(f->tampered), "unsigned");
	free(buf);
}

static void add_rec(struct trace_writer *w, struct record *r)
{
	struct errbuf e;
	assert_int_equal(trace_writer_add(w, r, &e), 0);
	record_clear(r);
}

static void add_header(struct fx *f, struct trace_writer *w)
{
	struct record r;
	record_init(&r, REC_HEADER);
	r.u.header.version = 1;
	r.u.header.tool = xstrdup(KAUDIT_VERSION);
	r.u.header.time = xstrdup("2026-11-26T08:00:00Z");
	r.u.header.pubkey = xstrdup(trace_key_public_pem(f->a));
	add_rec(w, &r);
}

static void add_sample(struct trace_writer *w, int64_t k, int64_t round, double ns)
{
	struct record r;
	record_init(&r, REC_SAMPLE);
	r.case_index = k;
	r.impl = IMPL_CANDIDATE;
	r.u.sample.round = round;
	r.u.sample.traced = 1;
	r.u.sample.event_ns = ns;
	add_rec(w, &r);
}

static void finish_unsigned_predicate(struct fx *f, struct trace_writer *w)
{
	struct errbuf e;
	json_t *p = json_object();
	assert_int_equal(trace_writer_finish(w, f->a, p, &e), 0);
	json_decref(p);
}

/* What trace_stream hands out, summarised the way inspect does. */
struct stream_seen {
	struct trace_summary_acc *acc;
	size_t groups;
};

static void seen_record(void *ctx, const struct record *r)
{
	struct stream_seen *s = ctx;
	trace_summary_acc_record(s->acc, r);
}

static void seen_case(void *ctx, const struct record *recs, size_t n)
{
	struct stream_seen *s = ctx;
	s->groups++;
	for (size_t i = 1; i < n; i++)
		assert_int_equal(recs[i].case_index, recs[0].case_index);
	trace_summary_acc_case(s->acc, recs, n);
}

/* trace_summary over trace_read and the streaming summary of PATH, as
 * JSON text; *GROUPS: how many cases the stream handed out. */
static void both_summaries(const char *path, char **whole, char **streamed, size_t *groups)
{
	struct trace_contents c;
	struct errbuf e;
	assert_int_equal(trace_read(path, &c, &e), 0);
	json_t *s = trace_summary(&c);
	*whole = json_dumps(s, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(s);
	trace_contents_free(&c);
	struct stream_seen seen = { trace_summary_acc_new(), 0 };
	struct trace_visitor v = { &seen, seen_record, seen_case };
	assert_int_equal(trace_stream(path, &v, &c, &e), 0);
	assert_int_equal(c.records.n, 0); /* kept nothing */
	s = trace_summary_acc_finish(seen.acc, &c);
	*streamed = json_dumps(s, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(s);
	trace_summary_acc_free(seen.acc);
	trace_contents_free(&c);
	*groups = seen.groups;

	/* A case at a time (what inspect and check print from, the cases
	 * parked on a temporary file meanwhile): the same document. */
	struct stream_seen again = { trace_summary_acc_new(), 0 };
	v.ctx = &again;
	assert_int_equal(trace_stream(path, &v, &c, &e), 0);
	s = trace_summary_acc_finish_head(again.acc, &c);
	assert_true(json_is_null(json_object_get(s, "cases")));
	json_t *cases = json_array();
	for (size_t i = 0; i < trace_summary_acc_ncases(again.acc); i++)
		json_array_append_new(cases, trace_summary_acc_case_at(again.acc, i));
	json_object_set_new(s, "cases", cases);
	char *one_by_one = json_dumps(s, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(one_by_one, *streamed);
	free(one_by_one);
	json_decref(s);
	trace_summary_acc_free(again.acc);
	trace_contents_free(&c);

	/* Brief (check's text): each case its case, kernel and verdict only. */
	struct stream_seen brief = { trace_summary_acc_new(), 0 };
	trace_summary_acc_brief(brief.acc);
	v.ctx = &brief;
	assert_int_equal(trace_stream(path, &v, &c, &e), 0);
	s = trace_summary_acc_finish(brief.acc, &c);
	json_t *full = json_loads(*streamed, 0, NULL);
	assert_int_equal(json_array_size(json_object_get(s, "cases")),
			 json_array_size(json_object_get(full, "cases")));
	size_t i;
	json_t *bc;
	json_array_foreach(json_object_get(s, "cases"), i, bc) {
		json_t *fc = json_array_get(json_object_get(full, "cases"), i);
		assert_true(json_equal(json_object_get(bc, "case"), json_object_get(fc, "case")));
		assert_true(json_equal(json_object_get(bc, "kernel"), json_object_get(fc, "kernel")) ||
			    !json_object_get(fc, "kernel"));
		assert_true(json_equal(json_object_get(bc, "verdict"),
				       json_object_get(fc, "verdict")) ||
			    !json_object_get(fc, "verdict"));
		assert_null(json_object_get(bc, "params"));
		assert_int_equal(json_array_size(json_object_get(bc, "findings")), 0);
	}
	json_decref(full);
	json_decref(s);
	trace_summary_acc_free(brief.acc);
	trace_contents_free(&c);
}

/* The summary groups records by case: cases in the trace order of their
 * case records, each with its own samples and findings (which come after
 * all cases); the streaming summary is the same document. */
static void summary_groups_by_case(void **state)
{
	struct fx *f = *state;
	struct trace_writer *w;
	struct errbuf e;
	assert_int_equal(trace_writer_open(f->kat, &w, &e), 0);
	add_header(f, w);
	struct record r;
	for (int k = 2; k >= 0; k--) {
		record_init(&r, REC_CASE);
		r.case_index = k;
		r.u.kase.kernel = xstrdup(k == 1 ? "one" : "other");
		add_rec(w, &r);
		for (int rd = 0; rd < 3; rd++)
			add_sample(w, k, rd, 1000.0 * (k + 1) + 3 * rd + k);
		record_init(&r, REC_BUILD); /* audit-wide records may lie anywhere */
		r.u.build.kernel = xstrdup("other");
		r.u.build.ok = 1;
		add_rec(w, &r);
	}
	record_init(&r, REC_FINDING);
	r.case_index = 1;
	r.u.finding.code = xstrdup("unstable-timing");
	r.u.finding.severity = xstrdup("warning");
	add_rec(w, &r);
	finish_unsigned_predicate(f, w);
	struct trace_contents c;
	assert_int_equal(trace_read(f->kat, &c, &e), 0);
	json_t *s = trace_summary(&c);
	assert_true(json_is_true(json_object_get(s, "intact")));
	json_t *cases = json_object_get(s, "cases");
	assert_int_equal(json_array_size(cases), 3);
	for (size_t i = 0; i < 3; i++) {
		json_t *cj = json_array_get(cases, i);
		int64_t k = json_integer_value(json_object_get(cj, "case"));
		assert_int_equal(k, 2 - (int64_t)i); /* trace order of the case records */
		json_t *t = json_object_get(json_object_get(cj, "timing"), "candidate");
		assert_int_equal(json_integer_value(json_object_get(t, "samples")), 3);
		/* round r holds the one sample of round r: event 1000(k+1) + 3r + k */
		json_t *rounds = json_object_get(t, "round_medians_ns");
		assert_int_equal(json_array_size(rounds), 3);
		for (int64_t rd = 0; rd < 3; rd++)
			assert_true(json_real_value(json_array_get(rounds, (size_t)rd)) ==
				    1000.0 * (double)(k + 1) + (double)(3 * rd + k));
		assert_int_equal(json_array_size(json_object_get(cj, "findings")), k == 1);
	}
	assert_int_equal(json_array_size(json_object_get(s, "builds")), 3);
	json_decref(s);
	trace_contents_free(&c);
	char *whole, *streamed;
	size_t groups;
	both_summaries(f->kat, &whole, &streamed, &groups);
	assert_string_equal(whole, streamed);
	assert_int_equal(groups, 3);
	free(whole);
	free(streamed);
}

/* kaudit-trace(5) ORDER: a record of a case after another case's records
 * began, or the audit-wide device after the cases began, is damage with
 * its line; both readers say so alike. */
static void case_order_is_integrity(void **state)
{
	struct fx *f = *state;
	struct trace_writer *w;
	struct errbuf e;
	struct trace_contents c;
	for (int variant = 0; variant < 3; variant++) {
		assert_int_equal(trace_writer_open(f->kat, &w, &e), 0);
		add_header(f, w);
		add_sample(w, 0, 0, 100);                       /* line 2 */
		add_sample(w, 1, 0, 100);                       /* line 3 */
		if (variant == 0)
			add_sample(w, 0, 1, 100);               /* line 4: case 0 again */
		struct record r;
		record_init(&r, variant == 1 ? REC_DEVICE : REC_FINDING);
		if (variant != 1) {                             /* a conclusion may */
			r.case_index = 0;
			r.u.finding.code = xstrdup("unstable-timing");
			r.u.finding.severity = xstrdup("warning");
		} else {
			r.u.device.name = xstrdup("NVIDIA H100");
			r.u.device.uuid = xstrdup("GPU-1");
		}
		add_rec(w, &r);                                 /* line 4 or 5 */
		finish_unsigned_predicate(f, w);
		assert_int_equal(trace_read(f->kat, &c, &e), 0);
		int rc = trace_integrity(&c, NULL, &e);
		trace_contents_free(&c);
		struct trace_visitor v = { NULL, NULL, NULL };
		struct errbuf e2;
		assert_int_equal(trace_stream(f->kat, &v, &c, &e2), 0);
		assert_int_equal(trace_integrity(&c, NULL, &e2), rc);
		trace_contents_free(&c);
		if (variant == 2) {
			assert_int_equal(rc, 0);
			continue;
		}
		assert_int_equal(rc, -1);
		assert_int_equal(e.code, EXIT_INTEGRITY);
		assert_string_equal(e.msg, e2.msg);
		assert_non_null(strstr(e.msg, variant == 0 ? "line 4: a record of case 0 after"
						       : "line 4: the audit-wide device"));
	}
}

/* Writes TEXT to PATH. */
static void text_to(const char *path, const char *text)
{
	raw_to(path, text, strlen(text));
}

/* The body line of K's SPKI PEM: the base64 of its DER. */
static void key_b64(const struct trace_key *k, char *out, size_t n)
{
	const char *pem = trace_key_public_pem(k);
	const char *b = strchr(pem, '\n') + 1, *end = strchr(b, '\n');
	snprintf(out, n, "%.*s", (int)(end - b), b);
}

static void trust_store(void **state)
{
	struct fx *f = *state;
	char path[160], text[1024], a64[128], b64[128];
	struct trace_trust *t;
	struct errbuf e;
	key_b64(f->a, a64, sizeof a64);
	key_b64(f->b, b64, sizeof b64);
	snprintf(path, sizeof path, "%s/allowed_signers", f->dir);
	snprintf(text, sizeof text, "# reviewers\n\n  alice@example.org %s   # laptop\n"
		 "ci/gpu-farm\t%s\nalice@example.org %s\r\n", a64, b64, a64);
	text_to(path, text);
	assert_int_equal(trace_trust_load(path, &t, &e), 0);
	assert_int_equal(trace_trust_count(t), 2);
	assert_string_equal(trace_trust_name(t, trace_key_id(f->a)), "alice@example.org");
	assert_string_equal(trace_trust_name(t, trace_key_id(f->b)), "ci/gpu-farm");
	assert_null(trace_trust_name(t, "00"));
	assert_string_equal(trace_trust_path(t), path);
	trace_trust_free(t);

	static const struct {
		const char *fmt, *want;
	} bad[] = {
		{ "alice\n", ":1: a name without a key" },
		{ "# ok\nalice %s extra\n", ":2: unexpected 'extra'" },
		{ "al ice %s\n", ":1: unexpected" },
		{ "al$ce %s\n", ":1: name 'al$ce' has a character" },
		{ "alice AAAA\n", ":1: not a DER public key" },
		{ "alice %s=\n", ":1: the key is not base64" },
		{ "alice %s\nbob %s\n", ":2: this key is already named 'alice' on line 1" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(text, sizeof text, bad[i].fmt, a64, a64);
		text_to(path, text);
		t = (struct trace_trust *)1;
		assert_int_equal(trace_trust_load(path, &t, &e), -1);
		assert_null(t);
		if (!strstr(e.msg, path) || !strstr(e.msg, bad[i].want))
			fail_msg("line %zu: '%s', wanted '%s'", i, e.msg, bad[i].want);
	}

	/* Where the store is: the variable, then XDG; missing default = none. */
	char xdg[128], def[256];
	snprintf(xdg, sizeof xdg, "%s/cfg", f->dir);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	unsetenv("KAUDIT_ALLOWED_SIGNERS");
	assert_int_equal(trace_trust_default_path(def, sizeof def, &e), 0);
	assert_non_null(strstr(def, "/cfg/kaudit/allowed_signers"));
	assert_int_equal(trace_trust_load(NULL, &t, &e), 0);
	assert_null(t);
	snprintf(text, sizeof text, "alice %s\n", a64);
	text_to(path, text);
	setenv("KAUDIT_ALLOWED_SIGNERS", path, 1);
	assert_int_equal(trace_trust_load(NULL, &t, &e), 0);
	assert_string_equal(trace_trust_name(t, trace_key_id(f->a)), "alice");
	trace_trust_free(t);
	setenv("KAUDIT_ALLOWED_SIGNERS", "", 1);
	assert_int_equal(trace_trust_load(NULL, &t, &e), 0);
	assert_null(t);
	snprintf(def, sizeof def, "%s/missing", f->dir);
	setenv("KAUDIT_ALLOWED_SIGNERS", def, 1);
	assert_int_equal(trace_trust_load(NULL, &t, &e), -1); /* named, so it must exist */
	assert_int_equal(e.code, EXIT_BAD_INPUT);
	unsetenv("KAUDIT_ALLOWED_SIGNERS");
	unsetenv("XDG_CONFIG_HOME");
}

static void key_from_der(void **state)
{
	struct fx *f = *state;
	char a64[128];
	key_b64(f->a, a64, sizeof a64);
	size_t n = strlen(a64);
	unsigned char der[128];
	int len = EVP_DecodeBlock(der, (const unsigned char *)a64, (int)n);
	assert_true(len > 2);
	len -= a64[n - 1] == '=' ? (a64[n - 2] == '=' ? 2 : 1) : 0;
	struct trace_key *k;
	struct errbuf e;
	assert_int_equal(trace_key_from_der(der, (size_t)len, &k, &e), 0);
	assert_string_equal(trace_key_id(k), trace_key_id(f->a));
	trace_key_free(k);
	der[len] = 0;
	assert_int_equal(trace_key_from_der(der, (size_t)len + 1, &k, &e), -1); /* trailing byte */
	assert_int_equal(trace_key_from_der(der, 10, &k, &e), -1);
}

static void predicate_from_records(void **state)
{
	struct fx *f = *state;
	write_trace(f->kat, f->a, 2);
	struct trace_contents c;
	struct errbuf e;
	assert_int_equal(trace_read(f->kat, &c, &e), 0);
	json_t *p = trace_predicate(c.records.v, c.records.n);
	assert_string_equal(json_string_value(json_object_get(p, "claim_sha256")), "c1a1");
	json_t *c0 = json_array_get(json_object_get(p, "cases"), 0);
	assert_string_equal(json_string_value(json_object_get(c0, "verdict")), "reproduced");
	assert_string_equal(json_string_value(json_object_get(json_object_get(p, "device"), "uuid")),
			    "GPU-1");
	assert_string_equal(json_string_value(json_object_get(p, "start_time")),
			    "2026-11-26T08:00:00Z");
	assert_string_equal(json_string_value(json_object_get(p, "kaudit_version")), KAUDIT_VERSION);
	assert_non_null(json_object_get(p, "end_time"));
	assert_null(json_object_get(p, "margin")); /* the header has none */
	json_decref(p);
	/* The same from its parts; the header's margin when it has one. */
	c.records.v[0].u.header.margin = 0.125;
	const struct record *v[1] = { &c.records.v[c.records.n - 3] };
	assert_int_equal(v[0]->type, REC_VERDICT);
	p = trace_predicate_of(&c.records.v[0].u.header, &c.records.v[1].u.device, v, 1);
	assert_true(json_real_value(json_object_get(p, "margin")) == 0.125);
	c0 = json_array_get(json_object_get(p, "cases"), 0);
	assert_string_equal(json_string_value(json_object_get(c0, "verdict")), "reproduced");
	assert_null(json_object_get(p, "verdict")); /* no claim verdict among V */
	json_decref(p);
	trace_contents_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(intact_trace_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(members_close_every_4096_records, setup, teardown),
		cmocka_unit_test_setup_teardown(interrupted_writer_leaves_readable_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(tampered_traces_are_caught, setup, teardown),
		cmocka_unit_test_setup_teardown(damaged_files, setup, teardown),
		cmocka_unit_test_setup_teardown(resigned_by_another_key, setup, teardown),
		cmocka_unit_test_setup_teardown(signed_predicate_must_match_records, setup, teardown),
		cmocka_unit_test_setup_teardown(writer_refuses_misuse, setup, teardown),
		cmocka_unit_test_setup_teardown(keys, setup, teardown),
		cmocka_unit_test_setup_teardown(default_key_created_on_first_use, setup, teardown),
		cmocka_unit_test_setup_teardown(predicate_from_records, setup, teardown),
		cmocka_unit_test_setup_teardown(damage_is_told_apart, setup, teardown),
		cmocka_unit_test_setup_teardown(summary_groups_by_case, setup, teardown),
		cmocka_unit_test_setup_teardown(case_order_is_integrity, setup, teardown),
		cmocka_unit_test_setup_teardown(trust_store, setup, teardown),
		cmocka_unit_test_setup_teardown(key_from_der, setup, teardown),
		cmocka_unit_test_setup_teardown(key_errors_say_what_is_wrong, setup, teardown),
		cmocka_unit_test(relative_xdg_config_home_is_ignored),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
