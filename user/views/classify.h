/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The class of an RST event, decided in userspace from the event and the
 * kernel's per-flow SYN / SYN-ACK / FIN / RST counts for its connection
 * (flow map): "injection_candidate" (its TTL changed), "refused",
 * "after_fin", "abort", "no_flow", or "unknown" when the flow entry is
 * gone. One packet alone cannot say why it was sent; docs/json.md states
 * the rules and what they cannot see.
 */
#ifndef RST_CLASSIFY_H
#define RST_CLASSIFY_H

#include "rsttrace.h"

/*
 * The flow map key of the event's connection, and which side of it (0:
 * endpoint A, 1: endpoint B) sent the RST; the same ordering as the kernel
 * (bpf/rsttrace.bpf.c flow_update).
 */
int classify_flow_key(const struct rst_event *e, struct rst_flow_key *key);

/* The class for event e, given its flow entry v (NULL: none) and sender side. */
const char *classify(const struct rst_event *e, const struct rst_flow_val *v, int side);

/* Look the flow up in flows_fd (-1: none) and classify. */
const char *classify_event(int flows_fd, const struct rst_event *e);

/*
 * The signal that makes e a suspected injection, given its fate (enum
 * rst_fate; RST_FATE_NONE when not known): "challenged" or "ignored" (the
 * stack found its seq wrong: the sender does not know the connection's
 * window), "ttl_change" (accepted, or fate unknown, with a TTL unlike the
 * sender's earlier packets); NULL when none fired.
 */
const char *classify_injection(const struct rst_event *e, __u8 fate);

#endif
