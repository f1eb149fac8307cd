/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the tcpdump printer's files share, as tcpdump's netdissect.h: the
 * packet cursor with its bounds, and each printer's entry. The printers
 * re-implement, from their observable behaviour, the parts of tcpdump
 * 4.99's printers a TCP frame can reach with -nn -S and no -v (and with
 * -e, -q, and the dumps of -x, -X and -A: print-ascii.c); each file
 * is named after the tcpdump file it mirrors (print-ether.c, print-ip.c,
 * print-ip6.c, print-ah.c, print-tcp.c, print-mptcp.c, print-ssh.c,
 * util-print.c, addrtoname.c); tcpdump.c assembles the line.
 * tests/unit/test_tcpdump.c holds them against the installed tcpdump.
 *
 * tcpdump stops printing a truncated packet in two ways, and the output
 * shows which one it took: a printer that tests the capture first jumps to
 * its own label (each differs in what it prints there), while a plain read
 * past the capture unwinds to the top, which appends " [|proto]" for the
 * protocol last entered. Here every read is bounds-checked and the second
 * way is the P_TRUNC return value, passed up to tcpdump.c's print_packet().
 *
 * Bytes from the packet reach the output only through sb_raw() after a
 * printable-ASCII check, never as a format string. Printers return 0, or
 * P_TRUNC; *_print(p, off, length) prints the header at offset off of a
 * length-byte datagram.
 */
#ifndef RST_NETDISSECT_H
#define RST_NETDISSECT_H

#include <linux/types.h>

#include "strbuf.h"

/*
 * Offsets are from the start of the snapshot. end is tcpdump's "snapend":
 * the captured length, cut down to the end of the IP datagram by the IP
 * printers. Offsets and lengths stay below 2^32 as in tcpdump (u_int), but
 * sums are done in 64 bits so that nothing wraps.
 */
struct pkt {
	const __u8 *data;
	__u32 caplen;
	__u32 end;
	const char *proto; /* tcpdump's ndo_protocol, for " [|proto]" */
	struct strbuf *o;
	int eflag;	      /* -e: the link-level header */
	int qflag;	      /* -q count: the short forms */
	__u32 ll_hdr_len;     /* set by the link printer: where -x and -X start */
	int suppress_default; /* -q, -x, -X: no hex dump of an unknown type's data */
};

/* The second way of stopping, see the top of this file. */
#define P_TRUNC 1

static inline int avail(const struct pkt *p, __u64 off, __u64 n)
{
	return off <= p->end && n <= p->end - off;
}

/* ND_BYTES_AVAILABLE_AFTER */
static inline __u32 avail_after(const struct pkt *p, __u64 off)
{
	return off <= p->end ? p->end - (__u32)off : 0;
}

static inline __u8 get8(const struct pkt *p, __u32 off)
{
	return p->data[off];
}

static inline __u16 get16(const struct pkt *p, __u32 off)
{
	return (__u16)(p->data[off] << 8 | p->data[off + 1]);
}

static inline __u32 get32(const struct pkt *p, __u32 off)
{
	return (__u32)get16(p, off) << 16 | get16(p, off + 2);
}

static inline __u64 get64(const struct pkt *p, __u32 off)
{
	return (__u64)get32(p, off) << 32 | get32(p, off + 4);
}

/* nd_push_snaplen: never grows the capture. */
static inline void push_snap(struct pkt *p, __u32 off, __u64 len)
{
	if ((__u64)off + len < p->end)
		p->end = off + (__u32)len;
}

/* nd_change_snaplen: may grow back up to what was captured. */
static inline void change_snap(struct pkt *p, __u32 off, __u64 len)
{
	p->end = (__u64)off + len < p->caplen ? off + (__u32)len : p->caplen;
}

static inline void print_trunc(struct pkt *p)
{
	sb_printf(p->o, " [|%s]", p->proto);
}

/* nd_print_protocol_caps */
static inline void print_proto_caps(struct pkt *p)
{
	const char *s;

	for (s = p->proto; *s; s++) {
		char c = *s;

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		sb_raw(p->o, &c, 1);
	}
}

static inline void print_invalid(struct pkt *p)
{
	sb_str(p->o, " (invalid)");
}

static inline int is_print(__u8 c)
{
	return c >= 0x20 && c < 0x7f;
}

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10
#define TH_URG 0x20

/* The longest address text: eight words, or six and a dotted quad, with colons. */
#define IP6_TEXT_MAX 45

/* addrtoname.c */
char *put_ip6(char *p, const __u8 *a);
char *put_ip(char *p, const __u8 *a, int is6);
void sb_ip(struct strbuf *o, const __u8 *a, int is6);
void print_addr_pair(struct pkt *p, __u32 ip, int is6, const char *sep);
void print_endpoints(struct strbuf *o, const __u8 *a, __u16 sport, const __u8 *b, __u16 dport,
		     int is6);

/* util-print.c */
void print_hex(struct pkt *p, __u32 off, __u32 n);

/*
 * print-ascii.c: the dumps after the line, of n bytes at off (all
 * captured): hex_print() (-x), hex_and_ascii_print() (-X), each line
 * "\n\t0xOOOO: " and 16 bytes; ascii_print() (-A), from a newline on.
 */
void hex_print(struct strbuf *o, const __u8 *b, __u32 n);
void hex_and_ascii_print(struct strbuf *o, const __u8 *b, __u32 n);
void ascii_print(struct strbuf *o, const __u8 *b, __u32 n);
int txtproto_print(struct pkt *p, __u32 pp, __u32 len, const char *const *cmds);
extern const char *const http_cmds[];
extern const char *const rtsp_cmds[];

/* print-ssh.c */
int ssh_print(struct pkt *p, __u32 pp, __u32 len);

/* print-mptcp.c: the option at opt of len bytes, all captured; 0 is "[bad opt]". */
int mptcp_print(struct pkt *p, __u32 opt, __u32 len, __u8 flags);

/* print-tcp.c */
void print_tcp_flags(struct strbuf *o, __u8 flags);
void print_seq_win(struct strbuf *o, __u8 flags, __u32 seq, __u32 ack, __u16 win, __u16 urp,
		   __u32 length);
int tcp_print(struct pkt *p, __u32 tcp, __u32 length, __u32 ip, int is6);

/* print-ah.c */
int ah_print(struct pkt *p, __u32 ah, __u32 *advance);

/* print-ip.c */
int ip_demux(struct pkt *p, __u32 cp, __u32 length, int is6, __u8 nh, __u32 ip);
int ip_print(struct pkt *p, __u32 ip, __u32 length);
int ipn_print(struct pkt *p, __u32 length);

/* print-ip6.c */
int ip6_print(struct pkt *p, __u32 ip6, __u32 length);

/* print-ether.c */
int ether_print(struct pkt *p, __u32 length);
/* tok2str(ethertype_values, ...): NULL for a type tcpdump calls "Unknown". */
const char *ethertype_name(__u16 type);

/* print-sll.c: a cooked v2 record of length bytes (-i any), after the prefix. */
int sll2_print(struct pkt *p, __u32 length);

#endif
