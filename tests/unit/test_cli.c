/*
 * test_cli.c - what the subcommands share (src/cli/cli.c, cli_opts.c):
 * when colour is used (a terminal from openpty(3), TERM, NO_COLOR), and the
 * option parser's forms and answers, table by table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <pty.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/cli.h"

struct pty {
	int master, slave;
};

static int pty_setup(void **state)
{
	static struct pty p;
	if (openpty(&p.master, &p.slave, NULL, NULL, NULL) < 0)
		return -1;
	*state = &p;
	return 0;
}

static int pty_teardown(void **state)
{
	struct pty *p = *state;
	close(p->master);
	close(p->slave);
	unsetenv("NO_COLOR");
	unsetenv("TERM");
	return 0;
}

static void colour_on_a_capable_terminal(void **state)
{
	struct pty *p = *state;
	unsetenv("NO_COLOR");
	setenv("TERM", "xterm-256color", 1);
	assert_true(cli_use_color(p->slave));
	setenv("NO_COLOR", "", 1); /* no-color.org: empty is unset */
	assert_true(cli_use_color(p->slave));
}

static void no_colour_for_dumb_or_unknown_terminals(void **state)
{
	struct pty *p = *state;
	unsetenv("NO_COLOR");
	setenv("TERM", "dumb", 1);
	assert_false(cli_use_color(p->slave));
	setenv("TERM", "", 1);
	assert_false(cli_use_color(p->slave));
	unsetenv("TERM");
	assert_false(cli_use_color(p->slave));
}

static void no_colour_with_no_color(void **state)
{
	struct pty *p = *state;
	setenv("TERM", "xterm", 1);
	setenv("NO_COLOR", "1", 1);
	assert_false(cli_use_color(p->slave));
}

static void no_colour_off_a_terminal(void **state)
{
	(void)state;
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	unsetenv("NO_COLOR");
	setenv("TERM", "xterm", 1);
	assert_false(cli_use_color(fds[1]));
	close(fds[0]);
	close(fds[1]);
}

/* ---- the option parser ---- */

enum { OPT_KEY = 1, OPT_JSON, OPT_OUT };
static const struct cli_opt opts[] = {
	{ "key", 0, CLI_VALUE, OPT_KEY },
	{ "json", 0, CLI_FLAG, OPT_JSON },
	{ "output", 'o', CLI_VALUE, OPT_OUT },
	{ NULL, 0, 0, 0 },
};
static const struct cli_command cmd = { "t", "kaudit t X... [--key K] [--json] [-o OUT]",
					"help\n", opts, "X", 1, 3 };

struct parsed {
	int rc; /* CLI_END or CLI_STOP */
	int status;
	const char *key, *out;
	int json;
	int n;
	char *operands[8];
};

/* Parses the NULL-terminated arguments after "t". */
static struct parsed parse(const char *first, ...)
{
	static char *argv[16];
	int argc = 0;
	argv[argc++] = "t";
	va_list ap;
	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	struct parsed r;
	memset(&r, 0, sizeof r);
	struct cli_parse p;
	int id;
	cli_opts_init(&p, &cmd, argc, argv);
	/* The messages go to stderr; the exit code is what is checked here
	 * (tests/sh/cli_options.sh checks the words). */
	while ((id = cli_opts_next(&p)) > 0) {
		if (id == OPT_KEY)
			r.key = p.value;
		else if (id == OPT_JSON)
			r.json = 1;
		else
			r.out = p.value;
	}
	r.rc = id;
	r.status = p.status;
	r.n = p.noperands;
	for (int i = 0; i < p.noperands && i < 8; i++)
		r.operands[i] = p.operands[i];
	return r;
}

static void both_value_forms_and_mixed_order(void **state)
{
	(void)state;
	struct parsed r = parse("a", "--key=k1", "b", "--json", "-o", "o1", NULL);
	assert_int_equal(r.rc, CLI_END);
	assert_string_equal(r.key, "k1");
	assert_string_equal(r.out, "o1");
	assert_int_equal(r.json, 1);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.operands[0], "a");
	assert_string_equal(r.operands[1], "b");
	r = parse("--key", "k2", "-oo2", "a", NULL);
	assert_int_equal(r.rc, CLI_END);
	assert_string_equal(r.key, "k2");
	assert_string_equal(r.out, "o2");
	/* "=" takes a value that starts with a dash. */
	r = parse("--key=-k", "a", NULL);
	assert_int_equal(r.rc, CLI_END);
	assert_string_equal(r.key, "-k");
}

static void double_dash_ends_options(void **state)
{
	(void)state;
	struct parsed r = parse("--json", "--", "--key", "-h", NULL);
	assert_int_equal(r.rc, CLI_END);
	assert_null(r.key);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.operands[0], "--key");
	assert_string_equal(r.operands[1], "-h");
	r = parse("-", NULL); /* a lone dash is an operand */
	assert_int_equal(r.rc, CLI_END);
	assert_string_equal(r.operands[0], "-");
}

static void help_anywhere_stops_with_exit_0(void **state)
{
	(void)state;
	struct parsed r = parse("a", "--bogus", "-h", NULL);
	assert_int_equal(r.rc, CLI_STOP);
	assert_int_equal(r.status, EXIT_OK);
	r = parse("--help", NULL); /* even without the operand */
	assert_int_equal(r.rc, CLI_STOP);
	assert_int_equal(r.status, EXIT_OK);
}

static void every_refusal_is_exit_2(void **state)
{
	(void)state;
	const char *const cases[][4] = {
		{ "a", "--key", NULL },          /* needs a value */
		{ "a", "--key", "--json", NULL }, /* a forgotten value, not a key named --json */
		{ "a", "--key=", NULL },         /* an empty value */
		{ "a", "--bogus", NULL },        /* unknown */
		{ "a", "--bogus=1", NULL },
		{ "a", "-x", NULL },
		{ "a", "--json=1", NULL },       /* takes no value */
		{ "a", "--ke", "k", NULL },      /* no abbreviations */
		{ "a", "b", "c", "d" },          /* one operand too many */
		{ "--json", NULL },              /* none at all */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct parsed r = parse(cases[i][0], cases[i][1], cases[i][2], cases[i][3], NULL);
		assert_int_equal(r.rc, CLI_STOP);
		assert_int_equal(r.status, EXIT_BAD_INPUT);
	}
	struct parsed r = parse("a", "--key", "k1", "--key", "k2", NULL); /* given twice */
	assert_int_equal(r.rc, CLI_STOP);
	assert_int_equal(r.status, EXIT_BAD_INPUT);
	r = parse("a", "--json", "--json", NULL); /* a repeated flag is harmless */
	assert_int_equal(r.rc, CLI_END);
}

/* What reaches the terminal of a hostile string: every control (C0, DEL,
 * C1 as a code point), every direction override, and every byte that is
 * not UTF-8 made visible; ordinary text, UTF-8 included, as it is. */
static void printable_escapes_what_a_terminal_acts_on(void **state)
{
	(void)state;
	static const struct { const char *in; size_t n; const char *out; } cases[] = {
		{ "plain text", 10, "plain text" },
		{ "caf\xc3\xa9 \xe2\x9c\x93", 9, "caf\xc3\xa9 \xe2\x9c\x93" }, /* é and a check mark */
		{ "a\x1b[2Jb", 6, "a\\x1b[2Jb" },
		{ "x\ny\tz", 5, "x\\ny\\tz" },
		{ "del\x7f", 4, "del\\x7f" },
		{ "csi\xc2\x9b" "31m", 8, "csi\\x9b31m" },                     /* U+009B, the C1 CSI */
		{ "ok\xe2\x80\xae" "txt.exe", 12, "ok\\u{202e}txt.exe" },   /* RIGHT-TO-LEFT OVERRIDE */
		{ "\xe2\x81\xa6iso", 6, "\\u{2066}iso" },                   /* LEFT-TO-RIGHT ISOLATE */
		{ "bad\xff\xfe", 5, "bad\\xff\\xfe" },                       /* not UTF-8 */
		{ "cut\xe2\x80", 5, "cut\\xe2\\x80" },                       /* a sequence cut short */
		{ "nul\0after", 9, "nul\\x00after" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = cli_printable(cases[i].in, cases[i].n);
		assert_string_equal(got, cases[i].out);
		free(got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(colour_on_a_capable_terminal, pty_setup,
						pty_teardown),
		cmocka_unit_test_setup_teardown(no_colour_for_dumb_or_unknown_terminals, pty_setup,
						pty_teardown),
		cmocka_unit_test_setup_teardown(no_colour_with_no_color, pty_setup, pty_teardown),
		cmocka_unit_test(no_colour_off_a_terminal),
		cmocka_unit_test(both_value_forms_and_mixed_order),
		cmocka_unit_test(double_dash_ends_options),
		cmocka_unit_test(help_anywhere_stops_with_exit_0),
		cmocka_unit_test(every_refusal_is_exit_2),
		cmocka_unit_test(printable_escapes_what_a_terminal_acts_on),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
