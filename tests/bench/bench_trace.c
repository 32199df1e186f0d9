/*
 * bench_trace.c - writes, checks and exports a trace of 1,000,000 kernel
 * records.  "check" is what `kaudit check` does: gunzip, sha256, parse every
 * line, verify the signature, and re-run the detectors over the records;
 * "export" is `kaudit export --perfetto` of the records read.
 * Last line: "bench: write N rec/s, check N rec/s, export N rec/s, B bytes/record".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/export_perfetto.h"
#include "detect/detect.h"
#include "trace/trace.h"

#define NREC 1000000

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int die(const struct errbuf *e)
{
	fprintf(stderr, "bench_trace: %s\n", e->msg);
	return 1;
}

/* A plausible timing phase: calls of 1-4 kernels, baseline and candidate
 * alternating, microsecond kernels with gaps, CUPTI-like timestamps. */
static void fill_kernel(struct record *r, int64_t i, uint64_t *rng, int64_t *t)
{
	static const char *const names[] = { "softmax_ref_kernel", "softmax_fast_kernel",
					     "l2_flush_kernel" };
	*rng = *rng * 6364136223846793005ULL + 1442695040888963407ULL;
	uint64_t x = *rng >> 33;
	record_init(r, REC_KERNEL);
	r->case_index = 0;
	r->phase = PHASE_TIMING;
	r->call = i / 3;
	r->impl = (r->call & 1) ? IMPL_CANDIDATE : IMPL_BASELINE;
	int which = i % 3 == 0 ? 2 : (int)(r->call & 1);
	r->u.kernel.name = (char *)names[which];
	r->u.kernel.stream = 13;
	*t += 1500 + (int64_t)(x % 4000);
	r->u.kernel.start = *t;
	*t += 2000 + (int64_t)((x >> 12) % 9000);
	r->u.kernel.end = *t;
	r->u.kernel.corr = 1000 + i;
	r->u.kernel.device = 0;
	r->u.kernel.grid[0] = 4096, r->u.kernel.grid[1] = 1, r->u.kernel.grid[2] = 1;
	r->u.kernel.block[0] = 256, r->u.kernel.block[1] = 1, r->u.kernel.block[2] = 1;
	r->u.kernel.smem = 0;
	r->u.kernel.regs = which == 1 ? 32 : 40;
}

int main(void)
{
	char dir[] = "/tmp/bench_trace.XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char key_path[64], kat[64], pf[64];
	snprintf(key_path, sizeof key_path, "%s/key.pem", dir);
	snprintf(kat, sizeof kat, "%s/bench.kat", dir);
	snprintf(pf, sizeof pf, "%s/bench.json.gz", dir);
	struct errbuf e = { "", 0 };
	struct trace_key *key;
	if (trace_key_generate(key_path, &e) < 0 || trace_key_load(key_path, &key, &e) < 0)
		return die(&e);

	double t0 = now();
	struct trace_writer *w;
	if (trace_writer_open(kat, &w, &e) < 0)
		return die(&e);
	struct record h;
	record_init(&h, REC_HEADER);
	h.u.header.version = 1;
	h.u.header.tool = xstrdup(KAUDIT_VERSION);
	h.u.header.time = xstrdup("2026-01-01T00:00:00Z");
	h.u.header.synthetic = 1;
	h.u.header.pubkey = xstrdup(trace_key_public_pem(key));
	if (trace_writer_add(w, &h, &e) < 0)
		return die(&e);
	record_clear(&h);
	uint64_t rng = 42;
	int64_t t = 1765000000000000000LL;
	for (int64_t i = 0; i < NREC; i++) {
		struct record r;
		fill_kernel(&r, i, &rng, &t);
		if (trace_writer_add(w, &r, &e) < 0)
			return die(&e);
	}
	json_t *pred = json_object();
	if (trace_writer_finish(w, key, pred, &e) < 0)
		return die(&e);
	json_decref(pred);
	double t1 = now();

	struct trace_contents c;
	if (trace_read(kat, &c, &e) < 0)
		return die(&e);
	if (trace_integrity(&c, key, &e) < 0)
		return die(&e);
	struct record_list found = { 0 };
	if (detect_all(c.records.v, c.records.n, &found) < 0) {
		fprintf(stderr, "bench_trace: detect_all failed\n");
		return 1;
	}
	double t2 = now();
	if (export_perfetto(c.records.v, c.records.n, kat, pf, &e) < 0)
		return die(&e);
	double t3 = now();
	size_t nrec = c.records.n;
	record_list_free(&found);
	trace_contents_free(&c);

	struct stat st, pst;
	if (stat(kat, &st) < 0 || stat(pf, &pst) < 0)
		return 1;
	printf("records: %zu, file: %lld bytes, write %.2f s, check %.2f s, "
	       "export %.2f s (%lld bytes)\n", nrec, (long long)st.st_size, t1 - t0, t2 - t1,
	       t3 - t2, (long long)pst.st_size);
	unlink(pf);
	if (!getenv("BENCH_KEEP")) unlink(kat); else printf("kept %s\n", kat);
	unlink(key_path);
	strcat(key_path, ".pub");
	unlink(key_path);
	rmdir(dir);
	trace_key_free(key);
	printf("bench: write %.0f rec/s, check %.0f rec/s, export %.0f rec/s, %.1f bytes/record\n",
	       NREC / (t1 - t0), NREC / (t2 - t1), NREC / (t3 - t2), (double)st.st_size / NREC);
	return 0;
}
