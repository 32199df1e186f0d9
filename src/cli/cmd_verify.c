/*
 * cmd_verify.c - kaudit verify: options, the signing key, and the report
 * (DESIGN section 2).  The audit itself - builds, confined workers, the
 * plan check, verdicts, the signed trace - is src/supervisor/audit_run.c.
 *
 * This process holds the key, so it makes itself undumpable (no other
 * process of the user may read its memory or /proc files) and a child
 * subreaper (what a worker's descendants leave behind is reparented here
 * and killed at the end of the case).  Ctrl-C stops the current worker,
 * skips the remaining cases and still writes and signs the trace of what
 * finished; the exit code is then 1.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "supervisor/audit_run.h"
#include "cli/cli.h"
#include "cli/cli_json.h"
#include "cli/cmd_inspect.h"
#include "cli/cmds.h"
#include "cli/verify.h"

#define USAGE "kaudit verify CLAIM.yaml [-o OUT.kat] [--kernel ID] [--key KEY.pem] [--json]\n" \
	      "                     [--quick] [--expect] [--margin PCT] [--timeout S] [--shard I/N]\n" \
	      "                     [--python PY]"

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

/* The largest --margin: past half, a claim of 2x "reproduces" at 1x, and
 * a 400x claim at 200x; whatever measured that was not the claim
 * (kaudit(1), --margin). */
#define MARGIN_MAX_PCT 50.0

static const char help_text[] =
	"Re-runs every case of CLAIM.yaml in a fresh worker process on the GPU,\n"
	"judges it, prints a report and writes a signed trace.\n\n"
	"  -o, --output OUT.kat  the trace (default ./CLAIM-YYYYmmddTHHMMSSZ.kat)\n"
	"      --kernel ID       audit only kernel ID\n"
	"      --key KEY.pem     signing key (default $KAUDIT_KEY, then\n"
	"                        ~/.config/kaudit/key.pem, created on first use)\n"
	"      --json            one JSON document on stdout instead of the table:\n"
	"                        inspect --json of the trace, plus \"verify\"\n"
	"      --quick           smaller trial and sample budgets\n"
	"      --expect          exit 0 iff every kernel's `expect` holds\n"
	"      --margin PCT      shortfall from the claimed speedup still counted as\n"
	"                        reproduced, 0 to 50 (default 10)\n"
	"      --timeout S       seconds per case before its worker is killed (300)\n"
	"      --shard I/N       audit only the cases whose index mod N is I, 0 <= I < N\n"
	"                        (one task of a job array; kaudit summary joins them)\n"
	"      --python PY       the interpreter of Python implementations (default\n"
	"                        $KAUDIT_PYTHON, else python3 with torch)\n\n"
	"exit: 0 reproduced, 1 not reproduced/invalid/error/interrupted, 2 bad input,\n"
	"      3 environment (no GPU, driver, CUPTI or nvcc)\n";

enum { OPT_OUT = 1, OPT_KERNEL, OPT_KEY, OPT_JSON, OPT_QUICK, OPT_EXPECT, OPT_MARGIN,
       OPT_TIMEOUT, OPT_SHARD, OPT_PYTHON };
static const struct cli_opt opts[] = {
	{ "output", 'o', CLI_VALUE, OPT_OUT },
	{ "kernel", 0, CLI_VALUE, OPT_KERNEL },
	{ "key", 0, CLI_VALUE, OPT_KEY },
	{ "json", 0, CLI_FLAG, OPT_JSON },
	{ "quick", 0, CLI_FLAG, OPT_QUICK },
	{ "expect", 0, CLI_FLAG, OPT_EXPECT },
	{ "margin", 0, CLI_VALUE, OPT_MARGIN },
	{ "timeout", 0, CLI_VALUE, OPT_TIMEOUT },
	{ "shard", 0, CLI_VALUE, OPT_SHARD },
	{ "python", 0, CLI_VALUE, OPT_PYTHON },
	{ NULL, 0, 0, 0 },
};
static const struct cli_command verify_cmd = {
	"verify", USAGE, help_text, opts, "CLAIM.yaml", 1, 1,
};

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

/* A decimal number of at most 7 digits (TRACE_SHARD_MAX), no sign, no
 * space; *END past it.  -1 if none. */
static int64_t shard_number(const char *s, const char **end)
{
	int64_t v = 0;
	int n = 0;
	while (s[n] >= '0' && s[n] <= '9' && n < 8)
		v = v * 10 + (s[n++] - '0');
	*end = s + n;
	return n == 0 || n > 7 ? -1 : v;
}

/* "I/N" with 0 <= I < N <= TRACE_SHARD_MAX. */
static int parse_shard(const char *s, int64_t *index, int64_t *count)
{
	const char *p;
	int64_t i = shard_number(s, &p);
	if (i < 0 || *p != '/')
		return -1;
	int64_t n = shard_number(p + 1, &p);
	if (n < 1 || *p || n > TRACE_SHARD_MAX || i >= n)
		return -1;
	*index = i;
	*count = n;
	return 0;
}

/* 0 parsed, -1 help printed, else the exit code of a usage error. */
static int parse_opts(int argc, char **argv, struct verify_opts *o)
{
	memset(o, 0, sizeof *o);
	o->margin = 0.10;
	o->timeout_s = 300;
	struct cli_parse p;
	int id;
	double pct;
	cli_opts_init(&p, &verify_cmd, argc, argv);
	while ((id = cli_opts_next(&p)) > 0) {
		switch (id) {
		case OPT_OUT: o->out = p.value; break;
		case OPT_KERNEL: o->kernel = p.value; break;
		case OPT_KEY: o->key = p.value; break;
		case OPT_JSON: o->json = 1; break;
		case OPT_QUICK: o->quick = 1; break;
		case OPT_EXPECT: o->expect = 1; break;
		case OPT_PYTHON: o->python = p.value; break;
		case OPT_MARGIN:
			if (parse_number(p.value, 0, MARGIN_MAX_PCT, &pct) < 0)
				return cli_opts_error(&verify_cmd, "--margin must be a percentage "
						      "from 0 to %g, not '%s'", MARGIN_MAX_PCT,
						      p.value);
			o->margin = pct / 100.0;
			break;
		case OPT_SHARD:
			if (parse_shard(p.value, &o->shard_index, &o->shard_count) < 0)
				return cli_opts_error(&verify_cmd, "--shard must be I/N with 0 <= I < "
						      "N <= %d, not '%s'", TRACE_SHARD_MAX, p.value);
			break;
		case OPT_TIMEOUT:
			if (parse_number(p.value, 0.001, 86400 * 7, &o->timeout_s) < 0)
				return cli_opts_error(&verify_cmd, "--timeout must be seconds from "
						      "0.001 to 604800, not '%s'", p.value);
			break;
		}
	}
	if (id == CLI_STOP)
		return p.status == EXIT_OK ? -1 : p.status;
	o->claim_path = p.operands[0];
	return 0;
}

/* The program workers run: $KAUDIT_WORKER (a testing hook, kaudit(1)), else
 * this very executable. */
static const char *worker_program(void)
{
	const char *w = getenv("KAUDIT_WORKER");
	return w && *w ? w : exe_path();
}

/* Where trace_key_load will find the key, for the check that no confined
 * process can read it. */
static void key_location(const char *opt, char *out, size_t cap)
{
	const char *env = getenv("KAUDIT_KEY");
	struct errbuf e = { "", 0 };
	if (opt && *opt)
		snprintf(out, cap, "%s", opt);
	else if (env && *env)
		snprintf(out, cap, "%s", env);
	else if (trace_key_default_path(out, cap, &e) < 0)
		out[0] = '\0';
}

static void print_note(const char *msg)
{
	fprintf(stderr, "kaudit: %s\n", msg);
}

/* Who signed the trace, as inspect would say it with the same trust store
 * (no --pubkey: verify has none); a store that does not load names no one. */
static json_t *signer_json(const struct trace_facts *f)
{
	struct inspect_trust t;
	struct errbuf e = { "", 0 };
	if (inspect_trust_load(&t, NULL, &e) < 0) {
		fprintf(stderr, "kaudit: %s\n", e.msg);
		memset(&t, 0, sizeof t);
	}
	struct inspect_signer sg;
	inspect_signer_judge_facts(f, &t, &sg);
	inspect_trust_release(&t);
	return inspect_signer_json(&sg);
}

/* The rendered result and the exit code of a finished audit: the summary
 * of its trace (what `inspect --json` prints for it) plus, under --json,
 * the "verify" object. */
static int report(const struct verify_opts *o, struct run_audit *a)
{
	size_t expect_n = 0, expect_failed = 0;
	struct trace_facts f;
	struct errbuf e = { "", 0 };
	json_t *s = report_summary(a, &f, &e);
	if (!s)
		return cli_fail(EXIT_INTEGRITY, "the trace just written cannot be read back: %s",
				e.msg);
	json_object_set_new(s, "file", cli_json_string(a->trace_path));
	json_object_set_new(s, "signer", signer_json(&f));
	int code = report_exit_code(a, s);
	json_t *ex = o->json ? json_array() : NULL;
	if (!o->json)
		report_terminal(stdout, s, cli_use_color(1));
	report_expectations(a, s, &expect_n, &expect_failed, ex, o->json ? NULL : stdout);
	if (!o->json) {
		char *shown = cli_printable(a->trace_path, strlen(a->trace_path));
		printf("trace: %s\n", shown);
		free(shown);
	}
	if (o->expect) {
		if (expect_n == 0)
			fprintf(stderr, "kaudit: --expect: no audited kernel has an 'expect'\n");
		code = expect_failed ? EXIT_NOT_REPRODUCED : EXIT_OK;
	}
	if (a->interrupted) {
		fprintf(stderr, "kaudit: interrupted: %zu of %zu cases not run; trace written to %s\n",
			a->not_run, a->nselected, a->trace_path);
		code = EXIT_NOT_REPRODUCED;
	}
	if (o->json) {
		json_object_set_new(s, "verify", json_pack("{s:i, s:b, s:I, s:o}", "exit", code,
			"interrupted", a->interrupted, "not_run", (json_int_t)a->not_run,
			"expectations", ex));
		cli_json_print(s);
	}
	json_decref(s);
	/* Signed a moment ago: if it does not verify now, nothing above counts. */
	if (!f.intact)
		return cli_fail(EXIT_INTEGRITY, "%s: the trace just written does not verify: %s",
				a->trace_path, f.problem);
	return code;
}

int cmd_verify(int argc, char **argv)
{
	struct verify_opts o;
	cli_json_begin(argc, argv);
	int prc = parse_opts(argc, argv, &o);
	if (prc != 0)
		return prc < 0 ? EXIT_OK : prc;
	/* The key will live in this process: no ptrace, no /proc/PID/mem,
	 * environ or cwd for anyone else; and every orphan of a worker's
	 * descendants becomes ours to kill. */
	prctl(PR_SET_DUMPABLE, 0);
	prctl(PR_SET_CHILD_SUBREAPER, 1);

	struct run_audit a;
	memset(&a, 0, sizeof a);
	a.prog = worker_program();
	a.out = o.out;
	a.kernel = o.kernel;
	a.shard_index = o.shard_index;
	a.shard_count = o.shard_count;
	a.quick = o.quick;
	a.margin = o.margin;
	a.timeout_s = o.timeout_s;
	a.python = o.python;
	a.stop = &interrupted;
	a.note = print_note;
	struct errbuf e = { "", 0 };
	if (run_audit_load(&a, o.claim_path, &e) < 0) {
		run_audit_free(&a);
		return cli_fail_err(&e);
	}
	install_interrupt_handlers();
	if (run_probe(a.prog, &interrupted, &e) < 0) {
		run_audit_free(&a);
		return cli_fail_err(&e);
	}

	struct trace_key *key = NULL;
	memset(&e, 0, sizeof e);
	char key_path[4096];
	key_location(o.key, key_path, sizeof key_path);
	if (trace_key_load(o.key, &key, &e) < 0) {
		run_audit_free(&a);
		return cli_fail_err(&e);
	}
	if (e.msg[0])
		fprintf(stderr, "kaudit: %s\n", e.msg); /* the key was just created */
	a.key_path = key_path;
	memset(&e, 0, sizeof e);
	int code = run_audit_execute(&a, key, &e) < 0 ? cli_fail_err(&e) : report(&o, &a);
	trace_key_free(key);
	run_audit_free(&a);
	return code;
}
