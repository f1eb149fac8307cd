// SPDX-License-Identifier: GPL-2.0
/*
 * The test_run driver of `rsttrace -r` (replay.h). One frame per
 * bpf(BPF_PROG_TEST_RUN): the program fills the counters and tables as on
 * a NIC; test_run's ingress interface is the network namespace's loopback
 * device (ctx_in gives no ifindex), so everything is counted under lo's
 * ifindex, which the caller names.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "loader.h"
#include "log.h"
#include "replay.h"
#include "session.h"

struct replay {
	struct rst_session s;
	int prog_fd;
	__u8 *buf; /* metadata + frame */
	__u64 runs;
	__u64 cut; /* frames longer than REPLAY_FRAME_MAX, run cut */
	int cpu;   /* the CPU the replay is pinned to; -1: not pinned */
};

/* Bytes of metadata before the frame: the clock (offline.bpf.h). */
#define REPLAY_META 8

/*
 * The tables are per CPU and a flow's FIN or RST looks for its line only
 * on the CPU it runs on: a replay that migrated would split flows.
 */
static int pin_cpu(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	if (cpu < 0)
		return -1;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		pr_info("replay: pinning to CPU %d: %s; flows may split across CPUs", cpu,
			strerror(errno));
		return -1;
	}
	return cpu;
}

struct replay *replay_open(const struct rst_opts *o, int (*fn)(void *, void *, size_t), void *ctx)
{
	struct replay *r = calloc(1, sizeof(*r));
	int err;

	if (!r || !(r->buf = calloc(1, REPLAY_META + REPLAY_FRAME_MAX))) {
		pr_warn("replay: %s", strerror(ENOMEM));
		free(r);
		errno = ENOMEM;
		return NULL;
	}
	session_init(&r->s);
	r->cpu = -1;
	err = session_load(&r->s, o);
	if (err)
		goto fail;
	r->prog_fd = r->s.progs.xdp;
	err = session_ring(&r->s, fn, ctx);
	if (err) {
		pr_warn("ring buffer: %s", strerror(-err));
		goto fail;
	}
	r->cpu = pin_cpu();
	pr_debug("replay: XDP program fd %d, pinned to CPU %d", r->prog_fd, r->cpu);
	return r;
fail:
	replay_close(r);
	errno = -err;
	return NULL;
}

int replay_frame(struct replay *r, const void *frame, __u32 caplen, __u32 wire_len, __u64 clock_ns)
{
	struct xdp_md md = {};
	__u32 len = wire_len > caplen ? wire_len : caplen;
	LIBBPF_OPTS(bpf_test_run_opts, t, .repeat = 1);
	int err;

	if (len > REPLAY_FRAME_MAX) {
		len = REPLAY_FRAME_MAX;
		r->cut++;
	}
	if (caplen > len)
		caplen = len;
	memcpy(r->buf, &clock_ns, REPLAY_META);
	memcpy(r->buf + REPLAY_META, frame, caplen);
	/* Not captured: zeros, so the IP lengths the parser checks hold as on the wire. */
	memset(r->buf + REPLAY_META + caplen, 0, len - caplen);
	/* The metadata is ctx.data bytes in front of the frame; data_end is the whole input. */
	md.data = REPLAY_META;
	md.data_end = REPLAY_META + len;
	t.data_in = r->buf;
	t.data_size_in = REPLAY_META + len;
	t.ctx_in = &md;
	t.ctx_size_in = sizeof(md);
	if (bpf_prog_test_run_opts(r->prog_fd, &t)) {
		err = -errno;
		pr_warn("replay: running a %u-byte frame through the XDP program: %s", len,
			strerror(-err));
		return err;
	}
	r->runs++;
	err = session_consume(&r->s);
	return err < 0 ? err : 0;
}

const struct rst_maps *replay_maps(const struct replay *r)
{
	return &r->s.maps;
}

__u64 replay_runs(const struct replay *r)
{
	return r->runs;
}

__u64 replay_cut(const struct replay *r)
{
	return r->cut;
}

void replay_close(struct replay *r)
{
	if (!r)
		return;
	session_close(&r->s);
	free(r->buf);
	free(r);
}
