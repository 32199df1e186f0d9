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
	{ "observe", cmd_observe, "run an unchanged benchmark under CUPTI: what its timers missed" },
	{ "summary", cmd_summary, "many traces (the shards of a job array), one table per claim" },
	{ "import", cmd_import, "write a manifest for a KernelBench problem and solution" },
	{ "keygen", cmd_keygen, "create an Ed25519 signing key pair" },
	{ "__worker", cmd_worker, NULL },
};

static void usage(FILE *f)
{
	fputs("usage: kaudit COMMAND [OPTIONS] ...\n       kaudit help [COMMAND] | --version\n\n"
	      "commands:\n", f);
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (cmds[i].summary)
			fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
	fputs("\n'kaudit help COMMAND' (or 'kaudit COMMAND --help') describes a command;\n"
	      "'kaudit --version' (-V) names this build; see kaudit(1).\n"
	      "exit codes: 0 ok, 1 not reproduced or invalid, 2 bad input,\n"
	      "            3 environment (no GPU, CUPTI, nvcc), 4 integrity\n", f);
}

static const struct cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcmp(name, cmds[i].name) == 0)
			return &cmds[i];
	return NULL;
}

static int run_cmd(const struct cmd *c, int argc, char **argv)
{
	int rc = c->fn(argc, argv);
	if (fflush(stdout) != 0 || ferror(stdout))
		return cli_fail(EXIT_BAD_INPUT, "write failure on standard output");
	return rc;
}

/* `kaudit help [CMD]`: CMD's own --help, so the two never differ. */
static int help(int argc, char **argv)
{
	if (argc < 2) {
		usage(stdout);
		return EXIT_OK;
	}
	const struct cmd *c = find_cmd(argv[1]);
	if (!c || argc > 2) {
		fprintf(stderr, "kaudit help: %s '%s'\n", c ? "unexpected argument" :
			"unknown command", c ? argv[2] : argv[1]);
		fputs("usage: kaudit help [COMMAND]\n", stderr);
		return EXIT_BAD_INPUT;
	}
	char *cmd_argv[] = { argv[1], "--help", NULL };
	return run_cmd(c, 2, cmd_argv);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_BAD_INPUT;
	}
	if (cli_is_help(argv[1]))
		return help(1, argv + 1);
	if (strcmp(argv[1], "help") == 0)
		return help(argc - 1, argv + 1);
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0 ||
	    strcmp(argv[1], "version") == 0) {
		if (argc > 2) {
			fprintf(stderr, "kaudit: unexpected argument '%s'\n", argv[2]);
			usage(stderr);
			return EXIT_BAD_INPUT;
		}
		cli_print_version(stdout);
		return fflush(stdout) == 0 && !ferror(stdout) ? EXIT_OK : EXIT_BAD_INPUT;
	}
	const struct cmd *c = find_cmd(argv[1]);
	if (c)
		return run_cmd(c, argc - 1, argv + 1);
	fprintf(stderr, "kaudit: unknown %s '%s'\n", argv[1][0] == '-' ? "option" : "command",
		argv[1]);
	usage(stderr);
	return EXIT_BAD_INPUT;
}
