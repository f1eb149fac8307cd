// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus exporter. Scrapes are answered by libmicrohttpd's own threads
 * from a rendered snapshot; a scrape that finds the snapshot older than the
 * refresh interval rebuilds it under the server mutex, so concurrent
 * scrapes cost one map walk per interval and the caller's thread (watch's
 * ring buffer loop) never takes part. Every limit that bounds memory is
 * here: connections, per-connection memory, idle timeout, series counts,
 * and the admission that keeps a scrape answered under a connection flood
 * (request deadlines and eviction, see metrics.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <microhttpd.h>

#include "bpfcompat.h"
#include "iface.h"
#include "log.h"
#include "mapread.h"
#include "causes.h"
#include "metrics.h"
#include "topn.h"
#include "strbuf.h"
#include "util.h"

#ifndef RST_VERSION
#define RST_VERSION "unknown"
#endif

/*
 * HTTP limits: 100 concurrent scrapes fit; a slow client holds a slot only
 * until its deadline, or until a newcomer evicts it (metrics.h). The idle
 * timeout stays as a second bound; the deadlines are what a trickle cannot
 * reset.
 */
#define HTTP_CONN_MEMORY  (16 * 1024) /* request line + headers per connection */
#define HTTP_CONN_TIMEOUT 10	      /* seconds a connection may sit idle */
#define HTTP_THREADS	  2
#define HTTP_BACKLOG	  128

/* Entries fetched per batch lookup; key and value buffers hold this many. */
#define WALK_CHUNK   1024
#define WALK_ELEMMAX 64
/* (ifindex, dir) sums counters_read may return; more fold into "other". */
#define PER_MAX 1024

/*
 * tcx (kernel 6.6) postdates the 6.1 UAPI headers we build with: its
 * numbers are bpfcompat.h's; its link info, which kernels fill in the
 * union right after prog_id, where xdp.ifindex also sits, is here.
 */
struct tcx_link_info {
	__u32 ifindex;
	__u32 attach_type;
};
_Static_assert(offsetof(struct bpf_link_info, xdp) == 16, "bpf_link_info union offset");

static const char *const dir_names[2] = { "in", "out" };

/* ---- output text: a growing strbuf ---- */

void metrics_label(struct strbuf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c;

	/*
	 * The text format knows only \\, \" and \n in label values and wants
	 * UTF-8; interface names are arbitrary bytes, so anything else outside
	 * printable ASCII becomes the visible text \xNN.
	 */
	for (; *s; s++) {
		c = (unsigned char)*s;
		if (sb_grow(b, 5))
			return;
		if (c == '\\' || c == '"') {
			b->p[b->len++] = '\\';
			b->p[b->len++] = (char)c;
		} else if (c == '\n') {
			b->p[b->len++] = '\\';
			b->p[b->len++] = 'n';
		} else if (c < 0x20 || c >= 0x7f) {
			b->p[b->len++] = '\\';
			b->p[b->len++] = '\\';
			b->p[b->len++] = 'x';
			b->p[b->len++] = hex[c >> 4];
			b->p[b->len++] = hex[c & 15];
		} else {
			b->p[b->len++] = (char)c;
		}
	}
	if (b->p)
		b->p[b->len] = '\0';
}

/* ---- listen address ---- */

void metrics_opts_default(struct metrics_opts *o)
{
	o->top_n = METRICS_TOP_DEFAULT;
	o->refresh_ms = METRICS_REFRESH_MS_DEFAULT;
	o->opt = "--listen";
	o->list_attach = NULL;
	o->list_ctx = NULL;
	o->cgroups_fd = -1;
	o->fate_ifs_fd = -1;
	o->consumer = NULL;
}

static int listen_err(const char *opt, const char *s, const char *why)
{
	pr_warn("invalid %s '%s': %s", opt, s, why);
	return -EINVAL;
}

int metrics_parse_listen(const char *opt, const char *s, struct sockaddr_storage *ss,
			 socklen_t *len)
{
	struct sockaddr_storage tmp;
	char def[32];
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&tmp;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&tmp;
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2], *zone;
	const char *start, *port, *end;
	size_t hlen, i;
	unsigned long p = 0;
	int v6;

	if (!opt)
		opt = "--listen";
	if (!s) {
		snprintf(def, sizeof(def), "%s:%d", METRICS_ADDR_DEFAULT, METRICS_PORT_DEFAULT);
		s = def;
	}
	if (!*s)
		return listen_err(opt, s, "expected ADDR:PORT, e.g. 127.0.0.1:10281");
	v6 = s[0] == '[';
	if (v6) {
		end = strchr(s, ']');
		if (!end)
			return listen_err(opt, s, "missing ']' after the IPv6 address");
		if (end[1] != ':')
			return listen_err(opt, s, "expected [ADDR]:PORT");
		start = s + 1;
		hlen = end - start;
		port = end + 2;
	} else {
		end = strrchr(s, ':');
		if (!end)
			return listen_err(opt, s, "expected ADDR:PORT, e.g. 127.0.0.1:10281");
		if (strchr(s, ':') != end)
			return listen_err(opt, s, "an IPv6 address goes in brackets: [ADDR]:PORT");
		start = s;
		hlen = end - start;
		port = end + 1;
	}
	if (!hlen)
		return listen_err(opt, s, "missing address (127.0.0.1 for loopback only)");
	if (hlen >= sizeof(host))
		return listen_err(opt, s, "address too long");
	memcpy(host, start, hlen);
	host[hlen] = '\0';

	/* The port: 1 to 5 digits, nothing else, 1..65535. */
	if (!*port)
		return listen_err(opt, s, "missing port after ':'");
	for (i = 0; port[i]; i++) {
		if (port[i] < '0' || port[i] > '9' || i >= 5)
			return listen_err(opt, s, "port is not a number in 1..65535");
		p = p * 10 + (port[i] - '0');
	}
	if (!i || p < 1 || p > 65535)
		return listen_err(opt, s, "port is not a number in 1..65535");

	memset(&tmp, 0, sizeof(tmp));
	if (v6) {
		zone = strchr(host, '%');
		if (zone) {
			*zone++ = '\0';
			s6->sin6_scope_id = if_nametoindex(zone);
			if (!s6->sin6_scope_id)
				return listen_err(opt, s, "unknown interface in the zone index");
		}
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return listen_err(opt, s, "not a numeric IPv6 address");
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((__u16)p);
	} else {
		/* Numeric only: a name could resolve to something not meant. */
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return listen_err(opt, s, "not a numeric IPv4 address (e.g. 127.0.0.1)");
		s4->sin_family = AF_INET;
		s4->sin_port = htons((__u16)p);
	}
	if (ss)
		*ss = tmp;
	if (len)
		*len = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	return 0;
}

static int addr_is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

	if (ss->ss_family == AF_INET)
		return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
		return 1;
	return IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) && s6->sin6_addr.s6_addr[12] == 127;
}

static void addr_format(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
	char a[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s4->sin_port));
	} else {
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s6->sin6_port));
	}
}

/* ---- top-N hosts ---- */

static __u64 host_rsts(const struct metrics_host *h)
{
	return h->rst[0] + h->rst[1];
}

/* >0 when a ranks above b: more RSTs, then the smaller address (stable output). */
static int rank_cmp(const struct metrics_host *a, const struct metrics_host *b)
{
	__u64 ta = host_rsts(a), tb = host_rsts(b);
	int c;

	if (ta != tb)
		return ta > tb ? 1 : -1;
	if (a->family != b->family)
		return a->family < b->family ? 1 : -1;
	c = memcmp(a->addr, b->addr, sizeof(a->addr));
	return c < 0 ? 1 : c > 0 ? -1 : 0;
}

int metrics_top_init(struct metrics_snapshot *s, size_t cap)
{
	s->n_top = 0;
	s->top_cap = cap;
	s->other_rst[0] = s->other_rst[1] = 0;
	s->top = NULL;
	if (!cap)
		return 0;
	s->top = calloc(cap, sizeof(*s->top));
	return s->top ? 0 : -ENOMEM;
}

void metrics_top_free(struct metrics_snapshot *s)
{
	free(s->top);
	s->top = NULL;
	s->top_cap = s->n_top = 0;
}

/* The topn order: the higher ranked first. */
static int rank_desc(const void *a, const void *b)
{
	return rank_cmp(b, a);
}

/* The best top_cap hosts, kept in s->top by the one top-N selection (views/topn.h). */
void metrics_top_add(struct metrics_snapshot *s, const struct metrics_host *h)
{
	struct topn t;

	if (!host_rsts(h) || !s->top_cap)
		return;
	topn_init_over(&t, s->top, s->n_top, s->top_cap, sizeof(*s->top), rank_desc);
	topn_add(&t, h);
	s->n_top = t.n;
}

void metrics_top_finish(struct metrics_snapshot *s)
{
	__u64 total[2] = { 0, 0 }, top[2] = { 0, 0 };
	size_t i;
	int d;

	if (s->n_top) {
		struct topn t;

		topn_init_over(&t, s->top, s->n_top, s->top_cap, sizeof(*s->top), rank_desc);
		topn_sort(&t);
	}
	for (i = 0; i < s->n_ifs; i++)
		total[s->ifs[i].dir & 1] += totals_rsts(&s->ifs[i].t);
	for (i = 0; i < s->n_top; i++)
		for (d = 0; d < 2; d++)
			top[d] += s->top[i].rst[d];
	/*
	 * "other" is every RST the kernel counted that no top host carries:
	 * hosts below the top, hosts evicted from the LRU map, failed host
	 * updates. The host map is read before the counters, so the counters
	 * are never behind it; clamp anyway rather than wrap.
	 */
	for (d = 0; d < 2; d++)
		s->other_rst[d] = total[d] > top[d] ? total[d] - top[d] : 0;
}

/* ---- interface rows ---- */

static void totals_add(struct rst_totals *dst, const struct rst_totals *src)
{
	int i;

	for (i = 0; i < RST_C_MAX; i++)
		dst->c[i] += src->c[i];
	for (i = 0; i < RST_M_MAX; i++)
		dst->malformed[i] += src->malformed[i];
}

static struct metrics_iface *iface_row(struct metrics_snapshot *s, const char *name, __u8 dir,
				       size_t limit)
{
	struct metrics_iface *r;
	size_t i;

	for (i = 0; i < s->n_ifs; i++)
		if (s->ifs[i].dir == dir && !strcmp(s->ifs[i].name, name))
			return &s->ifs[i];
	if (s->n_ifs >= limit)
		return NULL;
	r = &s->ifs[s->n_ifs++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->dir = dir;
	return r;
}

static int iface_cmp(const void *pa, const void *pb)
{
	const struct metrics_iface *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);

	return c ? c : (int)a->dir - (int)b->dir;
}

void metrics_set_ifaces(struct metrics_snapshot *s, const struct rst_if_totals *per, size_t n,
			const char *(*name_of)(__u32 ifindex, char *buf))
{
	char buf[IF_NAMESIZE + 8];
	struct rst_totals sum = {}, rest;
	struct metrics_iface *r;
	const char *name;
	size_t i;
	int k, any = 0;

	s->n_ifs = 0;
	for (i = 0; i < n; i++) {
		name = per[i].ifindex ? name_of(per[i].ifindex, buf) : "other";
		/* Two rows stay free for "other", so a slot row always lands. */
		r = iface_row(s, name, per[i].dir & 1, METRICS_IFACES_MAX - 2);
		if (!r)
			r = iface_row(s, "other", per[i].dir & 1, METRICS_IFACES_MAX);
		totals_add(&r->t, &per[i].t);
		totals_add(&sum, &per[i].t);
	}
	/*
	 * What counters_read had no room for: its direction is lost with it.
	 * XXX: booked as "in"; needs more than PER_MAX (ifindex, dir) owners.
	 */
	memset(&rest, 0, sizeof(rest));
	for (k = 0; k < RST_C_MAX; k++) {
		if (s->total.c[k] > sum.c[k]) {
			rest.c[k] = s->total.c[k] - sum.c[k];
			any = 1;
		}
	}
	for (k = 0; k < RST_M_MAX; k++) {
		if (s->total.malformed[k] > sum.malformed[k]) {
			rest.malformed[k] = s->total.malformed[k] - sum.malformed[k];
			any = 1;
		}
	}
	if (any)
		totals_add(&iface_row(s, "other", RST_DIR_IN, METRICS_IFACES_MAX)->t, &rest);
	qsort(s->ifs, s->n_ifs, sizeof(s->ifs[0]), iface_cmp);
}

/* ---- rendering ---- */

static void family(struct strbuf *b, const char *name, const char *type, const char *help)
{
	sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * Label names, as node_exporter spells them, so that rsttrace's series join
 * node_network_*{device} on (instance, device). Every per-interface family
 * goes through iface_sample(), so a family added later gets them too.
 */
#define L_DEVICE    "device"
#define L_DIRECTION "direction"

static void iface_sample(struct strbuf *b, const char *name, const struct metrics_iface *r,
			 const char *extra, __u64 v)
{
	sb_printf(b, "%s{" L_DEVICE "=\"", name);
	metrics_label(b, r->name);
	sb_printf(b, "\"," L_DIRECTION "=\"%s\"%s} %llu\n", dir_names[r->dir & 1],
		  extra ? extra : "", (unsigned long long)v);
}

/*
 * The per-interface series, one row per (family, extra labels): a row with
 * a help text opens a family, the rows after it without one add series to
 * it. One kernel counter per row; the docs' migration table (docs/metrics.md)
 * maps the names before 0.3 onto these rows.
 */
static const struct if_series {
	const char *name;
	const char *help; /* NULL: another series of the family above */
	const char *extra;
	int c;
} if_series[] = {
	{ "rsttrace_packets_total", "Packets the rsttrace programs saw, by device and direction.",
	  NULL, RST_C_PACKETS },
	{ "rsttrace_tcp_packets_total",
	  "TCP packets with valid headers, by device, direction and IP family.", ",family=\"ipv4\"",
	  RST_C_TCP4 },
	{ "rsttrace_tcp_packets_total", NULL, ",family=\"ipv6\"", RST_C_TCP6 },
	{ "rsttrace_tcp_syns_total",
	  "TCP packets with SYN: flag=\"syn\" without ACK, flag=\"synack\" with ACK.",
	  ",flag=\"syn\"", RST_C_SYN },
	{ "rsttrace_tcp_syns_total", NULL, ",flag=\"synack\"", RST_C_SYNACK },
	{ "rsttrace_tcp_fins_total", "TCP packets with FIN (any other flags).", NULL, RST_C_FIN },
	{ "rsttrace_tcp_resets_total",
	  "TCP packets with RST: flag=\"rst\" without ACK, flag=\"rstack\" with ACK.",
	  ",flag=\"rst\"", RST_C_RST },
	{ "rsttrace_tcp_resets_total", NULL, ",flag=\"rstack\"", RST_C_RSTACK },
	{ "rsttrace_ip_fragments_total", "Non-first IP fragments (passed without parsing).", NULL,
	  RST_C_FRAGMENT },
};

/* The family that opens at row f, all interfaces: rows f.. until the next help. */
static size_t if_family_render(const struct metrics_snapshot *s, struct strbuf *b, size_t f)
{
	size_t i, g, end;

	for (end = f + 1; end < ARRAY_SIZE(if_series) && !if_series[end].help; end++)
		;
	family(b, if_series[f].name, "counter", if_series[f].help);
	for (i = 0; i < s->n_ifs; i++)
		for (g = f; g < end; g++)
			iface_sample(b, if_series[g].name, &s->ifs[i], if_series[g].extra,
				     s->ifs[i].t.c[if_series[g].c]);
	return end;
}

static const struct {
	const char *result;
	int c;
} ev_results[] = {
	{ "delivered", RST_C_EV_SENT },	      { "sampled_out", RST_C_EV_SAMPLED },
	{ "rate_limited", RST_C_EV_RATELIM }, { "ring_full", RST_C_EV_RINGFULL },
	{ "filtered", RST_C_EV_FILTERED },
};

static void host_label(char *buf, size_t len, const struct metrics_host *h)
{
	if (!inet_ntop(h->family == AF_INET6 ? AF_INET6 : AF_INET, h->addr, buf, len))
		snprintf(buf, len, "invalid");
}

/*
 * The counted causes (docs/reasons.md). Every label is bounded: reason by
 * the kernel's enum (RST_CZ_REASONS slots) and kind (3), class (10),
 * origin (3), errno (5). Reasons appear once counted.
 */
static void render_causes(struct strbuf *b, const struct rst_causes *c)
{
	__u64 cls[RC_MAX];
	char nm[64];
	int i, k, st;

	family(b, "rsttrace_resets_sent_total", "counter",
	       "RSTs the TCP stack of this network namespace sent, by kernel reason, how it came "
	       "to send it (syn, reply, active) and the class of that.");
	for (i = 0; i < RST_CZ_REASONS; i++) {
		for (k = 0; k < RST_CZK_MAX; k++) {
			__u64 n = 0;

			for (st = 0; st < RST_CZ_STATES; st++)
				n += c->sent[k][st][i];
			if (!n)
				continue;
			cause_reason_name(i, nm, sizeof(nm));
			sb_printf(b, "rsttrace_resets_sent_total{reason=\"");
			metrics_label(b, nm);
			sb_printf(
				b, "\",kind=\"%s\",class=\"%s\"} %llu\n", rst_kind_names[k],
				rst_class_names[cause_class(k, i < RST_CZ_REASONS - 1 ? nm : NULL)],
				(unsigned long long)n);
		}
	}
	causes_by_class(c, cls);
	family(b, "rsttrace_resets_by_class_total", "counter",
	       "RSTs sent here by class: the stack's by its reason, firewall from netfilter's "
	       "rejects leaving a traced interface.");
	for (i = 0; i < RC_MAX; i++)
		sb_printf(b, "rsttrace_resets_by_class_total{class=\"%s\"} %llu\n",
			  rst_class_names[i], (unsigned long long)cls[i]);
	family(b, "rsttrace_egress_resets_total", "counter",
	       "RSTs leaving a traced TC egress hook, by who made them.");
	for (i = 0; i < RST_OR_MAX; i++)
		sb_printf(b, "rsttrace_egress_resets_total{origin=\"%s\"} %llu\n",
			  rst_origin_names[i], (unsigned long long)c->out[i]);
	family(b, "rsttrace_socket_errors_total", "counter",
	       "Errors reported to TCP sockets of this network namespace, by errno.");
	for (i = 0; i < RST_ERR_MAX; i++)
		sb_printf(b, "rsttrace_socket_errors_total{errno=\"%s\"} %llu\n",
			  rst_sk_err_names[i], (unsigned long long)c->sk_err[i]);
}

int metrics_render(const struct metrics_snapshot *s, struct strbuf *b)
{
	char host[INET6_ADDRSTRLEN];
	size_t i, f;
	int k, d;

	for (f = 0; f < ARRAY_SIZE(if_series);)
		f = if_family_render(s, b, f);

	family(b, "rsttrace_malformed_packets_total", "counter",
	       "Packets with truncated or invalid headers (counted and passed), by reason.");
	for (k = 0; k < RST_M_MAX; k++)
		sb_printf(b, "rsttrace_malformed_packets_total{reason=\"%s\"} %llu\n",
			  rst_malformed_names[k], (unsigned long long)s->total.malformed[k]);

	family(b, "rsttrace_events_total", "counter",
	       "RSTs by what became of their event: delivered to the ring buffer, or why not.");
	for (i = 0; i < ARRAY_SIZE(ev_results); i++)
		sb_printf(b, "rsttrace_events_total{result=\"%s\"} %llu\n", ev_results[i].result,
			  (unsigned long long)s->total.c[ev_results[i].c]);
	/* SYN, SYN-ACK and FIN as events (watch --events): all not_asked by default. */
	family(b, "rsttrace_control_events_total", "counter",
	       "SYN, SYN-ACK and FIN packets by kind and what became of their event.");
	for (i = 0; i < RST_CK_MAX; i++)
		for (k = 0; k < RST_CE_MAX; k++)
			sb_printf(b,
				  "rsttrace_control_events_total{kind=\"%s\",result=\"%s\"} %llu\n",
				  rst_ctl_kind_names[i], rst_ctl_cause_names[k],
				  (unsigned long long)s->total.ctl_ev[i][k]);

	family(b, "rsttrace_map_update_errors_total", "counter",
	       "Failed flow or host map insertions (the packet is still counted).");
	sb_printf(b, "rsttrace_map_update_errors_total{map=\"flows\"} %llu\n",
		  (unsigned long long)s->total.c[RST_C_FLOW_ERR]);
	sb_printf(b, "rsttrace_map_update_errors_total{map=\"hosts\"} %llu\n",
		  (unsigned long long)s->total.c[RST_C_HOST_ERR]);

	/* The other half of the accounting identities (docs/architecture.md). */
	family(b, "rsttrace_hosts_evicted_total", "counter",
	       "Host counts moved out of the host table with the lines they were in.");
	for (i = 0; i < 2; i++)
		for (k = 0; k < RST_HF_MAX; k++)
			sb_printf(b,
				  "rsttrace_hosts_evicted_total{" L_DIRECTION
				  "=\"%s\",flag=\"%s\"} %llu\n",
				  dir_names[i & 1], rst_host_flag_names[k],
				  (unsigned long long)s->total.host_lost[i][k]);
	family(b, "rsttrace_flows_untracked_total", "counter",
	       "SYN, SYN-ACK, FIN, RST and RST-ACK flags not in the flow table, by cause.");
	for (i = 0; i < RST_FL_MAX; i++)
		for (k = 0; k < RST_FF_MAX; k++)
			sb_printf(b,
				  "rsttrace_flows_untracked_total{cause=\"%s\",flag=\"%s\"} %llu\n",
				  rst_flow_cause_names[i], rst_flow_flag_names[k],
				  (unsigned long long)s->total.flow_lost[i][k]);

	if (s->flows_ok) {
		family(b, "rsttrace_flows_entries", "gauge", "Distinct flows in the flow table.");
		sb_printf(b, "rsttrace_flows_entries %llu\n", (unsigned long long)s->flows);
		family(b, "rsttrace_flows_entries_limit", "gauge", "Flow lines of all CPUs.");
		sb_printf(b, "rsttrace_flows_entries_limit %llu\n",
			  (unsigned long long)s->flows_max);
	}
	if (s->hosts_ok) {
		family(b, "rsttrace_hosts_entries", "gauge", "Distinct hosts in the host table.");
		sb_printf(b, "rsttrace_hosts_entries %llu\n", (unsigned long long)s->hosts);
		family(b, "rsttrace_hosts_entries_limit", "gauge", "Host lines of all CPUs.");
		sb_printf(b, "rsttrace_hosts_entries_limit %llu\n",
			  (unsigned long long)s->hosts_max);
	}

	family(b, "rsttrace_host_resets_total", "counter",
	       "RST and RST-ACK packets by peer host and direction, for the top hosts by RSTs; "
	       "host=\"other\" carries every other RST, so sums by direction equal "
	       "rsttrace_tcp_resets_total.");
	for (i = 0; i < s->n_top; i++) {
		host_label(host, sizeof(host), &s->top[i]);
		for (d = 0; d < 2; d++)
			sb_printf(b,
				  "rsttrace_host_resets_total{host=\"%s\"," L_DIRECTION
				  "=\"%s\"} %llu\n",
				  host, dir_names[d], (unsigned long long)s->top[i].rst[d]);
	}
	for (d = 0; d < 2; d++)
		sb_printf(b,
			  "rsttrace_host_resets_total{host=\"other\"," L_DIRECTION
			  "=\"%s\"} %llu\n",
			  dir_names[d], (unsigned long long)s->other_rst[d]);

	if (s->att_ok) {
		family(b, "rsttrace_attached_info", "gauge",
		       "Programs of this datapath attached to an interface, with hook and mode.");
		for (i = 0; i < s->n_att; i++) {
			sb_printf(b, "rsttrace_attached_info{" L_DEVICE "=\"");
			metrics_label(b, s->att[i].iface);
			sb_printf(b, "\",hook=\"%s\",mode=\"%s\"} 1\n", s->att[i].hook,
				  s->att[i].mode);
		}
	}

	family(b, "rsttrace_snapshot_duration_seconds", "gauge",
	       "Time taken to read the maps for the snapshot this scrape got.");
	sb_printf(b, "rsttrace_snapshot_duration_seconds %.6f\n", s->build_seconds);
	family(b, "rsttrace_snapshot_timestamp_seconds", "gauge",
	       "Wall-clock time the snapshot this scrape got was taken.");
	sb_printf(b, "rsttrace_snapshot_timestamp_seconds %.3f\n", s->timestamp);

	if (s->http_ok) {
		family(b, "rsttrace_http_connections", "gauge",
		       "Open connections to this metrics endpoint (not counting those being "
		       "closed).");
		sb_printf(b, "rsttrace_http_connections %llu\n", (unsigned long long)s->http_open);
		family(b, "rsttrace_http_connections_closed_total", "counter",
		       "Connections the exporter closed itself: request or response past its "
		       "deadline, or evicted to make room for a new connection.");
		sb_printf(b, "rsttrace_http_connections_closed_total{reason=\"deadline\"} %llu\n",
			  (unsigned long long)s->http_closed_deadline);
		sb_printf(b, "rsttrace_http_connections_closed_total{reason=\"evicted\"} %llu\n",
			  (unsigned long long)s->http_closed_evicted);
	}

	if (s->causes_ok)
		render_causes(b, &s->causes);
	metrics_cgroups_render(&s->cg, b);
	metrics_fates_render(&s->fates, b);
	metrics_consumer_render(&s->cons, b);

	family(b, "rsttrace_build_info", "gauge", "rsttrace version and datapath ABI; always 1.");
	sb_printf(b, "rsttrace_build_info{version=\"");
	metrics_label(b, RST_VERSION);
	sb_printf(b, "\",abi=\"%d\"} 1\n", RST_ABI_VERSION);
	return b->err;
}

/* ---- connection admission: pure parts ---- */

__u64 metrics_conn_deadline(const struct metrics_conn *c)
{
	switch (c->state) {
	case METRICS_CONN_REQUEST:
		return c->since_ns + METRICS_REQUEST_DEADLINE_MS * 1000000ULL;
	case METRICS_CONN_RESPONSE:
		return c->since_ns + METRICS_RESPONSE_DEADLINE_MS * 1000000ULL;
	default:
		return 0;
	}
}

static int conn_open(const struct metrics_conn *c)
{
	return c->state == METRICS_CONN_REQUEST || c->state == METRICS_CONN_RESPONSE;
}

struct conn_key {
	__u8 family;
	__u8 addr[16];
	__u16 row;
};

static int conn_key_cmp(const void *pa, const void *pb)
{
	const struct conn_key *a = pa, *b = pb;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->addr, b->addr, sizeof(a->addr));
}

/* Is a (with same_a open rows at its address) a better victim than b? */
static int victim_before(const struct metrics_conn *a, size_t same_a, const struct metrics_conn *b,
			 size_t same_b)
{
	if (same_a != same_b)
		return same_a > same_b;
	if (a->state != b->state)
		return a->state == METRICS_CONN_REQUEST;
	return a->since_ns < b->since_ns;
}

int metrics_conn_victim(const struct metrics_conn *t, size_t n, size_t skip)
{
	struct conn_key k[METRICS_CONN_MAX];
	__u16 same[METRICS_CONN_MAX]; /* per key: open rows of its address */
	size_t i, j, g, m = 0, best_same = 0;
	int best = -1;

	if (n > METRICS_CONN_MAX)
		n = METRICS_CONN_MAX;
	/*
	 * Sorting groups the rows by address in O(n log n): this runs for each
	 * newcomer while the table is full, i.e. all through a flood.
	 */
	for (i = 0; i < n; i++) {
		if (!conn_open(&t[i]))
			continue;
		k[m].family = t[i].family;
		memcpy(k[m].addr, t[i].addr, sizeof(k[m].addr));
		k[m].row = i;
		m++;
	}
	qsort(k, m, sizeof(k[0]), conn_key_cmp);
	for (i = 0; i < m; i = j) {
		for (j = i + 1; j < m && !conn_key_cmp(&k[i], &k[j]); j++)
			;
		for (g = i; g < j; g++)
			same[g] = j - i;
	}
	for (i = 0; i < m; i++) {
		if (k[i].row == skip)
			continue;
		/* Ties in every respect go to the lower row: deterministic. */
		if (best < 0 || victim_before(&t[k[i].row], same[i], &t[best], best_same) ||
		    (!victim_before(&t[best], best_same, &t[k[i].row], same[i]) &&
		     k[i].row < (size_t)best)) {
			best = k[i].row;
			best_same = same[i];
		}
	}
	return best;
}

/* ---- reading the maps ---- */

struct metrics_server {
	struct MHD_Daemon *d;
	struct rst_maps maps;
	struct metrics_opts o;
	pthread_mutex_t lock;
	/* Everything below is guarded by lock. */
	struct metrics_snapshot *snap;
	struct rst_if_totals *per;
	void *kbuf, *vbuf;
	struct map_dump hdump; /* the host table, merged, a batch at a time */
	__u32 counters_id;
	struct strbuf text;
	int text_err; /* -errno of the last build, 0 when text is good */
	__u64 built_ns;
	int built;
	/*
	 * Connection admission, guarded by conn_lock. Lock order: lock, then
	 * conn_lock (a build copies the counters); conn_lock is never held
	 * while taking lock, so accepting never waits for a map walk.
	 */
	pthread_mutex_t conn_lock;
	pthread_cond_t conn_cond; /* CLOCK_MONOTONIC; wakes the reaper */
	pthread_t reaper;
	int reaper_started, reaper_stop, warned_full;
	__u64 reaper_wake_ns; /* when the reaper wakes next; UINT64_MAX: when signalled */
	struct metrics_conn conns[METRICS_CONN_MAX];
	size_t n_open; /* rows REQUEST or RESPONSE */
	__u64 closed_deadline, closed_evicted;
};

struct map_meta {
	__u32 id, key_size, value_size, max_entries;
};

static int map_meta(int fd, struct map_meta *mm)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (fd < 0)
		return -EBADF;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	mm->id = info.id;
	mm->key_size = info.key_size;
	mm->value_size = info.value_size;
	mm->max_entries = info.max_entries;
	return 0;
}

/* A batch of the merged host table: each host offered to the top list. */
static int host_batch(void *ctx, const struct map_dump *d)
{
	struct metrics_snapshot *s = ctx;
	struct metrics_host h;
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct rst_host_key *k = map_dump_key(d, i);
		const struct rst_host_val *v = map_dump_val(d, i);

		memcpy(h.addr, k->addr, sizeof(h.addr));
		h.family = k->family;
		h.rst[RST_DIR_IN] = v->rst_in;
		h.rst[RST_DIR_OUT] = v->rst_out;
		metrics_top_add(s, &h);
	}
	s->hosts += d->n;
	return 0;
}

static int prog_uses_map(__u32 prog_id, __u32 map_id)
{
	struct bpf_prog_info pi = {};
	__u32 len = sizeof(pi), ids[64], i;
	int fd, err;

	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return 0;
	pi.nr_map_ids = ARRAY_SIZE(ids);
	pi.map_ids = (__u64)(unsigned long)ids;
	err = bpf_obj_get_info_by_fd(fd, &pi, &len);
	close(fd);
	if (err)
		return 0;
	for (i = 0; i < pi.nr_map_ids && i < ARRAY_SIZE(ids); i++)
		if (ids[i] == map_id)
			return 1;
	return 0;
}

static const char *xdp_mode_of(__u32 ifindex, __u32 prog_id)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q))
		return "unknown";
	if (q.drv_prog_id == prog_id)
		return "native";
	if (q.skb_prog_id == prog_id)
		return "generic";
	if (q.hw_prog_id == prog_id)
		return "offload";
	return "unknown";
}

static int att_cmp(const void *pa, const void *pb)
{
	const struct metrics_attach *a = pa, *b = pb;
	int c = strcmp(a->iface, b->iface);

	if (!c)
		c = strcmp(a->hook, b->hook);
	return c ? c : strcmp(a->mode, b->mode);
}

/* Sorted, each (iface, hook, mode) once: one series per row. */
static void att_finish(struct metrics_snapshot *s)
{
	size_t i, n = 0;

	qsort(s->att, s->n_att, sizeof(s->att[0]), att_cmp);
	for (i = 0; i < s->n_att; i++)
		if (!n || att_cmp(&s->att[n - 1], &s->att[i]))
			s->att[n++] = s->att[i];
	s->n_att = n;
}

/*
 * The interfaces this datapath is attached to: every XDP or tcx link in the
 * system whose program uses our counters map. It reads the kernel's own
 * state, so it is right for watch and for a pinned attachment alike.
 * Interface names resolve in our network namespace.
 * XXX: legacy cls_bpf attachments (kernels without tcx) have no link and
 * are not listed here; serve lists them from the attachment's records.
 */
static int scan_attach(struct metrics_server *srv, struct metrics_snapshot *s)
{
	struct bpf_link_info li;
	struct tcx_link_info tcx;
	struct metrics_attach a;
	char buf[IF_NAMESIZE];
	__u32 id = 0, len, ifindex;
	int fd, err, guard = 65536;

	s->n_att = 0;
	while (guard--) {
		err = bpf_link_get_next_id(id, &id);
		if (err)
			return errno == ENOENT ? 0 : -errno;
		fd = bpf_link_get_fd_by_id(id);
		if (fd < 0)
			continue; /* gone meanwhile */
		memset(&li, 0, sizeof(li));
		len = sizeof(li);
		err = bpf_obj_get_info_by_fd(fd, &li, &len);
		close(fd);
		if (err)
			continue;
		memset(&a, 0, sizeof(a));
		if (li.type == BPF_LINK_TYPE_XDP) {
			ifindex = li.xdp.ifindex;
			a.hook = "xdp";
		} else if (li.type == RST_BPF_LINK_TYPE_TCX) {
			memcpy(&tcx, &li.xdp, sizeof(tcx));
			ifindex = tcx.ifindex;
			a.hook = tcx.attach_type == RST_BPF_TCX_EGRESS ? "tc_egress" : "tc_ingress";
			a.mode = "tcx";
		} else {
			continue;
		}
		if (!ifindex || !prog_uses_map(li.prog_id, srv->counters_id))
			continue;
		if (!a.mode)
			a.mode = xdp_mode_of(ifindex, li.prog_id);
		snprintf(a.iface, sizeof(a.iface), "%s", iface_name(ifindex, buf));
		if (s->n_att < METRICS_ATTACH_MAX)
			s->att[s->n_att++] = a;
	}
	return 0;
}

static int snapshot_build(struct metrics_server *srv)
{
	struct metrics_snapshot *s = srv->snap;
	__u64 t0 = now_mono_ns();
	size_t n_per = 0;
	int err;

	/* Hosts before counters: the programs bump counters first. */
	s->n_top = 0;
	s->hosts_ok = 0;
	s->hosts_max = table_capacity(srv->maps.hosts);
	s->hosts = 0;
	err = hosts_dump_each(srv->maps.hosts, &srv->hdump, host_batch, s);
	s->hosts_ok = !err;
	if (err)
		pr_debug("metrics: reading the host table: %s", strerror(-err));
	/* No partial top list: without the host table every RST is "other". */
	if (!s->hosts_ok)
		s->n_top = 0;
	s->flows_ok = 0;
	s->flows_max = table_capacity(srv->maps.flows);
	{
		long n = flows_count(srv->maps.flows);

		s->flows_ok = n >= 0;
		s->flows = n >= 0 ? (__u64)n : 0;
		if (n < 0)
			pr_debug("metrics: reading the flow table: %s", strerror((int)-n));
	}
	err = counters_read(srv->maps.counters, &s->total, srv->per, PER_MAX, &n_per);
	if (err)
		return err;
	s->causes_ok = !causes_read(srv->maps.causes, &s->causes);
	metrics_set_ifaces(s, srv->per, n_per, iface_name);
	metrics_top_finish(s);
	/* The maps' own unless the caller named others (serve reads the pinned ones). */
	metrics_cgroups_read(&s->cg,
			     srv->o.cgroups_fd >= 0 ? srv->o.cgroups_fd : srv->maps.cgroups);
	metrics_fates_read(&s->fates,
			   srv->o.fate_ifs_fd >= 0 ? srv->o.fate_ifs_fd : srv->maps.fate_ifs,
			   iface_name);
	metrics_consumer_read(srv->o.consumer, &s->cons);
	err = -ENOSYS;
	s->n_att = 0;
	if (srv->o.list_attach)
		err = srv->o.list_attach(srv->o.list_ctx, s->att, METRICS_ATTACH_MAX, &s->n_att);
	if (err)
		err = scan_attach(srv, s);
	s->att_ok = !err;
	if (err)
		pr_debug("metrics: listing attachments: %s", strerror(-err));
	att_finish(s);
	pthread_mutex_lock(&srv->conn_lock);
	s->http_ok = 1;
	s->http_open = srv->n_open;
	s->http_closed_deadline = srv->closed_deadline;
	s->http_closed_evicted = srv->closed_evicted;
	pthread_mutex_unlock(&srv->conn_lock);
	s->build_seconds = (now_mono_ns() - t0) / 1e9;
	s->timestamp = now_real_ns() / 1e9;
	srv->text.len = 0;
	srv->text.err = 0;
	return metrics_render(s, &srv->text);
}

/* ---- connection admission: the server side ---- */

/* Wake the reaper if deadline comes before its next wake-up. conn_lock held. */
static void conn_wake(struct metrics_server *srv, __u64 deadline)
{
	if (deadline && deadline < srv->reaper_wake_ns)
		pthread_cond_signal(&srv->conn_cond);
}

/*
 * Close c: shutdown(2) hangs the socket up, libmicrohttpd's next look at it
 * closes the connection and notifies us, which frees the row. Until then
 * the descriptor is still the connection's, so this is safe under
 * conn_lock (the row is freed under it, before the descriptor is closed).
 */
static void conn_close(struct metrics_server *srv, struct metrics_conn *c, __u64 *counter)
{
	shutdown(c->fd, SHUT_RDWR);
	c->state = METRICS_CONN_CLOSING;
	srv->n_open--;
	(*counter)++;
}

static void conn_set_addr(struct metrics_conn *c, const struct sockaddr *sa)
{
	memset(c->addr, 0, sizeof(c->addr));
	c->family = sa ? sa->sa_family : AF_UNSPEC;
	if (c->family == AF_INET)
		memcpy(c->addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	else if (c->family == AF_INET6)
		memcpy(c->addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
}

/* libmicrohttpd's notification of a new or finished connection (its threads). */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	const union MHD_ConnectionInfo *fdi, *ai;
	struct metrics_server *srv = cls;
	struct metrics_conn *mc = *socket_context;
	int victim, warn = 0;
	size_t i;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (!mc)
			return;
		pthread_mutex_lock(&srv->conn_lock);
		if (conn_open(mc))
			srv->n_open--;
		mc->state = METRICS_CONN_FREE;
		mc->fd = -1;
		pthread_mutex_unlock(&srv->conn_lock);
		*socket_context = NULL;
		return;
	}
	if (toe != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	fdi = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	ai = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!fdi)
		return;
	pthread_mutex_lock(&srv->conn_lock);
	for (i = 0; i < METRICS_CONN_MAX && srv->conns[i].state != METRICS_CONN_FREE; i++)
		;
	if (i == METRICS_CONN_MAX) {
		/* Cannot happen (libmicrohttpd keeps at most that many): refuse it. */
		pthread_mutex_unlock(&srv->conn_lock);
		shutdown(fdi->connect_fd, SHUT_RDWR);
		return;
	}
	mc = &srv->conns[i];
	mc->fd = fdi->connect_fd;
	mc->state = METRICS_CONN_REQUEST;
	mc->since_ns = now_mono_ns();
	conn_set_addr(mc, ai ? ai->client_addr : NULL);
	*socket_context = mc;
	if (++srv->n_open > METRICS_CONN_LIVE_MAX) {
		victim = metrics_conn_victim(srv->conns, METRICS_CONN_MAX, i);
		if (victim >= 0) {
			conn_close(srv, &srv->conns[victim], &srv->closed_evicted);
			warn = !srv->warned_full;
			srv->warned_full = 1;
		}
	}
	conn_wake(srv, metrics_conn_deadline(mc));
	pthread_mutex_unlock(&srv->conn_lock);
	/* Once per server, outside the lock: stderr may be slow. */
	if (warn)
		pr_warn("metrics: %d connections open; each new one now closes the "
			"oldest of the busiest client (see "
			"rsttrace_http_connections_closed_total)",
			METRICS_CONN_LIVE_MAX);
}

/* Move c's row from state from to state to, restarting its deadline. */
static void conn_step(struct metrics_server *srv, struct MHD_Connection *c, __u8 from, __u8 to)
{
	const union MHD_ConnectionInfo *ci;
	struct metrics_conn *mc;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	mc = ci ? ci->socket_context : NULL;
	if (!mc)
		return;
	pthread_mutex_lock(&srv->conn_lock);
	if (mc->state == from) {
		mc->state = to;
		mc->since_ns = now_mono_ns();
		conn_wake(srv, metrics_conn_deadline(mc));
	}
	pthread_mutex_unlock(&srv->conn_lock);
}

/*
 * A request is over (response sent, or aborted). Today libmicrohttpd closes
 * every connection after its response (one queued from the first handler
 * call gets "Connection: close"); should keep-alive ever be served, the
 * next request's deadline runs from here, not from accept.
 */
static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)req_cls;
	(void)toe;
	conn_step(cls, c, METRICS_CONN_RESPONSE, METRICS_CONN_REQUEST);
}

/* Closes the connections past their deadline; sleeps until the next one. */
static void *conn_reaper(void *arg)
{
	struct metrics_server *srv = arg;
	struct timespec ts;
	__u64 now, d, next;
	size_t i;

	pthread_mutex_lock(&srv->conn_lock);
	while (!srv->reaper_stop) {
		now = now_mono_ns();
		next = UINT64_MAX;
		for (i = 0; i < METRICS_CONN_MAX; i++) {
			d = metrics_conn_deadline(&srv->conns[i]);
			if (!d)
				continue;
			if (d <= now)
				conn_close(srv, &srv->conns[i], &srv->closed_deadline);
			else if (d < next)
				next = d;
		}
		srv->reaper_wake_ns = next;
		if (next == UINT64_MAX) {
			pthread_cond_wait(&srv->conn_cond, &srv->conn_lock);
		} else {
			ts.tv_sec = next / 1000000000ULL;
			ts.tv_nsec = next % 1000000000ULL;
			pthread_cond_timedwait(&srv->conn_cond, &srv->conn_lock, &ts);
		}
	}
	pthread_mutex_unlock(&srv->conn_lock);
	return NULL;
}

static void reaper_stop(struct metrics_server *srv)
{
	if (!srv->reaper_started)
		return;
	pthread_mutex_lock(&srv->conn_lock);
	srv->reaper_stop = 1;
	pthread_cond_signal(&srv->conn_cond);
	pthread_mutex_unlock(&srv->conn_lock);
	pthread_join(srv->reaper, NULL);
	srv->reaper_started = 0;
}

/* ---- HTTP ---- */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, const char *type,
			     const char *body, size_t len, int allow)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static const char text_plain[] = "text/plain; charset=utf-8";

static enum MHD_Result serve_metrics(struct metrics_server *srv, struct MHD_Connection *c)
{
	__u64 now = now_mono_ns();
	enum MHD_Result ret;
	char msg[160];
	int err;

	pthread_mutex_lock(&srv->lock);
	if (!srv->built || now - srv->built_ns >= (__u64)srv->o.refresh_ms * 1000000ULL) {
		err = snapshot_build(srv);
		srv->text_err = err;
		srv->built_ns = now_mono_ns();
		srv->built = 1;
		if (err)
			pr_debug("metrics: snapshot: %s", strerror(-err));
	}
	if (!srv->text_err) {
		/* Copied into the response under the lock: the next build reuses text. */
		ret = reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", srv->text.p,
			    srv->text.len, 0);
	} else {
		snprintf(msg, sizeof(msg), "rsttrace: reading the maps: %s\n",
			 strerror(-srv->text_err));
		ret = reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, text_plain, msg, strlen(msg), 0);
	}
	pthread_mutex_unlock(&srv->lock);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_size, void **req_cls)
{
	static const char index_html[] =
		"<html><head><title>rsttrace</title></head><body>"
		"<h1>rsttrace</h1><p><a href=\"/metrics\">Metrics</a></p></body></html>\n";
	static const char not_found[] = "not found; metrics are at /metrics\n";
	static const char not_allowed[] = "method not allowed; use GET or HEAD\n";
	struct metrics_server *srv = cls;

	(void)version;
	(void)upload_data;
	(void)upload_size;
	(void)req_cls;
	/* The request is complete (headers parsed): now the response deadline. */
	conn_step(srv, c, METRICS_CONN_REQUEST, METRICS_CONN_RESPONSE);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, text_plain, not_allowed,
			     sizeof(not_allowed) - 1, 1);
	if (!strcmp(url, "/metrics"))
		return serve_metrics(srv, c);
	if (!strcmp(url, "/"))
		return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", index_html,
			     sizeof(index_html) - 1, 0);
	return reply(c, MHD_HTTP_NOT_FOUND, text_plain, not_found, sizeof(not_found) - 1, 0);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	log_vprint_lib(LOG_DEBUG, "microhttpd: ", fmt, ap);
}

static void server_free(struct metrics_server *srv)
{
	if (!srv)
		return;
	if (srv->snap)
		metrics_top_free(srv->snap);
	free(srv->snap);
	free(srv->per);
	free(srv->kbuf);
	free(srv->vbuf);
	map_dump_free(&srv->hdump);
	sb_free(&srv->text);
	pthread_mutex_destroy(&srv->lock);
	pthread_cond_destroy(&srv->conn_cond);
	pthread_mutex_destroy(&srv->conn_lock);
	free(srv);
}

static int listen_socket(const char *opt, const char *what, const struct sockaddr_storage *ss,
			 socklen_t len)
{
	int fd, one = 1;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		pr_warn("%s %s: socket: %s", opt, what, strerror(errno));
		return -1;
	}
	/* A restart must not wait out TIME_WAIT of the last scrapes. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, len) || listen(fd, HTTP_BACKLOG)) {
		pr_warn("%s %s: %s%s", opt, what, strerror(errno),
			errno == EADDRINUSE ? " (another exporter on this port? choose another)"
			: errno == EADDRNOTAVAIL ? " (not an address of this host)"
						 : "");
		close(fd);
		return -1;
	}
	return fd;
}

struct metrics_server *metrics_start(const char *listen, const struct rst_maps *m,
				     const struct metrics_opts *o)
{
	struct metrics_server *srv;
	struct sockaddr_storage ss;
	struct map_meta mm;
	pthread_condattr_t ca;
	sigset_t all, old;
	char what[INET6_ADDRSTRLEN + 16];
	socklen_t len;
	const char *opt;
	size_t i;
	int fd, err;

	opt = o && o->opt ? o->opt : "--listen";
	if (metrics_parse_listen(opt, listen, &ss, &len))
		return NULL;
	addr_format(&ss, what, sizeof(what));

	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		pr_warn("metrics: %s", strerror(ENOMEM));
		return NULL;
	}
	pthread_mutex_init(&srv->lock, NULL);
	pthread_mutex_init(&srv->conn_lock, NULL);
	/* The reaper sleeps until a monotonic deadline. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&srv->conn_cond, &ca);
	pthread_condattr_destroy(&ca);
	srv->reaper_wake_ns = UINT64_MAX;
	for (i = 0; i < METRICS_CONN_MAX; i++)
		srv->conns[i].fd = -1;
	srv->maps = *m;
	srv->maps.owned = 0; /* borrowed: the caller closes them */
	if (o)
		srv->o = *o;
	else
		metrics_opts_default(&srv->o);
	if (!srv->o.refresh_ms)
		srv->o.refresh_ms = METRICS_REFRESH_MS_DEFAULT;
	if (srv->o.top_n > METRICS_TOP_MAX)
		srv->o.top_n = METRICS_TOP_MAX;

	err = map_meta(m->counters, &mm);
	if (err) {
		pr_warn("metrics: counters map: %s", strerror(-err));
		goto fail;
	}
	srv->counters_id = mm.id;
	srv->snap = calloc(1, sizeof(*srv->snap));
	srv->per = calloc(PER_MAX, sizeof(*srv->per));
	srv->kbuf = malloc((size_t)WALK_CHUNK * WALK_ELEMMAX);
	srv->vbuf = malloc((size_t)WALK_CHUNK * WALK_ELEMMAX);
	if (!srv->snap || !srv->per || !srv->kbuf || !srv->vbuf ||
	    metrics_top_init(srv->snap, srv->o.top_n)) {
		pr_warn("metrics: %s", strerror(ENOMEM));
		goto fail;
	}

	fd = listen_socket(opt, what, &ss, len);
	if (fd < 0)
		goto fail;
	/* MHD's threads and the reaper inherit this mask: signals go to the caller's. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&srv->reaper, NULL, conn_reaper, srv);
	srv->reaper_started = !err;
	/*
	 * No MHD_OPTION_PER_IP_CONNECTION_LIMIT: it refuses a newcomer before
	 * we hear of it, so a local flood would lock out a local Prometheus.
	 * Eviction by address (metrics_conn_victim) bounds one address instead.
	 */
	if (!err)
		srv->d = MHD_start_daemon(
			MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0,
			NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
			MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd, MHD_OPTION_THREAD_POOL_SIZE,
			(unsigned int)HTTP_THREADS, MHD_OPTION_CONNECTION_LIMIT,
			(unsigned int)METRICS_CONN_MAX, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
			(size_t)HTTP_CONN_MEMORY, MHD_OPTION_CONNECTION_TIMEOUT,
			(unsigned int)HTTP_CONN_TIMEOUT, MHD_OPTION_NOTIFY_CONNECTION,
			on_connection, srv, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
			MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!srv->d) {
		pr_warn("%s %s: starting the HTTP server failed%s%s", opt, what, err ? ": " : "",
			err ? strerror(err) : "");
		close(fd);
		reaper_stop(srv);
		goto fail;
	}
	pr_warn("serving metrics on http://%s/metrics", what);
	if (!addr_is_loopback(&ss))
		pr_warn("note: %s is not a loopback address; anyone who can reach it can read the "
			"metrics",
			what);
	return srv;
fail:
	server_free(srv);
	return NULL;
}

int metrics_set_maps(struct metrics_server *s, const struct rst_maps *m)
{
	struct map_meta mm;
	int err;

	err = map_meta(m->counters, &mm);
	if (err)
		return err;
	pthread_mutex_lock(&s->lock);
	s->maps = *m;
	s->maps.owned = 0;
	s->counters_id = mm.id;
	s->built = 0;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

void metrics_stop(struct metrics_server *s)
{
	if (!s)
		return;
	/* Joins MHD's threads and closes the listen socket it was given. */
	MHD_stop_daemon(s->d);
	/* After MHD: its last notifications take conn_lock, not the reaper. */
	reaper_stop(s);
	server_free(s);
}
