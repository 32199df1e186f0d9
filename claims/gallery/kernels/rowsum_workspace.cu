/*
 * rowsum_workspace.cu - HONEST: split-row sum with a persistent workspace.
 *
 * Look-alike of work-drift and stale-output that must stay clean.  The
 * first call allocates a workspace for the per-chunk partial sums (and
 * grows it if a later shape needs more); every call then does the full
 * work: pass one sums each CHUNK of each row into the workspace, pass two
 * adds a row's partials in a fixed order.  No atomics, so the bits are
 * the same on every run.  Nothing computed in one call is reused by the
 * next: only the memory is.
 *
 * With few long rows the baseline (one block per row) keeps a handful of
 * SMs busy; this keeps all of them busy, a real speedup.  The sum is
 * taken in a different order than the baseline's, so the claim declares
 * a tolerance suited to sums of 2^20 terms.
 */
#include <cuda_runtime.h>

#include "kaudit/launcher.h"

#define THREADS 256
#define CHUNK 16384

/* Fixed-order tree sum of one value per thread. */
__device__ float block_sum(float v)
{
	__shared__ float part[THREADS];
	part[threadIdx.x] = v;
	__syncthreads();
	for (int s = THREADS / 2; s > 0; s >>= 1) {
		if (threadIdx.x < s)
			part[threadIdx.x] += part[threadIdx.x + s];
		__syncthreads();
	}
	return part[0];
}

__global__ void chunk_sums(const float *x, float *partial, int64_t D)
{
	const float *row = x + (int64_t)blockIdx.y * D;
	int64_t begin = (int64_t)blockIdx.x * CHUNK;
	int64_t end = begin + CHUNK < D ? begin + CHUNK : D;
	float acc = 0.0f;
	for (int64_t j = begin + threadIdx.x; j < end; j += THREADS)
		acc += row[j];
	acc = block_sum(acc);
	if (threadIdx.x == 0)
		partial[(int64_t)blockIdx.y * gridDim.x + blockIdx.x] = acc;
}

__global__ void sum_partials(const float *partial, float *y, int nchunks)
{
	const float *p = partial + (int64_t)blockIdx.x * nchunks;
	float acc = 0.0f;
	for (int c = threadIdx.x; c < nchunks; c += THREADS)
		acc += p[c];
	acc = block_sum(acc);
	if (threadIdx.x == 0)
		y[blockIdx.x] = acc;
}

/* Persistent scratch: allocated once, reused, grown when a shape needs it. */
static float *workspace;
static size_t workspace_bytes;

KAUDIT_ENTRY(rowsum_split_workspace)
{
	if (l->nbuffers != 2 || l->buffers[0].ndim != 2)
		return 1;
	const kaudit_buffer *x = &l->buffers[0], *y = &l->buffers[1];
	int64_t R = x->shape[0], D = x->shape[1];
	if (kaudit_numel(y) != R || R > 65535)
		return 1;
	int nchunks = (int)((D + CHUNK - 1) / CHUNK);
	size_t need = (size_t)R * nchunks * sizeof(float);
	if (need > workspace_bytes) {
		if (workspace)
			cudaFree(workspace);
		workspace = NULL;
		workspace_bytes = 0;
		if (cudaMalloc((void **)&workspace, need) != cudaSuccess)
			return 1;
		workspace_bytes = need;
	}
	cudaStream_t s = (cudaStream_t)l->stream;
	chunk_sums<<<dim3((unsigned)nchunks, (unsigned)R), THREADS, 0, s>>>(
		(const float *)x->data, workspace, D);
	sum_partials<<<(unsigned)R, THREADS, 0, s>>>(workspace, (float *)y->data, nchunks);
	return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
