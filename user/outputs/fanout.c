// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "fanout.h"
#include "log.h"
#include "rundir.h"

void fanout_pub_init(struct fanout_pub *p)
{
	memset(p, 0, sizeof(*p));
	p->listen_fd = -1;
	p->dir_fd = -1;
}

static int sun_at(struct sockaddr_un *sa, int dir_fd, const char *name)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	return rundir_fd_path(sa->sun_path, sizeof(sa->sun_path), dir_fd, name);
}

int fanout_listen(struct fanout_pub *p, int dir_fd, const char *name, __u32 queue_len,
		  __u32 events_map_id)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;
	int fd, err;

	fanout_pub_init(p);
	if (sun_at(&sa, dir_fd, name))
		return -ENAMETOOLONG;
	if (!fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW)) {
		/* We hold the consumer lock: a socket there is a dead consumer's. */
		if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid()) {
			pr_warn("%s: not a socket of ours: refusing to replace it", name);
			return -EEXIST;
		}
		if (unlinkat(dir_fd, name, 0) && errno != ENOENT) {
			err = -errno;
			pr_warn("removing the stale socket %s: %s", name, strerror(-err));
			return err;
		}
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Made 0600 by bind itself: there is no moment when others could connect. */
	old = umask(0177);
	err = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old);
	if (!err && listen(fd, FAN_SUBS_MAX))
		err = -errno;
	if (!err && fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW))
		err = -errno;
	if (err) {
		pr_warn("event socket %s: %s", name, strerror(-err));
		close(fd);
		return err;
	}
	p->listen_fd = fd;
	p->dir_fd = dir_fd;
	p->dev = st.st_dev;
	p->ino = st.st_ino;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->queue_len = queue_len ? queue_len : FAN_QUEUE_DEFAULT;
	p->events_map_id = events_map_id;
	return 0;
}

static void peer_drop(struct fanout_pub *p, int i, const char *why)
{
	struct fan_peer *f = &p->peers[i];

	/* Losses are said at the default level: they are events someone did not see. */
	log_print(f->lost ? LOG_WARN : LOG_INFO, 1,
		  "event subscriber pid %d left (%s): %llu events sent, %llu lost (its queue "
		  "was full)",
		  (int)f->pid, why, (unsigned long long)f->sent, (unsigned long long)f->lost);
	p->lost_gone += f->lost;
	close(f->fd);
	free(f->q);
	free(f->q_len);
	p->peers[i] = p->peers[--p->n_peers];
}

/* 1 sent, 0 the socket is full, -errno the subscriber is gone. */
static int peer_send(struct fan_peer *f, const void *rec, size_t len)
{
	__u8 msg[FAN_MSG_MAX];
	struct fan_hdr h = { FAN_MAGIC, FAN_EVENT, FAN_VERSION, f->lost };

	memcpy(msg, &h, sizeof(h));
	memcpy(msg + sizeof(h), rec, len);
	if (send(f->fd, msg, sizeof(h) + len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
		f->sent++;
		return 1;
	}
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS ? 0 : -errno;
}

/* What waits in the queue, oldest first, until the socket is full: 0, or -errno (gone). */
static int peer_flush(struct fan_peer *f)
{
	int r;

	while (f->n) {
		r = peer_send(f, f->q + (size_t)f->head * RST_EVENT_SIZE, f->q_len[f->head]);
		if (r <= 0)
			return r;
		f->head = (f->head + 1) % f->cap;
		f->n--;
	}
	return 0;
}

void fanout_publish(struct fanout_pub *p, const void *rec, size_t len)
{
	int i, r;

	if (len > RST_EVENT_SIZE)
		len = RST_EVENT_SIZE;
	for (i = 0; i < p->n_peers; i++) {
		struct fan_peer *f = &p->peers[i];
		__u32 tail;

		/* Straight to the socket while nothing waits: the order is kept. */
		r = f->n ? 0 : peer_send(f, rec, len);
		if (r < 0) {
			peer_drop(p, i--, strerror(-r));
			continue;
		}
		if (r)
			continue;
		if (f->n == f->cap) {
			f->lost++;
			continue;
		}
		tail = (f->head + f->n) % f->cap;
		memcpy(f->q + (size_t)tail * RST_EVENT_SIZE, rec, len);
		f->q_len[tail] = (__u16)len;
		f->n++;
	}
}

static void peer_accept(struct fanout_pub *p)
{
	struct {
		struct fan_hdr h;
		struct fan_hello hello;
	} msg = { { FAN_MAGIC, FAN_HELLO, FAN_VERSION, 0 }, { p->events_map_id, (__u32)getpid() } };
	struct ucred cred = {};
	socklen_t cl = sizeof(cred);
	struct fan_peer *f;
	int fd, sndbuf;

	fd = accept4(p->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (p->n_peers == FAN_SUBS_MAX) {
		p->refused++;
		pr_warn("event socket %s: %d subscribers already, one more refused", p->name,
			FAN_SUBS_MAX);
		close(fd);
		return;
	}
	getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl);
	/*
	 * The socket is part of the subscriber's queue: sized to about as
	 * many events as its queue here (the kernel doubles the value and
	 * caps it at net.core.wmem_max), so that --queue bounds both.
	 */
	sndbuf = (int)(p->queue_len < 4096 ? p->queue_len : 4096) * 512;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	f = &p->peers[p->n_peers];
	memset(f, 0, sizeof(*f));
	f->fd = fd;
	f->pid = cred.pid;
	f->uid = cred.uid;
	f->cap = p->queue_len;
	f->q = malloc((size_t)f->cap * RST_EVENT_SIZE);
	f->q_len = calloc(f->cap, sizeof(*f->q_len));
	if (!f->q || !f->q_len || send(fd, &msg, sizeof(msg), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		free(f->q);
		free(f->q_len);
		close(fd);
		return;
	}
	p->n_peers++;
	pr_info("event subscriber pid %d joined", (int)f->pid);
}

int fanout_pollfds(const struct fanout_pub *p, struct pollfd *pfd, int max)
{
	int i, n = 0;

	if (p->listen_fd < 0 || max < 1)
		return 0;
	pfd[n++] = (struct pollfd){ .fd = p->listen_fd, .events = POLLIN };
	for (i = 0; i < p->n_peers && n < max; i++)
		pfd[n++] = (struct pollfd){ .fd = p->peers[i].fd,
					    .events = (short)(POLLIN |
							      (p->peers[i].n ? POLLOUT : 0)) };
	return n;
}

void fanout_service(struct fanout_pub *p, const struct pollfd *pfd, int n)
{
	char junk[64];
	int i, k, err;

	if (n < 1 || p->listen_fd < 0)
		return;
	/* Subscribers first, by fd: accepting reorders nothing, dropping does. */
	for (k = 1; k < n; k++) {
		for (i = 0; i < p->n_peers && p->peers[i].fd != pfd[k].fd; i++)
			;
		if (i == p->n_peers || !pfd[k].revents)
			continue;
		if (pfd[k].revents & (POLLHUP | POLLERR)) {
			peer_drop(p, i, "closed");
			continue;
		}
		/* A subscriber sends nothing; whatever it sends is read and ignored. */
		if ((pfd[k].revents & POLLIN) &&
		    recv(p->peers[i].fd, junk, sizeof(junk), MSG_DONTWAIT) == 0) {
			peer_drop(p, i, "closed");
			continue;
		}
		err = peer_flush(&p->peers[i]);
		if (err < 0)
			peer_drop(p, i, strerror(-err));
	}
	if (pfd[0].revents & POLLIN)
		peer_accept(p);
}

void fanout_close(struct fanout_pub *p)
{
	struct stat st;

	while (p->n_peers)
		peer_drop(p, p->n_peers - 1, "the publisher stopped");
	if (p->listen_fd >= 0) {
		/* Only the file we bound: a newer consumer's is left alone. */
		if (!fstatat(p->dir_fd, p->name, &st, AT_SYMLINK_NOFOLLOW) && st.st_dev == p->dev &&
		    st.st_ino == p->ino)
			unlinkat(p->dir_fd, p->name, 0);
		close(p->listen_fd);
	}
	p->listen_fd = -1;
}

int fanout_connect(struct fanout_sub *s, int dir_fd, const char *name)
{
	struct {
		struct fan_hdr h;
		struct fan_hello hello;
	} msg;
	struct ucred cred = {};
	socklen_t cl = sizeof(cred);
	struct sockaddr_un sa;
	struct pollfd pfd;
	struct stat st;
	uid_t me = geteuid();
	ssize_t n;
	int fd, err;

	s->fd = -1;
	if (sun_at(&sa, dir_fd, name))
		return -ENAMETOOLONG;
	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW))
		return -errno;
	/* Whoever could write a socket here could feed us events: root's, or ours. */
	if (!S_ISSOCK(st.st_mode) || (st.st_uid != 0 && st.st_uid != me) ||
	    (st.st_mode & (S_IRWXO))) {
		pr_warn("%s: %s: refusing to read events from it", name,
			!S_ISSOCK(st.st_mode)		    ? "not a socket"
			: st.st_uid != 0 && st.st_uid != me ? "not root's"
							    : "open to other users");
		return -EPERM;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) ||
	    (cred.uid != 0 && cred.uid != me)) {
		pr_warn("%s: the publisher runs as uid %u: refusing", name, (unsigned)cred.uid);
		close(fd);
		return -EPERM;
	}
	/* The hello comes at once; a publisher that says nothing within 2 s is not one. */
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	n = poll(&pfd, 1, 2000) == 1 ? recv(fd, &msg, sizeof(msg), 0) : -1;
	if (n != (ssize_t)sizeof(msg) || msg.h.magic != FAN_MAGIC || msg.h.type != FAN_HELLO ||
	    msg.h.version != FAN_VERSION) {
		pr_warn("%s: no rsttrace event publisher there (bad or no hello)", name);
		close(fd);
		return -EPROTO;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	s->fd = fd;
	s->events_map_id = msg.hello.events_map_id;
	s->pid = (pid_t)msg.hello.pid;
	s->lost = 0;
	s->received = 0;
	return 0;
}

int fanout_recv(struct fanout_sub *s, void *rec, size_t len)
{
	__u8 msg[FAN_MSG_MAX];
	struct fan_hdr h;
	ssize_t n;

	n = recv(s->fd, msg, sizeof(msg), MSG_DONTWAIT);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (n == 0)
		return 0;
	if ((size_t)n < sizeof(h) + RST_EVENT_HDR)
		return -EPROTO;
	memcpy(&h, msg, sizeof(h));
	if (h.magic != FAN_MAGIC || h.type != FAN_EVENT || h.version != FAN_VERSION)
		return -EPROTO;
	s->lost = h.lost;
	s->received++;
	n -= (ssize_t)sizeof(h);
	if ((size_t)n > len)
		n = (ssize_t)len;
	memcpy(rec, msg + sizeof(h), (size_t)n);
	return (int)n;
}

void fanout_sub_close(struct fanout_sub *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}
