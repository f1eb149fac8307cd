// SPDX-License-Identifier: GPL-2.0
/* watch -i any: following the interfaces of the namespace (anyif.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if_arp.h>

#include "anyif.h"
#include "linkmon.h"
#include "log.h"

/* Gone entries kept for their names before they are dropped, oldest first. */
#define ANYIF_GONE_KEEP 1024

void anyif_init(struct anyif *a)
{
	memset(a, 0, sizeof(*a));
	a->fd = -1;
}

static struct anyif_ent *find(const struct anyif *a, __u32 ifindex)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (!a->e[i].gone && a->e[i].l.ifindex == ifindex)
			return &a->e[i];
	return NULL;
}

const char *anyif_name(const struct anyif *a, __u32 ifindex)
{
	size_t i;

	/* The newest first: an ifindex that came back is its new self. */
	for (i = a->n; i-- > 0;)
		if (a->e[i].l.ifindex == ifindex)
			return a->e[i].l.ifname;
	return NULL;
}

/* Drop the oldest gone entries once there are too many (containers come and go). */
static void compact(struct anyif *a)
{
	size_t i, j = 0, drop;

	if (a->n_gone <= ANYIF_GONE_KEEP)
		return;
	drop = a->n_gone - ANYIF_GONE_KEEP / 2;
	for (i = 0; i < a->n; i++) {
		if (a->e[i].gone && drop) {
			drop--;
			a->n_gone--;
			continue;
		}
		a->e[j++] = a->e[i];
	}
	a->n = j;
}

static struct anyif_ent *add(struct anyif *a)
{
	struct anyif_ent *e;

	compact(a);
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;

		e = realloc(a->e, cap * sizeof(*e));
		if (!e)
			return NULL;
		a->e = e;
		a->cap = cap;
	}
	return &a->e[a->n++];
}

/* The hooks of l, as the announcement says them: "xdp native + tc", "tc". */
static const char *hooks_of(const struct rst_link *l, char *buf, size_t len)
{
	int tc = l->tc_fd[0] >= 0 || l->tc_fd[1] >= 0 || l->legacy[0] || l->legacy[1];

	if (l->xdp_fd >= 0)
		snprintf(buf, len, "xdp %s%s", xdp_mode_name(l->xdp_flags), tc ? " + tc" : "");
	else
		snprintf(buf, len, "tc");
	return buf;
}

/*
 * Only Ethernet frames (and lo's, which carry an Ethernet header) are
 * what the programs parse; a tun, a wireguard or an ipip device starts
 * with the IP header and would only count malformed frames.
 */
static int traceable(const struct link_info *li)
{
	return li->type == ARPHRD_ETHER || li->type == ARPHRD_LOOPBACK;
}

static void link_came(struct anyif *a, const struct link_info *li)
{
	struct anyif_ent *e = find(a, li->ifindex);
	char hooks[32];

	if (e) {
		/* A change of an interface we have: a rename is all that matters. */
		if (li->name[0] && strcmp(li->name, e->l.ifname)) {
			pr_info("%s is now %s (ifindex %u)", e->l.ifname, li->name, li->ifindex);
			snprintf(e->l.ifname, sizeof(e->l.ifname), "%s", li->name);
		}
		return;
	}
	if (!li->name[0])
		return;
	if (!traceable(li)) {
		pr_info("%s: not traced (link type %u, not Ethernet)", li->name, li->type);
		return;
	}
	e = add(a);
	if (!e) {
		pr_warn("%s: not attached: %s", li->name, strerror(ENOMEM));
		return;
	}
	e->gone = 0;
	link_init(&e->l, li->name, li->ifindex);
	/* attach_iface said why on failure and undid its part; the others go on. */
	if (attach_iface(&e->l, a->progs, a->o)) {
		a->n--;
		return;
	}
	a->attached++;
	pr_warn("attached to %s (ifindex %u, %s)", e->l.ifname, e->l.ifindex,
		hooks_of(&e->l, hooks, sizeof(hooks)));
}

static void link_went(struct anyif *a, __u32 ifindex)
{
	struct anyif_ent *e = find(a, ifindex);

	if (!e)
		return;
	/* Moved there and back already: still here, still traced. */
	if (linkmon_present(ifindex))
		return;
	/*
	 * A cls_bpf filter went with its device: there is no ifindex here to
	 * remove it from. XXX: a moved device keeps it, in the other namespace.
	 */
	e->l.legacy[RST_DIR_IN] = e->l.legacy[RST_DIR_OUT] = false;
	e->l.legacy_qdisc = false;
	detach_iface(&e->l);
	e->gone = 1;
	a->n_gone++;
	a->attached--;
	pr_warn("%s is gone", e->l.ifname);
}

static void on_link(void *ctx, const struct link_info *li)
{
	struct anyif *a = ctx;

	if (li->gone)
		link_went(a, li->ifindex);
	else
		link_came(a, li);
}

/* After lost messages: what is there now is the truth. */
struct resync {
	struct anyif *a;
	__u32 *seen;
	size_t n, cap;
};

static void on_dump(void *ctx, const struct link_info *li)
{
	struct resync *r = ctx;

	link_came(r->a, li);
	if (r->n < r->cap)
		r->seen[r->n++] = li->ifindex;
}

static int resync(struct anyif *a)
{
	struct resync r = { .a = a };
	size_t i, j;
	int err;

	r.cap = a->n + 4096;
	r.seen = calloc(r.cap, sizeof(*r.seen));
	if (!r.seen)
		return -ENOMEM;
	err = linkmon_dump(on_dump, &r);
	if (!err) {
		for (i = 0; i < a->n; i++) {
			if (a->e[i].gone)
				continue;
			for (j = 0; j < r.n && r.seen[j] != a->e[i].l.ifindex; j++)
				;
			if (j == r.n)
				link_went(a, a->e[i].l.ifindex);
		}
	}
	free(r.seen);
	return err;
}

int anyif_start(struct anyif *a, const struct rst_progs *p, const struct rst_opts *o)
{
	int err;

	a->progs = p;
	a->o = o;
	/* Refused here as a whole, not once per interface that comes. */
	err = netns_guard("any");
	if (err)
		return err;
	a->fd = linkmon_open();
	if (a->fd < 0) {
		err = a->fd;
		a->fd = -1;
		pr_warn("-i any: rtnetlink: %s", strerror(-err));
		return err;
	}
	err = linkmon_dump(on_link, a);
	if (err)
		pr_warn("-i any: listing the interfaces: %s", strerror(-err));
	return err;
}

int anyif_poll(struct anyif *a)
{
	int err;

	if (a->fd < 0)
		return 0;
	err = linkmon_read_links(a->fd, on_link, a);
	if (err == -ENOBUFS) {
		pr_debug("rtnetlink: messages lost; listing the interfaces again");
		err = resync(a);
	}
	return err;
}

void anyif_check_order(struct anyif *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (!a->e[i].gone)
			link_check_order(&a->e[i].l);
}

void anyif_detach(struct anyif *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		detach_iface(&a->e[i].l);
	a->attached = 0;
}

void anyif_stop(struct anyif *a)
{
	anyif_detach(a);
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	free(a->e);
	a->e = NULL;
	a->n = a->cap = a->n_gone = 0;
}
