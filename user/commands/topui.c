// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "topui.h"
#include "util.h"

/* Columns of the numbers: RST/s in, RST/s out, SYN/s, RST/SYN, each " %8s". */
#define NUM_W	   8
#define NUMS_W	   (4 * (NUM_W + 1))
#define HOST_W	   24 /* at 80 columns: 24 + 36 + 1 + 19 of sparkline */
#define HOST_W_MAX 39 /* the longest IPv6 address */
#define HOST_W_MIN 15
#define SPARK_MIN  5
#define HEAD_LINES 5 /* title, totals, total sparkline, blank, column header */

/*
 * What a signal handler or exit() restores: the handlers cannot reach a
 * struct topui, and there is one terminal.
 */
static struct termios saved_tio;
static volatile sig_atomic_t tty_raw, got_winch, got_cont;

static const char leave_seq[] = "\033[?25h\033[?1049l";
static const char enter_seq[] = "\033[?1049h\033[?25l";

/* Async-signal-safe: tcsetattr and write only. */
static void tty_restore(void)
{
	if (!tty_raw)
		return;
	tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	if (write(STDOUT_FILENO, leave_seq, sizeof(leave_seq) - 1) < 0)
		return;
	tty_raw = 0;
}

static void tty_enter(void)
{
	struct termios t = saved_tio;

	/* Keys one at a time, not echoed; ^C and ^Z still signal (ISIG), output as usual. */
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	tcsetattr(STDIN_FILENO, TCSANOW, &t);
	if (write(STDOUT_FILENO, enter_seq, sizeof(enter_seq) - 1) < 0)
		return;
	tty_raw = 1;
}

static void on_winch(int sig)
{
	(void)sig;
	got_winch = 1;
}

/* ^Z: the terminal as it was while stopped, raw again on fg. */
static void on_tstp(int sig)
{
	int saved = errno, was = tty_raw;
	sigset_t set;

	tty_restore();
	signal(sig, SIG_DFL);
	/* Blocked while its handler runs: unblocked, the raise stops us here and now. */
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	/* Here again after SIGCONT. */
	signal(sig, on_tstp);
	if (was)
		tty_enter();
	got_cont = 1;
	errno = saved;
}

static void size_read(struct topui *u)
{
	struct winsize ws;

	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col && ws.ws_row) {
		u->cols = ws.ws_col;
		u->rows = ws.ws_row;
	} else {
		u->cols = 80;
		u->rows = 24;
	}
}

int topui_start(struct topui *u)
{
	struct sigaction sa = {};
	int i;

	memset(u, 0, sizeof(*u));
	hist_init(&u->total);
	for (i = 0; i < TOPUI_TRACKED; i++)
		hist_init(&u->hosts[i].h);
	u->utf8 = spark_locale_utf8();
	size_read(u);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_winch;
	sigaction(SIGWINCH, &sa, NULL);
	/* Without a terminal on stdin there are no keys, and nothing to restore. */
	if (isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &saved_tio)) {
		sa.sa_handler = on_tstp;
		sigaction(SIGTSTP, &sa, NULL);
		atexit(tty_restore);
		tty_enter();
		u->raw = tty_raw;
	}
	return 0;
}

void topui_stop(struct topui *u)
{
	tty_restore();
	signal(SIGTSTP, SIG_DFL);
	u->raw = 0;
}

static int key_sort(int c)
{
	switch (c) {
	case 'r':
	case 'R':
		return TOP_SORT_RATE;
	case 'i':
	case 'I':
		return TOP_SORT_IN;
	case 'o':
	case 'O':
		return TOP_SORT_OUT;
	case 's':
	case 'S':
		return TOP_SORT_SYN;
	}
	return -1;
}

int topui_wait(struct topui *u, struct top_state *st, __u64 deadline_ns,
	       volatile sig_atomic_t *stop)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	unsigned char keys[32];
	__u64 now;
	int r, i, ms, sort, redraw;
	ssize_t n;

	for (;;) {
		if (*stop)
			return TOPUI_QUIT;
		if (got_winch || got_cont) {
			got_winch = got_cont = 0;
			size_read(u);
			return TOPUI_REDRAW;
		}
		now = now_mono_ns();
		if (now >= deadline_ns)
			return TOPUI_TICK;
		ms = (int)((deadline_ns - now + 999999) / 1000000);
		r = poll(&pfd, u->raw ? 1 : 0, ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL))
			return TOPUI_QUIT; /* the terminal went away */
		n = read(STDIN_FILENO, keys, sizeof(keys));
		if (n <= 0) {
			u->raw = 0; /* no more keys: wait on the clock alone */
			continue;
		}
		redraw = 0;
		for (i = 0; i < n; i++) {
			if (keys[i] == 'q' || keys[i] == 'Q')
				return TOPUI_QUIT;
			if (keys[i] == 0x0c) /* ^L */
				redraw = 1;
			sort = key_sort(keys[i]);
			if (sort >= 0) {
				top_resort(st, sort);
				redraw = 1;
			}
		}
		if (redraw)
			return TOPUI_REDRAW;
	}
}

static struct topui_host *tracked(struct topui *u, const struct rst_host_key *k, __u64 now)
{
	struct topui_host *free_e = NULL, *old = NULL, *e;
	int i;

	for (i = 0; i < TOPUI_TRACKED; i++) {
		e = &u->hosts[i];
		if (e->live && !memcmp(&e->key, k, sizeof(*k)))
			return e;
		/* Not shown for a minute: its history is all blank by now. */
		if (e->live && now - e->used_ns > SPARK_SECS * 1000000000ULL)
			e->live = 0;
		if (!e->live && !free_e)
			free_e = e;
		if (e->live && (!old || e->used_ns < old->used_ns))
			old = e;
	}
	e = free_e ? free_e : old;
	e->key = *k;
	e->live = 1;
	hist_init(&e->h);
	return e;
}

static struct topui_host *find(struct topui *u, const struct rst_host_key *k)
{
	int i;

	for (i = 0; i < TOPUI_TRACKED; i++)
		if (u->hosts[i].live && !memcmp(&u->hosts[i].key, k, sizeof(*k)))
			return &u->hosts[i];
	return NULL;
}

void topui_record(struct topui *u, const struct top_state *st)
{
	__u64 now = st->s[st->cur].mono_ns, from;
	struct topui_host *e;
	size_t i;

	if (st->n_samples < 2)
		return;
	from = now - (__u64)(st->elapsed * 1e9);
	hist_add(&u->total, from, now, st->rst_ps);
	/*
	 * XXX: a host's history starts when it is first shown: the rows not
	 * shown are rated but not remembered (that would be a history per
	 * host of the map, 100,000 of them).
	 */
	for (i = 0; i < st->n_rows; i++) {
		e = tracked(u, &st->rows[i].key, now);
		hist_add(&e->h, from, now, st->rows[i].rst_in_ps + st->rows[i].rst_out_ps);
		e->used_ns = now;
	}
	u->prev_ns = now;
}

/* A number in NUM_W characters at most: one decimal while it fits, then k and M. */
static void fmt_rate(char *b, size_t n, double v)
{
	if (n > NUM_W + 1)
		n = NUM_W + 1; /* whatever the value, the column holds it */
	if (isnan(v))
		snprintf(b, n, "-");
	else if (v < 10000)
		snprintf(b, n, "%.1f", v);
	else if (v < 1e7)
		snprintf(b, n, "%.0fk", v / 1e3);
	else
		snprintf(b, n, "%.0fM", v / 1e6);
}

static void layout(int cols, int *host_w, int *spark_w)
{
	int extra = cols - (HOST_W + NUMS_W + 1 + 19);

	*host_w = HOST_W;
	if (extra > 0)
		*host_w += extra < HOST_W_MAX - HOST_W ? extra : HOST_W_MAX - HOST_W;
	*spark_w = cols - *host_w - NUMS_W - 1;
	if (*spark_w > SPARK_SECS)
		*spark_w = SPARK_SECS;
	if (*spark_w < SPARK_MIN) {
		/* Narrow: the numbers before the picture; the host gives way down to 15. */
		*spark_w = 0;
		*host_w = cols - NUMS_W;
		if (*host_w > HOST_W)
			*host_w = HOST_W;
		if (*host_w < HOST_W_MIN)
			*host_w = HOST_W_MIN;
	}
}

int topui_host_line(char *buf, size_t len, const struct host_row *r, const struct rate_hist *h,
		    __u64 now_ns, int cols, int utf8, double scale)
{
	char addr[INET6_ADDRSTRLEN], in[16], out[16], syn[16], q[16], spark[SPARK_SECS * 3 + 1];
	int host_w, spark_w, n;
	double ratio = host_interval_ratio(r);

	layout(cols, &host_w, &spark_w);
	addr_str(r->key.addr, r->key.family, addr, sizeof(addr));
	/* An address cut short says so with '~' rather than pass for another. */
	if ((int)strlen(addr) > host_w) {
		addr[host_w - 1] = '~';
		addr[host_w] = '\0';
	}
	fmt_rate(in, sizeof(in), r->rst_in_ps);
	fmt_rate(out, sizeof(out), r->rst_out_ps);
	fmt_rate(syn, sizeof(syn), r->syn_ps);
	if (!isnan(ratio) && ratio < 1000)
		snprintf(q, sizeof(q), "%.2f", ratio);
	else
		fmt_rate(q, sizeof(q), ratio);
	spark[0] = '\0';
	if (spark_w && h)
		spark_render(spark, sizeof(spark), h, now_ns, spark_w, utf8, scale);
	n = snprintf(buf, len, "%-*s %*s %*s %*s %*s%s%s", host_w, addr, NUM_W, in, NUM_W, out,
		     NUM_W, syn, NUM_W, q, spark_w ? " " : "", spark);
	return n < 0 ? 0 : (int)((size_t)n < len ? (size_t)n : len - 1);
}

struct screen {
	char *b;
	size_t n, cap;
	int lines, max_lines, cols;
};

/* One line, cut at the screen's width in columns (UTF-8 aware), cleared to its end. */
static void put(struct screen *s, const char *line)
{
	size_t len = strlen(line), i, end = 0;
	int col = 0;

	if (s->lines >= s->max_lines)
		return;
	for (i = 0; i < len; i++) {
		/* A continuation byte belongs to the column before it. */
		if (((unsigned char)line[i] & 0xc0) != 0x80) {
			if (col == s->cols)
				break;
			col++;
		}
		end = i + 1;
	}
	if (s->n + end + 8 > s->cap)
		return;
	if (s->lines)
		memcpy(s->b + s->n, "\r\n", 2), s->n += 2;
	memcpy(s->b + s->n, line, end);
	s->n += end;
	memcpy(s->b + s->n, "\033[K", 3);
	s->n += 3;
	s->lines++;
}

int topui_draw(struct topui *u, const struct top_state *st, const struct source *src,
	       __u32 capacity)
{
	static char buf[256 * 1024];
	struct screen s = { buf, 0, sizeof(buf), 0, u->rows, u->cols };
	char line[1024], spark[SPARK_SECS * 3 + 1], ts[16], rst[16], syn[16];
	__u64 now = st->n_samples ? st->s[st->cur].mono_ns : now_mono_ns();
	int host_w, spark_w, tw, body;
	time_t t = time(NULL);
	struct topui_host *e;
	struct tm tm;
	size_t i, k;
	ssize_t w;

	localtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	memcpy(s.b, "\033[H", 3);
	s.n = 3;
	/* A long pin path is cut at the width, as any line. */
	snprintf(line, sizeof(line), "rsttrace top  %s  over %.2fs  %zu/%u hosts  %.200s", ts,
		 st->elapsed, st->n_hosts, capacity, src->desc);
	put(&s, line);
	if (st->n_samples < 2) {
		put(&s, "measuring the first interval...   q quits");
		goto flush;
	}
	fmt_rate(rst, sizeof(rst), st->rst_ps);
	fmt_rate(syn, sizeof(syn), st->syn_ps);
	snprintf(line, sizeof(line),
		 "RST/s %s  SYN/s %s  FIN/s %.1f  events/s %.1f, lost %.1f  sort: %s", rst, syn,
		 st->fin_ps, st->ev_delivered_ps, st->ev_ring_full_ps, top_sort_names[st->sort]);
	put(&s, line);
	tw = u->cols - 30;
	if (tw > SPARK_SECS)
		tw = SPARK_SECS;
	spark[0] = '\0';
	if (tw > 0)
		spark_render(spark, sizeof(spark), &u->total, now, tw, u->utf8,
			     hist_max(&u->total, now));
	snprintf(line, sizeof(line), "RST/s, 60s %s  peak %.1f", spark, hist_max(&u->total, now));
	put(&s, line);
	put(&s, "");
	layout(u->cols, &host_w, &spark_w);
	snprintf(line, sizeof(line), "%-*s %*s %*s %*s %*s%s", host_w, "HOST", NUM_W, "RSTin/s",
		 NUM_W, "RSTout/s", NUM_W, "SYN/s", NUM_W, "RST/SYN",
		 spark_w ? " RST/s, last 60s" : "");
	put(&s, line);
	/* The last line stays for the keys. */
	body = u->rows - HEAD_LINES - 1;
	for (i = 0, k = 0; i < st->n_rows && (int)k < body; i++, k++) {
		e = find(u, &st->rows[i].key);
		topui_host_line(line, sizeof(line), &st->rows[i], e ? &e->h : NULL, now, u->cols,
				u->utf8, e ? hist_max(&e->h, now) : 0);
		put(&s, line);
	}
	while (s.lines < u->rows - 1)
		put(&s, "");
	put(&s, "q quit  sort: r RST/s  i RST in  o RST out  s SYN/s  (all per interval)");
flush:
	memcpy(s.b + s.n, "\033[J", 3);
	s.n += 3;
	for (i = 0; i < s.n; i += (size_t)w) {
		w = write(STDOUT_FILENO, s.b + i, s.n - i);
		if (w < 0 && errno == EINTR) {
			w = 0;
			continue;
		}
		if (w <= 0)
			return -errno;
	}
	return 0;
}
