/*
 * cmd_export.c - kaudit export TRACE --perfetto OUT.json.gz
 *                                   | --attestation OUT.intoto.jsonl
 * (OUT "-": standard output)
 *
 * Option parsing and dispatch.  Perfetto: export_perfetto.c.  Attestation:
 * the DSSE envelope alone, one line, only from an intact signed trace (it
 * would not verify otherwise).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/outfile.h"
#include "cli/cmds.h"
#include "cli/export_perfetto.h"
#include "trace/trace.h"

static const char usage[] =
	"kaudit export TRACE.kat --perfetto OUT.json.gz | --attestation OUT.intoto.jsonl";

static int export_attestation(const struct trace_contents *c, const char *path, const char *out)
{
	struct errbuf e = { "", 0 };
	if (trace_integrity(c, NULL, &e) < 0)
		return cli_fail(EXIT_INTEGRITY, "%s: no attestation from a trace that does not "
				"verify: %s", path, e.msg);
	const struct record *sig = &c->records.v[c->records.n - 1];
	char *line = json_dumps(sig->u.signature.dsse, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!line)
		return cli_fail(EXIT_BAD_INPUT, "%s: cannot encode the envelope", path);
	/* Written beside OUT and renamed: a failed write removes only what
	 * this command created, never OUT itself. */
	struct outfile of;
	const char *const inputs[] = { path, NULL };
	if (outfile_open(&of, out, inputs, OUTFILE_STDOUT, &e) < 0) {
		free(line);
		return cli_fail_err(&e);
	}
	size_t n = strlen(line);
	line[n] = '\n';
	int ok = write_all(of.fd, line, n + 1) == 0;
	free(line);
	if (!ok) {
		outfile_abort(&of);
		return cli_fail(EXIT_BAD_INPUT, "%s: write failed", out);
	}
	if (outfile_commit(&of, &e) < 0)
		return cli_fail_err(&e);
	return EXIT_OK;
}

enum { OPT_PERFETTO = 1, OPT_ATTESTATION };
static const struct cli_opt opts[] = {
	{ "perfetto", 0, CLI_VALUE, OPT_PERFETTO },
	{ "attestation", 0, CLI_VALUE, OPT_ATTESTATION },
	{ NULL, 0, 0, 0 },
};
static const struct cli_command export_cmd = {
	"export", usage,
	"--perfetto: Chrome trace JSON (gzip) for ui.perfetto.dev.\n"
	"--attestation: the trace's DSSE envelope (in-toto) on one line.\n"
	"OUT '-' is standard output (one of them at a time).\n",
	opts, "TRACE.kat", 1, 1,
};

int cmd_export(int argc, char **argv)
{
	const char *path = NULL, *perfetto = NULL, *attest = NULL;
	struct cli_parse p;
	int id;
	cli_opts_init(&p, &export_cmd, argc, argv);
	while ((id = cli_opts_next(&p)) > 0) {
		if (id == OPT_PERFETTO)
			perfetto = p.value;
		else
			attest = p.value;
	}
	if (id == CLI_STOP)
		return p.status;
	path = p.operands[0];
	if (!perfetto && !attest)
		return cli_opts_error(&export_cmd, "--perfetto or --attestation is required");
	if (perfetto && attest && strcmp(perfetto, "-") == 0 && strcmp(attest, "-") == 0)
		return cli_opts_error(&export_cmd, "only one of --perfetto and --attestation "
				      "can write to standard output");
	/* gzip on a terminal is noise, and a shell would take it as typed. */
	if (perfetto && strcmp(perfetto, "-") == 0 && isatty(STDOUT_FILENO))
		return cli_fail(EXIT_BAD_INPUT, "--perfetto -: standard output is a terminal; "
				"redirect it (the output is gzip)");
	struct trace_contents c;
	struct errbuf e = { "", 0 };
	int rc = EXIT_OK;
	if (perfetto && !attest) {
		/* streamed: the attestation needs the signature record kept */
		if (export_perfetto_stream(path, perfetto, &c, &e) < 0)
			return cli_fail_err(&e);
	} else {
		if (trace_read(path, &c, &e) < 0)
			return cli_fail_err(&e);
		if (perfetto && export_perfetto(c.records.v, c.records.n, path, perfetto, &e) < 0)
			rc = cli_fail_err(&e);
	}
	if (rc == EXIT_OK && attest)
		rc = export_attestation(&c, path, attest);
	if (rc == EXIT_OK && trace_integrity(&c, NULL, &e) < 0)
		fprintf(stderr, "kaudit: warning: %s: %s (exported what it holds)\n", path, e.msg);
	trace_contents_free(&c);
	return rc;
}
