/* cmd_keygen.c - kaudit keygen (placeholder until its issue lands). */
#include "cli.h"
#include "cmds.h"

int cmd_keygen(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_fail(EXIT_BAD_INPUT, "keygen: not available in this build");
}
