/*
 * cmd_observe.c - `kaudit observe`: run a benchmark kaudit did not write,
 * unchanged, under kaudit's CUPTI injection library, and write a signed
 * trace of the timing windows it measured and the GPU work around them
 * (kaudit(1) OBSERVE).  The supervisor is supervisor/observe_run.c; this
 * file parses, renders and picks the exit code.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "supervisor/observe_run.h"
#include "cli/cli.h"
#include "cli/cli_json.h"
#include "cli/cmd_inspect.h"
#include "cli/cmds.h"
#include "cli/observe_show.h"

static const char usage[] = "kaudit observe [-o OUT.kat] [--key KEY.pem] [--json] -- CMD ARGS...";

static volatile sig_atomic_t interrupted;

/* Ctrl-C reaches the command too (same process group): kaudit waits for
 * it and still writes the trace of what it saw. */
static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

enum { OPT_OUT = 1, OPT_KEY, OPT_JSON };
static const struct cli_opt opts[] = {
	{ "output", 'o', CLI_VALUE, OPT_OUT },
	{ "key", 0, CLI_VALUE, OPT_KEY },
	{ "json", 0, CLI_FLAG, OPT_JSON },
	{ NULL, 0, 0, 0 },
};
static const struct cli_command observe_cmd = {
	"observe", usage,
	"Runs CMD unchanged with kaudit's CUPTI injection library (CUDA_INJECTION64_PATH)\n"
	"in every process that initialises CUDA, records each timing window the harness\n"
	"built from two CUDA events (with the elapsed time it read), all GPU work with\n"
	"its stream, thread and process, judges what each window missed (timing-escape,\n"
	"foreign-stream, deferred-launch) and writes a signed trace (default\n"
	"./observe-YYYYmmddTHHMMSSZ.kat).  Put CMD after \"--\" when its arguments start\n"
	"with \"-\".  Exit 0 every window covered its work, 1 one did not or none could be\n"
	"judged or CMD failed, 2 CMD cannot be run, 3 no GPU, another CUPTI subscriber\n"
	"(PyTorch's profiler, nsys, ncu) or no process reached CUDA.\n",
	opts, "CMD", 1, CLI_MANY,
};

struct shown {
	struct trace_summary_acc *acc;
	struct observe_keep keep;
};

static void shown_record(void *ctx, const struct record *r)
{
	struct shown *s = ctx;
	trace_summary_acc_record(s->acc, r);
	observe_keep_record(&s->keep, r);
}

static void shown_case(void *ctx, const struct record *recs, size_t n)
{
	struct shown *s = ctx;
	trace_summary_acc_case(s->acc, recs, n);
}

/* The exit code and its one line (stderr), from how the observation went. */
static int outcome(const struct observe_run *o, char *why, size_t n)
{
	why[0] = '\0';
	if (o->exec_failed) {
		snprintf(why, n, "%s", o->exec_msg);
		return EXIT_BAD_INPUT;
	}
	if (o->refused) {
		snprintf(why, n, "%s", o->refused_msg);
		return EXIT_ENVIRONMENT;
	}
	if (o->processes == 0) {
		snprintf(why, n, "no process of the command initialised CUDA under kaudit's "
			 "injection library (no GPU was reached, the command does not use CUDA, "
			 "or it removed CUDA_INJECTION64_PATH)");
		return EXIT_ENVIRONMENT;
	}
	if (!o->verdict || strcmp(o->verdict, "reproduced") != 0) {
		snprintf(why, n, "the observation is %s", o->verdict ? o->verdict : "unjudged");
		return EXIT_NOT_REPRODUCED;
	}
	return EXIT_OK;
}

/* Reads the trace just written back and shows it: what is shown is what
 * the trace holds, never a second account. */
static int show(const struct observe_run *o, int json, int code)
{
	struct shown sh;
	memset(&sh, 0, sizeof sh);
	sh.acc = trace_summary_acc_new();
	struct trace_visitor v = { &sh, shown_record, shown_case };
	struct trace_contents c;
	struct errbuf e = { "", 0 };
	if (trace_stream(o->trace_path, &v, &c, &e) < 0) {
		trace_summary_acc_free(sh.acc);
		observe_keep_free(&sh.keep);
		return cli_fail(EXIT_INTEGRITY, "the trace just written cannot be read back: %s",
				e.msg);
	}
	json_t *s = trace_summary_acc_finish(sh.acc, &c);
	int intact = trace_integrity(&c, NULL, &e) == 0;
	struct inspect_trust t;
	struct errbuf te = { "", 0 };
	if (inspect_trust_load(&t, NULL, &te) < 0) {
		fprintf(stderr, "kaudit: %s\n", te.msg);
		memset(&t, 0, sizeof t);
	}
	struct inspect_signer sg;
	inspect_signer_judge(&c, &t, &sg);
	inspect_trust_release(&t);
	trace_contents_free(&c);
	json_t *obs = observe_keep_summary(&sh.keep);
	if (json) {
		json_object_set_new(s, "file", cli_json_string(o->trace_path));
		json_object_set_new(s, "signer", inspect_signer_json(&sg));
		if (obs)
			json_object_set(s, "observation", obs);
		json_object_set_new(s, "observe", json_pack("{s:i, s:i, s:i}", "exit", code,
			"status", o->status, "signal", o->signal > 0 ? o->signal : 0));
		cli_json_print(s);
	} else if (obs) {
		json_t *p = cli_printable_json(obs);
		observe_print(p);
		const char *vd = json_string_value(json_object_get(p, "verdict"));
		printf("verdict   %s\n", vd ? vd : "(none)");
		json_decref(p);
		char *shown = cli_printable(o->trace_path, strlen(o->trace_path));
		printf("trace: %s\n", shown);
		free(shown);
	}
	json_decref(obs);
	json_decref(s);
	trace_summary_acc_free(sh.acc);
	observe_keep_free(&sh.keep);
	if (!intact)
		return cli_fail(EXIT_INTEGRITY, "%s: the trace just written does not verify: %s",
				o->trace_path, e.msg);
	return EXIT_OK;
}

int cmd_observe(int argc, char **argv)
{
	const char *out = NULL, *key_path = NULL;
	int json = 0;
	cli_json_begin(argc, argv);
	struct cli_parse p;
	int id;
	cli_opts_init(&p, &observe_cmd, argc, argv);
	while ((id = cli_opts_next(&p)) > 0) {
		switch (id) {
		case OPT_OUT: out = p.value; break;
		case OPT_KEY: key_path = p.value; break;
		case OPT_JSON: json = 1; break;
		}
	}
	if (id == CLI_STOP)
		return p.status;
	/* The key will live here: nobody else may read this process; orphans
	 * of the command become ours to reap. */
	prctl(PR_SET_DUMPABLE, 0);
	prctl(PR_SET_CHILD_SUBREAPER, 1);

	struct trace_key *key = NULL;
	struct errbuf e = { "", 0 };
	if (trace_key_load(key_path, &key, &e) < 0)
		return cli_fail_err(&e);
	if (e.msg[0])
		fprintf(stderr, "kaudit: %s\n", e.msg); /* the key was just created */

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	char **cmd = xmalloc(((size_t)p.noperands + 1) * sizeof *cmd);
	for (int i = 0; i < p.noperands; i++)
		cmd[i] = p.operands[i];
	cmd[p.noperands] = NULL;
	struct observe_run o;
	memset(&o, 0, sizeof o);
	o.argv = cmd;
	o.out = out;
	o.stop = &interrupted;
	memset(&e, 0, sizeof e);
	int rc = observe_run_execute(&o, key, &e);
	trace_key_free(key);
	if (rc < 0) {
		observe_run_free(&o);
		free(cmd);
		return cli_fail_err(&e);
	}
	char why[700];
	int code = outcome(&o, why, sizeof why);
	int shown = show(&o, json, code);
	observe_run_free(&o);
	free(cmd);
	if (shown != EXIT_OK)
		return shown;
	if (code != EXIT_OK) {
		char *w = cli_printable(why, strlen(why));
		/* --json printed its document already: the line goes to stderr only. */
		fprintf(stderr, "kaudit: observe: %s\n", w);
		free(w);
	}
	return code;
}
