/*
 * trace_key.c - Ed25519 signing keys (OpenSSL EVP): generate, load, sign,
 * verify.  Private keys are PKCS#8 PEM files of mode 0600; a file that group
 * or others can read is refused, as ssh does, because a leaked key lets
 * anyone forge an audit.  Key material in memory is cleansed after use.
 */
#include "trace_private.h"

#include <errno.h>
#include <fcntl.h>
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

/* Wraps PKEY (taken) with its SPKI PEM and keyid. */
static int key_wrap(EVP_PKEY *pkey, int has_private, struct trace_key **out,
		    struct errbuf *e)
{
	if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pkey);
		return errbuf_set(e, EXIT_BAD_INPUT, "not an Ed25519 key");
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

int trace_key_from_pem(const char *pem, struct trace_key **out, struct errbuf *e)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *pkey = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
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

/* Reads the private key file at PATH, refusing group/other-readable files
 * and symlinks; the buffer holding the PEM is cleansed. */
static int load_private(const char *path, struct trace_key **out, struct errbuf *e)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: not a regular file", path);
	}
	if (st.st_mode & (S_IRGRP | S_IROTH)) {
		close(fd);
		return errbuf_set(e, EXIT_BAD_INPUT,
				  "%s: private key is readable by others (mode %03o); "
				  "run 'chmod 600 %s'", path, (unsigned)(st.st_mode & 0777), path);
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
	BIO *bio = BIO_new_mem_buf(buf, (int)n);
	EVP_PKEY *pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	OPENSSL_cleanse(buf, sizeof buf);
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
	if (xdg && *xdg)
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
