// SPDX-License-Identifier: GPL-2.0
/*
 * user/outputs/strbuf.{c,h}, the one string buffer: each row of the table
 * is its own cmocka test (named after the row), a script of appends on a
 * fixed buffer of a given size or on a growing one, with the exact text
 * and result expected. Fixed buffers fail whole and stay failed; the digit
 * writers print what printf would.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "rowtests.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

/* Rows leave their trailing fields zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

enum op_kind {
	OP_END = 0,
	OP_RAW,
	OP_RAW_N,
	OP_CHAR,
	OP_PRINTF,
	OP_U32,
	OP_U64,
	OP_SP_U32,
	OP_IP4
};

struct op {
	enum op_kind kind;
	const char *s;
	__u64 v;
};

struct row {
	const char *name;
	size_t cap; /* 0: a growing buffer */
	struct op ops[6];
	int ret;	  /* sb_done(): the length, or -errno */
	const char *text; /* what the buffer holds after sb_done() */
	size_t check_len; /* for long texts: only the length and the last bytes */
};

#define RAW(x)                                                                                     \
	{                                                                                          \
		OP_RAW, (x), 0                                                                     \
	}
#define U32(x)                                                                                     \
	{                                                                                          \
		OP_U32, NULL, (x)                                                                  \
	}
#define U64(x)                                                                                     \
	{                                                                                          \
		OP_U64, NULL, (x)                                                                  \
	}

static const struct row rows[] = {
	{ "fixed_fits_with_nul", 6, { RAW("abcde") }, 5, "abcde" },
	{ "fixed_no_room_for_nul", 5, { RAW("abcde") }, -ENOSPC, "" },
	{ "fixed_stays_failed", 4, { RAW("abcd"), RAW("") }, -ENOSPC, "" },
	{ "fixed_small_after_full_dropped", 5, { RAW("abc"), RAW("defg"), RAW("d") }, -ENOSPC, "" },
	{ "fixed_empty", 1, { { OP_END } }, 0, "" },
	{ "fixed_chars", 4, { { OP_CHAR, "x" }, { OP_CHAR, "y" }, { OP_CHAR, "z" } }, 3, "xyz" },
	{ "fixed_printf_fits", 16, { RAW("a"), { OP_PRINTF, "xy", 7 } }, 6, "a[xy7]" },
	{ "fixed_printf_exact", 6, { { OP_PRINTF, "xy", 7 } }, 5, "[xy7]" },
	{ "fixed_printf_cut", 5, { { OP_PRINTF, "xy", 7 } }, -ENOSPC, "" },
	{ "fixed_printf_after_text_cut", 8, { RAW("abc"), { OP_PRINTF, "xy", 7 } }, -ENOSPC, "" },
	{ "u32_zero", 16, { U32(0) }, 1, "0" },
	{ "u32_nine", 16, { U32(9) }, 1, "9" },
	{ "u32_ten", 16, { U32(10) }, 2, "10" },
	{ "u32_99999", 16, { U32(99999) }, 5, "99999" },
	{ "u32_100000", 16, { U32(100000) }, 6, "100000" },
	{ "u32_max", 16, { U32(4294967295U) }, 10, "4294967295" },
	/* The worst case (10) does not fit: written in scratch, then copied. */
	{ "u32_scratch_fits", 4, { U32(123) }, 3, "123" },
	{ "u32_scratch_full", 4, { U32(1234) }, -ENOSPC, "" },
	{ "sp_u32", 16, { RAW("ttl"), { OP_SP_U32, NULL, 64 } }, 6, "ttl 64" },
	{ "u64_zero", 32, { U64(0) }, 1, "0" },
	{ "u64_2p32", 32, { U64(4294967296ULL) }, 10, "4294967296" },
	{ "u64_1e10", 32, { U64(10000000000ULL) }, 11, "10000000000" },
	{ "u64_1e16_plus_1", 32, { U64(10000000000000001ULL) }, 17, "10000000000000001" },
	{ "u64_max", 32, { U64(18446744073709551615ULL) }, 20, "18446744073709551615" },
	{ "ip4", 32, { { OP_IP4, "\x0a\x00\xff\x01" } }, 10, "10.0.255.1" },
	{ "ip4_longest", 16, { { OP_IP4, "\xff\xff\xff\xff" } }, 15, "255.255.255.255" },
	{ "ip4_cut", 15, { { OP_IP4, "\xff\xff\xff\xff" } }, -ENOSPC, "" },
	{ "growing_empty_append", 0, { RAW("") }, 0, "" },
	{ "growing_text",
	  0,
	  { RAW("a"), { OP_PRINTF, "b", 1 }, U64(2), { OP_CHAR, "c" } },
	  7,
	  "a[b1]2c" },
	/* Past the first 16 KiB allocation, twice. */
	{ "growing_past_16k",
	  0,
	  { { OP_RAW_N, "0123456789", 5000 }, RAW("end") },
	  50003,
	  "9end",
	  50003 },
	{ "growing_printf_past_16k",
	  0,
	  { { OP_RAW_N, "x", 16380 }, { OP_PRINTF, "long", 12345 } },
	  16380 + 11,
	  "x[long12345]",
	  16380 + 11 },
};

static void apply(struct strbuf *b, const struct op *op)
{
	char *q, t[16];
	__u64 i;

	switch (op->kind) {
	case OP_END:
		break;
	case OP_RAW:
		sb_str(b, op->s);
		break;
	case OP_RAW_N:
		for (i = 0; i < op->v; i++)
			sb_str(b, op->s);
		break;
	case OP_CHAR:
		sb_char(b, op->s[0]);
		break;
	case OP_PRINTF:
		sb_printf(b, "[%s%llu]", op->s, (unsigned long long)op->v);
		break;
	case OP_U32:
		sb_u32(b, (__u32)op->v);
		break;
	case OP_U64:
		sb_u64(b, op->v);
		break;
	case OP_SP_U32:
		sb_sp_u32(b, (__u32)op->v);
		break;
	case OP_IP4:
		q = sb_begin(b, t, 15);
		sb_end(b, q, put_ip4(q, (const __u8 *)op->s));
		break;
	}
}

static void run_row(void **state)
{
	const struct row *r = *state;
	char *mem = NULL;
	struct strbuf b = {};
	size_t i;
	int ret;

	if (r->cap) {
		/* Exactly cap bytes on the heap: ASan and valgrind see any overrun. */
		mem = malloc(r->cap);
		assert_non_null(mem);
		assert_int_equal(sb_init(&b, mem, r->cap), 0);
	}
	for (i = 0; i < sizeof(r->ops) / sizeof(r->ops[0]) && r->ops[i].kind != OP_END; i++)
		apply(&b, &r->ops[i]);
	ret = sb_done(&b);
	if (ret != r->ret)
		fail_msg("row %s: sb_done() %d, expected %d", r->name, ret, r->ret);
	if (r->check_len) {
		size_t n = strlen(r->text);

		assert_int_equal(b.len, r->check_len);
		assert_int_equal(strlen(b.p), r->check_len);
		assert_memory_equal(b.p + b.len - n, r->text, n);
	} else if (b.p) {
		if (strcmp(b.p, r->text))
			fail_msg("row %s: text \"%s\", expected \"%s\"", r->name, b.p, r->text);
	} else {
		/* A growing buffer never appended to holds nothing at all. */
		assert_string_equal(r->text, "");
	}
	sb_free(&b);
	assert_int_equal(b.len, 0);
	free(mem);
}

static void test_init_errors(void **state)
{
	struct strbuf b;
	char c = 'x';

	(void)state;
	assert_int_equal(sb_init(&b, NULL, 10), -EINVAL);
	assert_int_equal(sb_init(&b, &c, 0), -ENOSPC);
	assert_int_equal(c, 'x');
	assert_int_equal(sb_init(&b, &c, 1), 0);
	assert_int_equal(c, '\0');
}

static void test_reset_keeps_memory(void **state)
{
	struct strbuf b = {};
	char *p;

	(void)state;
	sb_str(&b, "abc");
	p = b.p;
	sb_reset(&b);
	assert_ptr_equal(b.p, p);
	assert_int_equal(sb_done(&b), 0);
	assert_string_equal(b.p, "");
	sb_str(&b, "de");
	assert_int_equal(sb_done(&b), 2);
	assert_string_equal(b.p, "de");
	sb_free(&b);
	assert_null(b.p);
}

/* put_u32 and put_u64 against printf over edges and a pseudo-random walk. */
static void test_digits_match_printf(void **state)
{
	char want[32], got[32];
	__u64 x = 0x9e3779b97f4a7c15ULL, v;
	int i, k;

	(void)state;
	for (i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* Every length: keep 1 to 64 bits. */
		k = i % 64;
		v = k == 63 ? x : x & ((2ULL << k) - 1);
		snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
		*put_u64(got, v) = '\0';
		if (strcmp(want, got))
			fail_msg("put_u64(%s) printed %s", want, got);
		snprintf(want, sizeof(want), "%u", (__u32)v);
		*put_u32(got, (__u32)v) = '\0';
		if (strcmp(want, got))
			fail_msg("put_u32(%s) printed %s", want, got);
		snprintf(want, sizeof(want), "%x", (__u16)v);
		*put_x16(got, (__u16)v) = '\0';
		if (strcmp(want, got))
			fail_msg("put_x16(%s) printed %s", want, got);
	}
}

int main(void)
{
	struct rowtests rt = { 0 };

	/* One test per row, named after it, so a failing row hides none of the others. */
	RT_ADD_ROWS(&rt, rows, run_row, rt_row_name);
	rt_add(&rt, "test_init_errors", test_init_errors, NULL);
	rt_add(&rt, "test_reset_keeps_memory", test_reset_keeps_memory, NULL);
	rt_add(&rt, "test_digits_match_printf", test_digits_match_printf, NULL);

	return rt_run(&rt, NULL, NULL);
}
