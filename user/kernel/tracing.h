/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's reset reasons: the tracing program rst_send_reset on the
 * tcp_send_reset tracepoint, whether this kernel can run it, attaching
 * it, and the userspace half of the join. The kernel half is in
 * bpf/rsttrace.bpf.c: an RST that answers a packet gets its reason in
 * the TC egress program; an active reset (abortive close, keepalive
 * timeout...) reaches the tracepoint only after it left, so its event
 * carries RST_EV_LOCAL and tracing_join() takes its late record.
 * Everything works without the program, only without reasons.
 */
#ifndef RST_TRACING_H
#define RST_TRACING_H

#include <stdbool.h>

#include "rsttrace.h"

struct bpf_object;

#define RST_TRACE_PROG "rst_send_reset"

/*
 * Every tracing program, rst_send_reset first (the one the code above
 * names): X(ENUM, name, tracepoint). The next count causes only
 * (bpf/causes.bpf.h): netfilter's resets (kfree_skb) and the errors
 * reported to TCP sockets (inet_sk_error_report). Each is loaded where
 * the kernel has its tracepoint, and attached, pinned and removed with
 * rst_send_reset. From TR_FATE_FIRST on, the fate and owner programs
 * (bpf/fate_trace.bpf.h): loaded by fate_configure() and attached by
 * fate_attach() in a watch (kernel/fatetrace.h), but pinned, linked and
 * removed as the others in a persistent attachment (persist.h). Among
 * them rst_kfree_skb, the one kfree_skb program (bpf/kfree.bpf.h), whose
 * causes' half tracing_configure() asks for and whose fates' half
 * fate_configure() does: it loads when either is wanted.
 */
#define RST_TRACE_PROGS(X)                                                                         \
	X(SEND_RESET, rst_send_reset, "tcp_send_reset")                                            \
	X(SK_ERROR, rst_sk_error, "inet_sk_error_report")                                          \
	X(RECV_RESET, rst_recv_reset, "tcp_receive_reset")                                         \
	X(KFREE_SKB, rst_kfree_skb, "kfree_skb")                                                   \
	X(SEND_OWNER, rst_send_owner, "tcp_send_reset")

/* clang-format off */
enum trace_prog {
#define TR_ENUM(U, l, tp) TR_##U,
	RST_TRACE_PROGS(TR_ENUM)
#undef TR_ENUM
	TR_MAX,
};
/* clang-format on */

/* The first of the fate and owner programs: the cause programs end before it. */
#define TR_FATE_FIRST TR_RECV_RESET

/* Program names by enum trace_prog, and their tracepoints. */
extern const char *const tracing_prog_names[TR_MAX];
extern const char *const tracing_tp_names[TR_MAX];

/*
 * Before load: keep the tracing program in obj only if the running
 * kernel has BTF, the tcp_send_reset tracepoint with its reason argument
 * and enum sk_rst_reason (features, not versions); otherwise do not load
 * it. Says which at debug level (-vv). Returns whether it will load.
 */
bool tracing_configure(struct bpf_object *obj);

/* Before load: do not load the tracing program (for a retry without it). */
void tracing_disable(struct bpf_object *obj);

/* After load: its fd, -1 when it was not loaded. */
int tracing_prog_fd(struct bpf_object *obj);
/* The same for any of them (enum trace_prog). */
int tracing_prog_fd_of(struct bpf_object *obj, int which);

/*
 * Attach a loaded tracing program by fd: a link fd (close it to detach;
 * pin it to keep it), or -errno.
 */
int tracing_attach(int prog_fd);

/*
 * The late half of the join: for an event of an active reset sent here
 * (RST_EV_LOCAL, no reason yet), take the tracepoint's record of it from
 * the reasons map, if it is this RST's (recorded after the event, within
 * RST_REASON_MAX_AGE_NS), into e->reason (and e->sk_state if unknown).
 * The tracepoint runs microseconds after the RST left, on its CPU; for an
 * event younger than a few milliseconds a missing record is waited for
 * once. Returns 1 when e got a reason, else 0. For an RST of no socket
 * and no reason, the record rst_kfree_skb makes when the packet it
 * answers was netfilter's drop: RST_EV_FIREWALL set, 1.
 */
int tracing_join(int reasons_fd, struct rst_event *e);

#endif
