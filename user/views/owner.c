// SPDX-License-Identifier: GPL-2.0
/*
 * Cgroup ids to paths by walking the cgroup v2 hierarchy and comparing
 * inode numbers: kernfs gives each cgroup directory the inode number that
 * is its id (cgroup_id() == kernfs_node id == st_ino on 64-bit), so no
 * name_to_handle_at() is needed. The walk is bounded (depth and entries)
 * and its results cached, so a busy reset storm costs one walk per cgroup.
 */
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>

#include "owner.h"
#include "util.h"

#define OWNER_WAIT_NS (5ULL * 1000 * 1000)
#define CG_CACHE      64
#define CG_WALK_MAX   20000 /* directories looked at per walk, at most */
#define CG_PATH_MAX   256

struct cg_entry {
	__u64 id;
	int found;
	char path[CG_PATH_MAX];
};

static struct cg_entry cg_cache[CG_CACHE];
static unsigned int cg_next;

/* nftw has no context argument: the walk's state, one walk at a time. */
static struct {
	__u64 want;
	size_t root_len;
	long seen;
	char *out;
	int found;
} walk;

static int cg_visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type != FTW_D)
		return 0;
	if (++walk.seen > CG_WALK_MAX)
		return 1;
	if ((__u64)st->st_ino != walk.want)
		return 0;
	if (path[walk.root_len])
		snprintf(walk.out, CG_PATH_MAX, "%s", path + walk.root_len);
	else
		snprintf(walk.out, CG_PATH_MAX, "/");
	walk.found = 1;
	return 1;
}

static pthread_mutex_t cg_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *cg_lookup(const char *root, __u64 id)
{
	struct cg_entry *c;
	unsigned int i;

	/* The v2 hierarchy: /sys/fs/cgroup, or its "unified" part on a hybrid (v1 + v2) host. */
	if (!root)
		root = access("/sys/fs/cgroup/cgroup.controllers", F_OK) &&
				       !access("/sys/fs/cgroup/unified/cgroup.procs", F_OK)
			       ? "/sys/fs/cgroup/unified"
			       : "/sys/fs/cgroup";
	for (i = 0; i < CG_CACHE; i++)
		if (cg_cache[i].id == id)
			return cg_cache[i].found ? cg_cache[i].path : NULL;
	c = &cg_cache[cg_next++ % CG_CACHE];
	memset(c, 0, sizeof(*c));
	c->id = id;
	walk.want = id;
	walk.root_len = strlen(root);
	while (walk.root_len > 1 && root[walk.root_len - 1] == '/')
		walk.root_len--;
	walk.seen = 0;
	walk.out = c->path;
	walk.found = 0;
	/* FTW_MOUNT: the hierarchy is one filesystem; FTW_PHYS: no symlinks followed. */
	nftw(root, cg_visit, 16, FTW_PHYS | FTW_MOUNT);
	c->found = walk.found;
	return c->found ? c->path : NULL;
}

const char *owner_cgroup_path(const char *root, __u64 id, char *buf, size_t len)
{
	const char *p;

	if (!id || !len)
		return NULL;
	pthread_mutex_lock(&cg_lock);
	p = cg_lookup(root, id);
	if (p)
		snprintf(buf, len, "%s", p);
	pthread_mutex_unlock(&cg_lock);
	return p ? buf : NULL;
}

void owner_cgroup_flush(void)
{
	pthread_mutex_lock(&cg_lock);
	memset(cg_cache, 0, sizeof(cg_cache));
	cg_next = 0;
	pthread_mutex_unlock(&cg_lock);
}

/* The record is this RST's: within RST_REASON_MAX_AGE_NS of it, either way. */
static int owner_lookup(int fd, const struct rst_reason_key *k, const struct rst_event *e,
			struct rst_owner_val *v)
{
	if (bpf_map_lookup_elem(fd, k, v))
		return -1;
	if (v->ts_ns + RST_REASON_MAX_AGE_NS < e->ts_ns ||
	    v->ts_ns > e->ts_ns + RST_REASON_MAX_AGE_NS)
		return -1;
	return 0;
}

/* The record v as the owner o. */
static int owner_fill(const struct rst_owner_val *v, struct rst_owner *o)
{
	size_t i;

	if (v->flags & RST_OWN_SOCK) {
		o->have_sock = 1;
		o->cgroup_id = v->cgroup_id;
		o->cgroup = owner_cgroup_path(NULL, v->cgroup_id, o->path, sizeof(o->path));
		o->uid = v->uid;
	}
	if (v->flags & RST_OWN_TASK) {
		o->have_task = 1;
		o->pid = v->pid;
		for (i = 0; i < sizeof(v->comm) && v->comm[i]; i++)
			o->comm[i] = v->comm[i];
		o->comm[i] = '\0';
	}
	return o->have_sock || o->have_task;
}

int owner_join(int fd, const struct rst_event *e, int accepted, struct rst_owner *o)
{
	struct rst_reason_key k = {};
	struct rst_owner_val v;
	__u64 age;

	memset(o, 0, sizeof(*o));
	if (fd < 0 || (e->dir == RST_DIR_IN && !accepted))
		return 0;
	/* Keyed as the RST this host sends: this host first. */
	if (e->dir == RST_DIR_OUT) {
		memcpy(k.saddr, e->saddr, 16);
		memcpy(k.daddr, e->daddr, 16);
		k.sport = e->sport;
		k.dport = e->dport;
	} else {
		memcpy(k.saddr, e->daddr, 16);
		memcpy(k.daddr, e->saddr, 16);
		k.sport = e->dport;
		k.dport = e->sport;
	}
	k.family = e->family;
	if (owner_lookup(fd, &k, e, &v)) {
		/*
		 * Only an active reset's record comes after its packet left
		 * (RST_EV_LOCAL, as for the late reasons); a reply's is there
		 * before, or never (no socket): no wait for those.
		 */
		age = now_mono_ns() - e->ts_ns;
		if (e->dir != RST_DIR_OUT || !(e->ev_flags & RST_EV_LOCAL) || age >= OWNER_WAIT_NS)
			return 0;
		nanosleep(&(struct timespec){ 0, (long)(OWNER_WAIT_NS - age) }, NULL);
		if (owner_lookup(fd, &k, e, &v))
			return 0;
	}
	return owner_fill(&v, o);
}

int owner_of_flow(int fd, const struct rst_flow_key *k, struct rst_owner *o)
{
	struct rst_owner_val v[2];
	struct rst_reason_key key = {};
	int have[2], d;

	memset(o, 0, sizeof(*o));
	if (fd < 0)
		return 0;
	key.family = k->family;
	/* This host is A, then B: the record is keyed with this host first. */
	for (d = 0; d < 2; d++) {
		memcpy(key.saddr, d ? k->addr_b : k->addr_a, 16);
		memcpy(key.daddr, d ? k->addr_a : k->addr_b, 16);
		key.sport = d ? k->port_b : k->port_a;
		key.dport = d ? k->port_a : k->port_b;
		have[d] = !bpf_map_lookup_elem(fd, &key, &v[d]);
	}
	if (have[0] && have[1])
		d = v[1].ts_ns > v[0].ts_ns;
	else if (have[0] || have[1])
		d = have[1];
	else
		return 0;
	return owner_fill(&v[d], o);
}
