/*
 * host_plugin.c - a "GPU plugin" for end-to-end tests without a GPU.
 *
 * Loaded by `kaudit __worker` through $KAUDIT_GPU_LIB like libkaudit-gpu.so,
 * it returns the host test double (tests/unit/host_backend.c) with `load`
 * dlopen'ing the claim's implementations: plain C launchers built with
 * `cc -shared`, whose buffer pointers are host memory.  Timings come from
 * the double's fake clock (ENTRY_cost_ns, see host_backend.h), never from
 * the host CPU.  Core symbols (record_*, errbuf_set, xmalloc...) resolve
 * from the kaudit executable (-rdynamic).  Used by tests/sh/verify_host.sh.
 */
#include "audit/backend.h"
#include "host_backend.h"

int kaudit_gpu_backend_open(struct backend *out, int device, struct errbuf *e);

int kaudit_gpu_backend_open(struct backend *out, int device, struct errbuf *e)
{
	if (device != 0)
		return errbuf_set(e, EXIT_ENVIRONMENT, "no device %d (the host double has one)",
				  device);
	host_backend_open_dl(out);
	return 0;
}
