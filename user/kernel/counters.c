// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "counters.h"

const char *const rst_counter_names[RST_C_MAX] = {
	[RST_C_PACKETS] = "packets",
	[RST_C_TCP4] = "tcp4",
	[RST_C_TCP6] = "tcp6",
	[RST_C_SYN] = "syn",
	[RST_C_SYNACK] = "synack",
	[RST_C_FIN] = "fin",
	[RST_C_RST] = "rst",
	[RST_C_RSTACK] = "rstack",
	[RST_C_FRAGMENT] = "fragments",
	[RST_C_EV_SENT] = "events_delivered",
	[RST_C_EV_SAMPLED] = "events_sampled_out",
	[RST_C_EV_RATELIM] = "events_rate_limited",
	[RST_C_EV_RINGFULL] = "events_ring_full",
	[RST_C_EV_FILTERED] = "events_filtered",
	[RST_C_FLOW_ERR] = "flow_update_errors",
	[RST_C_HOST_ERR] = "host_update_errors",
};

const char *const rst_malformed_names[RST_M_MAX] = {
	[RST_M_ETH_TRUNC] = "eth_truncated",
	[RST_M_VLAN_TRUNC] = "vlan_truncated",
	[RST_M_IP4_TRUNC] = "ipv4_truncated",
	[RST_M_IP4_VERSION] = "ipv4_bad_version",
	[RST_M_IP4_IHL] = "ipv4_bad_ihl",
	[RST_M_IP4_OPT_TRUNC] = "ipv4_options_truncated",
	[RST_M_IP4_TOTLEN] = "ipv4_bad_total_length",
	[RST_M_IP6_TRUNC] = "ipv6_truncated",
	[RST_M_IP6_VERSION] = "ipv6_bad_version",
	[RST_M_IP6_PAYLEN] = "ipv6_bad_payload_length",
	[RST_M_IP6_EXT_TRUNC] = "ipv6_ext_truncated",
	[RST_M_IP6_EXT_DEPTH] = "ipv6_ext_too_deep",
	[RST_M_TCP_TRUNC] = "tcp_truncated",
	[RST_M_TCP_DOFF] = "tcp_bad_doff",
	[RST_M_TCP_OPT_TRUNC] = "tcp_options_truncated",
};

const char *const rst_host_flag_names[RST_HF_MAX] = {
	[RST_HF_RST] = "rst",
	[RST_HF_SYN] = "syn",
	[RST_HF_FIN] = "fin",
};

const char *const rst_flow_flag_names[RST_FF_MAX] = {
	[RST_FF_SYN] = "syn", [RST_FF_SYNACK] = "synack", [RST_FF_FIN] = "fin",
	[RST_FF_RST] = "rst", [RST_FF_RSTACK] = "rstack",
};

const char *const rst_flow_cause_names[RST_FL_MAX] = {
	[RST_FL_EVICTED] = "evicted",
	[RST_FL_FULL] = "table_full",
	[RST_FL_BUDGET] = "budget",
	[RST_FL_NOFLOW] = "no_flow",
};

const char *const rst_ctl_kind_names[RST_CK_MAX] = {
	[RST_CK_SYN] = "syn",
	[RST_CK_SYNACK] = "synack",
	[RST_CK_FIN] = "fin",
};

/* As the RST event counters name theirs (events_delivered, ...). */
const char *const rst_ctl_cause_names[RST_CE_MAX] = {
	[RST_CE_SENT] = "delivered",	   [RST_CE_SAMPLED] = "sampled_out",
	[RST_CE_RATELIM] = "rate_limited", [RST_CE_RINGFULL] = "ring_full",
	[RST_CE_FILTERED] = "filtered",	   [RST_CE_NOTASKED] = "not_asked",
};

static void totals_add(struct rst_totals *dst, const struct rst_counters *src)
{
	int i, j;

	for (i = 0; i < RST_CK_MAX; i++)
		for (j = 0; j < RST_CE_MAX; j++)
			dst->ctl_ev[i][j] += src->ctl_ev[i][j];

	for (i = 0; i < 2; i++)
		for (j = 0; j < RST_HF_MAX; j++)
			dst->host_lost[i][j] += src->host_lost[i][j];
	for (i = 0; i < RST_FL_MAX; i++)
		for (j = 0; j < RST_FF_MAX; j++)
			dst->flow_lost[i][j] += src->flow_lost[i][j];

	for (i = 0; i < RST_C_MAX; i++)
		dst->c[i] += src->c[i];
	for (i = 0; i < RST_M_MAX; i++)
		dst->malformed[i] += src->malformed[i];
}

static struct rst_if_totals *per_find(struct rst_if_totals *per, size_t max, size_t *n,
				      __u32 ifindex, __u8 dir)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (per[i].ifindex == ifindex && per[i].dir == dir)
			return &per[i];
	if (*n >= max)
		return NULL;
	memset(&per[*n], 0, sizeof(per[*n]));
	per[*n].ifindex = ifindex;
	per[*n].dir = dir;
	return &per[(*n)++];
}

int counters_read(int map_fd, struct rst_totals *total, struct rst_if_totals *per, size_t max_per,
		  size_t *n_per)
{
	int ncpu = libbpf_num_possible_cpus();
	struct rst_counters *vals;
	struct rst_if_totals *pt;
	__u32 key;
	int cpu, err = 0;

	if (ncpu < 1)
		return ncpu < 0 ? ncpu : -EINVAL;
	/* Per-CPU values are laid out 8-byte aligned; ours is already. */
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (total)
		memset(total, 0, sizeof(*total));
	if (n_per)
		*n_per = 0;
	for (key = 0; key < RST_COUNTER_ENTRIES; key++) {
		if (bpf_map_lookup_elem(map_fd, &key, vals)) {
			err = -errno;
			break;
		}
		for (cpu = 0; cpu < ncpu; cpu++) {
			if (total)
				totals_add(total, &vals[cpu]);
			if (!per || !n_per)
				continue;
			/* A slot no interface claimed on this CPU holds only zeroes. */
			if (key < RST_IF_SLOTS * 2 && !vals[cpu].ifindex)
				continue;
			/* The overflow slot has no owner; it reads as ifindex 0. */
			pt = per_find(per, max_per, n_per,
				      key >= RST_IF_SLOTS * 2 ? 0 : vals[cpu].ifindex, key & 1);
			if (pt)
				totals_add(&pt->t, &vals[cpu]);
		}
	}
	free(vals);
	return err;
}
