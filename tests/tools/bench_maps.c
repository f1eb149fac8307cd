// SPDX-License-Identifier: GPL-2.0
/*
 * bench_maps: the map side of `make bench`. Prints JSON on stdout.
 *
 *   bench_maps counters PID   counters and map memory of the rsttrace
 *                             datapath process PID holds (found through its
 *                             own map fds, so another rsttrace running on
 *                             the machine is never mistaken for it)
 *   bench_maps counters DIR   counters of the attachment pinned under DIR
 *   bench_maps progs PID      the BPF programs PID holds, with run-time stats
 *   bench_maps mem            kernel memory of every map at the default
 *                             sizes, and per entry of flows/hosts/buckets
 *                             (from a second load with doubled sizes)
 *   bench_maps fill DIR FLOWS HOSTS
 *                             fill the flows and hosts maps pinned under
 *                             DIR/maps with FLOWS and HOSTS entries, by
 *                             bpf_map_update_batch
 *
 * Needs root. Loads nothing that it attaches; bounded by its arguments.
 */
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "counters.h"
#include "loader.h"
#include "log.h"
#include "mapread.h"
#include "session.h"
#include "util.h"
#include "rsttrace.h"
#include "rsttrace.skel.h"

/* A "key:\tvalue" line of a /proc fdinfo file; 0 if absent. */
static __u64 fdinfo_field(int pid, int fd, const char *key)
{
	char path[64], line[256];
	size_t kl = strlen(key);
	__u64 v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			v = strtoull(line + kl + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static void print_totals(const struct rst_totals *t)
{
	int i;

	printf("{");
	for (i = 0; i < RST_C_MAX; i++)
		printf("%s\"%s\":%llu", i ? "," : "", rst_counter_names[i],
		       (unsigned long long)t->c[i]);
	printf(",\"malformed\":%llu}", (unsigned long long)totals_malformed(t));
}

/* Sums over every host line and every flow line, merged over CPUs. */
struct cons_sums {
	__u64 host[2][RST_HF_MAX]; /* [dir][flag] */
	__u64 flow[RST_FF_MAX];
};

static int cons_hosts(void *ctx, const struct map_dump *d)
{
	struct cons_sums *cs = ctx;
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct rst_host_val *v = map_dump_val(d, i);

		cs->host[RST_DIR_IN][RST_HF_RST] += v->rst_in;
		cs->host[RST_DIR_OUT][RST_HF_RST] += v->rst_out;
		cs->host[RST_DIR_IN][RST_HF_SYN] += v->syn_in;
		cs->host[RST_DIR_OUT][RST_HF_SYN] += v->syn_out;
		cs->host[RST_DIR_IN][RST_HF_FIN] += v->fin_in;
		cs->host[RST_DIR_OUT][RST_HF_FIN] += v->fin_out;
	}
	return 0;
}

static int cons_flows(void *ctx, const struct map_dump *d)
{
	struct cons_sums *cs = ctx;
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct rst_flow_val *v = map_dump_val(d, i);

		cs->flow[RST_FF_SYN] += v->syn[0] + v->syn[1];
		cs->flow[RST_FF_SYNACK] += v->synack[0] + v->synack[1];
		cs->flow[RST_FF_FIN] += v->fin[0] + v->fin[1];
		cs->flow[RST_FF_RST] += v->rst[0] + v->rst[1];
		cs->flow[RST_FF_RSTACK] += v->rstack[0] + v->rstack[1];
	}
	return 0;
}

/*
 * The accounting identities (docs/architecture.md), checked exactly on the
 * maps as they are: per direction and flag, sum over host lines +
 * host_lost == the global count of that direction; per flag, sum over flow
 * lines + flow_lost of every cause == global. Printed as ,"conservation":
 * {...,"ok":BOOL} with each side, so a failure shows where.
 */
static int print_conservation(int counters_fd, int hosts_fd, int flows_fd)
{
	static const int host_c[RST_HF_MAX][2] = {
		[RST_HF_RST] = { RST_C_RST, RST_C_RSTACK },
		[RST_HF_SYN] = { RST_C_SYN, -1 },
		[RST_HF_FIN] = { RST_C_FIN, -1 },
	};
	static const int flow_c[RST_FF_MAX] = { RST_C_SYN, RST_C_SYNACK, RST_C_FIN, RST_C_RST,
						RST_C_RSTACK };
	struct rst_if_totals per[2 * (RST_IF_SLOTS + 1)];
	__u64 g[2][RST_C_MAX] = {}, lost;
	struct cons_sums cs = {};
	struct map_dump d = {};
	struct rst_totals t;
	size_t n_per = 0, i;
	int dir, k, c, ok = 1, first = 1;

	if (counters_fd < 0 || hosts_fd < 0 || flows_fd < 0 ||
	    counters_read(counters_fd, &t, per, ARRAY_SIZE(per), &n_per) ||
	    hosts_dump_each(hosts_fd, &d, cons_hosts, &cs) ||
	    flows_dump_each(flows_fd, &d, cons_flows, &cs)) {
		map_dump_free(&d);
		printf(",\"conservation\":{\"error\":\"maps not readable\",\"ok\":false}");
		return -1;
	}
	map_dump_free(&d);
	for (i = 0; i < n_per; i++)
		for (c = 0; c < RST_C_MAX; c++)
			g[per[i].dir & 1][c] += per[i].t.c[c];
	printf(",\"conservation\":{\"hosts\":[");
	for (dir = 0; dir < 2; dir++)
		for (k = 0; k < RST_HF_MAX; k++) {
			__u64 want = g[dir][host_c[k][0]] +
				     (host_c[k][1] >= 0 ? g[dir][host_c[k][1]] : 0);
			__u64 have = cs.host[dir][k] + t.host_lost[dir][k];

			ok &= have == want;
			printf("%s{\"dir\":\"%s\",\"flag\":\"%s\",\"lines\":%llu,\"evicted\":%llu,"
			       "\"global\":%llu}",
			       first ? "" : ",", dir ? "out" : "in", rst_host_flag_names[k],
			       (unsigned long long)cs.host[dir][k],
			       (unsigned long long)t.host_lost[dir][k], (unsigned long long)want);
			first = 0;
		}
	printf("],\"flows\":[");
	for (k = 0; k < RST_FF_MAX; k++) {
		__u64 want = t.c[flow_c[k]];

		lost = 0;
		for (c = 0; c < RST_FL_MAX; c++)
			lost += t.flow_lost[c][k];
		ok &= cs.flow[k] + lost == want;
		printf("%s{\"flag\":\"%s\",\"lines\":%llu,\"untracked\":%llu,\"global\":%llu}",
		       k ? "," : "", rst_flow_flag_names[k], (unsigned long long)cs.flow[k],
		       (unsigned long long)lost, (unsigned long long)want);
	}
	printf("],\"ok\":%s}", ok ? "true" : "false");
	return ok ? 0 : 1;
}

/* The maps of process pid, by name, with their memory. */
static int cmd_counters(int pid)
{
	struct rst_if_totals per[2 * (RST_IF_SLOTS + 1)];
	char path[64], link[64];
	int counters_fd = -1, hosts_fd = -1, flows_fd = -1, n_maps = 0, first = 1;
	__u64 memlock_total = 0;
	struct dirent *de;
	size_t n_per = 0, i;
	struct rst_totals t;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d) {
		fprintf(stderr, "bench_maps: %s: %s\n", path, strerror(errno));
		return 1;
	}
	printf("{\"pid\":%d,\"maps\":[", pid);
	while ((de = readdir(d))) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		int fd = atoi(de->d_name), mfd;
		__u64 id, memlock;
		ssize_t l;

		snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
		l = readlink(path, link, sizeof(link) - 1);
		if (l <= 0)
			continue;
		link[l] = 0;
		if (strcmp(link, "anon_inode:bpf-map"))
			continue;
		id = fdinfo_field(pid, fd, "map_id");
		memlock = fdinfo_field(pid, fd, "memlock");
		mfd = bpf_map_get_fd_by_id(id);
		if (mfd < 0 || bpf_obj_get_info_by_fd(mfd, &info, &len)) {
			if (mfd >= 0)
				close(mfd);
			continue;
		}
		printf("%s{\"name\":\"%s\",\"max_entries\":%u,\"memlock\":%llu}", first ? "" : ",",
		       info.name, info.max_entries, (unsigned long long)memlock);
		first = 0;
		memlock_total += memlock;
		n_maps++;
		if (!strcmp(info.name, "counters") && counters_fd < 0)
			counters_fd = mfd;
		else if (!strcmp(info.name, "hosts") && hosts_fd < 0)
			hosts_fd = mfd;
		else if (!strcmp(info.name, "flows") && flows_fd < 0)
			flows_fd = mfd;
		else
			close(mfd);
	}
	closedir(d);
	printf("],\"memlock_total\":%llu", (unsigned long long)memlock_total);
	if (counters_fd < 0 || counters_read(counters_fd, &t, per, ARRAY_SIZE(per), &n_per)) {
		printf(",\"error\":\"no counters map\"}\n");
		return 1;
	}
	printf(",\"totals\":");
	print_totals(&t);
	printf(",\"per_interface\":[");
	for (i = 0; i < n_per; i++) {
		printf("%s{\"ifindex\":%u,\"dir\":\"%s\",\"counters\":", i ? "," : "",
		       per[i].ifindex, per[i].dir == RST_DIR_IN ? "in" : "out");
		print_totals(&per[i].t);
		printf("}");
	}
	printf("]");
	print_conservation(counters_fd, hosts_fd, flows_fd);
	printf("}\n");
	close(counters_fd);
	if (hosts_fd >= 0)
		close(hosts_fd);
	if (flows_fd >= 0)
		close(flows_fd);
	return 0;
}

/*
 * The BPF programs process pid holds, with the kernel's run-time
 * statistics (non-zero while BPF_ENABLE_STATS is on).
 */
static int cmd_progs(int pid)
{
	char path[64], link[64];
	struct dirent *de;
	int first = 1;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d) {
		fprintf(stderr, "bench_maps: %s: %s\n", path, strerror(errno));
		return 1;
	}
	printf("{\"pid\":%d,\"progs\":[", pid);
	while ((de = readdir(d))) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = atoi(de->d_name), pfd;
		ssize_t l;

		snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
		l = readlink(path, link, sizeof(link) - 1);
		if (l <= 0)
			continue;
		link[l] = 0;
		if (strcmp(link, "anon_inode:bpf-prog"))
			continue;
		pfd = bpf_prog_get_fd_by_id(fdinfo_field(pid, fd, "prog_id"));
		if (pfd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(pfd, &info, &len))
			printf("%s{\"name\":\"%s\",\"id\":%u,\"run_time_ns\":%llu,\"run_cnt\":%"
			       "llu}",
			       first ? "" : ",", info.name, info.id,
			       (unsigned long long)info.run_time_ns,
			       (unsigned long long)info.run_cnt);
		first = 0;
		close(pfd);
	}
	closedir(d);
	printf("]}\n");
	return 0;
}

/* The counters of a persistent attachment pinned under dir. */
static int cmd_counters_pinned(const char *dir)
{
	struct rst_if_totals per[2 * (RST_IF_SLOTS + 1)];
	struct rst_totals t;
	size_t n_per = 0, i;
	char path[512];
	int fd;

	int hfd, ffd;

	snprintf(path, sizeof(path), "%s/maps/counters", dir);
	fd = bpf_obj_get(path);
	if (fd < 0 || counters_read(fd, &t, per, ARRAY_SIZE(per), &n_per)) {
		fprintf(stderr, "bench_maps: %s: %s\n", path, strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/maps/hosts", dir);
	hfd = bpf_obj_get(path);
	snprintf(path, sizeof(path), "%s/maps/flows", dir);
	ffd = bpf_obj_get(path);
	printf("{\"pin\":\"%s\",\"totals\":", dir);
	print_totals(&t);
	printf(",\"per_interface\":[");
	for (i = 0; i < n_per; i++) {
		printf("%s{\"ifindex\":%u,\"dir\":\"%s\",\"counters\":", i ? "," : "",
		       per[i].ifindex, per[i].dir == RST_DIR_IN ? "in" : "out");
		print_totals(&per[i].t);
		printf("}");
	}
	printf("]");
	print_conservation(fd, hfd, ffd);
	printf("}\n");
	close(fd);
	if (hfd >= 0)
		close(hfd);
	if (ffd >= 0)
		close(ffd);
	return 0;
}

struct map_mem {
	const char *name;
	__u32 max_entries, key_size, value_size;
	__u64 memlock;
};

static int load_mem(const struct rst_opts *o, struct map_mem *mm, int *n)
{
	struct rst_session s;
	struct bpf_map *m;

	session_init(&s);
	if (session_load(&s, o))
		return -1;
	*n = 0;
	bpf_object__for_each_map(m, s.skel->obj)
	{
		mm[*n].name = strdup(bpf_map__name(m));
		mm[*n].max_entries = bpf_map__max_entries(m);
		mm[*n].key_size = bpf_map__key_size(m);
		mm[*n].value_size = bpf_map__value_size(m);
		mm[*n].memlock = fdinfo_field(getpid(), bpf_map__fd(m), "memlock");
		(*n)++;
	}
	session_close(&s);
	return 0;
}

static int cmd_mem(void)
{
	static const int cpus[] = { 2, 8, 16, 32, 64, 128, 256 };
	struct map_mem a[32], b[32];
	struct rst_opts o, o0;
	int na, nb, i;
	__u64 total = 0;

	opts_default(&o);
	o0 = o;
	if (load_mem(&o, a, &na))
		return 1;
	o.max_flows *= 2;
	o.max_hosts *= 2;
	if (load_mem(&o, b, &nb) || na != nb)
		return 1;
	printf("{\"possible_cpus\":%d,\"maps\":[", libbpf_num_possible_cpus());
	for (i = 0; i < na; i++) {
		printf("%s{\"name\":\"%s\",\"max_entries\":%u,\"key_size\":%u,\"value_size\":%u,"
		       "\"memlock\":%llu",
		       i ? "," : "", a[i].name, a[i].max_entries, a[i].key_size, a[i].value_size,
		       (unsigned long long)a[i].memlock);
		if (b[i].max_entries != a[i].max_entries)
			printf(",\"bytes_per_entry\":%.1f",
			       (double)(b[i].memlock - a[i].memlock) /
				       (b[i].max_entries - a[i].max_entries));
		printf("}");
		total += a[i].memlock;
	}
	printf("],\"memlock_total\":%llu", (unsigned long long)total);
	/*
	 * The same defaults sized for other machines by the loader's own code
	 * (loader_assume_cpus): its per-map formula, which the measured
	 * memlock above checks on this machine ("footprint_here").
	 */
	printf(",\"footprint_here\":%llu,\"footprint_by_cpus\":[",
	       (unsigned long long)loader_footprint(&o0, NULL, 0));
	for (i = 0; i < (int)(sizeof(cpus) / sizeof(cpus[0])); i++) {
		loader_assume_cpus(cpus[i]);
		opts_default(&o);
		printf("%s{\"cpus\":%d,\"bytes\":%llu,\"hosts_per_cpu\":%u,\"flows_per_cpu\":%u}",
		       i ? "," : "", cpus[i], (unsigned long long)loader_footprint(&o, NULL, 0),
		       o.max_hosts, o.max_flows);
	}
	loader_assume_cpus(0);
	printf("]}\n");
	return 0;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void put32(__u8 *p, __u32 v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/*
 * A million flows between 100,000 clients (10.64.0.0 on) and servers, and
 * the hosts, with RST counts spread so that sorting has work to do.
 */
/*
 * The per-CPU host and flow tables as one buffer of every set on every
 * CPU ([set][cpu], as the batch ops lay them out), written back in one
 * batch. A line goes into its key's set on CPU k % ncpu, in the first free
 * way; a full set skips it (the count printed says what went in).
 */
struct table_buf {
	int fd, ncpu;
	__u32 sets, set_size, line_size, ways;
	char *vals;
	__u32 *keys;
};

static int table_buf_open(struct table_buf *t, int fd, __u32 ways)
{
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi), i;

	if (bpf_obj_get_info_by_fd(fd, &mi, &len))
		return -errno;
	t->fd = fd;
	t->ncpu = libbpf_num_possible_cpus();
	t->sets = mi.max_entries;
	t->set_size = (mi.value_size + 7) & ~7U;
	t->ways = ways;
	t->line_size = (mi.value_size - sizeof(struct rst_set_hdr)) / ways;
	t->vals = calloc((size_t)t->sets * t->ncpu, t->set_size);
	t->keys = calloc(t->sets, sizeof(*t->keys));
	if (!t->vals || !t->keys)
		return -ENOMEM;
	for (i = 0; i < t->sets; i++)
		t->keys[i] = i;
	return 0;
}

/*
 * A free line of set on cpu, or NULL, its header tagged with the key's
 * hash (as the programs would) and seen at now_t.
 */
static void *table_buf_line(struct table_buf *t, __u32 hash, int cpu, __u32 now_t)
{
	char *base = t->vals + ((size_t)(hash & (t->sets - 1)) * t->ncpu + cpu) * t->set_size;
	struct rst_set_hdr *hdr = (struct rst_set_hdr *)base;
	__u32 w;

	for (w = 0; w < t->ways; w++) {
		if (hdr->tag[w])
			continue;
		hdr->tag[w] = rst_tag(hash);
		hdr->last_t[w] = now_t;
		return base + sizeof(*hdr) + (size_t)w * t->line_size;
	}
	return NULL;
}

static int table_buf_write(struct table_buf *t)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	__u32 n = t->sets;

	if (bpf_map_update_batch(t->fd, t->keys, t->vals, &n, &bo) || n != t->sets)
		return -errno;
	return 0;
}

static int cmd_fill(const char *dir, __u32 n_flows, __u32 n_hosts)
{
	struct table_buf ft = {}, ht = {};
	char path[512];
	int ffd, hfd, err = 1;
	__u32 now_t = (__u32)(mono_ns() >> RST_TICK_SHIFT), i, h = n_hosts ? n_hosts : 1, w[4],
	      w2[4];
	__u64 t0;
	long cf, ch;
	struct rst_config cfg = {};
	__u32 seed, zero = 0;
	int sfd;

	/* The lines go where the programs would put them: the attachment's seed. */
	snprintf(path, sizeof(path), "%s/maps/settings", dir);
	sfd = bpf_obj_get(path);
	if (sfd < 0 || bpf_map_lookup_elem(sfd, &zero, &cfg))
		fprintf(stderr, "bench_maps: reading %s: %s\n", path, strerror(errno));
	if (sfd >= 0)
		close(sfd);
	seed = cfg.hash_seed;
	snprintf(path, sizeof(path), "%s/maps/flows", dir);
	ffd = bpf_obj_get(path);
	snprintf(path, sizeof(path), "%s/maps/hosts", dir);
	hfd = bpf_obj_get(path);
	if (ffd < 0 || hfd < 0 || table_buf_open(&ft, ffd, RST_FLOW_WAYS) ||
	    table_buf_open(&ht, hfd, RST_HOST_WAYS)) {
		fprintf(stderr, "bench_maps: opening %s/maps/{flows,hosts}: %s\n", dir,
			strerror(errno));
		goto out;
	}
	t0 = mono_ns();
	for (i = 0; i < n_flows; i++) {
		struct rst_flow_line *l;
		__u32 hash;

		memset(w, 0, sizeof(w));
		memset(w2, 0, sizeof(w2));
		/* Client i % hosts, one of 10 ports, to one of 16 servers. */
		put32((__u8 *)w, 0x0a400000 + i % h);
		put32((__u8 *)w2, 0x0b000001 + (i / h) % 16);
		hash = rst_flow_hash(w, w2, 1024 + (i / h / 16) % 60000, 443, 2, seed);
		l = table_buf_line(&ft, hash, i % ft.ncpu, now_t - i % 1000);
		if (!l)
			continue;
		memcpy(l->addr_a, w, 16);
		memcpy(l->addr_b, w2, 16);
		l->port_a = 1024 + (i / h / 16) % 60000;
		l->port_b = 443;
		l->family = 2;
		l->first_t = now_t - 60000;
		l->last_t = now_t - i % 1000;
		l->syn[0] = 1;
		l->synack[1] = 1;
		l->rst[1] = (i * 2654435761U) >> 28;
		l->rstack[0] = i % 3;
		l->ifindex = 1;
		l->ttl[0] = 64;
		l->ttl[1] = 57;
	}
	for (i = 0; i < n_hosts; i++) {
		struct rst_host_line *l;
		__u32 hash;

		memset(w, 0, sizeof(w));
		put32((__u8 *)w, 0x0a400000 + i);
		hash = rst_host_hash(w, 2, seed);
		l = table_buf_line(&ht, hash, i % ht.ncpu, now_t - i % 1000);
		if (!l)
			continue;
		memcpy(l->addr, w, 16);
		l->family = 2;
		l->first_t = now_t - 60000;
		l->last_t = now_t - i % 1000;
		l->rst_in = (i * 2654435761U) >> 22;
		l->rst_out = i % 7;
		l->syn_in = 10;
		l->syn_out = 1;
		l->fin_in = 5;
		l->fin_out = 5;
	}
	if (table_buf_write(&ft) || table_buf_write(&ht)) {
		fprintf(stderr, "bench_maps: writing the tables: %s\n", strerror(errno));
		goto out;
	}
	cf = flows_count(ffd);
	ch = hosts_count(hfd);
	printf("{\"flows_requested\":%u,\"hosts_requested\":%u,\"flows\":%ld,\"hosts\":%ld,"
	       "\"fill_seconds\":%.3f}\n",
	       n_flows, n_hosts, cf, ch, (mono_ns() - t0) / 1e9);
	err = 0;
out:
	if (ffd >= 0)
		close(ffd);
	if (hfd >= 0)
		close(hfd);
	free(ft.vals);
	free(ft.keys);
	free(ht.vals);
	free(ht.keys);
	return err;
}

int main(int argc, char **argv)
{
	__u32 pid, nf, nh;

	log_setup_libbpf();
	if (argc == 3 && !strcmp(argv[1], "counters")) {
		if (argv[2][0] == '/')
			return cmd_counters_pinned(argv[2]);
		if (parse_u32("PID", argv[2], 1, 1U << 30, &pid))
			return 2;
		return cmd_counters(pid);
	}
	if (argc == 3 && !strcmp(argv[1], "progs")) {
		if (parse_u32("PID", argv[2], 1, 1U << 30, &pid))
			return 2;
		return cmd_progs(pid);
	}
	if (argc == 2 && !strcmp(argv[1], "mem"))
		return cmd_mem();
	if (argc == 5 && !strcmp(argv[1], "fill")) {
		if (parse_u32("FLOWS", argv[3], 0, 1U << 26, &nf) ||
		    parse_u32("HOSTS", argv[4], 0, 1U << 24, &nh))
			return 2;
		return cmd_fill(argv[2], nf, nh);
	}
	fprintf(stderr,
		"usage: bench_maps counters PID|DIR | progs PID | mem | fill DIR FLOWS HOSTS\n");
	return 2;
}
