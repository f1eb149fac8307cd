/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The ABI shared by the BPF programs and the rsttrace binary: map keys and
 * values, the ring buffer event, counter indexes. Fixed-width types only,
 * largest fields first, padding explicit; user/kernel/abi.c asserts every size.
 * Changing a layout means bumping RST_ABI_VERSION (pinned maps carry it).
 */
#ifndef RSTTRACE_H
#define RSTTRACE_H

#ifdef __BPF__
/* The BPF side gets the __uN types from vmlinux.h. */
#else
#include <linux/types.h>
#endif

#define RST_ABI_VERSION 5

/* Largest header snapshot an event can carry (--snaplen upper bound). */
#define RST_SNAPLEN_MAX	    256
#define RST_SNAPLEN_DEFAULT 128

/*
 * Counters are kept per interface slot and direction. A slot is the
 * interface index modulo RST_IF_SLOTS; the value records the ifindex that
 * owns it, and a packet whose slot is owned by another interface is counted
 * in the shared overflow slot RST_IF_SLOTS instead, so totals stay exact.
 */
#define RST_IF_SLOTS	    64
#define RST_COUNTER_ENTRIES ((RST_IF_SLOTS + 1) * 2)

/* Bound of the IPv6 extension-header walk (headers, not bytes). */
#define RST_IPV6_EXT_MAX 6
/* VLAN tags parsed (802.1Q and 802.1ad); a third tag is not IP to us. */
#define RST_VLAN_MAX 2

/*
 * Defaults of the map-size options: host and flow lines per CPU (the
 * tables are per CPU, userspace merges them). loader.c scales them down on
 * machines with many CPUs so that the default footprint stays below 64 MiB
 * on 64 CPUs (docs/architecture.md, "Memory").
 */
#define RST_MAX_FLOWS_DEFAULT 65536
#define RST_MAX_HOSTS_DEFAULT 16384
#define RST_MIN_LINES	      4096 /* the scaled defaults never go below this */
#define RST_RINGBUF_DEFAULT   (4U << 20)
/* --rings auto: one ring per CPU from this many possible CPUs on (bpf/rings.bpf.h) */
#define RST_RINGS_PERCPU_MIN_CPUS 8
#define RST_RATE_DEFAULT	  1000	/* events/s per source */
#define RST_FLOW_BUDGET_DEFAULT	  20000 /* new flows/s per CPU */
#define RST_EV_BUDGET_DEFAULT	  20000 /* events/s per CPU */
#define RST_REASONS_DEFAULT	  4096	/* entries of the kernel-reason map */

/* Where a program runs. */
enum rst_hook {
	RST_HOOK_XDP = 0,
	RST_HOOK_TC_INGRESS = 1,
	RST_HOOK_TC_EGRESS = 2,
	RST_HOOK_MAX,
};

enum rst_dir {
	RST_DIR_IN = 0,
	RST_DIR_OUT = 1,
};

/* Global counter indexes (struct rst_counters.c[]). */
enum rst_counter {
	RST_C_PACKETS = 0, /* every packet a program saw */
	RST_C_TCP4,	   /* TCP over IPv4, headers valid */
	RST_C_TCP6,	   /* TCP over IPv6, headers valid */
	RST_C_SYN,	   /* SYN without ACK */
	RST_C_SYNACK,	   /* SYN with ACK */
	RST_C_FIN,	   /* FIN set (any other flags) */
	RST_C_RST,	   /* RST without ACK */
	RST_C_RSTACK,	   /* RST with ACK */
	RST_C_FRAGMENT,	   /* non-first IP fragments: passed, not parsed */
	RST_C_EV_SENT,	   /* RST events written to the ring buffer */
	RST_C_EV_SAMPLED,  /* RSTs not sent: sampled out (1-in-N) */
	RST_C_EV_RATELIM,  /* RSTs not sent: per-source rate limit */
	RST_C_EV_RINGFULL, /* RSTs not sent: ring buffer full */
	RST_C_EV_FILTERED, /* RSTs not sent: kernel-side event filter */
	RST_C_FLOW_ERR,	   /* flow map update failed */
	RST_C_HOST_ERR,	   /* host map update failed */
	RST_C_MAX,
};

/* Malformed-packet reasons (struct rst_counters.malformed[]). */
enum rst_malformed {
	RST_M_ETH_TRUNC = 0, /* shorter than an Ethernet header */
	RST_M_VLAN_TRUNC,    /* VLAN tag cut short */
	RST_M_IP4_TRUNC,     /* shorter than a 20-byte IPv4 header */
	RST_M_IP4_VERSION,   /* ethertype IPv4, version field not 4 */
	RST_M_IP4_IHL,	     /* IHL below 5 */
	RST_M_IP4_OPT_TRUNC, /* IHL * 4 runs past the packet */
	RST_M_IP4_TOTLEN,    /* total length below IHL * 4 or past the packet */
	RST_M_IP6_TRUNC,     /* shorter than a 40-byte IPv6 header */
	RST_M_IP6_VERSION,   /* ethertype IPv6, version field not 6 */
	RST_M_IP6_PAYLEN,    /* payload length past the packet */
	RST_M_IP6_EXT_TRUNC, /* extension header runs past the packet */
	RST_M_IP6_EXT_DEPTH, /* more than RST_IPV6_EXT_MAX extension headers */
	RST_M_TCP_TRUNC,     /* shorter than a 20-byte TCP header */
	RST_M_TCP_DOFF,	     /* data offset below 5 */
	RST_M_TCP_OPT_TRUNC, /* doff * 4 runs past the IP payload */
	RST_M_MAX,
};

/* Host flags of the accounting arrays (struct rst_counters.host_lost[][]). */
enum rst_host_flag {
	RST_HF_RST = 0, /* RST or RST-ACK */
	RST_HF_SYN,	/* SYN without ACK */
	RST_HF_FIN,
	RST_HF_MAX,
};

/* Flow flags of the accounting arrays (struct rst_counters.flow_lost[][]). */
enum rst_flow_flag {
	RST_FF_SYN = 0,
	RST_FF_SYNACK,
	RST_FF_FIN,
	RST_FF_RST,
	RST_FF_RSTACK,
	RST_FF_MAX,
};

/* Why a flag a flow should carry is not in the flow table. */
enum rst_flow_cause {
	RST_FL_EVICTED = 0, /* it was, in a flow line since evicted (or flushed) */
	RST_FL_FULL,	    /* SYN / SYN-ACK: every way of its set busy within the last second */
	RST_FL_BUDGET,	    /* SYN / SYN-ACK: the CPU's new-flow budget of this second is spent */
	RST_FL_NOFLOW,	    /* FIN / RST: no flow (its host has none, or not this one) */
	RST_FL_MAX,
};

/*
 * The control packets other than RSTs that can become events when asked
 * (settings flags RST_CFG_EV_*), and what became of each as an event
 * (struct rst_counters.ctl_ev[kind][cause]). A packet of several kinds
 * (SYN and FIN) counts in each; one with RST counts in the RST counters
 * (RST_C_EV_*) too.
 */
enum rst_ctl_kind {
	RST_CK_SYN = 0, /* SYN without ACK */
	RST_CK_SYNACK,	/* SYN with ACK */
	RST_CK_FIN,	/* FIN set */
	RST_CK_MAX,
};

enum rst_ctl_cause {
	RST_CE_SENT = 0, /* written to the ring buffer */
	RST_CE_SAMPLED,	 /* sampled out (1-in-N) */
	RST_CE_RATELIM,	 /* the event budget or the per-source rate limit */
	RST_CE_RINGFULL, /* ring buffer full */
	RST_CE_FILTERED, /* events off, or the kernel-side event filter */
	RST_CE_NOTASKED, /* its kind is not an event kind now (the default: RSTs only) */
	RST_CE_MAX,
};

/*
 * One per (interface slot, direction), per CPU. host_lost and flow_lost
 * are the accounting identities' other half: per direction and flag,
 *   sum over host lines + host_lost == the global counters,
 * and per flag, sum over flow lines + flow_lost[every cause] == global.
 * A line's counts move there when it is evicted; the packet that evicted
 * it decides the slot, so they are meaningful summed over slots.
 */
struct rst_counters {
	__u64 c[RST_C_MAX];
	__u64 malformed[RST_M_MAX];
	__u64 host_lost[2][RST_HF_MAX];		 /* [direction][flag], evicted */
	__u64 flow_lost[RST_FL_MAX][RST_FF_MAX]; /* [cause][flag] */
	__u64 rst_seq; /* per-CPU sequence of RSTs (and SYN/FIN events asked): 1-in-N sampling */
	__u32 ifindex; /* owner of the slot; 0 while unused */
	__u32 pad;
	/*
	 * The fate of every SYN, SYN-ACK and FIN as an event (bpf/ctlevents.bpf.h):
	 * per kind, the causes add up to the global counter of that flag.
	 */
	__u64 ctl_ev[RST_CK_MAX][RST_CE_MAX];
};

/* Settings that may change while attached (array map, key 0). */
struct rst_config {
	__u32 sample;	    /* 1-in-N RSTs become events; 0 and 1 mean all */
	__u32 rate_limit;   /* events/s per source address; 0 disables */
	__u32 burst;	    /* token bucket depth in events; 0 means rate_limit */
	__u32 flags;	    /* RST_CFG_* */
	__u32 flow_budget;  /* new flows per second per CPU; 0: no limit */
	__u32 event_budget; /* events per second per CPU, before the per-source limit; 0: none */
	/*
	 * The tables' hash seed, random per load (loader.c), never changed
	 * while the tables live: readers that look a key up (mapread.c)
	 * take it from here. A flood cannot aim at one set without it.
	 */
	__u32 hash_seed;
	__u32 pad;
	/* Derived from rate_limit and burst by rst_config_derive(): no division per event. */
	__u64 rate_interval_ns; /* 1e9 / rate_limit */
	__u64 rate_depth_ns;	/* interval x burst (burst 0: rate_limit) */
};

#define RST_CFG_EVENTS_OFF (1U << 0) /* count only, no events */
/*
 * Event kinds besides RST (all clear: RSTs only, the default). Checked
 * only on the control-packet path (bpf/ctlevents.bpf.h).
 */
#define RST_CFG_EV_SYN	  (1U << 1) /* SYN without ACK */
#define RST_CFG_EV_SYNACK (1U << 2) /* SYN with ACK */
#define RST_CFG_EV_FIN	  (1U << 3) /* FIN */
#define RST_CFG_EV_NORST  (1U << 4) /* RSTs are not events (counted as filtered) */
#define RST_CFG_EV_CTL	  (RST_CFG_EV_SYN | RST_CFG_EV_SYNACK | RST_CFG_EV_FIN)

/*
 * Kernel-side event filter (array map "evfilter", key 0): the part of a
 * pcap-filter expression the kernel can check before it reserves ring
 * space. An OR of up to RST_EVF_TERMS terms, each an AND of up to
 * RST_EVF_LITS literals; n_terms 0 lets every RST through. Userspace keeps
 * the whole expression (libpcap) as the truth: this filter may only ever
 * pass a superset of what the expression selects (user/filter/filter.c).
 */
#define RST_EVF_TERMS 8
#define RST_EVF_LITS  4

/* Literal kinds (struct rst_evf_lit.kind). */
#define RST_EVF_TRUE   0 /* unused slot: always true, never negated */
#define RST_EVF_FAMILY 1 /* family == lit.family (pcap "ip", "ip6") */
#define RST_EVF_ADDR   2 /* lit.family and (address & mask) == addr */
#define RST_EVF_PORT   3 /* TCP port == lit.port */

/* Literal flags: which endpoint must match, and negation. */
#define RST_EVF_SRC  (1U << 0)
#define RST_EVF_DST  (1U << 1)
#define RST_EVF_BOTH (1U << 2) /* "src and dst": both endpoints */
#define RST_EVF_NOT  (1U << 3)

struct rst_evf_lit {
	__u8 addr[16]; /* network byte order, already masked */
	__u8 mask[16];
	__u16 port;  /* host byte order */
	__u8 kind;   /* RST_EVF_TRUE.. */
	__u8 flags;  /* RST_EVF_SRC.. ; neither SRC nor DST: either one */
	__u8 family; /* AF_INET or AF_INET6 */
	__u8 pad[3];
};

struct rst_evfilter {
	__u32 n_terms; /* 0: no filter */
	__u32 pad;
	struct rst_evf_lit lit[RST_EVF_TERMS][RST_EVF_LITS];
};

/*
 * The host and flow tables are per-CPU arrays of sets (PERCPU_ARRAY, key:
 * the set index, value: RST_*_WAYS lines). A line's set is a hash of its
 * key (rst_host_hash, rst_flow_hash below, which both sides use), the same
 * on every CPU, so userspace merges a set's lines of every CPU by key.
 * No LRU, no lock, no line shared between CPUs: a new key takes a free
 * way or evicts the way least recently seen, whose counts move into the
 * exact per-CPU host_lost / flow_lost counters.
 *
 * Times in lines are coarse: CLOCK_MONOTONIC (coarse) ns >> RST_TICK_SHIFT
 * (1.05 ms), 32 bits (52 days; userspace unwraps against the present).
 */
#define RST_HOST_WAYS  4
#define RST_FLOW_WAYS  4
#define RST_TICK_SHIFT 20
/* A flow line seen within this many ticks (~1 s) is never evicted: "table full". */
#define RST_FLOW_BUSY_TICKS 954

/* Host line flags. */
#define RST_HL_FLOWS (1U << 0) /* a flow with this host was created on this CPU */

/* One host on one CPU: one cache line. */
struct rst_host_line {
	__u8 addr[16];
	__u64 tat_ns; /* the per-source token bucket, as a GCRA arrival time */
	__u32 rst_in; /* RST or RST-ACK received from the host */
	__u32 rst_out;
	__u32 syn_in; /* SYN (without ACK) from the host */
	__u32 syn_out;
	__u32 fin_in;
	__u32 fin_out;
	__u32 first_t; /* ticks */
	__u32 last_t;
	__u8 family; /* AF_INET or AF_INET6; 0: free way */
	__u8 flags;  /* RST_HL_* */
	__u8 pad[6];
};

/*
 * A set opens with one cache line of tags and last-seen ticks, so that a
 * lookup compares four tags in one line and reads a line only where its
 * tag matches: a new key (a spoofed source) misses on one cache line, not
 * on every way's. tag: rst_tag() of the key's hash, 0 for a free way.
 */
struct rst_set_hdr {
	__u32 tag[4];
	__u32 last_t[4]; /* ticks, as the lines' own last_t */
	__u8 pad[32];
};

struct rst_host_set {
	struct rst_set_hdr hdr;
	struct rst_host_line way[RST_HOST_WAYS];
};

/* One flow on one CPU; endpoint A is the smaller (address, port), as below. */
struct rst_flow_line {
	__u8 addr_a[16];
	__u8 addr_b[16];
	__u16 port_a; /* host byte order */
	__u16 port_b;
	__u32 syn[2];
	__u32 synack[2];
	__u32 fin[2];
	__u32 rst[2];
	__u32 rstack[2];
	__u32 first_t; /* ticks */
	__u32 last_t;
	__u32 ifindex; /* interface of the last update */
	__u8 family;   /* 0: free way */
	__u8 ttl[2];
	__u8 hs; /* RST_HS_*: which handshake packets set isn[] (docs/stage.md) */
	__u8 pad[4];
	__u32 isn[2]; /* seq of the SYN / SYN-ACK sent by A [0] and by B [1] */
};

struct rst_flow_set {
	struct rst_set_hdr hdr;
	struct rst_flow_line way[RST_FLOW_WAYS];
};

/*
 * The set of a key: a multiplicative mix of its 32-bit words, masked by
 * the number of sets (a power of two). Words are read as stored (network
 * byte order bytes in host order words), the same on both sides.
 */
static inline __u32 rst_mix(__u32 h, __u32 w)
{
	h ^= w;
	h *= 0x9e3779b1U;
	return h ^ (h >> 15);
}

/*
 * The last step of a key's hash: murmur3's fmix32, so that every input bit
 * reaches the low bits the set index takes. A multiply alone carries a
 * word's high bits (where IPv4 addresses, read as stored, differ within
 * a /24 on little-endian) only upwards: one mix and a shift put the hosts
 * of one /24 into a handful of sets.
 */
static inline __u32 rst_fmix(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bU;
	h ^= h >> 13;
	h *= 0xc2b2ae35U;
	return h ^ (h >> 16);
}

/* A key's tag in its set: other bits of its hash than the set index's; never 0. */
static inline __u32 rst_tag(__u32 h)
{
	return rst_mix(h, 0x85ebca6bU) | 1;
}

/*
 * seed (struct rst_config.hash_seed) enters first, so that which keys
 * share a set differs from load to load. XXX: a cheap mix, not a keyed
 * PRF (SipHash would cost about three times the hash): it keeps a blind
 * flood from aiming at one set, not an attacker who can watch the sets.
 */
static inline __u32 rst_host_hash(const __u32 *a, __u8 family, __u32 seed)
{
	__u32 h = rst_mix(seed ^ family, a[0]);

	/* IPv4 has one word (the rest is zero): one mix, not four, on the flood path. */
	if (family != 2) {
		h = rst_mix(h, a[1]);
		h = rst_mix(h, a[2]);
		h = rst_mix(h, a[3]);
	}
	return rst_fmix(h);
}

static inline __u32 rst_flow_hash(const __u32 *a, const __u32 *b, __u16 pa, __u16 pb, __u8 family,
				  __u32 seed)
{
	__u32 h = rst_mix(seed ^ family, ((__u32)pa << 16) | pb);
	int i;

	if (family == 2) { /* AF_INET: one word each, the rest is zero */
		h = rst_mix(rst_mix(h, a[0]), b[0]);
		return rst_fmix(h);
	}
	for (i = 0; i < 4; i++)
		h = rst_mix(h, a[i]);
	for (i = 0; i < 4; i++)
		h = rst_mix(h, b[i]);
	return rst_fmix(h);
}

/*
 * What readers get (user/mapread.h merges the lines of every CPU into
 * these): a flow is stored once for both directions: endpoint A is the one
 * with the smaller (address, port), so index 0 of the per-direction arrays
 * means "sent by A" and index 1 "sent by B".
 */
struct rst_flow_key {
	__u8 addr_a[16]; /* IPv4 in the first 4 bytes, rest zero */
	__u8 addr_b[16];
	__u16 port_a; /* host byte order */
	__u16 port_b;
	__u8 family; /* AF_INET or AF_INET6 */
	__u8 proto;  /* IPPROTO_TCP */
	__u8 pad[2];
};

struct rst_flow_val {
	__u64 first_ns; /* CLOCK_MONOTONIC, to the tick */
	__u64 last_ns;
	__u32 syn[2];
	__u32 synack[2];
	__u32 fin[2];
	__u32 rst[2];
	__u32 rstack[2];
	__u32 ifindex; /* interface of the last update */
	__u8 ttl[2];   /* last TTL / hop limit seen per direction */
	__u8 pad[2];
	__u32 isn[2]; /* as in the line: the ISN each side's SYN or SYN-ACK carried */
	__u8 hs;      /* RST_HS_* */
	__u8 pad2[7];
};

/* A host is the peer: the source of what came in, the target of what went out. */
struct rst_host_key {
	__u8 addr[16];
	__u8 family;
	__u8 pad[3];
};

struct rst_host_val {
	__u64 first_ns;
	__u64 last_ns;
	__u64 rst_in;  /* RST or RST-ACK received from the host */
	__u64 rst_out; /* RST or RST-ACK sent to the host */
	__u64 syn_in;  /* SYN (without ACK) from the host */
	__u64 syn_out;
	__u64 fin_in;
	__u64 fin_out;
};

/* Per-CPU budget state (map "budget", not pinned: it restarts with the programs). */
struct rst_budget {
	__u32 flow_win; /* the second (ns >> 30) the flow budget counts in */
	__u32 flow_used;
	__u32 ev_win;
	__u32 ev_used;
};

/*
 * The kernel's reason and socket state for an RST this host sends, keyed
 * by the addresses and ports the RST carries (its source is this host),
 * from the tcp_send_reset tracepoint. An RST that answers a packet is
 * recorded before it leaves (late 0): the TC egress program takes the
 * record into the event. An active reset (tcp_send_active_reset: abortive
 * close, timeout...) reaches the tracepoint only after it left (late 1):
 * userspace takes the record for the event it already has
 * (RST_EV_LOCAL), matching by time.
 */
struct rst_reason_key {
	__u8 saddr[16]; /* IPv4 in the first 4 bytes, rest zero */
	__u8 daddr[16];
	__u16 sport; /* host byte order */
	__u16 dport;
	__u8 family; /* AF_INET or AF_INET6 */
	__u8 late;   /* 1: recorded after the RST left */
	__u8 pad[2];
};

struct rst_reason_val {
	__u64 ts_ns; /* CLOCK_MONOTONIC when recorded */
	__u8 reason; /* enum sk_rst_reason + 1; 0: unknown */
	__u8 state;  /* the socket's TCP state + 1; 0: no socket */
	__u8 pad[6];
};

/* A record further than this from its RST in time is not that RST's. */
#define RST_REASON_MAX_AGE_NS (1000ULL * 1000 * 1000)

/* Event flags. */
#define RST_EV_VLAN	  (1U << 0) /* the frame carried at least one VLAN tag */
#define RST_EV_TTL_CHANGE (1U << 1) /* TTL differs from the sender's earlier SYN/FIN/RST */
#define RST_EV_LOCAL	  (1U << 2) /* sent by its own socket here: a late reason may follow */

/* One sampled RST, as the ring buffer carries it. */
struct rst_event {
	__u64 ts_ns;	/* CLOCK_MONOTONIC */
	__u8 saddr[16]; /* IPv4 in the first 4 bytes */
	__u8 daddr[16];
	__u32 ifindex;
	__u32 seq; /* host byte order */
	__u32 ack;
	__u32 pkt_len; /* bytes on the wire (frame length) */
	__u16 sport;   /* host byte order */
	__u16 dport;
	__u16 win;
	__u16 ip_id;		    /* IPv4 identification; 0 for IPv6 */
	__u16 payload_len;	    /* TCP payload bytes per the IP length */
	__u16 snap_len;		    /* valid bytes in snap[] */
	__u16 l3_off;		    /* offset of the IP header in snap[] */
	__u16 l4_off;		    /* offset of the TCP header in snap[] */
	__u8 family;		    /* AF_INET or AF_INET6 */
	__u8 hook;		    /* enum rst_hook */
	__u8 dir;		    /* enum rst_dir */
	__u8 tcp_flags;		    /* byte 13 of the TCP header */
	__u8 ttl;		    /* TTL or hop limit */
	__u8 ev_flags;		    /* RST_EV_* */
	__u8 reason;		    /* sent here: enum sk_rst_reason + 1; 0: unknown */
	__u8 sk_state;		    /* sent here: the socket's TCP state + 1; 0: unknown */
	__u8 snap[RST_SNAPLEN_MAX]; /* the frame from its Ethernet header on */
};

#define RST_EVENT_SIZE 336
/* The fields before the snapshot: every record has them. */
#define RST_EVENT_HDR 80
/*
 * Records are sized: the event up to the end of its snapshot, in one of
 * three sizes (the ring needs a constant size at reserve): HDR + 64, HDR +
 * 128, or the whole event. A consumer copies a record into a zeroed
 * struct rst_event (rst_event_from_record) and reads snap_len bytes.
 */
#define RST_EVENT_SIZE_FOR(snap)                                                                   \
	((snap) <= 64 ? RST_EVENT_HDR + 64 : (snap) <= 128 ? RST_EVENT_HDR + 128 : RST_EVENT_SIZE)

#ifndef __BPF__
#include <string.h>

/* The fields of a struct rst_config the kernel takes ready-made: call after any change. */
static inline void rst_config_derive(struct rst_config *c)
{
	__u32 burst = c->burst ? c->burst : c->rate_limit;

	c->rate_interval_ns = c->rate_limit ? 1000000000ULL / c->rate_limit : 0;
	c->rate_depth_ns = c->rate_interval_ns * burst;
}

/* The event of a ring record of size bytes, in buf; NULL if it is not one. */
static inline const struct rst_event *rst_event_from_record(const void *data, size_t size,
							    struct rst_event *buf)
{
	const struct rst_event *e = (const struct rst_event *)data;

	if (size < RST_EVENT_HDR || size > sizeof(*buf) ||
	    RST_EVENT_HDR + (size_t)e->snap_len > size)
		return NULL;
	if (size == sizeof(*buf))
		return e;
	memcpy(buf, data, size);
	memset((char *)buf + size, 0, sizeof(*buf) - size);
	return buf;
}
#endif

/*
 * Connection stage (docs/stage.md): a flow line keeps the ISN of each
 * side's SYN or SYN-ACK, and which of them it saw (bits by side 0 = A,
 * 1 = B), so that an RST's seq and ack say how many bytes each side sent.
 */
#define RST_HS_SYN(d)	 (1U << (d))	   /* a SYN without ACK came from side d */
#define RST_HS_SYNACK(d) (1U << (2 + (d))) /* a SYN-ACK came from side d */

/*
 * The fate of an RST received (docs/stage.md, "Fate"): what the TCP stack
 * of this host did with an RST the ingress program saw, learnt from the
 * tracepoints tcp_receive_reset and kfree_skb, joined by the RST's
 * addresses, ports and seq on the CPU that received it.
 */
enum rst_fate {
	RST_FATE_NONE = 0,   /* not known (yet) */
	RST_FATE_ACCEPTED,   /* tcp_receive_reset: the connection was reset */
	RST_FATE_CHALLENGED, /* in window, not exact: RFC 5961 challenge ACK */
	RST_FATE_IGNORED,    /* out of window / old sequence / PAWS: dropped */
	RST_FATE_NO_SOCKET,  /* no socket for it */
	RST_FATE_DROPPED,    /* freed for another reason (kept in drop_reason) */
	RST_FATE_UNKNOWN,    /* no verdict came before its pending slot was reused */
	RST_FATE_TIME_WAIT,  /* taken by a TIME_WAIT socket: killed it if exact, else dropped */
	RST_FATE_REQUEST,    /* to a request socket (SYN_RECV): removed it if in window */
	RST_FATE_MAX,
};

/* Ingress RSTs awaiting the stack's verdict, per CPU (a small ring, no hash). */
#define RST_FATE_SLOTS 8
/* Sets of the per-host fate table (4096 hosts per CPU) and entries of the per-cgroup one. */
#define RST_FATE_HOST_WAYS 4
#define RST_FATE_HOST_SETS 1024
#define RST_CGROUPS	   1024
#define RST_OWNERS	   4096

/* An RST as received: its sender is the peer, its destination this host. */
struct rst_fate_key {
	__u8 saddr[16]; /* IPv4 in the first 4 bytes, rest zero */
	__u8 daddr[16];
	__u32 seq;   /* host byte order */
	__u16 sport; /* host byte order */
	__u16 dport;
	__u8 family;
	__u8 pad[3];
};

struct rst_fate_slot {
	struct rst_fate_key k;
	__u32 host_hash; /* the sender's rst_host_hash() with the datapath's seed */
	__u64 ts_ns;	 /* the coarse clock when it was queued */
	__u32 ifindex;
	__u8 state; /* 0: free, 1: pending, 2: resolved */
	__u8 event; /* 1: the RST became an event: its verdict goes to fate_res */
	__u8 pad[2];
};

struct rst_fate_ring {
	struct rst_fate_slot slot[RST_FATE_SLOTS];
	__u32 next;    /* the slot the next RST takes */
	__u32 pending; /* slots in state 1: the kfree_skb program's first test */
};

/* The verdict of one RST, for its event (map "fate_res", LRU hash by rst_fate_key). */
struct rst_fate_val {
	__u64 ts_ns;	  /* CLOCK_MONOTONIC of the verdict */
	__u8 fate;	  /* enum rst_fate */
	__u8 drop_reason; /* enum skb_drop_reason of the kfree_skb, < 255; 0: none */
	__u8 sk_state; /* state + 1 of the socket that took it (rx_sk, or the one reset); 0: none */
	__u8 pad[5];
};

/*
 * Fate counts per interface slot (map "fate_ifs", per-CPU array): slots as
 * struct rst_counters', RST_IF_SLOTS the shared overflow slot.
 * local_reset counts tcp_receive_reset calls with no RST received behind
 * them (tcp_reset() of data after shutdown: the stack resets itself), in
 * slot RST_IF_SLOTS + 1, which no interface owns.
 */
#define RST_FATE_IF_ENTRIES (RST_IF_SLOTS + 2)
struct rst_fate_counts {
	__u64 fate[RST_FATE_MAX];
	__u64 local_reset;
	__u64 host_lost; /* fates that left the per-host table (a line reused) */
	__u32 ifindex;
	__u32 pad;
};

/*
 * Per peer host (map "fate_hosts"): per CPU, RST_FATE_HOST_WAYS-way sets
 * by rst_host_hash() with the datapath's seed, like cause_hosts: constant
 * work per verdict, no hash table insert under a flood of new senders. A
 * reused line's counts (and a count about to wrap) go to its interface
 * slot's host_lost, so fates over hosts + host_lost == fates over
 * interfaces, exactly.
 */
struct rst_fate_host_line {
	__u8 addr[16];
	__u32 fate[RST_FATE_MAX];
	__u32 last_t; /* ticks */
	__u8 family;  /* 0: free way */
	__u8 pad[7];
};

struct rst_fate_host_set {
	struct rst_fate_host_line way[RST_FATE_HOST_WAYS];
};

/* One host's fates summed over its lines on every CPU (userspace, fatetrace.h). */
struct rst_fate_host {
	__u64 fate[RST_FATE_MAX];
};

/*
 * Who owned the socket of an RST this host sent or accepted (map
 * "owners", LRU hash keyed like rst_reason_key: saddr this host, late 0).
 */
#define RST_OWN_SOCK (1U << 0) /* cgroup_id and uid are the socket's */
#define RST_OWN_TASK (1U << 1) /* pid and comm: the reset came in process context */
#define RST_OWN_RECV (1U << 2) /* recorded at an RST accepted, not sent */
struct rst_owner_val {
	__u64 ts_ns;
	__u64 cgroup_id; /* cgroup v2 id: the inode number of its directory */
	__u32 uid;
	__u32 pid; /* thread group id, as seen from the initial pid namespace */
	char comm[16];
	__u8 flags; /* RST_OWN_* */
	__u8 pad[7];
};

/* Resets per socket cgroup (map "cgroups", per-CPU hash by cgroup id). */
struct rst_cgroup_val {
	__u64 sent;	/* RSTs the stack sent for a socket of the cgroup */
	__u64 accepted; /* RSTs accepted by a socket of the cgroup */
};

/* TCP flag bits as in byte 13 of the header. */
#define RST_TCP_FIN 0x01
#define RST_TCP_SYN 0x02
#define RST_TCP_RST 0x04
#define RST_TCP_PSH 0x08
#define RST_TCP_ACK 0x10
#define RST_TCP_URG 0x20
#define RST_TCP_ECE 0x40
#define RST_TCP_CWR 0x80

/*
 * Why resets happen (bpf/causes.bpf.h, docs/reasons.md). Map "causes", one
 * per-CPU entry: every RST the TCP stack of the traced network namespace
 * sends, by kind, socket state and kernel reason (tp_btf/tcp_send_reset);
 * the RSTs leaving a traced TC egress hook by origin; the errors reported
 * to TCP sockets by errno. Reason names come from the kernel's BTF, by
 * value, never from a list compiled in.
 */
#define RST_CZ_REASONS 32 /* enum sk_rst_reason 0..30; 31: any larger value */
#define RST_CZ_STATES  16 /* 0: no socket; TCP state + 1 (1..13); 15: any other */

/* How the stack came to send the RST. */
enum rst_cz_kind {
	RST_CZK_SYN = 0,    /* it answered a SYN (tcp_v4/v6_send_reset) */
	RST_CZK_REPLY = 1,  /* it answered another segment */
	RST_CZK_ACTIVE = 2, /* its own connection's (tcp_send_active_reset) */
	RST_CZK_MAX,
};

/* Who made an RST seen leaving at TC egress. */
enum rst_origin {
	RST_OR_STACK = 0,    /* the TCP stack: its reason came first, or a TCP socket's own */
	RST_OR_FIREWALL = 1, /* netfilter's reject: its packet was freed NETFILTER_DROP */
	RST_OR_OTHER = 2,    /* neither: raw sockets, forwarded packets, missed records */
	RST_OR_MAX,
};

/* Errors reported to the applications' TCP sockets (inet_sk_error_report). */
enum rst_sk_err {
	RST_ERR_CONNRESET = 0, /* ECONNRESET: an RST received */
	RST_ERR_CONNREFUSED,   /* ECONNREFUSED */
	RST_ERR_TIMEDOUT,      /* ETIMEDOUT: retransmissions or keepalive gave up */
	RST_ERR_PIPE,	       /* EPIPE */
	RST_ERR_OTHER,
	RST_ERR_MAX,
};

struct rst_causes {
	__u64 sent[RST_CZK_MAX][RST_CZ_STATES][RST_CZ_REASONS]; /* [kind][state][reason] */
	__u64 out[RST_OR_MAX];					/* egress RSTs by origin */
	__u64 sk_err[RST_ERR_MAX];
	__u64 hosts_evicted[2]; /* [0] resets, [1] errors whose host line was reused */
};

/*
 * Map "cause_hosts": the same per peer host (the destination of a reset
 * sent, the peer of a socket's error), per CPU, RST_CAUSE_HOST_WAYS-way
 * sets by rst_host_hash(): up to RST_CH_SLOTS distinct causes a host
 * counted exactly, the rest in "other"; a reused line's counts go to
 * rst_causes.hosts_evicted. Cause code: RST_CH_CODE(kind, state, reason)
 * of the stack's, RST_CH_FIREWALL of netfilter's; 0 a free slot.
 */
#define RST_CAUSE_HOST_WAYS		 4
#define RST_CAUSE_HOST_SETS		 256 /* 1024 hosts per CPU */
#define RST_CH_SLOTS			 6
#define RST_CH_CODE(kind, state, reason) ((__u16)(((kind) << 9 | (state) << 5 | (reason)) + 1))
#define RST_CH_FIREWALL			 0xfff0

struct rst_cause_host_line {
	__u8 addr[16];
	__u32 n[RST_CH_SLOTS]; /* resets of cause code[i] */
	__u32 other;	       /* resets of a cause that found no free slot */
	__u32 err[RST_ERR_MAX];
	__u32 last_t; /* ticks */
	__u16 code[RST_CH_SLOTS];
	__u8 family; /* 0: free way */
	__u8 pad[7];
};

struct rst_cause_host_set {
	struct rst_cause_host_line way[RST_CAUSE_HOST_WAYS];
};

/*
 * Map "cz_rings" (not pinned; one per-CPU entry): the CPU's last
 * RST_CZ_RING unattributed egress RSTs (pending) and TCP packets
 * netfilter dropped (nfdrop, keyed by their reply tuple), to pair a
 * reject's RST with the packet it answered (bpf/causes.bpf.h). ts 0: free.
 */
#define RST_CZ_RING 8

struct rst_cz_ring {
	struct rst_reason_key k[RST_CZ_RING];
	__u64 ts[RST_CZ_RING];
	__u32 next;
	__u32 pad;
};

struct rst_cz_rings {
	struct rst_cz_ring pending;
	struct rst_cz_ring nfdrop;
};

/* Event flag: netfilter's reject made this RST (causes_egress, or late 2 in "reasons"). */
#define RST_EV_FIREWALL (1U << 7)

#endif /* RSTTRACE_H */
