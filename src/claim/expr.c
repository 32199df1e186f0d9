/*
 * expr.c - the integer expressions of shapes and work bounds.
 *
 *   expr   := term (('+' | '-') term)*
 *   term   := unary (('*' | '/' | '%') unary)*
 *   unary  := '-' unary | primary
 *   primary:= INTEGER | NAME | '(' expr ')'
 *
 * Values are int64.  Division and modulo truncate toward zero, as in C
 * (-7/2 = -3, -7%2 = -1): kernel authors write C, and shapes are positive
 * in practice.  Overflow, division or modulo by zero and unknown names are
 * errors that point at the operator or name responsible.
 */
#include "claim/claim_private.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum xop { X_NUM, X_NAME, X_NEG, X_ADD, X_SUB, X_MUL, X_DIV, X_MOD };

struct xnode {
	enum xop op;
	int64_t num;   /* X_NUM */
	char *name;    /* X_NAME */
	int a, b;      /* operand node indices */
	size_t off;    /* byte offset in the text: the operator, name or literal */
};

struct claim_expr {
	char *text;
	struct claim_pos pos; /* of text[0] */
	struct xnode *nodes;
	size_t n, cap;
	int root;
};

struct xparser {
	struct claim_expr *x;
	const char *s;
	size_t i;
	int depth;
	struct claim_pos *errpos;
	struct errbuf *msg;
};

/* Position of byte OFF of the text; expressions are one line. */
static struct claim_pos pos_of(const struct claim_expr *x, size_t off)
{
	struct claim_pos p = x->pos;
	p.col += (int)off;
	return p;
}

static int perr(struct xparser *P, size_t off, const char *fmt, const char *arg)
{
	*P->errpos = pos_of(P->x, off);
	char what[64];
	snprintf(what, sizeof what, fmt, arg);
	return errbuf_set(P->msg, EXIT_BAD_INPUT, "%s in expression '%s'", what, P->x->text);
}

static int add_node(struct claim_expr *x, enum xop op, size_t off)
{
	xgrow((void **)&x->nodes, &x->cap, x->n + 1, sizeof *x->nodes);
	struct xnode *nd = &x->nodes[x->n];
	memset(nd, 0, sizeof *nd);
	nd->op = op;
	nd->off = off;
	nd->a = nd->b = -1;
	return (int)x->n++;
}

static void skip_space(struct xparser *P)
{
	while (P->s[P->i] == ' ' || P->s[P->i] == '\t')
		P->i++;
}

static int parse_expr(struct xparser *P, int *out);

/* Length of the float literal at S ("0.5", "1.5e3", "2e-1"), 0 when S
 * holds none: digits, then a fraction and/or an exponent. */
static size_t float_literal_len(const char *s)
{
	size_t i = 0;
	while (s[i] >= '0' && s[i] <= '9')
		i++;
	size_t digits = i;
	int frac = s[i] == '.';
	if (frac)
		for (i++; s[i] >= '0' && s[i] <= '9'; i++)
			;
	if ((s[i] == 'e' || s[i] == 'E') && digits) {
		size_t j = i + 1 + (s[i + 1] == '+' || s[i + 1] == '-');
		if (s[j] >= '0' && s[j] <= '9') {
			for (i = j; s[i] >= '0' && s[i] <= '9'; i++)
				;
			return i;
		}
	}
	return frac ? i : 0;
}

/* An integer expression with a float literal in it ("N * 0.5"): say so,
 * and where the literal multiplies, what integer arithmetic to write
 * instead ("N / 2", "N * 3 / 2"). */
static int float_literal_error(struct xparser *P, size_t start, size_t len)
{
	const char *t = P->x->text;
	char lit[40];
	snprintf(lit, sizeof lit, "%.*s", (int)(len < 39 ? len : 39), t + start);
	double v = strtod(lit, NULL);
	size_t op = start;
	while (op > 0 && (t[op - 1] == ' ' || t[op - 1] == '\t'))
		op--;
	char hint[CLAIM_EXPR_MAX_LEN / 4 + 80] = "";
	long num = 0, den = 0;
	/* The smallest fraction NUM/DEN equal to V, for DEN up to 1000. */
	for (long d = 1; d <= 1000 && v > 0 && v < 1e9; d++) {
		double n = v * (double)d;
		if (fabs(n - nearbyint(n)) < 1e-9 * n) {
			num = (long)nearbyint(n);
			den = d;
			break;
		}
	}
	if (op > 0 && t[op - 1] == '*' && den > 1 && strlen(t) <= CLAIM_EXPR_MAX_LEN / 4) {
		char rep[48];
		if (num == 1)
			snprintf(rep, sizeof rep, "/ %ld", den);
		else
			snprintf(rep, sizeof rep, "* %ld / %ld", num, den);
		snprintf(hint, sizeof hint, "; write '%.*s%s%s' ('/' rounds toward zero)",
			 (int)(op - 1), t, rep, t + start + len);
	} else if (den == 1) {
		snprintf(hint, sizeof hint, "; write it as the integer %ld", num);
	} else {
		snprintf(hint, sizeof hint, "; write integer arithmetic (e.g. 'N / 2' for "
					    "'N * 0.5') or add a param");
	}
	*P->errpos = pos_of(P->x, start);
	return errbuf_set(P->msg, EXIT_BAD_INPUT,
			  "float literal '%s' in integer expression '%s': shapes and work are "
			  "integer arithmetic (+ - * / %%)%s", lit, t, hint);
}

static int parse_primary(struct xparser *P, int *out)
{
	skip_space(P);
	size_t start = P->i;
	char c = P->s[start];
	if ((c >= '0' && c <= '9') || (c == '.' && P->s[start + 1] >= '0' && P->s[start + 1] <= '9')) {
		size_t flen = float_literal_len(P->s + start);
		if (flen)
			return float_literal_error(P, start, flen);
		int64_t v = 0;
		while (P->s[P->i] >= '0' && P->s[P->i] <= '9') {
			int d = P->s[P->i] - '0';
			if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, d, &v))
				return perr(P, start, "integer literal is too large (limit %s)",
					    "9223372036854775807");
			P->i++;
		}
		if (isalpha((unsigned char)P->s[P->i]) || P->s[P->i] == '_')
			return perr(P, start, "%s", "malformed number (expected digits only)");
		int nd = add_node(P->x, X_NUM, start);
		P->x->nodes[nd].num = v;
		*out = nd;
		return 0;
	}
	if (isalpha((unsigned char)c) || c == '_') {
		while (isalnum((unsigned char)P->s[P->i]) || P->s[P->i] == '_')
			P->i++;
		int nd = add_node(P->x, X_NAME, start);
		P->x->nodes[nd].name = xstrndup(P->s + start, P->i - start);
		*out = nd;
		return 0;
	}
	if (c == '(') {
		if (++P->depth > CLAIM_EXPR_MAX_DEPTH)
			return perr(P, start, "nested deeper than %s levels", "32");
		P->i++;
		if (parse_expr(P, out) != 0)
			return -1;
		skip_space(P);
		if (P->s[P->i] != ')')
			return perr(P, P->i, "%s", "missing ')'");
		P->i++;
		P->depth--;
		return 0;
	}
	if (c == '\0')
		return perr(P, start, "%s", "unexpected end (expected a number, a name or '(')");
	char ch[2] = { c, '\0' };
	return perr(P, start, "unexpected '%s' (expected a number, a name or '(')", ch);
}

static int parse_unary(struct xparser *P, int *out)
{
	skip_space(P);
	if (P->s[P->i] != '-')
		return parse_primary(P, out);
	size_t off = P->i++;
	if (++P->depth > CLAIM_EXPR_MAX_DEPTH)
		return perr(P, off, "nested deeper than %s levels", "32");
	int a;
	if (parse_unary(P, &a) != 0)
		return -1;
	P->depth--;
	int nd = add_node(P->x, X_NEG, off);
	P->x->nodes[nd].a = a;
	*out = nd;
	return 0;
}

static int parse_binary(struct xparser *P, int *out, int level)
{
	int a;
	if ((level == 0 ? parse_binary(P, &a, 1) : parse_unary(P, &a)) != 0)
		return -1;
	for (;;) {
		skip_space(P);
		char c = P->s[P->i];
		enum xop op;
		if (level == 0 && (c == '+' || c == '-'))
			op = c == '+' ? X_ADD : X_SUB;
		else if (level == 1 && (c == '*' || c == '/' || c == '%'))
			op = c == '*' ? X_MUL : c == '/' ? X_DIV : X_MOD;
		else
			break;
		size_t off = P->i++;
		int b;
		if ((level == 0 ? parse_binary(P, &b, 1) : parse_unary(P, &b)) != 0)
			return -1;
		int nd = add_node(P->x, op, off);
		P->x->nodes[nd].a = a;
		P->x->nodes[nd].b = b;
		a = nd;
	}
	*out = a;
	return 0;
}

static int parse_expr(struct xparser *P, int *out)
{
	return parse_binary(P, out, 0);
}

int claim_expr_parse(const char *text, struct claim_pos pos, struct claim_expr **out,
		     struct claim_pos *errpos, struct errbuf *msg)
{
	struct claim_expr *x = xcalloc(1, sizeof *x);
	x->pos = pos;
	size_t len = strlen(text);
	if (len > CLAIM_EXPR_MAX_LEN) {
		x->text = xstrndup(text, 40);
		*errpos = pos;
		errbuf_set(msg, EXIT_BAD_INPUT,
			   "expression '%s...' is longer than %d characters", x->text,
			   CLAIM_EXPR_MAX_LEN);
		claim_expr_free(x);
		return -1;
	}
	x->text = xstrdup(text);
	struct xparser P = { .x = x, .s = x->text, .errpos = errpos, .msg = msg };
	skip_space(&P);
	if (P.s[P.i] == '\0') {
		*errpos = pos;
		errbuf_set(msg, EXIT_BAD_INPUT, "empty expression (expected an integer expression)");
		claim_expr_free(x);
		return -1;
	}
	if (parse_expr(&P, &x->root) != 0) {
		claim_expr_free(x);
		return -1;
	}
	skip_space(&P);
	if (P.s[P.i] != '\0') {
		char ch[2] = { P.s[P.i], '\0' };
		perr(&P, P.i, P.s[P.i] == ')' ? "unbalanced '%s'" :
			      "unexpected '%s' (expected an operator + - * / %%)", ch);
		claim_expr_free(x);
		return -1;
	}
	*out = x;
	return 0;
}

void claim_expr_free(struct claim_expr *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->n; i++)
		free(x->nodes[i].name);
	free(x->nodes);
	free(x->text);
	free(x);
}

const char *claim_expr_text(const struct claim_expr *x)
{
	return x->text;
}

struct claim_pos claim_expr_pos(const struct claim_expr *x)
{
	return x->pos;
}

size_t claim_expr_size(const struct claim_expr *x)
{
	return x->n;
}

struct xeval {
	const struct claim_expr *x;
	const struct claim_params *p;
	struct claim_pos *errpos;
	struct errbuf *msg;
};

static int eval_node(struct xeval *E, int i, int64_t *out)
{
	const struct xnode *nd = &E->x->nodes[i];
	int64_t a = 0, b = 0;
	switch (nd->op) {
	case X_NUM:
		*out = nd->num;
		return 0;
	case X_NAME:
		for (size_t k = 0; E->p && k < E->p->n; k++) {
			if (strcmp(E->p->names[k], nd->name) == 0) {
				*out = E->p->values[k];
				return 0;
			}
		}
		*E->errpos = pos_of(E->x, nd->off);
		if (!E->p || E->p->n == 0) {
			errbuf_set(E->msg, EXIT_BAD_INPUT,
				   "unknown name '%s' in expression '%s' (no params are set)",
				   nd->name, E->x->text);
			return -2;
		}
		char names[256] = "";
		size_t used = 0;
		for (size_t k = 0; k < E->p->n && used < sizeof names; k++) {
			int w = snprintf(names + used, sizeof names - used, "%s%s",
					 k ? " " : "", E->p->names[k]);
			if (w < 0)
				break;
			used += (size_t)w;
		}
		errbuf_set(E->msg, EXIT_BAD_INPUT,
			   "unknown name '%s' in expression '%s' (expected a param: %s)",
			   nd->name, E->x->text, names);
		return -2;
	default:
		break;
	}
	int rc = eval_node(E, nd->a, &a);
	if (rc == 0 && nd->op != X_NEG)
		rc = eval_node(E, nd->b, &b);
	if (rc != 0)
		return rc;
	int overflow = 0;
	switch (nd->op) {
	case X_NEG:
		overflow = __builtin_sub_overflow((int64_t)0, a, out);
		break;
	case X_ADD:
		overflow = __builtin_add_overflow(a, b, out);
		break;
	case X_SUB:
		overflow = __builtin_sub_overflow(a, b, out);
		break;
	case X_MUL:
		overflow = __builtin_mul_overflow(a, b, out);
		break;
	case X_DIV:
	case X_MOD:
		if (b == 0) {
			*E->errpos = pos_of(E->x, nd->off);
			return errbuf_set(E->msg, EXIT_BAD_INPUT, "%s by zero in expression '%s'",
					  nd->op == X_DIV ? "division" : "modulo", E->x->text);
		}
		if (a == INT64_MIN && b == -1) {
			/* The one quotient that does not fit; the remainder is 0. */
			overflow = nd->op == X_DIV;
			*out = 0;
		} else {
			*out = nd->op == X_DIV ? a / b : a % b;
		}
		break;
	default:
		break;
	}
	if (overflow) {
		*E->errpos = pos_of(E->x, nd->off);
		return errbuf_set(E->msg, EXIT_BAD_INPUT,
				  "integer overflow in expression '%s' (result exceeds 64 bits)",
				  E->x->text);
	}
	return 0;
}

int claim_expr_eval_at(const struct claim_expr *x, const struct claim_params *p,
		       int64_t *out, struct claim_pos *errpos, struct errbuf *msg)
{
	struct xeval E = { .x = x, .p = p, .errpos = errpos, .msg = msg };
	return eval_node(&E, x->root, out);
}

int claim_expr_eval(const struct claim_expr *x, const struct claim_params *p,
		    int64_t *out, struct errbuf *e)
{
	struct claim_pos pos;
	struct errbuf m;
	if (claim_expr_eval_at(x, p, out, &pos, &m) == 0)
		return 0;
	return errbuf_set(e, EXIT_BAD_INPUT, "%d:%d: %s", pos.line, pos.col, m.msg);
}
