/*
 * util.h - the few helpers every module shares.
 *
 * Modules below src/cli/ never exit: they return 0 or -1 and describe the
 * failure in a caller-supplied buffer (struct errbuf).  Only src/cli/ turns
 * a failure into a message on stderr and an exit code.
 */
#ifndef KAUDIT_UTIL_H
#define KAUDIT_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define KAUDIT_MUST_CHECK __attribute__((warn_unused_result))
#define KAUDIT_PRINTF(a, b) __attribute__((format(printf, a, b)))

#define KAUDIT_VERSION "0.1.0"

/* Exit codes of DESIGN section 2; scripts and CI depend on them. */
enum kaudit_exit {
	EXIT_OK = 0,          /* success / valid */
	EXIT_NOT_REPRODUCED = 1, /* verify ran; a claim is not reproduced or invalid */
	EXIT_BAD_INPUT = 2,   /* usage, manifest, missing file, malformed trace */
	EXIT_ENVIRONMENT = 3, /* no CUDA device/driver, CUPTI unavailable, nvcc missing */
	EXIT_INTEGRITY = 4    /* signature or digest mismatch, tampered, truncated */
};

#define ERRBUF_LEN 512

/* A failure description: the message and the exit code it maps to. */
struct errbuf {
	char msg[ERRBUF_LEN];
	int code; /* enum kaudit_exit; EXIT_BAD_INPUT unless set otherwise */
};

/* Formats into E (which may be NULL), sets its code, and returns -1 so a
 * caller can write `return errbuf_set(e, EXIT_BAD_INPUT, "...")`. */
int errbuf_set(struct errbuf *e, int code, const char *fmt, ...) KAUDIT_PRINTF(3, 4);

/* Allocation that cannot fail: aborts with a message on exhaustion. */
void *xmalloc(size_t n);
/* qsort that accepts BASE NULL when N < 2 (qsort(NULL, 0, ...) is
 * undefined behaviour, and an empty list's array is often NULL). */
void xsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Grows *V (of *CAP elements of SIZE) so that it holds at least NEED. */
void xgrow(void **v, size_t *cap, size_t need, size_t size);

/* Reads a whole file of at most MAX bytes; NUL-terminates it. */
int read_file(const char *path, size_t max, char **out, size_t *len,
	      struct errbuf *e) KAUDIT_MUST_CHECK;

/* Writes all of BUF to FD, retrying short writes and EINTR. */
int write_all(int fd, const void *buf, size_t len) KAUDIT_MUST_CHECK;
/* Reads exactly LEN bytes of FD at offset OFF into BUF, retrying short
 * reads and EINTR; -1 on an error or at the file's end before LEN. */
int pread_all(int fd, void *buf, size_t len, uint64_t off) KAUDIT_MUST_CHECK;

/* sha256 of BUF as 64 lower-case hex digits plus NUL. */
void sha256_hex(const void *buf, size_t len, char out[65]);

/* The running executable's path ("/proc/self/exe" when it cannot be
 * read). */
const char *exe_path(void);

/* Directory holding the running executable (no trailing slash; "." when
 * /proc/self/exe cannot be read). */
const char *exe_dir(void);

/* Nonzero when PATH (absolute, resolved) is DIR or lies beneath it. */
int path_within(const char *path, const char *dir);

/* Wall-clock time as an RFC 3339 UTC string, "YYYY-mm-ddTHH:MM:SSZ". */
void utc_now(char out[32]);

#endif
