/* cli.c - shared helpers of the subcommands: messages, help, colour. */
#include "cli/cli.h"
#include "cli/cli_json.h"
#include "util/utf8.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* FMT and AP formatted (malloc'ed): a message is as long as it is. */
static char *format(const char *fmt, va_list ap)
{
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	char *msg = xmalloc(n > 0 ? (size_t)n + 1 : 1);
	if (n > 0)
		vsnprintf(msg, (size_t)n + 1, fmt, again);
	else
		msg[0] = '\0';
	va_end(again);
	return msg;
}

/* "kaudit: MSG" on stderr, with the control characters of MSG but newline
 * and tab escaped: a message quotes the manifest or the trace (an invalid
 * kernel id, a path), and that must not drive the terminal either. */
static void put_message(const char *prefix, const char *msg)
{
	fputs(prefix, stderr);
	for (const char *p = msg; *p; p++) {
		size_t n = strcspn(p, "\n\t");
		char *shown = cli_printable(p, n);
		fputs(shown, stderr);
		free(shown);
		p += n;
		if (!*p)
			break;
		fputc(*p, stderr);
	}
	fputc('\n', stderr);
}

/* Every failure is also the error object on stdout under --json
 * (cli_json.c). */
int cli_fail(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = format(fmt, ap);
	va_end(ap);
	put_message("kaudit: ", msg);
	cli_json_error(code, msg);
	free(msg);
	return code;
}

int cli_fail_err(const struct errbuf *e)
{
	put_message("kaudit: ", e->msg);
	return cli_json_error(e->code ? e->code : EXIT_BAD_INPUT, e->msg);
}

int cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = format(fmt, ap);
	va_end(ap);
	fprintf(stderr, "kaudit %s: ", cmd);
	put_message("", msg);
	fprintf(stderr, "usage: %s\n", usage);
	cli_json_error(EXIT_BAD_INPUT, msg);
	free(msg);
	return EXIT_BAD_INPUT;
}

int cli_is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

/* NO_COLOR as no-color.org says: present and not empty.  A terminal that
 * declares no capabilities (TERM unset, empty, "dumb": Emacs shells, some
 * CI logs) shows escape codes as text. */
int cli_use_color(int fd)
{
	const char *nc = getenv("NO_COLOR");
	const char *term = getenv("TERM");
	if (nc && *nc)
		return 0;
	if (!term || !*term || strcmp(term, "dumb") == 0)
		return 0;
	return isatty(fd);
}

const char *cli_exe_dir(void)
{
	return exe_dir();
}

char *cli_printable(const char *s, size_t n)
{
	/* Worst case every byte becomes "\xNN" (a code point's "\u{XXXX}"
	 * is shorter than its bytes so escaped). */
	char *out = xmalloc(4 * n + 1), *o = out;
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		size_t len = utf8_next(p + i, n - i, &cp);
		if (len == 0) {
			o += sprintf(o, "\\x%02x", p[i++]); /* not UTF-8 */
			continue;
		}
		if (cp == '\n')
			o += sprintf(o, "\\n");
		else if (cp == '\t')
			o += sprintf(o, "\\t");
		else if (utf8_invisible(cp) && cp < 0x100)
			o += sprintf(o, "\\x%02x", (unsigned)cp);
		else if (utf8_invisible(cp))
			o += sprintf(o, "\\u{%04x}", (unsigned)cp);
		else {
			memcpy(o, p + i, len);
			o += len;
		}
		i += len;
	}
	*o = '\0';
	return out;
}

json_t *cli_printable_json(const json_t *j)
{
	if (json_is_string(j)) {
		char *p = cli_printable(json_string_value(j), json_string_length(j));
		json_t *r = json_string(p);
		free(p);
		return r ? r : json_string("?");
	}
	if (json_is_array(j)) {
		json_t *a = json_array();
		size_t i;
		const json_t *v;
		json_array_foreach(j, i, v)
			json_array_append_new(a, cli_printable_json(v));
		return a;
	}
	if (json_is_object(j)) {
		json_t *o = json_object();
		const char *k;
		const json_t *v;
		json_object_foreach((json_t *)j, k, v) {
			char *pk = cli_printable(k, strlen(k));
			json_object_set_new(o, pk, cli_printable_json(v));
			free(pk);
		}
		return o;
	}
	return json_deep_copy(j);
}
