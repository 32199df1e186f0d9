/*
 * bias_gelu_unfused.cu - baseline: y = gelu(x + b) the way an unfused
 * framework graph runs it, as two element-wise kernels.  The first writes
 * x + b to y, the second rereads y and applies GELU in place, so every
 * element crosses DRAM four times (read x, write y, read y, write y).
 *
 * Buffers: x [N, D] f32 in, b [D] f32 in, y [N, D] f32 out.
 */
#include "kaudit/launcher.h"

#include <cuda_runtime.h>

/* Rows go in blockIdx.y (grid-stride past 65535), columns in x: no 64-bit
 * division per element, so the baseline is slow only for its traffic. */
__global__ void add_bias(const float *x, const float *b, float *y, int64_t n, int64_t d)
{
	int64_t col = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
	if (col >= d)
		return;
	for (int64_t row = blockIdx.y; row < n; row += gridDim.y)
		y[row * d + col] = x[row * d + col] + b[col];
}

__device__ __forceinline__ float gelu(float v)
{
	return 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
}

__global__ void gelu_inplace(float *y, int64_t count)
{
	int64_t stride = (int64_t)gridDim.x * blockDim.x;
	for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < count; i += stride)
		y[i] = gelu(y[i]);
}

KAUDIT_ENTRY(bias_gelu_unfused)
{
	if (l->nbuffers != 3)
		return 1;
	const float *x = (const float *)l->buffers[0].data;
	const float *b = (const float *)l->buffers[1].data;
	float *y = (float *)l->buffers[2].data;
	int64_t n = kaudit_param(l, "N", 0), d = kaudit_param(l, "D", 0);
	if (n <= 0 || d <= 0)
		return 1;
	cudaStream_t s = (cudaStream_t)l->stream;
	dim3 grid((unsigned)((d + 255) / 256), (unsigned)(n < 65535 ? n : 65535));
	add_bias<<<grid, 256, 0, s>>>(x, b, y, n, d);
	int64_t count = n * d;
	int64_t blocks = (count + 255) / 256;
	gelu_inplace<<<(unsigned)(blocks < 1048576 ? blocks : 1048576), 256, 0, s>>>(y, count);
	return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
