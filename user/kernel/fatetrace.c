// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "fatetrace.h"
#include "mapread.h"
#include "log.h"
#include "rsttrace.skel.h"

static struct bpf_program *fate_prog(const struct rsttrace *skel, int i)
{
	/* The names exist only in a build from the kernel's BTF (no fallback). */
	/* rst_kfree_skb (index FATE_KFREE) is the causes' program too (bpf/kfree.bpf.h). */
	static const char *const names[FATE_PROGS] = { "rst_recv_reset", "rst_kfree_skb",
						       "rst_send_owner" };

	return bpf_object__find_program_by_name(skel->obj, names[i]);
}

/* NULL when the kernel's BTF has what the programs read, else why not. */
static const char *fate_missing(const struct btf *btf, bool *rx_sk)
{
	const struct btf_type *t;
	__s32 id;

	if (btf__find_by_name_kind(btf, "btf_trace_tcp_receive_reset", BTF_KIND_TYPEDEF) < 0)
		return "the kernel has no tcp_receive_reset tracepoint";
	if (btf__find_by_name_kind(btf, "btf_trace_tcp_send_reset", BTF_KIND_TYPEDEF) < 0)
		return "the kernel has no tcp_send_reset tracepoint";
	if (btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM) < 0)
		return "the kernel has no enum skb_drop_reason";
	id = btf__find_by_name_kind(btf, "btf_trace_kfree_skb", BTF_KIND_TYPEDEF);
	if (id < 0)
		return "the kernel has no kfree_skb tracepoint";
	/* typedef -> pointer -> prototype (ctx, skb, location, reason[, rx_sk]) */
	t = btf__type_by_id(btf, id);
	t = t ? btf__type_by_id(btf, t->type) : NULL;
	t = t && btf_is_ptr(t) ? btf__type_by_id(btf, t->type) : NULL;
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) < 4)
		return "the kfree_skb tracepoint has no drop reason";
	*rx_sk = btf_vlen(t) >= 5;
	return NULL;
}

bool fate_configure(struct rsttrace *skel, bool want)
{
	const char *why = want ? NULL : "not wanted";
	struct btf *btf = NULL;
	bool rx_sk = false, causes;
	struct stat st;
	int i;

	if (!fate_prog(skel, 0)) {
		pr_debug("received-RST fates off: built without the kernel's BTF");
		return false;
	}
	/* tracing_configure() ran first: whether the causes want the kfree_skb program. */
	causes = bpf_program__autoload(fate_prog(skel, FATE_KFREE));
	skel->rodata->kfree_causes = causes;
	if (!why) {
		btf = btf__load_vmlinux_btf();
		why = btf ? fate_missing(btf, &rx_sk) : "the kernel has no BTF";
		btf__free(btf);
	}
	for (i = 0; i < FATE_PROGS; i++)
		bpf_program__set_autoload(fate_prog(skel, i), !why || (i == FATE_KFREE && causes));
	skel->rodata->kfree_fates = !why;
	if (why) {
		pr_debug("received-RST fates and socket owners off: %s", why);
		return false;
	}
	/* Local resets are counted for this namespace only: the tracepoints see every one. */
	if (!stat("/proc/self/ns/net", &st))
		skel->rodata->fate_netns = (__u32)st.st_ino;
	skel->rodata->fate_rx_sk = rx_sk;
	pr_debug("received-RST fates and socket owners on: tcp_receive_reset, kfree_skb, "
		 "tcp_send_reset");
	return true;
}

void fate_links_init(struct fate_links *l)
{
	int i;

	for (i = 0; i < FATE_PROGS; i++)
		l->fd[i] = -1;
	l->n = 0;
}

int fate_attach(struct fate_links *l, const struct rsttrace *skel)
{
	struct bpf_program *p;
	int i, fd, err;

	/* Loaded for the causes alone, the kfree_skb program is still attached here, once. */

	for (i = 0; i < FATE_PROGS; i++) {
		p = fate_prog(skel, i);
		if (!p || !bpf_program__autoload(p) || bpf_program__fd(p) < 0)
			continue;
		/* A BTF-typed raw tracepoint knows its target. */
		fd = bpf_raw_tracepoint_open(NULL, bpf_program__fd(p));
		if (fd < 0) {
			err = -errno;
			fate_detach(l);
			return err;
		}
		l->fd[i] = fd;
		l->n++;
	}
	return skel->rodata->kfree_fates ? l->n : 0;
}

void fate_detach(struct fate_links *l)
{
	int i;

	for (i = 0; i < FATE_PROGS; i++) {
		if (l->fd[i] >= 0)
			close(l->fd[i]);
		l->fd[i] = -1;
	}
	l->n = 0;
}

int fate_read_iface(int fd, __u32 ifindex, struct rst_fate_counts *out)
{
	int ncpu = libbpf_num_possible_cpus(), c, f, err = 0;
	struct rst_fate_counts *v;
	__u32 key, keys[2];
	int k, nkeys;

	memset(out, 0, sizeof(*out));
	if (ncpu <= 0)
		return -EINVAL;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	/* Its own slot where it owns it on a CPU, the overflow slot where another does. */
	if (ifindex) {
		keys[0] = ifindex % RST_IF_SLOTS;
		keys[1] = RST_IF_SLOTS;
		nkeys = 2;
	} else {
		keys[0] = RST_IF_SLOTS + 1;
		nkeys = 1;
	}
	for (k = 0; k < nkeys && !err; k++) {
		key = keys[k];
		if (bpf_map_lookup_elem(fd, &key, v)) {
			err = -errno;
			break;
		}
		for (c = 0; c < ncpu; c++) {
			/* XXX: the overflow slot mixes interfaces: counted for each that asks. */
			if (ifindex && k == 0 && v[c].ifindex != ifindex)
				continue;
			for (f = 0; f < RST_FATE_MAX; f++)
				out->fate[f] += v[c].fate[f];
			out->local_reset += v[c].local_reset;
			out->host_lost += v[c].host_lost;
		}
	}
	out->ifindex = ifindex;
	free(v);
	return err;
}

static int fates_any(const struct rst_fate_counts *v)
{
	int f;

	for (f = 0; f < RST_FATE_MAX; f++)
		if (v->fate[f])
			return 1;
	return v->host_lost != 0;
}

int fate_read_ifaces(int fd, struct rst_fate_counts *per, size_t max, size_t *n,
		     struct rst_fate_counts *total)
{
	int ncpu = libbpf_num_possible_cpus(), c, f, err = 0;
	struct rst_fate_counts *v, *row;
	__u32 key, ifindex;
	size_t i;

	*n = 0;
	memset(total, 0, sizeof(*total));
	if (fd < 0 || ncpu <= 0)
		return -EINVAL;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (key = 0; key < RST_FATE_IF_ENTRIES; key++) {
		if (bpf_map_lookup_elem(fd, &key, v)) {
			err = -errno;
			break;
		}
		for (c = 0; c < ncpu; c++) {
			for (f = 0; f < RST_FATE_MAX; f++)
				total->fate[f] += v[c].fate[f];
			total->local_reset += v[c].local_reset;
			total->host_lost += v[c].host_lost;
			/* The local resets' slot has no interface. */
			if (key == RST_IF_SLOTS + 1)
				continue;
			ifindex = key < RST_IF_SLOTS ? v[c].ifindex : 0;
			for (i = 0; i < *n && per[i].ifindex != ifindex; i++)
				;
			if (i == *n) {
				/* An unused slot of this CPU, or the overflow slot empty. */
				if (!ifindex && (key < RST_IF_SLOTS || !fates_any(&v[c])))
					continue;
				if (*n == max)
					continue; /* XXX: more interfaces than rows: in the total only */
				memset(&per[i], 0, sizeof(per[i]));
				per[i].ifindex = ifindex;
				(*n)++;
			}
			row = &per[i];
			for (f = 0; f < RST_FATE_MAX; f++)
				row->fate[f] += v[c].fate[f];
			row->host_lost += v[c].host_lost;
		}
	}
	free(v);
	return err;
}

static int row_cmp(const void *a, const void *b)
{
	const struct fate_host_row *x = a, *y = b;

	if (x->key.family != y->key.family)
		return x->key.family < y->key.family ? -1 : 1;
	return memcmp(x->key.addr, y->key.addr, sizeof(x->key.addr));
}

int fate_hosts_read(int fd, struct fate_host_row **rows, size_t *n)
{
	struct map_dump d = {};
	size_t i;
	int err;

	*rows = NULL;
	*n = 0;
	if (fd < 0)
		return -EINVAL;
	/* The tables' own reader (mapread.h): batches of sets, each host's lines merged. */
	err = fate_hosts_dump_read(fd, &d);
	if (!err && d.n) {
		*rows = calloc(d.n, sizeof(**rows));
		if (!*rows)
			err = -ENOMEM;
	}
	for (i = 0; !err && i < d.n; i++) {
		memcpy(&(*rows)[i].key, map_dump_key(&d, i), sizeof((*rows)[i].key));
		memcpy(&(*rows)[i].v, map_dump_val(&d, i), sizeof((*rows)[i].v));
	}
	map_dump_free(&d);
	if (err) {
		free(*rows);
		*rows = NULL;
		return err;
	}
	*n = i;
	if (*n)
		qsort(*rows, *n, sizeof(**rows), row_cmp);
	return 0;
}

const struct fate_host_row *fate_host_find(const struct fate_host_row *rows, size_t n,
					   const __u8 *addr, __u8 family)
{
	struct fate_host_row k = {};

	if (!rows || !n)
		return NULL;
	memcpy(k.key.addr, addr, sizeof(k.key.addr));
	k.key.family = family;
	return bsearch(&k, rows, n, sizeof(*rows), row_cmp);
}

int fate_hosts_each(int fd, fate_host_fn fn, void *ctx)
{
	struct fate_host_row *rows;
	size_t n, i;
	int err;

	err = fate_hosts_read(fd, &rows, &n);
	for (i = 0; !err && i < n; i++)
		err = fn(ctx, &rows[i].key, &rows[i].v);
	free(rows);
	return err < 0 ? err : 0;
}

int fate_cgroups_read(int fd, __u64 *ids, struct rst_cgroup_val *vals, int max)
{
	int ncpu = libbpf_num_possible_cpus(), c, n = 0;
	__u64 k, next, *prev = NULL;
	struct rst_cgroup_val *v;

	if (ncpu <= 0)
		return -EINVAL;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	while (n < max && !bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, v))
			continue;
		ids[n] = k;
		memset(&vals[n], 0, sizeof(vals[n]));
		for (c = 0; c < ncpu; c++) {
			vals[n].sent += v[c].sent;
			vals[n].accepted += v[c].accepted;
		}
		n++;
	}
	free(v);
	return n;
}

/* The fd of the map named name that program prog_fd uses (its id in *id), or -1. */
static int prog_map_named(int prog_fd, const char *name, __u32 *id)
{
	struct bpf_prog_info pi = {};
	__u32 len = sizeof(pi), ids[32], i, n;
	int fd;

	pi.nr_map_ids = 32;
	pi.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &pi, &len))
		return -1;
	n = pi.nr_map_ids < 32 ? pi.nr_map_ids : 32;
	for (i = 0; i < n; i++) {
		struct bpf_map_info mi = {};
		__u32 mlen = sizeof(mi);

		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &mi, &mlen) && !strcmp(mi.name, name)) {
			if (id)
				*id = mi.id;
			return fd;
		}
		close(fd);
	}
	return -1;
}

/*
 * The first loaded program named one of names[] that uses the map of id
 * uses_id, and its map named want: that map's fd (its id in *got), or -1.
 */
static int find_via_prog(const char *const *names, __u32 uses_id, const char *uses,
			 const char *want, __u32 *got)
{
	__u32 id = 0, mid;
	int pfd, fd, k, res = -1;

	while (res < 0 && !bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info pi = {};
		__u32 len = sizeof(pi);

		pfd = bpf_prog_get_fd_by_id(id);
		if (pfd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(pfd, &pi, &len))
			goto next;
		for (k = 0; names[k] && strcmp(pi.name, names[k]); k++)
			;
		if (!names[k])
			goto next;
		fd = prog_map_named(pfd, uses, &mid);
		if (fd < 0)
			goto next;
		close(fd);
		if (mid == uses_id)
			res = prog_map_named(pfd, want, got);
next:
		close(pfd);
	}
	return res;
}

int fate_owners_near(int counters_fd)
{
	static const char *const datapath[] = { "rst_xdp", "rst_tc_ingress", "rst_tc_egress",
						NULL };
	static const char *const recv[] = { "rst_recv_reset", NULL };
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi), ring_id = 0;
	int ring;

	if (counters_fd < 0 || bpf_obj_get_info_by_fd(counters_fd, &mi, &len))
		return -1;
	/* The datapath with these counters has the fate ring its tracepoints share. */
	ring = find_via_prog(datapath, mi.id, "counters", "fate_ring", &ring_id);
	if (ring < 0)
		return -1;
	close(ring);
	return find_via_prog(recv, ring_id, "fate_ring", "owners", NULL);
}
