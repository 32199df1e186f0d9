/*
 * load_buffer.c - a kernel's `buffers`: names, roles, dtypes, shapes and
 * input distributions.  Shapes are evaluated for every parameter set here,
 * at load time, so a manifest that lints cleanly cannot fail later on a
 * shape or a byte size that does not fit in 64 bits.
 */
#include "claim/claim_private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kaudit/launcher.h"

static const char *const buffer_keys[] = { "name", "role", "dtype", "shape", "init", NULL };
enum { BK_NAME, BK_ROLE, BK_DTYPE, BK_SHAPE, BK_INIT, BK_COUNT };

struct dist_info {
	const char *name;
	enum claim_dist dist;
	const char *key_a, *key_b; /* NULL: no such parameter */
	double def_a, def_b;
	int required;              /* key_a has no default */
};

static const struct dist_info dists[] = {
	{ "normal", CLAIM_INIT_NORMAL, "mean", "std", 0, 1, 0 },
	{ "uniform", CLAIM_INIT_UNIFORM, "low", "high", 0, 1, 0 },
	{ "randint", CLAIM_INIT_RANDINT, "low", "high", -100, 100, 0 },
	{ "arange", CLAIM_INIT_ARANGE, NULL, NULL, 0, 0, 0 },
	{ "constant", CLAIM_INIT_CONSTANT, "value", NULL, 0, 0, 1 },
	{ "get_inputs", CLAIM_INIT_GET_INPUTS, NULL, NULL, 0, 0, 0 },
};
#define NDISTS (sizeof dists / sizeof dists[0])
static const char dist_names[] = "normal uniform randint arange constant get_inputs";

/* Integers travel as doubles (struct claim_init): keep them exact. */
#define EXACT_INT_LIMIT 9007199254740992.0 /* 2^53 */

static int check_int_value(struct claim_loader *L, const yaml_node_t *n, const char *what,
			   int dtype, double v)
{
	if (v != floor(v) || fabs(v) > EXACT_INT_LIMIT)
		return yd_err(L, n, "%s: expected an integer of at most 2^53 in magnitude, got %g",
			      what, v);
	int64_t lo, hi;
	if (claim_dtype_int_range(dtype, &lo, &hi) && (v < (double)lo || v > (double)hi))
		return yd_err(L, n, "%s: %.0f does not fit %s (range %lld..%lld)", what, v,
			      claim_dtype_name(dtype), (long long)lo, (long long)hi);
	return 0;
}

static int load_init(struct claim_loader *L, const yaml_node_t *n, const struct claim_buffer *b,
		     struct claim_init *init)
{
	if (yd_expect_map(L, n, "init") != 0)
		return -1;
	const yaml_node_t *distn = NULL;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++)
		if (strcmp((const char *)yd_node(L, p->key)->data.scalar.value, "dist") == 0)
			distn = yd_node(L, p->value);
	if (!distn)
		return yd_err(L, n, "missing required key 'dist' in init (expected one of %s)",
			      dist_names);
	char *name;
	if (yd_string(L, distn, "dist", &name) != 0)
		return -1;
	const struct dist_info *d = NULL;
	for (size_t i = 0; i < NDISTS; i++)
		if (strcmp(dists[i].name, name) == 0)
			d = &dists[i];
	if (!d) {
		yd_err(L, distn, "unknown distribution '%.80s' (expected one of %s)", name,
		       dist_names);
		free(name);
		return -1;
	}
	free(name);

	const char *keys[4] = { "dist", d->key_a, d->key_b, NULL };
	yaml_node_t *v[3] = { NULL, NULL, NULL };
	char what[64];
	snprintf(what, sizeof what, "init (%s)", d->name);
	if (yd_fields(L, n, what, keys, v, NULL) != 0)
		return -1;
	init->dist = d->dist;
	init->a = d->def_a;
	init->b = d->def_b;
	if (d->required && !v[1])
		return yd_err(L, n, "missing required key '%s' in init (%s)", d->key_a, d->name);
	if (v[1] && yd_number(L, v[1], d->key_a, &init->a) != 0)
		return -1;
	if (v[2] && yd_number(L, v[2], d->key_b, &init->b) != 0)
		return -1;

	const yaml_node_t *at_b = v[2] ? v[2] : n;
	switch (d->dist) {
	case CLAIM_INIT_NORMAL:
		if (init->b < 0)
			return yd_err(L, at_b, "std: expected a number >= 0, got %g", init->b);
		break;
	case CLAIM_INIT_UNIFORM:
		if (!(init->a < init->b))
			return yd_err(L, at_b, "uniform: low %g is not below high %g "
					       "(expected low < high)", init->a, init->b);
		break;
	case CLAIM_INIT_RANDINT:
		if (check_int_value(L, v[1] ? v[1] : n, "low", b->dtype, init->a) != 0 ||
		    check_int_value(L, at_b, "high", b->dtype, init->b) != 0)
			return -1;
		if (init->a > init->b)
			return yd_err(L, at_b, "randint: low %.0f is above high %.0f "
					       "(expected low <= high)", init->a, init->b);
		break;
	case CLAIM_INIT_CONSTANT:
		if (!claim_dtype_is_float(b->dtype) &&
		    check_int_value(L, v[1], "value", b->dtype, init->a) != 0)
			return -1;
		break;
	default:
		break;
	}
	return 0;
}

/* Every dimension is > 0 (checked per element); the product and the byte
 * size must still fit in 64 bits for every parameter set. */
static int check_size(struct claim_loader *L, const struct claim_kernel *k,
		      const struct claim_buffer *b, const yaml_node_t *shape)
{
	for (size_t i = 0; i < k->nparams; i++) {
		int64_t numel, bytes;
		struct errbuf e;
		char set[256];
		if (claim_buffer_numel(b, &k->params[i], &numel, &e) != 0 ||
		    __builtin_mul_overflow(numel, (int64_t)claim_dtype_size(b->dtype), &bytes))
			return yd_err(L, shape, "shape: buffer '%s' has more than 2^63 bytes "
						"with params %s (expected a size that fits in 64 bits)",
				      b->name, claim_params_format(&k->params[i], set, sizeof set));
	}
	return 0;
}

static int load_shape(struct claim_loader *L, const struct claim_kernel *k,
		      struct claim_buffer *b, const yaml_node_t *n)
{
	if (yd_expect_seq(L, n, "shape") != 0)
		return -1;
	size_t ndim = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (ndim == 0)
		return yd_err(L, n, "shape: empty list (expected at least one dimension)");
	if (ndim > CLAIM_MAX_NDIM)
		return yd_err(L, n, "shape: %zu dimensions (limit %d)", ndim, CLAIM_MAX_NDIM);
	b->shape = xcalloc(ndim, sizeof *b->shape);
	b->ndim = ndim;
	for (size_t i = 0; i < ndim; i++) {
		char what[32];
		snprintf(what, sizeof what, "shape[%zu]", i);
		yaml_node_t *dim = yd_node(L, n->data.sequence.items.start[i]);
		if (claim_parse_expr_node(L, dim, what, &b->shape[i]) != 0 ||
		    claim_check_expr(L, k, b->shape[i], 1, what) != 0)
			return -1;
	}
	return check_size(L, k, b, n);
}

static int load_role(struct claim_loader *L, const yaml_node_t *n, enum claim_role *role)
{
	static const enum claim_role roles[] = { CLAIM_IN, CLAIM_OUT, CLAIM_INOUT };
	char *s;
	if (yd_string(L, n, "role", &s) != 0)
		return -1;
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
		if (strcmp(s, claim_role_name(roles[i])) == 0) {
			*role = roles[i];
			free(s);
			return 0;
		}
	}
	yd_err(L, n, "unknown role '%.80s' (expected one of in out inout)", s);
	free(s);
	return -1;
}

static int load_dtype(struct claim_loader *L, const yaml_node_t *n, int *dtype)
{
	char *s;
	if (yd_string(L, n, "dtype", &s) != 0)
		return -1;
	*dtype = claim_dtype_parse(s);
	if (*dtype < 0)
		yd_err(L, n, "unknown dtype '%.80s' (expected one of %s)", s, claim_dtype_names);
	free(s);
	return *dtype < 0 ? -1 : 0;
}

static int load_buffer(struct claim_loader *L, const struct claim_kernel *k, size_t idx,
		       const yaml_node_t *n)
{
	struct claim_buffer *b = &k->buffers[idx];
	yaml_node_t *v[BK_COUNT], *keys[BK_COUNT];
	if (yd_fields(L, n, "buffer", buffer_keys, v, keys) != 0)
		return -1;
	b->pos = yd_pos(n);
	for (int i = 0; i < BK_INIT; i++)
		if (!v[i])
			return yd_err(L, n, "missing required key '%s' in buffer", buffer_keys[i]);
	if (yd_string(L, v[BK_NAME], "name", &b->name) != 0)
		return -1;
	const char *s = b->name;
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_') ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
		    strlen(s))
		return yd_err(L, v[BK_NAME], "buffer name '%.80s' is not an identifier (expected "
					     "letters, digits and '_', not starting with a digit)",
			      b->name);
	for (size_t i = 0; i < idx; i++)
		if (strcmp(k->buffers[i].name, b->name) == 0)
			return yd_err(L, v[BK_NAME], "duplicate buffer name '%s' in kernel '%s' "
						     "(first at line %d)",
				      b->name, k->id, k->buffers[i].pos.line);
	if (load_role(L, v[BK_ROLE], &b->role) != 0 || load_dtype(L, v[BK_DTYPE], &b->dtype) != 0 ||
	    load_shape(L, k, b, v[BK_SHAPE]) != 0)
		return -1;
	b->init.dist = CLAIM_INIT_DEFAULT;
	if (!v[BK_INIT])
		return 0;
	if (b->role == CLAIM_OUT)
		return yd_err(L, keys[BK_INIT], "init on output buffer '%s' (expected init only "
						"on in and inout buffers: kaudit poisons outputs)",
			      b->name);
	if (load_init(L, v[BK_INIT], b, &b->init) != 0)
		return -1;
	/* get_inputs() gives forward's arguments, which are the `in`
	 * buffers in order; an inout buffer is not one of them. */
	if (b->init.dist == CLAIM_INIT_GET_INPUTS && b->role != CLAIM_IN)
		return yd_err(L, v[BK_INIT], "init get_inputs on inout buffer '%s' (expected it "
					     "only on in buffers: get_inputs() gives forward's "
					     "arguments)", b->name);
	return 0;
}

int claim_load_buffers(struct claim_loader *L, struct claim_kernel *k, const yaml_node_t *n)
{
	if (yd_expect_seq(L, n, "buffers") != 0)
		return -1;
	size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (count == 0)
		return yd_err(L, n, "buffers: empty list (expected at least one buffer)");
	if (count > CLAIM_MAX_BUFFERS)
		return yd_err(L, n, "buffers: %zu buffers (limit %d)", count, CLAIM_MAX_BUFFERS);
	k->buffers = xcalloc(count, sizeof *k->buffers);
	k->nbuffers = count;
	int outputs = 0, inputs = 0;
	for (size_t i = 0; i < count; i++) {
		if (load_buffer(L, k, i, yd_node(L, n->data.sequence.items.start[i])) != 0)
			return -1;
		outputs += k->buffers[i].role != CLAIM_IN;
		/* The i-th `in` buffer is the i-th argument, get_inputs()[i]. */
		if (k->buffers[i].role == CLAIM_IN)
			k->buffers[i].init.item = inputs++;
	}
	if (!outputs)
		return yd_err(L, n, "buffers: no out or inout buffer (expected at least one output "
				    "for kaudit to compare)");
	return 0;
}
