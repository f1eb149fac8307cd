// SPDX-License-Identifier: GPL-2.0
/*
 * rsttrace watch: load, attach to the chosen interfaces, print every RST
 * event the kernel delivers, and on exit (count, duration, signal) detach
 * everything it attached and print a summary to stderr. The links are held
 * only by this process's file descriptors, so even SIGKILL detaches.
 */
#include <errno.h>
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
#include "fates.h"
#include "fatetrace.h"
#include "iface.h"
#include "linkmon.h"
#include "loader.h"
#include "filter.h"
#include "log.h"
#include "options.h"
#include "privs.h"
#include "session.h"
#include "maps.h"
#include "metrics.h"
#include "output.h"
#include "stdoutw.h"
#include "tcpdump.h"
#include "tracing.h"
#include "util.h"
#include "rsttrace.skel.h"

_Static_assert(CMD_MAX_IFACES <= RST_SESSION_MAX_LINKS, "a session holds every -i");

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
	/* From here the output has STDOUTW_GRACE_MS to drain, whatever its reader does. */
	stdoutw_stop();
}

/* The command line of watch, filled by the option table. */
struct watch_cfg {
	struct rst_opts o;
	struct output_opts oo;
	const char *ifnames[CMD_MAX_IFACES];
	int n_if;
	__u64 count_max; /* -c; 0: unlimited */
	double duration; /* seconds, 0: unlimited */
	const char *metrics_at;
	int ts_count;	   /* -t..-ttttt */
	int numeric;	   /* -n, -nn: accepted, the output is always numeric */
	int verbose;	   /* -v: the output detail, as tcpdump's */
	char *const *expr; /* the words of the expression */
	int n_expr;
};

struct watch {
	struct rst_opts o;
	struct fmt_opts fo;
	const char *ifnames[CMD_MAX_IFACES];
	struct rst_link links[CMD_MAX_IFACES];
	int n_if;
	char defif[IF_NAMESIZE]; /* the default route's interface, without -i */
	__u64 count_max;	 /* 0: unlimited */
	double duration;	 /* seconds, 0: unlimited */
	__u64 received;		 /* events taken from the ring */
	__u64 matched;		 /* of those, passed the expression and sent to the sinks */
	__u64 filtered;		 /* of those, rejected by the expression in userspace */
	__s64 mono_to_real;	 /* add to a bpf_ktime_get_ns() stamp for wall time */
	int out_err;		 /* errno of a failed write to an output */
	int stop;		 /* an output asked to stop (-G with -W made its last file) */
	struct output_opts oo;
	struct output out;
	struct rst_filter filter;
	int linkmon_fd; /* interfaces leaving this netns (linkmon.h); -1: not watched */
	int vanished[CMD_MAX_IFACES]; /* 1: that interface left: detached, said so */
	int n_vanished;
	struct rst_session s; /* skeleton, links, tracing, ring (session.h) */
	struct fate_links fate; /* fates and owners (fatetrace.h) */
	struct metrics_server *metrics;
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
	struct rst_event rec, joined;
	const struct rst_event *e = rst_event_from_record(data, size, &rec);
	char namebuf[IF_NAMESIZE];
	struct timespec wall;
	const char *ifname;
	__u64 ns;
	int err;

	if (!e)
		return 0;
	w->received++;
	/* libbpf goes on consuming after a positive return: ignore the rest. */
	if (w->stop || (w->count_max && w->matched >= w->count_max))
		return 0;
	/* The expression is the truth; the kernel filter only pre-selects. */
	if (!filter_match(&w->filter, e)) {
		w->filtered++;
		return 0;
	}
	/*
	 * An active reset's kernel reason arrives after its event (tracing.h);
	 * the flag test spares every other event the copy.
	 */
	if (e->ev_flags & RST_EV_LOCAL) {
		joined = *e;
		if (tracing_join(w->s.reasons_fd, &joined))
			e = &joined;
	}
	ns = e->ts_ns + w->mono_to_real;
	wall.tv_sec = ns / 1000000000ULL;
	wall.tv_nsec = ns % 1000000000ULL;
	ifname = watch_ifname(w, e->ifindex);
	if (!ifname)
		ifname = iface_name(e->ifindex, namebuf);
	err = output_event(&w->out, e, ifname, &wall);
	if (err < 0) {
		w->out_err = -err;
		return err;
	}
	if (err > 0) {
		w->stop = 1;
		return 0;
	}
	w->matched++;
	return 0;
}

/*
 * A traced interface left this namespace: say so, once, and detach from
 * it. A moved interface keeps its links, and would go on being traced in a
 * namespace that is not the one watch was asked to trace.
 */
static void iface_vanished(struct watch *w, int i, enum link_gone how)
{
	struct rst_link *l = &w->links[i];

	if (w->vanished[i])
		return;
	w->vanished[i] = 1;
	w->n_vanished++;
	pr_warn("%s: interface vanished (%s)", l->ifname,
		how == LINK_MOVED ? "moved to another network namespace" : "deleted");
	/*
	 * A cls_bpf filter went with its device: there is no ifindex here to
	 * remove it from. XXX: a moved device keeps it, in the other namespace.
	 */
	l->legacy[RST_DIR_IN] = l->legacy[RST_DIR_OUT] = false;
	l->legacy_qdisc = false;
	detach_iface(l);
}

static void on_link_gone(void *ctx, __u32 ifindex, enum link_gone how)
{
	struct watch *w = ctx;
	int i;

	for (i = 0; i < w->n_if; i++)
		/* Moved there and back already: still here, still traced. */
		if (w->links[i].ifindex == ifindex && !linkmon_present(ifindex))
			iface_vanished(w, i, how);
}

/* What left since the last look; 1 when no traced interface is left. */
static int check_ifaces(struct watch *w)
{
	int i, err;

	if (w->linkmon_fd < 0)
		return 0;
	err = linkmon_read(w->linkmon_fd, on_link_gone, w);
	if (err == -ENOBUFS) {
		/* Messages lost: look at each one. Deleted or moved, we cannot tell. */
		for (i = 0; i < w->n_if; i++)
			if (!w->vanished[i] && !linkmon_present(w->links[i].ifindex))
				iface_vanished(w, i, LINK_DELETED);
	} else if (err) {
		pr_debug("rtnetlink: %s; interfaces no longer watched", strerror(-err));
		close(w->linkmon_fd);
		w->linkmon_fd = -1;
	}
	return w->n_vanished == w->n_if;
}

static void print_summary(const struct watch *w, int counters_fd)
{
	struct rst_totals t;

	output_summary(&w->out, stderr);
	if (w->filter.expr)
		fprintf(stderr, "%llu event%s did not match the expression\n",
			(unsigned long long)w->filtered, w->filtered == 1 ? "" : "s");
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
	if (w->received > w->matched + w->filtered)
		fprintf(stderr, "%llu events received after %s, not output\n",
			(unsigned long long)(w->received - w->matched - w->filtered),
			w->stop ? "the last file (-W)" : "-c was reached");
}

/*
 * A failed write or poll ends the run. A reader of stdout that went away
 * (EPIPE: "watch | head") ends it quietly with status 0, as tcpdump does.
 */
static int watch_io_error(struct watch *w, int err)
{
	if (!w->out_err) {
		pr_warn("ring buffer poll: %s", strerror(-err));
		return EXIT_RUNTIME;
	}
	if (w->out_err == EPIPE)
		return EXIT_OK;
	pr_warn("writing output: %s", strerror(w->out_err));
	return EXIT_RUNTIME;
}

/* Flush the outputs; a failure is an output error. */
static int watch_flush(struct watch *w)
{
	int err = output_flush(&w->out);

	if (err < 0 && !w->out_err)
		w->out_err = -err;
	return err;
}

/* The part of the expression the kernel can apply, if any; says which on stderr. */
static void install_kernel_filter(struct watch *w, int map_fd)
{
	struct rst_evfilter rules;
	char why[160];
	int err;

	err = filter_kernel_rules(w->filter.expr, &rules, why, sizeof(why));
	if (err) {
		pr_warn("expression applied in userspace only (%s)",
			err == -EOPNOTSUPP ? why : strerror(-err));
		return;
	}
	if (!rules.n_terms) {
		pr_warn("expression matches every TCP packet");
		return;
	}
	if (bpf_map_update_elem(map_fd, &(__u32){ 0 }, &rules, BPF_ANY)) {
		err = -errno;
		pr_warn("expression applied in userspace only (evfilter map: %s)", strerror(-err));
		return;
	}
	pr_warn("expression also applied in the kernel (%u alternative%s)", rules.n_terms,
		rules.n_terms == 1 ? "" : "s");
}

static void describe(const struct rst_link *l, const struct rst_opts *o)
{
	char what[128] = "";
	size_t n = 0;

	if (l->xdp_fd >= 0)
		n += snprintf(what + n, sizeof(what) - n, "in: xdp %s",
			      xdp_mode_name(l->xdp_flags));
	if (l->tc_fd[RST_DIR_IN] >= 0 || l->legacy[RST_DIR_IN])
		n += snprintf(what + n, sizeof(what) - n, "in: tc%s",
			      l->legacy[RST_DIR_IN] ? " (cls_bpf)" : "");
	if (l->tc_fd[RST_DIR_OUT] >= 0 || l->legacy[RST_DIR_OUT])
		n += snprintf(what + n, sizeof(what) - n, "%sout: tc%s", n ? ", " : "",
			      l->legacy[RST_DIR_OUT] ? " (cls_bpf)" : "");
	pr_warn("watching %s (%s), snaplen %u bytes", l->ifname, what, o->snaplen);
}

/* The reset-reason program, where it was loaded; without it, events lack reasons. */
static void attach_tracing(struct watch *w)
{
	int err = session_trace(&w->s);

	if (!err)
		return; /* not loaded: tracing_configure said why at -dd */
	if (err < 0) {
		pr_info("kernel reset reasons unavailable: attaching to tcp_send_reset: "
			"%s",
			strerror(-err));
		return;
	}
	pr_debug("kernel reset reasons: tracing tcp_send_reset");
}

static int metrics_check(const char *arg, const void *field)
{
	(void)field;
	return metrics_parse_listen("--metrics", arg, NULL, NULL);
}

#define W(f) .off = offsetof(struct watch_cfg, f)

static const struct opt_row watch_rows[] = {
	CMD_IFACE_ROW(struct watch_cfg, ifnames, n_if,
		      "interface to trace (repeatable; default: the\n"
		      "interface of the default route)"),
	{ .name = "count",
	  .short_opt = 'c',
	  .type = OPT_U64,
	  W(count_max),
	  .min = 1,
	  .max = UINT64_MAX,
	  .metavar = "COUNT",
	  .help = "exit after COUNT events" },
	{ .name = "duration",
	  .type = OPT_SECONDS,
	  W(duration),
	  .max_sec = 31536000.0,
	  .metavar = "SEC",
	  .help = "exit after SEC seconds" },
	{ .name = "metrics",
	  .type = OPT_STRING,
	  W(metrics_at),
	  .check = metrics_check,
	  .metavar = "ADDR:PORT",
	  .help = "serve Prometheus /metrics there while tracing" },
	{ .short_opt = 't',
	  .type = OPT_COUNT,
	  W(ts_count),
	  .display = "-t, -tt, -ttt, -tttt, -ttttt",
	  .help = "timestamps as tcpdump prints them" },
	{ .short_opt = 'n',
	  .type = OPT_COUNT,
	  W(numeric),
	  .display = "-n, -nn",
	  .help = "accepted (output is always numeric)" },
	{ .name = "verbose",
	  .short_opt = 'v',
	  .type = OPT_COUNT,
	  W(verbose),
	  .help = "append ttl, IP id, hook, class and, for resets sent\n"
		  "here, the kernel's reason and socket state" },
	{ .type = OPT_DOC, .display = "EXPRESSION", .help = "pcap-filter(7), as tcpdump" },
	{ 0 },
};

/* The sinks' options, parsed by output_parse_opt (output.h). */
static int output_opt(void *field, int code, const char *arg)
{
	return output_parse_opt(field, code, arg) < 0 ? -EINVAL : 0;
}

#define OUT_ROW(lname, s, c, meta, text)                                                           \
	{                                                                                          \
		.name = lname, .short_opt = s, .type = OPT_FUNC, .off = 0, .code = c,              \
		.fn = output_opt, .metavar = meta, .help = text                                    \
	}

static const struct opt_row output_rows[] = {
	OUT_ROW("json", 0, OPT_OUT_JSON, NULL,
		"JSON lines on stdout instead of text (keys: docs/json.md)"),
	OUT_ROW(NULL, 'w', 'w', "FILE",
		"write the snapshots to a pcap file ('-': stdout); no text\n"
		"on stdout then, unless --print or --json"),
	OUT_ROW("print", 0, OPT_OUT_PRINT, NULL,
		"print the text lines on stdout as well (as tcpdump --print)"),
	OUT_ROW(NULL, 'C', 'C', "SIZE",
		"with -w: new file once the current one is over SIZE million\n"
		"bytes (k, m, g suffix: KiB, MiB, GiB); FILE, FILE1, ..."),
	OUT_ROW(NULL, 'G', 'G', "SEC",
		"with -w: new file every SEC seconds, FILE through strftime(3)"),
	OUT_ROW(NULL, 'W', 'W', "N", "with -C: a ring of N files; with -G: stop after N files"),
	OUT_ROW("syslog", 0, OPT_OUT_SYSLOG, NULL,
		"send each text line to syslog (ident rsttrace); no text on\n"
		"stdout then, unless --print or --json"),
	OUT_ROW("syslog-facility", 0, OPT_OUT_FACILITY, "NAME",
		"daemon (default), user, local0..local7, ..."),
	{ 0 },
};

static const struct opt_cmd watch_cmd = {
	.name = "watch",
	.synopsis = "usage: rsttrace watch [-i IFACE]... [options] [EXPRESSION]\n",
	.sets = {
		{ watch_rows, 0 },
		{ output_rows, offsetof(struct watch_cfg, oo) },
		{ datapath_rows, offsetof(struct watch_cfg, o) },
		{ opt_common_rows, 0 },
	},
	.takes_args = 1,
};

/* The interfaces: -i, else the default route's; each resolved once. 0 or an exit status. */
static int watch_ifaces(struct watch *w, const struct watch_cfg *c)
{
	int i, j, err;

	for (i = 0; i < c->n_if; i++)
		w->ifnames[w->n_if++] = c->ifnames[i];
	if (!w->n_if) {
		if (iface_default_route(w->defif, sizeof(w->defif))) {
			pr_warn("no default route; name an interface with -i");
			return EXIT_USAGE;
		}
		w->ifnames[w->n_if++] = w->defif;
		pr_warn("no -i given, using %s (default route)", w->defif);
	}
	for (i = 0; i < w->n_if; i++) {
		__u32 idx;

		err = iface_resolve(w->ifnames[i], &idx, 0);
		if (err)
			return err == -ENETDOWN ? EXIT_RUNTIME : EXIT_USAGE;
		for (j = 0; j < i; j++) {
			if (w->links[j].ifindex == idx) {
				pr_warn("interface %s given twice", w->ifnames[i]);
				return EXIT_USAGE;
			}
		}
		link_init(&w->links[i], w->ifnames[i], idx);
	}
	w->fo.any_prefix = w->n_if > 1;
	return 0;
}

/* The command line checked and taken over: 0, or the exit status. */
static int watch_prepare(struct watch *w, const struct watch_cfg *c)
{
	int err;

	if (c->ts_count > 5) {
		pr_warn("invalid -t: at most -ttttt");
		return EXIT_USAGE;
	}
	w->o = c->o;
	w->oo = c->oo;
	w->count_max = c->count_max;
	w->duration = c->duration;
	w->fo.verbose = c->verbose;
	w->fo.tstamp = c->ts_count; /* -t..-ttttt map onto enum ts_mode in order */
	if (output_check(&w->oo))
		return EXIT_USAGE;
	/* The words left are the expression, joined as tcpdump joins them. */
	err = filter_compile(&w->filter, c->expr, c->n_expr);
	if (err)
		return err == -ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;
	if (check_privileges(PRIV_LOAD))
		return EXIT_RUNTIME;
	return watch_ifaces(w, c);
}

static void watch_signals(void)
{
	struct sigaction sa = {};

	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* The fate and owner programs, where loaded; without them events have neither. */
static void attach_fates(struct watch *w)
{
	int n = fate_attach(&w->fate, w->s.skel);

	if (n < 0) {
		pr_info("received-RST fates unavailable: attaching the tracepoints: %s",
			strerror(-n));
		return;
	}
	if (!n)
		return; /* not loaded: fate_configure said why at -dd */
	w->out.why.fate_res = bpf_map__fd(w->s.skel->maps.fate_res);
	w->out.why.owners = bpf_map__fd(w->s.skel->maps.owners);
}

/* Attach to every interface, then the reset-reason program. */
static int watch_attach(struct watch *w)
{
	int i;

	for (i = 0; i < w->n_if; i++) {
		if (session_attach(&w->s, &w->links[i], &w->o))
			return -1;
		describe(&w->links[i], &w->o);
	}
	/* The reasons are for RSTs sent here: only with egress traced. */
	if (w->o.dirs & DIR_OUT)
		attach_tracing(w);
	attach_fates(w);
	return 0;
}

/*
 * Load, then everything that can fail with nothing to undo, then attach
 * and the ring: 0, or -1 after printing why (watch_finish undoes it).
 */
static int watch_start(struct watch *w, const char *metrics_at)
{
	int err;

	if (session_load(&w->s, &w->o))
		return -1;
	/* Signals before attaching, so no window leaves a link behind. */
	watch_signals();
	/* Before attaching: a port in use fails with nothing to undo. */
	if (metrics_at) {
		struct metrics_opts mo;

		metrics_opts_default(&mo);
		mo.opt = "--metrics";
		mo.cgroups_fd = bpf_map__fd(w->s.skel->maps.cgroups); /* resets per cgroup */
		mo.fate_ifs_fd = bpf_map__fd(w->s.skel->maps.fate_ifs);
		w->metrics = metrics_start(metrics_at, &w->s.maps, &mo);
		if (!w->metrics)
			return -1;
	}
	if (w->filter.expr)
		install_kernel_filter(w, bpf_map__fd(w->s.skel->maps.evfilter));
	/* Files too before attaching: an unwritable -w fails with nothing to undo. */
	if (output_open(&w->out, &w->oo, &w->fo, w->o.snaplen, w->s.maps.flows))
		return -1;
	/* Before attaching, so that no interface can leave unseen. */
	w->linkmon_fd = linkmon_open();
	if (w->linkmon_fd < 0)
		pr_info("rtnetlink: %s; a vanished interface will not be noticed",
			strerror(-w->linkmon_fd));
	if (watch_attach(w))
		return -1;
	err = session_ring(&w->s, on_event, w);
	if (err) {
		pr_warn("ring buffer: %s", strerror(-err));
		return -1;
	}
	w->mono_to_real = mono_to_real_offset();
	return 0;
}

/* Until a signal, -c, --duration, an error or no interface left: the exit status. */
static int watch_loop(struct watch *w)
{
	__u64 deadline = 0, order_check = 0;
	int i, err;

	if (w->duration > 0)
		deadline = now_mono_ns() + (__u64)(w->duration * 1e9);
	while (!stop_signal) {
		/* A timeout consumes too: the kernel batches wakeups (session_poll). */
		err = session_poll(&w->s, 100);
		if (err == -EINTR)
			continue;
		if (err >= 0)
			err = watch_flush(w);
		if (err < 0)
			return watch_io_error(w, err);
		if (w->stop || (w->count_max && w->matched >= w->count_max))
			break;
		if (deadline && now_mono_ns() >= deadline)
			break;
		/* Nothing left to trace: the summary, and a failure. */
		if (check_ifaces(w))
			return EXIT_RUNTIME;
		/* Another tool can attach before ours at any time (BPF_F_BEFORE): say so. */
		if (now_mono_ns() >= order_check) {
			for (i = 0; i < w->n_if; i++)
				if (!w->vanished[i])
					link_check_order(&w->links[i]);
			order_check = now_mono_ns() + 1000000000ULL;
		}
	}
	return EXIT_OK;
}

/*
 * Whatever the kernel delivered before the detach still belongs to the
 * run (after a signal or --duration alike), so that what was written adds
 * up with the kernel's counters in the summary. Then the outputs close.
 */
static int watch_drain(struct watch *w, int ret, int *summary)
{
	int err;

	if (w->s.rb && *summary) {
		err = session_consume(&w->s);
		if (err >= 0)
			err = watch_flush(w);
		if (err < 0) {
			ret = watch_io_error(w, err);
			*summary = ret == EXIT_OK;
		}
	}
	err = output_close(&w->out);
	if (err < 0 && *summary && !w->out_err) {
		w->out_err = -err;
		ret = watch_io_error(w, err);
		*summary = ret == EXIT_OK;
	}
	return ret;
}

/* Detach, drain, the summary, and free everything: the exit status. */
static int watch_finish(struct watch *w, int ret)
{
	int summary, all_gone;

	session_detach(&w->s);
	fate_detach(&w->fate);
	if (w->linkmon_fd >= 0)
		close(w->linkmon_fd);
	/* Every interface vanished: a failure, but the run is told as any other. */
	all_gone = w->n_if && w->n_vanished == w->n_if;
	summary = ret == EXIT_OK || all_gone;
	ret = watch_drain(w, ret, &summary);
	if (w->s.skel && summary)
		print_summary(w, w->s.maps.counters);
	if (w->s.skel && summary && w->out.why.fate_res >= 0)
		fates_summary(stderr, w->s.skel, w->links, w->n_if);
	if (all_gone)
		ret = EXIT_RUNTIME;
	filter_free(&w->filter);
	metrics_stop(w->metrics); /* before the maps it reads go */
	session_close(&w->s);
	return ret;
}

static int do_watch(const struct watch_cfg *c)
{
	struct watch w = { .linkmon_fd = -1 };
	int ret;

	session_init(&w.s);
	fate_links_init(&w.fate);
	why_maps_init(&w.out.why);
	ret = watch_prepare(&w, c);
	if (ret) {
		filter_free(&w.filter);
		return ret;
	}
	log_setup_libbpf();
	if (watch_start(&w, c->metrics_at)) {
		if (!w.s.skel)
			return EXIT_RUNTIME;
		return watch_finish(&w, EXIT_RUNTIME);
	}
	return watch_finish(&w, watch_loop(&w));
}

int cmd_watch(int argc, char **argv)
{
	struct watch_cfg c = {};
	int err, first;

	opts_default(&c.o);
	output_opts_default(&c.oo);
	err = opt_parse(&watch_cmd, argc, argv, &c, &first);
	if (err)
		return opt_exit_status(err);
	c.expr = argv + first;
	c.n_expr = argc - first;
	return do_watch(&c);
}
