/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interfaces leaving this network namespace, as rtnetlink announces them
 * (RTM_DELLINK on RTMGRP_LINK): deleted, or moved to another namespace
 * (the message then carries IFLA_NEW_NETNSID). watch listens so that it
 * does not trace, silently, an interface that is no longer there.
 */
#ifndef RST_LINKMON_H
#define RST_LINKMON_H

#include <linux/types.h>

enum link_gone {
	LINK_DELETED,
	LINK_MOVED, /* to another network namespace */
};

/* A non-blocking socket on the link group: fd, or -errno. */
int linkmon_open(void);

/*
 * Take what arrived, without waiting: cb(ctx, ifindex, how) for each
 * interface that left. 0, -ENOBUFS when the kernel dropped messages (the
 * caller must look at its interfaces itself: linkmon_present), or -errno.
 */
int linkmon_read(int fd, void (*cb)(void *ctx, __u32 ifindex, enum link_gone how), void *ctx);

/* Whether an interface of that index is in this namespace now: 1, 0. */
int linkmon_present(__u32 ifindex);

#endif
