/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one top-N selection: keep the best k rows of a stream by a
 * comparator, in bounded memory (k rows), for top's hosts, flows -N and
 * the metrics' top hosts. Rows are copied in; until k are kept they sit
 * in arrival order, then they form a heap rooted at the row that sorts
 * last, so most of a long stream costs one comparison and no write.
 * topn_sort() leaves them best first. The comparator is qsort's: < 0
 * when a goes before b; it should be a total order, so the rows kept do
 * not depend on the order they came in.
 */
#ifndef RST_TOPN_H
#define RST_TOPN_H

#include <stddef.h>

typedef int (*topn_cmp_fn)(const void *a, const void *b);

struct topn {
	void *rows;	 /* n rows of size bytes */
	size_t n;	 /* rows kept */
	size_t k;	 /* the most kept; 0: every row (then rows grow without bound) */
	size_t cap;	 /* rows there is room for */
	size_t size;	 /* bytes of a row */
	topn_cmp_fn cmp; /* the order of the rows: < 0 when a is the better */
	int own;	 /* rows is the topn's own, grown as needed and freed by topn_free */
};

/* An empty selection of the best k (0: all) rows of size bytes, its memory its own. */
void topn_init(struct topn *t, size_t size, size_t k, topn_cmp_fn cmp);

/*
 * A selection over the caller's memory: rows[cap] of which the first n
 * are kept (as a previous topn over them left them), at most k <= cap.
 * It never grows; topn_free leaves rows alone.
 */
void topn_init_over(struct topn *t, void *rows, size_t n, size_t k, size_t size, topn_cmp_fn cmp);

/* Empty it for another stream of the best k (0: all), keeping its memory. */
void topn_restart(struct topn *t, size_t k);

/* Room for n rows (at most k) up front: 0 or -ENOMEM. */
int topn_reserve(struct topn *t, size_t n);

/*
 * The row the next kept one evicts: the worst kept, once k are kept;
 * NULL while there is room. A candidate that does not sort before it is
 * not kept, so a caller can refuse one before building its row.
 */
const void *topn_worst(const struct topn *t);

/* Offer a row: 1 kept (copied in), 0 not among the best k, -ENOMEM. */
int topn_add(struct topn *t, const void *row);

/* The rows kept, best first: the end of a stream (topn_restart before the next). */
void topn_sort(struct topn *t);

static inline void *topn_row(const struct topn *t, size_t i)
{
	return (char *)t->rows + i * t->size;
}

void topn_free(struct topn *t);

#endif
