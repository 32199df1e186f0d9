/*
 * worker.c - the worker's end of the wire (wire.h): `kaudit __worker MODE`
 * reads its plan on stdin, does the one thing the plan says, and answers
 * with records (case, environment) or one line of text (probe, entry check).
 *
 * By the time this runs the process is already sandboxed (the spawn
 * primitive applied it between fork and exec) and holds no key: it was
 * exec'd with a cleaned environment from a supervisor that is undumpable.
 * The GPU plugin is dlopen'ed here, never linked: kaudit starts on machines
 * without CUDA, and only workers need it.
 */
#include "run/worker.h"
#include "run/plugin.h"
#include "run/pyworker.h"
#include "run/sandbox.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int run_plan_read(int fd, struct run_plan *p, struct errbuf *e)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		if (len == cap) {
			if (cap >= RUN_PLAN_MAX + 1) {
				free(buf);
				return errbuf_set(e, EXIT_BAD_INPUT, "plan: longer than %zu bytes",
						  RUN_PLAN_MAX);
			}
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return errbuf_set(e, EXIT_BAD_INPUT, "plan: read: %s", strerror(errno));
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	int rc = run_plan_decode(buf, len, p, e);
	free(buf);
	return rc;
}

/* Records as JSON lines on the record channel, each stamped with the case. */
struct channel {
	int fd;
	int64_t case_index;
	uint64_t written, dropped;
	int failed;
};

static int channel_emit(void *self, const struct record *r)
{
	struct channel *s = self;
	if (s->failed)
		return -1;
	if (s->written >= RUN_WORKER_MAX_RECORDS) {
		s->dropped++;
		return 0;
	}
	/* A shallow copy only to stamp the case: encoding does not own. */
	struct record stamped = *r;
	if (stamped.case_index == REC_NONE)
		stamped.case_index = s->case_index;
	char *line;
	size_t len;
	if (record_encode_line(&stamped, &line, &len) < 0) {
		fprintf(stderr, "kaudit: worker: cannot encode a %s record\n",
			record_type_name(r->type));
		s->failed = 1;
		return -1;
	}
	/* Unbuffered whole lines: a crash leaves every finished record. */
	int rc = write_all(s->fd, line, len);
	free(line);
	if (rc < 0) {
		s->failed = 1;
		return -1;
	}
	s->written++;
	return 0;
}

/* The one `dropped` record for what the cap kept back. */
static int channel_finish(struct channel *s)
{
	if (s->failed || s->dropped == 0)
		return s->failed ? -1 : 0;
	struct record r;
	record_init(&r, REC_DROPPED);
	r.case_index = s->case_index;
	r.u.dropped.count = (int64_t)s->dropped;
	r.u.dropped.source = xstrdup("cap");
	uint64_t cap_written = s->written;
	s->written = 0; /* the report itself is always written */
	int rc = channel_emit(s, &r);
	s->written = cap_written + 1;
	record_clear(&r);
	return rc;
}

/* dlopens the plugin run_plugin_locate() names. */
static void *open_plugin(struct errbuf *e)
{
	char path[PATH_MAX];
	int from_env = 0;
	if (run_plugin_locate(path, sizeof path, &from_env, e) < 0)
		return NULL;
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		errbuf_set(e, EXIT_ENVIRONMENT, "cannot load the GPU plugin %s%s: %s",
			   from_env ? "$KAUDIT_GPU_LIB=" : "", path, dlerror());
	return h;
}

/* Plugin and device, or EXIT_ENVIRONMENT with one line. */
static int open_backend(int device, struct backend *b, struct errbuf *e)
{
	void *plugin = open_plugin(e);
	if (!plugin)
		return -1;
	/* The plugin stays mapped: CUDA and CUPTI may still run exit handlers. */
	kaudit_gpu_backend_open_fn open_fn;
	*(void **)&open_fn = dlsym(plugin, KAUDIT_GPU_BACKEND_SYMBOL);
	if (!open_fn)
		return errbuf_set(e, EXIT_ENVIRONMENT, "the GPU plugin has no %s: %s",
				  KAUDIT_GPU_BACKEND_SYMBOL, dlerror());
	/* Whatever stops the device from opening, the audit cannot run here:
	 * exit 3, one line, and say what still works without a GPU. */
	struct errbuf oe = { "", EXIT_ENVIRONMENT };
	if (open_fn(b, device, &oe) < 0)
		return errbuf_set(e, EXIT_ENVIRONMENT,
				  "%s%s (looked for the driver libcuda.so.1 and /dev/nvidia*); "
				  "`kaudit check` works on stored traces without a GPU",
				  strncmp(oe.msg, "no ", 3) == 0 ? "" : "no CUDA device: ", oe.msg);
	return 0;
}

static int probe(struct backend *b, struct errbuf *e)
{
	struct record_list l = { 0 };
	struct record_sink sink = { record_list_sink_emit, &l };
	if (b->environment(b->self, &sink, e) < 0) {
		record_list_free(&l);
		char msg[ERRBUF_LEN];
		snprintf(msg, sizeof msg, "%s", e->msg);
		return errbuf_set(e, EXIT_ENVIRONMENT, "cannot query the CUDA device: %s", msg);
	}
	int rc = errbuf_set(e, EXIT_ENVIRONMENT, "the GPU plugin reported no device");
	for (size_t i = 0; i < l.n; i++) {
		const struct rec_device *d = &l.v[i].u.device;
		if (l.v[i].type != REC_DEVICE)
			continue;
		printf("%s, compute capability %s, %" PRId64 " MiB", d->name ? d->name : "?",
		       d->cc ? d->cc : "?", d->mem_bytes == REC_NONE ? 0 : d->mem_bytes >> 20);
		if (d->driver)
			printf(", driver %s", d->driver);
		putchar('\n');
		rc = 0;
		break;
	}
	record_list_free(&l);
	return rc;
}

static int environment(struct backend *b, struct errbuf *e)
{
	struct channel out = { .fd = STDOUT_FILENO, .case_index = REC_NONE };
	struct record_sink sink = { channel_emit, &out };
	if (b->environment(b->self, &sink, e) < 0) {
		char msg[ERRBUF_LEN];
		snprintf(msg, sizeof msg, "%s", e->msg);
		return errbuf_set(e, out.failed ? EXIT_NOT_REPRODUCED : EXIT_ENVIRONMENT,
				  "cannot describe the CUDA device: %s", msg);
	}
	if (channel_finish(&out) < 0)
		return errbuf_set(e, EXIT_NOT_REPRODUCED, "cannot write the device record");
	return 0;
}

/*
 * The implementations run inside this process, and a printf in a claimant's
 * kernel library must not be able to pass for a record: before any of them
 * is loaded, the record channel moves to a private descriptor and fd 1
 * becomes a copy of stderr.  (Code running in-process could still find the
 * descriptor; the supervisor's plan check stops what it can of the rest,
 * kaudit(1) SECURITY says what it cannot.)
 */
static int hide_record_channel(void)
{
	int fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 64);
	if (fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
		return -1;
	return fd;
}

/* The protocol of the plan's case over B, records to FD. */
static int audit_case(const struct run_plan *p, const struct claim *c, const struct backend *b,
		      int fd, struct errbuf *e)
{
	struct channel out = { .fd = fd, .case_index = p->case_index };
	struct record_sink sink = { channel_emit, &out };
	int rc = audit_run_case(b, c, (size_t)p->case_index, &p->opts, &sink, e);
	int frc = channel_finish(&out);
	if (rc < 0) {
		char msg[ERRBUF_LEN];
		snprintf(msg, sizeof msg, "%s", e->msg);
		return errbuf_set(e, e->code ? e->code : EXIT_NOT_REPRODUCED, "case %lld: %s",
				  (long long)p->case_index, msg);
	}
	if (frc < 0 || out.failed)
		return errbuf_set(e, EXIT_NOT_REPRODUCED, "case %lld: cannot write records",
				  (long long)p->case_index);
	return 0;
}

/* The manifest as the supervisor read it, never the file on disk: an
 * earlier case's candidate may have rewritten it. */
int run_worker_plan_claim(const struct run_plan *p, struct claim **c, struct errbuf *e)
{
	if (claim_load_buffer(p->manifest_path, p->manifest_text, p->manifest_len, c, e) != 0)
		return -1;
	size_t n = 0;
	free(claim_cases(*c, &n));
	if ((uint64_t)p->case_index >= n) {
		claim_free(*c);
		*c = NULL;
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: no case %lld (the claim has %zu)",
				  p->manifest_path, (long long)p->case_index, n);
	}
	return 0;
}

static int run_case(const struct run_plan *p, const struct run_py_hooks *py, struct errbuf *e)
{
	struct claim *c = NULL;
	if (run_worker_plan_claim(p, &c, e) < 0)
		return -1;
	int fd = hide_record_channel();
	if (fd < 0) {
		claim_free(c);
		return errbuf_set(e, EXIT_NOT_REPRODUCED,
				  "worker: cannot set up the record channel: %s", strerror(errno));
	}
	struct backend b;
	memset(&b, 0, sizeof b);
	int rc = open_backend(p->device, &b, e);
	if (rc == 0) {
		size_t n = 0;
		struct claim_case *cases = claim_cases(c, &n);
		if (py)
			run_py_wrap_backend(&b, py, cases[p->case_index].kernel, p->opts.seed);
		free(cases);
		rc = audit_case(p, c, &b, fd, e);
		b.close(b.self);
	}
	close(fd);
	claim_free(c);
	return rc;
}

/* A missing dependency (libcudart, a library the claim links) is the
 * machine's problem; a broken object is the claim's. */
static int load_error_code(const char *so, const char *msg)
{
	if (strstr(msg, "cannot open shared object file") && strncmp(msg, so, strlen(so)) != 0)
		return EXIT_ENVIRONMENT;
	return EXIT_BAD_INPUT;
}

/* Loads the object and resolves its entry; no GPU is touched (the CUDA
 * runtime initialises lazily). */
static int check_entry(const struct run_plan *p, const struct run_py_hooks *py,
		       struct errbuf *e)
{
	size_t plen = strlen(RUN_PY_PREFIX), dlen = strlen(RUN_PY_DESCRIBE_PREFIX);
	if (py && strncmp(p->so, RUN_PY_DESCRIBE_PREFIX, dlen) == 0) {
		char err[ERRBUF_LEN] = "";
		int rc = py->describe(p->so + dlen, err, sizeof err);
		return rc == 0 ? 0 : errbuf_set(e, rc, "%s", err[0] ? err : "cannot run it");
	}
	if (py && strncmp(p->so, RUN_PY_PREFIX, plen) == 0) {
		char err[ERRBUF_LEN] = "";
		int rc = py->check(p->so + plen, p->entry, err, sizeof err);
		return rc == 0 ? 0 : errbuf_set(e, rc, "%s", err[0] ? err : "cannot import it");
	}
	void *h = dlopen(p->so, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *err = dlerror();
		err = err ? err : "unknown error";
		return errbuf_set(e, load_error_code(p->so, err), "cannot load '%s': %s", p->so,
				  err);
	}
	dlerror();
	void *sym = dlsym(h, p->entry);
	const char *err = dlerror();
	if (!sym || err)
		return errbuf_set(e, EXIT_BAD_INPUT,
				  "entry '%s' not found in '%s' (declare it with KAUDIT_ENTRY so it "
				  "has C linkage): %s", p->entry, p->so, err ? err : "symbol is NULL");
	return 0;
}

static int serve(enum run_mode m, const struct run_py_hooks *py, struct errbuf *e);

int run_worker_serve(enum run_mode m, struct errbuf *e)
{
	return serve(m, NULL, e);
}

int run_worker_serve_py(enum run_mode m, const struct run_py_hooks *h, struct errbuf *e)
{
	return serve(m, h, e);
}

static int serve(enum run_mode m, const struct run_py_hooks *py, struct errbuf *e)
{
	/* Confined by the spawn primitive (no_new_privs is its first layer):
	 * narrow /proc to this process before anything reads it. */
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 && sandbox_narrow_proc() < 0)
		return errbuf_set(e, EXIT_NOT_REPRODUCED, "worker: cannot narrow /proc: %s",
				  strerror(errno));
	struct run_plan p;
	if (run_plan_read(STDIN_FILENO, &p, e) < 0)
		return -1;
	if (p.mode != m) {
		run_plan_release(&p);
		return errbuf_set(e, EXIT_BAD_INPUT, "plan: its mode is not %s", run_mode_flag(m));
	}
	int rc;
	struct backend b;
	memset(&b, 0, sizeof b);
	switch (m) {
	case RUN_MODE_CASE:
		rc = run_case(&p, py, e);
		break;
	case RUN_MODE_ENTRY_CHECK:
		rc = check_entry(&p, py, e);
		break;
	case RUN_MODE_INPUTS:
		rc = py ? run_py_inputs(&p, py, e)
			: errbuf_set(e, EXIT_BAD_INPUT, "worker: --inputs is the Python worker's "
				     "(get_inputs() runs in the interpreter)");
		break;
	default:
		rc = open_backend(p.device, &b, e);
		if (rc == 0) {
			rc = m == RUN_MODE_PROBE ? probe(&b, e) : environment(&b, e);
			b.close(b.self);
		}
		break;
	}
	run_plan_release(&p);
	return rc;
}
