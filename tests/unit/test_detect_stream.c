/*
 * test_detect_stream.c - the streaming analysis (detect_stream_*, what
 * check runs case by case) gives the findings and verdicts detect_all and
 * detect_verdicts give over the whole record array: same verdicts in the
 * same order, byte for byte, and the same findings; audit-wide findings
 * reach every case's verdict in detect_all's order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "detect/detect.h"
#include "detect_fixtures.h"

static char *json_of(const struct record *r)
{
	json_t *j = record_to_json(r);
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return s;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The findings of L as sorted JSON texts. */
static char **texts(const struct record_list *l)
{
	char **v = calloc(l->n + 1, sizeof *v);
	for (size_t i = 0; i < l->n; i++)
		v[i] = json_of(&l->v[i]);
	qsort(v, l->n, sizeof *v, cmp_str);
	return v;
}

static void free_texts(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* An audit: a throttled device, a degraded audit-wide sandbox, and cases
 * 3, 0, 1 (in that trace order): honest, honest with drops, and one whose
 * candidate fails a compare check. */
static void build(struct detfix *f)
{
	detfix_init(f);
	struct record *d = detfix_device(f, 2e12);
	d->u.device.throttle = 0x4;
	struct record *s = detfix_add(f, REC_SANDBOX, REC_NONE, IMPL_NONE, REC_NONE, PHASE_SETUP);
	s->u.sandbox.process = strdup("entry-check");
	s->u.sandbox.no_new_privs = 1, s->u.sandbox.seccomp = 0, s->u.sandbox.landlock = 1;
	int64_t order[] = { 3, 0, 1 };
	for (int i = 0; i < 3; i++) {
		int64_t c = order[i];
		int64_t call = detfix_honest_case(f, c, 4.0, 100000, 20000, 2, 3, 6);
		if (c == 1) {
			struct record *r = detfix_add(f, REC_DROPPED, c, IMPL_NONE, REC_NONE,
						      PHASE_TIMING);
			r->u.dropped.count = 5;
			r->u.dropped.source = strdup("cupti");
		}
		if (c == 0)
			detfix_check(f, c, IMPL_CANDIDATE, call - 1, "compare", 0, 1);
	}
}

/* Hands F's records to a detect_stream: audit-wide ones first, then each
 * case's run (the fixture writes each case contiguously). */
static void stream(const struct detfix *f, struct record_list *found, struct record_list *v)
{
	struct detect_stream *s = detect_stream_new(0.10);
	const struct record *r = f->l.v;
	size_t n = f->l.n;
	for (size_t i = 0; i < n; i++)
		if (r[i].case_index == REC_NONE)
			detect_stream_global(s, &r[i]);
	for (size_t i = 0; i < n;) {
		if (r[i].case_index == REC_NONE) {
			i++;
			continue;
		}
		size_t j = i;
		while (j < n && (r[j].case_index == r[i].case_index || r[j].case_index == REC_NONE))
			j++;
		/* the run without audit-wide records among it */
		struct record_list run = { 0 };
		for (size_t k = i; k < j; k++)
			if (r[k].case_index != REC_NONE) {
				struct record c;
				record_copy(&c, &r[k]);
				record_list_push(&run, &c);
			}
		detect_stream_case(s, run.v, run.n);
		record_list_free(&run);
		i = j;
	}
	assert_int_equal(detect_stream_finish(s, found, v), 0);
	detect_stream_free(s);
}

static void stream_equals_whole(void **state)
{
	/* second run: every kept conclusion through the spill file */
	if (*state)
		setenv("KAUDIT_SPILL_HELD", "0", 1);
	struct detfix f;
	build(&f);
	struct record_list wf = { 0 }, wv = { 0 }, sf = { 0 }, sv = { 0 };
	assert_int_equal(detect_all(f.l.v, f.l.n, &wf), 0);
	assert_int_equal(detect_verdicts(f.l.v, f.l.n, wf.v, wf.n, 0.10, &wv), 0);
	stream(&f, &sf, &sv);

	/* The audit is what it was built to be (so the comparison means
	 * something): case 0 invalid, audit-wide warnings in every case. */
	assert_int_equal(wv.n, 4);
	assert_int_equal(wv.v[0].case_index, 0);
	assert_string_equal(wv.v[0].u.verdict.verdict, "invalid");
	assert_string_equal(wv.v[1].u.verdict.verdict, "reproduced");
	assert_int_equal(detfix_count(&wf, "sandbox-degraded", REC_NONE, IMPL_NONE), 1);
	assert_int_equal(detfix_count(&wf, "clock-throttled", REC_NONE, IMPL_NONE), 1);
	assert_int_equal(detfix_count(&wf, "trace-incomplete", 1, IMPL_NONE), 1);

	assert_int_equal(sv.n, wv.n);
	for (size_t i = 0; i < wv.n; i++) {
		char *a = json_of(&wv.v[i]), *b = json_of(&sv.v[i]);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	const json_t *codes = wv.v[1].u.verdict.findings;
	int has_wide = 0;
	for (size_t i = 0; i < json_array_size(codes); i++)
		has_wide |= strcmp(json_string_value(json_array_get(codes, i)), "sandbox-degraded") == 0;
	assert_true(has_wide);

	assert_int_equal(sf.n, wf.n);
	char **a = texts(&wf), **b = texts(&sf);
	for (size_t i = 0; i < wf.n; i++)
		assert_string_equal(a[i], b[i]);
	free_texts(a, wf.n);
	free_texts(b, sf.n);
	record_list_free(&wf);
	record_list_free(&wv);
	record_list_free(&sf);
	record_list_free(&sv);
	detfix_free(&f);
	unsetenv("KAUDIT_SPILL_HELD");
}

/* The streaming verdict is not blind to its case: a case that lost its
 * failing check gives another verdict (the comparison above can fail). */
static void stream_sees_each_case(void **state)
{
	(void)state;
	struct detfix f;
	build(&f);
	for (size_t i = 0; i < f.l.n; i++)
		if (f.l.v[i].type == REC_CHECK && f.l.v[i].u.check.ok == 0)
			f.l.v[i].u.check.ok = 1;
	struct record_list sf = { 0 }, sv = { 0 };
	stream(&f, &sf, &sv);
	assert_int_equal(sv.v[0].case_index, 0);
	assert_string_equal(sv.v[0].u.verdict.verdict, "reproduced");
	record_list_free(&sf);
	record_list_free(&sv);
	detfix_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stream_equals_whole),
		cmocka_unit_test_prestate(stream_equals_whole, (void *)1), /* spilled */
		cmocka_unit_test(stream_sees_each_case),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
