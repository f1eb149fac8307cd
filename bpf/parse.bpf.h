/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Cursor parsers for Ethernet -> VLAN (x2) -> IPv4 | IPv6 (+ext) -> TCP.
 * parse_frame() fills a struct rst_pkt and returns PARSE_TCP, PARSE_OTHER,
 * PARSE_FRAGMENT, or a negative malformed reason, -(1 + enum rst_malformed).
 * Every header read is preceded by a check against data_end; every length a
 * header claims is checked against the real packet length (wire_len), which
 * on TC may exceed the linear part.
 */
#ifndef RST_PARSE_BPF_H
#define RST_PARSE_BPF_H

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

static __always_inline int parse_tcp(void *data, void *data_end, __u32 wire_len, struct rst_pkt *pk)
{
	struct tcphdr *th = data + pk->l4_off;
	__u32 doff, l4_len;

	/* The bound check first, on the pointer the verifier tracks. */
	if ((void *)(th + 1) > data_end)
		return MALFORMED(RST_M_TCP_TRUNC);
	l4_len = pk->ip_end - pk->l4_off;
	if (pk->l4_off + sizeof(*th) > pk->ip_end)
		return MALFORMED(RST_M_TCP_TRUNC);
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

static __always_inline int parse_ipv4(void *data, void *data_end, __u32 wire_len,
				      struct rst_pkt *pk)
{
	struct iphdr *ip = data + pk->l3_off;
	__u32 hlen, tot;

	if ((void *)(ip + 1) > data_end)
		return MALFORMED(RST_M_IP4_TRUNC);
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
	return parse_tcp(data, data_end, wire_len, pk);
}

static __always_inline int parse_ipv6(void *data, void *data_end, __u32 wire_len,
				      struct rst_pkt *pk)
{
	struct ipv6hdr *ip6 = data + pk->l3_off;
	struct ip6_ext_rst *ext;
	__u32 off, len;
	__u8 nexthdr;
	int i;

	if ((void *)(ip6 + 1) > data_end)
		return MALFORMED(RST_M_IP6_TRUNC);
	if (ip6->version != 6)
		return MALFORMED(RST_M_IP6_VERSION);
	/*
	 * XXX: a jumbogram (payload length 0, real length in a hop-by-hop
	 * option) ends at the IPv6 header here, so it counts as ext_truncated.
	 */
	pk->ip_end = pk->l3_off + sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	if (pk->ip_end > wire_len)
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
			return parse_tcp(data, data_end, wire_len, pk);
		case NEXTHDR_HOP:
		case NEXTHDR_ROUTING:
		case NEXTHDR_DEST:
		case NEXTHDR_AUTH:
		case NEXTHDR_FRAGMENT:
			break;
		default:
			return PARSE_OTHER;
		}
		/* Keep the offset small enough for the verifier to add it. */
		if (off > 0x3fff)
			return MALFORMED(RST_M_IP6_EXT_TRUNC);
		ext = data + off;
		if ((void *)(ext + 1) > data_end || off + sizeof(*ext) > pk->ip_end)
			return MALFORMED(RST_M_IP6_EXT_TRUNC);
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
		return parse_tcp(data, data_end, wire_len, pk);
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

static __always_inline int parse_frame(void *data, void *data_end, __u32 wire_len,
				       struct rst_pkt *pk)
{
	struct ethhdr *eth = data;
	struct vlan_hdr_rst *vh;
	__u32 off = sizeof(*eth);
	__be16 proto;
	int i;

	if ((void *)(eth + 1) > data_end)
		return MALFORMED(RST_M_ETH_TRUNC);
	proto = eth->h_proto;
#pragma unroll
	for (i = 0; i < RST_VLAN_MAX; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		vh = data + off;
		if ((void *)(vh + 1) > data_end)
			return MALFORMED(RST_M_VLAN_TRUNC);
		proto = vh->proto;
		off += sizeof(*vh);
		pk->vlans++;
	}
	pk->l3_off = off;
	if (proto == bpf_htons(ETH_P_IP))
		return parse_ipv4(data, data_end, wire_len, pk);
	if (proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(data, data_end, wire_len, pk);
	return PARSE_OTHER;
}

#endif /* RST_PARSE_BPF_H */
