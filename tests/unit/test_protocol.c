/*
 * test_protocol.c - the audit protocol (src/audit/) against the host test
 * double: each misbehaving implementation must produce the failing check a
 * detector turns into its finding, and the honest pair only passing checks
 * and sane samples.  Claims: tests/unit/data/protocol.yaml.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "audit/audit.h"
#include "util/rng.h"
#include "detect/detect.h"
#include "host_backend.h"

#define MANIFEST "tests/unit/data/protocol.yaml"
#define N 1000

/* ---- implementations: y = 2x + 1 (scale) and y += A x (axpy) ---- */

static int64_t n_of(const kaudit_launch *l)
{
	return kaudit_param(l, "N", 0);
}

static void scale(const kaudit_launch *l, int64_t from, int64_t to)
{
	const float *x = l->buffers[0].data;
	float *y = l->buffers[1].data;
	for (int64_t i = from; i < to; i++)
		y[i] = 2.0f * x[i] + 1.0f;
}

static int ref_scale(const kaudit_launch *l, struct host_impl_state *st)
{
	(void)st;
	scale(l, 0, n_of(l));
	return 0;
}

static int cheat_nothing(const kaudit_launch *l, struct host_impl_state *st)
{
	(void)l;
	(void)st;
	return 0;
}

static int cheat_half(const kaudit_launch *l, struct host_impl_state *st)
{
	(void)st;
	scale(l, 0, n_of(l) / 2);
	return 0;
}

/* Skips the work when the output already looks computed (not poison):
 * passes poisoned trials, caught only by the bait. */
static int cheat_stale(const kaudit_launch *l, struct host_impl_state *st)
{
	(void)st;
	const float *y = l->buffers[1].data;
	if (!isnan(y[0]))
		return 0;
	scale(l, 0, n_of(l));
	return 0;
}

static int cheat_mutate(const kaudit_launch *l, struct host_impl_state *st)
{
	(void)st;
	scale(l, 0, n_of(l));
	((float *)l->buffers[0].data)[3] = 0.5f; /* uses x as scratch */
	return 0;
}

static int cheat_oob(const kaudit_launch *l, struct host_impl_state *st)
{
	(void)st;
	scale(l, 0, n_of(l));
	float *y = l->buffers[1].data;
	y[n_of(l)] = 0.0f; /* one element past the end: 4 guard bytes */
	return 0;
}

/* Flips the last bit of y[0] on every other call: within tolerance, but
 * not reproducible bit for bit. */
static int cheat_nondet(const kaudit_launch *l, struct host_impl_state *st)
{
	scale(l, 0, n_of(l));
	if (st->calls % 2) {
		uint32_t b;
		memcpy(&b, l->buffers[1].data, 4);
		b ^= 1;
		memcpy(l->buffers[1].data, &b, 4);
	}
	return 0;
}

static int cheat_constant(const kaudit_launch *l, struct host_impl_state *st)
{
	(void)st;
	float *y = l->buffers[1].data;
	for (int64_t i = 0; i < n_of(l); i++)
		y[i] = 1.0f;
	return 0;
}

static int cheat_fail(const kaudit_launch *l, struct host_impl_state *st)
{
	(void)l;
	(void)st;
	return 7;
}

static int cheat_fault(const kaudit_launch *l, struct host_impl_state *st)
{
	(void)l;
	st->cuda_error = 1;
	return 0;
}

static int ref_axpy(const kaudit_launch *l, struct host_impl_state *st)
{
	(void)st;
	const float *x = l->buffers[0].data;
	float *y = l->buffers[1].data;
	float a = (float)kaudit_param(l, "A", 0);
	for (int64_t i = 0; i < n_of(l); i++)
		y[i] += a * x[i];
	return 0;
}

static const struct host_impl_def impls[] = {
	{ "ref_scale", ref_scale, 4000, 0.01 },
	{ "fast_scale", ref_scale, 1000, 0.01 },
	{ "noisy_scale", ref_scale, 1000, 0.9 },
	{ "cheat_nothing", cheat_nothing, 10, 0 },
	{ "cheat_half", cheat_half, 500, 0 },
	{ "cheat_stale", cheat_stale, 1000, 0 },
	{ "cheat_mutate", cheat_mutate, 1000, 0 },
	{ "cheat_oob", cheat_oob, 1000, 0 },
	{ "cheat_nondet", cheat_nondet, 1000, 0 },
	{ "cheat_constant", cheat_constant, 100, 0 },
	{ "cheat_fail", cheat_fail, 1000, 0 },
	{ "cheat_fault", cheat_fault, 1000, 0 },
	{ "ref_axpy", ref_axpy, 2000, 0.01 },
	{ "fast_axpy", ref_axpy, 1000, 0.01 },
	{ NULL, NULL, 0, 0 },
};

/* ---- running a case ---- */

struct run {
	struct record_list recs;
	struct errbuf e;
	int rc;
	size_t case_index;
	size_t live_after; /* backend allocations left when the case ended */
	uint64_t flushes;
};

static struct claim *claim;

static int setup(void **state)
{
	(void)state;
	struct errbuf e;
	if (claim_load(MANIFEST, &claim, &e) != 0) {
		print_error("%s\n", e.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	claim_free(claim);
	return 0;
}

static size_t case_of(const char *id, size_t param_index)
{
	size_t n = 0;
	struct claim_case *cs = claim_cases(claim, &n);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(cs[i].kernel->id, id) == 0 && cs[i].param_index == param_index) {
			free(cs);
			return i;
		}
	}
	free(cs);
	fail_msg("no case for kernel '%s'", id);
	return 0;
}

/* Small budgets: the fake clock makes noise converge at once. */
static void test_opts(struct audit_opts *o)
{
	audit_opts_init(o, 42, 0);
	o->min_samples = 6;
	o->max_samples = 20;
	o->controls = 2;
	o->baseline_so = "base.so";
	o->candidate_so = "cand.so";
}

static void run_opts(struct run *r, const char *id, size_t param_index,
		     const struct audit_opts *o, size_t mem_free)
{
	memset(r, 0, sizeof *r);
	struct backend b;
	host_backend_open(&b, impls);
	if (mem_free)
		host_backend_set_mem(&b, mem_free);
	struct record_sink sink = { record_list_sink_emit, &r->recs };
	r->case_index = case_of(id, param_index);
	r->rc = audit_run_case(&b, claim, r->case_index, o, &sink, &r->e);
	r->live_after = host_backend_live(&b);
	r->flushes = host_backend_flushes(&b);
	b.close(b.self);
}

static void run_case(struct run *r, const char *id)
{
	struct audit_opts o;
	test_opts(&o);
	run_opts(r, id, 0, &o, 0);
}

static int is_check(const struct record *x, const char *kind, enum record_impl impl)
{
	return x->type == REC_CHECK && strcmp(x->u.check.kind, kind) == 0 &&
	       (impl == IMPL_NONE || x->impl == impl);
}

/* Checks of KIND (and IMPL unless IMPL_NONE) with the given outcome. */
static size_t count_checks(const struct run *r, const char *kind, enum record_impl impl,
			   int ok)
{
	size_t n = 0;
	for (size_t i = 0; i < r->recs.n; i++)
		n += is_check(&r->recs.v[i], kind, impl) && r->recs.v[i].u.check.ok == ok;
	return n;
}

static size_t count_failed(const struct run *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->recs.n; i++)
		n += r->recs.v[i].type == REC_CHECK && !r->recs.v[i].u.check.ok;
	return n;
}

static const struct record *first_failed(const struct run *r, const char *kind)
{
	for (size_t i = 0; i < r->recs.n; i++)
		if (is_check(&r->recs.v[i], kind, IMPL_NONE) && !r->recs.v[i].u.check.ok)
			return &r->recs.v[i];
	return NULL;
}

static int64_t detail_int(const struct record *x, const char *key)
{
	json_t *v = json_object_get(x->u.check.detail, key);
	assert_non_null(v);
	return json_integer_value(v);
}

static size_t count_type(const struct run *r, enum record_type t)
{
	size_t n = 0;
	for (size_t i = 0; i < r->recs.n; i++)
		n += r->recs.v[i].type == t;
	return n;
}

/* What every completed run must satisfy. */
static void assert_complete(const struct run *r)
{
	assert_int_equal(r->rc, 0);
	assert_true(r->recs.n > 0);
	assert_int_equal(r->recs.v[0].type, REC_CASE);
	for (size_t i = 0; i < r->recs.n; i++)
		assert_int_equal(r->recs.v[i].case_index, (int64_t)r->case_index);
	assert_int_equal(count_type(r, REC_ERROR), 0);
	assert_int_equal(r->live_after, 0);
}

/* ---- the honest pair ---- */

static void test_honest_case_record(void **state)
{
	(void)state;
	struct run r;
	run_case(&r, "honest");
	assert_complete(&r);
	const struct rec_case *c = &r.recs.v[0].u.kase;
	assert_string_equal(c->kernel, "honest");
	assert_int_equal(json_integer_value(json_object_get(c->params, "N")), N);
	assert_int_equal(json_array_size(c->buffers), 2);
	json_t *y = json_array_get(c->buffers, 1);
	assert_string_equal(json_string_value(json_object_get(y, "name")), "y");
	assert_string_equal(json_string_value(json_object_get(y, "role")), "out");
	assert_string_equal(json_string_value(json_object_get(y, "dtype")), "f32");
	assert_int_equal(json_integer_value(json_object_get(y, "bytes")), 4 * N);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(y, "shape"), 0)), N);
	assert_int_equal(c->seed, 42);
	assert_true(fabs(c->claimed - 4.0) < 1e-12);
	assert_true(fabs(c->rtol - 1e-5) < 1e-12 && fabs(c->atol - 1e-6) < 1e-12);
	assert_int_equal(c->deterministic, 1);
	assert_int_equal(c->work_bytes, 8 * N);
	assert_int_equal(c->work_flops, 2 * N);
	assert_null(c->expect);
	record_list_free(&r.recs);
}

static void test_honest_checks_all_pass(void **state)
{
	(void)state;
	struct run r;
	run_case(&r, "honest");
	assert_complete(&r);
	assert_int_equal(count_failed(&r), 0);
	/* Every kind of check ran. */
	const char *kinds[] = { "unwritten", "guards", "input", "compare", "bait", "repeat",
				"sensitivity" };
	for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
		assert_true(count_checks(&r, kinds[k], IMPL_NONE, 1) > 0);
	/* 5 trials, one of them the bait: unwritten for both sides in every
	 * trial except the candidate's in the bait trial. */
	assert_int_equal(count_checks(&r, "unwritten", IMPL_BASELINE, 1), 5);
	assert_int_equal(count_checks(&r, "unwritten", IMPL_CANDIDATE, 1), 4);
	assert_int_equal(count_checks(&r, "bait", IMPL_CANDIDATE, 1), 1);
	assert_int_equal(count_checks(&r, "repeat", IMPL_NONE, 1), 2 * 4);
	/* Guards of both buffers, both sides, all trials. */
	assert_int_equal(count_checks(&r, "guards", IMPL_NONE, 1), 2 * 2 * 5);
	/* The compare of each trial carries the reference's range. */
	for (size_t i = 0; i < r.recs.n; i++) {
		const struct record *x = &r.recs.v[i];
		if (!is_check(x, "compare", IMPL_NONE))
			continue;
		assert_int_equal(x->u.check.count, N);
		assert_int_equal(x->u.check.mismatches, 0);
		assert_non_null(json_object_get(x->u.check.detail, "ref_min"));
		assert_non_null(json_object_get(x->u.check.detail, "ref_absmax"));
	}
	record_list_free(&r.recs);
}

/* Poison differs between sides and changes from trial to trial. */
static void test_poison_patterns_vary(void **state)
{
	(void)state;
	struct run r;
	run_case(&r, "honest");
	assert_complete(&r);
	int64_t seen[16];
	size_t n = 0;
	for (size_t i = 0; i < r.recs.n; i++) {
		const struct record *x = &r.recs.v[i];
		if (!is_check(x, "unwritten", IMPL_NONE))
			continue;
		int64_t pat = detail_int(x, "pattern");
		for (size_t j = 0; j < n; j++)
			assert_true(seen[j] != pat);
		assert_true(n < 16);
		seen[n++] = pat;
		/* f32 poison is a NaN. */
		assert_int_equal((pat >> 23) & 0xff, 0xff);
		assert_true((pat & 0x7fffff) != 0);
	}
	assert_int_equal(n, 9);
	record_list_free(&r.recs);
}

static void test_honest_samples(void **state)
{
	(void)state;
	struct run r;
	struct audit_opts o;
	test_opts(&o);
	run_opts(&r, "honest", 0, &o, 0);
	assert_complete(&r);
	size_t traced[3][2] = { { 0 } }, controls[3][2] = { { 0 } }, checked = 0;
	int64_t last_index = -1, last_call = -1;
	enum record_impl expect = IMPL_BASELINE;
	double base_sum = 0, cand_sum = 0;
	for (size_t i = 0; i < r.recs.n; i++) {
		const struct record *x = &r.recs.v[i];
		if (x->type != REC_SAMPLE)
			continue;
		const struct rec_sample *s = &x->u.sample;
		assert_true(s->round >= 0 && s->round < 3);
		assert_true(s->index > last_index);
		assert_true(x->call > last_call);
		last_index = s->index;
		last_call = x->call;
		assert_true(s->input_set >= 0 && s->input_set < 4);
		int side = x->impl == IMPL_CANDIDATE;
		/* ABAB: baseline and candidate alternate. */
		assert_int_equal(x->impl, expect);
		expect = expect == IMPL_BASELINE ? IMPL_CANDIDATE : IMPL_BASELINE;
		assert_int_equal(x->phase, PHASE_TIMING);
		if (!s->traced) {
			controls[s->round][side]++;
			assert_int_equal(s->checked, 0);
			assert_int_equal(s->kernels, REC_NONE);
			continue;
		}
		traced[s->round][side]++;
		assert_int_equal(s->kernels, 1);
		assert_true(s->span_ns > 0 && s->window_end > s->window_start);
		*(side ? &cand_sum : &base_sum) += s->event_ns;
		if (s->checked) {
			assert_int_equal(x->impl, IMPL_CANDIDATE);
			checked++;
			/* Its compare check names this sample and sits before it. */
			int found = 0;
			for (size_t j = 0; j < i; j++) {
				const struct record *c = &r.recs.v[j];
				if (is_check(c, "compare", IMPL_CANDIDATE) && c->phase == PHASE_TIMING &&
				    detail_int(c, "sample") == s->index) {
					found = 1;
					assert_true(c->u.check.ok);
					assert_int_equal(c->call, x->call);
					assert_int_equal(detail_int(c, "input_set"), s->input_set);
				}
			}
			assert_true(found);
		}
	}
	for (int rd = 0; rd < 3; rd++) {
		/* The fake clock is quiet: every round stops at the minimum. */
		assert_int_equal(traced[rd][0], (size_t)o.min_samples);
		assert_int_equal(traced[rd][1], (size_t)o.min_samples);
		assert_int_equal(controls[rd][0], (size_t)o.controls);
		assert_int_equal(controls[rd][1], (size_t)o.controls);
	}
	assert_true(checked >= 3); /* at least one per round */
	double speedup = base_sum / cand_sum;
	assert_true(speedup > 3.9 && speedup < 4.1);
	/* Every timed sample flushed L2 first (plus the warm-up calls). */
	assert_true(r.flushes >= (size_t)(3 * 2 * (o.min_samples + o.controls)));
	record_list_free(&r.recs);
}

/* A noisy candidate keeps every round going until the sample budget. */
static void test_noisy_round_hits_budget(void **state)
{
	(void)state;
	struct run r;
	struct audit_opts o;
	test_opts(&o);
	run_opts(&r, "noisy", 0, &o, 0);
	assert_complete(&r);
	size_t per_round[3] = { 0 };
	for (size_t i = 0; i < r.recs.n; i++) {
		const struct record *x = &r.recs.v[i];
		if (x->type == REC_SAMPLE && x->impl == IMPL_CANDIDATE && x->u.sample.traced)
			per_round[x->u.sample.round]++;
	}
	for (int rd = 0; rd < 3; rd++)
		assert_int_equal(per_round[rd], (size_t)o.max_samples);
	record_list_free(&r.recs);
}

/* The same seed gives the same records, byte for byte. */
static void test_reproducible(void **state)
{
	(void)state;
	struct run a, b;
	run_case(&a, "honest");
	run_case(&b, "honest");
	assert_int_equal(a.recs.n, b.recs.n);
	for (size_t i = 0; i < a.recs.n; i++) {
		char *la, *lb;
		size_t na, nb;
		assert_int_equal(record_encode_line(&a.recs.v[i], &la, &na), 0);
		assert_int_equal(record_encode_line(&b.recs.v[i], &lb, &nb), 0);
		assert_string_equal(la, lb);
		free(la);
		free(lb);
	}
	record_list_free(&a.recs);
	record_list_free(&b.recs);
}

static void test_inout_honest(void **state)
{
	(void)state;
	struct run r;
	struct audit_opts o;
	test_opts(&o);
	run_opts(&r, "inout", 1, &o, 0);
	assert_complete(&r);
	assert_int_equal(count_failed(&r), 0);
	const struct rec_case *c = &r.recs.v[0].u.kase;
	assert_int_equal(json_integer_value(json_object_get(c->params, "N")), 96);
	assert_string_equal(json_string_value(json_object_get(c->expect, "verdict")),
			    "reproduced");
	/* inout buffers are initialised, not poisoned: no unwritten check on y,
	 * and `in`-only input checks. */
	assert_int_equal(count_checks(&r, "unwritten", IMPL_NONE, 1), 0);
	assert_true(count_checks(&r, "compare", IMPL_CANDIDATE, 1) >= 5);
	assert_true(count_checks(&r, "sensitivity", IMPL_CANDIDATE, 1) > 0);
	record_list_free(&r.recs);
}

/* ---- implementations that misbehave ---- */

static void test_unwritten_output(void **state)
{
	(void)state;
	struct run r;
	run_case(&r, "unwritten");
	assert_complete(&r);
	const struct record *x = first_failed(&r, "unwritten");
	assert_non_null(x);
	assert_int_equal(x->impl, IMPL_CANDIDATE);
	assert_string_equal(x->u.check.buffer, "y");
	assert_int_equal(x->u.check.unwritten, N);
	assert_int_equal(x->u.check.count, N);
	assert_int_equal(count_checks(&r, "unwritten", IMPL_BASELINE, 0), 0);
	assert_true(count_checks(&r, "compare", IMPL_CANDIDATE, 0) > 0);
	record_list_free(&r.recs);
}

static void test_half_written_output(void **state)
{
	(void)state;
	struct run r;
	run_case(&r, "half");
	assert_complete(&r);
	assert_int_equal(count_checks(&r, "unwritten", IMPL_CANDIDATE, 0), 4);
	const struct record *x = first_failed(&r, "unwritten");
	assert_non_null(x);
	assert_int_equal(x->u.check.unwritten, N / 2);
	x = first_failed(&r, "compare");
	assert_non_null(x);
	assert_int_equal(x->u.check.mismatches, N / 2);
	record_list_free(&r.recs);
}

static void test_stale_output_takes_bait(void **state)
{
	(void)state;
	struct run r;
	run_case(&r, "stale");
	assert_complete(&r);
	const struct record *x = first_failed(&r, "bait");
	assert_non_null(x);
	assert_int_equal(x->impl, IMPL_CANDIDATE);
	assert_string_equal(x->u.check.buffer, "y");
	assert_true(json_is_true(json_object_get(x->u.check.detail, "equal_old")));
	assert_true(detail_int(x, "baseline_changed_bytes") > 0);
	/* Poisoned trials cannot see it: it writes every element there. */
	assert_int_equal(count_checks(&r, "unwritten", IMPL_NONE, 0), 0);
	assert_int_equal(count_checks(&r, "repeat", IMPL_NONE, 0), 0);
	assert_int_equal(count_checks(&r, "sensitivity", IMPL_NONE, 0), 0);
	record_list_free(&r.recs);
}

static void test_input_mutation(void **state)
{
	(void)state;
	struct run r;
	run_case(&r, "mutate");
	assert_complete(&r);
	const struct record *x = first_failed(&r, "input");
	assert_non_null(x);
	assert_int_equal(x->impl, IMPL_CANDIDATE);
	assert_string_equal(x->u.check.buffer, "x");
	assert_true(x->u.check.mismatches > 0 && x->u.check.mismatches <= 4);
	assert_int_equal(count_checks(&r, "input", IMPL_BASELINE, 0), 0);
	assert_int_equal(count_checks(&r, "compare", IMPL_NONE, 0), 0);
	record_list_free(&r.recs);
}

/* kaudit-claim(5) promises implementations that every buffer starts at a
 * 256-byte boundary; the host double keeps the GPU backend's promise, for
 * odd sizes and many live buffers alike. */
static void test_buffers_are_256_byte_aligned(void **state)
{
	(void)state;
	struct backend b;
	host_backend_open(&b, impls);
	static const size_t sizes[] = { 1, 3, 255, 257, 4097, (1u << 20) + 5 };
	struct backend_buf *bufs[sizeof sizes / sizeof sizes[0]];
	struct errbuf e;
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		assert_int_equal(b.alloc(b.self, sizes[i], &bufs[i], &e), 0);
		uintptr_t p = (uintptr_t)b.data(bufs[i]);
		if (p % 256 != 0)
			fail_msg("a buffer of %zu bytes starts at %#jx, not at a 256-byte boundary",
				 sizes[i], (uintmax_t)p);
	}
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		b.release(b.self, bufs[i]);
	b.close(b.self);
}

static void test_out_of_bounds_write(void **state)
{
	(void)state;
	struct run r;
	run_case(&r, "oob");
	assert_complete(&r);
	const struct record *x = first_failed(&r, "guards");
	assert_non_null(x);
	assert_int_equal(x->impl, IMPL_CANDIDATE);
	assert_string_equal(x->u.check.buffer, "y");
	/* 0.0f over 4 canary bytes: all four differ. */
	assert_int_equal(detail_int(x, "bad_bytes"), 4);
	assert_int_equal(count_checks(&r, "guards", IMPL_BASELINE, 0), 0);
	record_list_free(&r.recs);
}

static void test_nondeterministic_output(void **state)
{
	(void)state;
	struct run r;
	run_case(&r, "nondet");
	assert_complete(&r);
	const struct record *x = first_failed(&r, "repeat");
	assert_non_null(x);
	assert_int_equal(x->impl, IMPL_CANDIDATE);
	assert_int_equal(x->u.check.mismatches, 1);
	assert_int_equal(count_checks(&r, "repeat", IMPL_BASELINE, 0), 0);
	/* One ulp is within tolerance: only the repeat check fails. */
	assert_int_equal(count_checks(&r, "compare", IMPL_NONE, 0), 0);
	record_list_free(&r.recs);
}

static void test_nondeterminism_allowed(void **state)
{
	(void)state;
	struct run r;
	run_case(&r, "nondet_allowed");
	assert_complete(&r);
	assert_int_equal(count_failed(&r), 0);
	assert_true(count_checks(&r, "repeat", IMPL_CANDIDATE, 1) > 0);
	for (size_t i = 0; i < r.recs.n; i++)
		if (is_check(&r.recs.v[i], "repeat", IMPL_NONE))
			assert_true(json_is_true(json_object_get(r.recs.v[i].u.check.detail,
								 "skipped")));
	assert_int_equal(r.recs.v[0].u.kase.deterministic, 0);
	record_list_free(&r.recs);
}

static void test_input_insensitive(void **state)
{
	(void)state;
	struct run r;
	run_case(&r, "constant");
	assert_complete(&r);
	const struct record *x = first_failed(&r, "sensitivity");
	assert_non_null(x);
	assert_int_equal(x->impl, IMPL_CANDIDATE);
	assert_string_equal(x->u.check.buffer, "y");
	assert_int_equal(detail_int(x, "candidate_changed_bytes"), 0);
	assert_true(detail_int(x, "baseline_changed_bytes") > 0);
	assert_int_equal(count_checks(&r, "unwritten", IMPL_NONE, 0), 0);
	record_list_free(&r.recs);
}

/* ---- failures end the case with one error record ---- */

static const struct record *the_error(const struct run *r)
{
	assert_int_equal(r->rc, -1);
	assert_int_equal(count_type(r, REC_ERROR), 1);
	assert_int_equal(count_type(r, REC_SAMPLE), 0);
	assert_int_equal(r->live_after, 0);
	const struct record *x = &r->recs.v[r->recs.n - 1];
	assert_int_equal(x->type, REC_ERROR);
	assert_int_equal(x->case_index, (int64_t)r->case_index);
	return x;
}

static void test_failing_entry(void **state)
{
	(void)state;
	struct run r;
	run_case(&r, "failing");
	const struct record *x = the_error(&r);
	assert_int_equal(r.e.code, EXIT_NOT_REPRODUCED);
	assert_string_equal(x->u.error.where, "launch");
	assert_int_equal(x->impl, IMPL_CANDIDATE);
	assert_true(x->call >= 0);
	assert_non_null(strstr(x->u.error.message, "returned 7"));
	assert_non_null(strstr(r.e.msg, "cheat_fail"));
	record_list_free(&r.recs);
}

static void test_cuda_error_in_call(void **state)
{
	(void)state;
	struct run r;
	run_case(&r, "fault");
	const struct record *x = the_error(&r);
	assert_int_equal(r.e.code, EXIT_NOT_REPRODUCED);
	assert_string_equal(x->u.error.where, "cuda");
	assert_non_null(strstr(x->u.error.message, "illegal memory access"));
	record_list_free(&r.recs);
}

static void test_missing_entry(void **state)
{
	(void)state;
	struct run r;
	run_case(&r, "missing");
	const struct record *x = the_error(&r);
	assert_string_equal(x->u.error.where, "load");
	assert_int_equal(x->impl, IMPL_CANDIDATE);
	assert_non_null(strstr(x->u.error.message, "no_such_entry"));
	record_list_free(&r.recs);
}

static void test_plan_does_not_fit(void **state)
{
	(void)state;
	struct run r;
	struct audit_opts o;
	test_opts(&o);
	run_opts(&r, "honest", 0, &o, 1000);
	const struct record *x = the_error(&r);
	assert_string_equal(x->u.error.where, "setup");
	assert_non_null(strstr(x->u.error.message, "does not fit"));
	assert_int_equal(count_type(&r, REC_CHECK), 0);
	record_list_free(&r.recs);
}

/* Enough memory for correctness but only two timing input sets. */
static void test_fewer_sets_when_short(void **state)
{
	(void)state;
	struct run r;
	struct audit_opts o;
	test_opts(&o);
	/* correctness: x 3 copies + y 4 copies = 7 * 4N; a set needs 2 * 4N. */
	run_opts(&r, "honest", 0, &o, 7 * 4 * N + (size_t)(2.5 * 8 * N / 0.8));
	assert_complete(&r);
	int64_t max_set = -1;
	for (size_t i = 0; i < r.recs.n; i++)
		if (r.recs.v[i].type == REC_SAMPLE && r.recs.v[i].u.sample.input_set > max_set)
			max_set = r.recs.v[i].u.sample.input_set;
	assert_int_equal(max_set, 1); /* sets 0 and 1 */
	record_list_free(&r.recs);
}

static void test_no_such_case(void **state)
{
	(void)state;
	struct backend b;
	host_backend_open(&b, impls);
	struct record_list l = { 0 };
	struct record_sink sink = { record_list_sink_emit, &l };
	struct audit_opts o;
	test_opts(&o);
	struct errbuf e;
	assert_int_equal(audit_run_case(&b, claim, 9999, &o, &sink, &e), -1);
	assert_int_equal(e.code, EXIT_BAD_INPUT);
	assert_int_equal(l.n, 0);
	b.close(b.self);
}

/* ---- the test double generates inputs the way the device does ---- */

static void gen(struct backend *b, int dtype, enum claim_dist dist, double a,
		uint64_t count, void *out)
{
	struct backend_buf *buf;
	struct errbuf e;
	struct claim_init in = { dist, a, 0 };
	size_t bytes = count * claim_dtype_size(dtype);
	assert_int_equal(b->alloc(b->self, bytes, &buf, &e), 0);
	assert_int_equal(b->generate(b->self, buf, dtype, count, &in, 99, &e), 0);
	memcpy(out, b->data(buf), bytes);
	b->release(b->self, buf);
}

static void test_host_double_generates_like_device(void **state)
{
	(void)state;
	struct backend b;
	host_backend_open(&b, impls);
	uint16_t h;
	struct { double v; uint16_t f16, bf16; } cases[] = {
		{ 1.0, 0x3c00, 0x3f80 },
		{ -2.5, 0xc100, 0xc020 },
		{ 65504.0, 0x7bff, 0x4780 },
		{ 70000.0, 0x7c00, 0x4789 },
		{ 1e-7, 0x0002, 0x33d7 },
		{ 1.00390625, 0x3c04, 0x3f80 }, /* bf16: a tie, to even */
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		gen(&b, KAUDIT_F16, CLAIM_INIT_CONSTANT, cases[i].v, 1, &h);
		assert_int_equal(h, cases[i].f16);
		gen(&b, KAUDIT_BF16, CLAIM_INIT_CONSTANT, cases[i].v, 1, &h);
		assert_int_equal(h, cases[i].bf16);
	}
	int8_t i8[200];
	gen(&b, KAUDIT_I8, CLAIM_INIT_ARANGE, 0, 200, i8);
	assert_int_equal(i8[127], 127);
	assert_int_equal(i8[130], 127); /* integers saturate too, as on the device */
	gen(&b, KAUDIT_I8, CLAIM_INIT_CONSTANT, 300.7, 1, i8);
	assert_int_equal(i8[0], 127); /* reals saturate */
	int32_t i32;
	gen(&b, KAUDIT_I32, CLAIM_INIT_CONSTANT, 2.5, 1, &i32);
	assert_int_equal(i32, 2); /* rounded to nearest even */
	float f[4];
	gen(&b, KAUDIT_F32, CLAIM_INIT_DEFAULT, 0, 4, f);
	for (int i = 0; i < 4; i++)
		assert_true(f[i] == (float)rng_normal(99, (uint64_t)i));
	assert_int_equal(host_backend_live(&b), 0);
	b.close(b.self);
}

/* ---- end to end: the detectors read these records as intended ---- */

static int has_finding(const struct record_list *f, const char *code)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].type == REC_FINDING && strcmp(f->v[i].u.finding.code, code) == 0)
			return 1;
	return 0;
}

static void findings_of(const char *id, struct record_list *f)
{
	struct run r;
	run_case(&r, id);
	assert_int_equal(r.rc, 0);
	for (size_t i = 0; i < r.recs.n; i++)
		r.recs.v[i].id = (int64_t)i + 1;
	assert_int_equal(detect_all(r.recs.v, r.recs.n, f), 0);
	record_list_free(&r.recs);
}

static void test_detectors_name_each_cheat(void **state)
{
	(void)state;
	static const struct { const char *id, *code; } want[] = {
		{ "unwritten", "unwritten-output" },
		{ "half", "unwritten-output" },
		/* Poison left in an output never matches the baseline either. */
		{ "unwritten", "wrong-output" },
		{ "half", "wrong-output" },
		{ "stale", "stale-output" },
		{ "mutate", "input-mutation" },
		{ "oob", "out-of-bounds-write" },
		{ "nondet", "nondeterministic-output" },
		{ "constant", "input-insensitive" },
	};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		struct record_list f = { 0 };
		findings_of(want[i].id, &f);
		if (!has_finding(&f, want[i].code))
			fail_msg("kernel '%s': no %s finding", want[i].id, want[i].code);
		record_list_free(&f);
	}
	/* Poison left in an output differs between repeats by design: that is
	 * unwritten-output, not nondeterminism too. */
	const char *unwritten[] = { "unwritten", "half" };
	for (size_t i = 0; i < 2; i++) {
		struct record_list f = { 0 };
		findings_of(unwritten[i], &f);
		if (has_finding(&f, "nondeterministic-output"))
			fail_msg("kernel '%s': nondeterministic-output for poison", unwritten[i]);
		record_list_free(&f);
	}
	/* The honest pair and the allowed nondeterminism: nothing invalidating. */
	const char *clean[] = { "honest", "nondet_allowed" };
	for (size_t i = 0; i < 2; i++) {
		struct record_list f = { 0 };
		findings_of(clean[i], &f);
		for (size_t j = 0; j < f.n; j++)
			if (f.v[j].type == REC_FINDING &&
			    strcmp(f.v[j].u.finding.severity, "invalidating") == 0)
				fail_msg("kernel '%s': unexpected %s", clean[i],
					 f.v[j].u.finding.code);
		record_list_free(&f);
	}
}

/* The inputs file's slots: trials first, then timing sets, each id once;
 * a seed per set, below 2^53, distinct across sets and cases. */
static void test_get_inputs_slots(void **state)
{
	(void)state;
	struct audit_opts o;
	audit_opts_init(&o, 12345, 1);
	int n = audit_input_sets(&o);
	assert_int_equal(n, o.trials + o.input_sets);
	for (int s = 0; s < n; s++) {
		uint64_t id = audit_input_set_id(&o, s);
		assert_int_equal(audit_input_set_slot(&o, id), s);
		assert_true(s < o.trials ? id == (uint64_t)s : id >= AUDIT_TIMING_SET_BASE);
		uint64_t seed = audit_get_inputs_seed(o.seed, id);
		assert_true(seed < RNG_SEED_LIMIT);
		assert_true(seed != audit_get_inputs_seed(o.seed + 1, id));
		for (int t = 0; t < s; t++)
			assert_true(seed != audit_get_inputs_seed(o.seed, audit_input_set_id(&o, t)));
	}
	assert_int_equal(audit_input_set_slot(&o, (uint64_t)o.trials), -1);
	assert_int_equal(audit_input_set_slot(&o, AUDIT_TIMING_SET_BASE + (uint64_t)o.input_sets), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_honest_case_record),
		cmocka_unit_test(test_honest_checks_all_pass),
		cmocka_unit_test(test_poison_patterns_vary),
		cmocka_unit_test(test_honest_samples),
		cmocka_unit_test(test_noisy_round_hits_budget),
		cmocka_unit_test(test_reproducible),
		cmocka_unit_test(test_inout_honest),
		cmocka_unit_test(test_unwritten_output),
		cmocka_unit_test(test_half_written_output),
		cmocka_unit_test(test_stale_output_takes_bait),
		cmocka_unit_test(test_input_mutation),
		cmocka_unit_test(test_out_of_bounds_write),
		cmocka_unit_test(test_buffers_are_256_byte_aligned),
		cmocka_unit_test(test_nondeterministic_output),
		cmocka_unit_test(test_nondeterminism_allowed),
		cmocka_unit_test(test_input_insensitive),
		cmocka_unit_test(test_failing_entry),
		cmocka_unit_test(test_cuda_error_in_call),
		cmocka_unit_test(test_missing_entry),
		cmocka_unit_test(test_plan_does_not_fit),
		cmocka_unit_test(test_fewer_sets_when_short),
		cmocka_unit_test(test_no_such_case),
		cmocka_unit_test(test_host_double_generates_like_device),
		cmocka_unit_test(test_detectors_name_each_cheat),
		cmocka_unit_test(test_get_inputs_slots),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
