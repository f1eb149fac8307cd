/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Cursor parsers for Ethernet -> VLAN (x2) -> IPv4 | IPv6 (+ext) -> TCP.
 * parse_frame() fills a struct rst_pkt and returns PARSE_TCP, PARSE_OTHER,
 * PARSE_FRAGMENT, PARSE_SLOW, or a negative malformed reason,
 * -(1 + enum rst_malformed). Every length a header claims is checked
 * against the real packet length (wire_len: bpf_xdp_get_buff_len(),
 * skb->len), never against the part the program can address directly.
 *
 * One parser, two ways to read a header (struct rst_src): the fast path
 * reads it in place, bounded by data_end (the first XDP buffer, the linear
 * skb); when a header lies past data_end, it returns PARSE_SLOW and the
 * caller parses the frame again, from the start, in parse_frags_xdp() /
 * parse_frags_skb(), which copy every header with bpf_xdp_load_bytes() /
 * bpf_skb_load_bytes() (XDP frags, skb frags) and judge it against
 * wire_len. A packet is malformed only when its headers really are.
 */
#ifndef RST_PARSE_BPF_H
#define RST_PARSE_BPF_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_IP     0x0800
#define ETH_P_IPV6   0x86DD
#define ETH_P_8021Q  0x8100
#define ETH_P_8021AD 0x88A8
#define AF_INET	     2
#define AF_INET6     10
#define IP_MF	     0x2000
#define IP_OFFSET    0x1FFF
#define IP6_OFFSET   0xFFF8

#define NEXTHDR_HOP	 0
#define NEXTHDR_TCP	 6
#define NEXTHDR_ROUTING	 43
#define NEXTHDR_FRAGMENT 44
#define NEXTHDR_AUTH	 51
#define NEXTHDR_DEST	 60

enum parse_result {
	PARSE_TCP = 0,
	PARSE_OTHER = 1,    /* not TCP: not ours, passed */
	PARSE_FRAGMENT = 2, /* non-first fragment: no TCP header to read */
	PARSE_SLOW = 3,	    /* a header past data_end: parse again with parse_frags_*() */
};

#define MALFORMED(reason) (-1 - (int)(reason))

/* What the parser learned; offsets are from the start of the frame. */
struct rst_pkt {
	__u8 saddr[16];
	__u8 daddr[16];
	__u32 l3_off;
	__u32 l4_off;
	__u32 ip_end; /* offset one past the IP datagram, per its length field */
	__u32 payload_len;
	__u16 ip_id;
	__u8 family;
	__u8 ttl;
	__u8 vlans;
	/*
	 * The TCP fields everything after the parser needs, as scalars: no
	 * packet pointer outlives parse_frame(), so the code after it does
	 * not depend on which path through the parser was taken.
	 */
	__u32 seq; /* host byte order */
	__u32 ack;
	__u16 sport;
	__u16 dport;
	__u16 win;
	__u8 flags; /* byte 13 of the TCP header */
	/*
	 * Not the parser's: rst_account() fills these in for emit_event()
	 * (the event flags it found, the kernel's reason and socket state
	 * of an RST this host sends, as struct rst_event has them).
	 */
	__u8 ev_flags;
	__u8 reason;
	__u8 sk_state;
	__u8 pad[3];
	/* rst_host_hash() of the peer, with the datapath's seed: the fate slot reuses it. */
	__u32 host_hash;
};

struct vlan_hdr_rst {
	__be16 tci;
	__be16 proto;
};

struct ip6_ext_rst {
	__u8 nexthdr;
	__u8 hdrlen;
	__be16 frag_off; /* meaningful in the fragment header only */
};

/* How headers are read: in place (the fast path), or copied by a helper. */
enum rst_src_mode {
	RST_SRC_DIRECT = 0, /* packet pointers bounded by data_end */
	RST_SRC_XDP,	    /* bpf_xdp_load_bytes(): through XDP frags */
	RST_SRC_SKB,	    /* bpf_skb_load_bytes(): through skb frags */
};

/*
 * Where the parser reads from. Always a compile-time constant mode after
 * inlining, so each entry point gets specialised copies of one parser: no
 * branch on the mode is left at run time.
 */
struct rst_src {
	void *ctx;  /* RST_SRC_XDP, RST_SRC_SKB: the program's context */
	void *data; /* RST_SRC_DIRECT: the directly addressable part */
	void *data_end;
	__u32 wire_len; /* the whole packet, frags included */
	__u8 mode;	/* enum rst_src_mode */
};

/* Room for the largest header the parser reads whole (IPv6: 40 bytes). */
union rst_hdr_buf {
	struct ethhdr eth;
	struct vlan_hdr_rst vlan;
	struct iphdr ip;
	struct ipv6hdr ip6;
	struct ip6_ext_rst ext;
	struct tcphdr tcp;
};

/*
 * Point *p at the len bytes at off; false if they are not there: in place
 * on the fast path (not past data_end), else copied into buf (not past
 * wire_len). A flag, not a NULL pointer, so that the fast path tests the
 * bound itself and nothing more. len is a constant; callers keep off small
 * enough for the verifier on the fast path; on the slow path it is only a
 * helper argument.
 */
static __always_inline int hdr_at(const struct rst_src *s, __u32 off, __u32 len, void *buf,
				  void **p)
{
	if (s->mode == RST_SRC_DIRECT) {
		*p = s->data + off;
		return *p + len <= s->data_end;
	}
	*p = buf;
	if (off + len > s->wire_len)
		return 0;
	if (s->mode == RST_SRC_XDP)
		return !bpf_xdp_load_bytes(s->ctx, off, buf, len);
	return !bpf_skb_load_bytes(s->ctx, off, buf, len);
}

/*
 * What a header that hdr_at() could not read means. On the slow path: the
 * packet ends before it, malformed by reason. On the fast path only that
 * it is past data_end: the slow path reads on, and finds the packet's real
 * verdict (a frame cut short is malformed there, at a few helper calls'
 * cost). Not telling the two apart here keeps the fast path's bound checks
 * bare: no wire length and no reason to keep at hand for each of them.
 */
static __always_inline int hdr_missing(const struct rst_src *s, int reason)
{
	if (s->mode == RST_SRC_DIRECT)
		return PARSE_SLOW;
	return MALFORMED(reason);
}

static __always_inline int parse_tcp(const struct rst_src *s, union rst_hdr_buf *buf,
				     struct rst_pkt *pk)
{
	__u32 wire_len = s->wire_len;
	struct tcphdr *th;
	__u32 doff, l4_len;

	/* Cut short by the IP length first: such a frame needs no slow path. */
	if (pk->l4_off + sizeof(*th) > pk->ip_end)
		return MALFORMED(RST_M_TCP_TRUNC);
	if (!hdr_at(s, pk->l4_off, sizeof(*th), buf, (void **)&th))
		return hdr_missing(s, RST_M_TCP_TRUNC);
	l4_len = pk->ip_end - pk->l4_off;
	doff = th->doff;
	if (doff < 5)
		return MALFORMED(RST_M_TCP_DOFF);
	/* Options are not read here; they only have to fit in the datagram. */
	if (doff * 4 > l4_len || pk->l4_off + doff * 4 > wire_len)
		return MALFORMED(RST_M_TCP_OPT_TRUNC);
	pk->payload_len = l4_len - doff * 4;
	pk->seq = bpf_ntohl(th->seq);
	pk->ack = bpf_ntohl(th->ack_seq);
	pk->sport = bpf_ntohs(th->source);
	pk->dport = bpf_ntohs(th->dest);
	pk->win = bpf_ntohs(th->window);
	pk->flags = ((__u8 *)th)[13];
	return PARSE_TCP;
}

static __always_inline int parse_ipv4(const struct rst_src *s, union rst_hdr_buf *buf,
				      struct rst_pkt *pk)
{
	__u32 wire_len = s->wire_len;
	struct iphdr *ip;
	__u32 hlen, tot;

	if (!hdr_at(s, pk->l3_off, sizeof(*ip), buf, (void **)&ip))
		return hdr_missing(s, RST_M_IP4_TRUNC);
	if (ip->version != 4)
		return MALFORMED(RST_M_IP4_VERSION);
	if (ip->ihl < 5)
		return MALFORMED(RST_M_IP4_IHL);
	hlen = ip->ihl * 4;
	if (pk->l3_off + hlen > wire_len)
		return MALFORMED(RST_M_IP4_OPT_TRUNC);
	/* Ethernet padding may follow the datagram: only "longer" is bad. */
	tot = bpf_ntohs(ip->tot_len);
	if (tot < hlen || pk->l3_off + tot > wire_len)
		return MALFORMED(RST_M_IP4_TOTLEN);
	if (ip->frag_off & bpf_htons(IP_OFFSET))
		return PARSE_FRAGMENT;
	if (ip->protocol != IPPROTO_TCP)
		return PARSE_OTHER;
	pk->family = AF_INET;
	pk->ttl = ip->ttl;
	pk->ip_id = bpf_ntohs(ip->id);
	__builtin_memcpy(pk->saddr, &ip->saddr, 4);
	__builtin_memcpy(pk->daddr, &ip->daddr, 4);
	pk->l4_off = pk->l3_off + hlen;
	pk->ip_end = pk->l3_off + tot;
	return parse_tcp(s, buf, pk);
}

static __always_inline int parse_ipv6(const struct rst_src *s, union rst_hdr_buf *buf,
				      struct rst_pkt *pk)
{
	struct ip6_ext_rst *ext;
	struct ipv6hdr *ip6;
	__u32 off, len;
	__u8 nexthdr;
	int i;

	if (!hdr_at(s, pk->l3_off, sizeof(*ip6), buf, (void **)&ip6))
		return hdr_missing(s, RST_M_IP6_TRUNC);
	if (ip6->version != 6)
		return MALFORMED(RST_M_IP6_VERSION);
	/*
	 * XXX: a jumbogram (payload length 0, real length in a hop-by-hop
	 * option) ends at the IPv6 header here, so it counts as ext_truncated.
	 */
	pk->ip_end = pk->l3_off + sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	if (pk->ip_end > s->wire_len)
		return MALFORMED(RST_M_IP6_PAYLEN);
	pk->family = AF_INET6;
	pk->ttl = ip6->hop_limit;
	__builtin_memcpy(pk->saddr, &ip6->saddr, 16);
	__builtin_memcpy(pk->daddr, &ip6->daddr, 16);
	nexthdr = ip6->nexthdr;
	off = pk->l3_off + sizeof(*ip6);

	/* Bounded walk: at most RST_IPV6_EXT_MAX headers, each checked. */
#pragma unroll
	for (i = 0; i < RST_IPV6_EXT_MAX; i++) {
		switch (nexthdr) {
		case NEXTHDR_TCP:
			pk->l4_off = off;
			return parse_tcp(s, buf, pk);
		case NEXTHDR_HOP:
		case NEXTHDR_ROUTING:
		case NEXTHDR_DEST:
		case NEXTHDR_AUTH:
		case NEXTHDR_FRAGMENT:
			break;
		default:
			return PARSE_OTHER;
		}
		/*
		 * Keep the offset small enough for the verifier to add it to a
		 * packet pointer. Never true of a real chain: before the sixth
		 * header it is at most 22 + 40 + 5 x 2048.
		 */
		if (off > 0x3fff)
			return MALFORMED(RST_M_IP6_EXT_TRUNC);
		if (off + sizeof(*ext) > pk->ip_end)
			return MALFORMED(RST_M_IP6_EXT_TRUNC);
		if (!hdr_at(s, off, sizeof(*ext), buf, (void **)&ext))
			return hdr_missing(s, RST_M_IP6_EXT_TRUNC);
		if (nexthdr == NEXTHDR_FRAGMENT) {
			if (ext->frag_off & bpf_htons(IP6_OFFSET))
				return PARSE_FRAGMENT;
			len = 8;
		} else if (nexthdr == NEXTHDR_AUTH) {
			len = ((__u32)ext->hdrlen + 2) * 4;
		} else {
			len = ((__u32)ext->hdrlen + 1) * 8;
		}
		if (off + len > pk->ip_end)
			return MALFORMED(RST_M_IP6_EXT_TRUNC);
		nexthdr = ext->nexthdr;
		off += len;
	}
	if (nexthdr == NEXTHDR_TCP) {
		pk->l4_off = off;
		return parse_tcp(s, buf, pk);
	}
	switch (nexthdr) {
	case NEXTHDR_HOP:
	case NEXTHDR_ROUTING:
	case NEXTHDR_DEST:
	case NEXTHDR_AUTH:
	case NEXTHDR_FRAGMENT:
		return MALFORMED(RST_M_IP6_EXT_DEPTH);
	}
	return PARSE_OTHER;
}

static __always_inline int parse_frame(const struct rst_src *s, union rst_hdr_buf *buf,
				       struct rst_pkt *pk)
{
	struct vlan_hdr_rst *vh;
	__u32 off = sizeof(struct ethhdr);
	struct ethhdr *eth;
	__be16 proto;
	int i;

	if (!hdr_at(s, 0, sizeof(*eth), buf, (void **)&eth))
		return hdr_missing(s, RST_M_ETH_TRUNC);
	proto = eth->h_proto;
#pragma unroll
	for (i = 0; i < RST_VLAN_MAX; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if (!hdr_at(s, off, sizeof(*vh), buf, (void **)&vh))
			return hdr_missing(s, RST_M_VLAN_TRUNC);
		proto = vh->proto;
		off += sizeof(*vh);
		pk->vlans++;
	}
	pk->l3_off = off;
	if (proto == bpf_htons(ETH_P_IP))
		return parse_ipv4(s, buf, pk);
	if (proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(s, buf, pk);
	return PARSE_OTHER;
}

/*
 * The slow path, for frames whose headers run past the directly readable
 * part: the whole parse again, from the start and from a clean pk, every
 * header copied with the load helper. Global functions, so that the
 * verifier checks each once on its own, not once for every path through
 * the fast parser that can end in PARSE_SLOW. A frame costs at most one
 * helper call per header (Ethernet, 2 VLAN tags, IP, 6 extension headers,
 * TCP) here, and only a frame the fast path could not read comes here.
 */
__attribute__((noinline)) int parse_frags_xdp(struct xdp_md *ctx, struct rst_pkt *pk,
					      __u32 wire_len)
{
	struct rst_src s = { .ctx = ctx, .wire_len = wire_len, .mode = RST_SRC_XDP };
	union rst_hdr_buf buf;

	if (!ctx || !pk)
		return PARSE_OTHER;
	__builtin_memset(pk, 0, sizeof(*pk));
	return parse_frame(&s, &buf, pk);
}

__attribute__((noinline)) int parse_frags_skb(struct __sk_buff *ctx, struct rst_pkt *pk,
					      __u32 wire_len)
{
	struct rst_src s = { .ctx = ctx, .wire_len = wire_len, .mode = RST_SRC_SKB };
	union rst_hdr_buf buf;

	if (!ctx || !pk)
		return PARSE_OTHER;
	__builtin_memset(pk, 0, sizeof(*pk));
	return parse_frame(&s, &buf, pk);
}

#endif /* RST_PARSE_BPF_H */
