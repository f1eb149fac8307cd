/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one program on tp_btf/kfree_skb, which runs on every drop of the
 * machine: its first test is the drop reason ("consumed" is no drop),
 * then each half that was loaded for it: netfilter's rejects for the
 * causes (bpf/causes.bpf.h, causes_nf_drop: the reason NETFILTER_DROP
 * compared first) and the stack's verdicts on RSTs received for the
 * fates (bpf/fate_trace.bpf.h, fate_drop: an RST pending on this CPU
 * first). One program and not two: each program on a tracepoint costs
 * its own call for every drop (docs/reasons.md, "Cost"). Included by
 * rsttrace.bpf.c after both, in a build from the kernel's BTF only.
 */
#ifndef RST_KFREE_BPF_H
#define RST_KFREE_BPF_H

SEC("tp_btf/kfree_skb")
int rst_kfree_skb(__u64 *ctx)
{
	__s64 reason = (__s64)ctx[2];

	if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_CONSUMED) &&
	    reason <= (__s64)bpf_core_enum_value(enum skb_drop_reason, SKB_CONSUMED))
		return 0;
	if (kfree_causes)
		causes_nf_drop(ctx);
	if (kfree_fates)
		fate_drop(ctx);
	return 0;
}

#endif /* RST_KFREE_BPF_H */
