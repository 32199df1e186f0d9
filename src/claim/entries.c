/*
 * entries.c - does a CUDA source define the entry a manifest names?
 *
 * `kaudit lint` runs without nvcc, so a misspelt entry would only show
 * after a compile (or on the GPU node).  A light scan of the source's
 * tokens (comments and string literals skipped) answers most cases early:
 * an entry whose name never appears in the source cannot be defined there,
 * unless a local #include or ## token pasting could supply it; and a
 * source in which the scan finds no launcher at all is one it does not
 * understand.  In those cases it says nothing and the build's entry check
 * decides.  The names the
 * source does export (KAUDIT_ENTRY(name), functions declared extern "C")
 * give the suggestion: the nearest by edit distance.
 *
 * One pass over the text, bounded name lengths and counts: linear in the
 * source's size.
 *
 * A prebuilt shared object's exports are read from its .dynsym
 * (elf_symbols.c): there the answer is exact, and a file that is not an
 * ELF64 shared object for x86-64 or aarch64 is refused.  That check is
 * lint's only (claim_lint_entries): to verify, a .so whose entry is
 * missing is a build failure, an error verdict for its kernel's cases
 * while the other kernels are still audited.
 */
#include "claim/claim_private.h"
#include "claim/elf_symbols.h"

#include <stdlib.h>
#include <string.h>

#define SOURCE_SCAN_MAX (8u << 20) /* larger sources are left to the build */
#define EXPORTS_MAX 256
#define NAME_MAX_LEN 64

struct scan {
	const char *s;
	size_t n, i;
	const char *entry;
	size_t entry_len;
	int entry_seen;      /* the entry's name appears as a token */
	int opaque;          /* a local #include or ##: the scan cannot be sure */
	char *exports[EXPORTS_MAX];
	size_t nexports;
};

static int ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int ident_char(char c)
{
	return ident_start(c) || (c >= '0' && c <= '9');
}

static void add_export(struct scan *S, const char *name, size_t len)
{
	if (len == 0 || len > NAME_MAX_LEN || S->nexports == EXPORTS_MAX)
		return;
	if (len >= 2 && name[0] == '_' && name[1] == '_') /* __global__, __attribute__ */
		return;
	for (size_t i = 0; i < S->nexports; i++)
		if (strlen(S->exports[i]) == len && memcmp(S->exports[i], name, len) == 0)
			return;
	S->exports[S->nexports++] = xstrndup(name, len);
}

/* Token kinds the scan tells apart. */
enum tok { T_END, T_IDENT, T_STRING, T_PUNCT };

struct token {
	enum tok kind;
	const char *p;
	size_t len;
};

/* Skips a comment or a literal quoted by Q starting at S->i. */
static void skip_quoted(struct scan *S, char q)
{
	for (S->i++; S->i < S->n && S->s[S->i] != q && S->s[S->i] != '\n'; S->i++)
		if (S->s[S->i] == '\\')
			S->i++;
	if (S->i < S->n)
		S->i++;
}

/* A preprocessor line: notes `#include "x"` of anything but kaudit's own
 * header; the rest of the line is scanned as tokens. */
static void directive(struct scan *S)
{
	size_t j = S->i + 1;
	while (j < S->n && (S->s[j] == ' ' || S->s[j] == '\t'))
		j++;
	if (S->n - j >= 7 && memcmp(S->s + j, "include", 7) == 0) {
		j += 7;
		while (j < S->n && (S->s[j] == ' ' || S->s[j] == '\t'))
			j++;
		static const char own[] = "\"kaudit/launcher.h\"";
		if (j < S->n && S->s[j] == '"' &&
		    !(S->n - j >= sizeof own - 1 && memcmp(S->s + j, own, sizeof own - 1) == 0))
			S->opaque = 1;
	}
	S->i++;
}

static struct token next(struct scan *S)
{
	for (;;) {
		if (S->i >= S->n)
			return (struct token){ T_END, NULL, 0 };
		char c = S->s[S->i];
		if (c == '/' && S->i + 1 < S->n && S->s[S->i + 1] == '/') {
			while (S->i < S->n && S->s[S->i] != '\n')
				S->i++;
		} else if (c == '/' && S->i + 1 < S->n && S->s[S->i + 1] == '*') {
			const char *end = strstr(S->s + S->i + 2, "*/");
			S->i = end ? (size_t)(end - S->s) + 2 : S->n;
		} else if (c == '"') {
			size_t at = S->i;
			skip_quoted(S, '"');
			return (struct token){ T_STRING, S->s + at, S->i - at };
		} else if (c == '\'') {
			skip_quoted(S, '\'');
		} else if (c == '#') {
			if (S->i + 1 < S->n && S->s[S->i + 1] == '#')
				S->opaque = 1;
			directive(S);
		} else if (ident_start(c)) {
			size_t at = S->i;
			while (S->i < S->n && ident_char(S->s[S->i]))
				S->i++;
			return (struct token){ T_IDENT, S->s + at, S->i - at };
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
			   (c >= '0' && c <= '9')) {
			S->i++;
		} else {
			S->i++;
			return (struct token){ T_PUNCT, S->s + S->i - 1, 1 };
		}
	}
}

static int is(const struct token *t, const char *word)
{
	return t->len == strlen(word) && memcmp(t->p, word, t->len) == 0;
}

/* Reads every token: where the entry's name appears, and the names
 * declared by KAUDIT_ENTRY(name) or with C linkage (extern "C" DECL, or a
 * function declared at the top of an extern "C" { ... } block). */
static void scan(struct scan *S)
{
	struct token prev = { T_END, NULL, 0 };
	int depth = 0, parens = 0;
	int extern_c_decl = 0;      /* after extern "C", before the declarator's '(' */
	int block_depth = -1;       /* brace depth inside an extern "C" { } block */
	for (struct token t = next(S); t.kind != T_END; prev = t, t = next(S)) {
		if (t.kind == T_IDENT && t.len == S->entry_len &&
		    memcmp(t.p, S->entry, t.len) == 0)
			S->entry_seen = 1;
		if (t.kind == T_STRING && is(&t, "\"C\"") && is(&prev, "extern")) {
			extern_c_decl = 1;
			continue;
		}
		if (t.kind != T_PUNCT)
			continue;
		switch (*t.p) {
		case '(':
			if (prev.kind == T_IDENT && parens == 0) {
				if ((extern_c_decl || depth == block_depth) &&
				    !is(&prev, "KAUDIT_ENTRY"))
					add_export(S, prev.p, prev.len);
			}
			if (is(&prev, "KAUDIT_ENTRY") && parens == 0) {
				struct token name = next(S);
				if (name.kind == T_IDENT) {
					if (name.len == S->entry_len &&
					    memcmp(name.p, S->entry, name.len) == 0)
						S->entry_seen = 1;
					add_export(S, name.p, name.len);
				}
				prev = name;
			}
			extern_c_decl = 0;
			parens++;
			break;
		case ')':
			parens -= parens > 0;
			break;
		case '{':
			if (extern_c_decl && parens == 0) {
				block_depth = depth + 1;
				extern_c_decl = 0;
			}
			depth++;
			break;
		case '}':
			depth -= depth > 0;
			if (depth < block_depth)
				block_depth = -1;
			break;
		case ';':
			extern_c_decl = 0;
			break;
		}
	}
}

/* Levenshtein distance, two rows (names are at most NAME_MAX_LEN long);
 * any value over LIMIT once every cell of a row is past it. */
static size_t edit_distance_within(const char *a, const char *b, size_t limit)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > NAME_MAX_LEN || lb > NAME_MAX_LEN)
		return (size_t)-1;
	size_t row[NAME_MAX_LEN + 1], prev[NAME_MAX_LEN + 1];
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = row[j - 1] + 1;
			row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		size_t least = row[0];
		for (size_t j = 1; j <= lb; j++)
			least = row[j] < least ? row[j] : least;
		if (least > limit)
			return least;
		memcpy(prev, row, (lb + 1) * sizeof *row);
	}
	return prev[lb];
}

static size_t edit_distance(const char *a, const char *b)
{
	return edit_distance_within(a, b, (size_t)-1);
}

/* Close enough to suggest: a slip (a letter or two, a third of the name),
 * not merely the least distant of unrelated names. */
static size_t close_limit(const char *entry)
{
	size_t third = strlen(entry) / 3;
	return third > 2 ? third : 2;
}

/* NAME is ENTRY compiled as C++: _Z<length><entry><parameter types>. */
static int mangled_as(const char *name, const char *entry)
{
	if (strncmp(name, "_Z", 2) != 0 || name[2] < '1' || name[2] > '9')
		return 0;
	char *end;
	unsigned long n = strtoul(name + 2, &end, 10);
	return n == strlen(entry) && strncmp(end, entry, n) == 0;
}

/* A prebuilt shared object: its .dynsym says what dlsym() can find.  The
 * suggestion looks at names of about the entry's length only, among the
 * first SUGGEST_MAX exports: bounded time whatever the file holds. */
#define SUGGEST_MAX 65536
static int so_entry_check(const char *path, const char *source, const char *entry,
			  struct errbuf *msg)
{
	struct claim_elf_symbols syms;
	struct errbuf why;
	if (claim_elf_read(path, &syms, &why) < 0)
		return errbuf_set(msg, EXIT_BAD_INPUT, "source '%.200s' is not a shared object "
				  "kaudit can load: %s", source, why.msg);
	const char *best = NULL, *cxx = NULL;
	size_t limit = close_limit(entry), best_d = limit + 1, elen = strlen(entry);
	int found = 0;
	for (size_t i = 0; i < syms.count && !found; i++) {
		const char *name = syms.names[i];
		found = strcmp(name, entry) == 0;
		if (!cxx && mangled_as(name, entry))
			cxx = name;
		size_t nlen = strnlen(name, NAME_MAX_LEN + 1);
		if (i >= SUGGEST_MAX || (nlen > elen ? nlen - elen : elen - nlen) > limit)
			continue;
		size_t d = edit_distance_within(entry, name, limit);
		if (d < best_d) {
			best_d = d;
			best = name;
		}
	}
	int rc;
	if (found || syms.status != CLAIM_ELF_OK) /* or cannot tell: the build decides */
		rc = 0;
	else if (cxx)
		rc = errbuf_set(msg, EXIT_BAD_INPUT, "entry '%s' is not exported by '%.200s' with "
				"C linkage: it is there as the C++ function '%.100s' (declare it "
				"extern \"C\")", entry, source, cxx);
	else if (best)
		rc = errbuf_set(msg, EXIT_BAD_INPUT, "entry '%s' is not exported by '%.200s'; "
				"did you mean '%s'?", entry, source, best);
	else
		rc = errbuf_set(msg, EXIT_BAD_INPUT, "entry '%s' is not exported by '%.200s' (it "
				"exports %zu function%s, none of a similar name)", entry, source,
				syms.count, syms.count == 1 ? "" : "s");
	claim_elf_release(&syms);
	return rc;
}

int claim_entry_check(const char *path, const char *source, const char *entry,
		      struct errbuf *msg)
{
	size_t len = strlen(path);
	if (len < 3 || strcmp(path + len - 3, ".cu") != 0)
		return 0; /* a shared object: claim_lint_entries() or the build decides */
	char *text;
	size_t n;
	struct errbuf ignored;
	if (read_file(path, SOURCE_SCAN_MAX, &text, &n, &ignored) < 0)
		return 0; /* unreadable or too large: the build will say */
	struct scan S = { .s = text, .n = n, .entry = entry, .entry_len = strlen(entry) };
	scan(&S);
	int rc = 0;
	/* A source that declares no launcher at all is not one the scan
	 * understands (a placeholder, macros of its own): the build decides. */
	if (!S.entry_seen && !S.opaque && S.nexports > 0) {
		const char *best = NULL;
		size_t best_d = (size_t)-1;
		for (size_t i = 0; i < S.nexports; i++) {
			size_t d = edit_distance(entry, S.exports[i]);
			if (d < best_d) {
				best_d = d;
				best = S.exports[i];
			}
		}
		char list[200] = "";
		size_t used = 0;
		for (size_t i = 0; i < S.nexports && i < 4; i++) {
			int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
					 S.exports[i]);
			if (w < 0 || (size_t)w >= sizeof list - used)
				break;
			used += (size_t)w;
		}
		if (best)
			rc = errbuf_set(msg, EXIT_BAD_INPUT,
					"entry '%s' is not defined in '%.200s'; did you mean '%s'? "
					"(it exports %s%s)", entry, source, best, list,
					S.nexports > 4 ? ", ..." : "");
	}
	for (size_t i = 0; i < S.nexports; i++)
		free(S.exports[i]);
	free(text);
	return rc;
}

static int is_so(const char *source)
{
	size_t n = strlen(source); /* the manifest's name: a link may drop the .so */
	return n >= 3 && strcmp(source + n - 3, ".so") == 0;
}

int claim_lint_entries(const struct claim *c, struct errbuf *e)
{
	for (size_t i = 0; i < c->nkernels; i++) {
		const struct claim_impl *impls[] = { &c->kernels[i].baseline,
						     &c->kernels[i].candidate };
		for (size_t j = 0; j < 2; j++) {
			const struct claim_impl *im = impls[j];
			struct errbuf msg;
			if (is_so(im->source) &&
			    so_entry_check(im->path, im->source, im->entry, &msg) != 0)
				return errbuf_set(e, msg.code, "%s:%d:%d: %s", c->path,
						  im->entry_pos.line, im->entry_pos.col, msg.msg);
		}
	}
	return 0;
}
