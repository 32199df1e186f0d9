/* test_pred_cases.c - the signed predicate's cases kept as text
 * (trace_pred_cases.c): split off where the scan finds them, in case
 * order, each the value jansson gives for the whole; never split where
 * the scan cannot be sure (an escaped key), and refused wherever jansson
 * refuses the whole (a trailing comma, a duplicate key, a bad literal). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "trace/trace_private.h"

#define FLAGS JSON_REJECT_DUPLICATES

/* The split of TEXT: 1 split, 0 not split, -1 refused; with the cut
 * statement in *ST (parsed) when split. */
static int split(const char *text, json_t **st, struct trace_pred_cases **pc)
{
	char *cut;
	size_t cutlen;
	*st = NULL;
	int rc = trace_pred_cases_split(text, strlen(text), FLAGS, &cut, &cutlen, pc);
	if (rc < 0)
		return -1;
	if (!cut)
		return 0;
	*st = json_loadb(cut, cutlen, FLAGS, NULL);
	free(cut);
	if (!*st) {
		trace_pred_cases_free(*pc);
		*pc = NULL;
		return -1;
	}
	return 1;
}

/* The whole, parsed again from the split parts, is what jansson gives. */
static void assert_same_as_whole(const char *text)
{
	json_t *st;
	struct trace_pred_cases *pc;
	assert_int_equal(split(text, &st, &pc), 1);
	json_t *whole = json_loads(text, FLAGS, NULL);
	assert_non_null(whole);
	json_t *cases = json_array();
	for (size_t i = 0; i < trace_pred_cases_count(pc); i++)
		json_array_append_new(cases, trace_pred_case(pc, i));
	const json_t *wc = json_object_get(json_object_get(whole, "predicate"), "cases");
	assert_int_equal(json_array_size(cases), json_array_size(wc));
	/* the statement keeps an empty array in the cases' place */
	json_t *p = json_object_get(st, "predicate");
	assert_true(json_is_array(json_object_get(p, "cases")));
	assert_int_equal(json_array_size(json_object_get(p, "cases")), 0);
	json_object_set(p, "cases", (json_t *)wc);
	assert_true(json_equal(st, whole));
	json_decref(cases);
	json_decref(whole);
	json_decref(st);
	trace_pred_cases_free(pc);
}

static void split_in_case_order(void **state)
{
	(void)state;
	const char *t = "{\"_type\":\"x\",\"predicate\":{\"verdict\":\"invalid\",\"cases\":"
			"[{\"case\":2,\"kernel\":\"b]\\\"[\"},{\"case\":\"weird\"},{\"case\":0},"
			"{\"case\":1,\"x\":{\"y\":[1,{\"z\":\"}\"}]}}],\"margin\":0.1},\"subject\":[]}";
	assert_same_as_whole(t);
	json_t *st;
	struct trace_pred_cases *pc;
	assert_int_equal(split(t, &st, &pc), 1);
	assert_int_equal(trace_pred_cases_count(pc), 4);
	long long want[] = { 0, 1, 2 };
	for (size_t i = 0; i < 3; i++) {
		json_t *c = trace_pred_case(pc, i);
		assert_int_equal(json_integer_value(json_object_get(c, "case")), want[i]);
		json_decref(c);
	}
	json_t *last = trace_pred_case(pc, 3); /* no integer case: after the rest */
	assert_string_equal(json_string_value(json_object_get(last, "case")), "weird");
	json_decref(last);
	assert_null(trace_pred_case(pc, 4));
	json_decref(st);
	trace_pred_cases_free(pc);
}

static void split_with_whitespace_and_empty(void **state)
{
	(void)state;
	assert_same_as_whole(" { \"predicate\" : { \"cases\" : [ ] } } ");
	assert_same_as_whole("{\n\"predicate\":{\"cases\":[ 1 , \"two\" , [3] ,null ]}}\n");
}

static void not_split_when_unsure(void **state)
{
	(void)state;
	json_t *st;
	struct trace_pred_cases *pc;
	/* an escaped key names the predicate to jansson, not to the scan:
	 * the statement is parsed whole and keeps its cases */
	assert_int_equal(split("{\"pred\\u0069cate\":{\"cases\":[{\"case\":0}]}}", &st, &pc), 0);
	assert_null(pc);
	/* no predicate, cases not an array */
	assert_int_equal(split("{\"subject\":[]}", &st, &pc), 0);
	assert_int_equal(split("{\"predicate\":{\"cases\":{\"a\":1}}}", &st, &pc), 0);
	/* the cases array nested below what the scan follows: parsed whole */
	char deep[400] = "{\"predicate\":{\"cases\":[";
	for (int i = 0; i < 80; i++)
		strcat(deep, "[");
	for (int i = 0; i < 80; i++)
		strcat(deep, "]");
	strcat(deep, "]}}");
	assert_int_equal(split(deep, &st, &pc), 0);
}

static void refused_where_jansson_refuses(void **state)
{
	(void)state;
	json_t *st;
	struct trace_pred_cases *pc;
	const char *bad[] = {
		"{\"predicate\":{\"cases\":[{\"case\":0},]}}",               /* trailing comma */
		"{\"predicate\":{\"cases\":[{\"case\":0,\"case\":1}]}}",     /* duplicate in a case */
		"{\"predicate\":{\"cases\":[],\"cases\":[{\"case\":0}]}}",   /* cases twice */
		"{\"predicate\":{\"cases\":[tru]}}",                         /* bad literal */
		"{\"predicate\":{\"cases\":[{\"case\":0}]}} trailing",       /* after the end */
		"{\"predicate\":{\"cases\":[\"unterminated]}}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = split(bad[i], &st, &pc);
		if (rc == 0) { /* not split: the whole is jansson's, which refuses it */
			json_t *w = json_loads(bad[i], FLAGS, NULL);
			assert_null(w);
		} else {
			assert_int_equal(rc, -1);
		}
		if (rc == 1)
			json_decref(st);
		if (rc >= 0)
			trace_pred_cases_free(pc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(split_in_case_order),
		cmocka_unit_test(split_with_whitespace_and_empty),
		cmocka_unit_test(not_split_when_unsure),
		cmocka_unit_test(refused_where_jansson_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
