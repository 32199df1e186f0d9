/*
 * claim.h - a claim manifest (kaudit-claim(5)) loaded into plain C structs.
 *
 * claim_load() parses and fully validates a manifest; everything in the
 * returned struct claim is owned by it and released by claim_free().  Other
 * modules only read these structs.  Positions are 1-based line/column in
 * the manifest, kept so later stages (build, verify) can point back at the
 * line that caused a problem.
 */
#ifndef KAUDIT_CLAIM_H
#define KAUDIT_CLAIM_H

#include <stddef.h>
#include <stdint.h>

#include "util/rng.h"
#include "util/util.h"

/* Hard limits: a manifest is a small hand-written file. */
#define CLAIM_MAX_BYTES (1u << 20)     /* 1 MiB of YAML */
#define CLAIM_MAX_NODES 100000         /* after alias expansion */
#define CLAIM_MAX_DEPTH 64
#define CLAIM_MAX_FLAGS 256            /* nvcc flags per implementation */

struct claim_pos {
	int line; /* 1-based */
	int col;  /* 1-based */
};

/* A parsed integer expression over params (opaque; see claim_expr_eval). */
struct claim_expr;

enum claim_role { CLAIM_IN, CLAIM_OUT, CLAIM_INOUT };

/* The input generator's distributions (util/rng.h), as manifests name them. */
enum claim_dist {
	CLAIM_INIT_DEFAULT = RNG_DIST_DEFAULT,
	CLAIM_INIT_NORMAL = RNG_DIST_NORMAL,
	CLAIM_INIT_UNIFORM = RNG_DIST_UNIFORM,
	CLAIM_INIT_RANDINT = RNG_DIST_RANDINT,
	CLAIM_INIT_ARANGE = RNG_DIST_ARANGE,
	CLAIM_INIT_CONSTANT = RNG_DIST_CONSTANT,
	/* Not kaudit's generator: item ITEM of the problem file's
	 * get_inputs() under the trial's seed (kaudit-claim(5), PYTHON
	 * IMPLEMENTATIONS), made by a separate confined interpreter that
	 * imports the problem file only. */
	CLAIM_INIT_GET_INPUTS = 100
};

struct claim_init {
	enum claim_dist dist;
	double a, b;
	int item; /* CLAIM_INIT_GET_INPUTS: its index in get_inputs()'s list */
};

struct claim_buffer {
	char *name;
	enum claim_role role;
	int dtype;                  /* enum kaudit_dtype */
	size_t ndim;
	struct claim_expr **shape;  /* ndim expressions */
	struct claim_init init;
	struct claim_pos pos;
};

struct claim_impl {
	/* A Python implementation ({python: FILE.py, entry: NAME}, run by the
	 * bridge, src/python/): SOURCE/PATH are the .py file, ENTRY a Python
	 * identifier (an nn.Module subclass or a function), no flags. */
	int python;
	/* Python only: the .py file whose get_init_inputs() gives the
	 * module's constructor arguments (init_inputs: FILE.py; a KernelBench
	 * problem file), as written and its real path; NULL: the implementation's
	 * own file, when it defines get_init_inputs, else no arguments. */
	char *init_source, *init_path;
	char *source;   /* as written in the manifest */
	char *path;     /* the real path (no symlinks), inside the claim's tree */
	char *entry;    /* a C identifier */
	char **flags;   /* extra nvcc arguments as written, argv entries */
	size_t nflags;
	struct claim_pos *flag_pos; /* nflags positions, one per flag (NULL if none) */
	struct claim_pos pos;
	struct claim_pos entry_pos; /* of the entry's value */
};

/* One parameter set: names in the order the manifest gives them. */
struct claim_params {
	size_t n;
	char **names;
	int64_t *values;
	struct claim_pos pos;
};

struct claim_tolerance {
	int set;        /* 0: defaults per dtype (claim_default_tolerance) */
	double rtol, atol;
};

struct claim_expect {
	int set;
	char *verdict;      /* reproduced, not-reproduced, invalid, inconclusive, error */
	char **findings;    /* finding codes that must appear */
	size_t nfindings;
};

struct claim_kernel {
	char *id;
	double claimed_speedup;
	struct claim_impl baseline, candidate;
	struct claim_params *params;  /* nparams >= 1 sets (an empty set if absent) */
	size_t nparams;
	struct claim_buffer *buffers;
	size_t nbuffers;
	struct claim_tolerance tolerance;
	int deterministic;            /* default 1 */
	struct claim_expr *work_bytes; /* NULL if absent */
	struct claim_expr *work_flops; /* NULL if absent */
	struct claim_expect expect;
	/* Some `in` buffer's init is get_inputs: the problem file that
	 * defines get_inputs() (the baseline's Python file, else the
	 * candidate's init_inputs file), as written and its real path
	 * (borrowed from that implementation); both NULL otherwise. */
	const char *inputs_source, *inputs_path;
	struct claim_pos pos;
};

struct claim {
	char *path;      /* as given */
	char *dir;       /* directory sources are resolved against */
	char *root;      /* realpath of dir: the claim's tree, which every source,
			    -I directory and included file must lie inside;
			    NULL when dir does not resolve */
	char *text;      /* the manifest verbatim (NUL-terminated) */
	size_t text_len;
	char sha256[65]; /* of text */
	char *title, *source, *hardware; /* source/hardware may be NULL */
	struct claim_kernel *kernels;
	size_t nkernels;
};

/* One case: a kernel entry with one parameter set. */
struct claim_case {
	const struct claim_kernel *kernel;
	size_t kernel_index;
	size_t param_index;
};

/* Loads and validates PATH.  On failure E->msg is "FILE:LINE:COL: message"
 * (or "FILE: message" when there is no position) and E->code is
 * EXIT_BAD_INPUT. */
int claim_load(const char *path, struct claim **out, struct errbuf *e) KAUDIT_MUST_CHECK;

/* The same from a buffer; PATH only names it in messages and anchors
 * relative sources. */
int claim_load_buffer(const char *path, const char *text, size_t len,
		      struct claim **out, struct errbuf *e) KAUDIT_MUST_CHECK;

void claim_free(struct claim *c);

/* Lint's check of each .so source (claim_load leaves them to the build):
 * -1 and E as claim_load's when one is not a readable ELF64 shared object
 * or does not export its entry (naming the nearest it does). */
int claim_lint_entries(const struct claim *c, struct errbuf *e) KAUDIT_MUST_CHECK;

/* All cases in manifest order; *N receives the count.  Caller frees. */
struct claim_case *claim_cases(const struct claim *c, size_t *n);

/* Evaluates X with the parameter set P. */
int claim_expr_eval(const struct claim_expr *x, const struct claim_params *p,
		    int64_t *out, struct errbuf *e) KAUDIT_MUST_CHECK;

/* The expression's source text, for messages and the trace. */
const char *claim_expr_text(const struct claim_expr *x);

/* Number of elements of buffer B under P (product of its shape). */
int claim_buffer_numel(const struct claim_buffer *b, const struct claim_params *p,
		       int64_t *out, struct errbuf *e) KAUDIT_MUST_CHECK;

/* dtype names and sizes ("f32" <-> KAUDIT_F32); -1 / NULL when unknown. */
int claim_dtype_parse(const char *name);
const char *claim_dtype_name(int dtype);
size_t claim_dtype_size(int dtype);
int claim_dtype_is_float(int dtype);

/* The tolerance that applies to an output of DTYPE in kernel K. */
struct claim_tolerance claim_tolerance_for(const struct claim_kernel *k, int dtype);

const char *claim_role_name(enum claim_role r);

/* --- the claim's tree and nvcc flags (flags.c; kaudit-claim(5)) --- */

/* Where REAL (an absolute path without symlinks) lies in the claim tree
 * ROOT: the part after "ROOT/" ("" for ROOT itself), or NULL when it lies
 * outside, or under /proc, /sys or /dev (never claim files, whatever ROOT
 * is). */
const char *claim_tree_rel(const char *root, const char *real);

/* Nonzero when REAL lies in kaudit's configuration directory
 * ($XDG_CONFIG_HOME/kaudit or ~/.config/kaudit, where the signing key
 * lives) or is $KAUDIT_KEY: never readable by a compile, even inside a
 * claim's tree. */
int claim_path_secret(const char *real);

/* Nonzero when every byte of S is one nvcc may paste into its sub-tools'
 * shell command lines: letters, digits and _ . / + = @ % : - */
int claim_shell_safe(const char *s);

/* Manifest flags as nvcc receives them: ARGV is the flags with each -I
 * directory replaced by its real path (N entries, owned); INCDIRS the -I
 * directories, real paths, in order. */
struct claim_nvcc_flags {
	char **argv;
	size_t n;
	char **incdirs;
	size_t nincdirs;
};

/* Checks FLAGS[0..N) against the allowlist of kaudit-claim(5); -I
 * directories are resolved against ROOT (a real path) and must lie inside
 * it.  On success fills OUT (may be NULL); on refusal returns -1 with
 * *BAD the index of the offending entry and MSG the problem (no
 * position), which lists what is allowed when the flag is unknown. */
int claim_flags_check(char *const *flags, size_t n, const char *root,
		      struct claim_nvcc_flags *out, size_t *bad,
		      struct errbuf *msg) KAUDIT_MUST_CHECK;
void claim_nvcc_flags_release(struct claim_nvcc_flags *f);

#endif
