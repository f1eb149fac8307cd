/* SPDX-License-Identifier: GPL-2.0 */
/*
 * -Z USER, as tcpdump's: once everything that needs root is done (maps,
 * programs and links created, the ring mapped), the process becomes USER,
 * with USER's groups, and goes on reading events through the descriptors
 * it already holds. setuid() from root clears every capability, so
 * nothing afterwards can create, load or attach.
 */
#ifndef RST_PRIVDROP_H
#define RST_PRIVDROP_H

#include <sys/types.h>

struct privdrop {
	const char *user;
	uid_t uid;
	gid_t gid;
};

/* Look USER up (a name or a number): 0, or -ENOENT after printing why. */
int privdrop_lookup(struct privdrop *pd, const char *user);

/* initgroups + setgid + setuid, checked: 0, or -errno after printing why. */
int privdrop_apply(const struct privdrop *pd);

#endif
