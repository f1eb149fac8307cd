// SPDX-License-Identifier: GPL-2.0
/*
 * JSON lines of RST events, written with the JSON writer into a caller's
 * buffer so that one event is one write(2)-able line; nothing from the
 * event is used as a format.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "json.h"
#include "jsonw.h"
#include "loader.h"
#include "rstreason.h"
#include "why.h"

int json_tcp_flags(char *buf, size_t len, __u8 flags)
{
	/* print-tcp.c's order and letters (ECE is E, CWR is W). */
	static const char letters[8] = { 'F', 'S', 'R', 'P', '.', 'U', 'E', 'W' };
	char s[9];
	size_t n = 0;
	int i;

	for (i = 0; i < 8; i++)
		if (flags & (1U << i))
			s[n++] = letters[i];
	s[n] = '\0';
	if (len <= (n ? n : 4))
		return -ENOSPC;
	strcpy(buf, n ? s : "none");
	return (int)(n ? n : 4);
}

static const char *family_name(__u8 family)
{
	switch (family) {
	case AF_INET:
		return "ipv4";
	case AF_INET6:
		return "ipv6";
	}
	return NULL;
}

/*
 * Who made an RST sent here: netfilter's reject (RST_EV_FIREWALL), the
 * stack (a reason, or its socket's own); NULL when the kernel did not say.
 */
static const char *origin_name(const struct rst_event *e)
{
	if (e->ev_flags & RST_EV_FIREWALL)
		return "firewall";
	if (e->dir == RST_DIR_OUT && (e->reason || (e->ev_flags & RST_EV_LOCAL)))
		return "stack";
	return NULL;
}

/* The keys of views/why.h, after "state"; null where not known (docs/json.md). */
static void json_why(struct json_writer *w, const struct rst_why *y)
{
	const struct rst_owner *o = y->have_owner ? &y->own : NULL;

	jw_str_field(w, "fate", y->fate);
	jw_str_field(w, "drop_reason", y->drop_reason);
	jw_str_field(w, "fate_state", rst_state_name(y->sk_state));
	jw_str_field(w, "injection_signal", y->signal);
	jw_str_field(w, "stage", y->have_stage ? y->st.stage : NULL);
	jw_str_field(w, "conn_state", y->have_stage ? y->st.conn : NULL);
	jw_key(w, "client_bytes");
	if (y->have_stage && y->st.known[0])
		jw_u64(w, y->st.bytes[0]);
	else
		jw_null(w);
	jw_key(w, "server_bytes");
	if (y->have_stage && y->st.known[1])
		jw_u64(w, y->st.bytes[1]);
	else
		jw_null(w);
	jw_str_field(w, "cgroup", o && o->have_sock ? o->cgroup : NULL);
	jw_key(w, "cgroup_id");
	if (o && o->have_sock)
		jw_u64(w, o->cgroup_id);
	else
		jw_null(w);
	jw_key(w, "uid");
	if (o && o->have_sock)
		jw_u64(w, o->uid);
	else
		jw_null(w);
	jw_key(w, "pid");
	if (o && o->have_task)
		jw_u64(w, o->pid);
	else
		jw_null(w);
	jw_str_field(w, "comm", o && o->have_task ? o->comm : NULL);
}

int json_event(char *buf, size_t len, const struct rst_event *e, const struct json_info *info)
{
	char ts[40], src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], flags[12];
	int af = e->family == AF_INET6 ? AF_INET6 : AF_INET;
	struct json_writer w;
	struct strbuf b;

	if (!buf || sb_init(&b, buf, len))
		return -ENOSPC;
	if (!info || !info->wall || json_rfc3339(ts, sizeof(ts), info->wall) < 0)
		return -EINVAL;
	if (!inet_ntop(af, e->saddr, src, sizeof(src)) ||
	    !inet_ntop(af, e->daddr, dst, sizeof(dst)))
		return -EINVAL;
	json_tcp_flags(flags, sizeof(flags), e->tcp_flags);

	jw_init_sb(&w, &b);
	jw_start_object(&w);
	jw_str_field(&w, "ts", ts);
	jw_str_field(&w, "iface", info->ifname);
	jw_u64_field(&w, "ifindex", e->ifindex);
	jw_str_field(&w, "dir", e->dir == RST_DIR_OUT ? "out" : "in");
	jw_str_field(&w, "hook", hook_name(e->hook));
	jw_str_field(&w, "family", family_name(e->family));
	jw_str_field(&w, "src", src);
	jw_u64_field(&w, "sport", e->sport);
	jw_str_field(&w, "dst", dst);
	jw_u64_field(&w, "dport", e->dport);
	jw_str_field(&w, "flags", flags);
	jw_u64_field(&w, "seq", e->seq);
	jw_u64_field(&w, "ack", e->ack);
	jw_u64_field(&w, "win", e->win);
	jw_u64_field(&w, "len", e->payload_len);
	jw_u64_field(&w, "ttl", e->ttl);
	jw_u64_field(&w, "ip_id", e->ip_id);
	jw_u64_field(&w, "pkt_len", e->pkt_len);
	jw_u64_field(&w, "snap_len", e->snap_len);
	jw_bool_field(&w, "vlan", e->ev_flags & RST_EV_VLAN);
	jw_str_field(&w, "class", info->class);
	jw_str_field(&w, "reason", info->reason);
	jw_str_field(&w, "state", info->state);
	/* Who made an RST sent here, where the kernel told (docs/reasons.md); else null. */
	jw_str_field(&w, "origin", origin_name(e));
	if (info->why)
		json_why(&w, info->why);
	jw_end_object(&w);
	sb_lit(&b, "\n");
	return sb_done(&b);
}
