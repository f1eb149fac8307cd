// SPDX-License-Identifier: GPL-2.0
/*
 * rsttrace attach: the persistent attachment. The first attach loads the
 * programs once and pins programs, maps and links (see persist.h for the
 * layout); later attaches reuse the pinned programs and maps, so the
 * counters are global across interfaces. All or nothing: an attach that
 * fails detaches the interfaces it attached.
 */
#include <errno.h>
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
#include "fatetrace.h"
#include "iface.h"
#include "loader.h"
#include "log.h"
#include "netns.h"
#include "options.h"
#include "privs.h"
#include "rings.h"
#include "persist.h"
#include "session.h"
#include "tracing.h"
#include "util.h"
#include "rsttrace.skel.h"

struct attach_cfg {
	struct rst_opts o;
	const char *ifnames[CMD_MAX_IFACES];
	int n_if;
	const char *pin_path;
};

/* One attach call: what it opened, what it attached (to undo on failure). */
struct attach_run {
	const struct attach_cfg *c;
	__u32 ifindex[CMD_MAX_IFACES];
	char dirs[CMD_MAX_IFACES][IF_NAMESIZE + 48]; /* pin directories this call made */
	int n_done;
	struct persist p;
	struct rst_progs progs;
	__u64 netns;
};

/* A program fd of the skeleton by enum pin_prog (PP_XDP, PP_TC_IN, PP_TC_OUT). */
static int skel_prog_fd(const struct rsttrace *skel, int which)
{
	struct rst_progs pr;

	session_progs(skel, &pr);
	return which == PP_XDP ? pr.xdp : which == PP_TC_IN ? pr.tc_in : pr.tc_out;
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
		map_fds[i] = bpf_map__fd(maps_skel_map(skel, i));
	/* The cause counters' programs: pinned beside rst_send_reset (persist_create). */
	for (i = 1; i < TR_MAX; i++) {
		int fd = tracing_prog_fd_of(skel->obj, i);

		p->trace_aux_fd[i - 1] = fd >= 0 ? dup(fd) : -1;
	}
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
	bool traced = false;
	int i, err;

	skel = rsttrace__open();
	if (!skel)
		return -errno;
	skel->rodata->snaplen = p->meta.snaplen;
	/* With the tracing program only if its pin is missing too and the kernel has it. */
	if (p->trace_fd >= 0)
		tracing_disable(skel->obj);
	else
		traced = tracing_configure(skel->obj);
	/* The fate programs where one is missing (the pinned ones stay, below). */
	for (i = 0; i < TR_MAX - TR_FATE_FIRST && p->trace_aux_fd[TR_FATE_FIRST - 1 + i] >= 0; i++)
		;
	fate_configure(skel, i < TR_MAX - TR_FATE_FIRST);
	/* No second copy of a tracing program whose pin is there. */
	for (i = 1; i < TR_MAX; i++)
		if (p->trace_aux_fd[i - 1] >= 0)
			bpf_program__set_autoload(
				bpf_object__find_program_by_name(skel->obj, tracing_prog_names[i]),
				false);
	/* The egress origins count with the tracepoints, in this namespace (as loader.c). */
	skel->rodata->causes_on = p->trace_fd >= 0 || traced;
	skel->rodata->trace_netns = (__u32)netns_self();
	for (i = 0; i < PM_MAX; i++) {
		struct bpf_map_info mi = {};
		__u32 len = sizeof(mi);

		/* A pin directory of before per-CPU rings: a new, empty ev_rings (one ring). */
		if (i == PM_EV_RINGS && p->maps.fd[i] < 0)
			continue;
		if (bpf_obj_get_info_by_fd(*maps_slot(&p->maps, i), &mi, &len) ||
		    bpf_map__set_max_entries(maps_skel_map(skel, i), mi.max_entries) ||
		    bpf_map__reuse_fd(maps_skel_map(skel, i), *maps_slot(&p->maps, i))) {
			err = -errno;
			goto out;
		}
	}
	/* The programs index the pinned tables: their masks follow the pinned sizes. */
	loader_size_tables(skel, bpf_map__max_entries(skel->maps.hosts),
			   bpf_map__max_entries(skel->maps.flows));
	/* And write where the pinned consumer reads: one ring or the CPUs' (rings.h). */
	rings_reuse(skel, &p->maps);
	err = rsttrace__load(skel);
	for (i = 0; !err && i < PP_MAX; i++) {
		if (p->prog_fd[i] >= 0)
			continue;
		err = persist_pin(p, "progs", pin_prog_names[i], skel_prog_fd(skel, i));
	}
	if (!err && p->trace_fd < 0 && tracing_prog_fd(skel->obj) >= 0)
		err = persist_pin(p, "progs", RST_TRACE_PROG, tracing_prog_fd(skel->obj));
	for (i = 1; !err && i < TR_MAX; i++)
		if (p->trace_aux_fd[i - 1] < 0 && tracing_prog_fd_of(skel->obj, i) >= 0)
			err = persist_pin(p, "progs", tracing_prog_names[i],
					  tracing_prog_fd_of(skel->obj, i));
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

/* A later attach cannot change what the pinned programs were loaded with: say so. */
static void warn_ignored(struct persist *p, const struct rst_opts *o)
{
	static const char *const hint = "`rsttrace detach --all` first to change it";
	struct rst_config cfg;

	if (o->set_snaplen && o->snaplen != p->meta.snaplen)
		pr_warn("--snaplen %u ignored: the pinned programs use %u; %s", o->snaplen,
			p->meta.snaplen, hint);
	if (o->set_max_flows && o->max_flows != p->meta.max_flows)
		pr_warn("--max-flows %u ignored: the pinned map holds %u; %s", o->max_flows,
			p->meta.max_flows, hint);
	if (o->set_max_hosts && o->max_hosts != p->meta.max_hosts)
		pr_warn("--max-hosts %u ignored: the pinned map holds %u; %s", o->max_hosts,
			p->meta.max_hosts, hint);
	if (o->set_ring_size && o->ring_size != p->meta.ring_size)
		pr_warn("--ring-size %u ignored: the pinned ring has %u bytes; %s", o->ring_size,
			p->meta.ring_size, hint);
	rings_warn_ignored(o, &p->maps, hint);
	if (cmd_read_settings(p, &cfg))
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
 * Into l, the links of the directions that have a dead one (with the
 * hook and mode it had) or none that o asks for: how many were made, or
 * -errno with l detached again.
 */
static int remake_links(struct rst_link *l, const struct pin_link *const have[2],
			const struct rst_opts *o, const struct rst_progs *progs)
{
	struct rst_link part;
	struct rst_opts one;
	int d, err, made = 0;

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
		link_init(&part, l->ifname, l->ifindex);
		err = attach_iface(&part, progs, &one);
		if (err) {
			detach_iface(l);
			return err;
		}
		link_merge(l, &part, d);
		made++;
		pr_warn("%s: repaired: %s %s link was %s", l->ifname,
			d == RST_DIR_IN && part.xdp_fd >= 0 ? "xdp"
			: part.legacy[d]		    ? "cls_bpf"
							    : "tcx",
			d == RST_DIR_IN ? "in" : "out", pl ? "dead" : "missing");
	}
	return made;
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
	struct rst_link l;
	int d, i, err, made;

	*changed = 0;
	for (i = 0; i < pi->n_links; i++) {
		const struct pin_link *pl = &pi->links[i];

		d = strcmp(pin_kind_dir(pl->kind), "out") ? RST_DIR_IN : RST_DIR_OUT;
		if (!have[d] || pl->alive)
			have[d] = pl;
	}
	link_init(&l, ifname, ifindex);
	made = remake_links(&l, have, o, progs);
	if (made <= 0)
		return made;
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

static const struct opt_row attach_rows[] = {
	CMD_IFACE_ROW(struct attach_cfg, ifnames, n_if, "interface to attach to (repeatable)"),
	CMD_PIN_PATH_ROW(struct attach_cfg, pin_path),
	{ 0 },
};

static const struct opt_cmd attach_cmd = {
	.name = "attach",
	.synopsis = "usage: rsttrace attach -i IFACE... [options]\n",
	.epilog = "Programs and maps are loaded by the first attach and reused by later ones;\n"
		  "load-time options (--snaplen, --max-*, --ring-size) apply to the first only.\n"
		  "Change sampling and rate limit later with `rsttrace set`.\n",
	.sets = {
		{ attach_rows, 0 },
		{ opt_verbose_log_rows, 0 },
		{ datapath_rows, offsetof(struct attach_cfg, o) },
		{ opt_common_rows, 0 },
	},
};

/* Down interfaces are fine: a persistent attachment waits for them. */
static int resolve_ifaces(const struct attach_cfg *c, __u32 *ifindex)
{
	int i, j;

	for (i = 0; i < c->n_if; i++) {
		/*
		 * Nothing stays behind a persistent attachment to attach the
		 * interfaces that come later: -i any would be a silent gap.
		 */
		if (!strcmp(c->ifnames[i], "any")) {
			pr_warn("attach -i any: a persistent attachment does not follow the "
				"interfaces that come later; name them, or run watch -i any");
			return -EINVAL;
		}
		if (iface_resolve(c->ifnames[i], &ifindex[i], 1))
			return -EINVAL;
		for (j = 0; j < i; j++) {
			if (ifindex[j] == ifindex[i]) {
				pr_warn("interface %s given twice", c->ifnames[i]);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* Another tool's XDP program: refuse before loading anything (attach_iface checks again). */
static int check_xdp_hooks(struct attach_run *a, const struct pin_iface *list, int n_list)
{
	const struct attach_cfg *c = a->c;
	int i;

	if (!(c->o.dirs & DIR_IN) || c->o.ingress_hook != RST_HOOK_XDP)
		return 0;
	for (i = 0; i < c->n_if; i++)
		if (!already_attached(list, n_list, a->ifindex[i], a->netns) &&
		    xdp_hook_check(c->ifnames[i], a->ifindex[i]))
			return -EBUSY;
	return 0;
}

/*
 * Lock the pins, and load the programs where they are not pinned yet
 * (the first attach) or went missing: 0, or -errno after printing why.
 */
static int open_attachment(struct attach_run *a)
{
	struct persist *p = &a->p;
	struct pin_iface *list = NULL;
	int n_list = 0, fresh = 0, err;

	if (persist_prepare(p, a->c->pin_path, PERSIST_CREATE) || persist_lock(p))
		return -EIO;
	err = persist_read_meta(p);
	if (err && err != -ENOENT)
		return err;
	if (!err && (persist_open_objects(p, 1) || persist_list(p, &list, &n_list)))
		return -EIO;
	if (check_xdp_hooks(a, list, n_list)) {
		free(list);
		return -EBUSY;
	}
	free(list);
	if (err == -ENOENT) {
		if (persist_clean_partial(p))
			return -EIO;
		if (load_fresh(p, &a->c->o)) {
			persist_remove_objects(p);
			return -EIO;
		}
		fresh = 1;
	} else {
		if ((p->prog_fd[PP_XDP] < 0 || p->prog_fd[PP_TC_IN] < 0 ||
		     p->prog_fd[PP_TC_OUT] < 0) &&
		    load_reusing(p))
			return -EIO;
		warn_ignored(p, &a->c->o);
	}
	pr_debug("%s programs: xdp %u, tc-in %u, tc-out %u", fresh ? "loaded" : "reusing pinned",
		 p->prog_id[PP_XDP], p->prog_id[PP_TC_IN], p->prog_id[PP_TC_OUT]);
	a->progs.xdp = p->prog_fd[PP_XDP];
	a->progs.tc_in = p->prog_fd[PP_TC_IN];
	a->progs.tc_out = p->prog_fd[PP_TC_OUT];
	return 0;
}

/*
 * The records of interface i: a live one is repaired or said to be
 * attached (*already), a deleted predecessor's is removed. EXIT_*.
 */
static int check_records(struct attach_run *a, int i, struct pin_iface *list, int n_list,
			 int *already)
{
	const char *ifname = a->c->ifnames[i];
	int j, changed, ret = EXIT_OK;

	*already = 0;
	for (j = 0; j < n_list && ret == EXIT_OK; j++) {
		struct pin_iface *pi = &list[j];

		if (live_record(pi, a->ifindex[i], a->netns)) {
			*already = 1;
			if (repair_iface(&a->p, pi, ifname, a->ifindex[i], &a->c->o, &a->progs,
					 &changed))
				ret = EXIT_RUNTIME;
			else if (!changed)
				describe_existing(pi, ifname);
			if (ret == EXIT_OK)
				warn_tcx_order(pi, ifname, a->ifindex[i]);
		} else if (!strcmp(pi->ifname, ifname) && pi->netns == a->netns && pi->gone) {
			/* The interface was deleted (and maybe made again). */
			pr_info("%s: removing the record of its deleted "
				"predecessor (ifindex %u)",
				ifname, pi->ifindex);
			persist_remove_iface(&a->p, pi);
		}
	}
	return ret;
}

/* Attach to interface i and pin its links, unless it is attached already. EXIT_*. */
static int attach_one(struct attach_run *a, int i, struct pin_iface *list, int n_list)
{
	const char *ifname = a->c->ifnames[i];
	struct rst_link l;
	int already, ret;

	ret = check_records(a, i, list, n_list, &already);
	if (already || ret != EXIT_OK)
		return ret;
	link_init(&l, ifname, a->ifindex[i]);
	if (attach_iface(&l, &a->progs, &a->c->o))
		return EXIT_RUNTIME;
	persist_iface_dirname(a->dirs[a->n_done], sizeof(a->dirs[a->n_done]), ifname, a->netns,
			      a->ifindex[i]);
	if (pin_links(&a->p, &l, a->dirs[a->n_done], a->p.prog_fd))
		return EXIT_RUNTIME;
	a->n_done++;
	describe(&l, a->p.path);
	return EXIT_OK;
}

static int attach_all(struct attach_run *a)
{
	struct pin_iface *list = NULL;
	int n_list = 0, i, ret = EXIT_OK;

	if (persist_list(&a->p, &list, &n_list))
		return EXIT_RUNTIME;
	for (i = 0; i < a->c->n_if && ret == EXIT_OK; i++)
		ret = attach_one(a, i, list, n_list);
	free(list);
	/* The kernel's reasons are for RSTs sent here: with egress traced. Optional. */
	if (ret == EXIT_OK && (a->c->o.dirs & DIR_OUT) && !persist_trace_attach(&a->p) &&
	    a->p.trace_fd >= 0)
		pr_info("kernel reset reasons: tcp_send_reset traced, pinned under "
			"%s/trace",
			a->p.path);
	return ret;
}

/* All or nothing: undo what this call attached. */
static void attach_rollback(struct attach_run *a)
{
	struct pin_iface *list = NULL;
	int n_list = 0, i, j;

	if (!persist_list(&a->p, &list, &n_list)) {
		for (i = 0; i < n_list; i++)
			for (j = 0; j < a->n_done; j++)
				if (!strcmp(list[i].dir, a->dirs[j]))
					persist_remove_iface(&a->p, &list[i]);
		free(list);
		list = NULL;
	}
	if (a->n_done)
		pr_warn("attach failed; detached the %d interface%s this call "
			"had attached",
			a->n_done, a->n_done == 1 ? "" : "s");
	if (!persist_list(&a->p, &list, &n_list) && n_list == 0)
		persist_remove_objects(&a->p); /* nothing attached: leave no pins */
	free(list);
}

static int do_attach(const struct attach_cfg *c)
{
	struct attach_run a = { .c = c };
	int ret = EXIT_RUNTIME;
	sigset_t sigs;

	if (!c->n_if) {
		pr_warn("attach: name at least one interface with -i");
		return EXIT_USAGE;
	}
	if (check_privileges(PRIV_LOAD))
		return EXIT_RUNTIME;
	if (resolve_ifaces(c, a.ifindex))
		return EXIT_USAGE;
	a.netns = netns_self();
	log_setup_libbpf();

	signals_hold(&sigs);
	persist_init(&a.p);
	if (!open_attachment(&a)) {
		ret = attach_all(&a);
		if (ret != EXIT_OK)
			attach_rollback(&a);
	}
	if (ret != EXIT_OK && !a.p.have_meta && a.p.path[0])
		remove_empty_dirs(&a.p); /* what persist_prepare made for nothing */
	persist_close(&a.p);
	fflush(stdout);
	sigprocmask(SIG_SETMASK, &sigs, NULL);
	return ret;
}

int cmd_attach(int argc, char **argv)
{
	struct attach_cfg c = { .pin_path = RST_PIN_DEFAULT };
	int err;

	opts_default(&c.o);
	err = opt_parse(&attach_cmd, argc, argv, &c, NULL);
	if (err)
		return opt_exit_status(err);
	return do_attach(&c);
}
