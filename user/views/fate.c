// SPDX-License-Identifier: GPL-2.0
/*
 * The tracepoints give their verdict microseconds after the ingress
 * program saw the RST, on the same CPU; userspace handles the event later
 * still, so the record is nearly always there. Drop reason names come
 * from the kernel that dropped the packet: enum skb_drop_reason grows and
 * is renumbered between versions.
 */
#include <ctype.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "fate.h"
#include "util.h"

/* How long a fresh event waits for its verdict, at most. */
#define FATE_WAIT_NS (5ULL * 1000 * 1000)
#define DROP_PREFIX  "SKB_DROP_REASON_"

static const char *const fate_names[RST_FATE_MAX] = {
	[RST_FATE_ACCEPTED] = "accepted",   [RST_FATE_CHALLENGED] = "challenged",
	[RST_FATE_IGNORED] = "ignored",	    [RST_FATE_NO_SOCKET] = "no_socket",
	[RST_FATE_DROPPED] = "dropped",	    [RST_FATE_UNKNOWN] = "unknown",
	[RST_FATE_TIME_WAIT] = "time_wait", [RST_FATE_REQUEST] = "request",
};

const char *fate_name(__u8 fate)
{
	return fate < RST_FATE_MAX ? fate_names[fate] : NULL;
}

static char drop_names[256][40];
static int drops_loaded;

static void load_drop_names(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *t;
	const struct btf_enum *en;
	const char *n;
	__s32 id;
	__u32 i;
	size_t j;

	drops_loaded = 1;
	if (libbpf_get_error(btf))
		return;
	id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
	t = id < 0 ? NULL : btf__type_by_id(btf, id);
	en = t ? btf_enum(t) : NULL;
	for (i = 0; t && i < btf_vlen(t); i++, en++) {
		if (en->val < 0 || en->val > 254)
			continue;
		n = btf__name_by_offset(btf, en->name_off);
		if (!n)
			continue;
		if (!strncmp(n, DROP_PREFIX, strlen(DROP_PREFIX)))
			n += strlen(DROP_PREFIX);
		for (j = 0; n[j] && j + 1 < sizeof(drop_names[0]); j++)
			drop_names[en->val][j] = (char)tolower((unsigned char)n[j]);
		drop_names[en->val][j] = '\0';
	}
	btf__free(btf);
}

const char *fate_drop_name(__u8 reason)
{
	if (!reason)
		return NULL;
	if (!drops_loaded)
		load_drop_names();
	return drop_names[reason][0] ? drop_names[reason] : NULL;
}

/*
 * After a wait that found nothing, none for a second: RSTs this host's
 * stack never sees (forwarded ones, a router's day) would otherwise cost
 * 5 ms each and cap the events at 200/s.
 */
#define FATE_NO_WAIT_NS (1000ULL * 1000 * 1000)
static __u64 no_wait_until;

int fate_join(int fd, const struct rst_event *e, struct rst_fate_val *v)
{
	struct rst_fate_key k = {};
	__u64 age, now;

	if (fd < 0 || e->dir != RST_DIR_IN)
		return 0;
	memcpy(k.saddr, e->saddr, 16);
	memcpy(k.daddr, e->daddr, 16);
	k.seq = e->seq;
	k.sport = e->sport;
	k.dport = e->dport;
	k.family = e->family;
	if (bpf_map_lookup_elem(fd, &k, v)) {
		now = now_mono_ns();
		age = now - e->ts_ns;
		if (age >= FATE_WAIT_NS || now < no_wait_until)
			return 0;
		nanosleep(&(struct timespec){ 0, (long)(FATE_WAIT_NS - age) }, NULL);
		if (bpf_map_lookup_elem(fd, &k, v)) {
			no_wait_until = now_mono_ns() + FATE_NO_WAIT_NS;
			return 0;
		}
	}
	/* A verdict older than the RST is an earlier one's with the same seq. */
	if (v->ts_ns < e->ts_ns)
		return 0;
	bpf_map_delete_elem(fd, &k);
	return 1;
}
