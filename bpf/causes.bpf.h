/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Why resets happen, counted in the kernel (docs/reasons.md): every RST
 * the TCP stack of the traced network namespace sends, by reason, socket
 * state and kind (tp_btf/tcp_send_reset); the RSTs netfilter's reject
 * sends, told apart from the stack's and from everything else leaving a
 * traced egress hook (TC egress with tp_btf/kfree_skb); the errors
 * reported to the applications' TCP sockets, by errno
 * (tp_btf/inet_sk_error_report). Totals in the one-entry per-CPU map
 * "causes", the same per peer host in "cause_hosts" (bounded, 4-way
 * sets, evictions counted). Counts never depend on events or consumers.
 *
 * Included once, from bpf/rsttrace.bpf.c, after its maps and struct
 * rst_pkt; the tracing programs exist only in a build from the kernel's
 * BTF (vmlinux/README.md).
 */
#ifndef RST_CAUSES_BPF_H
#define RST_CAUSES_BPF_H

/*
 * The network namespace (inode number) whose resets are counted, set at
 * load to the loader's own: the tracepoints are global and every other
 * namespace's resets pass them too. 0 counts every namespace.
 */
const volatile __u32 trace_netns = 0;
/* Set at load when the tracing programs load: without them egress origins mean nothing. */
const volatile __u32 causes_on = 0;
/* Sets of the cause-host table - 1 (a power of two), set with its size. */
const volatile __u32 cause_host_mask = RST_CAUSE_HOST_SETS - 1;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rst_causes);
} causes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RST_CAUSE_HOST_SETS);
	__type(key, __u32);
	__type(value, struct rst_cause_host_set);
} cause_hosts SEC(".maps");

/*
 * The CPU's recent unattributed egress RSTs and unmatched netfilter
 * drops, to pair a netfilter reject's RST with the packet it answered.
 * The reject sends its RST from inside the netfilter hook (nf_send_reset
 * -> ip_local_out -> TC egress) and only then is the packet freed with
 * NETFILTER_DROP, on the same CPU, in the same call: the RST comes first.
 * Both orders are handled. Not pinned: nothing but these programs reads it.
 */
/* A pair further apart than this is not one reject (the real gap is microseconds). */
#define CZ_PAIR_NS (100ULL * 1000 * 1000)
#define CZ_RING	   RST_CZ_RING

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rst_cz_rings);
} cz_rings SEC(".maps");

static __always_inline int cz_key_eq(const struct rst_reason_key *a, const struct rst_reason_key *b)
{
	const __u32 *x = (const __u32 *)a, *y = (const __u32 *)b;
	int i;

#pragma unroll
	for (i = 0; i < (int)(sizeof(*a) / 4); i++)
		if (x[i] != y[i])
			return 0;
	return 1;
}

/* Take k out of ring r if it is there and fresh: 1 found. */
static __always_inline int cz_ring_take(struct rst_cz_ring *r, const struct rst_reason_key *k,
					__u64 now)
{
	int i;

#pragma unroll
	for (i = 0; i < CZ_RING; i++) {
		if (r->ts[i] && now - r->ts[i] < CZ_PAIR_NS && cz_key_eq(&r->k[i], k)) {
			r->ts[i] = 0;
			return 1;
		}
	}
	return 0;
}

static __always_inline void cz_ring_put(struct rst_cz_ring *r, const struct rst_reason_key *k,
					__u64 now)
{
	__u32 i = r->next++ & (CZ_RING - 1);

	r->k[i] = *k;
	r->ts[i] = now;
}

#include "lines.bpf.h"

/*
 * Count one reset of cause code (RST_CH_*), or one error of errno class
 * err (code 0), for peer addr in its line of this CPU: a free way or the
 * way seen least recently, whose counts move to the evicted totals.
 * Exact while a host keeps its line and has at most RST_CH_SLOTS
 * distinct causes (the rest in its "other").
 */
static __always_inline void cause_host_add(struct rst_causes *cz, const __u8 *addr, __u8 family,
					   __u16 code, int err)
{
	__u32 a[4], h, idx, now_t, best, zero = 0;
	struct rst_cause_host_line *l = NULL;
	struct rst_config *cfg;
	struct rst_cause_host_set *s;
	int j;

	__builtin_memcpy(a, addr, 16);
	/* The datapath's seed: the RSTs this host sends are the attacker's choice too. */
	cfg = bpf_map_lookup_elem(&settings, &zero);
	h = rst_host_hash(a, family, cfg ? cfg->hash_seed : 0);
	idx = h & cause_host_mask;
	s = bpf_map_lookup_elem(&cause_hosts, &idx);
	if (!s)
		return;
	/* The fine clock: tracing programs may not read the coarse one. */
	now_t = (__u32)(bpf_ktime_get_ns() >> RST_TICK_SHIFT);
	LINES_FIND(s, RST_CAUSE_HOST_WAYS, family, addr, now_t, l, best);
	if (!l) {
		l = &s->way[best & (RST_CAUSE_HOST_WAYS - 1)];
		if (l->family) {
			__u64 n = l->other;

#pragma unroll
			for (j = 0; j < RST_CH_SLOTS; j++)
				n += l->n[j];
			cz->hosts_evicted[0] += n;
			n = 0;
#pragma unroll
			for (j = 0; j < RST_ERR_MAX; j++)
				n += l->err[j];
			cz->hosts_evicted[1] += n;
		}
		__builtin_memset(l, 0, sizeof(*l));
		__builtin_memcpy(l->addr, addr, 16);
		l->family = family;
	}
	l->last_t = now_t;
	if (!code) {
		if (err >= 0 && err < RST_ERR_MAX)
			l->err[err]++;
		return;
	}
#pragma unroll
	for (j = 0; j < RST_CH_SLOTS; j++) {
		if (l->code[j] == code || !l->code[j]) {
			l->code[j] = code;
			l->n[j]++;
			return;
		}
	}
	l->other++;
}

/*
 * The origin of an RST leaving through a traced TC egress hook, counted
 * (rst_causes.out): the stack's when its reason was recorded before it
 * left (a reply) or it belongs to a TCP socket (an active reset, whose
 * reason comes after), netfilter's when the packet it answers was freed
 * with NETFILTER_DROP just before, else "other" for now, remembered so
 * that such a drop right after moves it to "firewall". Sets
 * RST_EV_FIREWALL on pk when known here. A global function: verified once.
 */
__attribute__((noinline)) int causes_egress(struct __sk_buff *skb, struct rst_pkt *pk)
{
	struct rst_reason_key k = {};
	struct rst_causes *cz;
	struct rst_cz_rings *r;
	struct bpf_sock *sk;
	__u32 zero = 0;
	__u64 now;

	if (!causes_on || !skb || !pk)
		return 0;
	cz = bpf_map_lookup_elem(&causes, &zero);
	if (!cz)
		return 0;
	if (pk->reason) {
		cz->out[RST_OR_STACK]++;
		return 0;
	}
	sk = skb->sk;
	if (sk)
		sk = bpf_sk_fullsock(sk);
	if (sk && sk->type == SOCK_STREAM && sk->protocol == IPPROTO_TCP) {
		cz->out[RST_OR_STACK]++;
		return 0;
	}
	r = bpf_map_lookup_elem(&cz_rings, &zero);
	if (!r)
		return 0;
	__builtin_memcpy(k.saddr, pk->saddr, 16);
	__builtin_memcpy(k.daddr, pk->daddr, 16);
	k.sport = pk->sport;
	k.dport = pk->dport;
	k.family = pk->family;
	now = bpf_ktime_get_ns();
	if (cz_ring_take(&r->nfdrop, &k, now)) {
		cz->out[RST_OR_FIREWALL]++;
		pk->ev_flags |= RST_EV_FIREWALL;
		cause_host_add(cz, pk->daddr, pk->family, RST_CH_FIREWALL, 0);
		return 0;
	}
	cz->out[RST_OR_OTHER]++;
	cz_ring_put(&r->pending, &k, now);
	return 0;
}

#ifndef RST_VMLINUX_FALLBACK_H
/* The network namespace of a socket, or of the device an skb came in on; 0 unknown. */
static __always_inline __u32 sk_netns(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

static __always_inline __u32 skb_netns(const struct sk_buff *skb)
{
	return BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
}

/*
 * The addresses and ports of the RST that answers skb: its own, swapped,
 * and its TCP flags into *flags. Read as wire bytes (IPv4 addresses at
 * 12 and 16, IPv6 at 8 and 24, TCP ports at 0 and 2, flags at 13), which
 * no kernel version changes. tcp_header: where the transport header is
 * (the stack set it); else (netfilter's hooks, before the stack) behind
 * the IPv4 header or a bare IPv6 header. -1: not TCP as far as it can tell.
 */
static __always_inline int reply_key(const struct sk_buff *skb, struct rst_reason_key *k,
				     __u8 *flags, int tcp_header)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u16 th = BPF_CORE_READ(skb, transport_header);
	__u8 ip[40], tcp[14];

	if (bpf_probe_read_kernel(ip, 20, head + nh))
		return -1;
	if ((ip[0] >> 4) == 4) {
		if (!tcp_header) {
			if (ip[9] != IPPROTO_TCP || (ip[6] & 0x1f) || ip[7])
				return -1; /* not TCP, or a fragment (only the first has ports) */
			th = nh + (ip[0] & 0xf) * 4;
		}
		k->family = AF_INET;
		__builtin_memcpy(k->saddr, ip + 16, 4);
		__builtin_memcpy(k->daddr, ip + 12, 4);
	} else if ((ip[0] >> 4) == 6) {
		if (bpf_probe_read_kernel(ip, 40, head + nh))
			return -1;
		if (!tcp_header) {
			/* XXX: TCP behind IPv6 extension headers is not looked for. */
			if (ip[6] != IPPROTO_TCP)
				return -1;
			th = nh + 40;
		}
		k->family = AF_INET6;
		__builtin_memcpy(k->saddr, ip + 24, 16);
		__builtin_memcpy(k->daddr, ip + 8, 16);
	} else {
		return -1;
	}
	if (bpf_probe_read_kernel(tcp, sizeof(tcp), head + th))
		return -1;
	k->sport = (__u16)tcp[2] << 8 | tcp[3];
	k->dport = (__u16)tcp[0] << 8 | tcp[1];
	*flags = tcp[13];
	return 0;
}

/*
 * The addresses and ports of sk's own RST. A dual-stack socket speaking
 * IPv4 has v4-mapped IPv6 addresses; its RST is IPv4, with the addresses
 * sock_common keeps for IPv4.
 */
static __always_inline int sock_key(const struct sock *sk, struct rst_reason_key *k)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	struct in6_addr a6;
	__u32 a;

	if (family == AF_INET6 && bpf_core_field_exists(sk->__sk_common.skc_v6_daddr)) {
		BPF_CORE_READ_INTO(&a6, sk, __sk_common.skc_v6_daddr);
		if (a6.in6_u.u6_addr32[0] || a6.in6_u.u6_addr32[1] ||
		    a6.in6_u.u6_addr32[2] != bpf_htonl(0xffff)) {
			k->family = AF_INET6;
			__builtin_memcpy(k->daddr, &a6, 16);
			BPF_CORE_READ_INTO(&a6, sk, __sk_common.skc_v6_rcv_saddr);
			__builtin_memcpy(k->saddr, &a6, 16);
		}
	} else if (family != AF_INET) {
		return -1;
	}
	if (!k->family) {
		k->family = AF_INET;
		a = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__builtin_memcpy(k->saddr, &a, 4);
		a = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(k->daddr, &a, 4);
	}
	/*
	 * Not skc_num: tcp_disconnect() moves the socket to CLOSE, which
	 * releases the port (skc_num 0), before it sends the RST; the header
	 * takes inet_sport.
	 */
	k->sport = bpf_ntohs(BPF_CORE_READ((const struct inet_sock *)sk, inet_sport));
	k->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	return 0;
}

/*
 * tcp_send_reset(sk, skb, reason), reason since 6.10: every RST the TCP
 * stack sends. With an skb, the RST answers it (tcp_v4_send_reset,
 * tcp_v6_send_reset) and is sent after this tracepoint; sk is then NULL
 * when no socket matched, or a full, request or timewait socket. Without
 * an skb it is an active reset of sk (tcp_send_active_reset), and the
 * tracepoint comes after the RST was sent: a late record. Counted by
 * (kind, state, reason) and per peer host; the record for the event join
 * as before (include/rsttrace.h, struct rst_reason_key).
 */
SEC("tp_btf/tcp_send_reset")
int rst_send_reset(__u64 *ctx)
{
	const struct sock *sk = (const struct sock *)ctx[0];
	const struct sk_buff *skb = (const struct sk_buff *)ctx[1];
	struct rst_reason_key key = {};
	struct rst_reason_val v = {};
	struct rst_causes *cz;
	__u32 zero = 0, kind, st, rs;
	__u64 reason;
	__u8 flags = 0;

	/* Constant after CO-RE relocation: without reasons, nothing below loads. */
	if (!bpf_core_type_exists(enum sk_rst_reason))
		return 0;
	if (trace_netns && (sk ? sk_netns(sk) : skb ? skb_netns(skb) : 0) != trace_netns)
		return 0;
	if (skb) {
		if (reply_key(skb, &key, &flags, 1))
			return 0;
		kind = (flags & (RST_TCP_SYN | RST_TCP_ACK)) == RST_TCP_SYN ? RST_CZK_SYN
									    : RST_CZK_REPLY;
	} else {
		if (!sk || sock_key(sk, &key))
			return 0;
		key.late = 1;
		kind = RST_CZK_ACTIVE;
	}
	reason = ctx[2];
	v.ts_ns = bpf_ktime_get_ns();
	v.reason = reason < 255 ? reason + 1 : 0;
	/* Full, request and timewait sockets all keep the state in sock_common. */
	if (sk)
		v.state = BPF_CORE_READ(sk, __sk_common.skc_state) + 1;
	bpf_map_update_elem(&reasons, &key, &v, BPF_ANY);

	cz = bpf_map_lookup_elem(&causes, &zero);
	if (!cz)
		return 0;
	rs = reason < RST_CZ_REASONS - 1 ? (__u32)reason : RST_CZ_REASONS - 1;
	st = v.state < RST_CZ_STATES - 1 ? v.state : RST_CZ_STATES - 1;
	if (kind < RST_CZK_MAX)
		cz->sent[kind][st & (RST_CZ_STATES - 1)][rs & (RST_CZ_REASONS - 1)]++;
	cause_host_add(cz, key.daddr, key.family, RST_CH_CODE(kind, st, rs), 0);
	return 0;
}

/*
 * kfree_skb(skb, location, reason, rx_sk): every packet freed as a drop,
 * which is most drops of the machine, so the reason is compared first and
 * nothing else is done for any other. A TCP packet (not itself an RST)
 * that netfilter dropped: if an RST with its reply tuple just left a
 * traced egress hook unattributed, that RST was the reject's: it moves
 * from "other" to "firewall" (per CPU; the sums stay exact), and a record
 * tells userspace for the event (late 2). Else the drop is remembered for
 * an RST that may follow. A drop rule without reject matches nothing.
 * The causes' half of the one kfree_skb program (bpf/kfree.bpf.h).
 */
static __always_inline int causes_nf_drop(__u64 *ctx)
{
	const struct sk_buff *skb = (const struct sk_buff *)ctx[0];
	struct rst_reason_key key = {};
	struct rst_reason_val v = {};
	struct rst_causes *cz;
	struct rst_cz_rings *r;
	__u32 zero = 0;
	__u8 flags = 0;
	__u64 now;

	if (!bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_NETFILTER_DROP))
		return 0;
	if ((__u32)ctx[2] !=
	    bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_NETFILTER_DROP))
		return 0;
	if (reply_key(skb, &key, &flags, 0) || (flags & RST_TCP_RST))
		return 0;
	r = bpf_map_lookup_elem(&cz_rings, &zero);
	cz = bpf_map_lookup_elem(&causes, &zero);
	if (!r || !cz)
		return 0;
	now = bpf_ktime_get_ns();
	if (!cz_ring_take(&r->pending, &key, now)) {
		cz_ring_put(&r->nfdrop, &key, now);
		return 0;
	}
	cz->out[RST_OR_OTHER]--;
	cz->out[RST_OR_FIREWALL]++;
	cause_host_add(cz, key.daddr, key.family, RST_CH_FIREWALL, 0);
	key.late = 2;
	v.ts_ns = now;
	bpf_map_update_elem(&reasons, &key, &v, BPF_ANY);
	return 0;
}

/* errno -> enum rst_sk_err */
static __always_inline int sk_err_class(int err)
{
	switch (err) {
	case 104:
		return RST_ERR_CONNRESET;
	case 111:
		return RST_ERR_CONNREFUSED;
	case 110:
		return RST_ERR_TIMEDOUT;
	case 32:
		return RST_ERR_PIPE;
	}
	return RST_ERR_OTHER;
}

/*
 * inet_sk_error_report(sk): an error reported to the application of an
 * inet socket; TCP ones counted by errno, in total and per peer host.
 * Timeouts that sent no RST at all show here.
 */
SEC("tp_btf/inet_sk_error_report")
int rst_sk_error(__u64 *ctx)
{
	const struct sock *sk = (const struct sock *)ctx[0];
	struct rst_reason_key key = {};
	struct rst_causes *cz;
	__u32 zero = 0;
	int cls;

	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	if (trace_netns && sk_netns(sk) != trace_netns)
		return 0;
	cz = bpf_map_lookup_elem(&causes, &zero);
	if (!cz)
		return 0;
	cls = sk_err_class(BPF_CORE_READ(sk, sk_err));
	if (cls >= 0 && cls < RST_ERR_MAX)
		cz->sk_err[cls]++;
	if (!sock_key(sk, &key))
		cause_host_add(cz, key.daddr, key.family, 0, cls);
	return 0;
}
#endif /* RST_VMLINUX_FALLBACK_H */

#endif /* RST_CAUSES_BPF_H */
