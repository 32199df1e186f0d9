/*
 * fuzz_export_stream.c - libFuzzer target for the streaming Perfetto
 * export (export_perfetto_stream): the path `kaudit export --perfetto`
 * takes, two passes over the file, one case's records at a time, with
 * the fallback to the whole trace when the passes cannot reproduce it.
 * The input is JSON Lines; each line that decodes becomes a record of a
 * trace written and signed as kaudit's writer would (ids renumbered, the
 * header's key replaced), so the reader's integrity checks let the
 * hostile mix of cases, calls, streams, timestamps and evidence through
 * to the exporter.  Beyond ASan/UBSan, the output must be one JSON
 * object whose every slice and instant lies on a process and thread the
 * export named, with process and thread ids apart.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "cli/export_perfetto.h"
#include "trace/trace.h"

static char key_path[64], in_path[64], out_path[64];
static struct trace_key *key;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct errbuf e = { "", 0 };
	int pid = (int)getpid();
	snprintf(key_path, sizeof key_path, "/dev/shm/fuzz_export_stream.%d.pem", pid);
	snprintf(in_path, sizeof in_path, "/dev/shm/fuzz_export_stream.%d.kat", pid);
	snprintf(out_path, sizeof out_path, "/dev/shm/fuzz_export_stream.%d.json.gz", pid);
	unlink(key_path);
	if (trace_key_generate(key_path, &e) < 0 || trace_key_load(key_path, &key, &e) < 0) {
		fprintf(stderr, "fuzz_export_stream: %s\n", e.msg);
		abort();
	}
	unlink(key_path);
	return 0;
}

/* The whole gzip file at PATH, NUL-terminated (NULL if unreadable). */
static char *slurp_gz(const char *path)
{
	gzFile g = gzopen(path, "rb");
	if (!g)
		return NULL;
	size_t n = 0, cap = 1 << 16;
	char *p = xmalloc(cap);
	int k;
	while ((k = gzread(g, p + n, (unsigned)(cap - n - 1))) > 0) {
		n += (size_t)k;
		if (cap - n < 2) {
			cap *= 2;
			p = xrealloc(p, cap);
		}
	}
	gzclose(g);
	p[n] = '\0';
	return p;
}

/* What a Perfetto user relies on: JSON, named tracks, ids apart. */
static void check_output(void)
{
	char *text = slurp_gz(out_path);
	if (!text)
		abort();
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je);
	free(text);
	json_t *ev = doc ? json_object_get(doc, "traceEvents") : NULL;
	if (!json_is_array(ev))
		abort();
	json_t *procs = json_object(), *threads = json_object();
	size_t i;
	json_t *x;
	char k[64];
	json_array_foreach(ev, i, x) {
		const char *ph = json_string_value(json_object_get(x, "ph"));
		const char *name = json_string_value(json_object_get(x, "name"));
		if (!ph || !name || strcmp(ph, "M") != 0)
			continue;
		json_int_t pid = json_integer_value(json_object_get(x, "pid"));
		json_int_t tid = json_integer_value(json_object_get(x, "tid"));
		if (strcmp(name, "process_name") == 0) {
			snprintf(k, sizeof k, "%lld", (long long)pid);
			json_object_set_new(procs, k, json_true());
		} else if (strcmp(name, "thread_name") == 0) {
			snprintf(k, sizeof k, "%lld", (long long)tid);
			if (json_object_get(threads, k)) /* one name per thread id */
				abort();
			json_object_set_new(threads, k, json_integer(pid));
		}
	}
	const char *id;
	json_object_foreach(threads, id, x)
		if (json_object_get(procs, id)) /* a tid that is also a pid */
			abort();
	json_array_foreach(ev, i, x) {
		const char *ph = json_string_value(json_object_get(x, "ph"));
		if (!ph || strcmp(ph, "M") == 0)
			continue;
		json_int_t pid = json_integer_value(json_object_get(x, "pid"));
		json_int_t tid = json_integer_value(json_object_get(x, "tid"));
		snprintf(k, sizeof k, "%lld", (long long)tid);
		json_t *owner = json_object_get(threads, k);
		if (!owner || json_integer_value(owner) != pid)
			abort();
	}
	json_decref(procs);
	json_decref(threads);
	json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errbuf e = { "", 0 };
	struct trace_writer *w;
	unlink(in_path);
	if (trace_writer_open(in_path, &w, &e) < 0)
		abort();
	struct record_list all = { 0 };
	const char *p = (const char *)data, *end = p + size;
	int header = 0;
	while (p < end && all.n < 2048) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct record r;
		p += len + (nl != NULL);
		if (record_decode_line(p - len - (nl != NULL), len, &r, &e) < 0)
			continue;
		if (r.type == REC_FOOTER || r.type == REC_SIGNATURE ||
		    (r.type == REC_HEADER) != (all.n == 0 && !header)) {
			record_clear(&r);
			continue;
		}
		if (r.type == REC_HEADER) {
			header = 1;
			free(r.u.header.pubkey);
			r.u.header.pubkey = xstrdup(trace_key_public_pem(key));
		}
		if (trace_writer_add(w, &r, &e) < 0) {
			record_clear(&r);
			break;
		}
		record_list_push(&all, &r);
	}
	if (!header) {
		trace_writer_abort(w);
		record_list_free(&all);
		return 0;
	}
	json_t *pred = trace_predicate(all.v, all.n);
	int rc = trace_writer_finish(w, key, pred, &e);
	json_decref(pred);
	record_list_free(&all);
	if (rc < 0)
		return 0;
	struct trace_contents c;
	if (export_perfetto_stream(in_path, out_path, &c, &e) == 0) {
		check_output();
		trace_contents_free(&c);
		unlink(out_path);
	}
	unlink(in_path);
	return 0;
}
