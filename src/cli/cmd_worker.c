/*
 * cmd_worker.c - `kaudit __worker`: the only process that touches the GPU.
 *
 *   kaudit __worker --probe [--device N]
 *   kaudit __worker --environment [--device N]
 *   kaudit __worker --claim PATH --case N --baseline-so SO --candidate-so SO
 *                   --seed S [--quick] [--device N]
 *
 * The supervisor (kaudit verify) execs one worker per case and reads its
 * records as JSON lines on stdout; diagnostics go to stderr.  Exit 0: done;
 * 1: a controlled failure, described by an `error` record (CUDA error,
 * load failure, entry returned nonzero, out of memory); 2: bad arguments;
 * 3: no usable GPU, driver or plugin.  Crashes and hangs are the
 * supervisor's to classify.
 *
 * The GPU plugin is dlopen'ed here, never linked: kaudit starts on machines
 * without CUDA, and only this subcommand needs it.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "claim/claim.h"
#include "cli.h"
#include "cmds.h"
#include "trace/record.h"

#define WORKER_USAGE                                                               \
	"kaudit __worker --probe | --environment | --claim PATH --case N "        \
	"--baseline-so SO --candidate-so SO --seed S [--quick] [--device N]"
#define PLUGIN_NAME "libkaudit-gpu.so"
/* A worker's output ceiling: beyond it records are counted, not written,
 * and one `dropped` record says how many (the trace must not lie by
 * omission). */
#define WORKER_MAX_RECORDS 20000000

enum worker_mode { MODE_NONE, MODE_PROBE, MODE_ENVIRONMENT, MODE_CASE };

struct worker_args {
	enum worker_mode mode;
	const char *claim, *baseline_so, *candidate_so;
	size_t case_index;
	uint64_t seed;
	int have_case, have_seed, quick, device;
};

/* Records as JSON lines on stdout, each stamped with the case. */
struct stdout_sink {
	int fd;              /* where records go: see hide_record_channel() */
	int64_t case_index;
	uint64_t written, dropped;
	int failed;
};

static int stdout_emit(void *self, const struct record *r)
{
	struct stdout_sink *s = self;
	if (s->failed)
		return -1;
	if (s->written >= WORKER_MAX_RECORDS) {
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

static int stdout_finish(struct stdout_sink *s)
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
	int rc = stdout_emit(s, &r);
	s->written = cap_written + 1;
	record_clear(&r);
	return rc;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	if (!s || !*s || *s == '-')
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct worker_args *a)
{
	memset(a, 0, sizeof *a);
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t n;
		if (strcmp(o, "--probe") == 0) {
			a->mode = MODE_PROBE;
		} else if (strcmp(o, "--environment") == 0) {
			a->mode = MODE_ENVIRONMENT;
		} else if (strcmp(o, "--quick") == 0) {
			a->quick = 1;
		} else if (strcmp(o, "--claim") == 0 && v) {
			a->claim = v, i++;
			a->mode = MODE_CASE;
		} else if (strcmp(o, "--baseline-so") == 0 && v) {
			a->baseline_so = v, i++;
		} else if (strcmp(o, "--candidate-so") == 0 && v) {
			a->candidate_so = v, i++;
		} else if (strcmp(o, "--case") == 0 && parse_u64(v, SIZE_MAX, &n) == 0) {
			a->case_index = (size_t)n, a->have_case = 1, i++;
		} else if (strcmp(o, "--seed") == 0 && parse_u64(v, UINT64_MAX, &n) == 0) {
			a->seed = n, a->have_seed = 1, i++;
		} else if (strcmp(o, "--device") == 0 && parse_u64(v, INT_MAX, &n) == 0) {
			a->device = (int)n, i++;
		} else {
			return cli_usage_error("__worker", WORKER_USAGE, "bad argument '%s'", o);
		}
	}
	if (a->mode == MODE_NONE)
		return cli_usage_error("__worker", WORKER_USAGE, "no mode given");
	if (a->mode == MODE_CASE && (!a->have_case || !a->have_seed || !a->baseline_so ||
				     !a->candidate_so))
		return cli_usage_error("__worker", WORKER_USAGE,
				       "--claim needs --case, --seed, --baseline-so and "
				       "--candidate-so");
	return 0;
}

/* dlopens the plugin: $KAUDIT_GPU_LIB, else beside the executable, else
 * in ../lib/kaudit/ (an installed tree). */
static void *open_plugin(struct errbuf *e)
{
	const char *env = getenv("KAUDIT_GPU_LIB");
	if (env && *env) {
		void *h = dlopen(env, RTLD_NOW | RTLD_LOCAL);
		if (!h)
			errbuf_set(e, EXIT_ENVIRONMENT, "cannot load the GPU plugin "
				   "$KAUDIT_GPU_LIB=%s: %s", env, dlerror());
		return h;
	}
	char paths[2][PATH_MAX];
	const char *dir = cli_exe_dir();
	snprintf(paths[0], sizeof paths[0], "%s/%s", dir, PLUGIN_NAME);
	snprintf(paths[1], sizeof paths[1], "%s/../lib/kaudit/%s", dir, PLUGIN_NAME);
	for (int i = 0; i < 2; i++) {
		if (access(paths[i], F_OK) != 0)
			continue;
		void *h = dlopen(paths[i], RTLD_NOW | RTLD_LOCAL);
		if (!h)
			errbuf_set(e, EXIT_ENVIRONMENT, "cannot load the GPU plugin %s: %s",
				   paths[i], dlerror());
		return h;
	}
	errbuf_set(e, EXIT_ENVIRONMENT, "built without GPU support: %s not found "
		   "in %s or %s/../lib/kaudit", PLUGIN_NAME, dir, dir);
	return NULL;
}

/* Plugin and device, or exit 3 with one line. */
static int open_backend(const struct worker_args *a, void **plugin, struct backend *b)
{
	struct errbuf e = { "", EXIT_ENVIRONMENT };
	*plugin = open_plugin(&e);
	if (!*plugin)
		return cli_fail(EXIT_ENVIRONMENT, "%s", e.msg);
	kaudit_gpu_backend_open_fn open_fn;
	*(void **)&open_fn = dlsym(*plugin, KAUDIT_GPU_BACKEND_SYMBOL);
	if (!open_fn)
		return cli_fail(EXIT_ENVIRONMENT, "the GPU plugin has no %s: %s",
				KAUDIT_GPU_BACKEND_SYMBOL, dlerror());
	/* Whatever stops the device from opening, the audit cannot run here:
	 * exit 3, one line, and say what still works without a GPU. */
	if (open_fn(b, a->device, &e) < 0)
		return cli_fail(EXIT_ENVIRONMENT,
				"%s%s (looked for the driver libcuda.so.1 and /dev/nvidia*); "
				"`kaudit check` works on stored traces without a GPU",
				strncmp(e.msg, "no ", 3) == 0 ? "" : "no CUDA device: ", e.msg);
	return 0;
}

static int probe(struct backend *b)
{
	struct record_list l = { 0 };
	struct record_sink sink = { record_list_sink_emit, &l };
	struct errbuf e = { "", 0 };
	if (b->environment(b->self, &sink, &e) < 0) {
		record_list_free(&l);
		return cli_fail(EXIT_ENVIRONMENT, "cannot query the CUDA device: %s", e.msg);
	}
	int rc = cli_fail(EXIT_ENVIRONMENT, "the GPU plugin reported no device");
	for (size_t i = 0; i < l.n; i++) {
		const struct rec_device *d = &l.v[i].u.device;
		if (l.v[i].type != REC_DEVICE)
			continue;
		printf("%s, compute capability %s, %" PRId64 " MiB", d->name ? d->name : "?",
		       d->cc ? d->cc : "?", d->mem_bytes == REC_NONE ? 0 : d->mem_bytes >> 20);
		if (d->driver)
			printf(", driver %s", d->driver);
		putchar('\n');
		rc = EXIT_OK;
		break;
	}
	record_list_free(&l);
	return rc;
}

static int environment(struct backend *b)
{
	struct stdout_sink out = { .fd = STDOUT_FILENO, .case_index = REC_NONE };
	struct record_sink sink = { stdout_emit, &out };
	struct errbuf e = { "", 0 };
	if (b->environment(b->self, &sink, &e) < 0)
		return cli_fail(out.failed ? EXIT_NOT_REPRODUCED : EXIT_ENVIRONMENT,
				"cannot describe the CUDA device: %s", e.msg);
	return stdout_finish(&out) < 0 ? EXIT_NOT_REPRODUCED : EXIT_OK;
}

/*
 * The implementations run inside this process, and a printf in a claimant's
 * kernel library must not be able to pass for a record: before any of them
 * is loaded, the record channel moves to a private descriptor and fd 1
 * becomes a copy of stderr.  (Code running in-process could still find the
 * descriptor; this stops accidents and casual forgery, the supervisor's
 * refusal of finding/verdict records stops the rest that matters.)
 */
static int record_fd = STDOUT_FILENO;

static int hide_record_channel(void)
{
	int fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 64);
	if (fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
		return -1;
	record_fd = fd;
	return 0;
}

static int run_case(const struct worker_args *a, struct backend *b, const struct claim *c)
{
	struct audit_opts o;
	audit_opts_init(&o, a->seed, a->quick);
	o.baseline_so = a->baseline_so;
	o.candidate_so = a->candidate_so;
	struct stdout_sink out = { .fd = record_fd, .case_index = (int64_t)a->case_index };
	struct record_sink sink = { stdout_emit, &out };
	struct errbuf e = { "", 0 };
	int rc = audit_run_case(b, c, a->case_index, &o, &sink, &e);
	int frc = stdout_finish(&out);
	if (rc < 0) {
		fprintf(stderr, "kaudit: case %zu: %s\n", a->case_index, e.msg);
		return e.code ? e.code : EXIT_NOT_REPRODUCED;
	}
	if (frc < 0 || out.failed)
		return cli_fail(EXIT_NOT_REPRODUCED, "case %zu: cannot write records",
				a->case_index);
	return EXIT_OK;
}

int cmd_worker(int argc, char **argv)
{
	struct worker_args a;
	if (argc >= 2 && cli_is_help(argv[1])) {
		printf("usage: %s\n(internal: run by kaudit verify, one process per case)\n",
		       WORKER_USAGE);
		return EXIT_OK;
	}
	if (parse_args(argc, argv, &a) != 0)
		return EXIT_BAD_INPUT;
	/* Load the claim before touching CUDA: a bad manifest is exit 2 on
	 * any machine. */
	struct claim *c = NULL;
	if (a.mode == MODE_CASE) {
		struct errbuf e = { "", 0 };
		if (claim_load(a.claim, &c, &e) != 0)
			return cli_fail_err(&e);
		size_t n = 0;
		free(claim_cases(c, &n));
		if (a.case_index >= n) {
			claim_free(c);
			return cli_fail(EXIT_BAD_INPUT, "%s: no case %zu (the claim has %zu)",
					a.claim, a.case_index, n);
		}
	}
	if (a.mode == MODE_CASE && hide_record_channel() < 0) {
		claim_free(c);
		return cli_fail(EXIT_NOT_REPRODUCED, "worker: cannot set up the record channel: %s",
				strerror(errno));
	}
	void *plugin = NULL;
	struct backend b;
	memset(&b, 0, sizeof b);
	int rc = open_backend(&a, &plugin, &b);
	if (rc == 0) {
		if (a.mode == MODE_PROBE)
			rc = probe(&b);
		else if (a.mode == MODE_ENVIRONMENT)
			rc = environment(&b);
		else
			rc = run_case(&a, &b, c);
		b.close(b.self);
	}
	/* The plugin stays mapped: CUDA and CUPTI may still run exit handlers. */
	(void)plugin;
	claim_free(c);
	return rc;
}
