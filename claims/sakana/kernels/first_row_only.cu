/*
 * first_row_only.cu - Sakana failure 2: a matrix kernel that computes only
 * its first row.
 *
 * A "row-parallel" matmul: each block computes a 256-column strip of one
 * row of C, the row taken from blockIdx.y.  The launch passes a 1-D grid
 * (the row count was dropped from dim3), so blockIdx.y is always 0: row 0
 * is computed, correctly, and the other M - 1 rows are never touched.  The
 * kernel does 1/M of the work - for M = 2048 a "1000x" speedup.
 *
 * What a naive harness reported: as with failure 1, the candidate's output
 * came from the caching allocator holding the reference's answer, so rows
 * 1..M-1 matched, row 0 was genuinely right, and the kernel was "correct".
 * A harness that checks only a few elements, or the first row, agrees.
 *
 * What kaudit reports: after the call, rows 1..M-1 still hold the poison
 * -> verdict invalid, unwritten-output (and wrong-output).
 */
#include <cuda_runtime.h>

#include "kaudit/launcher.h"

#define THREADS 256

__global__ void matmul_row_strips(const float *A, const float *B, float *C,
				  int N, int K)
{
	int row = blockIdx.y;
	int col = blockIdx.x * THREADS + threadIdx.x;
	if (col >= N)
		return;
	float acc = 0.0f;
	for (int k = 0; k < K; k++)
		acc = fmaf(A[(int64_t)row * K + k], B[(int64_t)k * N + col], acc);
	C[(int64_t)row * N + col] = acc;
}

KAUDIT_ENTRY(matmul_sakana_first_row)
{
	if (l->nbuffers != 3)
		return 1;
	int M = (int)kaudit_param(l, "M", 0), N = (int)kaudit_param(l, "N", 0);
	int K = (int)kaudit_param(l, "K", 0);
	if (M <= 0 || N <= 0 || K <= 0)
		return 1;
	dim3 grid((N + THREADS - 1) / THREADS); /* the bug: should be (..., M) */
	matmul_row_strips<<<grid, THREADS, 0, (cudaStream_t)l->stream>>>(
		(const float *)l->buffers[0].data, (const float *)l->buffers[1].data,
		(float *)l->buffers[2].data, N, K);
	return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
