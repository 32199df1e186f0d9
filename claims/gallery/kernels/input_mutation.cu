/*
 * input_mutation.cu - CHEAT: input-mutation (the input is used as scratch).
 *
 * Row softmax in three passes like the baseline, except that pass two
 * stores exp(x - max) back into x instead of throwing it away, so pass
 * three only divides: one exponential per element instead of two, and no
 * R x D temporary to allocate.  The output is bit-for-bit the baseline's
 * (same exponentials, same fixed-order sums).  The price is paid by the
 * caller: x, declared read-only, now holds exp(x - max).
 *
 * Why a naive harness is fooled: it compares outputs only.  The first call
 * is correct; nobody looks at the input afterwards, and later calls
 * softmax the already-exponentiated values, which a harness that checks
 * only the first call never sees.  In a real model the clobbered
 * activation is still needed by the backward pass or a residual branch.
 *
 * kaudit compares every `in` buffer bit for bit before and after each
 * call -> input-mutation (with the number of changed bytes).
 */
#include <cuda_runtime.h>

#include "kaudit/launcher.h"

#define THREADS 256

/* Fixed-order tree reduction of one value per thread; op 0 = max, 1 = sum
 * (identical to ref_softmax.cu, so the sums have the same bits). */
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

__global__ void softmax_rows_in_place_scratch(float *x, float *y, int64_t D)
{
	float *xr = x + (int64_t)blockIdx.x * D;
	float *yr = y + (int64_t)blockIdx.x * D;
	float m = -INFINITY;
	for (int64_t j = threadIdx.x; j < D; j += THREADS)
		m = fmaxf(m, xr[j]);
	m = block_reduce(m, 0);
	float s = 0.0f;
	for (int64_t j = threadIdx.x; j < D; j += THREADS) {
		float e = expf(xr[j] - m);
		xr[j] = e; /* the cheat: the read-only input becomes scratch */
		s += e;
	}
	s = block_reduce(s, 1);
	for (int64_t j = threadIdx.x; j < D; j += THREADS)
		yr[j] = xr[j] / s;
}

KAUDIT_ENTRY(softmax_input_as_scratch)
{
	if (l->nbuffers != 2 || l->buffers[0].ndim != 2)
		return 1;
	const kaudit_buffer *x = &l->buffers[0];
	softmax_rows_in_place_scratch<<<(unsigned)x->shape[0], THREADS, 0,
					(cudaStream_t)l->stream>>>(
		(float *)x->data, (float *)l->buffers[1].data, x->shape[1]);
	return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
