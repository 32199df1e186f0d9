/*
 * gpu_collect.c - the CUPTI collector's lifecycle: subscribing to the API
 * callbacks, the activity buffers, enabling and disabling, and the drain
 * that hands each call's records to the trace.  Which call a record belongs
 * to is decided by gpu_attrib.c (no CUPTI there, unit-tested on the host);
 * the callbacks' arguments are read by gpu_cupti_args.c and the activity
 * records converted by gpu_activity.c.
 *
 * CUPTI's buffer callbacks carry no user pointer, so this file holds the one
 * file-static collector of the plugin (STYLE.md A1).  A mutex guards it: the
 * API callbacks run on any thread the implementation uses and the
 * buffer-completed callback on a CUPTI thread.  No CUPTI call is ever made
 * while holding it: CUPTI may call buf_completed (which takes it) while
 * holding its own locks.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cuda.h>
#include <cupti.h>

#include "audit/backend.h"
#include "gpu/gpu.h"
#include "gpu/gpu_attrib.h"
#include "gpu/gpu_cupti.h"

#define BUF_SIZE (8u << 20)       /* one CUPTI activity buffer */
#define MAX_PENDING (1u << 21)    /* records held between two drains */

static struct {
	pthread_mutex_t lock;
	int open, enabled;
	CUpti_SubscriberHandle sub;
	struct attrib *attr;
	/* converted activity awaiting the next drain */
	struct attrib_pending *pend;
	size_t npend, pend_cap;
	uint64_t dropped_cupti, dropped_cap, dropped_incomplete;
	int event_device_ts;      /* cuptiActivityEnableCudaEventDeviceTimestamps(1) worked */
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

/* ---- API callbacks ------------------------------------------------------- */

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
	int launch = 0;
	if (cb->callbackSite == CUPTI_API_ENTER)
		gpu_cupti_api_args(dom, id, cb, &stream, &event, &launch);
	else
		stream = gpu_cupti_created_stream(dom, id, cb);

	pthread_mutex_lock(&coll.lock);
	/* A callback that was already running when the collector closed (a
	 * thread the implementation left behind, launching while the worker
	 * shuts down) finds the table gone: nothing to tag. */
	if (coll.open && coll.attr) {
		if (cb->callbackSite == CUPTI_API_EXIT)
			attrib_api_exit(coll.attr, cb->correlationId, stream);
		else
			attrib_api_enter(coll.attr, cb->correlationId, tid, stream, event, launch);
	}
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

/* Converts the whole buffer without the lock (cuptiActivityGetNextRecord,
 * the converters' cuptiGetCallbackName and cuptiActivityGetNumDroppedRecords
 * are CUPTI calls), then files the records under it in one go. */
static void CUPTIAPI buf_completed(CUcontext ctx, uint32_t stream, uint8_t *buf, size_t size,
				   size_t valid)
{
	CUpti_Activity *a = NULL;
	struct attrib_pending *local = NULL;
	size_t n = 0, cap = 0, dropped = 0;
	(void)size;
	while (valid && cuptiActivityGetNextRecord(buf, valid, &a) == CUPTI_SUCCESS) {
		struct attrib_pending p;
		memset(&p, 0, sizeof p);
		if (!gpu_activity_convert(a, &p.rec, &p.corr))
			continue;
		if (n == cap)
			xgrow((void **)&local, &cap, n + 1, sizeof *local);
		local[n++] = p;
	}
	if (cuptiActivityGetNumDroppedRecords(ctx, stream, &dropped) != CUPTI_SUCCESS)
		dropped = 0;
	free(buf);

	pthread_mutex_lock(&coll.lock);
	coll.dropped_cupti += dropped;
	for (size_t i = 0; i < n; i++) {
		struct attrib_pending *p = &local[i];
		/* Harness activity is dropped here already, except its timing
		 * events; so is everything once the collector has closed. */
		if (!coll.open || !coll.attr || attrib_is_harness(coll.attr, p->corr, &p->rec)) {
			record_clear(&p->rec);
			continue;
		}
		/* A forced flush hands over records that are not complete yet
		 * (cuptiActivityFlushAll, cupti_activity.h): GPU work without
		 * both timestamps cannot be placed in time, and a trace must
		 * not carry it (start/end are required fields).  Counted as
		 * lost, so trace-incomplete says so. */
		if (attrib_incomplete(&p->rec)) {
			coll.dropped_incomplete++;
			record_clear(&p->rec);
			continue;
		}
		if (coll.npend >= MAX_PENDING) {
			coll.dropped_cap++;
			record_clear(&p->rec);
			continue;
		}
		if (coll.npend == coll.pend_cap)
			xgrow((void **)&coll.pend, &coll.pend_cap, coll.npend + 1, sizeof *coll.pend);
		coll.pend[coll.npend++] = *p;
	}
	pthread_mutex_unlock(&coll.lock);
	free(local);
}

/* ---- lifecycle ----------------------------------------------------------- */

int gpu_collect_enable(int on, struct errbuf *e)
{
	CUptiResult rc;
	const char *kind = NULL;
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
	rc = gpu_activity_enable(on, &kind);
	if (rc != CUPTI_SUCCESS) {
		char what[96];
		snprintf(what, sizeof what, "%s(%s)", on ? "cuptiActivityEnable" : "cuptiActivityDisable",
			 kind ? kind : "?");
		return cupti_fail(e, what, rc);
	}
	coll.enabled = on;
	return 0;
}

/* The activity structs this plugin casts to are those of the CUPTI it was
 * compiled against, and CUPTI writes records in its own version's layout.
 * A libcupti of another toolkit release (another xxyy of CUPTI_API_VERSION,
 * cupti_version.h) or an older update of this one must not be read: it is
 * refused with exit 3, naming the file it came from.  The plugin is linked
 * with DT_RPATH ($ORIGIN first, which LD_LIBRARY_PATH does not override),
 * so only a libcupti already in the process (LD_PRELOAD, an injected
 * tool) can be another. */
static int check_cupti_version(struct errbuf *e)
{
	uint32_t v = 0;
	Dl_info info;
	const char *path = "?";
	if (dladdr((void *)cuptiGetVersion, &info) && info.dli_fname)
		path = info.dli_fname;
	CUptiResult rc = cuptiGetVersion(&v);
	if (rc != CUPTI_SUCCESS)
		return cupti_fail(e, "cuptiGetVersion", rc);
	if (v / 100 != CUPTI_API_VERSION / 100 || v < CUPTI_API_VERSION)
		return errbuf_set(e, EXIT_ENVIRONMENT,
				  "CUPTI API version %u loaded from '%s', but the GPU plugin was "
				  "built for %u: its activity records would be misread; run with "
				  "the libcupti beside the plugin (no LD_PRELOAD of another)",
				  v, path, (unsigned)CUPTI_API_VERSION);
	return 0;
}

int gpu_collect_event_device_ts(void)
{
	return coll.event_device_ts;
}

int gpu_collect_open(struct errbuf *e)
{
	CUptiResult rc;
	if (coll.open)
		return errbuf_set(e, EXIT_ENVIRONMENT, "CUPTI collector already open");
	if (check_cupti_version(e) < 0)
		return -1;
	rc = cuptiSubscribe(&coll.sub, on_api, NULL);
	if (rc != CUPTI_SUCCESS)
		return cupti_fail(e, "cuptiSubscribe", rc);
	pthread_mutex_lock(&coll.lock);
	coll.attr = attrib_new();
	coll.open = 1;
	pthread_mutex_unlock(&coll.lock);
	/* Activity thread ids are then gettid(), like the callbacks'. */
	rc = cuptiSetThreadIdType(CUPTI_ACTIVITY_THREAD_ID_TYPE_SYSTEM);
	if (rc != CUPTI_SUCCESS) {
		cupti_fail(e, "cuptiSetThreadIdType", rc);
		gpu_collect_close();
		return -1;
	}
	rc = cuptiActivityRegisterCallbacks(buf_requested, buf_completed);
	if (rc != CUPTI_SUCCESS) {
		cupti_fail(e, "cuptiActivityRegisterCallbacks", rc);
		gpu_collect_close();
		return -1;
	}
	/* Without it every window is on the host clock (FACTS.md Q1): the
	 * device record says whether it worked (event_device_timestamps), each
	 * sample which clock its window is on (window_clock). */
	coll.event_device_ts = cuptiActivityEnableCudaEventDeviceTimestamps(1) == CUPTI_SUCCESS;
	if (gpu_collect_enable(1, e) < 0) {
		gpu_collect_close();
		return -1;
	}
	return 0;
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
	attrib_free(coll.attr);
	coll.attr = NULL;
	coll.pend = NULL;
	coll.npend = coll.pend_cap = 0;
	coll.dropped_cupti = coll.dropped_cap = coll.dropped_incomplete = 0;
	coll.open = coll.enabled = 0;
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

/* The clock is read outside the lock (a CUPTI call). */
void gpu_collect_harness_begin(const char *role)
{
	pid_t tid = this_tid();
	int64_t now = gpu_collect_now();
	enum attrib_role r = !role ? ATTRIB_NO_ROLE
			     : strcmp(role, "start") == 0 ? ATTRIB_ROLE_START : ATTRIB_ROLE_STOP;
	pthread_mutex_lock(&coll.lock);
	if (coll.attr)
		attrib_harness_begin(coll.attr, tid, now, r);
	pthread_mutex_unlock(&coll.lock);
}

void gpu_collect_harness_end(void)
{
	int64_t now = gpu_collect_now();
	pthread_mutex_lock(&coll.lock);
	if (coll.attr)
		attrib_harness_end(coll.attr, now);
	pthread_mutex_unlock(&coll.lock);
}

void gpu_collect_begin_call(const struct invoke_opts *o)
{
	pthread_mutex_lock(&coll.lock);
	if (coll.attr)
		attrib_begin_call(coll.attr, o);
	pthread_mutex_unlock(&coll.lock);
}

void gpu_collect_entry_enter(void)
{
	pid_t tid = this_tid();
	int64_t now = gpu_collect_now();
	pthread_mutex_lock(&coll.lock);
	if (coll.attr)
		attrib_entry_enter(coll.attr, tid, now);
	pthread_mutex_unlock(&coll.lock);
}

void gpu_collect_entry_exit(void)
{
	int64_t now = gpu_collect_now();
	pthread_mutex_lock(&coll.lock);
	if (coll.attr)
		attrib_entry_exit(coll.attr, now);
	pthread_mutex_unlock(&coll.lock);
}

/* ---- drain ------------------------------------------------------------------ */

static int emit_dropped(const struct record_sink *sink, const struct record *call,
			uint64_t count, const char *source)
{
	struct record r;
	record_init(&r, REC_DROPPED);
	r.impl = call->impl;
	r.call = call->call;
	r.case_index = call->case_index;
	r.phase = call->phase;
	r.u.dropped.count = (int64_t)count;
	r.u.dropped.source = xstrdup(source);
	int rc = record_emit(sink, &r);
	record_clear(&r);
	return rc;
}

int gpu_collect_drain(const struct record_sink *sink, struct invoke_result *res,
		      struct errbuf *e)
{
	/* The flush is a CUPTI call: before the lock.  It runs buf_completed
	 * for every buffer, which files the records under the lock. */
	CUptiResult rc = cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
	if (rc != CUPTI_SUCCESS)
		return cupti_fail(e, "cuptiActivityFlushAll", rc);
	int64_t now = gpu_collect_now();

	/* Attribute under the lock, emit outside it (a slow sink must not
	 * stall the API callbacks of the implementation's threads). */
	struct record call;
	record_init(&call, REC_DROPPED);
	pthread_mutex_lock(&coll.lock);
	struct attrib_pending *pend = coll.pend;
	size_t n = coll.npend;
	uint64_t drop_cupti = coll.dropped_cupti, drop_incomplete = coll.dropped_incomplete;
	uint64_t drop_cap = coll.dropped_cap;
	coll.pend = NULL;
	coll.npend = coll.pend_cap = 0;
	coll.dropped_cupti = coll.dropped_cap = coll.dropped_incomplete = 0;
	if (coll.attr) {
		attrib_drain(coll.attr, pend, n, now, res);
		drop_cap += attrib_take_dropped(coll.attr);
		attrib_current(coll.attr, &call);
	}
	pthread_mutex_unlock(&coll.lock);

	/* After attrib_drain, which set api.stream from the call's arguments. */
	attrib_backfill_streams(pend, n);
	int failed = 0;
	for (size_t i = 0; i < n; i++) {
		if (!failed && pend[i].emit && sink && record_emit(sink, &pend[i].rec) < 0)
			failed = 1;
		record_clear(&pend[i].rec);
	}
	free(pend);

	if (!failed && drop_cupti && sink && emit_dropped(sink, &call, drop_cupti, "cupti") < 0)
		failed = 1;
	if (!failed && drop_cap && sink && emit_dropped(sink, &call, drop_cap, "cap") < 0)
		failed = 1;
	if (!failed && drop_incomplete && sink &&
	    emit_dropped(sink, &call, drop_incomplete, "incomplete") < 0)
		failed = 1;
	record_clear(&call);
	if (failed)
		return errbuf_set(e, EXIT_BAD_INPUT, "cannot emit trace records: the record sink failed");
	return 0;
}
