/*
 * yaml_doc.c - reading a manifest with libyaml's document API, safely.
 *
 * libyaml builds a graph (an alias is a second reference to its anchor's
 * node) and accepts duplicate keys; yd_load() walks that graph as the tree
 * it stands for, counting every visit, so a "billion laughs" file fails
 * after CLAIM_MAX_NODES visits instead of expanding, a recursive alias fails
 * at CLAIM_MAX_DEPTH, and a repeated key fails where it repeats.  Scalars
 * are typed here under the YAML 1.2 core schema; libyaml leaves them text.
 */
#include "claim/claim_private.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct claim_pos yd_pos(const yaml_node_t *n)
{
	/* libyaml marks are 0-based. */
	struct claim_pos p = { (int)n->start_mark.line + 1, (int)n->start_mark.column + 1 };
	return p;
}

static int verr_at(struct claim_loader *L, struct claim_pos pos, const char *fmt, va_list ap)
{
	char msg[ERRBUF_LEN];
	vsnprintf(msg, sizeof msg, fmt, ap);
	return errbuf_set(L->e, EXIT_BAD_INPUT, "%s:%d:%d: %s", L->path, pos.line, pos.col, msg);
}

int yd_err_at(struct claim_loader *L, struct claim_pos pos, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verr_at(L, pos, fmt, ap);
	va_end(ap);
	return -1;
}

int yd_err(struct claim_loader *L, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verr_at(L, yd_pos(n), fmt, ap);
	va_end(ap);
	return -1;
}

yaml_node_t *yd_node(struct claim_loader *L, int id)
{
	return yaml_document_get_node(&L->doc, id);
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static int quoted(const yaml_node_t *n)
{
	return n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	       n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE ||
	       n->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
	       n->data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
}

static int one_of(const char *s, const char *const *words)
{
	for (size_t i = 0; words[i]; i++)
		if (strcmp(s, words[i]) == 0)
			return 1;
	return 0;
}

static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
static const char *const trues[] = { "true", "True", "TRUE", NULL };
static const char *const falses[] = { "false", "False", "FALSE", NULL };
static const char *const specials[] = {
	".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
	".nan", ".NaN", ".NAN", NULL
};

static int is_int_text(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
		const char *digits = s[1] == 'x' ? "0123456789abcdefABCDEF" : "01234567";
		s += 2;
		if (!*s)
			return 0;
		return strspn(s, digits) == strlen(s);
	}
	return *s && strspn(s, "0123456789") == strlen(s);
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static int is_float_text(const char *s)
{
	if (one_of(s, specials))
		return 1;
	if (*s == '-' || *s == '+')
		s++;
	size_t before = strspn(s, "0123456789");
	s += before;
	size_t after = 0;
	if (*s == '.') {
		s++;
		after = strspn(s, "0123456789");
		s += after;
	}
	if (before == 0 && after == 0)
		return 0;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		size_t exp = strspn(s, "0123456789");
		if (exp == 0)
			return 0;
		s += exp;
	}
	return *s == '\0';
}

enum yscalar yd_scalar_kind(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || quoted(n))
		return YS_STR;
	const char *s = scalar(n);
	if (one_of(s, nulls))
		return YS_NULL;
	if (one_of(s, trues) || one_of(s, falses))
		return YS_BOOL;
	if (is_int_text(s))
		return YS_INT;
	if (is_float_text(s))
		return YS_FLOAT;
	return YS_STR;
}

const char *yd_describe(const yaml_node_t *n, char *buf, size_t len)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_SCALAR_NODE:
		if (yd_scalar_kind(n) == YS_NULL)
			return "an empty value";
		if (n->data.scalar.length > 40)
			snprintf(buf, len, "'%.37s...'", scalar(n));
		else
			snprintf(buf, len, "'%s'", scalar(n));
		return buf;
	default:
		return "nothing";
	}
}

static int wrong(struct claim_loader *L, const yaml_node_t *n, const char *what,
		 const char *expected)
{
	char buf[64];
	return yd_err(L, n, "%s: expected %s, got %s", what, expected,
		      yd_describe(n, buf, sizeof buf));
}

int yd_expect_map(struct claim_loader *L, const yaml_node_t *n, const char *what)
{
	return n->type == YAML_MAPPING_NODE ? 0 : wrong(L, n, what, "a mapping");
}

int yd_expect_seq(struct claim_loader *L, const yaml_node_t *n, const char *what)
{
	return n->type == YAML_SEQUENCE_NODE ? 0 : wrong(L, n, what, "a list");
}

int yd_string(struct claim_loader *L, const yaml_node_t *n, const char *what, char **out)
{
	/* Any scalar reads as its text (a title may be "2025"); only an
	 * empty value and collections are refused. */
	if (n->type != YAML_SCALAR_NODE || yd_scalar_kind(n) == YS_NULL)
		return wrong(L, n, what, "a string");
	if (memchr(scalar(n), '\0', n->data.scalar.length))
		return yd_err(L, n, "%s: contains a NUL character (expected text)", what);
	*out = xstrdup(scalar(n));
	return 0;
}

int yd_int(struct claim_loader *L, const yaml_node_t *n, const char *what, int64_t *out)
{
	if (n->type != YAML_SCALAR_NODE || yd_scalar_kind(n) != YS_INT)
		return wrong(L, n, what, "an integer");
	const char *s = scalar(n);
	int neg = *s == '-';
	if (*s == '-' || *s == '+')
		s++;
	int base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
		base = s[1] == 'x' ? 16 : 8;
		s += 2;
	}
	errno = 0;
	char *end;
	unsigned long long u = strtoull(s, &end, base);
	unsigned long long limit = neg ? (unsigned long long)INT64_MAX + 1 : INT64_MAX;
	if (errno == ERANGE || u > limit)
		return yd_err(L, n, "%s: integer %s does not fit in 64 bits", what, scalar(n));
	*out = neg ? (int64_t)(0 - u) : (int64_t)u;
	return 0;
}

int yd_number(struct claim_loader *L, const yaml_node_t *n, const char *what, double *out)
{
	enum yscalar k = yd_scalar_kind(n);
	if (n->type != YAML_SCALAR_NODE || (k != YS_INT && k != YS_FLOAT))
		return wrong(L, n, what, "a number");
	double v;
	const char *s = scalar(n);
	if (k == YS_INT) {
		int64_t i;
		if (yd_int(L, n, what, &i) != 0)
			return -1;
		v = (double)i;
	} else {
		v = strtod(s, NULL); /* .inf/.nan do not parse: caught below */
		if (one_of(s, specials) || !isfinite(v))
			return yd_err(L, n, "%s: expected a finite number, got '%s'", what, s);
	}
	*out = v;
	return 0;
}

int yd_bool(struct claim_loader *L, const yaml_node_t *n, const char *what, int *out)
{
	if (n->type != YAML_SCALAR_NODE || yd_scalar_kind(n) != YS_BOOL)
		return wrong(L, n, what, "true or false");
	*out = one_of(scalar(n), trues);
	return 0;
}

int yd_fields(struct claim_loader *L, const yaml_node_t *n, const char *what,
	      const char *const *keys, yaml_node_t **vals, yaml_node_t **keynodes)
{
	if (yd_expect_map(L, n, what) != 0)
		return -1;
	size_t nkeys = 0;
	while (keys[nkeys])
		nkeys++;
	for (size_t i = 0; i < nkeys; i++) {
		if (vals)
			vals[i] = NULL;
		if (keynodes)
			keynodes[i] = NULL;
	}
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yd_node(L, p->key);
		size_t i = 0;
		while (i < nkeys && strcmp(keys[i], scalar(k)) != 0)
			i++;
		if (i == nkeys) {
			char expected[256] = "";
			size_t used = 0;
			for (size_t j = 0; j < nkeys && used < sizeof expected; j++) {
				int w = snprintf(expected + used, sizeof expected - used, "%s%s",
						 j ? " " : "", keys[j]);
				if (w < 0)
					break;
				used += (size_t)w;
			}
			char buf[64];
			return yd_err(L, k, "unknown key %s in %s (expected one of %s)",
				      yd_describe(k, buf, sizeof buf), what, expected);
		}
		if (vals)
			vals[i] = yd_node(L, p->value);
		if (keynodes)
			keynodes[i] = k;
	}
	return 0;
}

/* --- loading and the bounds walk --- */

static struct claim_pos offset_pos(const char *text, size_t len, size_t off)
{
	struct claim_pos p = { 1, 1 };
	for (size_t i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			p.line++;
			p.col = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			p.col++;
		}
	}
	return p;
}

static int syntax_error(struct claim_loader *L, yaml_parser_t *parser)
{
	struct claim_pos pos;
	if (parser->error == YAML_READER_ERROR)
		pos = offset_pos(L->text, L->len, parser->problem_offset);
	else
		pos = (struct claim_pos){ (int)parser->problem_mark.line + 1,
					  (int)parser->problem_mark.column + 1 };
	const char *problem = parser->problem ? parser->problem : "cannot parse";
	if (parser->error == YAML_MEMORY_ERROR)
		problem = "out of memory";
	if (parser->context)
		return yd_err_at(L, pos, "invalid yaml: %s %s (line %d)", problem,
				 parser->context, (int)parser->context_mark.line + 1);
	return yd_err_at(L, pos, "invalid yaml: %s", problem);
}

struct keyref {
	const char *s;
	size_t len;
	size_t order;
	const yaml_node_t *node;
};

static int keyref_cmp(const void *a, const void *b)
{
	const struct keyref *x = a, *y = b;
	size_t m = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->s, y->s, m);
	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Sorting makes this O(n log n): a mapping may hold many thousands of keys. */
static int check_duplicates(struct claim_loader *L, const yaml_node_t *map)
{
	size_t n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
	if (n < 2)
		return 0;
	struct keyref *refs = xcalloc(n, sizeof *refs);
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *k = yd_node(L, map->data.mapping.pairs.start[i].key);
		refs[i] = (struct keyref){ scalar(k), k->data.scalar.length, i, k };
	}
	xsort(refs, n, sizeof *refs, keyref_cmp);
	/* Report the repeat that comes first in the file. */
	const struct keyref *dup = NULL, *first = NULL;
	for (size_t i = 1; i < n; i++) {
		if (refs[i].len != refs[i - 1].len || memcmp(refs[i].s, refs[i - 1].s, refs[i].len))
			continue;
		size_t j = i - 1;
		while (j > 0 && refs[j - 1].len == refs[i].len &&
		       memcmp(refs[j - 1].s, refs[i].s, refs[i].len) == 0)
			j--;
		if (!dup || refs[i].order < dup->order) {
			dup = &refs[i];
			first = &refs[j];
		}
	}
	int rc = 0;
	if (dup) {
		char buf[64];
		rc = yd_err(L, dup->node, "duplicate key %s (first at line %d)",
			    yd_describe(dup->node, buf, sizeof buf),
			    (int)first->node->start_mark.line + 1);
	}
	free(refs);
	return rc;
}

static int walk(struct claim_loader *L, yaml_node_t *n, int depth)
{
	if (++L->visits > CLAIM_MAX_NODES)
		return yd_err(L, n, "too many nodes after expanding aliases (limit %d)",
			      CLAIM_MAX_NODES);
	if (depth > CLAIM_MAX_DEPTH)
		return yd_err(L, n, "nested deeper than %d levels", CLAIM_MAX_DEPTH);
	if (n->tag && strcmp((char *)n->tag, YAML_STR_TAG) != 0 &&
	    strcmp((char *)n->tag, YAML_SEQ_TAG) != 0 && strcmp((char *)n->tag, YAML_MAP_TAG) != 0)
		return yd_err(L, n, "unsupported tag '%.60s' (expected untagged values)",
			      (char *)n->tag);
	if (n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++)
			if (walk(L, yd_node(L, *it), depth + 1) != 0)
				return -1;
	} else if (n->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		     p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yd_node(L, p->key);
			if (k->type != YAML_SCALAR_NODE) {
				char buf[64];
				return yd_err(L, k, "mapping key is %s (expected a plain name)",
					      yd_describe(k, buf, sizeof buf));
			}
			if (memchr(scalar(k), '\0', k->data.scalar.length))
				return yd_err(L, k, "mapping key contains a NUL character");
			if (walk(L, k, depth + 1) != 0 || walk(L, yd_node(L, p->value), depth + 1) != 0)
				return -1;
		}
		if (check_duplicates(L, n) != 0)
			return -1;
	}
	return 0;
}

/* libyaml's scanner does work proportional to the flow nesting for every
 * token, so 500k nested '[' cost minutes.  Walking the event stream first
 * and stopping at CLAIM_MAX_DEPTH keeps every input linear. */
static int check_depth(struct claim_loader *L)
{
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		return errbuf_set(L->e, EXIT_BAD_INPUT, "%s: cannot initialise the yaml parser",
				  L->path);
	yaml_parser_set_input_string(&parser, (const unsigned char *)L->text, L->len);
	int depth = 0, rc = 0;
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = syntax_error(L, &parser);
			break;
		}
		yaml_event_type_t type = ev.type;
		struct claim_pos pos = { (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1 };
		yaml_event_delete(&ev);
		if (type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT) {
			if (++depth > CLAIM_MAX_DEPTH) {
				rc = yd_err_at(L, pos, "nested deeper than %d levels", CLAIM_MAX_DEPTH);
				break;
			}
		} else if (type == YAML_SEQUENCE_END_EVENT || type == YAML_MAPPING_END_EVENT) {
			depth--;
		} else if (type == YAML_STREAM_END_EVENT) {
			break;
		}
	}
	yaml_parser_delete(&parser);
	return rc;
}

int yd_load(struct claim_loader *L)
{
	if (check_depth(L) != 0) {
		memset(&L->doc, 0, sizeof L->doc);
		return -1;
	}
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		return errbuf_set(L->e, EXIT_BAD_INPUT, "%s: cannot initialise the yaml parser",
				  L->path);
	yaml_parser_set_input_string(&parser, (const unsigned char *)L->text, L->len);
	int rc = -1;
	if (!yaml_parser_load(&parser, &L->doc)) {
		memset(&L->doc, 0, sizeof L->doc);
		syntax_error(L, &parser);
		goto out;
	}
	yaml_node_t *root = yaml_document_get_root_node(&L->doc);
	if (!root) {
		errbuf_set(L->e, EXIT_BAD_INPUT,
			   "%s: empty manifest (expected a mapping starting with 'kaudit: 1')",
			   L->path);
		goto out;
	}
	/* A second document is refused rather than silently ignored. */
	yaml_document_t next;
	if (!yaml_parser_load(&parser, &next)) {
		syntax_error(L, &parser);
		goto out;
	}
	int more = yaml_document_get_root_node(&next) != NULL;
	struct claim_pos npos = { (int)next.start_mark.line + 1, (int)next.start_mark.column + 1 };
	yaml_document_delete(&next);
	if (more) {
		yd_err_at(L, npos, "a second yaml document (expected exactly one)");
		goto out;
	}
	rc = walk(L, root, 1);
out:
	yaml_parser_delete(&parser);
	return rc;
}

void yd_release(struct claim_loader *L)
{
	yaml_document_delete(&L->doc);
}
