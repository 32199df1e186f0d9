/*
 * gpu_collect.c - the CUPTI collector: API callbacks tag each correlation ID
 * with the call it belongs to, activity buffers bring back what the GPU did,
 * and gpu_collect_drain() turns it into trace records.
 *
 * Attribution (record.h conventions): the callback for an API call runs on
 * the calling thread at its entry, so it knows whether the implementation's
 * entry point was running on that very thread (in_call = 1) or not (another
 * thread, or after the entry returned: in_call = 0, the most recent call).
 * Activity records (kernels, copies, events...) carry the correlation ID of
 * the API call that caused them and inherit its tag.  An ID with no tag
 * (CUPTI's internal launches, or a tag already pruned) goes to the most
 * recent call with in_call = 0: the conservative reading.
 *
 * The harness's own CUDA calls (helpers, the timing events, its
 * synchronisation) are bracketed by gpu_collect_harness_begin/end and never
 * emitted, except the CUDA_EVENT records of the start/stop events of a timed
 * window, which are emitted with impl "harness" and role "start"/"stop".
 *
 * CUPTI's buffer callbacks carry no user pointer, so this file holds the one
 * file-static collector of the plugin (STYLE.md A1).  A mutex guards it: the
 * API callbacks run on any thread the implementation uses and the
 * buffer-completed callback on a CUPTI thread.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cuda.h>
#include <cupti.h>

#include "audit/backend.h"
#include "gpu/gpu.h"

#define BUF_SIZE (8u << 20)       /* one CUPTI activity buffer */
#define MAX_PENDING (1u << 21)    /* records held between two drains */
#define MAX_TAGS (1u << 22)       /* correlation IDs remembered */
#define MAX_INTERVALS 4096       /* harness brackets remembered between drains */
#define MAX_EVMAP 4096         /* CUPTI event IDs remembered */
#define NO_ROLE 0
#define ROLE_START 1
#define ROLE_STOP 2

/* What a correlation ID belongs to. */
struct tag {
	uint32_t corr;            /* 0: empty slot */
	uint8_t harness, in_call, role;
	enum record_impl impl;
	int64_t call, case_index;
	enum record_phase phase;
	int64_t stream, event;    /* API arguments, REC_NONE if none */
};

/* A stretch of CUPTI host time in which a thread ran harness or entry code. */
struct interval {
	int64_t t0, t1;
};

/* An activity record converted but not yet attributed. */
struct pending {
	struct record rec;
	uint32_t corr;
};

static struct {
	pthread_mutex_t lock;
	int open, enabled;
	CUpti_SubscriberHandle sub;
	/* correlation ID -> tag, open addressing */
	struct tag *tags;
	size_t tag_cap, tag_n;
	uint32_t max_corr, keep_from;
	/* converted activity awaiting the next drain */
	struct pending *pend;
	size_t npend, pend_cap;
	uint64_t dropped_cupti, dropped_cap, dropped_incomplete;
	/* CUPTI event ID -> event handle, learnt from CUDA_EVENT records whose
	 * cudaEventRecord call was seen, so sync records (which carry only
	 * CUPTI's ID) name events the way api and event records do. */
	struct evmap { uint32_t id; int64_t handle; } evmap[MAX_EVMAP];
	size_t nevmap, evmap_next;
	/* the most recent call and who is running what */
	int have_call;
	struct tag cur;
	int entry_running;
	pid_t entry_tid;
	int harness_active;
	pid_t harness_tid;
	uint8_t harness_role;
	/* When the harness and the entry ran (CUPTI clock), for activity that
	 * no callback tagged (internal launches): see tag_untagged(). */
	struct interval harness_iv[MAX_INTERVALS];
	size_t nharness_iv;
	struct interval entry_iv;
} coll = { .lock = PTHREAD_MUTEX_INITIALIZER };

static pid_t this_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static int cupti_fail(struct errbuf *e, const char *call, CUptiResult rc)
{
	const char *s = NULL;
	if (cuptiGetResultString(rc, &s) != CUPTI_SUCCESS || !s)
		s = "unknown CUPTI error";
	if (rc == CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED)
		return errbuf_set(e, EXIT_ENVIRONMENT,
				  "%s: %s: another profiler (nsys, ncu, a CUDA_INJECTION64_PATH "
				  "tool) holds CUPTI; run kaudit without it", call, s);
	if (rc == CUPTI_ERROR_INSUFFICIENT_PRIVILEGES)
		return errbuf_set(e, EXIT_ENVIRONMENT,
				  "%s: %s: profiling is restricted to administrators "
				  "(NVreg_RestrictProfilingToAdminUsers)", call, s);
	return errbuf_set(e, EXIT_ENVIRONMENT, "%s: %s", call, s);
}

/* ---- correlation tags ----------------------------------------------------- */

static size_t tag_slot(uint32_t corr, size_t cap)
{
	return (size_t)((corr * 2654435761u) & (cap - 1));
}

/* Inserts into a table known to have room. */
static struct tag *tag_put(struct tag *tags, size_t cap, const struct tag *t)
{
	size_t i = tag_slot(t->corr, cap);
	while (tags[i].corr && tags[i].corr != t->corr)
		i = (i + 1) & (cap - 1);
	tags[i] = *t;
	return &tags[i];
}

/* Rebuilds the table at NEWCAP, keeping tags with corr >= KEEP_FROM. */
static void tag_rebuild(size_t newcap, uint32_t keep_from)
{
	struct tag *nt = xcalloc(newcap, sizeof *nt);
	size_t n = 0;
	for (size_t i = 0; i < coll.tag_cap; i++)
		if (coll.tags[i].corr && coll.tags[i].corr >= keep_from) {
			tag_put(nt, newcap, &coll.tags[i]);
			n++;
		}
	free(coll.tags);
	coll.tags = nt;
	coll.tag_cap = newcap;
	coll.tag_n = n;
}

static struct tag *tag_find(uint32_t corr)
{
	if (!corr || !coll.tags)
		return NULL;
	size_t i = tag_slot(corr, coll.tag_cap);
	while (coll.tags[i].corr) {
		if (coll.tags[i].corr == corr)
			return &coll.tags[i];
		i = (i + 1) & (coll.tag_cap - 1);
	}
	return NULL;
}

/* Adds T (lock held); past the ceiling the tag is lost and counted. */
static struct tag *tag_add(const struct tag *t)
{
	if (!coll.tags || !coll.tag_cap)
		return NULL;
	if ((coll.tag_n + 1) * 2 > coll.tag_cap) {
		if (coll.tag_cap * 2 > MAX_TAGS) {
			coll.dropped_cap++;
			return NULL;
		}
		tag_rebuild(coll.tag_cap * 2, 0);
	}
	struct tag *slot = tag_find(t->corr);
	if (!slot) {
		coll.tag_n++;
		slot = tag_put(coll.tags, coll.tag_cap, t);
	} else {
		*slot = *t;
	}
	if (t->corr > coll.max_corr)
		coll.max_corr = t->corr;
	return slot;
}

/* ---- API callbacks ------------------------------------------------------- */

static int64_t stream_id(CUcontext ctx, CUstream s, int per_thread)
{
	uint32_t id;
	/* The special handles (cuda.h: CU_STREAM_LEGACY 0x1, CU_STREAM_PER_THREAD
	 * 0x2, the same values as cudaStreamLegacy/cudaStreamPerThread) are not
	 * stream objects: never hand them to CUPTI as pointers.  They name the
	 * NULL stream in its two meanings. */
	if (s == CU_STREAM_LEGACY) {
		s = NULL;
		per_thread = 0;
	} else if (s == CU_STREAM_PER_THREAD) {
		s = NULL;
		per_thread = 1;
	}
	if (cuptiGetStreamIdEx(ctx, s, (uint8_t)per_thread, &id) != CUPTI_SUCCESS)
		return REC_NONE;
	return id;
}

static int64_t event_id(const void *ev)
{
	return ev ? (int64_t)(uintptr_t)ev : REC_NONE;
}

/* The stream and event arguments of the calls the detectors reason about
 * (launches, event record/wait).  Events are identified by their handle. */
static void api_args(CUpti_CallbackDomain dom, CUpti_CallbackId id,
		     const CUpti_CallbackData *cb, int64_t *stream, int64_t *event)
{
	const void *p = cb->functionParams;
	CUcontext ctx = cb->context;
	if (!p)
		return;
	if (dom == CUPTI_CB_DOMAIN_RUNTIME_API) {
		switch (id) {
		case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernel_v7000:
		case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernel_ptsz_v7000:
			*stream = stream_id(ctx, ((const cudaLaunchKernel_v7000_params *)p)->stream,
					    id == CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernel_ptsz_v7000);
			break;
		case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchCooperativeKernel_v9000:
		case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchCooperativeKernel_ptsz_v9000:
			*stream = stream_id(ctx,
					    ((const cudaLaunchCooperativeKernel_v9000_params *)p)->stream,
					    id == CUPTI_RUNTIME_TRACE_CBID_cudaLaunchCooperativeKernel_ptsz_v9000);
			break;
		case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernelExC_v11060:
		case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernelExC_ptsz_v11060: {
			const cudaLaunchConfig_t *c = ((const cudaLaunchKernelExC_v11060_params *)p)->config;
			if (c)
				*stream = stream_id(ctx, c->stream,
						    id == CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernelExC_ptsz_v11060);
			break;
		}
		case CUPTI_RUNTIME_TRACE_CBID_cudaEventRecord_v3020:
		case CUPTI_RUNTIME_TRACE_CBID_cudaEventRecord_ptsz_v7000: {
			const cudaEventRecord_v3020_params *q = p;
			*stream = stream_id(ctx, q->stream,
					    id == CUPTI_RUNTIME_TRACE_CBID_cudaEventRecord_ptsz_v7000);
			*event = event_id(q->event);
			break;
		}
		case CUPTI_RUNTIME_TRACE_CBID_cudaEventRecordWithFlags_v11010:
		case CUPTI_RUNTIME_TRACE_CBID_cudaEventRecordWithFlags_ptsz_v11010: {
			const cudaEventRecordWithFlags_v11010_params *q = p;
			*stream = stream_id(ctx, q->stream,
					    id == CUPTI_RUNTIME_TRACE_CBID_cudaEventRecordWithFlags_ptsz_v11010);
			*event = event_id(q->event);
			break;
		}
		case CUPTI_RUNTIME_TRACE_CBID_cudaMemcpyAsync_v3020:
		case CUPTI_RUNTIME_TRACE_CBID_cudaMemcpyAsync_ptsz_v7000:
			*stream = stream_id(ctx, ((const cudaMemcpyAsync_v3020_params *)p)->stream,
					    id == CUPTI_RUNTIME_TRACE_CBID_cudaMemcpyAsync_ptsz_v7000);
			break;
		case CUPTI_RUNTIME_TRACE_CBID_cudaMemsetAsync_v3020:
		case CUPTI_RUNTIME_TRACE_CBID_cudaMemsetAsync_ptsz_v7000:
			*stream = stream_id(ctx, ((const cudaMemsetAsync_v3020_params *)p)->stream,
					    id == CUPTI_RUNTIME_TRACE_CBID_cudaMemsetAsync_ptsz_v7000);
			break;
		case CUPTI_RUNTIME_TRACE_CBID_cudaGraphLaunch_v10000:
		case CUPTI_RUNTIME_TRACE_CBID_cudaGraphLaunch_ptsz_v10000:
			*stream = stream_id(ctx, ((const cudaGraphLaunch_v10000_params *)p)->stream,
					    id == CUPTI_RUNTIME_TRACE_CBID_cudaGraphLaunch_ptsz_v10000);
			break;
		case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchHostFunc_v10000:
		case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchHostFunc_ptsz_v10000:
			*stream = stream_id(ctx, ((const cudaLaunchHostFunc_v10000_params *)p)->stream,
					    id == CUPTI_RUNTIME_TRACE_CBID_cudaLaunchHostFunc_ptsz_v10000);
			break;
		/* CUDA 13's <<<>>> launches go through __cudaLaunchKernel (cbids
		 * ___cudaLaunchKernel_v13000 and _ptsz_v13000), whose parameter
		 * struct no public header declares: its stream is not read here
		 * but taken from the kernel record of the same correlation ID at
		 * drain time (backfill_streams). */
		case CUPTI_RUNTIME_TRACE_CBID_cudaStreamWaitEvent_v3020:
		case CUPTI_RUNTIME_TRACE_CBID_cudaStreamWaitEvent_ptsz_v7000: {
			const cudaStreamWaitEvent_v3020_params *q = p;
			*stream = stream_id(ctx, q->stream,
					    id == CUPTI_RUNTIME_TRACE_CBID_cudaStreamWaitEvent_ptsz_v7000);
			*event = event_id(q->event);
			break;
		}
		default:
			break;
		}
		return;
	}
	switch (id) {
	case CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel:
	case CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel_ptsz:
		*stream = stream_id(ctx, ((const cuLaunchKernel_params *)p)->hStream,
				    id == CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel_ptsz);
		break;
	case CUPTI_DRIVER_TRACE_CBID_cuLaunchCooperativeKernel:
	case CUPTI_DRIVER_TRACE_CBID_cuLaunchCooperativeKernel_ptsz:
		*stream = stream_id(ctx, ((const cuLaunchCooperativeKernel_params *)p)->hStream,
				    id == CUPTI_DRIVER_TRACE_CBID_cuLaunchCooperativeKernel_ptsz);
		break;
	case CUPTI_DRIVER_TRACE_CBID_cuLaunchKernelEx:
	case CUPTI_DRIVER_TRACE_CBID_cuLaunchKernelEx_ptsz: {
		const CUlaunchConfig *c = ((const cuLaunchKernelEx_params *)p)->config;
		if (c)
			*stream = stream_id(ctx, c->hStream,
					    id == CUPTI_DRIVER_TRACE_CBID_cuLaunchKernelEx_ptsz);
		break;
	}
	case CUPTI_DRIVER_TRACE_CBID_cuMemcpyAsync:
	case CUPTI_DRIVER_TRACE_CBID_cuMemcpyAsync_ptsz:
		*stream = stream_id(ctx, ((const cuMemcpyAsync_params *)p)->hStream,
				    id == CUPTI_DRIVER_TRACE_CBID_cuMemcpyAsync_ptsz);
		break;
	case CUPTI_DRIVER_TRACE_CBID_cuGraphLaunch:
	case CUPTI_DRIVER_TRACE_CBID_cuGraphLaunch_ptsz:
		*stream = stream_id(ctx, ((const cuGraphLaunch_params *)p)->hStream,
				    id == CUPTI_DRIVER_TRACE_CBID_cuGraphLaunch_ptsz);
		break;
	case CUPTI_DRIVER_TRACE_CBID_cuLaunchHostFunc:
	case CUPTI_DRIVER_TRACE_CBID_cuLaunchHostFunc_ptsz:
		*stream = stream_id(ctx, ((const cuLaunchHostFunc_params *)p)->hStream,
				    id == CUPTI_DRIVER_TRACE_CBID_cuLaunchHostFunc_ptsz);
		break;
	case CUPTI_DRIVER_TRACE_CBID_cuEventRecord:
	case CUPTI_DRIVER_TRACE_CBID_cuEventRecord_ptsz: {
		const cuEventRecord_params *q = p;
		*stream = stream_id(ctx, q->hStream, id == CUPTI_DRIVER_TRACE_CBID_cuEventRecord_ptsz);
		*event = event_id(q->hEvent);
		break;
	}
	case CUPTI_DRIVER_TRACE_CBID_cuEventRecordWithFlags:
	case CUPTI_DRIVER_TRACE_CBID_cuEventRecordWithFlags_ptsz: {
		const cuEventRecordWithFlags_params *q = p;
		*stream = stream_id(ctx, q->hStream,
				    id == CUPTI_DRIVER_TRACE_CBID_cuEventRecordWithFlags_ptsz);
		*event = event_id(q->hEvent);
		break;
	}
	case CUPTI_DRIVER_TRACE_CBID_cuStreamWaitEvent:
	case CUPTI_DRIVER_TRACE_CBID_cuStreamWaitEvent_ptsz: {
		const cuStreamWaitEvent_params *q = p;
		*stream = stream_id(ctx, q->hStream,
				    id == CUPTI_DRIVER_TRACE_CBID_cuStreamWaitEvent_ptsz);
		*event = event_id(q->hEvent);
		break;
	}
	default:
		break;
	}
}

/* The stream a creation call produced (read at the call's exit). */
static int64_t created_stream(CUpti_CallbackDomain dom, CUpti_CallbackId id,
			      const CUpti_CallbackData *cb)
{
	const void *p = cb->functionParams;
	CUstream *out = NULL;
	if (!p)
		return REC_NONE;
	if (dom == CUPTI_CB_DOMAIN_RUNTIME_API) {
		if (id == CUPTI_RUNTIME_TRACE_CBID_cudaStreamCreate_v3020)
			out = (CUstream *)((const cudaStreamCreate_v3020_params *)p)->pStream;
		else if (id == CUPTI_RUNTIME_TRACE_CBID_cudaStreamCreateWithFlags_v5000)
			out = (CUstream *)((const cudaStreamCreateWithFlags_v5000_params *)p)->pStream;
		else if (id == CUPTI_RUNTIME_TRACE_CBID_cudaStreamCreateWithPriority_v5050)
			out = (CUstream *)((const cudaStreamCreateWithPriority_v5050_params *)p)->pStream;
	} else {
		if (id == CUPTI_DRIVER_TRACE_CBID_cuStreamCreate)
			out = ((const cuStreamCreate_params *)p)->phStream;
		else if (id == CUPTI_DRIVER_TRACE_CBID_cuStreamCreateWithPriority)
			out = ((const cuStreamCreateWithPriority_params *)p)->phStream;
	}
	/* A failed creation leaves *out as the caller left it (garbage, maybe):
	 * only a successful call's handle is looked up. */
	const void *ret = cb->functionReturnValue;
	if (!out || !ret)
		return REC_NONE;
	if (dom == CUPTI_CB_DOMAIN_RUNTIME_API ? *(const cudaError_t *)ret != cudaSuccess
					       : *(const CUresult *)ret != CUDA_SUCCESS)
		return REC_NONE;
	if (!*out)
		return REC_NONE;
	return stream_id(cb->context, *out, 0);
}

static void CUPTIAPI on_api(void *userdata, CUpti_CallbackDomain dom, CUpti_CallbackId id,
			    const void *data)
{
	const CUpti_CallbackData *cb = data;
	pid_t tid = this_tid();
	(void)userdata;
	if (dom != CUPTI_CB_DOMAIN_RUNTIME_API && dom != CUPTI_CB_DOMAIN_DRIVER_API)
		return;
	/* CUPTI calls are made outside the lock: they may take CUPTI's own. */
	int64_t stream = REC_NONE, event = REC_NONE;
	if (cb->callbackSite == CUPTI_API_ENTER)
		api_args(dom, id, cb, &stream, &event);
	else
		stream = created_stream(dom, id, cb);

	pthread_mutex_lock(&coll.lock);
	/* A callback that was already running when the collector closed (a
	 * thread the implementation left behind, launching while the worker
	 * shuts down) finds the table gone: nothing to tag. */
	if (!coll.open || !coll.tags) {
		pthread_mutex_unlock(&coll.lock);
		return;
	}
	if (cb->callbackSite == CUPTI_API_EXIT) {
		struct tag *t = stream != REC_NONE ? tag_find(cb->correlationId) : NULL;
		if (t)
			t->stream = stream;
		pthread_mutex_unlock(&coll.lock);
		return;
	}
	struct tag t = { .corr = cb->correlationId, .stream = stream, .event = event,
			 .call = REC_NONE, .case_index = REC_NONE };
	if (coll.harness_active && tid == coll.harness_tid) {
		t.harness = 1;
		t.role = coll.harness_role;
		t.impl = IMPL_HARNESS;
	}
	if (coll.have_call) {
		if (!t.harness)
			t.impl = coll.cur.impl;
		t.call = coll.cur.call;
		t.case_index = coll.cur.case_index;
		t.phase = coll.cur.phase;
	}
	t.in_call = !t.harness && coll.entry_running && tid == coll.entry_tid;
	if (t.corr)
		tag_add(&t);
	pthread_mutex_unlock(&coll.lock);
}

/* ---- activity buffers ---------------------------------------------------- */

static void CUPTIAPI buf_requested(uint8_t **buf, size_t *size, size_t *max_records)
{
	/* On failure CUPTI drops the records and counts them: reported later. */
	*buf = aligned_alloc(8, BUF_SIZE);
	*size = *buf ? BUF_SIZE : 0;
	*max_records = 0;
}

static int64_t ts(uint64_t v)
{
	return v ? (int64_t)v : REC_NONE;
}

static int64_t opt_u32(uint32_t v)
{
	return v == CUPTI_SYNCHRONIZATION_INVALID_VALUE ? REC_NONE : (int64_t)v;
}

static const char *memcpy_kind(uint8_t k)
{
	static const char *names[] = {
		[CUPTI_ACTIVITY_MEMCPY_KIND_HTOD] = "HtoD", [CUPTI_ACTIVITY_MEMCPY_KIND_DTOH] = "DtoH",
		[CUPTI_ACTIVITY_MEMCPY_KIND_HTOA] = "HtoA", [CUPTI_ACTIVITY_MEMCPY_KIND_ATOH] = "AtoH",
		[CUPTI_ACTIVITY_MEMCPY_KIND_ATOA] = "AtoA", [CUPTI_ACTIVITY_MEMCPY_KIND_ATOD] = "AtoD",
		[CUPTI_ACTIVITY_MEMCPY_KIND_DTOA] = "DtoA", [CUPTI_ACTIVITY_MEMCPY_KIND_DTOD] = "DtoD",
		[CUPTI_ACTIVITY_MEMCPY_KIND_HTOH] = "HtoH", [CUPTI_ACTIVITY_MEMCPY_KIND_PTOP] = "PtoP",
	};
	return k < sizeof names / sizeof names[0] && names[k] ? names[k] : "unknown";
}

static const char *sync_kind(CUpti_ActivitySynchronizationType t)
{
	switch (t) {
	case CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_EVENT_SYNCHRONIZE: return "event";
	case CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_STREAM_WAIT_EVENT: return "stream_wait";
	case CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_STREAM_SYNCHRONIZE: return "stream";
	case CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_CONTEXT_SYNCHRONIZE: return "context";
	default: return "unknown";
	}
}

static const char *memory_kind(CUpti_ActivityMemoryKind k)
{
	switch (k) {
	case CUPTI_ACTIVITY_MEMORY_KIND_DEVICE:
	case CUPTI_ACTIVITY_MEMORY_KIND_DEVICE_STATIC: return "device";
	case CUPTI_ACTIVITY_MEMORY_KIND_PINNED: return "pinned";
	case CUPTI_ACTIVITY_MEMORY_KIND_MANAGED:
	case CUPTI_ACTIVITY_MEMORY_KIND_MANAGED_STATIC: return "managed";
	case CUPTI_ACTIVITY_MEMORY_KIND_PAGEABLE: return "pageable";
	default: return "other";
	}
}

/* Each converter fills R from A and returns its correlation ID. */
static uint32_t conv_api(const CUpti_Activity *a, struct record *r)
{
	const CUpti_ActivityAPI *x = (const CUpti_ActivityAPI *)a;
	const char *name = NULL;
	record_init(r, REC_API);
	if (a->kind == CUPTI_ACTIVITY_KIND_INTERNAL_LAUNCH_API)
		name = "internal-launch";
	else if (cuptiGetCallbackName(a->kind == CUPTI_ACTIVITY_KIND_RUNTIME
					      ? CUPTI_CB_DOMAIN_RUNTIME_API : CUPTI_CB_DOMAIN_DRIVER_API,
				      x->cbid, &name) != CUPTI_SUCCESS || !name)
		name = "unknown";
	r->u.api.name = xstrdup(name);
	r->u.api.thread = x->threadId;
	r->u.api.start = ts(x->start);
	r->u.api.end = ts(x->end);
	r->u.api.corr = x->correlationId;
	return x->correlationId;
}

static uint32_t conv_kernel(const CUpti_Activity *a, struct record *r)
{
	const CUpti_ActivityKernel10 *k = (const CUpti_ActivityKernel10 *)a;
	record_init(r, REC_KERNEL);
	r->u.kernel.name = xstrdup(k->name ? k->name : "unknown");
	r->u.kernel.stream = k->streamId;
	r->u.kernel.start = ts(k->start);
	r->u.kernel.end = ts(k->end);
	r->u.kernel.corr = k->correlationId;
	r->u.kernel.device = k->deviceId;
	r->u.kernel.grid[0] = k->gridX;
	r->u.kernel.grid[1] = k->gridY;
	r->u.kernel.grid[2] = k->gridZ;
	r->u.kernel.block[0] = k->blockX;
	r->u.kernel.block[1] = k->blockY;
	r->u.kernel.block[2] = k->blockZ;
	r->u.kernel.smem = (int64_t)k->staticSharedMemory + k->dynamicSharedMemory;
	r->u.kernel.regs = k->registersPerThread;
	return k->correlationId;
}

static uint32_t conv_memcpy(const CUpti_Activity *a, struct record *r)
{
	const CUpti_ActivityMemcpy6 *m = (const CUpti_ActivityMemcpy6 *)a;
	record_init(r, REC_MEMCPY);
	r->u.memcpy.kind = xstrdup(memcpy_kind(m->copyKind));
	r->u.memcpy.bytes = (int64_t)m->bytes;
	r->u.memcpy.stream = m->streamId;
	r->u.memcpy.start = ts(m->start);
	r->u.memcpy.end = ts(m->end);
	r->u.memcpy.corr = m->correlationId;
	return m->correlationId;
}

static uint32_t conv_memset(const CUpti_Activity *a, struct record *r)
{
	const CUpti_ActivityMemset4 *m = (const CUpti_ActivityMemset4 *)a;
	record_init(r, REC_MEMSET);
	r->u.memset.bytes = (int64_t)m->bytes;
	r->u.memset.value = m->value;
	r->u.memset.stream = m->streamId;
	r->u.memset.start = ts(m->start);
	r->u.memset.end = ts(m->end);
	r->u.memset.corr = m->correlationId;
	return m->correlationId;
}

static uint32_t conv_event(const CUpti_Activity *a, struct record *r)
{
	const CUpti_ActivityCudaEvent2 *v = (const CUpti_ActivityCudaEvent2 *)a;
	record_init(r, REC_EVENT);
	r->u.event.event = v->eventId; /* replaced by the handle when the API call is known */
	r->u.event.stream = v->streamId;
	r->u.event.ts = ts(v->deviceTimestamp);
	r->u.event.corr = v->correlationId;
	return v->correlationId;
}

static uint32_t conv_sync(const CUpti_Activity *a, struct record *r)
{
	const CUpti_ActivitySynchronization2 *s = (const CUpti_ActivitySynchronization2 *)a;
	record_init(r, REC_SYNC);
	r->u.sync.kind = xstrdup(sync_kind(s->type));
	r->u.sync.stream = opt_u32(s->streamId);
	r->u.sync.event = opt_u32(s->cudaEventId);
	r->u.sync.start = ts(s->start);
	r->u.sync.end = ts(s->end);
	r->u.sync.corr = s->correlationId;
	return s->correlationId;
}

static uint32_t conv_alloc(const CUpti_Activity *a, struct record *r)
{
	const CUpti_ActivityMemory4 *m = (const CUpti_ActivityMemory4 *)a;
	record_init(r, REC_ALLOC);
	r->u.alloc.kind = xstrdup(m->memoryOperationType ==
					  CUPTI_ACTIVITY_MEMORY_OPERATION_TYPE_RELEASE ? "free" : "alloc");
	r->u.alloc.memory = xstrdup(memory_kind(m->memoryKind));
	r->u.alloc.address = (int64_t)m->address;
	r->u.alloc.bytes = (int64_t)m->bytes;
	r->u.alloc.ts = ts(m->timestamp);
	r->u.alloc.corr = m->correlationId;
	return m->correlationId;
}

/* The activity kinds kaudit collects and how each becomes a record. */
static const struct {
	CUpti_ActivityKind kind;
	uint32_t (*conv)(const CUpti_Activity *a, struct record *r);
	int optional; /* enabling may fail on older drivers: not fatal */
} kinds[] = {
	{ CUPTI_ACTIVITY_KIND_RUNTIME, conv_api, 0 },
	{ CUPTI_ACTIVITY_KIND_DRIVER, conv_api, 0 },
	{ CUPTI_ACTIVITY_KIND_INTERNAL_LAUNCH_API, conv_api, 1 },
	{ CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL, conv_kernel, 0 },
	{ CUPTI_ACTIVITY_KIND_MEMCPY, conv_memcpy, 0 },
	{ CUPTI_ACTIVITY_KIND_MEMSET, conv_memset, 0 },
	{ CUPTI_ACTIVITY_KIND_CUDA_EVENT, conv_event, 1 },
	{ CUPTI_ACTIVITY_KIND_SYNCHRONIZATION, conv_sync, 1 },
	{ CUPTI_ACTIVITY_KIND_MEMORY2, conv_alloc, 1 },
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

/* GPU work whose start or end CUPTI has not filled in. */
static int incomplete(const struct record *r)
{
	switch (r->type) {
	case REC_KERNEL:
		return r->u.kernel.start == REC_NONE || r->u.kernel.end == REC_NONE;
	case REC_MEMCPY:
		return r->u.memcpy.start == REC_NONE || r->u.memcpy.end == REC_NONE;
	case REC_MEMSET:
		return r->u.memset.start == REC_NONE || r->u.memset.end == REC_NONE;
	default:
		return 0;
	}
}

static void CUPTIAPI buf_completed(CUcontext ctx, uint32_t stream, uint8_t *buf, size_t size,
				   size_t valid)
{
	CUpti_Activity *a = NULL;
	(void)size;
	pthread_mutex_lock(&coll.lock);
	while (valid && cuptiActivityGetNextRecord(buf, valid, &a) == CUPTI_SUCCESS) {
		size_t k = 0;
		while (k < NKINDS && kinds[k].kind != a->kind)
			k++;
		if (k == NKINDS)
			continue;
		struct pending p;
		p.corr = kinds[k].conv(a, &p.rec);
		const struct tag *t = tag_find(p.corr);
		/* Harness activity is dropped here already, except its timing
		 * events; so is everything once the collector has closed. */
		if (!coll.open || (t && t->harness && !(t->role && p.rec.type == REC_EVENT))) {
			record_clear(&p.rec);
			continue;
		}
		/* A forced flush hands over records that are not complete yet
		 * (cuptiActivityFlushAll, cupti_activity.h): GPU work without
		 * both timestamps cannot be placed in time, and a trace must
		 * not carry it (start/end are required fields).  Counted as
		 * lost, so trace-incomplete says so. */
		if (incomplete(&p.rec)) {
			coll.dropped_incomplete++;
			record_clear(&p.rec);
			continue;
		}
		if (coll.npend >= MAX_PENDING) {
			coll.dropped_cap++;
			record_clear(&p.rec);
			continue;
		}
		if (coll.npend == coll.pend_cap)
			xgrow((void **)&coll.pend, &coll.pend_cap, coll.npend + 1, sizeof *coll.pend);
		coll.pend[coll.npend++] = p;
	}
	size_t dropped = 0;
	if (cuptiActivityGetNumDroppedRecords(ctx, stream, &dropped) == CUPTI_SUCCESS)
		coll.dropped_cupti += dropped;
	pthread_mutex_unlock(&coll.lock);
	free(buf);
}

/* ---- lifecycle ----------------------------------------------------------- */

int gpu_collect_enable(int on, struct errbuf *e)
{
	CUptiResult rc;
	if (!coll.open)
		return errbuf_set(e, EXIT_ENVIRONMENT, "CUPTI collector not open");
	if (coll.enabled == on)
		return 0;
	if (!on) {
		rc = cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
		if (rc != CUPTI_SUCCESS)
			return cupti_fail(e, "cuptiActivityFlushAll", rc);
	}
	rc = cuptiEnableDomain((uint32_t)on, coll.sub, CUPTI_CB_DOMAIN_RUNTIME_API);
	if (rc != CUPTI_SUCCESS)
		return cupti_fail(e, "cuptiEnableDomain(runtime)", rc);
	rc = cuptiEnableDomain((uint32_t)on, coll.sub, CUPTI_CB_DOMAIN_DRIVER_API);
	if (rc != CUPTI_SUCCESS)
		return cupti_fail(e, "cuptiEnableDomain(driver)", rc);
	for (size_t k = 0; k < NKINDS; k++) {
		rc = on ? cuptiActivityEnable(kinds[k].kind) : cuptiActivityDisable(kinds[k].kind);
		if (rc != CUPTI_SUCCESS && !kinds[k].optional)
			return cupti_fail(e, on ? "cuptiActivityEnable" : "cuptiActivityDisable", rc);
	}
	coll.enabled = on;
	return 0;
}

int gpu_collect_open(struct errbuf *e)
{
	CUptiResult rc;
	if (coll.open)
		return errbuf_set(e, EXIT_ENVIRONMENT, "CUPTI collector already open");
	rc = cuptiSubscribe(&coll.sub, on_api, NULL);
	if (rc != CUPTI_SUCCESS)
		return cupti_fail(e, "cuptiSubscribe", rc);
	coll.open = 1;
	/* Activity thread ids are then gettid(), like the callbacks'. */
	rc = cuptiSetThreadIdType(CUPTI_ACTIVITY_THREAD_ID_TYPE_SYSTEM);
	if (rc != CUPTI_SUCCESS)
		goto fail_call_settid;
	rc = cuptiActivityRegisterCallbacks(buf_requested, buf_completed);
	if (rc != CUPTI_SUCCESS)
		goto fail_call_register;
	/* Without it the timed window falls back to host timestamps
	 * (tests/gpu/FACTS.md). */
	(void)cuptiActivityEnableCudaEventDeviceTimestamps(1);
	pthread_mutex_lock(&coll.lock);
	coll.tag_cap = 1u << 12;
	coll.tags = xcalloc(coll.tag_cap, sizeof *coll.tags);
	coll.tag_n = 0;
	pthread_mutex_unlock(&coll.lock);
	if (gpu_collect_enable(1, e) < 0) {
		gpu_collect_close();
		return -1;
	}
	return 0;
fail_call_settid:
	cupti_fail(e, "cuptiSetThreadIdType", rc);
	gpu_collect_close();
	return -1;
fail_call_register:
	cupti_fail(e, "cuptiActivityRegisterCallbacks", rc);
	gpu_collect_close();
	return -1;
}

void gpu_collect_close(void)
{
	if (!coll.open)
		return;
	struct errbuf ignored;
	(void)gpu_collect_enable(0, &ignored);
	(void)cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
	(void)cuptiUnsubscribe(coll.sub);
	pthread_mutex_lock(&coll.lock);
	for (size_t i = 0; i < coll.npend; i++)
		record_clear(&coll.pend[i].rec);
	free(coll.pend);
	free(coll.tags);
	coll.pend = NULL;
	coll.tags = NULL;
	coll.npend = coll.pend_cap = coll.tag_cap = coll.tag_n = 0;
	coll.nevmap = coll.evmap_next = 0;
	coll.dropped_cupti = coll.dropped_cap = coll.dropped_incomplete = 0;
	coll.open = coll.enabled = coll.have_call = 0;
	pthread_mutex_unlock(&coll.lock);
}

int64_t gpu_collect_now(void)
{
	uint64_t t = 0;
	if (cuptiGetTimestamp(&t) != CUPTI_SUCCESS)
		return REC_NONE;
	return (int64_t)t;
}

/* ---- call bracketing ------------------------------------------------------ */

/* The clock is read outside the lock: no CUPTI call is made while holding
 * it, because CUPTI may call buf_completed (which takes it) while holding
 * its own locks. */
void gpu_collect_harness_begin(const char *role)
{
	pid_t tid = this_tid();
	int64_t now = gpu_collect_now();
	pthread_mutex_lock(&coll.lock);
	coll.harness_active = 1;
	coll.harness_tid = tid;
	if (coll.nharness_iv == MAX_INTERVALS) /* widen the last one: still harness time */
		coll.nharness_iv--;
	coll.harness_iv[coll.nharness_iv].t0 = now;
	coll.harness_iv[coll.nharness_iv].t1 = INT64_MAX;
	coll.nharness_iv++;
	coll.harness_role = !role ? NO_ROLE : strcmp(role, "start") == 0 ? ROLE_START : ROLE_STOP;
	pthread_mutex_unlock(&coll.lock);
}

void gpu_collect_harness_end(void)
{
	int64_t now = gpu_collect_now();
	pthread_mutex_lock(&coll.lock);
	coll.harness_active = 0;
	if (coll.nharness_iv)
		coll.harness_iv[coll.nharness_iv - 1].t1 = now;
	coll.harness_role = NO_ROLE;
	pthread_mutex_unlock(&coll.lock);
}

void gpu_collect_begin_call(const struct invoke_opts *o)
{
	pthread_mutex_lock(&coll.lock);
	coll.have_call = 1;
	coll.cur.impl = o->impl;
	coll.cur.call = o->call;
	coll.cur.case_index = o->case_index;
	coll.cur.phase = o->phase;
	pthread_mutex_unlock(&coll.lock);
}

void gpu_collect_entry_enter(void)
{
	pid_t tid = this_tid();
	int64_t now = gpu_collect_now();
	pthread_mutex_lock(&coll.lock);
	coll.entry_running = 1;
	coll.entry_tid = tid;
	coll.entry_iv.t0 = now;
	coll.entry_iv.t1 = INT64_MAX;
	pthread_mutex_unlock(&coll.lock);
}

void gpu_collect_entry_exit(void)
{
	int64_t now = gpu_collect_now();
	pthread_mutex_lock(&coll.lock);
	coll.entry_running = 0;
	coll.entry_iv.t1 = now;
	pthread_mutex_unlock(&coll.lock);
}

/* ---- drain ------------------------------------------------------------------ */

/* Gives R the call its correlation ID belongs to; fills API arguments. */
static void attribute(struct record *r, const struct tag *t, const struct tag *cur,
		      int have_call)
{
	if (t) {
		r->impl = t->impl;
		r->call = t->call;
		r->case_index = t->case_index;
		r->phase = t->phase;
	} else if (have_call) {
		r->impl = cur->impl;
		r->call = cur->call;
		r->case_index = cur->case_index;
		r->phase = cur->phase;
	}
	switch (r->type) {
	case REC_API:
		r->u.api.in_call = t ? t->in_call : 0;
		r->u.api.stream = t ? t->stream : REC_NONE;
		r->u.api.event = t ? t->event : REC_NONE;
		break;
	case REC_EVENT:
		if (t && t->event != REC_NONE)
			r->u.event.event = t->event;
		if (t && t->role)
			r->u.event.role = xstrdup(t->role == ROLE_START ? "start" : "stop");
		break;
	default:
		break;
	}
}

/* Adds R's GPU activity to the call's totals when it belongs to CUR. */
static void account(const struct record *r, const struct tag *cur, struct invoke_result *res)
{
	int64_t start, end, bytes = 0;
	if (r->call != cur->call || r->impl != cur->impl || r->case_index != cur->case_index)
		return;
	switch (r->type) {
	case REC_KERNEL:
		start = r->u.kernel.start;
		end = r->u.kernel.end;
		res->kernels++;
		if (start != REC_NONE && end != REC_NONE)
			res->kernel_ns += (double)(end - start);
		break;
	case REC_MEMCPY:
		start = r->u.memcpy.start;
		end = r->u.memcpy.end;
		bytes = r->u.memcpy.bytes;
		break;
	case REC_MEMSET:
		start = r->u.memset.start;
		end = r->u.memset.end;
		bytes = r->u.memset.bytes;
		break;
	default:
		return;
	}
	res->bytes += bytes;
	if (start != REC_NONE && (res->span_start == REC_NONE || start < res->span_start))
		res->span_start = start;
	if (end != REC_NONE && (res->span_end == REC_NONE || end > res->span_end))
		res->span_end = end;
}

/* Takes the pending records and drop counts out of the collector. */
static int take_pending(struct pending **pend, size_t *n, uint64_t *cupti, uint64_t *cap,
			uint64_t *incompl, struct errbuf *e)
{
	CUptiResult rc = cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
	if (rc != CUPTI_SUCCESS)
		return cupti_fail(e, "cuptiActivityFlushAll", rc);
	pthread_mutex_lock(&coll.lock);
	*pend = coll.pend;
	*n = coll.npend;
	*cupti = coll.dropped_cupti;
	*cap = coll.dropped_cap;
	*incompl = coll.dropped_incomplete;
	coll.dropped_incomplete = 0;
	coll.pend = NULL;
	coll.npend = coll.pend_cap = 0;
	coll.dropped_cupti = coll.dropped_cap = 0;
	pthread_mutex_unlock(&coll.lock);
	return 0;
}

static int emit_dropped(const struct record_sink *sink, const struct tag *cur, int have_call,
			uint64_t count, const char *source)
{
	struct record r;
	record_init(&r, REC_DROPPED);
	attribute(&r, NULL, cur, have_call);
	r.u.dropped.count = (int64_t)count;
	r.u.dropped.source = xstrdup(source);
	int rc = record_emit(sink, &r);
	record_clear(&r);
	return rc;
}

static int in_interval(const struct interval *iv, int64_t t)
{
	return t != REC_NONE && iv->t0 != REC_NONE && t >= iv->t0 && t <= iv->t1;
}

/* API records that no callback saw (CUPTI's INTERNAL_LAUNCH_API) are
 * tagged by when and where they ran: on the harness thread inside a
 * harness bracket -> harness; on the entry's thread while it ran -> the
 * current call, in_call = 1.  Their kernels share the correlation ID and
 * follow.  Anything else keeps no tag: most recent call, in_call = 0. */
static void tag_untagged(struct pending *pend, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct record *r = &pend[i].rec;
		if (r->type != REC_API || !pend[i].corr || tag_find(pend[i].corr))
			continue;
		struct tag t = { .corr = pend[i].corr, .stream = REC_NONE, .event = REC_NONE,
				 .call = REC_NONE, .case_index = REC_NONE };
		int harness = 0;
		if (r->u.api.thread == coll.harness_tid)
			for (size_t k = 0; k < coll.nharness_iv && !harness; k++)
				harness = in_interval(&coll.harness_iv[k], r->u.api.start);
		if (harness) {
			t.harness = 1;
			t.impl = IMPL_HARNESS;
		} else if (coll.have_call && r->u.api.thread == coll.entry_tid &&
			   in_interval(&coll.entry_iv, r->u.api.start)) {
			t.impl = coll.cur.impl;
			t.call = coll.cur.call;
			t.case_index = coll.cur.case_index;
			t.phase = coll.cur.phase;
			t.in_call = 1;
		} else {
			continue;
		}
		tag_add(&t);
	}
}

/* ---- event IDs and launch streams ------------------------------------------ */

static void evmap_put(uint32_t id, int64_t handle)
{
	for (size_t i = 0; i < coll.nevmap; i++)
		if (coll.evmap[i].id == id) {
			coll.evmap[i].handle = handle;
			return;
		}
	size_t slot = coll.nevmap < MAX_EVMAP ? coll.nevmap++ : coll.evmap_next++ % MAX_EVMAP;
	coll.evmap[slot].id = id;
	coll.evmap[slot].handle = handle;
}

static int64_t evmap_get(int64_t id)
{
	for (size_t i = 0; i < coll.nevmap; i++)
		if ((int64_t)coll.evmap[i].id == id)
			return coll.evmap[i].handle;
	return REC_NONE;
}

/* Learns CUPTI event ID -> handle from the CUDA_EVENT records of this
 * drain (before any is used: records of different streams arrive in any
 * order) whose cudaEventRecord call was seen. */
static void learn_events(const struct pending *pend, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct record *r = &pend[i].rec;
		if (r->type != REC_EVENT || r->u.event.event == REC_NONE)
			continue;
		const struct tag *t = tag_find(pend[i].corr);
		if (t && t->event != REC_NONE)
			evmap_put((uint32_t)r->u.event.event, t->event);
	}
}

static int cmp_keyed(const void *pa, const void *pb)
{
	const int64_t *a = pa, *b = pb;
	if (a[0] != b[0])
		return (a[0] > b[0]) - (a[0] < b[0]);
	return (a[1] > b[1]) - (a[1] < b[1]);
}

/* The stream and correlation ID of GPU work (stream REC_NONE otherwise). */
static int64_t work_stream(const struct record *r, int64_t *corr)
{
	switch (r->type) {
	case REC_KERNEL: *corr = r->u.kernel.corr; return r->u.kernel.stream;
	case REC_MEMCPY: *corr = r->u.memcpy.corr; return r->u.memcpy.stream;
	case REC_MEMSET: *corr = r->u.memset.corr; return r->u.memset.stream;
	default: *corr = REC_NONE; return REC_NONE;
	}
}

/* An api record whose arguments gave no stream (CUDA 13's __cudaLaunchKernel,
 * whose parameter struct is not public; synchronous copies) gets the
 * stream of the GPU work with its correlation ID, when all of that work is
 * on one stream: CUPTI's stream ID, the id space of kernel records. */
static void backfill_streams(struct pending *pend, size_t n)
{
	int64_t (*w)[2] = xmalloc((n ? n : 1) * sizeof *w);
	size_t nw = 0;
	for (size_t i = 0; i < n; i++) {
		int64_t corr, st = work_stream(&pend[i].rec, &corr);
		if (st != REC_NONE && corr != REC_NONE && corr != 0) {
			w[nw][0] = corr;
			w[nw][1] = st;
			nw++;
		}
	}
	xsort(w, nw, sizeof *w, cmp_keyed);
	for (size_t i = 0; i < n && nw; i++) {
		struct record *r = &pend[i].rec;
		int64_t corr = r->type == REC_API ? r->u.api.corr : REC_NONE;
		if (r->type != REC_API || r->u.api.stream != REC_NONE || corr == REC_NONE || !corr)
			continue;
		size_t lo = 0, hi = nw;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (w[mid][0] < corr)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == nw || w[lo][0] != corr)
			continue;
		size_t end = lo;
		while (end < nw && w[end][0] == w[lo][0])
			end++;
		if (w[end - 1][1] == w[lo][1]) /* sorted: first == last means one stream */
			r->u.api.stream = w[lo][1];
	}
	free(w);
}

int gpu_collect_drain(const struct record_sink *sink, struct invoke_result *res,
		      struct errbuf *e)
{
	struct pending *pend = NULL;
	size_t n = 0;
	uint64_t drop_cupti = 0, drop_cap = 0, drop_incomplete = 0;
	if (take_pending(&pend, &n, &drop_cupti, &drop_cap, &drop_incomplete, e) < 0)
		return -1;

	/* Attribute under the lock, emit outside it (a slow sink must not
	 * stall the API callbacks of the implementation's threads). */
	int64_t now = gpu_collect_now();
	pthread_mutex_lock(&coll.lock);
	struct tag cur = coll.cur;
	int have_call = coll.have_call;
	int failed = 0;
	tag_untagged(pend, n);
	learn_events(pend, n);
	for (size_t i = 0; i < n; i++) {
		struct record *r = &pend[i].rec;
		const struct tag *t = tag_find(pend[i].corr);
		pend[i].corr = 0; /* 0 now means "emit" */
		if (t && t->harness && !(r->type == REC_EVENT && t->role)) {
			pend[i].corr = 1; /* harness work: not emitted */
			continue;
		}
		int64_t h;
		if (r->type == REC_SYNC && r->u.sync.event != REC_NONE &&
		    (h = evmap_get(r->u.sync.event)) != REC_NONE)
			r->u.sync.event = h;
		if (r->type == REC_EVENT && !(t && t->event != REC_NONE) &&
		    r->u.event.event != REC_NONE && (h = evmap_get(r->u.event.event)) != REC_NONE)
			r->u.event.event = h;
		attribute(r, t, &cur, have_call);
		/* The window is the current call's (a late event of an earlier
		 * call must not move it). */
		if (t && t->harness && t->call == cur.call && t->case_index == cur.case_index) {
			if (t->role == ROLE_START && r->u.event.ts != REC_NONE)
				res->window_start = r->u.event.ts;
			if (t->role == ROLE_STOP && r->u.event.ts != REC_NONE)
				res->window_end = r->u.event.ts;
		}
		account(r, &cur, res);
	}
	/* Tags older than the previous drain have had a full sync + flush to
	 * bring their activity back; what still comes for them is attributed
	 * to the most recent call, in_call = 0. */
	uint32_t keep = coll.keep_from;
	coll.keep_from = coll.max_corr;
	if (keep)
		tag_rebuild(coll.tag_cap, keep);
	coll.nharness_iv = 0;
	if (coll.harness_active) { /* keep the open bracket */
		coll.harness_iv[0].t0 = now;
		coll.harness_iv[0].t1 = INT64_MAX;
		coll.nharness_iv = 1;
	}
	pthread_mutex_unlock(&coll.lock);

	/* After attribute(), which set api.stream from the call's arguments. */
	backfill_streams(pend, n);
	for (size_t i = 0; i < n; i++) {
		if (!failed && !pend[i].corr && sink && record_emit(sink, &pend[i].rec) < 0)
			failed = 1;
		record_clear(&pend[i].rec);
	}
	free(pend);

	if (!failed && drop_cupti && sink && emit_dropped(sink, &cur, have_call, drop_cupti, "cupti") < 0)
		failed = 1;
	if (!failed && drop_cap && sink && emit_dropped(sink, &cur, have_call, drop_cap, "cap") < 0)
		failed = 1;
	if (!failed && drop_incomplete && sink &&
	    emit_dropped(sink, &cur, have_call, drop_incomplete, "incomplete") < 0)
		failed = 1;
	if (failed)
		return errbuf_set(e, EXIT_BAD_INPUT, "cannot emit trace records: the record sink failed");
	return 0;
}
