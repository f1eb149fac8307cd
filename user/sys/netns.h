/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Namespaces: which network namespace this is and its name under
 * /run/netns, stepping into another one, whether this process runs in a
 * mount namespace of its own (`ip netns exec`), and the demo's test hosts
 * (a pair of network namespaces joined by a veth pair, made and removed
 * with iproute2). Nothing here touches the caller's own namespace except
 * to return to it.
 */
#ifndef RST_NETNS_H
#define RST_NETNS_H

#include <net/if.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

struct netns_pair {
	char ns[2][32];		   /* [0] server, [1] client */
	char veth[2][IF_NAMESIZE]; /* veth[i] lives in ns[i] */
	char addr4[2][16];
	char addr6[2][40];
	int made_ns[2];
};

/* Run argv (PATH lookup), output discarded unless debugging; exit status or -errno. */
int run_cmd(const char *const argv[]);

/* Create both namespaces, the veth pair, addresses (10.200.0.0/24, fd00:200::/64). */
int netns_pair_create(struct netns_pair *p, const char *tag);
/* Delete what netns_pair_create made (deleting a namespace deletes its veth end). */
void netns_pair_destroy(struct netns_pair *p);

/* Move the calling thread into namespace name; returns 0 or -errno. */
int netns_enter(const char *name);

/* Network namespace of this process (inode of /proc/self/ns/net). */
__u64 netns_self(void);
/* Name under /run/netns of namespace ino, into buf; NULL if it has none. */
const char *netns_name(__u64 ino, char *buf, size_t len);
/*
 * Enter netns ino (found by name under /run/netns): 0 and *saved an fd of
 * ours to setns() back to, or -errno (-ENOENT: it has no name there).
 */
int netns_switch(__u64 ino, int *saved);

/*
 * The nearest ancestor process that lives in another mount namespace than
 * ours, or 0. `ip netns exec` (and `unshare -m`) put their command in a
 * new mount namespace whose parent is still in the old one, which is what
 * tells a private /sys from the system's.
 */
pid_t mntns_outer_pid(void);

#endif
