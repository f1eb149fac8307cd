/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The runtime directory of the event fan-out (/run/rsttrace or --run-dir):
 * opened one component at a time without following a symbolic link, every
 * ancestor root's (or the caller's) and writable by no one else unless
 * sticky, the directory itself the caller's and closed to group and
 * others for writing. Below it, names are reached only relative to the
 * checked fd, so no one but root can put a socket or a lock there that a
 * consumer or a subscriber would trust. Functions print their own one-line
 * errors (unless quiet) and return an fd or -errno.
 */
#ifndef RST_RUNDIR_H
#define RST_RUNDIR_H

#include <stddef.h>

#define RST_RUN_DIR_DEFAULT "/run/rsttrace"

/* Open dir checked; with create, a missing last component is made 0700. */
int rundir_open(const char *dir, int create, int quiet);

/*
 * The name of the fan-out files of the attachment pinned at pin_path, with
 * suffix (".sock", ".lock"): the pin directory's name, and when it is not
 * directly under /sys/fs/bpf a hash of the whole path after it, so that
 * two attachments never share a socket. -ENAMETOOLONG when it does not fit.
 */
int rundir_name(char *buf, size_t len, const char *pin_path, const char *suffix);

/* "/proc/self/fd/DIRFD/NAME": a path to NAME below the checked fd (bind, connect). */
int rundir_fd_path(char *buf, size_t len, int dir_fd, const char *name);

#endif
