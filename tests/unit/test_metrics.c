// SPDX-License-Identifier: GPL-2.0
/*
 * user/outputs/metrics.c without a kernel or a socket: label escaping, the
 * ADDR:PORT parser (a table of accepted and refused values), top-N host
 * selection with its "other" aggregate, the interface rows and their
 * bound, the exposition text itself, and the HTTP admission rules
 * (request deadlines, which connection a newcomer evicts). When promtool is
 * in PATH the rendered text must also pass `promtool check metrics`.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "rsttrace.h"
#include "util.h"
#include "promcheck.h"
#include "rowtests.h"

static const char *test_name(__u32 ifindex, char *buf)
{
	if (ifindex == 666)
		return "we\"ird\\na\nme"; /* not a name Linux allows; escaping must cope */
	snprintf(buf, IF_NAMESIZE, "eth%u", ifindex);
	return buf;
}

/* ---- label escaping ---- */

static void test_label_escape(void **state)
{
	struct strbuf b = {};

	(void)state;
	metrics_label(&b, "a\\b\"c\nd\x01\xff"
			  "e");
	assert_int_equal(b.err, 0);
	assert_string_equal(b.p, "a\\\\b\\\"c\\nd\\\\x01\\\\xffe");
	b.len = 0;
	metrics_label(&b, "veth0");
	assert_string_equal(b.p, "veth0");
	sb_free(&b);
}

static void test_text_grows(void **state)
{
	struct strbuf b = {};
	int i;

	(void)state;
	for (i = 0; i < 10000; i++)
		sb_printf(&b, "line %d\n", i);
	assert_int_equal(b.err, 0);
	assert_true(b.len > 10000 * 6);
	assert_int_equal(b.p[b.len], '\0');
	assert_memory_equal(b.p + b.len - 10, "line 9999\n", 10);
	sb_free(&b);
}

/* ---- listen address ---- */

static const struct {
	const char *in;
	int ok;
	int family;
	const char *addr;
	int port;
} listen_rows[] = {
	{ "127.0.0.1:10281", 1, AF_INET, "127.0.0.1", 10281 },
	{ "0.0.0.0:1", 1, AF_INET, "0.0.0.0", 1 },
	{ "10.1.2.3:65535", 1, AF_INET, "10.1.2.3", 65535 },
	{ "[::1]:9100", 1, AF_INET6, "::1", 9100 },
	{ "[::]:80", 1, AF_INET6, "::", 80 },
	{ "[fd00:201:1::1]:8080", 1, AF_INET6, "fd00:201:1::1", 8080 },
	{ "[fe80::1%lo]:8080", 1, AF_INET6, "fe80::1", 8080 },
	{ "", 0, 0, NULL, 0 },
	{ "127.0.0.1", 0, 0, NULL, 0 },
	{ "127.0.0.1:", 0, 0, NULL, 0 },
	{ ":10281", 0, 0, NULL, 0 },
	{ "127.0.0.1:0", 0, 0, NULL, 0 },
	{ "127.0.0.1:65536", 0, 0, NULL, 0 },
	{ "127.0.0.1:100000", 0, 0, NULL, 0 },
	{ "127.0.0.1:+80", 0, 0, NULL, 0 },
	{ "127.0.0.1:-1", 0, 0, NULL, 0 },
	{ "127.0.0.1: 80", 0, 0, NULL, 0 },
	{ "127.0.0.1:80 ", 0, 0, NULL, 0 },
	{ "127.0.0.1:0x50", 0, 0, NULL, 0 },
	{ "127.0.0.1:99999999999999999999", 0, 0, NULL, 0 },
	{ " 127.0.0.1:80", 0, 0, NULL, 0 },
	{ "localhost:80", 0, 0, NULL, 0 },
	{ "1.2.3:80", 0, 0, NULL, 0 },
	{ "256.1.1.1:80", 0, 0, NULL, 0 },
	{ "::1:80", 0, 0, NULL, 0 },
	{ "[::1]", 0, 0, NULL, 0 },
	{ "[::1]:", 0, 0, NULL, 0 },
	{ "[::1:80", 0, 0, NULL, 0 },
	{ "[::1]80", 0, 0, NULL, 0 },
	{ "[]:80", 0, 0, NULL, 0 },
	{ "[127.0.0.1]:80", 0, 0, NULL, 0 },
	{ "[fe80::1%no-such-if0]:80", 0, 0, NULL, 0 },
	{ "127.0.0.1:80:80", 0, 0, NULL, 0 },
};

/* One row of listen_rows. */
static void test_parse_listen_row(void **state)
{
	const size_t i = (size_t)((const __typeof__(listen_rows[0]) *)*state - listen_rows);
	struct sockaddr_storage ss;
	char a[INET6_ADDRSTRLEN];
	socklen_t len;
	int err;

	/* The refused rows print their one-line errors; keep the TAP clean. */
	log_set_level(-1);
	memset(&ss, 0xaa, sizeof(ss));
	err = metrics_parse_listen("--metrics", listen_rows[i].in, &ss, &len);
	log_set_level(LOG_WARN);
	if (!listen_rows[i].ok) {
		if (err != -EINVAL)
			fail_msg("'%s' was accepted", listen_rows[i].in);
		return;
	}
	if (err)
		fail_msg("'%s' was refused", listen_rows[i].in);
	assert_int_equal(ss.ss_family, listen_rows[i].family);
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		assert_int_equal(len, sizeof(*s4));
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		assert_int_equal(ntohs(s4->sin_port), listen_rows[i].port);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		assert_int_equal(len, sizeof(*s6));
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		assert_int_equal(ntohs(s6->sin6_port), listen_rows[i].port);
	}
	assert_string_equal(a, listen_rows[i].addr);
}

static void listen_row_name(char *buf, size_t len, const void *row, size_t i)
{
	(void)row;
	snprintf(buf, len, "parse_listen '%s'", listen_rows[i].in);
}

static void test_parse_listen(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;

	(void)state;
	/* NULL is the default, loopback only. */
	assert_int_equal(metrics_parse_listen("--listen", NULL, &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), METRICS_PORT_DEFAULT);
	assert_int_equal(ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr), 0x7f000001);
}

/* ---- snapshots ---- */

static struct metrics_snapshot *snap_new(size_t top_n)
{
	struct metrics_snapshot *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	assert_int_equal(metrics_top_init(s, top_n), 0);
	return s;
}

static void snap_free(struct metrics_snapshot *s)
{
	metrics_top_free(s);
	free(s);
}

/* Interface rows whose RST counts add up to rst_in / rst_out per direction. */
static void snap_ifaces(struct metrics_snapshot *s, __u64 rst_in, __u64 rst_out)
{
	struct rst_if_totals per[2] = {};
	int d;

	per[0].ifindex = 3;
	per[0].dir = RST_DIR_IN;
	per[0].t.c[RST_C_RST] = rst_in / 2;
	per[0].t.c[RST_C_RSTACK] = rst_in - rst_in / 2;
	per[1].ifindex = 3;
	per[1].dir = RST_DIR_OUT;
	per[1].t.c[RST_C_RSTACK] = rst_out;
	memset(&s->total, 0, sizeof(s->total));
	for (d = 0; d < 2; d++) {
		s->total.c[RST_C_RST] += per[d].t.c[RST_C_RST];
		s->total.c[RST_C_RSTACK] += per[d].t.c[RST_C_RSTACK];
	}
	metrics_set_ifaces(s, per, 2, test_name);
}

static struct metrics_host host4(__u32 a, __u64 in, __u64 out)
{
	struct metrics_host h = {};

	h.family = AF_INET;
	a = htonl(a);
	memcpy(h.addr, &a, 4);
	h.rst[0] = in;
	h.rst[1] = out;
	return h;
}

static void test_top_n_and_other(void **state)
{
	struct metrics_snapshot *s = snap_new(5);
	__u64 in = 0, out = 0;
	struct metrics_host h;
	int i;

	(void)state;
	/* Hosts 1..30 with i RSTs in and 2i out, added in a scrambled order. */
	for (i = 0; i < 30; i++) {
		int k = (i * 7) % 30 + 1;

		h = host4(0x0a000000 + k, k, 2 * k);
		metrics_top_add(s, &h);
		in += k;
		out += 2 * k;
	}
	/* A host with no RST (only SYNs) never takes a top place. */
	h = host4(0x0b000001, 0, 0);
	metrics_top_add(s, &h);
	/* 7 RSTs in the counters that no host carries (evicted, failed). */
	snap_ifaces(s, in + 7, out);
	metrics_top_finish(s);
	assert_int_equal(s->n_top, 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(s->top[i].rst[0], 30 - i);
	assert_int_equal(s->other_rst[0], in + 7 - (30 + 29 + 28 + 27 + 26));
	assert_int_equal(s->other_rst[1], out - 2 * (30 + 29 + 28 + 27 + 26));
	snap_free(s);
}

static void test_top_ties_and_zero(void **state)
{
	struct metrics_snapshot *s = snap_new(3);
	struct metrics_host h;
	int i;

	(void)state;
	/* Equal counts: the smaller address ranks first, whatever the order. */
	for (i = 9; i >= 1; i--) {
		h = host4(0xc0000200 + i, 1, 1);
		metrics_top_add(s, &h);
	}
	snap_ifaces(s, 9, 9);
	metrics_top_finish(s);
	assert_int_equal(s->n_top, 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(s->top[i].addr[3], i + 1);
	assert_int_equal(s->other_rst[0], 6);
	assert_int_equal(s->other_rst[1], 6);
	snap_free(s);

	/* -N 0: everything in "other". */
	s = snap_new(0);
	h = host4(0x01020304, 5, 5);
	metrics_top_add(s, &h);
	snap_ifaces(s, 5, 5);
	metrics_top_finish(s);
	assert_int_equal(s->n_top, 0);
	assert_int_equal(s->other_rst[0], 5);
	snap_free(s);
}

static void test_ifaces_rows(void **state)
{
	struct rst_if_totals per[4] = {};
	struct metrics_snapshot *s = snap_new(1);
	int i;

	(void)state;
	per[0].ifindex = 2;
	per[0].dir = RST_DIR_IN;
	per[0].t.c[RST_C_PACKETS] = 10;
	per[1].ifindex = 0; /* the overflow slot */
	per[1].dir = RST_DIR_IN;
	per[1].t.c[RST_C_PACKETS] = 5;
	per[2].ifindex = 2; /* the same interface on another CPU's slot */
	per[2].dir = RST_DIR_IN;
	per[2].t.c[RST_C_PACKETS] = 1;
	per[3].ifindex = 2;
	per[3].dir = RST_DIR_OUT;
	per[3].t.c[RST_C_PACKETS] = 4;
	for (i = 0; i < 4; i++)
		s->total.c[RST_C_PACKETS] += per[i].t.c[RST_C_PACKETS];
	/* 100 packets counters_read had no room for. */
	s->total.c[RST_C_PACKETS] += 100;
	metrics_set_ifaces(s, per, 4, test_name);
	assert_int_equal(s->n_ifs, 3);
	assert_string_equal(s->ifs[0].name, "eth2");
	assert_int_equal(s->ifs[0].dir, RST_DIR_IN);
	assert_int_equal(s->ifs[0].t.c[RST_C_PACKETS], 11);
	assert_string_equal(s->ifs[1].name, "eth2");
	assert_int_equal(s->ifs[1].t.c[RST_C_PACKETS], 4);
	assert_string_equal(s->ifs[2].name, "other");
	assert_int_equal(s->ifs[2].t.c[RST_C_PACKETS], 105);
	snap_free(s);
}

/* ---- rendering ---- */

static size_t count_prefix(const char *text, const char *prefix)
{
	size_t n = 0, pl = strlen(prefix);
	const char *l;

	for (l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, prefix, pl))
			n++;
	return n;
}

/* Every sample follows a TYPE line of its family; no line repeats a series. */
static void check_exposition(const char *text)
{
	char fam[128] = "", name[128], *copy, *line, *save = NULL, **seen;
	size_t n_seen = 0, i, cap = 100000;

	seen = calloc(cap, sizeof(*seen));
	assert_non_null(seen);
	copy = strdup(text);
	assert_non_null(copy);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "# TYPE ", 7)) {
			assert_int_equal(sscanf(line + 7, "%127s", fam), 1);
			continue;
		}
		if (line[0] == '#')
			continue;
		assert_int_equal(sscanf(line, "%127[a-z_]", name), 1);
		if (strcmp(name, fam))
			fail_msg("sample '%s' outside its family (last TYPE %s)", line, fam);
		assert_true(strncmp(name, "rsttrace_", 9) == 0);
		*strrchr(line, ' ') = '\0';
		for (i = 0; i < n_seen; i++)
			if (!strcmp(seen[i], line))
				fail_msg("series repeated: %s", line);
		assert_true(n_seen < cap);
		seen[n_seen++] = line;
	}
	free(seen);
	free(copy);
}

static struct metrics_snapshot *big_snapshot(size_t top_n, int n_hosts, int n_ifindex)
{
	struct metrics_snapshot *s = snap_new(top_n);
	struct rst_if_totals *per = calloc(n_ifindex * 2 + 2, sizeof(*per));
	struct metrics_host h;
	__u64 in = 0, out = 0;
	size_t n = 0;
	int i, k;

	assert_non_null(per);
	for (i = 0; i < n_hosts; i++) {
		h = host4(0x0a000000 + i, i % 97 + 1, i % 13);
		metrics_top_add(s, &h);
		in += h.rst[0];
		out += h.rst[1];
	}
	/* Interfaces 1..n_ifindex (3 has the weird name); RSTs on the first. */
	for (i = 1; i <= n_ifindex; i++) {
		for (k = 0; k < 2; k++) {
			per[n].ifindex = i == 3 ? 666 : i;
			per[n].dir = k;
			per[n].t.c[RST_C_PACKETS] = 1000 + i;
			per[n].t.c[RST_C_TCP4] = 10;
			per[n].t.c[RST_C_SYN] = 3;
			if (i == 1)
				per[n].t.c[RST_C_RST] = k ? out : in;
			per[n].t.malformed[RST_M_TCP_DOFF] = 1;
			n++;
		}
	}
	per[n].ifindex = 0;
	per[n].dir = RST_DIR_IN;
	per[n].t.c[RST_C_PACKETS] = 42;
	n++;
	for (i = 0; i < (int)n; i++) {
		for (k = 0; k < RST_C_MAX; k++)
			s->total.c[k] += per[i].t.c[k];
		for (k = 0; k < RST_M_MAX; k++)
			s->total.malformed[k] += per[i].t.malformed[k];
	}
	s->total.c[RST_C_EV_SENT] = 17;
	s->total.c[RST_C_EV_RINGFULL] = 2;
	s->total.host_lost[RST_DIR_OUT][RST_HF_SYN] = 5;
	s->total.flow_lost[RST_FL_NOFLOW][RST_FF_RSTACK] = 9;
	metrics_set_ifaces(s, per, n, test_name);
	metrics_top_finish(s);
	free(per);
	s->flows_ok = s->hosts_ok = 1;
	s->flows = 12;
	s->flows_max = 65536;
	s->hosts = n_hosts;
	s->hosts_max = 16384;
	s->att_ok = 1;
	s->n_att = 2;
	snprintf(s->att[0].iface, sizeof(s->att[0].iface), "eth1");
	s->att[0].hook = "xdp";
	s->att[0].mode = "native";
	snprintf(s->att[1].iface, sizeof(s->att[1].iface), "we\"ird");
	s->att[1].hook = "tc_egress";
	s->att[1].mode = "tcx";
	s->build_seconds = 0.0123;
	s->timestamp = 1700000000.5;
	s->http_ok = 1;
	s->http_open = 3;
	s->http_closed_deadline = 7;
	s->http_closed_evicted = 11;
	return s;
}

static void test_render(void **state)
{
	struct metrics_snapshot *s = big_snapshot(METRICS_TOP_DEFAULT, 50, 3);
	struct strbuf b = {};

	(void)state;
	assert_int_equal(metrics_render(s, &b), 0);
	check_exposition(b.p);
	/* One HELP and one TYPE per family, and the families the docs list. */
	assert_int_equal(count_prefix(b.p, "# HELP "), count_prefix(b.p, "# TYPE "));
	assert_non_null(strstr(b.p, "# TYPE rsttrace_tcp_resets_total counter\n"));
	assert_non_null(strstr(b.p, "# TYPE rsttrace_hosts_entries gauge\n"));
	assert_non_null(strstr(
		b.p, "rsttrace_tcp_syns_total{device=\"eth1\",direction=\"in\",flag=\"syn\"} 3\n"));
	assert_non_null(strstr(b.p, "rsttrace_tcp_packets_total{device=\"eth2\",direction=\"out\","
				    "family=\"ipv4\"} 10\n"));
	assert_non_null(
		strstr(b.p, "rsttrace_packets_total{device=\"other\",direction=\"in\"} 42\n"));
	assert_non_null(strstr(b.p, "{device=\"we\\\"ird\\\\na\\nme\",direction=\"in\"}"));
	assert_non_null(
		strstr(b.p, "rsttrace_malformed_packets_total{reason=\"tcp_bad_doff\"} 6\n"));
	assert_non_null(strstr(b.p, "rsttrace_events_total{result=\"delivered\"} 17\n"));
	assert_non_null(strstr(b.p, "rsttrace_events_total{result=\"ring_full\"} 2\n"));
	assert_non_null(strstr(b.p, "rsttrace_events_total{result=\"rate_limited\"} 0\n"));
	assert_non_null(strstr(b.p, "rsttrace_hosts_entries_limit 16384\n"));
	assert_non_null(
		strstr(b.p, "rsttrace_hosts_evicted_total{direction=\"out\",flag=\"syn\"} 5\n"));
	assert_non_null(
		strstr(b.p, "rsttrace_hosts_evicted_total{direction=\"in\",flag=\"rst\"} 0\n"));
	assert_non_null(strstr(
		b.p, "rsttrace_flows_untracked_total{cause=\"no_flow\",flag=\"rstack\"} 9\n"));
	assert_non_null(
		strstr(b.p, "rsttrace_flows_untracked_total{cause=\"budget\",flag=\"syn\"} 0\n"));
	assert_non_null(strstr(
		b.p, "rsttrace_attached_info{device=\"eth1\",hook=\"xdp\",mode=\"native\"} 1\n"));
	assert_non_null(strstr(b.p, "rsttrace_build_info{version=\""));
	assert_non_null(strstr(
		b.p, "rsttrace_host_resets_total{host=\"10.0.0.49\",direction=\"in\"} 50\n"));
	assert_non_null(
		strstr(b.p, "rsttrace_host_resets_total{host=\"other\",direction=\"out\"} "));
	assert_non_null(strstr(b.p, "# TYPE rsttrace_http_connections gauge\n"
				    "rsttrace_http_connections 3\n"));
	assert_non_null(strstr(b.p,
			       "# TYPE rsttrace_http_connections_closed_total counter\n"
			       "rsttrace_http_connections_closed_total{reason=\"deadline\"} 7\n"
			       "rsttrace_http_connections_closed_total{reason=\"evicted\"} 11\n"));
	promtool_check(b.p, b.len);
	sb_free(&b);
	/* A snapshot without the server's state (http_ok 0) has no such family. */
	s->http_ok = 0;
	b = (struct strbuf){};
	assert_int_equal(metrics_render(s, &b), 0);
	assert_null(strstr(b.p, "rsttrace_http_"));
	sb_free(&b);
	snap_free(s);
}

/*
 * The names a dashboard reads (docs/metrics.md): every family and its type,
 * in order, and one reset family written out whole, with node_exporter's
 * label names (device, direction) and the flag label that makes the two
 * reset counters of ABI 3 one.
 */
static void test_render_names(void **state)
{
	static const char families[] = "rsttrace_packets_total counter\n"
				       "rsttrace_tcp_packets_total counter\n"
				       "rsttrace_tcp_syns_total counter\n"
				       "rsttrace_tcp_fins_total counter\n"
				       "rsttrace_tcp_resets_total counter\n"
				       "rsttrace_ip_fragments_total counter\n"
				       "rsttrace_malformed_packets_total counter\n"
				       "rsttrace_events_total counter\n"
				       "rsttrace_control_events_total counter\n"
				       "rsttrace_map_update_errors_total counter\n"
				       "rsttrace_hosts_evicted_total counter\n"
				       "rsttrace_flows_untracked_total counter\n"
				       "rsttrace_flows_entries gauge\n"
				       "rsttrace_flows_entries_limit gauge\n"
				       "rsttrace_hosts_entries gauge\n"
				       "rsttrace_hosts_entries_limit gauge\n"
				       "rsttrace_host_resets_total counter\n"
				       "rsttrace_attached_info gauge\n"
				       "rsttrace_snapshot_duration_seconds gauge\n"
				       "rsttrace_snapshot_timestamp_seconds gauge\n"
				       "rsttrace_http_connections gauge\n"
				       "rsttrace_http_connections_closed_total counter\n"
				       "rsttrace_build_info gauge\n";
	static const char resets[] =
		"# TYPE rsttrace_tcp_resets_total counter\n"
		"rsttrace_tcp_resets_total{device=\"eth3\",direction=\"in\",flag=\"rst\"} 3\n"
		"rsttrace_tcp_resets_total{device=\"eth3\",direction=\"in\",flag=\"rstack\"} 4\n"
		"rsttrace_tcp_resets_total{device=\"eth3\",direction=\"out\",flag=\"rst\"} 0\n"
		"rsttrace_tcp_resets_total{device=\"eth3\",direction=\"out\",flag=\"rstack\"} 5\n"
		"# HELP rsttrace_ip_fragments_total ";
	static const char syns[] =
		"rsttrace_tcp_syns_total{device=\"eth3\",direction=\"in\",flag=\"syn\"} 0\n"
		"rsttrace_tcp_syns_total{device=\"eth3\",direction=\"in\",flag=\"synack\"} 0\n"
		"rsttrace_tcp_syns_total{device=\"eth3\",direction=\"out\",flag=\"syn\"} 0\n"
		"rsttrace_tcp_syns_total{device=\"eth3\",direction=\"out\",flag=\"synack\"} 0\n"
		"# HELP rsttrace_tcp_fins_total ";
	struct metrics_snapshot *s = snap_new(2);
	struct strbuf b = {}, got = {};
	struct metrics_host h;
	const char *l;

	(void)state;
	h = host4(0x0a000001, 6, 5);
	metrics_top_add(s, &h);
	snap_ifaces(s, 7, 5); /* eth3: in 3 RST + 4 RST-ACK, out 5 RST-ACK */
	metrics_top_finish(s);
	s->flows_ok = s->hosts_ok = s->att_ok = s->http_ok = 1;
	s->total.ctl_ev[RST_CK_SYN][RST_CE_SENT] = 7;
	s->total.ctl_ev[RST_CK_FIN][RST_CE_NOTASKED] = 9;
	assert_int_equal(metrics_render(s, &b), 0);
	for (l = b.p; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, "# TYPE ", 7))
			sb_printf(&got, "%.*s", (int)(strchr(l, '\n') + 1 - (l + 7)), l + 7);
	assert_string_equal(got.p, families);
	assert_non_null(strstr(b.p, resets));
	assert_non_null(strstr(b.p, syns));
	assert_non_null(strstr(
		b.p, "rsttrace_control_events_total{kind=\"syn\",result=\"delivered\"} 7\n"));
	assert_non_null(strstr(
		b.p, "rsttrace_control_events_total{kind=\"fin\",result=\"not_asked\"} 9\n"));
	assert_non_null(strstr(b.p,
			       "rsttrace_host_resets_total{host=\"10.0.0.1\",direction=\"in\"} 6\n"
			       "rsttrace_host_resets_total{host=\"10.0.0.1\",direction=\"out\"} 5\n"
			       "rsttrace_host_resets_total{host=\"other\",direction=\"in\"} 1\n"
			       "rsttrace_host_resets_total{host=\"other\",direction=\"out\"} 0\n"));
	/* No series keeps the labels of before. */
	assert_null(strstr(b.p, "iface="));
	assert_null(strstr(b.p, "dir="));
	promtool_check(b.p, b.len);
	sb_free(&got);
	sb_free(&b);
	snap_free(s);
}

/* ---- HTTP admission: deadlines and eviction ---- */

static void test_conn_deadline(void **state)
{
	struct metrics_conn c = { .since_ns = 1000000000ULL, .fd = 5 };

	(void)state;
	c.state = METRICS_CONN_REQUEST;
	assert_int_equal(metrics_conn_deadline(&c), 1000000000ULL + 5000000000ULL);
	c.state = METRICS_CONN_RESPONSE;
	assert_int_equal(metrics_conn_deadline(&c), 1000000000ULL + 10000000000ULL);
	c.state = METRICS_CONN_CLOSING;
	assert_int_equal(metrics_conn_deadline(&c), 0);
	c.state = METRICS_CONN_FREE;
	assert_int_equal(metrics_conn_deadline(&c), 0);
}

/*
 * A row: client (0 = free row; 'A', 'B': 10.0.0.1, 10.0.0.2; '6': ::a00:1,
 * the same 4 first bytes as A in the other family), state, since (s).
 */
struct crow {
	char who;
	__u8 state;
	int since;
};

#define R  METRICS_CONN_REQUEST
#define S  METRICS_CONN_RESPONSE
#define CL METRICS_CONN_CLOSING

static const struct {
	const char *name;
	struct crow rows[8];
	size_t n, skip;
	int want;
} victim_rows[] = {
	{ "empty table", { { 0 } }, 8, 0, -1 },
	{ "only the newcomer", { { 'A', R, 9 } }, 1, 0, -1 },
	{ "one client: its oldest",
	  { { 'A', R, 3 }, { 'A', R, 1 }, { 'A', R, 2 }, { 'A', R, 9 } },
	  4,
	  3,
	  1 },
	{ "the flooding client's, not the older scrape's",
	  { { 'B', R, 0 }, { 'A', R, 3 }, { 'A', R, 2 }, { 'A', R, 4 }, { 'B', R, 9 } },
	  5,
	  4,
	  2 },
	{ "the newcomer counts: B with it outweighs A",
	  { { 'A', R, 0 }, { 'A', R, 1 }, { 'B', R, 5 }, { 'B', R, 3 }, { 'B', R, 9 } },
	  5,
	  4,
	  3 },
	{ "an incomplete request before an older response",
	  { { 'A', S, 1 }, { 'A', R, 5 }, { 'A', S, 0 }, { 'A', R, 9 } },
	  4,
	  3,
	  1 },
	{ "responses only: the oldest", { { 'A', S, 4 }, { 'A', S, 2 }, { 'A', R, 9 } }, 3, 2, 1 },
	{ "closing and free rows are not open",
	  { { 'A', CL, 0 }, { 0 }, { 'A', R, 7 }, { 'A', CL, 1 }, { 'A', R, 9 } },
	  5,
	  4,
	  2 },
	{ "families apart: 3 IPv4 rows of A outweigh 2 IPv6",
	  { { '6', R, 0 }, { '6', R, 1 }, { 'A', R, 4 }, { 'A', R, 3 }, { 'A', R, 9 } },
	  5,
	  4,
	  3 },
	{ "full tie: the lower row", { { 'A', R, 2 }, { 'A', R, 2 }, { 'A', R, 9 } }, 3, 2, 0 },
	{ "tie between clients: the older request",
	  { { 'A', R, 4 }, { 'B', R, 3 }, { 'A', R, 1 }, { 'B', R, 2 } },
	  4,
	  0,
	  2 },
};

static void crow_fill(struct metrics_conn *c, const struct crow *r, int i)
{
	memset(c, 0, sizeof(*c));
	c->fd = r->who ? 100 + i : -1;
	c->state = r->who ? r->state : METRICS_CONN_FREE;
	c->since_ns = (__u64)r->since * 1000000000ULL;
	c->family = r->who == '6' ? AF_INET6 : AF_INET;
	c->addr[0] = 10;
	c->addr[3] = r->who == 'B' ? 2 : 1;
}

/* One row of victim_rows. */
static void test_conn_victim(void **state)
{
	const size_t i = (size_t)((const __typeof__(victim_rows[0]) *)*state - victim_rows);
	struct metrics_conn t[8];
	size_t k;

	for (k = 0; k < victim_rows[i].n; k++)
		crow_fill(&t[k], &victim_rows[i].rows[k], k);
	if (metrics_conn_victim(t, victim_rows[i].n, victim_rows[i].skip) != victim_rows[i].want)
		fail_msg("%s: victim %d, want %d", victim_rows[i].name,
			 metrics_conn_victim(t, victim_rows[i].n, victim_rows[i].skip),
			 victim_rows[i].want);
}

static void victim_row_name(char *buf, size_t len, const void *row, size_t i)
{
	(void)row;
	snprintf(buf, len, "conn_victim %s", victim_rows[i].name);
}

/* A full table, one client, rows in random age order: always the oldest. */
static void test_conn_victim_full(void **state)
{
	struct metrics_conn *t = calloc(METRICS_CONN_MAX, sizeof(*t));
	struct crow r = { 'A', R, 0 };
	size_t i, oldest = 0;
	int v;

	(void)state;
	assert_non_null(t);
	srand(8);
	for (i = 0; i < METRICS_CONN_MAX; i++) {
		crow_fill(&t[i], &r, i);
		t[i].since_ns = 1000 + rand() % 100000;
		if (i != 7 && t[i].since_ns < t[oldest].since_ns)
			oldest = i;
	}
	v = metrics_conn_victim(t, METRICS_CONN_MAX, 7);
	assert_int_equal(v, oldest);
	/* The row skipped (the newcomer) is never the victim, even when oldest. */
	t[7].since_ns = 0;
	assert_int_equal(metrics_conn_victim(t, METRICS_CONN_MAX, 7), oldest);
	free(t);
}

/* Sum of the values of the lines that start with prefix. */
static __u64 sum_prefix(const char *text, const char *prefix)
{
	size_t pl = strlen(prefix);
	const char *l, *sp;
	__u64 sum = 0;

	for (l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, prefix, pl))
			continue;
		sp = strchr(l, ' ');
		sum += strtoull(sp + 1, NULL, 10);
	}
	return sum;
}

/* 10,000 hosts and more interfaces than counter slots: the series stay bounded. */
static void test_cardinality_bound(void **state)
{
	struct metrics_snapshot *s = big_snapshot(METRICS_TOP_DEFAULT, 10000, 300);
	struct strbuf b = {};
	size_t hosts, ifs;

	(void)state;
	assert_int_equal(metrics_render(s, &b), 0);
	check_exposition(b.p);
	hosts = count_prefix(b.p, "rsttrace_host_resets_total{");
	assert_int_equal(hosts, 2 * (METRICS_TOP_DEFAULT + 1));
	ifs = count_prefix(b.p, "rsttrace_packets_total{");
	assert_true(ifs <= METRICS_IFACES_MAX);
	/* Sums stay exact: what did not fit is in device="other". */
	assert_int_equal(sum_prefix(b.p, "rsttrace_packets_total{"), s->total.c[RST_C_PACKETS]);
	assert_int_equal(sum_prefix(b.p, "rsttrace_host_resets_total{"),
			 sum_prefix(b.p, "rsttrace_tcp_resets_total{"));
	assert_int_equal(sum_prefix(b.p, "rsttrace_host_resets_total{"),
			 s->total.c[RST_C_RST] + s->total.c[RST_C_RSTACK]);
	/* All families, bounded series: well under 2,000 lines whatever the load. */
	assert_true(count_prefix(b.p, "rsttrace_") < 2000);
	promtool_check(b.p, b.len);
	sb_free(&b);
	snap_free(s);
}

int main(void)
{
	struct rowtests rt = { 0 };

	rt_add(&rt, "test_label_escape", test_label_escape, NULL);
	rt_add(&rt, "test_text_grows", test_text_grows, NULL);
	RT_ADD_ROWS(&rt, listen_rows, test_parse_listen_row, listen_row_name);
	rt_add(&rt, "test_parse_listen", test_parse_listen, NULL);
	rt_add(&rt, "test_top_n_and_other", test_top_n_and_other, NULL);
	rt_add(&rt, "test_top_ties_and_zero", test_top_ties_and_zero, NULL);
	rt_add(&rt, "test_ifaces_rows", test_ifaces_rows, NULL);
	rt_add(&rt, "test_render", test_render, NULL);
	rt_add(&rt, "test_render_names", test_render_names, NULL);
	rt_add(&rt, "test_cardinality_bound", test_cardinality_bound, NULL);
	rt_add(&rt, "test_conn_deadline", test_conn_deadline, NULL);
	RT_ADD_ROWS(&rt, victim_rows, test_conn_victim, victim_row_name);
	rt_add(&rt, "test_conn_victim_full", test_conn_victim_full, NULL);

	return rt_run(&rt, NULL, NULL);
}
