// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "attach.h"
#include "log.h"
#include "util.h"

/*
 * The parts of union bpf_attr that tcx uses and the 6.1 UAPI header does
 * not have, laid out as the kernel has them (its BTF, link_create.tcx and
 * query): the command's fields from offset 0, u64s 8-aligned. libbpf 1.1
 * passes neither the anchor nor link_ids/revision, so these go to bpf(2)
 * directly. The kernel zero-fills what follows the size we pass.
 */
struct tcx_link_attr {
	__u32 prog_fd;
	__u32 target_ifindex;
	__u32 attach_type;
	__u32 flags;
	__u32 relative; /* relative_fd or relative_id */
	__u32 pad;
	__u64 expected_revision;
};
_Static_assert(offsetof(struct tcx_link_attr, relative) == 16, "link_create.tcx");
_Static_assert(offsetof(struct tcx_link_attr, expected_revision) == 24, "link_create.tcx");

struct tcx_query_attr {
	__u32 target_ifindex;
	__u32 attach_type;
	__u32 query_flags;
	__u32 attach_flags;
	__u64 prog_ids;
	__u32 count;
	__u32 pad;
	__u64 prog_attach_flags;
	__u64 link_ids;
	__u64 link_attach_flags;
	__u64 revision;
};
_Static_assert(offsetof(struct tcx_query_attr, count) == 24, "query");
_Static_assert(offsetof(struct tcx_query_attr, link_ids) == 40, "query");
_Static_assert(offsetof(struct tcx_query_attr, revision) == 56, "query");

/* Priority band for our legacy cls_bpf filters, away from tc's default 1+. */
#define RST_LEGACY_PRIO 0xc000

static int tcx_state = -1; /* -1 unknown, 0 no, 1 yes */

void link_init(struct rst_link *l, const char *ifname, __u32 ifindex)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->ifname, sizeof(l->ifname), "%s", ifname);
	l->ifindex = ifindex;
	l->xdp_fd = -1;
	l->tc_fd[0] = -1;
	l->tc_fd[1] = -1;
}

const char *xdp_mode_name(__u32 flags)
{
	if (flags & XDP_FLAGS_DRV_MODE)
		return "native";
	if (flags & XDP_FLAGS_SKB_MODE)
		return "generic";
	if (flags & XDP_FLAGS_HW_MODE)
		return "offload";
	return "none";
}

int xdp_foreign(__u32 ifindex, __u32 *prog_id, __u32 *mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int err;

	*prog_id = 0;
	err = bpf_xdp_query(ifindex, 0, &q);
	if (err)
		return err;
	if (q.drv_prog_id) {
		*prog_id = q.drv_prog_id;
		*mode = XDP_FLAGS_DRV_MODE;
	} else if (q.skb_prog_id) {
		*prog_id = q.skb_prog_id;
		*mode = XDP_FLAGS_SKB_MODE;
	} else if (q.hw_prog_id) {
		*prog_id = q.hw_prog_id;
		*mode = XDP_FLAGS_HW_MODE;
	}
	return 0;
}

static void prog_name(__u32 id, char *buf, size_t len)
{
	struct bpf_prog_info info = {};
	__u32 ilen = sizeof(info);
	int fd;

	snprintf(buf, len, "?");
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &info, &ilen))
		snprintf(buf, len, "%s", info.name);
	close(fd);
}

/* What a user can do when another program holds the XDP hook. */
static const char *xdp_hint(const char *holder)
{
	/*
	 * libxdp (xdp-tools, packaged in Debian 12) chains several XDP
	 * programs behind its dispatcher, but only programs loaded through
	 * libxdp join it (as freplace programs, which need BPF trampolines);
	 * rsttrace attaches a plain XDP link and cannot join. XXX: loading
	 * through libxdp where it is installed would let both run.
	 */
	if (!strcmp(holder, "xdp_dispatcher"))
		return "it is libxdp's dispatcher (`xdp-loader status` lists its programs), "
		       "which rsttrace cannot join: use --hook tc";
	return "use --hook tc (ingress then seen at TC, after that program's verdict)";
}

int xdp_hook_check(const char *ifname, __u32 ifindex)
{
	char name[BPF_OBJ_NAME_LEN] = "";
	__u32 foreign = 0, fmode = 0;
	int i;

	if (xdp_foreign(ifindex, &foreign, &fmode) || !foreign)
		return 0;
	prog_name(foreign, name, sizeof(name));
	/*
	 * The kernel releases a link after its last fd closes from a
	 * workqueue, so an rsttrace that just died can still show for a
	 * moment. Give one of ours that long before refusing.
	 */
	for (i = 0; i < 40 && !strcmp(name, "rst_xdp"); i++) {
		usleep(50000);
		if (xdp_foreign(ifindex, &foreign, &fmode) || !foreign)
			return 0;
	}
	if (!strcmp(name, "rst_xdp")) {
		pr_warn("%s: rsttrace's XDP program is already attached (id %u) "
			"by another rsttrace; see rsttrace status",
			ifname, foreign);
		return -EBUSY;
	}
	/* One hook, one program: replacing it would blind the other tool. */
	pr_warn("%s: XDP hook held by program %u (%s, %s mode); rsttrace will not "
		"replace it: %s",
		ifname, foreign, name, xdp_mode_name(fmode), xdp_hint(name));
	return -EBUSY;
}

static int attach_xdp(struct rst_link *l, int prog_fd, int mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo);
	int fd, err;

	err = xdp_hook_check(l->ifname, l->ifindex);
	if (err)
		return err;
	if (mode != XDPM_GENERIC) {
		lo.flags = XDP_FLAGS_DRV_MODE;
		fd = bpf_link_create(prog_fd, l->ifindex, BPF_XDP, &lo);
		if (fd >= 0) {
			l->xdp_fd = fd;
			l->xdp_flags = XDP_FLAGS_DRV_MODE;
			pr_note("%s: XDP attached in native mode", l->ifname);
			return 0;
		}
		err = -errno;
		if (mode == XDPM_NATIVE || (err != -EOPNOTSUPP && err != -EINVAL)) {
			pr_warn("%s: attaching XDP in native mode: %s%s", l->ifname, strerror(-err),
				err == -EOPNOTSUPP || err == -EINVAL
					? " (driver has no native XDP: try --xdp-mode generic or "
					  "--hook tc)"
					: "");
			return err;
		}
		pr_debug("%s: native XDP unavailable (%s), trying generic", l->ifname,
			 strerror(-err));
	}
	lo.flags = XDP_FLAGS_SKB_MODE;
	fd = bpf_link_create(prog_fd, l->ifindex, BPF_XDP, &lo);
	if (fd < 0) {
		err = -errno;
		pr_warn("%s: attaching XDP in generic mode: %s", l->ifname, strerror(-err));
		return err;
	}
	l->xdp_fd = fd;
	l->xdp_flags = XDP_FLAGS_SKB_MODE;
	pr_note("%s: XDP attached in generic mode", l->ifname);
	return 0;
}

bool have_tcx(void)
{
	return tcx_state != 0;
}

static int attach_tc_legacy(struct rst_link *l, int prog_fd, int dir)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = l->ifindex,
		    .attach_point = dir == RST_DIR_IN ? BPF_TC_INGRESS : BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, to, .prog_fd = prog_fd, .priority = RST_LEGACY_PRIO + dir);
	int err;

	/* Create clsact only if absent; -EEXIST means someone else's, keep it. */
	err = bpf_tc_hook_create(&hook);
	if (!err)
		l->legacy_qdisc = true;
	else if (err != -EEXIST) {
		pr_warn("%s: creating clsact qdisc: %s", l->ifname, strerror(-err));
		return err;
	}
	err = bpf_tc_attach(&hook, &to);
	if (err) {
		pr_warn("%s: attaching cls_bpf %s filter: %s", l->ifname,
			dir == RST_DIR_IN ? "ingress" : "egress", strerror(-err));
		return err;
	}
	l->legacy[dir] = true;
	l->legacy_prio[dir] = to.priority;
	l->legacy_handle[dir] = to.handle;
	pr_note("%s: TC %s attached as legacy cls_bpf (no tcx in this kernel)", l->ifname,
		dir == RST_DIR_IN ? "ingress" : "egress");
	return 0;
}

int tcx_link_create(int prog_fd, __u32 ifindex, int dir, __u32 flags, __u32 relative,
		    __u64 expected_revision)
{
	struct tcx_link_attr a = {
		.prog_fd = prog_fd,
		.target_ifindex = ifindex,
		.attach_type = dir == RST_DIR_IN ? RST_BPF_TCX_INGRESS : RST_BPF_TCX_EGRESS,
		.flags = flags,
		.relative = relative,
		.expected_revision = expected_revision,
	};
	int fd;

	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	return fd < 0 ? -errno : fd;
}

int tcx_chain_query(__u32 ifindex, int dir, struct tcx_chain *c)
{
	__u32 prog_ids[TCX_CHAIN_MAX], link_ids[TCX_CHAIN_MAX];
	struct tcx_query_attr a = {
		.target_ifindex = ifindex,
		.attach_type = dir == RST_DIR_IN ? RST_BPF_TCX_INGRESS : RST_BPF_TCX_EGRESS,
		.prog_ids = (__u64)(unsigned long)prog_ids,
		.count = TCX_CHAIN_MAX,
		.link_ids = (__u64)(unsigned long)link_ids,
	};
	__u32 i;

	memset(c, 0, sizeof(*c));
	/* ENOSPC: more than we asked for, the first TCX_CHAIN_MAX are filled. */
	if (syscall(__NR_bpf, BPF_PROG_QUERY, &a, sizeof(a)) && errno != ENOSPC)
		return -errno;
	c->count = a.count;
	c->n = a.count < TCX_CHAIN_MAX ? a.count : TCX_CHAIN_MAX;
	c->revision = a.revision;
	for (i = 0; i < c->n; i++) {
		c->e[i].prog_id = prog_ids[i];
		c->e[i].link_id = link_ids[i];
		prog_name(prog_ids[i], c->e[i].name, sizeof(c->e[i].name));
	}
	return 0;
}

int tcx_chain_pos(const struct tcx_chain *c, __u32 prog_id)
{
	__u32 i;

	for (i = 0; i < c->n; i++)
		if (c->e[i].prog_id == prog_id)
			return i;
	return -1;
}

bool tcx_entry_rsttrace(const struct tcx_entry *e)
{
	/* Another rsttrace's program returns TCX_NEXT too: it hides nothing. */
	return !strcmp(e->name, "rst_tc_ingress") || !strcmp(e->name, "rst_tc_egress");
}

int tcx_foreign_before(const struct tcx_chain *c, int pos, const char *ifname, int dir, bool warn)
{
	char list[256] = "";
	size_t len = 0;
	int i, n = 0;

	for (i = 0; i < pos && i < (int)c->n; i++) {
		if (tcx_entry_rsttrace(&c->e[i]))
			continue;
		if (len < sizeof(list))
			len += snprintf(list + len, sizeof(list) - len, "%s%u (%s)", n ? ", " : "",
					c->e[i].prog_id, c->e[i].name);
		n++;
	}
	if (n && warn)
		pr_warn("%s: WARNING: tcx %s: program%s %s of another tool run%s before "
			"rsttrace's; a verdict of its own (pass, drop, redirect) ends the chain "
			"and "
			"rsttrace never sees that packet (detach and attach rsttrace again to run "
			"first)",
			ifname, dir == RST_DIR_IN ? "ingress" : "egress", n == 1 ? "" : "s", list,
			n == 1 ? "s" : "");
	return n;
}

/* Query one hook; *rev gets its revision. Warns as tcx_check_order says. */
static int check_order(const char *ifname, __u32 ifindex, int dir, __u32 prog_id, __u64 *rev)
{
	struct tcx_chain c;
	int err, pos;

	err = tcx_chain_query(ifindex, dir, &c);
	if (err) {
		pr_debug("%s: querying the tcx %s chain: %s", ifname,
			 dir == RST_DIR_IN ? "ingress" : "egress", strerror(-err));
		return err;
	}
	if (rev)
		*rev = c.revision;
	pos = tcx_chain_pos(&c, prog_id);
	if (pos < 0)
		return -ENOENT;
	pr_debug("%s: tcx %s: rsttrace runs at position %d of %u", ifname,
		 dir == RST_DIR_IN ? "ingress" : "egress", pos + 1, c.count);
	return tcx_foreign_before(&c, pos, ifname, dir, true);
}

int tcx_check_order(const char *ifname, __u32 ifindex, int dir, __u32 prog_id)
{
	return check_order(ifname, ifindex, dir, prog_id, NULL);
}

int link_check_order(struct rst_link *l)
{
	struct tcx_chain c;
	int dir, n = 0;

	for (dir = 0; dir < 2; dir++) {
		if (l->tc_fd[dir] < 0)
			continue;
		/* The revision changes with every attach and detach on the hook. */
		if (tcx_chain_query(l->ifindex, dir, &c) || c.revision == l->tc_rev[dir])
			continue;
		if (check_order(l->ifname, l->ifindex, dir, l->tc_prog_id[dir], &l->tc_rev[dir]) >
		    0)
			n++;
	}
	return n;
}

static __u32 prog_id_of(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

static int attach_tc(struct rst_link *l, int prog_fd, int dir)
{
	int fd, err;

	if (tcx_state != 0) {
		/*
		 * At the head of the chain (BPF_F_BEFORE, no anchor): on tcx a
		 * program's verdict other than TCX_NEXT ends the chain, so an
		 * observer appended after another tool's program sees nothing
		 * that program passes, drops or redirects itself.
		 */
		fd = tcx_link_create(prog_fd, l->ifindex, dir, RST_BPF_F_BEFORE, 0, 0);
		if (fd >= 0) {
			tcx_state = 1;
			l->tc_fd[dir] = fd;
			pr_note("%s: TC %s attached through a tcx link, first in the chain",
				l->ifname, dir == RST_DIR_IN ? "ingress" : "egress");
			/* Someone may have put a program before ours since. */
			l->tc_prog_id[dir] = prog_id_of(prog_fd);
			check_order(l->ifname, l->ifindex, dir, l->tc_prog_id[dir],
				    &l->tc_rev[dir]);
			return 0;
		}
		err = fd;
		/* An unknown attach type is EINVAL: no tcx, use cls_bpf. */
		if (err != -EINVAL || tcx_state == 1) {
			pr_warn("%s: attaching TC %s (tcx): %s", l->ifname,
				dir == RST_DIR_IN ? "ingress" : "egress", strerror(-err));
			return err;
		}
		pr_debug("no tcx links in this kernel (%s); using legacy cls_bpf", strerror(-err));
		tcx_state = 0;
	}
	return attach_tc_legacy(l, prog_fd, dir);
}

/*
 * RSTTRACE_GUARD_NETNS: a network namespace in which to refuse attaching
 * anything, as readlink(2) of a /proc/PID/ns/net names it ("net:[INODE]")
 * or as a file of it (/run/netns/NAME). The test suite and the benchmarks
 * set it to their own namespace's name, so that a test whose namespace
 * went away can never trace the machine's own interfaces. A value that
 * cannot be checked refuses too: a guard that cannot tell must not let
 * through. Only stat(2) of a path, so a hostile value can do no more than
 * refuse. Said once per process. 0, or -EPERM.
 */
int netns_guard(const char *ifname)
{
	const char *path = getenv("RSTTRACE_GUARD_NETNS");
	unsigned long long ino;
	static bool said;
	struct stat g, self;
	const char *why = NULL;
	int n = 0;

	if (!path || !*path)
		return 0;
	if (stat("/proc/self/ns/net", &self))
		why = strerror(errno);
	else if (!strncmp(path, "net:[", 5)) {
		if (sscanf(path + 5, "%llu%n", &ino, &n) != 1 || strcmp(path + 5 + n, "]"))
			why = "not net:[INODE]";
		else if (ino == (unsigned long long)self.st_ino)
			why = "it is this process's network namespace";
	} else if (stat(path, &g))
		why = strerror(errno);
	else if (g.st_dev == self.st_dev && g.st_ino == self.st_ino)
		why = "it is this process's network namespace";
	if (!why)
		return 0;
	if (!said)
		pr_warn("%s: refusing to attach: RSTTRACE_GUARD_NETNS=%s: %s", ESC(ifname),
			ESC(path), why);
	said = true;
	return -EPERM;
}

int attach_iface(struct rst_link *l, const struct rst_progs *p, const struct rst_opts *o)
{
	int err;

	err = netns_guard(l->ifname);
	if (err)
		return err;

	if (o->dirs & DIR_IN) {
		if (o->ingress_hook == RST_HOOK_XDP)
			err = attach_xdp(l, p->xdp, o->xdp_mode);
		else
			err = attach_tc(l, p->tc_in, RST_DIR_IN);
		if (err)
			goto fail;
	}
	if (o->dirs & DIR_OUT) {
		err = attach_tc(l, p->tc_out, RST_DIR_OUT);
		if (err)
			goto fail;
	}
	return 0;
fail:
	detach_iface(l);
	return err;
}

static void detach_tc_legacy(struct rst_link *l, int dir)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = l->ifindex,
		    .attach_point = dir == RST_DIR_IN ? BPF_TC_INGRESS : BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, to, .handle = l->legacy_handle[dir],
		    .priority = l->legacy_prio[dir]);
	int err;

	err = bpf_tc_detach(&hook, &to);
	if (err && err != -ENOENT && err != -ENODEV)
		pr_warn("%s: removing our cls_bpf filter: %s", l->ifname, strerror(-err));
	l->legacy[dir] = false;
}

void detach_iface(struct rst_link *l)
{
	int dir;

	if (l->xdp_fd >= 0) {
		close(l->xdp_fd);
		l->xdp_fd = -1;
		l->xdp_flags = 0;
	}
	for (dir = 0; dir < 2; dir++) {
		if (l->tc_fd[dir] >= 0) {
			close(l->tc_fd[dir]);
			l->tc_fd[dir] = -1;
		}
		if (l->legacy[dir])
			detach_tc_legacy(l, dir);
	}
	if (l->legacy_qdisc) {
		/*
		 * Only the clsact we created goes, and only when it holds no
		 * filter of anyone else's.
		 */
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = l->ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
		LIBBPF_OPTS(bpf_tc_opts, q);
		LIBBPF_OPTS(bpf_tc_hook, hin, .ifindex = l->ifindex,
			    .attach_point = BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_hook, hout, .ifindex = l->ifindex,
			    .attach_point = BPF_TC_EGRESS);

		if (bpf_tc_query(&hin, &q) == -ENOENT && bpf_tc_query(&hout, &q) == -ENOENT)
			bpf_tc_hook_destroy(&hook);
		l->legacy_qdisc = false;
	}
}
