/*
 * fuzz_elf.c - libFuzzer target for the .dynsym reader (elf_symbols.c).
 *
 * Any byte string must give either a list of exported functions or one
 * message, never a crash, an out-of-bounds read or a leak; and reading
 * the same bytes from a file (pread, the path lint takes) must give the
 * same answer as reading them from memory.  The corpus starts from a tiny
 * cc -shared object, its bare header and an ELF32 header.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "claim/elf_symbols.h"

static char path[64];

static void remove_path(void)
{
	unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(path, sizeof path, "/tmp/kaudit-fuzz-elf-%ld.so", (long)getpid());
	atexit(remove_path);
	return 0;
}

static void check(const struct claim_elf_symbols *s, int rc, const struct errbuf *e,
		  size_t size)
{
	if (rc != 0) {
		if (e->code != EXIT_BAD_INPUT || !e->msg[0] || s->count || s->names)
			abort(); /* a failure is bad input, says why, and owns nothing */
		return;
	}
	if (s->status == CLAIM_ELF_UNKNOWN && s->count)
		abort();
	if (s->count > size / 24)
		abort(); /* more names than the file has symbols */
	for (size_t i = 0; i < s->count; i++)
		if (!s->names[i][0] || strlen(s->names[i]) >= size)
			abort(); /* empty, or read past the copy of .dynstr */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct claim_elf_symbols a, b;
	struct errbuf ea = { "", 0 }, eb = { "", 0 };
	int ra = claim_elf_parse(data, size, &a, &ea);
	check(&a, ra, &ea, size);

	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	int rb = claim_elf_read(path, &b, &eb);
	check(&b, rb, &eb, size);
	if (ra != rb || a.status != b.status || a.count != b.count ||
	    (ra != 0 && strcmp(ea.msg, eb.msg) != 0))
		abort();
	for (size_t i = 0; i < a.count; i++)
		if (strcmp(a.names[i], b.names[i]) != 0)
			abort();
	claim_elf_release(&a);
	claim_elf_release(&b);
	return 0;
}
