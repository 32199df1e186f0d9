/*
 * test_expr.c - the shape/work expression language: precedence, C division
 * semantics, and every error with the column it points at.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "claim/claim_private.h"

/* Expressions sit at line 7, column 10 of an imaginary manifest. */
static const struct claim_pos at = { 7, 10 };

static struct claim_params params2(void)
{
	static char *names[] = { "N", "D" };
	static int64_t values[] = { 4096, 8192 };
	struct claim_params p = { 2, names, values, { 1, 1 } };
	return p;
}

static int64_t eval_ok(const char *text)
{
	struct claim_expr *x = NULL;
	struct claim_pos pos;
	struct errbuf e;
	struct claim_params p = params2();
	if (claim_expr_parse(text, at, &x, &pos, &e) != 0)
		fail_msg("parse '%s': %s", text, e.msg);
	int64_t v = 0;
	if (claim_expr_eval_at(x, &p, &v, &pos, &e) != 0)
		fail_msg("eval '%s': %s", text, e.msg);
	assert_string_equal(claim_expr_text(x), text);
	claim_expr_free(x);
	return v;
}

static void test_arithmetic(void **state)
{
	(void)state;
	assert_int_equal(eval_ok("2+3*4"), 14);
	assert_int_equal(eval_ok("(2+3)*4"), 20);
	assert_int_equal(eval_ok("10-2-3"), 5);   /* left associative */
	assert_int_equal(eval_ok("100/7/2"), 7);
	assert_int_equal(eval_ok("N*D"), 4096 * 8192);
	assert_int_equal(eval_ok("  4 * 2 * N * D "), 4LL * 2 * 4096 * 8192);
	assert_int_equal(eval_ok("-N+1"), -4095);
	assert_int_equal(eval_ok("--3"), 3);
	assert_int_equal(eval_ok("N % 1000"), 96);
	assert_int_equal(eval_ok("(N + 127) / 128 * 128"), 4096);
	assert_int_equal(eval_ok("9223372036854775807"), INT64_MAX);
	assert_int_equal(eval_ok("-9223372036854775807 - 1"), INT64_MIN);
}

static void test_truncating_division(void **state)
{
	(void)state;
	/* C semantics, documented in kaudit-claim(5). */
	assert_int_equal(eval_ok("-7/2"), -3);
	assert_int_equal(eval_ok("-7%2"), -1);
	assert_int_equal(eval_ok("7%-2"), 1);
	assert_int_equal(eval_ok("7/-2"), -3);
	assert_int_equal(eval_ok("(-9223372036854775807-1)%-1"), 0);
}

struct bad_case {
	const char *text;
	int col;           /* expected column; line is always 7 */
	const char *msg;
};

static void check_parse_error(const struct bad_case *c)
{
	struct claim_expr *x = NULL;
	struct claim_pos pos = { 0, 0 };
	struct errbuf e = { "", 0 };
	if (claim_expr_parse(c->text, at, &x, &pos, &e) == 0)
		fail_msg("'%s' parsed", c->text);
	assert_null(x);
	assert_string_equal(e.msg, c->msg);
	assert_int_equal(pos.line, 7);
	assert_int_equal(pos.col, c->col);
}

static void test_parse_errors(void **state)
{
	(void)state;
	static const struct bad_case cases[] = {
		{ "N*", 12, "unexpected end (expected a number, a name or '(') in expression 'N*'" },
		{ "N +* 2", 13, "unexpected '*' (expected a number, a name or '(') in expression 'N +* 2'" },
		{ "(N + 1", 16, "missing ')' in expression '(N + 1'" },
		{ "N)", 11, "unbalanced ')' in expression 'N)'" },
		{ "N D", 12, "unexpected 'D' (expected an operator + - * / %) in expression 'N D'" },
		{ "3N", 10, "malformed number (expected digits only) in expression '3N'" },
		{ "  ", 10, "empty expression (expected an integer expression)" },
		{ "1 + 99999999999999999999", 14,
		  "integer literal is too large (limit 9223372036854775807) in expression "
		  "'1 + 99999999999999999999'" },
		{ "N ^ 2", 12, "unexpected '^' (expected an operator + - * / %) in expression 'N ^ 2'" },
		/* A float literal: said so, with the integer form where it multiplies. */
		{ "2.5", 10, "float literal '2.5' in integer expression '2.5': shapes and work are "
			     "integer arithmetic (+ - * / %); write integer arithmetic (e.g. 'N / 2' "
			     "for 'N * 0.5') or add a param" },
		{ "N * 0.5", 14, "float literal '0.5' in integer expression 'N * 0.5': shapes and "
				 "work are integer arithmetic (+ - * / %); write 'N / 2' ('/' rounds "
				 "toward zero)" },
		{ "N * 1.5 + 2", 14, "float literal '1.5' in integer expression 'N * 1.5 + 2': "
				     "shapes and work are integer arithmetic (+ - * / %); write "
				     "'N * 3 / 2 + 2' ('/' rounds toward zero)" },
		{ "N * 1e3", 14, "float literal '1e3' in integer expression 'N * 1e3': shapes and "
				 "work are integer arithmetic (+ - * / %); write it as the integer "
				 "1000" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		check_parse_error(&cases[i]);
}

static void test_parse_limits(void **state)
{
	(void)state;
	char deep[128];
	memset(deep, '(', 33);
	strcpy(deep + 33, "1");
	memset(deep + 34, ')', 33);
	deep[67] = '\0';
	struct claim_expr *x = NULL;
	struct claim_pos pos;
	struct errbuf e;
	assert_int_equal(claim_expr_parse(deep, at, &x, &pos, &e), -1);
	assert_non_null(strstr(e.msg, "nested deeper than 32 levels"));
	assert_int_equal(pos.col, 10 + 32);

	char ok[128];
	memset(ok, '(', 32); /* 32 levels: fine */
	ok[32] = '1';
	memset(ok + 33, ')', 32);
	ok[65] = '\0';
	assert_int_equal(claim_expr_parse(ok, at, &x, &pos, &e), 0);
	claim_expr_free(x);

	char minus[64];
	memset(minus, '-', 40);
	strcpy(minus + 40, "1");
	assert_int_equal(claim_expr_parse(minus, at, &x, &pos, &e), -1);
	assert_non_null(strstr(e.msg, "nested deeper than 32 levels"));

	char long_text[CLAIM_EXPR_MAX_LEN + 3];
	for (size_t i = 0; i + 1 < sizeof long_text; i += 2) {
		long_text[i] = '1';
		long_text[i + 1] = '+';
	}
	long_text[sizeof long_text - 2] = '1';
	long_text[sizeof long_text - 1] = '\0';
	assert_int_equal(claim_expr_parse(long_text, at, &x, &pos, &e), -1);
	assert_non_null(strstr(e.msg, "is longer than 1024 characters"));
	/* Just under the limit: a 511-deep chain evaluates without trouble. */
	long_text[CLAIM_EXPR_MAX_LEN - 1] = '\0';
	assert_int_equal(claim_expr_parse(long_text, at, &x, &pos, &e), 0);
	int64_t v;
	assert_int_equal(claim_expr_eval_at(x, NULL, &v, &pos, &e), 0);
	assert_int_equal(v, 512);
	claim_expr_free(x);
}

static void check_eval_error(const char *text, int rc, int col, const char *msg)
{
	struct claim_expr *x = NULL;
	struct claim_pos pos = { 0, 0 };
	struct errbuf e = { "", 0 };
	struct claim_params p = params2();
	if (claim_expr_parse(text, at, &x, &pos, &e) != 0)
		fail_msg("parse '%s': %s", text, e.msg);
	int64_t v = 0;
	assert_int_equal(claim_expr_eval_at(x, &p, &v, &pos, &e), rc);
	assert_string_equal(e.msg, msg);
	assert_int_equal(pos.line, 7);
	assert_int_equal(pos.col, col);
	claim_expr_free(x);
}

static void test_eval_errors(void **state)
{
	(void)state;
	check_eval_error("N * K", -2, 14,
			 "unknown name 'K' in expression 'N * K' (expected a param: N D)");
	check_eval_error("N / (D - D)", -1, 12, "division by zero in expression 'N / (D - D)'");
	check_eval_error("N % (D - 8192)", -1, 12, "modulo by zero in expression 'N % (D - 8192)'");
	check_eval_error("N * D * N * D * 8192", -1, 24,
			 "integer overflow in expression 'N * D * N * D * 8192' (result exceeds 64 bits)");
	check_eval_error("9223372036854775807 + 1", -1, 30,
			 "integer overflow in expression '9223372036854775807 + 1' (result exceeds 64 bits)");
	check_eval_error("-9223372036854775807 - 2", -1, 31,
			 "integer overflow in expression '-9223372036854775807 - 2' (result exceeds 64 bits)");
	check_eval_error("(-9223372036854775807-1)/-1", -1, 34,
			 "integer overflow in expression '(-9223372036854775807-1)/-1' (result exceeds 64 bits)");
	check_eval_error("-(-9223372036854775807-1)", -1, 10,
			 "integer overflow in expression '-(-9223372036854775807-1)' (result exceeds 64 bits)");

	/* No parameter set at all. */
	struct claim_expr *x = NULL;
	struct claim_pos pos;
	struct errbuf e;
	assert_int_equal(claim_expr_parse("2*N", at, &x, &pos, &e), 0);
	int64_t v;
	assert_int_equal(claim_expr_eval_at(x, NULL, &v, &pos, &e), -2);
	assert_string_equal(e.msg, "unknown name 'N' in expression '2*N' (no params are set)");
	claim_expr_free(x);
}

static void test_public_eval(void **state)
{
	(void)state;
	struct claim_expr *x = NULL;
	struct claim_pos pos;
	struct errbuf e = { "", 0 };
	struct claim_params p = params2();
	assert_int_equal(claim_expr_parse("N/(D-8192)", at, &x, &pos, &e), 0);
	assert_string_equal(claim_expr_text(x), "N/(D-8192)");
	assert_int_equal(claim_expr_pos(x).col, 10);
	int64_t v;
	assert_int_equal(claim_expr_eval(x, &p, &v, &e), -1);
	assert_int_equal(e.code, EXIT_BAD_INPUT);
	assert_string_equal(e.msg, "7:11: division by zero in expression 'N/(D-8192)'");
	claim_expr_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arithmetic),
		cmocka_unit_test(test_truncating_division),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_eval_errors),
		cmocka_unit_test(test_public_eval),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
