// SPDX-License-Identifier: GPL-2.0
/*
 * bench_prog: per-packet cost of rst_xdp and rst_tc_ingress under
 * BPF_PROG_TEST_RUN, side by side with an empty program of the same type,
 * per packet class, and the drain rate of the event ring through each
 * output format against a raw consumer. Prints one JSON object on stdout
 * (bench/run.sh merges it into bench/results.json).
 *
 *   bench_prog [-r REPEAT] [-n REPS] [-c CPU] [-e EMPTY_OBJ] prog|ring
 *   bench_prog [-e EMPTY_OBJ] hold-xdp IFACE SECONDS   (flood baseline)
 *   bench_prog hold-stats SECONDS                    (BPF run-time stats on)
 *
 * Needs root; attaches nothing and sends no traffic. Every loop is bounded
 * by REPEAT * REPS program runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "counters.h"
#include "loader.h"
#include "log.h"
#include "mapread.h"
#include "output.h"
#include "pkt.h"
#include "session.h"
#include "rings.h"
#include "util.h"
#include "rsttrace.h"
#include "rsttrace.skel.h"

#define FRAME_MAX 256
#define REPS_MAX  31

/*
 * RST event runs go in batches this long, the ring drained between them:
 * the prog benchmark's ring (64 MiB) holds 195,000 events, so every run of
 * a batch finds room.
 */
#define EVENT_BATCH  131072
#define PROG_RING_SZ (64U << 20)
#define RING_RING_SZ (32U << 20)

struct frame {
	__u8 b[FRAME_MAX];
	__u32 len;
};

enum l3 { F_IP4, F_IP6 };

struct fspec {
	int l3;
	int vlan;
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 flags; /* TCP flags */
	__u8 doff;  /* 0: 5 */
	__u16 payload;
};

/* Ethernet [802.1Q] IPv4|IPv6 TCP|UDP from 10.9.0.1:40000 to 10.9.0.2:443. */
static void build(struct frame *f, const struct fspec *s)
{
	static const __u8 mac[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };
	static const __u8 ip4_src[4] = { 10, 9, 0, 1 }, ip4_dst[4] = { 10, 9, 0, 2 };
	static const __u8 ip6_src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const __u8 ip6_dst[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	__u32 l4len = (s->proto == IPPROTO_TCP ? 20 : 8) + s->payload;
	struct pkt p;

	memset(f, 0, sizeof(*f));
	pkt_init(&p, f->b, sizeof(f->b));
	pkt_eth(&p, mac, mac + 6);
	if (s->vlan)
		pkt_vlan(&p, 0x8100, 100);
	pkt_ethertype(&p, s->l3 == F_IP6 ? 0x86dd : 0x0800);
	if (s->l3 == F_IP4)
		pkt_ip4(&p, &(struct pkt_ip4){ .tot_len = 20 + l4len,
					       .id = 0x1234,
					       .frag_off = 0x4000,
					       .ttl = 64,
					       .proto = s->proto,
					       .saddr = ip4_src,
					       .daddr = ip4_dst });
	else
		pkt_ip6(&p, &(struct pkt_ip6){ .vtcfl = 0x60000000,
					       .payload_len = l4len,
					       .nexthdr = s->proto,
					       .hop_limit = 64,
					       .saddr = ip6_src,
					       .daddr = ip6_dst });
	if (s->proto == IPPROTO_TCP)
		pkt_tcp(&p, &(struct pkt_tcp){ .sport = 40000,
					       .dport = 443,
					       .seq = 1000,
					       .ack = 2000,
					       .doff = s->doff ? s->doff : 5,
					       .flags = s->flags,
					       .win = 512 });
	else
		pkt_udp(&p, 40000, 443, l4len);
	/* The payload stays zero, as the length fields say. */
	pkt_bytes(&p, NULL, s->payload);
	f->len = p.len;
}

/* ---- state ---- */

static struct rsttrace *skel;
static struct rst_session sess; /* loads skel, holds the ring; attaches nothing */
static struct bpf_object *eobj;
static int rings_mode = RINGS_ONE; /* -R: the event rings (rings.h) */
static struct rst_rings *rb;	   /* the session's event rings (rings.h) */
static int fd_xdp_empty, fd_tc_empty, fd_xdp_drive, fd_tc_drive, fd_xdp_target, fd_tc_target;
/* The floors of bench/empty.bpf.c: the least work a class needs; the floor ring's reader. */
static int fd_xdp_floor[3], fd_tc_floor[3];
static struct ring_buffer *floor_rb;
static __u32 *next_saddr;
static __u64 drained;
static __u32 last_kernel_ns; /* what the kernel reported for the last run */
static const char *only;     /* -k: one class or output mode only */

static int on_drop(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	drained++;
	return 0;
}

/* The floor ring's records: read to make room, nothing else. */
static int on_floor(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	return 0;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* CPU time of this thread in ns: it stops while another task has the CPU. */
static __u64 thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Run fd on f repeat times: this thread's CPU ns for the whole call, or -1. */
static double run_raw(int fd, const struct frame *f, __u32 repeat)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = f->len,
		    .repeat = repeat);
	__u64 t0, t1;

	t0 = thread_ns();
	if (bpf_prog_test_run_opts(fd, &o)) {
		fprintf(stderr, "bench_prog: test_run: %s\n", strerror(errno));
		return -1;
	}
	t1 = thread_ns();
	last_kernel_ns = o.duration;
	return (double)(t1 - t0);
}

/*
 * Average ns per run of fd on f over repeat runs, or -1; adds the runs made
 * (repeat + 1) to *runs. The kernel reports whole nanoseconds only (an
 * empty program takes about 5), so the figure comes from this thread's CPU
 * time, which is as precise as the scheduler's clock and blind to the time
 * other tasks of this shared machine hold the CPU. A call has a fixed cost
 * besides the runs: for XDP, test_run patches the program into the XDP
 * dispatcher and out again, about a millisecond on this VM. A call with
 * repeat 1 right before measures that cost, and it is taken out.
 */
static double test_run(int fd, const struct frame *f, __u32 repeat, __u64 *runs)
{
	double one, all;

	one = run_raw(fd, f, 1);
	if (one < 0)
		return -1;
	if (runs)
		*runs += 1;
	if (repeat == 1)
		return one;
	all = run_raw(fd, f, repeat);
	if (all < 0)
		return -1;
	if (runs)
		*runs += repeat;
	return (all - one) / (repeat - 1);
}

static int set_config(__u32 rate, __u32 burst)
{
	struct rst_opts o;

	opts_default(&o);
	o.rate_limit = rate;
	o.burst = burst;
	/* No rate limit, or one too high to reach: no CPU budget either, every event written. */
	if (!rate || rate >= 1000000000)
		o.event_budget = 0;
	return loader_apply_settings(bpf_map__fd(skel->maps.settings), &o);
}

static int totals(struct rst_totals *t)
{
	return counters_read(bpf_map__fd(skel->maps.counters), t, NULL, 0, NULL);
}

/*
 * Write every set of a per-CPU table on every CPU, from mk(line, index):
 * zeroes (mk NULL) to empty it, or lines to fill it. One batch.
 */
static int table_write(struct bpf_map *m, __u32 ways, __u32 line_size,
		       void (*mk)(void *line, __u32 i, __u32 now_t))
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	__u32 sets = bpf_map__max_entries(m), set_size = bpf_map__value_size(m), n = sets, i, w;
	int ncpu = libbpf_num_possible_cpus(), cpu, err = 0;
	size_t stride = (size_t)((set_size + 7) & ~7U);
	__u32 *keys = calloc(sets, sizeof(*keys));
	char *vals = calloc((size_t)sets * ncpu, stride);
	struct timespec ts;
	__u32 now_t;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now_t = (__u32)(((__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec) >> RST_TICK_SHIFT);
	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < sets; i++) {
		keys[i] = i;
		for (cpu = 0; mk && cpu < ncpu; cpu++) {
			char *set = vals + ((size_t)i * ncpu + cpu) * stride;
			struct rst_set_hdr *hdr = (struct rst_set_hdr *)set;

			for (w = 0; w < ways; w++) {
				__u32 k = ((cpu * sets) + i) * ways + w;

				mk(set + sizeof(*hdr) + (size_t)w * line_size, k, now_t);
				/* Occupied, seen now; no benchmark key has this tag's line. */
				hdr->tag[w] = rst_tag(k);
				hdr->last_t[w] = now_t;
			}
		}
	}
	if (bpf_map_update_batch(bpf_map__fd(m), keys, vals, &n, &bo) || n != sets) {
		err = -errno;
		fprintf(stderr, "bench_prog: writing %s: %s\n", bpf_map__name(m), strerror(errno));
	}
out:
	free(keys);
	free(vals);
	return err;
}

static void clear_tables(void)
{
	table_write(skel->maps.flows, RST_FLOW_WAYS, sizeof(struct rst_flow_line), NULL);
	table_write(skel->maps.hosts, RST_HOST_WAYS, sizeof(struct rst_host_line), NULL);
}

/* Lines no benchmark packet uses (12.0.0.0/8), seen just now: busy, as under a flood. */
static void mk_host(void *line, __u32 i, __u32 now_t)
{
	struct rst_host_line *l = line;

	pkt_put32(l->addr, 0x0c000000 + i);
	l->family = 2;
	l->rst_in = 1;
	l->first_t = l->last_t = now_t;
}

static void mk_flow(void *line, __u32 i, __u32 now_t)
{
	struct rst_flow_line *l = line;

	pkt_put32(l->addr_a, 0x0c000000 + i);
	pkt_put32(l->addr_b, 0x0d000001);
	l->port_a = 1000 + i % 60000;
	l->port_b = 80;
	l->family = 2;
	l->syn[0] = 1;
	l->first_t = l->last_t = now_t;
}

/*
 * Fill every way of every set of the host and flow tables, on every CPU:
 * a new source must evict a host line, and its SYN finds its flow set
 * busy (table full). Returns the entries present after.
 */
static int fill_maps(__u32 *flows_n, __u32 *hosts_n)
{
	long f, h;
	int err;

	err = table_write(skel->maps.flows, RST_FLOW_WAYS, sizeof(struct rst_flow_line), mk_flow);
	if (!err)
		err = table_write(skel->maps.hosts, RST_HOST_WAYS, sizeof(struct rst_host_line),
				  mk_host);
	f = flows_count(bpf_map__fd(skel->maps.flows));
	h = hosts_count(bpf_map__fd(skel->maps.hosts));
	*flows_n = f > 0 ? (__u32)f : 0;
	*hosts_n = h > 0 ? (__u32)h : 0;
	return err;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double s[REPS_MAX];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void print_array(const char *key, const double *v, int n)
{
	int i;

	printf("\"%s\":[", key);
	for (i = 0; i < n; i++)
		printf("%s%.2f", i ? "," : "", v[i]);
	printf("]");
}

/* ---- per-packet cost ---- */

enum cls_kind {
	K_PLAIN = 0, /* repeat one frame */
	K_EVENT,     /* repeat an RST in ring-sized batches, draining between */
	K_DRIVE,     /* through the driver: a new source address every run */
};

/* The floor program a class is compared with (bench/empty.bpf.c), index into fd_*_floor. */
enum cls_floor {
	FL_NONE = -1,
	FL_DATA = 0, /* two per-CPU counters and the IPv4/TCP tests */
	FL_EVENT,    /* a clock read and a 144-byte ring record with 64 bytes of frame */
	FL_NEWSRC,   /* one 64-byte per-CPU line of a new source written */
};

static const char *const floor_what[] = {
	"two per-CPU counters, one bound check, the IPv4/TCP tests",
	"the IPv4/TCP tests, one fine clock read, a 144-byte ring record with the frame's first 64 "
	"bytes, no wakeup",
	"the IPv4/TCP tests, a hash of the source, one 64-byte line of a 16384-line per-CPU table",
};

struct cls {
	const char *name;
	const char *what;
	struct fspec spec;
	int kind;
	__u32 rate, burst; /* settings during the class */
	double target;	   /* ratio to empty; 0: none */
	int floor;	   /* enum cls_floor */
};

static const struct cls classes[] = {
	{ "tcp4_data",
	  "IPv4 TCP data (ACK|PSH, 100 B) on a known flow",
	  { F_IP4, 0, IPPROTO_TCP, 0x18, 0, 100 },
	  K_PLAIN,
	  RST_RATE_DEFAULT,
	  0,
	  1.30,
	  FL_DATA },
	{ "tcp6_vlan_data",
	  "802.1Q + IPv6 TCP data (ACK|PSH, 100 B)",
	  { F_IP6, 1, IPPROTO_TCP, 0x18, 0, 100 },
	  K_PLAIN,
	  RST_RATE_DEFAULT,
	  0,
	  1.30,
	  FL_NONE },
	{ "udp4",
	  "IPv4 UDP (100 B): not TCP",
	  { F_IP4, 0, IPPROTO_UDP, 0, 0, 100 },
	  K_PLAIN,
	  RST_RATE_DEFAULT,
	  0,
	  1.30,
	  FL_DATA },
	{ "rst_event",
	  "IPv4 RST|ACK that becomes an event (rate limit never reached)",
	  { F_IP4, 0, IPPROTO_TCP, 0x14, 0, 0 },
	  K_EVENT,
	  1000000000,
	  1000000000,
	  6.0,
	  FL_EVENT },
	{ "rst_ratelimited",
	  "IPv4 RST|ACK suppressed by the per-source rate limit",
	  { F_IP4, 0, IPPROTO_TCP, 0x14, 0, 0 },
	  K_PLAIN,
	  1,
	  1,
	  0,
	  FL_NONE },
	{ "syn_full_lru",
	  "IPv4 SYN from a new source: host line evicted, flow set full (100%-full tables)",
	  { F_IP4, 0, IPPROTO_TCP, 0x02, 0, 0 },
	  K_DRIVE,
	  RST_RATE_DEFAULT,
	  0,
	  6.0,
	  FL_NEWSRC },
	{ "rst_full_new",
	  "IPv4 RST from a new source into 100%-full tables (default event budget and rate)",
	  { F_IP4, 0, IPPROTO_TCP, 0x04, 0, 0 },
	  K_DRIVE,
	  RST_RATE_DEFAULT,
	  0,
	  6.0,
	  FL_NEWSRC },
	{ "malformed",
	  "IPv4 TCP with data offset 3 (malformed, counted)",
	  { F_IP4, 0, IPPROTO_TCP, 0x10, 3, 0 },
	  K_PLAIN,
	  RST_RATE_DEFAULT,
	  0,
	  0,
	  FL_NONE },
};

struct hook {
	const char *name;
	int *empty, *drive, *target;
	struct bpf_program *prog;
	int *floor; /* [enum cls_floor] */
};

/* Average ns per run of an RST event class: batches, ring r drained between. */
static double run_events(int fd, const struct frame *f, __u32 repeat, __u64 *runs,
			 struct ring_buffer *floor)
{
	double sum = 0, d;
	__u32 done = 0, n;

	while (done < repeat) {
		n = repeat - done < EVENT_BATCH ? repeat - done : EVENT_BATCH;
		d = test_run(fd, f, n, runs);
		if (d < 0)
			return -1;
		sum += d * n;
		done += n;
		/* Outside the timed run: make room for the next batch. */
		if (floor)
			ring_buffer__consume(floor);
		else
			rings_consume(rb);
	}
	return sum / repeat;
}

static int set_target(int map_fd, int prog_fd)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(map_fd, &zero, &prog_fd, BPF_ANY)) {
		fprintf(stderr, "bench_prog: prog array update: %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

/*
 * The class's floor program, timed as rsttrace is (a driven class through
 * the driver, its cost cancelled by the driver-with-empty run): *ns.
 */
static int floor_cost(const struct cls *c, const struct hook *h, const struct frame *f,
		      __u32 repeat, double emp, double *ns)
{
	int fd = h->floor[c->floor];
	double d, de;

	if (fd < 0)
		return -1;
	switch (c->kind) {
	case K_EVENT:
		*ns = run_events(fd, f, repeat, NULL, floor_rb);
		break;
	case K_DRIVE:
		if (set_target(*h->target, *h->empty))
			return -1;
		de = test_run(*h->drive, f, repeat, NULL);
		if (set_target(*h->target, fd))
			return -1;
		d = test_run(*h->drive, f, repeat, NULL);
		*ns = d < 0 || de < 0 ? -1 : d - de + emp;
		break;
	default:
		*ns = test_run(fd, f, repeat, NULL);
	}
	return *ns < 0 ? -1 : 0;
}

static int bench_class(const struct cls *c, const struct hook *h, __u32 repeat, int reps, int first)
{
	double rst[REPS_MAX], emp[REPS_MAX], drv_rst[REPS_MAX], drv_emp[REPS_MAX], cost[REPS_MAX],
		ratio[REPS_MAX], kemp[REPS_MAX], krst[REPS_MAX], flo[REPS_MAX], flo_ratio[REPS_MAX];
	int fd = bpf_program__fd(h->prog), r, ok = 1;
	struct rst_totals t0, t1;
	__u32 fill_f = 0, fill_h = 0;
	__u64 want = 0, got = 0, runs = 0;
	const char *check = "";
	struct frame f;

	build(&f, &c->spec);
	if (set_config(c->rate, c->burst))
		return -1;
	if (c->kind == K_DRIVE) {
		if (fill_maps(&fill_f, &fill_h))
			return -1;
	} else {
		/* Prime: the flow, host and bucket exist, like on a known flow. */
		test_run(fd, &f, 1, NULL);
		rings_consume(rb);
	}
	if (totals(&t0))
		return -1;
	for (r = 0; r < reps; r++) {
		/* Side by side: the empty program right before the real one. */
		emp[r] = test_run(*h->empty, &f, repeat, NULL);
		kemp[r] = last_kernel_ns;
		krst[r] = 0;
		if (c->kind == K_PLAIN) {
			rst[r] = test_run(fd, &f, repeat, &runs);
			krst[r] = last_kernel_ns;
			cost[r] = rst[r];
		} else if (c->kind == K_EVENT) {
			rst[r] = run_events(fd, &f, repeat, &runs, NULL);
			cost[r] = rst[r];
		} else {
			if (set_target(*h->target, *h->empty))
				return -1;
			drv_emp[r] = test_run(*h->drive, &f, repeat, NULL);
			if (set_target(*h->target, fd))
				return -1;
			drv_rst[r] = test_run(*h->drive, &f, repeat, &runs);
			/* The driver's own cost cancels out. */
			rst[r] = drv_rst[r];
			cost[r] = drv_rst[r] - drv_emp[r] + emp[r];
		}
		if (emp[r] <= 0 || rst[r] < 0)
			return -1;
		ratio[r] = cost[r] / emp[r];
		if (c->floor != FL_NONE && floor_cost(c, h, &f, repeat, emp[r], &flo[r]))
			return -1;
		flo_ratio[r] = c->floor != FL_NONE ? flo[r] / emp[r] : 0;
	}
	if (totals(&t1))
		return -1;
	rings_consume(rb);

	/* What the counters must show for the runs to mean what they say. */
	switch (c->kind) {
	case K_EVENT:
		want = runs;
		got = t1.c[RST_C_EV_SENT] - t0.c[RST_C_EV_SENT];
		check = "events_delivered";
		break;
	case K_DRIVE:
		want = runs;
		if (c->spec.flags & 0x04) {
			got = t1.c[RST_C_RST] - t0.c[RST_C_RST];
			check = "rst_counted";
		} else {
			got = t1.c[RST_C_SYN] - t0.c[RST_C_SYN];
			check = "syn_counted";
		}
		ok = t1.c[RST_C_FLOW_ERR] == t0.c[RST_C_FLOW_ERR] &&
		     t1.c[RST_C_HOST_ERR] == t0.c[RST_C_HOST_ERR];
		break;
	default:
		if (!strcmp(c->name, "rst_ratelimited")) {
			/* At 1 event/s, the seconds the class takes let a few through. */
			want = runs;
			got = t1.c[RST_C_EV_RATELIM] - t0.c[RST_C_EV_RATELIM] +
			      t1.c[RST_C_EV_SENT] - t0.c[RST_C_EV_SENT];
			check = "events_rate_limited_or_sent";
			ok = t1.c[RST_C_EV_SENT] - t0.c[RST_C_EV_SENT] < 100;
		} else if (!strcmp(c->name, "malformed")) {
			want = runs;
			got = totals_malformed(&t1) - totals_malformed(&t0);
			check = "malformed_counted";
		} else {
			want = runs;
			got = t1.c[RST_C_PACKETS] - t0.c[RST_C_PACKETS];
			check = "packets_counted";
		}
	}
	ok = ok && want == got;

	printf("%s{\"class\":\"%s\",\"hook\":\"%s\",\"what\":\"%s\",", first ? "" : ",", c->name,
	       h->name, c->what);
	print_array("empty_ns", emp, reps);
	printf(",");
	print_array("rsttrace_ns", rst, reps);
	printf(",");
	print_array("kernel_empty_ns", kemp, reps);
	printf(",");
	if (c->kind == K_PLAIN) {
		print_array("kernel_rsttrace_ns", krst, reps);
		printf(",");
	}
	if (c->kind == K_DRIVE) {
		print_array("driver_empty_ns", drv_emp, reps);
		printf(",");
		print_array("driver_rsttrace_ns", drv_rst, reps);
		printf(",\"flows_filled\":%u,\"flows_max\":%u,\"hosts_filled\":%u,\"hosts_max\":%"
		       "u,",
		       fill_f, (__u32)table_capacity(bpf_map__fd(skel->maps.flows)), fill_h,
		       (__u32)table_capacity(bpf_map__fd(skel->maps.hosts)));
	}
	print_array("cost_ns", cost, reps);
	printf(",");
	print_array("ratio", ratio, reps);
	printf(",\"median_empty_ns\":%.2f,\"median_ns\":%.2f,\"median_ratio\":%.3f,",
	       median(emp, reps), median(cost, reps), median(ratio, reps));
	if (c->floor != FL_NONE) {
		print_array("floor_ns", flo, reps);
		printf(",\"floor_what\":\"%s\",\"median_floor_ns\":%.2f,\"median_floor_ratio\":%."
		       "3f,",
		       floor_what[c->floor], median(flo, reps), median(flo_ratio, reps));
	}
	if (c->target > 0)
		printf("\"target\":%.2f,\"pass\":%s,", c->target,
		       median(ratio, reps) <= c->target ? "true" : "false");
	else
		printf("\"target\":null,\"pass\":null,");
	printf("\"check\":{\"what\":\"%s\",\"expected\":%llu,\"got\":%llu,\"ok\":%s}}\n", check,
	       (unsigned long long)want, (unsigned long long)got, ok ? "true" : "false");
	fflush(stdout);
	return 0;
}

static int bench_prog(__u32 repeat, int reps)
{
	struct hook hooks[] = {
		{ "xdp", &fd_xdp_empty, &fd_xdp_drive, &fd_xdp_target, skel->progs.rst_xdp,
		  fd_xdp_floor },
		{ "tc", &fd_tc_empty, &fd_tc_drive, &fd_tc_target, skel->progs.rst_tc_ingress,
		  fd_tc_floor },
	};
	size_t i, j;
	int first = 1;

	printf("{\"repeat\":%u,\"reps\":%d,\"event_batch\":%d,\"classes\":[\n", repeat, reps,
	       EVENT_BATCH);
	for (i = 0; i < ARRAY_SIZE(classes); i++) {
		if (only && strcmp(only, classes[i].name))
			continue;
		for (j = 0; j < ARRAY_SIZE(hooks); j++) {
			if (bench_class(&classes[i], &hooks[j], repeat, reps, first))
				return -1;
			first = 0;
		}
		/* Each class starts from empty tables (the fill is its own). */
		clear_tables();
	}
	printf("]}\n");
	return 0;
}

/* ---- two CPUs at once ---- */

/*
 * Per-run cost of a driven class (a new source every run, full tables) on
 * one CPU alone, then on two CPUs at once: a child process pinned to the
 * other CPU runs the same class on the same programs and maps, started
 * together through a pipe. With per-CPU state and no shared lock the cost
 * per run stays the same; a common LRU or a shared line would show here.
 * Prints one JSON object. cpu_a: this process's CPU, cpu_b the child's.
 */
static double drive_cost(const struct hook *h, const struct frame *f, __u32 repeat)
{
	double drv_emp, drv;

	if (set_target(*h->target, *h->empty))
		return -1;
	drv_emp = test_run(*h->drive, f, repeat, NULL);
	if (set_target(*h->target, bpf_program__fd(h->prog)))
		return -1;
	drv = test_run(*h->drive, f, repeat, NULL);
	return drv < 0 || drv_emp < 0 ? -1 : drv - drv_emp;
}

/*
 * Per-run cost of RST events written to the ring (rate limit and budgets
 * off) by the real program: both CPUs write into the one ring at once in
 * the paired runs, so its producer lock and positions are shared. At
 * most PAIR_EV_RUNS a call, so that two calls fit in the ring together;
 * the parent drains it between measurements.
 */
#define PAIR_EV_RUNS 150000

static double event_cost(const struct hook *h, const struct frame *f, __u32 repeat)
{
	return test_run(bpf_program__fd(h->prog), f, repeat < PAIR_EV_RUNS ? repeat : PAIR_EV_RUNS,
			NULL);
}

static int pin_cpu(__u32 cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static int bench_pair(__u32 repeat, int reps, __u32 cpu_a, __u32 cpu_b)
{
	struct hook h = {
		"tc",	    &fd_tc_empty, &fd_tc_drive, &fd_tc_target, skel->progs.rst_tc_ingress,
		fd_tc_floor
	};
	static const char *const names[] = { "syn_full_lru", "rst_full_new", "rst_event" };
	double alone[REPS_MAX], both[REPS_MAX], other[REPS_MAX];
	__u32 fill_f, fill_h;
	size_t c;
	int r, first = 1;

	printf("{\"repeat\":%u,\"reps\":%d,\"hook\":\"tc\",\"rings\":\"%s\",\"cpus\":[%u,%u],"
	       "\"classes\":[",
	       repeat, reps, skel->rodata->ev_percpu ? "per-cpu" : "one", cpu_a, cpu_b);
	for (c = 0; c < ARRAY_SIZE(names); c++) {
		const struct cls *k = NULL;
		struct frame f;
		size_t i;

		for (i = 0; i < ARRAY_SIZE(classes); i++)
			if (!strcmp(classes[i].name, names[c]))
				k = &classes[i];
		if (!k)
			return -1;
		build(&f, &k->spec);
		/*
		 * No budgets: every SYN looks its flow set up, every RST tries
		 * the ring (full after the first runs: each reserve still takes
		 * the ring's lock, shared by the CPUs). The worst case, steady.
		 */
		{
			struct rst_opts o;

			opts_default(&o);
			o.flow_budget = o.event_budget = 0;
			if (k->kind == K_EVENT)
				o.rate_limit = 0; /* every run an event */
			if (loader_apply_settings(bpf_map__fd(skel->maps.settings), &o))
				return -1;
		}
		if (k->kind == K_DRIVE && fill_maps(&fill_f, &fill_h))
			return -1;
		for (r = 0; r < reps; r++) {
			int go[2], back[2], st;
			pid_t pid;
			double d = -1;
			char b = 1;

			if (pin_cpu(cpu_a))
				return -1;
			rings_consume(rb);
			alone[r] = k->kind == K_EVENT ? event_cost(&h, &f, repeat)
						      : drive_cost(&h, &f, repeat);
			rings_consume(rb);
			if (pipe(go) || pipe(back))
				return -1;
			pid = fork();
			if (pid < 0)
				return -1;
			if (pid == 0) {
				/* The child: the same runs on the other CPU, at the same time. */
				if (pin_cpu(cpu_b) || read(go[0], &b, 1) != 1)
					_exit(1);
				d = k->kind == K_EVENT ? event_cost(&h, &f, repeat)
						       : drive_cost(&h, &f, repeat);
				if (write(back[1], &d, sizeof(d)) != sizeof(d))
					_exit(1);
				_exit(0);
			}
			if (write(go[1], &b, 1) != 1)
				return -1;
			both[r] = k->kind == K_EVENT ? event_cost(&h, &f, repeat)
						     : drive_cost(&h, &f, repeat);
			if (read(back[0], &other[r], sizeof(other[r])) != sizeof(other[r]))
				other[r] = -1;
			waitpid(pid, &st, 0);
			rings_consume(rb);
			close(go[0]);
			close(go[1]);
			close(back[0]);
			close(back[1]);
		}
		printf("%s{\"class\":\"%s\",", first ? "" : ",", k->name);
		first = 0;
		print_array("alone_ns", alone, reps);
		printf(",");
		print_array("together_ns", both, reps);
		printf(",");
		print_array("other_cpu_ns", other, reps);
		printf(",\"median_alone_ns\":%.2f,\"median_together_ns\":%.2f,\"ratio\":%.3f,"
		       "\"target\":1.3}",
		       median(alone, reps), median(both, reps),
		       median(both, reps) / median(alone, reps));
		clear_tables();
	}
	printf("]}\n");
	return 0;
}

/* ---- consumer throughput ---- */

/*
 * Each output mode goes through watch's own per-event path: the wall clock
 * from the event's stamp, then output_event() with the sinks watch opens
 * for text (stdout), --json (stdout; the class looked up in the flow map)
 * and -w FILE (pcap). stdout is /dev/null while a drain is timed.
 */
struct consumer {
	struct output out[4];
	__s64 mono_to_real;
	__u64 n;
	int mode; /* index in fmt_modes */
	int err;
};

struct fmt_mode {
	const char *name;
	int sink;      /* 0: none (raw) */
	double target; /* ratio to raw; 0: none */
};

enum { SINK_NONE = 0, SINK_TEXT, SINK_JSON, SINK_PCAP };

static const struct fmt_mode fmt_modes[] = {
	{ "raw", SINK_NONE, 0 },
	{ "text", SINK_TEXT, 0.1 },
	{ "json", SINK_JSON, 0 },
	{ "pcap", SINK_PCAP, 0.3 },
};

static int on_sample(void *ctx, void *data, size_t size)
{
	struct consumer *c = ctx;
	struct rst_event buf;
	const struct rst_event *e = rst_event_from_record(data, size, &buf);
	struct timespec wall;
	__u64 ns;
	int err;

	if (!e)
		return 0;
	c->n++;
	if (fmt_modes[c->mode].sink == SINK_NONE)
		return 0;
	ns = e->ts_ns + c->mono_to_real;
	wall.tv_sec = ns / 1000000000ULL;
	wall.tv_nsec = ns % 1000000000ULL;
	err = output_event(&c->out[c->mode], e, "veth0", &wall);
	if (err < 0)
		c->err = err;
	return 0;
}

/* Fill the ring (untimed), then time the drain alone; events/s or -1. */
static double drain_rate(struct ring_buffer *r, struct consumer *c, int fd, const struct frame *f,
			 __u32 fill)
{
	__u64 t0, t1;

	if (run_raw(fd, f, fill) < 0)
		return -1;
	c->n = 0;
	t0 = mono_ns();
	ring_buffer__consume(r);
	if (fmt_modes[c->mode].sink != SINK_NONE)
		output_flush(&c->out[c->mode]);
	t1 = mono_ns();
	if (c->n != fill || c->err) {
		fprintf(stderr, "bench_prog: drained %llu of %u events (%s)\n",
			(unsigned long long)c->n, fill, strerror(c->err ? -c->err : 0));
		return -1;
	}
	return c->n * 1e9 / (double)(t1 - t0);
}

static int open_sinks(struct consumer *c, const char *pcap_path)
{
	struct fmt_opts fo = {};
	struct output_opts oo;
	size_t m;

	for (m = 0; m < ARRAY_SIZE(fmt_modes); m++) {
		output_opts_default(&oo);
		if (fmt_modes[m].sink == SINK_JSON)
			oo.json = 1;
		else if (fmt_modes[m].sink == SINK_PCAP)
			oo.wfile = pcap_path;
		else if (fmt_modes[m].sink == SINK_NONE)
			continue;
		if (output_open(&c->out[m], &oo, &fo, RST_SNAPLEN_DEFAULT,
				bpf_map__fd(skel->maps.flows)))
			return -1;
	}
	return 0;
}

static int bench_ring(int reps)
{
	double rate[ARRAY_SIZE(fmt_modes)][REPS_MAX], ratio[REPS_MAX];
	struct fspec s = { F_IP4, 0, IPPROTO_TCP, 0x14, 0, 0 };
	__u32 fill = bpf_map__max_entries(skel->maps.events) / (RST_EVENT_SIZE + 8) * 9 / 10;
	int i, fd = bpf_program__fd(skel->progs.rst_xdp), saved, devnull, err = -1;
	char pcap_path[] = "/tmp/bench_prog.XXXXXX";
	struct consumer c = {};
	struct ring_buffer *r = NULL;
	struct frame f;
	size_t m;

	build(&f, &s);
	if (set_config(0, 0))
		return -1;
	i = mkstemp(pcap_path);
	if (i < 0)
		return -1;
	close(i);
	/* stdout is where the results go: the sinks get /dev/null instead. */
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (saved < 0 || devnull < 0 || dup2(devnull, STDOUT_FILENO) < 0)
		goto out;
	c.mono_to_real = (__s64)now_real_ns() - (__s64)now_mono_ns();
	if (open_sinks(&c, pcap_path))
		goto out;
	r = ring_buffer__new(bpf_map__fd(skel->maps.events), on_sample, &c, NULL);
	if (!r)
		goto out;
	/* Warm-up: every page of the ring mapped and touched once, every sink used. */
	for (m = 0; m < ARRAY_SIZE(fmt_modes); m++) {
		c.mode = m;
		if (drain_rate(r, &c, fd, &f, fill) < 0)
			goto out;
	}
	for (i = 0; i < reps; i++) {
		for (m = 0; m < ARRAY_SIZE(fmt_modes); m++) {
			c.mode = m;
			rate[m][i] = 1; /* -k: modes left out */
			if (m && only && strcmp(only, fmt_modes[m].name))
				continue;
			rate[m][i] = drain_rate(r, &c, fd, &f, fill);
			if (rate[m][i] < 0)
				goto out;
		}
	}
	err = 0;
out:
	ring_buffer__free(r);
	for (m = 0; m < ARRAY_SIZE(fmt_modes); m++)
		if (fmt_modes[m].sink != SINK_NONE)
			output_close(&c.out[m]);
	unlink(pcap_path);
	fflush(stdout);
	if (saved >= 0) {
		dup2(saved, STDOUT_FILENO);
		close(saved);
	}
	if (devnull >= 0)
		close(devnull);
	if (err)
		return err;

	printf("{\"events_per_fill\":%u,\"ring_bytes\":%u,\"reps\":%d,\"modes\":[\n", fill,
	       bpf_map__max_entries(skel->maps.events), reps);
	for (m = 0; m < ARRAY_SIZE(fmt_modes); m++) {
		for (i = 0; i < reps; i++)
			ratio[i] = rate[m][i] / rate[0][i];
		printf("%s{\"mode\":\"%s\",", m ? "," : "", fmt_modes[m].name);
		print_array("events_per_s", rate[m], reps);
		printf(",");
		print_array("ratio", ratio, reps);
		printf(",\"median_events_per_s\":%.0f,\"median_ratio\":%.4f,",
		       median(rate[m], reps), median(ratio, reps));
		if (fmt_modes[m].target > 0)
			printf("\"target\":%.2f,\"pass\":%s}\n", fmt_modes[m].target,
			       median(ratio, reps) >= fmt_modes[m].target ? "true" : "false");
		else
			printf("\"target\":null,\"pass\":null}\n");
	}
	printf("]}\n");
	return 0;
}

/* ---- setup ---- */

static int prog_fd(const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(eobj, name);

	return p ? bpf_program__fd(p) : -1;
}

static int map_fd(const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(eobj, name);

	return m ? bpf_map__fd(m) : -1;
}

static int load_empty(const char *path)
{
	struct bpf_map *m;
	size_t sz;

	eobj = bpf_object__open_file(path, NULL);
	if (!eobj) {
		fprintf(stderr, "bench_prog: opening %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (bpf_object__load(eobj)) {
		fprintf(stderr, "bench_prog: loading %s: %s\n", path, strerror(errno));
		return -1;
	}
	fd_xdp_empty = prog_fd("xdp_empty");
	fd_tc_empty = prog_fd("tc_empty");
	fd_xdp_drive = prog_fd("xdp_drive");
	fd_tc_drive = prog_fd("tc_drive");
	fd_xdp_target = map_fd("xdp_target");
	fd_tc_target = map_fd("tc_target");
	fd_xdp_floor[FL_DATA] = prog_fd("xdp_floor_data");
	fd_xdp_floor[FL_EVENT] = prog_fd("xdp_floor_event");
	fd_xdp_floor[FL_NEWSRC] = prog_fd("xdp_floor_newsrc");
	fd_tc_floor[FL_DATA] = prog_fd("tc_floor_data");
	fd_tc_floor[FL_EVENT] = prog_fd("tc_floor_event");
	fd_tc_floor[FL_NEWSRC] = prog_fd("tc_floor_newsrc");
	if (map_fd("floor_ring") >= 0)
		floor_rb = ring_buffer__new(map_fd("floor_ring"), on_floor, NULL, NULL);
	if (!floor_rb) {
		fprintf(stderr, "bench_prog: %s: no floor ring\n", path);
		return -1;
	}
	bpf_object__for_each_map(m, eobj)
	{
		const char *n = bpf_map__name(m);

		if (bpf_map__is_internal(m) && strstr(n, ".bss"))
			next_saddr = (__u32 *)bpf_map__initial_value(m, &sz);
	}
	if (fd_xdp_empty < 0 || fd_tc_empty < 0 || fd_xdp_drive < 0 || fd_tc_drive < 0 ||
	    fd_xdp_target < 0 || fd_tc_target < 0 || !next_saddr) {
		fprintf(stderr, "bench_prog: %s lacks a program, map or variable\n", path);
		return -1;
	}
	/*
	 * New sources from 11.0.0.0 on: nothing else uses them. Written into
	 * the loaded .bss map: after load, libbpf 1.1's initial value is only
	 * the image it loaded from, and a write there never reached the map.
	 */
	*next_saddr = 0x0b000000;
	bpf_object__for_each_map(m, eobj)
	{
		__u32 zero = 0;

		if (bpf_map__is_internal(m) && strstr(bpf_map__name(m), ".bss") &&
		    bpf_map_update_elem(bpf_map__fd(m), &zero, next_saddr, BPF_ANY)) {
			fprintf(stderr, "bench_prog: writing the driver's .bss: %s\n",
				strerror(errno));
			return -1;
		}
	}
	return 0;
}

/*
 * Hold the empty XDP program on an interface until a signal or the time
 * limit: the flood's "XDP mode, nothing in it" baseline. The link belongs
 * to this process alone, so its death detaches it.
 */
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

static int hold_xdp(const char *ifname, __u32 seconds)
{
	struct bpf_program *p = bpf_object__find_program_by_name(eobj, "xdp_empty");
	struct bpf_link *link;
	__u64 end = mono_ns() + (__u64)seconds * 1000000000ULL;
	int ifindex = if_nametoindex(ifname);

	if (!p || !ifindex) {
		fprintf(stderr, "bench_prog: no xdp_empty or no interface %s\n", ifname);
		return -1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	link = bpf_program__attach_xdp(p, ifindex);
	if (!link) {
		fprintf(stderr, "bench_prog: attaching xdp_empty to %s: %s\n", ifname,
			strerror(errno));
		return -1;
	}
	fprintf(stderr, "bench_prog: xdp_empty attached to %s\n", ifname);
	while (!stop && mono_ns() < end)
		usleep(50000);
	bpf_link__destroy(link);
	return 0;
}

/*
 * Keep BPF run-time statistics on (BPF_ENABLE_STATS) until a signal or the
 * time limit: the kernel then times every program run. The fd scopes it:
 * the statistics go off when this process exits, however it exits.
 */
static int hold_stats(__u32 seconds)
{
	__u64 end = mono_ns() + (__u64)seconds * 1000000000ULL;
	int fd;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (fd < 0) {
		fprintf(stderr, "bench_prog: BPF_ENABLE_STATS: %s\n", strerror(errno));
		return -1;
	}
	fprintf(stderr, "bench_prog: run-time statistics enabled\n");
	while (!stop && mono_ns() < end)
		usleep(50000);
	close(fd);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_prog [-r REPEAT] [-n REPS] [-c CPU] [-e EMPTY_OBJ] [-k "
			"CLASS] [-R one|per-cpu] prog|ring|pair\n"
			"       bench_prog [-e EMPTY_OBJ] hold-xdp IFACE SECONDS\n"
			"       bench_prog hold-stats SECONDS\n");
}

int main(int argc, char **argv)
{
	const char *empty = "build/bench/empty.bpf.o";
	__u32 repeat = 1000000, reps = 5, cpu = 0;
	struct rst_opts o;
	cpu_set_t set;
	int opt, err = 1, set_cpu = 0;

	while ((opt = getopt(argc, argv, "r:n:c:e:k:R:")) != -1) {
		switch (opt) {
		case 'R':
			/* The event rings (rings.h): pair's per-CPU rings against the one ring. */
			if (!strcmp(optarg, "one"))
				rings_mode = RINGS_ONE;
			else if (!strcmp(optarg, "per-cpu"))
				rings_mode = RINGS_PERCPU;
			else {
				usage();
				return 2;
			}
			break;
		case 'k':
			only = optarg;
			break;
		case 'r':
			if (parse_u32("-r", optarg, 1, 100000000, &repeat))
				return 2;
			break;
		case 'n':
			if (parse_u32("-n", optarg, 1, REPS_MAX, &reps))
				return 2;
			break;
		case 'c':
			if (parse_u32("-c", optarg, 0, CPU_SETSIZE - 1, &cpu))
				return 2;
			set_cpu = 1;
			break;
		case 'e':
			empty = optarg;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (argc - optind == 2 && !strcmp(argv[optind], "hold-stats")) {
		__u32 secs;

		if (parse_u32("SECONDS", argv[optind + 1], 1, 3600, &secs))
			return 2;
		return hold_stats(secs) ? 1 : 0;
	}
	if (argc - optind == 3 && !strcmp(argv[optind], "hold-xdp")) {
		__u32 secs;

		if (parse_u32("SECONDS", argv[optind + 2], 1, 3600, &secs))
			return 2;
		log_setup_libbpf();
		if (load_empty(empty))
			return 1;
		err = hold_xdp(argv[optind + 1], secs) ? 1 : 0;
		bpf_object__close(eobj);
		return err;
	}
	if (argc - optind != 1 || (strcmp(argv[optind], "prog") && strcmp(argv[optind], "ring") &&
				   strcmp(argv[optind], "pair"))) {
		usage();
		return 2;
	}
	if (set_cpu) {
		/* BPF_PROG_TEST_RUN runs on the calling CPU: keep it on one. */
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			fprintf(stderr, "bench_prog: pinning to CPU %u: %s\n", cpu,
				strerror(errno));
	}
	log_setup_libbpf();
	opts_default(&o);
	o.ring_size = strcmp(argv[optind], "ring") ? PROG_RING_SZ : RING_RING_SZ;
	o.rings = rings_mode;
	session_init(&sess);
	if (session_load(&sess, &o))
		return 1;
	skel = sess.skel;
	if (session_ring(&sess, on_drop, NULL))
		goto out;
	rb = sess.rb;
	if (!strcmp(argv[optind], "prog")) {
		if (load_empty(empty))
			goto out;
		err = bench_prog(repeat, reps) ? 1 : 0;
	} else if (!strcmp(argv[optind], "pair")) {
		/* Two CPUs at once: -c names the first, the second is the next one. */
		if (load_empty(empty))
			goto out;
		err = bench_pair(repeat, reps, cpu, (cpu + 1) % libbpf_num_possible_cpus()) ? 1 : 0;
	} else {
		err = bench_ring(reps) ? 1 : 0;
	}
out:
	bpf_object__close(eobj);
	session_close(&sess); /* the ring and the skeleton */
	return err;
}
