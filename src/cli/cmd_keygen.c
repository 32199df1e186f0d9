/* cmd_keygen.c - kaudit keygen [-o KEY.pem]: an Ed25519 signing key pair. */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/cmds.h"
#include "trace/trace.h"

enum { OPT_OUT = 1 };
static const struct cli_opt opts[] = {
	{ "output", 'o', CLI_VALUE, OPT_OUT },
	{ NULL, 0, 0, 0 },
};
static const struct cli_command keygen_cmd = {
	"keygen", "kaudit keygen [-o KEY.pem]",
	"Writes an Ed25519 private key (PKCS#8 PEM, mode 0600) to KEY.pem\n"
	"and its public half (SPKI PEM) to KEY.pem.pub; refuses to overwrite.\n"
	"Default: $XDG_CONFIG_HOME/kaudit/key.pem.\n",
	opts, NULL, 0, 0,
};

int cmd_keygen(int argc, char **argv)
{
	const char *out = NULL;
	struct cli_parse p;
	int id;
	cli_opts_init(&p, &keygen_cmd, argc, argv);
	while ((id = cli_opts_next(&p)) > 0)
		if (id == OPT_OUT)
			out = p.value;
	if (id == CLI_STOP)
		return p.status;
	char def[4096];
	struct errbuf e = { "", 0 };
	if (!out) {
		if (trace_key_default_path(def, sizeof def, &e) < 0)
			return cli_fail_err(&e);
		out = def;
	}
	if (trace_key_generate(out, &e) < 0)
		return cli_fail_err(&e);
	struct trace_key *k;
	if (trace_key_load(out, &k, &e) < 0)
		return cli_fail_err(&e);
	printf("wrote %s (private, mode 0600) and %s.pub\nkeyid %s\n", out, out,
	       trace_key_id(k));
	trace_key_free(k);
	return EXIT_OK;
}
