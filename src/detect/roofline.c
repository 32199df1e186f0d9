/*
 * roofline.c - roofline-violation: an implementation's median time is
 * below what the device can do for the minimum work of the case.
 *
 * Minimum bytes: every `in` buffer read once, every `out` buffer written
 * once, every `inout` buffer read and written once (the case record's
 * buffers), or the manifest's work.bytes when larger.  The floor is
 * bytes / (peak_bw * ROOFLINE_SLACK), and likewise work.flops /
 * (peak_flops * ROOFLINE_SLACK) when both are known.  An implementation
 * faster than that did not do the work on this call: it read a cached
 * answer, skipped inputs, or its time was not measured.
 *
 * The time is the median GPU span of the call's activity (span_ns, every
 * stream) over traced samples, else the median event time: the span cannot
 * be shortened by moving work off the timed stream.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect_private.h"
#include "detect/stats.h"

/* peak_bw is measured with a device-to-device copy, which reaches about
 * 80-90% of what the best streaming kernels sustain; the floor allows
 * kernels 20% above the measured copy bandwidth (and the same margin over
 * the flop/s bound) before calling it impossible.  A kernel at 95% of
 * measured peak is far from the floor. */
#define ROOFLINE_SLACK 1.2

static const struct {
	const char *name;
	int size;
} dtype_sizes[] = {
	{ "f16", 2 }, { "bf16", 2 }, { "f32", 4 }, { "f64", 8 }, { "i8", 1 },
	{ "u8", 1 },  { "i16", 2 },  { "i32", 4 }, { "i64", 8 }, { "u32", 4 },
};

static double buffer_bytes(const json_t *b)
{
	json_t *v = json_object_get(b, "bytes");
	if (json_is_integer(v) && json_integer_value(v) > 0)
		return (double)json_integer_value(v);
	const char *dt = json_string_value(json_object_get(b, "dtype"));
	const json_t *shape = json_object_get(b, "shape");
	double size = 0;
	for (size_t i = 0; dt && i < sizeof dtype_sizes / sizeof dtype_sizes[0]; i++)
		if (strcmp(dtype_sizes[i].name, dt) == 0)
			size = dtype_sizes[i].size;
	if (size == 0 || !json_is_array(shape))
		return 0;
	size_t i;
	json_t *d;
	json_array_foreach(shape, i, d) {
		if (!json_is_integer(d) || json_integer_value(d) <= 0)
			return 0;
		size *= (double)json_integer_value(d);
	}
	return size;
}

/* Bytes every correct implementation must move (0 if unknown). */
static double min_bytes(const struct rec_case *k)
{
	double total = 0;
	size_t i;
	json_t *b;
	if (json_is_array(k->buffers)) {
		json_array_foreach(k->buffers, i, b) {
			const char *role = json_string_value(json_object_get(b, "role"));
			double n = buffer_bytes(b);
			if (!role)
				continue;
			if (strcmp(role, "in") == 0 || strcmp(role, "out") == 0)
				total += n;
			else if (strcmp(role, "inout") == 0)
				total += 2 * n;
		}
	}
	if (k->work_bytes != REC_NONE && (double)k->work_bytes > total)
		total = (double)k->work_bytes;
	return total;
}

/* Median time of IMPL's traced samples; *SPAN says which clock. */
static double impl_time(const struct detect_case *c, enum record_impl impl, int *span,
			struct detect_ids *ids)
{
	const struct record **s;
	size_t n = detect_case_samples(c, impl, 1, &s);
	double *v = xmalloc((n ? n : 1) * sizeof *v);
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (isfinite(s[i]->u.sample.span_ns) && s[i]->u.sample.span_ns > 0)
			v[m++] = s[i]->u.sample.span_ns;
	*span = m > 0;
	if (m == 0)
		for (size_t i = 0; i < n; i++)
			v[m++] = detect_sample_ns(s[i]);
	double med = detect_median(v, m);
	for (size_t i = 0; i < n; i++)
		detect_ids_add(ids, s[i]);
	free(v);
	free(s);
	return med;
}

static void judge(const struct detect_case *c, enum record_impl impl, double bytes,
		  double flops, double bw, double fl, struct record_list *out)
{
	struct detect_ids ids;
	detect_ids_init(&ids);
	int span;
	double t = impl_time(c, impl, &span, &ids);
	double floor_bw = bytes > 0 && bw > 0 ? bytes / (bw * ROOFLINE_SLACK) * 1e9 : NAN;
	double floor_fl = flops > 0 && fl > 0 ? flops / (fl * ROOFLINE_SLACK) * 1e9 : NAN;
	int by_bytes = isfinite(floor_bw) && t < floor_bw;
	int by_flops = isfinite(floor_fl) && t < floor_fl;
	if (!isfinite(t) || (!by_bytes && !by_flops)) {
		json_decref(ids.ids);
		return;
	}
	json_t *ev = json_object();
	json_object_set_new(ev, "median_ns", json_real(t));
	json_object_set_new(ev, "clock", json_string(span ? "span" : "event"));
	json_object_set_new(ev, "bytes", json_real(bytes));
	if (isfinite(floor_bw)) {
		json_object_set_new(ev, "peak_bw", json_real(bw));
		json_object_set_new(ev, "floor_bytes_ns", json_real(floor_bw));
		json_object_set_new(ev, "achieved_bw", json_real(t > 0 ? bytes / t * 1e9 : 0));
	}
	if (isfinite(floor_fl)) {
		json_object_set_new(ev, "flops", json_real(flops));
		json_object_set_new(ev, "peak_flops", json_real(fl));
		json_object_set_new(ev, "floor_flops_ns", json_real(floor_fl));
	}
	json_object_set_new(ev, "slack", json_real(ROOFLINE_SLACK));
	if (c->device && c->device->id != REC_NONE)
		json_object_set_new(ev, "device_record", json_integer(c->device->id));
	detect_ids_into(&ids, ev);
	double fl_ns = by_bytes ? floor_bw : floor_fl;
	detect_emit(out, c->case_index, impl, "roofline-violation", REC_NONE, REC_NONE,
		    REC_NONE, ev,
		    "%s: median %s time %.0f ns is below the %s floor of %.0f ns for "
		    "this device",
		    record_impl_name(impl), span ? "GPU span" : "event", t,
		    by_bytes ? "memory-bandwidth" : "compute", fl_ns);
}

void detect_roofline(const struct detect_index *ix, struct record_list *out)
{
	for (size_t ci = 0; ci < ix->ncases; ci++) {
		const struct detect_case *c = &ix->cases[ci];
		if (!c->kase || !c->device)
			continue;
		const struct rec_device *d = &c->device->u.device;
		double bytes = min_bytes(&c->kase->u.kase);
		double flops = c->kase->u.kase.work_flops != REC_NONE
				       ? (double)c->kase->u.kase.work_flops : 0;
		for (int impl = IMPL_BASELINE; impl <= IMPL_CANDIDATE; impl++)
			judge(c, (enum record_impl)impl, bytes, flops, d->peak_bw, d->peak_flops,
			      out);
	}
}
