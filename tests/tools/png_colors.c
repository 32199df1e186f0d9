/*
 * png_colors.c - prints how many distinct RGB colours a PNG holds, so a
 * test can tell a rendered page from a blank one (all one colour) without
 * Python or ImageMagick: the IDAT chunks inflated with zlib and the scan
 * lines unfiltered.  8-bit RGB or RGBA, not interlaced (what Chromium's
 * --screenshot writes).
 *
 *   png_colors FILE.png      -> "WIDTHxHEIGHT COLOURS"
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int die(const char *msg)
{
	fprintf(stderr, "png_colors: %s\n", msg);
	return 1;
}

static int paeth(int a, int b, int c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
	return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return die("usage: png_colors FILE.png");
	FILE *f = fopen(argv[1], "rb");
	if (!f)
		return die("cannot open the file");
	size_t cap = 1 << 20, n = 0, got;
	unsigned char *buf = malloc(cap);
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0)
		if ((n += got) == cap)
			buf = realloc(buf, cap *= 2);
	fclose(f);
	if (!buf || n < 8 || memcmp(buf, "\x89PNG\r\n\x1a\n", 8) != 0)
		return die("not a PNG");
	uint32_t w = 0, h = 0;
	int bpp = 0;
	unsigned char *idat = malloc(n);
	size_t ni = 0;
	for (size_t at = 8; at + 12 <= n;) {
		uint32_t len = be32(buf + at);
		if (len > n - at - 12)
			return die("a chunk runs past the end");
		const unsigned char *type = buf + at + 4, *data = buf + at + 8;
		if (memcmp(type, "IHDR", 4) == 0 && len >= 13) {
			w = be32(data), h = be32(data + 4);
			if (data[8] != 8 || (data[9] != 2 && data[9] != 6) || data[12] != 0)
				return die("only 8-bit RGB/RGBA, not interlaced");
			bpp = data[9] == 6 ? 4 : 3;
		} else if (memcmp(type, "IDAT", 4) == 0) {
			memcpy(idat + ni, data, len);
			ni += len;
		}
		at += 12 + (size_t)len;
	}
	if (!bpp || !w || !h || w > 20000 || h > 20000)
		return die("no usable IHDR");
	size_t stride = (size_t)w * (size_t)bpp + 1;
	uLongf rawlen = (uLongf)(stride * h);
	unsigned char *raw = malloc(rawlen);
	if (!raw || uncompress(raw, &rawlen, idat, ni) != Z_OK || rawlen != stride * h)
		return die("the image data does not inflate to WIDTH x HEIGHT");
	unsigned char *bits = calloc(1 << 21, 1); /* one bit per 24-bit colour */
	unsigned long colours = 0;
	for (uint32_t y = 0; y < h; y++) {
		unsigned char *line = raw + y * stride, *cur = line + 1;
		const unsigned char *prev = y ? raw + (y - 1) * stride + 1 : NULL;
		for (size_t i = 0; i < stride - 1; i++) {
			int a = i >= (size_t)bpp ? cur[i - bpp] : 0, b = prev ? prev[i] : 0;
			int c = prev && i >= (size_t)bpp ? prev[i - bpp] : 0;
			switch (line[0]) {
			case 0: break;
			case 1: cur[i] = (unsigned char)(cur[i] + a); break;
			case 2: cur[i] = (unsigned char)(cur[i] + b); break;
			case 3: cur[i] = (unsigned char)(cur[i] + (a + b) / 2); break;
			case 4: cur[i] = (unsigned char)(cur[i] + paeth(a, b, c)); break;
			default: return die("bad filter type");
			}
		}
		for (uint32_t x = 0; x < w; x++) {
			const unsigned char *p = cur + (size_t)x * bpp;
			uint32_t rgb = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
			if (!(bits[rgb >> 3] & (1u << (rgb & 7)))) {
				bits[rgb >> 3] |= (unsigned char)(1u << (rgb & 7));
				colours++;
			}
		}
	}
	printf("%ux%u %lu\n", w, h, colours);
	free(bits);
	free(raw);
	free(idat);
	free(buf);
	return 0;
}
