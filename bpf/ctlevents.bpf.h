/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * SYN, SYN-ACK and FIN as events, when asked: which control packets the
 * event decision takes (settings flags RST_CFG_EV_*, all clear by default:
 * RSTs only), and where each outcome of that decision is counted. An RST
 * counts in the RST event counters (RST_C_EV_*), a SYN, SYN-ACK or FIN in
 * ctl_ev[kind][cause]; a packet of several kinds counts in each, so that
 * per kind the causes add up to the global counter of that flag. Only the
 * control-packet path comes here: data packets never read these settings.
 */
#ifndef RST_CTLEVENTS_BPF_H
#define RST_CTLEVENTS_BPF_H

/* One outcome for each non-RST kind of the packet (SYN or SYN-ACK, FIN). */
static __always_inline void ctl_count(struct rst_counters *cnt, __u8 flags, __u32 cause)
{
	if (cause >= RST_CE_MAX)
		return;
	if (flags & RST_TCP_SYN)
		cnt->ctl_ev[(flags & RST_TCP_ACK) ? RST_CK_SYNACK : RST_CK_SYN][cause]++;
	if (flags & RST_TCP_FIN)
		cnt->ctl_ev[RST_CK_FIN][cause]++;
}

/* One outcome of the event decision, in the counters of every kind the packet is. */
static __always_inline void ev_outcome(struct rst_counters *cnt, __u8 flags, __u32 rst_c,
				       __u32 cause)
{
	if ((flags & RST_TCP_RST) && rst_c < RST_C_MAX)
		cnt->c[rst_c]++;
	if (flags & (RST_TCP_SYN | RST_TCP_FIN))
		ctl_count(cnt, flags, cause);
}

/*
 * Whether a SYN, FIN or RST is of a kind asked as events. When it is not,
 * its non-RST kinds count as not asked and an RST as filtered (the RST
 * counters have no cause of their own for that), and it goes no further.
 * The default (no RST_CFG_EV_* bit) costs a SYN or FIN one test.
 */
static __always_inline int ctl_asked(struct rst_counters *cnt, const struct rst_config *cfg,
				     __u8 flags)
{
	__u32 f = cfg->flags;

	if ((flags & RST_TCP_RST) && !(f & RST_CFG_EV_NORST))
		return 1;
	if (f & RST_CFG_EV_CTL) {
		if ((flags & RST_TCP_SYN) &&
		    (f & ((flags & RST_TCP_ACK) ? RST_CFG_EV_SYNACK : RST_CFG_EV_SYN)))
			return 1;
		if ((flags & RST_TCP_FIN) && (f & RST_CFG_EV_FIN))
			return 1;
	}
	if (flags & RST_TCP_RST)
		cnt->c[RST_C_EV_FILTERED]++;
	ctl_count(cnt, flags, RST_CE_NOTASKED);
	return 0;
}

#endif
