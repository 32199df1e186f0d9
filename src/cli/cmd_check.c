/* cmd_check.c - kaudit check (placeholder until its issue lands). */
#include "cli.h"
#include "cmds.h"

int cmd_check(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_fail(EXIT_BAD_INPUT, "check: not available in this build");
}
