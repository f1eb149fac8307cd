// SPDX-License-Identifier: GPL-2.0
/*
 * rsttrace set: change sampling, rate limit, the per-CPU budgets and events
 * of the running persistent attachment in place; the counters are not
 * touched.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>

#include "commands.h"
#include "log.h"
#include "options.h"
#include "privs.h"
#include "persist.h"
#include "util.h"

struct set_cfg {
	__u32 sample, rate, burst, flow_budget, event_budget;
	int set_sample, set_rate, set_burst, set_flow_budget, set_event_budget;
	int events; /* 1 on, 0 off, -1 not given */
	const char *pin_path;
};

static const struct opt_choice on_off[] = {
	{ "on", 1 },
	{ "off", 0 },
	{ NULL },
};

#define SET(f)	     .off = offsetof(struct set_cfg, f)
#define SET_GIVEN(f) .given = OPT_GIVEN(struct set_cfg, f)

/* Not the datapath rows: here --burst 0 is "as deep as the rate limit". */
static const struct opt_row set_rows[] = {
	{ .name = "sample",
	  .type = OPT_U32,
	  SET(sample),
	  SET_GIVEN(set_sample),
	  .min = 1,
	  .max = 1000000000,
	  .metavar = "N",
	  .help = "1 in N RSTs becomes an event" },
	{ .name = "rate-limit",
	  .type = OPT_U32,
	  SET(rate),
	  SET_GIVEN(set_rate),
	  .min = 0,
	  .max = 1000000000,
	  .metavar = "N",
	  .help = "events/s per source address, 0 = off" },
	{ .name = "burst",
	  .type = OPT_U32,
	  SET(burst),
	  SET_GIVEN(set_burst),
	  .min = 0,
	  .max = 1000000000,
	  .metavar = "N",
	  .help = "token bucket depth in events" },
	{ .name = "flow-budget",
	  .type = OPT_U32,
	  SET(flow_budget),
	  SET_GIVEN(set_flow_budget),
	  .min = 0,
	  .max = 1000000000,
	  .metavar = "N",
	  .help = "new flows per second per CPU, 0 = no limit" },
	{ .name = "event-budget",
	  .type = OPT_U32,
	  SET(event_budget),
	  SET_GIVEN(set_event_budget),
	  .min = 0,
	  .max = 1000000000,
	  .metavar = "N",
	  .help = "events per second per CPU, 0 = no limit" },
	{ .name = "events",
	  .type = OPT_CHOICE,
	  SET(events),
	  .choices = on_off,
	  .help = "events on the ring at all (the counters count regardless)" },
	CMD_PIN_PATH_ROW(struct set_cfg, pin_path),
	{ 0 },
};

static const struct opt_cmd set_cmd = {
	.name = "set",
	.synopsis = "usage: rsttrace set [--sample N] [--rate-limit N] [--burst N] [--events on|off]\n"
		    "                    [--flow-budget N] [--event-budget N] [--pin-path DIR]\n",
	.epilog = "Changes the event settings of the persistent attachment in place; the\n"
		  "counters are not touched. --burst 0 means: as deep as the rate limit.\n",
	.sets = {
		{ set_rows, 0 },
		{ opt_verbose_log_rows, 0 },
		{ opt_common_rows, 0 },
	},
};

static void set_apply(const struct set_cfg *c, struct rst_config *cfg)
{
	if (c->set_sample)
		cfg->sample = c->sample;
	if (c->set_rate)
		cfg->rate_limit = c->rate;
	if (c->set_burst)
		cfg->burst = c->burst;
	if (c->set_flow_budget)
		cfg->flow_budget = c->flow_budget;
	if (c->set_event_budget)
		cfg->event_budget = c->event_budget;
	if (c->events == 0)
		cfg->flags |= RST_CFG_EVENTS_OFF;
	else if (c->events == 1)
		cfg->flags &= ~RST_CFG_EVENTS_OFF;
	/* The seed stays: the tables were filled with it. */
	rst_config_derive(cfg);
}

static int do_set(const struct set_cfg *c)
{
	int err, ret = EXIT_RUNTIME;
	struct rst_config cfg;
	struct persist p;
	__u32 zero = 0;

	if (!(c->set_sample || c->set_rate || c->set_burst || c->set_flow_budget ||
	      c->set_event_budget || c->events >= 0)) {
		pr_warn("set: nothing to set (--sample, --rate-limit, --burst, --flow-budget, "
			"--event-budget, --events)");
		return EXIT_USAGE;
	}
	if (check_privileges(PRIV_READ))
		return EXIT_RUNTIME;

	persist_init(&p);
	err = persist_prepare(&p, c->pin_path, PERSIST_READ);
	if (!err)
		err = persist_lock(&p);
	if (!err)
		err = persist_read_meta(&p);
	if (err == -ENOENT)
		pr_warn("set: no persistent attachment under %s (rsttrace attach first)", p.path);
	if (err || persist_open_objects(&p, 0) || cmd_read_settings(&p, &cfg))
		goto out;
	set_apply(c, &cfg);
	/* One array element, written whole: the programs see old or new, never a mix. */
	if (bpf_map_update_elem(p.maps.settings, &zero, &cfg, BPF_ANY)) {
		pr_warn("updating the settings map: %s", strerror(errno));
		goto out;
	}
	printf("settings: sample 1/%u, rate limit %u/s per source%s, burst %u, events %s, "
	       "flow budget %u/s per CPU%s, event budget %u/s per CPU%s\n",
	       cfg.sample ? cfg.sample : 1, cfg.rate_limit, cfg.rate_limit ? "" : " (off)",
	       cfg.burst ? cfg.burst : cfg.rate_limit,
	       cfg.flags & RST_CFG_EVENTS_OFF ? "off" : "on", cfg.flow_budget,
	       cfg.flow_budget ? "" : " (off)", cfg.event_budget, cfg.event_budget ? "" : " (off)");
	ret = EXIT_OK;
out:
	persist_close(&p);
	return ret;
}

int cmd_set(int argc, char **argv)
{
	struct set_cfg c = { .events = -1, .pin_path = RST_PIN_DEFAULT };
	int err;

	err = opt_parse(&set_cmd, argc, argv, &c, NULL);
	if (err)
		return opt_exit_status(err);
	return do_set(&c);
}
