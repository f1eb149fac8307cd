/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Replaying frames through the XDP program with BPF_PROG_TEST_RUN, for
 * `rsttrace -r FILE`: the object is loaded and attached nowhere, each
 * frame runs once, synchronously, through the very parser, counters,
 * host and flow tables and event decision that a live watch uses, and
 * the events it wrote are taken from the ring before the next frame runs,
 * so the caller knows which frame each event came from.
 *
 * The program's clock is the caller's (8 bytes of XDP metadata, see
 * bpf/offline.bpf.h): flows and hosts age by capture time.
 */
#ifndef RST_REPLAY_H
#define RST_REPLAY_H

#include <stddef.h>
#include <linux/types.h>

/*
 * Opaque: its users read captures with libpcap, whose <pcap/bpf.h> and the
 * kernel's <linux/bpf.h> (libbpf) both define struct bpf_insn.
 */
struct replay;
struct rst_opts;
struct rst_maps;

/*
 * The largest frame a replay runs: test_run takes an xdp.frags program's
 * frame into page fragments beyond the linear part; GRO'd captures on a
 * veth reach 64 KiB. Longer frames run cut to this (and then most likely
 * count as malformed, as a live NIC never delivers them).
 */
#define REPLAY_FRAME_MAX 65536

/*
 * Load (o->offline set by the caller), pin this thread to one CPU so the
 * per-CPU tables see every packet of a flow, and open the ring to fn(ctx).
 * The replay, or NULL (errno set) after printing why.
 */
struct replay *replay_open(const struct rst_opts *o, int (*fn)(void *, void *, size_t), void *ctx);

/*
 * Run one frame: caplen bytes captured of a wire_len-byte frame, the rest
 * run as zeros (a capture with a short snaplen still has its real IP
 * lengths), at clock_ns on the program's clock. Events it wrote go to fn
 * before this returns. 0 or -errno (printed).
 */
int replay_frame(struct replay *r, const void *frame, __u32 caplen, __u32 wire_len, __u64 clock_ns);

/* The loaded object's maps (borrowed: they go with the replay). */
const struct rst_maps *replay_maps(const struct replay *r);
/* Frames run, and of those run cut to REPLAY_FRAME_MAX. */
__u64 replay_runs(const struct replay *r);
__u64 replay_cut(const struct replay *r);

/* Unload and free; NULL is fine. */
void replay_close(struct replay *r);

#endif
