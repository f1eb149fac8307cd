/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event consumer's own numbers on serve's /metrics: what it consumed,
 * what its subscribers lost in their queues (each, and all of them) and
 * what its sinks could not write (--json-out, -w, --syslog). The consumer
 * runs in serve's main thread and the exporter in libmicrohttpd's, so the
 * main thread publishes a whole snapshot under a mutex and a scrape copies
 * it under the same mutex: no number is ever read half written, and the
 * consumer never waits for a map walk (the copy is all the lock covers).
 */
#ifndef RST_METRICS_CONSUMER_H
#define RST_METRICS_CONSUMER_H

#include <pthread.h>
#include <linux/types.h>

#include "strbuf.h"

/* Subscribers with their own series: the fan-out's limit (fanout.h FAN_SUBS_MAX). */
#define METRICS_CONS_SUBS 16

enum { METRICS_ROLE_NONE = 0, METRICS_ROLE_RING, METRICS_ROLE_SUB, METRICS_ROLE_MAX };
enum { METRICS_SINK_JSON = 0, METRICS_SINK_PCAP, METRICS_SINK_SYSLOG, METRICS_SINK_MAX };

struct metrics_cons_stats {
	int ok;		/* set by the consumer: render the families */
	int role;	/* METRICS_ROLE_*, as consumer.h's CONS_* */
	__u64 consumed; /* events taken, from the ring or from the consumer joined */
	__u64 missed;	/* as a subscriber: events the consumer joined dropped for us */
	__u32 n_subs;
	struct {
		__u32 pid;
		__u64 sent, dropped;
	} subs[METRICS_CONS_SUBS];
	__u64 subs_dropped; /* every subscriber's queue drops, those that left included */
	__u8 sink_on[METRICS_SINK_MAX];
	__u64 sink_written[METRICS_SINK_MAX], sink_dropped[METRICS_SINK_MAX];
};

/* The hand-over between the consumer's thread and the exporter's. */
struct metrics_consumer {
	pthread_mutex_t lock;
	struct metrics_cons_stats st;
};

void metrics_consumer_init(struct metrics_consumer *mc);
void metrics_consumer_destroy(struct metrics_consumer *mc);
/* The consumer's side: replace the published numbers with st. */
void metrics_consumer_publish(struct metrics_consumer *mc, const struct metrics_cons_stats *st);
/* The exporter's side: a copy of the published numbers; mc NULL gives st->ok 0. */
void metrics_consumer_read(struct metrics_consumer *mc, struct metrics_cons_stats *st);
/* The rsttrace_consumer_*, rsttrace_fanout_* and rsttrace_sink_* families, where st->ok. */
void metrics_consumer_render(const struct metrics_cons_stats *st, struct strbuf *b);

#endif
