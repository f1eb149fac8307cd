/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The consumer of a persistent attachment's events. The pinned ring has
 * one consumer position, so exactly one process reads it: whoever holds
 * the consumer lock (RUN_DIR/NAME.lock, flock) reads the ring and
 * re-publishes each event on RUN_DIR/NAME.sock (fanout.h); everyone else
 * joins that socket. serve and watch --attached both go through here, and
 * whichever comes first consumes: a watch --attached started alone reads
 * the ring itself, a serve started beside it joins it, and when the
 * consumer goes its subscribers take over (one of them gets the lock, the
 * others join it). Events still in the ring wait there meanwhile.
 *
 * Each event reaches the callback whole and joined with its kernel
 * reason (tracing.h), the same for the consumer and every subscriber.
 */
#ifndef RST_CONSUMER_H
#define RST_CONSUMER_H

#include <linux/types.h>

#include "fanout.h"
#include "maps.h"

struct ring_buffer;

enum { CONS_NONE = 0, CONS_RING, CONS_SUB };

typedef int (*consumer_fn)(void *ctx, const struct rst_event *e);

struct rst_rings;

struct consumer {
	const char *pin_path;
	const char *run_dir;
	__u32 queue_len; /* each subscriber's queue at the publisher */
	consumer_fn fn;
	void *ctx;
	int role; /* CONS_* */
	int dir_fd, lock_fd;
	char sock_name[128], lock_name[128];
	struct rst_rings *rb; /* the attachment's event rings, merged (rings.h) */
	int reasons_fd;	      /* borrowed: the attachment's reasons map */
	__u32 events_map_id;  /* the ring of the maps given to consumer_join */
	struct fanout_pub pub;
	struct fanout_sub sub;
	__u64 received; /* events handed to fn, whichever the role */
	__u64 lost;	/* as a subscriber: events the publisher dropped for us (all joins) */
	__u64 lost_base;
	__u64 pub_lost_left; /* subscribers' queue drops of the publishing sessions ended */
	int noted_subs;	     /* subscribers the lock file says (consumer_info_read) */
};

void consumer_init(struct consumer *c, const char *pin_path, const char *run_dir, __u32 queue_len,
		   consumer_fn fn, void *ctx);

/*
 * Consume the ring of m (CONS_RING) or join its consumer (CONS_SUB):
 * the role, or -errno after printing why (-EBUSY: the lock is held but
 * no consumer answered within 2 s).
 */
int consumer_join(struct consumer *c, const struct rst_maps *m);

/*
 * Read the event rings ring_fds[n] (the caller keeps its fds), merged in
 * time order (rings.h); consumer_join opens the attachment's own. 0 or -errno.
 */
int consumer_ring_open(struct consumer *c, const int *ring_fds, int n);

/*
 * Wait up to timeout_ms for events (and for extra_fd, when >= 0, which
 * sets *extra_ready) and take them: events handed to fn, -EINTR on a
 * signal, -ENOTCONN when the publisher we joined went away (call
 * consumer_join again), or fn's -errno.
 */
int consumer_poll(struct consumer *c, int timeout_ms, int extra_fd, int *extra_ready);

/* Back to CONS_NONE: the socket, the lock, the ring; safe twice. */
void consumer_leave(struct consumer *c);

struct metrics_cons_stats;

/*
 * The consumer's numbers for /metrics (metrics_consumer.h): role, events,
 * each subscriber's and all subscribers' queue drops; the sinks are the
 * caller's to fill.
 */
void consumer_stats(const struct consumer *c, struct metrics_cons_stats *st);

/* The socket's path, for messages. */
const char *consumer_sock_path(const struct consumer *c, char *buf, size_t len);

#endif
