// SPDX-License-Identifier: GPL-2.0
/*
 * The user side's check of the ABI it shares with the BPF programs: any
 * layout change that is not mirrored in RST_ABI_VERSION fails the build.
 */
#include <stddef.h>

#include "rsttrace.h"

_Static_assert(sizeof(struct rst_event) == RST_EVENT_SIZE, "ABI: rst_event");
_Static_assert(offsetof(struct rst_event, snap) == 80, "ABI: rst_event.snap");
_Static_assert(offsetof(struct rst_event, ev_flags) == 77, "ABI: rst_event.ev_flags");
_Static_assert(offsetof(struct rst_event, reason) == 78, "ABI: rst_event.reason");
_Static_assert(offsetof(struct rst_event, sk_state) == 79, "ABI: rst_event.sk_state");
#define RST_COUNTERS_WORDS                                                                         \
	(RST_C_MAX + RST_M_MAX + 2 * RST_HF_MAX + RST_FL_MAX * RST_FF_MAX + 2 +                    \
	 RST_CK_MAX * RST_CE_MAX)
_Static_assert(sizeof(struct rst_counters) == RST_COUNTERS_WORDS * 8, "ABI: counters");
_Static_assert(sizeof(struct rst_config) == 48, "ABI: rst_config");
/* One cache line per host line, per CPU; a flow line is one and a half; a set header one. */
_Static_assert(sizeof(struct rst_host_line) == 64, "ABI: rst_host_line");
_Static_assert(sizeof(struct rst_set_hdr) == 64, "ABI: rst_set_hdr");
_Static_assert(sizeof(struct rst_host_set) == 64 + 64 * RST_HOST_WAYS, "ABI: rst_host_set");
_Static_assert(sizeof(struct rst_flow_line) == 104, "ABI: rst_flow_line");
_Static_assert(sizeof(struct rst_flow_set) == 64 + 104 * RST_FLOW_WAYS, "ABI: rst_flow_set");
_Static_assert(sizeof(struct rst_budget) == 16, "ABI: rst_budget");
_Static_assert(sizeof(struct rst_flow_key) == 40, "ABI: rst_flow_key");
_Static_assert(sizeof(struct rst_flow_val) == 80, "ABI: rst_flow_val");
_Static_assert(sizeof(struct rst_host_key) == 20, "ABI: rst_host_key");
_Static_assert(sizeof(struct rst_host_val) == 64, "ABI: rst_host_val");
_Static_assert(sizeof(struct rst_reason_key) == 40, "ABI: rst_reason_key");
_Static_assert(sizeof(struct rst_reason_val) == 16, "ABI: rst_reason_val");
_Static_assert(RST_SNAPLEN_MAX == 256, "the BPF side masks the snapshot length with 255");
_Static_assert(sizeof(struct rst_evf_lit) == 40, "ABI: rst_evf_lit");
_Static_assert(sizeof(struct rst_evfilter) == 8 + RST_EVF_TERMS * RST_EVF_LITS * 40,
	       "ABI: rst_evfilter");
/* Fates, stage and owners (bpf/fate.bpf.h). */
_Static_assert(sizeof(struct rst_fate_key) == 44, "ABI: rst_fate_key");
_Static_assert(sizeof(struct rst_fate_slot) == 64, "ABI: rst_fate_slot");
_Static_assert(sizeof(struct rst_fate_ring) == 64 * RST_FATE_SLOTS + 8, "ABI: rst_fate_ring");
_Static_assert(sizeof(struct rst_fate_host_line) == 64, "ABI: rst_fate_host_line");
_Static_assert(sizeof(struct rst_fate_val) == 16, "ABI: rst_fate_val");
_Static_assert(sizeof(struct rst_fate_counts) == 8 * RST_FATE_MAX + 24, "ABI: rst_fate_counts");
_Static_assert(sizeof(struct rst_owner_val) == 48, "ABI: rst_owner_val");
_Static_assert(sizeof(struct rst_cgroup_val) == 16, "ABI: rst_cgroup_val");
