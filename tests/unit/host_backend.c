/*
 * host_backend.c - struct backend on the host, for the protocol's unit
 * tests (see host_backend.h).
 */
#include "host_backend.h"

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/rng.h"

struct backend_buf {
	unsigned char *base;  /* guard, data, guard */
	size_t bytes;
};

struct backend_impl {
	const struct host_impl_def *def;
	struct host_impl_state st;
	struct backend_impl *next;
	/* host_backend_open_dl: the dlopen'ed object, its launcher, and the
	 * def (entry name, cost) that DEF points to. */
	void *handle;
	int (*launcher)(const kaudit_launch *l);
	struct host_impl_def dl_def;
	char *dl_entry;
};

struct host {
	const struct host_impl_def *defs; /* NULL: load with dlopen */
	struct backend_impl *impls;
	int64_t clock;        /* fake device time, ns */
	int64_t corr;         /* correlation ids */
	size_t live;
	size_t allocated;     /* bytes of live buffers (mem_info subtracts them) */
	uint64_t flushes;
	size_t mem_free;
};

static int host_environment(void *self, const struct record_sink *sink, struct errbuf *e)
{
	(void)self;
	struct record r;
	record_init(&r, REC_DEVICE);
	r.phase = PHASE_SETUP;
	r.u.device.name = xstrdup("host test double");
	r.u.device.cc = xstrdup("0.0");
	r.u.device.mem_bytes = 1 << 30;
	r.u.device.l2_bytes = 1 << 20;
	r.u.device.peak_bw = 1e11;
	int rc = record_emit(sink, &r);
	record_clear(&r);
	return rc < 0 ? errbuf_set(e, EXIT_NOT_REPRODUCED, "sink failed") : 0;
}

/* The double ENTRY<SUFFIX> exported by HANDLE, or FALLBACK. */
static double dl_double(void *handle, const char *entry, const char *suffix, double fallback)
{
	char name[512];
	if (snprintf(name, sizeof name, "%s%s", entry, suffix) >= (int)sizeof name)
		return fallback;
	const double *v = dlsym(handle, name);
	return v ? *v : fallback;
}

static int host_load_dl(struct host *h, const char *so, const char *entry,
			struct backend_impl **out, struct errbuf *e)
{
	void *handle = dlopen(so, RTLD_NOW | RTLD_LOCAL);
	if (!handle)
		return errbuf_set(e, EXIT_BAD_INPUT, "cannot load '%s': %s", so, dlerror());
	void *sym = dlsym(handle, entry);
	if (!sym) {
		errbuf_set(e, EXIT_BAD_INPUT, "'%s' has no entry point '%s'", so, entry);
		dlclose(handle);
		return -1;
	}
	struct backend_impl *im = xcalloc(1, sizeof *im);
	im->handle = handle;
	memcpy(&im->launcher, &sym, sizeof im->launcher);
	im->dl_entry = xstrdup(entry);
	im->dl_def.entry = im->dl_entry;
	im->dl_def.cost_ns = dl_double(handle, entry, "_cost_ns", HOST_DL_COST_NS);
	im->dl_def.jitter = dl_double(handle, entry, "_jitter", 0);
	im->def = &im->dl_def;
	im->next = h->impls;
	h->impls = im;
	*out = im;
	return 0;
}

static int host_adopt(void *self, const char *name, int (*launcher)(const kaudit_launch *l),
		      struct backend_impl **out, struct errbuf *e)
{
	(void)e;
	struct host *h = self;
	struct backend_impl *im = xcalloc(1, sizeof *im);
	im->launcher = launcher;
	im->dl_entry = xstrdup(name);
	im->dl_def.entry = im->dl_entry;
	im->dl_def.cost_ns = HOST_DL_COST_NS;
	im->def = &im->dl_def;
	im->next = h->impls;
	h->impls = im;
	*out = im;
	return 0;
}

static int host_load(void *self, const char *so, const char *entry,
		     struct backend_impl **out, struct errbuf *e)
{
	struct host *h = self;
	if (!h->defs)
		return host_load_dl(h, so, entry, out, e);
	for (const struct host_impl_def *d = h->defs; d->entry; d++) {
		if (strcmp(d->entry, entry) != 0)
			continue;
		struct backend_impl *im = xcalloc(1, sizeof *im);
		im->def = d;
		im->next = h->impls;
		h->impls = im;
		*out = im;
		return 0;
	}
	return errbuf_set(e, EXIT_NOT_REPRODUCED, "%s: no entry point '%s'", so, entry);
}

static int host_alloc(void *self, size_t bytes, struct backend_buf **out, struct errbuf *e)
{
	struct host *h = self;
	if (bytes > ((size_t)1 << 32))
		return errbuf_set(e, EXIT_NOT_REPRODUCED, "out of memory allocating %zu bytes",
				  bytes);
	struct backend_buf *b = xcalloc(1, sizeof *b);
	b->bytes = bytes;
	/* aligned_alloc wants a size that is a multiple of the alignment. */
	size_t total = (bytes + 2 * HOST_GUARD_BYTES + HOST_BUFFER_ALIGN - 1) /
		       HOST_BUFFER_ALIGN * HOST_BUFFER_ALIGN;
	b->base = aligned_alloc(HOST_BUFFER_ALIGN, total);
	if (!b->base) {
		free(b);
		return errbuf_set(e, EXIT_NOT_REPRODUCED, "out of memory allocating %zu bytes",
				  bytes);
	}
	memset(b->base, HOST_CANARY, HOST_GUARD_BYTES);
	memset(b->base + HOST_GUARD_BYTES, 0, bytes);
	memset(b->base + HOST_GUARD_BYTES + bytes, HOST_CANARY, HOST_GUARD_BYTES);
	h->live++;
	h->allocated += bytes;
	*out = b;
	return 0;
}

static void host_release(void *self, struct backend_buf *b)
{
	struct host *h = self;
	h->live--;
	h->allocated -= b->bytes;
	free(b->base);
	free(b);
}

static void *host_data(struct backend_buf *b)
{
	return b->base + HOST_GUARD_BYTES;
}

/* A binary float of MBITS mantissa bits and exponent bias BIAS (f16: 10,
 * 15; bf16: 7, 127) from a double, rounded once to nearest even, as
 * __double2half and __double2bfloat16 do on the device. */
static uint16_t narrow_float(double v, int mbits, int bias)
{
	uint16_t sign = signbit(v) ? 0x8000u : 0;
	int ebits = 15 - mbits;
	uint16_t inf = (uint16_t)(((1u << ebits) - 1) << mbits);
	if (isnan(v))
		return (uint16_t)(sign | inf | (1u << (mbits - 1)));
	double a = fabs(v);
	if (isinf(a))
		return (uint16_t)(sign | inf);
	if (a < ldexp(1.0, 1 - bias)) /* subnormal: a multiple of 2^(1-bias-mbits) */
		return (uint16_t)(sign | (uint16_t)rint(ldexp(a, bias - 1 + mbits)));
	int ex;
	double f = frexp(a, &ex); /* a = f * 2^ex, f in [0.5, 1) */
	int exp = ex - 1;
	double m = rint(ldexp(f * 2.0 - 1.0, mbits));
	if (m >= ldexp(1.0, mbits)) {
		m = 0;
		exp++;
	}
	if (exp + bias >= (1 << ebits) - 1)
		return (uint16_t)(sign | inf);
	return (uint16_t)(sign | ((unsigned)(exp + bias) << mbits) | (unsigned)m);
}

static double f16_to_double(uint16_t h)
{
	int exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
	double v;
	if (exp == 0)
		v = ldexp(mant, -24);
	else if (exp == 31)
		v = mant ? NAN : INFINITY;
	else
		v = ldexp(mant + 1024, exp - 25);
	return (h & 0x8000) ? -v : v;
}

static double bf16_to_double(uint16_t h)
{
	uint32_t x = (uint32_t)h << 16;
	float f;
	memcpy(&f, &x, 4);
	return f;
}

/* Element I of a generated buffer, as gpu_k_generate makes it: the same
 * rng_init_value, then rounded and saturated for integer dtypes. */
struct gen_value {
	double v;
};

static struct gen_value init_value(const struct claim_init *in, int is_float,
				   uint64_t seed, uint64_t i)
{
	struct gen_value g = { rng_init_value(seed, i, (int)in->dist, in->a, in->b, is_float) };
	return g;
}

#define INT_OF(g, lo, hi) rng_saturate((g).v, (lo), (hi))

static void store(unsigned char *p, int dtype, struct gen_value g)
{
	float f = (float)g.v;
	uint16_t u16;
	switch (dtype) {
	case KAUDIT_F16:
		u16 = narrow_float(g.v, 10, 15);
		memcpy(p, &u16, 2);
		break;
	case KAUDIT_BF16:
		u16 = narrow_float(g.v, 7, 127);
		memcpy(p, &u16, 2);
		break;
	case KAUDIT_F32:
		memcpy(p, &f, 4);
		break;
	case KAUDIT_F64:
		memcpy(p, &g.v, 8);
		break;
	case KAUDIT_I8: { int8_t x = (int8_t)INT_OF(g, -128.0, 127.0); memcpy(p, &x, 1); break; }
	case KAUDIT_U8: { uint8_t x = (uint8_t)INT_OF(g, 0.0, 255.0); memcpy(p, &x, 1); break; }
	case KAUDIT_I16: { int16_t x = (int16_t)INT_OF(g, -32768.0, 32767.0); memcpy(p, &x, 2); break; }
	case KAUDIT_I32: { int32_t x = (int32_t)INT_OF(g, -2147483648.0, 2147483647.0); memcpy(p, &x, 4); break; }
	case KAUDIT_I64: { int64_t x = INT_OF(g, -9223372036854775808.0, 9223372036854774784.0); memcpy(p, &x, 8); break; }
	case KAUDIT_U32: { uint32_t x = (uint32_t)INT_OF(g, 0.0, 4294967295.0); memcpy(p, &x, 4); break; }
	}
}

static double load(const unsigned char *p, int dtype)
{
	switch (dtype) {
	case KAUDIT_F16: { uint16_t x; memcpy(&x, p, 2); return f16_to_double(x); }
	case KAUDIT_BF16: { uint16_t x; memcpy(&x, p, 2); return bf16_to_double(x); }
	case KAUDIT_F32: { float x; memcpy(&x, p, 4); return x; }
	case KAUDIT_F64: { double x; memcpy(&x, p, 8); return x; }
	case KAUDIT_I8: { int8_t x; memcpy(&x, p, 1); return x; }
	case KAUDIT_U8: { uint8_t x; memcpy(&x, p, 1); return x; }
	case KAUDIT_I16: { int16_t x; memcpy(&x, p, 2); return x; }
	case KAUDIT_I32: { int32_t x; memcpy(&x, p, 4); return x; }
	case KAUDIT_I64: { int64_t x; memcpy(&x, p, 8); return (double)x; }
	case KAUDIT_U32: { uint32_t x; memcpy(&x, p, 4); return x; }
	}
	return NAN;
}

static int fits(const struct backend_buf *b, int dtype, uint64_t count, struct errbuf *e)
{
	size_t es = claim_dtype_size(dtype);
	if (es == 0 || count > b->bytes / es)
		return errbuf_set(e, EXIT_NOT_REPRODUCED, "%llu elements of %zu bytes exceed "
				  "a buffer of %zu bytes", (unsigned long long)count, es, b->bytes);
	return 0;
}

static int host_generate(void *self, struct backend_buf *b, int dtype, uint64_t count,
			 const struct claim_init *init, uint64_t seed, struct errbuf *e)
{
	(void)self;
	if (fits(b, dtype, count, e) < 0)
		return -1;
	size_t es = claim_dtype_size(dtype);
	int is_float = claim_dtype_is_float(dtype);
	unsigned char *d = host_data(b);
	for (uint64_t i = 0; i < count; i++)
		store(d + i * es, dtype, init_value(init, is_float, seed, i));
	return 0;
}

static unsigned char pattern_byte(uint32_t pattern, size_t offset)
{
	return (unsigned char)(pattern >> (8 * (offset % 4)));
}

static int host_poison(void *self, struct backend_buf *b, uint32_t pattern, struct errbuf *e)
{
	(void)self;
	(void)e;
	unsigned char *d = host_data(b);
	for (size_t i = 0; i < b->bytes; i++)
		d[i] = pattern_byte(pattern, i);
	return 0;
}

static int host_count_poison(void *self, struct backend_buf *b, size_t elem_size,
			     uint64_t count, uint32_t pattern, uint64_t *hits, struct errbuf *e)
{
	(void)self;
	if (elem_size == 0 || count > b->bytes / elem_size)
		return errbuf_set(e, EXIT_NOT_REPRODUCED, "count_poison: out of range");
	const unsigned char *d = host_data(b);
	uint64_t n = 0;
	for (uint64_t i = 0; i < count; i++) {
		size_t off = i * elem_size, k = 0;
		while (k < elem_size && d[off + k] == pattern_byte(pattern, off + k))
			k++;
		n += k == elem_size;
	}
	*hits = n;
	return 0;
}

static int host_guard_damage(void *self, struct backend_buf *b, uint64_t *bad,
			     struct errbuf *e)
{
	(void)self;
	(void)e;
	uint64_t n = 0;
	const unsigned char *after = b->base + HOST_GUARD_BYTES + b->bytes;
	for (size_t i = 0; i < HOST_GUARD_BYTES; i++)
		n += (b->base[i] != HOST_CANARY) + (after[i] != HOST_CANARY);
	*bad = n;
	return 0;
}

static int host_copy(void *self, struct backend_buf *dst, struct backend_buf *src,
		     size_t bytes, struct errbuf *e)
{
	(void)self;
	if (bytes > dst->bytes || bytes > src->bytes)
		return errbuf_set(e, EXIT_NOT_REPRODUCED, "copy: %zu bytes out of range", bytes);
	memcpy(host_data(dst), host_data(src), bytes);
	return 0;
}

static int host_upload(void *self, struct backend_buf *dst, const void *src, size_t bytes,
		       struct errbuf *e)
{
	(void)self;
	if (bytes > dst->bytes)
		return errbuf_set(e, EXIT_NOT_REPRODUCED, "upload: %zu bytes out of range", bytes);
	memcpy(host_data(dst), src, bytes);
	return 0;
}

static int host_diff_bytes(void *self, struct backend_buf *a, struct backend_buf *b,
			   size_t bytes, uint64_t *ndiff, struct errbuf *e)
{
	(void)self;
	if (bytes > a->bytes || bytes > b->bytes)
		return errbuf_set(e, EXIT_NOT_REPRODUCED, "diff: %zu bytes out of range", bytes);
	const unsigned char *x = host_data(a), *y = host_data(b);
	uint64_t n = 0;
	for (size_t i = 0; i < bytes; i++)
		n += x[i] != y[i];
	*ndiff = n;
	return 0;
}

static int host_compare(void *self, struct backend_buf *cand, struct backend_buf *ref,
			int dtype, uint64_t count, double rtol, double atol,
			struct compare_stats *out, struct errbuf *e)
{
	(void)self;
	if (fits(cand, dtype, count, e) < 0 || fits(ref, dtype, count, e) < 0)
		return -1;
	size_t es = claim_dtype_size(dtype);
	const unsigned char *c = host_data(cand), *r = host_data(ref);
	struct compare_stats st = { .count = count, .ref_min = INFINITY, .ref_max = -INFINITY };
	double diff2 = 0, ref2 = 0;
	for (uint64_t i = 0; i < count; i++) {
		double cv = load(c + i * es, dtype), rv = load(r + i * es, dtype);
		double d = fabs(cv - rv);
		if (!(d <= atol + rtol * fabs(rv))) /* NaN never equal */
			st.mismatches++;
		/* NaN, once seen, stays: it is the worst error there is. */
		if (!isnan(st.max_abs) && (isnan(d) || d > st.max_abs))
			st.max_abs = d;
		if (rv != 0 && !isnan(st.max_rel) && (isnan(d) || d / fabs(rv) > st.max_rel))
			st.max_rel = d / fabs(rv);
		diff2 += d * d;
		ref2 += rv * rv;
		if (rv < st.ref_min)
			st.ref_min = rv;
		if (rv > st.ref_max)
			st.ref_max = rv;
		if (fabs(rv) > st.ref_absmax)
			st.ref_absmax = fabs(rv);
	}
	st.rel_l2 = ref2 > 0 ? sqrt(diff2 / ref2) : (diff2 > 0 ? INFINITY : 0);
	*out = st;
	return 0;
}

static void tag(struct record *r, enum record_type t, const struct invoke_opts *o)
{
	record_init(r, t);
	r->case_index = o->case_index;
	r->phase = o->phase;
	r->impl = o->impl;
	r->call = o->call;
}

/* The synthetic activity of one call: its launch and its kernel. */
static int emit_activity(struct host *h, const struct backend_impl *im,
			 const struct invoke_opts *o, int64_t start, int64_t end,
			 const struct record_sink *sink)
{
	int64_t corr = ++h->corr;
	struct record r;
	tag(&r, REC_API, o);
	r.u.api.name = xstrdup("cudaLaunchKernel");
	r.u.api.thread = 1;
	r.u.api.start = start - 500;
	r.u.api.end = start - 100;
	r.u.api.corr = corr;
	r.u.api.stream = 7;
	r.u.api.in_call = 1;
	int rc = record_emit(sink, &r);
	record_clear(&r);
	if (rc < 0)
		return -1;
	tag(&r, REC_KERNEL, o);
	r.u.kernel.name = xstrdup(im->def->entry);
	r.u.kernel.stream = 7;
	r.u.kernel.start = start;
	r.u.kernel.end = end;
	r.u.kernel.corr = corr;
	r.u.kernel.device = 0;
	rc = record_emit(sink, &r);
	record_clear(&r);
	return rc;
}

static int host_invoke(void *self, struct backend_impl *im, kaudit_launch *l,
		       const struct invoke_opts *o, const struct record_sink *sink,
		       struct invoke_result *r, struct errbuf *e)
{
	struct host *h = self;
	l->stream = (struct CUstream_st *)(uintptr_t)0x7;
	memset(r, 0, sizeof *r);
	r->span_start = r->span_end = REC_NONE;
	im->st.cuda_error = 0;
	r->entry_rc = im->launcher ? im->launcher(l) : im->def->fn(l, &im->st);
	im->st.calls++;
	if (im->st.cuda_error) {
		r->failed = 1;
		snprintf(r->error, sizeof r->error, "an illegal memory access was encountered");
		return 0;
	}
	if (r->entry_rc != 0)
		return 0;
	/* A deterministic clock: the call costs cost_ns, spread by jitter. */
	double u = rng_uniform((uint64_t)(uintptr_t)im->def->cost_ns, (uint64_t)im->st.calls, 0);
	double ns = im->def->cost_ns * (1.0 + im->def->jitter * (u - 0.5));
	int64_t start = h->clock + 1000;
	int64_t end = start + (int64_t)ns;
	h->clock = end + 1000;
	if (o->timed) {
		r->event_ns = (double)(end - start);
		r->window_start = start;
		r->window_end = end;
	}
	if (o->traced) {
		r->span_start = start;
		r->span_end = end;
		r->kernels = 1;
		r->kernel_ns = (double)(end - start);
		r->bytes = 0;
		if (emit_activity(h, im, o, start, end, sink) < 0)
			return errbuf_set(e, EXIT_NOT_REPRODUCED, "sink failed");
	}
	return 0;
}

static int host_flush_l2(void *self, struct errbuf *e)
{
	(void)e;
	((struct host *)self)->flushes++;
	return 0;
}

static int host_mem_info(void *self, size_t *free_bytes, size_t *total_bytes,
			 struct errbuf *e)
{
	(void)e;
	struct host *h = self;
	*free_bytes = h->mem_free > h->allocated ? h->mem_free - h->allocated : 0;
	*total_bytes = h->mem_free;
	return 0;
}

static void host_close(void *self)
{
	struct host *h = self;
	while (h->impls) {
		struct backend_impl *n = h->impls->next;
		free(h->impls->st.saved);
		if (h->impls->handle)
			dlclose(h->impls->handle);
		free(h->impls->dl_entry);
		free(h->impls);
		h->impls = n;
	}
	free(h);
}

void host_backend_open(struct backend *b, const struct host_impl_def *defs)
{
	struct host *h = xcalloc(1, sizeof *h);
	h->defs = defs;
	memset(b, 0, sizeof *b);
	b->self = h;
	b->environment = host_environment;
	b->load = host_load;
	b->alloc = host_alloc;
	b->release = host_release;
	b->data = host_data;
	b->generate = host_generate;
	b->poison = host_poison;
	b->count_poison = host_count_poison;
	b->guard_damage = host_guard_damage;
	b->copy = host_copy;
	b->upload = host_upload;
	b->diff_bytes = host_diff_bytes;
	b->compare = host_compare;
	b->invoke = host_invoke;
	b->flush_l2 = host_flush_l2;
	b->close = host_close;
	b->adopt = host_adopt;
	b->host_memory = 1;
}

void host_backend_open_dl(struct backend *b)
{
	host_backend_open(b, NULL);
}

void host_backend_set_mem(struct backend *b, size_t free_bytes)
{
	((struct host *)b->self)->mem_free = free_bytes;
	b->mem_info = host_mem_info;
}

size_t host_backend_live(const struct backend *b)
{
	return ((const struct host *)b->self)->live;
}

uint64_t host_backend_flushes(const struct backend *b)
{
	return ((const struct host *)b->self)->flushes;
}
