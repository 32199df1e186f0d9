/*
 * torch_alloc.c - the allocator kaudit's Python bridge installs in torch
 * on the GPU (torch.cuda.memory.CUDAPluggableAllocator, torch >= 2.1),
 * before the first CUDA allocation of the worker: every block torch hands
 * out while the bridge has it armed (during a call of an implementation)
 * is filled with the trial's poison pattern on the allocating stream, so
 * an output tensor the implementation never writes holds poison, not the
 * block the baseline's output just freed (kaudit-claim(5), PYTHON
 * IMPLEMENTATIONS; the seed's exploit).  The host double does the same
 * with src/python/poison_preload.c.
 *
 * Blocks come from the runtime's stream-ordered pool (cudaMallocAsync), so
 * a call that allocates pays a pool hit, not a cudaMalloc, inside its
 * timed window; the fill is kaudit's own work, outside the call's
 * activity.  Exported (default visibility) for torch to dlsym.
 */
#include <cuda_runtime.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gpu/gpu.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT void *kaudit_torch_alloc(ssize_t size, int device, cudaStream_t stream);
EXPORT void kaudit_torch_free(void *ptr, ssize_t size, int device, cudaStream_t stream);
EXPORT void kaudit_torch_poison_arm(uint32_t pattern);
EXPORT void kaudit_torch_poison_disarm(void);

static volatile int armed;
static volatile uint32_t poison;

void kaudit_torch_poison_arm(uint32_t pattern)
{
	poison = pattern;
	armed = 1;
}

void kaudit_torch_poison_disarm(void)
{
	armed = 0;
}

void *kaudit_torch_alloc(ssize_t size, int device, cudaStream_t stream)
{
	(void)device; /* torch sets the current device before it calls */
	void *p = NULL;
	if (size <= 0)
		return NULL;
	if (cudaMallocAsync(&p, (size_t)size, stream) != cudaSuccess)
		return NULL; /* torch raises its out-of-memory error */
	if (armed) {
		gpu_collect_harness_begin(NULL);
		(void)gpu_k_fill(p, (size_t)size, poison, stream);
		gpu_collect_harness_end();
	}
	return p;
}

void kaudit_torch_free(void *ptr, ssize_t size, int device, cudaStream_t stream)
{
	(void)size;
	(void)device;
	if (ptr)
		(void)cudaFreeAsync(ptr, stream);
}
