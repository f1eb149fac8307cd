/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test hosts for the demo: a pair of network namespaces joined by a veth
 * pair, made and removed with iproute2, and a way for a thread to step
 * into one of them. Nothing here touches the caller's own namespace
 * except to return to it.
 */
#ifndef RST_NETNS_H
#define RST_NETNS_H

#include <net/if.h>

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

#endif
