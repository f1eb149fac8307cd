// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfcompat.h"
#include "log.h"
#include "rsttrace.h"
#include "maps.h"
#include "mapread.h"
#include "rsttrace.skel.h"

const char *const pin_map_names[PM_MAX] = {
#define PM_NAME(U, l) [PM_##U] = #l,
	RST_PIN_MAPS(PM_NAME)
#undef PM_NAME
};

void maps_init(struct rst_maps *m)
{
	int i;

	for (i = 0; i < PM_MAX; i++)
		m->fd[i] = -1;
	m->owned = 0;
}

void maps_from_skel(struct rst_maps *m, const struct rsttrace *skel)
{
#define PM_SKEL(U, l) m->fd[PM_##U] = bpf_map__fd(skel->maps.l);
	RST_PIN_MAPS(PM_SKEL)
#undef PM_SKEL
	m->owned = 0;
	tables_seed_from(m->settings);
}

struct bpf_map *maps_skel_map(const struct rsttrace *skel, int which)
{
	struct bpf_map *const all[PM_MAX] = {
#define PM_OBJ(U, l) [PM_##U] = skel->maps.l,
		RST_PIN_MAPS(PM_OBJ)
#undef PM_OBJ
	};

	return which >= 0 && which < PM_MAX ? all[which] : NULL;
}

void maps_close(struct rst_maps *m)
{
	int i;

	for (i = 0; i < PM_MAX; i++) {
		if (m->owned && m->fd[i] >= 0)
			close(m->fd[i]);
		m->fd[i] = -1;
	}
	m->owned = 0;
}

/* Map fds by name from prog_fd into m (only slots still empty). */
static void maps_of_prog(int prog_fd, struct rst_maps *m)
{
	struct bpf_prog_info pi = {};
	__u32 len = sizeof(pi), ids[32], i;
	int j, fd;

	/* The datapath uses more than 16 maps (the fate maps came after the causes'). */
	pi.nr_map_ids = 32;
	pi.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &pi, &len))
		return;
	for (i = 0; i < pi.nr_map_ids && i < 32; i++) {
		struct bpf_map_info mi = {};
		__u32 mlen = sizeof(mi);

		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &mi, &mlen)) {
			for (j = 0; j < PM_MAX; j++) {
				if (!strcmp(mi.name, pin_map_names[j]) && m->fd[j] < 0) {
					m->fd[j] = fd;
					fd = -1;
					break;
				}
			}
		}
		if (fd >= 0)
			close(fd);
	}
}

/*
 * Programs attached to the interfaces of this network namespace (XDP and
 * tcx), into ids; returns how many. tcx takes the ifindex where the query
 * takes a target fd (the same field of the UAPI union).
 */
static int progs_here(__u32 *ids, int max)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	static const int tcx_types[] = { RST_BPF_TCX_INGRESS, RST_BPF_TCX_EGRESS };
	__u32 got[16], cnt;
	int n = 0, t, j;

	for (i = ifs; i && i->if_index && n < max; i++) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);

		if (!bpf_xdp_query(i->if_index, 0, &q)) {
			if (q.drv_prog_id && n < max)
				ids[n++] = q.drv_prog_id;
			if (q.skb_prog_id && n < max)
				ids[n++] = q.skb_prog_id;
		}
		for (t = 0; t < 2; t++) {
			cnt = 16;
			if (bpf_prog_query(i->if_index, tcx_types[t], 0, NULL, got, &cnt))
				continue;
			for (j = 0; j < (int)cnt && j < 16 && n < max; j++)
				ids[n++] = got[j];
		}
	}
	if (ifs)
		if_freenameindex(ifs);
	return n;
}

int maps_find_live(struct rst_maps *m)
{
	__u32 id = 0, best_id = 0, here[256];
	int fd, i, n = 0, n_here, best_here = -1, is_here;
	__u64 best_time = 0;

	maps_init(m);
	m->owned = 1;
	n_here = progs_here(here, 256);
	/* Walking ids is CAP_SYS_ADMIN's: without it the walk ends at once. */
	if (bpf_prog_get_next_id(0, &id) && errno == EPERM) {
		pr_warn("finding a running watch's maps needs CAP_SYS_ADMIN "
			"(a persistent attachment's pins need only CAP_BPF)");
		return -EPERM;
	}
	id = 0;
	/* Bounded by the ids the kernel hands out; each step moves forward. */
	while (!bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info pi = {};
		__u32 len = sizeof(pi);

		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &pi, &len) &&
		    (!strcmp(pi.name, "rst_xdp") || !strcmp(pi.name, "rst_tc_ingress") ||
		     !strcmp(pi.name, "rst_tc_egress"))) {
			n++;
			for (is_here = 0, i = 0; i < n_here && !is_here; i++)
				is_here = here[i] == id;
			/* One attached in our namespace first, then the newest. */
			if (is_here > best_here ||
			    (is_here == best_here && pi.load_time >= best_time)) {
				best_id = id;
				best_time = pi.load_time;
				best_here = is_here;
			}
		}
		close(fd);
	}
	if (!best_id)
		return -ENOENT;
	fd = bpf_prog_get_fd_by_id(best_id);
	if (fd < 0)
		return -errno;
	maps_of_prog(fd, m);
	close(fd);
	if (n > 3)
		pr_info("several rsttrace datapaths are loaded; reading program %u's "
			"(%s)",
			best_id, best_here ? "attached in this network namespace" : "loaded last");
	for (i = 0; i < PM_MAX; i++) {
		/*
		 * From events on, every map may be missing: a watch of an older
		 * rsttrace has no causes or fates, and owners and cgroups are
		 * used only by the tracing programs, not by the program found.
		 */
		if (m->fd[i] < 0 && i < PM_EVENTS) {
			pr_warn("program %u has no map %s: not rsttrace's", best_id,
				pin_map_names[i]);
			maps_close(m);
			return -EPROTO;
		}
	}
	if (maps_check_layout(m, "running rsttrace")) {
		maps_close(m);
		return -EPROTO;
	}
	return 0;
}

int maps_check_layout(struct rst_maps *m, const char *where)
{
	static const struct {
		int which;
		__u32 key, val;
	} want[] = {
		{ PM_COUNTERS, 4, sizeof(struct rst_counters) },
		{ PM_SETTINGS, 4, sizeof(struct rst_config) },
		{ PM_FLOWS, 4, sizeof(struct rst_flow_set) },
		{ PM_HOSTS, 4, sizeof(struct rst_host_set) },
		{ PM_REASONS, sizeof(struct rst_reason_key), sizeof(struct rst_reason_val) },
		{ PM_CAUSES, 4, sizeof(struct rst_causes) },
		{ PM_CAUSE_HOSTS, 4, sizeof(struct rst_cause_host_set) },
		{ PM_FATE_RING, 4, sizeof(struct rst_fate_ring) },
		{ PM_FATE_RES, sizeof(struct rst_fate_key), sizeof(struct rst_fate_val) },
		{ PM_FATE_IFS, 4, sizeof(struct rst_fate_counts) },
		{ PM_FATE_HOSTS, 4, sizeof(struct rst_fate_host_set) },
		{ PM_OWNERS, sizeof(struct rst_reason_key), sizeof(struct rst_owner_val) },
		{ PM_CGROUPS, 8, sizeof(struct rst_cgroup_val) },
	};
	struct bpf_map_info mi;
	__u32 len;
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int fd = m->fd[want[i].which];

		memset(&mi, 0, sizeof(mi));
		len = sizeof(mi);
		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &mi, &len))
			continue;
		if (mi.key_size != want[i].key || mi.value_size != want[i].val ||
		    (want[i].which == PM_COUNTERS && mi.max_entries != RST_COUNTER_ENTRIES)) {
			pr_warn("%s: map %s has another layout (key %u, value %u bytes; "
				"expected %u, %u): made by an incompatible rsttrace",
				where, pin_map_names[want[i].which], mi.key_size, mi.value_size,
				want[i].key, want[i].val);
			return -EPROTO;
		}
	}
	/* Every opened set of maps passes here: lookups hash with its seed. */
	tables_seed_from(m->settings);
	return 0;
}
