/* cmd_worker.c - kaudit worker (placeholder until its issue lands). */
#include "cli.h"
#include "cmds.h"

int cmd_worker(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_fail(EXIT_BAD_INPUT, "worker: not available in this build");
}
