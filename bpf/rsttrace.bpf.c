// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rsttrace kernel side: one parse-and-count body behind three entry points
 * (XDP ingress, TC ingress, TC egress). Every packet costs a parse and a
 * per-CPU add; only SYN/FIN/RST touch the flow and host maps; only RSTs can
 * become ring buffer events, after 1-in-N sampling and a per-source token
 * bucket. Every program returns "pass": rsttrace only observes.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "rsttrace.h"
#include "parse.bpf.h"
#include "evfilter.bpf.h"

#define TC_ACT_UNSPEC (-1) /* == TCX_NEXT: let the next program decide */

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set between open and load; the verifier prunes on them. */
const volatile __u32 snaplen = RST_SNAPLEN_DEFAULT;
const volatile __u32 abi_version = RST_ABI_VERSION;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RST_COUNTER_ENTRIES);
	__type(key, __u32);
	__type(value, struct rst_counters);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rst_config);
} settings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, RST_MAX_FLOWS_DEFAULT);
	__type(key, struct rst_flow_key);
	__type(value, struct rst_flow_val);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, RST_MAX_HOSTS_DEFAULT);
	__type(key, struct rst_host_key);
	__type(value, struct rst_host_val);
} hosts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, RST_MAX_HOSTS_DEFAULT);
	__type(key, struct rst_host_key);
	__type(value, struct rst_bucket);
} buckets SEC(".maps");

/* The kernel part of watch's filter expression; zeroed (off) unless set. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rst_evfilter);
} evfilter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RST_RINGBUF_DEFAULT);
} events SEC(".maps");

/* What the entry point knows that the body cannot find out. */
struct rst_ctx {
	void *data;
	void *data_end;
	__u32 wire_len;
	__u32 ifindex;
	__u8 hook;
	__u8 dir;
};

/*
 * The counter slot of this interface and direction. A slot belongs to the
 * first interface that uses it on this CPU; userspace sums per-CPU values by
 * the ifindex each one records, so a claim race between CPUs loses nothing.
 */
static __always_inline struct rst_counters *counters_get(__u32 ifindex, __u8 dir)
{
	__u32 key = (ifindex % RST_IF_SLOTS) * 2 + dir;
	struct rst_counters *c;

	c = bpf_map_lookup_elem(&counters, &key);
	if (!c)
		return NULL;
	if (c->ifindex == ifindex)
		return c;
	if (c->ifindex == 0) {
		c->ifindex = ifindex;
		return c;
	}
	key = RST_IF_SLOTS * 2 + dir;
	return bpf_map_lookup_elem(&counters, &key);
}

/* Total order on (address, port) so both directions share one flow entry. */
static __always_inline int endpoint_cmp(const __u8 *a, __u16 pa, const __u8 *b, __u16 pb)
{
	const __u32 *wa = (const __u32 *)a, *wb = (const __u32 *)b;
	int i;

#pragma unroll
	for (i = 0; i < 4; i++) {
		if (wa[i] != wb[i])
			return bpf_ntohl(wa[i]) < bpf_ntohl(wb[i]) ? -1 : 1;
	}
	if (pa != pb)
		return pa < pb ? -1 : 1;
	return 0;
}

static __always_inline void flow_update(struct rst_counters *cnt, const struct rst_pkt *pk,
					__u16 sport, __u16 dport, __u8 flags, __u32 ifindex,
					__u64 now)
{
	struct rst_flow_key key = {};
	struct rst_flow_val *v;
	__u32 d;

	if (endpoint_cmp(pk->saddr, sport, pk->daddr, dport) <= 0) {
		__builtin_memcpy(key.addr_a, pk->saddr, 16);
		__builtin_memcpy(key.addr_b, pk->daddr, 16);
		key.port_a = sport;
		key.port_b = dport;
		d = 0;
	} else {
		__builtin_memcpy(key.addr_a, pk->daddr, 16);
		__builtin_memcpy(key.addr_b, pk->saddr, 16);
		key.port_a = dport;
		key.port_b = sport;
		d = 1;
	}
	key.family = pk->family;
	key.proto = IPPROTO_TCP;

	v = bpf_map_lookup_elem(&flows, &key);
	if (!v) {
		/*
		 * Insert zeroes, then add like everyone else: if two CPUs race
		 * to create the entry, NOEXIST lets one win and neither count
		 * is lost.
		 */
		struct rst_flow_val nv = { .first_ns = now };

		bpf_map_update_elem(&flows, &key, &nv, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&flows, &key);
		if (!v) {
			cnt->c[RST_C_FLOW_ERR]++;
			return;
		}
	}
	if (flags & RST_TCP_SYN) {
		if (flags & RST_TCP_ACK)
			__sync_fetch_and_add(&v->synack[d], 1);
		else
			__sync_fetch_and_add(&v->syn[d], 1);
	}
	if (flags & RST_TCP_FIN)
		__sync_fetch_and_add(&v->fin[d], 1);
	if (flags & RST_TCP_RST) {
		if (flags & RST_TCP_ACK)
			__sync_fetch_and_add(&v->rstack[d], 1);
		else
			__sync_fetch_and_add(&v->rst[d], 1);
	}
	v->ttl[d] = pk->ttl;
	v->ifindex = ifindex;
	v->last_ns = now;
}

static __always_inline void host_update(struct rst_counters *cnt, const struct rst_pkt *pk,
					__u8 dir, __u8 flags, __u64 now)
{
	struct rst_host_key key = {};
	struct rst_host_val *v;

	/* The peer: who sent what came in, who receives what goes out. */
	if (dir == RST_DIR_IN)
		__builtin_memcpy(key.addr, pk->saddr, 16);
	else
		__builtin_memcpy(key.addr, pk->daddr, 16);
	key.family = pk->family;

	v = bpf_map_lookup_elem(&hosts, &key);
	if (!v) {
		struct rst_host_val nv = { .first_ns = now };

		bpf_map_update_elem(&hosts, &key, &nv, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&hosts, &key);
		if (!v) {
			cnt->c[RST_C_HOST_ERR]++;
			return;
		}
	}
	if (dir == RST_DIR_IN) {
		if (flags & RST_TCP_RST)
			__sync_fetch_and_add(&v->rst_in, 1);
		if ((flags & (RST_TCP_SYN | RST_TCP_ACK)) == RST_TCP_SYN)
			__sync_fetch_and_add(&v->syn_in, 1);
		if (flags & RST_TCP_FIN)
			__sync_fetch_and_add(&v->fin_in, 1);
	} else {
		if (flags & RST_TCP_RST)
			__sync_fetch_and_add(&v->rst_out, 1);
		if ((flags & (RST_TCP_SYN | RST_TCP_ACK)) == RST_TCP_SYN)
			__sync_fetch_and_add(&v->syn_out, 1);
		if (flags & RST_TCP_FIN)
			__sync_fetch_and_add(&v->fin_out, 1);
	}
	v->last_ns = now;
}

/*
 * Per-source token bucket as GCRA: one timestamp per source. An event is
 * allowed while the theoretical arrival time is no further ahead of now
 * than the bucket depth. Concurrent CPUs may race on one source's entry;
 * that can let an extra event through, never lose a count.
 */
static __always_inline int rate_allow(const struct rst_config *cfg, const struct rst_pkt *pk,
				      __u64 now)
{
	struct rst_host_key key = {};
	struct rst_bucket *b, nb;
	__u64 interval, depth, tat;
	__u32 burst;

	if (!cfg->rate_limit)
		return 1;
	interval = 1000000000ULL / cfg->rate_limit;
	burst = cfg->burst ? cfg->burst : cfg->rate_limit;
	depth = interval * burst;

	__builtin_memcpy(key.addr, pk->saddr, 16);
	key.family = pk->family;
	b = bpf_map_lookup_elem(&buckets, &key);
	if (!b) {
		nb.tat_ns = now + interval;
		bpf_map_update_elem(&buckets, &key, &nb, BPF_ANY);
		return 1;
	}
	tat = b->tat_ns > now ? b->tat_ns : now;
	if (tat + interval - now > depth)
		return 0;
	b->tat_ns = tat + interval;
	return 1;
}

/*
 * Whether the event filter may judge this packet: only where its answer
 * equals libpcap's on the snapshot. A VLAN-tagged frame fails pcap's
 * "ip"/"ip6" ethertype test at offset 12 whatever the addresses, and
 * libpcap's IPv6 port test reads the TCP header at a fixed 40 bytes, so
 * a negated literal could drop what the expression keeps. Such frames
 * skip the kernel filter; userspace decides.
 */
static __always_inline int evf_plain(const struct rst_pkt *pk)
{
	if (pk->vlans)
		return 0;
	if (pk->family == AF_INET6 && pk->l4_off != pk->l3_off + 40)
		return 0;
	return 1;
}

static __always_inline int evf_pass(const struct rst_pkt *pk, __u16 sport, __u16 dport)
{
	struct rst_evfilter *f;
	struct evf_pkt p;
	__u32 zero = 0;

	f = bpf_map_lookup_elem(&evfilter, &zero);
	if (!f || !f->n_terms || !evf_plain(pk))
		return 1;
	__builtin_memcpy(p.saddr, pk->saddr, 16);
	__builtin_memcpy(p.daddr, pk->daddr, 16);
	p.sport = sport;
	p.dport = dport;
	p.family = pk->family;
	p.pad[0] = p.pad[1] = p.pad[2] = 0;
	return evf_match(f, &p);
}

static __always_inline void emit_event(void *ctx, const struct rst_ctx *rc,
				       struct rst_counters *cnt, const struct rst_pkt *pk,
				       __u8 flags, __u64 now)
{
	const struct tcphdr *th = pk->th;
	struct rst_config *cfg;
	struct rst_event *e;
	__u32 zero = 0, n;
	__u64 seq;

	cfg = bpf_map_lookup_elem(&settings, &zero);
	if (!cfg)
		return;
	/* The sequence counts every RST, so 1-in-N does not depend on history. */
	seq = cnt->rst_seq++;
	if (cfg->flags & RST_CFG_EVENTS_OFF) {
		cnt->c[RST_C_EV_FILTERED]++;
		return;
	}
	/*
	 * Before sampling and the rate limit, so that RSTs the expression
	 * rejects neither take ring space nor spend a source's tokens.
	 */
	if (!evf_pass(pk, bpf_ntohs(th->source), bpf_ntohs(th->dest))) {
		cnt->c[RST_C_EV_FILTERED]++;
		return;
	}
	if (cfg->sample > 1 && seq % cfg->sample) {
		cnt->c[RST_C_EV_SAMPLED]++;
		return;
	}
	if (!rate_allow(cfg, pk, now)) {
		cnt->c[RST_C_EV_RATELIM]++;
		return;
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		cnt->c[RST_C_EV_RINGFULL]++;
		return;
	}
	e->ts_ns = now;
	__builtin_memcpy(e->saddr, pk->saddr, 16);
	__builtin_memcpy(e->daddr, pk->daddr, 16);
	e->ifindex = rc->ifindex;
	e->seq = bpf_ntohl(th->seq);
	e->ack = bpf_ntohl(th->ack_seq);
	e->pkt_len = rc->wire_len;
	e->sport = bpf_ntohs(th->source);
	e->dport = bpf_ntohs(th->dest);
	e->win = bpf_ntohs(th->window);
	e->ip_id = pk->ip_id;
	e->payload_len = pk->payload_len;
	e->l3_off = pk->l3_off;
	e->l4_off = pk->l4_off;
	e->family = pk->family;
	e->hook = rc->hook;
	e->dir = rc->dir;
	e->tcp_flags = flags;
	e->ttl = pk->ttl;
	e->ev_flags = pk->vlans ? RST_EV_VLAN : 0;
	e->pad[0] = 0;
	e->pad[1] = 0;

	/* Snapshot: the first min(wire length, snaplen) bytes, via the helpers. */
	n = rc->wire_len < snaplen ? rc->wire_len : snaplen;
	if (n >= 1 && n <= RST_SNAPLEN_MAX) {
		/*
		 * clang folds the range test into (n - 1) <= 255 on a copy the
		 * verifier does not link to n; rebuild n from a masked value so
		 * the helper sees [1, RST_SNAPLEN_MAX] on the register it gets.
		 */
		n = ((n - 1) & (RST_SNAPLEN_MAX - 1)) + 1;
		if (rc->hook == RST_HOOK_XDP)
			n = bpf_xdp_load_bytes(ctx, 0, e->snap, n) ? 0 : n;
		else
			n = bpf_skb_load_bytes(ctx, 0, e->snap, n) ? 0 : n;
	} else {
		n = 0;
	}
	e->snap_len = n;
	bpf_ringbuf_submit(e, 0);
	cnt->c[RST_C_EV_SENT]++;
}

static __always_inline void handle(void *ctx, const struct rst_ctx *rc)
{
	struct rst_counters *cnt;
	struct rst_pkt pk = {};
	__u16 sport, dport;
	__u8 flags;
	__u64 now;
	int ret;

	cnt = counters_get(rc->ifindex, rc->dir);
	if (!cnt)
		return;
	cnt->c[RST_C_PACKETS]++;

	ret = parse_frame(rc->data, rc->data_end, rc->wire_len, &pk);
	if (ret < 0) {
		__u32 reason = -1 - ret;

		if (reason < RST_M_MAX)
			cnt->malformed[reason]++;
		return;
	}
	if (ret == PARSE_FRAGMENT) {
		cnt->c[RST_C_FRAGMENT]++;
		return;
	}
	if (ret != PARSE_TCP || !pk.th)
		return;
	cnt->c[pk.family == AF_INET ? RST_C_TCP4 : RST_C_TCP6]++;

	/* Fast path: data and pure ACKs stop here. */
	flags = ((__u8 *)pk.th)[13];
	if (!(flags & (RST_TCP_SYN | RST_TCP_FIN | RST_TCP_RST)))
		return;

	if (flags & RST_TCP_SYN)
		cnt->c[(flags & RST_TCP_ACK) ? RST_C_SYNACK : RST_C_SYN]++;
	if (flags & RST_TCP_FIN)
		cnt->c[RST_C_FIN]++;
	if (flags & RST_TCP_RST)
		cnt->c[(flags & RST_TCP_ACK) ? RST_C_RSTACK : RST_C_RST]++;

	now = bpf_ktime_get_ns();
	sport = bpf_ntohs(pk.th->source);
	dport = bpf_ntohs(pk.th->dest);
	flow_update(cnt, &pk, sport, dport, flags, rc->ifindex, now);
	host_update(cnt, &pk, rc->dir, flags, now);
	if (flags & RST_TCP_RST)
		emit_event(ctx, rc, cnt, &pk, flags, now);
}

SEC("xdp.frags")
int rst_xdp(struct xdp_md *ctx)
{
	struct rst_ctx rc = {
		.data = (void *)(long)ctx->data,
		.data_end = (void *)(long)ctx->data_end,
		.wire_len = bpf_xdp_get_buff_len(ctx),
		.ifindex = ctx->ingress_ifindex,
		.hook = RST_HOOK_XDP,
		.dir = RST_DIR_IN,
	};

	handle(ctx, &rc);
	return XDP_PASS;
}

static __always_inline int handle_skb(struct __sk_buff *skb, __u8 hook, __u8 dir)
{
	struct rst_ctx rc = {
		.data = (void *)(long)skb->data,
		.data_end = (void *)(long)skb->data_end,
		.wire_len = skb->len,
		.ifindex = skb->ifindex,
		.hook = hook,
		.dir = dir,
	};

	handle(skb, &rc);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int rst_tc_ingress(struct __sk_buff *skb)
{
	return handle_skb(skb, RST_HOOK_TC_INGRESS, RST_DIR_IN);
}

SEC("tc")
int rst_tc_egress(struct __sk_buff *skb)
{
	return handle_skb(skb, RST_HOOK_TC_EGRESS, RST_DIR_OUT);
}
