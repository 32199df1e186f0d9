/*
 * ref_softmax.cu - the baseline of the input-mutation claim.
 *
 * y[r, :] = softmax(x[r, :]), f32, one 256-thread block per row, three
 * passes over the row: max, sum of exp(x - max), then exp(x - max) / sum
 * (the exponential is computed again rather than stored: x is read-only).
 * The reductions use a fixed-order shared-memory tree, so results are
 * deterministic.
 */
#include <cuda_runtime.h>

#include "kaudit/launcher.h"

#define THREADS 256

/* Fixed-order tree reduction of one value per thread; op 0 = max, 1 = sum. */
__device__ float block_reduce(float v, int op)
{
	__shared__ float part[THREADS];
	part[threadIdx.x] = v;
	__syncthreads();
	for (int s = THREADS / 2; s > 0; s >>= 1) {
		if (threadIdx.x < s) {
			float o = part[threadIdx.x + s];
			part[threadIdx.x] = op ? part[threadIdx.x] + o : fmaxf(part[threadIdx.x], o);
		}
		__syncthreads();
	}
	float r = part[0];
	__syncthreads();
	return r;
}

__global__ void softmax_rows(const float *x, float *y, int64_t D)
{
	const float *xr = x + (int64_t)blockIdx.x * D;
	float *yr = y + (int64_t)blockIdx.x * D;
	float m = -INFINITY;
	for (int64_t j = threadIdx.x; j < D; j += THREADS)
		m = fmaxf(m, xr[j]);
	m = block_reduce(m, 0);
	float s = 0.0f;
	for (int64_t j = threadIdx.x; j < D; j += THREADS)
		s += expf(xr[j] - m);
	s = block_reduce(s, 1);
	for (int64_t j = threadIdx.x; j < D; j += THREADS)
		yr[j] = expf(xr[j] - m) / s;
}

KAUDIT_ENTRY(softmax_ref)
{
	if (l->nbuffers != 2 || l->buffers[0].ndim != 2)
		return 1;
	const kaudit_buffer *x = &l->buffers[0];
	softmax_rows<<<(unsigned)x->shape[0], THREADS, 0, (cudaStream_t)l->stream>>>(
		(const float *)x->data, (float *)l->buffers[1].data, x->shape[1]);
	return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
