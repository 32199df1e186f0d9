/*
 * ref_elementwise.cu - baseline for the Sakana "never writes" reproduction.
 *
 * y = x * sigmoid(x) (SiLU / swish) over every element, f32: a KernelBench
 * level-1 style activation.  One thread per element, on l->stream.
 */
#include <cuda_runtime.h>

#include "kaudit/launcher.h"

__global__ void silu_kernel(const float *x, float *y, int64_t n)
{
	int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i < n) {
		float v = x[i];
		y[i] = v / (1.0f + expf(-v));
	}
}

KAUDIT_ENTRY(silu_ref)
{
	if (l->nbuffers != 2)
		return 1;
	int64_t n = kaudit_numel(&l->buffers[1]);
	if (kaudit_numel(&l->buffers[0]) != n)
		return 1;
	silu_kernel<<<(unsigned)((n + 255) / 256), 256, 0, (cudaStream_t)l->stream>>>(
		(const float *)l->buffers[0].data, (float *)l->buffers[1].data, n);
	return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
