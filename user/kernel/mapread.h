/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading a whole hash map in few system calls: batch lookups where the
 * kernel has them (5.6+), key-by-key iteration otherwise. The buffers of
 * a struct map_dump are kept between reads, so a refreshing reader (top)
 * allocates only when the map grows.
 */
#ifndef RST_MAPREAD_H
#define RST_MAPREAD_H

#include <stddef.h>
#include <linux/types.h>

struct map_dump {
	void *keys;
	void *vals;
	size_t n;   /* entries read */
	size_t cap; /* entries the buffers hold */
	__u32 key_size;
	__u32 val_size;
};

/*
 * Read every entry of the hash map fd into d (key and value sizes must be
 * the map's). Returns 0 or -errno; d->n is the count.
 */
int map_dump_read(int fd, __u32 key_size, __u32 val_size, struct map_dump *d);

/* Called with each batch of entries (chunk->n of them); 0, or -errno to stop. */
typedef int (*map_chunk_fn)(void *ctx, const struct map_dump *chunk);

/*
 * Read every entry of the hash map fd a batch at a time, calling fn on
 * each: d then holds one batch (a few thousand entries) and is reused for
 * the next, so reading a large map costs a few hundred KiB of memory, which
 * stays mapped and in cache, instead of fresh memory for all of it (on a
 * VM, first touches by the kernel's copy and by the reader cost more than
 * the read: bench/OPTIMIZATIONS.md). Returns 0, fn's error or -errno.
 */
int map_dump_each(int fd, __u32 key_size, __u32 val_size, struct map_dump *d, map_chunk_fn fn,
		  void *ctx);
void map_dump_free(struct map_dump *d);

static inline void *map_dump_key(const struct map_dump *d, size_t i)
{
	return (char *)d->keys + i * d->key_size;
}

static inline void *map_dump_val(const struct map_dump *d, size_t i)
{
	return (char *)d->vals + i * d->val_size;
}

/*
 * The buffers behind a map_dump, for other large arrays a reader fills:
 * an anonymous mapping grown from old_len to len bytes (old NULL: a new
 * one), by mremap, with the new part populated in one call rather than a
 * page fault per 4 KiB. NULL on failure, old then still valid. Free with
 * munmap(p, len).
 */
void *map_buf_resize(void *old, size_t old_len, size_t len);

/* Entries in a hash map (a full read, values discarded). -errno on failure. */
long map_count_entries(int fd);

/* Kernel-accounted memory of a map or program fd (fdinfo "memlock"), 0 if unknown. */
__u64 fd_memlock(int fd);

/*
 * The host and flow tables (per-CPU arrays of sets of lines, see
 * include/rsttrace.h), merged over every CPU into one entry per key, in
 * the shape readers use: struct rst_host_key / rst_host_val and struct
 * rst_flow_key / rst_flow_val (times unwrapped to CLOCK_MONOTONIC ns,
 * to the tick). The *_each forms call fn once per batch of sets; a key
 * is in one set on every CPU, so it is merged whole within one batch.
 * Return 0, fn's error or -errno.
 */
int hosts_dump_each(int fd, struct map_dump *d, map_chunk_fn fn, void *ctx);
int hosts_dump_read(int fd, struct map_dump *d);
int flows_dump_each(int fd, struct map_dump *d, map_chunk_fn fn, void *ctx);
/* The per-host fate table the same way: struct rst_host_key / struct rst_fate_host. */
int fate_hosts_dump_read(int fd, struct map_dump *d);
int flows_dump_read(int fd, struct map_dump *d);

struct rst_host_key;
struct rst_host_val;
struct rst_flow_key;
struct rst_flow_val;

/* Bytes of sets one batch of the table reads read (0: the default); for tests. */
void tables_batch_bytes(size_t bytes);
/* Take the tables' hash seed from a settings map for the lookups below. */
void tables_seed_from(int settings_fd);
/* One key's entry, merged over CPUs: 0, -ENOENT when no CPU has it, or -errno. */
int host_lookup(int fd, const struct rst_host_key *k, struct rst_host_val *v);
int flow_lookup(int fd, const struct rst_flow_key *k, struct rst_flow_val *v);

/* Lines a table holds on all CPUs together (sets x ways x CPUs); 0 if unknown. */
__u64 table_capacity(int fd);
/* Distinct keys in the host or flow table (a full merged read); -errno on failure. */
long hosts_count(int fd);
long flows_count(int fd);
#endif
