// SPDX-License-Identifier: GPL-2.0
/* The best k rows of a stream: see topn.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "topn.h"

/* Below this many rows a growing selection does not bother to realloc. */
#define TOPN_MIN_CAP 1024

void topn_init(struct topn *t, size_t size, size_t k, topn_cmp_fn cmp)
{
	*t = (struct topn){ .k = k, .size = size, .cmp = cmp, .own = 1 };
}

void topn_init_over(struct topn *t, void *rows, size_t n, size_t k, size_t size, topn_cmp_fn cmp)
{
	*t = (struct topn){ .rows = rows, .n = n, .k = k, .cap = k, .size = size, .cmp = cmp };
}

void topn_restart(struct topn *t, size_t k)
{
	t->n = 0;
	t->k = k;
}

int topn_reserve(struct topn *t, size_t n)
{
	void *p;

	if (t->k && n > t->k)
		n = t->k;
	if (n <= t->cap)
		return 0;
	if (!t->own)
		return -ENOMEM;
	p = realloc(t->rows, n * t->size);
	if (!p)
		return -ENOMEM;
	t->rows = p;
	t->cap = n;
	return 0;
}

static void swap_rows(struct topn *t, size_t a, size_t b)
{
	char *x = topn_row(t, a), *y = topn_row(t, b), tmp[256];
	size_t off, m;

	/* In pieces of a scratch on the stack: rows are of any size, none is allocated. */
	for (off = 0; off < t->size; off += m) {
		m = t->size - off < sizeof(tmp) ? t->size - off : sizeof(tmp);
		memcpy(tmp, x + off, m);
		memcpy(x + off, y + off, m);
		memcpy(y + off, tmp, m);
	}
}

/* Sift row i down the heap of the n rows kept, rooted at the one that sorts last. */
static void heap_down(struct topn *t, size_t i)
{
	size_t w, l, n = t->n;

	for (;;) {
		w = i;
		l = 2 * i + 1;
		if (l < n && t->cmp(topn_row(t, l), topn_row(t, w)) > 0)
			w = l;
		if (l + 1 < n && t->cmp(topn_row(t, l + 1), topn_row(t, w)) > 0)
			w = l + 1;
		if (w == i)
			return;
		swap_rows(t, i, w);
		i = w;
	}
}

const void *topn_worst(const struct topn *t)
{
	return t->k && t->n == t->k ? t->rows : NULL;
}

int topn_add(struct topn *t, const void *row)
{
	size_t i;
	int err;

	if (t->k && t->n == t->k) {
		if (t->cmp(row, t->rows) >= 0)
			return 0;
		memcpy(t->rows, row, t->size);
		heap_down(t, 0);
		return 1;
	}
	if (t->n == t->cap) {
		err = topn_reserve(t, t->n < TOPN_MIN_CAP ? TOPN_MIN_CAP : t->n * 2);
		if (err)
			return err;
	}
	memcpy(topn_row(t, t->n++), row, t->size);
	/* Just full: from now on a heap, so the worst is at hand. */
	if (t->k && t->n == t->k)
		for (i = t->k / 2; i-- > 0;)
			heap_down(t, i);
	return 1;
}

void topn_sort(struct topn *t)
{
	if (t->n > 1)
		qsort(t->rows, t->n, t->size, t->cmp);
}

void topn_free(struct topn *t)
{
	if (t->own)
		free(t->rows);
	t->rows = NULL;
	t->n = t->cap = 0;
}
