// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/types.h>

#include "log.h"
#include "rundir.h"

/*
 * persist.c checks a pin path the same way, but on bpffs and with its own
 * hints; this is the plain-filesystem walk for /run.
 */
static int refused(int fd, const char *path, int last, int quiet)
{
	uid_t me = geteuid();
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (st.st_uid != me && st.st_uid != 0) {
		if (!quiet)
			pr_warn("%s: owned by uid %u, not root: refusing (remove it or use "
				"--run-dir)",
				path, (unsigned)st.st_uid);
		return -EPERM;
	}
	/* An ancestor writable by others is safe only sticky (/tmp): no one renames ours. */
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && (last || !(st.st_mode & S_ISVTX))) {
		if (!quiet)
			pr_warn("%s: mode %04o lets other users write in it: refusing (chmod "
				"go-w it, or use --run-dir)",
				path, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	if (last && st.st_uid != me) {
		if (!quiet)
			pr_warn("%s: owned by uid %u, not %u: refusing (use --run-dir)", path,
				(unsigned)st.st_uid, (unsigned)me);
		return -EPERM;
	}
	return 0;
}

int rundir_open(const char *dir, int create, int quiet)
{
	char sofar[4096] = "", name[256];
	const char *s, *e;
	int fd, nfd, err;
	size_t n;

	if (dir[0] != '/' || strstr(dir, "/../") || !strcmp(dir, "/") ||
	    strlen(dir) >= sizeof(sofar) - 1) {
		if (!quiet)
			pr_warn("invalid --run-dir '%s': need an absolute path without ..", dir);
		return -EINVAL;
	}
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (s = dir + 1; *s; s = *e ? e + 1 : e) {
		e = strchrnul(s, '/');
		n = (size_t)(e - s);
		if (!n || (n == 1 && *s == '.'))
			continue;
		if (n >= sizeof(name) || (n == 2 && !memcmp(s, "..", 2))) {
			close(fd);
			return -EINVAL;
		}
		memcpy(name, s, n);
		name[n] = '\0';
		snprintf(sofar + strlen(sofar), sizeof(sofar) - strlen(sofar), "/%s", name);
		nfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		err = nfd < 0 ? -errno : 0;
		/* Only the last component is ever made: /run itself is the system's. */
		if (err == -ENOENT && create && !*e) {
			err = mkdirat(fd, name, 0700) && errno != EEXIST ? -errno : 0;
			if (!err) {
				nfd = openat(fd, name,
					     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				err = nfd < 0 ? -errno : 0;
			}
		}
		if (err) {
			if (!quiet && err != -ENOENT)
				pr_warn("%s: %s: refusing", sofar,
					err == -ELOOP || err == -ENOTDIR
						? "a symbolic link or not a directory"
						: strerror(-err));
			close(fd);
			return err;
		}
		close(fd);
		fd = nfd;
		err = refused(fd, sofar, !*e || !e[1], quiet);
		if (err) {
			close(fd);
			return err;
		}
	}
	return fd;
}

int rundir_name(char *buf, size_t len, const char *pin_path, const char *suffix)
{
	const char *base = strrchr(pin_path, '/');
	size_t dlen = base ? (size_t)(base - pin_path) : 0;
	__u32 h = 2166136261u;
	const char *p;
	int n;

	base = base ? base + 1 : pin_path;
	if (dlen == strlen("/sys/fs/bpf") && !strncmp(pin_path, "/sys/fs/bpf", dlen)) {
		n = snprintf(buf, len, "%.80s%s", base, suffix);
	} else {
		/* FNV-1a: not a secret, only two paths that must not meet. */
		for (p = pin_path; *p; p++) {
			h ^= (unsigned char)*p;
			h *= 16777619u;
		}
		n = snprintf(buf, len, "%.80s-%08x%s", base, h, suffix);
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int rundir_fd_path(char *buf, size_t len, int dir_fd, const char *name)
{
	int n = snprintf(buf, len, "/proc/self/fd/%d/%s", dir_fd, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
