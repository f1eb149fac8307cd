// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>
#include <bpf/libbpf.h>

#include "fate.h"
#include "fatetrace.h"
#include "fates.h"
#include "util.h"
#include "rsttrace.skel.h"

static void print_fates(FILE *f, const char *what, const __u64 *fate)
{
	int i;

	fprintf(f, "fates of RSTs received %s:", what);
	for (i = RST_FATE_ACCEPTED; i < RST_FATE_MAX; i++)
		fprintf(f, "%s %llu %s", i == RST_FATE_ACCEPTED ? "" : ",",
			(unsigned long long)fate[i], fate_name((__u8)i));
	fprintf(f, "\n");
}

static int host_line(void *ctx, const struct rst_host_key *k, const struct rst_fate_host *v)
{
	char a[INET6_ADDRSTRLEN], what[INET6_ADDRSTRLEN + 8];

	if (!inet_ntop(k->family == AF_INET6 ? AF_INET6 : AF_INET, k->addr, a, sizeof(a)))
		return 0;
	snprintf(what, sizeof(what), "from %s", a);
	print_fates(ctx, what, v->fate);
	return 0;
}

void fates_summary(FILE *f, const struct rsttrace *skel, const struct rst_link *links, int n)
{
	int ifs = bpf_map__fd(skel->maps.fate_ifs);
	struct rst_fate_counts c;
	char what[ESC_LEN + 8];
	int i;

	for (i = 0; i < n; i++) {
		if (fate_read_iface(ifs, links[i].ifindex, &c))
			continue;
		/* Interface names are bytes: escaped as every message does. */
		snprintf(what, sizeof(what), "on %s", ESC(links[i].ifname));
		print_fates(f, what, c.fate);
		if (c.host_lost)
			fprintf(f, "%llu fates on %s left the per-host table (its lines reused)\n",
				(unsigned long long)c.host_lost, ESC(links[i].ifname));
	}
	fate_hosts_each(bpf_map__fd(skel->maps.fate_hosts), host_line, f);
	if (!fate_read_iface(ifs, 0, &c))
		fprintf(f, "%llu local resets (tcp_reset with no RST received)\n",
			(unsigned long long)c.local_reset);
}
