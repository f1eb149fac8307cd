// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "stage.h"

/* Bytes a side sent: next seq - ISN - 1 (the SYN took one); a wrap backwards is not a count. */
static int sent_bytes(__u32 next, __u32 isn, __u32 fins, __u32 *out)
{
	__u32 n = next - isn - 1;

	if (n > 0x7fffffffU)
		return 0;
	/* A FIN takes a sequence number too: not a byte of data. */
	if (fins && n)
		n--;
	*out = n;
	return 1;
}

void stage_of(const struct rst_event *e, const struct rst_flow_val *v, int side,
	      struct rst_stage *st)
{
	int orig, resp, other, syn, synack, i;
	__u32 b[2];
	int k[2] = { 0, 0 };

	memset(st, 0, sizeof(*st));
	st->stage = "unknown";
	if (!v || !(v->hs & 0xf))
		return; /* no SYN or SYN-ACK seen: the handshake happened before we looked */
	side &= 1;
	other = !side;
	/* The originator sent the SYN; without one, it is the side the SYN-ACK went to. */
	if (v->hs & RST_HS_SYN(0))
		orig = 0;
	else if (v->hs & RST_HS_SYN(1))
		orig = 1;
	else
		orig = (v->hs & RST_HS_SYNACK(0)) ? 1 : 0;
	resp = !orig;
	syn = !!(v->hs & RST_HS_SYN(orig));
	synack = !!(v->hs & RST_HS_SYNACK(resp));
	if (!synack) {
		/* A SYN, never answered with a SYN-ACK. */
		if (side == resp) {
			st->stage = "refused";
			st->conn = "REJ";
		} else {
			st->stage = "no_handshake";
			st->conn = "RSTOS0";
		}
		return;
	}
	/* The sender's count from its seq; the other's from the ack, only with ACK set. */
	if (side == orig ? syn : 1)
		k[side] = sent_bytes(e->seq, v->isn[side], v->fin[side], &b[side]);
	if ((e->tcp_flags & RST_TCP_ACK) && (other == orig ? syn : 1))
		k[other] = sent_bytes(e->ack, v->isn[other], v->fin[other], &b[other]);
	for (i = 0; i < 2; i++) {
		int who = i == 0 ? orig : resp;

		st->known[i] = k[who];
		st->bytes[i] = k[who] ? b[who] : 0;
	}
	if (!syn)
		st->conn = side == resp ? "RSTRH" : "RSTO";
	else
		st->conn = side == orig ? "RSTO" : "RSTR";
	if (st->known[1] && st->bytes[1])
		st->stage = "later";
	else if (st->known[0] && st->known[1])
		st->stage = st->bytes[0] ? "client_data" : "handshake";
	/* else one side unknown and nothing that decides alone: "unknown" */
}
