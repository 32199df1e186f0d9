/*
 * gpu_backend.c - struct backend (src/audit/backend.h) on CUDA + CUPTI:
 * guarded buffers, the device helpers, loading implementations, and
 * invoke(), which runs one implementation call on the harness stream and
 * collects what the GPU did.
 *
 * Every helper runs on the one harness stream (non-blocking, so it never
 * synchronises with the legacy default stream an implementation might
 * misuse), bracketed by gpu_collect_harness_begin/end so the collector
 * never reports the harness's own work as the implementation's.
 */
#include <dlfcn.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime_api.h>

#include "audit/backend.h"
#include "gpu/gpu.h"

/* Each buffer's guard zones (audit/backend.h). */
#define GUARD_BYTES BACKEND_GUARD_BYTES
/* The canary the guard zones hold (bytes A5 C3 E1 1B: unlikely data). */
#define CANARY 0x1BE1C3A5u
/* Most implementations a worker loads (a case has two). */
#define MAX_IMPLS 16

struct backend_buf {
	unsigned char *base;  /* guard + bytes + guard */
	size_t bytes;
};

typedef int (*entry_fn)(const kaudit_launch *l);

struct backend_impl {
	void *handle;
	entry_fn fn;
};

struct gpu {
	int device;
	cudaStream_t stream;
	cudaEvent_t ev_start, ev_stop;
	unsigned long long *d_counter;
	struct gpu_cmp_partial *d_partials;
	void *flush_buf;
	size_t flush_bytes;
	uint32_t flush_salt;
	struct backend_impl *impls[MAX_IMPLS];
	int nimpls;
};

int gpu_cuda_fail(struct errbuf *e, const char *call, cudaError_t rc)
{
	int code = EXIT_BAD_INPUT;
	switch (rc) {
	case cudaErrorNoDevice:
	case cudaErrorInsufficientDriver:
	case cudaErrorInitializationError:
	case cudaErrorSystemDriverMismatch:
	case cudaErrorCompatNotSupportedOnDevice:
	case cudaErrorDevicesUnavailable:
	case cudaErrorInvalidDevice:
	case cudaErrorNotPermitted:
	case cudaErrorStubLibrary:
	case cudaErrorDeviceUninitialized:
		code = EXIT_ENVIRONMENT;
		break;
	default:
		break;
	}
	return errbuf_set(e, code, "%s: %s: %s", call, cudaGetErrorName(rc),
			  cudaGetErrorString(rc));
}

/* Ends a helper: waits for its work on the harness stream, closes the
 * harness bracket, and turns the first error into E. */
static int helper_end(struct gpu *g, const char *what, cudaError_t rc, struct errbuf *e)
{
	if (rc == cudaSuccess)
		rc = cudaStreamSynchronize(g->stream);
	gpu_collect_harness_end();
	if (rc != cudaSuccess)
		return gpu_cuda_fail(e, what, rc);
	return 0;
}

/* Zeroes the device counter, runs nothing, and reads it back after WHAT's
 * kernels (enqueued by the caller between the two) have run. */
static cudaError_t counter_zero(struct gpu *g)
{
	return cudaMemsetAsync(g->d_counter, 0, sizeof *g->d_counter, g->stream);
}

static cudaError_t counter_read(struct gpu *g, uint64_t *out)
{
	unsigned long long h = 0;
	cudaError_t rc = cudaMemcpyAsync(&h, g->d_counter, sizeof h, cudaMemcpyDeviceToHost,
					 g->stream);
	if (rc == cudaSuccess)
		rc = cudaStreamSynchronize(g->stream);
	*out = h;
	return rc;
}

static void *g_data(struct backend_buf *b)
{
	return b->base + GUARD_BYTES;
}

static int g_alloc(void *self, size_t bytes, struct backend_buf **out, struct errbuf *e)
{
	struct gpu *g = self;
	if (bytes > SIZE_MAX - 2 * GUARD_BYTES)
		return errbuf_set(e, EXIT_BAD_INPUT, "buffer of %zu bytes is too large", bytes);
	size_t total = bytes + 2 * GUARD_BYTES;
	struct backend_buf *b = xcalloc(1, sizeof *b);
	b->bytes = bytes;
	gpu_collect_harness_begin(NULL);
	cudaError_t rc = cudaMalloc((void **)&b->base, total);
	if (rc != cudaSuccess) {
		size_t free_b = 0, total_b = 0;
		gpu_collect_harness_end();
		free(b);
		if (rc == cudaErrorMemoryAllocation && cudaMemGetInfo(&free_b, &total_b) == cudaSuccess)
			return errbuf_set(e, EXIT_BAD_INPUT,
					  "cudaMalloc: a buffer of %zu bytes (plus guards) does not fit "
					  "in free device memory (%zu of %zu bytes free)",
					  bytes, free_b, total_b);
		return gpu_cuda_fail(e, "cudaMalloc", rc);
	}
	/* Guards hold the canary; the data starts zeroed, so nothing left by a
	 * previous allocation can pass for an answer. */
	rc = gpu_k_fill(b->base, GUARD_BYTES, CANARY, g->stream);
	if (rc == cudaSuccess)
		rc = gpu_k_fill(b->base + GUARD_BYTES + bytes, GUARD_BYTES, CANARY, g->stream);
	if (rc == cudaSuccess && bytes)
		rc = cudaMemsetAsync(b->base + GUARD_BYTES, 0, bytes, g->stream);
	if (helper_end(g, "alloc: guard fill", rc, e) < 0) {
		(void)cudaFree(b->base);
		free(b);
		return -1;
	}
	*out = b;
	return 0;
}

static void g_release(void *self, struct backend_buf *b)
{
	struct gpu *g = self;
	if (!b)
		return;
	gpu_collect_harness_begin(NULL);
	(void)cudaStreamSynchronize(g->stream);
	(void)cudaFree(b->base);
	gpu_collect_harness_end();
	free(b);
}

/* Refuses element counts that run past the buffer. */
static int check_extent(const struct backend_buf *b, uint64_t count, size_t size,
			const char *what, struct errbuf *e)
{
	if (size && count > b->bytes / size)
		return errbuf_set(e, EXIT_BAD_INPUT,
				  "%s: %llu elements of %zu bytes exceed the %zu-byte buffer", what,
				  (unsigned long long)count, size, b->bytes);
	return 0;
}

static int g_generate(void *self, struct backend_buf *b, int dtype, uint64_t count,
		      const struct claim_init *init, uint64_t seed, struct errbuf *e)
{
	struct gpu *g = self;
	size_t size = claim_dtype_size(dtype);
	if (!size)
		return errbuf_set(e, EXIT_BAD_INPUT, "generate: unknown dtype %d", dtype);
	if (check_extent(b, count, size, "generate", e) < 0)
		return -1;
	struct claim_init def = { CLAIM_INIT_DEFAULT, 0, 0 };
	if (!init)
		init = &def;
	gpu_collect_harness_begin(NULL);
	cudaError_t rc = gpu_k_generate(g_data(b), dtype, count, (int)init->dist, init->a,
					 init->b, seed, g->stream);
	return helper_end(g, "generate", rc, e);
}

static int g_poison(void *self, struct backend_buf *b, uint32_t pattern, struct errbuf *e)
{
	struct gpu *g = self;
	gpu_collect_harness_begin(NULL);
	cudaError_t rc = gpu_k_fill(g_data(b), b->bytes, pattern, g->stream);
	return helper_end(g, "poison", rc, e);
}

static int g_count_poison(void *self, struct backend_buf *b, size_t elem_size, uint64_t count,
			  uint32_t pattern, uint64_t *hits, struct errbuf *e)
{
	struct gpu *g = self;
	if (!elem_size || check_extent(b, count, elem_size, "count_poison", e) < 0)
		return elem_size ? -1 : errbuf_set(e, EXIT_BAD_INPUT, "count_poison: element size 0");
	gpu_collect_harness_begin(NULL);
	cudaError_t rc = counter_zero(g);
	if (rc == cudaSuccess)
		rc = gpu_k_count_fill_elems(g_data(b), elem_size, count, pattern, g->d_counter,
					    g->stream);
	if (rc == cudaSuccess)
		rc = counter_read(g, hits);
	return helper_end(g, "count_poison", rc, e);
}

static int g_guard_damage(void *self, struct backend_buf *b, uint64_t *bad, struct errbuf *e)
{
	struct gpu *g = self;
	gpu_collect_harness_begin(NULL);
	cudaError_t rc = counter_zero(g);
	if (rc == cudaSuccess)
		rc = gpu_k_count_fill_bytes(b->base, GUARD_BYTES, CANARY, g->d_counter, g->stream);
	if (rc == cudaSuccess)
		rc = gpu_k_count_fill_bytes(b->base + GUARD_BYTES + b->bytes, GUARD_BYTES, CANARY,
					    g->d_counter, g->stream);
	if (rc == cudaSuccess)
		rc = counter_read(g, bad);
	return helper_end(g, "guard_damage", rc, e);
}

static int g_copy(void *self, struct backend_buf *dst, struct backend_buf *src, size_t bytes,
		  struct errbuf *e)
{
	struct gpu *g = self;
	if (check_extent(dst, bytes, 1, "copy", e) < 0 || check_extent(src, bytes, 1, "copy", e) < 0)
		return -1;
	gpu_collect_harness_begin(NULL);
	cudaError_t rc = bytes ? cudaMemcpyAsync(g_data(dst), g_data(src), bytes,
						 cudaMemcpyDeviceToDevice, g->stream)
			       : cudaSuccess;
	return helper_end(g, "copy", rc, e);
}

/* From pageable host memory: the copy is staged, then the stream is
 * synchronised (helper_end), so SRC may be freed on return. */
static int g_upload(void *self, struct backend_buf *dst, const void *src, size_t bytes,
		    struct errbuf *e)
{
	struct gpu *g = self;
	if (check_extent(dst, bytes, 1, "upload", e) < 0)
		return -1;
	gpu_collect_harness_begin(NULL);
	cudaError_t rc = bytes ? cudaMemcpyAsync(g_data(dst), src, bytes, cudaMemcpyHostToDevice,
						 g->stream)
			       : cudaSuccess;
	return helper_end(g, "upload", rc, e);
}

static int g_diff_bytes(void *self, struct backend_buf *a, struct backend_buf *b, size_t bytes,
			uint64_t *ndiff, struct errbuf *e)
{
	struct gpu *g = self;
	if (check_extent(a, bytes, 1, "diff_bytes", e) < 0 ||
	    check_extent(b, bytes, 1, "diff_bytes", e) < 0)
		return -1;
	gpu_collect_harness_begin(NULL);
	cudaError_t rc = counter_zero(g);
	if (rc == cudaSuccess)
		rc = gpu_k_diff_bytes(g_data(a), g_data(b), bytes, g->d_counter, g->stream);
	if (rc == cudaSuccess)
		rc = counter_read(g, ndiff);
	return helper_end(g, "diff_bytes", rc, e);
}

static int g_compare(void *self, struct backend_buf *cand, struct backend_buf *ref, int dtype,
		     uint64_t count, double rtol, double atol, struct compare_stats *out,
		     struct errbuf *e)
{
	struct gpu *g = self;
	size_t size = claim_dtype_size(dtype);
	if (!size)
		return errbuf_set(e, EXIT_BAD_INPUT, "compare: unknown dtype %d", dtype);
	if (check_extent(cand, count, size, "compare", e) < 0 ||
	    check_extent(ref, count, size, "compare", e) < 0)
		return -1;
	struct gpu_cmp_partial p;
	memset(&p, 0, sizeof p);
	gpu_collect_harness_begin(NULL);
	cudaError_t rc = gpu_k_compare(g_data(cand), g_data(ref), dtype, count, rtol, atol,
				       g->d_partials, g->stream);
	if (rc == cudaSuccess)
		rc = cudaMemcpyAsync(&p, &g->d_partials[GPU_CMP_BLOCKS], sizeof p,
				     cudaMemcpyDeviceToHost, g->stream);
	if (helper_end(g, "compare", rc, e) < 0)
		return -1;
	out->count = p.count;
	out->mismatches = p.mismatches;
	out->max_abs = p.max_abs;
	out->max_rel = p.max_rel;
	if (p.sum_r2 > 0)
		out->rel_l2 = sqrt(p.sum_d2 / p.sum_r2);
	else
		out->rel_l2 = p.sum_d2 > 0 ? INFINITY : 0.0;
	/* With no non-NaN reference element these stay inf, -inf, 0 (as the
	 * host double reports them). */
	out->ref_min = p.ref_min;
	out->ref_max = p.ref_max;
	out->ref_absmax = p.ref_absmax;
	return 0;
}

static int g_flush_l2(void *self, struct errbuf *e)
{
	struct gpu *g = self;
	gpu_collect_harness_begin(NULL);
	cudaError_t rc = gpu_k_flush(g->flush_buf, g->flush_bytes, ++g->flush_salt, g->stream);
	return helper_end(g, "flush_l2", rc, e);
}

static int g_load(void *self, const char *so, const char *entry, struct backend_impl **out,
		  struct errbuf *e)
{
	struct gpu *g = self;
	if (g->nimpls == MAX_IMPLS)
		return errbuf_set(e, EXIT_BAD_INPUT, "load: more than %d implementations", MAX_IMPLS);
	/* RTLD_NODELETE: dlclose() never unmaps an implementation.  A thread
	 * it left running (the deferred-launch cheat) would otherwise execute
	 * unmapped code, and the CUDA module its kernels live in would be
	 * unregistered under it, when the worker closes the backend. */
	void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!h)
		return errbuf_set(e, EXIT_BAD_INPUT, "cannot load '%s': %s", so, dlerror());
	void *sym = dlsym(h, entry);
	if (!sym) {
		errbuf_set(e, EXIT_BAD_INPUT, "'%s' has no entry point '%s'", so, entry);
		dlclose(h);
		return -1;
	}
	struct backend_impl *impl = xcalloc(1, sizeof *impl);
	impl->handle = h;
	/* POSIX guarantees a function's address survives the round trip. */
	memcpy(&impl->fn, &sym, sizeof impl->fn);
	g->impls[g->nimpls++] = impl;
	*out = impl;
	return 0;
}

static int g_adopt(void *self, const char *name, int (*launcher)(const kaudit_launch *l),
		   struct backend_impl **out, struct errbuf *e)
{
	struct gpu *g = self;
	if (g->nimpls == MAX_IMPLS)
		return errbuf_set(e, EXIT_BAD_INPUT, "adopt %s: more than %d implementations",
				  name, MAX_IMPLS);
	struct backend_impl *impl = xcalloc(1, sizeof *impl);
	impl->fn = launcher; /* no handle: nothing to close */
	g->impls[g->nimpls++] = impl;
	*out = impl;
	return 0;
}

/* Records what failed in R (the call's failure, not the backend's). */
static void note_failure(struct invoke_result *r, const char *what, cudaError_t rc)
{
	if (r->failed)
		return;
	r->failed = 1;
	snprintf(r->error, sizeof r->error, "%s: %s: %s", what, cudaGetErrorName(rc),
		 cudaGetErrorString(rc));
}

static int g_invoke(void *self, struct backend_impl *impl, kaudit_launch *l,
		    const struct invoke_opts *o, const struct record_sink *sink,
		    struct invoke_result *r, struct errbuf *e)
{
	struct gpu *g = self;
	cudaError_t rc;
	memset(r, 0, sizeof *r);
	r->event_ns = NAN;
	r->window_start = r->window_end = REC_NONE;
	r->span_start = r->span_end = REC_NONE;
	if (gpu_collect_enable(o->traced, e) < 0)
		return -1;
	l->stream = (struct CUstream_st *)g->stream;
	if (o->traced)
		gpu_collect_begin_call(o);

	int64_t host_start = REC_NONE, host_end;
	if (o->timed) {
		host_start = gpu_collect_now();
		gpu_collect_harness_begin("start");
		rc = cudaEventRecord(g->ev_start, g->stream);
		gpu_collect_harness_end();
		if (rc != cudaSuccess)
			note_failure(r, "cudaEventRecord(start)", rc);
	}
	if (!r->failed) {
		gpu_collect_entry_enter();
		r->entry_rc = impl->fn(l);
		gpu_collect_entry_exit();
	}
	if (o->timed && !r->failed) {
		gpu_collect_harness_begin("stop");
		rc = cudaEventRecord(g->ev_stop, g->stream);
		gpu_collect_harness_end();
		if (rc != cudaSuccess)
			note_failure(r, "cudaEventRecord(stop)", rc);
	}
	/* The stream first (the timed work), then the whole device, so work
	 * that escaped to other streams has finished before we look. */
	gpu_collect_harness_begin(NULL);
	rc = cudaStreamSynchronize(g->stream);
	if (rc != cudaSuccess)
		note_failure(r, "cudaStreamSynchronize", rc);
	rc = cudaDeviceSynchronize();
	if (rc != cudaSuccess)
		note_failure(r, "cudaDeviceSynchronize", rc);
	rc = cudaGetLastError();
	if (rc != cudaSuccess)
		note_failure(r, "launch", rc);
	if (o->timed && !r->failed) {
		float ms = 0;
		rc = cudaEventElapsedTime(&ms, g->ev_start, g->ev_stop);
		if (rc != cudaSuccess)
			note_failure(r, "cudaEventElapsedTime", rc);
		else
			r->event_ns = (double)ms * 1e6;
	}
	gpu_collect_harness_end();
	host_end = gpu_collect_now();

	if (o->traced) {
		if (gpu_collect_drain(sink, r, e) < 0)
			return -1;
		/* Without CUPTI's device timestamps of the events, the host
		 * clock brackets the window from outside (tests/gpu/FACTS.md). */
		if (o->timed && r->window_clock != WINDOW_CLOCK_DEVICE) {
			/* Both from the host, never one of each (gpu_attrib.c
			 * keeps a device window only when both ends have one). */
			r->window_start = host_start;
			r->window_end = host_end;
			r->window_clock = host_start != REC_NONE && host_end != REC_NONE
						  ? WINDOW_CLOCK_HOST : WINDOW_CLOCK_NONE;
			if (r->window_clock == WINDOW_CLOCK_NONE)
				r->window_start = r->window_end = REC_NONE;
		}
	}
	return 0;
}

static void g_close(void *self)
{
	struct gpu *g = self;
	if (!g)
		return;
	(void)cudaDeviceSynchronize();
	gpu_collect_close();
	for (int i = 0; i < g->nimpls; i++) {
		if (g->impls[i]->handle)
			dlclose(g->impls[i]->handle);
		free(g->impls[i]);
	}
	if (g->flush_buf)
		(void)cudaFree(g->flush_buf);
	if (g->d_partials)
		(void)cudaFree(g->d_partials);
	if (g->d_counter)
		(void)cudaFree(g->d_counter);
	if (g->ev_start)
		(void)cudaEventDestroy(g->ev_start);
	if (g->ev_stop)
		(void)cudaEventDestroy(g->ev_stop);
	if (g->stream)
		(void)cudaStreamDestroy(g->stream);
	free(g);
}

static int g_mem_info(void *self, size_t *free_bytes, size_t *total_bytes, struct errbuf *e)
{
	(void)self;
	cudaError_t rc = cudaMemGetInfo(free_bytes, total_bytes);
	return rc == cudaSuccess ? 0 : gpu_cuda_fail(e, "cudaMemGetInfo", rc);
}

static int g_environment(void *self, const struct record_sink *sink, struct errbuf *e)
{
	struct gpu *g = self;
	gpu_collect_harness_begin(NULL);
	int rc = gpu_env_emit(g->device, sink, e);
	gpu_collect_harness_end();
	return rc;
}

/* Picks the device and creates its context. */
static int setup_device(int device, struct errbuf *e)
{
	int n = 0;
	cudaError_t rc = cudaGetDeviceCount(&n);
	if (rc != cudaSuccess) /* no driver lands here, quickly */
		return errbuf_set(e, EXIT_ENVIRONMENT, "no usable CUDA device or driver: "
				  "cudaGetDeviceCount: %s: %s", cudaGetErrorName(rc),
				  cudaGetErrorString(rc));
	if (n == 0)
		return errbuf_set(e, EXIT_ENVIRONMENT, "no CUDA device");
	if (device < 0 || device >= n)
		return errbuf_set(e, EXIT_ENVIRONMENT, "CUDA device %d does not exist (%d found)",
				  device, n);
	if ((rc = cudaSetDevice(device)) != cudaSuccess)
		return gpu_cuda_fail(e, "cudaSetDevice", rc);
	if ((rc = cudaFree(NULL)) != cudaSuccess) /* creates the context now */
		return gpu_cuda_fail(e, "cudaFree(NULL)", rc);
	return 0;
}

/* The harness's stream, events and scratch, created after the collector
 * opened (kaudit_gpu_backend_open): CUPTI is then attached when the start
 * and stop events are created, so their CUDA_EVENT records cannot depend
 * on whether CUPTI reports events that predate it (FACTS.md Q8), and the
 * stream-creation callback gives the harness stream's CUPTI ID.  Inside a
 * harness bracket: none of it is the first call's. */
static int setup_harness(struct gpu *g, int device, struct errbuf *e)
{
	int l2 = 0;
	cudaError_t rc;
	if ((rc = cudaStreamCreateWithFlags(&g->stream, cudaStreamNonBlocking)) != cudaSuccess)
		return gpu_cuda_fail(e, "cudaStreamCreateWithFlags", rc);
	if ((rc = cudaEventCreate(&g->ev_start)) != cudaSuccess ||
	    (rc = cudaEventCreate(&g->ev_stop)) != cudaSuccess)
		return gpu_cuda_fail(e, "cudaEventCreate", rc);
	if ((rc = cudaMalloc((void **)&g->d_counter, sizeof *g->d_counter)) != cudaSuccess ||
	    (rc = cudaMalloc((void **)&g->d_partials,
			     (GPU_CMP_BLOCKS + 1) * sizeof *g->d_partials)) != cudaSuccess)
		return gpu_cuda_fail(e, "cudaMalloc(scratch)", rc);
	if ((rc = cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, device)) != cudaSuccess)
		return gpu_cuda_fail(e, "cudaDeviceGetAttribute(L2CacheSize)", rc);
	/* Three times L2 (at least 2x is required; the margin covers L2
	 * partitions that hash unevenly), and never less than 16 MiB. */
	g->flush_bytes = (size_t)l2 * 3;
	if (g->flush_bytes < ((size_t)16 << 20))
		g->flush_bytes = (size_t)16 << 20;
	if ((rc = cudaMalloc(&g->flush_buf, g->flush_bytes)) != cudaSuccess)
		return gpu_cuda_fail(e, "cudaMalloc(L2 flush buffer)", rc);
	return 0;
}

/* The plugin's one exported symbol (everything else is built hidden). */
extern int kaudit_gpu_backend_open(struct backend *out, int device, struct errbuf *e)
	__attribute__((visibility("default")));

int kaudit_gpu_backend_open(struct backend *out, int device, struct errbuf *e)
{
	struct gpu *g = xcalloc(1, sizeof *g);
	g->device = device;
	int rc = setup_device(device, e);
	if (rc == 0)
		rc = gpu_collect_open(e);
	if (rc == 0) {
		gpu_collect_harness_begin(NULL);
		rc = setup_harness(g, device, e);
		gpu_collect_harness_end();
	}
	if (rc < 0) {
		int code = e ? e->code : EXIT_ENVIRONMENT;
		g_close(g);
		if (e)
			e->code = code;
		return -1;
	}
	memset(out, 0, sizeof *out);
	out->self = g;
	out->environment = g_environment;
	out->load = g_load;
	out->adopt = g_adopt;
	out->alloc = g_alloc;
	out->release = g_release;
	out->data = g_data;
	out->generate = g_generate;
	out->poison = g_poison;
	out->count_poison = g_count_poison;
	out->guard_damage = g_guard_damage;
	out->copy = g_copy;
	out->upload = g_upload;
	out->diff_bytes = g_diff_bytes;
	out->compare = g_compare;
	out->invoke = g_invoke;
	out->flush_l2 = g_flush_l2;
	out->close = g_close;
	out->mem_info = g_mem_info;
	return 0;
}
