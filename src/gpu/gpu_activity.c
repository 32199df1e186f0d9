/*
 * gpu_activity.c - CUPTI activity records -> struct record: one converter
 * per kind kaudit collects, and the table that enables them.  The structs
 * are the CUDA 13.0 ones cupti_activity.h names for each kind; the
 * collector refuses a libcupti of another API version (gpu_collect_open),
 * since CUPTI writes records in its own version's layout.
 */
#include <cupti.h>

#include "gpu/gpu_cupti.h"
#include "util/util.h"

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
	const char *name;
} kinds[] = {
	{ CUPTI_ACTIVITY_KIND_RUNTIME, conv_api, 0, "RUNTIME" },
	{ CUPTI_ACTIVITY_KIND_DRIVER, conv_api, 0, "DRIVER" },
	{ CUPTI_ACTIVITY_KIND_INTERNAL_LAUNCH_API, conv_api, 1, "INTERNAL_LAUNCH_API" },
	{ CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL, conv_kernel, 0, "CONCURRENT_KERNEL" },
	{ CUPTI_ACTIVITY_KIND_MEMCPY, conv_memcpy, 0, "MEMCPY" },
	{ CUPTI_ACTIVITY_KIND_MEMSET, conv_memset, 0, "MEMSET" },
	{ CUPTI_ACTIVITY_KIND_CUDA_EVENT, conv_event, 1, "CUDA_EVENT" },
	{ CUPTI_ACTIVITY_KIND_SYNCHRONIZATION, conv_sync, 1, "SYNCHRONIZATION" },
	{ CUPTI_ACTIVITY_KIND_MEMORY2, conv_alloc, 1, "MEMORY2" },
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

int gpu_activity_convert(const CUpti_Activity *a, struct record *r, uint32_t *corr)
{
	for (size_t k = 0; k < NKINDS; k++)
		if (kinds[k].kind == a->kind) {
			*corr = kinds[k].conv(a, r);
			return 1;
		}
	return 0;
}

CUptiResult gpu_activity_enable(int on, const char **kind)
{
	for (size_t k = 0; k < NKINDS; k++) {
		CUptiResult rc = on ? cuptiActivityEnable(kinds[k].kind)
				    : cuptiActivityDisable(kinds[k].kind);
		if (rc != CUPTI_SUCCESS && !kinds[k].optional) {
			*kind = kinds[k].name;
			return rc;
		}
	}
	return CUPTI_SUCCESS;
}
