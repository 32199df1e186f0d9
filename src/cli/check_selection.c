/*
 * check_selection.c - check holds a trace's case records against its
 * header's selection (kaudit-trace(5) CHECK): a case outside it (past
 * the claim's count, of another kernel than verify --kernel named, of
 * another shard) is a disagreement, and so is, without a --kernel, a case
 * of the shard the trace has no record of.  summary counts a claim's
 * cases from the selection, so a selection the records contradict must
 * not pass.  Memory: a word per case.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/check_trace.h"

void check_selection_begin(struct check_selection *c, const struct rec_header *h)
{
	memset(c, 0, sizeof *c);
	check_strict_init(&c->s);
	struct errbuf e = { "", 0 };
	if (trace_selection_of(h, &c->sel, &e) < 0)
		check_differ(&c->s, "header: %s", e.msg);
	else
		c->ok = 1;
}

static void shard_text(const struct trace_selection *sel, char *buf, size_t n)
{
	buf[0] = '\0';
	if (sel->sharded)
		snprintf(buf, n, "shard %lld/%lld of ", (long long)sel->shard_index,
			 (long long)sel->shard_count);
}

void check_selection_case(struct check_selection *c, const struct record *r)
{
	if (!c->ok || !c->sel.present)
		return;
	const struct trace_selection *sel = &c->sel;
	if (!trace_selection_has(sel, r->case_index, r->u.kase.kernel)) {
		char shard[96];
		shard_text(sel, shard, sizeof shard);
		check_differ(&c->s, "case %lld: not in the header's selection (%sthe claim's %lld "
			     "cases%s%.64s)", (long long)r->case_index, shard, (long long)sel->cases,
			     sel->kernel ? ", kernel " : "", sel->kernel ? sel->kernel : "");
		return;
	}
	xgrow((void **)&c->idx, &c->cap, c->n + 1, sizeof *c->idx);
	c->idx[c->n++] = r->case_index;
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return (a > b) - (a < b);
}

void check_selection_end(struct check_selection *c, struct check_strict *s)
{
	const struct trace_selection *sel = &c->sel;
	if (c->ok && sel->present && !sel->kernel) {
		xsort(c->idx, c->n, sizeof *c->idx, cmp_i64);
		size_t distinct = 0;
		for (size_t i = 0; i < c->n; i++)
			distinct += i == 0 || c->idx[i] != c->idx[i - 1];
		int64_t want = sel->cases > sel->shard_index
			       ? (sel->cases - 1 - sel->shard_index) / sel->shard_count + 1 : 0;
		if ((int64_t)distinct != want) {
			/* the first case of the selection the trace lacks */
			int64_t missing = sel->shard_index;
			for (size_t i = 0; i < c->n && c->idx[i] == missing; i++)
				if (i + 1 == c->n || c->idx[i + 1] != c->idx[i])
					missing += sel->shard_count;
			char shard[96];
			shard_text(sel, shard, sizeof shard);
			check_differ(&c->s, "header: the selection (%sthe claim's %lld cases) holds "
				     "%lld case%s, the trace has records of %zu (case %lld has none)",
				     shard, (long long)sel->cases, (long long)want, want == 1 ? "" : "s",
				     distinct, (long long)missing);
		}
	}
	check_strict_move(s, &c->s);
}

void check_selection_release(struct check_selection *c)
{
	check_strict_release(&c->s);
	free(c->idx);
	memset(c, 0, sizeof *c);
}
