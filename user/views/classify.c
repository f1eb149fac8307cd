// SPDX-License-Identifier: GPL-2.0
/*
 * Classification of RST events from the flow map. The counts are read when
 * userspace handles the event, a little after the RST: they include it and
 * may include what followed (see docs/json.md).
 */
#include <string.h>
#include <sys/socket.h>
#include <bpf/bpf.h>

#include "causes.h"
#include "classify.h"
#include "mapread.h"

int classify_flow_key(const struct rst_event *e, struct rst_flow_key *key)
{
	int c;

	memset(key, 0, sizeof(*key));
	/* bytes compared in order == the kernel's big-endian word compare */
	c = memcmp(e->saddr, e->daddr, 16);
	if (!c)
		c = e->sport < e->dport ? -1 : e->sport > e->dport ? 1 : 0;
	key->family = e->family;
	key->proto = 6; /* IPPROTO_TCP */
	if (c <= 0) {
		memcpy(key->addr_a, e->saddr, 16);
		memcpy(key->addr_b, e->daddr, 16);
		key->port_a = e->sport;
		key->port_b = e->dport;
		return 0;
	}
	memcpy(key->addr_a, e->daddr, 16);
	memcpy(key->addr_b, e->saddr, 16);
	key->port_a = e->dport;
	key->port_b = e->sport;
	return 1;
}

const char *classify(const struct rst_event *e, const struct rst_flow_val *v, int side)
{
	int peer = !side;

	/*
	 * From the event alone: its TTL is not the one of the sender's
	 * earlier SYN, FIN or RST (the kernel compared them, RST_EV_TTL_CHANGE).
	 * Not for an RST the kernel here says it sent itself.
	 */
	if ((e->ev_flags & RST_EV_TTL_CHANGE) && !e->reason)
		return rst_class_names[RC_INJECTION]; /* "injection_candidate" */
	if (!v)
		return "unknown";
	/* A SYN from the peer answered by RST-ACK, nothing else from us: a closed port. */
	if ((e->tcp_flags & RST_TCP_ACK) && v->syn[peer] && !v->syn[side] && !v->synack[side] &&
	    !v->fin[0] && !v->fin[1])
		return "refused";
	if (v->fin[0] || v->fin[1])
		return "after_fin";
	if (!v->syn[0] && !v->syn[1] && !v->synack[0] && !v->synack[1])
		return "no_flow";
	return "abort";
}

const char *classify_event(int flows_fd, const struct rst_event *e)
{
	struct rst_flow_key key;
	struct rst_flow_val v;
	enum rst_class k;
	int side;

	/* The kernel's cause wins where it knows one (causes.h, docs/reasons.md). */
	k = cause_event_class(e);
	if (k != RC_MAX)
		return rst_class_names[k];
	if (e->family != AF_INET && e->family != AF_INET6)
		return "unknown";
	/* A SYN, SYN-ACK or FIN event (--events) is no reset: it has no class. */
	if (!(e->tcp_flags & RST_TCP_RST))
		return "none";
	side = classify_flow_key(e, &key);
	if (flows_fd < 0)
		return classify(e, NULL, side);
	/* Flows are made by SYN and SYN-ACK only: none is a connection never opened. */
	if (flow_lookup(flows_fd, &key, &v))
		return "no_flow";
	return classify(e, &v, side);
}

const char *classify_injection(const struct rst_event *e, __u8 fate)
{
	/* What the stack did with it: a sender on the path knows the window, a blind one does not. */
	if (fate == RST_FATE_CHALLENGED)
		return "challenged";
	if (fate == RST_FATE_IGNORED)
		return "ignored";
	/*
	 * Accepted (or its fate not known) yet from another TTL than the
	 * sender's earlier SYN, FIN or RST. Not for an RST the kernel here
	 * says it sent itself. XXX: the kernel compares with the flow line of
	 * the CPU that received the RST: packets of one flow seen on other
	 * CPUs (RSS, RPS) are not compared.
	 */
	if ((e->ev_flags & RST_EV_TTL_CHANGE) && !e->reason)
		return "ttl_change";
	return NULL;
}
