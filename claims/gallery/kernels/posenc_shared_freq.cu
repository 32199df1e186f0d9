/*
 * posenc_shared_freq.cu - HONEST: an output that truly does not depend on
 * the input values.
 *
 * Look-alike of input-insensitive and stale-output that must stay clean.
 * Position encodings depend only on the shape, so this candidate's output
 * does not change when kaudit refills the token ids - and neither does
 * the baseline's, which is what tells an input-independent op from a
 * memoised one (input-insensitive needs the baseline's output to change).
 * It still computes and writes every element on every call: the stale-
 * answer bait finds the old answer in the output, but the old answer is
 * also the new baseline answer, so nothing is stale.
 *
 * The speedup is legitimate: a block covers COLS columns of ROWS rows, its
 * threads compute the COLS frequencies once into shared memory (the same
 * powf expression as the baseline, so the same bits) instead of one powf
 * per element, leaving one sinf/cosf per element.
 */
#include <cuda_runtime.h>

#include "kaudit/launcher.h"

#define COLS 256
#define ROWS 16

__global__ void posenc_tiles(float *pe, int64_t T, int D)
{
	__shared__ float w[COLS];
	int j = blockIdx.x * COLS + threadIdx.x;
	if (j < D)
		w[threadIdx.x] = powf(10000.0f, -(float)(j & ~1) / (float)D);
	__syncthreads();
	if (j >= D)
		return;
	int64_t t0 = (int64_t)blockIdx.y * ROWS;
	for (int64_t t = t0; t < t0 + ROWS && t < T; t++) {
		float a = (float)t * w[threadIdx.x];
		pe[t * D + j] = (j & 1) ? cosf(a) : sinf(a);
	}
}

/* Buffers: tokens [T] (in, i32, unread), pe [T, D] (out). */
KAUDIT_ENTRY(posenc_shared_freq)
{
	if (l->nbuffers != 2 || l->buffers[1].ndim != 2)
		return 1;
	int64_t T = l->buffers[1].shape[0], D = l->buffers[1].shape[1];
	if (kaudit_numel(&l->buffers[0]) != T || D > 65536 || (T + ROWS - 1) / ROWS > 65535)
		return 1;
	dim3 grid((unsigned)((D + COLS - 1) / COLS), (unsigned)((T + ROWS - 1) / ROWS));
	posenc_tiles<<<grid, COLS, 0, (cudaStream_t)l->stream>>>(
		(float *)l->buffers[1].data, T, (int)D);
	return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
