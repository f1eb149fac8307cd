// SPDX-License-Identifier: GPL-2.0
/* The string buffer's slow paths: set-up, growth, printf. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "strbuf.h"

const char sb_digits2[201] = "00010203040506070809101112131415161718192021222324"
			     "25262728293031323334353637383940414243444546474849"
			     "50515253545556575859606162636465666768697071727374"
			     "75767778798081828384858687888990919293949596979899";

int sb_init(struct strbuf *b, char *buf, size_t len)
{
	if (!buf)
		return -EINVAL;
	if (!len)
		return -ENOSPC;
	*b = (struct strbuf){ .p = buf, .cap = len, .fixed = 1 };
	buf[0] = '\0';
	return 0;
}

int sb_done(struct strbuf *b)
{
	if (b->err) {
		if (b->fixed)
			b->p[0] = '\0';
		return b->err;
	}
	return (int)b->len;
}

void sb_free(struct strbuf *b)
{
	if (b->fixed) {
		sb_reset(b);
		return;
	}
	free(b->p);
	*b = (struct strbuf){};
}

void sb_reset(struct strbuf *b)
{
	b->len = 0;
	b->err = 0;
	if (b->p)
		b->p[0] = '\0';
}

int sb_grow(struct strbuf *b, size_t more)
{
	size_t cap;
	char *p;

	if (b->err)
		return b->err;
	if (more < b->cap - b->len)
		return 0;
	if (b->fixed) {
		b->err = -ENOSPC;
		return b->err;
	}
	/* Doubling from 16 KiB: a metrics exposition takes a few steps at most. */
	cap = b->cap ? b->cap : 16384;
	while (cap < b->len + more + 1) {
		if (cap > (size_t)-1 / 2) {
			b->err = -ENOMEM;
			return b->err;
		}
		cap *= 2;
	}
	p = realloc(b->p, cap);
	if (!p) {
		b->err = -ENOMEM;
		return b->err;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void sb_printf(struct strbuf *b, const char *fmt, ...)
{
	size_t room = b->cap - b->len;
	va_list ap;
	int n;

	if (b->err)
		return;
	/* First try in place: it fits nearly always, and then formats once. */
	va_start(ap, fmt);
	n = vsnprintf(room ? b->p + b->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = -EINVAL;
		goto restore;
	}
	if ((size_t)n < room) {
		b->len += (size_t)n;
		return;
	}
	if (sb_grow(b, (size_t)n))
		goto restore;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return;
restore:
	/* vsnprintf may have left a cut piece behind the text. */
	if (b->p)
		b->p[b->len] = '\0';
}
