/*
 * fuzz_trace.c - libFuzzer target for the trace reader (trace_read_fd) and
 * the record decoder.  The first byte picks what the rest is:
 *   0: a whole .kat file as found on disk (gzip layer included);
 *   1: the uncompressed JSON Lines, gzipped here so the fuzzer reaches the
 *      line, record, footer and signature logic without forging deflate;
 *   2: one line for both record decoders, which must agree exactly (the
 *      fast path may never accept what the general path rejects, nor
 *      decode a line differently).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <zlib.h>

#include "trace/trace.h"

static void read_bytes(const uint8_t *p, size_t n)
{
	int fd = memfd_create("fuzz.kat", 0);
	if (fd < 0)
		abort();
	if (n && write_all(fd, p, n) < 0)
		abort();
	lseek(fd, 0, SEEK_SET);
	struct trace_contents c;
	struct errbuf e;
	if (trace_read_fd(fd, "fuzz.kat", &c, &e) == 0) {
		struct errbuf ie;
		int ok = trace_integrity(&c, NULL, &ie) == 0;
		if (ok && (!c.digest_ok || !c.signature_ok || !c.complete_gzip))
			abort(); /* "intact" must mean every check passed */
		json_t *pred = trace_predicate(c.records.v, c.records.n);
		json_decref(pred);
		trace_contents_free(&c);
	}
	close(fd);
}

static void gzip_then_read(const uint8_t *p, size_t n)
{
	uLong cap = compressBound(n) + 64;
	unsigned char *out = malloc(cap);
	z_stream z;
	memset(&z, 0, sizeof z);
	if (!out || deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	z.next_in = (unsigned char *)p;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		abort();
	read_bytes(out, cap - z.avail_out);
	deflateEnd(&z);
	free(out);
}

static void decoders_agree(const uint8_t *p, size_t n)
{
	struct record a, b;
	struct errbuf ea, eb;
	int ra = record_decode_line((const char *)p, n, &a, &ea);
	int rb = record_decode_line_general((const char *)p, n, &b, &eb);
	if ((ra == 0) != (rb == 0))
		abort();
	if (ra < 0)
		return;
	char *la, *lb;
	size_t na, nb;
	int ea_rc = record_encode_line(&a, &la, &na);
	int eb_rc = record_encode_line(&b, &lb, &nb);
	if (ea_rc != eb_rc || (ea_rc == 0 && (na != nb || memcmp(la, lb, na) != 0)))
		abort();
	if (ea_rc == 0) {
		free(la);
		free(lb);
	}
	record_clear(&a);
	record_clear(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		read_bytes(data + 1, size - 1);
		break;
	case 1:
		gzip_then_read(data + 1, size - 1);
		break;
	default:
		decoders_agree(data + 1, size - 1);
		break;
	}
	return 0;
}
