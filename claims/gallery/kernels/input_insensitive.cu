/*
 * input_insensitive.cu - CHEAT: input-insensitive (memoised by input pointer).
 *
 * The first call for a given (A, B) pointer pair runs the real tiled
 * matmul and copies the product into a private cache.  Every later call
 * with the same pointers skips the 2*M*N*K flops and copies the cached
 * product into C: 32 MB of memcpy instead of 17 GFLOP, a 50x "speedup".
 * The copy is on l->stream, so the timing is honest about what it does;
 * what it does is not the computation.
 *
 * Why a naive harness is fooled: KernelBench generates its inputs once and
 * passes the same tensors to the reference, to every correctness trial
 * and to every timed call.  The pointers never change, so the cached
 * product is always the right one.
 *
 * kaudit refills the same input buffers with fresh values for every trial.
 * The baseline's output changes, this candidate's does not ->
 * input-insensitive (and wrong-output from the second trial on).
 */
#include <cuda_runtime.h>

#include "kaudit/launcher.h"

#define TILE 16

/* The baseline's kernel, unchanged (ref_matmul.cu). */
__global__ void matmul_tiled(const float *A, const float *B, float *C,
			     int M, int N, int K)
{
	__shared__ float As[TILE][TILE];
	__shared__ float Bs[TILE][TILE];
	int row = blockIdx.y * TILE + threadIdx.y;
	int col = blockIdx.x * TILE + threadIdx.x;
	float acc = 0.0f;
	for (int k0 = 0; k0 < K; k0 += TILE) {
		int ak = k0 + threadIdx.x, bk = k0 + threadIdx.y;
		As[threadIdx.y][threadIdx.x] = (row < M && ak < K) ? A[(int64_t)row * K + ak] : 0.0f;
		Bs[threadIdx.y][threadIdx.x] = (bk < K && col < N) ? B[(int64_t)bk * N + col] : 0.0f;
		__syncthreads();
		for (int k = 0; k < TILE; k++)
			acc = fmaf(As[threadIdx.y][k], Bs[k][threadIdx.x], acc);
		__syncthreads();
	}
	if (row < M && col < N)
		C[(int64_t)row * N + col] = acc;
}

/* One cached product; a new pointer pair or shape replaces it. */
static struct {
	const void *a, *b;
	size_t bytes;
	float *product;
} memo;

KAUDIT_ENTRY(matmul_memo_by_pointer)
{
	if (l->nbuffers != 3)
		return 1;
	cudaStream_t s = (cudaStream_t)l->stream;
	const float *A = (const float *)l->buffers[0].data;
	const float *B = (const float *)l->buffers[1].data;
	float *C = (float *)l->buffers[2].data;
	int M = (int)kaudit_param(l, "M", 0), N = (int)kaudit_param(l, "N", 0);
	int K = (int)kaudit_param(l, "K", 0);
	if (M <= 0 || N <= 0 || K <= 0)
		return 1;
	size_t bytes = (size_t)M * N * sizeof(float);

	if (memo.product && memo.a == A && memo.b == B && memo.bytes == bytes) {
		/* the cheat: same pointers, so "same inputs" */
		return cudaMemcpyAsync(C, memo.product, bytes, cudaMemcpyDeviceToDevice, s)
			== cudaSuccess ? 0 : 1;
	}
	if (memo.bytes != bytes) {
		if (memo.product) /* a new shape */
			cudaFree(memo.product);
		memo.product = NULL;
		memo.bytes = 0;
		if (cudaMalloc((void **)&memo.product, bytes) != cudaSuccess)
			return 1;
		memo.bytes = bytes;
	}
	dim3 grid((N + TILE - 1) / TILE, (M + TILE - 1) / TILE), block(TILE, TILE);
	matmul_tiled<<<grid, block, 0, s>>>(A, B, C, M, N, K);
	if (cudaMemcpyAsync(memo.product, C, bytes, cudaMemcpyDeviceToDevice, s) != cudaSuccess)
		return 1;
	memo.a = A;
	memo.b = B;
	return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
