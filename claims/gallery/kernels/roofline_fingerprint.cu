/*
 * roofline_fingerprint.cu - CHEAT: roofline-violation (answers recalled,
 * not computed: faster than the memory system allows).
 *
 * A row sum whose every answer is correct.  Before summing, a one-block
 * kernel hashes SAMPLES input elements (spread over the whole array) into
 * a 64-bit fingerprint and looks it up in a table of the last SLOTS
 * fingerprints it has seen.  On a miss it sums the rows exactly like the
 * baseline (same kernel, same bits) and files the result under the
 * fingerprint; on a hit it copies the filed result and never reads the
 * 256 MB of input.  Everything stays on the device, on l->stream.
 *
 * Why a naive harness is fooled: benchmarks time the same inputs over and
 * over (KernelBench), or rotate a few pre-generated input sets to defeat
 * caches (kaudit does too).  Either way the candidate has seen every set
 * during warm-up, so every timed call is a hit - and every checked output
 * is right, because the filed answer is the true answer for those inputs.
 * Trials with fresh inputs miss the table and compute honestly.
 *
 * What gives it away is physics: a row sum must read every input byte at
 * least once.  The manifest states that lower bound (work.bytes: inputs
 * read once + outputs written once); kaudit measures the device's peak
 * bandwidth, and a call that finishes in less than bytes / peak did not do
 * the work -> roofline-violation (the shrinking per-call work profile may
 * also show as work-drift).
 */
#include <cuda_runtime.h>

#include "kaudit/launcher.h"

#define THREADS 256
#define SAMPLES 256
#define SLOTS 32

__device__ unsigned long long g_fp[SLOTS];
__device__ int g_used[SLOTS];
__device__ int g_next;                  /* round-robin replacement */
__device__ int g_hit;                   /* slot of this call's answer, or -1 */
__device__ int g_slot;                  /* slot a miss files its answer in */
__device__ unsigned long long g_cur;    /* this call's fingerprint */

__device__ unsigned long long mix64(unsigned long long z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

__global__ void forget_all(void)
{
	for (int k = 0; k < SLOTS; k++)
		g_used[k] = 0;
	g_next = 0;
}

/* One block of SAMPLES threads: fingerprint, then look it up. */
__global__ void fingerprint(const float *x, int64_t n)
{
	__shared__ unsigned long long h[SAMPLES];
	int64_t pos = (int64_t)threadIdx.x * (n - 1) / (SAMPLES - 1);
	h[threadIdx.x] = mix64(((unsigned long long)threadIdx.x << 32) |
			       __float_as_uint(x[pos]));
	__syncthreads();
	for (int s = SAMPLES / 2; s > 0; s >>= 1) {
		if (threadIdx.x < s)
			h[threadIdx.x] ^= h[threadIdx.x + s];
		__syncthreads();
	}
	if (threadIdx.x)
		return;
	unsigned long long fp = mix64(h[0] ^ (unsigned long long)n);
	g_cur = fp;
	g_hit = -1;
	for (int k = 0; k < SLOTS; k++)
		if (g_used[k] && g_fp[k] == fp)
			g_hit = k;
	if (g_hit < 0) {
		g_slot = g_next;
		g_next = (g_next + 1) % SLOTS;
	}
}

/* The baseline's row sum (ref_rowsum.cu), short-circuited on a hit. */
__global__ void rowsum_or_recall(const float *x, float *y, float *filed, int64_t D)
{
	int64_t R = gridDim.x, r = blockIdx.x;
	if (g_hit >= 0) { /* the cheat: the answer is recalled, x is not read */
		if (threadIdx.x == 0)
			y[r] = filed[g_hit * R + r];
		return;
	}
	__shared__ float part[THREADS];
	const float *row = x + r * D;
	float acc = 0.0f;
	for (int64_t j = threadIdx.x; j < D; j += THREADS)
		acc += row[j];
	part[threadIdx.x] = acc;
	__syncthreads();
	for (int s = THREADS / 2; s > 0; s >>= 1) {
		if (threadIdx.x < s)
			part[threadIdx.x] += part[threadIdx.x + s];
		__syncthreads();
	}
	if (threadIdx.x == 0) {
		y[r] = part[0];
		filed[g_slot * R + r] = part[0];
	}
}

__global__ void file_fingerprint(void)
{
	if (g_hit < 0) {
		g_fp[g_slot] = g_cur;
		g_used[g_slot] = 1;
	}
}

static float *filed;       /* SLOTS answers of `filed_rows` floats */
static int64_t filed_rows;

KAUDIT_ENTRY(rowsum_fingerprint_memo)
{
	if (l->nbuffers != 2 || l->buffers[0].ndim != 2)
		return 1;
	const kaudit_buffer *x = &l->buffers[0], *y = &l->buffers[1];
	int64_t R = x->shape[0], D = x->shape[1];
	if (kaudit_numel(y) != R || R * D < SAMPLES)
		return 1;
	cudaStream_t s = (cudaStream_t)l->stream;
	if (R != filed_rows) { /* first call or a new shape: a fresh table */
		if (filed)
			cudaFree(filed);
		filed = NULL;
		filed_rows = 0;
		if (cudaMalloc((void **)&filed, (size_t)SLOTS * R * sizeof(float)) != cudaSuccess)
			return 1;
		filed_rows = R;
		forget_all<<<1, 1, 0, s>>>();
	}
	fingerprint<<<1, SAMPLES, 0, s>>>((const float *)x->data, R * D);
	rowsum_or_recall<<<(unsigned)R, THREADS, 0, s>>>((const float *)x->data,
							 (float *)y->data, filed, D);
	file_fingerprint<<<1, 1, 0, s>>>();
	return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
