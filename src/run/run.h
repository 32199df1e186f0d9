/*
 * run.h - the supervisor side of a worker process (DESIGN section 5).
 *
 * run_worker() fork/execs a program with an argv (never a shell) in its own
 * process group, reads its stdout line by line (each line one record, or
 * free text for --probe), keeps the tail of its stderr for messages, and
 * enforces a timeout and an interruption flag by killing the whole group:
 * SIGTERM, then SIGKILL after a grace period.  The outcome is classified
 * (struct run_result) and run_result_error() turns a failed one into the
 * `error` record of the case.  Nothing here touches CUDA: only the worker
 * does.
 */
#ifndef KAUDIT_RUN_H
#define KAUDIT_RUN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "trace/record.h"
#include "util/util.h"
#include "run/sandbox.h"

/* How much of a worker's stderr (and of --probe's stdout) is kept: the end
 * is what explains a failure. */
#define RUN_TAIL_MAX (16u << 10)

/* Records one worker may stream for one case before it is stopped: the
 * supervisor keeps every record in memory for the detectors. */
#define RUN_MAX_RECORDS ((size_t)1 << 21)

/* Seconds between SIGTERM and SIGKILL. */
#define RUN_GRACE_S 2.0

/* The last bytes written to a stream (NUL-terminated). */
struct run_tail {
	char buf[RUN_TAIL_MAX + 1];
	size_t len;
	int truncated; /* earlier bytes were dropped */
};
void run_tail_append(struct run_tail *t, const char *data, size_t n);
/* The last non-blank line of T, without its newline, in OUT (truncated to
 * CAP - 1 bytes, control characters replaced); "" when none. */
void run_tail_last_line(const struct run_tail *t, char *out, size_t cap);

/* Splits a byte stream into lines with a ceiling on a line's length. */
struct run_lines {
	char *buf;      /* a partial line carried between feeds */
	size_t len, cap;
	size_t max;     /* longest accepted line, its '\n' included */
	int64_t lineno; /* lines delivered so far */
};
/* Called with each complete line (no '\n', not NUL-terminated).  Returns 0,
 * or -1 with E set to stop the stream. */
typedef int (*run_line_fn)(void *ctx, const char *line, size_t len, struct errbuf *e);
void run_lines_init(struct run_lines *l, size_t max);
/* Feeds N bytes; calls FN for every line they complete.  Fails when a line
 * grows past the ceiling or FN fails. */
int run_lines_feed(struct run_lines *l, const char *data, size_t n, run_line_fn fn,
		   void *ctx, struct errbuf *e) KAUDIT_MUST_CHECK;
/* Bytes of an unterminated last line (nonzero at EOF: a truncated record). */
size_t run_lines_pending(const struct run_lines *l);
void run_lines_release(struct run_lines *l);

enum run_status {
	RUN_OK,          /* exited 0, output well formed */
	RUN_EXIT,        /* exited with a nonzero code (exit_code) */
	RUN_SIGNAL,      /* killed by a signal it did not get from us (sig) */
	RUN_TIMEOUT,     /* ran past the timeout: killed */
	RUN_MALFORMED,   /* a stdout line did not decode */
	RUN_BROKE_PLAN,  /* a record the plan check (admit) refused */
	RUN_TOO_MANY,    /* more than max_records records */
	RUN_INTERRUPTED, /* *stop was raised (SIGINT/SIGTERM to kaudit): killed */
	RUN_SPAWN_FAILED /* could not be started at all (problem says why) */
};

struct run_opts {
	/* argv[0] is the program (a path, or a name looked up in PATH);
	 * NULL-terminated. */
	char *const *argv;
	double timeout_s;         /* <= 0: no timeout */
	double grace_s;           /* SIGTERM -> SIGKILL; <= 0: RUN_GRACE_S */
	/* Records mode (sink != NULL): every stdout line must decode as a
	 * record; its case_index is forced to case_index (a worker cannot write
	 * records for another case), its id reset, and it goes to SINK.  Text
	 * mode (sink == NULL): stdout's tail is kept in result.out. */
	const struct record_sink *sink;
	int64_t case_index;       /* REC_NONE: leave as sent */
	size_t max_records;       /* 0: RUN_MAX_RECORDS */
	size_t max_line;          /* 0: RECORD_MAX_LINE */
	volatile sig_atomic_t *stop; /* polled; nonzero kills the worker */
	/* Records mode: every decoded record is offered to ADMIT first (the
	 * plan check, run_check.c); a refusal stops the worker with
	 * RUN_BROKE_PLAN, the reason and the offending line in problem. */
	int (*admit)(void *ctx, const struct record *r, struct errbuf *e);
	void *admit_ctx;
	/* Written to the child's stdin, which is then closed (the plan);
	 * NULL: stdin is /dev/null. */
	const char *input;
	size_t input_len;
	/* The child's environment; NULL: the caller's. */
	char *const *envp;
	/* Applied by the child to itself after fork, before exec
	 * (sandbox.h); its report comes back in result.sandbox and, in
	 * records mode, as the first record delivered to the sink: a
	 * `sandbox` record of PROCESS, written by kaudit's own code before
	 * the program ran. */
	const struct sandbox_policy *sandbox;
	const char *process;
	/* Text mode: stderr goes where stdout goes (2>&1), and with
	 * CAPTURE_MAX > 0 all of it, in order, up to that many bytes, is kept
	 * in result.captured (the rest is read and dropped). */
	int merge_output;
	size_t capture_max;
};

struct run_result {
	enum run_status status;
	int exit_code;            /* RUN_OK/RUN_EXIT: the exit status */
	int sig;                  /* RUN_SIGNAL: the signal */
	int64_t records;          /* records delivered to the sink */
	int64_t worker_errors;    /* of them, `error` records the worker sent */
	size_t partial;           /* bytes of an unterminated last line */
	double elapsed_s;
	char problem[ERRBUF_LEN]; /* RUN_MALFORMED/RUN_BROKE_PLAN/RUN_TOO_MANY/RUN_SPAWN_FAILED */
	char *captured;           /* capture_max: the output (NUL-terminated, owned:
				     run_result_release) */
	size_t captured_len;
	int captured_truncated;
	int sandboxed;            /* a sandbox was requested and its report read */
	struct sandbox_report sandbox;
	struct run_tail err;      /* stderr tail */
	struct run_tail out;      /* text mode: stdout tail */
};

/* Runs O->argv to completion and classifies how it ended in *R (which may
 * be large: allocate it, don't put it on a small stack).  Returns 0 when
 * the worker ran (whatever its outcome), -1 only when the supervisor itself
 * failed (pipes, fork, the sink).  RUN_SPAWN_FAILED is an outcome, not a
 * failure: the program may be missing. */
int run_worker(const struct run_opts *o, struct run_result *r, struct errbuf *e) KAUDIT_MUST_CHECK;

/* Frees what R owns (result.captured), not R itself. */
void run_result_release(struct run_result *r);

/* Kills and reaps every remaining child of the calling process.  Done at
 * the end of every run_worker() in a child subreaper (PR_SET_CHILD_SUBREAPER,
 * which kaudit verify and lint are): orphans of a worker's descendants are
 * reparented to the supervisor, and none outlives its case. */
void run_sweep_children(void);

/* Decides how a status word from waitpid() ended a process we did not kill
 * ourselves: RUN_OK, RUN_EXIT (exit_code set) or RUN_SIGNAL (sig set). */
void run_classify_wait(int wstatus, struct run_result *r);

/* "SIGSEGV" for SIGSEGV; "signal N" (in a static buffer) for unknown ones. */
const char *run_signal_name(int sig);

/* One line describing R for humans: "crashed with SIGSEGV: <stderr line>". */
void run_result_describe(const struct run_result *r, char *out, size_t cap);

/* Fills OUT (record_init'ed here) with the `error` record for a failed
 * outcome of case CASE_INDEX: where (crash, timeout, worker, setup,
 * interrupted), message, signal, status.  Returns -1 (OUT untouched) for
 * RUN_OK. */
int run_result_error(const struct run_result *r, int64_t case_index, struct record *out);

#endif
