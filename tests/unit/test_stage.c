// SPDX-License-Identifier: GPL-2.0
/*
 * user/views/stage.c (the connection stage from the ISNs and an RST's seq
 * and ack), classify_injection() (the suspected-injection signal from the
 * fate) and owner_cgroup_path() (a cgroup id to its path, on a directory
 * tree made here: the id is the directory's inode number). Each stage row
 * is its own test: the flow's handshake bits, ISNs and FINs, the RST's
 * sender side, flags, seq and ack; the stage, Zeek conn state and the
 * byte counts (client, server; -1: unknown) it must give. Then the JSON
 * keys of an event with all of it (json.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "rowtests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "classify.h"
#include "json.h"
#include "metrics_cgroup.h"
#include "owner.h"
#include "stage.h"
#include "why.h"

#define SYN_A	 RST_HS_SYN(0)
#define SYN_B	 RST_HS_SYN(1)
#define SYNACK_A RST_HS_SYNACK(0)
#define SYNACK_B RST_HS_SYNACK(1)
#define R	 RST_TCP_RST
#define RA	 (RST_TCP_RST | RST_TCP_ACK)

struct row {
	const char *name;
	__u8 hs;
	__u32 isn[2];
	__u32 fin[2];
	int side; /* the RST's sender: 0 A, 1 B */
	__u8 flags;
	__u32 seq, ack;
	const char *stage, *conn;
	long long client, server; /* -1: unknown */
};

static const struct row rows[] = {
	/* A's SYN, B's RST-ACK (ack = ISN + 1): a closed port. */
	{ "refused", SYN_A, { 1000, 0 }, { 0, 0 }, 1, RA, 0, 1001, "refused", "REJ", -1, -1 },
	{ "syn_then_own_rst",
	  SYN_A,
	  { 1000, 0 },
	  { 0, 0 },
	  0,
	  R,
	  1001,
	  0,
	  "no_handshake",
	  "RSTOS0",
	  -1,
	  -1 },
	/* SO_LINGER 0 right after connect(): tcp_send_active_reset sets ACK. */
	{ "after_handshake",
	  SYN_A | SYNACK_B,
	  { 1000, 5000 },
	  { 0, 0 },
	  0,
	  RA,
	  1001,
	  5001,
	  "handshake",
	  "RSTO",
	  0,
	  0 },
	{ "after_client_data",
	  SYN_A | SYNACK_B,
	  { 1000, 5000 },
	  { 0, 0 },
	  1,
	  RA,
	  5001,
	  1006,
	  "client_data",
	  "RSTR",
	  5,
	  0 },
	{ "later",
	  SYN_A | SYNACK_B,
	  { 1000, 5000 },
	  { 0, 0 },
	  1,
	  RA,
	  5004,
	  1008,
	  "later",
	  "RSTR",
	  7,
	  3 },
	/* The client's FIN took one number: 5 bytes, not 6. */
	{ "fin_is_not_data",
	  SYN_A | SYNACK_B,
	  { 1000, 5000 },
	  { 1, 0 },
	  1,
	  RA,
	  5001,
	  1007,
	  "client_data",
	  "RSTR",
	  5,
	  0 },
	/* A reply RST (no ACK) takes its seq from the packet's ack: the other side unknown. */
	{ "reply_rst_no_ack",
	  SYN_A | SYNACK_B,
	  { 1000, 5000 },
	  { 0, 0 },
	  1,
	  R,
	  5001,
	  0,
	  "unknown",
	  "RSTR",
	  -1,
	  0 },
	{ "reply_rst_server_sent",
	  SYN_A | SYNACK_B,
	  { 1000, 5000 },
	  { 0, 0 },
	  1,
	  R,
	  5011,
	  0,
	  "later",
	  "RSTR",
	  -1,
	  10 },
	{ "no_syn_seen", 0, { 0, 0 }, { 0, 0 }, 0, RA, 1, 2, "unknown", NULL, -1, -1 },
	{ "synack_without_syn",
	  SYNACK_B,
	  { 0, 5000 },
	  { 0, 0 },
	  1,
	  RA,
	  5001,
	  1001,
	  "unknown",
	  "RSTRH",
	  -1,
	  0 },
	/* A seq before the ISN is no count (a blind RST, or another connection's). */
	{ "seq_before_isn",
	  SYN_A | SYNACK_B,
	  { 1000, 5000 },
	  { 0, 0 },
	  0,
	  R,
	  500,
	  0,
	  "unknown",
	  "RSTO",
	  -1,
	  -1 },
	/* The client is endpoint B here: sides are found, not assumed. */
	{ "client_is_b",
	  SYN_B | SYNACK_A,
	  { 7000, 2000 },
	  { 0, 0 },
	  0,
	  RA,
	  7101,
	  2001,
	  "later",
	  "RSTR",
	  0,
	  100 },
	/* Counts are mod 2^32: an ISN just below the wrap. */
	{ "isn_wraps",
	  SYN_A | SYNACK_B,
	  { 0xfffffff0U, 5000 },
	  { 0, 0 },
	  1,
	  RA,
	  5001,
	  0x11,
	  "client_data",
	  "RSTR",
	  32,
	  0 },
};

static void run_row(void **state)
{
	const struct row *r = *state;
	struct rst_event e = { .tcp_flags = r->flags, .seq = r->seq, .ack = r->ack };
	struct rst_flow_val v = { .hs = r->hs };
	struct rst_stage st;

	memcpy(v.isn, r->isn, sizeof(v.isn));
	memcpy(v.fin, r->fin, sizeof(v.fin));
	stage_of(&e, &v, r->side, &st);
	assert_string_equal(st.stage, r->stage);
	if (r->conn)
		assert_string_equal(st.conn, r->conn);
	else
		assert_null(st.conn);
	assert_int_equal(st.known[0], r->client >= 0);
	assert_int_equal(st.known[1], r->server >= 0);
	if (r->client >= 0)
		assert_int_equal(st.bytes[0], r->client);
	if (r->server >= 0)
		assert_int_equal(st.bytes[1], r->server);
}

static void test_no_flow(void **state)
{
	struct rst_event e = { .tcp_flags = RA };
	struct rst_stage st;

	(void)state;
	stage_of(&e, NULL, 0, &st);
	assert_string_equal(st.stage, "unknown");
	assert_null(st.conn);
}

static void test_injection_signal(void **state)
{
	struct rst_event e = { 0 };

	(void)state;
	assert_string_equal(classify_injection(&e, RST_FATE_CHALLENGED), "challenged");
	assert_string_equal(classify_injection(&e, RST_FATE_IGNORED), "ignored");
	assert_null(classify_injection(&e, RST_FATE_ACCEPTED));
	assert_null(classify_injection(&e, RST_FATE_NO_SOCKET));
	assert_null(classify_injection(&e, RST_FATE_NONE));
	e.ev_flags = RST_EV_TTL_CHANGE;
	assert_string_equal(classify_injection(&e, RST_FATE_ACCEPTED), "ttl_change");
	assert_string_equal(classify_injection(&e, RST_FATE_NONE), "ttl_change");
	/* The stack's verdict is the stronger signal. */
	assert_string_equal(classify_injection(&e, RST_FATE_IGNORED), "ignored");
	/* An RST this host says it sent itself is no injection. */
	e.reason = 5;
	assert_null(classify_injection(&e, RST_FATE_NONE));
}

static void test_cgroup_path(void **state)
{
	char root[] = "/tmp/rsttrace-cg.XXXXXX", p[128], buf[256];
	struct stat st_root, st_a, st_b;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(p, sizeof(p), "%s/system.slice", root);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(stat(p, &st_a), 0);
	snprintf(p, sizeof(p), "%s/system.slice/web.service", root);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(stat(p, &st_b), 0);
	assert_int_equal(stat(root, &st_root), 0);

	owner_cgroup_flush();
	assert_string_equal(owner_cgroup_path(root, st_b.st_ino, buf, sizeof(buf)),
			    "/system.slice/web.service");
	assert_string_equal(owner_cgroup_path(root, st_a.st_ino, buf, sizeof(buf)),
			    "/system.slice");
	assert_string_equal(owner_cgroup_path(root, st_root.st_ino, buf, sizeof(buf)), "/");
	assert_null(owner_cgroup_path(root, 0, buf, sizeof(buf)));
	/* No such directory: NULL, and the miss is cached. */
	assert_null(owner_cgroup_path(root, 1, buf, sizeof(buf)));
	/* From the cache: still found once the tree is gone. */
	rmdir(p);
	assert_string_equal(owner_cgroup_path(root, st_b.st_ino, buf, sizeof(buf)),
			    "/system.slice/web.service");
	snprintf(p, sizeof(p), "%s/system.slice", root);
	rmdir(p);
	rmdir(root);
	owner_cgroup_flush();
}

static void test_json_keys(void **state)
{
	struct timespec wall = { 1700000000, 0 };
	struct rst_why w = { 0 };
	struct json_info ji = { "eth0", &wall, "abort", NULL, NULL, &w };
	struct rst_event e = { .family = 2, .tcp_flags = RA, .dir = RST_DIR_OUT };
	char line[2048];

	(void)state;
	w.fate = "accepted";
	w.have_stage = 1;
	w.st.stage = "client_data";
	w.st.conn = "RSTR";
	w.st.known[0] = 1;
	w.st.bytes[0] = 5;
	w.have_owner = 1;
	w.own.have_sock = 1;
	w.own.cgroup = "/system.slice/web.service";
	w.own.cgroup_id = 4242;
	w.own.uid = 65534;
	w.own.have_task = 1;
	w.own.pid = 77;
	strcpy(w.own.comm, "nginx\"1");
	assert_true(json_event(line, sizeof(line), &e, &ji) > 0);
	assert_non_null(strstr(line,
			       "\"state\":null,\"origin\":null,\"fate\":\"accepted\","
			       "\"drop_reason\":null,\"fate_state\":null,"
			       "\"injection_signal\":null,\"stage\":\"client_data\","
			       "\"conn_state\":\"RSTR\",\"client_bytes\":5,\"server_bytes\":null,"
			       "\"cgroup\":\"/system.slice/web.service\",\"cgroup_id\":4242,"
			       "\"uid\":65534,\"pid\":77,\"comm\":\"nginx\\\"1\"}\n"));
	/* Without the programs: no key at all. */
	ji.why = NULL;
	assert_true(json_event(line, sizeof(line), &e, &ji) > 0);
	assert_null(strstr(line, "\"fate\""));
}

/* The bounded cgroup family: its series, label escaping, "other" and nothing without the map. */
static void test_cgroup_metrics(void **state)
{
	struct metrics_cgroups c = { .ok = 1, .n = 1, .other_sent = 3, .other_accepted = 0 };
	char text[2048];
	struct strbuf b;

	(void)state;
	c.top[0].sent = 7;
	c.top[0].accepted = 2;
	strcpy(c.top[0].path, "/a\"b.service");
	assert_int_equal(sb_init(&b, text, sizeof(text)), 0);
	metrics_cgroups_render(&c, &b);
	assert_non_null(strstr(
		text,
		"# TYPE rsttrace_cgroup_resets_total counter\n"
		"rsttrace_cgroup_resets_total{cgroup=\"/a\\\"b.service\",kind=\"sent\"} 7\n"
		"rsttrace_cgroup_resets_total{cgroup=\"/a\\\"b.service\",kind=\"accepted\"} 2\n"
		"rsttrace_cgroup_resets_total{cgroup=\"other\",kind=\"sent\"} 3\n"
		"rsttrace_cgroup_resets_total{cgroup=\"other\",kind=\"accepted\"} 0\n"));
	metrics_cgroups_read(&c, -1);
	assert_int_equal(c.ok, 0);
	assert_int_equal(sb_init(&b, text, sizeof(text)), 0);
	metrics_cgroups_render(&c, &b);
	assert_int_equal(b.len, 0);
}

/* The fate family: one series per interface and fate, "other", the local resets. */
static void test_fate_metrics(void **state)
{
	struct metrics_fates f = { .ok = 1, .n = 2, .local_reset = 4 };
	char text[4096];
	struct strbuf b;

	(void)state;
	strcpy(f.ifs[0].iface, "eth0");
	f.ifs[0].fate[RST_FATE_CHALLENGED] = 3;
	strcpy(f.ifs[1].iface, "other");
	f.ifs[1].fate[RST_FATE_UNKNOWN] = 1;
	assert_int_equal(sb_init(&b, text, sizeof(text)), 0);
	metrics_fates_render(&f, &b);
	assert_non_null(strstr(
		text,
		"rsttrace_received_rst_fates_total{device=\"eth0\",fate=\"accepted\"} 0\n"
		"rsttrace_received_rst_fates_total{device=\"eth0\",fate=\"challenged\"} 3\n"));
	assert_non_null(strstr(
		text, "rsttrace_received_rst_fates_total{device=\"other\",fate=\"unknown\"} 1\n"));
	assert_non_null(strstr(text, "\nrsttrace_local_resets_total 4\n"));
	metrics_fates_read(&f, -1, NULL);
	assert_int_equal(f.ok, 0);
}

int main(void)
{
	struct rowtests rt = { 0 };

	RT_ADD_ROWS(&rt, rows, run_row, rt_row_name);
	rt_add(&rt, "test_no_flow", test_no_flow, NULL);
	rt_add(&rt, "test_injection_signal", test_injection_signal, NULL);
	rt_add(&rt, "test_cgroup_path", test_cgroup_path, NULL);
	rt_add(&rt, "test_json_keys", test_json_keys, NULL);
	rt_add(&rt, "test_cgroup_metrics", test_cgroup_metrics, NULL);
	rt_add(&rt, "test_fate_metrics", test_fate_metrics, NULL);
	return rt_run(&rt, NULL, NULL);
}
