/*
 * transpose_tiled.cu - candidate: the shared-memory tiled transpose
 * (NVIDIA's "transposeNoBankConflicts").  A 32x32 tile is read with
 * coalesced loads into shared memory, padded by one column so the
 * transposed reads hit 32 different banks, and written out with coalesced
 * stores.  Both directions move whole 128-byte lines: the kernel runs near
 * DRAM bandwidth, where the naive one is limited by its scattered stores.
 *
 * Buffers: x [R, C] f32 in, y [C, R] f32 out.
 */
#include "kaudit/launcher.h"

#include <cuda_runtime.h>

#define TILE 32
#define ROWS 8

__global__ void transpose_tiled(const float *x, float *y, int64_t r, int64_t c)
{
	__shared__ float tile[TILE][TILE + 1];
	int64_t col = blockIdx.x * (int64_t)TILE + threadIdx.x;
	int64_t row = blockIdx.y * (int64_t)TILE + threadIdx.y;
	for (int j = 0; j < TILE; j += ROWS)
		if (col < c && row + j < r)
			tile[threadIdx.y + j][threadIdx.x] = x[(row + j) * c + col];
	__syncthreads();
	/* Swap the block's roles: threadIdx.x now runs along y's rows. */
	int64_t ocol = blockIdx.y * (int64_t)TILE + threadIdx.x; /* index into R */
	int64_t orow = blockIdx.x * (int64_t)TILE + threadIdx.y; /* index into C */
	for (int j = 0; j < TILE; j += ROWS)
		if (ocol < r && orow + j < c)
			y[(orow + j) * r + ocol] = tile[threadIdx.x][threadIdx.y + j];
}

KAUDIT_ENTRY(transpose_tiled)
{
	if (l->nbuffers != 2)
		return 1;
	int64_t r = kaudit_param(l, "R", 0), c = kaudit_param(l, "C", 0);
	if (r <= 0 || c <= 0 || (r + TILE - 1) / TILE > 65535)
		return 1;
	dim3 grid((unsigned)((c + TILE - 1) / TILE), (unsigned)((r + TILE - 1) / TILE));
	transpose_tiled<<<grid, dim3(TILE, ROWS), 0, (cudaStream_t)l->stream>>>(
		(const float *)l->buffers[0].data, (float *)l->buffers[1].data, r, c);
	return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
