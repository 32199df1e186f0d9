/*
 * cmd_lint.c - kaudit lint: validate claim manifests without a GPU and,
 * with --build, compile their implementations and resolve their entries.
 *
 * Output is a summary a reviewer can read against the paper: the claim,
 * each kernel's claimed speedup and implementations, and every case with its
 * buffer sizes.  Errors are one "kaudit: FILE:LINE:COL: message" line each.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "audit/backend.h"
#include "build/build.h"
#include "claim/claim.h"
#include "supervisor/audit_run.h"
#include "cli/cli.h"
#include "cli/cmds.h"

static const char usage[] = "kaudit lint CLAIM.yaml... [--build] [--arch ARCH] [--json]";

enum { OPT_BUILD = 1, OPT_ARCH, OPT_JSON };
static const struct cli_opt opts[] = {
	{ "build", 0, CLI_FLAG, OPT_BUILD },
	{ "arch", 0, CLI_VALUE, OPT_ARCH },
	{ "json", 0, CLI_FLAG, OPT_JSON },
	{ NULL, 0, 0, 0 },
};
static const struct cli_command lint_cmd = {
	"lint", usage,
	"Validates each claim manifest (kaudit-claim(5)) and prints a summary.\n\n"
	"  --build       also compile every implementation with nvcc (cached)\n"
	"                and check that its entry point resolves\n"
	"  --arch ARCH   nvcc -arch for --build (default: $KAUDIT_ARCH, the\n"
	"                visible GPU, or a portable default)\n"
	"  --json        one JSON object per manifest on standard output\n"
	"                (kaudit(1) says what it holds)\n"
	"  -h, --help    this text\n\n"
	"exit: 0 valid, 2 invalid manifest or compile error, 3 nvcc missing\n",
	opts, "CLAIM.yaml", 1, CLI_MANY,
};

/* 134217728 -> "128 MiB"; exact values stay exact ("1 KiB", "12 B"). */
static const char *human_bytes(int64_t n, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)n;
	size_t u = 0;
	while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
		v /= 1024;
		u++;
	}
	if (v == (double)(int64_t)v)
		snprintf(buf, len, "%" PRId64 " %s", (int64_t)v, units[u]);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
	return buf;
}

/* Prints S with its control characters escaped: every string that comes
 * from a manifest goes through here (a title may hold ESC). */
static void put_printable(const char *s)
{
	char *p = cli_printable(s, strlen(s));
	fputs(p, stdout);
	free(p);
}

static void print_impl(const char *what, const struct claim_impl *im)
{
	printf("  %-10s ", what);
	put_printable(im->entry);
	putchar('@');
	put_printable(im->source);
	for (size_t i = 0; i < im->nflags; i++) {
		putchar(' ');
		put_printable(im->flags[i]);
	}
	putchar('\n');
}

/* The GPUs whose memory lint compares a case against, smallest first: the
 * one place to add a device.  Sizes are what the product name says. */
#define GIB ((uint64_t)1 << 30)
static const struct known_gpu {
	const char *name;
	uint64_t bytes;
} known_gpus[] = {
	{ "A100 40GB", 40 * GIB },
	{ "H100 80GB", 80 * GIB },
	{ "H200", 141 * GIB },
};
#define NKNOWN_GPUS (sizeof known_gpus / sizeof known_gpus[0])

/* What one case asks of the device: its buffers, and the guard zones the
 * GPU backend puts on both sides of each (saturating: a sum past 2^64 is
 * "too large" all the same). */
struct case_size {
	uint64_t buffers, guards, total;
};

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static struct case_size case_size(const struct claim_kernel *k, const struct claim_params *p)
{
	struct case_size z = { 0, 0, 0 };
	for (size_t b = 0; b < k->nbuffers; b++) {
		int64_t numel = 0;
		struct errbuf e;
		/* Cannot fail: claim_load checked every buffer's size fits. */
		if (claim_buffer_numel(&k->buffers[b], p, &numel, &e) != 0 || numel < 0)
			numel = 0;
		uint64_t bytes = (uint64_t)numel * claim_dtype_size(k->buffers[b].dtype);
		z.buffers = sat_add(z.buffers, bytes);
		z.guards = sat_add(z.guards, 2 * (uint64_t)BACKEND_GUARD_BYTES);
	}
	z.total = sat_add(z.buffers, z.guards);
	return z;
}

/* 134217728 -> "128 MiB" (for any 64-bit size). */
static const char *human_u64(uint64_t n, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)n;
	size_t u = 0;
	while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
		v /= 1024;
		u++;
	}
	if (v == (double)(uint64_t)v)
		snprintf(buf, len, "%" PRIu64 " %s", (uint64_t)v, units[u]);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
	return buf;
}

/* Fills MSG (and returns 1) when a case of TOTAL bytes does not fit the
 * known GPUs: past the largest, or past a smaller one. */
static int fit_warning(uint64_t total, char *msg, size_t len)
{
	char t[32], g[32];
	const struct known_gpu *big = &known_gpus[NKNOWN_GPUS - 1];
	if (total > big->bytes) {
		snprintf(msg, len, "%s of device memory is larger than any GPU kaudit knows "
				   "(the largest, %s, has %s)", human_u64(total, t, sizeof t),
			 big->name, human_u64(big->bytes, g, sizeof g));
		return 1;
	}
	for (size_t i = NKNOWN_GPUS - 1; i-- > 0;) {
		if (total > known_gpus[i].bytes) {
			char h[32];
			snprintf(msg, len, "%s of device memory does not fit an %s (%s); it fits "
					   "an %s (%s)", human_u64(total, t, sizeof t),
				 known_gpus[i].name, human_u64(known_gpus[i].bytes, g, sizeof g),
				 known_gpus[i + 1].name,
				 human_u64(known_gpus[i + 1].bytes, h, sizeof h));
			return 1;
		}
	}
	return 0;
}

static void print_case(const struct claim_kernel *k, size_t i)
{
	const struct claim_params *p = &k->params[i];
	printf("  case %zu {", i); /* numbered as in the trace, verify and inspect */
	for (size_t j = 0; j < p->n; j++) {
		printf("%s", j ? ", " : "");
		put_printable(p->names[j]);
		printf(": %" PRId64, p->values[j]);
	}
	printf("}:");
	for (size_t b = 0; b < k->nbuffers; b++) {
		const struct claim_buffer *buf = &k->buffers[b];
		printf("%s ", b ? "," : "");
		put_printable(buf->name);
		printf(" %s %s[", claim_role_name(buf->role), claim_dtype_name(buf->dtype));
		int64_t numel = 1;
		for (size_t d = 0; d < buf->ndim; d++) {
			int64_t v = 0;
			struct errbuf e;
			/* Cannot fail: claim_load evaluated every shape. */
			if (claim_expr_eval(buf->shape[d], p, &v, &e) != 0)
				v = 0;
			numel *= v;
			printf("%s%" PRId64, d ? "," : "", v);
		}
		char h[32];
		printf("] %s", human_bytes(numel * (int64_t)claim_dtype_size(buf->dtype), h,
					    sizeof h));
		if (buf->init.dist == CLAIM_INIT_GET_INPUTS)
			printf(" from get_inputs()[%d]", buf->init.item);
	}
	putchar('\n');
	struct case_size z = case_size(k, p);
	char t[32], bb[32], g[32];
	printf("    device memory %s (buffers %s, guard zones %s)\n", human_u64(z.total, t, sizeof t),
	       human_u64(z.buffers, bb, sizeof bb), human_u64(z.guards, g, sizeof g));
}

static void print_summary(const struct claim *c)
{
	printf("%s: ok\n", c->path);
	printf("claim: ");
	put_printable(c->title);
	putchar('\n');
	if (c->source) {
		printf("  source: ");
		put_printable(c->source);
		putchar('\n');
	}
	if (c->hardware) {
		printf("  hardware: ");
		put_printable(c->hardware);
		putchar('\n');
	}
	for (size_t i = 0; i < c->nkernels; i++) {
		const struct claim_kernel *k = &c->kernels[i];
		printf("kernel ");
		put_printable(k->id);
		printf(": claimed speedup %gx\n", k->claimed_speedup);
		print_impl("baseline", &k->baseline);
		print_impl("candidate", &k->candidate);
		for (size_t j = 0; j < k->nparams; j++)
			print_case(k, j);
	}
}

/* --- lint --json: one object per manifest (kaudit(1)) --- */

/* A JSON string of S: jansson escapes control characters; bytes that are
 * not UTF-8 (a message cut inside a character) become \xNN first. */
static json_t *jstr(const char *s)
{
	json_t *j = json_string(s);
	if (j)
		return j;
	size_t n = strlen(s);
	char *t = xmalloc(4 * n + 1), *o = t;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80)
			o += sprintf(o, "\\x%02x", c);
		else
			*o++ = (char)c;
	}
	*o = '\0';
	j = json_string(t);
	free(t);
	return j ? j : json_string("?");
}

/* {line, column, message} from "PATH:LINE:COL: message" or "PATH: message"
 * (line and column null when the message has no position). */
static json_t *json_diag(const char *path, const char *msg)
{
	size_t plen = strlen(path);
	int line = 0, col = 0, used = 0;
	const char *rest = msg;
	if (strncmp(msg, path, plen) == 0 && msg[plen] == ':') {
		rest = msg + plen + 1;
		if (sscanf(rest, "%d:%d: %n", &line, &col, &used) == 2 && used > 0)
			rest += used;
		else if (*rest == ' ')
			rest++, line = col = 0;
	}
	json_t *d = json_object();
	json_object_set_new(d, "line", line > 0 ? json_integer(line) : json_null());
	json_object_set_new(d, "column", col > 0 ? json_integer(col) : json_null());
	json_object_set_new(d, "message", jstr(rest));
	return d;
}

/* What lint_one reports about one manifest, in either form. */
struct lint_report {
	int json;
	json_t *obj; /* --json: the manifest's object */
};

static void report_error(struct lint_report *r, const char *path, const char *msg)
{
	if (r->json) {
		json_array_append_new(json_object_get(r->obj, "errors"), json_diag(path, msg));
		return;
	}
	char *p = cli_printable(msg, strlen(msg));
	fprintf(stderr, "kaudit: %s\n", p);
	free(p);
}

/* Every case's size, and a warning for each one no known GPU holds. */
static void report_cases(struct lint_report *r, const struct claim *c)
{
	json_t *cases = r->json ? json_object_get(r->obj, "cases") : NULL;
	for (size_t i = 0; i < c->nkernels; i++) {
		const struct claim_kernel *k = &c->kernels[i];
		for (size_t j = 0; j < k->nparams; j++) {
			const struct claim_params *p = &k->params[j];
			struct case_size z = case_size(k, p);
			if (cases) {
				json_t *params = json_object();
				for (size_t n = 0; n < p->n; n++)
					json_object_set_new(params, p->names[n],
							    json_integer(p->values[n]));
				json_t *o = json_object();
				json_object_set_new(o, "case", json_integer((json_int_t)j));
				json_object_set_new(o, "kernel", jstr(k->id));
				json_object_set_new(o, "params", params);
				json_object_set_new(o, "bytes",
						    json_integer(z.total > INT64_MAX ? INT64_MAX
										    : (json_int_t)z.total));
				json_array_append_new(cases, o);
			}
			char why[256], msg[ERRBUF_LEN];
			if (!fit_warning(z.total, why, sizeof why))
				continue;
			char *id = cli_printable(k->id, strlen(k->id));
			snprintf(msg, sizeof msg, "%s:%d:%d: kernel %s case %zu: %s", c->path,
				 p->pos.line, p->pos.col, id, j, why);
			free(id);
			if (r->json) {
				json_array_append_new(json_object_get(r->obj, "warnings"),
						      json_diag(c->path, msg));
			} else {
				char *m = cli_printable(msg, strlen(msg));
				fprintf(stderr, "kaudit: warning: %s\n", m);
				free(m);
			}
		}
	}
}

static int build_one(struct lint_report *rep, const struct claim *c, const struct claim_impl *im,
		     const char *what, const struct build_opts *o)
{
	struct build_result r;
	struct errbuf e = { "", EXIT_BAD_INPUT };
	memset(&r, 0, sizeof r);
	if (im->python) {
		/* Importing is the build of a Python implementation, and it may
		 * need the GPU (load_inline CUDA, Triton): verify does it,
		 * confined (kaudit-claim(5), PYTHON IMPLEMENTATIONS). */
		if (!rep->json)
			printf("  %-10s python: imported by verify, not by lint\n", what);
		return EXIT_OK;
	}
	int rc = build_impl(c, im, o, &r, &e);
	if (rc == 0)
		/* Loaded in a fresh confined worker: the claimant's static
		 * constructors never run in this process. */
		rc = run_check_entry(exe_path() /* the entry check's worker */, c->dir, r.so_path, im->entry, &e);
	if (rc != 0) {
		if (r.log && *r.log)
			fputs(r.log, stderr);
		if (r.note[0])
			fprintf(stderr, "kaudit: note: %s\n", r.note);
		build_result_release(&r);
		char msg[ERRBUF_LEN + 300];
		snprintf(msg, sizeof msg, "%s:%d:%d: %s %s: %s", c->path, im->pos.line,
			 im->pos.col, what, im->entry, e.msg);
		report_error(rep, c->path, msg);
		return e.code ? e.code : EXIT_BAD_INPUT;
	}
	if (rep->json) {
		build_result_release(&r);
		return EXIT_OK;
	}
	printf("  %-10s %s (%s)\n", what, r.cached ? "cached" : "compiled", r.so_path);
	if (r.note[0])
		printf("  %-10s note: %s\n", "", r.note);
	/* The claim's own files the compile reads besides the source. */
	for (size_t i = 1; i < r.ndeps; i++)
		if (strcmp(r.deps[i].kind, "claim") == 0)
			printf("  %-10s reads %s (sha256 %.16s)\n", "", r.deps[i].path,
			       r.deps[i].sha256);
	build_result_release(&r);
	return EXIT_OK;
}

static int build_claim(struct lint_report *rep, const struct claim *c, const struct build_opts *o)
{
	for (size_t i = 0; i < c->nkernels; i++) {
		const struct claim_kernel *k = &c->kernels[i];
		if (!rep->json) {
			printf("build ");
			put_printable(k->id);
			printf(":\n");
		}
		int rc = build_one(rep, c, &k->baseline, "baseline", o);
		if (rc == EXIT_OK)
			rc = build_one(rep, c, &k->candidate, "candidate", o);
		if (rc != EXIT_OK)
			return rc;
	}
	return EXIT_OK;
}

static int lint_one(const char *path, int build, int json, const struct build_opts *o)
{
	struct lint_report rep = { json, NULL };
	if (json) {
		rep.obj = json_object();
		json_object_set_new(rep.obj, "file", jstr(path));
		json_object_set_new(rep.obj, "ok", json_false());
		json_object_set_new(rep.obj, "errors", json_array());
		json_object_set_new(rep.obj, "warnings", json_array());
		json_object_set_new(rep.obj, "cases", json_array());
	}
	struct claim *c = NULL;
	struct errbuf e = { "", EXIT_BAD_INPUT };
	int rc;
	if (claim_load(path, &c, &e) != 0 || claim_lint_entries(c, &e) != 0) {
		report_error(&rep, path, e.msg);
		rc = e.code ? e.code : EXIT_BAD_INPUT;
		claim_free(c);
	} else {
		if (!json)
			print_summary(c);
		report_cases(&rep, c);
		rc = build ? build_claim(&rep, c, o) : EXIT_OK;
		claim_free(c);
	}
	if (json) {
		json_object_set_new(rep.obj, "ok", json_boolean(rc == EXIT_OK));
		/* One line per manifest (JSON Lines), keys in a fixed order. */
		char *text = json_dumps(rep.obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (text)
			puts(text);
		free(text);
		json_decref(rep.obj);
	}
	return rc;
}

int cmd_lint(int argc, char **argv)
{
	struct build_opts o = { 0 };
	int build = 0, json = 0, id;
	struct cli_parse p;
	cli_opts_init(&p, &lint_cmd, argc, argv);
	while ((id = cli_opts_next(&p)) > 0) {
		switch (id) {
		case OPT_BUILD: build = 1; break;
		case OPT_ARCH: o.arch = p.value; break;
		case OPT_JSON: json = 1; break;
		}
	}
	if (id == CLI_STOP)
		return p.status;
	/* What an entry check's descendants leave behind is reparented here
	 * and killed when the check ends (run_sweep_children). */
	if (build)
		prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* Every file is checked; the exit code is the most serious failure. */
	int worst = EXIT_OK;
	for (int i = 0; i < p.noperands; i++) {
		int rc = lint_one(p.operands[i], build, json, &o);
		if (rc > worst)
			worst = rc;
	}
	return worst;
}
