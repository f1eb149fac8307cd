/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fate of a received RST (bpf/fate.bpf.h): its name, the drop reason's
 * name (enum skb_drop_reason, from the running kernel's BTF), and the
 * userspace half of the join: the verdict the tracepoints recorded for
 * the event's RST. docs/stage.md says what each fate means.
 */
#ifndef RST_FATE_H
#define RST_FATE_H

#include "rsttrace.h"

/*
 * "accepted", "challenged", "ignored", "no_socket", "dropped", "unknown",
 * "time_wait", "request"; NULL for none.
 */
const char *fate_name(__u8 fate);

/* enum skb_drop_reason value -> "tcp_old_sequence" (the kernel's, lower case); NULL: none. */
const char *fate_drop_name(__u8 reason);

/*
 * The verdict for e (an RST received) from fate_res_fd: 1 and *v filled,
 * or 0 when there is none (yet: a fresh event waits for it once, at most
 * 5 ms after the RST; after a wait in vain, none for a second). The
 * record is taken. fd < 0 or e not received: 0.
 */
int fate_join(int fate_res_fd, const struct rst_event *e, struct rst_fate_val *v);

#endif
