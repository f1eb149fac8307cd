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
void map_dump_free(struct map_dump *d);

static inline void *map_dump_key(const struct map_dump *d, size_t i)
{
	return (char *)d->keys + i * d->key_size;
}

static inline void *map_dump_val(const struct map_dump *d, size_t i)
{
	return (char *)d->vals + i * d->val_size;
}

/* Entries in a hash map (a full read, values discarded). -errno on failure. */
long map_count_entries(int fd);

/* Kernel-accounted memory of a map or program fd (fdinfo "memlock"), 0 if unknown. */
__u64 fd_memlock(int fd);

#endif
