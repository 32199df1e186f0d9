/*
 * bench_commands.c - the commands as a user runs them: `kaudit check`,
 * `kaudit inspect`, `kaudit report --markdown` and `kaudit export
 * --perfetto` on generated, signed,
 * consistent traces (30,000 small cases; 1,000,000 records in 100 cases;
 * with BENCH_BIG=1 also 10,000,000 records in 1,000 cases), each beside
 * `zcat` of the same file.  Prints wall time and the child's peak RSS
 * (wait4's rusage) per command, and exits 1 when check takes more than
 * twice zcat's time plus a second, or any command peaks above 256 MB
 * (kaudit-trace(5) ORDER: memory follows one case, not the trace).
 *
 * $KAUDIT names the binary (make bench sets it).
 */
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

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, const struct errbuf *e)
{
	fprintf(stderr, "bench_commands: %s: %s\n", what, e ? e->msg : "failed");
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

/* One case of CALLS timed calls (8 records each), as bench_detect.c has them. */
static void make_case(struct record_list *l, int64_t c, int64_t calls, int64_t *t, int64_t *corr)
{
	struct record *k = add(l, REC_CASE, c, REC_NONE, IMPL_NONE);
	k->phase = PHASE_SETUP;
	k->u.kase.kernel = xstrdup("bench");
	k->u.kase.seed = c;
	k->u.kase.claimed = 5;
	k->u.kase.params = json_pack("{s:I}", "N", (json_int_t)c);
	for (int64_t call = 0; call < calls; call++) {
		enum record_impl impl = call % 2 ? IMPL_CANDIDATE : IMPL_BASELINE;
		int64_t ns = impl == IMPL_BASELINE ? 100000 + call % 7 : 20000 + call % 5;
		struct record *e = add(l, REC_EVENT, c, call, IMPL_HARNESS);
		e->u.event.stream = 7, e->u.event.ts = *t, e->u.event.role = xstrdup("start");
		struct record *a = add(l, REC_API, c, call, impl);
		a->u.api.name = xstrdup("cudaLaunchKernel");
		a->u.api.stream = 7, a->u.api.corr = *corr, a->u.api.start = *t;
		a->u.api.end = *t + 1000, a->u.api.in_call = 1, a->u.api.thread = 1;
		for (int j = 0; j < 3; j++) {
			struct record *kk = add(l, REC_KERNEL, c, call, impl);
			kk->u.kernel.name = xstrdup("k");
			kk->u.kernel.stream = 7, kk->u.kernel.corr = *corr;
			kk->u.kernel.start = *t + j * ns / 3;
			kk->u.kernel.end = *t + (j + 1) * ns / 3;
		}
		(*corr)++;
		e = add(l, REC_EVENT, c, call, IMPL_HARNESS);
		e->u.event.stream = 7, e->u.event.ts = *t + ns, e->u.event.role = xstrdup("stop");
		struct record *a2 = add(l, REC_API, c, call, impl);
		a2->u.api.name = xstrdup("cudaGetLastError");
		a2->u.api.start = *t + 1000, a2->u.api.end = *t + 1100;
		a2->u.api.in_call = 1, a2->u.api.thread = 1;
		struct record *s = add(l, REC_SAMPLE, c, call, impl);
		s->u.sample.round = call * 3 / calls, s->u.sample.index = call;
		s->u.sample.event_ns = (double)ns, s->u.sample.span_ns = (double)ns;
		s->u.sample.window_start = *t, s->u.sample.window_end = *t + ns;
		s->u.sample.span_start = *t, s->u.sample.span_end = *t + ns;
		s->u.sample.kernels = 3, s->u.sample.kernel_ns = (double)ns;
		s->u.sample.traced = 1;
		*t += ns + 10000;
	}
}

static void put(struct trace_writer *w, struct record *r)
{
	struct errbuf e;
	if (trace_writer_add(w, r, &e) < 0)
		die("write", &e);
}

/* A signed trace of CASES cases of CALLS calls whose stored findings,
 * verdicts and predicate are what kaudit's detectors give, so that check
 * does all its work and finds it valid. */
static void generate(const char *path, const struct trace_key *key, int64_t cases, int64_t calls)
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
	h.u.header.manifest_text = xstrdup("kaudit: 1\nclaim: {title: bench}\n");
	h.u.header.manifest_sha256 = xstrdup("0000000000000000000000000000000000000000000000000000000000000000");
	h.u.header.pubkey = xstrdup(trace_key_public_pem(key));
	h.u.header.margin = 0.10;
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
	int64_t t = 1000000, corr = 1;
	struct record_list l = { NULL, 0, 0 };
	for (int64_t c = 0; c < cases; c++) {
		make_case(&l, c, calls, &t, &corr);
		detect_stream_case(ds, l.v, l.n);
		for (size_t i = 0; i < l.n; i++)
			put(w, &l.v[i]);
		record_list_free(&l);
		if (trace_writer_flush(w, &e) < 0)
			die("flush", &e);
	}
	struct record_list found = { NULL, 0, 0 }, verdicts = { NULL, 0, 0 };
	if (detect_stream_finish(ds, &found, &verdicts) < 0)
		die("detectors", NULL);
	detect_stream_free(ds);
	for (size_t i = 0; i < found.n; i++)
		put(w, &found.v[i]);
	const struct record **v = xmalloc((verdicts.n + 1) * sizeof *v);
	for (size_t i = 0; i < verdicts.n; i++) {
		put(w, &verdicts.v[i]);
		v[i] = &verdicts.v[i];
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

/* Runs ARGV with stdout to /dev/null; its wall time and peak RSS. */
static struct run run(char *const argv[])
{
	struct run r = { 0, 0, -1 };
	double t0 = now();
	pid_t pid = fork();
	if (pid < 0)
		die("fork", NULL);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
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

static int bench_one(const char *kaudit, const char *dir, const struct trace_key *key,
		     const char *name, int64_t cases, int64_t calls)
{
	char kat[512];
	snprintf(kat, sizeof kat, "%s/%s.kat", dir, name);
	/* Generated in a child: Linux carries a process's peak RSS across
	 * exec, so the commands must be forked from a small parent. */
	double t0 = now();
	pid_t pid = fork();
	if (pid == 0) {
		generate(kat, key, cases, calls);
		_exit(0);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("generate", NULL);
	double gen = now() - t0;
	struct stat sb;
	stat(kat, &sb);
	long long records = 1 + cases * (1 + 8 * calls);
	printf("bench %s: %lld cases, ~%lld records, %.1f MB gzip (generated in %.1f s)\n", name,
	       (long long)cases, records, (double)sb.st_size / 1e6, gen);
	char *zcat[] = { "zcat", kat, NULL };
	char *check[] = { (char *)kaudit, "check", kat, NULL };
	char *inspect[] = { (char *)kaudit, "inspect", kat, NULL };
	char *report[] = { (char *)kaudit, "report", kat, "--markdown", NULL };
	char json[520];
	snprintf(json, sizeof json, "%s/%s.json.gz", dir, name);
	char *export[] = { (char *)kaudit, "export", kat, "--perfetto", json, NULL };
	struct run z = run(zcat);
	struct run c = run(check);
	struct run i = run(inspect);
	struct run rp = run(report);
	struct run x = run(export);
	unlink(json);
	printf("  zcat     %7.2f s  %7.1f MB\n", z.wall, z.rss_kb / 1024.0);
	printf("  check    %7.2f s  %7.1f MB  %.2fx zcat  exit %d\n", c.wall, c.rss_kb / 1024.0,
	       c.wall / (z.wall > 0 ? z.wall : 1e-9), c.status);
	printf("  inspect  %7.2f s  %7.1f MB  exit %d\n", i.wall, i.rss_kb / 1024.0, i.status);
	printf("  report   %7.2f s  %7.1f MB  exit %d\n", rp.wall, rp.rss_kb / 1024.0, rp.status);
	printf("  export   %7.2f s  %7.1f MB  exit %d\n", x.wall, x.rss_kb / 1024.0, x.status);
	int bad = 0;
	if (c.status != 0 || i.status != 0 || rp.status != 0 || x.status != 0) {
		fprintf(stderr, "bench %s: a command failed on a valid trace\n", name);
		bad = 1;
	}
	if (c.wall > 2 * z.wall + 1.0) {
		fprintf(stderr, "bench %s: check is slower than 2x zcat (+1 s)\n", name);
		bad = 1;
	}
	const struct run *all[] = { &c, &i, &rp, &x };
	const char *names[] = { "check", "inspect", "report", "export" };
	for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
		if (all[k]->rss_kb > RSS_LIMIT_KB) {
			fprintf(stderr, "bench %s: %s peaked above 256 MB\n", name, names[k]);
			bad = 1;
		}
	if (!getenv("BENCH_KEEP"))
		unlink(kat);
	return bad;
}

/* With arguments CASES CALLS, only that trace is timed (for measuring
 * how the figures grow); without, the standard set. */
int main(int argc, char **argv)
{
	const char *kaudit = getenv("KAUDIT") ? getenv("KAUDIT") : "build/kaudit";
	char dir[] = "/tmp/bench_commands.XXXXXX";
	if (!mkdtemp(dir))
		return 2;
	char key_path[64];
	snprintf(key_path, sizeof key_path, "%s/key.pem", dir);
	struct errbuf e = { "", 0 };
	struct trace_key *key;
	if (trace_key_generate(key_path, &e) < 0 || trace_key_load(key_path, &key, &e) < 0)
		die("key", &e);
	/* A trust store naming nobody: the commands judge the signer
	 * untrusted, which is no failure without --pubkey. */
	setenv("KAUDIT_ALLOWED_SIGNERS", "", 1);
	int bad = 0;
	if (argc == 3) {
		bad |= bench_one(kaudit, dir, key, "custom", atoll(argv[1]), atoll(argv[2]));
	} else {
		bad |= bench_one(kaudit, dir, key, "30k-cases", 30000, 2);
		bad |= bench_one(kaudit, dir, key, "1M-records", 100, 1250);
	}
	if (argc != 3 && getenv("BENCH_BIG") && strcmp(getenv("BENCH_BIG"), "1") == 0)
		bad |= bench_one(kaudit, dir, key, "10M-records", 1000, 1250);
	trace_key_free(key);
	char pub[80];
	snprintf(pub, sizeof pub, "%s.pub", key_path);
	unlink(key_path);
	unlink(pub);
	rmdir(dir);
	return bad;
}
