/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one JSON writer, as bpftool's json_writer: it tracks nesting and
 * commas, so a printer only says what comes next (jw_start_object,
 * jw_key, jw_str, jw_u64, ...) and the plain and JSON printers of one
 * object can sit side by side. It writes compact JSON (no spaces, no
 * newline: the caller ends the line) into a string buffer (event lines,
 * one write(2) each) or a FILE (the tables of status, top, flows, stats).
 *
 * Strings are escaped as RFC 8259 asks, and every byte outside printable
 * ASCII becomes \u00XX, so the output is ASCII whatever the input (names
 * need not be UTF-8). Times are RFC 3339 UTC with microseconds, truncated
 * as tcpdump and pcap files have them. Nesting deeper than JW_DEPTH_MAX is
 * a caller's bug; commas are then no longer tracked.
 */
#ifndef RST_JSONW_H
#define RST_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <linux/types.h>

#include "strbuf.h"

#define JW_DEPTH_MAX 63

struct json_writer {
	struct strbuf *sb; /* the text goes here, or when NULL ... */
	FILE *f;	   /* ... here */
	unsigned int depth;
	__u64 more;    /* bit d: a value was written at depth d, the next needs a comma */
	int after_key; /* a key was written: its value needs no comma */
};

void jw_init_sb(struct json_writer *w, struct strbuf *sb);
void jw_init_file(struct json_writer *w, FILE *f);

void jw_start_object(struct json_writer *w);
void jw_end_object(struct json_writer *w);
void jw_start_array(struct json_writer *w);
void jw_end_array(struct json_writer *w);

/* The key of the next member of the object being written. */
void jw_key(struct json_writer *w, const char *key);

/* Values. A NULL string is null. */
void jw_str(struct json_writer *w, const char *s);
void jw_u64(struct json_writer *w, __u64 v);
void jw_s64(struct json_writer *w, long long v);
void jw_bool(struct json_writer *w, bool v);
void jw_null(struct json_writer *w);
/* A number with 3 decimals ("%.3f"), or null when it is not finite. */
void jw_double(struct json_writer *w, double v);
/* A CLOCK_REALTIME stamp as "YYYY-MM-DDTHH:MM:SS.uuuuuuZ". */
void jw_time(struct json_writer *w, __u64 real_ns);
void jw_timespec(struct json_writer *w, const struct timespec *wall);

/* A member in one call: jw_key and the value. */
void jw_str_field(struct json_writer *w, const char *key, const char *s);
void jw_u64_field(struct json_writer *w, const char *key, __u64 v);
void jw_s64_field(struct json_writer *w, const char *key, long long v);
void jw_bool_field(struct json_writer *w, const char *key, bool v);
void jw_null_field(struct json_writer *w, const char *key);
void jw_time_field(struct json_writer *w, const char *key, __u64 real_ns);

/*
 * The contents of a JSON string (no quotes) for the n bytes at src:
 * '"' and '\\' escaped, \b \f \n \r \t for those controls, every other
 * byte below 0x20 or above 0x7e as \u00XX (so a byte is never lost and
 * never passed raw). Appended to b.
 */
void sb_json_escaped(struct strbuf *b, const void *src, size_t n);

/* The same into dst[len]: the length, or -ENOSPC leaving an empty string. */
int json_escape(char *dst, size_t len, const void *src, size_t n);

/* RFC 3339 UTC with microseconds, "2024-05-01T13:13:18.659757Z" (no quotes). */
int json_rfc3339(char *buf, size_t len, const struct timespec *wall);

/* The text jw_time() prints, without quotes, into buf (>= 32 bytes). */
void fmt_rfc3339(char *buf, size_t len, __u64 real_ns);

#endif
