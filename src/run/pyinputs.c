/*
 * pyinputs.c - the --inputs worker: a problem file's get_inputs() for every
 * input set of one case (pyworker.h; the protocol's side is
 * src/audit/get_inputs.c).
 *
 * This process is a fresh confined interpreter that imports the problem
 * file and nothing else of the claim: the candidate, which shares the case
 * worker's interpreter, never runs where its inputs are made, so it cannot
 * replace get_inputs, torch's generator or the seed.  The seeds and the
 * layout are kaudit's (audit.h); the bridge checks each tensor's dtype and
 * shape against the manifest before its bytes are taken.
 */
#include "run/pyworker.h"
#include "run/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "claim/claim.h"

/* What one case's inputs from get_inputs() may weigh on disk, all sets. */
#define RUN_PY_INPUTS_MAX ((uint64_t)32 << 30)

struct gen_buf {
	int item, dtype, ndim;
	int64_t *shape;
	size_t bytes;
	void *data;
};

static int generate(const struct run_plan *p, const struct run_py_hooks *h,
		    const struct claim_kernel *k, struct gen_buf *g, int n, int fd,
		    struct errbuf *e)
{
	int *items = xcalloc((size_t)n, sizeof *items);
	int *dtypes = xcalloc((size_t)n, sizeof *dtypes);
	int *ndims = xcalloc((size_t)n, sizeof *ndims);
	const int64_t **shapes = xcalloc((size_t)n, sizeof *shapes);
	void **dst = xcalloc((size_t)n, sizeof *dst);
	for (int i = 0; i < n; i++) {
		items[i] = g[i].item;
		dtypes[i] = g[i].dtype;
		ndims[i] = g[i].ndim;
		shapes[i] = g[i].shape;
		dst[i] = g[i].data;
	}
	int rc = 0;
	int sets = audit_input_sets(&p->opts);
	for (int slot = 0; slot < sets && rc == 0; slot++) {
		uint64_t id = audit_input_set_id(&p->opts, slot);
		char err[ERRBUF_LEN] = "";
		int hrc = h->inputs(k->inputs_path, audit_get_inputs_seed(p->opts.seed, id), n,
				    items, dtypes, ndims, (const int64_t *const *)shapes,
				    (void *const *)dst, err, sizeof err);
		if (hrc != 0) {
			rc = errbuf_set(e, hrc, "%s", err[0] ? err : "get_inputs() failed");
			break;
		}
		for (int i = 0; i < n && rc == 0; i++)
			if (write_all(fd, g[i].data, g[i].bytes) < 0)
				rc = errbuf_set(e, EXIT_ENVIRONMENT, "cannot write %s: %s",
						p->inputs_path, strerror(errno));
	}
	free(items);
	free(dtypes);
	free(ndims);
	free(shapes);
	free(dst);
	return rc;
}

int run_py_inputs(const struct run_plan *p, const struct run_py_hooks *h, struct errbuf *e)
{
	if (!h->inputs)
		return errbuf_set(e, EXIT_BAD_INPUT, "this bridge cannot run get_inputs()");
	struct claim *c = NULL;
	if (run_worker_plan_claim(p, &c, e) < 0)
		return -1;
	size_t ncases = 0;
	struct claim_case *cases = claim_cases(c, &ncases);
	const struct claim_kernel *k = cases[p->case_index].kernel;
	const struct claim_params *params = &k->params[cases[p->case_index].param_index];
	free(cases);
	int rc = 0, n = 0;
	struct gen_buf *g = xcalloc(k->nbuffers ? k->nbuffers : 1, sizeof *g);
	uint64_t set_bytes = 0, off = 0;
	if (!k->inputs_path) {
		rc = errbuf_set(e, EXIT_BAD_INPUT, "kernel '%s' has no buffer whose init is "
				"get_inputs", k->id);
		goto out;
	}
	if (audit_get_inputs_layout(k, params, 0, &off, &set_bytes, e) < 0) {
		rc = -1;
		goto out;
	}
	if (set_bytes > RUN_PY_INPUTS_MAX / (uint64_t)audit_input_sets(&p->opts)) {
		rc = errbuf_set(e, EXIT_BAD_INPUT, "kernel '%s': %d input sets of %llu bytes from "
				"get_inputs() exceed %llu GiB", k->id, audit_input_sets(&p->opts),
				(unsigned long long)set_bytes,
				(unsigned long long)(RUN_PY_INPUTS_MAX >> 30));
		goto out;
	}
	for (size_t b = 0; b < k->nbuffers; b++) {
		const struct claim_buffer *cb = &k->buffers[b];
		if (cb->init.dist != CLAIM_INIT_GET_INPUTS)
			continue;
		struct gen_buf *gb = &g[n++];
		int64_t numel = 0;
		gb->item = cb->init.item;
		gb->dtype = cb->dtype;
		gb->ndim = (int)cb->ndim;
		gb->shape = xcalloc(cb->ndim ? cb->ndim : 1, sizeof *gb->shape);
		for (size_t d = 0; d < cb->ndim; d++)
			if (claim_expr_eval(cb->shape[d], params, &gb->shape[d], e) < 0) {
				rc = -1;
				goto out;
			}
		if (claim_buffer_numel(cb, params, &numel, e) < 0) {
			rc = -1;
			goto out;
		}
		gb->bytes = (size_t)numel * claim_dtype_size(cb->dtype);
		gb->data = malloc(gb->bytes ? gb->bytes : 1);
		if (!gb->data) {
			rc = errbuf_set(e, EXIT_ENVIRONMENT, "buffer '%s': no memory for %zu bytes",
					cb->name, gb->bytes);
			goto out;
		}
	}
	int fd = open(p->inputs_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = errbuf_set(e, EXIT_ENVIRONMENT, "cannot create %s: %s", p->inputs_path,
				strerror(errno));
		goto out;
	}
	rc = generate(p, h, k, g, n, fd, e);
	if (close(fd) != 0 && rc == 0)
		rc = errbuf_set(e, EXIT_ENVIRONMENT, "cannot write %s: %s", p->inputs_path,
				strerror(errno));
out:
	for (int i = 0; i < n; i++) {
		free(g[i].shape);
		free(g[i].data);
	}
	free(g);
	claim_free(c);
	return rc;
}
