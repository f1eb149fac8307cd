// SPDX-License-Identifier: GPL-2.0
/*
 * user/outputs/tcpdump.c against the real thing: every row is built into a frame
 * and an rst_event, all frames are written to a pcap with libpcap, and
 * `tcpdump -nn -S -t -r` must print, line for line, exactly what
 * fmt_tcpdump_packet() prints. The same oracle checks the timestamp modes
 * (TZ pinned), and a seeded random walk over malformed and truncated
 * headers compares thousands more frames (RST_FUZZ_N, RST_FUZZ_SEED
 * override its size and seed). Without tcpdump in PATH the oracle tests
 * are skipped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <pcap/pcap.h>

#include "rsttrace.h"
#include "pkt.h"
#include "tcpdump.h"
#include "rowtests.h"

#define LINE_MAX_LEN 4096
#define BASE_SEC     1700000000

/* ---- frame builder ------------------------------------------------------ */

struct frame {
	__u8 b[1024];
	size_t len;
};

/* The builder's cursor over f, and back: every frame must fit. */
static void frame_start(struct frame *f, struct pkt *p)
{
	pkt_init(p, f->b, sizeof(f->b));
}

static void frame_end(struct frame *f, const struct pkt *p)
{
	assert_false(p->overflow);
	f->len = p->len;
}

/* A table row: one frame, described by what differs from a plain RST. */
struct row {
	const char *name;
	int v6;
	int raw;	 /* no Ethernet header: the pcap is DLT_RAW */
	__u16 tpid[2];	 /* VLAN tags, outer first */
	const char *src; /* addresses; defaults below */
	const char *dst;
	const __u8 *ipopt; /* IPv4 options, or the IPv6 extension headers */
	size_t ipopt_len;
	__u8 ext_nh; /* IPv6 next header when ipopt is set */
	__u8 proto;  /* IPv4 protocol; 0 means TCP */
	__u16 frag;  /* IPv4 flags and fragment offset */
	__u8 flags;
	__u32 seq, ack;
	__u16 win, urp, sport, dport;
	const __u8 *opt; /* TCP options, zero-padded to 4 bytes */
	size_t opt_len;
	int doff;	  /* 0: derived from the options */
	const __u8 *data; /* TCP payload */
	size_t data_len;
	int cap;	 /* bytes captured; 0: all (at most RST_SNAPLEN_MAX) */
	int iplen_delta; /* added to the IP total / payload length */
	int zero_iplen;	 /* IP total / payload length field 0 */
	__u8 hook, dir;
};

#define BYTES(field, ...)                                                                          \
	.field = (const __u8[]){ __VA_ARGS__ }, .field##_len = sizeof((const __u8[]){ __VA_ARGS__ })
#define TEXT(field, s) .field = (const __u8 *)(s), .field##_len = sizeof(s) - 1

/* Builds the frame and the event the kernel side would send for it. */
static void build(const struct row *r, struct frame *f, struct rst_event *ev)
{
	__u8 src[16] = { 0 }, dst[16] = { 0 };
	size_t opt_pad = (r->opt_len + 3) / 4 * 4, l3, l4, i;
	struct pkt p;
	size_t tcp_len = 20 + opt_pad + r->data_len;
	int doff = r->doff ? r->doff : (int)(5 + opt_pad / 4);
	int af = r->v6 ? AF_INET6 : AF_INET;

	memset(f, 0, sizeof(*f));
	memset(ev, 0, sizeof(*ev));
	assert_int_equal(
		inet_pton(af, r->src ? r->src : (r->v6 ? "2001:db8::1" : "192.0.2.1"), src), 1);
	assert_int_equal(
		inet_pton(af, r->dst ? r->dst : (r->v6 ? "2001:db8:0:1::80" : "198.51.100.7"), dst),
		1);

	frame_start(f, &p);
	if (!r->raw) {
		pkt_eth(&p, (const __u8 *)"\x02\x00\x5e\x00\x00\x02",
			(const __u8 *)"\x02\x00\x5e\x00\x00\x01");
		for (i = 0; i < 2 && r->tpid[i]; i++)
			pkt_vlan(&p, r->tpid[i], (__u16)(100 + i));
		pkt_ethertype(&p, r->v6 ? 0x86dd : 0x0800);
	}
	l3 = p.len;
	if (!r->v6) {
		size_t hlen = 20 + r->ipopt_len;

		assert_int_equal(r->ipopt_len % 4, 0);
		pkt_ip4(&p, &(struct pkt_ip4){ .tot_len = r->zero_iplen ? 0
									: (__u16)(hlen + tcp_len +
										  r->iplen_delta),
					       .id = 0x1234,
					       .frag_off = r->frag,
					       .ttl = 64,
					       .proto = r->proto ? r->proto : IPPROTO_TCP,
					       .saddr = src,
					       .daddr = dst,
					       .opt = r->ipopt,
					       .opt_len = (__u32)r->ipopt_len });
	} else {
		pkt_ip6(&p, &(struct pkt_ip6){
				    .vtcfl = 0x60000000,
				    .payload_len = r->zero_iplen ? 0
								 : (__u16)(r->ipopt_len + tcp_len +
									   r->iplen_delta),
				    .nexthdr = r->ipopt_len ? r->ext_nh : IPPROTO_TCP,
				    .hop_limit = 64,
				    .saddr = src,
				    .daddr = dst });
		/* The extension headers as the row spells them. */
		pkt_bytes(&p, r->ipopt, (__u32)r->ipopt_len);
	}
	l4 = pkt_tcp(&p, &(struct pkt_tcp){ .sport = r->sport ? r->sport : 40000,
					    .dport = r->dport ? r->dport : 443,
					    .seq = r->seq,
					    .ack = r->ack,
					    .doff = (__u8)doff,
					    .flags = r->flags,
					    .win = r->win,
					    .urp = r->urp,
					    .opt = r->opt,
					    .opt_len = (__u32)r->opt_len });
	pkt_bytes(&p, r->data, (__u32)r->data_len);
	/* What the wire carries: an Ethernet frame is at least 60 bytes. */
	if (!r->raw && p.len < 60)
		pkt_bytes(&p, NULL, 60 - p.len);
	frame_end(f, &p);

	ev->ts_ns = 1000;
	memcpy(ev->saddr, src, sizeof(src));
	memcpy(ev->daddr, dst, sizeof(dst));
	ev->ifindex = 2;
	ev->seq = r->seq;
	ev->ack = r->ack;
	ev->pkt_len = (__u32)f->len;
	ev->sport = r->sport ? r->sport : 40000;
	ev->dport = r->dport ? r->dport : 443;
	ev->win = r->win;
	ev->ip_id = r->v6 ? 0 : 0x1234;
	ev->payload_len = (__u16)r->data_len;
	ev->snap_len = (__u16)(f->len < RST_SNAPLEN_MAX ? f->len : RST_SNAPLEN_MAX);
	if (r->cap && (size_t)r->cap < ev->snap_len)
		ev->snap_len = (__u16)r->cap;
	ev->l3_off = (__u16)l3;
	ev->l4_off = (__u16)l4;
	ev->family = (__u8)af;
	ev->hook = r->hook;
	ev->dir = r->dir;
	ev->tcp_flags = r->flags;
	ev->ttl = 64;
	ev->ev_flags = r->tpid[0] ? RST_EV_VLAN : 0;
	memcpy(ev->snap, f->b, ev->snap_len);
}

/* ---- the oracle ----------------------------------------------------------- */

static int have_tcpdump(void)
{
	static int have = -1; /* asked once, not once per row */

	if (have < 0)
		have = system("tcpdump --version >/dev/null 2>&1") == 0;
	return have;
}

struct lines {
	char **v;
	size_t n;
};

static void lines_free(struct lines *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/*
 * Writes the events' snapshots as pcap records (caplen snap_len, len
 * pkt_len, time ts[i]) and collects what `tcpdump -nn -S <flags> -r`
 * prints, one string per line without its newline.
 */
static void oracle(const struct rst_event *const *evs, const struct timeval *ts, size_t n, int dlt,
		   const char *flags, struct lines *out)
{
	char path[] = "/tmp/rsttrace-tcpdump-XXXXXX";
	char cmd[256], *line = NULL;
	size_t cap = 0, i;
	pcap_dumper_t *d;
	pcap_t *pd;
	ssize_t got;
	FILE *fp;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	pd = pcap_open_dead(dlt, 65535);
	assert_non_null(pd);
	d = pcap_dump_open(pd, path);
	assert_non_null(d);
	for (i = 0; i < n; i++) {
		struct pcap_pkthdr h = {
			.caplen = evs[i]->snap_len,
			.len = evs[i]->pkt_len,
		};

		if (ts) {
			h.ts = ts[i];
		} else {
			h.ts.tv_sec = BASE_SEC + (time_t)i;
			h.ts.tv_usec = 0;
		}
		pcap_dump((u_char *)d, &h, evs[i]->snap);
	}
	pcap_dump_close(d);
	pcap_close(pd);

	snprintf(cmd, sizeof(cmd), "tcpdump -nn -S %s -r %s 2>/dev/null", flags, path);
	fp = popen(cmd, "r");
	assert_non_null(fp);
	out->v = NULL;
	out->n = 0;
	while ((got = getline(&line, &cap, fp)) > 0) {
		if (line[got - 1] == '\n')
			line[got - 1] = '\0';
		out->v = realloc(out->v, (out->n + 1) * sizeof(*out->v));
		assert_non_null(out->v);
		out->v[out->n++] = strdup(line);
	}
	free(line);
	pclose(fp);
	unlink(path);
}

static void print_hex(const __u8 *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		print_message("%s%02x%s", i % 32 ? "" : "#   ", b[i],
			      i + 1 == n || i % 32 == 31 ? "\n" : "");
}

/*
 * Compares fmt_tcpdump_packet() with tcpdump for n events of one link
 * type. Returns the number of mismatches; prints up to a few of them.
 */
static size_t compare_events(const struct rst_event *const *evs, const char *const *names, size_t n,
			     int dlt)
{
	static char buf[LINE_MAX_LEN];
	struct lines l;
	size_t i, bad = 0;

	if (!n)
		return 0;
	oracle(evs, NULL, n, dlt, "-t", &l);
	if (l.n != n) {
		print_message("# tcpdump printed %zu lines for %zu packets\n", l.n, n);
		lines_free(&l);
		return n;
	}
	for (i = 0; i < n; i++) {
		int r = fmt_tcpdump_packet(buf, sizeof(buf), evs[i]);

		if (r >= 0 && (size_t)r == strlen(buf) && strcmp(buf, l.v[i]) == 0)
			continue;
		if (bad++ < 10) {
			print_message(
				"# mismatch %zu %s (snap_len %u, pkt_len %u):\n#   tcpdump: %s\n"
				"#   ours:    %s (%d)\n",
				i, names ? names[i] : "", evs[i]->snap_len, evs[i]->pkt_len, l.v[i],
				buf, r);
			print_hex(evs[i]->snap, evs[i]->snap_len);
		}
	}
	lines_free(&l);
	return bad;
}

/* ---- the rows ----------------------------------------------------------- */

#define RST    .flags = 0x04
#define RSTACK .flags = 0x14
#define SEQACK .seq = 3795577939u, .ack = 3798544125u
#define TS_OPT BYTES(opt, 1, 1, 8, 10, 0x11, 0x22, 0x33, 0x44, 0, 0, 0x01, 0x02)

static const struct row rows[] = {
	{ "RST", RST, .seq = 12345, .win = 0 },
	{ "RST-ACK", RSTACK, SEQACK, .sport = 13352, .dport = 443 },
	{ "RST with payload", RST, .seq = 7, TEXT(data, "connection reset by peer") },
	{ "RST-ACK with TS", RSTACK, SEQACK, .win = 501, TS_OPT },
	{ "SYN full options", .flags = 0x02, .seq = 1105465476, .win = 64240,
	  BYTES(opt, 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0xf2, 0x83, 0x9d, 0x48, 0, 0, 0, 0, 1, 3, 3,
		10) },
	{ "SYN-ACK", .flags = 0x12, SEQACK, .win = 65160,
	  BYTES(opt, 2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7) },
	{ "FIN-ACK", .flags = 0x11, SEQACK, .win = 502 },
	{ "PSH-ACK data", .flags = 0x18, SEQACK, .win = 502, TEXT(data, "\x17\x03\x03\x00\x13") },
	{ "RST-PSH-ACK", .flags = 0x1c, SEQACK, TEXT(data, "x") },
	{ "URG", .flags = 0x30, SEQACK, .urp = 3, TEXT(data, "abc") },
	{ "ECE CWR SYN", .flags = 0xc2, .seq = 1 },
	{ "all flags", .flags = 0xff, SEQACK, .urp = 9 },
	{ "no flags", .flags = 0x00, .seq = 5 },
	{ "IPv6 RST-ACK", .v6 = 1, RSTACK, SEQACK },
	{ "IPv6 HBH+DST", .v6 = 1, RSTACK, SEQACK, .ext_nh = 0,
	  BYTES(ipopt, 60, 0, 1, 4, 0, 0, 0, 0, 6, 0, 1, 4, 0, 0, 0, 0) },
	{ "IPv6 routing type 0", .v6 = 1, RST, .ext_nh = 43,
	  BYTES(ipopt, 6, 2, 0, 1, 0, 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 9) },
	{ "IPv6 segment routing", .v6 = 1, RSTACK, .ext_nh = 43,
	  BYTES(ipopt, 6, 2, 4, 1, 0, 0, 0, 7, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0x42) },
	{ "IPv6 HBH router alert", .v6 = 1, RSTACK, .ext_nh = 0,
	  BYTES(ipopt, 6, 0, 5, 2, 0, 0, 1, 0) },
	{ "IPv6 first fragment", .v6 = 1, RST, .ext_nh = 44, BYTES(ipopt, 6, 0, 0, 1, 0, 0, 0, 7) },
	{ "IPv6 later fragment", .v6 = 1, RST, .ext_nh = 44, BYTES(ipopt, 6, 0, 0, 8, 0, 0, 0, 7) },
	{ "IPv6 AH", .v6 = 1, RST, .ext_nh = 51,
	  BYTES(ipopt, 6, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 5, 0xaa, 0xbb, 0xcc, 0xdd, 1, 2, 3, 4, 5, 6,
		7, 8) },
	{ "IPv6 mapped address", .v6 = 1, RST, .src = "::ffff:192.0.2.9", .dst = "fe80::1:0:0:2" },
	{ "IPv6 zero runs", .v6 = 1, RST, .src = "1:0:0:2:0:0:0:3", .dst = "0:0:1::" },
	{ "IPv4 options", RSTACK, SEQACK, BYTES(ipopt, 0x94, 4, 0, 0, 1, 1, 7, 3, 4, 0, 0, 0) },
	{ "IPv4 later fragment", RST, .frag = 0x0010 },
	{ "IPv4 MF fragment", RST, .frag = 0x2000 },
	{ "1 VLAN tag", RSTACK, SEQACK, .tpid = { 0x8100 } },
	{ "2 VLAN tags", RSTACK, SEQACK, .tpid = { 0x88a8, 0x8100 } },
	{ "2 VLAN tags IPv6", .v6 = 1, RSTACK, SEQACK, .tpid = { 0x88a8, 0x8100 }, TS_OPT },
	{ "cut in TS option", RSTACK, SEQACK, TS_OPT, .cap = 14 + 20 + 20 + 6 },
	{ "cut at first option", RSTACK, SEQACK, TS_OPT, .cap = 14 + 20 + 20 + 1 },
	{ "cut at options", RSTACK, SEQACK, TS_OPT, .cap = 14 + 20 + 20 },
	{ "cut in TCP header", RSTACK, SEQACK, .cap = 14 + 20 + 10 },
	{ "cut in TCP ports", RSTACK, SEQACK, .cap = 14 + 20 + 3 },
	{ "cut after IP", RSTACK, .cap = 14 + 20 },
	{ "cut in IP", RSTACK, .cap = 14 + 12 },
	{ "cut in IPv6 TCP header", .v6 = 1, RST, .cap = 14 + 40 + 8 },
	{ "cut in IPv6 HBH", .v6 = 1, RST, .ext_nh = 0, BYTES(ipopt, 6, 0, 1, 4, 0, 0, 0, 0),
	  .cap = 14 + 40 + 4 },
	{ "cut in VLAN tag", RST, .tpid = { 0x8100 }, .cap = 16 },
	{ "cut in Ethernet", RST, .cap = 10 },
	{ "cut in payload", .flags = 0x18, SEQACK, TEXT(data, "0123456789"),
	  .cap = 14 + 20 + 20 + 4 },
	{ "unknown options", RSTACK, SEQACK, BYTES(opt, 0x63, 4, 0xab, 0xcd, 0xfd, 2, 1, 0) },
	{ "sack blocks", .flags = 0x10, SEQACK,
	  BYTES(opt, 1, 1, 5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 5) },
	{ "bad sack length", RSTACK, BYTES(opt, 5, 7, 0, 0, 0, 1, 0) },
	{ "option len past header", RSTACK, BYTES(opt, 2, 8, 5, 0xb4) },
	{ "option len below 2", RSTACK, BYTES(opt, 1, 2, 1) },
	{ "option len mismatch", RSTACK, BYTES(opt, 2, 6, 5, 0xb4, 0, 0, 3, 4, 7, 0, 4, 3, 0) },
	{ "eol then garbage", RSTACK, BYTES(opt, 0, 0x41, 0x42, 0x43) },
	{ "md5 signature", RSTACK,
	  BYTES(opt, 1, 1, 19, 18, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) },
	{ "mptcp fast-close", RSTACK, BYTES(opt, 30, 12, 0x70, 0, 1, 2, 3, 4, 5, 6, 7, 8) },
	{ "mptcp bad", RSTACK, BYTES(opt, 30, 4, 0, 0) },
	{ "tfo and exp", .flags = 0x02, BYTES(opt, 34, 6, 1, 2, 3, 4, 254, 4, 0xf9, 0x89) },
	{ "uto, tcp-ao, scps", RSTACK,
	  BYTES(opt, 28, 4, 0, 3, 29, 6, 1, 2, 0xab, 0xcd, 20, 4, 1, 2) },
	{ "cc, echo, ccecho", RSTACK,
	  BYTES(opt, 11, 6, 0, 0, 0, 9, 6, 6, 0, 0, 0, 1, 13, 6, 0, 0, 0, 2) },
	{ "doff below 5", RSTACK, .doff = 4 },
	{ "doff past packet", RSTACK, .doff = 15 },
	{ "HTTP request payload", .flags = 0x18, .dport = 80,
	  TEXT(data, "GET / HTTP/1.1\r\nHost: x\r\n") },
	{ "HTTP format chars", .flags = 0x1c, .sport = 80,
	  TEXT(data, "HTTP/1.1 400 %s%n%x bad\r\n") },
	{ "HTTP non-request", RST, .dport = 8080, TEXT(data, "\x01\x02\x03garbage") },
	{ "SSH banner", .flags = 0x18, .sport = 22, TEXT(data, "SSH-2.0-OpenSSH_9.2p1\r\n") },
	{ "SSH banner LF", RST, .dport = 22, TEXT(data, "SSH-1.99-x\n") },
	{ "FTP line cut", RST, .dport = 21, TEXT(data, "220 ready\r\n"), .cap = 14 + 20 + 20 + 5 },
	{ "IP length below packet", RSTACK, .iplen_delta = -4, TEXT(data, "abcdefgh") },
	{ "IP length past packet", RSTACK, .iplen_delta = 10 },
	{ "IP length 0", RSTACK, .zero_iplen = 1 },
	{ "IPv6 payload length 0", .v6 = 1, RSTACK, .zero_iplen = 1 },
	{ "raw IPv4", .raw = 1, RSTACK, SEQACK, TS_OPT },
	{ "raw IPv6", .v6 = 1, .raw = 1, RST },
};

/* One row of rows[], a test of its own named after it: the line tcpdump prints. */
static void test_row_matches_tcpdump(void **state)
{
	const struct row *r = *state;
	const struct rst_event *evp;
	static struct rst_event ev;
	static struct frame f;

	if (!have_tcpdump())
		skip();
	build(r, &f, &ev);
	evp = &ev;
	assert_int_equal(compare_events(&evp, &r->name, 1, r->raw ? DLT_RAW : DLT_EN10MB), 0);
}

static void row_name(char *buf, size_t len, const void *row, size_t i)
{
	(void)i;
	snprintf(buf, len, "%s", ((const struct row *)row)->name);
}

/* A snapshot-less event prints what tcpdump prints for the whole frame. */
static void test_fields_without_snapshot(void **state)
{
	static const int idx[] = { 0, 1, 2, 6, 13 };
	struct rst_event ev, bare;
	const struct rst_event *evp = &ev;
	char buf[LINE_MAX_LEN];
	struct frame f;
	struct lines l;
	size_t i;

	(void)state;
	if (!have_tcpdump())
		skip();
	for (i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
		build(&rows[idx[i]], &f, &ev);
		oracle(&evp, NULL, 1, DLT_EN10MB, "-t", &l);
		assert_int_equal(l.n, 1);
		bare = ev;
		bare.snap_len = 0;
		memset(bare.snap, 0, sizeof(bare.snap));
		assert_true(fmt_tcpdump_packet(buf, sizeof(buf), &bare) > 0);
		assert_string_equal(buf, l.v[0]);
		lines_free(&l);
	}
}

/* ---- timestamps ------------------------------------------------------------ */

static const struct timeval stamps[] = {
	{ BASE_SEC, 123456 },
	{ BASE_SEC + 1, 5 },
	{ BASE_SEC, 999999 },
	{ BASE_SEC - 10000000, 1 },
	{ BASE_SEC + 86400 + 3600 * 5, 0 },
	{ 1690000000, 42 },
	{ 0, 0 },
	{ 2147483647, 999999 },
};

#define NSTAMPS (sizeof(stamps) / sizeof(stamps[0]))

static void check_ts_mode(int mode, const char *flag)
{
	const struct rst_event *evs[NSTAMPS];
	struct fmt_opts o = { .tstamp = mode };
	struct fmt_state st = { 0 };
	char buf[LINE_MAX_LEN], want[2 * LINE_MAX_LEN];
	struct rst_event ev;
	struct frame f;
	struct lines l;
	size_t i;

	build(&rows[1], &f, &ev);
	for (i = 0; i < NSTAMPS; i++)
		evs[i] = &ev;
	oracle(evs, stamps, NSTAMPS, DLT_EN10MB, flag, &l);
	assert_int_equal(l.n, NSTAMPS);
	for (i = 0; i < NSTAMPS; i++) {
		/* Nanoseconds tcpdump never sees: they must be truncated away. */
		struct timespec wall = { stamps[i].tv_sec, stamps[i].tv_usec * 1000 + 999 };

		assert_true(fmt_event_line(buf, sizeof(buf), &ev, NULL, &wall, &o, &st) > 0);
		snprintf(want, sizeof(want), "%s\n", l.v[i]);
		if (strcmp(buf, want))
			print_message("# mode %d (%s) stamp %zu\n", mode, flag, i);
		assert_string_equal(buf, want);
	}
	lines_free(&l);
}

static void test_timestamps_utc(void **state)
{
	(void)state;
	if (!have_tcpdump())
		skip();
	setenv("TZ", "UTC", 1);
	tzset();
	check_ts_mode(TS_DEFAULT, "");
	check_ts_mode(TS_EPOCH, "-tt");
	check_ts_mode(TS_DELTA, "-ttt");
	check_ts_mode(TS_DATE, "-tttt");
	check_ts_mode(TS_SINCE_FIRST, "-ttttt");
	check_ts_mode(TS_NONE, "-t");
}

/* Local time with daylight saving: both sides must use the packet's own offset. */
static void test_timestamps_local(void **state)
{
	(void)state;
	if (!have_tcpdump() || access("/usr/share/zoneinfo/America/New_York", R_OK))
		skip();
	setenv("TZ", "America/New_York", 1);
	tzset();
	check_ts_mode(TS_DEFAULT, "");
	check_ts_mode(TS_DATE, "-tttt");
	setenv("TZ", "UTC", 1);
	tzset();
}

static void test_timestamp_values(void **state)
{
	struct fmt_state st = { 0 };
	struct timespec a = { 100, 500000999 }, b = { 99, 1000 }, c = { 100 + 86400 * 3 + 3723, 0 };
	char buf[64];

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(fmt_timestamp(buf, sizeof(buf), TS_NONE, &a, NULL), 0);
	assert_string_equal(buf, "");
	assert_int_equal(fmt_timestamp(buf, sizeof(buf), TS_EPOCH, &a, NULL), 10);
	assert_string_equal(buf, "100.500000");
	assert_int_equal(fmt_timestamp(buf, sizeof(buf), TS_DEFAULT, &a, NULL), 15);
	assert_string_equal(buf, "00:01:40.500000");
	assert_int_equal(fmt_timestamp(buf, sizeof(buf), TS_DATE, &a, NULL), 26);
	assert_string_equal(buf, "1970-01-01 00:01:40.500000");
	/* The relative modes need the state, and the first line is 0. */
	assert_int_equal(fmt_timestamp(buf, sizeof(buf), TS_DELTA, &a, NULL), -EINVAL);
	assert_int_equal(fmt_timestamp(buf, sizeof(buf), TS_DELTA, &a, &st), 16);
	assert_string_equal(buf, " 00:00:00.000000");
	assert_int_equal(fmt_timestamp(buf, sizeof(buf), TS_DELTA, &b, &st), 16);
	assert_string_equal(buf, "-00:00:01.499999");
	assert_int_equal(fmt_timestamp(buf, sizeof(buf), TS_DELTA, &c, &st), 16);
	assert_string_equal(buf, " 01:02:03.999999");
	assert_int_equal(fmt_timestamp(buf, sizeof(buf), TS_SINCE_FIRST, &c, &st), 16);
	assert_string_equal(buf, " 01:02:02.500000");
	assert_int_equal(fmt_timestamp(buf, sizeof(buf), 42, &a, &st), -EINVAL);
}

/* ---- the rest of the line ------------------------------------------------- */

static void test_verbose_extras(void **state)
{
	static const struct {
		__u8 hook;
		const char *name;
	} hooks[] = {
		{ RST_HOOK_XDP, "xdp" },
		{ RST_HOOK_TC_INGRESS, "tc-in" },
		{ RST_HOOK_TC_EGRESS, "tc-out" },
	};
	struct fmt_opts o = { .tstamp = TS_NONE, .verbose = 1 };
	char buf[LINE_MAX_LEN], pkt[LINE_MAX_LEN], want[2 * LINE_MAX_LEN];
	struct rst_event ev;
	struct frame f;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		struct row r = rows[3];

		r.hook = hooks[i].hook;
		build(&r, &f, &ev);
		assert_true(fmt_tcpdump_packet(pkt, sizeof(pkt), &ev) > 0);
		snprintf(want, sizeof(want), "%s ttl 64 id 4660 hook %s\n", pkt, hooks[i].name);
		assert_int_equal(fmt_event_line(buf, sizeof(buf), &ev, "eth0", NULL, &o, NULL),
				 (int)strlen(want));
		assert_string_equal(buf, want);
	}
	/* IPv6 has no identification: the field reads 0. */
	build(&rows[13], &f, &ev);
	ev.ttl = 57;
	assert_true(fmt_tcpdump_packet(pkt, sizeof(pkt), &ev) > 0);
	snprintf(want, sizeof(want), "%s ttl 57 id 0 hook xdp\n", pkt);
	assert_true(fmt_event_line(buf, sizeof(buf), &ev, "eth0", NULL, &o, NULL) > 0);
	assert_string_equal(buf, want);
	/* Class, then the kernel's reason and state, each only when known. */
	o.class = "abort";
	o.reason = "tcp_state";
	o.state = "close";
	snprintf(want, sizeof(want),
		 "%s ttl 57 id 0 hook xdp class abort reason tcp_state state close\n", pkt);
	assert_true(fmt_event_line(buf, sizeof(buf), &ev, "eth0", NULL, &o, NULL) > 0);
	assert_string_equal(buf, want);
	o.state = NULL;
	snprintf(want, sizeof(want), "%s ttl 57 id 0 hook xdp class abort reason tcp_state\n", pkt);
	assert_true(fmt_event_line(buf, sizeof(buf), &ev, "eth0", NULL, &o, NULL) > 0);
	assert_string_equal(buf, want);
	o.reason = NULL;
	o.class = "injection_candidate";
	snprintf(want, sizeof(want), "%s ttl 57 id 0 hook xdp class injection_candidate\n", pkt);
	assert_true(fmt_event_line(buf, sizeof(buf), &ev, "eth0", NULL, &o, NULL) > 0);
	assert_string_equal(buf, want);
	/* Without -v the line is tcpdump's alone. */
	o.verbose = 0;
	o.reason = "no_socket";
	snprintf(want, sizeof(want), "%s\n", pkt);
	assert_true(fmt_event_line(buf, sizeof(buf), &ev, "eth0", NULL, &o, NULL) > 0);
	assert_string_equal(buf, want);
}

/*
 * The -i any prefix as tcpdump 4.99.3 printed it in a veth pair
 * ("fa0   In  IP 10.77.0.2.35788 > 10.77.0.1.9: Flags [S], ...",
 * "fa0   Out IP 10.77.0.1.9 > 10.77.0.2.35788: Flags [R.], ..."):
 * the name left-aligned in 5 columns, the direction in 3, a space after each.
 */
static void test_any_prefix(void **state)
{
	static const struct {
		const char *ifname;
		int dir;
		const char *want;
	} cases[] = {
		{ "fa0", RST_DIR_IN, "fa0   In  " },
		{ "fa0", RST_DIR_OUT, "fa0   Out " },
		{ "eth0", RST_DIR_IN, "eth0  In  " },
		{ "enp0s31f6", RST_DIR_OUT, "enp0s31f6 Out " },
		{ NULL, RST_DIR_IN, "?     In  " },
	};
	struct fmt_opts o = { .tstamp = TS_EPOCH, .any_prefix = 1 };
	char buf[LINE_MAX_LEN], pkt[LINE_MAX_LEN], want[2 * LINE_MAX_LEN];
	struct timespec wall = { 1795655795, 121896000 };
	struct rst_event ev;
	struct frame f;
	size_t i;

	(void)state;
	build(&rows[1], &f, &ev);
	assert_true(fmt_tcpdump_packet(pkt, sizeof(pkt), &ev) > 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(fmt_any_prefix(buf, sizeof(buf), cases[i].ifname, cases[i].dir),
				 (int)strlen(cases[i].want));
		assert_string_equal(buf, cases[i].want);
		ev.dir = (__u8)cases[i].dir;
		snprintf(want, sizeof(want), "1795655795.121896 %s%s\n", cases[i].want, pkt);
		assert_true(fmt_event_line(buf, sizeof(buf), &ev, cases[i].ifname, &wall, &o,
					   NULL) > 0);
		assert_string_equal(buf, want);
	}
}

/* Every function fails with -ENOSPC and an empty string, up to the exact size. */
static void test_enospc(void **state)
{
	struct fmt_opts o = { .tstamp = TS_DATE, .verbose = 1, .any_prefix = 1 };
	struct timespec wall = { BASE_SEC, 0 };
	char full[LINE_MAX_LEN], buf[LINE_MAX_LEN];
	struct rst_event ev;
	struct frame f;
	int n, i;

	(void)state;
	build(&rows[4], &f, &ev);
	n = fmt_tcpdump_packet(full, sizeof(full), &ev);
	assert_true(n > 100);
	for (i = 0; i <= n; i++) {
		memset(buf, 'x', sizeof(buf));
		assert_int_equal(fmt_tcpdump_packet(buf, (size_t)i, &ev), -ENOSPC);
		if (i)
			assert_int_equal(buf[0], '\0');
	}
	assert_int_equal(fmt_tcpdump_packet(buf, (size_t)n + 1, &ev), n);
	assert_string_equal(buf, full);

	n = fmt_event_line(full, sizeof(full), &ev, "eth0", &wall, &o, NULL);
	assert_true(n > 0);
	for (i = 0; i <= n; i++)
		assert_int_equal(fmt_event_line(buf, (size_t)i, &ev, "eth0", &wall, &o, NULL),
				 -ENOSPC);
	assert_int_equal(fmt_event_line(buf, (size_t)n + 1, &ev, "eth0", &wall, &o, NULL), n);
	assert_string_equal(buf, full);

	assert_int_equal(fmt_timestamp(buf, 26, TS_DATE, &wall, NULL), -ENOSPC);
	assert_int_equal(fmt_timestamp(buf, 27, TS_DATE, &wall, NULL), 26);
	assert_int_equal(fmt_any_prefix(buf, 10, "eth0", RST_DIR_IN), -ENOSPC);
	assert_int_equal(fmt_any_prefix(buf, 11, "eth0", RST_DIR_IN), 10);
	assert_int_equal(fmt_tcpdump_packet(NULL, 10, &ev), -EINVAL);
	assert_int_equal(fmt_tcpdump_packet(buf, sizeof(buf), NULL), -EINVAL);
}

/* ---- random frames ----------------------------------------------------------- */

static __u64 rng_state;

static __u32 rnd(__u32 n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return n ? (__u32)(rng_state % n) : 0;
}

static void rnd_bytes(__u8 *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (__u8)rnd(256);
}

/* Ports whose payload printers tcpdump.c knows it does not imitate. */
static int unsupported_port(__u16 p)
{
	static const __u16 ports[] = { 23,  53,	  139,	179,  323,  445,  639,
				       646, 1723, 2049, 6379, 6633, 6653, 10288 };
	size_t i;

	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		if (p == ports[i])
			return 1;
	return 0;
}

static __u16 rnd_port(void)
{
	static const __u16 known[] = { 80, 8080, 21, 25, 43, 554, 8554, 22, 443, 9 };
	__u16 p;

	if (rnd(4) == 0)
		return known[rnd(sizeof(known) / sizeof(known[0]))];
	do {
		p = (__u16)rnd(65536);
	} while (unsupported_port(p));
	return p;
}

/* One TCP option, well-formed or not; returns its length. */
static size_t rnd_tcp_option(__u8 *b, size_t room)
{
	static const __u8 mptcp_lens[] = { 3, 4, 8, 10, 12, 16, 18, 20, 22, 24, 28, 30 };
	size_t len, i;

	if (room == 0)
		return 0;
	switch (rnd(18)) {
	case 0:
		b[0] = 1;
		return 1;
	case 1:
		b[0] = 0;
		return 1;
	case 2:
		len = 4;
		b[0] = 2;
		break;
	case 3:
		len = 3;
		b[0] = 3;
		break;
	case 4:
		len = 2;
		b[0] = 4;
		break;
	case 5:
		len = 2 + 8 * rnd(5);
		b[0] = 5;
		break;
	case 6:
		len = 10;
		b[0] = 8;
		break;
	case 7:
		len = 18;
		b[0] = 19;
		break;
	case 8:
		len = 4;
		b[0] = 28;
		break;
	case 9:
		len = 2 + rnd(8);
		b[0] = 29;
		break;
	case 10:
		len = mptcp_lens[rnd(sizeof(mptcp_lens))];
		b[0] = 30;
		break;
	case 11:
		len = 2 + rnd(18);
		b[0] = 34;
		break;
	case 12:
		len = 2 + rnd(8);
		b[0] = 254;
		break;
	case 13:
		len = 6;
		b[0] = (__u8)(6 + rnd(8)); /* echo .. ccecho */
		break;
	case 14:
		len = 4;
		b[0] = 20;
		break;
	default:
		len = rnd(12);
		b[0] = (__u8)rnd(256);
		break;
	}
	if (len > room)
		len = room;
	for (i = 1; i < len; i++)
		b[i] = (__u8)rnd(256);
	if (len > 1) {
		b[1] = (__u8)len;
		if (rnd(12) == 0)
			b[1] = (__u8)rnd(48); /* lie about the length */
	}
	if (b[0] == 30 && len > 2)
		b[2] = (__u8)(rnd(10) << 4 | rnd(3)); /* mptcp subtype, version */
	if (b[0] == 254 && len >= 4 && rnd(2))
		b[2] = 0xf9, b[3] = 0x89;
	return len;
}

/* An IPv6 extension header of type nh, followed by next; returns its length. */
static size_t rnd_ext(__u8 *b, __u8 nh, __u8 next)
{
	size_t len = 8, i;

	memset(b, 0, 64);
	b[0] = next;
	switch (nh) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_DSTOPTS:
		len = 8 * (1 + rnd(3));
		b[1] = (__u8)(len / 8 - 1);
		for (i = 2; i < len;) {
			__u32 k = rnd(8);

			if (k == 0) {
				b[i++] = 0;
			} else if (k < 4 || len - i < 2) {
				size_t n = len - i - 2;

				b[i] = 1;
				b[i + 1] = (__u8)(rnd(4) == 0 ? rnd(8) : n);
				i = len;
			} else {
				static const __u8 types[] = { 5, 0xc2, 0xc9, 0x3e };

				b[i] = types[rnd(4)];
				b[i + 1] = (__u8)(rnd(3) == 0 ? rnd(20) : len - i - 2);
				i += 2;
			}
		}
		break;
	case IPPROTO_ROUTING: {
		static const __u8 types[] = { 0, 2, 4, 3 };

		len = 8 + 16 * rnd(3);
		b[1] = (__u8)((len - 8) / 8);
		if (rnd(8) == 0)
			b[1] |= 1;
		b[2] = types[rnd(4)];
		b[3] = (__u8)rnd(3);
		if (rnd(3) == 0)
			rnd_bytes(b + 4, 4);
		for (i = 8; i < len; i++)
			b[i] = rnd(3) ? 0 : (__u8)rnd(256);
		break;
	}
	case IPPROTO_FRAGMENT:
		b[2] = rnd(4) == 0 ? (__u8)rnd(256) : 0;
		b[3] = (__u8)(rnd(4) == 0 ? rnd(256) : rnd(2));
		rnd_bytes(b + 4, 4);
		break;
	case IPPROTO_AH:
		len = 12 + 4 * rnd(3);
		b[1] = (__u8)(len / 4 - 2);
		if (rnd(4) == 0)
			b[2] = (__u8)rnd(256);
		rnd_bytes(b + 4, len - 4);
		break;
	}
	return len;
}

static void rnd_addr(__u8 *a, int v6)
{
	size_t i;

	if (!v6) {
		rnd_bytes(a, 4);
		return;
	}
	for (i = 0; i < 16; i += 2) {
		if (rnd(2)) {
			a[i] = a[i + 1] = 0;
		} else {
			a[i] = rnd(2) ? (__u8)rnd(256) : 0;
			a[i + 1] = (__u8)rnd(256);
		}
	}
	if (rnd(6) == 0) {
		memset(a, 0, 10);
		a[10] = a[11] = rnd(2) ? 0xff : 0;
	}
}

/* A random frame, mostly valid, often broken somewhere; fills ev. */
static void rnd_frame(struct frame *f, struct rst_event *ev)
{
	__u8 tcp[120], l3opt[200], payload[80], src[16], dst[16];
	size_t tcp_len, l3opt_len = 0, pay_len = 0, l3, i, opt_len = 0;
	int v6 = rnd(2), raw = rnd(16) == 0, tags = rnd(4) == 0 ? (int)rnd(3) + 1 : 0;
	__u8 first_nh = IPPROTO_TCP;
	struct pkt p;
	__u32 iplen;

	memset(f, 0, sizeof(*f));
	memset(ev, 0, sizeof(*ev));
	rnd_addr(src, v6);
	rnd_addr(dst, v6);

	/* TCP header and options */
	rnd_bytes(tcp, 20);
	tcp[0] = 0, tcp[1] = 0;
	if (rnd(3))
		tcp[13] = (__u8)((rnd(2) ? 0x04 : 0x14) | (rnd(4) == 0 ? rnd(256) : 0));
	if (rnd(2) == 0) {
		size_t want = 4 * (1 + rnd(10));

		while (opt_len < want)
			opt_len += rnd_tcp_option(tcp + 20 + opt_len, want - opt_len);
	}
	opt_len = (opt_len + 3) / 4 * 4;
	tcp_len = 20 + opt_len;
	tcp[12] = (__u8)((tcp_len / 4) << 4 | (rnd(8) == 0 ? rnd(16) : 0));
	if (rnd(20) == 0)
		tcp[12] = (__u8)(rnd(16) << 4);
	{
		__u16 sp = rnd_port(), dp = rnd_port();

		tcp[0] = (__u8)(sp >> 8), tcp[1] = (__u8)sp;
		tcp[2] = (__u8)(dp >> 8), tcp[3] = (__u8)dp;
	}
	if (rnd(3) == 0) {
		pay_len = 1 + rnd(sizeof(payload) - 1);
		if (rnd(2)) {
			static const char *const txt[] = { "GET / HTTP/1.1\r\nHost: a\r\n",
							   "HTTP/1.0 503 busy\n", "SSH-2.0-x\r\n",
							   "220 ftp ready\r\n", "hello" };
			const char *t = txt[rnd(5)];

			pay_len = strlen(t);
			memcpy(payload, t, pay_len);
			if (rnd(3) == 0)
				payload[rnd((__u32)pay_len)] = (__u8)rnd(256);
		} else {
			rnd_bytes(payload, pay_len);
		}
	}

	/* IPv4 options or the IPv6 extension chain */
	if (!v6 && rnd(4) == 0) {
		l3opt_len = 4 * (1 + rnd(10));
		for (i = 0; i < l3opt_len; i++)
			l3opt[i] = rnd(3) ? 1 : (__u8)rnd(256);
	}
	if (v6 && rnd(3) == 0) {
		static const __u8 kinds[] = { IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING,
					      IPPROTO_FRAGMENT, IPPROTO_AH };
		__u8 chain[4];
		int n = 1 + (int)rnd(3), k;

		for (k = 0; k < n; k++)
			chain[k] = kinds[rnd(5)];
		first_nh = chain[0];
		for (k = 0; k < n; k++) {
			__u8 next = k + 1 < n ? chain[k + 1] : IPPROTO_TCP;

			if (k + 1 == n && rnd(10) == 0)
				next = rnd(2) ? IPPROTO_NONE : 253; /* no printer for 253 */
			l3opt_len += rnd_ext(l3opt + l3opt_len, chain[k], next);
		}
	}

	frame_start(f, &p);
	if (!raw) {
		static const __u16 tpids[] = { 0x8100, 0x88a8, 0x9100 };

		rnd_bytes(pkt_reserve(&p, 12), 12);
		for (i = 0; i < (size_t)tags; i++) {
			pkt_u16(&p, tpids[rnd(3)]);
			pkt_u16(&p, (__u16)rnd(4096));
		}
		pkt_u16(&p, v6 ? 0x86dd : 0x0800);
	}
	l3 = p.len;
	if (!v6) {
		iplen = (__u32)(20 + l3opt_len + tcp_len + pay_len);
		if (rnd(10) == 0)
			iplen = rnd(5) == 0 ? 0 : iplen + rnd(40) - 20;
		pkt_u8(&p, (__u8)(0x40 | (20 + l3opt_len) / 4));
		if (rnd(30) == 0)
			p.b[p.len - 1] = (__u8)rnd(256);
		pkt_u8(&p, (__u8)rnd(256));
		pkt_u16(&p, (__u16)iplen);
		pkt_u16(&p, (__u16)rnd(65536));
		pkt_u16(&p, rnd(8) == 0 ? (__u16)rnd(65536) : (rnd(2) ? 0x4000 : 0));
		pkt_u8(&p, (__u8)rnd(256));
		if (rnd(30) == 0) {
			pkt_u8(&p, IPPROTO_AH); /* what follows reads as AH, then TCP */
			tcp[0] = IPPROTO_TCP;
		} else {
			pkt_u8(&p, IPPROTO_TCP);
		}
		pkt_u16(&p, (__u16)rnd(65536));
		pkt_bytes(&p, src, (__u32)4);
		pkt_bytes(&p, dst, (__u32)4);
	} else {
		iplen = (__u32)(l3opt_len + tcp_len + pay_len);
		if (rnd(10) == 0)
			iplen = rnd(5) == 0 ? 0 : iplen + rnd(40) - 20;
		pkt_u32(&p, (6u << 28) | (rnd(30) == 0 ? rnd(1u << 28) : 0));
		if (rnd(40) == 0)
			p.b[p.len - 4] = (__u8)rnd(256);
		pkt_u16(&p, (__u16)iplen);
		pkt_u8(&p, first_nh);
		pkt_u8(&p, (__u8)rnd(256));
		pkt_bytes(&p, src, (__u32)16);
		pkt_bytes(&p, dst, (__u32)16);
	}
	pkt_bytes(&p, l3opt, (__u32)l3opt_len);
	ev->l4_off = (__u16)p.len;
	pkt_bytes(&p, tcp, (__u32)tcp_len);
	pkt_bytes(&p, payload, (__u32)pay_len);
	while (!raw && p.len < 60)
		pkt_u8(&p, 0);
	frame_end(f, &p);

	ev->pkt_len = (__u32)f->len;
	if (rnd(10) == 0)
		ev->pkt_len += rnd(100); /* the rest of the frame was not captured */
	ev->snap_len = (__u16)(f->len < RST_SNAPLEN_MAX ? f->len : RST_SNAPLEN_MAX);
	if (rnd(2))
		ev->snap_len = (__u16)(1 + rnd(ev->snap_len));
	if (rnd(50) == 0)
		ev->pkt_len = rnd(ev->snap_len); /* a record tcpdump refuses */
	ev->l3_off = (__u16)(raw ? 0 : l3);
	ev->family = v6 ? AF_INET6 : AF_INET;
	memcpy(ev->snap, f->b, ev->snap_len);
}

static void test_random_frames_match_tcpdump(void **state)
{
	const char *s_n = getenv("RST_FUZZ_N"), *s_seed = getenv("RST_FUZZ_SEED");
	size_t n = s_n ? strtoul(s_n, NULL, 0) : 3000, i, ne = 0, nr = 0, bad;
	const struct rst_event **eth, **raw;
	struct rst_event *ev;
	struct frame f;

	(void)state;
	if (!have_tcpdump())
		skip();
	rng_state = s_seed ? strtoull(s_seed, NULL, 0) : 0x5eed1234abcdULL;
	if (!rng_state)
		rng_state = 1;
	ev = calloc(n, sizeof(*ev));
	eth = calloc(n, sizeof(*eth));
	raw = calloc(n, sizeof(*raw));
	assert_true(ev && eth && raw);
	for (i = 0; i < n; i++) {
		rnd_frame(&f, &ev[i]);
		if (ev[i].l3_off)
			eth[ne++] = &ev[i];
		else
			raw[nr++] = &ev[i];
	}
	bad = compare_events(eth, NULL, ne, DLT_EN10MB);
	bad += compare_events(raw, NULL, nr, DLT_RAW);
	print_message("# %zu random frames compared with tcpdump, %zu differ\n", n, bad);
	free(ev);
	free(eth);
	free(raw);
	assert_int_equal(bad, 0);
}

/*
 * tcpdump's -e, -q, -x/-xx, -X/-XX and -A/-AA (fmt_tcpdump_packet_opts)
 * against tcpdump with the same flag, over the table's frames and the
 * random ones: the dumps take lines of their own, so the whole output is
 * compared, and the first packet where it parts is shown.
 */
struct opt_case {
	const char *flags;
	struct fmt_opts fo;
};

static const struct opt_case opt_cases[] = {
	{ "-e", { .eflag = 1 } },
	{ "-q", { .qflag = 1 } },
	{ "-e -q", { .eflag = 1, .qflag = 1 } },
	{ "-qq", { .qflag = 2 } },
	{ "-x", { .xflag = 1 } },
	{ "-xx", { .xflag = 2 } },
	{ "-X", { .Xflag = 1 } },
	{ "-XX", { .Xflag = 2 } },
	{ "-A", { .Aflag = 1 } },
	{ "-AA", { .Aflag = 2 } },
	{ "-e -X", { .eflag = 1, .Xflag = 1 } },
	{ "-x -A", { .xflag = 1, .Aflag = 1 } },
};

/* The whole stdout of tcpdump -nn -S -t FLAGS -r for the events. */
static char *oracle_text(const struct rst_event *const *evs, size_t n, int dlt, const char *flags)
{
	struct lines l;
	size_t i, len = 0;
	char *t;

	oracle(evs, NULL, n, dlt, flags, &l);
	for (i = 0; i < l.n; i++)
		len += strlen(l.v[i]) + 1;
	t = calloc(1, len + 1);
	assert_non_null(t);
	for (i = 0, len = 0; i < l.n; i++)
		len += (size_t)sprintf(t + len, "%s\n", l.v[i]);
	lines_free(&l);
	return t;
}

static size_t compare_events_opts(const struct rst_event *const *evs, size_t n, int dlt,
				  const struct opt_case *c)
{
	static char buf[LINE_MAX_LEN];
	char flags[64], *want;
	size_t i, off = 0, bad = 0;
	int r;

	if (!n)
		return 0;
	snprintf(flags, sizeof(flags), "-t %s", c->flags);
	want = oracle_text(evs, n, dlt, flags);
	for (i = 0; i < n; i++) {
		r = fmt_tcpdump_packet_opts(buf, sizeof(buf) - 1, evs[i], &c->fo);
		assert_true(r >= 0);
		buf[r++] = '\n';
		buf[r] = '\0';
		if (strncmp(want + off, buf, (size_t)r)) {
			print_message("# %s: packet %zu differs (snap_len %u, pkt_len %u):\n"
				      "# tcpdump: %.*s\n# ours:    %s",
				      c->flags, i, evs[i]->snap_len, evs[i]->pkt_len, r, want + off,
				      buf);
			print_hex(evs[i]->snap, evs[i]->snap_len);
			bad++;
			break; /* the rest of the stream is out of step */
		}
		off += (size_t)r;
	}
	if (!bad && want[off]) {
		print_message("# %s: tcpdump printed more: %s\n", c->flags, want + off);
		bad++;
	}
	free(want);
	return bad;
}

static void test_options_match_tcpdump(void **state)
{
	size_t n = (sizeof(rows) / sizeof(rows[0])) + 2000, i, ne = 0, nr = 0, k, bad = 0;
	const struct rst_event **eth, **raw;
	struct rst_event *ev;
	struct frame f;

	(void)state;
	if (!have_tcpdump())
		skip();
	rng_state = 0x0e5a11ce5ULL;
	ev = calloc(n, sizeof(*ev));
	eth = calloc(n, sizeof(*eth));
	raw = calloc(n, sizeof(*raw));
	assert_true(ev && eth && raw);
	for (i = 0; i < n; i++) {
		if (i < (sizeof(rows) / sizeof(rows[0])))
			build(&rows[i], &f, &ev[i]);
		else
			rnd_frame(&f, &ev[i]);
		if (ev[i].l3_off)
			eth[ne++] = &ev[i];
		else
			raw[nr++] = &ev[i];
	}
	for (k = 0; k < (sizeof(opt_cases) / sizeof(opt_cases[0])); k++) {
		bad += compare_events_opts(eth, ne, DLT_EN10MB, &opt_cases[k]);
		bad += compare_events_opts(raw, nr, DLT_RAW, &opt_cases[k]);
	}
	free(ev);
	free(eth);
	free(raw);
	assert_int_equal(bad, 0);
}

/*
 * The -i any form (several interfaces: the line's prefix): tcpdump reads
 * a Linux cooked v2 record (DLT_LINUX_SLL2), built here as libpcap builds
 * it from the frame (the ethertype after the MACs, interface 1 so that
 * tcpdump names it lo, host or outgoing, the source MAC, the frame from
 * its network header on), and must print what fmt_event_line() prints
 * with any_prefix, plain and with each option. Records the kernel never
 * makes (cut inside the Ethernet header, longer than their packet) are
 * left out: their cooked form has other lengths than the frame's.
 */
static size_t cook_record(const struct rst_event *ev, __u8 *c, __u32 *len)
{
	size_t hoff = ev->l3_off ? 14 : 0;
	__u16 proto;

	memset(c, 0, 20);
	proto = hoff ? (__u16)(ev->snap[12] << 8 | ev->snap[13])
		     : ((ev->snap[0] >> 4) == 6 ? 0x86dd : 0x0800);
	c[0] = (__u8)(proto >> 8);
	c[1] = (__u8)proto;
	c[7] = 1; /* lo */
	c[8] = hoff ? 0 : 0xff;
	c[9] = hoff ? 1 : 0xfe;
	c[10] = ev->dir == RST_DIR_OUT ? 4 : 0;
	if (hoff) {
		c[11] = 6;
		memcpy(c + 12, ev->snap + 6, 6);
	}
	memcpy(c + 20, ev->snap + hoff, ev->snap_len - hoff);
	*len = ev->pkt_len - (__u32)hoff + 20;
	return 20 + ev->snap_len - hoff;
}

static size_t compare_any(struct rst_event *const *evs, size_t n, const struct opt_case *c)
{
	static char buf[LINE_MAX_LEN];
	char path[] = "/tmp/rsttrace-tcpdump-XXXXXX", cmd[256];
	size_t i, off = 0, got = 0, bad = 0;
	char *want = NULL;
	struct fmt_opts fo;
	pcap_dumper_t *d;
	__u8 rec[20 + RST_SNAPLEN_MAX];
	pcap_t *pd;
	FILE *fp;
	int fd, r;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	pd = pcap_open_dead(DLT_LINUX_SLL2, 65535);
	assert_non_null(pd);
	d = pcap_dump_open(pd, path);
	assert_non_null(d);
	for (i = 0; i < n; i++) {
		struct pcap_pkthdr h = { .ts = { .tv_sec = BASE_SEC } };

		h.caplen = (__u32)cook_record(evs[i], rec, &h.len);
		pcap_dump((u_char *)d, &h, rec);
	}
	pcap_dump_close(d);
	pcap_close(pd);
	snprintf(cmd, sizeof(cmd), "tcpdump -nn -S -t %s -r %s 2>/dev/null", c->flags, path);
	fp = popen(cmd, "r");
	assert_non_null(fp);
	want = calloc(1, 1 << 22);
	assert_non_null(want);
	got = fread(want, 1, (1 << 22) - 1, fp);
	pclose(fp);
	unlink(path);
	want[got] = '\0';
	fo = c->fo;
	fo.tstamp = TS_NONE;
	fo.any_prefix = 1;
	for (i = 0; i < n; i++) {
		r = fmt_event_line(buf, sizeof(buf), evs[i], "lo", NULL, &fo, NULL);
		assert_true(r > 0);
		if (strncmp(want + off, buf, (size_t)r)) {
			print_message("# -i any %s: packet %zu differs (snap_len %u, pkt_len %u):\n"
				      "# tcpdump: %.*s\n# ours:    %s",
				      c->flags, i, evs[i]->snap_len, evs[i]->pkt_len, r, want + off,
				      buf);
			print_hex(evs[i]->snap, evs[i]->snap_len);
			bad++;
			break;
		}
		off += (size_t)r;
	}
	if (!bad && want[off]) {
		print_message("# -i any %s: tcpdump printed more: %.200s\n", c->flags, want + off);
		bad++;
	}
	free(want);
	return bad;
}

static void test_any_options_match_tcpdump(void **state)
{
	static const struct opt_case plain = { "", { 0 } };
	size_t n = (sizeof(rows) / sizeof(rows[0])) + 2000, i, k, m = 0, bad = 0;
	struct rst_event *ev, **sel;
	struct frame f;

	(void)state;
	if (!have_tcpdump())
		skip();
	rng_state = 0xa11a11ULL;
	ev = calloc(n, sizeof(*ev));
	sel = calloc(n, sizeof(*sel));
	assert_true(ev && sel);
	for (i = 0; i < n; i++) {
		if (i < sizeof(rows) / sizeof(rows[0]))
			build(&rows[i], &f, &ev[i]);
		else
			rnd_frame(&f, &ev[i]);
		ev[i].ifindex = 1;
		ev[i].dir = (__u8)(i % 2 ? RST_DIR_OUT : RST_DIR_IN);
		if (ev[i].snap_len >= (ev[i].l3_off ? 14 : 1) && ev[i].pkt_len >= ev[i].snap_len)
			sel[m++] = &ev[i];
	}
	bad += compare_any(sel, m, &plain);
	for (k = 0; k < sizeof(opt_cases) / sizeof(opt_cases[0]); k++)
		bad += compare_any(sel, m, &opt_cases[k]);
	free(ev);
	free(sel);
	assert_int_equal(bad, 0);
}

int main(void)
{
	struct rowtests rt = { 0 };

	RT_ADD_ROWS(&rt, rows, test_row_matches_tcpdump, row_name);
	rt_add(&rt, "test_fields_without_snapshot", test_fields_without_snapshot, NULL);
	rt_add(&rt, "test_timestamps_utc", test_timestamps_utc, NULL);
	rt_add(&rt, "test_timestamps_local", test_timestamps_local, NULL);
	rt_add(&rt, "test_timestamp_values", test_timestamp_values, NULL);
	rt_add(&rt, "test_verbose_extras", test_verbose_extras, NULL);
	rt_add(&rt, "test_any_prefix", test_any_prefix, NULL);
	rt_add(&rt, "test_enospc", test_enospc, NULL);
	rt_add(&rt, "test_random_frames_match_tcpdump", test_random_frames_match_tcpdump, NULL);
	rt_add(&rt, "test_options_match_tcpdump", test_options_match_tcpdump, NULL);
	rt_add(&rt, "test_any_options_match_tcpdump", test_any_options_match_tcpdump, NULL);

	return rt_run(&rt, NULL, NULL);
}
