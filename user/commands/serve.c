// SPDX-License-Identifier: GPL-2.0
/*
 * rsttrace serve: the Prometheus exporter of a persistent attachment. Opens
 * the pinned maps (read only in effect: it never changes them), serves
 * /metrics until SIGINT or SIGTERM, and leaves the attachment as it was.
 * When the attachment is removed and made again, the pins name new maps:
 * serve notices within SERVE_RECHECK_S and follows them.
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

#include "commands.h"
#include "log.h"
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

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rsttrace serve [--listen ADDR:PORT] [-N COUNT] [--pin-path DIR]\n"
		"  --listen ADDR:PORT     where to serve /metrics (default %s:%d; IPv6 as\n"
		"                         [ADDR]:PORT; a non-loopback address only when given)\n"
		"  -N COUNT               hosts with their own RST series, 0..%d (default %d);\n"
		"                         the rest are summed in host=\"other\"\n"
		"  --pin-path DIR         pins of the attachment (default %s)\n"
		"  -v                     more messages\n",
		METRICS_ADDR_DEFAULT, METRICS_PORT_DEFAULT, METRICS_TOP_MAX, METRICS_TOP_DEFAULT,
		RST_PIN_DEFAULT);
}

int cmd_serve(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "pin-path", required_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct rst_maps m = { .counters = -1,
			      .settings = -1,
			      .flows = -1,
			      .hosts = -1,
			      .buckets = -1,
			      .events = -1,
			      .reasons = -1 };
	struct metrics_server *srv = NULL;
	struct metrics_opts mo;
	const char *listen = NULL, *pin = RST_PIN_DEFAULT;
	sigset_t set;
	int opt, sig, err;

	metrics_opts_default(&mo);
	mo.opt = "--listen";
	mo.list_attach = serve_list_attach;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+N:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			if (metrics_parse_listen("--listen", optarg, NULL, NULL))
				return EXIT_USAGE;
			listen = optarg;
			break;
		case 'N':
			if (parse_u32("-N", optarg, 0, METRICS_TOP_MAX, &mo.top_n))
				return EXIT_USAGE;
			break;
		case 'P':
			if (persist_path_check(optarg))
				return EXIT_USAGE;
			pin = optarg;
			break;
		case 'v':
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
	if (optind < argc) {
		pr_warn("serve: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	mo.list_ctx = (void *)pin;
	if (check_privileges(PRIV_READ))
		return EXIT_RUNTIME;
	log_setup_libbpf();

	/* maps_open_pinned prints why it failed, except when nothing is there. */
	err = maps_open_pinned(pin, &m);
	if (err == -ENOENT)
		pr_warn("nothing is attached at %s (rsttrace attach -i IFACE first, "
			"or give --pin-path)",
			pin);
	if (err)
		return EXIT_RUNTIME;

	/*
	 * Block the stop signals before MHD starts its threads, then wait for
	 * them here: no handler, no polling, no thread ever interrupted.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	srv = metrics_start(listen, &m, &mo);
	if (!srv) {
		maps_close(&m);
		return EXIT_RUNTIME;
	}
	pr_warn("exporting the attachment pinned at %s", pin);
	for (;;) {
		struct timespec ts = { .tv_sec = SERVE_RECHECK_S };

		sig = sigtimedwait(&set, NULL, &ts);
		if (sig > 0)
			break;
		if (errno == EAGAIN)
			follow_pins(srv, pin, &m);
	}
	pr_info("%s, stopping", strsignal(sig));
	metrics_stop(srv);
	maps_close(&m);
	return EXIT_OK;
}
