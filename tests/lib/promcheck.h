/* SPDX-License-Identifier: GPL-2.0 */
/*
 * promtool's own linter over an exposition text, when promtool is
 * installed (make deps installs it). Include after <cmocka.h>.
 */
#ifndef RST_TESTS_PROMCHECK_H
#define RST_TESTS_PROMCHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void promtool_check(const char *text, size_t len)
{
	char path[] = "/tmp/rsttrace-metrics-XXXXXX", cmd[256];
	FILE *f;
	int fd, rc;

	if (system("command -v promtool >/dev/null 2>&1"))
		return;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s >&2", path);
	rc = system(cmd);
	unlink(path);
	assert_int_equal(rc, 0);
}

#endif /* RST_TESTS_PROMCHECK_H */
