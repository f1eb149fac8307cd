/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which control packets become events: RSTs only by default; SYN, SYN-ACK
 * and FIN too when --events names them, or when the filter expression
 * can only match those, no plain RST (`tcp[13] & 2 != 0`: SYN and
 * SYN-ACK). The answer is a set of settings flags
 * (RST_CFG_EV_*, include/rsttrace.h) for the kernel's event decision; the
 * expression stays the truth in userspace, so the set may only ever be a
 * superset of what the expression selects.
 */
#ifndef RST_FLAGSEL_H
#define RST_FLAGSEL_H

#include <stddef.h>
#include <linux/types.h>

#include "filter.h"

/* Event kinds as a mask of these (not the settings bits: NORST is their complement). */
#define EVK_SYN	    (1U << 0) /* SYN without ACK */
#define EVK_SYNACK  (1U << 1) /* SYN with ACK */
#define EVK_FIN	    (1U << 2)
#define EVK_RST	    (1U << 3) /* RST or RST-ACK */
#define EVK_ALL	    (EVK_SYN | EVK_SYNACK | EVK_FIN | EVK_RST)
#define EVK_DEFAULT EVK_RST

/*
 * --events LIST: comma-separated syn, synack, fin, rst, all. 0 with *kinds
 * set, or -EINVAL after printing which word is wrong.
 */
int flagsel_parse(const char *opt, const char *list, __u32 *kinds);

/*
 * The TCP flag byte values (bit v of out[v / 32]) for which some frame an
 * event can carry (Ethernet, up to two VLAN tags, IPv4 or IPv6, TCP) may
 * pass f's program: a superset, found by running the program over frames
 * whose other bytes are unknown. Without an expression every value.
 * Returns 0, or -E2BIG when the program had too many paths to follow (out
 * is then every value).
 */
int flagsel_flag_values(const struct rst_filter *f, __u32 out[8]);

/*
 * The event kinds the expression asks for: EVK_DEFAULT (RSTs only) when
 * it can pass a plain RST (every expression that does not look at the
 * flags can) or matches no control packet (*none set to 1 then); else,
 * when it can only match SYN, SYN-ACK or FIN packets, the cheapest set of
 * those kinds that covers every control-flag value it can pass.
 */
__u32 flagsel_from_filter(const struct rst_filter *f, int *none);

/* The settings flags (RST_CFG_EV_*) of a kinds mask. */
__u32 flagsel_cfg_bits(__u32 kinds);

/* "syn,synack,fin,rst" style names of kinds, into buf. */
const char *flagsel_names(__u32 kinds, char *buf, size_t len);

#endif
