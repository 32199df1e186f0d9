/*
 * ref_matmul.cu - baseline for the Sakana "first row only" reproduction.
 *
 * C[M,N] = A[M,K] @ B[K,N], f32, row-major, the textbook 16x16
 * shared-memory tiled kernel (the same as claims/gallery/kernels/
 * ref_matmul.cu; each claim directory stands alone).
 */
#include <cuda_runtime.h>

#include "kaudit/launcher.h"

#define TILE 16

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

KAUDIT_ENTRY(matmul_ref)
{
	if (l->nbuffers != 3)
		return 1;
	int M = (int)kaudit_param(l, "M", 0), N = (int)kaudit_param(l, "N", 0);
	int K = (int)kaudit_param(l, "K", 0);
	if (M <= 0 || N <= 0 || K <= 0)
		return 1;
	dim3 grid((N + TILE - 1) / TILE, (M + TILE - 1) / TILE), block(TILE, TILE);
	matmul_tiled<<<grid, block, 0, (cudaStream_t)l->stream>>>(
		(const float *)l->buffers[0].data, (const float *)l->buffers[1].data,
		(float *)l->buffers[2].data, M, N, K);
	return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
