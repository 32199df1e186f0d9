/*
 * load.c - claim_load(): the manifest's top level (kaudit, claim, defaults,
 * kernels).  Kernel entries are load_kernel.c's, buffers load_buffer.c's.
 */
#include "claim/claim_private.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char *const top_keys[] = { "kaudit", "claim", "defaults", "kernels", NULL };
enum { TK_KAUDIT, TK_CLAIM, TK_DEFAULTS, TK_KERNELS, TK_COUNT };

static const char *const claim_keys[] = { "title", "source", "hardware", NULL };
enum { CK_TITLE, CK_SOURCE, CK_HARDWARE, CK_COUNT };

static int missing(struct claim_loader *L, const yaml_node_t *map, const char *key,
		   const char *where)
{
	return yd_err(L, map, "missing required key '%s' in %s", key, where);
}

static int load_version(struct claim_loader *L, const yaml_node_t *root, const yaml_node_t *v)
{
	if (!v)
		return yd_err(L, root, "missing required key 'kaudit' (expected 'kaudit: 1' "
				       "at the top level)");
	int64_t version;
	if (yd_int(L, v, "kaudit", &version) != 0)
		return -1;
	if (version != 1)
		return yd_err(L, v, "unsupported schema version %lld (expected 1)",
			      (long long)version);
	return 0;
}

static int load_claim_info(struct claim_loader *L, struct claim *c, const yaml_node_t *root,
			   const yaml_node_t *n)
{
	if (!n)
		return missing(L, root, "claim", "the top level");
	yaml_node_t *v[CK_COUNT];
	if (yd_fields(L, n, "claim", claim_keys, v, NULL) != 0)
		return -1;
	if (!v[CK_TITLE])
		return missing(L, n, "title", "claim");
	if (yd_string(L, v[CK_TITLE], "title", &c->title) != 0)
		return -1;
	if (v[CK_SOURCE] && yd_string(L, v[CK_SOURCE], "source", &c->source) != 0)
		return -1;
	if (v[CK_HARDWARE] && yd_string(L, v[CK_HARDWARE], "hardware", &c->hardware) != 0)
		return -1;
	return 0;
}

/* defaults: any kernel key but the per-kernel ones; values are checked
 * where a kernel uses them, so errors point into defaults. */
static int load_defaults(struct claim_loader *L, const yaml_node_t *n, yaml_node_t **vals)
{
	yaml_node_t *keys[KK_COUNT];
	if (yd_fields(L, n, "defaults", claim_kernel_keys, vals, keys) != 0)
		return -1;
	for (int i = 0; i < CLAIM_KEY_FIRST_DEFAULTABLE; i++)
		if (keys[i])
			return yd_err(L, keys[i], "key '%s' is not allowed in defaults "
						  "(id, baseline and candidate are per kernel)",
				      claim_kernel_keys[i]);
	return 0;
}

static int load_kernels(struct claim_loader *L, struct claim *c, const yaml_node_t *root,
			const yaml_node_t *n, yaml_node_t *const *defaults)
{
	if (!n)
		return missing(L, root, "kernels", "the top level");
	if (yd_expect_seq(L, n, "kernels") != 0)
		return -1;
	size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (count == 0)
		return yd_err(L, n, "kernels: empty list (expected at least one kernel)");
	c->kernels = xcalloc(count, sizeof *c->kernels);
	c->nkernels = count;
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *k = yd_node(L, n->data.sequence.items.start[i]);
		if (claim_load_kernel(L, c, i, k, defaults) != 0)
			return -1;
	}
	return 0;
}

static int load_root(struct claim_loader *L, struct claim *c)
{
	yaml_node_t *root = yaml_document_get_root_node(&L->doc);
	if (root->type != YAML_MAPPING_NODE) {
		char buf[64];
		return yd_err(L, root, "expected a mapping at the top level, got %s",
			      yd_describe(root, buf, sizeof buf));
	}
	yaml_node_t *v[TK_COUNT];
	if (yd_fields(L, root, "the top level", top_keys, v, NULL) != 0)
		return -1;
	if (load_version(L, root, v[TK_KAUDIT]) != 0 ||
	    load_claim_info(L, c, root, v[TK_CLAIM]) != 0)
		return -1;
	yaml_node_t *defaults[KK_COUNT] = { 0 };
	if (v[TK_DEFAULTS] && load_defaults(L, v[TK_DEFAULTS], defaults) != 0)
		return -1;
	return load_kernels(L, c, root, v[TK_KERNELS], defaults);
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

int claim_load_buffer(const char *path, const char *text, size_t len, struct claim **out,
		      struct errbuf *e)
{
	if (len > CLAIM_MAX_BYTES)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s: larger than the limit of %u bytes",
				  path, CLAIM_MAX_BYTES);
	struct claim *c = xcalloc(1, sizeof *c);
	c->path = xstrdup(path);
	c->dir = dir_of(path);
	char root[PATH_MAX];
	if (realpath(c->dir, root))
		c->root = xstrdup(root);
	c->text = xmalloc(len + 1);
	memcpy(c->text, text, len);
	c->text[len] = '\0';
	c->text_len = len;
	sha256_hex(c->text, len, c->sha256);

	struct claim_loader L = { .path = path, .text = c->text, .len = len, .e = e };
	int rc = yd_load(&L);
	if (rc == 0)
		rc = load_root(&L, c);
	yd_release(&L);
	if (rc != 0) {
		claim_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

int claim_load(const char *path, struct claim **out, struct errbuf *e)
{
	char *text;
	size_t len;
	if (read_file(path, CLAIM_MAX_BYTES, &text, &len, e) != 0)
		return -1;
	int rc = claim_load_buffer(path, text, len, out, e);
	free(text);
	return rc;
}
