// SPDX-License-Identifier: GPL-2.0
/*
 * user/outputs/jsonw.{c,h}, the JSON writer: each row of the table is its
 * own cmocka test (named after the row), a function that writes through
 * the writer and the exact text expected. Every row runs twice, into a
 * string buffer and into a FILE, which must agree byte for byte. Then the
 * escaping across the writer's chunk size, a fixed buffer that is too
 * small, and the value forms on a FILE.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "rowtests.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

struct row {
	const char *name;
	void (*write)(struct json_writer *w);
	const char *want;
};

static void w_empty_object(struct json_writer *w)
{
	jw_start_object(w);
	jw_end_object(w);
}

static void w_empty_array(struct json_writer *w)
{
	jw_start_array(w);
	jw_end_array(w);
}

static void w_flat(struct json_writer *w)
{
	jw_start_object(w);
	jw_key(w, "a");
	jw_u64(w, 1);
	jw_key(w, "b");
	jw_str(w, "x");
	jw_key(w, "c");
	jw_bool(w, true);
	jw_key(w, "d");
	jw_null(w);
	jw_end_object(w);
}

static void w_nested(struct json_writer *w)
{
	jw_start_object(w);
	jw_key(w, "a");
	jw_start_array(w);
	jw_u64(w, 1);
	jw_u64(w, 2);
	jw_start_object(w);
	jw_key(w, "b");
	jw_start_array(w);
	jw_end_array(w);
	jw_end_object(w);
	jw_end_array(w);
	jw_key(w, "c");
	jw_start_object(w);
	jw_end_object(w);
	jw_key(w, "d");
	jw_u64(w, 3);
	jw_end_object(w);
}

static void w_array_of_objects(struct json_writer *w)
{
	int i;

	jw_start_array(w);
	for (i = 1; i <= 3; i++) {
		jw_start_object(w);
		jw_u64_field(w, "x", i);
		jw_end_object(w);
	}
	jw_end_array(w);
}

static void w_arrays_in_array(struct json_writer *w)
{
	jw_start_array(w);
	jw_start_array(w);
	jw_end_array(w);
	jw_start_array(w);
	jw_null(w);
	jw_end_array(w);
	jw_bool(w, false);
	jw_end_array(w);
}

static void w_escapes(struct json_writer *w)
{
	jw_str(w, "q\"b\\s/\b\f\n\r\t\x01\x1f\x7f\xff.");
}

static void w_escaped_key(struct json_writer *w)
{
	jw_start_object(w);
	jw_str_field(w, "k\"\n", "v");
	jw_end_object(w);
}

static void w_null_string(struct json_writer *w)
{
	jw_start_array(w);
	jw_str(w, NULL);
	jw_str(w, "");
	jw_end_array(w);
}

static void w_integers(struct json_writer *w)
{
	jw_start_array(w);
	jw_s64(w, -1);
	jw_s64(w, 0);
	jw_s64(w, INT64_MAX);
	jw_s64(w, INT64_MIN);
	jw_u64(w, UINT64_MAX);
	jw_u64(w, 4294967296ULL);
	jw_end_array(w);
}

static void w_floats(struct json_writer *w)
{
	jw_start_array(w);
	jw_double(w, 1.5);
	jw_double(w, NAN);
	jw_double(w, INFINITY);
	jw_double(w, -0.25);
	jw_double(w, 0.0004);
	jw_double(w, 123456789.0);
	jw_end_array(w);
}

static void w_times(struct json_writer *w)
{
	struct timespec t = { .tv_sec = 1714569198, .tv_nsec = 659757999 };

	jw_start_array(w);
	jw_time(w, 0);
	jw_time(w, 1714569198659757999ULL);
	jw_timespec(w, &t);
	jw_end_array(w);
}

static void w_fields(struct json_writer *w)
{
	jw_start_object(w);
	jw_str_field(w, "k", "v");
	jw_u64_field(w, "n", 7);
	jw_s64_field(w, "s", -3);
	jw_bool_field(w, "b", false);
	jw_null_field(w, "z");
	jw_time_field(w, "t", 1000);
	jw_str_field(w, "nul", NULL);
	jw_end_object(w);
}

/* Two documents in a row, as `status` would not but a caller may: no comma between. */
static void w_object_then_close_depth(struct json_writer *w)
{
	jw_start_object(w);
	jw_key(w, "o");
	jw_start_object(w);
	jw_u64_field(w, "i", 1);
	jw_end_object(w);
	jw_u64_field(w, "after", 2);
	jw_end_object(w);
}

static const struct row rows[] = {
	{ "empty_object", w_empty_object, "{}" },
	{ "empty_array", w_empty_array, "[]" },
	{ "flat_object", w_flat, "{\"a\":1,\"b\":\"x\",\"c\":true,\"d\":null}" },
	{ "nested", w_nested, "{\"a\":[1,2,{\"b\":[]}],\"c\":{},\"d\":3}" },
	{ "array_of_objects", w_array_of_objects, "[{\"x\":1},{\"x\":2},{\"x\":3}]" },
	{ "arrays_in_array", w_arrays_in_array, "[[],[null],false]" },
	{ "string_escapes", w_escapes,
	  "\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f\\u00ff.\"" },
	{ "escaped_key", w_escaped_key, "{\"k\\\"\\n\":\"v\"}" },
	{ "null_and_empty_string", w_null_string, "[null,\"\"]" },
	{ "integers", w_integers,
	  "[-1,0,9223372036854775807,-9223372036854775808,18446744073709551615,4294967296]" },
	{ "floats", w_floats, "[1.500,null,null,-0.250,0.000,123456789.000]" },
	{ "times", w_times,
	  "[\"1970-01-01T00:00:00.000000Z\",\"2024-05-01T13:13:18.659757Z\","
	  "\"2024-05-01T13:13:18.659757Z\"]" },
	{ "fields", w_fields,
	  "{\"k\":\"v\",\"n\":7,\"s\":-3,\"b\":false,\"z\":null,"
	  "\"t\":\"1970-01-01T00:00:00.000001Z\",\"nul\":null}" },
	{ "member_after_nested_object", w_object_then_close_depth,
	  "{\"o\":{\"i\":1},\"after\":2}" },
};

static void run_row(void **state)
{
	const struct row *r = *state;
	struct json_writer w;
	struct strbuf b = {};
	char *mem = NULL;
	size_t n = 0;
	FILE *f;

	jw_init_sb(&w, &b);
	r->write(&w);
	assert_int_equal(sb_done(&b), strlen(r->want));
	if (strcmp(b.p, r->want))
		fail_msg("row %s (strbuf): %s, expected %s", r->name, b.p, r->want);

	f = open_memstream(&mem, &n);
	assert_non_null(f);
	jw_init_file(&w, f);
	r->write(&w);
	assert_int_equal(fclose(f), 0);
	if (strcmp(mem, r->want))
		fail_msg("row %s (FILE): %s, expected %s", r->name, mem, r->want);
	free(mem);
	sb_free(&b);
}

/* Escapes straddling the writer's 256-byte chunks lose and double nothing. */
static void test_escape_across_chunks(void **state)
{
	char in[700], want[4200], *q = want;
	struct json_writer w;
	struct strbuf b = {};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) - 1; i++)
		in[i] = i % 3 == 0 ? '\x01' : i % 3 == 1 ? '"' : 'a';
	in[sizeof(in) - 1] = '\0';
	*q++ = '"';
	for (i = 0; i < sizeof(in) - 1; i++)
		q += sprintf(q, "%s", in[i] == 1 ? "\\u0001" : in[i] == '"' ? "\\\"" : "a");
	*q++ = '"';
	*q = '\0';
	jw_init_sb(&w, &b);
	jw_str(&w, in);
	assert_int_equal(sb_done(&b), strlen(want));
	assert_string_equal(b.p, want);
	sb_free(&b);
}

/* A fixed line buffer one byte short: the whole line fails, nothing half-written. */
static void test_fixed_buffer_too_small(void **state)
{
	const char *want = "{\"a\":[1,\"b\"]}";
	char buf[32];
	struct json_writer w;
	struct strbuf b;
	size_t len;

	(void)state;
	for (len = 1; len <= strlen(want) + 1; len++) {
		assert_int_equal(sb_init(&b, buf, len), 0);
		jw_init_sb(&w, &b);
		jw_start_object(&w);
		jw_key(&w, "a");
		jw_start_array(&w);
		jw_u64(&w, 1);
		jw_str(&w, "b");
		jw_end_array(&w);
		jw_end_object(&w);
		if (len <= strlen(want)) {
			assert_int_equal(sb_done(&b), -ENOSPC);
			assert_string_equal(buf, "");
		} else {
			assert_int_equal(sb_done(&b), strlen(want));
			assert_string_equal(buf, want);
		}
	}
}

/* The FILE forms of jw_str/jw_double/jw_time that cmd_top.c calls today. */
static void test_value_forms(void **state)
{
	struct json_writer w;
	char *mem = NULL;
	size_t n = 0;
	FILE *f;

	(void)state;
	f = open_memstream(&mem, &n);
	assert_non_null(f);
	jw_init_file(&w, f);
	jw_start_array(&w);
	jw_str(&w, "a\"b\x02");
	jw_double(&w, 2.0 / 3);
	jw_double(&w, NAN);
	jw_time(&w, 1714569198659757999ULL);
	jw_end_array(&w);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(mem, "[\"a\\\"b\\u0002\",0.667,null,\"2024-05-01T13:13:18.659757Z\"]");
	free(mem);
}

static void test_json_escape_buffer(void **state)
{
	char buf[8];

	(void)state;
	assert_int_equal(json_escape(buf, sizeof(buf), "a\nb", 3), 4);
	assert_string_equal(buf, "a\\nb");
	/* "\u0001" and the NUL need 7: 6 bytes is -ENOSPC and empty. */
	assert_int_equal(json_escape(buf, 6, "\x01", 1), -ENOSPC);
	assert_string_equal(buf, "");
	assert_int_equal(json_escape(buf, 7, "\x01", 1), 6);
	assert_int_equal(json_escape(NULL, 7, "a", 1), -ENOSPC);
}

int main(void)
{
	struct rowtests rt = { 0 };

	/* One test per row, named after it, so a failing row hides none of the others. */
	RT_ADD_ROWS(&rt, rows, run_row, rt_row_name);
	rt_add(&rt, "test_escape_across_chunks", test_escape_across_chunks, NULL);
	rt_add(&rt, "test_fixed_buffer_too_small", test_fixed_buffer_too_small, NULL);
	rt_add(&rt, "test_value_forms", test_value_forms, NULL);
	rt_add(&rt, "test_json_escape_buffer", test_json_escape_buffer, NULL);

	return rt_run(&rt, NULL, NULL);
}
