/*
 * cli.h - what subcommands share: messages on stderr and option help.
 *
 * Messages follow one shape, "kaudit: what went wrong", lower case, no full
 * stop, naming the file (for YAML, FILE:LINE:COLUMN).
 */
#ifndef KAUDIT_CLI_H
#define KAUDIT_CLI_H

#include <stddef.h>
#include <stdio.h>

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
/* Nonzero when colour may be used on FD: a TTY, NO_COLOR unset or empty,
 * and TERM set to something other than "" or "dumb". */
int cli_use_color(int fd);

/*
 * One option parser for every subcommand (cli_opts.c), so that all of them
 * take the same forms and say the same things (kaudit(1), OPTIONS):
 * --opt=value and --opt value, -o value and -ovalue, "--" ends the
 * options, "-" alone is an operand, options and operands mix in any order,
 * and -h/--help anywhere before "--" prints the command's help (stdout,
 * exit 0).  No abbreviations, no bundling.  A separate value that starts
 * with "-" (other than "-" itself) is not taken: write --opt=-value.
 * Errors, each followed by the usage line, exit 2:
 *   kaudit CMD: --X needs a value
 *   kaudit CMD: unknown option '--X'
 *   kaudit CMD: unexpected argument 'X'
 *   kaudit CMD: --X takes no value        (--json=1)
 *   kaudit CMD: --X given twice           (an option with a value)
 *   kaudit CMD: missing OPERAND           (fewer operands than the minimum)
 */
enum cli_arg { CLI_FLAG, CLI_VALUE };

struct cli_opt {
	const char *name;    /* long name without "--"; NULL ends a table */
	char short_name;     /* '\0': none */
	enum cli_arg arg;
	int id;              /* > 0: what cli_opts_next returns for it */
};

struct cli_command {
	const char *name;    /* "check", as in the messages */
	const char *usage;   /* the synopsis, without "usage: " */
	const char *help;    /* printed after the usage line and a blank line */
	const struct cli_opt *opts;
	const char *operand; /* "TRACE.kat", for "missing TRACE.kat" */
	int min_operands;
	int max_operands;    /* CLI_MANY: no limit */
};
#define CLI_MANY (-1)

/* cli_opts_next's answers besides an option's id. */
enum { CLI_END = 0, CLI_STOP = -1 };

/* One parse.  The operands are gathered, in order, at the front of
 * argv[1..] (argv is permuted, as GNU getopt does). */
struct cli_parse {
	const struct cli_command *cmd;
	int argc;
	char **argv;
	int next;            /* index of the next argument to read */
	int ended;           /* "--" seen */
	int scanned;         /* the -h/--help scan ran */
	const char *value;   /* the value of the option just returned, NULL for a flag */
	char **operands;     /* argv + 1, valid after CLI_END */
	int noperands;
	int status;          /* after CLI_STOP: EXIT_OK (help printed) or EXIT_BAD_INPUT */
	unsigned long seen;  /* bit per table row, for "given twice" */
};

void cli_opts_init(struct cli_parse *p, const struct cli_command *cmd, int argc, char **argv);
/* The id of the next option (its value in P->value), CLI_END when every
 * argument was read and the operand count is right, or CLI_STOP when the
 * help was printed or an error was (P->status is the exit code). */
int cli_opts_next(struct cli_parse *p);
/* Prints "usage: USAGE\n\nHELP" on stdout. */
void cli_opts_help(const struct cli_command *cmd);
/* "kaudit CMD: MESSAGE" and the usage line on stderr; EXIT_BAD_INPUT. */
int cli_opts_error(const struct cli_command *cmd, const char *fmt, ...) KAUDIT_PRINTF(2, 3);

/* What --version says (version.c): version, commit, CUDA toolkit, plugin. */
void cli_print_version(FILE *f);
/* S[0..N) with every control character escaped ("\x1b", "\n", C1 as
 * "\x9b"), the direction overrides, isolates and separators as
 * "\u{202e}" (Trojan Source), and bytes that are not UTF-8 as "\xff", so
 * a string from a manifest or a trace can neither drive the terminal nor
 * reorder what it shows (malloc'ed).  The rule is kreport_escape's too
 * (util/utf8.h). */
char *cli_printable(const char *s, size_t n);
/* A deep copy of J whose every string and key went through cli_printable(). */
json_t *cli_printable_json(const json_t *j);
/* Directory holding the running executable (no trailing slash). */
const char *cli_exe_dir(void);

#endif
