/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Fallback for a build host without /sys/kernel/btf/vmlinux. The programs
 * read only UAPI structures (packet headers, xdp_md, __sk_buff) and no
 * kernel-internal type, so the UAPI headers of linux-libc-dev describe
 * them exactly; CO-RE relocations are not needed for them. A program that
 * one day reads kernel-internal types (tracepoints on tcp_send_reset) will
 * need real BTF and must not be built from this file.
 */
#ifndef RST_VMLINUX_FALLBACK_H
#define RST_VMLINUX_FALLBACK_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>

#endif
