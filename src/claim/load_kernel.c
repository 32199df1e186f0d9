/*
 * load_kernel.c - one entry of `kernels`: id, implementations, params,
 * tolerance, determinism, work bounds and expectations.  A key the entry
 * lacks is taken from `defaults` (the entry's own key wins), so an error in
 * a defaulted value points into `defaults`.
 */
#include "claim/claim_private.h"
#include "trace/finding_codes.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *const claim_kernel_keys[] = {
	"id", "baseline", "candidate", "claimed_speedup", "params", "buffers",
	"tolerance", "deterministic", "work", "expect", NULL
};

static int is_identifier(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
	       strlen(s);
}

static int is_kernel_id(const char *s)
{
	return *s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			       "0123456789_.-") == strlen(s);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n > m && strcmp(s + n - m, suffix) == 0;
}

static int load_id(struct claim_loader *L, const struct claim *c, size_t k,
		   const yaml_node_t *n)
{
	struct claim_kernel *kern = &c->kernels[k];
	if (yd_string(L, n, "id", &kern->id) != 0)
		return -1;
	if (!is_kernel_id(kern->id))
		return yd_err(L, n, "invalid kernel id '%.80s' (expected letters, digits, "
				    "'_', '.' or '-')", kern->id);
	for (size_t i = 0; i < k; i++)
		if (strcmp(c->kernels[i].id, kern->id) == 0)
			return yd_err(L, n, "duplicate kernel id '%s' (first at line %d)",
				      kern->id, c->kernels[i].pos.line);
	return 0;
}

static const char *file_type(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	return "not a regular file";
}

/* Sources are relative to the manifest's directory, so a claim folder can
 * be moved or checked out anywhere, and they stay inside it: after every
 * link is followed the file must lie in the claim's tree, be a regular
 * file, and not be a kernel or device file.  *REAL_OUT is the real path. */
static int resolve_file(struct claim_loader *L, const struct claim *c, const yaml_node_t *n,
			const char *source, char **real_out)
{
	char joined[PATH_MAX], real[PATH_MAX];
	int len;
	if (source[0] == '/' || strcmp(c->dir, ".") == 0)
		len = snprintf(joined, sizeof joined, "%s", source);
	else
		len = snprintf(joined, sizeof joined, "%s/%s", c->dir, source);
	if (len < 0 || (size_t)len >= sizeof joined)
		return yd_err(L, n, "source '%.200s': path too long", source);
	struct stat st;
	if (stat(joined, &st) != 0)
		return yd_err(L, n, "source '%.200s' not found (looked for '%.200s': %s)",
			      source, joined, strerror(errno));
	if (!c->root)
		return yd_err(L, n, "source '%.200s': the manifest's directory '%.200s' cannot "
				    "be resolved", source, c->dir);
	if (!realpath(joined, real))
		return yd_err(L, n, "source '%.200s' cannot be resolved: %s", source,
			      strerror(errno));
	static const char *const pseudo[] = { "/proc", "/sys", "/dev" };
	for (size_t i = 0; i < sizeof pseudo / sizeof pseudo[0]; i++) {
		size_t plen = strlen(pseudo[i]);
		if (strncmp(real, pseudo[i], plen) == 0 && (!real[plen] || real[plen] == '/'))
			return yd_err(L, n, "source '%.200s' resolves into %s (kernel and device "
					    "files are never sources)", source, pseudo[i]);
	}
	if (!S_ISREG(st.st_mode))
		return yd_err(L, n, "source '%.200s' is %s, not a regular file", source,
			      file_type(st.st_mode));
	const char *rel = claim_tree_rel(c->root, real);
	if (!rel || claim_path_secret(real))
		return yd_err(L, n, "source '%.200s' leaves the claim directory '%.200s' "
				    "(links followed; sources must stay inside the manifest's "
				    "directory)", source, c->dir);
	if (!claim_shell_safe(rel))
		return yd_err(L, n, "source '%.200s': its path holds characters nvcc would "
				    "hand to a shell (allowed: letters, digits and _ . / + = @ %% "
				    ": -)", source);
	*real_out = xstrdup(real);
	return 0;
}

static int resolve_source(struct claim_loader *L, const struct claim *c,
			  const yaml_node_t *n, struct claim_impl *im)
{
	if (!ends_with(im->source, ".cu") && !ends_with(im->source, ".so"))
		return yd_err(L, n, "source '%.200s' is neither .cu nor .so (expected CUDA "
				    "source or a shared object; a Python file is named with "
				    "'python:')", im->source);
	return resolve_file(L, c, n, im->source, &im->path);
}

/* Flags are checked against the allowlist here, so `kaudit lint` refuses
 * them without compiling, at the offending flag's position. */
static int load_flags(struct claim_loader *L, const struct claim *c, const yaml_node_t *n,
		      struct claim_impl *im)
{
	if (yd_expect_seq(L, n, "flags") != 0)
		return -1;
	size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	im->flags = xcalloc(count, sizeof *im->flags);
	im->flag_pos = xcalloc(count ? count : 1, sizeof *im->flag_pos);
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *f = yd_node(L, n->data.sequence.items.start[i]);
		if (yd_string(L, f, "flags", &im->flags[i]) != 0)
			return -1;
		im->flag_pos[i] = yd_pos(f);
		im->nflags = i + 1;
	}
	size_t bad = 0;
	struct errbuf msg;
	if (claim_flags_check(im->flags, im->nflags, c->root, NULL, &bad, &msg) != 0)
		return yd_err_at(L, bad < im->nflags ? im->flag_pos[bad] : yd_pos(n), "%s",
				 msg.msg);
	return 0;
}

/* {python: FILE.py, entry: NAME, init_inputs: PROBLEM.py}: run by the
 * bridge (kaudit-claim(5), PYTHON IMPLEMENTATIONS).  Whether NAME exists
 * and what it is can only be known by importing the file, which is
 * claimant code: the build does that, confined. */
static int load_python(struct claim_loader *L, const struct claim *c, const yaml_node_t *n,
		       yaml_node_t *const *v, const char *what, struct claim_impl *im)
{
	im->python = 1;
	if (v[0])
		return yd_err(L, v[0], "%s has both 'source' and 'python' (a C launcher or a "
				       "Python entry, not both)", what);
	if (v[2])
		return yd_err(L, v[2], "'flags' are nvcc arguments: a Python implementation "
				       "has none");
	if (!v[1])
		return yd_err(L, n, "missing required key 'entry' in %s (the nn.Module "
				    "subclass or function to call, e.g. ModelNew)", what);
	if (yd_string(L, v[3], "python", &im->source) != 0)
		return -1;
	if (!ends_with(im->source, ".py"))
		return yd_err(L, v[3], "python '%.200s' is not a .py file", im->source);
	if (resolve_file(L, c, v[3], im->source, &im->path) != 0)
		return -1;
	if (yd_string(L, v[1], "entry", &im->entry) != 0)
		return -1;
	im->entry_pos = yd_pos(v[1]);
	if (!is_identifier(im->entry))
		return yd_err(L, v[1], "entry '%.80s' is not a Python identifier (expected the "
				       "name of an nn.Module subclass or a function)", im->entry);
	if (v[4]) {
		if (yd_string(L, v[4], "init_inputs", &im->init_source) != 0)
			return -1;
		if (!ends_with(im->init_source, ".py"))
			return yd_err(L, v[4], "init_inputs '%.200s' is not a .py file (expected "
					       "the problem file defining get_init_inputs)",
				      im->init_source);
		if (resolve_file(L, c, v[4], im->init_source, &im->init_path) != 0)
			return -1;
	}
	return 0;
}

static int load_impl(struct claim_loader *L, const struct claim *c, const yaml_node_t *kn,
		     const yaml_node_t *n, const char *what, struct claim_impl *im)
{
	static const char *const keys[] = { "source", "entry", "flags", "python",
					     "init_inputs", NULL };
	yaml_node_t *v[5];
	if (!n)
		return yd_err(L, kn, "missing required key '%s' in kernel", what);
	if (yd_fields(L, n, what, keys, v, NULL) != 0)
		return -1;
	im->pos = yd_pos(n);
	if (v[3])
		return load_python(L, c, n, v, what, im);
	if (v[4])
		return yd_err(L, v[4], "'init_inputs' belongs to a Python implementation "
				       "(python: FILE.py)");
	if (!v[0])
		return yd_err(L, n, "missing required key 'source' in %s (or 'python' for a "
				    "Python implementation)", what);
	if (!v[1])
		return yd_err(L, n, "missing required key 'entry' in %s", what);
	if (yd_string(L, v[0], "source", &im->source) != 0 ||
	    resolve_source(L, c, v[0], im) != 0)
		return -1;
	if (yd_string(L, v[1], "entry", &im->entry) != 0)
		return -1;
	im->entry_pos = yd_pos(v[1]);
	if (!is_identifier(im->entry))
		return yd_err(L, v[1], "entry '%.80s' is not a C identifier (expected the name "
				       "of an extern \"C\" launcher)", im->entry);
	struct errbuf msg;
	if (claim_entry_check(im->path, im->source, im->entry, &msg) != 0)
		return yd_err(L, v[1], "%s", msg.msg);
	if (v[2] && load_flags(L, c, v[2], im) != 0)
		return -1;
	return 0;
}

/* Nonzero when scalar N is quoted text that would read as an integer
 * unquoted: "4096" in quotes is a string, the common slip. */
static int quoted_integer(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || (n->data.scalar.style != YAML_SINGLE_QUOTED_SCALAR_STYLE &&
					     n->data.scalar.style != YAML_DOUBLE_QUOTED_SCALAR_STYLE))
		return 0;
	const char *s = (const char *)n->data.scalar.value;
	s += *s == '-' || *s == '+';
	if (!*s || n->data.scalar.length > 20)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* Appends "{N: 1024, D: 8192}" to EX: parameter set SET with the value of
 * param LIST_KEY replaced by ITEM; 0 when it does not fit or a value is not
 * a short scalar. */
static int example_set(struct claim_loader *L, const yaml_node_t *set, const yaml_node_t *list_key,
		       const yaml_node_t *item, char *ex, size_t cap, size_t *used)
{
	size_t u = *used;
	size_t count = (size_t)(set->data.mapping.pairs.top - set->data.mapping.pairs.start);
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *key = yd_node(L, set->data.mapping.pairs.start[i].key);
		yaml_node_t *val = yd_node(L, set->data.mapping.pairs.start[i].value);
		if (key == list_key)
			val = (yaml_node_t *)item;
		if (val->type != YAML_SCALAR_NODE || val->data.scalar.length > 20 ||
		    key->data.scalar.length > 20)
			return 0;
		int w = snprintf(ex + u, cap - u, "%s%s: %s", i ? ", " : "{",
				 (const char *)key->data.scalar.value,
				 (const char *)val->data.scalar.value);
		if (w < 0 || (size_t)w >= cap - u)
			return 0;
		u += (size_t)w;
	}
	if (u + 2 > cap)
		return 0;
	ex[u++] = '}';
	ex[u] = '\0';
	*used = u;
	return 1;
}

/* The schema has one way to say "several cases": a list of parameter
 * sets.  A list as one param's value is the common slip; the message spells
 * out the manifest to write, with the list's own values and the set's
 * other params ("params: [{N: 1024, D: 8192}, {N: 4096, D: 8192}]"). */
static int list_as_param(struct claim_loader *L, const yaml_node_t *set, const yaml_node_t *key,
			 const yaml_node_t *val)
{
	const char *name = (const char *)key->data.scalar.value;
	char ex[200] = "";
	size_t used = 0;
	size_t count = (size_t)(val->data.sequence.items.top - val->data.sequence.items.start);
	size_t shown = 0;
	for (; shown < count && shown < 2; shown++) {
		if (shown && used + 2 < sizeof ex) {
			memcpy(ex + used, ", ", 3);
			used += 2;
		}
		if (!example_set(L, set, key, yd_node(L, val->data.sequence.items.start[shown]),
				 ex, sizeof ex, &used))
			break;
	}
	if (shown == 0 || shown < (count < 2 ? count : 2)) /* not short scalars: a sketch */
		snprintf(ex, sizeof ex, "{%s: 1024}, {%s: 4096}", name, name);
	return yd_err(L, val, "param '%s': expected an integer, got a list; several cases are "
			      "several parameter sets: write params as a list of mappings, one "
			      "case each: params: [%s%s] (kaudit-claim(5))",
		      name, ex, count > 2 && shown == 2 ? ", ..." : "");
}

static int load_param_set(struct claim_loader *L, const yaml_node_t *n, struct claim_params *p)
{
	if (yd_expect_map(L, n, "params") != 0)
		return -1;
	p->pos = yd_pos(n);
	size_t count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	p->names = xcalloc(count, sizeof *p->names);
	p->values = xcalloc(count, sizeof *p->values);
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *key = yd_node(L, n->data.mapping.pairs.start[i].key);
		yaml_node_t *val = yd_node(L, n->data.mapping.pairs.start[i].value);
		const char *name = (const char *)key->data.scalar.value;
		if (!is_identifier(name))
			return yd_err(L, key, "param name '%.80s' is not an identifier (expected "
					      "letters, digits and '_', not starting with a digit)",
				      name);
		if (val->type == YAML_SEQUENCE_NODE)
			return list_as_param(L, n, key, val);
		if (quoted_integer(val))
			return yd_err(L, val, "param '%s': expected an integer, got the string "
					      "\"%s\" (quoted); write %s: %s without quotes",
				      name, (const char *)val->data.scalar.value, name,
				      (const char *)val->data.scalar.value);
		char what[128];
		snprintf(what, sizeof what, "param '%s'", name);
		if (yd_int(L, val, what, &p->values[i]) != 0)
			return -1;
		p->names[i] = xstrdup(name);
		p->n = i + 1;
	}
	return 0;
}

static int load_params(struct claim_loader *L, struct claim_kernel *k, const yaml_node_t *n)
{
	if (!n) { /* one case with no parameters */
		k->params = xcalloc(1, sizeof *k->params);
		k->params[0].pos = k->pos;
		k->nparams = 1;
		return 0;
	}
	if (n->type == YAML_MAPPING_NODE) {
		k->params = xcalloc(1, sizeof *k->params);
		k->nparams = 1;
		return load_param_set(L, n, &k->params[0]);
	}
	if (n->type != YAML_SEQUENCE_NODE) {
		char buf[64];
		return yd_err(L, n, "params: expected a mapping or a list of mappings, got %s",
			      yd_describe(n, buf, sizeof buf));
	}
	size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (count == 0)
		return yd_err(L, n, "params: empty list (expected at least one parameter set)");
	if (count > CLAIM_MAX_PARAM_SETS)
		return yd_err(L, n, "params: %zu parameter sets (limit %d)", count,
			      CLAIM_MAX_PARAM_SETS);
	k->params = xcalloc(count, sizeof *k->params);
	k->nparams = count;
	for (size_t i = 0; i < count; i++)
		if (load_param_set(L, yd_node(L, n->data.sequence.items.start[i]),
				   &k->params[i]) != 0)
			return -1;
	return 0;
}

static int load_nonneg(struct claim_loader *L, const yaml_node_t *n, const char *what,
		       double *out)
{
	if (yd_number(L, n, what, out) != 0)
		return -1;
	if (*out < 0)
		return yd_err(L, n, "%s: expected a number >= 0, got %g", what, *out);
	return 0;
}

static int load_tolerance(struct claim_loader *L, struct claim_kernel *k, const yaml_node_t *n)
{
	static const char *const keys[] = { "rtol", "atol", NULL };
	yaml_node_t *v[2];
	if (yd_fields(L, n, "tolerance", keys, v, NULL) != 0)
		return -1;
	for (int i = 0; i < 2; i++)
		if (!v[i])
			return yd_err(L, n, "missing required key '%s' in tolerance", keys[i]);
	if (load_nonneg(L, v[0], "rtol", &k->tolerance.rtol) != 0 ||
	    load_nonneg(L, v[1], "atol", &k->tolerance.atol) != 0)
		return -1;
	k->tolerance.set = 1;
	return 0;
}

static int load_work(struct claim_loader *L, struct claim_kernel *k, const yaml_node_t *n)
{
	static const char *const keys[] = { "bytes", "flops", NULL };
	yaml_node_t *v[2];
	if (yd_fields(L, n, "work", keys, v, NULL) != 0)
		return -1;
	if (!v[0] && !v[1])
		return yd_err(L, n, "work: empty (expected bytes and/or flops)");
	struct claim_expr **dst[2] = { &k->work_bytes, &k->work_flops };
	for (int i = 0; i < 2; i++) {
		if (!v[i])
			continue;
		if (claim_parse_expr_node(L, v[i], keys[i], dst[i]) != 0 ||
		    claim_check_expr(L, k, *dst[i], 0, keys[i]) != 0)
			return -1;
	}
	return 0;
}

static int load_verdict(struct claim_loader *L, const yaml_node_t *n, struct claim_expect *x)
{
	if (yd_string(L, n, "verdict", &x->verdict) != 0)
		return -1;
	if (!claim_verdict_known(x->verdict))
		return yd_err(L, n, "unknown verdict '%.80s' (expected one of %s)", x->verdict,
			      claim_verdict_names);
	return 0;
}

static int load_expect(struct claim_loader *L, struct claim_kernel *k, const yaml_node_t *n)
{
	struct claim_expect *x = &k->expect;
	x->set = 1;
	if (n->type == YAML_SCALAR_NODE)
		return load_verdict(L, n, x);
	static const char *const keys[] = { "verdict", "findings", NULL };
	yaml_node_t *v[2];
	if (n->type != YAML_MAPPING_NODE) {
		char buf[64];
		return yd_err(L, n, "expect: expected a verdict or a mapping {verdict, "
				    "findings}, got %s", yd_describe(n, buf, sizeof buf));
	}
	if (yd_fields(L, n, "expect", keys, v, NULL) != 0)
		return -1;
	if (!v[0])
		return yd_err(L, n, "missing required key 'verdict' in expect");
	if (load_verdict(L, v[0], x) != 0)
		return -1;
	if (!v[1])
		return 0;
	if (yd_expect_seq(L, v[1], "findings") != 0)
		return -1;
	size_t count = (size_t)(v[1]->data.sequence.items.top - v[1]->data.sequence.items.start);
	x->findings = xcalloc(count, sizeof *x->findings);
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *f = yd_node(L, v[1]->data.sequence.items.start[i]);
		if (yd_string(L, f, "findings", &x->findings[i]) != 0)
			return -1;
		x->nfindings = i + 1;
		if (!finding_code_known(x->findings[i]))
			return yd_err(L, f, "unknown finding code '%.80s' (see kaudit-findings(7))",
				      x->findings[i]);
	}
	return 0;
}

/* Inputs from get_inputs() come from the problem file: the baseline's own
 * Python file, else the file the candidate names with init_inputs.  Never
 * the candidate's own file: the code under audit does not choose its
 * inputs. */
static int resolve_problem_file(struct claim_loader *L, struct claim_kernel *k)
{
	const struct claim_buffer *first = NULL;
	for (size_t b = 0; b < k->nbuffers && !first; b++)
		if (k->buffers[b].init.dist == CLAIM_INIT_GET_INPUTS)
			first = &k->buffers[b];
	if (!first)
		return 0;
	if (k->baseline.python) {
		k->inputs_source = k->baseline.source;
		k->inputs_path = k->baseline.path;
	} else if (k->candidate.python && k->candidate.init_path) {
		k->inputs_source = k->candidate.init_source;
		k->inputs_path = k->candidate.init_path;
	} else {
		return yd_err_at(L, first->pos, "buffer '%s': init get_inputs needs a problem file "
				 "that defines get_inputs() (expected a Python baseline, or a Python "
				 "candidate naming the problem file with init_inputs)", first->name);
	}
	struct stat a, b;
	int same = k->candidate.python &&
		   (strcmp(k->inputs_path, k->candidate.path) == 0 ||
		    /* a second name (hard link) of the same file */
		    (stat(k->inputs_path, &a) == 0 && stat(k->candidate.path, &b) == 0 &&
		     a.st_dev == b.st_dev && a.st_ino == b.st_ino));
	if (same)
		return yd_err_at(L, first->pos, "buffer '%s': init get_inputs would take the inputs "
				 "from the candidate's own file %s (expected the problem file: the "
				 "code under audit does not choose its inputs)", first->name,
				 k->candidate.source);
	return 0;
}

int claim_load_kernel(struct claim_loader *L, struct claim *c, size_t idx,
		      const yaml_node_t *n, yaml_node_t *const *defaults)
{
	struct claim_kernel *k = &c->kernels[idx];
	yaml_node_t *v[KK_COUNT];
	k->deterministic = 1;
	if (yd_fields(L, n, "kernel", claim_kernel_keys, v, NULL) != 0)
		return -1;
	k->pos = yd_pos(n);
	for (int i = CLAIM_KEY_FIRST_DEFAULTABLE; i < KK_COUNT; i++)
		if (!v[i])
			v[i] = defaults[i];
	if (!v[KK_ID])
		return yd_err(L, n, "missing required key 'id' in kernel");
	if (load_id(L, c, idx, v[KK_ID]) != 0)
		return -1;
	if (load_impl(L, c, n, v[KK_BASELINE], "baseline", &k->baseline) != 0 ||
	    load_impl(L, c, n, v[KK_CANDIDATE], "candidate", &k->candidate) != 0)
		return -1;
	if (!v[KK_CLAIMED_SPEEDUP])
		return yd_err(L, n, "missing required key 'claimed_speedup' in kernel '%s'", k->id);
	if (yd_number(L, v[KK_CLAIMED_SPEEDUP], "claimed_speedup", &k->claimed_speedup) != 0)
		return -1;
	if (!(k->claimed_speedup > 0))
		return yd_err(L, v[KK_CLAIMED_SPEEDUP],
			      "claimed_speedup: expected a number > 0, got %g", k->claimed_speedup);
	if (load_params(L, k, v[KK_PARAMS]) != 0)
		return -1;
	if (!v[KK_BUFFERS])
		return yd_err(L, n, "missing required key 'buffers' in kernel '%s'", k->id);
	if (claim_load_buffers(L, k, v[KK_BUFFERS]) != 0)
		return -1;
	/* A Python entry returns its outputs (kaudit copies them into the out
	 * buffers); an in-place inout has no returned value to audit. */
	for (size_t b = 0; b < k->nbuffers; b++)
		if (k->buffers[b].role == CLAIM_INOUT && (k->baseline.python || k->candidate.python))
			return yd_err_at(L, k->buffers[b].pos, "buffer '%s': role inout is not "
					 "supported with a Python implementation (its outputs are "
					 "the values it returns: use in and out buffers)",
					 k->buffers[b].name);
	if (resolve_problem_file(L, k) != 0)
		return -1;
	if (v[KK_TOLERANCE] && load_tolerance(L, k, v[KK_TOLERANCE]) != 0)
		return -1;
	if (v[KK_DETERMINISTIC] &&
	    yd_bool(L, v[KK_DETERMINISTIC], "deterministic", &k->deterministic) != 0)
		return -1;
	if (v[KK_WORK] && load_work(L, k, v[KK_WORK]) != 0)
		return -1;
	if (v[KK_EXPECT] && load_expect(L, k, v[KK_EXPECT]) != 0)
		return -1;
	return 0;
}

int claim_parse_expr_node(struct claim_loader *L, const yaml_node_t *n, const char *what,
			  struct claim_expr **out)
{
	enum yscalar kind = yd_scalar_kind(n);
	if (n->type != YAML_SCALAR_NODE || (kind != YS_INT && kind != YS_STR)) {
		char buf[64];
		return yd_err(L, n, "%s: expected an integer expression, got %s", what,
			      yd_describe(n, buf, sizeof buf));
	}
	const char *text = (const char *)n->data.scalar.value;
	if (memchr(text, '\0', n->data.scalar.length))
		return yd_err(L, n, "%s: contains a NUL character", what);
	struct claim_pos pos = yd_pos(n);
	if (n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	    n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
		pos.col++; /* past the quote */
	struct claim_pos errpos;
	struct errbuf msg;
	if (claim_expr_parse(text, pos, out, &errpos, &msg) != 0)
		return yd_err_at(L, errpos, "%s: %s", what, msg.msg);
	return 0;
}

int claim_check_expr(struct claim_loader *L, const struct claim_kernel *k,
		     const struct claim_expr *x, int64_t min, const char *what)
{
	for (size_t i = 0; i < k->nparams; i++) {
		const struct claim_params *p = &k->params[i];
		L->eval_work += claim_expr_size(x);
		if (L->eval_work > CLAIM_MAX_EVAL_WORK)
			return yd_err_at(L, p->pos, "too many expression evaluations to validate "
						    "(limit %d: fewer params sets or buffers)",
					 CLAIM_MAX_EVAL_WORK);
		int64_t v;
		struct claim_pos errpos;
		struct errbuf msg;
		char set[256];
		int rc = claim_expr_eval_at(x, p, &v, &errpos, &msg);
		if (rc == -2)
			return yd_err_at(L, errpos, "%s: %s", what, msg.msg);
		if (rc != 0)
			return yd_err_at(L, errpos, "%s: %s with params %s", what, msg.msg,
					 claim_params_format(p, set, sizeof set));
		if (v < min) {
			char expected[32];
			if (min == 1)
				snprintf(expected, sizeof expected, "> 0");
			else
				snprintf(expected, sizeof expected, ">= %lld", (long long)min);
			return yd_err_at(L, claim_expr_pos(x),
					 "%s: '%s' is %lld with params %s (expected %s)", what,
					 claim_expr_text(x), (long long)v,
					 claim_params_format(p, set, sizeof set), expected);
		}
	}
	return 0;
}
