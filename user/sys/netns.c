// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
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
