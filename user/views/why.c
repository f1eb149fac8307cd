// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <sys/socket.h>

#include "causes.h"
#include "classify.h"
#include "fate.h"
#include "mapread.h"
#include "why.h"

void why_maps_init(struct why_maps *m)
{
	m->fate_res = -1;
	m->owners = -1;
}

void why_event(struct rst_why *w, const struct why_maps *m, int flows_fd, const struct rst_event *e)
{
	struct rst_fate_val fv = {};
	struct rst_flow_key key;
	struct rst_flow_val v;
	__u8 fate = RST_FATE_NONE;
	enum rst_class cause;
	int side;

	memset(w, 0, sizeof(*w));
	w->class = "unknown";
	if (e->family != AF_INET && e->family != AF_INET6)
		return;
	if (m && m->fate_res >= 0 && e->dir == RST_DIR_IN) {
		/* The programs run: an RST with no verdict is "unknown", not left out. */
		fate = fate_join(m->fate_res, e, &fv) ? fv.fate : RST_FATE_UNKNOWN;
		w->fate = fate_name(fate);
		w->sk_state = fate == RST_FATE_UNKNOWN ? 0 : fv.sk_state;
		if (fate == RST_FATE_IGNORED || fate == RST_FATE_DROPPED ||
		    fate == RST_FATE_TIME_WAIT || fate == RST_FATE_REQUEST)
			w->drop_reason = fate_drop_name(fv.drop_reason);
	}
	w->signal = classify_injection(e, fate);
	side = classify_flow_key(e, &key);
	/* One flow lookup for the class and the stage (classify_event() would be another). */
	if (flows_fd < 0) {
		w->class = classify(e, NULL, side);
	} else if (flow_lookup(flows_fd, &key, &v)) {
		w->class = "no_flow";
	} else {
		w->class = classify(e, &v, side);
		stage_of(e, &v, side, &w->st);
		w->have_stage = 1;
	}
	/*
	 * The kernel's cause wins where it knows one, as in classify_event():
	 * a firewall's reject or a keepalive timeout looks like a refused or
	 * aborted flow to the flow table (causes.h, docs/reasons.md).
	 */
	cause = cause_event_class(e);
	if (cause != RC_MAX)
		w->class = rst_class_names[cause];
	if (w->signal)
		w->class = "injection_candidate";
	if (m && m->owners >= 0)
		w->have_owner = owner_join(m->owners, e, fate == RST_FATE_ACCEPTED, &w->own);
}
