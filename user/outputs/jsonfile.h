/* SPDX-License-Identifier: GPL-2.0 */
/*
 * serve --json-out FILE: JSON lines (json.h) appended to a file, rotated
 * as pcap's -C SIZE -W COUNT (pcapout.h): once the file is over SIZE bytes
 * the next one of the ring FILE0 .. FILE(COUNT-1) is started, emptied, so
 * that the disk used is at most COUNT x (SIZE + one line). A line that
 * cannot be written (disk full, an I/O error) is dropped and counted; the
 * first failure of a run is said, one line, and the file is reopened at
 * the next rotation. Functions return 0 or -errno.
 */
#ifndef RST_JSONFILE_H
#define RST_JSONFILE_H

#include <limits.h>
#include <stddef.h>
#include <linux/types.h>

struct jsonfile {
	char name[PATH_MAX + 1]; /* FILE as given */
	char cur[PATH_MAX + 1];	 /* the file being written */
	__u64 size_limit;
	__u32 count;
	__u32 idx; /* of cur in the ring */
	int wchars;
	int fd;
	__u64 size; /* of cur */
	__u64 written, dropped, files;
	int err; /* errno of the last failure; 0 none */
};

/* Open the first file (FILE0), printing why it failed. */
int jsonfile_open(struct jsonfile *j, const char *name, __u64 size_limit, __u32 count);
/* One line, whole; rotating after it when the file went over the size. */
int jsonfile_write(struct jsonfile *j, const char *line, size_t len);
void jsonfile_close(struct jsonfile *j);

#endif
