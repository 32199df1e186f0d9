/*
 * trace_summary_setup.c - the parts of trace_summary() that say how an
 * audit was set up, so a reader can judge it without the records: which
 * GPU plugin measured (and whether it was kaudit's own), the sources with
 * their sha256 and sizes, how each was compiled (nvcc, -arch, flags), the
 * device's clocks and ECC, and what the sandbox held.  Pure: no printing.
 */
#include "trace/trace_private.h"

#include <string.h>

int trace_stand_in(const struct rec_header *h)
{
	if (!h || h->synthetic == 1)
		return 0; /* made up, and already said so */
	const char *origin = json_string_value(json_object_get(h->plugin, "origin"));
	return !origin || strcmp(origin, "kaudit") != 0;
}

/* The size of a source: its own "bytes", else its text's (a later entry
 * with the same sha256 carries no text: the first one has it). */
static json_int_t source_bytes(const json_t *s, const json_t *by_sha)
{
	const json_t *b = json_object_get(s, "bytes");
	if (json_is_integer(b))
		return json_integer_value(b);
	const char *sha = json_string_value(json_object_get(s, "sha256"));
	const char *text = json_string_value(json_object_get(s, "text"));
	if (!text && sha)
		text = json_string_value(json_object_get(by_sha, sha));
	return text ? (json_int_t)strlen(text) : -1;
}

json_t *trace_summary_sources(const struct rec_header *h)
{
	json_t *out = json_array(), *by_sha = json_object();
	size_t i;
	const json_t *s;
	json_array_foreach(h ? h->sources : NULL, i, s) {
		const char *sha = json_string_value(json_object_get(s, "sha256"));
		const json_t *text = json_object_get(s, "text");
		if (sha && json_is_string(text) && !json_object_get(by_sha, sha))
			json_object_set(by_sha, sha, (json_t *)text);
	}
	json_array_foreach(h ? h->sources : NULL, i, s) {
		json_t *o = json_object();
		static const char *const keys[] = { "impl", "kernel", "path", "kind", "sha256",
						    "error" };
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
			const json_t *v = json_object_get(s, keys[k]);
			if (json_is_string(v))
				json_object_set(o, keys[k], (json_t *)v);
		}
		json_int_t n = source_bytes(s, by_sha);
		if (n >= 0)
			json_object_set_new(o, "bytes", json_integer(n));
		const char *sha = json_string_value(json_object_get(s, "sha256"));
		json_object_set_new(o, "embedded", json_boolean(sha && json_object_get(by_sha, sha)));
		json_array_append_new(out, o);
	}
	json_decref(by_sha);
	return out;
}

json_t *trace_summary_build(const struct record *r)
{
	const struct rec_build *b = &r->u.build;
	json_t *o = json_object();
	record_json_put_str(o, "kernel", b->kernel);
	record_json_put_str(o, "impl", record_impl_name(r->impl));
	record_json_put_str(o, "source", b->source);
	json_object_set_new(o, "ok", json_boolean(b->ok == 1));
	json_object_set_new(o, "cached", json_boolean(b->cached == 1));
	record_json_put_str(o, "nvcc", b->nvcc);
	record_json_put_str(o, "arch", b->arch);
	json_object_set_new(o, "flags", b->flags ? json_incref(b->flags) : json_array());
	record_json_put_str(o, "so_sha256", b->so_sha256);
	record_json_put_int(o, "record", r->id);
	return o;
}

json_t *trace_summary_device(const struct rec_device *d)
{
	json_t *dev = json_object();
	record_json_put_str(dev, "name", d->name);
	record_json_put_str(dev, "uuid", d->uuid);
	record_json_put_str(dev, "cc", d->cc);
	record_json_put_int(dev, "sms", d->sms);
	record_json_put_int(dev, "mem_bytes", d->mem_bytes);
	record_json_put_int(dev, "l2_bytes", d->l2_bytes);
	record_json_put_str(dev, "driver", d->driver);
	record_json_put_str(dev, "runtime", d->runtime);
	record_json_put_str(dev, "cupti", d->cupti);
	record_json_put_str(dev, "nvcc", d->nvcc);
	record_json_put_real(dev, "peak_bw", d->peak_bw);
	record_json_put_real(dev, "peak_flops", d->peak_flops);
	record_json_put_int(dev, "sm_clock_mhz", d->sm_clock_mhz);
	record_json_put_int(dev, "max_sm_clock_mhz", d->max_sm_clock_mhz);
	record_json_put_int(dev, "mem_clock_mhz", d->mem_clock_mhz);
	record_json_put_int(dev, "throttle", d->throttle);
	if (d->ecc >= 0)
		json_object_set_new(dev, "ecc", json_boolean(d->ecc));
	if (d->persistence >= 0)
		json_object_set_new(dev, "persistence", json_boolean(d->persistence));
	return dev;
}

void trace_summary_sandbox_add(json_t *sb, const struct record *r)
{
	const struct rec_sandbox *s = &r->u.sandbox;
	int full = s->no_new_privs == 1 && s->seccomp == 1 && s->landlock == 1 && !s->refused;
	json_t *n = json_object_get(sb, "processes");
	json_object_set_new(sb, "processes", json_integer(json_integer_value(n) + 1));
	if (!full) {
		json_t *d = json_object_get(sb, "degraded");
		json_object_set_new(sb, "degraded", json_integer(json_integer_value(d) + 1));
	}
	/* The weakest Landlock ABI any process got is what the audit had. */
	const json_t *abi = json_object_get(sb, "landlock_abi");
	if (s->landlock_abi != REC_NONE &&
	    (!json_is_integer(abi) || s->landlock_abi < json_integer_value(abi)))
		json_object_set_new(sb, "landlock_abi", json_integer(s->landlock_abi));
	json_t *refused = json_object_get(sb, "refused");
	size_t i;
	const json_t *x;
	json_array_foreach(s->refused, i, x) {
		/* Each distinct layer and reason once: 1000 workers refused the
		 * same way are one line. */
		int seen = 0;
		size_t j;
		const json_t *y;
		json_array_foreach(refused, j, y)
			seen |= json_equal((json_t *)x, (json_t *)y);
		if (!seen && json_array_size(refused) < 16)
			json_array_append(refused, (json_t *)x);
	}
}

json_t *trace_summary_sandbox_new(void)
{
	return json_pack("{s:i, s:i, s:n, s:[]}", "processes", 0, "degraded", 0,
			 "landlock_abi", "refused");
}
