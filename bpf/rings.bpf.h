/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where an event is written: the one ring `events` (the default on small
 * machines), or, with per-CPU rings (--rings per-cpu, the default from
 * RST_RINGS_PERCPU_MIN_CPUS possible CPUs on), the ring of the CPU the
 * program runs on. One ring is one spinlock every producing CPU takes at
 * reserve and at submit: under an RST flood on many CPUs, they queue on
 * it (reserve + submit from ~75 ns alone to 230-570 ns with two CPUs at
 * once, issue 10). Per-CPU rings share nothing between producers; the
 * consumer merges them in time order (user/kernel/rings.c).
 *
 * ev_rings is an array of ringbufs, one slot per possible CPU, all of one
 * size (the kernel requires inner maps to match the template): the loader
 * creates the rings after load and puts them in (user/kernel/loader.c
 * loader_rings_fill). A slot without a ring makes the event ring-full
 * (counted, never lost silently).
 */
#ifndef RST_RINGS_BPF_H
#define RST_RINGS_BPF_H

/* Set between open and load: 0 the one ring `events`, 1 ev_rings by CPU. */
const volatile __u32 ev_percpu = 0;

struct ev_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096); /* the template: inner rings may be of any size */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1); /* possible CPUs, at load */
	__type(key, __u32);
	__array(values, struct ev_ring);
} ev_rings SEC(".maps");

/*
 * The ring of this CPU's events, NULL when its slot is empty. A program
 * runs on one CPU from start to end (migration is off), so a second call
 * (ringbuf_wakeup's) finds the same ring as the reserve did.
 */
static __always_inline void *ev_ring(void)
{
	__u32 cpu;

	if (!ev_percpu)
		return &events;
	cpu = bpf_get_smp_processor_id();
	return bpf_map_lookup_elem(&ev_rings, &cpu);
}

#endif
