/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What an event's outputs say besides the packet about why the reset
 * happened, gathered once per event: the fate of an RST received
 * (fate.h), the suspected-injection signal (classify.h), the connection
 * stage (stage.h) and the socket's owner (owner.h).
 */
#ifndef RST_WHY_H
#define RST_WHY_H

#include "owner.h"
#include "stage.h"
#include "rsttrace.h"

/* The maps the join reads; -1 where absent (the programs were not loaded). */
struct why_maps {
	int fate_res;
	int owners;
};

struct rst_why {
	const char *class; /* classify_event()'s, "injection_candidate" where signal fired */
	const char *fate;  /* received RSTs: fate_name(); NULL: not received, or no programs */
	const char *drop_reason; /* the kernel's drop reason behind fate, where one was given */
	const char *signal; /* suspected injection: "challenged", "ignored", "ttl_change"; NULL */
	__u8 sk_state;	    /* received: the state + 1 of the socket that took it; 0: none */
	int have_stage;
	struct rst_stage st;
	int have_owner;
	struct rst_owner own;
};

void why_maps_init(struct why_maps *m);

/* Fill w for e: flows_fd the flow map (-1: none), m the fate maps (NULL: none). */
void why_event(struct rst_why *w, const struct why_maps *m, int flows_fd,
	       const struct rst_event *e);

#endif
