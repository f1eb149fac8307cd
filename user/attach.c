// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "attach.h"
#include "log.h"

/*
 * tcx (kernel 6.6) postdates the UAPI headers and libbpf 1.1 we build
 * with, so the attach types are spelled out; the values are UAPI.
 */
#define RST_BPF_TCX_INGRESS 46
#define RST_BPF_TCX_EGRESS  47

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

static int attach_xdp(struct rst_link *l, int prog_fd, int mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo);
	__u32 foreign = 0, fmode = 0;
	char name[BPF_OBJ_NAME_LEN] = "";
	int fd, err, i;

	if (!xdp_foreign(l->ifindex, &foreign, &fmode) && foreign) {
		prog_name(foreign, name, sizeof(name));
		/*
		 * The kernel releases a link after its last fd closes from a
		 * workqueue, so an rsttrace that just died can still show for
		 * a moment. Give one of ours that long before refusing.
		 */
		for (i = 0; i < 40 && !strcmp(name, "rst_xdp"); i++) {
			usleep(50000);
			if (xdp_foreign(l->ifindex, &foreign, &fmode) || !foreign)
				break;
		}
	}
	if (foreign) {
		if (!strcmp(name, "rst_xdp")) {
			pr_warn("rsttrace: %s: rsttrace's XDP program is already attached (id %u) "
				"by another rsttrace; see rsttrace status\n",
				l->ifname, foreign);
			return -EBUSY;
		}
		pr_warn("rsttrace: %s: an XDP program is already attached (id %u, %s, %s mode); "
			"rsttrace will not replace it (use --hook tc)\n",
			l->ifname, foreign, name, xdp_mode_name(fmode));
		return -EBUSY;
	}
	if (mode != XDPM_GENERIC) {
		lo.flags = XDP_FLAGS_DRV_MODE;
		fd = bpf_link_create(prog_fd, l->ifindex, BPF_XDP, &lo);
		if (fd >= 0) {
			l->xdp_fd = fd;
			l->xdp_flags = XDP_FLAGS_DRV_MODE;
			pr_info("%s: XDP attached in native mode\n", l->ifname);
			return 0;
		}
		err = -errno;
		if (mode == XDPM_NATIVE || (err != -EOPNOTSUPP && err != -EINVAL)) {
			pr_warn("rsttrace: %s: attaching XDP in native mode: %s%s\n", l->ifname,
				strerror(-err),
				err == -EOPNOTSUPP || err == -EINVAL
					? " (driver has no native XDP: try --xdp-mode generic or "
					  "--hook tc)"
					: "");
			return err;
		}
		pr_debug("%s: native XDP unavailable (%s), trying generic\n", l->ifname,
			 strerror(-err));
	}
	lo.flags = XDP_FLAGS_SKB_MODE;
	fd = bpf_link_create(prog_fd, l->ifindex, BPF_XDP, &lo);
	if (fd < 0) {
		err = -errno;
		pr_warn("rsttrace: %s: attaching XDP in generic mode: %s\n", l->ifname,
			strerror(-err));
		return err;
	}
	l->xdp_fd = fd;
	l->xdp_flags = XDP_FLAGS_SKB_MODE;
	pr_info("%s: XDP attached in generic mode\n", l->ifname);
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
		pr_warn("rsttrace: %s: creating clsact qdisc: %s\n", l->ifname, strerror(-err));
		return err;
	}
	err = bpf_tc_attach(&hook, &to);
	if (err) {
		pr_warn("rsttrace: %s: attaching cls_bpf %s filter: %s\n", l->ifname,
			dir == RST_DIR_IN ? "ingress" : "egress", strerror(-err));
		return err;
	}
	l->legacy[dir] = true;
	l->legacy_prio[dir] = to.priority;
	l->legacy_handle[dir] = to.handle;
	pr_info("%s: TC %s attached as legacy cls_bpf (no tcx in this kernel)\n", l->ifname,
		dir == RST_DIR_IN ? "ingress" : "egress");
	return 0;
}

static int attach_tc(struct rst_link *l, int prog_fd, int dir)
{
	int fd, err;

	if (tcx_state != 0) {
		fd = bpf_link_create(prog_fd, l->ifindex,
				     dir == RST_DIR_IN ? RST_BPF_TCX_INGRESS : RST_BPF_TCX_EGRESS,
				     NULL);
		if (fd >= 0) {
			tcx_state = 1;
			l->tc_fd[dir] = fd;
			pr_info("%s: TC %s attached through a tcx link\n", l->ifname,
				dir == RST_DIR_IN ? "ingress" : "egress");
			return 0;
		}
		err = -errno;
		/* An unknown attach type is EINVAL: no tcx, use cls_bpf. */
		if (err != -EINVAL || tcx_state == 1) {
			pr_warn("rsttrace: %s: attaching TC %s (tcx): %s\n", l->ifname,
				dir == RST_DIR_IN ? "ingress" : "egress", strerror(-err));
			return err;
		}
		pr_debug("no tcx links in this kernel (%s); using legacy cls_bpf\n",
			 strerror(-err));
		tcx_state = 0;
	}
	return attach_tc_legacy(l, prog_fd, dir);
}

int attach_iface(struct rst_link *l, const struct rst_progs *p, const struct rst_opts *o)
{
	int err = 0;

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
		pr_warn("rsttrace: %s: removing our cls_bpf filter: %s\n", l->ifname,
			strerror(-err));
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
