// SPDX-License-Identifier: GPL-2.0
/*
 * util-print.c: hex bytes, and the one-line printers of text protocols
 * (fetch_token, print_txt_line, txtproto_print) the TCP ports lead to.
 */

#include "netdissect.h"

void print_hex(struct pkt *p, __u32 off, __u32 n)
{
	__u32 i;

	for (i = 0; i < n; i++)
		sb_printf(p->o, "%02x", get8(p, off + i));
}

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
	sb_str(p->o, ": ");
	sb_raw(p->o, (const char *)p->data + pp, idx);
	print_trunc(p);
	return 0;
print:
	sb_str(p->o, ": ");
	sb_raw(p->o, (const char *)p->data + pp, linelen);
	return 0;
}

const char *const http_cmds[] = {
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

const char *const rtsp_cmds[] = {
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
int txtproto_print(struct pkt *p, __u32 pp, __u32 len, const char *const *cmds)
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
