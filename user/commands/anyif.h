/* SPDX-License-Identifier: GPL-2.0 */
/*
 * watch -i any: every interface of the network namespace, lo included, as
 * tcpdump's -i any, and those that come while watching (a container's
 * veth) attached as their RTM_NEWLINK arrives, released when they go,
 * each announced on stderr in one line. The links are this process's
 * file descriptors, as watch's others: its death detaches them all.
 */
#ifndef RST_ANYIF_H
#define RST_ANYIF_H

#include <stddef.h>
#include <linux/types.h>

#include "attach.h"
#include "loader.h"

struct anyif_ent {
	struct rst_link l;
	int gone; /* detached: it left; its name stays for the events still in the ring */
};

struct anyif {
	struct anyif_ent *e;
	size_t n, cap;
	size_t n_gone;
	int fd; /* linkmon socket; -1: none */
	const struct rst_progs *progs;
	const struct rst_opts *o;
	unsigned int attached; /* interfaces attached now */
};

/* Nothing yet: safe to anyif_stop. */
void anyif_init(struct anyif *a);

/*
 * Listen, then attach to every interface there is now (the listening
 * first, so that none can come unseen in between). Interfaces that cannot
 * be attached are skipped with a one-line warning. 0, or -errno when
 * rtnetlink cannot be used (printed).
 */
int anyif_start(struct anyif *a, const struct rst_progs *p, const struct rst_opts *o);

/* What came and went since the last call: attached and released, each said. 0 or -errno. */
int anyif_poll(struct anyif *a);

/* The name of a traced interface (gone ones too), or NULL. */
const char *anyif_name(const struct anyif *a, __u32 ifindex);

/* link_check_order on every attached interface. */
void anyif_check_order(struct anyif *a);

/* Detach everything, keeping the names (events may still be drained). */
void anyif_detach(struct anyif *a);

/* anyif_detach, close and free. Safe to call twice. */
void anyif_stop(struct anyif *a);

#endif
