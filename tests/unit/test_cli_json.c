/*
 * test_cli_json.c - cli_json_print_array prints, an item at a time, the
 * very text cli_json_print gives for the whole document (inspect --json
 * and check --json of a trace of many cases depend on it byte for byte).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/cli_json.h"

/* What PRINT writes on stdout, as a malloc'ed string. */
static char *captured(void (*print)(void *ctx), void *ctx)
{
	char path[] = "/tmp/test_cli_json.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stdout);
	int saved = dup(1);
	assert_true(dup2(fd, 1) >= 0);
	print(ctx);
	fflush(stdout);
	assert_true(dup2(saved, 1) >= 0);
	close(saved);
	off_t n = lseek(fd, 0, SEEK_END);
	char *text = calloc(1, (size_t)n + 1);
	assert_int_equal(pread(fd, text, (size_t)n, 0), n);
	close(fd);
	unlink(path);
	return text;
}

struct docs {
	json_t *whole, *head, *items;
};

static void print_whole(void *ctx)
{
	cli_json_print(((struct docs *)ctx)->whole);
}

static json_t *item_at(void *ctx, size_t i)
{
	return json_incref(json_array_get(((struct docs *)ctx)->items, i));
}

static void print_by_item(void *ctx)
{
	struct docs *d = ctx;
	cli_json_print_array(d->head, "cases", json_array_size(d->items), item_at, d);
}

static void same_text(json_t *items)
{
	struct docs d;
	d.items = items;
	/* Keys after "cases" too, and a string that looks like the key. */
	const char *fmt = "{s:b, s:s, s:O, s:{s:[f,i]}, s:s}";
	d.whole = json_pack(fmt, "intact", 1, "problem", "\n  \"cases\": null", "cases", items,
			    "check", "ci", 1.25, 3, "file", "x.kat");
	d.head = json_pack("{s:b, s:s, s:n, s:{s:[f,i]}, s:s}", "intact", 1, "problem",
			   "\n  \"cases\": null", "cases", "check", "ci", 1.25, 3, "file", "x.kat");
	char *a = captured(print_whole, &d), *b = captured(print_by_item, &d);
	assert_string_equal(a, b);
	free(a);
	free(b);
	json_decref(d.whole);
	json_decref(d.head);
}

static void array_a_case_at_a_time(void **state)
{
	(void)state;
	json_t *items = json_pack("[{s:i, s:s, s:{s:[f,f], s:{}}, s:[]}, {s:i, s:[{s:s}]}]",
				  "case", 0, "kernel", "k\tx", "timing", "r", 1.5, -0.0, "e",
				  "findings", "case", 1, "findings", "code", "stale-output");
	same_text(items);
	json_decref(items);
}

static void array_of_no_case(void **state)
{
	(void)state;
	json_t *items = json_array();
	same_text(items);
	json_decref(items);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(array_a_case_at_a_time),
		cmocka_unit_test(array_of_no_case),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
