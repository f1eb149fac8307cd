// SPDX-License-Identifier: GPL-2.0
/*
 * user/outputs/json.c, user/views/classify.c and user/views/rstreason.c: the escape of every
 * byte 0..255 (and that a small JSON string decoder gets every byte back),
 * the documented key set in its order, field values for a table of events,
 * RFC 3339 timestamps, buffer exhaustion, the classification rules, and
 * the names of kernel reset reasons and socket states.
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

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "classify.h"
#include "json.h"
#include "rsttrace.h"
#include "rstreason.h"
#include "rowtests.h"

/* The keys of docs/json.md, in the order they are printed. */
static const char *const keys[] = {
	"ts",	 "iface",   "ifindex",	"dir",	"hook",	 "family", "src",   "sport",
	"dst",	 "dport",   "flags",	"seq",	"ack",	 "win",	   "len",   "ttl",
	"ip_id", "pkt_len", "snap_len", "vlan", "class", "reason", "state", "origin",
};

/* ---- a minimal JSON reader, for what json.c writes ------------------------- */

/* Decode a JSON string at *p (after the opening quote) into out; code points <= 0xff. */
static int read_string(const char **p, unsigned char *out, size_t *n, size_t max)
{
	const char *s = *p;

	*n = 0;
	for (;;) {
		unsigned char c = (unsigned char)*s++;
		unsigned int v;

		if (c == '"')
			break;
		if (c < 0x20 || c >= 0x7f)
			return -1; /* raw control or non-ASCII: json.c must never emit it */
		if (c == '\\') {
			c = (unsigned char)*s++;
			switch (c) {
			case '"':
			case '\\':
			case '/':
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			case 'u':
				if (sscanf(s, "%4x", &v) != 1 || v > 0xff)
					return -1;
				s += 4;
				c = (unsigned char)v;
				break;
			default:
				return -1;
			}
		}
		if (*n >= max)
			return -1;
		out[(*n)++] = c;
	}
	*p = s;
	return 0;
}

/* The keys of one flat object, in order; values are skipped. */
static int read_keys(const char *s, char names[][32], int max)
{
	unsigned char buf[256];
	size_t n;
	int k = 0;

	if (*s++ != '{')
		return -1;
	while (*s && *s != '}') {
		if (*s++ != '"' || read_string(&s, buf, &n, sizeof(buf) - 1) || *s++ != ':')
			return -1;
		if (k >= max || n >= 32)
			return -1;
		memcpy(names[k], buf, n);
		names[k++][n] = '\0';
		if (*s == '"') {
			s++;
			if (read_string(&s, buf, &n, sizeof(buf)))
				return -1;
		} else {
			while (*s && *s != ',' && *s != '}')
				s++;
		}
		if (*s == ',')
			s++;
	}
	return *s == '}' && s[1] == '\n' && s[2] == '\0' ? k : -1;
}

/* The raw text of key's value in a line ("\"x\"", "12", "null"). */
static void value_of(const char *line, const char *key, char *out, size_t len)
{
	char pat[40];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(line, pat);
	assert_non_null(p);
	p += strlen(pat);
	e = p;
	if (*e == '"') {
		for (e++; *e && *e != '"'; e++)
			if (*e == '\\')
				e++;
		e++;
	} else {
		while (*e && *e != ',' && *e != '}')
			e++;
	}
	assert_true((size_t)(e - p) < len);
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
}

/* ---- escaping -------------------------------------------------------------- */

static void expected_escape(unsigned char c, char *out)
{
	switch (c) {
	case '"':
		strcpy(out, "\\\"");
		return;
	case '\\':
		strcpy(out, "\\\\");
		return;
	case '\b':
		strcpy(out, "\\b");
		return;
	case '\f':
		strcpy(out, "\\f");
		return;
	case '\n':
		strcpy(out, "\\n");
		return;
	case '\r':
		strcpy(out, "\\r");
		return;
	case '\t':
		strcpy(out, "\\t");
		return;
	}
	if (c >= 0x20 && c < 0x7f)
		sprintf(out, "%c", c);
	else
		sprintf(out, "\\u%04x", c);
}

static void test_escape_every_byte(void **state)
{
	char out[16], want[16];
	int c, n;

	(void)state;
	for (c = 0; c < 256; c++) {
		unsigned char b = (unsigned char)c;

		n = json_escape(out, sizeof(out), &b, 1);
		expected_escape(b, want);
		if (n < 0 || strcmp(out, want))
			fail_msg("byte 0x%02x: got '%s', want '%s'", c, n < 0 ? "(error)" : out,
				 want);
		assert_int_equal(n, (int)strlen(want));
	}
}

static void test_escape_round_trip(void **state)
{
	unsigned char all[256], back[256];
	char out[256 * 6 + 1];
	const char *p;
	size_t n;
	int i, len;

	(void)state;
	for (i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	len = json_escape(out, sizeof(out), all, sizeof(all));
	assert_true(len > 0);
	/* Only printable ASCII leaves json.c. */
	for (i = 0; i < len; i++)
		assert_true(out[i] >= 0x20 && out[i] < 0x7f);
	strcat(out, "\"");
	p = out;
	assert_int_equal(read_string(&p, back, &n, sizeof(back)), 0);
	assert_int_equal(n, 256);
	assert_memory_equal(back, all, 256);
}

static void test_escape_enospc(void **state)
{
	char out[4];

	(void)state;
	assert_int_equal(json_escape(out, sizeof(out), "abc", 3), 3);
	assert_int_equal(json_escape(out, sizeof(out), "abcd", 4), -ENOSPC);
	assert_string_equal(out, "");
	assert_int_equal(json_escape(out, sizeof(out), "\x01", 1), -ENOSPC);
}

/* ---- events ---------------------------------------------------------------- */

static void mkevent(struct rst_event *e, int v6, const char *src, const char *dst, __u16 sport,
		    __u16 dport, __u8 flags)
{
	memset(e, 0, sizeof(*e));
	e->family = v6 ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(e->family, src, e->saddr), 1);
	assert_int_equal(inet_pton(e->family, dst, e->daddr), 1);
	e->sport = sport;
	e->dport = dport;
	e->tcp_flags = flags;
	e->ifindex = 7;
	e->seq = 4000000000U;
	e->ack = 12345;
	e->win = 512;
	e->ttl = 63;
	e->ip_id = 4242;
	e->pkt_len = v6 ? 74 : 54;
	e->snap_len = (__u16)e->pkt_len;
	e->hook = RST_HOOK_TC_EGRESS;
	e->dir = RST_DIR_OUT;
}

static const struct {
	const char *name;
	int v6;
	const char *src, *dst;
	__u16 sport, dport;
	__u8 flags;
	__u8 hook, dir, ev_flags;
	const char *ifname, *class;
	/* expected raw values */
	const char *j_src, *j_dst, *j_flags, *j_hook, *j_dir, *j_family, *j_iface, *j_class,
		*j_vlan;
} rows[] = {
	{ "ipv4 rst-ack out",
	  0,
	  "10.0.0.1",
	  "10.0.0.2",
	  443,
	  50000,
	  RST_TCP_RST | RST_TCP_ACK,
	  RST_HOOK_TC_EGRESS,
	  RST_DIR_OUT,
	  0,
	  "eth0",
	  "refused",
	  "\"10.0.0.1\"",
	  "\"10.0.0.2\"",
	  "\"R.\"",
	  "\"tc-out\"",
	  "\"out\"",
	  "\"ipv4\"",
	  "\"eth0\"",
	  "\"refused\"",
	  "false" },
	{ "ipv6 rst in xdp",
	  1,
	  "fd00::2",
	  "2001:db8::1",
	  1,
	  65535,
	  RST_TCP_RST,
	  RST_HOOK_XDP,
	  RST_DIR_IN,
	  RST_EV_VLAN,
	  "vlan.42",
	  NULL,
	  "\"fd00::2\"",
	  "\"2001:db8::1\"",
	  "\"R\"",
	  "\"xdp\"",
	  "\"in\"",
	  "\"ipv6\"",
	  "\"vlan.42\"",
	  "null",
	  "true" },
	{ "every flag, hostile ifname",
	  0,
	  "192.0.2.1",
	  "198.51.100.7",
	  0,
	  0,
	  0xff,
	  RST_HOOK_TC_INGRESS,
	  RST_DIR_IN,
	  0,
	  "a\"b\\c\n\x7f\xff",
	  "abort",
	  "\"192.0.2.1\"",
	  "\"198.51.100.7\"",
	  "\"FSRP.UEW\"",
	  "\"tc-in\"",
	  "\"in\"",
	  "\"ipv4\"",
	  "\"a\\\"b\\\\c\\n\\u007f\\u00ff\"",
	  "\"abort\"",
	  "false" },
};

/* One row of rows[]: the event line, key by key. */
static void test_event_row(void **state)
{
	const size_t i = (size_t)((const __typeof__(rows[0]) *)*state - rows);
	struct timespec wall = { 1700000000, 123456789 };
	char line[2048], names[40][32], v[256];
	struct rst_event e;
	int k, n;
	struct json_info ji = { rows[i].ifname, &wall, rows[i].class, NULL, NULL, NULL };

	mkevent(&e, rows[i].v6, rows[i].src, rows[i].dst, rows[i].sport, rows[i].dport,
		rows[i].flags);
	e.hook = rows[i].hook;
	e.dir = rows[i].dir;
	e.ev_flags = rows[i].ev_flags;
	n = json_event(line, sizeof(line), &e, &ji);
	assert_true(n > 0);
	assert_int_equal(n, (int)strlen(line));
	/* The documented keys, all of them, in order, one line. */
	k = read_keys(line, names, 40);
	if (k != (int)(sizeof(keys) / sizeof(keys[0])))
		fail_msg("%s: %d keys in %s", rows[i].name, k, line);
	for (k = 0; k < (int)(sizeof(keys) / sizeof(keys[0])); k++)
		assert_string_equal(names[k], keys[k]);
#define CHECK(key, want)                                                                           \
	do {                                                                                       \
		value_of(line, key, v, sizeof(v));                                                 \
		if (strcmp(v, want))                                                               \
			fail_msg("%s: %s is %s, want %s", rows[i].name, key, v, want);             \
	} while (0)
	CHECK("ts", "\"2023-11-14T22:13:20.123456Z\"");
	CHECK("iface", rows[i].j_iface);
	CHECK("ifindex", "7");
	CHECK("dir", rows[i].j_dir);
	CHECK("hook", rows[i].j_hook);
	CHECK("family", rows[i].j_family);
	CHECK("src", rows[i].j_src);
	CHECK("dst", rows[i].j_dst);
	CHECK("flags", rows[i].j_flags);
	CHECK("seq", "4000000000");
	CHECK("ack", "12345");
	CHECK("win", "512");
	CHECK("len", "0");
	CHECK("ttl", "63");
	CHECK("ip_id", "4242");
	CHECK("class", rows[i].j_class);
	CHECK("vlan", rows[i].j_vlan);
	CHECK("reason", "null");
	CHECK("state", "null");
	snprintf(v, sizeof(v), "%u", rows[i].sport);
	{
		char got[16];

		value_of(line, "sport", got, sizeof(got));
		assert_string_equal(got, v);
		snprintf(v, sizeof(v), "%u", rows[i].dport);
		value_of(line, "dport", got, sizeof(got));
		assert_string_equal(got, v);
	}
#undef CHECK
}

static void event_row_name(char *buf, size_t len, const void *row, size_t i)
{
	(void)row;
	snprintf(buf, len, "event %s", rows[i].name);
}

static void test_event_enospc(void **state)
{
	struct timespec wall = { 1, 0 };
	struct json_info ji = { "eth0", &wall, "abort", NULL, NULL, NULL };
	struct rst_event e;
	char line[2048];
	int n, len;

	(void)state;
	mkevent(&e, 1, "fd00::1", "fd00::2", 1, 2, RST_TCP_RST);
	n = json_event(line, sizeof(line), &e, &ji);
	assert_true(n > 0);
	/* One byte short (the NUL needs room too) fails whole, never truncated. */
	for (len = n; len > 0; len -= 37) {
		assert_int_equal(json_event(line, (size_t)len, &e, &ji), -ENOSPC);
		assert_string_equal(line, "");
	}
	assert_int_equal(json_event(line, (size_t)n + 1, &e, &ji), n);
}

static const struct {
	time_t sec;
	long nsec;
	const char *want;
} ts[] = {
	{ 0, 0, "1970-01-01T00:00:00.000000Z" },
	{ 0, 999, "1970-01-01T00:00:00.000000Z" },
	{ 1700000000, 123456789, "2023-11-14T22:13:20.123456Z" },
	{ 951782400, 999999999, "2000-02-29T00:00:00.999999Z" },
	{ 4102444799, 1000, "2099-12-31T23:59:59.000001Z" },
};

/* One row of ts[]. */
static void test_rfc3339_row(void **state)
{
	const size_t i = (size_t)((const __typeof__(ts[0]) *)*state - ts);
	struct timespec t = { ts[i].sec, ts[i].nsec };
	char buf[40];

	assert_int_equal(json_rfc3339(buf, sizeof(buf), &t), (int)strlen(ts[i].want));
	assert_string_equal(buf, ts[i].want);
}

static void rfc3339_row_name(char *buf, size_t len, const void *row, size_t i)
{
	(void)row;
	snprintf(buf, len, "rfc3339 %lld.%09ld", (long long)ts[i].sec, ts[i].nsec);
}

static const struct {
	__u8 f;
	const char *want;
} flag_rows[] = {
	{ 0, "none" },		{ RST_TCP_RST, "R" }, { RST_TCP_RST | RST_TCP_ACK, "R." },
	{ 0x14 | 0x08, "RP." }, { 0x02, "S" },	      { 0x12, "S." },
	{ 0x11, "F." },		{ 0xc4, "REW" },
};

/* One row of flag_rows. */
static void test_flags_row(void **state)
{
	const size_t i = (size_t)((const __typeof__(flag_rows[0]) *)*state - flag_rows);
	char buf[12];

	json_tcp_flags(buf, sizeof(buf), flag_rows[i].f);
	assert_string_equal(buf, flag_rows[i].want);
}

static void flags_row_name(char *buf, size_t len, const void *row, size_t i)
{
	(void)row;
	snprintf(buf, len, "flags 0x%02x", flag_rows[i].f);
}

/* ---- classification -------------------------------------------------------- */

static const struct {
	const char *name;
	__u8 flags;
	/* counts as [sender, peer] */
	__u32 syn[2], synack[2], fin[2];
	const char *want;
} classify_rows[] = {
	{ "closed port", RST_TCP_RST | RST_TCP_ACK, { 0, 1 }, { 0, 0 }, { 0, 0 }, "refused" },
	{ "closed port, SYN retried",
	  RST_TCP_RST | RST_TCP_ACK,
	  { 0, 3 },
	  { 0, 0 },
	  { 0, 0 },
	  "refused" },
	{ "bare RST to a SYN", RST_TCP_RST, { 0, 1 }, { 0, 0 }, { 0, 0 }, "abort" },
	{ "established, aborted by server",
	  RST_TCP_RST | RST_TCP_ACK,
	  { 0, 1 },
	  { 1, 0 },
	  { 0, 0 },
	  "abort" },
	{ "established, aborted by client", RST_TCP_RST, { 1, 0 }, { 0, 1 }, { 0, 0 }, "abort" },
	{ "after our FIN", RST_TCP_RST, { 1, 0 }, { 0, 1 }, { 1, 0 }, "after_fin" },
	{ "after their FIN", RST_TCP_RST | RST_TCP_ACK, { 0, 1 }, { 1, 0 }, { 0, 1 }, "after_fin" },
	{ "nothing but RSTs", RST_TCP_RST, { 0, 0 }, { 0, 0 }, { 0, 0 }, "no_flow" },
	{ "FIN only", RST_TCP_RST, { 0, 0 }, { 0, 0 }, { 0, 1 }, "after_fin" },
};

/* One row of classify_rows. */
static void test_classify_row(void **state)
{
	const size_t i = (size_t)((const __typeof__(classify_rows[0]) *)*state - classify_rows);
	struct rst_flow_key key;
	struct rst_flow_val v;
	struct rst_event e;
	int side, s;

	/* Both key orders: the sender as endpoint A, then as B. */
	for (s = 0; s < 2; s++) {
		mkevent(&e, 0, s ? "10.0.0.9" : "10.0.0.1", "10.0.0.5", 80, 40000,
			classify_rows[i].flags);
		side = classify_flow_key(&e, &key);
		assert_int_equal(side, s);
		memset(&v, 0, sizeof(v));
		v.syn[side] = classify_rows[i].syn[0];
		v.syn[!side] = classify_rows[i].syn[1];
		v.synack[side] = classify_rows[i].synack[0];
		v.synack[!side] = classify_rows[i].synack[1];
		v.fin[side] = classify_rows[i].fin[0];
		v.fin[!side] = classify_rows[i].fin[1];
		v.rst[side] = 1;
		if (strcmp(classify(&e, &v, side), classify_rows[i].want))
			fail_msg("%s (side %d): %s, want %s", classify_rows[i].name, side,
				 classify(&e, &v, side), classify_rows[i].want);
	}
}

static void classify_row_name(char *buf, size_t len, const void *row, size_t i)
{
	(void)row;
	snprintf(buf, len, "classify %s", classify_rows[i].name);
}

/* No flow record: unknown (the event as the table's last row left it). */
static void test_classify_no_flow(void **state)
{
	const size_t last = sizeof(classify_rows) / sizeof(classify_rows[0]) - 1;
	struct rst_event e;

	(void)state;
	mkevent(&e, 0, "10.0.0.9", "10.0.0.5", 80, 40000, classify_rows[last].flags);
	assert_string_equal(classify(&e, NULL, 0), "unknown");
}

/* A TTL change comes first, whatever the flow says; not for an RST the kernel owns. */
static void test_classify_injection(void **state)
{
	struct rst_flow_key key;
	struct rst_flow_val v;
	struct rst_event e;
	int side;

	(void)state;
	mkevent(&e, 0, "10.0.0.2", "10.0.0.1", 40000, 80, RST_TCP_RST);
	e.dir = RST_DIR_IN;
	e.hook = RST_HOOK_XDP;
	e.ev_flags = RST_EV_TTL_CHANGE;
	side = classify_flow_key(&e, &key);
	memset(&v, 0, sizeof(v));
	v.syn[side] = 1;
	v.synack[!side] = 1;
	v.rst[side] = 1;
	assert_string_equal(classify(&e, &v, side), "injection_candidate");
	assert_string_equal(classify(&e, NULL, side), "injection_candidate");
	assert_string_equal(classify_event(-1, &e), "injection_candidate");
	v.fin[0] = 1;
	assert_string_equal(classify(&e, &v, side), "injection_candidate");
	/* With other flags beside it. */
	e.ev_flags |= RST_EV_VLAN;
	assert_string_equal(classify(&e, &v, side), "injection_candidate");
	/* The kernel here says it sent it: its own RST, classified by the flow. */
	e.reason = 2;
	assert_string_equal(classify(&e, &v, side), "after_fin");
	e.reason = 0;
	e.ev_flags = RST_EV_VLAN;
	assert_string_equal(classify(&e, &v, side), "after_fin");
}

/* A BTF with just enum sk_rst_reason, values as given. */
static struct btf *reason_btf(const char *const *names, const int *vals, int n)
{
	struct btf *btf = btf__new_empty();
	int i;

	assert_non_null(btf);
	assert_true(btf__add_enum(btf, "sk_rst_reason", 4) > 0);
	for (i = 0; i < n; i++)
		assert_int_equal(btf__add_enum_value(btf, names[i], vals[i]), 0);
	return btf;
}

static void test_reason_names(void **state)
{
	static const char *const names[] = { "SK_RST_REASON_NOT_SPECIFIED",
					     "SK_RST_REASON_NO_SOCKET",
					     "SK_RST_REASON_TCP_ABORT_ON_LINGER", "ODDLY_NAMED",
					     "SK_RST_REASON_TOO_BIG" };
	static const int vals[] = { 0, 1, 12, 30, 255 };
	struct timespec wall = { 1700000000, 0 };
	struct json_info ji = { "eth0", &wall, "refused", NULL, NULL, NULL };
	struct btf *btf = reason_btf(names, vals, 5);
	char line[2048], v[64];
	struct rst_event e;

	(void)state;
	assert_int_equal(rst_reason_names_from(btf), 0);
	/* The event holds reason + 1; 0 is unknown. */
	assert_null(rst_reason_name(0));
	assert_string_equal(rst_reason_name(1), "not_specified");
	assert_string_equal(rst_reason_name(2), "no_socket");
	assert_string_equal(rst_reason_name(13), "tcp_abort_on_linger");
	assert_string_equal(rst_reason_name(31), "oddly_named");
	/* Not in the BTF (255 does not fit the event): the number. */
	assert_string_equal(rst_reason_name(3), "reason_2");
	assert_string_equal(rst_reason_name(255), "reason_254");
	btf__free(btf);

	/* A BTF without the enum: numbers only. */
	btf = btf__new_empty();
	assert_int_equal(rst_reason_names_from(btf), -ENOENT);
	assert_string_equal(rst_reason_name(2), "reason_1");
	btf__free(btf);

	assert_null(rst_state_name(0));
	assert_string_equal(rst_state_name(2), "established");
	assert_string_equal(rst_state_name(7), "time_wait");
	assert_string_equal(rst_state_name(8), "close");
	assert_string_equal(rst_state_name(9), "close_wait");
	assert_string_equal(rst_state_name(13), "new_syn_recv");
	assert_string_equal(rst_state_name(14), "bound_inactive");
	assert_string_equal(rst_state_name(15), "state_14");
	assert_string_equal(rst_state_name(1), "state_0");

	/* In JSON: strings where known, null where not. */
	btf = reason_btf(names, vals, 5);
	rst_reason_names_from(btf);
	mkevent(&e, 0, "10.0.0.1", "10.0.0.2", 9, 40000, RST_TCP_RST | RST_TCP_ACK);
	e.reason = 2;
	e.sk_state = 8;
	ji.reason = rst_reason_name(e.reason);
	ji.state = rst_state_name(e.sk_state);
	assert_true(json_event(line, sizeof(line), &e, &ji) > 0);
	value_of(line, "reason", v, sizeof(v));
	assert_string_equal(v, "\"no_socket\"");
	value_of(line, "state", v, sizeof(v));
	assert_string_equal(v, "\"close\"");
	e.sk_state = 0;
	ji.state = rst_state_name(e.sk_state);
	assert_true(json_event(line, sizeof(line), &e, &ji) > 0);
	value_of(line, "state", v, sizeof(v));
	assert_string_equal(v, "null");
	btf__free(btf);
	rst_reason_names_from(NULL);
}

/* The running kernel's own names, where it has them: NO_SOCKET is "no_socket". */
static void test_reason_names_kernel(void **state)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *t;
	const struct btf_enum *en;
	__s32 id;
	__u32 i;

	(void)state;
	id = btf ? btf__find_by_name_kind(btf, "sk_rst_reason", BTF_KIND_ENUM) : -1;
	if (id < 0) {
		btf__free(btf);
		skip(); /* no BTF, or a kernel without reset reasons */
		return;
	}
	t = btf__type_by_id(btf, id);
	en = btf_enum(t);
	rst_reason_names_from(NULL);
	for (i = 0; i < btf_vlen(t); i++, en++) {
		if (!strcmp(btf__name_by_offset(btf, en->name_off), "SK_RST_REASON_NO_SOCKET"))
			assert_string_equal(rst_reason_name(en->val + 1), "no_socket");
		if (!strcmp(btf__name_by_offset(btf, en->name_off), "SK_RST_REASON_TCP_STATE"))
			assert_string_equal(rst_reason_name(en->val + 1), "tcp_state");
	}
	btf__free(btf);
}

static void test_flow_key(void **state)
{
	struct rst_flow_key k1, k2;
	struct rst_event e;

	(void)state;
	/* Same addresses: the port decides; both directions give one key. */
	mkevent(&e, 1, "fd00::1", "fd00::1", 9000, 80, RST_TCP_RST);
	assert_int_equal(classify_flow_key(&e, &k1), 1);
	mkevent(&e, 1, "fd00::1", "fd00::1", 80, 9000, RST_TCP_RST);
	assert_int_equal(classify_flow_key(&e, &k2), 0);
	assert_memory_equal(&k1, &k2, sizeof(k1));
	assert_int_equal(k1.port_a, 80);
	assert_int_equal(k1.family, AF_INET6);
	assert_int_equal(k1.proto, 6);
	/* Address order is byte order (the kernel's big-endian word compare). */
	mkevent(&e, 0, "10.0.0.200", "10.0.1.1", 1, 2, RST_TCP_RST);
	assert_int_equal(classify_flow_key(&e, &k1), 0);
	assert_string_equal(classify_event(-1, &e), "unknown");
}

int main(void)
{
	struct rowtests rt = { 0 };

	rt_add(&rt, "test_escape_every_byte", test_escape_every_byte, NULL);
	rt_add(&rt, "test_escape_round_trip", test_escape_round_trip, NULL);
	rt_add(&rt, "test_escape_enospc", test_escape_enospc, NULL);
	RT_ADD_ROWS(&rt, rows, test_event_row, event_row_name);
	rt_add(&rt, "test_event_enospc", test_event_enospc, NULL);
	RT_ADD_ROWS(&rt, ts, test_rfc3339_row, rfc3339_row_name);
	RT_ADD_ROWS(&rt, flag_rows, test_flags_row, flags_row_name);
	RT_ADD_ROWS(&rt, classify_rows, test_classify_row, classify_row_name);
	rt_add(&rt, "test_classify_no_flow", test_classify_no_flow, NULL);
	rt_add(&rt, "test_classify_injection", test_classify_injection, NULL);
	rt_add(&rt, "test_flow_key", test_flow_key, NULL);
	rt_add(&rt, "test_reason_names", test_reason_names, NULL);
	rt_add(&rt, "test_reason_names_kernel", test_reason_names_kernel, NULL);

	return rt_run(&rt, NULL, NULL);
}
