/*
 * claim_private.h - what the files of src/claim/ share and nobody else sees:
 * the expression parser's internals, the YAML document helpers and the
 * schema limits.  Other modules include claim.h only.
 */
#ifndef KAUDIT_CLAIM_PRIVATE_H
#define KAUDIT_CLAIM_PRIVATE_H

#include <yaml.h>

#include "claim/claim.h"

/* Schema limits beyond claim.h's: a manifest describes a handful of
 * kernels; these only stop hostile files from costing time. */
#define CLAIM_MAX_NDIM 8
#define CLAIM_MAX_BUFFERS 256
#define CLAIM_MAX_PARAM_SETS 4096
#define CLAIM_EXPR_MAX_LEN 1024
#define CLAIM_EXPR_MAX_DEPTH 32
/* Expression nodes evaluated while validating shapes and work for every
 * parameter set; bounds the product kernels x sets x buffers x dims. */
#define CLAIM_MAX_EVAL_WORK 20000000

/* --- expressions (expr.c) --- */

/* Parses TEXT, whose first character sits at POS in the manifest.  On
 * failure fills MSG (no position) and *ERRPOS and returns -1. */
int claim_expr_parse(const char *text, struct claim_pos pos, struct claim_expr **out,
		     struct claim_pos *errpos, struct errbuf *msg) KAUDIT_MUST_CHECK;

/* Evaluates X under P; on failure MSG holds the problem (which name, which
 * operator) and *ERRPOS where it is in the manifest.  Returns -2 when the
 * problem is an unknown name (the message then lists P's names), -1 for
 * arithmetic (overflow, division by zero). */
int claim_expr_eval_at(const struct claim_expr *x, const struct claim_params *p,
		       int64_t *out, struct claim_pos *errpos,
		       struct errbuf *msg) KAUDIT_MUST_CHECK;

/* Where the expression's text starts in the manifest. */
struct claim_pos claim_expr_pos(const struct claim_expr *x);

/* Number of nodes: the cost of one evaluation. */
size_t claim_expr_size(const struct claim_expr *x);

void claim_expr_free(struct claim_expr *x);

/* --- entries (entries.c) --- */

/* For a CUDA source at PATH (a real path; SOURCE as the manifest writes
 * it): -1 with MSG naming the nearest exported launcher when ENTRY cannot
 * be defined there (its name appears nowhere, no local #include or ##
 * could supply it, and the source declares launchers); 0 otherwise, and always for shared objects (claim_lint_entries) and
 * sources the scan cannot read (the build's entry check decides those). */
int claim_entry_check(const char *path, const char *source, const char *entry,
		      struct errbuf *msg) KAUDIT_MUST_CHECK;

/* --- tables (tables.c) --- */

/* Space-separated lists for "expected one of ..." messages. */
extern const char claim_dtype_names[];
extern const char claim_verdict_names[];

int claim_verdict_known(const char *v);
/* Inclusive value range of an integer dtype (0 when DTYPE is a float). */
int claim_dtype_int_range(int dtype, int64_t *lo, int64_t *hi);

/* --- YAML document access (yaml_doc.c) --- */

/* Everything a loader step needs to read nodes and report errors. */
struct claim_loader {
	const char *path;       /* as given: names the file in messages */
	const char *text;
	size_t len;
	yaml_document_t doc;
	struct errbuf *e;
	size_t visits;          /* nodes visited by the bounds check */
	size_t eval_work;       /* expression nodes evaluated so far */
};

enum yscalar { YS_NULL, YS_BOOL, YS_INT, YS_FLOAT, YS_STR };

/* Parses the text into L->doc, refusing syntax errors, empty input, more
 * than one document, too many nodes after aliases, too deep a nesting,
 * non-scalar keys and duplicate keys. */
int yd_load(struct claim_loader *L) KAUDIT_MUST_CHECK;
void yd_release(struct claim_loader *L);

yaml_node_t *yd_node(struct claim_loader *L, int id);
struct claim_pos yd_pos(const yaml_node_t *n);

/* Sets L->e to "PATH:LINE:COL: message" at node N (or at POS) and
 * returns -1. */
int yd_err(struct claim_loader *L, const yaml_node_t *n, const char *fmt, ...)
	KAUDIT_PRINTF(3, 4);
int yd_err_at(struct claim_loader *L, struct claim_pos pos, const char *fmt, ...)
	KAUDIT_PRINTF(3, 4);

/* A short description of N for messages: "a mapping", "'abc'", ... */
const char *yd_describe(const yaml_node_t *n, char *buf, size_t len);

/* How a scalar reads under the YAML 1.2 core schema (quoted: a string). */
enum yscalar yd_scalar_kind(const yaml_node_t *n);

/* Typed reads; WHAT names the value in messages ("claimed_speedup"). */
int yd_string(struct claim_loader *L, const yaml_node_t *n, const char *what,
	      char **out) KAUDIT_MUST_CHECK;
int yd_int(struct claim_loader *L, const yaml_node_t *n, const char *what,
	   int64_t *out) KAUDIT_MUST_CHECK;
int yd_number(struct claim_loader *L, const yaml_node_t *n, const char *what,
	      double *out) KAUDIT_MUST_CHECK;
int yd_bool(struct claim_loader *L, const yaml_node_t *n, const char *what,
	    int *out) KAUDIT_MUST_CHECK;

/* The fields of mapping N: every key must be one of KEYS (NULL-terminated);
 * VALS[i] and KEYNODES[i] (either may be NULL) receive the value and key
 * node of KEYS[i], or NULL when absent. */
int yd_fields(struct claim_loader *L, const yaml_node_t *n, const char *what,
	      const char *const *keys, yaml_node_t **vals,
	      yaml_node_t **keynodes) KAUDIT_MUST_CHECK;

/* Fails with "WHAT: expected a mapping/list, got ..." unless N has that type. */
int yd_expect_map(struct claim_loader *L, const yaml_node_t *n, const char *what) KAUDIT_MUST_CHECK;
int yd_expect_seq(struct claim_loader *L, const yaml_node_t *n, const char *what) KAUDIT_MUST_CHECK;

/* --- schema (load_*.c) --- */

/* Loads kernel entry N; VALS are the defaults' values by kernel key index
 * (NULL where absent).  Kernels before K in C are complete (ids unique). */
int claim_load_kernel(struct claim_loader *L, struct claim *c, size_t k,
		      const yaml_node_t *n, yaml_node_t *const *defaults) KAUDIT_MUST_CHECK;

/* Kernel keys in the order they are validated; defaults take any but the
 * first CLAIM_KEY_FIRST_DEFAULTABLE. */
extern const char *const claim_kernel_keys[];
enum claim_kernel_key {
	KK_ID, KK_BASELINE, KK_CANDIDATE, /* per kernel only */
	KK_CLAIMED_SPEEDUP, KK_PARAMS, KK_BUFFERS, KK_TOLERANCE,
	KK_DETERMINISTIC, KK_WORK, KK_EXPECT, KK_COUNT
};
#define CLAIM_KEY_FIRST_DEFAULTABLE KK_CLAIMED_SPEEDUP

int claim_load_buffers(struct claim_loader *L, struct claim_kernel *k,
		       const yaml_node_t *n) KAUDIT_MUST_CHECK;

/* Formats parameter set P as "{N: 4096, D: 8192}" into BUF. */
const char *claim_params_format(const struct claim_params *p, char *buf, size_t len);

/* Evaluates X under every parameter set of K, checking each result is at
 * least MIN; errors name the expression and the set. */
int claim_check_expr(struct claim_loader *L, const struct claim_kernel *k,
		     const struct claim_expr *x, int64_t min, const char *what) KAUDIT_MUST_CHECK;

/* Parses expression node N (an integer or a string) for K. */
int claim_parse_expr_node(struct claim_loader *L, const yaml_node_t *n, const char *what,
			  struct claim_expr **out) KAUDIT_MUST_CHECK;

#endif
