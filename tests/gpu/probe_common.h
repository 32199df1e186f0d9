/*
 * probe_common.h - what the GPU probes share: checked calls that print and
 * exit (these are standalone test programs, not kaudit), and a CUPTI
 * activity collector that keeps copies of the records the probes look at.
 * Each probe prints its measurements and one line "ANSWER <question>: ...".
 */
#ifndef PROBE_COMMON_H
#define PROBE_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime.h>
#include <cupti.h>

static void probe_die_cuda(const char *call, cudaError_t rc)
{
	printf("ERROR %s: %s\n", call, cudaGetErrorString(rc));
	exit(2);
}

static void probe_die_cupti(const char *call, CUptiResult rc)
{
	const char *s = "?";
	cuptiGetResultString(rc, &s);
	printf("ERROR %s: %s\n", call, s);
	exit(2);
}

#define CUDA_OK(x) do { cudaError_t rc_ = (x); if (rc_ != cudaSuccess) probe_die_cuda(#x, rc_); } while (0)
#define CUPTI_OK(x) do { CUptiResult rc_ = (x); if (rc_ != CUPTI_SUCCESS) probe_die_cupti(#x, rc_); } while (0)

#define PROBE_MAX 65536

struct probe_kernel { uint64_t start, end; uint32_t corr, stream; char name[128]; };
struct probe_event { uint64_t ts; uint32_t corr, stream, id; };
struct probe_api { uint64_t start, end; uint32_t corr, cbid, thread; int runtime; };
struct probe_copy { uint64_t start, end, bytes; uint32_t corr, stream; int memset; };

static struct {
	struct probe_kernel k[PROBE_MAX];
	struct probe_event ev[PROBE_MAX];
	struct probe_api api[PROBE_MAX];
	struct probe_copy cp[PROBE_MAX];
	int nk, nev, napi, ncp;
	size_t dropped;
} probe;

static void CUPTIAPI probe_buf_req(uint8_t **buf, size_t *size, size_t *max)
{
	*size = 8u << 20;
	*buf = (uint8_t *)aligned_alloc(8, *size);
	*max = 0;
}

static void CUPTIAPI probe_buf_done(CUcontext ctx, uint32_t stream, uint8_t *buf, size_t size,
				    size_t valid)
{
	CUpti_Activity *a = NULL;
	size_t dropped = 0;
	(void)size;
	while (valid && cuptiActivityGetNextRecord(buf, valid, &a) == CUPTI_SUCCESS) {
		if (a->kind == CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL && probe.nk < PROBE_MAX) {
			const CUpti_ActivityKernel10 *k = (const CUpti_ActivityKernel10 *)a;
			struct probe_kernel *p = &probe.k[probe.nk++];
			p->start = k->start;
			p->end = k->end;
			p->corr = k->correlationId;
			p->stream = k->streamId;
			snprintf(p->name, sizeof p->name, "%s", k->name ? k->name : "?");
		} else if (a->kind == CUPTI_ACTIVITY_KIND_CUDA_EVENT && probe.nev < PROBE_MAX) {
			const CUpti_ActivityCudaEvent2 *v = (const CUpti_ActivityCudaEvent2 *)a;
			struct probe_event *p = &probe.ev[probe.nev++];
			p->ts = v->deviceTimestamp;
			p->corr = v->correlationId;
			p->stream = v->streamId;
			p->id = v->eventId;
		} else if (a->kind == CUPTI_ACTIVITY_KIND_MEMCPY && probe.ncp < PROBE_MAX) {
			const CUpti_ActivityMemcpy6 *m = (const CUpti_ActivityMemcpy6 *)a;
			struct probe_copy *p = &probe.cp[probe.ncp++];
			p->start = m->start;
			p->end = m->end;
			p->bytes = m->bytes;
			p->corr = m->correlationId;
			p->stream = m->streamId;
			p->memset = 0;
		} else if (a->kind == CUPTI_ACTIVITY_KIND_MEMSET && probe.ncp < PROBE_MAX) {
			const CUpti_ActivityMemset4 *m = (const CUpti_ActivityMemset4 *)a;
			struct probe_copy *p = &probe.cp[probe.ncp++];
			p->start = m->start;
			p->end = m->end;
			p->bytes = m->bytes;
			p->corr = m->correlationId;
			p->stream = m->streamId;
			p->memset = 1;
		} else if ((a->kind == CUPTI_ACTIVITY_KIND_RUNTIME ||
			    a->kind == CUPTI_ACTIVITY_KIND_DRIVER) && probe.napi < PROBE_MAX) {
			const CUpti_ActivityAPI *x = (const CUpti_ActivityAPI *)a;
			struct probe_api *p = &probe.api[probe.napi++];
			p->start = x->start;
			p->end = x->end;
			p->corr = x->correlationId;
			p->cbid = x->cbid;
			p->thread = x->threadId;
			p->runtime = a->kind == CUPTI_ACTIVITY_KIND_RUNTIME;
		}
	}
	if (cuptiActivityGetNumDroppedRecords(ctx, stream, &dropped) == CUPTI_SUCCESS)
		probe.dropped += dropped;
	free(buf);
}

static void probe_start(void)
{
	CUDA_OK(cudaFree(0));
	CUPTI_OK(cuptiActivityRegisterCallbacks(probe_buf_req, probe_buf_done));
}

/* The activity kinds kaudit enables (src/gpu/gpu_activity.c), with the
 * same optional ones: a kind that fails to enable is reported, not fatal
 * unless kaudit needs it.  Returns the number of optional kinds refused. */
static int probe_enable_kaudit_kinds(void)
{
	static const struct { CUpti_ActivityKind kind; const char *name; int optional; } k[] = {
		{ CUPTI_ACTIVITY_KIND_RUNTIME, "RUNTIME", 0 },
		{ CUPTI_ACTIVITY_KIND_DRIVER, "DRIVER", 0 },
		{ CUPTI_ACTIVITY_KIND_INTERNAL_LAUNCH_API, "INTERNAL_LAUNCH_API", 1 },
		{ CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL, "CONCURRENT_KERNEL", 0 },
		{ CUPTI_ACTIVITY_KIND_MEMCPY, "MEMCPY", 0 },
		{ CUPTI_ACTIVITY_KIND_MEMSET, "MEMSET", 0 },
		{ CUPTI_ACTIVITY_KIND_CUDA_EVENT, "CUDA_EVENT", 1 },
		{ CUPTI_ACTIVITY_KIND_SYNCHRONIZATION, "SYNCHRONIZATION", 1 },
		{ CUPTI_ACTIVITY_KIND_MEMORY2, "MEMORY2", 1 },
	};
	int refused = 0;
	for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
		CUptiResult rc = cuptiActivityEnable(k[i].kind);
		if (rc == CUPTI_SUCCESS)
			continue;
		if (!k[i].optional)
			probe_die_cupti(k[i].name, rc);
		const char *s = "?";
		cuptiGetResultString(rc, &s);
		printf("optional activity kind %s refused: %s\n", k[i].name, s);
		refused++;
	}
	return refused;
}

#endif
