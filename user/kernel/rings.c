// SPDX-License-Identifier: GPL-2.0
/*
 * The event rings (rings.h): the layout chosen at load, and a consumer
 * that maps every ring itself, as libbpf's ring_buffer does, because the
 * merge needs what libbpf 1.1 does not give: to look at the head record
 * of each ring without taking it, and to stop a ring at a position.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "rings.h"
#include "loader.h"
#include "log.h"
#include "mapread.h"
#include "maps.h"
#include "rsttrace.h"
#include "rsttrace.skel.h"

static int plan_of(const struct rst_opts *o, struct rings_plan *pl);

/* The layout of m's rings without keeping their fds: 0 or -errno. */
static int layout_of(const struct rst_maps *m, struct rings_info *ri)
{
	int fds[RINGS_MAX], n, i;

	memset(ri, 0, sizeof(*ri));
	n = rings_fds(m, fds, RINGS_MAX, ri);
	for (i = 0; i < n; i++)
		close(fds[i]);
	return n < 0 ? n : 0;
}

void rings_reuse(struct rsttrace *skel, const struct rst_maps *m)
{
	struct rings_info ri;

	if (layout_of(m, &ri) || !ri.percpu)
		return;
	skel->rodata->ev_percpu = 1;
	skel->rodata->wakeup_bytes = ri.size / 16 < (32U << 10) ? ri.size / 16 : 32U << 10;
}

void rings_warn_ignored(const struct rst_opts *o, const struct rst_maps *m, const char *hint)
{
	struct rings_info ri;
	struct rings_plan pl;

	if (!o->set_rings || plan_of(o, &pl) || layout_of(m, &ri) || pl.percpu == ri.percpu)
		return;
	pr_warn("--rings %s ignored: the attachment has %s; %s", pl.percpu ? "per-cpu" : "one",
		ri.percpu ? "per-CPU rings" : "one ring", hint);
}

static __u32 map_max_entries(int fd)
{
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi);

	return bpf_obj_get_info_by_fd(fd, &mi, &len) ? 0 : mi.max_entries;
}

static __u32 pow2_floor(__u32 v)
{
	__u32 p = 1;

	while (v >= 2 * p)
		p <<= 1;
	return v ? p : 0;
}

int rings_plan(int mode, __u32 ring_size, int ncpu, long page, struct rings_plan *pl)
{
	__u32 per;

	if (ncpu < 1)
		ncpu = 1;
	per = pow2_floor(ring_size / (__u32)ncpu);
	pl->percpu = 0;
	pl->n = 1;
	pl->size = ring_size;
	if (mode == RINGS_ONE || (mode == RINGS_AUTO && ncpu < RST_RINGS_PERCPU_MIN_CPUS))
		return 0;
	if (per < (__u64)page) {
		unsigned long long least = 1;

		/* The smallest power of two that gives every CPU a page. */
		while (least < (unsigned long long)ncpu * (unsigned long long)page)
			least <<= 1;
		if (mode == RINGS_AUTO)
			return 0; /* too small to split: one ring, as without --rings */
		pr_warn("--rings per-cpu: --ring-size %u over %d CPUs leaves %u bytes a ring, less "
			"than a page (%ld); give --ring-size %llu or more",
			ring_size, ncpu, per, page, least);
		return -EINVAL;
	}
	pl->percpu = 1;
	pl->n = ncpu;
	pl->size = per;
	return 0;
}

static int plan_of(const struct rst_opts *o, struct rings_plan *pl)
{
	return rings_plan(o->rings, o->ring_size, loader_cpus(), sysconf(_SC_PAGESIZE), pl);
}

__u64 rings_memory(const struct rst_opts *o, char *detail, size_t len)
{
	struct rings_plan pl;
	size_t off = strlen(detail);
	__u64 b;

	if (plan_of(o, &pl) || !pl.percpu)
		return 0;
	/* As loader_map_bytes counts a ringbuf (ringbuf_map_mem_usage). */
	b = (__u64)pl.n * (12288 + pl.size + 2 * 4096);
	if (off < len)
		snprintf(detail + off, len - off, "%sev_rings %d x %u B = %.1f MiB",
			 off ? ", " : "", pl.n, pl.size, b / 1048576.0);
	return b;
}

int rings_opts_check(const struct rst_opts *o)
{
	struct rings_plan pl;

	return o->rings == RINGS_PERCPU ? plan_of(o, &pl) : 0;
}

int rings_configure(struct rsttrace *skel, const struct rst_opts *o)
{
	long page = sysconf(_SC_PAGESIZE);
	struct rings_plan pl;
	int err = plan_of(o, &pl);

	if (err)
		return err;
	skel->rodata->ev_percpu = pl.percpu;
	/*
	 * Per-CPU: `events` stays (the programs name it) at one page, unused.
	 * One ring: ev_rings keeps one empty slot. The inner template stays
	 * a page: the kernel does not compare a ringbuf's size with it
	 * (bpf_map_meta_equal), and libbpf 1.1 cannot resize an inner map.
	 */
	bpf_map__set_max_entries(skel->maps.events, pl.percpu ? (__u32)page : pl.size);
	bpf_map__set_max_entries(skel->maps.ev_rings, pl.percpu ? (__u32)pl.n : 1);
	/* ringbuf_wakeup()'s threshold, per ring, so an event asks the ring one thing, not two. */
	skel->rodata->wakeup_bytes = pl.size / 16 < (32U << 10) ? pl.size / 16 : 32U << 10;
	if (pl.percpu)
		pr_info("events: %d per-CPU rings of %u bytes", pl.n, pl.size);
	return 0;
}

int rings_fill(struct rsttrace *skel, const struct rst_opts *o)
{
	int outer = bpf_map__fd(skel->maps.ev_rings), fd, err;
	struct rings_plan pl;
	__u32 i;

	if (plan_of(o, &pl))
		return -EINVAL;
	if (!pl.percpu)
		return 0;
	for (i = 0; i < (__u32)pl.n; i++) {
		fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "rst_ev_ring", 0, 0, pl.size, NULL);
		if (fd < 0) {
			err = -errno;
			pr_warn("creating the event ring of CPU %u: %s", i, strerror(-err));
			return err;
		}
		/* The array holds the ring from here on; our fd is not needed. */
		err = bpf_map_update_elem(outer, &i, &fd, BPF_ANY) ? -errno : 0;
		close(fd);
		if (err) {
			pr_warn("adding the event ring of CPU %u: %s", i, strerror(-err));
			return err;
		}
	}
	return 0;
}

int rings_fds(const struct rst_maps *m, int *fds, int max, struct rings_info *info)
{
	__u32 k, id, slots = m->ev_rings >= 0 ? map_max_entries(m->ev_rings) : 0;
	int n = 0, fd, i, inner;

	/* A slot's value, read from userspace, is the inner map's id. */
	for (k = 0; k < slots && n < max; k++) {
		if (bpf_map_lookup_elem(m->ev_rings, &k, &id))
			continue;
		fd = bpf_map_get_fd_by_id(id);
		if (fd < 0) {
			fd = -errno;
			goto fail;
		}
		fds[n++] = fd;
	}
	inner = n;
	if (!n) {
		if (m->events < 0 || max < 1)
			return -ENOENT;
		fds[n] = fcntl(m->events, F_DUPFD_CLOEXEC, 3);
		if (fds[n] < 0)
			return -errno;
		n++;
	}
	if (info) {
		info->percpu = inner > 0;
		info->n = n;
		info->size = map_max_entries(fds[0]);
		info->memlock = 0;
		for (i = 0; i < n; i++)
			info->memlock += fd_memlock(fds[i]);
	}
	return n;
fail:
	while (n > 0)
		close(fds[--n]);
	return fd;
}

/* One mapped ring: the kernel's layout (kernel/bpf/ringbuf.c), as libbpf maps it. */
struct rst_ring {
	int fd;
	unsigned long *cons; /* consumer position: ours to write */
	unsigned long *prod; /* producer position, then the data mapped twice */
	__u8 *data;
	unsigned long mask;
	size_t prod_len;
	unsigned long end; /* this round's snapshot of prod */
};

struct rst_rings {
	int epfd, n;
	int *act; /* the rings of the current round still holding records, in order */
	long page;
	ring_buffer_sample_fn fn;
	void *ctx;
	struct rst_ring r[];
};

#define RB_BUSY	   (1U << 31)
#define RB_DISCARD (1U << 30)
#define RB_HDR	   8

static unsigned long rec_bytes(__u32 len)
{
	len &= ~(RB_BUSY | RB_DISCARD);
	return ((unsigned long)len + RB_HDR + 7) & ~7UL;
}

static int ring_map(struct rst_ring *r, int fd, long page)
{
	__u32 size = map_max_entries(fd);

	r->fd = fd;
	r->cons = MAP_FAILED;
	r->prod = MAP_FAILED;
	if (!size || (size & (size - 1)))
		return -EINVAL;
	r->mask = size - 1;
	r->cons = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r->cons == MAP_FAILED)
		return -errno;
	r->prod_len = (size_t)page + 2 * (size_t)size;
	r->prod = mmap(NULL, r->prod_len, PROT_READ, MAP_SHARED, fd, page);
	if (r->prod == MAP_FAILED)
		return -errno;
	r->data = (__u8 *)r->prod + page;
	return 0;
}

void rings_free(struct rst_rings *rs)
{
	int i;

	if (!rs)
		return;
	for (i = 0; i < rs->n; i++) {
		if (rs->r[i].cons != MAP_FAILED)
			munmap(rs->r[i].cons, (size_t)rs->page);
		if (rs->r[i].prod != MAP_FAILED)
			munmap(rs->r[i].prod, rs->r[i].prod_len);
		if (rs->r[i].fd >= 0)
			close(rs->r[i].fd);
	}
	if (rs->epfd >= 0)
		close(rs->epfd);
	free(rs->act);
	free(rs);
}

int rings_new(struct rst_rings **out, int *fds, int n, ring_buffer_sample_fn fn, void *ctx)
{
	struct rst_rings *rs;
	struct epoll_event ev = { .events = EPOLLIN };
	int i, err = 0;

	*out = NULL;
	rs = calloc(1, sizeof(*rs) + (size_t)n * sizeof(rs->r[0]));
	if (!rs) {
		for (i = 0; i < n; i++)
			close(fds[i]);
		return -ENOMEM;
	}
	rs->page = sysconf(_SC_PAGESIZE);
	rs->fn = fn;
	rs->ctx = ctx;
	rs->epfd = epoll_create1(EPOLL_CLOEXEC);
	rs->act = calloc((size_t)(n > 0 ? n : 1), sizeof(*rs->act));
	for (i = 0; i < n; i++) {
		rs->r[i].fd = fds[i];
		rs->r[i].cons = rs->r[i].prod = MAP_FAILED;
	}
	rs->n = n;
	if (rs->epfd < 0)
		err = -errno;
	else if (!rs->act)
		err = -ENOMEM;
	for (i = 0; i < n && !err; i++) {
		err = ring_map(&rs->r[i], fds[i], rs->page);
		ev.data.u32 = (__u32)i;
		if (!err && epoll_ctl(rs->epfd, EPOLL_CTL_ADD, fds[i], &ev))
			err = -errno;
	}
	if (err) {
		rings_free(rs);
		return err;
	}
	*out = rs;
	return 0;
}

int rings_open_maps(struct rst_rings **out, const struct rst_maps *m, ring_buffer_sample_fn fn,
		    void *ctx)
{
	int max = libbpf_num_possible_cpus(), n, err;
	int *fds;

	if (max < 1)
		max = 1;
	fds = calloc((size_t)max, sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	n = rings_fds(m, fds, max, NULL);
	err = n < 0 ? n : rings_new(out, fds, n, fn, ctx);
	free(fds);
	return err;
}

/*
 * The head record of r below its round's end: 1 with *rec, *len set; 0
 * when the ring is empty up to there or its head is still being written.
 * Discarded records at the head are skipped (taken).
 */
static int ring_head(struct rst_ring *r, void **rec, __u32 *len)
{
	unsigned long cons;
	__u32 l;

	for (;;) {
		cons = *r->cons; /* only we write it */
		if (cons >= r->end)
			return 0;
		l = __atomic_load_n((__u32 *)(r->data + (cons & r->mask)), __ATOMIC_ACQUIRE);
		if (l & RB_BUSY)
			return 0;
		if (!(l & RB_DISCARD)) {
			*rec = r->data + (cons & r->mask) + RB_HDR;
			*len = l;
			return 1;
		}
		__atomic_store_n(r->cons, cons + rec_bytes(l), __ATOMIC_RELEASE);
	}
}

static __u64 rec_ts(const void *rec, __u32 len)
{
	__u64 ts = 0;

	/* struct rst_event begins with ts_ns; anything shorter sorts first. */
	if (len >= sizeof(ts))
		memcpy(&ts, rec, sizeof(ts));
	return ts;
}

int rings_consume(struct rst_rings *rs)
{
	long total = 0;
	int i, j, na, best, err, round;
	__u64 best_ts, ts;
	void *rec, *best_rec = NULL;
	__u32 len, best_len = 0;

	if (!rs)
		return 0;
	do {
		/*
		 * A round: every ring up to where its producer is now (rings.h).
		 * Only the rings with records take part, and a ring leaves the
		 * round once it has none left (or its head is still being
		 * written), so idle CPUs' rings cost nothing per record.
		 */
		na = 0;
		for (i = 0; i < rs->n; i++) {
			rs->r[i].end = __atomic_load_n(rs->r[i].prod, __ATOMIC_ACQUIRE);
			if (*rs->r[i].cons < rs->r[i].end)
				rs->act[na++] = i;
		}
		round = 0;
		while (na) {
			best = -1;
			best_ts = 0;
			/* The oldest head; the lower ring wins a tie (stable: act stays in order). */
			for (j = 0; j < na;) {
				if (!ring_head(&rs->r[rs->act[j]], &rec, &len)) {
					memmove(&rs->act[j], &rs->act[j + 1],
						(size_t)(na - j - 1) * sizeof(rs->act[0]));
					na--;
					continue;
				}
				ts = rec_ts(rec, len);
				if (best < 0 || ts < best_ts) {
					best = rs->act[j];
					best_ts = ts;
					best_rec = rec;
					best_len = len;
				}
				j++;
			}
			if (best < 0)
				break;
			err = rs->fn(rs->ctx, best_rec, best_len);
			/* Taken before the callback's verdict, as libbpf does. */
			__atomic_store_n(rs->r[best].cons, *rs->r[best].cons + rec_bytes(best_len),
					 __ATOMIC_RELEASE);
			if (err < 0)
				return err;
			round++;
		}
		total += round;
	} while (round);
	return total > 0x7fffffff ? 0x7fffffff : (int)total;
}

int rings_poll(struct rst_rings *rs, int timeout_ms)
{
	struct epoll_event ev[8];

	if (!rs)
		return 0;
	if (epoll_wait(rs->epfd, ev, 8, timeout_ms) < 0)
		return -errno;
	return rings_consume(rs);
}

int rings_epoll_fd(const struct rst_rings *rs)
{
	return rs ? rs->epfd : -1;
}

int rings_count(const struct rst_rings *rs)
{
	return rs ? rs->n : 0;
}
