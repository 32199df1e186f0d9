/*
 * elf_symbols.c - the exported functions of an ELF64 shared object.
 *
 * Reads the ELF header, the section header table, the first SHT_DYNSYM
 * section and the string table it links to, and nothing else.  Fields are
 * decoded byte by byte (little-endian), never by casting the file onto
 * <elf.h>'s structs, so neither the host's byte order nor the file's
 * alignment matters; <elf.h> gives the constants only.
 *
 * Every read goes through src_read(), which refuses a range that does not
 * lie inside the file; sizes are capped before anything is allocated, so
 * a hostile header costs at most CLAIM_ELF_TABLE_MAX bytes twice.
 */
#include "claim/elf_symbols.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EHDR_SIZE 64u
#define SHDR_SIZE 64u
#define SYM_SIZE 24u

/* The file: in memory (BUF) or behind FD. */
struct src {
	const unsigned char *buf;
	int fd;
	uint64_t size;
};

/* Copies LEN bytes at OFF into DST; -1 when the range leaves the file or
 * the file shrank under us. */
static int src_read(const struct src *s, uint64_t off, uint64_t len, void *dst,
		    const char *what, struct errbuf *e)
{
	if (off > s->size || len > s->size - off)
		return errbuf_set(e, EXIT_BAD_INPUT, "truncated: its %s (%llu bytes at offset "
				  "%llu) end past the file's %llu bytes", what,
				  (unsigned long long)len, (unsigned long long)off,
				  (unsigned long long)s->size);
	if (s->buf) {
		memcpy(dst, s->buf + off, (size_t)len);
		return 0;
	}
	unsigned char *p = dst;
	while (len > 0) {
		ssize_t r = pread(s->fd, p, len, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errbuf_set(e, EXIT_BAD_INPUT, "cannot read its %s: %s", what,
					  strerror(errno));
		if (r == 0)
			return errbuf_set(e, EXIT_BAD_INPUT, "it shrank while its %s were read",
					  what);
		p += r;
		off += (uint64_t)r;
		len -= (uint64_t)r;
	}
	return 0;
}

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* The fields of a section header this reader uses. */
struct shdr {
	uint32_t type, link;
	uint64_t offset, size, entsize;
};

static struct shdr shdr_at(const unsigned char *p)
{
	return (struct shdr){ .type = le32(p + 4), .offset = le64(p + 24),
			      .size = le64(p + 32), .link = le32(p + 40),
			      .entsize = le64(p + 56) };
}

static const char *type_name(unsigned t)
{
	switch (t) {
	case ET_REL: return "a relocatable object (.o), not a shared object";
	case ET_EXEC: return "an executable, not a shared object";
	case ET_CORE: return "a core file, not a shared object";
	default: return "not a shared object (unknown ELF type)";
	}
}

/* The identification bytes and the header's fixed fields. */
static int check_header(const unsigned char *h, uint64_t size, struct errbuf *e)
{
	if (size < 4 || memcmp(h, ELFMAG, SELFMAG) != 0)
		return errbuf_set(e, EXIT_BAD_INPUT, "not an ELF file (it does not start "
				  "with \\x7fELF)");
	if (size < EI_NIDENT)
		return errbuf_set(e, EXIT_BAD_INPUT, "truncated: %llu bytes, not even an ELF "
				  "identification", (unsigned long long)size);
	if (h[EI_CLASS] == ELFCLASS32)
		return errbuf_set(e, EXIT_BAD_INPUT, "a 32-bit ELF file (ELFCLASS32); kaudit "
				  "loads 64-bit x86-64 and aarch64 shared objects only");
	if (h[EI_CLASS] != ELFCLASS64)
		return errbuf_set(e, EXIT_BAD_INPUT, "an ELF file of unknown class %u",
				  h[EI_CLASS]);
	if (h[EI_DATA] == ELFDATA2MSB)
		return errbuf_set(e, EXIT_BAD_INPUT, "a big-endian ELF file; kaudit loads "
				  "little-endian x86-64 and aarch64 shared objects only");
	if (h[EI_DATA] != ELFDATA2LSB || h[EI_VERSION] != EV_CURRENT)
		return errbuf_set(e, EXIT_BAD_INPUT, "an ELF file with an invalid "
				  "identification (data encoding %u, version %u)", h[EI_DATA],
				  h[EI_VERSION]);
	if (size < EHDR_SIZE)
		return errbuf_set(e, EXIT_BAD_INPUT, "truncated: %llu bytes, an ELF64 header "
				  "needs %u", (unsigned long long)size, EHDR_SIZE);
	unsigned type = le16(h + 16), machine = le16(h + 18);
	if (type != ET_DYN)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s", type_name(type));
	if (machine != EM_X86_64 && machine != EM_AARCH64)
		return errbuf_set(e, EXIT_BAD_INPUT, "a shared object for ELF machine %u; "
				  "kaudit loads x86-64 and aarch64 ones only", machine);
	return 0;
}

/* A section that must be the table named WHAT: its bytes inside the file,
 * its size within the cap (else *TOOBIG). */
static int check_table(const struct shdr *s, const char *what, uint64_t size,
		       int *toobig, struct errbuf *e)
{
	if (s->offset > size || s->size > size - s->offset)
		return errbuf_set(e, EXIT_BAD_INPUT, "truncated: its %s (%llu bytes at offset "
				  "%llu) end past the file's %llu bytes", what,
				  (unsigned long long)s->size, (unsigned long long)s->offset,
				  (unsigned long long)size);
	if (s->size > CLAIM_ELF_TABLE_MAX)
		*toobig = 1;
	return 0;
}

static int is_export(const unsigned char *sym)
{
	unsigned info = sym[4], other = sym[5], shndx = le16(sym + 6);
	unsigned bind = ELF64_ST_BIND(info), type = ELF64_ST_TYPE(info);
	unsigned vis = ELF64_ST_VISIBILITY(other);
	/* dlsym() finds protected symbols too; an IFUNC is a function to it. */
	return shndx != SHN_UNDEF && (bind == STB_GLOBAL || bind == STB_WEAK) &&
	       (vis == STV_DEFAULT || vis == STV_PROTECTED) &&
	       (type == STT_FUNC || type == STT_GNU_IFUNC);
}

static int parse(const struct src *s, struct claim_elf_symbols *out, struct errbuf *e)
{
	unsigned char h[EHDR_SIZE] = { 0 };
	unsigned char *sh = NULL, *syms = NULL;
	char *str = NULL;
	const char **names = NULL;
	int rc = -1;
	*out = (struct claim_elf_symbols){ .status = CLAIM_ELF_UNKNOWN };
	if (src_read(s, 0, s->size < EHDR_SIZE ? s->size : EHDR_SIZE, h, "header", e) < 0 ||
	    check_header(h, s->size, e) < 0)
		return -1;
	uint64_t shoff = le64(h + 40);
	unsigned shentsize = le16(h + 58);
	uint64_t shnum = le16(h + 60);
	if (shoff == 0)
		return 0; /* section headers stripped: only the build can tell */
	if (shentsize != SHDR_SIZE)
		return errbuf_set(e, EXIT_BAD_INPUT, "an ELF64 file whose section headers "
				  "are %u bytes (expected %u)", shentsize, SHDR_SIZE);
	if (shnum == 0) { /* 65280 sections or more: the count is in section 0 */
		unsigned char s0[SHDR_SIZE];
		if (src_read(s, shoff, SHDR_SIZE, s0, "section headers", e) < 0)
			return -1;
		shnum = shdr_at(s0).size;
		if (shnum == 0)
			return 0;
	}
	if (shnum > CLAIM_ELF_SECTIONS_MAX)
		return 0; /* more than any linker writes for a kernel: left to the build */
	sh = xmalloc((size_t)shnum * SHDR_SIZE);
	if (src_read(s, shoff, shnum * SHDR_SIZE, sh, "section headers", e) < 0)
		goto out;
	uint64_t dynsym = 0;
	while (dynsym < shnum && shdr_at(sh + dynsym * SHDR_SIZE).type != SHT_DYNSYM)
		dynsym++;
	if (dynsym == shnum) { /* no dynamic symbol table: dlsym() finds nothing */
		out->status = CLAIM_ELF_OK;
		rc = 0;
		goto out;
	}
	struct shdr ds = shdr_at(sh + dynsym * SHDR_SIZE);
	if (ds.entsize != SYM_SIZE || ds.size % SYM_SIZE != 0) {
		rc = errbuf_set(e, EXIT_BAD_INPUT, "its .dynsym has entries of %llu bytes and "
				"%llu bytes in all (expected a multiple of %u)",
				(unsigned long long)ds.entsize, (unsigned long long)ds.size,
				SYM_SIZE);
		goto out;
	}
	if (ds.link == 0 || ds.link >= shnum) {
		rc = errbuf_set(e, EXIT_BAD_INPUT, "its .dynsym links to section %u, which "
				"does not exist (%llu sections)", ds.link,
				(unsigned long long)shnum);
		goto out;
	}
	struct shdr dstr = shdr_at(sh + (uint64_t)ds.link * SHDR_SIZE);
	if (dstr.type != SHT_STRTAB) {
		rc = errbuf_set(e, EXIT_BAD_INPUT, "its .dynsym links to section %u, which is "
				"not a string table (type %u)", ds.link, dstr.type);
		goto out;
	}
	int toobig = 0;
	if (check_table(&ds, ".dynsym", s->size, &toobig, e) < 0 ||
	    check_table(&dstr, ".dynstr", s->size, &toobig, e) < 0)
		goto out;
	if (toobig) {
		rc = 0;
		goto out;
	}
	size_t nsyms = (size_t)(ds.size / SYM_SIZE), strsz = (size_t)dstr.size;
	syms = xmalloc(ds.size ? (size_t)ds.size : 1);
	str = xmalloc(strsz + 1);
	if (src_read(s, ds.offset, ds.size, syms, ".dynsym", e) < 0 ||
	    src_read(s, dstr.offset, dstr.size, str, ".dynstr", e) < 0)
		goto out;
	str[strsz] = '\0';
	names = xcalloc(nsyms ? nsyms : 1, sizeof *names);
	size_t count = 0;
	/* Every symbol's name is checked, exported or not: a table that points
	 * outside its strings is a broken file, whichever entry is asked for. */
	for (size_t i = 1; i < nsyms; i++) {
		const unsigned char *sym = syms + i * SYM_SIZE;
		uint32_t name = le32(sym);
		if (name >= strsz) {
			rc = errbuf_set(e, EXIT_BAD_INPUT, "its symbol %zu's name offset %u lies "
					"past the end of .dynstr (%zu bytes)", i, name, strsz);
			goto out;
		}
		if (!memchr(str + name, '\0', strsz - name)) {
			rc = errbuf_set(e, EXIT_BAD_INPUT, "its symbol %zu's name runs past the "
					"end of .dynstr (%zu bytes)", i, strsz);
			goto out;
		}
		if (str[name] && is_export(sym))
			names[count++] = str + name;
	}
	*out = (struct claim_elf_symbols){ .status = CLAIM_ELF_OK, .count = count,
					   .names = names, .strtab = str };
	names = NULL;
	str = NULL;
	rc = 0;
out:
	free(names);
	free(str);
	free(syms);
	free(sh);
	return rc;
}

int claim_elf_parse(const void *buf, size_t len, struct claim_elf_symbols *out,
		    struct errbuf *e)
{
	struct src s = { .buf = buf, .fd = -1, .size = len };
	return parse(&s, out, e);
}

int claim_elf_read(const char *path, struct claim_elf_symbols *out, struct errbuf *e)
{
	/* O_NONBLOCK: a FIFO named like a .so must not hang the open. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errbuf_set(e, EXIT_BAD_INPUT, "cannot open it: %s", strerror(errno));
	struct stat st;
	int rc;
	if (fstat(fd, &st) != 0)
		rc = errbuf_set(e, EXIT_BAD_INPUT, "cannot stat it: %s", strerror(errno));
	else if (!S_ISREG(st.st_mode))
		rc = errbuf_set(e, EXIT_BAD_INPUT, "not a regular file");
	else {
		struct src s = { .buf = NULL, .fd = fd, .size = (uint64_t)st.st_size };
		rc = parse(&s, out, e);
	}
	close(fd);
	return rc;
}

void claim_elf_release(struct claim_elf_symbols *s)
{
	free(s->names);
	free(s->strtab);
	*s = (struct claim_elf_symbols){ .status = CLAIM_ELF_UNKNOWN };
}
