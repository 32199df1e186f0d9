/* build_info.c - the build's identity, from the Makefile's -D flags (a
 * build without them, e.g. the fuzz targets, says "unknown"). */
#include "util/build_info.h"

#ifndef KAUDIT_COMMIT
#define KAUDIT_COMMIT "unknown"
#endif
#ifndef KAUDIT_CUDA
#define KAUDIT_CUDA "none"
#endif
#ifndef KAUDIT_PLUGIN_BUILT
#define KAUDIT_PLUGIN_BUILT 0
#endif

const char *build_info_commit(void)
{
	return *KAUDIT_COMMIT ? KAUDIT_COMMIT : "unknown";
}

const char *build_info_cuda(void)
{
	return *KAUDIT_CUDA ? KAUDIT_CUDA : "none";
}

int build_info_plugin_built(void)
{
	return KAUDIT_PLUGIN_BUILT;
}
