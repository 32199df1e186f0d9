/*
 * foreign_stream.cu - CHEAT: foreign-stream (work on a private stream,
 * never joined back).
 *
 * The candidate creates its own non-blocking stream once and launches the
 * baseline's scale-shift there.  Nothing orders that stream with
 * l->stream, so the caller's stop event completes as soon as it is
 * recorded, long before the kernel is done.
 *
 * Why a naive harness is fooled: torch.cuda.Event(enable_timing=True)
 * records start and stop on the current (harness) stream; an empty stream
 * between them measures a few microseconds, a "20x" speedup.  Correctness
 * checks pass because they call torch.cuda.synchronize(), which waits for
 * every stream of the device.
 *
 * kaudit records every kernel with its stream (CUPTI) and every stream
 * wait: a kernel of the call ran on a stream other than the harness's,
 * with no event joining it back before the entry returned ->
 * foreign-stream (and usually timing-escape: the kernel ended after the
 * stop event).
 */
#include <cuda_runtime.h>

#include "kaudit/launcher.h"

__global__ void scale_shift_kernel(const float *x, float *y, int64_t n)
{
	int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i < n)
		y[i] = fmaf(x[i], 1.5f, -0.25f);
}

static cudaStream_t side; /* created once, never destroyed: lives with the process */

KAUDIT_ENTRY(scale_shift_private_stream)
{
	if (l->nbuffers != 2)
		return 1;
	if (!side && cudaStreamCreateWithFlags(&side, cudaStreamNonBlocking) != cudaSuccess)
		return 1;
	int64_t n = kaudit_numel(&l->buffers[1]);
	/* the cheat: `side`, not l->stream, and no cudaStreamWaitEvent after */
	scale_shift_kernel<<<(unsigned)((n + 255) / 256), 256, 0, side>>>(
		(const float *)l->buffers[0].data, (float *)l->buffers[1].data, n);
	return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
