// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "consumer.h"
#include "metrics_consumer.h"
#include "log.h"
#include "rings.h"
#include "rundir.h"
#include "tracing.h"

#define JOIN_WAIT_MS 2000

void consumer_init(struct consumer *c, const char *pin_path, const char *run_dir, __u32 queue_len,
		   consumer_fn fn, void *ctx)
{
	memset(c, 0, sizeof(*c));
	c->pin_path = pin_path;
	c->run_dir = run_dir;
	c->queue_len = queue_len;
	c->fn = fn;
	c->ctx = ctx;
	c->dir_fd = c->lock_fd = c->reasons_fd = -1;
	fanout_pub_init(&c->pub);
	c->sub.fd = -1;
}

const char *consumer_sock_path(const struct consumer *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", c->run_dir, c->sock_name);
	return buf;
}

static __u32 map_id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) ? info.id : 0;
}

/* A record of the ring: joined with its reason, published, then ours. */
static int on_record(void *ctx, void *data, size_t size)
{
	struct consumer *c = ctx;
	struct rst_event rec;
	const struct rst_event *e = rst_event_from_record(data, size, &rec);

	if (!e)
		return 0;
	if (e != &rec)
		rec = *e;
	/* An active reset's reason arrives after its event: joined once, for everyone. */
	if ((rec.ev_flags & RST_EV_LOCAL) && c->reasons_fd >= 0)
		tracing_join(c->reasons_fd, &rec);
	fanout_publish(&c->pub, &rec, RST_EVENT_SIZE_FOR(rec.snap_len));
	c->received++;
	return c->fn(c->ctx, &rec);
}

int consumer_ring_open(struct consumer *c, const int *ring_fds, int n)
{
	int *fds, i, err;

	if (n < 1)
		return -EINVAL;
	/* rings_new takes its fds over: the caller keeps its own. */
	fds = calloc((size_t)n, sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		fds[i] = fcntl(ring_fds[i], F_DUPFD_CLOEXEC, 3);
		if (fds[i] < 0) {
			err = -errno;
			while (i > 0)
				close(fds[--i]);
			free(fds);
			return err;
		}
	}
	err = rings_new(&c->rb, fds, n, on_record, c);
	free(fds);
	return err;
}

/*
 * Who consumes and how many subscribe, for `rsttrace status` (the lock,
 * not this, decides): "PID\nsubscribers N\n", N padded to a fixed width
 * so that a rewrite is one pwrite of the same length and a reader never
 * sees the file empty.
 */
static void lock_note(struct consumer *c, int truncate)
{
	char buf[64];
	int n;

	n = snprintf(buf, sizeof(buf), "%d\nsubscribers %5d\n", (int)getpid(), c->pub.n_peers);
	if ((truncate && ftruncate(c->lock_fd, 0)) || pwrite(c->lock_fd, buf, (size_t)n, 0) < 0)
		pr_debug("writing %s: %s", c->lock_name, strerror(errno));
	c->noted_subs = c->pub.n_peers;
}

/* The lock is ours: the ring and the socket. 0 or -errno (printed). */
static int take_ring(struct consumer *c, const struct rst_maps *m)
{
	int err;

	lock_note(c, 1);
	err = fanout_listen(&c->pub, c->dir_fd, c->sock_name, c->queue_len, c->events_map_id);
	if (err)
		return err;
	/* Every ring of the attachment, one or one per CPU, merged in time order (rings.h). */
	err = rings_open_maps(&c->rb, m, on_record, c);
	if (err) {
		pr_warn("the event ring of %s: %s", c->pin_path, strerror(-err));
		return err;
	}
	c->reasons_fd = m->reasons;
	c->role = CONS_RING;
	return 0;
}

/* Joined the consumer: it must read the ring we opened. 0 or -errno (printed). */
static int check_sub(struct consumer *c)
{
	char path[256];

	if (c->sub.events_map_id == c->events_map_id)
		return 0;
	pr_warn("%s: its consumer (pid %d) reads another attachment's ring (map %u, not %u)",
		consumer_sock_path(c, path, sizeof(path)), (int)c->sub.pid, c->sub.events_map_id,
		c->events_map_id);
	return -ESTALE;
}

int consumer_join(struct consumer *c, const struct rst_maps *m)
{
	struct timespec nap = { 0, 50 * 1000000L };
	struct stat st;
	int err, waited;

	consumer_leave(c);
	if (rundir_name(c->sock_name, sizeof(c->sock_name), c->pin_path, ".sock") ||
	    rundir_name(c->lock_name, sizeof(c->lock_name), c->pin_path, ".lock"))
		return -ENAMETOOLONG;
	c->events_map_id = map_id(m->events);
	c->dir_fd = rundir_open(c->run_dir, 1, 0);
	if (c->dir_fd < 0) {
		err = c->dir_fd;
		c->dir_fd = -1;
		return err;
	}
	c->lock_fd =
		openat(c->dir_fd, c->lock_name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (c->lock_fd < 0 || fstat(c->lock_fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || st.st_nlink != 1) {
		err = c->lock_fd < 0 ? -errno : -EPERM;
		pr_warn("%s/%s: %s", c->run_dir, c->lock_name,
			err == -EPERM ? "not a plain file of ours: refusing" : strerror(-err));
		consumer_leave(c);
		return err;
	}
	/*
	 * The lock first, then the socket: a consumer binds only once it
	 * holds the lock, so between its flock and its listen a joiner finds
	 * neither and tries again.
	 */
	for (waited = 0; waited < JOIN_WAIT_MS; waited += 50) {
		if (!flock(c->lock_fd, LOCK_EX | LOCK_NB)) {
			err = take_ring(c, m);
			if (err)
				consumer_leave(c);
			return err ? err : c->role;
		}
		if (errno != EWOULDBLOCK) {
			err = -errno;
			pr_warn("locking %s/%s: %s", c->run_dir, c->lock_name, strerror(-err));
			consumer_leave(c);
			return err;
		}
		err = fanout_connect(&c->sub, c->dir_fd, c->sock_name);
		if (!err) {
			err = check_sub(c);
			if (err) {
				consumer_leave(c);
				return err;
			}
			c->lost_base = c->lost;
			c->role = CONS_SUB;
			return c->role;
		}
		if (err != -ENOENT && err != -ECONNREFUSED) {
			consumer_leave(c);
			return err;
		}
		nanosleep(&nap, NULL);
	}
	pr_warn("%s/%s is held, but no consumer answers on %s", c->run_dir, c->lock_name,
		c->sock_name);
	consumer_leave(c);
	return -EBUSY;
}

/* Everything a subscriber's socket holds now. */
static int sub_drain(struct consumer *c)
{
	struct rst_event rec;
	__u8 buf[RST_EVENT_SIZE];
	const struct rst_event *e;
	int n, taken = 0, err;

	for (;;) {
		n = fanout_recv(&c->sub, buf, sizeof(buf));
		if (n == -EAGAIN)
			return taken;
		if (n == -EPROTO)
			continue;
		if (n <= 0) {
			/* The publisher went: a new join takes over or finds the next one. */
			return n == 0 ? -ENOTCONN : n;
		}
		c->lost = c->lost_base + c->sub.lost;
		e = rst_event_from_record(buf, (size_t)n, &rec);
		if (!e)
			continue;
		c->received++;
		taken++;
		err = c->fn(c->ctx, e);
		if (err)
			return err;
	}
}

int consumer_poll(struct consumer *c, int timeout_ms, int extra_fd, int *extra_ready)
{
	struct pollfd pfd[2 + 1 + FAN_SUBS_MAX];
	int n = 0, k, np, r;

	if (extra_ready)
		*extra_ready = 0;
	if (c->role == CONS_RING)
		pfd[n++] = (struct pollfd){ .fd = rings_epoll_fd(c->rb), .events = POLLIN };
	else if (c->role == CONS_SUB)
		pfd[n++] = (struct pollfd){ .fd = c->sub.fd, .events = POLLIN };
	k = n;
	if (extra_fd >= 0)
		pfd[n++] = (struct pollfd){ .fd = extra_fd, .events = POLLIN };
	np = n;
	n += fanout_pollfds(&c->pub, pfd + n, (int)(sizeof(pfd) / sizeof(pfd[0])) - n);
	r = poll(pfd, (nfds_t)n, timeout_ms);
	if (r < 0)
		return -errno;
	if (extra_fd >= 0 && extra_ready && pfd[k].revents)
		*extra_ready = 1;
	fanout_service(&c->pub, pfd + np, n - np);
	if (c->role == CONS_RING && c->pub.n_peers != c->noted_subs)
		lock_note(c, 0);
	if (c->role == CONS_RING) {
		/* Wakeups come past a fill threshold (ringbuf_wakeup): a timeout consumes too. */
		return rings_consume(c->rb);
	}
	if (c->role == CONS_SUB)
		return sub_drain(c);
	return 0;
}

void consumer_leave(struct consumer *c)
{
	fanout_close(&c->pub);
	/* Kept across publishing sessions: rsttrace_fanout_events_dropped_total only grows. */
	c->pub_lost_left += c->pub.lost_gone;
	c->pub.lost_gone = 0;
	fanout_sub_close(&c->sub);
	rings_free(c->rb);
	c->rb = NULL;
	c->reasons_fd = -1;
	/* The lock file stays: unlinking it would let two consumers lock two files. */
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	if (c->dir_fd >= 0)
		close(c->dir_fd);
	c->lock_fd = c->dir_fd = -1;
	c->role = CONS_NONE;
}

void consumer_stats(const struct consumer *c, struct metrics_cons_stats *st)
{
	const struct fanout_pub *p = &c->pub;
	int i;

	st->ok = 1;
	st->role = METRICS_ROLE_NONE;
	if (c->role == CONS_RING)
		st->role = METRICS_ROLE_RING;
	else if (c->role == CONS_SUB)
		st->role = METRICS_ROLE_SUB;
	st->consumed = c->received;
	st->missed = c->lost;
	st->subs_dropped = c->pub_lost_left + p->lost_gone;
	st->n_subs = 0;
	for (i = 0; i < p->n_peers; i++) {
		st->subs_dropped += p->peers[i].lost;
		if (st->n_subs >= METRICS_CONS_SUBS)
			continue;
		st->subs[st->n_subs].pid = (__u32)p->peers[i].pid;
		st->subs[st->n_subs].sent = p->peers[i].sent;
		st->subs[st->n_subs].dropped = p->peers[i].lost;
		st->n_subs++;
	}
}
