/*
 * test_selection.c - the header's selection (trace_selection.c): what
 * verify writes reads back; the shard rule by case index; and every
 * malformed selection a forger or a bug could write is refused, so that
 * check reports it and summary never counts cases from it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "trace/trace.h"

static int parse(const char *text, struct trace_selection *s)
{
	struct rec_header h;
	memset(&h, 0, sizeof h);
	json_error_t je;
	h.selection = text ? json_loads(text, JSON_DECODE_ANY, &je) : NULL;
	if (text)
		assert_non_null(h.selection);
	struct errbuf e = { "", 0 };
	int rc = trace_selection_of(&h, s, &e);
	if (rc < 0)
		assert_true(strstr(e.msg, "selection") != NULL);
	json_decref(h.selection);
	return rc;
}

static void round_trip(void **state)
{
	(void)state;
	json_t *j = trace_selection_json(10, "softmax", 3, 4);
	char *text = json_dumps(j, JSON_COMPACT);
	assert_string_equal(text, "{\"cases\":10,\"kernel\":\"softmax\",\"shard\":{\"index\":3,\"count\":4}}");
	struct rec_header h;
	memset(&h, 0, sizeof h);
	h.selection = j;
	struct trace_selection s;
	struct errbuf e = { "", 0 };
	assert_int_equal(trace_selection_of(&h, &s, &e), 0);
	assert_true(s.present && s.sharded);
	assert_int_equal(s.cases, 10);
	assert_int_equal(s.shard_index, 3);
	assert_int_equal(s.shard_count, 4);
	assert_string_equal(s.kernel, "softmax");
	/* Cases 3 and 7 of kernel softmax, nothing else. */
	for (int64_t i = -1; i < 12; i++)
		assert_int_equal(trace_selection_has(&s, i, "softmax"), i == 3 || i == 7);
	assert_false(trace_selection_has(&s, 3, "other"));
	assert_false(trace_selection_has(&s, 3, NULL));
	json_decref(j);
	free(text);

	/* Not sharded, every kernel: written as {cases} alone. */
	j = trace_selection_json(2, NULL, 0, 0);
	text = json_dumps(j, JSON_COMPACT);
	assert_string_equal(text, "{\"cases\":2}");
	free(text);
	json_decref(j);
	struct trace_selection w;
	assert_int_equal(parse("{\"cases\":2}", &w), 0);
	assert_true(w.present && !w.sharded && w.shard_count == 1 && !w.kernel);
	assert_true(trace_selection_has(&w, 0, "x") && trace_selection_has(&w, 1, NULL));
	assert_false(trace_selection_has(&w, 2, "x"));
}

static void absent_is_everything(void **state)
{
	(void)state;
	struct trace_selection s;
	assert_int_equal(parse(NULL, &s), 0);
	assert_false(s.present);
	assert_true(trace_selection_has(&s, 12345, "any"));
	assert_int_equal(trace_selection_of(NULL, &s, NULL), 0);
}

static void malformed_is_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"[]", "3", "{}", "{\"cases\":-1}", "{\"cases\":2.5}", "{\"cases\":\"2\"}",
		"{\"cases\":1048577}",
		"{\"cases\":2,\"kernel\":7}",
		"{\"cases\":2,\"extra\":1}",
		"{\"cases\":2,\"shard\":[0,2]}",
		"{\"cases\":2,\"shard\":{\"index\":2,\"count\":2}}",
		"{\"cases\":2,\"shard\":{\"index\":-1,\"count\":2}}",
		"{\"cases\":2,\"shard\":{\"index\":0,\"count\":0}}",
		"{\"cases\":2,\"shard\":{\"index\":0,\"count\":1000001}}",
		"{\"cases\":2,\"shard\":{\"index\":0}}",
		"{\"cases\":2,\"shard\":{\"index\":0,\"count\":2,\"of\":3}}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct trace_selection s;
		if (parse(bad[i], &s) != -1)
			fail_msg("accepted %s", bad[i]);
	}
	struct trace_selection s;
	assert_int_equal(parse("{\"cases\":0,\"shard\":{\"index\":999999,\"count\":1000000}}", &s), 0);
	assert_false(trace_selection_has(&s, 999999, NULL)); /* past cases */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(absent_is_everything),
		cmocka_unit_test(malformed_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
