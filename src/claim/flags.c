/*
 * flags.c - what a manifest may put on nvcc's command line, and where a
 * claim's files may lie.
 *
 * Flags are an allowlist (kaudit-claim(5), NVCC FLAGS): a flag that is not
 * in the table below is refused, and so is a value outside its rule.  The
 * values are tight on purpose: nvcc runs its sub-tools through sh -c,
 * pasting flags and paths into the command line (inside double quotes at
 * best), and it splits option values at commas, so "-Ia,/etc" is two
 * include directories.  Every byte that reaches nvcc is therefore one of
 * a small set, and -I directories must lie inside the claim's tree.
 */
#include "claim/claim_private.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum flag_kind {
	FK_BARE,    /* no value */
	FK_CHOICE,  /* one of the rule's words */
	FK_DEFINE,  /* NAME or NAME=VALUE */
	FK_UNDEF,   /* NAME */
	FK_INCLUDE, /* a directory inside the claim */
	FK_REGS,    /* a register count, 1..255 */
	FK_PTXAS    /* comma-separated ptxas options from ptxas_allowed */
};

/* How the value may be written: "-std=c++17", "-std" "c++17", "-DX". */
enum { F_EQ = 1, F_NEXT = 2, F_JOINED = 4 };

struct flag_rule {
	const char *name;
	enum flag_kind kind;
	int forms;
	const char *choices; /* FK_CHOICE: space-separated words */
};

#define BOOLS "true false"
#define STDS "c++11 c++14 c++17 c++20"
#define OFC "0 max mid min"

static const struct flag_rule rules[] = {
	{ "-O", FK_CHOICE, F_JOINED, "0 1 2 3" },
	{ "-Ofc", FK_CHOICE, F_EQ | F_NEXT, OFC },
	{ "--Ofast-compile", FK_CHOICE, F_EQ | F_NEXT, OFC },
	{ "-dopt", FK_CHOICE, F_EQ | F_NEXT, "on" },
	{ "--dopt", FK_CHOICE, F_EQ | F_NEXT, "on" },
	{ "-std", FK_CHOICE, F_EQ | F_NEXT, STDS },
	{ "--std", FK_CHOICE, F_EQ | F_NEXT, STDS },
	{ "-D", FK_DEFINE, F_JOINED | F_NEXT, NULL },
	{ "--define-macro", FK_DEFINE, F_EQ | F_NEXT, NULL },
	{ "-U", FK_UNDEF, F_JOINED | F_NEXT, NULL },
	{ "--undefine-macro", FK_UNDEF, F_EQ | F_NEXT, NULL },
	{ "-I", FK_INCLUDE, F_JOINED | F_NEXT, NULL },
	{ "--include-path", FK_INCLUDE, F_EQ | F_NEXT, NULL },
	{ "-use_fast_math", FK_BARE, 0, NULL },
	{ "--use_fast_math", FK_BARE, 0, NULL },
	{ "-ftz", FK_CHOICE, F_EQ | F_NEXT, BOOLS },
	{ "--ftz", FK_CHOICE, F_EQ | F_NEXT, BOOLS },
	{ "-prec-div", FK_CHOICE, F_EQ | F_NEXT, BOOLS },
	{ "--prec-div", FK_CHOICE, F_EQ | F_NEXT, BOOLS },
	{ "-prec-sqrt", FK_CHOICE, F_EQ | F_NEXT, BOOLS },
	{ "--prec-sqrt", FK_CHOICE, F_EQ | F_NEXT, BOOLS },
	{ "-fmad", FK_CHOICE, F_EQ | F_NEXT, BOOLS },
	{ "--fmad", FK_CHOICE, F_EQ | F_NEXT, BOOLS },
	{ "-lineinfo", FK_BARE, 0, NULL },
	{ "--generate-line-info", FK_BARE, 0, NULL },
	{ "-maxrregcount", FK_REGS, F_EQ | F_NEXT, NULL },
	{ "--maxrregcount", FK_REGS, F_EQ | F_NEXT, NULL },
	{ "-extra-device-vectorization", FK_BARE, 0, NULL },
	{ "--extra-device-vectorization", FK_BARE, 0, NULL },
	{ "-expt-relaxed-constexpr", FK_BARE, 0, NULL },
	{ "--expt-relaxed-constexpr", FK_BARE, 0, NULL },
	{ "-expt-extended-lambda", FK_BARE, 0, NULL },
	{ "--expt-extended-lambda", FK_BARE, 0, NULL },
	{ "-extended-lambda", FK_BARE, 0, NULL },
	{ "--extended-lambda", FK_BARE, 0, NULL },
	{ "-Xptxas", FK_PTXAS, F_EQ | F_NEXT, NULL },
	{ "--ptxas-options", FK_PTXAS, F_EQ | F_NEXT, NULL },
	/* The CUDA libraries a kernel may link (found in the toolkit). */
	{ "-lcublas", FK_BARE, 0, NULL },
	{ "-lcublasLt", FK_BARE, 0, NULL },
	{ "-lcufft", FK_BARE, 0, NULL },
	{ "-lcurand", FK_BARE, 0, NULL },
	{ "-lcusparse", FK_BARE, 0, NULL },
	{ "-lcusolver", FK_BARE, 0, NULL },
	{ "-lnvrtc", FK_BARE, 0, NULL },
};

static const char *const ptxas_allowed[] = {
	"-O0", "-O1", "-O2", "-O3", "-v", "--verbose", "--warn-on-spills", "-warn-spills",
};

#define ALLOWED                                                                          \
	"allowed: -O0..-O3 -Ofc=0|max|mid|min -dopt=on -DNAME[=VALUE] -UNAME -IDIR "     \
	"-std=c++11|14|17|20 -use_fast_math -ftz|-prec-div|-prec-sqrt|-fmad=true|false " \
	"-lineinfo -maxrregcount=N -extra-device-vectorization -expt-relaxed-constexpr " \
	"-expt-extended-lambda -Xptxas=-O0..-O3|-v|--warn-on-spills -lcublas -lcublasLt " \
	"-lcufft -lcurand -lcusparse -lcusolver -lnvrtc; see kaudit-claim(5)"

#define SAFE_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./+=@%:-"
/* Macro values: no '/', '=' or ':' either, nothing a shell or nvcc's
 * comma splitting could read. */
#define VALUE_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-"

int claim_shell_safe(const char *s)
{
	return strspn(s, SAFE_CHARS) == strlen(s);
}

const char *claim_tree_rel(const char *root, const char *real)
{
	static const char *const never[] = { "/proc", "/sys", "/dev" };
	if (!root || !real || real[0] != '/')
		return NULL;
	for (size_t i = 0; i < sizeof never / sizeof never[0]; i++) {
		size_t n = strlen(never[i]);
		if (strncmp(real, never[i], n) == 0 && (real[n] == '\0' || real[n] == '/'))
			return NULL;
	}
	if (strcmp(root, "/") == 0)
		return real + 1;
	size_t n = strlen(root);
	if (strncmp(real, root, n) != 0)
		return NULL;
	if (real[n] == '\0')
		return real + n;
	return real[n] == '/' ? real + n + 1 : NULL;
}

/* realpath of DIR (the kaudit configuration directory, where the signing
 * key lives by default) into OUT; 0 when it exists. */
static int config_dir(char *out)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	char dir[PATH_MAX];
	int n;
	if (xdg && xdg[0] == '/')
		n = snprintf(dir, sizeof dir, "%s/kaudit", xdg);
	else if (home && home[0] == '/')
		n = snprintf(dir, sizeof dir, "%s/.config/kaudit", home);
	else
		return -1;
	if (n < 0 || (size_t)n >= sizeof dir || !realpath(dir, out))
		return -1;
	return 0;
}

int claim_path_secret(const char *real)
{
	char dir[PATH_MAX];
	if (config_dir(dir) == 0 && claim_tree_rel(dir, real))
		return 1;
	const char *key = getenv("KAUDIT_KEY");
	char k[PATH_MAX];
	return key && *key && realpath(key, k) && strcmp(k, real) == 0;
}

void claim_nvcc_flags_release(struct claim_nvcc_flags *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->argv[i]);
	free(f->argv);
	for (size_t i = 0; i < f->nincdirs; i++)
		free(f->incdirs[i]);
	free(f->incdirs);
	memset(f, 0, sizeof *f);
}

static void push(char ***v, size_t *n, char *s)
{
	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[(*n)++] = s;
}

static int is_ident(const char *s, size_t n)
{
	if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_", s[i]) ||
		    s[i] == '\0')
			return 0;
	return 1;
}

static int has_word(const char *words, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = words; *p;) {
		size_t len = strcspn(p, " ");
		if (len == n && strncmp(p, w, n) == 0)
			return 1;
		p += len;
		while (*p == ' ')
			p++;
	}
	return 0;
}

/* The rule FLAG matches and where its value starts (NULL: none in FLAG).
 * Whole names and NAME=VALUE first, so "-Ofc=max" is not "-O" + "fc=max". */
static const struct flag_rule *match(const char *flag, const char **value)
{
	const size_t nrules = sizeof rules / sizeof rules[0];
	for (size_t i = 0; i < nrules; i++) {
		size_t len = strlen(rules[i].name);
		if (strcmp(flag, rules[i].name) == 0) {
			*value = NULL;
			return &rules[i];
		}
		if ((rules[i].forms & F_EQ) && strncmp(flag, rules[i].name, len) == 0 &&
		    flag[len] == '=') {
			*value = flag + len + 1;
			return &rules[i];
		}
	}
	for (size_t i = 0; i < nrules; i++) {
		size_t len = strlen(rules[i].name);
		if ((rules[i].forms & F_JOINED) && strncmp(flag, rules[i].name, len) == 0 &&
		    flag[len]) {
			*value = flag + len;
			return &rules[i];
		}
	}
	return NULL;
}

static int check_define(const char *flag, const char *v, int with_value, struct errbuf *msg)
{
	size_t name = strcspn(v, "=");
	if (!is_ident(v, name))
		return errbuf_set(msg, EXIT_BAD_INPUT,
				  "nvcc flag '%.80s': macro name '%.*s' is not an identifier", flag,
				  (int)(name > 60 ? 60 : name), v);
	if (v[name] == '=' && !with_value)
		return errbuf_set(msg, EXIT_BAD_INPUT,
				  "nvcc flag '%.80s': -U takes a macro name only", flag);
	if (v[name] == '=' && strspn(v + name + 1, VALUE_CHARS) != strlen(v + name + 1))
		return errbuf_set(msg, EXIT_BAD_INPUT,
				  "nvcc flag '%.80s': a macro value may hold only letters, digits, "
				  "'_', '.', '+' and '-' (nvcc hands it to a shell)", flag);
	return 0;
}

static int check_ptxas(const char *flag, const char *v, struct errbuf *msg)
{
	for (const char *p = v;;) {
		size_t len = strcspn(p, ",");
		int ok = 0;
		for (size_t i = 0; i < sizeof ptxas_allowed / sizeof ptxas_allowed[0]; i++)
			if (strlen(ptxas_allowed[i]) == len && strncmp(p, ptxas_allowed[i], len) == 0)
				ok = 1;
		if (!ok)
			return errbuf_set(msg, EXIT_BAD_INPUT,
					  "ptxas option '%.*s' in nvcc flag '%.80s' is not allowed "
					  "(allowed: -O0..-O3, -v, --warn-on-spills)",
					  (int)(len > 60 ? 60 : len), p, flag);
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

/* Resolves include directory V against ROOT into *REAL (owned). */
static int check_include(const char *flag, const char *v, const char *root, char **real,
			 struct errbuf *msg)
{
	if (!*v)
		return errbuf_set(msg, EXIT_BAD_INPUT, "nvcc flag '%.80s' needs a directory", flag);
	if (!claim_shell_safe(v))
		return errbuf_set(msg, EXIT_BAD_INPUT,
				  "nvcc flag '%.80s': the directory may hold only letters, digits "
				  "and '_', '.', '/', '+', '=', '@', '%%', ':', '-' (nvcc hands it "
				  "to a shell and splits it at commas)", flag);
	if (!root)
		return errbuf_set(msg, EXIT_BAD_INPUT,
				  "nvcc flag '%.80s': the manifest's directory cannot be resolved",
				  flag);
	char joined[PATH_MAX], r[PATH_MAX];
	int n = v[0] == '/' ? snprintf(joined, sizeof joined, "%s", v)
			    : snprintf(joined, sizeof joined, "%s/%s", root, v);
	if (n < 0 || (size_t)n >= sizeof joined)
		return errbuf_set(msg, EXIT_BAD_INPUT, "nvcc flag '%.80s': path too long", flag);
	struct stat st;
	if (!realpath(joined, r) || stat(r, &st) != 0)
		return errbuf_set(msg, EXIT_BAD_INPUT,
				  "nvcc flag '%.80s': include directory not found (%s)", flag,
				  strerror(errno));
	if (!claim_tree_rel(root, r) || claim_path_secret(r))
		return errbuf_set(msg, EXIT_BAD_INPUT,
				  "nvcc flag '%.80s': the include directory is outside the claim "
				  "directory (-I must name a directory inside the manifest's)", flag);
	if (!S_ISDIR(st.st_mode))
		return errbuf_set(msg, EXIT_BAD_INPUT,
				  "nvcc flag '%.80s': not a directory", flag);
	if (!claim_shell_safe(r))
		return errbuf_set(msg, EXIT_BAD_INPUT,
				  "nvcc flag '%.80s': the directory's full path holds characters "
				  "nvcc would hand to a shell", flag);
	*real = xstrdup(r);
	return 0;
}

static int check_regs(const char *flag, const char *v, struct errbuf *msg)
{
	size_t len = strlen(v);
	if (len == 0 || len > 3 || strspn(v, "0123456789") != len || v[0] == '0' || atoi(v) > 255)
		return errbuf_set(msg, EXIT_BAD_INPUT,
				  "nvcc flag '%.80s': expected a register count from 1 to 255", flag);
	return 0;
}

/* Checks VALUE of FLAG under rule R; *REAL receives a resolved include
 * directory. */
static int check_value(const struct flag_rule *r, const char *flag, const char *value,
		       const char *root, char **real, struct errbuf *msg)
{
	switch (r->kind) {
	case FK_BARE:
		return 0;
	case FK_CHOICE:
		if (!has_word(r->choices, value))
			return errbuf_set(msg, EXIT_BAD_INPUT,
					  "nvcc flag '%.80s': '%.40s' is not one of %s", flag, value,
					  r->choices);
		return 0;
	case FK_DEFINE:
		return check_define(flag, value, 1, msg);
	case FK_UNDEF:
		return check_define(flag, value, 0, msg);
	case FK_INCLUDE:
		return check_include(flag, value, root, real, msg);
	case FK_REGS:
		return check_regs(flag, value, msg);
	case FK_PTXAS:
		return check_ptxas(flag, value, msg);
	}
	return errbuf_set(msg, EXIT_BAD_INPUT, "nvcc flag '%.80s' is not allowed", flag);
}

/* The nvcc argv entry for an include flag: the real directory in place
 * of the one written, in the flag's own form. */
static char *include_entry(const char *flag, const char *value, const char *real)
{
	if (!value)
		return xstrdup(real);
	size_t head = (size_t)(value - flag);
	size_t len = head + strlen(real) + 1;
	char *s = xmalloc(len);
	snprintf(s, len, "%.*s%s", (int)head, flag, real);
	return s;
}

int claim_flags_check(char *const *flags, size_t n, const char *root,
		      struct claim_nvcc_flags *out, size_t *bad, struct errbuf *msg)
{
	struct claim_nvcc_flags f = { 0 };
	if (n > CLAIM_MAX_FLAGS) {
		*bad = CLAIM_MAX_FLAGS;
		return errbuf_set(msg, EXIT_BAD_INPUT, "too many nvcc flags (%zu, at most %d)", n,
				  CLAIM_MAX_FLAGS);
	}
	for (size_t i = 0; i < n; i++) {
		const char *flag = flags[i];
		const char *value = NULL;
		const struct flag_rule *r = match(flag, &value);
		*bad = i;
		if (!r) {
			errbuf_set(msg, EXIT_BAD_INPUT, "nvcc flag '%.40s' is not allowed (" ALLOWED ")",
				   flag);
			goto fail;
		}
		push(&f.argv, &f.n, xstrdup(flag));
		if (r->kind != FK_BARE && !value) {
			if (!(r->forms & F_NEXT) || i + 1 >= n) {
				errbuf_set(msg, EXIT_BAD_INPUT, "nvcc flag '%.80s' needs a value",
					   flag);
				goto fail;
			}
			*bad = ++i;
			value = flags[i];
			char *real = NULL, shown[128];
			snprintf(shown, sizeof shown, "%.60s %.60s", flag, value);
			if (check_value(r, shown, value, root, &real, msg) != 0)
				goto fail;
			push(&f.argv, &f.n, real ? include_entry(value, NULL, real) : xstrdup(value));
			if (real)
				push(&f.incdirs, &f.nincdirs, real);
			continue;
		}
		char *real = NULL;
		if (check_value(r, flag, value, root, &real, msg) != 0)
			goto fail;
		if (real) {
			free(f.argv[f.n - 1]);
			f.argv[f.n - 1] = include_entry(flag, value, real);
			push(&f.incdirs, &f.nincdirs, real);
		}
	}
	if (out)
		*out = f;
	else
		claim_nvcc_flags_release(&f);
	return 0;
fail:
	claim_nvcc_flags_release(&f);
	return -1;
}
