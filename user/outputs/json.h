/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One RST event as one line of JSON (watch --json), keys as docs/json.md
 * lists them, in a fixed order. Every string goes through json_escape():
 * RFC 8259 escapes, and any byte outside printable ASCII as \u00XX, so the
 * output is ASCII whatever the input. Functions return the length written
 * (without the NUL) or -ENOSPC, leaving an empty string.
 */
#ifndef RST_JSON_H
#define RST_JSON_H

#include <stddef.h>
#include <time.h>

#include "rsttrace.h"

/* What the line carries besides the event itself; NULL strings print null. */
struct json_info {
	const char *ifname;	     /* interface name, escaped */
	const struct timespec *wall; /* CLOCK_REALTIME of the event */
	const char *class;	     /* see classify.h */
	const char *reason;	     /* kernel reset reason, where known */
	const char *state;	     /* socket state, where known */
};

/* The event as one JSON object and '\n'. */
int json_event(char *buf, size_t len, const struct rst_event *e, const struct json_info *info);

/*
 * The contents of a JSON string (no quotes) for the n bytes at src:
 * '"' and '\\' escaped, \b \f \n \r \t for those controls, every other
 * byte below 0x20 or above 0x7e as \u00XX (so a byte is never lost and
 * never passed raw).
 */
int json_escape(char *dst, size_t len, const void *src, size_t n);

/* RFC 3339 UTC with microseconds, "2024-05-01T13:13:18.659757Z" (no quotes). */
int json_rfc3339(char *buf, size_t len, const struct timespec *wall);

/* tcpdump's letters for the TCP flags byte ("R.", "S", "none"). */
int json_tcp_flags(char *buf, size_t len, __u8 flags);

#endif
