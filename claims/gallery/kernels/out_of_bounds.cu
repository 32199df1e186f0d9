/*
 * out_of_bounds.cu - CHEAT: out-of-bounds-write (no bounds check).
 *
 * The baseline's scale-shift with the `if (i < n)` dropped "because the
 * branch costs": the grid is rounded up to whole 256-thread blocks, so
 * when N is not a multiple of 256 the last block reads past the end of x
 * and writes past the end of y.  With N = 2^24 - 2 that is two floats
 * (8 bytes) beyond the output.
 *
 * Why a naive harness is fooled: the stray bytes land in whatever follows
 * the output in the allocator's pool (usually allocation padding), the
 * output itself is exactly right, and nothing crashes.  In a real model
 * the neighbour is another live tensor.
 *
 * kaudit surrounds every buffer with guard zones filled with a canary and
 * checks them after each call: the canary after y has changed ->
 * out-of-bounds-write.  (The value written there, 1.5 * c - 0.25, differs
 * from any canary word c but 0.5f, so the damage cannot hide.)
 */
#include <cuda_runtime.h>

#include "kaudit/launcher.h"

__global__ void scale_shift_unchecked(const float *x, float *y)
{
	int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	y[i] = fmaf(x[i], 1.5f, -0.25f); /* the cheat: no i < n */
}

KAUDIT_ENTRY(scale_shift_no_bounds_check)
{
	if (l->nbuffers != 2)
		return 1;
	int64_t n = kaudit_numel(&l->buffers[1]);
	scale_shift_unchecked<<<(unsigned)((n + 255) / 256), 256, 0,
				(cudaStream_t)l->stream>>>(
		(const float *)l->buffers[0].data, (float *)l->buffers[1].data);
	return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
