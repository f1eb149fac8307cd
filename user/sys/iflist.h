/* SPDX-License-Identifier: GPL-2.0 */
/*
 * -D: the interfaces, numbered and flagged exactly as `tcpdump -D` lists
 * them (libpcap's pcap_findalldevs(), the same list and order), each
 * network interface followed by its ifindex and the hooks rsttrace can
 * attach there: native XDP where the driver says it has it (the netdev
 * generic netlink family's xdp-features), generic XDP and TC everywhere.
 */
#ifndef RST_IFLIST_H
#define RST_IFLIST_H

#include <stdio.h>

/* Print the list to f: 0, or -errno after printing why. */
int iflist_print(FILE *f);

#endif
