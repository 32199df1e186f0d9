/*
 * detect_fixtures.h - synthetic record sequences for the detector tests:
 * small builders that append records the way the worker would emit them.
 * Every symbol is prefixed detfix_ because this support file is linked into
 * every unit test.
 */
#ifndef KAUDIT_DETECT_FIXTURES_H
#define KAUDIT_DETECT_FIXTURES_H

#include <stdint.h>

#include "trace/record.h"

/* Streams and threads the synthetic harness uses. */
#define DETFIX_HARNESS_STREAM 7
#define DETFIX_SIDE_STREAM 9
#define DETFIX_THREAD 100

struct detfix {
	struct record_list l;
	int64_t next_id, next_corr;
	int64_t t; /* the synthetic clock, ns */
};

void detfix_init(struct detfix *f);
void detfix_free(struct detfix *f);

/* Appends an empty record of type T (id assigned) and returns it; the
 * pointer is valid until the next append. */
struct record *detfix_add(struct detfix *f, enum record_type t, int64_t case_index,
			  enum record_impl impl, int64_t call, enum record_phase phase);

/* A device with PEAK_BW bytes/s, audit-wide. */
struct record *detfix_device(struct detfix *f, double peak_bw);
/* Case C: one f32 input and one f32 output of ELEMS elements each. */
struct record *detfix_case(struct detfix *f, int64_t c, double claimed, int64_t elems);
/* A launch api plus its kernel on STREAM over [START, END). */
void detfix_launch(struct detfix *f, int64_t c, enum record_impl impl, int64_t call,
		   int64_t stream, int64_t start, int64_t end, int in_call);
/* An api record NAME with stream/event arguments at host time AT. */
struct record *detfix_api(struct detfix *f, int64_t c, enum record_impl impl, int64_t call,
			  const char *name, int64_t stream, int64_t event, int64_t at,
			  int in_call);
/* A timed call: start event at T0, one kernel of KERNEL_NS on the harness
 * stream, stop event, sample.  Returns the sample record. */
struct record *detfix_timed_call(struct detfix *f, int64_t c, enum record_impl impl,
				 int64_t call, int64_t round, int64_t index, int64_t t0,
				 int64_t kernel_ns, int traced);
/* A correctness trial call: one kernel of KERNEL_NS on the harness stream
 * and a passing compare check. */
void detfix_trial_call(struct detfix *f, int64_t c, enum record_impl impl, int64_t call,
		       int64_t trial, int64_t t0, int64_t kernel_ns);
/* An honest case: device, case record, TRIALS trials per side, then
 * ROUNDS rounds of PER_ROUND ABAB samples with +-1% deterministic jitter.
 * Returns the next free call number; *T is the clock afterwards. */
int64_t detfix_honest_case(struct detfix *f, int64_t c, double claimed, int64_t base_ns,
			   int64_t cand_ns, int trials, int rounds, int per_round);
/* A check record (kind, ok) for a trial. */
struct record *detfix_check(struct detfix *f, int64_t c, enum record_impl impl,
			    int64_t call, const char *kind, int ok, int64_t trial);

/* Findings of CODE in L (case C, impl I; REC_NONE/IMPL_NONE match any). */
size_t detfix_count(const struct record_list *l, const char *code, int64_t c,
		    enum record_impl i);
const struct record *detfix_find(const struct record_list *l, const char *code);
/* Runs detect_all over F into OUT (fresh list). */
void detfix_detect(const struct detfix *f, struct record_list *out);

#endif
