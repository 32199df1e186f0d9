/*
 * test_detect_sandbox.c - sandbox-degraded: raised once per scope (case,
 * or the audit) naming every refused layer, process and reason; silent
 * when every layer was in force, whatever the Landlock ABI lacked; and a
 * warning that leaves the verdict alone.
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

/* A sandbox record of PROCESS in case C (REC_NONE: audit-wide) with the
 * three layers as given (1 in force, 0 refused, -1 absent).  Refused
 * layers get the reason WHY unless it is NULL. */
static struct record *sandbox(struct detfix *f, int64_t c, const char *process, int nnp,
			      int seccomp, int landlock, const char *why)
{
	struct record *r = detfix_add(f, REC_SANDBOX, c, IMPL_NONE, REC_NONE, PHASE_SETUP);
	struct rec_sandbox *s = &r->u.sandbox;
	s->process = strdup(process);
	s->no_new_privs = nnp;
	s->seccomp = seccomp;
	s->landlock = landlock;
	s->landlock_abi = landlock == 1 ? 7 : 0;
	s->signals_scoped = landlock == 1;
	s->net_restricted = landlock == 1;
	s->skipped_paths = 0;
	const char *names[] = { "no_new_privs", "seccomp", "landlock" };
	int on[] = { nnp, seccomp, landlock };
	for (int l = 0; l < 3 && why; l++) {
		if (on[l] == 1)
			continue;
		if (!s->refused)
			s->refused = json_array();
		json_array_append_new(s->refused, json_pack("{s:s, s:s}", "layer", names[l],
							    "why", why));
	}
	return r;
}

static const struct record *finding_of(const struct record_list *l, int64_t c)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].type == REC_FINDING &&
		    strcmp(l->v[i].u.finding.code, "sandbox-degraded") == 0 &&
		    l->v[i].case_index == c)
			return &l->v[i];
	return NULL;
}

#define NO_LANDLOCK "landlock_create_ruleset(VERSION): Function not implemented"

/* gVisor: Landlock refused for the probe (audit-wide) and for two of the
 * case's three processes.  One finding per scope; the case's names both
 * processes, both records, and the kernel's reason once per process. */
static void refused_layer_is_raised_per_scope(void **state)
{
	(void)state;
	struct detfix f;
	struct record_list out;
	detfix_init(&f);
	detfix_device(&f, 2e12);
	int64_t probe = sandbox(&f, REC_NONE, "probe", 1, 1, 0, NO_LANDLOCK)->id;
	detfix_honest_case(&f, 0, 10, 200000, 20000, 3, 2, 4);
	int64_t nvcc = sandbox(&f, 0, "nvcc", 1, 1, 0, NO_LANDLOCK)->id;
	sandbox(&f, 0, "entry-check", 1, 1, 1, NULL);
	int64_t w1 = sandbox(&f, 0, "worker", 1, 1, 0, NO_LANDLOCK)->id;
	int64_t w2 = sandbox(&f, 0, "worker", 1, 1, 0, NO_LANDLOCK)->id;
	detfix_detect(&f, &out);

	assert_int_equal(detfix_count(&out, "sandbox-degraded", REC_NONE, IMPL_NONE), 2);
	const struct record *a = finding_of(&out, REC_NONE);
	assert_non_null(a);
	assert_string_equal(a->u.finding.severity, "warning");
	json_t *ids = json_object_get(a->u.finding.evidence, "records");
	assert_int_equal(json_array_size(ids), 1);
	assert_int_equal(json_integer_value(json_array_get(ids, 0)), probe);

	const struct record *c = finding_of(&out, 0);
	assert_non_null(c);
	ids = json_object_get(c->u.finding.evidence, "records");
	assert_int_equal(json_array_size(ids), 3);
	assert_int_equal(json_integer_value(json_array_get(ids, 0)), nvcc);
	assert_int_equal(json_integer_value(json_array_get(ids, 1)), w1);
	assert_int_equal(json_integer_value(json_array_get(ids, 2)), w2);
	json_t *refused = json_object_get(c->u.finding.evidence, "refused");
	assert_int_equal(json_array_size(refused), 2); /* the two workers say the same */
	json_t *e = json_array_get(refused, 0);
	assert_string_equal(json_string_value(json_object_get(e, "process")), "nvcc");
	assert_string_equal(json_string_value(json_object_get(e, "layer")), "landlock");
	assert_string_equal(json_string_value(json_object_get(e, "why")), NO_LANDLOCK);
	e = json_array_get(refused, 1);
	assert_string_equal(json_string_value(json_object_get(e, "process")), "worker");
	const char *m = c->u.finding.message;
	assert_non_null(strstr(m, "landlock"));
	assert_non_null(strstr(m, "nvcc, worker"));
	assert_null(strstr(m, "entry-check"));
	record_list_free(&out);

	/* A warning: the honest case still reproduces. */
	struct record_list found, v;
	detfix_detect(&f, &found);
	memset(&v, 0, sizeof v);
	assert_int_equal(detect_verdicts(f.l.v, f.l.n, found.v, found.n, 0.10, &v), 0);
	for (size_t i = 0; i < v.n; i++)
		if (v.v[i].case_index == 0)
			assert_string_equal(v.v[i].u.verdict.verdict, "reproduced");
	record_list_free(&found);
	record_list_free(&v);
	detfix_free(&f);
}

/* Every layer named, in order; a record that gives no reason, or leaves a
 * layer out altogether, still counts as refused. */
static void every_refused_layer_is_named(void **state)
{
	(void)state;
	struct detfix f;
	struct record_list out;
	detfix_init(&f);
	detfix_case(&f, 3, 2, 1024);
	sandbox(&f, 3, "worker", 0, 0, -1, NULL);
	detfix_detect(&f, &out);
	const struct record *c = finding_of(&out, 3);
	assert_non_null(c);
	assert_non_null(strstr(c->u.finding.message, "no_new_privs, seccomp, landlock"));
	json_t *refused = json_object_get(c->u.finding.evidence, "refused");
	assert_int_equal(json_array_size(refused), 3);
	for (size_t i = 0; i < 3; i++)
		assert_null(json_object_get(json_array_get(refused, i), "why"));
	assert_string_equal(json_string_value(json_object_get(json_array_get(refused, 2),
							      "layer")), "landlock");
	record_list_free(&out);
	detfix_free(&f);
}

/* Every layer in force: nothing, also where the Landlock ABI predates
 * network rules and signal scoping (seccomp covers both) and where
 * policy paths were skipped. */
static void all_layers_in_force_is_silent(void **state)
{
	(void)state;
	struct detfix f;
	struct record_list out;
	detfix_init(&f);
	detfix_device(&f, 2e12);
	sandbox(&f, REC_NONE, "probe", 1, 1, 1, NULL);
	detfix_honest_case(&f, 0, 10, 200000, 20000, 3, 2, 4);
	sandbox(&f, 0, "nvcc", 1, 1, 1, NULL);
	struct record *old = sandbox(&f, 0, "worker", 1, 1, 1, NULL);
	old->u.sandbox.landlock_abi = 3;
	old->u.sandbox.signals_scoped = 0;
	old->u.sandbox.net_restricted = 0;
	old->u.sandbox.skipped_paths = 2;
	detfix_detect(&f, &out);
	assert_int_equal(detfix_count(&out, "sandbox-degraded", REC_NONE, IMPL_NONE), 0);
	assert_int_equal(out.n, 0);
	record_list_free(&out);
	detfix_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(refused_layer_is_raised_per_scope),
		cmocka_unit_test(every_refused_layer_is_named),
		cmocka_unit_test(all_layers_in_force_is_silent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
