/*
 * version.c - `kaudit --version` (-V, version): which kaudit this is, so a
 * bug report or a reviewer can tell builds apart: the release, the commit,
 * the CUDA toolkit it was built against, and the GPU plugin a worker would
 * load (run_plugin_locate: the same lookup verify uses).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "run/plugin.h"
#include "util/build_info.h"

void cli_print_version(FILE *f)
{
	char path[PATH_MAX];
	int from_env = 0;
	struct errbuf e = { "", 0 };
	int found = run_plugin_locate(path, sizeof path, &from_env, &e) == 0;
	fprintf(f, "kaudit %s\n", KAUDIT_VERSION);
	fprintf(f, "commit: %s\n", build_info_commit());
	fprintf(f, "cuda toolkit: %s\n", build_info_cuda());
	fprintf(f, "gpu plugin: %s, ", build_info_plugin_built() ? "built" : "not built");
	if (!found) {
		fprintf(f, "not found\n");
		return;
	}
	char *shown = cli_printable(path, strlen(path)); /* $KAUDIT_GPU_LIB is anyone's */
	fprintf(f, "found at %s%s\n", shown, from_env ? " (KAUDIT_GPU_LIB: a stand-in)" : "");
	free(shown);
}
