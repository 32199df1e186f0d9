/*
 * main.c - kaudit's entry point: global options and the subcommand table.
 *
 * Each subcommand lives in its own cmd_*.c and returns an exit code; only
 * this file and the cmd_*.c files decide how the process ends.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmds.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary; /* NULL: hidden */
};

static const struct cmd cmds[] = {
	{ "verify", cmd_verify, "re-run a claim on the GPU and write a signed trace" },
	{ "lint", cmd_lint, "validate a claim manifest (and compile it with --build)" },
	{ "check", cmd_check, "verify a trace's signature and digest, re-run detectors" },
	{ "inspect", cmd_inspect, "summarise a trace: verdicts, findings, timings" },
	{ "report", cmd_report, "write a self-contained HTML or markdown report of a trace" },
	{ "export", cmd_export, "export a trace to Perfetto or an in-toto attestation" },
	{ "keygen", cmd_keygen, "create an Ed25519 signing key pair" },
	{ "__worker", cmd_worker, NULL },
};

static void usage(FILE *f)
{
	fputs("usage: kaudit COMMAND [OPTIONS] ...\n\ncommands:\n", f);
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (cmds[i].summary)
			fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
	fputs("\n'kaudit COMMAND --help' describes a command; see kaudit(1).\n"
	      "exit codes: 0 ok, 1 not reproduced or invalid, 2 bad input,\n"
	      "            3 environment (no GPU, CUPTI, nvcc), 4 integrity\n", f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_BAD_INPUT;
	}
	if (cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("kaudit %s\n", KAUDIT_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		if (strcmp(argv[1], cmds[i].name) != 0)
			continue;
		int rc = cmds[i].fn(argc - 1, argv + 1);
		if (fflush(stdout) != 0 || ferror(stdout))
			return cli_fail(EXIT_BAD_INPUT, "write failure on standard output");
		return rc;
	}
	fprintf(stderr, "kaudit: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_BAD_INPUT;
}
