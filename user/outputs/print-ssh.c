// SPDX-License-Identifier: GPL-2.0
/*
 * print-ssh.c: the version line of an SSH banner.
 */

#include "netdissect.h"

/* print-ssh.c: the version line of an SSH banner, if that is what this is. */
int ssh_print(struct pkt *p, __u32 pp, __u32 len)
{
	static const char magic[] = "SSH-";
	__u32 idx;
	__u8 c;

	p->proto = "ssh";
	for (idx = 0; idx < 4; idx++) {
		if (!avail(p, (__u64)pp + idx, 1))
			return P_TRUNC;
		if (get8(p, pp + idx) != (__u8)magic[idx])
			return 0;
	}
	for (; idx < len; idx++) {
		if (!avail(p, (__u64)pp + idx, 1))
			return P_TRUNC;
		c = get8(p, pp + idx);
		if (c == '\n')
			goto print;
		if (c == '\r') {
			if (idx + 1 >= len)
				return 0;
			if (!avail(p, (__u64)pp + idx + 1, 1))
				return P_TRUNC;
			if (get8(p, pp + idx + 1) == '\n')
				goto print;
			return 0;
		}
		if (!is_print(c))
			return 0;
	}
	return 0;
print:
	sb_str(p->o, ": ");
	print_proto_caps(p);
	sb_str(p->o, ": ");
	sb_raw(p->o, (const char *)p->data + pp, idx);
	return 0;
}
