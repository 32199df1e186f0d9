/*
 * outfile.c - write beside the target, rename into place (outfile.h).
 */
#include "util/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How many NAME-N.EXT a default name may try. */
#define UNIQUE_TRIES 1000

/* -1 with E when PATH is one of INPUTS. */
static int not_an_input(const char *path, const struct stat *st, const char *const *inputs,
			struct errbuf *e)
{
	for (size_t i = 0; inputs && inputs[i]; i++) {
		struct stat in;
		if (stat(inputs[i], &in) == 0 && in.st_dev == st->st_dev && in.st_ino == st->st_ino)
			return errbuf_set(e, EXIT_BAD_INPUT, "%s: is an input of this command (%s); "
					  "refusing to overwrite it", path, inputs[i]);
	}
	return 0;
}

/* The checks on an existing or absent PATH; *EXISTS and *MODE say what is
 * there. */
static int target_ok(const char *path, const char *const *inputs, int *exists, mode_t *mode,
		     struct errbuf *e)
{
	struct stat st;
	*exists = 0;
	*mode = 0644;
	if (stat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return errbuf_set(e, EXIT_BAD_INPUT, "%s: exists and is not a regular file "
					  "(%s); refusing to replace it", path,
					  S_ISDIR(st.st_mode) ? "a directory: name a file in it"
					  : "a device, fifo or socket");
		if (not_an_input(path, &st, inputs, e) < 0)
			return -1;
		*exists = 1;
		*mode = st.st_mode & 0777;
		return 0;
	}
	if (errno != ENOENT)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", path, strerror(errno));
	if (lstat(path, &st) == 0)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: a symbolic link to nothing; refusing to "
				  "replace it", path);
	return 0;
}

int outfile_check(const char *path, const char *const *inputs, struct errbuf *e)
{
	int exists;
	mode_t mode;
	if (target_ok(path, inputs, &exists, &mode, e) < 0)
		return -1;
	/* The only sure test that a file can be created there (access() says
	 * yes to root on /proc): create the temporary file it will need, and
	 * remove it again. */
	size_t n = strlen(path) + sizeof ".tmp.XXXXXX";
	char *probe = xmalloc(n);
	snprintf(probe, n, "%s.tmp.XXXXXX", path);
	int fd = mkostemp(probe, O_CLOEXEC);
	int err = errno;
	if (fd >= 0) {
		close(fd);
		unlink(probe);
	}
	free(probe);
	if (fd < 0) {
		char *copy = xstrdup(path);
		errbuf_set(e, EXIT_BAD_INPUT, "%s: cannot create files in %s: %s", path,
			   dirname(copy), strerror(err));
		free(copy);
		return -1;
	}
	return 0;
}

/* PATH with "-N" before its extension (after the last '/'). */
static char *numbered(const char *path, int n)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash + 1 : path, '.');
	size_t stem = dot ? (size_t)(dot - path) : strlen(path);
	size_t cap = strlen(path) + 16;
	char *out = xmalloc(cap);
	snprintf(out, cap, "%.*s-%d%s", (int)stem, path, n, dot ? dot : "");
	return out;
}

/* Takes the first free name of PATH, NAME-2.EXT, ... by creating it empty
 * (O_EXCL: no other process can take it too). */
static int reserve_unique(struct outfile *o, const char *path, const char *const *inputs,
			  struct errbuf *e)
{
	for (int n = 1; n <= UNIQUE_TRIES; n++) {
		char *name = n == 1 ? xstrdup(path) : numbered(path, n);
		int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd >= 0) {
			close(fd);
			o->target = name;
			o->reserved = 1;
			return 0;
		}
		int err = errno;
		free(name);
		if (err != EEXIST)
			return errbuf_set(e, EXIT_BAD_INPUT, "%s: cannot create it: %s", path,
					  strerror(err));
	}
	(void)inputs;
	return errbuf_set(e, EXIT_BAD_INPUT, "%s: it and %d numbered variants all exist", path,
			  UNIQUE_TRIES - 1);
}

int outfile_open(struct outfile *o, const char *path, const char *const *inputs, int flags,
		 struct errbuf *e)
{
	memset(o, 0, sizeof *o);
	o->fd = -1;
	if ((flags & OUTFILE_STDOUT) && strcmp(path, "-") == 0) {
		o->fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0);
		if (o->fd < 0)
			return errbuf_set(e, EXIT_BAD_INPUT, "standard output: %s", strerror(errno));
		o->target = xstrdup("-");
		o->to_stdout = 1;
		return 0;
	}
	int exists;
	mode_t mode;
	if (flags & OUTFILE_UNIQUE) {
		if (reserve_unique(o, path, inputs, e) < 0)
			return -1;
		mode = 0644;
	} else {
		if (target_ok(path, inputs, &exists, &mode, e) < 0)
			return -1;
		o->target = exists ? realpath(path, NULL) : xstrdup(path);
		if (!o->target)
			return errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", path, strerror(errno));
	}
	size_t n = strlen(o->target) + sizeof ".tmp.XXXXXX";
	o->tmp = xmalloc(n);
	snprintf(o->tmp, n, "%s.tmp.XXXXXX", o->target);
	o->fd = mkostemp(o->tmp, O_CLOEXEC);
	if (o->fd < 0) {
		errbuf_set(e, EXIT_BAD_INPUT, "%s: cannot create a file beside it: %s", path,
			   strerror(errno));
		free(o->tmp);
		o->tmp = NULL;
		outfile_abort(o);
		return -1;
	}
	/* mkostemp makes 0600; what kaudit writes is a public artifact. */
	if (fchmod(o->fd, mode) < 0) {
		errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", o->tmp, strerror(errno));
		outfile_abort(o);
		return -1;
	}
	return 0;
}

/* fsync the directory holding PATH so the rename itself is durable. */
static void sync_dir(const char *path)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

int outfile_commit(struct outfile *o, struct errbuf *e)
{
	int rc = 0;
	if (o->to_stdout) {
		/* A pipe cannot be fsync'ed; close reports a failed write. */
		if (close(o->fd) < 0)
			rc = errbuf_set(e, EXIT_BAD_INPUT, "standard output: %s", strerror(errno));
		o->fd = -1;
		free(o->target);
		o->target = NULL;
		o->to_stdout = 0;
		return rc;
	}
	if (fsync(o->fd) < 0)
		rc = errbuf_set(e, EXIT_BAD_INPUT, "%s: fsync: %s", o->tmp, strerror(errno));
	if (close(o->fd) < 0 && rc == 0)
		rc = errbuf_set(e, EXIT_BAD_INPUT, "%s: close: %s", o->tmp, strerror(errno));
	o->fd = -1;
	if (rc == 0 && rename(o->tmp, o->target) < 0)
		rc = errbuf_set(e, EXIT_BAD_INPUT, "%s: cannot rename into place: %s", o->target,
				strerror(errno));
	if (rc < 0) {
		outfile_abort(o);
		return rc;
	}
	sync_dir(o->target);
	free(o->tmp);
	free(o->target);
	o->tmp = o->target = NULL;
	o->reserved = 0;
	return 0;
}

void outfile_abort(struct outfile *o)
{
	if (o->fd >= 0)
		close(o->fd);
	if (o->tmp)
		unlink(o->tmp);
	/* The empty placeholder is ours: nothing else had that name. */
	if (o->reserved && o->target)
		unlink(o->target);
	free(o->tmp);
	free(o->target);
	o->fd = -1;
	o->reserved = 0;
	o->to_stdout = 0;
	o->tmp = o->target = NULL;
}
