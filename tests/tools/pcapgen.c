// SPDX-License-Identifier: GPL-2.0
/*
 * pcapgen: writes a synthetic Ethernet pcap for the `-r` benchmark (make
 * bench, section 7): COUNT IPv4 TCP packets, 1 µs apart, over FLOWS
 * connections between 10.1.0.0/16 clients and 10.2.0.1:443: per flow a SYN,
 * a SYN-ACK, data segments of 100 payload bytes, and every tenth packet an
 * RST from the client (the mix of bench_flood: 10 % RSTs). Built with the
 * shared packet builder (tests/lib/pkt.h).
 *
 *   pcapgen COUNT FLOWS FILE
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "pkt.h"
#include "rsttrace.h"

#define PAYLOAD 100

struct pcap_file_hdr {
	__u32 magic;
	__u16 major, minor;
	__s32 zone;
	__u32 sigfigs, snaplen, linktype;
};

struct pcap_rec_hdr {
	__u32 sec, usec, caplen, len;
};

static int u64_arg(const char *s, __u64 *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || end == s || *end || !*v ? -1 : 0;
}

/* One frame of flow f: kind 0 SYN, 1 SYN-ACK, 2 data, 3 RST (client to server but SYN-ACK). */
static __u32 frame(__u8 *buf, __u32 cap, __u64 f, int kind, __u32 seq)
{
	static const __u8 mac_c[6] = { 2, 0, 0, 0, 0, 1 }, mac_s[6] = { 2, 0, 0, 0, 0, 2 };
	__u8 cli[4] = { 10, 1, (__u8)(f >> 8), (__u8)f }, srv[4] = { 10, 2, 0, 1 };
	int to_srv = kind != 1;
	__u32 pay = kind == 2 ? PAYLOAD : 0, ip, th;
	struct pkt p;
	struct pkt_ip4 h = {
		.tot_len = (__u16)(20 + 20 + pay),
		.id = (__u16)seq,
		.ttl = 64,
		.proto = 6,
		.saddr = to_srv ? cli : srv,
		.daddr = to_srv ? srv : cli,
	};
	struct pkt_tcp t = {
		.sport = to_srv ? (__u16)(10000 + (f >> 16)) : 443,
		.dport = to_srv ? 443 : (__u16)(10000 + (f >> 16)),
		.seq = seq,
		.ack = kind ? seq + 1 : 0,
		.flags = kind == 0   ? RST_TCP_SYN
			 : kind == 1 ? RST_TCP_SYN | RST_TCP_ACK
			 : kind == 2 ? RST_TCP_ACK | RST_TCP_PSH
				     : RST_TCP_RST | RST_TCP_ACK,
		.win = kind == 3 ? 0 : 64240,
	};

	pkt_init(&p, buf, cap);
	pkt_eth(&p, to_srv ? mac_s : mac_c, to_srv ? mac_c : mac_s);
	pkt_ethertype(&p, 0x0800);
	ip = pkt_ip4(&p, &h);
	th = pkt_tcp(&p, &t);
	pkt_text(&p, pay);
	pkt_ip4_csum(buf + ip);
	pkt_tcp_csum(buf + th, 20 + pay, h.saddr, h.daddr, 4);
	return p.overflow ? 0 : p.len;
}

int main(int argc, char **argv)
{
	struct pcap_file_hdr fh = { 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1 };
	__u64 count, flows, i, t = 1700000000ULL * 1000000ULL;
	__u8 buf[256];
	FILE *out;

	if (argc != 4 || u64_arg(argv[1], &count) || u64_arg(argv[2], &flows) ||
	    flows > 65536ULL * 1000) {
		fprintf(stderr, "usage: pcapgen COUNT FLOWS FILE (FLOWS at most 65536000)\n");
		return 2;
	}
	out = fopen(argv[3], "w");
	if (!out) {
		fprintf(stderr, "pcapgen: %s: %s\n", argv[3], strerror(errno));
		return 1;
	}
	fwrite(&fh, sizeof(fh), 1, out);
	for (i = 0; i < count; i++, t++) {
		/* Packet i belongs to flow i % flows; its place in that flow picks the kind. */
		__u64 f = i % flows, n = i / flows;
		int kind = n == 0 ? 0 : n == 1 ? 1 : (i % 10 == 9) ? 3 : 2;
		__u32 len = frame(buf, sizeof(buf), f, kind, (__u32)(n * PAYLOAD));
		struct pcap_rec_hdr rh = { (__u32)(t / 1000000), (__u32)(t % 1000000), len, len };

		if (!len || fwrite(&rh, sizeof(rh), 1, out) != 1 || fwrite(buf, len, 1, out) != 1) {
			fprintf(stderr, "pcapgen: writing %s: %s\n", argv[3], strerror(errno));
			fclose(out);
			return 1;
		}
	}
	if (fclose(out)) {
		fprintf(stderr, "pcapgen: closing %s: %s\n", argv[3], strerror(errno));
		return 1;
	}
	return 0;
}
