/*
 * test_build.c - the compile step: cache key, nvcc argv, no shell, errors,
 * and (with the CUDA toolkit) two real nvcc runs plus dlopen checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/build_private.h"

struct fixture {
	char dir[PATH_MAX];      /* scratch directory, removed by teardown */
	char include[PATH_MAX + 16]; /* the repository's include/ */
	char cwd[PATH_MAX];      /* restored by teardown (a test may chdir) */
};

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/kaudit-test-build-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	if (!getcwd(f->cwd, sizeof f->cwd))
		return -1;
	snprintf(f->include, sizeof f->include, "%s/include", f->cwd);
	char cache[PATH_MAX + 16];
	snprintf(cache, sizeof cache, "%s/cache", f->dir);
	setenv("XDG_CACHE_HOME", cache, 1);
	unsetenv("NVCC");
	unsetenv("KAUDIT_ARCH");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	if (chdir(f->cwd) != 0)
		return -1;
	char *argv[] = { "rm", "-rf", f->dir, NULL };
	struct build_exec_result r;
	struct errbuf e;
	if (build_exec(argv, 60, 4096, &r, &e) == 0)
		build_exec_result_release(&r);
	free(f);
	return 0;
}

/* --- cache key --- */

static void key_of(const char *src, const char *flag, const char *arch, const char *ver,
		   const char *launcher, const char *includes, char out[65])
{
	struct build_argv a = { 0 };
	build_argv_push(&a, arch);
	char *flags[] = { (char *)flag };
	struct build_key_input in = {
		.source = src, .source_len = strlen(src), .flags = flags, .nflags = 1,
		.arch = &a, .libdir = "/usr/local/cuda/lib64", .nvcc_version = ver,
		.launcher = launcher, .includes = includes,
	};
	build_cache_key(&in, out);
	build_argv_release(&a);
}

static void test_cache_key(void **state)
{
	(void)state;
	char base[65], again[65], k[65];
	key_of("src", "-O3", "-arch=sm_90", "v13", "L", "", base);
	key_of("src", "-O3", "-arch=sm_90", "v13", "L", "", again);
	assert_string_equal(base, again);
	assert_int_equal(strlen(base), 64);

	key_of("src ", "-O3", "-arch=sm_90", "v13", "L", "", k);
	assert_string_not_equal(base, k);
	key_of("src", "-O2", "-arch=sm_90", "v13", "L", "", k);
	assert_string_not_equal(base, k);
	key_of("src", "-O3", "-arch=sm_80", "v13", "L", "", k);
	assert_string_not_equal(base, k);
	key_of("src", "-O3", "-arch=sm_90", "v12", "L", "", k);
	assert_string_not_equal(base, k);
	key_of("src", "-O3", "-arch=sm_90", "v13", "L2", "", k);
	assert_string_not_equal(base, k);
	key_of("src", "-O3", "-arch=sm_90", "v13", "L", "h.cuh 00\n", k);
	assert_string_not_equal(base, k);
	/* Field boundaries count: moving bytes from one field to the next
	 * must not give the same key. */
	key_of("sr", "c-O3", "-arch=sm_90", "v13", "L", "", k);
	assert_string_not_equal(base, k);
}

static void test_includes_followed(void **state)
{
	struct fixture *f = *state;
	char sub[PATH_MAX + 16], main_cu[PATH_MAX + 16], h1[PATH_MAX + 32], h2[PATH_MAX + 32];
	snprintf(sub, sizeof sub, "%s/inc", f->dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(main_cu, sizeof main_cu, "%s/main.cu", f->dir);
	snprintf(h1, sizeof h1, "%s/inc/a.cuh", f->dir);
	snprintf(h2, sizeof h2, "%s/inc/b.cuh", f->dir);
	const char *text = "#include <stdio.h>\n#include \"kaudit/launcher.h\"\n"
			   "  #  include \"inc/a.cuh\"\n";
	write_text(main_cu, text);
	write_text(h1, "#include \"b.cuh\"\nint a;\n");
	write_text(h2, "int b;\n");

	struct errbuf e = { 0 };
	char *d1 = NULL, *d2 = NULL;
	assert_int_equal(build_source_includes(main_cu, text, &d1, &e), 0);
	/* Both the direct and the nested include, nothing for <stdio.h> or a
	 * header that is not beside the source. */
	assert_non_null(strstr(d1, "inc/a.cuh "));
	assert_non_null(strstr(d1, "b.cuh "));
	assert_null(strstr(d1, "stdio"));
	assert_null(strstr(d1, "launcher"));

	write_text(h2, "int b2;\n");
	assert_int_equal(build_source_includes(main_cu, text, &d2, &e), 0);
	assert_string_not_equal(d1, d2);
	free(d1);
	free(d2);
}

/* --- argv --- */

static const char hostile[] = "-DMSG=a b; touch CANARY1; $(touch CANARY2) `touch CANARY3`";

static void test_argv_shape(void **state)
{
	(void)state;
	struct build_argv arch = { 0 }, a = { 0 };
	build_argv_push(&arch, "-arch=sm_90");
	char *flags[] = { "-lineinfo", (char *)hostile, "-Xptxas", "-v" };
	build_compile_argv(&a, "/opt/nvcc", "/inc", &arch, "/cuda/lib64", flags, 4,
			   "/cache/x.so", "/src/k.cu");
	const char *want[] = {
		"/opt/nvcc", "-shared", "-Xcompiler", "-fPIC", "-cudart", "shared", "-O3",
		"-std=c++17", "-I", "/inc", "-arch=sm_90", "-Xlinker", "-rpath,/cuda/lib64",
		"-lineinfo", hostile, "-Xptxas", "-v", "-o", "/cache/x.so", "/src/k.cu",
	};
	assert_int_equal(a.n, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < a.n; i++)
		assert_string_equal(a.v[i], want[i]);
	assert_null(a.v[a.n]);
	build_argv_release(&a);
	build_argv_release(&arch);
}

/* A stand-in nvcc that prints each argument it receives on its own line,
 * counts its compile runs and writes the -o file. */
static void fake_nvcc(const struct fixture *f, char *path, size_t n)
{
	snprintf(path, n, "%s/fake-nvcc", f->dir);
	write_text(path,
		   "#!/bin/sh\n"
		   "if [ \"$1\" = --version ]; then\n"
		   "  echo 'nvcc: fake'; echo 'Cuda compilation tools, release 99.1, V99.1.0'\n"
		   "  exit 0\n"
		   "fi\n"
		   "echo run >> \"$0.runs\"\n"
		   "prev=; out=\n"
		   "for a in \"$@\"; do printf 'ARG<%s>\\n' \"$a\"; "
		   "[ \"$prev\" = -o ] && out=$a; prev=$a; done\n"
		   "printf 'not really an object\\n' > \"$out\"\n");
	assert_int_equal(chmod(path, 0755), 0);
}

static int count_lines(const char *path)
{
	FILE *fp = fopen(path, "r");
	if (!fp)
		return 0;
	int n = 0, ch;
	while ((ch = fgetc(fp)) != EOF)
		n += ch == '\n';
	fclose(fp);
	return n;
}

static void test_flags_never_through_a_shell(void **state)
{
	struct fixture *f = *state;
	char nvcc[PATH_MAX + 16], src[PATH_MAX + 16];
	fake_nvcc(f, nvcc, sizeof nvcc);
	setenv("NVCC", nvcc, 1);
	snprintf(src, sizeof src, "%s/k.cu", f->dir);
	write_text(src, "// nothing to see\n");
	/* The canaries would appear in the working directory or the scratch
	 * directory if anything handed the flag to a shell. */
	assert_int_equal(chdir(f->dir), 0);

	char *flags[] = { (char *)hostile, "-DB=1" };
	struct claim c = { .dir = f->dir };
	struct claim_impl impl = { .source = "k.cu", .entry = "k", .flags = flags, .nflags = 2 };
	struct build_opts o = { .arch = "sm_90", .include_dir = f->include };
	struct build_result r;
	struct errbuf e = { 0 };
	assert_int_equal(build_impl(&c, &impl, &o, &r, &e), 0);
	assert_int_equal(r.cached, 0);
	assert_non_null(r.log);
	char line[256];
	snprintf(line, sizeof line, "ARG<%s>\n", hostile);
	assert_non_null(strstr(r.log, line));
	assert_non_null(strstr(r.log, "ARG<-DB=1>\n"));
	assert_non_null(strstr(r.log, "ARG<-arch=sm_90>\n"));
	assert_string_equal(r.nvcc_version, "Cuda compilation tools, release 99.1, V99.1.0");
	assert_false(exists("CANARY1"));
	assert_false(exists("CANARY2"));
	assert_false(exists("CANARY3"));

	/* Same inputs: the cache answers and nvcc does not run again. */
	char runs[PATH_MAX + 32];
	snprintf(runs, sizeof runs, "%s.runs", nvcc);
	assert_int_equal(count_lines(runs), 1);
	struct build_result again;
	assert_int_equal(build_impl(&c, &impl, &o, &again, &e), 0);
	assert_int_equal(again.cached, 1);
	assert_string_equal(again.so_path, r.so_path);
	assert_string_equal(again.so_sha256, r.so_sha256);
	assert_int_equal(count_lines(runs), 1);

	/* Another architecture is another object. */
	o.arch = "sm_80";
	struct build_result other;
	assert_int_equal(build_impl(&c, &impl, &o, &other, &e), 0);
	assert_int_equal(other.cached, 0);
	assert_string_not_equal(other.so_path, r.so_path);
	assert_int_equal(count_lines(runs), 2);

	build_result_release(&r);
	build_result_release(&again);
	build_result_release(&other);
	unsetenv("NVCC");
}

static void test_missing_nvcc(void **state)
{
	struct fixture *f = *state;
	char src[PATH_MAX + 16];
	snprintf(src, sizeof src, "%s/k.cu", f->dir);
	write_text(src, "// x\n");
	setenv("NVCC", "/nonexistent/bin/nvcc", 1);
	struct claim c = { .dir = f->dir };
	struct claim_impl impl = { .source = "k.cu", .entry = "k" };
	struct build_opts o = { .include_dir = f->include };
	struct build_result r;
	struct errbuf e = { 0 };
	assert_int_equal(build_impl(&c, &impl, &o, &r, &e), -1);
	assert_int_equal(e.code, EXIT_ENVIRONMENT);
	assert_non_null(strstr(e.msg, "nvcc not found"));
	assert_non_null(strstr(e.msg, "/nonexistent/bin/nvcc"));
	build_result_release(&r);
	unsetenv("NVCC");
}

static void test_refused_flags(void **state)
{
	(void)state;
	struct errbuf e = { 0 };
	char *ok[] = { "-lineinfo", "-O2", "-DX=1" };
	assert_int_equal(build_check_flags(ok, 3, &e), 0);
	char *out[] = { "-O2", "-o", "/etc/passwd" };
	assert_int_equal(build_check_flags(out, 3, &e), -1);
	assert_int_equal(e.code, EXIT_BAD_INPUT);
	assert_non_null(strstr(e.msg, "'-o'"));
	char *eq[] = { "--output-file=/tmp/x" };
	assert_int_equal(build_check_flags(eq, 1, &e), -1);
	char *c[] = { "-c" };
	assert_int_equal(build_check_flags(c, 1, &e), -1);
}

static void test_arch_choice(void **state)
{
	(void)state;
	struct errbuf e = { 0 };
	struct build_argv a = { 0 };

	assert_int_equal(build_arch_args("sm_90", 0, &a, &e), 0);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.v[0], "-arch=sm_90");
	build_argv_release(&a);

	setenv("KAUDIT_ARCH", "sm_80", 1);
	assert_int_equal(build_arch_args(NULL, 1, &a, &e), 0);
	assert_string_equal(a.v[0], "-arch=sm_80");
	build_argv_release(&a);
	/* The option wins over the environment. */
	assert_int_equal(build_arch_args("sm_90a", 1, &a, &e), 0);
	assert_string_equal(a.v[0], "-arch=sm_90a");
	build_argv_release(&a);
	unsetenv("KAUDIT_ARCH");

	assert_int_equal(build_arch_args(NULL, 1, &a, &e), 0);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.v[0], "-arch=native");
	build_argv_release(&a);

	assert_int_equal(build_arch_args(NULL, 0, &a, &e), 0);
	assert_int_equal(a.n, 6);
	assert_string_equal(a.v[0], "-gencode");
	assert_string_equal(a.v[1], "arch=compute_80,code=sm_80");
	assert_string_equal(a.v[3], "arch=compute_90,code=sm_90");
	assert_string_equal(a.v[5], "arch=compute_90,code=compute_90");
	build_argv_release(&a);

	assert_int_equal(build_arch_args("sm_90 -Xcompiler x", 0, &a, &e), -1);
	assert_int_equal(e.code, EXIT_BAD_INPUT);
	build_argv_release(&a);
}

/* --- running programs --- */

static void test_exec_limits(void **state)
{
	(void)state;
	struct build_exec_result r;
	struct errbuf e = { 0 };

	char *sleeper[] = { "sleep", "30", NULL };
	assert_int_equal(build_exec(sleeper, 1, 1024, &r, &e), 0);
	assert_int_equal(r.timed_out, 1);
	assert_int_equal(r.exited, 0);
	build_exec_result_release(&r);

	char *chatty[] = { "head", "-c", "100000", "/dev/zero", NULL };
	assert_int_equal(build_exec(chatty, 30, 1000, &r, &e), 0);
	assert_int_equal(r.exited, 1);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.truncated, 1);
	assert_int_equal(r.len, 1000);
	build_exec_result_release(&r);

	char *failing[] = { "sh", "-c", "echo out; echo err >&2; exit 7", NULL };
	assert_int_equal(build_exec(failing, 30, 1000, &r, &e), 0);
	assert_int_equal(r.status, 7);
	assert_non_null(strstr(r.output, "out\n"));
	assert_non_null(strstr(r.output, "err\n"));
	build_exec_result_release(&r);

	char *missing[] = { "/nonexistent/prog", NULL };
	assert_int_equal(build_exec(missing, 30, 1000, &r, &e), -1);
	assert_int_equal(e.code, EXIT_ENVIRONMENT);
	assert_non_null(strstr(e.msg, "/nonexistent/prog"));
}

/* --- sources that are not compiled --- */

static void test_prebuilt_and_unsupported(void **state)
{
	struct fixture *f = *state;
	char so[PATH_MAX + 16];
	snprintf(so, sizeof so, "%s/pre.so", f->dir);
	write_text(so, "abc");
	struct claim c = { .dir = f->dir };
	struct claim_impl impl = { .source = "pre.so", .entry = "k" };
	struct build_result r;
	struct errbuf e = { 0 };
	/* No nvcc needed for a prebuilt object. */
	setenv("NVCC", "/nonexistent/nvcc", 1);
	assert_int_equal(build_impl(&c, &impl, NULL, &r, &e), 0);
	assert_string_equal(r.so_sha256,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_string_equal(r.source_sha256, r.so_sha256);
	assert_string_equal(r.nvcc_version, "");
	assert_non_null(strstr(r.so_path, "/pre.so"));
	unsetenv("NVCC");

	/* Not an ELF object: dlopen's complaint, as bad input. */
	assert_int_equal(build_check_entry(so, "k", &e), -1);
	assert_int_equal(e.code, EXIT_BAD_INPUT);
	assert_non_null(strstr(e.msg, "cannot load"));
	assert_int_equal(build_check_entry("/nonexistent/x.so", "k", &e), -1);
	assert_int_equal(e.code, EXIT_BAD_INPUT);

	impl.source = "k.cpp";
	assert_int_equal(build_impl(&c, &impl, NULL, &r, &e), -1);
	assert_int_equal(e.code, EXIT_BAD_INPUT);
	assert_non_null(strstr(e.msg, "expected .cu or .so"));
	impl.source = "missing.cu";
	assert_int_equal(build_impl(&c, &impl, NULL, &r, &e), -1);
	assert_int_equal(e.code, EXIT_BAD_INPUT);
	assert_non_null(strstr(e.msg, "missing.cu"));
}

/* A dependency that is gone (as libcudart is on a machine without the
 * toolkit) is the environment's fault, not the claim's. */
static void test_missing_dependency(void **state)
{
	struct fixture *f = *state;
	char script[PATH_MAX + 600];
	snprintf(script, sizeof script,
		 "cd '%s' && printf 'int dep(void){return 1;}\\n' > dep.c && "
		 "printf 'int dep(void); int entry(void){return dep();}\\n' > m.c && "
		 "cc -shared -fPIC -o libkdep.so dep.c && "
		 "cc -shared -fPIC -o m.so m.c -L. -lkdep && rm libkdep.so", f->dir);
	char *sh[] = { "sh", "-c", script, NULL };
	struct build_exec_result r;
	struct errbuf e = { 0 };
	assert_int_equal(build_exec(sh, 60, 4096, &r, &e), 0);
	if (!r.exited || r.status != 0)
		fail_msg("%s", r.output);
	build_exec_result_release(&r);
	char so[PATH_MAX + 16];
	snprintf(so, sizeof so, "%s/m.so", f->dir);
	assert_int_equal(build_check_entry(so, "entry", &e), -1);
	assert_int_equal(e.code, EXIT_ENVIRONMENT);
	assert_non_null(strstr(e.msg, "libkdep.so"));
}

/* --- real nvcc (skipped when the toolkit is absent) --- */

static int have_nvcc(void)
{
	char p[PATH_MAX];
	struct errbuf e;
	return build_find_nvcc(p, sizeof p, &e) == 0;
}

static void test_real_compile_and_load(void **state)
{
	struct fixture *f = *state;
	if (!have_nvcc())
		skip();
	char src[PATH_MAX + 16];
	snprintf(src, sizeof src, "%s/tiny.cu", f->dir);
	write_text(src,
		   "#include \"kaudit/launcher.h\"\n"
		   "__global__ void twice(float *y, const float *x, int64_t n)\n"
		   "{ int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;\n"
		   "  if (i < n) y[i] = 2.0f * x[i]; }\n"
		   "KAUDIT_ENTRY(tiny_entry)\n"
		   "{ int64_t n = kaudit_numel(&l->buffers[0]);\n"
		   "  twice<<<(unsigned)((n + 255) / 256), 256, 0, (cudaStream_t)l->stream>>>(\n"
		   "    (float *)l->buffers[1].data, (const float *)l->buffers[0].data, n);\n"
		   "  return cudaGetLastError() == cudaSuccess ? 0 : 1; }\n");
	struct claim c = { .dir = f->dir };
	struct claim_impl impl = { .source = "tiny.cu", .entry = "tiny_entry" };
	struct build_opts o = { .arch = "sm_90", .include_dir = f->include };
	struct build_result r;
	struct errbuf e = { 0 };
	int rc = build_impl(&c, &impl, &o, &r, &e);
	if (rc < 0)
		fail_msg("%s\n%s", e.msg, r.log ? r.log : "");
	assert_int_equal(r.cached, 0);
	assert_non_null(strstr(r.nvcc_version, "release"));
	assert_int_equal(strlen(r.so_sha256), 64);

	/* Loads without a GPU or driver: libcudart only looks for libcuda at
	 * the first runtime call. */
	assert_int_equal(build_check_entry(r.so_path, "tiny_entry", &e), 0);
	assert_int_equal(build_check_entry(r.so_path, "missing_entry", &e), -1);
	assert_int_equal(e.code, EXIT_BAD_INPUT);
	assert_non_null(strstr(e.msg, "'missing_entry' not found"));

	/* The object finds the toolkit's runtime through its rpath. */
	char *readelf[] = { "readelf", "-d", r.so_path, NULL };
	struct build_exec_result x;
	if (build_exec(readelf, 30, 1 << 16, &x, &e) == 0) {
		assert_non_null(strstr(x.output, "lib64"));
		assert_non_null(strstr(x.output, "libcudart.so"));
		build_exec_result_release(&x);
	}

	struct build_result again;
	assert_int_equal(build_impl(&c, &impl, &o, &again, &e), 0);
	assert_int_equal(again.cached, 1);
	assert_string_equal(again.so_sha256, r.so_sha256);
	build_result_release(&again);
	build_result_release(&r);
}

static void test_real_compile_error(void **state)
{
	struct fixture *f = *state;
	if (!have_nvcc())
		skip();
	char src[PATH_MAX + 16];
	snprintf(src, sizeof src, "%s/broken.cu", f->dir);
	write_text(src, "#include \"kaudit/launcher.h\"\n"
			"KAUDIT_ENTRY(broken) { return undeclared_name; }\n");
	struct claim c = { .dir = f->dir };
	struct claim_impl impl = { .source = "broken.cu", .entry = "broken" };
	struct build_opts o = { .arch = "sm_90", .include_dir = f->include };
	struct build_result r;
	struct errbuf e = { 0 };
	assert_int_equal(build_impl(&c, &impl, &o, &r, &e), -1);
	assert_int_equal(e.code, EXIT_BAD_INPUT);
	assert_non_null(strstr(e.msg, "broken.cu"));
	assert_non_null(strstr(e.msg, "undeclared_name"));
	assert_non_null(r.log);
	assert_non_null(strstr(r.log, "undeclared_name"));
	assert_string_equal(r.so_path, "");
	build_result_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_key),
		cmocka_unit_test_setup_teardown(test_includes_followed, setup, teardown),
		cmocka_unit_test(test_argv_shape),
		cmocka_unit_test_setup_teardown(test_flags_never_through_a_shell, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_nvcc, setup, teardown),
		cmocka_unit_test(test_refused_flags),
		cmocka_unit_test(test_arch_choice),
		cmocka_unit_test(test_exec_limits),
		cmocka_unit_test_setup_teardown(test_prebuilt_and_unsupported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_dependency, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_compile_and_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_compile_error, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
