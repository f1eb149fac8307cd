// SPDX-License-Identifier: GPL-2.0
/*
 * print-ip.c and print-ip-demux.c: IPv4, the DLT_RAW printer, and the
 * dispatch on the next protocol that IPv4 and IPv6 share.
 */
#include <netinet/in.h>

#include "netdissect.h"

/* print-ip-demux.c ip_demux_print(), for what can follow IPv4 or IPv6. */
int ip_demux(struct pkt *p, __u32 cp, __u32 length, int is6, __u8 nh, __u32 ip)
{
	__u32 advance;
	int r;

	for (;;) {
		switch (nh) {
		case IPPROTO_AH:
			if (!avail(p, cp, 1)) {
				p->proto = "ah";
				print_trunc(p);
				return 0;
			}
			nh = get8(p, cp);
			advance = 0;
			r = ah_print(p, cp, &advance);
			if (r)
				return r;
			cp += advance;
			length -= advance;
			continue;
		case IPPROTO_TCP:
			return tcp_print(p, cp, length, ip, is6);
		case IPPROTO_NONE:
			sb_str(p->o, "no next header");
			return 0;
		}
		break;
	}
	/* XXX: other transports print as tcpdump prints a protocol it does not know. */
	sb_printf(p->o, " ip-proto-%u %u", nh, length);
	return 0;
}

/* print-ip.c ip_print() */
int ip_print(struct pkt *p, __u32 ip, __u32 length)
{
	struct strbuf *o = p->o;
	__u32 hlen, len;
	__u16 off;
	__u8 v, nh;

	p->proto = "ip";
	if (!avail(p, ip, 1))
		return P_TRUNC;
	v = get8(p, ip) >> 4;
	if (v != 4) {
		if (v == 6)
			sb_lit(o, "IP6, wrong link-layer encapsulation");
		else
			sb_printf(o, "IP%u", v);
		print_invalid(p);
		return 0;
	}
	/* -e printed "ethertype IPv4" instead. */
	if (!p->eflag)
		sb_lit(o, "IP ");
	/* ND_TCHECK_SIZE: its label, in place (-x keeps the link header out). */
	if (!avail(p, ip, 20)) {
		print_trunc(p);
		return 0;
	}
	if (length < 20) {
		sb_printf(o, "truncated-ip %u", length);
		return 0;
	}
	hlen = (get8(p, ip) & 0xf) * 4;
	if (hlen < 20) {
		sb_printf(o, "bad-hlen %u", hlen);
		return 0;
	}
	len = get16(p, ip + 2);
	if (length < len)
		sb_printf(o, "truncated-ip - %u bytes missing! ", len - length);
	if (len < hlen) {
		sb_printf(o, "bad-len %u", len);
		return 0;
	}
	push_snap(p, ip, len);
	len -= hlen;
	off = get16(p, ip + 6);
	nh = get8(p, ip + 9);
	if ((off & 0x1fff) == 0) {
		if (nh != IPPROTO_TCP && nh != IPPROTO_UDP && nh != IPPROTO_SCTP &&
		    nh != IPPROTO_DCCP)
			print_addr_pair(p, ip, 0, ": ");
		if (!avail(p, ip, hlen)) {
			sb_printf(o, " [remaining caplen(%u) < header length(%u)]",
				  avail_after(p, ip), hlen);
			return P_TRUNC;
		}
		return ip_demux(p, ip + hlen, len, 0, nh, ip);
	}
	/* Not the first fragment: no transport header to print; -qq says nothing. */
	if (p->qflag > 1)
		return 0;
	print_addr_pair(p, ip, 0, ":");
	sb_printf(o, " ip-proto-%u", nh);
	return 0;
}

/* print-ip.c ipN_print(), the DLT_RAW printer. */
int ipn_print(struct pkt *p, __u32 length)
{
	p->proto = "ipn";
	if (length < 1) {
		sb_printf(p->o, "truncated-ip %u", length);
		return 0;
	}
	if (!avail(p, 0, 1))
		return P_TRUNC;
	switch (get8(p, 0) & 0xf0) {
	case 0x40:
		return ip_print(p, 0, length);
	case 0x60:
		return ip6_print(p, 0, length);
	}
	sb_printf(p->o, "unknown ip %u", (get8(p, 0) & 0xf0) >> 4);
	return 0;
}
