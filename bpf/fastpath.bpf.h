/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The data-packet fast path: the commonest frame (untagged Ethernet, IPv4
 * without options or IPv6 without extension headers, TCP without SYN, FIN
 * or RST, or not TCP at all) judged in place with one bound check and no
 * copy into struct rst_pkt. fast_judge() returns what the frame is when it
 * is one of these and every check the full parser (parse.bpf.h) would make
 * passes; anything else, FAST_NO, and the caller runs the full parser from
 * the start, which then gives the frame's real verdict (malformed reason,
 * fragment, VLAN, extension headers, SYN/FIN/RST). So the fast path never
 * decides anything the full parser would decide otherwise: it only stops
 * early where the answer is certainly "data" or "not TCP".
 *
 * len is a lower bound of the frame's length that the caller has for free:
 * skb->len on TC, data_end - data on XDP (no bpf_xdp_get_buff_len() call;
 * a frame with frags is longer, and one whose IP length reaches into them
 * simply takes the full parser, which asks the helper).
 */
#ifndef RST_FASTPATH_BPF_H
#define RST_FASTPATH_BPF_H

#include "parse.bpf.h"

enum fast_result {
	FAST_NO = 0,	/* not decided here: run the full parser */
	FAST_TCP4 = 1,	/* IPv4 TCP, none of SYN/FIN/RST: count it, done */
	FAST_TCP6 = 2,	/* IPv6 TCP, none of SYN/FIN/RST */
	FAST_OTHER = 3, /* valid IP, not TCP (and no extension header): done */
};

#define FAST_CTL_FLAGS (RST_TCP_SYN | RST_TCP_FIN | RST_TCP_RST)

/* TCP header at th, IP payload of l4_len bytes: data, or FAST_NO. */
static __always_inline int fast_tcp(const __u8 *th, __u32 l4_len, int res)
{
	__u32 doff = th[12] >> 4;

	/* The full parser's doff checks: below 5, or options past the datagram. */
	if (doff < 5 || doff * 4 > l4_len)
		return FAST_NO;
	if (th[13] & FAST_CTL_FLAGS)
		return FAST_NO;
	return res;
}

static __always_inline int fast_judge(void *data, void *data_end, __u32 len)
{
	const __u8 *p = data;
	__u32 tot;
	__u16 proto;

	/*
	 * One check for the largest fixed part either family needs before
	 * TCP options: Ethernet + IPv4 (20) + TCP (20) = 54 bytes; IPv6 below
	 * checks its own 74. Shorter frames (a bare IPv4 RST is 54, Ethernet
	 * pads to 60) are rare on a data path and go to the full parser.
	 */
	if (data + sizeof(struct ethhdr) + 20 + 20 > data_end)
		return FAST_NO;
	proto = ((const struct ethhdr *)data)->h_proto;
	if (proto == bpf_htons(ETH_P_IP)) {
		const struct iphdr *ip = data + sizeof(struct ethhdr);

		/* Version 4, IHL 5: options go to the full parser. */
		if (p[sizeof(struct ethhdr)] != 0x45)
			return FAST_NO;
		tot = bpf_ntohs(ip->tot_len);
		/* Padding may follow the datagram; a datagram past the frame may not. */
		if (tot < 20 || sizeof(struct ethhdr) + tot > len)
			return FAST_NO;
		if (ip->frag_off & bpf_htons(IP_OFFSET))
			return FAST_NO; /* counted as a fragment by the full parser */
		if (ip->protocol != IPPROTO_TCP)
			return FAST_OTHER;
		if (tot < 40)
			return FAST_NO; /* TCP header cut short: malformed */
		return fast_tcp(p + sizeof(struct ethhdr) + 20, tot - 20, FAST_TCP4);
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		const struct ipv6hdr *ip6 = data + sizeof(struct ethhdr);
		__u32 plen;
		__u8 nh;

		if (data + sizeof(struct ethhdr) + 40 + 20 > data_end)
			return FAST_NO;
		if ((p[sizeof(struct ethhdr)] >> 4) != 6)
			return FAST_NO;
		plen = bpf_ntohs(ip6->payload_len);
		if (sizeof(struct ethhdr) + 40 + plen > len)
			return FAST_NO;
		nh = ip6->nexthdr;
		if (nh != NEXTHDR_TCP) {
			/* Extension headers are the full parser's walk. */
			if (nh == NEXTHDR_HOP || nh == NEXTHDR_ROUTING || nh == NEXTHDR_DEST ||
			    nh == NEXTHDR_AUTH || nh == NEXTHDR_FRAGMENT)
				return FAST_NO;
			return FAST_OTHER;
		}
		/* Also a jumbogram's payload length 0: the full parser's verdict. */
		if (plen < 20)
			return FAST_NO;
		return fast_tcp(p + sizeof(struct ethhdr) + 40, plen, FAST_TCP6);
	}
	return FAST_NO;
}

#endif /* RST_FASTPATH_BPF_H */
