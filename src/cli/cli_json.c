/*
 * cli_json.c - one JSON document on stdout per item under --json, the
 * result or the error that prevented it (cli_json.h).  The state is one
 * file-static: the mode and whether the current item has had its
 * document, so a failure after the result (inspect's exit 4 on a damaged
 * trace it still summarised) does not print a second document.
 */
#include "cli/cli_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

static struct {
	int on;
	int printed;         /* the current item has its document */
	const char *file;    /* what the current item is about, NULL if nothing */
} json_state;

void cli_json_begin(int argc, char **argv)
{
	json_state.on = 0;
	json_state.printed = 0;
	json_state.file = NULL;
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--json") == 0)
			json_state.on = 1;
}

int cli_json_mode(void)
{
	return json_state.on;
}

void cli_json_item(const char *file)
{
	json_state.printed = 0;
	json_state.file = file;
}

void cli_json_print(const json_t *doc)
{
	char *out = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (out) {
		puts(out);
		json_state.printed = 1;
	}
	free(out);
}

/* Writes TEXT with every newline followed by INDENT more spaces: a value
 * dumped alone, as it would be nested two levels deep. */
static void put_indented(const char *text, int indent)
{
	for (const char *nl; (nl = strchr(text, '\n')); text = nl + 1) {
		fwrite(text, 1, (size_t)(nl + 1 - text), stdout);
		printf("%*s", indent, "");
	}
	fputs(text, stdout);
}

void cli_json_print_array(const json_t *doc, const char *key, size_t n,
			  json_t *(*item)(void *ctx, size_t i), void *ctx)
{
	char *out = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!out)
		return;
	/* A top-level key is the only text at the start of a line indented
	 * by two (a string's newlines are escaped), and keys are unique. */
	size_t kn = strlen(key) + 16;
	char *mark = xmalloc(kn);
	snprintf(mark, kn, "\n  \"%s\": null", key);
	char *at = strstr(out, mark);
	if (!at) {
		puts(out);
	} else {
		fwrite(out, 1, (size_t)(at - out), stdout);
		printf("\n  \"%s\": [", key);
		for (size_t i = 0; i < n; i++) {
			json_t *v = item(ctx, i);
			char *t = v ? json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
						 JSON_ENCODE_ANY) : NULL;
			printf("%s\n    ", i ? "," : "");
			put_indented(t ? t : "null", 4);
			free(t);
			json_decref(v);
		}
		printf("%s", n ? "\n  ]" : "]");
		puts(at + strlen(mark));
	}
	json_state.printed = 1;
	free(mark);
	free(out);
}

json_t *cli_json_string(const char *s)
{
	json_t *j = json_string(s ? s : "");
	if (j)
		return j;
	char *copy = xstrdup(s); /* not UTF-8: keep ASCII, mark the rest */
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

json_t *cli_json_error_doc(int code, const char *message, const char *file)
{
	json_t *err = json_object();
	json_object_set_new(err, "exit", json_integer(code));
	json_object_set_new(err, "message", cli_json_string(message));
	if (file)
		json_object_set_new(err, "file", cli_json_string(file));
	json_t *doc = json_object();
	json_object_set_new(doc, "error", err);
	return doc;
}

int cli_json_error(int code, const char *message)
{
	if (!json_state.on || json_state.printed)
		return code;
	json_t *doc = cli_json_error_doc(code, message, json_state.file);
	cli_json_print(doc);
	json_decref(doc);
	return code;
}
