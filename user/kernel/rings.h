/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event rings: one ring (`events`) or one per possible CPU (the
 * ringbufs of the array `ev_rings`, bpf/rings.bpf.h), chosen at load
 * (--rings), and the consumer that reads all of them as one stream in
 * time order.
 *
 * Ordering: rings_consume() works in rounds. A round takes a snapshot of
 * every ring's producer position and merges the records up to it by
 * ts_ns (a k-way merge of the ring heads; equal stamps in ring order,
 * then CPU order: stable), so within a round the output is in time order
 * exactly. Each ring is in time order by itself (one CPU writes it, and a
 * CPU runs one program at a time). Across rounds, a record that was still
 * being written when its ring's round began (its clock read, not yet
 * submitted: about a microsecond) comes in the next round, after records
 * of other CPUs that may be stamped up to that long after it. One ring
 * (--rings one) has the order of reservation, as before.
 */
#ifndef RST_RINGS_H
#define RST_RINGS_H

#include <stddef.h>
#include <linux/types.h>
#include <bpf/libbpf.h>

struct rsttrace;
struct rst_maps;
struct rst_opts;

enum rings_mode {
	RINGS_AUTO = 0, /* per-CPU from RST_RINGS_PERCPU_MIN_CPUS possible CPUs on */
	RINGS_ONE,
	RINGS_PERCPU,
};

/* What the loader makes of --rings and --ring-size on ncpu CPUs. */
struct rings_plan {
	int percpu; /* 1: ev_rings, n rings of size bytes; 0: events, 1 x size */
	int n;
	__u32 size;
};

/*
 * The layout for mode, a total of ring_size bytes (a power of two) and
 * ncpu possible CPUs: per-CPU rings take ring_size / ncpu rounded down to
 * a power of two, at least page bytes, so the total never grows. 0, or
 * -EINVAL after a one-line error (per-cpu asked and a ring would be
 * smaller than a page); auto falls back to one ring then.
 */
int rings_plan(int mode, __u32 ring_size, int ncpu, long page, struct rings_plan *pl);

/* While parsing: --rings per-cpu with a --ring-size it cannot split is a usage error. */
int rings_opts_check(const struct rst_opts *o);
/* Kernel memory of the per-CPU rings o asks for (0: one ring), named at the end of detail. */
__u64 rings_memory(const struct rst_opts *o, char *detail, size_t len);
/* Between open and load: size events / ev_rings and set the rodata. 0 or -EINVAL (printed). */
int rings_configure(struct rsttrace *skel, const struct rst_opts *o);
/* After load: create the per-CPU rings into ev_rings (nothing for one ring). 0 or -errno (printed). */
int rings_fill(struct rsttrace *skel, const struct rst_opts *o);

/* More rings than any machine has CPUs for (status, layout checks). */
#define RINGS_MAX 4096

/* The layout of a loaded or pinned datapath's rings, for status. */
struct rings_info {
	int percpu;
	int n;	       /* rings */
	__u32 size;    /* bytes of each */
	__u64 memlock; /* kernel memory of all of them */
};

/* Programs loaded again on pinned maps m (attach): write to the rings m has. */
void rings_reuse(struct rsttrace *skel, const struct rst_maps *m);
/* A later attach with --rings other than the attachment's: one warning line. */
void rings_warn_ignored(const struct rst_opts *o, const struct rst_maps *m, const char *hint);

/*
 * Fds of the rings of m, to close: the inner rings of ev_rings when it
 * holds any, else a dup of events (an older pin directory has no
 * ev_rings: one ring). Count, or -errno; info (may be NULL) describes them.
 */
int rings_fds(const struct rst_maps *m, int *fds, int max, struct rings_info *info);

/* Reading the rings: fn as libbpf's ring_buffer calls it (<0 stops, the record taken). */
struct rst_rings;

/* Map every ring of fds (taken over: closed by rings_free). 0 or -errno. */
int rings_new(struct rst_rings **out, int *fds, int n, ring_buffer_sample_fn fn, void *ctx);
/* rings_fds + rings_new on m. 0 or -errno. */
int rings_open_maps(struct rst_rings **out, const struct rst_maps *m, ring_buffer_sample_fn fn,
		    void *ctx);
/* Deliver what all rings hold, in time order (above): records taken, or a callback's -errno. */
int rings_consume(struct rst_rings *rs);
/* Wait up to timeout_ms for a wakeup of any ring, then rings_consume (a timeout too). */
int rings_poll(struct rst_rings *rs, int timeout_ms);
/* One epoll fd readable when any ring has data (for the caller's own poll). */
int rings_epoll_fd(const struct rst_rings *rs);
int rings_count(const struct rst_rings *rs);
/* Unmap and close; NULL is fine. */
void rings_free(struct rst_rings *rs);

#endif
