/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The connection stage of an RST, from the ISNs its flow line kept (the
 * SYN's and the SYN-ACK's seq) and the RST's own seq and ack: how many
 * bytes each side had sent, mod 2^32, and so where in the connection it
 * came. Rules and limits in docs/stage.md. A pure function: no map, no
 * clock.
 */
#ifndef RST_STAGE_H
#define RST_STAGE_H

#include "rsttrace.h"

struct rst_stage {
	/* "refused", "no_handshake", "handshake", "client_data", "later", "unknown" */
	const char *stage;
	/* Zeek's conn_state: "REJ", "RSTO", "RSTR", "RSTOS0", "RSTRH"; NULL: none applies */
	const char *conn;
	/* Bytes sent by the client (originator, [0]) and the server ([1]), where known. */
	__u32 bytes[2];
	int known[2];
};

/*
 * The stage of RST event e sent by side (0: endpoint A of v's key, 1: B;
 * classify_flow_key's), given its flow entry v (NULL: none). Always fills st.
 */
void stage_of(const struct rst_event *e, const struct rst_flow_val *v, int side,
	      struct rst_stage *st);

#endif
