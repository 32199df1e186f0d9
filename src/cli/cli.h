/*
 * cli.h - what subcommands share: messages on stderr and option help.
 *
 * Messages follow one shape, "kaudit: what went wrong", lower case, no full
 * stop, naming the file (for YAML, FILE:LINE:COLUMN).
 */
#ifndef KAUDIT_CLI_H
#define KAUDIT_CLI_H

#include <stddef.h>

#include <jansson.h>

#include "util/util.h"

/* Prints "kaudit: MESSAGE" on stderr and returns CODE. */
int cli_fail(int code, const char *fmt, ...) KAUDIT_PRINTF(2, 3);
/* Prints E's message and returns its code. */
int cli_fail_err(const struct errbuf *e);
/* Prints "kaudit CMD: MESSAGE" and the usage hint; returns EXIT_BAD_INPUT. */
int cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...)
	KAUDIT_PRINTF(3, 4);
/* Nonzero when ARG is -h or --help. */
int cli_is_help(const char *arg);
/* Nonzero when colour may be used on FD (a TTY and NO_COLOR unset). */
int cli_use_color(int fd);
/* S[0..N) with every control character escaped ("\x1b", "\n"), so a
 * string from a manifest or a trace cannot drive the terminal (malloc'ed). */
char *cli_printable(const char *s, size_t n);
/* A deep copy of J whose every string and key went through cli_printable(). */
json_t *cli_printable_json(const json_t *j);
/* Directory holding the running executable (no trailing slash). */
const char *cli_exe_dir(void);

#endif
