// SPDX-License-Identifier: GPL-2.0
/*
 * print-ip6.c with print-ip6opts.c, print-rt6.c and print-frag6.c: IPv6
 * and its extension headers.
 */
#include <stdint.h>
#include <netinet/in.h>

#include "netdissect.h"

/*
 * print-ip6opts.c ip6_opt_process() without -v: it only speaks about
 * malformed options. Returns -1 where tcpdump's "trunc" label is reached.
 */
static int ip6_opt_process(struct pkt *p, __u32 bp, __u32 len, int *found_jumbo, __u32 *payload_len)
{
	struct strbuf *o = p->o;
	__u32 i, optlen = 0;
	int seen_jumbo = 0;

	for (i = 0; i < len; i += optlen) {
		__u8 type = get8(p, bp + i);

		if (type == 0) {
			optlen = 1;
		} else {
			if (i + 1 < len)
				optlen = get8(p, bp + i + 1) + 2;
			else
				return -1;
		}
		if (i + optlen > len)
			return -1;
		switch (type) {
		case 0: /* Pad1 */
			break;
		case 1: /* PadN */
			if (len - i < 2) {
				sb_str(o, "(padn: trunc)");
				return -1;
			}
			break;
		case 5: /* router alert */
			if (len - i < 4) {
				sb_str(o, "(rtalert: trunc)");
				return -1;
			}
			if (get8(p, bp + i + 1) != 2) {
				sb_printf(o, "(rtalert: invalid len %u)", get8(p, bp + i + 1));
				return -1;
			}
			break;
		case 0xc2: { /* jumbo payload */
			__u32 jumbolen;

			if (len - i < 6) {
				sb_str(o, "(jumbo: trunc)");
				return -1;
			}
			if (get8(p, bp + i + 1) != 4) {
				sb_printf(o, "(jumbo: invalid len %u)", get8(p, bp + i + 1));
				return -1;
			}
			jumbolen = get32(p, bp + i + 2);
			if (!seen_jumbo) {
				seen_jumbo = 1;
				if (payload_len && *payload_len == 0 && jumbolen >= 65536) {
					*found_jumbo = 1;
					*payload_len = jumbolen;
				}
			}
			break;
		}
		case 0xc9: /* home address */
			if (len - i < 18) {
				sb_str(o, "(homeaddr: trunc)");
				return -1;
			}
			if (get8(p, bp + i + 1) < 16) {
				sb_printf(o, "(homeaddr: invalid len %u)", get8(p, bp + i + 1));
				return -1;
			}
			break;
		default:
			if (len - i < 2) {
				sb_printf(o, "(type %u: trunc)", type);
				return -1;
			}
			break;
		}
	}
	return 0;
}

/* print-rt6.c rt6_print(); *advance is 0 when tcpdump gives up. */
static int rt6_print(struct pkt *p, __u32 dp, __u32 *advance)
{
	struct strbuf *o = p->o;
	__u32 len, type, i, a;

	p->proto = "rt6";
	print_proto_caps(p);
	if (!avail(p, dp + 1, 1))
		return P_TRUNC;
	len = get8(p, dp + 1);
	sb_printf(o, " (len=%u", len);
	if (!avail(p, dp + 2, 1))
		return P_TRUNC;
	type = get8(p, dp + 2);
	sb_printf(o, ", type=%u", type);
	if (type == 0)
		sb_str(o, " [Deprecated]");
	if (!avail(p, dp + 3, 1))
		return P_TRUNC;
	sb_printf(o, ", segleft=%u", get8(p, dp + 3));

	*advance = 0;
	switch (type) {
	case 0:
	case 2:
		if (!avail(p, dp + 4, 4))
			return P_TRUNC;
		if (get32(p, dp + 4))
			sb_printf(o, ", rsv=0x%0x", get32(p, dp + 4));
		break;
	case 4:
		if (!avail(p, dp + 4, 1))
			return P_TRUNC;
		sb_printf(o, ", last-entry=%u", get8(p, dp + 4));
		if (!avail(p, dp + 5, 1))
			return P_TRUNC;
		if (get8(p, dp + 5))
			sb_printf(o, ", flags=0x%0x", get8(p, dp + 5));
		if (!avail(p, dp + 6, 2))
			return P_TRUNC;
		sb_printf(o, ", tag=%x", get16(p, dp + 6));
		break;
	default:
		sb_str(o, " (unknown type)");
		print_invalid(p);
		return 0;
	}
	if (len % 2 == 1) {
		sb_printf(o, " (invalid length %u)", len);
		print_invalid(p);
		return 0;
	}
	len >>= 1;
	for (i = 0, a = dp + 8; i < len; i++, a += 16) {
		if (!avail(p, a, 16))
			return P_TRUNC;
		sb_printf(o, ", [%u]", i);
		sb_ip(o, p->data + a, 1);
	}
	sb_str(o, ") ");
	*advance = (get8(p, dp + 1) + 1) << 3;
	return 0;
}

/* A zero payload length promises a jumbogram the hop-by-hop header must carry. */
static void print_no_jumbo(struct pkt *p)
{
	sb_str(p->o, "[No valid Jumbo Payload Hop-by-Hop option found]");
	print_invalid(p);
}

/* print-ip6.c ip6_print() with its extension-header walk. */
int ip6_print(struct pkt *p, __u32 ip6, __u32 length)
{
	struct strbuf *o = p->o;
	int found_ext = 0, found_jumbo = 0, found_hbh = 0;
	__u32 payload_len, len, total_advance = 0, cp = ip6, advance = 40;
	__u8 ph = 255, nh;

	p->proto = "ip6";
	/* ND_TCHECK_SIZE: its label, in place (-x keeps the link header out). */
	if (!avail(p, ip6, 40)) {
		print_trunc(p);
		return 0;
	}
	if (length < 40) {
		sb_printf(o, "truncated-ip6 %u", length);
		return 0;
	}
	if (!p->eflag)
		sb_lit(o, "IP6 ");
	if (get8(p, ip6) >> 4 != 6) {
		sb_printf(o, "version error: %u != 6", get8(p, ip6) >> 4);
		return 0;
	}
	payload_len = get16(p, ip6 + 4);
	if (payload_len != 0) {
		len = payload_len + 40;
		if (length < len)
			sb_printf(o, "truncated-ip6 - %u bytes missing!", len - length);
	} else {
		len = length + 40;
	}
	nh = get8(p, ip6 + 6);
	push_snap(p, ip6, len);

	while (cp < p->end && advance > 0) {
		__u32 hdr_len;

		if (len < advance) {
			print_trunc(p);
			return 0;
		}
		cp += advance;
		len -= advance;
		total_advance += advance;

		if (cp == ip6 + 40 && nh != IPPROTO_TCP && nh != IPPROTO_UDP &&
		    nh != IPPROTO_DCCP && nh != IPPROTO_SCTP)
			print_addr_pair(p, ip6, 1, ": ");

		switch (nh) {
		case IPPROTO_HOPOPTS:
			if (found_hbh) {
				sb_str(o, "[The Hop-by-Hop Options header was already found]");
				print_invalid(p);
				return 0;
			}
			if (ph != 255) {
				sb_str(o, "[The Hop-by-Hop Options header don't follow the IPv6 "
					  "header]");
				print_invalid(p);
				return 0;
			}
			p->proto = "hbhopt";
			if (!avail(p, cp + 1, 1))
				return P_TRUNC;
			hdr_len = (get8(p, cp + 1) + 1) << 3;
			if (!avail(p, cp, hdr_len)) {
				print_trunc(p);
				if (payload_len == 0)
					print_no_jumbo(p);
				return 0;
			}
			sb_str(o, "HBH ");
			advance = hdr_len;
			if (ip6_opt_process(p, cp + 2, hdr_len - 2, &found_jumbo, &payload_len)) {
				print_trunc(p);
				advance = 0;
			}
			/* Checked even when the options were cut short. */
			if (payload_len == 0 && !found_jumbo) {
				print_no_jumbo(p);
				return 0;
			}
			if (!advance)
				return 0;
			found_ext = 1;
			found_hbh = 1;
			nh = get8(p, cp);
			break;
		case IPPROTO_DSTOPTS:
			p->proto = "dstopt";
			if (!avail(p, cp + 1, 1))
				return P_TRUNC;
			hdr_len = (get8(p, cp + 1) + 1) << 3;
			if (!avail(p, cp, hdr_len)) {
				print_trunc(p);
				return 0;
			}
			sb_str(o, "DSTOPT ");
			advance = hdr_len;
			found_ext = 1;
			nh = get8(p, cp);
			break;
		case IPPROTO_FRAGMENT: {
			__u64 rest = 40 + (__u64)get16(p, ip6 + 4) - (cp - ip6) - 8;
			__u16 offlg;

			p->proto = "frag6";
			if (!avail(p, cp + 2, 2))
				return P_TRUNC;
			offlg = get16(p, cp + 2);
			/* %zu of a size_t that may have wrapped */
			sb_printf(o, "frag (%u|%llu)", offlg & 0xfff8,
				  (unsigned long long)(rest & (__u64)SIZE_MAX));
			if (offlg & 0xfff8)
				return 0;
			sb_str(o, " ");
			if (p->end <= cp + 8)
				return 0;
			advance = 8;
			found_ext = 1;
			nh = get8(p, cp);
			break;
		}
		case IPPROTO_ROUTING: {
			int r;

			if (!avail(p, cp, 1)) {
				print_trunc(p);
				return 0;
			}
			r = rt6_print(p, cp, &advance);
			if (r)
				return r;
			if (!advance)
				return 0;
			found_ext = 1;
			nh = get8(p, cp);
			break;
		}
		default:
			if (found_jumbo) {
				len = payload_len + 40;
				if (len < total_advance) {
					print_trunc(p);
					return 0;
				}
				if (length < len)
					sb_printf(o, "truncated-ip6 - %u bytes missing!",
						  len - length);
				change_snap(p, ip6, len);
				len -= total_advance;
			} else if (payload_len == 0) {
				if (found_ext) {
					print_trunc(p);
					return 0;
				}
				len = 40;
				change_snap(p, ip6, len);
				len -= total_advance;
			}
			return ip_demux(p, cp, len, 1, nh, ip6);
		}
		ph = nh;
		p->proto = "ip6";
	}
	return 0;
}
