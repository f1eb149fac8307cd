// SPDX-License-Identifier: GPL-2.0
/*
 * user/filter/filter.c and the kernel's evf_match() (bpf/evfilter.bpf.h, compiled
 * here as plain C) against libpcap itself: for every recognised expression
 * and every frame of a generated set (IPv4/IPv6, addresses in and out of
 * the nets, ports, both directions, VLAN tags, IPv6 extension headers),
 * the kernel's answer must equal pcap_offline_filter()'s on plain frames
 * and must never drop a frame pcap keeps. Plus: expression joining, error
 * reporting, and the expressions the recogniser must refuse.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "filter.h"
#include "rsttrace.h"
#include "../../bpf/evfilter.bpf.h"
#include "rowtests.h"

/* ---- frames ---------------------------------------------------------------- */

struct pk {
	int v6;
	const char *src, *dst;
	__u16 sport, dport;
	int vlan; /* one 802.1Q tag */
	int ext;  /* IPv6: one destination-options header before TCP */
};

static void put16(__u8 *p, __u16 v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

/* An RST-ACK frame for k, as the kernel would deliver it. */
static void build(struct rst_event *e, const struct pk *k)
{
	__u8 *p = e->snap;
	size_t off = 12, l3, l4;

	memset(e, 0, sizeof(*e));
	memcpy(p, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
	if (k->vlan) {
		put16(p + off, 0x8100);
		put16(p + off + 2, 42);
		off += 4;
		e->ev_flags |= RST_EV_VLAN;
	}
	put16(p + off, k->v6 ? 0x86dd : 0x0800);
	l3 = off + 2;
	if (!k->v6) {
		p[l3] = 0x45;
		put16(p + l3 + 2, 40);
		p[l3 + 6] = 0x40; /* DF */
		p[l3 + 8] = 64;
		p[l3 + 9] = 6;
		assert_int_equal(inet_pton(AF_INET, k->src, p + l3 + 12), 1);
		assert_int_equal(inet_pton(AF_INET, k->dst, p + l3 + 16), 1);
		memcpy(e->saddr, p + l3 + 12, 4);
		memcpy(e->daddr, p + l3 + 16, 4);
		l4 = l3 + 20;
		e->family = AF_INET;
	} else {
		p[l3] = 0x60;
		put16(p + l3 + 4, (__u16)(20 + (k->ext ? 8 : 0)));
		p[l3 + 6] = k->ext ? 60 : 6;
		p[l3 + 7] = 64;
		assert_int_equal(inet_pton(AF_INET6, k->src, p + l3 + 8), 1);
		assert_int_equal(inet_pton(AF_INET6, k->dst, p + l3 + 24), 1);
		memcpy(e->saddr, p + l3 + 8, 16);
		memcpy(e->daddr, p + l3 + 24, 16);
		l4 = l3 + 40;
		if (k->ext) {
			p[l4] = 6; /* next header TCP, length 0: 8 bytes of PadN */
			p[l4 + 2] = 1;
			p[l4 + 3] = 4;
			l4 += 8;
		}
		e->family = AF_INET6;
	}
	put16(p + l4, k->sport);
	put16(p + l4 + 2, k->dport);
	p[l4 + 12] = 0x50;
	p[l4 + 13] = RST_TCP_RST | RST_TCP_ACK;
	e->snap_len = (__u16)(l4 + 20);
	e->pkt_len = e->snap_len;
	e->l3_off = (__u16)l3;
	e->l4_off = (__u16)l4;
	e->sport = k->sport;
	e->dport = k->dport;
	e->tcp_flags = RST_TCP_RST | RST_TCP_ACK;
}

/* What the kernel decides (rsttrace.bpf.c evf_pass): rules only on frames evf_plain() admits. */
static int kernel_passes(const struct rst_evfilter *r, const struct rst_event *e)
{
	struct evf_pkt p = {};

	memcpy(p.saddr, e->saddr, 16);
	memcpy(p.daddr, e->daddr, 16);
	p.sport = e->sport;
	p.dport = e->dport;
	p.l3_off = e->l3_off;
	p.l4_off = e->l4_off;
	p.family = e->family;
	p.vlans = (e->ev_flags & RST_EV_VLAN) ? 1 : 0;
	if (!r->n_terms || !evf_plain(&p))
		return 1;
	return evf_match(r, &p);
}

static const char *const v4[] = { "10.0.0.1", "10.0.0.2", "10.0.1.7", "192.168.5.9" };
static const char *const v6[] = { "fd00::1", "fd00::2", "fd00:0:0:1::7", "2001:db8::9" };
static const __u16 ports[] = { 80, 443, 1234 };

/* Calls fn for every frame of the set. */
static void for_each_frame(void (*fn)(const struct rst_event *, void *), void *arg)
{
	struct rst_event e;
	struct pk k;
	size_t a, b, ps, pd;
	int fam, var;

	for (fam = 0; fam < 2; fam++)
		for (a = 0; a < 4; a++)
			for (b = 0; b < 4; b++)
				for (ps = 0; ps < 3; ps++)
					for (pd = 0; pd < 3; pd++)
						for (var = 0; var < 3; var++) {
							if (a == b || (var == 2 && !fam))
								continue;
							memset(&k, 0, sizeof(k));
							k.v6 = fam;
							k.src = fam ? v6[a] : v4[a];
							k.dst = fam ? v6[b] : v4[b];
							k.sport = ports[ps];
							k.dport = ports[pd];
							k.vlan = var == 1;
							k.ext = var == 2;
							build(&e, &k);
							fn(&e, arg);
						}
}

struct cmp {
	const char *expr;
	struct rst_filter f;
	struct rst_evfilter r;
	int frames, pcap_yes, plain_frames;
};

static void compare_one(const struct rst_event *e, void *arg)
{
	struct cmp *c = arg;
	int pcap = filter_match(&c->f, e);
	int kern = kernel_passes(&c->r, e);
	/* Independent of evf_plain(): the frames the kernel must judge exactly. */
	int plain = !(e->ev_flags & RST_EV_VLAN) &&
		    !(e->family == AF_INET6 && e->l4_off != e->l3_off + 40);

	c->frames++;
	c->pcap_yes += pcap;
	c->plain_frames += plain;
	if (plain && kern != pcap)
		fail_msg("'%s': kernel %d, pcap %d on a plain %s frame (%u > %u)", c->expr, kern,
			 pcap, e->family == AF_INET6 ? "IPv6" : "IPv4", e->sport, e->dport);
	if (pcap && !kern)
		fail_msg("'%s': the kernel drops a frame pcap keeps", c->expr);
}

/* Expressions the recogniser must take, and agree with pcap on. */
static const char *const recognised[] = {
	"port 443",
	"src host 10.0.0.1",
	"ip6",
	"ip",
	"not net 10.0.0.0/24",
	"not net fd00::/64",
	"host 10.0.0.1 and port 80",
	"port 80 or 443",
	"port 80 or port 443",
	"not port 80 and not port 443",
	"src or dst port 80",
	"src and dst net 10.0.0.0/16",
	"dst net fd00::/64",
	"ip and not host 10.0.0.2",
	"(port 80 or port 443) and not src host 10.0.0.1",
	"tcp",
	"not tcp",
	"ip6 or port 80",
	"host 10.0.0.1 or (10.0.0.2)",
	"port 443 or 80 and host 10.0.0.1",
	"! host 10.0.0.1 && port 80",
	"host 10.0.0.1 || host fd00::1",
	"tcp dst port 1234",
	"tcp src or dst port 443",
	"ip host 10.0.0.1",
	"ip6 host fd00::2",
	"src 10.0.0.1",
	"ip6 src host fd00::1",
	"not (host 10.0.0.1 or host 10.0.0.2)",
	"host fd00::2 and not port 1234",
	"not not port 80",
	"host 10.0.0.1 and not 10.0.0.2",
	"dst port 80 and src port 443 or dst port 1234",
	"net 0.0.0.0/0",
	"not net ::/0",
	"src and dst port 80",
	"host 10.0.0.1 and tcp and ip",
	"src 10.0.0.1 or 10.0.0.2",
	"dst port 80 or 443",
	"not port 80 or 443",
	"src or dst net 10.0.0.0/24 and not 10.0.0.2/31",
	"ip6 and (src net fd00::/64 or dst port 443)",
	"tcp and not ip6",
};

/* One row of recognised[]. */
static void test_kernel_rules_match_pcap(void **state)
{
	struct cmp c = { .expr = *(const char *const *)*state };
	char why[128];
	int err;

	assert_int_equal(filter_compile_str(&c.f, c.expr), 0);
	err = filter_kernel_rules(c.expr, &c.r, why, sizeof(why));
	if (err)
		fail_msg("'%s' not recognised: %s", c.expr, why);
	for_each_frame(compare_one, &c);
	assert_true(c.frames > 0);
	filter_free(&c.f);
}

static void recognised_name(char *buf, size_t len, const void *row, size_t i)
{
	(void)i;
	snprintf(buf, len, "kernel rules %s", *(const char *const *)row);
}

/* The four expressions of issue 4 go to the kernel, and select some but not all. */
static const char *const issue_rows[] = { "port 443", "src host 10.0.0.1", "ip6",
					  "not net 10.0.0.0/24" };

/* One row of issue_rows. */
static void test_issue_expressions_select(void **state)
{
	struct cmp c = { .expr = *(const char *const *)*state };

	assert_int_equal(filter_compile_str(&c.f, c.expr), 0);
	assert_int_equal(filter_kernel_rules(c.expr, &c.r, NULL, 0), 0);
	assert_true(c.r.n_terms > 0);
	for_each_frame(compare_one, &c);
	assert_true(c.pcap_yes > 0);
	assert_true(c.pcap_yes < c.frames);
	filter_free(&c.f);
}

static void issue_name(char *buf, size_t len, const void *row, size_t i)
{
	(void)i;
	snprintf(buf, len, "issue expression %s", *(const char *const *)row);
}

static const char *const unrecognised_rows[] = {
	"udp",
	"host localhost",
	"portrange 1-1024",
	"tcp[13] & 4 != 0",
	"tcp[tcpflags] & tcp-rst != 0",
	"net 10",
	"net 10.0.0.0 mask 255.0.0.0",
	"ether host 02:00:00:00:00:01",
	"vlan",
	"vlan and host 10.0.0.1",
	"port https",
	"port 0x50",
	"less 100",
	"ip proto 6",
	"icmp or port 80",
	/* more alternatives than RST_EVF_TERMS */
	"port 1 or port 2 or port 3 or port 4 or port 5 or port 6 or port 7 or port 8 "
	"or port 9",
	/* a product too wide: 3 x 3 = 9 alternatives */
	"(port 1 or port 2 or port 3) and (host 10.0.0.1 or host 10.0.0.2 or host "
	"10.0.0.3)",
	/* more conditions than RST_EVF_LITS in one alternative */
	"port 1 and port 2 and port 3 and host 10.0.0.1 and host 10.0.0.2",
};

/* One row of unrecognised_rows. */
static void test_unrecognised(void **state)
{
	const char *expr = *(const char *const *)*state;
	struct rst_evfilter r;
	char why[128];
	int err = filter_kernel_rules(expr, &r, why, sizeof(why));

	if (err != -EOPNOTSUPP)
		fail_msg("'%s' recognised (%d), should not be", expr, err);
	assert_true(why[0] != '\0');
}

static void unrecognised_name(char *buf, size_t len, const void *row, size_t i)
{
	(void)i;
	snprintf(buf, len, "unrecognised %s", *(const char *const *)row);
}

static void test_trivial_rules(void **state)
{
	struct rst_evfilter r;

	(void)state;
	/* Everything: no kernel filter at all. */
	assert_int_equal(filter_kernel_rules("tcp", &r, NULL, 0), 0);
	assert_int_equal(r.n_terms, 0);
	assert_int_equal(filter_kernel_rules("", &r, NULL, 0), 0);
	assert_int_equal(r.n_terms, 0);
	/* Not simplified, but still exact: two alternatives, one always true. */
	assert_int_equal(filter_kernel_rules("port 80 or not port 80", &r, NULL, 0), 0);
	assert_int_equal(r.n_terms, 2);
	/* Nothing: one literal no event satisfies. */
	assert_int_equal(filter_kernel_rules("not tcp", &r, NULL, 0), 0);
	assert_int_equal(r.n_terms, 1);
	assert_int_equal(r.lit[0][0].kind, RST_EVF_FAMILY);
	assert_int_equal(r.lit[0][0].family, 0);
}

static void test_compile_joins_words(void **state)
{
	char *words[] = { "port", "443", "and", "not", "host", "10.0.0.1" };
	struct rst_filter f;

	(void)state;
	assert_int_equal(filter_compile(&f, words, 6), 0);
	assert_string_equal(f.expr, "port 443 and not host 10.0.0.1");
	filter_free(&f);
	assert_int_equal(filter_compile(&f, words, 0), 0);
	assert_null(f.expr);
	filter_free(&f);
}

static void test_bad_expression(void **state)
{
	char *bad1[] = { "port", "80", "and" };
	char *bad2[] = { "port", "99999" };
	char *bad3[] = { "host", "10.0.0.1/24" };
	char *bad4[] = { "ip and ip6" }; /* libpcap: "expression rejects all packets" */
	struct rst_filter f;

	(void)state;
	assert_int_equal(filter_compile(&f, bad1, 3), -EINVAL);
	assert_null(f.expr);
	assert_int_equal(filter_compile(&f, bad2, 2), -EINVAL);
	assert_int_equal(filter_compile(&f, bad3, 2), -EINVAL);
	assert_int_equal(filter_compile(&f, bad4, 1), -EINVAL);
}

static void test_match_basics(void **state)
{
	struct pk k = { 0, "10.0.0.1", "10.0.0.2", 443, 5555, 0, 0 };
	struct rst_filter f;
	struct rst_event e;

	(void)state;
	build(&e, &k);
	/* No expression: everything. */
	memset(&f, 0, sizeof(f));
	assert_true(filter_match(&f, &e));
	assert_int_equal(filter_compile_str(&f, "port 443"), 0);
	assert_true(filter_match(&f, &e));
	e.snap_len = 0; /* no snapshot: never matches an expression */
	assert_false(filter_match(&f, &e));
	filter_free(&f);
	/* VLAN-tagged frames need "vlan" in pcap, as in tcpdump. */
	k.vlan = 1;
	build(&e, &k);
	assert_int_equal(filter_compile_str(&f, "port 443"), 0);
	assert_false(filter_match(&f, &e));
	filter_free(&f);
	assert_int_equal(filter_compile_str(&f, "vlan and port 443"), 0);
	assert_true(filter_match(&f, &e));
	filter_free(&f);
}

int main(void)
{
	struct rowtests rt = { 0 };

	RT_ADD_ROWS(&rt, recognised, test_kernel_rules_match_pcap, recognised_name);
	RT_ADD_ROWS(&rt, issue_rows, test_issue_expressions_select, issue_name);
	RT_ADD_ROWS(&rt, unrecognised_rows, test_unrecognised, unrecognised_name);
	rt_add(&rt, "test_trivial_rules", test_trivial_rules, NULL);
	rt_add(&rt, "test_compile_joins_words", test_compile_joins_words, NULL);
	rt_add(&rt, "test_bad_expression", test_bad_expression, NULL);
	rt_add(&rt, "test_match_basics", test_match_basics, NULL);

	return rt_run(&rt, NULL, NULL);
}
