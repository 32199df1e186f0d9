/*
 * build_cache.c - where compiled objects live, what names them, and how a
 * hit is trusted.
 *
 * A cache entry is <cache>/<key>.so, <key>.sha256 (the object's sha256,
 * recorded when it was built) and <key>.log (nvcc's output), all mode
 * 0444 in a 0700 directory, each written to a temporary name and renamed
 * into place.  The key is the sha256 of everything the object depends on:
 * the source text, every file the compile reads (kind, path, sha256; claim
 * paths relative to the claim, so moving a claim directory keeps its
 * entries valid), the launcher header, the manifest flags, the
 * architecture, the runtime rpath and nvcc's version.  A hit is re-hashed
 * every time: an object that no longer matches its record is rebuilt.
 */
#include "build/build_private.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

/* The cache directory itself: ours alone. */
static int private_dir(const char *path, struct errbuf *e)
{
	struct stat st;
	if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return errbuf_set(e, EXIT_ENVIRONMENT, "cache directory '%s' is not a directory",
				  path);
	if (st.st_uid != geteuid())
		return errbuf_set(e, EXIT_ENVIRONMENT,
				  "cache directory '%s' belongs to another user", path);
	if ((st.st_mode & 07777) != 0700 && chmod(path, 0700) != 0)
		return errbuf_set(e, EXIT_ENVIRONMENT, "cannot make cache directory '%s' 0700: %s",
				  path, strerror(errno));
	return 0;
}

static int mkdir_one(const char *path, struct errbuf *e)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST) {
		struct stat st;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			return 0;
		return errbuf_set(e, EXIT_ENVIRONMENT, "cache directory '%s' is not a directory",
				  path);
	}
	return errbuf_set(e, EXIT_ENVIRONMENT, "cannot create cache directory '%s': %s", path,
			  strerror(errno));
}

/* mkdir -p, each missing component 0700. */
static int mkdir_parents(char *path, struct errbuf *e)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int rc = mkdir_one(path, e);
		*p = '/';
		if (rc < 0)
			return -1;
	}
	return mkdir_one(path, e);
}

int build_cache_dir(char *out, size_t outsz, struct errbuf *e)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	int n;
	/* The XDG spec says to ignore relative values. */
	if (xdg && xdg[0] == '/') {
		n = snprintf(out, outsz, "%s/kaudit", xdg);
	} else {
		const char *home = getenv("HOME");
		if (!home || !*home) {
			struct passwd *pw = getpwuid(getuid());
			home = pw ? pw->pw_dir : NULL;
		}
		if (!home || !*home)
			return errbuf_set(e, EXIT_ENVIRONMENT,
					  "no cache directory: set XDG_CACHE_HOME or HOME");
		n = snprintf(out, outsz, "%s/.cache/kaudit", home);
	}
	if (n < 0 || (size_t)n >= outsz)
		return errbuf_set(e, EXIT_ENVIRONMENT, "cache directory path too long");
	if (mkdir_parents(out, e) < 0)
		return -1;
	return private_dir(out, e);
}

static void hash_field(EVP_MD_CTX *md, const char *name, const void *data, size_t len)
{
	char head[128];
	int n = snprintf(head, sizeof head, "%s %zu:", name, len);
	EVP_DigestUpdate(md, head, (size_t)n);
	if (len)
		EVP_DigestUpdate(md, data, len);
}

static void hash_str(EVP_MD_CTX *md, const char *name, const char *s)
{
	hash_field(md, name, s ? s : "", s ? strlen(s) : 0);
}

static void hex(const unsigned char *md, unsigned len, char out[65])
{
	for (unsigned i = 0; i < len && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

void build_cache_key(const struct build_key_input *in, char out[65])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!md) {
		fprintf(stderr, "kaudit: out of memory\n");
		abort();
	}
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	/* Bump the tag when the compile command changes shape. */
	hash_str(md, "tag", "kaudit-build-cache-v2");
	hash_field(md, "source", in->source, in->source_len);
	hash_str(md, "deps", in->deps);
	hash_str(md, "launcher", in->launcher);
	hash_str(md, "nvcc", in->nvcc_version);
	hash_str(md, "libdir", in->libdir);
	char count[32];
	snprintf(count, sizeof count, "%zu", in->nflags);
	hash_str(md, "nflags", count);
	for (size_t i = 0; i < in->nflags; i++)
		hash_str(md, "flag", in->flags[i]);
	snprintf(count, sizeof count, "%zu", in->arch ? in->arch->n : 0);
	hash_str(md, "narch", count);
	for (size_t i = 0; in->arch && i < in->arch->n; i++)
		hash_str(md, "arch", in->arch->v[i]);
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	EVP_DigestFinal_ex(md, digest, &len);
	EVP_MD_CTX_free(md);
	hex(digest, len, out);
}

/* Well-formed UTF-8 (no overlong forms, surrogates or values past
 * U+10FFFF) and no NUL byte. */
static int text_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i];
		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t len;
		unsigned min, v;
		if ((c & 0xe0) == 0xc0) {
			len = 2, min = 0x80, v = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3, min = 0x800, v = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4, min = 0x10000, v = c & 0x07;
		} else {
			return 0;
		}
		if (i + len > n)
			return 0;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			v = (v << 6) | (s[i + k] & 0x3f);
		}
		if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

int build_sha256_file(const char *path, char out[65], char **text, struct errbuf *e)
{
	if (text)
		*text = NULL;
	/* O_NONBLOCK: a FIFO put in a file's place must not hang us. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: not a regular file", path);
	}
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!md) {
		close(fd);
		return errbuf_set(e, EXIT_ENVIRONMENT, "%s: out of memory", path);
	}
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	char *keep = NULL;
	size_t klen = 0, kcap = 0;
	int keeping = text != NULL;
	char buf[65536];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;
			EVP_MD_CTX_free(md);
			close(fd);
			free(keep);
			return errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", path, strerror(saved));
		}
		if (n == 0)
			break;
		EVP_DigestUpdate(md, buf, (size_t)n);
		if (keeping && klen + (size_t)n > BUILD_SOURCE_MAX) {
			keeping = 0;
			free(keep);
			keep = NULL;
		}
		if (keeping) {
			xgrow((void **)&keep, &kcap, klen + (size_t)n + 1, 1);
			memcpy(keep + klen, buf, (size_t)n);
			klen += (size_t)n;
		}
	}
	close(fd);
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	EVP_DigestFinal_ex(md, digest, &len);
	EVP_MD_CTX_free(md);
	hex(digest, len, out);
	if (keeping) {
		if (!keep)
			keep = xstrdup("");
		keep[klen] = '\0';
		if (text_utf8((const unsigned char *)keep, klen))
			*text = keep;
		else
			free(keep);
	}
	return 0;
}

/* Writes TEXT to DIR/NAME through a temporary name, mode 0444. */
static int put_file(const char *dir, const char *name, const char *text, struct errbuf *e)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s/%s.XXXXXX", dir, name) >= (int)sizeof tmp ||
	    snprintf(dst, sizeof dst, "%s/%s", dir, name) >= (int)sizeof dst)
		return errbuf_set(e, EXIT_ENVIRONMENT, "cache path too long");
	int fd = mkstemp(tmp);
	if (fd < 0)
		return errbuf_set(e, EXIT_ENVIRONMENT, "cannot write to cache '%s': %s", dir,
				  strerror(errno));
	int ok = write_all(fd, text, strlen(text)) == 0;
	ok = fchmod(fd, 0444) == 0 && ok;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, dst) != 0) {
		int saved = errno;
		unlink(tmp);
		return errbuf_set(e, EXIT_ENVIRONMENT, "cannot write '%s': %s", dst,
				  strerror(saved));
	}
	return 0;
}

void build_cache_put_text(const char *dir, const char *name, const char *text)
{
	struct errbuf ignored;
	if (put_file(dir, name, text, &ignored) < 0)
		return;
}

int build_cache_record(const char *cache, const char *key, const char sha[65],
		       struct errbuf *e)
{
	char name[128], line[80];
	snprintf(name, sizeof name, "%s.sha256", key);
	snprintf(line, sizeof line, "%s\n", sha);
	return put_file(cache, name, line, e);
}

int build_cache_verify(const char *cache, const char *key, const char *so, char sha[65],
		       char *note, size_t notesz, struct errbuf *e)
{
	char rec[PATH_MAX];
	if (snprintf(rec, sizeof rec, "%s/%s.sha256", cache, key) >= (int)sizeof rec)
		return errbuf_set(e, EXIT_ENVIRONMENT, "cache path too long");
	char *want = NULL;
	struct errbuf ignored;
	struct stat st;
	if (lstat(rec, &st) != 0 || !S_ISREG(st.st_mode) ||
	    read_file(rec, 128, &want, NULL, &ignored) < 0) {
		snprintf(note, notesz,
			 "cache entry %.16s had no recorded sha256; rebuilt it", key);
		return 0;
	}
	if (build_sha256_file(so, sha, NULL, e) < 0) {
		free(want);
		return -1;
	}
	int match = strlen(want) >= 64 && strncmp(want, sha, 64) == 0 &&
		    (want[64] == '\0' || strcmp(want + 64, "\n") == 0);
	free(want);
	if (!match) {
		snprintf(note, notesz,
			 "cache entry %.16s did not match the sha256 recorded when it was "
			 "built (changed or corrupt); rebuilt it", key);
		return 0;
	}
	return 1;
}

static int has_launcher(const char *dir)
{
	char p[PATH_MAX];
	int n = snprintf(p, sizeof p, "%s/kaudit/launcher.h", dir);
	return n > 0 && (size_t)n < sizeof p && access(p, R_OK) == 0;
}

int build_find_include_dir(const char *include_dir, char *out, size_t outsz,
			   struct errbuf *e)
{
	if (include_dir && *include_dir) {
		if (!has_launcher(include_dir))
			return errbuf_set(e, EXIT_ENVIRONMENT,
					  "'%s/kaudit/launcher.h' not found", include_dir);
		return snprintf(out, outsz, "%s", include_dir) < (int)outsz
			       ? 0
			       : errbuf_set(e, EXIT_ENVIRONMENT, "include path too long");
	}
	const char *exe = exe_dir();
	/* Bundle, install (bin/../include), sanitizer build (build/san/kaudit),
	 * either in a tree of its own (build/X/san/kaudit). */
	static const char *const rel[] = { "/include", "/../include", "/../../include",
					   "/../../../include" };
	for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
		char cand[PATH_MAX], real[PATH_MAX];
		int m = snprintf(cand, sizeof cand, "%s%s", exe, rel[i]);
		if (m < 0 || (size_t)m >= sizeof cand || !realpath(cand, real) ||
		    !has_launcher(real))
			continue;
		if (snprintf(out, outsz, "%s", real) >= (int)outsz)
			continue;
		return 0;
	}
	return errbuf_set(e, EXIT_ENVIRONMENT,
			  "cannot find kaudit/launcher.h beside '%s' (looked in include/, "
			  "../include/, ../../include/ and ../../../include/)", exe);
}
