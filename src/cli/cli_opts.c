/*
 * cli_opts.c - the one option parser of every subcommand (cli.h says the
 * rules and the messages).  Hand-written rather than getopt_long: getopt
 * accepts abbreviations, takes "--json" as the value of "--pubkey", and its
 * errors cannot tell "--json=1" from an unknown option; kaudit's forms are
 * few enough to say exactly.
 */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void cli_opts_init(struct cli_parse *p, const struct cli_command *cmd, int argc, char **argv)
{
	memset(p, 0, sizeof *p);
	p->cmd = cmd;
	p->argc = argc;
	p->argv = argv;
	p->next = 1;
	p->operands = argv + 1;
}

void cli_opts_help(const struct cli_command *cmd)
{
	printf("usage: %s\n\n%s", cmd->usage, cmd->help);
}

/* Through cli_usage_error: under --json the error object goes to stdout. */
int cli_opts_error(const struct cli_command *cmd, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return cli_usage_error(cmd->name, cmd->usage, "%s", msg);
}

static int stop(struct cli_parse *p, int status)
{
	p->status = status;
	return CLI_STOP;
}

/* The row for "--NAME" (LEN bytes of NAME) or "-C", NULL if none. */
static const struct cli_opt *find_long(const struct cli_opt *t, const char *name, size_t len)
{
	for (; t->name; t++)
		if (strlen(t->name) == len && strncmp(t->name, name, len) == 0)
			return t;
	return NULL;
}

static const struct cli_opt *find_short(const struct cli_opt *t, char c)
{
	for (; t->name; t++)
		if (t->short_name && t->short_name == c)
			return t;
	return NULL;
}

/* An operand, kept at the front of argv[1..]; beyond the maximum it is an
 * unexpected argument. */
static int operand(struct cli_parse *p, char *arg)
{
	const struct cli_command *c = p->cmd;
	if (c->max_operands != CLI_MANY && p->noperands >= c->max_operands)
		return stop(p, cli_opts_error(c, "unexpected argument '%s'", arg));
	p->operands[p->noperands++] = arg;
	return 0;
}

/* Help wins wherever it stands before "--": `kaudit check x.kat -h`
 * explains check even when x.kat does not exist or another option is
 * wrong. */
static int wants_help(const struct cli_parse *p)
{
	for (int i = 1; i < p->argc; i++) {
		if (strcmp(p->argv[i], "--") == 0)
			return 0;
		if (cli_is_help(p->argv[i]))
			return 1;
	}
	return 0;
}

/* The option at ARG (which starts with '-'): its row, and its value from
 * "=value", an attached short value, or the next argument. */
static int option(struct cli_parse *p, const char *arg)
{
	const struct cli_command *c = p->cmd;
	const struct cli_opt *o;
	const char *inline_value = NULL;
	char shown[3] = { '-', arg[1], '\0' }; /* "-o" */
	const char *name; /* as the messages show it */
	if (arg[1] == '-') {
		const char *eq = strchr(arg + 2, '=');
		size_t len = eq ? (size_t)(eq - (arg + 2)) : strlen(arg + 2);
		o = find_long(c->opts, arg + 2, len);
		if (!o) {
			return stop(p, cli_opts_error(c, "unknown option '%.*s'", (int)len + 2, arg));
		}
		if (eq)
			inline_value = eq + 1;
		name = NULL;
	} else {
		o = find_short(c->opts, arg[1]);
		if (!o || (o->arg == CLI_FLAG && arg[2]))
			return stop(p, cli_opts_error(c, "unknown option '%s'", arg));
		if (arg[2])
			inline_value = arg + 2;
		name = shown;
	}
	char longname[128];
	if (!name) {
		snprintf(longname, sizeof longname, "--%s", o->name);
		name = longname;
	}
	size_t row = (size_t)(o - c->opts);
	if (o->arg == CLI_FLAG) {
		if (inline_value)
			return stop(p, cli_opts_error(c, "%s takes no value", name));
		p->value = NULL;
		return o->id;
	}
	const char *v = inline_value;
	if (v && !*v) /* "--pubkey=": nothing given */
		return stop(p, cli_opts_error(c, "%s needs a value", name));
	if (!v) {
		/* "--pubkey --json" is a forgotten value, not a key named --json. */
		const char *nx = p->next < p->argc ? p->argv[p->next] : NULL;
		if (!nx || (nx[0] == '-' && nx[1] != '\0'))
			return stop(p, cli_opts_error(c, "%s needs a value", name));
		v = nx;
		p->next++;
	}
	if (row < sizeof p->seen * 8) {
		if (p->seen & (1UL << row))
			return stop(p, cli_opts_error(c, "%s given twice", name));
		p->seen |= 1UL << row;
	}
	p->value = v;
	return o->id;
}

int cli_opts_next(struct cli_parse *p)
{
	const struct cli_command *c = p->cmd;
	if (!p->scanned) {
		p->scanned = 1;
		if (wants_help(p)) {
			cli_opts_help(c);
			return stop(p, EXIT_OK);
		}
	}
	while (p->next < p->argc) {
		char *arg = p->argv[p->next++];
		if (!p->ended && strcmp(arg, "--") == 0) {
			p->ended = 1;
			continue;
		}
		if (p->ended || arg[0] != '-' || arg[1] == '\0') {
			if (operand(p, arg) < 0)
				return CLI_STOP;
			continue;
		}
		return option(p, arg);
	}
	if (p->noperands < c->min_operands)
		return stop(p, cli_opts_error(c, "missing %s", c->operand ? c->operand : "operand"));
	return CLI_END;
}
