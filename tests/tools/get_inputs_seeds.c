/*
 * get_inputs_seeds.c - prints the torch.manual_seed of every input set of a
 * case, one per line in slot order (the order of the inputs file), from the
 * case's seed and the budgets of `verify` (QUICK 1) or `verify` without
 * --quick (0).  tests/sh/python_get_inputs.sh regenerates a case's inputs
 * from them with the problem file alone and compares the digests the
 * supervisor put in the case record.
 *
 *     get_inputs_seeds CASE_SEED QUICK
 */
#include <stdio.h>
#include <stdlib.h>

#include "audit/audit.h"

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: get_inputs_seeds CASE_SEED QUICK\n");
		return 2;
	}
	struct audit_opts o;
	audit_opts_init(&o, strtoull(argv[1], NULL, 10), atoi(argv[2]));
	for (int s = 0; s < audit_input_sets(&o); s++)
		printf("%llu\n", (unsigned long long)audit_get_inputs_seed(
					 o.seed, audit_input_set_id(&o, s)));
	return 0;
}
