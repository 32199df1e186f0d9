/*
 * cmd_export.c - kaudit export TRACE --perfetto OUT.json.gz
 *                                   | --attestation OUT.intoto.jsonl
 *
 * Perfetto: Chrome trace JSON in one gzip member.  Timestamps are
 * microseconds rebased to the earliest timestamp in the trace, printed with
 * exactly 3 decimals from the integer nanoseconds (no float rounding).
 * pid = device, tid = stream; kernels, memcpy and memset are slices, timed
 * windows and phases are slices on their own named tracks, findings are
 * instant events.  Attestation: the DSSE envelope alone, one line, only
 * from an intact signed trace (it would not verify otherwise).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "cli.h"
#include "cmds.h"
#include "trace/trace.h"

static const char usage[] =
	"kaudit export TRACE.kat --perfetto OUT.json.gz | --attestation OUT.intoto.jsonl";

/* Tracks that are not CUDA streams. */
#define TID_WINDOWS 1000000
#define TID_PHASES 1000001

struct out {
	gzFile gz;
	int64_t t0;
	int first;
	int failed;
};

static void emit(struct out *o, const char *fmt, ...) KAUDIT_PRINTF(2, 3);
static void emit(struct out *o, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof buf || gzwrite(o->gz, buf, (unsigned)n) != n)
		o->failed = 1;
}

/* NS rebased to the trace start as "us.nnn". */
static void us(char *buf, size_t n, int64_t ns)
{
	if (ns < 0)
		ns = 0;
	snprintf(buf, n, "%lld.%03lld", (long long)(ns / 1000), (long long)(ns % 1000));
}

static char *quoted(const char *s)
{
	json_t *j = json_string(s ? s : "?");
	char *q = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	json_decref(j);
	return q ? q : xstrdup("\"?\"");
}

static void slice(struct out *o, const char *name, const char *cat, int64_t start, int64_t end,
		  int64_t pid, int64_t tid, const char *args)
{
	if (start == REC_NONE || end == REC_NONE)
		return;
	char ts[32], dur[32];
	us(ts, sizeof ts, start - o->t0);
	us(dur, sizeof dur, end >= start ? end - start : 0);
	char *q = quoted(name);
	emit(o, "%s\n{\"name\":%s,\"cat\":\"%s\",\"ph\":\"X\",\"ts\":%s,\"dur\":%s,"
	     "\"pid\":%lld,\"tid\":%lld%s%s}", o->first ? "" : ",", q, cat, ts, dur,
	     (long long)pid, (long long)tid, args ? ",\"args\":" : "", args ? args : "");
	free(q);
	o->first = 0;
}

static void metadata(struct out *o, const char *what, int64_t pid, int64_t tid, const char *name)
{
	char *q = quoted(name);
	emit(o, "%s\n{\"name\":\"%s\",\"ph\":\"M\",\"pid\":%lld,\"tid\":%lld,"
	     "\"args\":{\"name\":%s}}", o->first ? "" : ",", what, (long long)pid,
	     (long long)tid, q);
	free(q);
	o->first = 0;
}

/* The record's [start, end] on the device/CUPTI clock, if it has one. */
static int span_of(const struct record *r, int64_t *s, int64_t *e)
{
	switch (r->type) {
	case REC_KERNEL: *s = r->u.kernel.start; *e = r->u.kernel.end; break;
	case REC_MEMCPY: *s = r->u.memcpy.start; *e = r->u.memcpy.end; break;
	case REC_MEMSET: *s = r->u.memset.start; *e = r->u.memset.end; break;
	case REC_SAMPLE: *s = r->u.sample.window_start; *e = r->u.sample.window_end; break;
	case REC_EVENT: *s = *e = r->u.event.ts; break;
	default: return 0;
	}
	return *s != REC_NONE && *e != REC_NONE;
}

static char *record_args(const struct record *r)
{
	json_t *a = json_pack("{s:I}", "record", (json_int_t)r->id);
	if (r->case_index != REC_NONE)
		json_object_set_new(a, "case", json_integer(r->case_index));
	if (record_impl_name(r->impl))
		json_object_set_new(a, "impl", json_string(record_impl_name(r->impl)));
	if (r->call != REC_NONE)
		json_object_set_new(a, "call", json_integer(r->call));
	char *s = json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(a);
	return s;
}

static int64_t dev_of(const struct record *r)
{
	return r->type == REC_KERNEL && r->u.kernel.device != REC_NONE ? r->u.kernel.device : 0;
}

static void write_events(struct out *o, const struct record *recs, size_t n)
{
	const char *devname = "device 0";
	int64_t max_case = -1;
	for (size_t i = 0; i < n; i++) {
		if (recs[i].type == REC_DEVICE && recs[i].u.device.name)
			devname = recs[i].u.device.name;
		if (recs[i].case_index != REC_NONE && recs[i].case_index > max_case &&
		    recs[i].case_index < (1 << 20))
			max_case = recs[i].case_index;
	}
	metadata(o, "process_name", 0, 0, devname);
	metadata(o, "thread_name", 0, TID_WINDOWS, "timed windows (events)");
	metadata(o, "thread_name", 0, TID_PHASES, "cases and phases");
	for (size_t i = 0; i < n; i++) {
		const struct record *r = &recs[i];
		int64_t s, e;
		if (r->type == REC_EVENT || !span_of(r, &s, &e))
			continue;
		char *args = record_args(r);
		char name[64];
		switch (r->type) {
		case REC_KERNEL:
			slice(o, r->u.kernel.name, "kernel", s, e, dev_of(r),
			      r->u.kernel.stream == REC_NONE ? 0 : r->u.kernel.stream, args);
			break;
		case REC_MEMCPY:
			snprintf(name, sizeof name, "memcpy %s %lld B",
				 r->u.memcpy.kind ? r->u.memcpy.kind : "?", (long long)r->u.memcpy.bytes);
			slice(o, name, "memcpy", s, e, 0,
			      r->u.memcpy.stream == REC_NONE ? 0 : r->u.memcpy.stream, args);
			break;
		case REC_MEMSET:
			snprintf(name, sizeof name, "memset %lld B", (long long)r->u.memset.bytes);
			slice(o, name, "memset", s, e, 0,
			      r->u.memset.stream == REC_NONE ? 0 : r->u.memset.stream, args);
			break;
		default:
			snprintf(name, sizeof name, "%s sample %lld",
				 record_impl_name(r->impl) ? record_impl_name(r->impl) : "?",
				 (long long)r->u.sample.index);
			slice(o, name, "window", s, e, 0, TID_WINDOWS, args);
			break;
		}
		free(args);
	}
	/* Per case and phase: the span of its timed records, and where its
	 * findings are drawn (the end of the case). */
	for (int64_t k = 0; k <= max_case; k++) {
		int64_t ps[PHASE_ANALYSIS + 1], pe[PHASE_ANALYSIS + 1], cend = REC_NONE;
		const char *kname = "?";
		for (int p = 0; p <= PHASE_ANALYSIS; p++)
			ps[p] = pe[p] = REC_NONE;
		for (size_t i = 0; i < n; i++) {
			const struct record *r = &recs[i];
			int64_t s, e;
			if (r->case_index != k)
				continue;
			if (r->type == REC_CASE && r->u.kase.kernel)
				kname = r->u.kase.kernel;
			if (!span_of(r, &s, &e) || (unsigned)r->phase > PHASE_ANALYSIS)
				continue;
			if (ps[r->phase] == REC_NONE || s < ps[r->phase])
				ps[r->phase] = s;
			if (pe[r->phase] == REC_NONE || e > pe[r->phase])
				pe[r->phase] = e;
			if (cend == REC_NONE || e > cend)
				cend = e;
		}
		for (int p = 1; p <= PHASE_ANALYSIS; p++) {
			char name[128];
			snprintf(name, sizeof name, "case %lld %s: %s", (long long)k, kname,
				 record_phase_name((enum record_phase)p));
			if (ps[p] != REC_NONE)
				slice(o, name, "phase", ps[p], pe[p], 0, TID_PHASES, NULL);
		}
		for (size_t i = 0; i < n && cend != REC_NONE; i++) {
			const struct record *r = &recs[i];
			if (r->type != REC_FINDING || r->case_index != k)
				continue;
			int64_t at = cend;
			for (size_t j = 0; j < n && r->u.finding.sample != REC_NONE; j++)
				if (recs[j].type == REC_SAMPLE && recs[j].case_index == k &&
				    recs[j].u.sample.index == r->u.finding.sample &&
				    recs[j].u.sample.window_end != REC_NONE)
					at = recs[j].u.sample.window_end;
			char ts[32];
			us(ts, sizeof ts, at - o->t0);
			char *q = quoted(r->u.finding.code);
			char *msg = quoted(r->u.finding.message);
			emit(o, ",\n{\"name\":%s,\"cat\":\"finding\",\"ph\":\"i\",\"s\":\"p\","
			     "\"ts\":%s,\"pid\":0,\"tid\":%d,\"args\":{\"case\":%lld,"
			     "\"severity\":\"%s\",\"message\":%s,\"record\":%lld}}", q, ts, TID_PHASES,
			     (long long)k, r->u.finding.severity && strcmp(r->u.finding.severity,
				     "invalidating") == 0 ? "invalidating" : "warning", msg,
			     (long long)r->id);
			free(q);
			free(msg);
		}
	}
}

static int export_perfetto(const struct trace_contents *c, const char *out)
{
	struct out o = { .first = 1, .t0 = REC_NONE };
	const struct record *recs = c->records.v;
	size_t n = c->records.n;
	for (size_t i = 0; i < n; i++) {
		int64_t s, e;
		if (span_of(&recs[i], &s, &e) && (o.t0 == REC_NONE || s < o.t0))
			o.t0 = s;
	}
	if (o.t0 == REC_NONE)
		o.t0 = 0;
	/* gzopen writes exactly one gzip member. */
	o.gz = gzopen(out, "wb");
	if (!o.gz)
		return cli_fail(EXIT_BAD_INPUT, "%s: %s", out, strerror(errno));
	emit(&o, "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"kaudit\":\"%s\",\"t0_ns\":%lld},"
	     "\"traceEvents\":[", KAUDIT_VERSION, (long long)o.t0);
	write_events(&o, recs, n);
	emit(&o, "\n]}\n");
	if (gzclose(o.gz) != Z_OK || o.failed) {
		remove(out);
		return cli_fail(EXIT_BAD_INPUT, "%s: write failed", out);
	}
	return EXIT_OK;
}

static int export_attestation(const struct trace_contents *c, const char *path, const char *out)
{
	struct errbuf e;
	if (trace_integrity(c, NULL, &e) < 0)
		return cli_fail(EXIT_INTEGRITY, "%s: no attestation from a trace that does not "
				"verify: %s", path, e.msg);
	const struct record *sig = &c->records.v[c->records.n - 1];
	char *line = json_dumps(sig->u.signature.dsse, JSON_COMPACT | JSON_PRESERVE_ORDER);
	FILE *f = fopen(out, "w");
	int ok = line && f && fprintf(f, "%s\n", line) > 0;
	if (f && fclose(f) != 0)
		ok = 0;
	free(line);
	if (!ok) {
		remove(out);
		return cli_fail(EXIT_BAD_INPUT, "%s: write failed", out);
	}
	return EXIT_OK;
}

int cmd_export(int argc, char **argv)
{
	const char *path = NULL, *perfetto = NULL, *attest = NULL;
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("usage: %s\n\n--perfetto: Chrome trace JSON (gzip) for ui.perfetto.dev.\n"
			       "--attestation: the trace's DSSE envelope (in-toto) on one line.\n",
			       usage);
			return EXIT_OK;
		}
		if (strcmp(argv[i], "--perfetto") == 0 && i + 1 < argc && !perfetto)
			perfetto = argv[++i];
		else if (strcmp(argv[i], "--attestation") == 0 && i + 1 < argc && !attest)
			attest = argv[++i];
		else if (argv[i][0] == '-' || path)
			return cli_usage_error("export", usage, "unexpected argument '%s'", argv[i]);
		else
			path = argv[i];
	}
	if (!path || (!perfetto && !attest))
		return cli_usage_error("export", usage, "a trace and --perfetto or --attestation "
				       "are required");
	struct trace_contents c;
	struct errbuf e = { "", 0 };
	if (trace_read(path, &c, &e) < 0)
		return cli_fail_err(&e);
	int rc = EXIT_OK;
	if (perfetto)
		rc = export_perfetto(&c, perfetto);
	if (rc == EXIT_OK && attest)
		rc = export_attestation(&c, path, attest);
	if (rc == EXIT_OK && trace_integrity(&c, NULL, &e) < 0)
		fprintf(stderr, "kaudit: warning: %s: %s (exported what it holds)\n", path, e.msg);
	trace_contents_free(&c);
	return rc;
}
