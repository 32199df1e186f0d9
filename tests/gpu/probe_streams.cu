/*
 * probe_streams.cu - FACTS.md Q6, Q9 and Q10: the stream facts
 * foreign-stream relies on.
 *
 * Q9 (lazy loading): with kaudit's activity kinds enabled, the FIRST launch
 * of a kernel of a module not yet loaded (CUDA_MODULE_LOADING=LAZY is the
 * default) - do copies or fills appear, on which stream, with which
 * correlation ID?  gpu_attrib.c treats a copy/fill carrying a launch's
 * correlation ID as the driver's module load; one with another ID on
 * another stream would make foreign-stream fire on call 0.
 *
 * Q6 (stream IDs): does cuptiGetStreamIdEx, called as kaudit calls it (in
 * the API callback at the entry of cudaLaunchKernel, on the stream
 * argument), give the streamId of the kernel's activity record?  For a
 * non-blocking stream, a blocking one, and the legacy NULL stream.
 *
 * Q10 (events without timing): does an event created with
 * cudaEventDisableTiming (honest-side-stream's join) give CUDA_EVENT
 * records?  If not, the join is seen only through the api path, which
 * needs Q6.
 */
#include "probe_common.h"

__global__ void probe_first(int *p)
{
	p[threadIdx.x] = (int)threadIdx.x;
}

__global__ void probe_tag(int *p, int v)
{
	p[threadIdx.x] += v;
}

/* What the callback saw at each cudaLaunchKernel entry. */
static struct { uint32_t corr, id; int ok; } seen[64];
static int nseen;

static void CUPTIAPI on_api(void *ud, CUpti_CallbackDomain dom, CUpti_CallbackId cbid,
			    const void *data)
{
	const CUpti_CallbackData *cb = (const CUpti_CallbackData *)data;
	(void)ud;
	if (dom != CUPTI_CB_DOMAIN_RUNTIME_API || cb->callbackSite != CUPTI_API_ENTER ||
	    cbid != CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernel_v7000 || nseen == 64)
		return;
	const cudaLaunchKernel_v7000_params *p = (const cudaLaunchKernel_v7000_params *)cb->functionParams;
	uint32_t id = 0;
	/* kaudit (gpu_cupti_args.c) maps the special handles to NULL first */
	CUstream st = (CUstream)p->stream;
	if (st == CU_STREAM_LEGACY)
		st = NULL;
	seen[nseen].ok = cuptiGetStreamIdEx(cb->context, st, 0, &id) == CUPTI_SUCCESS;
	seen[nseen].corr = cb->correlationId;
	seen[nseen].id = id;
	nseen++;
}

static void launch(cudaStream_t s, int *d, int v)
{
	void *args[] = { &d, &v };
	CUDA_OK(cudaLaunchKernel((const void *)probe_tag, dim3(1), dim3(32), args, 0, s));
	CUDA_OK(cudaStreamSynchronize(s));
}

int main(void)
{
	int *d;
	cudaStream_t nb, bl;
	CUpti_SubscriberHandle sub;
	const char *lazy = getenv("CUDA_MODULE_LOADING");
	probe_start();
	CUPTI_OK(cuptiSubscribe(&sub, on_api, NULL));
	CUPTI_OK(cuptiEnableDomain(1, sub, CUPTI_CB_DOMAIN_RUNTIME_API));
	int refused = probe_enable_kaudit_kinds();
	CUDA_OK(cudaStreamCreateWithFlags(&nb, cudaStreamNonBlocking));
	CUDA_OK(cudaStreamCreate(&bl));
	CUDA_OK(cudaMalloc(&d, 32 * sizeof *d));
	CUDA_OK(cudaDeviceSynchronize());
	CUPTI_OK(cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED));
	probe.nk = probe.ncp = probe.nev = probe.napi = 0;

	/* Q9: the first launch of probe_first (its module not loaded yet). */
	probe_first<<<1, 32, 0, nb>>>(d);
	CUDA_OK(cudaGetLastError());
	CUDA_OK(cudaStreamSynchronize(nb));
	CUPTI_OK(cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED));
	int same_corr = 0, other_corr = 0, same_stream = 0;
	uint32_t kcorr = probe.nk ? probe.k[0].corr : 0, kstream = probe.nk ? probe.k[0].stream : 0;
	for (int i = 0; i < probe.ncp; i++) {
		const struct probe_copy *c = &probe.cp[i];
		printf("first launch: %s of %llu bytes on stream %u corr %u (kernel: stream %u corr %u)\n",
		       c->memset ? "memset" : "memcpy", (unsigned long long)c->bytes, c->stream, c->corr,
		       kstream, kcorr);
		if (c->stream == kstream)
			same_stream++;
		else if (c->corr == kcorr)
			same_corr++;
		else
			other_corr++;
	}
	printf("ANSWER lazy-loading: %d copies/fills at the first launch (CUDA_MODULE_LOADING=%s): "
	       "%d on the launch's stream, %d on another stream with the launch's correlation ID "
	       "(kaudit: module load, harness), %d on another stream with another ID (%s)\n",
	       probe.ncp, lazy ? lazy : "unset", same_stream, same_corr, other_corr,
	       other_corr ? "WOULD FIRE foreign-stream on call 0" : "no foreign-stream risk");

	/* Q6: stream IDs through the callback vs activity. */
	probe.nk = probe.ncp = probe.nev = probe.napi = 0;
	nseen = 0;
	launch(nb, d, 1);
	launch(bl, d, 2);
	launch(0, d, 3);
	launch(cudaStreamLegacy, d, 4);
	CUPTI_OK(cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED));
	int match = 0, mismatch = 0;
	for (int i = 0; i < nseen; i++) {
		const struct probe_kernel *k = NULL;
		for (int j = 0; j < probe.nk; j++)
			if (probe.k[j].corr == seen[i].corr)
				k = &probe.k[j];
		printf("launch %d: cuptiGetStreamIdEx %s id %u, kernel record %s stream %u\n", i,
		       seen[i].ok ? "ok" : "FAILED", seen[i].id, k ? "found" : "MISSING",
		       k ? k->stream : 0);
		if (k && seen[i].ok && k->stream == seen[i].id)
			match++;
		else
			mismatch++;
	}
	printf("ANSWER stream-ids: %s (%d of %d launches: callback cuptiGetStreamIdEx == activity "
	       "streamId; non-blocking, blocking, 0, cudaStreamLegacy)\n",
	       mismatch == 0 && match == 4 ? "yes" : "NO", match, nseen);

	/* Q10: an event without timing, recorded on the non-blocking stream. */
	cudaEvent_t ev;
	probe.nev = 0;
	CUDA_OK(cudaEventCreateWithFlags(&ev, cudaEventDisableTiming));
	launch(nb, d, 5);
	CUDA_OK(cudaEventRecord(ev, nb));
	CUDA_OK(cudaStreamWaitEvent(bl, ev, 0));
	launch(bl, d, 6);
	CUDA_OK(cudaDeviceSynchronize());
	CUPTI_OK(cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED));
	int stamped = 0;
	for (int i = 0; i < probe.nev; i++)
		stamped += probe.ev[i].ts != 0;
	printf("ANSWER disable-timing-events: %d CUDA_EVENT records (%d with a device timestamp) "
	       "for one cudaEventDisableTiming event recorded once (%d optional kinds refused)\n",
	       probe.nev, stamped, refused);
	CUPTI_OK(cuptiUnsubscribe(sub));
	return mismatch == 0 && match == 4 ? 0 : 1;
}
