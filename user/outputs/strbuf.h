/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one bounded string buffer of every text format rsttrace writes: the
 * tcpdump line, JSON lines and tables, the metrics exposition. It appends
 * and keeps its text NUL-terminated; it never writes past its end.
 *
 * Two kinds, one type. A fixed buffer (sb_init() over the caller's array)
 * fails as a whole: the first append that does not fit sets err to
 * -ENOSPC, every later append is dropped, and sb_done() empties the text
 * and returns the error, so a line is either whole or absent. A growing
 * buffer (zero-initialised, "struct strbuf b = {}") lives on the heap,
 * reallocs as needed, sets err to -ENOMEM when it cannot, and is released
 * with sb_free().
 *
 * The appenders of the hot path (sb_raw, the put_*() digit writers and the
 * sb_begin()/sb_end() pair) are inline here: the tcpdump printer spreads
 * over several files and calls them a few dozen times per line.
 */
#ifndef RST_STRBUF_H
#define RST_STRBUF_H

#include <stddef.h>
#include <string.h>
#include <linux/types.h>

struct strbuf {
	char *p;    /* the text, NUL-terminated once anything was appended */
	size_t len; /* bytes of text, without the NUL */
	size_t cap; /* bytes at p */
	int err;    /* 0, or what made an append fail (-ENOSPC, -ENOMEM) */
	int fixed;  /* p is the caller's array of cap bytes: never grown nor freed */
};

/*
 * A fixed buffer over buf[len], holding the empty string: -EINVAL for a
 * NULL buf, -ENOSPC when len is 0 (there is no room even for the NUL).
 */
int sb_init(struct strbuf *b, char *buf, size_t len);

/* The length of the text, or the error; a failed fixed buffer is emptied. */
int sb_done(struct strbuf *b);

/* Releases a growing buffer and zeroes it for reuse; a fixed one is only reset. */
void sb_free(struct strbuf *b);

/* Empties the text and clears err, keeping the memory. */
void sb_reset(struct strbuf *b);

/* Makes room for more bytes and the NUL; 0, or sets and returns err. */
int sb_grow(struct strbuf *b, size_t more);

void sb_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The n bytes at s, as they are. */
static inline void sb_raw(struct strbuf *b, const char *s, size_t n)
{
	if ((b->err || n >= b->cap - b->len) && sb_grow(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static inline void sb_str(struct strbuf *b, const char *s)
{
	sb_raw(b, s, strlen(s));
}

static inline void sb_char(struct strbuf *b, char c)
{
	sb_raw(b, &c, 1);
}

#define sb_lit(b, s) sb_raw((b), (s), sizeof(s) - 1) /* s: a string literal */

/*
 * The cheap appenders of the hot path (the RST line prints a dozen numbers
 * and two addresses; vsnprintf parses its format for each). put_*() write
 * at a cursor and return the new end, each exactly what the printf
 * conversion in its comment would print. A run of them goes between
 * sb_begin(), given the run's worst-case length, and sb_end(): straight
 * into the buffer when the worst case fits, else into the caller's scratch
 * array of that size, which sb_raw() then copies if it fits (so a full
 * buffer fails at exactly the same length as a byte-by-byte append would).
 * Writing in place also keeps the bytes from being stored twice.
 */
static inline char *sb_begin(struct strbuf *b, char *scratch, size_t max)
{
	return !b->err && max < b->cap - b->len ? b->p + b->len : scratch;
}

static inline void sb_end(struct strbuf *b, char *start, char *end)
{
	if (start != b->p + b->len) {
		sb_raw(b, start, (size_t)(end - start));
		return;
	}
	b->len = (size_t)(end - b->p);
	b->p[b->len] = '\0';
}

extern const char sb_digits2[201]; /* "00" "01" ... "99" */

static inline char *put_lit(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

/* The decimal digits of v, in three or four comparisons. */
static inline int dec_digits(__u32 v)
{
	if (v < 100000) {
		if (v < 100)
			return v < 10 ? 1 : 2;
		if (v < 10000)
			return v < 1000 ? 3 : 4;
		return 5;
	}
	if (v < 10000000)
		return v < 1000000 ? 6 : 7;
	if (v < 1000000000)
		return v < 100000000 ? 8 : 9;
	return 10;
}

/* "%u": at most 10 characters. */
static inline char *put_u32(char *p, __u32 v)
{
	int n = dec_digits(v);
	char *q = p + n;

	while (v >= 100) {
		q -= 2;
		q[0] = sb_digits2[(v % 100) * 2];
		q[1] = sb_digits2[(v % 100) * 2 + 1];
		v /= 100;
	}
	if (v >= 10) {
		q[-2] = sb_digits2[v * 2];
		q[-1] = sb_digits2[v * 2 + 1];
	} else {
		q[-1] = (char)('0' + v);
	}
	return p + n;
}

/* "%llu": at most 20 characters. */
static inline char *put_u64(char *p, __u64 v)
{
	char t[20], *q = t + sizeof(t);

	if (v <= 0xffffffffULL)
		return put_u32(p, (__u32)v);
	/* Eight digits at a time until what is left fits 32 bits. */
	while (v > 0xffffffffULL) {
		__u32 low = (__u32)(v % 100000000ULL);
		int i;

		v /= 100000000ULL;
		for (i = 0; i < 8; i++) {
			*--q = (char)('0' + low % 10);
			low /= 10;
		}
	}
	p = put_u32(p, (__u32)v);
	return put_lit(p, q, (size_t)(t + sizeof(t) - q));
}

/* "%02u" of v < 100. */
static inline char *put_02u(char *p, __u32 v)
{
	p[0] = sb_digits2[v * 2];
	p[1] = sb_digits2[v * 2 + 1];
	return p + 2;
}

/* "%06u" of v < 1000000. */
static inline char *put_06u(char *p, __u32 v)
{
	p = put_02u(p, v / 10000);
	p = put_02u(p, v / 100 % 100);
	return put_02u(p, v % 100);
}

/* "%x": at most 4 characters for a 16-bit word. */
static inline char *put_x16(char *p, __u16 v)
{
	static const char hex[16] = "0123456789abcdef";
	int shift = v >= 0x1000 ? 12 : v >= 0x100 ? 8 : v >= 0x10 ? 4 : 0;

	for (; shift >= 0; shift -= 4)
		*p++ = hex[(v >> shift) & 0xf];
	return p;
}

/* "%u.%u.%u.%u": at most 15 characters. */
static inline char *put_ip4(char *p, const __u8 *a)
{
	p = put_u32(p, a[0]);
	*p++ = '.';
	p = put_u32(p, a[1]);
	*p++ = '.';
	p = put_u32(p, a[2]);
	*p++ = '.';
	return put_u32(p, a[3]);
}

/* "%u" */
static inline void sb_u32(struct strbuf *b, __u32 v)
{
	char t[10], *q = sb_begin(b, t, sizeof(t));

	sb_end(b, q, put_u32(q, v));
}

/* "%llu" */
static inline void sb_u64(struct strbuf *b, __u64 v)
{
	char t[20], *q = sb_begin(b, t, sizeof(t));

	sb_end(b, q, put_u64(q, v));
}

/* " %u" */
static inline void sb_sp_u32(struct strbuf *b, __u32 v)
{
	char t[11], *q = sb_begin(b, t, sizeof(t));

	*q = ' ';
	sb_end(b, q, put_u32(q + 1, v));
}

#endif
