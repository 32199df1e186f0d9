/*
 * gpu_kernels.cu - the device helpers of the audit protocol: input
 * generation, poison and canary fills, counting, byte diffs, allclose
 * comparison with on-device reduction, and the L2 flush.
 *
 * All kernels are grid-stride loops over 64-bit indices, so any buffer size
 * works with a bounded grid.  Reductions use a fixed grid and a fixed tree
 * order, so the same inputs give the same sums bit for bit.
 */
#include <cuda_runtime.h>
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <math.h>
#include <stdint.h>

#include "gpu/gpu.h"
#include "util/rng.h"
#include "kaudit/launcher.h"
extern "C" {
#include "claim/claim.h"
}

#define THREADS 256
#define MAX_BLOCKS 4096

static unsigned blocks_for(uint64_t n)
{
	uint64_t b = (n + THREADS - 1) / THREADS;
	if (b == 0)
		b = 1;
	return b > MAX_BLOCKS ? MAX_BLOCKS : (unsigned)b;
}

/* ---- generation ---------------------------------------------------------- */

/* Every value goes through a double and is rounded and saturated, integer
 * draws included (tests/unit/host_backend.c does the same on the host). */
template <typename T>
__device__ static void store_int(void *dst, uint64_t i, double v, double lo, double hi)
{
	((T *)dst)[i] = (T)rng_saturate(v, lo, hi);
}

__global__ static void generate_kernel(void *dst, int dtype, uint64_t count, int dist,
				       double a, double b, uint64_t seed)
{
	int is_float = dtype == KAUDIT_F16 || dtype == KAUDIT_BF16 ||
		       dtype == KAUDIT_F32 || dtype == KAUDIT_F64;
	for (uint64_t i = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; i < count;
	     i += (uint64_t)gridDim.x * blockDim.x) {
		double v = rng_init_value(seed, i, dist, a, b, is_float);
		switch (dtype) {
		case KAUDIT_F16: ((__half *)dst)[i] = __double2half(v); break;
		case KAUDIT_BF16: ((__nv_bfloat16 *)dst)[i] = __double2bfloat16(v); break;
		case KAUDIT_F32: ((float *)dst)[i] = (float)v; break;
		case KAUDIT_F64: ((double *)dst)[i] = v; break;
		case KAUDIT_I8: store_int<int8_t>(dst, i, v, -128.0, 127.0); break;
		case KAUDIT_U8: store_int<uint8_t>(dst, i, v, 0.0, 255.0); break;
		case KAUDIT_I16: store_int<int16_t>(dst, i, v, -32768.0, 32767.0); break;
		case KAUDIT_I32:
			store_int<int32_t>(dst, i, v, -2147483648.0, 2147483647.0);
			break;
		case KAUDIT_I64:
			/* 2^63 is not representable: the bound is the largest double below it. */
			store_int<long long>(dst, i, v, -9223372036854775808.0,
					     9223372036854774784.0);
			break;
		case KAUDIT_U32: store_int<uint32_t>(dst, i, v, 0.0, 4294967295.0); break;
		}
	}
}

extern "C" int gpu_k_generate(void *dst, int dtype, uint64_t count, int dist, double a,
			      double b, uint64_t seed, cudaStream_t s)
{
	if (count == 0)
		return cudaSuccess;
	generate_kernel<<<blocks_for(count), THREADS, 0, s>>>(dst, dtype, count, dist, a, b,
							       seed);
	return cudaGetLastError();
}

/* ---- pattern fills ------------------------------------------------------- */

__device__ static unsigned char pattern_byte(uint32_t pattern, uint64_t j)
{
	return (unsigned char)(pattern >> (8 * (j & 3)));
}

__global__ static void fill_words_kernel(uint32_t *dst, uint64_t nwords, uint32_t pattern)
{
	for (uint64_t i = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; i < nwords;
	     i += (uint64_t)gridDim.x * blockDim.x)
		dst[i] = pattern;
}

/* Bytes FROM..TO of a fill that starts at DST (phase relative to DST). */
__global__ static void fill_bytes_kernel(unsigned char *dst, uint64_t from, uint64_t to,
					 uint32_t pattern)
{
	for (uint64_t j = from + blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; j < to;
	     j += (uint64_t)gridDim.x * blockDim.x)
		dst[j] = pattern_byte(pattern, j);
}

extern "C" int gpu_k_fill(void *dst, size_t bytes, uint32_t pattern, cudaStream_t s)
{
	if (bytes == 0)
		return cudaSuccess;
	uint64_t words = ((uintptr_t)dst % 4 == 0) ? bytes / 4 : 0;
	if (words) {
		fill_words_kernel<<<blocks_for(words), THREADS, 0, s>>>((uint32_t *)dst, words,
									pattern);
		cudaError_t rc = cudaGetLastError();
		if (rc != cudaSuccess)
			return rc;
	}
	if (words * 4 < bytes) {
		fill_bytes_kernel<<<blocks_for(bytes - words * 4), THREADS, 0, s>>>(
			(unsigned char *)dst, words * 4, bytes, pattern);
		return cudaGetLastError();
	}
	return cudaSuccess;
}

/* ---- counting ------------------------------------------------------------ */

/* Sums each thread's count over the block and adds it to *COUNTER once. */
__device__ static void block_add(unsigned long long mine, unsigned long long *counter)
{
	__shared__ unsigned long long part[THREADS];
	part[threadIdx.x] = mine;
	__syncthreads();
	for (unsigned stride = THREADS / 2; stride > 0; stride /= 2) {
		if (threadIdx.x < stride)
			part[threadIdx.x] += part[threadIdx.x + stride];
		__syncthreads();
	}
	if (threadIdx.x == 0 && part[0])
		atomicAdd(counter, part[0]);
}

__global__ static void count_fill_bytes_kernel(const unsigned char *src, uint64_t bytes,
					       uint32_t pattern, unsigned long long *counter)
{
	unsigned long long n = 0;
	for (uint64_t j = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; j < bytes;
	     j += (uint64_t)gridDim.x * blockDim.x)
		n += src[j] != pattern_byte(pattern, j);
	block_add(n, counter);
}

extern "C" int gpu_k_count_fill_bytes(const void *src, size_t bytes, uint32_t pattern,
				      unsigned long long *counter, cudaStream_t s)
{
	if (bytes == 0)
		return cudaSuccess;
	count_fill_bytes_kernel<<<blocks_for(bytes), THREADS, 0, s>>>(
		(const unsigned char *)src, bytes, pattern, counter);
	return cudaGetLastError();
}

/* WORDS: 4-byte elements at a 4-byte aligned address, compared as words
 * (the fill's phase is 0 at every element); otherwise byte by byte. */
__global__ static void count_fill_elems_kernel(const unsigned char *src, uint64_t esize,
					       uint64_t count, uint32_t pattern, int words,
					       unsigned long long *counter)
{
	unsigned long long n = 0;
	for (uint64_t k = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; k < count;
	     k += (uint64_t)gridDim.x * blockDim.x) {
		int same = 1;
		if (words) {
			same = ((const uint32_t *)src)[k] == pattern;
		} else {
			for (uint64_t t = 0; t < esize && same; t++) {
				uint64_t j = k * esize + t;
				same = src[j] == pattern_byte(pattern, j);
			}
		}
		n += same;
	}
	block_add(n, counter);
}

extern "C" int gpu_k_count_fill_elems(const void *src, size_t elem_size, uint64_t count,
				      uint32_t pattern, unsigned long long *counter,
				      cudaStream_t s)
{
	if (count == 0 || elem_size == 0)
		return cudaSuccess;
	int words = elem_size == 4 && (uintptr_t)src % 4 == 0;
	count_fill_elems_kernel<<<blocks_for(count), THREADS, 0, s>>>(
		(const unsigned char *)src, elem_size, count, pattern, words, counter);
	return cudaGetLastError();
}

__global__ static void diff_bytes_kernel(const unsigned char *a, const unsigned char *b,
					 uint64_t bytes, unsigned long long *counter)
{
	unsigned long long n = 0;
	for (uint64_t j = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; j < bytes;
	     j += (uint64_t)gridDim.x * blockDim.x)
		n += a[j] != b[j];
	block_add(n, counter);
}

extern "C" int gpu_k_diff_bytes(const void *a, const void *b, size_t bytes,
				unsigned long long *counter, cudaStream_t s)
{
	if (bytes == 0)
		return cudaSuccess;
	diff_bytes_kernel<<<blocks_for(bytes), THREADS, 0, s>>>(
		(const unsigned char *)a, (const unsigned char *)b, bytes, counter);
	return cudaGetLastError();
}

/* ---- L2 flush ------------------------------------------------------------ */

__global__ static void flush_kernel(uint32_t *scratch, uint64_t nwords, uint32_t salt)
{
	for (uint64_t i = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; i < nwords;
	     i += (uint64_t)gridDim.x * blockDim.x)
		scratch[i] = salt ^ (uint32_t)i;
}

extern "C" int gpu_k_flush(void *scratch, size_t bytes, uint32_t salt, cudaStream_t s)
{
	uint64_t words = bytes / 4;
	if (words == 0)
		return cudaSuccess;
	flush_kernel<<<blocks_for(words), THREADS, 0, s>>>((uint32_t *)scratch, words, salt);
	return cudaGetLastError();
}

/* ---- allclose comparison ------------------------------------------------- */

/* Element I of P as a double, and exactly as an integer for integer dtypes
 * (int64 values beyond 2^53 must not compare equal through rounding). */
__device__ static double load_elem(const void *p, int dtype, uint64_t i, long long *iv,
				   int *integral)
{
	*integral = 1;
	switch (dtype) {
	case KAUDIT_F16: *integral = 0; return (double)__half2float(((const __half *)p)[i]);
	case KAUDIT_BF16:
		*integral = 0;
		return (double)__bfloat162float(((const __nv_bfloat16 *)p)[i]);
	case KAUDIT_F32: *integral = 0; return (double)((const float *)p)[i];
	case KAUDIT_F64: *integral = 0; return ((const double *)p)[i];
	case KAUDIT_I8: *iv = ((const int8_t *)p)[i]; break;
	case KAUDIT_U8: *iv = ((const uint8_t *)p)[i]; break;
	case KAUDIT_I16: *iv = ((const int16_t *)p)[i]; break;
	case KAUDIT_I32: *iv = ((const int32_t *)p)[i]; break;
	case KAUDIT_I64: *iv = ((const long long *)p)[i]; break;
	default: *iv = ((const uint32_t *)p)[i]; break; /* KAUDIT_U32 */
	}
	return (double)*iv;
}

__device__ static void partial_init(struct gpu_cmp_partial *p)
{
	p->count = p->mismatches = p->ref_seen = 0;
	p->max_abs = p->max_rel = p->sum_d2 = p->sum_r2 = 0.0;
	p->ref_min = INFINITY;
	p->ref_max = -INFINITY;
	p->ref_absmax = 0.0;
}

/* A NaN error, once seen, stays: it is the worst error there is (the host
 * double reports the same). */
__device__ static double nan_max(double a, double b)
{
	return isnan(a) || isnan(b) ? NAN : fmax(a, b);
}

/* Reference extremes ignore NaN (fmin/fmax do). */
__device__ static void partial_merge(struct gpu_cmp_partial *a, const struct gpu_cmp_partial *b)
{
	a->count += b->count;
	a->mismatches += b->mismatches;
	a->ref_seen += b->ref_seen;
	a->max_abs = nan_max(a->max_abs, b->max_abs);
	a->max_rel = nan_max(a->max_rel, b->max_rel);
	a->sum_d2 += b->sum_d2;
	a->sum_r2 += b->sum_r2;
	a->ref_min = fmin(a->ref_min, b->ref_min);
	a->ref_max = fmax(a->ref_max, b->ref_max);
	a->ref_absmax = fmax(a->ref_absmax, b->ref_absmax);
}

/* Tree-reduces MINE over the block into OUT (thread 0 writes). */
__device__ static void block_reduce(struct gpu_cmp_partial *mine, struct gpu_cmp_partial *out)
{
	__shared__ struct gpu_cmp_partial part[THREADS];
	part[threadIdx.x] = *mine;
	__syncthreads();
	for (unsigned stride = THREADS / 2; stride > 0; stride /= 2) {
		if (threadIdx.x < stride)
			partial_merge(&part[threadIdx.x], &part[threadIdx.x + stride]);
		__syncthreads();
	}
	if (threadIdx.x == 0)
		*out = part[0];
}

__global__ static void compare_kernel(const void *cand, const void *ref, int dtype,
				      uint64_t count, double rtol, double atol,
				      struct gpu_cmp_partial *partials)
{
	struct gpu_cmp_partial mine;
	partial_init(&mine);
	for (uint64_t i = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; i < count;
	     i += (uint64_t)gridDim.x * blockDim.x) {
		long long ci = 0, bi = 0;
		int integral;
		double c = load_elem(cand, dtype, i, &ci, &integral);
		double b = load_elem(ref, dtype, i, &bi, &integral);
		mine.count++;
		if (!isnan(b)) {
			mine.ref_seen++;
			mine.ref_min = fmin(mine.ref_min, b);
			mine.ref_max = fmax(mine.ref_max, b);
			mine.ref_absmax = fmax(mine.ref_absmax, fabs(b));
		}
		double d = fabs(c - b);
		int equal;
		/* Integers compare exactly (int64 beyond 2^53 would round); reals by
		 * the allclose formula as written, so NaN (and inf - inf) never
		 * passes. */
		if (integral) {
			/* |c - b| from the exact integers: two int64 values that
			 * differ but round to the same double must not pass as
			 * equal (unsigned wrap-around gives the exact distance). */
			unsigned long long ud = ci >= bi
				? (unsigned long long)ci - (unsigned long long)bi
				: (unsigned long long)bi - (unsigned long long)ci;
			d = (double)ud;
		}
		equal = d <= atol + rtol * fabs(b);
		if (!equal)
			mine.mismatches++;
		mine.max_abs = nan_max(mine.max_abs, d);
		if (b != 0.0)
			mine.max_rel = nan_max(mine.max_rel, d / fabs(b));
		mine.sum_d2 += d * d;
		mine.sum_r2 += b * b;
	}
	block_reduce(&mine, &partials[blockIdx.x]);
}

__global__ static void compare_final_kernel(struct gpu_cmp_partial *partials, unsigned n)
{
	struct gpu_cmp_partial mine;
	partial_init(&mine);
	for (unsigned i = threadIdx.x; i < n; i += blockDim.x)
		partial_merge(&mine, &partials[i]);
	block_reduce(&mine, &partials[GPU_CMP_BLOCKS]);
}

extern "C" int gpu_k_compare(const void *cand, const void *ref, int dtype, uint64_t count,
			     double rtol, double atol, struct gpu_cmp_partial *partials,
			     cudaStream_t s)
{
	compare_kernel<<<GPU_CMP_BLOCKS, THREADS, 0, s>>>(cand, ref, dtype, count, rtol, atol,
							   partials);
	cudaError_t rc = cudaGetLastError();
	if (rc != cudaSuccess)
		return rc;
	compare_final_kernel<<<1, THREADS, 0, s>>>(partials, GPU_CMP_BLOCKS);
	return cudaGetLastError();
}
