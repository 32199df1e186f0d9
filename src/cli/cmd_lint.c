/*
 * cmd_lint.c - kaudit lint: validate claim manifests without a GPU and,
 * with --build, compile their implementations and resolve their entries.
 *
 * Output is a summary a reviewer can read against the paper: the claim,
 * each kernel's claimed speedup and implementations, and every case with its
 * buffer sizes.  Errors are one "kaudit: FILE:LINE:COL: message" line each.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "build/build.h"
#include "claim/claim.h"
#include "run/audit_run.h"
#include "cli.h"
#include "cmds.h"

static const char usage[] = "kaudit lint CLAIM.yaml... [--build] [--arch ARCH]";

static void print_help(void)
{
	printf("usage: %s\n\n"
	       "Validates each claim manifest (kaudit-claim(5)) and prints a summary.\n\n"
	       "  --build       also compile every implementation with nvcc (cached)\n"
	       "                and check that its entry point resolves\n"
	       "  --arch ARCH   nvcc -arch for --build (default: $KAUDIT_ARCH, the\n"
	       "                visible GPU, or a portable default)\n"
	       "  -h, --help    this text\n\n"
	       "exit: 0 valid, 2 invalid manifest or compile error, 3 nvcc missing\n",
	       usage);
}

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

static void print_impl(const char *what, const struct claim_impl *im)
{
	printf("  %-10s %s@%s", what, im->entry, im->source);
	for (size_t i = 0; i < im->nflags; i++)
		printf(" %s", im->flags[i]);
	putchar('\n');
}

static void print_case(const struct claim_kernel *k, size_t i)
{
	const struct claim_params *p = &k->params[i];
	printf("  case %zu {", i); /* numbered as in the trace, verify and inspect */
	for (size_t j = 0; j < p->n; j++)
		printf("%s%s: %" PRId64, j ? ", " : "", p->names[j], p->values[j]);
	printf("}:");
	for (size_t b = 0; b < k->nbuffers; b++) {
		const struct claim_buffer *buf = &k->buffers[b];
		printf("%s %s %s %s[", b ? "," : "", buf->name, claim_role_name(buf->role),
		       claim_dtype_name(buf->dtype));
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
	}
	putchar('\n');
}

static void print_summary(const struct claim *c)
{
	printf("%s: ok\n", c->path);
	printf("claim: %s\n", c->title);
	if (c->source)
		printf("  source: %s\n", c->source);
	if (c->hardware)
		printf("  hardware: %s\n", c->hardware);
	for (size_t i = 0; i < c->nkernels; i++) {
		const struct claim_kernel *k = &c->kernels[i];
		printf("kernel %s: claimed speedup %gx\n", k->id, k->claimed_speedup);
		print_impl("baseline", &k->baseline);
		print_impl("candidate", &k->candidate);
		for (size_t j = 0; j < k->nparams; j++)
			print_case(k, j);
	}
}

static int build_one(const struct claim *c, const struct claim_impl *im, const char *what,
		     const struct build_opts *o)
{
	struct build_result r;
	struct errbuf e = { "", EXIT_BAD_INPUT };
	memset(&r, 0, sizeof r);
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
		return cli_fail(e.code ? e.code : EXIT_BAD_INPUT, "%s:%d:%d: %s %s: %s", c->path,
				im->pos.line, im->pos.col, what, im->entry, e.msg);
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

static int build_claim(const struct claim *c, const struct build_opts *o)
{
	for (size_t i = 0; i < c->nkernels; i++) {
		const struct claim_kernel *k = &c->kernels[i];
		printf("build %s:\n", k->id);
		int rc = build_one(c, &k->baseline, "baseline", o);
		if (rc == EXIT_OK)
			rc = build_one(c, &k->candidate, "candidate", o);
		if (rc != EXIT_OK)
			return rc;
	}
	return EXIT_OK;
}

static int lint_one(const char *path, int build, const struct build_opts *o)
{
	struct claim *c;
	struct errbuf e = { "", EXIT_BAD_INPUT };
	if (claim_load(path, &c, &e) != 0)
		return cli_fail_err(&e);
	print_summary(c);
	int rc = build ? build_claim(c, o) : EXIT_OK;
	claim_free(c);
	return rc;
}

int cmd_lint(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "build", no_argument, NULL, 'b' },
		{ "arch", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct build_opts o = { 0 };
	int build = 0, ch;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":ha:", opts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			build = 1;
			break;
		case 'a':
			o.arch = optarg;
			break;
		case 'h':
			print_help();
			return EXIT_OK;
		case ':':
			return cli_usage_error("lint", usage, "option '%s' needs an argument",
					       argv[optind - 1]);
		default:
			return cli_usage_error("lint", usage, "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("lint", usage, "no manifest given");
	/* What an entry check's descendants leave behind is reparented here
	 * and killed when the check ends (run_sweep_children). */
	if (build)
		prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* Every file is checked; the exit code is the most serious failure. */
	int worst = EXIT_OK;
	for (int i = optind; i < argc; i++) {
		int rc = lint_one(argv[i], build, &o);
		if (rc > worst)
			worst = rc;
	}
	return worst;
}
