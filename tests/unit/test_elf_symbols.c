/*
 * test_elf_symbols.c - the .dynsym reader behind lint's check of a .so
 * source: a real shared object built here with cc -shared lists exactly
 * its exported functions; truncated files, section headers past the end
 * (or where the offset would wrap), a symbol name past .dynstr, broken
 * tables, an ELF32 header (crafted: cc -m32 may be missing), big-endian,
 * other machines, objects that are not shared ones, FIFOs and directories
 * are all refused with a message, never a crash; a file whose section
 * headers are stripped is "cannot tell".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "claim/elf_symbols.h"

struct fixture {
	char dir[64];
	char so[128];
	unsigned char *bytes; /* the .so's contents */
	size_t len;
};

static const char lib_c[] =
	"#include <stdio.h>\n"
	"int alpha(const void *l) { (void)l; return puts(\"a\"); }\n"
	"__attribute__((weak)) int beta(const void *l) { (void)l; return 1; }\n"
	"__attribute__((visibility(\"protected\"))) int eps(void) { return 2; }\n"
	"__attribute__((visibility(\"hidden\"))) int gamma_hidden(void) { return 3; }\n"
	"static int delta(void) { return 4; }\n"
	"int zeta_data = 5;\n"
	"int (*keep)(void) = delta;\n";

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	unsigned char *buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof fx->dir, "/tmp/kaudit-elf-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	char src[128], cmd[512];
	snprintf(src, sizeof src, "%s/lib.c", fx->dir);
	snprintf(fx->so, sizeof fx->so, "%s/lib.so", fx->dir);
	FILE *f = fopen(src, "w");
	if (!f || fputs(lib_c, f) < 0 || fclose(f) != 0)
		return -1;
	snprintf(cmd, sizeof cmd, "cc -shared -fPIC -o %s %s", fx->so, src);
	if (system(cmd) != 0)
		return -1;
	fx->bytes = slurp(fx->so, &fx->len);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx->bytes);
	free(fx);
	return 0;
}

static int has(const struct claim_elf_symbols *s, const char *name)
{
	for (size_t i = 0; i < s->count; i++)
		if (strcmp(s->names[i], name) == 0)
			return 1;
	return 0;
}

/* A private copy of the .so to damage. */
static unsigned char *copy(const struct fixture *fx)
{
	unsigned char *b = malloc(fx->len);
	assert_non_null(b);
	memcpy(b, fx->bytes, fx->len);
	return b;
}

static void expect_error(const void *buf, size_t len, const char *needle)
{
	struct claim_elf_symbols s;
	struct errbuf e = { "", 0 };
	assert_int_equal(claim_elf_parse(buf, len, &s, &e), -1);
	assert_int_equal(e.code, EXIT_BAD_INPUT);
	if (!strstr(e.msg, needle))
		fail_msg("expected '%s' in '%s'", needle, e.msg);
	assert_int_equal(s.count, 0);
	claim_elf_release(&s); /* harmless after a failure */
}

/* The test host is little-endian x86-64 or aarch64, like the files. */
static Elf64_Ehdr ehdr(const unsigned char *b)
{
	Elf64_Ehdr h;
	memcpy(&h, b, sizeof h);
	return h;
}

static Elf64_Shdr *section(unsigned char *b, Elf64_Word type)
{
	Elf64_Ehdr h = ehdr(b);
	for (unsigned i = 0; i < h.e_shnum; i++) {
		Elf64_Shdr *s = (Elf64_Shdr *)(b + h.e_shoff + (size_t)i * sizeof *s);
		if (s->sh_type == type)
			return s;
	}
	fail_msg("no section of type %u", type);
	return NULL;
}

static void test_real_so(void **state)
{
	struct fixture *fx = *state;
	struct claim_elf_symbols s;
	struct errbuf e = { "", 0 };
	if (claim_elf_read(fx->so, &s, &e) != 0)
		fail_msg("%s", e.msg);
	assert_int_equal(s.status, CLAIM_ELF_OK);
	assert_true(has(&s, "alpha"));
	assert_true(has(&s, "beta"));          /* weak */
	assert_true(has(&s, "eps"));           /* protected: dlsym() finds it */
	assert_false(has(&s, "gamma_hidden"));
	assert_false(has(&s, "delta"));
	assert_false(has(&s, "zeta_data"));    /* an object, not a function */
	assert_false(has(&s, "keep"));
	assert_false(has(&s, "puts"));         /* undefined: imported */
	for (size_t i = 0; i < s.count; i++)
		assert_true(s.names[i][0] != '\0');
	size_t n = s.count;
	claim_elf_release(&s);

	/* The same bytes from memory give the same answer. */
	assert_int_equal(claim_elf_parse(fx->bytes, fx->len, &s, &e), 0);
	assert_int_equal(s.count, n);
	assert_true(has(&s, "alpha"));
	claim_elf_release(&s);
}

static void test_truncated(void **state)
{
	struct fixture *fx = *state;
	static const size_t short_lens[] = { 0, 1, 3, 4, 15, 16, 40, 63 };
	for (size_t i = 0; i < sizeof short_lens / sizeof *short_lens; i++)
		expect_error(fx->bytes, short_lens[i],
			     short_lens[i] < 4 ? "not an ELF file" : "truncated");
	/* The linker puts the section headers last: any shorter file lacks them
	 * (or a table they describe). */
	for (size_t len = 64; len < fx->len; len += fx->len / 97 + 1)
		expect_error(fx->bytes, len, "truncated");
	expect_error(fx->bytes, fx->len - 1, "truncated");
}

static void test_section_headers_past_end(void **state)
{
	struct fixture *fx = *state;
	unsigned char *b = copy(fx);
	Elf64_Ehdr h = ehdr(b);
	uint64_t offs[] = { fx->len + 1, fx->len, fx->len - 1, UINT64_MAX - 8,
			    UINT64_MAX };
	for (size_t i = 0; i < sizeof offs / sizeof *offs; i++) {
		h.e_shoff = offs[i];
		memcpy(b, &h, sizeof h);
		expect_error(b, fx->len, "section headers");
	}
	/* A count that reaches past the end from a valid offset. */
	h = ehdr(fx->bytes);
	h.e_shnum = 0xffff;
	memcpy(b, &h, sizeof h);
	expect_error(b, fx->len, "truncated");
	free(b);
}

static void test_name_past_dynstr(void **state)
{
	struct fixture *fx = *state;
	unsigned char *b = copy(fx);
	Elf64_Shdr *dynsym = section(b, SHT_DYNSYM);
	Elf64_Shdr *dynstr = (Elf64_Shdr *)(b + ehdr(b).e_shoff + dynsym->sh_link * sizeof *dynsym);
	Elf64_Sym *sym1 = (Elf64_Sym *)(b + dynsym->sh_offset + sizeof(Elf64_Sym));
	Elf64_Word saved = sym1->st_name;
	Elf64_Word offs[] = { (Elf64_Word)dynstr->sh_size, (Elf64_Word)dynstr->sh_size + 5,
			      UINT32_MAX };
	for (size_t i = 0; i < sizeof offs / sizeof *offs; i++) {
		sym1->st_name = offs[i];
		expect_error(b, fx->len, "past the end of .dynstr");
	}
	/* A name that starts inside .dynstr but has no NUL before its end. */
	sym1->st_name = (Elf64_Word)dynstr->sh_size - 1;
	b[dynstr->sh_offset + dynstr->sh_size - 1] = 'x';
	expect_error(b, fx->len, "runs past the end of .dynstr");
	sym1->st_name = saved;
	free(b);
}

static void test_broken_tables(void **state)
{
	struct fixture *fx = *state;
	unsigned char *b = copy(fx);
	Elf64_Shdr *dynsym = section(b, SHT_DYNSYM);
	Elf64_Shdr good = *dynsym;

	dynsym->sh_entsize = 16;
	expect_error(b, fx->len, "entries of 16 bytes");
	*dynsym = good;
	dynsym->sh_size += 1;
	expect_error(b, fx->len, "multiple of 24");
	*dynsym = good;
	dynsym->sh_link = 0xffff;
	expect_error(b, fx->len, "does not exist");
	*dynsym = good;
	dynsym->sh_link = 0;
	expect_error(b, fx->len, "does not exist");
	*dynsym = good;
	dynsym->sh_size = (uint64_t)fx->len / 24 * 24 + 24;
	expect_error(b, fx->len, "truncated: its .dynsym");
	*dynsym = good;
	dynsym->sh_offset = UINT64_MAX - 16;
	expect_error(b, fx->len, "truncated: its .dynsym");
	*dynsym = good;
	/* .dynsym linked to itself: not a string table. */
	Elf64_Ehdr h = ehdr(b);
	dynsym->sh_link = (Elf64_Word)(((unsigned char *)dynsym - (b + h.e_shoff)) / sizeof *dynsym);
	expect_error(b, fx->len, "not a string table");
	*dynsym = good;

	/* Section headers of the wrong size. */
	h.e_shentsize = 40;
	memcpy(b, &h, sizeof h);
	expect_error(b, fx->len, "section headers are 40 bytes");
	free(b);
}

static void test_stripped_is_unknown(void **state)
{
	struct fixture *fx = *state;
	unsigned char *b = copy(fx);
	Elf64_Ehdr h = ehdr(b);
	h.e_shoff = 0;
	h.e_shnum = 0;
	memcpy(b, &h, sizeof h);
	struct claim_elf_symbols s;
	struct errbuf e = { "", 0 };
	assert_int_equal(claim_elf_parse(b, fx->len, &s, &e), 0);
	assert_int_equal(s.status, CLAIM_ELF_UNKNOWN);
	assert_int_equal(s.count, 0);
	claim_elf_release(&s);

	/* No SHT_DYNSYM at all: it exports nothing. */
	memcpy(b, fx->bytes, fx->len);
	section(b, SHT_DYNSYM)->sh_type = SHT_PROGBITS;
	assert_int_equal(claim_elf_parse(b, fx->len, &s, &e), 0);
	assert_int_equal(s.status, CLAIM_ELF_OK);
	assert_int_equal(s.count, 0);
	claim_elf_release(&s);
	free(b);
}

/* An ELF32 i386 shared object's 52-byte header, crafted. */
static void test_elf32_refused(void **state)
{
	struct fixture *fx = *state;
	unsigned char h[52] = { 0x7f, 'E', 'L', 'F', ELFCLASS32, ELFDATA2LSB, EV_CURRENT };
	h[16] = ET_DYN;
	h[18] = EM_386;
	h[20] = EV_CURRENT;
	h[40] = 52; /* e_ehsize */
	expect_error(h, sizeof h, "32-bit ELF file (ELFCLASS32)");
	char path[160];
	snprintf(path, sizeof path, "%s/lib32.so", fx->dir);
	write_file(path, h, sizeof h);
	struct claim_elf_symbols s;
	struct errbuf e = { "", 0 };
	assert_int_equal(claim_elf_read(path, &s, &e), -1);
	assert_non_null(strstr(e.msg, "32-bit"));
}

static void test_other_files_refused(void **state)
{
	struct fixture *fx = *state;
	unsigned char *b = copy(fx);
	expect_error("hello, world\n", 13, "not an ELF file");

	b[EI_DATA] = ELFDATA2MSB;
	expect_error(b, fx->len, "big-endian");
	b[EI_DATA] = 7;
	expect_error(b, fx->len, "invalid identification");
	b[EI_DATA] = ELFDATA2LSB;
	b[EI_CLASS] = 9;
	expect_error(b, fx->len, "unknown class 9");
	b[EI_CLASS] = ELFCLASS64;

	Elf64_Ehdr h = ehdr(fx->bytes);
	h.e_machine = EM_RISCV;
	memcpy(b, &h, sizeof h);
	expect_error(b, fx->len, "ELF machine 243");
	h = ehdr(fx->bytes);
	h.e_type = ET_EXEC;
	memcpy(b, &h, sizeof h);
	expect_error(b, fx->len, "an executable");
	free(b);

	/* A relocatable object, as cc -c leaves it. */
	char cmd[512], obj[160];
	snprintf(obj, sizeof obj, "%s/lib.o", fx->dir);
	snprintf(cmd, sizeof cmd, "cc -c -fPIC -o %s %s/lib.c", obj, fx->dir);
	assert_int_equal(system(cmd), 0);
	struct claim_elf_symbols s;
	struct errbuf e = { "", 0 };
	assert_int_equal(claim_elf_read(obj, &s, &e), -1);
	assert_non_null(strstr(e.msg, "relocatable object"));

	/* A FIFO must not hang the open; a directory is no file either. */
	char fifo[160];
	snprintf(fifo, sizeof fifo, "%s/fifo.so", fx->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(claim_elf_read(fifo, &s, &e), -1);
	assert_string_equal(e.msg, "not a regular file");
	assert_int_equal(claim_elf_read(fx->dir, &s, &e), -1);
	assert_string_equal(e.msg, "not a regular file");
	char missing[160];
	snprintf(missing, sizeof missing, "%s/none.so", fx->dir);
	assert_int_equal(claim_elf_read(missing, &s, &e), -1);
	assert_non_null(strstr(e.msg, "cannot open it"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_so),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_section_headers_past_end),
		cmocka_unit_test(test_name_past_dynstr),
		cmocka_unit_test(test_broken_tables),
		cmocka_unit_test(test_stripped_is_unknown),
		cmocka_unit_test(test_elf32_refused),
		cmocka_unit_test(test_other_files_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
