// SPDX-License-Identifier: GPL-2.0
#include <unistd.h>
#include <bpf/libbpf.h>

#include "maps.h"
#include "rsttrace.skel.h"

void maps_from_skel(struct rst_maps *m, const struct rsttrace *skel)
{
	m->counters = bpf_map__fd(skel->maps.counters);
	m->settings = bpf_map__fd(skel->maps.settings);
	m->flows = bpf_map__fd(skel->maps.flows);
	m->hosts = bpf_map__fd(skel->maps.hosts);
	m->buckets = bpf_map__fd(skel->maps.buckets);
	m->events = bpf_map__fd(skel->maps.events);
	m->owned = 0;
}

void maps_close(struct rst_maps *m)
{
	int *fds[] = { &m->counters, &m->settings, &m->flows, &m->hosts, &m->buckets, &m->events };
	unsigned int i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (m->owned && *fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	m->owned = 0;
}
