/*
 * environment.c - warnings about the audit's circumstances rather than the
 * implementations: clock-throttled (the GPU ran slower than it can) and
 * trace-incomplete (the collector lost records, so the trace cannot prove
 * that something did not happen).
 */
#include <stdlib.h>
#include <string.h>

#include "detect/detect_private.h"

/* NVML clocks-event reasons (nvmlClocksEventReasons*) that mean the GPU
 * slowed down for power or heat: SwPowerCap 0x4, HwSlowdown 0x8,
 * SwThermalSlowdown 0x20, HwThermalSlowdown 0x40, HwPowerBrakeSlowdown
 * 0x80.  Idle (0x1), application clocks (0x2), sync boost (0x10) and
 * display (0x100) are not throttling. */
#define THROTTLE_MASK 0xECLL
#define THROTTLE_IDLE 0x1LL
/* An SM clock more than 10% below its maximum while not idle: boost
 * clocks wander by a few percent; 10% is a real slowdown. */
#define CLOCK_MARGIN 0.10

static void clocks(const struct record *d, int64_t case_index, struct record_list *out)
{
	const struct rec_device *v = &d->u.device;
	int64_t bits = v->throttle != REC_NONE ? v->throttle & THROTTLE_MASK : 0;
	int idle = v->throttle != REC_NONE && (v->throttle & THROTTLE_IDLE);
	int slow = !idle && v->sm_clock_mhz != REC_NONE && v->max_sm_clock_mhz != REC_NONE &&
		   v->max_sm_clock_mhz > 0 &&
		   (double)v->sm_clock_mhz < (double)v->max_sm_clock_mhz * (1 - CLOCK_MARGIN);
	if (!bits && !slow)
		return;
	json_t *ev = json_object();
	if (v->throttle != REC_NONE)
		json_object_set_new(ev, "throttle", json_integer(v->throttle));
	json_object_set_new(ev, "throttle_bits", json_integer(bits));
	if (v->sm_clock_mhz != REC_NONE)
		json_object_set_new(ev, "sm_clock_mhz", json_integer(v->sm_clock_mhz));
	if (v->max_sm_clock_mhz != REC_NONE)
		json_object_set_new(ev, "max_sm_clock_mhz", json_integer(v->max_sm_clock_mhz));
	struct detect_ids ids;
	detect_ids_init(&ids);
	detect_ids_add(&ids, d);
	detect_ids_into(&ids, ev);
	if (bits)
		detect_emit(out, case_index, IMPL_NONE, "clock-throttled", REC_NONE, REC_NONE,
			    REC_NONE, ev, "GPU reported power/thermal throttling (reasons 0x%llx)",
			    (unsigned long long)bits);
	else
		detect_emit(out, case_index, IMPL_NONE, "clock-throttled", REC_NONE, REC_NONE,
			    REC_NONE, ev, "SM clock %lld MHz is more than %.0f%% below its "
			    "maximum %lld MHz", (long long)v->sm_clock_mhz, CLOCK_MARGIN * 100,
			    (long long)v->max_sm_clock_mhz);
}

/* Dropped records of one scope (a case, or the audit). */
static void drops(const struct record *const *recs, size_t n, int64_t case_index,
		  struct record_list *out)
{
	int64_t total = 0;
	struct detect_ids ids;
	detect_ids_init(&ids);
	for (size_t i = 0; i < n; i++) {
		const struct record *r = recs[i];
		if (r->type != REC_DROPPED || r->u.dropped.count <= 0)
			continue;
		/* Saturate: a forged count must not overflow. */
		total = r->u.dropped.count > INT64_MAX - total ? INT64_MAX
							       : total + r->u.dropped.count;
		detect_ids_add(&ids, r);
	}
	if (total == 0) {
		json_decref(ids.ids);
		return;
	}
	json_t *ev = json_object();
	json_object_set_new(ev, "dropped", json_integer(total));
	detect_ids_into(&ids, ev);
	detect_emit(out, case_index, IMPL_NONE, "trace-incomplete", REC_NONE, REC_NONE,
		    REC_NONE, ev, "the collector dropped %lld records: the trace cannot "
		    "prove the absence of activity", (long long)total);
}

void detect_environment(const struct detect_index *ix, struct record_list *out)
{
	/* One device record per scope is judged: workers repeat it. */
	if (ix->device && ix->audit_wide)
		clocks(ix->device, REC_NONE, out);
	drops((const struct record *const *)ix->global, ix->nglobal, REC_NONE, out);
	for (size_t ci = 0; ci < ix->ncases; ci++) {
		const struct detect_case *c = &ix->cases[ci];
		if (c->device && c->device->case_index == c->case_index)
			clocks(c->device, c->case_index, out);
		drops(c->recs, c->n, c->case_index, out);
	}
}
