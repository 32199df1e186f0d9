/*
 * test_gallery.c - the gallery covers every invalidating finding code.
 *
 * DESIGN section 6 promises that each invalidating code is triggered by at
 * least one real CUDA claim in claims/gallery/ (run on a GPU by
 * tests/gpu/run), and that the honest look-alikes expect a clean verdict.
 * This test keeps that promise true as codes and claims are added: it loads
 * every gallery manifest and matches its expectations against the
 * detectors' code table.
 */
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "claim/claim.h"
#include "detect/detect.h"

struct gallery {
	struct claim **claims;
	size_t n;
};

static int load_gallery(void **state)
{
	struct gallery *g = calloc(1, sizeof *g);
	glob_t gl;
	if (glob("claims/gallery/*.yaml", 0, NULL, &gl) != 0)
		return -1;
	g->claims = calloc(gl.gl_pathc, sizeof *g->claims);
	for (size_t i = 0; i < gl.gl_pathc; i++) {
		struct errbuf e = { "", 0 };
		if (claim_load(gl.gl_pathv[i], &g->claims[g->n], &e) != 0) {
			print_error("%s\n", e.msg);
			globfree(&gl);
			return -1;
		}
		g->n++;
	}
	globfree(&gl);
	*state = g;
	return 0;
}

static int free_gallery(void **state)
{
	struct gallery *g = *state;
	for (size_t i = 0; i < g->n; i++)
		claim_free(g->claims[i]);
	free(g->claims);
	free(g);
	return 0;
}

/* Claims in the gallery whose kernels expect VERDICT and list CODE (CODE
 * NULL: any kernel expecting VERDICT). */
static size_t count_expecting(const struct gallery *g, const char *verdict, const char *code)
{
	size_t n = 0;
	for (size_t i = 0; i < g->n; i++) {
		const struct claim *c = g->claims[i];
		for (size_t k = 0; k < c->nkernels; k++) {
			const struct claim_expect *x = &c->kernels[k].expect;
			if (!x->set || strcmp(x->verdict, verdict) != 0)
				continue;
			if (!code) {
				n++;
				continue;
			}
			for (size_t f = 0; f < x->nfindings; f++)
				if (strcmp(x->findings[f], code) == 0)
					n++;
		}
	}
	return n;
}

static void every_invalidating_code_has_a_cheat(void **state)
{
	const struct gallery *g = *state;
	size_t codes = 0;
	for (size_t i = 0; finding_code_name(i); i++) {
		const char *code = finding_code_name(i);
		if (finding_code_severity(code) != SEV_INVALIDATING)
			continue;
		codes++;
		if (count_expecting(g, "invalid", code) == 0)
			fail_msg("no claim in claims/gallery expects '%s'", code);
	}
	/* DESIGN section 6 lists twelve; invalid-return (Python sides) makes 13 */
	assert_int_equal(codes, 13);
}

static void every_kernel_states_an_expectation(void **state)
{
	const struct gallery *g = *state;
	for (size_t i = 0; i < g->n; i++)
		for (size_t k = 0; k < g->claims[i]->nkernels; k++)
			if (!g->claims[i]->kernels[k].expect.set)
				fail_msg("%s: kernel '%s' has no expect", g->claims[i]->path,
					 g->claims[i]->kernels[k].id);
}

/* The look-alikes: a correct side stream, a workspace, declared
 * nondeterminism, an input-independent output. */
static void honest_look_alikes_expect_clean(void **state)
{
	const struct gallery *g = *state;
	assert_true(count_expecting(g, "reproduced", NULL) >= 4);
	for (size_t i = 0; i < g->n; i++) {
		const struct claim *c = g->claims[i];
		int honest = strstr(c->path, "/honest-") != NULL;
		for (size_t k = 0; k < c->nkernels; k++) {
			const struct claim_expect *x = &c->kernels[k].expect;
			if (honest && (strcmp(x->verdict, "reproduced") != 0 || x->nfindings))
				fail_msg("%s: a look-alike must expect a clean reproduction",
					 c->path);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_invalidating_code_has_a_cheat),
		cmocka_unit_test(every_kernel_states_an_expectation),
		cmocka_unit_test(honest_look_alikes_expect_clean),
	};
	return cmocka_run_group_tests(tests, load_gallery, free_gallery);
}
