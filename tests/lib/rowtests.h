/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One cmocka test per table row, built at run time: a failing row no longer
 * hides the rows after it, and TEST_FILTER (make test TESTS=...) selects a
 * row by its name. Include after <cmocka.h>.
 *
 *	struct rowtests rt = { 0 };
 *
 *	rt_add(&rt, "test_plain", test_plain, NULL);
 *	RT_ADD_ROWS(&rt, rows, test_row, row_name);
 *	return rt_run(&rt, NULL, NULL);
 */
#ifndef RST_TESTS_ROWTESTS_H
#define RST_TESTS_ROWTESTS_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rowtests {
	struct CMUnitTest *t;
	size_t n, cap;
};

static inline void rt_die(const char *what, const char *name)
{
	/* A broken table is a failed suite, not a skipped row. */
	printf("not ok 1 - %s%s%s\nBail out!\n", what, name ? ": " : "", name ? name : "");
	exit(1);
}

/* One test; state is what the test finds in *state (its row). */
static inline void rt_add(struct rowtests *rt, const char *name, CMUnitTestFunction fn, void *state)
{
	if (rt->n == rt->cap) {
		size_t cap = rt->cap ? rt->cap * 2 : 32;
		struct CMUnitTest *t = realloc(rt->t, cap * sizeof(*t));

		if (!t)
			rt_die("out of memory for the test table", NULL);
		rt->t = t;
		rt->cap = cap;
	}
	rt->t[rt->n] = (struct CMUnitTest){ .name = name, .test_func = fn, .initial_state = state };
	rt->n++;
}

/* The same test once per row of a table, each under a name of its own. */
static inline void rt_add_rows(struct rowtests *rt, CMUnitTestFunction fn, const void *base,
			       size_t size, size_t n,
			       void (*name)(char *buf, size_t len, const void *row, size_t i))
{
	size_t i;

	for (i = 0; i < n; i++) {
		const void *row = (const char *)base + i * size;
		char buf[256], *s;

		name(buf, sizeof(buf), row, i);
		s = strdup(buf);
		if (!s)
			rt_die("out of memory for the test table", NULL);
		rt_add(rt, s, fn, (void *)row);
	}
}

#define RT_ADD_ROWS(rt, rows, fn, name)                                                            \
	rt_add_rows(rt, fn, rows, sizeof((rows)[0]), sizeof(rows) / sizeof((rows)[0]), name)

/* The name of a row whose first member is `const char *name`. */
static inline void rt_row_name(char *buf, size_t len, const void *row, size_t i)
{
	(void)i;
	snprintf(buf, len, "%s", *(const char *const *)row);
}

/*
 * Runs them all, as group "tests" (the name the static arrays had). Names
 * must be unique: a filter naming a row must run exactly that row.
 */
static inline int rt_run(struct rowtests *rt, CMFixtureFunction setup, CMFixtureFunction teardown)
{
	size_t i, j;
	int ret;

	for (i = 0; i < rt->n; i++)
		for (j = i + 1; j < rt->n; j++)
			if (!strcmp(rt->t[i].name, rt->t[j].name))
				rt_die("two tests share a name", rt->t[i].name);
	/* tests/run.sh passes one TESTS pattern at a time. */
	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	ret = _cmocka_run_group_tests("tests", rt->t, rt->n, setup, teardown);
	/* The row names are leaked on purpose: cmocka may print them until exit. */
	free(rt->t);
	return ret;
}

#endif
