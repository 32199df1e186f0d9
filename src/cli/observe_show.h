/*
 * observe_show.h - what inspect, check and observe show of an observation
 * (a trace `kaudit observe` wrote): the command, its processes, the timing
 * windows with what each covered, the findings and the verdict.  The
 * windows are derived again from the records (detect/detect.h), never read
 * from anything the trace stores about them.
 */
#ifndef KAUDIT_CLI_OBSERVE_SHOW_H
#define KAUDIT_CLI_OBSERVE_SHOW_H

#include <jansson.h>

#include "trace/record.h"

/* Fed every record a reader streams past: keeps copies of an observation's
 * audit-wide records (the header says whether it is one). */
struct observe_keep {
	struct record_list l;
	int active;
	json_t *meta;    /* header.observe */
};
void observe_keep_record(struct observe_keep *k, const struct record *r);
/* The "observation" object of the result schema (new reference), NULL when
 * the trace is not an observation. */
json_t *observe_keep_summary(const struct observe_keep *k);
void observe_keep_free(struct observe_keep *k);

/* Its text (OBS already through cli_printable_json). */
void observe_print(const json_t *obs);

#endif
