// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "iface.h"
#include "log.h"

int iface_resolve(const char *name, __u32 *ifindex, int allow_down)
{
	struct ifreq ifr = {};
	unsigned int idx;
	int fd, err = 0;

	if (!name || !*name || strlen(name) >= IF_NAMESIZE) {
		pr_warn("invalid interface name '%s'", name ? name : "");
		return -EINVAL;
	}
	idx = if_nametoindex(name);
	if (!idx) {
		pr_warn("%s: no such interface in this network namespace", name);
		return -ENODEV;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		strncpy(ifr.ifr_name, name, IF_NAMESIZE - 1);
		if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP) &&
		    !allow_down) {
			pr_warn("%s: interface is down (ip link set %s up)", name, name);
			err = -ENETDOWN;
		}
		close(fd);
	}
	if (!err)
		*ifindex = idx;
	return err;
}

static int default_v4(char *name, size_t len)
{
	char line[512], ifn[64];
	unsigned long dst, gw, mask;
	unsigned int flags;
	FILE *f;
	int ret = -ENOENT;

	f = fopen("/proc/net/route", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %lx %lx %x %*d %*d %*d %lx", ifn, &dst, &gw, &flags,
			   &mask) != 5)
			continue;
		/* RTF_UP (1) set, destination and mask 0: the default route. */
		if (dst == 0 && mask == 0 && (flags & 1)) {
			snprintf(name, len, "%s", ifn);
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

static int default_v6(char *name, size_t len)
{
	char line[512], dst[40], ifn[64];
	unsigned int plen;
	FILE *f;
	int ret = -ENOENT;

	f = fopen("/proc/net/ipv6_route", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%32s %x %*s %*s %*s %*s %*s %*s %*s %63s", dst, &plen, ifn) != 3)
			continue;
		if (plen == 0 && strcmp(dst, "00000000000000000000000000000000") == 0 &&
		    strcmp(ifn, "lo") != 0) {
			snprintf(name, len, "%s", ifn);
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

int iface_default_route(char *name, size_t len)
{
	if (default_v4(name, len) == 0)
		return 0;
	return default_v6(name, len);
}

const char *iface_name(__u32 ifindex, char *buf)
{
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "if%u", ifindex);
	return buf;
}
