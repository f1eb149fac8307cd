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
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int main(int argc, char **argv)
{
	const char *sns = NULL, *cns = NULL, *mode, *addr;
	struct sockaddr_storage ss;
	socklen_t sl;
	int opt, port, count, i, lfd = -1, one = 1, done = 0;
	char buf[64];

	while ((opt = getopt(argc, argv, "s:c:")) != -1) {
		if (opt == 's')
			sns = optarg;
		else if (opt == 'c')
			cns = optarg;
		else
			return 2;
	}
	if (argc - optind != 4) {
		fprintf(stderr, "usage: rstgen [-s NS] [-c NS] refused|abort-server|abort-client|"
				"data-closed ADDR PORT COUNT\n");
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
