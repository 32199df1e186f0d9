/*
 * outfile.h - an output file that replaces its target only when complete.
 *
 * What a command writes goes to TARGET.tmp.XXXXXX beside the target and is
 * renamed into place by outfile_commit, so a failed or interrupted write
 * leaves the target as it was (or absent) and removes only the temporary
 * file it created.  outfile_open refuses a target that exists and is not a
 * regular file (a device, a directory, a dangling link: a rename would
 * replace the node itself) and one that is the command's input file.  A
 * symbolic link to a regular file is followed: the file it names is
 * replaced and the link kept.
 */
#ifndef KAUDIT_OUTFILE_H
#define KAUDIT_OUTFILE_H

#include "../util/util.h"

struct outfile {
	char *target; /* where the file lands (a link's target resolved) */
	char *tmp;    /* the temporary file, NULL once renamed or removed */
	int fd;       /* open on TMP for writing */
};

/* Opens a temporary file beside PATH.  INPUT (may be NULL): a file PATH must
 * not be (same device and inode).  Messages name PATH. */
int outfile_open(struct outfile *o, const char *path, const char *input,
		 struct errbuf *e) KAUDIT_MUST_CHECK;
/* fsync, close and rename into place; on failure removes the temporary file.
 * Frees O's strings either way. */
int outfile_commit(struct outfile *o, struct errbuf *e) KAUDIT_MUST_CHECK;
/* Closes and removes the temporary file; the target is untouched. */
void outfile_abort(struct outfile *o);

#endif
