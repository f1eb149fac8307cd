// SPDX-License-Identifier: GPL-2.0
/*
 * Addresses as tcpdump -n prints them (addrtoname.c's ipaddr_string and
 * ip6addr_string, ntop's addrtostr6), and the endpoint pairs of a line.
 */

#include "netdissect.h"

/*
 * tcpdump's addrtostr6(): the longest run (the first of equals) of two or
 * more zero words becomes "::", and an IPv4-compatible or -mapped address
 * ends in dotted quad. At most IP6_TEXT_MAX characters.
 */
char *put_ip6(char *p, const __u8 *a)
{
	int best_base = -1, best_len = 0, cur_base = -1, cur_len = 0;
	__u16 w[8];
	int i;

	for (i = 0; i < 8; i++)
		w[i] = (__u16)(a[2 * i] << 8 | a[2 * i + 1]);
	for (i = 0; i < 8; i++) {
		if (w[i] == 0) {
			if (cur_base < 0) {
				cur_base = i;
				cur_len = 1;
			} else {
				cur_len++;
			}
			if (cur_len > best_len) {
				best_base = cur_base;
				best_len = cur_len;
			}
		} else {
			cur_base = -1;
		}
	}
	if (best_len < 2)
		best_base = -1;

	for (i = 0; i < 8; i++) {
		if (best_base >= 0 && i >= best_base && i < best_base + best_len) {
			if (i == best_base)
				*p++ = ':';
			continue;
		}
		if (i != 0)
			*p++ = ':';
		if (i == 6 && best_base == 0 &&
		    (best_len == 6 || (best_len == 5 && w[5] == 0xffff)))
			return put_ip4(p, a + 12);
		p = put_x16(p, w[i]);
	}
	if (best_base >= 0 && best_base + best_len == 8)
		*p++ = ':';
	return p;
}

/* The address of family is6 at a. */
char *put_ip(char *p, const __u8 *a, int is6)
{
	return is6 ? put_ip6(p, a) : put_ip4(p, a);
}

void sb_ip(struct strbuf *o, const __u8 *a, int is6)
{
	char s[IP6_TEXT_MAX], *q = sb_begin(o, s, sizeof(s));

	sb_end(o, q, put_ip(q, a, is6));
}

/* The address pair of an IPv4 (is6 0) or IPv6 header at off, "a > b". */
void print_addr_pair(struct pkt *p, __u32 ip, int is6, const char *sep)
{
	char s[2 * IP6_TEXT_MAX + 3], *b = sb_begin(p->o, s, sizeof(s)), *q;

	q = put_ip(b, p->data + ip + (is6 ? 8 : 12), is6);
	q = put_lit(q, " > ", 3);
	q = put_ip(q, p->data + ip + (is6 ? 24 : 16), is6);
	sb_end(p->o, b, q);
	sb_str(p->o, sep);
}

/*
 * "A.SPORT > B.DPORT: ", tcp_print()'s and print_fields()'s start, for
 * the addresses a and b of family is6.
 */
void print_endpoints(struct strbuf *o, const __u8 *a, __u16 sport, const __u8 *b, __u16 dport,
		     int is6)
{
	char s[2 * (IP6_TEXT_MAX + 6) + 5], *start = sb_begin(o, s, sizeof(s)), *q;

	q = put_ip(start, a, is6);
	*q++ = '.';
	q = put_u32(q, sport);
	q = put_lit(q, " > ", 3);
	q = put_ip(q, b, is6);
	*q++ = '.';
	q = put_u32(q, dport);
	q = put_lit(q, ": ", 2);
	sb_end(o, start, q);
}
