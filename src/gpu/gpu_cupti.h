/*
 * gpu_cupti.h - inside the GPU plugin: the CUPTI side of the collector,
 * split along its seams.  gpu_cupti_args.c reads the arguments of the API
 * calls the detectors reason about (callback data -> stream, event,
 * launch); gpu_activity.c turns CUPTI activity records into struct record
 * and owns the table of activity kinds.  gpu_collect.c (the lifecycle, the
 * callbacks and the lock) uses both; the attribution itself is
 * gpu_attrib.c, which includes no CUPTI header.
 */
#ifndef KAUDIT_GPU_CUPTI_H
#define KAUDIT_GPU_CUPTI_H

#include <stdint.h>

#include <cupti.h>

#include "trace/record.h"

/* At an API call's entry: its stream and event arguments (CUPTI stream
 * IDs and event handles; REC_NONE where it has none or they are not read)
 * and whether it launches GPU work (1) or not (0). */
void gpu_cupti_api_args(CUpti_CallbackDomain dom, CUpti_CallbackId id,
			const CUpti_CallbackData *cb, int64_t *stream, int64_t *event,
			int *launch);
/* At a stream creation call's exit: the CUPTI ID of the stream it created
 * (REC_NONE if it failed or is not one). */
int64_t gpu_cupti_created_stream(CUpti_CallbackDomain dom, CUpti_CallbackId id,
				 const CUpti_CallbackData *cb);

/* Converts A into R (record_init'ed here) and sets *CORR; returns 0 for a
 * kind kaudit does not collect (R untouched).  May call into CUPTI
 * (cuptiGetCallbackName): never with the collector's lock held. */
int gpu_activity_convert(const CUpti_Activity *a, struct record *r, uint32_t *corr);
/* Enables (ON) or disables every activity kind; a required kind that fails
 * fails the call (*KIND names it), optional ones are skipped. */
CUptiResult gpu_activity_enable(int on, const char **kind);

#endif
