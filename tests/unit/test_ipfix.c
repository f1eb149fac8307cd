// SPDX-License-Identifier: GPL-2.0
/*
 * user/outputs/ipfix.c: the records a sequence of flow-table reads calls
 * for, written to an IPFIX file (file:PATH) and decoded here by hand from
 * RFC 7011's wire format, not by libfixbuf: the templates' elements in
 * order, each record's 5-tuple, counts, times, interface and end reason,
 * for every flowEndReason the exporter gives (active, end of flow, idle,
 * evicted, forced end). Also the --ipfix syntax.
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
#include <unistd.h>

#include "ipfix.h"
#include "mapread.h"
#include "rsttrace.h"
#include "rowtests.h"
#include "util.h"

static char path[64];

static int setup(void **state)
{
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/rsttrace-ipfix.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

/* A decoded data record. */
struct rec {
	__u16 tid;
	char src[64], dst[64];
	__u16 sport, dport;
	__u8 proto, reason;
	__u64 start_ms, end_ms, syn, fin, rst;
	__u32 ifindex;
};

static __u64 be(const __u8 *p, int n)
{
	__u64 v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* The element ids of both templates, in order, as the file has them. */
static __u16 tmpl_ids[2][16];
static int tmpl_n[2];

/* Every record of the file at path, in order; returns their count. */
static int decode(struct rec *out, int max)
{
	static __u8 buf[1 << 16];
	size_t len, off = 0, end, s, send;
	int n = 0;
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	tmpl_n[0] = tmpl_n[1] = 0;
	while (off + 16 <= len) {
		assert_int_equal(be(buf + off, 2), 10); /* IPFIX */
		end = off + be(buf + off + 2, 2);
		assert_true(end <= len);
		assert_int_equal(be(buf + off + 12, 4), 7); /* observation domain */
		for (s = off + 16; s + 4 <= end; s = send) {
			__u16 sid = (__u16)be(buf + s, 2);
			size_t p = s + 4;

			send = s + be(buf + s + 2, 2);
			if (sid == 2) {
				/* Template set: tid, count, then (id, length) each; no enterprise bits. */
				while (p + 4 <= send) {
					__u16 tid = (__u16)be(buf + p, 2),
					      cnt = (__u16)be(buf + p + 2, 2);
					int t = tid - 256, i;

					assert_true(t == 0 || t == 1);
					p += 4;
					for (i = 0; i < cnt; i++, p += 4)
						tmpl_ids[t][i] = (__u16)be(buf + p, 2);
					tmpl_n[t] = cnt;
				}
				continue;
			}
			assert_true(sid == 256 || sid == 257);
			for (; p + (sid == 256 ? 58 : 82) <= send && n < max; n++) {
				struct rec *r = &out[n];
				int a = sid == 256 ? 4 : 16, fam = sid == 256 ? AF_INET : AF_INET6;

				r->tid = sid;
				r->start_ms = be(buf + p, 8);
				r->end_ms = be(buf + p + 8, 8);
				r->syn = be(buf + p + 16, 8);
				r->fin = be(buf + p + 24, 8);
				r->rst = be(buf + p + 32, 8);
				p += 40;
				inet_ntop(fam, buf + p, r->src, sizeof(r->src));
				inet_ntop(fam, buf + p + a, r->dst, sizeof(r->dst));
				p += 2 * a;
				r->ifindex = (__u32)be(buf + p, 4);
				r->sport = (__u16)be(buf + p + 4, 2);
				r->dport = (__u16)be(buf + p + 6, 2);
				r->proto = buf[p + 8];
				r->reason = buf[p + 9];
				p += 10;
			}
		}
		off = end;
	}
	return n;
}

/* A flow of the fake table: a = 10.0.0.1:port, b = 10.0.0.2:80 (or IPv6). */
struct flow {
	struct rst_flow_key k;
	struct rst_flow_val v;
};

static void flow_init(struct flow *f, __u16 port, int v6)
{
	memset(f, 0, sizeof(*f));
	f->k.family = v6 ? AF_INET6 : AF_INET;
	f->k.proto = IPPROTO_TCP;
	if (v6) {
		inet_pton(AF_INET6, "fd00::1", f->k.addr_a);
		inet_pton(AF_INET6, "fd00::2", f->k.addr_b);
	} else {
		inet_pton(AF_INET, "10.0.0.1", f->k.addr_a);
		inet_pton(AF_INET, "10.0.0.2", f->k.addr_b);
	}
	f->k.port_a = port;
	f->k.port_b = 80;
	f->v.first_ns = 5000000000ULL;
	f->v.last_ns = 7000000000ULL;
	f->v.ifindex = 3;
}

/* One read: the table holds flows[0..n). */
static void update(struct ipfix_exporter *x, struct flow *flows, int n)
{
	struct rst_flow_key k[8];
	struct rst_flow_val v[8];
	struct map_dump d = { .keys = k,
			      .vals = v,
			      .n = (size_t)n,
			      .key_size = sizeof(k[0]),
			      .val_size = sizeof(v[0]) };
	int i;

	for (i = 0; i < n; i++) {
		k[i] = flows[i].k;
		v[i] = flows[i].v;
	}
	assert_int_equal(ipfix_update(x, &d), 0);
}

/* (sport, dport, reason, syn, fin, rst) of a record. */
#define R(r) r.sport, r.dport, r.reason, (int)r.syn, (int)r.fin, (int)r.rst

static void expect(const struct rec *r, int sport, int dport, int reason, int syn, int fin, int rst)
{
	char got[128], want[128];

	snprintf(got, sizeof(got), "%d>%d reason %d syn %d fin %d rst %d", R((*r)));
	snprintf(want, sizeof(want), "%d>%d reason %d syn %d fin %d rst %d", sport, dport, reason,
		 syn, fin, rst);
	assert_string_equal(got, want);
}

/*
 * Reads: 1 {A open a>b, B refused, C open both ways}; 2 {A with a FIN,
 * B, C unchanged, D new}; 3 {B, D, E new: A evicted, C gone after its
 * idle record}; then the end. Records are sorted by key within a read.
 */
static void test_reasons(void **state)
{
	struct ipfix_opts o = { .interval = 1, .domain = 7 };
	struct flow f[5];
	struct rec r[32];
	char dest[80];
	struct ipfix_exporter *x;
	int n;

	(void)state;
	snprintf(dest, sizeof(dest), "file:%s", path);
	o.dest = dest;
	x = ipfix_open(&o);
	assert_non_null(x);
	flow_init(&f[0], 1001, 0); /* A */
	f[0].v.syn[0] = 1;
	flow_init(&f[1], 1002, 0); /* B: SYN a>b, RST-ACK b>a */
	f[1].v.syn[0] = 1;
	f[1].v.rstack[1] = 1;
	flow_init(&f[2], 1003, 0); /* C */
	f[2].v.syn[0] = 1;
	f[2].v.synack[1] = 1;
	update(x, f, 3);
	f[0].v.fin[0] = 1;
	f[0].v.last_ns += 1000000000ULL;
	flow_init(&f[3], 1004, 1); /* D, IPv6 */
	f[3].v.syn[0] = 2;
	update(x, f, 4);
	flow_init(&f[4], 1005, 0); /* E */
	f[4].v.syn[0] = 1;
	f[2] = f[1]; /* B, D, E */
	f[1] = f[3];
	f[0] = f[2];
	f[2] = f[4];
	update(x, f, 3);
	ipfix_close(x, -1);

	n = decode(r, 32);
	assert_int_equal(n, 13);
	/* Read 1: A active, B ended (both ways), C active (both ways). */
	expect(&r[0], 1001, 80, 2, 1, 0, 0);
	expect(&r[1], 1002, 80, 3, 1, 0, 0);
	expect(&r[2], 80, 1002, 3, 0, 0, 1);
	expect(&r[3], 1003, 80, 2, 1, 0, 0);
	expect(&r[4], 80, 1003, 2, 1, 0, 0);
	/* Read 2: A changed (its FIN), B already final, C idle, D new. */
	expect(&r[5], 1001, 80, 2, 1, 1, 0);
	expect(&r[6], 1003, 80, 1, 1, 0, 0);
	expect(&r[7], 80, 1003, 1, 1, 0, 0);
	expect(&r[8], 1004, 80, 2, 2, 0, 0);
	/* Read 3: A gone before it ended (evicted, its last values), C gone (final), D idle, E new. */
	expect(&r[9], 1001, 80, 5, 1, 1, 0);
	assert_int_equal(r[9].end_ms - r[9].start_ms, 3000);
	expect(&r[10], 1005, 80, 2, 1, 0, 0);
	expect(&r[11], 1004, 80, 1, 2, 0, 0);
	/* The end: E, still active, a forced end; D and B had their final records. */
	expect(&r[12], 1005, 80, 4, 1, 0, 0);
	/* The IPv6 records, the rest of the fields. */
	assert_int_equal(r[8].tid, 257);
	assert_string_equal(r[8].src, "fd00::1");
	assert_string_equal(r[8].dst, "fd00::2");
	assert_int_equal(r[0].tid, 256);
	assert_string_equal(r[0].src, "10.0.0.1");
	assert_string_equal(r[2].src, "10.0.0.2");
	assert_int_equal(r[0].proto, 6);
	assert_int_equal(r[0].ifindex, 3);
	assert_int_equal(r[0].end_ms - r[0].start_ms, 2000);
	{
		/* Wall time: CLOCK_MONOTONIC + the offset, to the millisecond. */
		__s64 want = (5000000000LL + mono_to_real_offset()) / 1000000;
		__s64 d = (__s64)r[0].start_ms - want;

		assert_true(d >= -1 && d <= 1);
	}
}

/* E was still active at the end: a forced end (4), the last record. */
static void test_forced_end(void **state)
{
	struct ipfix_opts o = { .interval = 1, .domain = 7 };
	struct flow f;
	struct rec r[4];
	char dest[80];
	struct ipfix_exporter *x;

	(void)state;
	snprintf(dest, sizeof(dest), "file:%s", path);
	o.dest = dest;
	x = ipfix_open(&o);
	assert_non_null(x);
	flow_init(&f, 2001, 0);
	f.v.syn[0] = 1;
	f.v.synack[1] = 1;
	update(x, &f, 1);
	ipfix_close(x, -1);
	assert_int_equal(decode(r, 4), 4);
	expect(&r[0], 2001, 80, 2, 1, 0, 0);
	expect(&r[1], 80, 2001, 2, 1, 0, 0);
	expect(&r[2], 2001, 80, 4, 1, 0, 0);
	expect(&r[3], 80, 2001, 4, 1, 0, 0);
}

/* The templates: RFC 5102 ids in the order of the records. */
static void test_templates(void **state)
{
	static const __u16 want4[] = { 152, 153, 218, 219, 220, 8, 12, 10, 7, 11, 4, 136 };
	static const __u16 want6[] = { 152, 153, 218, 219, 220, 27, 28, 10, 7, 11, 4, 136 };
	struct ipfix_opts o = { .interval = 1, .domain = 7 };
	struct rec r[1];
	char dest[80];
	struct ipfix_exporter *x;

	(void)state;
	snprintf(dest, sizeof(dest), "file:%s", path);
	o.dest = dest;
	x = ipfix_open(&o);
	assert_non_null(x);
	ipfix_close(x, -1);
	assert_int_equal(decode(r, 1), 0);
	assert_int_equal(tmpl_n[0], 12);
	assert_int_equal(tmpl_n[1], 12);
	assert_memory_equal(tmpl_ids[0], want4, sizeof(want4));
	assert_memory_equal(tmpl_ids[1], want6, sizeof(want6));
}

static void test_dest_syntax(void **state)
{
	(void)state;
	assert_int_equal(ipfix_parse_dest("--ipfix", "127.0.0.1:4739"), 0);
	assert_int_equal(ipfix_parse_dest("--ipfix", "udp://collector:4739"), 0);
	assert_int_equal(ipfix_parse_dest("--ipfix", "tcp://[2001:db8::1]:4739"), 0);
	assert_int_equal(ipfix_parse_dest("--ipfix", "[::1]:1"), 0);
	assert_int_equal(ipfix_parse_dest("--ipfix", "file:/tmp/x.ipfix"), 0);
	assert_int_equal(ipfix_parse_dest("--ipfix", "collector"), -EINVAL);
	assert_int_equal(ipfix_parse_dest("--ipfix", "collector:0"), -EINVAL);
	assert_int_equal(ipfix_parse_dest("--ipfix", "collector:65536"), -EINVAL);
	assert_int_equal(ipfix_parse_dest("--ipfix", "::1:4739"), -EINVAL);
	assert_int_equal(ipfix_parse_dest("--ipfix", ":4739"), -EINVAL);
	assert_int_equal(ipfix_parse_dest("--ipfix", "file:"), -EINVAL);
}

int main(void)
{
	struct rowtests rt = { 0 };

	rt_add(&rt, "test_reasons", test_reasons, NULL);
	rt_add(&rt, "test_forced_end", test_forced_end, NULL);
	rt_add(&rt, "test_templates", test_templates, NULL);
	rt_add(&rt, "test_dest_syntax", test_dest_syntax, NULL);
	return rt_run(&rt, setup, teardown);
}
