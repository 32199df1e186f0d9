/*
 * cmd_worker.c - `kaudit __worker MODE`: the only processes that touch the
 * GPU or load claimant code, one per case (src/run/worker.c does the work,
 * src/run/wire.h defines the protocol).
 *
 *   kaudit __worker --probe | --environment | --case | --check-entry
 *
 * The plan comes on stdin from the supervisor; records (or, for --probe and
 * --check-entry, text) go to stdout, diagnostics to stderr.  Exit 0: done;
 * 1: a controlled failure, described by an `error` record; 2: a bad plan
 * or object; 3: no usable GPU, driver or plugin.  Crashes and hangs are the
 * supervisor's to classify.
 */
#include <stdio.h>

#include "run/worker.h"
#include "cli/cli.h"
#include "cli/cmds.h"

/* The modes are flags named by src/run/wire.c (run_mode_flag); the id of
 * each row is its mode + 1. */
static const struct cli_opt opts[] = {
	{ "probe", 0, CLI_FLAG, RUN_MODE_PROBE + 1 },
	{ "environment", 0, CLI_FLAG, RUN_MODE_ENVIRONMENT + 1 },
	{ "case", 0, CLI_FLAG, RUN_MODE_CASE + 1 },
	{ "check-entry", 0, CLI_FLAG, RUN_MODE_ENTRY_CHECK + 1 },
	{ NULL, 0, 0, 0 },
};
static const struct cli_command worker_cmd = {
	"__worker", "kaudit __worker --probe | --environment | --case | --check-entry "
	"(the plan on stdin)",
	"(internal: run by kaudit verify and lint, one process per case)\n",
	opts, NULL, 0, 0,
};

int cmd_worker(int argc, char **argv)
{
	struct cli_parse p;
	int id, m = -1;
	cli_opts_init(&p, &worker_cmd, argc, argv);
	while ((id = cli_opts_next(&p)) > 0) {
		if (m >= 0 && m != id - 1)
			return cli_opts_error(&worker_cmd, "one mode at a time");
		m = id - 1;
	}
	if (id == CLI_STOP)
		return p.status;
	if (m < 0)
		return cli_opts_error(&worker_cmd, "missing mode");
	struct errbuf e = { "", 0 };
	if (run_worker_serve((enum run_mode)m, &e) < 0)
		return cli_fail_err(&e);
	if (fflush(stdout) != 0)
		return cli_fail(EXIT_NOT_REPRODUCED, "worker: cannot write its answer");
	return EXIT_OK;
}
