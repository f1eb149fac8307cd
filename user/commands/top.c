// SPDX-License-Identifier: GPL-2.0
/*
 * rsttrace top: the hosts with the highest RST rates, refreshed. Rates
 * come from counter deltas over measured time (toprates.h); the maps are
 * those of the persistent attachment or of a running watch (reader.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "causes.h"
#include "commands.h"
#include "fate.h"
#include "fatetrace.h"
#include "jsonw.h"
#include "log.h"
#include "mapread.h"
#include "options.h"
#include "persist.h"
#include "pinfollow.h"
#include "reader.h"
#include "rstreason.h"
#include "toprates.h"
#include "topui.h"
#include "util.h"

#define TOP_ROWS_DEFAULT 20
#define STR(x)		 #x
#define XSTR(x)		 STR(x)

struct top_cfg {
	double interval;
	int once;
	int json;
	__u32 rows;
	const char *pin_path; /* NULL: the default pin directory, else a running watch */
};

/* The smallest --interval: below it a refresh is mostly the reading itself. */
static int interval_check(const char *arg, const void *field)
{
	if (*(const double *)field < 0.01) {
		pr_warn("invalid --interval '%s': at least 0.01", arg);
		return -EINVAL;
	}
	return 0;
}

#define TOP(f) .off = offsetof(struct top_cfg, f)

static const struct opt_row top_rows[] = {
	{ .name = "interval",
	  .type = OPT_SECONDS,
	  TOP(interval),
	  .max_sec = 3600.0,
	  .check = interval_check,
	  .metavar = "SEC",
	  .help = "refresh period and rate window (default 1)" },
	{ .name = "once",
	  .type = OPT_FLAG,
	  TOP(once),
	  .help = "print one sample, rates over one interval, and exit" },
	CMD_JSON_ROW(struct top_cfg, json,
		     "one JSON object per refresh (keys in docs/persistent.md)"),
	{ .short_opt = 'N',
	  .type = OPT_U32,
	  TOP(rows),
	  .min = 1,
	  .max = 10000000,
	  .metavar = "COUNT",
	  .help = "hosts shown (default " XSTR(TOP_ROWS_DEFAULT) ")" },
	READER_PIN_PATH_ROW(struct top_cfg, pin_path),
	{ .type = OPT_DOC,
	  .display = "keys",
	  .help = "on a terminal: q quits; r, i, o, s sort by RST/s,\n"
		  "RST/s in, RST/s out, SYN/s; ^L redraws" },
	{ 0 },
};

static const struct opt_cmd top_cmd = {
	.name = "top",
	.synopsis = "usage: rsttrace top [--interval SEC] [--once] [--json] [-N COUNT] "
		    "[--pin-path DIR]\n",
	.sets = {
		{ top_rows, 0 },
		{ opt_verbose_log_rows, 0 },
		{ opt_common_rows, 0 },
	},
};

static volatile sig_atomic_t top_stop;

static void on_signal(int sig)
{
	(void)sig;
	top_stop = 1;
}

static const char *age_str(char *buf, size_t len, __u64 mono_now, __u64 then)
{
	double s = then && mono_now > then ? (double)(mono_now - then) / 1e9 : 0;

	if (!then)
		snprintf(buf, len, "-");
	else if (s < 60)
		snprintf(buf, len, "%.0fs", s);
	else if (s < 3600)
		snprintf(buf, len, "%.0fm", s / 60);
	else if (s < 86400)
		snprintf(buf, len, "%.1fh", s / 3600);
	else
		snprintf(buf, len, "%.1fd", s / 86400);
	return buf;
}

/* RSTs per SYN of a host since it entered the map, NaN when it saw no SYN. */
static double host_ratio(const struct host_row *r)
{
	__u64 rsts = r->v.rst_in + r->v.rst_out, syns = r->v.syn_in + r->v.syn_out;

	return syns ? (double)rsts / (double)syns : NAN;
}

/*
 * The counted causes of the resets sent to each host (views/causes.h),
 * read at each refresh; none when the datapath has no cause-host table.
 */
static struct cause_host *cz_hosts;
static size_t n_cz_hosts;

/* The host's top cause, "REASON:COUNT" (or "firewall:COUNT"); "-" for none. */
static const char *top_reason(char *buf, size_t len, const struct host_row *r)
{
	const struct cause_host *h =
		cause_host_find(cz_hosts, n_cz_hosts, r->key.addr, r->key.family);
	char nm[64];

	if (!h || !h->n_codes) {
		snprintf(buf, len, "-");
		return buf;
	}
	snprintf(buf, len, "%s:%llu", cause_code_name(h->code[0], nm, sizeof(nm), NULL),
		 (unsigned long long)h->n[0]);
	return buf;
}

static void top_text_head(const struct top_state *st, const struct source *src, __u32 capacity,
			  int clear)
{
	time_t t = time(NULL);
	char ts[16];
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	if (clear)
		fputs("\033[H\033[2J", stdout);
	printf("rsttrace top - %s, over %.2fs, %zu/%u hosts, %s\n", ts, st->elapsed, st->n_hosts,
	       capacity, src->desc);
	printf("RST/s %.1f  SYN/s %.1f  FIN/s %.1f  events/s: %.1f delivered, %.1f lost (ring "
	       "full), %.1f sampled out, %.1f rate limited\n\n",
	       st->rst_ps, st->syn_ps, st->fin_ps, st->ev_delivered_ps, st->ev_ring_full_ps,
	       st->ev_sampled_ps, st->ev_rate_limited_ps);
	printf("%-39s %9s %9s %8s %7s %10s %10s %10s %6s %s\n", "HOST", "RST/s IN", "RST/s OUT",
	       "SYN/s", "RST/SYN", "RST IN", "RST OUT", "SYN", "SEEN", "TOP REASON");
}

static void top_text(const struct top_state *st, const struct source *src, __u32 capacity,
		     int clear)
{
	char addr[INET6_ADDRSTRLEN], age[16], rt[16], why[80];
	__u64 now = now_mono_ns();
	size_t i;

	top_text_head(st, src, capacity, clear);
	for (i = 0; i < st->n_rows; i++) {
		const struct host_row *r = &st->rows[i];
		/* Over the interval, as the rates beside it (the JSON keeps both). */
		double q = host_interval_ratio(r);

		if (isnan(q))
			snprintf(rt, sizeof(rt), "-");
		else
			snprintf(rt, sizeof(rt), "%.2f", q);
		printf("%-39s %9.1f %9.1f %8.1f %7s %10llu %10llu %10llu %6s %s\n",
		       addr_str(r->key.addr, r->key.family, addr, sizeof(addr)), r->rst_in_ps,
		       r->rst_out_ps, r->syn_ps, rt, (unsigned long long)r->v.rst_in,
		       (unsigned long long)r->v.rst_out,
		       (unsigned long long)(r->v.syn_in + r->v.syn_out),
		       age_str(age, sizeof(age), now, r->v.last_ns),
		       top_reason(why, sizeof(why), r));
	}
}

static void float_field(struct json_writer *w, const char *key, double v)
{
	jw_key(w, key);
	jw_double(w, v);
}

static void top_json_global(struct json_writer *w, const struct top_state *st)
{
	jw_key(w, "global");
	jw_start_object(w);
	float_field(w, "rst_per_s", st->rst_ps);
	float_field(w, "syn_per_s", st->syn_ps);
	float_field(w, "fin_per_s", st->fin_ps);
	float_field(w, "events_delivered_per_s", st->ev_delivered_ps);
	float_field(w, "events_lost_per_s", st->ev_ring_full_ps);
	float_field(w, "events_sampled_out_per_s", st->ev_sampled_ps);
	float_field(w, "events_rate_limited_per_s", st->ev_rate_limited_ps);
	float_field(w, "events_filtered_per_s", st->ev_filtered_ps);
	jw_end_object(w);
}

/* The host's counted causes, largest first (docs/reasons.md); null without the table. */
static void top_json_reasons(struct json_writer *w, const struct host_row *r)
{
	const struct cause_host *h =
		cause_host_find(cz_hosts, n_cz_hosts, r->key.addr, r->key.family);
	enum rst_class cls;
	char nm[64];
	int i;

	jw_key(w, "reasons");
	if (!h) {
		jw_null(w);
		return;
	}
	jw_start_array(w);
	for (i = 0; i < h->n_codes; i++) {
		jw_start_object(w);
		jw_str_field(w, "reason", cause_code_name(h->code[i], nm, sizeof(nm), &cls));
		jw_str_field(w, "class", rst_class_names[cls]);
		/* The socket's state is part of the code: RST_CH_CODE(kind, state, reason). */
		jw_str_field(w, "state",
			     h->code[i] == RST_CH_FIREWALL
				     ? NULL
				     : rst_state_name((__u8)(((h->code[i] - 1) >> 5) & 15)));
		jw_u64_field(w, "count", h->n[i]);
		jw_end_object(w);
	}
	jw_end_array(w);
	jw_u64_field(w, "reasons_other", h->other);
	/* Errors reported to sockets connected to the host, by errno. */
	jw_key(w, "errors");
	jw_start_object(w);
	for (i = 0; i < RST_ERR_MAX; i++)
		jw_u64_field(w, rst_sk_err_names[i], h->err[i]);
	jw_end_object(w);
}

/* The fates per host of the source (fatetrace.h), read at each refresh; none without the map. */
static struct fate_host_row *fate_rows;
static size_t n_fate_rows;
static int fate_rows_ok;

/* The fates of the RSTs received from the host (docs/stage.md); null without the map. */
static void top_json_fates(struct json_writer *w, const struct host_row *r)
{
	const struct fate_host_row *h;
	int f;

	jw_key(w, "fates");
	if (!fate_rows_ok) {
		jw_null(w);
		return;
	}
	h = fate_host_find(fate_rows, n_fate_rows, r->key.addr, r->key.family);
	jw_start_object(w);
	for (f = RST_FATE_ACCEPTED; f < RST_FATE_MAX; f++)
		jw_u64_field(w, fate_name((__u8)f), h ? h->v.fate[f] : 0);
	jw_end_object(w);
}

static void top_json_host(struct json_writer *w, const struct host_row *r, __s64 off, __u64 now)
{
	char addr[INET6_ADDRSTRLEN];

	jw_start_object(w);
	jw_str_field(w, "host", addr_str(r->key.addr, r->key.family, addr, sizeof(addr)));
	jw_str_field(w, "family", family_str(r->key.family));
	float_field(w, "rst_in_per_s", r->rst_in_ps);
	float_field(w, "rst_out_per_s", r->rst_out_ps);
	float_field(w, "syn_per_s", r->syn_ps);
	float_field(w, "rst_syn_ratio", host_ratio(r));
	float_field(w, "rst_syn_ratio_interval", host_interval_ratio(r));
	jw_u64_field(w, "rst_in", r->v.rst_in);
	jw_u64_field(w, "rst_out", r->v.rst_out);
	jw_u64_field(w, "syn_in", r->v.syn_in);
	jw_u64_field(w, "syn_out", r->v.syn_out);
	jw_u64_field(w, "fin_in", r->v.fin_in);
	jw_u64_field(w, "fin_out", r->v.fin_out);
	jw_time_field(w, "first_seen", r->v.first_ns + off);
	jw_time_field(w, "last_seen", r->v.last_ns + off);
	float_field(w, "last_seen_age",
		    now > r->v.last_ns ? (double)(now - r->v.last_ns) / 1e9 : 0.0);
	top_json_reasons(w, r);
	top_json_fates(w, r);
	jw_end_object(w);
}

static void top_json(const struct top_state *st, const struct source *src, __u32 capacity)
{
	__s64 off = mono_to_real_offset();
	__u64 now = now_mono_ns();
	struct json_writer w;
	size_t i;

	jw_init_file(&w, stdout);
	jw_start_object(&w);
	jw_time_field(&w, "ts", now_real_ns());
	float_field(&w, "interval", st->elapsed);
	jw_str_field(&w, "source", source_kind(src));
	jw_u64_field(&w, "hosts_in_map", st->n_hosts);
	jw_u64_field(&w, "hosts_capacity", capacity);
	top_json_global(&w, st);
	jw_key(&w, "hosts");
	jw_start_array(&w);
	for (i = 0; i < st->n_rows; i++)
		top_json_host(&w, &st->rows[i], off, now);
	jw_end_array(&w);
	jw_end_object(&w);
	putchar('\n');
}

enum { FOLLOW_READ, FOLLOW_WAIT };

/*
 * Before a refresh of a pinned source: are the maps read still the ones
 * pinned? A `detach --all` leaves them to us, frozen; a new `attach` pins
 * new ones. Gone: say so once and wait (FOLLOW_WAIT) for an attachment to
 * come back, as serve does, rather than show frozen maps as zero rates.
 * New: take the new maps and read them once for a baseline (FOLLOW_WAIT:
 * nothing to show until the next refresh). FOLLOW_READ, FOLLOW_WAIT or
 * -errno.
 */
static int top_follow(struct source *s, const char *pin_path, struct top_state *st, size_t rows,
		      int once, int *gone)
{
	const char *pin = pin_path ? pin_path : RST_PIN_DEFAULT;
	struct rst_maps nm;
	int err, saved_level;

	switch (pin_follow_check(pin, s->m.counters)) {
	case PIN_SAME:
		return FOLLOW_READ;
	case PIN_GONE:
		if (!*gone)
			pr_warn("top: the attachment at %s is gone (detached)%s", pin,
				once ? "" : "; waiting for it to come back");
		*gone = 1;
		return FOLLOW_WAIT;
	case PIN_NEW:
		break;
	}
	/*
	 * An attach may be pinning its maps right now (some are not there
	 * yet): quietly, and again at the next refresh.
	 */
	saved_level = log_level;
	log_level = -1;
	err = maps_open_pinned(pin, &nm);
	log_level = saved_level;
	if (err)
		return FOLLOW_WAIT;
	maps_close(&s->m);
	s->m = nm;
	source_load_names(s, pin_path);
	*gone = 0;
	pr_warn("top: the attachment at %s was made anew; reading its maps", pin);
	top_free(st);
	return top_read(st, s->m.counters, s->m.hosts, rows) ?: FOLLOW_WAIT;
}

/* Sleep secs unless a signal asks to stop. */
static void nap(double secs)
{
	struct timespec ts = { (time_t)secs, (long)((secs - (time_t)secs) * 1e9) };

	while (!top_stop && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* A refresh between two reads, for `top` run from this command's loop. */
struct top_run {
	const struct top_cfg *c;
	struct top_state st;
	struct source src;
	__u32 capacity;
	int clear;
	int gone;
	struct topui *ui; /* on a terminal: the fitted screen and its keys; NULL: lines */
};

/* One refresh: read, rank and print. 0, FOLLOW_WAIT (nothing to print yet) or -errno. */
static int top_refresh(struct top_run *r)
{
	const struct top_cfg *c = r->c;
	__u64 t0;
	int err;

	/*
	 * XXX: a live source (the maps of a running watch) is not followed:
	 * when that watch ends, its frozen maps show zero rates.
	 */
	if (r->src.pinned) {
		int sort = r->st.sort; /* a new attachment's state starts over: the key stays */

		err = top_follow(&r->src, c->pin_path, &r->st, c->rows, c->once, &r->gone);
		r->st.sort = sort;
		if (err < 0)
			return err;
		/* top --once has no refresh to wait for: gone is a failure. */
		if (r->gone && c->once)
			return -ENOENT;
		r->capacity = (__u32)table_capacity(r->src.m.hosts);
		if (err == FOLLOW_WAIT)
			return FOLLOW_WAIT;
	}
	t0 = now_mono_ns();
	r->st.last = c->once;
	err = top_read(&r->st, r->src.m.counters, r->src.m.hosts, c->rows);
	if (err)
		return err;
	free(cz_hosts);
	if (cause_hosts_read(r->src.m.cause_hosts, &cz_hosts, &n_cz_hosts))
		cz_hosts = NULL, n_cz_hosts = 0;
	free(fate_rows);
	fate_rows_ok = r->src.m.fate_hosts >= 0 &&
		       !fate_hosts_read(r->src.m.fate_hosts, &fate_rows, &n_fate_rows);
	pr_debug("top: read and ranked %zu hosts in %.1f ms", r->st.n_hosts,
		 (now_mono_ns() - t0) / 1e6);
	if (r->ui) {
		topui_record(r->ui, &r->st);
		return topui_draw(r->ui, &r->st, &r->src, r->capacity);
	}
	if (c->json)
		top_json(&r->st, &r->src, r->capacity);
	else
		top_text(&r->st, &r->src, r->capacity, r->clear);
	return fflush(stdout) ? -errno : 0;
}

/*
 * top on a terminal (topui.h): refreshes on the clock, keys and resizes
 * in between; the rows asked for (-N) as far as the screen has room.
 */
static int top_ui_loop(struct top_run *r)
{
	__u64 step = (__u64)(r->c->interval * 1e9), deadline;
	struct topui *u = malloc(sizeof(*u));
	int err, ev;

	if (!u)
		return -ENOMEM;
	topui_start(u);
	r->ui = u;
	err = top_read(&r->st, r->src.m.counters, r->src.m.hosts, r->c->rows);
	if (!err)
		err = topui_draw(u, &r->st, &r->src, r->capacity);
	deadline = now_mono_ns() + step;
	while (!err && !top_stop) {
		ev = topui_wait(u, &r->st, deadline, &top_stop);
		if (ev == TOPUI_QUIT)
			break;
		if (ev == TOPUI_REDRAW) {
			err = topui_draw(u, &r->st, &r->src, r->capacity);
			continue;
		}
		/* On the clock, not after the work: a slow read does not stretch the period. */
		deadline += step;
		if (deadline < now_mono_ns())
			deadline = now_mono_ns() + step;
		err = top_refresh(r);
		if (err == FOLLOW_WAIT)
			err = 0;
	}
	topui_stop(u);
	r->ui = NULL;
	free(u);
	return err;
}

static int do_top(const struct top_cfg *c)
{
	struct top_run r = { .c = c };
	int err, ret = EXIT_RUNTIME;

	if (source_open(c->pin_path, &r.src))
		return EXIT_RUNTIME;
	stop_handlers(on_signal);
	r.clear = !c->once && !c->json && isatty(STDOUT_FILENO);
	r.capacity = (__u32)table_capacity(r.src.m.hosts);

	/* A terminal gets the screen of topui.h; a pipe, --once and --json get lines. */
	if (r.clear)
		err = top_ui_loop(&r);
	else
		err = top_read(&r.st, r.src.m.counters, r.src.m.hosts, c->rows);
	while (!err && !top_stop && !r.clear) {
		nap(c->interval);
		if (top_stop)
			break;
		err = top_refresh(&r);
		if (err == FOLLOW_WAIT)
			err = 0;
		else if (err || c->once)
			break;
	}
	if (err == -EPIPE)
		ret = EXIT_OK;
	else if (err == -ENOENT && r.gone)
		; /* said by top_follow */
	else if (err)
		pr_warn("top: reading the maps: %s", strerror(-err));
	else
		ret = EXIT_OK;
	top_free(&r.st);
	source_close(&r.src);
	return ret;
}

int cmd_top(int argc, char **argv)
{
	struct top_cfg c = { .interval = 1.0, .rows = TOP_ROWS_DEFAULT };
	int err;

	err = opt_parse(&top_cmd, argc, argv, &c, NULL);
	if (err)
		return opt_exit_status(err);
	return do_top(&c);
}
