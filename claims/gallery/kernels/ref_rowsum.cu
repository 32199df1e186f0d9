/*
 * ref_rowsum.cu - the baseline of the reduction gallery claims.
 *
 * y[r] = sum over d of x[r, d], f32: one 256-thread block per row, each
 * thread sums a strided slice in order, then a shared-memory tree combines
 * the 256 partial sums in a fixed order.  Deterministic: the same inputs
 * give the same bits on every run.  With many rows it streams at close to
 * the memory bandwidth; with few long rows most SMs sit idle, which is the
 * honest headroom the split-row candidates exploit.
 *
 * Two entries: rowsum_ref (x -> y) and rowsum_pair_ref (a -> sa, b -> sb,
 * two independent reductions one after the other on l->stream).
 */
#include <cuda_runtime.h>

#include "kaudit/launcher.h"

#define THREADS 256

__global__ void rowsum_kernel(const float *x, float *y, int64_t D)
{
	__shared__ float part[THREADS];
	const float *row = x + (int64_t)blockIdx.x * D;
	float acc = 0.0f;
	for (int64_t j = threadIdx.x; j < D; j += THREADS)
		acc += row[j];
	part[threadIdx.x] = acc;
	__syncthreads();
	for (int s = THREADS / 2; s > 0; s >>= 1) {
		if (threadIdx.x < s)
			part[threadIdx.x] += part[threadIdx.x + s];
		__syncthreads();
	}
	if (threadIdx.x == 0)
		y[blockIdx.x] = part[0];
}

static int rowsum_launch(const kaudit_buffer *x, const kaudit_buffer *y,
			 cudaStream_t stream)
{
	if (x->ndim != 2 || kaudit_numel(y) != x->shape[0])
		return 1;
	rowsum_kernel<<<(unsigned)x->shape[0], THREADS, 0, stream>>>(
		(const float *)x->data, (float *)y->data, x->shape[1]);
	return cudaGetLastError() == cudaSuccess ? 0 : 1;
}

KAUDIT_ENTRY(rowsum_ref)
{
	if (l->nbuffers != 2)
		return 1;
	return rowsum_launch(&l->buffers[0], &l->buffers[1], (cudaStream_t)l->stream);
}

/* Buffers: a, b (in), sa, sb (out). */
KAUDIT_ENTRY(rowsum_pair_ref)
{
	if (l->nbuffers != 4)
		return 1;
	cudaStream_t s = (cudaStream_t)l->stream;
	if (rowsum_launch(&l->buffers[0], &l->buffers[2], s))
		return 1;
	return rowsum_launch(&l->buffers[1], &l->buffers[3], s);
}
