/*
 * softmax_naive.cu - baseline row softmax, as a first CUDA port of the
 * textbook loop: one thread per row, three passes over the row in global
 * memory (max, sum of exponentials, normalised write).  Neighbouring
 * threads walk different rows, so no access is coalesced and few threads
 * run when there are few rows.  The sum is kept in double: this is the
 * reference the candidate is checked against.
 *
 * Buffers: x [N, D] f32 in, y [N, D] f32 out.
 */
#include "kaudit/launcher.h"

#include <cuda_runtime.h>
#include <math.h>

__global__ void softmax_row_per_thread(const float *x, float *y, int64_t n, int64_t d)
{
	int64_t row = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
	if (row >= n)
		return;
	const float *xr = x + row * d;
	float *yr = y + row * d;
	float m = -INFINITY;
	for (int64_t i = 0; i < d; i++)
		m = fmaxf(m, xr[i]);
	double sum = 0.0;
	for (int64_t i = 0; i < d; i++)
		sum += (double)expf(xr[i] - m);
	float s = (float)sum;
	for (int64_t i = 0; i < d; i++)
		yr[i] = expf(xr[i] - m) / s;
}

KAUDIT_ENTRY(softmax_naive)
{
	if (l->nbuffers != 2)
		return 1;
	const float *x = (const float *)l->buffers[0].data;
	float *y = (float *)l->buffers[1].data;
	int64_t n = kaudit_param(l, "N", 0), d = kaudit_param(l, "D", 0);
	if (n <= 0 || d <= 0)
		return 1;
	softmax_row_per_thread<<<(unsigned)((n + 127) / 128), 128, 0,
				 (cudaStream_t)l->stream>>>(x, y, n, d);
	return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
