/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names of what an event says about an RST this host sent: the kernel's
 * reset reason (enum sk_rst_reason, read from the running kernel's BTF:
 * SK_RST_REASON_NO_SOCKET is "no_socket") and the socket's TCP state
 * ("established", "time_wait"...). Both take the event's encoding, the
 * value + 1, and return NULL for 0 (unknown).
 */
#ifndef RST_RSTREASON_H
#define RST_RSTREASON_H

#include <linux/types.h>

struct btf;

/*
 * The reason's name; from the kernel's BTF, loaded at the first call, or
 * "reason_N" for a value the BTF does not name (or without BTF).
 */
const char *rst_reason_name(__u8 ev_reason);

/* The TCP state's name (include/net/tcp_states.h), or "state_N". */
const char *rst_state_name(__u8 ev_state);

/*
 * Take the reason names from btf instead (its enum sk_rst_reason); for
 * tests. NULL forgets them (the next call loads the kernel's again).
 * -ENOENT when btf has no such enum.
 */
int rst_reason_names_from(const struct btf *btf);

#endif
