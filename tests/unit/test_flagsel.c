// SPDX-License-Identifier: GPL-2.0
/*
 * user/filter/flagsel.c: which event kinds an expression asks for, and
 * that the flag values it finds are a superset of libpcap's own answer:
 * for frames of every shape an event has (no, one or two VLAN tags, IPv4
 * with and without options, IPv6, IPv6 behind an extension header), every
 * flag byte, and a few addresses and ports, a frame pcap_offline_filter()
 * passes must have its flag value in the set.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <pcap/pcap.h>

#include "filter.h"
#include "flagsel.h"
#include "rsttrace.h"
#include "rowtests.h"

struct kind_row {
	const char *name; /* the expression */
	__u32 kinds;
	int none;
};

static const struct kind_row kind_rows[] = {
	/* The classic tcpdump-guide examples. */
	{ "tcp[13] & 2 != 0", EVK_SYN | EVK_SYNACK, 0 },
	{ "tcp[13] & 1 != 0", EVK_FIN, 0 },
	{ "tcp[13] & 18 = 18", EVK_SYNACK, 0 },
	{ "tcp[13] & 20 = 20", EVK_RST, 0 },
	{ "tcp[tcpflags] & tcp-rst != 0", EVK_RST, 0 },
	/* The same with more around them. */
	{ "tcp[tcpflags] & tcp-syn != 0 and host 10.0.0.1 and port 80", EVK_SYN | EVK_SYNACK, 0 },
	{ "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn", EVK_SYN, 0 },
	{ "tcp[tcpflags] & (tcp-syn|tcp-fin) != 0", EVK_SYN | EVK_SYNACK | EVK_FIN, 0 },
	/* A plain RST can pass: an RST expression, RSTs only (test_exports holds watch to it). */
	{ "tcp[13] & 6 != 0", EVK_RST, 0 },
	{ "tcp[tcpflags] & tcp-ack == 0", EVK_RST, 0 },
	{ "tcp[13] & 0x14 = 0x04 or tcp[13] & 2 != 0", EVK_RST, 0 },
	/* libpcap's tcp[] is IPv4 only; IPv6 spelled out: */
	{ "ip6 and ip6[6] == 6 and ip6[53] & 1 != 0", EVK_FIN, 0 },
	{ "vlan and tcp[13] & 2 != 0", EVK_SYN | EVK_SYNACK, 0 },
	{ "tcp[13] = 0x12", EVK_SYNACK, 0 },
	{ "not tcp[13] & 4 != 0 and tcp[13] & 3 != 0", EVK_SYN | EVK_SYNACK | EVK_FIN, 0 },
	/* Expressions that do not look at the flags keep RSTs only. */
	{ "host 10.0.0.1", EVK_RST, 0 },
	{ "port 443 or tcp[13] & 2 != 0", EVK_RST, 0 },
	{ "tcp", EVK_RST, 0 },
	/* Only data: nothing a control packet can be. */
	{ "tcp[13] = 0x18", EVK_RST, 1 },
	/*
	 * Not TCP, but UDP behind an IPv6 extension header is beyond the
	 * model (everything after the extension header is unknown): every
	 * value, RSTs only.
	 */
	{ "udp", EVK_RST, 0 },
	{ "ip and udp", EVK_RST, 1 },
};

static void test_kinds(void **state)
{
	const struct kind_row *r = *state;
	struct rst_filter f;
	int none = -1;

	assert_int_equal(filter_compile_str(&f, r->name), 0);
	assert_int_equal(flagsel_from_filter(&f, &none), r->kinds);
	assert_int_equal(none, r->none);
	filter_free(&f);
}

/* ---- soundness against libpcap ------------------------------------------ */

static void put16(__u8 *p, __u16 v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

/* A frame: tags (0..2), v6 (0, 1, 2: behind a dest-options header), ip options bytes. */
static size_t frame(__u8 *p, int tags, int v6, int ipopt, __u8 flags, int addr, __u16 port)
{
	size_t off = 12, l4;
	int t;

	memset(p, 0, 256);
	for (t = 0; t < tags; t++) {
		put16(p + off, t ? 0x8100 : 0x88a8);
		put16(p + off + 2, 7);
		off += 4;
	}
	put16(p + off, v6 ? 0x86dd : 0x0800);
	off += 2;
	if (!v6) {
		p[off] = (__u8)(0x40 | (5 + ipopt / 4));
		put16(p + off + 2, (__u16)(20 + ipopt + 20));
		p[off + 8] = 64;
		p[off + 9] = 6;
		p[off + 12] = 10;
		p[off + 15] = 1;
		p[off + 16] = 10;
		p[off + 19] = (__u8)addr;
		l4 = off + 20 + ipopt;
	} else {
		p[off] = 0x60;
		put16(p + off + 4, (__u16)(20 + (v6 == 2 ? 8 : 0)));
		p[off + 6] = v6 == 2 ? 60 : 6;
		p[off + 7] = 64;
		p[off + 8] = 0xfd;
		p[off + 23] = 1;
		p[off + 24] = 0xfd;
		p[off + 39] = (__u8)addr;
		l4 = off + 40;
		if (v6 == 2) {
			p[l4] = 6;
			l4 += 8;
		}
	}
	put16(p + l4, 40000);
	put16(p + l4 + 2, port);
	p[l4 + 12] = 0x50;
	p[l4 + 13] = flags;
	return l4 + 20;
}

static const char *const sound_exprs[] = {
	"tcp[13] & 2 != 0",
	"tcp[13] & 1 != 0",
	"tcp[13] & 18 = 18",
	"tcp[13] & 20 = 20",
	"tcp[tcpflags] & tcp-rst != 0",
	"vlan and tcp[13] & 2 != 0",
	"ip6 and ip6[6] == 6 and ip6[53] & 1 != 0",
	"ip6 protochain 6 and ip6[6] = 60",
	"tcp[13] & 6 != 0 and dst port 443",
	"ip[0] & 0xf > 5 and tcp[13] & 4 != 0",
	"tcp[((tcp[12] & 0xf0) >> 2) - 7] & 2 != 0",
	"tcp[13] + 1 = 3 or tcp[13] * 2 = 0x24",
	"host 10.0.0.1 and tcp[13] & 16 != 0",
	"tcp[13] & 0x10 = 0 and tcp[13] != 0",
};

static void test_sound(void **state)
{
	const char *expr = *(const char *const *)*state;
	struct rst_filter f;
	struct bpf_program *prog;
	struct pcap_pkthdr h = {};
	__u8 p[256];
	__u32 vals[8];
	int tags, v6, opt, flags, addr, port, passed = 0;

	assert_int_equal(filter_compile_str(&f, expr), 0);
	prog = f.prog;
	/* Too many paths to follow is allowed: the answer is then every value. */
	if (flagsel_flag_values(&f, vals) == -E2BIG)
		for (flags = 0; flags < 8; flags++)
			assert_int_equal(vals[flags], 0xffffffffU);
	for (tags = 0; tags <= 2; tags++)
		for (v6 = 0; v6 <= 2; v6++)
			for (opt = 0; opt <= (v6 ? 0 : 40); opt += 12)
				for (flags = 0; flags < 256; flags++)
					for (addr = 1; addr <= 2; addr++)
						for (port = 0; port < 2; port++) {
							h.caplen = h.len = (bpf_u_int32)frame(
								p, tags, v6, opt, (__u8)flags, addr,
								port ? 443 : 80);
							if (!pcap_offline_filter(prog, &h, p))
								continue;
							passed++;
							if (!(vals[flags / 32] >> (flags % 32) & 1))
								fail_msg("'%s' passes flags %#x "
									 "(tags %d v6 %d opt %d)",
									 expr, flags, tags, v6,
									 opt);
						}
	/* Each of these passes something: the loop above proved a superset of something. */
	assert_true(passed > 0);
	filter_free(&f);
}

static void sound_name(char *buf, size_t len, const void *row, size_t i)
{
	(void)i;
	snprintf(buf, len, "superset of libpcap: %s", *(const char *const *)row);
}

static void test_parse(void **state)
{
	__u32 k = 0;

	(void)state;
	assert_int_equal(flagsel_parse("--events", "syn,fin,rst", &k), 0);
	assert_int_equal(k, EVK_SYN | EVK_FIN | EVK_RST);
	assert_int_equal(flagsel_parse("--events", "synack", &k), 0);
	assert_int_equal(k, EVK_SYNACK);
	assert_int_equal(flagsel_parse("--events", "all", &k), 0);
	assert_int_equal(k, EVK_ALL);
	assert_int_equal(flagsel_parse("--events", "syn,ack", &k), -EINVAL);
	assert_int_equal(flagsel_parse("--events", "", &k), -EINVAL);
	assert_int_equal(flagsel_cfg_bits(EVK_SYN | EVK_FIN),
			 RST_CFG_EV_SYN | RST_CFG_EV_FIN | RST_CFG_EV_NORST);
	assert_int_equal(flagsel_cfg_bits(EVK_RST), 0);
}

int main(void)
{
	struct rowtests rt = { 0 };

	RT_ADD_ROWS(&rt, kind_rows, test_kinds, rt_row_name);
	rt_add_rows(&rt, test_sound, sound_exprs, sizeof(sound_exprs[0]),
		    sizeof(sound_exprs) / sizeof(sound_exprs[0]), sound_name);
	rt_add(&rt, "--events names", test_parse, NULL);
	return rt_run(&rt, NULL, NULL);
}
