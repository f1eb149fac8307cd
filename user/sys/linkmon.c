// SPDX-License-Identifier: GPL-2.0
/*
 * Interfaces coming into and leaving this network namespace (linkmon.h):
 * RTM_NEWLINK / RTM_DELLINK on the rtnetlink link group, and a dump of
 * the links present, parsed with libmnl.
 */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "linkmon.h"

int linkmon_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	int fd, err;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int attr_cb(const struct nlattr *a, void *data)
{
	struct link_info *li = data;

	switch (mnl_attr_get_type(a)) {
	case IFLA_IFNAME:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
			break;
		snprintf(li->name, sizeof(li->name), "%s", mnl_attr_get_str(a));
		break;
	case IFLA_NEW_NETNSID:
		/* A RTM_DELLINK with IFLA_NEW_NETNSID is a move (__dev_change_net_namespace). */
		li->how = LINK_MOVED;
		break;
	}
	return MNL_CB_OK;
}

struct run_ctx {
	link_info_fn cb;
	void *ctx;
	int done; /* NLMSG_DONE of a dump */
};

static int msg_cb(const struct nlmsghdr *nh, void *data)
{
	struct run_ctx *rc = data;
	const struct ifinfomsg *ifi;
	struct link_info li = {};

	if (nh->nlmsg_type != RTM_NEWLINK && nh->nlmsg_type != RTM_DELLINK)
		return MNL_CB_OK;
	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return MNL_CB_OK;
	ifi = mnl_nlmsg_get_payload(nh);
	/*
	 * AF_BRIDGE sends RTM_DELLINK when a port leaves its bridge (and
	 * RTM_NEWLINK for port changes); the interface stays. Only the link itself.
	 */
	if (ifi->ifi_family != AF_UNSPEC)
		return MNL_CB_OK;
	li.ifindex = (__u32)ifi->ifi_index;
	li.type = ifi->ifi_type;
	li.flags = ifi->ifi_flags;
	li.gone = nh->nlmsg_type == RTM_DELLINK;
	li.how = LINK_DELETED;
	mnl_attr_parse(nh, sizeof(*ifi), attr_cb, &li);
	rc->cb(rc->ctx, &li);
	return MNL_CB_OK;
}

static int done_cb(const struct nlmsghdr *nh, void *data)
{
	struct run_ctx *rc = data;

	(void)nh;
	rc->done = 1;
	return MNL_CB_STOP;
}

int linkmon_read_links(int fd, link_info_fn cb, void *ctx)
{
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct run_ctx rc = { cb, ctx, 0 };
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -errno; /* ENOBUFS: messages lost */
		}
		/*
		 * Broadcasts carry no sequence number or port to check: 0 and
		 * 0. A malformed message ends its buffer, not the watch.
		 */
		mnl_cb_run(buf, (size_t)n, 0, 0, msg_cb, &rc);
	}
}

/* The old interface: gone links only. */
struct gone_ctx {
	void (*cb)(void *ctx, __u32 ifindex, enum link_gone how);
	void *ctx;
};

static void gone_only(void *ctx, const struct link_info *li)
{
	struct gone_ctx *g = ctx;

	if (li->gone)
		g->cb(g->ctx, li->ifindex, li->how);
}

int linkmon_read(int fd, void (*cb)(void *ctx, __u32 ifindex, enum link_gone how), void *ctx)
{
	struct gone_ctx g = { cb, ctx };

	return linkmon_read_links(fd, gone_only, &g);
}

int linkmon_dump(link_info_fn cb, void *ctx)
{
	char buf[MNL_SOCKET_BUFFER_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct run_ctx rc = { cb, ctx, 0 };
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_DONE] = done_cb };
	struct mnl_socket *nl;
	struct nlmsghdr *nh;
	struct rtgenmsg *g;
	unsigned int seq, port;
	ssize_t n;
	int ret = 0, err;

	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		mnl_socket_close(nl);
		return err;
	}
	nh = mnl_nlmsg_put_header(buf);
	nh->nlmsg_type = RTM_GETLINK;
	nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nh->nlmsg_seq = seq = (unsigned int)time(NULL);
	g = mnl_nlmsg_put_extra_header(nh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	port = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, nh, nh->nlmsg_len) < 0) {
		err = -errno;
		mnl_socket_close(nl);
		return err;
	}
	while (!rc.done) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		err = mnl_cb_run2(buf, (size_t)n, seq, port, msg_cb, &rc, ctl, NLMSG_MIN_TYPE);
		if (err < 0) {
			ret = -errno;
			break;
		}
		if (err == MNL_CB_STOP)
			break;
	}
	mnl_socket_close(nl);
	return ret;
}

int linkmon_present(__u32 ifindex)
{
	char name[IF_NAMESIZE];

	return if_indextoname(ifindex, name) != NULL;
}
