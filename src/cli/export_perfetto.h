/*
 * export_perfetto.h - `kaudit export --perfetto`: a trace's records as
 * Chrome trace-event JSON for ui.perfetto.dev (its legacy JSON importer)
 * and chrome://tracing.  What the file holds is in kaudit(1), export.
 *
 * Timestamps are microseconds rebased to the earliest drawn timestamp,
 * printed exactly from the integer nanoseconds ("us.nnn").  Work is linear
 * in the number of records (hash indexes built once).  A negative timestamp
 * is impossible on the CUPTI clock: such a record is left out (counted in
 * otherData.impossible_times); an end before its start is drawn with
 * duration 0 and "impossible_span": true in its args.
 */
#ifndef KAUDIT_EXPORT_PERFETTO_H
#define KAUDIT_EXPORT_PERFETTO_H

#include <stddef.h>

#include "trace/record.h"
#include "trace/trace.h"
#include "util/util.h"

/* Writes the JSON of RECS[0..N) through WRITE (0 on success, -1 on a failed
 * write, which stops the output).  Returns 0, or -1 when a write failed. */
int perfetto_write(const struct record *recs, size_t n,
		   int (*write)(void *self, const void *buf, size_t len),
		   void *self) KAUDIT_MUST_CHECK;

/* The same into OUT as one gzip member, written beside OUT and renamed into
 * place when complete (outfile.h): a failure leaves OUT as it was.  Refuses
 * an OUT that exists and is not a regular file, and one that is the file
 * INPUT (the trace being exported).  OUT "-" is standard output.  Errors
 * name the file (EXIT_BAD_INPUT). */
int export_perfetto(const struct record *recs, size_t n, const char *input, const char *out,
		    struct errbuf *e) KAUDIT_MUST_CHECK;

/* The same from the trace file INPUT, read in two streaming passes (memory
 * follows the largest case; the output is perfetto_write's, byte for byte),
 * or read whole where a pass could not reproduce it (records out of file
 * order, a case in pieces, drawn audit-wide records).  *C gets what the
 * reader learnt (trace_stream()); on -1 it holds nothing to free.  Errors
 * reading INPUT are trace_read()'s. */
int export_perfetto_stream(const char *input, const char *out, struct trace_contents *c,
			   struct errbuf *e) KAUDIT_MUST_CHECK;

#endif
