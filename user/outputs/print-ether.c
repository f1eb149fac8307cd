// SPDX-License-Identifier: GPL-2.0
/*
 * print-ether.c: Ethernet and its VLAN tags, with and without -e (the
 * link-level header: addresses, each type, the frame length, each tag),
 * and the -q form of the type names. Sets p->ll_hdr_len, tcpdump's
 * ndo_ll_hdr_len, where -x and -X start.
 */

#include "netdissect.h"

/* print-ether.c's ethertype_values, for the types an event can carry. */
const char *ethertype_name(__u16 type)
{
	switch (type) {
	case 0x0800:
		return "IPv4";
	case 0x86dd:
		return "IPv6";
	case 0x8100:
		return "802.1Q";
	case 0x9100:
		return "802.1Q-9100";
	case 0x88a8:
		return "802.1Q-QinQ";
	case 0x9200:
		return "802.1Q-9200";
	}
	return NULL;
}

/* ether_type_print(): "ethertype IPv4 (0x0800)", with -q "IPv4". */
static void ether_type_print(struct pkt *p, __u16 type)
{
	const char *name = ethertype_name(type);

	if (!p->qflag)
		sb_printf(p->o, "ethertype %s (0x%04x)", name ? name : "Unknown", type);
	else if (name)
		sb_str(p->o, name);
	else
		sb_printf(p->o, "Unknown Ethertype (0x%04x)", type);
}

/* ether_addresses_print(): "source > destination, " as etheraddr_string() with -n. */
static void ether_addresses_print(struct pkt *p)
{
	const __u8 *d = p->data;

	sb_printf(p->o, "%02x:%02x:%02x:%02x:%02x:%02x > %02x:%02x:%02x:%02x:%02x:%02x, ", d[6],
		  d[7], d[8], d[9], d[10], d[11], d[0], d[1], d[2], d[3], d[4], d[5]);
}

/* ether_common_print() for an Ethernet II frame (802.3 lengths are no event's). */
int ether_print(struct pkt *p, __u32 length)
{
	__u32 caplen = p->caplen, off = 14, wirelen = length;
	int printed_length = 0;
	__u16 type, tci;

	p->proto = "ether";
	if (caplen < 14 || length < 14) {
		print_trunc(p);
		p->ll_hdr_len = caplen;
		return 0;
	}
	if (p->eflag)
		ether_addresses_print(p);
	type = get16(p, 12);
	caplen -= 14;
	length -= 14;
	/* Any number of 802.1Q, 802.1ad and the old QinQ tags; -e prints each. */
	while (type == 0x8100 || type == 0x9100 || type == 0x9200 || type == 0x88a8) {
		if (caplen < 4 || length < 4) {
			p->proto = "vlan";
			print_trunc(p);
			p->ll_hdr_len = off + (caplen < 4 ? caplen : length);
			return 0;
		}
		if (p->eflag) {
			tci = get16(p, off);
			ether_type_print(p, type);
			if (!printed_length) {
				sb_printf(p->o, ", length %u: ", wirelen);
				printed_length = 1;
			} else {
				sb_str(p->o, ", ");
			}
			/* ieee8021q_tci_string() */
			sb_printf(p->o, "vlan %u, p %u%s, ", tci & 0xfff, tci >> 13,
				  (tci & 0x1000) ? ", DEI" : "");
		}
		type = get16(p, off + 2);
		off += 4;
		caplen -= 4;
		length -= 4;
	}
	p->ll_hdr_len = off;
	if (p->eflag) {
		ether_type_print(p, type);
		if (!printed_length)
			sb_printf(p->o, ", length %u: ", wirelen);
		else
			sb_str(p->o, ", ");
	}
	switch (type) {
	case 0x0800:
		return ip_print(p, off, length);
	case 0x86dd:
		return ip6_print(p, off, length);
	}
	/*
	 * XXX: not IP, which no event carries. This is tcpdump's first line for
	 * an ethertype it does not know; it names the ones it knows and appends
	 * a hex dump on further lines.
	 */
	if (!p->eflag) {
		ether_addresses_print(p);
		ether_type_print(p, type);
		sb_printf(p->o, ", length %u: ", wirelen);
	}
	return 0;
}
