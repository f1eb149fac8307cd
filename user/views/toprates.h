/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The numbers behind `rsttrace top`: per-host and global rates from the
 * deltas of two reads of the host map and the counters, over the elapsed
 * time measured between the reads (never the nominal interval). A host
 * that was evicted and came back (another first_ns) counts from zero.
 */
#ifndef RST_TOPRATES_H
#define RST_TOPRATES_H

#include <stddef.h>
#include <linux/types.h>

#include "counters.h"
#include "mapread.h"
#include "rsttrace.h"
#include "topn.h"

struct host_row {
	struct rst_host_key key;
	struct rst_host_val v;
	double rst_in_ps;
	double rst_out_ps;
	double syn_ps; /* SYN in + out */
	double fin_ps;
};

/* What a sample keeps of a host: what the next sample's rates need. */
struct host_rec {
	struct rst_host_key key;
	__u32 pad;
	__u64 first_ns;
	__u64 rst_in;
	__u64 rst_out;
	__u64 syn; /* in + out */
	__u64 fin; /* in + out */
};

struct top_sample {
	struct host_rec *recs; /* in the order the map was read */
	size_t n;
	size_t cap;
	struct rst_totals tot;
	__u64 mono_ns; /* when the read started */
};

/* What top ranks hosts by (its sort keys): RST/s in + out, in, out, SYN/s. */
enum top_sort { TOP_SORT_RATE = 0, TOP_SORT_IN, TOP_SORT_OUT, TOP_SORT_SYN, TOP_SORT_MAX };

extern const char *const top_sort_names[TOP_SORT_MAX];

/*
 * The host map is read a batch at a time (map_dump_each), each host rated
 * and offered to the rows as it comes: a whole-map dump per sample, fresh
 * memory that the kernel and then the ranking touch for the first time,
 * cost more than the reads themselves in `top --once` (bench/OPTIMIZATIONS.md).
 */
struct top_state {
	struct top_sample s[2];
	int cur;       /* index of the newest sample in s[] */
	int n_samples; /* reads so far */
	__u32 *index;  /* open-addressing hash of the previous sample: entry + 1 */
	size_t index_cap;
	struct map_dump batch; /* the batch of hosts being read */
	struct topn best;      /* the first `limit` hosts by RST rate, as they are read */
	struct host_row *rows; /* ... and sorted, after a read: best.rows */
	size_t n_rows;
	size_t n_hosts; /* hosts in the map at the newest read */
	/*
	 * Set before a read that no other will follow (top --once): its hosts
	 * are rated and ranked, but not kept for a next one.
	 */
	int last;
	int sort; /* enum top_sort: which hosts a read keeps, and their order */
	/* The read in progress: its limit, cursor in the previous sample, window. */
	size_t limit;
	size_t cursor;
	int indexed;
	double secs;
	double elapsed; /* seconds between the two latest reads */
	/* Global rates, per second, over the same interval. */
	double rst_ps, syn_ps, fin_ps;
	double ev_delivered_ps, ev_ring_full_ps, ev_sampled_ps, ev_rate_limited_ps, ev_filtered_ps;
};

/*
 * Take a sample of counters and hosts. From the second sample on, rows
 * (the first limit hosts in top order; 0: all), n_rows and the rates
 * describe the interval since the previous one. Only the rows shown are
 * fully sorted: the rest are passed over with a bounded heap, which keeps
 * a refresh of 100,000 hosts to the cost of reading them. Returns 0 or
 * -errno.
 */
int top_read(struct top_state *st, int counters_fd, int hosts_fd, size_t limit);
void top_free(struct top_state *st);

/* Ordering of top rows: RST rate (in + out), then total RSTs, then family and address. */
int host_row_cmp(const void *a, const void *b);
/* The ordering of a sort key: its rate first, then as host_row_cmp. */
topn_cmp_fn host_row_cmp_for(int sort);
/* Sort rows[n] again by another key (what a top key press does until the next read). */
void top_resort(struct top_state *st, int sort);

/*
 * RSTs (in + out) per SYN (in + out) over the interval the rates cover:
 * NaN when the host sent or got no SYN in it.
 */
double host_interval_ratio(const struct host_row *r);

#endif
