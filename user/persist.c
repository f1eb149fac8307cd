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
#include "persist.h"
#include "tracing.h"
#include "util.h"

#define PIN_BPFFS_ROOT "/sys/fs/bpf"

/* The meta map is a format of its own: other versions read its head. */
_Static_assert(sizeof(struct rst_pin_meta) == 72, "pin ABI: rst_pin_meta");
_Static_assert(__builtin_offsetof(struct rst_pin_meta, abi_version) == 8, "pin ABI: abi_version");

const char *const pin_map_names[PM_MAX] = {
	[PM_COUNTERS] = "counters", [PM_SETTINGS] = "settings", [PM_FLOWS] = "flows",
	[PM_HOSTS] = "hosts",	    [PM_BUCKETS] = "buckets",	[PM_EVENTS] = "events",
	[PM_REASONS] = "reasons",
};

const char *const pin_prog_names[PP_MAX] = {
	[PP_XDP] = "rst_xdp",
	[PP_TC_IN] = "rst_tc_ingress",
	[PP_TC_OUT] = "rst_tc_egress",
};

static const char *const kind_names[PK_MAX] = {
	[PK_XDP_NATIVE] = "xdp_native", [PK_XDP_GENERIC] = "xdp_generic", [PK_TCX_IN] = "tcx_in",
	[PK_TCX_OUT] = "tcx_out",	[PK_CLS_IN] = "cls_in",		  [PK_CLS_OUT] = "cls_out",
};

int *maps_slot(struct rst_maps *m, int which)
{
	switch (which) {
	case PM_COUNTERS:
		return &m->counters;
	case PM_SETTINGS:
		return &m->settings;
	case PM_FLOWS:
		return &m->flows;
	case PM_HOSTS:
		return &m->hosts;
	case PM_BUCKETS:
		return &m->buckets;
	case PM_REASONS:
		return &m->reasons;
	default:
		return &m->events;
	}
}

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
	for (i = 0; i < PP_MAX; i++)
		p->prog_fd[i] = -1;
	p->trace_fd = -1;
	for (i = 0; i < PM_MAX; i++)
		*maps_slot(&p->maps, i) = -1;
	p->maps.owned = 1;
}

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
	p->maps.owned = 1;
	maps_close(&p->maps);
	p->maps.owned = 1;
	if (p->lock_fd >= 0)
		close(p->lock_fd); /* drops the flock */
	p->lock_fd = -1;
}

static void pathf(char *buf, size_t len, const struct persist *p, const char *rel)
{
	snprintf(buf, len, "%s/%s", p->path, rel);
}

__u64 netns_self(void)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st))
		return 0;
	return st.st_ino;
}

const char *netns_name(__u64 ino, char *buf, size_t len)
{
	struct dirent *de;
	const char *ret = NULL;
	char path[300];
	struct stat st;
	DIR *d;

	d = opendir("/run/netns");
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
		if (!stat(path, &st) && st.st_ino == ino) {
			snprintf(buf, len, "%s", de->d_name);
			ret = buf;
			break;
		}
	}
	closedir(d);
	return ret;
}

static int read_mntns(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	n = readlink(path, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static pid_t parent_of(pid_t pid)
{
	char path[64], line[512], *p;
	int ppid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	/* The command name may hold spaces and parentheses: parse after the last ')'. */
	if (fgets(line, sizeof(line), f)) {
		p = strrchr(line, ')');
		if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
			ppid = 0;
	}
	fclose(f);
	return ppid;
}

/*
 * The nearest ancestor process that lives in another mount namespace than
 * ours, or 0. `ip netns exec` (and `unshare -m`) put their command in a
 * new mount namespace whose parent is still in the old one, which is what
 * tells a private /sys from the system's.
 */
static pid_t mntns_outer_pid(void)
{
	char self[64], other[64];
	pid_t pid = getpid();
	int depth;

	if (read_mntns(pid, self, sizeof(self)))
		return 0;
	for (depth = 0; depth < 64; depth++) {
		pid = parent_of(pid);
		if (pid <= 0)
			return 0;
		if (read_mntns(pid, other, sizeof(other)))
			return 0; /* not ours to look at: assume shared */
		if (strcmp(self, other))
			return pid;
		if (pid == 1)
			return 0;
	}
	return 0;
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

	pr_warn("rsttrace: %s is not on the system's bpffs: this process runs in a private "
		"mount namespace (as `ip netns exec` makes), where pins would vanish with it; "
		"run `nsenter --net=/run/netns/%s rsttrace ...` instead\n",
		path, name ? name : "NAME");
}

static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t i;

	snprintf(buf, sizeof(buf), "%s", path);
	for (i = 1; buf[i]; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		buf[i] = '/';
	}
	if (mkdir(buf, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int persist_prepare(struct persist *p, const char *path, int mode)
{
	char prefix[PATH_MAX], outer[PATH_MAX + 64];
	struct stat mine, theirs;
	size_t len = strlen(path);
	pid_t opid;
	int err, bpf;

	if (path[0] != '/' || len >= sizeof(p->path) || strstr(path, "/../") || len < 2) {
		pr_warn("rsttrace: invalid --pin-path '%s': need an absolute path on bpffs\n",
			path);
		return -EINVAL;
	}
	snprintf(p->path, sizeof(p->path), "%s", path);
	while (len > 1 && p->path[len - 1] == '/')
		p->path[--len] = '\0';

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
			if (!(mode & PERSIST_QUIET))
				private_mount_error(p->path);
			return -EXDEV;
		}
	}
	if (!bpf) {
		if (!(mode & PERSIST_CREATE))
			return -ENOENT;
		if (strncmp(p->path, PIN_BPFFS_ROOT "/", sizeof(PIN_BPFFS_ROOT)) ||
		    strcmp(prefix, PIN_BPFFS_ROOT)) {
			pr_warn("rsttrace: %s is not on a bpffs (mount -t bpf bpf DIR, or use a "
				"--pin-path under %s)\n",
				p->path, PIN_BPFFS_ROOT);
			return -ENOTDIR;
		}
		if (mount("bpf", PIN_BPFFS_ROOT, "bpf", 0, "mode=0700")) {
			err = -errno;
			pr_warn("rsttrace: mounting bpffs on %s: %s (mount -t bpf bpf %s)\n",
				PIN_BPFFS_ROOT, strerror(-err), PIN_BPFFS_ROOT);
			return err;
		}
		pr_info("rsttrace: mounted bpffs on %s\n", PIN_BPFFS_ROOT);
	}
	if (!(mode & PERSIST_CREATE))
		return stat(p->path, &mine) ? -ENOENT : 0;

	umask(077);
	err = mkdir_p(p->path);
	if (!err && chmod(p->path, 0700))
		err = -errno;
	if (err) {
		pr_warn("rsttrace: creating %s: %s\n", p->path, strerror(-err));
		return err;
	}
	return 0;
}

int persist_lock(struct persist *p)
{
	struct stat st;
	int tries, fd;

	for (tries = 0; tries < 3; tries++) {
		fd = open(p->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			break;
		if (flock(fd, LOCK_EX)) {
			close(fd);
			break;
		}
		/* A detach --all that held the lock may have removed the directory. */
		if (!fstat(fd, &st) && st.st_nlink > 0) {
			p->lock_fd = fd;
			return 0;
		}
		close(fd);
		if (mkdir_p(p->path))
			break;
	}
	pr_warn("rsttrace: locking %s: %s\n", p->path, strerror(errno));
	return -errno;
}

static int obj_info(int fd, void *info, __u32 len)
{
	memset(info, 0, len);
	return bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
}

static void incompatible(const struct persist *p, const char *why)
{
	pr_warn("rsttrace: %s: %s; detach them with the rsttrace that made them "
		"(`rsttrace detach --all --pin-path %s`), or `rm -r %s` to unpin and so detach "
		"everything in it\n",
		p->path, why, p->path, p->path);
}

int persist_read_meta(struct persist *p)
{
	struct bpf_map_info info;
	char path[PATH_MAX], why[160];
	__u8 buf[4096] = {};
	struct rst_pin_meta *m = (struct rst_pin_meta *)buf;
	__u32 zero = 0;
	int fd, err = 0;

	p->have_meta = 0;
	pathf(path, sizeof(path), p, "meta");
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	if (obj_info(fd, &info, sizeof(info)) || info.type != BPF_MAP_TYPE_ARRAY ||
	    info.key_size != 4 || info.value_size < 16 || info.value_size > sizeof(buf) ||
	    bpf_map_lookup_elem(fd, &zero, buf) || m->magic != RST_PIN_MAGIC) {
		incompatible(p, "the pins are not rsttrace's (no valid meta)");
		err = -EPROTO;
		goto out;
	}
	memcpy(&p->meta, buf, sizeof(p->meta));
	if (m->abi_version != RST_ABI_VERSION) {
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
	__u32 map_ids[16], i;
	char path[PATH_MAX];
	int fd, mfd, idx;

	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return;
	memset(&pi, 0, sizeof(pi));
	pi.nr_map_ids = 16;
	pi.map_ids = (__u64)(unsigned long)map_ids;
	if (bpf_obj_get_info_by_fd(fd, &pi, &(__u32){ sizeof(pi) }))
		goto out;
	idx = prog_index(pi.name);
	if (idx >= 0 && p->prog_fd[idx] < 0) {
		snprintf(path, sizeof(path), "%s/progs/%s", p->path, pin_prog_names[idx]);
		if (!bpf_obj_pin(fd, path)) {
			pr_info("rsttrace: recovered the pin of program %s from its link\n",
				pin_prog_names[idx]);
			p->prog_fd[idx] = fd;
			p->prog_id[idx] = prog_id;
			fd = -1;
		}
	}
	for (i = 0; i < pi.nr_map_ids && i < 16; i++) {
		mfd = bpf_map_get_fd_by_id(map_ids[i]);
		if (mfd < 0)
			continue;
		idx = obj_info(mfd, &mi, sizeof(mi)) ? -1 : map_index(mi.name);
		if (idx >= 0 && *maps_slot(&p->maps, idx) < 0) {
			snprintf(path, sizeof(path), "%s/maps/%s", p->path, pin_map_names[idx]);
			if (!bpf_obj_pin(mfd, path)) {
				pr_info("rsttrace: recovered the pin of map %s\n",
					pin_map_names[idx]);
				*maps_slot(&p->maps, idx) = mfd;
				continue;
			}
		}
		close(mfd);
	}
out:
	if (fd >= 0)
		close(fd);
}

static int open_pinned(struct persist *p)
{
	struct bpf_prog_info pi;
	char path[PATH_MAX];
	int i, fd, missing = 0;

	for (i = 0; i < PP_MAX; i++) {
		if (p->prog_fd[i] >= 0)
			continue;
		snprintf(path, sizeof(path), "%s/progs/%s", p->path, pin_prog_names[i]);
		fd = bpf_obj_get(path);
		if (fd < 0) {
			missing++;
			continue;
		}
		if (obj_info(fd, &pi, sizeof(pi)) || strcmp(pi.name, pin_prog_names[i])) {
			close(fd);
			pr_warn("rsttrace: %s is not rsttrace's program\n", path);
			return -EPROTO;
		}
		p->prog_fd[i] = fd;
		p->prog_id[i] = pi.id;
	}
	for (i = 0; i < PM_MAX; i++) {
		if (*maps_slot(&p->maps, i) >= 0)
			continue;
		snprintf(path, sizeof(path), "%s/maps/%s", p->path, pin_map_names[i]);
		fd = bpf_obj_get(path);
		if (fd < 0)
			missing++;
		else
			*maps_slot(&p->maps, i) = fd;
	}
	/* Optional: only where the kernel had the tracepoint at the first attach. */
	if (p->trace_fd < 0) {
		snprintf(path, sizeof(path), "%s/progs/%s", p->path, RST_TRACE_PROG);
		fd = bpf_obj_get(path);
		if (fd >= 0 && (obj_info(fd, &pi, sizeof(pi)) || strcmp(pi.name, RST_TRACE_PROG))) {
			close(fd);
			pr_warn("rsttrace: %s is not rsttrace's program\n", path);
			return -EPROTO;
		}
		if (fd >= 0) {
			p->trace_fd = fd;
			p->trace_id = pi.id;
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
		if (*maps_slot(&p->maps, i) < 0) {
			pr_warn("rsttrace: %s: pinned map %s is missing and no live program holds "
				"it; `rsttrace detach --all --pin-path %s` removes the rest\n",
				p->path, pin_map_names[i], p->path);
			return -ENOENT;
		}
	}
	err = maps_check_layout(&p->maps, p->path);
	return err;
}

/* Unlink dir/name if it is a BPF object whose kernel name is want (NULL: any map). */
static int unpin_checked(const char *dir, const char *name, const char *want, int is_prog)
{
	struct bpf_prog_info pi;
	struct bpf_map_info mi;
	char path[PATH_MAX];
	const char *kname;
	int fd, ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (is_prog)
		ok = !obj_info(fd, &pi, sizeof(pi)), kname = pi.name;
	else
		ok = !obj_info(fd, &mi, sizeof(mi)), kname = mi.name;
	close(fd);
	if (!ok || (want && strcmp(kname, want)))
		return -EPROTO;
	return unlink(path) ? -errno : 0;
}

int persist_clean_partial(struct persist *p)
{
	char dir[PATH_MAX];
	struct dirent *de;
	int i, err = 0, found = 0;
	DIR *d;

	/*
	 * Links without meta are not the remains of a crash of this version
	 * (links come after meta, and go before it).
	 */
	pathf(dir, sizeof(dir), p, "links");
	d = opendir(dir);
	if (d) {
		while ((de = readdir(d)))
			if (de->d_name[0] != '.')
				found++;
		closedir(d);
	}
	pathf(dir, sizeof(dir), p, "trace");
	d = opendir(dir);
	if (d) {
		while ((de = readdir(d)))
			if (de->d_name[0] != '.')
				found++;
		closedir(d);
	}
	if (found) {
		incompatible(p, "links are pinned but the meta map is missing");
		return -EPROTO;
	}
	found = 0;
	pathf(dir, sizeof(dir), p, "progs");
	for (i = 0; i < PP_MAX && !err; i++) {
		err = unpin_checked(dir, pin_prog_names[i], pin_prog_names[i], 1);
		found += !err;
	}
	if (!err)
		err = unpin_checked(dir, RST_TRACE_PROG, RST_TRACE_PROG, 1);
	pathf(dir, sizeof(dir), p, "maps");
	for (i = 0; i < PM_MAX && !err; i++)
		err = unpin_checked(dir, pin_map_names[i], pin_map_names[i], 0);
	if (err) {
		incompatible(p, "it holds objects that are not rsttrace's");
		return -EPROTO;
	}
	pr_debug("rsttrace: %s: cleaned what an unfinished attach left\n", p->path);
	return 0;
}

int persist_mkdirs(struct persist *p)
{
	static const char *const subdirs[] = { "maps", "progs", "links", "trace" };
	char sub[PATH_MAX];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(subdirs); i++) {
		snprintf(sub, sizeof(sub), "%s/%s", p->path, subdirs[i]);
		if (mkdir(sub, 0700) && errno != EEXIST) {
			pr_warn("rsttrace: creating %s: %s\n", sub, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

int persist_create(struct persist *p, const int prog_fds[PP_MAX], const int map_fds[PM_MAX],
		   int trace_fd, const struct rst_pin_meta *meta)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo);
	char path[PATH_MAX];
	__u32 zero = 0;
	int i, fd = -1, err;

	/* The subdirectories only now: a refused attach leaves no trace. */
	err = persist_mkdirs(p);
	/* Order matters: meta is pinned last and marks the set complete. */
	for (i = 0; i < PM_MAX && !err; i++) {
		snprintf(path, sizeof(path), "%s/maps/%s", p->path, pin_map_names[i]);
		if (bpf_obj_pin(map_fds[i], path))
			err = -errno;
	}
	for (i = 0; i < PP_MAX && !err; i++) {
		snprintf(path, sizeof(path), "%s/progs/%s", p->path, pin_prog_names[i]);
		if (bpf_obj_pin(prog_fds[i], path))
			err = -errno;
	}
	if (!err && trace_fd >= 0) {
		snprintf(path, sizeof(path), "%s/progs/%s", p->path, RST_TRACE_PROG);
		if (bpf_obj_pin(trace_fd, path))
			err = -errno;
	}
	if (!err) {
		fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "rst_meta", 4, sizeof(*meta), 1, &mo);
		if (fd < 0 || bpf_map_update_elem(fd, &zero, meta, BPF_ANY))
			err = -errno;
	}
	if (!err) {
		pathf(path, sizeof(path), p, "meta");
		if (bpf_obj_pin(fd, path))
			err = -errno;
	}
	if (fd >= 0)
		close(fd);
	if (err) {
		pr_warn("rsttrace: pinning under %s: %s\n", p->path, strerror(-err));
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

static void read_link(struct pin_iface *pi, struct pin_link *pl, const char *path)
{
	struct bpf_link_info li;
	struct bpf_prog_info pgi;
	struct stat st;
	int fd;

	if (!stat(path, &st))
		pl->since_ns = (__u64)st.st_mtim.tv_sec * 1000000000ULL + st.st_mtim.tv_nsec;
	fd = bpf_obj_get(path);
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
	char dir[PATH_MAX], sub[PATH_MAX + 300];
	struct dirent *de, *le;
	__u64 self = netns_self();
	int cap = 0, cnt = 0, i;
	DIR *d, *ld;

	*out = NULL;
	*n = 0;
	pathf(dir, sizeof(dir), p, "links");
	d = opendir(dir);
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
			pr_debug("rsttrace: %s/%s: not an interface record, ignored\n", dir,
				 de->d_name);
			continue;
		}
		pi->here = pi->netns == self;
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		ld = opendir(sub);
		while (ld && (le = readdir(ld))) {
			struct pin_link *pl = &pi->links[pi->n_links];
			char lpath[sizeof(sub) + 300];

			if (le->d_name[0] == '.' || pi->n_links >= PIN_LINKS_MAX)
				continue;
			memset(pl, 0, sizeof(*pl));
			if (strlen(le->d_name) >= sizeof(pl->name) || parse_kind(pl, le->d_name))
				continue;
			memcpy(pl->name, le->d_name, strlen(le->d_name) + 1);
			snprintf(lpath, sizeof(lpath), "%s/%s", sub, le->d_name);
			read_link(pi, pl, lpath);
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
		cnt++;
	}
	closedir(d);
	if (cnt)
		qsort(arr, cnt, sizeof(*arr), iface_cmp);
	*out = arr;
	*n = cnt;
	return 0;
}

/* Enter netns ino (found by name under /run/netns); *saved gets ours back. */
static int netns_switch(__u64 ino, int *saved)
{
	char name[256], path[300];
	int fd, err = 0;

	if (!netns_name(ino, name, sizeof(name)))
		return -ENOENT;
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	*saved = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*saved < 0 || fd < 0 || setns(fd, CLONE_NEWNET))
		err = -errno;
	if (fd >= 0)
		close(fd);
	if (err && *saved >= 0) {
		close(*saved);
		*saved = -1;
	}
	return err;
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
			pr_warn("rsttrace: %s: its cls_bpf filters are in network namespace %llu, "
				"which has no name under /run/netns; run `rsttrace detach` there\n",
				pi->ifname, (unsigned long long)pi->netns);
			return -EXDEV;
		}
	}
	detach_iface(&l);
	if (saved >= 0) {
		if (setns(saved, CLONE_NEWNET))
			pr_warn("rsttrace: returning to our network namespace: %s\n",
				strerror(errno));
		close(saved);
	}
	return 0;
}

int persist_remove_iface(struct persist *p, const struct pin_iface *pi)
{
	char dir[PATH_MAX], path[PATH_MAX + 80];
	int i, fd, err;

	err = remove_cls(pi);
	if (err)
		return err;
	persist_iface_path(p, pi->dir, dir, sizeof(dir));
	for (i = 0; i < pi->n_links; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, pi->links[i].name);
		if (pi->links[i].kind < PK_CLS_IN) {
			/*
			 * Detach explicitly: unpinning alone leaves the link
			 * attached while anyone else (bpftool, a reader) holds it.
			 */
			fd = bpf_obj_get(path);
			if (fd >= 0) {
				if (bpf_link_detach(fd) && errno != ENOLINK && errno != EINVAL)
					pr_debug("rsttrace: detaching %s: %s\n", path,
						 strerror(errno));
				close(fd);
			}
		}
		if (unlink(path) && errno != ENOENT) {
			err = -errno;
			pr_warn("rsttrace: unpinning %s: %s\n", path, strerror(-err));
			return err;
		}
	}
	if (rmdir(dir) && errno != ENOENT) {
		err = -errno;
		pr_warn("rsttrace: removing %s: %s (it holds files rsttrace did not make)\n", dir,
			strerror(-err));
		return err;
	}
	return 0;
}

/* Detach and unpin PIN/trace/rst_send_reset. */
static int trace_remove(struct persist *p)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/trace/%s", p->path, RST_TRACE_PROG);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		/*
		 * Explicitly, as the interface links, where the kernel can
		 * (raw tracepoint links cannot be detached: another holder
		 * of the link keeps it; it only observes).
		 */
		if (bpf_link_detach(fd) && errno != ENOLINK && errno != EINVAL &&
		    errno != EOPNOTSUPP)
			pr_debug("rsttrace: detaching %s: %s\n", path, strerror(errno));
		close(fd);
	}
	if (unlink(path) && errno != ENOENT) {
		pr_warn("rsttrace: unpinning %s: %s\n", path, strerror(errno));
		return -errno;
	}
	return 0;
}

int persist_trace_attach(struct persist *p)
{
	struct pin_trace t;
	char path[PATH_MAX];
	int fd, err;

	if (p->trace_fd < 0)
		return 0; /* the kernel had no tracepoint for it at the first attach */
	persist_trace_info(p, &t);
	if (t.alive)
		return 0;
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
		pr_info("rsttrace: kernel reset reasons unavailable: attaching to tcp_send_reset: "
			"%s\n",
			strerror(-fd));
		return fd;
	}
	snprintf(path, sizeof(path), "%s/trace/%s", p->path, RST_TRACE_PROG);
	err = bpf_obj_pin(fd, path) ? -errno : 0;
	if (err)
		pr_warn("rsttrace: pinning %s: %s\n", path, strerror(-err));
	close(fd); /* the pin holds it, or nothing does */
	return err;
}

void persist_trace_info(const struct persist *p, struct pin_trace *t)
{
	struct bpf_link_info li;
	char path[PATH_MAX];
	struct stat st;
	int fd;

	memset(t, 0, sizeof(*t));
	snprintf(path, sizeof(path), "%s/trace/%s", p->path, RST_TRACE_PROG);
	if (stat(path, &st))
		return;
	t->pinned = 1;
	t->since_ns = (__u64)st.st_mtim.tv_sec * 1000000000ULL + st.st_mtim.tv_nsec;
	fd = bpf_obj_get(path);
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
	char path[PATH_MAX];
	int i, err = 0;

	/* The tracing link before meta, like the interfaces' links. */
	err = trace_remove(p);
	/* meta first: a crash half-way leaves an unfinished set, cleaned next time. */
	pathf(path, sizeof(path), p, "meta");
	if (!err && unlink(path) && errno != ENOENT)
		err = -errno;
	for (i = 0; i < PP_MAX && !err; i++) {
		snprintf(path, sizeof(path), "%s/progs/%s", p->path, pin_prog_names[i]);
		if (unlink(path) && errno != ENOENT)
			err = -errno;
	}
	if (!err) {
		snprintf(path, sizeof(path), "%s/progs/%s", p->path, RST_TRACE_PROG);
		if (unlink(path) && errno != ENOENT)
			err = -errno;
	}
	for (i = 0; i < PM_MAX && !err; i++) {
		snprintf(path, sizeof(path), "%s/maps/%s", p->path, pin_map_names[i]);
		if (unlink(path) && errno != ENOENT)
			err = -errno;
	}
	if (err) {
		pr_warn("rsttrace: unpinning %s: %s\n", path, strerror(-err));
		return err;
	}
	p->have_meta = 0;
	/* The directories go only when empty: what others put there stays. */
	pathf(path, sizeof(path), p, "progs");
	rmdir(path);
	pathf(path, sizeof(path), p, "maps");
	rmdir(path);
	pathf(path, sizeof(path), p, "links");
	rmdir(path);
	pathf(path, sizeof(path), p, "trace");
	rmdir(path);
	if (rmdir(p->path) && errno != ENOENT)
		pr_warn("rsttrace: %s not removed: %s (files rsttrace did not make?)\n", p->path,
			strerror(errno));
	return 0;
}

int maps_check_layout(struct rst_maps *m, const char *where)
{
	static const struct {
		int which;
		__u32 key, val;
	} want[] = {
		{ PM_COUNTERS, 4, sizeof(struct rst_counters) },
		{ PM_SETTINGS, 4, sizeof(struct rst_config) },
		{ PM_FLOWS, 4, sizeof(struct rst_flow_set) },
		{ PM_HOSTS, 4, sizeof(struct rst_host_set) },
		{ PM_BUCKETS, sizeof(struct rst_host_key), sizeof(struct rst_bucket) },
		{ PM_REASONS, sizeof(struct rst_reason_key), sizeof(struct rst_reason_val) },
	};
	struct bpf_map_info mi;
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int fd = *maps_slot(m, want[i].which);

		if (fd < 0 || obj_info(fd, &mi, sizeof(mi)))
			continue;
		if (mi.key_size != want[i].key || mi.value_size != want[i].val ||
		    (want[i].which == PM_COUNTERS && mi.max_entries != RST_COUNTER_ENTRIES)) {
			pr_warn("rsttrace: %s: map %s has another layout (key %u, value %u bytes; "
				"expected %u, %u): made by an incompatible rsttrace\n",
				where, pin_map_names[want[i].which], mi.key_size, mi.value_size,
				want[i].key, want[i].val);
			return -EPROTO;
		}
	}
	return 0;
}
