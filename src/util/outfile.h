/*
 * outfile.h - an output file that replaces its target only when complete,
 * and never replaces what kaudit did not create as a file.
 *
 * What a command writes goes to TARGET.tmp.XXXXXX beside the target and is
 * renamed into place by outfile_commit, so a failed or interrupted write
 * leaves the target as it was (or absent) and removes only the temporary
 * file it created.  outfile_open refuses a target that exists and is not a
 * regular file (a device, a directory, a fifo, a dangling link: a rename
 * would replace the node itself) and one that is one of the command's
 * inputs (same device and inode: the trace being exported, the manifest,
 * a source, the key).  A symbolic link to a regular file is followed: the
 * file it names is replaced and the link kept.
 *
 * Every writer of kaudit goes through here: the trace writer, export,
 * report (kaudit(1), FILES).
 */
#ifndef KAUDIT_OUTFILE_H
#define KAUDIT_OUTFILE_H

#include <stddef.h>

#include "util/util.h"

struct outfile {
	char *target; /* where the file lands (a link's target resolved) */
	char *tmp;    /* the temporary file, NULL once renamed or removed */
	int fd;       /* open on TMP for writing */
	int reserved; /* TARGET was created empty by outfile_open (OUTFILE_UNIQUE):
			 removed again by outfile_abort */
	int to_stdout; /* OUTFILE_STDOUT and PATH "-": FD is a copy of standard output */
};

/* OUTFILE_UNIQUE: PATH is a default name: if it exists, the first of
 * NAME-2.EXT, NAME-3.EXT ... that does not is taken instead, and reserved
 * at once (created empty, O_EXCL) so that two commands started in the same
 * second never pick the same name; the name taken is O->target. */
enum { OUTFILE_UNIQUE = 1 };
/* OUTFILE_STDOUT: PATH "-" is standard output (kaudit export): nothing is
 * created or renamed, commit only closes, and abort cannot take back what
 * was written (the reader sees a short stream and the exit code). */
enum { OUTFILE_STDOUT = 2 };

/* Whether PATH may be written as an output, leaving nothing behind:
 * the checks of outfile_open, and that a file can be created beside it
 * (one is, and removed at once).  Run it
 * before long work (an audit) so a bad -o fails at once.  INPUTS: a
 * NULL-terminated list of files PATH must not be (may be NULL). */
int outfile_check(const char *path, const char *const *inputs, struct errbuf *e)
	KAUDIT_MUST_CHECK;
/* Opens a temporary file beside PATH (see above).  Messages name PATH. */
int outfile_open(struct outfile *o, const char *path, const char *const *inputs, int flags,
		 struct errbuf *e) KAUDIT_MUST_CHECK;
/* fsync, close, rename into place, fsync the directory; on failure removes
 * the temporary file (and a reserved empty target).  Frees O's strings
 * either way. */
int outfile_commit(struct outfile *o, struct errbuf *e) KAUDIT_MUST_CHECK;
/* Closes and removes the temporary file (and a reserved empty target); a
 * target that existed before is untouched. */
void outfile_abort(struct outfile *o);

#endif
