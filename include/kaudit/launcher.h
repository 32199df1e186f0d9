/*
 * kaudit/launcher.h - the ABI between kaudit and the kernels it audits.
 *
 * A claim names, for its baseline and its candidate, a CUDA source (or a
 * shared object) and an entry point.  The entry point is a plain C function:
 *
 *     #include "kaudit/launcher.h"
 *
 *     KAUDIT_ENTRY(my_softmax)
 *     {
 *         const float *x = (const float *)l->buffers[0].data;
 *         float *y = (float *)l->buffers[1].data;
 *         int64_t n = kaudit_param(l, "N", 0);
 *         my_kernel<<<grid, block, 0, (cudaStream_t)l->stream>>>(x, y, n);
 *         return cudaGetLastError() == cudaSuccess ? 0 : 1;
 *     }
 *
 * Rules an implementation must follow (kaudit checks them, see
 * kaudit-findings(7)):
 *   - Enqueue all work on l->stream and return 0, or nonzero on failure.
 *   - Do not synchronize on anything but your own work.  A side stream is
 *     allowed only if it is joined back to l->stream with an event
 *     (cudaEventRecord + cudaStreamWaitEvent) before the entry returns;
 *     otherwise its work escapes the timer (foreign-stream, timing-escape).
 *   - Launch nothing after returning and nothing from another thread
 *     (deferred-launch).
 *   - Write every element of every "out" buffer on every call, never write
 *     "in" buffers, and never write outside a buffer: kaudit poisons outputs,
 *     surrounds buffers with guard zones and compares inputs bit for bit.
 *   - Persistent scratch (a workspace, a library handle) is fine; caching
 *     results across calls is not (stale-output, input-insensitive,
 *     work-drift).
 *
 * Buffers arrive in the order the manifest lists them; params in the order
 * of the case's parameter mapping.  The header is plain C and includes no
 * CUDA header, so it can be used from .c and .cu files alike.
 */
#ifndef KAUDIT_LAUNCHER_H
#define KAUDIT_LAUNCHER_H

#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KAUDIT_ABI_VERSION 1

/* Element types of kaudit_buffer.dtype; the manifest spells them in lower case. */
enum kaudit_dtype {
	KAUDIT_F16 = 0,
	KAUDIT_BF16 = 1,
	KAUDIT_F32 = 2,
	KAUDIT_F64 = 3,
	KAUDIT_I8 = 4,
	KAUDIT_U8 = 5,
	KAUDIT_I16 = 6,
	KAUDIT_I32 = 7,
	KAUDIT_I64 = 8,
	KAUDIT_U32 = 9
};

struct CUstream_st;

typedef struct {
	const char *name;       /* the manifest's buffer name */
	void *data;             /* device pointer to the first element */
	int dtype;              /* enum kaudit_dtype */
	int ndim;               /* number of dimensions */
	const int64_t *shape;   /* ndim extents, outermost first (row-major) */
} kaudit_buffer;

typedef struct {
	int abi_version;                    /* KAUDIT_ABI_VERSION */
	int nbuffers;
	const kaudit_buffer *buffers;
	int nparams;
	const char *const *param_names;
	const int64_t *param_values;
	struct CUstream_st *stream;         /* the only stream work may end on */
} kaudit_launch;

/* Declares an entry point with the right linkage and signature. */
#ifdef __cplusplus
#define KAUDIT_ENTRY(name) extern "C" int name(const kaudit_launch *l)
#else
#define KAUDIT_ENTRY(name) int name(const kaudit_launch *l)
#endif

/* The value of parameter NAME, or FALLBACK when the case does not set it. */
static inline int64_t kaudit_param(const kaudit_launch *l, const char *name,
				   int64_t fallback)
{
	for (int i = 0; i < l->nparams; i++)
		if (strcmp(l->param_names[i], name) == 0)
			return l->param_values[i];
	return fallback;
}

/* The number of elements of buffer B. */
static inline int64_t kaudit_numel(const kaudit_buffer *b)
{
	int64_t n = 1;
	for (int i = 0; i < b->ndim; i++)
		n *= b->shape[i];
	return n;
}

#ifdef __cplusplus
}
#endif

#endif /* KAUDIT_LAUNCHER_H */
