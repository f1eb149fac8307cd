/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the kernel asks of a process before it lets rsttrace work, checked
 * up front so that a missing capability is one line naming it, not an
 * EPERM from the verifier after a retry.
 *
 * Loading needs CAP_BPF (bpf(2) at all), CAP_PERFMON (the verifier refuses
 * pointer arithmetic on packet and map values to a loader without it, and
 * tracing programs need it) and CAP_NET_ADMIN (XDP and TC programs, and
 * attaching them); CAP_SYS_ADMIN stands for CAP_BPF and CAP_PERFMON, as in
 * the kernel's bpf_capable() and perfmon_capable(). Reading pinned maps
 * needs CAP_BPF; finding a running watch's maps by id needs CAP_SYS_ADMIN.
 * Capabilities count only in the initial user namespace.
 */
#ifndef RST_PRIVS_H
#define RST_PRIVS_H

enum {
	PRIV_BPF = 1 << 0,
	PRIV_PERFMON = 1 << 1,
	PRIV_NET_ADMIN = 1 << 2,
	PRIV_SYS_ADMIN = 1 << 3,
};

/* What each kind of command needs. */
#define PRIV_LOAD   (PRIV_BPF | PRIV_PERFMON | PRIV_NET_ADMIN)
#define PRIV_READ   PRIV_BPF
#define PRIV_DETACH (PRIV_BPF | PRIV_NET_ADMIN)

/* The PRIV_* bits of need that this process lacks (0: it has them all). */
unsigned int privs_missing(unsigned int need);

/*
 * 0 when this process has what need names; otherwise prints one line
 * naming every missing capability and returns -EPERM.
 */
int check_privileges(unsigned int need);

#endif
