// SPDX-License-Identifier: GPL-2.0
/*
 * rsttrace demo: two network namespaces joined by a veth pair, rsttrace
 * attached to the server end (XDP in, TC out), real resets between them
 * (connection refused on IPv4 and IPv6, an abortive close by each side),
 * the events printed live, then a per-host summary from the kernel's own
 * maps. Everything it made is removed on the way out, signals included.
 * Nothing in the caller's network namespace is touched.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "commands.h"
#include "counters.h"
#include "log.h"
#include "mapread.h"
#include "privs.h"
#include "netns.h"
#include "output.h"
#include "tcpdump.h"
#include "tracing.h"
#include "util.h"
#include "rsttrace.skel.h"

#define DEMO_PORT_OPEN	 8080
#define DEMO_PORT_CLOSED 9

static volatile sig_atomic_t demo_stop;

static void demo_signal(int sig)
{
	(void)sig;
	demo_stop = 1;
}

struct demo {
	struct netns_pair np;
	struct output out; /* the same text lines as watch -v */
	__s64 mono_to_real;
	int listen4, listen6;
	volatile int client_done;
	int events;
	int reasons_fd; /* -1 without kernel reasons */
};

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int make_addr(int family, const char *ip, int port, struct sockaddr_storage *ss,
		     socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		*len = sizeof(*s);
		return inet_pton(AF_INET, ip, &s->sin_addr) == 1 ? 0 : -EINVAL;
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	*len = sizeof(*s6);
	return inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1 ? 0 : -EINVAL;
}

static int tcp_connect(int family, const char *ip, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if (make_addr(family, ip, port, &ss, &len))
		return -EINVAL;
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int tcp_listen(int family, const char *ip, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	if (make_addr(family, ip, port, &ss, &len))
		return -EINVAL;
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 16)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* close() with SO_LINGER {1, 0}: the kernel sends RST instead of FIN. */
static void abort_close(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/*
 * The client, in the client namespace: each step is one kind of reset.
 * The server side of the abortive closes runs here too, through the
 * listening sockets made in the server namespace (a socket keeps the
 * namespace it was made in).
 */
static void *client_main(void *arg)
{
	struct demo *d = arg;
	const char *srv4 = d->np.addr4[0], *srv6 = d->np.addr6[0];
	char buf[16];
	int fd, a;

	if (netns_enter(d->np.ns[1])) {
		pr_warn("demo: entering %s: %s", d->np.ns[1], strerror(errno));
		d->client_done = 1;
		return NULL;
	}
	/* 1. Connection refused, IPv4 and IPv6: the server answers SYN with RST-ACK. */
	fd = tcp_connect(AF_INET, srv4, DEMO_PORT_CLOSED);
	if (fd >= 0)
		close(fd);
	sleep_ms(150);
	fd = tcp_connect(AF_INET6, srv6, DEMO_PORT_CLOSED);
	if (fd >= 0)
		close(fd);
	sleep_ms(150);

	/* 2. The server aborts mid-connection (SO_LINGER 0): RST from the server. */
	fd = tcp_connect(AF_INET, srv4, DEMO_PORT_OPEN);
	if (fd >= 0) {
		if (write(fd, "hello\n", 6) < 0)
			pr_debug("demo: write: %s", strerror(errno));
		a = accept(d->listen4, NULL, NULL);
		if (a >= 0) {
			if (read(a, buf, sizeof(buf)) < 0)
				pr_debug("demo: read: %s", strerror(errno));
			abort_close(a);
		}
		close(fd);
	}
	sleep_ms(150);

	/* 3. Data to a closed socket: the server closes (FIN), the client writes. */
	fd = tcp_connect(AF_INET, srv4, DEMO_PORT_OPEN);
	if (fd >= 0) {
		a = accept(d->listen4, NULL, NULL);
		if (a >= 0)
			close(a);
		sleep_ms(50);
		if (write(fd, "late\n", 5) < 0)
			pr_debug("demo: write to a closed peer: %s", strerror(errno));
		sleep_ms(50);
		close(fd);
	}
	sleep_ms(150);

	/* 4. The client aborts over IPv6: the RST comes in to the server. */
	fd = tcp_connect(AF_INET6, srv6, DEMO_PORT_OPEN);
	if (fd >= 0) {
		a = accept(d->listen6, NULL, NULL);
		abort_close(fd);
		if (a >= 0)
			close(a);
	}
	sleep_ms(300);
	d->client_done = 1;
	return NULL;
}

static int demo_event(void *ctx, void *data, size_t size)
{
	struct demo *d = ctx;
	struct rst_event e;
	struct timespec wall;
	__u64 ns;

	if (!rst_event_from_record(data, size, &e))
		return 0;
	if ((const void *)&e != data && size == sizeof(e))
		e = *(const struct rst_event *)data;
	/* An active reset's kernel reason arrives after its event (tracing.h). */
	tracing_join(d->reasons_fd, &e);
	ns = e.ts_ns + d->mono_to_real;
	wall.tv_sec = ns / 1000000000ULL;
	wall.tv_nsec = ns % 1000000000ULL;
	if (output_event(&d->out, &e, d->np.veth[0], &wall) == 0)
		d->events++;
	return 0;
}

static void print_hosts(int hosts_fd)
{
	char addr[INET6_ADDRSTRLEN];
	struct map_dump d = {};
	size_t i;

	printf("\n%-26s %7s %7s %7s %7s %7s %7s\n", "host", "RST in", "RST out", "SYN in",
	       "SYN out", "FIN in", "FIN out");
	if (hosts_dump_read(hosts_fd, &d))
		return;
	for (i = 0; i < d.n; i++) {
		const struct rst_host_key *k = map_dump_key(&d, i);
		const struct rst_host_val *v = map_dump_val(&d, i);

		inet_ntop(k->family == AF_INET ? AF_INET : AF_INET6, k->addr, addr, sizeof(addr));
		printf("%-26s %7llu %7llu %7llu %7llu %7llu %7llu\n", addr,
		       (unsigned long long)v->rst_in, (unsigned long long)v->rst_out,
		       (unsigned long long)v->syn_in, (unsigned long long)v->syn_out,
		       (unsigned long long)v->fin_in, (unsigned long long)v->fin_out);
	}
	map_dump_free(&d);
}

int cmd_demo(int argc, char **argv)
{
	struct demo d = { .listen4 = -1, .listen6 = -1, .reasons_fd = -1 };
	struct rsttrace *skel = NULL;
	struct ring_buffer *rb = NULL;
	struct rst_link link;
	struct rst_progs progs;
	struct rst_opts o;
	struct rst_totals t;
	struct output_opts oo;
	struct fmt_opts fo = {};
	struct sigaction sa = {};
	pthread_t client;
	char tag[16];
	int orig_ns = -1, started = 0, ret = EXIT_RUNTIME, trace_fd = -1;
	__u32 ifindex;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: rsttrace demo [-v]\n");
		return EXIT_OK;
	}
	if (argc > 1 && !strcmp(argv[1], "-v"))
		log_set_level(LOG_DEBUG);
	else if (argc > 1) {
		pr_warn("demo: unknown option '%s'", argv[1]);
		return EXIT_USAGE;
	}
	if (check_privileges(PRIV_LOAD | PRIV_SYS_ADMIN))
		return EXIT_RUNTIME;
	log_setup_libbpf();

	sa.sa_handler = demo_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	/* Before the first byte on stdout: output_open() sets its buffering. */
	output_opts_default(&oo);
	fo.verbose = 1;
	if (output_open(&d.out, &oo, &fo, RST_SNAPLEN_DEFAULT, -1))
		return EXIT_RUNTIME;

	snprintf(tag, sizeof(tag), "%d", (int)getpid() % 100000);
	if (netns_pair_create(&d.np, tag)) {
		output_close(&d.out);
		return EXIT_RUNTIME;
	}
	printf("rsttrace demo: namespaces %s (%s, %s) and %s (%s, %s), veth %s <-> %s\n",
	       d.np.ns[0], d.np.addr4[0], d.np.addr6[0], d.np.ns[1], d.np.addr4[1], d.np.addr6[1],
	       d.np.veth[0], d.np.veth[1]);

	orig_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (orig_ns < 0 || netns_enter(d.np.ns[0])) {
		pr_warn("demo: entering %s: %s", d.np.ns[0], strerror(errno));
		goto cleanup;
	}
	ifindex = if_nametoindex(d.np.veth[0]);
	link_init(&link, d.np.veth[0], ifindex);

	opts_default(&o);
	o.rate_limit = 0;
	skel = loader_open_load(&o);
	if (!skel)
		goto cleanup;
	progs.xdp = bpf_program__fd(skel->progs.rst_xdp);
	progs.tc_in = bpf_program__fd(skel->progs.rst_tc_ingress);
	progs.tc_out = bpf_program__fd(skel->progs.rst_tc_egress);
	if (attach_iface(&link, &progs, &o))
		goto cleanup;
	/* The kernel's reasons for the resets the server sends, where it has them. */
	if (tracing_prog_fd(skel->obj) >= 0) {
		trace_fd = tracing_attach(tracing_prog_fd(skel->obj));
		if (trace_fd >= 0)
			d.reasons_fd = bpf_map__fd(skel->maps.reasons);
		else
			pr_debug("demo: attaching to tcp_send_reset: %s", strerror(-trace_fd));
	}
	printf("attached to %s in %s: XDP (%s) ingress, TC egress%s\n\n", link.ifname, d.np.ns[0],
	       xdp_mode_name(link.xdp_flags),
	       trace_fd >= 0 ? ", tcp_send_reset tracepoint (kernel reasons)" : "");

	d.listen4 = tcp_listen(AF_INET, d.np.addr4[0], DEMO_PORT_OPEN);
	d.listen6 = tcp_listen(AF_INET6, d.np.addr6[0], DEMO_PORT_OPEN);
	if (d.listen4 < 0 || d.listen6 < 0) {
		pr_warn("demo: listening on port %d failed", DEMO_PORT_OPEN);
		goto cleanup;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), demo_event, &d, NULL);
	if (!rb) {
		pr_warn("demo: ring buffer: %s", strerror(errno));
		goto cleanup;
	}
	d.mono_to_real = (__s64)now_real_ns() - (__s64)now_mono_ns();
	d.out.flows_fd = bpf_map__fd(skel->maps.flows);
	/* The client thread is created here, in the server namespace, then moves. */
	if (pthread_create(&client, NULL, client_main, &d)) {
		pr_warn("demo: cannot start the client thread");
		goto cleanup;
	}
	started = 1;
	while (!d.client_done && !demo_stop) {
		/* The kernel batches wakeups: a poll timeout must consume too. */
		if (ring_buffer__poll(rb, 100) == 0)
			ring_buffer__consume(rb);
		output_flush(&d.out);
	}
	ring_buffer__consume(rb);
	pthread_join(client, NULL);
	started = 0;

	if (!counters_read(bpf_map__fd(skel->maps.counters), &t, NULL, 0, NULL))
		printf("\n%d events; kernel counted %llu RST, %llu RST-ACK, %llu SYN, %llu FIN "
		       "on %s\n",
		       d.events, (unsigned long long)t.c[RST_C_RST],
		       (unsigned long long)t.c[RST_C_RSTACK], (unsigned long long)t.c[RST_C_SYN],
		       (unsigned long long)t.c[RST_C_FIN], link.ifname);
	print_hosts(bpf_map__fd(skel->maps.hosts));
	ret = demo_stop ? EXIT_RUNTIME : EXIT_OK;

cleanup:
	if (started)
		pthread_join(client, NULL);
	if (skel)
		detach_iface(&link);
	if (trace_fd >= 0)
		close(trace_fd);
	ring_buffer__free(rb);
	rsttrace__destroy(skel);
	if (d.listen4 >= 0)
		close(d.listen4);
	if (d.listen6 >= 0)
		close(d.listen6);
	if (orig_ns >= 0) {
		if (setns(orig_ns, CLONE_NEWNET))
			pr_warn("demo: returning to the original namespace: %s", strerror(errno));
		close(orig_ns);
	}
	netns_pair_destroy(&d.np);
	printf("\nremoved %s and %s\n", d.np.ns[0], d.np.ns[1]);
	output_close(&d.out);
	fflush(stdout);
	return ret;
}
