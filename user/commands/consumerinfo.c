// SPDX-License-Identifier: GPL-2.0
/* Who consumes an attachment's events, for status (consumerinfo.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "consumerinfo.h"
#include "jsonw.h"
#include "rundir.h"
#include "util.h"

/* argv[1] of pid ("serve", "watch"), or "" when it cannot be read. */
static void command_of(int pid, char *buf, size_t len)
{
	char path[64], cmd[256];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, cmd, sizeof(cmd) - 1);
	close(fd);
	if (n <= 0)
		return;
	cmd[n] = '\0';
	/* argv[0] NUL argv[1] NUL ...: the command is the second string. */
	if (strlen(cmd) + 1 < (size_t)n)
		snprintf(buf, len, "%s", cmd + strlen(cmd) + 1);
}

int consumer_info_read(const char *pin_path, const char *run_dir, struct consumer_info *ci)
{
	char name[128], sock[128], buf[64];
	struct stat st;
	int dir_fd, fd, err;
	ssize_t n;

	memset(ci, 0, sizeof(*ci));
	ci->subs = -1;
	if (rundir_name(name, sizeof(name), pin_path, ".lock") ||
	    rundir_name(sock, sizeof(sock), pin_path, ".sock"))
		return -ENAMETOOLONG;
	snprintf(ci->lock, sizeof(ci->lock), "%s/%s", run_dir, name);
	snprintf(ci->sock_path, sizeof(ci->sock_path), "%s/%s", run_dir, sock);
	/* The same checks as a consumer makes: a planted directory is not read. */
	dir_fd = rundir_open(run_dir, 0, 1);
	if (dir_fd == -ENOENT)
		return 0;
	if (dir_fd < 0) {
		ci->state = CI_UNKNOWN;
		ci->err = dir_fd;
		return 0;
	}
	ci->sock = !fstatat(dir_fd, sock, &st, AT_SYMLINK_NOFOLLOW) && S_ISSOCK(st.st_mode);
	fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	err = fd < 0 ? -errno : 0;
	close(dir_fd);
	if (err == -ENOENT)
		return 0;
	if (err) {
		ci->state = CI_UNKNOWN;
		ci->err = err;
		return 0;
	}
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	if (sscanf(buf, "%d\nsubscribers %d", &ci->pid, &ci->subs) < 2)
		ci->subs = -1;
	/* Held (by an exclusive flock): a consumer runs. Ours, shared, is released at once. */
	if (!flock(fd, LOCK_SH | LOCK_NB)) {
		flock(fd, LOCK_UN);
		ci->state = CI_STALE;
	} else {
		ci->state = errno == EWOULDBLOCK ? CI_RUNNING : CI_UNKNOWN;
		ci->err = -errno;
	}
	close(fd);
	ci->alive = ci->pid > 0 && (!kill(ci->pid, 0) || errno == EPERM);
	if (ci->alive)
		command_of(ci->pid, ci->command, sizeof(ci->command));
	/* A stale file's count is the dead consumer's last. */
	if (ci->state != CI_RUNNING)
		ci->subs = -1;
	return 0;
}

void consumer_info_text(const struct consumer_info *ci)
{
	switch (ci->state) {
	case CI_RUNNING:
		printf("consumer: pid %d%s%s%s%s, ", ci->pid, ci->command[0] ? " (rsttrace " : "",
		       ESC(ci->command), ci->command[0] ? ")" : "",
		       ci->alive ? "" : " (not alive?)");
		if (ci->subs >= 0)
			printf("%d subscriber%s, ", ci->subs, ci->subs == 1 ? "" : "s");
		printf("events published on %s%s\n", ESC(ci->sock_path),
		       ci->sock ? "" : " (no socket yet)");
		break;
	case CI_STALE:
		printf("consumer: none running (%s names pid %d, %s); events wait in the ring "
		       "for rsttrace serve or watch --attached\n",
		       ESC(ci->lock), ci->pid, ci->alive ? "not holding the lock" : "gone");
		break;
	case CI_UNKNOWN:
		printf("consumer: unknown (%s: %s)\n", ESC(ci->lock), strerror(-ci->err));
		break;
	default:
		printf("consumer: none (events wait in the ring for rsttrace serve or watch "
		       "--attached)\n");
	}
}

void consumer_info_json(struct json_writer *w, const struct consumer_info *ci)
{
	static const char *const states[] = { "none", "running", "stale", "unknown" };

	jw_key(w, "consumer");
	jw_start_object(w);
	jw_str_field(w, "state", states[ci->state]);
	jw_bool_field(w, "running", ci->state == CI_RUNNING);
	if (ci->pid > 0)
		jw_s64_field(w, "pid", ci->pid);
	else
		jw_null_field(w, "pid");
	jw_bool_field(w, "alive", ci->alive);
	if (ci->command[0])
		jw_str_field(w, "command", ci->command);
	else
		jw_null_field(w, "command");
	if (ci->subs >= 0)
		jw_s64_field(w, "subscribers", ci->subs);
	else
		jw_null_field(w, "subscribers");
	jw_str_field(w, "lock", ci->lock);
	if (ci->sock)
		jw_str_field(w, "socket", ci->sock_path);
	else
		jw_null_field(w, "socket");
	jw_end_object(w);
}
