/*
 * transpose_naive.cu - baseline: the textbook naive transpose (NVIDIA's
 * "transposeNaive", 32x8 threads per 32x32 tile).  Reads are coalesced;
 * writes are not: each warp store lands in 32 different rows of y, so it
 * costs 32 memory transactions for 128 useful bytes.
 *
 * Buffers: x [R, C] f32 in, y [C, R] f32 out.
 */
#include "kaudit/launcher.h"

#include <cuda_runtime.h>

#define TILE 32
#define ROWS 8

__global__ void transpose_naive(const float *x, float *y, int64_t r, int64_t c)
{
	int64_t col = blockIdx.x * (int64_t)TILE + threadIdx.x;
	int64_t row0 = blockIdx.y * (int64_t)TILE + threadIdx.y;
	if (col >= c)
		return;
	for (int j = 0; j < TILE; j += ROWS) {
		int64_t row = row0 + j;
		if (row < r)
			y[col * r + row] = x[row * c + col];
	}
}

KAUDIT_ENTRY(transpose_naive)
{
	if (l->nbuffers != 2)
		return 1;
	int64_t r = kaudit_param(l, "R", 0), c = kaudit_param(l, "C", 0);
	if (r <= 0 || c <= 0 || (r + TILE - 1) / TILE > 65535)
		return 1;
	dim3 grid((unsigned)((c + TILE - 1) / TILE), (unsigned)((r + TILE - 1) / TILE));
	transpose_naive<<<grid, dim3(TILE, ROWS), 0, (cudaStream_t)l->stream>>>(
		(const float *)l->buffers[0].data, (float *)l->buffers[1].data, r, c);
	return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
