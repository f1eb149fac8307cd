// SPDX-License-Identifier: GPL-2.0
/*
 * The consumer's families of serve's /metrics (metrics_consumer.h): a
 * snapshot handed over under a mutex, rendered like every other family.
 */
#include <string.h>

#include "metrics_consumer.h"

static const char *const role_names[METRICS_ROLE_MAX] = { "none", "ring", "subscriber" };
static const char *const sink_names[METRICS_SINK_MAX] = { "json", "pcap", "syslog" };

void metrics_consumer_init(struct metrics_consumer *mc)
{
	pthread_mutex_init(&mc->lock, NULL);
	memset(&mc->st, 0, sizeof(mc->st));
}

void metrics_consumer_destroy(struct metrics_consumer *mc)
{
	pthread_mutex_destroy(&mc->lock);
}

void metrics_consumer_publish(struct metrics_consumer *mc, const struct metrics_cons_stats *st)
{
	pthread_mutex_lock(&mc->lock);
	mc->st = *st;
	pthread_mutex_unlock(&mc->lock);
}

void metrics_consumer_read(struct metrics_consumer *mc, struct metrics_cons_stats *st)
{
	if (!mc) {
		memset(st, 0, sizeof(*st));
		return;
	}
	pthread_mutex_lock(&mc->lock);
	*st = mc->st;
	pthread_mutex_unlock(&mc->lock);
}

static void family(struct strbuf *b, const char *name, const char *type, const char *help)
{
	sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void metrics_consumer_render(const struct metrics_cons_stats *st, struct strbuf *b)
{
	__u32 i;
	int k;

	if (!st->ok)
		return;
	family(b, "rsttrace_consumer_role", "gauge",
	       "1 for what this serve is to the attachment's events: the ring's consumer, "
	       "a subscriber of another consumer, or neither (yet).");
	for (k = 0; k < METRICS_ROLE_MAX; k++)
		sb_printf(b, "rsttrace_consumer_role{role=\"%s\"} %d\n", role_names[k],
			  st->role == k);
	family(b, "rsttrace_consumer_events_total", "counter",
	       "Events this serve took, from the ring or from the consumer it joined.");
	sb_printf(b, "rsttrace_consumer_events_total %llu\n", (unsigned long long)st->consumed);
	family(b, "rsttrace_consumer_events_missed_total", "counter",
	       "Events the consumer this serve joined dropped for it (its queue was full).");
	sb_printf(b, "rsttrace_consumer_events_missed_total %llu\n",
		  (unsigned long long)st->missed);

	family(b, "rsttrace_fanout_subscribers", "gauge",
	       "Subscribers (watch --attached) receiving the events this serve publishes.");
	sb_printf(b, "rsttrace_fanout_subscribers %u\n", st->n_subs);
	family(b, "rsttrace_fanout_events_dropped_total", "counter",
	       "Events dropped for subscribers whose queue was full, all of them, those that "
	       "left included.");
	sb_printf(b, "rsttrace_fanout_events_dropped_total %llu\n",
		  (unsigned long long)st->subs_dropped);
	/* One series pair per live subscriber: at most METRICS_CONS_SUBS. */
	family(b, "rsttrace_fanout_subscriber_events_total", "counter",
	       "Events for each subscriber now joined, by its pid: sent, or dropped because "
	       "its queue was full.");
	for (i = 0; i < st->n_subs && i < METRICS_CONS_SUBS; i++) {
		sb_printf(b,
			  "rsttrace_fanout_subscriber_events_total{pid=\"%u\",result=\"sent\"} "
			  "%llu\n",
			  st->subs[i].pid, (unsigned long long)st->subs[i].sent);
		sb_printf(b,
			  "rsttrace_fanout_subscriber_events_total{pid=\"%u\",result=\"dropped\"} "
			  "%llu\n",
			  st->subs[i].pid, (unsigned long long)st->subs[i].dropped);
	}

	family(b, "rsttrace_sink_events_total", "counter",
	       "Events each sink of this serve (--json-out, -w, --syslog) wrote, or dropped "
	       "because a write failed.");
	for (k = 0; k < METRICS_SINK_MAX; k++) {
		if (!st->sink_on[k])
			continue;
		sb_printf(b, "rsttrace_sink_events_total{sink=\"%s\",result=\"written\"} %llu\n",
			  sink_names[k], (unsigned long long)st->sink_written[k]);
		sb_printf(b, "rsttrace_sink_events_total{sink=\"%s\",result=\"dropped\"} %llu\n",
			  sink_names[k], (unsigned long long)st->sink_dropped[k]);
	}
}
