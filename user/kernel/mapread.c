// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mapread.h"
#include "rsttrace.h"

/* The kernel's "operation not supported" for BPF commands; not in libc. */
#ifndef ENOTSUPP
#define ENOTSUPP 524
#endif

/* Entries asked for per batch call; grows when one hash bucket holds more. */
#define DUMP_CHUNK 8192

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

/*
 * Buffers are mapped, not malloc'ed: they grow by mremap, which moves page
 * tables instead of copying, and each new part is populated before the
 * kernel copies into it, which on a VM saves a page fault per 4 KiB (a
 * third of a first read of 100,000 hosts). Only what the map fills is
 * populated, never its whole capacity.
 */
void *map_buf_resize(void *old, size_t old_len, size_t len)
{
	char *p;

	if (!old)
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	else
		p = mremap(old, old_len, len, MREMAP_MAYMOVE);
	if (p == MAP_FAILED)
		return NULL;
	if (len > old_len)
		madvise(p + old_len, len - old_len, MADV_POPULATE_WRITE); /* best effort */
	return p;
}

static int dump_grow(struct map_dump *d, size_t want)
{
	size_t cap;
	void *k, *v;

	if (want <= d->cap)
		return 0;
	/* Page-table moves are cheap: grow by what is wanted, in whole chunks. */
	cap = (want + DUMP_CHUNK - 1) / DUMP_CHUNK * DUMP_CHUNK;
	k = map_buf_resize(d->keys, d->cap * d->key_size, cap * d->key_size);
	if (!k)
		return -ENOMEM;
	d->keys = k;
	v = map_buf_resize(d->vals, d->cap * d->val_size, cap * d->val_size);
	if (!v) {
		/* Keys already grew: bring them back to the size d->cap says. */
		k = map_buf_resize(d->keys, cap * d->key_size, d->cap * d->key_size);
		if (k)
			d->keys = k;
		return -ENOMEM;
	}
	d->vals = v;
	d->cap = cap;
	return 0;
}

/* The pre-5.6 way: one syscall per key, two per entry. */
static int dump_iterate(int fd, struct map_dump *d, size_t limit)
{
	void *prev = NULL;
	int err;

	d->n = 0;
	for (;;) {
		if (d->n >= limit)
			return 0; /* entries keep coming: stop at a bound */
		err = dump_grow(d, d->n + 1);
		if (err)
			return err;
		if (bpf_map_get_next_key(fd, prev, map_dump_key(d, d->n)))
			return errno == ENOENT ? 0 : -errno;
		prev = map_dump_key(d, d->n);
		/* A key evicted between the two calls is skipped, not an error. */
		if (!bpf_map_lookup_elem(fd, prev, map_dump_val(d, d->n)))
			d->n++;
		else if (errno != ENOENT)
			return -errno;
		else if (d->n == 0)
			prev = NULL;
		else
			prev = map_dump_key(d, d->n - 1);
	}
}

/*
 * The batch walk, into d from entry 0. Without fn every entry stays in d;
 * with fn, d holds one batch at a time and fn sees each.
 */
static int dump_batches(int fd, struct map_dump *d, map_chunk_fn fn, void *ctx)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	/* The batch token of hash maps is a bucket index; keep room to spare. */
	__u64 in_batch[8], out_batch[8];
	size_t chunk = DUMP_CHUNK, limit, total = 0;
	int first = 1, err;
	__u32 count;

	/*
	 * A hash map's batch walk visits each bucket once, so it ends; bound
	 * the loop anyway, far above any map size the options allow.
	 */
	limit = (size_t)1 << 28;
	d->n = 0;
	for (;;) {
		err = dump_grow(d, d->n + chunk);
		if (err)
			return err;
		count = chunk;
		err = bpf_map_lookup_batch(fd, first ? NULL : in_batch, out_batch,
					   map_dump_key(d, d->n), map_dump_val(d, d->n), &count,
					   &bo);
		err = err ? -errno : 0;
		if (err && err != -ENOENT) {
			if (err == -ENOSPC && chunk < ((size_t)1 << 24)) {
				/* One bucket holds more than chunk entries. */
				chunk *= 2;
				continue;
			}
			if (first && (err == -EINVAL || err == -ENOTSUPP || err == -EOPNOTSUPP)) {
				/* No batches: one pass key by key, then one call of fn. */
				err = dump_iterate(fd, d, limit);
				return err || !fn ? err : fn(ctx, d);
			}
			return err;
		}
		d->n += count;
		total += count;
		if (fn && d->n) {
			int fn_err = fn(ctx, d);

			if (fn_err)
				return fn_err;
			d->n = 0;
		}
		if (err == -ENOENT || total >= limit)
			return 0;
		memcpy(in_batch, out_batch, sizeof(in_batch));
		first = 0;
	}
}

static void dump_sizes(struct map_dump *d, __u32 key_size, __u32 val_size)
{
	if (d->key_size != key_size || d->val_size != val_size) {
		map_dump_free(d);
		d->key_size = key_size;
		d->val_size = val_size;
	}
}

int map_dump_read(int fd, __u32 key_size, __u32 val_size, struct map_dump *d)
{
	dump_sizes(d, key_size, val_size);
	return dump_batches(fd, d, NULL, NULL);
}

int map_dump_each(int fd, __u32 key_size, __u32 val_size, struct map_dump *d, map_chunk_fn fn,
		  void *ctx)
{
	dump_sizes(d, key_size, val_size);
	return dump_batches(fd, d, fn, ctx);
}

void map_dump_free(struct map_dump *d)
{
	if (d->keys)
		munmap(d->keys, d->cap * d->key_size);
	if (d->vals)
		munmap(d->vals, d->cap * d->val_size);
	d->keys = NULL;
	d->vals = NULL;
	d->n = 0;
	d->cap = 0;
}

long map_count_entries(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct map_dump d = {};
	long ret;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	ret = map_dump_read(fd, info.key_size, info.value_size, &d);
	if (!ret)
		ret = (long)d.n;
	map_dump_free(&d);
	return ret;
}

__u64 fd_memlock(int fd)
{
	char path[64], line[256];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* ---- the per-CPU host and flow tables ---- */

/* Sets read per batch call: about 4 MiB of per-CPU values at most. */
#define TABLE_BUF_BYTES (4U << 20)

struct table_kind {
	__u32 set_size;	 /* bytes of one set (the map's value) */
	__u32 hdr_size;	 /* bytes before the set's first line (its tag header, if any) */
	__u32 line_size; /* bytes of one line */
	__u32 ways;
	__u32 key_size; /* what readers get */
	__u32 val_size;
	/* The reader's key of a line; 0 if the way is free. */
	int (*key_of)(const void *line, void *key);
	/* Add a line into a reader's value (first: the value is fresh). */
	void (*merge)(void *val, const void *line, int first, __u64 now_t);
};

/* A line's tick (32 bits) as CLOCK_MONOTONIC ns, unwrapped against now_t. */
static __u64 tick_ns(__u32 t, __u64 now_t)
{
	__s32 back = (__s32)((__u32)now_t - t);

	return (now_t - (__s64)back) << RST_TICK_SHIFT;
}

static __u64 now_ticks(void)
{
	struct timespec ts;

	/* The programs read the coarse clock (bpf_ktime_get_coarse_ns). */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ((__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec) >> RST_TICK_SHIFT;
}

/* A host key (zero padding, as the readers compare keys whole); 0 for a free way. */
static int addr_key(const __u8 *addr, __u8 family, struct rst_host_key *k)
{
	if (!family)
		return 0;
	memset(k, 0, sizeof(*k));
	memcpy(k->addr, addr, 16);
	k->family = family;
	return 1;
}

static int host_key_of(const void *line, void *key)
{
	const struct rst_host_line *l = line;

	return addr_key(l->addr, l->family, key);
}

static void host_merge(void *val, const void *line, int first, __u64 now_t)
{
	const struct rst_host_line *l = line;
	struct rst_host_val *v = val;
	__u64 f = tick_ns(l->first_t, now_t), t = tick_ns(l->last_t, now_t);

	if (first) {
		memset(v, 0, sizeof(*v));
		v->first_ns = f;
		v->last_ns = t;
	}
	if (f < v->first_ns)
		v->first_ns = f;
	if (t > v->last_ns)
		v->last_ns = t;
	v->rst_in += l->rst_in;
	v->rst_out += l->rst_out;
	v->syn_in += l->syn_in;
	v->syn_out += l->syn_out;
	v->fin_in += l->fin_in;
	v->fin_out += l->fin_out;
}

static int flow_key_of(const void *line, void *key)
{
	const struct rst_flow_line *l = line;
	struct rst_flow_key *k = key;

	if (!l->family)
		return 0;
	memset(k, 0, sizeof(*k));
	memcpy(k->addr_a, l->addr_a, 16);
	memcpy(k->addr_b, l->addr_b, 16);
	k->port_a = l->port_a;
	k->port_b = l->port_b;
	k->family = l->family;
	k->proto = 6; /* IPPROTO_TCP */
	return 1;
}

static void flow_merge(void *val, const void *line, int first, __u64 now_t)
{
	const struct rst_flow_line *l = line;
	struct rst_flow_val *v = val;
	__u64 f = tick_ns(l->first_t, now_t), t = tick_ns(l->last_t, now_t);
	int d;

	if (first) {
		memset(v, 0, sizeof(*v));
		v->first_ns = f;
		v->last_ns = 0;
	}
	if (f < v->first_ns)
		v->first_ns = f;
	/* The CPU that saw the flow last has its interface and TTLs. */
	if (t >= v->last_ns) {
		v->last_ns = t;
		v->ifindex = l->ifindex;
		for (d = 0; d < 2; d++)
			if (l->ttl[d])
				v->ttl[d] = l->ttl[d];
	}
	for (d = 0; d < 2; d++) {
		v->syn[d] += l->syn[d];
		v->synack[d] += l->synack[d];
		v->fin[d] += l->fin[d];
		v->rst[d] += l->rst[d];
		v->rstack[d] += l->rstack[d];
		if (!v->ttl[d])
			v->ttl[d] = l->ttl[d];
		/* A side's SYN or SYN-ACK is on the CPU that saw it: its ISN from there. */
		if (l->hs & (RST_HS_SYN(d) | RST_HS_SYNACK(d)))
			v->isn[d] = l->isn[d];
	}
	v->hs |= l->hs;
}

/* A line of the per-host fate table (bpf/fate.bpf.h): sets without a tag header. */
static int fate_key_of(const void *line, void *key)
{
	const struct rst_fate_host_line *l = line;

	return addr_key(l->addr, l->family, key);
}

static void fate_merge(void *val, const void *line, int first, __u64 now_t)
{
	const struct rst_fate_host_line *l = line;
	struct rst_fate_host *v = val;
	int f;

	(void)now_t;
	if (first)
		memset(v, 0, sizeof(*v));
	for (f = 0; f < RST_FATE_MAX; f++)
		v->fate[f] += l->fate[f];
}

static const struct table_kind fate_kind = {
	.set_size = sizeof(struct rst_fate_host_set),
	.hdr_size = 0,
	.line_size = sizeof(struct rst_fate_host_line),
	.ways = RST_FATE_HOST_WAYS,
	.key_size = sizeof(struct rst_host_key),
	.val_size = sizeof(struct rst_fate_host),
	.key_of = fate_key_of,
	.merge = fate_merge,
};

static const struct table_kind host_kind = {
	.set_size = sizeof(struct rst_host_set),
	.hdr_size = sizeof(struct rst_set_hdr),
	.line_size = sizeof(struct rst_host_line),
	.ways = RST_HOST_WAYS,
	.key_size = sizeof(struct rst_host_key),
	.val_size = sizeof(struct rst_host_val),
	.key_of = host_key_of,
	.merge = host_merge,
};

static const struct table_kind flow_kind = {
	.set_size = sizeof(struct rst_flow_set),
	.hdr_size = sizeof(struct rst_set_hdr),
	.line_size = sizeof(struct rst_flow_line),
	.ways = RST_FLOW_WAYS,
	.key_size = sizeof(struct rst_flow_key),
	.val_size = sizeof(struct rst_flow_val),
	.key_of = flow_key_of,
	.merge = flow_merge,
};

static int table_info(int fd, const struct table_kind *tk, struct bpf_map_info *mi)
{
	__u32 len = sizeof(*mi);

	memset(mi, 0, len);
	if (bpf_obj_get_info_by_fd(fd, mi, &len))
		return -errno;
	if (mi->type != BPF_MAP_TYPE_PERCPU_ARRAY || mi->key_size != 4 ||
	    mi->value_size != tk->set_size || !mi->max_entries)
		return -EPROTO;
	return 0;
}

/*
 * The lines of one set on every CPU (vals: ncpu sets, 8-byte aligned as
 * the kernel lays out per-CPU values) merged by key into d from d->n on.
 * Lines of one key share the set, so only this set's new entries are
 * searched.
 */
static int set_merge(const struct table_kind *tk, const char *vals, int ncpu, struct map_dump *d,
		     __u64 now_t)
{
	size_t base = d->n, j;
	__u8 key[64];
	int cpu;
	__u32 w;

	for (cpu = 0; cpu < ncpu; cpu++) {
		/* The lines follow the set's header of tags, where it has one. */
		const char *set = vals + (size_t)cpu * ((tk->set_size + 7) & ~7U) + tk->hdr_size;

		for (w = 0; w < tk->ways; w++) {
			const char *line = set + (size_t)w * tk->line_size;

			if (!tk->key_of(line, key))
				continue;
			for (j = base; j < d->n; j++)
				if (!memcmp(map_dump_key(d, j), key, tk->key_size))
					break;
			if (j == d->n) {
				int err = dump_grow(d, d->n + 1);

				if (err)
					return err;
				memcpy(map_dump_key(d, j), key, tk->key_size);
				d->n++;
				tk->merge(map_dump_val(d, j), line, 1, now_t);
			} else {
				tk->merge(map_dump_val(d, j), line, 0, now_t);
			}
		}
	}
	return 0;
}

/* Bytes of sets (all CPUs) one batch reads; 0: TABLE_BUF_BYTES. Tests set it small. */
static size_t table_buf_bytes;

void tables_batch_bytes(size_t bytes)
{
	table_buf_bytes = bytes;
}

static int table_each(int fd, const struct table_kind *tk, struct map_dump *d, map_chunk_fn fn,
		      void *ctx)
{
	int ncpu = libbpf_num_possible_cpus(), err = 0;
	struct bpf_map_info mi;
	__u32 per, n, i, first, *keys;
	size_t stride;
	char *vals;
	__u64 now_t = now_ticks();

	if (ncpu < 1)
		return ncpu < 0 ? ncpu : -EINVAL;
	err = table_info(fd, tk, &mi);
	if (err)
		return err;
	dump_sizes(d, tk->key_size, tk->val_size);
	d->n = 0;
	stride = (size_t)ncpu * ((tk->set_size + 7) & ~7U);
	per = (table_buf_bytes ? table_buf_bytes : TABLE_BUF_BYTES) / stride;
	if (per < 1)
		per = 1;
	if (per > mi.max_entries)
		per = mi.max_entries;
	keys = calloc(per, sizeof(*keys));
	vals = malloc(per * stride);
	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	for (first = 0; first < mi.max_entries; first += n) {
		LIBBPF_OPTS(bpf_map_batch_opts, bo);
		__u32 in = first - 1, out_b, cnt;

		n = mi.max_entries - first < per ? mi.max_entries - first : per;
		cnt = n;
		/*
		 * An array's batch token is the last index read: the kernel's
		 * generic batch walk starts after it (map_get_next_key). A
		 * token of "first" skipped set first of every batch but the
		 * first one (2-4 SYNs of a 400,000-SYN flood missing from the
		 * flows' sums, found by the bench's conservation check).
		 */
		if (bpf_map_lookup_batch(fd, first ? &in : NULL, &out_b, keys, vals, &cnt, &bo) &&
		    errno != ENOENT) {
			err = -errno;
			if (first || (err != -EINVAL && err != -ENOTSUPP && err != -EOPNOTSUPP))
				goto out;
			/* No batches (before 5.6): one set at a time. */
			for (cnt = 0; cnt < n; cnt++) {
				keys[cnt] = first + cnt;
				if (bpf_map_lookup_elem(fd, &keys[cnt], vals + cnt * stride)) {
					err = -errno;
					goto out;
				}
			}
			err = 0;
		}
		if (!cnt)
			break;
		n = cnt;
		for (i = 0; i < cnt; i++) {
			err = set_merge(tk, vals + i * stride, ncpu, d, now_t);
			if (err)
				goto out;
		}
		if (fn && d->n) {
			err = fn(ctx, d);
			if (err)
				goto out;
			d->n = 0;
		}
	}
out:
	free(keys);
	free(vals);
	return err;
}

int hosts_dump_each(int fd, struct map_dump *d, map_chunk_fn fn, void *ctx)
{
	return table_each(fd, &host_kind, d, fn, ctx);
}

int hosts_dump_read(int fd, struct map_dump *d)
{
	return table_each(fd, &host_kind, d, NULL, NULL);
}

int flows_dump_each(int fd, struct map_dump *d, map_chunk_fn fn, void *ctx)
{
	return table_each(fd, &flow_kind, d, fn, ctx);
}

int flows_dump_read(int fd, struct map_dump *d)
{
	return table_each(fd, &flow_kind, d, NULL, NULL);
}

int fate_hosts_dump_read(int fd, struct map_dump *d)
{
	return table_each(fd, &fate_kind, d, NULL, NULL);
}

/*
 * The tables' hash seed, for lookups of one key (struct rst_config.hash_seed):
 * taken from the settings map whenever a set of maps is opened
 * (maps_from_skel, maps_check_layout), so lookups follow the datapath read last.
 */
static __u32 tables_seed;

void tables_seed_from(int settings_fd)
{
	struct rst_config cfg;
	__u32 zero = 0;

	if (settings_fd >= 0 && !bpf_map_lookup_elem(settings_fd, &zero, &cfg))
		tables_seed = cfg.hash_seed;
}

/* One set on every CPU, merged; then the entry of key k, if any. */
static int table_lookup(int fd, const struct table_kind *tk, __u32 hash, const void *k, void *v)
{
	int ncpu = libbpf_num_possible_cpus(), err;
	struct map_dump d = {};
	struct bpf_map_info mi;
	char *vals;
	__u32 idx;
	size_t i;

	if (ncpu < 1)
		return ncpu < 0 ? ncpu : -EINVAL;
	err = table_info(fd, tk, &mi);
	if (err)
		return err;
	idx = hash & (mi.max_entries - 1);
	vals = malloc((size_t)ncpu * ((tk->set_size + 7) & ~7U));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &idx, vals)) {
		err = -errno;
		goto out;
	}
	dump_sizes(&d, tk->key_size, tk->val_size);
	err = set_merge(tk, vals, ncpu, &d, now_ticks());
	if (err)
		goto out;
	err = -ENOENT;
	for (i = 0; i < d.n; i++) {
		if (!memcmp(map_dump_key(&d, i), k, tk->key_size)) {
			memcpy(v, map_dump_val(&d, i), tk->val_size);
			err = 0;
			break;
		}
	}
out:
	map_dump_free(&d);
	free(vals);
	return err;
}

int host_lookup(int fd, const struct rst_host_key *k, struct rst_host_val *v)
{
	__u32 a[4];

	memcpy(a, k->addr, 16);
	return table_lookup(fd, &host_kind, rst_host_hash(a, k->family, tables_seed), k, v);
}

int flow_lookup(int fd, const struct rst_flow_key *k, struct rst_flow_val *v)
{
	__u32 a[4], b[4];

	memcpy(a, k->addr_a, 16);
	memcpy(b, k->addr_b, 16);
	return table_lookup(fd, &flow_kind,
			    rst_flow_hash(a, b, k->port_a, k->port_b, k->family, tables_seed), k,
			    v);
}

__u64 table_capacity(int fd)
{
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi), line;
	int ncpu = libbpf_num_possible_cpus();

	if (ncpu < 1 || bpf_obj_get_info_by_fd(fd, &mi, &len))
		return 0;
	line = mi.value_size == sizeof(struct rst_host_set)   ? RST_HOST_WAYS
	       : mi.value_size == sizeof(struct rst_flow_set) ? RST_FLOW_WAYS
							      : 1;
	return (__u64)mi.max_entries * line * ncpu;
}

long hosts_count(int fd)
{
	struct map_dump d = {};
	long ret = hosts_dump_read(fd, &d);

	if (!ret)
		ret = (long)d.n;
	map_dump_free(&d);
	return ret;
}

long flows_count(int fd)
{
	struct map_dump d = {};
	long ret = flows_dump_read(fd, &d);

	if (!ret)
		ret = (long)d.n;
	map_dump_free(&d);
	return ret;
}
