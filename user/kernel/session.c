// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "rings.h"
#include "session.h"
#include "tracing.h"
#include "rsttrace.skel.h"

void session_init(struct rst_session *s)
{
	s->skel = NULL;
	s->progs.xdp = s->progs.tc_in = s->progs.tc_out = -1;
	maps_init(&s->maps);
	s->n_links = 0;
	s->trace_fd = -1;
	for (int i = 0; i < TR_MAX - 1; i++)
		s->trace_aux_fd[i] = -1;
	s->reasons_fd = -1;
	s->rb = NULL;
}

void session_progs(const struct rsttrace *skel, struct rst_progs *p)
{
	/* The one place the program fds come out of the skeleton. */
	p->xdp = bpf_program__fd(skel->progs.rst_xdp);
	p->tc_in = bpf_program__fd(skel->progs.rst_tc_ingress);
	p->tc_out = bpf_program__fd(skel->progs.rst_tc_egress);
}

void session_adopt(struct rst_session *s, struct rsttrace *skel)
{
	s->skel = skel;
	session_progs(skel, &s->progs);
	maps_from_skel(&s->maps, skel);
}

int session_load(struct rst_session *s, const struct rst_opts *o)
{
	struct rsttrace *skel = loader_open_load(o);

	if (!skel)
		return errno ? -errno : -EINVAL;
	session_adopt(s, skel);
	return 0;
}

int session_attach(struct rst_session *s, struct rst_link *l, const struct rst_opts *o)
{
	if (s->n_links >= RST_SESSION_MAX_LINKS)
		return -E2BIG;
	/* Recorded first: teardown then covers whatever a failure left. */
	s->links[s->n_links++] = l;
	return attach_iface(l, &s->progs, o);
}

int session_trace(struct rst_session *s)
{
	int prog_fd = tracing_prog_fd(s->skel->obj), fd;

	if (prog_fd < 0)
		return 0;
	fd = tracing_attach(prog_fd);
	if (fd < 0)
		return fd;
	s->trace_fd = fd;
	s->reasons_fd = s->maps.reasons;
	/*
	 * The cause counters' programs, where they loaded; optional (tracing.h).
	 * The fate programs are the caller's (fate_attach), with or without reasons.
	 */
	for (int i = 1; i < TR_FATE_FIRST; i++) {
		prog_fd = tracing_prog_fd_of(s->skel->obj, i);
		fd = prog_fd < 0 ? -1 : tracing_attach(prog_fd);
		if (prog_fd >= 0 && fd < 0)
			pr_info("reset causes: attaching to %s: %s", tracing_tp_names[i],
				strerror(-fd));
		s->trace_aux_fd[i - 1] = fd;
	}
	return 1;
}

int session_ring(struct rst_session *s, ring_buffer_sample_fn fn, void *ctx)
{
	/* Every ring, one ring or one per CPU, merged in time order (rings.h). */
	return rings_open_maps(&s->rb, &s->maps, fn, ctx);
}

int session_poll(struct rst_session *s, int timeout_ms)
{
	/* rings_poll consumes after a timeout too: wakeups come past a threshold. */
	return rings_poll(s->rb, timeout_ms);
}

int session_consume(struct rst_session *s)
{
	return s->rb ? rings_consume(s->rb) : 0;
}

void session_detach(struct rst_session *s)
{
	int i;

	for (i = 0; i < s->n_links; i++)
		detach_iface(s->links[i]);
	s->n_links = 0;
	if (s->trace_fd >= 0)
		close(s->trace_fd);
	s->trace_fd = -1;
	for (int i = 0; i < TR_MAX - 1; i++) {
		if (s->trace_aux_fd[i] >= 0)
			close(s->trace_aux_fd[i]);
		s->trace_aux_fd[i] = -1;
	}
	/* reasons_fd stays: the events drained after the detach still join their reasons. */
}

void session_close(struct rst_session *s)
{
	session_detach(s);
	rings_free(s->rb);
	s->rb = NULL;
	s->reasons_fd = -1;
	/* The maps were borrowed from the skeleton: they go with it. */
	maps_init(&s->maps);
	rsttrace__destroy(s->skel);
	s->skel = NULL;
}
