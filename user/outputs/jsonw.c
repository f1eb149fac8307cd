// SPDX-License-Identifier: GPL-2.0
/*
 * The JSON writer. Everything it prints goes through jw_put(), the one
 * place that knows whether the target is a string buffer or a FILE; no
 * input is ever used as a format.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "jsonw.h"

static void jw_put(struct json_writer *w, const char *s, size_t n)
{
	if (w->sb)
		sb_raw(w->sb, s, n);
	else
		fwrite(s, 1, n, w->f);
}

#define jw_lit(w, s) jw_put((w), (s), sizeof(s) - 1)

void jw_init_sb(struct json_writer *w, struct strbuf *sb)
{
	*w = (struct json_writer){ .sb = sb };
}

void jw_init_file(struct json_writer *w, FILE *f)
{
	*w = (struct json_writer){ .f = f };
}

/*
 * Whether what comes next (a value or a key) needs a comma before it: not
 * the first at its depth, nor a key's value. Values write the comma and
 * themselves in one jw_put(): an event line is some 70 of them.
 */
static int jw_comma(struct json_writer *w)
{
	__u64 bit = w->depth <= JW_DEPTH_MAX ? 1ULL << w->depth : 0;
	int comma;

	if (w->after_key) {
		w->after_key = 0;
		return 0;
	}
	comma = !!(w->more & bit);
	w->more |= bit;
	return comma;
}

static void jw_open(struct json_writer *w, char c)
{
	char t[2], *q = t;

	if (jw_comma(w))
		*q++ = ',';
	*q++ = c;
	jw_put(w, t, (size_t)(q - t));
	w->depth++;
	if (w->depth <= JW_DEPTH_MAX)
		w->more &= ~(1ULL << w->depth);
}

static void jw_close(struct json_writer *w, char c)
{
	if (w->depth)
		w->depth--;
	w->after_key = 0;
	jw_put(w, &c, 1);
}

void jw_start_object(struct json_writer *w)
{
	jw_open(w, '{');
}

void jw_end_object(struct json_writer *w)
{
	jw_close(w, '}');
}

void jw_start_array(struct json_writer *w)
{
	jw_open(w, '[');
}

void jw_end_array(struct json_writer *w)
{
	jw_close(w, ']');
}

/* The bytes a JSON string holds as they are: printable ASCII but '"' and '\\'. */
static int jw_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* The escaped text of s[n]: each run of plain bytes in one piece. */
static void jw_escaped(struct json_writer *w, const void *src, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = src;
	size_t i = 0, k;
	char e[6];

	while (i < n) {
		for (k = i; k < n && jw_plain(s[k]); k++)
			;
		if (k > i)
			jw_put(w, (const char *)s + i, k - i);
		if (k == n)
			break;
		e[0] = '\\';
		switch (s[k]) {
		case '"':
		case '\\':
			e[1] = (char)s[k];
			break;
		case '\b':
			e[1] = 'b';
			break;
		case '\f':
			e[1] = 'f';
			break;
		case '\n':
			e[1] = 'n';
			break;
		case '\r':
			e[1] = 'r';
			break;
		case '\t':
			e[1] = 't';
			break;
		default:
			/*
			 * Controls must be escaped (RFC 8259 7); DEL and bytes
			 * >= 0x80 are, too, as the code point of the same value,
			 * since they need not be valid UTF-8.
			 */
			memcpy(e + 1, "u00", 3);
			e[4] = hex[s[k] >> 4];
			e[5] = hex[s[k] & 15];
			jw_put(w, e, 6);
			i = k + 1;
			continue;
		}
		jw_put(w, e, 2);
		i = k + 1;
	}
}

/*
 * s quoted, with a comma before it if comma and then post (":" after a
 * key, or nothing): in one jw_put() when s is short and plain, as keys
 * and most values are.
 */
static void jw_quoted(struct json_writer *w, int comma, const char *s, const char *post)
{
	size_t n = strlen(s), np = strlen(post), k;
	char t[128], *q = t;

	for (k = 0; k < n && jw_plain((unsigned char)s[k]); k++)
		;
	if (k == n && n + np + 3 <= sizeof(t)) {
		if (comma)
			*q++ = ',';
		*q++ = '"';
		q = put_lit(q, s, n);
		*q++ = '"';
		q = put_lit(q, post, np);
		jw_put(w, t, (size_t)(q - t));
		return;
	}
	if (comma)
		jw_lit(w, ",\"");
	else
		jw_lit(w, "\"");
	jw_escaped(w, s, n);
	jw_lit(w, "\"");
	jw_put(w, post, np);
}

void jw_key(struct json_writer *w, const char *key)
{
	jw_quoted(w, jw_comma(w), key, ":");
	w->after_key = 1;
}

void jw_str(struct json_writer *w, const char *s)
{
	if (!s) {
		jw_null(w);
		return;
	}
	jw_quoted(w, jw_comma(w), s, "");
}

void jw_u64(struct json_writer *w, __u64 v)
{
	char t[21], *q = t;

	if (jw_comma(w))
		*q++ = ',';
	q = put_u64(q, v);
	jw_put(w, t, (size_t)(q - t));
}

void jw_s64(struct json_writer *w, long long v)
{
	char t[22], *q = t;

	if (jw_comma(w))
		*q++ = ',';
	if (v < 0)
		*q++ = '-';
	/* The magnitude in unsigned arithmetic: -LLONG_MIN does not fit a long long. */
	q = put_u64(q, v < 0 ? 0 - (__u64)v : (__u64)v);
	jw_put(w, t, (size_t)(q - t));
}

/* A literal value (true, false, null) with its comma. */
static void jw_word(struct json_writer *w, const char *s, size_t n)
{
	char t[6], *q = t;

	if (jw_comma(w))
		*q++ = ',';
	q = put_lit(q, s, n);
	jw_put(w, t, (size_t)(q - t));
}

void jw_bool(struct json_writer *w, bool v)
{
	if (v)
		jw_word(w, "true", 4);
	else
		jw_word(w, "false", 5);
}

void jw_null(struct json_writer *w)
{
	jw_word(w, "null", 4);
}

void jw_double(struct json_writer *w, double v)
{
	char t[330]; /* DBL_MAX is 309 digits: "%.3f" never cuts */
	int n;

	if (!isfinite(v)) {
		jw_null(w);
		return;
	}
	if (jw_comma(w))
		jw_lit(w, ",");
	n = snprintf(t, sizeof(t), "%.3f", v);
	jw_put(w, t, n < 0 ? 0 : (size_t)n < sizeof(t) ? (size_t)n : sizeof(t) - 1);
}

void jw_timespec(struct json_writer *w, const struct timespec *wall)
{
	char t[40];

	if (json_rfc3339(t, sizeof(t), wall) < 0)
		t[0] = '\0';
	jw_quoted(w, jw_comma(w), t, "");
}

void jw_time(struct json_writer *w, __u64 real_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(real_ns / 1000000000ULL),
		.tv_nsec = (long)(real_ns % 1000000000ULL),
	};

	jw_timespec(w, &ts);
}

void jw_str_field(struct json_writer *w, const char *key, const char *s)
{
	jw_key(w, key);
	jw_str(w, s);
}

void jw_u64_field(struct json_writer *w, const char *key, __u64 v)
{
	jw_key(w, key);
	jw_u64(w, v);
}

void jw_s64_field(struct json_writer *w, const char *key, long long v)
{
	jw_key(w, key);
	jw_s64(w, v);
}

void jw_bool_field(struct json_writer *w, const char *key, bool v)
{
	jw_key(w, key);
	jw_bool(w, v);
}

void jw_null_field(struct json_writer *w, const char *key)
{
	jw_key(w, key);
	jw_null(w);
}

void jw_time_field(struct json_writer *w, const char *key, __u64 real_ns)
{
	jw_key(w, key);
	jw_time(w, real_ns);
}

void sb_json_escaped(struct strbuf *b, const void *src, size_t n)
{
	struct json_writer w;

	jw_init_sb(&w, b);
	jw_escaped(&w, src, n);
}

int json_escape(char *dst, size_t len, const void *src, size_t n)
{
	struct strbuf b;

	if (!dst)
		return -ENOSPC;
	if (sb_init(&b, dst, len))
		return -ENOSPC;
	sb_json_escaped(&b, src, n);
	return sb_done(&b);
}

int json_rfc3339(char *buf, size_t len, const struct timespec *wall)
{
	struct strbuf b;
	struct tm tm;
	time_t sec;
	long ns;

	if (!buf || sb_init(&b, buf, len))
		return -ENOSPC;
	sec = wall->tv_sec;
	ns = wall->tv_nsec;
	if (ns < 0 || ns > 999999999)
		ns = 0;
	if (!gmtime_r(&sec, &tm)) {
		b.err = -ENOSPC;
		return sb_done(&b);
	}
	/* Microseconds truncated, as tcpdump and pcap files have them. */
	sb_printf(&b, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ns / 1000);
	return sb_done(&b);
}

void fmt_rfc3339(char *buf, size_t len, __u64 real_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(real_ns / 1000000000ULL),
		.tv_nsec = (long)(real_ns % 1000000000ULL),
	};

	if (json_rfc3339(buf, len, &ts) < 0 && len)
		buf[0] = '\0';
}
