/* utf8.h - reading UTF-8 text from an untrusted source (a manifest, a
 * trace): one code point at a time, and which ones must never reach a
 * reader as themselves (cli_printable for the terminal, kreport_escape for
 * reports: one rule for both). */
#ifndef KAUDIT_UTF8_H
#define KAUDIT_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Length of the UTF-8 sequence at S (AVAIL bytes there) and its code point
 * in *CP; 0 when S does not start a valid one (overlong, surrogate, beyond
 * U+10FFFF, cut short) or AVAIL is 0. */
size_t utf8_next(const unsigned char *s, size_t avail, uint32_t *cp);
/* 1 for what a terminal or a browser would act on or hide instead of
 * showing: C0 and C1 controls, DEL, the line and paragraph separators,
 * the direction marks, embeddings, overrides and isolates (Trojan Source),
 * and the byte-order mark. */
int utf8_invisible(uint32_t cp);

#endif
