// SPDX-License-Identifier: GPL-2.0
/* Interfaces leaving this network namespace (linkmon.h). */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
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

/* A RTM_DELLINK with IFLA_NEW_NETNSID is a move (__dev_change_net_namespace). */
static enum link_gone how_gone(struct nlmsghdr *nh)
{
	struct ifinfomsg *ifi = NLMSG_DATA(nh);
	struct rtattr *a = IFLA_RTA(ifi);
	int len = (int)IFLA_PAYLOAD(nh);

	for (; RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == IFLA_NEW_NETNSID)
			return LINK_MOVED;
	return LINK_DELETED;
}

int linkmon_read(int fd, void (*cb)(void *ctx, __u32 ifindex, enum link_gone how), void *ctx)
{
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *nh;
	ssize_t n;
	int len;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -errno; /* ENOBUFS: messages lost */
		}
		len = (int)n;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
			struct ifinfomsg *ifi = NLMSG_DATA(nh);

			if (nh->nlmsg_type != RTM_DELLINK ||
			    nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
				continue;
			/*
			 * AF_BRIDGE sends RTM_DELLINK when a port leaves its
			 * bridge; the interface stays. Only the link itself.
			 */
			if (ifi->ifi_family != AF_UNSPEC)
				continue;
			cb(ctx, (__u32)ifi->ifi_index, how_gone(nh));
		}
	}
}

int linkmon_present(__u32 ifindex)
{
	char name[IF_NAMESIZE];

	return if_indextoname(ifindex, name) != NULL;
}
