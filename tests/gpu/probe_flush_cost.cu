/*
 * probe_flush_cost.cu - FACTS.md Q3: what does cuptiActivityFlushAll cost
 * per call (kaudit flushes after every implementation call)?
 *
 * Times N iterations of {launch a tiny kernel, synchronize} with every
 * activity kind kaudit enables (optional ones may be refused, as in kaudit),
 * without and with a forced flush each time.
 */
#include <time.h>

#include "probe_common.h"

__global__ void probe_tiny(int *p)
{
	p[threadIdx.x] += 1;
}

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static double loop(cudaStream_t s, int *d, int n, int flush)
{
	double t0 = now_us();
	for (int i = 0; i < n; i++) {
		probe_tiny<<<1, 32, 0, s>>>(d);
		CUDA_OK(cudaStreamSynchronize(s));
		if (flush)
			CUPTI_OK(cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED));
	}
	return (now_us() - t0) / n;
}

int main(void)
{
	const int n = 500;
	int *d;
	cudaStream_t s;
	probe_start();
	/* kaudit's kinds, its optional ones allowed to fail (then said so):
	 * one refused kind must not cost the answer. */
	int refused = probe_enable_kaudit_kinds();
	CUDA_OK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
	CUDA_OK(cudaMalloc(&d, 32 * sizeof *d));
	CUDA_OK(cudaMemset(d, 0, 32 * sizeof *d));
	(void)loop(s, d, 50, 1); /* warm-up */
	double plain = loop(s, d, n, 0);
	double flushed = loop(s, d, n, 1);
	double plain2 = loop(s, d, n, 0);
	double base = plain < plain2 ? plain : plain2;
	printf("per iteration: no flush %.1f us (%.1f us rerun), with flush %.1f us, dropped=%zu\n",
	       plain, plain2, flushed, probe.dropped);
	printf("ANSWER flush-cost: %.1f us per cuptiActivityFlushAll(FORCED) after a small call "
	       "(%d optional kinds refused)\n", flushed - base, refused);
	return 0;
}
