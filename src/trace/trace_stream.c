/*
 * trace_stream.c - the streaming reader: the core of trace_read.c hands
 * over each committed record, and this file groups a case's measured
 * records (contiguous, kaudit-trace(5) ORDER) and hands the group out when
 * the case ends.  Memory: one case's records, whatever the trace holds.
 *
 * Reading (inflate, split, decode, digest) and what the consumer does with
 * the records (check's re-analysis, inspect's summary, export's drawing)
 * cost about the same, so they run on two threads: this one reads and
 * queues each record of no case and each finished case; a consumer thread
 * calls the visitor in the same order.  The queue holds at most
 * QUEUE_RECORDS records, or one item when an item is larger, so memory
 * stays a few cases: the one being read, the one being consumed, and at
 * most one waiting.  The visitor sees exactly what it would on one thread
 * (KAUDIT_STREAM_THREADS=0 keeps one; so does a failed pthread_create).
 */
#include "trace/trace_private.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define QUEUE_RECORDS 16384

struct item {
	struct record_list recs;
	int is_case; /* recs is a case's records, else one record of no case */
};

struct queue {
	pthread_mutex_t mu;
	pthread_cond_t can_put, can_get;
	struct item *v;
	size_t head, n, cap;
	size_t held;  /* records queued or being consumed */
	int closed;   /* the reader is done */
};

struct grouper {
	const struct trace_visitor *v;
	struct record_list group;  /* the open case's measured records */
	int64_t group_case;
	struct queue *q;           /* NULL: the visitor is called here */
};

static void consume(const struct trace_visitor *v, struct item *it)
{
	if (it->is_case) {
		if (v->case_end)
			v->case_end(v->ctx, it->recs.v, it->recs.n);
	} else if (v->record) {
		v->record(v->ctx, &it->recs.v[0]);
	}
	record_list_free(&it->recs);
}

static void enqueue(struct grouper *g, struct item *it)
{
	struct queue *q = g->q;
	if (!q) {
		consume(g->v, it);
		return;
	}
	pthread_mutex_lock(&q->mu);
	while (q->held > 0 && q->held + it->recs.n > QUEUE_RECORDS)
		pthread_cond_wait(&q->can_put, &q->mu);
	if (q->n == q->cap) { /* grow the ring, oldest first */
		size_t cap = q->cap ? q->cap * 2 : 64;
		struct item *v = xmalloc(cap * sizeof *v);
		for (size_t i = 0; i < q->n; i++)
			v[i] = q->v[(q->head + i) % q->cap];
		free(q->v);
		q->v = v;
		q->cap = cap;
		q->head = 0;
	}
	q->v[(q->head + q->n++) % q->cap] = *it;
	q->held += it->recs.n;
	pthread_cond_signal(&q->can_get);
	pthread_mutex_unlock(&q->mu);
}

static void *consumer(void *arg)
{
	struct grouper *g = arg;
	struct queue *q = g->q;
	for (;;) {
		pthread_mutex_lock(&q->mu);
		while (!q->n && !q->closed)
			pthread_cond_wait(&q->can_get, &q->mu);
		if (!q->n) {
			pthread_mutex_unlock(&q->mu);
			return NULL;
		}
		struct item it = q->v[q->head];
		q->head = (q->head + 1) % q->cap;
		q->n--;
		pthread_mutex_unlock(&q->mu);
		size_t n = it.recs.n;
		consume(g->v, &it);
		pthread_mutex_lock(&q->mu);
		q->held -= n;
		pthread_cond_signal(&q->can_put);
		pthread_mutex_unlock(&q->mu);
	}
}

static void flush_group(struct grouper *g)
{
	if (!g->group.n)
		return;
	struct item it = { g->group, 1 };
	memset(&g->group, 0, sizeof g->group);
	enqueue(g, &it);
}

static void on_record(void *ctx, struct record *r)
{
	struct grouper *g = ctx;
	if (!trace_case_record(r)) {
		/* one record, allocated as one: a list would reserve many */
		struct item it = { { xmalloc(sizeof *r), 1, 1 }, 0 };
		it.recs.v[0] = *r;
		record_init(r, r->type);
		enqueue(g, &it);
		return;
	}
	/* A record out of order is a problem the core has noted; it starts a
	 * group of its own, and the consumer's result is void anyway. */
	if (g->group.n && r->case_index != g->group_case)
		flush_group(g);
	g->group_case = r->case_index;
	record_list_push(&g->group, r);
}

static int want_thread(void)
{
	const char *s = getenv("KAUDIT_STREAM_THREADS");
	return !s || strcmp(s, "0") != 0;
}

int trace_stream_fd(int fd, const char *name, const struct trace_visitor *v,
		    struct trace_contents *out, struct errbuf *e)
{
	struct grouper g = { v, { NULL, 0, 0 }, REC_NONE, NULL };
	struct queue q;
	pthread_t th;
	if (want_thread()) {
		memset(&q, 0, sizeof q);
		pthread_mutex_init(&q.mu, NULL);
		pthread_cond_init(&q.can_put, NULL);
		pthread_cond_init(&q.can_get, NULL);
		g.q = &q;
		if (pthread_create(&th, NULL, consumer, &g) != 0) {
			pthread_cond_destroy(&q.can_get);
			pthread_cond_destroy(&q.can_put);
			pthread_mutex_destroy(&q.mu);
			g.q = NULL;
		}
	}
	int rc = trace_read_core(fd, name, on_record, &g, out, e);
	if (rc == 0)
		flush_group(&g);
	record_list_free(&g.group);
	if (g.q) {
		/* Everything queued is consumed, as on one thread. */
		pthread_mutex_lock(&q.mu);
		q.closed = 1;
		pthread_cond_signal(&q.can_get);
		pthread_mutex_unlock(&q.mu);
		pthread_join(th, NULL);
		free(q.v);
		pthread_cond_destroy(&q.can_get);
		pthread_cond_destroy(&q.can_put);
		pthread_mutex_destroy(&q.mu);
	}
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
