// SPDX-License-Identifier: GPL-2.0
/*
 * rsttrace stats: the kernel's exact counters, global and per interface
 * and direction, with malformed packets by reason and events by result,
 * from the maps of the persistent attachment or of a running watch
 * (reader.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "causes.h"
#include "commands.h"
#include "counters.h"
#include "fate.h"
#include "fatetrace.h"
#include "jsonw.h"
#include "log.h"
#include "options.h"
#include "persist.h"
#include "reader.h"
#include "rstreason.h"
#include "util.h"

struct stats_cfg {
	int json;
	const char *pin_path; /* NULL: the default pin directory, else a running watch */
};

static const struct opt_row stats_rows[] = {
	CMD_JSON_ROW(struct stats_cfg, json, "one JSON object (keys in docs/persistent.md)"),
	READER_PIN_PATH_ROW(struct stats_cfg, pin_path),
	{ 0 },
};

static const struct opt_cmd stats_cmd = {
	.name = "stats",
	.synopsis = "usage: rsttrace stats [--json] [--pin-path DIR]\n",
	.epilog = "Global counters, malformed packets by reason, events by result, the\n"
		  "counters of each interface and direction, the resets by cause, and the\n"
		  "fates of the RSTs received.\n",
	.sets = {
		{ stats_rows, 0 },
		{ opt_verbose_log_rows, 0 },
		{ opt_common_rows, 0 },
	},
};

/* What was read: the totals and the per-interface entries. */
struct stats_read {
	struct rst_totals t;
	struct rst_if_totals per[RST_COUNTER_ENTRIES];
	size_t n_per;
	struct rst_causes cz; /* the counted causes (causes.h) */
	int have_cz;	      /* 0: the datapath has no causes map (an older one) */
	/* The fates of RSTs received (fatetrace.h), per interface and in all. */
	struct rst_fate_counts fates[RST_IF_SLOTS + 1], fate_total;
	size_t n_fates;
	int have_fates; /* 0: the datapath has no fate map */
};

/* "events_sampled_out" -> "sampled_out": the key inside the "events" object. */
static const char *event_key(int c)
{
	const char *n = rst_counter_names[c];

	if (c == RST_C_EV_SENT)
		return "delivered";
	return strncmp(n, "events_", 7) ? n : n + 7;
}

static int is_event_counter(int c)
{
	return c >= RST_C_EV_SENT && c <= RST_C_EV_FILTERED;
}

/* The shared overflow slot is shown only when something landed there. */
static int per_shown(const struct rst_if_totals *p)
{
	return p->ifindex || p->t.c[RST_C_PACKETS];
}

static const char *dir_str(__u32 dir)
{
	return dir == RST_DIR_OUT ? "out" : "in";
}

/* An object of n counters named names[], from values[]. */
static void json_counts(struct json_writer *w, const char *key, const char *const *names,
			const __u64 *values, int n)
{
	int c;

	jw_key(w, key);
	jw_start_object(w);
	for (c = 0; c < n; c++)
		jw_u64_field(w, names[c], values[c]);
	jw_end_object(w);
}

static void stats_json_lost(struct json_writer *w, const struct rst_totals *t)
{
	int i;

	jw_key(w, "hosts_evicted");
	jw_start_object(w);
	for (i = 0; i < 2; i++)
		json_counts(w, dir_str(i), rst_host_flag_names, t->host_lost[i], RST_HF_MAX);
	jw_end_object(w);
	jw_key(w, "flows_untracked");
	jw_start_object(w);
	for (i = 0; i < RST_FL_MAX; i++)
		json_counts(w, rst_flow_cause_names[i], rst_flow_flag_names, t->flow_lost[i],
			    RST_FF_MAX);
	jw_end_object(w);
}

static void stats_json_ifaces(struct json_writer *w, struct source *src, const struct stats_read *r)
{
	char nm[IF_NAMESIZE];
	size_t i;
	int c;

	jw_key(w, "interfaces");
	jw_start_array(w);
	for (i = 0; i < r->n_per; i++) {
		const struct rst_if_totals *p = &r->per[i];

		if (!per_shown(p))
			continue;
		jw_start_object(w);
		jw_u64_field(w, "ifindex", p->ifindex);
		jw_str_field(w, "iface", source_ifname(src, p->ifindex, nm));
		jw_str_field(w, "direction", dir_str(p->dir));
		for (c = 0; c < RST_C_MAX; c++)
			jw_u64_field(w, rst_counter_names[c], p->t.c[c]);
		jw_u64_field(w, "malformed", totals_malformed(&p->t));
		jw_end_object(w);
	}
	jw_end_array(w);
}

/* SYN, SYN-ACK and FIN as events: per kind, what became of each (all not asked by default). */
static void stats_json_ctl(struct json_writer *w, const struct rst_totals *t)
{
	int k;

	jw_key(w, "control_events");
	jw_start_object(w);
	for (k = 0; k < RST_CK_MAX; k++)
		json_counts(w, rst_ctl_kind_names[k], rst_ctl_cause_names, t->ctl_ev[k],
			    RST_CE_MAX);
	jw_end_object(w);
}

static void stats_text_ctl(const struct rst_totals *t)
{
	int c, k;

	printf("SYN, SYN-ACK and FIN events by result:\n  %-8s", "");
	for (c = 0; c < RST_CE_MAX; c++)
		printf(" %13s", rst_ctl_cause_names[c]);
	printf("\n");
	for (k = 0; k < RST_CK_MAX; k++) {
		printf("  %-8s", rst_ctl_kind_names[k]);
		for (c = 0; c < RST_CE_MAX; c++)
			printf(" %13llu", (unsigned long long)t->ctl_ev[k][c]);
		printf("\n");
	}
}

/* Each (kind, state, reason) with a count, to fn; the reason's name into nm. */
static void causes_each(const struct rst_causes *cz,
			void (*fn)(void *ctx, int kind, int state, const char *reason, __u64 n),
			void *ctx)
{
	char nm[64];
	int k, st, r;

	for (r = 0; r < RST_CZ_REASONS; r++)
		for (k = 0; k < RST_CZK_MAX; k++)
			for (st = 0; st < RST_CZ_STATES; st++)
				if (cz->sent[k][st][r])
					fn(ctx, k, st, cause_reason_name(r, nm, sizeof(nm)),
					   cz->sent[k][st][r]);
}

static const char *state_of(int st)
{
	return st == RST_CZ_STATES - 1 ? "state_other" : rst_state_name((__u8)st);
}

static void reason_json(void *ctx, int k, int st, const char *reason, __u64 n)
{
	struct json_writer *w = ctx;

	jw_start_object(w);
	jw_str_field(w, "reason", reason);
	jw_str_field(w, "kind", rst_kind_names[k]);
	jw_str_field(w, "state", state_of(st));
	jw_str_field(w, "class", rst_class_names[cause_class(k, reason)]);
	jw_u64_field(w, "count", n);
	jw_end_object(w);
}

static void reason_text(void *ctx, int k, int st, const char *reason, __u64 n)
{
	const char *sn = state_of(st);

	(void)ctx;
	printf("  %-26s %-7s %-13s %-10s %llu\n", reason, rst_kind_names[k], sn ? sn : "-",
	       rst_class_names[cause_class(k, reason)], (unsigned long long)n);
}

/* "causes": docs/reasons.md; null when the datapath has no causes map. */
static void stats_json_causes(struct json_writer *w, const struct stats_read *r)
{
	__u64 cls[RC_MAX];

	jw_key(w, "causes");
	if (!r->have_cz) {
		jw_null(w);
		return;
	}
	causes_by_class(&r->cz, cls);
	jw_start_object(w);
	jw_u64_field(w, "sent", causes_sent_total(&r->cz));
	json_counts(w, "classes", rst_class_names, cls, RC_MAX);
	jw_key(w, "reasons");
	jw_start_array(w);
	causes_each(&r->cz, reason_json, w);
	jw_end_array(w);
	json_counts(w, "egress", rst_origin_names, r->cz.out, RST_OR_MAX);
	json_counts(w, "errors", rst_sk_err_names, r->cz.sk_err, RST_ERR_MAX);
	jw_key(w, "hosts_evicted");
	jw_start_object(w);
	jw_u64_field(w, "resets", r->cz.hosts_evicted[0]);
	jw_u64_field(w, "errors", r->cz.hosts_evicted[1]);
	jw_end_object(w);
	jw_end_object(w);
}

static void stats_text_causes(const struct stats_read *r)
{
	__u64 cls[RC_MAX];
	int i;

	if (!r->have_cz)
		return;
	causes_by_class(&r->cz, cls);
	printf("resets by cause (sent by this namespace's TCP stack: %llu; leaving traced "
	       "egress: stack %llu, firewall %llu, other %llu):\n",
	       (unsigned long long)causes_sent_total(&r->cz),
	       (unsigned long long)r->cz.out[RST_OR_STACK],
	       (unsigned long long)r->cz.out[RST_OR_FIREWALL],
	       (unsigned long long)r->cz.out[RST_OR_OTHER]);
	for (i = 0; i < RC_MAX; i++)
		printf("  %-22s %llu\n", rst_class_names[i], (unsigned long long)cls[i]);
	printf("resets the stack sent, by kernel reason:\n  %-26s %-7s %-13s %-10s %s\n", "REASON",
	       "KIND", "STATE", "CLASS", "COUNT");
	causes_each(&r->cz, reason_text, NULL);
	printf("errors reported to TCP sockets:\n");
	for (i = 0; i < RST_ERR_MAX; i++)
		printf("  %-22s %llu\n", rst_sk_err_names[i], (unsigned long long)r->cz.sk_err[i]);
}

/* The fates of one row, named as in events (docs/stage.md). */
static void fates_json(struct json_writer *w, const struct rst_fate_counts *c)
{
	int f;

	for (f = RST_FATE_ACCEPTED; f < RST_FATE_MAX; f++)
		jw_u64_field(w, fate_name((__u8)f), c->fate[f]);
}

/* "fates": the totals, local resets, and per interface; null without the fate map. */
static void stats_json_fates(struct json_writer *w, struct source *src, const struct stats_read *r)
{
	char nm[IF_NAMESIZE];
	size_t i;

	jw_key(w, "fates");
	if (!r->have_fates) {
		jw_null(w);
		return;
	}
	jw_start_object(w);
	fates_json(w, &r->fate_total);
	jw_u64_field(w, "local_resets", r->fate_total.local_reset);
	jw_u64_field(w, "hosts_lost", r->fate_total.host_lost);
	jw_key(w, "interfaces");
	jw_start_array(w);
	for (i = 0; i < r->n_fates; i++) {
		jw_start_object(w);
		jw_u64_field(w, "ifindex", r->fates[i].ifindex);
		/* ifindex 0: the slot interfaces share when theirs is taken. */
		jw_str_field(w, "iface",
			     r->fates[i].ifindex ? source_ifname(src, r->fates[i].ifindex, nm)
						 : "(shared)");
		fates_json(w, &r->fates[i]);
		jw_u64_field(w, "hosts_lost", r->fates[i].host_lost);
		jw_end_object(w);
	}
	jw_end_array(w);
	jw_end_object(w);
}

static void fates_text_row(const char *name, const struct rst_fate_counts *c)
{
	int f;

	printf("  %-16s", name);
	for (f = RST_FATE_ACCEPTED; f < RST_FATE_MAX; f++)
		printf(" %10llu", (unsigned long long)c->fate[f]);
	printf("\n");
}

static void stats_text_fates(struct source *src, const struct stats_read *r)
{
	char nm[IF_NAMESIZE];
	const char *ifn;
	size_t i;
	int f;

	if (!r->have_fates)
		return;
	printf("fates of RSTs received (what this host's TCP stack did with them):\n  %-16s",
	       "INTERFACE");
	for (f = RST_FATE_ACCEPTED; f < RST_FATE_MAX; f++)
		printf(" %10s", fate_name((__u8)f));
	printf("\n");
	for (i = 0; i < r->n_fates; i++) {
		ifn = r->fates[i].ifindex ? source_ifname(src, r->fates[i].ifindex, nm)
					  : "(shared)";
		if (!ifn) {
			snprintf(nm, sizeof(nm), "if%u", r->fates[i].ifindex);
			ifn = nm;
		}
		fates_text_row(ESC(ifn), &r->fates[i]);
	}
	fates_text_row("total", &r->fate_total);
	printf("local resets (tcp_reset with no RST received): %llu\n",
	       (unsigned long long)r->fate_total.local_reset);
	if (r->fate_total.host_lost)
		printf("fates no longer counted per host (their host line reused): %llu\n",
		       (unsigned long long)r->fate_total.host_lost);
}

static void stats_json(struct source *src, const struct stats_read *r)
{
	const struct rst_totals *t = &r->t;
	struct json_writer w;
	int c;

	jw_init_file(&w, stdout);
	jw_start_object(&w);
	jw_str_field(&w, "source", source_kind(src));
	json_counts(&w, "counters", rst_counter_names, t->c, RST_C_MAX);
	jw_u64_field(&w, "rsts", totals_rsts(t));
	json_counts(&w, "malformed", rst_malformed_names, t->malformed, RST_M_MAX);
	jw_u64_field(&w, "malformed_total", totals_malformed(t));
	jw_key(&w, "events");
	jw_start_object(&w);
	for (c = RST_C_EV_SENT; is_event_counter(c); c++)
		jw_u64_field(&w, event_key(c), t->c[c]);
	jw_end_object(&w);
	stats_json_ctl(&w, t);
	stats_json_lost(&w, t);
	stats_json_ifaces(&w, src, r);
	stats_json_causes(&w, r);
	stats_json_fates(&w, src, r);
	jw_end_object(&w);
	putchar('\n');
}

static void stats_text_global(const struct source *src, const struct rst_totals *t)
{
	int c;

	printf("counters (%s):\n", src->desc);
	for (c = 0; c < RST_C_MAX; c++)
		if (!is_event_counter(c))
			printf("  %-22s %llu\n", rst_counter_names[c], (unsigned long long)t->c[c]);
	printf("events by result:\n");
	for (c = RST_C_EV_SENT; is_event_counter(c); c++)
		printf("  %-22s %llu\n", event_key(c), (unsigned long long)t->c[c]);
}

static void stats_text_lost(const struct rst_totals *t)
{
	int c, i;

	printf("host counts evicted from the host table (in / out):\n");
	for (c = 0; c < RST_HF_MAX; c++)
		printf("  %-22s %llu / %llu\n", rst_host_flag_names[c],
		       (unsigned long long)t->host_lost[RST_DIR_IN][c],
		       (unsigned long long)t->host_lost[RST_DIR_OUT][c]);
	printf("flags not in the flow table, by cause:\n  %-12s", "");
	for (c = 0; c < RST_FF_MAX; c++)
		printf(" %10s", rst_flow_flag_names[c]);
	printf("\n");
	for (i = 0; i < RST_FL_MAX; i++) {
		printf("  %-12s", rst_flow_cause_names[i]);
		for (c = 0; c < RST_FF_MAX; c++)
			printf(" %10llu", (unsigned long long)t->flow_lost[i][c]);
		printf("\n");
	}
	printf("malformed packets by reason (%llu in all):\n",
	       (unsigned long long)totals_malformed(t));
	for (c = 0; c < RST_M_MAX; c++)
		printf("  %-24s %llu\n", rst_malformed_names[c],
		       (unsigned long long)t->malformed[c]);
}

static void stats_text_ifaces(struct source *src, const struct stats_read *r)
{
	char nm[IF_NAMESIZE];
	const char *ifn;
	size_t i;

	if (r->n_per)
		printf("per interface:\n  %-16s %-3s %12s %10s %10s %10s %10s %10s\n", "INTERFACE",
		       "DIR", "PACKETS", "SYN", "FIN", "RST", "RSTACK", "MALFORMED");
	for (i = 0; i < r->n_per; i++) {
		const struct rst_if_totals *p = &r->per[i];

		if (!per_shown(p))
			continue;
		ifn = p->ifindex ? source_ifname(src, p->ifindex, nm) : "(shared)";
		if (!ifn) {
			snprintf(nm, sizeof(nm), "if%u", p->ifindex);
			ifn = nm;
		}
		printf("  %-16s %-3s %12llu %10llu %10llu %10llu %10llu %10llu\n", ESC(ifn),
		       dir_str(p->dir), (unsigned long long)p->t.c[RST_C_PACKETS],
		       (unsigned long long)p->t.c[RST_C_SYN], (unsigned long long)p->t.c[RST_C_FIN],
		       (unsigned long long)p->t.c[RST_C_RST],
		       (unsigned long long)p->t.c[RST_C_RSTACK],
		       (unsigned long long)totals_malformed(&p->t));
	}
}

static int do_stats(const struct stats_cfg *c)
{
	static struct stats_read r; /* RST_COUNTER_ENTRIES entries: not on the stack */
	struct source src;
	int ret = EXIT_RUNTIME;

	if (source_open(c->pin_path, &src))
		return EXIT_RUNTIME;
	if (counters_read(src.m.counters, &r.t, r.per, RST_COUNTER_ENTRIES, &r.n_per)) {
		pr_warn("stats: reading the counters map: %s", strerror(errno));
		goto out;
	}
	r.have_cz = !causes_read(src.m.causes, &r.cz);
	r.have_fates = !fate_read_ifaces(src.m.fate_ifs, r.fates, RST_IF_SLOTS + 1, &r.n_fates,
					 &r.fate_total);
	if (c->json) {
		stats_json(&src, &r);
	} else {
		stats_text_global(&src, &r.t);
		stats_text_ctl(&r.t);
		stats_text_lost(&r.t);
		stats_text_ifaces(&src, &r);
		stats_text_causes(&r);
		stats_text_fates(&src, &r);
	}
	ret = fflush(stdout) ? EXIT_RUNTIME : EXIT_OK;
out:
	source_close(&src);
	return ret;
}

int cmd_stats(int argc, char **argv)
{
	struct stats_cfg c = {};
	int err;

	err = opt_parse(&stats_cmd, argc, argv, &c, NULL);
	if (err)
		return opt_exit_status(err);
	return do_stats(&c);
}
