/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which control packets the kernel makes events of: the RST_CFG_EV_* bits
 * of the settings map (include/rsttrace.h), all clear by default (RSTs
 * only). user/filter/flagsel.h decides them.
 */
#ifndef RST_EVKINDS_H
#define RST_EVKINDS_H

#include <linux/types.h>

/* Replace the event-kind bits of the settings map with bits: 0, or -errno after printing why. */
int settings_set_event_kinds(int settings_fd, __u32 bits);

#endif
