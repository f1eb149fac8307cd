/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A rate's history over the last minute, for top's sparklines: one bin per
 * wall second (monotonic clock), each holding the highest rate of the
 * samples that overlapped that second, so that a sample of several seconds
 * fills each of them and several samples in one second keep the peak.
 * Rendered as WIDTH characters, oldest left, each the highest bin of its
 * share of the minute, scaled to a maximum the caller gives (its own, or
 * a table's): ▁ for zero up to █ (UTF-8), or _ . - : = + * # (ASCII);
 * a blank where nothing was sampled yet.
 */
#ifndef RST_SPARKLINE_H
#define RST_SPARKLINE_H

#include <stddef.h>
#include <linux/types.h>

#define SPARK_SECS 60

struct rate_hist {
	double v[SPARK_SECS];
	__s64 sec[SPARK_SECS]; /* the second bin i holds (sec % SPARK_SECS == i); -1: none */
};

void hist_init(struct rate_hist *h);
/* A rate measured from from_ns to to_ns (CLOCK_MONOTONIC). */
void hist_add(struct rate_hist *h, __u64 from_ns, __u64 to_ns, double rate);
/* The highest rate of the minute that ends at now_ns; 0 when none. */
double hist_max(const struct rate_hist *h, __u64 now_ns);
/*
 * The minute ending at now_ns as width (1..SPARK_SECS) characters into buf,
 * scaled so that scale is the full block; bytes written (buf NUL-ended),
 * or -ENOSPC when len is short (4 bytes a character in UTF-8).
 */
int spark_render(char *buf, size_t len, const struct rate_hist *h, __u64 now_ns, int width,
		 int utf8, double scale);

/* Whether the locale's character set is UTF-8 (LC_ALL, LC_CTYPE, LANG, the first set). */
int spark_locale_utf8(void);

#endif
