// SPDX-License-Identifier: GPL-2.0
/* Following a persistent attachment over time (pinfollow.h). */
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "persist.h"
#include "pinfollow.h"

__u32 map_id_of(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

__u32 pinned_counters_id(const char *pin)
{
	char path[PATH_MAX];
	__u32 id;
	int fd;

	snprintf(path, sizeof(path), "%s/maps/%s", pin ? pin : RST_PIN_DEFAULT,
		 pin_map_names[PM_COUNTERS]);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	id = map_id_of(fd);
	close(fd);
	return id;
}

enum pin_state pin_follow_check(const char *pin, int counters_fd)
{
	__u32 id = pinned_counters_id(pin);

	if (!id)
		return PIN_GONE;
	/* Ids are never reused while a map lives, and ours lives: we hold it. */
	return id == map_id_of(counters_fd) ? PIN_SAME : PIN_NEW;
}
