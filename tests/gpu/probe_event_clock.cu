/*
 * probe_event_clock.cu - FACTS.md Q1: do the device timestamps of CUPTI
 * CUDA_EVENT records (cuptiActivityEnableCudaEventDeviceTimestamps) share
 * the clock of kernel activity timestamps?
 *
 * Records event A, a ~2 ms spinning kernel, event B on one stream, N times.
 * On a shared clock every run gives A <= kernel.start <= kernel.end <= B
 * with gaps of microseconds, and B - A agrees with cudaEventElapsedTime.
 */
#include "probe_common.h"

__global__ void probe_spin(long long cycles)
{
	long long t0 = clock64();
	while (clock64() - t0 < cycles)
		;
}

static int by_corr_ev(const void *x, const void *y)
{
	uint32_t a = ((const struct probe_event *)x)->corr, b = ((const struct probe_event *)y)->corr;
	return a < b ? -1 : a > b;
}

static int by_corr_k(const void *x, const void *y)
{
	uint32_t a = ((const struct probe_kernel *)x)->corr, b = ((const struct probe_kernel *)y)->corr;
	return a < b ? -1 : a > b;
}

int main(void)
{
	const int runs = 20;
	cudaStream_t s;
	cudaEvent_t a[runs], b[runs];
	float ms[runs];
	int clock_khz = 0;
	probe_start();
	CUPTI_OK(cuptiActivityEnableCudaEventDeviceTimestamps(1));
	CUPTI_OK(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL));
	CUPTI_OK(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CUDA_EVENT));
	CUDA_OK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
	CUDA_OK(cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, 0));
	long long cycles = (long long)clock_khz * 2; /* ~2 ms */
	for (int i = 0; i < runs; i++) {
		CUDA_OK(cudaEventCreate(&a[i]));
		CUDA_OK(cudaEventCreate(&b[i]));
		CUDA_OK(cudaEventRecord(a[i], s));
		probe_spin<<<1, 1, 0, s>>>(cycles);
		CUDA_OK(cudaGetLastError());
		CUDA_OK(cudaEventRecord(b[i], s));
		CUDA_OK(cudaStreamSynchronize(s));
		CUDA_OK(cudaEventElapsedTime(&ms[i], a[i], b[i]));
	}
	CUPTI_OK(cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED));
	printf("kernels=%d events=%d dropped=%zu\n", probe.nk, probe.nev, probe.dropped);
	if (probe.nev == 0) {
		printf("ANSWER event-clock: no CUDA_EVENT records: device timestamps unavailable\n");
		return 1;
	}
	/* Issue order is correlation order: pair A, kernel, B of each run. */
	qsort(probe.ev, probe.nev, sizeof probe.ev[0], by_corr_ev);
	qsort(probe.k, probe.nk, sizeof probe.k[0], by_corr_k);
	int ok = 0, zero = 0, bad = 0;
	double worst_gap = 0, worst_elapsed_diff = 0;
	for (int i = 0; i < runs && 2 * i + 1 < probe.nev && i < probe.nk; i++) {
		struct probe_event *ea = &probe.ev[2 * i], *eb = &probe.ev[2 * i + 1];
		struct probe_kernel *k = &probe.k[i];
		if (!ea->ts || !eb->ts) {
			zero++;
			continue;
		}
		double gap_a = (double)k->start - (double)ea->ts, gap_b = (double)eb->ts - (double)k->end;
		double diff = fabs(((double)eb->ts - (double)ea->ts) - ms[i] * 1e6);
		printf("run %d: event_a=%llu kernel=[%llu,%llu] event_b=%llu gap_a=%.0fns gap_b=%.0fns "
		       "B-A=%lluns elapsed=%.0fns\n", i, (unsigned long long)ea->ts,
		       (unsigned long long)k->start, (unsigned long long)k->end,
		       (unsigned long long)eb->ts, gap_a, gap_b,
		       (unsigned long long)(eb->ts - ea->ts), ms[i] * 1e6);
		if (gap_a >= 0 && gap_b >= 0 && gap_a < 1e5 && gap_b < 1e5)
			ok++;
		else
			bad++;
		worst_gap = fmax(worst_gap, fmax(fabs(gap_a), fabs(gap_b)));
		worst_elapsed_diff = fmax(worst_elapsed_diff, diff);
	}
	printf("ANSWER event-clock: %s (ordered runs %d, out of order %d, zero timestamps %d, "
	       "worst gap %.0f ns, worst |(B-A) - elapsed| %.0f ns)\n",
	       bad == 0 && ok > 0 ? "yes, shared clock" : "NO", ok, bad, zero, worst_gap,
	       worst_elapsed_diff);
	return bad == 0 && ok > 0 ? 0 : 1;
}
