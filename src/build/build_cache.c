/*
 * build_cache.c - where compiled objects live and what names them.
 *
 * A cache entry is <cache>/<key>.so (plus <key>.log, nvcc's output), where
 * the key is the sha256 of everything the object depends on: the source
 * text, the text of the files it includes with quotes, the launcher header,
 * the manifest flags, the architecture, the runtime rpath and nvcc's
 * version.  Paths are deliberately left out, so moving a claim directory
 * keeps its cache entries valid.
 */
#include "build_private.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

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
	return mkdir_parents(out, e);
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
	hash_str(md, "tag", "kaudit-build-cache-v1");
	hash_field(md, "source", in->source, in->source_len);
	hash_str(md, "includes", in->includes);
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

int build_sha256_file(const char *path, char out[65], struct errbuf *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", path, strerror(errno));
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!md) {
		close(fd);
		return errbuf_set(e, EXIT_ENVIRONMENT, "%s: out of memory", path);
	}
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	char buf[65536];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;
			EVP_MD_CTX_free(md);
			close(fd);
			return errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", path, strerror(saved));
		}
		if (n == 0)
			break;
		EVP_DigestUpdate(md, buf, (size_t)n);
	}
	close(fd);
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	EVP_DigestFinal_ex(md, digest, &len);
	EVP_MD_CTX_free(md);
	hex(digest, len, out);
	return 0;
}

/* The name inside `#include "NAME"` on the line at P, or NULL. */
static const char *quoted_include(const char *p, size_t *len)
{
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p++ != '#')
		return NULL;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncmp(p, "include", 7) != 0)
		return NULL;
	p += 7;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p++ != '"')
		return NULL;
	size_t n = strcspn(p, "\"\n");
	if (p[n] != '"' || n == 0)
		return NULL;
	*len = n;
	return p;
}

struct include_walk {
	char **paths;   /* real paths already hashed (the main source first) */
	size_t n, cap;
	char *digest;   /* "name sha256\n" lines */
	size_t dlen, dcap;
};

static int seen(const struct include_walk *w, const char *real)
{
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->paths[i], real) == 0)
			return 1;
	return 0;
}

static int walk(struct include_walk *w, const char *path, const char *text, int depth,
		struct errbuf *e)
{
	if (depth > 32)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: includes nested too deeply", path);
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path) : 1;
	const char *dir = slash ? path : ".";
	for (const char *line = text; line && *line;) {
		size_t nlen = 0;
		const char *name = quoted_include(line, &nlen);
		const char *next = strchr(line, '\n');
		line = next ? next + 1 : NULL;
		if (!name)
			continue;
		char cand[PATH_MAX], real[PATH_MAX];
		int n = name[0] == '/'
				? snprintf(cand, sizeof cand, "%.*s", (int)nlen, name)
				: snprintf(cand, sizeof cand, "%.*s/%.*s", dirlen, dir, (int)nlen, name);
		struct stat st;
		if (n < 0 || (size_t)n >= sizeof cand || !realpath(cand, real) ||
		    stat(real, &st) != 0 || !S_ISREG(st.st_mode))
			continue; /* not beside the includer: -I path or system header */
		if (seen(w, real))
			continue;
		if (w->n >= BUILD_MAX_INCLUDES)
			return errbuf_set(e, EXIT_BAD_INPUT, "%s: more than %d included files",
					  path, BUILD_MAX_INCLUDES);
		xgrow((void **)&w->paths, &w->cap, w->n + 1, sizeof *w->paths);
		w->paths[w->n++] = xstrdup(real);
		char *sub = NULL;
		if (read_file(real, BUILD_SOURCE_MAX, &sub, NULL, e) < 0)
			return -1;
		char sha[65];
		sha256_hex(sub, strlen(sub), sha);
		char row[PATH_MAX + 80];
		int rn = snprintf(row, sizeof row, "%.*s %s\n", (int)nlen, name, sha);
		if (rn > 0 && (size_t)rn < sizeof row) {
			xgrow((void **)&w->digest, &w->dcap, w->dlen + (size_t)rn + 1, 1);
			memcpy(w->digest + w->dlen, row, (size_t)rn + 1);
			w->dlen += (size_t)rn;
		}
		int rc = walk(w, cand, sub, depth + 1, e);
		free(sub);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int build_source_includes(const char *path, const char *text, char **out,
			  struct errbuf *e)
{
	struct include_walk w = { 0 };
	char real[PATH_MAX];
	if (realpath(path, real)) {
		xgrow((void **)&w.paths, &w.cap, 1, sizeof *w.paths);
		w.paths[w.n++] = xstrdup(real);
	}
	int rc = walk(&w, path, text, 0, e);
	for (size_t i = 0; i < w.n; i++)
		free(w.paths[i]);
	free(w.paths);
	if (rc < 0) {
		free(w.digest);
		return -1;
	}
	*out = w.digest ? w.digest : xstrdup("");
	return 0;
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
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return errbuf_set(e, EXIT_ENVIRONMENT,
				  "cannot find kaudit/launcher.h: /proc/self/exe unreadable");
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	/* Bundle, install (bin/../include), sanitizer build (build/san/kaudit). */
	static const char *const rel[] = { "/include", "/../include", "/../../include" };
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
			  "../include/ and ../../include/)", exe);
}
