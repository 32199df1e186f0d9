/*
 * fuzz_claim.c - libFuzzer target for the manifest loader.
 *
 * Any byte string must give either a claim or one error message naming a
 * position, never a crash, a leak or a hang.  The path's directory does not
 * exist, so source resolution fails: the fuzzer still reaches everything
 * before it (the YAML bounds, the schema up to the first `source`), and the
 * corpus holds manifests whose errors lie beyond it too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "claim/claim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct claim *c = NULL;
	struct errbuf e = { "", 0 };
	if (claim_load_buffer("/nonexistent/fuzz.yaml", (const char *)data, size, &c, &e) == 0) {
		size_t n;
		struct claim_case *cases = claim_cases(c, &n);
		free(cases);
		claim_free(c);
	} else if (e.code != EXIT_BAD_INPUT || strncmp(e.msg, "/nonexistent/fuzz.yaml", 22) != 0) {
		abort(); /* every failure is bad input and names the file */
	}
	return 0;
}
