/* SPDX-License-Identifier: GPL-2.0 */
/*
 * watch's filter EXPRESSION: a pcap-filter(7) expression compiled by
 * libpcap for Ethernet (as tcpdump would for the interface) and run on each
 * event's header snapshot, which is the truth; plus, where the expression
 * is a plain host / net / port restriction, the rules that let the kernel
 * drop non-matching RSTs before they take ring space (a superset of the
 * expression, never less). docs/filters.md has the details.
 */
#ifndef RST_FILTER_H
#define RST_FILTER_H

#include <stddef.h>

#include "rsttrace.h"

/* Snapshot length the expression is compiled for (pcap_compile's snaplen). */
#define FILTER_SNAPLEN 256

/*
 * The compiled program stays behind a pointer: libpcap's <pcap/bpf.h> and
 * the kernel's <linux/bpf.h> (libbpf) both define struct bpf_insn, so no
 * file may include both.
 */
struct rst_filter {
	char *expr; /* the words joined by spaces, as tcpdump joins them; NULL: none */
	void *prog; /* struct bpf_program; NULL: matches everything */
};

/*
 * Join words[0..n) with single spaces and compile the result. With n == 0
 * the filter matches everything. On a bad expression prints libpcap's
 * message as tcpdump does ("rsttrace: can't parse filter expression:
 * syntax error") and returns -EINVAL; -ENOMEM on allocation failure.
 */
int filter_compile(struct rst_filter *f, char *const *words, int n);

/* Compile expr itself (filter_compile's work once joined); NULL or "" matches all. */
int filter_compile_str(struct rst_filter *f, const char *expr);

/*
 * 1 if the event's snapshot (snap_len bytes of a pkt_len-byte frame)
 * matches, 0 if not. Always 1 without an expression; an event without a
 * snapshot never matches an expression.
 */
int filter_match(const struct rst_filter *f, const struct rst_event *e);

void filter_free(struct rst_filter *f);

/*
 * Translate expr into kernel rules. 0 with *out filled (n_terms 0 when the
 * expression selects every TCP packet, so the kernel needs no filter);
 * -EOPNOTSUPP when the expression is outside the recognised subset or its
 * disjunctive form does not fit RST_EVF_TERMS x RST_EVF_LITS, with the
 * reason in why. The expression must already have compiled.
 */
int filter_kernel_rules(const char *expr, struct rst_evfilter *out, char *why, size_t whylen);

#endif
