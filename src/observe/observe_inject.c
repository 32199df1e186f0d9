/*
 * observe_inject.c - the CUPTI injection library of `kaudit observe`
 * (libkaudit-observe.so).  The CUDA driver loads it into every process of
 * the observed command through CUDA_INJECTION64_PATH and calls
 * InitializeInjection() when that process initialises CUDA.  It never
 * changes what the process does: it subscribes to CUPTI and streams records
 * to the supervisor over $KAUDIT_OBSERVE_SOCK (run/observe_wire.h):
 *
 *   process   once, first: pid, ppid, exe, CUPTI version, and whether CUPTI
 *             accepted the subscription (only one subscriber per process:
 *             PyTorch's profiler, nsys and ncu take it);
 *   api       at each call's exit: event records (cudaEventRecord[WithFlags],
 *             cuEventRecord[WithFlags], _ptsz) with their event and stream,
 *             stream waits, launches of every kind (runtime, driver as Triton
 *             calls it, graphs, copies, memsets), synchronisations; with
 *             thread, host start/end, correlation id and return code;
 *   elapsed   every elapsed-time read with *ms as the harness got it;
 *   kernel, memcpy, memset, event   from CUPTI's activity buffers (stream,
 *             correlation id, GPU start/end, graph id; events' device
 *             timestamps);
 *   dropped   what CUPTI or this library lost.
 *
 * A runtime elapsed read's own driver read is not sent (it would count
 * the window twice).  The
 * library keeps one file-static state (CUPTI's buffer callbacks carry no
 * user pointer, STYLE.md A1), guarded by a mutex; lines are gathered in a
 * buffer and sent when it fills, when CUPTI hands back a buffer (at least
 * every OBS_FLUSH_MS) and at exit.  A process forked from an observed one
 * sends nothing of its parent's (pthread_atfork).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cuda.h>
#include <cupti.h>

#include "run/observe_wire.h"

#define OBS_EXPORT __attribute__((visibility("default")))
#define OBS_BUF_SIZE (8u << 20)   /* one CUPTI activity buffer */
#define OBS_OUT_SIZE (256u << 10) /* lines gathered before a send */
#define OBS_FLUSH_MS 200          /* CUPTI hands buffers back this often */
#define OBS_NCBID 2048            /* callback ids classified (both domains) */

enum { C_UNKNOWN = 0, C_SKIP, C_KEEP, C_RECORD, C_WAIT, C_ELAPSED };

static struct {
	pthread_mutex_t lock;
	int fd, on;
	pid_t pid;
	CUpti_SubscriberHandle sub;
	char out[OBS_OUT_SIZE];
	size_t nout;
	uint64_t dropped_cupti, dropped_lines;
	unsigned char cls[2][OBS_NCBID];
} obs = { .lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1 };

/* Runtime calls in progress on this thread: their driver calls are theirs. */
static __thread int in_runtime;

static int64_t tid(void)
{
	return (int64_t)syscall(SYS_gettid);
}

static int64_t now(void)
{
	uint64_t t = 0;
	return cuptiGetTimestamp(&t) == CUPTI_SUCCESS ? (int64_t)t : 0;
}

/* Called with the lock held. */
static void send_out(void)
{
	if (obs.nout && obs.fd >= 0 && obs.pid == getpid() &&
	    observe_wire_send(obs.fd, obs.out, obs.nout) < 0) {
		close(obs.fd); /* the supervisor is gone: stop, never disturb the process */
		obs.fd = -1;
	}
	obs.nout = 0;
}

static void emit(struct observe_line *l)
{
	size_t n = observe_line_end(l);
	pthread_mutex_lock(&obs.lock);
	if (!n) {
		obs.dropped_lines++;
	} else {
		if (obs.nout + n > sizeof obs.out)
			send_out();
		memcpy(obs.out + obs.nout, l->buf, n);
		obs.nout += n;
	}
	pthread_mutex_unlock(&obs.lock);
}

/* ---- API callbacks -------------------------------------------------------- */

static int has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* What to do with a callback: decided once per (domain, cbid) by name. */
static int classify(int dom, const char *name)
{
	static const char *const record[] = { "cudaEventRecord", "cuEventRecord", NULL };
	static const char *const wait[] = { "cudaStreamWaitEvent", "cuStreamWaitEvent", NULL };
	static const char *const elapsed[] = { "cudaEventElapsedTime", "cuEventElapsedTime", NULL };
	static const char *const keep[] = { "Launch", "Memcpy", "Memset", "Synchronize",
					    "StreamCreate", "EventQuery", "StreamQuery", NULL };
	(void)dom;
	if (!name)
		return C_SKIP;
	for (int i = 0; record[i]; i++)
		if (has_prefix(name, record[i]))
			return C_RECORD;
	for (int i = 0; wait[i]; i++)
		if (has_prefix(name, wait[i]))
			return C_WAIT;
	for (int i = 0; elapsed[i]; i++)
		if (has_prefix(name, elapsed[i]))
			return C_ELAPSED;
	for (int i = 0; keep[i]; i++)
		if (strstr(name, keep[i]))
			return C_KEEP;
	return C_SKIP;
}

/* CUPTI's stream id for a handle (the id activity records carry). */
static int64_t stream_id(CUcontext ctx, CUstream s, int ptsz)
{
	uint32_t id = 0;
	if (s == CU_STREAM_LEGACY) {
		s = NULL;
		ptsz = 0;
	} else if (s == CU_STREAM_PER_THREAD) {
		s = NULL;
		ptsz = 1;
	}
	if (!ctx || cuptiGetStreamIdEx(ctx, s, (uint8_t)ptsz, &id) != CUPTI_SUCCESS)
		return -1;
	return id;
}

static int is_ptsz(const char *name)
{
	return strstr(name, "_ptsz") != NULL;
}

/* Event and stream of an event record or a stream wait.  Every variant's
 * parameter struct starts with (event, stream) or (stream, event): spelled
 * out per family so a reader can check each against the CUDA headers. */
static void event_args(int dom, int cls, const CUpti_CallbackData *cb, int64_t *event,
		       int64_t *stream)
{
	const void *p = cb->functionParams;
	int ptsz = is_ptsz(cb->functionName);
	CUevent ev = NULL;
	CUstream st = NULL;
	if (!p)
		return;
	if (dom == CUPTI_CB_DOMAIN_RUNTIME_API) {
		if (cls == C_RECORD) { /* cudaEventRecord(event, stream[, flags]) */
			const cudaEventRecordWithFlags_v11010_params *q = p;
			ev = (CUevent)q->event;
			st = (CUstream)q->stream;
		} else { /* cudaStreamWaitEvent(stream, event[, flags]) */
			const cudaStreamWaitEvent_v3020_params *q = p;
			ev = (CUevent)q->event;
			st = (CUstream)q->stream;
		}
	} else {
		if (cls == C_RECORD) { /* cuEventRecord(hEvent, hStream[, flags]) */
			const cuEventRecordWithFlags_params *q = p;
			ev = q->hEvent;
			st = q->hStream;
		} else { /* cuStreamWaitEvent(hStream, hEvent, flags) */
			const cuStreamWaitEvent_params *q = p;
			ev = q->hEvent;
			st = q->hStream;
		}
	}
	*event = (int64_t)(uintptr_t)ev;
	*stream = stream_id(cb->context, st, ptsz);
}

static int64_t result_of(int dom, const CUpti_CallbackData *cb)
{
	if (!cb->functionReturnValue)
		return -1;
	return dom == CUPTI_CB_DOMAIN_RUNTIME_API ? (int64_t)*(const cudaError_t *)cb->functionReturnValue
						  : (int64_t)*(const CUresult *)cb->functionReturnValue;
}

static void send_elapsed(int dom, const CUpti_CallbackData *cb, int64_t t0, int64_t t1)
{
	/* (float *ms, start, end) in every variant, runtime and driver. */
	const cudaEventElapsedTime_v12080_params *q = cb->functionParams;
	char buf[1024];
	struct observe_line l;
	int64_t rc = result_of(dom, cb);
	observe_line_begin(&l, buf, sizeof buf, "elapsed");
	observe_line_str(&l, "name", cb->functionName);
	observe_line_int(&l, "pid", obs.pid);
	observe_line_int(&l, "thread", tid());
	observe_line_int(&l, "start", t0);
	observe_line_int(&l, "end", t1);
	observe_line_int(&l, "corr", cb->correlationId);
	observe_line_int(&l, "start_event", q ? (int64_t)(uintptr_t)q->start : 0);
	observe_line_int(&l, "stop_event", q ? (int64_t)(uintptr_t)q->end : 0);
	/* *ms is what the harness reads: only a successful call wrote it. */
	if (rc == 0 && q && q->ms)
		observe_line_real(&l, "ms", (double)*q->ms);
	observe_line_int(&l, "result", rc);
	emit(&l);
}

static void CUPTIAPI on_api(void *userdata, CUpti_CallbackDomain dom, CUpti_CallbackId id,
			    const void *data)
{
	const CUpti_CallbackData *cb = data;
	(void)userdata;
	if ((dom != CUPTI_CB_DOMAIN_RUNTIME_API && dom != CUPTI_CB_DOMAIN_DRIVER_API) || !obs.on)
		return;
	int d = dom == CUPTI_CB_DOMAIN_RUNTIME_API ? 0 : 1;
	if (cb->callbackSite == CUPTI_API_ENTER) {
		if (d == 0)
			in_runtime++;
		if (cb->correlationData)
			*cb->correlationData = (uint64_t)now();
		return;
	}
	if (d == 0 && in_runtime > 0)
		in_runtime--;
	int cls = id < OBS_NCBID ? obs.cls[d][id] : C_UNKNOWN;
	if (cls == C_UNKNOWN) {
		cls = classify(dom, cb->functionName);
		if (id < OBS_NCBID)
			obs.cls[d][id] = (unsigned char)cls;
	}
	/* A runtime read's own driver read would count the window twice.
	 * Other nested driver calls are sent: which of the two correlation
	 * ids CUPTI gives the activity is not the library's to guess. */
	if (cls == C_SKIP || (cls == C_ELAPSED && d == 1 && in_runtime > 0))
		return;
	int64_t t0 = cb->correlationData ? (int64_t)*cb->correlationData : 0, t1 = now();
	if (cls == C_ELAPSED) {
		send_elapsed(dom, cb, t0, t1);
		return;
	}
	int64_t event = -1, stream = -1;
	if (cls == C_RECORD || cls == C_WAIT)
		event_args(dom, cls, cb, &event, &stream);
	char buf[1024];
	struct observe_line l;
	observe_line_begin(&l, buf, sizeof buf, "api");
	observe_line_str(&l, "name", cb->functionName);
	observe_line_int(&l, "thread", tid());
	observe_line_int(&l, "start", t0);
	observe_line_int(&l, "end", t1 >= t0 ? t1 : t0);
	observe_line_int(&l, "corr", cb->correlationId);
	if (stream >= 0)
		observe_line_int(&l, "stream", stream);
	if (event > 0)
		observe_line_int(&l, "event", event);
	observe_line_int(&l, "pid", obs.pid);
	observe_line_int(&l, "result", result_of(dom, cb));
	emit(&l);
}

/* ---- activity buffers ------------------------------------------------------ */

static void CUPTIAPI buf_requested(uint8_t **buf, size_t *size, size_t *max_records)
{
	*buf = aligned_alloc(8, OBS_BUF_SIZE); /* NULL: CUPTI drops and counts */
	*size = *buf ? OBS_BUF_SIZE : 0;
	*max_records = 0;
}

static void work_common(struct observe_line *l, uint32_t stream, uint64_t start, uint64_t end,
			uint32_t corr, uint32_t graph)
{
	observe_line_int(l, "stream", stream);
	observe_line_int(l, "start", (int64_t)start);
	observe_line_int(l, "end", (int64_t)end);
	observe_line_int(l, "corr", corr);
	observe_line_int(l, "pid", obs.pid);
	if (graph)
		observe_line_int(l, "graph", graph);
}

static const char *copy_kind(uint8_t k)
{
	switch (k) {
	case CUPTI_ACTIVITY_MEMCPY_KIND_HTOD: return "HtoD";
	case CUPTI_ACTIVITY_MEMCPY_KIND_DTOH: return "DtoH";
	case CUPTI_ACTIVITY_MEMCPY_KIND_DTOD: return "DtoD";
	case CUPTI_ACTIVITY_MEMCPY_KIND_HTOH: return "HtoH";
	case CUPTI_ACTIVITY_MEMCPY_KIND_PTOP: return "PtoP";
	default: return "other";
	}
}

/* One activity record as a line; 0 when it is not one kaudit sends or it is
 * incomplete (a forced flush hands over work without both timestamps:
 * counted as dropped, trace-incomplete says so). */
static size_t activity_line(const CUpti_Activity *a, struct observe_line *l, char *buf,
			    size_t cap)
{
	switch (a->kind) {
	case CUPTI_ACTIVITY_KIND_KERNEL:
	case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL: {
		const CUpti_ActivityKernel10 *k = (const CUpti_ActivityKernel10 *)a;
		if (!k->start || !k->end || k->end < k->start)
			return (size_t)-1;
		observe_line_begin(l, buf, cap, "kernel");
		observe_line_str(l, "name", k->name ? k->name : "unknown");
		work_common(l, k->streamId, k->start, k->end, k->correlationId, k->graphId);
		observe_line_int(l, "device", k->deviceId);
		return observe_line_end(l);
	}
	case CUPTI_ACTIVITY_KIND_MEMCPY: {
		const CUpti_ActivityMemcpy6 *m = (const CUpti_ActivityMemcpy6 *)a;
		if (!m->start || !m->end || m->end < m->start)
			return (size_t)-1;
		observe_line_begin(l, buf, cap, "memcpy");
		observe_line_str(l, "kind", copy_kind(m->copyKind));
		observe_line_int(l, "bytes", (int64_t)m->bytes);
		work_common(l, m->streamId, m->start, m->end, m->correlationId, m->graphId);
		return observe_line_end(l);
	}
	case CUPTI_ACTIVITY_KIND_MEMSET: {
		const CUpti_ActivityMemset4 *m = (const CUpti_ActivityMemset4 *)a;
		if (!m->start || !m->end || m->end < m->start)
			return (size_t)-1;
		observe_line_begin(l, buf, cap, "memset");
		observe_line_int(l, "bytes", (int64_t)m->bytes);
		observe_line_int(l, "value", m->value);
		work_common(l, m->streamId, m->start, m->end, m->correlationId, m->graphId);
		return observe_line_end(l);
	}
	case CUPTI_ACTIVITY_KIND_CUDA_EVENT: {
		const CUpti_ActivityCudaEvent2 *v = (const CUpti_ActivityCudaEvent2 *)a;
		observe_line_begin(l, buf, cap, "event");
		observe_line_int(l, "event", v->eventId); /* CUPTI's id; the api record has the handle */
		observe_line_int(l, "stream", v->streamId);
		if (v->deviceTimestamp)
			observe_line_int(l, "ts", (int64_t)v->deviceTimestamp);
		observe_line_int(l, "corr", v->correlationId);
		observe_line_int(l, "pid", obs.pid);
		return observe_line_end(l);
	}
	default:
		return 0;
	}
}

static void CUPTIAPI buf_completed(CUcontext ctx, uint32_t stream, uint8_t *buf, size_t size,
				   size_t valid)
{
	CUpti_Activity *a = NULL;
	char line[OBSERVE_LINE_MAX];
	uint64_t incomplete = 0;
	(void)size;
	while (valid && cuptiActivityGetNextRecord(buf, valid, &a) == CUPTI_SUCCESS) {
		struct observe_line l;
		size_t n = activity_line(a, &l, line, sizeof line);
		if (n == (size_t)-1) {
			incomplete++;
			continue;
		}
		if (n == 0) {
			if (l.bad)
				incomplete++;
			continue;
		}
		pthread_mutex_lock(&obs.lock);
		if (obs.nout + n > sizeof obs.out)
			send_out();
		memcpy(obs.out + obs.nout, line, n);
		obs.nout += n;
		pthread_mutex_unlock(&obs.lock);
	}
	size_t dropped = 0;
	if (cuptiActivityGetNumDroppedRecords(ctx, stream, &dropped) != CUPTI_SUCCESS)
		dropped = 0;
	pthread_mutex_lock(&obs.lock);
	obs.dropped_cupti += dropped + incomplete;
	send_out();
	pthread_mutex_unlock(&obs.lock);
	free(buf);
}

/* ---- lifecycle ------------------------------------------------------------- */

static void send_dropped(void)
{
	char buf[256];
	struct observe_line l;
	pthread_mutex_lock(&obs.lock);
	uint64_t c = obs.dropped_cupti, x = obs.dropped_lines;
	obs.dropped_cupti = obs.dropped_lines = 0;
	pthread_mutex_unlock(&obs.lock);
	if (c) {
		observe_line_begin(&l, buf, sizeof buf, "dropped");
		observe_line_int(&l, "count", (int64_t)c);
		observe_line_str(&l, "source", "cupti");
		emit(&l);
	}
	if (x) {
		observe_line_begin(&l, buf, sizeof buf, "dropped");
		observe_line_int(&l, "count", (int64_t)x);
		observe_line_str(&l, "source", "observe");
		emit(&l);
	}
}

static void at_exit(void)
{
	if (obs.pid != getpid() || !obs.on)
		return;
	/* Whatever the GPU finished is handed over; what it did not is counted. */
	(void)cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
	send_dropped();
	pthread_mutex_lock(&obs.lock);
	send_out();
	obs.on = 0;
	pthread_mutex_unlock(&obs.lock);
}

static void after_fork_child(void)
{
	/* The child's CUDA is unusable and the records buffered are the
	 * parent's: drop them and the connection (credentials name the parent). */
	obs.nout = 0;
	obs.on = 0;
	if (obs.fd >= 0)
		close(obs.fd);
	obs.fd = -1;
	pthread_mutex_init(&obs.lock, NULL);
}

static void send_process(int subscribed, const char *message)
{
	char buf[8192], exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = '\0';
	uint32_t ver = 0;
	char vs[32] = "";
	if (cuptiGetVersion(&ver) == CUPTI_SUCCESS)
		snprintf(vs, sizeof vs, "%u", ver);
	struct observe_line l;
	observe_line_begin(&l, buf, sizeof buf, "process");
	observe_line_int(&l, "pid", obs.pid);
	observe_line_int(&l, "ppid", getppid());
	observe_line_str(&l, "exe", exe);
	observe_line_bool(&l, "subscribed", subscribed);
	observe_line_str(&l, "message", message);
	if (vs[0])
		observe_line_str(&l, "cupti", vs);
	observe_line_int(&l, "ts", now());
	emit(&l);
	pthread_mutex_lock(&obs.lock);
	send_out();
	pthread_mutex_unlock(&obs.lock);
}

static const CUpti_ActivityKind kinds[] = {
	CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL, CUPTI_ACTIVITY_KIND_MEMCPY,
	CUPTI_ACTIVITY_KIND_MEMSET, CUPTI_ACTIVITY_KIND_CUDA_EVENT,
};

OBS_EXPORT int InitializeInjection(void);
int InitializeInjection(void)
{
	if (obs.fd >= 0)
		return 1; /* called once per process */
	obs.pid = getpid();
	obs.fd = observe_wire_connect();
	if (obs.fd < 0)
		return 1; /* not under kaudit observe: do nothing */
	const char *why = NULL;
	char msg[256];
	CUptiResult rc = cuptiSubscribe(&obs.sub, on_api, NULL);
	if (rc != CUPTI_SUCCESS) {
		if (cuptiGetResultString(rc, &why) != CUPTI_SUCCESS || !why)
			why = "unknown CUPTI error";
		snprintf(msg, sizeof msg, "cuptiSubscribe: %s%s", why,
			 rc == CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED
			 ? " (another CUPTI subscriber holds this process: PyTorch's profiler, "
			   "nsys, ncu)" : "");
		send_process(0, msg);
		return 1;
	}
	(void)cuptiSetThreadIdType(CUPTI_ACTIVITY_THREAD_ID_TYPE_SYSTEM);
	int ok = cuptiActivityRegisterCallbacks(buf_requested, buf_completed) == CUPTI_SUCCESS;
	(void)cuptiActivityEnableCudaEventDeviceTimestamps(1);
	for (size_t i = 0; ok && i < sizeof kinds / sizeof kinds[0]; i++)
		ok = cuptiActivityEnable(kinds[i]) == CUPTI_SUCCESS;
	ok = ok && cuptiEnableDomain(1, obs.sub, CUPTI_CB_DOMAIN_RUNTIME_API) == CUPTI_SUCCESS &&
	     cuptiEnableDomain(1, obs.sub, CUPTI_CB_DOMAIN_DRIVER_API) == CUPTI_SUCCESS;
	if (!ok) {
		(void)cuptiUnsubscribe(obs.sub);
		send_process(0, "CUPTI refused to enable activity or callbacks");
		return 1;
	}
	(void)cuptiActivityFlushPeriod(OBS_FLUSH_MS);
	obs.on = 1;
	pthread_atfork(NULL, NULL, after_fork_child);
	atexit(at_exit);
	send_process(1, NULL);
	return 1;
}
