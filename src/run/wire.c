/*
 * wire.c - the plan a worker reads on stdin, the worker's argv, and which
 * records each kind of worker may send (wire.h).
 */
#include "run/wire.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/rng.h"

static const char *const mode_flags[RUN_NMODES] = {
	[RUN_MODE_PROBE] = "--probe",
	[RUN_MODE_ENVIRONMENT] = "--environment",
	[RUN_MODE_CASE] = "--case",
	[RUN_MODE_ENTRY_CHECK] = "--check-entry",
	[RUN_MODE_INPUTS] = "--inputs",
};

const char *run_mode_flag(enum run_mode m)
{
	return (unsigned)m < RUN_NMODES ? mode_flags[m] : NULL;
}

int run_mode_parse(const char *flag)
{
	for (int m = 0; flag && m < RUN_NMODES; m++)
		if (strcmp(flag, mode_flags[m]) == 0)
			return m;
	return -1;
}

void run_worker_argv(const char *prog, enum run_mode m, char *argv[4])
{
	argv[0] = (char *)prog;
	argv[1] = "__worker";
	argv[2] = (char *)run_mode_flag(m);
	argv[3] = NULL;
}

int run_worker_may_send(enum run_mode m, enum record_type t)
{
	static const enum record_type case_types[] = {
		REC_API, REC_KERNEL, REC_MEMCPY, REC_MEMSET, REC_EVENT, REC_SYNC,
		REC_ALLOC, REC_CHECK, REC_SAMPLE, REC_ERROR, REC_DROPPED,
	};
	switch (m) {
	case RUN_MODE_ENVIRONMENT:
		return t == REC_DEVICE || t == REC_DROPPED;
	case RUN_MODE_CASE:
		for (size_t i = 0; i < sizeof case_types / sizeof case_types[0]; i++)
			if (case_types[i] == t)
				return 1;
		return 0;
	default:
		return 0; /* probe and entry check answer in text */
	}
}

/* --- the plan as JSON --- */

/* Seeds are below 2^53 (src/util/rng.h): a JSON integer holds them. */
static json_t *u64_json(uint64_t v)
{
	return json_integer((json_int_t)v);
}

char *run_plan_encode(const struct run_plan *p, size_t *len)
{
	json_t *j = json_object();
	json_object_set_new(j, "mode", json_string(run_mode_flag(p->mode) + 2));
	json_object_set_new(j, "device", json_integer(p->device));
	if (p->mode == RUN_MODE_CASE || p->mode == RUN_MODE_INPUTS) {
		const struct audit_opts *o = &p->opts;
		if (p->inputs_path)
			json_object_set_new(j, "inputs_path", json_string(p->inputs_path));
		json_object_set_new(j, "manifest_path", json_string(p->manifest_path));
		json_object_set_new(j, "manifest_text",
				    json_stringn(p->manifest_text, p->manifest_len));
		json_object_set_new(j, "case", json_integer(p->case_index));
		json_object_set_new(j, "baseline_so", json_string(p->baseline_so));
		json_object_set_new(j, "candidate_so", json_string(p->candidate_so));
		json_t *oj = json_pack("{s:o, s:b, s:i, s:i, s:f, s:i, s:i, s:f, s:i, s:i, s:i, s:f}",
			"seed", u64_json(o->seed), "quick", o->quick, "trials", o->trials,
			"rounds", o->rounds, "noise_target", o->noise_target,
			"min_samples", o->min_samples, "max_samples", o->max_samples,
			"max_seconds", o->max_seconds, "input_sets", o->input_sets,
			"warmup", o->warmup, "controls", o->controls,
			"check_fraction", o->check_fraction);
		json_object_set_new(j, "opts", oj);
	} else if (p->mode == RUN_MODE_ENTRY_CHECK) {
		json_object_set_new(j, "so", json_string(p->so));
		json_object_set_new(j, "entry", json_string(p->entry));
	}
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	*len = s ? strlen(s) : 0;
	return s;
}

static int get_str(const json_t *j, const char *key, char **out, struct errbuf *e)
{
	const json_t *v = json_object_get(j, key);
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
		return errbuf_set(e, EXIT_BAD_INPUT, "plan: '%s' must be a string", key);
	*out = xstrdup(json_string_value(v));
	return 0;
}

static int get_int(const json_t *j, const char *key, int64_t lo, int64_t hi, int64_t *out,
		   struct errbuf *e)
{
	const json_t *v = json_object_get(j, key);
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return errbuf_set(e, EXIT_BAD_INPUT, "plan: '%s' must be an integer in "
				  "[%lld, %lld]", key, (long long)lo, (long long)hi);
	*out = json_integer_value(v);
	return 0;
}

static int get_real(const json_t *j, const char *key, double lo, double hi, double *out,
		    struct errbuf *e)
{
	const json_t *v = json_object_get(j, key);
	double d = json_is_number(v) ? json_number_value(v) : NAN;
	if (!(d >= lo && d <= hi))
		return errbuf_set(e, EXIT_BAD_INPUT, "plan: '%s' must be a number in [%g, %g]",
				  key, lo, hi);
	*out = d;
	return 0;
}

/* The budgets, each within what the protocol can do something sane with. */
static int decode_opts(const json_t *oj, struct audit_opts *o, struct errbuf *e)
{
	if (!json_is_object(oj))
		return errbuf_set(e, EXIT_BAD_INPUT, "plan: 'opts' must be an object");
	int64_t seed, trials, rounds, min_s, max_s, sets, warm, ctl;
	const json_t *q = json_object_get(oj, "quick");
	if (!json_is_boolean(q))
		return errbuf_set(e, EXIT_BAD_INPUT, "plan: 'quick' must be a boolean");
	/* The supervisor draws seeds below 2^53; a plan with another one was
	 * not made by it (and would not survive a JSON reader that uses doubles). */
	if (get_int(oj, "seed", 0, (int64_t)(RNG_SEED_LIMIT - 1), &seed, e) < 0)
		return -1;
	audit_opts_init(o, (uint64_t)seed, json_is_true(q));
	if (get_int(oj, "trials", 1, 1000, &trials, e) < 0 ||
	    get_int(oj, "rounds", 1, 100, &rounds, e) < 0 ||
	    get_int(oj, "min_samples", 1, 1000000, &min_s, e) < 0 ||
	    get_int(oj, "max_samples", 1, 1000000, &max_s, e) < 0 ||
	    get_int(oj, "input_sets", 1, 1024, &sets, e) < 0 ||
	    get_int(oj, "warmup", 0, 1000, &warm, e) < 0 ||
	    get_int(oj, "controls", 0, 1000, &ctl, e) < 0 ||
	    get_real(oj, "noise_target", 0, 1, &o->noise_target, e) < 0 ||
	    get_real(oj, "max_seconds", 0, 86400 * 7, &o->max_seconds, e) < 0 ||
	    get_real(oj, "check_fraction", 0, 1, &o->check_fraction, e) < 0)
		return -1;
	o->trials = (int)trials;
	o->rounds = (int)rounds;
	o->min_samples = (int)min_s;
	o->max_samples = (int)max_s;
	o->input_sets = (int)sets;
	o->warmup = (int)warm;
	o->controls = (int)ctl;
	/* The supervisor writes the case record; the worker may not. */
	o->emit_case = 0;
	return 0;
}

int run_plan_decode(const char *text, size_t len, struct run_plan *out, struct errbuf *e)
{
	memset(out, 0, sizeof *out);
	if (len > RUN_PLAN_MAX)
		return errbuf_set(e, EXIT_BAD_INPUT, "plan: longer than %zu bytes", RUN_PLAN_MAX);
	json_error_t je;
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(j)) {
		json_decref(j);
		return errbuf_set(e, EXIT_BAD_INPUT, "plan: not a JSON object: %s", je.text);
	}
	int rc = -1;
	int64_t dev, idx;
	const json_t *mode = json_object_get(j, "mode");
	char flag[32];
	snprintf(flag, sizeof flag, "--%s", json_is_string(mode) ? json_string_value(mode) : "");
	int m = run_mode_parse(flag);
	if (m < 0) {
		errbuf_set(e, EXIT_BAD_INPUT, "plan: unknown mode");
		goto out;
	}
	out->mode = (enum run_mode)m;
	if (get_int(j, "device", 0, 1024, &dev, e) < 0)
		goto out;
	out->device = (int)dev;
	out->case_index = REC_NONE;
	if (out->mode == RUN_MODE_CASE || out->mode == RUN_MODE_INPUTS) {
		if ((out->mode == RUN_MODE_INPUTS || json_object_get(j, "inputs_path")) &&
		    get_str(j, "inputs_path", &out->inputs_path, e) < 0)
			goto out;
		if (get_str(j, "manifest_path", &out->manifest_path, e) < 0 ||
		    get_int(j, "case", 0, INT32_MAX, &idx, e) < 0 ||
		    get_str(j, "baseline_so", &out->baseline_so, e) < 0 ||
		    get_str(j, "candidate_so", &out->candidate_so, e) < 0 ||
		    decode_opts(json_object_get(j, "opts"), &out->opts, e) < 0)
			goto out;
		const json_t *t = json_object_get(j, "manifest_text");
		if (!json_is_string(t)) {
			errbuf_set(e, EXIT_BAD_INPUT, "plan: 'manifest_text' must be a string");
			goto out;
		}
		out->manifest_len = json_string_length(t);
		out->manifest_text = xmalloc(out->manifest_len + 1);
		memcpy(out->manifest_text, json_string_value(t), out->manifest_len);
		out->manifest_text[out->manifest_len] = '\0';
		out->case_index = idx;
		out->opts.baseline_so = out->baseline_so;
		out->opts.candidate_so = out->candidate_so;
		out->opts.inputs_path = out->inputs_path;
	} else if (out->mode == RUN_MODE_ENTRY_CHECK) {
		if (get_str(j, "so", &out->so, e) < 0 || get_str(j, "entry", &out->entry, e) < 0)
			goto out;
	}
	rc = 0;
out:
	json_decref(j);
	if (rc < 0)
		run_plan_release(out);
	return rc;
}

void run_plan_release(struct run_plan *p)
{
	free(p->manifest_path);
	free(p->manifest_text);
	free(p->baseline_so);
	free(p->candidate_so);
	free(p->inputs_path);
	free(p->so);
	free(p->entry);
	memset(p, 0, sizeof *p);
}
