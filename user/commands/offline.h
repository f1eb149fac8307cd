/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `rsttrace -r FILE` (`rsttrace watch -r FILE`): a pcap or pcapng capture
 * run packet by packet through the XDP program (kernel/replay.h), its
 * events printed as watch prints them (stdout), the per-host and per-flow
 * tables and the packet identity after them (stderr), or one JSON object
 * of it all (--stats-json, stdout). watch fills the configuration.
 */
#ifndef RST_OFFLINE_H
#define RST_OFFLINE_H

#include <linux/types.h>

#include "loader.h"
#include "output.h"
#include "tcpdump.h"

struct offline_cfg {
	const char *file; /* "-": standard input */
	struct rst_opts o;
	struct output_opts oo;
	struct fmt_opts fo;
	char *const *expr;
	int n_expr;
	__u64 count_max; /* -c: stop after COUNT events; 0: the whole file */
	int stats_json;	 /* --stats-json: one JSON object on stdout instead of events */
};

#endif
