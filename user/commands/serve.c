// SPDX-License-Identifier: GPL-2.0
/*
 * rsttrace serve: the Prometheus exporter of a persistent attachment. Opens
 * the pinned maps (read only in effect: it never changes them), serves
 * /metrics until SIGINT or SIGTERM, and leaves the attachment as it was.
 * When the attachment is removed and made again, the pins name new maps:
 * serve notices within SERVE_RECHECK_S and follows them.
 *
 * serve is also the consumer of the attachment's event ring (consumer.h):
 * it reads every event the kernel delivers, writes it where it was asked
 * (--json-out, -w, --syslog; rotated, bounded) and re-publishes it on the
 * run directory's socket for watch --attached. Only one process consumes:
 * a serve started beside a consuming watch --attached joins that one, and
 * takes the ring over when it leaves.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <bpf/bpf.h>

#include "classify.h"
#include "commands.h"
#include "consumer.h"
#include "iface.h"
#include "json.h"
#include "jsonfile.h"
#include "ipfix.h"
#include "log.h"
#include "options.h"
#include "privs.h"
#include "maps.h"
#include "metrics.h"
#include "output.h"
#include "persist.h"
#include "pinfollow.h"
#include "rstreason.h"
#include "rundir.h"
#include "util.h"

#define SERVE_RECHECK_S 5

/* The pins name other maps than the ones served: follow them. 1 when they changed. */
static int follow_pins(struct metrics_server *srv, const char *pin, struct rst_maps *m)
{
	struct rst_maps nm;

	/* Nothing pinned (detached): keep the last maps, frozen, until re-attach. */
	if (pin_follow_check(pin, m->counters) != PIN_NEW)
		return 0;
	if (maps_open_pinned(pin, &nm))
		return 0;
	if (metrics_set_maps(srv, &nm)) {
		maps_close(&nm);
		return 0;
	}
	maps_close(m);
	*m = nm;
	pr_warn("the attachment at %s was made anew; exporting its maps", pin);
	return 1;
}

/* rsttrace_attached_info labels of each kind of link record. */
static const struct {
	const char *hook, *mode;
} kind_labels[PK_MAX] = {
	[PK_XDP_NATIVE] = { "xdp", "native" },	   [PK_XDP_GENERIC] = { "xdp", "generic" },
	[PK_TCX_IN] = { "tc_ingress", "tcx" },	   [PK_TCX_OUT] = { "tc_egress", "tcx" },
	[PK_CLS_IN] = { "tc_ingress", "cls_bpf" }, [PK_CLS_OUT] = { "tc_egress", "cls_bpf" },
};

/*
 * The attached interfaces as the attachment records them (what `rsttrace
 * status` shows), live links only. Runs in a metrics server thread; reads
 * the pin directory without its lock, so an attach in progress may show a
 * moment late.
 */
static int serve_list_attach(void *ctx, struct metrics_attach *att, size_t max, size_t *n)
{
	const char *pin = ctx;
	struct pin_iface *ifs = NULL;
	struct persist p;
	int err, cnt = 0, i, j, k;

	*n = 0;
	persist_init(&p);
	err = persist_prepare(&p, pin, PERSIST_READ);
	if (!err)
		err = persist_list(&p, &ifs, &cnt);
	for (i = 0; !err && i < cnt; i++) {
		for (j = 0; j < ifs[i].n_links && *n < max; j++) {
			k = ifs[i].links[j].kind;
			if (!ifs[i].links[j].alive || k < 0 || k >= PK_MAX)
				continue;
			snprintf(att[*n].iface, sizeof(att[*n].iface), "%s", ifs[i].ifname);
			att[*n].hook = kind_labels[k].hook;
			att[*n].mode = kind_labels[k].mode;
			(*n)++;
		}
	}
	free(ifs);
	persist_close(&p);
	return err;
}

#define STR_(x) #x
#define STR(x)	STR_(x)

struct serve_cfg {
	const char *listen; /* NULL: METRICS_ADDR_DEFAULT:METRICS_PORT_DEFAULT */
	__u32 top_n;
	const char *pin_path;
	struct ipfix_opts ipfix; /* dest NULL: no IPFIX export (docs/ipfix.md) */
	/* The event consumer's (consumer.h) and its sinks. */
	struct output_opts oo; /* -w, -C, -W, --syslog; never stdout */
	const char *json_out;
	const char *run_dir;
	__u32 queue_len;
};

/* The sink defaults that bound the disk: -C 10 (million bytes), -W 10. */
#define SERVE_SIZE_DEFAULT  10000000ULL
#define SERVE_COUNT_DEFAULT 10

/* The consumer's side of serve: what it took and where it went. */
struct serve_events {
	const struct serve_cfg *c;
	struct rst_maps *m;
	struct consumer cons;
	struct jsonfile jf;
	struct output out;
	int json_open, out_open;
	__s64 mono_to_real;
	__u64 out_dropped; /* events -w or --syslog could not take (a write failed) */
	__u64 out_written; /* events -w and --syslog took */
	__u64 out_pending; /* of those, in -w's stdio buffer: not on the disk yet */
	int out_err;
	struct metrics_consumer mc; /* the numbers above, handed to the exporter's threads */
};

static int listen_check(const char *arg, const void *field)
{
	(void)field;
	return metrics_parse_listen("--listen", arg, NULL, NULL);
}

static const struct opt_row serve_rows[] = {
	{ .name = "listen",
	  .type = OPT_STRING,
	  .off = offsetof(struct serve_cfg, listen),
	  .check = listen_check,
	  .metavar = "ADDR:PORT",
	  .help = "where to serve /metrics (default " METRICS_ADDR_DEFAULT ":" STR(
		  METRICS_PORT_DEFAULT) "; IPv6 as\n"
					"[ADDR]:PORT; a non-loopback address only when given)" },
	{ .short_opt = 'N',
	  .type = OPT_U32,
	  .off = offsetof(struct serve_cfg, top_n),
	  .min = 0,
	  .max = METRICS_TOP_MAX,
	  .metavar = "COUNT",
	  .help = "hosts with their own RST series, 0.." STR(METRICS_TOP_MAX) " (default " STR(
		  METRICS_TOP_DEFAULT) ");\nthe rest are summed in host=\"other\"" },
	CMD_PIN_PATH_ROW(struct serve_cfg, pin_path),
	{ 0 },
};

/* The event sinks' options (output.h), as watch has them; -G is not one: unbounded. */
static int serve_output_opt(void *field, int code, const char *arg)
{
	return output_parse_opt(field, code, arg) < 0 ? -EINVAL : 0;
}

#define SERVE_OUT_ROW(lname, s, c, meta, text)                                                     \
	{                                                                                          \
		.name = lname, .short_opt = s, .type = OPT_FUNC, .off = 0, .code = c,              \
		.fn = serve_output_opt, .metavar = meta, .help = text                              \
	}

static const struct opt_row serve_event_rows[] = {
	{ .name = "json-out",
	  .type = OPT_STRING,
	  .off = offsetof(struct serve_cfg, json_out),
	  .metavar = "FILE",
	  .help = "write the events as JSON lines to FILE0, FILE1, ... (-C, -W)" },
	{ .name = "run-dir",
	  .type = OPT_STRING,
	  .off = offsetof(struct serve_cfg, run_dir),
	  .metavar = "DIR",
	  .help = "the consumer's lock and event socket (default\n$RSTTRACE_RUN_DIR, "
		  "else " RST_RUN_DIR_DEFAULT ")" },
	{ .name = "queue",
	  .type = OPT_U32,
	  .off = offsetof(struct serve_cfg, queue_len),
	  .min = 1,
	  .max = FAN_QUEUE_MAX,
	  .metavar = "N",
	  .help = "events queued for a slow subscriber before it loses\nthem (default " STR(
		  FAN_QUEUE_DEFAULT) ")" },
	{ 0 },
};

static const struct opt_row serve_out_rows[] = {
	SERVE_OUT_ROW(NULL, 'w', 'w', "FILE", "write the events' snapshots to pcap files (-C, -W)"),
	SERVE_OUT_ROW(NULL, 'C', 'C', "SIZE",
		      "a new file once the current one is over SIZE million bytes\n"
		      "(k, m, g suffix: KiB, MiB, GiB; default 10)"),
	SERVE_OUT_ROW(NULL, 'W', 'W', "N", "a ring of N files (default 10): disk use <= N x SIZE"),
	SERVE_OUT_ROW("syslog", 0, OPT_OUT_SYSLOG, NULL, "send each event's text line to syslog"),
	SERVE_OUT_ROW("syslog-facility", 0, OPT_OUT_FACILITY, "NAME",
		      "daemon (default), user, local0..local7, ..."),
	{ 0 },
};

static int ipfix_check(const char *arg, const void *field)
{
	(void)field;
	return ipfix_parse_dest("--ipfix", arg);
}

/* IPFIX export of the flows (outputs/ipfix.c, docs/ipfix.md). */
static const struct opt_row serve_ipfix_rows[] = {
	{ .name = "ipfix",
	  .type = OPT_STRING,
	  .off = offsetof(struct serve_cfg, ipfix.dest),
	  .check = ipfix_check,
	  .metavar = "HOST:PORT",
	  .help = "export the flows as IPFIX to this collector (UDP;\n"
		  "tcp://HOST:PORT for TCP, [IPV6]:PORT)" },
	{ .name = "ipfix-interval",
	  .type = OPT_SECONDS,
	  .off = offsetof(struct serve_cfg, ipfix.interval),
	  .max_sec = 86400.0,
	  .metavar = "SEC",
	  .help = "read and export the flows every SEC seconds (default 60)" },
	{ .name = "ipfix-domain",
	  .type = OPT_U32,
	  .off = offsetof(struct serve_cfg, ipfix.domain),
	  .min = 0,
	  .max = UINT32_MAX,
	  .metavar = "ID",
	  .help = "IPFIX observation domain id (default 0)" },
	{ 0 },
};

static const struct opt_cmd serve_cmd = {
	.name = "serve",
	.synopsis = "usage: rsttrace serve [--listen ADDR:PORT] [-N COUNT] [--pin-path DIR]\n"
		    "                      [--json-out FILE] [-w FILE] [-C SIZE] [-W N] [--syslog]\n"
		    "                      [--queue N] [--run-dir DIR]\n"
		    "       [--ipfix HOST:PORT [--ipfix-interval SEC] [--ipfix-domain ID]]\n",
	.sets = {
		{ serve_rows, 0 },
		{ serve_event_rows, 0 },
		{ serve_out_rows, offsetof(struct serve_cfg, oo) },
		{ serve_ipfix_rows, 0 },
		{ opt_verbose_log_rows, 0 },
		{ opt_common_rows, 0 },
	},
};

/*
 * -w writes through stdio: a record is on the disk only once its buffer
 * went out, and a failed flush (disk full) loses the records buffered
 * since the last good one. They move from written to dropped. XXX: a
 * flush that failed part way may have written some of them (a cut
 * record); they are all counted as dropped.
 */
static void serve_flush_failed(struct serve_events *se)
{
	if (!se->c->oo.wfile)
		return;
	se->out_written -= se->out_pending;
	se->out_dropped += se->out_pending;
	se->out_pending = 0;
}

/* Flush -w (and stdio's buffer of it); what a failure lost is counted. */
static void serve_flush(struct serve_events *se)
{
	int err = output_flush(&se->out);

	if (err < 0) {
		se->out_err = -err;
		serve_flush_failed(se);
	}
	se->out_pending = 0;
}

/* One event from the ring (or from the consumer serve joined) to every sink. */
static int serve_event(void *ctx, const struct rst_event *e)
{
	struct serve_events *se = ctx;
	char line[2048], namebuf[IF_NAMESIZE];
	struct timespec wall;
	const char *ifname;
	__u64 ns = e->ts_ns + se->mono_to_real;
	int len, err;

	wall.tv_sec = ns / 1000000000ULL;
	wall.tv_nsec = ns % 1000000000ULL;
	ifname = iface_name(e->ifindex, namebuf);
	if (se->json_open) {
		struct json_info ji = {
			.ifname = ifname,
			.wall = &wall,
			.class = classify_event(se->m->flows, e),
			.reason = rst_reason_name(e->reason),
			.state = rst_state_name(e->sk_state),
		};

		len = json_event(line, sizeof(line), e, &ji);
		if (len > 0)
			jsonfile_write(&se->jf, line, (size_t)len); /* a failure is counted there */
	}
	if (se->out_open) {
		/* A sink that fails drops this event, counted; serve goes on with the next. */
		err = output_event(&se->out, e, ifname, &wall);
		if (err < 0) {
			if (!se->out_err)
				pr_warn("writing events: %s; they are dropped and counted",
					strerror(-err));
			se->out_err = -err;
			se->out_dropped++;
			serve_flush_failed(se);
		} else {
			se->out_written++;
			se->out_pending++;
		}
	}
	return 0;
}

/*
 * The consumer's and the sinks' numbers to the exporter (metrics_consumer.h).
 * Only pcap writes fail: syslog(3) reports nothing, so its drops stay 0.
 */
static void serve_publish(struct serve_events *se)
{
	struct metrics_cons_stats st = {};

	consumer_stats(&se->cons, &st);
	if (se->json_open) {
		st.sink_on[METRICS_SINK_JSON] = 1;
		st.sink_written[METRICS_SINK_JSON] = se->jf.written;
		st.sink_dropped[METRICS_SINK_JSON] = se->jf.dropped;
	}
	if (se->out_open && se->c->oo.wfile) {
		st.sink_on[METRICS_SINK_PCAP] = 1;
		st.sink_written[METRICS_SINK_PCAP] = se->out_written;
		st.sink_dropped[METRICS_SINK_PCAP] = se->out_dropped;
	}
	if (se->out_open && se->c->oo.syslog) {
		st.sink_on[METRICS_SINK_SYSLOG] = 1;
		st.sink_written[METRICS_SINK_SYSLOG] = se->out.logged;
	}
	metrics_consumer_publish(&se->mc, &st);
}

/*
 * Consume the ring or join its consumer: 0, or -errno when it cannot be
 * tried again (a run directory refused at start). Later failures (a
 * consumer of another ring, one that does not answer yet) are tried again
 * at the next recheck, and serve goes on exporting meanwhile.
 */
static int serve_join(struct serve_events *se, int first)
{
	char path[256];
	int role = consumer_join(&se->cons, se->m);

	consumer_sock_path(&se->cons, path, sizeof(path));
	if (role == CONS_RING)
		pr_warn("consuming the events of %s; publishing them on %s", se->c->pin_path, path);
	else if (role == CONS_SUB)
		pr_warn("the events of %s are consumed by pid %d: receiving them from %s",
			se->c->pin_path, (int)se->cons.sub.pid, path);
	/* Held by a consumer that does not answer (yet): tried again later. */
	return first && role < 0 && role != -EBUSY && role != -ESTALE ? role : 0;
}

/*
 * Serve until a stop signal, following the pins and consuming the events;
 * x (if any) exports the flows when due.
 */
static int serve_loop(struct metrics_server *srv, struct serve_events *se, int sig_fd,
		      struct ipfix_exporter *x)
{
	__u64 recheck = now_mono_ns() + SERVE_RECHECK_S * 1000000000ULL;
	struct signalfd_siginfo si = {};
	int n, ready;

	for (;;) {
		n = consumer_poll(&se->cons, 100, sig_fd, &ready);
		if (ready && read(sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			break;
		if (n == -ENOTCONN) {
			pr_warn("the consumer serve received events from (pid %d) stopped",
				(int)se->cons.sub.pid);
			serve_join(se, 0);
		}
		if (se->out_open)
			serve_flush(se);
		/* At most 100 ms old, as the poll wakes: a scrape reads a whole copy. */
		serve_publish(se);
		/* The poll wakes every 100 ms: an export is at most that late. */
		if (x && !ipfix_due_ms(x))
			ipfix_tick(x, se->m->flows);
		if (now_mono_ns() < recheck)
			continue;
		recheck = now_mono_ns() + SERVE_RECHECK_S * 1000000000ULL;
		/* New maps are a new ring: consumed from its start, by whoever locks first. */
		if (follow_pins(srv, se->c->pin_path, se->m)) {
			se->out.flows_fd = se->m->flows; /* the old fd was closed */
			serve_join(se, 0);
		} else if (se->cons.role == CONS_NONE) {
			serve_join(se, 0);
		}
	}
	pr_info("%s, stopping", strsignal((int)si.ssi_signo));
	return 0;
}

/* The sinks asked for; 0 or -errno (printed). */
static int serve_sinks_open(struct serve_events *se)
{
	struct output_opts oo = se->c->oo;
	struct fmt_opts fo = {};
	int err;

	if (!oo.size_limit)
		oo.size_limit = SERVE_SIZE_DEFAULT;
	if (!oo.file_count)
		oo.file_count = SERVE_COUNT_DEFAULT;
	if (se->c->json_out) {
		err = jsonfile_open(&se->jf, se->c->json_out, oo.size_limit, oo.file_count);
		if (err)
			return err;
		se->json_open = 1;
	}
	if (oo.wfile || oo.syslog) {
		/* -w and --syslog only: output_open never takes stdout for a serve. */
		if (!oo.wfile)
			oo.size_limit = oo.file_count = 0;
		fo.tstamp = TS_NONE;
		err = output_open(&se->out, &oo, &fo, RST_SNAPLEN_MAX, se->m->flows);
		if (err)
			return err;
		se->out_open = 1;
	}
	return 0;
}

/* What was consumed and lost, at exit: one line per sink that dropped. */
static void serve_events_close(struct serve_events *se)
{
	struct fanout_pub *p = &se->cons.pub;
	__u64 lost = p->lost_gone;
	int i;

	for (i = 0; i < p->n_peers; i++)
		lost += p->peers[i].lost;
	pr_info("%llu events consumed; subscribers lost %llu (their queues were full)",
		(unsigned long long)se->cons.received, (unsigned long long)lost);
	consumer_leave(&se->cons);
	if (se->json_open) {
		if (se->jf.dropped)
			pr_warn("--json-out: %llu events dropped (%s)",
				(unsigned long long)se->jf.dropped, strerror(se->jf.err));
		jsonfile_close(&se->jf);
	}
	if (se->out_open) {
		serve_flush(se); /* the last buffer's losses in the count said */
		if (se->out_dropped)
			pr_warn("-w/--syslog: %llu events dropped (%s)",
				(unsigned long long)se->out_dropped, strerror(se->out_err));
		output_close(&se->out);
	}
}

static int do_serve(const struct serve_cfg *c)
{
	struct rst_maps m = { .counters = -1,
			      .settings = -1,
			      .flows = -1,
			      .hosts = -1,
			      .events = -1,
			      .reasons = -1 };
	struct metrics_server *srv = NULL;
	struct ipfix_exporter *x = NULL;
	struct serve_events se = { .c = c, .m = &m };
	struct metrics_opts mo;
	int err, sig_fd, ret = EXIT_RUNTIME;
	sigset_t set;

	metrics_opts_default(&mo);
	mo.opt = "--listen";
	mo.list_attach = serve_list_attach;
	mo.top_n = c->top_n;
	mo.list_ctx = (void *)c->pin_path;
	mo.consumer = &se.mc;
	metrics_consumer_init(&se.mc);
	if (check_privileges(PRIV_READ))
		return EXIT_RUNTIME;
	log_setup_libbpf();

	/* maps_open_pinned prints why it failed, except when nothing is there. */
	err = maps_open_pinned(c->pin_path, &m);
	if (err == -ENOENT)
		pr_warn("nothing is attached at %s (rsttrace attach -i IFACE first, "
			"or give --pin-path)",
			c->pin_path);
	if (err)
		return EXIT_RUNTIME;

	/*
	 * Block the stop signals before MHD starts its threads, then take
	 * them here from a signalfd: no handler, no thread ever interrupted.
	 */
	stop_signals(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sig_fd < 0) {
		pr_warn("signalfd: %s", strerror(errno));
		maps_close(&m);
		return EXIT_RUNTIME;
	}
	consumer_init(&se.cons, c->pin_path, c->run_dir, c->queue_len, serve_event, &se);
	se.mono_to_real = mono_to_real_offset();
	if (serve_sinks_open(&se))
		goto out;

	srv = metrics_start(c->listen, &m, &mo);
	if (!srv)
		goto out;
	pr_warn("exporting the attachment pinned at %s", c->pin_path);
	if (c->ipfix.dest) {
		x = ipfix_open(&c->ipfix);
		if (!x) {
			metrics_stop(srv);
			goto out;
		}
		pr_warn("exporting its flows as IPFIX to %s", c->ipfix.dest);
	}
	if (!serve_join(&se, 1) && !serve_loop(srv, &se, sig_fd, x))
		ret = EXIT_OK;
	/* The flows not ended yet go out as "forced end" (docs/ipfix.md). */
	ipfix_close(x, m.flows);
	metrics_stop(srv);
out:
	serve_events_close(&se);
	close(sig_fd);
	maps_close(&m);
	metrics_consumer_destroy(&se.mc); /* the exporter's threads are stopped */
	return ret;
}

int cmd_serve(int argc, char **argv)
{
	struct serve_cfg c = { .pin_path = RST_PIN_DEFAULT, .queue_len = FAN_QUEUE_DEFAULT };
	struct metrics_opts mo;
	int err;

	metrics_opts_default(&mo);
	c.top_n = mo.top_n;
	output_opts_default(&c.oo);
	c.run_dir = getenv("RSTTRACE_RUN_DIR");
	if (!c.run_dir || !*c.run_dir)
		c.run_dir = RST_RUN_DIR_DEFAULT;
	err = opt_parse(&serve_cmd, argc, argv, &c, NULL);
	if (err)
		return opt_exit_status(err);
	if (c.oo.rotate_secs) {
		pr_warn("serve: -G is not taken (a ring of files by size keeps the disk bounded)");
		return EXIT_USAGE;
	}
	if ((c.oo.size_limit || c.oo.file_count) && !c.oo.wfile && !c.json_out) {
		pr_warn("%s needs -w FILE or --json-out FILE", c.oo.size_limit ? "-C" : "-W");
		return EXIT_USAGE;
	}
	if (c.oo.wfile && !strcmp(c.oo.wfile, "-")) {
		pr_warn("serve: -w - (standard output) is not taken; name a file");
		return EXIT_USAGE;
	}
	return do_serve(&c);
}
