/* SPDX-License-Identifier: GPL-2.0 */
/*
 * top on a terminal: the screen fitted to its width (TIOCGWINSZ, again on
 * SIGWINCH; one line per host at 80 columns), keys read in raw mode (q
 * quits; r, i, o, s sort by RST/s, RST/s in, RST/s out, SYN/s), and a
 * sparkline of the last minute's RST rate for the total and each host.
 * The terminal's mode is restored on every way out: return, a stop
 * signal (handled, the loop ends), exit(), and a suspend (^Z restores it,
 * fg raws it again).
 */
#ifndef RST_TOPUI_H
#define RST_TOPUI_H

#include <signal.h>
#include <termios.h>
#include <linux/types.h>

#include "reader.h"
#include "sparkline.h"
#include "toprates.h"

#define TOPUI_TRACKED 256

/* A host's history, while it is among the rows shown. */
struct topui_host {
	struct rst_host_key key;
	struct rate_hist h;
	__u64 used_ns; /* the last refresh it was shown at */
	int live;
};

struct topui {
	int cols, rows;
	int utf8;
	int raw;       /* the terminal is ours: restore it */
	int have_rows; /* a refresh was drawn: the state can be drawn again */
	struct rate_hist total;
	struct topui_host hosts[TOPUI_TRACKED];
	__u64 prev_ns; /* the time of the previous refresh, for the history */
};

enum { TOPUI_TICK = 0, TOPUI_QUIT, TOPUI_REDRAW };

/* Take the terminal: raw keys, alternate screen, the signals above. 0 or -errno. */
int topui_start(struct topui *u);
/* Give it back as it was; safe twice and from a signal handler's path. */
void topui_stop(struct topui *u);

/*
 * Wait until deadline_ns (CLOCK_MONOTONIC), a key or a resize:
 * TOPUI_TICK at the deadline, TOPUI_QUIT for q (or a stop flag set:
 * *stop), TOPUI_REDRAW after a sort key (st re-sorted) or a resize.
 */
int topui_wait(struct topui *u, struct top_state *st, __u64 deadline_ns,
	       volatile sig_atomic_t *stop);

/* A refresh's numbers into the history (once per read). */
void topui_record(struct topui *u, const struct top_state *st);
/* The whole screen, fitted to u->cols x u->rows, in one write. 0 or -errno. */
int topui_draw(struct topui *u, const struct top_state *st, const struct source *src,
	       __u32 capacity);

/*
 * One screen line of a row, fitted to cols (for tests and the screen):
 * bytes written into buf.
 */
int topui_host_line(char *buf, size_t len, const struct host_row *r, const struct rate_hist *h,
		    __u64 now_ns, int cols, int utf8, double scale);

#endif
