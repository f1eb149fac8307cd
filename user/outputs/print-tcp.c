// SPDX-License-Identifier: GPL-2.0
/*
 * print-tcp.c: TCP with its flags, numbers and options, and the port
 * dispatch to the payload printers.
 */
#include <netinet/in.h>

#include "netdissect.h"

enum {
	TCPOPT_EOL = 0,
	TCPOPT_NOP = 1,
	TCPOPT_MAXSEG = 2,
	TCPOPT_WSCALE = 3,
	TCPOPT_SACKOK = 4,
	TCPOPT_SACK = 5,
	TCPOPT_ECHO = 6,
	TCPOPT_ECHOREPLY = 7,
	TCPOPT_TIMESTAMP = 8,
	TCPOPT_CC = 11,
	TCPOPT_CCNEW = 12,
	TCPOPT_CCECHO = 13,
	TCPOPT_SIGNATURE = 19,
	TCPOPT_SCPS = 20,
	TCPOPT_UTO = 28,
	TCPOPT_TCPAO = 29,
	TCPOPT_MPTCP = 30,
	TCPOPT_FASTOPEN = 34,
	TCPOPT_EXPERIMENT2 = 254,
};

static const char *tcpopt_name(__u8 opt)
{
	switch (opt) {
	case TCPOPT_EOL:
		return "eol";
	case TCPOPT_NOP:
		return "nop";
	case TCPOPT_MAXSEG:
		return "mss";
	case TCPOPT_WSCALE:
		return "wscale";
	case TCPOPT_SACKOK:
		return "sackOK";
	case TCPOPT_SACK:
		return "sack";
	case TCPOPT_ECHO:
		return "echo";
	case TCPOPT_ECHOREPLY:
		return "echoreply";
	case TCPOPT_TIMESTAMP:
		return "TS";
	case TCPOPT_CC:
		return "cc";
	case TCPOPT_CCNEW:
		return "ccnew";
	case TCPOPT_CCECHO:
		return ""; /* sic: tcpdump's table has an empty name */
	case TCPOPT_SIGNATURE:
		return "md5";
	case TCPOPT_SCPS:
		return "scps";
	case TCPOPT_UTO:
		return "uto";
	case TCPOPT_TCPAO:
		return "tcp-ao";
	case TCPOPT_MPTCP:
		return "mptcp";
	case TCPOPT_FASTOPEN:
		return "tfo";
	case TCPOPT_EXPERIMENT2:
		return "exp";
	}
	return NULL;
}

/* print-tcp.c print_tcp_fastopen_option(); the bytes were checked. */
static void print_fastopen(struct pkt *p, __u32 cp, __u32 datalen, int exp)
{
	if (exp)
		sb_str(p->o, "tfo");
	if (datalen == 0) {
		sb_str(p->o, " cookiereq");
	} else if (datalen % 2 != 0 || datalen < 4 || datalen > 16) {
		print_invalid(p);
	} else {
		sb_str(p->o, " cookie ");
		print_hex(p, cp, datalen);
	}
}

/*
 * The payload printers tcp_print() picks by port. Only the ones whose
 * non-verbose output is a short line are re-implemented.
 * XXX: TELNET (23), DNS (53), BGP (179), SMB (139, 445), PPTP (1723),
 * REDIS (6379), BEEP (10288), OpenFlow (6633, 6653), MSDP (639),
 * RPKI-RTR (323), LDP (646) and NFS (2049) payloads print only the TCP
 * part, where tcpdump may decode more.
 */
static int payload_print(struct pkt *p, __u32 pp, __u32 len, __u16 sport, __u16 dport)
{
#define PORT(n) (sport == (n) || dport == (n))
	if (PORT(23)) {
		return 0;
	} else if (PORT(25)) {
		p->proto = "smtp";
		sb_str(p->o, ": ");
		return txtproto_print(p, pp, len, NULL);
	} else if (PORT(43)) {
		p->proto = "whois";
		sb_str(p->o, ": ");
		return txtproto_print(p, pp, len, NULL);
	} else if (PORT(179) || PORT(1723) || PORT(6379)) {
		return 0;
	} else if (PORT(22)) {
		return ssh_print(p, pp, len);
	} else if (PORT(139) || PORT(445) || PORT(10288) || PORT(6633) || PORT(6653)) {
		return 0;
	} else if (PORT(21)) {
		p->proto = "ftp";
		sb_str(p->o, ": ");
		return txtproto_print(p, pp, len, NULL);
	} else if (PORT(80) || PORT(8080)) {
		p->proto = "http";
		sb_str(p->o, ": ");
		return txtproto_print(p, pp, len, http_cmds);
	} else if (PORT(554) || PORT(8554)) {
		p->proto = "rtsp";
		sb_str(p->o, ": ");
		return txtproto_print(p, pp, len, rtsp_cmds);
	}
	return 0;
#undef PORT
}

/*
 * print-tcp.c tcp_verify_signature() as far as tcpdump gets without the
 * -M secret: it gives up before computing anything.
 */
static void print_md5(struct pkt *p, __u32 cp, __u64 data_end)
{
	if (data_end > p->end)
		sb_str(p->o, "snaplen too short, ");
	else
		sb_str(p->o, "shared secret not supplied with -M, ");
	sb_str(p->o, "can't check - ");
	print_hex(p, cp, 16);
}

/* The three ways out of the options loop, as print-tcp.c's labels. */
enum { OPT_OK = 0, OPT_BAD, OPT_TRUNC_LABEL, OPT_TRUNC_GET };

/*
 * The options between tcp + 20 and tcp + hlen. *ch is the separator state
 * tcpdump's labels look at. length is the payload length (for md5).
 */
static int tcp_options(struct pkt *p, __u32 tcp, __u32 hlen, __u32 length, __u8 flags, char *ch)
{
	struct strbuf *o = p->o;
	__u32 cp = tcp + 20;
	__u32 opt, len, datalen, i;
	const char *name;

	hlen -= 20;
	sb_lit(o, ", options [");
	while (hlen > 0) {
		if (*ch)
			sb_raw(o, ch, 1);
		if (!avail(p, cp, 1))
			return OPT_TRUNC_GET;
		opt = get8(p, cp++);
		if (opt == TCPOPT_EOL || opt == TCPOPT_NOP) {
			len = 1;
		} else {
			if (!avail(p, cp, 1))
				return OPT_TRUNC_GET;
			len = get8(p, cp++);
			if (len < 2 || len > hlen)
				return OPT_BAD;
			--hlen;
		}
		--hlen;
		datalen = 0;

/* Bail if l bytes of data are not left or were not captured. */
#define LENCHECK(l)                                                                                \
	do {                                                                                       \
		if ((l) > hlen)                                                                    \
			return OPT_BAD;                                                            \
		if (!avail(p, cp, (l)))                                                            \
			return OPT_TRUNC_LABEL;                                                    \
	} while (0)

		name = tcpopt_name((__u8)opt);
		if (name) {
			sb_str(o, name);
		} else {
			sb_lit(o, "unknown-");
			sb_u32(o, opt);
		}

		switch (opt) {
		case TCPOPT_MAXSEG:
			datalen = 2;
			LENCHECK(datalen);
			sb_sp_u32(o, get16(p, cp));
			break;
		case TCPOPT_WSCALE:
			datalen = 1;
			LENCHECK(datalen);
			sb_sp_u32(o, get8(p, cp));
			break;
		case TCPOPT_SACK:
			datalen = len - 2;
			if (datalen % 8 != 0) {
				sb_str(o, " invalid sack");
			} else {
				sb_sp_u32(o, datalen / 8);
				sb_lit(o, " ");
				for (i = 0; i < datalen; i += 8) {
					char t[sizeof("{:}") - 1 + 2 * 10], *b, *q;

					LENCHECK(i + 4);
					LENCHECK(i + 8);
					b = sb_begin(o, t, sizeof(t));
					q = b;
					*q++ = '{';
					q = put_u32(q, get32(p, cp + i));
					*q++ = ':';
					q = put_u32(q, get32(p, cp + i + 4));
					*q++ = '}';
					sb_end(o, b, q);
				}
			}
			break;
		case TCPOPT_CC:
		case TCPOPT_CCNEW:
		case TCPOPT_CCECHO:
		case TCPOPT_ECHO:
		case TCPOPT_ECHOREPLY:
			datalen = 4;
			LENCHECK(datalen);
			sb_sp_u32(o, get32(p, cp));
			break;
		case TCPOPT_TIMESTAMP: {
			char t[sizeof(" val  ecr ") - 1 + 2 * 10], *b, *q;

			datalen = 8;
			LENCHECK(datalen);
			b = sb_begin(o, t, sizeof(t));
			q = put_lit(b, " val ", 5);
			q = put_u32(q, get32(p, cp));
			q = put_lit(q, " ecr ", 5);
			q = put_u32(q, get32(p, cp + 4));
			sb_end(o, b, q);
			break;
		}
		case TCPOPT_SIGNATURE:
			datalen = 16;
			LENCHECK(datalen);
			sb_str(o, " ");
			print_md5(p, cp, (__u64)tcp + (get8(p, tcp + 12) >> 4) * 4 + length);
			break;
		case TCPOPT_SCPS:
			datalen = 2;
			LENCHECK(datalen);
			sb_printf(o, " cap %02x id %u", get8(p, cp), get8(p, cp + 1));
			break;
		case TCPOPT_TCPAO:
			datalen = len - 2;
			if (datalen < 2) {
				print_invalid(p);
			} else {
				LENCHECK(1);
				sb_printf(o, " keyid %u", get8(p, cp));
				LENCHECK(2);
				sb_printf(o, " rnextkeyid %u", get8(p, cp + 1));
				if (datalen > 2) {
					sb_str(o, " mac 0x");
					for (i = 2; i < datalen; i++) {
						LENCHECK(i + 1);
						sb_printf(o, "%02x", get8(p, cp + i));
					}
				}
			}
			break;
		case TCPOPT_EOL:
		case TCPOPT_NOP:
		case TCPOPT_SACKOK:
			break;
		case TCPOPT_UTO: {
			__u32 uto;

			datalen = 2;
			LENCHECK(datalen);
			uto = get16(p, cp);
			sb_printf(o, " 0x%x", uto);
			uto = uto & 1 ? (uto >> 1) * 60 : uto >> 1;
			sb_printf(o, " %u", uto);
			break;
		}
		case TCPOPT_MPTCP:
			datalen = len - 2;
			LENCHECK(datalen);
			if (!mptcp_print(p, cp - 2, len, flags))
				return OPT_BAD;
			break;
		case TCPOPT_FASTOPEN:
			datalen = len - 2;
			LENCHECK(datalen);
			sb_str(o, " ");
			print_fastopen(p, cp, datalen, 0);
			break;
		case TCPOPT_EXPERIMENT2: {
			__u16 magic;

			datalen = len - 2;
			LENCHECK(datalen);
			if (datalen < 2)
				return OPT_BAD;
			magic = get16(p, cp);
			sb_str(o, "-");
			if (magic == 0xf989)
				print_fastopen(p, cp + 2, datalen - 2, 1);
			else
				sb_printf(o, "%04x", magic);
			break;
		}
		default:
			datalen = len - 2;
			if (datalen)
				sb_str(o, " 0x");
			for (i = 0; i < datalen; ++i) {
				LENCHECK(i + 1);
				sb_printf(o, "%02x", get8(p, cp + i));
			}
			break;
		}
#undef LENCHECK

		cp += datalen;
		hlen -= datalen;
		++datalen;
		if (opt != TCPOPT_EOL && opt != TCPOPT_NOP)
			++datalen;
		if (datalen != len)
			sb_printf(o, "[len %u]", len);
		*ch = ',';
		if (opt == TCPOPT_EOL)
			break;
	}
	sb_str(o, "]");
	return OPT_OK;
}

void print_tcp_flags(struct strbuf *o, __u8 flags)
{
	static const struct {
		__u8 bit;
		char c;
	} tok[] = {
		{ 0x01, 'F' }, { 0x02, 'S' }, { 0x04, 'R' }, { 0x08, 'P' },
		{ 0x10, '.' }, { 0x20, 'U' }, { 0x40, 'E' }, { 0x80, 'W' },
	};
	char s[sizeof("Flags [none]") - 1 + 8], *start = sb_begin(o, s, sizeof(s)), *q;
	size_t i;

	q = put_lit(start, "Flags [", 7);
	for (i = 0; i < sizeof(tok) / sizeof(tok[0]); i++)
		if (flags & tok[i].bit)
			*q++ = tok[i].c;
	if (!flags)
		q = put_lit(q, "none", 4);
	*q++ = ']';
	sb_end(o, start, q);
}

/*
 * ", seq S[:E], ack A, win W[, urg U]" as tcp_print() prints it after the
 * flags (seq only with payload, SYN, FIN or RST; ack only with ACK; urg
 * only with URG). length is the payload's.
 */
void print_seq_win(struct strbuf *o, __u8 flags, __u32 seq, __u32 ack, __u16 win, __u16 urp,
		   __u32 length)
{
	char s[sizeof(", seq :, ack , win , urg ") - 1 + 4 * 10 + 2 * 5];
	char *start = sb_begin(o, s, sizeof(s)), *q = start;

	if (length > 0 || flags & (TH_SYN | TH_FIN | TH_RST)) {
		q = put_lit(q, ", seq ", 6);
		q = put_u32(q, seq);
		if (length > 0) {
			*q++ = ':';
			q = put_u32(q, seq + length);
		}
	}
	if (flags & TH_ACK) {
		q = put_lit(q, ", ack ", 6);
		q = put_u32(q, ack);
	}
	q = put_lit(q, ", win ", 6);
	q = put_u32(q, win);
	if (flags & TH_URG) {
		q = put_lit(q, ", urg ", 6);
		q = put_u32(q, urp);
	}
	sb_end(o, start, q);
}

/*
 * print-tcp.c tcp_print(): the segment at tcp, length bytes by the IP
 * header, under the IPv4 or IPv6 header at ip.
 */
int tcp_print(struct pkt *p, __u32 tcp, __u32 length, __u32 ip, int is6)
{
	struct strbuf *o = p->o;
	__u16 sport, dport, win, urp;
	__u32 hlen, seq, ack;
	int direct;
	__u8 flags;
	char ch = '\0';
	int r;

	p->proto = "tcp";
	if (!avail(p, tcp, 4)) {
		/* nd_print_trunc() in place, no unwinding: -x still starts after the link header. */
		print_addr_pair(p, ip, is6, ":");
		print_trunc(p);
		return 0;
	}
	sport = get16(p, tcp);
	dport = get16(p, tcp + 2);

	/* Addresses only when TCP follows the IP header directly. */
	direct = is6 ? get8(p, ip + 6) == IPPROTO_TCP : get8(p, ip + 9) == IPPROTO_TCP;
	if (direct) {
		print_endpoints(o, p->data + ip + (is6 ? 8 : 12), sport,
				p->data + ip + (is6 ? 24 : 16), dport, is6);
	} else {
		sb_printf(o, "%u > %u: ", sport, dport);
	}

	if (!avail(p, tcp, 20)) {
		print_trunc(p); /* ND_TCHECK_SIZE's label */
		return 0;
	}
	hlen = (get8(p, tcp + 12) >> 4) * 4;
	if (hlen < 20) {
		sb_printf(o, " tcp %u [bad hdr length %u - too short, < 20]", length - hlen, hlen);
		return 0;
	}
	/* -q: the payload length alone (u_int: a header longer than the datagram wraps). */
	if (p->qflag) {
		sb_printf(o, "tcp %u", length - hlen);
		if (hlen > length)
			sb_printf(o, " [bad hdr length %u - too long, > %u]", hlen, length);
		return 0;
	}
	seq = get32(p, tcp + 4);
	ack = get32(p, tcp + 8);
	win = get16(p, tcp + 14);
	urp = get16(p, tcp + 18);
	flags = get8(p, tcp + 13);
	print_tcp_flags(o, flags);

	if (hlen > length) {
		sb_printf(o, " [bad hdr length %u - too long, > %u]", hlen, length);
		return 0;
	}
	length -= hlen;
	print_seq_win(o, flags, seq, ack, win, urp, length);

	if (hlen > 20) {
		switch (tcp_options(p, tcp, hlen, length, flags, &ch)) {
		case OPT_BAD:
			sb_str(o, "[bad opt]");
			if (ch)
				sb_str(o, "]");
			return 0;
		case OPT_TRUNC_LABEL:
			print_trunc(p);
			if (ch)
				sb_str(o, ">");
			return 0;
		case OPT_TRUNC_GET:
			return P_TRUNC;
		}
	}

	sb_lit(o, ", length ");
	sb_u32(o, length);
	if (length == 0)
		return 0;
	if (!avail(p, tcp, hlen)) {
		sb_printf(o, " [remaining caplen(%u) < header length(%u)]", avail_after(p, tcp),
			  hlen);
		return P_TRUNC;
	}
	r = payload_print(p, tcp + hlen, length, sport, dport);
	return r;
}
