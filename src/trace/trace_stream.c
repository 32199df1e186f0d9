/*
 * trace_stream.c - the streaming reader: the core of trace_read.c hands
 * over each committed record, and this file groups a case's measured
 * records (contiguous, kaudit-trace(5) ORDER) and hands the group out when
 * the case ends.  Memory: one case's records, whatever the trace holds.
 */
#include "trace/trace_private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

struct grouper {
	const struct trace_visitor *v;
	struct record_list group;  /* the open case's measured records */
	int64_t group_case;
};

static void flush_group(struct grouper *g)
{
	if (g->group.n && g->v->case_end)
		g->v->case_end(g->v->ctx, g->group.v, g->group.n);
	for (size_t i = 0; i < g->group.n; i++)
		record_clear(&g->group.v[i]);
	g->group.n = 0;
}

static void on_record(void *ctx, struct record *r)
{
	struct grouper *g = ctx;
	if (!trace_case_record(r)) {
		if (g->v->record)
			g->v->record(g->v->ctx, r);
		return;
	}
	/* A record out of order is a problem the core has noted; it starts a
	 * group of its own, and the consumer's result is void anyway. */
	if (g->group.n && r->case_index != g->group_case)
		flush_group(g);
	g->group_case = r->case_index;
	record_list_push(&g->group, r);
}

int trace_stream_fd(int fd, const char *name, const struct trace_visitor *v,
		    struct trace_contents *out, struct errbuf *e)
{
	struct grouper g = { v, { NULL, 0, 0 }, REC_NONE };
	int rc = trace_read_core(fd, name, on_record, &g, out, e);
	if (rc == 0)
		flush_group(&g);
	record_list_free(&g.group);
	return rc;
}

int trace_stream(const char *path, const struct trace_visitor *v, struct trace_contents *out,
		 struct errbuf *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		memset(out, 0, sizeof *out);
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: %s", path, strerror(errno));
	}
	int rc = trace_stream_fd(fd, path, v, out, e);
	close(fd);
	return rc;
}
