// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fate.h"
#include "fatetrace.h"
#include "log.h"
#include "metrics.h"
#include "metrics_cgroup.h"
#include "owner.h"
#include "topn.h"

/* More first, then the lower id: a total order, as topn asks. */
static int cg_cmp(const void *pa, const void *pb)
{
	const struct metrics_cgroup *a = pa, *b = pb;
	__u64 x = a->sent + a->accepted, y = b->sent + b->accepted;

	if (x != y)
		return x > y ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

void metrics_cgroups_read(struct metrics_cgroups *c, int fd)
{
	struct rst_cgroup_val *vals = NULL;
	struct metrics_cgroup row;
	__u64 *ids = NULL;
	struct topn t;
	const char *p;
	int n, i;

	memset(c, 0, sizeof(*c));
	if (fd < 0)
		return;
	ids = calloc(RST_CGROUPS, sizeof(*ids));
	vals = calloc(RST_CGROUPS, sizeof(*vals));
	n = ids && vals ? fate_cgroups_read(fd, ids, vals, RST_CGROUPS) : -1;
	if (n < 0) {
		pr_debug("metrics: reading the cgroup counts failed");
		goto out;
	}
	topn_init_over(&t, c->top, 0, METRICS_CGROUPS_TOP, sizeof(c->top[0]), cg_cmp);
	for (i = 0; i < n; i++) {
		c->other_sent += vals[i].sent;
		c->other_accepted += vals[i].accepted;
		memset(&row, 0, sizeof(row));
		row.id = ids[i];
		row.sent = vals[i].sent;
		row.accepted = vals[i].accepted;
		topn_add(&t, &row);
	}
	topn_sort(&t);
	c->n = t.n;
	/* What is left of the sums after the top series is "other": the sums stay exact. */
	for (i = 0; i < (int)c->n; i++) {
		c->other_sent -= c->top[i].sent;
		c->other_accepted -= c->top[i].accepted;
		p = owner_cgroup_path(NULL, c->top[i].id, c->top[i].path, sizeof(c->top[i].path));
		if (!p)
			snprintf(c->top[i].path, sizeof(c->top[i].path), "id:%llu",
				 (unsigned long long)c->top[i].id);
	}
	c->ok = 1;
out:
	free(ids);
	free(vals);
}

static void cg_sample(struct strbuf *b, const char *path, const char *kind, __u64 v)
{
	sb_printf(b, "rsttrace_cgroup_resets_total{cgroup=\"");
	metrics_label(b, path);
	sb_printf(b, "\",kind=\"%s\"} %llu\n", kind, (unsigned long long)v);
}

void metrics_cgroups_render(const struct metrics_cgroups *c, struct strbuf *b)
{
	size_t i;

	if (!c->ok)
		return;
	sb_printf(b,
		  "# HELP rsttrace_cgroup_resets_total RSTs the stack sent for (kind=\"sent\") "
		  "or accepted on (kind=\"accepted\") sockets of a cgroup v2, the %d cgroups "
		  "with the most by path, the rest as cgroup=\"other\".\n"
		  "# TYPE rsttrace_cgroup_resets_total counter\n",
		  METRICS_CGROUPS_TOP);
	for (i = 0; i < c->n; i++) {
		cg_sample(b, c->top[i].path, "sent", c->top[i].sent);
		cg_sample(b, c->top[i].path, "accepted", c->top[i].accepted);
	}
	cg_sample(b, "other", "sent", c->other_sent);
	cg_sample(b, "other", "accepted", c->other_accepted);
}

void metrics_fates_read(struct metrics_fates *f, int fd,
			const char *(*name_of)(__u32 ifindex, char *buf))
{
	int ncpu = libbpf_num_possible_cpus(), c, k, x;
	__u32 ids[METRICS_FATE_IFACES], key;
	struct rst_fate_counts *v;
	char nb[IF_NAMESIZE];
	const char *nm;
	size_t n = 0, row;

	memset(f, 0, sizeof(*f));
	if (fd < 0 || ncpu <= 0)
		return;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return;
	/*
	 * Each CPU's slot counts for the interface that owns it there; the
	 * shared overflow slot, and interfaces past the first
	 * METRICS_FATE_IFACES, are iface="other": the sums stay exact.
	 */
	for (key = 0; key < RST_FATE_IF_ENTRIES; key++) {
		if (bpf_map_lookup_elem(fd, &key, v))
			continue;
		for (c = 0; c < ncpu; c++) {
			if (key == RST_IF_SLOTS + 1) {
				f->local_reset += v[c].local_reset;
				continue;
			}
			row = METRICS_FATE_IFACES; /* "other" */
			if (key < RST_IF_SLOTS && v[c].ifindex) {
				for (x = 0; x < (int)n && ids[x] != v[c].ifindex; x++)
					;
				if (x == (int)n && n < METRICS_FATE_IFACES)
					ids[n++] = v[c].ifindex;
				if (x < (int)n)
					row = (size_t)x;
			}
			for (k = 0; k < RST_FATE_MAX; k++)
				f->ifs[row].fate[k] += v[c].fate[k];
		}
	}
	free(v);
	for (row = 0; row < n; row++) {
		nm = name_of(ids[row], nb);
		snprintf(f->ifs[row].iface, sizeof(f->ifs[row].iface), "%s", nm ? nm : "?");
	}
	/* "other" moves up to follow the named rows. */
	snprintf(f->ifs[n].iface, sizeof(f->ifs[n].iface), "other");
	if (n < METRICS_FATE_IFACES)
		memcpy(f->ifs[n].fate, f->ifs[METRICS_FATE_IFACES].fate, sizeof(f->ifs[n].fate));
	f->n = n + 1;
	f->ok = 1;
}

void metrics_fates_render(const struct metrics_fates *f, struct strbuf *b)
{
	size_t i;
	int k;

	if (!f->ok)
		return;
	sb_printf(b, "# HELP rsttrace_received_rst_fates_total RSTs received on an interface, by "
		     "what this host's TCP stack did with them (docs/stage.md).\n"
		     "# TYPE rsttrace_received_rst_fates_total counter\n");
	for (i = 0; i < f->n; i++)
		for (k = RST_FATE_ACCEPTED; k < RST_FATE_MAX; k++) {
			sb_printf(b, "rsttrace_received_rst_fates_total{device=\"");
			metrics_label(b, f->ifs[i].iface);
			sb_printf(b, "\",fate=\"%s\"} %llu\n", fate_name((__u8)k),
				  (unsigned long long)f->ifs[i].fate[k]);
		}
	sb_printf(b,
		  "# HELP rsttrace_local_resets_total tcp_reset() with no RST received (data "
		  "after shutdown), in this network namespace.\n"
		  "# TYPE rsttrace_local_resets_total counter\n"
		  "rsttrace_local_resets_total %llu\n",
		  (unsigned long long)f->local_reset);
}
