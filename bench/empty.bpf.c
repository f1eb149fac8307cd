// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Reference programs for bench_prog: an empty XDP and an empty TC program
 * (the floor every per-packet cost is compared with), and two drivers that
 * give each BPF_PROG_TEST_RUN repetition a new IPv4 source address, then
 * tail-call the program under test. BPF_PROG_TEST_RUN repeats one frame;
 * the drivers are how "a SYN that creates a new flow" is measured a
 * million times in one run. The driver's own cost is measured by
 * tail-calling the empty program, and subtracted.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Slot 0: the program a driver tail-calls (rst_xdp/rst_tc_* or the empty one). */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} xdp_target SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} tc_target SEC(".maps");

/* Next source address; bench_prog sets the start (IPv4, host order). */
__u32 next_saddr;

/* "xdp.frags" like rst_xdp: a tail call needs both sides to agree on frags. */
SEC("xdp.frags")
int xdp_empty(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

SEC("tc")
int tc_empty(struct __sk_buff *skb)
{
	(void)skb;
	return -1; /* TC_ACT_UNSPEC, as rsttrace returns */
}

/* Rewrite the IPv4 source of an untagged Ethernet frame; 0 if it has none. */
static __always_inline int new_source(void *data, void *data_end)
{
	struct iphdr *ip = data + sizeof(struct ethhdr);

	if ((void *)(ip + 1) > data_end)
		return 0;
	ip->saddr = bpf_htonl(next_saddr);
	next_saddr++;
	return 1;
}

SEC("xdp.frags")
int xdp_drive(struct xdp_md *ctx)
{
	if (new_source((void *)(long)ctx->data, (void *)(long)ctx->data_end))
		bpf_tail_call(ctx, &xdp_target, 0);
	return XDP_PASS;
}

SEC("tc")
int tc_drive(struct __sk_buff *skb)
{
	if (new_source((void *)(long)skb->data, (void *)(long)skb->data_end))
		bpf_tail_call(skb, &tc_target, 0);
	return -1;
}

/*
 * Floors: the least work each measured class needs, written without any
 * of rsttrace's decisions, so that a target can be judged against what
 * the machine allows at all (docs/benchmarks.md). Each is timed like
 * rsttrace, in the same repetition.
 *
 * - data: a per-CPU counter, one bound check, the IPv4 and TCP tests and
 *   a second counter (rsttrace's packets and TCP/IPv4 adds);
 * - new source: the same parse, a hash of the source, one 64-byte line of
 *   a per-CPU table the size of rsttrace's host table written;
 * - event: the parse, one fine clock read, a 144-byte ring record (the
 *   size rsttrace gives a bare RST) with the frame's first 64 bytes,
 *   submitted without a wakeup.
 */
#define FLOOR_ETH_P_IP 0x0800
#define FLOOR_LINES    16384 /* rsttrace's default host lines (include/rsttrace.h) */
#define FLOOR_REC      144   /* RST_EVENT_SIZE_FOR(64): an 80-byte header and 64 bytes */

struct floor_line {
	__u32 addr;
	__u32 n;
	__u32 last;
	__u8 pad[52];
};

/* [0] every frame, [1] IPv4 TCP: the two adds rsttrace makes for a data packet. */
struct floor_counts {
	__u64 n[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct floor_counts);
} floor_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FLOOR_LINES);
	__type(key, __u32);
	__type(value, struct floor_line);
} floor_lines SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 32 << 20);
} floor_ring SEC(".maps");

/* The IPv4 TCP header of an untagged frame, or NULL. */
static __always_inline struct iphdr *floor_ip(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);

	if (data + sizeof(*eth) + 40 > data_end || eth->h_proto != bpf_htons(FLOOR_ETH_P_IP) ||
	    ip->protocol != IPPROTO_TCP)
		return NULL;
	return ip;
}

static __always_inline void floor_data(void *data, void *data_end)
{
	struct floor_counts *c;
	__u32 zero = 0;

	c = bpf_map_lookup_elem(&floor_count, &zero);
	if (!c)
		return;
	c->n[0]++;
	if (floor_ip(data, data_end))
		c->n[1]++;
}

static __always_inline void floor_newsrc(void *data, void *data_end)
{
	struct iphdr *ip = floor_ip(data, data_end);
	struct floor_line *l;
	__u32 key;

	if (!ip)
		return;
	key = (ip->saddr * 0x9e3779b1U) >> 18; /* 14 bits: FLOOR_LINES */
	l = bpf_map_lookup_elem(&floor_lines, &key);
	if (!l)
		return;
	if (l->addr != ip->saddr) {
		l->addr = ip->saddr;
		l->n = 0;
	}
	l->n++;
	l->last = key;
}

static __always_inline void floor_event(void *ctx, int xdp, void *data, void *data_end)
{
	struct iphdr *ip = floor_ip(data, data_end);
	__u8 *rec;

	if (!ip)
		return;
	rec = bpf_ringbuf_reserve(&floor_ring, FLOOR_REC, 0);
	if (!rec)
		return;
	*(__u64 *)rec = bpf_ktime_get_ns();
	*(__u32 *)(rec + 8) = ip->saddr;
	*(__u32 *)(rec + 24) = ip->daddr;
	if (xdp)
		bpf_xdp_load_bytes(ctx, 0, rec + 80, 64);
	else
		bpf_skb_load_bytes(ctx, 0, rec + 80, 64);
	bpf_ringbuf_submit(rec, BPF_RB_NO_WAKEUP);
}

#define FLOOR_PROGS(what, ...)                                                                     \
	SEC("xdp.frags")                                                                           \
	int xdp_floor_##what(struct xdp_md *ctx)                                                   \
	{                                                                                          \
		void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;     \
		floor_##what(__VA_ARGS__);                                                         \
		return XDP_PASS;                                                                   \
	}                                                                                          \
	SEC("tc")                                                                                  \
	int tc_floor_##what(struct __sk_buff *ctx)                                                 \
	{                                                                                          \
		void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;     \
		floor_##what(__VA_ARGS__);                                                         \
		return -1;                                                                         \
	}

FLOOR_PROGS(data, data, data_end)
FLOOR_PROGS(newsrc, data, data_end)

SEC("xdp.frags")
int xdp_floor_event(struct xdp_md *ctx)
{
	floor_event(ctx, 1, (void *)(long)ctx->data, (void *)(long)ctx->data_end);
	return XDP_PASS;
}

SEC("tc")
int tc_floor_event(struct __sk_buff *ctx)
{
	floor_event(ctx, 0, (void *)(long)ctx->data, (void *)(long)ctx->data_end);
	return -1;
}
