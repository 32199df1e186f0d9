/*
 * cmd_import.c - kaudit import kernelbench PROBLEM.py CANDIDATE.py [-o CLAIM.yaml]:
 * a manifest for a KernelBench problem and solution, for a reviewer to read
 * and edit (kaudit-claim(5), PYTHON IMPLEMENTATIONS).
 *
 * The buffers cannot be read off the files: the problem file is run once,
 * in a confined Python worker (get_init_inputs, Model, get_inputs, one
 * forward under seed 0), and what it reports is turned into YAML here,
 * every name and number checked, so a hostile problem file can make the
 * manifest wrong (lint and the audit judge it) but not make it say
 * something it did not ask for.
 */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/cmds.h"
#include "claim/claim.h"
#include "supervisor/audit_run.h"
#include "util/outfile.h"

#define MAX_DIMS 8
#define MAX_TENSORS 64

enum { OPT_OUT = 1, OPT_PYTHON };
static const struct cli_opt opts[] = {
	{ "output", 'o', CLI_VALUE, OPT_OUT },
	{ "python", 0, CLI_VALUE, OPT_PYTHON },
	{ NULL, 0, 0, 0 },
};
static const struct cli_command import_cmd = {
	"import", "kaudit import kernelbench PROBLEM.py CANDIDATE.py [-o CLAIM.yaml] [--python PY]",
	"Writes a manifest (stdout, or CLAIM.yaml) auditing a KernelBench solution\n"
	"(ModelNew in CANDIDATE.py) against its problem (Model in PROBLEM.py).\n"
	"The problem file is run once, confined, to learn the shapes and dtypes of\n"
	"forward's inputs and outputs.  Both files must lie in the manifest's\n"
	"directory tree.  Edit claimed_speedup (written as 1.0) before verifying.\n\n"
	"      --python PY  the interpreter (default $KAUDIT_PYTHON, else python3\n"
	"                   with torch)\n",
	opts, "kernelbench PROBLEM.py CANDIDATE.py", 3, 3,
};

/* A YAML-safe buffer name from forward's argument NAME (or FALLBACK). */
static void buffer_name(const char *name, const char *fallback, size_t i, char *out, size_t cap)
{
	size_t n = 0;
	for (const char *p = name ? name : ""; *p && n + 1 < cap && n < 40; p++)
		if (isalnum((unsigned char)*p) || *p == '_')
			out[n++] = *p;
	out[n] = '\0';
	if (n == 0 || isdigit((unsigned char)out[0]))
		snprintf(out, cap, "%s%zu", fallback, i);
}

static int is_param_name(const char *s)
{
	if (!*s || !(isalpha((unsigned char)*s) || *s == '_') || strlen(s) > 40)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

/* The parameters a shape's dims name: module constants equal to a dim. */
struct params {
	const char *names[MAX_DIMS * MAX_TENSORS];
	long long values[MAX_DIMS * MAX_TENSORS];
	size_t n;
};

static int pick_taken(const char *k, const char **used, size_t nused)
{
	for (size_t u = 0; u < nused; u++)
		if (strcmp(used[u], k) == 0)
			return 1;
	return 0;
}

/* The name for extent V: the first module constant (in file order) equal
 * to it that this shape does not use yet (USED, NUSED: [M, K] when M = K),
 * else the first; added to P.  NULL: write the number. */
static const char *dim_name(json_t *consts, long long v, const char **used, size_t nused,
			    struct params *p)
{
	const char *k, *pick = NULL;
	json_t *val;
	json_object_foreach(consts, k, val) {
		if (!json_is_integer(val) || json_integer_value(val) != v || !is_param_name(k))
			continue;
		if (!pick || (pick_taken(pick, used, nused) && !pick_taken(k, used, nused)))
			pick = k;
	}
	if (!pick)
		return NULL;
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->names[i], pick) == 0)
			return pick;
	if (p->n < sizeof p->names / sizeof p->names[0]) {
		p->names[p->n] = pick;
		p->values[p->n++] = v;
	}
	return pick;
}

static const char *const dtypes[] = { "f16", "bf16", "f32", "f64", "i8", "u8", "i16",
				      "i32", "i64", NULL };

static const char *checked_dtype(json_t *t)
{
	const char *d = json_string_value(json_object_get(t, "dtype"));
	for (size_t i = 0; d && dtypes[i]; i++)
		if (strcmp(d, dtypes[i]) == 0)
			return dtypes[i];
	return NULL;
}

/* Appends one buffer line for tensor T; -1 with E when T is malformed. */
static int put_buffer(FILE *f, json_t *t, const char *name, const char *role, json_t *consts,
		      struct params *p, struct errbuf *e)
{
	const char *dt = checked_dtype(t);
	json_t *shape = json_object_get(t, "shape");
	if (!dt || !json_is_array(shape) || json_array_size(shape) > MAX_DIMS)
		return errbuf_set(e, EXIT_BAD_INPUT, "the problem's %s %s has no dtype or shape a "
				  "manifest can hold", role, name);
	fprintf(f, "      - {name: %s, role: %s, dtype: %s, shape: [", name, role, dt);
	size_t i;
	json_t *d;
	const char *used[MAX_DIMS];
	size_t nused = 0;
	if (json_array_size(shape) == 0)
		fprintf(f, "1"); /* a 0-d tensor: one element */
	json_array_foreach(shape, i, d) {
		long long v = json_is_integer(d) ? (long long)json_integer_value(d) : 0;
		if (v <= 0)
			return errbuf_set(e, EXIT_BAD_INPUT, "the problem's %s %s has an empty "
					  "dimension (kaudit buffers hold at least one element)",
					  role, name);
		const char *pn = dim_name(consts, v, used, nused, p);
		if (pn)
			used[nused++] = pn;
		if (pn)
			fprintf(f, "%s%s", i ? ", " : "", pn);
		else
			fprintf(f, "%s%lld", i ? ", " : "", v);
	}
	fprintf(f, "]");
	if (strcmp(role, "in") == 0) {
		double lo = json_real_value(json_object_get(t, "min"));
		double hi = json_real_value(json_object_get(t, "max"));
		/* Integers are indices, counts or masks, and non-negative values
		 * past 1 are what a log or a sqrt needs: only the problem knows
		 * their range, so its own get_inputs() makes them. */
		if (dt[0] == 'i' || dt[0] == 'u' || (lo >= 0 && hi > 1))
			fprintf(f, ", init: {dist: get_inputs}");
		else if (lo >= 0 && hi <= 1)
			fprintf(f, ", init: {dist: uniform, low: 0, high: 1}");
		else
			fprintf(f, ", init: {dist: normal, mean: 0, std: 1}");
	}
	fprintf(f, "}\n");
	return 0;
}

/* The path of REAL relative to DIR (both real), NULL when outside. */
static const char *inside(const char *dir, const char *real)
{
	const char *rel = claim_tree_rel(dir, real);
	return rel && *rel ? rel : NULL;
}

static void yaml_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static int write_manifest(FILE *f, json_t *doc, const char *prob_rel, const char *cand_rel,
			  struct errbuf *e)
{
	json_t *ins = json_object_get(doc, "inputs"), *outs = json_object_get(doc, "outputs");
	json_t *args = json_object_get(doc, "args"), *consts = json_object_get(doc, "constants");
	if (!json_is_array(ins) || !json_is_array(outs) || !json_is_object(consts) ||
	    json_array_size(outs) == 0 || json_array_size(ins) + json_array_size(outs) > MAX_TENSORS)
		return errbuf_set(e, EXIT_BAD_INPUT, "the problem's forward gave no outputs, or too "
				  "many tensors, for a manifest");
	char id[64];
	const char *base = strrchr(prob_rel, '/');
	base = base ? base + 1 : prob_rel;
	buffer_name(base, "problem", 0, id, sizeof id);
	size_t n = strlen(id);
	if (n > 2 && strcmp(id + n - 2, "py") == 0)
		id[n - 2] = '\0';
	struct params p = { .n = 0 };
	/* Shapes first, into memory: params are only known once every dim has
	 * been named. */
	char *body = NULL;
	size_t body_len = 0;
	FILE *b = open_memstream(&body, &body_len);
	if (!b)
		return errbuf_set(e, EXIT_ENVIRONMENT, "out of memory");
	char names[MAX_TENSORS][48];
	size_t k = 0, i;
	json_t *t;
	int rc = 0;
	json_array_foreach(ins, i, t) {
		buffer_name(json_string_value(json_array_get(args, i)), "in", i, names[k], 48);
		for (size_t j = 0; j < k; j++)
			if (strcmp(names[j], names[k]) == 0)
				snprintf(names[k], 48, "in%zu", i);
		if (rc == 0)
			rc = put_buffer(b, t, names[k], "in", consts, &p, e);
		k++;
	}
	json_array_foreach(outs, i, t) {
		if (json_array_size(outs) == 1)
			snprintf(names[k], 48, "out");
		else
			snprintf(names[k], 48, "out%zu", i);
		for (size_t j = 0; j < k; j++)
			if (strcmp(names[j], names[k]) == 0)
				snprintf(names[k], 48, "result%zu", i);
		if (rc == 0)
			rc = put_buffer(b, t, names[k], "out", consts, &p, e);
		k++;
	}
	fclose(b);
	if (rc < 0) {
		free(body);
		return -1;
	}
	fprintf(f, "# Written by kaudit import kernelbench: read it, then edit.\n"
		   "# Buffers: forward's arguments (in) and what it returns (out), in order;\n"
		   "# shapes and dtypes from running the problem once (seed 0), extents named\n"
		   "# by the module's constants.  Inputs that look like normal or uniform\n"
		   "# draws are kaudit's own, from init (check it fits what get_inputs()\n"
		   "# draws); integers and values >= 0 past 1 come from the problem's\n"
		   "# get_inputs() under kaudit's seeds (init: {dist: get_inputs}).\n"
		   "kaudit: 1\nclaim:\n  title: ");
	char title[PATH_MAX + 64];
	snprintf(title, sizeof title, "KernelBench %s: ModelNew vs Model", base);
	yaml_quoted(f, title);
	fprintf(f, "\nkernels:\n  - id: %s\n", id[0] ? id : "problem");
	fprintf(f, "    claimed_speedup: 1.0   # the speedup claimed (baseline / candidate time): edit\n");
	fprintf(f, "    baseline:  {python: ");
	yaml_quoted(f, prob_rel);
	fprintf(f, ", entry: Model}\n    candidate: {python: ");
	yaml_quoted(f, cand_rel);
	fprintf(f, ", entry: ModelNew, init_inputs: ");
	yaml_quoted(f, prob_rel);
	fprintf(f, "}\n");
	if (p.n) {
		fprintf(f, "    params: {");
		for (size_t j = 0; j < p.n; j++)
			fprintf(f, "%s%s: %lld", j ? ", " : "", p.names[j], p.values[j]);
		fprintf(f, "}\n");
	}
	fprintf(f, "    buffers:\n");
	fwrite(body, 1, body_len, f);
	free(body);
	fprintf(f, "    tolerance: {rtol: 1.0e-2, atol: 1.0e-2}   # KernelBench's own\n");
	return 0;
}

/* The last line of TEXT that parses as a JSON object (the problem's own
 * prints come before it). */
static json_t *last_json(const char *text)
{
	const char *end = text + strlen(text);
	while (end > text) {
		const char *start = end;
		while (start > text && start[-1] != '\n')
			start--;
		if (end > start && *start == '{') {
			json_t *j = json_loadb(start, (size_t)(end - start), 0, NULL);
			if (json_is_object(j))
				return j;
			json_decref(j);
		}
		end = start > text ? start - 1 : text;
	}
	return NULL;
}

int cmd_import(int argc, char **argv)
{
	const char *out = NULL, *python = NULL;
	struct cli_parse p;
	int id;
	cli_opts_init(&p, &import_cmd, argc, argv);
	while ((id = cli_opts_next(&p)) > 0) {
		if (id == OPT_OUT)
			out = p.value;
		else if (id == OPT_PYTHON)
			python = p.value;
	}
	if (id == CLI_STOP)
		return p.status;
	if (strcmp(p.operands[0], "kernelbench") != 0)
		return cli_opts_error(&import_cmd, "unknown format '%s' (expected kernelbench)",
				      p.operands[0]);
	const char *files[2] = { p.operands[1], p.operands[2] };
	char real[2][PATH_MAX], dir[PATH_MAX];
	for (int i = 0; i < 2; i++) {
		size_t n = strlen(files[i]);
		if (n < 4 || strcmp(files[i] + n - 3, ".py") != 0)
			return cli_fail(EXIT_BAD_INPUT, "%s: not a .py file", files[i]);
		if (!realpath(files[i], real[i]))
			return cli_fail(EXIT_BAD_INPUT, "%s: cannot be resolved", files[i]);
	}
	/* The manifest's directory is the claim's tree: both files must be in it. */
	char outdir[PATH_MAX];
	snprintf(outdir, sizeof outdir, "%s", out && strcmp(out, "-") != 0 ? out : "./x");
	char *slash = strrchr(outdir, '/');
	if (slash)
		*slash = '\0';
	if (!realpath(slash ? (outdir[0] ? outdir : "/") : ".", dir))
		return cli_fail(EXIT_BAD_INPUT, "%s: its directory cannot be resolved", out);
	const char *rel[2];
	for (int i = 0; i < 2; i++) {
		rel[i] = inside(dir, real[i]);
		if (!rel[i] || !claim_shell_safe(rel[i]))
			return cli_fail(EXIT_BAD_INPUT, "%s does not lie in the manifest's directory "
					"%s (a claim's sources stay inside its tree): write the "
					"manifest beside it with -o", files[i], dir);
	}
	char *text = NULL;
	size_t len = 0;
	struct errbuf e = { "", 0 };
	if (read_file(real[1], 4u << 20, &text, &len, &e) < 0)
		return cli_fail_err(&e);
	int has = strstr(text, "class ModelNew") != NULL;
	free(text);
	if (!has)
		return cli_fail(EXIT_BAD_INPUT, "%s defines no class ModelNew (not a KernelBench "
				"solution)", files[1]);
	char *js = NULL;
	if (run_py_describe(exe_path(), python, dir, real[0], &js, &e) < 0)
		return cli_fail_err(&e);
	json_t *doc = last_json(js);
	free(js);
	if (!doc)
		return cli_fail(EXIT_BAD_INPUT, "%s: the bridge gave no description", files[0]);
	char *yaml = NULL;
	size_t ylen = 0;
	FILE *f = open_memstream(&yaml, &ylen);
	if (!f) {
		json_decref(doc);
		return cli_fail(EXIT_ENVIRONMENT, "out of memory");
	}
	int rc = write_manifest(f, doc, rel[0], rel[1], &e);
	fclose(f);
	json_decref(doc);
	if (rc < 0) {
		free(yaml);
		return cli_fail_err(&e);
	}
	if (!out || strcmp(out, "-") == 0) {
		fwrite(yaml, 1, ylen, stdout);
		free(yaml);
		return fflush(stdout) == 0 ? EXIT_OK : cli_fail(EXIT_BAD_INPUT, "cannot write stdout");
	}
	const char *inputs[] = { real[0], real[1], NULL };
	struct outfile o;
	if (outfile_open(&o, out, inputs, 0, &e) < 0) {
		free(yaml);
		return cli_fail_err(&e);
	}
	rc = write_all(o.fd, yaml, ylen);
	free(yaml);
	if (rc < 0) {
		outfile_abort(&o);
		return cli_fail(EXIT_BAD_INPUT, "%s: write failed", out);
	}
	if (outfile_commit(&o, &e) < 0)
		return cli_fail_err(&e);
	fprintf(stderr, "wrote %s: edit claimed_speedup, then kaudit lint and verify it\n", out);
	return EXIT_OK;
}
