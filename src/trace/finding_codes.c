/*
 * finding_codes.c - the finding codes of DESIGN section 6 and their severities.
 * Codes are stable: traces written years ago name them.
 */
#include <string.h>

#include "trace/finding_codes.h"

static const struct {
	const char *code;
	enum finding_severity severity;
} codes[] = {
	{ "wrong-output", SEV_INVALIDATING },
	{ "unwritten-output", SEV_INVALIDATING },
	{ "stale-output", SEV_INVALIDATING },
	{ "input-insensitive", SEV_INVALIDATING },
	{ "input-mutation", SEV_INVALIDATING },
	{ "out-of-bounds-write", SEV_INVALIDATING },
	{ "nondeterministic-output", SEV_INVALIDATING },
	{ "invalid-return", SEV_INVALIDATING },
	{ "foreign-stream", SEV_INVALIDATING },
	{ "timing-escape", SEV_INVALIDATING },
	{ "deferred-launch", SEV_INVALIDATING },
	{ "work-drift", SEV_INVALIDATING },
	{ "roofline-violation", SEV_INVALIDATING },
	{ "degenerate-reference", SEV_WARNING },
	{ "unstable-timing", SEV_WARNING },
	{ "launch-bound", SEV_WARNING },
	{ "clock-throttled", SEV_WARNING },
	{ "trace-incomplete", SEV_WARNING },
	{ "tracing-overhead", SEV_WARNING },
	{ "sandbox-degraded", SEV_WARNING },
	{ NULL, SEV_WARNING }
};

static int code_find(const char *code)
{
	if (!code)
		return -1;
	for (int i = 0; codes[i].code; i++)
		if (strcmp(codes[i].code, code) == 0)
			return i;
	return -1;
}

int finding_code_known(const char *code)
{
	return code_find(code) >= 0;
}

enum finding_severity finding_code_severity(const char *code)
{
	int i = code_find(code);
	/* An unknown code (a newer kaudit's) is only a warning here: this
	 * version cannot say what it proves. */
	return i < 0 ? SEV_WARNING : codes[i].severity;
}

const char *finding_severity_name(enum finding_severity s)
{
	return s == SEV_INVALIDATING ? "invalidating" : "warning";
}

const char *finding_code_name(size_t i)
{
	return i < sizeof codes / sizeof codes[0] ? codes[i].code : NULL;
}
