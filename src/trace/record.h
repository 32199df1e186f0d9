/*
 * record.h - the one definition of every audit record (kaudit-trace(5)).
 *
 * The worker produces records, the supervisor streams them into the trace,
 * the detectors read them, and `check` reads them back years later: all of
 * them use this struct and the codec in record.c.  A record's JSON keys and
 * types are listed once, in the field tables of record.c; adding a field
 * means adding it to the union below and to that table, nowhere else.
 *
 * Ownership: strings (char *) and JSON values (json_t *) inside a record are
 * owned by it and released by record_clear().  record_list_push() moves a
 * record into a list (the caller's copy must not be cleared afterwards).
 *
 * Absent optional values: integers hold REC_NONE, doubles NaN, pointers
 * NULL; the encoder omits them and the decoder restores them.
 */
#ifndef KAUDIT_RECORD_H
#define KAUDIT_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/util.h"

/*
 * Conventions between the worker (producer) and the detectors (consumers):
 *
 * - case_index: the case's position in claim_cases() order; every record a
 *   worker emits carries it.  call: every invocation of an implementation
 *   entry in a case gets the next call number (both impls share one
 *   counter); all activity the call caused carries that number and its impl.
 *   Activity that happens while no call is in progress (after an entry
 *   returned, or from a thread kaudit did not call the entry on) is given
 *   the most recent call's number with api.in_call = 0.
 * - check.kind and what a failed check (ok = false) means:
 *     compare      candidate output vs the baseline's for the same inputs
 *                  (trial; or sample for a checked timed call, detail.sample)
 *                  -> wrong-output; detail {ref_min, ref_max, ref_absmax}
 *                  feeds degenerate-reference even when ok
 *     unwritten    elements still holding the poison after the call -> unwritten-output
 *     guards       guard-zone bytes changed (detail.bad_bytes) -> out-of-bounds-write
 *     input        bytes of an `in` buffer changed (mismatches) -> input-mutation
 *     bait         output equals the previous trial's answer although the
 *                  inputs changed (detail.equal_old) -> stale-output
 *     repeat       identical inputs, different poison, different bits -> nondeterministic-output
 *     sensitivity  output unchanged while inputs and the baseline's output
 *                  changed -> input-insensitive
 * - sample: one timed call; traced = 0 marks untraced control samples
 *   (tracing-overhead compares them with traced ones).
 * - error: a case that could not be audited (build, crash, timeout, CUDA
 *   error); its verdict is `error`.
 * - sandbox: one per confined process (worker, entry check, nvcc, probe),
 *   made by sandbox_report_record(); any layer false -> sandbox-degraded.
 */
#define REC_NONE INT64_MIN

/* Longest JSON line kaudit writes or accepts (a header carrying every source
 * verbatim is the longest record). */
#define RECORD_MAX_LINE (64u << 20)

enum record_type {
	REC_HEADER,
	REC_DEVICE,
	REC_BUILD,
	REC_CASE,
	REC_API,
	REC_KERNEL,
	REC_MEMCPY,
	REC_MEMSET,
	REC_EVENT,
	REC_SYNC,
	REC_ALLOC,
	REC_CHECK,
	REC_SAMPLE,
	REC_FINDING,
	REC_VERDICT,
	REC_ERROR,   /* a case (or the audit) failed: build, crash, timeout, CUDA error */
	REC_DROPPED, /* the collector lost records (CUPTI drops, record cap) */
	REC_SANDBOX, /* what a process running claimant code was confined by */
	REC_PROCESS, /* kaudit observe: one observed process reached CUDA */
	REC_ELAPSED, /* kaudit observe: an elapsed-time read of two CUDA events */
	REC_FOOTER,
	REC_SIGNATURE,
	REC_NTYPES
};

/* Which side of a claim a record belongs to. */
enum record_impl { IMPL_NONE = 0, IMPL_BASELINE, IMPL_CANDIDATE, IMPL_HARNESS };

/* The audit phase a record was produced in. */
enum record_phase {
	PHASE_NONE = 0,
	PHASE_SETUP,       /* environment, build, allocation */
	PHASE_CORRECTNESS, /* trials */
	PHASE_TIMING,      /* warm-up and samples */
	PHASE_ANALYSIS     /* detectors and verdicts */
};

struct rec_header {
	int64_t version;
	char *tool;             /* kaudit version */
	char *time;             /* RFC 3339 UTC start of the audit */
	char *host;
	int synthetic;          /* 1: records made up, not measured on a GPU */
	int64_t root_seed;
	char *manifest_path;
	char *manifest_text;    /* verbatim */
	char *manifest_sha256;
	json_t *sources;        /* [{impl, kernel, path, sha256, text}] */
	json_t *binaries;       /* [{impl, kernel, sha256}] */
	char *pubkey;           /* signer's SPKI PEM */
	double margin;          /* verify --margin as a fraction (0.10), NaN if absent */
	json_t *plugin;         /* {path, sha256, origin} of the GPU plugin, NULL if none */
	json_t *build;          /* {commit, cuda} of the kaudit that wrote it, NULL in
				   traces older than the field */
	json_t *observe;        /* kaudit observe: {argv, cwd, status, signal}; NULL
				   for an audit of a claim */
	json_t *selection;      /* which of the claim's cases this audit ran: {cases,
				   kernel?, shard? {index, count}} (trace_selection_of),
				   NULL in traces older than the field */
};

struct rec_device {
	char *name, *uuid, *cc;
	int64_t sms, mem_bytes, l2_bytes;
	int64_t sm_clock_mhz, mem_clock_mhz, max_sm_clock_mhz;
	int64_t throttle;       /* NVML clocks-event reasons bitmask, REC_NONE if unknown */
	double peak_bw;         /* measured device-to-device bytes/s */
	double peak_flops;      /* fp32 flop/s upper bound, NaN if unknown */
	char *driver, *runtime, *cupti, *nvcc;
	int ecc, persistence;   /* -1 unknown */
	json_t *extra;
};

struct rec_build {
	char *kernel;           /* claim kernel id */
	char *source;
	char *sha256;           /* of the source text */
	char *so_sha256;        /* of the shared object */
	json_t *flags;
	char *nvcc;
	char *arch;             /* the -arch option nvcc got, NULL for a prebuilt .so */
	int cached, ok;
	char *log;
};

struct rec_case {
	char *kernel;
	json_t *params;         /* {"N": 4096, ...} */
	json_t *buffers;        /* [{name, role, dtype, shape, bytes}] */
	int64_t seed;
	double claimed;
	double rtol, atol;
	int deterministic;
	int64_t work_bytes, work_flops; /* REC_NONE if the manifest gives none */
	json_t *expect;
};

struct rec_api {
	char *name;             /* cudaLaunchKernel, cuLaunchKernel, cudaEventRecord... */
	int64_t thread;         /* OS thread id of the caller */
	int64_t start, end;     /* host ns, CUPTI clock */
	int64_t corr;           /* correlation id */
	int64_t stream;         /* stream argument, REC_NONE if none */
	int64_t event;          /* event argument, REC_NONE if none */
	int in_call;            /* 1: issued while the entry point was running */
	int64_t pid;            /* observe: the process (the kernel's word for it) */
	int64_t result;         /* observe: the call's return code (0 success) */
};

struct rec_kernel {
	char *name;
	int64_t stream, start, end, corr, device;
	int64_t grid[3], block[3];
	int64_t smem, regs;
	int64_t pid;            /* observe: the process */
	int64_t graph;          /* CUDA graph id when a graph launch ran it */
};

struct rec_memcpy {
	char *kind;             /* HtoD DtoH DtoD HtoH PtoP */
	int64_t bytes, stream, start, end, corr;
	int64_t pid, graph;     /* observe */
};

struct rec_memset {
	int64_t bytes, value, stream, start, end, corr;
	int64_t pid, graph;     /* observe */
};

struct rec_event {
	int64_t event, stream, ts, corr; /* ts: device timestamp of completion */
	char *role;             /* "start"/"stop" for the harness window, else NULL */
	int64_t pid;            /* observe */
};

struct rec_sync {
	char *kind;             /* stream event context stream_wait */
	int64_t stream, event, start, end, corr;
	int64_t pid;            /* observe */
};

struct rec_alloc {
	char *kind;             /* alloc free */
	char *memory;           /* device pinned managed */
	int64_t address, bytes, ts, corr;
};

struct rec_check {
	char *kind;             /* compare unwritten guards input bait repeat sensitivity */
	int64_t trial;
	char *buffer;
	int ok;
	int64_t seed;
	double max_abs, max_rel, rel_l2;
	int64_t count, mismatches, unwritten;
	json_t *detail;
};

struct rec_sample {
	int64_t round, index, input_set;
	double event_ns;        /* stop - start, CUDA events */
	double span_ns;         /* GPU span of all the call's activity, any stream */
	int64_t window_start, window_end; /* device ts of the start/stop events */
	char *window_clock;     /* "device" or "host": the clock of the window, NULL if none */
	int64_t span_start, span_end;
	int64_t kernels;        /* number of kernels attributed to the call */
	double kernel_ns;       /* their summed duration */
	int64_t bytes;          /* memcpy + memset bytes of the call */
	int checked;            /* output compared against the baseline afterwards */
	int traced;             /* 0: an untraced control sample */
};

struct rec_finding {
	char *code;             /* kaudit-findings(7) */
	char *severity;         /* invalidating warning */
	int64_t trial, sample;
	char *message;
	json_t *evidence;       /* numbers and {"records": [ids]} */
};

struct rec_verdict {
	char *kernel;
	char *verdict;          /* reproduced not-reproduced invalid inconclusive error */
	double claimed, measured, ci_low, ci_high;
	double baseline_ns, candidate_ns; /* medians */
	char *reason;
	json_t *params;
	json_t *findings;       /* ["code", ...] */
};

struct rec_error {
	char *where;            /* build worker timeout crash cuda launch setup */
	char *message;
	int64_t signal, status;
};

struct rec_dropped {
	int64_t count;
	char *source;           /* cupti, cap */
};

/* One per sandboxed process (src/run/sandbox.h): which layers the kernel
 * put in force (1) or refused (0); refused, when not NULL, lists
 * {layer, why} for each refused layer. */
struct rec_sandbox {
	char *process;          /* worker entry-check nvcc probe */
	int no_new_privs, seccomp, landlock;
	int64_t landlock_abi;   /* 0: no Landlock */
	int signals_scoped;     /* Landlock signal and abstract-socket scoping (ABI 6) */
	int net_restricted;     /* Landlock TCP bind/connect refused (ABI 4) */
	json_t *refused;        /* [{layer, why}] */
	int64_t skipped_paths;  /* policy paths that did not exist or took no rule */
};

/* kaudit observe: a process of the observed command that loaded the
 * injection library.  pid is the kernel's (SO_PEERCRED of its connection),
 * never what the process said. */
struct rec_process {
	int64_t pid, ppid;
	char *exe;              /* /proc/self/exe of the process, as it said */
	int subscribed;         /* 0: CUPTI refused (another subscriber holds it) */
	char *message;          /* why not, when subscribed is 0 */
	char *cupti;            /* CUPTI version it found */
	int64_t ts;             /* CUPTI clock when it connected */
};

/* kaudit observe: one cudaEventElapsedTime / cuEventElapsedTime call and
 * the exact value the harness got back (read at the API's exit). */
struct rec_elapsed {
	char *name;             /* the API that was called */
	int64_t pid, thread;
	int64_t start, end;     /* host ns of the call, CUPTI clock */
	int64_t corr;
	int64_t start_event, stop_event; /* event handles, as api records name them */
	double ms;              /* what *ms held at exit; NaN when the call failed */
	int64_t result;         /* the call's return code: 0 success, 600 not ready ... */
};

struct rec_footer {
	int64_t records;
	char *sha256;
};

struct rec_signature {
	json_t *dsse;
};

struct record {
	enum record_type type;
	int64_t id;             /* line index in the trace (header = 0), REC_NONE before */
	int64_t case_index;     /* REC_NONE for audit-wide records */
	enum record_phase phase;
	enum record_impl impl;
	int64_t call;           /* the implementation call it belongs to, REC_NONE if none */
	union {
		struct rec_header header;
		struct rec_device device;
		struct rec_build build;
		struct rec_case kase;
		struct rec_api api;
		struct rec_kernel kernel;
		struct rec_memcpy memcpy;
		struct rec_memset memset;
		struct rec_event event;
		struct rec_sync sync;
		struct rec_alloc alloc;
		struct rec_check check;
		struct rec_sample sample;
		struct rec_finding finding;
		struct rec_verdict verdict;
		struct rec_error error;
		struct rec_dropped dropped;
		struct rec_sandbox sandbox;
		struct rec_process process;
		struct rec_elapsed elapsed;
		struct rec_footer footer;
		struct rec_signature signature;
	} u;
};

/* Sets R to an empty record of type T (every optional value absent). */
void record_init(struct record *r, enum record_type t);
/* Releases what R owns and leaves it empty of type T's kind. */
void record_clear(struct record *r);
/* Deep copy. */
void record_copy(struct record *dst, const struct record *src);

const char *record_type_name(enum record_type t);
int record_type_parse(const char *name);           /* -1 if unknown */
const char *record_impl_name(enum record_impl i);  /* NULL for IMPL_NONE */
int record_impl_parse(const char *name);           /* -1 if unknown */
const char *record_phase_name(enum record_phase p);
int record_phase_parse(const char *name);

/* JSON object for R (new reference). */
json_t *record_to_json(const struct record *r);
/* Fills R (record_init'ed by the call) from J; unknown keys are ignored so a
 * newer trace stays readable; missing required keys and wrong types fail. */
int record_from_json(const json_t *j, struct record *r, struct errbuf *e) KAUDIT_MUST_CHECK;

/* One compact JSON line with its '\n'; *LINE is malloc'ed. */
int record_encode_line(const struct record *r, char **line, size_t *len) KAUDIT_MUST_CHECK;
int record_decode_line(const char *line, size_t len, struct record *r,
		       struct errbuf *e) KAUDIT_MUST_CHECK;
/* The same through jansson only (record_decode_line takes a faster path for
 * flat records that gives identical results; tests compare the two). */
int record_decode_line_general(const char *line, size_t len, struct record *r,
			       struct errbuf *e) KAUDIT_MUST_CHECK;

/* Set K in O unless V is absent (REC_NONE, NaN or infinite, NULL): the
 * encoder's rule, for code that builds JSON summaries from records. */
void record_json_put_int(json_t *o, const char *k, int64_t v);
void record_json_put_real(json_t *o, const char *k, double v);
void record_json_put_str(json_t *o, const char *k, const char *v);

/* A growable array of records that owns them. */
struct record_list {
	struct record *v;
	size_t n, cap;
};
void record_list_push(struct record_list *l, struct record *r); /* moves *r */
void record_list_free(struct record_list *l);

/* Where producers put records (a pipe, a trace writer, a test's list). */
struct record_sink {
	int (*emit)(void *self, const struct record *r);
	void *self;
};
static inline int record_emit(const struct record_sink *s, const struct record *r)
{
	return s->emit(s->self, r);
}
/* A sink that copies records into a record_list. */
int record_list_sink_emit(void *list, const struct record *r);

#endif
