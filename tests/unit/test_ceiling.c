/* test_ceiling.c - the supervisor keeps a trace within the record ceiling
 * every reader takes (TRACE_MAX_RECORDS): near it, activity is counted and
 * noted as one `dropped` record (source "ceiling"), conclusions are still
 * written, and the trace reads back intact.  The ceiling is lowered on the
 * struct to exercise it; the writer's own refusal is the backstop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "supervisor/audit_run_private.h"
#include "trace/trace.h"

static struct record kernel_of(int64_t kase, int64_t t)
{
	struct record r;
	record_init(&r, REC_KERNEL);
	r.case_index = kase;
	r.impl = IMPL_CANDIDATE;
	r.call = 0;
	r.u.kernel.name = xstrdup("k");
	r.u.kernel.stream = 7;
	r.u.kernel.start = t;
	r.u.kernel.end = t + 100;
	r.u.kernel.corr = t;
	r.u.kernel.device = 0;
	return r;
}

static void activity_past_the_ceiling_is_noted_not_written(void **state)
{
	(void)state;
	char dir[] = "/tmp/kaudit-ceiling.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char keyp[128], out[128];
	snprintf(keyp, sizeof keyp, "%s/k.pem", dir);
	snprintf(out, sizeof out, "%s/t.kat", dir);
	struct errbuf e = { "", 0 };
	struct trace_key *key;
	assert_int_equal(trace_key_generate(keyp, &e), 0);
	assert_int_equal(trace_key_load(keyp, &key, &e), 0);

	struct run_audit a;
	memset(&a, 0, sizeof a);
	assert_int_equal(trace_writer_open(out, &a.w, &e), 0);
	struct record h;
	record_init(&h, REC_HEADER);
	h.u.header.version = 1;
	h.u.header.tool = xstrdup("test");
	h.u.header.time = xstrdup("2026-12-02T00:00:00Z");
	h.u.header.pubkey = xstrdup(trace_key_public_pem(key));
	assert_int_equal(run_audit_write(&a, &h), 0);
	struct record c;
	record_init(&c, REC_CASE);
	c.case_index = 0;
	c.u.kase.kernel = xstrdup("k");
	assert_int_equal(run_audit_write(&a, &c), 0);
	a.ceiling = 3; /* header, case, one kernel */
	for (int64_t i = 0; i < 10; i++) {
		struct record k = kernel_of(0, 1000 + 1000 * i);
		assert_int_equal(run_audit_write(&a, &k), 0);
	}
	assert_int_equal((int)a.ceiling_dropped, 9);
	assert_int_equal(run_audit_ceiling_note(&a), 0);
	assert_int_equal((int)a.ceiling_dropped, 0);
	assert_int_equal(run_audit_ceiling_note(&a), 0); /* nothing more to say */
	/* Conclusions past the ceiling are still written. */
	struct record v;
	record_init(&v, REC_VERDICT);
	v.case_index = 0;
	v.u.verdict.kernel = xstrdup("k");
	v.u.verdict.verdict = xstrdup("error");
	assert_int_equal(run_audit_write(&a, &v), 0);
	assert_int_equal(a.recs.n, 5); /* header case kernel dropped verdict */
	assert_int_equal(a.recs.v[2].type, REC_KERNEL);
	assert_int_equal(a.recs.v[3].type, REC_DROPPED);
	assert_int_equal((int)a.recs.v[3].u.dropped.count, 9);
	assert_string_equal(a.recs.v[3].u.dropped.source, "ceiling");
	assert_int_equal((int)a.recs.v[3].case_index, 0);
	assert_int_equal(trace_writer_finish(a.w, key, NULL, &e), 0);

	struct trace_contents t;
	assert_int_equal(trace_read(out, &t, &e), 0);
	assert_int_equal(trace_integrity(&t, NULL, &e), 0);
	assert_int_equal(t.records.n, 7); /* and footer, signature */
	trace_contents_free(&t);
	record_list_free(&a.recs);
	trace_key_free(key);
	unlink(keyp);
	snprintf(keyp, sizeof keyp, "%s/k.pem.pub", dir);
	unlink(keyp);
	unlink(out);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(activity_past_the_ceiling_is_noted_not_written),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
