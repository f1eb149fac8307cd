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
int attach_iface(struct rst_link *l, const struct rst_progs *p, const struct rst_opts *o);

/* Remove exactly what l records; safe to call twice. */
void detach_iface(struct rst_link *l);

/*
 * The XDP program another tool has on ifindex, if any: its id in *prog_id
 * (0 if none). Returns 0 or -errno.
 */
int xdp_foreign(__u32 ifindex, __u32 *prog_id, __u32 *mode);

const char *xdp_mode_name(__u32 flags);

/* Whether this kernel can create tcx links (probed once). */
bool have_tcx(void);

#endif
