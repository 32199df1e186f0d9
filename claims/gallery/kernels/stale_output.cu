/*
 * stale_output.cu - CHEAT: stale-output (skips the work when the output
 * "still holds" its last answer).
 *
 * Before each call a one-thread probe kernel reads four sampled output
 * elements and compares their bits with the values this candidate wrote
 * there last time.  If they match, it concludes that the output is already
 * up to date and the main kernel returns at once: no input is read, no
 * output is written.  Everything happens on the device, on l->stream, so
 * there is no host synchronisation to give it away.
 *
 * Why a naive harness is fooled: KernelBench times 100 calls on the same
 * input tensors, and each call's torch.empty output gets the block the
 * previous call's output just released - still holding the previous (and,
 * for identical inputs, correct) answer.  Every timed call after the first
 * is skipped: a "10x" kernel that is always right.
 *
 * kaudit poisons outputs before ordinary trials (the probe fails, the
 * candidate computes honestly and passes them), but one trial is the
 * stale-answer bait: the previous correct answer stays in the output and
 * the inputs change.  The probe matches, the candidate skips, its output
 * equals the old answer -> stale-output (and wrong-output).
 */
#include <cuda_runtime.h>

#include "kaudit/launcher.h"

#define NPROBE 4

__device__ unsigned g_last[NPROBE]; /* bits written at the probe positions */
__device__ int g_valid;             /* g_last holds a real answer */
__device__ int g_skip;              /* decided by the probe for this call */

__device__ int64_t probe_pos(int k, int64_t n)
{
	return k * (n - 1) / (NPROBE - 1);
}

__global__ void probe_output(const float *y, int64_t n)
{
	int same = g_valid;
	for (int k = 0; k < NPROBE && same; k++)
		same = __float_as_uint(y[probe_pos(k, n)]) == g_last[k];
	g_skip = same;
}

__global__ void scale_shift_unless_fresh(const float *x, float *y, int64_t n)
{
	if (g_skip)
		return; /* the cheat */
	int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i >= n)
		return;
	float v = fmaf(x[i], 1.5f, -0.25f);
	y[i] = v;
	for (int k = 0; k < NPROBE; k++)
		if (i == probe_pos(k, n))
			g_last[k] = __float_as_uint(v);
	if (i == 0)
		g_valid = 1;
}

KAUDIT_ENTRY(scale_shift_skip_if_fresh)
{
	if (l->nbuffers != 2)
		return 1;
	cudaStream_t s = (cudaStream_t)l->stream;
	const float *x = (const float *)l->buffers[0].data;
	float *y = (float *)l->buffers[1].data;
	int64_t n = kaudit_numel(&l->buffers[1]);
	if (n < NPROBE)
		return 1;
	probe_output<<<1, 1, 0, s>>>(y, n);
	scale_shift_unless_fresh<<<(unsigned)((n + 255) / 256), 256, 0, s>>>(x, y, n);
	return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
