// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rsttrace kernel side: one parse-and-count body behind three entry points
 * (XDP ingress, TC ingress, TC egress). Every packet costs a parse and a
 * per-CPU add; only SYN/FIN/RST touch the flow and host maps; only RSTs can
 * become ring buffer events (SYN, SYN-ACK and FIN too when asked:
 * ctlevents.bpf.h), after 1-in-N sampling and a per-source token bucket. Every program returns "pass": rsttrace only observes.
 *
 * A tracing program records why the kernel sends the RSTs it sends (its
 * reset reason and the socket's state) under the RST's addresses and
 * ports; the TC egress program takes the record when it sees that RST,
 * or userspace does when the record only comes after (include/rsttrace.h).
 * The tracing programs and the counted causes are in causes.bpf.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "rsttrace.h"
#include "parse.bpf.h"
#include "fastpath.bpf.h"
#include "evfilter.bpf.h"
#include "ctlevents.bpf.h"
#include "offline.bpf.h"
#ifndef RST_VMLINUX_FALLBACK_H
#include <bpf/bpf_core_read.h>
#else
#define SOCK_STREAM 1 /* an enum of vmlinux.h; the UAPI headers leave it to libc */
#endif

#define TC_ACT_UNSPEC (-1) /* == TCX_NEXT: let the next program decide */

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set between open and load; the verifier prunes on them. */
const volatile __u32 snaplen = RST_SNAPLEN_DEFAULT;
const volatile __u32 abi_version = RST_ABI_VERSION;
/* The consumer's wakeup threshold in bytes, min(ring / 16, 32 KiB); 0: computed per event. */
const volatile __u32 wakeup_bytes = 0;

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

/*
 * Host and flow tables: per-CPU arrays of sets of lines (include/rsttrace.h).
 * The masks are the number of sets - 1, set at load with the map sizes.
 */
const volatile __u32 host_set_mask = RST_MAX_HOSTS_DEFAULT / RST_HOST_WAYS - 1;
const volatile __u32 flow_set_mask = RST_MAX_FLOWS_DEFAULT / RST_FLOW_WAYS - 1;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RST_MAX_FLOWS_DEFAULT / RST_FLOW_WAYS);
	__type(key, __u32);
	__type(value, struct rst_flow_set);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RST_MAX_HOSTS_DEFAULT / RST_HOST_WAYS);
	__type(key, __u32);
	__type(value, struct rst_host_set);
} hosts SEC(".maps");

/* The per-CPU budgets of new flows and events; not pinned, nobody reads it. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rst_budget);
} budget SEC(".maps");

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

/* Per-CPU event rings, when the loader chose them (rings.bpf.h). */
#include "rings.bpf.h"

/* The kernel's reasons for the RSTs this host sends (rst_send_reset, below). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, RST_REASONS_DEFAULT);
	__type(key, struct rst_reason_key);
	__type(value, struct rst_reason_val);
} reasons SEC(".maps");

/* Counted causes and the tracing programs (tcp_send_reset moved there). */
#include "causes.bpf.h"

/* What the entry point knows that the body cannot find out. */
struct rst_ctx {
	void *data;
	void *data_end;
	__u32 wire_len; /* 0 on XDP until the full parser needs it */
	__u32 fast_len; /* a lower bound for the fast path (fastpath.bpf.h) */
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

static __always_inline int addr_eq(const __u8 *x, const __u32 *w)
{
	const __u32 *v = (const __u32 *)x;

	return v[0] == w[0] && v[1] == w[1] && v[2] == w[2] && v[3] == w[3];
}

/* The fates of RSTs received, the stage, the owners (after settings and addr_eq). */
#include "fate.bpf.h"

/* Each flag of a packet the flow table could not take, by cause. */
static __always_inline void flow_lost(struct rst_counters *cnt, __u32 cause, __u8 flags)
{
	if (cause >= RST_FL_MAX)
		return;
	if (flags & RST_TCP_SYN)
		cnt->flow_lost[cause][(flags & RST_TCP_ACK) ? RST_FF_SYNACK : RST_FF_SYN]++;
	if (flags & RST_TCP_FIN)
		cnt->flow_lost[cause][RST_FF_FIN]++;
	if (flags & RST_TCP_RST)
		cnt->flow_lost[cause][(flags & RST_TCP_ACK) ? RST_FF_RSTACK : RST_FF_RST]++;
}

/* A flow line's counts leave the table: into the evicted counters, exactly. */
static __always_inline void flow_flush(struct rst_counters *cnt, struct rst_flow_line *l)
{
	__u64 *e = cnt->flow_lost[RST_FL_EVICTED];

	e[RST_FF_SYN] += l->syn[0] + l->syn[1];
	e[RST_FF_SYNACK] += l->synack[0] + l->synack[1];
	e[RST_FF_FIN] += l->fin[0] + l->fin[1];
	e[RST_FF_RST] += l->rst[0] + l->rst[1];
	e[RST_FF_RSTACK] += l->rstack[0] + l->rstack[1];
	__builtin_memset(l->syn, 0, 5 * 2 * sizeof(__u32));
}

/*
 * The CPU's budget of new flows for this second (a window of 2^30 ns; the
 * count restarts with each): the budget state when one more flow may be
 * made, NULL when it is spent. Checked before, spent only by a flow made.
 */
static __always_inline struct rst_budget *flow_budget_ok(const struct rst_config *cfg, __u32 now_t)
{
	struct rst_budget *b;
	__u32 zero = 0, win = now_t >> (30 - RST_TICK_SHIFT);

	b = bpf_map_lookup_elem(&budget, &zero);
	if (!b)
		return NULL;
	if (b->flow_win != win) {
		b->flow_win = win;
		b->flow_used = 0;
	}
	if (cfg->flow_budget && b->flow_used >= cfg->flow_budget)
		return NULL;
	return b;
}

/*
 * Spend one attempt of the CPU's flow budget for the SYN of flags: 1 when
 * one was left, 0 (counted as budget in flow_lost) when it is spent.
 */
static __always_inline int flow_budget_take(struct rst_counters *cnt, const struct rst_config *cfg,
					    __u32 now_t, __u8 flags)
{
	struct rst_budget *fb = flow_budget_ok(cfg, now_t);

	if (!fb) {
		flow_lost(cnt, RST_FL_BUDGET, flags);
		return 0;
	}
	/* Spent by the attempt: a full table must not make the budget endless. */
	fb->flow_used++;
	return 1;
}

/*
 * The flow of a SYN, FIN or RST. Only SYN and SYN-ACK make flows, within
 * the CPU's budget of attempts per second (each SYN that finds no flow
 * spends one, made or not: a full table cannot make the work endless) and
 * only into a way not seen for a second; FIN and RST
 * look one up only when their host line says this CPU made a flow with the
 * host: a spoofed RST costs no flow lookup. Everything the table does not
 * take is counted in flow_lost by cause. Per CPU, no atomics.
 */
static __always_inline int flow_update(struct rst_counters *cnt, const struct rst_config *cfg,
				       struct rst_pkt *pk, int known, __u8 flags, __u32 ifindex,
				       __u32 now_t)
{
	__u32 a[4], b[4], hash, tag, idx, d, best = 0, best_age = 0, age, wi = 0;
	struct rst_flow_line *l = NULL, *w;
	struct rst_flow_set *s;
	__u16 pa, pb;
	int syn = flags & RST_TCP_SYN, i, made = 0, spent = 0;

	/*
	 * Only a SYN comes here from a host without flows (rst_account counts
	 * a FIN or RST of one as no_flow without the call).
	 *
	 * A SYN of a host without flows on this CPU can only make a new flow:
	 * with the budget spent (a SYN flood, after its first moments) it is
	 * refused before the flow set is touched, a cache miss saved.
	 * XXX: a host line evicted and made again has lost its flows bit; a
	 * SYN of its surviving flow is then refused as budget, not counted in
	 * the flow (exact either way).
	 */
	if (!known) {
		if (!flow_budget_take(cnt, cfg, now_t, flags))
			return 0;
		spent = 1;
	}
	if (endpoint_cmp(pk->saddr, pk->sport, pk->daddr, pk->dport) <= 0) {
		__builtin_memcpy(a, pk->saddr, 16);
		__builtin_memcpy(b, pk->daddr, 16);
		pa = pk->sport;
		pb = pk->dport;
		d = 0;
	} else {
		__builtin_memcpy(a, pk->daddr, 16);
		__builtin_memcpy(b, pk->saddr, 16);
		pa = pk->dport;
		pb = pk->sport;
		d = 1;
	}
	hash = rst_flow_hash(a, b, pa, pb, pk->family, cfg->hash_seed);
	idx = hash & flow_set_mask;
	tag = rst_tag(hash);
	s = bpf_map_lookup_elem(&flows, &idx);
	if (!s) {
		cnt->c[RST_C_FLOW_ERR]++;
		return 0;
	}
	/* Tags first, as for hosts: a new flow misses on the header line only. */
#pragma unroll
	for (i = 0; i < RST_FLOW_WAYS; i++) {
		if (s->hdr.tag[i] == tag) {
			w = &s->way[i];
			if (w->family == pk->family && w->port_a == pa && w->port_b == pb &&
			    addr_eq(w->addr_a, a) && addr_eq(w->addr_b, b)) {
				l = w;
				wi = i;
				break;
			}
		}
		/* A free way is the oldest of all. */
		age = s->hdr.tag[i] ? now_t - s->hdr.last_t[i] : 0xffffffff;
		if (age >= best_age) {
			best_age = age;
			best = i;
		}
	}
	if (!l) {
		if (!syn) {
			flow_lost(cnt, RST_FL_NOFLOW, flags);
			return 0;
		}
		if (!spent && !flow_budget_take(cnt, cfg, now_t, flags))
			return 0;
		/* Busy ways stay: a flood of new flows cannot push live ones out. */
		if (best_age < RST_FLOW_BUSY_TICKS) {
			flow_lost(cnt, RST_FL_FULL, flags);
			return 0;
		}
		wi = best & (RST_FLOW_WAYS - 1);
		l = &s->way[wi];
		if (l->family)
			flow_flush(cnt, l);
		s->hdr.tag[wi] = tag;
		__builtin_memcpy(l->addr_a, a, 16);
		__builtin_memcpy(l->addr_b, b, 16);
		l->port_a = pa;
		l->port_b = pb;
		l->family = pk->family;
		l->ttl[0] = l->ttl[1] = 0;
		l->hs = 0;
		l->first_t = now_t;
		made = 1;
	}
	/* A count about to wrap: the line's counts move out whole, exactly. */
	if ((l->syn[d] | l->synack[d] | l->fin[d] | l->rst[d] | l->rstack[d]) >= 0x80000000U)
		flow_flush(cnt, l);
	if (syn) {
		if (flags & RST_TCP_ACK)
			l->synack[d & 1]++;
		else
			l->syn[d & 1]++;
		stage_note(l, pk, d); /* the ISNs of the connection stage (fate.bpf.h) */
	}
	if (flags & RST_TCP_FIN)
		l->fin[d & 1]++;
	if (flags & RST_TCP_RST) {
		if (flags & RST_TCP_ACK)
			l->rstack[d & 1]++;
		else
			l->rst[d & 1]++;
		/*
		 * The same sender's earlier SYN, FIN or RST came with another
		 * TTL: this RST may not come from the host it names (0 is no
		 * TTL recorded yet). Only SYN/FIN/RST record one, and a route
		 * change moves it too: a hint, not a proof.
		 */
		if (l->ttl[d & 1] && l->ttl[d & 1] != pk->ttl)
			pk->ev_flags |= RST_EV_TTL_CHANGE;
	}
	l->ttl[d & 1] = pk->ttl;
	l->ifindex = ifindex;
	l->last_t = now_t;
	s->hdr.last_t[wi & (RST_FLOW_WAYS - 1)] = now_t;
	return made;
}

/*
 * Behind a global function, like the host update below: verified once on
 * their own, their ways' branches do not multiply with the caller's paths.
 * Returns 1 when a flow was made (the caller marks the host line).
 */
__attribute__((noinline)) int flow_account(struct rst_counters *cnt, struct rst_pkt *pk,
					   __u32 known, __u32 ifindex, __u32 now_t)
{
	struct rst_config *cfg;
	__u32 zero = 0;

	if (!cnt || !pk)
		return 0;
	cfg = bpf_map_lookup_elem(&settings, &zero);
	if (!cfg)
		return 0;
	return flow_update(cnt, cfg, pk, known, pk->flags, ifindex, now_t);
}

/* A host line's counts leave the table: into the evicted counters, exactly. */
static __always_inline void host_flush(struct rst_counters *cnt, struct rst_host_line *l)
{
	cnt->host_lost[RST_DIR_IN][RST_HF_RST] += l->rst_in;
	cnt->host_lost[RST_DIR_OUT][RST_HF_RST] += l->rst_out;
	cnt->host_lost[RST_DIR_IN][RST_HF_SYN] += l->syn_in;
	cnt->host_lost[RST_DIR_OUT][RST_HF_SYN] += l->syn_out;
	cnt->host_lost[RST_DIR_IN][RST_HF_FIN] += l->fin_in;
	cnt->host_lost[RST_DIR_OUT][RST_HF_FIN] += l->fin_out;
	__builtin_memset(&l->rst_in, 0, 6 * sizeof(__u32));
}

/*
 * The peer's line on this CPU (the source of what came in, the target of
 * what went out): found among the ways of its set, or made in a free way
 * or in place of the way seen least recently, whose counts go to
 * host_lost. Constant work: one array lookup, four compares.
 */
static __always_inline struct rst_host_line *host_update(struct rst_counters *cnt,
							 struct rst_pkt *pk, __u8 dir, __u8 flags,
							 __u32 now_t, __u32 seed)
{
	__u32 a[4], h, tag, idx, best = 0, best_age = 0, age, wi = 0;
	struct rst_host_line *l = NULL, *w;
	struct rst_host_set *s;
	int i;

	if (dir == RST_DIR_IN)
		__builtin_memcpy(a, pk->saddr, 16);
	else
		__builtin_memcpy(a, pk->daddr, 16);
	h = rst_host_hash(a, pk->family, seed);
	pk->host_hash = h;
	idx = h & host_set_mask;
	tag = rst_tag(h);
	s = bpf_map_lookup_elem(&hosts, &idx);
	if (!s) {
		cnt->c[RST_C_HOST_ERR]++;
		return NULL;
	}
	/* The header's tags first: a way's line is read only where its tag matches. */
#pragma unroll
	for (i = 0; i < RST_HOST_WAYS; i++) {
		if (s->hdr.tag[i] == tag) {
			w = &s->way[i];
			if (w->family == pk->family && addr_eq(w->addr, a)) {
				l = w;
				wi = i;
				break;
			}
		}
		age = s->hdr.tag[i] ? now_t - s->hdr.last_t[i] : 0xffffffff;
		if (age >= best_age) {
			best_age = age;
			best = i;
		}
	}
	if (!l) {
		wi = best & (RST_HOST_WAYS - 1);
		l = &s->way[wi];
		if (l->family)
			host_flush(cnt, l);
		__builtin_memcpy(l->addr, a, 16);
		l->family = pk->family;
		l->flags = 0;
		l->tat_ns = 0;
		l->first_t = now_t;
		s->hdr.tag[wi] = tag;
	}
	s->hdr.last_t[wi & (RST_HOST_WAYS - 1)] = now_t;
	if ((l->rst_in | l->rst_out | l->syn_in | l->syn_out | l->fin_in | l->fin_out) >=
	    0x80000000U)
		host_flush(cnt, l);
	if (dir == RST_DIR_IN) {
		if (flags & RST_TCP_RST)
			l->rst_in++;
		if ((flags & (RST_TCP_SYN | RST_TCP_ACK)) == RST_TCP_SYN)
			l->syn_in++;
		if (flags & RST_TCP_FIN)
			l->fin_in++;
	} else {
		if (flags & RST_TCP_RST)
			l->rst_out++;
		if ((flags & (RST_TCP_SYN | RST_TCP_ACK)) == RST_TCP_SYN)
			l->syn_out++;
		if (flags & RST_TCP_FIN)
			l->fin_out++;
	}
	l->last_t = now_t;
	return l;
}

/*
 * The per-CPU event budget of this second, before any per-source state:
 * against spoofed sources, which each have a full bucket, it is what
 * bounds the events. Checked here, spent only by an event that is written.
 */
static __always_inline struct rst_budget *event_budget_ok(const struct rst_config *cfg, __u64 now)
{
	struct rst_budget *b;
	__u32 zero = 0, win = now >> 30;

	b = bpf_map_lookup_elem(&budget, &zero);
	if (!b)
		return NULL;
	if (b->ev_win != win) {
		b->ev_win = win;
		b->ev_used = 0;
	}
	if (cfg->event_budget && b->ev_used >= cfg->event_budget)
		return NULL;
	return b;
}

/*
 * Per-source token bucket as GCRA, in the source's host line on this CPU:
 * an event is allowed while the theoretical arrival time is no further
 * ahead of now than the bucket depth. A source seen on several CPUs has a
 * bucket on each (XXX: up to ncpu times the rate; RSS keeps one source on
 * one CPU). No line (never happens): no limit.
 */
static __always_inline int rate_allow(const struct rst_config *cfg, struct rst_host_line *h,
				      __u64 now)
{
	__u64 interval = cfg->rate_interval_ns, depth = cfg->rate_depth_ns, tat;

	/* interval 0: a writer that skipped rst_config_derive(); no limit, no division. */
	if (!cfg->rate_limit || !interval || !h)
		return 1;
	tat = h->tat_ns > now ? h->tat_ns : now;
	if (tat + interval - now > depth)
		return 0;
	h->tat_ns = tat + interval;
	return 1;
}

/*
 * The event filter (bpf/evfilter.bpf.h) behind a global function, so the
 * verifier checks its 32 literals once, on their own. ports are the TCP
 * header's two port fields in network byte order, source in the high half.
 * Pointer arguments to global functions need 5.12; bpf_xdp_load_bytes
 * already needs 5.18.
 */
__attribute__((noinline)) int evf_pass(const struct rst_pkt *pk, __u32 ports)
{
	struct rst_evfilter *f;
	struct evf_pkt p;
	__u32 zero = 0;

	/* A global function's pointer argument may be NULL as far as the verifier knows. */
	if (!pk)
		return 1;
	f = bpf_map_lookup_elem(&evfilter, &zero);
	if (!f || !f->n_terms)
		return 1;
	__builtin_memcpy(p.saddr, pk->saddr, 16);
	__builtin_memcpy(p.daddr, pk->daddr, 16);
	p.sport = bpf_ntohs((__u16)(ports >> 16));
	p.dport = bpf_ntohs((__u16)ports);
	p.l3_off = (__u16)pk->l3_off;
	p.l4_off = (__u16)pk->l4_off;
	p.family = pk->family;
	p.vlans = pk->vlans;
	if (!evf_plain(&p))
		return 1;
	return evf_match(f, &p);
}

/* Bytes of one event in the ring: the 8-byte record header, then the event. */
#define RST_RECORD_BYTES (8 + ((sizeof(struct rst_event) + 7) & ~7UL))
/* Wake the consumer at most every this many unread bytes (about 95 events). */
#define RST_WAKEUP_BYTES (32U << 10)

/*
 * The submit flags of an event: wake the consumer only when this record
 * takes the unread data across a threshold (1/16 of the ring, at most
 * RST_WAKEUP_BYTES), not at every event. The ring's default wakes whenever
 * the consumer has caught up, which under a reset flood is nearly every
 * event: an irq_work and a cross-CPU wakeup each, microseconds against
 * the event's own ~150 ns, on both the producing and the consuming CPU.
 * Consumers poll with a timeout (watch, demo: 100 ms), which bounds how
 * long events below the threshold wait. A global function: the verifier
 * checks it once, not on every path of the caller.
 */
__attribute__((noinline)) __u64 ringbuf_wakeup(void)
{
	/* The ring the record was reserved in: its own fill decides (rings.bpf.h). */
	void *rb = ev_ring();
	__u64 avail, thresh = wakeup_bytes;

	if (!rb)
		return BPF_RB_NO_WAKEUP;
	avail = bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA);
	/* Set at load from the ring's size (loader.c); a loader that did not: ask the ring. */
	if (!thresh) {
		thresh = bpf_ringbuf_query(rb, BPF_RB_RING_SIZE) / 16;
		if (thresh > RST_WAKEUP_BYTES)
			thresh = RST_WAKEUP_BYTES;
	}
	/* avail already counts this record: it was reserved, not yet submitted. */
	if (avail >= thresh && avail < thresh + RST_RECORD_BYTES)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/*
 * The kernel's reason and socket state for an RST this host sends, if the
 * tracepoint recorded them before it left; the record is taken either
 * way, so that it cannot be matched to a later RST. Records of RSTs that
 * left elsewhere (another interface, another network namespace) are never
 * taken: they age out of the LRU map, and RST_REASON_MAX_AGE_NS keeps an
 * old one from being mistaken for a new RST's. Late records are
 * userspace's (a different key).
 */
static __always_inline void reason_take(struct rst_pkt *pk, __u64 now)
{
	struct rst_reason_key key = {};
	struct rst_reason_val *v;

	__builtin_memcpy(key.saddr, pk->saddr, 16);
	__builtin_memcpy(key.daddr, pk->daddr, 16);
	key.sport = pk->sport;
	key.dport = pk->dport;
	key.family = pk->family;
	v = bpf_map_lookup_elem(&reasons, &key);
	if (!v)
		return;
	/*
	 * now is the coarse clock, which lags the tracepoint's fine stamp by
	 * up to a tick: a record "from the future" was made just now.
	 */
	if (v->ts_ns >= now || now - v->ts_ns < RST_REASON_MAX_AGE_NS) {
		pk->reason = v->reason;
		pk->sk_state = v->state;
	}
	bpf_map_delete_elem(&reasons, &key);
}

/*
 * What a SYN, FIN or RST costs beyond the fast path: the flag counters, the
 * host line and the flow line (coarse clock) and, for an RST, the event
 * decision (events off, the expression filter, 1-in-N sampling, the CPU's
 * event budget, the source's rate limit), each refusal counted by cause;
 * for an RST sent, the kernel's reason. The tables, the budgets and the
 * bucket run on the coarse clock; the fine one is read for the event's
 * timestamp only (and for an RST sent here, its reason's age). Returns 1
 * when the caller should write the event, with pk->ev_flags, reason and
 * sk_state set for it.
 *
 * A global function: the verifier checks it once, on its own, instead of
 * once per path through the parser (VLAN depth x IP version x extension
 * chain). Inlined, the three programs took 87-95% of the 1M processed-
 * instruction budget and two seconds to load.
 */
__attribute__((noinline)) int rst_account(struct rst_counters *cnt, struct rst_pkt *pk,
					  __u32 ifindex, __u32 dir)
{
	struct rst_host_line *h;
	struct rst_config *cfg;
	struct rst_budget *eb;
	__u32 zero = 0, now_t, known;
	__u8 flags;
	__u64 seq, now;

	/* cnt: the caller's counters slot (a global function takes it as memory). */
	if (!cnt || !pk || dir > RST_DIR_OUT)
		return 0;
	cfg = bpf_map_lookup_elem(&settings, &zero);
	if (!cfg)
		return 0;
	flags = pk->flags;
	if (flags & RST_TCP_SYN)
		cnt->c[(flags & RST_TCP_ACK) ? RST_C_SYNACK : RST_C_SYN]++;
	if (flags & RST_TCP_FIN)
		cnt->c[RST_C_FIN]++;
	if (flags & RST_TCP_RST)
		cnt->c[(flags & RST_TCP_ACK) ? RST_C_RSTACK : RST_C_RST]++;

	now = rst_clock_coarse(); /* the capture's time under -r (offline.bpf.h) */
	now_t = (__u32)(now >> RST_TICK_SHIFT);
	/* Inline here: one global call fewer, the line's pointer kept. */
	h = host_update(cnt, pk, dir, flags, now_t, cfg->hash_seed);
	known = rst_offline_known(h && (h->flags & RST_HL_FLOWS));
	/*
	 * A FIN or RST of a host without flows on this CPU (every spoofed
	 * one) has none to find: counted here, without the call.
	 */
	if (!(flags & RST_TCP_SYN) && !known)
		flow_lost(cnt, RST_FL_NOFLOW, flags);
	else if (flow_account(cnt, pk, known, ifindex, now_t) && h)
		h->flags |= RST_HL_FLOWS;
	/* RSTs only, unless SYN, SYN-ACK or FIN events were asked (ctlevents.bpf.h). */
	if (!ctl_asked(cnt, cfg, flags))
		return 0;
	/*
	 * Before the event decision: the record goes whether or not an event
	 * does. Its age is judged on the coarse clock (a second's limit); the
	 * fine clock is read once, for an event's timestamp only (event_fill).
	 */
	if (dir == RST_DIR_OUT && (flags & RST_TCP_RST))
		reason_take(pk, now);

	/*
	 * The sequence counts every packet of a kind asked (every RST by
	 * default), so 1-in-N does not depend on history.
	 */
	seq = cnt->rst_seq++;
	if (cfg->flags & RST_CFG_EVENTS_OFF) {
		ev_outcome(cnt, flags, RST_C_EV_FILTERED, RST_CE_FILTERED);
		return 0;
	}
	/*
	 * Before sampling and the rate limit, so that RSTs the expression
	 * rejects neither take ring space nor spend a source's tokens.
	 */
	if (!evf_pass(pk, (__u32)bpf_htons(pk->sport) << 16 | bpf_htons(pk->dport))) {
		ev_outcome(cnt, flags, RST_C_EV_FILTERED, RST_CE_FILTERED);
		return 0;
	}
	if (cfg->sample > 1 && seq % cfg->sample) {
		ev_outcome(cnt, flags, RST_C_EV_SAMPLED, RST_CE_SAMPLED);
		return 0;
	}
	eb = event_budget_ok(cfg, now);
	if (!eb || !rate_allow(cfg, h, now)) {
		ev_outcome(cnt, flags, RST_C_EV_RATELIM, RST_CE_RATELIM);
		return 0;
	}
	eb->ev_used++;
	return 1;
}

/* Everything of an event but the snapshot. */
static __always_inline void event_fill(void *ctx, struct rst_event *e, const struct rst_pkt *pk,
				       __u32 ifindex, __u32 wire_len, __u8 hook, __u8 dir)
{
	/* The one fine clock read of an RST: an event's, for tcpdump's microseconds. */
	e->ts_ns = bpf_ktime_get_ns();
	__builtin_memcpy(e->saddr, pk->saddr, 16);
	__builtin_memcpy(e->daddr, pk->daddr, 16);
	e->ifindex = ifindex;
	e->seq = pk->seq;
	e->ack = pk->ack;
	e->pkt_len = wire_len;
	e->sport = pk->sport;
	e->dport = pk->dport;
	e->win = pk->win;
	e->ip_id = pk->ip_id;
	e->payload_len = pk->payload_len;
	e->l3_off = pk->l3_off;
	e->l4_off = pk->l4_off;
	e->family = pk->family;
	e->hook = hook;
	e->dir = dir;
	e->tcp_flags = pk->flags;
	e->ttl = pk->ttl;
	e->ev_flags = (pk->vlans ? RST_EV_VLAN : 0) | pk->ev_flags;
	e->reason = pk->reason;
	e->sk_state = pk->sk_state;
	if (hook == RST_HOOK_TC_EGRESS && !pk->reason) {
		/*
		 * Sent by a TCP socket of this host, its own connection's RST:
		 * an active reset, whose reason the tracepoint records only
		 * after this. The stack's replies come from a raw control
		 * socket, forwarded packets have none.
		 */
		struct bpf_sock *sk = ((struct __sk_buff *)ctx)->sk;

		if (sk)
			sk = bpf_sk_fullsock(sk);
		if (sk && sk->type == SOCK_STREAM && sk->protocol == IPPROTO_TCP)
			e->ev_flags |= RST_EV_LOCAL;
	}
}

/* The first n (1..cap, cap a power of two) bytes of the frame into e->snap; n or 0. */
static __always_inline __u32 event_snap(void *ctx, int xdp, struct rst_event *e, __u32 n, __u32 cap)
{
	/*
	 * clang folds the range test into (n - 1) < cap on a copy the
	 * verifier does not link to n; rebuild n from a masked value so the
	 * helper sees [1, cap] on the register it gets.
	 */
	n = ((n - 1) & (cap - 1)) + 1;
	if (xdp)
		return bpf_xdp_load_bytes(ctx, 0, e->snap, n) ? 0 : n;
	return bpf_skb_load_bytes(ctx, 0, e->snap, n) ? 0 : n;
}

/*
 * Write the event of an RST that rst_account() let through: a record only
 * as long as its snapshot needs (RST_EVENT_SIZE_FOR), reserved in one of
 * three constant sizes, the ring's own requirement. A bare RST's frame
 * (54..94 bytes) takes 144 bytes of ring instead of 336. The ring is
 * `events` or this CPU's (rings.bpf.h). Returns 1 when written, 0 when
 * the ring is full or missing.
 */
static __always_inline int emit_event(void *ctx, int xdp, const struct rst_pkt *pk, __u32 ifindex,
				      __u32 wire_len, __u8 hook, __u8 dir)
{
	struct rst_event *e;
	void *rb = ev_ring();
	__u32 n;

	/* No ring in this CPU's slot: ring-full, as the caller counts a 0. */
	if (!rb)
		return 0;
	/* Snapshot: the first min(wire length, snaplen) bytes, via the helpers. */
	n = wire_len < snaplen ? wire_len : snaplen;
	if (n < 1 || n > RST_SNAPLEN_MAX)
		n = 0;
	if (n <= 64) {
		e = bpf_ringbuf_reserve(rb, RST_EVENT_HDR + 64, 0);
		if (!e)
			return 0;
		event_fill(ctx, e, pk, ifindex, wire_len, hook, dir);
		e->snap_len = n ? event_snap(ctx, xdp, e, n, 64) : 0;
	} else if (n <= 128) {
		e = bpf_ringbuf_reserve(rb, RST_EVENT_HDR + 128, 0);
		if (!e)
			return 0;
		event_fill(ctx, e, pk, ifindex, wire_len, hook, dir);
		e->snap_len = event_snap(ctx, xdp, e, n, 128);
	} else {
		e = bpf_ringbuf_reserve(rb, sizeof(*e), 0);
		if (!e)
			return 0;
		event_fill(ctx, e, pk, ifindex, wire_len, hook, dir);
		e->snap_len = event_snap(ctx, xdp, e, n, RST_SNAPLEN_MAX);
	}
	bpf_ringbuf_submit(e, ringbuf_wakeup());
	return 1;
}

/*
 * The event writers behind global functions, one per context type: the
 * verifier checks the three record sizes once, not once per parser path.
 * hook_dir: hook << 8 | direction.
 */
__attribute__((noinline)) int emit_xdp(struct xdp_md *ctx, const struct rst_pkt *pk, __u32 ifindex,
				       __u32 wire_len)
{
	if (!pk)
		return 0;
	return emit_event(ctx, 1, pk, ifindex, wire_len, RST_HOOK_XDP, RST_DIR_IN);
}

__attribute__((noinline)) int emit_skb(struct __sk_buff *ctx, const struct rst_pkt *pk,
				       __u32 ifindex, __u32 wire_len, __u32 hook_dir)
{
	if (!pk)
		return 0;
	return emit_event(ctx, 0, pk, ifindex, wire_len, (__u8)(hook_dir >> 8), (__u8)hook_dir);
}

static __always_inline void handle(void *ctx, const struct rst_ctx *rc)
{
	struct rst_src src = {
		.data = rc->data,
		.data_end = rc->data_end,
		.mode = RST_SRC_DIRECT,
	};
	union rst_hdr_buf buf; /* unused on the direct path: optimised away */
	struct rst_counters *cnt;
	struct rst_pkt pk;
	__u32 wire_len;
	int ret;

	cnt = counters_get(rc->ifindex, rc->dir);
	if (!cnt)
		return;
	cnt->c[RST_C_PACKETS]++;

	/*
	 * Data, pure ACKs and non-TCP in the commonest framing: judged in
	 * place, no copy, no helper call (bpf/fastpath.bpf.h). Everything
	 * else is parsed in full from the start.
	 */
	ret = fast_judge(rc->data, rc->data_end, rc->fast_len);
	if (ret != FAST_NO) {
		if (ret != FAST_OTHER)
			cnt->c[ret == FAST_TCP4 ? RST_C_TCP4 : RST_C_TCP6]++;
		return;
	}
	/* The whole length (frags too): XDP pays the helper only here. */
	wire_len = rc->wire_len;
	if (rc->hook == RST_HOOK_XDP)
		wire_len = bpf_xdp_get_buff_len(ctx);
	src.wire_len = wire_len;
	__builtin_memset(&pk, 0, sizeof(pk));
	ret = parse_frame(&src, &buf, &pk);
	if (ret != PARSE_TCP) {
		/*
		 * Headers past the directly readable part (XDP frags, a
		 * non-linear skb): parse again with the load helpers. The
		 * common case, headers in the first buffer, never comes here.
		 */
		if (ret == PARSE_SLOW) {
			if (rc->hook == RST_HOOK_XDP)
				ret = parse_frags_xdp(ctx, &pk, wire_len);
			else
				ret = parse_frags_skb(ctx, &pk, wire_len);
		}
		if (ret < 0) {
			__u32 reason = -1 - ret;

			/* One register for test and index: ret may come from a global function. */
			barrier_var(reason);
			if (reason < RST_M_MAX)
				cnt->malformed[reason]++;
			return;
		}
		if (ret == PARSE_FRAGMENT) {
			cnt->c[RST_C_FRAGMENT]++;
			return;
		}
		if (ret != PARSE_TCP)
			return;
	}
	cnt->c[pk.family == AF_INET ? RST_C_TCP4 : RST_C_TCP6]++;

	/* Fast path: data and pure ACKs stop here. */
	if (!(pk.flags & (RST_TCP_SYN | RST_TCP_FIN | RST_TCP_RST)))
		return;
	ret = rst_account(cnt, &pk, rc->ifindex, rc->dir);
	/* Every RST leaving, event or not: its origin (bpf/causes.bpf.h). */
	if (rc->hook == RST_HOOK_TC_EGRESS && (pk.flags & RST_TCP_RST))
		causes_egress(ctx, &pk);
	if (ret) {
		if (rc->hook == RST_HOOK_XDP)
			ret = emit_xdp(ctx, &pk, rc->ifindex, wire_len);
		else
			ret = emit_skb(ctx, &pk, rc->ifindex, wire_len, rc->hook << 8 | rc->dir);
		ev_outcome(cnt, pk.flags, ret ? RST_C_EV_SENT : RST_C_EV_RINGFULL,
			   ret ? RST_CE_SENT : RST_CE_RINGFULL);
	}
	/*
	 * Every RST received awaits the stack's verdict, event or not
	 * (fate.bpf.h); only an event's verdict is kept for its reader.
	 */
	if (rc->dir == RST_DIR_IN && (pk.flags & RST_TCP_RST))
		fate_pending(&pk, rc->ifindex, ret);
}

SEC("xdp.frags")
int rst_xdp(struct xdp_md *ctx)
{
	struct rst_ctx rc = {
		.data = (void *)(long)ctx->data,
		.data_end = (void *)(long)ctx->data_end,
		.fast_len = ctx->data_end - ctx->data,
		.ifindex = ctx->ingress_ifindex,
		.hook = RST_HOOK_XDP,
		.dir = RST_DIR_IN,
	};

	rst_offline_clock(ctx);
	handle(ctx, &rc);
	return XDP_PASS;
}

static __always_inline int handle_skb(struct __sk_buff *skb, __u8 hook, __u8 dir)
{
	struct rst_ctx rc = {
		.data = (void *)(long)skb->data,
		.data_end = (void *)(long)skb->data_end,
		.wire_len = skb->len,
		.fast_len = skb->len,
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

#ifndef RST_VMLINUX_FALLBACK_H
/* The stack's verdicts on RSTs received and the sockets' owners (after causes.bpf.h's reply_key). */
#include "fate_trace.bpf.h"
/* The one kfree_skb program: the causes' and the fates' halves. */
#include "kfree.bpf.h"
#endif /* RST_VMLINUX_FALLBACK_H */
