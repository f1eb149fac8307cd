// SPDX-License-Identifier: GPL-2.0
/*
 * pcap savefiles of RST events, with tcpdump's rotation. The rules, taken
 * from the behaviour of tcpdump 4.99 (tcpdump.c dump_packet_and_trunc and
 * MakeFilename) and tcpdump(1):
 *
 * - Checks happen before a packet is written, and only then: a quiet
 *   interface rotates on the first packet after the interval.
 * - -G first: when at least SEC seconds (wall clock, whole seconds) have
 *   passed since the current interval began, the file is closed; with -W
 *   and without -C the N-th such rotation ends the capture (the packet is
 *   not written); otherwise the next file is FILE through strftime(3) at
 *   the new interval's start, and -C numbering starts again at 0.
 * - -C then: when the file is already larger than the limit, the next file
 *   is FILE (strftime'd if -G) followed by the file number; with -W the
 *   number wraps to 0 after N-1 (a ring), padded to the digits of N-1.
 * - The first file is FILE, or FILE0 (padded) when -C and -W are given.
 */
#include <errno.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>

#include "log.h"
#include "pcapout.h"
#include "stdoutw.h"

int pcapw_parse_size(const char *arg, __u64 *bytes)
{
	char num[32];
	__u64 mult = 1000000, v = 0;
	size_t n = arg ? strlen(arg) : 0;
	size_t i;

	if (!n || n >= sizeof(num))
		goto bad;
	memcpy(num, arg, n + 1);
	/* tcpdump >= 4.99.6 takes a k, m or g suffix, in powers of 1024. */
	switch (num[n - 1]) {
	case 'k':
	case 'K':
		mult = 1024;
		break;
	case 'm':
	case 'M':
		mult = 1024 * 1024;
		break;
	case 'g':
	case 'G':
		mult = 1024 * 1024 * 1024;
		break;
	}
	if (mult != 1000000)
		num[--n] = '\0';
	if (!n)
		goto bad;
	for (i = 0; i < n; i++) {
		if (num[i] < '0' || num[i] > '9')
			goto bad;
		if (v > (UINT64_MAX - 9) / 10)
			goto range;
		v = v * 10 + (__u64)(num[i] - '0');
	}
	if (v == 0)
		goto bad;
	if (v > (__u64)INT64_MAX / mult)
		goto range;
	*bytes = v * mult;
	return 0;
range:
	pr_warn("invalid -C '%s': file size too large", arg);
	return -ERANGE;
bad:
	pr_warn("invalid -C '%s': expected a positive number of millions of bytes, "
		"or with a k, m or g suffix",
		arg ? arg : "");
	return -EINVAL;
}

/* tcpdump's getWflagChars: digits of the largest file number, N - 1. */
static int wflag_chars(__u32 n)
{
	int c = 0;

	if (!n)
		return 0;
	for (n -= 1; n > 0; n /= 10)
		c++;
	return c;
}

int pcapw_filename(char *buf, size_t len, const char *name, int strftime_it, time_t t, __u32 count,
		   int wchars)
{
	char base[PATH_MAX + 1];
	struct tm tm;
	int n;

	if (!name || !*name)
		return -EINVAL;
	if (strftime_it) {
		if (!localtime_r(&t, &tm))
			return -EINVAL;
		/* 0 means the name did not fit: name is never empty here. */
		if (strftime(base, sizeof(base) - 1, name, &tm) == 0)
			return -ENAMETOOLONG;
	} else {
		if (strlen(name) > PATH_MAX)
			return -ENAMETOOLONG;
		strcpy(base, name);
	}
	if (count == 0 && wchars == 0)
		n = snprintf(buf, len, "%s", base);
	else
		n = snprintf(buf, len, "%s%0*u", base, wchars, count);
	if (n < 0 || (size_t)n >= len || n > PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

static time_t clock_now(const struct pcapw *w)
{
	return w->o.now ? w->o.now() : time(NULL);
}

static char stdout_buf[PCAPW_STDIO_BUF];

static int open_file(struct pcapw *w, __u32 count, int wchars)
{
	FILE *f;
	int err;

	err = pcapw_filename(w->cur, sizeof(w->cur), w->o.name, w->o.rotate_secs != 0, w->g_time,
			     count, wchars);
	if (err) {
		pr_warn("-w '%s': %s", w->o.name,
			err == -ENAMETOOLONG ? "file name too long (> PATH_MAX)"
					     : "not a valid file name");
		return err;
	}
	/*
	 * The stream is opened here, as pcap_dump_open() would ("-" is
	 * standard output, other names fopen(name, "w") with its error
	 * message), so that it gets a larger buffer before libpcap writes the
	 * file header: with stdio's default (st_blksize, 4 KiB) a write(2)
	 * every 58 RST records cost more than the records
	 * (bench/OPTIMIZATIONS.md). watch flushes after every poll, so nothing
	 * waits in it longer than before.
	 */
	if (strcmp(w->cur, "-")) {
		f = fopen(w->cur, "w");
		if (!f) {
			err = -errno;
			pr_warn("%s: %s", w->cur, strerror(errno));
			return err;
		}
	} else {
		f = stdout;
	}
	/* stdout outlives this writer (exit flushes it): its buffer is never freed. */
	setvbuf(f, f == stdout ? stdout_buf : w->buf, _IOFBF, PCAPW_STDIO_BUF);
	/*
	 * Only the thread that consumes the events writes the file, so stdio's
	 * own lock is not needed: without it, the ferror() and two fwrite()s
	 * of pcap_dump() no longer take and release it, two atomic operations
	 * each, per packet.
	 */
	__fsetlocking(f, FSETLOCKING_BYCALLER);
	/*
	 * It fails only writing the header (DLT_EN10MB always has a link
	 * type), and has then closed f unless it is stdout.
	 */
	w->d = pcap_dump_fopen(w->dead, f);
	if (!w->d) {
		err = errno ? -errno : -EIO;
		pr_warn("%s", pcap_geterr(w->dead));
		return err;
	}
	w->f = f;
	w->files++;
	return 0;
}

static int check_stream(struct pcapw *w, int err_in)
{
	FILE *f = w->d ? pcap_dump_file(w->d) : NULL;
	int err = err_in;

	if (f && ferror(f)) {
		err = errno ? -errno : -EIO;
		clearerr(f);
	}
	if (err && err != -EPIPE)
		pr_warn("writing %s: %s", strcmp(w->cur, "-") ? w->cur : "standard output",
			strerror(-err));
	return err;
}

int pcapw_open(struct pcapw *w, const struct pcapw_opts *o)
{
	int err;

	memset(w, 0, sizeof(*w));
	w->o = *o;
	if (!o->name || !*o->name) {
		pr_warn("-w: an empty string is not a valid file name");
		return -EINVAL;
	}
	w->wchars = wflag_chars(o->file_count);
	/* glibc's setvbuf() ignores the size it is given without a buffer. */
	w->buf = malloc(PCAPW_STDIO_BUF);
	w->dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, (int)o->snaplen,
						       PCAP_TSTAMP_PRECISION_MICRO);
	if (!w->dead || !w->buf) {
		pr_warn("pcap_open_dead: out of memory");
		pcapw_close(w);
		return -ENOMEM;
	}
	if (o->rotate_secs)
		w->g_time = clock_now(w);
	err = open_file(w, 0, o->size_limit ? w->wchars : 0);
	if (err)
		pcapw_close(w);
	return err;
}

static int close_file(struct pcapw *w)
{
	int err = 0;

	if (!w->d)
		return 0;
	if (pcap_dump_flush(w->d))
		err = errno ? -errno : -EIO;
	err = check_stream(w, err);
	/*
	 * pcap_dump_close() is fclose(): standard output stays open, its
	 * stream may be stdoutw's, which stdoutw_finish() closes.
	 */
	if (w->f != stdout)
		pcap_dump_close(w->d);
	w->d = NULL;
	w->f = NULL;
	return err;
}

int pcapw_write(struct pcapw *w, const struct rst_event *e, const struct timespec *wall)
{
	struct pcap_pkthdr h = {};
	int err;

	if (!w->d)
		return -EBADF;
	if (w->o.rotate_secs) {
		time_t t = clock_now(w);

		if (t - w->g_time >= (time_t)w->o.rotate_secs) {
			w->g_time = t;
			w->g_count++;
			err = close_file(w);
			if (err)
				return err;
			if (!w->o.size_limit && w->o.file_count && w->g_count >= w->o.file_count) {
				pr_warn("maximum file limit reached: %u", w->o.file_count);
				return 1;
			}
			w->c_count = 0;
			err = open_file(w, 0, w->o.size_limit ? w->wchars : 0);
			if (err)
				return err;
		}
	}
	if (w->o.size_limit) {
		long long size = (long long)pcap_dump_ftell64(w->d);

		if (size < 0) {
			err = errno ? -errno : -EIO;
			pr_warn("-C: cannot tell the size of %s: %s", w->cur, strerror(-err));
			return err;
		}
		if ((__u64)size > w->o.size_limit) {
			err = close_file(w);
			if (err)
				return err;
			w->c_count++;
			if (w->o.file_count && w->c_count >= w->o.file_count)
				w->c_count = 0;
			err = open_file(w, w->c_count, w->wchars);
			if (err)
				return err;
		}
	}
	h.ts.tv_sec = wall->tv_sec;
	h.ts.tv_usec = wall->tv_nsec / 1000;
	h.caplen = e->snap_len < RST_SNAPLEN_MAX ? e->snap_len : RST_SNAPLEN_MAX;
	if (h.caplen > w->o.snaplen)
		h.caplen = w->o.snaplen;
	h.len = e->pkt_len > h.caplen ? e->pkt_len : h.caplen;
	/* A record on stdout is the 16-byte record header and the bytes. */
	if (w->f == stdout)
		stdoutw_record(16 + h.caplen);
	errno = 0;
	pcap_dump((u_char *)w->d, &h, e->snap);
	/* Unlocked (see open_file), the error flag is a test without a call. */
	err = ferror_unlocked(w->f) ? check_stream(w, 0) : 0;
	if (!err)
		w->written++;
	return err;
}

int pcapw_flush(struct pcapw *w)
{
	int err = 0;

	if (!w->d)
		return 0;
	errno = 0;
	if (pcap_dump_flush(w->d))
		err = errno ? -errno : -EIO;
	return check_stream(w, err);
}

int pcapw_close(struct pcapw *w)
{
	int err = close_file(w);

	if (w->dead) {
		pcap_close(w->dead);
		w->dead = NULL;
	}
	/* Only now: the stream that used it is closed. */
	free(w->buf);
	w->buf = NULL;
	return err;
}
