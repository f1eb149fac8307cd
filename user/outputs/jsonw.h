/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few pieces of JSON output the table commands (status, top, flows,
 * stats) share: escaped strings, RFC 3339 UTC timestamps with
 * microseconds, and numbers that print null when they are not finite.
 */
#ifndef RST_JSONW_H
#define RST_JSONW_H

#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

/* A JSON string literal with its quotes; control and non-ASCII bytes as \u00XX. */
void jw_str(FILE *f, const char *s);
/* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" for a CLOCK_REALTIME stamp, quoted. */
void jw_time(FILE *f, __u64 real_ns);
/* A number with up to 3 decimals, or null when not finite. */
void jw_double(FILE *f, double v);

/* The RFC 3339 text jw_time prints, without quotes, into buf (>= 32 bytes). */
void fmt_rfc3339(char *buf, size_t len, __u64 real_ns);

#endif
