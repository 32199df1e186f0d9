/* cmd_inspect.h - the text rendering of trace_summary(), shared by
 * `inspect` (FULL: every case in detail) and `check` (one line per case). */
#ifndef KAUDIT_CMD_INSPECT_H
#define KAUDIT_CMD_INSPECT_H

#include <jansson.h>

void inspect_print_summary(const char *path, const json_t *summary, int full);

#endif
