/*
 * emit.c - helpers that turn an observation into a finding record, and the
 * small accessors the detectors share.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "detect/detect_private.h"

void detect_emit(struct record_list *out, int64_t case_index, enum record_impl impl,
		 const char *code, int64_t call, int64_t trial, int64_t sample,
		 json_t *evidence, const char *fmt, ...)
{
	struct record f;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	int nr = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (nr < 0)
		msg[0] = '\0';
	/* A longer message is cut: the evidence carries the numbers. */
	record_init(&f, REC_FINDING);
	f.case_index = case_index;
	f.phase = PHASE_ANALYSIS;
	f.impl = impl;
	f.call = call;
	f.u.finding.code = xstrdup(code);
	f.u.finding.severity = xstrdup(finding_severity_name(finding_code_severity(code)));
	f.u.finding.trial = trial;
	f.u.finding.sample = sample;
	f.u.finding.message = xstrdup(msg);
	f.u.finding.evidence = evidence ? evidence : json_object();
	record_list_push(out, &f);
}

void detect_ids_init(struct detect_ids *d)
{
	d->ids = json_array();
	d->total = 0;
}

void detect_ids_add(struct detect_ids *d, const struct record *r)
{
	d->total++;
	if (r->id != REC_NONE && json_array_size(d->ids) < DETECT_MAX_EVIDENCE_IDS)
		json_array_append_new(d->ids, json_integer(r->id));
}

void detect_ids_into(struct detect_ids *d, json_t *evidence)
{
	json_object_set_new(evidence, "records", d->ids);
	if ((size_t)d->total > json_array_size(d->ids))
		json_object_set_new(evidence, "records_total", json_integer(d->total));
	d->ids = NULL;
}

int detect_is_gpu_work(const struct record *r)
{
	return r->type == REC_KERNEL || r->type == REC_MEMCPY || r->type == REC_MEMSET;
}

int64_t detect_work_stream(const struct record *r)
{
	switch (r->type) {
	case REC_KERNEL:
		return r->u.kernel.stream;
	case REC_MEMCPY:
		return r->u.memcpy.stream;
	case REC_MEMSET:
		return r->u.memset.stream;
	default:
		return REC_NONE;
	}
}

int64_t detect_work_start(const struct record *r)
{
	switch (r->type) {
	case REC_KERNEL:
		return r->u.kernel.start;
	case REC_MEMCPY:
		return r->u.memcpy.start;
	case REC_MEMSET:
		return r->u.memset.start;
	default:
		return REC_NONE;
	}
}

int64_t detect_work_end(const struct record *r)
{
	switch (r->type) {
	case REC_KERNEL:
		return r->u.kernel.end;
	case REC_MEMCPY:
		return r->u.memcpy.end;
	case REC_MEMSET:
		return r->u.memset.end;
	default:
		return REC_NONE;
	}
}

size_t detect_case_samples(const struct detect_case *c, enum record_impl impl, int traced,
			   const struct record ***out)
{
	const struct record **v = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct record *r = c->recs[i];
		if (r->type != REC_SAMPLE || r->impl != impl)
			continue;
		/* traced is -1 (absent) in older traces: those were traced. */
		int t = r->u.sample.traced != 0;
		if (traced >= 0 && t != traced)
			continue;
		xgrow((void **)&v, &cap, n + 1, sizeof *v);
		v[n++] = r;
	}
	*out = v;
	return n;
}

double detect_sample_ns(const struct record *s)
{
	double t = s->u.sample.event_ns;
	return isfinite(t) && t >= 0 ? t : NAN;
}
