/* cmd_inspect.h - what `inspect` and `check` share: who signed a trace
 * (--pubkey and the trust store) and the text rendering of trace_summary()
 * (FULL: every case in detail, else one line per case). */
#ifndef KAUDIT_CMD_INSPECT_H
#define KAUDIT_CMD_INSPECT_H

#include <jansson.h>

#include "trace/trace.h"

/* The keys a reader trusts: --pubkey (then only that key) and the trust
 * store (names keys; trusts them when there is no --pubkey). */
struct inspect_trust {
	const char *pubpath;         /* --pubkey, NULL if none */
	struct trace_key *pub;
	struct trace_trust *store;   /* NULL: no trust store */
};
/* Loads --pubkey PUBPATH (may be NULL) and the trust store; -1 with E on a
 * bad key or a malformed store (EXIT_BAD_INPUT). */
int inspect_trust_load(struct inspect_trust *t, const char *pubpath, struct errbuf *e)
	KAUDIT_MUST_CHECK;
void inspect_trust_release(struct inspect_trust *t);

/* Runs ONE on each of PATHS[0..NPATHS) (the operands cli_opts gathered),
 * a blank line between them unless JSON; the largest exit code. */
int inspect_each_trace(int npaths, char **paths, int json,
		       int (*one)(const char *path, void *ctx), void *ctx);

/* Who signed a trace, as check and inspect say it. */
struct inspect_signer {
	int verified;        /* the signature verifies with the header's key */
	int trusted;         /* verified, and by the --pubkey key or a key the store names */
	int required;        /* --pubkey or a trust store given: untrusted fails */
	char keyid[65];      /* the header's key, "" if none */
	char name[128];      /* trusted: the store's name, else the --pubkey path */
	char text[1024];     /* "signed by NAME (keyid K...)", "signed by an UNTRUSTED key
				K... (why)": K shortened to 16 digits, for the 80 columns */
	char full[1024];     /* the same with the whole keyid, for the stderr line */
};
void inspect_signer_judge(const struct trace_contents *c, const struct inspect_trust *t,
			  struct inspect_signer *out);
/* The same from the facts about a trace (verify judges the one it wrote). */
void inspect_signer_judge_facts(const struct trace_facts *f, const struct inspect_trust *t,
				struct inspect_signer *out);
/* {keyid, verified, trusted, required, name, text} (new reference). */
json_t *inspect_signer_json(const struct inspect_signer *s);

/* Colour codes ("" each without colour). */
struct inspect_style {
	const char *bold, *red, *green, *yellow, *off;
};
/* Prints S wrapped at 78 columns with INDENT spaces before each line;
 * LABEL (may be NULL), padded to INDENT columns, replaces the first line's
 * spaces, and ON/OFF (colour codes, "" for none) surround each line's
 * text, so a colour never runs across a line break. */
void inspect_wrap_label(const char *label, const char *s, int indent, const char *on,
			const char *off);
/* The banners (SYNTHETIC, STAND-IN) and how the audit was set up: plugin,
 * what the signature covers, margin, device, clocks, toolkit, sandbox,
 * sources and builds (inspect_setup.c). */
void inspect_print_banners(const json_t *summary, const struct inspect_style *st);
void inspect_print_setup(const json_t *summary, const struct inspect_style *st);

/* The status line: green only when nothing below it failed. */
enum inspect_level { INSPECT_OK, INSPECT_WARN, INSPECT_FAIL };
struct inspect_status {
	enum inspect_level level;
	char text[1280];
};
/* The status line and exit code inspect gives a trace: INTACT and PROBLEM
 * (trace_integrity's message) and the signer SG; WHY gets the one-line
 * reason for stderr when the code is not EXIT_OK ("" otherwise).  report
 * judges a trace with it too. */
int inspect_judge(const json_t *summary, int intact, const char *problem,
		  const struct inspect_signer *sg, struct inspect_status *st, char *why, size_t n);
/* "TRUNCATED: ...", "CORRUPT: ...", "UNSIGNED: ...", "TAMPERED: ..." for a
 * trace that is not intact (summary's damage and problem); "" if intact. */
void inspect_damage_text(const json_t *summary, char *buf, size_t n);

/* The text of SUMMARY (trace_summary's document); its cases from CASES
 * one at a time when not NULL (SUMMARY from trace_summary_acc_finish_head),
 * else from SUMMARY's "cases". */
void inspect_print_summary(const char *path, const json_t *summary,
			   struct trace_summary_acc *cases, int full,
			   const struct inspect_status *status,
			   const struct inspect_signer *signer);
/* SUMMARY (from trace_summary_acc_finish_head) as --json prints it, its
 * cases from CASES one at a time. */
void inspect_print_json(const json_t *summary, struct trace_summary_acc *cases);

#endif
