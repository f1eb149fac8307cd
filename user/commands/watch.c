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

#include "anyif.h"
#include "attach.h"
#include "commands.h"
#include "consumer.h"
#include "counters.h"
#include "evkinds.h"
#include "flagsel.h"
#include "fates.h"
#include "fatetrace.h"
#include "iface.h"
#include "iflist.h"
#include "linkmon.h"
#include "loader.h"
#include "filter.h"
#include "log.h"
#include "options.h"
#include "privdrop.h"
#include "privs.h"
#include "session.h"
#include "maps.h"
#include "metrics.h"
#include "offline.h"
#include "output.h"
#include "persist.h"
#include "pinfollow.h"
#include "rundir.h"
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
	/* --attached: the persistent attachment's events (consumer.h) */
	int attached;
	const char *pin_path;
	const char *run_dir;
	/* tcpdump's vocabulary (docs/tcpdump.md): the rows of tcpdump_rows. */
	int eflag, qflag, xflag, Xflag, Aflag;
	__u32 snaplen;	   /* -s: tcpdump's snaplen; 0: the most an event carries */
	int snaplen_given; /* -s given */
	__u32 buffer_kib;  /* -B: ring buffer KiB */
	int buffer_given;
	int list_ifaces;       /* -D */
	int accepted;	       /* -S, -l, -U, --immediate-mode: what they ask is so already */
	const char *drop_user; /* -Z */
	const char *events;    /* --events LIST; NULL: from the expression (flagsel.h) */
	/* -r FILE: replay a capture instead (offline.c) */
	const char *rfile;
	int stats_json;
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
	struct rst_session s;	/* skeleton, links, tracing, ring (session.h) */
	struct fate_links fate; /* fates and owners (fatetrace.h) */
	struct metrics_server *metrics;
	/* --attached: the pinned maps and the events' consumer, or its subscription */
	struct rst_maps am;
	struct consumer cons;
	__u32 snap_keep;    /* -s: bytes of a record kept; 0: no -s, all the kernel took */
	__u32 out_snaplen;  /* the snaplen the outputs state (pcap header) */
	struct privdrop pd; /* -Z; pd.user NULL: stay */
	__u32 ev_kinds;	    /* EVK_*: the control packets that become events */
	int any;	    /* -i any: every interface, followed (anyif.h) */
	struct anyif anyif;
};

static const char *watch_ifname(const struct watch *w, __u32 ifindex)
{
	int i;

	if (w->any)
		return anyif_name(&w->anyif, ifindex);
	for (i = 0; i < w->n_if; i++)
		if (w->links[i].ifindex == ifindex)
			return w->links[i].ifname;
	return NULL;
}

/*
 * The snapshot bytes -s keeps of an event. tcpdump -i any's -s counts
 * its cooked record, whose 20-byte header stands for the frame's 14 (or
 * for nothing, on an interface without link header): as many bytes of
 * the record as tcpdump keeps. XXX: under 20 tcpdump cuts into the cooked
 * header itself, which the line cannot show; the frame's header is kept.
 */
static __u32 snap_limit(const struct watch *w, const struct rst_event *e)
{
	__u32 hdr = e->l3_off ? 14 : 0;

	if (!w->fo.any_prefix)
		return w->snap_keep;
	return w->snap_keep > 20 ? w->snap_keep - 20 + hdr : hdr ? hdr : 1;
}

static int watch_event(struct watch *w, const struct rst_event *e)
{
	struct rst_event joined;
	char namebuf[IF_NAMESIZE];
	struct timespec wall;
	const char *ifname;
	__u32 lim;
	__u64 ns;
	int err;

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
	 * An active reset's kernel reason arrives after its event (tracing.h),
	 * and so does a firewall reset's origin; the flag test spares every
	 * other event the copy.
	 */
	if ((e->ev_flags & RST_EV_LOCAL) || (e->dir == RST_DIR_OUT && !e->reason)) {
		joined = *e;
		if (tracing_join(w->s.reasons_fd, &joined))
			e = &joined;
	}
	/* -s: cut here, after the expression saw it all. */
	lim = w->snap_keep ? snap_limit(w, e) : 0;
	if (lim && e->snap_len > lim) {
		if (e != &joined)
			joined = *e;
		joined.snap_len = (__u16)lim;
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

static int on_event(void *ctx, void *data, size_t size)
{
	struct rst_event rec;
	const struct rst_event *e = rst_event_from_record(data, size, &rec);

	return e ? watch_event(ctx, e) : 0;
}

/* --attached: an event of the attachment, already joined with its reason (consumer.h). */
static int on_attached_event(void *ctx, const struct rst_event *e)
{
	return watch_event(ctx, e);
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

	/* -i any follows what comes and goes; nothing left is not an end there. */
	if (w->any) {
		err = anyif_poll(&w->anyif);
		if (err)
			pr_debug("rtnetlink: %s", strerror(-err));
		return 0;
	}
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

/* SYN, SYN-ACK and FIN events, when asked: what became of them, per kind. */
static void print_ctl_summary(const struct rst_totals *t)
{
	int k;

	for (k = 0; k < RST_CK_MAX; k++) {
		const __u64 *c = t->ctl_ev[k];

		fprintf(stderr,
			"%s: %llu events delivered; not delivered: %llu sampled out, %llu rate "
			"limited, %llu ring full, %llu filtered, %llu not asked\n",
			rst_ctl_kind_names[k], (unsigned long long)c[RST_CE_SENT],
			(unsigned long long)c[RST_CE_SAMPLED],
			(unsigned long long)c[RST_CE_RATELIM],
			(unsigned long long)c[RST_CE_RINGFULL],
			(unsigned long long)c[RST_CE_FILTERED],
			(unsigned long long)c[RST_CE_NOTASKED]);
	}
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
	if (w->ev_kinds & (EVK_SYN | EVK_SYNACK | EVK_FIN))
		print_ctl_summary(&t);
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

/* --events LIST checked while parsing, so that a bad word is a usage error at once. */
static int events_check(const char *arg, const void *field)
{
	__u32 k;

	(void)field;
	return flagsel_parse("--events", arg, &k);
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
		      "interface of the default route; any: every one,\n"
		      "those that come while watching too)"),
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
	{ .name = "events",
	  .type = OPT_STRING,
	  W(events),
	  .check = events_check,
	  .metavar = "LIST",
	  .help = "packets that become events: syn, synack, fin, rst, all\n"
		  "(default: rst, or what the expression's TCP flags select)" },
	{ .type = OPT_DOC, .display = "EXPRESSION", .help = "pcap-filter(7), as tcpdump" },
	{ 0 },
};

/* --attached: the persistent attachment's events, beside serve (docs/persistent.md). */
static const struct opt_row attached_rows[] = {
	{ .name = "attached",
	  .type = OPT_FLAG,
	  W(attached),
	  .help = "the events of the persistent attachment (rsttrace attach),\n"
		  "from serve's socket, or from its ring when no serve runs" },
	CMD_PIN_PATH_ROW(struct watch_cfg, pin_path),
	{ .name = "run-dir",
	  .type = OPT_STRING,
	  W(run_dir),
	  .metavar = "DIR",
	  .help = "with --attached: the consumer's lock and socket (default\n"
		  "$RSTTRACE_RUN_DIR, else " RST_RUN_DIR_DEFAULT ")" },
	{ 0 },
};

/* -r FILE: a capture through the same programs (offline.c, docs/offline.md). */
static const struct opt_row offline_rows[] = {
	{ .name = "read-file",
	  .short_opt = 'r',
	  .type = OPT_STRING,
	  W(rfile),
	  .metavar = "FILE",
	  .help = "replay a pcap/pcapng capture ('-': stdin) through the\n"
		  "XDP program, no interface; tables on stderr at the end" },
	{ .name = "stats-json",
	  .type = OPT_FLAG,
	  W(stats_json),
	  .help = "with -r: one JSON object of counters, hosts and flows\n"
		  "on stdout instead of the events" },
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

static const struct opt_choice q_choices[] = {
	{ "in", DIR_IN },
	{ "out", DIR_OUT },
	{ "inout", DIR_BOTH },
	{ NULL },
};

/* The rest of tcpdump's vocabulary: each as tcpdump means it (docs/tcpdump.md). */
static const struct opt_row tcpdump_rows[] = {
	{ .short_opt = 'e',
	  .type = OPT_COUNT,
	  W(eflag),
	  .help = "print the link-level header, as tcpdump -e" },
	{ .short_opt = 'q', .type = OPT_COUNT, W(qflag), .help = "quiet: tcpdump's short lines" },
	{ .short_opt = 'x',
	  .type = OPT_COUNT,
	  W(xflag),
	  .display = "-x, -xx",
	  .help = "hex dump of the snapshot (-xx: from the link header)" },
	{ .short_opt = 'X',
	  .type = OPT_COUNT,
	  W(Xflag),
	  .display = "-X, -XX",
	  .help = "hex and ASCII (-XX: from the link header)" },
	{ .short_opt = 'A',
	  .type = OPT_COUNT,
	  W(Aflag),
	  .display = "-A, -AA",
	  .help = "the snapshot in ASCII (-AA: from the link header)" },
	{ .short_opt = 's',
	  .type = OPT_U32,
	  W(snaplen),
	  .given = OPT_GIVEN(struct watch_cfg, snaplen_given),
	  .min = 0,
	  .max = 262144,
	  .metavar = "SNAPLEN",
	  .help = "bytes of each packet kept, as tcpdump -s; 0 or over 256:\n"
		  "256, the most an event carries" },
	{ .short_opt = 'B',
	  .type = OPT_U32,
	  W(buffer_kib),
	  .given = OPT_GIVEN(struct watch_cfg, buffer_given),
	  .min = 1,
	  .max = 1U << 20,
	  .metavar = "KIB",
	  .help = "ring buffer size in KiB (rounded up to a power of 2)" },
	{ .short_opt = 'Q',
	  .type = OPT_CHOICE,
	  W(o.dirs),
	  .choices = q_choices,
	  .help = "direction, as tcpdump -Q (--direction)" },
	{ .short_opt = 'D',
	  .type = OPT_FLAG,
	  W(list_ifaces),
	  .help = "list the interfaces and their hooks, exit" },
	{ .short_opt = 'Z',
	  .type = OPT_STRING,
	  W(drop_user),
	  .metavar = "USER",
	  .help = "once attached, run as USER (and its groups)" },
	{ .short_opt = 'S',
	  .type = OPT_FLAG,
	  W(accepted),
	  .display = "-S, -l, -U",
	  .help = "accepted: seqs are absolute, lines flushed per event" },
	{ .short_opt = 'l', .type = OPT_FLAG, W(accepted) },
	{ .short_opt = 'U', .type = OPT_FLAG, W(accepted) },
	{ .name = "immediate-mode",
	  .type = OPT_FLAG,
	  W(accepted),
	  .help = "accepted: events are printed as they come" },
	{ 0 },
};

static const struct opt_cmd watch_cmd = {
	.name = "watch",
	.synopsis = "usage: rsttrace watch [-i IFACE]... [options] [EXPRESSION]\n",
	.sets = {
		{ watch_rows, 0 },
		{ tcpdump_rows, 0 },
		{ offline_rows, 0 },
		{ output_rows, offsetof(struct watch_cfg, oo) },
		{ attached_rows, 0 },
		{ datapath_rows, offsetof(struct watch_cfg, o) },
		{ opt_common_rows, 0 },
	},
	.takes_args = 1,
};

/* The interfaces: -i, else the default route's; each resolved once. 0 or an exit status. */
static int watch_ifaces(struct watch *w, const struct watch_cfg *c)
{
	int i, j, err;

	/* tcpdump's -i any: every interface, those to come too. */
	for (i = 0; i < c->n_if; i++) {
		if (strcmp(c->ifnames[i], "any"))
			continue;
		if (c->n_if > 1) {
			pr_warn("-i any takes every interface: name no other with it");
			return EXIT_USAGE;
		}
		w->any = 1;
		w->fo.any_prefix = 1;
		return 0;
	}
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

/* pow2 at least 4096 bytes, the ring's rule. */
static __u32 ring_bytes(__u32 kib)
{
	__u64 want = (__u64)kib * 1024, b = 4096;

	while (b < want)
		b <<= 1;
	return (__u32)b;
}

/*
 * tcpdump's -e -q -x -X -A, -s, -B and -Z onto the line's options, the
 * datapath's and the drop: 0, or the exit status.
 */
static int watch_tcpdump_opts(struct watch *w, const struct watch_cfg *c)
{
	__u32 keep;

	w->fo.eflag = c->eflag;
	w->fo.qflag = c->qflag;
	w->fo.xflag = c->xflag;
	w->fo.Xflag = c->Xflag;
	w->fo.Aflag = c->Aflag;
	w->out_snaplen = w->o.snaplen;
	if (c->snaplen_given) {
		keep = c->snaplen;
		if (keep > RST_SNAPLEN_MAX) {
			pr_warn("-s %u: an event carries at most %u bytes; snaplen %u", keep,
				RST_SNAPLEN_MAX, RST_SNAPLEN_MAX);
			keep = RST_SNAPLEN_MAX;
		} else if (keep == 0) {
			keep = RST_SNAPLEN_MAX; /* tcpdump's 0: as much as there can be */
		}
		/* The kernel snapshots at least 64 bytes; fewer are cut here. */
		w->o.snaplen = keep < 64 ? 64 : keep;
		w->o.set_snaplen = 1;
		w->snap_keep = keep;
		w->out_snaplen = keep;
	}
	if (c->buffer_given) {
		w->o.ring_size = ring_bytes(c->buffer_kib);
		w->o.set_ring_size = 1;
		if ((__u64)w->o.ring_size != (__u64)c->buffer_kib * 1024)
			pr_warn("-B %u: ring buffer of %u KiB (a power of 2, at least 4)",
				c->buffer_kib, w->o.ring_size / 1024);
	}
	if (c->drop_user && privdrop_lookup(&w->pd, c->drop_user))
		return EXIT_USAGE;
	return 0;
}

/*
 * The control packets that become events: --events, else what the
 * expression's flags select (flagsel.h); RSTs only when it does not look
 * at them. 0 or -EINVAL.
 */
static int watch_event_kinds(struct watch *w, const struct watch_cfg *c)
{
	char names[40];
	int none = 0;

	if (c->events) {
		if (flagsel_parse("--events", c->events, &w->ev_kinds))
			return -EINVAL;
	} else {
		w->ev_kinds = flagsel_from_filter(&w->filter, &none);
		if (none)
			pr_warn("expression matches no SYN, FIN or RST: no packet it selects "
				"can become an event (data packets never do)");
	}
	if (w->ev_kinds != EVK_DEFAULT)
		pr_warn("events: %s%s", flagsel_names(w->ev_kinds, names, sizeof(names)),
			c->events ? "" : " (the expression's TCP flags)");
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
	err = watch_tcpdump_opts(w, c);
	if (err)
		return err;
	if (output_check(&w->oo))
		return EXIT_USAGE;
	/* The words left are the expression, joined as tcpdump joins them. */
	err = filter_compile(&w->filter, c->expr, c->n_expr);
	if (err)
		return err == -ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;
	if (!c->attached && (c->pin_path || c->run_dir)) {
		pr_warn("%s needs --attached (watch loads its own programs otherwise)",
			c->pin_path ? "--pin-path" : "--run-dir");
		return EXIT_USAGE;
	}
	/* --attached loads and attaches nothing: it reads pins (watch_attached). */
	if (c->attached)
		return check_privileges(PRIV_READ) ? EXIT_RUNTIME : 0;
	if (watch_event_kinds(w, c))
		return EXIT_USAGE;
	if (check_privileges(PRIV_LOAD))
		return EXIT_RUNTIME;
	return watch_ifaces(w, c);
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
	struct rst_opts shown = w->o;
	int i;

	/* The snaplen the lines and files get (-s below 64 is cut in userspace). */
	shown.snaplen = w->out_snaplen;
	if (w->any) {
		if (anyif_start(&w->anyif, &w->s.progs, &w->o))
			return -1;
		pr_warn("watching any (%u interface%s, and those to come), snaplen %u bytes",
			w->anyif.attached, w->anyif.attached == 1 ? "" : "s", shown.snaplen);
	}
	for (i = 0; i < w->n_if; i++) {
		if (session_attach(&w->s, &w->links[i], &w->o))
			return -1;
		describe(&w->links[i], &shown);
	}
	/* The reasons are for RSTs sent here: only with egress traced. */
	if (w->o.dirs & DIR_OUT)
		attach_tracing(w);
	attach_fates(w);
	return 0;
}

/*
 * -Z after attaching. A legacy cls_bpf filter (kernels without tcx) is
 * removed over netlink with CAP_NET_ADMIN, which USER lacks: refuse to
 * drop rather than leave it behind.
 */
static int watch_drop(struct watch *w)
{
	int i;

	for (i = 0; i < w->n_if; i++) {
		if (w->links[i].legacy[RST_DIR_IN] || w->links[i].legacy[RST_DIR_OUT] ||
		    w->links[i].legacy_qdisc) {
			pr_warn("-Z %s: %s is attached through cls_bpf, which only root can "
				"remove: not dropping",
				w->pd.user, w->links[i].ifname);
			return -EPERM;
		}
	}
	return privdrop_apply(&w->pd);
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
	/* Before anything is attached: the first packet already meets the kinds asked. */
	if (w->ev_kinds != EVK_DEFAULT &&
	    settings_set_event_kinds(w->s.maps.settings, flagsel_cfg_bits(w->ev_kinds)))
		return -1;
	/* Signals before attaching, so no window leaves a link behind. */
	stop_handlers(on_signal);
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
	if (output_open(&w->out, &w->oo, &w->fo, w->out_snaplen, w->s.maps.flows))
		return -1;
	/* Before attaching, so that no interface can leave unseen (-i any: its own). */
	w->linkmon_fd = w->any ? -1 : linkmon_open();
	if (w->linkmon_fd < 0 && !w->any)
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
	/* -Z: all that needed root is held by descriptors now. */
	if (w->pd.user && watch_drop(w))
		return -1;
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
			if (w->any)
				anyif_check_order(&w->anyif);
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
	anyif_detach(&w->anyif);
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
	anyif_stop(&w->anyif);
	metrics_stop(w->metrics); /* before the maps it reads go */
	session_close(&w->s);
	return ret;
}

static void attached_summary(struct watch *w, const struct rst_totals *t0)
{
	struct rst_totals t;

	output_summary(&w->out, stderr);
	if (w->filter.expr)
		fprintf(stderr, "%llu event%s did not match the expression\n",
			(unsigned long long)w->filtered, w->filtered == 1 ? "" : "s");
	fprintf(stderr,
		"%llu events received from the attachment at %s; %llu lost by this watch "
		"(its queue at the consumer was full)\n",
		(unsigned long long)w->received, w->cons.pin_path,
		(unsigned long long)w->cons.lost);
	if (counters_read(w->am.counters, &t, NULL, 0, NULL))
		return;
	/* The attachment's counters are its lifetime's: what changed while this watch ran. */
	fprintf(stderr,
		"meanwhile the kernel delivered %llu events; not delivered: %llu sampled out, "
		"%llu rate limited, %llu ring full, %llu filtered\n",
		(unsigned long long)(t.c[RST_C_EV_SENT] - t0->c[RST_C_EV_SENT]),
		(unsigned long long)(t.c[RST_C_EV_SAMPLED] - t0->c[RST_C_EV_SAMPLED]),
		(unsigned long long)(t.c[RST_C_EV_RATELIM] - t0->c[RST_C_EV_RATELIM]),
		(unsigned long long)(t.c[RST_C_EV_RINGFULL] - t0->c[RST_C_EV_RINGFULL]),
		(unsigned long long)(t.c[RST_C_EV_FILTERED] - t0->c[RST_C_EV_FILTERED]));
}

/* Join the events: consume the ring, or subscribe to its consumer. 0 or -errno. */
static int attached_join(struct watch *w)
{
	char path[256];
	int role = consumer_join(&w->cons, &w->am);

	consumer_sock_path(&w->cons, path, sizeof(path));
	if (role == CONS_RING)
		pr_warn("reading the events of %s from its ring (no serve consumes them); "
			"publishing them on %s",
			w->cons.pin_path, path);
	else if (role == CONS_SUB)
		pr_warn("reading the events of %s from %s (consumer pid %d)", w->cons.pin_path,
			path, (int)w->cons.sub.pid);
	return role < 0 ? role : 0;
}

/*
 * A consumer that stopped may have stopped for a new attachment (serve
 * follows the pins): join that one's ring, not the old one's. XXX: a
 * watch --attached that consumes the ring itself does not notice a
 * re-made attachment; it goes on reading the old, silent ring.
 */
static void attached_follow(struct watch *w)
{
	struct rst_maps nm;

	if (pin_follow_check(w->cons.pin_path, w->am.counters) != PIN_NEW ||
	    maps_open_pinned(w->cons.pin_path, &nm))
		return;
	maps_close(&w->am);
	w->am = nm;
	w->out.flows_fd = w->am.flows; /* the class of an event: this attachment's flows */
	pr_warn("the attachment at %s was made anew; reading its events", w->cons.pin_path);
}

/* Until a signal, -c, --duration or an error: the exit status. */
static int attached_loop(struct watch *w)
{
	__u64 deadline = 0;
	int err;

	if (w->duration > 0)
		deadline = now_mono_ns() + (__u64)(w->duration * 1e9);
	while (!stop_signal) {
		err = consumer_poll(&w->cons, 100, -1, NULL);
		if (err == -EINTR)
			continue;
		if (err == -ENOTCONN) {
			pr_warn("the consumer (pid %d) stopped; joining again",
				(int)w->cons.sub.pid);
			attached_follow(w);
			if (attached_join(w))
				return EXIT_RUNTIME;
			continue;
		}
		if (err >= 0)
			err = watch_flush(w);
		if (err < 0)
			return watch_io_error(w, err);
		if (w->stop || (w->count_max && w->matched >= w->count_max))
			break;
		if (deadline && now_mono_ns() >= deadline)
			break;
	}
	return EXIT_OK;
}

/*
 * watch --attached: nothing loaded or attached; the events of the pinned
 * attachment through its one consumer (consumer.h), to the same outputs.
 */
static int watch_attached(struct watch *w, const struct watch_cfg *c)
{
	const char *pin = c->pin_path ? c->pin_path : RST_PIN_DEFAULT;
	const char *run_dir = c->run_dir;
	struct rst_totals t0 = {};
	int ret = EXIT_RUNTIME, err;

	if (c->n_if || c->metrics_at) {
		pr_warn("--attached reads the attachment's interfaces: %s is not taken with it%s",
			c->n_if ? "-i" : "--metrics",
			c->n_if ? "" : " (rsttrace serve exports the attachment)");
		return EXIT_USAGE;
	}
	if (!run_dir || !*run_dir)
		run_dir = getenv("RSTTRACE_RUN_DIR");
	if (!run_dir || !*run_dir)
		run_dir = RST_RUN_DIR_DEFAULT;
	log_setup_libbpf();
	err = maps_open_pinned(pin, &w->am);
	if (err == -ENOENT)
		pr_warn("nothing is attached at %s (rsttrace attach -i IFACE first, or give "
			"--pin-path)",
			pin);
	if (err)
		return EXIT_RUNTIME;
	counters_read(w->am.counters, &t0, NULL, 0, NULL);
	/* Wall time for -t stamps, as watch_start sets it (it was left 0: boot time). */
	w->mono_to_real = mono_to_real_offset();
	/* The attachment may trace several interfaces: name each, as tcpdump -i any. */
	w->fo.any_prefix = 1;
	consumer_init(&w->cons, pin, run_dir, FAN_QUEUE_DEFAULT, on_attached_event, w);
	stop_handlers(on_signal);
	if (output_open(&w->out, &w->oo, &w->fo, RST_SNAPLEN_MAX, w->am.flows))
		goto out;
	if (!attached_join(w))
		ret = attached_loop(w);
	consumer_leave(&w->cons);
	err = output_close(&w->out);
	if (err < 0 && ret == EXIT_OK && !w->out_err) {
		w->out_err = -err;
		ret = watch_io_error(w, err);
	}
	if (ret == EXIT_OK)
		attached_summary(w, &t0);
out:
	consumer_leave(&w->cons);
	maps_close(&w->am);
	filter_free(&w->filter);
	return ret;
}

static int do_watch(const struct watch_cfg *c)
{
	struct watch w = { .linkmon_fd = -1 };
	int ret;

	session_init(&w.s);
	anyif_init(&w.anyif);
	fate_links_init(&w.fate);
	why_maps_init(&w.out.why);
	ret = watch_prepare(&w, c);
	if (ret) {
		filter_free(&w.filter);
		return ret;
	}
	if (c->attached)
		return watch_attached(&w, c);
	log_setup_libbpf();
	if (watch_start(&w, c->metrics_at)) {
		if (!w.s.skel)
			return EXIT_RUNTIME;
		return watch_finish(&w, EXIT_RUNTIME);
	}
	return watch_finish(&w, watch_loop(&w));
}

/* -r FILE: the command line handed to the replay (offline.c); the exit status. */
static int watch_offline(const struct watch_cfg *c)
{
	struct offline_cfg oc = {
		.file = c->rfile,
		.o = c->o,
		.oo = c->oo,
		.expr = c->expr,
		.n_expr = c->n_expr,
		.count_max = c->count_max,
		.stats_json = c->stats_json,
	};

	if (c->n_if || c->metrics_at || c->duration > 0) {
		pr_warn("-r reads a file: -i, --metrics and --duration do not apply");
		return EXIT_USAGE;
	}
	if (c->ts_count > 5) {
		pr_warn("invalid -t: at most -ttttt");
		return EXIT_USAGE;
	}
	oc.fo.verbose = c->verbose;
	oc.fo.tstamp = c->ts_count;
	/* tcpdump's -e -q -x -X -A print a replayed event as a live one. */
	oc.fo.eflag = c->eflag;
	oc.fo.qflag = c->qflag;
	oc.fo.xflag = c->xflag;
	oc.fo.Xflag = c->Xflag;
	oc.fo.Aflag = c->Aflag;
	return do_offline(&oc);
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
	/* -D, as tcpdump's: the list, and nothing else. */
	if (c.list_ifaces)
		return iflist_print(stdout) ? EXIT_RUNTIME : EXIT_OK;
	c.expr = argv + first;
	c.n_expr = argc - first;
	if (c.rfile)
		return watch_offline(&c);
	return do_watch(&c);
}
