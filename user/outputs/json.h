/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One RST event as one line of JSON (watch --json), keys as docs/json.md
 * lists them, in a fixed order. Every string goes through the JSON writer (jsonw.h):
 * RFC 8259 escapes, and any byte outside printable ASCII as \u00XX, so the
 * output is ASCII whatever the input. Functions return the length written
 * (without the NUL) or -ENOSPC, leaving an empty string.
 */
#ifndef RST_JSON_H
#define RST_JSON_H

#include <stddef.h>
#include <time.h>

#include "jsonw.h"
#include "rsttrace.h"

struct rst_why;

/* What the line carries besides the event itself; NULL strings print null. */
struct json_info {
	const char *ifname;	     /* interface name, escaped */
	const struct timespec *wall; /* CLOCK_REALTIME of the event */
	const char *class;	     /* see classify.h */
	const char *reason;	     /* kernel reset reason, where known */
	const char *state;	     /* socket state, where known */
	const struct rst_why *why;   /* fate, stage, owner (views/why.h); NULL: keys left out */
};

/* The event as one JSON object and '\n'. */
int json_event(char *buf, size_t len, const struct rst_event *e, const struct json_info *info);

/* json_escape() and json_rfc3339() are the writer's, in jsonw.h. */

/* tcpdump's letters for the TCP flags byte ("R.", "S", "none"). */
int json_tcp_flags(char *buf, size_t len, __u8 flags);

#endif
