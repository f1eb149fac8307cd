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

/* What comes before any value or key: a comma unless it is the first at its depth. */
static void jw_sep(struct json_writer *w)
{
	__u64 bit = w->depth <= JW_DEPTH_MAX ? 1ULL << w->depth : 0;

	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (w->more & bit)
		jw_lit(w, ",");
	w->more |= bit;
}

static void jw_open(struct json_writer *w, char c)
{
	jw_sep(w);
	jw_put(w, &c, 1);
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

/*
 * The escaped text of s[n], a chunk at a time through a small array: one
 * copy (or one fwrite) per chunk rather than per byte.
 */
static void jw_escaped(struct json_writer *w, const void *src, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = src;
	char t[256];
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (k > sizeof(t) - 6) {
			jw_put(w, t, k);
			k = 0;
		}
		switch (c) {
		case '"':
		case '\\':
			t[k++] = '\\';
			t[k++] = (char)c;
			continue;
		case '\b':
			t[k++] = '\\';
			t[k++] = 'b';
			continue;
		case '\f':
			t[k++] = '\\';
			t[k++] = 'f';
			continue;
		case '\n':
			t[k++] = '\\';
			t[k++] = 'n';
			continue;
		case '\r':
			t[k++] = '\\';
			t[k++] = 'r';
			continue;
		case '\t':
			t[k++] = '\\';
			t[k++] = 't';
			continue;
		}
		if (c >= 0x20 && c < 0x7f) {
			t[k++] = (char)c;
			continue;
		}
		/*
		 * Controls must be escaped (RFC 8259 7); DEL and bytes >= 0x80
		 * are, too, as the code point of the same value, since they
		 * need not be valid UTF-8.
		 */
		memcpy(t + k, "\\u00", 4);
		t[k + 4] = hex[c >> 4];
		t[k + 5] = hex[c & 15];
		k += 6;
	}
	if (k)
		jw_put(w, t, k);
}

static void jw_quoted(struct json_writer *w, const char *s)
{
	jw_lit(w, "\"");
	jw_escaped(w, s, strlen(s));
	jw_lit(w, "\"");
}

void jw_key(struct json_writer *w, const char *key)
{
	jw_sep(w);
	jw_quoted(w, key);
	jw_lit(w, ":");
	w->after_key = 1;
}

void jw_string(struct json_writer *w, const char *s)
{
	if (!s) {
		jw_null(w);
		return;
	}
	jw_sep(w);
	jw_quoted(w, s);
}

void jw_u64(struct json_writer *w, __u64 v)
{
	char t[20];

	jw_sep(w);
	jw_put(w, t, (size_t)(put_u64(t, v) - t));
}

void jw_s64(struct json_writer *w, long long v)
{
	char t[21], *q = t;

	jw_sep(w);
	if (v < 0)
		*q++ = '-';
	/* The magnitude in unsigned arithmetic: -LLONG_MIN does not fit a long long. */
	q = put_u64(q, v < 0 ? 0 - (__u64)v : (__u64)v);
	jw_put(w, t, (size_t)(q - t));
}

void jw_bool(struct json_writer *w, bool v)
{
	jw_sep(w);
	if (v)
		jw_lit(w, "true");
	else
		jw_lit(w, "false");
}

void jw_null(struct json_writer *w)
{
	jw_sep(w);
	jw_lit(w, "null");
}

void jw_float(struct json_writer *w, double v)
{
	char t[330]; /* DBL_MAX is 309 digits: "%.3f" never cuts */
	int n;

	if (!isfinite(v)) {
		jw_null(w);
		return;
	}
	jw_sep(w);
	n = snprintf(t, sizeof(t), "%.3f", v);
	jw_put(w, t, n < 0 ? 0 : (size_t)n < sizeof(t) ? (size_t)n : sizeof(t) - 1);
}

void jw_timespec(struct json_writer *w, const struct timespec *wall)
{
	char t[40];

	if (json_rfc3339(t, sizeof(t), wall) < 0)
		t[0] = '\0';
	jw_sep(w);
	jw_lit(w, "\"");
	jw_put(w, t, strlen(t));
	jw_lit(w, "\"");
}

void jw_timestamp(struct json_writer *w, __u64 real_ns)
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
	jw_string(w, s);
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
	jw_timestamp(w, real_ns);
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

void jw_fstr(FILE *f, const char *s)
{
	struct json_writer w;

	jw_init_file(&w, f);
	jw_string(&w, s);
}

void jw_fdouble(FILE *f, double v)
{
	struct json_writer w;

	jw_init_file(&w, f);
	jw_float(&w, v);
}

void jw_ftime(FILE *f, __u64 real_ns)
{
	struct json_writer w;

	jw_init_file(&w, f);
	jw_timestamp(&w, real_ns);
}
