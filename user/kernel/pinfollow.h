/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Following a persistent attachment over time. A reader that keeps the
 * pinned maps open (serve, top) holds maps that outlive a `detach --all`:
 * they stop counting, and a new `attach` pins new ones. Comparing the id of
 * the counters map pinned now with the one held tells the reader which of
 * the three it is looking at.
 */
#ifndef RST_PINFOLLOW_H
#define RST_PINFOLLOW_H

#include <linux/types.h>

enum pin_state {
	PIN_SAME, /* the maps held are the ones pinned */
	PIN_GONE, /* nothing pinned any more: detached */
	PIN_NEW,  /* other maps pinned: detached and attached again */
};

/* Id of the map open as fd; 0 when it cannot be asked. */
__u32 map_id_of(int fd);

/* Id of the counters map pinned under pin (NULL: the default) now; 0 when none. */
__u32 pinned_counters_id(const char *pin);

/* Which of the above the maps whose counters map is counters_fd are. */
enum pin_state pin_follow_check(const char *pin, int counters_fd);

#endif
