/*
 * run_check.h - the supervisor's check of one worker's record stream
 * against its plan (run_check.c says what is checked and why).
 */
#ifndef KAUDIT_RUN_CHECK_H
#define KAUDIT_RUN_CHECK_H

#include "run/wire.h"

struct run_check {
	enum run_mode mode;
	int64_t case_index;
	struct audit_opts o;     /* the plan's seed and budgets */
	size_t records;
	int64_t devices, errors;
	int64_t samples;         /* samples so far: the next one's index */
	int64_t last_sample_call;
	int64_t round;           /* of the latest sample, -1 before the first */
	int controls_begun;      /* the latest round's controls have started */
	int64_t *traced, *untraced; /* [2 * round + side] */
	unsigned char *compared; /* per trial: a compare check arrived */
	int64_t timing_checks;
	int64_t bait;            /* audit_bait_trial() of the plan */
	uint64_t draws;          /* traced candidate samples so far */
	int round_checked;       /* the latest round has a checked sample */
	int round_closed;        /* ... chosen by the round's end, not the seed */
};

/* For a worker of mode M running case CASE_INDEX (REC_NONE: none) with
 * budgets O (mode RUN_MODE_CASE; else may be NULL). */
void run_check_init(struct run_check *c, enum run_mode m, int64_t case_index,
		    const struct audit_opts *o);
/* The next record of the stream: 0, or -1 with why in E. */
int run_check_record(struct run_check *c, const struct record *r,
		     struct errbuf *e) KAUDIT_MUST_CHECK;
/* After a worker that exited 0: -1 when it delivered less than its plan
 * promises. */
int run_check_finish(const struct run_check *c, struct errbuf *e) KAUDIT_MUST_CHECK;
void run_check_release(struct run_check *c);

#endif
