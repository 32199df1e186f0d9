/*
 * kat_example.c - writes traces/example.kat: a synthetic but realistic
 * audit (two cases: an honest kernel that reproduces its claim, and a cheat
 * whose output is stale) through the same writer `verify` uses, signed with
 * the committed test key.  The header says "synthetic": true.
 *
 *   kat_example KEY.pem OUT.kat [KERNEL_RECORDS]
 *
 * Only the measurements are made up: the findings, verdicts and signed
 * predicate are what kaudit's own detectors (detect_all, detect_verdicts)
 * and trace_predicate give over them, exactly as `verify` judges, so
 * `kaudit check` finds the example consistent and a change to a detector
 * shows up as a changed example (tests/sh/check_strict.sh).
 *
 * Deterministic: fixed clock and seeds, Ed25519 is deterministic, so the
 * same key gives the same bytes.  KERNEL_RECORDS (default 0) appends that
 * many extra untimed kernel calls to the honest case (large fixtures).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect.h"
#include "trace/trace.h"

static const char manifest[] =
	"kaudit: 1\n"
	"claim:\n"
	"  title: \"Fused softmax 2x, fused layernorm 12x over the reference\"\n"
	"  source: \"synthetic example for kaudit-trace(5)\"\n"
	"  hardware: \"NVIDIA H100 80GB HBM3\"\n"
	"kernels:\n"
	"  - id: softmax_f32\n"
	"    claimed_speedup: 2.0\n"
	"    baseline:  {source: kernels/softmax_ref.cu, entry: softmax_ref}\n"
	"    candidate: {source: kernels/softmax_fast.cu, entry: softmax_fast}\n"
	"    params: {N: 4096, D: 8192}\n"
	"    buffers:\n"
	"      - {name: x, role: in, dtype: f32, shape: [N, D]}\n"
	"      - {name: y, role: out, dtype: f32, shape: [N, D]}\n"
	"  - id: layernorm_f16\n"
	"    claimed_speedup: 12.0\n"
	"    baseline:  {source: kernels/layernorm_ref.cu, entry: layernorm_ref}\n"
	"    candidate: {source: kernels/layernorm_cached.cu, entry: layernorm_cached}\n"
	"    params: {N: 8192, D: 4096}\n"
	"    buffers:\n"
	"      - {name: x, role: in, dtype: f16, shape: [N, D]}\n"
	"      - {name: y, role: out, dtype: f16, shape: [N, D]}\n"
	"    expect: {verdict: invalid, findings: [stale-output]}\n";

struct gen {
	struct trace_writer *w;
	struct errbuf e;
	int64_t t;       /* the fake CUPTI clock, ns */
	int64_t corr;
	int64_t call;
	int failed;
	struct record_list all; /* everything written, ids set: for the detectors */
};

static int64_t add(struct gen *g, struct record *r)
{
	if (!g->failed && trace_writer_add(g->w, r, &g->e) < 0)
		g->failed = 1;
	int64_t id = r->id;
	record_list_push(&g->all, r); /* moves R */
	return id;
}

static void flush(struct gen *g)
{
	if (!g->failed && trace_writer_flush(g->w, &g->e) < 0)
		g->failed = 1;
}

static void base(struct record *r, enum record_type t, int64_t kase, enum record_phase ph,
		 enum record_impl impl, int64_t call)
{
	record_init(r, t);
	r->case_index = kase;
	r->phase = ph;
	r->impl = impl;
	r->call = call;
}

static void header(struct gen *g, const struct trace_key *key)
{
	struct record r;
	record_init(&r, REC_HEADER);
	struct rec_header *h = &r.u.header;
	char sha[65];
	h->version = 1;
	h->tool = xstrdup(KAUDIT_VERSION);
	h->time = xstrdup("2026-11-26T08:00:00Z");
	h->host = xstrdup("example-host");
	h->synthetic = 1;
	h->root_seed = 20261126;
	h->manifest_path = xstrdup("claims/example.yaml");
	h->manifest_text = xstrdup(manifest);
	sha256_hex(manifest, strlen(manifest), sha);
	h->manifest_sha256 = xstrdup(sha);
	h->margin = 0.10; /* verify's default --margin */
	static const char *const src[][4] = {
		{ "baseline", "softmax_f32", "kernels/softmax_ref.cu",
		  "extern \"C\" int softmax_ref(const kaudit_launch *l);\n" },
		{ "candidate", "softmax_f32", "kernels/softmax_fast.cu",
		  "extern \"C\" int softmax_fast(const kaudit_launch *l);\n" },
		{ "baseline", "layernorm_f16", "kernels/layernorm_ref.cu",
		  "extern \"C\" int layernorm_ref(const kaudit_launch *l);\n" },
		{ "candidate", "layernorm_f16", "kernels/layernorm_cached.cu",
		  "/* returns the previous answer when the input pointer repeats */\n"
		  "extern \"C\" int layernorm_cached(const kaudit_launch *l);\n" },
	};
	h->sources = json_array();
	h->binaries = json_array();
	for (size_t i = 0; i < 4; i++) {
		sha256_hex(src[i][3], strlen(src[i][3]), sha);
		json_array_append_new(h->sources, json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:s}", "impl",
			src[i][0], "kernel", src[i][1], "path", src[i][2], "kind", "source",
			"sha256", sha, "bytes", (json_int_t)strlen(src[i][3]), "text", src[i][3]));
		char so[65];
		sha256_hex(sha, 64, so);
		json_array_append_new(h->binaries, json_pack("{s:s,s:s,s:s}", "impl", src[i][0],
			"kernel", src[i][1], "sha256", so));
	}
	h->pubkey = xstrdup(trace_key_public_pem(key));
	add(g, &r);
}

static void device(struct gen *g)
{
	struct record r;
	base(&r, REC_DEVICE, REC_NONE, PHASE_SETUP, IMPL_NONE, REC_NONE);
	struct rec_device *d = &r.u.device;
	d->name = xstrdup("NVIDIA H100 80GB HBM3");
	d->uuid = xstrdup("GPU-00000000-0000-4000-8000-000000000000");
	d->cc = xstrdup("9.0");
	d->sms = 132;
	d->mem_bytes = 85520809984LL;
	d->l2_bytes = 52428800;
	d->sm_clock_mhz = 1980;
	d->mem_clock_mhz = 2619;
	d->max_sm_clock_mhz = 1980;
	d->throttle = 0;
	d->peak_bw = 2.91e12;
	d->peak_flops = 6.69e13;
	d->driver = xstrdup("560.35.03");
	d->runtime = xstrdup("12.6");
	d->cupti = xstrdup("24");
	d->nvcc = xstrdup("12.6.77");
	d->ecc = 1;
	d->persistence = 1;
	add(g, &r);
}

/* A sandbox record as the supervisor writes one for a process that ran
 * claimant code with every layer in force. */
static void sandbox(struct gen *g, int64_t kase, enum record_impl impl, const char *process)
{
	struct record r;
	base(&r, REC_SANDBOX, kase, PHASE_SETUP, impl, REC_NONE);
	struct rec_sandbox *sb = &r.u.sandbox;
	sb->process = xstrdup(process);
	sb->no_new_privs = sb->seccomp = sb->landlock = 1;
	sb->landlock_abi = 7;
	sb->signals_scoped = sb->net_restricted = 1;
	sb->skipped_paths = 0;
	add(g, &r);
}

/* What the supervisor writes after compiling: one build record per
 * implementation (nvcc, the -arch it used, the manifest's flags), each
 * followed by the sandbox of its entry check. */
static void builds(struct gen *g, const json_t *binaries)
{
	static const char *const src[][3] = {
		{ "softmax_f32", "kernels/softmax_ref.cu", "" },
		{ "softmax_f32", "kernels/softmax_fast.cu", "--use_fast_math" },
		{ "layernorm_f16", "kernels/layernorm_ref.cu", "" },
		{ "layernorm_f16", "kernels/layernorm_cached.cu", "-O3" },
	};
	for (size_t i = 0; i < 4; i++) {
		struct record r;
		enum record_impl impl = i % 2 ? IMPL_CANDIDATE : IMPL_BASELINE;
		base(&r, REC_BUILD, REC_NONE, PHASE_SETUP, impl, REC_NONE);
		struct rec_build *b = &r.u.build;
		b->kernel = xstrdup(src[i][0]);
		b->source = xstrdup(src[i][1]);
		b->so_sha256 = xstrdup(json_string_value(json_object_get(
			json_array_get(binaries, i), "sha256")));
		b->flags = src[i][2][0] ? json_pack("[s]", src[i][2]) : json_array();
		b->nvcc = xstrdup("12.6.77");
		b->arch = xstrdup("-arch=sm_90");
		b->cached = i == 0;
		b->ok = 1;
		add(g, &r);
		sandbox(g, REC_NONE, impl, "entry-check");
	}
}

/* One call: api launch + kernel (+ the harness's event pair when timed). */
static void call(struct gen *g, int64_t kase, enum record_phase ph, enum record_impl impl,
		 const char *kname, int64_t dur, int timed, int64_t *ws, int64_t *we)
{
	struct record r;
	int64_t c = g->call++;
	g->t += 20000;
	if (timed) {
		base(&r, REC_EVENT, kase, ph, IMPL_HARNESS, c);
		r.u.event.event = 1;
		r.u.event.stream = 13;
		r.u.event.ts = *ws = g->t;
		r.u.event.corr = g->corr++;
		r.u.event.role = xstrdup("start");
		add(g, &r);
	}
	base(&r, REC_API, kase, ph, impl, c);
	r.u.api.name = xstrdup("cudaLaunchKernel");
	r.u.api.thread = 4242;
	r.u.api.start = g->t - 3000;
	r.u.api.end = g->t - 1000;
	r.u.api.corr = g->corr;
	r.u.api.stream = 13;
	r.u.api.in_call = 1;
	add(g, &r);
	base(&r, REC_KERNEL, kase, ph, impl, c);
	r.u.kernel.name = xstrdup(kname);
	r.u.kernel.stream = 13;
	r.u.kernel.start = g->t + 1500;
	r.u.kernel.end = g->t + 1500 + dur;
	r.u.kernel.corr = g->corr++;
	r.u.kernel.device = 0;
	r.u.kernel.grid[0] = 4096, r.u.kernel.grid[1] = 1, r.u.kernel.grid[2] = 1;
	r.u.kernel.block[0] = 256, r.u.kernel.block[1] = 1, r.u.kernel.block[2] = 1;
	r.u.kernel.smem = 0;
	r.u.kernel.regs = 32;
	add(g, &r);
	g->t += 1500 + dur + 800;
	if (timed) {
		base(&r, REC_EVENT, kase, ph, IMPL_HARNESS, c);
		r.u.event.event = 2;
		r.u.event.stream = 13;
		r.u.event.ts = *we = g->t;
		r.u.event.corr = g->corr++;
		r.u.event.role = xstrdup("stop");
		add(g, &r);
	}
}

static void check(struct gen *g, int64_t kase, int64_t trial, const char *kind, int ok,
		     int64_t seed, int64_t count)
{
	struct record r;
	base(&r, REC_CHECK, kase, PHASE_CORRECTNESS, IMPL_CANDIDATE, g->call - 1);
	r.u.check.kind = xstrdup(kind);
	r.u.check.trial = trial;
	r.u.check.buffer = xstrdup("y");
	r.u.check.ok = ok;
	r.u.check.seed = seed;
	r.u.check.count = count;
	if (strcmp(kind, "compare") == 0) {
		r.u.check.max_abs = ok ? 2.384185791e-07 : 3.21;
		r.u.check.max_rel = ok ? 1.1920929e-07 : 1.0;
		r.u.check.rel_l2 = ok ? 3.4e-08 : 0.98;
		r.u.check.mismatches = ok ? 0 : count;
		r.u.check.detail = json_pack("{s:f,s:f,s:f}", "ref_min", -4.5, "ref_max", 4.75,
					     "ref_absmax", 4.75);
	} else if (strcmp(kind, "bait") == 0) {
		r.u.check.detail = json_pack("{s:I}", "equal_old", (json_int_t)(ok ? 0 : count));
	} else if (strcmp(kind, "unwritten") == 0) {
		r.u.check.unwritten = 0;
	}
	add(g, &r);
}

struct case_spec {
	const char *kernel, *base_name, *cand_name;
	int64_t n, d, base_ns, cand_ns;
	double claimed;
	int stale;
};

static void one_case(struct gen *g, int64_t kase, const struct case_spec *cs, uint64_t *rng,
		     int64_t extra)
{
	struct record r;
	int64_t count = cs->n * cs->d;
	int esize = cs->stale ? 2 : 4;
	base(&r, REC_CASE, kase, PHASE_SETUP, IMPL_NONE, REC_NONE);
	r.u.kase.kernel = xstrdup(cs->kernel);
	r.u.kase.params = json_pack("{s:I,s:I}", "N", (json_int_t)cs->n, "D", (json_int_t)cs->d);
	r.u.kase.buffers = json_pack("[{s:s,s:s,s:s,s:[I,I],s:I},{s:s,s:s,s:s,s:[I,I],s:I}]",
		"name", "x", "role", "in", "dtype", cs->stale ? "f16" : "f32", "shape",
		(json_int_t)cs->n, (json_int_t)cs->d, "bytes", (json_int_t)(count * esize),
		"name", "y", "role", "out", "dtype", cs->stale ? "f16" : "f32", "shape",
		(json_int_t)cs->n, (json_int_t)cs->d, "bytes", (json_int_t)(count * esize));
	r.u.kase.seed = 1000 + kase;
	r.u.kase.claimed = cs->claimed;
	r.u.kase.rtol = cs->stale ? 1e-2 : 1e-5;
	r.u.kase.atol = cs->stale ? 1e-3 : 1e-6;
	r.u.kase.deterministic = 1;
	r.u.kase.work_bytes = 2 * count * esize;
	if (cs->stale)
		r.u.kase.expect = json_pack("{s:s,s:[s]}", "verdict", "invalid", "findings",
					    "stale-output");
	add(g, &r);
	sandbox(g, kase, IMPL_NONE, "worker");
	for (int i = 0; i < 2; i++) {
		base(&r, REC_ALLOC, kase, PHASE_SETUP, IMPL_HARNESS, REC_NONE);
		r.u.alloc.kind = xstrdup("alloc");
		r.u.alloc.memory = xstrdup("device");
		r.u.alloc.address = 0x7f0000000000LL + i * 0x10000000LL;
		r.u.alloc.bytes = count * esize + 8192;
		r.u.alloc.ts = g->t;
		add(g, &r);
	}
	flush(g);

	int64_t ws, we;
	for (int64_t trial = 0; trial < 4; trial++) {
		call(g, kase, PHASE_CORRECTNESS, IMPL_BASELINE, cs->base_name, cs->base_ns, 0, &ws, &we);
		call(g, kase, PHASE_CORRECTNESS, IMPL_CANDIDATE, cs->cand_name, cs->cand_ns, 0, &ws, &we);
		int64_t seed = 77000 + kase * 100 + trial;
		if (trial == 3) { /* the stale-answer bait trial */
			check(g, kase, trial, "bait", !cs->stale, seed, count);
			check(g, kase, trial, "compare", !cs->stale, seed, count);
			continue;
		}
		check(g, kase, trial, "compare", 1, seed, count);
		check(g, kase, trial, "unwritten", 1, seed, count);
		check(g, kase, trial, "guards", 1, seed, count);
		check(g, kase, trial, "input", 1, seed, count);
		if (trial == 2)
			check(g, kase, trial, "repeat", 1, seed, count);
	}
	flush(g);

	for (int64_t round = 0; round < 3; round++) {
		for (int64_t i = 0; i < 8; i++) {
			enum record_impl impl = i % 2 ? IMPL_CANDIDATE : IMPL_BASELINE;
			*rng = *rng * 6364136223846793005ULL + 1442695040888963407ULL;
			int64_t jitter = (int64_t)((*rng >> 40) % 400);
			int64_t dur = (impl == IMPL_BASELINE ? cs->base_ns : cs->cand_ns) + jitter;
			call(g, kase, PHASE_TIMING, impl,
			     impl == IMPL_BASELINE ? cs->base_name : cs->cand_name, dur, 1, &ws, &we);
			base(&r, REC_SAMPLE, kase, PHASE_TIMING, impl, g->call - 1);
			struct rec_sample *s = &r.u.sample;
			s->round = round;
			s->index = round * 8 + i;
			s->input_set = i / 2 % 4;
			s->window_start = ws;
			s->window_end = we;
			s->event_ns = (double)(we - ws);
			s->span_start = ws + 1500;
			s->span_end = ws + 1500 + dur;
			s->span_ns = (double)dur;
			s->kernels = 1;
			s->kernel_ns = (double)dur;
			s->bytes = 0;
			s->checked = i == 5;
			s->traced = 1;
			add(g, &r);
		}
	}
	for (int64_t i = 0; i < extra; i++)
		call(g, kase, PHASE_TIMING, IMPL_CANDIDATE, cs->cand_name, cs->cand_ns, 0, &ws, &we);
	flush(g);
}

/* What verify's judge does: the detectors over every record written, their
 * findings and then the verdicts appended. */
static void judge(struct gen *g)
{
	struct record_list found = { 0 }, verdicts = { 0 };
	const struct rec_header *h = &g->all.v[0].u.header;
	if (detect_all(g->all.v, g->all.n, &found) < 0 ||
	    detect_verdicts(g->all.v, g->all.n, found.v, found.n, h->margin, &verdicts) < 0) {
		snprintf(g->e.msg, sizeof g->e.msg, "the detectors failed");
		g->failed = 1;
	}
	for (size_t i = 0; i < found.n; i++)
		add(g, &found.v[i]);
	for (size_t i = 0; i < verdicts.n; i++)
		add(g, &verdicts.v[i]);
	found.n = verdicts.n = 0; /* moved into g->all */
	record_list_free(&found);
	record_list_free(&verdicts);
	flush(g);
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: kat_example KEY.pem OUT.kat [KERNEL_RECORDS]\n");
		return 2;
	}
	int64_t extra = argc == 4 ? strtoll(argv[3], NULL, 10) : 0;
	struct gen g = { .t = 1764144000000000000LL, .corr = 1, .call = 0 };
	struct trace_key *key;
	if (trace_key_load(argv[1], &key, &g.e) < 0) {
		fprintf(stderr, "kat_example: %s\n", g.e.msg);
		return 2;
	}
	if (trace_writer_open(argv[2], &g.w, &g.e) < 0) {
		fprintf(stderr, "kat_example: %s\n", g.e.msg);
		return 2;
	}
	header(&g, key);
	device(&g);
	builds(&g, g.all.v[0].u.header.binaries);
	flush(&g);
	static const struct case_spec cases[] = {
		{ "softmax_f32", "softmax_ref", "softmax_fast", 4096, 8192, 230000, 98000, 2.0, 0 },
		{ "layernorm_f16", "layernorm_ref", "layernorm_cached", 8192, 4096, 180000, 14500,
		  12.0, 1 },
	};
	uint64_t rng = 7;
	for (int64_t i = 0; i < 2; i++)
		one_case(&g, i, &cases[i], &rng, i == 0 ? extra : 0);
	judge(&g);
	if (g.failed) {
		fprintf(stderr, "kat_example: %s\n", g.e.msg);
		trace_writer_abort(g.w);
		return 1;
	}
	json_t *pred = trace_predicate(g.all.v, g.all.n);
	json_object_set_new(pred, "end_time", json_string("2026-11-26T08:03:12Z"));
	int rc = trace_writer_finish(g.w, key, pred, &g.e);
	json_decref(pred);
	trace_key_free(key);
	record_list_free(&g.all);
	if (rc < 0) {
		fprintf(stderr, "kat_example: %s\n", g.e.msg);
		return 1;
	}
	return 0;
}
