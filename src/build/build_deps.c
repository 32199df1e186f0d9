/*
 * build_deps.c - every file a compile reads, and where it may lie.
 *
 * Two passes.  Before any preprocessor runs, the include scan reads the
 * claim's own files and refuses the obvious escapes (an absolute or ".."
 * name leading out, a link in the claim tree leading out, a computed
 * #include the scan cannot follow), so the preprocessor never opens them.
 * Then `nvcc -M`, with the very flags of the compile, lists what the
 * preprocessor read for the host and every device architecture; each
 * file is classified after its links are followed (claim, kaudit,
 * toolkit, system), and anything else stops the build before nvcc
 * compiles.  The dependency pass's output is never shown or kept: a file
 * it should not have opened could be quoted in a diagnostic.
 */
#include "build/build_private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void build_roots_system(struct build_roots *r)
{
	static const char *const fixed[] = { "/usr/include", "/usr/lib/gcc", "/usr/local/include" };
	struct build_argv found = { 0 };
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		build_argv_push(&found, fixed[i]);
	build_host_include_dirs(&found);
	for (size_t i = 0; i < found.n; i++) {
		char real[PATH_MAX];
		struct stat st;
		if (!realpath(found.v[i], real) || stat(real, &st) != 0 || !S_ISDIR(st.st_mode) ||
		    strcmp(real, "/") == 0)
			continue;
		int dup = 0;
		for (size_t j = 0; j < r->system.n; j++)
			dup |= strcmp(r->system.v[j], real) == 0;
		if (!dup)
			build_argv_push(&r->system, real);
	}
	build_argv_release(&found);
}

void build_roots_release(struct build_roots *r)
{
	build_argv_release(&r->system);
}

static int under(const char *dir, const char *real)
{
	return dir[0] && claim_tree_rel(dir, real) != NULL;
}

const char *build_classify(const struct build_roots *r, const char *real, const char **rel)
{
	/* claim_tree_rel refuses /proc, /sys and /dev whatever the root. */
	if (!claim_tree_rel("/", real) || claim_path_secret(real))
		return NULL;
	const char *in = r->claim[0] ? claim_tree_rel(r->claim, real) : NULL;
	if (in) {
		if (rel)
			*rel = in;
		return "claim";
	}
	if (under(r->kaudit, real))
		return "kaudit";
	if (under(r->toolkit, real))
		return "toolkit";
	for (size_t i = 0; i < r->system.n; i++)
		if (under(r->system.v[i], real))
			return "system";
	return NULL;
}

/* The file's name as messages give it: relative to the claim tree when
 * inside it. */
static const char *shown_path(const struct build_roots *r, const char *real)
{
	const char *rel = r->claim[0] ? claim_tree_rel(r->claim, real) : NULL;
	return rel && *rel ? rel : real;
}

/* --- the include scan --- */

/* A cursor over source text that sees it as the preprocessor's phases 1
 * and 2 leave it: "??=" reads as '#', and a backslash (or "??/") before
 * a newline, blanks allowed between, joins the lines. */
struct cursor {
	const char *p, *end;
	int line;
};

static void skip_splices(struct cursor *c)
{
	for (;;) {
		const char *q = c->p;
		if (q < c->end && *q == '\\')
			q++;
		else if (c->end - q >= 3 && q[0] == '?' && q[1] == '?' && q[2] == '/')
			q += 3;
		else
			return;
		while (q < c->end && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\f' ||
				      *q == '\v'))
			q++;
		if (q >= c->end || *q != '\n')
			return;
		c->p = q + 1;
		c->line++;
	}
}

static int peek(struct cursor *c)
{
	skip_splices(c);
	if (c->p >= c->end)
		return -1;
	if (c->end - c->p >= 3 && c->p[0] == '?' && c->p[1] == '?' && c->p[2] == '=')
		return '#';
	return (unsigned char)*c->p;
}

static void advance(struct cursor *c)
{
	skip_splices(c);
	if (c->p >= c->end)
		return;
	if (c->end - c->p >= 3 && c->p[0] == '?' && c->p[1] == '?' && c->p[2] == '=') {
		c->p += 3;
		return;
	}
	if (*c->p == '\n')
		c->line++;
	c->p++;
}

/* Skips blanks and comments within a directive; stops at a newline. */
static void skip_space(struct cursor *c)
{
	for (;;) {
		int ch = peek(c);
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v') {
			advance(c);
			continue;
		}
		if (ch != '/')
			return;
		struct cursor save = *c;
		advance(c);
		if (peek(c) != '*') {
			*c = save;
			return;
		}
		advance(c);
		for (int prev = 0;;) {
			int x = peek(c);
			if (x < 0)
				return;
			advance(c);
			if (prev == '*' && x == '/')
				break;
			prev = x;
		}
	}
}

static const char *const directives[] = { "include", "include_next", "import", "embed" };

/* At a '#' (or "%:"), reads an include directive's name into NAME.
 * Returns 1 with *ANGLED set for "..." or <...>, 2 for a computed include,
 * 0 when this is no include directive. */
static int read_directive(struct cursor *c, char *name, size_t namesz, int *angled)
{
	skip_space(c);
	char word[16];
	size_t n = 0;
	for (int ch; (ch = peek(c)) >= 0 && (ch == '_' || (ch >= 'a' && ch <= 'z'));) {
		if (n + 1 >= sizeof word)
			return 0;
		word[n++] = (char)ch;
		advance(c);
	}
	word[n] = '\0';
	int known = 0;
	for (size_t i = 0; i < sizeof directives / sizeof directives[0]; i++)
		known |= strcmp(word, directives[i]) == 0;
	if (!known)
		return 0;
	skip_space(c);
	int open = peek(c);
	if (open != '"' && open != '<')
		return open < 0 || open == '\n' ? 0 : 2;
	int close = open == '"' ? '"' : '>';
	*angled = open == '<';
	advance(c);
	n = 0;
	for (int ch; (ch = peek(c)) >= 0 && ch != close && ch != '\n'; advance(c))
		if (n + 1 < namesz)
			name[n++] = (char)ch;
	name[n] = '\0';
	return 1;
}

static int climbs(const char *name)
{
	for (const char *p = name; *p;) {
		size_t len = strcspn(p, "/");
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return 1;
		p += len;
		while (*p == '/')
			p++;
	}
	return 0;
}

struct scan {
	const struct build_roots *r;
	char *const *incdirs;
	size_t nincdirs;
	struct build_argv seen;     /* claim files scanned or queued */
	struct build_argv queue;    /* claim files still to scan */
	struct errbuf *e;
};

static int scan_refuse(struct scan *s, const char *file, int line, const char *name,
		       const char *why)
{
	return errbuf_set(s->e, EXIT_BAD_INPUT, "%s:%d: #include '%.200s' %s", file, line, name,
			  why);
}

/* Looks NAME up in DIR; 0 when absent or acceptable (claim files are
 * queued), -1 with the error set when refused. */
static int try_dir(struct scan *s, const char *file, int line, const char *name,
		   const char *dir)
{
	char cand[PATH_MAX], real[PATH_MAX];
	int n = snprintf(cand, sizeof cand, "%s/%s", dir, name);
	struct stat st;
	if (n < 0 || (size_t)n >= sizeof cand || lstat(cand, &st) != 0)
		return 0;
	if (!realpath(cand, real))
		return scan_refuse(s, file, line, name, "names a link that does not resolve");
	const char *kind = build_classify(s->r, real, NULL);
	if (!kind) {
		char why[PATH_MAX + 128];
		snprintf(why, sizeof why,
			 "reaches '%.300s', outside the claim, kaudit, toolkit and system include "
			 "directories", real);
		return scan_refuse(s, file, line, name, why);
	}
	if (strcmp(kind, "claim") != 0)
		return 0;
	if (stat(real, &st) != 0 || !S_ISREG(st.st_mode))
		return scan_refuse(s, file, line, name, "is not a regular file");
	for (size_t i = 0; i < s->seen.n; i++)
		if (strcmp(s->seen.v[i], real) == 0)
			return 0;
	if (s->seen.n >= BUILD_MAX_INCLUDES)
		return errbuf_set(s->e, EXIT_BAD_INPUT, "%s: more than %d included claim files",
				  file, BUILD_MAX_INCLUDES);
	build_argv_push(&s->seen, real);
	build_argv_push(&s->queue, real);
	return 0;
}

static int check_include(struct scan *s, const char *includer, const char *file, int line,
			 const char *name, int angled)
{
	if (!*name)
		return 0;
	if (name[0] == '/') {
		char real[PATH_MAX];
		if (!realpath(name, real) || !build_classify(s->r, real, NULL))
			return scan_refuse(s, file, line, name,
					   "is absolute and outside the claim, kaudit, toolkit "
					   "and system include directories");
		return try_dir(s, file, line, name + 1, "");
	}
	/* Where the preprocessor looks: beside the includer for "...", then
	 * the -I directories; with "..", the toolkit and system ones too. */
	if (!angled) {
		char dir[PATH_MAX];
		snprintf(dir, sizeof dir, "%s", includer);
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		if (try_dir(s, file, line, name, dir) < 0)
			return -1;
	}
	for (size_t i = 0; i < s->nincdirs; i++)
		if (try_dir(s, file, line, name, s->incdirs[i]) < 0)
			return -1;
	if (!climbs(name))
		return 0;
	if (try_dir(s, file, line, name, s->r->kaudit) < 0)
		return -1;
	char inc[PATH_MAX + 16];
	if (s->r->toolkit[0]) {
		snprintf(inc, sizeof inc, "%s/include", s->r->toolkit);
		if (try_dir(s, file, line, name, inc) < 0)
			return -1;
	}
	for (size_t i = 0; i < s->r->system.n; i++)
		if (try_dir(s, file, line, name, s->r->system.v[i]) < 0)
			return -1;
	return 0;
}

/* Every include name is checked wherever it appears (comments and
 * strings too: a harmless false alarm at worst); a computed include only
 * where a directive can start, after nothing but blanks and comments on
 * its line, so prose in a comment ("// #include order matters") is not
 * one.  Whatever this misses, the dependency pass still sees. */
static int scan_text(struct scan *s, const char *path, const char *text)
{
	const char *file = shown_path(s->r, path);
	struct cursor c = { text, text + strlen(text), 1 };
	int line_start = 1;
	for (int ch; (ch = peek(&c)) >= 0;) {
		int line = c.line;
		if (ch == '\n') {
			line_start = 1;
			advance(&c);
			continue;
		}
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v') {
			advance(&c);
			continue;
		}
		if (ch == '/' && line_start) {
			struct cursor save = c;
			skip_space(&c);
			if (c.p != save.p)
				continue; /* a block comment: still at the line's start */
			line_start = 0;
			advance(&c);
			continue;
		}
		int directive = line_start;
		line_start = 0;
		if (ch == '%') {
			advance(&c);
			if (peek(&c) != ':')
				continue;
		} else if (ch != '#') {
			advance(&c);
			continue;
		}
		advance(&c);
		char name[PATH_MAX];
		int angled = 0;
		int kind = read_directive(&c, name, sizeof name, &angled);
		if (kind == 2 && directive)
			return errbuf_set(s->e, EXIT_BAD_INPUT,
					  "%s:%d: computed #include (a macro, not \"file\" or "
					  "<file>) is not allowed in claim files: kaudit must know "
					  "every file before the preprocessor opens it", file, line);
		if (kind == 1 && check_include(s, path, file, line, name, angled) < 0)
			return -1;
	}
	return 0;
}

int build_source_includes(const struct build_roots *r, const char *source, const char *text,
			  char *const *incdirs, size_t nincdirs, struct errbuf *e)
{
	struct scan s = { .r = r, .incdirs = incdirs, .nincdirs = nincdirs, .e = e };
	build_argv_push(&s.seen, source);
	int rc = scan_text(&s, source, text);
	/* Claim files found are scanned in turn; the queue only grows. */
	for (size_t next = 0; rc == 0 && next < s.queue.n; next++) {
		char *sub = NULL;
		char sha[65];
		if (build_sha256_file(s.queue.v[next], sha, &sub, e) < 0) {
			rc = -1;
			break;
		}
		if (!sub) {
			rc = errbuf_set(e, EXIT_BAD_INPUT,
					"%s: not a text file of at most %u bytes (an included claim "
					"file must be)", shown_path(r, s.queue.v[next]),
					BUILD_SOURCE_MAX);
			break;
		}
		rc = scan_text(&s, s.queue.v[next], sub);
		free(sub);
	}
	build_argv_release(&s.seen);
	build_argv_release(&s.queue);
	return rc;
}

/* --- nvcc -M's list --- */

/* Drops OUT's entries from FROM on (a rule's targets). */
static void truncate_argv(struct build_argv *a, size_t from)
{
	while (a->n > from)
		free(a->v[--a->n]);
	if (a->v)
		a->v[a->n] = NULL;
}

int build_deps_parse(const char *text, struct build_argv *out, struct errbuf *e)
{
	char tok[PATH_MAX];
	size_t n = 0, rule = out->n;
	for (const char *p = text;; p++) {
		int newline = *p == '\n';
		int end = *p == '\0' || newline || *p == ' ' || *p == '\t' || *p == '\r';
		if (*p == '\\' && p[1] == '\n') {
			p++;
			end = 1;
		} else if (*p == '\\' && p[1] == '\r' && p[2] == '\n') {
			p += 2;
			end = 1;
		} else if (*p == '\\' && (p[1] == ' ' || p[1] == '#')) {
			p++;
		}
		if (!end) {
			if (n + 1 >= sizeof tok)
				return errbuf_set(e, EXIT_BAD_INPUT, "a dependency path is too long");
			tok[n++] = *p;
			continue;
		}
		if (n) {
			tok[n] = '\0';
			if (tok[n - 1] == ':') {
				/* "target:" or "target :": what came before builds, not reads */
				truncate_argv(out, rule);
			} else {
				if (out->n >= BUILD_MAX_DEPS)
					return errbuf_set(e, EXIT_BAD_INPUT,
							  "the compile reads more than %d files",
							  BUILD_MAX_DEPS);
				build_argv_push(out, tok);
			}
		}
		n = 0;
		if (newline)
			rule = out->n;
		if (*p == '\0')
			return 0;
	}
}

void build_deps_release(struct build_dep *deps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(deps[i].path);
		free(deps[i].text);
	}
	free(deps);
}

/* Appends REAL (kind KIND) to OUT->deps: hashed, and read when a claim
 * file; duplicates are skipped. */
static int add_dep(const struct build_roots *r, const char *real, const char *kind,
		   const char *shown, struct build_result *out, struct errbuf *e)
{
	const char *rel = NULL;
	if (strcmp(kind, "claim") == 0)
		rel = claim_tree_rel(r->claim, real);
	const char *path = rel ? rel : real;
	for (size_t i = 0; i < out->ndeps; i++)
		if (strcmp(out->deps[i].path, path) == 0 && strcmp(out->deps[i].kind, kind) == 0)
			return 0;
	struct stat st;
	if (stat(real, &st) != 0 || !S_ISREG(st.st_mode))
		return errbuf_set(e, EXIT_BAD_INPUT,
				  "%s: the compile would read '%s', which is not a regular file",
				  shown, rel ? rel : real);
	struct build_dep d = { 0 };
	snprintf(d.kind, sizeof d.kind, "%s", kind);
	if (build_sha256_file(real, d.sha256, rel ? &d.text : NULL, e) < 0)
		return -1;
	d.path = xstrdup(path);
	out->deps = xrealloc(out->deps, (out->ndeps + 1) * sizeof *out->deps);
	out->deps[out->ndeps++] = d;
	return 0;
}

int build_deps_collect(const struct build_roots *r, const char *source, const char *shown,
		       const struct build_argv *paths, const char *cwd, struct build_result *out,
		       struct errbuf *e)
{
	const char *kind = build_classify(r, source, NULL);
	if (!kind || strcmp(kind, "claim") != 0)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: the source is outside the claim directory",
				  shown);
	if (add_dep(r, source, kind, shown, out, e) < 0)
		return -1;
	for (size_t i = 0; i < paths->n; i++) {
		char joined[PATH_MAX], real[PATH_MAX];
		const char *p = paths->v[i];
		int n = p[0] == '/' ? snprintf(joined, sizeof joined, "%s", p)
				    : snprintf(joined, sizeof joined, "%s/%s", cwd, p);
		if (n < 0 || (size_t)n >= sizeof joined || !realpath(joined, real))
			return errbuf_set(e, EXIT_BAD_INPUT,
					  "%s: the compile would read '%.300s', which does not "
					  "resolve", shown, p);
		kind = build_classify(r, real, NULL);
		if (!kind)
			return errbuf_set(e, EXIT_BAD_INPUT,
					  "%s: the compile would read '%.300s', outside the claim, "
					  "kaudit, toolkit and system include directories: refused "
					  "(kaudit-claim(5), INCLUDED FILES)", shown, real);
		if (add_dep(r, real, kind, shown, out, e) < 0)
			return -1;
	}
	return 0;
}

char *build_deps_digest(const struct build_dep *deps, size_t n)
{
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(deps[i].kind) + strlen(deps[i].path) + 64 + 3;
	char *s = xmalloc(len);
	size_t at = 0;
	s[0] = '\0';
	for (size_t i = 0; i < n; i++)
		at += (size_t)snprintf(s + at, len - at, "%s %s %s\n", deps[i].kind, deps[i].path,
				       deps[i].sha256);
	return s;
}

/* The file a diagnostic line is attributed to: "FILE:LINE..." or
 * "FILE(LINE)...", after "In file included from" or "from". */
static int line_file(const char *line, size_t len, char *out, size_t outsz)
{
	static const char *const lead[] = { "In file included from ", "from " };
	while (len && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	for (size_t i = 0; i < sizeof lead / sizeof lead[0]; i++) {
		size_t l = strlen(lead[i]);
		if (len > l && strncmp(line, lead[i], l) == 0) {
			line += l;
			len -= l;
		}
	}
	size_t n = 0;
	while (n < len && line[n] != ':' && line[n] != '(')
		n++;
	if (n == 0 || n == len || n >= outsz)
		return -1;
	snprintf(out, outsz, "%.*s", (int)n, line);
	return 0;
}

void build_deps_diagnostic(const struct build_roots *r, const char *output, char *out,
			   size_t outsz)
{
	out[0] = '\0';
	for (const char *line = output; line && *line;) {
		size_t len = strcspn(line, "\n");
		char file[PATH_MAX], real[PATH_MAX];
		const char *hit = strstr(line, "error");
		if (hit && (size_t)(hit - line) < len && line_file(line, len, file, sizeof file) == 0 &&
		    realpath(file, real) && build_classify(r, real, NULL)) {
			snprintf(out, outsz, "%.*s", (int)(len > 200 ? 200 : len), line);
			return;
		}
		line = line[len] ? line + len + 1 : NULL;
	}
}
