// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

int parse_u64(const char *opt, const char *s, __u64 min, __u64 max, __u64 *out)
{
	unsigned long long v;
	char *end;

	/* strtoull accepts "-1" and leading blanks; a count must not. */
	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ' || *s == '\t') {
		pr_warn("invalid %s '%s': not a number", opt, s ? s : "");
		return -EINVAL;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE || v > max || v < min) {
		pr_warn("invalid %s '%s': out of range %llu..%llu", opt, s, (unsigned long long)min,
			(unsigned long long)max);
		return -ERANGE;
	}
	if (errno || end == s || *end) {
		pr_warn("invalid %s '%s': not a number", opt, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int parse_u32(const char *opt, const char *s, __u32 min, __u32 max, __u32 *out)
{
	__u64 v;
	int err;

	err = parse_u64(opt, s, min, max, &v);
	if (!err)
		*out = (__u32)v;
	return err;
}

int parse_seconds(const char *opt, const char *s, double max, double *out)
{
	char *end;
	double v;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ') {
		pr_warn("invalid %s '%s': not a number of seconds", opt, s ? s : "");
		return -EINVAL;
	}
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v)) {
		pr_warn("invalid %s '%s': not a number of seconds", opt, s);
		return -EINVAL;
	}
	if (v <= 0 || v > max) {
		pr_warn("invalid %s '%s': out of range (0, %g]", opt, s, max);
		return -ERANGE;
	}
	*out = v;
	return 0;
}

static __u64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

__u64 now_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

__u64 now_real_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

__s64 mono_to_real_offset(void)
{
	__u64 r1, m, r2;

	r1 = now_real_ns();
	m = now_mono_ns();
	r2 = now_real_ns();
	return (__s64)(r1 / 2 + r2 / 2) - (__s64)m;
}

size_t escape_text(char *dst, size_t len, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (!len)
		return 0;
	for (; *src && o + 5 < len; src++) {
		unsigned char c = (unsigned char)*src;

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			dst[o++] = (char)c;
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	dst[o] = '\0';
	return o;
}

const char *esc_str(char buf[ESC_LEN], const char *s)
{
	escape_text(buf, ESC_LEN, s ? s : "");
	return buf;
}
