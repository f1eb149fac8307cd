// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <time.h>

#include "jsonw.h"

void jw_str(FILE *f, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
		} else if (c < 0x20 || c >= 0x7f) {
			/* Interface names are bytes, not UTF-8: escape them one by one. */
			fprintf(f, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
		} else {
			fputc(c, f);
		}
	}
	fputc('"', f);
}

void fmt_rfc3339(char *buf, size_t len, __u64 real_ns)
{
	time_t sec = (time_t)(real_ns / 1000000000ULL);
	struct tm tm;
	size_t n;

	gmtime_r(&sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%06lluZ",
		 (unsigned long long)(real_ns % 1000000000ULL / 1000));
}

void jw_time(FILE *f, __u64 real_ns)
{
	char buf[40];

	fmt_rfc3339(buf, sizeof(buf), real_ns);
	fprintf(f, "\"%s\"", buf);
}

void jw_double(FILE *f, double v)
{
	if (!isfinite(v))
		fputs("null", f);
	else
		fprintf(f, "%.3f", v);
}
