/*
 * detect.c - the table of detectors and the entry point that runs them.
 * Each detector lives in its own file (one finding family each) and is a
 * pure function of the indexed records.
 */
#include "detect/detect_private.h"

/* Order is the order findings appear in: correctness first (what a reader
 * looks at first), then what the GPU really did, then timing warnings,
 * then the confinement the audited code ran under. */
const struct detector detect_detectors[] = {
	{ "checks", detect_checks },
	{ "invalid-return", detect_invalid_return },
	{ "degenerate-reference", detect_degenerate },
	{ "foreign-stream", detect_foreign_stream },
	{ "timing-escape", detect_timing_escape },
	{ "deferred-launch", detect_deferred_launch },
	{ "work-drift", detect_work_drift },
	{ "roofline", detect_roofline },
	{ "timing", detect_timing_health },
	{ "environment", detect_environment },
	{ "sandbox", detect_sandbox },
	{ "observe", detect_observe },
	{ NULL, NULL }
};

int detect_all(const struct record *recs, size_t n, struct record_list *out)
{
	struct detect_index ix;
	detect_index_build(&ix, recs, n);
	for (const struct detector *d = detect_detectors; d->name; d++)
		d->fn(&ix, out);
	detect_index_free(&ix);
	return 0;
}
