/*
 * poison_preload.c - libkaudit-poison.so, preloaded (LD_PRELOAD) into the
 * Python worker on the host double: while the bridge has it armed (during
 * a call of an implementation), every block torch's CPU allocator takes
 * comes out filled with the trial's poison pattern.
 *
 * Why: torch 1.13's CPU allocator (c10::alloc_cpu) takes every tensor's
 * storage from posix_memalign, and glibc hands a freed block back to the
 * next request of its size with its old bytes.  A candidate that returns
 * torch.empty(...) without writing it would then return the block the
 * baseline's output just freed, still holding the right answer: the
 * seed's exploit.  Filled with the pattern kaudit poisoned the output
 * buffer with, such an output is counted unwritten (unwritten-output).
 * On the GPU the same job is done by torch's CUDAPluggableAllocator
 * (kaudit_bridge.py); this file is for CPU torch only.
 *
 * Only posix_memalign, aligned_alloc and memalign are wrapped: plain
 * malloc serves the interpreter's own objects, and calloc must stay zero.
 *
 * One more job, for load_inline: torch builds extensions with ninja, and
 * ninja starts every compiler in a process group of its own
 * (POSIX_SPAWN_SETPGROUP), which the worker's seccomp filter refuses
 * (setpgid: a worker's processes stay in the group kaudit kills).  The
 * preload is inherited by ninja, and there it clears the flag: compilers
 * run in the worker's group, and the build works confined.
 */
#include <dlfcn.h>
#include <spawn.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static volatile int armed;
static volatile uint32_t pattern;

/* Exported for the bridge (ctypes.CDLL(None)). */
void kaudit_poison_arm(uint32_t p);
void kaudit_poison_disarm(void);
int kaudit_poison_active(void);

void kaudit_poison_arm(uint32_t p)
{
	pattern = p;
	armed = 1;
}

void kaudit_poison_disarm(void)
{
	armed = 0;
}

int kaudit_poison_active(void)
{
	return 1;
}

/* Byte I of the fill is byte I % 4 of the pattern, little-endian: what
 * the audit's count of poisoned elements compares against. */
static void fill(void *p, size_t n)
{
	if (!p || !armed)
		return;
	uint32_t v = pattern;
	unsigned char *d = p;
	size_t i = 0;
	for (; i + 4 <= n; i += 4)
		memcpy(d + i, &v, 4);
	for (; i < n; i++)
		d[i] = (unsigned char)(v >> (8 * (i % 4)));
}

int posix_memalign(void **out, size_t align, size_t n)
{
	static int (*real)(void **, size_t, size_t);
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "posix_memalign");
	if (!real)
		return 12; /* ENOMEM */
	int rc = real(out, align, n);
	if (rc == 0)
		fill(*out, n);
	return rc;
}

void *aligned_alloc(size_t align, size_t n)
{
	static void *(*real)(size_t, size_t);
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "aligned_alloc");
	void *p = real ? real(align, n) : NULL;
	fill(p, n);
	return p;
}

void *memalign(size_t align, size_t n)
{
	static void *(*real)(size_t, size_t);
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "memalign");
	void *p = real ? real(align, n) : NULL;
	fill(p, n);
	return p;
}

int posix_spawnattr_setflags(posix_spawnattr_t *attr, short flags)
{
	static int (*real)(posix_spawnattr_t *, short);
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "posix_spawnattr_setflags");
	if (!real)
		return 22; /* EINVAL */
	return real(attr, (short)(flags & ~POSIX_SPAWN_SETPGROUP));
}
