/* cmd_export.c - kaudit export (placeholder until its issue lands). */
#include "cli.h"
#include "cmds.h"

int cmd_export(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_fail(EXIT_BAD_INPUT, "export: not available in this build");
}
