/*
 * trace_pred_cases.c - the signed predicate's cases kept as their text
 * (trace.h).  A predicate lists every case, so as a jansson tree it costs
 * about 700 bytes a case, which a trace of a few hundred thousand cases
 * turns into the largest thing a reader holds.  Kept as text (about 130
 * bytes a case) plus an index sorted by case, each case is parsed only
 * when a reader looks at it.
 *
 * The split reads only the text's structure: strings (escapes honoured),
 * brackets, commas and colons.  Everything it cuts out is parsed again by
 * jansson (the rest of the statement as one document, each case as its
 * own), with the same flags the whole statement was parsed with, so a
 * text jansson would refuse is still refused; a text whose predicate's
 * cases the scan cannot find (an escaped key, a structure it does not
 * follow) is simply not split, and the statement keeps its cases itself.
 */
#include "trace/trace_private.h"

#include <stdlib.h>
#include <string.h>

struct pred_case_ix {
	int64_t case_index;
	int has_case;          /* "case" is an integer */
	size_t off, len;       /* its text in TEXT */
};

struct trace_pred_cases {
	char *text;
	size_t len;
	struct pred_case_ix *ix;   /* in case order */
	size_t n;
};

/* Nesting the scan follows; deeper, it gives up (jansson goes on). */
#define SCAN_DEPTH 64

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *skip_ws(const char *p, const char *e)
{
	while (p < e && is_ws(*p))
		p++;
	return p;
}

/* P at '"': past the closing quote, NULL if unterminated. */
static const char *skip_string(const char *p, const char *e)
{
	for (p++; p < e; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

static const char *skip_value(const char *p, const char *e, int depth);

/* P at '{' or '[': past its closing bracket.  With KEY, for an object,
 * *FOUND is the value of its member named KEY (raw, unescaped text). */
static const char *skip_compound(const char *p, const char *e, int depth, const char *key,
				 const char **found)
{
	char close = *p == '{' ? '}' : ']';
	if (depth > SCAN_DEPTH)
		return NULL;
	p = skip_ws(p + 1, e);
	if (p < e && *p == close)
		return p + 1;
	for (;;) {
		if (close == '}') {
			if (p >= e || *p != '"')
				return NULL;
			const char *k = p + 1, *ke = skip_string(p, e);
			if (!ke)
				return NULL;
			p = skip_ws(ke, e);
			if (p >= e || *p != ':')
				return NULL;
			p = skip_ws(p + 1, e);
			size_t kl = (size_t)(ke - 1 - k);
			if (key && found && kl == strlen(key) && memcmp(k, key, kl) == 0)
				*found = p;
		}
		p = skip_value(p, e, depth + 1);
		if (!p)
			return NULL;
		p = skip_ws(p, e);
		if (p >= e)
			return NULL;
		if (*p == close)
			return p + 1;
		if (*p != ',')
			return NULL;
		p = skip_ws(p + 1, e);
	}
}

static const char *skip_value(const char *p, const char *e, int depth)
{
	p = skip_ws(p, e);
	if (p >= e)
		return NULL;
	if (*p == '"')
		return skip_string(p, e);
	if (*p == '{' || *p == '[')
		return skip_compound(p, e, depth, NULL, NULL);
	const char *s = p;
	while (p < e && !is_ws(*p) && *p != ',' && *p != '}' && *p != ']' && *p != ':')
		p++;
	return p > s ? p : NULL;
}

/* The value of member KEY of the object at P (NULL if none, or P not an
 * object); a key given twice is jansson's to refuse, the scan takes the
 * last. */
static const char *member(const char *p, const char *e, const char *key)
{
	p = skip_ws(p, e);
	if (p >= e || *p != '{')
		return NULL;
	const char *found = NULL;
	return skip_compound(p, e, 1, key, &found) ? found : NULL;
}

static int cmp_ix(const void *x, const void *y)
{
	const struct pred_case_ix *a = x, *b = y;
	if (a->has_case != b->has_case)
		return b->has_case - a->has_case; /* cases with a number first */
	if (a->case_index != b->case_index)
		return (a->case_index > b->case_index) - (a->case_index < b->case_index);
	return (a->off > b->off) - (a->off < b->off);
}

void trace_pred_cases_free(struct trace_pred_cases *pc)
{
	if (!pc)
		return;
	free(pc->text);
	free(pc->ix);
	free(pc);
}

int trace_pred_cases_split(const char *body, size_t n, int flags, char **cut, size_t *cutlen,
			   struct trace_pred_cases **out)
{
	*cut = NULL;
	*out = NULL;
	const char *e = body + n;
	const char *pred = member(body, e, "predicate");
	const char *cases = pred ? member(pred, e, "cases") : NULL;
	if (!cases || *cases != '[')
		return 0;
	const char *end = skip_compound(cases, e, 2, NULL, NULL);
	if (!end)
		return 0;
	struct trace_pred_cases *pc = xcalloc(1, sizeof *pc);
	pc->len = (size_t)(end - cases);
	pc->text = xmalloc(pc->len ? pc->len : 1);
	memcpy(pc->text, cases, pc->len);
	/* each element: its span, parsed once to be sure it is JSON and to
	 * learn its case */
	size_t cap = 0;
	const char *t = pc->text, *te = pc->text + pc->len;
	const char *p = skip_ws(t + 1, te);
	while (p < te && *p != ']') {
		const char *ve = skip_value(p, te, 3);
		json_error_t je;
		json_t *j = ve ? json_loadb(p, (size_t)(ve - p), flags | JSON_DECODE_ANY, &je) : NULL;
		if (!j) {
			trace_pred_cases_free(pc);
			return -1;
		}
		xgrow((void **)&pc->ix, &cap, pc->n + 1, sizeof *pc->ix);
		const json_t *k = json_object_get(j, "case");
		pc->ix[pc->n++] = (struct pred_case_ix){ json_is_integer(k) ? json_integer_value(k) : 0,
			json_is_integer(k), (size_t)(p - t), (size_t)(ve - p) };
		json_decref(j);
		p = skip_ws(ve, te);
		if (p < te && *p == ',')
			p = skip_ws(p + 1, te);
	}
	xsort(pc->ix, pc->n, sizeof *pc->ix, cmp_ix);
	/* the statement without them: "cases": [] */
	size_t head = (size_t)(cases - body), tail = (size_t)(e - end);
	*cutlen = head + 2 + tail;
	*cut = xmalloc(*cutlen);
	memcpy(*cut, body, head);
	memcpy(*cut + head, "[]", 2);
	memcpy(*cut + head + 2, end, tail);
	*out = pc;
	return 0;
}

size_t trace_pred_cases_count(const struct trace_pred_cases *pc)
{
	return pc ? pc->n : 0;
}

json_t *trace_pred_case(const struct trace_pred_cases *pc, size_t i)
{
	if (!pc || i >= pc->n)
		return NULL;
	return json_loadb(pc->text + pc->ix[i].off, pc->ix[i].len,
			  JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
}
