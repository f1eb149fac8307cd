// SPDX-License-Identifier: GPL-2.0
/*
 * rsttrace status: what the persistent attachment has where. For every
 * interface record, its hooks (XDP mode, tcx or cls_bpf, direction), the
 * program and link ids, since when, and whether the interface is gone;
 * the run order of each tcx hook (ours among the other programs there);
 * the tracing link of the kernel's reset reasons; then the settings, the
 * fill level, capacity and memory of each map, and the counters of events
 * that were not delivered. Reads only.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "commands.h"
#include "consumerinfo.h"
#include "counters.h"
#include "iface.h"
#include "jsonw.h"
#include "log.h"
#include "privs.h"
#include "rundir.h"
#include "mapread.h"
#include "persist.h"
#include "rings.h"
#include "tracing.h"
#include "util.h"

struct map_stat {
	const char *name;
	__u32 id;
	__u32 type;
	__u32 max_entries;
	long entries; /* -1: not counted (arrays, ring buffer) */
	__u64 memlock;
	/* The per-CPU host and flow tables: lines, not sets (0 for other maps). */
	__u32 line_bytes;
	__u32 lines_per_cpu;
	int cpus;
};

static const char *map_type_name(__u32 type)
{
	switch (type) {
	case BPF_MAP_TYPE_ARRAY:
		return "array";
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		return "percpu_array";
	case BPF_MAP_TYPE_LRU_HASH:
		return "lru_hash";
	case BPF_MAP_TYPE_HASH:
		return "hash";
	case BPF_MAP_TYPE_PERCPU_HASH:
		return "percpu_hash";
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		return "lru_percpu_hash";
	case BPF_MAP_TYPE_RINGBUF:
		return "ringbuf";
	case BPF_MAP_TYPE_ARRAY_OF_MAPS:
		return "array_of_maps";
	}
	return "other";
}

/* The event rings: one, or per CPU (the inner rings of ev_rings; rings.h). 0 or -errno. */
static int ring_layout(const struct persist *p, struct rings_info *ri)
{
	int fds[RINGS_MAX], n, i;

	memset(ri, 0, sizeof(*ri));
	n = rings_fds(&p->maps, fds, RINGS_MAX, ri);
	for (i = 0; i < n; i++)
		close(fds[i]);
	return n < 0 ? n : 0;
}

static void map_stats(struct persist *p, struct map_stat *ms, __u64 *total)
{
	int i;

	*total = 0;
	for (i = 0; i < PM_MAX; i++) {
		int fd = *maps_slot(&p->maps, i);
		struct bpf_map_info mi = {};
		__u32 len = sizeof(mi);

		memset(&ms[i], 0, sizeof(ms[i]));
		ms[i].name = pin_map_names[i];
		ms[i].entries = -1;
		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &mi, &len))
			continue;
		ms[i].id = mi.id;
		ms[i].type = mi.type;
		ms[i].max_entries = mi.max_entries;
		ms[i].memlock = fd_memlock(fd);
		if (mi.type == BPF_MAP_TYPE_LRU_HASH || mi.type == BPF_MAP_TYPE_HASH)
			ms[i].entries = map_count_entries(fd);
		if (i == PM_HOSTS || i == PM_FLOWS) {
			/* Sets of lines, per CPU: state what a host and a flow cost. */
			__u32 ways = i == PM_HOSTS ? RST_HOST_WAYS : RST_FLOW_WAYS;

			ms[i].cpus = libbpf_num_possible_cpus();
			ms[i].line_bytes = mi.value_size / ways;
			ms[i].lines_per_cpu = mi.max_entries * ways;
			ms[i].max_entries = (__u32)table_capacity(fd);
			ms[i].entries = i == PM_HOSTS ? hosts_count(fd) : flows_count(fd);
		}
		if (i == PM_EV_RINGS) {
			/* The array is a few bytes; the rings in it are what it costs. */
			struct rings_info ri;

			if (!ring_layout(p, &ri) && ri.percpu)
				ms[i].memlock += ri.memlock;
		}
		*total += ms[i].memlock;
	}
}

static void since_text(char *buf, size_t len, __u64 real_ns)
{
	time_t t = (time_t)(real_ns / 1000000000ULL);
	struct tm tm;

	if (!real_ns) {
		snprintf(buf, len, "-");
		return;
	}
	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

static const char *mib(char *buf, size_t len, __u64 bytes)
{
	snprintf(buf, len, "%.1f MiB", bytes / 1048576.0);
	return buf;
}

/*
 * The run order of the tcx hook of pl (a live tcx link of ours on an
 * interface of this netns): 0 with *pos the 0-based position of our
 * program in c (-1 if absent), -errno when not queryable here.
 */
static int tcx_chain_of(const struct pin_iface *pi, const struct pin_link *pl, struct tcx_chain *c,
			int *pos)
{
	int err;

	if ((pl->kind != PK_TCX_IN && pl->kind != PK_TCX_OUT) || !pl->alive)
		return -EINVAL;
	/* XXX: a record of another netns is not followed there; `status` there shows it. */
	if (!pi->here)
		return -EXDEV;
	err = tcx_chain_query(pl->cur_ifindex, pl->kind == PK_TCX_IN ? RST_DIR_IN : RST_DIR_OUT, c);
	if (err)
		return err;
	*pos = tcx_chain_pos(c, pl->prog_id);
	return 0;
}

static const char *chain_owner(const struct tcx_chain *c, __u32 i, int pos)
{
	return (int)i == pos ? "this" : tcx_entry_rsttrace(&c->e[i]) ? "rsttrace" : "foreign";
}

/* One line per tcx hook: its programs in run order, ours marked. */
static void print_chains_text(const struct pin_iface *ifs, int n)
{
	struct tcx_chain c;
	int i, j, pos, before, header = 0;
	__u32 k;

	for (i = 0; i < n; i++) {
		for (j = 0; j < ifs[i].n_links; j++) {
			const struct pin_link *pl = &ifs[i].links[j];

			if (tcx_chain_of(&ifs[i], pl, &c, &pos))
				continue;
			if (!header++)
				printf("\ntcx order (run first to last; a verdict other than "
				       "\"next\" ends the chain):\n");
			printf("  %-16s %-4s", ESC(ifs[i].ifname), pin_kind_dir(pl->kind));
			for (k = 0; k < c.n; k++)
				printf("%s%s (prog %u%s)", k ? " -> " : " ", ESC(c.e[k].name),
				       c.e[k].prog_id,
				       (int)k == pos		     ? ", this attachment"
				       : tcx_entry_rsttrace(&c.e[k]) ? ", another rsttrace"
								     : "");
			if (c.count > c.n)
				printf(" ... (%u in all)", c.count);
			before = tcx_foreign_before(&c, pos < 0 ? 0 : pos, ifs[i].ifname, 0, false);
			if (pos < 0)
				printf("  (ours not in the chain)");
			else if (before)
				printf("  WARNING: %d program%s of another tool run%s before "
				       "rsttrace",
				       before, before == 1 ? "" : "s", before == 1 ? "s" : "");
			printf("\n");
		}
	}
}

/* "chain" (run order), "position" (1-based) and "foreign_before" of a hook; null off tcx. */
static void print_chain_json(struct json_writer *w, const struct pin_iface *pi,
			     const struct pin_link *pl)
{
	struct tcx_chain c;
	int pos;
	__u32 k;

	if (tcx_chain_of(pi, pl, &c, &pos)) {
		jw_null_field(w, "chain");
		jw_null_field(w, "position");
		jw_null_field(w, "foreign_before");
		return;
	}
	jw_key(w, "chain");
	jw_start_array(w);
	for (k = 0; k < c.n; k++) {
		jw_start_object(w);
		jw_u64_field(w, "prog_id", c.e[k].prog_id);
		jw_u64_field(w, "link_id", c.e[k].link_id);
		jw_str_field(w, "name", c.e[k].name);
		jw_str_field(w, "owner", chain_owner(&c, k, pos));
		jw_end_object(w);
	}
	jw_end_array(w);
	if (pos >= 0)
		jw_s64_field(w, "position", pos + 1);
	else
		jw_null_field(w, "position");
	jw_s64_field(w, "foreign_before",
		     tcx_foreign_before(&c, pos < 0 ? 0 : pos, pi->ifname, 0, false));
}

/*
 * A record made in this namespace whose interface is no longer here while
 * its links are still attached (they report the device's ifindex, 0 once
 * it is deleted: pi->gone) was moved to another namespace, where it goes
 * on being traced. 1 and the ifindex there in *now, or 0.
 */
static int iface_moved(const struct pin_iface *pi, __u32 *now)
{
	char name[IF_NAMESIZE];
	int j;

	*now = 0;
	if (!pi->here || pi->gone || if_indextoname(pi->ifindex, name))
		return 0;
	for (j = 0; j < pi->n_links; j++)
		if (pi->links[j].alive && pi->links[j].cur_ifindex)
			*now = pi->links[j].cur_ifindex;
	return *now != 0;
}

/*
 * The other tracing links of the attachment (tracing.h: socket errors, the
 * fates of RSTs received, the owners), one line: "name (tracepoint) link N"
 * each, or what is not attached. Nothing when none is pinned.
 */
static void print_tracepoints_text(struct persist *p)
{
	struct pin_trace tr;
	int i, n = 0;

	for (i = 0; i < TR_MAX; i++) {
		if (!strcmp(tracing_prog_names[i], RST_TRACE_PROG))
			continue;
		persist_trace_link_info(p, tracing_prog_names[i], &tr);
		if (!tr.pinned)
			continue;
		printf("%s%s (%s) ", n++ ? ", " : "tracepoints: ", tracing_prog_names[i],
		       tracing_tp_names[i]);
		if (tr.alive)
			printf("link %u", tr.link_id);
		else
			printf("pinned, not attached");
	}
	if (n)
		printf("\n");
}

/* Every tracing link pinned, "tracepoints": [{name, tracepoint, prog_id, link_id, ...}]. */
static void print_tracepoints_json(struct json_writer *w, struct persist *p)
{
	struct pin_trace tr;
	int i;

	jw_key(w, "tracepoints");
	jw_start_array(w);
	for (i = 0; i < TR_MAX; i++) {
		persist_trace_link_info(p, tracing_prog_names[i], &tr);
		if (!tr.pinned)
			continue;
		jw_start_object(w);
		jw_str_field(w, "name", tracing_prog_names[i]);
		jw_str_field(w, "tracepoint", tracing_tp_names[i]);
		jw_u64_field(w, "prog_id", tr.prog_id);
		jw_u64_field(w, "link_id", tr.link_id);
		jw_bool_field(w, "attached", tr.alive);
		jw_time_field(w, "since", tr.since_ns);
		jw_end_object(w);
	}
	jw_end_array(w);
}

/* The attachment's header: where, programs, the reason tracepoint, settings. */
static void print_head_text(struct persist *p, const struct rst_config *cfg)
{
	struct pin_trace tr;
	char since[32];

	since_text(since, sizeof(since), p->meta.created_ns);
	printf("persistent attachment at %s (rsttrace %s, ABI %u, since %s)\n", ESC(p->path),
	       p->meta.version[0] ? p->meta.version : "?", p->meta.abi_version, since);
	printf("programs: %s %u, %s %u, %s %u", pin_prog_names[0], p->prog_id[0], pin_prog_names[1],
	       p->prog_id[1], pin_prog_names[2], p->prog_id[2]);
	if (p->trace_fd >= 0)
		printf(", %s %u", RST_TRACE_PROG, p->trace_id);
	printf("\n");
	persist_trace_info(p, &tr);
	since_text(since, sizeof(since), tr.since_ns);
	if (tr.alive)
		printf("kernel reset reasons: tracepoint tcp_send_reset, link %u, since %s\n",
		       tr.link_id, since);
	else if (tr.pinned)
		printf("kernel reset reasons: tracepoint link pinned but not attached\n");
	else
		printf("kernel reset reasons: off (%s)\n",
		       p->trace_fd < 0 ? "the kernel had no tcp_send_reset tracepoint with a reason"
				       : "egress not traced");
	print_tracepoints_text(p);
	printf("settings: sample 1/%u, rate limit %u/s per source%s, burst %u, events %s; "
	       "snaplen %u\n",
	       cfg->sample ? cfg->sample : 1, cfg->rate_limit, cfg->rate_limit ? "" : " (off)",
	       cfg->burst ? cfg->burst : cfg->rate_limit,
	       cfg->flags & RST_CFG_EVENTS_OFF ? "off" : "on", p->meta.snaplen);
	printf("\n");
}

/* One line per link of one interface record, its state at the end. */
static void print_iface_text(const struct pin_iface *pi)
{
	char since[32], ns[64], movedbuf[96] = "";
	const char *nsn = pi->here ? "this" : netns_name(pi->netns, ns, sizeof(ns));
	__u32 now;
	int j;

	if (iface_moved(pi, &now)) {
		nsn = "moved";
		snprintf(movedbuf, sizeof(movedbuf),
			 "  MOVED to another namespace (ifindex %u there, still traced)", now);
	}
	if (!nsn) {
		snprintf(ns, sizeof(ns), "%llu", (unsigned long long)pi->netns);
		nsn = ns;
	}
	for (j = 0; j < pi->n_links; j++) {
		const struct pin_link *pl = &pi->links[j];
		const char *mode = pin_kind_mode(pl->kind);

		since_text(since, sizeof(since), pl->since_ns);
		printf("%-16s %7u %-12s %-7s %-3s %-8s %6u %6u  %s%s\n", ESC(pi->ifname),
		       pi->ifindex, ESC(nsn), pin_kind_hook(pl->kind), pin_kind_dir(pl->kind),
		       mode ? mode : "-", pl->prog_id, pl->link_id, since,
		       pi->gone	    ? "  GONE (interface deleted; rsttrace detach cleans up)"
		       : *movedbuf  ? movedbuf
		       : !pl->alive ? "  DETACHED (dead link; rsttrace attach repairs it)"
				    : "");
	}
	if (!pi->n_links)
		printf("%-16s %7u %-12s (empty record)\n", ESC(pi->ifname), pi->ifindex, ESC(nsn));
}

/* The maps: type, fill, memory (and the line geometry of the per-CPU tables). */
static void print_maps_text(const struct map_stat *ms, __u64 mem_total)
{
	char buf[32], fill[48];
	int i;

	printf("\nmaps:\n");
	for (i = 0; i < PM_MAX; i++) {
		if (ms[i].entries >= 0)
			snprintf(fill, sizeof(fill), "%ld/%u entries", ms[i].entries,
				 ms[i].max_entries);
		else
			snprintf(fill, sizeof(fill), "%u %s", ms[i].max_entries,
				 ms[i].type == BPF_MAP_TYPE_RINGBUF ? "bytes" : "entries");
		printf("  %-11s %-13s %-24s %10s", ms[i].name, map_type_name(ms[i].type), fill,
		       mib(buf, sizeof(buf), ms[i].memlock));
		if (ms[i].line_bytes)
			printf("  (%u B a %s, %u per CPU x %d CPUs)", ms[i].line_bytes,
			       i == PM_HOSTS ? "host" : "flow", ms[i].lines_per_cpu, ms[i].cpus);
		printf("\n");
	}
	printf("  total memory %s\n", mib(buf, sizeof(buf), mem_total));
}

static void print_text(struct persist *p, struct pin_iface *ifs, int n,
		       const struct rst_config *cfg, const struct rst_totals *t,
		       struct map_stat *ms, __u64 mem_total, const struct consumer_info *ci)
{
	struct rings_info ri;
	char buf[32];
	int i;

	print_head_text(p, cfg);
	if (!n)
		printf("no interface attached (an unfinished attach? `rsttrace detach --all` "
		       "removes the rest)\n");
	else
		printf("%-16s %7s %-12s %-7s %-3s %-8s %6s %6s  %s\n", "INTERFACE", "IFINDEX",
		       "NETNS", "HOOK", "DIR", "MODE", "PROG", "LINK", "SINCE");
	for (i = 0; i < n; i++)
		print_iface_text(&ifs[i]);
	print_chains_text(ifs, n);
	print_maps_text(ms, mem_total);
	if (!ring_layout(p, &ri))
		printf("  event rings: %s, %d x %u bytes = %s\n", ri.percpu ? "per-cpu" : "one",
		       ri.n, ri.size, mib(buf, sizeof(buf), ri.memlock));
	printf("\nevents: %llu delivered; not delivered: %llu sampled out, %llu rate limited, "
	       "%llu ring full, %llu filtered\n",
	       (unsigned long long)t->c[RST_C_EV_SENT], (unsigned long long)t->c[RST_C_EV_SAMPLED],
	       (unsigned long long)t->c[RST_C_EV_RATELIM],
	       (unsigned long long)t->c[RST_C_EV_RINGFULL],
	       (unsigned long long)t->c[RST_C_EV_FILTERED]);
	consumer_info_text(ci);
}

/* The "programs" and "tracing" members. */
static void print_progs_json(struct json_writer *w, struct persist *p)
{
	struct pin_trace tr;
	int i;

	jw_key(w, "programs");
	jw_start_array(w);
	for (i = 0; i < PP_MAX; i++) {
		jw_start_object(w);
		jw_str_field(w, "name", pin_prog_names[i]);
		jw_u64_field(w, "id", p->prog_id[i]);
		jw_end_object(w);
	}
	if (p->trace_fd >= 0) {
		jw_start_object(w);
		jw_str_field(w, "name", RST_TRACE_PROG);
		jw_u64_field(w, "id", p->trace_id);
		jw_end_object(w);
	}
	jw_end_array(w);
	persist_trace_info(p, &tr);
	jw_key(w, "tracing");
	jw_start_object(w);
	jw_str_field(w, "hook", "tp_btf/tcp_send_reset");
	jw_u64_field(w, "prog_id", tr.pinned ? tr.prog_id : 0);
	jw_u64_field(w, "link_id", tr.link_id);
	jw_bool_field(w, "attached", tr.alive);
	if (tr.pinned)
		jw_time_field(w, "since", tr.since_ns);
	else
		jw_null_field(w, "since");
	jw_end_object(w);
	print_tracepoints_json(w, p);
}

/* One element of "interfaces", with its hooks. */
static void print_iface_json(struct json_writer *w, const struct pin_iface *pi)
{
	char ns[64];
	__u32 now;
	int moved = iface_moved(pi, &now), j;

	jw_start_object(w);
	jw_str_field(w, "iface", pi->ifname);
	jw_u64_field(w, "ifindex", pi->ifindex);
	jw_u64_field(w, "netns", pi->netns);
	jw_str_field(w, "netns_name", netns_name(pi->netns, ns, sizeof(ns)));
	/* this_netns: where the interface is now; netns: where it was attached. */
	jw_bool_field(w, "this_netns", pi->here && !moved);
	jw_bool_field(w, "gone", pi->gone);
	jw_bool_field(w, "moved", moved);
	jw_str_field(w, "state",
		     pi->gone ? "gone"
		     : moved  ? "moved to another namespace"
			      : "attached");
	if (moved)
		jw_u64_field(w, "ifindex_there", now);
	jw_time_field(w, "attached_since", pi->since_ns);
	jw_key(w, "hooks");
	jw_start_array(w);
	for (j = 0; j < pi->n_links; j++) {
		const struct pin_link *pl = &pi->links[j];

		jw_start_object(w);
		jw_str_field(w, "hook", pin_kind_hook(pl->kind));
		jw_str_field(w, "direction", pin_kind_dir(pl->kind));
		jw_str_field(w, "xdp_mode", pin_kind_mode(pl->kind));
		jw_u64_field(w, "prog_id", pl->prog_id);
		jw_u64_field(w, "link_id", pl->link_id);
		jw_bool_field(w, "attached", pl->alive);
		jw_time_field(w, "since", pl->since_ns);
		print_chain_json(w, pi, pl);
		jw_end_object(w);
	}
	jw_end_array(w);
	jw_end_object(w);
}

static void print_json(struct persist *p, struct pin_iface *ifs, int n,
		       const struct rst_config *cfg, const struct rst_totals *t,
		       struct map_stat *ms, __u64 mem_total, const struct consumer_info *ci)
{
	struct json_writer w;
	struct rings_info ri;
	int i;

	jw_init_file(&w, stdout);
	jw_start_object(&w);
	jw_str_field(&w, "pin_path", p->path);
	jw_bool_field(&w, "attached", n);
	jw_u64_field(&w, "abi_version", p->meta.abi_version);
	jw_str_field(&w, "version", p->meta.version);
	jw_time_field(&w, "created", p->meta.created_ns);
	jw_u64_field(&w, "snaplen", p->meta.snaplen);
	jw_key(&w, "settings");
	jw_start_object(&w);
	jw_u64_field(&w, "sample", cfg->sample ? cfg->sample : 1);
	jw_u64_field(&w, "rate_limit", cfg->rate_limit);
	jw_u64_field(&w, "burst", cfg->burst ? cfg->burst : cfg->rate_limit);
	jw_bool_field(&w, "events", !(cfg->flags & RST_CFG_EVENTS_OFF));
	jw_u64_field(&w, "flow_budget", cfg->flow_budget);
	jw_u64_field(&w, "event_budget", cfg->event_budget);
	jw_u64_field(&w, "hash_seed", cfg->hash_seed);
	jw_end_object(&w);
	print_progs_json(&w, p);
	jw_key(&w, "interfaces");
	jw_start_array(&w);
	for (i = 0; i < n; i++)
		print_iface_json(&w, &ifs[i]);
	jw_end_array(&w);
	jw_key(&w, "maps");
	jw_start_array(&w);
	for (i = 0; i < PM_MAX; i++) {
		jw_start_object(&w);
		jw_str_field(&w, "name", ms[i].name);
		jw_u64_field(&w, "id", ms[i].id);
		jw_str_field(&w, "type", map_type_name(ms[i].type));
		jw_u64_field(&w, "max_entries", ms[i].max_entries);
		if (ms[i].entries >= 0)
			jw_s64_field(&w, "entries", ms[i].entries);
		else
			jw_null_field(&w, "entries");
		jw_u64_field(&w, "memory", ms[i].memlock);
		if (ms[i].line_bytes) {
			jw_u64_field(&w, "line_bytes", ms[i].line_bytes);
			jw_u64_field(&w, "lines_per_cpu", ms[i].lines_per_cpu);
			jw_u64_field(&w, "cpus", (__u64)ms[i].cpus);
		}
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_u64_field(&w, "map_memory", mem_total);
	if (!ring_layout(p, &ri)) {
		jw_key(&w, "rings");
		jw_start_object(&w);
		jw_str_field(&w, "layout", ri.percpu ? "per-cpu" : "one");
		jw_u64_field(&w, "count", (__u64)ri.n);
		jw_u64_field(&w, "bytes_each", ri.size);
		jw_u64_field(&w, "memory", ri.memlock);
		jw_end_object(&w);
	}
	jw_key(&w, "events");
	jw_start_object(&w);
	jw_u64_field(&w, "delivered", t->c[RST_C_EV_SENT]);
	jw_u64_field(&w, "sampled_out", t->c[RST_C_EV_SAMPLED]);
	jw_u64_field(&w, "rate_limited", t->c[RST_C_EV_RATELIM]);
	jw_u64_field(&w, "ring_full", t->c[RST_C_EV_RINGFULL]);
	jw_u64_field(&w, "filtered", t->c[RST_C_EV_FILTERED]);
	jw_end_object(&w);
	consumer_info_json(&w, ci);
	jw_end_object(&w);
	putchar('\n');
}

static void print_none(const char *path, int json, int unfinished)
{
	struct json_writer w;

	if (json) {
		jw_init_file(&w, stdout);
		jw_start_object(&w);
		jw_str_field(&w, "pin_path", path);
		jw_bool_field(&w, "attached", false);
		jw_bool_field(&w, "unfinished", unfinished);
		jw_key(&w, "interfaces");
		jw_start_array(&w);
		jw_end_array(&w);
		jw_end_object(&w);
		putchar('\n');
	} else if (unfinished) {
		printf("nothing attached; %s holds what an unfinished attach left (the next "
		       "attach cleans it, or `rsttrace detach --all`)\n",
		       ESC(path));
	} else {
		printf("nothing attached (no pins under %s)\n", ESC(path));
	}
}

struct status_cfg {
	int json;
	const char *pin_path;
	const char *run_dir; /* where the event consumer's lock and socket are */
};

static const struct opt_row status_rows[] = {
	CMD_JSON_ROW(struct status_cfg, json, "one JSON object (keys in docs/persistent.md)"),
	CMD_PIN_PATH_ROW(struct status_cfg, pin_path),
	{ .name = "run-dir",
	  .type = OPT_STRING,
	  .off = offsetof(struct status_cfg, run_dir),
	  .metavar = "DIR",
	  .help = "the event consumer's lock and socket (default\n$RSTTRACE_RUN_DIR, "
		  "else " RST_RUN_DIR_DEFAULT ")" },
	{ 0 },
};

static const struct opt_cmd status_cmd = {
	.name = "status",
	.synopsis = "usage: rsttrace status [--json] [--pin-path DIR] [--run-dir DIR]\n",
	.sets = {
		{ status_rows, 0 },
		{ opt_verbose_log_rows, 0 },
		{ opt_common_rows, 0 },
	},
};

static int do_status(const struct status_cfg *c)
{
	struct map_stat ms[PM_MAX];
	struct pin_iface *ifs = NULL;
	struct rst_config cfg = {};
	struct consumer_info ci;
	struct rst_totals t;
	int n = 0, err, ret = EXIT_RUNTIME;
	struct persist p;
	__u64 mem_total;
	__u32 zero = 0;

	if (check_privileges(PRIV_READ))
		return EXIT_RUNTIME;

	persist_init(&p);
	err = persist_prepare(&p, c->pin_path, PERSIST_READ);
	if (!err)
		err = persist_read_meta(&p);
	if (err == -ENOENT) {
		/* A directory without meta: an unfinished attach left it. */
		print_none(p.path[0] ? p.path : c->pin_path, c->json,
			   p.path[0] && !access(p.path, F_OK));
		ret = EXIT_OK;
		goto out;
	}
	if (err || persist_open_objects(&p, 0) || persist_list(&p, &ifs, &n))
		goto out;
	if (bpf_map_lookup_elem(p.maps.settings, &zero, &cfg))
		pr_warn("reading the settings map: %s", strerror(errno));
	if (counters_read(p.maps.counters, &t, NULL, 0, NULL)) {
		pr_warn("reading the counters map: %s", strerror(errno));
		memset(&t, 0, sizeof(t));
	}
	map_stats(&p, ms, &mem_total);
	err = consumer_info_read(c->pin_path, c->run_dir, &ci);
	if (err) {
		ci.state = CI_UNKNOWN;
		ci.err = err;
	}
	if (c->json)
		print_json(&p, ifs, n, &cfg, &t, ms, mem_total, &ci);
	else
		print_text(&p, ifs, n, &cfg, &t, ms, mem_total, &ci);
	ret = fflush(stdout) ? EXIT_RUNTIME : EXIT_OK;
out:
	free(ifs);
	persist_close(&p);
	return ret;
}

int cmd_status(int argc, char **argv)
{
	struct status_cfg c = { .pin_path = RST_PIN_DEFAULT };
	int err;

	c.run_dir = getenv("RSTTRACE_RUN_DIR");
	if (!c.run_dir || !*c.run_dir)
		c.run_dir = RST_RUN_DIR_DEFAULT;
	err = opt_parse(&status_cmd, argc, argv, &c, NULL);
	if (err)
		return opt_exit_status(err);
	return do_status(&c);
}
