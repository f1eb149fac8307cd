// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
