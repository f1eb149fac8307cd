// SPDX-License-Identifier: GPL-2.0
/*
 * rsttrace attach / detach / set: the persistent attachment. attach loads
 * the programs once and pins programs, maps and links (see persist.h for
 * the layout); later attaches reuse the pinned programs and maps, so the
 * counters are global across interfaces. detach removes exactly the links
 * it is asked to, and with the last interface the programs and maps. set
 * changes sampling and rate limit of the running attachment in place.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "attach.h"
#include "commands.h"
#include "iface.h"
#include "loader.h"
#include "log.h"
#include "privs.h"
#include "persist.h"
#include "tracing.h"
#include "util.h"
#include "rsttrace.skel.h"

#define ATTACH_MAX_IFACES 64

enum {
	OPT_PIN_PATH = OPT_DATAPATH_LAST + 1,
	OPT_ALL,
	OPT_EVENTS,
};

/* Load-time options given on the command line (bits of given_load). */
enum {
	GIVEN_SNAPLEN = 1 << 0,
	GIVEN_FLOWS = 1 << 1,
	GIVEN_HOSTS = 1 << 2,
	GIVEN_RING = 1 << 3,
};

/*
 * Ctrl-C, SIGTERM and SIGHUP wait while the pins change: they are then
 * delivered, with their default action, once the pins are consistent
 * (an interface half pinned would pass for attached with a hook missing).
 */
static void signals_hold(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, old);
}

static struct bpf_map *skel_map(struct rsttrace *s, int which)
{
	switch (which) {
	case PM_COUNTERS:
		return s->maps.counters;
	case PM_SETTINGS:
		return s->maps.settings;
	case PM_FLOWS:
		return s->maps.flows;
	case PM_HOSTS:
		return s->maps.hosts;
	case PM_BUCKETS:
		return s->maps.buckets;
	case PM_REASONS:
		return s->maps.reasons;
	default:
		return s->maps.events;
	}
}

static int skel_prog_fd(struct rsttrace *s, int which)
{
	if (which == PP_XDP)
		return bpf_program__fd(s->progs.rst_xdp);
	if (which == PP_TC_IN)
		return bpf_program__fd(s->progs.rst_tc_ingress);
	return bpf_program__fd(s->progs.rst_tc_egress);
}

/* First attach: load, pin everything, meta last. */
static int load_fresh(struct persist *p, const struct rst_opts *o)
{
	struct rst_pin_meta meta = {
		.magic = RST_PIN_MAGIC,
		.abi_version = RST_ABI_VERSION,
		.size = sizeof(meta),
		.created_ns = now_real_ns(),
		.snaplen = o->snaplen,
		.max_flows = o->max_flows,
		.max_hosts = o->max_hosts,
		.ring_size = o->ring_size,
	};
	int prog_fds[PP_MAX], map_fds[PM_MAX], i, err;
	struct rsttrace *skel;

	snprintf(meta.version, sizeof(meta.version), "%s", RST_VERSION);
	skel = loader_open_load(o);
	if (!skel)
		return -errno;
	for (i = 0; i < PP_MAX; i++)
		prog_fds[i] = skel_prog_fd(skel, i);
	for (i = 0; i < PM_MAX; i++)
		map_fds[i] = bpf_map__fd(skel_map(skel, i));
	err = persist_create(p, prog_fds, map_fds, tracing_prog_fd(skel->obj), &meta);
	if (!err)
		err = persist_open_objects(p, 0);
	rsttrace__destroy(skel); /* the pins hold what we need */
	return err;
}

/*
 * Programs gone from the pins while the maps stay (someone removed them
 * by hand, and no link holds them): load them again on the same maps, so
 * the counters carry on, and pin them.
 */
static int load_reusing(struct persist *p)
{
	struct rsttrace *skel;
	int i, err;

	skel = rsttrace__open();
	if (!skel)
		return -errno;
	skel->rodata->snaplen = p->meta.snaplen;
	/* With the tracing program only if its pin is missing too and the kernel has it. */
	if (p->trace_fd >= 0)
		tracing_disable(skel->obj);
	else
		tracing_configure(skel->obj);
	for (i = 0; i < PM_MAX; i++) {
		struct bpf_map_info mi = {};
		__u32 len = sizeof(mi);

		if (bpf_obj_get_info_by_fd(*maps_slot(&p->maps, i), &mi, &len) ||
		    bpf_map__set_max_entries(skel_map(skel, i), mi.max_entries) ||
		    bpf_map__reuse_fd(skel_map(skel, i), *maps_slot(&p->maps, i))) {
			err = -errno;
			goto out;
		}
	}
	/* The programs index the pinned tables: their masks follow the pinned sizes. */
	loader_size_tables(skel, bpf_map__max_entries(skel->maps.hosts),
			   bpf_map__max_entries(skel->maps.flows));
	err = rsttrace__load(skel);
	for (i = 0; !err && i < PP_MAX; i++) {
		if (p->prog_fd[i] >= 0)
			continue;
		err = persist_pin(p, "progs", pin_prog_names[i], skel_prog_fd(skel, i));
	}
	if (!err && p->trace_fd < 0 && tracing_prog_fd(skel->obj) >= 0)
		err = persist_pin(p, "progs", RST_TRACE_PROG, tracing_prog_fd(skel->obj));
	if (!err) {
		pr_info("reloaded the programs missing from %s on its maps", p->path);
		err = persist_open_objects(p, 0);
	}
out:
	if (err)
		pr_warn("reloading the programs of %s: %s; `rsttrace detach --all "
			"--pin-path %s` starts over",
			p->path, strerror(-err), p->path);
	rsttrace__destroy(skel);
	return err;
}

static int read_settings(struct persist *p, struct rst_config *cfg)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(p->maps.settings, &zero, cfg)) {
		pr_warn("reading the settings map: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/* A later attach cannot change what the pinned programs were loaded with: say so. */
static void warn_ignored(struct persist *p, const struct rst_opts *o, int given_load)
{
	static const char *const hint = "`rsttrace detach --all` first to change it";
	struct rst_config cfg;

	if ((given_load & GIVEN_SNAPLEN) && o->snaplen != p->meta.snaplen)
		pr_warn("--snaplen %u ignored: the pinned programs use %u; %s", o->snaplen,
			p->meta.snaplen, hint);
	if ((given_load & GIVEN_FLOWS) && o->max_flows != p->meta.max_flows)
		pr_warn("--max-flows %u ignored: the pinned map holds %u; %s", o->max_flows,
			p->meta.max_flows, hint);
	if ((given_load & GIVEN_HOSTS) && o->max_hosts != p->meta.max_hosts)
		pr_warn("--max-hosts %u ignored: the pinned map holds %u; %s", o->max_hosts,
			p->meta.max_hosts, hint);
	if ((given_load & GIVEN_RING) && o->ring_size != p->meta.ring_size)
		pr_warn("--ring-size %u ignored: the pinned ring has %u bytes; %s", o->ring_size,
			p->meta.ring_size, hint);
	if (read_settings(p, &cfg))
		return;
	if ((o->set_sample && o->sample != (cfg.sample ? cfg.sample : 1)) ||
	    (o->set_rate && o->rate_limit != cfg.rate_limit) ||
	    (o->set_burst && o->burst != cfg.burst))
		pr_warn("--sample/--rate-limit/--burst ignored: the attachment exists; "
			"change them with `rsttrace set`");
}

static int pin_one(struct persist *p, const char *rel, const char *name, int fd, char pinned[][64],
		   int *n)
{
	int err = persist_pin(p, rel, name, fd);

	if (!err)
		snprintf(pinned[(*n)++], 64, "%s", name);
	return err;
}

/*
 * Pin what attach_iface made on l into PIN/links/DIR (which may exist:
 * a repair); undo all on failure.
 */
static int pin_links(struct persist *p, struct rst_link *l, const char *dirname,
		     const int prog_fd[PP_MAX])
{
	char rel[IF_NAMESIZE + 64], name[64], pinned[PIN_LINKS_MAX][64];
	int n = 0, err = 0, d, i;

	snprintf(rel, sizeof(rel), "links/%s", dirname);
	err = persist_mkdirs(p);
	if (err)
		goto fail;
	if (l->xdp_fd >= 0)
		err = pin_one(p, rel,
			      l->xdp_flags & XDP_FLAGS_DRV_MODE ? "xdp_native" : "xdp_generic",
			      l->xdp_fd, pinned, &n);
	for (d = 0; !err && d < 2; d++) {
		if (l->tc_fd[d] >= 0) {
			err = pin_one(p, rel, d == RST_DIR_IN ? "tcx_in" : "tcx_out", l->tc_fd[d],
				      pinned, &n);
		} else if (l->legacy[d]) {
			/* A filter has no link to pin: pin its program as the record. */
			snprintf(name, sizeof(name), "cls_%s-%u-%u%s",
				 d == RST_DIR_IN ? "in" : "out", l->legacy_prio[d],
				 l->legacy_handle[d], l->legacy_qdisc ? "-q" : "");
			err = pin_one(p, rel, name, prog_fd[d == RST_DIR_IN ? PP_TC_IN : PP_TC_OUT],
				      pinned, &n);
		}
	}
	if (err)
		goto fail;
	/* The pins hold the links now; our fds can go. */
	if (l->xdp_fd >= 0)
		close(l->xdp_fd);
	for (d = 0; d < 2; d++)
		if (l->tc_fd[d] >= 0)
			close(l->tc_fd[d]);
	return 0;
fail:
	detach_iface(l);
	for (i = 0; i < n; i++)
		persist_unpin(p, rel, pinned[i]);
	persist_rmdir(p, rel); /* only when empty: a repaired record keeps its live links */
	return err;
}

/* rmdir fails on a directory that holds anything: only empty ones go. */
static void remove_empty_dirs(const struct persist *p)
{
	static const char *const sub[] = { "links", "maps", "progs", "trace" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sub); i++)
		persist_rmdir(p, sub[i]);
	persist_rmdir(p, "");
}

/*
 * Whether a record of list is live on ifindex of this netns: by index, not
 * name, so an interface renamed since its attach is still recognised.
 */
static int live_record(const struct pin_iface *pi, __u32 ifindex, __u64 netns)
{
	return pi->netns == netns && pi->ifindex == ifindex && !pi->gone;
}

static int already_attached(const struct pin_iface *list, int n, __u32 ifindex, __u64 netns)
{
	int j;

	for (j = 0; j < n; j++)
		if (live_record(&list[j], ifindex, netns))
			return 1;
	return 0;
}

static void describe(const struct rst_link *l, const char *path)
{
	char what[96] = "";
	size_t n = 0;

	if (l->xdp_fd >= 0)
		n += snprintf(what + n, sizeof(what) - n, "in: xdp %s",
			      xdp_mode_name(l->xdp_flags));
	if (l->tc_fd[RST_DIR_IN] >= 0 || l->legacy[RST_DIR_IN])
		n += snprintf(what + n, sizeof(what) - n, "in: %s",
			      l->legacy[RST_DIR_IN] ? "cls_bpf" : "tcx");
	if (l->tc_fd[RST_DIR_OUT] >= 0 || l->legacy[RST_DIR_OUT])
		n += snprintf(what + n, sizeof(what) - n, "%sout: %s", n ? ", " : "",
			      l->legacy[RST_DIR_OUT] ? "cls_bpf" : "tcx");
	printf("%s: attached (%s), pinned under %s\n", ESC(l->ifname), what, ESC(path));
}

static void describe_existing(const struct pin_iface *pi, const char *asked)
{
	char what[96] = "";
	size_t n = 0;
	int i;

	for (i = 0; i < pi->n_links; i++) {
		const struct pin_link *pl = &pi->links[i];
		const char *mode = pin_kind_mode(pl->kind);

		n += snprintf(what + n, sizeof(what) - n, "%s%s: %s%s%s", n ? ", " : "",
			      pin_kind_dir(pl->kind), pin_kind_hook(pl->kind), mode ? " " : "",
			      mode ? mode : "");
	}
	if (strcmp(asked, pi->ifname))
		printf("%s: already attached, as %s before a rename (%s); nothing changed\n",
		       ESC(asked), ESC(pi->ifname), what);
	else
		printf("%s: already attached (%s); nothing changed\n", ESC(pi->ifname), what);
}

/*
 * A tool that attached since with BPF_F_BEFORE runs before our tcx links:
 * say so at every attach that finds the interface attached already.
 */
static void warn_tcx_order(const struct pin_iface *pi, const char *ifname, __u32 ifindex)
{
	int i;

	for (i = 0; i < pi->n_links; i++)
		if ((pi->links[i].kind == PK_TCX_IN || pi->links[i].kind == PK_TCX_OUT) &&
		    pi->links[i].alive)
			tcx_check_order(ifname, ifindex,
					pi->links[i].kind == PK_TCX_IN ? RST_DIR_IN : RST_DIR_OUT,
					pi->links[i].prog_id);
}

/* Copy into l what part made (one direction; the rest of part is empty). */
static void link_merge(struct rst_link *l, const struct rst_link *part, int d)
{
	if (part->xdp_fd >= 0) {
		l->xdp_fd = part->xdp_fd;
		l->xdp_flags = part->xdp_flags;
	}
	l->tc_fd[d] = part->tc_fd[d];
	l->legacy[d] = part->legacy[d];
	l->legacy_prio[d] = part->legacy_prio[d];
	l->legacy_handle[d] = part->legacy_handle[d];
	l->legacy_qdisc |= part->legacy_qdisc;
}

/*
 * An attached record that is not whole: a link of it dead (detached by
 * another tool, `bpftool link detach`, or a detach killed between
 * detaching and unpinning), or a direction this attach asks for missing
 * (an attach killed between pinning one link and the next). Re-create the
 * dead links with the hook and mode they had, add the missing ones as o
 * asks, keep the live ones; "already attached" is said only of a whole
 * record. *changed says whether anything was made.
 */
static int repair_iface(struct persist *p, const struct pin_iface *pi, const char *ifname,
			__u32 ifindex, const struct rst_opts *o, const struct rst_progs *progs,
			int *changed)
{
	const struct pin_link *have[2] = { NULL, NULL };
	struct rst_link l, part;
	struct rst_opts one;
	int d, i, err, made = 0;

	*changed = 0;
	for (i = 0; i < pi->n_links; i++) {
		const struct pin_link *pl = &pi->links[i];

		d = strcmp(pin_kind_dir(pl->kind), "out") ? RST_DIR_IN : RST_DIR_OUT;
		if (!have[d] || pl->alive)
			have[d] = pl;
	}
	link_init(&l, ifname, ifindex);
	for (d = 0; d < 2; d++) {
		const struct pin_link *pl = have[d];

		if ((pl && pl->alive) || (!pl && !(o->dirs & (1 << d))))
			continue;
		one = *o;
		one.dirs = 1 << d;
		if (pl && pl->kind <= PK_XDP_GENERIC) {
			one.ingress_hook = RST_HOOK_XDP;
			one.xdp_mode = pl->kind == PK_XDP_NATIVE ? XDPM_NATIVE : XDPM_GENERIC;
		} else if (pl && d == RST_DIR_IN) {
			one.ingress_hook = RST_HOOK_TC_INGRESS;
		}
		link_init(&part, ifname, ifindex);
		err = attach_iface(&part, progs, &one);
		if (err) {
			detach_iface(&l);
			return err;
		}
		link_merge(&l, &part, d);
		made = 1;
		pr_warn("%s: repaired: %s %s link was %s", ifname,
			d == RST_DIR_IN && part.xdp_fd >= 0 ? "xdp"
			: part.legacy[d]		    ? "cls_bpf"
							    : "tcx",
			d == RST_DIR_IN ? "in" : "out", pl ? "dead" : "missing");
	}
	if (!made)
		return 0;
	/* The dead pins make way for the new links (only what rsttrace pinned there goes). */
	for (d = 0; d < 2; d++) {
		if (have[d] && !have[d]->alive) {
			err = persist_unpin_link(p, pi, have[d]);
			if (err) {
				detach_iface(&l);
				return err;
			}
		}
	}
	err = pin_links(p, &l, pi->dir, p->prog_fd);
	if (err)
		return err;
	*changed = 1;
	describe(&l, p->path);
	return 0;
}

static void attach_usage(FILE *f)
{
	fprintf(f, "usage: rsttrace attach -i IFACE... [options]\n"
		   "  -i IFACE               interface to attach to (repeatable)\n"
		   "  --pin-path DIR         where to pin (default " RST_PIN_DEFAULT ")\n"
		   "  -v                     more messages\n" DATAPATH_USAGE
		   "Programs and maps are loaded by the first attach and reused by later ones;\n"
		   "load-time options (--snaplen, --max-*, --ring-size) apply to the first only.\n"
		   "Change sampling and rate limit later with `rsttrace set`.\n");
}

int cmd_attach(int argc, char **argv)
{
	static const struct option longopts[] = {
		DATAPATH_LONGOPTS,
		{ "interface", required_argument, NULL, 'i' },
		{ "pin-path", required_argument, NULL, OPT_PIN_PATH },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *ifnames[ATTACH_MAX_IFACES], *pin_path = RST_PIN_DEFAULT;
	char dirs[ATTACH_MAX_IFACES][IF_NAMESIZE + 48];
	__u32 ifindex[ATTACH_MAX_IFACES];
	struct pin_iface *list = NULL;
	struct rst_progs progs;
	struct persist p;
	struct rst_opts o;
	sigset_t sigs;
	int n_if = 0, n_done = 0, n_list = 0, given_load = 0, fresh = 0;
	int opt, err, i, j, ret = EXIT_RUNTIME;
	__u64 netns;

	opts_default(&o);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+i:vh", longopts, NULL)) != -1) {
		err = opts_parse_datapath(&o, opt, optarg);
		if (err < 0)
			return EXIT_USAGE;
		if (err > 0) {
			given_load |= opt == OPT_SNAPLEN     ? GIVEN_SNAPLEN
				      : opt == OPT_MAX_FLOWS ? GIVEN_FLOWS
				      : opt == OPT_MAX_HOSTS ? GIVEN_HOSTS
				      : opt == OPT_RING_SIZE ? GIVEN_RING
							     : 0;
			continue;
		}
		switch (opt) {
		case 'i':
			if (n_if >= ATTACH_MAX_IFACES) {
				pr_warn("too many interfaces (at most %d)", ATTACH_MAX_IFACES);
				return EXIT_USAGE;
			}
			ifnames[n_if++] = optarg;
			break;
		case OPT_PIN_PATH:
			if (persist_path_check(optarg))
				return EXIT_USAGE;
			pin_path = optarg;
			break;
		case 'v':
			log_set_level(log_level + 1);
			break;
		case 'h':
			attach_usage(stdout);
			return EXIT_OK;
		default:
			attach_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		pr_warn("attach: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (!n_if) {
		pr_warn("attach: name at least one interface with -i");
		return EXIT_USAGE;
	}
	if (check_privileges(PRIV_LOAD))
		return EXIT_RUNTIME;
	/* Down interfaces are fine: a persistent attachment waits for them. */
	for (i = 0; i < n_if; i++) {
		err = iface_resolve(ifnames[i], &ifindex[i], 1);
		if (err)
			return EXIT_USAGE;
		for (j = 0; j < i; j++) {
			if (ifindex[j] == ifindex[i]) {
				pr_warn("interface %s given twice", ifnames[i]);
				return EXIT_USAGE;
			}
		}
	}
	netns = netns_self();
	log_setup_libbpf();

	signals_hold(&sigs);
	persist_init(&p);
	if (persist_prepare(&p, pin_path, PERSIST_CREATE) || persist_lock(&p))
		goto out;
	err = persist_read_meta(&p);
	if (err && err != -ENOENT)
		goto out;
	if (!err) {
		if (persist_open_objects(&p, 1) || persist_list(&p, &list, &n_list))
			goto out;
	}
	/* Another tool's XDP program: refuse before loading anything (attach_iface checks again). */
	if (o.dirs & DIR_IN && o.ingress_hook == RST_HOOK_XDP) {
		for (i = 0; i < n_if; i++)
			if (!already_attached(list, n_list, ifindex[i], netns) &&
			    xdp_hook_check(ifnames[i], ifindex[i]))
				goto out;
	}
	free(list);
	list = NULL;
	n_list = 0;
	if (err == -ENOENT) {
		if (persist_clean_partial(&p))
			goto out;
		if (load_fresh(&p, &o)) {
			persist_remove_objects(&p);
			goto out;
		}
		fresh = 1;
	} else {
		if ((p.prog_fd[PP_XDP] < 0 || p.prog_fd[PP_TC_IN] < 0 ||
		     p.prog_fd[PP_TC_OUT] < 0) &&
		    load_reusing(&p))
			goto out;
		warn_ignored(&p, &o, given_load);
	}
	pr_debug("%s programs: xdp %u, tc-in %u, tc-out %u", fresh ? "loaded" : "reusing pinned",
		 p.prog_id[PP_XDP], p.prog_id[PP_TC_IN], p.prog_id[PP_TC_OUT]);
	progs.xdp = p.prog_fd[PP_XDP];
	progs.tc_in = p.prog_fd[PP_TC_IN];
	progs.tc_out = p.prog_fd[PP_TC_OUT];

	if (persist_list(&p, &list, &n_list))
		goto rollback;
	ret = EXIT_OK;
	for (i = 0; i < n_if && ret == EXIT_OK; i++) {
		struct rst_link l;
		int already = 0;

		for (j = 0; j < n_list && ret == EXIT_OK; j++) {
			struct pin_iface *pi = &list[j];
			int changed;

			if (live_record(pi, ifindex[i], netns)) {
				already = 1;
				if (repair_iface(&p, pi, ifnames[i], ifindex[i], &o, &progs,
						 &changed))
					ret = EXIT_RUNTIME;
				else if (!changed)
					describe_existing(pi, ifnames[i]);
				if (ret == EXIT_OK)
					warn_tcx_order(pi, ifnames[i], ifindex[i]);
			} else if (!strcmp(pi->ifname, ifnames[i]) && pi->netns == netns &&
				   pi->gone) {
				/* The interface was deleted (and maybe made again). */
				pr_info("%s: removing the record of its deleted "
					"predecessor (ifindex %u)",
					ifnames[i], pi->ifindex);
				persist_remove_iface(&p, pi);
			}
		}
		if (already || ret != EXIT_OK)
			continue;
		link_init(&l, ifnames[i], ifindex[i]);
		if (attach_iface(&l, &progs, &o)) {
			ret = EXIT_RUNTIME;
			break;
		}
		persist_iface_dirname(dirs[n_done], sizeof(dirs[n_done]), ifnames[i], netns,
				      ifindex[i]);
		if (pin_links(&p, &l, dirs[n_done], p.prog_fd)) {
			ret = EXIT_RUNTIME;
			break;
		}
		n_done++;
		describe(&l, p.path);
	}
	/* The kernel's reasons are for RSTs sent here: with egress traced. Optional. */
	if (ret == EXIT_OK && (o.dirs & DIR_OUT) && !persist_trace_attach(&p) && p.trace_fd >= 0)
		pr_info("kernel reset reasons: tcp_send_reset traced, pinned under "
			"%s/trace",
			p.path);

rollback:
	free(list);
	list = NULL;
	n_list = 0;
	if (ret != EXIT_OK) {
		/* All or nothing: undo what this call attached. */
		if (!persist_list(&p, &list, &n_list)) {
			for (i = 0; i < n_list; i++)
				for (j = 0; j < n_done; j++)
					if (!strcmp(list[i].dir, dirs[j]))
						persist_remove_iface(&p, &list[i]);
			free(list);
			list = NULL;
		}
		if (n_done)
			pr_warn("attach failed; detached the %d interface%s this call "
				"had attached",
				n_done, n_done == 1 ? "" : "s");
		if (!persist_list(&p, &list, &n_list) && n_list == 0)
			persist_remove_objects(&p); /* nothing attached: leave no pins */
	}
out:
	free(list);
	if (ret != EXIT_OK && !p.have_meta && p.path[0])
		remove_empty_dirs(&p); /* what persist_prepare made for nothing */
	persist_close(&p);
	fflush(stdout);
	sigprocmask(SIG_SETMASK, &sigs, NULL);
	return ret;
}

static void detach_usage(FILE *f)
{
	fprintf(f, "usage: rsttrace detach -i IFACE... | --all [--pin-path DIR]\n"
		   "  -i IFACE          remove rsttrace's links from IFACE (repeatable)\n"
		   "  --all             remove every link and pin rsttrace made under DIR\n"
		   "  --pin-path DIR    default " RST_PIN_DEFAULT "\n"
		   "Detaching the last interface also unpins the programs and maps.\n");
}

int cmd_detach(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "pin-path", required_argument, NULL, OPT_PIN_PATH },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *ifnames[ATTACH_MAX_IFACES], *pin_path = RST_PIN_DEFAULT;
	struct pin_iface *list = NULL;
	int n_if = 0, all = 0, n_list = 0, opt, i, j, err, ret = EXIT_RUNTIME;
	struct persist p;
	char nsname[64];
	sigset_t sigs;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+i:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			if (n_if >= ATTACH_MAX_IFACES) {
				pr_warn("too many interfaces (at most %d)", ATTACH_MAX_IFACES);
				return EXIT_USAGE;
			}
			ifnames[n_if++] = optarg;
			break;
		case OPT_ALL:
			all = 1;
			break;
		case OPT_PIN_PATH:
			if (persist_path_check(optarg))
				return EXIT_USAGE;
			pin_path = optarg;
			break;
		case 'v':
			log_set_level(log_level + 1);
			break;
		case 'h':
			detach_usage(stdout);
			return EXIT_OK;
		default:
			detach_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		pr_warn("detach: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (!n_if == !all) {
		pr_warn("detach: give either -i IFACE... or --all");
		return EXIT_USAGE;
	}
	if (check_privileges(PRIV_DETACH))
		return EXIT_RUNTIME;
	log_setup_libbpf();

	signals_hold(&sigs);
	persist_init(&p);
	err = persist_prepare(&p, pin_path, PERSIST_READ);
	if (err == -ENOENT) {
		printf("nothing attached (no pins under %s)\n", ESC(p.path));
		ret = EXIT_OK;
		goto out;
	}
	if (!err)
		err = persist_lock(&p);
	if (err == -ENOENT) {
		/* Removed by a detach --all we waited for. */
		printf("nothing attached (no pins under %s)\n", ESC(p.path));
		ret = EXIT_OK;
		goto out;
	}
	if (err)
		goto out;
	err = persist_read_meta(&p);
	if (err == -ENOENT) {
		/* An attach that died half-way: its leftovers, nothing attached. */
		if (persist_clean_partial(&p))
			goto out;
		persist_remove_objects(&p);
		printf("nothing attached (removed what an unfinished attach left under %s)\n",
		       ESC(p.path));
		ret = EXIT_OK;
		goto out;
	}
	if (err || persist_list(&p, &list, &n_list))
		goto out;

	ret = EXIT_OK;
	if (all) {
		for (i = 0; i < n_list; i++) {
			if (persist_remove_iface(&p, &list[i])) {
				ret = EXIT_RUNTIME;
				continue;
			}
			printf("%s: detached%s\n", ESC(list[i].ifname),
			       list[i].gone ? " (was gone)" : "");
		}
	}
	for (i = 0; i < n_if; i++) {
		/* Renamed since attach: the record still has the index. */
		__u32 cur = if_nametoindex(ifnames[i]);
		int found = 0, elsewhere = 0;
		__u64 other = 0;

		for (j = 0; j < n_list; j++) {
			struct pin_iface *pi = &list[j];

			if (strcmp(pi->ifname, ifnames[i]) &&
			    !(cur && pi->here && !pi->gone && pi->ifindex == cur))
				continue;
			/* A gone interface may be cleaned up from anywhere. */
			if (!pi->here && !pi->gone) {
				elsewhere++;
				other = pi->netns;
				continue;
			}
			found++;
			if (persist_remove_iface(&p, pi)) {
				ret = EXIT_RUNTIME;
				continue;
			}
			printf("%s: detached%s\n", ESC(pi->ifname), pi->gone ? " (was gone)" : "");
		}
		if (found)
			continue;
		if (elsewhere) {
			const char *nm = netns_name(other, nsname, sizeof(nsname));

			pr_warn("%s is attached in another network namespace (%s%s%llu); "
				"run `nsenter --net=/run/netns/%s rsttrace detach -i %s`, or "
				"`rsttrace detach --all`",
				ifnames[i], nm ? nm : "", nm ? ", inode " : "inode ",
				(unsigned long long)other, nm ? nm : "NAME", ifnames[i]);
			ret = EXIT_RUNTIME;
		} else {
			printf("%s: not attached; nothing to do\n", ESC(ifnames[i]));
		}
	}
	free(list);
	list = NULL;
	if (!persist_list(&p, &list, &n_list) && n_list == 0) {
		if (!persist_remove_objects(&p))
			printf("no interface left attached: programs and maps unpinned\n");
		else
			ret = EXIT_RUNTIME;
	}
	free(list);
out:
	persist_close(&p);
	fflush(stdout);
	sigprocmask(SIG_SETMASK, &sigs, NULL);
	return ret;
}

static void set_usage(FILE *f)
{
	fprintf(f,
		"usage: rsttrace set [--sample N] [--rate-limit N] [--burst N] [--events on|off]\n"
		"                    [--pin-path DIR]\n"
		"Changes the event settings of the persistent attachment in place; the\n"
		"counters are not touched. --burst 0 means: as deep as the rate limit.\n");
}

int cmd_set(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "sample", required_argument, NULL, OPT_SAMPLE },
		{ "rate-limit", required_argument, NULL, OPT_RATE_LIMIT },
		{ "burst", required_argument, NULL, OPT_BURST },
		{ "events", required_argument, NULL, OPT_EVENTS },
		{ "pin-path", required_argument, NULL, OPT_PIN_PATH },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *pin_path = RST_PIN_DEFAULT;
	int opt, err, events = -1, any = 0, ret = EXIT_RUNTIME;
	__u32 sample = 0, rate = 0, burst = 0, zero = 0;
	int set_sample = 0, set_rate = 0, set_burst = 0;
	struct rst_config cfg;
	struct persist p;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+vh", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_SAMPLE:
			if (parse_u32("--sample", optarg, 1, 1000000000, &sample))
				return EXIT_USAGE;
			set_sample = 1;
			break;
		case OPT_RATE_LIMIT:
			if (parse_u32("--rate-limit", optarg, 0, 1000000000, &rate))
				return EXIT_USAGE;
			set_rate = 1;
			break;
		case OPT_BURST:
			if (parse_u32("--burst", optarg, 0, 1000000000, &burst))
				return EXIT_USAGE;
			set_burst = 1;
			break;
		case OPT_EVENTS:
			if (!strcmp(optarg, "on")) {
				events = 1;
			} else if (!strcmp(optarg, "off")) {
				events = 0;
			} else {
				pr_warn("invalid --events '%s': expected on or off", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_PIN_PATH:
			if (persist_path_check(optarg))
				return EXIT_USAGE;
			pin_path = optarg;
			break;
		case 'v':
			log_set_level(log_level + 1);
			break;
		case 'h':
			set_usage(stdout);
			return EXIT_OK;
		default:
			set_usage(stderr);
			return EXIT_USAGE;
		}
	}
	any = set_sample || set_rate || set_burst || events >= 0;
	if (optind < argc || !any) {
		if (optind < argc)
			pr_warn("set: unexpected argument '%s'", argv[optind]);
		else
			pr_warn("set: nothing to set (--sample, --rate-limit, --burst, "
				"--events)");
		return EXIT_USAGE;
	}
	if (check_privileges(PRIV_READ))
		return EXIT_RUNTIME;

	persist_init(&p);
	err = persist_prepare(&p, pin_path, PERSIST_READ);
	if (!err)
		err = persist_lock(&p);
	if (!err)
		err = persist_read_meta(&p);
	if (err == -ENOENT)
		pr_warn("set: no persistent attachment under %s (rsttrace attach "
			"first)",
			p.path);
	if (err || persist_open_objects(&p, 0) || read_settings(&p, &cfg))
		goto out;
	if (set_sample)
		cfg.sample = sample;
	if (set_rate)
		cfg.rate_limit = rate;
	if (set_burst)
		cfg.burst = burst;
	if (events == 0)
		cfg.flags |= RST_CFG_EVENTS_OFF;
	else if (events == 1)
		cfg.flags &= ~RST_CFG_EVENTS_OFF;
	/* One array element, written whole: the programs see old or new, never a mix. */
	if (bpf_map_update_elem(p.maps.settings, &zero, &cfg, BPF_ANY)) {
		pr_warn("updating the settings map: %s", strerror(errno));
		goto out;
	}
	printf("settings: sample 1/%u, rate limit %u/s per source%s, burst %u, events %s\n",
	       cfg.sample ? cfg.sample : 1, cfg.rate_limit, cfg.rate_limit ? "" : " (off)",
	       cfg.burst ? cfg.burst : cfg.rate_limit,
	       cfg.flags & RST_CFG_EVENTS_OFF ? "off" : "on");
	ret = EXIT_OK;
out:
	persist_close(&p);
	return ret;
}
