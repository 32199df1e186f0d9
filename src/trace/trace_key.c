/*
 * trace_key.c - Ed25519 signing keys (OpenSSL EVP): generate, load, sign,
 * verify.  Private keys are PKCS#8 PEM files of mode 0600; a file that group
 * or others can read is refused, as ssh does, because a leaked key lets
 * anyone forge an audit.  Key material in memory is cleansed after use.
 */
#include "trace/trace_private.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#define KEY_FILE_MAX 16384 /* a PEM Ed25519 key is ~120 bytes */

struct trace_key {
	EVP_PKEY *pkey;
	int has_private;
	char *pub_pem;
	char keyid[65];
};

const char *trace_key_public_pem(const struct trace_key *k)
{
	return k->pub_pem;
}

const char *trace_key_id(const struct trace_key *k)
{
	return k->keyid;
}

int trace_key_has_private(const struct trace_key *k)
{
	return k->has_private;
}

void trace_key_free(struct trace_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k->pub_pem);
	free(k);
}

/* OpenSSL's pass phrase callback: refuse at once, so that reading a key
 * never stops to prompt on the terminal (kaudit runs unattended, in CI). */
static int no_pass_phrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

/* "an RSA key", "an EC key": what a key of another algorithm is, for the
 * message that says kaudit wants Ed25519. */
static const char *key_kind(const EVP_PKEY *pkey)
{
	static const struct {
		int id;
		const char *what;
	} kinds[] = {
		{ EVP_PKEY_RSA, "an RSA key" },	      { EVP_PKEY_RSA_PSS, "an RSA-PSS key" },
		{ EVP_PKEY_EC, "an EC key" },	      { EVP_PKEY_DSA, "a DSA key" },
		{ EVP_PKEY_ED448, "an Ed448 key" },   { EVP_PKEY_X25519, "an X25519 key" },
		{ EVP_PKEY_X448, "an X448 key" },     { EVP_PKEY_DH, "a DH key" },
	};
	int id = EVP_PKEY_get_id(pkey);
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (kinds[i].id == id)
			return kinds[i].what;
	return "a key of another algorithm";
}

/* Wraps PKEY (taken) with its SPKI PEM and keyid. */
static int key_wrap(EVP_PKEY *pkey, int has_private, struct trace_key **out,
		    struct errbuf *e)
{
	if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
		errbuf_set(e, EXIT_BAD_INPUT, "is %s; kaudit signs with Ed25519 (kaudit keygen)",
			   key_kind(pkey));
		EVP_PKEY_free(pkey);
		return -1;
	}
	unsigned char *der = NULL;
	int dlen = i2d_PUBKEY(pkey, &der);
	BIO *bio = BIO_new(BIO_s_mem());
	if (dlen <= 0 || !bio || !PEM_write_bio_PUBKEY(bio, pkey)) {
		OPENSSL_free(der);
		BIO_free(bio);
		EVP_PKEY_free(pkey);
		return errbuf_set(e, EXIT_BAD_INPUT, "cannot encode the public key");
	}
	struct trace_key *k = xcalloc(1, sizeof *k);
	k->pkey = pkey;
	k->has_private = has_private;
	sha256_hex(der, (size_t)dlen, k->keyid);
	OPENSSL_free(der);
	char *mem;
	long n = BIO_get_mem_data(bio, &mem);
	k->pub_pem = xstrndup(mem, (size_t)n);
	BIO_free(bio);
	*out = k;
	return 0;
}

/* What a PEM text holds, from its armour lines: enough to say "this is a
 * private key" or "this key is encrypted" instead of "not a key". */
enum pem_kind { PEM_OTHER, PEM_PUBLIC, PEM_PRIVATE, PEM_ENCRYPTED };

static enum pem_kind pem_kind(const char *pem)
{
	/* PKCS#8 encrypted, or a legacy key with a Proc-Type header. */
	if (strstr(pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----") ||
	    strstr(pem, "Proc-Type: 4,ENCRYPTED"))
		return PEM_ENCRYPTED;
	/* "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH ...". */
	if (strstr(pem, "PRIVATE KEY-----"))
		return PEM_PRIVATE;
	if (strstr(pem, "PUBLIC KEY-----"))
		return PEM_PUBLIC;
	return PEM_OTHER;
}

int trace_key_from_pem(const char *pem, struct trace_key **out, struct errbuf *e)
{
	if (pem_kind(pem) == PEM_PRIVATE || pem_kind(pem) == PEM_ENCRYPTED)
		return errbuf_set(e, EXIT_BAD_INPUT,
				  "is a private key, where a public key (SPKI PEM) is needed: "
				  "give the public half (KEY.pem.pub, written by kaudit keygen)");
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *pkey = bio ? PEM_read_bio_PUBKEY(bio, NULL, no_pass_phrase, NULL) : NULL;
	BIO_free(bio);
	if (!pkey)
		return errbuf_set(e, EXIT_BAD_INPUT, "not a PEM public key (SPKI)");
	return key_wrap(pkey, 0, out, e);
}

int trace_key_from_der(const unsigned char *der, size_t n, struct trace_key **out,
		       struct errbuf *e)
{
	const unsigned char *p = der;
	EVP_PKEY *pkey = n > 0 && n <= KEY_FILE_MAX ? d2i_PUBKEY(NULL, &p, (long)n) : NULL;
	if (!pkey)
		return errbuf_set(e, EXIT_BAD_INPUT, "not a DER public key (SPKI)");
	if ((size_t)(p - der) != n) { /* bytes after the key: not one key */
		EVP_PKEY_free(pkey);
		return errbuf_set(e, EXIT_BAD_INPUT, "bytes after the DER public key");
	}
	return key_wrap(pkey, 0, out, e);
}

int trace_key_load_public(const char *path, struct trace_key **out, struct errbuf *e)
{
	char *text;
	if (read_file(path, KEY_FILE_MAX, &text, NULL, e) < 0)
		return -1;
	struct errbuf ke;
	int rc = trace_key_from_pem(text, out, &ke);
	free(text);
	if (rc < 0) /* ke, not E: E's message may not be formatted into itself */
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", path, ke.msg);
	return 0;
}

/* The message for a key path that open(O_NOFOLLOW) refused with ELOOP: a
 * symbolic link, refused on purpose, or a real loop. */
static int refuse_link(const char *path, struct errbuf *e)
{
	struct stat st;
	if (lstat(path, &st) < 0 || !S_ISLNK(st.st_mode))
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", path, strerror(ELOOP));
	char real[PATH_MAX];
	const char *target = realpath(path, real) ? real : "the file it points to";
	return errbuf_set(e, EXIT_BAD_INPUT,
			  "%s: is a symbolic link; kaudit opens keys without following links "
			  "so that a link planted in the key's place cannot make it sign with "
			  "another key or read another file (give the real path: %s)",
			  path, target);
}

/* Reads the private key file at PATH, refusing symlinks, files another
 * user owns and group/other-readable files; the buffer holding the PEM is
 * cleansed. */
static int load_private(const char *path, struct trace_key **out, struct errbuf *e)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ELOOP)
		return refuse_link(path, e);
	if (fd < 0)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: not a regular file", path);
	}
	if (st.st_size > KEY_FILE_MAX) {
		close(fd);
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: too large for a key", path);
	}
	char buf[KEY_FILE_MAX + 1];
	size_t n = 0;
	while (n < KEY_FILE_MAX) {
		ssize_t r = read(fd, buf + n, KEY_FILE_MAX - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	enum pem_kind kind = pem_kind(buf);
	/* A public key is no secret: say what it is before what its mode is. */
	if (kind == PEM_PUBLIC) {
		OPENSSL_cleanse(buf, sizeof buf);
		return errbuf_set(e, EXIT_BAD_INPUT,
				  "%s: is a public key, where the private key is needed to sign: "
				  "give the private half (the file without .pub)", path);
	}
	/* root can read every file, so mode 0600 alone does not make a key
	 * private to root: a key another user owns is one that user can
	 * replace or read, the same risk as mode 0644. */
	if (st.st_uid != geteuid()) {
		OPENSSL_cleanse(buf, sizeof buf);
		return errbuf_set(e, EXIT_BAD_INPUT,
				  "%s: private key is owned by another user (uid %u, not %u), "
				  "who can read or replace it; use a key of your own "
				  "(kaudit keygen) or run 'chown %u %s'",
				  path, (unsigned)st.st_uid, (unsigned)geteuid(),
				  (unsigned)geteuid(), path);
	}
	if (st.st_mode & (S_IRGRP | S_IROTH)) {
		OPENSSL_cleanse(buf, sizeof buf);
		return errbuf_set(e, EXIT_BAD_INPUT,
				  "%s: private key is readable by others (mode %03o); "
				  "run 'chmod 600 %s'", path, (unsigned)(st.st_mode & 0777), path);
	}
	BIO *bio = kind == PEM_PRIVATE ? BIO_new_mem_buf(buf, (int)n) : NULL;
	EVP_PKEY *pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_pass_phrase, NULL) : NULL;
	BIO_free(bio);
	OPENSSL_cleanse(buf, sizeof buf);
	if (kind == PEM_ENCRYPTED)
		return errbuf_set(e, EXIT_BAD_INPUT,
				  "%s: encrypted keys are not supported: kaudit never prompts for "
				  "a pass phrase (it runs unattended); use an unencrypted key of "
				  "mode 0600 (kaudit keygen)", path);
	if (!pkey)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: not a PEM private key (PKCS#8)", path);
	struct errbuf ke;
	if (key_wrap(pkey, 1, out, &ke) < 0)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", path, ke.msg);
	return 0;
}

/* Creates FILE with MODE and exactly TEXT, refusing to replace anything. */
static int write_new_file(const char *path, const char *text, size_t n, mode_t mode,
			  struct errbuf *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", path, strerror(errno));
	if (write_all(fd, text, n) < 0 || fsync(fd) < 0) {
		int saved = errno;
		close(fd);
		unlink(path);
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", path, strerror(saved));
	}
	if (close(fd) < 0) {
		unlink(path);
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", path, strerror(errno));
	}
	return 0;
}

/* mkdir -p for the directory part of PATH, mode 0700 (the key's home). */
static int make_parent_dirs(char *path, struct errbuf *e)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int rc = mkdir(path, 0700);
		int saved = errno;
		*p = '/';
		if (rc < 0 && saved != EEXIST) {
			*p = '\0';
			errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", path, strerror(saved));
			*p = '/';
			return -1;
		}
	}
	return 0;
}

int trace_key_generate(const char *path, struct errbuf *e)
{
	size_t plen = strlen(path);
	char *pub = xmalloc(plen + 5);
	memcpy(pub, path, plen);
	memcpy(pub + plen, ".pub", 5);
	struct stat st;
	if (make_parent_dirs(pub, e) < 0) {
		free(pub);
		return -1;
	}
	if (lstat(path, &st) == 0 || lstat(pub, &st) == 0) {
		errbuf_set(e, EXIT_BAD_INPUT, "%s: already exists; refusing to overwrite",
			   lstat(path, &st) == 0 ? path : pub);
		free(pub);
		return -1;
	}
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	BIO *priv = BIO_new(BIO_s_mem());
	BIO *pubb = BIO_new(BIO_s_mem());
	int rc = -1;
	if (!pkey || !priv || !pubb || !PEM_write_bio_PrivateKey(priv, pkey, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_PUBKEY(pubb, pkey)) {
		errbuf_set(e, EXIT_BAD_INPUT, "%s: cannot generate an Ed25519 key", path);
		goto out;
	}
	char *mem;
	long n = BIO_get_mem_data(priv, &mem);
	rc = write_new_file(path, mem, (size_t)n, 0600, e);
	OPENSSL_cleanse(mem, (size_t)n);
	if (rc < 0)
		goto out;
	n = BIO_get_mem_data(pubb, &mem);
	rc = write_new_file(pub, mem, (size_t)n, 0644, e);
	if (rc < 0)
		unlink(path); /* never leave half a pair */
out:
	BIO_free(priv);
	BIO_free(pubb);
	EVP_PKEY_free(pkey); /* EVP_PKEY_free cleanses the private scalar */
	free(pub);
	return rc;
}

int trace_key_default_path(char *buf, size_t size, struct errbuf *e)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int n;
	/* The XDG base directory spec: a relative path is invalid and ignored. */
	if (xdg && xdg[0] == '/')
		n = snprintf(buf, size, "%s/kaudit/key.pem", xdg);
	else if (home && *home)
		n = snprintf(buf, size, "%s/.config/kaudit/key.pem", home);
	else
		return errbuf_set(e, EXIT_BAD_INPUT,
				  "no signing key: set KAUDIT_KEY, XDG_CONFIG_HOME or HOME");
	if (n < 0 || (size_t)n >= size)
		return errbuf_set(e, EXIT_BAD_INPUT, "key path too long");
	return 0;
}

int trace_key_load(const char *path, struct trace_key **out, struct errbuf *e)
{
	char def[4096];
	if (e) {
		e->msg[0] = '\0';
		e->code = EXIT_OK;
	}
	if (!path || !*path) {
		const char *env = getenv("KAUDIT_KEY");
		if (env && *env)
			return load_private(env, out, e);
		if (trace_key_default_path(def, sizeof def, e) < 0)
			return -1;
		struct stat st;
		if (lstat(def, &st) < 0 && errno == ENOENT) {
			if (trace_key_generate(def, e) < 0)
				return -1;
			if (load_private(def, out, e) < 0)
				return -1;
			/* A note, not an error: the caller prints it (code stays 0). */
			errbuf_set(e, EXIT_OK, "created signing key %s (public half %s.pub)",
				   def, def);
			return 0;
		}
		path = def;
	}
	return load_private(path, out, e);
}

int trace_key_sign(const struct trace_key *k, const void *msg, size_t n,
		   unsigned char sig[64], struct errbuf *e)
{
	if (!k->has_private)
		return errbuf_set(e, EXIT_BAD_INPUT, "signing needs a private key");
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t siglen = 64;
	int ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
		 EVP_DigestSign(ctx, sig, &siglen, msg, n) == 1 && siglen == 64;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : errbuf_set(e, EXIT_BAD_INPUT, "Ed25519 signing failed");
}

int trace_key_verify(const struct trace_key *k, const void *msg, size_t n,
		     const unsigned char *sig, size_t siglen)
{
	if (siglen != 64)
		return -1;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
		 EVP_DigestVerify(ctx, sig, siglen, msg, n) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}
