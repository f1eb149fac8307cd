// SPDX-License-Identifier: GPL-2.0
/*
 * The one class table (user/views/causes.c): each kernel reason and kind
 * to its class, by name; an event's class from its reason, flags and
 * sequence; the class totals of a causes map. The reason names come from
 * a BTF made here whose enum values are renumbered, so that a class
 * decided by number instead of name fails.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <bpf/btf.h>

#include "causes.h"
#include "metrics.h"
#include "rowtests.h"
#include "rstreason.h"

/* Values unlike 6.18's (no_socket is 1 there). */
static const char *const enum_names[] = {
	"SK_RST_REASON_TCP_STATE",
	"SK_RST_REASON_NO_SOCKET",
	"SK_RST_REASON_TCP_KEEPALIVE_TIMEOUT",
	"SK_RST_REASON_ERROR",
	"SK_RST_REASON_TCP_ABORT_ON_CLOSE",
	"SK_RST_REASON_TCP_TIMEWAIT_SOCKET",
	"SK_RST_REASON_TCP_ABORT_ON_MEMORY",
	"SK_RST_REASON_TCP_FLAGS",
};
static const int enum_vals[] = { 7, 3, 0, 1, 12, 2, 5, 9 };

static int names_setup(void **state)
{
	struct btf *btf = btf__new_empty();
	size_t i;

	(void)state;
	if (!btf || btf__add_enum(btf, "sk_rst_reason", 4) <= 0)
		return -1;
	for (i = 0; i < sizeof(enum_vals) / sizeof(enum_vals[0]); i++)
		if (btf__add_enum_value(btf, enum_names[i], enum_vals[i]))
			return -1;
	if (rst_reason_names_from(btf))
		return -1;
	btf__free(btf);
	return 0;
}

static const struct {
	const char *name;
	__u32 kind;
	const char *reason;
	enum rst_class want;
} rows[] = {
	{ "no_socket answering a SYN is refused", RST_CZK_SYN, "no_socket", RC_REFUSED },
	{ "no_socket answering another segment is no_flow", RST_CZK_REPLY, "no_socket",
	  RC_NO_FLOW },
	{ "tcp_state in a reply is protocol", RST_CZK_REPLY, "tcp_state", RC_PROTOCOL },
	{ "tcp_state in an active reset is abort", RST_CZK_ACTIVE, "tcp_state", RC_ABORT },
	{ "tcp_abort_on_close is abort", RST_CZK_ACTIVE, "tcp_abort_on_close", RC_ABORT },
	{ "tcp_keepalive_timeout is timeout", RST_CZK_ACTIVE, "tcp_keepalive_timeout", RC_TIMEOUT },
	{ "tcp_abort_on_memory is memory", RST_CZK_ACTIVE, "tcp_abort_on_memory", RC_MEMORY },
	{ "tcp_timewait_socket is after_fin", RST_CZK_REPLY, "tcp_timewait_socket", RC_AFTER_FIN },
	{ "tcp_flags is protocol", RST_CZK_REPLY, "tcp_flags", RC_PROTOCOL },
	{ "error is unknown", RST_CZK_ACTIVE, "error", RC_UNKNOWN },
	{ "a name the table lacks is unknown", RST_CZK_REPLY, "tcp_brand_new", RC_UNKNOWN },
	{ "no name is unknown", RST_CZK_REPLY, NULL, RC_UNKNOWN },
	{ "a kind out of range is unknown", RST_CZK_MAX, "no_socket", RC_UNKNOWN },
};

static void run_row(void **state)
{
	const __typeof__(rows[0]) *r = *state;

	assert_string_equal(rst_class_names[cause_class(r->kind, r->reason)],
			    rst_class_names[r->want]);
}

/* An event as watch gets it: reason value + 1 (0 none). */
static const struct {
	const char *name;
	__u8 dir, reason, flags, ev_flags;
	__u32 seq;
	int want; /* enum rst_class, RC_MAX: the kernel said nothing */
} ev_rows[] = {
	{ "refused: RST-ACK, seq 0, no_socket (value 3 here)", RST_DIR_OUT, 3 + 1,
	  RST_TCP_RST | RST_TCP_ACK, 0, 0, RC_REFUSED },
	{ "no_flow: RST with the segment's ack as seq, no_socket", RST_DIR_OUT, 3 + 1, RST_TCP_RST,
	  0, 12345, RC_NO_FLOW },
	{ "active tcp_state (value 7 here) is abort", RST_DIR_OUT, 7 + 1, RST_TCP_RST | RST_TCP_ACK,
	  RST_EV_LOCAL, 99, RC_ABORT },
	{ "reply tcp_state is protocol", RST_DIR_OUT, 7 + 1, RST_TCP_RST, 0, 99, RC_PROTOCOL },
	{ "keepalive (value 0 here) is timeout", RST_DIR_OUT, 0 + 1, RST_TCP_RST | RST_TCP_ACK,
	  RST_EV_LOCAL, 5, RC_TIMEOUT },
	{ "netfilter's reject is firewall", RST_DIR_OUT, 0, RST_TCP_RST | RST_TCP_ACK,
	  RST_EV_FIREWALL, 0, RC_FIREWALL },
	{ "sent, no reason: the kernel said nothing", RST_DIR_OUT, 0, RST_TCP_RST, 0, 7, RC_MAX },
	{ "received: the kernel said nothing", RST_DIR_IN, 3 + 1, RST_TCP_RST, 0, 7, RC_MAX },
};

static void run_ev_row(void **state)
{
	const __typeof__(ev_rows[0]) *r = *state;
	struct rst_event e;

	memset(&e, 0, sizeof(e));
	e.dir = r->dir;
	e.reason = r->reason;
	e.tcp_flags = r->flags;
	e.ev_flags = r->ev_flags;
	e.seq = r->seq;
	assert_int_equal(cause_event_class(&e), r->want);
}

static void ev_row_name(char *buf, size_t len, const void *row, size_t i)
{
	(void)i;
	snprintf(buf, len, "event %s", ((const __typeof__(ev_rows[0]) *)row)->name);
}

/* Class totals: each (kind, reason) count through the table; firewall from the egress origins. */
static void test_by_class(void **state)
{
	static struct rst_causes c;
	__u64 cls[RC_MAX];

	(void)state;
	memset(&c, 0, sizeof(c));
	c.sent[RST_CZK_SYN][0][3] = 4;			  /* no_socket, no socket: refused */
	c.sent[RST_CZK_REPLY][0][3] = 2;		  /* no_socket: no_flow */
	c.sent[RST_CZK_ACTIVE][7 + 1][7] = 5;		  /* tcp_state, close: abort */
	c.sent[RST_CZK_ACTIVE][1 + 1][12] = 1;		  /* tcp_abort_on_close: abort */
	c.sent[RST_CZK_REPLY][0][RST_CZ_REASONS - 1] = 3; /* beyond the table: unknown */
	c.out[RST_OR_FIREWALL] = 6;
	causes_by_class(&c, cls);
	assert_int_equal(causes_sent_total(&c), 15);
	assert_int_equal(cls[RC_REFUSED], 4);
	assert_int_equal(cls[RC_NO_FLOW], 2);
	assert_int_equal(cls[RC_ABORT], 6);
	assert_int_equal(cls[RC_UNKNOWN], 3);
	assert_int_equal(cls[RC_FIREWALL], 6);
	assert_int_equal(cls[RC_TIMEOUT] + cls[RC_PROTOCOL] + cls[RC_MEMORY], 0);
}

/* A per-host cause code names its reason by value, and its class by name. */
static void test_code_names(void **state)
{
	enum rst_class k;
	char buf[64];

	(void)state;
	assert_string_equal(cause_code_name(RST_CH_CODE(RST_CZK_SYN, 0, 3), buf, sizeof(buf), &k),
			    "no_socket");
	assert_int_equal(k, RC_REFUSED);
	assert_string_equal(
		cause_code_name(RST_CH_CODE(RST_CZK_ACTIVE, 8, 7), buf, sizeof(buf), &k),
		"tcp_state");
	assert_int_equal(k, RC_ABORT);
	assert_string_equal(cause_code_name(RST_CH_FIREWALL, buf, sizeof(buf), &k), "firewall");
	assert_int_equal(k, RC_FIREWALL);
}

/* The metric families: every class and origin, each counted reason once, bounded labels. */
static void test_metrics(void **state)
{
	static struct metrics_snapshot s;
	static char text[1 << 16];
	struct strbuf b;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.causes_ok = 1;
	s.causes.sent[RST_CZK_SYN][0][3] = 4;
	s.causes.sent[RST_CZK_ACTIVE][8][7] = 2;
	s.causes.out[RST_OR_FIREWALL] = 3;
	s.causes.sk_err[RST_ERR_TIMEDOUT] = 1;
	assert_int_equal(sb_init(&b, text, sizeof(text)), 0);
	assert_int_equal(metrics_render(&s, &b), 0);
	assert_non_null(strstr(text,
			       "\nrsttrace_resets_sent_total{reason=\"no_socket\",kind=\"syn\","
			       "class=\"refused\"} 4\n"));
	assert_non_null(strstr(text,
			       "\nrsttrace_resets_sent_total{reason=\"tcp_state\",kind=\"active\","
			       "class=\"abort\"} 2\n"));
	assert_non_null(strstr(text, "\nrsttrace_resets_by_class_total{class=\"firewall\"} 3\n"));
	assert_non_null(strstr(text, "\nrsttrace_resets_by_class_total{class=\"timeout\"} 0\n"));
	assert_non_null(strstr(text, "\nrsttrace_egress_resets_total{origin=\"firewall\"} 3\n"));
	assert_non_null(strstr(text, "\nrsttrace_socket_errors_total{errno=\"etimedout\"} 1\n"));
	/* Two reasons counted: two series of the family, no more. */
	assert_null(strstr(strstr(text, "class=\"abort\"} 2\n"), "rsttrace_resets_sent_total{"));
}

int main(void)
{
	struct rowtests rt = { 0 };

	RT_ADD_ROWS(&rt, rows, run_row, rt_row_name);
	RT_ADD_ROWS(&rt, ev_rows, run_ev_row, ev_row_name);
	rt_add(&rt, "test_by_class", test_by_class, NULL);
	rt_add(&rt, "test_code_names", test_code_names, NULL);
	rt_add(&rt, "test_metrics", test_metrics, NULL);
	return rt_run(&rt, names_setup, NULL);
}
