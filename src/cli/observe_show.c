/*
 * observe_show.c - an observation as the result schema's "observation"
 * object and as text (observe_show.h).
 */
#include "cli/observe_show.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect.h"

/* Windows listed in full; the rest are counted. */
#define SHOW_WINDOWS 20

void observe_keep_record(struct observe_keep *k, const struct record *r)
{
	if (r->type == REC_HEADER) {
		k->active = r->u.header.observe != NULL;
		json_decref(k->meta);
		k->meta = r->u.header.observe ? json_deep_copy(r->u.header.observe) : NULL;
		return;
	}
	if (!k->active || r->case_index != REC_NONE)
		return;
	switch (r->type) {
	case REC_API: case REC_KERNEL: case REC_MEMCPY: case REC_MEMSET: case REC_EVENT:
	case REC_ELAPSED: case REC_PROCESS: case REC_FINDING: case REC_VERDICT: case REC_ERROR:
		break;
	default:
		return;
	}
	struct record c;
	record_copy(&c, r);
	record_list_push(&k->l, &c);
}

void observe_keep_free(struct observe_keep *k)
{
	record_list_free(&k->l);
	json_decref(k->meta);
	k->meta = NULL;
	k->active = 0;
}

json_t *observe_keep_summary(const struct observe_keep *k)
{
	if (!k->active)
		return NULL;
	const struct record **p = xmalloc((k->l.n ? k->l.n : 1) * sizeof *p);
	size_t n = 0;
	json_t *procs = json_array(), *findings = json_array(), *errors = json_array();
	const char *verdict = NULL, *reason = NULL;
	for (size_t i = 0; i < k->l.n; i++) {
		const struct record *r = &k->l.v[i];
		if (r->type == REC_FINDING) {
			json_array_append_new(findings, json_pack("{s:s?, s:s?, s:s?, s:O?}",
				"code", r->u.finding.code, "severity", r->u.finding.severity,
				"message", r->u.finding.message, "evidence", r->u.finding.evidence));
			continue;
		}
		if (r->type == REC_VERDICT) {
			verdict = r->u.verdict.verdict;
			reason = r->u.verdict.reason;
			continue;
		}
		if (r->type == REC_PROCESS) {
			json_t *o = json_object();
			record_json_put_int(o, "pid", r->u.process.pid);
			record_json_put_int(o, "ppid", r->u.process.ppid);
			record_json_put_str(o, "exe", r->u.process.exe);
			json_object_set_new(o, "subscribed", json_boolean(r->u.process.subscribed == 1));
			record_json_put_str(o, "message", r->u.process.message);
			json_array_append_new(procs, o);
		}
		if (r->type == REC_ERROR)
			json_array_append_new(errors, json_pack("{s:s?, s:s?}", "where",
				r->u.error.where, "message", r->u.error.message));
		p[n++] = r;
	}
	struct detect_window *w = NULL;
	struct detect_observe_totals t;
	size_t nw = detect_observe_windows(p, n, &w, &t);
	json_t *wins = json_array();
	for (size_t i = 0; i < nw && i < SHOW_WINDOWS; i++)
		json_array_append_new(wins, detect_window_json(&w[i]));
	free(w);
	free(p);
	json_t *o = json_object();
	json_object_set_new(o, "command", k->meta ? json_incref(json_object_get(k->meta, "argv"))
			    : json_array());
	if (k->meta && json_object_get(k->meta, "cwd"))
		json_object_set(o, "cwd", json_object_get(k->meta, "cwd"));
	json_object_set_new(o, "processes", procs);
	json_object_set_new(o, "reads", json_integer((json_int_t)t.reads));
	json_object_set_new(o, "failed_reads", json_integer((json_int_t)t.failed_reads));
	json_object_set_new(o, "unpaired", json_integer((json_int_t)t.unpaired));
	json_object_set_new(o, "unjudged", json_integer((json_int_t)t.unjudged));
	json_object_set_new(o, "judged", json_integer((json_int_t)t.judged));
	json_object_set_new(o, "windows", wins);
	json_object_set_new(o, "windows_total", json_integer((json_int_t)nw));
	json_object_set_new(o, "findings", findings);
	json_object_set_new(o, "errors", errors);
	json_object_set_new(o, "verdict", verdict ? json_string(verdict) : json_null());
	json_object_set_new(o, "reason", reason ? json_string(reason) : json_null());
	return o;
}

static const char *s_(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "?";
}

static double d_(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return v ? json_number_value(v) : NAN;
}

void observe_print(const json_t *obs)
{
	size_t i;
	const json_t *v;
	printf("command  ");
	json_array_foreach(json_object_get(obs, "command"), i, v)
		printf(" %s", json_string_value(v) ? json_string_value(v) : "?");
	printf("\n");
	json_array_foreach(json_object_get(obs, "processes"), i, v) {
		printf("process   pid %lld (parent %lld) %s%s%s\n",
		       (long long)json_integer_value(json_object_get(v, "pid")),
		       (long long)json_integer_value(json_object_get(v, "ppid")), s_(v, "exe"),
		       json_is_true(json_object_get(v, "subscribed")) ? "" : ": NOT OBSERVED: ",
		       json_is_true(json_object_get(v, "subscribed")) ? "" : s_(v, "message"));
	}
	printf("windows   %lld elapsed read%s: %lld judged, %lld without device timestamps, "
	       "%lld failed (not ready), %lld unpaired\n",
	       (long long)json_integer_value(json_object_get(obs, "reads")),
	       json_integer_value(json_object_get(obs, "reads")) == 1 ? "" : "s",
	       (long long)json_integer_value(json_object_get(obs, "judged")),
	       (long long)json_integer_value(json_object_get(obs, "unjudged")),
	       (long long)json_integer_value(json_object_get(obs, "failed_reads")),
	       (long long)json_integer_value(json_object_get(obs, "unpaired")));
	json_array_foreach(json_object_get(obs, "windows"), i, v) {
		if (!json_is_true(json_object_get(v, "judged"))) {
			printf("  pid %lld elapsed record %lld: %.4g ms reported, not judged\n",
			       (long long)json_integer_value(json_object_get(v, "pid")),
			       (long long)json_integer_value(json_object_get(v, "elapsed")),
			       d_(v, "reported_ns") / 1e6);
			continue;
		}
		printf("  pid %lld elapsed record %lld stream %lld: %.4g ms reported, %lld work "
		       "item%s busy %.4g ms (ratio %.3g)%s%s%s\n",
		       (long long)json_integer_value(json_object_get(v, "pid")),
		       (long long)json_integer_value(json_object_get(v, "elapsed")),
		       (long long)json_integer_value(json_object_get(v, "stream")),
		       d_(v, "reported_ns") / 1e6,
		       (long long)json_integer_value(json_object_get(v, "work")),
		       json_integer_value(json_object_get(v, "work")) == 1 ? "" : "s",
		       d_(v, "busy_ns") / 1e6, d_(v, "ratio"),
		       json_integer_value(json_object_get(v, "escaped")) ? ", ESCAPED" : "",
		       json_integer_value(json_object_get(v, "foreign")) ? ", FOREIGN STREAM" : "",
		       json_integer_value(json_object_get(v, "deferred")) ? ", OTHER THREAD" : "");
	}
	long long total = json_integer_value(json_object_get(obs, "windows_total"));
	if (total > (long long)json_array_size(json_object_get(obs, "windows")))
		printf("  ... and %lld more windows\n",
		       total - (long long)json_array_size(json_object_get(obs, "windows")));
	json_array_foreach(json_object_get(obs, "errors"), i, v)
		printf("error     %s: %s\n", s_(v, "where"), s_(v, "message"));
	json_array_foreach(json_object_get(obs, "findings"), i, v)
		printf("finding   %s (%s): %s\n", s_(v, "code"), s_(v, "severity"), s_(v, "message"));
	const char *reason = json_string_value(json_object_get(obs, "reason"));
	if (reason)
		printf("reason    %s\n", reason);
}
