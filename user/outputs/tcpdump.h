/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The text line of an RST event: byte for byte the line `tcpdump -nn -S`
 * (4.99) prints for the same frame, decoded from the event's header
 * snapshot, with optional timestamp, `-i any` prefix and rsttrace's own
 * extras after it. Functions return the length written (without the NUL)
 * or -errno; -ENOSPC when the buffer is too small, which is then left
 * holding an empty string.
 */
#ifndef RST_TCPDUMP_H
#define RST_TCPDUMP_H

#include <stddef.h>
#include <time.h>

#include "rsttrace.h"

struct rst_why;

/* tcpdump's -t options. */
enum ts_mode {
	TS_DEFAULT = 0, /* HH:MM:SS.uuuuuu, local time */
	TS_NONE,	/* -t */
	TS_EPOCH,	/* -tt: seconds.uuuuuu since the epoch */
	TS_DELTA,	/* -ttt: [-]HH:MM:SS.uuuuuu since the previous line */
	TS_DATE,	/* -tttt: YYYY-MM-DD HH:MM:SS.uuuuuu, local time */
	TS_SINCE_FIRST, /* -ttttt: [-]HH:MM:SS.uuuuuu since the first line */
};

struct fmt_opts {
	int tstamp;	/* enum ts_mode */
	int verbose;	/* -v count: > 0 appends " ttl N id N hook H" */
	int any_prefix; /* print tcpdump -i any's "IFNAME In  " prefix */
	/*
	 * Per-event knowledge the caller may set before each line; with
	 * verbose > 0 each non-NULL one is appended as " class X",
	 * " reason X", " state X" after the hook.
	 */
	const char *class;
	const char *reason;
	const char *state;
	/*
	 * tcpdump's -e (link-level header), -q (count: short forms) and the
	 * dumps after the line: -x/-xx (hex), -X/-XX (hex and ASCII), -A/-AA
	 * (ASCII); 1 from the network header, 2 from the link header on. -X
	 * takes precedence over -x, -x over -A, as in tcpdump. rsttrace's
	 * -v extras end the first line, before a dump.
	 */
	int eflag;
	int qflag;
	int xflag;
	int Xflag;
	int Aflag;
	/* With verbose > 0: fate, stage and owner, after those (views/why.h); NULL: none. */
	const struct rst_why *why;
};

/* What the relative timestamp modes remember between lines; zero it to start. */
struct fmt_state {
	struct timespec prev, first;
	int have_prev;
};

/*
 * The timestamp tcpdump prints for mode, without the space that follows
 * it: empty for TS_NONE. Local time comes from localtime_r (TZ applies).
 * The relative modes need st, and every call records wall in it.
 */
int fmt_timestamp(char *buf, size_t len, int mode, const struct timespec *wall,
		  struct fmt_state *st);

/*
 * What tcpdump -nn -S prints after the timestamp (and the -i any prefix),
 * without newline, decoded from ev->snap as a capture of snap_len bytes
 * of a pkt_len-byte frame. The snapshot is an Ethernet frame, or a bare
 * IP packet when l3_off is 0 (an interface without link header, which
 * tcpdump reads as DLT_RAW). An event without snapshot (snap_len 0) is
 * printed from its parsed fields as if its headers carried no options.
 */
int fmt_tcpdump_packet(char *buf, size_t len, const struct rst_event *ev);

/*
 * The same with tcpdump's -e, -q, -x, -X and -A of o (the rest of o is
 * not used; NULL: none): the dumps follow on lines of their own, without
 * the final newline.
 */
int fmt_tcpdump_packet_opts(char *buf, size_t len, const struct rst_event *ev,
			    const struct fmt_opts *o);

/*
 * The whole line with its '\n': timestamp and a space (unless TS_NONE),
 * the -i any prefix for ifname and ev->dir if o->any_prefix, the tcpdump
 * part, then with o->verbose " ttl N id N hook xdp|tc-in|tc-out" and the
 * class, reason and state the caller set in o.
 */
int fmt_event_line(char *buf, size_t len, const struct rst_event *ev, const char *ifname,
		   const struct timespec *wall, const struct fmt_opts *o, struct fmt_state *st);

/* The -i any prefix alone ("%-5s %-3s "), as tcpdump's Linux cooked v2 printer has it. */
int fmt_any_prefix(char *buf, size_t len, const char *ifname, int dir);

#endif
