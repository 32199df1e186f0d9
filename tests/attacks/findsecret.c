/*
 * findsecret.c - does any of FILES contain any of the secrets?
 *
 *   findsecret SECRETS FILE...
 *
 * SECRETS has one secret a line: a name, a space, the secret's bytes in
 * hex (so binary secrets - a raw private key - and text ones are alike).
 * Prints "FILE: NAME" for each hit; exit 1 when there was one, 0 when
 * none, 2 on a usage error.  Missing files are skipped (a candidate that
 * could not write its loot wrote nothing).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	unsigned char *b = malloc(cap);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			b = realloc(b, cap);
		}
		size_t r = fread(b + n, 1, cap - n, f);
		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	*len = n;
	return b;
}

static int unhex(const char *h, unsigned char *out, size_t cap, size_t *n)
{
	*n = 0;
	while (h[0] && h[1] && h[0] != '\n') {
		unsigned v;
		if (sscanf(h, "%2x", &v) != 1 || *n >= cap)
			return -1;
		out[(*n)++] = (unsigned char)v;
		h += 2;
	}
	return 0;
}

struct secret {
	char name[256];
	unsigned char bytes[4096];
	size_t n;
};

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	FILE *s = fopen(argv[1], "r");
	if (!s)
		return 2;
	struct secret *sec = NULL;
	size_t nsec = 0;
	char line[9000];
	while (fgets(line, sizeof line, s)) {
		char *sp = strchr(line, ' ');
		if (!sp)
			continue;
		*sp = '\0';
		sec = realloc(sec, (nsec + 1) * sizeof *sec);
		snprintf(sec[nsec].name, sizeof sec[nsec].name, "%s", line);
		if (unhex(sp + 1, sec[nsec].bytes, sizeof sec[nsec].bytes, &sec[nsec].n) < 0 ||
		    sec[nsec].n == 0)
			return 2;
		nsec++;
	}
	fclose(s);
	int found = 0;
	for (int i = 2; i < argc; i++) {
		size_t len;
		unsigned char *d = slurp(argv[i], &len);
		if (!d)
			continue;
		for (size_t k = 0; k < nsec; k++) {
			if (memmem(d, len, sec[k].bytes, sec[k].n)) {
				printf("%s: %s\n", argv[i], sec[k].name);
				found = 1;
			}
		}
		free(d);
	}
	free(sec);
	return found;
}
