/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interfaces coming into and leaving this network namespace, as rtnetlink
 * announces them (RTM_NEWLINK, RTM_DELLINK on RTMGRP_LINK; libmnl parses
 * them): created or moved in; deleted, or moved to another namespace (the
 * message then carries IFLA_NEW_NETNSID). watch listens so that it does
 * not trace, silently, an interface that is no longer there, and with
 * -i any so that it traces every interface that comes.
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

/* One link as a message tells it. */
struct link_info {
	__u32 ifindex;
	__u16 type;	    /* ARPHRD_* */
	unsigned int flags; /* IFF_* */
	char name[16];	    /* IF_NAMESIZE; "" when the message had none */
	int gone;	    /* RTM_DELLINK */
	enum link_gone how; /* of a gone link */
};

typedef void (*link_info_fn)(void *ctx, const struct link_info *li);

/*
 * Take what arrived on linkmon_open's socket, without waiting: cb for
 * each link message, new (also a change: flags, name) or gone. 0,
 * -ENOBUFS when the kernel dropped messages (look again: linkmon_dump),
 * or -errno.
 */
int linkmon_read_links(int fd, link_info_fn cb, void *ctx);

/* cb for every link of this namespace now (RTM_GETLINK dump): 0 or -errno. */
int linkmon_dump(link_info_fn cb, void *ctx);

/* Whether an interface of that index is in this namespace now: 1, 0. */
int linkmon_present(__u32 ifindex);

#endif
