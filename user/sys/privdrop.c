// SPDX-License-Identifier: GPL-2.0
/* Dropping root for -Z (privdrop.h). */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"

int privdrop_lookup(struct privdrop *pd, const char *user)
{
	struct passwd *pw;
	unsigned long n;
	char *end;

	errno = 0;
	pw = getpwnam(user);
	if (!pw && *user >= '0' && *user <= '9') {
		/* tcpdump wants a name; a number is as clear, and containers often lack names. */
		n = strtoul(user, &end, 10);
		if (!*end && n < (uid_t)-1)
			pw = getpwuid((uid_t)n);
	}
	if (!pw) {
		pr_warn("invalid -Z '%s': no such user", user);
		return -ENOENT;
	}
	pd->user = user;
	pd->uid = pw->pw_uid;
	pd->gid = pw->pw_gid;
	return 0;
}

int privdrop_apply(const struct privdrop *pd)
{
	struct passwd *pw = getpwuid(pd->uid);
	int err;

	/* The user's own groups, as tcpdump's initgroups(); root's must not stay. */
	if (pw ? initgroups(pw->pw_name, pd->gid) : setgroups(1, &pd->gid)) {
		err = -errno;
		pr_warn("-Z %s: setting the groups: %s", pd->user, strerror(-err));
		return err;
	}
	if (setgid(pd->gid)) {
		err = -errno;
		pr_warn("-Z %s: setgid(%u): %s", pd->user, (unsigned int)pd->gid, strerror(-err));
		return err;
	}
	if (setuid(pd->uid)) {
		err = -errno;
		pr_warn("-Z %s: setuid(%u): %s", pd->user, (unsigned int)pd->uid, strerror(-err));
		return err;
	}
	/* A setuid() that left a way back (a saved uid 0) would not be a drop. */
	if (pd->uid != 0 && setuid(0) == 0) {
		pr_warn("-Z %s: root could be regained; not dropped", pd->user);
		return -EPERM;
	}
	pr_info("-Z: running as %s (uid %u, gid %u)", pd->user, (unsigned int)pd->uid,
		(unsigned int)pd->gid);
	return 0;
}
