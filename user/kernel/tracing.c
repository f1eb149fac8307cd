// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "tracing.h"
#include "util.h"

const char *const tracing_prog_names[TR_MAX] = {
#define TR_NAME(U, l, tp) [TR_##U] = #l,
	RST_TRACE_PROGS(TR_NAME)
#undef TR_NAME
};

const char *const tracing_tp_names[TR_MAX] = {
#define TR_TP(U, l, tp) [TR_##U] = tp,
	RST_TRACE_PROGS(TR_TP)
#undef TR_TP
};

/* How long a fresh active-reset event waits for its late record, at most. */
#define LATE_WAIT_NS (5ULL * 1000 * 1000)

static const struct btf_type *skip_mods(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_mod(t) || btf_is_typedef(t)))
		t = btf__type_by_id(btf, t->type);
	return t;
}

/*
 * NULL when the kernel's BTF has tcp_send_reset(sk, skb, reason) with
 * reason an enum sk_rst_reason (6.10 on), else why not. A raw tracepoint's
 * BTF is the typedef btf_trace_NAME: a pointer to a prototype whose first
 * parameter is the context.
 */
static const char *tracepoint_missing(const struct btf *btf)
{
	const struct btf_type *t, *arg;
	const char *name;
	__s32 id;

	if (btf__find_by_name_kind(btf, "sk_rst_reason", BTF_KIND_ENUM) < 0)
		return "the kernel has no enum sk_rst_reason";
	id = btf__find_by_name_kind(btf, "btf_trace_tcp_send_reset", BTF_KIND_TYPEDEF);
	if (id < 0)
		return "the kernel has no tcp_send_reset tracepoint";
	t = btf__type_by_id(btf, id);
	t = t ? btf__type_by_id(btf, t->type) : NULL;
	t = t && btf_is_ptr(t) ? btf__type_by_id(btf, t->type) : NULL;
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) != 4)
		return "the tcp_send_reset tracepoint has no reason argument";
	arg = skip_mods(btf, btf_params(t)[3].type);
	name = arg ? btf__name_by_offset(btf, arg->name_off) : NULL;
	if (!arg || !btf_is_enum(arg) || !name || strcmp(name, "sk_rst_reason"))
		return "the tcp_send_reset tracepoint's third argument is not a reset reason";
	return NULL;
}

/*
 * NULL when the kernel has tracepoint tp with at least nargs arguments
 * (the context not counted) and, where given, the enum and its value
 * the program compares with; else why not.
 */
static const char *aux_missing(const struct btf *btf, const char *tp, __u32 nargs,
			       const char *enum_name, const char *value)
{
	const struct btf_type *t;
	const struct btf_enum *e;
	char name[64];
	__s32 id;
	__u32 i;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	t = id < 0 ? NULL : btf__type_by_id(btf, id);
	t = t ? btf__type_by_id(btf, t->type) : NULL;
	t = t && btf_is_ptr(t) ? btf__type_by_id(btf, t->type) : NULL;
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) < nargs + 1)
		return "the kernel has no such tracepoint with these arguments";
	if (!enum_name)
		return NULL;
	id = btf__find_by_name_kind(btf, enum_name, BTF_KIND_ENUM);
	t = id < 0 ? NULL : btf__type_by_id(btf, id);
	if (!t)
		return "the kernel has no enum for its reason";
	for (i = 0, e = btf_enum(t); i < btf_vlen(t); i++, e++)
		if (!strcmp(btf__name_by_offset(btf, e->name_off), value))
			return NULL;
	return "the kernel's drop reasons have no NETFILTER_DROP";
}

bool tracing_configure(struct bpf_object *obj)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, RST_TRACE_PROG);
	const char *why, *aux[TR_MAX] = {};
	struct btf *btf;
	int i;

	if (!prog) {
		pr_debug("kernel reset reasons off: built without the kernel's BTF "
			 "(vmlinux/fallback.h)");
		return false;
	}
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		why = "the kernel has no BTF (/sys/kernel/btf/vmlinux)";
	} else {
		why = tracepoint_missing(btf);
		aux[TR_KFREE_SKB] = aux_missing(btf, "kfree_skb", 3, "skb_drop_reason",
						"SKB_DROP_REASON_NETFILTER_DROP");
		aux[TR_SK_ERROR] = aux_missing(btf, "inet_sk_error_report", 1, NULL, NULL);
	}
	btf__free(btf);
	bpf_program__set_autoload(prog, !why);
	if (why)
		pr_debug("kernel reset reasons off: %s", why);
	else
		pr_debug("kernel reset reasons on: tp_btf/tcp_send_reset");
	/*
	 * The cause counters need the stack's own first: without its records
	 * no egress RST could be told apart. Said once, at start; what is
	 * missing counts as unknown (docs/reasons.md).
	 */
	/*
	 * The fate programs are fate_configure()'s (kernel/fatetrace.h), which
	 * keeps rst_kfree_skb loaded for the causes when set here.
	 */
	for (i = TR_SEND_RESET + 1; i < TR_MAX; i++) {
		if (i >= TR_FATE_FIRST && i != TR_KFREE_SKB)
			continue;
		prog = bpf_object__find_program_by_name(obj, tracing_prog_names[i]);
		if (!prog)
			continue;
		if (why && !aux[i])
			aux[i] = "it needs tcp_send_reset's reasons";
		bpf_program__set_autoload(prog, !aux[i]);
		if (aux[i])
			pr_info("reset causes: no tp_btf/%s (%s): %s counted as unknown",
				tracing_tp_names[i], aux[i],
				i == TR_KFREE_SKB ? "firewall resets" : "socket errors");
		else
			pr_debug("reset causes on: tp_btf/%s", tracing_tp_names[i]);
	}
	return !why;
}

void tracing_disable(struct bpf_object *obj)
{
	struct bpf_program *prog;
	int i;

	for (i = 0; i < TR_MAX; i++) {
		prog = bpf_object__find_program_by_name(obj, tracing_prog_names[i]);
		if (prog)
			bpf_program__set_autoload(prog, false);
	}
}

int tracing_prog_fd_of(struct bpf_object *obj, int which)
{
	struct bpf_program *prog;
	int fd;

	if (which < 0 || which >= TR_MAX)
		return -1;
	prog = bpf_object__find_program_by_name(obj, tracing_prog_names[which]);
	if (!prog || !bpf_program__autoload(prog))
		return -1;
	fd = bpf_program__fd(prog);
	return fd >= 0 ? fd : -1;
}

int tracing_prog_fd(struct bpf_object *obj)
{
	return tracing_prog_fd_of(obj, TR_SEND_RESET);
}

int tracing_attach(int prog_fd)
{
	/* A BTF-typed raw tracepoint knows its target: no name needed. */
	int fd = bpf_raw_tracepoint_open(NULL, prog_fd);

	return fd < 0 ? -errno : fd;
}

/*
 * The late record of e, if it is e's: recorded after the event (an older one
 * is an earlier RST's whose event went elsewhere, left to age out), and
 * within RST_REASON_MAX_AGE_NS (a newer one is a later RST's, left for it).
 */
static int late_record(int reasons_fd, const struct rst_reason_key *key, const struct rst_event *e,
		       struct rst_reason_val *v)
{
	if (bpf_map_lookup_elem(reasons_fd, key, v))
		return -ENOENT;
	if (v->ts_ns < e->ts_ns)
		return -ENOENT;
	if (v->ts_ns - e->ts_ns > RST_REASON_MAX_AGE_NS)
		return -ESRCH;
	return 0;
}

/*
 * An RST of no TCP socket here and no reason: netfilter's reject, when
 * rst_kfree_skb saw the packet it answers dropped right after it left
 * (a record of late 2, made microseconds after the event: never waited for).
 */
static int firewall_join(int reasons_fd, struct rst_reason_key *key, struct rst_event *e)
{
	struct rst_reason_val v;

	key->late = 2;
	if (late_record(reasons_fd, key, e, &v))
		return 0;
	bpf_map_delete_elem(reasons_fd, key);
	e->ev_flags |= RST_EV_FIREWALL;
	return 1;
}

int tracing_join(int reasons_fd, struct rst_event *e)
{
	struct rst_reason_key key = {};
	struct rst_reason_val v;
	__u64 age;
	int err;

	if (reasons_fd < 0 || e->dir != RST_DIR_OUT || e->reason)
		return 0;
	memcpy(key.saddr, e->saddr, 16);
	memcpy(key.daddr, e->daddr, 16);
	key.sport = e->sport;
	key.dport = e->dport;
	key.family = e->family;
	if (!(e->ev_flags & RST_EV_LOCAL))
		return e->ev_flags & RST_EV_FIREWALL ? 0 : firewall_join(reasons_fd, &key, e);
	key.late = 1;
	err = late_record(reasons_fd, &key, e, &v);
	if (err == -ENOENT) {
		age = now_mono_ns() - e->ts_ns;
		if (age >= LATE_WAIT_NS)
			return 0;
		nanosleep(&(struct timespec){ 0, (long)(LATE_WAIT_NS - age) }, NULL);
		err = late_record(reasons_fd, &key, e, &v);
	}
	if (err)
		return 0;
	bpf_map_delete_elem(reasons_fd, &key);
	e->reason = v.reason;
	if (!e->sk_state)
		e->sk_state = v.state;
	return 1;
}
