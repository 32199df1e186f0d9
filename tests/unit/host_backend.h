/*
 * host_backend.h - a host implementation of struct backend for unit tests.
 *
 * Buffers are malloc'ed with guard zones, inputs come from rng.h exactly as
 * the GPU helpers make them, and "implementations" are C functions looked
 * up by entry name instead of dlopen'ed.  Time is a deterministic clock
 * advanced by each implementation's cost, and every traced call emits a
 * synthetic api + kernel record pair, so the timing code has something to
 * measure.  A test double: nothing in src/ may select it.
 *
 * host_backend_open_dl() is the same double with `load` dlopen'ing real
 * implementations: tests/plugins/host_plugin.c returns it as the "GPU"
 * backend so that `kaudit verify` runs end to end without a GPU.
 */
#ifndef KAUDIT_HOST_BACKEND_H
#define KAUDIT_HOST_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "audit/backend.h"

/* Bytes of canary before and after every buffer. */
/* The guard zones, and the alignment of every buffer's data: the GPU
 * backend's data starts 1 MiB (its guard) past a cudaMalloc base, which the
 * CUDA runtime aligns to at least 256 bytes; kaudit-claim(5) promises 256,
 * and this double keeps the promise too. */
#define HOST_GUARD_BYTES 256
#define HOST_BUFFER_ALIGN 256
#define HOST_CANARY 0xcb

/* Per loaded implementation: what a misbehaving one remembers. */
struct host_impl_state {
	int64_t calls;        /* completed calls so far */
	int cuda_error;       /* set by the implementation: the call "faults" */
	void *saved;          /* implementation-owned memory, freed on close */
};

typedef int (*host_impl_fn)(const kaudit_launch *l, struct host_impl_state *st);

struct host_impl_def {
	const char *entry;    /* the manifest's entry name */
	host_impl_fn fn;
	double cost_ns;       /* fake duration of one call */
	double jitter;        /* relative spread of that duration (0: none) */
};

/* Fills B with a host backend whose implementations are DEFS (terminated by
 * an entry whose name is NULL; the table must outlive B). */
void host_backend_open(struct backend *b, const struct host_impl_def *defs);

/* Fills B with a host backend whose `load` dlopens the shared object and
 * looks ENTRY up as a launcher (include/kaudit/launcher.h).  Buffer data
 * pointers are host memory, so a "kernel" is a plain C function built with
 * `cc -shared`.  The fake clock charges each call of ENTRY the double
 * ENTRY_cost_ns the object may export (default HOST_DL_COST_NS), spread by
 * the double ENTRY_jitter (default 0).  Objects stay loaded until close. */
#define HOST_DL_COST_NS 100000.0
void host_backend_open_dl(struct backend *b);

/* Gives the backend a mem_info: FREE_BYTES minus the live allocations
 * (by default the backend has no mem_info). */
void host_backend_set_mem(struct backend *b, size_t free_bytes);

/* Allocations still live (a test asserts the protocol released them all). */
size_t host_backend_live(const struct backend *b);
/* L2 flushes requested so far. */
uint64_t host_backend_flushes(const struct backend *b);

#endif
