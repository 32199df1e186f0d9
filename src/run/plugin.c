/*
 * plugin.c - locating the GPU plugin and naming it for the trace header.
 * The header says which plugin made the records so that a trace made with
 * a test double or any other stand-in (KAUDIT_GPU_LIB) cannot pass for a
 * measurement by kaudit's own plugin (kaudit(1), ENVIRONMENT).
 */
#include "run/plugin.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* The plugin is a few MB; anything past this is not one. */
#define PLUGIN_MAX_BYTES (512u << 20)

int run_plugin_locate(char *path, size_t n, int *from_env, struct errbuf *e)
{
	const char *env = getenv("KAUDIT_GPU_LIB");
	*from_env = env && *env;
	if (*from_env) {
		snprintf(path, n, "%s", env);
		return 0;
	}
	const char *dir = exe_dir();
	snprintf(path, n, "%s/%s", dir, RUN_PLUGIN_NAME);
	if (access(path, F_OK) == 0)
		return 0;
	snprintf(path, n, "%s/../lib/kaudit/%s", dir, RUN_PLUGIN_NAME);
	if (access(path, F_OK) == 0)
		return 0;
	return errbuf_set(e, EXIT_ENVIRONMENT, "built without GPU support: %s not found in %s "
			  "or %s/../lib/kaudit", RUN_PLUGIN_NAME, dir, dir);
}

json_t *run_plugin_identity(void)
{
	char path[PATH_MAX], real[PATH_MAX];
	int from_env = 0;
	struct errbuf e = { "", 0 };
	if (run_plugin_locate(path, sizeof path, &from_env, &e) < 0)
		return NULL;
	const char *shown = realpath(path, real) ? real : path;
	char *bytes = NULL;
	size_t len = 0;
	char sha[65] = "";
	if (read_file(shown, PLUGIN_MAX_BYTES, &bytes, &len, &e) == 0)
		sha256_hex(bytes, len, sha);
	free(bytes);
	json_t *o = json_pack("{s:s, s:s}", "path", shown, "origin",
			      from_env ? "KAUDIT_GPU_LIB" : "kaudit");
	json_object_set_new(o, "sha256", sha[0] ? json_string(sha) : json_null());
	return o;
}
