/*
 * cmd_report.c - kaudit report TRACE.kat -o OUT.html | --markdown [-o OUT.md]
 *                [--pubkey PUB.pem]
 *
 * A report a reviewer can attach: the trace's header (who signed it, judged
 * exactly as inspect judges it, whether it is intact, claim, manifest,
 * device, audit time), then per case the verdict, measured vs claimed
 * speedup with its interval, the timing samples of every round, and each
 * finding with its evidence.  HTML (self-contained, report_html.c) or
 * markdown (report_md.c, standard output without -o).
 *
 * The output is written to a temporary file beside OUT and renamed into
 * place; an OUT that is not a regular file, or that is the trace itself,
 * is refused before anything is written, and nothing but that temporary
 * file is ever removed.  A trace that is not intact, or whose signer a
 * --pubkey or trust store refuses, still gets its report, which says so
 * first; the exit code is then 4, as with inspect.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/outfile.h"
#include "cli/cmd_inspect.h"
#include "cli/cmds.h"
#include "cli/kreport.h"
#include "trace/trace.h"

static const char usage[] =
	"kaudit report TRACE.kat -o OUT.html | --markdown [-o OUT.md] [--pubkey PUB.pem]";

/* Writes the report through util/outfile: beside OUT, renamed into place;
 * on failure only the temporary file is removed. */
static int write_to_file(const char *out, const char *trace, int markdown,
			 const struct kreport_input *in)
{
	struct outfile of;
	struct errbuf e = { "", 0 };
	const char *const inputs[] = { trace, NULL };
	if (outfile_open(&of, out, inputs, 0, &e) < 0)
		return cli_fail_err(&e);
	int fd = dup(of.fd);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	int ok = f != NULL;
	if (!f && fd >= 0)
		close(fd);
	if (f) {
		if (markdown)
			md_write(f, in);
		else
			html_write(f, in);
		ok = fflush(f) == 0 && !ferror(f);
		ok = fclose(f) == 0 && ok;
	}
	if (!ok) {
		int err = errno;
		outfile_abort(&of);
		return cli_fail(EXIT_BAD_INPUT, "%s: write failed: %s", out, strerror(err));
	}
	if (outfile_commit(&of, &e) < 0)
		return cli_fail_err(&e);
	return EXIT_OK;
}

/* What report keeps while the trace streams past. */
struct report_feed {
	struct trace_summary_acc *sum;
	struct kreport_samples samples;
};

static void report_record(void *ctx, const struct record *r)
{
	struct report_feed *f = ctx;
	trace_summary_acc_record(f->sum, r);
}

static void report_case(void *ctx, const struct record *recs, size_t n)
{
	struct report_feed *f = ctx;
	trace_summary_acc_case(f->sum, recs, n);
	kreport_samples_add(&f->samples, recs, n);
}

enum { OPT_OUT = 1, OPT_MARKDOWN, OPT_PUBKEY };
static const struct cli_opt opts[] = {
	{ "output", 'o', CLI_VALUE, OPT_OUT },
	{ "markdown", 0, CLI_FLAG, OPT_MARKDOWN },
	{ "pubkey", 0, CLI_VALUE, OPT_PUBKEY },
	{ NULL, 0, 0, 0 },
};
static const struct cli_command report_cmd = {
	"report", usage,
	"Writes a report to attach to a review: who signed the trace, whether it is\n"
	"intact, per case the verdict, measured vs claimed speedup with its 95% CI,\n"
	"the timing samples of every round and each finding with its evidence.\n"
	"HTML: one self-contained file (inline CSS and SVG, no script, no network).\n"
	"--markdown: markdown for a review form, on standard output without -o.\n"
	"A trace that is not intact or whose signer --pubkey (or a trust store)\n"
	"refuses still gets a report that says so, and exits 4.  See kaudit(1).\n",
	opts, "TRACE.kat", 1, 1,
};

int cmd_report(int argc, char **argv)
{
	const char *path = NULL, *out = NULL, *pubpath = NULL;
	int markdown = 0;
	struct cli_parse p;
	int id;
	cli_opts_init(&p, &report_cmd, argc, argv);
	while ((id = cli_opts_next(&p)) > 0) {
		switch (id) {
		case OPT_OUT: out = p.value; break;
		case OPT_MARKDOWN: markdown = 1; break;
		case OPT_PUBKEY: pubpath = p.value; break;
		}
	}
	if (id == CLI_STOP)
		return p.status;
	path = p.operands[0];
	if (!out && !markdown)
		return cli_opts_error(&report_cmd, "-o OUT.html or --markdown is required");
	if (out) {
		/* Refused before the trace is read, as every writer does. */
		struct errbuf oe = { "", 0 };
		const char *const inputs[] = { path, NULL };
		if (outfile_check(out, inputs, &oe) < 0)
			return cli_fail_err(&oe);
	}
	struct inspect_trust t;
	struct errbuf e = { "", 0 };
	if (inspect_trust_load(&t, pubpath, &e) < 0)
		return cli_fail_err(&e);
	/* One streaming pass (trace_stream): the summary and the samples to
	 * plot take each case as it ends; no record is kept. */
	struct trace_contents c;
	struct report_feed feed = { trace_summary_acc_new(), { 0 } };
	kreport_samples_init(&feed.samples);
	struct trace_visitor v = { &feed, report_record, report_case };
	if (trace_stream(path, &v, &c, &e) < 0) {
		trace_summary_acc_free(feed.sum);
		kreport_samples_release(&feed.samples);
		inspect_trust_release(&t);
		return cli_fail_err(&e);
	}
	json_t *summary = trace_summary_acc_finish_head(feed.sum, &c); /* cases: one at a time */
	struct inspect_signer sg;
	inspect_signer_judge(&c, &t, &sg);
	int intact = trace_integrity(&c, NULL, &e) == 0;
	struct inspect_status st;
	char why[1200];
	int judged = inspect_judge(summary, intact, e.msg, &sg, &st, why, sizeof why);
	struct kreport_samples samples = feed.samples;
	trace_contents_free(&c);
	inspect_trust_release(&t);

	struct kreport_input in = { path, summary, &samples, &sg, &st, feed.sum };
	int rc = EXIT_OK;
	if (out)
		rc = write_to_file(out, path, markdown, &in);
	else
		md_write(stdout, &in);
	kreport_samples_release(&samples);
	json_decref(summary);
	trace_summary_acc_free(feed.sum);
	if (rc != EXIT_OK)
		return rc;
	/* The report says it first; the exit code says it to scripts. */
	if (judged != EXIT_OK)
		return cli_fail(judged, "%s: %s", path, why);
	return EXIT_OK;
}
