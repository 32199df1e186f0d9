/* probe_dlopen_lib.cu - the "implementation" side of probe_dlopen_main.cu:
 * a shared object built with -cudart shared, like kaudit builds claims. */
#include <cuda_runtime.h>

__global__ void probe_lib_kernel(int *p)
{
	p[threadIdx.x] = (int)threadIdx.x;
}

extern "C" int probe_lib_entry(cudaStream_t s, int *p)
{
	probe_lib_kernel<<<1, 32, 0, s>>>(p);
	return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
