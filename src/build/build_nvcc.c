/*
 * build_nvcc.c - finding nvcc, asking its version, choosing the GPU
 * architecture and writing its command line.
 */
#include "build/build_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

static int copy_path(char *out, size_t outsz, const char *path, struct errbuf *e)
{
	int n = snprintf(out, outsz, "%s", path);
	if (n < 0 || (size_t)n >= outsz)
		return errbuf_set(e, EXIT_ENVIRONMENT, "path too long: '%s'", path);
	return 0;
}

/* First executable NAME in $PATH; 0 when found. */
static int search_path(const char *name, char *out, size_t outsz)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		return -1;
	while (*path) {
		size_t len = strcspn(path, ":");
		/* An empty PATH entry means the current directory. */
		int n = len ? snprintf(out, outsz, "%.*s/%s", (int)len, path, name)
			    : snprintf(out, outsz, "./%s", name);
		if (n > 0 && (size_t)n < outsz && is_executable(out))
			return 0;
		path += len;
		if (*path == ':')
			path++;
	}
	return -1;
}

static int find_nvcc(char *out, size_t outsz, struct errbuf *e);

int build_find_nvcc(char *out, size_t outsz, struct errbuf *e)
{
	if (find_nvcc(out, outsz, e) < 0)
		return -1;
	if (out[0] == '/')
		return 0;
	char cwd[PATH_MAX], abs[PATH_MAX * 2];
	if (!getcwd(cwd, sizeof cwd))
		return errbuf_set(e, EXIT_ENVIRONMENT, "cannot make '%s' absolute: %s", out,
				  strerror(errno));
	snprintf(abs, sizeof abs, "%s/%s", cwd, out);
	return copy_path(out, outsz, abs, e);
}

static int find_nvcc(char *out, size_t outsz, struct errbuf *e)
{
	const char *env = getenv("NVCC");
	if (env && *env) {
		if (!strchr(env, '/')) {
			if (search_path(env, out, outsz) == 0)
				return 0;
		} else if (is_executable(env)) {
			return copy_path(out, outsz, env, e);
		}
		return errbuf_set(e, EXIT_ENVIRONMENT,
				  "nvcc not found: $NVCC is '%s', which is not an executable file",
				  env);
	}
	const char *home = getenv("CUDA_HOME");
	if (home && *home) {
		char p[PATH_MAX];
		int n = snprintf(p, sizeof p, "%s/bin/nvcc", home);
		if (n > 0 && (size_t)n < sizeof p && is_executable(p))
			return copy_path(out, outsz, p, e);
	}
	if (is_executable("/usr/local/cuda/bin/nvcc"))
		return copy_path(out, outsz, "/usr/local/cuda/bin/nvcc", e);
	if (search_path("nvcc", out, outsz) == 0)
		return 0;
	return errbuf_set(e, EXIT_ENVIRONMENT,
			  "nvcc not found (looked at $NVCC, $CUDA_HOME/bin/nvcc, "
			  "/usr/local/cuda/bin/nvcc and PATH); install the CUDA toolkit "
			  "or set NVCC");
}

int build_nvcc_version(const char *nvcc, char **full, char *release, size_t relsz,
		       struct errbuf *e)
{
	char *argv[] = { (char *)nvcc, (char *)"--version", NULL };
	struct build_exec_result r;
	if (build_exec(argv, BUILD_VERSION_TIMEOUT_S, 64 * 1024, &r, e) < 0)
		return -1;
	if (!r.exited || r.status != 0) {
		build_exec_result_release(&r);
		return errbuf_set(e, EXIT_ENVIRONMENT, "'%s --version' failed%s", nvcc,
				  r.timed_out ? " (timed out)" : "");
	}
	/* "Cuda compilation tools, release 13.0, V13.0.88" */
	release[0] = '\0';
	const char *line = strstr(r.output, "release ");
	if (line) {
		while (line > r.output && line[-1] != '\n')
			line--;
		size_t len = strcspn(line, "\r\n");
		snprintf(release, relsz, "%.*s", (int)len, line);
	} else {
		/* Not a format we know: keep the first line rather than nothing. */
		snprintf(release, relsz, "%.*s", (int)strcspn(r.output, "\r\n"), r.output);
	}
	*full = r.output;
	r.output = NULL;
	return 0;
}

void build_cuda_libdir(const char *nvcc, char *out, size_t outsz)
{
	out[0] = '\0';
	const char *slash = strrchr(nvcc, '/');
	if (!slash)
		return;
	/* NVCC is <toolkit>/bin/nvcc: the runtime is in <toolkit>/lib64.  Only
	 * <toolkit> is resolved; lib64 stays as named (often a link to lib). */
	char dir[PATH_MAX], real[PATH_MAX];
	int n = snprintf(dir, sizeof dir, "%.*s/..", (int)(slash - nvcc), nvcc);
	if (n < 0 || (size_t)n >= sizeof dir || !realpath(dir, real))
		return;
	n = snprintf(dir, sizeof dir, "%s/lib64", real);
	struct stat st;
	if (n < 0 || (size_t)n >= sizeof dir || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return;
	snprintf(out, outsz, "%s", dir);
}

int build_gpu_visible(void)
{
	return access("/dev/nvidia0", F_OK) == 0;
}

static int valid_arch_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", *s))
			return 0;
	return 1;
}

int build_arch_args(const char *arch, int gpu_visible, struct build_argv *out,
		    struct errbuf *e)
{
	const char *source = "the architecture option";
	if (!arch || !*arch) {
		arch = getenv("KAUDIT_ARCH");
		source = "$KAUDIT_ARCH";
	}
	if (!arch || !*arch) {
		if (gpu_visible) {
			arch = "native";
		} else {
			static const char *const portable[] = { BUILD_PORTABLE_ARCH };
			for (size_t i = 0; i < sizeof portable / sizeof portable[0]; i++)
				build_argv_push(out, portable[i]);
			return 0;
		}
	}
	if (!valid_arch_name(arch))
		return errbuf_set(e, EXIT_BAD_INPUT,
				  "invalid GPU architecture '%s' in %s (expected a name such as "
				  "sm_90, native or all)", arch, source);
	char buf[128];
	int n = snprintf(buf, sizeof buf, "-arch=%s", arch);
	if (n < 0 || (size_t)n >= sizeof buf)
		return errbuf_set(e, EXIT_BAD_INPUT, "GPU architecture name too long in %s",
				  source);
	build_argv_push(out, buf);
	return 0;
}

int build_check_flags(const char *root, char *const *flags, size_t n,
		      struct claim_nvcc_flags *out, struct errbuf *e)
{
	size_t bad = 0;
	struct errbuf msg;
	if (claim_flags_check(flags, n, root, out, &bad, &msg) != 0)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s", msg.msg);
	return 0;
}

/* The part every nvcc run shares: compiler, defaults, launcher headers,
 * architecture. */
static void common_argv(struct build_argv *a, const char *nvcc, const char *incdir,
			const struct build_argv *arch)
{
	static const char *const fixed[] = {
		"-shared", "-Xcompiler", "-fPIC", "-cudart", "shared", "-O3", "-std=c++17",
	};
	build_argv_push(a, nvcc);
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		build_argv_push(a, fixed[i]);
	build_argv_push(a, "-I");
	build_argv_push(a, incdir);
	for (size_t i = 0; i < arch->n; i++)
		build_argv_push(a, arch->v[i]);
}

void build_compile_argv(struct build_argv *a, const char *nvcc, const char *incdir,
			const struct build_argv *arch, const char *libdir,
			char *const *flags, size_t nflags, const char *out,
			const char *source)
{
	common_argv(a, nvcc, incdir, arch);
	if (libdir && *libdir) {
		/* Loads the toolkit's libcudart wherever the .so is used. */
		char rpath[PATH_MAX + 16];
		snprintf(rpath, sizeof rpath, "-rpath,%s", libdir);
		build_argv_push(a, "-Xlinker");
		build_argv_push(a, rpath);
	}
	/* Manifest flags last, so they can override the defaults (-O2, -std). */
	for (size_t i = 0; i < nflags; i++)
		build_argv_push(a, flags[i]);
	build_argv_push(a, "-o");
	build_argv_push(a, out);
	build_argv_push(a, source);
}

void build_depend_argv(struct build_argv *a, const char *nvcc, const char *incdir,
		       const struct build_argv *arch, char *const *flags, size_t nflags,
		       const char *depfile, const char *source)
{
	common_argv(a, nvcc, incdir, arch);
	for (size_t i = 0; i < nflags; i++)
		build_argv_push(a, flags[i]);
	build_argv_push(a, "-M");
	build_argv_push(a, "-MF");
	build_argv_push(a, depfile);
	build_argv_push(a, source);
}

void build_toolkit_root(const char *nvcc, char *out, size_t outsz)
{
	out[0] = '\0';
	const char *slash = strrchr(nvcc, '/');
	char dir[PATH_MAX], real[PATH_MAX];
	if (!slash)
		return;
	int n = snprintf(dir, sizeof dir, "%.*s/..", (int)(slash - nvcc), nvcc);
	if (n < 0 || (size_t)n >= sizeof dir || !realpath(dir, real) || strcmp(real, "/") == 0)
		return;
	snprintf(out, outsz, "%s", real);
}

void build_host_include_dirs(struct build_argv *out)
{
	char *argv[] = { "gcc", "-xc++", "-E", "-v", "-o", "/dev/null", "/dev/null", NULL };
	struct build_exec_result r;
	struct errbuf e;
	if (build_exec(argv, BUILD_VERSION_TIMEOUT_S, 64 * 1024, &r, &e) < 0)
		return;
	/* Between "#include <...> search starts here:" and "End of search
	 * list.", one directory per line, indented by a space. */
	const char *p = r.exited && r.status == 0 ? strstr(r.output, "<...> search starts here:")
						  : NULL;
	if (p)
		p = strchr(p, '\n');
	while (p && *p == '\n') {
		p++;
		size_t len = strcspn(p, "\n");
		if (len == 0 || p[0] != ' ')
			break;
		char dir[PATH_MAX];
		/* " /usr/include/c++/12", possibly " /path (framework directory)" */
		size_t skip = strspn(p, " ");
		size_t dlen = strcspn(p + skip, " \n");
		if (dlen > 0 && dlen < sizeof dir && p[skip] == '/') {
			snprintf(dir, sizeof dir, "%.*s", (int)dlen, p + skip);
			build_argv_push(out, dir);
		}
		p += len;
	}
	build_exec_result_release(&r);
}
