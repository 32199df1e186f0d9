/*
 * cmd_inspect.c - kaudit inspect TRACE [--json]: what a trace shows (claim,
 * device, verdicts, speedups, findings and their evidence, timings), in 80
 * columns; colour only on a terminal and never with NO_COLOR.  Works on a
 * truncated or unsigned trace, and says so first.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_inspect.h"
#include "cmds.h"
#include "trace/trace.h"

static const char usage[] = "kaudit inspect TRACE.kat [--json]";

struct style {
	const char *bold, *red, *green, *yellow, *off;
};

static const char *sget(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static double nget(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *verdict_color(const struct style *st, const char *v)
{
	if (!v)
		return st->yellow;
	if (strcmp(v, "reproduced") == 0)
		return st->green;
	if (strcmp(v, "invalid") == 0 || strcmp(v, "error") == 0)
		return st->red;
	return st->yellow;
}

/* Nanoseconds as a short human duration. */
static void fmt_ns(char *buf, size_t n, double ns)
{
	if (!isfinite(ns))
		snprintf(buf, n, "-");
	else if (ns >= 1e9)
		snprintf(buf, n, "%.3f s", ns / 1e9);
	else if (ns >= 1e6)
		snprintf(buf, n, "%.3f ms", ns / 1e6);
	else if (ns >= 1e3)
		snprintf(buf, n, "%.2f us", ns / 1e3);
	else
		snprintf(buf, n, "%.0f ns", ns);
}

/* Prints S wrapped at 78 columns with INDENT spaces before each line. */
static void wrap(const char *s, int indent)
{
	int col = indent;
	printf("%*s", indent, "");
	while (*s) {
		int gap = (int)strspn(s, " ");
		s += gap;
		if (!*s)
			break;
		const char *sp = strchr(s, ' ');
		int w = sp ? (int)(sp - s) : (int)strlen(s);
		/* The blanks before a word are printed only when the word stays
		 * on the line, so no line ends in a blank and alignment inside
		 * a line is kept. */
		if (col > indent && col + gap + w > 78) {
			printf("\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			printf("%*s", gap, "");
			col += gap;
		}
		printf("%.*s", w, s);
		col += w;
		s += w;
	}
	putchar('\n');
}

static void print_timing(const char *impl, const json_t *t)
{
	if (!t)
		return;
	char med[32], span[32], lo[32], hi[32];
	fmt_ns(med, sizeof med, nget(t, "median_event_ns"));
	fmt_ns(span, sizeof span, nget(t, "median_span_ns"));
	fmt_ns(lo, sizeof lo, nget(t, "min_event_ns"));
	fmt_ns(hi, sizeof hi, nget(t, "max_event_ns"));
	printf("    %-9s %s median, GPU span %s\n", impl, med, span);
	printf("              %lld samples, %s .. %s\n",
	       (long long)json_integer_value(json_object_get(t, "samples")), lo, hi);
	const json_t *rounds = json_object_get(t, "round_medians_ns");
	if (json_array_size(rounds) > 1) {
		char line[256] = "rounds:";
		size_t i;
		const json_t *v;
		json_array_foreach(rounds, i, v) {
			char b[32];
			fmt_ns(b, sizeof b, json_is_number(v) ? json_number_value(v) : NAN);
			size_t l = strlen(line);
			snprintf(line + l, sizeof line - l, " %s", b);
		}
		printf("              %s\n", line);
	}
}

static void print_case(const struct style *st, const json_t *c)
{
	char *params = json_dumps(json_object_get(c, "params"), JSON_COMPACT | JSON_PRESERVE_ORDER);
	const char *v = sget(c, "verdict");
	printf("\n%scase %lld  %s%s  %s\n", st->bold, (long long)json_integer_value(json_object_get(c, "case")),
	       sget(c, "kernel") ? sget(c, "kernel") : "?", st->off, params ? params : "");
	free(params);
	printf("  verdict   %s%s%s\n", verdict_color(st, v), v ? v : "(none recorded)", st->off);
	if (sget(c, "reason")) {
		char line[1024];
		snprintf(line, sizeof line, "reason    %s", sget(c, "reason"));
		wrap(line, 2);
	}
	if (sget(c, "error"))
		printf("  error     %s\n", sget(c, "error"));
	double m = nget(c, "measured"), cl = nget(c, "claimed");
	const json_t *ci = json_object_get(c, "ci");
	if (isfinite(m) || isfinite(cl)) {
		printf("  speedup   measured %.2fx", m);
		if (json_array_size(ci) == 2)
			printf(" (95%% CI %.2f-%.2f)", json_number_value(json_array_get(ci, 0)),
			       json_number_value(json_array_get(ci, 1)));
		printf(", claimed %.2fx\n", cl);
	}
	const json_t *timing = json_object_get(c, "timing");
	if (json_object_size(timing)) {
		printf("  timing\n");
		print_timing("baseline", json_object_get(timing, "baseline"));
		print_timing("candidate", json_object_get(timing, "candidate"));
	}
	const json_t *fs = json_object_get(c, "findings");
	if (json_array_size(fs) == 0) {
		printf("  findings  none\n");
		return;
	}
	printf("  findings\n");
	size_t i;
	const json_t *f;
	json_array_foreach(fs, i, f) {
		const char *sev = sget(f, "severity");
		int bad = sev && strcmp(sev, "invalidating") == 0;
		printf("    %s%s%s (%s", bad ? st->red : st->yellow, sget(f, "code"), st->off,
		       sev ? sev : "?");
		if (sget(f, "impl"))
			printf(", %s", sget(f, "impl"));
		if (json_is_integer(json_object_get(f, "trial")))
			printf(", trial %lld", (long long)json_integer_value(json_object_get(f, "trial")));
		if (json_is_integer(json_object_get(f, "sample")))
			printf(", sample %lld", (long long)json_integer_value(json_object_get(f, "sample")));
		printf(", record %lld)\n", (long long)json_integer_value(json_object_get(f, "record")));
		if (sget(f, "message"))
			wrap(sget(f, "message"), 6);
		/* Not compact: ", " separators let long evidence wrap. */
		char *ev = json_dumps(json_object_get(f, "evidence"), JSON_PRESERVE_ORDER);
		if (ev) {
			char line[1024];
			snprintf(line, sizeof line, "evidence: %s", ev);
			wrap(line, 6);
			free(ev);
		}
	}
}

/* The text rendering of trace_summary(); check prints the same head. */
void inspect_print_summary(const char *path, const json_t *s, int full)
{
	struct style st = { "", "", "", "", "" };
	if (cli_use_color(1))
		st = (struct style){ "\033[1m", "\033[31m", "\033[32m", "\033[33m", "\033[0m" };
	printf("%strace%s     %s (%lld records)\n", st.bold, st.off, path,
	       (long long)json_integer_value(json_object_get(s, "records")));
	if (json_is_true(json_object_get(s, "synthetic")))
		printf("%s%s*** SYNTHETIC: records made up for an example or a test, "
		       "not measured ***%s\n", st.bold, st.red, st.off);
	if (json_is_true(json_object_get(s, "intact")))
		printf("status    %sintact and signed%s\n", st.green, st.off);
	else
		printf("status    %s%s%s%s: %s\n", st.red,
		       json_is_true(json_object_get(s, "truncated")) ? "TRUNCATED" : "NOT INTACT",
		       json_is_true(json_object_get(s, "signed")) ? "" : ", UNSIGNED", st.off,
		       sget(s, "problem") ? sget(s, "problem") : "incomplete");
	if (sget(s, "signer_keyid"))
		printf("signer    %s\n", sget(s, "signer_keyid"));
	const json_t *claim = json_object_get(s, "claim");
	if (sget(claim, "title"))
		printf("claim     \"%s\"\n", sget(claim, "title"));
	if (sget(claim, "sha256"))
		printf("manifest  %s sha256 %.16s...\n", sget(claim, "path") ? sget(claim, "path") : "?",
		       sget(claim, "sha256"));
	const json_t *dev = json_object_get(s, "device");
	if (dev) {
		double mem = nget(dev, "mem_bytes");
		printf("device    %s, cc %s, %lld SMs, %.1f GiB, driver %s\n", sget(dev, "name"),
		       sget(dev, "cc") ? sget(dev, "cc") : "?",
		       (long long)json_integer_value(json_object_get(dev, "sms")),
		       isfinite(mem) ? mem / 1073741824.0 : 0.0,
		       sget(dev, "driver") ? sget(dev, "driver") : "?");
	}
	const json_t *audit = json_object_get(s, "audit");
	if (audit)
		printf("audit     %s on %s, kaudit %s\n", sget(audit, "time") ? sget(audit, "time") : "?",
		       sget(audit, "host") ? sget(audit, "host") : "?",
		       sget(audit, "tool") ? sget(audit, "tool") : "?");
	size_t i;
	const json_t *c;
	json_array_foreach(json_object_get(s, "cases"), i, c) {
		if (full) {
			print_case(&st, c);
		} else {
			const char *v = sget(c, "verdict");
			printf("case %-4lld %-24s %s%s%s\n",
			       (long long)json_integer_value(json_object_get(c, "case")),
			       sget(c, "kernel") ? sget(c, "kernel") : "?", verdict_color(&st, v),
			       v ? v : "(no verdict)", st.off);
		}
	}
	const char *v = sget(s, "verdict");
	printf("%sclaim verdict%s  %s%s%s\n", full ? "\n" : "", "", verdict_color(&st, v),
	       v ? v : "(none recorded)", st.off);
}

int cmd_inspect(int argc, char **argv)
{
	const char *path = NULL;
	int as_json = 0;
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("usage: %s\n\nSummarises a trace: claim, device, verdict per case, "
			       "measured vs claimed\nspeedup, findings with evidence, timings.  "
			       "Reads truncated traces up to\nthe last complete gzip member.  "
			       "See kaudit-trace(5).\n", usage);
			return EXIT_OK;
		}
		if (strcmp(argv[i], "--json") == 0)
			as_json = 1;
		else if (argv[i][0] == '-' || path)
			return cli_usage_error("inspect", usage, "unexpected argument '%s'", argv[i]);
		else
			path = argv[i];
	}
	if (!path)
		return cli_usage_error("inspect", usage, "a trace file is required");
	struct trace_contents c;
	struct errbuf e = { "", 0 };
	if (trace_read(path, &c, &e) < 0)
		return cli_fail_err(&e);
	json_t *s = trace_summary(&c);
	if (as_json) {
		json_object_set_new(s, "file", json_string(path));
		char *out = json_dumps(s, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (out)
			puts(out);
		free(out);
	} else {
		inspect_print_summary(path, s, 1);
	}
	json_decref(s);
	int intact = trace_integrity(&c, NULL, &e) == 0;
	trace_contents_free(&c);
	/* Everything readable was shown; the exit code still says the trace
	 * cannot be trusted as a whole (kaudit-trace(5)). */
	if (!intact)
		return cli_fail(EXIT_INTEGRITY, "%s: %s", path, e.msg);
	return EXIT_OK;
}
