/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one packet builder of the tests, the benchmarks and the tools:
 * Ethernet, 802.1Q/802.1ad tags, IPv4 (+options), IPv6 (+extension
 * headers), TCP (+options) and UDP written in network byte order at the end
 * of a bounded buffer, and the Internet checksums. Each user turns its own
 * row or spec into these layers; what a layer writes is exactly what the
 * field values say (no defaults here), so frames stay byte for byte what
 * the tests assert on.
 */
#ifndef RST_TESTS_PKT_H
#define RST_TESTS_PKT_H

#include <linux/types.h>

/* A frame under construction: bytes b[0, len) of a buffer of cap bytes. */
struct pkt {
	__u8 *b;
	__u32 len, cap;
	/* A write did not fit: it and every later one were dropped. */
	int overflow;
};

/* Starts at len 0; the buffer is not cleared. */
void pkt_init(struct pkt *p, void *buf, __u32 cap);

/* Appends; src NULL appends n zero bytes. */
void pkt_bytes(struct pkt *p, const void *src, __u32 n);
void pkt_u8(struct pkt *p, __u8 v);
void pkt_u16(struct pkt *p, __u16 v);
void pkt_u32(struct pkt *p, __u32 v);
/* n payload bytes 'a', 'b', ... 'z', 'a', ...: readable in a capture. */
void pkt_text(struct pkt *p, __u32 n);
/* n zeroed bytes to write in place (a scratch area when they do not fit). */
__u8 *pkt_reserve(struct pkt *p, __u32 n);

/* Big-endian stores and loads, for fields fixed up after the build. */
void pkt_put16(__u8 *p, __u32 v);
void pkt_put32(__u8 *p, __u32 v);
__u32 pkt_get16(const __u8 *p);

/* Ethernet addresses (the type comes after any tags, pkt_ethertype). */
void pkt_eth(struct pkt *p, const __u8 dst[6], const __u8 src[6]);
void pkt_vlan(struct pkt *p, __u16 tpid, __u16 tci);
void pkt_ethertype(struct pkt *p, __u16 type);

struct pkt_ip4 {
	__u8 tos;
	__u16 tot_len, id, frag_off; /* frag_off: flags and offset, host order */
	__u8 ttl, proto;
	__u16 check; /* as given; pkt_ip4_csum computes it */
	const __u8 *saddr, *daddr;
	const __u8 *opt; /* options, opt_len bytes (a multiple of 4) */
	__u32 opt_len;
};

/* The header with IHL from opt_len; returns its offset. */
__u32 pkt_ip4(struct pkt *p, const struct pkt_ip4 *h);

struct pkt_ip6 {
	__u32 vtcfl; /* version, traffic class, flow label */
	__u16 payload_len;
	__u8 nexthdr, hop_limit;
	const __u8 *saddr, *daddr;
};

__u32 pkt_ip6(struct pkt *p, const struct pkt_ip6 *h);

/*
 * An IPv6 extension header of len bytes: hop-by-hop and destination
 * options carry one PadN, routing is a segment routing header with
 * segments left 0, fragment carries frag (offset << 3 | M) and id 0xfeed0001,
 * AH SPI 0x1000 sequence 1. Returns its offset.
 */
__u32 pkt_ip6_ext(struct pkt *p, __u8 type, __u16 len, __u8 next, __u16 frag);

struct pkt_tcp {
	__u16 sport, dport;
	__u32 seq, ack;
	__u8 doff; /* header length in words; 0: 5 + the padded options */
	__u8 flags;
	__u16 win, check, urp;
	const __u8 *opt; /* options, zero-padded to a multiple of 4 */
	__u32 opt_len;
};

/* The header and its options; returns its offset. */
__u32 pkt_tcp(struct pkt *p, const struct pkt_tcp *h);

/* An 8-byte UDP header (also the bytes an ICMP test frame needs); checksum 0. */
__u32 pkt_udp(struct pkt *p, __u16 sport, __u16 dport, __u16 len);

/* One's complement sum of len bytes, then folded and inverted. */
__u32 pkt_csum_add(__u32 sum, const __u8 *p, __u32 len);
__u16 pkt_csum_fold(__u32 sum);
/* The IPv4 header checksum, over IHL * 4 bytes at ip. */
void pkt_ip4_csum(__u8 *ip);
/* The TCP checksum of l4len bytes at th, with the pseudo header of alen-byte addresses. */
void pkt_tcp_csum(__u8 *th, __u32 l4len, const __u8 *saddr, const __u8 *daddr, __u32 alen);

#endif
