// SPDX-License-Identifier: GPL-2.0
/*
 * rsttrace serve: the Prometheus exporter of a persistent attachment. Opens
 * the pinned maps (read only in effect: it never changes them), serves
 * /metrics until SIGINT or SIGTERM, and leaves the attachment as it was.
 * When the attachment is removed and made again, the pins name new maps:
 * serve notices within SERVE_RECHECK_S and follows them.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "commands.h"
#include "log.h"
#include "options.h"
#include "privs.h"
#include "maps.h"
#include "metrics.h"
#include "persist.h"
#include "pinfollow.h"
#include "util.h"

#define SERVE_RECHECK_S 5

/* The pins name other maps than the ones served: follow them. */
static void follow_pins(struct metrics_server *srv, const char *pin, struct rst_maps *m)
{
	struct rst_maps nm;

	/* Nothing pinned (detached): keep the last maps, frozen, until re-attach. */
	if (pin_follow_check(pin, m->counters) != PIN_NEW)
		return;
	if (maps_open_pinned(pin, &nm))
		return;
	if (metrics_set_maps(srv, &nm)) {
		maps_close(&nm);
		return;
	}
	maps_close(m);
	*m = nm;
	pr_warn("the attachment at %s was made anew; exporting its maps", pin);
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

static const struct opt_cmd serve_cmd = {
	.name = "serve",
	.synopsis = "usage: rsttrace serve [--listen ADDR:PORT] [-N COUNT] [--pin-path DIR]\n",
	.sets = {
		{ serve_rows, 0 },
		{ opt_verbose_log_rows, 0 },
		{ opt_common_rows, 0 },
	},
};

/* Serve until a stop signal, following the pins. */
static void serve_loop(struct metrics_server *srv, const char *pin, struct rst_maps *m,
		       sigset_t *set)
{
	int sig;

	for (;;) {
		struct timespec ts = { .tv_sec = SERVE_RECHECK_S };

		sig = sigtimedwait(set, NULL, &ts);
		if (sig > 0)
			break;
		if (errno == EAGAIN)
			follow_pins(srv, pin, m);
	}
	pr_info("%s, stopping", strsignal(sig));
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
	struct metrics_opts mo;
	sigset_t set;
	int err;

	metrics_opts_default(&mo);
	mo.opt = "--listen";
	mo.list_attach = serve_list_attach;
	mo.top_n = c->top_n;
	mo.list_ctx = (void *)c->pin_path;
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
	 * Block the stop signals before MHD starts its threads, then wait for
	 * them here: no handler, no polling, no thread ever interrupted.
	 */
	stop_signals(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	srv = metrics_start(c->listen, &m, &mo);
	if (!srv) {
		maps_close(&m);
		return EXIT_RUNTIME;
	}
	pr_warn("exporting the attachment pinned at %s", c->pin_path);
	serve_loop(srv, c->pin_path, &m, &set);
	metrics_stop(srv);
	maps_close(&m);
	return EXIT_OK;
}

int cmd_serve(int argc, char **argv)
{
	struct serve_cfg c = { .pin_path = RST_PIN_DEFAULT };
	struct metrics_opts mo;
	int err;

	metrics_opts_default(&mo);
	c.top_n = mo.top_n;
	err = opt_parse(&serve_cmd, argc, argv, &c, NULL);
	if (err)
		return opt_exit_status(err);
	return do_serve(&c);
}
