// SPDX-License-Identifier: GPL-2.0
/*
 * rsttrace watch: load, attach to the chosen interfaces, print every RST
 * event the kernel delivers, and on exit (count, duration, signal) detach
 * everything it attached and print a summary to stderr. The links are held
 * only by this process's file descriptors, so even SIGKILL detaches.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "commands.h"
#include "counters.h"
#include "iface.h"
#include "loader.h"
#include "log.h"
#include "tcpdump.h"
#include "util.h"
#include "rsttrace.skel.h"

#define WATCH_MAX_IFACES 64

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

struct watch {
	struct rst_opts o;
	struct fmt_opts fo;
	struct fmt_state fs;
	const char *ifnames[WATCH_MAX_IFACES];
	struct rst_link links[WATCH_MAX_IFACES];
	int n_if;
	__u64 count_max; /* 0: unlimited */
	double duration; /* seconds, 0: unlimited */
	__u64 printed;
	__u64 received;
	__s64 mono_to_real; /* add to a bpf_ktime_get_ns() stamp for wall time */
	int out_err;	    /* errno of a failed write to stdout */
};

static const char *watch_ifname(const struct watch *w, __u32 ifindex)
{
	int i;

	for (i = 0; i < w->n_if; i++)
		if (w->links[i].ifindex == ifindex)
			return w->links[i].ifname;
	return NULL;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct watch *w = ctx;
	const struct rst_event *e = data;
	char line[2048], namebuf[IF_NAMESIZE];
	struct timespec wall;
	const char *ifname;
	__u64 ns;
	int len;

	if (size < sizeof(*e))
		return 0;
	if (w->count_max && w->printed >= w->count_max)
		return 0;
	w->received++;
	ns = e->ts_ns + w->mono_to_real;
	wall.tv_sec = ns / 1000000000ULL;
	wall.tv_nsec = ns % 1000000000ULL;
	ifname = watch_ifname(w, e->ifindex);
	if (!ifname)
		ifname = iface_name(e->ifindex, namebuf);
	len = fmt_event_line(line, sizeof(line), e, ifname, &wall, &w->fo, &w->fs);
	if (len < 0)
		return 0;
	if (fwrite(line, 1, len, stdout) != (size_t)len) {
		w->out_err = errno ? errno : EIO;
		return -w->out_err;
	}
	w->printed++;
	/* Stop the poll as soon as -c is reached. */
	if (w->count_max && w->printed >= w->count_max)
		return 1;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: rsttrace watch [-i IFACE]... [options] [EXPRESSION]\n"
		   "  -i IFACE               interface to trace (repeatable; default: the\n"
		   "                         interface of the default route)\n"
		   "  -c COUNT               exit after COUNT events\n"
		   "  --duration SEC         exit after SEC seconds\n"
		   "  -t, -tt, -ttt, -tttt, -ttttt   timestamps as tcpdump prints them\n"
		   "  -n, -nn                accepted (output is always numeric)\n"
		   "  -v                     append ttl, IP id and hook after the tcpdump part\n" DATAPATH_USAGE);
}

/* Wall-clock offset of the monotonic clock bpf_ktime_get_ns() reads. */
static __s64 mono_to_real_offset(void)
{
	__u64 r1, m, r2;

	r1 = now_real_ns();
	m = now_mono_ns();
	r2 = now_real_ns();
	return (__s64)(r1 / 2 + r2 / 2) - (__s64)m;
}

static void print_summary(const struct watch *w, int counters_fd)
{
	struct rst_totals t;

	fprintf(stderr, "%llu event%s printed\n", (unsigned long long)w->printed,
		w->printed == 1 ? "" : "s");
	if (counters_read(counters_fd, &t, NULL, 0, NULL)) {
		fprintf(stderr, "kernel counters unavailable\n");
		return;
	}
	fprintf(stderr, "%llu RSTs counted by the kernel (%llu RST, %llu RST-ACK)\n",
		(unsigned long long)totals_rsts(&t), (unsigned long long)t.c[RST_C_RST],
		(unsigned long long)t.c[RST_C_RSTACK]);
	fprintf(stderr,
		"%llu events delivered; not delivered: %llu sampled out, %llu rate limited, "
		"%llu ring full, %llu filtered\n",
		(unsigned long long)t.c[RST_C_EV_SENT], (unsigned long long)t.c[RST_C_EV_SAMPLED],
		(unsigned long long)t.c[RST_C_EV_RATELIM],
		(unsigned long long)t.c[RST_C_EV_RINGFULL],
		(unsigned long long)t.c[RST_C_EV_FILTERED]);
	if (w->received > w->printed)
		fprintf(stderr, "%llu events received after -c was reached, not printed\n",
			(unsigned long long)(w->received - w->printed));
}

static void describe(const struct rst_link *l, const struct rst_opts *o)
{
	char what[128] = "";
	size_t n = 0;

	if (l->xdp_fd >= 0)
		n += snprintf(what + n, sizeof(what) - n, "in: xdp %s", xdp_mode_name(l->xdp_flags));
	if (l->tc_fd[RST_DIR_IN] >= 0 || l->legacy[RST_DIR_IN])
		n += snprintf(what + n, sizeof(what) - n, "in: tc%s",
			      l->legacy[RST_DIR_IN] ? " (cls_bpf)" : "");
	if (l->tc_fd[RST_DIR_OUT] >= 0 || l->legacy[RST_DIR_OUT])
		n += snprintf(what + n, sizeof(what) - n, "%sout: tc%s", n ? ", " : "",
			      l->legacy[RST_DIR_OUT] ? " (cls_bpf)" : "");
	fprintf(stderr, "rsttrace: watching %s (%s), snaplen %u bytes\n", l->ifname, what,
		o->snaplen);
}

int cmd_watch(int argc, char **argv)
{
	static const struct option longopts[] = {
		DATAPATH_LONGOPTS,
		{ "duration", required_argument, NULL, 'D' },
		{ "interface", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct watch w = {};
	struct rsttrace *skel = NULL;
	struct ring_buffer *rb = NULL;
	struct rst_progs progs;
	struct sigaction sa = {};
	char defif[IF_NAMESIZE];
	__u64 deadline = 0;
	int opt, i, err, ret = EXIT_RUNTIME;
	int ts_count = 0;

	opts_default(&w.o);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+i:c:tnvh", longopts, NULL)) != -1) {
		err = opts_parse_datapath(&w.o, opt, optarg);
		if (err < 0)
			return EXIT_USAGE;
		if (err > 0)
			continue;
		switch (opt) {
		case 'i':
			if (w.n_if >= WATCH_MAX_IFACES) {
				pr_warn("rsttrace: too many interfaces (at most %d)\n",
					WATCH_MAX_IFACES);
				return EXIT_USAGE;
			}
			w.ifnames[w.n_if++] = optarg;
			break;
		case 'c':
			if (parse_u64("-c", optarg, 1, UINT64_MAX, &w.count_max))
				return EXIT_USAGE;
			break;
		case 'D':
			if (parse_seconds("--duration", optarg, 31536000.0, &w.duration))
				return EXIT_USAGE;
			break;
		case 't':
			ts_count++;
			break;
		case 'n':
			break;
		case 'v':
			w.fo.verbose++;
			log_set_level(log_level + 1);
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (ts_count > 5) {
		pr_warn("rsttrace: invalid -t: at most -ttttt\n");
		return EXIT_USAGE;
	}
	w.fo.tstamp = ts_count; /* -t..-ttttt map onto enum ts_mode in order */
	if (optind < argc) {
		/* XXX: pcap-filter expressions arrive with the exports issue. */
		pr_warn("rsttrace: filter expressions are not supported yet: '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}

	if (check_privileges())
		return EXIT_RUNTIME;

	if (!w.n_if) {
		if (iface_default_route(defif, sizeof(defif))) {
			pr_warn("rsttrace: no default route; name an interface with -i\n");
			return EXIT_USAGE;
		}
		w.ifnames[w.n_if++] = defif;
		fprintf(stderr, "rsttrace: no -i given, using %s (default route)\n", defif);
	}
	for (i = 0; i < w.n_if; i++) {
		__u32 idx;
		int j;

		err = iface_resolve(w.ifnames[i], &idx, 0);
		if (err)
			return err == -ENETDOWN ? EXIT_RUNTIME : EXIT_USAGE;
		for (j = 0; j < i; j++) {
			if (w.links[j].ifindex == idx) {
				pr_warn("rsttrace: interface %s given twice\n", w.ifnames[i]);
				return EXIT_USAGE;
			}
		}
		link_init(&w.links[i], w.ifnames[i], idx);
	}
	w.fo.any_prefix = w.n_if > 1;

	log_setup_libbpf();
	skel = loader_open_load(&w.o);
	if (!skel)
		return EXIT_RUNTIME;

	/* Signals before attaching, so no window leaves a link behind. */
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	progs.xdp = bpf_program__fd(skel->progs.rst_xdp);
	progs.tc_in = bpf_program__fd(skel->progs.rst_tc_ingress);
	progs.tc_out = bpf_program__fd(skel->progs.rst_tc_egress);
	for (i = 0; i < w.n_if; i++) {
		if (attach_iface(&w.links[i], &progs, &w.o))
			goto cleanup;
		describe(&w.links[i], &w.o);
	}

	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, &w, NULL);
	if (!rb) {
		pr_warn("rsttrace: ring buffer: %s\n", strerror(errno));
		goto cleanup;
	}
	w.mono_to_real = mono_to_real_offset();
	if (w.duration > 0)
		deadline = now_mono_ns() + (__u64)(w.duration * 1e9);

	ret = EXIT_OK;
	while (!stop_signal) {
		err = ring_buffer__poll(rb, 100);
		fflush(stdout);
		if (err == -EINTR)
			continue;
		if (err < 0) {
			if (w.out_err)
				pr_warn("rsttrace: writing output: %s\n", strerror(w.out_err));
			else
				pr_warn("rsttrace: ring buffer poll: %s\n", strerror(-err));
			ret = EXIT_RUNTIME;
			break;
		}
		if (w.count_max && w.printed >= w.count_max)
			break;
		if (deadline && now_mono_ns() >= deadline) {
			/* Whatever is already in the ring still belongs to the run. */
			ring_buffer__consume(rb);
			fflush(stdout);
			break;
		}
	}

cleanup:
	for (i = 0; i < w.n_if; i++)
		detach_iface(&w.links[i]);
	if (skel) {
		if (ret == EXIT_OK)
			print_summary(&w, bpf_map__fd(skel->maps.counters));
	}
	ring_buffer__free(rb);
	rsttrace__destroy(skel);
	return ret;
}
