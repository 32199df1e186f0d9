/*
 * pyworker.c - loading Python implementations inside a worker (pyworker.h).
 *
 * The protocol stays in C and unchanged: this file only wraps the
 * backend's load (a "python:SIDE" object becomes the bridge's launcher,
 * adopted by the backend) and invoke (a launcher that failed says why in
 * Python terms: its exception, or what was wrong with what it returned).
 */
#include "run/pyworker.h"
#include "run/worker.h"

#include <stdio.h>
#include <string.h>

#include "claim/claim.h"

/* One case per worker process, and the backend's functions receive only
 * the backend's own self: the wrap keeps its state here. */
struct py_poisoned {
	void *data;
	uint32_t pattern;
};

static struct py_wrap {
	struct backend inner;
	const struct run_py_hooks *h;
	const struct claim_kernel *k;
	uint64_t seed;
	/* The pattern the protocol last poisoned each buffer with (by data
	 * pointer), and the one of the call under way. */
	struct py_poisoned poisoned[64];
	size_t npoisoned;
	uint32_t pattern;
	char fail_where[16];
	char fail_msg[384];
	int failed;
} W;

void kaudit_py_fail(const char *where, const char *msg)
{
	snprintf(W.fail_where, sizeof W.fail_where, "%s", where ? where : "python");
	size_t n = msg ? strlen(msg) : 0;
	/* A traceback's end names the exception: keep the last bytes. */
	const char *tail = n >= sizeof W.fail_msg ? msg + n - (sizeof W.fail_msg - 1) : msg;
	snprintf(W.fail_msg, sizeof W.fail_msg, "%s", tail ? tail : "");
	W.failed = 1;
}

static int py_load(void *self, const char *so, const char *entry, struct backend_impl **out,
		   struct errbuf *e)
{
	size_t plen = strlen(RUN_PY_PREFIX);
	if (strncmp(so, RUN_PY_PREFIX, plen) != 0)
		return W.inner.load(self, so, entry, out, e);
	int side = strcmp(so + plen, "candidate") == 0;
	const struct claim_impl *im = side ? &W.k->candidate : &W.k->baseline;
	if (!im->python)
		return errbuf_set(e, EXIT_BAD_INPUT, "the plan names %s, which is not a Python "
				  "implementation", so);
	if (!W.inner.adopt)
		return errbuf_set(e, EXIT_ENVIRONMENT, "this GPU plugin cannot run Python "
				  "implementations (it has no adopt)");
	char roles[256];
	size_t n = W.k->nbuffers < sizeof roles - 1 ? W.k->nbuffers : sizeof roles - 1;
	for (size_t i = 0; i < n; i++)
		roles[i] = W.k->buffers[i].role == CLAIM_IN ? 'i' : 'o';
	roles[n] = '\0';
	char err[ERRBUF_LEN] = "";
	run_py_launcher fn = W.h->prepare(side, im->path, im->entry, im->init_path, W.seed,
					  roles, W.inner.host_memory, err, sizeof err);
	if (!fn)
		return errbuf_set(e, EXIT_NOT_REPRODUCED, "%s: %s", im->source,
				  err[0] ? err : "the bridge could not prepare it");
	return W.inner.adopt(self, im->entry, fn, out, e);
}

static int py_poison(void *self, struct backend_buf *b, uint32_t pattern, struct errbuf *e)
{
	void *d = W.inner.data(b);
	size_t i = 0;
	while (i < W.npoisoned && W.poisoned[i].data != d)
		i++;
	if (i == W.npoisoned && W.npoisoned < sizeof W.poisoned / sizeof W.poisoned[0])
		W.npoisoned++;
	if (i < W.npoisoned)
		W.poisoned[i] = (struct py_poisoned){ d, pattern };
	return W.inner.poison(self, b, pattern, e);
}

uint32_t kaudit_py_pattern(void)
{
	return W.pattern;
}

/* The pattern of L's first output buffer (an output the protocol did not
 * poison, the bait trial's, keeps its last one: anything but the answer). */
static uint32_t call_pattern(const kaudit_launch *l)
{
	for (int b = 0; b < l->nbuffers && (size_t)b < W.k->nbuffers; b++) {
		if (W.k->buffers[b].role == CLAIM_IN)
			continue;
		for (size_t i = 0; i < W.npoisoned; i++)
			if (W.poisoned[i].data == l->buffers[b].data)
				return W.poisoned[i].pattern;
		break;
	}
	return 0x7fc0dead;
}

static int py_invoke(void *self, struct backend_impl *impl, kaudit_launch *l,
		     const struct invoke_opts *o, const struct record_sink *sink,
		     struct invoke_result *r, struct errbuf *e)
{
	W.failed = 0;
	W.pattern = call_pattern(l);
	int rc = W.inner.invoke(self, impl, l, o, sink, r, e);
	if (rc == 0 && W.failed) {
		/* Not a launch that returned a code: a Python failure, said. */
		r->entry_rc = 0;
		r->failed = 1;
		snprintf(r->where, sizeof r->where, "%s", W.fail_where);
		snprintf(r->error, sizeof r->error, "%s", W.fail_msg);
	}
	W.failed = 0;
	return rc;
}

void run_py_wrap_backend(struct backend *b, const struct run_py_hooks *h,
			 const struct claim_kernel *k, uint64_t seed)
{
	memset(&W, 0, sizeof W);
	W.inner = *b;
	W.h = h;
	W.k = k;
	W.seed = seed;
	b->load = py_load;
	b->invoke = py_invoke;
	b->poison = py_poison;
}

int kaudit_py_serve(const char *mode, const struct run_py_hooks *h)
{
	struct errbuf e = { "", 0 };
	int m = run_mode_parse(mode);
	if (m < 0 || !h) {
		fprintf(stderr, "kaudit: python worker: unknown mode '%s'\n", mode ? mode : "");
		return EXIT_BAD_INPUT;
	}
	if (run_worker_serve_py((enum run_mode)m, h, &e) < 0) {
		fprintf(stderr, "kaudit: %s\n", e.msg);
		return e.code ? e.code : EXIT_NOT_REPRODUCED;
	}
	if (fflush(stdout) != 0) {
		fprintf(stderr, "kaudit: worker: cannot write its answer\n");
		return EXIT_NOT_REPRODUCED;
	}
	return EXIT_OK;
}
