// SPDX-License-Identifier: GPL-2.0
/*
 * rsttrace top / flows / stats: readers of the kernel's exact counters.
 * They take the maps of the persistent attachment (--pin-path, or the
 * default pin directory) or, when nothing is pinned, of a running
 * `rsttrace watch`, found through its programs. Whole maps are read with
 * batch lookups; rates come from counter deltas over measured time.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "commands.h"
#include "counters.h"
#include "iface.h"
#include "jsonw.h"
#include "log.h"
#include "privs.h"
#include "mapread.h"
#include "maps.h"
#include "persist.h"
#include "pinfollow.h"
#include "toprates.h"
#include "util.h"

enum {
	OPT_T_JSON = 0x200,
	OPT_T_PIN_PATH,
	OPT_T_INTERVAL,
	OPT_T_ONCE,
	OPT_T_HOST,
	OPT_T_PORT,
};

#define TOP_ROWS_DEFAULT 20

/* Interfaces whose names a reader remembers; the rest are looked up each time. */
#define IFNAME_CACHE 64

struct ifname_ent {
	__u32 ifindex;
	int known; /* 0: no name (gone, or not in this netns) */
	char name[IF_NAMESIZE];
};

/* Where the maps came from, and the interface names known there. */
struct source {
	struct rst_maps m;
	int pinned;
	char desc[PATH_MAX + 16];
	struct pin_iface *ifs; /* records of the pinned attachment, for names */
	int n_ifs;
	/*
	 * Names already resolved: flows prints one per row, and
	 * if_indextoname() is three system calls (socket, ioctl, close).
	 */
	struct ifname_ent ifc[IFNAME_CACHE];
	int n_ifc;
};

static volatile sig_atomic_t top_stop;

static void on_signal(int sig)
{
	(void)sig;
	top_stop = 1;
}

/* The interface records of the pinned attachment, for names; none is no error. */
static void source_load_names(struct source *s, const char *pin_path)
{
	struct persist p;

	free(s->ifs);
	s->ifs = NULL;
	s->n_ifs = 0;
	s->n_ifc = 0;
	persist_init(&p);
	if (!persist_prepare(&p, pin_path ? pin_path : RST_PIN_DEFAULT,
			     PERSIST_READ | PERSIST_QUIET))
		persist_list(&p, &s->ifs, &s->n_ifs);
	snprintf(s->desc, sizeof(s->desc), "pinned %s", p.path);
	persist_close(&p);
}

static int source_open(const char *pin_path, struct source *s)
{
	int err;

	memset(s, 0, sizeof(*s));
	if (check_privileges(PRIV_READ))
		return -EPERM;
	err = maps_open_pinned(pin_path, &s->m);
	if (!err) {
		s->pinned = 1;
		source_load_names(s, pin_path);
		return 0;
	}
	if (err != -ENOENT)
		return err;
	if (pin_path) {
		pr_warn("no persistent attachment under %s", pin_path);
		return err;
	}
	err = maps_find_live(&s->m);
	if (err == -ENOENT)
		pr_warn("nothing to read: no persistent attachment under %s and no "
			"running rsttrace (start `rsttrace attach` or `rsttrace watch`)",
			RST_PIN_DEFAULT);
	if (!err)
		snprintf(s->desc, sizeof(s->desc), "live");
	return err;
}

static void source_close(struct source *s)
{
	maps_close(&s->m);
	free(s->ifs);
	s->ifs = NULL;
}

/*
 * The interface name of ifindex: the pinned record made here, else this
 * netns; the first answer for an ifindex holds for the rest of the command.
 */
static const char *source_ifname(struct source *s, __u32 ifindex, char *buf)
{
	struct ifname_ent *e;
	int i;

	if (!ifindex)
		return NULL;
	for (i = 0; i < s->n_ifc; i++)
		if (s->ifc[i].ifindex == ifindex)
			return s->ifc[i].known ? s->ifc[i].name : NULL;
	e = s->n_ifc < IFNAME_CACHE ? &s->ifc[s->n_ifc++] : NULL;
	for (i = 0; i < s->n_ifs; i++) {
		if (s->ifs[i].ifindex == ifindex && s->ifs[i].here && !s->ifs[i].gone) {
			snprintf(buf, IF_NAMESIZE, "%s", s->ifs[i].ifname);
			break;
		}
	}
	if (i == s->n_ifs && !if_indextoname(ifindex, buf))
		buf = NULL;
	if (e) {
		e->ifindex = ifindex;
		e->known = buf != NULL;
		if (buf)
			snprintf(e->name, sizeof(e->name), "%s", buf);
	}
	return buf;
}

static const char *addr_str(const __u8 *addr, __u8 family, char *buf, size_t len)
{
	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

/* Offset that turns a bpf_ktime_get_ns() stamp into CLOCK_REALTIME. */
static __s64 mono_to_real(void)
{
	__u64 r = now_real_ns(), m = now_mono_ns();

	return (__s64)r - (__s64)m;
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

static double ratio(__u64 rsts, __u64 syns)
{
	return syns ? (double)rsts / (double)syns : NAN;
}

static void top_text(const struct top_state *st, const struct source *src, __u32 capacity,
		     int clear)
{
	__u64 now = now_mono_ns();
	char addr[INET6_ADDRSTRLEN], age[16], ts[16], rt[16];
	time_t t = time(NULL);
	struct tm tm;
	size_t i;

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
	printf("%-39s %9s %9s %8s %7s %10s %10s %10s %6s\n", "HOST", "RST/s IN", "RST/s OUT",
	       "SYN/s", "RST/SYN", "RST IN", "RST OUT", "SYN", "SEEN");
	for (i = 0; i < st->n_rows; i++) {
		const struct host_row *r = &st->rows[i];
		double q = ratio(r->v.rst_in + r->v.rst_out, r->v.syn_in + r->v.syn_out);

		if (isnan(q))
			snprintf(rt, sizeof(rt), "-");
		else
			snprintf(rt, sizeof(rt), "%.2f", q);
		printf("%-39s %9.1f %9.1f %8.1f %7s %10llu %10llu %10llu %6s\n",
		       addr_str(r->key.addr, r->key.family, addr, sizeof(addr)), r->rst_in_ps,
		       r->rst_out_ps, r->syn_ps, rt, (unsigned long long)r->v.rst_in,
		       (unsigned long long)r->v.rst_out,
		       (unsigned long long)(r->v.syn_in + r->v.syn_out),
		       age_str(age, sizeof(age), now, r->v.last_ns));
	}
}

static void top_json(const struct top_state *st, const struct source *src, __u32 capacity)
{
	__s64 off = mono_to_real();
	__u64 now = now_mono_ns();
	char addr[INET6_ADDRSTRLEN];
	size_t i;

	printf("{\"ts\":");
	jw_time(stdout, now_real_ns());
	printf(",\"interval\":");
	jw_double(stdout, st->elapsed);
	printf(",\"source\":\"%s\",\"hosts_in_map\":%zu,\"hosts_capacity\":%u",
	       src->pinned ? "pinned" : "live", st->n_hosts, capacity);
	printf(",\"global\":{\"rst_per_s\":");
	jw_double(stdout, st->rst_ps);
	printf(",\"syn_per_s\":");
	jw_double(stdout, st->syn_ps);
	printf(",\"fin_per_s\":");
	jw_double(stdout, st->fin_ps);
	printf(",\"events_delivered_per_s\":");
	jw_double(stdout, st->ev_delivered_ps);
	printf(",\"events_lost_per_s\":");
	jw_double(stdout, st->ev_ring_full_ps);
	printf(",\"events_sampled_out_per_s\":");
	jw_double(stdout, st->ev_sampled_ps);
	printf(",\"events_rate_limited_per_s\":");
	jw_double(stdout, st->ev_rate_limited_ps);
	printf(",\"events_filtered_per_s\":");
	jw_double(stdout, st->ev_filtered_ps);
	printf("},\"hosts\":[");
	for (i = 0; i < st->n_rows; i++) {
		const struct host_row *r = &st->rows[i];

		printf("%s{\"host\":\"%s\",\"family\":\"%s\",\"rst_in_per_s\":", i ? "," : "",
		       addr_str(r->key.addr, r->key.family, addr, sizeof(addr)),
		       r->key.family == AF_INET6 ? "ipv6" : "ipv4");
		jw_double(stdout, r->rst_in_ps);
		printf(",\"rst_out_per_s\":");
		jw_double(stdout, r->rst_out_ps);
		printf(",\"syn_per_s\":");
		jw_double(stdout, r->syn_ps);
		printf(",\"rst_syn_ratio\":");
		jw_double(stdout, ratio(r->v.rst_in + r->v.rst_out, r->v.syn_in + r->v.syn_out));
		printf(",\"rst_in\":%llu,\"rst_out\":%llu,\"syn_in\":%llu,\"syn_out\":%llu,"
		       "\"fin_in\":%llu,\"fin_out\":%llu,\"first_seen\":",
		       (unsigned long long)r->v.rst_in, (unsigned long long)r->v.rst_out,
		       (unsigned long long)r->v.syn_in, (unsigned long long)r->v.syn_out,
		       (unsigned long long)r->v.fin_in, (unsigned long long)r->v.fin_out);
		jw_time(stdout, r->v.first_ns + off);
		printf(",\"last_seen\":");
		jw_time(stdout, r->v.last_ns + off);
		printf(",\"last_seen_age\":");
		jw_double(stdout, now > r->v.last_ns ? (double)(now - r->v.last_ns) / 1e9 : 0.0);
		printf("}");
	}
	printf("]}\n");
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

static void top_usage(FILE *f)
{
	fprintf(f,
		"usage: rsttrace top [--interval SEC] [--once] [--json] [-N COUNT] "
		"[--pin-path DIR]\n"
		"  --interval SEC    refresh period and rate window (default 1)\n"
		"  --once            print one sample, rates over one interval, and exit\n"
		"  --json            one JSON object per refresh (keys in docs/persistent.md)\n"
		"  -N COUNT          hosts shown (default %d)\n"
		"  --pin-path DIR    read this attachment (default " RST_PIN_DEFAULT
		", else a running watch)\n",
		TOP_ROWS_DEFAULT);
}

int cmd_top(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "interval", required_argument, NULL, OPT_T_INTERVAL },
		{ "once", no_argument, NULL, OPT_T_ONCE },
		{ "json", no_argument, NULL, OPT_T_JSON },
		{ "pin-path", required_argument, NULL, OPT_T_PIN_PATH },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *pin_path = NULL;
	struct top_state st = {};
	struct sigaction sa = {};
	struct source src;
	double interval = 1.0;
	__u32 rows = TOP_ROWS_DEFAULT, capacity;
	__u64 t0;
	int opt, once = 0, json = 0, clear, err, ret = EXIT_RUNTIME, gone = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+N:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_T_INTERVAL:
			if (parse_seconds("--interval", optarg, 3600.0, &interval))
				return EXIT_USAGE;
			if (interval < 0.01) {
				pr_warn("invalid --interval '%s': at least 0.01", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_T_ONCE:
			once = 1;
			break;
		case OPT_T_JSON:
			json = 1;
			break;
		case OPT_T_PIN_PATH:
			if (persist_path_check(optarg))
				return EXIT_USAGE;
			pin_path = optarg;
			break;
		case 'N':
			if (parse_u32("-N", optarg, 1, 10000000, &rows))
				return EXIT_USAGE;
			break;
		case 'v':
			log_set_level(log_level + 1);
			break;
		case 'h':
			top_usage(stdout);
			return EXIT_OK;
		default:
			top_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		pr_warn("top: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (source_open(pin_path, &src))
		return EXIT_RUNTIME;

	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	clear = !once && !json && isatty(STDOUT_FILENO);
	capacity = (__u32)table_capacity(src.m.hosts);

	err = top_read(&st, src.m.counters, src.m.hosts, rows);
	while (!err && !top_stop) {
		nap(interval);
		if (top_stop)
			break;
		/*
		 * XXX: a live source (the maps of a running watch) is not
		 * followed: when that watch ends, its frozen maps show zero rates.
		 */
		if (src.pinned) {
			err = top_follow(&src, pin_path, &st, rows, once, &gone);
			if (err < 0)
				break;
			/* top --once has no refresh to wait for: gone is a failure. */
			if (gone && once) {
				err = -ENOENT;
				break;
			}
			capacity = (__u32)table_capacity(src.m.hosts);
			if (err == FOLLOW_WAIT) {
				err = 0;
				continue;
			}
		}
		t0 = now_mono_ns();
		st.last = once;
		err = top_read(&st, src.m.counters, src.m.hosts, rows);
		if (err)
			break;
		pr_debug("top: read and ranked %zu hosts in %.1f ms", st.n_hosts,
			 (now_mono_ns() - t0) / 1e6);
		if (json)
			top_json(&st, &src, capacity);
		else
			top_text(&st, &src, capacity, clear);
		if (fflush(stdout)) {
			err = -errno;
			break;
		}
		if (once)
			break;
	}
	if (err == -EPIPE)
		ret = EXIT_OK;
	else if (err == -ENOENT && gone)
		; /* said by top_follow */
	else if (err)
		pr_warn("top: reading the maps: %s", strerror(-err));
	else
		ret = EXIT_OK;
	top_free(&st);
	source_close(&src);
	return ret;
}

struct flow_filter {
	int have_host;
	__u8 family;
	__u8 addr[16];
	__u32 port; /* 0: any */
};

static int flow_match(const struct flow_filter *f, const struct rst_flow_key *k)
{
	if (f->have_host && (k->family != f->family ||
			     (memcmp(k->addr_a, f->addr, 16) && memcmp(k->addr_b, f->addr, 16))))
		return 0;
	if (f->port && k->port_a != f->port && k->port_b != f->port)
		return 0;
	return 1;
}

/*
 * A flow to list, with the two sort keys copied out of its value: sorting
 * a million rows then compares within the rows, and follows k only on a
 * tie (a cache miss into the map dump per comparison otherwise).
 */
struct flow_row {
	__u64 rsts;
	__u64 last_ns;
	const struct rst_flow_key *k;
	const struct rst_flow_val *v;
	__u32 slot; /* its copy in flow_pick.slots, if there are copies */
};

/* The copy of a flow kept from a batch that the next batch overwrites. */
struct flow_slot {
	struct rst_flow_key k;
	struct rst_flow_val v;
};

/* Up to this -N, flows reads the map a batch at a time, keeping copies of the best N. */
#define FLOWS_PICK_MAX 65536

/* The flows to list: every match (k 0), or the best k of them. */
struct flow_pick {
	const struct flow_filter *flt;
	struct flow_row *rows;
	struct flow_slot *slots; /* NULL: rows point into a whole-map dump */
	size_t n, k;
};

static __u64 flow_rsts(const struct rst_flow_val *v)
{
	return (__u64)v->rst[0] + v->rst[1] + v->rstack[0] + v->rstack[1];
}

/* Most RSTs first, then the most recent, then by key: a total order (keys are unique). */
static int flow_cmp(const void *a, const void *b)
{
	const struct flow_row *x = a, *y = b;

	if (x->rsts != y->rsts)
		return x->rsts > y->rsts ? -1 : 1;
	if (x->last_ns != y->last_ns)
		return x->last_ns > y->last_ns ? -1 : 1;
	return memcmp(x->k, y->k, sizeof(*x->k));
}

/* Sift h[i] down a heap of n rows whose root is the row that sorts last. */
static void flow_heap_down(struct flow_row *h, size_t n, size_t i)
{
	struct flow_row t;
	size_t w, l;

	for (;;) {
		w = i;
		l = 2 * i + 1;
		if (l < n && flow_cmp(&h[l], &h[w]) > 0)
			w = l;
		if (l + 1 < n && flow_cmp(&h[l + 1], &h[w]) > 0)
			w = l + 1;
		if (w == i)
			return;
		t = h[i];
		h[i] = h[w];
		h[w] = t;
		i = w;
	}
}

/*
 * Keep the flow k/v if it matches: every one (p->k 0), or if it is among
 * the best p->k so far. Once p->k are kept they form a heap rooted at the
 * one that sorts last, so most of a million flows cost one comparison and
 * no write, where sorting them all for `-N 20` took most of the command's
 * time.
 */
static void flow_pick_one(struct flow_pick *p, const struct rst_flow_key *k,
			  const struct rst_flow_val *v)
{
	struct flow_row r;
	struct flow_slot *s;
	size_t i;

	if (!flow_match(p->flt, k))
		return;
	r.rsts = flow_rsts(v);
	r.last_ns = v->last_ns;
	r.k = k;
	r.v = v;
	r.slot = (__u32)p->n;
	if (p->k && p->n == p->k) {
		if (flow_cmp(&r, &p->rows[0]) >= 0)
			return;
		r.slot = p->rows[0].slot; /* the copy of the row it evicts is reused */
	}
	if (p->slots) {
		s = &p->slots[r.slot];
		s->k = *k;
		s->v = *v;
		r.k = &s->k;
		r.v = &s->v;
	}
	if (!p->k || p->n < p->k) {
		p->rows[p->n++] = r;
		if (p->k && p->n == p->k)
			for (i = p->k / 2; i-- > 0;)
				flow_heap_down(p->rows, p->k, i);
		return;
	}
	p->rows[0] = r;
	flow_heap_down(p->rows, p->k, 0);
}

static int flow_pick_batch(void *ctx, const struct map_dump *batch)
{
	size_t i;

	for (i = 0; i < batch->n; i++)
		flow_pick_one(ctx, map_dump_key(batch, i), map_dump_val(batch, i));
	return 0;
}

static const char *endpoint(const __u8 *addr, __u16 port, __u8 family, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	addr_str(addr, family, a, sizeof(a));
	if (family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a, port);
	else
		snprintf(buf, len, "%s:%u", a, port);
	return buf;
}

static void flow_json_dir(const struct rst_flow_val *v, int d)
{
	printf("{\"syn\":%u,\"synack\":%u,\"fin\":%u,\"rst\":%u,\"rstack\":%u,\"ttl\":%u}",
	       v->syn[d], v->synack[d], v->fin[d], v->rst[d], v->rstack[d], v->ttl[d]);
}

static void flows_usage(FILE *f)
{
	fprintf(f, "usage: rsttrace flows [--json] [--host ADDR] [--port PORT] [-N COUNT] "
		   "[--pin-path DIR]\n"
		   "  --host ADDR       flows with this IPv4/IPv6 address at either end\n"
		   "  --port PORT       flows with this port at either end\n"
		   "  -N COUNT          at most COUNT flows (default: all)\n"
		   "  --json            one JSON object (keys in docs/persistent.md)\n");
}

int cmd_flows(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_T_JSON },
		{ "host", required_argument, NULL, OPT_T_HOST },
		{ "port", required_argument, NULL, OPT_T_PORT },
		{ "pin-path", required_argument, NULL, OPT_T_PIN_PATH },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char a[INET6_ADDRSTRLEN + 8], b[INET6_ADDRSTRLEN + 8], nm[IF_NAMESIZE], fs[40], ls[40];
	const char *pin_path = NULL, *ifn;
	struct flow_filter flt = {};
	struct flow_pick pick = { .flt = &flt };
	struct flow_row *rows;
	struct map_dump d = {};
	struct source src;
	__u32 limit = 0;
	size_t i, n;
	int opt, json = 0, err, ret = EXIT_RUNTIME;
	__s64 off;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+N:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_T_JSON:
			json = 1;
			break;
		case OPT_T_HOST:
			flt.have_host = 1;
			if (inet_pton(AF_INET, optarg, flt.addr) == 1) {
				flt.family = AF_INET;
			} else if (inet_pton(AF_INET6, optarg, flt.addr) == 1) {
				flt.family = AF_INET6;
			} else {
				pr_warn("invalid --host '%s': not an IPv4 or IPv6 "
					"address",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_T_PORT:
			if (parse_u32("--port", optarg, 1, 65535, &flt.port))
				return EXIT_USAGE;
			break;
		case OPT_T_PIN_PATH:
			if (persist_path_check(optarg))
				return EXIT_USAGE;
			pin_path = optarg;
			break;
		case 'N':
			if (parse_u32("-N", optarg, 1, 100000000, &limit))
				return EXIT_USAGE;
			break;
		case 'v':
			log_set_level(log_level + 1);
			break;
		case 'h':
			flows_usage(stdout);
			return EXIT_OK;
		default:
			flows_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		pr_warn("flows: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (source_open(pin_path, &src))
		return EXIT_RUNTIME;
	pick.k = limit;
	if (limit && limit <= FLOWS_PICK_MAX) {
		/* The best N, copied out batch by batch: no whole-map dump. */
		pick.rows = calloc(limit, sizeof(*pick.rows));
		pick.slots = calloc(limit, sizeof(*pick.slots));
		err = pick.rows && pick.slots ? 0 : -ENOMEM;
		if (!err)
			err = flows_dump_each(src.m.flows, &d, flow_pick_batch, &pick);
	} else {
		err = flows_dump_read(src.m.flows, &d);
		if (!err) {
			pick.rows = calloc(d.n ? d.n : 1, sizeof(*pick.rows));
			err = pick.rows ? 0 : -ENOMEM;
		}
		if (!err)
			flow_pick_batch(&pick, &d);
	}
	if (err) {
		pr_warn("flows: reading the flow map: %s", strerror(-err));
		goto out;
	}
	off = mono_to_real();
	rows = pick.rows;
	n = pick.n;
	qsort(rows, n, sizeof(*rows), flow_cmp);

	if (json) {
		printf("{\"source\":\"%s\",\"flows\":[", src.pinned ? "pinned" : "live");
	} else {
		printf("%-47s %-47s %7s %7s %7s %7s %7s  %-8s %-8s %s\n", "ENDPOINT A",
		       "ENDPOINT B", "SYN", "SYNACK", "FIN", "RST", "RSTACK", "FIRST", "LAST",
		       "IFACE");
		printf("%-47s %-47s %7s %7s %7s %7s %7s\n", "", "", "a>b/b>a", "", "", "", "");
	}
	for (i = 0; i < n; i++) {
		const struct rst_flow_key *k = rows[i].k;
		const struct rst_flow_val *v = rows[i].v;
		char c[5][24];

		ifn = source_ifname(&src, v->ifindex, nm);
		if (json) {
			printf("%s{\"family\":\"%s\",\"addr_a\":\"%s\",\"port_a\":%u,"
			       "\"addr_b\":\"%s\",\"port_b\":%u,\"a_to_b\":",
			       i ? "," : "", k->family == AF_INET6 ? "ipv6" : "ipv4",
			       addr_str(k->addr_a, k->family, a, sizeof(a)), k->port_a,
			       addr_str(k->addr_b, k->family, b, sizeof(b)), k->port_b);
			flow_json_dir(v, 0);
			printf(",\"b_to_a\":");
			flow_json_dir(v, 1);
			printf(",\"rsts\":%llu,\"first_seen\":", (unsigned long long)flow_rsts(v));
			jw_time(stdout, v->first_ns + off);
			printf(",\"last_seen\":");
			jw_time(stdout, v->last_ns + off);
			printf(",\"ifindex\":%u,\"iface\":", v->ifindex);
			if (ifn)
				jw_str(stdout, ifn);
			else
				printf("null");
			printf("}");
			continue;
		}
		snprintf(c[0], sizeof(c[0]), "%u/%u", v->syn[0], v->syn[1]);
		snprintf(c[1], sizeof(c[1]), "%u/%u", v->synack[0], v->synack[1]);
		snprintf(c[2], sizeof(c[2]), "%u/%u", v->fin[0], v->fin[1]);
		snprintf(c[3], sizeof(c[3]), "%u/%u", v->rst[0], v->rst[1]);
		snprintf(c[4], sizeof(c[4]), "%u/%u", v->rstack[0], v->rstack[1]);
		{
			time_t ft = (time_t)((v->first_ns + off) / 1000000000LL);
			time_t lt = (time_t)((v->last_ns + off) / 1000000000LL);
			struct tm tm;

			localtime_r(&ft, &tm);
			strftime(fs, sizeof(fs), "%H:%M:%S", &tm);
			localtime_r(&lt, &tm);
			strftime(ls, sizeof(ls), "%H:%M:%S", &tm);
		}
		printf("%-47s %-47s %7s %7s %7s %7s %7s  %-8s %-8s %s\n",
		       endpoint(k->addr_a, k->port_a, k->family, a, sizeof(a)),
		       endpoint(k->addr_b, k->port_b, k->family, b, sizeof(b)), c[0], c[1], c[2],
		       c[3], c[4], fs, ls, ESC(ifn ? ifn : "-"));
	}
	if (json)
		printf("]}\n");
	ret = fflush(stdout) ? EXIT_RUNTIME : EXIT_OK;
out:
	free(pick.rows);
	free(pick.slots);
	map_dump_free(&d);
	source_close(&src);
	return ret;
}

/* "events_sampled_out" -> "sampled_out": the key inside the "events" object. */
static const char *event_key(int c)
{
	const char *n = rst_counter_names[c];

	if (c == RST_C_EV_SENT)
		return "delivered";
	return strncmp(n, "events_", 7) ? n : n + 7;
}

static int is_event_counter(int c)
{
	return c >= RST_C_EV_SENT && c <= RST_C_EV_FILTERED;
}

static void stats_usage(FILE *f)
{
	fprintf(f, "usage: rsttrace stats [--json] [--pin-path DIR]\n"
		   "  global counters, malformed packets by reason, events by result,\n"
		   "  and the counters of each interface and direction\n");
}

int cmd_stats(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_T_JSON },
		{ "pin-path", required_argument, NULL, OPT_T_PIN_PATH },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct rst_if_totals per[RST_COUNTER_ENTRIES];
	const char *pin_path = NULL, *ifn;
	char nm[IF_NAMESIZE];
	struct rst_totals t;
	struct source src;
	size_t n_per = 0, i;
	int opt, json = 0, c, first, ret = EXIT_RUNTIME;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+vh", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_T_JSON:
			json = 1;
			break;
		case OPT_T_PIN_PATH:
			if (persist_path_check(optarg))
				return EXIT_USAGE;
			pin_path = optarg;
			break;
		case 'v':
			log_set_level(log_level + 1);
			break;
		case 'h':
			stats_usage(stdout);
			return EXIT_OK;
		default:
			stats_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		pr_warn("stats: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (source_open(pin_path, &src))
		return EXIT_RUNTIME;
	if (counters_read(src.m.counters, &t, per, RST_COUNTER_ENTRIES, &n_per)) {
		pr_warn("stats: reading the counters map: %s", strerror(errno));
		goto out;
	}
	if (json) {
		printf("{\"source\":\"%s\",\"counters\":{", src.pinned ? "pinned" : "live");
		for (c = 0, first = 1; c < RST_C_MAX; c++, first = 0)
			printf("%s\"%s\":%llu", first ? "" : ",", rst_counter_names[c],
			       (unsigned long long)t.c[c]);
		printf("},\"rsts\":%llu,\"malformed\":{", (unsigned long long)totals_rsts(&t));
		for (c = 0; c < RST_M_MAX; c++)
			printf("%s\"%s\":%llu", c ? "," : "", rst_malformed_names[c],
			       (unsigned long long)t.malformed[c]);
		printf("},\"malformed_total\":%llu,\"events\":{",
		       (unsigned long long)totals_malformed(&t));
		for (c = RST_C_EV_SENT, first = 1; is_event_counter(c); c++, first = 0)
			printf("%s\"%s\":%llu", first ? "" : ",", event_key(c),
			       (unsigned long long)t.c[c]);
		printf("},\"hosts_evicted\":{");
		for (i = 0; i < 2; i++) {
			printf("%s\"%s\":{", i ? "," : "", i == RST_DIR_OUT ? "out" : "in");
			for (c = 0; c < RST_HF_MAX; c++)
				printf("%s\"%s\":%llu", c ? "," : "", rst_host_flag_names[c],
				       (unsigned long long)t.host_lost[i][c]);
			printf("}");
		}
		printf("},\"flows_untracked\":{");
		for (i = 0; i < RST_FL_MAX; i++) {
			printf("%s\"%s\":{", i ? "," : "", rst_flow_cause_names[i]);
			for (c = 0; c < RST_FF_MAX; c++)
				printf("%s\"%s\":%llu", c ? "," : "", rst_flow_flag_names[c],
				       (unsigned long long)t.flow_lost[i][c]);
			printf("}");
		}
		printf("},\"interfaces\":[");
		for (i = 0, first = 1; i < n_per; i++) {
			/* The shared overflow slot, only when something landed there. */
			if (!per[i].ifindex && !per[i].t.c[RST_C_PACKETS])
				continue;
			ifn = source_ifname(&src, per[i].ifindex, nm);
			printf("%s{\"ifindex\":%u,\"iface\":", first ? "" : ",", per[i].ifindex);
			first = 0;
			if (ifn)
				jw_str(stdout, ifn);
			else
				printf("null");
			printf(",\"direction\":\"%s\"", per[i].dir == RST_DIR_OUT ? "out" : "in");
			for (c = 0; c < RST_C_MAX; c++)
				printf(",\"%s\":%llu", rst_counter_names[c],
				       (unsigned long long)per[i].t.c[c]);
			printf(",\"malformed\":%llu}",
			       (unsigned long long)totals_malformed(&per[i].t));
		}
		printf("]}\n");
	} else {
		printf("counters (%s):\n", src.desc);
		for (c = 0; c < RST_C_MAX; c++)
			if (!is_event_counter(c))
				printf("  %-22s %llu\n", rst_counter_names[c],
				       (unsigned long long)t.c[c]);
		printf("events by result:\n");
		for (c = RST_C_EV_SENT; is_event_counter(c); c++)
			printf("  %-22s %llu\n", event_key(c), (unsigned long long)t.c[c]);
		printf("host counts evicted from the host table (in / out):\n");
		for (c = 0; c < RST_HF_MAX; c++)
			printf("  %-22s %llu / %llu\n", rst_host_flag_names[c],
			       (unsigned long long)t.host_lost[RST_DIR_IN][c],
			       (unsigned long long)t.host_lost[RST_DIR_OUT][c]);
		printf("flags not in the flow table, by cause:\n  %-12s", "");
		for (c = 0; c < RST_FF_MAX; c++)
			printf(" %10s", rst_flow_flag_names[c]);
		printf("\n");
		for (i = 0; i < RST_FL_MAX; i++) {
			printf("  %-12s", rst_flow_cause_names[i]);
			for (c = 0; c < RST_FF_MAX; c++)
				printf(" %10llu", (unsigned long long)t.flow_lost[i][c]);
			printf("\n");
		}
		printf("malformed packets by reason (%llu in all):\n",
		       (unsigned long long)totals_malformed(&t));
		for (c = 0; c < RST_M_MAX; c++)
			printf("  %-24s %llu\n", rst_malformed_names[c],
			       (unsigned long long)t.malformed[c]);
		if (n_per)
			printf("per interface:\n  %-16s %-3s %12s %10s %10s %10s %10s %10s\n",
			       "INTERFACE", "DIR", "PACKETS", "SYN", "FIN", "RST", "RSTACK",
			       "MALFORMED");
		for (i = 0; i < n_per; i++) {
			if (!per[i].ifindex && !per[i].t.c[RST_C_PACKETS])
				continue;
			ifn = per[i].ifindex ? source_ifname(&src, per[i].ifindex, nm) : "(shared)";
			if (!ifn) {
				snprintf(nm, sizeof(nm), "if%u", per[i].ifindex);
				ifn = nm;
			}
			printf("  %-16s %-3s %12llu %10llu %10llu %10llu %10llu %10llu\n", ESC(ifn),
			       per[i].dir == RST_DIR_OUT ? "out" : "in",
			       (unsigned long long)per[i].t.c[RST_C_PACKETS],
			       (unsigned long long)per[i].t.c[RST_C_SYN],
			       (unsigned long long)per[i].t.c[RST_C_FIN],
			       (unsigned long long)per[i].t.c[RST_C_RST],
			       (unsigned long long)per[i].t.c[RST_C_RSTACK],
			       (unsigned long long)totals_malformed(&per[i].t));
		}
	}
	ret = fflush(stdout) ? EXIT_RUNTIME : EXIT_OK;
out:
	source_close(&src);
	return ret;
}
