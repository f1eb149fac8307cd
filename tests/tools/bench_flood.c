// SPDX-License-Identifier: GPL-2.0
/*
 * bench_flood: the reset-flood generator of `make bench`. Sends exactly
 * COUNT prebuilt Ethernet frames out of IFACE with AF_PACKET + sendmmsg:
 * every RST_EVERY-th frame is a TCP RST (RST and RST-ACK alternating) from
 * one of SOURCES addresses (172.16.0.0 on), the others TCP data (ACK|PSH,
 * 64 bytes) on one of 64 flows. Frames go to DST_MAC: a MAC the receiver
 * does not own makes them "other host" frames, seen by every capture hook
 * and then dropped by IP, so that nothing answers and no traffic but ours
 * crosses the link.
 *
 *   bench_flood -i IFACE -d DST_MAC -n COUNT [-s SOURCES] [-r RST_EVERY]
 *               [-f rst|syn] [-b BATCH] [-p PPS] [-t TIMEOUT_SEC]
 *
 * -f syn makes the control frames SYNs (a spoofed SYN flood) instead of
 * RSTs; -r 1 makes every frame one, -s COUNT every frame's source new.
 *
 * Bounded by COUNT and by TIMEOUT_SEC (default 60). Prints one JSON object:
 * frames sent, RSTs among them, seconds, and this process's CPU time
 * (which includes the receive side: veth delivers in the sender's softirq).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pkt.h"
#include "util.h"

#define FRAME_LEN  128
#define BATCH_MAX  1024
#define DATA_FLOWS 64

static __u8 *pool;  /* n_pool frames of FRAME_LEN bytes */
static __u32 *plen; /* their lengths */
static __u8 *prst;  /* whether each is an RST */
static __u32 n_pool;
static int ctl_syn; /* control frames are SYNs, not RST / RST-ACK */

/* One Ethernet/IPv4/TCP frame with valid checksums; returns its length. */
static __u32 frame(__u8 *b, const __u8 *dmac, const __u8 *smac, __u32 saddr, __u32 daddr,
		   __u16 sport, __u16 dport, __u32 seq, __u8 flags, __u32 payload)
{
	__u8 src[4], dst[4];
	struct pkt p;
	__u32 ip, th;

	pkt_put32(src, saddr);
	pkt_put32(dst, daddr);
	memset(b, 0, FRAME_LEN);
	pkt_init(&p, b, FRAME_LEN);
	pkt_eth(&p, dmac, smac);
	pkt_ethertype(&p, ETHERTYPE_IP);
	ip = pkt_ip4(&p, &(struct pkt_ip4){ .tot_len = 20 + 20 + payload,
					    .id = seq & 0xffff,
					    .frag_off = 0x4000,
					    .ttl = 64,
					    .proto = IPPROTO_TCP,
					    .saddr = src,
					    .daddr = dst });
	th = pkt_tcp(&p, &(struct pkt_tcp){ .sport = sport,
					    .dport = dport,
					    .seq = seq,
					    .ack = flags & 0x10 ? seq ^ 0x5a5a5a5a : 0,
					    .flags = flags,
					    .win = flags & 0x04 ? 0 : 502 });
	pkt_text(&p, payload);
	pkt_ip4_csum(b + ip);
	pkt_tcp_csum(b + th, p.len - th, src, dst, 4);
	return p.len;
}

/* The pool: rst_every * sources frames, so every source sends RSTs at the same pace. */
static int build_pool(const __u8 *dmac, __u32 sources, __u32 rst_every)
{
	static const __u8 smac[6] = { 0x02, 0xbe, 0x4c, 0, 0, 0x01 };
	__u32 i, r = 0;

	n_pool = sources * rst_every;
	pool = malloc((size_t)n_pool * FRAME_LEN);
	plen = malloc((size_t)n_pool * sizeof(*plen));
	prst = malloc(n_pool);
	if (!pool || !plen || !prst)
		return -ENOMEM;
	for (i = 0; i < n_pool; i++) {
		__u8 *b = pool + (size_t)i * FRAME_LEN;

		prst[i] = i % rst_every == rst_every - 1;
		if (prst[i]) {
			/* RST and RST-ACK in turn, each source in turn. */
			plen[i] = frame(b, dmac, smac, 0xac100000 + r, 0x0a4d0002,
					20000 + r % 40000, 443, 0x10000000 + i,
					ctl_syn ? 0x02
					: r & 1 ? 0x14
						: 0x04,
					0);
			r++;
		} else {
			plen[i] = frame(b, dmac, smac, 0x0a4d0001, 0x0a4d0002,
					30000 + i % DATA_FLOWS, 443, 0x20000000 + i * 64, 0x18, 64);
		}
	}
	return 0;
}

static int parse_mac(const char *s, __u8 *mac)
{
	unsigned int m[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		if (m[i] > 255)
			return -EINVAL;
		mac[i] = m[i];
	}
	return 0;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* This thread's CPU time in ns, exact (the scheduler's sum_exec_runtime). */
static __u64 self_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_flood -i IFACE -d DST_MAC -n COUNT [-s SOURCES] "
			"[-r RST_EVERY] [-f rst|syn] [-b BATCH] [-p PPS] [-t TIMEOUT_SEC]\n");
}

int main(int argc, char **argv)
{
	static struct mmsghdr msgs[BATCH_MAX];
	static struct iovec iov[BATCH_MAX];
	const char *ifname = NULL, *mac = NULL;
	__u64 count = 0, sent = 0, rsts = 0, cpu0, cpu1, retries = 0;
	__u32 sources = 10000, rst_every = 10, batch = 64, pps = 0, timeout = 60;
	struct sockaddr_ll sll = {};
	double t0, t1, deadline;
	__u32 pos = 0, i;
	int opt, fd, one = 1, sndbuf = 4 << 20;
	__u8 dmac[6];

	while ((opt = getopt(argc, argv, "i:d:n:s:r:f:b:p:t:")) != -1) {
		switch (opt) {
		case 'f':
			if (strcmp(optarg, "rst") && strcmp(optarg, "syn")) {
				fprintf(stderr,
					"bench_flood: invalid -f '%s': expected rst or syn\n",
					optarg);
				return 2;
			}
			ctl_syn = !strcmp(optarg, "syn");
			break;
		case 'i':
			ifname = optarg;
			break;
		case 'd':
			mac = optarg;
			break;
		case 'n':
			if (parse_u64("-n", optarg, 1, 1000000000, &count))
				return 2;
			break;
		case 's':
			if (parse_u32("-s", optarg, 1, 1000000, &sources))
				return 2;
			break;
		case 'r':
			if (parse_u32("-r", optarg, 1, 1000, &rst_every))
				return 2;
			break;
		case 'b':
			if (parse_u32("-b", optarg, 1, BATCH_MAX, &batch))
				return 2;
			break;
		case 'p':
			if (parse_u32("-p", optarg, 0, 100000000, &pps))
				return 2;
			break;
		case 't':
			if (parse_u32("-t", optarg, 1, 3600, &timeout))
				return 2;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (!ifname || !mac || !count || optind != argc) {
		usage();
		return 2;
	}
	if (parse_mac(mac, dmac)) {
		fprintf(stderr, "bench_flood: invalid -d '%s': expected a MAC address\n", mac);
		return 2;
	}
	if (build_pool(dmac, sources, rst_every)) {
		fprintf(stderr, "bench_flood: out of memory for %u frames\n", sources * rst_every);
		return 1;
	}
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "bench_flood: AF_PACKET socket: %s\n", strerror(errno));
		return 1;
	}
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = if_nametoindex(ifname);
	if (!sll.sll_ifindex) {
		fprintf(stderr, "bench_flood: interface %s: %s\n", ifname, strerror(errno));
		return 1;
	}
	/* Straight to the driver: no qdisc between us and the veth. */
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		fprintf(stderr, "bench_flood: bind to %s: %s\n", ifname, strerror(errno));
		return 1;
	}
	for (i = 0; i < BATCH_MAX; i++) {
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	cpu0 = self_cpu_ns();
	t0 = mono_s();
	deadline = t0 + timeout;
	while (sent < count) {
		__u32 n = count - sent < batch ? count - sent : batch;
		int r;

		for (i = 0; i < n; i++) {
			__u32 k = (pos + i) % n_pool;

			iov[i].iov_base = pool + (size_t)k * FRAME_LEN;
			iov[i].iov_len = plen[k];
		}
		r = sendmmsg(fd, msgs, n, 0);
		if (r < 0) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
				retries++;
				if (mono_s() > deadline)
					break;
				continue;
			}
			fprintf(stderr, "bench_flood: sendmmsg: %s\n", strerror(errno));
			break;
		}
		for (i = 0; i < (__u32)r; i++)
			rsts += prst[(pos + i) % n_pool];
		pos = (pos + r) % n_pool;
		sent += r;
		if (pps) {
			/* Pace: wait until the schedule catches up with what was sent. */
			while (mono_s() - t0 < (double)sent / pps && mono_s() < deadline)
				;
		}
		if (mono_s() > deadline)
			break;
	}
	t1 = mono_s();
	cpu1 = self_cpu_ns();
	printf("{\"sent\":%llu,\"rst_sent\":%llu,\"data_sent\":%llu,\"requested\":%llu,"
	       "\"sources\":%u,\"seconds\":%.6f,\"sender_cpu_ns\":%llu,\"retries\":%llu}\n",
	       (unsigned long long)sent, (unsigned long long)rsts,
	       (unsigned long long)(sent - rsts), (unsigned long long)count, sources, t1 - t0,
	       (unsigned long long)(cpu1 - cpu0), (unsigned long long)retries);
	close(fd);
	return sent == count ? 0 : 1;
}
