/*
 * cupti_version.c - make bundle's check that the libcupti it copies into
 * the bundle is the CUPTI API version the plugin is compiled against
 * (gpu_collect_open refuses any other at run time, exit 3: better to know
 * here than on the GPU).  Runs without a GPU: cuptiGetVersion needs none.
 */
#include <stdio.h>

#include <cupti.h>

int main(void)
{
	uint32_t v = 0;
	if (cuptiGetVersion(&v) != CUPTI_SUCCESS) {
		fprintf(stderr, "cupti_version: cuptiGetVersion failed\n");
		return 2;
	}
	printf("libcupti API version %u, headers %u\n", v, (unsigned)CUPTI_API_VERSION);
	return v / 100 != CUPTI_API_VERSION / 100 || v < CUPTI_API_VERSION;
}
