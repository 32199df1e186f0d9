/*
 * summary.h - `kaudit summary`: many traces (the shards of a job array,
 * reruns, several claims), one table.  cmd_summary.c checks each trace as
 * `kaudit check` does (check_trace.c), keeps a few words per case, and
 * joins them by claim; summary_render.c prints the result as text,
 * markdown, CSV or JSON (man/kaudit-summary.schema.json).  Internal to
 * src/cli/.
 *
 * Ownership: struct summary owns every string and JSON value below; the
 * renderers only read it.  Strings come from traces: hostile, escaped by
 * the renderers.
 */
#ifndef KAUDIT_SUMMARY_H
#define KAUDIT_SUMMARY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#define SUMMARY_NO_CLAIM ((size_t)-1)

/* One case as one valid trace gives it (the verdict the records give,
 * which check found equal to the stored one). */
struct summary_result {
	int64_t case_index;
	size_t trace;            /* index in traces */
	size_t claim;            /* index in claims */
	char *kernel, *verdict;
	double claimed, measured; /* NaN when absent */
	json_t *params;          /* object or NULL */
	json_t *findings;        /* array of codes or NULL */
};

struct summary_trace {
	char *path;
	int rc;                  /* check's exit code for it; 2: not a trace */
	int valid;               /* rc 0: its cases count */
	int warn;                /* valid, but an untrusted signer (no trust store
				    given), stand-in or synthetic: the status says */
	char *status;            /* check's status line, or why it is no trace */
	json_t *signer;          /* inspect_signer_json, NULL when no trace */
	char *claim_sha, *title; /* NULL when unknown */
	int64_t cases_total;     /* the header's selection.cases, -1 when absent */
	int sharded;
	int64_t shard_index, shard_count;
	char *kernel;            /* the selection's kernel (verify --kernel), or NULL */
	size_t nresults;         /* cases it gave (valid traces only) */
	size_t claim;            /* its claim, SUMMARY_NO_CLAIM when unknown */
};

/* A case of a claim, as every valid trace of the claim gives it. */
struct summary_case {
	int64_t case_index;
	size_t first, n;         /* its results: results[first .. first + n) */
	const char *verdict;     /* the worst of them; NULL: missing */
	int disagree;            /* two results with different verdicts */
};

struct summary_claim {
	const char *sha, *title; /* borrowed from its first trace */
	int64_t cases_total;     /* the largest selection.cases of its valid
				    traces; -1: none says (traces older than the
				    field), so missing cases cannot be known */
	int total_conflict;      /* its traces name different case counts */
	size_t *traces;          /* its traces, in operand order */
	size_t ntraces, nvalid, traces_cap;
	struct summary_case *cases; /* 0..cases_total-1, or those seen */
	size_t ncases;
	size_t covered, missing, duplicated, disagreeing;
	const char *verdict;     /* the worst case's, a missing one counting as
				    error; NULL when it has no case */
	int complete;            /* every case covered (cases_total known) */
	int ok;                  /* complete, no disagreement, reproduced */
};

struct summary {
	struct summary_trace *traces;
	size_t ntraces;
	struct summary_result *results; /* sorted by claim, case, trace */
	size_t nresults, cap;
	struct summary_claim *claims;   /* by first appearance */
	size_t nclaims, claims_cap;
	size_t rejected;         /* traces check refuses or that are none */
	int rc;                  /* the exit code (kaudit(1) summary) */
};

enum summary_format { SUMMARY_TEXT, SUMMARY_MARKDOWN, SUMMARY_CSV, SUMMARY_JSON };

/* Prints S on F (summary_render.c). */
void summary_render(FILE *f, const struct summary *s, enum summary_format fmt);
/* S as one JSON document (new reference). */
json_t *summary_json(const struct summary *s);

#endif
