/* SPDX-License-Identifier: GPL-2.0 */
/* Interface lookup: name to index with existence and link-state checks. */
#ifndef RST_IFACE_H
#define RST_IFACE_H

#include <stddef.h>
#include <linux/types.h>

/*
 * Resolve name to an ifindex. Prints a one-line error and returns -ENODEV
 * for an unknown interface, -ENETDOWN for one that is down (unless
 * allow_down), -EINVAL for a name that is too long.
 */
int iface_resolve(const char *name, __u32 *ifindex, int allow_down);

/* The interface of the default route (IPv4, then IPv6); -ENOENT if none. */
int iface_default_route(char *name, size_t len);

/* Name of ifindex into buf (IF_NAMESIZE), or "if<N>" when it is gone. */
const char *iface_name(__u32 ifindex, char *buf);

#endif
