/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Standard output with a deadline. Until a stop is requested, writes to
 * stdout block as they always do (a slow reader slows rsttrace down, no
 * event is lost to it). From stdoutw_stop() on, which a signal handler
 * calls, writes give up STDOUTW_GRACE_MS later: a reader that stopped
 * reading can no longer hold watch past its signal. What could not be
 * written by then is dropped and counted, in whole records (lines, pcap
 * records) where the caller announced them with stdoutw_record().
 *
 * stdoutw_install() replaces the `stdout` stream (glibc lets a program
 * assign it) with a stream of ours on the same descriptor, so every
 * writer of stdout, stdio or libpcap, goes through it in order.
 */
#ifndef RST_STDOUTW_H
#define RST_STDOUTW_H

#include <stddef.h>
#include <linux/types.h>

/* How long the output may take to drain once a stop was requested. */
#define STDOUTW_GRACE_MS 500

struct stdoutw_stats {
	__u64 records_dropped; /* announced records not written whole */
	__u64 bytes_dropped;
	int cut; /* the last record that reached the reader is incomplete */
	int dropping;
	int err; /* errno of the write that failed (EPIPE: the reader went away); 0: none */
};

/* Take stdout over; before its first byte. 0, or -errno (stdout left as it was). */
int stdoutw_install(void);

/* Whether stdout is ours (installed and not yet finished). */
int stdoutw_active(void);

/* Async-signal-safe: writes give up STDOUTW_GRACE_MS from the first call. */
void stdoutw_stop(void);

/* The next LEN bytes written to stdout are one record. No-op when not installed. */
void stdoutw_record(size_t len);

void stdoutw_stats(struct stdoutw_stats *s);

/*
 * Flush, give the descriptor its flags back and stdout its old stream.
 * 0 or -errno of the flush (-EPIPE: the reader went away). Safe twice.
 */
int stdoutw_finish(void);

#endif
