// SPDX-License-Identifier: GPL-2.0
/*
 * print-ascii.c: the dumps of -x (hex_print), -X (hex_and_ascii_print)
 * and -A (ascii_print), laid out byte for byte as tcpdump 4.99 lays them
 * out: after the line, "\n\t0x0000: " and eight groups " xxxx" of two
 * bytes, -X padding the groups to 40 columns and adding the bytes as
 * ASCII, '.' for anything not graphic. The callers pass only captured
 * bytes, so tcpdump's truncation longjmp has no counterpart here. Bytes
 * reach the output as hex digits, or through ND_ASCII_ISGRAPH (plus
 * space, tab and newline for -A): no control byte passes.
 */

#include "netdissect.h"

#define HEXDUMP_BYTES_PER_LINE	   16
#define HEXDUMP_SHORTS_PER_LINE	   (HEXDUMP_BYTES_PER_LINE / 2)
#define HEXDUMP_HEXSTUFF_PER_SHORT 5 /* 4 hex digits and a space */
#define HEXDUMP_HEXSTUFF_PER_LINE  (HEXDUMP_HEXSTUFF_PER_SHORT * HEXDUMP_SHORTS_PER_LINE)

static const char hexdigit[] = "0123456789abcdef";

/* ND_ASCII_ISGRAPH: printable and not a space. */
static int is_graph(__u8 c)
{
	return c > 0x20 && c <= 0x7e;
}

static char *put_x2(char *q, __u8 c)
{
	*q++ = hexdigit[c >> 4];
	*q++ = hexdigit[c & 0xf];
	return q;
}

/* "\n\t0x%04x: " */
static void line_start(struct strbuf *o, __u32 oset)
{
	char b[16], *q = b;

	*q++ = '\n';
	*q++ = '\t';
	*q++ = '0';
	*q++ = 'x';
	q = put_x2(q, (__u8)(oset >> 8));
	q = put_x2(q, (__u8)oset);
	*q++ = ':';
	*q++ = ' ';
	sb_raw(o, b, (size_t)(q - b));
}

void hex_print(struct strbuf *o, const __u8 *b, __u32 n)
{
	__u32 i = 0, nshorts = n / 2, oset = 0;
	char g[5];

	g[0] = ' ';
	while (nshorts != 0) {
		if ((i++ % HEXDUMP_SHORTS_PER_LINE) == 0) {
			line_start(o, oset);
			oset += HEXDUMP_BYTES_PER_LINE;
		}
		put_x2(put_x2(g + 1, b[0]), b[1]);
		sb_raw(o, g, 5);
		b += 2;
		nshorts--;
	}
	if (n & 1) {
		if ((i % HEXDUMP_SHORTS_PER_LINE) == 0)
			line_start(o, oset);
		put_x2(g + 1, b[0]);
		sb_raw(o, g, 3);
	}
}

/* One line of -X: "%s0x%04x: %-*s  %s" */
static void hexascii_line(struct strbuf *o, __u32 oset, const char *hex, size_t hexlen,
			  const char *ascii, size_t asciilen)
{
	static const char pad[HEXDUMP_HEXSTUFF_PER_LINE] =
		"                                        ";

	line_start(o, oset);
	sb_raw(o, hex, hexlen);
	if (hexlen < HEXDUMP_HEXSTUFF_PER_LINE)
		sb_raw(o, pad, HEXDUMP_HEXSTUFF_PER_LINE - hexlen);
	sb_raw(o, "  ", 2);
	sb_raw(o, ascii, asciilen);
}

void hex_and_ascii_print(struct strbuf *o, const __u8 *b, __u32 n)
{
	char hex[HEXDUMP_HEXSTUFF_PER_LINE + 1], ascii[HEXDUMP_BYTES_PER_LINE + 1];
	__u32 i = 0, nshorts = n / 2, oset = 0;
	char *hp = hex, *ap = ascii;

	while (nshorts != 0) {
		*hp++ = ' ';
		hp = put_x2(put_x2(hp, b[0]), b[1]);
		*ap++ = is_graph(b[0]) ? (char)b[0] : '.';
		*ap++ = is_graph(b[1]) ? (char)b[1] : '.';
		b += 2;
		if (++i >= HEXDUMP_SHORTS_PER_LINE) {
			hexascii_line(o, oset, hex, (size_t)(hp - hex), ascii,
				      (size_t)(ap - ascii));
			i = 0;
			hp = hex;
			ap = ascii;
			oset += HEXDUMP_BYTES_PER_LINE;
		}
		nshorts--;
	}
	if (n & 1) {
		*hp++ = ' ';
		hp = put_x2(hp, b[0]);
		*ap++ = is_graph(b[0]) ? (char)b[0] : '.';
		++i;
	}
	if (i > 0)
		hexascii_line(o, oset, hex, (size_t)(hp - hex), ascii, (size_t)(ap - ascii));
}

void ascii_print(struct strbuf *o, const __u8 *b, __u32 n)
{
	char c;
	__u8 s;

	sb_raw(o, "\n", 1);
	while (n > 0) {
		s = *b++;
		n--;
		if (s == '\r') {
			/*
			 * tcpdump drops a CR before a newline (and, as its test
			 * reads, also the one before the last byte).
			 */
			if (n > 1 && *b != '\n')
				sb_raw(o, ".", 1);
			continue;
		}
		c = (!is_graph(s) && s != '\t' && s != ' ' && s != '\n') ? '.' : (char)s;
		sb_raw(o, &c, 1);
	}
}
