/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One tracing session, as libbpf-tools' tcpstates.c runs it, top to
 * bottom: open, configure and load (loader.h), attach to N interfaces
 * (attach.h), start the kernel's reset reasons (tracing.h), the ring
 * buffer, poll, and one teardown that undoes exactly what was done, in
 * the reverse order. watch, demo and the program tests use it; the
 * persistent attachment (attach) pins instead and does not.
 *
 * The session prints nothing of its own: each step returns 0 or -errno
 * and the caller says what failed in its words (the loader and attach
 * print their own one-line errors, as before).
 */
#ifndef RST_SESSION_H
#define RST_SESSION_H

#include <bpf/libbpf.h>

#include "attach.h"
#include "loader.h"
#include "maps.h"
#include "tracing.h"

struct rsttrace;
struct rst_rings;

#define RST_SESSION_MAX_LINKS 64

struct rst_session {
	struct rsttrace *skel;	/* NULL until loaded (or adopted) */
	struct rst_progs progs; /* the program fds, fetched from the skeleton once */
	struct rst_maps maps;	/* the skeleton's map fds, borrowed */
	/* The caller's links this session attached (or tried to), in order. */
	struct rst_link *links[RST_SESSION_MAX_LINKS];
	int n_links;
	int trace_fd;		      /* link of the reset-reason program; -1: none */
	int trace_aux_fd[TR_MAX - 1]; /* links of the other tracing programs (tracing.h) */
	int reasons_fd;		      /* maps.reasons once that link exists; -1: no reasons */
	struct rst_rings *rb;	      /* every event ring, merged (rings.h) */
};

/* Nothing done yet: safe to session_close. */
void session_init(struct rst_session *s);

/* Open, configure with o, load (loader_open_load): 0, or -errno after printing why. */
int session_load(struct rst_session *s, const struct rst_opts *o);

/*
 * Take over a skeleton loaded elsewhere (the program tests size and
 * configure their own): its programs and maps, and session_close
 * destroys it.
 */
void session_adopt(struct rst_session *s, struct rsttrace *skel);
/* The datapath programs' fds of a loaded skeleton (session_adopt's, attach's). */
void session_progs(const struct rsttrace *skel, struct rst_progs *p);

/*
 * Attach the programs o asks for to l (link_init'ed by the caller, who
 * keeps it: l must outlive the session). On failure attach_iface printed
 * why and undid its part; -errno. Either way teardown detaches l.
 */
int session_attach(struct rst_session *s, struct rst_link *l, const struct rst_opts *o);

/*
 * Attach the reset-reason program, where it was loaded: 1 attached
 * (trace_fd and reasons_fd set), 0 it was not loaded (tracing_configure
 * said why at -dd), -errno when attaching failed (not printed).
 */
int session_trace(struct rst_session *s);

/* The event rings (one, or one per CPU) to fn(ctx, ...) in time order: 0 or -errno (not printed). */
int session_ring(struct rst_session *s, ring_buffer_sample_fn fn, void *ctx);

/*
 * Wait up to timeout_ms for events and take them. The kernel wakes the
 * poll only past a fill threshold (rsttrace.bpf.c ringbuf_wakeup) and
 * libbpf consumes only on a wakeup, so a timeout takes what arrived below
 * it. Events taken, or -errno (-EINTR on a signal; or a callback's).
 */
int session_poll(struct rst_session *s, int timeout_ms);
/* Take what the ring holds now, without waiting: events taken or -errno; 0 without a ring. */
int session_consume(struct rst_session *s);

/*
 * Detach every link and the reset-reason program, keeping the skeleton,
 * the maps (reasons_fd too) and the ring: what the kernel delivered
 * before can still be consumed and joined, the counters read. Safe to
 * call twice.
 */
void session_detach(struct rst_session *s);

/* session_detach, then free the ring and destroy the skeleton; safe to call twice. */
void session_close(struct rst_session *s);

#endif
