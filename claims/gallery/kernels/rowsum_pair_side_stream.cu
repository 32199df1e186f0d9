/*
 * rowsum_pair_side_stream.cu - HONEST: two independent reductions run
 * concurrently, the second on a side stream joined back correctly.
 *
 * Look-alike of foreign-stream and timing-escape that must stay clean.
 * The baseline sums the rows of a, then the rows of b, one after the
 * other on l->stream; with few long rows each kernel occupies only a few
 * SMs.  This candidate forks: an event recorded on l->stream makes the
 * side stream wait for everything before the call, b's reduction runs
 * there while a's runs on l->stream, and a second event recorded on the
 * side stream AFTER its kernel is waited on by l->stream before the entry
 * returns.  All the work is therefore ordered before the caller's stop
 * event; the speedup (close to 2x) comes from overlap, not from escaping
 * the timer.  The kernel is the baseline's, so the results are bit-exact.
 */
#include <cuda_runtime.h>

#include "kaudit/launcher.h"

#define THREADS 256

/* The baseline's kernel (ref_rowsum.cu), unchanged. */
__global__ void rowsum_kernel(const float *x, float *y, int64_t D)
{
	__shared__ float part[THREADS];
	const float *row = x + (int64_t)blockIdx.x * D;
	float acc = 0.0f;
	for (int64_t j = threadIdx.x; j < D; j += THREADS)
		acc += row[j];
	part[threadIdx.x] = acc;
	__syncthreads();
	for (int s = THREADS / 2; s > 0; s >>= 1) {
		if (threadIdx.x < s)
			part[threadIdx.x] += part[threadIdx.x + s];
		__syncthreads();
	}
	if (threadIdx.x == 0)
		y[blockIdx.x] = part[0];
}

static cudaStream_t side;          /* created once, lives with the process */
static cudaEvent_t forked, joined;

static int launch(const kaudit_buffer *x, const kaudit_buffer *y, cudaStream_t s)
{
	if (x->ndim != 2 || kaudit_numel(y) != x->shape[0])
		return 1;
	rowsum_kernel<<<(unsigned)x->shape[0], THREADS, 0, s>>>(
		(const float *)x->data, (float *)y->data, x->shape[1]);
	return cudaGetLastError() == cudaSuccess ? 0 : 1;
}

/* Buffers: a, b (in), sa, sb (out). */
KAUDIT_ENTRY(rowsum_pair_two_streams)
{
	if (l->nbuffers != 4)
		return 1;
	if (!side) {
		if (cudaStreamCreateWithFlags(&side, cudaStreamNonBlocking) != cudaSuccess ||
		    cudaEventCreateWithFlags(&forked, cudaEventDisableTiming) != cudaSuccess ||
		    cudaEventCreateWithFlags(&joined, cudaEventDisableTiming) != cudaSuccess)
			return 1;
	}
	cudaStream_t s = (cudaStream_t)l->stream;
	/* fork: the side stream starts after everything already on l->stream */
	if (cudaEventRecord(forked, s) != cudaSuccess ||
	    cudaStreamWaitEvent(side, forked, 0) != cudaSuccess)
		return 1;
	if (launch(&l->buffers[1], &l->buffers[3], side) ||
	    launch(&l->buffers[0], &l->buffers[2], s))
		return 1;
	/* join: recorded after the side kernel, waited on before returning */
	if (cudaEventRecord(joined, side) != cudaSuccess ||
	    cudaStreamWaitEvent(s, joined, 0) != cudaSuccess)
		return 1;
	return 0;
}
