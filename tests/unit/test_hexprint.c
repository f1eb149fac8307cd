// SPDX-License-Identifier: GPL-2.0
/*
 * The dumps of -x/-xx, -X/-XX and -A/-AA (user/outputs/print-ascii.c,
 * through fmt_tcpdump_packet_opts) against fixed text: each row is what
 * `tcpdump -nn -S -t FLAG -r` (4.99.3) printed for one frame cut to CAP
 * bytes (an RST-ACK carrying "GET / HTTP/1.1\r\nHost: a\rb\r\n" and
 * bytes 00 01 7f ff 09, " end\r": odd length, CR in and at the end of a
 * line, bytes above 0x7e, a tab; the addresses' 0x0a bytes are newlines
 * to -A). The cuts put the end inside the link header, just after it,
 * at a 16-byte line's end and either side of it. The rows need no
 * tcpdump installed; test_tcpdump.c compares with tcpdump itself.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "rsttrace.h"
#include "netdissect.h"
#include "tcpdump.h"
#include "rowtests.h"

/* Ethernet, IPv4 10.0.0.1 > 10.0.0.2, TCP 40000 > 80 RST-ACK, 37 bytes of payload. */
static const __u8 frame[91] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08,
	0x00, 0x45, 0x00, 0x00, 0x4d, 0x12, 0x34, 0x00, 0x00, 0x40, 0x06, 0x00, 0x00,
	0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x9c, 0x40, 0x00, 0x50, 0x00,
	0x00, 0x03, 0xe8, 0x00, 0x00, 0x07, 0xd0, 0x50, 0x14, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 'G',  'E',	'T',  ' ',  '/',  ' ',	'H',  'T',  'T',  'P',	'/',
	'1',  '.',  '1',  '\r', '\n', 'H',  'o',  's',	't',  ':',  ' ',  'a',	'\r',
	'b',  '\r', '\n', 0x00, 0x01, 0x7f, 0xff, '\t', ' ',  'e',  'n',  'd',	'\r',
};

struct row {
	const char *name;
	const char *flag;
	unsigned int cap;
	const char *want; /* tcpdump's output for the packet, without its last newline */
};

static const struct row rows[] = {
	{ "-x, 14 of 91 bytes", "-x", 14,
	  " [|ip]\n"
	  "\t0x0000:  0200 0000 0002 0200 0000 0001 0800" },
	{ "-xx, 14 of 91 bytes", "-xx", 14,
	  " [|ip]\n"
	  "\t0x0000:  0200 0000 0002 0200 0000 0001 0800" },
	{ "-X, 14 of 91 bytes", "-X", 14,
	  " [|ip]\n"
	  "\t0x0000:  0200 0000 0002 0200 0000 0001 0800       .............." },
	{ "-XX, 14 of 91 bytes", "-XX", 14,
	  " [|ip]\n"
	  "\t0x0000:  0200 0000 0002 0200 0000 0001 0800       .............." },
	{ "-A, 14 of 91 bytes", "-A", 14,
	  " [|ip]\n"
	  ".............." },
	{ "-AA, 14 of 91 bytes", "-AA", 14,
	  " [|ip]\n"
	  ".............." },
	{ "-x, 15 of 91 bytes", "-x", 15,
	  "IP  [|ip]\n"
	  "\t0x0000:  45" },
	{ "-xx, 15 of 91 bytes", "-xx", 15,
	  "IP  [|ip]\n"
	  "\t0x0000:  0200 0000 0002 0200 0000 0001 0800 45" },
	{ "-X, 15 of 91 bytes", "-X", 15,
	  "IP  [|ip]\n"
	  "\t0x0000:  45                                       E" },
	{ "-XX, 15 of 91 bytes", "-XX", 15,
	  "IP  [|ip]\n"
	  "\t0x0000:  0200 0000 0002 0200 0000 0001 0800 45    ..............E" },
	{ "-A, 15 of 91 bytes", "-A", 15,
	  "IP  [|ip]\n"
	  "E" },
	{ "-AA, 15 of 91 bytes", "-AA", 15,
	  "IP  [|ip]\n"
	  "..............E" },
	{ "-x, 30 of 91 bytes", "-x", 30,
	  "IP  [|ip]\n"
	  "\t0x0000:  4500 004d 1234 0000 4006 0000 0a00 0001" },
	{ "-xx, 30 of 91 bytes", "-xx", 30,
	  "IP  [|ip]\n"
	  "\t0x0000:  0200 0000 0002 0200 0000 0001 0800 4500\n"
	  "\t0x0010:  004d 1234 0000 4006 0000 0a00 0001" },
	{ "-X, 30 of 91 bytes", "-X", 30,
	  "IP  [|ip]\n"
	  "\t0x0000:  4500 004d 1234 0000 4006 0000 0a00 0001  E..M.4..@......." },
	{ "-XX, 30 of 91 bytes", "-XX", 30,
	  "IP  [|ip]\n"
	  "\t0x0000:  0200 0000 0002 0200 0000 0001 0800 4500  ..............E.\n"
	  "\t0x0010:  004d 1234 0000 4006 0000 0a00 0001       .M.4..@......." },
	{ "-A, 30 of 91 bytes", "-A", 30,
	  "IP  [|ip]\n"
	  "E..M.4..@...\n"
	  "..." },
	{ "-AA, 30 of 91 bytes", "-AA", 30,
	  "IP  [|ip]\n"
	  "..............E..M.4..@...\n"
	  "..." },
	{ "-x, 31 of 91 bytes", "-x", 31,
	  "IP  [|ip]\n"
	  "\t0x0000:  4500 004d 1234 0000 4006 0000 0a00 0001\n"
	  "\t0x0010:  0a" },
	{ "-xx, 31 of 91 bytes", "-xx", 31,
	  "IP  [|ip]\n"
	  "\t0x0000:  0200 0000 0002 0200 0000 0001 0800 4500\n"
	  "\t0x0010:  004d 1234 0000 4006 0000 0a00 0001 0a" },
	{ "-X, 31 of 91 bytes", "-X", 31,
	  "IP  [|ip]\n"
	  "\t0x0000:  4500 004d 1234 0000 4006 0000 0a00 0001  E..M.4..@.......\n"
	  "\t0x0010:  0a                                       ." },
	{ "-XX, 31 of 91 bytes", "-XX", 31,
	  "IP  [|ip]\n"
	  "\t0x0000:  0200 0000 0002 0200 0000 0001 0800 4500  ..............E.\n"
	  "\t0x0010:  004d 1234 0000 4006 0000 0a00 0001 0a    .M.4..@........" },
	{ "-A, 31 of 91 bytes", "-A", 31,
	  "IP  [|ip]\n"
	  "E..M.4..@...\n"
	  "...\n"
	  "" },
	{ "-AA, 31 of 91 bytes", "-AA", 31,
	  "IP  [|ip]\n"
	  "..............E..M.4..@...\n"
	  "...\n"
	  "" },
	{ "-x, 32 of 91 bytes", "-x", 32,
	  "IP  [|ip]\n"
	  "\t0x0000:  4500 004d 1234 0000 4006 0000 0a00 0001\n"
	  "\t0x0010:  0a00" },
	{ "-xx, 32 of 91 bytes", "-xx", 32,
	  "IP  [|ip]\n"
	  "\t0x0000:  0200 0000 0002 0200 0000 0001 0800 4500\n"
	  "\t0x0010:  004d 1234 0000 4006 0000 0a00 0001 0a00" },
	{ "-X, 32 of 91 bytes", "-X", 32,
	  "IP  [|ip]\n"
	  "\t0x0000:  4500 004d 1234 0000 4006 0000 0a00 0001  E..M.4..@.......\n"
	  "\t0x0010:  0a00                                     .." },
	{ "-XX, 32 of 91 bytes", "-XX", 32,
	  "IP  [|ip]\n"
	  "\t0x0000:  0200 0000 0002 0200 0000 0001 0800 4500  ..............E.\n"
	  "\t0x0010:  004d 1234 0000 4006 0000 0a00 0001 0a00  .M.4..@........." },
	{ "-A, 32 of 91 bytes", "-A", 32,
	  "IP  [|ip]\n"
	  "E..M.4..@...\n"
	  "...\n"
	  "." },
	{ "-AA, 32 of 91 bytes", "-AA", 32,
	  "IP  [|ip]\n"
	  "..............E..M.4..@...\n"
	  "...\n"
	  "." },
	{ "-x, 33 of 91 bytes", "-x", 33,
	  "IP  [|ip]\n"
	  "\t0x0000:  4500 004d 1234 0000 4006 0000 0a00 0001\n"
	  "\t0x0010:  0a00 00" },
	{ "-xx, 33 of 91 bytes", "-xx", 33,
	  "IP  [|ip]\n"
	  "\t0x0000:  0200 0000 0002 0200 0000 0001 0800 4500\n"
	  "\t0x0010:  004d 1234 0000 4006 0000 0a00 0001 0a00\n"
	  "\t0x0020:  00" },
	{ "-X, 33 of 91 bytes", "-X", 33,
	  "IP  [|ip]\n"
	  "\t0x0000:  4500 004d 1234 0000 4006 0000 0a00 0001  E..M.4..@.......\n"
	  "\t0x0010:  0a00 00                                  ..." },
	{ "-XX, 33 of 91 bytes", "-XX", 33,
	  "IP  [|ip]\n"
	  "\t0x0000:  0200 0000 0002 0200 0000 0001 0800 4500  ..............E.\n"
	  "\t0x0010:  004d 1234 0000 4006 0000 0a00 0001 0a00  .M.4..@.........\n"
	  "\t0x0020:  00                                       ." },
	{ "-A, 33 of 91 bytes", "-A", 33,
	  "IP  [|ip]\n"
	  "E..M.4..@...\n"
	  "...\n"
	  ".." },
	{ "-AA, 33 of 91 bytes", "-AA", 33,
	  "IP  [|ip]\n"
	  "..............E..M.4..@...\n"
	  "...\n"
	  ".." },
	{ "-x, 91 of 91 bytes", "-x", 91,
	  "IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [R.], seq 1000:1037, ack 2000, win 0, length 37: "
	  "HTTP: GET / HTTP/1.1\n"
	  "\t0x0000:  4500 004d 1234 0000 4006 0000 0a00 0001\n"
	  "\t0x0010:  0a00 0002 9c40 0050 0000 03e8 0000 07d0\n"
	  "\t0x0020:  5014 0000 0000 0000 4745 5420 2f20 4854\n"
	  "\t0x0030:  5450 2f31 2e31 0d0a 486f 7374 3a20 610d\n"
	  "\t0x0040:  620d 0a00 017f ff09 2065 6e64 0d" },
	{ "-xx, 91 of 91 bytes", "-xx", 91,
	  "IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [R.], seq 1000:1037, ack 2000, win 0, length 37: "
	  "HTTP: GET / HTTP/1.1\n"
	  "\t0x0000:  0200 0000 0002 0200 0000 0001 0800 4500\n"
	  "\t0x0010:  004d 1234 0000 4006 0000 0a00 0001 0a00\n"
	  "\t0x0020:  0002 9c40 0050 0000 03e8 0000 07d0 5014\n"
	  "\t0x0030:  0000 0000 0000 4745 5420 2f20 4854 5450\n"
	  "\t0x0040:  2f31 2e31 0d0a 486f 7374 3a20 610d 620d\n"
	  "\t0x0050:  0a00 017f ff09 2065 6e64 0d" },
	{ "-X, 91 of 91 bytes", "-X", 91,
	  "IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [R.], seq 1000:1037, ack 2000, win 0, length 37: "
	  "HTTP: GET / HTTP/1.1\n"
	  "\t0x0000:  4500 004d 1234 0000 4006 0000 0a00 0001  E..M.4..@.......\n"
	  "\t0x0010:  0a00 0002 9c40 0050 0000 03e8 0000 07d0  .....@.P........\n"
	  "\t0x0020:  5014 0000 0000 0000 4745 5420 2f20 4854  P.......GET./.HT\n"
	  "\t0x0030:  5450 2f31 2e31 0d0a 486f 7374 3a20 610d  TP/1.1..Host:.a.\n"
	  "\t0x0040:  620d 0a00 017f ff09 2065 6e64 0d         b........end." },
	{ "-XX, 91 of 91 bytes", "-XX", 91,
	  "IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [R.], seq 1000:1037, ack 2000, win 0, length 37: "
	  "HTTP: GET / HTTP/1.1\n"
	  "\t0x0000:  0200 0000 0002 0200 0000 0001 0800 4500  ..............E.\n"
	  "\t0x0010:  004d 1234 0000 4006 0000 0a00 0001 0a00  .M.4..@.........\n"
	  "\t0x0020:  0002 9c40 0050 0000 03e8 0000 07d0 5014  ...@.P........P.\n"
	  "\t0x0030:  0000 0000 0000 4745 5420 2f20 4854 5450  ......GET./.HTTP\n"
	  "\t0x0040:  2f31 2e31 0d0a 486f 7374 3a20 610d 620d  /1.1..Host:.a.b.\n"
	  "\t0x0050:  0a00 017f ff09 2065 6e64 0d              .......end." },
	{ "-A, 91 of 91 bytes", "-A", 91,
	  "IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [R.], seq 1000:1037, ack 2000, win 0, length 37: "
	  "HTTP: GET / HTTP/1.1\n"
	  "E..M.4..@...\n"
	  "...\n"
	  "....@.P........P.......GET / HTTP/1.1\n"
	  "Host: a.b\n"
	  "....\t end" },
	{ "-AA, 91 of 91 bytes", "-AA", 91,
	  "IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [R.], seq 1000:1037, ack 2000, win 0, length 37: "
	  "HTTP: GET / HTTP/1.1\n"
	  "..............E..M.4..@...\n"
	  "...\n"
	  "....@.P........P.......GET / HTTP/1.1\n"
	  "Host: a.b\n"
	  "....\t end" },
};

static void fo_from_flag(struct fmt_opts *fo, const char *flag)
{
	int n = (int)strlen(flag) - 1;

	memset(fo, 0, sizeof(*fo));
	if (flag[1] == 'x')
		fo->xflag = n;
	else if (flag[1] == 'X')
		fo->Xflag = n;
	else
		fo->Aflag = n;
}

static void test_row(void **state)
{
	const struct row *r = *state;
	struct rst_event ev;
	struct fmt_opts fo;
	char buf[4096];
	int n;

	memset(&ev, 0, sizeof(ev));
	memcpy(ev.snap, frame, r->cap);
	ev.snap_len = (__u16)r->cap;
	ev.pkt_len = sizeof(frame);
	ev.l3_off = 14;
	ev.family = AF_INET;
	fo_from_flag(&fo, r->flag);
	n = fmt_tcpdump_packet_opts(buf, sizeof(buf), &ev, &fo);
	assert_int_equal(n, (int)strlen(r->want));
	assert_string_equal(buf, r->want);
}

static void row_name(char *buf, size_t len, const void *row, size_t i)
{
	(void)i;
	snprintf(buf, len, "%s", ((const struct row *)row)->name);
}

/* The three dumps on their own: lengths 0, 1 and 2, exactly one line, one more byte. */
static void test_dump_edges(void **state)
{
	static const __u8 b[17] = "ABCDEFGHIJKLMNO\r";
	struct strbuf o;
	char buf[512];

	(void)state;
	assert_int_equal(sb_init(&o, buf, sizeof(buf)), 0);
	hex_print(&o, b, 0);
	hex_and_ascii_print(&o, b, 0);
	assert_int_equal(sb_done(&o), 0);
	assert_int_equal(sb_init(&o, buf, sizeof(buf)), 0);
	ascii_print(&o, b, 0);
	sb_done(&o);
	assert_string_equal(buf, "\n");

	assert_int_equal(sb_init(&o, buf, sizeof(buf)), 0);
	hex_print(&o, b, 1);
	hex_print(&o, b, 2);
	sb_done(&o);
	assert_string_equal(buf, "\n\t0x0000:  41\n\t0x0000:  4142");

	assert_int_equal(sb_init(&o, buf, sizeof(buf)), 0);
	hex_and_ascii_print(&o, b, 16);
	sb_done(&o);
	assert_string_equal(
		buf, "\n\t0x0000:  4142 4344 4546 4748 494a 4b4c 4d4e 4f0d  ABCDEFGHIJKLMNO.");

	assert_int_equal(sb_init(&o, buf, sizeof(buf)), 0);
	hex_print(&o, b, 17);
	sb_done(&o);
	assert_string_equal(buf,
			    "\n\t0x0000:  4142 4344 4546 4748 494a 4b4c 4d4e 4f0d\n\t0x0010:  00");

	/* A CR is dropped before a newline and before the last byte, a '.' elsewhere. */
	assert_int_equal(sb_init(&o, buf, sizeof(buf)), 0);
	ascii_print(&o, (const __u8 *)"a\rb\r\nc\rd", 8);
	sb_done(&o);
	assert_string_equal(buf, "\na.b\ncd");
}

int main(void)
{
	struct rowtests rt = { 0 };

	RT_ADD_ROWS(&rt, rows, test_row, row_name);
	rt_add(&rt, "test_dump_edges", test_dump_edges, NULL);
	return rt_run(&rt, NULL, NULL);
}
