/*
 * test_build.c - the compile step: cache key, nvcc argv, the flag
 * allowlist reaching nvcc, the include scan and the dependency pass (what
 * the compile may read, and that nothing it must not read is shown), the
 * cache's recorded sha256 against a poisoned entry, errors, and (with the
 * CUDA toolkit) real nvcc runs plus dlopen checks.
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
		.launcher = launcher, .deps = includes,
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
	key_of("src", "-O3", "-arch=sm_90", "v13", "L", "claim h.cuh 00\n", k);
	assert_string_not_equal(base, k);
	/* Field boundaries count: moving bytes from one field to the next
	 * must not give the same key. */
	key_of("sr", "c-O3", "-arch=sm_90", "v13", "L", "", k);
	assert_string_not_equal(base, k);
}

/* Roots for F's scratch directory: the claim is F->dir/claim, kaudit's
 * headers the repository's include/, the toolkit F->dir/cuda. */
static void test_roots(const struct fixture *f, struct build_roots *r)
{
	memset(r, 0, sizeof *r);
	char p[PATH_MAX + 16];
	snprintf(p, sizeof p, "%s/claim", f->dir);
	mkdir(p, 0700);
	assert_non_null(realpath(p, r->claim));
	assert_non_null(realpath(f->include, r->kaudit));
	snprintf(p, sizeof p, "%s/cuda", f->dir);
	mkdir(p, 0700);
	assert_non_null(realpath(p, r->toolkit));
	build_roots_system(r);
}

#define SECRET "KAUDIT-FAKE-SECRET-5150"

/* Writes F->dir/outside/secret.pem, outside every root. */
static void write_secret(const struct fixture *f, char *path, size_t n)
{
	char d[PATH_MAX + 16];
	snprintf(d, sizeof d, "%s/outside", f->dir);
	mkdir(d, 0700);
	snprintf(path, n, "%s/outside/secret.pem", f->dir);
	write_text(path, "-----BEGIN PRIVATE KEY-----\n" SECRET "\n-----END PRIVATE KEY-----\n");
}

static void test_include_scan(void **state)
{
	struct fixture *f = *state;
	struct build_roots r;
	test_roots(f, &r);
	char secret[PATH_MAX + 32];
	write_secret(f, secret, sizeof secret);
	char p[PATH_MAX + 64], main_cu[PATH_MAX + 32];
	snprintf(p, sizeof p, "%s/inc", r.claim);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof p, "%s/inc/a.cuh", r.claim);
	write_text(p, "#include \"b.cuh\"\nint a;\n");
	snprintf(p, sizeof p, "%s/inc/b.cuh", r.claim);
	write_text(p, "int b;\n");
	snprintf(main_cu, sizeof main_cu, "%s/main.cu", r.claim);
	struct errbuf e = { 0 };

	/* Ordinary includes pass: system, launcher, nested claim headers. */
	const char *good = "#include <stdio.h>\n#include \"kaudit/launcher.h\"\n"
			   "  #  include \"inc/a.cuh\"\n// #include order matters\n"
			   "/* see #include guards */\nint x; // #include PROSE\n";
	write_text(main_cu, good);
	if (build_source_includes(&r, main_cu, good, NULL, 0, &e) != 0)
		fail_msg("%s", e.msg);

	/* The escapes, each refused with file:line, naming no contents. */
	char abs_inc[PATH_MAX + 64];
	snprintf(abs_inc, sizeof abs_inc, "#include \"%s\"\n", secret);
	snprintf(p, sizeof p, "%s/inc/evil.h", r.claim);
	assert_int_equal(symlink(secret, p), 0);
	char nested_bad[PATH_MAX + 64];
	snprintf(p, sizeof p, "%s/inc/c.cuh", r.claim);
	snprintf(nested_bad, sizeof nested_bad, "int c;\n#include \"%s\"\n", secret);
	write_text(p, nested_bad);
	char fifo[PATH_MAX + 64];
	snprintf(fifo, sizeof fifo, "%s/inc/fifo.h", r.claim);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ NULL /* abs_inc */, "main.cu:1: #include '/" },
		{ "int x;\n#include \"../outside/secret.pem\"\n", "main.cu:2: #include '../outside/secret.pem' reaches" },
		{ NULL /* climbing angled */, "main.cu:1: #include '../../../../../../../../" },
		{ "#include \"inc/evil.h\"\n", "main.cu:1: #include 'inc/evil.h' reaches" },
		{ "#include \"inc/c.cuh\"\n", "inc/c.cuh:2: #include '" },
		{ "#include \"inc/fifo.h\"\n", "main.cu:1: #include 'inc/fifo.h' is not a regular file" },
		{ "#define P \"x\"\n#include P\n", "main.cu:2: computed #include" },
		{ "/* a */ # /* b */ include_next P\n", "main.cu:1: computed #include" },
		{ "/* a\n b */ #include P\n", "main.cu:2: computed #include" },
		{ "#define Q\n \\\n#include Q\n", "main.cu:3: computed #include" },
		{ "#inc\\\nlude \"../outside/secret.pem\"\n", "main.cu:1: #include '../outside" },
		{ "?\?=include \"../outside/secret.pem\"\n", "main.cu:1: #include '../outside" },
		{ "/**/%: /* c */ include_next \"../outside/secret.pem\"\n", "main.cu:1: #include" },
		{ "int y; #import \"../outside/secret.pem\"\n", "main.cu:1: #include" },
		{ "#include \"../outs\\\nide/secret.pem\"\n", "main.cu:1: #include '../outside" },
		{ "#include \"/proc/self/environ\"\n", "main.cu:1: #include '/proc/self/environ' is absolute" },
	};
	char climb[PATH_MAX + 128];
	snprintf(climb, sizeof climb, "#include <../../../../../../../../../../../..%s>\n", secret);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *text = bad[i].text ? bad[i].text : i == 0 ? abs_inc : climb;
		write_text(main_cu, text);
		e.msg[0] = '\0';
		if (build_source_includes(&r, main_cu, text, NULL, 0, &e) == 0)
			fail_msg("case %zu accepted: %s", i, text);
		assert_int_equal(e.code, EXIT_BAD_INPUT);
		if (bad[i].want && strncmp(e.msg, bad[i].want, strlen(bad[i].want)) != 0)
			fail_msg("case %zu: %s", i, e.msg);
		assert_null(strstr(e.msg, SECRET));
	}
	/* A -I directory of the claim is searched too. */
	char *incdirs[] = { p };
	snprintf(p, sizeof p, "%s/inc", r.claim);
	const char *via_dir = "#include \"evil.h\"\n";
	write_text(main_cu, via_dir);
	assert_int_equal(build_source_includes(&r, main_cu, via_dir, incdirs, 1, &e), -1);
	assert_non_null(strstr(e.msg, "'evil.h' reaches"));
	build_roots_release(&r);
}

static void test_classify_and_parse(void **state)
{
	struct fixture *f = *state;
	struct build_roots r;
	test_roots(f, &r);
	char p[PATH_MAX + 32], real[PATH_MAX];
	const char *rel = NULL;
	snprintf(p, sizeof p, "%s/k.cu", r.claim);
	write_text(p, "x");
	assert_non_null(realpath(p, real));
	assert_string_equal(build_classify(&r, real, &rel), "claim");
	assert_string_equal(rel, "k.cu");
	snprintf(p, sizeof p, "%s/kaudit/launcher.h", r.kaudit);
	assert_string_equal(build_classify(&r, p, NULL), "kaudit");
	snprintf(p, sizeof p, "%s/include/x.h", r.toolkit);
	assert_string_equal(build_classify(&r, p, NULL), "toolkit");
	if (access("/usr/include/stdio.h", F_OK) == 0)
		assert_string_equal(build_classify(&r, "/usr/include/stdio.h", NULL), "system");
	assert_null(build_classify(&r, "/etc/passwd", NULL));
	assert_null(build_classify(&r, "/proc/self/environ", NULL));
	assert_null(build_classify(&r, "/dev/zero", NULL));
	/* kaudit's configuration (the signing key) is never readable. */
	snprintf(p, sizeof p, "%s/kaudit", r.claim);
	mkdir(p, 0700);
	snprintf(p, sizeof p, "%s", r.claim);
	setenv("XDG_CONFIG_HOME", p, 1);
	snprintf(p, sizeof p, "%s/kaudit/key.pem", r.claim);
	assert_null(build_classify(&r, p, NULL));
	unsetenv("XDG_CONFIG_HOME");

	struct build_argv deps = { 0 };
	struct errbuf e = { 0 };
	assert_int_equal(build_deps_parse("k.o : /x/k.cu \\\n    /x/a\\ b.h \\\n /y/d$x.h\n"
					  "/x/a\\ b.h:\n", &deps, &e), 0);
	assert_int_equal(deps.n, 3);
	assert_string_equal(deps.v[0], "/x/k.cu");
	assert_string_equal(deps.v[1], "/x/a b.h");
	assert_string_equal(deps.v[2], "/y/d$x.h");
	build_argv_release(&deps);

	/* A failed dependency pass shows only a line from a file it may. */
	char out[256], log[3 * PATH_MAX];
	snprintf(log, sizeof log,
		 "In file included from %s/k.cu:2:\n"
		 "/etc/passwd:1:2: error: invalid preprocessing directive #" SECRET "\n"
		 "    1 | #" SECRET "\n"
		 "%s/k.cu:3:10: fatal error: nothere.h: No such file or directory\n",
		 r.claim, r.claim);
	build_deps_diagnostic(&r, log, out, sizeof out);
	assert_non_null(strstr(out, "nothere.h: No such file"));
	assert_null(strstr(out, SECRET));
	snprintf(log, sizeof log, "/etc/passwd:1:2: error: #" SECRET "\n    1 | " SECRET "\n");
	build_deps_diagnostic(&r, log, out, sizeof out);
	assert_string_equal(out, "");
	build_roots_release(&r);
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

	/* The dependency pass: the same flags, -M -MF instead of the rpath and
	 * -o, so the preprocessor sees what the compile will. */
	build_depend_argv(&a, "/opt/nvcc", "/inc", &arch, flags, 4, "/work/deps.d", "/src/k.cu");
	const char *dwant[] = {
		"/opt/nvcc", "-shared", "-Xcompiler", "-fPIC", "-cudart", "shared", "-O3",
		"-std=c++17", "-I", "/inc", "-arch=sm_90", "-lineinfo", hostile, "-Xptxas", "-v",
		"-M", "-MF", "/work/deps.d", "/src/k.cu",
	};
	assert_int_equal(a.n, sizeof dwant / sizeof dwant[0]);
	for (size_t i = 0; i < a.n; i++)
		assert_string_equal(a.v[i], dwant[i]);
	build_argv_release(&a);
	build_argv_release(&arch);
}

/* A stand-in nvcc at F->dir/cuda/bin/nvcc (so its toolkit is F->dir/cuda).
 * The dependency pass (-M -MF FILE) writes a rule naming the source and
 * what <nvcc>.list holds (see fake_deps); a compile prints each argument
 * on its own line and writes the -o file (the same bytes every time).
 * Each run is counted in the cache directory (fake.deps, fake.runs): nvcc
 * runs confined, with a clean environment, and may write only there and
 * in its working directory. */
static void fake_nvcc(const struct fixture *f, char *path, size_t n)
{
	char d[PATH_MAX + 32];
	snprintf(d, sizeof d, "%s/cuda", f->dir);
	mkdir(d, 0700);
	snprintf(d, sizeof d, "%s/cuda/bin", f->dir);
	mkdir(d, 0700);
	snprintf(path, n, "%s/cuda/bin/nvcc", f->dir);
	write_text(path,
		   "#!/bin/sh\n"
		   "if [ \"$1\" = --version ]; then\n"
		   "  echo 'nvcc: fake'; echo 'Cuda compilation tools, release 99.1, V99.1.0'\n"
		   "  exit 0\n"
		   "fi\n"
		   "prev=; out=; mf=; src=\n"
		   "for a in \"$@\"; do [ \"$prev\" = -o ] && out=$a; [ \"$prev\" = -MF ] && mf=$a; "
		   "prev=$a; src=$a; done\n"
		   "if [ -n \"$mf\" ]; then\n"
		   "  echo dep >> \"${mf%/*}/../fake.deps\"\n"
		   "  printf 'k.o : %s %s\\n' \"$src\" \"$(cat \"$0.list\" 2>/dev/null)\" > \"$mf\"\n"
		   "  exit 0\n"
		   "fi\n"
		   "echo run >> \"${out%/*}/fake.runs\"\n"
		   "for a in \"$@\"; do printf 'ARG<%s>\\n' \"$a\"; done\n"
		   "printf 'not really an object\\n' > \"$out\"\n");
	assert_int_equal(chmod(path, 0755), 0);
}

/* What the stand-in's dependency pass lists besides the source (NULL:
 * nothing). */
static void fake_deps(const char *nvcc, const char *list)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof p, "%s.list", nvcc);
	if (list)
		write_text(p, list);
	else
		unlink(p);
}

/* Where the stand-in counts its runs. */
static void fake_counts(const struct fixture *f, char *runs, char *deps, size_t n)
{
	snprintf(runs, n, "%s/cache/kaudit/fake.runs", f->dir);
	if (deps)
		snprintf(deps, n, "%s/cache/kaudit/fake.deps", f->dir);
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

/* nvcc runs its sub-tools through sh -c, so a flag with shell syntax is
 * refused before nvcc ever runs; allowed flags reach it verbatim, one argv
 * entry each, and -I directories as real paths. */
static void test_flags_never_through_a_shell(void **state)
{
	struct fixture *f = *state;
	char nvcc[PATH_MAX + 16], src[PATH_MAX + 16], inc[PATH_MAX + 16];
	fake_nvcc(f, nvcc, sizeof nvcc);
	setenv("NVCC", nvcc, 1);
	snprintf(src, sizeof src, "%s/k.cu", f->dir);
	write_text(src, "// nothing to see\n");
	snprintf(inc, sizeof inc, "%s/inc", f->dir);
	assert_int_equal(mkdir(inc, 0700), 0);
	/* The canaries would appear in the working directory or the scratch
	 * directory if anything handed the flag to a shell. */
	assert_int_equal(chdir(f->dir), 0);
	char runs[PATH_MAX + 32], deps[PATH_MAX + 32];
	fake_counts(f, runs, deps, sizeof runs);

	char *hostile_flags[] = { "-DB=1", (char *)hostile };
	struct claim c = { .dir = f->dir };
	struct claim_impl impl = { .source = "k.cu", .entry = "k", .flags = hostile_flags,
				   .nflags = 2 };
	struct build_opts o = { .arch = "sm_90", .include_dir = f->include };
	struct build_result r;
	struct errbuf e = { 0 };
	assert_int_equal(build_impl(&c, &impl, &o, &r, &e), -1);
	assert_int_equal(e.code, EXIT_BAD_INPUT);
	assert_non_null(strstr(e.msg, "nvcc hands it to a shell"));
	assert_int_equal(count_lines(deps), 0);
	assert_int_equal(count_lines(runs), 0);
	build_result_release(&r);

	char *flags[] = { "-DB=1", "-lineinfo", "-Iinc", "-Xptxas", "-O3,-v" };
	impl.flags = flags;
	impl.nflags = 5;
	if (build_impl(&c, &impl, &o, &r, &e) != 0)
		fail_msg("%s", e.msg);
	assert_int_equal(r.cached, 0);
	assert_non_null(r.log);
	assert_non_null(strstr(r.log, "ARG<-DB=1>\n"));
	assert_non_null(strstr(r.log, "ARG<-lineinfo>\n"));
	assert_non_null(strstr(r.log, "ARG<-Xptxas>\nARG<-O3,-v>\n"));
	assert_non_null(strstr(r.log, "ARG<-arch=sm_90>\n"));
	char real[PATH_MAX], line[PATH_MAX + 16];
	assert_non_null(realpath(inc, real));
	snprintf(line, sizeof line, "ARG<-I%s>\n", real);
	assert_non_null(strstr(r.log, line));
	assert_string_equal(r.nvcc_version, "Cuda compilation tools, release 99.1, V99.1.0");
	assert_false(exists("CANARY1"));
	assert_false(exists("CANARY2"));
	assert_false(exists("CANARY3"));
	/* The dependency pass ran first; its output is not the log. */
	assert_int_equal(count_lines(deps), 1);
	assert_null(strstr(r.log, "ARG<-M>"));
	assert_int_equal(r.ndeps, 1);
	assert_string_equal(r.deps[0].path, "k.cu");
	assert_string_equal(r.deps[0].kind, "claim");
	assert_string_equal(r.deps[0].text, "// nothing to see\n");
	assert_string_equal(r.deps[0].sha256, r.source_sha256);

	/* Same inputs: the cache answers and nvcc does not compile again. */
	assert_int_equal(count_lines(runs), 1);
	struct build_result again;
	assert_int_equal(build_impl(&c, &impl, &o, &again, &e), 0);
	assert_int_equal(again.cached, 1);
	assert_string_equal(again.note, "");
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

/* The cache: 0700, objects and records 0444; a poisoned object (or one
 * without its record, or a link in its place) is rebuilt, with a note,
 * and the result is the honest object again. */
static void test_cache_poisoning(void **state)
{
	struct fixture *f = *state;
	char nvcc[PATH_MAX + 16], src[PATH_MAX + 16], runs[PATH_MAX + 32];
	fake_nvcc(f, nvcc, sizeof nvcc);
	setenv("NVCC", nvcc, 1);
	fake_counts(f, runs, NULL, sizeof runs);
	snprintf(src, sizeof src, "%s/k.cu", f->dir);
	write_text(src, "// honest\n");
	struct claim c = { .dir = f->dir };
	struct claim_impl impl = { .source = "k.cu", .entry = "k" };
	struct build_opts o = { .arch = "sm_90", .include_dir = f->include };
	struct build_result honest, r;
	struct errbuf e = { 0 };
	if (build_impl(&c, &impl, &o, &honest, &e) != 0)
		fail_msg("%s", e.msg);
	struct stat st;
	char cache[PATH_MAX + 32], rec[PATH_MAX + 16];
	snprintf(cache, sizeof cache, "%s/cache/kaudit", f->dir);
	assert_int_equal(stat(cache, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(honest.so_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0444);
	snprintf(rec, sizeof rec, "%.*s.sha256", (int)(strlen(honest.so_path) - 3),
		 honest.so_path);
	assert_int_equal(stat(rec, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0444);

	/* Overwrite the cached object: the next build does not trust it. */
	assert_int_equal(chmod(honest.so_path, 0644), 0);
	write_text(honest.so_path, "attacker's object\n");
	assert_int_equal(build_impl(&c, &impl, &o, &r, &e), 0);
	assert_int_equal(r.cached, 0);
	assert_non_null(strstr(r.note, "did not match the sha256 recorded"));
	assert_non_null(strstr(r.note, "rebuilt"));
	assert_string_equal(r.so_sha256, honest.so_sha256);
	assert_int_equal(count_lines(runs), 2);
	assert_int_equal(stat(honest.so_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0444);
	build_result_release(&r);

	/* Clean again: a plain hit, re-hashed. */
	assert_int_equal(build_impl(&c, &impl, &o, &r, &e), 0);
	assert_int_equal(r.cached, 1);
	assert_string_equal(r.note, "");
	build_result_release(&r);

	/* No record: rebuilt. */
	assert_int_equal(unlink(rec), 0);
	assert_int_equal(build_impl(&c, &impl, &o, &r, &e), 0);
	assert_int_equal(r.cached, 0);
	assert_non_null(strstr(r.note, "no recorded sha256"));
	assert_string_equal(r.so_sha256, honest.so_sha256);
	build_result_release(&r);

	/* A link in the object's place (even to a copy of the honest one). */
	char copy[PATH_MAX + 16];
	snprintf(copy, sizeof copy, "%s/copy.so", f->dir);
	write_text(copy, "not really an object\n");
	assert_int_equal(unlink(honest.so_path), 0);
	assert_int_equal(symlink(copy, honest.so_path), 0);
	assert_int_equal(build_impl(&c, &impl, &o, &r, &e), 0);
	assert_int_equal(r.cached, 0);
	assert_non_null(strstr(r.note, "not a regular file"));
	assert_int_equal(lstat(honest.so_path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_string_equal(r.so_sha256, honest.so_sha256);
	build_result_release(&r);

	/* A cache directory left open to others is closed again. */
	assert_int_equal(chmod(cache, 0777), 0);
	assert_int_equal(build_impl(&c, &impl, &o, &r, &e), 0);
	assert_int_equal(stat(cache, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	build_result_release(&r);
	build_result_release(&honest);
	unsetenv("NVCC");
}

/* What nvcc -M names outside the permitted directories stops the build
 * before the compile, naming the file and the source, showing nothing of
 * it; a header of the claim's is recorded with its text. */
static void test_dependency_pass(void **state)
{
	struct fixture *f = *state;
	char nvcc[PATH_MAX + 16], runs[PATH_MAX + 32], secret[PATH_MAX + 32];
	fake_nvcc(f, nvcc, sizeof nvcc);
	setenv("NVCC", nvcc, 1);
	fake_counts(f, runs, NULL, sizeof runs);
	write_secret(f, secret, sizeof secret);
	char dir[PATH_MAX + 16], p[3 * PATH_MAX];
	snprintf(dir, sizeof dir, "%s/claim", f->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(p, sizeof p, "%s/kernels", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof p, "%s/kernels/k.cu", dir);
	write_text(p, "#include \"common.cuh\"\n");
	snprintf(p, sizeof p, "%s/kernels/common.cuh", dir);
	write_text(p, "#define TRICK 1\n");
	struct claim c = { .dir = dir };
	struct claim_impl impl = { .source = "kernels/k.cu", .entry = "k" };
	struct build_opts o = { .arch = "sm_90", .include_dir = f->include };
	struct build_result r;
	struct errbuf e = { 0 };

	fake_deps(nvcc, secret);
	assert_int_equal(build_impl(&c, &impl, &o, &r, &e), -1);
	assert_int_equal(e.code, EXIT_BAD_INPUT);
	assert_non_null(strstr(e.msg, "kernels/k.cu"));
	assert_non_null(strstr(e.msg, "/outside/secret.pem"));
	assert_non_null(strstr(e.msg, "outside the claim, kaudit, toolkit and system"));
	assert_null(strstr(e.msg, SECRET));
	assert_true(!r.log || !strstr(r.log, SECRET));
	assert_int_equal(count_lines(runs), 0);
	build_result_release(&r);

	fake_deps(nvcc, "/proc/self/environ");
	assert_int_equal(build_impl(&c, &impl, &o, &r, &e), -1);
	assert_non_null(strstr(e.msg, "/proc/"));
	assert_int_equal(count_lines(runs), 0);
	build_result_release(&r);

	snprintf(p, sizeof p, "%s/kernels/common.cuh %s/kaudit/launcher.h", dir, f->include);
	fake_deps(nvcc, p);
	if (build_impl(&c, &impl, &o, &r, &e) != 0)
		fail_msg("%s", e.msg);
	assert_int_equal(r.ndeps, 3);
	assert_string_equal(r.deps[0].path, "kernels/k.cu");
	assert_string_equal(r.deps[1].path, "kernels/common.cuh");
	assert_string_equal(r.deps[1].kind, "claim");
	assert_string_equal(r.deps[1].text, "#define TRICK 1\n");
	char sha[65];
	sha256_hex("#define TRICK 1\n", 16, sha);
	assert_string_equal(r.deps[1].sha256, sha);
	assert_string_equal(r.deps[2].kind, "kaudit");
	assert_null(r.deps[2].text);
	assert_int_equal(r.deps[2].path[0], '/');
	char first[PATH_MAX];
	snprintf(first, sizeof first, "%s", r.so_path);
	build_result_release(&r);

	/* The header is in the key: changing it is another object. */
	snprintf(p, sizeof p, "%s/kernels/common.cuh", dir);
	write_text(p, "#define TRICK 2\n");
	snprintf(p, sizeof p, "%s/kernels/common.cuh", dir);
	fake_deps(nvcc, p);
	assert_int_equal(build_impl(&c, &impl, &o, &r, &e), 0);
	assert_int_equal(r.cached, 0);
	assert_string_not_equal(r.so_path, first);
	build_result_release(&r);

	/* A source outside the claim (a link, an absolute path): refused. */
	snprintf(p, sizeof p, "%s/kernels/leak.cu", dir);
	assert_int_equal(symlink(secret, p), 0);
	impl.source = "kernels/leak.cu";
	assert_int_equal(build_impl(&c, &impl, &o, &r, &e), -1);
	assert_non_null(strstr(e.msg, "outside the claim directory"));
	assert_null(strstr(e.msg, SECRET));
	build_result_release(&r);
	snprintf(p, sizeof p, "%s/outside/x.cu", f->dir);
	write_text(p, SECRET "\n");
	impl.source = p;
	assert_int_equal(build_impl(&c, &impl, &o, &r, &e), -1);
	assert_non_null(strstr(e.msg, "outside the claim directory"));
	build_result_release(&r);
	fake_deps(nvcc, NULL);
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
	struct fixture *f = *state;
	struct errbuf e = { 0 };
	struct claim_nvcc_flags nf;
	char root[PATH_MAX];
	assert_non_null(realpath(f->dir, root));
	char *ok[] = { "-lineinfo", "-O2", "-DX=1" };
	assert_int_equal(build_check_flags(root, ok, 3, &nf, &e), 0);
	assert_int_equal(nf.n, 3);
	claim_nvcc_flags_release(&nf);
	static char *const bypass[][3] = {
		{ "-O2", "-o", "/etc/passwd" },
		{ "--output-file=/tmp/x" },
		{ "-c" },
		{ "-Xlinker", "-o,/elsewhere" },
		{ "--linker-options=-o,/elsewhere" },
		{ "-Xlinker=--output=/elsewhere" },
		{ "-MD", "-MF", "/elsewhere" },
		{ "-odir", "/elsewhere" },
		{ "-ccbin", "/tmp/gcc" },
		{ "-Xcompiler", "-fplugin=/x.so" },
		{ "@/tmp/opts" },
	};
	for (size_t i = 0; i < sizeof bypass / sizeof bypass[0]; i++) {
		size_t n = bypass[i][2] ? 3 : bypass[i][1] ? 2 : 1;
		assert_int_equal(build_check_flags(root, bypass[i], n, NULL, &e), -1);
		assert_int_equal(e.code, EXIT_BAD_INPUT);
		assert_non_null(strstr(e.msg, "is not allowed (allowed:"));
	}
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
	assert_int_equal(r.ndeps, 1);
	assert_string_equal(r.deps[0].path, "pre.so");
	assert_string_equal(r.deps[0].kind, "claim");
	assert_string_equal(r.deps[0].sha256, r.so_sha256);
	assert_null(r.deps[0].text);
	build_result_release(&r);
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

	/* A prebuilt object outside the claim is refused too. */
	impl.source = "/usr/lib/no-such-dir/x.so";
	assert_int_equal(build_impl(&c, &impl, NULL, &r, &e), -1);
	char outside[PATH_MAX + 64];
	snprintf(outside, sizeof outside, "%s/../kaudit-test-build-outside.so", f->dir);
	write_text(outside, "abc");
	impl.source = outside;
	assert_int_equal(build_impl(&c, &impl, NULL, &r, &e), -1);
	assert_non_null(strstr(e.msg, "outside the claim directory"));
	unlink(outside);
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
	/* nvcc -M's list: the source first, then kaudit's header, the
	 * toolkit's and the system's, each hashed; only claim files carry
	 * their text. */
	int kinds[4] = { 0 };
	assert_string_equal(r.deps[0].path, "tiny.cu");
	assert_non_null(r.deps[0].text);
	for (size_t i = 0; i < r.ndeps; i++) {
		static const char *const names[] = { "claim", "kaudit", "toolkit", "system" };
		int known = 0;
		for (int k = 0; k < 4; k++)
			if (strcmp(r.deps[i].kind, names[k]) == 0)
				kinds[k]++, known = 1;
		assert_true(known);
		assert_int_equal(strlen(r.deps[i].sha256), 64);
		if (strcmp(r.deps[i].kind, "claim") != 0)
			assert_null(r.deps[i].text);
	}
	assert_int_equal(kinds[0], 1);
	assert_int_equal(kinds[1], 1);
	assert_true(kinds[2] > 0);
	assert_true(kinds[3] > 0);

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

/* The trick kept in kernels/common.cuh is recorded: path, kind, text and
 * sha256, as nvcc itself reports reading it. */
static void test_real_common_header(void **state)
{
	struct fixture *f = *state;
	if (!have_nvcc())
		skip();
	char p[PATH_MAX + 32];
	snprintf(p, sizeof p, "%s/kernels", f->dir);
	assert_int_equal(mkdir(p, 0700), 0);
	static const char common[] = "// the trick\n#define KAUDIT_TEST_SCALE 2.0f\n";
	snprintf(p, sizeof p, "%s/kernels/common.cuh", f->dir);
	write_text(p, common);
	snprintf(p, sizeof p, "%s/kernels/k.cu", f->dir);
	write_text(p, "#include \"kaudit/launcher.h\"\n#include \"common.cuh\"\n"
		      "KAUDIT_ENTRY(k) { (void)l; return KAUDIT_TEST_SCALE > 1.0f ? 0 : 1; }\n");
	struct claim c = { .dir = f->dir };
	struct claim_impl impl = { .source = "kernels/k.cu", .entry = "k" };
	struct build_opts o = { .arch = "sm_90", .include_dir = f->include };
	struct build_result r;
	struct errbuf e = { 0 };
	if (build_impl(&c, &impl, &o, &r, &e) < 0)
		fail_msg("%s\n%s", e.msg, r.log ? r.log : "");
	const struct build_dep *hit = NULL;
	for (size_t i = 0; i < r.ndeps; i++)
		if (strcmp(r.deps[i].path, "kernels/common.cuh") == 0)
			hit = &r.deps[i];
	assert_non_null(hit);
	assert_string_equal(hit->kind, "claim");
	assert_string_equal(hit->text, common);
	char sha[65];
	sha256_hex(common, strlen(common), sha);
	assert_string_equal(hit->sha256, sha);
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
		cmocka_unit_test_setup_teardown(test_include_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_classify_and_parse, setup, teardown),
		cmocka_unit_test(test_argv_shape),
		cmocka_unit_test_setup_teardown(test_flags_never_through_a_shell, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_nvcc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_poisoning, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dependency_pass, setup, teardown),
		cmocka_unit_test(test_arch_choice),
		cmocka_unit_test(test_exec_limits),
		cmocka_unit_test_setup_teardown(test_prebuilt_and_unsupported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_dependency, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_compile_and_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_common_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_compile_error, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
