/* cmd_keygen.c - kaudit keygen [-o KEY.pem]: an Ed25519 signing key pair. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmds.h"
#include "trace/trace.h"

static const char usage[] = "kaudit keygen [-o KEY.pem]";

int cmd_keygen(int argc, char **argv)
{
	const char *out = NULL;
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("usage: %s\n\nWrites an Ed25519 private key (PKCS#8 PEM, mode 0600) to "
			       "KEY.pem\nand its public half (SPKI PEM) to KEY.pem.pub; refuses to "
			       "overwrite.\nDefault: $XDG_CONFIG_HOME/kaudit/key.pem.\n", usage);
			return EXIT_OK;
		}
		if (strcmp(argv[i], "-o") == 0 && i + 1 < argc && !out)
			out = argv[++i];
		else
			return cli_usage_error("keygen", usage, "unexpected argument '%s'", argv[i]);
	}
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
