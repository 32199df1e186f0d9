/*
 * test_detect_checks.c - findings from correctness checks, degenerate
 * references, and the code table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "detect/detect.h"
#include "detect_fixtures.h"

static const struct {
	const char *kind, *code;
} mapping[] = {
	{ "compare", "wrong-output" },   { "unwritten", "unwritten-output" },
	{ "guards", "out-of-bounds-write" }, { "input", "input-mutation" },
	{ "bait", "stale-output" },      { "repeat", "nondeterministic-output" },
	{ "sensitivity", "input-insensitive" },
};

/* Every failed check kind gives its code, once per case and impl however
 * many trials failed, naming the first trial and every failing record. */
static void failed_checks_map_to_codes(void **state)
{
	(void)state;
	for (size_t m = 0; m < sizeof mapping / sizeof mapping[0]; m++) {
		struct detfix f;
		struct record_list out;
		detfix_init(&f);
		detfix_honest_case(&f, 0, 10, 200000, 20000, 3, 2, 4);
		int64_t id1 = detfix_check(&f, 0, IMPL_CANDIDATE, 1, mapping[m].kind, 0, 2)->id;
		int64_t id2 = detfix_check(&f, 0, IMPL_CANDIDATE, 3, mapping[m].kind, 0, 3)->id;
		detfix_detect(&f, &out);
		assert_int_equal(detfix_count(&out, mapping[m].code, 0, IMPL_CANDIDATE), 1);
		const struct record *r = detfix_find(&out, mapping[m].code);
		assert_string_equal(r->u.finding.severity, "invalidating");
		assert_int_equal(r->u.finding.trial, 2);
		json_t *ids = json_object_get(r->u.finding.evidence, "records");
		assert_int_equal(json_array_size(ids), 2);
		assert_int_equal(json_integer_value(json_array_get(ids, 0)), id1);
		assert_int_equal(json_integer_value(json_array_get(ids, 1)), id2);
		assert_int_equal(json_integer_value(json_object_get(r->u.finding.evidence,
								    "failed_checks")), 2);
		record_list_free(&out);
		detfix_free(&f);
	}
}

/* Passing checks of every kind produce nothing. */
static void passing_checks_are_silent(void **state)
{
	(void)state;
	struct detfix f;
	struct record_list out;
	detfix_init(&f);
	detfix_device(&f, 2e12);
	detfix_honest_case(&f, 0, 10, 200000, 20000, 3, 3, 6);
	for (size_t m = 0; m < sizeof mapping / sizeof mapping[0]; m++)
		detfix_check(&f, 0, IMPL_CANDIDATE, 1, mapping[m].kind, 1, 0);
	detfix_check(&f, 0, IMPL_CANDIDATE, 1, "future-check-kind", 0, 0);
	detfix_detect(&f, &out);
	assert_int_equal(out.n, 0);
	record_list_free(&out);
	detfix_free(&f);
}

/* deterministic: false in the manifest allows differing repeat bits. */
static void repeat_allowed_when_not_deterministic(void **state)
{
	(void)state;
	struct detfix f;
	struct record_list out;
	detfix_init(&f);
	struct record *k = detfix_case(&f, 0, 2, 1024);
	k->u.kase.deterministic = 0;
	detfix_check(&f, 0, IMPL_CANDIDATE, 1, "repeat", 0, 4);
	detfix_detect(&f, &out);
	assert_int_equal(detfix_count(&out, "nondeterministic-output", REC_NONE, IMPL_NONE), 0);
	record_list_free(&out);
	detfix_free(&f);
}

static size_t degenerate_for(double lo, double hi, double absmax, double rtol, double atol)
{
	struct detfix f;
	struct record_list out;
	detfix_init(&f);
	struct record *k = detfix_case(&f, 0, 2, 1024);
	k->u.kase.rtol = rtol;
	k->u.kase.atol = atol;
	struct record *c = detfix_check(&f, 0, IMPL_CANDIDATE, 1, "compare", 1, 0);
	c->u.check.detail = json_pack("{sf sf sf}", "ref_min", lo, "ref_max", hi,
				      "ref_absmax", absmax);
	detfix_detect(&f, &out);
	size_t n = detfix_count(&out, "degenerate-reference", 0, IMPL_CANDIDATE);
	if (n) {
		const struct record *r = detfix_find(&out, "degenerate-reference");
		assert_string_equal(r->u.finding.severity, "warning");
		assert_non_null(json_object_get(r->u.finding.evidence, "ref_absmax"));
	}
	record_list_free(&out);
	detfix_free(&f);
	return n;
}

static void degenerate_reference(void **state)
{
	(void)state;
	/* All zeros (a ReLU of negatives): an all-zero output passes. */
	assert_int_equal(degenerate_for(0, 0, 0, 1e-5, 1e-6), 1);
	/* Tiny values below atol. */
	assert_int_equal(degenerate_for(-5e-7, 5e-7, 5e-7, 1e-5, 1e-6), 1);
	/* Near constant: 1000 +- 0.001, inside rtol*1000 = 0.01. */
	assert_int_equal(degenerate_for(999.999, 1000.001, 1000.001, 1e-5, 1e-6), 1);
	/* Near misses: a normal spread, and a constant-ish one just outside. */
	assert_int_equal(degenerate_for(-3, 3, 3, 1e-5, 1e-6), 0);
	assert_int_equal(degenerate_for(999.9, 1000.1, 1000.1, 1e-5, 1e-6), 0);
	/* Integers (exact): constant 5 is degenerate, 4..5 is not. */
	assert_int_equal(degenerate_for(5, 5, 5, 0, 0), 1);
	assert_int_equal(degenerate_for(4, 5, 5, 0, 0), 0);
}

static void code_table(void **state)
{
	(void)state;
	static const char *const invalidating[] = {
		"wrong-output", "unwritten-output", "stale-output", "input-insensitive",
		"input-mutation", "out-of-bounds-write", "nondeterministic-output",
		"foreign-stream", "timing-escape", "deferred-launch", "work-drift",
		"roofline-violation", "invalid-return"
	};
	static const char *const warnings[] = {
		"degenerate-reference", "unstable-timing", "launch-bound", "clock-throttled",
		"trace-incomplete", "tracing-overhead", "sandbox-degraded"
	};
	for (size_t i = 0; i < sizeof invalidating / sizeof invalidating[0]; i++) {
		assert_true(finding_code_known(invalidating[i]));
		assert_int_equal(finding_code_severity(invalidating[i]), SEV_INVALIDATING);
	}
	for (size_t i = 0; i < 7; i++) {
		assert_true(finding_code_known(warnings[i]));
		assert_int_equal(finding_code_severity(warnings[i]), SEV_WARNING);
	}
	size_t n = 0;
	while (finding_code_name(n))
		n++;
	assert_int_equal(n, 20);
	assert_false(finding_code_known("made-up"));
	assert_false(finding_code_known(NULL));
	assert_int_equal(finding_code_severity("made-up"), SEV_WARNING);
}

static struct record *error_of(struct detfix *f, int64_t c, enum record_impl impl,
				int64_t call, const char *where, const char *msg)
{
	struct record *r = detfix_add(f, REC_ERROR, c, impl, call, PHASE_CORRECTNESS);
	r->u.error.where = xstrdup(where);
	r->u.error.message = xstrdup(msg);
	return r;
}

/* The verdict of case 0 of F (detect_all, then detect_verdicts). */
static char *verdict_of(struct detfix *f, struct record_list *found)
{
	struct record_list v = { NULL, 0, 0 };
	assert_int_equal(detect_verdicts(f->l.v, f->l.n, found->v, found->n, 0.10, &v), 0);
	char *got = NULL;
	for (size_t i = 0; i < v.n; i++)
		if (v.v[i].case_index == 0)
			got = xstrdup(v.v[i].u.verdict.verdict);
	record_list_free(&v);
	return got;
}

/* invalid-return: a returned output the worker refused (error where
 * "output") invalidates the case, once per implementation with the first
 * message and the count; an exception (where "python") does not, and
 * stays an error. */
static void invalid_return_both_ways(void **state)
{
	(void)state;
	struct detfix f;
	struct record_list out;
	detfix_init(&f);
	detfix_honest_case(&f, 0, 10, 200000, 20000, 3, 2, 4);
	int64_t id = error_of(&f, 0, IMPL_CANDIDATE, 1, "output",
			      "AliasInput output 0 (C) aliases input A")->id;
	error_of(&f, 0, IMPL_CANDIDATE, 2, "output", "a second call");
	detfix_detect(&f, &out);
	assert_int_equal(detfix_count(&out, "invalid-return", 0, IMPL_CANDIDATE), 1);
	const struct record *r = detfix_find(&out, "invalid-return");
	assert_string_equal(r->u.finding.severity, "invalidating");
	assert_non_null(strstr(r->u.finding.message, "aliases input A"));
	assert_int_equal(r->call, 1);
	assert_int_equal(json_integer_value(json_object_get(r->u.finding.evidence, "calls")), 2);
	assert_int_equal(json_integer_value(json_array_get(
		json_object_get(r->u.finding.evidence, "records"), 0)), id);
	char *v = verdict_of(&f, &out);
	assert_string_equal(v, "invalid");
	free(v);
	record_list_free(&out);
	detfix_free(&f);

	detfix_init(&f);
	detfix_honest_case(&f, 0, 10, 200000, 20000, 3, 2, 4);
	error_of(&f, 0, IMPL_CANDIDATE, 1, "python", "ValueError: boom");
	detfix_detect(&f, &out);
	assert_int_equal(detfix_count(&out, "invalid-return", 0, IMPL_CANDIDATE), 0);
	v = verdict_of(&f, &out);
	assert_string_equal(v, "error");
	free(v);
	record_list_free(&out);
	detfix_free(&f);
}

/* kaudit-findings(7) documents every code (tests run from the repo root). */
static void man_page_lists_every_code(void **state)
{
	(void)state;
	char *text;
	size_t len;
	struct errbuf e;
	assert_int_equal(read_file("man/kaudit-findings.7", 1 << 20, &text, &len, &e), 0);
	for (size_t i = 0; finding_code_name(i); i++) {
		char want[96];
		snprintf(want, sizeof want, ".It Li %s No (%s)", finding_code_name(i),
			 finding_severity_name(finding_code_severity(finding_code_name(i))));
		if (!strstr(text, want))
			fail_msg("man/kaudit-findings.7 lacks '%s'", want);
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(failed_checks_map_to_codes),
		cmocka_unit_test(passing_checks_are_silent),
		cmocka_unit_test(repeat_allowed_when_not_deterministic),
		cmocka_unit_test(degenerate_reference),
		cmocka_unit_test(code_table),
		cmocka_unit_test(invalid_return_both_ways),
		cmocka_unit_test(man_page_lists_every_code),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
