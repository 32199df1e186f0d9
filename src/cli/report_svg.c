/*
 * report_svg.c - the picture of a case's timing in `kaudit report`: a strip
 * plot, one row per round and implementation on one time axis for the case
 * (logarithmic when baseline and candidate are far apart, so both stay
 * readable), each traced sample a dot, each round's median a dark bar, the
 * overall median of each implementation a dashed line.  Plain inline SVG:
 * no script, no font or style from outside.
 */
#include <math.h>
#include <string.h>

#include "cli/kreport.h"

#define SVG_W 960.0
#define SVG_LEFT 150.0   /* row labels */
#define SVG_RIGHT 70.0   /* sample counts */
#define SVG_TOP 34.0     /* legend */
#define SVG_ROW 22.0
#define SVG_AXIS 40.0    /* ticks and the axis title */
/* More ticks than this on a logarithmic axis: decades only. */
#define SVG_MAX_TICKS 16

static const char *const impl_name[2] = { "baseline", "candidate" };
static const char *const impl_color[2] = { "#2b6cb0", "#c05621" };

struct axis {
	double lo, hi;   /* shown range, in ns */
	int log;
	double x0, w;    /* pixels */
};

static double axis_t(const struct axis *a, double v)
{
	return a->log ? log10(v) : v;
}

/* The x pixel of V, or NaN when V cannot be drawn on A. */
static double axis_x(const struct axis *a, double v)
{
	if (!isfinite(v) || (a->log && v <= 0))
		return NAN;
	double t0 = axis_t(a, a->lo), t1 = axis_t(a, a->hi);
	double x = a->x0 + (axis_t(a, v) - t0) / (t1 - t0) * a->w;
	return x < a->x0 ? a->x0 : x > a->x0 + a->w ? a->x0 + a->w : x;
}

/* The round median stored in the summary (trace_summary's per-round
 * medians of the same traced samples), NaN if none. */
static double round_median(const json_t *timing, int which, size_t round)
{
	const json_t *t = json_object_get(timing, impl_name[which]);
	const json_t *v = json_array_get(json_object_get(t, "round_medians_ns"), round);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static void widen(double *lo, double *hi, double v, int positive_only)
{
	if (!isfinite(v) || (positive_only && v <= 0))
		return;
	if (!isfinite(*lo) || v < *lo)
		*lo = v;
	if (!isfinite(*hi) || v > *hi)
		*hi = v;
}

/* The shared axis over every round's extremes and medians; 0 when nothing
 * finite is there to draw. */
static int axis_fit(struct axis *a, const struct kreport_case *c, const json_t *timing)
{
	double lo = NAN, hi = NAN, plo = NAN, phi = NAN;
	for (int w = 0; w < 2; w++) {
		const struct kreport_series *s = &c->impl[w];
		for (size_t r = 0; r < s->nrounds; r++) {
			if (!s->rounds[r])
				continue;
			double m = round_median(timing, w, r);
			double v[3] = { s->rounds[r]->min, s->rounds[r]->max, m };
			for (int i = 0; i < 3; i++) {
				widen(&lo, &hi, v[i], 0);
				widen(&plo, &phi, v[i], 1);
			}
		}
	}
	if (!isfinite(lo) || !isfinite(hi - lo))
		return 0;
	a->log = isfinite(plo) && plo == lo && phi / plo > 4;
	if (a->log) {
		/* A little room either side, a tenth of a decade. */
		a->lo = lo / 1.26;
		a->hi = hi * 1.26;
	} else {
		double pad = hi > lo ? (hi - lo) * 0.05 : (fabs(lo) > 0 ? fabs(lo) * 0.05 : 1);
		a->lo = lo - pad;
		a->hi = hi + pad;
		if (lo >= 0 && a->lo < 0)
			a->lo = 0;
		if (!isfinite(a->hi - a->lo) || a->hi <= a->lo)
			return 0;
	}
	a->x0 = SVG_LEFT;
	a->w = SVG_W - SVG_LEFT - SVG_RIGHT;
	return 1;
}

static void tick(FILE *f, const struct axis *a, double v, double y)
{
	double x = axis_x(a, v);
	if (!isfinite(x))
		return;
	char b[32];
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#cbd5e0\"/>\n",
		x, SVG_TOP - 4, x, y);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x, y + 14,
		kreport_ns(b, sizeof b, v));
}

static void ticks(FILE *f, const struct axis *a, double y)
{
	if (a->log) {
		int d0 = (int)floor(log10(a->lo)), d1 = (int)ceil(log10(a->hi));
		int decades_only = (d1 - d0) * 3 > SVG_MAX_TICKS;
		int step = decades_only && d1 - d0 > SVG_MAX_TICKS ? (d1 - d0) / SVG_MAX_TICKS + 1 : 1;
		for (int d = d0; d <= d1; d += step) {
			static const double m[3] = { 1, 2, 5 };
			for (int i = 0; i < (decades_only ? 1 : 3); i++) {
				double v = m[i] * pow(10, d);
				if (v >= a->lo && v <= a->hi)
					tick(f, a, v, y);
			}
		}
		return;
	}
	double range = a->hi - a->lo;
	double step = pow(10, floor(log10(range / 5)));
	if (range / step > 25)
		step *= 5;
	else if (range / step > 10)
		step *= 2;
	if (!(step > 0) || !isfinite(step))
		return;
	for (double v = ceil(a->lo / step) * step, k = 0; v <= a->hi && k < 40; v += step, k++)
		tick(f, a, v, y);
}

static uint32_t jitter_hash(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	return x ^ (x >> 16);
}

static void row(FILE *f, const struct axis *a, const struct kreport_round *r, int w, size_t round,
		double median, double y)
{
	double mid = y + SVG_ROW / 2;
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">round %zu %s</text>\n",
		SVG_LEFT - 8, mid + 4, round, impl_name[w]);
	double x1 = axis_x(a, r->min), x2 = axis_x(a, r->max);
	if (isfinite(x1) && isfinite(x2))
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
			"stroke-opacity=\"0.35\"/>\n", x1, mid, x2, mid, impl_color[w]);
	for (size_t i = 0; i < r->kept; i++) {
		double x = axis_x(a, r->pts[i]);
		if (!isfinite(x))
			continue;
		double dy = ((double)(jitter_hash((uint32_t)(i * 2654435761u + round * 7 + w)) % 1000) /
			     1000.0 - 0.5) * (SVG_ROW - 10);
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.6\" fill=\"%s\" "
			"fill-opacity=\"0.6\"/>\n", x, mid + dy, impl_color[w]);
	}
	double xm = axis_x(a, median);
	if (isfinite(xm)) {
		char b[32];
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"3\" height=\"%.1f\" fill=\"#1a202c\">"
			"<title>round %zu %s median %s</title></rect>\n", xm - 1.5, y + 2, SVG_ROW - 4,
			round, impl_name[w], kreport_ns(b, sizeof b, median));
	}
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">n=%llu</text>\n", SVG_W - SVG_RIGHT + 8, mid + 4,
		(unsigned long long)r->count);
}

static void legend(FILE *f)
{
	double x = SVG_LEFT;
	for (int w = 0; w < 2; w++, x += 120) {
		fprintf(f, "<circle cx=\"%.1f\" cy=\"14\" r=\"4\" fill=\"%s\"/>"
			"<text x=\"%.1f\" y=\"18\">%s</text>\n", x, impl_color[w], x + 9, impl_name[w]);
	}
	fprintf(f, "<rect x=\"%.1f\" y=\"7\" width=\"3\" height=\"14\" fill=\"#1a202c\"/>"
		"<text x=\"%.1f\" y=\"18\">median of a round</text>\n", x, x + 9);
	x += 150;
	fprintf(f, "<line x1=\"%.1f\" y1=\"14\" x2=\"%.1f\" y2=\"14\" stroke=\"#4a5568\" "
		"stroke-dasharray=\"4 3\"/><text x=\"%.1f\" y=\"18\">overall median</text>\n",
		x, x + 18, x + 24);
}

static void empty_plot(FILE *f, const char *why)
{
	fprintf(f, "<svg class=\"plot\" viewBox=\"0 0 %.0f 40\" "
		"role=\"img\" aria-label=\"timing plot\" font-family=\"DejaVu Sans, sans-serif\" "
		"font-size=\"13\"><text x=\"10\" y=\"25\" fill=\"#4a5568\">%s</text></svg>\n", SVG_W, why);
}

void svg_case_plot(FILE *f, const struct kreport_case *c, const json_t *timing)
{
	struct axis a;
	if (!c) {
		empty_plot(f, "no timing samples in this trace for this case");
		return;
	}
	if (!axis_fit(&a, c, timing)) {
		empty_plot(f, "no finite sample times to draw");
		return;
	}
	size_t nrows = 0;
	for (int w = 0; w < 2; w++)
		for (size_t r = 0; r < c->impl[w].nrounds; r++)
			nrows += c->impl[w].rounds[r] != NULL;
	double h = SVG_TOP + (double)nrows * SVG_ROW + SVG_AXIS;
	fprintf(f, "<svg class=\"plot\" viewBox=\"0 0 %.0f %.0f\" "
		"role=\"img\" aria-label=\"event time of each timed call, per round\" "
		"font-family=\"DejaVu Sans, sans-serif\" font-size=\"12\" fill=\"#2d3748\">\n",
		SVG_W, h);
	legend(f);
	double axis_y = SVG_TOP + (double)nrows * SVG_ROW + 4;
	size_t maxr = c->impl[0].nrounds > c->impl[1].nrounds ? c->impl[0].nrounds : c->impl[1].nrounds;
	/* Rounds in order, the two implementations of a round together; first
	 * the bands (alternating per round, so a round's rows read as one),
	 * then the grid, then the samples over both. */
	for (int pass = 0; pass < 2; pass++) {
		double y = SVG_TOP;
		for (size_t r = 0; r < maxr; r++)
			for (int w = 0; w < 2; w++) {
				if (r >= c->impl[w].nrounds || !c->impl[w].rounds[r])
					continue;
				if (pass == 0)
					fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
						"height=\"%.1f\" fill=\"%s\"/>\n", a.x0, y, a.w, SVG_ROW,
						r % 2 ? "#ffffff" : "#edf2f7");
				else
					row(f, &a, c->impl[w].rounds[r], w, r, round_median(timing, w, r), y);
				y += SVG_ROW;
			}
		if (pass == 0)
			ticks(f, &a, axis_y);
	}
	for (int w = 0; w < 2; w++) {
		const json_t *t = json_object_get(timing, impl_name[w]);
		double x = axis_x(&a, kreport_get_num(t, "median_event_ns"));
		if (isfinite(x))
			fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
				"stroke-dasharray=\"4 3\"/>\n", x, SVG_TOP, x, axis_y, impl_color[w]);
	}
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#4a5568\"/>\n",
		a.x0, axis_y, a.x0 + a.w, axis_y);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">event time per call "
		"(%s scale)</text>\n</svg>\n", a.x0 + a.w / 2, h - 6, a.log ? "logarithmic" : "linear");
}
