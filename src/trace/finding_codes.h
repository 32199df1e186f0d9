/*
 * finding_codes.h - the finding codes of kaudit-findings(7) and their
 * severities: the vocabulary traces, manifests (expect) and detectors
 * share, so it lives with the record model, below all of them.
 */
#ifndef KAUDIT_FINDING_CODES_H
#define KAUDIT_FINDING_CODES_H

#include <stddef.h>

/* Severity of a finding code (kaudit-findings(7)). */
enum finding_severity { SEV_INVALIDATING, SEV_WARNING };

/* Known finding codes; NULL-terminated table lookups. */
int finding_code_known(const char *code);
enum finding_severity finding_code_severity(const char *code);
/* "invalidating" or "warning", as findings spell it. */
const char *finding_severity_name(enum finding_severity s);
/* The I-th known code (0-based), NULL past the end: lets callers and the
 * man page test walk every code. */
const char *finding_code_name(size_t i);

#endif
