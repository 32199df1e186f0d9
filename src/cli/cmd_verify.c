/*
 * cmd_verify.c - kaudit verify: re-run a claim on the GPU, judge it, write
 * a signed trace (DESIGN sections 2 and 5).
 *
 * The supervisor (this process) never touches CUDA and holds the signing
 * key; every GPU step runs in a fresh worker (`kaudit __worker`, exec'ed,
 * so it inherits neither the key nor the trace's descriptor).  A worker
 * that crashes, hangs or talks nonsense costs its case an `error` verdict,
 * not the audit.  Ctrl-C stops the current worker, skips the remaining
 * cases (each gets an "interrupted" error record) and still writes and
 * signs the trace of what finished; the exit code is then 1.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "../audit/rng.h"
#include "../build/build.h"
#include "../detect/detect.h"
#include "../run/run.h"
#include "cli.h"
#include "cmds.h"
#include "verify.h"

#define USAGE "kaudit verify CLAIM.yaml [-o OUT.kat] [--kernel ID] [--key KEY.pem] [--json]\n" \
	      "                     [--quick] [--expect] [--margin PCT] [--timeout S]"

/* Probing a device takes seconds even on a big node; a minute means hung. */
#define PROBE_TIMEOUT_S 60.0
#define ENV_TIMEOUT_S 300.0

static volatile sig_atomic_t interrupted;

/* First SIGINT/SIGTERM: finish cleanly.  Second: die the default way. */
static void on_interrupt(int sig)
{
	if (interrupted) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
	interrupted = 1;
}

static void install_interrupt_handlers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void help(void)
{
	printf("usage: %s\n\n"
	       "Re-runs every case of CLAIM.yaml in a fresh worker process on the GPU,\n"
	       "judges it, prints a report and writes a signed trace.\n\n"
	       "  -o, --output OUT.kat  the trace (default ./CLAIM-YYYYmmddTHHMMSSZ.kat)\n"
	       "      --kernel ID       audit only kernel ID\n"
	       "      --key KEY.pem     signing key (default $KAUDIT_KEY, then\n"
	       "                        ~/.config/kaudit/key.pem, created on first use)\n"
	       "      --json            one JSON document on stdout instead of the table\n"
	       "      --quick           smaller trial and sample budgets\n"
	       "      --expect          exit 0 iff every kernel's `expect` holds\n"
	       "      --margin PCT      shortfall from the claimed speedup still counted as\n"
	       "                        reproduced (default 10)\n"
	       "      --timeout S       seconds per case before its worker is killed (300)\n\n"
	       "exit: 0 reproduced, 1 not reproduced/invalid/error/interrupted, 2 bad input,\n"
	       "      3 environment (no GPU, driver, CUPTI or nvcc)\n", USAGE);
}

static int parse_number(const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct verify_opts *o)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "key", required_argument, NULL, 'K' },
		{ "json", no_argument, NULL, 'j' },
		{ "quick", no_argument, NULL, 'q' },
		{ "expect", no_argument, NULL, 'e' },
		{ "margin", required_argument, NULL, 'm' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	memset(o, 0, sizeof *o);
	o->margin = 0.10;
	o->timeout_s = 300;
	optind = 1;
	opterr = 0;
	int c;
	double pct;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': o->out = optarg; break;
		case 'k': o->kernel = optarg; break;
		case 'K': o->key = optarg; break;
		case 'j': o->json = 1; break;
		case 'q': o->quick = 1; break;
		case 'e': o->expect = 1; break;
		case 'm':
			if (parse_number(optarg, 0, 99.999, &pct) < 0)
				return cli_usage_error("verify", USAGE,
					"--margin wants a percentage in [0, 100), not '%s'", optarg);
			o->margin = pct / 100.0;
			break;
		case 't':
			if (parse_number(optarg, 0.001, 86400 * 7, &o->timeout_s) < 0)
				return cli_usage_error("verify", USAGE,
					"--timeout wants seconds > 0, not '%s'", optarg);
			break;
		case 'h': help(); return -1;
		case ':':
			return cli_usage_error("verify", USAGE, "option '%s' needs a value",
					       argv[optind - 1]);
		default:
			return cli_usage_error("verify", USAGE, "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("verify", USAGE, optind >= argc ? "no claim manifest given"
					: "one claim manifest at a time");
	o->claim_path = argv[optind];
	return 0;
}

/* The program workers run: $KAUDIT_WORKER (a testing hook, kaudit(1)), else
 * this very executable. */
static const char *worker_program(char *buf, size_t cap)
{
	const char *w = getenv("KAUDIT_WORKER");
	if (w && *w)
		return w;
	ssize_t n = readlink("/proc/self/exe", buf, cap - 1);
	if (n <= 0)
		return "/proc/self/exe";
	buf[n] = '\0';
	return buf;
}

/* Runs `__worker --probe`: no usable device means exit 3, in one line. */
static int probe(const char *prog)
{
	char *argv[] = { (char *)prog, "__worker", "--probe", NULL };
	struct run_opts ro = { .argv = argv, .timeout_s = PROBE_TIMEOUT_S,
			       .case_index = REC_NONE, .stop = &interrupted };
	struct run_result *r = xcalloc(1, sizeof *r);
	struct errbuf e = { "", 0 };
	char why[ERRBUF_LEN + 64];
	int rc = EXIT_OK;
	if (run_worker(&ro, r, &e) < 0) {
		rc = cli_fail(EXIT_ENVIRONMENT, "cannot probe the GPU: %s", e.msg);
	} else if (r->status == RUN_EXIT && r->exit_code == EXIT_ENVIRONMENT &&
		   (run_tail_last_line(&r->err, why, sizeof why), why[0])) {
		/* The worker's contract: one clear line saying what it looked
		 * for.  It is kaudit too: don't say "kaudit:" twice. */
		const char *w = strncmp(why, "kaudit: ", 8) == 0 ? why + 8 : why;
		rc = cli_fail(EXIT_ENVIRONMENT, "%s", w);
	} else if (r->status != RUN_OK) {
		if (r->status == RUN_SPAWN_FAILED)
			snprintf(why, sizeof why, "%s", r->problem);
		else
			run_result_describe(r, why, sizeof why);
		rc = cli_fail(EXIT_ENVIRONMENT,
			      "no usable CUDA device: probing it failed (%s); 'kaudit check' "
			      "re-checks stored traces without a GPU", why);
	}
	free(r);
	return rc;
}

/* ./CLAIM-YYYYmmddTHHMMSSZ.kat for the manifest at PATH. */
static void default_output(const char *path, char *out, size_t cap)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	if (n > 5 && strcmp(base + n - 5, ".yaml") == 0)
		n -= 5;
	else if (n > 4 && strcmp(base + n - 4, ".yml") == 0)
		n -= 4;
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	char stamp[32];
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	snprintf(out, cap, "%.*s-%s.kat", (int)(n > 200 ? 200 : n), base, stamp);
}

/* What building one kernel's two implementations gave. */
struct built {
	struct build_result res[2];
	int ok[2];
	char err[2][ERRBUF_LEN];
};

static const struct claim_impl *side_impl(const struct claim_kernel *k, int side)
{
	return side ? &k->candidate : &k->baseline;
}

/* Builds every selected kernel.  -1: an environment failure (no nvcc) that
 * ends the audit, message in E. */
static int build_all(struct verify_audit *a, struct built *b, struct errbuf *e)
{
	const struct claim *c = a->claim;
	struct build_opts bo = { NULL, NULL, 0 };
	for (size_t k = 0; k < c->nkernels; k++) {
		if (a->opt->kernel && strcmp(a->opt->kernel, c->kernels[k].id) != 0)
			continue;
		for (int side = 0; side < 2 && !interrupted; side++) {
			const struct claim_impl *impl = side_impl(&c->kernels[k], side);
			struct errbuf be = { "", 0 };
			memset(&b[k].res[side], 0, sizeof b[k].res[side]);
			if (build_impl(c, impl, &bo, &b[k].res[side], &be) < 0) {
				if (be.code == EXIT_ENVIRONMENT)
					return errbuf_set(e, EXIT_ENVIRONMENT, "%s", be.msg);
				snprintf(b[k].err[side], sizeof b[k].err[side], "%s", be.msg);
				continue;
			}
			if (build_check_entry(b[k].res[side].so_path, impl->entry, &be) < 0) {
				snprintf(b[k].err[side], sizeof b[k].err[side], "%s", be.msg);
				continue;
			}
			b[k].ok[side] = 1;
		}
	}
	return 0;
}

static int write_builds(struct verify_audit *a, struct built *b)
{
	const struct claim *c = a->claim;
	for (size_t k = 0; k < c->nkernels; k++) {
		if (a->opt->kernel && strcmp(a->opt->kernel, c->kernels[k].id) != 0)
			continue;
		for (int side = 0; side < 2; side++) {
			const struct claim_impl *impl = side_impl(&c->kernels[k], side);
			const struct build_result *br = &b[k].res[side];
			struct record r;
			record_init(&r, REC_BUILD);
			r.phase = PHASE_SETUP;
			r.impl = side ? IMPL_CANDIDATE : IMPL_BASELINE;
			r.u.build.kernel = xstrdup(c->kernels[k].id);
			r.u.build.source = xstrdup(impl->source);
			if (br->source_sha256[0])
				r.u.build.sha256 = xstrdup(br->source_sha256);
			if (b[k].ok[side] && br->so_sha256[0])
				r.u.build.so_sha256 = xstrdup(br->so_sha256);
			r.u.build.flags = json_array();
			for (size_t f = 0; f < impl->nflags; f++)
				json_array_append_new(r.u.build.flags, json_string(impl->flags[f]));
			if (br->nvcc_version[0])
				r.u.build.nvcc = xstrdup(br->nvcc_version);
			r.u.build.cached = br->cached ? 1 : 0;
			r.u.build.ok = b[k].ok[side];
			if (br->log && br->log[0])
				r.u.build.log = xstrdup(br->log);
			else if (!b[k].ok[side] && b[k].err[side][0])
				r.u.build.log = xstrdup(b[k].err[side]);
			if (verify_write(a, &r) < 0)
				return -1;
		}
	}
	return 0;
}

/* `__worker --environment`: the device record.  -1 with E on failure. */
static int environment(struct verify_audit *a, const char *prog, struct errbuf *e)
{
	char *argv[] = { (char *)prog, "__worker", "--environment", NULL };
	struct record_sink sink = { verify_sink_emit, a };
	struct run_opts ro = { .argv = argv, .timeout_s = ENV_TIMEOUT_S, .sink = &sink,
			       .case_index = REC_NONE, .stop = &interrupted };
	struct run_result *r = xcalloc(1, sizeof *r);
	a->cur_case = -2; /* no case: a device record is audit-wide */
	int rc = run_worker(&ro, r, e);
	if (rc == 0 && r->status != RUN_OK && r->status != RUN_INTERRUPTED) {
		char why[ERRBUF_LEN];
		run_result_describe(r, why, sizeof why);
		rc = errbuf_set(e, EXIT_ENVIRONMENT, "cannot describe the GPU: %s", why);
	}
	free(r);
	return rc;
}

static void progress(size_t i, size_t n, const struct claim_case *cc)
{
	char params[96];
	const struct claim_params *p = &cc->kernel->params[cc->param_index];
	size_t len = 0;
	params[0] = '\0';
	for (size_t k = 0; k < p->n && len < sizeof params; k++)
		len += (size_t)snprintf(params + len, sizeof params - len, "%s%s:%lld",
					k ? ", " : "", p->names[k], (long long)p->values[k]);
	fprintf(stderr, "\r\033[Kcase %zu/%zu %s {%s} ...", i + 1, n, cc->kernel->id, params);
	fflush(stderr);
}

/* Case record (when the worker sent none) then error record. */
static int case_failed(struct verify_audit *a, size_t i, uint64_t seed, int need_case,
		       struct record *err)
{
	if (need_case) {
		struct record c;
		struct errbuf e = { "", 0 };
		if (verify_case_record(&a->cases[i], i, seed, &c, &e) == 0 &&
		    verify_write(a, &c) < 0) {
			record_clear(err);
			return -1;
		}
	}
	if (err->type == REC_ERROR)
		return verify_write(a, err);
	return 0;
}

/* Runs case I in a worker; its records stream into the trace. */
static int run_case(struct verify_audit *a, size_t i, const char *prog, uint64_t seed,
		    const struct built *b)
{
	const struct claim_case *cc = &a->cases[i];
	const struct built *kb = &b[cc->kernel_index];
	struct record err;
	record_init(&err, REC_FINDING); /* not an error unless set below */
	if (interrupted) {
		a->not_run++;
		verify_error_record((int64_t)i, "interrupted",
				    "interrupted before the case could run", &err);
		return case_failed(a, i, seed, 1, &err);
	}
	if (!kb->ok[0] || !kb->ok[1]) {
		char msg[2 * ERRBUF_LEN + 64];
		int side = kb->ok[0] ? 1 : 0;
		snprintf(msg, sizeof msg, "%s '%s' did not build: %s", side ? "candidate" : "baseline",
			 side_impl(cc->kernel, side)->source, kb->err[side]);
		verify_error_record((int64_t)i, "build", msg, &err);
		return case_failed(a, i, seed, 1, &err);
	}
	char case_s[32], seed_s[32];
	snprintf(case_s, sizeof case_s, "%zu", i);
	snprintf(seed_s, sizeof seed_s, "%llu", (unsigned long long)seed);
	char *argv[16];
	int n = 0;
	argv[n++] = (char *)prog;
	argv[n++] = "__worker";
	argv[n++] = "--claim";
	argv[n++] = (char *)a->claim->path;
	argv[n++] = "--case";
	argv[n++] = case_s;
	argv[n++] = "--baseline-so";
	argv[n++] = (char *)kb->res[0].so_path;
	argv[n++] = "--candidate-so";
	argv[n++] = (char *)kb->res[1].so_path;
	argv[n++] = "--seed";
	argv[n++] = seed_s;
	if (a->opt->quick)
		argv[n++] = "--quick";
	argv[n] = NULL;

	struct record_sink sink = { verify_sink_emit, a };
	struct run_opts ro = { .argv = argv, .timeout_s = a->opt->timeout_s, .sink = &sink,
			       .case_index = (int64_t)i, .stop = &interrupted };
	struct run_result *r = xcalloc(1, sizeof *r);
	struct errbuf e = { "", 0 };
	a->cur_case = (int64_t)i;
	a->cur_case_seen = 0;
	int rc = run_worker(&ro, r, &e);
	if (rc < 0 || a->write_failed) {
		if (!a->write_failed) {
			a->werr = e; /* the supervisor itself failed: end the audit */
			a->write_failed = 1;
		}
		free(r);
		return -1;
	}
	if (r->status == RUN_INTERRUPTED)
		a->not_run++;
	/* A worker that failed in a controlled way already said why in its
	 * own error record; an uncontrolled end gets the supervisor's. */
	if (r->status != RUN_OK && !(r->status == RUN_EXIT && r->worker_errors > 0))
		(void)run_result_error(r, (int64_t)i, &err);
	free(r);
	return case_failed(a, i, seed, !a->cur_case_seen, &err);
}

/* Verdicts the detectors did not give: a case that failed is an `error`;
 * the claim's is the worst of its cases'. */
static int fallback_verdicts(struct verify_audit *a)
{
	const char *worst = NULL;
	for (size_t i = 0; i < a->ncases; i++) {
		if (!a->selected[i])
			continue;
		const struct record *v = verify_find(a, REC_VERDICT, (int64_t)i);
		if (!v) {
			const struct record *err = verify_find(a, REC_ERROR, (int64_t)i);
			struct record r;
			record_init(&r, REC_VERDICT);
			r.case_index = (int64_t)i;
			r.phase = PHASE_ANALYSIS;
			r.u.verdict.kernel = xstrdup(a->cases[i].kernel->id);
			r.u.verdict.verdict = xstrdup(err ? "error" : "inconclusive");
			r.u.verdict.claimed = a->cases[i].kernel->claimed_speedup;
			r.u.verdict.reason = xstrdup(err ? err->u.error.message
						     : "the detectors gave no verdict");
			if (verify_write(a, &r) < 0)
				return -1;
			v = verify_find(a, REC_VERDICT, (int64_t)i);
		}
		if (!worst || verify_verdict_rank(v->u.verdict.verdict) > verify_verdict_rank(worst))
			worst = v->u.verdict.verdict;
	}
	if (!verify_find(a, REC_VERDICT, REC_NONE)) {
		struct record r;
		record_init(&r, REC_VERDICT);
		r.phase = PHASE_ANALYSIS;
		r.u.verdict.verdict = xstrdup(worst ? worst : "error");
		r.u.verdict.reason = xstrdup("the worst of its cases");
		if (verify_write(a, &r) < 0)
			return -1;
	}
	return 0;
}

/* detect_all + detect_verdicts over everything written so far. */
static int judge(struct verify_audit *a, struct errbuf *e)
{
	struct record_list findings = { 0 }, verdicts = { 0 };
	if (detect_all(a->recs.v, a->recs.n, &findings) < 0 ||
	    detect_verdicts(a->recs.v, a->recs.n, findings.v, findings.n, a->opt->margin,
			    &verdicts) < 0) {
		record_list_free(&findings);
		record_list_free(&verdicts);
		return errbuf_set(e, EXIT_BAD_INPUT, "the detectors failed");
	}
	int rc = 0;
	for (size_t i = 0; i < findings.n && rc == 0; i++)
		rc = verify_write(a, &findings.v[i]);
	for (size_t i = 0; i < verdicts.n && rc == 0; i++)
		rc = verify_write(a, &verdicts.v[i]);
	record_list_free(&findings);
	record_list_free(&verdicts);
	if (rc == 0)
		rc = fallback_verdicts(a);
	if (rc < 0)
		return errbuf_set(e, a->werr.code, "%s", a->werr.msg);
	return 0;
}

static void audit_free(struct verify_audit *a, struct built *b)
{
	if (b)
		for (size_t k = 0; k < a->claim->nkernels; k++)
			for (int s = 0; s < 2; s++)
				build_result_release(&b[k].res[s]);
	free(b);
	record_list_free(&a->recs);
	free(a->selected);
	free(a->cases);
	claim_free(a->claim);
}

/* Everything after the probe and the key: builds, trace, cases, verdicts.
 * Returns an exit code; -1 never. */
static int audit(struct verify_audit *a, const char *prog, struct trace_key *key)
{
	const struct claim *c = a->claim;
	struct errbuf e = { "", 0 };
	struct built *b = xcalloc(c->nkernels ? c->nkernels : 1, sizeof *b);
	if (build_all(a, b, &e) < 0) {
		audit_free(a, b);
		return cli_fail_err(&e);
	}

	uint64_t root = 0;
	if (getrandom(&root, sizeof root, 0) != (ssize_t)sizeof root) {
		audit_free(a, b);
		return cli_fail(EXIT_ENVIRONMENT, "getrandom: %s", strerror(errno));
	}
	root &= INT64_MAX; /* 63 bits: the trace stores it as a JSON integer */

	if (a->opt->out)
		snprintf(a->trace_path, sizeof a->trace_path, "%s", a->opt->out);
	else
		default_output(c->path, a->trace_path, sizeof a->trace_path);
	if (trace_writer_open(a->trace_path, &a->w, &e) < 0) {
		audit_free(a, b);
		return cli_fail_err(&e);
	}

	const char **so_sha = xcalloc(2 * c->nkernels + 1, sizeof *so_sha);
	for (size_t k = 0; k < c->nkernels; k++)
		for (int s = 0; s < 2; s++)
			so_sha[2 * k + (size_t)s] = b[k].ok[s] ? b[k].res[s].so_sha256 : NULL;
	struct record hdr;
	int rc = verify_header(c, so_sha, root, trace_key_public_pem(key), &hdr, &e);
	free(so_sha);
	/* check re-judges the stored records with the margin this audit used. */
	hdr.u.header.margin = a->opt->margin;
	if (rc == 0)
		rc = verify_write(a, &hdr);
	if (rc == 0 && !interrupted && environment(a, prog, &e) < 0 && !a->write_failed) {
		trace_writer_abort(a->w);
		audit_free(a, b);
		return cli_fail_err(&e);
	}
	if (rc == 0)
		rc = write_builds(a, b);
	if (rc == 0)
		rc = trace_writer_flush(a->w, &a->werr) < 0 ? (a->write_failed = 1, -1) : 0;

	size_t nsel = 0, done = 0;
	for (size_t i = 0; i < a->ncases; i++)
		nsel += (size_t)a->selected[i];
	int show = isatty(2); /* a progress line only where someone watches */
	for (size_t i = 0; i < a->ncases && rc == 0; i++) {
		if (!a->selected[i])
			continue;
		if (show)
			progress(done, nsel, &a->cases[i]);
		done++;
		rc = run_case(a, i, prog, rng_derive(root, i, 0), b);
		if (rc == 0 && trace_writer_flush(a->w, &a->werr) < 0) {
			a->write_failed = 1;
			rc = -1;
		}
	}
	if (show)
		fprintf(stderr, "\r\033[K");
	a->interrupted = interrupted != 0;
	if (rc == 0)
		rc = judge(a, &e);
	if (rc < 0 || a->write_failed) {
		trace_writer_abort(a->w);
		int code = cli_fail_err(a->write_failed ? &a->werr : &e);
		audit_free(a, b);
		return code;
	}
	json_t *pred = trace_predicate(a->recs.v, a->recs.n);
	rc = trace_writer_finish(a->w, key, pred, &e);
	json_decref(pred);
	a->w = NULL;
	if (rc < 0) {
		audit_free(a, b);
		return cli_fail_err(&e);
	}

	size_t expect_n = 0, expect_failed = 0;
	int code = report_exit_code(a);
	if (a->opt->json) {
		json_t *doc = report_json(a);
		json_t *ex = json_array();
		report_expectations(a, &expect_n, &expect_failed, ex, NULL);
		json_object_set_new(doc, "expectations", ex);
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(doc);
	} else {
		report_terminal(stdout, a, cli_use_color(1));
		report_expectations(a, &expect_n, &expect_failed, NULL, stdout);
		printf("trace: %s\n", a->trace_path);
	}
	if (a->opt->expect) {
		if (expect_n == 0)
			fprintf(stderr, "kaudit: --expect: no audited kernel has an 'expect'\n");
		code = expect_failed ? EXIT_NOT_REPRODUCED : EXIT_OK;
	}
	if (a->interrupted) {
		fprintf(stderr, "kaudit: interrupted: %zu of %zu cases not run; trace written to %s\n",
			a->not_run, nsel, a->trace_path);
		code = EXIT_NOT_REPRODUCED;
	}
	audit_free(a, b);
	return code;
}

int cmd_verify(int argc, char **argv)
{
	struct verify_opts o;
	int prc = parse_opts(argc, argv, &o);
	if (prc != 0)
		return prc < 0 ? EXIT_OK : prc;

	struct verify_audit a;
	memset(&a, 0, sizeof a);
	a.opt = &o;
	struct errbuf e = { "", 0 };
	if (claim_load(o.claim_path, &a.claim, &e) < 0)
		return cli_fail_err(&e);
	a.cases = claim_cases(a.claim, &a.ncases);
	a.selected = xcalloc(a.ncases ? a.ncases : 1, sizeof *a.selected);
	size_t nsel = 0;
	for (size_t i = 0; i < a.ncases; i++) {
		a.selected[i] = !o.kernel || strcmp(o.kernel, a.cases[i].kernel->id) == 0;
		nsel += (size_t)a.selected[i];
	}
	if (nsel == 0) {
		int code = cli_fail(EXIT_BAD_INPUT, "%s: no kernel '%s'", o.claim_path,
				    o.kernel ? o.kernel : "");
		audit_free(&a, NULL);
		return code;
	}

	char exe[4096];
	const char *prog = worker_program(exe, sizeof exe);
	install_interrupt_handlers();
	int code = probe(prog);
	if (code != EXIT_OK) {
		audit_free(&a, NULL);
		return code;
	}

	struct trace_key *key = NULL;
	memset(&e, 0, sizeof e);
	if (trace_key_load(o.key, &key, &e) < 0) {
		audit_free(&a, NULL);
		return cli_fail_err(&e);
	}
	if (e.msg[0])
		fprintf(stderr, "kaudit: %s\n", e.msg); /* the key was just created */
	code = audit(&a, prog, key);
	trace_key_free(key);
	return code;
}
