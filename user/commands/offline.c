// SPDX-License-Identifier: GPL-2.0
/*
 * rsttrace -r FILE: a capture through the kernel programs (offline.h).
 *
 * Each packet is made an Ethernet frame (Linux cooked and raw IP captures
 * get a synthesized header), run through the XDP program with test_run
 * (kernel/replay.c) on the capture's clock, and every event it wrote is
 * taken at once: the event gets that packet's timestamp and its snapshot
 * is cut to what the capture holds, so the printers see what tcpdump sees
 * in the file. Sampling, the per-source rate limit and the budgets are
 * off unless given: a capture is not a flood arriving now.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pcap/pcap.h>

#include "commands.h"
#include "counters.h"
#include "filter.h"
#include "jsonw.h"
#include "log.h"
#include "mapread.h"
#include "offline.h"
#include "output.h"
#include "privs.h"
#include "reader.h"
#include "replay.h"
#include "util.h"

#define ETH_HLEN   14
#define SLL_HLEN   16
#define SLL2_HLEN  20
#define ETH_P_IP   0x0800
#define ETH_P_IPV6 0x86dd
/*
 * The cooked header's packet type of a packet this host sent; the others
 * (to us, broadcast, multicast, to another host) print as In.
 * XXX: tcpdump prints B, M and P for those three.
 */
#define SLL_OUTGOING 4

/* The name the tables give the packets' interface: test_run counts them under lo. */
#define OFFLINE_IFNAME "file"

struct offline {
	const struct offline_cfg *c;
	struct replay *r;
	struct output out;
	struct rst_filter filter;
	int linktype;
	/* The packet being replayed: its events take its time and its captured length. */
	struct timespec wall;
	__u32 frame_caplen;
	/* Linux cooked v2: the interface and packet type tcpdump prints before the line. */
	__u32 sll2_ifindex;
	__u8 sll2_pkttype;
	/* The capture's clock against the program's (CLOCK_MONOTONIC + off = wall). */
	__u64 first_ns, base_ns;
	int have_first;
	__u64 read;	/* packets read from the file */
	__u64 not_run;	/* too short for test_run (under 6 bytes of frame) */
	__u64 snapped;	/* captured shorter than on the wire (-s) */
	__u64 received; /* events taken from the ring */
	__u64 matched;	/* ... that passed the expression and went to the outputs */
	__u64 filtered; /* ... that the expression rejected */
	int out_err;
	int stop;
	__u8 frame[REPLAY_FRAME_MAX];
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct offline *x = ctx;
	struct rst_event rec, ev;
	const struct rst_event *e = rst_event_from_record(data, size, &rec);
	char nm[IF_NAMESIZE];
	const char *ifname;
	int err;

	if (!e)
		return 0;
	x->received++;
	if (x->stop || (x->c->count_max && x->matched >= x->c->count_max))
		return 0;
	ev = *e;
	/*
	 * The kernel copied its snapshot from the frame as run, zeros past
	 * the capture included: cut to what the file holds, as tcpdump reads
	 * it. The printers take the packet's time (x->wall), not ts_ns.
	 */
	if (ev.snap_len > x->frame_caplen)
		ev.snap_len = (__u16)x->frame_caplen;
	if (!filter_match(&x->filter, &ev)) {
		x->filtered++;
		return 0;
	}
	ifname = OFFLINE_IFNAME;
	if (x->linktype == DLT_LINUX_SLL2) {
		/* tcpdump names the capture's interface by its index, here and now ("?": none). */
		ifname = if_indextoname(x->sll2_ifindex, nm) ? nm : "?";
		ev.dir = x->sll2_pkttype == SLL_OUTGOING ? RST_DIR_OUT : RST_DIR_IN;
	}
	err = output_event(&x->out, &ev, ifname, &x->wall);
	if (err < 0) {
		x->out_err = -err;
		return err;
	}
	if (err > 0) {
		x->stop = 1;
		return 0;
	}
	x->matched++;
	return 0;
}

static void put_be16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/*
 * The packet as an Ethernet frame in x->frame: a link header of hlen bytes
 * replaced by a synthesized one of type proto (source address from a
 * 6-byte cooked address). *caplen and *len are adjusted; -EINVAL when the
 * link header itself was not captured.
 */
static int synth_eth(struct offline *x, const u_char *data, __u32 hlen, __u16 proto,
		     const __u8 *src, __u32 *caplen, __u32 *len)
{
	__u32 n;

	if (*caplen < hlen)
		return -EINVAL;
	n = *caplen - hlen;
	if (n > REPLAY_FRAME_MAX - ETH_HLEN)
		n = REPLAY_FRAME_MAX - ETH_HLEN;
	memset(x->frame, 0, 12);
	if (src)
		memcpy(x->frame + 6, src, 6);
	put_be16(x->frame + 12, proto);
	memcpy(x->frame + ETH_HLEN, data + hlen, n);
	*caplen = n + ETH_HLEN;
	*len = *len - hlen + ETH_HLEN;
	return 0;
}

/* The Ethernet frame of one packet of x's link type: 0, or -EINVAL (a cut link header). */
static int to_frame(struct offline *x, const struct pcap_pkthdr *h, const u_char *data,
		    const __u8 **frame, __u32 *caplen, __u32 *len)
{
	__u16 proto;

	*caplen = h->caplen;
	*len = h->len < h->caplen ? h->caplen : h->len;
	switch (x->linktype) {
	case DLT_EN10MB:
		*frame = data;
		return 0;
	case DLT_LINUX_SLL:
		/* pkttype, hatype, halen, 8 bytes of address, protocol. */
		if (*caplen < SLL_HLEN)
			return -EINVAL;
		proto = (__u16)(data[14] << 8 | data[15]);
		*frame = x->frame;
		return synth_eth(x, data, SLL_HLEN, proto,
				 (data[4] << 8 | data[5]) == 6 ? data + 6 : NULL, caplen, len);
	case DLT_LINUX_SLL2:
		/* protocol, reserved, ifindex, hatype, pkttype, halen, 8 bytes of address. */
		if (*caplen < SLL2_HLEN)
			return -EINVAL;
		proto = (__u16)(data[0] << 8 | data[1]);
		x->sll2_ifindex = (__u32)data[4] << 24 | data[5] << 16 | data[6] << 8 | data[7];
		x->sll2_pkttype = data[10];
		*frame = x->frame;
		return synth_eth(x, data, SLL2_HLEN, proto, data[11] == 6 ? data + 12 : NULL,
				 caplen, len);
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		/* The version nibble says which; anything else goes as IPv4, malformed there. */
		proto = *caplen && (data[0] >> 4) == 6 ? ETH_P_IPV6 : ETH_P_IP;
		*frame = x->frame;
		return synth_eth(x, data, 0, proto, NULL, caplen, len);
	}
	return -EINVAL;
}

static __u64 ts_ns(const struct pcap_pkthdr *h)
{
	/* Opened with nanosecond precision: tv_usec holds nanoseconds. */
	return (__u64)h->ts.tv_sec * 1000000000ULL + (__u64)h->ts.tv_usec;
}

/* One packet of the file through the program. 0 or -errno (printed). */
static int offline_packet(struct offline *x, const struct pcap_pkthdr *h, const u_char *data)
{
	const __u8 *frame;
	__u32 caplen, len;
	__u64 t = ts_ns(h), clock;
	int err;

	x->read++;
	if (!x->have_first) {
		x->first_ns = t;
		x->have_first = 1;
	}
	/* The program's clock runs from base with the capture's (a packet before the first: 1 ns). */
	clock = t >= x->first_ns
			? x->base_ns + (t - x->first_ns)
			: (x->first_ns - t < x->base_ns ? x->base_ns - (x->first_ns - t) : 1);
	x->wall.tv_sec = (time_t)(t / 1000000000ULL);
	x->wall.tv_nsec = (long)(t % 1000000000ULL);
	if (h->caplen < h->len)
		x->snapped++;
	if (to_frame(x, h, data, &frame, &caplen, &len) || len < 6) {
		/* No frame test_run takes (it needs 6 bytes beside the metadata). */
		x->not_run++;
		return 0;
	}
	x->frame_caplen = caplen < REPLAY_FRAME_MAX ? caplen : REPLAY_FRAME_MAX;
	err = replay_frame(x->r, frame, caplen, len, clock);
	if (err < 0 && x->out_err)
		return -x->out_err;
	return err;
}

static const char *linktype_ok(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return NULL;
	}
	return pcap_datalink_val_to_name(dlt) ? pcap_datalink_val_to_name(dlt) : "unknown";
}

/* TCP or not, every packet run is in exactly one of these (kernel counters). */
struct identity {
	__u64 packets, tcp4, tcp6, fragments, malformed, other;
};

static void identity_of(const struct rst_totals *t, struct identity *id)
{
	id->packets = t->c[RST_C_PACKETS];
	id->tcp4 = t->c[RST_C_TCP4];
	id->tcp6 = t->c[RST_C_TCP6];
	id->fragments = t->c[RST_C_FRAGMENT];
	id->malformed = totals_malformed(t);
	/* Not IP, IP but not TCP, more than two VLAN tags: what the program passes uncounted. */
	id->other = id->packets - id->tcp4 - id->tcp6 - id->fragments - id->malformed;
}

static void hosts_text(const struct map_dump *d, __s64 off, FILE *f)
{
	char a[64], fs[16], ls[16];
	size_t i;

	fprintf(f, "%-39s %9s %9s %9s %9s  %-8s %-8s\n", "HOST", "RST-IN", "RST-OUT", "SYN", "FIN",
		"FIRST", "LAST");
	for (i = 0; i < d->n; i++) {
		const struct rst_host_key *k = map_dump_key(d, i);
		const struct rst_host_val *v = map_dump_val(d, i);
		time_t t0 = (time_t)((v->first_ns + off) / 1000000000LL);
		time_t t1 = (time_t)((v->last_ns + off) / 1000000000LL);
		struct tm tm;

		localtime_r(&t0, &tm);
		strftime(fs, sizeof(fs), "%H:%M:%S", &tm);
		localtime_r(&t1, &tm);
		strftime(ls, sizeof(ls), "%H:%M:%S", &tm);
		fprintf(f, "%-39s %9llu %9llu %9llu %9llu  %-8s %-8s\n",
			addr_str(k->addr, k->family, a, sizeof(a)), (unsigned long long)v->rst_in,
			(unsigned long long)v->rst_out,
			(unsigned long long)(v->syn_in + v->syn_out),
			(unsigned long long)(v->fin_in + v->fin_out), fs, ls);
	}
}

static void hosts_json(struct json_writer *w, const struct map_dump *d, __s64 off)
{
	char a[64];
	size_t i;

	jw_start_array(w);
	for (i = 0; i < d->n; i++) {
		const struct rst_host_key *k = map_dump_key(d, i);
		const struct rst_host_val *v = map_dump_val(d, i);

		jw_start_object(w);
		jw_str_field(w, "family", family_str(k->family));
		jw_str_field(w, "addr", addr_str(k->addr, k->family, a, sizeof(a)));
		jw_u64_field(w, "rst_in", v->rst_in);
		jw_u64_field(w, "rst_out", v->rst_out);
		jw_u64_field(w, "syn_in", v->syn_in);
		jw_u64_field(w, "syn_out", v->syn_out);
		jw_u64_field(w, "fin_in", v->fin_in);
		jw_u64_field(w, "fin_out", v->fin_out);
		jw_time_field(w, "first_seen", v->first_ns + off);
		jw_time_field(w, "last_seen", v->last_ns + off);
		jw_end_object(w);
	}
	jw_end_array(w);
}

/* Most RSTs (in + out) first, then by address: the order of the host table. */
static int host_cmp(const void *a, const void *b, void *arg)
{
	const struct map_dump *d = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	const struct rst_host_val *x = map_dump_val(d, i), *y = map_dump_val(d, j);
	__u64 rx = x->rst_in + x->rst_out, ry = y->rst_in + y->rst_out;

	if (rx != ry)
		return rx > ry ? -1 : 1;
	return memcmp(map_dump_key(d, i), map_dump_key(d, j), sizeof(struct rst_host_key));
}

/* d sorted in place into the host table's order. */
static int hosts_sort(struct map_dump *d)
{
	size_t *idx, i;
	void *k, *v;

	if (d->n < 2)
		return 0;
	idx = calloc(d->n, sizeof(*idx));
	k = malloc(d->n * d->key_size);
	v = malloc(d->n * d->val_size);
	if (!idx || !k || !v) {
		free(idx);
		free(k);
		free(v);
		return -ENOMEM;
	}
	for (i = 0; i < d->n; i++)
		idx[i] = i;
	qsort_r(idx, d->n, sizeof(*idx), host_cmp, d);
	for (i = 0; i < d->n; i++) {
		memcpy((char *)k + i * d->key_size, map_dump_key(d, idx[i]), d->key_size);
		memcpy((char *)v + i * d->val_size, map_dump_val(d, idx[i]), d->val_size);
	}
	memcpy(d->keys, k, d->n * d->key_size);
	memcpy(d->vals, v, d->n * d->val_size);
	free(idx);
	free(k);
	free(v);
	return 0;
}

static void stats_json(struct offline *x, const struct rst_totals *t, const struct identity *id,
		       struct source *src, const struct map_dump *hosts, __s64 off)
{
	struct json_writer w;
	int i;

	jw_init_file(&w, stdout);
	jw_start_object(&w);
	jw_str_field(&w, "file", x->c->file);
	jw_str_field(&w, "linktype", pcap_datalink_val_to_name(x->linktype));
	jw_u64_field(&w, "packets_read", x->read);
	jw_u64_field(&w, "packets_not_run", x->not_run);
	jw_u64_field(&w, "packets_snapped", x->snapped);
	jw_key(&w, "packets");
	jw_start_object(&w);
	jw_u64_field(&w, "run", id->packets);
	jw_u64_field(&w, "tcp4", id->tcp4);
	jw_u64_field(&w, "tcp6", id->tcp6);
	jw_u64_field(&w, "fragments", id->fragments);
	jw_u64_field(&w, "malformed", id->malformed);
	jw_u64_field(&w, "other", id->other);
	jw_end_object(&w);
	jw_key(&w, "counters");
	jw_start_object(&w);
	for (i = 0; i < RST_C_MAX; i++)
		jw_u64_field(&w, rst_counter_names[i], t->c[i]);
	jw_end_object(&w);
	jw_key(&w, "malformed");
	jw_start_object(&w);
	for (i = 0; i < RST_M_MAX; i++)
		jw_u64_field(&w, rst_malformed_names[i], t->malformed[i]);
	jw_end_object(&w);
	/* What the tables could not take, by cause: host sums + these = the counters. */
	jw_key(&w, "host_lost");
	jw_start_object(&w);
	for (i = 0; i < RST_HF_MAX; i++)
		jw_u64_field(&w, rst_host_flag_names[i],
			     t->host_lost[RST_DIR_IN][i] + t->host_lost[RST_DIR_OUT][i]);
	jw_end_object(&w);
	jw_key(&w, "flow_lost");
	jw_start_object(&w);
	for (i = 0; i < RST_FL_MAX; i++) {
		int j;

		jw_key(&w, rst_flow_cause_names[i]);
		jw_start_object(&w);
		for (j = 0; j < RST_FF_MAX; j++)
			jw_u64_field(&w, rst_flow_flag_names[j], t->flow_lost[i][j]);
		jw_end_object(&w);
	}
	jw_end_object(&w);
	jw_key(&w, "events");
	jw_start_object(&w);
	jw_u64_field(&w, "received", x->received);
	jw_u64_field(&w, "matched", x->matched);
	jw_u64_field(&w, "filtered", x->filtered);
	jw_end_object(&w);
	jw_key(&w, "hosts");
	hosts_json(&w, hosts, off);
	jw_key(&w, "flows");
	flows_list(src, &w, off, NULL);
	jw_end_object(&w);
	putchar('\n');
}

/* The summary: events, the packet identity, the host and flow tables (stderr). */
static void summary_text(struct offline *x, const struct rst_totals *t, const struct identity *id,
			 struct source *src, const struct map_dump *hosts, __s64 off)
{
	output_summary(&x->out, stderr);
	if (x->filter.expr)
		fprintf(stderr, "%llu event%s did not match the expression\n",
			(unsigned long long)x->filtered, x->filtered == 1 ? "" : "s");
	fprintf(stderr, "%llu RSTs counted by the kernel (%llu RST, %llu RST-ACK), %llu events\n",
		(unsigned long long)totals_rsts(t), (unsigned long long)t->c[RST_C_RST],
		(unsigned long long)t->c[RST_C_RSTACK], (unsigned long long)t->c[RST_C_EV_SENT]);
	fprintf(stderr,
		"%llu packets read = %llu TCP/IPv4 + %llu TCP/IPv6 + %llu fragments + %llu "
		"malformed + %llu not TCP + %llu not run\n",
		(unsigned long long)x->read, (unsigned long long)id->tcp4,
		(unsigned long long)id->tcp6, (unsigned long long)id->fragments,
		(unsigned long long)id->malformed, (unsigned long long)id->other,
		(unsigned long long)x->not_run);
	fputc('\n', stderr);
	hosts_text(hosts, off, stderr);
	fputc('\n', stderr);
	flows_list(src, NULL, off, stderr);
}

/* After the last packet: counters, tables. 0 or -errno. */
static int offline_report(struct offline *x)
{
	struct rst_totals t;
	struct identity id;
	struct map_dump hosts = {};
	struct source src = {};
	__s64 off;
	int err;

	err = counters_read(replay_maps(x->r)->counters, &t, NULL, 0, NULL);
	if (err) {
		pr_warn("reading the counters: %s", strerror(-err));
		return err;
	}
	identity_of(&t, &id);
	if (id.packets + x->not_run != x->read)
		pr_warn("%llu packets read but %llu run and %llu not run",
			(unsigned long long)x->read, (unsigned long long)id.packets,
			(unsigned long long)x->not_run);
	err = hosts_dump_read(replay_maps(x->r)->hosts, &hosts);
	if (!err)
		err = hosts_sort(&hosts);
	if (err) {
		pr_warn("reading the host map: %s", strerror(-err));
		map_dump_free(&hosts);
		return err;
	}
	/* The maps are the replay's, borrowed; test_run counted under lo. */
	src.m = *replay_maps(x->r);
	src.ifc[0].ifindex = 1;
	src.ifc[0].known = 1;
	snprintf(src.ifc[0].name, sizeof(src.ifc[0].name), "%s", OFFLINE_IFNAME);
	src.n_ifc = 1;
	snprintf(src.desc, sizeof(src.desc), "%s", x->c->file);
	/* The program's clock ran from base_ns at the first packet's time. */
	off = x->have_first ? (__s64)(x->first_ns - x->base_ns) : 0;
	if (x->c->stats_json)
		stats_json(x, &t, &id, &src, &hosts, off);
	else
		summary_text(x, &t, &id, &src, &hosts, off);
	map_dump_free(&hosts);
	return fflush(stdout) ? -errno : 0;
}

/* Every packet of p, then the report: the exit status. */
static int offline_loop(struct offline *x, pcap_t *p)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc, err;

	/* On a tick boundary: the tables keep ticks, so the first packet's time survives whole. */
	x->base_ns = now_mono_ns() & ~((1ULL << RST_TICK_SHIFT) - 1);
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		err = offline_packet(x, h, data);
		if (err < 0) {
			if (x->out_err == EPIPE)
				return EXIT_OK;
			if (x->out_err)
				pr_warn("writing output: %s", strerror(x->out_err));
			return EXIT_RUNTIME;
		}
		if (x->stop || (x->c->count_max && x->matched >= x->c->count_max))
			break;
	}
	if (rc == PCAP_ERROR) {
		/* What was printed stays; the file is bad: say so once, as tcpdump does. */
		output_flush(&x->out);
		pr_warn("%s: %s", x->c->file, pcap_geterr(p));
		return EXIT_RUNTIME;
	}
	err = output_close(&x->out);
	if (err < 0) {
		if (err == -EPIPE)
			return EXIT_OK;
		pr_warn("writing output: %s", strerror(-err));
		return EXIT_RUNTIME;
	}
	return offline_report(x) ? EXIT_RUNTIME : EXIT_OK;
}

int do_offline(const struct offline_cfg *c)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	struct offline *x;
	struct rst_opts o = c->o;
	const char *bad;
	pcap_t *p;
	int ret = EXIT_RUNTIME;

	x = calloc(1, sizeof(*x));
	if (!x) {
		pr_warn("-r: %s", strerror(ENOMEM));
		return EXIT_RUNTIME;
	}
	x->c = c;
	if (output_check((struct output_opts *)&c->oo))
		goto free;
	if (filter_compile(&x->filter, c->expr, c->n_expr)) {
		ret = EXIT_USAGE;
		goto free;
	}
	p = pcap_open_offline_with_tstamp_precision(c->file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!p) {
		pr_warn("%s", errbuf);
		goto filter;
	}
	x->linktype = pcap_datalink(p);
	bad = linktype_ok(x->linktype);
	if (bad) {
		pr_warn("%s: link type %s (%d) not supported: Ethernet, Linux cooked (SLL, SLL2) "
			"and "
			"raw IP are",
			c->file, bad, x->linktype);
		goto close;
	}
	if (check_privileges(PRIV_BPF | PRIV_PERFMON))
		goto close;
	/* A capture is not a flood arriving now: no sampling, limits or budgets unless asked. */
	o.offline = 1;
	if (!o.set_rate)
		o.rate_limit = 0;
	if (o.flow_budget == RST_FLOW_BUDGET_DEFAULT)
		o.flow_budget = 0;
	if (o.event_budget == RST_EV_BUDGET_DEFAULT)
		o.event_budget = 0;
	log_setup_libbpf();
	x->r = replay_open(&o, on_event, x);
	if (!x->r)
		goto replay;
	if (output_open(&x->out, &c->oo, &c->fo, o.snaplen, replay_maps(x->r)->flows))
		goto replay;
	/* --stats-json: stdout is the one object; the events still go to -w, syslog. */
	if (c->stats_json)
		x->out.stdout_mode = OUT_STDOUT_NONE;
	/* tcpdump -r prints a cooked v2 capture's interface and direction, as -i any does. */
	if (x->linktype == DLT_LINUX_SLL2)
		x->out.fo.any_prefix = 1;
	ret = offline_loop(x, p);
	output_close(&x->out);
replay:
	replay_close(x->r);
close:
	pcap_close(p);
filter:
	filter_free(&x->filter);
free:
	free(x);
	return ret;
}
