/*
 * gpu.h - inside the GPU plugin (libkaudit-gpu.so): the device helpers
 * (gpu_kernels.cu), the CUPTI collector (gpu_collect.c, with gpu_attrib.c,
 * gpu_cupti_args.c and gpu_activity.c) and the CUDA
 * plumbing shared by the backend (gpu_backend.c) and the environment probe
 * (gpu_env.c).  Nothing outside src/gpu/ includes this header; the rest of
 * kaudit sees the plugin only through struct backend (src/audit/backend.h).
 */
#ifndef KAUDIT_GPU_H
#define KAUDIT_GPU_H

#include <stddef.h>
#include <stdint.h>

#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- device helpers (gpu_kernels.cu) -------------------------------------
 * Each enqueues its kernels on S and returns the launch status
 * (cudaSuccess or the error); none synchronizes.  Counters are device
 * memory the caller zeroed; the result is added to it. */

/* Fills COUNT elements of DTYPE (enum kaudit_dtype) with values of DIST
 * (enum claim_dist, parameters A and B) from the counter-based generator of
 * src/util/rng.h: element i is a function of (SEED, i) only.
 *   normal    a + b * rng_normal(seed, i)            (default floats: 0, 1)
 *   uniform   a + (b - a) * rng_uniform(seed, i, 0)
 *   randint   rng_randint(seed, i, a, b)             (default integers: -100, 100)
 *   arange    i
 *   constant  a
 * Every value is computed as a double; integer dtypes get it rounded to
 * nearest even, saturated to the type's range, NaN -> 0; f16/bf16 get it
 * with __double2half/__double2bfloat16 (one rounding, to nearest even) -
 * exactly what the host double (tests/unit/host_backend.c) does. */
int gpu_k_generate(void *dst, int dtype, uint64_t count, int dist, double a,
		   double b, uint64_t seed, cudaStream_t s);

/* Byte j of BYTES at DST becomes byte (j % 4) of the little-endian PATTERN,
 * i.e. the 32-bit PATTERN repeated from DST on. */
int gpu_k_fill(void *dst, size_t bytes, uint32_t pattern, cudaStream_t s);

/* Adds to *COUNTER the number of bytes of SRC that differ from the fill
 * gpu_k_fill(SRC, BYTES, PATTERN) would have left. */
int gpu_k_count_fill_bytes(const void *src, size_t bytes, uint32_t pattern,
			   unsigned long long *counter, cudaStream_t s);

/* Adds to *COUNTER the number of ELEM_SIZE-byte elements (the first COUNT)
 * of SRC whose every byte still equals the PATTERN fill. */
int gpu_k_count_fill_elems(const void *src, size_t elem_size, uint64_t count,
			   uint32_t pattern, unsigned long long *counter,
			   cudaStream_t s);

/* Adds to *COUNTER the number of differing bytes of A and B. */
int gpu_k_diff_bytes(const void *a, const void *b, size_t bytes,
		     unsigned long long *counter, cudaStream_t s);

/* Writes SCRATCH (BYTES) with a value derived from SALT, so every line goes
 * through L2 and evicts what was there. */
int gpu_k_flush(void *scratch, size_t bytes, uint32_t salt, cudaStream_t s);

/* allclose of CAND against REF (COUNT elements of DTYPE), reduced on the
 * device in a fixed order (deterministic sums): PARTIALS is device memory
 * of GPU_CMP_BLOCKS + 1 entries; the result lands in
 * PARTIALS[GPU_CMP_BLOCKS]. */
#define GPU_CMP_BLOCKS 512
struct gpu_cmp_partial {
	unsigned long long count, mismatches;
	double max_abs, max_rel;
	double sum_d2, sum_r2;      /* sum (c-b)^2 and sum b^2 (NaN propagates) */
	double ref_min, ref_max, ref_absmax;
	unsigned long long ref_seen; /* non-NaN reference elements */
};
int gpu_k_compare(const void *cand, const void *ref, int dtype, uint64_t count,
		  double rtol, double atol, struct gpu_cmp_partial *partials,
		  cudaStream_t s);

/* ---- CUPTI collector (gpu_collect.c) --------------------------------------
 * The one file-static collector (CUPTI's buffer callbacks carry no user
 * pointer).  It subscribes to the runtime and driver API callbacks (to tag
 * every correlation ID with the call, the thread and the stream/event
 * arguments), enables activity collection, and turns the activity of each
 * call into records. */
struct record_sink;
struct errbuf;
struct invoke_opts;
struct invoke_result;

/* Subscribes and enables activity; EXIT_ENVIRONMENT when CUPTI is held by
 * another profiler or unavailable. */
int gpu_collect_open(struct errbuf *e);
void gpu_collect_close(void);
/* Turns activity collection and API callbacks on or off (untraced control
 * samples run with CUPTI idle). */
int gpu_collect_enable(int on, struct errbuf *e);

/* The harness's own CUDA calls between harness_begin and harness_end on
 * this thread are never emitted.  ROLE tags the event recorded inside as
 * the "start" or "stop" of a timed window (NULL otherwise). */
void gpu_collect_harness_begin(const char *role);
void gpu_collect_harness_end(void);

/* Brackets one implementation call: begin_call tags everything that follows
 * with O's impl/call/case/phase; entry_enter/entry_exit bracket the entry
 * point itself on this thread (in_call = 1 inside). */
void gpu_collect_begin_call(const struct invoke_opts *o);
void gpu_collect_entry_enter(void);
void gpu_collect_entry_exit(void);

/* Flushes CUPTI, emits every record collected so far to SINK (harness
 * activity dropped, the rest attributed by correlation ID), and fills R's
 * span/kernels/kernel_ns/bytes (the current call's activity on any stream)
 * and window_start/window_end (device timestamps of the start/stop events,
 * when CUPTI provides them). */
int gpu_collect_drain(const struct record_sink *sink, struct invoke_result *r,
		      struct errbuf *e);

/* Whether cuptiActivityEnableCudaEventDeviceTimestamps(1) succeeded at
 * open: without it no window can be on the device clock. */
int gpu_collect_event_device_ts(void);

/* CUPTI's clock (ns), the one every record's timestamps use. */
int64_t gpu_collect_now(void);

/* ---- shared plumbing -------------------------------------------------------- */

/* Fills E with "CALL: NAME: description" for a failed runtime call; the code
 * is EXIT_ENVIRONMENT for no device/driver, EXIT_BAD_INPUT otherwise.
 * Returns -1. */
int gpu_cuda_fail(struct errbuf *e, const char *call, cudaError_t rc);

/* Measures the environment and emits the device record (gpu_env.c). */
int gpu_env_emit(int device, const struct record_sink *sink, struct errbuf *e);

#ifdef __cplusplus
}
#endif

#endif
