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
