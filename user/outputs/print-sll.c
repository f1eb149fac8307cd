// SPDX-License-Identifier: GPL-2.0
/*
 * print-sll.c: the Linux cooked v2 header of tcpdump -i any (DLT_LINUX_SLL2),
 * after the "IFNAME In  " prefix tcpdump.c prints: with -e the interface
 * index, source MAC, ethertype and record length; an 802.1Q tag (put back
 * by libpcap after the header) as "ethertype X, ", with -e its tag too.
 */

#include "netdissect.h"

/* sll2_print(): the -e part. */
static void sll2_hdr_print(struct pkt *p, __u32 length)
{
	const __u8 *d = p->data;
	const char *name;
	__u16 type;

	sb_printf(p->o, "ifindex %u ", get32(p, 4));
	if (get8(p, 11) == 6)
		sb_printf(p->o, "%02x:%02x:%02x:%02x:%02x:%02x ", d[12], d[13], d[14], d[15], d[16],
			  d[17]);
	if (p->qflag)
		return;
	type = get16(p, 0);
	if (type <= 1500) {
		if (type == 1)
			sb_str(p->o, "802.3");
		else if (type == 4)
			sb_str(p->o, "802.2");
		else
			sb_printf(p->o, "ethertype Unknown (0x%04x)", type);
	} else {
		name = ethertype_name(type);
		sb_printf(p->o, "ethertype %s (0x%04x)", name ? name : "Unknown", type);
	}
	sb_printf(p->o, ", length %u: ", length);
}

/* sll2_if_print() after the prefix, for what an event can be: IPv4 or IPv6, 802.1Q tags. */
int sll2_print(struct pkt *p, __u32 length)
{
	__u32 caplen = p->caplen, off = 20;
	const char *name;
	__u16 type, tci;

	p->proto = "sll2";
	/* The header is always whole: cook() in tcpdump.c makes it. */
	if (p->eflag)
		sll2_hdr_print(p, length);
	length -= 20;
	caplen -= 20;
	type = get16(p, 0);
	while (type == 0x8100) {
		if (caplen < 4) {
			p->proto = "vlan";
			print_trunc(p);
			p->ll_hdr_len = off + caplen;
			return 0;
		}
		if (p->eflag) {
			tci = get16(p, off);
			sb_printf(p->o, "vlan %u, p %u%s, ", tci & 0xfff, tci >> 13,
				  (tci & 0x1000) ? ", DEI" : "");
		}
		type = get16(p, off + 2);
		if (type <= 1500)
			type = 4; /* LINUX_SLL_P_802_2 */
		if (!p->qflag) {
			name = ethertype_name(type);
			sb_printf(p->o, "ethertype %s, ", name ? name : "Unknown");
		}
		off += 4;
		length -= 4;
		caplen -= 4;
	}
	p->ll_hdr_len = off;
	switch (type) {
	case 0x0800:
		return ip_print(p, off, length);
	case 0x86dd:
		return ip6_print(p, off, length);
	}
	/* Not IP (802.1ad is not a tag here): the header, and ND_DEFAULTPRINT's dump. */
	if (!p->eflag)
		sll2_hdr_print(p, length + 20);
	if (!p->suppress_default)
		hex_and_ascii_print(p->o, p->data + off, caplen);
	return 0;
}
