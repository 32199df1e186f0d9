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
#include <string.h>

#include "run/worker.h"
#include "cli/cli.h"
#include "cli/cmds.h"

#define WORKER_USAGE "kaudit __worker --probe | --environment | --case | --check-entry " \
		     "(the plan on stdin)"

int cmd_worker(int argc, char **argv)
{
	if (argc >= 2 && cli_is_help(argv[1])) {
		printf("usage: %s\n(internal: run by kaudit verify and lint, one process per "
		       "case)\n", WORKER_USAGE);
		return EXIT_OK;
	}
	int m = argc == 2 ? run_mode_parse(argv[1]) : -1;
	if (m < 0)
		return cli_usage_error("__worker", WORKER_USAGE, argc == 2 ? "bad mode '%s'" :
				       "one mode, and the plan on stdin%s", argc == 2 ? argv[1] : "");
	struct errbuf e = { "", 0 };
	if (run_worker_serve((enum run_mode)m, &e) < 0)
		return cli_fail_err(&e);
	if (fflush(stdout) != 0)
		return cli_fail(EXIT_NOT_REPRODUCED, "worker: cannot write its answer");
	return EXIT_OK;
}
