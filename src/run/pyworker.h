/*
 * pyworker.h - the worker of a case with a Python implementation
 * (kaudit-claim(5), PYTHON IMPLEMENTATIONS; DESIGN section 3).
 *
 * Such a worker is the Python interpreter, exec'd fresh and confined like
 * any worker, running src/python/kaudit_bridge.py.  The bridge loads
 * libkaudit-pyworker.so (this code and the core, nothing else exported)
 * with ctypes and calls kaudit_py_serve() with its hooks.  From there on
 * it is the ordinary worker: plan on stdin, the GPU plugin, the audit
 * protocol in C, records on the hidden channel.  The only difference is
 * how an implementation is loaded: for a Python side the plan names
 * "python:baseline" or "python:candidate" instead of a shared object, and
 * the protocol adopts the launcher the bridge's prepare hook returns (a
 * ctypes callback with the KAUDIT_ENTRY signature), calling it exactly
 * where it would call a compiled entry.
 */
#ifndef KAUDIT_PYWORKER_H
#define KAUDIT_PYWORKER_H

#include <stddef.h>
#include <stdint.h>

#include "kaudit/launcher.h"
#include "run/wire.h"

/* What a plan names instead of a shared object for a Python side. */
#define RUN_PY_PREFIX "python:"
/* An entry-check plan whose object is this prefix and a KernelBench
 * problem file asks the bridge to describe it (kaudit import). */
#define RUN_PY_DESCRIBE_PREFIX "kernelbench:"

typedef int (*run_py_launcher)(const kaudit_launch *l);

/* The bridge's hooks (ctypes callbacks; the layout is the bridge's too). */
struct run_py_hooks {
	/* Imports FILE, resolves ENTRY, builds the callable (an nn.Module
	 * subclass is constructed from get_init_inputs() of INIT, or of FILE,
	 * under SEED), and returns its launcher; ROLES holds one letter per
	 * buffer ('i' in, 'o' out), HOST_MEMORY says whether buffer data are
	 * host pointers.  NULL: failed, the message (a traceback's tail) in ERR. */
	run_py_launcher (*prepare)(int side, const char *file, const char *entry,
				   const char *init, uint64_t seed, const char *roles,
				   int host_memory, char *err, size_t cap);
	/* Imports FILE and resolves ENTRY; prints what it imported with
	 * (interpreter, torch, triton, CUDA versions; inline sources) on
	 * stdout.  0, or an exit code with the message in ERR. */
	int (*check)(const char *file, const char *entry, char *err, size_t cap);
	/* Runs the KernelBench problem FILE once (seed 0) and prints one JSON
	 * object on stdout: inputs and outputs (shape, dtype, value range),
	 * forward's argument names, integer constants.  Like check. */
	int (*describe)(const char *file, char *err, size_t cap);
	/* Imports the problem FILE (once per process) and runs get_inputs()
	 * under torch.manual_seed(SEED); of what it returns, item ITEMS[i]
	 * must be a tensor of dtype DTYPES[i] (enum kaudit_dtype) and shape
	 * SHAPES[i] (NDIMS[i] extents), and its bytes go to DST[i], for i < N.
	 * 0, or an exit code with the message in ERR. */
	int (*inputs)(const char *file, uint64_t seed, int n, const int *items,
		      const int *dtypes, const int *ndims, const int64_t *const *shapes,
		      void *const *dst, char *err, size_t cap);
};

struct run_plan;
/* The worker of mode --inputs: every input set of the plan's case from
 * the problem file's get_inputs() into the plan's inputs_path (layout:
 * audit_get_inputs_layout, sets in slot order). */
__attribute__((visibility("hidden")))
int run_py_inputs(const struct run_plan *p, const struct run_py_hooks *h, struct errbuf *e);

/* Serves the worker of mode M with the Python hooks H (run_worker_serve's
 * contract otherwise). */
int run_worker_serve_py(enum run_mode m, const struct run_py_hooks *h, struct errbuf *e);

/* Installs the Python loading around B for case plan P of claim kernel K:
 * B's load and invoke are wrapped (one case per worker process). */
__attribute__((visibility("hidden")))
void run_py_wrap_backend(struct backend *b, const struct run_py_hooks *h,
			 const struct claim_kernel *k, uint64_t seed);

/* The bridge's entry point (exported by libkaudit-pyworker.so): MODE is
 * a worker flag (--case, --check-entry); returns the worker's exit
 * status, its failure already printed on stderr. */
int kaudit_py_serve(const char *mode, const struct run_py_hooks *h);
/* Called by a launcher just before it returns nonzero: the call failed
 * in WHERE ("python": it raised; "output": what it returned), MSG says
 * how (kept to its last bytes). */
void kaudit_py_fail(const char *where, const char *msg);
/* The poison pattern of the output of the call under way: the bridge
 * fills every allocation the implementation makes during the call with it
 * (libkaudit-poison.so on the host double, the pluggable CUDA allocator on
 * the GPU), so an output it never wrote is counted unwritten even when its
 * allocator recycled a block that held the answer. */
uint32_t kaudit_py_pattern(void);

#endif
