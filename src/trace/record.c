/*
 * record.c - JSON codec for struct record, driven by one field table per
 * record type.  The tables are the single place that maps C fields to JSON
 * keys; encoder, decoder, init and clear all walk them.
 */
#include "trace/record.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* F_NS is the derived duration "ns" = end - start: OFFSET names the int64
 * start, immediately followed by end (asserted below).  It is written from
 * them, never stored, and a line whose "ns" is not end - start is refused,
 * so a reader using only "ns" sees what the detectors see. */
enum field_kind { F_I64, F_F64, F_STR, F_BOOL, F_JSON, F_DIM3, F_NS };

struct field {
	const char *key;
	enum field_kind kind;
	size_t offset;  /* within struct record */
	int required;
};

#define U(member) offsetof(struct record, u.member)
#define END { NULL, 0, 0, 0 }
#define NS(member) { "ns", F_NS, U(member.start), 0 }
#define PAIR_ADJACENT(member) \
	_Static_assert(U(member.end) == U(member.start) + sizeof(int64_t), \
		       #member ": end must follow start for F_NS")
PAIR_ADJACENT(api);
PAIR_ADJACENT(kernel);
PAIR_ADJACENT(memcpy);
PAIR_ADJACENT(memset);
PAIR_ADJACENT(sync);
PAIR_ADJACENT(elapsed);

static const struct field header_fields[] = {
	{ "version", F_I64, U(header.version), 1 },
	{ "tool", F_STR, U(header.tool), 1 },
	{ "time", F_STR, U(header.time), 1 },
	{ "host", F_STR, U(header.host), 0 },
	{ "synthetic", F_BOOL, U(header.synthetic), 0 },
	{ "root_seed", F_I64, U(header.root_seed), 0 },
	{ "manifest_path", F_STR, U(header.manifest_path), 0 },
	{ "manifest", F_STR, U(header.manifest_text), 0 },
	{ "manifest_sha256", F_STR, U(header.manifest_sha256), 0 },
	{ "sources", F_JSON, U(header.sources), 0 },
	{ "binaries", F_JSON, U(header.binaries), 0 },
	{ "pubkey", F_STR, U(header.pubkey), 0 },
	{ "margin", F_F64, U(header.margin), 0 },
	{ "plugin", F_JSON, U(header.plugin), 0 },
	{ "build", F_JSON, U(header.build), 0 },
	{ "observe", F_JSON, U(header.observe), 0 },
	{ "selection", F_JSON, U(header.selection), 0 },
	END
};

static const struct field device_fields[] = {
	{ "name", F_STR, U(device.name), 1 },
	{ "uuid", F_STR, U(device.uuid), 0 },
	{ "cc", F_STR, U(device.cc), 0 },
	{ "sms", F_I64, U(device.sms), 0 },
	{ "mem_bytes", F_I64, U(device.mem_bytes), 0 },
	{ "l2_bytes", F_I64, U(device.l2_bytes), 0 },
	{ "sm_clock_mhz", F_I64, U(device.sm_clock_mhz), 0 },
	{ "mem_clock_mhz", F_I64, U(device.mem_clock_mhz), 0 },
	{ "max_sm_clock_mhz", F_I64, U(device.max_sm_clock_mhz), 0 },
	{ "throttle", F_I64, U(device.throttle), 0 },
	{ "peak_bw", F_F64, U(device.peak_bw), 0 },
	{ "peak_flops", F_F64, U(device.peak_flops), 0 },
	{ "driver", F_STR, U(device.driver), 0 },
	{ "runtime", F_STR, U(device.runtime), 0 },
	{ "cupti", F_STR, U(device.cupti), 0 },
	{ "nvcc", F_STR, U(device.nvcc), 0 },
	{ "ecc", F_BOOL, U(device.ecc), 0 },
	{ "persistence", F_BOOL, U(device.persistence), 0 },
	{ "extra", F_JSON, U(device.extra), 0 },
	END
};

static const struct field build_fields[] = {
	{ "kernel", F_STR, U(build.kernel), 1 },
	{ "source", F_STR, U(build.source), 0 },
	{ "sha256", F_STR, U(build.sha256), 0 },
	{ "so_sha256", F_STR, U(build.so_sha256), 0 },
	{ "flags", F_JSON, U(build.flags), 0 },
	{ "nvcc", F_STR, U(build.nvcc), 0 },
	{ "arch", F_STR, U(build.arch), 0 },
	{ "cached", F_BOOL, U(build.cached), 0 },
	{ "ok", F_BOOL, U(build.ok), 1 },
	{ "log", F_STR, U(build.log), 0 },
	END
};

static const struct field case_fields[] = {
	{ "kernel", F_STR, U(kase.kernel), 1 },
	{ "params", F_JSON, U(kase.params), 0 },
	{ "buffers", F_JSON, U(kase.buffers), 0 },
	{ "seed", F_I64, U(kase.seed), 0 },
	{ "claimed", F_F64, U(kase.claimed), 0 },
	{ "rtol", F_F64, U(kase.rtol), 0 },
	{ "atol", F_F64, U(kase.atol), 0 },
	{ "deterministic", F_BOOL, U(kase.deterministic), 0 },
	{ "work_bytes", F_I64, U(kase.work_bytes), 0 },
	{ "work_flops", F_I64, U(kase.work_flops), 0 },
	{ "expect", F_JSON, U(kase.expect), 0 },
	END
};

static const struct field api_fields[] = {
	{ "name", F_STR, U(api.name), 1 },
	{ "thread", F_I64, U(api.thread), 0 },
	{ "start", F_I64, U(api.start), 0 },
	{ "end", F_I64, U(api.end), 0 },
	NS(api),
	{ "corr", F_I64, U(api.corr), 0 },
	{ "stream", F_I64, U(api.stream), 0 },
	{ "event", F_I64, U(api.event), 0 },
	{ "in_call", F_BOOL, U(api.in_call), 0 },
	{ "pid", F_I64, U(api.pid), 0 },
	{ "result", F_I64, U(api.result), 0 },
	END
};

static const struct field kernel_fields[] = {
	{ "name", F_STR, U(kernel.name), 1 },
	{ "stream", F_I64, U(kernel.stream), 0 },
	{ "start", F_I64, U(kernel.start), 1 },
	{ "end", F_I64, U(kernel.end), 1 },
	NS(kernel),
	{ "corr", F_I64, U(kernel.corr), 0 },
	{ "device", F_I64, U(kernel.device), 0 },
	{ "grid", F_DIM3, U(kernel.grid), 0 },
	{ "block", F_DIM3, U(kernel.block), 0 },
	{ "smem", F_I64, U(kernel.smem), 0 },
	{ "regs", F_I64, U(kernel.regs), 0 },
	{ "pid", F_I64, U(kernel.pid), 0 },
	{ "graph", F_I64, U(kernel.graph), 0 },
	END
};

static const struct field memcpy_fields[] = {
	{ "kind", F_STR, U(memcpy.kind), 0 },
	{ "bytes", F_I64, U(memcpy.bytes), 1 },
	{ "stream", F_I64, U(memcpy.stream), 0 },
	{ "start", F_I64, U(memcpy.start), 1 },
	{ "end", F_I64, U(memcpy.end), 1 },
	NS(memcpy),
	{ "corr", F_I64, U(memcpy.corr), 0 },
	{ "pid", F_I64, U(memcpy.pid), 0 },
	{ "graph", F_I64, U(memcpy.graph), 0 },
	END
};

static const struct field memset_fields[] = {
	{ "bytes", F_I64, U(memset.bytes), 1 },
	{ "value", F_I64, U(memset.value), 0 },
	{ "stream", F_I64, U(memset.stream), 0 },
	{ "start", F_I64, U(memset.start), 1 },
	{ "end", F_I64, U(memset.end), 1 },
	NS(memset),
	{ "corr", F_I64, U(memset.corr), 0 },
	{ "pid", F_I64, U(memset.pid), 0 },
	{ "graph", F_I64, U(memset.graph), 0 },
	END
};

static const struct field event_fields[] = {
	{ "event", F_I64, U(event.event), 0 },
	{ "stream", F_I64, U(event.stream), 0 },
	{ "ts", F_I64, U(event.ts), 0 },
	{ "corr", F_I64, U(event.corr), 0 },
	{ "role", F_STR, U(event.role), 0 },
	{ "pid", F_I64, U(event.pid), 0 },
	END
};

static const struct field sync_fields[] = {
	{ "kind", F_STR, U(sync.kind), 1 },
	{ "stream", F_I64, U(sync.stream), 0 },
	{ "event", F_I64, U(sync.event), 0 },
	{ "start", F_I64, U(sync.start), 0 },
	{ "end", F_I64, U(sync.end), 0 },
	NS(sync),
	{ "corr", F_I64, U(sync.corr), 0 },
	{ "pid", F_I64, U(sync.pid), 0 },
	END
};

static const struct field alloc_fields[] = {
	{ "kind", F_STR, U(alloc.kind), 1 },
	{ "memory", F_STR, U(alloc.memory), 0 },
	{ "address", F_I64, U(alloc.address), 0 },
	{ "bytes", F_I64, U(alloc.bytes), 0 },
	{ "ts", F_I64, U(alloc.ts), 0 },
	{ "corr", F_I64, U(alloc.corr), 0 },
	END
};

static const struct field check_fields[] = {
	{ "kind", F_STR, U(check.kind), 1 },
	{ "trial", F_I64, U(check.trial), 0 },
	{ "buffer", F_STR, U(check.buffer), 0 },
	{ "ok", F_BOOL, U(check.ok), 1 },
	{ "seed", F_I64, U(check.seed), 0 },
	{ "max_abs", F_F64, U(check.max_abs), 0 },
	{ "max_rel", F_F64, U(check.max_rel), 0 },
	{ "rel_l2", F_F64, U(check.rel_l2), 0 },
	{ "count", F_I64, U(check.count), 0 },
	{ "mismatches", F_I64, U(check.mismatches), 0 },
	{ "unwritten", F_I64, U(check.unwritten), 0 },
	{ "detail", F_JSON, U(check.detail), 0 },
	END
};

static const struct field sample_fields[] = {
	{ "round", F_I64, U(sample.round), 0 },
	{ "index", F_I64, U(sample.index), 0 },
	{ "input_set", F_I64, U(sample.input_set), 0 },
	{ "event_ns", F_F64, U(sample.event_ns), 1 },
	{ "span_ns", F_F64, U(sample.span_ns), 0 },
	{ "window_start", F_I64, U(sample.window_start), 0 },
	{ "window_end", F_I64, U(sample.window_end), 0 },
	{ "window_clock", F_STR, U(sample.window_clock), 0 },
	{ "span_start", F_I64, U(sample.span_start), 0 },
	{ "span_end", F_I64, U(sample.span_end), 0 },
	{ "kernels", F_I64, U(sample.kernels), 0 },
	{ "kernel_ns", F_F64, U(sample.kernel_ns), 0 },
	{ "bytes", F_I64, U(sample.bytes), 0 },
	{ "checked", F_BOOL, U(sample.checked), 0 },
	{ "traced", F_BOOL, U(sample.traced), 0 },
	END
};

static const struct field finding_fields[] = {
	{ "code", F_STR, U(finding.code), 1 },
	{ "severity", F_STR, U(finding.severity), 1 },
	{ "trial", F_I64, U(finding.trial), 0 },
	{ "sample", F_I64, U(finding.sample), 0 },
	{ "message", F_STR, U(finding.message), 0 },
	{ "evidence", F_JSON, U(finding.evidence), 0 },
	END
};

static const struct field verdict_fields[] = {
	{ "kernel", F_STR, U(verdict.kernel), 0 },
	{ "verdict", F_STR, U(verdict.verdict), 1 },
	{ "claimed", F_F64, U(verdict.claimed), 0 },
	{ "measured", F_F64, U(verdict.measured), 0 },
	{ "ci_low", F_F64, U(verdict.ci_low), 0 },
	{ "ci_high", F_F64, U(verdict.ci_high), 0 },
	{ "baseline_ns", F_F64, U(verdict.baseline_ns), 0 },
	{ "candidate_ns", F_F64, U(verdict.candidate_ns), 0 },
	{ "reason", F_STR, U(verdict.reason), 0 },
	{ "params", F_JSON, U(verdict.params), 0 },
	{ "findings", F_JSON, U(verdict.findings), 0 },
	END
};

static const struct field error_fields[] = {
	{ "where", F_STR, U(error.where), 1 },
	{ "message", F_STR, U(error.message), 1 },
	{ "signal", F_I64, U(error.signal), 0 },
	{ "status", F_I64, U(error.status), 0 },
	END
};

static const struct field dropped_fields[] = {
	{ "count", F_I64, U(dropped.count), 1 },
	{ "source", F_STR, U(dropped.source), 0 },
	END
};

static const struct field sandbox_fields[] = {
	{ "process", F_STR, U(sandbox.process), 1 },
	{ "no_new_privs", F_BOOL, U(sandbox.no_new_privs), 1 },
	{ "seccomp", F_BOOL, U(sandbox.seccomp), 1 },
	{ "landlock", F_BOOL, U(sandbox.landlock), 1 },
	{ "landlock_abi", F_I64, U(sandbox.landlock_abi), 0 },
	{ "signals_scoped", F_BOOL, U(sandbox.signals_scoped), 0 },
	{ "net_restricted", F_BOOL, U(sandbox.net_restricted), 0 },
	{ "refused", F_JSON, U(sandbox.refused), 0 },
	{ "skipped_paths", F_I64, U(sandbox.skipped_paths), 0 },
	END
};

static const struct field process_fields[] = {
	{ "pid", F_I64, U(process.pid), 1 },
	{ "ppid", F_I64, U(process.ppid), 0 },
	{ "exe", F_STR, U(process.exe), 0 },
	{ "subscribed", F_BOOL, U(process.subscribed), 1 },
	{ "message", F_STR, U(process.message), 0 },
	{ "cupti", F_STR, U(process.cupti), 0 },
	{ "ts", F_I64, U(process.ts), 0 },
	END
};

static const struct field elapsed_fields[] = {
	{ "name", F_STR, U(elapsed.name), 1 },
	{ "pid", F_I64, U(elapsed.pid), 1 },
	{ "thread", F_I64, U(elapsed.thread), 0 },
	{ "start", F_I64, U(elapsed.start), 0 },
	{ "end", F_I64, U(elapsed.end), 0 },
	NS(elapsed),
	{ "corr", F_I64, U(elapsed.corr), 0 },
	{ "start_event", F_I64, U(elapsed.start_event), 1 },
	{ "stop_event", F_I64, U(elapsed.stop_event), 1 },
	{ "ms", F_F64, U(elapsed.ms), 0 },
	{ "result", F_I64, U(elapsed.result), 1 },
	END
};

static const struct field footer_fields[] = {
	{ "records", F_I64, U(footer.records), 1 },
	{ "sha256", F_STR, U(footer.sha256), 1 },
	END
};

static const struct field signature_fields[] = {
	{ "dsse", F_JSON, U(signature.dsse), 1 },
	END
};

static const struct {
	const char *name;
	const struct field *fields;
} types[REC_NTYPES] = {
	[REC_HEADER] = { "header", header_fields },
	[REC_DEVICE] = { "device", device_fields },
	[REC_BUILD] = { "build", build_fields },
	[REC_CASE] = { "case", case_fields },
	[REC_API] = { "api", api_fields },
	[REC_KERNEL] = { "kernel", kernel_fields },
	[REC_MEMCPY] = { "memcpy", memcpy_fields },
	[REC_MEMSET] = { "memset", memset_fields },
	[REC_EVENT] = { "event", event_fields },
	[REC_SYNC] = { "sync", sync_fields },
	[REC_ALLOC] = { "alloc", alloc_fields },
	[REC_CHECK] = { "check", check_fields },
	[REC_SAMPLE] = { "sample", sample_fields },
	[REC_FINDING] = { "finding", finding_fields },
	[REC_VERDICT] = { "verdict", verdict_fields },
	[REC_ERROR] = { "error", error_fields },
	[REC_DROPPED] = { "dropped", dropped_fields },
	[REC_SANDBOX] = { "sandbox", sandbox_fields },
	[REC_PROCESS] = { "process", process_fields },
	[REC_ELAPSED] = { "elapsed", elapsed_fields },
	[REC_FOOTER] = { "footer", footer_fields },
	[REC_SIGNATURE] = { "signature", signature_fields },
};

static const char *const impl_names[] = { NULL, "baseline", "candidate", "harness" };
static const char *const phase_names[] = { NULL, "setup", "correctness", "timing", "analysis" };

#define FIELD(r, f, T) ((T *)((char *)(r) + (f)->offset))
#define CFIELD(r, f, T) ((T const *)((const char *)(r) + (f)->offset))

/* end - start of F_NS field F in R, REC_NONE when either is absent, end
 * precedes start, or the difference does not fit an int64. */
static int64_t pair_ns(const struct record *r, const struct field *f)
{
	const int64_t *se = CFIELD(r, f, int64_t);
	if (se[0] == REC_NONE || se[1] == REC_NONE || se[1] < se[0])
		return REC_NONE;
	uint64_t d = (uint64_t)se[1] - (uint64_t)se[0];
	return d > (uint64_t)INT64_MAX ? REC_NONE : (int64_t)d;
}

/* A stored "ns" of NS must be exactly end - start. */
static int ns_agrees(const struct record *r, const struct field *f, int64_t ns,
		     struct errbuf *e)
{
	int64_t want = pair_ns(r, f);
	if (want != REC_NONE && ns == want)
		return 0;
	char id[32] = "";
	if (r->id != REC_NONE)
		snprintf(id, sizeof id, " %lld", (long long)r->id);
	if (want == REC_NONE)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s record%s: ns %lld is not end - start "
				  "(which is undefined here)", types[r->type].name, id, (long long)ns);
	return errbuf_set(e, EXIT_BAD_INPUT, "%s record%s: ns %lld is not end - start (%lld)",
			  types[r->type].name, id, (long long)ns, (long long)want);
}

static int parse_name(const char *const *names, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], s) == 0)
			return i;
	return -1;
}

const char *record_type_name(enum record_type t)
{
	return (unsigned)t < REC_NTYPES ? types[t].name : "?";
}

int record_type_parse(const char *name)
{
	for (int i = 0; i < REC_NTYPES; i++)
		if (strcmp(types[i].name, name) == 0)
			return i;
	return -1;
}

const char *record_impl_name(enum record_impl i)
{
	return (unsigned)i <= IMPL_HARNESS ? impl_names[i] : NULL;
}

int record_impl_parse(const char *name)
{
	return parse_name(impl_names, 4, name);
}

const char *record_phase_name(enum record_phase p)
{
	return (unsigned)p <= PHASE_ANALYSIS ? phase_names[p] : NULL;
}

int record_phase_parse(const char *name)
{
	return parse_name(phase_names, 5, name);
}

void record_init(struct record *r, enum record_type t)
{
	memset(r, 0, sizeof *r);
	r->type = t;
	r->id = REC_NONE;
	r->case_index = REC_NONE;
	r->call = REC_NONE;
	for (const struct field *f = types[t].fields; f->key; f++) {
		switch (f->kind) {
		case F_I64:
			*FIELD(r, f, int64_t) = REC_NONE;
			break;
		case F_F64:
			*FIELD(r, f, double) = NAN;
			break;
		case F_BOOL:
			*FIELD(r, f, int) = -1;
			break;
		case F_DIM3:
			for (int i = 0; i < 3; i++)
				FIELD(r, f, int64_t)[i] = REC_NONE;
			break;
		default:
			break; /* pointers are already NULL */
		}
	}
}

void record_clear(struct record *r)
{
	enum record_type t = r->type;
	for (const struct field *f = types[t].fields; f->key; f++) {
		if (f->kind == F_STR)
			free(*FIELD(r, f, char *));
		else if (f->kind == F_JSON)
			json_decref(*FIELD(r, f, json_t *));
	}
	record_init(r, t);
}

void record_copy(struct record *dst, const struct record *src)
{
	*dst = *src;
	for (const struct field *f = types[src->type].fields; f->key; f++) {
		if (f->kind == F_STR) {
			const char *s = *CFIELD(src, f, char *);
			*FIELD(dst, f, char *) = s ? xstrdup(s) : NULL;
		} else if (f->kind == F_JSON) {
			json_t *j = *CFIELD(src, f, json_t *);
			*FIELD(dst, f, json_t *) = j ? json_deep_copy(j) : NULL;
		}
	}
}

void record_json_put_int(json_t *o, const char *k, int64_t v)
{
	if (v != REC_NONE)
		json_object_set_new(o, k, json_integer(v));
}

void record_json_put_real(json_t *o, const char *k, double v)
{
	if (isfinite(v))
		json_object_set_new(o, k, json_real(v));
}

void record_json_put_str(json_t *o, const char *k, const char *v)
{
	if (v)
		json_object_set_new(o, k, json_string(v));
}

json_t *record_to_json(const struct record *r)
{
	json_t *o = json_object();
	json_object_set_new_nocheck(o, "type", json_string(types[r->type].name));
	record_json_put_int(o, "id", r->id);
	record_json_put_int(o, "case", r->case_index);
	if (r->phase != PHASE_NONE)
		json_object_set_new_nocheck(o, "phase", json_string(phase_names[r->phase]));
	if (r->impl != IMPL_NONE)
		json_object_set_new_nocheck(o, "impl", json_string(impl_names[r->impl]));
	record_json_put_int(o, "call", r->call);
	if (r->type == REC_HEADER)
		json_object_set_new_nocheck(o, "format", json_string("kaudit-trace"));
	for (const struct field *f = types[r->type].fields; f->key; f++) {
		switch (f->kind) {
		case F_I64:
			record_json_put_int(o, f->key, *CFIELD(r, f, int64_t));
			break;
		case F_F64: {
			double d = *CFIELD(r, f, double);
			if (isfinite(d))
				json_object_set_new_nocheck(o, f->key, json_real(d));
			break;
		}
		case F_STR: {
			const char *s = *CFIELD(r, f, char *);
			if (s)
				json_object_set_new_nocheck(o, f->key, json_string(s));
			break;
		}
		case F_BOOL: {
			int b = *CFIELD(r, f, int);
			if (b >= 0)
				json_object_set_new_nocheck(o, f->key, json_boolean(b));
			break;
		}
		case F_JSON: {
			json_t *j = *CFIELD(r, f, json_t *);
			if (j)
				json_object_set_nocheck(o, f->key, j);
			break;
		}
		case F_NS:
			record_json_put_int(o, f->key, pair_ns(r, f));
			break;
		case F_DIM3: {
			const int64_t *d = CFIELD(r, f, int64_t);
			if (d[0] != REC_NONE)
				json_object_set_new_nocheck(o, f->key,
					json_pack("[III]", (json_int_t)d[0],
						  (json_int_t)d[1], (json_int_t)d[2]));
			break;
		}
		}
	}
	return o;
}

static int get_i64(const json_t *v, int64_t *out)
{
	if (!json_is_integer(v))
		return -1;
	*out = json_integer_value(v);
	return 0;
}

static int decode_field(const json_t *v, const struct field *f, struct record *r)
{
	switch (f->kind) {
	case F_I64:
		return get_i64(v, FIELD(r, f, int64_t));
	case F_F64:
		if (!json_is_number(v))
			return -1;
		*FIELD(r, f, double) = json_number_value(v);
		return 0;
	case F_STR:
		if (!json_is_string(v))
			return -1;
		*FIELD(r, f, char *) = xstrndup(json_string_value(v), json_string_length(v));
		return 0;
	case F_BOOL:
		if (!json_is_boolean(v))
			return -1;
		*FIELD(r, f, int) = json_is_true(v);
		return 0;
	case F_JSON:
		*FIELD(r, f, json_t *) = json_incref((json_t *)v);
		return 0;
	case F_NS: /* checked against start and end by the caller */
		return json_is_integer(v) ? 0 : -1;
	case F_DIM3:
		if (!json_is_array(v) || json_array_size(v) != 3)
			return -1;
		for (size_t i = 0; i < 3; i++)
			if (get_i64(json_array_get(v, i), &FIELD(r, f, int64_t)[i]) < 0)
				return -1;
		return 0;
	}
	return -1;
}

static int decode_common(const json_t *j, struct record *r, struct errbuf *e)
{
	const json_t *v;
	const char *tn = r->type == REC_HEADER ? "header" : types[r->type].name;
	if ((v = json_object_get(j, "id")) && get_i64(v, &r->id) < 0)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s record: 'id' is not an integer", tn);
	if ((v = json_object_get(j, "case")) && get_i64(v, &r->case_index) < 0)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s record: 'case' is not an integer", tn);
	if ((v = json_object_get(j, "call")) && get_i64(v, &r->call) < 0)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s record: 'call' is not an integer", tn);
	if ((v = json_object_get(j, "phase"))) {
		int p = json_is_string(v) ? record_phase_parse(json_string_value(v)) : -1;
		if (p <= 0)
			return errbuf_set(e, EXIT_BAD_INPUT, "%s record: unknown phase", tn);
		r->phase = (enum record_phase)p;
	}
	if ((v = json_object_get(j, "impl"))) {
		int i = json_is_string(v) ? record_impl_parse(json_string_value(v)) : -1;
		if (i <= 0)
			return errbuf_set(e, EXIT_BAD_INPUT, "%s record: unknown impl", tn);
		r->impl = (enum record_impl)i;
	}
	return 0;
}

static int is_sha256_hex(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return 0;
	return n == 64;
}

/* A case record's buffers that came from get_inputs() (kaudit-trace(5),
 * case): init is "get_inputs" and only on an `in` buffer, item a
 * non-negative index below the number of buffers, file a string, sha256
 * 64 lower-case hex digits; the last three only with that init.  A reader
 * that shows where inputs came from must not show a garbled answer. */
static int check_case_buffers(const json_t *bufs, struct errbuf *e)
{
	if (!bufs)
		return 0;
	if (!json_is_array(bufs))
		return errbuf_set(e, EXIT_BAD_INPUT, "case record: 'buffers' is not a list");
	size_t i;
	const json_t *b;
	json_array_foreach(bufs, i, b) {
		if (!json_is_object(b))
			return errbuf_set(e, EXIT_BAD_INPUT, "case record: buffer %zu is not an "
					  "object", i);
		const json_t *init = json_object_get(b, "init"), *item = json_object_get(b, "item");
		const json_t *file = json_object_get(b, "file"), *sha = json_object_get(b, "sha256");
		const json_t *role = json_object_get(b, "role");
		if (!init && !item && !file && !sha)
			continue;
		if (!json_is_string(init) || strcmp(json_string_value(init), "get_inputs") != 0 ||
		    !json_is_string(role) || strcmp(json_string_value(role), "in") != 0 ||
		    !json_is_integer(item) || json_integer_value(item) < 0 ||
		    (size_t)json_integer_value(item) >= json_array_size(bufs) ||
		    (file && !json_is_string(file)) ||
		    (sha && (!json_is_string(sha) || !is_sha256_hex(json_string_value(sha)))))
			return errbuf_set(e, EXIT_BAD_INPUT, "case record: buffer %zu: malformed "
					  "get_inputs fields (init, item, file, sha256)", i);
	}
	return 0;
}

int record_from_json(const json_t *j, struct record *r, struct errbuf *e)
{
	if (!json_is_object(j))
		return errbuf_set(e, EXIT_BAD_INPUT, "record is not a JSON object");
	const json_t *tv = json_object_get(j, "type");
	if (!json_is_string(tv))
		return errbuf_set(e, EXIT_BAD_INPUT, "record has no 'type'");
	int t = record_type_parse(json_string_value(tv));
	if (t < 0)
		return errbuf_set(e, EXIT_BAD_INPUT, "unknown record type '%s'",
				  json_string_value(tv));
	record_init(r, (enum record_type)t);
	if (t == REC_HEADER) {
		const json_t *fmt = json_object_get(j, "format");
		if (!json_is_string(fmt) || strcmp(json_string_value(fmt), "kaudit-trace") != 0) {
			return errbuf_set(e, EXIT_BAD_INPUT,
					  "header record: 'format' is not \"kaudit-trace\"");
		}
	}
	if (decode_common(j, r, e) < 0)
		return -1;
	for (const struct field *f = types[t].fields; f->key; f++) {
		const json_t *v = json_object_get(j, f->key);
		if (!v) {
			if (f->required) {
				record_clear(r);
				return errbuf_set(e, EXIT_BAD_INPUT, "%s record: missing '%s'",
						  types[t].name, f->key);
			}
			continue;
		}
		if (decode_field(v, f, r) < 0) {
			record_clear(r);
			return errbuf_set(e, EXIT_BAD_INPUT, "%s record: '%s' has the wrong type",
					  types[t].name, f->key);
		}
		/* The table lists ns after start and end: both are decoded. */
		if (f->kind == F_NS && ns_agrees(r, f, json_integer_value(v), e) < 0) {
			record_clear(r);
			return -1;
		}
	}
	if (t == REC_CASE && check_case_buffers(r->u.kase.buffers, e) < 0) {
		record_clear(r);
		return -1;
	}
	return 0;
}

int record_encode_line(const struct record *r, char **line, size_t *len)
{
	json_t *o = record_to_json(r);
	/* 10 significant digits: nanosecond resolution up to 10 s, and short lines. */
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	json_decref(o);
	if (!s)
		return -1;
	size_t n = strlen(s);
	if (n + 1 > RECORD_MAX_LINE) {
		free(s);
		return -1;
	}
	s = xrealloc(s, n + 2);
	s[n] = '\n';
	s[n + 1] = '\0';
	*line = s;
	*len = n + 1;
	return 0;
}

/*
 * The fast path.  `check` parses millions of kernel/api/memcpy records; the
 * general path (jansson tree, then the field table) costs ~4 us a line.
 * flat_decode() reads the common shape directly: a flat object written as
 * kaudit writes it ("type" first, no whitespace, ASCII strings without
 * escapes, integers, reals, booleans, [i,i,i]).  It returns 1 only when the
 * result is exactly what the general path gives (the fuzz target checks
 * that), and 0 ("not handled") for anything else, which then takes the
 * general path: escapes, deep nesting, duplicates, unknown keys, errors
 * (a nested object or array is cut out and parsed alone: flat_json).
 */
struct flat {
	const char *p, *end;
};

static int flat_key(struct flat *f, const char **k, size_t *kn)
{
	if (f->p >= f->end || *f->p != '"')
		return -1;
	const char *s = ++f->p;
	while (f->p < f->end && ((*f->p >= 'a' && *f->p <= 'z') || *f->p == '_' ||
				 (*f->p >= '0' && *f->p <= '9')))
		f->p++;
	if (f->p + 1 >= f->end || f->p[0] != '"' || f->p[1] != ':')
		return -1;
	*k = s;
	*kn = (size_t)(f->p - s);
	f->p += 2;
	return 0;
}

/* A plain ASCII string (no escapes, no control characters). */
static int flat_str(struct flat *f, const char **s, size_t *sn)
{
	if (f->p >= f->end || *f->p != '"')
		return -1;
	const char *b = ++f->p;
	while (f->p < f->end && *f->p != '"') {
		unsigned char c = (unsigned char)*f->p;
		if (c < 0x20 || c > 0x7e || c == '\\')
			return -1;
		f->p++;
	}
	if (f->p >= f->end)
		return -1;
	*s = b;
	*sn = (size_t)(f->p - b);
	f->p++;
	return 0;
}

/* A JSON integer that fits int64 (jansson rejects the others). */
static int flat_int(struct flat *f, int64_t *out)
{
	const char *p = f->p;
	int neg = p < f->end && *p == '-';
	p += neg;
	const char *d = p;
	uint64_t v = 0;
	while (p < f->end && *p >= '0' && *p <= '9' && p - d < 20)
		v = v * 10 + (uint64_t)(*p++ - '0');
	size_t nd = (size_t)(p - d);
	if (nd == 0 || nd > 19 || (nd > 1 && *d == '0'))
		return -1;
	if (p < f->end && (*p == '.' || *p == 'e' || *p == 'E' || (*p >= '0' && *p <= '9')))
		return -1; /* a real, or too long */
	if (v > (uint64_t)INT64_MAX + (uint64_t)neg)
		return -1;
	*out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
	f->p = p;
	return 0;
}

/* A JSON number as a double, following JSON's grammar strictly. */
static int flat_real(struct flat *f, double *out)
{
	const char *p = f->p, *b = p;
	if (p < f->end && *p == '-')
		p++;
	const char *d = p;
	while (p < f->end && *p >= '0' && *p <= '9')
		p++;
	if (p == d || (p - d > 1 && *d == '0'))
		return -1;
	int is_int = 1;
	if (p < f->end && *p == '.') {
		is_int = 0;
		const char *q = ++p;
		while (p < f->end && *p >= '0' && *p <= '9')
			p++;
		if (p == q)
			return -1;
	}
	if (p < f->end && (*p == 'e' || *p == 'E')) {
		is_int = 0;
		p++;
		if (p < f->end && (*p == '+' || *p == '-'))
			p++;
		const char *q = p;
		while (p < f->end && *p >= '0' && *p <= '9')
			p++;
		if (p == q)
			return -1;
	}
	if (is_int) { /* jansson keeps integers as int64: same path as an integer */
		int64_t v;
		if (flat_int(f, &v) < 0)
			return -1;
		*out = (double)v;
		return 0;
	}
	char buf[64];
	if ((size_t)(p - b) >= sizeof buf)
		return -1;
	memcpy(buf, b, (size_t)(p - b));
	buf[p - b] = '\0';
	char *endp;
	double v = strtod(buf, &endp);
	if (*endp || !isfinite(v))
		return -1;
	*out = v;
	f->p = p;
	return 0;
}

static int flat_lit(struct flat *f, const char *lit)
{
	size_t n = strlen(lit);
	if ((size_t)(f->end - f->p) < n || memcmp(f->p, lit, n) != 0)
		return -1;
	f->p += n;
	return 0;
}

/* A nested object or array (a case's params and buffers, a verdict's
 * findings): its extent found by a scan that knows strings, then that
 * text alone parsed by jansson with the general path's flags, which gives
 * the same value as the whole line would.  Anything else, invalid text,
 * or nesting deeper than a trace has any use for (jansson's depth limit
 * counts the line's own braces too) takes the general path. */
#define FLAT_MAX_DEPTH 32
static int flat_json(struct flat *f, json_t **out)
{
	const char *b = f->p, *p = f->p;
	if (p >= f->end || (*p != '{' && *p != '['))
		return -1;
	int depth = 0;
	for (; p < f->end; p++) {
		if (*p == '"') {
			for (p++; p < f->end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			if (p >= f->end)
				return -1;
		} else if (*p == '{' || *p == '[') {
			if (++depth > FLAT_MAX_DEPTH)
				return -1;
		} else if ((*p == '}' || *p == ']') && --depth == 0) {
			break;
		}
	}
	if (p >= f->end)
		return -1;
	json_t *j = json_loadb(b, (size_t)(p + 1 - b), JSON_REJECT_DUPLICATES, NULL);
	if (!j)
		return -1;
	*out = j;
	f->p = p + 1;
	return 0;
}

static int flat_value(struct flat *f, const struct field *fd, struct record *r)
{
	const char *s;
	size_t sn;
	switch (fd->kind) {
	case F_I64:
		return flat_int(f, FIELD(r, fd, int64_t));
	case F_F64:
		return flat_real(f, FIELD(r, fd, double));
	case F_STR:
		if (flat_str(f, &s, &sn) < 0)
			return -1;
		*FIELD(r, fd, char *) = xstrndup(s, sn);
		return 0;
	case F_BOOL:
		if (flat_lit(f, "true") == 0)
			return *FIELD(r, fd, int) = 1, 0;
		if (flat_lit(f, "false") == 0)
			return *FIELD(r, fd, int) = 0, 0;
		return -1;
	case F_DIM3:
		for (int i = 0; i < 3; i++)
			if (flat_lit(f, i ? "," : "[") < 0 ||
			    flat_int(f, &FIELD(r, fd, int64_t)[i]) < 0)
				return -1;
		return flat_lit(f, "]");
	case F_JSON:
		return flat_json(f, FIELD(r, fd, json_t *));
	case F_NS:
		return -1; /* flat_decode reads it: it is checked after the line */
	}
	return -1;
}

static int flat_common(struct flat *f, const char *k, size_t kn, struct record *r,
		       uint64_t *seen)
{
	static const char *const common[] = { "id", "case", "call", "phase", "impl" };
	int which = -1;
	for (int i = 0; i < 5; i++)
		if (common[i][0] == k[0] && strncmp(common[i], k, kn) == 0 && !common[i][kn])
			which = i;
	if (which < 0 || (*seen & (1ull << (59 + which))))
		return -1;
	*seen |= 1ull << (59 + which);
	const char *s;
	size_t sn;
	char name[16];
	switch (which) {
	case 0:
		return flat_int(f, &r->id);
	case 1:
		return flat_int(f, &r->case_index);
	case 2:
		return flat_int(f, &r->call);
	default:
		if (flat_str(f, &s, &sn) < 0 || sn >= sizeof name)
			return -1;
		memcpy(name, s, sn);
		name[sn] = '\0';
		int v = which == 3 ? record_phase_parse(name) : record_impl_parse(name);
		if (v <= 0)
			return -1;
		if (which == 3)
			r->phase = (enum record_phase)v;
		else
			r->impl = (enum record_impl)v;
		return 0;
	}
}

static int key_is(const char *key, const char *k, size_t kn)
{
	return key[0] == k[0] && strncmp(key, k, kn) == 0 && key[kn] == '\0';
}

static int flat_decode(const char *line, size_t len, struct record *r)
{
	struct flat f = { line, line + len };
	const char *k, *s;
	size_t kn, sn;
	char tname[16];
	if (flat_lit(&f, "{") < 0 || flat_key(&f, &k, &kn) < 0 || kn != 4 ||
	    memcmp(k, "type", 4) != 0 || flat_str(&f, &s, &sn) < 0 || sn >= sizeof tname)
		return 0;
	memcpy(tname, s, sn);
	tname[sn] = '\0';
	int t = record_type_parse(tname);
	/* A case record's buffers are checked on the general path (one per
	 * case: no cost worth a second copy of the rules). */
	if (t < 0 || t == REC_HEADER || t == REC_CASE)
		return 0;
	record_init(r, (enum record_type)t);
	const struct field *fields = types[t].fields;
	uint64_t seen = 0;
	const struct field *ns_field = NULL; /* "ns", checked once start and end are read */
	int64_t ns = REC_NONE;
	int next = 0; /* kaudit writes fields in table order: try that first */
	while (f.p < f.end && *f.p == ',') {
		f.p++;
		if (flat_key(&f, &k, &kn) < 0 || kn == 0)
			goto fallback;
		int i = next;
		if (!(fields[i].key && key_is(fields[i].key, k, kn)))
			for (i = 0; fields[i].key && !key_is(fields[i].key, k, kn); i++)
				;
		next = fields[i].key ? i + 1 : next;
		if (!fields[i].key) {
			if (flat_common(&f, k, kn, r, &seen) < 0)
				goto fallback;
			continue;
		}
		if (seen & (1ull << i))
			goto fallback;
		if (fields[i].kind == F_NS) {
			if (flat_int(&f, &ns) < 0)
				goto fallback;
			ns_field = &fields[i];
		} else if (flat_value(&f, &fields[i], r) < 0) {
			goto fallback;
		}
		seen |= 1ull << i;
	}
	if (f.p + 1 != f.end || *f.p != '}')
		goto fallback;
	for (int i = 0; fields[i].key; i++)
		if (fields[i].required && !(seen & (1ull << i)))
			goto fallback;
	/* A wrong ns takes the general path, which says what is wrong. */
	if (ns_field && (pair_ns(r, ns_field) == REC_NONE || ns != pair_ns(r, ns_field)))
		goto fallback;
	return 1;
fallback:
	record_clear(r);
	return 0;
}

int record_decode_line(const char *line, size_t len, struct record *r, struct errbuf *e)
{
	if (len <= RECORD_MAX_LINE && flat_decode(line, len, r))
		return 0;
	return record_decode_line_general(line, len, r, e);
}

int record_decode_line_general(const char *line, size_t len, struct record *r,
			       struct errbuf *e)
{
	json_error_t je;
	if (len > RECORD_MAX_LINE)
		return errbuf_set(e, EXIT_BAD_INPUT, "record line longer than %u bytes",
				  RECORD_MAX_LINE);
	json_t *j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return errbuf_set(e, EXIT_BAD_INPUT, "invalid JSON: %s", je.text);
	int rc = record_from_json(j, r, e);
	json_decref(j);
	return rc;
}

void record_list_push(struct record_list *l, struct record *r)
{
	xgrow((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v);
	l->v[l->n++] = *r;
	record_init(r, r->type);
}

void record_list_free(struct record_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		record_clear(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

int record_list_sink_emit(void *list, const struct record *r)
{
	struct record c;
	record_copy(&c, r);
	record_list_push(list, &c);
	return 0;
}
