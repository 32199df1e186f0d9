/*
 * observe_run.h - the supervisor of `kaudit observe`: runs a command
 * unchanged with kaudit's CUPTI injection library (CUDA_INJECTION64_PATH),
 * gathers what every process of it sends (run/observe_wire.h), judges the
 * timing windows (detect/observe_windows.c) and writes the signed trace.
 * cli/ parses options and renders the result.
 *
 * The command runs as the user, unconfined (it is the user's own
 * benchmark); the supervisor only attributes records by the kernel's pid
 * for each connection, admits the record types an observation holds, and
 * signs with a key the command never sees in memory (kaudit(1) OBSERVE).
 */
#ifndef KAUDIT_OBSERVE_RUN_H
#define KAUDIT_OBSERVE_RUN_H

#include <limits.h>
#include <signal.h>
#include <stddef.h>

#include "trace/record.h"
#include "trace/trace.h"
#include "util/util.h"

#define OBSERVE_LIB_NAME "libkaudit-observe.so"

struct observe_run {
	/* Set by the caller. */
	char **argv;                 /* the command, NULL-terminated */
	const char *out;             /* -o; NULL: ./observe-YYYYmmddTHHMMSSZ.kat */
	volatile sig_atomic_t *stop; /* raised by Ctrl-C: the command is waited for */

	/* Filled by observe_run_execute(). */
	struct record_list recs;     /* every record written, in trace order */
	char trace_path[PATH_MAX];
	int status, signal;          /* the command's exit (-1: none) */
	size_t processes, refused;   /* processes that connected; CUPTI refused */
	char refused_msg[512];       /* the first refusal, "pid N: MESSAGE" */
	size_t bad_lines;            /* lines refused (malformed, wrong type, too long) */
	int exec_failed;             /* the command could not be started */
	char exec_msg[512];
	const char *verdict;         /* the observation's, in recs */
};

/* Checks the environment (an injection tool already set, the library, a
 * GPU unless the library is a stand-in) and the -o target; then runs the
 * command, writes and signs the trace with KEY.  -1 with E when nothing
 * could be written (E->code says which exit). */
int observe_run_execute(struct observe_run *o, const struct trace_key *key, struct errbuf *e)
	KAUDIT_MUST_CHECK;
void observe_run_free(struct observe_run *o);

#endif
