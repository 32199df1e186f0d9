/*
 * test_claim.c - the manifest loader: what a valid manifest loads into
 * (defaults, anchors, params forms), the tables, and every error class with
 * the exact FILE:LINE:COL it reports.
 *
 * Run from the repository root (make check does): manifests named
 * tests/lint/... resolve their sources against tests/lint/kernels/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "claim/claim_private.h"
#include "kaudit/launcher.h"

static struct claim *load_file(const char *path)
{
	struct claim *c = NULL;
	struct errbuf e = { "", 0 };
	if (claim_load(path, &c, &e) != 0)
		fail_msg("%s: %s", path, e.msg);
	return c;
}

static struct claim *load_text(const char *text)
{
	struct claim *c = NULL;
	struct errbuf e = { "", 0 };
	if (claim_load_buffer("tests/lint/t.yaml", text, strlen(text), &c, &e) != 0)
		fail_msg("%s", e.msg);
	return c;
}

static int64_t eval(const struct claim_expr *x, const struct claim_params *p)
{
	int64_t v = -1;
	struct errbuf e;
	if (claim_expr_eval(x, p, &v, &e) != 0)
		fail_msg("%s", e.msg);
	return v;
}

static void test_good_manifest(void **state)
{
	(void)state;
	struct claim *c = load_file("tests/lint/good.yaml");
	assert_string_equal(c->title, "Fused softmax, 12x over the reference");
	assert_string_equal(c->source, "arXiv:2502.00000, Table 3");
	assert_string_equal(c->hardware, "NVIDIA H100 SXM");
	assert_string_equal(c->dir, "tests/lint");
	assert_int_equal(strlen(c->sha256), 64);
	assert_non_null(strstr(c->text, "kaudit: 1"));
	assert_int_equal(c->nkernels, 2);

	const struct claim_kernel *k = &c->kernels[0];
	assert_string_equal(k->id, "softmax_f32");
	assert_true(k->claimed_speedup == 12.0);
	assert_string_equal(k->baseline.source, "kernels/ref.cu");
	/* The real path: absolute, inside the claim's tree. */
	assert_non_null(c->root);
	assert_int_equal(c->root[0], '/');
	assert_string_equal(claim_tree_rel(c->root, k->baseline.path), "kernels/ref.cu");
	assert_int_equal(k->candidate.flag_pos[1].line, 14);
	assert_int_equal(k->candidate.flag_pos[1].col, 70);
	assert_string_equal(k->baseline.entry, "ref");
	assert_int_equal(k->baseline.nflags, 0);
	assert_int_equal(k->candidate.nflags, 2);
	assert_string_equal(k->candidate.flags[1], "--use_fast_math");
	assert_int_equal(k->candidate.pos.line, 14);
	assert_int_equal(k->nparams, 2);
	assert_int_equal(k->params[1].n, 2);
	assert_string_equal(k->params[1].names[1], "D");
	assert_int_equal(k->params[1].values[1], 65536);
	assert_int_equal(k->nbuffers, 2);
	assert_string_equal(k->buffers[0].name, "x");
	assert_int_equal(k->buffers[0].role, CLAIM_IN);
	assert_int_equal(k->buffers[0].dtype, KAUDIT_F32);
	assert_int_equal(k->buffers[0].ndim, 2);
	assert_int_equal(k->buffers[0].init.dist, CLAIM_INIT_NORMAL);
	assert_true(k->buffers[0].init.a == 0 && k->buffers[0].init.b == 1);
	assert_int_equal(k->buffers[1].role, CLAIM_OUT);
	assert_int_equal(k->buffers[1].init.dist, CLAIM_INIT_DEFAULT);
	assert_int_equal(k->buffers[1].pos.line, 20);
	assert_int_equal(k->buffers[1].pos.col, 9);
	/* tolerance and deterministic come from defaults */
	assert_true(k->tolerance.set && k->tolerance.rtol == 1e-5 && k->tolerance.atol == 1e-6);
	assert_int_equal(k->deterministic, 1);
	assert_int_equal(eval(k->work_bytes, &k->params[0]), 8LL * 4096 * 8192);
	assert_string_equal(claim_expr_text(k->work_flops), "5*N*D");
	assert_true(k->expect.set);
	assert_string_equal(k->expect.verdict, "reproduced");
	assert_int_equal(k->expect.nfindings, 0);

	int64_t numel;
	struct errbuf e;
	assert_int_equal(claim_buffer_numel(&k->buffers[0], &k->params[1], &numel, &e), 0);
	assert_int_equal(numel, 128 * 65536);

	k = &c->kernels[1];
	assert_string_equal(k->id, "histogram.u8-v2");
	assert_true(k->claimed_speedup == 3.0);
	assert_int_equal(k->nparams, 1); /* a mapping: one set */
	assert_string_equal(k->params[0].names[0], "N");
	assert_string_equal(k->params[0].names[1], "BINS");
	assert_int_equal(k->deterministic, 0); /* own key wins over defaults */
	assert_int_equal(k->buffers[0].init.dist, CLAIM_INIT_RANDINT);
	assert_true(k->buffers[0].init.a == 0 && k->buffers[0].init.b == 255);
	assert_int_equal(k->buffers[1].role, CLAIM_INOUT);
	assert_int_equal(k->buffers[1].init.dist, CLAIM_INIT_CONSTANT);
	assert_null(k->work_bytes);
	assert_null(k->work_flops);
	assert_string_equal(k->expect.verdict, "invalid");
	assert_int_equal(k->expect.nfindings, 2);
	assert_string_equal(k->expect.findings[1], "work-drift");

	size_t n;
	struct claim_case *cases = claim_cases(c, &n);
	assert_int_equal(n, 3);
	assert_int_equal(cases[1].kernel_index, 0);
	assert_int_equal(cases[1].param_index, 1);
	assert_ptr_equal(cases[2].kernel, &c->kernels[1]);
	assert_int_equal(cases[2].param_index, 0);
	free(cases);
	claim_free(c);
}

static void test_anchors_and_defaults(void **state)
{
	(void)state;
	struct claim *c = load_file("tests/lint/good_anchors.yaml");
	assert_string_equal(c->title, "2025");
	assert_null(c->source);
	assert_int_equal(c->nkernels, 3);
	const struct claim_kernel *a = &c->kernels[0], *b = &c->kernels[1], *s = &c->kernels[2];
	/* add_a takes everything but its implementations from defaults */
	assert_true(a->claimed_speedup == 2.5);
	assert_int_equal(a->nparams, 2);
	assert_int_equal(a->params[1].values[0], 4096);
	assert_int_equal(a->nbuffers, 3);
	assert_int_equal(a->buffers[1].init.dist, CLAIM_INIT_UNIFORM);
	assert_true(a->buffers[1].init.a == -1 && a->buffers[1].init.b == 1);
	assert_false(a->tolerance.set);
	/* add_b: aliases for implementations and buffers, its own speedup */
	assert_string_equal(claim_tree_rel(c->root, b->baseline.path), "kernels/ref.cu");
	assert_string_equal(b->candidate.entry, "fast");
	assert_true(b->claimed_speedup == 4.0);
	assert_int_equal(b->nparams, 1);
	assert_int_equal(b->params[0].values[0], 7);
	assert_int_equal(b->nbuffers, 3);
	assert_int_equal(b->buffers[2].dtype, KAUDIT_F16);
	assert_true(b->tolerance.set && b->tolerance.rtol == 0 && b->tolerance.atol == 0);
	/* scalar: params [{}] is one empty set */
	assert_int_equal(s->nparams, 1);
	assert_int_equal(s->params[0].n, 0);
	assert_int_equal(s->buffers[0].init.dist, CLAIM_INIT_ARANGE);
	int64_t numel;
	struct errbuf e;
	assert_int_equal(claim_buffer_numel(&s->buffers[0], &s->params[0], &numel, &e), 0);
	assert_int_equal(numel, 1);

	size_t n;
	struct claim_case *cases = claim_cases(c, &n);
	assert_int_equal(n, 4);
	assert_int_equal(cases[3].kernel_index, 2);
	free(cases);
	claim_free(c);
}

#define HEAD "kaudit: 1\nclaim: {title: t}\nkernels:\n"
/* Lines 4-7; a test adds its keys from line 8 on. */
#define KERNEL                                                   \
	"  - id: k\n"                                            \
	"    claimed_speedup: 2\n"                               \
	"    baseline: {source: kernels/ref.cu, entry: ref}\n"   \
	"    candidate: {source: kernels/fast.cu, entry: fast}\n"
#define OUT "    buffers: [{name: y, role: out, dtype: f32, shape: [4]}]\n"

/* Items number the `in` buffers in order, whatever their init; the
 * problem file is the Python baseline's, else the candidate's
 * init_inputs. */
static void test_get_inputs(void **state)
{
	(void)state;
	struct claim *c = load_text(HEAD "  - id: k\n    claimed_speedup: 2\n"
		"    baseline: {python: kernels/model.py, entry: Model}\n"
		"    candidate: {source: kernels/fast.cu, entry: fast}\n"
		"    buffers: [{name: a, role: in, dtype: f32, shape: [4]},\n"
		"              {name: y, role: out, dtype: f32, shape: [4]},\n"
		"              {name: i, role: in, dtype: i64, shape: [4], init: {dist: get_inputs}}]\n"
		"  - id: j\n    claimed_speedup: 2\n"
		"    baseline: {source: kernels/ref.cu, entry: ref}\n"
		"    candidate: {python: kernels/model.py, entry: M, init_inputs: kernels/../kernels/model.py}\n"
		"    buffers: [{name: y, role: out, dtype: f32, shape: [4]}]\n");
	const struct claim_kernel *k = &c->kernels[0];
	assert_int_equal(k->buffers[0].init.dist, CLAIM_INIT_DEFAULT);
	assert_int_equal(k->buffers[0].init.item, 0);
	assert_int_equal(k->buffers[2].init.dist, CLAIM_INIT_GET_INPUTS);
	assert_int_equal(k->buffers[2].init.item, 1);
	assert_string_equal(k->inputs_source, "kernels/model.py");
	assert_ptr_equal(k->inputs_path, k->baseline.path);
	assert_null(c->kernels[1].inputs_path); /* no buffer asks for it */
	claim_free(c);
}

static void test_params_absent(void **state)
{
	(void)state;
	struct claim *c = load_text(HEAD KERNEL OUT);
	assert_int_equal(c->kernels[0].nparams, 1);
	assert_int_equal(c->kernels[0].params[0].n, 0);
	assert_int_equal(c->kernels[0].deterministic, 1);
	assert_false(c->kernels[0].expect.set);
	claim_free(c);

	/* Params as a list of mappings; plain, hex and signed integers. */
	c = load_text(HEAD KERNEL OUT "    params: [{N: 0x10}, {N: +8, M: -1}]\n");
	assert_int_equal(c->kernels[0].nparams, 2);
	assert_int_equal(c->kernels[0].params[0].values[0], 16);
	assert_int_equal(c->kernels[0].params[1].values[1], -1);
	claim_free(c);
}

static void test_tables(void **state)
{
	(void)state;
	static const char *const names[] = { "f16", "bf16", "f32", "f64", "i8",
					      "u8",  "i16",  "i32", "i64", "u32" };
	static const size_t sizes[] = { 2, 2, 4, 8, 1, 1, 2, 4, 8, 4 };
	for (int i = 0; i < 10; i++) {
		assert_int_equal(claim_dtype_parse(names[i]), i);
		assert_string_equal(claim_dtype_name(i), names[i]);
		assert_int_equal(claim_dtype_size(i), sizes[i]);
		assert_int_equal(claim_dtype_is_float(i), i <= KAUDIT_F64);
	}
	assert_int_equal(claim_dtype_parse("f33"), -1);
	assert_int_equal(claim_dtype_parse("F32"), -1);
	assert_null(claim_dtype_name(10));
	assert_null(claim_dtype_name(-1));
	assert_int_equal(claim_dtype_size(42), 0);

	struct claim_tolerance t = claim_tolerance_for(NULL, KAUDIT_F64);
	assert_true(t.rtol == 1e-9 && t.atol == 1e-12 && !t.set);
	t = claim_tolerance_for(NULL, KAUDIT_F32);
	assert_true(t.rtol == 1e-5 && t.atol == 1e-6);
	t = claim_tolerance_for(NULL, KAUDIT_BF16);
	assert_true(t.rtol == 1e-2 && t.atol == 1e-3);
	t = claim_tolerance_for(NULL, KAUDIT_F16);
	assert_true(t.rtol == 1e-2 && t.atol == 1e-3);
	t = claim_tolerance_for(NULL, KAUDIT_I32);
	assert_true(t.rtol == 0 && t.atol == 0);
	struct claim_kernel k;
	memset(&k, 0, sizeof k);
	k.tolerance = (struct claim_tolerance){ 1, 0.5, 0.25 };
	t = claim_tolerance_for(&k, KAUDIT_F64);
	assert_true(t.set && t.rtol == 0.5 && t.atol == 0.25);

	assert_string_equal(claim_role_name(CLAIM_IN), "in");
	assert_string_equal(claim_role_name(CLAIM_OUT), "out");
	assert_string_equal(claim_role_name(CLAIM_INOUT), "inout");
}

struct bad {
	const char *yaml;
	const char *msg; /* exact, including "tests/lint/t.yaml:LINE:COL: " */
};

#define P "tests/lint/t.yaml:"

static const struct bad bads[] = {
	/* document level */
	{ "", "tests/lint/t.yaml: empty manifest (expected a mapping starting with 'kaudit: 1')" },
	{ "# only a comment\n",
	  "tests/lint/t.yaml: empty manifest (expected a mapping starting with 'kaudit: 1')" },
	{ "kaudit: 1\n---\nkaudit: 1\n", P "2:1: a second yaml document (expected exactly one)" },
	{ "kaudit: [1\n", P "2:1: invalid yaml: did not find expected ',' or ']' while parsing a "
			  "flow sequence (line 1)" },
	{ "kaudit: 1\n\tclaim: x\n", P "2:1: invalid yaml: found a tab character that violates "
				     "indentation while scanning a plain scalar (line 1)" },
	{ "kaudit: 1\nclaim: *nope\n", P "2:8: invalid yaml: found undefined alias" },
	{ "- 1\n", P "1:1: expected a mapping at the top level, got a list" },
	{ "kaudit: 1\nkaudit: 1\n", P "2:1: duplicate key 'kaudit' (first at line 1)" },
	{ "kaudit: 1\nclaim: {title: a, source: b, title: c}\n",
	  P "2:30: duplicate key 'title' (first at line 2)" },
	{ "kaudit: 1\n? [a]\n: 1\n", P "2:3: mapping key is a list (expected a plain name)" },
	{ "kaudit: !!int 1\n", P "1:9: unsupported tag 'tag:yaml.org,2002:int' (expected "
			      "untagged values)" },
	{ "kaudit: 1\nclaim: &a {title: [*a]}\n", P "2:12: nested deeper than 64 levels" },
	/* top level */
	{ "claim: {title: t}\n",
	  P "1:1: missing required key 'kaudit' (expected 'kaudit: 1' at the top level)" },
	{ "kaudit: 2\n", P "1:9: unsupported schema version 2 (expected 1)" },
	{ "kaudit: one\n", P "1:9: kaudit: expected an integer, got 'one'" },
	{ "kaudit: 1\nkernel: []\n", P "2:1: unknown key 'kernel' in the top level (expected "
				    "one of kaudit claim defaults kernels)" },
	{ "kaudit: 1\n", P "1:1: missing required key 'claim' in the top level" },
	{ "kaudit: 1\nclaim: t\n", P "2:8: claim: expected a mapping, got 't'" },
	{ "kaudit: 1\nclaim: {source: s}\n", P "2:8: missing required key 'title' in claim" },
	{ "kaudit: 1\nclaim: {title: ~}\n", P "2:16: title: expected a string, got an empty value" },
	{ "kaudit: 1\nclaim: {title: t, url: u}\n", P "2:19: unknown key 'url' in claim "
						  "(expected one of title source hardware)" },
	{ "kaudit: 1\nclaim: {title: \"a\\0b\"}\n", P "2:16: title: contains a NUL character "
						   "(expected text)" },
	{ "kaudit: 1\nclaim: {title: t}\n", P "1:1: missing required key 'kernels' in the top level" },
	{ HEAD, P "3:9: kernels: expected a list, got an empty value" },
	{ "kaudit: 1\nclaim: {title: t}\nkernels: []\n",
	  P "3:10: kernels: empty list (expected at least one kernel)" },
	{ "kaudit: 1\nclaim: {title: t}\nkernels: [x]\n", P "3:11: kernel: expected a mapping, got 'x'" },
	/* defaults */
	{ "kaudit: 1\nclaim: {title: t}\ndefaults: {baseline: x}\nkernels: []\n",
	  P "3:12: key 'baseline' is not allowed in defaults (id, baseline and candidate are per kernel)" },
	{ "kaudit: 1\nclaim: {title: t}\ndefaults: {speed: 2}\n",
	  P "3:12: unknown key 'speed' in defaults (expected one of id baseline candidate "
	    "claimed_speedup params buffers tolerance deterministic work expect)" },
	{ "kaudit: 1\nclaim: {title: t}\ndefaults: {claimed_speedup: -1}\nkernels:\n"
	  "  - id: k\n    baseline: {source: kernels/ref.cu, entry: ref}\n"
	  "    candidate: {source: kernels/fast.cu, entry: fast}\n" OUT,
	  P "3:29: claimed_speedup: expected a number > 0, got -1" },
	{ "kaudit: 1\nclaim: {title: t}\ndefaults: {deterministic: 1}\nkernels:\n" KERNEL OUT,
	  P "3:27: deterministic: expected true or false, got '1'" },
	/* kernel keys */
	{ HEAD "  - claimed_speedup: 2\n", P "4:5: missing required key 'id' in kernel" },
	{ HEAD "  - id: a b\n", P "4:9: invalid kernel id 'a b' (expected letters, digits, '_', '.' or '-')" },
	{ HEAD KERNEL OUT KERNEL OUT, P "9:9: duplicate kernel id 'k' (first at line 4)" },
	{ HEAD "  - id: k\n", P "4:5: missing required key 'baseline' in kernel" },
	{ HEAD "  - id: k\n    baseline: {entry: ref}\n", P "5:15: missing required key 'source' in baseline (or 'python' for a Python implementation)" },
	{ HEAD "  - id: k\n    baseline: {source: kernels/ref.cu}\n",
	  P "5:15: missing required key 'entry' in baseline" },
	{ HEAD "  - id: k\n    baseline: {source: kernels/none.cu, entry: f}\n",
	  P "5:24: source 'kernels/none.cu' not found (looked for 'tests/lint/kernels/none.cu': "
	    "No such file or directory)" },
	{ HEAD "  - id: k\n    baseline: {source: kernels, entry: f}\n",
	  P "5:24: source 'kernels' is neither .cu nor .so (expected CUDA source or a shared object; a Python file is named with 'python:')" },
	{ HEAD "  - id: k\n    baseline: {source: kernels.cu, entry: f}\n",
	  P "5:24: source 'kernels.cu' not found (looked for 'tests/lint/kernels.cu': No such file "
	    "or directory)" },
	{ HEAD "  - id: k\n    baseline: {source: kernels/ref.cu, entry: ref(), flags: [-O3]}\n",
	  P "5:47: entry 'ref()' is not a C identifier (expected the name of an extern \"C\" launcher)" },
	{ HEAD "  - id: k\n    baseline: {source: kernels/ref.cu, entry: ref, flags: [-O3, [x]]}\n",
	  P "5:65: flags: expected a string, got a list" },
	/* containment: links out, kernel files, directories, absolute paths */
	{ HEAD "  - id: k\n    baseline: {source: kernels/escape.cu, entry: f}\n",
	  P "5:24: source 'kernels/escape.cu' leaves the claim directory 'tests/lint' (links "
	    "followed; sources must stay inside the manifest's directory)" },
	{ HEAD "  - id: k\n    baseline: {source: kernels/dir.cu, entry: f}\n",
	  P "5:24: source 'kernels/dir.cu' is a directory, not a regular file" },
	{ HEAD "  - id: k\n    baseline: {source: ../../claims/kernels/softmax_naive.cu, entry: f}\n",
	  P "5:24: source '../../claims/kernels/softmax_naive.cu' leaves the claim directory "
	    "'tests/lint' (links followed; sources must stay inside the manifest's directory)" },
	{ HEAD "  - id: k\n    baseline: {source: kernels/../kernels/ref.cu, entry: ref}\n"
	       "    candidate: {source: kernels/fast.cu, entry: fast}\n",
	  P "4:5: missing required key 'claimed_speedup' in kernel 'k'" },
	/* flags: the allowlist, at the offending flag */
	{ HEAD "  - id: k\n    baseline: {source: kernels/ref.cu, entry: ref, flags: [-O3, -Xlinker, \"-o,/x\"]}\n",
	  P "5:65: nvcc flag '-Xlinker' is not allowed (allowed: -O0..-O3 -Ofc=0|max|mid|min "
	    "-dopt=on -DNAME[=VALUE] -UNAME -IDIR -std=c++11|14|17|20 -use_fast_math "
	    "-ftz|-prec-div|-prec-sqrt|-fmad=true|false -lineinfo -maxrregcount=N "
	    "-extra-device-vectorization -expt-relaxed-constexpr -expt-extended-lambda "
	    "-Xptxas=-O0..-O3|-v|--warn-on-spills -lcublas -lcublasLt -lcufft -lcurand "
	    "-lcusparse -lcusolver -lnvrtc; see kaudit-claim(5))" },
	{ HEAD "  - id: k\n    baseline: {source: kernels/ref.cu, entry: ref, flags: [-maxrregcount, 0]}\n",
	  P "5:75: nvcc flag '-maxrregcount 0': expected a register count from 1 to 255" },
	{ HEAD "  - id: k\n    baseline: {source: kernels/ref.cu, entry: ref, flags: [-U, X=1]}\n",
	  P "5:64: nvcc flag '-U X=1': -U takes a macro name only" },
	{ HEAD "  - id: k\n    baseline: {source: kernels/ref.cu, entry: ref, flags: [-D1X]}\n",
	  P "5:60: nvcc flag '-D1X': macro name '1X' is not an identifier" },
	{ HEAD "  - id: k\n    baseline: {source: kernels/ref.cu, entry: ref, flags: [-Ikernels/ref.cu]}\n",
	  P "5:60: nvcc flag '-Ikernels/ref.cu': not a directory" },
	{ HEAD "  - id: k\n    baseline: {source: kernels/ref.cu, entry: ref, cflags: []}\n",
	  P "5:52: unknown key 'cflags' in baseline (expected one of source entry flags python init_inputs)" },
	{ HEAD "  - id: k\n    baseline: {source: kernels/ref.cu, entry: ref}\n",
	  P "4:5: missing required key 'candidate' in kernel" },
	{ HEAD "  - id: k\n    baseline: {source: kernels/ref.cu, entry: ref}\n"
	       "    candidate: {source: kernels/ref.cu, entry: ref}\n",
	  P "4:5: missing required key 'claimed_speedup' in kernel 'k'" },
	{ HEAD KERNEL "    claimed_speedup: 3\n", P "8:5: duplicate key 'claimed_speedup' (first at line 5)" },
	{ HEAD "  - id: k\n    claimed_speedup: .inf\n"
	       "    baseline: {source: kernels/ref.cu, entry: ref}\n"
	       "    candidate: {source: kernels/fast.cu, entry: fast}\n",
	  P "5:22: claimed_speedup: expected a finite number, got '.inf'" },
	{ HEAD "  - id: k\n    claimed_speedup: \"2\"\n"
	       "    baseline: {source: kernels/ref.cu, entry: ref}\n"
	       "    candidate: {source: kernels/fast.cu, entry: fast}\n",
	  P "5:22: claimed_speedup: expected a number, got '2'" },
	{ HEAD "  - id: k\n    claimed_speedup: 0.0\n"
	       "    baseline: {source: kernels/ref.cu, entry: ref}\n"
	       "    candidate: {source: kernels/fast.cu, entry: fast}\n",
	  P "5:22: claimed_speedup: expected a number > 0, got 0" },
	{ HEAD KERNEL, P "4:5: missing required key 'buffers' in kernel 'k'" },
	/* params */
	{ HEAD KERNEL "    params: 5\n",
	  P "8:13: params: expected a mapping or a list of mappings, got '5'" },
	{ HEAD KERNEL "    params: []\n", P "8:13: params: empty list (expected at least one parameter set)" },
	{ HEAD KERNEL "    params: [{N: 1}, 2]\n", P "8:22: params: expected a mapping, got '2'" },
	{ HEAD KERNEL "    params: {N: 1.5}\n", P "8:17: param 'N': expected an integer, got '1.5'" },
	{ HEAD KERNEL "    params: {N: 99999999999999999999}\n",
	  P "8:17: param 'N': integer 99999999999999999999 does not fit in 64 bits" },
	{ HEAD KERNEL "    params: {2N: 1}\n", P "8:14: param name '2N' is not an identifier (expected "
					       "letters, digits and '_', not starting with a digit)" },
	{ HEAD KERNEL "    params: {N: 1, N: 2}\n", P "8:20: duplicate key 'N' (first at line 8)" },
	/* buffers */
	{ HEAD KERNEL "    buffers: {}\n", P "8:14: buffers: expected a list, got a mapping" },
	{ HEAD KERNEL "    buffers: []\n", P "8:14: buffers: empty list (expected at least one buffer)" },
	{ HEAD KERNEL "    buffers: [{name: y, role: out, dtype: f32}]\n",
	  P "8:15: missing required key 'shape' in buffer" },
	{ HEAD KERNEL "    buffers: [{name: y, role: out, dtype: f32, shape: [4], size: 4}]\n",
	  P "8:60: unknown key 'size' in buffer (expected one of name role dtype shape init)" },
	{ HEAD KERNEL "    buffers: [{name: 1y, role: out, dtype: f32, shape: [4]}]\n",
	  P "8:22: buffer name '1y' is not an identifier (expected letters, digits and '_', "
	    "not starting with a digit)" },
	{ HEAD KERNEL "    buffers: [{name: y, role: out, dtype: f32, shape: [4]},\n"
		      "              {name: y, role: in, dtype: f32, shape: [4]}]\n",
	  P "9:22: duplicate buffer name 'y' in kernel 'k' (first at line 8)" },
	{ HEAD KERNEL "    buffers: [{name: y, role: write, dtype: f32, shape: [4]}]\n",
	  P "8:31: unknown role 'write' (expected one of in out inout)" },
	{ HEAD KERNEL "    buffers: [{name: y, role: out, dtype: float, shape: [4]}]\n",
	  P "8:43: unknown dtype 'float' (expected one of f16 bf16 f32 f64 i8 u8 i16 i32 i64 u32)" },
	{ HEAD KERNEL "    buffers: [{name: y, role: in, dtype: f32, shape: [4]}]\n",
	  P "8:14: buffers: no out or inout buffer (expected at least one output for kaudit to compare)" },
	/* shapes and expressions */
	{ HEAD KERNEL "    buffers: [{name: y, role: out, dtype: f32, shape: 4}]\n",
	  P "8:55: shape: expected a list, got '4'" },
	{ HEAD KERNEL "    buffers: [{name: y, role: out, dtype: f32, shape: []}]\n",
	  P "8:55: shape: empty list (expected at least one dimension)" },
	{ HEAD KERNEL "    buffers: [{name: y, role: out, dtype: f32, shape: [1,1,1,1,1,1,1,1,1]}]\n",
	  P "8:55: shape: 9 dimensions (limit 8)" },
	{ HEAD KERNEL "    buffers: [{name: y, role: out, dtype: f32, shape: [4.5]}]\n",
	  P "8:56: shape[0]: expected an integer expression, got '4.5'" },
	{ HEAD KERNEL "    buffers: [{name: y, role: out, dtype: f32, shape: [~]}]\n",
	  P "8:56: shape[0]: expected an integer expression, got an empty value" },
	{ HEAD KERNEL "    buffers: [{name: y, role: out, dtype: f32, shape: ['N *']}]\n",
	  P "8:60: shape[0]: unexpected end (expected a number, a name or '(') in expression 'N *'" },
	{ HEAD KERNEL "    buffers: [{name: y, role: out, dtype: f32, shape: [N]}]\n",
	  P "8:56: shape[0]: unknown name 'N' in expression 'N' (no params are set)" },
	{ HEAD KERNEL "    params: [{N: 2}, {M: 2}]\n"
		      "    buffers: [{name: y, role: out, dtype: f32, shape: [4, \"2*N\"]}]\n",
	  P "9:62: shape[1]: unknown name 'N' in expression '2*N' (expected a param: M)" },
	{ HEAD KERNEL "    params: [{N: 2}, {N: 1}]\n"
		      "    buffers: [{name: y, role: out, dtype: f32, shape: [N - 1]}]\n",
	  P "9:56: shape[0]: 'N - 1' is 0 with params {N: 1} (expected > 0)" },
	{ HEAD KERNEL "    params: {N: 3}\n"
		      "    buffers: [{name: y, role: out, dtype: f32, shape: [\"N % (N - 3)\"]}]\n",
	  P "9:59: shape[0]: modulo by zero in expression 'N % (N - 3)' with params {N: 3}" },
	{ HEAD KERNEL "    params: {N: 4294967296}\n"
		      "    buffers: [{name: y, role: out, dtype: f32, shape: [N, N]}]\n",
	  P "9:55: shape: buffer 'y' has more than 2^63 bytes with params {N: 4294967296} "
	    "(expected a size that fits in 64 bits)" },
	{ HEAD KERNEL "    params: {N: 2147483648}\n"
		      "    buffers: [{name: y, role: out, dtype: f64, shape: [N, N]}]\n",
	  P "9:55: shape: buffer 'y' has more than 2^63 bytes with params {N: 2147483648} "
	    "(expected a size that fits in 64 bits)" },
	/* init */
	{ HEAD KERNEL "    buffers: [{name: y, role: out, dtype: f32, shape: [4], init: {dist: arange}}]\n",
	  P "8:60: init on output buffer 'y' (expected init only on in and inout buffers: kaudit "
	    "poisons outputs)" },
	{ HEAD KERNEL OUT "    buffers: [{name: y, role: inout, dtype: f32, shape: [4], init: normal}]\n",
	  P "9:5: duplicate key 'buffers' (first at line 8)" },
	{ HEAD KERNEL "    buffers: [{name: y, role: inout, dtype: f32, shape: [4], init: normal}]\n",
	  P "8:68: init: expected a mapping, got 'normal'" },
	{ HEAD KERNEL "    buffers: [{name: y, role: inout, dtype: f32, shape: [4], init: {std: 1}}]\n",
	  P "8:68: missing required key 'dist' in init (expected one of normal uniform randint "
	    "arange constant get_inputs)" },
	{ HEAD KERNEL "    buffers: [{name: y, role: inout, dtype: f32, shape: [4], init: {dist: poisson}}]\n",
	  P "8:75: unknown distribution 'poisson' (expected one of normal uniform randint arange "
	    "constant get_inputs)" },
	{ HEAD KERNEL "    buffers: [{name: y, role: inout, dtype: f32, shape: [4], init: {dist: get_inputs}}]\n",
	  P "8:68: init get_inputs on inout buffer 'y' (expected it only on in buffers: "
	    "get_inputs() gives forward's arguments)" },
	{ HEAD KERNEL "    buffers: [{name: x, role: in, dtype: f32, shape: [4], init: {dist: get_inputs}},\n"
		      "              {name: y, role: out, dtype: f32, shape: [4]}]\n",
	  P "8:15: buffer 'x': init get_inputs needs a problem file that defines get_inputs() "
	    "(expected a Python baseline, or a Python candidate naming the problem file with "
	    "init_inputs)" },
	{ HEAD "  - id: k\n    claimed_speedup: 2\n"
	  "    baseline: {source: kernels/ref.cu, entry: ref}\n"
	  "    candidate: {python: kernels/model.py, entry: M, init_inputs: kernels/model.py}\n"
	  "    buffers: [{name: x, role: in, dtype: f32, shape: [4], init: {dist: get_inputs}},\n"
	  "              {name: y, role: out, dtype: f32, shape: [4]}]\n",
	  P "8:15: buffer 'x': init get_inputs would take the inputs from the candidate's own file "
	    "kernels/model.py (expected the problem file: the code under audit does not choose its "
	    "inputs)" },
	{ HEAD KERNEL "    buffers: [{name: y, role: in, dtype: f32, shape: [4], init: {dist: get_inputs, file: a.py}}]\n",
	  P "8:84: unknown key 'file' in init (get_inputs) (expected one of dist)" },
	{ HEAD KERNEL "    buffers: [{name: y, role: inout, dtype: f32, shape: [4], init: {dist: arange, value: 1}}]\n",
	  P "8:83: unknown key 'value' in init (arange) (expected one of dist)" },
	{ HEAD KERNEL "    buffers: [{name: y, role: inout, dtype: f32, shape: [4], init: {dist: normal, std: -0.5}}]\n",
	  P "8:88: std: expected a number >= 0, got -0.5" },
	{ HEAD KERNEL "    buffers: [{name: y, role: inout, dtype: f32, shape: [4], init: {dist: normal, mean: x}}]\n",
	  P "8:89: mean: expected a number, got 'x'" },
	{ HEAD KERNEL "    buffers: [{name: y, role: inout, dtype: f32, shape: [4], init: {dist: uniform, high: -1}}]\n",
	  P "8:90: uniform: low 0 is not below high -1 (expected low < high)" },
	{ HEAD KERNEL "    buffers: [{name: y, role: inout, dtype: i8, shape: [4], init: {dist: randint, low: -200}}]\n",
	  P "8:88: low: -200 does not fit i8 (range -128..127)" },
	{ HEAD KERNEL "    buffers: [{name: y, role: inout, dtype: f32, shape: [4], init: {dist: randint, low: 5, high: 4}}]\n",
	  P "8:98: randint: low 5 is above high 4 (expected low <= high)" },
	{ HEAD KERNEL "    buffers: [{name: y, role: inout, dtype: f32, shape: [4], init: {dist: randint, low: 0.5}}]\n",
	  P "8:89: low: expected an integer of at most 2^53 in magnitude, got 0.5" },
	{ HEAD KERNEL "    buffers: [{name: y, role: inout, dtype: f32, shape: [4], init: {dist: constant}}]\n",
	  P "8:68: missing required key 'value' in init (constant)" },
	{ HEAD KERNEL "    buffers: [{name: y, role: inout, dtype: u32, shape: [4], init: {dist: constant, value: -1}}]\n",
	  P "8:92: value: -1 does not fit u32 (range 0..4294967295)" },
	/* tolerance, deterministic, work, expect */
	{ HEAD KERNEL OUT "    tolerance: 1e-5\n", P "9:16: tolerance: expected a mapping, got '1e-5'" },
	{ HEAD KERNEL OUT "    tolerance: {rtol: 1e-5}\n", P "9:16: missing required key 'atol' in tolerance" },
	{ HEAD KERNEL OUT "    tolerance: {rtol: -1e-5, atol: 0}\n", P "9:23: rtol: expected a number >= 0, got -1e-05" },
	{ HEAD KERNEL OUT "    tolerance: {rtol: 0, atol: 0, max: 1}\n",
	  P "9:35: unknown key 'max' in tolerance (expected one of rtol atol)" },
	{ HEAD KERNEL OUT "    deterministic: yes\n", P "9:20: deterministic: expected true or false, got 'yes'" },
	{ HEAD KERNEL OUT "    work: {}\n", P "9:11: work: empty (expected bytes and/or flops)" },
	{ HEAD KERNEL OUT "    work: {bytes: -4}\n", P "9:19: bytes: '-4' is -4 with params {} (expected >= 0)" },
	{ HEAD KERNEL OUT "    work: {flops: \"2 * N\"}\n",
	  P "9:24: flops: unknown name 'N' in expression '2 * N' (no params are set)" },
	{ HEAD KERNEL OUT "    work: {flops: [1]}\n", P "9:19: flops: expected an integer expression, got a list" },
	{ HEAD KERNEL OUT "    expect: ok\n", P "9:13: unknown verdict 'ok' (expected one of reproduced "
					    "not-reproduced invalid inconclusive error)" },
	{ HEAD KERNEL OUT "    expect: [invalid]\n",
	  P "9:13: expect: expected a verdict or a mapping {verdict, findings}, got a list" },
	{ HEAD KERNEL OUT "    expect: {findings: [stale-output]}\n",
	  P "9:13: missing required key 'verdict' in expect" },
	{ HEAD KERNEL OUT "    expect: {verdict: invalid, findings: stale-output}\n",
	  P "9:42: findings: expected a list, got 'stale-output'" },
	{ HEAD KERNEL OUT "    expect: {verdict: invalid, findings: [stale-output, cheating]}\n",
	  P "9:57: unknown finding code 'cheating' (see kaudit-findings(7))" },
	{ HEAD KERNEL OUT "    expect: {verdict: invalid, why: x}\n",
	  P "9:32: unknown key 'why' in expect (expected one of verdict findings)" },
};

/* On a mismatch, shows the line the message points at with a caret. */
static void show_position(const char *yaml, const char *msg)
{
	int line, col;
	if (sscanf(msg, "tests/lint/t.yaml:%d:%d:", &line, &col) != 2)
		return;
	const char *s = yaml;
	for (int i = 1; i < line && s; i++) {
		s = strchr(s, '\n');
		s = s ? s + 1 : NULL;
	}
	if (!s)
		return;
	int len = (int)strcspn(s, "\n");
	print_error("  %.*s\n  %*s^\n", len, s, col - 1, "");
}

static void test_errors(void **state)
{
	(void)state;
	int failed = 0;
	for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		struct claim *c = NULL;
		struct errbuf e = { "", 0 };
		const char *y = bads[i].yaml;
		int rc = claim_load_buffer("tests/lint/t.yaml", y, strlen(y), &c, &e);
		if (rc == 0) {
			print_error("case %zu loaded:\n%s\n", i, y);
			claim_free(c);
			failed++;
		} else if (strcmp(e.msg, bads[i].msg) != 0 || e.code != EXIT_BAD_INPUT) {
			print_error("case %zu:\n  want: %s\n  got:  %s\n", i, bads[i].msg, e.msg);
			show_position(y, e.msg);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* The earliest repeat in the file is reported, whatever the key order. */
static void test_duplicate_order(void **state)
{
	(void)state;
	static const char y[] = HEAD KERNEL OUT "    params: {b: 1, a: 1, c: 1, a: 2, b: 2}\n";
	struct claim *c = NULL;
	struct errbuf e;
	assert_int_equal(claim_load_buffer("tests/lint/t.yaml", y, strlen(y), &c, &e), -1);
	assert_string_equal(e.msg, P "9:32: duplicate key 'a' (first at line 9)");

	/* Thousands of keys: sorted, not compared pairwise. */
	size_t cap = 600000;
	char *big = malloc(cap);
	size_t n = (size_t)snprintf(big, cap, "%s", HEAD KERNEL OUT "    params: {");
	for (int i = 0; i < 40000; i++)
		n += (size_t)snprintf(big + n, cap - n, "p%d: %d, ", i, i);
	n += (size_t)snprintf(big + n, cap - n, "p17: 0}\n");
	assert_int_equal(claim_load_buffer("tests/lint/t.yaml", big, n, &c, &e), -1);
	assert_non_null(strstr(e.msg, "duplicate key 'p17'"));
	free(big);
}

static void test_limits(void **state)
{
	(void)state;
	struct claim *c = NULL;
	struct errbuf e;
	char *big = malloc(CLAIM_MAX_BYTES + 1);
	memset(big, '#', CLAIM_MAX_BYTES + 1);
	assert_int_equal(claim_load_buffer("x.yaml", big, CLAIM_MAX_BYTES + 1, &c, &e), -1);
	assert_string_equal(e.msg, "x.yaml: larger than the limit of 1048576 bytes");
	free(big);

	/* A NUL byte in the text is a reader error, with a position. */
	static const char nul[] = "kaudit: 1\nclaim: {ti\0tle: t}\n";
	assert_int_equal(claim_load_buffer("x.yaml", nul, sizeof nul - 1, &c, &e), -1);
	assert_string_equal(e.msg, "x.yaml:2:11: invalid yaml: control characters are not allowed");

	/* Billion laughs: refused after CLAIM_MAX_NODES visits. */
	char laughs[2048];
	size_t n = (size_t)snprintf(laughs, sizeof laughs, "kaudit: 1\nl0: &l0 [a, a, a, a, a, a, a, a, a, a]\n");
	for (int i = 1; i < 10; i++) {
		n += (size_t)snprintf(laughs + n, sizeof laughs - n, "l%d: &l%d [", i, i);
		for (int j = 0; j < 10; j++)
			n += (size_t)snprintf(laughs + n, sizeof laughs - n, "%s*l%d", j ? ", " : "", i - 1);
		n += (size_t)snprintf(laughs + n, sizeof laughs - n, "]\n");
	}
	assert_int_equal(claim_load_buffer("x.yaml", laughs, n, &c, &e), -1);
	assert_non_null(strstr(e.msg, "too many nodes after expanding aliases (limit 100000)"));

	/* Depth: 64 levels pass the bounds check, 65 do not. */
	char deep[512];
	for (int levels = 63; levels <= 64; levels++) {
		n = (size_t)snprintf(deep, sizeof deep, "kaudit: 1\nx: ");
		for (int i = 0; i < levels; i++)
			deep[n++] = '[';
		for (int i = 0; i < levels; i++)
			deep[n++] = ']';
		deep[n++] = '\n';
		assert_int_equal(claim_load_buffer("x.yaml", deep, n, &c, &e), -1);
		if (levels == 63) /* root + 63 = 64: only the schema objects */
			assert_string_equal(e.msg, "x.yaml:2:1: unknown key 'x' in the top level "
						   "(expected one of kaudit claim defaults kernels)");
		else
			assert_string_equal(e.msg, "x.yaml:2:67: nested deeper than 64 levels");
	}
}

/* --- the claim's tree and the flag allowlist --- */

#include <limits.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static char *load_error(const char *path, const char *text)
{
	struct claim *c = NULL;
	struct errbuf e = { "", 0 };
	if (claim_load_buffer(path, text, strlen(text), &c, &e) == 0) {
		claim_free(c);
		return NULL;
	}
	assert_int_equal(e.code, EXIT_BAD_INPUT);
	return strdup(e.msg);
}

#define TREE_YAML(src)                                                   \
	"kaudit: 1\nclaim: {title: t}\nkernels:\n  - id: k\n"           \
	"    claimed_speedup: 2\n"                                       \
	"    baseline: {source: " src ", entry: ref}\n"                  \
	"    candidate: {source: ok.cu, entry: ref}\n" OUT

/* Links out of the tree (to a file holding a secret, to /proc), devices,
 * FIFOs, sockets and absolute paths: refused at the source's position,
 * and nothing of the file is read, let alone shown. */
static void test_source_containment(void **state)
{
	(void)state;
	char dir[] = "/tmp/kaudit-test-claim-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char p[128], q[128], manifest[128];
	snprintf(p, sizeof p, "%s/claim", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(manifest, sizeof manifest, "%s/claim/c.yaml", dir);
	snprintf(p, sizeof p, "%s/claim/ok.cu", dir);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs("// fine\n", f);
	fclose(f);
	snprintf(p, sizeof p, "%s/secret.pem", dir);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs("KAUDIT-FAKE-SECRET-7731\n", f);
	fclose(f);
	snprintf(q, sizeof q, "%s/claim/leak.cu", dir);
	assert_int_equal(symlink("../secret.pem", q), 0);
	snprintf(q, sizeof q, "%s/claim/env.cu", dir);
	assert_int_equal(symlink("/proc/self/environ", q), 0);
	snprintf(q, sizeof q, "%s/claim/null.cu", dir);
	assert_int_equal(symlink("/dev/null", q), 0);
	snprintf(q, sizeof q, "%s/claim/fifo.cu", dir);
	assert_int_equal(mkfifo(q, 0600), 0);
	snprintf(q, sizeof q, "%s/claim/sock.cu", dir);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s >= 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	assert_true(strlen(q) < sizeof sa.sun_path);
	memcpy(sa.sun_path, q, strlen(q) + 1);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
	snprintf(q, sizeof q, "%s/claim/sub.cu", dir);
	assert_int_equal(mkdir(q, 0700), 0);
	snprintf(q, sizeof q, "%s/claim/in$(id).cu", dir);
	f = fopen(q, "w");
	assert_non_null(f);
	fclose(f);

	static const struct {
		const char *src, *msg;
	} cases[] = {
		{ "leak.cu", "6:24: source 'leak.cu' leaves the claim directory '%s/claim' (links "
			     "followed; sources must stay inside the manifest's directory)" },
		{ "env.cu", "6:24: source 'env.cu' resolves into /proc (kernel and device files are "
			    "never sources)" },
		{ "null.cu", "6:24: source 'null.cu' resolves into /dev (kernel and device files "
			     "are never sources)" },
		{ "fifo.cu", "6:24: source 'fifo.cu' is a FIFO, not a regular file" },
		{ "sock.cu", "6:24: source 'sock.cu' is a socket, not a regular file" },
		{ "sub.cu", "6:24: source 'sub.cu' is a directory, not a regular file" },
		{ "\"in$(id).cu\"", "6:24: source 'in$(id).cu': its path holds characters nvcc "
				    "would hand to a shell (allowed: letters, digits and _ . / + = "
				    "@ %% : -)" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char yaml[1024], want[1024], fmt[600];
		snprintf(yaml, sizeof yaml, TREE_YAML("%s"), cases[i].src);
		snprintf(fmt, sizeof fmt, "%%s:%s", cases[i].msg);
		snprintf(want, sizeof want, fmt, manifest, dir);
		char *got = load_error(manifest, yaml);
		assert_non_null(got);
		assert_string_equal(got, want);
		assert_null(strstr(got, "KAUDIT-FAKE-SECRET"));
		free(got);
	}
	/* An absolute source is refused unless it lies in the tree. */
	char yaml[1024], want[1024];
	snprintf(yaml, sizeof yaml, TREE_YAML("%s/secret.cu"), dir);
	snprintf(p, sizeof p, "%s/secret.cu", dir);
	assert_int_equal(symlink("secret.pem", p), 0);
	char *got = load_error(manifest, yaml);
	snprintf(want, sizeof want, "%s:6:24: source '%s/secret.cu' leaves the claim directory "
		 "'%s/claim' (links followed; sources must stay inside the manifest's directory)",
		 manifest, dir, dir);
	assert_string_equal(got, want);
	free(got);
	snprintf(yaml, sizeof yaml, TREE_YAML("%s/claim/ok.cu"), dir);
	assert_null(load_error(manifest, yaml));

	/* A link inside the tree is fine, and path is the real path. */
	snprintf(q, sizeof q, "%s/claim/alias.cu", dir);
	assert_int_equal(symlink("ok.cu", q), 0);
	struct claim *c = NULL;
	struct errbuf e;
	const char *ty = TREE_YAML("alias.cu");
	assert_int_equal(claim_load_buffer(manifest, ty, strlen(ty), &c, &e), 0);
	assert_string_equal(claim_tree_rel(c->root, c->kernels[0].baseline.path), "ok.cu");
	claim_free(c);

	/* The key's directory is never a claim file, even inside the tree. */
	snprintf(p, sizeof p, "%s/claim", dir);
	setenv("XDG_CONFIG_HOME", p, 1);
	snprintf(q, sizeof q, "%s/claim/kaudit", dir);
	assert_int_equal(mkdir(q, 0700), 0);
	snprintf(q, sizeof q, "%s/claim/kaudit/key.cu", dir);
	f = fopen(q, "w");
	assert_non_null(f);
	fclose(f);
	ty = TREE_YAML("kaudit/key.cu");
	got = load_error(manifest, ty);
	assert_non_null(got);
	assert_non_null(strstr(got, "leaves the claim directory"));
	free(got);
	unsetenv("XDG_CONFIG_HOME");

	close(s);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_tree_rel(void **state)
{
	(void)state;
	assert_string_equal(claim_tree_rel("/a/b", "/a/b/c/d.cu"), "c/d.cu");
	assert_string_equal(claim_tree_rel("/a/b", "/a/b"), "");
	assert_null(claim_tree_rel("/a/b", "/a/bc/d.cu"));
	assert_null(claim_tree_rel("/a/b", "/a/d.cu"));
	assert_null(claim_tree_rel("/a/b", "relative/d.cu"));
	assert_string_equal(claim_tree_rel("/", "/x/y"), "x/y");
	/* /proc, /sys and /dev are never inside, whatever the root. */
	assert_null(claim_tree_rel("/", "/proc/self/environ"));
	assert_null(claim_tree_rel("/proc", "/proc/1/environ"));
	assert_null(claim_tree_rel("/", "/dev/null"));
	assert_null(claim_tree_rel("/", "/sys/kernel"));
	assert_string_equal(claim_tree_rel("/", "/devices/x"), "devices/x");
	assert_true(claim_shell_safe("/a/b-c_d.e+f=g@h%i:j"));
	assert_false(claim_shell_safe("a b"));
	assert_false(claim_shell_safe("a$b"));
	assert_false(claim_shell_safe("a`b"));
	assert_false(claim_shell_safe("a\"b"));
	assert_false(claim_shell_safe("a,b"));
}

/* Every allowed form passes; every bypass of the old denylist, and each
 * rule's bad values, are refused at the right entry. */
static void test_flag_allowlist(void **state)
{
	(void)state;
	char root[PATH_MAX];
	assert_non_null(realpath("tests/lint", root));
	static const char *const ok[] = {
		"-O0", "-O3", "-Ofc=max", "-Ofc", "mid", "--Ofast-compile=0", "-dopt=on",
		"-DX", "-DX=1", "-DSCALE=0.5f", "-D", "Y=-2", "--define-macro=Z=a.b",
		"-UX", "-U", "Y", "-std=c++17", "--std=c++20", "-std", "c++14",
		"-use_fast_math", "--use_fast_math", "-ftz=true", "--prec-div=false",
		"-prec-sqrt=true", "--fmad=false", "--fmad", "true", "-lineinfo",
		"--generate-line-info", "-maxrregcount=64", "--maxrregcount", "255",
		"--extra-device-vectorization", "--expt-relaxed-constexpr",
		"--expt-extended-lambda", "-extended-lambda", "-Xptxas", "-O3,-v",
		"-Xptxas=--warn-on-spills", "--ptxas-options=-O2", "-Ikernels", "-I", "kernels",
		"--include-path=kernels", "-I.", "-lcublas", "-lcublasLt", "-lcufft", "-lcurand",
		"-lcusparse", "-lcusolver", "-lnvrtc",
	};
	struct claim_nvcc_flags f;
	size_t bad = 99;
	struct errbuf msg;
	size_t nok = sizeof ok / sizeof ok[0];
	if (claim_flags_check((char *const *)ok, nok, root, &f, &bad, &msg) != 0)
		fail_msg("entry %zu: %s", bad, msg.msg);
	assert_int_equal(f.n, nok);
	/* -I values become real paths; everything else stays verbatim. */
	char want[PATH_MAX + 32];
	assert_int_equal(f.nincdirs, 4);
	snprintf(want, sizeof want, "%s/kernels", root);
	assert_string_equal(f.incdirs[0], want);
	assert_string_equal(f.incdirs[3], root);
	for (size_t i = 0; i < f.n; i++) {
		if (strcmp(ok[i], "-Ikernels") == 0) {
			snprintf(want, sizeof want, "-I%s/kernels", root);
			assert_string_equal(f.argv[i], want);
		} else if (i > 0 && strcmp(ok[i - 1], "-I") == 0) {
			snprintf(want, sizeof want, "%s/kernels", root);
			assert_string_equal(f.argv[i], want);
		} else if (strcmp(ok[i], "--include-path=kernels") == 0) {
			snprintf(want, sizeof want, "--include-path=%s/kernels", root);
			assert_string_equal(f.argv[i], want);
		} else if (strcmp(ok[i], "-I.") == 0) {
			snprintf(want, sizeof want, "-I%s", root);
			assert_string_equal(f.argv[i], want);
		} else {
			assert_string_equal(f.argv[i], ok[i]);
		}
	}
	claim_nvcc_flags_release(&f);

	static const struct {
		const char *flags[4];
		size_t bad;
	} refused[] = {
		{ { "-Xlinker", "-o,/elsewhere" }, 0 },
		{ { "-O3", "--linker-options=-o,/elsewhere" }, 1 },
		{ { "-Xlinker=--output=/elsewhere" }, 0 },
		{ { "-MD", "-MF", "/elsewhere" }, 0 },
		{ { "-O2", "-MF", "/elsewhere" }, 1 },
		{ { "-M" }, 0 },
		{ { "-MM" }, 0 },
		{ { "-o", "/elsewhere" }, 0 },
		{ { "--output-file=/x" }, 0 },
		{ { "-odir", "/x" }, 0 },
		{ { "--output-directory", "/x" }, 0 },
		{ { "-ccbin", "/x" }, 0 },
		{ { "--compiler-bindir=/x" }, 0 },
		{ { "-Xcompiler", "-fplugin=/x.so" }, 0 },
		{ { "-include", "/etc/passwd" }, 0 },
		{ { "--pre-include=/etc/passwd" }, 0 },
		{ { "-L/tmp" }, 0 },
		{ { "-lcrypto" }, 0 },
		{ { "-l", "cublas" }, 0 },
		{ { "-x", "cu" }, 0 },
		{ { "@/tmp/opts" }, 0 },
		{ { "--options-file=/tmp/opts" }, 0 },
		{ { "--run" }, 0 },
		{ { "-rdc=true" }, 0 },
		{ { "-c" }, 0 },
		{ { "-E" }, 0 },
		{ { "-arch=sm_90" }, 0 },
		{ { "-O4" }, 0 },
		{ { "-O" }, 0 },
		{ { "-std=gnu++17" }, 0 },
		{ { "-ftz=yes" }, 0 },
		{ { "-DX=$(id)" }, 0 },
		{ { "-DX=`id`" }, 0 },
		{ { "-DX=a,Y=b" }, 0 },
		{ { "-DX=\"a\"" }, 0 },
		{ { "-D", "1X" }, 1 },
		{ { "-D" }, 0 },
		{ { "-I", "../.." }, 1 },
		{ { "-I/etc" }, 0 },
		{ { "-Ikernels,/etc" }, 0 },
		{ { "-Ino-such-dir" }, 0 },
		{ { "-Xptxas", "-O3,--extensible-whole-program" }, 1 },
		{ { "-Xptxas", "-O3,,-v" }, 1 },
		{ { "-Xptxas=-dlcm=ca" }, 0 },
		{ { "-maxrregcount=256" }, 0 },
		{ { "-maxrregcount=0x10" }, 0 },
		{ { "-use_fast_math=1" }, 0 },
	};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		size_t n = 0;
		while (n < 4 && refused[i].flags[n])
			n++;
		bad = 99;
		if (claim_flags_check((char *const *)refused[i].flags, n, root, NULL, &bad, &msg) == 0)
			fail_msg("case %zu (%s) was accepted", i, refused[i].flags[0]);
		if (bad != refused[i].bad)
			fail_msg("case %zu (%s): bad entry %zu, want %zu: %s", i, refused[i].flags[0],
				 bad, refused[i].bad, msg.msg);
		assert_int_equal(msg.code, EXIT_BAD_INPUT);
	}
	/* An unknown flag's message says what is allowed. */
	char *x[] = { "-Xlinker" };
	assert_int_equal(claim_flags_check(x, 1, root, NULL, &bad, &msg), -1);
	assert_non_null(strstr(msg.msg, "allowed: -O0..-O3"));
	assert_non_null(strstr(msg.msg, "-lnvrtc"));
	/* Without a claim directory no -I passes. */
	char *inc[] = { "-Ikernels" };
	assert_int_equal(claim_flags_check(inc, 1, NULL, NULL, &bad, &msg), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_manifest),
		cmocka_unit_test(test_anchors_and_defaults),
		cmocka_unit_test(test_params_absent),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_duplicate_order),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_source_containment),
		cmocka_unit_test(test_tree_rel),
		cmocka_unit_test(test_flag_allowlist),
		cmocka_unit_test(test_get_inputs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
