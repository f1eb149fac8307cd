// SPDX-License-Identifier: GPL-2.0
/* What several commands share: see commands.h. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <bpf/bpf.h>

#include "commands.h"
#include "log.h"
#include "persist.h"

int cmd_pin_path_check(const char *arg, const void *field)
{
	(void)field;
	return persist_path_check(arg);
}

void stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
}

void stop_handlers(void (*fn)(int))
{
	struct sigaction sa = {};

	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void signals_hold(sigset_t *old)
{
	sigset_t set;

	stop_signals(&set);
	sigprocmask(SIG_BLOCK, &set, old);
}

int cmd_read_settings(struct persist *p, struct rst_config *cfg)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(p->maps.settings, &zero, cfg)) {
		pr_warn("reading the settings map: %s", strerror(errno));
		return -errno;
	}
	return 0;
}
