/*
 * unwritten_half.cu - CHEAT: unwritten-output (half of the output is never written).
 *
 * A scale-shift whose launch is sized for a kernel that handled two
 * elements per thread, while the kernel handles one: the grid covers only
 * the first half of the array.  It reads and writes half as much memory as
 * the baseline, so it runs about twice as fast, and every element it does
 * write is exactly right.
 *
 * Why a naive harness is fooled: it allocates the candidate's output with
 * torch.empty right after freeing the reference's output; the caching
 * allocator hands back the same block, which still holds the reference
 * answer, so the elements never written compare equal.  KernelBench never
 * fills outputs before a call.  kaudit poisons every output before every
 * call with a pattern that changes per trial: the second half still holds
 * poison afterwards -> unwritten-output (and wrong-output, as poison does
 * not match the baseline).
 */
#include <cuda_runtime.h>

#include "kaudit/launcher.h"

__global__ void scale_shift_kernel(const float *x, float *y, int64_t n)
{
	int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i < n)
		y[i] = fmaf(x[i], 1.5f, -0.25f);
}

KAUDIT_ENTRY(scale_shift_half_written)
{
	if (l->nbuffers != 2)
		return 1;
	int64_t n = kaudit_numel(&l->buffers[1]);
	/* the cheat: "two elements per thread" survived in the grid size only */
	int64_t threads = (n + 1) / 2;
	scale_shift_kernel<<<(unsigned)((threads + 255) / 256), 256, 0,
			     (cudaStream_t)l->stream>>>(
		(const float *)l->buffers[0].data, (float *)l->buffers[1].data, n);
	return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
