/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fate and owner programs (bpf/fate.bpf.h, bpf/fate_trace.bpf.h):
 * whether this kernel can run them, their links, and reading what they
 * count (fates per interface and per peer host, resets per cgroup). The
 * programs are optional: without them events carry no fate and no owner.
 */
#ifndef RST_KFATE_H
#define RST_KFATE_H

#include <stdbool.h>
#include <stddef.h>

#include "rsttrace.h"

struct rsttrace;

#define FATE_PROGS 3
#define FATE_KFREE 1 /* rst_kfree_skb: the causes' kfree_skb program too */

struct fate_links {
	int fd[FATE_PROGS]; /* raw tracepoint links; -1: none */
	int n;		    /* attached */
};

/*
 * Before load: keep the programs only if the kernel's BTF has the
 * tracepoints tcp_receive_reset, kfree_skb (with its reason) and
 * tcp_send_reset; on false, or when they are not wanted, drop them. Sets
 * the namespace whose local resets are counted (the caller's). Returns
 * whether they will load.
 */
bool fate_configure(struct rsttrace *skel, bool want);

void fate_links_init(struct fate_links *l);
/*
 * Attach the loaded programs: how many (0: fates not loaded; the kfree_skb
 * program may be attached then, for the causes), or -errno (links undone).
 */
int fate_attach(struct fate_links *l, const struct rsttrace *skel);
void fate_detach(struct fate_links *l);

/* The fate counts of ifindex summed over CPUs (0: the local resets' slot): 0 or -errno. */
int fate_read_iface(int fate_ifs_fd, __u32 ifindex, struct rst_fate_counts *out);

/*
 * Every interface's fates (fate_ifs_fd) summed over CPUs, as counters_read
 * merges its slots: each CPU's slot counts for the interface that owns it
 * there; the shared overflow slot is the row of ifindex 0. Up to max rows
 * into per (count in *n), and everything (fates, local resets, host_lost)
 * into *total. 0 or -errno.
 */
int fate_read_ifaces(int fate_ifs_fd, struct rst_fate_counts *per, size_t max, size_t *n,
		     struct rst_fate_counts *total);

/* One peer host's fates summed over its lines on every CPU. */
struct fate_host_row {
	struct rst_host_key key;
	struct rst_fate_host v;
};

/*
 * Every peer host of fate_hosts_fd (per-CPU sets of lines), each host's
 * lines merged, sorted by key for fate_host_find: *rows (free() it) and
 * *n. 0 or -errno.
 */
int fate_hosts_read(int fate_hosts_fd, struct fate_host_row **rows, size_t *n);
/* The row of addr/family among rows (fate_hosts_read's), or NULL. */
const struct fate_host_row *fate_host_find(const struct fate_host_row *rows, size_t n,
					   const __u8 *addr, __u8 family);

typedef int (*fate_host_fn)(void *ctx, const struct rst_host_key *k, const struct rst_fate_host *v);
/* Every peer host of fate_hosts_fd to fn (stops on its nonzero return): 0 or -errno. */
int fate_hosts_each(int fate_hosts_fd, fate_host_fn fn, void *ctx);

/* Every cgroup of cgroups_fd, summed over CPUs, into ids/vals (up to max): count or -errno. */
int fate_cgroups_read(int cgroups_fd, __u64 *ids, struct rst_cgroup_val *vals, int max);

/*
 * The owners map of the datapath whose counters map is counters_fd, where
 * its tracepoint programs are loaded (a running watch; not a persistent
 * attachment, whose owners map is pinned: struct rst_maps has it): an fd
 * to close, or -1.
 */
int fate_owners_near(int counters_fd);

#endif
