// SPDX-License-Identifier: GPL-2.0
/*
 * The syntax of --pin-path (user/kernel/persist.c persist_path_normalize): what
 * is normalized to what, and what is refused before anything is opened.
 * A ".." would let the directory checks see one directory while the path
 * names another (a trailing "/.." once had the bpffs root chmod-ed 0700).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "persist.h"

struct row {
	const char *in;
	const char *out; /* NULL: refused with -EINVAL */
};

static const struct row rows[] = {
	{ "/sys/fs/bpf/rsttrace", "/sys/fs/bpf/rsttrace" },
	{ "/sys/fs/bpf/rsttrace/", "/sys/fs/bpf/rsttrace" },
	{ "//sys//fs/bpf///rsttrace//", "/sys/fs/bpf/rsttrace" },
	{ "/sys/fs/bpf/./rsttrace/.", "/sys/fs/bpf/rsttrace" },
	{ "/sys/fs/bpf/..x/x..", "/sys/fs/bpf/..x/x.." }, /* names, not ".." */
	{ "/sys/fs/bpf/.hidden", "/sys/fs/bpf/.hidden" },
	{ "/sys/fs/bpf/rsttrace/..", NULL },
	{ "/sys/fs/bpf/rsttrace/../", NULL },
	{ "/sys/fs/bpf/../bpf/rsttrace", NULL },
	{ "/..", NULL },
	{ "/", NULL },
	{ "//", NULL },
	{ "/./.", NULL },
	{ "rsttrace", NULL },
	{ "./rsttrace", NULL },
	{ "", NULL },
};

static void test_rows(void **state)
{
	char out[PATH_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int err = persist_path_normalize(rows[i].in, out, sizeof(out));

		if (!rows[i].out) {
			if (err != -EINVAL)
				fail_msg("'%s': expected -EINVAL, got %d", rows[i].in, err);
			assert_int_equal(persist_path_check(rows[i].in), -EINVAL);
			continue;
		}
		if (err)
			fail_msg("'%s': refused (%d), expected '%s'", rows[i].in, err, rows[i].out);
		assert_string_equal(out, rows[i].out);
		assert_int_equal(persist_path_check(rows[i].in), 0);
	}
}

static void test_too_long(void **state)
{
	char in[PATH_MAX + 16], out[64];
	size_t i;

	(void)state;
	/* Longer than the buffer: refused, never cut. */
	assert_int_equal(
		persist_path_normalize("/sys/fs/bpf/a-rather-long-name-indeed-yes", out, 20),
		-EINVAL);
	/* A component longer than NAME_MAX. */
	in[0] = '/';
	for (i = 1; i < NAME_MAX + 2; i++)
		in[i] = 'a';
	in[i] = '\0';
	assert_int_equal(persist_path_check(in), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_too_long),
	};

	/* tests/run.sh passes one TESTS pattern at a time. */
	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
