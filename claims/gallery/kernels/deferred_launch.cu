/*
 * deferred_launch.cu - CHEAT: deferred-launch (a host thread launches the
 * work after the entry returned).
 *
 * The entry starts a detached std::thread and returns at once; the thread
 * launches the scale-shift on l->stream a few tens of microseconds later.
 * The kernel is on the right stream, but it is enqueued after the caller
 * has already recorded its stop event, so it is not inside the window.
 *
 * Why a naive harness is fooled: start.record(); fn(); end.record();
 * end.synchronize() measures an empty window - the microseconds of thread
 * creation on the host do not show in GPU events.  A correctness check
 * that runs after Python has done a little work (building the reference,
 * a torch.cuda.synchronize() that happens to come late) finds the right
 * answer in the output.
 *
 * kaudit traces the runtime API with the calling thread's id and marks
 * every call issued while the entry was running: a launch from a thread
 * the entry was not called on, after the entry returned ->
 * deferred-launch.  (The race also tends to leave the output unwritten
 * when kaudit checks it.)
 */
#include <cuda_runtime.h>
#include <thread>

#include "kaudit/launcher.h"

__global__ void scale_shift_kernel(const float *x, float *y, int64_t n)
{
	int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i < n)
		y[i] = fmaf(x[i], 1.5f, -0.25f);
}

KAUDIT_ENTRY(scale_shift_background_thread)
{
	if (l->nbuffers != 2)
		return 1;
	const float *x = (const float *)l->buffers[0].data;
	float *y = (float *)l->buffers[1].data;
	int64_t n = kaudit_numel(&l->buffers[1]);
	cudaStream_t s = (cudaStream_t)l->stream;
	try {
		/* the cheat: the launch happens on another thread, later */
		std::thread([=] {
			scale_shift_kernel<<<(unsigned)((n + 255) / 256), 256, 0, s>>>(x, y, n);
		}).detach();
	} catch (...) {
		return 1;
	}
	return 0;
}
