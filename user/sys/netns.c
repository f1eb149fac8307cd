// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "log.h"
#include "netns.h"

extern char **environ;

int run_cmd(const char *const argv[])
{
	posix_spawn_file_actions_t fa;
	int status, err;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	if (log_level < LOG_DEBUG) {
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	}
	err = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err)
		return -err;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

#define RUN(...)                                                                                   \
	({                                                                                         \
		const char *const _argv[] = { __VA_ARGS__, NULL };                                 \
		run_cmd(_argv);                                                                    \
	})

int netns_pair_create(struct netns_pair *p, const char *tag)
{
	int i, err;

	memset(p, 0, sizeof(*p));
	snprintf(p->ns[0], sizeof(p->ns[0]), "rst%s-srv", tag);
	snprintf(p->ns[1], sizeof(p->ns[1]), "rst%s-cli", tag);
	snprintf(p->veth[0], sizeof(p->veth[0]), "rs%s", tag);
	snprintf(p->veth[1], sizeof(p->veth[1]), "rc%s", tag);
	for (i = 0; i < 2; i++) {
		snprintf(p->addr4[i], sizeof(p->addr4[i]), "10.200.0.%d", i + 1);
		snprintf(p->addr6[i], sizeof(p->addr6[i]), "fd00:200::%d", i + 1);
	}
	for (i = 0; i < 2; i++) {
		err = RUN("ip", "netns", "add", p->ns[i]);
		if (err) {
			pr_warn("creating network namespace %s failed (ip exit %d)", p->ns[i], err);
			goto fail;
		}
		p->made_ns[i] = 1;
	}
	err = RUN("ip", "link", "add", p->veth[0], "netns", p->ns[0], "type", "veth", "peer",
		  "name", p->veth[1], "netns", p->ns[1]);
	if (err) {
		pr_warn("creating veth pair %s/%s failed (ip exit %d)", p->veth[0], p->veth[1],
			err);
		goto fail;
	}
	for (i = 0; i < 2; i++) {
		char a4[24], a6[48];

		snprintf(a4, sizeof(a4), "%s/24", p->addr4[i]);
		snprintf(a6, sizeof(a6), "%s/64", p->addr6[i]);
		err = RUN("ip", "-n", p->ns[i], "addr", "add", a4, "dev", p->veth[i]);
		err = err
			      ?: RUN("ip", "-n", p->ns[i], "addr", "add", a6, "dev", p->veth[i],
				     "nodad");
		err = err ?: RUN("ip", "-n", p->ns[i], "link", "set", "lo", "up");
		err = err ?: RUN("ip", "-n", p->ns[i], "link", "set", p->veth[i], "up");
		if (err) {
			pr_warn("configuring %s in %s failed (ip exit %d)", p->veth[i], p->ns[i],
				err);
			goto fail;
		}
	}
	return 0;
fail:
	netns_pair_destroy(p);
	return -EIO;
}

void netns_pair_destroy(struct netns_pair *p)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (p->made_ns[i] && RUN("ip", "netns", "del", p->ns[i]))
			pr_warn("could not delete network namespace %s", p->ns[i]);
		p->made_ns[i] = 0;
	}
}

int netns_enter(const char *name)
{
	char path[128];
	int fd, err = 0;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET))
		err = -errno;
	close(fd);
	return err;
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

pid_t mntns_outer_pid(void)
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

int netns_switch(__u64 ino, int *saved)
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
