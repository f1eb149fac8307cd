/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attaching the programs to one interface, through bpf_link wherever the
 * kernel has it: an XDP link, tcx links for TC (legacy cls_bpf when the
 * kernel has no tcx). A link dies with the last file descriptor or pin
 * that holds it, so a crashed rsttrace leaves nothing attached that it
 * did not pin on purpose. Nothing another tool attached is ever replaced
 * or removed.
 */
#ifndef RST_ATTACH_H
#define RST_ATTACH_H

#include <net/if.h>
#include <stdbool.h>
#include <linux/types.h>

#include "bpfcompat.h"
#include "loader.h"

/* What one interface has of ours; -1 / false where nothing was made. */
struct rst_link {
	char ifname[IF_NAMESIZE];
	__u32 ifindex;
	int xdp_fd;	   /* XDP link */
	__u32 xdp_flags;   /* XDP_FLAGS_DRV_MODE or XDP_FLAGS_SKB_MODE, as attached */
	int tc_fd[2];	   /* tcx links, [RST_DIR_IN] and [RST_DIR_OUT] */
	bool legacy[2];	   /* cls_bpf filter of ours in that direction */
	bool legacy_qdisc; /* we created the clsact qdisc */
	__u32 legacy_prio[2];
	__u32 legacy_handle[2];
	__u32 tc_prog_id[2]; /* program id of each tcx link */
	__u64 tc_rev[2];     /* chain revision last checked (link_check_order) */
};

/* Program fds to attach, -1 for the ones not wanted. */
struct rst_progs {
	int xdp;
	int tc_in;
	int tc_out;
};

void link_init(struct rst_link *l, const char *ifname, __u32 ifindex);

/*
 * Attach what o asks for on l. On failure prints a one-line error naming
 * the interface, undoes whatever this call attached, returns -errno.
 */
/*
 * Whether attaching in this network namespace is allowed: -EPERM (said
 * once, naming ifname) when RSTTRACE_GUARD_NETNS names it or cannot be
 * checked; attach_iface() asks first. 0 otherwise.
 */
int netns_guard(const char *ifname);
int attach_iface(struct rst_link *l, const struct rst_progs *p, const struct rst_opts *o);

/* Remove exactly what l records; safe to call twice. */
void detach_iface(struct rst_link *l);

/*
 * The XDP program another tool has on ifindex, if any: its id in *prog_id
 * (0 if none). Returns 0 or -errno.
 */
int xdp_foreign(__u32 ifindex, __u32 *prog_id, __u32 *mode);

/*
 * 0 when the XDP hook of ifindex is free (an rsttrace that just died is
 * given its moment to go); otherwise prints one line naming the program
 * that holds it and what the user can do instead, and returns -EBUSY.
 */
int xdp_hook_check(const char *ifname, __u32 ifindex);

const char *xdp_mode_name(__u32 flags);

/* Whether this kernel can create tcx links (probed once). */
bool have_tcx(void);

/* tcx's attach types and anchor flags (RST_BPF_TCX_*, RST_BPF_F_*): bpfcompat.h. */

/*
 * bpf(BPF_LINK_CREATE) of a tcx link on ifindex in direction dir, placed by
 * flags: RST_BPF_F_BEFORE or RST_BPF_F_AFTER relative to the program (or
 * link) fd `relative`, or its id with RST_BPF_F_ID; relative 0 means the
 * head (BEFORE) or the tail (AFTER, or no flag). expected_revision 0: any.
 * Returns the link fd or -errno.
 */
int tcx_link_create(int prog_fd, __u32 ifindex, int dir, __u32 flags, __u32 relative,
		    __u64 expected_revision);

/* One program on a tcx hook. */
struct tcx_entry {
	__u32 prog_id;
	__u32 link_id; /* 0: attached without a link (BPF_PROG_ATTACH) */
	char name[16]; /* BPF_OBJ_NAME_LEN; "?" when it could not be read */
};

#define TCX_CHAIN_MAX 64

/* A tcx hook's programs in the order the kernel runs them. */
struct tcx_chain {
	__u32 count; /* programs on the hook; more than n when truncated */
	__u32 n;     /* entries read into e[] */
	__u64 revision;
	struct tcx_entry e[TCX_CHAIN_MAX];
};

/* BPF_PROG_QUERY of the tcx hook (ifindex in this netns, dir). 0 or -errno. */
int tcx_chain_query(__u32 ifindex, int dir, struct tcx_chain *c);

/* Index of prog_id in c, or -1. */
int tcx_chain_pos(const struct tcx_chain *c, __u32 prog_id);

/* Whether an entry is an rsttrace program (ours or another rsttrace's): by name. */
bool tcx_entry_rsttrace(const struct tcx_entry *e);

/*
 * Count the programs of other tools that run before pos in c; with warn,
 * name them in one pr_warn line for ifname. A program that returns
 * anything but TCX_NEXT there ends the chain before rsttrace sees the
 * packet.
 */
int tcx_foreign_before(const struct tcx_chain *c, int pos, const char *ifname, int dir, bool warn);

/*
 * Query the hook and warn (one line) when another tool's program runs
 * before rsttrace's prog_id. Returns how many do, or -errno.
 */
int tcx_check_order(const char *ifname, __u32 ifindex, int dir, __u32 prog_id);

/*
 * For a running tracer, now and then: check the run order of l's tcx hooks
 * again and warn once for each change of a chain that leaves another
 * tool's program before ours (another tool can attach with BPF_F_BEFORE at
 * any time). Cheap when nothing changed. Returns the number of hooks where
 * rsttrace does not run first.
 */
int link_check_order(struct rst_link *l);

#endif
