/*
 * run_outcome.c - naming how a worker ended, for the report and the trace.
 *
 * A failed case becomes one `error` record (kaudit-trace(5)): where it
 * failed, a message a reader can act on (the signal's name, the last line
 * the worker wrote on stderr), and the raw signal/status numbers.
 */
#include "run/run.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

static const struct {
	int sig;
	const char *name;
} signals[] = {
	{ SIGSEGV, "SIGSEGV" }, { SIGBUS, "SIGBUS" },   { SIGABRT, "SIGABRT" },
	{ SIGFPE, "SIGFPE" },   { SIGILL, "SIGILL" },   { SIGKILL, "SIGKILL" },
	{ SIGTERM, "SIGTERM" }, { SIGINT, "SIGINT" },   { SIGQUIT, "SIGQUIT" },
	{ SIGPIPE, "SIGPIPE" }, { SIGHUP, "SIGHUP" },   { SIGTRAP, "SIGTRAP" },
	{ SIGSYS, "SIGSYS" },   { SIGXCPU, "SIGXCPU" }, { SIGXFSZ, "SIGXFSZ" },
	{ SIGALRM, "SIGALRM" }, { SIGUSR1, "SIGUSR1" }, { SIGUSR2, "SIGUSR2" },
};

const char *run_signal_name(int sig)
{
	static char other[32];
	for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
		if (signals[i].sig == sig)
			return signals[i].name;
	snprintf(other, sizeof other, "signal %d", sig);
	return other;
}

void run_classify_wait(int wstatus, struct run_result *r)
{
	if (WIFSIGNALED(wstatus)) {
		r->status = RUN_SIGNAL;
		r->sig = WTERMSIG(wstatus);
		r->exit_code = -1;
	} else if (WIFEXITED(wstatus)) {
		r->exit_code = WEXITSTATUS(wstatus);
		r->status = r->exit_code == 0 ? RUN_OK : RUN_EXIT;
	} else {
		/* Stopped/continued never reach us (no WUNTRACED); be safe. */
		r->status = RUN_EXIT;
		r->exit_code = -1;
	}
}

/* The where of the error record, per outcome. */
static const char *where_of(const struct run_result *r)
{
	switch (r->status) {
	case RUN_SIGNAL:
		return "crash";
	case RUN_TIMEOUT:
		return "timeout";
	case RUN_INTERRUPTED:
		return "interrupted";
	case RUN_BROKE_PLAN:
		return "plan";
	case RUN_EXIT:
		return r->exit_code == EXIT_ENVIRONMENT ? "environment" : "worker";
	default:
		return "worker";
	}
}

void run_result_describe(const struct run_result *r, char *out, size_t cap)
{
	char what[ERRBUF_LEN + 64];
	char last[256];
	run_tail_last_line(&r->err, last, sizeof last);
	switch (r->status) {
	case RUN_OK:
		snprintf(what, sizeof what, "worker completed");
		break;
	case RUN_EXIT:
		if (r->exit_code == EXIT_ENVIRONMENT)
			snprintf(what, sizeof what, "worker could not use the GPU (exit 3)");
		else
			snprintf(what, sizeof what, "worker exited with status %d",
				 r->exit_code);
		break;
	case RUN_SIGNAL:
		snprintf(what, sizeof what, "worker crashed with %s",
			 run_signal_name(r->sig));
		break;
	case RUN_TIMEOUT:
		snprintf(what, sizeof what, "worker timed out after %.0f s and was killed",
			 r->elapsed_s);
		break;
	case RUN_INTERRUPTED:
		snprintf(what, sizeof what, "interrupted");
		break;
	case RUN_MALFORMED:
		snprintf(what, sizeof what, "worker sent malformed output: %s", r->problem);
		break;
	case RUN_BROKE_PLAN:
		snprintf(what, sizeof what, "worker broke its plan: %s", r->problem);
		break;
	case RUN_TOO_MANY:
		snprintf(what, sizeof what, "worker stopped: %s", r->problem);
		break;
	case RUN_SPAWN_FAILED:
		snprintf(what, sizeof what, "cannot start worker: %s", r->problem);
		break;
	}
	if (r->partial && r->status != RUN_OK && r->status != RUN_MALFORMED) {
		size_t k = strlen(what);
		snprintf(what + k, sizeof what - k, " (output ended inside a record)");
	}
	if (last[0] && r->status != RUN_SPAWN_FAILED && r->status != RUN_INTERRUPTED)
		snprintf(out, cap, "%s: %s", what, last);
	else
		snprintf(out, cap, "%s", what);
}

int run_result_error(const struct run_result *r, int64_t case_index, struct record *out)
{
	if (r->status == RUN_OK)
		return -1;
	char msg[ERRBUF_LEN + 300];
	run_result_describe(r, msg, sizeof msg);
	record_init(out, REC_ERROR);
	out->case_index = case_index;
	out->u.error.where = xstrdup(where_of(r));
	out->u.error.message = xstrdup(msg);
	if (r->status == RUN_SIGNAL)
		out->u.error.signal = r->sig;
	if (r->status == RUN_EXIT)
		out->u.error.status = r->exit_code;
	return 0;
}
