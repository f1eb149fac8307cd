// SPDX-License-Identifier: GPL-2.0
/*
 * ifprogs: the BPF programs attached to the interfaces of the current
 * network namespace, asked of the kernel directly (XDP by netlink, tcx by
 * BPF_PROG_QUERY), one line each: "IFNAME HOOK PROG_NAME PROG_ID".
 * bpftool 7.1 (Debian 12) neither lists tcx nor names XDP programs, so
 * the tests use this to check what is attached.
 *
 *   ifprogs [IFNAME]
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define TCX_INGRESS 46
#define TCX_EGRESS  47

static void print_prog(const char *ifname, const char *hook, __u32 id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
		printf("%s %s %s %u\n", ifname, hook, info.name, id);
	else
		printf("%s %s ? %u\n", ifname, hook, id);
	if (fd >= 0)
		close(fd);
}

static void list_iface(unsigned int ifindex, const char *ifname)
{
	static const struct {
		int type;
		const char *name;
	} tcx[] = { { TCX_INGRESS, "tcx_ingress" }, { TCX_EGRESS, "tcx_egress" } };
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	__u32 ids[64];
	unsigned int i, j;

	if (!bpf_xdp_query(ifindex, 0, &q)) {
		if (q.drv_prog_id)
			print_prog(ifname, "xdp_native", q.drv_prog_id);
		if (q.skb_prog_id)
			print_prog(ifname, "xdp_generic", q.skb_prog_id);
	}
	for (i = 0; i < 2; i++) {
		LIBBPF_OPTS(bpf_prog_query_opts, pq, .prog_ids = ids, .prog_cnt = 64);

		if (bpf_prog_query_opts(ifindex, tcx[i].type, &pq))
			continue;
		for (j = 0; j < pq.prog_cnt; j++)
			print_prog(ifname, tcx[i].name, ids[j]);
	}
}

int main(int argc, char **argv)
{
	struct if_nameindex *ifs, *it;

	libbpf_set_print(NULL);
	if (argc > 1) {
		unsigned int idx = if_nametoindex(argv[1]);

		if (!idx) {
			fprintf(stderr, "ifprogs: %s: %s\n", argv[1], strerror(errno));
			return 1;
		}
		list_iface(idx, argv[1]);
		return 0;
	}
	ifs = if_nameindex();
	if (!ifs)
		return 1;
	for (it = ifs; it->if_index; it++)
		list_iface(it->if_index, it->if_name);
	if_freenameindex(ifs);
	return 0;
}
