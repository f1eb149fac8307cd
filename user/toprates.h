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

struct host_row {
	struct rst_host_key key;
	struct rst_host_val v;
	double rst_in_ps;
	double rst_out_ps;
	double syn_ps; /* SYN in + out */
	double fin_ps;
};

/* A host of the newest sample, before it is known to be among the rows shown. */
struct top_cand {
	double rst_in_ps;
	double rst_out_ps;
	double syn_ps;
	double fin_ps;
	__u32 idx; /* entry in the newest sample's dump */
	__u32 pad;
};

struct top_sample {
	struct map_dump hosts;
	struct rst_totals tot;
	__u64 mono_ns; /* when the read started */
};

struct top_state {
	struct top_sample s[2];
	int cur;       /* index of the newest sample in s[] */
	int n_samples; /* reads so far */
	__u32 *index;  /* open-addressing hash of the previous sample: entry + 1 */
	size_t index_cap;
	struct top_cand *cand; /* every host of the newest sample */
	size_t cand_cap;
	struct host_row *rows; /* the first `limit` hosts by RST rate, sorted */
	size_t n_rows;
	size_t rows_cap;
	size_t n_hosts; /* hosts in the map at the newest read */
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

#endif
