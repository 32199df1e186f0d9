/*
 * bench_summary.c - `kaudit summary` over the shards of one big job array:
 * 10,000 small signed traces, shard I/10000 of a claim of 10,000 cases,
 * one case each (20 timed calls), whose stored findings, verdicts and
 * predicate are what kaudit's detectors give, so summary checks each one
 * in full.  Also over the first 1,000, to see that the time per trace
 * stays flat (summary is linear in the traces).  Prints wall time and the
 * child's peak RSS; exits 1 when summary over all 10,000 does not exit 0
 * or does not cover every case once, when 10,000 take more than 15x the
 * time of 1,000, or when it peaks above 256 MB.
 *
 * $KAUDIT names the binary (make bench sets it); BENCH_SUMMARY_TRACES
 * changes the 10,000.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "detect/detect.h"
#include "trace/trace.h"

#define RSS_LIMIT_KB (256 * 1024)
#define CALLS 20

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, const struct errbuf *e)
{
	fprintf(stderr, "bench_summary: %s: %s\n", what, e ? e->msg : "failed");
	exit(2);
}

static struct record *add(struct record_list *l, enum record_type t, int64_t c, int64_t call,
			  enum record_impl impl)
{
	struct record r;
	record_init(&r, t);
	r.case_index = c;
	r.call = call;
	r.impl = impl;
	r.phase = PHASE_TIMING;
	record_list_push(l, &r);
	return &l->v[l->n - 1];
}

/* Case C: CALLS timed calls, a 5x candidate (as bench_commands.c). */
static void make_case(struct record_list *l, int64_t c)
{
	struct record *k = add(l, REC_CASE, c, REC_NONE, IMPL_NONE);
	k->phase = PHASE_SETUP;
	k->u.kase.kernel = xstrdup("bench");
	k->u.kase.seed = c;
	k->u.kase.claimed = 4;
	k->u.kase.params = json_pack("{s:I}", "N", (json_int_t)c);
	int64_t t = 1000000, corr = 1;
	for (int64_t call = 0; call < CALLS; call++) {
		enum record_impl impl = call % 2 ? IMPL_CANDIDATE : IMPL_BASELINE;
		int64_t ns = impl == IMPL_BASELINE ? 100000 + call % 7 : 20000 + call % 5;
		struct record *e = add(l, REC_EVENT, c, call, IMPL_HARNESS);
		e->u.event.stream = 7, e->u.event.ts = t, e->u.event.role = xstrdup("start");
		struct record *a = add(l, REC_API, c, call, impl);
		a->u.api.name = xstrdup("cudaLaunchKernel");
		a->u.api.stream = 7, a->u.api.corr = corr, a->u.api.start = t;
		a->u.api.end = t + 1000, a->u.api.in_call = 1, a->u.api.thread = 1;
		struct record *kk = add(l, REC_KERNEL, c, call, impl);
		kk->u.kernel.name = xstrdup("k");
		kk->u.kernel.stream = 7, kk->u.kernel.corr = corr++;
		kk->u.kernel.start = t, kk->u.kernel.end = t + ns;
		e = add(l, REC_EVENT, c, call, IMPL_HARNESS);
		e->u.event.stream = 7, e->u.event.ts = t + ns, e->u.event.role = xstrdup("stop");
		struct record *s = add(l, REC_SAMPLE, c, call, impl);
		s->u.sample.round = call * 3 / CALLS, s->u.sample.index = call;
		s->u.sample.event_ns = (double)ns, s->u.sample.span_ns = (double)ns;
		s->u.sample.window_start = t, s->u.sample.window_end = t + ns;
		s->u.sample.span_start = t, s->u.sample.span_end = t + ns;
		s->u.sample.kernels = 1, s->u.sample.kernel_ns = (double)ns;
		s->u.sample.traced = 1;
		t += ns + 10000;
	}
}

static void put(struct trace_writer *w, struct record *r)
{
	struct errbuf e;
	if (trace_writer_add(w, r, &e) < 0)
		die("write", &e);
}

/* Shard I of N: the claim's case I, as verify --shard I/N writes it. */
static void generate(const char *path, const struct trace_key *key, int64_t i, int64_t n)
{
	struct errbuf e;
	struct trace_writer *w;
	if (trace_writer_open(path, &w, &e) < 0)
		die(path, &e);
	struct record h, d;
	record_init(&h, REC_HEADER);
	h.phase = PHASE_SETUP;
	h.u.header.version = 1;
	h.u.header.tool = xstrdup(KAUDIT_VERSION);
	h.u.header.time = xstrdup("2026-01-01T00:00:00Z");
	h.u.header.host = xstrdup("bench");
	h.u.header.synthetic = 1;
	h.u.header.root_seed = 1;
	h.u.header.manifest_text = xstrdup("kaudit: 1\nclaim: {title: bench summary}\n");
	h.u.header.manifest_sha256 = xstrdup("1111111111111111111111111111111111111111111111111111111111111111");
	h.u.header.pubkey = xstrdup(trace_key_public_pem(key));
	h.u.header.margin = 0.10;
	h.u.header.selection = trace_selection_json(n, NULL, i, n);
	record_init(&d, REC_DEVICE);
	d.phase = PHASE_SETUP;
	d.u.device.name = xstrdup("bench");
	d.u.device.uuid = xstrdup("GPU-bench");
	d.u.device.peak_bw = 2e12;
	struct record hc, dc;
	record_copy(&hc, &h);
	record_copy(&dc, &d);
	put(w, &hc);
	put(w, &dc);
	record_clear(&hc);
	record_clear(&dc);
	struct detect_stream *ds = detect_stream_new(0.10);
	detect_stream_global(ds, &d);
	struct record_list l = { NULL, 0, 0 };
	make_case(&l, i);
	detect_stream_case(ds, l.v, l.n);
	for (size_t k = 0; k < l.n; k++)
		put(w, &l.v[k]);
	record_list_free(&l);
	struct record_list found = { NULL, 0, 0 }, verdicts = { NULL, 0, 0 };
	if (detect_stream_finish(ds, &found, &verdicts) < 0)
		die("detectors", NULL);
	detect_stream_free(ds);
	for (size_t k = 0; k < found.n; k++)
		put(w, &found.v[k]);
	const struct record **v = xmalloc((verdicts.n + 1) * sizeof *v);
	for (size_t k = 0; k < verdicts.n; k++) {
		put(w, &verdicts.v[k]);
		v[k] = &verdicts.v[k];
	}
	json_t *pred = trace_predicate_of(&h.u.header, &d.u.device, v, verdicts.n);
	if (trace_writer_finish(w, key, pred, &e) < 0)
		die("finish", &e);
	json_decref(pred);
	free(v);
	record_list_free(&found);
	record_list_free(&verdicts);
	record_clear(&h);
	record_clear(&d);
}

struct run {
	double wall;
	long rss_kb;
	int status;
};

/* Runs ARGV with stdout to OUT (or /dev/null); its wall time and peak RSS. */
static struct run run(char *const argv[], const char *out)
{
	struct run r = { 0, 0, -1 };
	double t0 = now();
	pid_t pid = fork();
	if (pid < 0)
		die("fork", NULL);
	if (pid == 0) {
		int fd = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int null = open("/dev/null", O_WRONLY);
		if (fd >= 0)
			dup2(fd, 1);
		if (null >= 0)
			dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	int st;
	struct rusage ru;
	if (wait4(pid, &st, 0, &ru) != pid)
		die("wait4", NULL);
	r.wall = now() - t0;
	r.rss_kb = ru.ru_maxrss;
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	return r;
}

/* Generates shards [FROM, TO) of N in a child (a small parent forks the
 * commands: Linux carries peak RSS across exec). */
static void generate_range(const char *dir, const struct trace_key *key, int64_t from,
			   int64_t to, int64_t n)
{
	pid_t pid = fork();
	if (pid == 0) {
		char path[512];
		for (int64_t i = from; i < to; i++) {
			snprintf(path, sizeof path, "%s/bench-shard%05lldof%lld.kat", dir, (long long)i,
				 (long long)n);
			generate(path, key, i, n);
		}
		_exit(0);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("generate", NULL);
}

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	char path[512];
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
			unlink(path);
		}
	closedir(d);
	rmdir(dir);
}

int main(void)
{
	const char *kaudit = getenv("KAUDIT") ? getenv("KAUDIT") : "build/kaudit";
	int64_t n = getenv("BENCH_SUMMARY_TRACES") ? atoll(getenv("BENCH_SUMMARY_TRACES")) : 10000;
	if (n < 10)
		n = 10;
	char dir[] = "/tmp/bench_summary.XXXXXX";
	if (!mkdtemp(dir))
		return 2;
	char key_path[64], pub_path[80], few[64], all[64], out[80];
	snprintf(key_path, sizeof key_path, "%s/key.pem", dir);
	snprintf(pub_path, sizeof pub_path, "%s.pub", key_path);
	snprintf(few, sizeof few, "%s/few", dir);
	snprintf(all, sizeof all, "%s/all", dir);
	snprintf(out, sizeof out, "%s/summary.json", dir);
	struct errbuf e = { "", 0 };
	struct trace_key *key;
	if (trace_key_generate(key_path, &e) < 0 || trace_key_load(key_path, &key, &e) < 0)
		die("key", &e);
	setenv("KAUDIT_ALLOWED_SIGNERS", "", 1);
	mkdir(few, 0700);
	mkdir(all, 0700);
	double t0 = now();
	generate_range(few, key, 0, n / 10, n);
	generate_range(all, key, 0, n, n);
	printf("bench summary: %lld + %lld traces of one case each (generated in %.1f s)\n",
	       (long long)(n / 10), (long long)n, now() - t0);
	char *sum_few[] = { (char *)kaudit, "summary", "--pubkey", pub_path, few, NULL };
	char *sum_all[] = { (char *)kaudit, "summary", "--pubkey", pub_path, "--json", all, NULL };
	struct run a = run(sum_few, NULL);
	struct run b = run(sum_all, out);
	printf("  summary %6lld traces %7.2f s  %6.1f MB  %.2f ms/trace  exit %d\n",
	       (long long)(n / 10), a.wall, a.rss_kb / 1024.0, a.wall * 1e3 / (double)(n / 10),
	       a.status);
	printf("  summary %6lld traces %7.2f s  %6.1f MB  %.2f ms/trace  exit %d\n", (long long)n,
	       b.wall, b.rss_kb / 1024.0, b.wall * 1e3 / (double)n, b.status);
	int bad = 0;
	if (a.status != 1) { /* 90% of the claim's cases are missing */
		fprintf(stderr, "bench summary: over a tenth of the shards it must exit 1, not %d\n",
			a.status);
		bad = 1;
	}
	json_error_t je;
	json_t *doc = json_load_file(out, 0, &je);
	const json_t *c0 = json_array_get(json_object_get(doc, "claims"), 0);
	if (b.status != 0 || !c0 ||
	    json_integer_value(json_object_get(c0, "covered")) != n ||
	    json_integer_value(json_object_get(c0, "duplicated")) != 0 ||
	    !json_is_true(json_object_get(c0, "ok"))) {
		fprintf(stderr, "bench summary: over every shard it must exit 0 with every case "
			"covered once (exit %d)\n", b.status);
		bad = 1;
	}
	json_decref(doc);
	if (b.wall > 15 * a.wall + 1.0) {
		fprintf(stderr, "bench summary: 10x the traces took more than 15x the time\n");
		bad = 1;
	}
	if (a.rss_kb > RSS_LIMIT_KB || b.rss_kb > RSS_LIMIT_KB) {
		fprintf(stderr, "bench summary: peaked above 256 MB\n");
		bad = 1;
	}
	trace_key_free(key);
	if (!getenv("BENCH_KEEP")) {
		remove_dir(few);
		remove_dir(all);
		unlink(out);
		unlink(key_path);
		unlink(pub_path);
		rmdir(dir);
	}
	return bad;
}
