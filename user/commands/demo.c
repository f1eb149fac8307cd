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
#include "loader.h"
#include "log.h"
#include "mapread.h"
#include "options.h"
#include "privs.h"
#include "netns.h"
#include "output.h"
#include "session.h"
#include "tcpdump.h"
#include "tracing.h"
#include "util.h"

#define DEMO_PORT_OPEN	 8080
#define DEMO_PORT_CLOSED 9

static volatile sig_atomic_t demo_stop;

static void demo_signal(int sig)
{
	(void)sig;
	demo_stop = 1;
}

struct demo_cfg {
	int debug; /* -v: debug messages (the lines are always watch -v's) */
};

struct demo {
	struct netns_pair np;
	struct output out; /* the same text lines as watch -v */
	__s64 mono_to_real;
	int listen4, listen6;
	volatile int client_done;
	int events;
	int orig_ns;	      /* the caller's network namespace, to return to; -1: not left */
	int made_ns;	      /* the namespaces exist */
	struct rst_session s; /* skeleton, the link, tracing, ring (session.h) */
	struct rst_link link;
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

/* 2. The server aborts mid-connection (SO_LINGER 0): RST from the server. */
static void client_server_aborts(struct demo *d, const char *srv4)
{
	char buf[16];
	int fd, a;

	fd = tcp_connect(AF_INET, srv4, DEMO_PORT_OPEN);
	if (fd < 0)
		return;
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

/* 3. Data to a closed socket: the server closes (FIN), the client writes. */
static void client_late_write(struct demo *d, const char *srv4)
{
	int fd, a;

	fd = tcp_connect(AF_INET, srv4, DEMO_PORT_OPEN);
	if (fd < 0)
		return;
	a = accept(d->listen4, NULL, NULL);
	if (a >= 0)
		close(a);
	sleep_ms(50);
	if (write(fd, "late\n", 5) < 0)
		pr_debug("demo: write to a closed peer: %s", strerror(errno));
	sleep_ms(50);
	close(fd);
}

/* 4. The client aborts over IPv6: the RST comes in to the server. */
static void client_aborts(struct demo *d, const char *srv6)
{
	int fd, a;

	fd = tcp_connect(AF_INET6, srv6, DEMO_PORT_OPEN);
	if (fd < 0)
		return;
	a = accept(d->listen6, NULL, NULL);
	abort_close(fd);
	if (a >= 0)
		close(a);
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
	int fd;

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
	client_server_aborts(d, srv4);
	sleep_ms(150);
	client_late_write(d, srv4);
	sleep_ms(150);
	client_aborts(d, srv6);
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
	tracing_join(d->s.reasons_fd, &e);
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

static const struct opt_row demo_rows[] = {
	{ .short_opt = 'v',
	  .name = "verbose",
	  .type = OPT_FLAG,
	  .off = offsetof(struct demo_cfg, debug),
	  .help = "debug messages, as -dd" },
	{ 0 },
};

static const struct opt_cmd demo_cmd = {
	.name = "demo",
	.synopsis = "usage: rsttrace demo [-v]\n",
	.sets = {
		{ demo_rows, 0 },
		{ opt_common_rows, 0 },
	},
};

/* The namespaces, and this thread into the server's: 0 or -1 after printing why. */
static int demo_enter(struct demo *d)
{
	char tag[16];

	snprintf(tag, sizeof(tag), "%d", (int)getpid() % 100000);
	if (netns_pair_create(&d->np, tag))
		return -1;
	d->made_ns = 1;
	printf("rsttrace demo: namespaces %s (%s, %s) and %s (%s, %s), veth %s <-> %s\n",
	       d->np.ns[0], d->np.addr4[0], d->np.addr6[0], d->np.ns[1], d->np.addr4[1],
	       d->np.addr6[1], d->np.veth[0], d->np.veth[1]);
	d->orig_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (d->orig_ns < 0 || netns_enter(d->np.ns[0])) {
		pr_warn("demo: entering %s: %s", d->np.ns[0], strerror(errno));
		return -1;
	}
	link_init(&d->link, d->np.veth[0], if_nametoindex(d->np.veth[0]));
	return 0;
}

/* Load, attach to the server end, and the kernel's reasons where it has them. */
static int demo_attach(struct demo *d)
{
	struct rst_opts o;
	int err;

	opts_default(&o);
	o.rate_limit = 0;
	if (session_load(&d->s, &o))
		return -1;
	if (session_attach(&d->s, &d->link, &o))
		return -1;
	/* The kernel's reasons for the resets the server sends, where it has them. */
	err = session_trace(&d->s);
	if (err < 0)
		pr_debug("demo: attaching to tcp_send_reset: %s", strerror(-err));
	printf("attached to %s in %s: XDP (%s) ingress, TC egress%s\n\n", d->link.ifname,
	       d->np.ns[0], xdp_mode_name(d->link.xdp_flags),
	       d->s.trace_fd >= 0 ? ", tcp_send_reset tracepoint (kernel reasons)" : "");
	return 0;
}

/* The client's resets, printed as they come: 0, or -1 after printing why. */
static int demo_run(struct demo *d)
{
	pthread_t client;
	int err;

	d->listen4 = tcp_listen(AF_INET, d->np.addr4[0], DEMO_PORT_OPEN);
	d->listen6 = tcp_listen(AF_INET6, d->np.addr6[0], DEMO_PORT_OPEN);
	if (d->listen4 < 0 || d->listen6 < 0) {
		pr_warn("demo: listening on port %d failed", DEMO_PORT_OPEN);
		return -1;
	}
	err = session_ring(&d->s, demo_event, d);
	if (err) {
		pr_warn("demo: ring buffer: %s", strerror(-err));
		return -1;
	}
	d->mono_to_real = mono_to_real_offset();
	d->out.flows_fd = d->s.maps.flows;
	/* The client thread is created here, in the server namespace, then moves. */
	if (pthread_create(&client, NULL, client_main, d)) {
		pr_warn("demo: cannot start the client thread");
		return -1;
	}
	while (!d->client_done && !demo_stop) {
		/* The kernel batches wakeups: a poll timeout consumes too (session_poll). */
		session_poll(&d->s, 100);
		output_flush(&d->out);
	}
	session_consume(&d->s);
	pthread_join(client, NULL);
	return 0;
}

static void demo_report(struct demo *d)
{
	struct rst_totals t;

	if (!counters_read(d->s.maps.counters, &t, NULL, 0, NULL))
		printf("\n%d events; kernel counted %llu RST, %llu RST-ACK, %llu SYN, %llu FIN "
		       "on %s\n",
		       d->events, (unsigned long long)t.c[RST_C_RST],
		       (unsigned long long)t.c[RST_C_RSTACK], (unsigned long long)t.c[RST_C_SYN],
		       (unsigned long long)t.c[RST_C_FIN], d->link.ifname);
	print_hosts(d->s.maps.hosts);
}

/* Everything demo made goes, in the reverse order. */
static void demo_cleanup(struct demo *d)
{
	session_close(&d->s);
	if (d->listen4 >= 0)
		close(d->listen4);
	if (d->listen6 >= 0)
		close(d->listen6);
	if (d->orig_ns >= 0) {
		if (setns(d->orig_ns, CLONE_NEWNET))
			pr_warn("demo: returning to the original namespace: %s", strerror(errno));
		close(d->orig_ns);
	}
	if (d->made_ns) {
		netns_pair_destroy(&d->np);
		printf("\nremoved %s and %s\n", d->np.ns[0], d->np.ns[1]);
	}
	output_close(&d->out);
	fflush(stdout);
}

static int do_demo(const struct demo_cfg *c)
{
	struct demo d = { .listen4 = -1, .listen6 = -1, .orig_ns = -1 };
	struct output_opts oo;
	struct fmt_opts fo = {};
	struct sigaction sa = {};
	int ret = EXIT_RUNTIME;

	session_init(&d.s);
	if (c->debug && log_level < LOG_DEBUG)
		log_set_level(LOG_DEBUG);
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
	if (!demo_enter(&d) && !demo_attach(&d) && !demo_run(&d)) {
		demo_report(&d);
		ret = demo_stop ? EXIT_RUNTIME : EXIT_OK;
	}
	demo_cleanup(&d);
	return ret;
}

int cmd_demo(int argc, char **argv)
{
	struct demo_cfg c = {};
	int err;

	err = opt_parse(&demo_cmd, argc, argv, &c, NULL);
	if (err)
		return opt_exit_status(err);
	return do_demo(&c);
}
