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
	int reasons; /* kernel reset reasons (tracing.h) */
	int owned;   /* the fds are ours to close (not the skeleton's) */
};

/* Borrow the fds of a loaded skeleton (not closed by maps_close). */
void maps_from_skel(struct rst_maps *m, const struct rsttrace *skel);
/* Close fds this struct owns; leaves every field -1. */
void maps_close(struct rst_maps *m);

/*
 * Open the maps of a persistent attachment pinned under pin_dir (NULL:
 * /sys/fs/bpf/rsttrace), after checking its meta map is of this ABI.
 * -ENOENT, quietly, when nothing is pinned there; other errors (another
 * ABI, a private mount namespace, missing maps) are printed. The fds are
 * owned: maps_close them. A reader that keeps them open should reopen when
 * the attachment is removed and made again (the pins then name new maps).
 */
int maps_open_pinned(const char *pin_dir, struct rst_maps *m);

/*
 * Find the maps of a running rsttrace datapath (a `watch`, or any loaded
 * rsttrace programs) through its programs: rst_xdp, rst_tc_ingress and
 * rst_tc_egress, and the maps they use, by name (events and reasons may
 * be missing). With several, one that
 * is attached to an interface of the caller's network namespace wins,
 * then the one loaded last. -ENOENT, quietly, when none runs. Needs
 * CAP_SYS_ADMIN to walk program ids.
 */
int maps_find_live(struct rst_maps *m);

#endif
