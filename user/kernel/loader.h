/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Datapath options shared by watch and attach, and the open -> configure
 * -> load step of the BPF skeleton. Options that size maps or set rodata
 * apply at load; sampling and rate limit live in the settings map and can
 * change while attached (loader_apply_settings).
 */
#ifndef RST_LOADER_H
#define RST_LOADER_H

#include <getopt.h>
#include <stddef.h>
#include <linux/types.h>

#include "rsttrace.h"

struct rsttrace;

enum xdp_mode_opt {
	XDPM_AUTO = 0,
	XDPM_NATIVE,
	XDPM_GENERIC,
};

#define DIR_IN	 (1 << RST_DIR_IN)
#define DIR_OUT	 (1 << RST_DIR_OUT)
#define DIR_BOTH (DIR_IN | DIR_OUT)

struct rst_opts {
	__u32 snaplen;
	__u32 max_flows;
	__u32 max_hosts;
	__u32 ring_size;
	__u32 sample;
	__u32 rate_limit;
	__u32 burst;
	__u32 flow_budget;  /* new flows/s per CPU; 0: no limit */
	__u32 event_budget; /* events/s per CPU; 0: no limit */
	int ingress_hook;   /* RST_HOOK_XDP or RST_HOOK_TC_INGRESS */
	int dirs;	    /* DIR_* mask */
	int xdp_mode;	    /* enum xdp_mode_opt */
	int force_memory;   /* load maps larger than a quarter of the machine */
	/* Which of the settings were given on the command line. */
	int set_sample, set_rate, set_burst;
};

/* Long options of the datapath, values from 0x100 on, for getopt_long. */
enum {
	OPT_HOOK = 0x100,
	OPT_DIRECTION,
	OPT_XDP_MODE,
	OPT_SAMPLE,
	OPT_RATE_LIMIT,
	OPT_BURST,
	OPT_SNAPLEN,
	OPT_MAX_FLOWS,
	OPT_MAX_HOSTS,
	OPT_RING_SIZE,
	OPT_FORCE_MEMORY,
	OPT_FLOW_BUDGET,
	OPT_EVENT_BUDGET,
	OPT_DATAPATH_LAST,
};

/* One option per line reads better than what clang-format makes of it. */
/* clang-format off */
#define DATAPATH_LONGOPTS						\
	{ "hook", required_argument, NULL, OPT_HOOK },			\
	{ "direction", required_argument, NULL, OPT_DIRECTION },	\
	{ "xdp-mode", required_argument, NULL, OPT_XDP_MODE },		\
	{ "sample", required_argument, NULL, OPT_SAMPLE },		\
	{ "rate-limit", required_argument, NULL, OPT_RATE_LIMIT },	\
	{ "burst", required_argument, NULL, OPT_BURST },		\
	{ "snaplen", required_argument, NULL, OPT_SNAPLEN },		\
	{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },	\
	{ "max-hosts", required_argument, NULL, OPT_MAX_HOSTS },	\
	{ "ring-size", required_argument, NULL, OPT_RING_SIZE },	\
	{ "flow-budget", required_argument, NULL, OPT_FLOW_BUDGET },	\
	{ "event-budget", required_argument, NULL, OPT_EVENT_BUDGET },	\
	{ "force-memory", no_argument, NULL, OPT_FORCE_MEMORY }
/* clang-format on */

#define DATAPATH_USAGE                                                                             \
	"  --hook xdp|tc          ingress hook (default xdp)\n"                                    \
	"  --direction in|out|both  what to trace (default both: ingress + TC egress)\n"           \
	"  --xdp-mode auto|native|generic  (default auto: native, else generic)\n"                 \
	"  --sample N             1 in N RSTs becomes an event (default 1)\n"                      \
	"  --rate-limit N         events/s per peer host, 0 = off (default 1000)\n"                \
	"  --burst N              token bucket depth in events (default = rate limit)\n"           \
	"  --snaplen N            header snapshot bytes per event, 64..256 (default 128)\n"        \
	"  --max-flows N          flow lines per CPU (default 65536; fewer on many CPUs)\n"        \
	"  --max-hosts N          host lines per CPU (default 16384; fewer on many CPUs)\n"        \
	"  --flow-budget N        new flows per second per CPU, 0 = no limit (default 20000)\n"    \
	"  --event-budget N       events per second per CPU, 0 = no limit (default 20000)\n"       \
	"  --ring-size BYTES      ring buffer size, power of 2, >= 4096 (default 4194304)\n"       \
	"  --force-memory         load maps larger than a quarter of the machine's memory\n"

void opts_default(struct rst_opts *o);
/* Handle one datapath option; 1 if handled, 0 if not ours, -errno on a bad value. */
int opts_parse_datapath(struct rst_opts *o, int opt, const char *arg);

/* Open, size, configure and load. NULL (errno set) after printing why. */
struct rsttrace *loader_open_load(const struct rst_opts *o);
/*
 * Kernel memory a map (sized, not yet created) or all of an object's maps
 * will take, in bytes; detail names the maps of 1 MiB and more.
 */
struct bpf_map;
struct bpf_object;
__u64 loader_map_bytes(const struct bpf_map *m, int ncpus);
__u64 loader_memory(const struct bpf_object *obj, char *detail, size_t len);

/* Sets of a table of `lines` lines per CPU, `ways` lines a set: a power of two. */
__u32 loader_sets(__u32 lines, __u32 ways);
/* Size the host and flow tables (sets) of an opened skeleton, maps and rodata masks. */
struct rsttrace;
void loader_size_tables(struct rsttrace *skel, __u32 host_sets, __u32 flow_sets);

/* Write sample / rate limit / burst / budgets into the settings map. */
int loader_apply_settings(int settings_fd, const struct rst_opts *o);

const char *hook_name(int hook);

#endif
