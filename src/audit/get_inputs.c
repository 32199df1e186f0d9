/*
 * get_inputs.c - inputs a problem file's get_inputs() made (kaudit-claim(5),
 * PYTHON IMPLEMENTATIONS).
 *
 * A KernelBench problem may need its own distributions (indices, masks,
 * positive values), so a buffer's init can be get_inputs.  The worker never
 * calls it: the code under audit shares that interpreter and could replace
 * get_inputs, torch.randn or the seed.  A separate confined interpreter
 * that imports the problem file only runs get_inputs() once per input set
 * under audit_get_inputs_seed() before the worker starts, and writes every
 * set's bytes into one file (src/run/pyinputs.c); the supervisor checks its
 * size, puts the digest of each buffer's bytes in the case record, and lets
 * the worker read it, never write it.  Here the protocol takes a set's
 * bytes from that file where it would have generated them.
 */
#include "audit/audit_private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/rng.h"

#define SALT_GET_INPUTS 0x676574696e707574ULL

int audit_input_sets(const struct audit_opts *o)
{
	int trials = o->trials > 0 ? o->trials : 0;
	return trials + (o->input_sets > 0 ? o->input_sets : 1);
}

uint64_t audit_input_set_id(const struct audit_opts *o, int slot)
{
	int trials = o->trials > 0 ? o->trials : 0;
	return slot < trials ? (uint64_t)slot : AUDIT_TIMING_SET_BASE + (uint64_t)(slot - trials);
}

int audit_input_set_slot(const struct audit_opts *o, uint64_t id)
{
	int trials = o->trials > 0 ? o->trials : 0;
	int n = audit_input_sets(o);
	if (id < (uint64_t)trials)
		return (int)id;
	if (id >= AUDIT_TIMING_SET_BASE && id - AUDIT_TIMING_SET_BASE < (uint64_t)(n - trials))
		return trials + (int)(id - AUDIT_TIMING_SET_BASE);
	return -1;
}

uint64_t audit_get_inputs_seed(uint64_t case_seed, uint64_t id)
{
	return rng_derive_seed(case_seed ^ SALT_GET_INPUTS, id, 0);
}

int audit_get_inputs_layout(const struct claim_kernel *k, const struct claim_params *p,
			    size_t b, uint64_t *offset, uint64_t *set_bytes, struct errbuf *e)
{
	uint64_t total = 0;
	*offset = 0;
	for (size_t i = 0; i < k->nbuffers; i++) {
		const struct claim_buffer *cb = &k->buffers[i];
		if (cb->init.dist != CLAIM_INIT_GET_INPUTS)
			continue;
		int64_t numel = 0;
		if (claim_buffer_numel(cb, p, &numel, e) < 0)
			return -1;
		uint64_t bytes = (uint64_t)numel * claim_dtype_size(cb->dtype);
		if (numel <= 0 || bytes / claim_dtype_size(cb->dtype) != (uint64_t)numel ||
		    total + bytes < total)
			return errbuf_set(e, EXIT_BAD_INPUT, "buffer '%s': size overflows", cb->name);
		if (i == b)
			*offset = total;
		total += bytes;
	}
	*set_bytes = total;
	return 0;
}

int plan_load_get_inputs(struct plan *p, size_t i, uint64_t id, struct errbuf *e)
{
	const struct plan_buf *pb = &p->pb[i];
	if (!p->o->inputs_path)
		return errbuf_set(e, EXIT_NOT_REPRODUCED, "buffer '%s': its init is get_inputs, but "
				  "the plan holds no inputs from get_inputs()", pb->cb->name);
	if (!p->b->upload)
		return errbuf_set(e, EXIT_ENVIRONMENT, "buffer '%s': this backend cannot load inputs "
				  "from get_inputs() (it has no upload)", pb->cb->name);
	int slot = audit_input_set_slot(p->o, id);
	uint64_t off = 0, set = 0;
	if (slot < 0)
		return errbuf_set(e, EXIT_NOT_REPRODUCED, "input set %llu is not in the plan",
				  (unsigned long long)id);
	if (audit_get_inputs_layout(p->k, p->params, i, &off, &set, e) < 0)
		return -1;
	if (p->inputs_fd < 0) {
		p->inputs_fd = open(p->o->inputs_path,
				    O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		struct stat st;
		if (p->inputs_fd >= 0 && (fstat(p->inputs_fd, &st) != 0 || !S_ISREG(st.st_mode))) {
			close(p->inputs_fd);
			p->inputs_fd = -1;
			errno = EINVAL;
		}
		if (p->inputs_fd < 0)
			return errbuf_set(e, EXIT_NOT_REPRODUCED, "cannot open the inputs from "
					  "get_inputs() %s: %s", p->o->inputs_path, strerror(errno));
	}
	void *host = malloc(pb->bytes ? pb->bytes : 1);
	if (!host)
		return errbuf_set(e, EXIT_NOT_REPRODUCED, "buffer '%s': no host memory for %zu "
				  "bytes of get_inputs() input", pb->cb->name, pb->bytes);
	int rc = 0;
	if (pread_all(p->inputs_fd, host, pb->bytes, (uint64_t)slot * set + off) < 0)
		rc = errbuf_set(e, EXIT_NOT_REPRODUCED, "buffer '%s': the inputs from get_inputs() "
				"end before input set %llu", pb->cb->name, (unsigned long long)id);
	else if (p->b->upload(p->b->self, p->pristine[i], host, pb->bytes, e) < 0)
		rc = -1;
	free(host);
	return rc;
}
