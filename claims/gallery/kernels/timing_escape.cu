/*
 * timing_escape.cu - CHEAT: timing-escape (a join that joins nothing).
 *
 * Unlike foreign_stream.cu this candidate does join its side stream back:
 * it records an event on the side stream and makes l->stream wait for it,
 * exactly the API sequence the launcher ABI asks for.  But it records the
 * event BEFORE launching the kernel, so the event captures only the side
 * stream's earlier work (the previous call's kernel) and l->stream waits
 * for nothing of this call.  A source review or a check that only asks
 * "was there a cudaStreamWaitEvent?" sees a well-behaved kernel.
 *
 * Why a naive harness is fooled: the stop event on the harness stream
 * fires before this call's kernel ends.  Each call even "pays" for the
 * previous call's kernel (l->stream waits for it), so in a loop of timed
 * calls the per-call time looks plausible rather than absurd, yet a
 * single cold call measures next to nothing.
 *
 * kaudit attributes every kernel to the call that launched it (CUPTI
 * correlation ids) and compares the GPU span of the call's activity with
 * the window between the start and stop events: the kernel ends after the
 * stop event -> timing-escape.  kaudit's join check also looks at the
 * order (an event recorded on the side stream AFTER its last work, then
 * waited on by the harness stream), so this join does not count as one
 * and foreign-stream is reported as well.
 */
#include <cuda_runtime.h>

#include "kaudit/launcher.h"

__global__ void scale_shift_kernel(const float *x, float *y, int64_t n)
{
	int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i < n)
		y[i] = fmaf(x[i], 1.5f, -0.25f);
}

static cudaStream_t side;  /* created once, lives with the process */
static cudaEvent_t joined;

KAUDIT_ENTRY(scale_shift_early_join)
{
	if (l->nbuffers != 2)
		return 1;
	if (!side) {
		if (cudaStreamCreateWithFlags(&side, cudaStreamNonBlocking) != cudaSuccess)
			return 1;
		if (cudaEventCreateWithFlags(&joined, cudaEventDisableTiming) != cudaSuccess)
			return 1;
	}
	cudaStream_t s = (cudaStream_t)l->stream;
	/* the cheat: the join is recorded before the work it should cover */
	if (cudaEventRecord(joined, side) != cudaSuccess ||
	    cudaStreamWaitEvent(s, joined, 0) != cudaSuccess)
		return 1;
	int64_t n = kaudit_numel(&l->buffers[1]);
	scale_shift_kernel<<<(unsigned)((n + 255) / 256), 256, 0, side>>>(
		(const float *)l->buffers[0].data, (float *)l->buffers[1].data, n);
	return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
