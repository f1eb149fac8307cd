// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "jsonw.h"

/* Escaping and timestamps are json.c's, so every JSON rsttrace prints agrees. */
void jw_str(FILE *f, const char *s)
{
	char buf[6 * 256 + 1];
	size_t n = strlen(s);

	/* Interface names and addresses: far below the buffer; longer is cut, never raw. */
	if (n > 250)
		n = 250;
	if (json_escape(buf, sizeof(buf), s, n) < 0)
		buf[0] = '\0';
	fprintf(f, "\"%s\"", buf);
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
