// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <bpf/bpf.h>

#include "mapread.h"

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
