/*
 * ref_scale_shift.cu - the baseline of the elementwise gallery claims.
 *
 * y = 1.5 * x - 0.25 over every element: the inference form of a folded
 * BatchNorm, and the simplest memory-bound kernel there is (read 4 bytes,
 * write 4 bytes).  One thread per element, bounds-checked, on l->stream.
 * fmaf() is spelled out so every candidate that computes the same value
 * gets the same bits (the stale-answer and repeat checks compare bits).
 */
#include <cuda_runtime.h>

#include "kaudit/launcher.h"

__global__ void scale_shift_kernel(const float *x, float *y, int64_t n)
{
	int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i < n)
		y[i] = fmaf(x[i], 1.5f, -0.25f);
}

KAUDIT_ENTRY(scale_shift_ref)
{
	if (l->nbuffers != 2)
		return 1;
	const float *x = (const float *)l->buffers[0].data;
	float *y = (float *)l->buffers[1].data;
	int64_t n = kaudit_numel(&l->buffers[1]);
	if (kaudit_numel(&l->buffers[0]) != n)
		return 1;
	unsigned blocks = (unsigned)((n + 255) / 256);
	scale_shift_kernel<<<blocks, 256, 0, (cudaStream_t)l->stream>>>(x, y, n);
	return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
