/*
 * bench_report.c - `kaudit report` on a trace of 1,000,000 records: 1,000
 * cases of 1,000 timing samples each (baseline and candidate, 4 rounds),
 * written like bench_trace.c writes its trace, then reported as HTML and
 * as markdown through cmd_report itself (read, verify, summarise, group
 * the samples in one pass, render, rename).
 * Last line: "bench: report html N s, markdown N s for N records".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmds.h"
#include "trace/trace.h"

#define NCASES 1000
#define PER_CASE 999 /* samples; with the case record, 1000 records a case */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int die(const struct errbuf *e)
{
	fprintf(stderr, "bench_report: %s\n", e->msg);
	return 1;
}

int main(void)
{
	char dir[] = "/tmp/bench_report.XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char key_path[64], kat[64], html[64], md[64];
	snprintf(key_path, sizeof key_path, "%s/key.pem", dir);
	snprintf(kat, sizeof kat, "%s/bench.kat", dir);
	snprintf(html, sizeof html, "%s/report.html", dir);
	snprintf(md, sizeof md, "%s/report.md", dir);
	struct errbuf e = { "", 0 };
	struct trace_key *key;
	if (trace_key_generate(key_path, &e) < 0 || trace_key_load(key_path, &key, &e) < 0)
		return die(&e);
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
	size_t nrec = 1;
	for (int64_t k = 0; k < NCASES; k++) {
		struct record c;
		record_init(&c, REC_CASE);
		c.case_index = k;
		c.u.kase.kernel = xstrdup("softmax_f32");
		c.u.kase.claimed = 2.0;
		if (trace_writer_add(w, &c, &e) < 0)
			return die(&e);
		record_clear(&c);
		nrec++;
		for (int64_t i = 0; i < PER_CASE; i++, nrec++) {
			rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
			struct record r;
			record_init(&r, REC_SAMPLE);
			r.case_index = k;
			r.phase = PHASE_TIMING;
			r.impl = i & 1 ? IMPL_CANDIDATE : IMPL_BASELINE;
			r.u.sample.round = i * 4 / PER_CASE;
			r.u.sample.index = i / 2;
			r.u.sample.event_ns = (i & 1 ? 100000.0 : 230000.0) + (double)(rng >> 52);
			r.u.sample.traced = 1;
			if (trace_writer_add(w, &r, &e) < 0)
				return die(&e);
		}
	}
	json_t *pred = json_object();
	if (trace_writer_finish(w, key, pred, &e) < 0)
		return die(&e);
	json_decref(pred);

	char *html_argv[] = { "report", kat, "-o", html, NULL };
	char *md_argv[] = { "report", kat, "--markdown", "-o", md, NULL };
	double t0 = now();
	int rc = cmd_report(4, html_argv);
	double t1 = now();
	rc |= cmd_report(5, md_argv);
	double t2 = now();
	struct stat sh, sm;
	if (rc != 0 || stat(html, &sh) < 0 || stat(md, &sm) < 0) {
		fprintf(stderr, "bench_report: kaudit report failed (%d)\n", rc);
		return 1;
	}
	printf("records: %zu in %d cases, report.html %lld bytes, report.md %lld bytes\n", nrec,
	       NCASES, (long long)sh.st_size, (long long)sm.st_size);
	unlink(kat);
	unlink(html);
	unlink(md);
	unlink(key_path);
	strcat(key_path, ".pub");
	unlink(key_path);
	rmdir(dir);
	trace_key_free(key);
	printf("bench: report html %.2f s, markdown %.2f s for %zu records\n", t1 - t0, t2 - t1,
	       nrec);
	return 0;
}
