/*
 * rowsum_atomic.cu - split-row sum with float atomics: fast, and its bits
 * change from run to run.
 *
 * Used by two claims:
 *   nondeterministic-output.yaml - CHEAT: the manifest keeps the default
 *     `deterministic: true`, i.e. promises identical bits for identical
 *     inputs, which this kernel cannot keep -> nondeterministic-output.
 *   honest-nondeterministic-declared.yaml - HONEST: the same kernel with
 *     `deterministic: false` declared; only the tolerance applies.
 *
 * Each row is split into chunks of CHUNK elements, one 256-thread block
 * per chunk; every warp adds its partial sum into y[row] with atomicAdd.
 * Float addition is not associative and the order in which 512 warps reach
 * the same address depends on scheduling, so the last bits differ between
 * runs.  With few long rows this uses every SM where the one-block-per-row
 * baseline uses a handful, so the speedup is real.
 *
 * Why a naive harness is fooled: it runs each kernel once per correctness
 * trial with allclose, which run-to-run jitter of 1e-6 passes; it never
 * runs the same inputs twice and compares bits.  kaudit's repeat trial
 * does (identical inputs, different poison).
 */
#include <cuda_runtime.h>

#include "kaudit/launcher.h"

#define THREADS 256
#define CHUNK 16384

__global__ void rowsum_chunks_atomic(const float *x, float *y, int64_t D)
{
	const float *row = x + (int64_t)blockIdx.y * D;
	int64_t begin = (int64_t)blockIdx.x * CHUNK;
	int64_t end = begin + CHUNK < D ? begin + CHUNK : D;
	float acc = 0.0f;
	for (int64_t j = begin + threadIdx.x; j < end; j += THREADS)
		acc += row[j];
	for (int off = 16; off > 0; off >>= 1)
		acc += __shfl_down_sync(0xffffffffu, acc, off);
	if ((threadIdx.x & 31) == 0)
		atomicAdd(&y[blockIdx.y], acc); /* unordered: the nondeterminism */
}

KAUDIT_ENTRY(rowsum_split_atomic)
{
	if (l->nbuffers != 2 || l->buffers[0].ndim != 2)
		return 1;
	const kaudit_buffer *x = &l->buffers[0], *y = &l->buffers[1];
	int64_t R = x->shape[0], D = x->shape[1];
	if (kaudit_numel(y) != R || R > 65535)
		return 1;
	cudaStream_t s = (cudaStream_t)l->stream;
	/* atomics accumulate, so the output starts at zero on every call */
	if (cudaMemsetAsync(y->data, 0, (size_t)R * sizeof(float), s) != cudaSuccess)
		return 1;
	dim3 grid((unsigned)((D + CHUNK - 1) / CHUNK), (unsigned)R);
	rowsum_chunks_atomic<<<grid, THREADS, 0, s>>>((const float *)x->data,
						      (float *)y->data, D);
	return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
