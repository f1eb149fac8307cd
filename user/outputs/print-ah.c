// SPDX-License-Identifier: GPL-2.0
/*
 * print-ah.c: the IPsec authentication header, as a next header.
 */

#include "netdissect.h"

int ah_print(struct pkt *p, __u32 ah, __u32 *advance)
{
	__u32 hdrlen, i;
	__u16 reserved;

	p->proto = "ah";
	print_proto_caps(p);
	if (!avail(p, ah + 1, 1))
		return P_TRUNC;
	hdrlen = (get8(p, ah + 1) + 2) * 4;
	sb_str(p->o, "(");
	if (!avail(p, ah + 2, 2))
		return P_TRUNC;
	reserved = get16(p, ah + 2);
	if (reserved)
		sb_printf(p->o, "reserved=0x%x[MustBeZero],", reserved);
	if (!avail(p, ah + 4, 4))
		return P_TRUNC;
	sb_printf(p->o, "spi=0x%08x,", get32(p, ah + 4));
	if (!avail(p, ah + 8, 4))
		return P_TRUNC;
	sb_printf(p->o, "seq=0x%x,", get32(p, ah + 8));
	sb_str(p->o, "icv=0x");
	for (i = 12; i < hdrlen; i++) {
		if (!avail(p, ah + i, 1))
			return P_TRUNC;
		sb_printf(p->o, "%02x", get8(p, ah + i));
	}
	sb_str(p->o, "): ");
	*advance = hdrlen;
	return 0;
}
