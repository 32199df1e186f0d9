/*
 * observe_wire.h - the channel between kaudit observe (the supervisor) and
 * the injection library inside every process of the observed command.
 *
 * The supervisor listens on a Unix socket in a private directory and names
 * it in $KAUDIT_OBSERVE_SOCK; the injection library of each process that
 * initialises CUDA connects once and sends JSON Lines, one record each, in
 * the trace's own encoding (kaudit-trace(5)).  The supervisor attributes a
 * connection's records to the pid the kernel reports for it (SO_PEERCRED),
 * whatever the lines say, and admits only the record types below.
 *
 * The client half is written for a library injected into someone else's
 * process: plain libc, no allocation failure is fatal, nothing is printed,
 * and a lost channel only stops the records.  The supervisor owns the key
 * and signs; nothing here does.
 */
#ifndef KAUDIT_RUN_OBSERVE_WIRE_H
#define KAUDIT_RUN_OBSERVE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define OBSERVE_ENV_SOCK "KAUDIT_OBSERVE_SOCK"
/* The longest line the supervisor accepts (a kernel's demangled name is
 * the longest field). */
#define OBSERVE_LINE_MAX (64u << 10)

/* Connects to $KAUDIT_OBSERVE_SOCK: the socket's fd (close-on-exec), or -1. */
int observe_wire_connect(void);

/* A line under construction: observe_line_begin(L, "api") ... observe_line_end(L).
 * Appends to a caller's fixed buffer; a line that does not fit is marked
 * bad and observe_line_end returns 0 (the record is dropped, never cut). */
struct observe_line {
	char *buf;
	size_t cap, n;
	int bad, first;
};
void observe_line_begin(struct observe_line *l, char *buf, size_t cap, const char *type);
void observe_line_int(struct observe_line *l, const char *key, int64_t v);
void observe_line_real(struct observe_line *l, const char *key, double v); /* NaN: omitted */
void observe_line_bool(struct observe_line *l, const char *key, int v);
void observe_line_str(struct observe_line *l, const char *key, const char *s); /* NULL: omitted */
/* Closes the object and adds '\n'; returns the line's length, 0 if bad. */
size_t observe_line_end(struct observe_line *l);

/* Writes all of BUF to FD (no SIGPIPE); 0 or -1. */
int observe_wire_send(int fd, const char *buf, size_t n);

#endif
