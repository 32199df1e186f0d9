/*
 * outfile.c - write beside the target, rename into place (outfile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"

int outfile_open(struct outfile *o, const char *path, const char *input, struct errbuf *e)
{
	struct stat st, in;
	memset(o, 0, sizeof *o);
	o->fd = -1;
	mode_t mode = 0644;
	if (stat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return errbuf_set(e, EXIT_BAD_INPUT, "%s: exists and is not a regular file; "
					  "refusing to replace it", path);
		if (input && stat(input, &in) == 0 && in.st_dev == st.st_dev &&
		    in.st_ino == st.st_ino)
			return errbuf_set(e, EXIT_BAD_INPUT, "%s: is the input trace; refusing to "
					  "overwrite it", path);
		o->target = realpath(path, NULL);
		if (!o->target)
			return errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", path, strerror(errno));
		mode = st.st_mode & 0777;
	} else if (errno != ENOENT) {
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", path, strerror(errno));
	} else if (lstat(path, &st) == 0) {
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: a symbolic link to nothing; refusing to "
				  "replace it", path);
	} else {
		o->target = xstrdup(path);
	}
	size_t n = strlen(o->target) + sizeof ".tmp.XXXXXX";
	o->tmp = xmalloc(n);
	snprintf(o->tmp, n, "%s.tmp.XXXXXX", o->target);
	o->fd = mkostemp(o->tmp, O_CLOEXEC);
	if (o->fd < 0) {
		errbuf_set(e, EXIT_BAD_INPUT, "%s: cannot create a file beside it: %s", path,
			   strerror(errno));
		free(o->tmp);
		free(o->target);
		o->tmp = o->target = NULL;
		return -1;
	}
	if (fchmod(o->fd, mode) < 0) {
		errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", o->tmp, strerror(errno));
		outfile_abort(o);
		return -1;
	}
	return 0;
}

int outfile_commit(struct outfile *o, struct errbuf *e)
{
	int rc = 0;
	if (fsync(o->fd) < 0)
		rc = errbuf_set(e, EXIT_BAD_INPUT, "%s: fsync: %s", o->tmp, strerror(errno));
	if (close(o->fd) < 0 && rc == 0)
		rc = errbuf_set(e, EXIT_BAD_INPUT, "%s: close: %s", o->tmp, strerror(errno));
	o->fd = -1;
	if (rc == 0 && rename(o->tmp, o->target) < 0)
		rc = errbuf_set(e, EXIT_BAD_INPUT, "%s: cannot rename into place: %s", o->target,
				strerror(errno));
	if (rc < 0)
		unlink(o->tmp);
	free(o->tmp);
	free(o->target);
	o->tmp = o->target = NULL;
	return rc;
}

void outfile_abort(struct outfile *o)
{
	if (o->fd >= 0)
		close(o->fd);
	if (o->tmp)
		unlink(o->tmp);
	free(o->tmp);
	free(o->target);
	o->fd = -1;
	o->tmp = o->target = NULL;
}
