/*
 * test_report.c - kaudit report's parts without a trace file: the escaping
 * of hostile text for HTML and markdown, numbers that are not finite, the
 * samples grouped by case in one pass (exact counts and extremes, a
 * bounded reservoir, hostile case and round numbers), and the banners a
 * SYNTHETIC or STAND-IN summary must carry (and an honest one must not).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/kreport.h"

/* What F wrote, as a string (malloc'ed). */
static char *capture_escape(const char *s, enum kreport_esc mode)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	kreport_escape(f, s, mode);
	fclose(f);
	return buf;
}

static void escape_html(void **state)
{
	(void)state;
	char *s = capture_escape("<script>a&b\"c'd</script>", KREPORT_HTML);
	assert_string_equal(s, "&lt;script&gt;a&amp;b&quot;c&#39;d&lt;/script&gt;");
	free(s);
	s = capture_escape("red\x1b[31m\x7f|\n\xe2\x80\xae\xc2\x85\xff ok \xc3\xa9", KREPORT_HTML);
	assert_string_equal(s, "red\\x1b[31m\\x7f| \\u{202e}\\x85\\xff ok \xc3\xa9");
	free(s);
	s = capture_escape(NULL, KREPORT_HTML);
	assert_string_equal(s, "-");
	free(s);
	/* An overlong '<' (0xc0 0xbc) is not a '<' and not UTF-8 either. */
	s = capture_escape("\xc0\xbc", KREPORT_HTML);
	assert_string_equal(s, "\\xc0\\xbc");
	free(s);
	/* Harmless text passes unchanged. */
	s = capture_escape("softmax_f32 (N=4096)", KREPORT_HTML);
	assert_string_equal(s, "softmax_f32 (N=4096)");
	free(s);
}

static void escape_markdown(void **state)
{
	(void)state;
	char *s = capture_escape("a|b`c`\nd [x](y) <b> *e* \\", KREPORT_MD);
	assert_string_equal(s, "a\\|b\\`c\\` d \\[x\\](y) \\<b\\> \\*e\\* \\\\");
	free(s);
	s = capture_escape("plain text 1.5", KREPORT_MD);
	assert_string_equal(s, "plain text 1.5");
	free(s);
}

static void numbers_not_finite(void **state)
{
	(void)state;
	char b[32];
	assert_string_equal(kreport_num(b, sizeof b, "%.2fx", NAN), "-");
	assert_string_equal(kreport_num(b, sizeof b, "%.2fx", INFINITY), "-");
	assert_string_equal(kreport_num(b, sizeof b, "%.2fx", 2.316), "2.32x");
	assert_string_equal(kreport_num(b, sizeof b, "%.2fx", 1e300), "1e+300");
	assert_string_equal(kreport_ns(b, sizeof b, -INFINITY), "-");
	assert_string_equal(kreport_ns(b, sizeof b, 232548.5), "232.55 us");
	assert_string_equal(kreport_ns(b, sizeof b, 1e300), "1e+291 s");
}

static void sample(struct record *r, int64_t k, enum record_impl impl, int64_t round, double ns,
		   int traced)
{
	record_init(r, REC_SAMPLE);
	r->case_index = k;
	r->impl = impl;
	r->u.sample.round = round;
	r->u.sample.event_ns = ns;
	r->u.sample.traced = traced;
}

static void samples_grouped(void **state)
{
	(void)state;
	size_t n = 0, cap = 4000;
	struct record *v = calloc(cap, sizeof *v);
	const int64_t huge = INT64_C(1000000000000000000);
	for (int i = 0; i < 1000; i++)
		sample(&v[n++], 5, IMPL_CANDIDATE, 1, 1000.0 + i, 1);
	sample(&v[n++], 5, IMPL_CANDIDATE, 1, NAN, 1);       /* counted, not drawn */
	sample(&v[n++], 5, IMPL_CANDIDATE, 1, 1.0, 0);       /* untraced: not counted */
	sample(&v[n++], 5, IMPL_HARNESS, 1, 1.0, 1);         /* not an implementation */
	sample(&v[n++], 5, IMPL_BASELINE, -1, 7.0, 1);       /* round out of range */
	sample(&v[n++], 5, IMPL_BASELINE, 1000000, 7.0, 1);
	sample(&v[n++], huge, IMPL_BASELINE, 0, 42.0, 1);
	/* Many cases: the table grows. */
	for (int k = 100; k < 400; k++)
		sample(&v[n++], k, IMPL_BASELINE, 2, (double)k, 1);
	struct kreport_samples s;
	kreport_samples_build(&s, v, n);
	const struct kreport_case *c = kreport_samples_find(&s, 5);
	assert_non_null(c);
	assert_int_equal(c->impl[1].nrounds, 2);
	assert_null(c->impl[1].rounds[0]);
	const struct kreport_round *r = c->impl[1].rounds[1];
	assert_int_equal(r->count, 1001);
	assert_int_equal(r->finite, 1000);
	assert_int_equal(r->kept, KREPORT_KEEP);
	assert_true(r->min == 1000.0 && r->max == 1999.0);
	for (size_t i = 0; i < r->kept; i++)
		assert_true(r->pts[i] >= 1000.0 && r->pts[i] <= 1999.0);
	assert_int_equal(c->impl[0].nrounds, 0);
	assert_int_equal(c->impl[0].other, 2);
	c = kreport_samples_find(&s, huge);
	assert_non_null(c);
	assert_true(c->impl[0].rounds[0]->min == 42.0);
	for (int k = 100; k < 400; k++) {
		c = kreport_samples_find(&s, k);
		assert_non_null(c);
		assert_true(c->impl[0].rounds[2]->max == (double)k);
	}
	assert_null(kreport_samples_find(&s, 6));
	assert_null(kreport_samples_find(&s, REC_NONE));
	kreport_samples_release(&s);
	free(v);
}

/* The HTML (or markdown) of SUMMARY, malloc'ed. */
static char *render(json_t *summary, int markdown)
{
	struct kreport_samples smp;
	kreport_samples_build(&smp, NULL, 0);
	struct inspect_signer sg = { 0 };
	snprintf(sg.text, sizeof sg.text, "signed by an UNTRUSTED key 0123");
	struct inspect_status st = { INSPECT_WARN, "intact, but signed by an UNTRUSTED key" };
	struct kreport_input in = { "t.kat", summary, &smp, &sg, &st };
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	if (markdown)
		md_write(f, &in);
	else
		html_write(f, &in);
	fclose(f);
	kreport_samples_release(&smp);
	return buf;
}

static json_t *summary_of(int synthetic, int stand_in)
{
	json_t *s = json_pack("{s:b, s:b, s:{s:s}, s:s, s:[{s:i, s:s, s:s, s:f, s:[]}]}",
			      "intact", 1, "synthetic", synthetic, "claim", "title", "t",
			      "verdict", "reproduced", "cases", "case", 0, "kernel", "k",
			      "verdict", "reproduced", "claimed", 2.0, "findings");
	if (stand_in >= 0) {
		json_object_set_new(s, "stand_in", json_boolean(stand_in));
		json_object_set_new(s, "plugin", json_pack("{s:s, s:s}", "path",
							   "/opt/<plugin>.so", "sha256", "ab12"));
	}
	return s;
}

static void banners(void **state)
{
	(void)state;
	for (int md = 0; md < 2; md++) {
		json_t *s = summary_of(0, 1);
		char *out = render(s, md);
		assert_non_null(strstr(out, "STAND-IN"));
		assert_null(strstr(out, "SYNTHETIC"));
		assert_non_null(strstr(out, md ? "/opt/\\<plugin\\>.so" : "/opt/&lt;plugin&gt;.so"));
		assert_non_null(strstr(out, "ab12"));
		/* The measured speedup and CI are absent: "-", never "nan". */
		assert_null(strstr(out, "nan"));
		assert_non_null(strstr(out, md ? "| - | - - - | 2.00x |" : "<td class=\"num\">-</td>"));
		free(out);
		json_decref(s);
		s = summary_of(1, 0);
		out = render(s, md);
		assert_null(strstr(out, "STAND-IN"));
		assert_non_null(strstr(out, "SYNTHETIC"));
		free(out);
		json_decref(s);
		s = summary_of(0, -1);
		out = render(s, md);
		assert_null(strstr(out, "STAND-IN"));
		assert_null(strstr(out, "SYNTHETIC"));
		/* No samples: still a picture, saying so. */
		if (!md)
			assert_non_null(strstr(out, "<svg"));
		free(out);
		json_decref(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(escape_html),
		cmocka_unit_test(escape_markdown),
		cmocka_unit_test(numbers_not_finite),
		cmocka_unit_test(samples_grouped),
		cmocka_unit_test(banners),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
