/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Persistent attachment: the pin layout under /sys/fs/bpf/rsttrace (or
 * --pin-path), the checks that the pins land on a bpffs the whole system
 * shares, the meta map that carries the ABI version, and the recovery of
 * what a crashed attach left behind. Only names of this layout are ever
 * created or removed; anything else in the directory is left alone. The
 * directory is trusted only when it and everything on the way to it is
 * root's and writable by no one else; below it nothing is reached through
 * a path again, only relative to the checked directory fds, and a pin is
 * unlinked only once it is known to be the object rsttrace pinned there.
 *
 *   PIN/meta                       array map, 1 entry: struct rst_pin_meta
 *   PIN/maps/{counters,settings,flows,hosts,events,reasons,...}   maps.h RST_PIN_MAPS
 *   PIN/progs/{rst_xdp,rst_tc_ingress,rst_tc_egress}
 *   PIN/progs/rst_send_reset       where the kernel has the tracepoint (tracing.h)
 *   PIN/progs/{rst_kfree_skb,...}  the other tracing programs (RST_TRACE_PROGS),
 *                                  each where the kernel has its tracepoint; their
 *                                  links beside rst_send_reset's under PIN/trace/
 *   PIN/links/IFNAME@NETNS-IFINDEX/{xdp_native,xdp_generic,tcx_in,tcx_out}
 *   PIN/links/IFNAME@NETNS-IFINDEX/cls_{in,out}-PRIO-HANDLE[-q]   legacy cls_bpf
 *   PIN/trace/rst_send_reset       its link: global, not per interface; made by
 *                                  the first attach that traces egress, removed
 *                                  with the last interface
 *
 * NETNS is the inode of the network namespace the links were made in,
 * IFINDEX the interface index there at attach time; bpffs takes no dots in
 * names, so IFNAME has '.' as %2e (and '%' as %25). A cls_ record is the
 * TC program pinned once more: it names the filter to delete (and, with
 * -q, that rsttrace created the clsact qdisc).
 */
#ifndef RST_PERSIST_H
#define RST_PERSIST_H

#include <limits.h>
#include <net/if.h>
#include <linux/types.h>

#include "maps.h"
#include "netns.h" /* netns_self, netns_name: a record names its namespace */
#include "rsttrace.h"
#include "tracing.h"

#define RST_PIN_DEFAULT "/sys/fs/bpf/rsttrace"
#define RST_PIN_MAGIC	0x4543415254545352ULL /* "RSTTRACE" read as little endian */

/*
 * The value of PIN/meta. magic and abi_version stay where they are in
 * every version, so any rsttrace can tell whose pins these are.
 */
struct rst_pin_meta {
	__u64 magic;
	__u32 abi_version; /* RST_ABI_VERSION of the rsttrace that pinned */
	__u32 size;	   /* sizeof(struct rst_pin_meta) as written */
	__u64 created_ns;  /* CLOCK_REALTIME of the first attach */
	__u32 snaplen;	   /* load-time options the programs were built with */
	__u32 max_flows;
	__u32 max_hosts;
	__u32 ring_size;
	char version[32]; /* rsttrace version string */
};

enum pin_prog {
	PP_XDP = 0,
	PP_TC_IN,
	PP_TC_OUT,
	PP_MAX,
};

extern const char *const pin_prog_names[PP_MAX];

/* What a link pin (or legacy record) is. */
enum pin_kind {
	PK_XDP_NATIVE = 0,
	PK_XDP_GENERIC,
	PK_TCX_IN,
	PK_TCX_OUT,
	PK_CLS_IN,
	PK_CLS_OUT,
	PK_MAX,
};

struct pin_link {
	int kind;      /* enum pin_kind */
	char name[64]; /* file name in the interface's directory */
	__u32 link_id; /* 0 for cls_ records */
	__u32 prog_id;
	__u32 cur_ifindex; /* where the kernel has it now; 0 once the interface is gone */
	int alive;	   /* still attached (for cls_: filter found, or not checkable) */
	__u64 since_ns;	   /* CLOCK_REALTIME of the pin */
	__u32 cls_prio;	   /* cls_ records */
	__u32 cls_handle;
	int cls_qdisc;
};

#define PIN_LINKS_MAX 4

struct pin_iface {
	char dir[IF_NAMESIZE + 48]; /* directory name under links/ */
	char ifname[IF_NAMESIZE];
	__u64 netns;   /* inode of the network namespace */
	__u32 ifindex; /* at attach time */
	int here;      /* netns is the caller's */
	int gone; /* no link of it is attached any more, and (here) no interface of its index */
	int n_links;
	struct pin_link links[PIN_LINKS_MAX];
	__u64 since_ns; /* earliest pin */
};

struct persist {
	char path[PATH_MAX - 128]; /* normalized: absolute, no "." or ".." */
	/*
	 * The pin directory and its parent, opened one component at a time
	 * without following symbolic links and checked (persist_prepare);
	 * every pin and subdirectory is reached relative to dir_fd. -1: none.
	 */
	int dir_fd;
	int parent_fd;
	char base[NAME_MAX + 1]; /* the pin directory's name in parent_fd */
	int create;		 /* prepared with PERSIST_CREATE */
	int lock_fd;		 /* dir_fd once flock()ed; -1 when not locked */
	int have_meta;
	/*
	 * Set by detach before persist_read_meta(): pins of an older ABI whose
	 * pin layout this binary still tears down (RST_ABI_DETACH_MIN..) are
	 * accepted, for removing them only.
	 */
	int teardown;
	struct rst_pin_meta meta;
	int prog_fd[PP_MAX];
	__u32 prog_id[PP_MAX];
	int trace_fd; /* the pinned tracing program; -1: none (optional) */
	__u32 trace_id;
	/* The other tracing programs (tracing.h, enum trace_prog - 1); optional too. */
	int trace_aux_fd[TR_MAX - 1];
	__u32 trace_aux_id[TR_MAX - 1];
	struct rst_maps maps; /* owned fds */
};

/* The global tracing link (PIN/trace/rst_send_reset), as persist_trace_info reads it. */
struct pin_trace {
	int pinned; /* the pin exists */
	int alive;  /* and its link is attached */
	__u32 link_id;
	__u32 prog_id;
	__u64 since_ns; /* CLOCK_REALTIME of the pin */
};

/* Whether a pin path check may create (mount bpffs, mkdir) or only read; quiet. */
enum { PERSIST_READ = 0, PERSIST_CREATE = 1, PERSIST_QUIET = 2 };

/*
 * The oldest ABI whose pin directories detach still removes: ABI 3 had
 * the same directories, names and link records, and maps/buckets, which
 * is unpinned as a legacy name; its maps' layouts (settings) differ, so
 * nothing else reads them.
 */
#define RST_ABI_DETACH_MIN 3

void persist_init(struct persist *p);
void persist_close(struct persist *p);

/*
 * The syntax of a --pin-path: absolute, no ".." component, not "/". 0, or
 * -EINVAL with the reason printed (the caller exits 2).
 */
int persist_path_check(const char *path);
/* The same, writing the normalized path ("//", "." and trailing "/" dropped) into out. */
int persist_path_normalize(const char *path, char *out, size_t len);

/*
 * Check that path is on a bpffs this whole system shares (not one private
 * to a mount namespace such as `ip netns exec` makes) and, with
 * PERSIST_CREATE, mount bpffs on /sys/fs/bpf when absent and create the
 * directory (0700; its subdirectories come with persist_create). Then
 * open it without following symbolic links, refusing (-EPERM, -ELOOP) a
 * pin directory not owned by us (root) or writable by others, an
 * ancestor that others could rename it in (writable, not sticky), and a
 * directory that is the root of a bpffs mount (-EISDIR): pins are
 * created and removed only below that checked directory fd. Prints a
 * one-line error with a hint (unless PERSIST_QUIET); -EINVAL for a bad
 * path, -EXDEV for a private mount namespace; -ENOENT in read mode when
 * there is nothing there, without printing.
 */
int persist_prepare(struct persist *p, const char *path, int mode);

/*
 * Take the directory's exclusive lock (waits for another attach/detach).
 * -ENOENT, quietly, when it was removed meanwhile and was prepared to read.
 */
int persist_lock(struct persist *p);

/* What a pinned object must be (persist_get). */
enum { PO_MAP = 1, PO_PROG, PO_LINK };

/*
 * The object pinned as REL/NAME below the pin directory (REL "" for the
 * directory itself): every directory on the way checked as persist_prepare
 * checks the pin directory, NAME a pin (not a symbolic link) owned by us,
 * the object of kind PO_*. An fd, -ENOENT quietly, or -errno (printed).
 */
int persist_get(const struct persist *p, const char *rel, const char *name, int kind);
/* Pin fd as REL/NAME (REL's directories made 0700 when missing); prints on failure. */
int persist_pin(const struct persist *p, const char *rel, const char *name, int fd);
/* Unlink REL/NAME (no follow); 0 when it is not there. Prints on failure. */
int persist_unpin(const struct persist *p, const char *rel, const char *name);
/* Remove the directory REL if empty ("" the pin directory itself); quiet. */
int persist_rmdir(const struct persist *p, const char *rel);

/*
 * Read PIN/meta into p->meta. 0 when it is ours and of this ABI; -ENOENT
 * when absent; -EPROTO (message printed) when of another ABI or not ours.
 */
int persist_read_meta(struct persist *p);

/*
 * Open the pinned programs and maps of a valid pin set (after
 * persist_read_meta). With recover, missing pins are pinned again from
 * a live link when possible (the caller holds the lock). Prints why and
 * returns -errno when a map stays missing; a missing program leaves its
 * prog_fd at -1.
 */
int persist_open_objects(struct persist *p, int recover);

/*
 * No meta: remove the leftovers of an unfinished attach (names of our
 * layout only, objects checked by name). -EPROTO (printed) when the
 * directory holds links or objects that are not ours.
 */
int persist_clean_partial(struct persist *p);

/* Create the maps/, progs/ and links/ subdirectories (0700) if missing. */
int persist_mkdirs(struct persist *p);

/*
 * Pin freshly loaded programs and maps (taken from prog/map fds; trace_fd
 * -1 when the tracing program was not loaded), and last the meta map that
 * marks the set complete. On failure unpins what it pinned.
 */
int persist_create(struct persist *p, const int prog_fds[PP_MAX], const int map_fds[PM_MAX],
		   int trace_fd, const struct rst_pin_meta *meta);

/*
 * Attach the pinned tracing program and pin its link, unless a live link
 * is pinned already or there is no such program (0 then too). -errno,
 * printed at info level: the interfaces do not need it.
 */
int persist_trace_attach(struct persist *p);

/* What PIN/trace holds. */
void persist_trace_info(const struct persist *p, struct pin_trace *t);
/* The same for the tracing link pinned as PIN/trace/NAME (tracing.h's programs). */
void persist_trace_link_info(const struct persist *p, const char *name, struct pin_trace *t);

/* The attached interfaces, sorted by name; caller frees *out. */
int persist_list(struct persist *p, struct pin_iface **out, int *n);

/* Directory of one interface record, "PIN/links/DIR". */
void persist_iface_path(const struct persist *p, const char *dir, char *buf, size_t len);
/* The record directory name for an interface attached here now. */
void persist_iface_dirname(char *buf, size_t len, const char *ifname, __u64 netns, __u32 ifindex);

/*
 * Detach and unpin one interface record (links detached explicitly, so no
 * other holder of the link keeps it attached). Returns 0 or -errno.
 */
int persist_remove_iface(struct persist *p, const struct pin_iface *pi);

/* Detach and unpin one link pin of a record, if it is what rsttrace pinned there. */
int persist_unpin_link(struct persist *p, const struct pin_iface *pi, const struct pin_link *pl);

/* Detach and unpin the tracing link, unpin programs, maps, meta and the (then empty) directories. */
int persist_remove_objects(struct persist *p);

/* "xdp", "tcx", "cls_bpf"; "in"/"out"; XDP mode or NULL. */
const char *pin_kind_hook(int kind);
const char *pin_kind_dir(int kind);
const char *pin_kind_mode(int kind);

/*
 * Open the maps of a persistent attachment pinned under pin_dir (NULL:
 * /sys/fs/bpf/rsttrace), after checking its meta map is of this ABI.
 * -ENOENT, quietly, when nothing is pinned there; other errors (another
 * ABI, a private mount namespace, missing maps) are printed. The fds are
 * owned: maps_close them. A reader that keeps them open should reopen when
 * the attachment is removed and made again (the pins then name new maps).
 */
int maps_open_pinned(const char *pin_dir, struct rst_maps *m);

#endif
