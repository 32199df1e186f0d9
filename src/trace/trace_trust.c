/*
 * trace_trust.c - the trust store: named public keys a reader trusts to
 * sign traces, in the spirit of OpenSSH's allowed_signers (kaudit(1)
 * FILES, kaudit-trace(5) KEYS).  One key a line:
 *
 *	NAME KEY [# comment]
 *
 * NAME is 1-64 characters of [A-Za-z0-9._@+:/-]; KEY is the standard
 * base64 of the Ed25519 public key's SPKI DER, which is the one body line of
 * the .pub PEM file `kaudit keygen` writes.  '#' starts a comment anywhere a
 * field may start; blank lines are ignored.  A name may hold several keys
 * (rotation); one key may not carry two names (who signed would be
 * ambiguous).  Anything else is an error naming FILE:LINE.
 */
#include "trace/trace_private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TRUST_FILE_MAX (1u << 20)
#define TRUST_NAME_MAX 64
#define TRUST_MAX_KEYS 10000

struct trust_entry {
	char name[TRUST_NAME_MAX + 1];
	char keyid[65];
	size_t line;
};

struct trace_trust {
	char *path;
	struct trust_entry *v;
	size_t n, cap;
};

int trace_trust_default_path(char *buf, size_t size, struct errbuf *e)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int n;
	/* The XDG base directory spec: a relative path is invalid and ignored. */
	if (xdg && xdg[0] == '/')
		n = snprintf(buf, size, "%s/kaudit/allowed_signers", xdg);
	else if (home && *home)
		n = snprintf(buf, size, "%s/.config/kaudit/allowed_signers", home);
	else
		n = snprintf(buf, size, "%s", "");
	if (n < 0 || (size_t)n >= size)
		return errbuf_set(e, EXIT_BAD_INPUT, "trust store path too long");
	return 0;
}

static int name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("._@+:/-", c) != NULL;
}

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* The next blank-separated field of *P (NULL at the end or at a comment);
 * its length in *LEN. */
static const char *field(const char **p, size_t *len)
{
	const char *s = *p;
	while (blank(*s))
		s++;
	if (!*s || *s == '#') {
		*p = s;
		return NULL;
	}
	const char *f = s;
	while (*s && !blank(*s))
		s++;
	*len = (size_t)(s - f);
	*p = s;
	return f;
}

/* Parses one line (NUL-terminated, no '\n'); appends its key to T. */
static int parse_line(struct trace_trust *t, const char *line, size_t lineno, struct errbuf *e)
{
	const char *p = line;
	size_t nlen, klen, xlen;
	const char *name = field(&p, &nlen);
	if (!name)
		return 0; /* blank or comment */
	const char *key = field(&p, &klen);
	const char *extra = field(&p, &xlen);
	const char *where = t->path;
	if (!key)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s:%zu: a name without a key "
				  "(want NAME BASE64-SPKI-DER)", where, lineno);
	if (extra)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s:%zu: unexpected '%.*s' after the key "
				  "(comments start with '#')", where, lineno,
				  (int)(xlen > 40 ? 40 : xlen), extra);
	if (nlen > TRUST_NAME_MAX)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s:%zu: name longer than %d characters",
				  where, lineno, TRUST_NAME_MAX);
	for (size_t i = 0; i < nlen; i++)
		if (!name_char((unsigned char)name[i]))
			return errbuf_set(e, EXIT_BAD_INPUT, "%s:%zu: name '%.*s' has a character "
					  "outside [A-Za-z0-9._@+:/-]", where, lineno,
					  (int)nlen, name);
	unsigned char *der;
	size_t dlen;
	if (trace_b64_decode(key, klen, &der, &dlen) < 0)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s:%zu: the key is not base64 (the body "
				  "line of a .pub PEM file)", where, lineno);
	struct trace_key *k;
	struct errbuf ke;
	int rc = trace_key_from_der(der, dlen, &k, &ke);
	free(der);
	if (rc < 0)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s:%zu: %s (an Ed25519 public key is "
				  "wanted)", where, lineno, ke.msg);
	char keyid[65];
	memcpy(keyid, trace_key_id(k), sizeof keyid);
	trace_key_free(k);
	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->v[i].keyid, keyid) != 0)
			continue;
		if (strlen(t->v[i].name) == nlen && memcmp(t->v[i].name, name, nlen) == 0)
			return 0; /* the same line twice: harmless */
		return errbuf_set(e, EXIT_BAD_INPUT, "%s:%zu: this key is already named '%s' "
				  "on line %zu", where, lineno, t->v[i].name, t->v[i].line);
	}
	if (t->n >= TRUST_MAX_KEYS)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s:%zu: more than %d keys", where, lineno,
				  TRUST_MAX_KEYS);
	xgrow((void **)&t->v, &t->cap, t->n + 1, sizeof *t->v);
	struct trust_entry *en = &t->v[t->n++];
	memcpy(en->name, name, nlen);
	en->name[nlen] = '\0';
	memcpy(en->keyid, keyid, sizeof en->keyid);
	en->line = lineno;
	return 0;
}

static int parse(struct trace_trust *t, char *text, size_t len, struct errbuf *e)
{
	size_t lineno = 0;
	char *p = text, *end = text + len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *eol = nl ? nl : end;
		lineno++;
		if (memchr(p, '\0', (size_t)(eol - p)))
			return errbuf_set(e, EXIT_BAD_INPUT, "%s:%zu: a NUL byte", t->path, lineno);
		*eol = '\0';
		if (parse_line(t, p, lineno, e) < 0)
			return -1;
		p = eol + 1;
	}
	return 0;
}

void trace_trust_free(struct trace_trust *t)
{
	if (!t)
		return;
	free(t->path);
	free(t->v);
	free(t);
}

int trace_trust_load(const char *path, struct trace_trust **out, struct errbuf *e)
{
	char def[4096];
	int explicit = path != NULL;
	*out = NULL;
	if (!path) {
		const char *env = getenv("KAUDIT_ALLOWED_SIGNERS");
		if (env) {
			if (!*env)
				return 0; /* set and empty: no trust store */
			path = env;
			explicit = 1;
		} else {
			if (trace_trust_default_path(def, sizeof def, e) < 0)
				return -1;
			if (!def[0])
				return 0;
			path = def;
		}
	}
	struct stat st;
	if (!explicit && stat(path, &st) < 0 && errno == ENOENT)
		return 0; /* no store at the default place: nothing is trusted by name */
	char *text;
	size_t len;
	struct errbuf re;
	if (read_file(path, TRUST_FILE_MAX, &text, &len, &re) < 0)
		return errbuf_set(e, EXIT_BAD_INPUT, "trust store %s", re.msg);
	struct trace_trust *t = xcalloc(1, sizeof *t);
	t->path = xstrdup(path);
	int rc = parse(t, text, len, e);
	free(text);
	if (rc < 0) {
		trace_trust_free(t);
		return -1;
	}
	*out = t;
	return 0;
}

const char *trace_trust_name(const struct trace_trust *t, const char *keyid)
{
	if (!t || !keyid)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].keyid, keyid) == 0)
			return t->v[i].name;
	return NULL;
}

const char *trace_trust_path(const struct trace_trust *t)
{
	return t ? t->path : NULL;
}

size_t trace_trust_count(const struct trace_trust *t)
{
	return t ? t->n : 0;
}
