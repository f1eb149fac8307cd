/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Why a reset happened, the parts learnt beside the datapath
 * (docs/stage.md): the fate of every RST received (what the TCP stack did
 * with it), the handshake's ISNs for the connection stage, and who owned
 * the socket of an RST sent or accepted. Included by rsttrace.bpf.c after
 * parse.bpf.h; the tracepoint programs exist only in a build from the
 * kernel's BTF.
 *
 * The join of an ingress RST and the stack's verdict: the ingress program
 * (XDP or TC) puts the RST into a small per-CPU ring of pending RSTs; the
 * stack then handles that skb on the same CPU, in the same softirq, and
 * its tracepoints (tcp_receive_reset: accepted; kfree_skb: challenged,
 * ignored, no socket, dropped) take the slot by the RST's addresses and
 * ports (and seq, where the skb is at hand). A slot reused while still
 * pending had no verdict: it is counted as unknown, never guessed.
 */
#ifndef RST_FATE_BPF_H
#define RST_FATE_BPF_H

#include "lines.bpf.h"

/* The namespace (net ns inode) whose local resets are counted; 0: none. Set at load. */
const volatile __u32 fate_netns = 0;
/* The kfree_skb tracepoint has its rx_sk argument (6.11 on); set at load from BTF. */
const volatile __u32 fate_rx_sk = 0;
/*
 * Which halves of the one kfree_skb program (bpf/kfree.bpf.h) run, set at
 * load: the causes' (tracing.h), the fates' (fatetrace.h). Here, in every
 * build, so the skeleton has them with or without the kernel's BTF.
 */
const volatile __u32 kfree_causes = 0;
const volatile __u32 kfree_fates = 0;
/* The per-host fate table's sets - 1, set at load with its size (fewer sets on many CPUs). */
const volatile __u32 fate_host_mask = RST_FATE_HOST_SETS - 1;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rst_fate_ring);
} fate_ring SEC(".maps");

/* Each verdict for the event of its RST; userspace takes it (user/views/fate.c). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, RST_REASONS_DEFAULT);
	__type(key, struct rst_fate_key);
	__type(value, struct rst_fate_val);
} fate_res SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RST_FATE_IF_ENTRIES);
	__type(key, __u32);
	__type(value, struct rst_fate_counts);
} fate_ifs SEC(".maps");

/* Sets of lines per CPU (include/rsttrace.h): no hash insert, no lock, constant work. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RST_FATE_HOST_SETS);
	__type(key, __u32);
	__type(value, struct rst_fate_host_set);
} fate_hosts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, RST_OWNERS);
	__type(key, struct rst_reason_key);
	__type(value, struct rst_owner_val);
} owners SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, RST_CGROUPS);
	__type(key, __u64);
	__type(value, struct rst_cgroup_val);
} cgroups SEC(".maps");

/*
 * A SYN or SYN-ACK of side d (0: endpoint A) in its flow line: its seq is
 * that side's ISN. A SYN with a new seq starts a new attempt on the same
 * addresses and ports: what the line knew of the handshake goes.
 */
static __always_inline void stage_note(struct rst_flow_line *l, const struct rst_pkt *pk, __u32 d)
{
	d &= 1;
	if (pk->flags & RST_TCP_ACK) {
		l->hs |= RST_HS_SYNACK(d);
	} else if (!(l->hs & RST_HS_SYN(d)) || l->isn[d] != pk->seq) {
		l->hs = RST_HS_SYN(d);
	}
	l->isn[d] = pk->seq;
}

/* The fate slot of an interface, owned as the counter slots are (counters_get). */
static __always_inline struct rst_fate_counts *fate_counts_get(__u32 ifindex)
{
	__u32 key = ifindex % RST_IF_SLOTS;
	struct rst_fate_counts *c;

	if (!ifindex)
		key = RST_IF_SLOTS + 1;
	c = bpf_map_lookup_elem(&fate_ifs, &key);
	if (!c || !ifindex)
		return c;
	if (c->ifindex == ifindex)
		return c;
	if (c->ifindex == 0) {
		c->ifindex = ifindex;
		return c;
	}
	key = RST_IF_SLOTS;
	return bpf_map_lookup_elem(&fate_ifs, &key);
}

/* A fate host line's counts leave the table: into host_lost, exactly. */
static __always_inline void fate_host_flush(struct rst_fate_counts *c, struct rst_fate_host_line *l)
{
	__u64 n = 0;
	int j;

#pragma unroll
	for (j = 0; j < RST_FATE_MAX; j++)
		n += l->fate[j];
	if (c)
		c->host_lost += n;
	__builtin_memset(l->fate, 0, sizeof(l->fate));
}

/*
 * The sender's line on this CPU: found among the ways of its set, or made
 * in a free way or in place of the one seen least recently. Constant work
 * (one array lookup, four compares), as the datapath's host lines.
 */
static __always_inline void fate_host_add(struct rst_fate_counts *c, const struct rst_fate_slot *sl,
					  __u32 fate, __u32 now_t)
{
	const struct rst_fate_key *k = &sl->k;
	struct rst_fate_host_line *l;
	struct rst_fate_host_set *s;
	__u32 idx, best;

	if (fate >= RST_FATE_MAX)
		return;
	/* The datapath's hash of the sender (its host line's), kept in the slot. */
	idx = sl->host_hash & fate_host_mask;
	s = bpf_map_lookup_elem(&fate_hosts, &idx);
	if (!s) {
		if (c)
			c->host_lost++;
		return;
	}
	LINES_FIND(s, RST_FATE_HOST_WAYS, k->family, k->saddr, now_t, l, best);
	if (!l) {
		l = &s->way[best & (RST_FATE_HOST_WAYS - 1)];
		if (l->family)
			fate_host_flush(c, l);
		__builtin_memcpy(l->addr, k->saddr, 16);
		l->family = k->family;
	}
	if (l->fate[fate] >= 0x80000000U)
		fate_host_flush(c, l);
	l->fate[fate]++;
	l->last_t = now_t;
}

/*
 * One fate, counted for the interface and the sender; the verdict of an
 * RST that became an event is kept for that event (fate_res, an LRU hash:
 * written only as often as events are, never once per RST of a flood).
 */
static __always_inline void fate_count(const struct rst_fate_slot *s, __u32 fate, __u32 drop,
				       __u32 sk_state, __u64 now)
{
	struct rst_fate_counts *c = fate_counts_get(s->ifindex);

	if (fate >= RST_FATE_MAX)
		return;
	if (c)
		c->fate[fate]++;
	fate_host_add(c, s, fate, (__u32)(now >> RST_TICK_SHIFT));
	if (fate != RST_FATE_UNKNOWN && s->event) {
		struct rst_fate_val v = {
			.ts_ns = now,
			.fate = fate,
			.drop_reason = drop < 255 ? drop : 255,
			.sk_state = sk_state < 255 ? sk_state : 0,
		};

		bpf_map_update_elem(&fate_res, &s->k, &v, BPF_ANY);
	}
}

/*
 * An RST seen at ingress waits in this CPU's ring for the stack's
 * verdict. A global function (verified once, as rst_account is); its
 * cost is one per-CPU lookup and one slot written, for RSTs only.
 */
__attribute__((noinline)) int fate_pending(const struct rst_pkt *pk, __u32 ifindex, __u32 event)
{
	struct rst_fate_ring *r;
	struct rst_fate_slot *s;
	__u32 zero = 0, i;
	__u64 now;

	if (!pk)
		return 0;
	/* The coarse clock: no fine read for an RST that is no event. */
	now = rst_clock_coarse();
	r = bpf_map_lookup_elem(&fate_ring, &zero);
	if (!r)
		return 0;
	i = r->next++ & (RST_FATE_SLOTS - 1);
	s = &r->slot[i];
	if (s->state == 1) {
		/* Reused before any verdict: not to the stack here, or a hook we lack. */
		fate_count(s, RST_FATE_UNKNOWN, 0, 0, now);
		if (r->pending)
			r->pending--;
	}
	__builtin_memset(&s->k, 0, sizeof(s->k));
	__builtin_memcpy(s->k.saddr, pk->saddr, 16);
	__builtin_memcpy(s->k.daddr, pk->daddr, 16);
	s->k.seq = pk->seq;
	s->k.sport = pk->sport;
	s->k.dport = pk->dport;
	s->k.family = pk->family;
	s->host_hash = pk->host_hash;
	s->ts_ns = now;
	s->ifindex = ifindex;
	s->state = 1;
	s->event = !!event;
	r->pending++;
	return 1;
}

/* Same RST: addresses, ports, family; and seq unless any_seq. */
static __always_inline int fate_key_eq(const struct rst_fate_key *a, const struct rst_fate_key *b,
				       int any_seq)
{
	const __u32 *x = (const __u32 *)a, *y = (const __u32 *)b;
	int i;

#pragma unroll
	for (i = 0; i < 8; i++)
		if (x[i] != y[i])
			return 0;
	if (!any_seq && a->seq != b->seq)
		return 0;
	return a->sport == b->sport && a->dport == b->dport && a->family == b->family;
}

/* Resolve the pending slot of key k on this CPU: 1 found, 0 none. */
static __always_inline int fate_resolve(const struct rst_fate_key *k, int any_seq, __u32 fate,
					__u32 drop, __u32 sk_state)
{
	struct rst_fate_ring *r;
	__u32 zero = 0;
	int i;

	r = bpf_map_lookup_elem(&fate_ring, &zero);
	if (!r || !r->pending)
		return 0;
	for (i = 0; i < RST_FATE_SLOTS; i++) {
		struct rst_fate_slot *s = &r->slot[i];

		if (s->state != 1 || !fate_key_eq(&s->k, k, any_seq))
			continue;
		s->state = 2;
		r->pending--;
		/* The fine clock: tracing programs may not read the coarse one. */
		fate_count(s, fate, drop, sk_state, bpf_ktime_get_ns());
		return 1;
	}
	return 0;
}

#endif /* RST_FATE_BPF_H */
