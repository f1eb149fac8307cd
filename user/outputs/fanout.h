/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fan-out of one attachment's events: a BPF ring buffer has one
 * consumer position, so one process (the consumer: serve, or a watch
 * --attached when no serve runs) reads the pinned ring and re-publishes
 * every event, as read, on a unix SOCK_SEQPACKET socket that the others
 * join as subscribers. One message per event, never split or merged:
 *
 *   struct fan_hdr (16 bytes) + the event's record (80 + snapshot bytes)
 *
 * The first message of a connection is FAN_HELLO (struct fan_hello after
 * the header): which ring the publisher reads, so a subscriber can tell
 * it joined the attachment it opened. A subscriber that does not read
 * fast enough never holds up the consumer or another subscriber: what its
 * socket cannot take waits in a queue of its own (queue_len events), and
 * what that queue cannot take is dropped for it alone, counted in `lost`,
 * which every later message to it carries (events it lost so far).
 * Functions print their own one-line errors and return 0 or -errno.
 */
#ifndef RST_FANOUT_H
#define RST_FANOUT_H

#include <poll.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

#include "rsttrace.h"

#define FAN_MAGIC	  0x46545352u /* "RSTF" read as little endian */
#define FAN_VERSION	  1
#define FAN_SUBS_MAX	  16
#define FAN_QUEUE_DEFAULT 1024
#define FAN_QUEUE_MAX	  1048576
#define FAN_MSG_MAX	  (sizeof(struct fan_hdr) + RST_EVENT_SIZE)

enum { FAN_HELLO = 1, FAN_EVENT = 2 };

struct fan_hdr {
	__u32 magic;
	__u16 type;
	__u16 version;
	__u64 lost; /* events this subscriber lost so far (its queue was full) */
};

struct fan_hello {
	__u32 events_map_id; /* the ring the publisher consumes */
	__u32 pid;
};

/* One subscriber, at the publisher. */
struct fan_peer {
	int fd;
	pid_t pid;
	uid_t uid;
	__u64 sent, lost;
	__u8 *q;      /* cap slots of RST_EVENT_SIZE bytes */
	__u16 *q_len; /* bytes of each slot */
	__u32 head, n, cap;
};

struct fanout_pub {
	int listen_fd; /* -1: not publishing */
	int dir_fd;    /* the run directory (borrowed) */
	char name[128];
	dev_t dev; /* the socket file bound, so that only ours is unlinked */
	ino_t ino;
	__u32 queue_len;
	__u32 events_map_id;
	struct fan_peer peers[FAN_SUBS_MAX];
	int n_peers;
	__u64 refused;	 /* connections refused: FAN_SUBS_MAX already */
	__u64 lost_gone; /* lost by subscribers that have left */
};

struct fanout_sub {
	int fd; /* -1: not joined */
	__u32 events_map_id;
	pid_t pid;  /* the publisher's */
	__u64 lost; /* as the last message said */
	__u64 received;
};

void fanout_pub_init(struct fanout_pub *p);
/*
 * Listen on dir_fd/name, mode 0600: a socket file left by a consumer that
 * died is replaced (the caller holds the consumer lock, so it is no live
 * one's); anything else under that name is refused.
 */
int fanout_listen(struct fanout_pub *p, int dir_fd, const char *name, __u32 queue_len,
		  __u32 events_map_id);
/* One event (rec, len bytes: the record as the ring held it) to every subscriber. */
void fanout_publish(struct fanout_pub *p, const void *rec, size_t len);
/* The fds to poll: the listening socket, then each subscriber's; how many were written. */
int fanout_pollfds(const struct fanout_pub *p, struct pollfd *pfd, int max);
/* Accept, flush queues and drop the subscribers that left, after a poll of those fds. */
void fanout_service(struct fanout_pub *p, const struct pollfd *pfd, int n);
/* Close every subscriber and the socket, unlinking its file if it is still ours. */
void fanout_close(struct fanout_pub *p);

/*
 * Join the publisher at dir_fd/name: the file must be a socket of root (or
 * ours) closed to others, the publisher's credentials root's (or ours),
 * and its hello well formed. -ENOENT or -ECONNREFUSED (quiet) when no one
 * publishes there.
 */
int fanout_connect(struct fanout_sub *s, int dir_fd, const char *name);
/*
 * The next event into rec (RST_EVENT_SIZE bytes), without waiting: its
 * length, 0 when the publisher went away, -EAGAIN when nothing is there,
 * -EPROTO for a malformed message (skipped).
 */
int fanout_recv(struct fanout_sub *s, void *rec, size_t len);
void fanout_sub_close(struct fanout_sub *s);

#endif
