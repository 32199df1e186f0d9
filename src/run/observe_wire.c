/*
 * observe_wire.c - the client half of kaudit observe's channel
 * (observe_wire.h): connecting, and JSON lines built without a JSON
 * library (the injection library lives in a process kaudit did not write,
 * so it brings nothing that could clash with what that process loaded).
 */
#include "run/observe_wire.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int observe_wire_connect(void)
{
	const char *path = getenv(OBSERVE_ENV_SOCK);
	struct sockaddr_un a;
	if (!path || !*path || strlen(path) >= sizeof a.sun_path)
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path, path, strlen(path));
	if (connect(fd, (const struct sockaddr *)&a, sizeof a) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void put(struct observe_line *l, const char *s, size_t n)
{
	if (l->bad || l->n + n + 3 > l->cap) { /* room for "}\n\0" */
		l->bad = 1;
		return;
	}
	memcpy(l->buf + l->n, s, n);
	l->n += n;
}

static void puts_(struct observe_line *l, const char *s)
{
	put(l, s, strlen(s));
}

static void key(struct observe_line *l, const char *k)
{
	if (!l->first)
		put(l, ",", 1);
	l->first = 0;
	put(l, "\"", 1);
	puts_(l, k);
	put(l, "\":", 2);
}

/* A JSON string of S: quotes, backslashes and control characters escaped;
 * bytes that are not UTF-8 become U+FFFD so the line stays valid JSON. */
static void jstr(struct observe_line *l, const char *s)
{
	put(l, "\"", 1);
	const unsigned char *p = (const unsigned char *)s;
	while (*p && !l->bad) {
		unsigned char c = *p;
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(l, esc, 2);
			p++;
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof esc, "\\u%04x", c);
			put(l, esc, 6);
			p++;
		} else if (c < 0x80) {
			put(l, (const char *)p, 1);
			p++;
		} else {
			size_t n = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
			size_t i = 1;
			while (n && i < n && (p[i] & 0xc0) == 0x80)
				i++;
			if (n && i == n) {
				put(l, (const char *)p, n);
				p += n;
			} else {
				puts_(l, "\\ufffd");
				p++;
			}
		}
	}
	put(l, "\"", 1);
}

void observe_line_begin(struct observe_line *l, char *buf, size_t cap, const char *type)
{
	l->buf = buf;
	l->cap = cap;
	l->n = 0;
	l->bad = 0;
	l->first = 1;
	put(l, "{", 1);
	key(l, "type");
	jstr(l, type);
}

void observe_line_int(struct observe_line *l, const char *k, int64_t v)
{
	char num[32];
	key(l, k);
	snprintf(num, sizeof num, "%lld", (long long)v);
	puts_(l, num);
}

void observe_line_real(struct observe_line *l, const char *k, double v)
{
	if (!isfinite(v))
		return;
	char num[40];
	key(l, k);
	/* 9 significant digits hold a float exactly: the value the harness got. */
	snprintf(num, sizeof num, "%.9g", v);
	if (!strpbrk(num, ".eE"))
		strcat(num, ".0"); /* a real stays a real in JSON */
	puts_(l, num);
}

void observe_line_bool(struct observe_line *l, const char *k, int v)
{
	key(l, k);
	puts_(l, v ? "true" : "false");
}

void observe_line_str(struct observe_line *l, const char *k, const char *s)
{
	if (!s)
		return;
	key(l, k);
	jstr(l, s);
}

size_t observe_line_end(struct observe_line *l)
{
	put(l, "}\n", 2);
	if (l->bad)
		return 0;
	l->buf[l->n] = '\0';
	return l->n;
}

int observe_wire_send(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}
