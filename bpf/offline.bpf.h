/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The clock of `rsttrace -r FILE`: a capture replayed through the XDP
 * program with BPF_PROG_TEST_RUN must age its flows, hosts, budgets and
 * buckets by the capture's time, not by the time of the replay (a
 * 1-second capture replays in milliseconds, an hour's in seconds).
 * Userspace puts the packet's timestamp (CLOCK_MONOTONIC-like ns, __u64,
 * native byte order) in 8 bytes of XDP metadata in front of the frame;
 * the program keeps it in rst_offline_ns and the coarse clock reads it.
 *
 * rst_offline is rodata: for a live load it is 0 and the verifier prunes
 * every branch below, so the datapath pays nothing.
 */
#ifndef RST_OFFLINE_BPF_H
#define RST_OFFLINE_BPF_H

const volatile __u8 rst_offline = 0;

/* The current packet's capture time; test_run runs one packet at a time. */
__u64 rst_offline_ns = 0;

/* XDP entry: take the capture time from the metadata userspace put there. */
static __always_inline void rst_offline_clock(struct xdp_md *ctx)
{
	void *meta = (void *)(long)ctx->data_meta;
	void *data = (void *)(long)ctx->data;

	if (!rst_offline)
		return;
	if (meta + sizeof(__u64) <= data)
		rst_offline_ns = *(__u64 *)meta;
}

/* bpf_ktime_get_coarse_ns(), or the capture's time when replaying one. */
static __always_inline __u64 rst_clock_coarse(void)
{
	if (rst_offline)
		return rst_offline_ns;
	return bpf_ktime_get_coarse_ns();
}

/*
 * Whether a FIN or RST looks for its flow. Live, only when its host line
 * says this CPU made a flow with that host (a spoofed RST costs no
 * lookup): the host of a packet is its peer, and a flow's SYN and its
 * RST share it, whichever side sent each. A capture runs every packet as
 * ingress, where the host is the sender: the reply's sender never made
 * a flow, so under -r every FIN and RST looks.
 */
static __always_inline int rst_offline_known(int known)
{
	if (rst_offline)
		return 1;
	return known;
}

#endif
