// SPDX-License-Identifier: GPL-2.0
/*
 * print-mptcp.c: the MPTCP option (RFC 8684) without -v.
 */

#include "netdissect.h"

enum { MP_CAPABLE = 0, MP_JOIN, MP_DSS, MP_ADD_ADDR, MP_REMOVE_ADDR, MP_PRIO, MP_FAIL, MP_FCLOSE };

static const char *const mptcp_names[] = {
	"capable", "join", "dss", "add-addr", "rem-addr", "prio", "fail", "fast-close", "unknown",
};

/*
 * print-mptcp.c, for an option at opt of len bytes, all captured (the
 * caller checked). Returns 0 where tcpdump says "[bad opt]".
 */

/*
 * An MPTCP DSS data ack or sequence number, 8 bytes when wide else 4, at
 * *cur within *left bytes: printed and consumed, or 0 when it is cut.
 */
static int dss_number(struct strbuf *o, const struct pkt *p, __u32 *cur, __u32 *left, int wide)
{
	__u32 n = wide ? 8 : 4;

	if (*left < n)
		return 0;
	if (wide)
		sb_printf(o, "%llu", (unsigned long long)get64(p, *cur));
	else
		sb_printf(o, "%u", get32(p, *cur));
	*cur += n;
	*left -= n;
	return 1;
}
int mptcp_print(struct pkt *p, __u32 opt, __u32 len, __u8 flags)
{
	struct strbuf *o = p->o;
	__u32 sub, i;
	__u8 f;

	p->proto = "mptcp";
	if (len < 3)
		return 0;
	sub = get8(p, opt + 2) >> 4;
	if (sub > MP_FCLOSE)
		sub = MP_FCLOSE + 1;
	sb_printf(o, " %u", len);
	sb_printf(o, " %s", mptcp_names[sub]);

	switch (sub) {
	case MP_CAPABLE: {
		__u8 version;

		if (!((len == 12 || len == 4) && (flags & TH_SYN)) &&
		    !((len == 20 || len == 22) && (flags & (TH_SYN | TH_ACK)) == TH_ACK))
			return 0;
		version = get8(p, opt + 2) & 0xf;
		if (version > 1) {
			sb_printf(o, " Unknown Version (%u)", version);
			return 1;
		}
		sb_printf(o, " v%u", version);
		if (get8(p, opt + 3) & 0x80)
			sb_str(o, " csum");
		if (len == 12 || len >= 20) {
			sb_printf(o, " {0x%llx", (unsigned long long)get64(p, opt + 4));
			if (len >= 20)
				sb_printf(o, ",0x%llx", (unsigned long long)get64(p, opt + 12));
			sb_str(o, "}");
		}
		return 1;
	}
	case MP_JOIN:
		if (!(len == 12 && (flags & TH_SYN)) &&
		    !(len == 16 && (flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK)) &&
		    !(len == 24 && (flags & TH_ACK)))
			return 0;
		if (len != 24) {
			if (get8(p, opt + 2) & 0x01)
				sb_str(o, " backup");
			sb_printf(o, " id %u", get8(p, opt + 3));
		}
		if (len == 12) {
			sb_printf(o, " token 0x%x nonce 0x%x", get32(p, opt + 4),
				  get32(p, opt + 8));
		} else if (len == 16) {
			sb_printf(o, " hmac 0x%llx nonce 0x%x",
				  (unsigned long long)get64(p, opt + 4), get32(p, opt + 12));
		} else {
			sb_str(o, " hmac 0x");
			print_hex(p, opt + 4, 20);
		}
		return 1;
	case MP_DSS: {
		__u32 cur = opt + 4, left;

		if (len < 4)
			return 0;
		if (flags & TH_SYN)
			return 0;
		left = len - 4;
		f = get8(p, opt + 3);
		if (f & 0x10)
			sb_str(o, " fin");
		if (f & 0x01) {
			sb_str(o, " ack ");
			if (!dss_number(o, p, &cur, &left, f & 0x02))
				return 0;
		}
		if (f & 0x04) {
			sb_str(o, " seq ");
			if (!dss_number(o, p, &cur, &left, f & 0x08))
				return 0;
			if (left < 4)
				return 0;
			sb_printf(o, " subseq %u", get32(p, cur));
			cur += 4;
			left -= 4;
			if (left < 2)
				return 0;
			sb_printf(o, " len %u", get16(p, cur));
			cur += 2;
			left -= 2;
			if (left >= 2) {
				sb_printf(o, " csum 0x%x", get16(p, cur));
				left -= 2;
			}
		}
		return left == 0;
	}
	case MP_ADD_ADDR: {
		static const char *const echo[] = {
			[0x0] = "v1",
			[0x1] = "v1-echo",
			[0x4] = "v0-ip4",
			[0x6] = "v0-ip6",
		};
		__u8 e;

		if (!(len == 8 || len == 10 || len == 16 || len == 18 || len == 20 || len == 22 ||
		      len == 28 || len == 30))
			return 0;
		e = get8(p, opt + 2) & 0xf;
		sb_printf(o, " %s", e < 7 && echo[e] ? echo[e] : "[bad version/echo]");
		sb_printf(o, " id %u", get8(p, opt + 3));
		if (len <= 18) {
			sb_lit(o, " ");
			sb_ip(o, p->data + opt + 4, 0);
			if (len == 10 || len == 18)
				sb_printf(o, ":%u", get16(p, opt + 8));
			if (len == 16)
				sb_printf(o, " hmac 0x%llx", (unsigned long long)get64(p, opt + 8));
			if (len == 18)
				sb_printf(o, " hmac 0x%llx",
					  (unsigned long long)get64(p, opt + 10));
		} else {
			sb_lit(o, " ");
			sb_ip(o, p->data + opt + 4, 1);
			if (len == 22 || len == 30)
				sb_printf(o, ":%u", get16(p, opt + 20));
			if (len == 28)
				sb_printf(o, " hmac 0x%llx",
					  (unsigned long long)get64(p, opt + 20));
			if (len == 30)
				sb_printf(o, " hmac 0x%llx",
					  (unsigned long long)get64(p, opt + 22));
		}
		return 1;
	}
	case MP_REMOVE_ADDR:
		if (len < 4)
			return 0;
		sb_str(o, " id");
		for (i = 3; i < len; i++)
			sb_printf(o, " %u", get8(p, opt + i));
		return 1;
	case MP_PRIO:
		if (len != 3 && len != 4)
			return 0;
		sb_str(o, get8(p, opt + 2) & 0x01 ? " backup" : " non-backup");
		if (len == 4)
			sb_printf(o, " id %u", get8(p, opt + 3));
		return 1;
	case MP_FAIL:
		if (len != 12)
			return 0;
		sb_printf(o, " seq %llu", (unsigned long long)get64(p, opt + 4));
		return 1;
	case MP_FCLOSE:
		if (len != 12)
			return 0;
		sb_printf(o, " key 0x%llx", (unsigned long long)get64(p, opt + 4));
		return 1;
	}
	return 1;
}
