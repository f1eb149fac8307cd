/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading the per-CPU counters map: totals, and sums per interface and
 * direction (by the ifindex each per-CPU slot records). Names of every
 * counter and malformed reason, as JSON, stats and metrics print them.
 */
#ifndef RST_COUNTERS_H
#define RST_COUNTERS_H

#include <stddef.h>
#include <linux/types.h>

#include "rsttrace.h"

struct rst_totals {
	__u64 c[RST_C_MAX];
	__u64 malformed[RST_M_MAX];
	__u64 host_lost[2][RST_HF_MAX];		 /* evicted from host lines: [dir][flag] */
	__u64 flow_lost[RST_FL_MAX][RST_FF_MAX]; /* not in flow lines: [cause][flag] */
	__u64 ctl_ev[RST_CK_MAX][RST_CE_MAX];	 /* SYN/SYN-ACK/FIN as events: [kind][cause] */
};

/* ifindex 0 collects the shared overflow slot. */
struct rst_if_totals {
	__u32 ifindex;
	__u8 dir;
	struct rst_totals t;
};

extern const char *const rst_counter_names[RST_C_MAX];
extern const char *const rst_malformed_names[RST_M_MAX];
extern const char *const rst_host_flag_names[RST_HF_MAX];
extern const char *const rst_flow_flag_names[RST_FF_MAX];
extern const char *const rst_flow_cause_names[RST_FL_MAX];
extern const char *const rst_ctl_kind_names[RST_CK_MAX];
extern const char *const rst_ctl_cause_names[RST_CE_MAX];

/*
 * Sum the counters map. total may be NULL; per (up to max_per entries, the
 * count in *n_per) may be NULL. Returns 0 or -errno.
 */
int counters_read(int map_fd, struct rst_totals *total, struct rst_if_totals *per, size_t max_per,
		  size_t *n_per);

/* RSTs the kernel counted (RST + RST-ACK). */
static inline __u64 totals_rsts(const struct rst_totals *t)
{
	return t->c[RST_C_RST] + t->c[RST_C_RSTACK];
}

static inline __u64 totals_malformed(const struct rst_totals *t)
{
	__u64 s = 0;
	int i;

	for (i = 0; i < RST_M_MAX; i++)
		s += t->malformed[i];
	return s;
}

#endif
