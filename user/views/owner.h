/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who owned the socket of an RST this host sent or accepted: the
 * tracepoints record the socket's cgroup v2 id and uid and, for a reset in
 * process context, the task (bpf/fate_trace.bpf.h); here the record is
 * found for an event and the cgroup id becomes a path.
 */
#ifndef RST_OWNER_H
#define RST_OWNER_H

#include "rsttrace.h"

struct rst_owner {
	int have_sock; /* cgroup_id, cgroup, uid */
	int have_task; /* pid, comm */
	__u64 cgroup_id;
	const char *cgroup; /* "/system.slice/x.service" (in path[]); NULL: not found */
	char path[256];
	__u32 uid;
	__u32 pid;
	char comm[17];
};

/*
 * The owner of e's socket from owners_fd: an RST sent (dir out), or one
 * received whose fate was "accepted" (accepted nonzero). 1 and *o filled,
 * 0 when none: a fresh active reset (RST_EV_LOCAL) waits once, at most
 * 5 ms after it left, for its record (the tracepoint follows the packet).
 */
int owner_join(int owners_fd, const struct rst_event *e, int accepted, struct rst_owner *o);

/*
 * The owner last recorded for the connection of flow key k (either end
 * may be this host's): 1 and *o filled, 0 when none.
 */
int owner_of_flow(int owners_fd, const struct rst_flow_key *k, struct rst_owner *o);

/*
 * The path of cgroup v2 id under root (NULL: the v2 hierarchy, /sys/fs/cgroup
 * or /sys/fs/cgroup/unified on a hybrid host),
 * relative to it with a leading '/', "/" for the root itself; NULL when
 * no directory has that inode. The cgroup id is the inode number of its
 * directory in cgroupfs. Results are cached, misses too. Into buf (len
 * bytes): buf, or NULL. Thread-safe (watch's metrics thread asks too).
 */
const char *owner_cgroup_path(const char *root, __u64 id, char *buf, size_t len);

/* Forget the cache (tests; a cgroup made after a miss). */
void owner_cgroup_flush(void);

#endif
