/*
 * elf_symbols.h - the functions a prebuilt shared object exports, read
 * from its .dynsym without libelf, so `kaudit lint` can check a .so
 * source's entry the way it checks a .cu source's.
 *
 * The file is untrusted: every offset and size is checked against the
 * file's size (overflow-checked), tables are capped, and only the bytes
 * the answer needs are read (a CUDA .so can be hundreds of MiB).  ELF64
 * little-endian x86-64 and aarch64 shared objects are read; anything else
 * is refused with a message.
 */
#ifndef KAUDIT_ELF_SYMBOLS_H
#define KAUDIT_ELF_SYMBOLS_H

#include <stddef.h>

#include "util/util.h"

/* Larger .dynsym or .dynstr sections are left unread (status UNKNOWN):
 * 32 MiB of .dynsym is 1.4 million symbols. */
#define CLAIM_ELF_TABLE_MAX (32u << 20)
#define CLAIM_ELF_SECTIONS_MAX 65536u

enum claim_elf_status {
	CLAIM_ELF_OK,      /* names[] is every exported function */
	CLAIM_ELF_UNKNOWN  /* valid, but the reader cannot tell (no section
			    * headers, tables past the caps): names[] is empty */
};

/* Owns strtab; names[i] point into it. */
struct claim_elf_symbols {
	enum claim_elf_status status;
	size_t count;
	const char **names; /* defined, global or weak, default or protected
			     * visibility, STT_FUNC or STT_GNU_IFUNC, in
			     * .dynsym order; never empty strings */
	char *strtab;       /* a NUL-terminated copy of .dynstr */
};

/* Reads the regular file at PATH.  0 and *OUT filled (release it), or -1
 * with *OUT empty and E saying what is wrong with the file ("not an ELF
 * file (...)", "a 32-bit ELF file ...": a phrase, without the name). */
int claim_elf_read(const char *path, struct claim_elf_symbols *out,
		   struct errbuf *e) KAUDIT_MUST_CHECK;

/* The same on LEN bytes at BUF (the fuzzer and unit tests). */
int claim_elf_parse(const void *buf, size_t len, struct claim_elf_symbols *out,
		    struct errbuf *e) KAUDIT_MUST_CHECK;

void claim_elf_release(struct claim_elf_symbols *s);

#endif
