/*
 * bench_python.c - what the Python path costs per call: `kaudit verify
 * --quick` of the same scaled matmul (64x64 f32) as a C launcher pair and
 * as a KernelBench Model/ModelNew pair, on the host test double (its
 * timings are a fake clock: only the wall time is measured here).  Prints
 * the best of three wall times of each, the calls its trace records, and
 * the difference per call: an upper bound of the Python path's per-call
 * overhead, since the interpreter's start, torch's import in each worker
 * and the import of each side in the build are in it.  A third run takes
 * both inputs from the problem's get_inputs() (init: {dist: get_inputs}):
 * its difference from the second is what making a case's inputs in their
 * own interpreter costs.
 * Skips (exit 0, a note) without a python3 that has torch or without the
 * test plugin.  $KAUDIT names the binary (make bench sets it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "bench_python: cannot write %s\n", path);
		exit(2);
	}
}

static const char impl_c[] =
	"#include \"kaudit/launcher.h\"\n"
	"KAUDIT_ENTRY(mm)\n{\n"
	"\tconst float *a = l->buffers[0].data, *b = l->buffers[1].data;\n"
	"\tfloat *c = l->buffers[2].data;\n"
	"\tfor (int i = 0; i < 64; i++)\n\t\tfor (int j = 0; j < 64; j++) {\n"
	"\t\t\tfloat s = 0;\n\t\t\tfor (int k = 0; k < 64; k++)\n"
	"\t\t\t\ts += a[i * 64 + k] * b[k * 64 + j];\n"
	"\t\t\tc[i * 64 + j] = 2.0f * s;\n\t\t}\n\treturn 0;\n}\n";

static const char claim_fmt[] =
	"kaudit: 1\nclaim: {title: bench}\nkernels:\n  - id: mm\n    claimed_speedup: 1.0\n"
	"    baseline:  %s\n    candidate: %s\n    params: {M: 64}\n    buffers:\n"
	"      - {name: A, role: in, dtype: f32, shape: [M, M]}\n"
	"      - {name: B, role: in, dtype: f32, shape: [M, M]}\n"
	"      - {name: C, role: out, dtype: f32, shape: [M, M]}\n"
	"    tolerance: {rtol: 1.0e-4, atol: 1.0e-4}\n";

/* Wall time of verify on CLAIM, and the calls its trace records. */
static double run(const char *kaudit, const char *dir, const char *claim, int quick,
		  long *calls)
{
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "cd '%s' && '%s' verify %s %s -o %s.kat "
		 ">/dev/null 2>&1", dir, kaudit, claim, quick ? "--quick" : "", claim);
	double t0 = now();
	int rc = system(cmd);
	double t = now() - t0;
	if (rc != 0) {
		fprintf(stderr, "bench_python: verify %s failed (%d)\n", claim, rc);
		exit(1);
	}
	/* Every call leaves one record naming its call index; count the distinct ones. */
	snprintf(cmd, sizeof cmd, "cd '%s' && gzip -dc %s.kat | grep -o '\"call\":[0-9]*' | "
		 "sort -u | wc -l", dir, claim);
	FILE *p = popen(cmd, "r");
	*calls = 0;
	if (!p || fscanf(p, "%ld", calls) != 1)
		*calls = 0;
	if (p)
		pclose(p);
	return t;
}

int main(void)
{
	const char *kaudit = getenv("KAUDIT");
	if (!kaudit) {
		fprintf(stderr, "bench_python: set KAUDIT\n");
		return 2;
	}
	char plugin[4096];
	snprintf(plugin, sizeof plugin, "%s", kaudit);
	char *slash = strrchr(plugin, '/');
	snprintf(slash ? slash + 1 : plugin, sizeof plugin - (size_t)(slash ? slash + 1 - plugin : 0),
		 "plugins/host_plugin.so");
	const char *py = getenv("KAUDIT_PYTHON") ? getenv("KAUDIT_PYTHON") : "/usr/bin/python3";
	char probe[4200];
	snprintf(probe, sizeof probe, "'%s' -c 'import torch' >/dev/null 2>&1", py);
	if (access(plugin, R_OK) != 0 || system(probe) != 0) {
		printf("bench_python: skipped (needs %s and a python3 with torch)\n", plugin);
		return 0;
	}
	setenv("KAUDIT_GPU_LIB", plugin, 1);
	setenv("KAUDIT_PYTHON", py, 1);
	char repo[4096], dir[] = "/tmp/kaudit-bench-python.XXXXXX";
	char keydir[] = "/tmp/kaudit-bench-key.XXXXXX";
	if (!getcwd(repo, sizeof repo) || !mkdtemp(dir) || !mkdtemp(keydir))
		return 2;
	/* The key stays out of the claim's tree (verify refuses it there). */
	char keycmd[512];
	snprintf(keycmd, sizeof keycmd, "openssl genpkey -algorithm ed25519 -out %s/key.pem "
		 "2>/dev/null && chmod 600 %s/key.pem", keydir, keydir);
	if (system(keycmd) != 0)
		return 2;
	static char keyopt[128];
	snprintf(keyopt, sizeof keyopt, "%s/key.pem", keydir);
	setenv("KAUDIT_KEY", keyopt, 1);
	if (chdir(dir) != 0)
		return 2;
	put("impl.c", impl_c);
	put("problem.py", "import torch\nimport torch.nn as nn\n\n"
			  "class Model(nn.Module):\n    def forward(self, A, B):\n"
			  "        return torch.matmul(A, B) * 2.0\n\n"
			  "def get_inputs():\n    return [torch.randn(64, 64), torch.randn(64, 64)]\n\n"
			  "def get_init_inputs():\n    return []\n");
	put("model_new.py", "import torch\nimport torch.nn as nn\n\n"
			    "class ModelNew(nn.Module):\n    def forward(self, A, B):\n"
			    "        return torch.mm(A * 2.0, B)\n");
	char c_claim[2048], py_claim[2048], gi_claim[2400];
	snprintf(c_claim, sizeof c_claim, claim_fmt, "{source: impl.so, entry: mm}",
		 "{source: impl.so, entry: mm}");
	snprintf(py_claim, sizeof py_claim, claim_fmt, "{python: problem.py, entry: Model}",
		 "{python: model_new.py, entry: ModelNew}");
	snprintf(gi_claim, sizeof gi_claim, claim_fmt, "{python: problem.py, entry: Model}",
		 "{python: model_new.py, entry: ModelNew}");
	/* The same claim with both inputs from get_inputs(). */
	for (char *at = gi_claim; (at = strstr(at, "role: in, dtype: f32, shape: [M, M]}"));) {
		char rest[2400];
		at += strlen("role: in, dtype: f32, shape: [M, M]");
		snprintf(rest, sizeof rest, "%s", at);
		snprintf(at, sizeof gi_claim - (size_t)(at - gi_claim),
			 ", init: {dist: get_inputs}%s", rest);
	}
	put("c.yaml", c_claim);
	put("py.yaml", py_claim);
	put("gi.yaml", gi_claim);
	char cc[4300];
	snprintf(cc, sizeof cc, "cc -O2 -shared -fPIC -I'%s/include' -o impl.so impl.c", repo);
	if (system(cc) != 0)
		return 2;
	/* The best of three runs each: the machine is shared. */
	const char *claims[3] = { "c.yaml", "py.yaml", "gi.yaml" };
	const char *what[3] = { "C launchers", "Python", "get_inputs" };
	double best[3] = { 1e30, 1e30, 1e30 };
	long calls[3] = { 0, 0, 0 };
	for (int i = 0; i < 3; i++) {
		for (int r = 0; r < 3; r++) {
			double t = run(kaudit, dir, claims[i], 0, &calls[i]);
			if (t < best[i])
				best[i] = t;
		}
		printf("bench_python: %-11s %6.2f s wall (best of 3), %4ld calls\n", what[i],
		       best[i], calls[i]);
	}
	if (calls[0] > 0 && calls[1] > 0)
		printf("bench_python: %.0f us more per call on the host double (64x64 f32 matmul), "
		       "an upper bound: the interpreter's start, torch's import per worker and "
		       "the two builds are in it\n",
		       (best[1] / (double)calls[1] - best[0] / (double)calls[0]) * 1e6);
	printf("bench_python: %.2f s more per case to make the inputs with get_inputs() in an "
	       "interpreter of their own\n", best[2] - best[1]);
	char rm[256];
	snprintf(rm, sizeof rm, "rm -rf '%s' '%s'", dir, keydir);
	if (system(rm) != 0)
		return 1;
	return 0;
}
