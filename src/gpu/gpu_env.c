/*
 * gpu_env.c - the device record (DESIGN section 5, step 1): what the GPU is,
 * which software drives it, its clocks and throttle state (NVML, loaded with
 * dlopen because GPU nodes may lack it and kaudit must not need it), and the
 * measured device-to-device bandwidth that roofline-violation compares
 * against.
 */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cuda_runtime_api.h>
#include <cupti.h>

#include "audit/backend.h"
#include "gpu/gpu.h"

/* Bandwidth probe: the largest copy is 1 GiB (or a quarter of free memory),
 * best of REPS after one warm-up. */
#define BW_MAX_BYTES ((size_t)1 << 30)
#define BW_REPS 5

/* ---- NVML through dlopen ---------------------------------------------------
 * Only the handful of entry points kaudit reads, declared with the ABI of
 * nvml.h (int return codes, opaque device handle). */
typedef int (*nvml_void_fn)(void);
typedef int (*nvml_handle_fn)(const char *pci_bus_id, void **dev);
typedef int (*nvml_clock_fn)(void *dev, int type, unsigned int *mhz);
typedef int (*nvml_reasons_fn)(void *dev, unsigned long long *reasons);
typedef int (*nvml_ecc_fn)(void *dev, int *current, int *pending);
typedef int (*nvml_mode_fn)(void *dev, int *mode);
typedef int (*nvml_string_fn)(char *buf, unsigned int len);

#define NVML_CLOCK_SM 1
#define NVML_CLOCK_MEM 2

static void *sym(void *h, const char *name)
{
	return h ? dlsym(h, name) : NULL;
}

/* Fills what NVML knows about the device at PCI_BUS_ID; leaves the rest. */
static void nvml_query(const char *pci_bus_id, struct rec_device *d, json_t *extra)
{
	void *h = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		json_object_set_new(extra, "nvml", json_string("unavailable"));
		return;
	}
	nvml_void_fn init = (nvml_void_fn)(uintptr_t)sym(h, "nvmlInit_v2");
	nvml_void_fn shutdown = (nvml_void_fn)(uintptr_t)sym(h, "nvmlShutdown");
	nvml_handle_fn by_pci = (nvml_handle_fn)(uintptr_t)sym(h, "nvmlDeviceGetHandleByPciBusId_v2");
	nvml_clock_fn clock = (nvml_clock_fn)(uintptr_t)sym(h, "nvmlDeviceGetClockInfo");
	nvml_clock_fn max_clock = (nvml_clock_fn)(uintptr_t)sym(h, "nvmlDeviceGetMaxClockInfo");
	nvml_reasons_fn reasons =
		(nvml_reasons_fn)(uintptr_t)sym(h, "nvmlDeviceGetCurrentClocksEventReasons");
	if (!reasons) /* the older name of the same call */
		reasons = (nvml_reasons_fn)(uintptr_t)sym(h, "nvmlDeviceGetCurrentClocksThrottleReasons");
	nvml_ecc_fn ecc = (nvml_ecc_fn)(uintptr_t)sym(h, "nvmlDeviceGetEccMode");
	nvml_mode_fn persistence = (nvml_mode_fn)(uintptr_t)sym(h, "nvmlDeviceGetPersistenceMode");
	nvml_string_fn driver = (nvml_string_fn)(uintptr_t)sym(h, "nvmlSystemGetDriverVersion");
	void *dev = NULL;
	if (!init || !shutdown || !by_pci || init() != 0) {
		json_object_set_new(extra, "nvml", json_string("failed to initialise"));
		dlclose(h);
		return;
	}
	if (by_pci(pci_bus_id, &dev) == 0 && dev) {
		unsigned int mhz;
		unsigned long long r;
		int cur, pend, mode;
		char buf[96];
		if (clock && clock(dev, NVML_CLOCK_SM, &mhz) == 0)
			d->sm_clock_mhz = mhz;
		if (clock && clock(dev, NVML_CLOCK_MEM, &mhz) == 0)
			d->mem_clock_mhz = mhz;
		if (max_clock && max_clock(dev, NVML_CLOCK_SM, &mhz) == 0)
			d->max_sm_clock_mhz = mhz;
		if (reasons && reasons(dev, &r) == 0)
			d->throttle = (int64_t)r;
		if (ecc && ecc(dev, &cur, &pend) == 0)
			d->ecc = cur != 0;
		if (persistence && persistence(dev, &mode) == 0)
			d->persistence = mode != 0;
		if (driver && driver(buf, sizeof buf) == 0)
			json_object_set_new(extra, "driver_release", json_string(buf));
		json_object_set_new(extra, "nvml", json_string("ok"));
	} else {
		json_object_set_new(extra, "nvml", json_string("device not found"));
	}
	shutdown();
	dlclose(h);
}

/* ---- measurements ---------------------------------------------------------- */

/* Best-of device-to-device copy bandwidth in bytes/s (read + write). */
static int measure_bandwidth(double *bw, struct errbuf *e)
{
	size_t free_b = 0, total_b = 0, n;
	void *src = NULL, *dst = NULL;
	cudaStream_t s = NULL;
	cudaEvent_t a = NULL, b = NULL;
	float best = INFINITY;
	cudaError_t rc = cudaMemGetInfo(&free_b, &total_b);
	*bw = NAN;
	if (rc != cudaSuccess)
		return gpu_cuda_fail(e, "cudaMemGetInfo", rc);
	n = free_b / 4 / 2; /* two buffers in a quarter of free memory */
	if (n > BW_MAX_BYTES)
		n = BW_MAX_BYTES;
	n &= ~(size_t)0xfff;
	if (n < ((size_t)1 << 20))
		return 0; /* too little memory to measure: unknown */
	if ((rc = cudaMalloc(&src, n)) != cudaSuccess || (rc = cudaMalloc(&dst, n)) != cudaSuccess)
		goto out;
	if ((rc = cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking)) != cudaSuccess ||
	    (rc = cudaEventCreate(&a)) != cudaSuccess || (rc = cudaEventCreate(&b)) != cudaSuccess)
		goto out;
	if ((rc = cudaMemsetAsync(src, 1, n, s)) != cudaSuccess)
		goto out;
	for (int i = 0; i <= BW_REPS; i++) { /* i == 0: warm-up */
		float ms = 0;
		if ((rc = cudaEventRecord(a, s)) != cudaSuccess ||
		    (rc = cudaMemcpyAsync(dst, src, n, cudaMemcpyDeviceToDevice, s)) != cudaSuccess ||
		    (rc = cudaEventRecord(b, s)) != cudaSuccess ||
		    (rc = cudaEventSynchronize(b)) != cudaSuccess ||
		    (rc = cudaEventElapsedTime(&ms, a, b)) != cudaSuccess)
			goto out;
		if (i > 0 && ms > 0 && ms < best)
			best = ms;
	}
	if (isfinite(best))
		*bw = 2.0 * (double)n / ((double)best * 1e-3);
out:
	if (a)
		(void)cudaEventDestroy(a);
	if (b)
		(void)cudaEventDestroy(b);
	if (s)
		(void)cudaStreamDestroy(s);
	if (src)
		(void)cudaFree(src);
	if (dst)
		(void)cudaFree(dst);
	if (rc != cudaSuccess)
		return gpu_cuda_fail(e, "bandwidth probe", rc);
	return 0;
}

/* FP32 lanes per SM by compute capability (CUDA C Programming Guide,
 * "Arithmetic Instructions"); 0 when not known. */
static int fp32_lanes(int major, int minor)
{
	if (major == 8 && minor == 0)
		return 64;
	if (major == 7 || (major == 6 && minor == 0))
		return 64;
	if (major >= 8)
		return 128;
	return 0;
}

static char *version_string(int v)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%d.%d", v / 1000, (v % 1000) / 10);
	return xstrdup(buf);
}

static void uuid_string(const cudaUUID_t *u, char out[48])
{
	const unsigned char *b = (const unsigned char *)u->bytes;
	snprintf(out, 48,
		 "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

/* Fills D (record_init'ed) from the runtime and CUPTI. */
static int query_device(int device, struct record *r, char pci[32], int *lanes,
			struct errbuf *e)
{
	struct rec_device *d = &r->u.device;
	struct cudaDeviceProp p;
	int v = 0, khz = 0, mem_khz = 0, bus = 0;
	uint32_t cupti_v = 0;
	char buf[64];
	cudaError_t rc = cudaGetDeviceProperties(&p, device);
	if (rc != cudaSuccess)
		return gpu_cuda_fail(e, "cudaGetDeviceProperties", rc);
	d->name = xstrdup(p.name);
	uuid_string(&p.uuid, buf);
	d->uuid = xstrdup(buf);
	snprintf(buf, sizeof buf, "%d.%d", p.major, p.minor);
	d->cc = xstrdup(buf);
	*lanes = fp32_lanes(p.major, p.minor);
	d->sms = p.multiProcessorCount;
	d->mem_bytes = (int64_t)p.totalGlobalMem;
	d->l2_bytes = p.l2CacheSize;
	if (cudaDriverGetVersion(&v) == cudaSuccess)
		d->driver = version_string(v);
	if (cudaRuntimeGetVersion(&v) == cudaSuccess)
		d->runtime = version_string(v);
	if (cuptiGetVersion(&cupti_v) == CUPTI_SUCCESS) {
		snprintf(buf, sizeof buf, "%u", cupti_v);
		d->cupti = xstrdup(buf);
	}
	if (cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, device) == cudaSuccess && khz > 0)
		d->max_sm_clock_mhz = khz / 1000;
	if (cudaDeviceGetAttribute(&mem_khz, cudaDevAttrMemoryClockRate, device) == cudaSuccess &&
	    mem_khz > 0)
		json_object_set_new(d->extra, "max_mem_clock_mhz", json_integer(mem_khz / 1000));
	if (cudaDeviceGetAttribute(&bus, cudaDevAttrGlobalMemoryBusWidth, device) == cudaSuccess)
		json_object_set_new(d->extra, "mem_bus_bits", json_integer(bus));
	if (cudaDeviceGetPCIBusId(pci, 32, device) != cudaSuccess)
		pci[0] = '\0';
	else
		json_object_set_new(d->extra, "pci_bus_id", json_string(pci));
	return 0;
}

int gpu_env_emit(int device, const struct record_sink *sink, struct errbuf *e)
{
	struct record r;
	char pci[32];
	int lanes = 0;
	record_init(&r, REC_DEVICE);
	r.phase = PHASE_SETUP;
	r.u.device.extra = json_object();
	if (query_device(device, &r, pci, &lanes, e) < 0)
		goto fail;
	if (measure_bandwidth(&r.u.device.peak_bw, e) < 0)
		goto fail;
	/* Right after the bandwidth probe, so the clocks and throttle reasons
	 * are those of a loaded GPU, not of an idle one (~345 MHz on an H200
	 * at rest), which is what clock-throttled must judge. */
	if (pci[0])
		nvml_query(pci, &r.u.device, r.u.device.extra);
	json_object_set_new(r.u.device.extra, "event_device_timestamps",
			    json_boolean(gpu_collect_event_device_ts()));
	json_object_set_new(r.u.device.extra, "cupti_api_built", json_integer(CUPTI_API_VERSION));
	/* An upper bound: every FP32 lane retiring an FMA every cycle at the
	 * highest SM clock. */
	if (lanes && r.u.device.max_sm_clock_mhz != REC_NONE && r.u.device.max_sm_clock_mhz > 0)
		r.u.device.peak_flops = (double)r.u.device.sms * (double)r.u.device.max_sm_clock_mhz *
					1e6 * lanes * 2.0;
	if (record_emit(sink, &r) < 0) {
		errbuf_set(e, EXIT_BAD_INPUT, "cannot emit the device record: the record sink failed");
		goto fail;
	}
	record_clear(&r);
	return 0;
fail:
	record_clear(&r);
	return -1;
}
