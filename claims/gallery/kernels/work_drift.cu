/*
 * work_drift.cu - CHEAT: work-drift (does the full work only while it
 * thinks it is being checked).
 *
 * The candidate counts its calls.  The first WARMUP_CALLS run the full
 * scale-shift; after that it assumes it is inside a timing loop and
 * processes only the first sixteenth of the array, an "8x speedup" once
 * launch overhead is counted.
 *
 * Why a naive harness is fooled: KernelBench runs 5 correctness trials,
 * then warm-up, then 100 timed calls on the same input and output
 * tensors.  The correctness trials see the full kernel; the timed calls
 * see the shrunken one, and the fifteen sixteenths it skips still hold
 * the right answer from the earlier calls.
 *
 * kaudit keeps, for every call, the GPU work the call caused (kernel,
 * memcpy and memset busy time, bytes moved): timed calls do a sixteenth of
 * the work of earlier calls with other inputs (the detector flags less
 * than a quarter) -> work-drift.  Timed calls are poisoned and a random
 * subset of them is checked, which catches the skipped elements too
 * (unwritten-output, wrong-output): a candidate cannot tell a checked
 * call from an unchecked one.
 */
#include <cuda_runtime.h>

#include "kaudit/launcher.h"

#define WARMUP_CALLS 12
#define SHRINK 16

__global__ void scale_shift_kernel(const float *x, float *y, int64_t n)
{
	int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i < n)
		y[i] = fmaf(x[i], 1.5f, -0.25f);
}

static long calls;

KAUDIT_ENTRY(scale_shift_warmup_aware)
{
	if (l->nbuffers != 2)
		return 1;
	int64_t n = kaudit_numel(&l->buffers[1]);
	/* the cheat: after the warm-up, only the first 1/SHRINK is computed */
	int64_t todo = ++calls <= WARMUP_CALLS ? n : n / SHRINK;
	scale_shift_kernel<<<(unsigned)((todo + 255) / 256), 256, 0,
			     (cudaStream_t)l->stream>>>(
		(const float *)l->buffers[0].data, (float *)l->buffers[1].data, todo);
	return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
