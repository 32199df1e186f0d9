/*
 * wrong_output_f16.cu - CHEAT: wrong-output (precision below what the claim allows).
 *
 * The claim is an f32 matmul.  This candidate rounds A and B to f16 on the
 * way into shared memory and multiplies them on the tensor cores (WMMA
 * 16x16x16, f32 accumulate).  Tensor cores are far faster than the f32 FMA
 * pipes, so the speedup is real - but f16 keeps 11 significant bits, and
 * with K = 2048 the result is off by ~1e-3 relative, a hundred times the
 * f32 tolerance (rtol 1e-5) the manifest declares.
 *
 * Why a naive harness is fooled: KernelBench-style checks use
 * torch.allclose with atol = rtol = 1e-2, loose enough for f16, so an "f32"
 * kernel that silently computes in f16 passes and its speedup is reported.
 * kaudit compares against the baseline with the tolerance of the claimed
 * dtype: wrong-output, with max abs/rel error as evidence.
 *
 * Needs M, N, K multiples of 16 (returns nonzero otherwise) and sm_70+.
 */
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <mma.h>

#include "kaudit/launcher.h"

using namespace nvcuda;

/* One warp per block computes one 16x16 tile of C. */
__global__ void matmul_wmma_f16(const float *A, const float *B, float *C,
				int N, int K)
{
	/* wmma::load_matrix_sync needs 256-bit aligned tiles */
	__shared__ __align__(32) __half As[16 * 16];
	__shared__ __align__(32) __half Bs[16 * 16];
	int tile_row = blockIdx.y * 16, tile_col = blockIdx.x * 16;
	wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> a;
	wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::row_major> b;
	wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
	wmma::fill_fragment(acc, 0.0f);
	for (int k0 = 0; k0 < K; k0 += 16) {
		for (int e = threadIdx.x; e < 256; e += 32) {
			int r = e / 16, c = e % 16;
			/* the cheat: f32 -> f16 rounding of every operand */
			As[e] = __float2half(A[(int64_t)(tile_row + r) * K + k0 + c]);
			Bs[e] = __float2half(B[(int64_t)(k0 + r) * N + tile_col + c]);
		}
		__syncwarp();
		wmma::load_matrix_sync(a, As, 16);
		wmma::load_matrix_sync(b, Bs, 16);
		wmma::mma_sync(acc, a, b, acc);
		__syncwarp();
	}
	wmma::store_matrix_sync(C + (int64_t)tile_row * N + tile_col, acc, N,
				wmma::mem_row_major);
}

KAUDIT_ENTRY(matmul_f16_tensorcore)
{
	if (l->nbuffers != 3)
		return 1;
	int M = (int)kaudit_param(l, "M", 0), N = (int)kaudit_param(l, "N", 0);
	int K = (int)kaudit_param(l, "K", 0);
	if (M <= 0 || N <= 0 || K <= 0 || M % 16 || N % 16 || K % 16)
		return 1;
	dim3 grid(N / 16, M / 16);
	matmul_wmma_f16<<<grid, 32, 0, (cudaStream_t)l->stream>>>(
		(const float *)l->buffers[0].data, (const float *)l->buffers[1].data,
		(float *)l->buffers[2].data, N, K);
	return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
