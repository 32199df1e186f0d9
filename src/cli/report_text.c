/*
 * report_text.c - how `kaudit report` writes what a trace says: every
 * string escaped for HTML or for a markdown table cell, with control and
 * direction-changing characters made visible (a hostile trace may carry ESC
 * or U+202E), and numbers that are not finite as "-".
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/kreport.h"
#include "util/utf8.h"

/* Markdown: what could start emphasis, code, a link, an image, raw HTML,
 * an entity, strikethrough or math, a table cell break, or an escape. */
static const char md_special[] = "\\`*_[]<>&!~|$";

void kreport_escape(FILE *f, const char *s, enum kreport_esc mode)
{
	if (!s) {
		fputc('-', f);
		return;
	}
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s);
	while (*p) {
		uint32_t cp;
		size_t len = utf8_next(p, left, &cp);
		if (len == 0) {
			fprintf(f, "\\x%02x", *p++);
			left--;
			continue;
		}
		if (cp == '\n' || cp == '\t' || cp == '\r') {
			fputc(' ', f);
		} else if (utf8_invisible(cp)) {
			if (cp < 0x100)
				fprintf(f, "\\x%02x", (unsigned)cp);
			else
				fprintf(f, "\\u{%04x}", (unsigned)cp);
		} else if (mode == KREPORT_HTML && cp < 0x80 && strchr("&<>\"'", (int)cp)) {
			switch (cp) {
			case '&': fputs("&amp;", f); break;
			case '<': fputs("&lt;", f); break;
			case '>': fputs("&gt;", f); break;
			case '"': fputs("&quot;", f); break;
			default: fputs("&#39;", f); break;
			}
		} else if (mode == KREPORT_MD && cp < 0x80 && strchr(md_special, (int)cp)) {
			fputc('\\', f);
			fputc((int)cp, f);
		} else {
			fwrite(p, 1, len, f);
		}
		p += len;
		left -= len;
	}
}

const char *kreport_num(char *buf, size_t n, const char *fmt, double v)
{
	if (!isfinite(v))
		snprintf(buf, n, "-");
	else if (fabs(v) >= 1e9)
		snprintf(buf, n, "%.4g", v); /* a forged 1e300 must not fill BUF with digits */
	else
		snprintf(buf, n, fmt, v);
	return buf;
}

const char *kreport_ns(char *buf, size_t n, double ns)
{
	double a = fabs(ns);
	if (!isfinite(ns))
		snprintf(buf, n, "-");
	else if (a >= 1e15)
		snprintf(buf, n, "%.3g s", ns / 1e9);
	else if (a >= 1e9)
		snprintf(buf, n, "%.3f s", ns / 1e9);
	else if (a >= 1e6)
		snprintf(buf, n, "%.3f ms", ns / 1e6);
	else if (a >= 1e3)
		snprintf(buf, n, "%.2f us", ns / 1e3);
	else
		snprintf(buf, n, "%.0f ns", ns);
	return buf;
}

double kreport_get_num(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

const char *kreport_get_str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

void kreport_device_line(FILE *f, const json_t *dev, enum kreport_esc mode)
{
	char b[32];
	if (!dev) {
		fputs("(no device record)", f);
		return;
	}
	kreport_escape(f, kreport_get_str(dev, "name"), mode);
	fputs(", cc ", f);
	kreport_escape(f, kreport_get_str(dev, "cc"), mode);
	fprintf(f, ", %s SMs", kreport_num(b, sizeof b, "%.0f", kreport_get_num(dev, "sms")));
	fprintf(f, ", %s GiB", kreport_num(b, sizeof b, "%.1f",
					    kreport_get_num(dev, "mem_bytes") / 1073741824.0));
	fputs(", driver ", f);
	kreport_escape(f, kreport_get_str(dev, "driver"), mode);
	if (kreport_get_str(dev, "uuid")) {
		fputs(", ", f);
		kreport_escape(f, kreport_get_str(dev, "uuid"), mode);
	}
}

void kreport_audit_line(FILE *f, const json_t *audit, enum kreport_esc mode)
{
	if (!audit) {
		fputs("(no header)", f);
		return;
	}
	kreport_escape(f, kreport_get_str(audit, "time"), mode);
	fputs(" on ", f);
	kreport_escape(f, kreport_get_str(audit, "host"), mode);
	fputs(", kaudit ", f);
	kreport_escape(f, kreport_get_str(audit, "tool"), mode);
}

void kreport_json_text(FILE *f, const json_t *v, enum kreport_esc mode)
{
	/* Not compact: ", " separators let long evidence wrap. */
	char *s = v ? json_dumps(v, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10) |
				       JSON_ENCODE_ANY) : NULL;
	kreport_escape(f, s, mode);
	free(s);
}

void kreport_int(FILE *f, const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	if (json_is_integer(v))
		fprintf(f, "%lld", (long long)json_integer_value(v));
	else
		fputc('-', f);
}

const char *kreport_verdict_class(const char *v)
{
	static const char *const known[] = { "reproduced", "not-reproduced", "invalid",
					     "inconclusive", "error" };
	for (size_t i = 0; v && i < sizeof known / sizeof known[0]; i++)
		if (strcmp(v, known[i]) == 0)
			return known[i];
	return "unknown";
}

size_t kreport_ncases(const struct kreport_input *in)
{
	return in->cases ? trace_summary_acc_ncases(in->cases)
			 : json_array_size(json_object_get(in->summary, "cases"));
}

json_t *kreport_case_at(const struct kreport_input *in, size_t i)
{
	if (i >= kreport_ncases(in))
		return NULL;
	if (in->cases)
		return trace_summary_acc_case_at(in->cases, i);
	return json_incref(json_array_get(json_object_get(in->summary, "cases"), i));
}

double kreport_ci_at(const json_t *c, size_t i)
{
	const json_t *v = json_array_get(json_object_get(c, "ci"), i);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

const char *const kreport_impl_names[2] = { "baseline", "candidate" };

void kreport_round_rows(const struct kreport_case *k, const json_t *timing,
			void (*row)(FILE *f, const struct kreport_round_row *r), FILE *f)
{
	size_t maxr = k->impl[0].nrounds > k->impl[1].nrounds ? k->impl[0].nrounds
							     : k->impl[1].nrounds;
	for (size_t r = 0; r < maxr; r++)
		for (int w = 0; w < 2; w++) {
			if (r >= k->impl[w].nrounds || !k->impl[w].rounds[r])
				continue;
			const struct kreport_round *rd = k->impl[w].rounds[r];
			const json_t *m = json_array_get(json_object_get(json_object_get(timing,
						kreport_impl_names[w]), "round_medians_ns"), r);
			struct kreport_round_row x = { r, kreport_impl_names[w], rd->count, "", "", "" };
			kreport_ns(x.median, sizeof x.median,
				   json_is_number(m) ? json_number_value(m) : NAN);
			kreport_ns(x.min, sizeof x.min, rd->min);
			kreport_ns(x.max, sizeof x.max, rd->max);
			row(f, &x);
		}
}
