/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IPFIX export (RFC 7011) of the per-flow counters to a collector, over
 * UDP or TCP, encoded by libfixbuf. Each flow is exported as up to two
 * unidirectional records (a to b, b to a: the directions that saw a SYN,
 * FIN or RST) carrying the 5-tuple, flowStart/EndMilliseconds,
 * tcpSyn/Fin/RstTotalCount (218-220), ingressInterface and flowEndReason:
 * periodically while the flow changes (active timeout), once when it
 * ended (an RST, or FINs both ways) or went idle, once when the kernel's
 * table dropped it (evicted), and at the end for the rest (forced end).
 * docs/ipfix.md has the records and the timing.
 *
 * Functions print their own one-line errors and return 0 or -errno.
 */
#ifndef RST_IPFIX_H
#define RST_IPFIX_H

#include <stddef.h>
#include <linux/types.h>

#define IPFIX_INTERVAL_DEFAULT 60.0 /* seconds between two reads of the flows */

struct ipfix_opts {
	const char *dest; /* [udp://|tcp://]HOST:PORT, [IPv6]:PORT, file:PATH */
	double interval;  /* seconds */
	__u32 domain;	  /* observation domain id */
};

struct ipfix_exporter;

/* Check a --ipfix value (opt names the option in the message): 0 or -EINVAL (printed). */
int ipfix_parse_dest(const char *opt, const char *arg);

/* Connect to the collector and send the templates. NULL (errno set) after printing why. */
struct ipfix_exporter *ipfix_open(const struct ipfix_opts *o);

/* Milliseconds until the next read is due (0: now). */
long ipfix_due_ms(const struct ipfix_exporter *x);

/*
 * One read of the flow map flows_fd, and the records it calls for: 0 or
 * -errno (a failed send is printed once and retried at the next read).
 */
int ipfix_tick(struct ipfix_exporter *x, int flows_fd);

/*
 * The records one read of the flows calls for, d holding the merged flow
 * table (rst_flow_key / rst_flow_val entries, as flows_dump_read gives
 * them), then the message: ipfix_tick's work after reading.
 */
struct map_dump;
int ipfix_update(struct ipfix_exporter *x, const struct map_dump *d);

/*
 * The last read (flows_fd >= 0), every flow not yet ended exported as a
 * forced end, then disconnect and free. NULL is fine.
 */
void ipfix_close(struct ipfix_exporter *x, int flows_fd);

/* Records and messages sent so far. */
void ipfix_counts(const struct ipfix_exporter *x, __u64 *records, __u64 *messages);

#endif
