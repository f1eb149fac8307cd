/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel-side event filter: evf_match() says whether an RST may become
 * an event under the rules userspace derived from a pcap-filter expression
 * (struct rst_evfilter, include/rsttrace.h). It must answer 1 wherever
 * libpcap's filter on the event's snapshot would, so frames on which the
 * two could disagree (evf_plain() says which) are never handed to it.
 * Plain C on fixed-width types so that tests/unit/test_filter.c compiles
 * this very file and holds it against pcap_offline_filter().
 */
#ifndef RST_EVFILTER_BPF_H
#define RST_EVFILTER_BPF_H

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/*
 * What the filter looks at: evf_pass() (rsttrace.bpf.c) fills it from the
 * parser's struct rst_pkt, the unit test from an event. Addresses are 16
 * bytes, IPv4 in the first 4.
 */
struct evf_pkt {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport; /* host byte order */
	__u16 dport;
	__u16 l3_off; /* offsets in the frame, as struct rst_pkt has them */
	__u16 l4_off;
	__u8 family;
	__u8 vlans; /* VLAN tags parsed */
	__u8 pad[2];
};

/*
 * Whether the filter may judge this frame: only where its answer equals
 * libpcap's on the snapshot. A VLAN-tagged frame fails pcap's "ip"/"ip6"
 * ethertype test at offset 12 whatever the addresses, and libpcap's IPv6
 * port test reads the TCP header at a fixed 40 bytes, so there a negated
 * literal could drop what the expression keeps. Such frames skip the
 * kernel filter; userspace decides.
 */
static __always_inline int evf_plain(const struct evf_pkt *p)
{
	if (p->vlans)
		return 0;
	if (p->family == AF_INET6 && p->l4_off != p->l3_off + 40)
		return 0;
	return 1;
}

static __always_inline int evf_addr(const __u8 *a, const struct rst_evf_lit *l)
{
	/* Word compares: both sides are 4-byte aligned in their structs. */
	const __u32 *w = (const __u32 *)a;
	const __u32 *m = (const __u32 *)l->mask;
	const __u32 *v = (const __u32 *)l->addr;

	return (w[0] & m[0]) == v[0] && (w[1] & m[1]) == v[1] && (w[2] & m[2]) == v[2] &&
	       (w[3] & m[3]) == v[3];
}

/* Combine the source and destination answers as the literal's qualifier says. */
static __always_inline int evf_side(int s, int d, __u8 flags)
{
	if (flags & RST_EVF_BOTH)
		return s && d;
	if ((flags & (RST_EVF_SRC | RST_EVF_DST)) == RST_EVF_SRC)
		return s;
	if ((flags & (RST_EVF_SRC | RST_EVF_DST)) == RST_EVF_DST)
		return d;
	return s || d;
}

static __always_inline int evf_lit(const struct rst_evf_lit *l, const struct evf_pkt *p)
{
	int r;

	switch (l->kind) {
	case RST_EVF_FAMILY:
		r = p->family == l->family;
		break;
	case RST_EVF_ADDR:
		r = p->family == l->family &&
		    evf_side(evf_addr(p->saddr, l), evf_addr(p->daddr, l), l->flags);
		break;
	case RST_EVF_PORT:
		r = evf_side(p->sport == l->port, p->dport == l->port, l->flags);
		break;
	default:
		/* An unused slot, or a kind this build does not know: pass. */
		return 1;
	}
	return (l->flags & RST_EVF_NOT) ? !r : r;
}

/* 1 if the packet may become an event, 0 if the rules reject it (plain frames only). */
static __always_inline int evf_match(const struct rst_evfilter *f, const struct evf_pkt *p)
{
	__u32 n = f->n_terms;
	int t, i, ok;

	if (n == 0)
		return 1;
	for (t = 0; t < RST_EVF_TERMS; t++) {
		if ((__u32)t >= n)
			break;
		ok = 1;
		for (i = 0; i < RST_EVF_LITS; i++) {
			if (!evf_lit(&f->lit[t][i], p)) {
				ok = 0;
				break;
			}
		}
		if (ok)
			return 1;
	}
	return 0;
}

#endif /* RST_EVFILTER_BPF_H */
