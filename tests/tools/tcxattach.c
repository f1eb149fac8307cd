// SPDX-License-Identifier: GPL-2.0
/*
 * tcxattach: play "another tool" on a tcx hook. Loads one TC program of a
 * BPF object, attaches it through a tcx link at the head (BPF_F_BEFORE, no
 * anchor) or the tail of the chain of IFNAME (in the current network
 * namespace), pins the link at PIN (on bpffs; removing the pin detaches
 * it) and prints "PROG_ID LINK_ID". bpftool 7.1 (Debian 12) cannot attach
 * tcx; this uses rsttrace's own tcx_link_create (user/kernel/attach.c).
 *
 *   tcxattach OBJ PROG IFNAME in|out head|tail PIN
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"

int main(int argc, char **argv)
{
	struct bpf_link_info li = {};
	__u32 len = sizeof(li);
	struct bpf_program *prog;
	struct bpf_object *obj;
	unsigned int ifindex;
	int dir, head, fd, err;

	if (argc != 7 || (strcmp(argv[4], "in") && strcmp(argv[4], "out")) ||
	    (strcmp(argv[5], "head") && strcmp(argv[5], "tail"))) {
		fprintf(stderr, "usage: tcxattach OBJ PROG IFNAME in|out head|tail PIN\n");
		return 2;
	}
	dir = strcmp(argv[4], "in") ? RST_DIR_OUT : RST_DIR_IN;
	head = !strcmp(argv[5], "head");
	ifindex = if_nametoindex(argv[3]);
	if (!ifindex) {
		fprintf(stderr, "tcxattach: %s: %s\n", argv[3], strerror(errno));
		return 1;
	}
	libbpf_set_print(NULL);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "tcxattach: opening %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	/* Only the wanted program is loaded: the object may hold XDP ones too. */
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, !strcmp(bpf_program__name(prog), argv[2]));
	prog = bpf_object__find_program_by_name(obj, argv[2]);
	if (!prog) {
		fprintf(stderr, "tcxattach: %s: no program %s\n", argv[1], argv[2]);
		bpf_object__close(obj);
		return 1;
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "tcxattach: loading %s: %s\n", argv[1], strerror(-err));
		bpf_object__close(obj);
		return 1;
	}
	fd = tcx_link_create(bpf_program__fd(prog), ifindex, dir, head ? RST_BPF_F_BEFORE : 0, 0,
			     0);
	if (fd < 0) {
		fprintf(stderr, "tcxattach: attaching %s to tcx %s of %s: %s\n", argv[2], argv[4],
			argv[3], strerror(-fd));
		bpf_object__close(obj);
		return 1;
	}
	if (bpf_obj_pin(fd, argv[6]) || bpf_obj_get_info_by_fd(fd, &li, &len)) {
		fprintf(stderr, "tcxattach: pinning %s: %s\n", argv[6], strerror(errno));
		close(fd);
		bpf_object__close(obj);
		return 1;
	}
	printf("%u %u\n", li.prog_id, li.id);
	close(fd);
	bpf_object__close(obj);
	return 0;
}
