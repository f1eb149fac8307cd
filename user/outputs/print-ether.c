// SPDX-License-Identifier: GPL-2.0
/*
 * print-ether.c: Ethernet and its VLAN tags, without -e.
 */

#include "netdissect.h"

/* print-ether.c ether_common_print() without -e. */
int ether_print(struct pkt *p, __u32 length)
{
	__u32 caplen = p->caplen, off = 14, wirelen = length;
	__u16 type;

	p->proto = "ether";
	if (caplen < 14 || length < 14) {
		print_trunc(p);
		return 0;
	}
	type = get16(p, 12);
	caplen -= 14;
	length -= 14;
	/* Any number of 802.1Q, 802.1ad and the old QinQ tags: none is printed. */
	while (type == 0x8100 || type == 0x9100 || type == 0x9200 || type == 0x88a8) {
		if (caplen < 4 || length < 4) {
			p->proto = "vlan";
			print_trunc(p);
			return 0;
		}
		type = get16(p, off + 2);
		off += 4;
		caplen -= 4;
		length -= 4;
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
	sb_printf(p->o, "%02x:%02x:%02x:%02x:%02x:%02x > %02x:%02x:%02x:%02x:%02x:%02x", p->data[6],
		  p->data[7], p->data[8], p->data[9], p->data[10], p->data[11], p->data[0],
		  p->data[1], p->data[2], p->data[3], p->data[4], p->data[5]);
	sb_printf(p->o, ", ethertype Unknown (0x%04x), length %u: ", type, wirelen);
	return 0;
}
