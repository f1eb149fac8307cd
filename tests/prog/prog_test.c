// SPDX-License-Identifier: GPL-2.0
/*
 * BPF program tests: each row is a frame run through rst_xdp, rst_tc_ingress
 * and rst_tc_egress with BPF_PROG_TEST_RUN, from a clean state, and checked
 * for the verdict, unchanged bytes, exact counter deltas, the exact ring
 * buffer event and the flow, host and bucket map contents. Scenarios cover
 * what needs several runs: sampling, rate limit, ring buffer full, counter
 * slot overflow. Speaks TAP on stdout; exits 1 if any test failed.
 * Needs root (BPF_PROG_TEST_RUN); attaches nothing, sends no traffic.
 */
#include <errno.h>
#include <fnmatch.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "rsttrace.h"
#include "rsttrace.skel.h"
#include "counters.h"
#include "loader.h"
#include "mapread.h"
#include "session.h"
#include "rings.h"
#include "causes.h"
#include "tracing.h"
#include "fatetrace.h"
#include "pkt.h"

#define ETH_HLEN  14
#define FRAME_MAX 16384
/* test_run on 6.18 (4 KiB pages): XDP's linear buffer, TC's largest frame. */
#define XDP_LINEAR   3520
#define TC_FRAME_MAX 3712
#define EV_CAP	     64		 /* events kept whole; only seq is kept beyond */
#define TC_PASS	     0xffffffffU /* TC_ACT_UNSPEC (-1) as test_run reports it */
#define XDP_PASS     2

#define TH_FIN RST_TCP_FIN
#define TH_SYN RST_TCP_SYN
#define TH_RST RST_TCP_RST
#define TH_PSH RST_TCP_PSH
#define TH_ACK RST_TCP_ACK

/* ---- TAP ---- */

static int tap_num, tap_failed, cur_bad;
static char diag[8192];
static size_t diag_len;
static const char *cur_prog = "";

/* Mark the current test failed and keep a diagnostic line for after its TAP line. */
static void __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	cur_bad = 1;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (diag_len + sizeof(line) + 64 > sizeof(diag)) {
		if (diag_len + 8 < sizeof(diag) && !strstr(diag, "#   ...\n"))
			diag_len += snprintf(diag + diag_len, sizeof(diag) - diag_len, "#   ...\n");
		return;
	}
	n = snprintf(diag + diag_len, sizeof(diag) - diag_len, "#   %s%s%s\n", cur_prog,
		     *cur_prog ? ": " : "", line);
	if (n > 0)
		diag_len += n;
}

static void __attribute__((format(printf, 1, 2))) tap_end(const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cur_bad ? "not " : "", ++tap_num);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (cur_bad) {
		tap_failed++;
		fputs(diag, stdout);
	}
	fflush(stdout);
	cur_bad = 0;
	diag_len = 0;
	diag[0] = 0;
	cur_prog = "";
}

/* ---- names for diagnostics ---- */

static const char *const c_name[RST_C_MAX] = {
	[RST_C_PACKETS] = "packets",
	[RST_C_TCP4] = "tcp4",
	[RST_C_TCP6] = "tcp6",
	[RST_C_SYN] = "syn",
	[RST_C_SYNACK] = "synack",
	[RST_C_FIN] = "fin",
	[RST_C_RST] = "rst",
	[RST_C_RSTACK] = "rstack",
	[RST_C_FRAGMENT] = "fragment",
	[RST_C_EV_SENT] = "ev_sent",
	[RST_C_EV_SAMPLED] = "ev_sampled",
	[RST_C_EV_RATELIM] = "ev_ratelim",
	[RST_C_EV_RINGFULL] = "ev_ringfull",
	[RST_C_EV_FILTERED] = "ev_filtered",
	[RST_C_FLOW_ERR] = "flow_err",
	[RST_C_HOST_ERR] = "host_err",
};

static const char *const m_name[RST_M_MAX] = {
	[RST_M_ETH_TRUNC] = "eth_trunc",
	[RST_M_VLAN_TRUNC] = "vlan_trunc",
	[RST_M_IP4_TRUNC] = "ip4_trunc",
	[RST_M_IP4_VERSION] = "ip4_version",
	[RST_M_IP4_IHL] = "ip4_ihl",
	[RST_M_IP4_OPT_TRUNC] = "ip4_opt_trunc",
	[RST_M_IP4_TOTLEN] = "ip4_totlen",
	[RST_M_IP6_TRUNC] = "ip6_trunc",
	[RST_M_IP6_VERSION] = "ip6_version",
	[RST_M_IP6_PAYLEN] = "ip6_paylen",
	[RST_M_IP6_EXT_TRUNC] = "ip6_ext_trunc",
	[RST_M_IP6_EXT_DEPTH] = "ip6_ext_depth",
	[RST_M_TCP_TRUNC] = "tcp_trunc",
	[RST_M_TCP_DOFF] = "tcp_doff",
	[RST_M_TCP_OPT_TRUNC] = "tcp_opt_trunc",
};

/* ---- the programs under test ---- */

enum {
	P_XDP = 1,
	P_TCI = 2,
	P_TCO = 4,
	P_ALL = 7,
};

struct prog_desc {
	const char *name;
	__u8 hook, dir;
	__u32 pass;
	int fd;
};

static struct prog_desc progs[3] = {
	{ "xdp", RST_HOOK_XDP, RST_DIR_IN, XDP_PASS, -1 },
	{ "tc-in", RST_HOOK_TC_INGRESS, RST_DIR_IN, TC_PASS, -1 },
	{ "tc-out", RST_HOOK_TC_EGRESS, RST_DIR_OUT, TC_PASS, -1 },
};

/* ---- frame builder ---- */

enum l3 {
	L3_IP4 = 0,
	L3_IP6,
	L3_ARP,
};

/* An IPv6 extension header: type, total length in bytes, fragment field. */
struct ext_spec {
	__u8 type;
	__u16 len;  /* 0 ends the chain */
	__u16 frag; /* fragment header: offset << 3 | M, host order */
};

/* Where a poke lands: 0 = unused, then frame start, IP header, TCP header, ext[i]. */
enum anchor {
	AT_NONE = 0,
	AT_FRAME,
	AT_L3,
	AT_L4,
	AT_EXT0,
};

/* Overwrite 1 or 2 bytes (big-endian) after building, to make a frame bad. */
struct poke {
	__u8 at;
	__u8 width;
	__u8 add; /* add val to what is there instead of setting it */
	__u16 off;
	int val;
};

#define EXT_MAX 10

/* A frame in words; every zero field means the common default. */
struct pkt_spec {
	__u16 tpid[3];	 /* VLAN tag protocol ids, outer first */
	__u16 ethertype; /* 0: from l3 */
	__u8 l3;	 /* enum l3 */
	__u8 proto;	 /* transport protocol; 0: TCP */
	__u8 ip_opt;	 /* IPv4 option bytes, multiple of 4 */
	__u16 frag;	 /* IPv4 frag_off field, host order; 0: DF */
	struct ext_spec ext[EXT_MAX];
	__u8 flags;	/* TCP flags */
	__u8 tcp_opt;	/* TCP option bytes, multiple of 4 */
	__u16 payload;	/* TCP (or other L4) payload bytes */
	__u16 pad;	/* Ethernet trailer after the datagram */
	__u8 swap;	/* the server (bigger endpoint) sends */
	__u8 same_addr; /* both ends share one address; ports decide */
	__u8 src_idx;	/* added to the client address' last byte */
	__u8 ttl;	/* TTL / hop limit; 0: default */
	__u32 seq;	/* 0: default */
	struct poke poke[2];
};

/* clang-format off */
#define POKE_IHL(v)	      { AT_L3, 1, 0, 0, 0x40 | (v) }
#define POKE_VER(v, low)      { AT_L3, 1, 0, 0, ((v) << 4) | (low) }
#define POKE_TOTLEN(v)	      { AT_L3, 2, 0, 2, (v) }
#define POKE_TOTLEN_ADD(v)    { AT_L3, 2, 1, 2, (v) }
#define POKE_PAYLEN(v)	      { AT_L3, 2, 0, 4, (v) }
#define POKE_PAYLEN_ADD(v)    { AT_L3, 2, 1, 4, (v) }
#define POKE_DOFF(v)	      { AT_L4, 1, 0, 12, (v) << 4 }
#define POKE_EXTLEN(i, v)     { AT_EXT0 + (i), 1, 0, 1, (v) }
#define HBH(n)		      { IPPROTO_HOPOPTS, n, 0 }
#define DEST(n)		      { IPPROTO_DSTOPTS, n, 0 }
#define RTG(n)		      { IPPROTO_ROUTING, n, 0 }
#define FRAG(f)		      { IPPROTO_FRAGMENT, 8, f }
#define AH(n)		      { IPPROTO_AH, n, 0 }
#define EXT_CHAIN	      HBH(8), DEST(16), RTG(24), FRAG(0x0001), AH(24)
#define EXT_CHAIN6	      EXT_CHAIN, DEST(8)
/* clang-format on */

/* A built frame and what a correct parser must learn from it. */
struct frame {
	__u8 b[FRAME_MAX];
	__u32 len;
	__u32 ntags;
	__u32 l3_off, l4_off, ip_end, ip_hlen, doff_len;
	__u32 ext_off[EXT_MAX], ext_len[EXT_MAX], n_ext;
	__u32 payload_len;
	__u8 family; /* AF_INET, AF_INET6, 0 for neither */
	__u8 saddr[16], daddr[16];
	__u16 sport, dport, win, ip_id;
	__u32 seq, ack;
	__u8 flags, ttl, tcp;
};

static const __u8 mac_dst[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const __u8 mac_src[6] = { 0x02, 0, 0, 0, 0, 0x01 };
/*
 * Client < server as big-endian words, but the other way round as
 * little-endian words, so that a missing byte swap in the canonical flow
 * orientation shows up.
 */
static const __u8 ip4_client[4] = { 10, 1, 0, 9 };
static const __u8 ip4_server[4] = { 10, 2, 0, 1 };
static const __u8 ip6_client[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 9 };
static const __u8 ip6_server[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1 };
/* 443 < 40000 in host order; as raw little-endian u16s it is the reverse. */
#define PORT_CLIENT 40000
#define PORT_SERVER 443
#define SEQ_DEFAULT 0x89abcdefU
#define ACK_DEFAULT 0x01234567U
#define WIN_DEFAULT 0x7a12
#define ID_DEFAULT  0x1234
#define TTL4	    57
#define TTL6	    63

static void ip4_csum(struct frame *f)
{
	__u32 hlen = (f->b[f->l3_off] & 0xf) * 4;

	if (f->family != AF_INET || hlen < 20 || f->l3_off + hlen > f->len)
		return;
	pkt_ip4_csum(f->b + f->l3_off);
}

/* Real checksums, so that a snapshot written to pcap reads clean. */
static void tcp_csum(struct frame *f)
{
	pkt_tcp_csum(f->b + f->l4_off, f->ip_end - f->l4_off, f->saddr, f->daddr,
		     f->family == AF_INET ? 4 : 16);
}

static void bail(const char *what, int err);

static void build(struct frame *f, const struct pkt_spec *s)
{
	const int v6 = s->l3 == L3_IP6;
	const __u32 alen = v6 ? 16 : 4;
	__u8 proto = s->proto ? s->proto : IPPROTO_TCP;
	__u8 cli[16], srv[16], opt[64], *b = f->b;
	__u32 off, i, l4len;
	struct pkt p;
	__u16 type;

	memset(f, 0, sizeof(*f));
	pkt_init(&p, b, sizeof(f->b));
	pkt_eth(&p, mac_dst, mac_src);
	type = s->ethertype ? s->ethertype : v6 ? 0x86dd : s->l3 == L3_ARP ? 0x0806 : 0x0800;
	for (i = 0; i < 3 && s->tpid[i]; i++)
		pkt_vlan(&p, s->tpid[i], 0x2000 | (100 + i)); /* PCP 1, VID 100 + i */
	pkt_ethertype(&p, type);
	off = p.len;
	f->ntags = i;
	f->l3_off = off;

	if (s->l3 == L3_ARP) {
		pkt_u16(&p, 1);
		pkt_u16(&p, 0x0800);
		pkt_u8(&p, 6);
		pkt_u8(&p, 4);
		pkt_u16(&p, 1);
		pkt_bytes(&p, mac_src, 6);
		pkt_bytes(&p, ip4_client, 4);
		pkt_bytes(&p, NULL, 6);
		pkt_bytes(&p, ip4_server, 4);
		f->len = off + 28 + s->pad;
		return;
	}

	memcpy(cli, v6 ? ip6_client : ip4_client, alen);
	memcpy(srv, v6 ? ip6_server : ip4_server, alen);
	cli[alen - 1] += s->src_idx;
	if (s->same_addr)
		memcpy(srv, cli, alen);
	memcpy(f->saddr, s->swap ? srv : cli, alen);
	memcpy(f->daddr, s->swap ? cli : srv, alen);
	f->sport = s->swap ? PORT_SERVER : PORT_CLIENT;
	f->dport = s->swap ? PORT_CLIENT : PORT_SERVER;

	if (!v6) {
		f->family = AF_INET;
		f->ip_hlen = 20 + s->ip_opt;
		/* NOPs, then end of option list. */
		memset(opt, 1, s->ip_opt);
		if (s->ip_opt)
			opt[s->ip_opt - 1] = 0;
		pkt_ip4(&p, &(struct pkt_ip4){ .id = ID_DEFAULT,
					       .frag_off = s->frag ? s->frag : 0x4000,
					       .ttl = s->ttl ? s->ttl : TTL4,
					       .proto = proto,
					       .saddr = f->saddr,
					       .daddr = f->daddr,
					       .opt = opt,
					       .opt_len = s->ip_opt });
		f->ip_id = ID_DEFAULT;
		f->ttl = b[off + 8];
	} else {
		f->family = AF_INET6;
		f->ip_hlen = 40;
		/* version 6, flow label 0x12345 */
		pkt_ip6(&p, &(struct pkt_ip6){ .vtcfl = 0x60012345,
					       .nexthdr = s->ext[0].len ? s->ext[0].type : proto,
					       .hop_limit = s->ttl ? s->ttl : TTL6,
					       .saddr = f->saddr,
					       .daddr = f->daddr });
		for (i = 0; i < EXT_MAX && s->ext[i].len; i++) {
			__u8 next =
				i + 1 < EXT_MAX && s->ext[i + 1].len ? s->ext[i + 1].type : proto;

			f->ext_off[i] = pkt_ip6_ext(&p, s->ext[i].type, s->ext[i].len, next,
						    s->ext[i].frag);
			f->ext_len[i] = s->ext[i].len;
		}
		f->n_ext = i;
		f->ttl = b[off + 7];
	}
	f->l4_off = p.len;

	if (proto == IPPROTO_TCP) {
		f->tcp = 1;
		f->doff_len = 20 + s->tcp_opt;
		f->seq = s->seq ? s->seq : SEQ_DEFAULT;
		f->ack = ACK_DEFAULT;
		f->win = WIN_DEFAULT;
		f->flags = s->flags;
		/* MSS, then NOPs. */
		memset(opt, 1, s->tcp_opt);
		if (s->tcp_opt >= 4) {
			opt[0] = 2;
			opt[1] = 4;
			pkt_put16(opt + 2, 1460);
		}
		pkt_tcp(&p, &(struct pkt_tcp){ .sport = f->sport,
					       .dport = f->dport,
					       .seq = f->seq,
					       .ack = f->ack,
					       .doff = f->doff_len / 4,
					       .flags = s->flags,
					       .win = f->win,
					       .opt = opt,
					       .opt_len = s->tcp_opt });
		l4len = f->doff_len + s->payload;
	} else {
		/* A UDP or ICMP header's worth of bytes is all they need. */
		pkt_udp(&p, f->sport, f->dport, 8 + s->payload);
		l4len = 8 + s->payload;
	}
	pkt_text(&p, s->payload);
	if (p.overflow)
		bail("frame larger than FRAME_MAX", E2BIG);
	f->payload_len = s->payload;
	f->ip_end = f->l4_off + l4len;
	f->len = f->ip_end + s->pad; /* the trailer stays zero */
	if (v6)
		pkt_put16(b + off + 4, f->ip_end - off - 40);
	else
		pkt_put16(b + off + 2, f->ip_end - off);
	if (f->tcp)
		tcp_csum(f);

	for (i = 0; i < 2 && s->poke[i].at; i++) {
		const struct poke *k = &s->poke[i];
		__u32 at = k->at == AT_FRAME ? 0
			   : k->at == AT_L3  ? f->l3_off
			   : k->at == AT_L4  ? f->l4_off
					     : f->ext_off[k->at - AT_EXT0];
		__u8 *q = b + at + k->off;
		int v = k->val;

		if (k->width == 2)
			pkt_put16(q, (k->add ? (int)pkt_get16(q) : 0) + v);
		else
			*q = (k->add ? *q : 0) + v;
	}
	ip4_csum(f);
}

/*
 * Cut a frame to len bytes. With fix, the IP length field is rewritten to
 * end at the cut, so that the parser gets past the IP layer and the cut is
 * found by the header it falls in.
 */
static void cut_frame(struct frame *d, const struct frame *s, __u32 len, int fix)
{
	*d = *s;
	d->len = len;
	memset(d->b + len, 0, sizeof(d->b) - len);
	if (!fix)
		return;
	if (d->family == AF_INET && len >= d->l3_off + 20) {
		pkt_put16(d->b + d->l3_off + 2, len - d->l3_off);
		ip4_csum(d);
	} else if (d->family == AF_INET6 && len >= d->l3_off + 40) {
		pkt_put16(d->b + d->l3_off + 4, len - d->l3_off - 40);
	}
	d->ip_end = len;
	if (len >= d->l4_off + d->doff_len)
		d->payload_len = len - d->l4_off - d->doff_len;
}

#define TR_VALID (-1) /* still a whole TCP header: parsed and counted */

/*
 * Whether BPF_PROG_TEST_RUN refuses a frame (EINVAL) before any program
 * runs, as found on 6.18: XDP and TC both want at least an Ethernet header
 * (so eth_trunc cannot be reached here); TC also wants the fixed IPv4 or
 * IPv6 header whole when the Ethernet type (not a VLAN tag's) says IPv4 or
 * IPv6, and no frame over TC_FRAME_MAX (it builds a linear skb of at most
 * a page). The test asserts the refusal, so a kernel that changes it shows.
 */
static int test_run_refuses(int pi, const struct frame *f)
{
	__u32 proto;

	if (f->len < ETH_HLEN)
		return 1;
	if (progs[pi].hook == RST_HOOK_XDP)
		return 0;
	proto = pkt_get16(f->b + 12);
	return f->len > TC_FRAME_MAX || (proto == 0x0800 && f->len < ETH_HLEN + 20) ||
	       (proto == 0x86dd && f->len < ETH_HLEN + 40);
}

/* Where a cut falls, as the malformed reason the parser must count. */
static int cut_reason(const struct frame *f, __u32 len, int fix)
{
	__u32 i;

	if (len < ETH_HLEN)
		return RST_M_ETH_TRUNC;
	for (i = 0; i < f->ntags; i++) {
		if (len < ETH_HLEN + 4 * (i + 1))
			return RST_M_VLAN_TRUNC;
	}
	if (f->family == AF_INET) {
		if (len < f->l3_off + 20)
			return RST_M_IP4_TRUNC;
		if (len < f->l3_off + f->ip_hlen)
			return RST_M_IP4_OPT_TRUNC;
		if (!fix)
			return RST_M_IP4_TOTLEN;
	} else {
		if (len < f->l3_off + 40)
			return RST_M_IP6_TRUNC;
		if (!fix)
			return RST_M_IP6_PAYLEN;
		for (i = 0; i < f->n_ext; i++) {
			if (len < f->ext_off[i] + f->ext_len[i])
				return RST_M_IP6_EXT_TRUNC;
		}
	}
	if (len < f->l4_off + 20)
		return RST_M_TCP_TRUNC;
	if (len < f->l4_off + f->doff_len)
		return RST_M_TCP_OPT_TRUNC;
	return TR_VALID;
}

/* ---- program state ---- */

static struct rsttrace *skel;
static struct rst_session sess; /* holds skel once loaded; no interface attached */
static struct rst_rings *rb;	/* the session's event rings (rings.h) */
static int ncpu, fd_counters, fd_settings, fd_flows, fd_hosts, fd_budget, fd_reasons;
/* Small tables (sets), so that a reset is cheap and a set is easy to fill. */
#define T_HOST_SETS 64
#define T_FLOW_SETS 64
static int fd_evfilter = -1; /* the kernel-side event filter, where the build has one */
static __u32 snaplen = 100, lo_ifindex, ring_size;
static struct rst_counters *pcpu; /* one slot's worth: ncpu values */

/* The ifindex each counter slot must record (0: none); reset_state clears it. */
static __u32 exp_owner[RST_COUNTER_ENTRIES];

static struct rst_event evs[EV_CAP];
static __u32 *ev_seqs;
static size_t n_ev, ev_seq_cap, ev_bad_size;

static int on_event(void *ctx, void *data, size_t size)
{
	struct rst_event buf;
	const struct rst_event *e = rst_event_from_record(data, size, &buf);

	(void)ctx;
	/* Sized records: exactly the size the snapshot asks for. */
	if (!e || size != RST_EVENT_SIZE_FOR(e->snap_len)) {
		ev_bad_size++;
		return 0;
	}
	if (n_ev < EV_CAP)
		memcpy(&evs[n_ev], e, sizeof(*e));
	if (n_ev < ev_seq_cap)
		ev_seqs[n_ev] = e->seq;
	n_ev++;
	return 0;
}

/* Consume everything in the ring; returns how many events it held. */
static size_t drain_events(void)
{
	int err;

	n_ev = 0;
	ev_bad_size = 0;
	err = rings_consume(rb);
	if (err < 0)
		fail("rings_consume: %s", strerror(-err));
	if (ev_bad_size)
		fail("%zu ring records of a size other than RST_EVENT_SIZE_FOR(snap_len)",
		     ev_bad_size);
	return n_ev;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void clear_map(int fd, const char *name)
{
	__u8 key[64];

	while (!bpf_map_get_next_key(fd, NULL, key)) {
		if (bpf_map_delete_elem(fd, key)) {
			fail("clearing %s: %s", name, strerror(errno));
			return;
		}
	}
}

/* Every set of a per-CPU table, on every CPU, zeroed: every way free. */
static void clear_table(int fd, __u32 sets, __u32 set_size, const char *name)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	static __u32 keys[1024];
	static void *zero;
	__u32 n = sets, i;

	if (!zero)
		zero = calloc((size_t)sets * ncpu, set_size);
	for (i = 0; i < sets; i++)
		keys[i] = i;
	if (!zero || bpf_map_update_batch(fd, keys, zero, &n, &bo) || n != sets)
		fail("clearing %s: %s", name, strerror(errno));
}

/* The settings flags of the last set_config: which kinds may be events. */
static __u32 cur_cfg_flags;

/* The tables' hash seed of every row (a scenario may change it): not 0, to be felt. */
static __u32 t_seed = 0x5eed0001;

static void set_config(const struct rst_config *cfg)
{
	static const struct rst_config def = { .sample = 1 };
	struct rst_config c = cfg ? *cfg : def;
	__u32 zero = 0;

	cur_cfg_flags = c.flags;
	/* What loader_apply_settings() adds: the seed, the derived rate fields. */
	c.hash_seed = t_seed;
	rst_config_derive(&c);
	if (bpf_map_update_elem(fd_settings, &zero, &c, BPF_ANY))
		fail("settings update: %s", strerror(errno));
	tables_seed_from(fd_settings);
}

/* All counter slots, all CPUs: [key][cpu], as the batch ops lay them out. */
static struct rst_counters *snap_all;
static __u32 slot_keys[RST_COUNTER_ENTRIES];

/* Clean slate: counters zero, maps empty, ring drained, config set. */
static void reset_state(const struct rst_config *cfg)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	__u32 n = RST_COUNTER_ENTRIES;

	memset(snap_all, 0, (size_t)n * ncpu * sizeof(*snap_all));
	memset(exp_owner, 0, sizeof(exp_owner));
	if (bpf_map_update_batch(fd_counters, slot_keys, snap_all, &n, &bo) ||
	    n != RST_COUNTER_ENTRIES)
		fail("counters reset: %s (%u of %d)", strerror(errno), n, RST_COUNTER_ENTRIES);
	clear_table(fd_flows, T_FLOW_SETS, sizeof(struct rst_flow_set), "flows");
	clear_table(fd_hosts, T_HOST_SETS, sizeof(struct rst_host_set), "hosts");
	clear_table(fd_budget, 1, sizeof(struct rst_budget), "budget");
	clear_map(fd_reasons, "reasons");
	if (fd_evfilter >= 0) {
		/* All zero is "no filter": every RST may become an event. */
		static __u8 zero_filter[65536];
		__u32 zero = 0;

		if (bpf_map_update_elem(fd_evfilter, &zero, zero_filter, BPF_ANY))
			fail("evfilter reset: %s", strerror(errno));
	}
	drain_events();
	set_config(cfg);
}

static __u32 slot_key(__u32 ifindex, __u8 dir)
{
	return (ifindex % RST_IF_SLOTS) * 2 + dir;
}

/*
 * Run one frame through one program. Checks the verdict and that the frame
 * came out byte for byte as it went in. Returns the test_run error, which
 * is a failure unless the caller expects a refusal.
 */
static int run_prog_x(int pi, const struct frame *f, __u64 *t0, __u64 *t1, int may_refuse)
{
	static __u8 out[FRAME_MAX + 64];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = f->len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);
	__u64 a, z;
	int err;

	memset(out, 0xa5, sizeof(out));
	a = now_ns();
	err = bpf_prog_test_run_opts(progs[pi].fd, &o);
	z = now_ns();
	if (t0)
		*t0 = a;
	if (t1)
		*t1 = z;
	if (err) {
		err = -errno;
		if (!may_refuse)
			fail("test_run on %u bytes: %s", f->len, strerror(-err));
		return err;
	}
	if (may_refuse)
		fail("test_run ran the program on %u bytes, expected EINVAL", f->len);
	if (o.retval != progs[pi].pass)
		fail("retval: expected %#x (pass), got %#x", progs[pi].pass, o.retval);
	if (o.data_size_out != f->len)
		fail("data out: expected %u bytes, got %u", f->len, o.data_size_out);
	else if (memcmp(out, f->b, f->len))
		fail("data out differs from data in");
	return 0;
}

static int run_prog(int pi, const struct frame *f, __u64 *t0, __u64 *t1)
{
	return run_prog_x(pi, f, t0, t1, 0);
}

struct totals {
	__u64 c[RST_C_MAX];
	__u64 m[RST_M_MAX];
	__u64 rst_seq;
	__u64 host_lost[2][RST_HF_MAX];
	__u64 flow_lost[RST_FL_MAX][RST_FF_MAX];
	__u64 ctl_ev[RST_CK_MAX][RST_CE_MAX];
};

/* Fetch every slot on every CPU into snap_all, in one syscall. */
static int fetch_counters(void)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	__u32 n = RST_COUNTER_ENTRIES, out;
	int err;

	err = bpf_map_lookup_batch(fd_counters, NULL, &out, slot_keys, snap_all, &n, &bo);
	/* Reaching the end of the array reports ENOENT with the count filled. */
	if ((err && errno != ENOENT) || n != RST_COUNTER_ENTRIES) {
		fail("counters lookup: %s (%u of %d)", strerror(errno), n, RST_COUNTER_ENTRIES);
		return -1;
	}
	return 0;
}

/*
 * Sum one slot's per-CPU values (from the last fetch) into t. Checks the
 * owner it records on each CPU. Returns whether it counted anything.
 */
static int sum_slot(__u32 key, struct totals *t)
{
	int cpu, i, used = 0, owned = 0;

	for (cpu = 0; cpu < ncpu; cpu++) {
		const struct rst_counters *c = &snap_all[(size_t)key * ncpu + cpu];

		for (i = 0; i < RST_C_MAX; i++) {
			t->c[i] += c->c[i];
			used |= !!c->c[i];
		}
		for (i = 0; i < RST_M_MAX; i++) {
			t->m[i] += c->malformed[i];
			used |= !!c->malformed[i];
		}
		t->rst_seq += c->rst_seq;
		used |= !!c->rst_seq;
		for (i = 0; i < 2 * RST_HF_MAX; i++) {
			t->host_lost[i / RST_HF_MAX][i % RST_HF_MAX] +=
				c->host_lost[i / RST_HF_MAX][i % RST_HF_MAX];
			used |= !!c->host_lost[i / RST_HF_MAX][i % RST_HF_MAX];
		}
		for (i = 0; i < RST_FL_MAX * RST_FF_MAX; i++) {
			t->flow_lost[i / RST_FF_MAX][i % RST_FF_MAX] +=
				c->flow_lost[i / RST_FF_MAX][i % RST_FF_MAX];
			used |= !!c->flow_lost[i / RST_FF_MAX][i % RST_FF_MAX];
		}
		for (i = 0; i < RST_CK_MAX * RST_CE_MAX; i++) {
			t->ctl_ev[i / RST_CE_MAX][i % RST_CE_MAX] +=
				c->ctl_ev[i / RST_CE_MAX][i % RST_CE_MAX];
			used |= !!c->ctl_ev[i / RST_CE_MAX][i % RST_CE_MAX];
		}
		if (c->ifindex && c->ifindex != exp_owner[key])
			fail("slot %u cpu %d owned by ifindex %u, expected %u", key, cpu,
			     c->ifindex, exp_owner[key]);
		owned |= c->ifindex && c->ifindex == exp_owner[key];
		if (c->pad)
			fail("slot %u cpu %d: pad %u", key, cpu, c->pad);
	}
	if (used && exp_owner[key] && !owned)
		fail("slot %u counted but not claimed by ifindex %u", key, exp_owner[key]);
	return used;
}

/* One slot alone, freshly fetched. */
static void read_slot(__u32 key, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	if (!fetch_counters())
		sum_slot(key, t);
}

/*
 * Sum the counters of every slot into t; only slots a and b may count
 * anything (pass the same slot twice for one).
 */
static void read_counters(struct totals *t, __u32 a, __u32 b)
{
	struct totals one;
	__u32 key;
	int i;

	memset(t, 0, sizeof(*t));
	if (fetch_counters())
		return;
	for (key = 0; key < RST_COUNTER_ENTRIES; key++) {
		memset(&one, 0, sizeof(one));
		if (sum_slot(key, &one) && key != a && key != b)
			fail("counts in slot %u, expected only in slot %u (and %u)", key, a, b);
		for (i = 0; i < RST_C_MAX; i++)
			t->c[i] += one.c[i];
		for (i = 0; i < RST_M_MAX; i++)
			t->m[i] += one.m[i];
		t->rst_seq += one.rst_seq;
		for (i = 0; i < 2 * RST_HF_MAX; i++)
			t->host_lost[i / RST_HF_MAX][i % RST_HF_MAX] +=
				one.host_lost[i / RST_HF_MAX][i % RST_HF_MAX];
		for (i = 0; i < RST_FL_MAX * RST_FF_MAX; i++)
			t->flow_lost[i / RST_FF_MAX][i % RST_FF_MAX] +=
				one.flow_lost[i / RST_FF_MAX][i % RST_FF_MAX];
		for (i = 0; i < RST_CK_MAX * RST_CE_MAX; i++)
			t->ctl_ev[i / RST_CE_MAX][i % RST_CE_MAX] +=
				one.ctl_ev[i / RST_CE_MAX][i % RST_CE_MAX];
	}
}

/*
 * The accounting identities, over every slot and every line of every CPU:
 * per direction and flag, host lines + host_lost == the global counters;
 * per flag, flow lines + flow_lost (every cause) == the global counters.
 */
static void check_conservation(void)
{
	__u64 h[2][RST_HF_MAX] = { { 0 } }, f[RST_FF_MAX] = { 0 }, g[2][RST_HF_MAX], gf[RST_FF_MAX];
	struct totals t[2], all;
	struct map_dump d = {};
	size_t i;
	int dir, k, c;

	memset(&all, 0, sizeof(all));
	memset(t, 0, sizeof(t));
	if (fetch_counters())
		return;
	for (i = 0; i < RST_COUNTER_ENTRIES; i++) {
		struct totals one;

		memset(&one, 0, sizeof(one));
		/* exp_owner may not be set for every slot a scenario used: sum raw. */
		for (c = 0; c < ncpu; c++) {
			const struct rst_counters *v = &snap_all[i * ncpu + c];

			for (k = 0; k < RST_C_MAX; k++)
				t[i & 1].c[k] += v->c[k];
			for (k = 0; k < 2 * RST_HF_MAX; k++)
				all.host_lost[k / RST_HF_MAX][k % RST_HF_MAX] +=
					v->host_lost[k / RST_HF_MAX][k % RST_HF_MAX];
			for (k = 0; k < RST_FL_MAX * RST_FF_MAX; k++)
				all.flow_lost[k / RST_FF_MAX][k % RST_FF_MAX] +=
					v->flow_lost[k / RST_FF_MAX][k % RST_FF_MAX];
		}
	}
	if (hosts_dump_read(fd_hosts, &d)) {
		fail("conservation: reading the host table");
		return;
	}
	for (i = 0; i < d.n; i++) {
		const struct rst_host_val *v = map_dump_val(&d, i);

		h[0][RST_HF_RST] += v->rst_in;
		h[1][RST_HF_RST] += v->rst_out;
		h[0][RST_HF_SYN] += v->syn_in;
		h[1][RST_HF_SYN] += v->syn_out;
		h[0][RST_HF_FIN] += v->fin_in;
		h[1][RST_HF_FIN] += v->fin_out;
	}
	if (flows_dump_read(fd_flows, &d)) {
		fail("conservation: reading the flow table");
		map_dump_free(&d);
		return;
	}
	for (i = 0; i < d.n; i++) {
		const struct rst_flow_val *v = map_dump_val(&d, i);

		for (k = 0; k < 2; k++) {
			f[RST_FF_SYN] += v->syn[k];
			f[RST_FF_SYNACK] += v->synack[k];
			f[RST_FF_FIN] += v->fin[k];
			f[RST_FF_RST] += v->rst[k];
			f[RST_FF_RSTACK] += v->rstack[k];
		}
	}
	map_dump_free(&d);
	for (dir = 0; dir < 2; dir++) {
		g[dir][RST_HF_RST] = t[dir].c[RST_C_RST] + t[dir].c[RST_C_RSTACK];
		g[dir][RST_HF_SYN] = t[dir].c[RST_C_SYN];
		g[dir][RST_HF_FIN] = t[dir].c[RST_C_FIN];
		for (k = 0; k < RST_HF_MAX; k++)
			if (h[dir][k] + all.host_lost[dir][k] != g[dir][k])
				fail("conservation: hosts %s %s: lines %llu + evicted %llu != "
				     "global "
				     "%llu",
				     rst_host_flag_names[k], dir ? "out" : "in",
				     (unsigned long long)h[dir][k],
				     (unsigned long long)all.host_lost[dir][k],
				     (unsigned long long)g[dir][k]);
	}
	gf[RST_FF_SYN] = t[0].c[RST_C_SYN] + t[1].c[RST_C_SYN];
	gf[RST_FF_SYNACK] = t[0].c[RST_C_SYNACK] + t[1].c[RST_C_SYNACK];
	gf[RST_FF_FIN] = t[0].c[RST_C_FIN] + t[1].c[RST_C_FIN];
	gf[RST_FF_RST] = t[0].c[RST_C_RST] + t[1].c[RST_C_RST];
	gf[RST_FF_RSTACK] = t[0].c[RST_C_RSTACK] + t[1].c[RST_C_RSTACK];
	for (k = 0; k < RST_FF_MAX; k++) {
		__u64 lost = 0;

		for (c = 0; c < RST_FL_MAX; c++)
			lost += all.flow_lost[c][k];
		if (f[k] + lost != gf[k])
			fail("conservation: flows %s: lines %llu + untracked %llu != global %llu",
			     rst_flow_flag_names[k], (unsigned long long)f[k],
			     (unsigned long long)lost, (unsigned long long)gf[k]);
	}
}

/*
 * The control-event identities: per kind (SYN, SYN-ACK, FIN), the causes
 * add up to the global counter of that flag; with only RSTs asked (the
 * default) every one of them is "not asked" but those that carry an RST.
 */
static void check_ctl_totals(const struct totals *t)
{
	static const int glob[RST_CK_MAX] = { RST_C_SYN, RST_C_SYNACK, RST_C_FIN };
	int k, c;

	for (k = 0; k < RST_CK_MAX; k++) {
		__u64 sum = 0;

		for (c = 0; c < RST_CE_MAX; c++)
			sum += t->ctl_ev[k][c];
		if (sum != t->c[glob[k]])
			fail("invariant: %s events: causes sum %llu != %s %llu",
			     rst_ctl_kind_names[k], (unsigned long long)sum, c_name[glob[k]],
			     (unsigned long long)t->c[glob[k]]);
		/* RSTs only: a SYN or FIN without RST is not asked, one with RST goes with it. */
		if (!(cur_cfg_flags & RST_CFG_EV_CTL) &&
		    t->ctl_ev[k][RST_CE_NOTASKED] + t->c[RST_C_RST] + t->c[RST_C_RSTACK] <
			    t->c[glob[k]])
			fail("RSTs only: %s not asked %llu, expected every one without RST",
			     rst_ctl_kind_names[k],
			     (unsigned long long)t->ctl_ev[k][RST_CE_NOTASKED]);
	}
}

/* Compare the sums with what the row expects; also the invariants. */
static void check_totals(const struct totals *t, const __u64 *c, const __u64 *m)
{
	__u64 rsts = t->c[RST_C_RST] + t->c[RST_C_RSTACK];
	__u64 fate = t->c[RST_C_EV_SENT] + t->c[RST_C_EV_SAMPLED] + t->c[RST_C_EV_RATELIM] +
		     t->c[RST_C_EV_RINGFULL] + t->c[RST_C_EV_FILTERED];
	int i;

	for (i = 0; i < RST_C_MAX; i++) {
		if (t->c[i] != c[i])
			fail("counter %s: expected %llu, got %llu", c_name[i],
			     (unsigned long long)c[i], (unsigned long long)t->c[i]);
	}
	for (i = 0; i < RST_M_MAX; i++) {
		if (t->m[i] != m[i])
			fail("malformed %s: expected %llu, got %llu", m_name[i],
			     (unsigned long long)m[i], (unsigned long long)t->m[i]);
	}
	if (rsts != fate)
		fail("invariant: rst+rstack %llu != sent+sampled+ratelim+ringfull+filtered %llu",
		     (unsigned long long)rsts, (unsigned long long)fate);
	check_ctl_totals(t);
	/* With SYN/FIN events asked the sequence counts them too: their rows check it. */
	if (!(cur_cfg_flags & (RST_CFG_EV_CTL | RST_CFG_EV_NORST)) && t->rst_seq != rsts)
		fail("rst_seq: expected %llu (one per RST), got %llu", (unsigned long long)rsts,
		     (unsigned long long)t->rst_seq);
}

static void hexdiff(const char *what, const __u8 *want, const __u8 *got, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (want[i] != got[i]) {
			fail("%s: first difference at byte %zu: expected %02x, got %02x", what, i,
			     want[i], got[i]);
			return;
		}
	}
}

/* The event a frame must produce on a program, but for the timestamp. */
static void expect_event(struct rst_event *e, const struct frame *f, int pi)
{
	__u32 n = f->len < snaplen ? f->len : snaplen;

	memset(e, 0, sizeof(*e));
	memcpy(e->saddr, f->saddr, 16);
	memcpy(e->daddr, f->daddr, 16);
	e->ifindex = lo_ifindex;
	e->seq = f->seq;
	e->ack = f->ack;
	e->pkt_len = f->len;
	e->sport = f->sport;
	e->dport = f->dport;
	e->win = f->win;
	e->ip_id = f->family == AF_INET ? f->ip_id : 0;
	e->payload_len = f->payload_len;
	e->snap_len = n;
	e->l3_off = f->l3_off;
	e->l4_off = f->l4_off;
	e->family = f->family;
	e->hook = progs[pi].hook;
	e->dir = progs[pi].dir;
	e->tcp_flags = f->flags;
	e->ttl = f->ttl;
	e->ev_flags = f->ntags ? RST_EV_VLAN : 0;
	memcpy(e->snap, f->b, n);
}

#define EV_FIELD(fld)                                                                              \
	do {                                                                                       \
		if (got->fld != want.fld)                                                          \
			fail("event " #fld ": expected %llu (%#llx), got %llu (%#llx)",            \
			     (unsigned long long)want.fld, (unsigned long long)want.fld,           \
			     (unsigned long long)got->fld, (unsigned long long)got->fld);          \
	} while (0)

static void check_event(const struct rst_event *got, const struct frame *f, int pi, __u64 t0,
			__u64 t1)
{
	struct rst_event want;

	expect_event(&want, f, pi);
	if (got->ts_ns < t0 || got->ts_ns > t1)
		fail("event ts_ns %llu outside the run [%llu, %llu]",
		     (unsigned long long)got->ts_ns, (unsigned long long)t0,
		     (unsigned long long)t1);
	hexdiff("event saddr", want.saddr, got->saddr, 16);
	hexdiff("event daddr", want.daddr, got->daddr, 16);
	EV_FIELD(ifindex);
	EV_FIELD(seq);
	EV_FIELD(ack);
	EV_FIELD(pkt_len);
	EV_FIELD(sport);
	EV_FIELD(dport);
	EV_FIELD(win);
	EV_FIELD(ip_id);
	EV_FIELD(payload_len);
	EV_FIELD(snap_len);
	EV_FIELD(l3_off);
	EV_FIELD(l4_off);
	EV_FIELD(family);
	EV_FIELD(hook);
	EV_FIELD(dir);
	EV_FIELD(tcp_flags);
	EV_FIELD(ttl);
	EV_FIELD(ev_flags);
	EV_FIELD(reason);
	EV_FIELD(sk_state);
	/* Bytes past snap_len are not defined: the ring slot is reused. */
	hexdiff("event snap", want.snap, got->snap,
		got->snap_len < want.snap_len ? got->snap_len : want.snap_len);
}

/* Canonical flow key: endpoint A is the smaller (address, port). */
static __u32 flow_key_of(struct rst_flow_key *k, const struct frame *f)
{
	int c = memcmp(f->saddr, f->daddr, 16);
	__u32 d = c > 0 || (c == 0 && f->sport > f->dport);

	memset(k, 0, sizeof(*k));
	memcpy(k->addr_a, d ? f->daddr : f->saddr, 16);
	memcpy(k->addr_b, d ? f->saddr : f->daddr, 16);
	k->port_a = d ? f->dport : f->sport;
	k->port_b = d ? f->sport : f->dport;
	k->family = f->family;
	k->proto = IPPROTO_TCP;
	return d;
}

static void host_key_of(struct rst_host_key *k, const struct frame *f, __u8 dir)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->addr, dir == RST_DIR_IN ? f->saddr : f->daddr, 16);
	k->family = f->family;
}

/* Distinct keys in the host or flow table, merged over CPUs. */
static int map_count(int fd)
{
	long n = fd == fd_hosts	  ? hosts_count(fd)
		 : fd == fd_flows ? flows_count(fd)
				  : map_count_entries(fd);

	if (n < 0)
		fail("reading a table: %s", strerror((int)-n));
	return n < 0 ? -1 : (int)n;
}

/*
 * Lines keep coarse ticks (CLOCK_MONOTONIC_COARSE >> 20): one may read up
 * to a tick plus a jiffy (10 ms at HZ=100) before the run began.
 */
#define TICK_SLACK ((1ULL << RST_TICK_SHIFT) + 10000000ULL)

#define VAL_FIELD(what, fld, want)                                                                 \
	do {                                                                                       \
		if ((__u64)(got.fld) != (__u64)(want))                                             \
			fail(what " " #fld ": expected %llu, got %llu",                            \
			     (unsigned long long)(want), (unsigned long long)(got.fld));           \
	} while (0)

/*
 * The flow entry after n identical runs of f (or none expected), from
 * the time window [t0, t1] the runs took place in.
 */
static void check_flow(const struct frame *f, __u32 n, __u64 t0, __u64 t1)
{
	struct rst_flow_key key;
	struct rst_flow_val got;
	__u8 fl = f->flags;
	__u32 d = flow_key_of(&key, f), e = !d;

	if (map_count(fd_flows) != 1) {
		fail("flows: expected 1 entry, got %d", map_count(fd_flows));
		return;
	}
	if (flow_lookup(fd_flows, &key, &got)) {
		fail("flows: no entry under the canonical key (A = %s)",
		     d ? "destination" : "source");
		return;
	}
	if (got.first_ns + TICK_SLACK < t0 || got.first_ns > got.last_ns || got.last_ns > t1)
		fail("flow first_ns/last_ns %llu/%llu outside the run [%llu, %llu]",
		     (unsigned long long)got.first_ns, (unsigned long long)got.last_ns,
		     (unsigned long long)t0, (unsigned long long)t1);
	VAL_FIELD("flow", syn[d], (fl & (TH_SYN | TH_ACK)) == TH_SYN ? n : 0);
	VAL_FIELD("flow", synack[d], (fl & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK) ? n : 0);
	VAL_FIELD("flow", fin[d], fl & TH_FIN ? n : 0);
	VAL_FIELD("flow", rst[d], (fl & (TH_RST | TH_ACK)) == TH_RST ? n : 0);
	VAL_FIELD("flow", rstack[d], (fl & (TH_RST | TH_ACK)) == (TH_RST | TH_ACK) ? n : 0);
	VAL_FIELD("flow", syn[e], 0);
	VAL_FIELD("flow", synack[e], 0);
	VAL_FIELD("flow", fin[e], 0);
	VAL_FIELD("flow", rst[e], 0);
	VAL_FIELD("flow", rstack[e], 0);
	VAL_FIELD("flow", ttl[d], f->ttl);
	VAL_FIELD("flow", ttl[e], 0);
	VAL_FIELD("flow", ifindex, lo_ifindex);
	VAL_FIELD("flow", pad[0], 0);
	VAL_FIELD("flow", pad[1], 0);
}

static void check_host(const struct frame *f, __u8 dir, __u32 n, __u64 t0, __u64 t1)
{
	struct rst_host_key key;
	struct rst_host_val got;
	__u8 fl = f->flags;
	__u32 in = dir == RST_DIR_IN ? n : 0, out = dir == RST_DIR_OUT ? n : 0;

	host_key_of(&key, f, dir);
	if (map_count(fd_hosts) != 1) {
		fail("hosts: expected 1 entry, got %d", map_count(fd_hosts));
		return;
	}
	if (host_lookup(fd_hosts, &key, &got)) {
		fail("hosts: no entry for the %s address",
		     dir == RST_DIR_IN ? "source" : "destination");
		return;
	}
	if (got.first_ns + TICK_SLACK < t0 || got.first_ns > got.last_ns || got.last_ns > t1)
		fail("host first_ns/last_ns %llu/%llu outside the run [%llu, %llu]",
		     (unsigned long long)got.first_ns, (unsigned long long)got.last_ns,
		     (unsigned long long)t0, (unsigned long long)t1);
	VAL_FIELD("host", rst_in, fl & TH_RST ? in : 0);
	VAL_FIELD("host", rst_out, fl & TH_RST ? out : 0);
	VAL_FIELD("host", syn_in, (fl & (TH_SYN | TH_ACK)) == TH_SYN ? in : 0);
	VAL_FIELD("host", syn_out, (fl & (TH_SYN | TH_ACK)) == TH_SYN ? out : 0);
	VAL_FIELD("host", fin_in, fl & TH_FIN ? in : 0);
	VAL_FIELD("host", fin_out, fl & TH_FIN ? out : 0);
}

/* ---- rows ---- */

struct expect {
	__u64 c[RST_C_MAX]; /* besides RST_C_PACKETS, which is one per run */
	__u64 m[RST_M_MAX];
	__u8 ev;      /* one event expected */
	__u8 refused; /* test_run must refuse the frame (-EINVAL) */
};

struct row {
	const char *name;
	struct pkt_spec p;
	__u8 progs;		      /* P_*; 0 means all three */
	const struct rst_config *cfg; /* NULL: sample 1, no rate limit, events on */
	struct expect x;
};

/* n packets of these flags found no flow: exactly that in flow_lost, nothing else. */
static void check_noflow(__u8 fl, __u64 n, const struct totals *t)
{
	__u64 want[RST_FF_MAX] = { 0 };
	int k, c;

	if (fl & TH_FIN)
		want[RST_FF_FIN] = n;
	if (fl & TH_RST)
		want[(fl & TH_ACK) ? RST_FF_RSTACK : RST_FF_RST] = n;
	for (c = 0; c < RST_FL_MAX; c++)
		for (k = 0; k < RST_FF_MAX; k++)
			if (t->flow_lost[c][k] != (c == RST_FL_NOFLOW ? want[k] : 0))
				fail("flow_lost %s %s: expected %llu, got %llu",
				     rst_flow_cause_names[c], rst_flow_flag_names[k],
				     (unsigned long long)(c == RST_FL_NOFLOW ? want[k] : 0),
				     (unsigned long long)t->flow_lost[c][k]);
}

/* One frame, one program, clean state: everything checked. */
static void check_one(int pi, const struct frame *f, const struct expect *x,
		      const struct rst_config *cfg)
{
	__u64 c[RST_C_MAX], m[RST_M_MAX], t0, t1;
	struct totals t;
	int err, tracked;
	__u32 slot;
	size_t n;

	cur_prog = progs[pi].name;
	reset_state(cfg);
	err = run_prog_x(pi, f, &t0, &t1, x->refused);
	if (x->refused && err && err != -EINVAL)
		fail("test_run on %u bytes: expected EINVAL, got %s", f->len, strerror(-err));
	slot = slot_key(lo_ifindex, progs[pi].dir);
	/* Refused: the program never ran, so nothing at all may have moved. */
	memset(c, 0, sizeof(c));
	memset(m, 0, sizeof(m));
	if (!x->refused) {
		memcpy(c, x->c, sizeof(c));
		memcpy(m, x->m, sizeof(m));
		c[RST_C_PACKETS]++;
		exp_owner[slot] = lo_ifindex;
	}
	read_counters(&t, slot, slot);
	check_totals(&t, c, m);

	n = drain_events();
	if (n != (x->refused ? 0 : x->ev))
		fail("events: expected %u, got %zu", x->refused ? 0 : x->ev, n);
	else if (n)
		check_event(&evs[0], f, pi, t0, t1);

	tracked = !x->refused && f->tcp && (x->c[RST_C_TCP4] || x->c[RST_C_TCP6]) &&
		  (f->flags & (TH_SYN | TH_FIN | TH_RST));
	if (tracked) {
		check_host(f, progs[pi].dir, 1, t0, t1);
		/* Only SYN and SYN-ACK make flows; FIN and RST without one are "no flow". */
		if (f->flags & TH_SYN) {
			check_flow(f, 1, t0, t1);
		} else {
			if (map_count(fd_flows))
				fail("flows: expected none, got %d", map_count(fd_flows));
			check_noflow(f->flags, 1, &t);
		}
	} else {
		if (map_count(fd_flows))
			fail("flows: expected none, got %d", map_count(fd_flows));
		if (map_count(fd_hosts))
			fail("hosts: expected none, got %d", map_count(fd_hosts));
	}
	check_conservation();
}

static void run_row(const struct row *r)
{
	static struct frame f;
	int pi;

	build(&f, &r->p);
	for (pi = 0; pi < 3; pi++) {
		if ((r->progs ? r->progs : P_ALL) & (1 << pi))
			check_one(pi, &f, &r->x, r->cfg);
	}
	tap_end("%s", r->name);
}

#define RSTEV	  [RST_C_EV_SENT] = 1
#define X(...)	  .x = { .c = { __VA_ARGS__ } }
#define XE(...)	  .x = { .c = { __VA_ARGS__, RSTEV }, .ev = 1 }
#define MAL(r)	  .x = { .m = { [r] = 1 } }
#define TCP4(...) X([RST_C_TCP4] = 1, ##__VA_ARGS__)
#define TCP6(...) X([RST_C_TCP6] = 1, ##__VA_ARGS__)
#define RST4	  XE([RST_C_TCP4] = 1, [RST_C_RST] = 1)
#define RST6	  XE([RST_C_TCP6] = 1, [RST_C_RST] = 1)
#define RSTACK4	  XE([RST_C_TCP4] = 1, [RST_C_RSTACK] = 1)
#define RSTACK6	  XE([RST_C_TCP6] = 1, [RST_C_RSTACK] = 1)
#define OTHER	  .x = { .c = { 0 } }
#define FRAGMENT  X([RST_C_FRAGMENT] = 1)
#define V6	  .l3 = L3_IP6

/* Every flag kind on every encapsulation: the valid-packet matrix. */
struct kind {
	const char *name;
	__u8 flags;
	__u16 payload;
	__u8 c_syn, c_synack, c_fin, c_rst, c_rstack;
};

static const struct kind kinds[] = {
	{ "SYN", TH_SYN, 0, 1, 0, 0, 0, 0 },
	{ "SYN-ACK", TH_SYN | TH_ACK, 0, 0, 1, 0, 0, 0 },
	{ "FIN", TH_FIN | TH_ACK, 0, 0, 0, 1, 0, 0 },
	{ "RST", TH_RST, 0, 0, 0, 0, 1, 0 },
	{ "RST-ACK", TH_RST | TH_ACK, 0, 0, 0, 0, 0, 1 },
	{ "data", TH_PSH | TH_ACK, 100, 0, 0, 0, 0, 0 },
	{ "ACK", TH_ACK, 0, 0, 0, 0, 0, 0 },
};

struct encap {
	const char *name;
	struct pkt_spec p;
};

static const struct encap encaps[] = {
	{ "ipv4", { .l3 = L3_IP4 } },
	{ "ipv6", { V6 } },
	{ "ipv4 server->client", { .swap = 1 } },
	{ "ipv6 server->client", { V6, .swap = 1 } },
	{ "802.1Q ipv4", { .tpid = { 0x8100 } } },
	{ "802.1Q ipv6", { .tpid = { 0x8100 }, V6 } },
	{ "802.1ad+802.1Q ipv4", { .tpid = { 0x88a8, 0x8100 } } },
	{ "802.1ad+802.1Q ipv6", { .tpid = { 0x88a8, 0x8100 }, V6 } },
	{ "ipv4 IHL 15 + tcp doff 15", { .ip_opt = 40, .tcp_opt = 40 } },
	{ "ipv6 hbh,dst,rtg,frag0,ah,dst", { V6, .ext = { EXT_CHAIN6 }, .tcp_opt = 12 } },
	{ "802.1ad+802.1Q ipv4 IHL 8", { .tpid = { 0x88a8, 0x8100 }, .ip_opt = 12 } },
};

static void run_matrix(void)
{
	size_t e, k;

	for (e = 0; e < sizeof(encaps) / sizeof(encaps[0]); e++) {
		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			const struct kind *kd = &kinds[k];
			struct row r = { .p = encaps[e].p };
			int v6 = r.p.l3 == L3_IP6;
			char name[128];

			r.p.flags = kd->flags;
			r.p.payload = kd->payload;
			r.x.c[v6 ? RST_C_TCP6 : RST_C_TCP4] = 1;
			r.x.c[RST_C_SYN] = kd->c_syn;
			r.x.c[RST_C_SYNACK] = kd->c_synack;
			r.x.c[RST_C_FIN] = kd->c_fin;
			r.x.c[RST_C_RST] = kd->c_rst;
			r.x.c[RST_C_RSTACK] = kd->c_rstack;
			r.x.c[RST_C_EV_SENT] = r.x.ev = kd->c_rst || kd->c_rstack;
			snprintf(name, sizeof(name), "%s %s", encaps[e].name, kd->name);
			r.name = name;
			run_row(&r);
		}
	}
}

static const struct rst_config cfg_sample0 = { .sample = 0 };
static const struct rst_config cfg_off = { .sample = 1, .flags = RST_CFG_EVENTS_OFF };

/* clang-format off */
static const struct row rows[] = {
	/* Flag combinations the matrix does not have. */
	{ "ipv4 SYN+FIN", { .flags = TH_SYN | TH_FIN }, TCP4([RST_C_SYN] = 1, [RST_C_FIN] = 1) },
	{ "ipv4 SYN+RST", { .flags = TH_SYN | TH_RST },
	  XE([RST_C_TCP4] = 1, [RST_C_SYN] = 1, [RST_C_RST] = 1) },
	{ "ipv4 FIN+RST+ACK", { .flags = TH_FIN | TH_RST | TH_ACK },
	  XE([RST_C_TCP4] = 1, [RST_C_FIN] = 1, [RST_C_RSTACK] = 1) },
	{ "ipv6 all eight flags", { V6, .flags = 0xff },
	  XE([RST_C_TCP6] = 1, [RST_C_SYNACK] = 1, [RST_C_FIN] = 1, [RST_C_RSTACK] = 1) },
	{ "ipv4 URG+ECE+CWR+PSH+ACK (fast path)", { .flags = 0xf8, .payload = 1 }, TCP4() },
	{ "ipv4 no flags at all", { .flags = 0 }, TCP4() },

	/* Valid frames at the edges. */
	{ "ipv4 RST carrying 32 payload bytes", { .flags = TH_RST, .payload = 32 }, RST4 },
	{ "ipv4 RST in a 60-byte frame (6 bytes Ethernet padding)", { .flags = TH_RST, .pad = 6 },
	  RST4 },
	{ "ipv6 RST-ACK with 10 bytes Ethernet padding", { V6, .flags = TH_RST | TH_ACK, .pad = 10 },
	  RSTACK6 },
	{ "ipv4 RST, one address, ports decide the flow orientation",
	  { .flags = TH_RST, .same_addr = 1 }, RST4 },
	{ "ipv6 SYN, one address, ports decide the flow orientation",
	  { V6, .flags = TH_SYN, .same_addr = 1 }, TCP6([RST_C_SYN] = 1) },
	{ "ipv4 RST-ACK 1514-byte frame", { .flags = TH_RST | TH_ACK, .payload = 1460 }, RSTACK4 },
	{ "ipv6 RST 3712-byte frame (largest TC test_run takes)",
	  { V6, .flags = TH_RST, .payload = 3712 - 74 }, RST6 },
	{ "ipv4 RST 5000 bytes, XDP multi-buffer", { .flags = TH_RST, .payload = 5000 - 54 },
	  .progs = P_XDP, RST4 },
	/*
	 * The data fast path judges against data_end - data on XDP: a datagram
	 * reaching into frags must go to the parser (which asks the helper),
	 * not be called malformed.
	 */
	{ "ipv4 data 5000 bytes, XDP multi-buffer (past the fast path's length)",
	  { .flags = TH_PSH | TH_ACK, .payload = 5000 - 54 }, .progs = P_XDP, TCP4() },
	{ "ipv6 data 3712-byte frame (fast path)", { V6, .flags = TH_ACK, .payload = 3712 - 74 },
	  TCP6() },
	{ "ipv4 IHL 6 RST", { .flags = TH_RST, .ip_opt = 4 }, RST4 },
	{ "ipv4 IHL 10 RST-ACK", { .flags = TH_RST | TH_ACK, .ip_opt = 20 }, RSTACK4 },
	{ "ipv4 IHL 15 SYN", { .flags = TH_SYN, .ip_opt = 40 }, TCP4([RST_C_SYN] = 1) },
	{ "ipv4 first fragment (MF, offset 0) RST", { .flags = TH_RST, .frag = 0x2000 }, RST4 },
	{ "ipv4 no DF, RST", { .flags = TH_RST, .frag = 0x0000 }, RST4 },
	{ "tcp doff 6 (MSS) SYN", { .flags = TH_SYN, .tcp_opt = 4 }, TCP4([RST_C_SYN] = 1) },
	{ "802.1ad single tag ipv4 RST", { .tpid = { 0x88a8 }, .flags = TH_RST }, RST4 },
	{ "802.1Q+802.1Q ipv6 RST", { .tpid = { 0x8100, 0x8100 }, V6, .flags = TH_RST }, RST6 },

	/* IPv6 extension headers one at a time, and at the walk's bound. */
	{ "ipv6 hop-by-hop (8) RST", { V6, .ext = { HBH(8) }, .flags = TH_RST }, RST6 },
	{ "ipv6 hop-by-hop (2048, largest) RST-ACK", { V6, .ext = { HBH(2048) },
	  .flags = TH_RST | TH_ACK }, RSTACK6 },
	{ "ipv6 routing (24) RST", { V6, .ext = { RTG(24) }, .flags = TH_RST }, RST6 },
	{ "ipv6 first fragment (offset 0, M) RST", { V6, .ext = { FRAG(0x0001) }, .flags = TH_RST },
	  RST6 },
	{ "ipv6 atomic fragment (offset 0, no M) SYN", { V6, .ext = { FRAG(0) }, .flags = TH_SYN },
	  TCP6([RST_C_SYN] = 1) },
	{ "ipv6 destination options (8) RST", { V6, .ext = { DEST(8) }, .flags = TH_RST }, RST6 },
	{ "ipv6 AH (24, 96-bit ICV) RST", { V6, .ext = { AH(24) }, .flags = TH_RST }, RST6 },
	{ "ipv6 AH (12, hdrlen 1) FIN", { V6, .ext = { AH(12) }, .flags = TH_FIN | TH_ACK },
	  TCP6([RST_C_FIN] = 1) },
	{ "ipv6 6 extension headers (RST_IPV6_EXT_MAX) RST", { V6, .ext = { EXT_CHAIN6 },
	  .flags = TH_RST }, RST6 },
	{ "802.1Q ipv6 hbh+frag0 RST", { .tpid = { 0x8100 }, V6, .ext = { HBH(8), FRAG(1) },
	  .flags = TH_RST }, RST6 },

	/*
	 * Headers past the first buffer. XDP test_run of an xdp.frags program
	 * puts the first XDP_LINEAR bytes in the linear buffer (a page less
	 * headroom and shared info) and the rest in frags, which the parser
	 * reads with bpf_xdp_load_bytes(). TC test_run builds a linear skb of
	 * at most TC_FRAME_MAX bytes: TC frags are tests/integration/test_jumbo.sh's.
	 */
	{ "ipv6 RST, TCP at 4150 behind hbh 2048 + dest 2048 (XDP frags)",
	  { V6, .ext = { HBH(2048), DEST(2048) }, .flags = TH_RST }, .progs = P_XDP, RST6 },
	{ "ipv6 RST-ACK doff 8 + 5 bytes, TCP at 8046 behind 4 ext headers (XDP frags)",
	  { V6, .ext = { HBH(2048), DEST(2048), RTG(2048), DEST(1848) }, .flags = TH_RST | TH_ACK,
	  .tcp_opt = 12, .payload = 5 }, .progs = P_XDP, RSTACK6 },
	{ "ipv6 RST, 6 ext headers of 2 KiB (RST_IPV6_EXT_MAX), TCP at 12342 (XDP frags)",
	  { V6, .ext = { HBH(2048), DEST(2048), RTG(2048), DEST(2048), DEST(2048), DEST(2048) },
	  .flags = TH_RST }, .progs = P_XDP, RST6 },
	{ "802.1ad+802.1Q ipv6 SYN, TCP at 4158 (XDP frags)", { .tpid = { 0x88a8, 0x8100 }, V6,
	  .ext = { HBH(2048), DEST(2048) }, .flags = TH_SYN }, .progs = P_XDP,
	  TCP6([RST_C_SYN] = 1) },
	{ "802.1Q ipv6 RST-ACK, TCP at 4154 (XDP frags): VLAN flag and offsets in the event",
	  { .tpid = { 0x8100 }, V6, .ext = { HBH(2048), DEST(2048) }, .flags = TH_RST | TH_ACK },
	  .progs = P_XDP, RSTACK6 },
	{ "ipv6 data behind 4 KiB of ext headers (XDP frags): counted, no flow or host entry",
	  { V6, .ext = { HBH(2048), DEST(2048) }, .flags = TH_PSH | TH_ACK, .payload = 100 },
	  .progs = P_XDP, TCP6() },
	{ "ipv6 RST, TCP header across the first buffer's end (at 3510)",
	  { V6, .ext = { HBH(2048), DEST(1408) }, .flags = TH_RST }, .progs = P_XDP, RST6 },
	{ "ipv6 RST, dest options header across the first buffer's end (at 3518)",
	  { V6, .ext = { HBH(2048), DEST(1416), DEST(8) }, .flags = TH_RST }, .progs = P_XDP,
	  RST6 },
	{ "ipv6 RST, TCP at 4150 + 1000 payload bytes (XDP frags)",
	  { V6, .ext = { HBH(2048), DEST(2048) }, .flags = TH_RST, .payload = 1000 },
	  .progs = P_XDP, RST6 },
	/* Really malformed past the first buffer: the right reason, no event. */
	{ "ipv6 tcp doff 4 at 4150 (XDP frags)", { V6, .ext = { HBH(2048), DEST(2048) },
	  .flags = TH_RST, .poke = { POKE_DOFF(4) } }, .progs = P_XDP, MAL(RST_M_TCP_DOFF) },
	{ "ipv6 tcp doff 15 at 4150 past the datagram (XDP frags)",
	  { V6, .ext = { HBH(2048), DEST(2048) }, .flags = TH_RST, .poke = { POKE_DOFF(15) } },
	  .progs = P_XDP, MAL(RST_M_TCP_OPT_TRUNC) },
	{ "ipv6 third ext header at 4150, hdrlen 255 past the end (XDP frags)",
	  { V6, .ext = { HBH(2048), DEST(2048), DEST(8) }, .flags = TH_RST,
	  .poke = { POKE_EXTLEN(2, 255) } }, .progs = P_XDP, MAL(RST_M_IP6_EXT_TRUNC) },
	{ "ipv6 7 ext headers of 2 KiB (> RST_IPV6_EXT_MAX, XDP frags)",
	  { V6, .ext = { HBH(2048), DEST(2048), RTG(2048), DEST(2048), DEST(2048), DEST(2048),
	  DEST(2048) }, .flags = TH_RST }, .progs = P_XDP, MAL(RST_M_IP6_EXT_DEPTH) },
	{ "ipv6 non-first fragment header at 4150 (XDP frags)",
	  { V6, .ext = { HBH(2048), DEST(2048), FRAG(185 << 3) }, .flags = TH_RST },
	  .progs = P_XDP, FRAGMENT },
	{ "ipv6 UDP behind 4 KiB of ext headers (XDP frags)", { V6, .proto = IPPROTO_UDP,
	  .ext = { HBH(2048), DEST(2048) }, .payload = 20 }, .progs = P_XDP, OTHER },

	/* Settings a single packet can show. */
	{ "sample 0 means every RST", { .flags = TH_RST }, .cfg = &cfg_sample0, RST4 },
	{ "events off: RST counted, filtered", { .flags = TH_RST }, .cfg = &cfg_off,
	  X([RST_C_TCP4] = 1, [RST_C_RST] = 1, [RST_C_EV_FILTERED] = 1) },
	{ "events off: SYN unaffected", { .flags = TH_SYN }, .cfg = &cfg_off,
	  TCP4([RST_C_SYN] = 1) },

	/* IPv4 header fields out of range. */
	{ "ipv4 IHL 0", { .flags = TH_RST, .poke = { POKE_IHL(0) } }, MAL(RST_M_IP4_IHL) },
	{ "ipv4 IHL 1", { .flags = TH_RST, .poke = { POKE_IHL(1) } }, MAL(RST_M_IP4_IHL) },
	{ "ipv4 IHL 2", { .flags = TH_RST, .poke = { POKE_IHL(2) } }, MAL(RST_M_IP4_IHL) },
	{ "ipv4 IHL 3", { .flags = TH_RST, .poke = { POKE_IHL(3) } }, MAL(RST_M_IP4_IHL) },
	{ "ipv4 IHL 4", { .flags = TH_RST, .poke = { POKE_IHL(4) } }, MAL(RST_M_IP4_IHL) },
	{ "ipv4 IHL 15, no room for options", { .flags = TH_RST, .poke = { POKE_IHL(15) } },
	  MAL(RST_M_IP4_OPT_TRUNC) },
	{ "ipv4 ethertype, version 6", { .flags = TH_RST, .poke = { POKE_VER(6, 5) } },
	  MAL(RST_M_IP4_VERSION) },
	{ "ipv4 ethertype, version 0", { .flags = TH_RST, .poke = { POKE_VER(0, 5) } },
	  MAL(RST_M_IP4_VERSION) },
	{ "ipv4 total length 0", { .flags = TH_RST, .poke = { POKE_TOTLEN(0) } },
	  MAL(RST_M_IP4_TOTLEN) },
	{ "ipv4 total length 19 (< IHL*4)", { .flags = TH_RST, .poke = { POKE_TOTLEN(19) } },
	  MAL(RST_M_IP4_TOTLEN) },
	{ "ipv4 IHL 15, total length 59 (< IHL*4)", { .flags = TH_RST, .ip_opt = 40,
	  .poke = { POKE_TOTLEN(59) } }, MAL(RST_M_IP4_TOTLEN) },
	{ "ipv4 total length 20 (no TCP header)", { .flags = TH_RST, .poke = { POKE_TOTLEN(20) } },
	  MAL(RST_M_TCP_TRUNC) },
	{ "ipv4 total length 39 (TCP header cut)", { .flags = TH_RST,
	  .poke = { POKE_TOTLEN(39) } }, MAL(RST_M_TCP_TRUNC) },
	{ "ipv4 total length 42 (TCP options cut)", { .flags = TH_RST, .tcp_opt = 4,
	  .poke = { POKE_TOTLEN(42) } }, MAL(RST_M_TCP_OPT_TRUNC) },
	{ "ipv4 total length one past the frame", { .flags = TH_RST,
	  .poke = { POKE_TOTLEN_ADD(1) } }, MAL(RST_M_IP4_TOTLEN) },
	{ "ipv4 total length 65535", { .flags = TH_RST, .poke = { POKE_TOTLEN(65535) } },
	  MAL(RST_M_IP4_TOTLEN) },

	/* TCP data offset out of range. */
	{ "ipv4 tcp doff 0", { .flags = TH_RST, .poke = { POKE_DOFF(0) } }, MAL(RST_M_TCP_DOFF) },
	{ "ipv4 tcp doff 1", { .flags = TH_RST, .poke = { POKE_DOFF(1) } }, MAL(RST_M_TCP_DOFF) },
	{ "ipv4 tcp doff 2", { .flags = TH_RST, .poke = { POKE_DOFF(2) } }, MAL(RST_M_TCP_DOFF) },
	{ "ipv4 tcp doff 3", { .flags = TH_RST, .poke = { POKE_DOFF(3) } }, MAL(RST_M_TCP_DOFF) },
	{ "ipv4 tcp doff 4", { .flags = TH_RST, .poke = { POKE_DOFF(4) } }, MAL(RST_M_TCP_DOFF) },
	{ "ipv6 tcp doff 0", { V6, .flags = TH_RST, .poke = { POKE_DOFF(0) } }, MAL(RST_M_TCP_DOFF) },
	{ "ipv6 tcp doff 1", { V6, .flags = TH_RST, .poke = { POKE_DOFF(1) } }, MAL(RST_M_TCP_DOFF) },
	{ "ipv6 tcp doff 2", { V6, .flags = TH_RST, .poke = { POKE_DOFF(2) } }, MAL(RST_M_TCP_DOFF) },
	{ "ipv6 tcp doff 3", { V6, .flags = TH_RST, .poke = { POKE_DOFF(3) } }, MAL(RST_M_TCP_DOFF) },
	{ "ipv6 tcp doff 4", { V6, .flags = TH_RST, .poke = { POKE_DOFF(4) } }, MAL(RST_M_TCP_DOFF) },
	{ "ipv4 tcp doff 15 past the datagram", { .flags = TH_RST, .poke = { POKE_DOFF(15) } },
	  MAL(RST_M_TCP_OPT_TRUNC) },
	{ "ipv4 tcp doff 6, 2 payload bytes", { .flags = TH_RST, .payload = 2,
	  .poke = { POKE_DOFF(6) } }, MAL(RST_M_TCP_OPT_TRUNC) },
	{ "ipv4 tcp doff 6 past the datagram, into Ethernet padding", { .flags = TH_RST, .pad = 6,
	  .poke = { POKE_DOFF(6) } }, MAL(RST_M_TCP_OPT_TRUNC) },
	{ "ipv6 tcp doff 15 past the datagram", { V6, .flags = TH_RST, .ext = { HBH(8) },
	  .poke = { POKE_DOFF(15) } }, MAL(RST_M_TCP_OPT_TRUNC) },

	/* IPv6 lengths. */
	{ "ipv6 ethertype, version 4", { V6, .flags = TH_RST, .poke = { POKE_VER(4, 0) } },
	  MAL(RST_M_IP6_VERSION) },
	{ "ipv6 payload length one past the frame", { V6, .flags = TH_RST,
	  .poke = { POKE_PAYLEN_ADD(1) } }, MAL(RST_M_IP6_PAYLEN) },
	{ "ipv6 payload length 65535", { V6, .flags = TH_RST, .poke = { POKE_PAYLEN(65535) } },
	  MAL(RST_M_IP6_PAYLEN) },
	{ "ipv6 payload length 0, TCP next", { V6, .flags = TH_RST, .poke = { POKE_PAYLEN(0) } },
	  MAL(RST_M_TCP_TRUNC) },
	{ "ipv6 payload length 0 + hop-by-hop (jumbogram)", { V6, .flags = TH_RST,
	  .ext = { HBH(8) }, .poke = { POKE_PAYLEN(0) } }, MAL(RST_M_IP6_EXT_TRUNC) },
	{ "ipv6 payload length ends inside hop-by-hop", { V6, .flags = TH_RST, .ext = { HBH(8) },
	  .poke = { POKE_PAYLEN(2) } }, MAL(RST_M_IP6_EXT_TRUNC) },
	{ "ipv6 payload length ends inside routing header", { V6, .flags = TH_RST,
	  .ext = { RTG(24) }, .poke = { POKE_PAYLEN(16) } }, MAL(RST_M_IP6_EXT_TRUNC) },
	{ "ipv6 hop-by-hop hdrlen 255 past the end", { V6, .flags = TH_RST, .ext = { HBH(8) },
	  .poke = { POKE_EXTLEN(0, 255) } }, MAL(RST_M_IP6_EXT_TRUNC) },
	{ "ipv6 AH hdrlen 255 past the end", { V6, .flags = TH_RST, .ext = { HBH(8), AH(24) },
	  .poke = { POKE_EXTLEN(1, 255) } }, MAL(RST_M_IP6_EXT_TRUNC) },
	{ "ipv6 last dest options longer than what remains", { V6, .flags = TH_RST,
	  .ext = { EXT_CHAIN6 }, .poke = { POKE_EXTLEN(5, 3) } }, MAL(RST_M_IP6_EXT_TRUNC) },
	{ "ipv6 7 extension headers (> RST_IPV6_EXT_MAX)", { V6, .flags = TH_RST,
	  .ext = { EXT_CHAIN6, DEST(8) } }, MAL(RST_M_IP6_EXT_DEPTH) },
	{ "ipv6 9 extension headers", { V6, .flags = TH_RST,
	  .ext = { EXT_CHAIN6, DEST(8), DEST(8), DEST(8) } }, MAL(RST_M_IP6_EXT_DEPTH) },

	/* Non-first fragments: counted, never parsed. */
	{ "ipv4 non-first fragment (offset 185) of TCP", { .flags = TH_RST, .frag = 185 },
	  FRAGMENT },
	{ "ipv4 middle fragment (MF, offset 1) of TCP", { .flags = TH_RST, .frag = 0x2001 },
	  FRAGMENT },
	{ "ipv4 non-first fragment of UDP", { .proto = IPPROTO_UDP, .frag = 0x2010 }, FRAGMENT },
	{ "802.1Q ipv4 non-first fragment", { .tpid = { 0x8100 }, .flags = TH_RST, .frag = 7 },
	  FRAGMENT },
	{ "ipv6 non-first fragment (offset 185)", { V6, .flags = TH_RST,
	  .ext = { FRAG(185 << 3) } }, FRAGMENT },
	{ "ipv6 middle fragment (offset 1, M)", { V6, .flags = TH_RST, .ext = { FRAG(8 | 1) } },
	  FRAGMENT },
	{ "ipv6 hop-by-hop + non-first fragment", { V6, .flags = TH_RST,
	  .ext = { HBH(8), FRAG(64 << 3) } }, FRAGMENT },

	/* Not TCP: passed, only the packet counted. */
	{ "ipv4 UDP", { .proto = IPPROTO_UDP, .payload = 20 }, OTHER },
	{ "ipv4 ICMP", { .proto = IPPROTO_ICMP, .payload = 20 }, OTHER },
	{ "ipv6 UDP", { V6, .proto = IPPROTO_UDP, .payload = 20 }, OTHER },
	{ "ipv6 ICMPv6", { V6, .proto = IPPROTO_ICMPV6 }, OTHER },
	{ "ipv6 hop-by-hop + UDP", { V6, .proto = IPPROTO_UDP, .ext = { HBH(8) } }, OTHER },
	{ "ipv6 no next header", { V6, .proto = IPPROTO_NONE }, OTHER },
	{ "ipv6 ESP", { V6, .proto = IPPROTO_ESP, .payload = 40 }, OTHER },
	{ "ipv6 6 extension headers + UDP", { V6, .proto = IPPROTO_UDP, .ext = { EXT_CHAIN6 } },
	  OTHER },
	{ "ARP", { .l3 = L3_ARP, .pad = 18 }, OTHER },
	{ "802.1Q ARP", { .l3 = L3_ARP, .tpid = { 0x8100 } }, OTHER },
	{ "LLDP ethertype", { .ethertype = 0x88cc, .flags = TH_RST }, OTHER },
	{ "three VLAN tags (a third tag is not IP to us)", { .tpid = { 0x88a8, 0x8100, 0x8100 },
	  .flags = TH_RST }, OTHER },
	{ "802.3 length field instead of an ethertype", { .ethertype = 0x0040, .flags = TH_RST },
	  OTHER },
};
/* clang-format on */

/* ---- truncation ---- */

struct trunc_base {
	const char *name;
	struct pkt_spec p;
};

static const struct trunc_base trunc_bases[] = {
	{ "ipv4 RST", { .flags = TH_RST } },
	{ "ipv4 IHL 7 doff 8 RST-ACK + 10 bytes",
	  { .flags = TH_RST | TH_ACK, .ip_opt = 8, .tcp_opt = 12, .payload = 10 } },
	{ "ipv6 hbh,dst,rtg,frag0,ah RST-ACK doff 8 + 5 bytes",
	  { V6, .ext = { EXT_CHAIN }, .flags = TH_RST | TH_ACK, .tcp_opt = 12, .payload = 5 } },
	{ "802.1ad+802.1Q ipv4 RST", { .tpid = { 0x88a8, 0x8100 }, .flags = TH_RST } },
};

/* The expectation for a frame that parses to reason (see cut_reason). */
static void expect_reason(struct expect *x, const struct frame *f, int reason)
{
	memset(x, 0, sizeof(*x));
	if (reason != TR_VALID) {
		x->m[reason] = 1;
	} else {
		x->c[f->family == AF_INET ? RST_C_TCP4 : RST_C_TCP6] = 1;
		x->c[f->flags & TH_ACK ? RST_C_RSTACK : RST_C_RST] = 1;
		x->c[RST_C_EV_SENT] = 1;
		x->ev = 1;
	}
}

static const char *reason_name(int r)
{
	return r == TR_VALID ? "valid" : m_name[r];
}

/*
 * Every length short of the whole frame, twice: as cut (the IP length still
 * claims the whole datagram) and with the IP length rewritten to the cut.
 */
static void run_truncations(void)
{
	static struct frame base, f;
	struct expect x;
	size_t bi;
	__u32 len;
	int fix, pi, r[2];

	for (bi = 0; bi < sizeof(trunc_bases) / sizeof(trunc_bases[0]); bi++) {
		build(&base, &trunc_bases[bi].p);
		if (base.len != base.ip_end || !base.tcp) {
			/* cut_reason knows TCP frames without a trailer only. */
			fail("truncation base %s: not a TCP frame without padding",
			     trunc_bases[bi].name);
			tap_end("%s: usable as a truncation base", trunc_bases[bi].name);
			continue;
		}
		for (len = 0; len < base.len; len++) {
			int refused = 0;

			for (fix = 0; fix < 2; fix++) {
				r[fix] = cut_reason(&base, len, fix);
				cut_frame(&f, &base, len, fix);
				expect_reason(&x, &f, r[fix]);
				for (pi = 0; pi < 3; pi++) {
					x.refused = test_run_refuses(pi, &f);
					refused += x.refused;
					check_one(pi, &f, &x, NULL);
				}
			}
			tap_end("%s cut to %u/%u: %s, length fixed: %s%s", trunc_bases[bi].name,
				len, base.len, reason_name(r[0]), reason_name(r[1]),
				refused == 6 ? " (test_run refuses it)"
				: refused    ? " (TC test_run refuses it)"
					     : "");
		}
	}
}

/*
 * The same around and past the end of XDP's first buffer: frames whose
 * headers the parser must read from frags. Every cut from just before
 * XDP_LINEAR to just past it, one every 64 bytes through the long
 * extension headers, every cut around the start of the last one, and every
 * cut from just before the TCP header on.
 */
static const struct trunc_base frag_bases[] = {
	{ "ipv6 hbh 2048,dst 2048,dst 8 RST-ACK doff 8 + 5 bytes",
	  { V6, .ext = { HBH(2048), DEST(2048), DEST(8) }, .flags = TH_RST | TH_ACK, .tcp_opt = 12,
	    .payload = 5 } },
	{ "ipv6 hbh 2048,dst 2048,rtg 2048,dst 1848 RST",
	  { V6, .ext = { HBH(2048), DEST(2048), RTG(2048), DEST(1848) }, .flags = TH_RST } },
};

static int frag_cut_wanted(const struct frame *f, __u32 len)
{
	__u32 last = f->ext_off[f->n_ext - 1];

	return (len >= XDP_LINEAR - 24 && len <= XDP_LINEAR + 8) || len % 64 == 0 ||
	       (len + 4 >= last && len < last + 8) || len + 4 >= f->l4_off;
}

static void run_frag_truncations(void)
{
	static struct frame base, f;
	struct expect x;
	size_t bi;
	__u32 len;
	int fix, pi, r[2];

	for (bi = 0; bi < sizeof(frag_bases) / sizeof(frag_bases[0]); bi++) {
		build(&base, &frag_bases[bi].p);
		for (len = XDP_LINEAR - 24; len < base.len; len++) {
			int refused = 0;

			if (!frag_cut_wanted(&base, len))
				continue;
			for (fix = 0; fix < 2; fix++) {
				r[fix] = cut_reason(&base, len, fix);
				cut_frame(&f, &base, len, fix);
				expect_reason(&x, &f, r[fix]);
				for (pi = 0; pi < 3; pi++) {
					x.refused = test_run_refuses(pi, &f);
					refused += x.refused;
					check_one(pi, &f, &x, NULL);
				}
			}
			tap_end("%s cut to %u/%u: %s, length fixed: %s%s", frag_bases[bi].name, len,
				base.len, reason_name(r[0]), reason_name(r[1]),
				refused ? " (TC test_run refuses it)" : "");
		}
	}
}

/* ---- scenarios: several runs against one state ---- */

/* Set the TCP sequence number of a built frame (its checksum goes stale). */
static void set_seq(struct frame *f, __u32 seq)
{
	f->seq = seq;
	pkt_put32(f->b + f->l4_off + 4, seq);
}

/* Run f n times on program pi with sequence numbers seq, seq + 1, ... */
static void run_n(int pi, struct frame *f, __u32 seq, __u32 n)
{
	__u32 i;

	for (i = 0; i < n; i++) {
		set_seq(f, seq + i);
		run_prog(pi, f, NULL, NULL);
	}
}

/* The counters an all-RST (IPv4, no ACK) scenario must end with, in one slot. */
static void expect_rsts(__u32 slot, __u64 rst, __u64 sent, __u64 sampled, __u64 ratelim,
			__u64 ringfull, __u64 filtered)
{
	__u64 c[RST_C_MAX] = { 0 }, m[RST_M_MAX] = { 0 };
	struct totals t;

	c[RST_C_PACKETS] = rst;
	c[RST_C_TCP4] = rst;
	c[RST_C_RST] = rst;
	c[RST_C_EV_SENT] = sent;
	c[RST_C_EV_SAMPLED] = sampled;
	c[RST_C_EV_RATELIM] = ratelim;
	c[RST_C_EV_RINGFULL] = ringfull;
	c[RST_C_EV_FILTERED] = filtered;
	exp_owner[slot] = lo_ifindex;
	read_counters(&t, slot, slot);
	check_totals(&t, c, m);
}

/* The events in the ring must be exactly these TCP sequence numbers, in order. */
static void expect_seqs(const __u32 *want, size_t n)
{
	size_t got = drain_events(), i;

	if (got != n) {
		fail("events: expected %zu, got %zu", n, got);
		return;
	}
	for (i = 0; i < n; i++) {
		if (ev_seqs[i] != want[i])
			fail("event %zu: expected seq %u, got %u", i, want[i], ev_seqs[i]);
	}
}

static const struct pkt_spec spec_rst = { .flags = TH_RST };

static void scen_sampling(void)
{
	const struct rst_config cfg = { .sample = 3 };
	const struct pkt_spec ss = { .flags = TH_SYN };
	const __u32 want[] = { 1000, 1003, 1006 };
	static struct frame f, syn;
	__u32 slot, i;
	__u64 t0, t1;
	struct totals t;
	int pi;

	build(&f, &spec_rst);
	for (pi = 0; pi < 3; pi++) {
		cur_prog = progs[pi].name;
		slot = slot_key(lo_ifindex, progs[pi].dir);
		reset_state(&cfg);
		t0 = now_ns();
		run_n(pi, &f, 1000, 9);
		t1 = now_ns();
		expect_rsts(slot, 9, 3, 6, 0, 0, 0);
		expect_seqs(want, 3);
		/* RSTs make no flow: all nine are "no flow", the host has them. */
		if (map_count(fd_flows))
			fail("flows: expected none, got %d", map_count(fd_flows));
		read_counters(&t, slot, slot);
		check_noflow(TH_RST, 9, &t);
		check_conservation();
		check_host(&f, progs[pi].dir, 9, t0, t1);
	}
	tap_end("sample 1/3: 9 RSTs -> events for RSTs 0, 3, 6; 6 sampled out");

	/* SYNs in between do not move the RST sequence. */
	build(&syn, &ss);
	for (pi = 0; pi < 3; pi++) {
		__u64 c[RST_C_MAX] = { 0 }, m[RST_M_MAX] = { 0 };

		cur_prog = progs[pi].name;
		slot = slot_key(lo_ifindex, progs[pi].dir);
		reset_state(&cfg);
		for (i = 0; i < 9; i++) {
			run_prog(pi, &syn, NULL, NULL);
			run_n(pi, &f, 1000 + i, 1);
		}
		c[RST_C_PACKETS] = c[RST_C_TCP4] = 18;
		c[RST_C_SYN] = c[RST_C_RST] = 9;
		c[RST_C_EV_SENT] = 3;
		c[RST_C_EV_SAMPLED] = 6;
		exp_owner[slot] = lo_ifindex;
		read_counters(&t, slot, slot);
		check_totals(&t, c, m);
		expect_seqs(want, 3);
	}
	tap_end("sample 1/3: SYNs between the RSTs do not shift the sampling");

	for (pi = 0; pi < 2; pi++) {
		const struct rst_config all = { .sample = pi };
		const __u32 w[] = { 7, 8, 9, 10, 11 };

		cur_prog = pi ? "sample 1" : "sample 0";
		reset_state(&all);
		run_n(0, &f, 7, 5);
		expect_rsts(slot_key(lo_ifindex, RST_DIR_IN), 5, 5, 0, 0, 0, 0);
		expect_seqs(w, 5);
	}
	tap_end("sample 0 and sample 1: every RST becomes an event");
}

/* Each direction's slot has its own RST sequence, so sampling is per slot. */
static void scen_sampling_dirs(void)
{
	const struct rst_config cfg = { .sample = 2 };
	const __u32 want[] = { 500, 600, 502, 602 };
	__u32 in = slot_key(lo_ifindex, RST_DIR_IN), out = slot_key(lo_ifindex, RST_DIR_OUT);
	__u64 c[RST_C_MAX] = { 0 }, m[RST_M_MAX] = { 0 };
	static struct frame f;
	struct totals t;
	__u32 i;

	build(&f, &spec_rst);
	cur_prog = "xdp+tc-out";
	reset_state(&cfg);
	for (i = 0; i < 4; i++) {
		run_n(0, &f, 500 + i, 1);
		run_n(2, &f, 600 + i, 1);
	}
	exp_owner[in] = exp_owner[out] = lo_ifindex;
	c[RST_C_PACKETS] = c[RST_C_TCP4] = c[RST_C_RST] = 4;
	c[RST_C_EV_SENT] = c[RST_C_EV_SAMPLED] = 2;
	read_slot(in, &t);
	check_totals(&t, c, m);
	read_slot(out, &t);
	check_totals(&t, c, m);
	read_counters(&t, in, out);
	expect_seqs(want, 4);
	tap_end("sample 1/2, RSTs alternating in and out: each direction samples on its own");
}

/* With events off the RST sequence still runs: sampling picks up where it is. */
static void scen_events_off(void)
{
	const struct rst_config off = { .sample = 3, .flags = RST_CFG_EVENTS_OFF };
	const struct rst_config on = { .sample = 3 };
	const __u32 want[] = { 6 };
	static struct frame f;
	__u32 slot;
	int pi;

	build(&f, &spec_rst);
	for (pi = 0; pi < 3; pi++) {
		cur_prog = progs[pi].name;
		slot = slot_key(lo_ifindex, progs[pi].dir);
		reset_state(&off);
		run_n(pi, &f, 0, 6);
		expect_rsts(slot, 6, 0, 0, 0, 0, 6);
		expect_seqs(NULL, 0);
		set_config(&on);
		run_n(pi, &f, 6, 3);
		expect_rsts(slot, 9, 1, 2, 0, 0, 6);
		expect_seqs(want, 1);
	}
	tap_end("events off, sample 1/3: 6 RSTs filtered; on again: RST 6 sent, 7 and 8 sampled");
}

/* A source's bucket: a theoretical arrival time n intervals after its first RST. */
/* The raw line of f's peer on the CPU the test runs on. */
static int host_line_of(const struct frame *f, __u8 dir, struct rst_host_line *out)
{
	static struct rst_host_set *sets;
	const __u8 *a = dir == RST_DIR_IN ? f->saddr : f->daddr;
	__u32 w[4], idx;
	int cpu = sched_getcpu(), i;

	if (!sets)
		sets = calloc(ncpu, sizeof(*sets));
	memcpy(w, a, 16);
	idx = rst_host_hash(w, f->family, t_seed) & (T_HOST_SETS - 1);
	if (!sets || cpu < 0 || bpf_map_lookup_elem(fd_hosts, &idx, sets))
		return -1;
	for (i = 0; i < RST_HOST_WAYS; i++) {
		const struct rst_host_line *l = &sets[cpu].way[i];

		if (l->family == f->family && !memcmp(l->addr, a, 16)) {
			*out = *l;
			return 0;
		}
	}
	return -1;
}

static void check_bucket(const struct frame *f, __u8 dir, __u64 first0, __u64 first1, __u64 n,
			 __u64 interval)
{
	struct rst_host_line hl;
	struct {
		__u64 tat_ns;
	} b;

	if (host_line_of(f, dir, &hl)) {
		fail("hosts: no line for the peer .%u", f->saddr[3]);
		return;
	}
	b.tat_ns = hl.tat_ns;
	/* The bucket runs on the coarse clock: up to a jiffy (10 ms) behind. */
	if (b.tat_ns + 10000000ULL < first0 + n * interval || b.tat_ns > first1 + n * interval)
		fail("bucket of .%u: tat %llu, expected first RST + %llu ns in [%llu, %llu]",
		     f->saddr[3], (unsigned long long)b.tat_ns, (unsigned long long)(n * interval),
		     (unsigned long long)(first0 + n * interval),
		     (unsigned long long)(first1 + n * interval));
}

/*
 * rate_limit 5/s, burst defaulting to the rate: within the 200 ms before a
 * token comes back, one source gets exactly 5 events out of 20 RSTs; a
 * second source has its own bucket.
 */
static void scen_ratelimit(void)
{
	const struct rst_config cfg = { .sample = 1, .rate_limit = 5 };
	const struct pkt_spec sa = { .flags = TH_RST }, sb = { .flags = TH_RST, .src_idx = 1 };
	/* Out, the peer is the destination: the client, sent to by the server. */
	const struct pkt_spec oa = { .flags = TH_RST, .swap = 1 };
	const struct pkt_spec ob = { .flags = TH_RST, .swap = 1, .src_idx = 1 };
	const __u32 want[] = { 2000, 2001, 2002, 2003, 2004, 3000, 3001, 3002 };
	const __u64 interval = 1000000000ULL / 5;
	static struct frame a, b;
	__u64 a0, a1, b0, b1;
	__u32 slot;
	int pi;

	for (pi = 0; pi < 3; pi++) {
		build(&a, progs[pi].dir == RST_DIR_OUT ? &oa : &sa);
		build(&b, progs[pi].dir == RST_DIR_OUT ? &ob : &sb);
		cur_prog = progs[pi].name;
		slot = slot_key(lo_ifindex, progs[pi].dir);
		reset_state(&cfg);
		set_seq(&a, 2000);
		run_prog(pi, &a, &a0, &a1);
		run_n(pi, &a, 2001, 19);
		set_seq(&b, 3000);
		run_prog(pi, &b, &b0, &b1);
		run_n(pi, &b, 3001, 2);
		if (now_ns() - a0 >= interval)
			fail("took over 200 ms: the bucket refilled, counts are not exact");
		expect_rsts(slot, 23, 8, 0, 15, 0, 0);
		expect_seqs(want, 8);
		if (map_count(fd_hosts) != 2)
			fail("hosts: expected 2 entries, got %d", map_count(fd_hosts));
		check_bucket(&a, progs[pi].dir, a0, a1, 5, interval);
		check_bucket(&b, progs[pi].dir, b0, b1, 3, interval);
		check_conservation();
	}
	tap_end("rate limit 5/s: 20 RSTs from one source -> 5 events, 15 rate-limited; "
		"a second source gets its 3");
}

static void scen_burst(void)
{
	static const struct {
		struct rst_config cfg;
		__u32 sent;
	} cases[] = {
		{ { .sample = 1, .rate_limit = 5, .burst = 2 }, 2 },
		{ { .sample = 1, .rate_limit = 1, .burst = 1 }, 1 },
		{ { .sample = 1, .rate_limit = 50, .burst = 7 }, 7 },
	};
	const __u32 want[] = { 0, 1, 2, 3, 4, 5, 6 };
	static struct frame f;
	size_t i;
	__u64 t0;

	build(&f, &spec_rst);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rst_config *c = &cases[i].cfg;
		__u64 interval = 1000000000ULL / c->rate_limit;

		cur_prog = "xdp";
		reset_state(c);
		t0 = now_ns();
		run_n(0, &f, 0, 20);
		if (now_ns() - t0 >= interval) {
			/* A token came back during the runs: the count is not exact. */
			fail("rate %u burst %u: 20 runs took over one interval (%llu ns)",
			     c->rate_limit, c->burst, (unsigned long long)interval);
			continue;
		}
		expect_rsts(slot_key(lo_ifindex, RST_DIR_IN), 20, cases[i].sent, 0,
			    20 - cases[i].sent, 0, 0);
		expect_seqs(want, cases[i].sent);
	}
	tap_end("rate limit bursts: 5/s burst 2 -> 2, 1/s burst 1 -> 1, 50/s burst 7 -> 7 of 20");
}

/* A token comes back one interval after the first event. */
static void scen_refill(void)
{
	const struct rst_config cfg = { .sample = 1, .rate_limit = 5 };
	const __u64 interval = 1000000000ULL / 5;
	const __u32 want[] = { 0, 1, 2, 3, 4, 7 };
	static struct frame f;
	struct timespec ts = { 0, 1000000 };
	__u64 t0, t1, t;

	build(&f, &spec_rst);
	cur_prog = "xdp";
	reset_state(&cfg);
	set_seq(&f, 0);
	run_prog(0, &f, &t0, &t1);
	run_n(0, &f, 1, 5);
	t = now_ns();
	if (t - t0 >= interval)
		fail("6 runs took over 200 ms");
	/* + a jiffy or two: the bucket reads the coarse clock. */
	while (now_ns() < t1 + interval + 25000000)
		nanosleep(&ts, NULL);
	run_n(0, &f, 7, 1); /* refilled: sent */
	run_n(0, &f, 8, 1); /* bucket empty again */
	if (now_ns() - t1 >= 2 * interval)
		fail("the refill check took over 200 ms");
	expect_rsts(slot_key(lo_ifindex, RST_DIR_IN), 8, 6, 0, 2, 0, 0);
	expect_seqs(want, 6);
	tap_end("rate limit 5/s: after 200 ms one more event, then limited again");
}

/* Sampling first, then the bucket: only sampled-in RSTs take tokens. */
static void scen_sample_and_rate(void)
{
	const struct rst_config cfg = { .sample = 2, .rate_limit = 2 };
	const __u32 want[] = { 0, 2 };
	static struct frame f;

	build(&f, &spec_rst);
	cur_prog = "tc-in";
	reset_state(&cfg);
	run_n(1, &f, 0, 10);
	expect_rsts(slot_key(lo_ifindex, RST_DIR_IN), 10, 2, 5, 3, 0, 0);
	expect_seqs(want, 2);
	tap_end("sample 1/2 + rate limit 2/s: 10 RSTs -> 5 sampled out, 2 sent, 3 rate-limited");
}

/*
 * Fill the ring without consuming: the first cap RSTs are sent, the rest
 * counted as ring full; once drained, there is room again.
 */
static void scen_ringfull(void)
{
	static struct frame f;
	__u32 slot, i, rec, cap, extra = 25;
	size_t n;
	int pi;

	build(&f, &spec_rst);
	/* A record: the 8-byte ringbuf header plus the sized event, 8-aligned. */
	rec = 8 + ((RST_EVENT_SIZE_FOR(f.len < snaplen ? f.len : snaplen) + 7) & ~7U);
	cap = ring_size / rec;
	for (pi = 0; pi < 3; pi++) {
		cur_prog = progs[pi].name;
		slot = slot_key(lo_ifindex, progs[pi].dir);
		reset_state(NULL);
		run_n(pi, &f, 0, cap + extra);
		expect_rsts(slot, cap + extra, cap, 0, 0, extra, 0);
		n = drain_events();
		if (n != cap)
			fail("events: expected %u (ring of %u bytes, %u per record), got %zu", cap,
			     ring_size, rec, n);
		for (i = 0; i < n && i < ev_seq_cap; i++) {
			if (ev_seqs[i] != i) {
				fail("event %u: expected seq %u, got %u", i, i, ev_seqs[i]);
				break;
			}
		}
		run_n(pi, &f, cap + extra, 1);
		expect_rsts(slot, cap + extra + 1, cap + 1, 0, 0, extra, 0);
		n = drain_events();
		if (n != 1 || evs[0].seq != cap + extra)
			fail("after draining: expected one event (seq %u), got %zu", cap + extra,
			     n);
	}
	tap_end("ring full: %u RSTs, room for %u -> %u sent, %u ring-full; drained, room again",
		cap + extra, cap, cap, extra);
}

/*
 * A slot owned by another interface: counts go to the shared overflow
 * slot, the owner's counters stay untouched. Seeded by hand, since
 * test_run only knows the loopback device.
 */
static void scen_slot_overflow(void)
{
	const __u32 other = lo_ifindex + RST_IF_SLOTS;
	static struct frame f;
	struct expect x;
	__u64 t0, t1;
	__u32 own, ovf;
	struct totals t;
	int pi, cpu;

	build(&f, &spec_rst);
	expect_reason(&x, &f, TR_VALID);
	x.c[RST_C_PACKETS] = 1;
	for (pi = 0; pi < 3; pi++) {
		cur_prog = progs[pi].name;
		own = slot_key(lo_ifindex, progs[pi].dir);
		ovf = RST_IF_SLOTS * 2 + progs[pi].dir;
		reset_state(NULL);
		memset(pcpu, 0, ncpu * sizeof(*pcpu));
		for (cpu = 0; cpu < ncpu; cpu++)
			pcpu[cpu].ifindex = other;
		if (bpf_map_update_elem(fd_counters, &own, pcpu, BPF_ANY))
			fail("seeding slot %u: %s", own, strerror(errno));
		exp_owner[own] = other;
		run_prog(pi, &f, &t0, &t1);
		read_counters(&t, ovf, ovf);
		check_totals(&t, x.c, x.m);
		if (drain_events() != 1)
			fail("events: expected 1, got %zu", n_ev);
		else
			check_event(&evs[0], &f, pi, t0, t1);
	}
	tap_end("slot owned by ifindex %u: counted in the overflow slot, event still sent", other);
}

/* Both directions of a connection share one flow entry; the host is the peer. */
static void scen_conversation(void)
{
	const struct pkt_spec s_syn = { .flags = TH_SYN };
	const struct pkt_spec s_synack = { .flags = TH_SYN | TH_ACK, .swap = 1 };
	const struct pkt_spec s_ack = { .flags = TH_ACK };
	const struct pkt_spec s_rst = { .flags = TH_RST, .swap = 1, .seq = 4242 };
	__u32 in = slot_key(lo_ifindex, RST_DIR_IN), out = slot_key(lo_ifindex, RST_DIR_OUT);
	__u64 c[RST_C_MAX] = { 0 }, m[RST_M_MAX] = { 0 }, t0, t1, r0, r1;
	static struct frame syn, synack, ack, rst;
	struct rst_flow_key key;
	struct rst_flow_val fv;
	struct rst_host_key hk;
	struct rst_host_val hv;
	struct totals t;

	build(&syn, &s_syn);
	build(&synack, &s_synack);
	build(&ack, &s_ack);
	build(&rst, &s_rst);
	cur_prog = "xdp+tc-out";
	reset_state(NULL);
	run_prog(0, &syn, &t0, NULL);
	run_prog(2, &synack, NULL, NULL);
	run_prog(0, &ack, NULL, NULL);
	run_prog(2, &rst, &r0, &r1);
	t1 = r1;

	exp_owner[in] = exp_owner[out] = lo_ifindex;
	c[RST_C_PACKETS] = c[RST_C_TCP4] = 2;
	c[RST_C_SYN] = 1;
	read_slot(in, &t);
	check_totals(&t, c, m);
	c[RST_C_SYN] = 0;
	c[RST_C_SYNACK] = c[RST_C_RST] = c[RST_C_EV_SENT] = 1;
	read_slot(out, &t);
	check_totals(&t, c, m);
	read_counters(&t, in, out);

	if (drain_events() != 1)
		fail("events: expected 1, got %zu", n_ev);
	else
		check_event(&evs[0], &rst, 2, r0, r1);

	/* The client is endpoint A: index 0 is what it sent. */
	if (flow_key_of(&key, &syn) != 0)
		fail("test bug: client should be endpoint A");
	if (map_count(fd_flows) != 1)
		fail("flows: expected 1 entry, got %d", map_count(fd_flows));
	if (flow_lookup(fd_flows, &key, &fv)) {
		fail("flows: no entry under the canonical key");
	} else {
		struct rst_flow_val got = fv;

		VAL_FIELD("flow", syn[0], 1);
		VAL_FIELD("flow", syn[1], 0);
		VAL_FIELD("flow", synack[0], 0);
		VAL_FIELD("flow", synack[1], 1);
		VAL_FIELD("flow", rst[0], 0);
		VAL_FIELD("flow", rst[1], 1);
		VAL_FIELD("flow", rstack[0] + got.rstack[1], 0);
		VAL_FIELD("flow", fin[0] + got.fin[1], 0);
		VAL_FIELD("flow", ttl[0], TTL4);
		VAL_FIELD("flow", ttl[1], TTL4);
		if (got.first_ns + TICK_SLACK < t0 || got.first_ns > r0 ||
		    got.last_ns + TICK_SLACK < r0 || got.last_ns > t1)
			fail("flow first_ns %llu / last_ns %llu: expected first SYN, last RST",
			     (unsigned long long)got.first_ns, (unsigned long long)got.last_ns);
	}
	/* In: the source (client); out: the destination (client again). */
	host_key_of(&hk, &syn, RST_DIR_IN);
	if (map_count(fd_hosts) != 1)
		fail("hosts: expected 1 entry (the client), got %d", map_count(fd_hosts));
	if (host_lookup(fd_hosts, &hk, &hv)) {
		fail("hosts: no entry for the client");
	} else {
		struct rst_host_val got = hv;

		VAL_FIELD("host", syn_in, 1);
		VAL_FIELD("host", syn_out, 0);
		VAL_FIELD("host", rst_in, 0);
		VAL_FIELD("host", rst_out, 1);
		VAL_FIELD("host", fin_in + got.fin_out, 0);
	}
	tap_end("SYN in, SYN-ACK out, ACK in, RST out: one flow, one host, per-direction slots");
}

/* ---- the tables: collisions, table full, budgets, conservation ---- */

/* Another IPv4 source (host order a) or source port, in the frame and what it expects. */
static void set_src4(struct frame *f, __u32 a)
{
	pkt_put32(f->b + f->l3_off + 12, a);
	pkt_put32(f->saddr, a);
}

static void set_sport(struct frame *f, __u16 port)
{
	pkt_put16(f->b + f->l4_off, port);
	f->sport = port;
}

static __u32 host_set_of(const struct frame *f)
{
	__u32 w[4];

	memcpy(w, f->saddr, 16);
	return rst_host_hash(w, f->family, t_seed) & (T_HOST_SETS - 1);
}

static __u32 flow_set_of(const struct frame *f)
{
	struct rst_flow_key k;
	__u32 a[4], b[4];

	flow_key_of(&k, f);
	memcpy(a, k.addr_a, 16);
	memcpy(b, k.addr_b, 16);
	return rst_flow_hash(a, b, k.port_a, k.port_b, k.family, t_seed) & (T_FLOW_SETS - 1);
}

/* n IPv4 sources (host order) whose host lines share one set, from 10.1.0.1 on. */
static void same_host_set(__u32 *out, int n, struct frame *f)
{
	__u32 a = 0x0a010001, want;
	int k = 0, guard = 1 << 20;

	set_src4(f, a);
	want = host_set_of(f);
	out[k++] = a;
	while (k < n && guard--) {
		set_src4(f, ++a);
		if (host_set_of(f) == want)
			out[k++] = a;
	}
	if (k < n)
		fail("test bug: no %d sources in one host set", n);
}

/* n source ports whose flows (f's addresses) share one flow set, or each its own set. */
static void pick_ports(__u16 *out, int n, struct frame *f, int same)
{
	__u32 used = 0, want = 0;
	int k = 0, p;

	for (p = 20000; p < 60000 && k < n; p++) {
		__u32 set;

		set_sport(f, p);
		set = flow_set_of(f);
		if (same ? (k && set != want) : (used & (1ULL << (set & 31))) != 0)
			continue;
		if (!same && set >= 32)
			continue;
		if (!k)
			want = set;
		used |= 1U << (set & 31);
		out[k++] = p;
	}
	if (k < n)
		fail("test bug: no %d ports for %s flow set", n, same ? "one" : "distinct");
}

/* Wait until the coarse clock is not within 100 ms of a budget window's end (2^30 ns). */
static void budget_window_start(void)
{
	struct timespec ts = { 0, 5000000 };
	struct timespec now;
	__u64 ns;

	for (;;) {
		clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
		ns = (__u64)now.tv_sec * 1000000000ULL + now.tv_nsec;
		if ((ns & ((1ULL << 30) - 1)) < (1ULL << 30) - 100000000ULL)
			return;
		nanosleep(&ts, NULL);
	}
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Only flow_lost[cause][flag] == n among the flow accounting (and host_lost 0 unless given). */
static void expect_flow_lost(const struct totals *t, const __u64 want[RST_FL_MAX][RST_FF_MAX])
{
	int c, k;

	for (c = 0; c < RST_FL_MAX; c++)
		for (k = 0; k < RST_FF_MAX; k++)
			if (t->flow_lost[c][k] != want[c][k])
				fail("flow_lost %s %s: expected %llu, got %llu",
				     rst_flow_cause_names[c], rst_flow_flag_names[k],
				     (unsigned long long)want[c][k],
				     (unsigned long long)t->flow_lost[c][k]);
}

static void expect_host(const struct frame *f, __u8 dir, __u64 rst_in, __u64 syn_in, int present)
{
	struct rst_host_key k;
	struct rst_host_val v;
	int err;

	host_key_of(&k, f, dir);
	err = host_lookup(fd_hosts, &k, &v);
	if (!present) {
		if (!err)
			fail("host %u.%u.%u.%u: expected evicted, has %llu RSTs", f->saddr[0],
			     f->saddr[1], f->saddr[2], f->saddr[3], (unsigned long long)v.rst_in);
		return;
	}
	if (err) {
		fail("host %u.%u.%u.%u: no entry", f->saddr[0], f->saddr[1], f->saddr[2],
		     f->saddr[3]);
		return;
	}
	if (v.rst_in != rst_in || v.syn_in != syn_in)
		fail("host %u.%u.%u.%u: rst_in %llu syn_in %llu, expected %llu and %llu",
		     f->saddr[0], f->saddr[1], f->saddr[2], f->saddr[3],
		     (unsigned long long)v.rst_in, (unsigned long long)v.syn_in,
		     (unsigned long long)rst_in, (unsigned long long)syn_in);
}

/*
 * Five sources in one host set of four ways: the fifth evicts the one
 * seen least recently, whose counts move into host_lost exactly; the
 * others keep exact counts; conservation holds.
 */
static void scen_host_collision(void)
{
	__u32 in = slot_key(lo_ifindex, RST_DIR_IN), src[5];
	__u64 c[RST_C_MAX] = { 0 }, m[RST_M_MAX] = { 0 };
	const __u32 n_rst[5] = { 3, 1, 2, 1, 4 };
	static struct frame f;
	struct totals t;
	int i;

	build(&f, &spec_rst);
	same_host_set(src, 5, &f);
	cur_prog = "xdp";
	reset_state(NULL);
	for (i = 0; i < 5; i++) {
		set_src4(&f, src[i]);
		run_n(0, &f, 100 * i, n_rst[i]);
		/* Coarse ticks: a few ms between sources make "least recently" unambiguous. */
		sleep_ms(15);
	}
	drain_events();
	exp_owner[in] = lo_ifindex;
	c[RST_C_PACKETS] = c[RST_C_TCP4] = c[RST_C_RST] = c[RST_C_EV_SENT] = 11;
	read_counters(&t, in, in);
	check_totals(&t, c, m);
	if (t.host_lost[RST_DIR_IN][RST_HF_RST] != 3 || t.host_lost[RST_DIR_OUT][RST_HF_RST] ||
	    t.host_lost[RST_DIR_IN][RST_HF_SYN] || t.host_lost[RST_DIR_IN][RST_HF_FIN])
		fail("host_lost: expected 3 RSTs in (the first source's), got rst %llu/%llu syn "
		     "%llu fin %llu",
		     (unsigned long long)t.host_lost[RST_DIR_IN][RST_HF_RST],
		     (unsigned long long)t.host_lost[RST_DIR_OUT][RST_HF_RST],
		     (unsigned long long)t.host_lost[RST_DIR_IN][RST_HF_SYN],
		     (unsigned long long)t.host_lost[RST_DIR_IN][RST_HF_FIN]);
	if (map_count(fd_hosts) != 4)
		fail("hosts: expected 4 entries, got %d", map_count(fd_hosts));
	for (i = 0; i < 5; i++) {
		set_src4(&f, src[i]);
		expect_host(&f, RST_DIR_IN, n_rst[i], 0, i != 0);
	}
	check_conservation();
	tap_end("host collision: 5 sources in a 4-way set; the oldest (3 RSTs) evicted into "
		"host_lost, the other 4 exact, conservation exact");
}

/*
 * The table readers walk the sets in batches; every set must be read
 * whatever the batch size. One host line in every set (on the first
 * CPU), read back in batches of 1, 3 and 64 sets: 64 hosts each time.
 * (The array batch token is the last index read: with the next index
 * instead, the first set of every batch after the first was skipped.)
 */
static void scen_dump_batches(void)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	static const __u32 per[] = { 1, 3, 64 };
	size_t stride = (sizeof(struct rst_host_set) + 7) & ~7UL;
	__u32 keys[T_HOST_SETS], n = T_HOST_SETS, i;
	char *vals = calloc((size_t)T_HOST_SETS * ncpu, stride);
	long got;

	reset_state(NULL);
	for (i = 0; vals && i < T_HOST_SETS; i++) {
		struct rst_host_set *s = (struct rst_host_set *)(vals + (size_t)i * ncpu * stride);

		keys[i] = i;
		s->hdr.tag[0] = 1;
		s->way[0].family = AF_INET;
		pkt_put32(s->way[0].addr, 0x0a0b0000 + i);
		s->way[0].rst_in = 1;
	}
	if (!vals || bpf_map_update_batch(fd_hosts, keys, vals, &n, &bo) || n != T_HOST_SETS)
		fail("writing the host sets: %s", strerror(errno));
	for (i = 0; i < sizeof(per) / sizeof(per[0]); i++) {
		tables_batch_bytes(per[i] * ncpu * stride);
		got = hosts_count(fd_hosts);
		if (got != T_HOST_SETS)
			fail("batches of %u sets: %ld hosts read, expected %d", per[i], got,
			     T_HOST_SETS);
	}
	tables_batch_bytes(0);
	free(vals);
	reset_state(NULL);
	tap_end("table reads in batches of 1, 3 and 64 sets: every set read (64 hosts)");
}

/*
 * The seed decides the set: five sources that share one host set under
 * the rows' seed spread over five sets under another, and nothing is
 * evicted; host_lookup() finds each (it takes the seed from the settings
 * map). With the seed ignored, they would share the set again and the
 * oldest would be evicted. Then the loader: a seed made at the first
 * apply, never 0, kept by a later apply; the rate fields derived.
 */
static void scen_hash_seed(void)
{
	__u32 in = slot_key(lo_ifindex, RST_DIR_IN), src[5], seed_a = t_seed, seed_b, sets[5];
	__u64 c[RST_C_MAX] = { 0 }, m[RST_M_MAX] = { 0 };
	struct rst_config got, zero_cfg = {};
	struct rst_opts o;
	static struct frame f;
	struct totals t;
	__u32 zero = 0, first;
	int i, j, distinct = 0;

	build(&f, &spec_rst);
	same_host_set(src, 5, &f);
	for (seed_b = seed_a + 1; seed_b < seed_a + 1000 && !distinct; seed_b++) {
		t_seed = seed_b;
		distinct = 1;
		for (i = 0; i < 5 && distinct; i++) {
			set_src4(&f, src[i]);
			sets[i] = host_set_of(&f);
			for (j = 0; j < i; j++)
				distinct &= sets[j] != sets[i];
		}
	}
	if (!distinct) {
		t_seed = seed_a;
		fail("test bug: no seed spreads the 5 sources");
		return;
	}
	t_seed = seed_b - 1;
	cur_prog = "xdp";
	reset_state(NULL);
	for (i = 0; i < 5; i++) {
		set_src4(&f, src[i]);
		run_n(0, &f, 100 * i, 1);
	}
	drain_events();
	exp_owner[in] = lo_ifindex;
	c[RST_C_PACKETS] = c[RST_C_TCP4] = c[RST_C_RST] = c[RST_C_EV_SENT] = 5;
	read_counters(&t, in, in);
	check_totals(&t, c, m);
	if (t.host_lost[RST_DIR_IN][RST_HF_RST])
		fail("seed 0x%x: %llu RSTs evicted, expected none (5 sets)", t_seed,
		     (unsigned long long)t.host_lost[RST_DIR_IN][RST_HF_RST]);
	if (map_count(fd_hosts) != 5)
		fail("hosts: expected 5 entries, got %d", map_count(fd_hosts));
	for (i = 0; i < 5; i++) {
		set_src4(&f, src[i]);
		expect_host(&f, RST_DIR_IN, 1, 0, 1);
	}
	check_conservation();

	/* The loader's seed. */
	opts_default(&o);
	o.rate_limit = 7;
	o.burst = 0;
	if (bpf_map_update_elem(fd_settings, &zero, &zero_cfg, BPF_ANY) ||
	    loader_apply_settings(fd_settings, &o) || bpf_map_lookup_elem(fd_settings, &zero, &got))
		fail("loader_apply_settings: %s", strerror(errno));
	first = got.hash_seed;
	if (!first)
		fail("loader: seed 0 after the first apply");
	if (got.rate_interval_ns != 142857142 || got.rate_depth_ns != 142857142ULL * 7)
		fail("loader: rate 7/s derived as interval %llu, depth %llu; expected 142857142, "
		     "%llu",
		     (unsigned long long)got.rate_interval_ns,
		     (unsigned long long)got.rate_depth_ns, 142857142ULL * 7);
	o.rate_limit = 1000;
	o.burst = 3;
	if (loader_apply_settings(fd_settings, &o) || bpf_map_lookup_elem(fd_settings, &zero, &got))
		fail("loader_apply_settings: %s", strerror(errno));
	if (got.hash_seed != first)
		fail("loader: seed changed by a later apply (0x%x -> 0x%x)", first, got.hash_seed);
	if (got.rate_interval_ns != 1000000 || got.rate_depth_ns != 3000000)
		fail("loader: rate 1000/s burst 3 derived as %llu, %llu",
		     (unsigned long long)got.rate_interval_ns,
		     (unsigned long long)got.rate_depth_ns);
	t_seed = seed_a;
	reset_state(NULL);
	tap_end("hash seed: 5 sources of one set under one seed take 5 sets under another, "
		"none evicted, each found; the loader makes a seed once and keeps it");
}

/*
 * Five SYNs of five flows in one flow set, within a second: four flows,
 * the fifth "table full"; its RST then finds no flow although its host
 * has flows ("no flow"); an RST from a source with no flows at all is
 * "no flow" without a lookup.
 */
static void scen_flow_full(void)
{
	const struct pkt_spec ssyn = { .flags = TH_SYN }, srst = { .flags = TH_RST };
	__u32 in = slot_key(lo_ifindex, RST_DIR_IN);
	__u64 c[RST_C_MAX] = { 0 }, m[RST_M_MAX] = { 0 }, lost[RST_FL_MAX][RST_FF_MAX] = { { 0 } };
	static struct frame syn, rst;
	struct totals t;
	__u16 ports[5];
	int i;

	build(&syn, &ssyn);
	build(&rst, &srst);
	pick_ports(ports, 5, &syn, 1);
	cur_prog = "xdp";
	reset_state(NULL);
	budget_window_start();
	for (i = 0; i < 5; i++) {
		set_sport(&syn, ports[i]);
		run_prog(0, &syn, NULL, NULL);
	}
	set_sport(&rst, ports[4]);
	run_prog(0, &rst, NULL, NULL);
	set_sport(&rst, ports[0]);
	run_prog(0, &rst, NULL, NULL);
	set_src4(&rst, 0x0a090909);
	run_prog(0, &rst, NULL, NULL);
	drain_events();
	exp_owner[in] = lo_ifindex;
	c[RST_C_PACKETS] = c[RST_C_TCP4] = 8;
	c[RST_C_SYN] = 5;
	c[RST_C_RST] = c[RST_C_EV_SENT] = 3;
	read_counters(&t, in, in);
	check_totals(&t, c, m);
	lost[RST_FL_FULL][RST_FF_SYN] = 1;
	lost[RST_FL_NOFLOW][RST_FF_RST] = 2;
	expect_flow_lost(&t, lost);
	if (map_count(fd_flows) != 4)
		fail("flows: expected 4 entries, got %d", map_count(fd_flows));
	{
		struct rst_flow_key k;
		struct rst_flow_val got;

		set_sport(&syn, ports[0]);
		flow_key_of(&k, &syn);
		if (flow_lookup(fd_flows, &k, &got))
			fail("flows: the first flow is missing");
		else if (got.syn[0] + got.syn[1] != 1 || got.rst[0] + got.rst[1] != 1)
			fail("flow of the first SYN: syn %u rst %u, expected 1 and 1",
			     got.syn[0] + got.syn[1], got.rst[0] + got.rst[1]);
	}
	check_conservation();
	tap_end("flow table full: 5 SYNs into a 4-way set within 1 s -> 4 flows, 1 SYN "
		"table_full; RSTs of the refused flow and of a flowless host -> no_flow");
}

/* A flow set full of flows idle for a second: a new SYN evicts the oldest, exactly. */
static void scen_flow_evict(void)
{
	const struct pkt_spec ssyn = { .flags = TH_SYN };
	__u32 in = slot_key(lo_ifindex, RST_DIR_IN);
	__u64 c[RST_C_MAX] = { 0 }, m[RST_M_MAX] = { 0 }, lost[RST_FL_MAX][RST_FF_MAX] = { { 0 } };
	static struct frame syn;
	struct totals t;
	__u16 ports[5];
	int i;

	build(&syn, &ssyn);
	pick_ports(ports, 5, &syn, 1);
	cur_prog = "xdp";
	reset_state(NULL);
	for (i = 0; i < 4; i++) {
		set_sport(&syn, ports[i]);
		run_n(0, &syn, 0, i == 0 ? 2 : 1);
		sleep_ms(15);
	}
	/* RST_FLOW_BUSY_TICKS (~1.0 s) after the last: every way may go. */
	sleep_ms(1100);
	set_sport(&syn, ports[4]);
	run_prog(0, &syn, NULL, NULL);
	exp_owner[in] = lo_ifindex;
	c[RST_C_PACKETS] = c[RST_C_TCP4] = c[RST_C_SYN] = 6;
	read_counters(&t, in, in);
	check_totals(&t, c, m);
	lost[RST_FL_EVICTED][RST_FF_SYN] = 2; /* the first flow, its two SYNs */
	expect_flow_lost(&t, lost);
	if (map_count(fd_flows) != 4)
		fail("flows: expected 4 entries, got %d", map_count(fd_flows));
	check_conservation();
	tap_end("flow eviction: a set of 4 flows idle 1 s; a fifth SYN evicts the oldest (2 SYNs "
		"into flows evicted), conservation exact");
}

/* The CPU's new-flow budget: 3 a second; 5 SYNs of 5 flows in 5 sets -> 3 flows, 2 budget. */
static void scen_flow_budget(void)
{
	const struct rst_config cfg = { .sample = 1, .flow_budget = 3 };
	const struct pkt_spec ssyn = { .flags = TH_SYN };
	__u32 in = slot_key(lo_ifindex, RST_DIR_IN);
	__u64 c[RST_C_MAX] = { 0 }, m[RST_M_MAX] = { 0 }, lost[RST_FL_MAX][RST_FF_MAX] = { { 0 } };
	static struct frame syn;
	struct totals t;
	__u16 ports[5];
	int i;

	build(&syn, &ssyn);
	pick_ports(ports, 5, &syn, 0);
	cur_prog = "xdp";
	reset_state(&cfg);
	budget_window_start();
	for (i = 0; i < 5; i++) {
		set_sport(&syn, ports[i]);
		run_prog(0, &syn, NULL, NULL);
	}
	/* A SYN of a flow that exists costs no budget. */
	set_sport(&syn, ports[0]);
	run_prog(0, &syn, NULL, NULL);
	exp_owner[in] = lo_ifindex;
	c[RST_C_PACKETS] = c[RST_C_TCP4] = c[RST_C_SYN] = 6;
	read_counters(&t, in, in);
	check_totals(&t, c, m);
	lost[RST_FL_BUDGET][RST_FF_SYN] = 2;
	expect_flow_lost(&t, lost);
	if (map_count(fd_flows) != 3)
		fail("flows: expected 3 entries, got %d", map_count(fd_flows));
	expect_host(&syn, RST_DIR_IN, 0, 6, 1);
	check_conservation();
	tap_end("flow budget 3/s: 5 new flows -> 3 made, 2 SYNs budget; the host counts all 6");
}

/*
 * The CPU's event budget, before the per-source bucket: 10 RSTs from 10
 * sources with a budget of 4 -> 4 events, 6 rate limited; with a budget
 * of 100 and 5/s per source, one source still gets 5 of 20.
 */
static void scen_event_budget(void)
{
	const struct rst_config cfg = { .sample = 1, .event_budget = 4 };
	const struct rst_config cfg2 = { .sample = 1, .rate_limit = 5, .event_budget = 100 };
	const __u32 want[] = { 0, 1, 2, 3 };
	const __u32 want2[] = { 0, 1, 2, 3, 4 };
	__u32 in = slot_key(lo_ifindex, RST_DIR_IN);
	static struct frame f;
	__u32 i;
	__u64 t0;

	build(&f, &spec_rst);
	cur_prog = "xdp";
	reset_state(&cfg);
	budget_window_start();
	for (i = 0; i < 10; i++) {
		set_src4(&f, 0x0a020001 + i);
		run_n(0, &f, i, 1);
	}
	expect_rsts(in, 10, 4, 0, 6, 0, 0);
	expect_seqs(want, 4);
	check_conservation();

	build(&f, &spec_rst);
	reset_state(&cfg2);
	budget_window_start();
	t0 = now_ns();
	run_n(0, &f, 0, 20);
	if (now_ns() - t0 >= 200000000ULL)
		fail("took over 200 ms: the bucket refilled, counts are not exact");
	expect_rsts(in, 20, 5, 0, 15, 0, 0);
	expect_seqs(want2, 5);
	tap_end("event budget 4/s per CPU: 10 spoofed sources -> 4 events, 6 rate limited; "
		"budget 100 + 5/s per source: one source 5 of 20");
}

/*
 * Run first, then rst (an RST) on their programs from a clean state; the
 * one event (rst's) must be rst's in every field but ev_flags, which must
 * be want_flags.
 */
static void ttl_pair(const char *what, int pi_first, const struct pkt_spec *first, int pi_rst,
		     const struct pkt_spec *rst, __u8 want_flags)
{
	static struct frame a, b;
	struct rst_event want;
	__u64 t0, t1;

	cur_prog = what;
	build(&a, first);
	build(&b, rst);
	reset_state(NULL);
	run_prog(pi_first, &a, NULL, NULL);
	run_prog(pi_rst, &b, &t0, &t1);
	if (drain_events() != (size_t)1 + !!(first->flags & TH_RST)) {
		fail("events: expected %d, got %zu", 1 + !!(first->flags & TH_RST), n_ev);
		return;
	}
	expect_event(&want, &b, pi_rst);
	want.ev_flags |= want_flags;
	/* check_event compares with expect_event: compare the flags here, the rest there. */
	if (evs[n_ev - 1].ev_flags != want.ev_flags)
		fail("event ev_flags: expected %#x, got %#x", want.ev_flags,
		     evs[n_ev - 1].ev_flags);
	evs[n_ev - 1].ev_flags = want.ev_flags & ~want_flags;
	check_event(&evs[n_ev - 1], &b, pi_rst, t0, t1);
}

/*
 * Suspected injection: an RST whose TTL is not the one of its sender's
 * earlier SYN, FIN or RST on the same flow sets RST_EV_TTL_CHANGE.
 */
static void scen_ttl_change(void)
{
	const struct pkt_spec syn = { .flags = TH_SYN }, syn6 = { V6, .flags = TH_SYN };
	const struct pkt_spec rst7 = { .flags = TH_RST, .ttl = 7 };
	const struct pkt_spec rst7_6 = { V6, .flags = TH_RST, .ttl = 7 };
	const struct pkt_spec rst = { .flags = TH_RST };
	const struct pkt_spec fin = { .flags = TH_FIN | TH_ACK };
	const struct pkt_spec synack = { .flags = TH_SYN | TH_ACK, .swap = 1 };
	const struct pkt_spec srst7 = { .flags = TH_RST | TH_ACK, .swap = 1, .ttl = 7 };
	const struct pkt_spec rst200 = { .flags = TH_RST, .ttl = 200 };

	ttl_pair("xdp", 0, &syn, 0, &rst7, RST_EV_TTL_CHANGE);
	ttl_pair("tc-in", 1, &syn, 1, &rst7, RST_EV_TTL_CHANGE);
	ttl_pair("xdp ipv6", 0, &syn6, 0, &rst7_6, RST_EV_TTL_CHANGE);
	ttl_pair("tc-out", 2, &synack, 2, &srst7, RST_EV_TTL_CHANGE);
	tap_end("RST with another TTL than its sender's earlier SYN/SYN-ACK: RST_EV_TTL_CHANGE");

	/* TTLs are kept in flows, and only SYN and SYN-ACK make flows. */
	ttl_pair("xdp after FIN, no flow", 0, &fin, 0, &rst200, 0);
	ttl_pair("xdp after RST, no flow", 0, &rst, 0, &rst7, 0);
	tap_end("RST after a FIN or RST of a flow never opened (no flow): no flag");

	ttl_pair("xdp", 0, &syn, 0, &rst, 0);
	ttl_pair("tc-out", 2, &synack, 2, &(struct pkt_spec){ .flags = TH_RST, .swap = 1 }, 0);
	tap_end("RST with its sender's earlier TTL: no flag");

	/* The peer's TTL is not the sender's: client SYN at 57, server RST at 7. */
	ttl_pair("xdp+tc-out", 0, &syn, 2, &srst7, 0);
	/* Nothing earlier on the flow (a UDP packet makes no flow entry). */
	ttl_pair("tc-in first RST", 1, &(struct pkt_spec){ .proto = IPPROTO_UDP }, 1, &rst7, 0);
	tap_end("RST whose sender has no earlier TTL on the flow (only the peer's): no flag");
}

/* Seed a reasons record for the RST of f (sent by f's source). */
static void seed_reason(const struct frame *f, __u8 late, __u64 ts, __u8 reason, __u8 state)
{
	struct rst_reason_key k = { .late = late };
	struct rst_reason_val v = { .ts_ns = ts, .reason = reason, .state = state };

	memcpy(k.saddr, f->saddr, 16);
	memcpy(k.daddr, f->daddr, 16);
	k.sport = f->sport;
	k.dport = f->dport;
	k.family = f->family;
	if (bpf_map_update_elem(fd_reasons, &k, &v, BPF_ANY))
		fail("seeding reasons: %s", strerror(errno));
}

/*
 * One RST through program pi after seeding; the event must carry reason
 * and state (0: none) and the map must hold left entries afterwards.
 */
static void reason_case(const char *what, int pi, const struct pkt_spec *ps, __u8 late, __u64 age,
			__u8 reason, __u8 state, __u8 want_reason, __u8 want_state, int left)
{
	static struct frame f;
	struct rst_event want;
	__u64 t0, t1;

	cur_prog = what;
	build(&f, ps);
	reset_state(NULL);
	seed_reason(&f, late, now_ns() - age, reason, state);
	run_prog(pi, &f, &t0, &t1);
	if (drain_events() != 1) {
		fail("events: expected 1, got %zu", n_ev);
		return;
	}
	expect_event(&want, &f, pi);
	if (evs[0].reason != want_reason || evs[0].sk_state != want_state)
		fail("event reason/sk_state: expected %u/%u, got %u/%u", want_reason, want_state,
		     evs[0].reason, evs[0].sk_state);
	evs[0].reason = 0;
	evs[0].sk_state = 0;
	check_event(&evs[0], &f, pi, t0, t1);
	if (map_count(fd_reasons) != left)
		fail("reasons: expected %d entries left, got %d", left, map_count(fd_reasons));
}

/*
 * The kernel half of the reason join: TC egress takes a record the
 * tracepoint made for the RST it sees (and deletes it); nothing else does.
 * BPF_PROG_TEST_RUN has no tracepoint: without a seeded record the fields
 * stay 0, as every other row checks.
 */
static void scen_reasons(void)
{
	const struct pkt_spec srv = { .flags = TH_RST | TH_ACK, .swap = 1 };
	const struct pkt_spec srv6 = { V6, .flags = TH_RST, .swap = 1 };
	const struct pkt_spec cli = { .flags = TH_RST };
	const __u64 old = 2 * RST_REASON_MAX_AGE_NS;
	const struct rst_config half = { .sample = 2 };
	static struct frame f, other;

	reason_case("tc-out", 2, &srv, 0, 1000, 2, 0, 2, 0, 0);
	reason_case("tc-out with state", 2, &srv, 0, 1000, 13, 7, 13, 7, 0);
	reason_case("tc-out ipv6", 2, &srv6, 0, 1000, 10, 2, 10, 2, 0);
	tap_end("TC egress takes the tracepoint's record of its RST into the event, deletes it");

	reason_case("xdp", 0, &cli, 0, 1000, 2, 0, 0, 0, 1);
	reason_case("tc-in", 1, &cli, 0, 1000, 2, 0, 0, 0, 1);
	tap_end("ingress leaves the records alone: reasons are for RSTs sent here");

	reason_case("tc-out, record 2 s old", 2, &srv, 0, old, 2, 0, 0, 0, 0);
	reason_case("tc-out, late record", 2, &srv, 1, 1000, 13, 2, 0, 0, 1);
	tap_end("TC egress drops an old record unused, leaves a late one to userspace");

	/* Another port: not this RST's record. */
	cur_prog = "tc-out, other port";
	build(&f, &srv);
	other = f;
	other.dport++;
	reset_state(NULL);
	seed_reason(&other, 0, now_ns(), 2, 0);
	run_prog(2, &f, NULL, NULL);
	if (drain_events() != 1 || evs[0].reason)
		fail("expected one event without reason, got %zu (reason %u)", n_ev,
		     n_ev ? evs[0].reason : 0);
	if (map_count(fd_reasons) != 1)
		fail("reasons: the other port's record must stay");
	/* Sampled out: the record goes all the same, no event. */
	cur_prog = "tc-out, sampled out";
	reset_state(&half);
	run_prog(2, &f, NULL, NULL);
	seed_reason(&f, 0, now_ns(), 2, 0);
	run_prog(2, &f, NULL, NULL);
	if (drain_events() != 1 || evs[0].reason)
		fail("expected the first RST's event only, without reason");
	if (map_count(fd_reasons))
		fail("reasons: the sampled-out RST's record must be gone, %d left",
		     map_count(fd_reasons));
	tap_end("records of other RSTs stay; an RST not sampled takes its record too");
}

/* ---- causes (bpf/causes.bpf.h): the TC egress half ---- */

static int fd_causes = -1, fd_cause_hosts = -1, fd_cz_rings = -1;

/* Every CPU's entries 0..n-1 of a per-CPU array zeroed. */
static void zero_percpu(int fd, __u32 n, size_t size, const char *name)
{
	void *z = calloc((size_t)ncpu, size);
	__u32 k;

	if (!z) {
		fail("%s: calloc", name);
		return;
	}
	for (k = 0; k < n; k++)
		if (bpf_map_update_elem(fd, &k, z, BPF_ANY))
			fail("%s reset: %s", name, strerror(errno));
	free(z);
}

static void causes_reset(const struct rst_config *cfg)
{
	reset_state(cfg);
	zero_percpu(fd_causes, 1, sizeof(struct rst_causes), "causes");
	zero_percpu(fd_cause_hosts, RST_CAUSE_HOST_SETS, sizeof(struct rst_cause_host_set),
		    "cause_hosts");
	zero_percpu(fd_cz_rings, 1, sizeof(struct rst_cz_rings), "cz_rings");
}

/* What rst_kfree_skb leaves for an RST that has not left yet: its tuple, on every CPU. */
static void seed_nfdrop(const struct frame *f, __u64 ts)
{
	struct rst_cz_rings *r = calloc((size_t)ncpu, sizeof(*r));
	__u32 zero = 0;
	int c;

	if (!r) {
		fail("calloc");
		return;
	}
	for (c = 0; c < ncpu; c++) {
		struct rst_reason_key *k = &r[c].nfdrop.k[0];

		memcpy(k->saddr, f->saddr, 16);
		memcpy(k->daddr, f->daddr, 16);
		k->sport = f->sport;
		k->dport = f->dport;
		k->family = f->family;
		r[c].nfdrop.ts[0] = ts;
		r[c].nfdrop.next = 1;
	}
	if (bpf_map_update_elem(fd_cz_rings, &zero, r, BPF_ANY))
		fail("seeding cz_rings: %s", strerror(errno));
	free(r);
}

/*
 * One frame (n times) through program pi: the egress origins must be
 * stack/firewall/other, the last event (if any) flagged firewall or not.
 */
static void cause_case(const char *what, int pi, const struct frame *f, int n,
		       const __u64 want[RST_OR_MAX], int want_fw)
{
	struct rst_causes c;
	size_t ne;
	int i;

	cur_prog = what;
	for (i = 0; i < n; i++)
		run_prog(pi, f, NULL, NULL);
	ne = drain_events();
	if (causes_read(fd_causes, &c)) {
		fail("reading causes: %s", strerror(errno));
		return;
	}
	if (c.out[RST_OR_STACK] != want[0] || c.out[RST_OR_FIREWALL] != want[1] ||
	    c.out[RST_OR_OTHER] != want[2])
		fail("egress origins stack/firewall/other: expected %llu/%llu/%llu, got "
		     "%llu/%llu/%llu",
		     (unsigned long long)want[0], (unsigned long long)want[1],
		     (unsigned long long)want[2], (unsigned long long)c.out[RST_OR_STACK],
		     (unsigned long long)c.out[RST_OR_FIREWALL],
		     (unsigned long long)c.out[RST_OR_OTHER]);
	if (ne && !!(evs[ne - 1].ev_flags & RST_EV_FIREWALL) != want_fw)
		fail("event RST_EV_FIREWALL: expected %d", want_fw);
	if (causes_sent_total(&c))
		fail("TC programs never count the stack's sent resets (the tracepoint does)");
}

/*
 * TC egress classifies every RST leaving by origin, event or not. The
 * tracing programs cannot be run by BPF_PROG_TEST_RUN (tp_btf has no
 * test_run): their records are seeded, as the tracepoint would make them.
 */
static void scen_causes(void)
{
	const struct pkt_spec srv = { .flags = TH_RST | TH_ACK, .swap = 1 };
	const struct pkt_spec srv6 = { V6, .flags = TH_RST, .swap = 1 };
	const struct pkt_spec synack = { .flags = TH_SYN | TH_ACK, .swap = 1 };
	const struct pkt_spec cli = { .flags = TH_RST };
	const struct rst_config half = { .sample = 2 };
	static struct frame f, f6, other, fs, fc;
	const __u64 other1[3] = { 0, 0, 1 }, stack1[3] = { 1, 0, 0 }, fw1[3] = { 0, 1, 0 },
		    none[3] = { 0, 0, 0 }, other2[3] = { 0, 0, 2 };
	struct cause_host *hosts;
	size_t nh;

	build(&f, &srv);
	build(&f6, &srv6);
	build(&fs, &synack);
	build(&fc, &cli);
	if (fd_causes < 0 || fd_cause_hosts < 0 || fd_cz_rings < 0) {
		fail("no causes maps");
		return;
	}
	causes_reset(NULL);
	cause_case("tc-out, no record", 2, &f, 1, other1, 0);
	causes_reset(NULL);
	cause_case("tc-out ipv6, no record", 2, &f6, 1, other1, 0);
	tap_end("an RST leaving with no reason, no socket, no netfilter drop: other");

	causes_reset(NULL);
	seed_reason(&f, 0, now_ns() - 1000, 2, 0);
	cause_case("tc-out, its record", 2, &f, 1, stack1, 0);
	tap_end("an RST leaving with the tracepoint's record: the stack's");

	causes_reset(NULL);
	seed_nfdrop(&f, now_ns() - 1000);
	cause_case("tc-out, netfilter dropped its packet", 2, &f, 1, fw1, 1);
	if (cause_hosts_read(fd_cause_hosts, &hosts, &nh) || nh != 1 ||
	    memcmp(hosts[0].addr, f.daddr, 16) || hosts[0].n_codes != 1 ||
	    hosts[0].code[0] != RST_CH_FIREWALL || hosts[0].n[0] != 1)
		fail("cause_hosts: expected the peer with firewall 1 (%zu hosts)", nh);
	free(hosts);
	causes_reset(NULL);
	seed_nfdrop(&f6, now_ns() - 1000);
	cause_case("tc-out ipv6, netfilter dropped its packet", 2, &f6, 1, fw1, 1);
	tap_end("an RST answering a packet netfilter just dropped: firewall, flagged, per host");

	causes_reset(NULL);
	seed_nfdrop(&f, now_ns() - 200ULL * 1000 * 1000);
	cause_case("tc-out, netfilter drop 200 ms old", 2, &f, 1, other1, 0);
	causes_reset(NULL);
	other = f;
	other.dport++;
	seed_nfdrop(&other, now_ns() - 1000);
	cause_case("tc-out, another port's netfilter drop", 2, &f, 1, other1, 0);
	causes_reset(NULL);
	seed_nfdrop(&f, now_ns() - 1000);
	cause_case("tc-out, one drop pairs once", 2, &f, 2, (const __u64[3]){ 0, 1, 1 }, 0);
	tap_end("a drop too old, of another tuple, or already paired: other");

	causes_reset(&half);
	cause_case("tc-out, sampled 1 in 2", 2, &f, 2, other2, 0);
	tap_end("origins are counted for every RST, sampled out or not");

	causes_reset(NULL);
	seed_nfdrop(&fc, now_ns() - 1000);
	cause_case("xdp", 0, &fc, 1, none, 0);
	cause_case("tc-in", 1, &fc, 1, none, 0);
	cause_case("tc-out SYN-ACK", 2, &fs, 1, none, 0);
	tap_end("ingress and egress packets without RST: no origin counted");
}

/*
 * The userspace half (user/kernel/tracing.c): an active reset's event
 * (RST_EV_LOCAL) takes the late record the tracepoint made after it, if
 * that record is its own by time. No program runs here: the map is the
 * kernel's, the records are seeded.
 */
static void scen_late_join(void)
{
	const struct pkt_spec srv = { .flags = TH_RST | TH_ACK, .swap = 1 };
	static struct frame f;
	struct rst_event e;
	__u64 t, t0;
	int got;

	build(&f, &srv);
	cur_prog = "late join";
	/* The event as TC egress writes it for an active reset: no reason yet. */
	expect_event(&e, &f, 2);
	e.ev_flags = RST_EV_LOCAL;
	t = now_ns();
	e.ts_ns = t - 1000000;

	reset_state(NULL);
	seed_reason(&f, 1, t - 1000000 + 20000, 14, 7);
	got = tracing_join(fd_reasons, &e);
	if (got != 1 || e.reason != 14 || e.sk_state != 7)
		fail("own late record: joined %d, reason/state %u/%u, want 1, 14/7", got, e.reason,
		     e.sk_state);
	if (map_count(fd_reasons))
		fail("own late record: not deleted");

	/* A state the event already has is kept. */
	e.reason = 0;
	e.sk_state = 2;
	seed_reason(&f, 1, t - 1000000 + 20000, 14, 7);
	tracing_join(fd_reasons, &e);
	if (e.reason != 14 || e.sk_state != 2)
		fail("state kept: reason/state %u/%u, want 14/2", e.reason, e.sk_state);

	/* Not late (the egress program's kind), or not a local socket's event: not looked at. */
	e.reason = e.sk_state = 0;
	reset_state(NULL);
	seed_reason(&f, 0, t - 1000000 + 20000, 14, 7);
	if (tracing_join(fd_reasons, &e) || e.reason || map_count(fd_reasons) != 1)
		fail("a record that is not late was taken");
	reset_state(NULL);
	seed_reason(&f, 1, t - 1000000 + 20000, 14, 7);
	e.ev_flags = 0;
	if (tracing_join(fd_reasons, &e) || e.reason || map_count(fd_reasons) != 1)
		fail("an event without RST_EV_LOCAL took a record");
	e.ev_flags = RST_EV_LOCAL;
	e.dir = RST_DIR_IN;
	if (tracing_join(fd_reasons, &e) || e.reason)
		fail("a received RST took a record");
	e.dir = RST_DIR_OUT;

	/* An earlier RST's record (before the event): left, and not this event's. */
	reset_state(NULL);
	seed_reason(&f, 1, t - 2000000, 14, 7);
	if (tracing_join(fd_reasons, &e) || e.reason || map_count(fd_reasons) != 1)
		fail("an earlier RST's record was taken");
	/* A later RST's (more than RST_REASON_MAX_AGE_NS after): left for it. */
	reset_state(NULL);
	seed_reason(&f, 1, e.ts_ns + RST_REASON_MAX_AGE_NS + 1000, 14, 7);
	if (tracing_join(fd_reasons, &e) || e.reason || map_count(fd_reasons) != 1)
		fail("a later RST's record was taken");
	tap_end("userspace takes an active reset's late record, only its own");

	/* A fresh event whose record is not there yet waits for it, once and briefly. */
	reset_state(NULL);
	e.ts_ns = now_ns();
	t0 = now_ns();
	got = tracing_join(fd_reasons, &e);
	t = now_ns() - t0;
	if (got || t < 3000000 || t > 100000000)
		fail("fresh event, no record: joined %d after %llu ns, want 0 after ~5 ms", got,
		     (unsigned long long)t);
	/* An old one does not wait. */
	e.ts_ns = now_ns() - 1000000000ULL;
	t0 = now_ns();
	tracing_join(fd_reasons, &e);
	if (now_ns() - t0 > 3000000)
		fail("an old event waited for its record");
	tap_end("a missing late record is waited for only while the event is fresh (5 ms)");
}

/* ---- main ---- */

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_WARN)
		return 0;
	fprintf(stderr, "libbpf: ");
	return vfprintf(stderr, fmt, ap);
}

static void bail(const char *what, int err)
{
	printf("not ok %d - %s\n# %s\nBail out!\n", ++tap_num, what, strerror(err));
	exit(1);
}

/*
 * TESTS="pat ..." (fnmatch patterns, as `make test TESTS=...` passes them)
 * runs only the rows and groups whose names match; unset runs everything.
 */
static int selected(const char *name)
{
	const char *sel = getenv("TESTS");
	char pat[128];
	size_t n;

	if (!sel || !*sel)
		return 1;
	while (*sel) {
		sel += strspn(sel, " \t");
		n = strcspn(sel, " \t");
		if (n && n < sizeof(pat)) {
			memcpy(pat, sel, n);
			pat[n] = '\0';
			if (!fnmatch(pat, name, 0))
				return 1;
		}
		sel += n;
	}
	return 0;
}

/*
 * SYN, SYN-ACK and FIN events (bpf/ctlevents.bpf.h): one packet, one
 * setting, on every program: the flag counters, each kind's cause, the
 * RST event counters, the event itself and the sequence, exactly.
 */
struct ctl_case {
	const char *name;
	__u8 flags;	 /* of the packet */
	__u32 cfg_flags; /* RST_CFG_* */
	__u64 c[RST_C_MAX];
	__u64 ce[RST_CK_MAX][RST_CE_MAX];
	__u8 ev;
	__u8 seq; /* the sequence's expected step */
};

#define CE(k, c) [RST_CK_##k] = { [RST_CE_##c] = 1 }

/* clang-format off */
static const struct ctl_case ctl_cases[] = {
	{ "default: a SYN makes no event (not asked)", TH_SYN, 0, { [RST_C_SYN] = 1 },
	  { CE(SYN, NOTASKED) }, 0, 0 },
	{ "default: a SYN-ACK makes no event", TH_SYN | TH_ACK, 0, { [RST_C_SYNACK] = 1 },
	  { CE(SYNACK, NOTASKED) }, 0, 0 },
	{ "default: a FIN-ACK makes no event", TH_FIN | TH_ACK, 0, { [RST_C_FIN] = 1 },
	  { CE(FIN, NOTASKED) }, 0, 0 },
	{ "default: an RST is an event, as before", TH_RST, 0,
	  { [RST_C_RST] = 1, [RST_C_EV_SENT] = 1 }, { { 0 } }, 1, 1 },
	{ "syn events: a SYN is an event", TH_SYN, RST_CFG_EV_SYN, { [RST_C_SYN] = 1 },
	  { CE(SYN, SENT) }, 1, 1 },
	{ "syn events: a SYN-ACK is not asked", TH_SYN | TH_ACK, RST_CFG_EV_SYN,
	  { [RST_C_SYNACK] = 1 }, { CE(SYNACK, NOTASKED) }, 0, 0 },
	{ "syn events: an RST still is", TH_RST | TH_ACK, RST_CFG_EV_SYN,
	  { [RST_C_RSTACK] = 1, [RST_C_EV_SENT] = 1 }, { { 0 } }, 1, 1 },
	{ "synack events: a SYN-ACK is an event", TH_SYN | TH_ACK, RST_CFG_EV_SYNACK,
	  { [RST_C_SYNACK] = 1 }, { CE(SYNACK, SENT) }, 1, 1 },
	{ "fin events: a FIN-ACK is an event", TH_FIN | TH_ACK, RST_CFG_EV_FIN,
	  { [RST_C_FIN] = 1 }, { CE(FIN, SENT) }, 1, 1 },
	{ "fin events: a SYN is not asked", TH_SYN, RST_CFG_EV_FIN, { [RST_C_SYN] = 1 },
	  { CE(SYN, NOTASKED) }, 0, 0 },
	{ "fin events without RSTs: an RST is filtered", TH_RST, RST_CFG_EV_FIN | RST_CFG_EV_NORST,
	  { [RST_C_RST] = 1, [RST_C_EV_FILTERED] = 1 }, { { 0 } }, 0, 0 },
	{ "syn events, events off: the SYN is filtered", TH_SYN,
	  RST_CFG_EV_SYN | RST_CFG_EVENTS_OFF, { [RST_C_SYN] = 1 }, { CE(SYN, FILTERED) }, 0, 1 },
	{ "syn events without RSTs: SYN+RST is one event, counted for both", TH_SYN | TH_RST,
	  RST_CFG_EV_SYN | RST_CFG_EV_NORST,
	  { [RST_C_SYN] = 1, [RST_C_RST] = 1, [RST_C_EV_SENT] = 1 }, { CE(SYN, SENT) }, 1, 1 },
	{ "fin events: SYN+FIN is one event, the SYN's kind not asked but counted with it",
	  TH_SYN | TH_FIN, RST_CFG_EV_FIN, { [RST_C_SYN] = 1, [RST_C_FIN] = 1 },
	  { CE(SYN, SENT), CE(FIN, SENT) }, 1, 1 },
};
/* clang-format on */

static void check_ctl_case(const struct ctl_case *cc, int v6)
{
	const struct rst_config cfg = { .sample = 1, .flags = cc->cfg_flags };
	struct pkt_spec sp = { .flags = cc->flags };
	__u64 c[RST_C_MAX], m[RST_M_MAX] = { 0 }, t0, t1;
	static struct frame f;
	struct totals t;
	__u32 slot;
	size_t n;
	int pi, k, e;

	if (v6)
		sp.l3 = L3_IP6;
	build(&f, &sp);
	for (pi = 0; pi < 3; pi++) {
		cur_prog = progs[pi].name;
		reset_state(&cfg);
		run_prog(pi, &f, &t0, &t1);
		slot = slot_key(lo_ifindex, progs[pi].dir);
		exp_owner[slot] = lo_ifindex;
		memcpy(c, cc->c, sizeof(c));
		c[RST_C_PACKETS] = 1;
		c[v6 ? RST_C_TCP6 : RST_C_TCP4] = 1;
		read_counters(&t, slot, slot);
		check_totals(&t, c, m);
		for (k = 0; k < RST_CK_MAX; k++)
			for (e = 0; e < RST_CE_MAX; e++)
				if (t.ctl_ev[k][e] != cc->ce[k][e])
					fail("%s events %s: expected %llu, got %llu",
					     rst_ctl_kind_names[k], rst_ctl_cause_names[e],
					     (unsigned long long)cc->ce[k][e],
					     (unsigned long long)t.ctl_ev[k][e]);
		if (t.rst_seq != cc->seq)
			fail("rst_seq: expected %u, got %llu", cc->seq,
			     (unsigned long long)t.rst_seq);
		n = drain_events();
		if (n != cc->ev)
			fail("events: expected %u, got %zu", cc->ev, n);
		else if (n)
			check_event(&evs[0], &f, pi, t0, t1);
		check_conservation();
	}
}

static void scen_ctl_events(void)
{
	size_t i;
	int v6;

	for (i = 0; i < sizeof(ctl_cases) / sizeof(ctl_cases[0]); i++)
		for (v6 = 0; v6 < 2; v6++) {
			check_ctl_case(&ctl_cases[i], v6);
			tap_end("%s (%s)", ctl_cases[i].name, v6 ? "ipv6" : "ipv4");
		}
}

/*
 * SYN events go through the same sampling, event budget and per-source
 * bucket as RSTs, on the one sequence: 1-in-2 over 4 SYNs and 4 RSTs
 * alternating; then 5/s per source over 20 SYNs of one source.
 */
static void scen_ctl_limits(void)
{
	const struct rst_config half = { .sample = 2, .flags = RST_CFG_EV_SYN };
	const struct rst_config rate = { .sample = 1, .rate_limit = 5, .flags = RST_CFG_EV_SYN };
	const struct pkt_spec ss = { .flags = TH_SYN }, sr = { .flags = TH_RST };
	static struct frame syn, rst;
	struct totals t;
	__u32 slot, i;
	size_t n;

	build(&syn, &ss);
	build(&rst, &sr);
	cur_prog = progs[0].name;
	slot = slot_key(lo_ifindex, progs[0].dir);
	reset_state(&half);
	for (i = 0; i < 4; i++) {
		run_prog(0, &syn, NULL, NULL);
		run_prog(0, &rst, NULL, NULL);
	}
	exp_owner[slot] = lo_ifindex;
	read_counters(&t, slot, slot);
	/* Sequence 0, 2, 4, 6 are the SYNs: every SYN is sent, every RST sampled out. */
	if (t.ctl_ev[RST_CK_SYN][RST_CE_SENT] != 4 || t.ctl_ev[RST_CK_SYN][RST_CE_SAMPLED] != 0)
		fail("1-in-2: SYN sent %llu sampled %llu, expected 4 and 0",
		     (unsigned long long)t.ctl_ev[RST_CK_SYN][RST_CE_SENT],
		     (unsigned long long)t.ctl_ev[RST_CK_SYN][RST_CE_SAMPLED]);
	if (t.c[RST_C_EV_SENT] != 0 || t.c[RST_C_EV_SAMPLED] != 4)
		fail("1-in-2: RST sent %llu sampled %llu, expected 0 and 4",
		     (unsigned long long)t.c[RST_C_EV_SENT],
		     (unsigned long long)t.c[RST_C_EV_SAMPLED]);
	if (t.rst_seq != 8)
		fail("rst_seq: expected 8, got %llu", (unsigned long long)t.rst_seq);
	n = drain_events();
	if (n != 4)
		fail("1-in-2: events expected 4, got %zu", n);
	check_conservation();
	tap_end("syn events, sample 1/2 over SYN, RST alternating: one sequence, the SYNs sent");

	reset_state(&rate);
	for (i = 0; i < 20; i++)
		run_prog(0, &syn, NULL, NULL);
	exp_owner[slot] = lo_ifindex;
	read_counters(&t, slot, slot);
	if (t.ctl_ev[RST_CK_SYN][RST_CE_SENT] != 5 || t.ctl_ev[RST_CK_SYN][RST_CE_RATELIM] != 15)
		fail("5/s: SYN sent %llu rate limited %llu, expected 5 and 15",
		     (unsigned long long)t.ctl_ev[RST_CK_SYN][RST_CE_SENT],
		     (unsigned long long)t.ctl_ev[RST_CK_SYN][RST_CE_RATELIM]);
	n = drain_events();
	if (n != 5)
		fail("5/s: events expected 5, got %zu", n);
	check_conservation();
	tap_end("syn events, 5/s per source: 5 of 20 SYNs sent, 15 rate limited");
}

/* The fate maps emptied (reset_state leaves them): ring, counts, hosts. */
static void fate_clear(void)
{
	int ring = bpf_map__fd(skel->maps.fate_ring), ifs = bpf_map__fd(skel->maps.fate_ifs);
	int hosts = bpf_map__fd(skel->maps.fate_hosts);
	size_t big = sizeof(struct rst_fate_host_set);
	void *zero;
	__u32 i;

	/* One zero buffer for every value: as large as the largest. */
	if (big < sizeof(struct rst_fate_ring))
		big = sizeof(struct rst_fate_ring);
	if (big < sizeof(struct rst_fate_counts))
		big = sizeof(struct rst_fate_counts);
	zero = calloc((size_t)ncpu, big);
	if (!zero) {
		fail("fate_clear: out of memory");
		return;
	}
	i = 0;
	if (bpf_map_update_elem(ring, &i, zero, BPF_ANY))
		fail("fate_clear: the fate ring: %s", strerror(errno));
	for (i = 0; i < RST_FATE_IF_ENTRIES; i++)
		bpf_map_update_elem(ifs, &i, zero, BPF_ANY);
	for (i = 0; i < bpf_map__max_entries(skel->maps.fate_hosts); i++)
		bpf_map_update_elem(hosts, &i, zero, BPF_ANY);
	free(zero);
}

/* A fate's count summed over CPUs: the interface slot of ifindex, or the host of f's source. */
static __u64 fate_sum(__u32 ifindex, const struct frame *f, __u32 fate)
{
	struct rst_fate_counts *c = calloc((size_t)ncpu, sizeof(*c));
	const struct fate_host_row *h;
	struct fate_host_row *rows;
	__u32 key = ifindex % RST_IF_SLOTS;
	size_t n_rows;
	__u64 n = 0;
	int i;

	if (!c)
		return ~0ULL;
	if (!f && !bpf_map_lookup_elem(bpf_map__fd(skel->maps.fate_ifs), &key, c)) {
		for (i = 0; i < ncpu; i++)
			n += c[i].fate[fate];
	} else if (f) {
		/* The userspace reader: every CPU's line of the host merged (fatetrace.h). */
		if (fate_hosts_read(bpf_map__fd(skel->maps.fate_hosts), &rows, &n_rows)) {
			free(c);
			return ~0ULL;
		}
		h = fate_host_find(rows, n_rows, f->saddr, f->family);
		n = h ? h->v.fate[fate] : 0;
		free(rows);
	}
	free(c);
	return n;
}

/* The fate ring of the CPU that has pending slots (the one the test runs on), in *r. */
static __u32 fate_ring_read(struct rst_fate_ring *r)
{
	struct rst_fate_ring *v = calloc((size_t)ncpu, sizeof(*v));
	__u32 zero = 0, pending = 0;
	int i;

	memset(r, 0, sizeof(*r));
	if (!v || bpf_map_lookup_elem(bpf_map__fd(skel->maps.fate_ring), &zero, v)) {
		free(v);
		return ~0U;
	}
	for (i = 0; i < ncpu; i++) {
		pending += v[i].pending;
		if (v[i].pending)
			*r = v[i];
	}
	free(v);
	return pending;
}

/*
 * bpf/fate.bpf.h on the datapath: a SYN (xdp) and a SYN-ACK (tc-out)
 * leave their seq in the flow line with the handshake bits (the ISNs of
 * the connection stage); an RST received waits in the CPU's fate ring for
 * the stack's verdict, and one more than the ring holds reuses a slot
 * that got none (BPF_PROG_TEST_RUN has no stack): one fate counted
 * unknown, for the interface and for the sender.
 */
static void scen_stage_fate(void)
{
	const struct pkt_spec syn = { .flags = TH_SYN, .seq = 1000 };
	const struct pkt_spec synack = { .flags = TH_SYN | TH_ACK, .swap = 1, .seq = 5000 };
	const struct pkt_spec rst = { .flags = TH_RST, .seq = 7000 };
	const struct pkt_spec srst = { .flags = TH_RST | TH_ACK, .swap = 1, .seq = 5001 };
	static struct frame a, b, r, s;
	struct rst_flow_key key;
	struct rst_flow_val v;
	struct rst_fate_ring ring;
	__u32 d, i, n;

	cur_prog = "xdp + tc-out";
	build(&a, &syn);
	build(&b, &synack);
	reset_state(NULL);
	fate_clear();
	run_prog(0, &a, NULL, NULL);
	run_prog(2, &b, NULL, NULL);
	d = flow_key_of(&key, &a);
	if (flow_lookup(fd_flows, &key, &v)) {
		fail("flows: no entry");
	} else {
		if (v.hs != (RST_HS_SYN(d) | RST_HS_SYNACK(!d)))
			fail("hs: expected %#x, got %#x", RST_HS_SYN(d) | RST_HS_SYNACK(!d), v.hs);
		if (v.isn[d] != 1000 || v.isn[!d] != 5000)
			fail("isn (client, server): expected 1000, 5000, got %u, %u", v.isn[d],
			     v.isn[!d]);
	}
	tap_end("SYN and SYN-ACK keep their ISNs and the handshake bits in the flow line");

	cur_prog = "xdp";
	set_seq(&a, 2000);
	run_prog(0, &a, NULL, NULL);
	if (flow_lookup(fd_flows, &key, &v))
		fail("flows: no entry");
	else if (v.hs != RST_HS_SYN(d) || v.isn[d] != 2000)
		fail("hs/isn: expected %#x/2000, got %#x/%u", RST_HS_SYN(d), v.hs, v.isn[d]);
	tap_end("a SYN with another seq starts a new attempt: the old handshake forgotten");

	cur_prog = "xdp";
	build(&r, &rst);
	build(&s, &srst);
	reset_state(NULL);
	fate_clear();
	run_prog(0, &r, NULL, NULL);
	/* An RST sent (egress) awaits no verdict of this host's stack. */
	run_prog(2, &s, NULL, NULL);
	n = fate_ring_read(&ring);
	if (n != 1) {
		fail("pending: expected 1, got %u", n);
	} else {
		const struct rst_fate_slot *sl = &ring.slot[0];

		if (sl->state != 1 || memcmp(sl->k.saddr, r.saddr, 16) ||
		    memcmp(sl->k.daddr, r.daddr, 16) || sl->k.sport != r.sport ||
		    sl->k.dport != r.dport || sl->k.seq != 7000 || sl->k.family != r.family ||
		    sl->ifindex != lo_ifindex)
			fail("slot 0: state %u seq %u ports %u>%u ifindex %u, not the RST's",
			     sl->state, sl->k.seq, sl->k.sport, sl->k.dport, sl->ifindex);
	}
	tap_end("an RST received waits in the CPU's fate ring (addresses, ports, seq, interface)");

	for (i = 1; i <= RST_FATE_SLOTS; i++) {
		set_seq(&r, 7000 + i);
		run_prog(0, &r, NULL, NULL);
	}
	n = fate_ring_read(&ring);
	if (n != RST_FATE_SLOTS)
		fail("pending: expected %d, got %u", RST_FATE_SLOTS, n);
	if (fate_sum(lo_ifindex, NULL, RST_FATE_UNKNOWN) != 1)
		fail("interface: unknown fates: expected 1, got %llu",
		     (unsigned long long)fate_sum(lo_ifindex, NULL, RST_FATE_UNKNOWN));
	if (fate_sum(0, &r, RST_FATE_UNKNOWN) != 1)
		fail("host: unknown fates: expected 1, got %llu",
		     (unsigned long long)fate_sum(0, &r, RST_FATE_UNKNOWN));
	for (i = RST_FATE_ACCEPTED; i < RST_FATE_MAX; i++)
		if (i != RST_FATE_UNKNOWN && fate_sum(lo_ifindex, NULL, i))
			fail("interface: fate %u counted without a verdict", i);
	tap_end("one RST more than the ring holds: the slot with no verdict is one unknown fate, "
		"for the interface and the host");
}

/* The fate-host set of f's source (bpf/fate.bpf.h: the datapath's seed, RST_FATE_HOST_SETS). */
static __u32 fate_set_of(const struct frame *f)
{
	__u32 w[4];

	memcpy(w, f->saddr, 16);
	return rst_host_hash(w, f->family, t_seed) & skel->rodata->fate_host_mask;
}

/* The fates of every host line (merged over CPUs) and host_lost of the interfaces, summed. */
static void fate_host_totals(__u64 *hosts, __u64 *lost, size_t *n_hosts)
{
	struct rst_fate_counts *c = calloc((size_t)ncpu, sizeof(*c));
	struct fate_host_row *rows;
	__u32 key;
	size_t i;
	int f, k;

	*hosts = *lost = 0;
	*n_hosts = 0;
	if (!c || fate_hosts_read(bpf_map__fd(skel->maps.fate_hosts), &rows, n_hosts)) {
		free(c);
		fail("reading the fate tables");
		return;
	}
	for (i = 0; i < *n_hosts; i++)
		for (f = 0; f < RST_FATE_MAX; f++)
			*hosts += rows[i].v.fate[f];
	free(rows);
	for (key = 0; key < RST_FATE_IF_ENTRIES; key++)
		if (!bpf_map_lookup_elem(bpf_map__fd(skel->maps.fate_ifs), &key, c))
			for (k = 0; k < ncpu; k++)
				*lost += c[k].host_lost;
	free(c);
}

/*
 * The per-host fate table under a flood of new senders: per-CPU sets of
 * RST_FATE_HOST_WAYS lines (no hash insert), a reused line's counts move
 * to host_lost, so fates over hosts + host_lost == fates over interfaces.
 * Five senders in one set: their RSTs pushed out of the fate ring unjudged
 * (eight more from a sender of another set), five unknown fates, one of
 * them counted in host_lost when the fifth sender takes a line.
 */
static void scen_fate_hosts(void)
{
	const struct pkt_spec rst = { .flags = TH_RST, .seq = 9000 };
	static struct frame r;
	__u32 src[RST_FATE_HOST_WAYS + 1], a = 0x0a020001, want, filler;
	__u64 hosts, lost, unknown;
	size_t n_hosts;
	int k = 0, i, guard = 1 << 20;

	cur_prog = "xdp";
	build(&r, &rst);
	reset_state(NULL);
	fate_clear();
	set_src4(&r, a);
	want = fate_set_of(&r);
	src[k++] = a;
	while (k < RST_FATE_HOST_WAYS + 1 && guard--) {
		set_src4(&r, ++a);
		if (fate_set_of(&r) == want)
			src[k++] = a;
	}
	filler = a + 1;
	set_src4(&r, filler);
	while (fate_set_of(&r) == want)
		set_src4(&r, ++filler);
	if (k < RST_FATE_HOST_WAYS + 1) {
		fail("test bug: no %d sources in one fate-host set", RST_FATE_HOST_WAYS + 1);
		return;
	}
	for (i = 0; i < k; i++) {
		set_src4(&r, src[i]);
		set_seq(&r, 9000 + i);
		run_prog(0, &r, NULL, NULL);
	}
	set_src4(&r, filler);
	for (i = 0; i < RST_FATE_SLOTS; i++) {
		set_seq(&r, 9100 + i);
		run_prog(0, &r, NULL, NULL);
	}
	unknown = fate_sum(lo_ifindex, NULL, RST_FATE_UNKNOWN);
	fate_host_totals(&hosts, &lost, &n_hosts);
	if (unknown != (__u64)k)
		fail("interface: unknown fates: expected %d, got %llu", k,
		     (unsigned long long)unknown);
	if (lost != 1)
		fail("host_lost: expected 1 (a line reused), got %llu", (unsigned long long)lost);
	if (hosts + lost != unknown)
		fail("conservation: hosts %llu + host_lost %llu != interfaces %llu",
		     (unsigned long long)hosts, (unsigned long long)lost,
		     (unsigned long long)unknown);
	if (n_hosts != RST_FATE_HOST_WAYS)
		fail("host lines: expected %d (one set full), got %zu", RST_FATE_HOST_WAYS,
		     n_hosts);
	tap_end("fate hosts: five senders in one set of four lines, one line reused into "
		"host_lost; hosts + host_lost == interfaces");

	/*
	 * A line stamped after the datapath's coarse now (a tracing program's
	 * fine clock) is young, not the oldest: the victim is the line seen
	 * least recently. The set written by hand: way 0 a second ahead, way 2
	 * the oldest; the fifth sender's unjudged RST then takes way 2.
	 */
	{
		struct rst_fate_host_set *v = calloc((size_t)ncpu, sizeof(*v));
		int fd = bpf_map__fd(skel->maps.fate_hosts), cpu, w, gone = -1;
		struct timespec ts;
		__u32 now_t;

		if (!v) {
			fail("calloc");
			return;
		}
		reset_state(NULL);
		fate_clear();
		clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
		now_t = (__u32)(((__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec) >> RST_TICK_SHIFT);
		for (cpu = 0; cpu < ncpu; cpu++)
			for (w = 0; w < RST_FATE_HOST_WAYS; w++) {
				struct rst_fate_host_line *l = &v[cpu].way[w];

				pkt_put32(l->addr, src[w]);
				l->family = AF_INET;
				l->fate[RST_FATE_DROPPED] = 1;
				l->last_t = w == 0   ? now_t + 1000
					    : w == 2 ? now_t - 200
						     : now_t - 100;
			}
		if (bpf_map_update_elem(fd, &want, v, BPF_ANY))
			fail("writing the set: %s", strerror(errno));
		free(v);
		set_src4(&r, src[RST_FATE_HOST_WAYS]);
		set_seq(&r, 9200);
		run_prog(0, &r, NULL, NULL);
		set_src4(&r, filler);
		for (i = 0; i < RST_FATE_SLOTS; i++) {
			set_seq(&r, 9300 + i);
			run_prog(0, &r, NULL, NULL);
		}
		for (w = 0; w < RST_FATE_HOST_WAYS + 1; w++) {
			set_src4(&r, src[w]);
			/* Written on every CPU; the run's own CPU reused one line. */
			if (w < RST_FATE_HOST_WAYS &&
			    fate_sum(0, &r, RST_FATE_DROPPED) != (__u64)ncpu)
				gone = gone == -1 ? w : -2;
		}
		set_src4(&r, src[RST_FATE_HOST_WAYS]);
		if (gone != 2)
			fail("victim: expected way 2 (seen least recently), got way %d (-2: more "
			     "than one)",
			     gone);
		if (fate_sum(0, &r, RST_FATE_UNKNOWN) != 1)
			fail("the fifth sender: expected 1 unknown fate in its line");
		fate_host_totals(&hosts, &lost, &n_hosts);
		if (lost != 1)
			fail("host_lost: expected the victim's 1 fate on this CPU, got %llu",
			     (unsigned long long)lost);
		tap_end("fate hosts: a line stamped ahead of the coarse clock is young; the victim "
			"is the line seen least recently");
	}
}

/*
 * Per-CPU event rings (bpf/rings.bpf.h), forced on this machine whatever
 * its CPU count: a skeleton of its own, rings of one page each (--ring-size
 * ncpu pages), no rate limit or budget. The thread is moved from CPU to CPU
 * (test_run runs the program on the calling CPU), and each ring is read
 * alone, then all of them merged (user/kernel/rings.c).
 */
struct pr_ring_log {
	int n;
	__u32 seq[256];
	__u64 ts[256];
};

static int pr_on_event(void *ctx, void *data, size_t size)
{
	struct pr_ring_log *l = ctx;
	struct rst_event rec;
	const struct rst_event *e = rst_event_from_record(data, size, &rec);

	if (e && l->n < 256) {
		l->seq[l->n] = e->seq;
		l->ts[l->n] = e->ts_ns;
	}
	l->n++;
	return 0;
}

static int pr_pin(int c)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(c, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/* n RSTs of seq seq.. through prog_fd on CPU c. */
static void pr_run(int prog_fd, int c, struct frame *f, __u32 seq, __u32 n)
{
	static __u8 out[FRAME_MAX + 64];
	__u32 i;

	if (pr_pin(c)) {
		fail("moving to CPU %d: %s", c, strerror(errno));
		return;
	}
	for (i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = f->len,
			    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

		set_seq(f, seq + i);
		if (bpf_prog_test_run_opts(prog_fd, &o))
			fail("test_run on CPU %d: %s", c, strerror(errno));
	}
}

/* Events sent and ring-full of CPU c in the XDP slot of lo, minus base. */
static void pr_expect(int fd, int c, __u64 sent, __u64 full, const struct rst_counters *base)
{
	__u32 key = slot_key(lo_ifindex, RST_DIR_IN);

	if (bpf_map_lookup_elem(fd, &key, pcpu)) {
		fail("counters: %s", strerror(errno));
		return;
	}
	if (pcpu[c].c[RST_C_EV_SENT] - base[c].c[RST_C_EV_SENT] != sent ||
	    pcpu[c].c[RST_C_EV_RINGFULL] - base[c].c[RST_C_EV_RINGFULL] != full)
		fail("CPU %d: expected %llu sent, %llu ring full; got %llu, %llu", c,
		     (unsigned long long)sent, (unsigned long long)full,
		     (unsigned long long)(pcpu[c].c[RST_C_EV_SENT] - base[c].c[RST_C_EV_SENT]),
		     (unsigned long long)(pcpu[c].c[RST_C_EV_RINGFULL] -
					  base[c].c[RST_C_EV_RINGFULL]));
}

static void pr_base(int fd, struct rst_counters *base)
{
	__u32 key = slot_key(lo_ifindex, RST_DIR_IN);

	if (bpf_map_lookup_elem(fd, &key, base))
		fail("counters: %s", strerror(errno));
}

static void scen_percpu_rings(void)
{
	static struct frame f;
	struct rst_opts o;
	struct rsttrace *sk;
	struct rst_maps m;
	struct rst_rings *one[2] = { NULL, NULL }, *all = NULL;
	struct pr_ring_log lg[2], merged;
	struct rst_counters *base = calloc((size_t)ncpu, sizeof(*base));
	__u32 rec, cap, k = 1, i;
	long page = sysconf(_SC_PAGESIZE);
	int fds[2], n, xdp, home = sched_getcpu();

	if (ncpu < 2 || !base) {
		printf("ok %d - # SKIP per-CPU rings: %d possible CPUs\n", ++tap_num, ncpu);
		free(base);
		return;
	}
	opts_default(&o);
	o.rings = RINGS_PERCPU;
	o.ring_size = (__u32)page * 2;
	while (o.ring_size < (__u32)page * (__u32)ncpu)
		o.ring_size <<= 1; /* a page a ring (or more, rounded to a power of two) */
	o.rate_limit = 0;
	o.event_budget = 0;
	sk = rsttrace__open();
	if (!sk)
		bail("open skeleton (rings)", errno);
	sk->rodata->snaplen = snaplen;
	loader_size_tables(sk, T_HOST_SETS, T_FLOW_SETS);
	tracing_disable(sk->obj);
	fate_configure(sk, false);
	if (rings_configure(sk, &o) || rsttrace__load(sk) || rings_fill(sk, &o) ||
	    loader_apply_settings(bpf_map__fd(sk->maps.settings), &o))
		bail("load a skeleton with per-CPU rings", errno ? errno : EINVAL);
	maps_init(&m);
	maps_from_skel(&m, sk);
	xdp = bpf_program__fd(sk->progs.rst_xdp);
	cur_prog = "rst_xdp";
	n = rings_fds(&m, fds, 2, NULL);
	if (n != 2 || bpf_map__max_entries(sk->maps.ev_rings) != (__u32)ncpu)
		fail("expected %d rings in ev_rings, the first 2 open; got %u, %d", ncpu,
		     bpf_map__max_entries(sk->maps.ev_rings), n);
	for (i = 0; i < 2 && (int)i < n; i++) {
		memset(&lg[i], 0, sizeof(lg[i]));
		if (rings_new(&one[i], &fds[i], 1, pr_on_event, &lg[i]))
			bail("map a ring", EINVAL);
	}
	if (rings_open_maps(&all, &m, pr_on_event, &merged))
		bail("map the rings", EINVAL);
	build(&f, &spec_rst);
	rec = 8 + ((RST_EVENT_SIZE_FOR(f.len < snaplen ? f.len : snaplen) + 7) & ~7U);
	cap = (o.ring_size / (__u32)ncpu) / rec;
	if (!one[0] || !one[1])
		goto out;

	/* 1. An event is written to the ring of the CPU that ran the program. */
	pr_base(m.counters, base);
	pr_run(xdp, 0, &f, 100, 1);
	pr_run(xdp, 1, &f, 200, 2);
	pr_expect(m.counters, 0, 1, 0, base);
	pr_expect(m.counters, 1, 2, 0, base);
	rings_consume(one[0]);
	rings_consume(one[1]);
	if (lg[0].n != 1 || lg[0].seq[0] != 100 || lg[1].n != 2 || lg[1].seq[0] != 200 ||
	    lg[1].seq[1] != 201)
		fail("ring of CPU 0: %d events (seq %u), of CPU 1: %d (seq %u, %u); expected 1 "
		     "(100) and 2 (200, 201)",
		     lg[0].n, lg[0].seq[0], lg[1].n, lg[1].seq[0], lg[1].seq[1]);
	tap_end("per-CPU rings: an event lands in the ring of the CPU it ran on, counted there");

	/* 2. CPU 0's ring full: counted exactly there; CPU 1's still takes events. */
	memset(lg, 0, sizeof(lg));
	pr_base(m.counters, base);
	pr_run(xdp, 0, &f, 1000, cap + 5);
	pr_run(xdp, 1, &f, 5000, 3);
	pr_expect(m.counters, 0, cap, 5, base);
	pr_expect(m.counters, 1, 3, 0, base);
	rings_consume(one[0]);
	rings_consume(one[1]);
	if (lg[0].n != (int)cap || lg[1].n != 3 || lg[0].seq[0] != 1000 || lg[1].seq[2] != 5002)
		fail("drained %d from CPU 0's ring (expected %u), %d from CPU 1's (expected 3)",
		     lg[0].n, cap, lg[1].n);
	tap_end("per-CPU rings: CPU 0's ring full (%u records of %u bytes): 5 ring-full there, "
		"CPU 1 still sends 3",
		cap, rec);

	/* 3. Merged: events of both CPUs in the order of their time stamps. */
	memset(&merged, 0, sizeof(merged));
	for (i = 0; i < 6; i++)
		pr_run(xdp, (int)(i % 2), &f, 7000 + i, 1);
	pr_run(xdp, 1, &f, 7006, 1);
	pr_run(xdp, 0, &f, 7007, 1);
	rings_consume(all);
	if (merged.n != 8)
		fail("merged: expected 8 events, got %d", merged.n);
	for (i = 0; i < 8 && (int)i < merged.n; i++)
		if (merged.seq[i] != 7000 + i || (i && merged.ts[i] < merged.ts[i - 1]))
			fail("merged event %u: seq %u ts %llu (expected seq %u, in time order)", i,
			     merged.seq[i], (unsigned long long)merged.ts[i], 7000 + i);
	tap_end("per-CPU rings: one consumer merges the rings in time order (8 events, CPUs "
		"0,1,0,1,0,1,1,0)");

	/* 4. A slot without a ring: that CPU's events are ring-full, none lost uncounted. */
	memset(lg, 0, sizeof(lg));
	pr_base(m.counters, base);
	if (bpf_map_delete_elem(m.ev_rings, &k))
		fail("emptying slot 1: %s", strerror(errno));
	pr_run(xdp, 1, &f, 9000, 4);
	pr_run(xdp, 0, &f, 9100, 1);
	pr_expect(m.counters, 1, 0, 4, base);
	pr_expect(m.counters, 0, 1, 0, base);
	rings_consume(one[0]);
	rings_consume(one[1]);
	if (lg[0].n != 1 || lg[1].n != 0)
		fail("after emptying slot 1: %d events in CPU 0's ring, %d in CPU 1's; expected 1, "
		     "0",
		     lg[0].n, lg[1].n);
	tap_end("per-CPU rings: a CPU without a ring counts its 4 events ring-full, CPU 0 sends");
out:
	rings_free(one[0]);
	rings_free(one[1]);
	rings_free(all);
	rsttrace__destroy(sk);
	free(base);
	if (pr_pin(home < 0 ? 0 : home))
		bail("back to the test's CPU", errno);
}

/* Generated checks and scenarios, by the names TESTS selects them with. */
static const struct {
	const char *name;
	void (*fn)(void);
} groups[] = {
	{ "matrix", run_matrix },
	{ "truncations", run_truncations },
	{ "frag_truncations", run_frag_truncations },
	{ "sampling", scen_sampling },
	{ "sampling_dirs", scen_sampling_dirs },
	{ "events_off", scen_events_off },
	{ "ratelimit", scen_ratelimit },
	{ "burst", scen_burst },
	{ "refill", scen_refill },
	{ "sample_and_rate", scen_sample_and_rate },
	{ "ringfull", scen_ringfull },
	{ "slot_overflow", scen_slot_overflow },
	{ "conversation", scen_conversation },
	{ "host_collision", scen_host_collision },
	{ "hash_seed", scen_hash_seed },
	{ "dump_batches", scen_dump_batches },
	{ "flow_full", scen_flow_full },
	{ "flow_evict", scen_flow_evict },
	{ "flow_budget", scen_flow_budget },
	{ "event_budget", scen_event_budget },
	{ "ttl_change", scen_ttl_change },
	{ "reasons", scen_reasons },
	{ "late_join", scen_late_join },
	{ "ctl_events", scen_ctl_events },
	{ "ctl_limits", scen_ctl_limits },
	{ "causes", scen_causes },
	{ "stage_fate", scen_stage_fate },
	{ "fate_hosts", scen_fate_hosts },
	{ "percpu_rings", scen_percpu_rings },
};

/*
 * TESTS selects rows and groups by name, so a name used twice would run
 * two tests under one pattern and one TAP name: refuse to start. Run as a
 * constructor, before main, so that no row table can go unchecked.
 */
__attribute__((constructor)) static void check_names_unique(void)
{
	const size_t nrows = sizeof(rows) / sizeof(rows[0]);
	const size_t ngroups = sizeof(groups) / sizeof(groups[0]);
	size_t i, j, n = nrows + ngroups;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++) {
			const char *a = i < nrows ? rows[i].name : groups[i - nrows].name;
			const char *b = j < nrows ? rows[j].name : groups[j - nrows].name;

			if (!strcmp(a, b)) {
				printf("not ok 1 - unique test names\n# \"%s\" names two tests "
				       "(rows and groups must differ)\nBail out!\n",
				       a);
				exit(1);
			}
		}
}

int main(int argc, char **argv)
{
	cpu_set_t set;
	size_t i, j;
	int opt, cpu, err;

	while ((opt = getopt(argc, argv, "s:")) != -1) {
		char *end;

		if (opt != 's')
			goto usage;
		errno = 0;
		snaplen = strtoul(optarg, &end, 10);
		if (errno || *end || !*optarg || snaplen > RST_SNAPLEN_MAX) {
			fprintf(stderr, "prog_test: bad -s %s (0..%d)\n", optarg, RST_SNAPLEN_MAX);
			return 2;
		}
	}
	if (optind != argc) {
usage:
		fprintf(stderr, "usage: prog_test [-s SNAPLEN]\n");
		return 2;
	}

	/*
	 * Per-CPU counters and the per-CPU RST sequence that drives sampling:
	 * stay on one CPU so that every run lands in the same per-CPU value.
	 */
	cpu = sched_getcpu();
	CPU_ZERO(&set);
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		bail("pin to one CPU", errno);

	libbpf_set_print(libbpf_print);
	lo_ifindex = if_nametoindex("lo");
	if (!lo_ifindex)
		bail("ifindex of lo (test_run's device)", errno);
	ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		bail("possible CPUs", -ncpu);
	pcpu = calloc(ncpu, sizeof(*pcpu));
	snap_all = calloc((size_t)RST_COUNTER_ENTRIES * ncpu, sizeof(*snap_all));
	if (!pcpu || !snap_all)
		bail("calloc", ENOMEM);
	for (i = 0; i < RST_COUNTER_ENTRIES; i++)
		slot_keys[i] = i;

	session_init(&sess);
	skel = rsttrace__open();
	if (!skel)
		bail("open skeleton", errno);
	skel->rodata->snaplen = snaplen;
	loader_size_tables(skel, T_HOST_SETS, T_FLOW_SETS);
	/* The tracing program only where the kernel has its tracepoint, as rsttrace does. */
	tracing_configure(skel->obj);
	/* The egress origins as loader.c sets them with the tracing programs (every namespace). */
	skel->rodata->causes_on = 1;
	err = rsttrace__load(skel);
	if (err)
		bail("load skeleton (root?)", -err);
	printf("# snaplen %u, %d possible CPUs, pinned to CPU %d, lo is ifindex %u\n", snaplen,
	       ncpu, cpu, lo_ifindex);

	/* Sized here, not by loader_open_load: the session takes it over as loaded. */
	session_adopt(&sess, skel);
	progs[0].fd = sess.progs.xdp;
	progs[1].fd = sess.progs.tc_in;
	progs[2].fd = sess.progs.tc_out;
	fd_counters = sess.maps.counters;
	fd_settings = sess.maps.settings;
	fd_flows = sess.maps.flows;
	fd_hosts = sess.maps.hosts;
	fd_budget = bpf_map__fd(skel->maps.budget);
	fd_reasons = sess.maps.reasons;
	fd_causes = sess.maps.causes;
	fd_cause_hosts = sess.maps.cause_hosts;
	fd_cz_rings = bpf_map__fd(skel->maps.cz_rings);
	{
		/* Looked up by name: not every build has the filter map. */
		struct bpf_map *m = bpf_object__find_map_by_name(skel->obj, "evfilter");

		if (m && bpf_map__value_size(m) > 65536)
			bail("evfilter value larger than the test's zero buffer", E2BIG);
		fd_evfilter = m ? bpf_map__fd(m) : -1;
	}
	ring_size = bpf_map__max_entries(skel->maps.events);
	ev_seq_cap = ring_size / (8 + RST_EVENT_HDR + 64) + 16;
	ev_seqs = calloc(ev_seq_cap, sizeof(*ev_seqs));
	if (!ev_seqs)
		bail("calloc", ENOMEM);
	err = session_ring(&sess, on_event, NULL);
	if (err)
		bail("ring_buffer__new", -err);
	rb = sess.rb;
	if (bpf_map__value_size(skel->maps.counters) != sizeof(struct rst_counters))
		bail("counters value size differs from struct rst_counters", EINVAL);

	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		/* The table rows, each by its own name, come after the matrix. */
		if (i == 1)
			for (j = 0; j < sizeof(rows) / sizeof(rows[0]); j++)
				if (selected(rows[j].name))
					run_row(&rows[j]);
		if (selected(groups[i].name))
			groups[i].fn();
	}

	printf("1..%d\n", tap_num);
	if (tap_failed)
		printf("# %d of %d failed\n", tap_failed, tap_num);
	session_close(&sess); /* the ring and the skeleton */
	free(ev_seqs);
	free(pcpu);
	free(snap_all);
	return tap_failed ? 1 : 0;
}
