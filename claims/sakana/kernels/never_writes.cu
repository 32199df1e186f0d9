/*
 * never_writes.cu - Sakana failure 1: the output is never written.
 *
 * An "optimised" SiLU of the kind an evolutionary search produces: a
 * grid-stride loop, results staged in shared memory "for coalescing" -
 * and the final copy from shared memory to y lost along the way.  Since
 * nothing the kernel computes is ever stored to global memory, the
 * compiler deletes the loads and the math too: the launch costs a few
 * microseconds whatever N is.
 *
 * What a naive harness reported: the harness ran the PyTorch reference,
 * freed its output, then allocated the candidate's output with
 * torch.empty; PyTorch's caching allocator returned the same block, still
 * holding the reference's answer.  allclose(candidate, reference) was
 * true, and the kernel was "correct" and dozens of times faster.
 *
 * What kaudit reports: every output element still holds the poison it
 * wrote before the call -> verdict invalid, unwritten-output (and
 * wrong-output).
 */
#include <cuda_runtime.h>

#include "kaudit/launcher.h"

#define THREADS 256

__global__ void silu_staged(const float *x, float *y, int64_t n)
{
	__shared__ float staged[THREADS];
	for (int64_t i = (int64_t)blockIdx.x * THREADS + threadIdx.x; i < n;
	     i += (int64_t)gridDim.x * THREADS) {
		float v = x[i];
		staged[threadIdx.x] = v / (1.0f + expf(-v));
		__syncthreads();
		/* the bug: `y[i] = staged[threadIdx.x];` is missing */
		__syncthreads();
	}
	(void)y;
}

KAUDIT_ENTRY(silu_sakana_never_writes)
{
	if (l->nbuffers != 2)
		return 1;
	int64_t n = kaudit_numel(&l->buffers[1]);
	int sms = 132;
	int dev = 0;
	if (cudaGetDevice(&dev) == cudaSuccess)
		cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev);
	silu_staged<<<4 * sms, THREADS, 0, (cudaStream_t)l->stream>>>(
		(const float *)l->buffers[0].data, (float *)l->buffers[1].data, n);
	return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
