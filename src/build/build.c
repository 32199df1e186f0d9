/* build.c - placeholder until the compile step lands. */
#include "build.h"

#include <stdlib.h>

int build_impl(const struct claim *c, const struct claim_impl *impl,
	       const struct build_opts *o, struct build_result *out, struct errbuf *e)
{
	(void)c;
	(void)impl;
	(void)o;
	(void)out;
	return errbuf_set(e, EXIT_ENVIRONMENT, "compiling is not available in this build");
}

int build_check_entry(const char *so, const char *entry, struct errbuf *e)
{
	(void)so;
	(void)entry;
	return errbuf_set(e, EXIT_ENVIRONMENT, "loading is not available in this build");
}

void build_result_release(struct build_result *r)
{
	free(r->log);
	r->log = NULL;
}
