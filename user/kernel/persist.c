// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "attach.h"
#include "log.h"
#include "netns.h"
#include "persist.h"
#include "tracing.h"
#include "util.h"

#define PIN_BPFFS_ROOT "/sys/fs/bpf"

/* The meta map is a format of its own: other versions read its head. */
_Static_assert(sizeof(struct rst_pin_meta) == 72, "pin ABI: rst_pin_meta");
_Static_assert(__builtin_offsetof(struct rst_pin_meta, abi_version) == 8, "pin ABI: abi_version");

const char *const pin_prog_names[PP_MAX] = {
	[PP_XDP] = "rst_xdp",
	[PP_TC_IN] = "rst_tc_ingress",
	[PP_TC_OUT] = "rst_tc_egress",
};

static const char *const kind_names[PK_MAX] = {
	[PK_XDP_NATIVE] = "xdp_native", [PK_XDP_GENERIC] = "xdp_generic", [PK_TCX_IN] = "tcx_in",
	[PK_TCX_OUT] = "tcx_out",	[PK_CLS_IN] = "cls_in",		  [PK_CLS_OUT] = "cls_out",
};

const char *pin_kind_hook(int kind)
{
	if (kind == PK_XDP_NATIVE || kind == PK_XDP_GENERIC)
		return "xdp";
	if (kind == PK_TCX_IN || kind == PK_TCX_OUT)
		return "tcx";
	return "cls_bpf";
}

const char *pin_kind_dir(int kind)
{
	return kind == PK_TCX_OUT || kind == PK_CLS_OUT ? "out" : "in";
}

const char *pin_kind_mode(int kind)
{
	if (kind == PK_XDP_NATIVE)
		return "native";
	if (kind == PK_XDP_GENERIC)
		return "generic";
	return NULL;
}

void persist_init(struct persist *p)
{
	int i;

	memset(p, 0, sizeof(*p));
	p->lock_fd = -1;
	p->dir_fd = -1;
	p->parent_fd = -1;
	for (i = 0; i < PP_MAX; i++)
		p->prog_fd[i] = -1;
	p->trace_fd = -1;
	for (i = 0; i < TR_MAX - 1; i++)
		p->trace_aux_fd[i] = -1;
	maps_init(&p->maps);
	p->maps.owned = 1;
}

static void close_dirs(struct persist *p);

void persist_close(struct persist *p)
{
	int i;

	for (i = 0; i < PP_MAX; i++) {
		if (p->prog_fd[i] >= 0)
			close(p->prog_fd[i]);
		p->prog_fd[i] = -1;
	}
	if (p->trace_fd >= 0)
		close(p->trace_fd);
	p->trace_fd = -1;
	for (i = 0; i < TR_MAX - 1; i++) {
		if (p->trace_aux_fd[i] >= 0)
			close(p->trace_aux_fd[i]);
		p->trace_aux_fd[i] = -1;
	}
	p->maps.owned = 1;
	maps_close(&p->maps);
	p->maps.owned = 1;
	close_dirs(p);
}

/* The longest prefix of path that exists, into buf. */
static void existing_prefix(const char *path, char *buf, size_t len)
{
	struct stat st;
	char *slash;

	snprintf(buf, len, "%s", path);
	while (stat(buf, &st)) {
		slash = strrchr(buf, '/');
		if (!slash || slash == buf) {
			snprintf(buf, len, "/");
			return;
		}
		*slash = '\0';
	}
}

static int is_bpffs(const char *path)
{
	struct statfs sfs;

	return !statfs(path, &sfs) && (unsigned long)sfs.f_type == BPF_FS_MAGIC;
}

static void private_mount_error(const char *path)
{
	char ns[64];
	const char *name = netns_name(netns_self(), ns, sizeof(ns));

	pr_warn("%s is not on the system's bpffs: this process runs in a private "
		"mount namespace (as `ip netns exec` makes), where pins would vanish with it; "
		"run `nsenter --net=/run/netns/%s rsttrace ...` instead",
		path, name ? name : "NAME");
}

/*
 * Syntax of a pin path, normalized into out: absolute, "//" and "."
 * components and trailing slashes dropped, ".." refused. A ".." would
 * let the checks see one directory and the words name another (a
 * trailing "/.." once had the bpffs root chmod-ed 0700).
 */
int persist_path_normalize(const char *path, char *out, size_t len)
{
	const char *s = path, *e, *why = NULL;
	size_t o = 0, n;

	if (path[0] != '/')
		why = "need an absolute path on bpffs";
	while (!why && *s) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		e = strchrnul(s, '/');
		n = (size_t)(e - s);
		if (n == 2 && s[0] == '.' && s[1] == '.')
			why = "'..' is not allowed (name the directory itself)";
		else if (o + n + 2 > len || n > NAME_MAX)
			why = "too long";
		else if (!(n == 1 && s[0] == '.')) {
			out[o++] = '/';
			memcpy(out + o, s, n);
			o += n;
		}
		s = e;
	}
	if (!why && !o)
		why = "'/' cannot hold pins (use a directory below a bpffs mount)";
	if (why) {
		pr_warn("invalid --pin-path '%s': %s", path, why);
		return -EINVAL;
	}
	out[o] = '\0';
	return 0;
}

int persist_path_check(const char *path)
{
	char buf[sizeof(((struct persist *)0)->path)];

	return persist_path_normalize(path, buf, sizeof(buf));
}

/*
 * Whether the directory fd (at path) may hold our pins or lead to them.
 * Whoever owns a directory or may write into it can swap what it holds
 * for a symbolic link between our check and our use, and have us unlink
 * or chmod through it: the pin directory, everything below it and every
 * ancestor must be root's (or the caller's) and writable by nobody else.
 * An ancestor may be writable by others only when sticky (as /sys/fs/bpf,
 * often 1777): then no one else can rename or remove what is ours in it.
 */
static int dir_refused(int fd, const char *path, int ancestor, int quiet)
{
	uid_t me = geteuid();
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	/* Root is trusted by whoever runs rsttrace (a user with CAP_BPF, say). */
	if (st.st_uid != me && st.st_uid != 0) {
		if (!quiet) {
			if (me)
				pr_warn("%s: owned by uid %u, not root or uid %u: "
					"refusing (remove it or use --pin-path)",
					path, (unsigned)st.st_uid, (unsigned)me);
			else
				pr_warn("%s: owned by uid %u, not root: refusing (remove "
					"it or use --pin-path)",
					path, (unsigned)st.st_uid);
		}
		return -EPERM;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(ancestor && (st.st_mode & S_ISVTX))) {
		if (!quiet)
			pr_warn("%s: mode %04o lets other users write in it: refusing "
				"(chmod go-w it, or use --pin-path)",
				path, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

/* openat(dfd, name) as a directory, never through a symbolic link; made 0700 with create. */
static int open_dir_at(int dfd, const char *name, const char *path, int create, int quiet)
{
	struct stat st;
	int fd;

	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(dfd, name, 0700) && errno != EEXIST) {
			fd = -errno;
			if (!quiet)
				pr_warn("creating %s: %s", path, strerror(-fd));
			return fd;
		}
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd >= 0)
		return fd;
	fd = -errno;
	if (fd == -ELOOP || fd == -ENOTDIR) {
		int link = !fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) && S_ISLNK(st.st_mode);

		if (!quiet)
			pr_warn("%s: %s: refusing (remove it or use --pin-path)", path,
				link ? "a symbolic link" : "not a directory");
		return link ? -ELOOP : -ENOTDIR;
	}
	if (fd != -ENOENT && !quiet)
		pr_warn("opening %s: %s", path, strerror(-fd));
	return fd;
}

static void close_dirs(struct persist *p)
{
	if (p->dir_fd >= 0)
		close(p->dir_fd); /* drops the flock */
	if (p->parent_fd >= 0)
		close(p->parent_fd);
	p->dir_fd = p->parent_fd = p->lock_fd = -1;
}

/*
 * Open p->path one component at a time from "/", checking each directory
 * (dir_refused); with create, components missing below a bpffs are made
 * 0700. Then the pin directory must be strictly below a bpffs mount: on a
 * bpffs, as its parent, and not the root of the mount (chmod-ing that to
 * 0700 would lock every other user of bpffs out).
 */
static int walk(struct persist *p, int create, int quiet)
{
	char sofar[sizeof(p->path)] = "", name[NAME_MAX + 1];
	const char *s = p->path + 1, *e;
	struct stat st, pst;
	struct statfs sfs;
	int fd, nfd, err;
	size_t n;

	close_dirs(p);
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		e = strchrnul(s, '/');
		n = (size_t)(e - s);
		memcpy(name, s, n);
		name[n] = '\0';
		snprintf(sofar + strlen(sofar), sizeof(sofar) - strlen(sofar), "/%s", name);
		if (create && (fstatfs(fd, &sfs) || (unsigned long)sfs.f_type != BPF_FS_MAGIC) &&
		    faccessat(fd, name, F_OK, AT_SYMLINK_NOFOLLOW) && errno == ENOENT) {
			if (!quiet)
				pr_warn("%s is not on a bpffs (mount -t bpf bpf DIR, or "
					"use a --pin-path under %s)",
					p->path, PIN_BPFFS_ROOT);
			close(fd);
			return -ENOTDIR;
		}
		nfd = open_dir_at(fd, name, sofar, create, quiet);
		if (nfd < 0) {
			close(fd);
			return nfd;
		}
		if (!*e)
			break; /* checked below, after what it is */
		err = dir_refused(nfd, sofar, 1, quiet);
		if (err) {
			close(nfd);
			close(fd);
			return err;
		}
		close(fd);
		fd = nfd;
		s = e + 1;
	}
	err = 0;
	if (fstatfs(nfd, &sfs) || (unsigned long)sfs.f_type != BPF_FS_MAGIC) {
		if (!quiet && create)
			pr_warn("%s is not on a bpffs (mount -t bpf bpf DIR, or use a "
				"--pin-path under %s)",
				p->path, PIN_BPFFS_ROOT);
		err = create ? -ENOTDIR : -ENOENT;
	} else if (fstat(nfd, &st) || fstat(fd, &pst) || st.st_dev != pst.st_dev ||
		   st.st_ino == pst.st_ino) {
		if (!quiet)
			pr_warn("%s: the root of a bpffs mount: refusing (the pin path "
				"must be a directory below it, e.g. %s/rsttrace)",
				p->path, p->path);
		err = -EISDIR;
	} else {
		err = dir_refused(nfd, p->path, 0, quiet);
	}
	if (err) {
		close(nfd);
		close(fd);
		return err;
	}
	p->dir_fd = nfd;
	p->parent_fd = fd;
	snprintf(p->base, sizeof(p->base), "%s", name);
	return 0;
}

int persist_prepare(struct persist *p, const char *path, int mode)
{
	char prefix[PATH_MAX], outer[PATH_MAX + 64];
	int err, bpf, quiet = mode & PERSIST_QUIET;
	struct stat mine, theirs;
	pid_t opid;

	err = persist_path_normalize(path, p->path, sizeof(p->path));
	if (err) {
		p->path[0] = '\0';
		return err;
	}
	existing_prefix(p->path, prefix, sizeof(prefix));
	bpf = is_bpffs(prefix);
	opid = mntns_outer_pid();
	if (opid) {
		/*
		 * A private mount namespace is fine as long as the bpffs we see
		 * is the very one outside (same device): `unshare -m` copies
		 * the mount, `ip netns exec` replaces /sys with a fresh sysfs.
		 */
		snprintf(outer, sizeof(outer), "/proc/%d/root%s", (int)opid, prefix);
		if (!bpf || stat(prefix, &mine) || stat(outer, &theirs) ||
		    mine.st_dev != theirs.st_dev) {
			if (!quiet)
				private_mount_error(p->path);
			return -EXDEV;
		}
	}
	if (!bpf) {
		if (!(mode & PERSIST_CREATE))
			return -ENOENT;
		if (strncmp(p->path, PIN_BPFFS_ROOT "/", sizeof(PIN_BPFFS_ROOT)) ||
		    strcmp(prefix, PIN_BPFFS_ROOT)) {
			pr_warn("%s is not on a bpffs (mount -t bpf bpf DIR, or use a "
				"--pin-path under %s)",
				p->path, PIN_BPFFS_ROOT);
			return -ENOTDIR;
		}
		if (mount("bpf", PIN_BPFFS_ROOT, "bpf", 0, "mode=0700")) {
			err = -errno;
			pr_warn("mounting bpffs on %s: %s (mount -t bpf bpf %s)", PIN_BPFFS_ROOT,
				strerror(-err), PIN_BPFFS_ROOT);
			return err;
		}
		pr_info("mounted bpffs on %s", PIN_BPFFS_ROOT);
	}
	p->create = !!(mode & PERSIST_CREATE);
	if (p->create)
		umask(077);
	err = walk(p, p->create, quiet);
	/* Ours and writable by no one else (checked): 0700 as documented. */
	if (!err && p->create && fchmod(p->dir_fd, 0700)) {
		err = -errno;
		pr_warn("chmod 0700 %s: %s", p->path, strerror(-err));
	}
	return err;
}

int persist_lock(struct persist *p)
{
	struct stat st;
	int tries, err;

	for (tries = 0; tries < 3; tries++) {
		if (p->dir_fd < 0)
			return -EBADF;
		if (flock(p->dir_fd, LOCK_EX)) {
			err = -errno;
			pr_warn("locking %s: %s", p->path, strerror(-err));
			return err;
		}
		/* A detach --all that held the lock may have removed the directory. */
		if (!fstat(p->dir_fd, &st) && st.st_nlink > 0) {
			p->lock_fd = p->dir_fd;
			return 0;
		}
		err = walk(p, p->create, 0);
		if (err)
			return err;
	}
	pr_warn("locking %s: removed again and again while waiting", p->path);
	return -EAGAIN;
}

/* What kind of BPF object fd is, by the name of its anonymous inode. */
static int obj_kind(int fd)
{
	char path[64], buf[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return 0;
	buf[n] = '\0';
	if (!strcmp(buf, "anon_inode:bpf-map"))
		return PO_MAP;
	if (!strcmp(buf, "anon_inode:bpf-prog"))
		return PO_PROG;
	/* "bpf_link" when made, "bpf-link" when opened from a pin or an id */
	if (!strcmp(buf, "anon_inode:bpf-link") || !strcmp(buf, "anon_inode:bpf_link"))
		return PO_LINK;
	return 0;
}

/*
 * Open the directory REL below the pin directory, each component checked
 * like the pin directory; create makes missing ones 0700. "" is a new fd
 * of the pin directory itself.
 */
static int rel_open(const struct persist *p, const char *rel, int create, int quiet)
{
	char path[PATH_MAX], name[NAME_MAX + 1];
	const char *s = rel, *e;
	struct stat st, top;
	int fd, nfd, err;
	size_t n;

	if (p->dir_fd < 0)
		return -EBADF;
	fd = openat(p->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(path, sizeof(path), "%s", p->path);
	while (*s) {
		e = strchrnul(s, '/');
		n = (size_t)(e - s);
		if (!n || n > NAME_MAX) {
			close(fd);
			return -EINVAL;
		}
		memcpy(name, s, n);
		name[n] = '\0';
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%s", name);
		nfd = open_dir_at(fd, name, path, create, quiet);
		close(fd);
		if (nfd < 0)
			return nfd;
		err = dir_refused(nfd, path, 0, quiet);
		/* Still the pin directory's bpffs: nothing mounted over a subdirectory. */
		if (!err &&
		    (fstat(nfd, &st) || fstat(p->dir_fd, &top) || st.st_dev != top.st_dev)) {
			if (!quiet)
				pr_warn("%s: not on the bpffs of %s: refusing", path, p->path);
			err = -EXDEV;
		}
		if (err) {
			close(nfd);
			return err;
		}
		fd = nfd;
		s = *e ? e + 1 : e;
	}
	return fd;
}

static void rel_path(char *buf, size_t len, const struct persist *p, const char *rel,
		     const char *name)
{
	snprintf(buf, len, "%s%s%s/%s", p->path, *rel ? "/" : "", rel, name);
}

int persist_get(const struct persist *p, const char *rel, const char *name, int kind)
{
	char path[PATH_MAX + NAME_MAX], proc[64 + NAME_MAX];
	const char *why = NULL;
	struct stat st;
	int dfd, fd;

	dfd = rel_open(p, rel, 0, 0);
	if (dfd < 0)
		return dfd;
	rel_path(path, sizeof(path), p, rel, name);
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW)) {
		fd = -errno;
		close(dfd);
		return fd;
	}
	/* bpffs shows every pinned object as a regular file of its pinner. */
	if (!S_ISREG(st.st_mode))
		why = S_ISLNK(st.st_mode) ? "a symbolic link" : "not a pinned object";
	else if (st.st_uid != geteuid() && st.st_uid != 0)
		why = "pinned by another user";
	if (why) {
		pr_warn("%s: %s, not what rsttrace pinned: left alone", path, why);
		close(dfd);
		return -EPROTO;
	}
	/* The name resolved in the checked directory, not along the path again. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", dfd, name);
	fd = bpf_obj_get(proc);
	if (fd < 0) {
		fd = -errno;
		if (fd != -ENOENT)
			pr_warn("opening %s: %s", path, strerror(-fd));
		close(dfd);
		return fd;
	}
	close(dfd);
	if (obj_kind(fd) != kind) {
		pr_warn("%s: not a BPF %s, not what rsttrace pinned: left alone", path,
			kind == PO_MAP	  ? "map"
			: kind == PO_PROG ? "program"
					  : "link");
		close(fd);
		return -EPROTO;
	}
	return fd;
}

int persist_pin(const struct persist *p, const char *rel, const char *name, int fd)
{
	char path[PATH_MAX + NAME_MAX], proc[64 + NAME_MAX];
	int dfd, err = 0;

	rel_path(path, sizeof(path), p, rel, name);
	dfd = rel_open(p, rel, 1, 0);
	if (dfd < 0)
		return dfd;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", dfd, name);
	if (bpf_obj_pin(fd, proc)) {
		err = -errno;
		pr_warn("pinning %s: %s", path, strerror(-err));
	}
	close(dfd);
	return err;
}

int persist_unpin(const struct persist *p, const char *rel, const char *name)
{
	char path[PATH_MAX + NAME_MAX];
	int dfd, err = 0;

	dfd = rel_open(p, rel, 0, 0);
	if (dfd == -ENOENT)
		return 0;
	if (dfd < 0)
		return dfd;
	if (unlinkat(dfd, name, 0) && errno != ENOENT) {
		err = -errno;
		rel_path(path, sizeof(path), p, rel, name);
		pr_warn("unpinning %s: %s", path, strerror(-err));
	}
	close(dfd);
	return err;
}

int persist_rmdir(const struct persist *p, const char *rel)
{
	const char *slash = strrchr(rel, '/');
	char parent[PATH_MAX];
	int dfd, err = 0;

	if (!*rel) {
		if (p->parent_fd < 0)
			return -EBADF;
		return unlinkat(p->parent_fd, p->base, AT_REMOVEDIR) ? -errno : 0;
	}
	snprintf(parent, sizeof(parent), "%.*s", slash ? (int)(slash - rel) : 0, rel);
	dfd = rel_open(p, parent, 0, 1);
	if (dfd < 0)
		return dfd;
	if (unlinkat(dfd, slash ? slash + 1 : rel, AT_REMOVEDIR))
		err = -errno;
	close(dfd);
	return err;
}

/* A DIR stream of REL, checked (quiet -ENOENT); NULL with errno. */
static DIR *rel_opendir(const struct persist *p, const char *rel)
{
	int fd = rel_open(p, rel, 0, 0);
	DIR *d;

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	d = fdopendir(fd);
	if (!d)
		close(fd);
	return d;
}

static int obj_info(int fd, void *info, __u32 len)
{
	memset(info, 0, len);
	return bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
}

static void incompatible(const struct persist *p, const char *why)
{
	pr_warn("%s: %s; detach them with the rsttrace that made them "
		"(`rsttrace detach --all --pin-path %s`), or `rm -r %s` to unpin and so detach "
		"everything in it",
		p->path, why, p->path, p->path);
}

int persist_read_meta(struct persist *p)
{
	struct bpf_map_info info;
	char why[160];
	__u8 buf[4096] = {};
	struct rst_pin_meta *m = (struct rst_pin_meta *)buf;
	__u32 zero = 0;
	int fd, err = 0;

	p->have_meta = 0;
	fd = persist_get(p, "", "meta", PO_MAP);
	if (fd < 0)
		return fd;
	if (obj_info(fd, &info, sizeof(info)) || info.type != BPF_MAP_TYPE_ARRAY ||
	    info.key_size != 4 || info.value_size < 16 || info.value_size > sizeof(buf) ||
	    bpf_map_lookup_elem(fd, &zero, buf) || m->magic != RST_PIN_MAGIC) {
		incompatible(p, "the pins are not rsttrace's (no valid meta)");
		err = -EPROTO;
		goto out;
	}
	memcpy(&p->meta, buf, sizeof(p->meta));
	if (m->abi_version != RST_ABI_VERSION && p->teardown &&
	    m->abi_version >= RST_ABI_DETACH_MIN && m->abi_version < RST_ABI_VERSION) {
		pr_info("%s: pinned by an rsttrace of ABI %u: detaching only", p->path,
			m->abi_version);
		p->have_meta = 1;
		goto out;
	}
	if (m->abi_version != RST_ABI_VERSION) {
		if (m->abi_version >= RST_ABI_DETACH_MIN && m->abi_version < RST_ABI_VERSION) {
			/* Older, of a layout this rsttrace still tears down: say so. */
			pr_warn("%s: pinned by an rsttrace of ABI %u, this one speaks ABI %d; "
				"`rsttrace detach --all --pin-path %s` (this one can) and attach "
				"again",
				p->path, m->abi_version, RST_ABI_VERSION, p->path);
			err = -EPROTO;
			goto out;
		}
		snprintf(why, sizeof(why),
			 "pinned by an rsttrace of ABI %u, this one speaks ABI %d", m->abi_version,
			 RST_ABI_VERSION);
		incompatible(p, why);
		err = -EPROTO;
		goto out;
	}
	p->have_meta = 1;
out:
	close(fd);
	return err;
}

static int prog_index(const char *name)
{
	int i;

	for (i = 0; i < PP_MAX; i++)
		if (!strcmp(name, pin_prog_names[i]))
			return i;
	return -1;
}

/*
 * Maps older rsttrace builds of this ABI pinned and this one no longer
 * makes (all LRU hashes): "buckets", unused since the token buckets moved
 * into the host lines. Unpinned with the rest, so a directory made before
 * stays detachable and leaves nothing behind.
 */
static const char *const legacy_map_names[] = { "buckets" };

static int legacy_map_index(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(legacy_map_names); i++)
		if (!strcmp(name, legacy_map_names[i]))
			return (int)i;
	return -1;
}

static int map_index(const char *name)
{
	int i;

	for (i = 0; i < PM_MAX; i++)
		if (!strcmp(name, pin_map_names[i]))
			return i;
	return -1;
}

/*
 * Pin whatever of our programs and maps is missing from prog id: the
 * program, and the maps it uses, found by name. Quiet; best effort.
 */
static void recover_from_prog(struct persist *p, __u32 prog_id)
{
	struct bpf_prog_info pi;
	struct bpf_map_info mi;
	__u32 map_ids[32], i;
	int fd, mfd, idx;

	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return;
	memset(&pi, 0, sizeof(pi));
	pi.nr_map_ids = 32; /* the datapath uses more than 16 */
	pi.map_ids = (__u64)(unsigned long)map_ids;
	if (bpf_obj_get_info_by_fd(fd, &pi, &(__u32){ sizeof(pi) }))
		goto out;
	idx = prog_index(pi.name);
	if (idx >= 0 && p->prog_fd[idx] < 0) {
		if (!persist_pin(p, "progs", pin_prog_names[idx], fd)) {
			pr_info("recovered the pin of program %s from its link",
				pin_prog_names[idx]);
			p->prog_fd[idx] = fd;
			p->prog_id[idx] = prog_id;
			fd = -1;
		}
	}
	for (i = 0; i < pi.nr_map_ids && i < 32; i++) {
		mfd = bpf_map_get_fd_by_id(map_ids[i]);
		if (mfd < 0)
			continue;
		idx = obj_info(mfd, &mi, sizeof(mi)) ? -1 : map_index(mi.name);
		if (idx >= 0 && p->maps.fd[idx] < 0) {
			if (!persist_pin(p, "maps", pin_map_names[idx], mfd)) {
				pr_info("recovered the pin of map %s", pin_map_names[idx]);
				p->maps.fd[idx] = mfd;
				continue;
			}
		}
		close(mfd);
	}
out:
	if (fd >= 0)
		close(fd);
}

/* Where prog/map pins failed to open: missing counts, anything else is refused. */
static int open_pinned(struct persist *p)
{
	struct bpf_prog_info pi;
	char path[PATH_MAX];
	int i, fd, missing = 0;

	for (i = 0; i < PP_MAX; i++) {
		if (p->prog_fd[i] >= 0)
			continue;
		fd = persist_get(p, "progs", pin_prog_names[i], PO_PROG);
		if (fd == -ENOENT) {
			missing++;
			continue;
		}
		if (fd < 0)
			return -EPROTO;
		if (obj_info(fd, &pi, sizeof(pi)) || strcmp(pi.name, pin_prog_names[i])) {
			close(fd);
			snprintf(path, sizeof(path), "%s/progs/%s", p->path, pin_prog_names[i]);
			pr_warn("%s is not rsttrace's program", path);
			return -EPROTO;
		}
		p->prog_fd[i] = fd;
		p->prog_id[i] = pi.id;
	}
	for (i = 0; i < PM_MAX; i++) {
		if (p->maps.fd[i] >= 0)
			continue;
		fd = persist_get(p, "maps", pin_map_names[i], PO_MAP);
		/* An attachment of before per-CPU rings has no ev_rings: one ring (rings.c). */
		if (fd == -ENOENT && i != PM_EV_RINGS)
			missing++;
		else if (fd == -ENOENT)
			continue;
		else if (fd < 0)
			return -EPROTO;
		else
			p->maps.fd[i] = fd;
	}
	/* Optional: only where the kernel had the tracepoint at the first attach. */
	if (p->trace_fd < 0) {
		fd = persist_get(p, "progs", RST_TRACE_PROG, PO_PROG);
		if (fd < 0 && fd != -ENOENT)
			return -EPROTO;
		if (fd >= 0 && (obj_info(fd, &pi, sizeof(pi)) || strcmp(pi.name, RST_TRACE_PROG))) {
			close(fd);
			snprintf(path, sizeof(path), "%s/progs/%s", p->path, RST_TRACE_PROG);
			pr_warn("%s is not rsttrace's program", path);
			return -EPROTO;
		}
		if (fd >= 0) {
			p->trace_fd = fd;
			p->trace_id = pi.id;
		}
	}
	for (i = 0; i < TR_MAX - 1; i++) {
		if (p->trace_aux_fd[i] >= 0)
			continue;
		fd = persist_get(p, "progs", tracing_prog_names[i + 1], PO_PROG);
		if (fd < 0 && fd != -ENOENT)
			return -EPROTO;
		if (fd >= 0 &&
		    (obj_info(fd, &pi, sizeof(pi)) || strcmp(pi.name, tracing_prog_names[i + 1]))) {
			close(fd);
			pr_warn("%s/progs/%s is not rsttrace's program", p->path,
				tracing_prog_names[i + 1]);
			return -EPROTO;
		}
		if (fd >= 0) {
			p->trace_aux_fd[i] = fd;
			p->trace_aux_id[i] = pi.id;
		}
	}
	return missing;
}

int persist_open_objects(struct persist *p, int recover)
{
	struct pin_iface *ifs = NULL;
	int n = 0, i, j, missing, err;

	missing = open_pinned(p);
	if (missing < 0)
		return missing;
	if (missing && recover) {
		/* Someone removed pins: the live links still know their program. */
		if (!persist_list(p, &ifs, &n)) {
			for (i = 0; i < n; i++)
				for (j = 0; j < ifs[i].n_links; j++)
					if (ifs[i].links[j].prog_id)
						recover_from_prog(p, ifs[i].links[j].prog_id);
			free(ifs);
		}
		missing = open_pinned(p);
		if (missing < 0)
			return missing;
	}
	for (i = 0; i < PM_MAX; i++) {
		if (p->maps.fd[i] < 0 && i != PM_EV_RINGS) {
			pr_warn("%s: pinned map %s is missing and no live program holds "
				"it; `rsttrace detach --all --pin-path %s` removes the rest",
				p->path, pin_map_names[i], p->path);
			return -ENOENT;
		}
	}
	err = maps_check_layout(&p->maps, p->path);
	return err;
}

/* The kernel name of program id, into buf ("" when it cannot be read). */
static void prog_name(__u32 id, char *buf, size_t len)
{
	struct bpf_prog_info pi;
	int fd;

	buf[0] = '\0';
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return;
	if (!obj_info(fd, &pi, sizeof(pi)))
		snprintf(buf, len, "%s", pi.name);
	close(fd);
}

/* The id of progs/NAME when it is there and named so; 0 otherwise. */
static __u32 pinned_prog_id(const struct persist *p, const char *name)
{
	struct bpf_prog_info pi;
	__u32 id = 0;
	int fd;

	fd = persist_get(p, "progs", name, PO_PROG);
	if (fd < 0)
		return 0;
	if (!obj_info(fd, &pi, sizeof(pi)) && !strcmp(pi.name, name))
		id = pi.id;
	close(fd);
	return id;
}

/*
 * Whether fd (of kind) is what rsttrace pins under that name: a map or a
 * program of kernel name want and of the type rsttrace makes it (meta: an
 * array), or a link of link_type (-1: any) whose program is want. What someone else pinned under one of our names is
 * never unpinned (it might be what keeps their program attached).
 */
static int obj_is(const struct persist *p, int fd, int kind, const char *want, int link_type)
{
	struct bpf_prog_info pi;
	struct bpf_map_info mi;
	struct bpf_link_info li;
	char name[BPF_OBJ_NAME_LEN];
	__u32 id;

	/* The types of bpf/rsttrace.bpf.c, in enum pin_map / pin_prog order. */
	static const __u32 map_types[PM_MAX] = {
		[PM_COUNTERS] = BPF_MAP_TYPE_PERCPU_ARRAY,
		[PM_SETTINGS] = BPF_MAP_TYPE_ARRAY,
		[PM_FLOWS] = BPF_MAP_TYPE_PERCPU_ARRAY,
		[PM_HOSTS] = BPF_MAP_TYPE_PERCPU_ARRAY,
		[PM_EVENTS] = BPF_MAP_TYPE_RINGBUF,
		[PM_REASONS] = BPF_MAP_TYPE_LRU_HASH,
		[PM_CAUSES] = BPF_MAP_TYPE_PERCPU_ARRAY,
		[PM_CAUSE_HOSTS] = BPF_MAP_TYPE_PERCPU_ARRAY,
		[PM_FATE_RING] = BPF_MAP_TYPE_PERCPU_ARRAY,
		[PM_FATE_RES] = BPF_MAP_TYPE_LRU_HASH,
		[PM_FATE_IFS] = BPF_MAP_TYPE_PERCPU_ARRAY,
		[PM_FATE_HOSTS] = BPF_MAP_TYPE_PERCPU_ARRAY,
		[PM_OWNERS] = BPF_MAP_TYPE_LRU_HASH,
		[PM_CGROUPS] = BPF_MAP_TYPE_PERCPU_HASH,
		[PM_EV_RINGS] = BPF_MAP_TYPE_ARRAY_OF_MAPS,
	};
	int idx;

	if (kind == PO_MAP) {
		__u32 type = BPF_MAP_TYPE_ARRAY; /* meta */

		idx = map_index(want);
		if (idx >= 0)
			type = map_types[idx];
		else if (legacy_map_index(want) >= 0)
			type = BPF_MAP_TYPE_LRU_HASH;
		if (obj_info(fd, &mi, sizeof(mi)) || strcmp(mi.name, want))
			return 0;
		/* Before ABI 5 the per-host fates were a per-CPU hash: detach removes those too. */
		if (idx == PM_FATE_HOSTS && p->meta.abi_version && p->meta.abi_version < 5 &&
		    mi.type == BPF_MAP_TYPE_PERCPU_HASH)
			return 1;
		return mi.type == type;
	}
	if (kind == PO_PROG) {
		idx = prog_index(want);
		return !obj_info(fd, &pi, sizeof(pi)) && !strcmp(pi.name, want) &&
		       pi.type == (idx == PP_XDP ? BPF_PROG_TYPE_XDP
				   : idx >= 0	 ? BPF_PROG_TYPE_SCHED_CLS
						 : BPF_PROG_TYPE_TRACING);
	}
	if (obj_info(fd, &li, sizeof(li)) || (link_type >= 0 && li.type != (__u32)link_type))
		return 0;
	/*
	 * A link is ours when it runs one of this attachment's programs, by
	 * id: that needs no more than CAP_BPF. Only when the program pins are
	 * gone (an unfinished attach) is its program looked up by id for its
	 * name, which needs CAP_SYS_ADMIN; without it the link is left alone.
	 */
	idx = prog_index(want);
	if (idx >= 0 && p->prog_id[idx])
		return li.prog_id == p->prog_id[idx];
	if (idx < 0 && !strcmp(want, RST_TRACE_PROG) && p->trace_id)
		return li.prog_id == p->trace_id;
	for (int i = 1; idx < 0 && i < TR_MAX; i++)
		if (!strcmp(want, tracing_prog_names[i]) && p->trace_aux_id[i - 1])
			return li.prog_id == p->trace_aux_id[i - 1];
	id = pinned_prog_id(p, want);
	if (id)
		return li.prog_id == id;
	prog_name(li.prog_id, name, sizeof(name));
	return !strcmp(name, want);
}

/*
 * Unlink REL/NAME if it is what rsttrace pinned there (obj_is); 0 when
 * absent, -EPROTO (printed, left in place) when it is something else.
 */
static int unpin_checked(const struct persist *p, const char *rel, const char *name, int kind,
			 const char *want)
{
	char path[PATH_MAX + NAME_MAX];
	int fd, ok;

	fd = persist_get(p, rel, name, kind);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return -EPROTO;
	ok = obj_is(p, fd, kind, want, -1);
	close(fd);
	if (!ok) {
		rel_path(path, sizeof(path), p, rel, name);
		pr_warn("%s: not the %s rsttrace pinned there: left alone", path, want);
		return -EPROTO;
	}
	return persist_unpin(p, rel, name);
}

/* Entries of REL other than "." and ".."; 0 when it does not exist. */
static int count_entries(const struct persist *p, const char *rel)
{
	struct dirent *de;
	int found = 0;
	DIR *d;

	d = rel_opendir(p, rel);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			found++;
	closedir(d);
	return found;
}

int persist_clean_partial(struct persist *p)
{
	int i, err = 0, n1, n2;

	/*
	 * Links without meta are not the remains of a crash of this version
	 * (links come after meta, and go before it).
	 */
	n1 = count_entries(p, "links");
	n2 = count_entries(p, "trace");
	if (n1 < 0 || n2 < 0)
		return -EPROTO; /* refused, and said why */
	if (n1 + n2) {
		incompatible(p, "links are pinned but the meta map is missing");
		return -EPROTO;
	}
	for (i = 0; i < PP_MAX && !err; i++)
		err = unpin_checked(p, "progs", pin_prog_names[i], PO_PROG, pin_prog_names[i]);
	for (i = 0; i < TR_MAX && !err; i++)
		err = unpin_checked(p, "progs", tracing_prog_names[i], PO_PROG,
				    tracing_prog_names[i]);
	for (i = 0; i < PM_MAX && !err; i++)
		err = unpin_checked(p, "maps", pin_map_names[i], PO_MAP, pin_map_names[i]);
	for (i = 0; i < (int)ARRAY_SIZE(legacy_map_names) && !err; i++)
		err = unpin_checked(p, "maps", legacy_map_names[i], PO_MAP, legacy_map_names[i]);
	if (err) {
		incompatible(p, "it holds objects that are not rsttrace's");
		return -EPROTO;
	}
	pr_debug("%s: cleaned what an unfinished attach left", p->path);
	return 0;
}

int persist_mkdirs(struct persist *p)
{
	static const char *const subdirs[] = { "maps", "progs", "links", "trace" };
	size_t i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(subdirs); i++) {
		fd = rel_open(p, subdirs[i], 1, 0);
		if (fd < 0)
			return fd;
		close(fd);
	}
	return 0;
}

int persist_create(struct persist *p, const int prog_fds[PP_MAX], const int map_fds[PM_MAX],
		   int trace_fd, const struct rst_pin_meta *meta)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo);
	__u32 zero = 0;
	int i, fd = -1, err;

	/* The subdirectories only now: a refused attach leaves no trace. */
	err = persist_mkdirs(p);
	/* Order matters: meta is pinned last and marks the set complete. */
	for (i = 0; i < PM_MAX && !err; i++)
		err = persist_pin(p, "maps", pin_map_names[i], map_fds[i]);
	for (i = 0; i < PP_MAX && !err; i++)
		err = persist_pin(p, "progs", pin_prog_names[i], prog_fds[i]);
	if (!err && trace_fd >= 0)
		err = persist_pin(p, "progs", RST_TRACE_PROG, trace_fd);
	for (i = 0; i < TR_MAX - 1 && !err; i++)
		if (p->trace_aux_fd[i] >= 0)
			err = persist_pin(p, "progs", tracing_prog_names[i + 1],
					  p->trace_aux_fd[i]);
	if (!err) {
		fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "rst_meta", 4, sizeof(*meta), 1, &mo);
		if (fd < 0 || bpf_map_update_elem(fd, &zero, meta, BPF_ANY)) {
			err = -errno;
			pr_warn("making the meta map: %s", strerror(-err));
		}
	}
	if (!err)
		err = persist_pin(p, "", "meta", fd);
	if (fd >= 0)
		close(fd);
	if (err) {
		persist_clean_partial(p);
		return err;
	}
	p->meta = *meta;
	p->have_meta = 1;
	return 0;
}

void persist_iface_path(const struct persist *p, const char *dir, char *buf, size_t len)
{
	snprintf(buf, len, "%s/links/%s", p->path, dir);
}

/*
 * bpffs refuses names with a dot (reserved for its own use), and VLAN
 * interfaces have one ("eth0.100"): '.' is written %2e and '%' %25.
 */
void persist_iface_dirname(char *buf, size_t len, const char *ifname, __u64 netns, __u32 ifindex)
{
	size_t o = 0;

	for (; *ifname && o + 4 < len; ifname++) {
		if (*ifname == '.' || *ifname == '%')
			o += snprintf(buf + o, len - o, "%%%02x", (unsigned char)*ifname);
		else
			buf[o++] = *ifname;
	}
	snprintf(buf + o, len - o, "@%llu-%u", (unsigned long long)netns, ifindex);
}

static int parse_dirname(struct pin_iface *pi, const char *name)
{
	const char *at = strrchr(name, '@'), *s;
	unsigned long long ns;
	unsigned int idx, c;
	size_t o = 0;
	char end;

	if (!at || at == name || strlen(name) >= sizeof(pi->dir) ||
	    sscanf(at + 1, "%llu-%u%c", &ns, &idx, &end) != 2)
		return -EINVAL;
	memset(pi, 0, sizeof(*pi));
	memcpy(pi->dir, name, strlen(name) + 1);
	for (s = name; s < at; s++) {
		if (o + 1 >= sizeof(pi->ifname))
			return -EINVAL;
		if (*s == '%' && at - s >= 3 && sscanf(s + 1, "%2x", &c) == 1) {
			pi->ifname[o++] = (char)c;
			s += 2;
		} else {
			pi->ifname[o++] = *s;
		}
	}
	pi->ifname[o] = '\0';
	pi->netns = ns;
	pi->ifindex = idx;
	return 0;
}

static int parse_kind(struct pin_link *pl, const char *name)
{
	unsigned int prio, handle;
	char q[4] = "";
	int k, dir;

	for (k = 0; k < PK_CLS_IN; k++) {
		if (!strcmp(name, kind_names[k])) {
			pl->kind = k;
			return 0;
		}
	}
	if (!strncmp(name, "cls_in-", 7))
		dir = 0;
	else if (!strncmp(name, "cls_out-", 8))
		dir = 1;
	else
		return -EINVAL;
	if (sscanf(strchr(name, '-') + 1, "%u-%u-%1s", &prio, &handle, q) < 2)
		return -EINVAL;
	pl->kind = dir ? PK_CLS_OUT : PK_CLS_IN;
	pl->cls_prio = prio;
	pl->cls_handle = handle;
	pl->cls_qdisc = q[0] == 'q';
	return 0;
}

/* Whether our legacy filter is still there (caller is in the right netns). */
static int cls_alive(__u32 ifindex, const struct pin_link *pl)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = pl->kind == PK_CLS_IN ? BPF_TC_INGRESS : BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, to, .handle = pl->cls_handle, .priority = pl->cls_prio);

	return !bpf_tc_query(&hook, &to) && to.prog_id == pl->prog_id;
}

/* The program a link of kind must run; the link type it must be. */
static const char *kind_prog(int kind, int *link_type)
{
	*link_type = kind <= PK_XDP_GENERIC ? BPF_LINK_TYPE_XDP : RST_BPF_LINK_TYPE_TCX;
	if (kind <= PK_XDP_GENERIC)
		return pin_prog_names[PP_XDP];
	return kind == PK_TCX_IN || kind == PK_CLS_IN ? pin_prog_names[PP_TC_IN]
						      : pin_prog_names[PP_TC_OUT];
}

/* Open links/DIR/NAME, which must be what rsttrace pinned for kind; -errno (printed). */
static int link_get(const struct persist *p, const char *rel, const struct pin_link *pl)
{
	int cls = pl->kind >= PK_CLS_IN, type, fd;
	const char *want = kind_prog(pl->kind, &type);
	char path[PATH_MAX + NAME_MAX];

	fd = persist_get(p, rel, pl->name, cls ? PO_PROG : PO_LINK);
	if (fd < 0)
		return fd;
	if (!obj_is(p, fd, cls ? PO_PROG : PO_LINK, want, cls ? -1 : type)) {
		rel_path(path, sizeof(path), p, rel, pl->name);
		pr_warn("%s: not the %s %s rsttrace pinned there: left alone", path,
			cls ? "program" : "link of", want);
		close(fd);
		return -EPROTO;
	}
	return fd;
}

static void read_link(const struct persist *p, struct pin_iface *pi, struct pin_link *pl, int dfd,
		      const char *rel)
{
	struct bpf_link_info li;
	struct bpf_prog_info pgi;
	struct stat st;
	int fd;

	if (!fstatat(dfd, pl->name, &st, AT_SYMLINK_NOFOLLOW))
		pl->since_ns = (__u64)st.st_mtim.tv_sec * 1000000000ULL + st.st_mtim.tv_nsec;
	fd = link_get(p, rel, pl);
	if (fd < 0)
		return;
	if (pl->kind >= PK_CLS_IN) {
		if (!obj_info(fd, &pgi, sizeof(pgi)))
			pl->prog_id = pgi.id;
		/* Elsewhere the filter cannot be queried; count it as there. */
		pl->alive = pi->here ? cls_alive(pi->ifindex, pl) : 1;
		pl->cur_ifindex = pl->alive ? pi->ifindex : 0;
	} else if (!obj_info(fd, &li, sizeof(li))) {
		pl->link_id = li.id;
		pl->prog_id = li.prog_id;
		/* XDP and tcx link info both start with the ifindex; 0 once detached. */
		pl->cur_ifindex = li.xdp.ifindex;
		pl->alive = pl->cur_ifindex != 0;
	}
	close(fd);
}

static int link_cmp(const void *a, const void *b)
{
	const struct pin_link *x = a, *y = b;

	return x->kind - y->kind;
}

static int iface_cmp(const void *a, const void *b)
{
	const struct pin_iface *x = a, *y = b;
	int c = strcmp(x->ifname, y->ifname);

	if (c)
		return c;
	if (x->netns != y->netns)
		return x->netns < y->netns ? -1 : 1;
	return x->ifindex < y->ifindex ? -1 : x->ifindex > y->ifindex;
}

int persist_list(struct persist *p, struct pin_iface **out, int *n)
{
	struct pin_iface *arr = NULL, *pi, *tmp;
	char rel[NAME_MAX + 8], name[IF_NAMESIZE];
	struct dirent *de, *le;
	__u64 self = netns_self();
	int cap = 0, cnt = 0, i;
	DIR *d, *ld;

	*out = NULL;
	*n = 0;
	d = rel_opendir(p, "links");
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			tmp = realloc(arr, cap * sizeof(*arr));
			if (!tmp) {
				closedir(d);
				free(arr);
				return -ENOMEM;
			}
			arr = tmp;
		}
		pi = &arr[cnt];
		if (parse_dirname(pi, de->d_name)) {
			pr_debug("%s/links/%s: not an interface record, ignored", p->path,
				 de->d_name);
			continue;
		}
		pi->here = pi->netns == self;
		snprintf(rel, sizeof(rel), "links/%s", de->d_name);
		/* A record that is a symbolic link or not ours is refused (and said so). */
		ld = rel_opendir(p, rel);
		while (ld && (le = readdir(ld))) {
			struct pin_link *pl = &pi->links[pi->n_links];

			if (le->d_name[0] == '.' || pi->n_links >= PIN_LINKS_MAX)
				continue;
			memset(pl, 0, sizeof(*pl));
			if (strlen(le->d_name) >= sizeof(pl->name) || parse_kind(pl, le->d_name))
				continue;
			memcpy(pl->name, le->d_name, strlen(le->d_name) + 1);
			read_link(p, pi, pl, dirfd(ld), rel);
			if (!pi->since_ns || (pl->since_ns && pl->since_ns < pi->since_ns))
				pi->since_ns = pl->since_ns;
			pi->n_links++;
		}
		if (ld)
			closedir(ld);
		qsort(pi->links, pi->n_links, sizeof(pi->links[0]), link_cmp);
		pi->gone = 1;
		for (i = 0; i < pi->n_links; i++)
			if (pi->links[i].alive)
				pi->gone = 0;
		/*
		 * Every link dead but the interface still here (another tool
		 * detached them, or a detach was killed half-way): not gone,
		 * its links are dead, and attach repairs them.
		 */
		if (pi->gone && pi->n_links && pi->here && if_indextoname(pi->ifindex, name))
			pi->gone = 0;
		cnt++;
	}
	closedir(d);
	if (cnt)
		qsort(arr, cnt, sizeof(*arr), iface_cmp);
	*out = arr;
	*n = cnt;
	return 0;
}

/* Delete our legacy cls_bpf filters of pi, in its netns. */
static int remove_cls(const struct pin_iface *pi)
{
	struct rst_link l;
	int i, any = 0, saved = -1, err;

	link_init(&l, pi->ifname, pi->ifindex);
	for (i = 0; i < pi->n_links; i++) {
		const struct pin_link *pl = &pi->links[i];
		int dir = pl->kind == PK_CLS_OUT ? RST_DIR_OUT : RST_DIR_IN;

		if (pl->kind < PK_CLS_IN)
			continue;
		any = 1;
		l.legacy[dir] = pl->alive;
		l.legacy_prio[dir] = pl->cls_prio;
		l.legacy_handle[dir] = pl->cls_handle;
		l.legacy_qdisc |= pl->cls_qdisc;
	}
	if (!any || pi->gone)
		return 0;
	if (!pi->here) {
		err = netns_switch(pi->netns, &saved);
		if (err) {
			pr_warn("%s: its cls_bpf filters are in network namespace %llu, "
				"which has no name under /run/netns; run `rsttrace detach` there",
				pi->ifname, (unsigned long long)pi->netns);
			return -EXDEV;
		}
	}
	detach_iface(&l);
	if (saved >= 0) {
		if (setns(saved, CLONE_NEWNET))
			pr_warn("returning to our network namespace: %s", strerror(errno));
		close(saved);
	}
	return 0;
}

int persist_remove_iface(struct persist *p, const struct pin_iface *pi)
{
	char rel[sizeof(pi->dir) + 8], path[PATH_MAX];
	int i, fd, err, ret = 0;

	err = remove_cls(pi);
	if (err)
		return err;
	snprintf(rel, sizeof(rel), "links/%s", pi->dir);
	for (i = 0; i < pi->n_links; i++) {
		const struct pin_link *pl = &pi->links[i];

		/* Only what is ours goes: another object under our name stays, reported. */
		fd = link_get(p, rel, pl);
		if (fd == -ENOENT)
			continue;
		if (fd < 0) {
			ret = fd;
			continue;
		}
		if (pl->kind < PK_CLS_IN) {
			/*
			 * Detach explicitly: unpinning alone leaves the link
			 * attached while anyone else (bpftool, a reader) holds it.
			 */
			if (bpf_link_detach(fd) && errno != ENOLINK && errno != EINVAL)
				pr_debug("detaching %s/%s/%s: %s", p->path, rel, pl->name,
					 strerror(errno));
		}
		close(fd);
		err = persist_unpin(p, rel, pl->name);
		if (err)
			return err;
	}
	if (ret)
		return ret;
	err = persist_rmdir(p, rel);
	if (err && err != -ENOENT) {
		persist_iface_path(p, pi->dir, path, sizeof(path));
		pr_warn("removing %s: %s (it holds files rsttrace did not make)", path,
			strerror(-err));
		return err;
	}
	return 0;
}

int persist_unpin_link(struct persist *p, const struct pin_iface *pi, const struct pin_link *pl)
{
	char rel[sizeof(pi->dir) + 8];
	int fd;

	snprintf(rel, sizeof(rel), "links/%s", pi->dir);
	fd = link_get(p, rel, pl);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	if (pl->kind < PK_CLS_IN && bpf_link_detach(fd) && errno != ENOLINK && errno != EINVAL)
		pr_debug("detaching %s/%s/%s: %s", p->path, rel, pl->name, strerror(errno));
	close(fd);
	return persist_unpin(p, rel, pl->name);
}

/* Detach and unpin PIN/trace/NAME (a tracing program's link), if it is ours. */
static int trace_remove_one(struct persist *p, const char *name)
{
	char path[PATH_MAX];
	int fd;

	fd = persist_get(p, "trace", name, PO_LINK);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	if (!obj_is(p, fd, PO_LINK, name, -1)) {
		snprintf(path, sizeof(path), "%s/trace/%s", p->path, name);
		pr_warn("%s: not the link of %s rsttrace pinned there: left alone", path, name);
		close(fd);
		return -EPROTO;
	}
	/*
	 * Explicitly, as the interface links, where the kernel can (raw
	 * tracepoint links cannot be detached: another holder of the link
	 * keeps it; it only observes).
	 */
	if (bpf_link_detach(fd) && errno != ENOLINK && errno != EINVAL && errno != EOPNOTSUPP)
		pr_debug("detaching %s/trace/%s: %s", p->path, name, strerror(errno));
	close(fd);
	return persist_unpin(p, "trace", name);
}

/* Every tracing program's link (tracing.h), rst_send_reset's last. */
static int trace_remove(struct persist *p)
{
	int i, err = 0;

	for (i = TR_MAX - 1; i >= 0 && !err; i--)
		err = trace_remove_one(p, tracing_prog_names[i]);
	return err;
}

/*
 * The links of the cause counters' and the fate programs (tracing.h),
 * made where missing; optional: a failure is said and left.
 */
static void trace_aux_attach(struct persist *p)
{
	int i, fd, err;

	for (i = 0; i < TR_MAX - 1; i++) {
		if (p->trace_aux_fd[i] < 0)
			continue;
		fd = persist_get(p, "trace", tracing_prog_names[i + 1], PO_LINK);
		if (fd >= 0) {
			struct bpf_link_info li;
			int alive = !obj_info(fd, &li, sizeof(li)) && li.prog_id;

			close(fd);
			if (alive)
				continue;
			if (trace_remove_one(p, tracing_prog_names[i + 1]))
				continue;
		}
		fd = tracing_attach(p->trace_aux_fd[i]);
		if (fd < 0) {
			pr_info("reset causes: attaching to %s: %s", tracing_tp_names[i + 1],
				strerror(-fd));
			continue;
		}
		err = persist_pin(p, "trace", tracing_prog_names[i + 1], fd);
		close(fd);
		if (err)
			pr_info("reset causes: pinning the link of %s: %s",
				tracing_prog_names[i + 1], strerror(-err));
	}
}

int persist_trace_attach(struct persist *p)
{
	struct pin_trace t;
	int fd, err;

	if (p->trace_fd < 0) {
		/* The kernel had no tracepoint for it at the first attach; fates need none. */
		trace_aux_attach(p);
		return 0;
	}
	persist_trace_info(p, &t);
	if (t.alive) {
		trace_aux_attach(p);
		return 0;
	}
	if (t.pinned) {
		/* Detached by someone else: make it again. */
		err = trace_remove(p);
		if (err)
			return err;
	}
	err = persist_mkdirs(p);
	if (err)
		return err;
	fd = tracing_attach(p->trace_fd);
	if (fd < 0) {
		pr_info("kernel reset reasons unavailable: attaching to tcp_send_reset: "
			"%s",
			strerror(-fd));
		return fd;
	}
	err = persist_pin(p, "trace", RST_TRACE_PROG, fd);
	close(fd); /* the pin holds it, or nothing does */
	if (!err)
		trace_aux_attach(p);
	return err;
}

void persist_trace_info(const struct persist *p, struct pin_trace *t)
{
	persist_trace_link_info(p, RST_TRACE_PROG, t);
}

void persist_trace_link_info(const struct persist *p, const char *name, struct pin_trace *t)
{
	struct bpf_link_info li;
	struct stat st;
	int dfd, fd;

	memset(t, 0, sizeof(*t));
	dfd = rel_open(p, "trace", 0, 1);
	if (dfd < 0)
		return;
	fd = fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW);
	close(dfd);
	if (fd)
		return;
	t->pinned = 1;
	t->since_ns = (__u64)st.st_mtim.tv_sec * 1000000000ULL + st.st_mtim.tv_nsec;
	fd = persist_get(p, "trace", name, PO_LINK);
	if (fd < 0)
		return;
	if (!obj_info(fd, &li, sizeof(li))) {
		t->link_id = li.id;
		t->prog_id = li.prog_id;
		/* A raw tracepoint link stays attached while anything holds it. */
		t->alive = li.prog_id != 0;
	}
	close(fd);
}

int persist_remove_objects(struct persist *p)
{
	static const char *const subdirs[] = { "progs", "maps", "links", "trace" };
	size_t k;
	int i, err;

	/* The tracing link before meta, like the interfaces' links. */
	err = trace_remove(p);
	/*
	 * meta first: a crash half-way leaves an unfinished set, cleaned next
	 * time. Each pin is checked to be the object rsttrace pinned before it
	 * is unlinked, relative to the checked directories.
	 */
	if (!err)
		err = unpin_checked(p, "", "meta", PO_MAP, "rst_meta");
	for (i = 0; i < PP_MAX && !err; i++)
		err = unpin_checked(p, "progs", pin_prog_names[i], PO_PROG, pin_prog_names[i]);
	for (i = 0; i < TR_MAX && !err; i++)
		err = unpin_checked(p, "progs", tracing_prog_names[i], PO_PROG,
				    tracing_prog_names[i]);
	for (i = 0; i < PM_MAX && !err; i++)
		err = unpin_checked(p, "maps", pin_map_names[i], PO_MAP, pin_map_names[i]);
	for (i = 0; i < (int)ARRAY_SIZE(legacy_map_names) && !err; i++)
		err = unpin_checked(p, "maps", legacy_map_names[i], PO_MAP, legacy_map_names[i]);
	if (err)
		return err; /* said why */
	p->have_meta = 0;
	/* The directories go only when empty: what others put there stays. */
	for (k = 0; k < ARRAY_SIZE(subdirs); k++)
		persist_rmdir(p, subdirs[k]);
	err = persist_rmdir(p, "");
	if (err && err != -ENOENT)
		pr_warn("%s not removed: %s (files rsttrace did not make?)", p->path,
			strerror(-err));
	return 0;
}

int maps_open_pinned(const char *pin_dir, struct rst_maps *m)
{
	struct persist p;
	int err;

	persist_init(&p);
	maps_init(m);
	err = persist_prepare(&p, pin_dir ? pin_dir : RST_PIN_DEFAULT, PERSIST_READ);
	if (!err)
		err = persist_read_meta(&p);
	if (!err)
		err = persist_open_objects(&p, 0);
	if (!err) {
		/* Hand the map fds over; the program fds are not wanted here. */
		*m = p.maps;
		m->owned = 1;
		maps_init(&p.maps);
	}
	persist_close(&p);
	return err;
}
