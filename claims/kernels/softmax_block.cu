/*
 * softmax_block.cu - candidate row softmax: one block of 256 threads per
 * row.  The row is read from global memory once, with coalesced (16-byte
 * when possible) loads, and kept in shared memory; max and sum are block
 * reductions (warp shuffles, then one value per warp through shared
 * memory); the output is written once.  DRAM traffic is one read and one
 * write of the tensor, against three reads and a write, all uncoalesced,
 * for the baseline.
 *
 * Rows longer than the device lets a block keep in shared memory (227 KiB
 * on H100, 163 KiB on A100) are read from global memory in each pass
 * instead; the later passes then mostly hit L2.
 *
 * Exponentials and the division are the baseline's (expf, then divide by
 * the float sum); only the order of the summation differs.
 *
 * Buffers: x [N, D] f32 in, y [N, D] f32 out.
 */
#include "kaudit/launcher.h"

#include <cuda_runtime.h>
#include <math.h>

#define THREADS 256
#define WARPS (THREADS / 32)

__device__ __forceinline__ float warp_max(float v)
{
	for (int o = 16; o > 0; o /= 2)
		v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
	return v;
}

__device__ __forceinline__ float warp_sum(float v)
{
	for (int o = 16; o > 0; o /= 2)
		v += __shfl_xor_sync(0xffffffffu, v, o);
	return v;
}

/* Every thread gets the block-wide result.  SCRATCH holds WARPS floats;
 * the leading barrier makes it safe to reuse across calls. */
__device__ float block_reduce(float v, float *scratch, bool is_max)
{
	v = is_max ? warp_max(v) : warp_sum(v);
	__syncthreads();
	if (threadIdx.x % 32 == 0)
		scratch[threadIdx.x / 32] = v;
	__syncthreads();
	float r = threadIdx.x < WARPS ? scratch[threadIdx.x] : (is_max ? -INFINITY : 0.0f);
	if (threadIdx.x < 32)
		r = is_max ? warp_max(r) : warp_sum(r);
	if (threadIdx.x == 0)
		scratch[0] = r;
	__syncthreads();
	return scratch[0];
}

/* VEC: D % 4 == 0 and aligned rows, float4 accesses.  CACHE: the row is
 * kept in shared memory after the first read. */
template <bool VEC, bool CACHE>
__global__ void __launch_bounds__(THREADS)
softmax_rows(const float *x, float *y, int64_t n, int64_t d)
{
	extern __shared__ float4 smem4[];
	float *row_cache = (float *)smem4;
	__shared__ float scratch[WARPS];

	for (int64_t row = blockIdx.x; row < n; row += gridDim.x) {
		const float *xr = x + row * d;
		float *yr = y + row * d;

		float m = -INFINITY;
		if (VEC) {
			const float4 *x4 = (const float4 *)xr;
			float4 *c4 = (float4 *)row_cache;
#pragma unroll 4
			for (int64_t i = threadIdx.x; i < d / 4; i += THREADS) {
				float4 v = x4[i];
				if (CACHE)
					c4[i] = v;
				m = fmaxf(m, fmaxf(fmaxf(v.x, v.y), fmaxf(v.z, v.w)));
			}
		} else {
#pragma unroll 4
			for (int64_t i = threadIdx.x; i < d; i += THREADS) {
				float v = xr[i];
				if (CACHE)
					row_cache[i] = v;
				m = fmaxf(m, v);
			}
		}
		m = block_reduce(m, scratch, true);

		const float *src = CACHE ? row_cache : xr;
		float s = 0.0f;
		for (int64_t i = threadIdx.x; i < d; i += THREADS)
			s += expf(src[i] - m);
		s = block_reduce(s, scratch, false);

		if (VEC) {
			const float4 *s4 = (const float4 *)src;
			float4 *y4 = (float4 *)yr;
			for (int64_t i = threadIdx.x; i < d / 4; i += THREADS) {
				float4 v = s4[i];
				v.x = expf(v.x - m) / s;
				v.y = expf(v.y - m) / s;
				v.z = expf(v.z - m) / s;
				v.w = expf(v.w - m) / s;
				y4[i] = v;
			}
		} else {
			for (int64_t i = threadIdx.x; i < d; i += THREADS)
				yr[i] = expf(src[i] - m) / s;
		}
		/* The next row overwrites the cache: wait until it is read. */
		__syncthreads();
	}
}

template <bool VEC, bool CACHE>
static cudaError_t launch(const float *x, float *y, int64_t n, int64_t d, cudaStream_t s)
{
	size_t smem = CACHE ? (size_t)d * sizeof(float) : 0;
	if (smem > 48 * 1024) {
		/* A host-side attribute: no synchronisation, no device work. */
		cudaError_t e = cudaFuncSetAttribute(softmax_rows<VEC, CACHE>,
						     cudaFuncAttributeMaxDynamicSharedMemorySize,
						     (int)smem);
		if (e != cudaSuccess)
			return e;
	}
	unsigned blocks = (unsigned)(n < 1048576 ? n : 1048576);
	softmax_rows<VEC, CACHE><<<blocks, THREADS, smem, s>>>(x, y, n, d);
	return cudaGetLastError();
}

KAUDIT_ENTRY(softmax_block)
{
	if (l->nbuffers != 2)
		return 1;
	const float *x = (const float *)l->buffers[0].data;
	float *y = (float *)l->buffers[1].data;
	int64_t n = kaudit_param(l, "N", 0), d = kaudit_param(l, "D", 0);
	if (n <= 0 || d <= 0)
		return 1;
	cudaStream_t s = (cudaStream_t)l->stream;
	bool vec = d % 4 == 0 && (uintptr_t)x % 16 == 0 && (uintptr_t)y % 16 == 0;
	/* Host-side queries: they neither synchronise nor enqueue work. */
	int dev = 0, optin = 0;
	cudaError_t e = cudaGetDevice(&dev);
	if (e == cudaSuccess)
		e = cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev);
	if (e != cudaSuccess)
		return 1;
	/* Leave room for the reduction scratch. */
	bool cache = (int64_t)d * 4 + 64 <= (int64_t)optin;
	if (vec)
		e = cache ? launch<true, true>(x, y, n, d, s) : launch<true, false>(x, y, n, d, s);
	else
		e = cache ? launch<false, true>(x, y, n, d, s) : launch<false, false>(x, y, n, d, s);
	return e == cudaSuccess ? 0 : 1;
}
