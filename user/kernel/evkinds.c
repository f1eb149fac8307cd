// SPDX-License-Identifier: GPL-2.0
/* The event kinds in the settings map (evkinds.h). */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>

#include "evkinds.h"
#include "log.h"
#include "rsttrace.h"

int settings_set_event_kinds(int settings_fd, __u32 bits)
{
	struct rst_config cfg;
	__u32 zero = 0;

	/* Only this process holds the map yet: read, change, write is not racing anyone. */
	int err;

	if (bpf_map_lookup_elem(settings_fd, &zero, &cfg)) {
		err = -errno;
		pr_warn("settings map lookup: %s", strerror(-err));
		return err;
	}
	cfg.flags &= ~(RST_CFG_EV_CTL | RST_CFG_EV_NORST);
	cfg.flags |= bits & (RST_CFG_EV_CTL | RST_CFG_EV_NORST);
	if (bpf_map_update_elem(settings_fd, &zero, &cfg, BPF_ANY)) {
		err = -errno;
		pr_warn("settings map update: %s", strerror(-err));
		return err;
	}
	return 0;
}
