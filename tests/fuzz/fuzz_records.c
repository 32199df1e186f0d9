/*
 * fuzz_records.c - libFuzzer target for every consumer of records after
 * the reader: the detectors and verdicts (check's strict re-analysis),
 * trace_summary() and the predicate, inspect's text rendering, the HTML
 * and markdown report, and the Perfetto export.  The input is JSON Lines:
 * each line that decodes becomes a record (ids renumbered as a reader
 * would see them); a trace is hostile, so whatever mix of types, cases,
 * calls, timestamps and evidence it holds, nothing may crash, overflow or
 * leak (run under ASan/UBSan, as `make fuzz` builds it).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd_inspect.h"
#include "cli/export_perfetto.h"
#include "cli/kreport.h"
#include "detect/detect.h"
#include "trace/trace.h"

static char out_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* inspect prints to stdout: keep the fuzzer's output readable. */
	if (!freopen("/dev/null", "w", stdout))
		abort();
	snprintf(out_path, sizeof out_path, "/dev/shm/fuzz_records.%d.json.gz", (int)getpid());
	return 0;
}

static void render(const struct trace_contents *c)
{
	json_t *s = trace_summary(c);
	struct inspect_signer sg;
	struct inspect_trust t = { 0 };
	inspect_signer_judge(c, &t, &sg);
	struct inspect_status st = { INSPECT_WARN, "fuzz" };
	inspect_print_summary("fuzz.kat", s, NULL, 1, &st, &sg);
	inspect_print_summary("fuzz.kat", s, NULL, 0, &st, &sg);
	struct kreport_samples ks;
	kreport_samples_build(&ks, c->records.v, c->records.n);
	struct kreport_input in = { "fuzz.kat", s, &ks, &sg, &st, NULL };
	FILE *null = fopen("/dev/null", "w");
	if (!null)
		abort();
	html_write(null, &in);
	md_write(null, &in);

	/* The same a case at a time, as inspect, check and report stream a
	 * trace: the cases through the summary's temporary file (each
	 * measured record its own group, as a damaged trace may give them). */
	struct trace_summary_acc *acc = trace_summary_acc_new();
	for (size_t i = 0; i < c->records.n; i++) {
		if (trace_case_record(&c->records.v[i]))
			trace_summary_acc_case(acc, &c->records.v[i], 1);
		else
			trace_summary_acc_record(acc, &c->records.v[i]);
	}
	json_t *head = trace_summary_acc_finish_head(acc, c);
	inspect_print_summary("fuzz.kat", head, acc, 1, &st, &sg);
	inspect_print_summary("fuzz.kat", head, acc, 0, &st, &sg);
	inspect_print_json(head, acc);
	struct kreport_input streamed = { "fuzz.kat", head, &ks, &sg, &st, acc };
	html_write(null, &streamed);
	md_write(null, &streamed);
	json_decref(head);
	trace_summary_acc_free(acc);

	fclose(null);
	kreport_samples_release(&ks);
	json_decref(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace_contents c;
	memset(&c, 0, sizeof c);
	const char *p = (const char *)data, *end = p + size;
	while (p < end && c.records.n < 4096) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct record r;
		struct errbuf e;
		if (record_decode_line(p, len, &r, &e) == 0) {
			r.id = (int64_t)c.records.n;
			record_list_push(&c.records, &r);
		}
		p += len + (nl != NULL);
	}
	/* The strict re-analysis, as check runs it. */
	struct record_list findings = { 0 }, verdicts = { 0 };
	const struct record *h = c.records.n && c.records.v[0].type == REC_HEADER
				 ? &c.records.v[0] : NULL;
	double margin = h ? h->u.header.margin : 0.10;
	if (detect_all(c.records.v, c.records.n, &findings) == 0)
		(void)detect_verdicts(c.records.v, c.records.n, findings.v, findings.n,
				      margin == margin ? margin : 0.10, &verdicts);
	json_t *pred = trace_predicate(c.records.v, c.records.n);
	json_decref(pred);
	record_list_free(&findings);
	record_list_free(&verdicts);
	render(&c);
	struct errbuf e;
	if (export_perfetto(c.records.v, c.records.n, "fuzz.kat", out_path, &e) == 0)
		unlink(out_path);
	trace_contents_free(&c);
	return 0;
}
