// SPDX-License-Identifier: GPL-2.0
/*
 * Standard output with a deadline (stdoutw.h). A stdio cookie stream on
 * fd 1: stdio keeps buffering (64 KiB, set by its users), and every
 * buffer it hands over is written here, by write(2), whole, or dropped
 * whole once the stop deadline has passed. The write callback always
 * reports the full length as done: stdio discards its buffer on a short
 * write, so the accounting of what was dropped has to be ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "stdoutw.h"

/*
 * Announced records not yet written whole, oldest first. 64 KiB of stdio
 * buffer holds at most ~1,300 of the shortest lines (about 50 bytes);
 * should more be pending, the oldest are forgotten and only the byte
 * count of a drop stays exact.
 */
#define SW_RING 4096

struct sw_rec {
	__u64 start, end; /* stream offsets */
};

static struct {
	FILE *orig; /* the stdout we replaced; NULL: not installed */
	FILE *f;
	int fd;
	int flags; /* fd's file status flags before we touched them */
	__u64 pos; /* stream bytes written or dropped so far */
	struct sw_rec ring[SW_RING];
	unsigned int head, tail; /* free-running; tail..head pending */
	__u64 records_dropped, bytes_dropped;
	int dropping, cut;
	int err;     /* errno of a failed write: nothing more is written */
	int restore; /* the flags are to be given back at exit */
} sw = { .fd = -1 };

/* Set by stdoutw_stop(), possibly in a signal handler: the deadline first, then the flag. */
static volatile __u64 sw_deadline_ns;
static volatile sig_atomic_t sw_stopping;

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

void stdoutw_stop(void)
{
	int saved = errno; /* a handler must not change it under the code it interrupted */

	if (!sw_stopping) {
		sw_deadline_ns = mono_ns() + STDOUTW_GRACE_MS * 1000000ULL;
		sw_stopping = 1;
		/*
		 * Non-blocking from here, set in the handler itself: a write
		 * that was about to start blocks no more (one already blocked
		 * returns, interrupted by the signal). fcntl() is
		 * async-signal-safe; the flags are given back at finish.
		 */
		if (sw.fd >= 0)
			fcntl(sw.fd, F_SETFL, sw.flags | O_NONBLOCK);
	}
	errno = saved;
}

static void pop_written(void)
{
	while (sw.tail != sw.head && sw.ring[sw.tail % SW_RING].end <= sw.pos)
		sw.tail++;
}

/* From now on nothing more is written: every pending record is dropped. */
static void start_drop(void)
{
	sw.dropping = 1;
	sw.records_dropped += sw.head - sw.tail;
	if (sw.tail != sw.head && sw.ring[sw.tail % SW_RING].start < sw.pos)
		sw.cut = 1;
	sw.tail = sw.head;
}

/*
 * After the stop, write up to a record's end and at most PIPE_BUF bytes:
 * into a pipe such a write is atomic, so a full pipe takes a record
 * whole or not at all and the reader never gets half a line.
 */
static size_t drain_chunk(size_t left)
{
	__u64 limit = sw.pos + (left < PIPE_BUF ? left : PIPE_BUF);
	__u64 best = 0;
	unsigned int i;

	for (i = sw.tail; i != sw.head; i++) {
		__u64 end = sw.ring[i % SW_RING].end;

		if (end > limit)
			break;
		best = end;
	}
	return best > sw.pos ? (size_t)(best - sw.pos) : (size_t)(limit - sw.pos);
}

/* Wait for room: bounded by the deadline after the stop, by 100 ms before it. */
static void wait_writable(void)
{
	struct pollfd p = { .fd = sw.fd, .events = POLLOUT };
	int ms = 100;

	if (sw_stopping) {
		__u64 now = mono_ns();

		ms = now >= sw_deadline_ns ? 0 : (int)((sw_deadline_ns - now) / 1000000) + 1;
	}
	poll(&p, 1, ms);
}

static ssize_t sw_write(void *cookie, const char *buf, size_t len)
{
	size_t off = 0;

	(void)cookie;
	if (sw.err) {
		sw.bytes_dropped += len;
		sw.pos += len;
		errno = sw.err;
		return -1;
	}
	while (off < len) {
		size_t chunk = len - off;
		ssize_t n;

		if (sw_stopping) {
			if (!sw.dropping && mono_ns() >= sw_deadline_ns)
				start_drop();
			if (sw.dropping) {
				sw.bytes_dropped += len - off;
				sw.pos += len - off;
				break;
			}
			chunk = drain_chunk(len - off);
		}
		n = write(sw.fd, buf + off, chunk);
		if (n == 0) {
			wait_writable(); /* no room, and no error: as EAGAIN */
			continue;
		}
		if (n < 0) {
			/* A signal is no write error: the loop looks at the stop again. */
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				wait_writable();
				continue;
			}
			/*
			 * EPIPE: the reader went away. stdio reports it and
			 * discards its buffer; what it held is counted here.
			 */
			sw.err = errno;
			start_drop();
			sw.bytes_dropped += len - off;
			sw.pos += len - off;
			errno = sw.err;
			return -1;
		}
		off += (size_t)n;
		sw.pos += (__u64)n;
		pop_written();
	}
	return (ssize_t)len;
}

/*
 * At exit, not at finish: stderr is often the same pipe or terminal (one
 * open file, `2>&1`), and a summary written to a reader that stopped
 * reading must fail (EAGAIN), not block the exit the stop asked for.
 */
static void restore_flags(void)
{
	if (sw.restore && sw_stopping)
		fcntl(STDOUT_FILENO, F_SETFL, sw.flags);
}

int stdoutw_install(void)
{
	cookie_io_functions_t io = { .write = sw_write };
	int flags;
	FILE *f;

	if (sw.orig)
		return 0;
	flags = fcntl(STDOUT_FILENO, F_GETFL);
	if (flags < 0)
		return -errno;
	f = fopencookie(NULL, "w", io);
	if (!f)
		return -errno;
	/* Buffered like stdout: by line on a terminal, fully elsewhere (callers resize). */
	if (isatty(STDOUT_FILENO))
		setvbuf(f, NULL, _IOLBF, BUFSIZ);
	/* Field by field, fd last: a signal handler may look at it (stdoutw_stop). */
	sw.pos = 0;
	sw.head = sw.tail = 0;
	sw.records_dropped = sw.bytes_dropped = 0;
	sw.dropping = sw.cut = sw.err = 0;
	sw.flags = flags;
	if (!sw.restore && !atexit(restore_flags))
		sw.restore = 1;
	sw.f = f;
	sw.orig = stdout;
	stdout = f;
	sw.fd = STDOUT_FILENO;
	/* A stop that came before there was a descriptor to make non-blocking. */
	if (sw_stopping)
		fcntl(sw.fd, F_SETFL, sw.flags | O_NONBLOCK);
	return 0;
}

int stdoutw_active(void)
{
	return sw.orig != NULL;
}

void stdoutw_record(size_t len)
{
	struct sw_rec *r;
	__u64 start;

	if (!sw.orig)
		return;
	if (sw.dropping) {
		sw.records_dropped++;
		return;
	}
	/* Where the record starts: what reached us plus what stdio still holds. */
	start = sw.pos + __fpending(sw.f);
	if (sw.head - sw.tail == SW_RING)
		sw.tail++; /* see SW_RING */
	r = &sw.ring[sw.head++ % SW_RING];
	r->start = start;
	r->end = start + len;
}

void stdoutw_stats(struct stdoutw_stats *s)
{
	s->records_dropped = sw.records_dropped;
	s->bytes_dropped = sw.bytes_dropped;
	s->cut = sw.cut;
	s->dropping = sw.dropping;
	s->err = sw.err;
}

int stdoutw_finish(void)
{
	int err = 0, fd = sw.fd;

	if (!sw.orig)
		return 0;
	errno = 0;
	if (fflush(sw.f))
		err = errno ? -errno : -EIO;
	/* A signal from now on leaves the flags alone; they come back at exit. */
	sw.fd = -1;
	if (sw_stopping && !sw.restore)
		fcntl(fd, F_SETFL, sw.flags);
	stdout = sw.orig;
	sw.orig = NULL;
	fclose(sw.f); /* no close callback: fd 1 stays open */
	sw.f = NULL;
	return err;
}
