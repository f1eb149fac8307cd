/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The maps of one rsttrace datapath, by file descriptor, however they were
 * reached: from a skeleton this process loaded (watch, demo), from the pins
 * of a persistent attachment (attach, serve, top), or from a running watch
 * found through its programs. Readers (top, flows, stats, metrics) take a
 * struct rst_maps and never care which.
 */
#ifndef RST_MAPS_H
#define RST_MAPS_H

struct rsttrace;

struct rst_maps {
	int counters;
	int settings;
	int flows;
	int hosts;
	int buckets;
	int events;
	int owned; /* the fds are ours to close (not the skeleton's) */
};

/* Borrow the fds of a loaded skeleton (not closed by maps_close). */
void maps_from_skel(struct rst_maps *m, const struct rsttrace *skel);
/* Close fds this struct owns; leaves every field -1. */
void maps_close(struct rst_maps *m);

#endif
