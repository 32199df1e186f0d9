/*
 * cli_json.h - `--json` for every command that takes it: whatever happens,
 * standard output carries one JSON document per item (a trace, a claim),
 * the result (trace_summary() and the command's own object) or, when there
 * is none, {"error": {"exit": N, "message": "...", "file": "..."}}
 * (man/kaudit-result.schema.json).  Internal to src/cli/.
 *
 * The mode is process-wide on purpose: a usage error is found inside an
 * option loop that knows nothing of JSON, and cli_fail(), cli_fail_err()
 * and cli_usage_error() (cli.c) report through cli_json_error() whatever
 * called them.
 */
#ifndef KAUDIT_CLI_JSON_H
#define KAUDIT_CLI_JSON_H

#include <jansson.h>

/* JSON mode when "--json" is among ARGV[1..ARGC) (before a "--"); call it
 * first, before the options are parsed, so their errors are JSON too. */
void cli_json_begin(int argc, char **argv);
/* Nonzero in JSON mode. */
int cli_json_mode(void);
/* A new item begins (FILE, may be NULL, is what it is about): its error
 * object is printed unless a document for it was. */
void cli_json_item(const char *file);
/* Prints DOC (borrowed) on standard output as one document. */
void cli_json_print(const json_t *doc);
/* The same, with DOC's top-level KEY (null in DOC) printed as the array of
 * ITEM(CTX, 0..N) (each a new reference, dropped once printed): the text
 * cli_json_print gives for the whole document, one item in memory at a
 * time (inspect and check on a trace of many cases). */
void cli_json_print_array(const json_t *doc, const char *key, size_t n,
			  json_t *(*item)(void *ctx, size_t i), void *ctx);
/* In JSON mode, unless a document was printed for the current item:
 * prints the error object for exit CODE and MESSAGE.  Returns CODE. */
int cli_json_error(int code, const char *message);
/* The error object itself (new reference): what cli_json_error prints. */
json_t *cli_json_error_doc(int code, const char *message, const char *file);
/* S as a JSON string even when it is not UTF-8 (a path, a message quoting
 * one): bytes that are not are replaced with '?' (new reference). */
json_t *cli_json_string(const char *s);

#endif
