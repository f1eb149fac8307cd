// SPDX-License-Identifier: GPL-2.0
/*
 * user/views/sparkline.{c,h} (a minute of rate history and its rendering)
 * and top's screen line (user/commands/topui.c): each row of the table is
 * a history, a width, a charset and a scale, and the exact characters and
 * peak expected. Then what a row cannot say: a host line at 80 columns is
 * at most 80 columns, a long IPv6 address cut with '~'; and the JSON file
 * ring of serve --json-out (user/outputs/jsonfile.c) stays within its
 * files and sizes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "rowtests.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/socket.h>

#include "jsonfile.h"
#include "sparkline.h"
#include "topui.h"

#define S(x) ((__u64)((x)*1e9))

struct sample {
	double from, to, rate; /* seconds */
};

struct row {
	const char *name;
	struct sample s[4];
	int n;
	double now; /* seconds */
	int width, utf8;
	double scale;
	const char *want;
	double want_max;
};

static const struct row rows[] = {
	{ "empty history is blank", {}, 0, 1000.5, 6, 1, 10, "      ", 0 },
	{ "a minute at the peak is full blocks",
	  { { 940, 1001, 10 } },
	  1,
	  1000.5,
	  6,
	  1,
	  10,
	  "██████",
	  10 },
	{ "a zero rate is the baseline", { { 940, 1001, 0 } }, 1, 1000.5, 6, 1, 10, "▁▁▁▁▁▁", 0 },
	{ "rising in thirds (UTF-8)",
	  { { 941, 961, 0 }, { 961, 981, 5 }, { 981, 1001, 10 } },
	  3,
	  1000.5,
	  3,
	  1,
	  10,
	  "▁▅█",
	  10 },
	{ "rising in thirds (ASCII)",
	  { { 941, 961, 0 }, { 961, 981, 5 }, { 981, 1001, 10 } },
	  3,
	  1000.5,
	  3,
	  0,
	  10,
	  "_=#",
	  10 },
	{ "older than the minute: not drawn", { { 900, 930, 10 } }, 1, 1000.5, 3, 1, 10, "   ", 0 },
	{ "two samples in one second keep the peak",
	  { { 1000.0, 1000.5, 10 }, { 1000.5, 1000.9, 2 } },
	  2,
	  1000.95,
	  4,
	  0,
	  10,
	  "   #",
	  10 },
	{ "a small rate shows one step above zero",
	  { { 941, 1001, 0.01 } },
	  1,
	  1000.5,
	  2,
	  0,
	  100,
	  "..",
	  0.01 },
};

static void run_row(void **state)
{
	const struct row *r = *state;
	struct rate_hist h;
	char buf[SPARK_SECS * 3 + 1];
	int i, n;

	hist_init(&h);
	for (i = 0; i < r->n; i++)
		hist_add(&h, S(r->s[i].from), S(r->s[i].to), r->s[i].rate);
	n = spark_render(buf, sizeof(buf), &h, S(r->now), r->width, r->utf8, r->scale);
	assert_int_equal(n, (int)strlen(r->want));
	assert_string_equal(buf, r->want);
	assert_true(hist_max(&h, S(r->now)) == r->want_max);
}

/* Characters of a UTF-8 line (each block is 3 bytes and one column). */
static int columns(const char *s)
{
	int n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static void test_host_line_fits_80(void **state)
{
	struct host_row r = {};
	struct rate_hist h;
	char line[1024];

	(void)state;
	r.key.family = AF_INET6;
	inet_pton(AF_INET6, "fd00:1111:2222:3333:4444:5555:6666:7777", r.key.addr);
	r.rst_in_ps = 123456.0; /* wider than its column as %.1f: shown as 123k */
	r.rst_out_ps = 2.5;
	r.syn_ps = 5;
	hist_init(&h);
	hist_add(&h, S(941), S(1001), 7);
	topui_host_line(line, sizeof(line), &r, &h, S(1000.5), 80, 1, 7);
	assert_int_equal(columns(line), 80);
	/* The address cut to 24 columns, and says so. */
	assert_memory_equal(line, "fd00:1111:2222:3333:444~ ", 25);
	assert_non_null(strstr(line, "    123k      2.5      5.0      25k "));
	assert_non_null(strstr(line, "███████████████████"));
	/* 120 columns: the whole address, a longer sparkline, still within the width. */
	topui_host_line(line, sizeof(line), &r, &h, S(1000.5), 120, 1, 7);
	assert_true(columns(line) <= 120);
	assert_non_null(strstr(line, "fd00:1111:2222:3333:4444:5555:6666:7777 "));
}

static void test_jsonfile_ring(void **state)
{
	char dir[] = "/tmp/test_sparkline.XXXXXX", name[64], path[96], line[100];
	struct jsonfile j;
	struct stat st;
	int i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(name, sizeof(name), "%s/ev.json", dir);
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 2] = '\n';
	line[sizeof(line) - 1] = '\0';
	/* 250-byte files, a ring of 3: 99-byte lines, three to a file. */
	assert_int_equal(jsonfile_open(&j, name, 250, 3), 0);
	for (i = 0; i < 20; i++)
		assert_int_equal(jsonfile_write(&j, line, strlen(line)), 0);
	jsonfile_close(&j);
	assert_int_equal(j.written, 20);
	assert_int_equal(j.dropped, 0);
	/* 20 lines, 3 a file: 7 files made, the ring keeps the last 3 names. */
	assert_int_equal(j.files, 7);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s%d", name, i);
		assert_int_equal(stat(path, &st), 0);
		assert_true(st.st_size <= 250 + 99);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s3", name);
	assert_int_not_equal(stat(path, &st), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	struct rowtests rt = { 0 };

	RT_ADD_ROWS(&rt, rows, run_row, rt_row_name);
	rt_add(&rt, "test_host_line_fits_80", test_host_line_fits_80, NULL);
	rt_add(&rt, "test_jsonfile_ring", test_jsonfile_ring, NULL);
	return rt_run(&rt, NULL, NULL);
}
