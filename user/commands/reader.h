/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the readers of the kernel's counters (top, flows, stats) share:
 * the maps they read, of the persistent attachment (--pin-path, or the
 * default pin directory) or, when nothing is pinned, of a running
 * `rsttrace watch`, found through its programs; the interface names
 * known there; and the small formatters of their tables.
 */
#ifndef RST_READER_H
#define RST_READER_H

#include <limits.h>
#include <net/if.h>
#include <stddef.h>
#include <linux/types.h>

#include "commands.h"
#include "maps.h"
#include "persist.h"

/*
 * --pin-path DIR of a reader into a const char * field, NULL by default:
 * then the default pin directory, else a running watch.
 */
#define READER_PIN_PATH_ROW(cfg_type, member)                                                      \
	{                                                                                          \
		.name = "pin-path", .type = OPT_STRING, .off = offsetof(cfg_type, member),         \
		.check = cmd_pin_path_check, .metavar = "DIR",                                     \
		.help = "read this attachment (default " RST_PIN_DEFAULT ", else a running watch)" \
	}

/* Interfaces whose names a reader remembers; the rest are looked up each time. */
#define IFNAME_CACHE 64

struct ifname_ent {
	__u32 ifindex;
	int known; /* 0: no name (gone, or not in this netns) */
	char name[IF_NAMESIZE];
};

struct pin_iface;

/* Where the maps came from, and the interface names known there. */
struct source {
	struct rst_maps m;
	int pinned;
	char desc[PATH_MAX + 16];
	struct pin_iface *ifs; /* records of the pinned attachment, for names */
	int n_ifs;
	/*
	 * Names already resolved: flows prints one per row, and
	 * if_indextoname() is three system calls (socket, ioctl, close).
	 */
	struct ifname_ent ifc[IFNAME_CACHE];
	int n_ifc;
};

/*
 * The maps under pin_path, or (pin_path NULL) under the default pin
 * directory, else of a running watch. 0 or -errno after printing why.
 */
int source_open(const char *pin_path, struct source *s);
void source_close(struct source *s);
/* Reread the interface records of the pinned attachment (after it was made anew). */
void source_load_names(struct source *s, const char *pin_path);

/*
 * The interface name of ifindex (buf holds IF_NAMESIZE): the pinned record
 * made here, else this netns; NULL when unknown. The first answer for an
 * ifindex holds for the rest of the command.
 */
const char *source_ifname(struct source *s, __u32 ifindex, char *buf);

/* "pinned" or "live": the "source" key of the JSON outputs. */
const char *source_kind(const struct source *s);

/* The address text of a host or flow end ("?" if it has none). */
const char *addr_str(const __u8 *addr, __u8 family, char *buf, size_t len);
/* "ipv6" or "ipv4": the "family" key of the JSON outputs. */
const char *family_str(__u8 family);

#endif
