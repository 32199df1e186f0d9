/*
 * probe_event_clock.cu - FACTS.md Q1 and Q8.
 *
 * Q1: do the device timestamps of CUPTI CUDA_EVENT records
 * (cuptiActivityEnableCudaEventDeviceTimestamps) share the clock of kernel
 * activity timestamps?  Q8: does CUPTI report events created before it
 * attached?
 *
 * It mirrors what kaudit does: one non-blocking stream, one pair of events
 * created once and reused for every window.  Two pairs: PRE is created
 * before any CUPTI call (what kaudit did before the harness moved after
 * gpu_collect_open), POST after CUPTI is set up (what it does now).  A
 * warm-up window runs first, so the module load of the first launch does
 * not land between event A and the kernel.  Then N windows of {A, ~2 ms
 * spinning kernel, B} per pair.
 *
 * Judged as timing-escape (src/detect/escape.c) judges: only crossing edges
 * count - the kernel starting before A or ending after B by more than
 * ESCAPE_SLACK_NS (1000 ns).  A gap between A and the kernel is host launch
 * latency (large under gVisor), not a clock offset, and is only printed.
 */
#include <math.h>

#include "probe_common.h"

#define ESCAPE_SLACK_NS 1000.0 /* src/detect/escape.c */
#define RUNS 20

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

/* One window on S with A, B; returns cudaEventElapsedTime in ms. */
static float window(cudaStream_t s, cudaEvent_t a, cudaEvent_t b, long long cycles)
{
	float ms = 0;
	CUDA_OK(cudaEventRecord(a, s));
	probe_spin<<<1, 1, 0, s>>>(cycles);
	CUDA_OK(cudaGetLastError());
	CUDA_OK(cudaEventRecord(b, s));
	CUDA_OK(cudaStreamSynchronize(s));
	CUDA_OK(cudaEventElapsedTime(&ms, a, b));
	return ms;
}

struct verdict {
	int ok, crossed, zero, missing;
	double worst_cross, worst_gap, worst_elapsed_diff;
};

/* Windows are found by correlation order: for kernel K (issued between
 * its window's A and B), A is the last event record before it and B the
 * first after it - no reliance on CUPTI's event IDs. */
static void judge(const char *name, const float *ms, int k0, struct verdict *v)
{
	memset(v, 0, sizeof *v);
	for (int i = 0; i < RUNS; i++) {
		const struct probe_kernel *k = &probe.k[k0 + i];
		const struct probe_event *ea = NULL, *eb = NULL;
		uint32_t prev = k0 + i > 0 ? probe.k[k0 + i - 1].corr : 0;
		int between = 0; /* event records since the previous kernel */
		for (int j = 0; j < probe.nev; j++) {
			if (probe.ev[j].corr < k->corr) {
				ea = &probe.ev[j];
				between += probe.ev[j].corr > prev;
			} else if (probe.ev[j].corr > k->corr && !eb) {
				eb = &probe.ev[j];
			}
		}
		/* After a previous kernel, its B comes first: A is a second one. */
		if (!ea || !eb || between < (prev ? 2 : 1)) {
			v->missing++;
			continue;
		}
		if (!ea->ts || !eb->ts) {
			v->zero++;
			continue;
		}
		double cross_a = (double)ea->ts - (double)k->start; /* > 0: kernel before A */
		double cross_b = (double)k->end - (double)eb->ts;   /* > 0: kernel after B */
		double gap = fmax((double)k->start - (double)ea->ts, (double)eb->ts - (double)k->end);
		double diff = fabs(((double)eb->ts - (double)ea->ts) - ms[i] * 1e6);
		printf("%s run %d: A=%llu (id %u) kernel=[%llu,%llu] B=%llu (id %u) cross_a=%.0fns "
		       "cross_b=%.0fns gap=%.0fns B-A=%.0fns elapsed=%.0fns\n", name, i,
		       (unsigned long long)ea->ts, ea->id, (unsigned long long)k->start,
		       (unsigned long long)k->end, (unsigned long long)eb->ts, eb->id, cross_a,
		       cross_b, gap, (double)eb->ts - (double)ea->ts, ms[i] * 1e6);
		if (cross_a > ESCAPE_SLACK_NS || cross_b > ESCAPE_SLACK_NS)
			v->crossed++;
		else
			v->ok++;
		v->worst_cross = fmax(v->worst_cross, fmax(cross_a, cross_b));
		v->worst_gap = fmax(v->worst_gap, gap);
		v->worst_elapsed_diff = fmax(v->worst_elapsed_diff, diff);
	}
}

int main(void)
{
	cudaStream_t s;
	cudaEvent_t pre_a, pre_b, post_a, post_b;
	float ms_pre[RUNS], ms_post[RUNS];
	int clock_khz = 0;
	/* Before any CUPTI call: the context, the stream and the PRE pair,
	 * as kaudit created them before gpu_collect_open. */
	CUDA_OK(cudaFree(0));
	CUDA_OK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
	CUDA_OK(cudaEventCreate(&pre_a));
	CUDA_OK(cudaEventCreate(&pre_b));
	probe_start();
	CUptiResult dts = cuptiActivityEnableCudaEventDeviceTimestamps(1);
	printf("cuptiActivityEnableCudaEventDeviceTimestamps(1): %s\n",
	       dts == CUPTI_SUCCESS ? "ok" : "FAILED");
	CUPTI_OK(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL));
	CUPTI_OK(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CUDA_EVENT));
	CUDA_OK(cudaEventCreate(&post_a));
	CUDA_OK(cudaEventCreate(&post_b));
	CUDA_OK(cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, 0));
	long long cycles = (long long)clock_khz * 2; /* ~2 ms */
	/* Warm-up: module load, first-launch costs, first event records. */
	(void)window(s, post_a, post_b, cycles / 10);
	(void)window(s, pre_a, pre_b, cycles / 10);
	CUPTI_OK(cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED));
	probe.nk = probe.nev = 0;
	for (int i = 0; i < RUNS; i++)
		ms_post[i] = window(s, post_a, post_b, cycles);
	for (int i = 0; i < RUNS; i++)
		ms_pre[i] = window(s, pre_a, pre_b, cycles);
	CUPTI_OK(cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED));
	printf("kernels=%d events=%d dropped=%zu\n", probe.nk, probe.nev, probe.dropped);
	qsort(probe.ev, probe.nev, sizeof probe.ev[0], by_corr_ev);
	qsort(probe.k, probe.nk, sizeof probe.k[0], by_corr_k);
	if (probe.nk < 2 * RUNS) {
		printf("ANSWER event-clock: none (only %d of %d kernel records)\n", probe.nk, 2 * RUNS);
		return 1;
	}
	int pre_seen = 0;
	for (int i = 0; i < probe.nev; i++)
		pre_seen += probe.ev[i].corr > probe.k[RUNS - 1].corr;
	printf("ANSWER pre-existing-events: %s (%d event records for %d records of events "
	       "created before CUPTI was set up)\n",
	       pre_seen >= 2 * RUNS ? "yes, reported" : pre_seen ? "PARTLY" : "NO, not reported",
	       pre_seen, 2 * RUNS);
	struct verdict post, pre;
	judge("post", ms_post, 0, &post);
	judge("pre", ms_pre, RUNS, &pre);
	int yes = post.crossed == 0 && post.ok > 0;
	printf("ANSWER event-clock: %s (device timestamps %s; events created after CUPTI: %d "
	       "windows within %.0f ns slack, %d crossed, %d zero stamps, %d unmatched, worst "
	       "crossing %.0f ns, worst gap %.0f ns, worst |(B-A) - elapsed| %.0f ns; created "
	       "before: %d within, %d crossed, %d zero, %d unmatched)\n",
	       yes ? "yes, shared clock" : "NO", dts == CUPTI_SUCCESS ? "enabled" : "NOT enabled",
	       post.ok, ESCAPE_SLACK_NS, post.crossed, post.zero, post.missing, post.worst_cross,
	       post.worst_gap, post.worst_elapsed_diff, pre.ok, pre.crossed, pre.zero, pre.missing);
	return yes ? 0 : 1;
}
