/*
 * probe_dlopen_main.cu - FACTS.md Q2: does CUPTI, set up by the host
 * program, see the launches of a shared object built with -cudart shared
 * and dlopened after CUPTI was enabled (how the worker loads claims)?
 * Usage: probe_dlopen_main PATH/libprobe_dlopen_lib.so
 */
#include <dlfcn.h>

#include "probe_common.h"

int main(int argc, char **argv)
{
	int *d;
	cudaStream_t s;
	if (argc != 2) {
		printf("usage: %s LIB.so\n", argv[0]);
		return 2;
	}
	probe_start();
	CUPTI_OK(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL));
	CUPTI_OK(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_RUNTIME));
	CUPTI_OK(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_DRIVER));
	CUDA_OK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
	CUDA_OK(cudaMalloc(&d, 32 * sizeof *d));
	void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		printf("ERROR dlopen: %s\n", dlerror());
		return 2;
	}
	int (*entry)(cudaStream_t, int *) = (int (*)(cudaStream_t, int *))dlsym(h, "probe_lib_entry");
	if (!entry) {
		printf("ERROR dlsym: %s\n", dlerror());
		return 2;
	}
	if (entry(s, d) != 0) {
		printf("ERROR entry failed\n");
		return 2;
	}
	CUDA_OK(cudaStreamSynchronize(s));
	CUPTI_OK(cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED));
	int found = -1;
	for (int i = 0; i < probe.nk; i++)
		if (strstr(probe.k[i].name, "probe_lib_kernel"))
			found = i;
	int api = 0;
	if (found >= 0)
		for (int i = 0; i < probe.napi; i++)
			api += probe.api[i].corr == probe.k[found].corr;
	printf("kernels=%d api=%d dropped=%zu\n", probe.nk, probe.napi, probe.dropped);
	if (found >= 0)
		printf("kernel %s corr=%u stream=%u; API records with that corr: %d\n",
		       probe.k[found].name, probe.k[found].corr, probe.k[found].stream, api);
	printf("ANSWER dlopen-visible: %s\n",
	       found < 0 ? "NO: the dlopened library's kernel is missing"
	       : api ? "yes, kernel and its launching API call (same correlation id)"
		     : "kernel yes, but no API record with its correlation id");
	return found >= 0 && api ? 0 : 1;
}
