/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Why resets happen: the one table that maps each kernel reset reason
 * and how the stack came to send it (answering a SYN, answering another
 * segment, its own connection's) to one class, the class names every
 * output uses (text -v, JSON, stats, metrics), and the counted causes
 * read from the kernel ("causes", "cause_hosts"; bpf/causes.bpf.h).
 * docs/reasons.md explains each class, what decides it, and its limits.
 */
#ifndef RST_CAUSES_H
#define RST_CAUSES_H

#include <stddef.h>
#include <linux/types.h>

#include "rsttrace.h"

enum rst_class {
	RC_REFUSED = 0,
	RC_FIREWALL,
	RC_ABORT,
	RC_TIMEOUT,
	RC_MEMORY,
	RC_PROTOCOL,
	RC_AFTER_FIN,
	RC_INJECTION,
	RC_NO_FLOW,
	RC_UNKNOWN,
	RC_MAX,
};

/* "refused", "firewall", ... by enum rst_class. */
extern const char *const rst_class_names[RC_MAX];
/* enum rst_origin names ("stack", "firewall", "other"), enum rst_sk_err ("econnreset", ...). */
extern const char *const rst_origin_names[RST_OR_MAX];
extern const char *const rst_sk_err_names[RST_ERR_MAX];
/* enum rst_cz_kind names: "syn", "reply", "active". */
extern const char *const rst_kind_names[RST_CZK_MAX];

/* The class of a reset the stack sent: kind (enum rst_cz_kind), reason name (NULL: unknown). */
enum rst_class cause_class(__u32 kind, const char *reason);

/*
 * The kernel's class of an event, RC_MAX when the kernel said nothing
 * about it (received, or sent with no reason known): firewall when
 * netfilter made it, else the table's for its reason, the kind taken from
 * the event (an active reset is its socket's own: RST_EV_LOCAL; an RST
 * with ACK and sequence 0 answered a segment without ACK, a SYN).
 */
enum rst_class cause_event_class(const struct rst_event *e);

/* The reason slot's name (rst_reason_name of the value; "reason_other" for the overflow slot). */
const char *cause_reason_name(__u32 slot, char *buf, size_t len);

/* Every CPU's causes summed into *out: 0 or -errno. */
int causes_read(int fd, struct rst_causes *out);

/* Resets the stack sent, all kinds, states and reasons. */
__u64 causes_sent_total(const struct rst_causes *c);
/* By class: the table applied to every (kind, reason) count; firewall from out[]. */
void causes_by_class(const struct rst_causes *c, __u64 out[RC_MAX]);

/* One peer host, merged over CPUs. */
#define CAUSE_HOST_CODES 16
struct cause_host {
	__u8 addr[16];
	__u8 family;
	__u8 n_codes;
	__u16 code[CAUSE_HOST_CODES]; /* RST_CH_CODE or RST_CH_FIREWALL, by count, largest first */
	__u64 n[CAUSE_HOST_CODES];
	__u64 other; /* counted in no slot (more distinct causes than a line holds) */
	__u64 resets;
	__u64 err[RST_ERR_MAX];
};

/*
 * Every host of the cause-host table (fd), merged over CPUs, into a
 * malloc'ed array *out of *n (free it). 0 or -errno.
 */
int cause_hosts_read(int fd, struct cause_host **out, size_t *n);
/* The host of addr/family in hosts[n], or NULL. */
const struct cause_host *cause_host_find(const struct cause_host *hosts, size_t n, const __u8 *addr,
					 __u8 family);

/*
 * A cause code's text: "firewall", or "REASON" (the kernel's reason
 * name) for a stack reset; its class into *cls when cls is not NULL.
 */
const char *cause_code_name(__u16 code, char *buf, size_t len, enum rst_class *cls);

#endif
