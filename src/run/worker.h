/*
 * worker.h - the worker's end of the wire (worker.c; the protocol itself
 * is wire.h).
 */
#ifndef KAUDIT_WORKER_H
#define KAUDIT_WORKER_H

#include "run/wire.h"

/* Reads and decodes the plan from FD (to EOF, at most RUN_PLAN_MAX). */
int run_plan_read(int fd, struct run_plan *p, struct errbuf *e) KAUDIT_MUST_CHECK;

/* Serves one worker of mode M: reads the plan on stdin and does what it
 * says.  0: done (records or the probe's line written); -1 with E: E->code
 * is the worker's exit status (1 a controlled failure already described by
 * an `error` record, 2 a bad plan or object, 3 no usable GPU) and E->msg
 * its one line for stderr. */
int run_worker_serve(enum run_mode m, struct errbuf *e);

struct claim;
/* The claim of the plan's case, from the manifest text the supervisor
 * sent (never the file on disk: an earlier case may have rewritten it);
 * fails when the case does not exist. */
int run_worker_plan_claim(const struct run_plan *p, struct claim **c,
			  struct errbuf *e) KAUDIT_MUST_CHECK;

#endif
