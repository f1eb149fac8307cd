// SPDX-License-Identifier: GPL-2.0
/* The tests' packet builder: see pkt.h. */
#include <netinet/in.h>
#include <string.h>

#include "pkt.h"

void pkt_init(struct pkt *p, void *buf, __u32 cap)
{
	p->b = buf;
	p->len = 0;
	p->cap = cap;
	p->overflow = 0;
}

__u8 *pkt_reserve(struct pkt *p, __u32 n)
{
	static __u8 scratch[65536];
	__u8 *at;

	if (p->overflow || n > p->cap - p->len) {
		/* Writes after an overflow land here, so a caller needs no check per field. */
		p->overflow = 1;
		return n <= sizeof(scratch) ? memset(scratch, 0, n) : scratch;
	}
	at = p->b + p->len;
	memset(at, 0, n);
	p->len += n;
	return at;
}

void pkt_bytes(struct pkt *p, const void *src, __u32 n)
{
	__u8 *at = pkt_reserve(p, n);

	if (src && !p->overflow)
		memcpy(at, src, n);
}

void pkt_u8(struct pkt *p, __u8 v)
{
	*pkt_reserve(p, 1) = v;
}

void pkt_put16(__u8 *p, __u32 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

void pkt_put32(__u8 *p, __u32 v)
{
	pkt_put16(p, v >> 16);
	pkt_put16(p + 2, v);
}

__u32 pkt_get16(const __u8 *p)
{
	return (__u32)p[0] << 8 | p[1];
}

void pkt_u16(struct pkt *p, __u16 v)
{
	pkt_put16(pkt_reserve(p, 2), v);
}

void pkt_u32(struct pkt *p, __u32 v)
{
	pkt_put32(pkt_reserve(p, 4), v);
}

void pkt_text(struct pkt *p, __u32 n)
{
	__u8 *at = pkt_reserve(p, n);
	__u32 i;

	if (p->overflow)
		return;
	for (i = 0; i < n; i++)
		at[i] = 'a' + i % 26;
}

void pkt_eth(struct pkt *p, const __u8 dst[6], const __u8 src[6])
{
	pkt_bytes(p, dst, 6);
	pkt_bytes(p, src, 6);
}

void pkt_vlan(struct pkt *p, __u16 tpid, __u16 tci)
{
	pkt_u16(p, tpid);
	pkt_u16(p, tci);
}

void pkt_ethertype(struct pkt *p, __u16 type)
{
	pkt_u16(p, type);
}

__u32 pkt_ip4(struct pkt *p, const struct pkt_ip4 *h)
{
	__u32 off = p->len;

	pkt_u8(p, 0x40 | (20 + h->opt_len) / 4);
	pkt_u8(p, h->tos);
	pkt_u16(p, h->tot_len);
	pkt_u16(p, h->id);
	pkt_u16(p, h->frag_off);
	pkt_u8(p, h->ttl);
	pkt_u8(p, h->proto);
	pkt_u16(p, h->check);
	pkt_bytes(p, h->saddr, 4);
	pkt_bytes(p, h->daddr, 4);
	pkt_bytes(p, h->opt, h->opt_len);
	return off;
}

__u32 pkt_ip6(struct pkt *p, const struct pkt_ip6 *h)
{
	__u32 off = p->len;

	pkt_u32(p, h->vtcfl);
	pkt_u16(p, h->payload_len);
	pkt_u8(p, h->nexthdr);
	pkt_u8(p, h->hop_limit);
	pkt_bytes(p, h->saddr, 16);
	pkt_bytes(p, h->daddr, 16);
	return off;
}

__u32 pkt_ip6_ext(struct pkt *p, __u8 type, __u16 len, __u8 next, __u16 frag)
{
	__u32 off = p->len;
	__u8 *e = pkt_reserve(p, len);

	if (p->overflow)
		return off;
	e[0] = next;
	switch (type) {
	case IPPROTO_FRAGMENT:
		pkt_put16(e + 2, frag);
		pkt_put32(e + 4, 0xfeed0001);
		break;
	case IPPROTO_AH:
		e[1] = len / 4 - 2;
		pkt_put32(e + 4, 0x1000); /* SPI */
		pkt_put32(e + 8, 1);	  /* sequence */
		break;
	case IPPROTO_ROUTING:
		e[1] = len / 8 - 1;
		e[2] = 4; /* segment routing header, segments left 0 */
		break;
	default: /* hop-by-hop, destination options: one PadN option */
		e[1] = len / 8 - 1;
		e[2] = 1;
		e[3] = len - 4;
	}
	return off;
}

__u32 pkt_tcp(struct pkt *p, const struct pkt_tcp *h)
{
	__u32 off = p->len, pad = (h->opt_len + 3) / 4 * 4;

	pkt_u16(p, h->sport);
	pkt_u16(p, h->dport);
	pkt_u32(p, h->seq);
	pkt_u32(p, h->ack);
	pkt_u8(p, (h->doff ? h->doff : 5 + pad / 4) << 4);
	pkt_u8(p, h->flags);
	pkt_u16(p, h->win);
	pkt_u16(p, h->check);
	pkt_u16(p, h->urp);
	pkt_bytes(p, h->opt, h->opt_len);
	pkt_bytes(p, NULL, pad - h->opt_len);
	return off;
}

__u32 pkt_udp(struct pkt *p, __u16 sport, __u16 dport, __u16 len)
{
	__u32 off = p->len;

	pkt_u16(p, sport);
	pkt_u16(p, dport);
	pkt_u16(p, len);
	pkt_u16(p, 0);
	return off;
}

__u32 pkt_csum_add(__u32 sum, const __u8 *p, __u32 len)
{
	__u32 i;

	for (i = 0; i + 1 < len; i += 2)
		sum += pkt_get16(p + i);
	if (len & 1)
		sum += (__u32)p[len - 1] << 8;
	return sum;
}

__u16 pkt_csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

void pkt_ip4_csum(__u8 *ip)
{
	__u32 hlen = (ip[0] & 0xf) * 4;

	pkt_put16(ip + 10, 0);
	pkt_put16(ip + 10, pkt_csum_fold(pkt_csum_add(0, ip, hlen)));
}

void pkt_tcp_csum(__u8 *th, __u32 l4len, const __u8 *saddr, const __u8 *daddr, __u32 alen)
{
	__u32 sum;

	sum = pkt_csum_add(0, saddr, alen);
	sum = pkt_csum_add(sum, daddr, alen);
	sum += IPPROTO_TCP + (l4len & 0xffff) + (l4len >> 16);
	pkt_put16(th + 16, 0);
	pkt_put16(th + 16, pkt_csum_fold(pkt_csum_add(sum, th, l4len)));
}
