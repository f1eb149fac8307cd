// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sparkline.h"

#define NS 1000000000ULL

static const char *const utf8_levels[8] = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
static const char ascii_levels[8] = { '_', '.', '-', ':', '=', '+', '*', '#' };

void hist_init(struct rate_hist *h)
{
	int i;

	for (i = 0; i < SPARK_SECS; i++) {
		h->v[i] = 0;
		h->sec[i] = -1;
	}
}

void hist_add(struct rate_hist *h, __u64 from_ns, __u64 to_ns, double rate)
{
	__s64 s, first, last;

	if (to_ns <= from_ns)
		return;
	first = (__s64)(from_ns / NS);
	last = (__s64)((to_ns - 1) / NS);
	/* Only the latest minute can ever be drawn. */
	if (last - first >= SPARK_SECS)
		first = last - SPARK_SECS + 1;
	for (s = first; s <= last; s++) {
		int i = (int)(s % SPARK_SECS);

		if (h->sec[i] != s) {
			h->sec[i] = s;
			h->v[i] = rate;
		} else if (rate > h->v[i]) {
			h->v[i] = rate;
		}
	}
}

/* Bin of second s, if it holds that second: its value in *v. */
static int bin(const struct rate_hist *h, __s64 s, double *v)
{
	int i = (int)(s % SPARK_SECS);

	if (s < 0 || h->sec[i] != s)
		return 0;
	*v = h->v[i];
	return 1;
}

double hist_max(const struct rate_hist *h, __u64 now_ns)
{
	__s64 now = (__s64)(now_ns / NS), s;
	double m = 0, v;

	for (s = now - SPARK_SECS + 1; s <= now; s++)
		if (bin(h, s, &v) && v > m)
			m = v;
	return m;
}

int spark_render(char *buf, size_t len, const struct rate_hist *h, __u64 now_ns, int width,
		 int utf8, double scale)
{
	__s64 start = (__s64)(now_ns / NS) - SPARK_SECS + 1, s;
	size_t n = 0;
	int c, lo, hi, level, have;
	double m, v;

	if (width < 1 || width > SPARK_SECS || len < (size_t)width * (utf8 ? 3 : 1) + 1)
		return -ENOSPC;
	for (c = 0; c < width; c++) {
		/* Character c covers seconds [lo, hi) of the minute. */
		lo = c * SPARK_SECS / width;
		hi = (c + 1) * SPARK_SECS / width;
		have = 0;
		m = 0;
		for (s = start + lo; s < start + hi; s++) {
			if (bin(h, s, &v)) {
				if (!have || v > m)
					m = v;
				have = 1;
			}
		}
		if (!have) {
			buf[n++] = ' ';
			continue;
		}
		/* Zero is the baseline; any rate above it shows at least one step. */
		if (m <= 0 || scale <= 0)
			level = 0;
		else
			level = 1 + (int)(m / scale * 6.999);
		if (level > 7)
			level = 7;
		if (utf8) {
			memcpy(buf + n, utf8_levels[level], 3);
			n += 3;
		} else {
			buf[n++] = ascii_levels[level];
		}
	}
	buf[n] = '\0';
	return (int)n;
}

int spark_locale_utf8(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_CTYPE", "LANG" };
	const char *v;
	size_t i;

	/* The first one set decides, as setlocale(3) would, without changing ours. */
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		v = getenv(vars[i]);
		if (v && *v)
			return strcasestr(v, "utf-8") || strcasestr(v, "utf8");
	}
	return 0;
}
