/*
 * fuzz_wire.c - libFuzzer target for both ends of the worker wire: the
 * plan decoder a worker runs on its stdin (run_plan_decode) and the
 * supervisor's plan check over what a hostile worker sends (record lines
 * through record_decode_line and run_check_record, then run_check_finish).
 * The first byte picks which; for the check, the second and third set the
 * plan's budgets.  Properties: nothing crashes or leaks, and a plan that
 * decodes encodes and decodes again to the same budgets.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "run/run_check.h"

static void plan(const uint8_t *p, size_t n)
{
	struct run_plan a, b;
	struct errbuf e;
	if (run_plan_decode((const char *)p, n, &a, &e) < 0)
		return;
	size_t len;
	char *s = run_plan_encode(&a, &len);
	if (!s || run_plan_decode(s, len, &b, &e) < 0)
		abort(); /* what the encoder writes, the decoder must take */
	if (a.mode != b.mode || a.case_index != b.case_index || a.opts.seed != b.opts.seed ||
	    a.opts.trials != b.opts.trials || a.opts.rounds != b.opts.rounds ||
	    a.manifest_len != b.manifest_len || !a.inputs_path != !b.inputs_path ||
	    (a.inputs_path && strcmp(a.inputs_path, b.inputs_path) != 0))
		abort();
	free(s);
	run_plan_release(&a);
	run_plan_release(&b);
}

static void stream(const uint8_t *p, size_t n)
{
	if (n < 2)
		return;
	struct audit_opts o;
	audit_opts_init(&o, 7, 1);
	o.trials = 1 + p[0] % 4;
	o.rounds = 1 + (p[0] >> 4) % 3;
	o.min_samples = 1 + p[1] % 3;
	o.max_samples = o.min_samples + (p[1] >> 4) % 3;
	o.controls = p[1] % 2;
	struct run_check c;
	run_check_init(&c, (p[1] & 0x80) ? RUN_MODE_ENVIRONMENT : RUN_MODE_CASE, 2, &o);
	const char *s = (const char *)p + 2, *end = (const char *)p + n;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
		struct record r;
		struct errbuf e;
		if (record_decode_line(s, len, &r, &e) == 0) {
			int rc = run_check_record(&c, &r, &e);
			record_clear(&r);
			if (rc < 0)
				break; /* the supervisor stops the worker here */
		}
		s += len + 1;
	}
	struct errbuf e;
	(void)run_check_finish(&c, &e);
	run_check_release(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		plan(data + 1, size - 1);
	else
		stream(data + 1, size - 1);
	return 0;
}
