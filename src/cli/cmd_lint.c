/* cmd_lint.c - kaudit lint (placeholder until its issue lands). */
#include "cli.h"
#include "cmds.h"

int cmd_lint(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_fail(EXIT_BAD_INPUT, "lint: not available in this build");
}
