// SPDX-License-Identifier: GPL-2.0
/*
 * user/views/topn.{c,h}, the one top-N selection: each row of the table
 * is its own cmocka test (named after the row): k, a stream of rows in
 * the order offered, and the rows kept, best first. The order is the
 * higher score first, then the lower id: a total order, as topn asks.
 * Then what a table row cannot say: memory bounded by k, selections over
 * the caller's memory (metrics), rows larger than the swap scratch, a
 * restart that reuses the memory, and the worst row at hand once full.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "rowtests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topn.h"

struct item {
	int score;
	int id;
};

static int item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

#define MAXN 16

struct row {
	const char *name;
	size_t k;
	size_t n_in;
	struct item in[MAXN];
	size_t n_want;
	struct item want[MAXN];
	int n_kept; /* what the topn_add calls returned, summed */
};

static const struct row rows[] = {
	{ "empty_stream", 3, 0, {}, 0, {}, 0 },
	{ "fewer_than_k",
	  5,
	  3,
	  { { 3, 0 }, { 1, 1 }, { 2, 2 } },
	  3,
	  { { 3, 0 }, { 2, 2 }, { 1, 1 } },
	  3 },
	{ "exactly_k",
	  3,
	  3,
	  { { 1, 0 }, { 3, 1 }, { 2, 2 } },
	  3,
	  { { 3, 1 }, { 2, 2 }, { 1, 0 } },
	  3 },
	{ "more_than_k_rising",
	  3,
	  8,
	  { { 1, 0 }, { 2, 1 }, { 3, 2 }, { 4, 3 }, { 5, 4 }, { 6, 5 }, { 7, 6 }, { 8, 7 } },
	  3,
	  { { 8, 7 }, { 7, 6 }, { 6, 5 } },
	  8 },
	{ "more_than_k_falling",
	  3,
	  8,
	  { { 8, 0 }, { 7, 1 }, { 6, 2 }, { 5, 3 }, { 4, 4 }, { 3, 5 }, { 2, 6 }, { 1, 7 } },
	  3,
	  { { 8, 0 }, { 7, 1 }, { 6, 2 } },
	  3 },
	{ "more_than_k_mixed",
	  4,
	  10,
	  { { 5, 0 },
	    { 9, 1 },
	    { 1, 2 },
	    { 7, 3 },
	    { 3, 4 },
	    { 8, 5 },
	    { 2, 6 },
	    { 6, 7 },
	    { 4, 8 },
	    { 10, 9 } },
	  4,
	  { { 10, 9 }, { 9, 1 }, { 8, 5 }, { 7, 3 } },
	  8 },
	{ "k_one", 1, 5, { { 5, 0 }, { 9, 1 }, { 2, 2 }, { 7, 3 }, { 9, 4 } }, 1, { { 9, 1 } }, 2 },
	{ "keep_all",
	  0,
	  4,
	  { { 4, 0 }, { 1, 1 }, { 3, 2 }, { 1, 3 } },
	  4,
	  { { 4, 0 }, { 3, 2 }, { 1, 1 }, { 1, 3 } },
	  4 },
	/* Equal scores: the lower id wins, whichever came first. */
	{ "ties_by_second_key",
	  2,
	  4,
	  { { 5, 2 }, { 5, 1 }, { 4, 0 }, { 5, 0 } },
	  2,
	  { { 5, 0 }, { 5, 1 } },
	  3 },
	/* A row equal to the worst kept is not better: it is not kept. */
	{ "equal_to_worst_not_kept",
	  2,
	  3,
	  { { 5, 0 }, { 3, 0 }, { 3, 0 } },
	  2,
	  { { 5, 0 }, { 3, 0 } },
	  2 },
	{ "k_larger_than_stream", 100, 2, { { 1, 0 }, { 2, 0 } }, 2, { { 2, 0 }, { 1, 0 } }, 2 },
};

static void run_row(void **state)
{
	const struct row *r = *state;
	struct topn t;
	size_t i;
	int kept = 0, ret;

	topn_init(&t, sizeof(struct item), r->k, item_cmp);
	for (i = 0; i < r->n_in; i++) {
		ret = topn_add(&t, &r->in[i]);
		assert_true(ret == 0 || ret == 1);
		kept += ret;
	}
	topn_sort(&t);
	assert_int_equal(kept, r->n_kept);
	assert_int_equal(t.n, r->n_want);
	for (i = 0; i < r->n_want; i++) {
		const struct item *got = topn_row(&t, i);

		if (got->score != r->want[i].score || got->id != r->want[i].id)
			fail_msg("row %s: [%zu] is %d/%d, expected %d/%d", r->name, i, got->score,
				 got->id, r->want[i].score, r->want[i].id);
	}
	topn_free(&t);
}

/* A deterministic stream: a linear congruential generator, ids unique. */
static struct item lcg_item(unsigned int *s, int id)
{
	*s = *s * 1103515245u + 12345u;
	return (struct item){ .score = (int)((*s >> 16) % 1000), .id = id };
}

/* 20,000 rows for the best 7: room for 7 rows, never more, and the same 7 as a full sort. */
static void test_memory_bounded_by_k(void **state)
{
	enum { N = 20000, K = 7 };
	static struct item all[N];
	unsigned int s = 1;
	struct topn t;
	size_t i;

	(void)state;
	topn_init(&t, sizeof(struct item), K, item_cmp);
	for (i = 0; i < N; i++) {
		all[i] = lcg_item(&s, (int)i);
		assert_true(topn_add(&t, &all[i]) >= 0);
		assert_true(t.cap <= K);
	}
	topn_sort(&t);
	qsort(all, N, sizeof(all[0]), item_cmp);
	assert_int_equal(t.n, K);
	assert_memory_equal(t.rows, all, K * sizeof(all[0]));
	topn_free(&t);
}

/* k 0 keeps every row, past the first allocation (1,024 rows), in order. */
static void test_keep_all_grows(void **state)
{
	enum { N = 3000 };
	static struct item all[N];
	unsigned int s = 7;
	struct topn t;
	size_t i;

	(void)state;
	topn_init(&t, sizeof(struct item), 0, item_cmp);
	for (i = 0; i < N; i++) {
		all[i] = lcg_item(&s, (int)i);
		assert_int_equal(topn_add(&t, &all[i]), 1);
	}
	assert_null(topn_worst(&t));
	topn_sort(&t);
	qsort(all, N, sizeof(all[0]), item_cmp);
	assert_int_equal(t.n, N);
	assert_memory_equal(t.rows, all, sizeof(all));
	topn_free(&t);
}

/*
 * Over the caller's memory, one call at a time as metrics offers its
 * hosts (a topn made anew each call from rows and n): the best 3 of 6,
 * no row written past the 3, and topn_free leaves the memory alone.
 */
static void test_over_caller_memory(void **state)
{
	static const struct item in[] = {
		{ 2, 0 }, { 6, 1 }, { 1, 2 }, { 5, 3 }, { 4, 4 }, { 3, 5 }
	};
	struct item mem[4] = { [3] = { -1, -1 } };
	struct topn t;
	size_t n = 0, i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		topn_init_over(&t, mem, n, 3, sizeof(mem[0]), item_cmp);
		assert_true(topn_add(&t, &in[i]) >= 0);
		n = t.n;
	}
	assert_int_equal(n, 3);
	topn_init_over(&t, mem, n, 3, sizeof(mem[0]), item_cmp);
	topn_sort(&t);
	assert_int_equal(mem[0].score, 6);
	assert_int_equal(mem[1].score, 5);
	assert_int_equal(mem[2].score, 4);
	assert_int_equal(mem[3].score, -1);
	topn_free(&t);
	assert_int_equal(mem[0].score, 6);
}

/* Rows larger than the 256-byte swap scratch are moved whole. */
struct big {
	struct item it;
	unsigned char fill[600];
};

static int big_cmp(const void *a, const void *b)
{
	return item_cmp(&((const struct big *)a)->it, &((const struct big *)b)->it);
}

static void test_rows_larger_than_scratch(void **state)
{
	struct big b;
	struct topn t;
	unsigned int s = 3;
	size_t i, j;

	(void)state;
	topn_init(&t, sizeof(struct big), 5, big_cmp);
	for (i = 0; i < 200; i++) {
		b.it = lcg_item(&s, (int)i);
		memset(b.fill, (unsigned char)i, sizeof(b.fill));
		assert_true(topn_add(&t, &b) >= 0);
	}
	topn_sort(&t);
	assert_int_equal(t.n, 5);
	for (i = 0; i < t.n; i++) {
		const struct big *r = topn_row(&t, i);

		if (i)
			assert_true(big_cmp(topn_row(&t, i - 1), r) < 0);
		for (j = 0; j < sizeof(r->fill); j++)
			assert_int_equal(r->fill[j], (unsigned char)r->it.id);
	}
	topn_free(&t);
}

/* A restart empties the selection, takes a new k and keeps the memory. */
static void test_restart_reuses_memory(void **state)
{
	static const struct item a[] = { { 1, 0 }, { 2, 1 }, { 3, 2 } },
				 b[] = { { 9, 0 }, { 8, 1 } };
	struct topn t;
	void *mem;
	size_t i;

	(void)state;
	topn_init(&t, sizeof(struct item), 2, item_cmp);
	for (i = 0; i < 3; i++)
		topn_add(&t, &a[i]);
	topn_sort(&t);
	mem = t.rows;
	topn_restart(&t, 1);
	assert_int_equal(t.n, 0);
	for (i = 0; i < 2; i++)
		topn_add(&t, &b[i]);
	assert_ptr_equal(t.rows, mem);
	assert_int_equal(t.n, 1);
	assert_int_equal(((struct item *)t.rows)->score, 9);
	topn_free(&t);
}

/* The worst kept is at hand once k are kept, and only then. */
static void test_worst_once_full(void **state)
{
	static const struct item in[] = { { 4, 0 }, { 7, 1 }, { 5, 2 }, { 9, 3 } };
	const struct item *w;
	struct topn t;

	(void)state;
	topn_init(&t, sizeof(struct item), 3, item_cmp);
	topn_add(&t, &in[0]);
	topn_add(&t, &in[1]);
	assert_null(topn_worst(&t));
	topn_add(&t, &in[2]);
	w = topn_worst(&t);
	assert_non_null(w);
	assert_int_equal(w->score, 4);
	topn_add(&t, &in[3]);
	w = topn_worst(&t);
	assert_int_equal(w->score, 5);
	topn_free(&t);
}

int main(void)
{
	struct rowtests rt = { 0 };

	/* One test per row, named after it, so a failing row hides none of the others. */
	RT_ADD_ROWS(&rt, rows, run_row, rt_row_name);
	rt_add(&rt, "test_memory_bounded_by_k", test_memory_bounded_by_k, NULL);
	rt_add(&rt, "test_keep_all_grows", test_keep_all_grows, NULL);
	rt_add(&rt, "test_over_caller_memory", test_over_caller_memory, NULL);
	rt_add(&rt, "test_rows_larger_than_scratch", test_rows_larger_than_scratch, NULL);
	rt_add(&rt, "test_restart_reuses_memory", test_restart_reuses_memory, NULL);
	rt_add(&rt, "test_worst_once_full", test_worst_once_full, NULL);

	return rt_run(&rt, NULL, NULL);
}
