// SPDX-License-Identifier: GPL-2.0
/*
 * IPFIX export of the flow table (ipfix.h), through libfixbuf (Debian
 * libfixbuf-dev): the information model, the templates, message framing,
 * sequence numbers and the transport are its, the records ours.
 *
 * Which records a read calls for comes from comparing it with the one
 * before, both sorted by flow key: a flow new or changed is exported
 * (flowEndReason 2, active timeout, or 3, end of flow detected, once it
 * has an RST or FINs both ways); a flow unchanged since its last export
 * gets one final record (1, idle timeout) unless it already had one; a
 * flow gone from the map was evicted by the kernel (its counts moved into
 * flow_lost) and gets its final record (5, lack of resources) from the
 * last read. At the end every flow without a final record gets one (4,
 * forced end).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <fixbuf/public.h>

#include "ipfix.h"
#include "log.h"
#include "mapread.h"
#include "rsttrace.h"
#include "util.h"

#define TID4 256
#define TID6 257

/* RFC 5102 flowEndReason. */
enum {
	END_IDLE = 1,
	END_ACTIVE = 2,
	END_OF_FLOW = 3,
	END_FORCED = 4,
	END_RESOURCES = 5,
};

/* The records as fixbuf's internal templates: largest first, padding internal only (flag 1). */
struct rec4 {
	uint64_t start_ms, end_ms, syn, fin, rst;
	uint32_t saddr, daddr; /* host byte order: fixbuf's ipv4Address is an unsigned32 */
	uint32_t ifindex;
	uint16_t sport, dport;
	uint8_t proto, end_reason;
	uint8_t pad[6];
};

struct rec6 {
	uint64_t start_ms, end_ms, syn, fin, rst;
	uint8_t saddr[16], daddr[16];
	uint32_t ifindex;
	uint16_t sport, dport;
	uint8_t proto, end_reason;
	uint8_t pad[6];
};

_Static_assert(sizeof(struct rec4) == 64, "rec4 matches spec4");
_Static_assert(sizeof(struct rec6) == 88, "rec6 matches spec6");

#define TIMES_COUNTS                                                                               \
	{ "flowStartMilliseconds", 8, 0 }, { "flowEndMilliseconds", 8, 0 },                        \
		{ "tcpSynTotalCount", 8, 0 }, { "tcpFinTotalCount", 8, 0 },                        \
	{                                                                                          \
		"tcpRstTotalCount", 8, 0                                                           \
	}
#define TAIL                                                                                       \
	{ "ingressInterface", 4, 0 }, { "sourceTransportPort", 2, 0 },                             \
		{ "destinationTransportPort", 2, 0 }, { "protocolIdentifier", 1, 0 },              \
		{ "flowEndReason", 1, 0 }, { "paddingOctets", 6, 1 }, FB_IESPEC_NULL

static fbInfoElementSpec_t spec4[] = {
	TIMES_COUNTS,
	{ "sourceIPv4Address", 4, 0 },
	{ "destinationIPv4Address", 4, 0 },
	TAIL,
};

static fbInfoElementSpec_t spec6[] = {
	TIMES_COUNTS,
	{ "sourceIPv6Address", 16, 0 },
	{ "destinationIPv6Address", 16, 0 },
	TAIL,
};

/* A flow as the last read saw it, and whether its final record went out. */
struct ipfix_flow {
	struct rst_flow_key k;
	struct rst_flow_val v;
	int final;
};

struct ipfix_exporter {
	fbInfoModel_t *model;
	fbSession_t *session;
	fBuf_t *fbuf;
	fbConnSpec_t spec;
	char host[256], port[16];
	int udp; /* 1 UDP, 0 TCP, -1 a file */
	__u64 interval_ns, next_ns;
	__s64 mono_to_real;
	struct ipfix_flow *prev;
	size_t n_prev;
	struct map_dump d;
	__u64 records, messages;
	int failing; /* a send failed: said once until one succeeds */
};

/* Split [udp://|tcp://]HOST:PORT; 0 or -EINVAL. */
static int split_dest(const char *arg, char *host, size_t hlen, char *port, size_t plen, int *udp)
{
	const char *p = arg, *colon, *h;
	size_t n;
	char *end;
	unsigned long v;

	*udp = 1;
	if (!strncmp(p, "file:", 5)) {
		/* An IPFIX file (RFC 5655) instead of a collector: host holds the path. */
		if (!p[5] || strlen(p + 5) >= hlen)
			return -EINVAL;
		snprintf(host, hlen, "%s", p + 5);
		snprintf(port, plen, "file");
		*udp = -1;
		return 0;
	}
	if (!strncmp(p, "udp://", 6)) {
		p += 6;
	} else if (!strncmp(p, "tcp://", 6)) {
		p += 6;
		*udp = 0;
	}
	if (*p == '[') {
		h = p + 1;
		colon = strchr(h, ']');
		if (!colon || colon[1] != ':')
			return -EINVAL;
		n = (size_t)(colon - h);
		colon++;
	} else {
		h = p;
		colon = strrchr(p, ':');
		if (!colon || strchr(p, ':') != colon)
			return -EINVAL;
		n = (size_t)(colon - h);
	}
	if (!n || n >= hlen)
		return -EINVAL;
	memcpy(host, h, n);
	host[n] = '\0';
	errno = 0;
	v = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || !v || v > 65535)
		return -EINVAL;
	snprintf(port, plen, "%lu", v);
	return 0;
}

int ipfix_parse_dest(const char *opt, const char *arg)
{
	char host[256], port[16];
	int udp;

	if (split_dest(arg, host, sizeof(host), port, sizeof(port), &udp)) {
		pr_warn("invalid %s '%s': [udp://|tcp://]HOST:PORT, [IPV6]:PORT or file:PATH", opt,
			arg);
		return -EINVAL;
	}
	return 0;
}

/* Internal and external template of one spec under tid; FALSE with err set. */
static gboolean add_templates(struct ipfix_exporter *x, fbInfoElementSpec_t *spec, uint16_t tid,
			      GError **err)
{
	fbTemplate_t *in = fbTemplateAlloc(x->model), *ex = fbTemplateAlloc(x->model);

	if (!fbTemplateAppendSpecArray(in, spec, 1, err) ||
	    !fbTemplateAppendSpecArray(ex, spec, 0, err) ||
	    !fbSessionAddTemplate(x->session, TRUE, tid, in, err)) {
		fbTemplateFreeUnused(in);
		fbTemplateFreeUnused(ex);
		return FALSE;
	}
	return fbSessionAddTemplate(x->session, FALSE, tid, ex, err) != 0;
}

static void say_error(struct ipfix_exporter *x, const char *what, GError *err)
{
	if (!x->failing)
		pr_warn("ipfix: %s to %s:%s: %s", what, x->host, x->port,
			err ? err->message : "failed");
	x->failing = 1;
	g_clear_error(&err);
}

/*
 * libfixbuf reports through glib's log (g_warning: "I/O error on UDP
 * send: Connection refused", a collector not listening); here each is one
 * line of ours, warnings as warnings, the rest at debug level.
 */
static void glib_log(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer data)
{
	(void)domain;
	(void)data;
	if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
		pr_warn("ipfix: %s", msg);
	else
		pr_debug("ipfix: %s", msg);
}

struct ipfix_exporter *ipfix_open(const struct ipfix_opts *o)
{
	struct ipfix_exporter *x = calloc(1, sizeof(*x));
	fbExporter_t *exp;
	GError *err = NULL;

	if (!x) {
		errno = ENOMEM;
		return NULL;
	}
	if (split_dest(o->dest, x->host, sizeof(x->host), x->port, sizeof(x->port), &x->udp)) {
		ipfix_parse_dest("--ipfix", o->dest);
		free(x);
		errno = EINVAL;
		return NULL;
	}
	x->interval_ns = (__u64)((o->interval > 0 ? o->interval : IPFIX_INTERVAL_DEFAULT) * 1e9);
	x->mono_to_real = mono_to_real_offset();
	g_log_set_default_handler(glib_log, NULL);
	x->model = fbInfoModelAlloc();
	x->session = fbSessionAlloc(x->model);
	fbSessionSetDomain(x->session, o->domain);
	if (!add_templates(x, spec4, TID4, &err) || !add_templates(x, spec6, TID6, &err)) {
		pr_warn("ipfix: templates: %s", err->message);
		g_clear_error(&err);
		goto fail;
	}
	x->spec.transport = x->udp > 0 ? FB_UDP : FB_TCP;
	x->spec.host = x->host;
	x->spec.svc = x->port;
	exp = x->udp < 0 ? fbExporterAllocFile(x->host) : fbExporterAllocNet(&x->spec);
	if (!exp) {
		pr_warn("ipfix: no exporter for %s:%s", x->host, x->port);
		goto fail;
	}
	/* The buffer owns the session and the exporter from here. */
	x->fbuf = fBufAllocForExport(x->session, exp);
	/* Connects (TCP) or resolves and binds (UDP) now: an unknown host fails here. */
	if (!fbSessionExportTemplates(x->session, &err) || !fBufEmit(x->fbuf, &err)) {
		pr_warn("ipfix: sending the templates to %s:%s: %s", x->host, x->port,
			err->message);
		g_clear_error(&err);
		goto fail;
	}
	x->messages++;
	x->next_ns = now_mono_ns() + x->interval_ns;
	pr_debug("ipfix: exporting flows to %s:%s over %s every %.3f s", x->host, x->port,
		 x->udp > 0 ? "UDP"
		 : x->udp   ? "a file"
			    : "TCP",
		 x->interval_ns / 1e9);
	return x;
fail:
	if (x->fbuf)
		fBufFree(x->fbuf);
	else if (x->session)
		fbSessionFree(x->session);
	fbInfoModelFree(x->model);
	free(x);
	errno = EIO;
	return NULL;
}

long ipfix_due_ms(const struct ipfix_exporter *x)
{
	__u64 now = now_mono_ns();

	return now >= x->next_ns ? 0 : (long)((x->next_ns - now + 999999) / 1000000);
}

static uint64_t wall_ms(const struct ipfix_exporter *x, __u64 mono_ns)
{
	return (uint64_t)(((__s64)mono_ns + x->mono_to_real) / 1000000);
}

/* One direction's record (d 0: a to b, 1: b to a), if that direction saw a flag. */
static int export_dir(struct ipfix_exporter *x, const struct ipfix_flow *f, int d, int reason)
{
	const struct rst_flow_key *k = &f->k;
	const struct rst_flow_val *v = &f->v;
	const __u8 *src = d ? k->addr_b : k->addr_a, *dst = d ? k->addr_a : k->addr_b;
	uint64_t syn = (uint64_t)v->syn[d] + v->synack[d], fin = v->fin[d];
	uint64_t rst = (uint64_t)v->rst[d] + v->rstack[d];
	GError *err = NULL;
	union {
		struct rec4 r4;
		struct rec6 r6;
	} u = {};
	size_t len;

	if (!syn && !fin && !rst)
		return 0;
	if (k->family == AF_INET6) {
		u.r6.start_ms = wall_ms(x, v->first_ns);
		u.r6.end_ms = wall_ms(x, v->last_ns);
		u.r6.syn = syn;
		u.r6.fin = fin;
		u.r6.rst = rst;
		memcpy(u.r6.saddr, src, 16);
		memcpy(u.r6.daddr, dst, 16);
		u.r6.ifindex = v->ifindex;
		u.r6.sport = d ? k->port_b : k->port_a;
		u.r6.dport = d ? k->port_a : k->port_b;
		u.r6.proto = IPPROTO_TCP;
		u.r6.end_reason = (uint8_t)reason;
		len = sizeof(u.r6);
	} else {
		u.r4.start_ms = wall_ms(x, v->first_ns);
		u.r4.end_ms = wall_ms(x, v->last_ns);
		u.r4.syn = syn;
		u.r4.fin = fin;
		u.r4.rst = rst;
		u.r4.saddr = (uint32_t)src[0] << 24 | src[1] << 16 | src[2] << 8 | src[3];
		u.r4.daddr = (uint32_t)dst[0] << 24 | dst[1] << 16 | dst[2] << 8 | dst[3];
		u.r4.ifindex = v->ifindex;
		u.r4.sport = d ? k->port_b : k->port_a;
		u.r4.dport = d ? k->port_a : k->port_b;
		u.r4.proto = IPPROTO_TCP;
		u.r4.end_reason = (uint8_t)reason;
		len = sizeof(u.r4);
	}
	{
		uint16_t tid = k->family == AF_INET6 ? TID6 : TID4;

		if (!fBufSetInternalTemplate(x->fbuf, tid, &err) ||
		    !fBufSetExportTemplate(x->fbuf, tid, &err) ||
		    !fBufAppend(x->fbuf, (uint8_t *)&u, len, &err)) {
			say_error(x, "sending a record", err);
			return -EIO;
		}
	}
	x->records++;
	return 0;
}

static int export_flow(struct ipfix_exporter *x, const struct ipfix_flow *f, int reason)
{
	int err = export_dir(x, f, 0, reason);

	return err ? err : export_dir(x, f, 1, reason);
}

static int flow_ended(const struct rst_flow_val *v)
{
	return v->rst[0] || v->rst[1] || v->rstack[0] || v->rstack[1] || (v->fin[0] && v->fin[1]);
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct ipfix_flow *)a)->k, &((const struct ipfix_flow *)b)->k,
		      sizeof(struct rst_flow_key));
}

/* The message with what this read appended: 0, or -EIO (printed once). */
static int emit(struct ipfix_exporter *x)
{
	GError *err = NULL;

	if (!fBufEmit(x->fbuf, &err)) {
		say_error(x, "sending", err);
		return -EIO;
	}
	x->messages++;
	if (x->failing)
		pr_info("ipfix: sending to %s:%s again", x->host, x->port);
	x->failing = 0;
	return 0;
}

int ipfix_update(struct ipfix_exporter *x, const struct map_dump *d)
{
	struct ipfix_flow *cur;
	GError *gerr = NULL;
	size_t i, j, n = d->n;
	int c;

	cur = calloc(n ? n : 1, sizeof(*cur));
	if (!cur)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		memcpy(&cur[i].k, map_dump_key(d, i), sizeof(cur[i].k));
		memcpy(&cur[i].v, map_dump_val(d, i), sizeof(cur[i].v));
	}
	qsort(cur, n, sizeof(*cur), key_cmp);
	/* Over UDP the collector may have lost them or restarted: RFC 7011 10.3.6. */
	if (x->udp > 0 && !fbSessionExportTemplates(x->session, &gerr))
		say_error(x, "sending the templates", gerr);
	for (i = j = 0; i < n || j < x->n_prev;) {
		c = i == n ? 1 : j == x->n_prev ? -1 : key_cmp(&cur[i], &x->prev[j]);
		if (c > 0) {
			/* Gone: the kernel's table let it go (flow_lost "evicted"). */
			if (!x->prev[j].final)
				export_flow(x, &x->prev[j], END_RESOURCES);
			j++;
			continue;
		}
		if (c == 0 && !memcmp(&cur[i].v, &x->prev[j].v, sizeof(cur[i].v))) {
			/* Unchanged since the last read: idle, said once. */
			if (!x->prev[j].final)
				export_flow(x, &cur[i], END_IDLE);
			cur[i].final = 1;
		} else {
			cur[i].final = flow_ended(&cur[i].v);
			export_flow(x, &cur[i], cur[i].final ? END_OF_FLOW : END_ACTIVE);
		}
		i++;
		if (c == 0)
			j++;
	}
	free(x->prev);
	x->prev = cur;
	x->n_prev = n;
	return emit(x);
}

int ipfix_tick(struct ipfix_exporter *x, int flows_fd)
{
	int err;

	x->next_ns = now_mono_ns() + x->interval_ns;
	err = flows_dump_read(flows_fd, &x->d);
	if (err) {
		pr_warn("ipfix: reading the flow map: %s", strerror(-err));
		return err;
	}
	return ipfix_update(x, &x->d);
}

void ipfix_close(struct ipfix_exporter *x, int flows_fd)
{
	size_t i;

	if (!x)
		return;
	if (flows_fd >= 0)
		ipfix_tick(x, flows_fd);
	for (i = 0; i < x->n_prev; i++)
		if (!x->prev[i].final)
			export_flow(x, &x->prev[i], END_FORCED);
	emit(x);
	pr_debug("ipfix: %llu records in %llu messages", (unsigned long long)x->records,
		 (unsigned long long)x->messages);
	fBufFree(x->fbuf);
	fbInfoModelFree(x->model);
	map_dump_free(&x->d);
	free(x->prev);
	free(x);
}

void ipfix_counts(const struct ipfix_exporter *x, __u64 *records, __u64 *messages)
{
	*records = x ? x->records : 0;
	*messages = x ? x->messages : 0;
}
