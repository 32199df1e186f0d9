/*
 * kat_resign.c - a forger's tool for the tests: writes the JSON Lines on
 * standard input (a trace's records, edited with sed or jq) as a new trace
 * signed by KEY, exactly as kaudit's writer would: ids renumbered in line
 * order, the header's signer key replaced by KEY's, a new footer digest,
 * and a fresh DSSE signature.  Footer and signature lines in the input are
 * dropped.
 *
 *   zcat t.kat | sed ... | kat_resign KEY.pem OUT.kat [PREDICATE.json]
 *
 * The signed predicate is PREDICATE.json as given, or else what
 * trace_predicate makes of the (edited) records, i.e. a predicate that
 * agrees with the stored verdicts: the forgery `kaudit check` must catch
 * by re-deriving the verdicts from the records (tests/sh/check_strict.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace.h"

static int die(const char *what, const char *msg)
{
	fprintf(stderr, "kat_resign: %s%s%s\n", what, msg ? ": " : "", msg ? msg : "");
	return 1;
}

/* A forger writes what it likes: a case record whose buffers the reader
 * refuses (garbled get_inputs fields) is decoded without them and given
 * them back as they were, so the test sees the reader refuse them. */
static int decode_case_as_given(const char *line, size_t n, struct record *r)
{
	struct errbuf e;
	json_t *j = json_loadb(line, n, 0, NULL);
	const json_t *t = j ? json_object_get(j, "type") : NULL;
	json_t *bufs = j ? json_object_get(j, "buffers") : NULL;
	if (!json_is_string(t) || strcmp(json_string_value(t), "case") != 0 || !bufs) {
		json_decref(j);
		return -1;
	}
	json_incref(bufs);
	json_object_set_new(j, "buffers", json_array());
	int rc = record_from_json(j, r, &e);
	json_decref(j);
	if (rc < 0) {
		json_decref(bufs);
		return -1;
	}
	json_decref(r->u.kase.buffers);
	r->u.kase.buffers = bufs;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: kat_resign KEY.pem OUT.kat [PREDICATE.json] < RECORDS.jsonl\n");
		return 2;
	}
	struct errbuf e = { "", 0 };
	struct trace_key *key;
	if (trace_key_load(argv[1], &key, &e) < 0)
		return die(argv[1], e.msg);
	json_t *pred = NULL;
	if (argc == 4) {
		json_error_t je;
		pred = json_load_file(argv[3], 0, &je);
		if (!pred)
			return die(argv[3], je.text);
	}
	struct trace_writer *w;
	if (trace_writer_open(argv[2], &w, &e) < 0)
		return die(argv[2], e.msg);
	struct record_list all = { 0 };
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		lineno++;
		if (line[n - 1] == '\n')
			n--;
		if (n == 0)
			continue;
		struct record r;
		if (record_decode_line(line, (size_t)n, &r, &e) < 0 &&
		    decode_case_as_given(line, (size_t)n, &r) < 0) {
			fprintf(stderr, "kat_resign: stdin:%zu: %s\n", lineno, e.msg);
			trace_writer_abort(w);
			return 1;
		}
		if (r.type == REC_FOOTER || r.type == REC_SIGNATURE) {
			record_clear(&r);
			continue;
		}
		if (r.type == REC_HEADER) {
			free(r.u.header.pubkey);
			r.u.header.pubkey = xstrdup(trace_key_public_pem(key));
		}
		if (trace_writer_add(w, &r, &e) < 0) {
			trace_writer_abort(w);
			return die(argv[2], e.msg);
		}
		record_list_push(&all, &r);
	}
	free(line);
	if (!pred)
		pred = trace_predicate(all.v, all.n);
	int rc = trace_writer_finish(w, key, pred, &e);
	json_decref(pred);
	record_list_free(&all);
	trace_key_free(key);
	return rc < 0 ? die(argv[2], e.msg) : 0;
}
