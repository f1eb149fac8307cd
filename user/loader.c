// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h"
#include "log.h"
#include "tracing.h"
#include "util.h"
#include "rsttrace.skel.h"

void opts_default(struct rst_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->snaplen = RST_SNAPLEN_DEFAULT;
	o->max_flows = RST_MAX_FLOWS_DEFAULT;
	o->max_hosts = RST_MAX_HOSTS_DEFAULT;
	o->ring_size = RST_RINGBUF_DEFAULT;
	o->sample = 1;
	o->rate_limit = RST_RATE_DEFAULT;
	o->burst = 0;
	o->ingress_hook = RST_HOOK_XDP;
	o->dirs = DIR_BOTH;
	o->xdp_mode = XDPM_AUTO;
}

const char *hook_name(int hook)
{
	switch (hook) {
	case RST_HOOK_XDP:
		return "xdp";
	case RST_HOOK_TC_INGRESS:
		return "tc-in";
	case RST_HOOK_TC_EGRESS:
		return "tc-out";
	}
	return "?";
}

static int bad_choice(const char *opt, const char *arg, const char *choices)
{
	pr_warn("rsttrace: invalid %s '%s': expected %s\n", opt, arg, choices);
	return -EINVAL;
}

int opts_parse_datapath(struct rst_opts *o, int opt, const char *arg)
{
	int err = 0;

	switch (opt) {
	case OPT_HOOK:
		if (!strcmp(arg, "xdp"))
			o->ingress_hook = RST_HOOK_XDP;
		else if (!strcmp(arg, "tc"))
			o->ingress_hook = RST_HOOK_TC_INGRESS;
		else
			return bad_choice("--hook", arg, "xdp or tc");
		break;
	case OPT_DIRECTION:
		if (!strcmp(arg, "in"))
			o->dirs = DIR_IN;
		else if (!strcmp(arg, "out"))
			o->dirs = DIR_OUT;
		else if (!strcmp(arg, "both"))
			o->dirs = DIR_BOTH;
		else
			return bad_choice("--direction", arg, "in, out or both");
		break;
	case OPT_XDP_MODE:
		if (!strcmp(arg, "auto"))
			o->xdp_mode = XDPM_AUTO;
		else if (!strcmp(arg, "native"))
			o->xdp_mode = XDPM_NATIVE;
		else if (!strcmp(arg, "generic"))
			o->xdp_mode = XDPM_GENERIC;
		else
			return bad_choice("--xdp-mode", arg, "auto, native or generic");
		break;
	case OPT_SAMPLE:
		err = parse_u32("--sample", arg, 1, 1000000000, &o->sample);
		o->set_sample = 1;
		break;
	case OPT_RATE_LIMIT:
		err = parse_u32("--rate-limit", arg, 0, 1000000000, &o->rate_limit);
		o->set_rate = 1;
		break;
	case OPT_BURST:
		err = parse_u32("--burst", arg, 1, 1000000000, &o->burst);
		o->set_burst = 1;
		break;
	case OPT_SNAPLEN:
		err = parse_u32("--snaplen", arg, 64, RST_SNAPLEN_MAX, &o->snaplen);
		break;
	case OPT_MAX_FLOWS:
		err = parse_u32("--max-flows", arg, 16, 1U << 26, &o->max_flows);
		break;
	case OPT_MAX_HOSTS:
		err = parse_u32("--max-hosts", arg, 16, 1U << 24, &o->max_hosts);
		break;
	case OPT_RING_SIZE:
		err = parse_u32("--ring-size", arg, 4096, 1U << 30, &o->ring_size);
		if (!err && (o->ring_size & (o->ring_size - 1))) {
			pr_warn("rsttrace: invalid --ring-size '%s': not a power of 2\n", arg);
			err = -EINVAL;
		}
		break;
	default:
		return 0;
	}
	return err ? err : 1;
}

int loader_apply_settings(int settings_fd, const struct rst_opts *o)
{
	struct rst_config cfg = {
		.sample = o->sample,
		.rate_limit = o->rate_limit,
		.burst = o->burst,
	};
	__u32 zero = 0;

	if (bpf_map_update_elem(settings_fd, &zero, &cfg, BPF_ANY)) {
		int err = -errno;

		pr_warn("rsttrace: settings map update: %s\n", strerror(-err));
		return err;
	}
	return 0;
}

/* Open and configure; the tracing program only if wanted and the kernel has it. */
static struct rsttrace *open_configured(const struct rst_opts *o, bool tracing, bool *traced)
{
	struct rsttrace *skel;
	int err;

	skel = rsttrace__open();
	if (!skel) {
		err = -errno;
		pr_warn("rsttrace: opening the BPF object: %s\n", strerror(-err));
		errno = -err;
		return NULL;
	}
	skel->rodata->snaplen = o->snaplen;
	bpf_map__set_max_entries(skel->maps.flows, o->max_flows);
	bpf_map__set_max_entries(skel->maps.hosts, o->max_hosts);
	bpf_map__set_max_entries(skel->maps.buckets, o->max_hosts);
	bpf_map__set_max_entries(skel->maps.events, o->ring_size);
	if (tracing)
		*traced = tracing_configure(skel->obj);
	else
		tracing_disable(skel->obj);
	return skel;
}

struct rsttrace *loader_open_load(const struct rst_opts *o)
{
	struct rsttrace *skel;
	bool traced = false;
	int err;

	skel = open_configured(o, true, &traced);
	if (!skel)
		return NULL;
	err = rsttrace__load(skel);
	if (err && traced) {
		/*
		 * The kernel has the tracepoint, yet the program did not load
		 * (a policy against tracing programs, say): the datapath does
		 * not need it. Once more without; a real problem fails again.
		 */
		pr_debug("rsttrace: loading with the reset-reason program failed (%s); "
			 "again without it\n",
			 strerror(-err));
		rsttrace__destroy(skel);
		skel = open_configured(o, false, &traced);
		if (!skel)
			return NULL;
		err = rsttrace__load(skel);
	}
	if (err) {
		pr_warn("rsttrace: loading the BPF programs: %s%s\n", strerror(-err),
			err == -EPERM
				? " (need root or CAP_BPF + CAP_NET_ADMIN; is memlock limited?)"
				: " (run with -vv for the verifier log)");
		rsttrace__destroy(skel);
		errno = -err;
		return NULL;
	}
	err = loader_apply_settings(bpf_map__fd(skel->maps.settings), o);
	if (err) {
		rsttrace__destroy(skel);
		errno = -err;
		return NULL;
	}
	pr_debug("loaded: snaplen %u, flows %u, hosts %u, ring %u bytes\n", o->snaplen,
		 o->max_flows, o->max_hosts, o->ring_size);
	return skel;
}
