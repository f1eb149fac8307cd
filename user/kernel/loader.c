// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h"
#include "log.h"
#include "netns.h"
#include "tracing.h"
#include "fatetrace.h"
#include "rings.h"
#include "util.h"
#include "rsttrace.skel.h"

/* The CPUs the sizes are for: the machine's, or loader_assume_cpus()'. */
static int assumed_cpus;

void loader_assume_cpus(int n)
{
	assumed_cpus = n;
}

int loader_cpus(void)
{
	return assumed_cpus > 0 ? assumed_cpus : libbpf_num_possible_cpus();
}

/*
 * Default lines per CPU: the largest defaults on small machines, and
 * 2^18 / ncpu (at least RST_MIN_LINES) on large ones; fit_budget() then
 * keeps every map under 64 MiB up to 128 CPUs (docs/architecture.md, "Memory").
 */
static __u32 default_lines(__u32 max)
{
	int ncpu = loader_cpus();
	__u32 n = max;

	while (ncpu > 0 && n > RST_MIN_LINES && (__u64)n * ncpu > (1U << 18))
		n >>= 1;
	return n;
}

__u32 loader_sets(__u32 lines, __u32 ways)
{
	__u32 sets = 1;

	while ((__u64)sets * ways < lines)
		sets <<= 1;
	return sets;
}

/*
 * Where the lines rule still leaves the default footprint above
 * RST_DEFAULT_BUDGET (many CPUs: every per-CPU map and each CPU's event
 * ring pages count), flows halve first, then hosts, down to a quarter of
 * RST_MIN_LINES. An estimate (bytes a line with its set header, the other
 * per-CPU maps, the ring and the shared hashes); `make bench` computes the
 * real footprint with loader_footprint() for 2 to 256 CPUs.
 */
#define RST_DEFAULT_BUDGET (62ULL << 20)
#define RST_SHARED_FIXED   (2ULL << 20) /* the LRU hashes: reasons, fate verdicts, owners */

static __u32 side_sets(__u32 max, __u32 ways, __u64 lines);

/* Bytes per CPU of the per-CPU maps the options do not size, and of a per-CPU ring's pages. */
static __u64 percpu_fixed(void)
{
	return (__u64)RST_COUNTER_ENTRIES * sizeof(struct rst_counters) +
	       RST_FATE_IF_ENTRIES * sizeof(struct rst_fate_counts) + sizeof(struct rst_causes) +
	       side_sets(RST_FATE_HOST_SETS, RST_FATE_HOST_WAYS, 1U << 14) *
		       sizeof(struct rst_fate_host_set) +
	       side_sets(RST_CAUSE_HOST_SETS, RST_CAUSE_HOST_WAYS, 1U << 12) *
		       sizeof(struct rst_cause_host_set) +
	       side_sets(RST_CGROUPS, 1, 1U << 14) * 64 + (20U << 10);
}

static __u64 default_bytes(const struct rst_opts *o, __u64 fixed, int ncpu)
{
	__u64 lines = o->max_hosts * (sizeof(struct rst_host_set) / RST_HOST_WAYS) +
		      o->max_flows * (sizeof(struct rst_flow_set) / RST_FLOW_WAYS);

	return (__u64)ncpu * (fixed + lines) + o->ring_size + RST_SHARED_FIXED;
}

static void fit_budget(struct rst_opts *o)
{
	__u64 fixed = percpu_fixed();
	int ncpu = loader_cpus();

	while (ncpu > 0 && default_bytes(o, fixed, ncpu) > RST_DEFAULT_BUDGET) {
		if (o->max_flows > RST_MIN_LINES / 4)
			o->max_flows >>= 1;
		else if (o->max_hosts > RST_MIN_LINES / 4)
			o->max_hosts >>= 1;
		else
			break;
	}
}

void opts_default(struct rst_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->snaplen = RST_SNAPLEN_DEFAULT;
	o->max_flows = default_lines(RST_MAX_FLOWS_DEFAULT);
	o->max_hosts = default_lines(RST_MAX_HOSTS_DEFAULT);
	o->flow_budget = RST_FLOW_BUDGET_DEFAULT;
	o->event_budget = RST_EV_BUDGET_DEFAULT;
	o->ring_size = RST_RINGBUF_DEFAULT;
	o->sample = 1;
	o->rate_limit = RST_RATE_DEFAULT;
	o->burst = 0;
	o->ingress_hook = RST_HOOK_XDP;
	o->dirs = DIR_BOTH;
	o->xdp_mode = XDPM_AUTO;
	fit_budget(o);
}

const char *hook_name(int hook)
{
	switch (hook) {
	case RST_HOOK_XDP:
		return "xdp";
	case RST_HOOK_TC_INGRESS:
		return "tc-in";
	case RST_HOOK_TC_EGRESS:
		return "tc-out";
	}
	return "?";
}

/* The power of 2 the ring buffer must be (the kernel refuses any other size). */
static int ring_size_check(const char *arg, const void *field)
{
	__u32 v = *(const __u32 *)field;

	if (v & (v - 1)) {
		pr_warn("invalid --ring-size '%s': not a power of 2", arg);
		return -EINVAL;
	}
	/* With --rings per-cpu given before it: each ring must still hold a page. */
	return rings_opts_check((const struct rst_opts *)((const char *)field -
							  offsetof(struct rst_opts, ring_size)));
}

/* --rings per-cpu and a --ring-size given before it that cannot be split (rings.c). */
static int rings_check(const char *arg, const void *field)
{
	(void)arg;
	return rings_opts_check(
		(const struct rst_opts *)((const char *)field - offsetof(struct rst_opts, rings)));
}

static const struct opt_choice rings_choices[] = {
	{ "auto", RINGS_AUTO },
	{ "one", RINGS_ONE },
	{ "per-cpu", RINGS_PERCPU },
	{ NULL },
};

static const struct opt_choice hook_choices[] = {
	{ "xdp", RST_HOOK_XDP },
	{ "tc", RST_HOOK_TC_INGRESS },
	{ NULL },
};

static const struct opt_choice dir_choices[] = {
	{ "in", DIR_IN },
	{ "out", DIR_OUT },
	{ "both", DIR_BOTH },
	{ NULL },
};

static const struct opt_choice xdp_mode_choices[] = {
	{ "auto", XDPM_AUTO },
	{ "native", XDPM_NATIVE },
	{ "generic", XDPM_GENERIC },
	{ NULL },
};

#define DP(f)	    .off = offsetof(struct rst_opts, f)
#define DP_GIVEN(f) .given = OPT_GIVEN(struct rst_opts, f)

const struct opt_row datapath_rows[] = {
	{ .name = "hook",
	  .type = OPT_CHOICE,
	  DP(ingress_hook),
	  .choices = hook_choices,
	  .help = "ingress hook (default xdp)" },
	{ .name = "direction",
	  .type = OPT_CHOICE,
	  DP(dirs),
	  .choices = dir_choices,
	  .help = "what to trace (default both: ingress + TC egress)" },
	{ .name = "xdp-mode",
	  .type = OPT_CHOICE,
	  DP(xdp_mode),
	  .choices = xdp_mode_choices,
	  .help = "(default auto: native, else generic)" },
	{ .name = "sample",
	  .type = OPT_U32,
	  DP(sample),
	  DP_GIVEN(set_sample),
	  .min = 1,
	  .max = 1000000000,
	  .metavar = "N",
	  .help = "1 in N RSTs becomes an event (default 1)" },
	{ .name = "rate-limit",
	  .type = OPT_U32,
	  DP(rate_limit),
	  DP_GIVEN(set_rate),
	  .min = 0,
	  .max = 1000000000,
	  .metavar = "N",
	  .help = "events/s per peer host, 0 = off (default 1000)" },
	{ .name = "burst",
	  .type = OPT_U32,
	  DP(burst),
	  DP_GIVEN(set_burst),
	  .min = 1,
	  .max = 1000000000,
	  .metavar = "N",
	  .help = "token bucket depth in events (default = rate limit)" },
	{ .name = "snaplen",
	  .type = OPT_U32,
	  DP(snaplen),
	  DP_GIVEN(set_snaplen),
	  .min = 64,
	  .max = RST_SNAPLEN_MAX,
	  .metavar = "N",
	  .help = "header snapshot bytes per event, 64..256 (default 128)" },
	{ .name = "max-flows",
	  .type = OPT_U32,
	  DP(max_flows),
	  DP_GIVEN(set_max_flows),
	  .min = 16,
	  .max = 1U << 26,
	  .metavar = "N",
	  .help = "flow lines per CPU (default 65536; fewer on many CPUs)" },
	{ .name = "max-hosts",
	  .type = OPT_U32,
	  DP(max_hosts),
	  DP_GIVEN(set_max_hosts),
	  .min = 16,
	  .max = 1U << 24,
	  .metavar = "N",
	  .help = "host lines per CPU (default 16384; fewer on many CPUs)" },
	{ .name = "flow-budget",
	  .type = OPT_U32,
	  DP(flow_budget),
	  .min = 0,
	  .max = 1000000000,
	  .metavar = "N",
	  .help = "new flows per second per CPU, 0 = no limit (default 20000)" },
	{ .name = "event-budget",
	  .type = OPT_U32,
	  DP(event_budget),
	  .min = 0,
	  .max = 1000000000,
	  .metavar = "N",
	  .help = "events per second per CPU, 0 = no limit (default 20000)" },
	{ .name = "ring-size",
	  .type = OPT_U32,
	  DP(ring_size),
	  DP_GIVEN(set_ring_size),
	  .min = 4096,
	  .max = 1U << 30,
	  .check = ring_size_check,
	  .metavar = "BYTES",
	  .help = "ring buffer size, power of 2, >= 4096 (default 4194304)" },
	{ .name = "rings",
	  .type = OPT_CHOICE,
	  DP(rings),
	  DP_GIVEN(set_rings),
	  .choices = rings_choices,
	  .check = rings_check,
	  .help = "event rings: one, per-cpu (--ring-size split), auto (default:\n"
		  "per-cpu from 8 possible CPUs on)" },
	{ .name = "force-memory",
	  .type = OPT_FLAG,
	  DP(force_memory),
	  .help = "load maps larger than a quarter of the machine's memory" },
	{ 0 },
};

/*
 * A random seed for the hash of the tables, never 0 (0 is "none yet"). A
 * failing getrandom() leaves a time-and-pid mix: weaker, but it still
 * differs from load to load, which is what a blind flood is kept from.
 */
static __u32 new_seed(void)
{
	__u32 seed = 0;
	struct timespec ts;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed)) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		seed = (__u32)ts.tv_nsec * 0x9e3779b1U ^ (__u32)getpid();
	}
	return seed ? seed : 1;
}

int loader_apply_settings(int settings_fd, const struct rst_opts *o)
{
	struct rst_config cfg = {
		.sample = o->sample,
		.rate_limit = o->rate_limit,
		.burst = o->burst,
		.flow_budget = o->flow_budget,
		.event_budget = o->event_budget,
	}, cur;
	__u32 zero = 0;

	/* The seed is the tables': kept for as long as they live, made once. */
	if (!bpf_map_lookup_elem(settings_fd, &zero, &cur) && cur.hash_seed)
		cfg.hash_seed = cur.hash_seed;
	else
		cfg.hash_seed = new_seed();
	rst_config_derive(&cfg);

	if (bpf_map_update_elem(settings_fd, &zero, &cfg, BPF_ANY)) {
		int err = -errno;

		pr_warn("settings map update: %s", strerror(-err));
		return err;
	}
	return 0;
}

static __u64 round8(__u64 v)
{
	return (v + 7) & ~7ULL;
}

static __u64 pow2_ceil(__u64 v)
{
	__u64 p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

/*
 * The kernel memory one map will take once created, as the kernel itself
 * accounts it (htab_map_mem_usage, array_map_mem_usage and
 * ringbuf_map_mem_usage in kernel/bpf/): the fixed structs are 6.x's
 * x86_64 sizes (bpf_htab 896, htab_elem 48, bucket 16, bpf_array 312,
 * bpf_ringbuf 12 KiB), close enough on other builds for a ceiling. LRU and
 * array maps are preallocated: all of it is taken at load, full or not.
 */
__u64 loader_map_bytes(const struct bpf_map *m, int ncpus)
{
	__u64 n = bpf_map__max_entries(m);
	__u64 key = round8(bpf_map__key_size(m)), val = round8(bpf_map__value_size(m));

	switch (bpf_map__type(m)) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
		return 896 + 16 * pow2_ceil(n) + 4ULL * ncpus * 8 + n * (48 + key + val);
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		return 896 + 16 * pow2_ceil(n) + 4ULL * ncpus * 8 + n * (48 + key + 8) +
		       n * val * ncpus;
	case BPF_MAP_TYPE_ARRAY:
		return 312 + n * val;
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		return 312 + n * 8 + n * val * ncpus;
	case BPF_MAP_TYPE_RINGBUF:
		return 12288 + n + 2 * 4096;
	case BPF_MAP_TYPE_ARRAY_OF_MAPS:
		return 312 + n * 8;
	default:
		return 0;
	}
}

/* Ways per set of the host or flow table; 0 for any other map. */
static __u32 table_ways(const struct bpf_object *obj, const struct bpf_map *m)
{
	if (m == bpf_object__find_map_by_name(obj, "hosts"))
		return RST_HOST_WAYS;
	if (m == bpf_object__find_map_by_name(obj, "flows"))
		return RST_FLOW_WAYS;
	return 0;
}

__u64 loader_memory(const struct bpf_object *obj, char *detail, size_t len)
{
	int ncpus = loader_cpus();
	__u32 ways;
	const struct bpf_map *m;
	__u64 total = 0, b;
	size_t o = 0;

	if (ncpus < 1)
		ncpus = 1;
	if (len)
		detail[0] = '\0';
	bpf_object__for_each_map(m, obj)
	{
		if (!bpf_map__autocreate(m))
			continue;
		b = loader_map_bytes(m, ncpus);
		total += b;
		/* The maps the options size; the small fixed ones are not worth a word. */
		if (b < (1 << 20) || o >= len)
			continue;
		if (bpf_map__type(m) == BPF_MAP_TYPE_RINGBUF)
			o += snprintf(detail + o, len - o, "%s%s ring %.1f MiB", o ? ", " : "",
				      bpf_map__name(m), b / 1048576.0);
		else if ((ways = table_ways(obj, m)))
			/* Lines per CPU x bytes per line x CPUs: what --max-* set. */
			o += snprintf(detail + o, len - o, "%s%s %llu x %u B x %d CPUs = %.1f MiB",
				      o ? ", " : "", bpf_map__name(m),
				      (unsigned long long)bpf_map__max_entries(m) * ways,
				      bpf_map__value_size(m) / ways, ncpus, b / 1048576.0);
		else
			o += snprintf(detail + o, len - o, "%s%s %u x %llu B = %.1f MiB",
				      o ? ", " : "", bpf_map__name(m), bpf_map__max_entries(m),
				      (unsigned long long)(b / bpf_map__max_entries(m)),
				      b / 1048576.0);
	}
	return total;
}

static __u64 machine_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);

	return pages > 0 && psz > 0 ? (__u64)pages * (__u64)psz : 0;
}

/*
 * Maps are preallocated: --max-flows 2^26 and a 1 GiB ring take their
 * whole size at load, full or empty. More than a quarter of the machine is
 * refused (-E2BIG, a usage error) unless --force-memory says it is meant.
 */
static int check_memory(const struct bpf_object *obj, const struct rst_opts *o)
{
	__u64 total, ram = machine_memory();
	char detail[256];

	total = loader_memory(obj, detail, sizeof(detail));
	/* The per-CPU rings are made after load (rings_fill): not among the object's maps. */
	total += rings_memory(o, detail, sizeof(detail));
	pr_info("the maps take %.1f MiB of kernel memory (%s)", total / 1048576.0, detail);
	if (!ram || total <= ram / 4 || o->force_memory)
		return 0;
	pr_warn("the maps would take %.1f MiB of kernel memory, more than a quarter of "
		"this machine's %.1f MiB (%s): lower --max-flows, --max-hosts or --ring-size, or "
		"add --force-memory",
		total / 1048576.0, ram / 1048576.0, detail);
	return -E2BIG;
}

/*
 * Sets of a side table (fates and causes per host): max on small machines,
 * halved while its lines on all CPUs pass `lines` (at least 16 sets), so
 * that these per-CPU tables do not grow with the CPUs either.
 */
static __u32 side_sets(__u32 max, __u32 ways, __u64 lines)
{
	int ncpu = loader_cpus();
	__u32 n = max;

	while (ncpu > 0 && n > 16 && (__u64)n * ways * ncpu > lines)
		n >>= 1;
	return n;
}

void loader_size_tables(struct rsttrace *skel, __u32 host_sets, __u32 flow_sets)
{
	__u32 fate = side_sets(RST_FATE_HOST_SETS, RST_FATE_HOST_WAYS, 1U << 14);
	__u32 cause = side_sets(RST_CAUSE_HOST_SETS, RST_CAUSE_HOST_WAYS, 1U << 12);

	bpf_map__set_max_entries(skel->maps.hosts, host_sets);
	bpf_map__set_max_entries(skel->maps.flows, flow_sets);
	skel->rodata->host_set_mask = host_sets - 1;
	skel->rodata->flow_set_mask = flow_sets - 1;
	bpf_map__set_max_entries(skel->maps.fate_hosts, fate);
	skel->rodata->fate_host_mask = fate - 1;
	bpf_map__set_max_entries(skel->maps.cause_hosts, cause);
	skel->rodata->cause_host_mask = cause - 1;
	/* A per-CPU hash: its entries per CPU likewise (256 on 64 CPUs). */
	bpf_map__set_max_entries(skel->maps.cgroups, side_sets(RST_CGROUPS, 1, 1U << 14));
}

/* Open and configure; the tracing program only if wanted and the kernel has it. */
static struct rsttrace *open_configured(const struct rst_opts *o, bool tracing, bool *traced)
{
	struct rsttrace *skel;
	bool causes = false;
	int err;

	skel = rsttrace__open();
	if (!skel) {
		err = -errno;
		pr_warn("opening the BPF object: %s", strerror(-err));
		errno = -err;
		return NULL;
	}
	skel->rodata->snaplen = o->snaplen;
	skel->rodata->rst_offline = o->offline ? 1 : 0;
	loader_size_tables(skel, loader_sets(o->max_hosts, RST_HOST_WAYS),
			   loader_sets(o->max_flows, RST_FLOW_WAYS));
	/* One ring or one per CPU, and ringbuf_wakeup()'s threshold (rings.c). */
	err = rings_configure(skel, o);
	if (err) {
		rsttrace__destroy(skel);
		errno = -err;
		return NULL;
	}
	if (tracing) {
		*traced = tracing_configure(skel->obj);
		causes = *traced;
		*traced |= fate_configure(skel, true); /* fates and owners (kernel/fatetrace.h) */
	} else {
		tracing_disable(skel->obj);
		fate_configure(skel, false);
	}
	/* The causes count this namespace's resets, and only with the tracepoints. */
	skel->rodata->trace_netns = (__u32)netns_self();
	skel->rodata->causes_on = tracing && causes;
	return skel;
}

__u64 loader_footprint(const struct rst_opts *o, char *detail, size_t len)
{
	struct rsttrace *skel;
	bool traced = false;
	__u64 total;

	/* Opened and sized as a load would be (every map it would create), not loaded. */
	skel = open_configured(o, true, &traced);
	if (!skel)
		return 0;
	total = loader_memory(skel->obj, detail, len);
	/* The per-CPU rings are made after load: counted as check_memory() does. */
	if (len)
		total += rings_memory(o, detail, len);
	else
		total += rings_memory(o, (char[1]){ 0 }, 1);
	rsttrace__destroy(skel);
	return total;
}

struct rsttrace *loader_open_load(const struct rst_opts *o)
{
	struct rsttrace *skel;
	bool traced = false;
	int err;

	skel = open_configured(o, true, &traced);
	if (!skel)
		return NULL;
	err = check_memory(skel->obj, o);
	if (err) {
		rsttrace__destroy(skel);
		errno = -err;
		return NULL;
	}
	err = rsttrace__load(skel);
	if (err && traced) {
		/*
		 * The kernel has the tracepoint, yet the program did not load
		 * (a policy against tracing programs, say): the datapath does
		 * not need it. Once more without; a real problem fails again.
		 */
		pr_debug("loading with the reset-reason program failed (%s); "
			 "again without it",
			 strerror(-err));
		rsttrace__destroy(skel);
		skel = open_configured(o, false, &traced);
		if (!skel)
			return NULL;
		err = rsttrace__load(skel);
	}
	if (err) {
		pr_warn("loading the BPF programs: %s%s", strerror(-err),
			err == -EPERM
				? " (the capabilities are there: a security module, lockdown or "
				  "kernel.unprivileged_bpf_disabled refused it)"
				: " (run with -dd for the verifier log)");
		rsttrace__destroy(skel);
		errno = -err;
		return NULL;
	}
	err = rings_fill(skel, o);
	if (!err)
		err = loader_apply_settings(bpf_map__fd(skel->maps.settings), o);
	if (err) {
		rsttrace__destroy(skel);
		errno = -err;
		return NULL;
	}
	pr_debug("loaded: snaplen %u, flows %u, hosts %u, ring %u bytes", o->snaplen, o->max_flows,
		 o->max_hosts, o->ring_size);
	return skel;
}
