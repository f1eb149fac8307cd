/* SPDX-License-Identifier: GPL-2.0 */
/*
 * UAPI numbers newer than the headers (6.1) and libbpf (1.1) we build
 * with, spelled out once: tcx (kernel 6.6) attach types, link type and
 * the multi-program anchor flags. The values are UAPI
 * (include/uapi/linux/bpf.h) and never change.
 */
#ifndef RST_BPFCOMPAT_H
#define RST_BPFCOMPAT_H

#define RST_BPF_TCX_INGRESS   46 /* enum bpf_attach_type BPF_TCX_INGRESS */
#define RST_BPF_TCX_EGRESS    47 /* BPF_TCX_EGRESS */
#define RST_BPF_LINK_TYPE_TCX 11 /* enum bpf_link_type BPF_LINK_TYPE_TCX */
#define RST_BPF_F_BEFORE      (1U << 3)
#define RST_BPF_F_AFTER	      (1U << 4)
#define RST_BPF_F_ID	      (1U << 5)

#endif
