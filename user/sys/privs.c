// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include "log.h"
#include "privs.h"

/* Debian 12's headers have them; older UAPI headers do not. */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static const struct {
	unsigned int bit;
	int cap;
	int alt; /* a capability that stands for this one, or -1 */
	const char *name;
	const char *setpriv; /* as setpriv --ambient-caps spells it */
} privs[] = {
	{ PRIV_BPF, CAP_BPF, CAP_SYS_ADMIN, "CAP_BPF", "+bpf" },
	{ PRIV_PERFMON, CAP_PERFMON, CAP_SYS_ADMIN, "CAP_PERFMON", "+perfmon" },
	{ PRIV_NET_ADMIN, CAP_NET_ADMIN, -1, "CAP_NET_ADMIN", "+net_admin" },
	{ PRIV_SYS_ADMIN, CAP_SYS_ADMIN, -1, "CAP_SYS_ADMIN", "+sys_admin" },
};

static int effective_caps(__u64 *eff)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	*eff = ((__u64)data[1].effective << 32) | data[0].effective;
	return 0;
}

static int has_cap(__u64 eff, int cap)
{
	return cap >= 0 && (eff & (1ULL << cap));
}

unsigned int privs_missing(unsigned int need)
{
	unsigned int missing = 0;
	__u64 eff = 0;
	size_t i;

	if (effective_caps(&eff))
		return need;
	for (i = 0; i < sizeof(privs) / sizeof(privs[0]); i++) {
		if (!(need & privs[i].bit))
			continue;
		if (!has_cap(eff, privs[i].cap) && !has_cap(eff, privs[i].alt))
			missing |= privs[i].bit;
	}
	return missing;
}

/*
 * The kernel honours BPF capabilities only in the initial user namespace
 * (BPF tokens aside): a container's root has them in its own namespace
 * and still gets EPERM. The initial namespace maps all 2^32 ids to
 * themselves.
 */
static int in_initial_userns(void)
{
	unsigned long inside, outside, count;
	FILE *f = fopen("/proc/self/uid_map", "re");
	int n;

	if (!f)
		return 1; /* cannot tell: let the kernel decide */
	n = fscanf(f, "%lu %lu %lu", &inside, &outside, &count);
	fclose(f);
	return n != 3 || (inside == 0 && outside == 0 && count == 4294967295UL);
}

static void join_names(char *buf, size_t len, unsigned int bits, int setpriv)
{
	size_t i, o = 0;
	int n = 0, total = __builtin_popcount(bits);

	buf[0] = '\0';
	for (i = 0; i < sizeof(privs) / sizeof(privs[0]) && o < len; i++) {
		if (!(bits & privs[i].bit))
			continue;
		n++;
		o += snprintf(buf + o, len - o, "%s%s",
			      setpriv ? (n > 1 ? "," : "")
				      : (n == 1	      ? ""
					 : n == total ? " and "
						      : ", "),
			      setpriv ? privs[i].setpriv : privs[i].name);
	}
}

int check_privileges(unsigned int need)
{
	unsigned int missing = privs_missing(need);
	char want[96], lack[96], hint[96];

	if (!missing) {
		if (!in_initial_userns()) {
			pr_warn("permission denied: this process runs in a user "
				"namespace; "
				"the kernel grants BPF only to capabilities of the initial one "
				"(run it in the host's user namespace)");
			return -EPERM;
		}
		return 0;
	}
	join_names(want, sizeof(want), need, 0);
	join_names(lack, sizeof(lack), missing, 0);
	join_names(hint, sizeof(hint), need, 1);
	pr_warn("permission denied: missing %s (this needs %s; uid %u: grant them, "
		"e.g. AmbientCapabilities= in a unit or setpriv --inh-caps %s --ambient-caps %s)",
		lack, want, (unsigned int)geteuid(), hint, hint);
	return -EPERM;
}
