// SPDX-License-Identifier: GPL-2.0
/*
 * Strict command-line parsing: numbers, seconds, datapath options and text
 * escaping, one table row per case.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "loader.h"
#include "log.h"
#include "util.h"
#include "rowtests.h"

struct num_case {
	const char *in;
	__u64 min, max;
	int err;
	__u64 want;
};

static const struct num_case num_cases[] = {
	{ "0", 0, 10, 0, 0 },
	{ "10", 0, 10, 0, 10 },
	{ "11", 0, 10, -ERANGE, 0 },
	{ "0", 1, 10, -ERANGE, 0 },
	{ "007", 0, 10, 0, 7 },
	{ "18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX },
	{ "18446744073709551616", 0, UINT64_MAX, -ERANGE, 0 },
	{ "99999999999999999999999", 0, UINT64_MAX, -ERANGE, 0 },
	{ "-1", 0, UINT64_MAX, -EINVAL, 0 },
	{ "+1", 0, 10, -EINVAL, 0 },
	{ " 1", 0, 10, -EINVAL, 0 },
	{ "1 ", 0, 10, -EINVAL, 0 },
	{ "1x", 0, 10, -EINVAL, 0 },
	{ "0x10", 0, 100, -EINVAL, 0 },
	{ "", 0, 10, -EINVAL, 0 },
	{ "abc", 0, 10, -EINVAL, 0 },
	{ "1.5", 0, 10, -EINVAL, 0 },
};

/* One row of num_cases: "parse_u64 'IN' MIN..MAX". */
static void test_parse_u64_row(void **state)
{
	const struct num_case *c = *state;
	__u64 v = 12345;
	int err = parse_u64("--n", c->in, c->min, c->max, &v);

	if (err != c->err)
		fail_msg("'%s': err %d, want %d", c->in, err, c->err);
	if (!err && v != c->want)
		fail_msg("'%s': %llu, want %llu", c->in, (unsigned long long)v,
			 (unsigned long long)c->want);
	if (err && v != 12345)
		fail_msg("'%s': output written on error", c->in);
}

static void num_case_name(char *buf, size_t len, const void *row, size_t i)
{
	const struct num_case *c = row;

	(void)i;
	snprintf(buf, len, "parse_u64 '%s' %llu..%llu", c->in, (unsigned long long)c->min,
		 (unsigned long long)c->max);
}

static void test_parse_u32_bounds(void **state)
{
	__u32 v = 0;

	(void)state;
	assert_int_equal(parse_u32("--x", "4294967295", 0, UINT32_MAX, &v), 0);
	assert_int_equal(v, UINT32_MAX);
	assert_int_equal(parse_u32("--x", "4294967296", 0, UINT32_MAX, &v), -ERANGE);
	assert_int_equal(parse_u32("--x", NULL, 0, 1, &v), -EINVAL);
}

struct sec_case {
	const char *in;
	int err;
	double want;
};

static const struct sec_case sec_cases[] = {
	{ "1", 0, 1.0 },       { "0.5", 0, 0.5 },     { "86400", 0, 86400.0 },
	{ "0", -ERANGE, 0 },   { "-1", -EINVAL, 0 },  { "1e400", -EINVAL, 0 },
	{ "nan", -EINVAL, 0 }, { "inf", -EINVAL, 0 }, { "1s", -EINVAL, 0 },
	{ "", -EINVAL, 0 },    { "1e9", -ERANGE, 0 },
};

/* One row of sec_cases: "parse_seconds 'IN'". */
static void test_parse_seconds_row(void **state)
{
	const struct sec_case *c = *state;
	double v = -1;
	int err = parse_seconds("--duration", c->in, 31536000.0, &v);

	if (err != c->err)
		fail_msg("'%s': err %d, want %d", c->in, err, c->err);
	if (!err && v != c->want)
		fail_msg("'%s': %g, want %g", c->in, v, c->want);
}

static void sec_case_name(char *buf, size_t len, const void *row, size_t i)
{
	(void)i;
	snprintf(buf, len, "parse_seconds '%s'", ((const struct sec_case *)row)->in);
}

struct dp_case {
	const char *opt; /* long name of a datapath row */
	const char *arg;
	int ret; /* 1 handled, < 0 error */
};

static const struct dp_case dp_cases[] = {
	{ "hook", "xdp", 1 },
	{ "hook", "tc", 1 },
	{ "hook", "XDP", -EINVAL },
	{ "direction", "in", 1 },
	{ "direction", "both", 1 },
	{ "direction", "sideways", -EINVAL },
	{ "xdp-mode", "generic", 1 },
	{ "xdp-mode", "offload", -EINVAL },
	{ "sample", "1", 1 },
	{ "sample", "0", -ERANGE },
	{ "rate-limit", "0", 1 },
	{ "rate-limit", "-5", -EINVAL },
	{ "snaplen", "64", 1 },
	{ "snaplen", "256", 1 },
	{ "snaplen", "63", -ERANGE },
	{ "snaplen", "257", -ERANGE },
	{ "ring-size", "4096", 1 },
	{ "ring-size", "5000", -EINVAL },
	{ "ring-size", "2048", -ERANGE },
	{ "max-flows", "15", -ERANGE },
	{ "max-hosts", "100000", 1 },
	{ "x", "whatever", 0 },
};

/* One row of dp_cases: "datapath --OPT 'ARG'". */
static void test_datapath_option_row(void **state)
{
	const struct dp_case *c = *state;
	struct rst_opts o;
	int ret;

	opts_default(&o);
	ret = opt_parse_one(datapath_rows, &o, c->opt, c->arg);
	if (ret != c->ret)
		fail_msg("option --%s '%s': %d, want %d", c->opt, c->arg, ret, c->ret);
}

static void dp_case_name(char *buf, size_t len, const void *row, size_t i)
{
	const struct dp_case *c = row;

	(void)i;
	snprintf(buf, len, "datapath --%s '%s'", c->opt, c->arg);
}

static void test_datapath_values(void **state)
{
	struct rst_opts o;

	(void)state;
	opts_default(&o);
	assert_int_equal(o.sample, 1);
	assert_int_equal(o.snaplen, RST_SNAPLEN_DEFAULT);
	assert_int_equal(o.dirs, DIR_BOTH);
	assert_int_equal(opt_parse_one(datapath_rows, &o, "direction", "out"), 1);
	assert_int_equal(o.dirs, DIR_OUT);
	assert_int_equal(opt_parse_one(datapath_rows, &o, "hook", "tc"), 1);
	assert_int_equal(o.ingress_hook, RST_HOOK_TC_INGRESS);
	assert_int_equal(opt_parse_one(datapath_rows, &o, "sample", "100"), 1);
	assert_int_equal(o.sample, 100);
	assert_true(o.set_sample);
}

static void test_escape_text(void **state)
{
	char out[64];

	(void)state;
	escape_text(out, sizeof(out), "eth0");
	assert_string_equal(out, "eth0");
	escape_text(out, sizeof(out), "a\nb\x1b[31m\\%s");
	assert_string_equal(out, "a\\x0ab\\x1b[31m\\x5c%s");
	escape_text(out, 8, "abcdefghijkl");
	assert_true(strlen(out) < 8);
	escape_text(out, sizeof(out), "\xff\x80");
	assert_string_equal(out, "\\xff\\x80");
}

int main(void)
{
	struct rowtests rt = { 0 };

	RT_ADD_ROWS(&rt, num_cases, test_parse_u64_row, num_case_name);
	rt_add(&rt, "test_parse_u32_bounds", test_parse_u32_bounds, NULL);
	RT_ADD_ROWS(&rt, sec_cases, test_parse_seconds_row, sec_case_name);
	RT_ADD_ROWS(&rt, dp_cases, test_datapath_option_row, dp_case_name);
	rt_add(&rt, "test_datapath_values", test_datapath_values, NULL);
	rt_add(&rt, "test_escape_text", test_escape_text, NULL);

	/* The parsers print their one-line errors; keep the test output clean. */
	log_set_level(-1);
	return rt_run(&rt, NULL, NULL);
}
