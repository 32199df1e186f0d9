// events_harness.cu - a small CUDA benchmark harness for `kaudit observe`
// on a GPU (tests/gpu/observe_step): it times a ~250 us kernel with a pair
// of CUDA events the way benchmark scripts do, honestly or not, and prints
// the number it measured.  kaudit never changes it; it only watches.
//
//   events_harness MODE [ITERS]
//     honest   events and kernel on one stream
//     side     events on the legacy default stream, the kernel on a
//              non-blocking side stream, never joined (pytorch/helion#2994)
//     joined   the same, joined back with an event before the stop event
//     graph    a CUDA graph captured on a side stream, replayed there, timed
//              by events on the default stream (flashinfer-bench#427)
//     driver   honest, but the kernel is launched with cuLaunchKernel, as
//              Triton launches
//     nosync   the stop event is read without being synchronised
//     parent   runs "honest", then itself as a child process in "side" mode
// Build: nvcc -O2 -o events_harness events_harness.cu -lcuda
#include <cuda.h>
#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { \
	fprintf(stderr, "%s: %s\n", #x, cudaGetErrorString(e_)); exit(1); } } while (0)

__global__ void spin(float *x, long long cycles)
{
	long long t0 = clock64();
	float v = x[threadIdx.x];
	while (clock64() - t0 < cycles)
		v = v * 0.999f + 0.001f;
	x[threadIdx.x] = v;
}

static long long cycles_for_us(double us)
{
	int khz = 0;
	CK(cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, 0));
	return (long long)(us * khz / 1000.0);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "honest";
	int iters = argc > 2 ? atoi(argv[2]) : 20;
	if (strcmp(mode, "parent") == 0) {
		char *h[] = { argv[0], (char *)"honest", argv[2] ? argv[2] : (char *)"20", NULL };
		char *s[] = { argv[0], (char *)"side", argv[2] ? argv[2] : (char *)"20", NULL };
		pid_t p = fork();
		if (p == 0) { execv(argv[0], h); _exit(127); }
		int st;
		waitpid(p, &st, 0);
		p = fork();
		if (p == 0) { execv(argv[0], s); _exit(127); }
		waitpid(p, &st, 0);
		return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
	}
	float *x;
	CK(cudaMalloc(&x, 1024 * sizeof(float)));
	CK(cudaMemset(x, 0, 1024 * sizeof(float)));
	long long cyc = cycles_for_us(250);
	cudaStream_t side, timed = 0;
	CK(cudaStreamCreateWithFlags(&side, cudaStreamNonBlocking));
	if (strcmp(mode, "honest") == 0 || strcmp(mode, "driver") == 0 || strcmp(mode, "nosync") == 0)
		timed = side; /* everything on one stream */
	cudaEvent_t a, b, j;
	CK(cudaEventCreate(&a));
	CK(cudaEventCreate(&b));
	CK(cudaEventCreateWithFlags(&j, cudaEventDisableTiming));
	cudaGraphExec_t exec = NULL;
	if (strcmp(mode, "graph") == 0) {
		cudaGraph_t g;
		CK(cudaStreamBeginCapture(side, cudaStreamCaptureModeThreadLocal));
		spin<<<1, 32, 0, side>>>(x, cyc);
		CK(cudaStreamEndCapture(side, &g));
		CK(cudaGraphInstantiate(&exec, g, 0));
	}
	CUfunction f = NULL;
	if (strcmp(mode, "driver") == 0)
		CK(cudaGetFuncBySymbol((cudaFunction_t *)&f, (const void *)spin));
	double total = 0;
	for (int i = 0; i < iters; i++) {
		CK(cudaEventRecord(a, timed));
		if (strcmp(mode, "graph") == 0) {
			CK(cudaGraphLaunch(exec, side));
		} else if (strcmp(mode, "driver") == 0) {
			void *args[] = { &x, &cyc };
			if (cuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 0, (CUstream)timed, args, NULL) != CUDA_SUCCESS) {
				fprintf(stderr, "cuLaunchKernel failed\n");
				return 1;
			}
		} else if (strcmp(mode, "honest") == 0 || strcmp(mode, "nosync") == 0) {
			spin<<<1, 32, 0, timed>>>(x, cyc);
		} else {
			spin<<<1, 32, 0, side>>>(x, cyc);
			if (strcmp(mode, "joined") == 0) {
				CK(cudaEventRecord(j, side));
				CK(cudaStreamWaitEvent(timed, j, 0));
			}
		}
		CK(cudaEventRecord(b, timed));
		float ms = 0;
		if (strcmp(mode, "nosync") == 0) {
			cudaError_t e = cudaEventElapsedTime(&ms, a, b); /* not ready, most likely */
			if (e == cudaErrorNotReady) {
				(void)cudaGetLastError();
				CK(cudaDeviceSynchronize());
				continue;
			}
			CK(e);
		} else {
			CK(cudaEventSynchronize(b));
			CK(cudaEventElapsedTime(&ms, a, b));
		}
		total += ms;
	}
	CK(cudaDeviceSynchronize());
	printf("%s: %.4f ms per iteration (the kernel spins ~0.25 ms)\n", mode, total / iters);
	return 0;
}
