/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The families of the metrics about why resets happened: the fates of
 * RSTs received per interface, and RSTs sent for, and accepted by, the
 * sockets of each cgroup (kernel/fatetrace.h counts them), the
 * METRICS_CGROUPS_TOP cgroups with the most as their own series and the
 * rest as cgroup="other", so that cardinality is bounded and the series
 * still sum to what the kernel counted.
 */
#ifndef RST_METRICS_CGROUP_H
#define RST_METRICS_CGROUP_H

#include <stddef.h>
#include <net/if.h>
#include <linux/types.h>

#include "rsttrace.h"

#include "strbuf.h"

#define METRICS_CGROUPS_TOP 10

struct metrics_cgroup {
	__u64 id;
	__u64 sent, accepted;
	char path[256]; /* "/system.slice/x.service"; "id:N" when not found */
};

struct metrics_cgroups {
	int ok; /* read: render the family */
	struct metrics_cgroup top[METRICS_CGROUPS_TOP];
	size_t n;
	__u64 other_sent, other_accepted;
};

/* Fates of RSTs received per interface (kernel/fatetrace.h), for the same exporter. */
#define METRICS_FATE_IFACES 16

struct metrics_fates {
	int ok;
	struct {
		char iface[IF_NAMESIZE + 8]; /* "other": the shared overflow slot */
		__u64 fate[RST_FATE_MAX];
	} ifs[METRICS_FATE_IFACES + 1];
	size_t n;
	__u64 local_reset;
};

/* Read fate_ifs_fd (< 0: none, f->ok 0) into f, naming interfaces through name_of. */
void metrics_fates_read(struct metrics_fates *f, int fate_ifs_fd,
			const char *(*name_of)(__u32 ifindex, char *buf));

/* rsttrace_received_rst_fates_total and rsttrace_local_resets_total, where f->ok. */
void metrics_fates_render(const struct metrics_fates *f, struct strbuf *b);

/* Read the per-cgroup counts of cgroups_fd (< 0: none, c->ok 0) into c. */
void metrics_cgroups_read(struct metrics_cgroups *c, int cgroups_fd);

/* The family rsttrace_cgroup_resets_total, where c->ok. */
void metrics_cgroups_render(const struct metrics_cgroups *c, struct strbuf *b);

#endif
