/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The tracing half of bpf/fate.bpf.h: the stack's verdicts on RSTs
 * received (tcp_receive_reset, kfree_skb) and the owners of sockets that
 * send or accept RSTs (tcp_send_reset). Kernel-internal types: included
 * by rsttrace.bpf.c only in a build from the kernel's BTF, after its
 * reply_key().
 */
#ifndef RST_FATE_TRACE_BPF_H
#define RST_FATE_TRACE_BPF_H

/*
 * The current task is the one resetting sk only in process context, and
 * the test for it is the socket lock: sk is owned (lock_sock) only by a
 * task, and softirq and timer code that finds it owned defers its work
 * (tcp_v4_rcv to the backlog, the keepalive and retransmit timers to a
 * later run). So an active reset with the lock owned runs in the owning
 * task: close(), SO_LINGER 0, connect(AF_UNSPEC), or the backlog that
 * release_sock() processes. A keepalive or retransmit timeout (softirq)
 * finds it not owned and gets no task. Not the preempt count: x86's
 * __preempt_count is not in kallsyms here, so a ksym of it cannot load.
 * XXX: the task is the one that holds the lock, which for ss -K (tcp_abort
 * through sock_diag) is ss, not the socket's owner.
 */
static __always_inline int fate_in_task(const struct sock *sk)
{
	return BPF_CORE_READ(sk, sk_lock.owned) != 0;
}

/* The (sender = peer, destination = this host) addresses and ports of an RST to sk. */
static __always_inline int fate_sock_tuple(const struct sock *sk, struct rst_fate_key *k)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	struct in6_addr a6;
	__u32 a;

	if (family == AF_INET6) {
		BPF_CORE_READ_INTO(&a6, sk, __sk_common.skc_v6_daddr);
		if (a6.in6_u.u6_addr32[0] || a6.in6_u.u6_addr32[1] ||
		    a6.in6_u.u6_addr32[2] != bpf_htonl(0xffff)) {
			k->family = AF_INET6;
			__builtin_memcpy(k->saddr, &a6, 16);
			BPF_CORE_READ_INTO(&a6, sk, __sk_common.skc_v6_rcv_saddr);
			__builtin_memcpy(k->daddr, &a6, 16);
		}
	} else if (family != AF_INET) {
		return -1;
	}
	if (!k->family) {
		k->family = AF_INET;
		a = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(k->saddr, &a, 4);
		a = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__builtin_memcpy(k->daddr, &a, 4);
	}
	k->sport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	k->dport = bpf_ntohs(BPF_CORE_READ((const struct inet_sock *)sk, inet_sport));
	return 0;
}

/*
 * The owner of a full socket (not a request or timewait one: they have
 * no cgroup or uid of their own) into v; task: the current task is the
 * one resetting (process context, checked by the caller too).
 */
static __always_inline void owner_fill(const struct sock *sk, struct rst_owner_val *v, int task)
{
	__u8 state = BPF_CORE_READ(sk, __sk_common.skc_state);

	v->ts_ns = bpf_ktime_get_ns();
	if (state != TCP_TIME_WAIT && state != TCP_NEW_SYN_RECV) {
		v->cgroup_id = BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);
		v->uid = BPF_CORE_READ(sk, sk_uid.val);
		v->flags |= RST_OWN_SOCK;
	}
	if (task && fate_in_task(sk)) {
		v->pid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(v->comm, sizeof(v->comm));
		v->flags |= RST_OWN_TASK;
	}
}

static __always_inline void cgroup_count(__u64 id, int accepted)
{
	struct rst_cgroup_val *c, zero = {};

	if (!id)
		return;
	c = bpf_map_lookup_elem(&cgroups, &id);
	if (!c) {
		bpf_map_update_elem(&cgroups, &id, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&cgroups, &id);
	}
	if (!c)
		return;
	if (accepted)
		c->accepted++;
	else
		c->sent++;
}

/*
 * tcp_receive_reset(sk): tcp_reset() resets sk. Behind an RST received
 * (a slot pending with its addresses and ports) the RST was accepted;
 * with none, the stack reset the socket itself (tcp_reset() for data
 * after shutdown): no RST on the wire, counted apart, no fate invented.
 */
SEC("tp_btf/tcp_receive_reset")
int rst_recv_reset(__u64 *ctx)
{
	const struct sock *sk = (const struct sock *)ctx[0];
	struct rst_fate_key k = {};
	struct rst_reason_key ok = {};
	struct rst_owner_val ov = {};
	struct rst_fate_counts *c;

	if (!sk || fate_sock_tuple(sk, &k))
		return 0;
	if (!fate_resolve(&k, 1, RST_FATE_ACCEPTED, 0,
			  BPF_CORE_READ(sk, __sk_common.skc_state) + 1)) {
		if (fate_netns &&
		    BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum) == fate_netns) {
			c = fate_counts_get(0);
			if (c)
				c->local_reset++;
		}
		return 0;
	}
	/* The owner of the socket the RST reset; softirq: never a task. */
	owner_fill(sk, &ov, 0);
	ov.flags |= RST_OWN_RECV;
	__builtin_memcpy(ok.saddr, k.daddr, 16);
	__builtin_memcpy(ok.daddr, k.saddr, 16);
	ok.sport = k.dport;
	ok.dport = k.sport;
	ok.family = k.family;
	bpf_map_update_elem(&owners, &ok, &ov, BPF_ANY);
	cgroup_count(ov.cgroup_id, 1);
	return 0;
}

/* A kernel's skb_drop_reason by name, -1 where it has no such value. */
#define FATE_DR(n)                                                                                 \
	(bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_##n)                     \
		 ? (__s64)bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_##n)           \
		 : (__s64)-1)

/*
 * The stack's verdict for an RST it frees with reason r, st the state + 1
 * of the socket that took it (rx_sk; 0: not known).
 */
static __always_inline __u32 fate_of_drop(__s64 r, __u32 st)
{
	/*
	 * A TIME_WAIT socket kills itself for an exact RST (RFC 1337
	 * assassination, unless tcp_rfc1337) and drops any other, both with
	 * no reason given: which one is not seen here.
	 */
	if (st == TCP_TIME_WAIT + 1)
		return RST_FATE_TIME_WAIT;
	if (r == FATE_DR(NO_SOCKET))
		return RST_FATE_NO_SOCKET;
	if (st == TCP_LISTEN + 1) {
		/* To a listener itself: tcp_rcv_state_process() drops it, TCP_RESET. */
		if (r == FATE_DR(TCP_RESET))
			return RST_FATE_IGNORED;
		/*
		 * To a request socket, found through its listener: in window,
		 * tcp_check_req() removes the request (TcpExtEmbryonicRsts)
		 * and the skb goes with no reason; out of window it has one.
		 */
		if (r == FATE_DR(NOT_SPECIFIED))
			return RST_FATE_REQUEST;
	}
	/* tcp_validate_incoming(): in window, not exact: challenge ACK, then this. */
	if (r == FATE_DR(TCP_RESET))
		return RST_FATE_CHALLENGED;
	if (r == FATE_DR(TCP_OLD_SEQUENCE) || r == FATE_DR(TCP_INVALID_SEQUENCE) ||
	    r == FATE_DR(TCP_RFC7323_PAWS) || r == FATE_DR(TCP_INVALID_ACK_SEQUENCE) ||
	    r == FATE_DR(TCP_FLAGS) || r == FATE_DR(TCP_OLD_ACK) || r == FATE_DR(TCP_TOO_OLD_ACK) ||
	    r == FATE_DR(TCP_RFC7323_TW_PAWS))
		return RST_FATE_IGNORED;
	return RST_FATE_DROPPED;
}

/*
 * kfree_skb(skb, location, reason, rx_sk): a packet dropped. The first
 * tests are the cheap ones, as most drops are not RSTs: a real drop
 * reason (not "consumed", tested by the caller too), then an RST pending
 * on this CPU at all; only then are the skb's headers read. The fates'
 * half of the one kfree_skb program (bpf/kfree.bpf.h).
 */
static __always_inline int fate_drop(__u64 *ctx)
{
	const struct sk_buff *skb = (const struct sk_buff *)ctx[0];
	__s64 reason = (__s64)ctx[2];
	struct rst_fate_ring *r;
	struct rst_fate_key k = {};
	unsigned char *head;
	__u16 nh, th;
	__u8 ip[40 + 14], tcp[14];
	__u32 zero = 0, state = 0;
	const struct sock *rx_sk;
	int joined = 0;

	/* "Consumed" (no drop) returned in rst_kfree_skb already. */
	r = bpf_map_lookup_elem(&fate_ring, &zero);
	if (!r || !r->pending || !skb)
		return 0;
	/* tp_btf: the skb's fields are direct (BTF) loads, no probe read each. */
	head = skb->head;
	nh = skb->network_header;
	th = skb->transport_header;
	if (th == (__u16)~0U)
		return 0;
	/*
	 * IPv4 without options, TCP right behind: both headers in one read,
	 * the common case of a flood. Otherwise the IP header, then TCP's.
	 */
	if (th == nh + 20 && !bpf_probe_read_kernel(ip, 20 + 14, head + nh) && ip[0] == 0x45)
		joined = 1;
	else if (bpf_probe_read_kernel(ip, 20, head + nh))
		return 0;
	if ((ip[0] >> 4) == 4 && ip[9] == IPPROTO_TCP) {
		k.family = AF_INET;
		__builtin_memcpy(k.saddr, ip + 12, 4);
		__builtin_memcpy(k.daddr, ip + 16, 4);
	} else if ((ip[0] >> 4) == 6) {
		/* XXX: the next header is not TCP behind extension headers; such RSTs stay unknown. */
		if (bpf_probe_read_kernel(ip, 40, head + nh) || ip[6] != IPPROTO_TCP)
			return 0;
		k.family = AF_INET6;
		__builtin_memcpy(k.saddr, ip + 8, 16);
		__builtin_memcpy(k.daddr, ip + 24, 16);
	} else {
		return 0;
	}
	if (joined)
		__builtin_memcpy(tcp, ip + 20, sizeof(tcp));
	else if (bpf_probe_read_kernel(tcp, sizeof(tcp), head + th))
		return 0;
	if (!(tcp[13] & RST_TCP_RST))
		return 0;
	k.sport = (__u16)tcp[0] << 8 | tcp[1];
	k.dport = (__u16)tcp[2] << 8 | tcp[3];
	k.seq = (__u32)tcp[4] << 24 | (__u32)tcp[5] << 16 | (__u32)tcp[6] << 8 | tcp[7];
	/* The socket that dropped it, where the kernel says (rx_sk: a request or timewait one too). */
	rx_sk = fate_rx_sk ? (const struct sock *)ctx[3] : NULL; /* pruned at load without it */
	if (rx_sk)
		state = BPF_CORE_READ(rx_sk, __sk_common.skc_state) + 1;
	fate_resolve(&k, 0, fate_of_drop(reason, state), (__u32)reason, state);
	return 0;
}

/*
 * tcp_send_reset(sk, skb, ...): the owner of the socket an RST is sent
 * for, under the RST's addresses and ports (the key of rst_reason_key,
 * late 0 always). With an skb it answers a packet, in softirq: the
 * socket's cgroup and uid, no task. Without one it is an active reset
 * (close with unread data, SO_LINGER 0, disconnect, keepalive timer,
 * memory pressure): the task only where it runs in process context.
 */
SEC("tp_btf/tcp_send_reset")
int rst_send_owner(__u64 *ctx)
{
	const struct sock *sk = (const struct sock *)ctx[0];
	const struct sk_buff *skb = (const struct sk_buff *)ctx[1];
	struct rst_reason_key key = {};
	struct rst_owner_val ov = {};
	struct rst_fate_key k = {};

	if (!sk)
		return 0;
	/* The tracepoint is global: other namespaces' resets are not this host's owners. */
	if (fate_netns && BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum) != fate_netns)
		return 0;
	if (skb) {
		__u8 fl;

		if (reply_key(skb, &key, &fl, 1))
			return 0;
	} else {
		/* The RST's tuple: this host's side is the sender. */
		if (fate_sock_tuple(sk, &k))
			return 0;
		__builtin_memcpy(key.saddr, k.daddr, 16);
		__builtin_memcpy(key.daddr, k.saddr, 16);
		key.sport = k.dport;
		key.dport = k.sport;
		key.family = k.family;
	}
	owner_fill(sk, &ov, !skb);
	if (!ov.flags)
		return 0;
	bpf_map_update_elem(&owners, &key, &ov, BPF_ANY);
	cgroup_count(ov.cgroup_id, 0);
	return 0;
}
#endif /* RST_FATE_TRACE_BPF_H */
