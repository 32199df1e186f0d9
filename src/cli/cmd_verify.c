/* cmd_verify.c - kaudit verify (placeholder until its issue lands). */
#include "cli.h"
#include "cmds.h"

int cmd_verify(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_fail(EXIT_BAD_INPUT, "verify: not available in this build");
}
