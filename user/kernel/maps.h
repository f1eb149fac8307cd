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

#include <stddef.h>

struct rsttrace;

/*
 * The maps of the datapath, in the order of enum pin_map: X(ENUM, name),
 * name being the map's name in bpf/rsttrace.bpf.c, in the skeleton and
 * under PIN/maps/. This list is the only place that names them: the enum,
 * the name table, the fields of struct rst_maps and the skeleton lookup
 * are all made from it, so adding a map is one line here.
 */
#define RST_PIN_MAPS(X)                                                                            \
	X(COUNTERS, counters)                                                                      \
	X(SETTINGS, settings)                                                                      \
	X(FLOWS, flows)                                                                            \
	X(HOSTS, hosts)                                                                            \
	X(EVENTS, events)                                                                          \
	X(REASONS, reasons)	    /* kernel reset reasons (tracing.h) */                         \
	X(CAUSES, causes)	    /* counted causes (bpf/causes.bpf.h) */                        \
	X(CAUSE_HOSTS, cause_hosts) /* the same per peer host */                                   \
	X(FATE_RING, fate_ring)	    /* RSTs awaiting the stack's verdict (bpf/fate.bpf.h) */       \
	X(FATE_RES, fate_res)	    /* each verdict, for the event */                              \
	X(FATE_IFS, fate_ifs)	    /* fates per interface, local resets */                        \
	X(FATE_HOSTS, fate_hosts)   /* fates per peer host */                                      \
	X(OWNERS, owners)	    /* socket owners, for events and flows */                      \
	X(CGROUPS, cgroups)	    /* resets per cgroup */                                        \
	X(EV_RINGS, ev_rings)	    /* per-CPU event rings (bpf/rings.bpf.h); optional */

/* clang-format takes the list for an expression and indents what follows. */
/* clang-format off */
enum pin_map {
#define PM_ENUM(U, l) PM_##U,
	RST_PIN_MAPS(PM_ENUM)
#undef PM_ENUM
	PM_MAX,
};
/* clang-format on */

/* The map names by enum pin_map ("counters", ...). */
extern const char *const pin_map_names[PM_MAX];

/*
 * fd[] by enum pin_map for loops, and the same ints by name (m.hosts) for
 * a reader that wants one map: both views of one array.
 */
struct rst_maps {
	union {
		int fd[PM_MAX];
		struct {
#define PM_FIELD(U, l) int l;
			RST_PIN_MAPS(PM_FIELD)
#undef PM_FIELD
		};
	};
	int owned; /* the fds are ours to close (not the skeleton's) */
};

/* The named fields lie where their enum says (no padding between ints). */
#define PM_CHECK(U, l)                                                                             \
	_Static_assert(offsetof(struct rst_maps, l) == PM_##U * sizeof(int), "rst_maps: " #l);
RST_PIN_MAPS(PM_CHECK)
#undef PM_CHECK
_Static_assert(sizeof(((struct rst_maps *)0)->fd) == PM_MAX * sizeof(int), "rst_maps: fd[]");

/* The map fd of one enum pin_map in m (older callers; m->fd[which] is the same). */
static inline int *maps_slot(struct rst_maps *m, int which)
{
	return &m->fd[which];
}

/* Every fd -1, owning nothing. */
void maps_init(struct rst_maps *m);

/* Borrow the fds of a loaded skeleton (not closed by maps_close). */
void maps_from_skel(struct rst_maps *m, const struct rsttrace *skel);
/* The skeleton's map object for enum pin_map which (NULL out of range). */
struct bpf_map *maps_skel_map(const struct rsttrace *skel, int which);
/* Close fds this struct owns; leaves every field -1. */
void maps_close(struct rst_maps *m);

/*
 * maps_open_pinned(), the maps of a persistent attachment, is persist.h's:
 * the pin layout is above this file.
 */

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

/*
 * Check that map fds have the layout this binary expects (key/value
 * sizes, counters entries); prints and returns -EPROTO when not.
 */
int maps_check_layout(struct rst_maps *m, const char *where);

#endif
