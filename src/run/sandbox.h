/*
 * sandbox.h - what a process that will run claimant code does to itself
 * before it does (DESIGN section 10, kaudit(1) SECURITY).
 *
 * sandbox_apply() is called by the spawn primitive (run_spawn.c) in the
 * child, after fork and before exec, so the exec'd image (a worker, the
 * entry check, nvcc) starts confined and can never undo it.  It applies,
 * in order, and reports each layer separately:
 *
 *   no_new_privs  PR_SET_NO_NEW_PRIVS (setuid binaries gain nothing)
 *   seccomp       a libseccomp filter: no ptrace, process_vm_readv/writev,
 *                 no signals outside the process's own group, no
 *                 setsid/setpgid, no AF_INET/AF_INET6/AF_PACKET sockets, no
 *                 mount/unshare/setns/keyctl/bpf/io_uring..., each EPERM;
 *                 clone3 ENOSYS (glibc falls back to clone, whose namespace
 *                 flags are refused); a syscall of another ABI (i386, x32,
 *                 AArch32) kills the process.  The caller must already
 *                 lead its own process group: "its group" is the pid it
 *                 has when it calls this, and descendants inherit that
 *   landlock      read (and execute) only beneath policy->read, read and
 *                 write only beneath policy->write; where the kernel's ABI
 *                 has them, TCP bind/connect refused and signals scoped to
 *                 the sandbox.  Every filesystem right the running ABI
 *                 knows is handled, ioctl on devices included (ABI 5), so
 *                 a device that must be opened O_RDWR and ioctl'd
 *                 (/dev/nvidia*) belongs in policy->write
 *
 * A layer the kernel refuses (no Landlock under gVisor, an old kernel) is
 * not fatal: it is reported, the trace records it and the detectors raise
 * `sandbox-degraded`.  Nothing runs silently unprotected.
 *
 * Safe to call in a child forked from a single-threaded parent (it may
 * allocate).  Does not print.
 */
#ifndef KAUDIT_SANDBOX_H
#define KAUDIT_SANDBOX_H

#include <stddef.h>

#include "trace/record.h"

enum sandbox_layer {
	SANDBOX_NO_NEW_PRIVS,
	SANDBOX_SECCOMP,
	SANDBOX_LANDLOCK,
	SANDBOX_NLAYERS
};

/* Paths are absolute; a path that does not exist is skipped (and counted
 * in the report), never an error: a machine without /dev/nvidia-uvm is
 * not a reason to run unconfined.  A path may name a directory (the rule
 * covers everything beneath it) or a single file. */
struct sandbox_policy {
	const char *const *read;   /* read + execute beneath each */
	size_t nread;
	const char *const *write;  /* read + write (+ execute) beneath each */
	size_t nwrite;
};

#define SANDBOX_WHY_LEN 160

struct sandbox_report {
	int applied[SANDBOX_NLAYERS];            /* 1 in force, 0 refused */
	char why[SANDBOX_NLAYERS][SANDBOX_WHY_LEN]; /* refused: what the kernel said */
	int landlock_abi;                        /* 0: no Landlock */
	int signals_scoped;                      /* Landlock signal scoping in force */
	int net_restricted;                      /* Landlock TCP rules in force */
	int skipped_paths;                       /* policy paths that did not exist
						  * or took no rule (pseudo fs):
						  * left inaccessible */
};

/* Applies POLICY to the calling process; fills *R.  Returns 0 when every
 * layer is in force, 1 when some were refused (R says which), -1 only
 * when the process is no longer in a known state and must not go on to
 * run claimant code (the caller _exits): today only a NULL POLICY or R,
 * or a count without its array, since every layer is installed by the
 * kernel all at once or not at all. */
int sandbox_apply(const struct sandbox_policy *policy, struct sandbox_report *r);

/* The descriptor on which sandbox_apply() leaves the second Landlock
 * layer, for the exec'd process to finish and apply. */
#define SANDBOX_PROC_FD 63

/* Called by an exec'd confined process before it runs anything else: the
 * second Landlock layer, which keeps /proc to the process's own directory
 * (the first layer, applied before exec, cannot name it).  0 (also when
 * no layer was prepared), or -1 when it could not be applied: the caller
 * must not go on. */
int sandbox_narrow_proc(void);

/* "no_new_privs", "seccomp", "landlock". */
const char *sandbox_layer_name(enum sandbox_layer l);

/* The `sandbox` record of R for process PROCESS ("worker", "entry-check",
 * "nvcc", "probe") of case CASE_INDEX (REC_NONE: not a case's):
 * record_init'ed here, owned by the caller. */
void sandbox_report_record(const struct sandbox_report *r, const char *process,
			   int64_t case_index, struct record *out);

#endif
