// SPDX-License-Identifier: GPL-2.0
/*
 * The class table goes by reason *name*, as the running kernel's BTF
 * spells it (rstreason.c): enum sk_rst_reason is renumbered between
 * kernels, its names are what stays. A name the table does not know is
 * "unknown", never a guess.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "causes.h"
#include "rstreason.h"

const char *const rst_class_names[RC_MAX] = {
	[RC_REFUSED] = "refused",     [RC_FIREWALL] = "firewall",
	[RC_ABORT] = "abort",	      [RC_TIMEOUT] = "timeout",
	[RC_MEMORY] = "memory",	      [RC_PROTOCOL] = "protocol",
	[RC_AFTER_FIN] = "after_fin", [RC_INJECTION] = "injection_candidate",
	[RC_NO_FLOW] = "no_flow",     [RC_UNKNOWN] = "unknown",
};

const char *const rst_origin_names[RST_OR_MAX] = { "stack", "firewall", "other" };
const char *const rst_sk_err_names[RST_ERR_MAX] = { "econnreset", "econnrefused", "etimedout",
						    "epipe", "other" };
const char *const rst_kind_names[RST_CZK_MAX] = { "syn", "reply", "active" };

/*
 * One row per reason: its class when the RST answered a SYN, answered
 * another segment, or was the socket's own (active). docs/reasons.md
 * gives the why of each row.
 */
static const struct {
	const char *reason;
	__u8 cls[RST_CZK_MAX];
} class_table[] = {
	/* No socket: a SYN to a closed port is refused; anything else, a connection unknown here. */
	{ "no_socket", { RC_REFUSED, RC_NO_FLOW, RC_UNKNOWN } },
	{ "tcp_invalid_ack_sequence", { RC_PROTOCOL, RC_PROTOCOL, RC_PROTOCOL } },
	{ "tcp_rfc7323_paws", { RC_PROTOCOL, RC_PROTOCOL, RC_PROTOCOL } },
	{ "tcp_too_old_ack", { RC_PROTOCOL, RC_PROTOCOL, RC_PROTOCOL } },
	{ "tcp_ack_unsent_data", { RC_PROTOCOL, RC_PROTOCOL, RC_PROTOCOL } },
	{ "tcp_flags", { RC_PROTOCOL, RC_PROTOCOL, RC_PROTOCOL } },
	{ "tcp_old_ack", { RC_PROTOCOL, RC_PROTOCOL, RC_PROTOCOL } },
	{ "invalid_syn", { RC_PROTOCOL, RC_PROTOCOL, RC_PROTOCOL } },
	/* Data for a socket the application had closed for reading. */
	{ "tcp_abort_on_data", { RC_ABORT, RC_ABORT, RC_ABORT } },
	/* A TIME_WAIT socket answers: the connection had ended with FINs. */
	{ "tcp_timewait_socket", { RC_AFTER_FIN, RC_AFTER_FIN, RC_AFTER_FIN } },
	{ "tcp_abort_on_close", { RC_ABORT, RC_ABORT, RC_ABORT } },
	{ "tcp_abort_on_linger", { RC_ABORT, RC_ABORT, RC_ABORT } },
	{ "tcp_abort_on_memory", { RC_MEMORY, RC_MEMORY, RC_MEMORY } },
	/*
	 * A segment the socket's state does not accept, in a reply; in an
	 * active reset, the application's (SO_LINGER 0 through
	 * tcp_disconnect(), or a socket destroyed: ss -K).
	 */
	{ "tcp_state", { RC_PROTOCOL, RC_PROTOCOL, RC_ABORT } },
	{ "tcp_keepalive_timeout", { RC_TIMEOUT, RC_TIMEOUT, RC_TIMEOUT } },
	{ "tcp_disconnect_with_data", { RC_ABORT, RC_ABORT, RC_ABORT } },
	{ "mptcp_rst_eunspec", { RC_PROTOCOL, RC_PROTOCOL, RC_PROTOCOL } },
	{ "mptcp_rst_emptcp", { RC_PROTOCOL, RC_PROTOCOL, RC_PROTOCOL } },
	{ "mptcp_rst_eresource", { RC_MEMORY, RC_MEMORY, RC_MEMORY } },
	{ "mptcp_rst_eprohibit", { RC_PROTOCOL, RC_PROTOCOL, RC_PROTOCOL } },
	{ "mptcp_rst_ewq2big", { RC_MEMORY, RC_MEMORY, RC_MEMORY } },
	{ "mptcp_rst_ebadperf", { RC_PROTOCOL, RC_PROTOCOL, RC_PROTOCOL } },
	{ "mptcp_rst_emiddlebox", { RC_PROTOCOL, RC_PROTOCOL, RC_PROTOCOL } },
	/* not_specified, error and anything newer: unknown. */
};

enum rst_class cause_class(__u32 kind, const char *reason)
{
	size_t i;

	if (!reason || kind >= RST_CZK_MAX)
		return RC_UNKNOWN;
	for (i = 0; i < sizeof(class_table) / sizeof(class_table[0]); i++)
		if (!strcmp(class_table[i].reason, reason))
			return (enum rst_class)class_table[i].cls[kind];
	return RC_UNKNOWN;
}

enum rst_class cause_event_class(const struct rst_event *e)
{
	__u32 kind;

	if (e->ev_flags & RST_EV_FIREWALL)
		return RC_FIREWALL;
	if (e->dir != RST_DIR_OUT || !e->reason)
		return RC_MAX;
	if (e->ev_flags & RST_EV_LOCAL)
		kind = RST_CZK_ACTIVE;
	else
		kind = (e->tcp_flags & RST_TCP_ACK) && !e->seq ? RST_CZK_SYN : RST_CZK_REPLY;
	return cause_class(kind, rst_reason_name(e->reason));
}

const char *cause_reason_name(__u32 slot, char *buf, size_t len)
{
	if (slot >= RST_CZ_REASONS - 1) {
		snprintf(buf, len, "reason_other");
		return buf;
	}
	snprintf(buf, len, "%s", rst_reason_name((__u8)(slot + 1)));
	return buf;
}

int causes_read(int fd, struct rst_causes *out)
{
	int ncpu = libbpf_num_possible_cpus(), cpu;
	struct rst_causes *v;
	__u32 zero = 0;
	size_t i, n = sizeof(*out) / sizeof(__u64);

	memset(out, 0, sizeof(*out));
	if (fd < 0)
		return -ENOENT;
	if (ncpu < 1)
		return ncpu < 0 ? ncpu : -EINVAL;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &zero, v)) {
		int err = -errno;

		free(v);
		return err;
	}
	/* Every field is a __u64 count; a CPU's may be "negative" (moved to firewall): sums are exact. */
	for (cpu = 0; cpu < ncpu; cpu++)
		for (i = 0; i < n; i++)
			((__u64 *)out)[i] += ((const __u64 *)&v[cpu])[i];
	free(v);
	return 0;
}

__u64 causes_sent_total(const struct rst_causes *c)
{
	__u64 t = 0;
	int k, s, r;

	for (k = 0; k < RST_CZK_MAX; k++)
		for (s = 0; s < RST_CZ_STATES; s++)
			for (r = 0; r < RST_CZ_REASONS; r++)
				t += c->sent[k][s][r];
	return t;
}

void causes_by_class(const struct rst_causes *c, __u64 out[RC_MAX])
{
	char nm[64];
	int k, s, r;

	memset(out, 0, sizeof(__u64) * RC_MAX);
	for (r = 0; r < RST_CZ_REASONS; r++) {
		for (k = 0; k < RST_CZK_MAX; k++) {
			__u64 n = 0;

			for (s = 0; s < RST_CZ_STATES; s++)
				n += c->sent[k][s][r];
			if (n)
				out[cause_class(k, r < RST_CZ_REASONS - 1
							   ? cause_reason_name(r, nm, sizeof(nm))
							   : NULL)] += n;
		}
	}
	out[RC_FIREWALL] += c->out[RST_OR_FIREWALL];
}

const char *cause_code_name(__u16 code, char *buf, size_t len, enum rst_class *cls)
{
	__u32 v, kind, reason;

	if (code == RST_CH_FIREWALL) {
		if (cls)
			*cls = RC_FIREWALL;
		snprintf(buf, len, "firewall");
		return buf;
	}
	v = (__u32)code - 1;
	kind = v >> 9;
	reason = v & (RST_CZ_REASONS - 1);
	cause_reason_name(reason, buf, len);
	if (cls)
		*cls = cause_class(kind, reason < RST_CZ_REASONS - 1 ? buf : NULL);
	return buf;
}

const struct cause_host *cause_host_find(const struct cause_host *hosts, size_t n, const __u8 *addr,
					 __u8 family)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (hosts[i].family == family && !memcmp(hosts[i].addr, addr, 16))
			return &hosts[i];
	return NULL;
}

/* Add one CPU's line into the merged host h. */
static void host_merge(struct cause_host *h, const struct rst_cause_host_line *l)
{
	int j, k;

	for (j = 0; j < RST_CH_SLOTS; j++) {
		if (!l->code[j])
			continue;
		h->resets += l->n[j];
		for (k = 0; k < h->n_codes && h->code[k] != l->code[j]; k++)
			;
		if (k == h->n_codes) {
			if (k == CAUSE_HOST_CODES) {
				h->other += l->n[j];
				continue;
			}
			h->code[k] = l->code[j];
			h->n_codes++;
		}
		h->n[k] += l->n[j];
	}
	h->other += l->other;
	h->resets += l->other;
	for (j = 0; j < RST_ERR_MAX; j++)
		h->err[j] += l->err[j];
}

/* Largest count first, so that code[0] is the host's top cause. */
static void host_sort(struct cause_host *h)
{
	int i, j;

	for (i = 1; i < h->n_codes; i++) {
		for (j = i; j > 0 && h->n[j] > h->n[j - 1]; j--) {
			__u64 n = h->n[j];
			__u16 c = h->code[j];

			h->n[j] = h->n[j - 1];
			h->code[j] = h->code[j - 1];
			h->n[j - 1] = n;
			h->code[j - 1] = c;
		}
	}
}

int cause_hosts_read(int fd, struct cause_host **out, size_t *n)
{
	int ncpu = libbpf_num_possible_cpus(), cpu, w, err = 0;
	struct rst_cause_host_set *v = NULL;
	struct cause_host *hosts = NULL, *h;
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi), key;
	size_t cnt = 0, cap = 0;

	*out = NULL;
	*n = 0;
	if (fd < 0)
		return -ENOENT;
	if (ncpu < 1)
		return ncpu < 0 ? ncpu : -EINVAL;
	if (bpf_obj_get_info_by_fd(fd, &mi, &len))
		return -errno;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	/* Bounded by the map's sets; a host's lines are in one set on every CPU. */
	for (key = 0; key < mi.max_entries && !err; key++) {
		size_t first = cnt;

		if (bpf_map_lookup_elem(fd, &key, v)) {
			err = -errno;
			break;
		}
		for (cpu = 0; cpu < ncpu && !err; cpu++) {
			for (w = 0; w < RST_CAUSE_HOST_WAYS; w++) {
				const struct rst_cause_host_line *l = &v[cpu].way[w];
				size_t i;

				if (!l->family)
					continue;
				h = NULL;
				for (i = first; i < cnt && !h; i++)
					if (hosts[i].family == l->family &&
					    !memcmp(hosts[i].addr, l->addr, 16))
						h = &hosts[i];
				if (!h) {
					if (cnt == cap) {
						size_t nc = cap ? cap * 2 : 64;
						void *p = realloc(hosts, nc * sizeof(*hosts));

						if (!p) {
							err = -ENOMEM;
							break;
						}
						hosts = p;
						cap = nc;
					}
					h = &hosts[cnt++];
					memset(h, 0, sizeof(*h));
					memcpy(h->addr, l->addr, 16);
					h->family = l->family;
				}
				host_merge(h, l);
			}
		}
	}
	free(v);
	if (err) {
		free(hosts);
		return err;
	}
	for (size_t i = 0; i < cnt; i++)
		host_sort(&hosts[i]);
	*out = hosts;
	*n = cnt;
	return 0;
}
