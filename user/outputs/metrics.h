/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prometheus exporter: an HTTP server (libmicrohttpd, in its own threads)
 * that serves GET/HEAD /metrics in the text exposition format from a
 * snapshot of one datapath's maps. The snapshot is rebuilt at most once per
 * refresh interval, under a mutex, by whichever scrape finds it stale; the
 * caller's threads (watch's ring buffer consumer) are never involved.
 * Cardinality is bounded: interfaces by the counter slots, hosts by -N plus
 * one aggregate series.
 *
 * The snapshot, rendering and address parsing are exposed below the server
 * API for the unit tests; callers need only the first block.
 */
#ifndef RST_METRICS_H
#define RST_METRICS_H

#include <net/if.h>
#include <stddef.h>
#include <sys/socket.h>
#include <linux/types.h>

#include "counters.h"
#include "maps.h"
#include "metrics_cgroup.h"
#include "metrics_consumer.h"
#include "strbuf.h"

/*
 * Default listen port. Prometheus' 9100-9999 exporter range is fully
 * allocated; its port list continues above 10000 (docs/metrics.md).
 */
#define METRICS_PORT_DEFAULT	   10281
#define METRICS_ADDR_DEFAULT	   "127.0.0.1"
#define METRICS_TOP_DEFAULT	   20
#define METRICS_TOP_MAX		   1000
#define METRICS_REFRESH_MS_DEFAULT 1000

struct metrics_server;
struct metrics_attach;

/*
 * Lists the attached interfaces into att (at most max rows, count in *n);
 * 0 or -errno. Runs in a server thread, at most once per refresh.
 */
typedef int (*metrics_attach_fn)(void *ctx, struct metrics_attach *att, size_t max, size_t *n);

struct metrics_opts {
	__u32 top_n;	  /* hosts with their own series; 0 = only the aggregate */
	__u32 refresh_ms; /* max age of the snapshot a scrape gets; 0 = default */
	const char *opt;  /* option that named the address, for messages */
	/*
	 * Where rsttrace_attached_info comes from: this function (serve: the
	 * records of the persistent attachment) or, when NULL or failing, the
	 * kernel's XDP and tcx links whose programs use our counters map.
	 */
	metrics_attach_fn list_attach;
	void *list_ctx;
	int cgroups_fd;	 /* resets per cgroup (metrics_cgroup.h); -1: the maps' (the default) */
	int fate_ifs_fd; /* fates of RSTs received per interface; -1: the maps' (the default) */
	/* serve's event consumer (metrics_consumer.h); NULL: none (the default) */
	struct metrics_consumer *consumer;
};

void metrics_opts_default(struct metrics_opts *o);

/*
 * Parse "ADDR:PORT" (numeric IPv4) or "[ADDR]:PORT" (numeric IPv6, with an
 * optional %zone); PORT 1..65535. On failure prints "rsttrace: invalid OPT
 * 'VALUE': why" and returns -EINVAL. A NULL s gives the default address.
 */
int metrics_parse_listen(const char *opt, const char *s, struct sockaddr_storage *ss,
			 socklen_t *len);

/*
 * Start serving m's maps on listen (NULL: 127.0.0.1:METRICS_PORT_DEFAULT).
 * m must stay open until metrics_stop. NULL after printing why.
 */
struct metrics_server *metrics_start(const char *listen, const struct rst_maps *m,
				     const struct metrics_opts *o);
/*
 * Serve m instead from the next scrape on (an attachment made anew has new
 * maps). The caller may close the old maps once this returns. 0 or -errno.
 */
int metrics_set_maps(struct metrics_server *s, const struct rst_maps *m);
/* Stop the server and free it; NULL is fine. */
void metrics_stop(struct metrics_server *s);

/* -------- internals, exposed for tests/unit/test_metrics.c -------- */

/*
 * Append s to the exposition text (a growing strbuf) as a label value:
 * \ " and newline escaped, other bytes outside printable ASCII written as
 * the literal text \xNN (an escaped backslash).
 */
void metrics_label(struct strbuf *b, const char *s);

struct metrics_iface {
	char name[IF_NAMESIZE + 8]; /* "other" for the overflow slot */
	__u8 dir;
	struct rst_totals t;
};

struct metrics_attach {
	char iface[IF_NAMESIZE + 8];
	const char *hook; /* static strings: "xdp", "tc_ingress", "tc_egress" */
	const char *mode; /* "native", "generic", "offload", "tcx", "cls_bpf", "unknown" */
};

struct metrics_host {
	__u8 addr[16];
	__u8 family;
	__u64 rst[2]; /* [RST_DIR_IN] received from the host, [RST_DIR_OUT] sent to it */
};

/* Interface series: every counter slot and direction, plus "other". */
#define METRICS_IFACES_MAX (RST_COUNTER_ENTRIES + 2)
#define METRICS_ATTACH_MAX 192

struct metrics_snapshot {
	struct rst_totals total;
	struct metrics_iface ifs[METRICS_IFACES_MAX];
	size_t n_ifs;
	struct metrics_attach att[METRICS_ATTACH_MAX];
	size_t n_att;
	int att_ok; /* the attachment scan worked */
	/* Top-N hosts by RSTs, largest first; other_rst[] is the rest. */
	struct metrics_host *top;
	size_t n_top;
	size_t top_cap;
	__u64 other_rst[2];
	__u64 flows, flows_max, hosts, hosts_max;
	int flows_ok, hosts_ok;
	double build_seconds;
	double timestamp; /* wall clock, seconds */
	/* The HTTP server's own state (not from the maps); http_ok: present. */
	int http_ok;
	__u64 http_open, http_closed_deadline, http_closed_evicted;
	/* The counted causes (views/causes.h); causes_ok: the datapath has them. */
	struct rst_causes causes;
	int causes_ok;
	struct metrics_cgroups cg;	/* top-N cgroups, where the map is there */
	struct metrics_fates fates;	/* per interface, where the map is there */
	struct metrics_cons_stats cons; /* serve's consumer, where there is one */
};

/* Bounded top-N selection (a min-heap on RSTs, ties broken by address). */
int metrics_top_init(struct metrics_snapshot *s, size_t cap);
void metrics_top_add(struct metrics_snapshot *s, const struct metrics_host *h);
/*
 * Sort the top hosts, largest first, and set other_rst[] so that for each
 * direction the host series sum to the kernel's RST + RST-ACK count.
 */
void metrics_top_finish(struct metrics_snapshot *s);
void metrics_top_free(struct metrics_snapshot *s);

/*
 * Fold per-(ifindex, dir) counter sums into the snapshot's interface rows,
 * naming each through name_of; what counters_read could not place, and the
 * overflow slot, land in device="other" so every sum equals the total.
 */
void metrics_set_ifaces(struct metrics_snapshot *s, const struct rst_if_totals *per, size_t n,
			const char *(*name_of)(__u32 ifindex, char *buf));

/* Render the exposition text. Returns 0 or -ENOMEM. */
int metrics_render(const struct metrics_snapshot *s, struct strbuf *b);

/*
 * Connection admission. libmicrohttpd's own timeout is an idle timeout,
 * reset by every byte, and its connection limit refuses newcomers once
 * full: a client trickling bytes on enough connections would starve every
 * scrape. So the server keeps one row per open connection (from
 * libmicrohttpd's connection notifications) and closes, itself:
 * - a connection whose request is not complete METRICS_REQUEST_DEADLINE_MS
 *   after it was accepted or after its previous response ended, and one
 *   whose response is not sent METRICS_RESPONSE_DEADLINE_MS after its
 *   request was complete, however steadily bytes arrive;
 * - when METRICS_CONN_LIVE_MAX are open and another arrives, one chosen by
 *   metrics_conn_victim.
 * "Closing" is shutdown(2) of the socket, which libmicrohttpd then sees and
 * closes; the row stays CLOSING until it does (the descriptor is not ours
 * to reuse). libmicrohttpd's own limit is METRICS_CONN_MAX, one row each.
 */
#define METRICS_CONN_LIVE_MAX	     128
#define METRICS_CONN_MAX	     (METRICS_CONN_LIVE_MAX + 32)
#define METRICS_REQUEST_DEADLINE_MS  5000
#define METRICS_RESPONSE_DEADLINE_MS 10000

enum metrics_conn_state {
	METRICS_CONN_FREE = 0,
	METRICS_CONN_REQUEST,  /* waiting for a complete request */
	METRICS_CONN_RESPONSE, /* request complete, response being sent */
	METRICS_CONN_CLOSING,  /* shut down by us, libmicrohttpd not done yet */
};

struct metrics_conn {
	__u64 since_ns; /* monotonic start of the current state */
	__u8 addr[16];	/* client address; IPv4 in the first 4 bytes */
	int fd;
	__u8 family;
	__u8 state; /* enum metrics_conn_state */
};

/* Monotonic time by which c's current state must be over; 0: no deadline. */
__u64 metrics_conn_deadline(const struct metrics_conn *c);
/*
 * The row to close so that a newcomer (row skip) fits: among the open rows
 * other than skip, those of the client address holding the most open rows
 * (the newcomer counted), there an incomplete request before a response
 * being sent, the oldest first. One flooding address thus only ever evicts
 * its own connections, while another address' scrape gets in; and when
 * the flood and the scraper share an address (both local), the scraper's
 * fresh, complete request is the last to go. -1 when no row is open.
 */
int metrics_conn_victim(const struct metrics_conn *t, size_t n, size_t skip);

#endif
