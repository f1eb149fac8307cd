// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jsonfile.h"
#include "log.h"
#include "pcapout.h"

static int open_idx(struct jsonfile *j, __u32 idx)
{
	int err, fd;

	err = pcapw_filename(j->cur, sizeof(j->cur), j->name, 0, 0, idx, j->wchars);
	if (err)
		return err;
	/* Never through a symbolic link; the ring's old file is emptied. */
	fd = open(j->cur, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	if (j->fd >= 0)
		close(j->fd);
	j->fd = fd;
	j->idx = idx;
	j->size = 0;
	j->files++;
	return 0;
}

int jsonfile_open(struct jsonfile *j, const char *name, __u64 size_limit, __u32 count)
{
	__u32 n;
	int err;

	memset(j, 0, sizeof(*j));
	j->fd = -1;
	if (!name || !*name || strlen(name) >= sizeof(j->name))
		return -EINVAL;
	snprintf(j->name, sizeof(j->name), "%s", name);
	j->size_limit = size_limit;
	j->count = count ? count : 1;
	/* As tcpdump numbers a -W ring: as many digits as COUNT-1 has. */
	for (n = j->count - 1; n > 0; n /= 10)
		j->wchars++;
	err = open_idx(j, 0);
	if (err)
		pr_warn("--json-out %s: %s", j->cur[0] ? j->cur : name, strerror(-err));
	return err;
}

int jsonfile_write(struct jsonfile *j, const char *line, size_t len)
{
	ssize_t n;
	int err;

	n = j->fd >= 0 ? write(j->fd, line, len) : -1;
	if (n == (ssize_t)len) {
		j->size += len;
		j->written++;
		if (j->size_limit && j->size > j->size_limit) {
			err = open_idx(j, (j->idx + 1) % j->count);
			if (err && !j->err)
				pr_warn("--json-out %s: %s; lines are dropped until it can be "
					"written",
					j->cur, strerror(-err));
			if (err)
				j->err = -err;
		}
		return 0;
	}
	/* A short write leaves a cut line: the next one starts a file of its own. */
	err = n < 0 ? (errno ? -errno : -EBADF) : -ENOSPC;
	j->dropped++;
	if (!j->err)
		pr_warn("--json-out %s: %s; lines are dropped and counted until it can be written",
			j->cur, strerror(-err));
	j->err = -err;
	if (n > 0 || j->fd < 0)
		open_idx(j, (j->idx + 1) % j->count);
	return err;
}

void jsonfile_close(struct jsonfile *j)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
}
