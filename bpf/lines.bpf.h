/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The ways of a set of the per-CPU host tables of why (cause_hosts in
 * causes.bpf.h, fate_hosts in fate.bpf.h): lines with addr[16], family
 * (0: a free way) and last_t (ticks), found by comparing each way, as the
 * sets have no tag header (the datapath's hosts and flows do).
 */
#ifndef RST_LINES_BPF_H
#define RST_LINES_BPF_H

static __always_inline int lines_addr_eq(const __u8 *x, const __u8 *y)
{
	const __u32 *a = (const __u32 *)x, *b = (const __u32 *)y;

	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
}

/*
 * The line of (fam, want: 16 bytes) among the nways ways of set into found (NULL:
 * none), and into victim the way a new one takes: a free way, else the
 * one seen least recently by now_t. Constant work: nways compares. A line
 * stamped after now_t (the fine clock of a tracing program, now_t the
 * datapath's coarse one, up to a tick behind) is of age 0, not the oldest.
 */
#define LINES_FIND(set, nways, fam, want, now_t, found, victim)                                    \
	do {                                                                                       \
		__u32 lf_age, lf_best = 0;                                                         \
		int lf_i;                                                                          \
                                                                                                   \
		(found) = NULL;                                                                    \
		(victim) = 0;                                                                      \
		_Pragma("unroll") for (lf_i = 0; lf_i < (nways); lf_i++)                           \
		{                                                                                  \
			if ((set)->way[lf_i].family == (fam) &&                                    \
			    lines_addr_eq((set)->way[lf_i].addr, (want))) {                        \
				(found) = &(set)->way[lf_i];                                       \
				break;                                                             \
			}                                                                          \
			lf_age = (set)->way[lf_i].family ? (now_t) - (set)->way[lf_i].last_t       \
							 : 0xffffffff;                             \
			if ((set)->way[lf_i].family && (__s32)lf_age < 0)                          \
				lf_age = 0;                                                        \
			if (lf_age >= lf_best) {                                                   \
				lf_best = lf_age;                                                  \
				(victim) = lf_i;                                                   \
			}                                                                          \
		}                                                                                  \
	} while (0)

#endif /* RST_LINES_BPF_H */
