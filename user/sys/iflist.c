// SPDX-License-Identifier: GPL-2.0
/* The interface list of -D (iflist.h). */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <pcap/pcap.h>

#include "iflist.h"
#include "log.h"

/*
 * linux/netdev.h (6.3) is newer than some build hosts' headers: the few
 * values used here, which are UAPI and do not change.
 */
#define NETDEV_FAMILY_NAME	  "netdev"
#define NETDEV_CMD_DEV_GET	  1
#define NETDEV_A_DEV_IFINDEX	  1
#define NETDEV_A_DEV_XDP_FEATURES 3
#define NETDEV_XDP_ACT_BASIC	  1 /* XDP_PASS/DROP/ABORTED in the driver: native XDP */

/* xdp-features of every interface of this namespace, by ifindex (sparse, small). */
struct xdp_feat {
	__u32 ifindex;
	__u64 features;
};

struct xdp_feats {
	struct xdp_feat *v;
	size_t n;
	int known; /* the kernel answered: absent means no native XDP */
};

static int nl_request(int fd, __u16 type, __u16 flags, __u8 cmd, const void *attr, __u16 atype,
		      size_t alen)
{
	struct {
		struct nlmsghdr nh;
		struct genlmsghdr g;
		char buf[64];
	} req = {};
	struct nlattr *na;

	req.nh.nlmsg_type = type;
	req.nh.nlmsg_flags = NLM_F_REQUEST | flags;
	req.nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req.g.cmd = cmd;
	req.g.version = 1;
	if (attr) {
		if (alen + NLA_HDRLEN > sizeof(req.buf))
			return -EINVAL;
		na = (struct nlattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
		na->nla_type = atype;
		na->nla_len = (__u16)(NLA_HDRLEN + alen);
		memcpy((char *)na + NLA_HDRLEN, attr, alen);
		req.nh.nlmsg_len += NLA_ALIGN(na->nla_len);
	}
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0)
		return -errno;
	return 0;
}

/*
 * Read replies until NLMSG_DONE (a dump) or one message; each genetlink
 * message's attributes go to fn. 0 or -errno (an NLMSG_ERROR's).
 */
static int nl_replies(int fd, int dump, void (*fn)(struct nlattr *a, int len, void *ctx), void *ctx)
{
	static char buf[16384];
	struct nlmsghdr *nh;
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nh);

				if (e->error)
					return e->error;
				continue;
			}
			fn((struct nlattr *)((char *)NLMSG_DATA(nh) + GENL_HDRLEN),
			   (int)(nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN)), ctx);
			if (!dump)
				return 0;
		}
	}
}

#define NLA_OK_(a, len)                                                                            \
	((len) >= (int)NLA_HDRLEN && (a)->nla_len >= NLA_HDRLEN && (a)->nla_len <= (len))
#define NLA_NEXT_(a, len)                                                                          \
	((len) -= NLA_ALIGN((a)->nla_len), (struct nlattr *)((char *)(a) + NLA_ALIGN((a)->nla_len)))
#define NLA_DATA_(a) ((void *)((char *)(a) + NLA_HDRLEN))

static void on_family(struct nlattr *a, int len, void *ctx)
{
	for (; NLA_OK_(a, len); a = NLA_NEXT_(a, len))
		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			*(__u16 *)ctx = *(__u16 *)NLA_DATA_(a);
}

static void on_dev(struct nlattr *a, int len, void *ctx)
{
	struct xdp_feats *f = ctx;
	struct xdp_feat d = {};
	void *v;

	for (; NLA_OK_(a, len); a = NLA_NEXT_(a, len)) {
		if (a->nla_type == NETDEV_A_DEV_IFINDEX)
			memcpy(&d.ifindex, NLA_DATA_(a), sizeof(d.ifindex));
		else if (a->nla_type == NETDEV_A_DEV_XDP_FEATURES)
			memcpy(&d.features, NLA_DATA_(a), sizeof(d.features));
	}
	v = realloc(f->v, (f->n + 1) * sizeof(*f->v));
	if (!v)
		return;
	f->v = v;
	f->v[f->n++] = d;
}

/* The netdev family's device dump; on a kernel without it (before 6.3) nothing is known. */
static void xdp_features_read(struct xdp_feats *f)
{
	__u16 family = 0;
	int fd, err;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return;
	err = nl_request(fd, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, NETDEV_FAMILY_NAME,
			 CTRL_ATTR_FAMILY_NAME, sizeof(NETDEV_FAMILY_NAME));
	if (!err)
		err = nl_replies(fd, 0, on_family, &family);
	if (!err && family)
		err = nl_request(fd, family, NLM_F_DUMP, NETDEV_CMD_DEV_GET, NULL, 0, 0);
	if (!err && family)
		err = nl_replies(fd, 1, on_dev, f);
	if (err || !family)
		pr_debug("-D: netdev xdp-features unavailable (%s)",
			 err ? strerror(-err) : "no netdev family");
	else
		f->known = 1;
	close(fd);
}

static const char *xdp_text(const struct xdp_feats *f, __u32 ifindex)
{
	size_t i;

	if (!f->known)
		return "xdp generic (native: unknown)";
	for (i = 0; i < f->n; i++)
		if (f->v[i].ifindex == ifindex)
			return f->v[i].features & NETDEV_XDP_ACT_BASIC ? "xdp native"
								       : "xdp generic";
	return "xdp generic";
}

/* tcpdump.c's status_flags, through bittok2str(..., "none", flags). */
static void print_flags(FILE *f, bpf_u_int32 flags)
{
	static const struct {
		bpf_u_int32 v;
		const char *s;
	} tok[] = {
		{ PCAP_IF_UP, "Up" },
		{ PCAP_IF_RUNNING, "Running" },
		{ PCAP_IF_LOOPBACK, "Loopback" },
		{ PCAP_IF_WIRELESS, "Wireless" },
	};
	const char *sep = "";
	size_t i;

	fputs(" [", f);
	for (i = 0; i < sizeof(tok) / sizeof(tok[0]); i++) {
		if (flags & tok[i].v) {
			fprintf(f, "%s%s", sep, tok[i].s);
			sep = ", ";
		}
	}
	if (!*sep)
		fputs("none", f);
	switch (flags & PCAP_IF_CONNECTION_STATUS) {
	case PCAP_IF_CONNECTION_STATUS_UNKNOWN:
		fputs(flags & PCAP_IF_WIRELESS ? ", Association status unknown"
					       : ", Connection status unknown",
		      f);
		break;
	case PCAP_IF_CONNECTION_STATUS_CONNECTED:
		fputs(flags & PCAP_IF_WIRELESS ? ", Associated" : ", Connected", f);
		break;
	case PCAP_IF_CONNECTION_STATUS_DISCONNECTED:
		fputs(flags & PCAP_IF_WIRELESS ? ", Not associated" : ", Disconnected", f);
		break;
	}
	fputs("]", f);
}

int iflist_print(FILE *f)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct xdp_feats feats = {};
	pcap_if_t *dev, *list;
	unsigned int idx;
	int i;

	if (pcap_findalldevs(&list, ebuf) < 0) {
		pr_warn("-D: listing interfaces: %s", ebuf);
		return -EIO;
	}
	xdp_features_read(&feats);
	for (i = 1, dev = list; dev; i++, dev = dev->next) {
		/* tcpdump's line, byte for byte... */
		fprintf(f, "%d.%s", i, dev->name);
		if (dev->description)
			fprintf(f, " (%s)", dev->description);
		if (dev->flags)
			print_flags(f, dev->flags);
		/* ...then, for a network interface of this namespace, what rsttrace can use. */
		idx = strcmp(dev->name, "any") ? if_nametoindex(dev->name) : 0;
		if (idx)
			fprintf(f, " ifindex %u: %s, tc", idx, xdp_text(&feats, idx));
		fputc('\n', f);
	}
	free(feats.v);
	pcap_freealldevs(list);
	return 0;
}
