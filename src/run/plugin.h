/*
 * plugin.h - which GPU plugin a worker loads, said once for the worker
 * that dlopens it and for the supervisor that names it in the trace
 * header (kaudit-trace(5): header.plugin).
 */
#ifndef KAUDIT_RUN_PLUGIN_H
#define KAUDIT_RUN_PLUGIN_H

#include <stddef.h>

#include <jansson.h>

#include "util/util.h"

#define RUN_PLUGIN_NAME "libkaudit-gpu.so"

/* Where the plugin is: $KAUDIT_GPU_LIB (*FROM_ENV 1), else beside the
 * executable, else ../lib/kaudit/ of it (an installed tree).  -1 with E
 * (EXIT_ENVIRONMENT) when kaudit was built without one and none is named. */
int run_plugin_locate(char *path, size_t n, int *from_env, struct errbuf *e) KAUDIT_MUST_CHECK;

/* {path (resolved), sha256, origin: "kaudit" | "KAUDIT_GPU_LIB"} of the
 * plugin the workers of this audit will load, NULL when there is none
 * (the audit then fails at the device probe, exit 3).  A plugin named by
 * $KAUDIT_GPU_LIB is a stand-in: its timings are whatever it declares. */
json_t *run_plugin_identity(void);

#endif
