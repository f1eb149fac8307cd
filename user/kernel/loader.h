/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Datapath options shared by watch and attach, and the open -> configure
 * -> load step of the BPF skeleton. Options that size maps or set rodata
 * apply at load; sampling and rate limit live in the settings map and can
 * change while attached (loader_apply_settings).
 */
#ifndef RST_LOADER_H
#define RST_LOADER_H

#include <stddef.h>
#include <linux/types.h>

#include "options.h"
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
	/* And of the load-time options (a later attach warns that they are ignored). */
	int set_snaplen, set_max_flows, set_max_hosts, set_ring_size;
	/* Replaying a capture (-r): the XDP program's clock is the capture's (offline.bpf.h). */
	int offline;
	int rings; /* enum rings_mode (rings.h): one ring or one per CPU */
	int set_rings;
};

/*
 * The datapath options (--hook ... --force-memory) as rows of struct
 * rst_opts, for the option table of watch and attach (options.h).
 */
extern const struct opt_row datapath_rows[];

void opts_default(struct rst_opts *o);

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
/*
 * What loading with o would take (loader_memory() of the object opened and
 * sized as loader_open_load() does, not loaded); 0 if it cannot be opened.
 */
__u64 loader_footprint(const struct rst_opts *o, char *detail, size_t len);
/*
 * Size everything for n possible CPUs instead of this machine's (0: the
 * machine's again): the defaults, the tables, the memory. For the
 * benchmark's "on 64 CPUs" figure; call opts_default() after it.
 */
void loader_assume_cpus(int n);
/* The possible CPUs the sizes are for: the machine's, or loader_assume_cpus()'. */
int loader_cpus(void);

/* Sets of a table of `lines` lines per CPU, `ways` lines a set: a power of two. */
__u32 loader_sets(__u32 lines, __u32 ways);
/* Size the host and flow tables (sets) of an opened skeleton, maps and rodata masks. */
struct rsttrace;
void loader_size_tables(struct rsttrace *skel, __u32 host_sets, __u32 flow_sets);

/* Write sample / rate limit / burst / budgets into the settings map. */
int loader_apply_settings(int settings_fd, const struct rst_opts *o);

const char *hook_name(int hook);

#endif
