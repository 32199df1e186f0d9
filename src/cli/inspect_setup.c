/*
 * inspect_setup.c - the part of `inspect` that says how the audit was set
 * up, rendered from trace_summary(): the banners a reader must not miss
 * (SYNTHETIC, STAND-IN), the GPU plugin, what the signature covers, the
 * margin, device, clocks and ECC, toolkit, sandbox, sources and builds.
 * The summary it gets has its strings made printable already.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_inspect.h"

static const char *sget(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static const char *or_q(const char *s)
{
	return s ? s : "?";
}

static long long iget(const json_t *o, const char *k, long long dflt)
{
	const json_t *v = json_object_get(o, k);
	return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

/* A line built piece by piece, as long as it needs to be. */
struct line {
	char *s;
	size_t len, cap;
};

static void line_add(struct line *l, const char *fmt, ...) KAUDIT_PRINTF(2, 3);
static void line_add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	xgrow((void **)&l->s, &l->cap, l->len + (size_t)n + 1, 1);
	va_start(ap, fmt);
	vsnprintf(l->s + l->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	l->len += (size_t)n;
}

static void line_print(struct line *l, const char *label)
{
	inspect_wrap_label(label, l->s ? l->s : "", 10, "", "");
	free(l->s);
	*l = (struct line){ 0 };
}

void inspect_print_banners(const json_t *s, const struct inspect_style *st)
{
	if (json_is_true(json_object_get(s, "synthetic")))
		printf("%s%s*** SYNTHETIC: records made up for an example or a test, "
		       "not measured ***%s\n", st->bold, st->red, st->off);
	if (!json_is_true(json_object_get(s, "stand_in")))
		return;
	const json_t *p = json_object_get(s, "plugin");
	struct line l = { 0 };
	if (!json_is_object(p))
		line_add(&l, "*** STAND-IN: the trace does not name the GPU plugin that "
			 "measured it; its timings cannot be taken for kaudit's ***");
	else
		line_add(&l, "*** STAND-IN: measured by %s from %s, not by kaudit's own GPU "
			 "plugin: its timings are whatever that plugin declares ***",
			 or_q(sget(p, "path")), or_q(sget(p, "origin")));
	inspect_wrap_label(NULL, l.s, 0, st->red, st->off);
	free(l.s);
}

static void print_plugin(const json_t *s)
{
	const json_t *p = json_object_get(s, "plugin");
	struct line l = { 0 };
	if (!json_is_object(p)) {
		line_add(&l, "none named%s", json_is_true(json_object_get(s, "synthetic"))
			 ? " (synthetic records)" : " (a trace of kaudit 0.1, or not kaudit's)");
	} else {
		const char *origin = sget(p, "origin");
		line_add(&l, "%s %s sha256 %.16s...",
			 origin && strcmp(origin, "kaudit") == 0 ? "kaudit's own," : "STAND-IN from $KAUDIT_GPU_LIB,",
			 or_q(sget(p, "path")), or_q(sget(p, "sha256")));
	}
	line_print(&l, "plugin");
}

static void print_signature_scope(const json_t *s)
{
	if (!json_is_true(json_object_get(s, "intact")))
		return;
	struct line l = { 0 };
	if (json_is_true(json_object_get(s, "file_bound")))
		line_add(&l, "covers the records and the bytes of this file before the "
			 "signature");
	else
		line_add(&l, "covers the records, not this file's bytes (the statement "
			 "format of kaudit 0.1)");
	line_print(&l, "signature");
}

static void print_margin(const json_t *s)
{
	const json_t *m = json_object_get(json_object_get(s, "audit"), "margin");
	if (!json_is_number(m)) {
		printf("margin    not recorded (check assumes 10%%)\n");
		return;
	}
	double v = json_number_value(m);
	printf("margin    %g%%: a case reproduces when measured >= claimed x %g\n", v * 100,
	       1 - v);
}

static void print_device(const json_t *dev)
{
	if (!dev)
		return;
	const json_t *mem = json_object_get(dev, "mem_bytes");
	struct line l = { 0 };
	line_add(&l, "%s, cc %s, %lld SMs, %.1f GiB, driver %s", or_q(sget(dev, "name")),
		 or_q(sget(dev, "cc")), iget(dev, "sms", 0),
		 json_is_integer(mem) ? (double)json_integer_value(mem) / 1073741824.0 : 0.0,
		 or_q(sget(dev, "driver")));
	line_print(&l, "device");
	long long sm = iget(dev, "sm_clock_mhz", -1), max = iget(dev, "max_sm_clock_mhz", -1);
	long long memc = iget(dev, "mem_clock_mhz", -1), thr = iget(dev, "throttle", -1);
	if (sm >= 0 || memc >= 0) {
		line_add(&l, "SM %lld of %lld MHz, memory %lld MHz, ", sm, max, memc);
		if (thr < 0)
			line_add(&l, "throttle unknown");
		else if (thr == 0)
			line_add(&l, "not throttled");
		else
			line_add(&l, "THROTTLED (reasons 0x%llx)", thr);
		line_print(&l, "clocks");
	}
	const json_t *ecc = json_object_get(dev, "ecc"), *pers = json_object_get(dev, "persistence");
	printf("memory    ECC %s, persistence mode %s\n",
	       json_is_boolean(ecc) ? (json_is_true(ecc) ? "on" : "OFF") : "unknown",
	       json_is_boolean(pers) ? (json_is_true(pers) ? "on" : "off") : "unknown");
	line_add(&l, "CUDA runtime %s, CUPTI %s, nvcc %s", or_q(sget(dev, "runtime")),
		 or_q(sget(dev, "cupti")), or_q(sget(dev, "nvcc")));
	line_print(&l, "toolkit");
}

static void print_sandbox(const json_t *sb, const struct inspect_style *st)
{
	long long n = iget(sb, "processes", 0), bad = iget(sb, "degraded", 0);
	struct line l = { 0 };
	if (n == 0) {
		printf("sandbox   no sandbox records (synthetic, or a trace of kaudit 0.1)\n");
		return;
	}
	if (bad == 0) {
		line_add(&l, "%lld process%s ran claimant code, all confined: no_new_privs, "
			 "seccomp, Landlock ABI %lld", n, n == 1 ? "" : "es",
			 iget(sb, "landlock_abi", 0));
		line_print(&l, "sandbox");
		return;
	}
	line_add(&l, "DEGRADED in %lld of %lld processes that ran claimant code:", bad, n);
	size_t i;
	const json_t *r;
	json_array_foreach(json_object_get(sb, "refused"), i, r)
		line_add(&l, "%s %s refused (%s)", i ? ";" : "", or_q(sget(r, "layer")),
			 or_q(sget(r, "why")));
	inspect_wrap_label("sandbox", l.s, 10, st->red, st->off);
	free(l.s);
}

static void print_sources(const json_t *s)
{
	size_t i;
	const json_t *src;
	json_array_foreach(json_object_get(s, "sources"), i, src) {
		struct line l = { 0 };
		line_add(&l, "%s %s: %s", or_q(sget(src, "kernel")), or_q(sget(src, "impl")),
			 or_q(sget(src, "path")));
		const char *kind = sget(src, "kind");
		if (kind && strcmp(kind, "source") != 0)
			line_add(&l, " (%s)", kind);
		long long bytes = iget(src, "bytes", -1);
		if (bytes >= 0)
			line_add(&l, ", %lld B", bytes);
		if (sget(src, "sha256"))
			line_add(&l, ", sha256 %.16s...", sget(src, "sha256"));
		if (sget(src, "error"))
			line_add(&l, ", unreadable: %s", sget(src, "error"));
		else if (!json_is_true(json_object_get(src, "embedded")))
			line_add(&l, ", text not embedded");
		line_print(&l, i == 0 ? "sources" : NULL);
	}
}

static void print_builds(const json_t *s)
{
	size_t i;
	const json_t *b;
	json_array_foreach(json_object_get(s, "builds"), i, b) {
		struct line l = { 0 };
		line_add(&l, "%s %s: ", or_q(sget(b, "kernel")), or_q(sget(b, "impl")));
		if (!json_is_true(json_object_get(b, "ok")))
			line_add(&l, "FAILED, ");
		if (sget(b, "nvcc"))
			line_add(&l, "nvcc %s %s", sget(b, "nvcc"), or_q(sget(b, "arch")));
		else
			line_add(&l, "prebuilt");
		size_t k;
		const json_t *f;
		json_array_foreach(json_object_get(b, "flags"), k, f)
			line_add(&l, " %s", or_q(json_string_value(f)));
		if (json_is_true(json_object_get(b, "cached")))
			line_add(&l, " (cached, re-hashed)");
		if (sget(b, "so_sha256"))
			line_add(&l, ", object sha256 %.16s...", sget(b, "so_sha256"));
		line_print(&l, i == 0 ? "builds" : NULL);
	}
}

void inspect_print_setup(const json_t *s, const struct inspect_style *st)
{
	print_plugin(s);
	print_signature_scope(s);
	print_margin(s);
	print_device(json_object_get(s, "device"));
	print_sandbox(json_object_get(s, "sandbox"), st);
	print_sources(s);
	print_builds(s);
}
