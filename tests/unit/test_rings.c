// SPDX-License-Identifier: GPL-2.0
/*
 * The event ring layout (user/kernel/rings.c rings_plan): --rings one,
 * per-cpu or auto over --ring-size and the possible CPUs. Per-CPU rings
 * split the total (rounded down to a power of two, at least a page each),
 * so the footprint never grows; auto goes per-CPU from
 * RST_RINGS_PERCPU_MIN_CPUS on and falls back to one ring where the split
 * would be below a page; per-cpu asked there is refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>

#include "rings.h"
#include "rsttrace.h"

static const struct {
	int mode;
	__u32 ring_size;
	int ncpu;
	long page;
	int rc, percpu, n;
	__u32 size;
} rows[] = {
	/* auto: one ring below 8 possible CPUs, as before --rings */
	{ RINGS_AUTO, 4U << 20, 2, 4096, 0, 0, 1, 4U << 20 },
	{ RINGS_AUTO, 4U << 20, 7, 4096, 0, 0, 1, 4U << 20 },
	/* from 8 on: the 4 MiB split */
	{ RINGS_AUTO, 4U << 20, 8, 4096, 0, 1, 8, 512U << 10 },
	{ RINGS_AUTO, 4U << 20, 64, 4096, 0, 1, 64, 64U << 10 },
	/* 4 MiB / 12 = 349525: rounded down to 256 KiB, 3 MiB in all */
	{ RINGS_AUTO, 4U << 20, 12, 4096, 0, 1, 12, 256U << 10 },
	{ RINGS_AUTO, 4U << 20, 1024, 4096, 0, 1, 1024, 4096 },
	/* less than a page each: auto keeps one ring */
	{ RINGS_AUTO, 4U << 20, 2048, 4096, 0, 0, 1, 4U << 20 },
	{ RINGS_ONE, 4U << 20, 64, 4096, 0, 0, 1, 4U << 20 },
	/* per-cpu asked: on any count of CPUs, or refused */
	{ RINGS_PERCPU, 8192, 2, 4096, 0, 1, 2, 4096 },
	{ RINGS_PERCPU, 4096, 2, 4096, -EINVAL, 0, 0, 0 },
	{ RINGS_PERCPU, 4U << 20, 3, 4096, 0, 1, 3, 1U << 20 },
	{ RINGS_PERCPU, 4U << 20, 1, 4096, 0, 1, 1, 4U << 20 },
	/* 64 KiB pages */
	{ RINGS_PERCPU, 4U << 20, 64, 65536, 0, 1, 64, 65536 },
	{ RINGS_PERCPU, 2U << 20, 64, 65536, -EINVAL, 0, 0, 0 },
	{ RINGS_AUTO, 2U << 20, 64, 65536, 0, 0, 1, 2U << 20 },
};

static void test_plan_rows(void **state)
{
	struct rings_plan pl;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = rings_plan(rows[i].mode, rows[i].ring_size, rows[i].ncpu, rows[i].page,
				    &pl);

		if (rc != rows[i].rc || (!rc && (pl.percpu != rows[i].percpu || pl.n != rows[i].n ||
						 pl.size != rows[i].size)))
			fail_msg("row %zu (mode %d, %u bytes, %d CPUs, page %ld): rc %d, %s %d x "
				 "%u; "
				 "expected rc %d, %s %d x %u",
				 i, rows[i].mode, rows[i].ring_size, rows[i].ncpu, rows[i].page, rc,
				 pl.percpu ? "per-cpu" : "one", pl.n, pl.size, rows[i].rc,
				 rows[i].percpu ? "per-cpu" : "one", rows[i].n, rows[i].size);
		if (rc)
			continue;
		/* The total never grows, and every ring is a power of two of a page or more. */
		assert_true((__u64)pl.n * pl.size <= rows[i].ring_size);
		assert_int_equal(pl.size & (pl.size - 1), 0);
		assert_true(pl.size >= (__u64)rows[i].page);
	}
}

/* The threshold the default layout switches at is the documented one. */
static void test_threshold(void **state)
{
	struct rings_plan pl;

	(void)state;
	assert_int_equal(RST_RINGS_PERCPU_MIN_CPUS, 8);
	assert_int_equal(rings_plan(RINGS_AUTO, RST_RINGBUF_DEFAULT, RST_RINGS_PERCPU_MIN_CPUS - 1,
				    4096, &pl),
			 0);
	assert_int_equal(pl.percpu, 0);
	assert_int_equal(
		rings_plan(RINGS_AUTO, RST_RINGBUF_DEFAULT, RST_RINGS_PERCPU_MIN_CPUS, 4096, &pl),
		0);
	assert_int_equal(pl.percpu, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_rows),
		cmocka_unit_test(test_threshold),
	};

	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests_name("rings", tests, NULL, NULL);
}
