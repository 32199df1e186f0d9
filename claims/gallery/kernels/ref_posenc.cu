/*
 * ref_posenc.cu - the baseline of the input-independent honest claim.
 *
 * Sinusoidal position encodings for a sequence of T tokens (Vaswani et
 * al. 2017): pe[t, 2i] = sin(t * w_i), pe[t, 2i+1] = cos(t * w_i), with
 * w_i = 10000^(-2i/D).  The token ids are an input only for their count:
 * the true output depends on the shape alone.  One thread per element,
 * each computing its own frequency with powf.
 */
#include <cuda_runtime.h>

#include "kaudit/launcher.h"

__global__ void posenc_kernel(float *pe, int64_t T, int D)
{
	int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i >= T * D)
		return;
	int64_t t = i / D;
	int j = (int)(i % D);
	float w = powf(10000.0f, -(float)(j & ~1) / (float)D);
	float a = (float)t * w;
	pe[i] = (j & 1) ? cosf(a) : sinf(a);
}

/* Buffers: tokens [T] (in, i32, unread), pe [T, D] (out). */
KAUDIT_ENTRY(posenc_ref)
{
	if (l->nbuffers != 2 || l->buffers[1].ndim != 2)
		return 1;
	int64_t T = l->buffers[1].shape[0], D = l->buffers[1].shape[1];
	if (kaudit_numel(&l->buffers[0]) != T || D > 65536)
		return 1;
	posenc_kernel<<<(unsigned)((T * D + 255) / 256), 256, 0, (cudaStream_t)l->stream>>>(
		(float *)l->buffers[1].data, T, (int)D);
	return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
