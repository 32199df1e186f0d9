/* cmd_inspect.c - kaudit inspect (placeholder until its issue lands). */
#include "cli.h"
#include "cmds.h"

int cmd_inspect(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_fail(EXIT_BAD_INPUT, "inspect: not available in this build");
}
