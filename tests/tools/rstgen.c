// SPDX-License-Identifier: GPL-2.0
/*
 * rstgen: makes real TCP resets between two test namespaces, for the
 * integration tests and benchmarks. A socket keeps the network namespace
 * it was created in, so one process can hold the server side in one
 * namespace and the client side in the other. Every mode is bounded by
 * its COUNT and by socket timeouts.
 *
 *   rstgen [-s SERVER_NS] [-c CLIENT_NS] MODE ADDR PORT COUNT
 *
 *   refused       client connects to a closed port: RST-ACK from the server
 *   abort-server  server closes with SO_LINGER 0 after reading: RST from the server
 *   abort-client  client closes with SO_LINGER 0: RST from the client
 *   data-closed   server closes, client sends data: RST from the server
 *
 *   rstgen -c CLIENT_NS -i IFACE -m DST_MAC -a SRC_ADDR [-x EXT] [-p PAYLOAD] [-k CUT]
 *          raw-rst ADDR PORT COUNT
 *
 *   raw-rst       COUNT crafted RSTs (source port 40000, seq 1000000 + i, win 0)
 *                 from SRC_ADDR to ADDR, written whole as Ethernet frames on
 *                 IFACE with a packet socket: frames over a page leave with
 *                 only the Ethernet header in the linear part of the skb
 *                 (packet_snd()), the rest in frags. For IPv6, -x EXT bytes
 *                 (a multiple of 8) of destination options headers, at most
 *                 2048 bytes each, come before TCP; -p PAYLOAD bytes follow
 *                 the TCP header; -k CUT drops the last CUT bytes of the
 *                 frame, the IP length rewritten to end at the cut.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int enter_ns(const char *name)
{
	char path[256];
	int fd, err = 0;

	if (!name)
		return 0;
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET)) {
		fprintf(stderr, "rstgen: entering netns %s: %s\n", name, strerror(errno));
		err = -1;
	}
	if (fd >= 0)
		close(fd);
	return err;
}

static socklen_t sockaddr_of(const char *addr, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		return sizeof(*s4);
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		return sizeof(*s6);
	}
	return 0;
}

static int sock(int family)
{
	struct timeval tv = { .tv_sec = 3 };
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	return fd;
}

static void linger0_close(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static void pause_ms(int ms)
{
	struct timespec ts = { 0, ms * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- raw-rst: crafted frames through a packet socket ---- */

#define RAW_FRAME_MAX 9216 /* a 9000-byte MTU and the Ethernet header fit */
#define RAW_SPORT     40000
#define RAW_SEQ	      1000000

struct raw_opts {
	const char *ifname;
	const char *dst_mac;
	const char *src_addr;
	int ext, payload, cut;
};

static void put16(unsigned char *p, unsigned int v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(unsigned char *p, unsigned int v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static unsigned int csum_add(unsigned int sum, const unsigned char *p, unsigned int len)
{
	unsigned int i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (unsigned int)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (unsigned int)p[len - 1] << 8;
	return sum;
}

static unsigned short csum_fold(unsigned int sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/*
 * A destination options header of len bytes (a multiple of 8, 8..2048):
 * experimental options (type 0x1e: skip if unknown) of up to 255 data
 * bytes fill it, Pad1 the last byte if one is left over.
 */
static void write_dstopts(unsigned char *p, int len, unsigned char next)
{
	int pos = 2, rem;

	p[0] = next;
	p[1] = len / 8 - 1;
	while ((rem = len - pos) > 0) {
		if (rem == 1) {
			p[pos++] = 0; /* Pad1 */
			continue;
		}
		if (rem > 257)
			rem = 257;
		p[pos] = 0x1e;
		p[pos + 1] = rem - 2;
		memset(p + pos + 2, 0, rem - 2);
		pos += rem;
	}
}

/* One frame: Ethernet, IPv4 or IPv6 (+ destination options), TCP RST. Returns its length. */
static int build_rst(unsigned char *b, const unsigned char *dmac, const unsigned char *smac,
		     int family, const void *src, const void *dst, int port, int i,
		     const struct raw_opts *o)
{
	int alen = family == AF_INET ? 4 : 16, l3 = 14, l4, len, off, n;
	unsigned char *ip = b + l3, *th;
	unsigned int sum;

	memcpy(b, dmac, 6);
	memcpy(b + 6, smac, 6);
	if (family == AF_INET) {
		put16(b + 12, ETHERTYPE_IP);
		ip[0] = 0x45;
		put16(ip + 4, 0x1234 + i);
		put16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = IPPROTO_TCP;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		l4 = l3 + 20;
	} else {
		put16(b + 12, ETHERTYPE_IPV6);
		put32(ip, 0x60000000);
		ip[6] = o->ext ? IPPROTO_DSTOPTS : IPPROTO_TCP;
		ip[7] = 64;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
		for (off = l3 + 40; off < l3 + 40 + o->ext; off += n) {
			n = l3 + 40 + o->ext - off;
			if (n > 2048)
				n = 2048;
			write_dstopts(b + off, n,
				      off + n < l3 + 40 + o->ext ? IPPROTO_DSTOPTS : IPPROTO_TCP);
		}
		l4 = l3 + 40 + o->ext;
	}
	th = b + l4;
	memset(th, 0, 20);
	put16(th, RAW_SPORT);
	put16(th + 2, port);
	put32(th + 4, RAW_SEQ + i);
	th[12] = 5 << 4;
	th[13] = 0x04; /* RST */
	for (n = 0; n < o->payload; n++)
		th[20 + n] = 'a' + n % 26;
	len = l4 + 20 + o->payload;
	/* The pseudo-header, then the segment: a checksum tcpdump -vv would accept. */
	sum = csum_add(0, src, alen);
	sum = csum_add(sum, dst, alen);
	sum += IPPROTO_TCP + (len - l4);
	put16(th + 16, csum_fold(csum_add(sum, th, len - l4)));
	len -= o->cut;
	if (family == AF_INET) {
		put16(ip + 2, len - l3);
		/* The buffer is reused: the last frame's checksum must not count. */
		put16(ip + 10, 0);
		put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	} else {
		put16(ip + 4, len - l3 - 40);
	}
	return len;
}

static int parse_mac(const char *s, unsigned char *mac)
{
	unsigned int v[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (v[i] > 255)
			return -1;
		mac[i] = v[i];
	}
	return 0;
}

static int raw_rst(const char *cns, const struct raw_opts *o, const char *addr, int port, int count)
{
	static unsigned char frame[RAW_FRAME_MAX];
	unsigned char dmac[6], smac[6], src[16], dst[16];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct ifreq ifr = {};
	int family, fd, i, len, sent = 0, hdr;

	if (!o->ifname || !o->dst_mac || !o->src_addr || parse_mac(o->dst_mac, dmac) ||
	    strlen(o->ifname) >= IFNAMSIZ) {
		fprintf(stderr, "rstgen: raw-rst needs -i IFACE, -m DST_MAC and -a SRC_ADDR\n");
		return 2;
	}
	if (inet_pton(AF_INET, addr, dst) == 1 && inet_pton(AF_INET, o->src_addr, src) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, addr, dst) == 1 && inet_pton(AF_INET6, o->src_addr, src) == 1)
		family = AF_INET6;
	else
		family = 0;
	hdr = family == AF_INET ? 14 + 20 + 20 : 14 + 40 + 20;
	if (!family || o->ext < 0 || o->ext % 8 || (o->ext && family == AF_INET) ||
	    o->ext > 6 * 2048 || o->payload < 0 || hdr + o->ext + o->payload > RAW_FRAME_MAX ||
	    o->cut < 0 || o->cut > hdr + o->ext + o->payload - 14 - 20) {
		fprintf(stderr, "rstgen: bad raw-rst addresses, -x, -p or -k\n");
		return 2;
	}
	if (enter_ns(cns))
		return 1;
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "rstgen: packet socket: %s\n", strerror(errno));
		return 1;
	}
	strcpy(ifr.ifr_name, o->ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr)) {
		fprintf(stderr, "rstgen: %s: %s\n", o->ifname, strerror(errno));
		close(fd);
		return 1;
	}
	sll.sll_ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		fprintf(stderr, "rstgen: %s: hardware address: %s\n", o->ifname, strerror(errno));
		close(fd);
		return 1;
	}
	memcpy(smac, ifr.ifr_hwaddr.sa_data, 6);
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, dmac, 6);
	for (i = 0; i < count; i++) {
		len = build_rst(frame, dmac, smac, family, src, dst, port, i, o);
		if (sendto(fd, frame, len, 0, (struct sockaddr *)&sll, sizeof(sll)) == len)
			sent++;
		else
			fprintf(stderr, "rstgen: sending %d bytes on %s: %s\n", len, o->ifname,
				strerror(errno));
	}
	close(fd);
	printf("%d\n", sent);
	return sent == count ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *sns = NULL, *cns = NULL, *mode, *addr;
	struct raw_opts raw = {};
	struct sockaddr_storage ss;
	socklen_t sl;
	int opt, port, count, i, lfd = -1, one = 1, done = 0;
	char buf[64];

	while ((opt = getopt(argc, argv, "s:c:i:m:a:x:p:k:")) != -1) {
		if (opt == 's')
			sns = optarg;
		else if (opt == 'c')
			cns = optarg;
		else if (opt == 'i')
			raw.ifname = optarg;
		else if (opt == 'm')
			raw.dst_mac = optarg;
		else if (opt == 'a')
			raw.src_addr = optarg;
		else if (opt == 'x')
			raw.ext = atoi(optarg);
		else if (opt == 'p')
			raw.payload = atoi(optarg);
		else if (opt == 'k')
			raw.cut = atoi(optarg);
		else
			return 2;
	}
	if (argc - optind != 4) {
		fprintf(stderr, "usage: rstgen [-s NS] [-c NS] refused|abort-server|abort-client|"
				"data-closed ADDR PORT COUNT\n"
				"       rstgen -c NS -i IFACE -m DST_MAC -a SRC_ADDR [-x EXT] "
				"[-p PAYLOAD] [-k CUT] raw-rst ADDR PORT COUNT\n");
		return 2;
	}
	mode = argv[optind];
	addr = argv[optind + 1];
	port = atoi(argv[optind + 2]);
	count = atoi(argv[optind + 3]);
	sl = sockaddr_of(addr, port, &ss);
	if (!sl || port <= 0 || port > 65535 || count <= 0 || count > 100000) {
		fprintf(stderr, "rstgen: bad address, port or count\n");
		return 2;
	}
	if (!strcmp(mode, "raw-rst"))
		return raw_rst(cns, &raw, addr, port, count);
	if (strcmp(mode, "refused")) {
		/* The listener, in the server namespace. */
		if (enter_ns(sns))
			return 1;
		lfd = sock(ss.ss_family);
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (lfd < 0 || bind(lfd, (struct sockaddr *)&ss, sl) || listen(lfd, 64)) {
			fprintf(stderr, "rstgen: listen on %s port %d: %s\n", addr, port,
				strerror(errno));
			return 1;
		}
	}
	if (enter_ns(cns))
		return 1;
	for (i = 0; i < count; i++) {
		int c = sock(ss.ss_family), a = -1;

		if (c < 0)
			return 1;
		if (connect(c, (struct sockaddr *)&ss, sl)) {
			if (!strcmp(mode, "refused") && errno == ECONNREFUSED)
				done++;
			close(c);
			continue;
		}
		if (!strcmp(mode, "refused")) {
			close(c);
			continue;
		}
		a = accept(lfd, NULL, NULL);
		if (a < 0) {
			close(c);
			continue;
		}
		if (!strcmp(mode, "abort-server")) {
			if (write(c, "ping\n", 5) == 5 && read(a, buf, sizeof(buf)) > 0)
				done++;
			linger0_close(a);
			pause_ms(20);
			close(c);
		} else if (!strcmp(mode, "abort-client")) {
			linger0_close(c);
			pause_ms(20);
			close(a);
			done++;
		} else if (!strcmp(mode, "data-closed")) {
			close(a);
			pause_ms(20);
			/* The server socket is gone (FIN sent): data gets a RST. */
			if (write(c, "late\n", 5) == 5)
				done++;
			pause_ms(20);
			close(c);
		} else {
			fprintf(stderr, "rstgen: unknown mode %s\n", mode);
			return 2;
		}
	}
	if (lfd >= 0)
		close(lfd);
	printf("%d\n", done);
	return done == count ? 0 : 1;
}
