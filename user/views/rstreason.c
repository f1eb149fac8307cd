// SPDX-License-Identifier: GPL-2.0
/*
 * The reason names come from the running kernel, not from a list compiled
 * in: enum sk_rst_reason grows with kernel versions (and its values may
 * be renumbered), and the kernel that made the RST is the one to ask.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "rstreason.h"

#define REASON_PREFIX "SK_RST_REASON_"
#define NAME_MAX_LEN  48

/* Index: the event's value (reason + 1). Empty: no name. */
static char reason_names[256][NAME_MAX_LEN];
static int reasons_loaded; /* 0: not tried, 1: tried (names or not) */

/* "SK_RST_REASON_TCP_ABORT_ON_DATA" -> "tcp_abort_on_data" */
static void name_from_enum(char *dst, const char *src)
{
	size_t i;

	if (!strncmp(src, REASON_PREFIX, strlen(REASON_PREFIX)))
		src += strlen(REASON_PREFIX);
	for (i = 0; src[i] && i + 1 < NAME_MAX_LEN; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

int rst_reason_names_from(const struct btf *btf)
{
	const struct btf_type *t;
	const struct btf_enum *e;
	__s32 id;
	__u32 i;

	memset(reason_names, 0, sizeof(reason_names));
	reasons_loaded = 0;
	if (!btf)
		return 0;
	reasons_loaded = 1;
	id = btf__find_by_name_kind(btf, "sk_rst_reason", BTF_KIND_ENUM);
	if (id < 0)
		return -ENOENT;
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (i = 0; i < btf_vlen(t); i++, e++) {
		/* The event holds reason + 1 in a byte; the BPF side stores 0 beyond. */
		if (e->val < 0 || e->val > 254)
			continue;
		name_from_enum(reason_names[e->val + 1], btf__name_by_offset(btf, e->name_off));
	}
	return 0;
}

static void load_kernel_names(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int err = libbpf_get_error(btf);

	if (err) {
		pr_debug("no kernel BTF for reset reason names (%s); printing numbers",
			 strerror(-err));
		reasons_loaded = 1;
		return;
	}
	if (rst_reason_names_from(btf))
		pr_debug("the kernel's BTF has no enum sk_rst_reason; printing "
			 "numbers");
	btf__free(btf);
}

const char *rst_reason_name(__u8 ev_reason)
{
	static char other[NAME_MAX_LEN];

	if (!ev_reason)
		return NULL;
	if (!reasons_loaded)
		load_kernel_names();
	if (reason_names[ev_reason][0])
		return reason_names[ev_reason];
	snprintf(other, sizeof(other), "reason_%u", ev_reason - 1);
	return other;
}

const char *rst_state_name(__u8 ev_state)
{
	/* include/net/tcp_states.h; 0 is not a state. */
	static const char *const names[] = {
		[1] = "established",	 [2] = "syn_sent",  [3] = "syn_recv", [4] = "fin_wait1",
		[5] = "fin_wait2",	 [6] = "time_wait", [7] = "close",    [8] = "close_wait",
		[9] = "last_ack",	 [10] = "listen",   [11] = "closing", [12] = "new_syn_recv",
		[13] = "bound_inactive",
	};
	static char other[NAME_MAX_LEN];
	unsigned int s;

	if (!ev_state)
		return NULL;
	s = ev_state - 1;
	if (s < sizeof(names) / sizeof(names[0]) && names[s])
		return names[s];
	snprintf(other, sizeof(other), "state_%u", s);
	return other;
}
