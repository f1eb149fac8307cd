// SPDX-License-Identifier: GPL-2.0
/*
 * serve's consumer families (outputs/metrics_consumer.h): the hand-over
 * copies whole, and the text is exactly what docs/metrics.md lists, a
 * series pair per live subscriber and per sink given, and nothing at all
 * without a consumer (watch --metrics). With promtool in PATH the text
 * must also pass `promtool check metrics`.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"
#include "metrics_consumer.h"
#include "promcheck.h"
#include "rowtests.h"

static const char want[] =
	"# HELP rsttrace_consumer_role 1 for what this serve is to the attachment's events: the "
	"ring's consumer, a subscriber of another consumer, or neither (yet).\n"
	"# TYPE rsttrace_consumer_role gauge\n"
	"rsttrace_consumer_role{role=\"none\"} 0\n"
	"rsttrace_consumer_role{role=\"ring\"} 1\n"
	"rsttrace_consumer_role{role=\"subscriber\"} 0\n"
	"# HELP rsttrace_consumer_events_total Events this serve took, from the ring or from the "
	"consumer it joined.\n"
	"# TYPE rsttrace_consumer_events_total counter\n"
	"rsttrace_consumer_events_total 60\n"
	"# HELP rsttrace_consumer_events_missed_total Events the consumer this serve joined "
	"dropped for it (its queue was full).\n"
	"# TYPE rsttrace_consumer_events_missed_total counter\n"
	"rsttrace_consumer_events_missed_total 4\n"
	"# HELP rsttrace_fanout_subscribers Subscribers (watch --attached) receiving the events "
	"this serve publishes.\n"
	"# TYPE rsttrace_fanout_subscribers gauge\n"
	"rsttrace_fanout_subscribers 2\n"
	"# HELP rsttrace_fanout_events_dropped_total Events dropped for subscribers whose queue "
	"was full, all of them, those that left included.\n"
	"# TYPE rsttrace_fanout_events_dropped_total counter\n"
	"rsttrace_fanout_events_dropped_total 58\n"
	"# HELP rsttrace_fanout_subscriber_events_total Events for each subscriber now joined, "
	"by its pid: sent, or dropped because its queue was full.\n"
	"# TYPE rsttrace_fanout_subscriber_events_total counter\n"
	"rsttrace_fanout_subscriber_events_total{pid=\"101\",result=\"sent\"} 60\n"
	"rsttrace_fanout_subscriber_events_total{pid=\"101\",result=\"dropped\"} 0\n"
	"rsttrace_fanout_subscriber_events_total{pid=\"202\",result=\"sent\"} 9\n"
	"rsttrace_fanout_subscriber_events_total{pid=\"202\",result=\"dropped\"} 51\n"
	"# HELP rsttrace_sink_events_total Events each sink of this serve (--json-out, -w, "
	"--syslog) wrote, or dropped because a write failed.\n"
	"# TYPE rsttrace_sink_events_total counter\n"
	"rsttrace_sink_events_total{sink=\"json\",result=\"written\"} 11\n"
	"rsttrace_sink_events_total{sink=\"json\",result=\"dropped\"} 49\n"
	"rsttrace_sink_events_total{sink=\"syslog\",result=\"written\"} 60\n"
	"rsttrace_sink_events_total{sink=\"syslog\",result=\"dropped\"} 0\n";

static void test_consumer_render(void **state)
{
	struct metrics_cons_stats st = { .ok = 1,
					 .role = METRICS_ROLE_RING,
					 .consumed = 60,
					 .missed = 4,
					 .n_subs = 2,
					 .subs = { { 101, 60, 0 }, { 202, 9, 51 } },
					 .subs_dropped = 58 },
				  got;
	struct metrics_consumer mc;
	struct strbuf b = {};

	(void)state;
	st.sink_on[METRICS_SINK_JSON] = 1;
	st.sink_written[METRICS_SINK_JSON] = 11;
	st.sink_dropped[METRICS_SINK_JSON] = 49;
	st.sink_on[METRICS_SINK_SYSLOG] = 1;
	st.sink_written[METRICS_SINK_SYSLOG] = 60;
	/* Through the hand-over, as serve's main thread and a scrape do. */
	metrics_consumer_init(&mc);
	metrics_consumer_publish(&mc, &st);
	metrics_consumer_read(&mc, &got);
	metrics_consumer_destroy(&mc);
	assert_memory_equal(&got, &st, sizeof(st));
	metrics_consumer_render(&got, &b);
	assert_int_equal(b.err, 0);
	assert_string_equal(b.p, want);
	promtool_check(b.p, b.len);
	sb_free(&b);
}

/* No consumer (watch --metrics; NULL in metrics_opts): no family at all. */
static void test_consumer_none(void **state)
{
	struct metrics_cons_stats st;
	struct strbuf b = {};

	(void)state;
	memset(&st, 0xff, sizeof(st));
	metrics_consumer_read(NULL, &st);
	assert_int_equal(st.ok, 0);
	metrics_consumer_render(&st, &b);
	assert_int_equal(b.len, 0);
	sb_free(&b);
}

int main(void)
{
	struct rowtests rt = { 0 };

	rt_add(&rt, "test_consumer_render", test_consumer_render, NULL);
	rt_add(&rt, "test_consumer_none", test_consumer_none, NULL);
	return rt_run(&rt, NULL, NULL);
}
