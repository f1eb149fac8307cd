// SPDX-License-Identifier: GPL-2.0
/*
 * The tcpdump line of an RST event. This re-implements, from their
 * observable behaviour, the parts of tcpdump 4.99's printers a TCP frame
 * can reach with -nn -S and no -v: Ethernet and its VLAN tags
 * (print-ether.c), IPv4 (print-ip.c), IPv6 and its extension headers
 * (print-ip6.c, print-ip6opts.c, print-rt6.c, print-frag6.c, print-ah.c),
 * TCP and its options (print-tcp.c, print-mptcp.c) and the one-line
 * payload printers (util-print.c txtproto_print, print-ssh.c).
 * tests/unit/test_tcpdump.c holds it against the installed tcpdump.
 *
 * tcpdump stops printing a truncated packet in two ways, and the output
 * shows which one it took: a printer that tests the capture first jumps to
 * its own label (each differs in what it prints there), while a plain read
 * past the capture unwinds to the top, which appends " [|proto]" for the
 * protocol last entered. Here every read is bounds-checked and the second
 * way is the P_TRUNC return value, passed up to print_frame().
 *
 * Bytes from the packet reach the output only through out_raw() after a
 * printable-ASCII check, never as a format string.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include "rsttrace.h"
#include "tcpdump.h"
#include "util.h"

/* ---- output ---------------------------------------------------------- */

struct out {
	char *buf;
	size_t size;
	size_t pos;
	int full; /* something did not fit: the result is -ENOSPC */
};

static void out_raw(struct out *o, const char *s, size_t n)
{
	if (o->full)
		return;
	if (n >= o->size - o->pos) {
		o->full = 1;
		return;
	}
	memcpy(o->buf + o->pos, s, n);
	o->pos += n;
	o->buf[o->pos] = '\0';
}

static void out_str(struct out *o, const char *s)
{
	out_raw(o, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3))) out_fmt(struct out *o, const char *fmt, ...)
{
	size_t room = o->size - o->pos;
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->pos, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room) {
		o->full = 1;
		o->buf[o->pos] = '\0';
		return;
	}
	o->pos += n;
}

/*
 * The cheap appenders of the hot path (the RST line prints a dozen numbers
 * and two addresses; vsnprintf parses its format for each). put_*() write
 * at a cursor and return the new end, each exactly what the printf
 * conversion in its comment would print. A run of them goes between
 * out_begin(), given the run's worst-case length, and out_end(): straight
 * into the buffer when the worst case fits, else into the caller's scratch
 * array of that size, which out_raw() then copies if it fits (so a full
 * buffer fails at exactly the same length as before). Writing in place
 * also keeps the bytes from being stored twice and read back in between.
 */
#define out_lit(o, s) out_raw((o), (s), sizeof(s) - 1) /* s: a string literal */

static char *out_begin(struct out *o, char *scratch, size_t max)
{
	return !o->full && max < o->size - o->pos ? o->buf + o->pos : scratch;
}

static void out_end(struct out *o, char *start, char *end)
{
	if (start != o->buf + o->pos) {
		out_raw(o, start, (size_t)(end - start));
		return;
	}
	o->pos = (size_t)(end - o->buf);
	o->buf[o->pos] = '\0';
}

static const char digits2[201] = "00010203040506070809101112131415161718192021222324"
				 "25262728293031323334353637383940414243444546474849"
				 "50515253545556575859606162636465666768697071727374"
				 "75767778798081828384858687888990919293949596979899";

static char *put_lit(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

/* The decimal digits of v, in three or four comparisons. */
static int dec_digits(__u32 v)
{
	if (v < 100000) {
		if (v < 100)
			return v < 10 ? 1 : 2;
		if (v < 10000)
			return v < 1000 ? 3 : 4;
		return 5;
	}
	if (v < 10000000)
		return v < 1000000 ? 6 : 7;
	if (v < 1000000000)
		return v < 100000000 ? 8 : 9;
	return 10;
}

/* "%u": at most 10 characters. */
static char *put_u32(char *p, __u32 v)
{
	int n = dec_digits(v);
	char *q = p + n;

	while (v >= 100) {
		q -= 2;
		q[0] = digits2[(v % 100) * 2];
		q[1] = digits2[(v % 100) * 2 + 1];
		v /= 100;
	}
	if (v >= 10) {
		q[-2] = digits2[v * 2];
		q[-1] = digits2[v * 2 + 1];
	} else {
		q[-1] = (char)('0' + v);
	}
	return p + n;
}

/* "%02u" of v < 100. */
static char *put_02u(char *p, __u32 v)
{
	p[0] = digits2[v * 2];
	p[1] = digits2[v * 2 + 1];
	return p + 2;
}

/* "%06u" of v < 1000000. */
static char *put_06u(char *p, __u32 v)
{
	p = put_02u(p, v / 10000);
	p = put_02u(p, v / 100 % 100);
	return put_02u(p, v % 100);
}

/* "%x": at most 4 characters for a 16-bit word. */
static char *put_x16(char *p, __u16 v)
{
	static const char hex[16] = "0123456789abcdef";
	int shift = v >= 0x1000 ? 12 : v >= 0x100 ? 8 : v >= 0x10 ? 4 : 0;

	for (; shift >= 0; shift -= 4)
		*p++ = hex[(v >> shift) & 0xf];
	return p;
}

/* "%u.%u.%u.%u": at most 15 characters. */
static char *put_ip4(char *p, const __u8 *a)
{
	p = put_u32(p, a[0]);
	*p++ = '.';
	p = put_u32(p, a[1]);
	*p++ = '.';
	p = put_u32(p, a[2]);
	*p++ = '.';
	return put_u32(p, a[3]);
}

static void out_u32(struct out *o, __u32 v)
{
	char t[10], *q = out_begin(o, t, sizeof(t));

	out_end(o, q, put_u32(q, v));
}

/* " %u" */
static void out_sp_u32(struct out *o, __u32 v)
{
	char t[11], *q = out_begin(o, t, sizeof(t));

	*q = ' ';
	out_end(o, q, put_u32(q + 1, v));
}

static int out_init(struct out *o, char *buf, size_t len)
{
	if (!buf)
		return -EINVAL;
	if (!len)
		return -ENOSPC;
	o->buf = buf;
	o->size = len;
	o->pos = 0;
	o->full = 0;
	buf[0] = '\0';
	return 0;
}

static int out_done(struct out *o)
{
	if (o->full) {
		o->buf[0] = '\0';
		return -ENOSPC;
	}
	return (int)o->pos;
}

/* ---- the packet and its bounds ---------------------------------------- */

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
	struct out *o;
};

/* The second way of stopping, see the top of the file. */
#define P_TRUNC 1

static int avail(const struct pkt *p, __u64 off, __u64 n)
{
	return off <= p->end && n <= p->end - off;
}

/* ND_BYTES_AVAILABLE_AFTER */
static __u32 avail_after(const struct pkt *p, __u64 off)
{
	return off <= p->end ? p->end - (__u32)off : 0;
}

static __u8 get8(const struct pkt *p, __u32 off)
{
	return p->data[off];
}

static __u16 get16(const struct pkt *p, __u32 off)
{
	return (__u16)(p->data[off] << 8 | p->data[off + 1]);
}

static __u32 get32(const struct pkt *p, __u32 off)
{
	return (__u32)get16(p, off) << 16 | get16(p, off + 2);
}

static __u64 get64(const struct pkt *p, __u32 off)
{
	return (__u64)get32(p, off) << 32 | get32(p, off + 4);
}

/* nd_push_snaplen: never grows the capture. */
static void push_snap(struct pkt *p, __u32 off, __u64 len)
{
	if ((__u64)off + len < p->end)
		p->end = off + (__u32)len;
}

/* nd_change_snaplen: may grow back up to what was captured. */
static void change_snap(struct pkt *p, __u32 off, __u64 len)
{
	p->end = (__u64)off + len < p->caplen ? off + (__u32)len : p->caplen;
}

static void print_trunc(struct pkt *p)
{
	out_fmt(p->o, " [|%s]", p->proto);
}

/* nd_print_protocol_caps */
static void print_proto_caps(struct pkt *p)
{
	const char *s;

	for (s = p->proto; *s; s++) {
		char c = *s;

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		out_raw(p->o, &c, 1);
	}
}

static void print_invalid(struct pkt *p)
{
	out_str(p->o, " (invalid)");
}

static int is_print(__u8 c)
{
	return c >= 0x20 && c < 0x7f;
}

/* ---- addresses -------------------------------------------------------- */

/* The longest address text: eight words, or six and a dotted quad, with colons. */
#define IP6_TEXT_MAX 45

/*
 * tcpdump's addrtostr6(): the longest run (the first of equals) of two or
 * more zero words becomes "::", and an IPv4-compatible or -mapped address
 * ends in dotted quad. At most IP6_TEXT_MAX characters.
 */
static char *put_ip6(char *p, const __u8 *a)
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
static char *put_ip(char *p, const __u8 *a, int is6)
{
	return is6 ? put_ip6(p, a) : put_ip4(p, a);
}

static void out_ip(struct out *o, const __u8 *a, int is6)
{
	char s[IP6_TEXT_MAX], *q = out_begin(o, s, sizeof(s));

	out_end(o, q, put_ip(q, a, is6));
}

/* The address pair of an IPv4 (is6 0) or IPv6 header at off, "a > b". */
static void print_addr_pair(struct pkt *p, __u32 ip, int is6, const char *sep)
{
	char s[2 * IP6_TEXT_MAX + 3], *b = out_begin(p->o, s, sizeof(s)), *q;

	q = put_ip(b, p->data + ip + (is6 ? 8 : 12), is6);
	q = put_lit(q, " > ", 3);
	q = put_ip(q, p->data + ip + (is6 ? 24 : 16), is6);
	out_end(p->o, b, q);
	out_str(p->o, sep);
}

/*
 * "A.SPORT > B.DPORT: ", tcp_print()'s and print_fields()'s start, for
 * the addresses a and b of family is6.
 */
static void print_endpoints(struct out *o, const __u8 *a, __u16 sport, const __u8 *b, __u16 dport,
			    int is6)
{
	char s[2 * (IP6_TEXT_MAX + 6) + 5], *start = out_begin(o, s, sizeof(s)), *q;

	q = put_ip(start, a, is6);
	*q++ = '.';
	q = put_u32(q, sport);
	q = put_lit(q, " > ", 3);
	q = put_ip(q, b, is6);
	*q++ = '.';
	q = put_u32(q, dport);
	q = put_lit(q, ": ", 2);
	out_end(o, start, q);
}

/* ---- payload printers -------------------------------------------------- */

#define MAX_TOKEN 128

/* util-print.c fetch_token(): 0 when there is no token. */
static __u32 fetch_token(struct pkt *p, __u32 pp, __u32 idx, __u32 len, char *tok,
			 size_t toklen_max)
{
	size_t toklen = 0;
	__u8 c;

	for (; idx < len; idx++) {
		if (!avail(p, (__u64)pp + idx, 1))
			return 0;
		c = get8(p, pp + idx);
		if (c >= 0x80)
			return 0;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			break;
		if (!is_print(c))
			return 0;
		if (toklen + 2 > toklen_max)
			return 0;
		tok[toklen++] = (char)c;
	}
	if (toklen == 0)
		return 0;
	tok[toklen] = '\0';
	for (; idx < len; idx++) {
		if (!avail(p, (__u64)pp + idx, 1))
			break;
		c = get8(p, pp + idx);
		if (c == '\r' || c == '\n')
			break;
		if (!is_print(c))
			break;
		if (c != ' ' && c != '\t')
			break;
	}
	return idx;
}

/* util-print.c print_txt_line(), non-verbose: the first line after ": ". */
static int print_txt_line(struct pkt *p, __u32 pp, __u32 len)
{
	__u32 idx = 0, linelen;
	__u8 c;

	while (idx < len) {
		if (!avail(p, (__u64)pp + idx, 1))
			return P_TRUNC;
		c = get8(p, pp + idx);
		if (c == '\n') {
			linelen = idx;
			goto print;
		} else if (c == '\r') {
			if (idx + 1 >= len)
				return 0;
			if (!avail(p, (__u64)pp + idx + 1, 1))
				return P_TRUNC;
			if (get8(p, pp + idx + 1) == '\n') {
				linelen = idx;
				goto print;
			}
			return 0;
		} else if (!is_print(c) && c != '\t') {
			return 0;
		}
		idx++;
	}
	/* No end of line within the payload. */
	out_str(p->o, ": ");
	out_raw(p->o, (const char *)p->data + pp, idx);
	print_trunc(p);
	return 0;
print:
	out_str(p->o, ": ");
	out_raw(p->o, (const char *)p->data + pp, linelen);
	return 0;
}

static const char *const http_cmds[] = {
	"GET",
	"PUT",
	"COPY",
	"HEAD",
	"LOCK",
	"MOVE",
	"POLL",
	"POST",
	"BCOPY",
	"BMOVE",
	"MKCOL",
	"TRACE",
	"LABEL",
	"MERGE",
	"DELETE",
	"SEARCH",
	"UNLOCK",
	"REPORT",
	"UPDATE",
	"NOTIFY",
	"BDELETE",
	"CONNECT",
	"OPTIONS",
	"CHECKIN",
	"PROPFIND",
	"CHECKOUT",
	"CCM_POST",
	"SUBSCRIBE",
	"PROPPATCH",
	"BPROPFIND",
	"BPROPPATCH",
	"UNCHECKOUT",
	"MKACTIVITY",
	"MKWORKSPACE",
	"UNSUBSCRIBE",
	"RPC_CONNECT",
	"VERSION-CONTROL",
	"BASELINE-CONTROL",
	NULL,
};

static const char *const rtsp_cmds[] = {
	"DESCRIBE", "ANNOUNCE", "GET_PARAMETER", "OPTIONS",	  "PAUSE",    "PLAY",
	"RECORD",   "REDIRECT", "SETUP",	 "SET_PARAMETER", "TEARDOWN", NULL,
};

static int ascii_casecmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int ca = (unsigned char)*a, cb = (unsigned char)*b;

		if (ca >= 'A' && ca <= 'Z')
			ca += 'a' - 'A';
		if (cb >= 'A' && cb <= 'Z')
			cb += 'a' - 'A';
		if (ca != cb || !ca)
			return ca - cb;
	}
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * util-print.c txtproto_print(), non-verbose. With a command list, only a
 * request (known first token) or a response (3-digit second token) line is
 * printed; the protocol name always is.
 */
static int txtproto_print(struct pkt *p, __u32 pp, __u32 len, const char *const *cmds)
{
	char token[MAX_TOKEN + 1];
	int print_this = 0;
	__u32 idx;

	if (cmds) {
		idx = fetch_token(p, pp, 0, len, token, sizeof(token));
		if (idx != 0) {
			for (; *cmds; cmds++) {
				if (ascii_casecmp(token, *cmds) == 0) {
					print_this = 1;
					break;
				}
			}
			/* Both HTTP and RTSP have the response code second. */
			idx = fetch_token(p, pp, idx, len, token, sizeof(token));
			if (idx != 0 && is_digit(token[0]) && is_digit(token[1]) &&
			    is_digit(token[2]) && token[3] == '\0')
				print_this = 1;
		}
	} else {
		print_this = 1;
	}
	print_proto_caps(p);
	if (print_this)
		return print_txt_line(p, pp, len);
	return 0;
}

/* print-ssh.c: the version line of an SSH banner, if that is what this is. */
static int ssh_print(struct pkt *p, __u32 pp, __u32 len)
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
	out_str(p->o, ": ");
	print_proto_caps(p);
	out_str(p->o, ": ");
	out_raw(p->o, (const char *)p->data + pp, idx);
	return 0;
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
		out_str(p->o, ": ");
		return txtproto_print(p, pp, len, NULL);
	} else if (PORT(43)) {
		p->proto = "whois";
		out_str(p->o, ": ");
		return txtproto_print(p, pp, len, NULL);
	} else if (PORT(179) || PORT(1723) || PORT(6379)) {
		return 0;
	} else if (PORT(22)) {
		return ssh_print(p, pp, len);
	} else if (PORT(139) || PORT(445) || PORT(10288) || PORT(6633) || PORT(6653)) {
		return 0;
	} else if (PORT(21)) {
		p->proto = "ftp";
		out_str(p->o, ": ");
		return txtproto_print(p, pp, len, NULL);
	} else if (PORT(80) || PORT(8080)) {
		p->proto = "http";
		out_str(p->o, ": ");
		return txtproto_print(p, pp, len, http_cmds);
	} else if (PORT(554) || PORT(8554)) {
		p->proto = "rtsp";
		out_str(p->o, ": ");
		return txtproto_print(p, pp, len, rtsp_cmds);
	}
	return 0;
#undef PORT
}

/* ---- TCP -------------------------------------------------------------- */

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10
#define TH_URG 0x20

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

static void print_hex(struct pkt *p, __u32 off, __u32 n)
{
	__u32 i;

	for (i = 0; i < n; i++)
		out_fmt(p->o, "%02x", get8(p, off + i));
}

/* print-tcp.c print_tcp_fastopen_option(); the bytes were checked. */
static void print_fastopen(struct pkt *p, __u32 cp, __u32 datalen, int exp)
{
	if (exp)
		out_str(p->o, "tfo");
	if (datalen == 0) {
		out_str(p->o, " cookiereq");
	} else if (datalen % 2 != 0 || datalen < 4 || datalen > 16) {
		print_invalid(p);
	} else {
		out_str(p->o, " cookie ");
		print_hex(p, cp, datalen);
	}
}

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
static int dss_number(struct out *o, const struct pkt *p, __u32 *cur, __u32 *left, int wide)
{
	__u32 n = wide ? 8 : 4;

	if (*left < n)
		return 0;
	if (wide)
		out_fmt(o, "%llu", (unsigned long long)get64(p, *cur));
	else
		out_fmt(o, "%u", get32(p, *cur));
	*cur += n;
	*left -= n;
	return 1;
}
static int mptcp_print(struct pkt *p, __u32 opt, __u32 len, __u8 flags)
{
	struct out *o = p->o;
	__u32 sub, i;
	__u8 f;

	p->proto = "mptcp";
	if (len < 3)
		return 0;
	sub = get8(p, opt + 2) >> 4;
	if (sub > MP_FCLOSE)
		sub = MP_FCLOSE + 1;
	out_fmt(o, " %u", len);
	out_fmt(o, " %s", mptcp_names[sub]);

	switch (sub) {
	case MP_CAPABLE: {
		__u8 version;

		if (!((len == 12 || len == 4) && (flags & TH_SYN)) &&
		    !((len == 20 || len == 22) && (flags & (TH_SYN | TH_ACK)) == TH_ACK))
			return 0;
		version = get8(p, opt + 2) & 0xf;
		if (version > 1) {
			out_fmt(o, " Unknown Version (%u)", version);
			return 1;
		}
		out_fmt(o, " v%u", version);
		if (get8(p, opt + 3) & 0x80)
			out_str(o, " csum");
		if (len == 12 || len >= 20) {
			out_fmt(o, " {0x%llx", (unsigned long long)get64(p, opt + 4));
			if (len >= 20)
				out_fmt(o, ",0x%llx", (unsigned long long)get64(p, opt + 12));
			out_str(o, "}");
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
				out_str(o, " backup");
			out_fmt(o, " id %u", get8(p, opt + 3));
		}
		if (len == 12) {
			out_fmt(o, " token 0x%x nonce 0x%x", get32(p, opt + 4), get32(p, opt + 8));
		} else if (len == 16) {
			out_fmt(o, " hmac 0x%llx nonce 0x%x", (unsigned long long)get64(p, opt + 4),
				get32(p, opt + 12));
		} else {
			out_str(o, " hmac 0x");
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
			out_str(o, " fin");
		if (f & 0x01) {
			out_str(o, " ack ");
			if (!dss_number(o, p, &cur, &left, f & 0x02))
				return 0;
		}
		if (f & 0x04) {
			out_str(o, " seq ");
			if (!dss_number(o, p, &cur, &left, f & 0x08))
				return 0;
			if (left < 4)
				return 0;
			out_fmt(o, " subseq %u", get32(p, cur));
			cur += 4;
			left -= 4;
			if (left < 2)
				return 0;
			out_fmt(o, " len %u", get16(p, cur));
			cur += 2;
			left -= 2;
			if (left >= 2) {
				out_fmt(o, " csum 0x%x", get16(p, cur));
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
		out_fmt(o, " %s", e < 7 && echo[e] ? echo[e] : "[bad version/echo]");
		out_fmt(o, " id %u", get8(p, opt + 3));
		if (len <= 18) {
			out_lit(o, " ");
			out_ip(o, p->data + opt + 4, 0);
			if (len == 10 || len == 18)
				out_fmt(o, ":%u", get16(p, opt + 8));
			if (len == 16)
				out_fmt(o, " hmac 0x%llx", (unsigned long long)get64(p, opt + 8));
			if (len == 18)
				out_fmt(o, " hmac 0x%llx", (unsigned long long)get64(p, opt + 10));
		} else {
			out_lit(o, " ");
			out_ip(o, p->data + opt + 4, 1);
			if (len == 22 || len == 30)
				out_fmt(o, ":%u", get16(p, opt + 20));
			if (len == 28)
				out_fmt(o, " hmac 0x%llx", (unsigned long long)get64(p, opt + 20));
			if (len == 30)
				out_fmt(o, " hmac 0x%llx", (unsigned long long)get64(p, opt + 22));
		}
		return 1;
	}
	case MP_REMOVE_ADDR:
		if (len < 4)
			return 0;
		out_str(o, " id");
		for (i = 3; i < len; i++)
			out_fmt(o, " %u", get8(p, opt + i));
		return 1;
	case MP_PRIO:
		if (len != 3 && len != 4)
			return 0;
		out_str(o, get8(p, opt + 2) & 0x01 ? " backup" : " non-backup");
		if (len == 4)
			out_fmt(o, " id %u", get8(p, opt + 3));
		return 1;
	case MP_FAIL:
		if (len != 12)
			return 0;
		out_fmt(o, " seq %llu", (unsigned long long)get64(p, opt + 4));
		return 1;
	case MP_FCLOSE:
		if (len != 12)
			return 0;
		out_fmt(o, " key 0x%llx", (unsigned long long)get64(p, opt + 4));
		return 1;
	}
	return 1;
}

/*
 * print-tcp.c tcp_verify_signature() as far as tcpdump gets without the
 * -M secret: it gives up before computing anything.
 */
static void print_md5(struct pkt *p, __u32 cp, __u64 data_end)
{
	if (data_end > p->end)
		out_str(p->o, "snaplen too short, ");
	else
		out_str(p->o, "shared secret not supplied with -M, ");
	out_str(p->o, "can't check - ");
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
	struct out *o = p->o;
	__u32 cp = tcp + 20;
	__u32 opt, len, datalen, i;
	const char *name;

	hlen -= 20;
	out_lit(o, ", options [");
	while (hlen > 0) {
		if (*ch)
			out_raw(o, ch, 1);
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
			out_str(o, name);
		} else {
			out_lit(o, "unknown-");
			out_u32(o, opt);
		}

		switch (opt) {
		case TCPOPT_MAXSEG:
			datalen = 2;
			LENCHECK(datalen);
			out_sp_u32(o, get16(p, cp));
			break;
		case TCPOPT_WSCALE:
			datalen = 1;
			LENCHECK(datalen);
			out_sp_u32(o, get8(p, cp));
			break;
		case TCPOPT_SACK:
			datalen = len - 2;
			if (datalen % 8 != 0) {
				out_str(o, " invalid sack");
			} else {
				out_sp_u32(o, datalen / 8);
				out_lit(o, " ");
				for (i = 0; i < datalen; i += 8) {
					char t[sizeof("{:}") - 1 + 2 * 10], *b, *q;

					LENCHECK(i + 4);
					LENCHECK(i + 8);
					b = out_begin(o, t, sizeof(t));
					q = b;
					*q++ = '{';
					q = put_u32(q, get32(p, cp + i));
					*q++ = ':';
					q = put_u32(q, get32(p, cp + i + 4));
					*q++ = '}';
					out_end(o, b, q);
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
			out_sp_u32(o, get32(p, cp));
			break;
		case TCPOPT_TIMESTAMP: {
			char t[sizeof(" val  ecr ") - 1 + 2 * 10], *b, *q;

			datalen = 8;
			LENCHECK(datalen);
			b = out_begin(o, t, sizeof(t));
			q = put_lit(b, " val ", 5);
			q = put_u32(q, get32(p, cp));
			q = put_lit(q, " ecr ", 5);
			q = put_u32(q, get32(p, cp + 4));
			out_end(o, b, q);
			break;
		}
		case TCPOPT_SIGNATURE:
			datalen = 16;
			LENCHECK(datalen);
			out_str(o, " ");
			print_md5(p, cp, (__u64)tcp + (get8(p, tcp + 12) >> 4) * 4 + length);
			break;
		case TCPOPT_SCPS:
			datalen = 2;
			LENCHECK(datalen);
			out_fmt(o, " cap %02x id %u", get8(p, cp), get8(p, cp + 1));
			break;
		case TCPOPT_TCPAO:
			datalen = len - 2;
			if (datalen < 2) {
				print_invalid(p);
			} else {
				LENCHECK(1);
				out_fmt(o, " keyid %u", get8(p, cp));
				LENCHECK(2);
				out_fmt(o, " rnextkeyid %u", get8(p, cp + 1));
				if (datalen > 2) {
					out_str(o, " mac 0x");
					for (i = 2; i < datalen; i++) {
						LENCHECK(i + 1);
						out_fmt(o, "%02x", get8(p, cp + i));
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
			out_fmt(o, " 0x%x", uto);
			uto = uto & 1 ? (uto >> 1) * 60 : uto >> 1;
			out_fmt(o, " %u", uto);
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
			out_str(o, " ");
			print_fastopen(p, cp, datalen, 0);
			break;
		case TCPOPT_EXPERIMENT2: {
			__u16 magic;

			datalen = len - 2;
			LENCHECK(datalen);
			if (datalen < 2)
				return OPT_BAD;
			magic = get16(p, cp);
			out_str(o, "-");
			if (magic == 0xf989)
				print_fastopen(p, cp + 2, datalen - 2, 1);
			else
				out_fmt(o, "%04x", magic);
			break;
		}
		default:
			datalen = len - 2;
			if (datalen)
				out_str(o, " 0x");
			for (i = 0; i < datalen; ++i) {
				LENCHECK(i + 1);
				out_fmt(o, "%02x", get8(p, cp + i));
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
			out_fmt(o, "[len %u]", len);
		*ch = ',';
		if (opt == TCPOPT_EOL)
			break;
	}
	out_str(o, "]");
	return OPT_OK;
}

static void print_tcp_flags(struct out *o, __u8 flags)
{
	static const struct {
		__u8 bit;
		char c;
	} tok[] = {
		{ 0x01, 'F' }, { 0x02, 'S' }, { 0x04, 'R' }, { 0x08, 'P' },
		{ 0x10, '.' }, { 0x20, 'U' }, { 0x40, 'E' }, { 0x80, 'W' },
	};
	char s[sizeof("Flags [none]") - 1 + 8], *start = out_begin(o, s, sizeof(s)), *q;
	size_t i;

	q = put_lit(start, "Flags [", 7);
	for (i = 0; i < sizeof(tok) / sizeof(tok[0]); i++)
		if (flags & tok[i].bit)
			*q++ = tok[i].c;
	if (!flags)
		q = put_lit(q, "none", 4);
	*q++ = ']';
	out_end(o, start, q);
}

/*
 * ", seq S[:E], ack A, win W[, urg U]" as tcp_print() prints it after the
 * flags (seq only with payload, SYN, FIN or RST; ack only with ACK; urg
 * only with URG). length is the payload's.
 */
static void print_seq_win(struct out *o, __u8 flags, __u32 seq, __u32 ack, __u16 win, __u16 urp,
			  __u32 length)
{
	char s[sizeof(", seq :, ack , win , urg ") - 1 + 4 * 10 + 2 * 5];
	char *start = out_begin(o, s, sizeof(s)), *q = start;

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
	out_end(o, start, q);
}

/*
 * print-tcp.c tcp_print(): the segment at tcp, length bytes by the IP
 * header, under the IPv4 or IPv6 header at ip.
 */
static int tcp_print(struct pkt *p, __u32 tcp, __u32 length, __u32 ip, int is6)
{
	struct out *o = p->o;
	__u16 sport, dport, win, urp;
	__u32 hlen, seq, ack;
	int direct;
	__u8 flags;
	char ch = '\0';
	int r;

	p->proto = "tcp";
	if (!avail(p, tcp, 4)) {
		print_addr_pair(p, ip, is6, ":");
		return P_TRUNC;
	}
	sport = get16(p, tcp);
	dport = get16(p, tcp + 2);

	/* Addresses only when TCP follows the IP header directly. */
	direct = is6 ? get8(p, ip + 6) == IPPROTO_TCP : get8(p, ip + 9) == IPPROTO_TCP;
	if (direct) {
		print_endpoints(o, p->data + ip + (is6 ? 8 : 12), sport,
				p->data + ip + (is6 ? 24 : 16), dport, is6);
	} else {
		out_fmt(o, "%u > %u: ", sport, dport);
	}

	if (!avail(p, tcp, 20)) {
		print_trunc(p); /* ND_TCHECK_SIZE's label */
		return 0;
	}
	hlen = (get8(p, tcp + 12) >> 4) * 4;
	if (hlen < 20) {
		out_fmt(o, " tcp %u [bad hdr length %u - too short, < 20]", length - hlen, hlen);
		return 0;
	}
	seq = get32(p, tcp + 4);
	ack = get32(p, tcp + 8);
	win = get16(p, tcp + 14);
	urp = get16(p, tcp + 18);
	flags = get8(p, tcp + 13);
	print_tcp_flags(o, flags);

	if (hlen > length) {
		out_fmt(o, " [bad hdr length %u - too long, > %u]", hlen, length);
		return 0;
	}
	length -= hlen;
	print_seq_win(o, flags, seq, ack, win, urp, length);

	if (hlen > 20) {
		switch (tcp_options(p, tcp, hlen, length, flags, &ch)) {
		case OPT_BAD:
			out_str(o, "[bad opt]");
			if (ch)
				out_str(o, "]");
			return 0;
		case OPT_TRUNC_LABEL:
			print_trunc(p);
			if (ch)
				out_str(o, ">");
			return 0;
		case OPT_TRUNC_GET:
			return P_TRUNC;
		}
	}

	out_lit(o, ", length ");
	out_u32(o, length);
	if (length == 0)
		return 0;
	if (!avail(p, tcp, hlen)) {
		out_fmt(o, " [remaining caplen(%u) < header length(%u)]", avail_after(p, tcp),
			hlen);
		return P_TRUNC;
	}
	r = payload_print(p, tcp + hlen, length, sport, dport);
	return r;
}

/* ---- IPv4 and IPv6 ------------------------------------------------------ */

/* print-ah.c */
static int ah_print(struct pkt *p, __u32 ah, __u32 *advance)
{
	__u32 hdrlen, i;
	__u16 reserved;

	p->proto = "ah";
	print_proto_caps(p);
	if (!avail(p, ah + 1, 1))
		return P_TRUNC;
	hdrlen = (get8(p, ah + 1) + 2) * 4;
	out_str(p->o, "(");
	if (!avail(p, ah + 2, 2))
		return P_TRUNC;
	reserved = get16(p, ah + 2);
	if (reserved)
		out_fmt(p->o, "reserved=0x%x[MustBeZero],", reserved);
	if (!avail(p, ah + 4, 4))
		return P_TRUNC;
	out_fmt(p->o, "spi=0x%08x,", get32(p, ah + 4));
	if (!avail(p, ah + 8, 4))
		return P_TRUNC;
	out_fmt(p->o, "seq=0x%x,", get32(p, ah + 8));
	out_str(p->o, "icv=0x");
	for (i = 12; i < hdrlen; i++) {
		if (!avail(p, ah + i, 1))
			return P_TRUNC;
		out_fmt(p->o, "%02x", get8(p, ah + i));
	}
	out_str(p->o, "): ");
	*advance = hdrlen;
	return 0;
}

/* print-ip-demux.c ip_demux_print(), for what can follow IPv4 or IPv6. */
static int ip_demux(struct pkt *p, __u32 cp, __u32 length, int is6, __u8 nh, __u32 ip)
{
	__u32 advance;
	int r;

	for (;;) {
		switch (nh) {
		case IPPROTO_AH:
			if (!avail(p, cp, 1)) {
				p->proto = "ah";
				print_trunc(p);
				return 0;
			}
			nh = get8(p, cp);
			advance = 0;
			r = ah_print(p, cp, &advance);
			if (r)
				return r;
			cp += advance;
			length -= advance;
			continue;
		case IPPROTO_TCP:
			return tcp_print(p, cp, length, ip, is6);
		case IPPROTO_NONE:
			out_str(p->o, "no next header");
			return 0;
		}
		break;
	}
	/* XXX: other transports print as tcpdump prints a protocol it does not know. */
	out_fmt(p->o, " ip-proto-%u %u", nh, length);
	return 0;
}

/* print-ip.c ip_print() */
static int ip_print(struct pkt *p, __u32 ip, __u32 length)
{
	struct out *o = p->o;
	__u32 hlen, len;
	__u16 off;
	__u8 v, nh;

	p->proto = "ip";
	if (!avail(p, ip, 1))
		return P_TRUNC;
	v = get8(p, ip) >> 4;
	if (v != 4) {
		if (v == 6)
			out_lit(o, "IP6, wrong link-layer encapsulation");
		else
			out_fmt(o, "IP%u", v);
		print_invalid(p);
		return 0;
	}
	out_lit(o, "IP ");
	if (!avail(p, ip, 20))
		return P_TRUNC;
	if (length < 20) {
		out_fmt(o, "truncated-ip %u", length);
		return 0;
	}
	hlen = (get8(p, ip) & 0xf) * 4;
	if (hlen < 20) {
		out_fmt(o, "bad-hlen %u", hlen);
		return 0;
	}
	len = get16(p, ip + 2);
	if (length < len)
		out_fmt(o, "truncated-ip - %u bytes missing! ", len - length);
	if (len < hlen) {
		out_fmt(o, "bad-len %u", len);
		return 0;
	}
	push_snap(p, ip, len);
	len -= hlen;
	off = get16(p, ip + 6);
	nh = get8(p, ip + 9);
	if ((off & 0x1fff) == 0) {
		if (nh != IPPROTO_TCP && nh != IPPROTO_UDP && nh != IPPROTO_SCTP &&
		    nh != IPPROTO_DCCP)
			print_addr_pair(p, ip, 0, ": ");
		if (!avail(p, ip, hlen)) {
			out_fmt(o, " [remaining caplen(%u) < header length(%u)]",
				avail_after(p, ip), hlen);
			return P_TRUNC;
		}
		return ip_demux(p, ip + hlen, len, 0, nh, ip);
	}
	/* Not the first fragment: no transport header to print. */
	print_addr_pair(p, ip, 0, ":");
	out_fmt(o, " ip-proto-%u", nh);
	return 0;
}

/*
 * print-ip6opts.c ip6_opt_process() without -v: it only speaks about
 * malformed options. Returns -1 where tcpdump's "trunc" label is reached.
 */
static int ip6_opt_process(struct pkt *p, __u32 bp, __u32 len, int *found_jumbo, __u32 *payload_len)
{
	struct out *o = p->o;
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
				out_str(o, "(padn: trunc)");
				return -1;
			}
			break;
		case 5: /* router alert */
			if (len - i < 4) {
				out_str(o, "(rtalert: trunc)");
				return -1;
			}
			if (get8(p, bp + i + 1) != 2) {
				out_fmt(o, "(rtalert: invalid len %u)", get8(p, bp + i + 1));
				return -1;
			}
			break;
		case 0xc2: { /* jumbo payload */
			__u32 jumbolen;

			if (len - i < 6) {
				out_str(o, "(jumbo: trunc)");
				return -1;
			}
			if (get8(p, bp + i + 1) != 4) {
				out_fmt(o, "(jumbo: invalid len %u)", get8(p, bp + i + 1));
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
				out_str(o, "(homeaddr: trunc)");
				return -1;
			}
			if (get8(p, bp + i + 1) < 16) {
				out_fmt(o, "(homeaddr: invalid len %u)", get8(p, bp + i + 1));
				return -1;
			}
			break;
		default:
			if (len - i < 2) {
				out_fmt(o, "(type %u: trunc)", type);
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
	struct out *o = p->o;
	__u32 len, type, i, a;

	p->proto = "rt6";
	print_proto_caps(p);
	if (!avail(p, dp + 1, 1))
		return P_TRUNC;
	len = get8(p, dp + 1);
	out_fmt(o, " (len=%u", len);
	if (!avail(p, dp + 2, 1))
		return P_TRUNC;
	type = get8(p, dp + 2);
	out_fmt(o, ", type=%u", type);
	if (type == 0)
		out_str(o, " [Deprecated]");
	if (!avail(p, dp + 3, 1))
		return P_TRUNC;
	out_fmt(o, ", segleft=%u", get8(p, dp + 3));

	*advance = 0;
	switch (type) {
	case 0:
	case 2:
		if (!avail(p, dp + 4, 4))
			return P_TRUNC;
		if (get32(p, dp + 4))
			out_fmt(o, ", rsv=0x%0x", get32(p, dp + 4));
		break;
	case 4:
		if (!avail(p, dp + 4, 1))
			return P_TRUNC;
		out_fmt(o, ", last-entry=%u", get8(p, dp + 4));
		if (!avail(p, dp + 5, 1))
			return P_TRUNC;
		if (get8(p, dp + 5))
			out_fmt(o, ", flags=0x%0x", get8(p, dp + 5));
		if (!avail(p, dp + 6, 2))
			return P_TRUNC;
		out_fmt(o, ", tag=%x", get16(p, dp + 6));
		break;
	default:
		out_str(o, " (unknown type)");
		print_invalid(p);
		return 0;
	}
	if (len % 2 == 1) {
		out_fmt(o, " (invalid length %u)", len);
		print_invalid(p);
		return 0;
	}
	len >>= 1;
	for (i = 0, a = dp + 8; i < len; i++, a += 16) {
		if (!avail(p, a, 16))
			return P_TRUNC;
		out_fmt(o, ", [%u]", i);
		out_ip(o, p->data + a, 1);
	}
	out_str(o, ") ");
	*advance = (get8(p, dp + 1) + 1) << 3;
	return 0;
}

/* A zero payload length promises a jumbogram the hop-by-hop header must carry. */
static void print_no_jumbo(struct pkt *p)
{
	out_str(p->o, "[No valid Jumbo Payload Hop-by-Hop option found]");
	print_invalid(p);
}

/* print-ip6.c ip6_print() with its extension-header walk. */
static int ip6_print(struct pkt *p, __u32 ip6, __u32 length)
{
	struct out *o = p->o;
	int found_ext = 0, found_jumbo = 0, found_hbh = 0;
	__u32 payload_len, len, total_advance = 0, cp = ip6, advance = 40;
	__u8 ph = 255, nh;

	p->proto = "ip6";
	if (!avail(p, ip6, 40))
		return P_TRUNC;
	if (length < 40) {
		out_fmt(o, "truncated-ip6 %u", length);
		return 0;
	}
	out_lit(o, "IP6 ");
	if (get8(p, ip6) >> 4 != 6) {
		out_fmt(o, "version error: %u != 6", get8(p, ip6) >> 4);
		return 0;
	}
	payload_len = get16(p, ip6 + 4);
	if (payload_len != 0) {
		len = payload_len + 40;
		if (length < len)
			out_fmt(o, "truncated-ip6 - %u bytes missing!", len - length);
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
				out_str(o, "[The Hop-by-Hop Options header was already found]");
				print_invalid(p);
				return 0;
			}
			if (ph != 255) {
				out_str(o, "[The Hop-by-Hop Options header don't follow the IPv6 "
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
			out_str(o, "HBH ");
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
			out_str(o, "DSTOPT ");
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
			out_fmt(o, "frag (%u|%llu)", offlg & 0xfff8,
				(unsigned long long)(rest & (__u64)SIZE_MAX));
			if (offlg & 0xfff8)
				return 0;
			out_str(o, " ");
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
					out_fmt(o, "truncated-ip6 - %u bytes missing!",
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

/* print-ip.c ipN_print(), the DLT_RAW printer. */
static int ipn_print(struct pkt *p, __u32 length)
{
	p->proto = "ipn";
	if (length < 1) {
		out_fmt(p->o, "truncated-ip %u", length);
		return 0;
	}
	if (!avail(p, 0, 1))
		return P_TRUNC;
	switch (get8(p, 0) & 0xf0) {
	case 0x40:
		return ip_print(p, 0, length);
	case 0x60:
		return ip6_print(p, 0, length);
	}
	out_fmt(p->o, "unknown ip %u", (get8(p, 0) & 0xf0) >> 4);
	return 0;
}

/* print-ether.c ether_common_print() without -e. */
static int ether_print(struct pkt *p, __u32 length)
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
	out_fmt(p->o, "%02x:%02x:%02x:%02x:%02x:%02x > %02x:%02x:%02x:%02x:%02x:%02x", p->data[6],
		p->data[7], p->data[8], p->data[9], p->data[10], p->data[11], p->data[0],
		p->data[1], p->data[2], p->data[3], p->data[4], p->data[5]);
	out_fmt(p->o, ", ethertype Unknown (0x%04x), length %u: ", type, wirelen);
	return 0;
}

/* What an event without snapshot prints: its fields, as if without options. */
static void print_fields(struct out *o, const struct rst_event *ev)
{
	__u32 length = ev->payload_len;
	int is6 = ev->family == AF_INET6;

	if (is6)
		out_lit(o, "IP6 ");
	else
		out_lit(o, "IP ");
	print_endpoints(o, ev->saddr, ev->sport, ev->daddr, ev->dport, is6);
	print_tcp_flags(o, ev->tcp_flags);
	/* The event keeps no urgent pointer: no ", urg", whatever the flags. */
	print_seq_win(o, (__u8)(ev->tcp_flags & ~TH_URG), ev->seq, ev->ack, ev->win, 0, length);
	out_lit(o, ", length ");
	out_u32(o, length);
}

static void print_packet(struct out *o, const struct rst_event *ev)
{
	struct pkt p = {
		.data = ev->snap,
		.caplen = ev->snap_len < RST_SNAPLEN_MAX ? ev->snap_len : RST_SNAPLEN_MAX,
		.proto = "",
		.o = o,
	};
	int r;

	if (p.caplen == 0) {
		print_fields(o, ev);
		return;
	}
	p.end = p.caplen;
	/* print.c pretty_print_packet() refuses a record longer than its packet. */
	if (ev->pkt_len == 0) {
		out_str(o, "[Invalid header: len==0]");
		return;
	}
	if (p.caplen > ev->pkt_len) {
		out_fmt(o, "[Invalid header: len(%u) < caplen(%u)]", ev->pkt_len, p.caplen);
		return;
	}
	if (ev->l3_off == 0)
		r = ipn_print(&p, ev->pkt_len);
	else
		r = ether_print(&p, ev->pkt_len);
	if (r == P_TRUNC)
		print_trunc(&p);
}

int fmt_tcpdump_packet(char *buf, size_t len, const struct rst_event *ev)
{
	struct out o;
	int err;

	err = out_init(&o, buf, len);
	if (err)
		return err;
	if (!ev)
		return -EINVAL;
	print_packet(&o, ev);
	return out_done(&o);
}

/* ---- timestamps and the line -------------------------------------------- */

static __s64 ts_usec(const struct timespec *t)
{
	/* tcpdump sees microseconds: truncate, do not round. */
	__s64 ns = t->tv_nsec;

	if (ns < 0)
		ns = 0;
	if (ns > 999999999)
		ns = 999999999;
	return (__s64)t->tv_sec * 1000000 + ns / 1000;
}

/* The [-]HH:MM:SS.uuuuuu of -ttt and -ttttt; whole days are dropped. */
static void print_delta(struct out *o, __s64 us)
{
	__u64 a = us < 0 ? (__u64)-us : (__u64)us;
	__u64 s = a / 1000000;

	out_fmt(o, "%c%02u:%02u:%02u.%06u", us < 0 ? '-' : ' ', (unsigned int)(s / 3600 % 24),
		(unsigned int)(s / 60 % 60), (unsigned int)(s % 60), (unsigned int)(a % 1000000));
}

/*
 * localtime_r() of the last second converted, per thread: a flood of
 * events shares a handful of seconds, and the conversion (the zone's lock,
 * a search of its transitions) costs as much as the rest of the line.
 * localtime_r() leaves tzname, timezone and daylight describing the zone
 * at the time it converted; a tzset() to another zone changes them, and
 * so does a conversion elsewhere in the process of a time whose zone
 * state differs: either way the next line converts again.
 * XXX: a tzset() to a zone with the same names, base offset and DST flag
 * but other rules is not noticed before the second changes.
 */
struct tm_cache {
	time_t sec;
	struct tm tm;
	const char *tzname0, *tzname1;
	long tz_off;
	int tz_dst;
	int valid;
};

static _Thread_local struct tm_cache tm_cache;

static const struct tm *local_tm(time_t sec)
{
	struct tm_cache *c = &tm_cache;

	if (c->valid && c->sec == sec && c->tzname0 == tzname[0] && c->tzname1 == tzname[1] &&
	    c->tz_off == timezone && c->tz_dst == daylight)
		return &c->tm;
	c->valid = 0;
	if (!localtime_r(&sec, &c->tm))
		return NULL;
	c->sec = sec;
	c->tzname0 = tzname[0];
	c->tzname1 = tzname[1];
	c->tz_off = timezone;
	c->tz_dst = daylight;
	c->valid = 1;
	return &c->tm;
}

/*
 * tcpdump takes a reference time of exactly 0 for "no reference yet", so a
 * line at the epoch starts the count again; so does this.
 */
static int ref_set(const struct fmt_state *st, const struct timespec *ref)
{
	return st->have_prev && ts_usec(ref) != 0;
}

int fmt_timestamp(char *buf, size_t len, int mode, const struct timespec *wall,
		  struct fmt_state *st)
{
	char t[sizeof("YYYY-MM-DD HH:MM:SS.uuuuuu")], *b, *q;
	const struct tm *tm;
	struct out o;
	time_t sec;
	__u32 usec;
	int err;

	err = out_init(&o, buf, len);
	if (err)
		return err;
	if (!wall)
		return -EINVAL;
	if ((mode == TS_DELTA || mode == TS_SINCE_FIRST) && !st)
		return -EINVAL;
	sec = wall->tv_sec;
	usec = (__u32)(ts_usec(wall) - (__s64)sec * 1000000);
	b = out_begin(&o, t, sizeof(t));
	q = b;

	switch (mode) {
	case TS_NONE:
		break;
	case TS_DEFAULT:
	case TS_EPOCH:
	case TS_DATE:
		/* tcpdump's pcap timestamps are 32-bit: it refuses the rest. */
		if (sec < 0 || sec > INT32_MAX) {
			out_str(&o, "[Error converting time]");
			break;
		}
		if (mode == TS_EPOCH) {
			/* "%lld.%06u"; sec fits 32 bits here. */
			q = put_u32(q, (__u32)sec);
			*q++ = '.';
			q = put_06u(q, usec);
			out_end(&o, b, q);
			break;
		}
		tm = local_tm(sec);
		if (!tm) {
			out_str(&o, "[Error converting time]");
			break;
		}
		if (mode == TS_DATE) {
			/* "%04d-%02d-%02d ": years 1901 to 2038 here. */
			q = put_02u(q, (__u32)(tm->tm_year + 1900) / 100);
			q = put_02u(q, (__u32)(tm->tm_year + 1900) % 100);
			*q++ = '-';
			q = put_02u(q, (__u32)tm->tm_mon + 1);
			*q++ = '-';
			q = put_02u(q, (__u32)tm->tm_mday);
			*q++ = ' ';
		}
		/* "%02d:%02d:%02d.%06u"; a leap second is tm_sec 60. */
		q = put_02u(q, (__u32)tm->tm_hour);
		*q++ = ':';
		q = put_02u(q, (__u32)tm->tm_min);
		*q++ = ':';
		q = put_02u(q, (__u32)tm->tm_sec);
		*q++ = '.';
		q = put_06u(q, usec);
		out_end(&o, b, q);
		break;
	case TS_DELTA:
		print_delta(&o, ref_set(st, &st->prev) ? ts_usec(wall) - ts_usec(&st->prev) : 0);
		break;
	case TS_SINCE_FIRST:
		print_delta(&o, ref_set(st, &st->first) ? ts_usec(wall) - ts_usec(&st->first) : 0);
		break;
	default:
		return -EINVAL;
	}
	if (st) {
		if (!ref_set(st, &st->first))
			st->first = *wall;
		st->prev = *wall;
		st->have_prev = 1;
	}
	return out_done(&o);
}

static void print_any_prefix(struct out *o, const char *ifname, int dir)
{
	/* if_indextoname() failing makes tcpdump print "?". */
	const char *raw = ifname && *ifname ? ifname : "?";
	char name[IF_NAMESIZE * 4 + 1];
	size_t n;

	/*
	 * tcpdump prints the name raw; a name with ESC or BEL in it (the
	 * kernel allows them) must not reach the terminal so: \xNN. Names
	 * of printable ASCII come out the same as tcpdump's.
	 */
	n = escape_text(name, sizeof(name), raw);
	/* "%-5s %-3s " */
	out_raw(o, name, n);
	if (n < 5)
		out_raw(o, "     ", 5 - n);
	if (dir == RST_DIR_OUT)
		out_lit(o, " Out ");
	else
		out_lit(o, " In  ");
}

int fmt_any_prefix(char *buf, size_t len, const char *ifname, int dir)
{
	struct out o;
	int err;

	err = out_init(&o, buf, len);
	if (err)
		return err;
	print_any_prefix(&o, ifname, dir);
	return out_done(&o);
}

static const char *hook_name(int hook)
{
	switch (hook) {
	case RST_HOOK_XDP:
		return "xdp";
	case RST_HOOK_TC_INGRESS:
		return "tc-in";
	case RST_HOOK_TC_EGRESS:
		return "tc-out";
	}
	return "unknown";
}

int fmt_event_line(char *buf, size_t len, const struct rst_event *ev, const char *ifname,
		   const struct timespec *wall, const struct fmt_opts *o, struct fmt_state *st)
{
	struct out out;
	int err, n;

	err = out_init(&out, buf, len);
	if (err)
		return err;
	if (!ev || !o || (o->tstamp != TS_NONE && !wall))
		return -EINVAL;
	if (o->tstamp != TS_NONE) {
		n = fmt_timestamp(buf, len, o->tstamp, wall, st);
		if (n < 0)
			return n;
		out.pos = (size_t)n;
		out_lit(&out, " ");
	}
	if (o->any_prefix)
		print_any_prefix(&out, ifname, ev->dir);
	print_packet(&out, ev);
	if (o->verbose > 0) {
		out_lit(&out, " ttl");
		out_sp_u32(&out, ev->ttl);
		out_lit(&out, " id");
		out_sp_u32(&out, ev->ip_id);
		out_lit(&out, " hook ");
		out_str(&out, hook_name(ev->hook));
		if (o->class) {
			out_lit(&out, " class ");
			out_str(&out, o->class);
		}
		if (o->reason) {
			out_lit(&out, " reason ");
			out_str(&out, o->reason);
		}
		if (o->state) {
			out_lit(&out, " state ");
			out_str(&out, o->state);
		}
	}
	out_lit(&out, "\n");
	return out_done(&out);
}
