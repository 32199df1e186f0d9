/*
 * claim.c - what other modules do with a loaded claim: free it, list its
 * cases, size its buffers.
 */
#include "claim/claim_private.h"

#include <stdio.h>
#include <stdlib.h>

static void impl_release(struct claim_impl *im)
{
	free(im->source);
	free(im->path);
	free(im->init_source);
	free(im->init_path);
	free(im->entry);
	for (size_t i = 0; i < im->nflags; i++)
		free(im->flags[i]);
	free(im->flags);
	free(im->flag_pos);
}

static void kernel_release(struct claim_kernel *k)
{
	free(k->id);
	impl_release(&k->baseline);
	impl_release(&k->candidate);
	for (size_t i = 0; i < k->nparams; i++) {
		for (size_t j = 0; j < k->params[i].n; j++)
			free(k->params[i].names[j]);
		free(k->params[i].names);
		free(k->params[i].values);
	}
	free(k->params);
	for (size_t i = 0; i < k->nbuffers; i++) {
		struct claim_buffer *b = &k->buffers[i];
		free(b->name);
		for (size_t j = 0; j < b->ndim; j++)
			claim_expr_free(b->shape ? b->shape[j] : NULL);
		free(b->shape);
	}
	free(k->buffers);
	claim_expr_free(k->work_bytes);
	claim_expr_free(k->work_flops);
	free(k->expect.verdict);
	for (size_t i = 0; i < k->expect.nfindings; i++)
		free(k->expect.findings[i]);
	free(k->expect.findings);
}

/* Also releases a partly loaded claim: counts are set before the arrays
 * they count are filled, and unfilled slots are zero. */
void claim_free(struct claim *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nkernels; i++)
		kernel_release(&c->kernels[i]);
	free(c->kernels);
	free(c->path);
	free(c->dir);
	free(c->root);
	free(c->text);
	free(c->title);
	free(c->source);
	free(c->hardware);
	free(c);
}

struct claim_case *claim_cases(const struct claim *c, size_t *n)
{
	size_t total = 0;
	for (size_t i = 0; i < c->nkernels; i++)
		total += c->kernels[i].nparams;
	struct claim_case *cases = xcalloc(total, sizeof *cases);
	size_t at = 0;
	for (size_t i = 0; i < c->nkernels; i++) {
		for (size_t j = 0; j < c->kernels[i].nparams; j++) {
			cases[at].kernel = &c->kernels[i];
			cases[at].kernel_index = i;
			cases[at].param_index = j;
			at++;
		}
	}
	*n = total;
	return cases;
}

int claim_buffer_numel(const struct claim_buffer *b, const struct claim_params *p,
		       int64_t *out, struct errbuf *e)
{
	int64_t numel = 1;
	for (size_t i = 0; i < b->ndim; i++) {
		int64_t d;
		if (claim_expr_eval(b->shape[i], p, &d, e) != 0)
			return -1;
		if (d <= 0)
			return errbuf_set(e, EXIT_BAD_INPUT,
					  "buffer '%s': dimension %zu is %lld (expected > 0)",
					  b->name, i, (long long)d);
		if (__builtin_mul_overflow(numel, d, &numel))
			return errbuf_set(e, EXIT_BAD_INPUT,
					  "buffer '%s': element count overflows 64 bits", b->name);
	}
	*out = numel;
	return 0;
}

const char *claim_params_format(const struct claim_params *p, char *buf, size_t len)
{
	size_t used = 0;
	int w = snprintf(buf, len, "{");
	used = w > 0 ? (size_t)w : 0;
	for (size_t i = 0; i < p->n && used < len; i++) {
		w = snprintf(buf + used, len - used, "%s%s: %lld", i ? ", " : "", p->names[i],
			     (long long)p->values[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (used < len)
		snprintf(buf + used, len - used, "}");
	return buf;
}
