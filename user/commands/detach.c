// SPDX-License-Identifier: GPL-2.0
/*
 * rsttrace detach: remove exactly the links it is asked to from the
 * persistent attachment, and with the last interface the programs and
 * maps. An interface renamed since its attach is found by its index.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>

#include "commands.h"
#include "log.h"
#include "options.h"
#include "privs.h"
#include "persist.h"
#include "util.h"

struct detach_cfg {
	const char *ifnames[CMD_MAX_IFACES];
	int n_if;
	int all;
	const char *pin_path;
};

static const struct opt_row detach_rows[] = {
	CMD_IFACE_ROW(struct detach_cfg, ifnames, n_if,
		      "remove rsttrace's links from IFACE (repeatable)"),
	{ .name = "all",
	  .type = OPT_FLAG,
	  .off = offsetof(struct detach_cfg, all),
	  .help = "remove every link and pin rsttrace made under DIR" },
	CMD_PIN_PATH_ROW(struct detach_cfg, pin_path),
	{ 0 },
};

static const struct opt_cmd detach_cmd = {
	.name = "detach",
	.synopsis = "usage: rsttrace detach -i IFACE... | --all [--pin-path DIR]\n",
	.epilog = "Detaching the last interface also unpins the programs and maps.\n",
	.sets = {
		{ detach_rows, 0 },
		{ opt_verbose_log_rows, 0 },
		{ opt_common_rows, 0 },
	},
};

/*
 * Lock and read the attachment: 0 to go on, 1 when there is nothing
 * attached (said so: exit 0), -errno after printing why.
 */
static int detach_open(struct persist *p, const char *pin_path)
{
	int err;

	err = persist_prepare(p, pin_path, PERSIST_READ);
	if (!err)
		err = persist_lock(p);
	if (err == -ENOENT) {
		/* No pins, or removed by a detach --all we waited for. */
		printf("nothing attached (no pins under %s)\n", ESC(p->path));
		return 1;
	}
	if (err)
		return err;
	/* Only pins are removed here: an older ABI's directory is detachable too. */
	p->teardown = 1;
	err = persist_read_meta(p);
	if (err == -ENOENT) {
		/* An attach that died half-way: its leftovers, nothing attached. */
		if (persist_clean_partial(p))
			return -EIO;
		persist_remove_objects(p);
		printf("nothing attached (removed what an unfinished attach left under %s)\n",
		       ESC(p->path));
		return 1;
	}
	return err;
}

static int detach_record(struct persist *p, const struct pin_iface *pi)
{
	if (persist_remove_iface(p, pi))
		return EXIT_RUNTIME;
	printf("%s: detached%s\n", ESC(pi->ifname), pi->gone ? " (was gone)" : "");
	return EXIT_OK;
}

static void warn_elsewhere(const char *ifname, __u64 other)
{
	char nsname[64];
	const char *nm = netns_name(other, nsname, sizeof(nsname));

	pr_warn("%s is attached in another network namespace (%s%s%llu); "
		"run `nsenter --net=/run/netns/%s rsttrace detach -i %s`, or "
		"`rsttrace detach --all`",
		ifname, nm ? nm : "", nm ? ", inode " : "inode ", (unsigned long long)other,
		nm ? nm : "NAME", ifname);
}

/* The records of one name (or, renamed since, of its index). EXIT_*. */
static int detach_named(struct persist *p, struct pin_iface *list, int n_list, const char *ifname)
{
	/* Renamed since attach: the record still has the index. */
	__u32 cur = if_nametoindex(ifname);
	int found = 0, elsewhere = 0, j, ret = EXIT_OK;
	__u64 other = 0;

	for (j = 0; j < n_list; j++) {
		struct pin_iface *pi = &list[j];

		if (strcmp(pi->ifname, ifname) &&
		    !(cur && pi->here && !pi->gone && pi->ifindex == cur))
			continue;
		/* A gone interface may be cleaned up from anywhere. */
		if (!pi->here && !pi->gone) {
			elsewhere++;
			other = pi->netns;
			continue;
		}
		found++;
		if (detach_record(p, pi))
			ret = EXIT_RUNTIME;
	}
	if (found)
		return ret;
	if (elsewhere) {
		warn_elsewhere(ifname, other);
		return EXIT_RUNTIME;
	}
	printf("%s: not attached; nothing to do\n", ESC(ifname));
	return EXIT_OK;
}

/* What the command line names: every record (--all) or the -i ones. EXIT_*. */
static int detach_records(const struct detach_cfg *c, struct persist *p)
{
	struct pin_iface *list = NULL;
	int n_list = 0, i, ret = EXIT_OK;

	if (persist_list(p, &list, &n_list))
		return EXIT_RUNTIME;
	for (i = 0; c->all && i < n_list; i++)
		if (detach_record(p, &list[i]))
			ret = EXIT_RUNTIME;
	for (i = 0; i < c->n_if; i++)
		if (detach_named(p, list, n_list, c->ifnames[i]))
			ret = EXIT_RUNTIME;
	free(list);
	list = NULL;
	if (!persist_list(p, &list, &n_list) && n_list == 0) {
		if (!persist_remove_objects(p))
			printf("no interface left attached: programs and maps unpinned\n");
		else
			ret = EXIT_RUNTIME;
	}
	free(list);
	return ret;
}

static int do_detach(const struct detach_cfg *c)
{
	struct persist p;
	sigset_t sigs;
	int err, ret;

	if (!c->n_if == !c->all) {
		pr_warn("detach: give either -i IFACE... or --all");
		return EXIT_USAGE;
	}
	if (check_privileges(PRIV_DETACH))
		return EXIT_RUNTIME;
	log_setup_libbpf();

	signals_hold(&sigs);
	persist_init(&p);
	err = detach_open(&p, c->pin_path);
	if (err)
		ret = err > 0 ? EXIT_OK : EXIT_RUNTIME;
	else
		ret = detach_records(c, &p);
	persist_close(&p);
	fflush(stdout);
	sigprocmask(SIG_SETMASK, &sigs, NULL);
	return ret;
}

int cmd_detach(int argc, char **argv)
{
	struct detach_cfg c = { .pin_path = RST_PIN_DEFAULT };
	int err;

	err = opt_parse(&detach_cmd, argc, argv, &c, NULL);
	if (err)
		return opt_exit_status(err);
	return do_detach(&c);
}
