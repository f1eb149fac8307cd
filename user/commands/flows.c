// SPDX-License-Identifier: GPL-2.0
/*
 * rsttrace flows: the tracked flows with their per-direction counts, most
 * RSTs first, from the maps of the persistent attachment or of a running
 * watch (reader.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "commands.h"
#include "fatetrace.h"
#include "jsonw.h"
#include "log.h"
#include "mapread.h"
#include "options.h"
#include "owner.h"
#include "persist.h"
#include "reader.h"
#include "topn.h"
#include "util.h"

struct flow_filter {
	int have_host;
	__u8 family;
	__u8 addr[16];
	__u32 port; /* 0: any */
};

struct flows_cfg {
	struct flow_filter flt;
	__u32 limit; /* 0: all */
	int json;
	const char *pin_path; /* NULL: the default pin directory, else a running watch */
};

/* --host ADDR: an IPv4 or IPv6 address into the filter. */
static int parse_host(void *field, int code, const char *arg)
{
	struct flow_filter *f = field;

	(void)code;
	f->have_host = 1;
	if (inet_pton(AF_INET, arg, f->addr) == 1) {
		f->family = AF_INET;
	} else if (inet_pton(AF_INET6, arg, f->addr) == 1) {
		f->family = AF_INET6;
	} else {
		pr_warn("invalid --host '%s': not an IPv4 or IPv6 address", arg);
		return -EINVAL;
	}
	return 0;
}

#define FLOWS(f) .off = offsetof(struct flows_cfg, f)

static const struct opt_row flows_rows[] = {
	{ .name = "host",
	  .type = OPT_FUNC,
	  FLOWS(flt),
	  .fn = parse_host,
	  .metavar = "ADDR",
	  .help = "flows with this IPv4/IPv6 address at either end" },
	{ .name = "port",
	  .type = OPT_U32,
	  FLOWS(flt.port),
	  .min = 1,
	  .max = 65535,
	  .metavar = "PORT",
	  .help = "flows with this port at either end" },
	{ .short_opt = 'N',
	  .type = OPT_U32,
	  FLOWS(limit),
	  .min = 1,
	  .max = 100000000,
	  .metavar = "COUNT",
	  .help = "at most COUNT flows (default: all)" },
	CMD_JSON_ROW(struct flows_cfg, json, "one JSON object (keys in docs/persistent.md)"),
	READER_PIN_PATH_ROW(struct flows_cfg, pin_path),
	{ 0 },
};

static const struct opt_cmd flows_cmd = {
	.name = "flows",
	.synopsis = "usage: rsttrace flows [--json] [--host ADDR] [--port PORT] [-N COUNT] "
		    "[--pin-path DIR]\n",
	.sets = {
		{ flows_rows, 0 },
		{ opt_verbose_log_rows, 0 },
		{ opt_common_rows, 0 },
	},
};

static int flow_match(const struct flow_filter *f, const struct rst_flow_key *k)
{
	if (f->have_host && (k->family != f->family ||
			     (memcmp(k->addr_a, f->addr, 16) && memcmp(k->addr_b, f->addr, 16))))
		return 0;
	if (f->port && k->port_a != f->port && k->port_b != f->port)
		return 0;
	return 1;
}

/*
 * A flow to list, with the two sort keys copied out of its value: sorting
 * a million rows then compares within the rows, and follows k only on a
 * tie (a cache miss into the map dump per comparison otherwise).
 */
struct flow_row {
	__u64 rsts;
	__u64 last_ns;
	const struct rst_flow_key *k;
	const struct rst_flow_val *v;
	__u32 slot; /* its copy in flow_pick.slots, if there are copies */
};

/* The copy of a flow kept from a batch that the next batch overwrites. */
struct flow_slot {
	struct rst_flow_key k;
	struct rst_flow_val v;
};

/* Up to this -N, flows reads the map a batch at a time, keeping copies of the best N. */
#define FLOWS_PICK_MAX 65536

/* The flows to list: every match (limit 0), or the best limit of them. */
struct flow_pick {
	const struct flow_filter *flt;
	struct topn rows;	 /* of struct flow_row */
	struct flow_slot *slots; /* NULL: rows point into a whole-map dump */
	int err;
};

static __u64 flow_rsts(const struct rst_flow_val *v)
{
	return (__u64)v->rst[0] + v->rst[1] + v->rstack[0] + v->rstack[1];
}

/* Most RSTs first, then the most recent, then by key: a total order (keys are unique). */
static int flow_cmp(const void *a, const void *b)
{
	const struct flow_row *x = a, *y = b;

	if (x->rsts != y->rsts)
		return x->rsts > y->rsts ? -1 : 1;
	if (x->last_ns != y->last_ns)
		return x->last_ns > y->last_ns ? -1 : 1;
	return memcmp(x->k, y->k, sizeof(*x->k));
}

/*
 * Keep the flow k/v if it matches and is among the best so far (views/topn.h):
 * with copies, the one it evicts gives up its slot.
 */
static void flow_pick_one(struct flow_pick *p, const struct rst_flow_key *k,
			  const struct rst_flow_val *v)
{
	const struct flow_row *w;
	struct flow_row r;
	struct flow_slot *s;

	if (!flow_match(p->flt, k))
		return;
	r.rsts = flow_rsts(v);
	r.last_ns = v->last_ns;
	r.k = k;
	r.v = v;
	r.slot = (__u32)p->rows.n;
	w = topn_worst(&p->rows);
	if (w) {
		if (flow_cmp(&r, w) >= 0)
			return;
		r.slot = w->slot;
	}
	if (p->slots) {
		s = &p->slots[r.slot];
		s->k = *k;
		s->v = *v;
		r.k = &s->k;
		r.v = &s->v;
	}
	if (topn_add(&p->rows, &r) < 0)
		p->err = -ENOMEM;
}

static int flow_pick_batch(void *ctx, const struct map_dump *batch)
{
	size_t i;

	for (i = 0; i < batch->n; i++)
		flow_pick_one(ctx, map_dump_key(batch, i), map_dump_val(batch, i));
	return ((struct flow_pick *)ctx)->err;
}

/*
 * The flows to list into p, sorted. Up to FLOWS_PICK_MAX the best N are
 * copied out batch by batch (no whole-map dump); more or all from a dump
 * in d, which the rows then point into.
 */
static int flows_pick(const struct flows_cfg *c, int flows_fd, struct map_dump *d,
		      struct flow_pick *p)
{
	int err;

	topn_init(&p->rows, sizeof(struct flow_row), c->limit, flow_cmp);
	if (c->limit && c->limit <= FLOWS_PICK_MAX) {
		p->slots = calloc(c->limit, sizeof(*p->slots));
		err = p->slots ? topn_reserve(&p->rows, c->limit) : -ENOMEM;
		if (!err)
			err = flows_dump_each(flows_fd, d, flow_pick_batch, p);
	} else {
		err = flows_dump_read(flows_fd, d);
		if (!err)
			err = topn_reserve(&p->rows, d->n ? d->n : 1);
		if (!err)
			err = flow_pick_batch(p, d);
	}
	if (!err)
		topn_sort(&p->rows);
	return err;
}

static const char *endpoint(const __u8 *addr, __u16 port, __u8 family, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	addr_str(addr, family, a, sizeof(a));
	if (family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a, port);
	else
		snprintf(buf, len, "%s:%u", a, port);
	return buf;
}

static void flows_text_head(FILE *f)
{
	fprintf(f, "%-47s %-47s %7s %7s %7s %7s %7s  %-8s %-8s %-15s %s\n", "ENDPOINT A",
		"ENDPOINT B", "SYN", "SYNACK", "FIN", "RST", "RSTACK", "FIRST", "LAST", "IFACE",
		"OWNER");
	fprintf(f, "%-47s %-47s %7s %7s %7s %7s %7s\n", "", "", "a>b/b>a", "", "", "", "");
}

static void clock_str(char *buf, size_t len, __u64 mono_ns, __s64 off)
{
	time_t t = (time_t)((mono_ns + off) / 1000000000LL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%H:%M:%S", &tm);
}

/* The OWNER column: "CGROUP uid=U", " pid=P COMM" after it for a reset in process context. */
static const char *owner_str(const struct rst_owner *o, char *buf, size_t len)
{
	char comm[80];
	int n = 0;

	if (!o || (!o->have_sock && !o->have_task))
		return "-";
	if (o->have_sock)
		n = snprintf(buf, len, "%s uid=%u", o->cgroup ? o->cgroup : "?", o->uid);
	if (o->have_task && n >= 0 && (size_t)n < len) {
		snprintf(comm, sizeof(comm), "%s", ESC(o->comm));
		snprintf(buf + n, len - (size_t)n, "%spid=%u %s", n ? " " : "", o->pid, comm);
	}
	return buf;
}

static void flows_text_row(const struct flow_row *r, const char *ifn, __s64 off,
			   const struct rst_owner *o, FILE *f)
{
	char own[400];
	char a[INET6_ADDRSTRLEN + 8], b[INET6_ADDRSTRLEN + 8], fs[40], ls[40], c[5][24];
	const struct rst_flow_key *k = r->k;
	const struct rst_flow_val *v = r->v;

	snprintf(c[0], sizeof(c[0]), "%u/%u", v->syn[0], v->syn[1]);
	snprintf(c[1], sizeof(c[1]), "%u/%u", v->synack[0], v->synack[1]);
	snprintf(c[2], sizeof(c[2]), "%u/%u", v->fin[0], v->fin[1]);
	snprintf(c[3], sizeof(c[3]), "%u/%u", v->rst[0], v->rst[1]);
	snprintf(c[4], sizeof(c[4]), "%u/%u", v->rstack[0], v->rstack[1]);
	clock_str(fs, sizeof(fs), v->first_ns, off);
	clock_str(ls, sizeof(ls), v->last_ns, off);
	fprintf(f, "%-47s %-47s %7s %7s %7s %7s %7s  %-8s %-8s %-15s %s\n",
		endpoint(k->addr_a, k->port_a, k->family, a, sizeof(a)),
		endpoint(k->addr_b, k->port_b, k->family, b, sizeof(b)), c[0], c[1], c[2], c[3],
		c[4], fs, ls, ESC(ifn ? ifn : "-"), owner_str(o, own, sizeof(own)));
}

static void flow_json_dir(struct json_writer *w, const char *key, const struct rst_flow_val *v,
			  int d)
{
	jw_key(w, key);
	jw_start_object(w);
	jw_u64_field(w, "syn", v->syn[d]);
	jw_u64_field(w, "synack", v->synack[d]);
	jw_u64_field(w, "fin", v->fin[d]);
	jw_u64_field(w, "rst", v->rst[d]);
	jw_u64_field(w, "rstack", v->rstack[d]);
	jw_u64_field(w, "ttl", v->ttl[d]);
	jw_end_object(w);
}

static void flows_json_row(struct json_writer *w, const struct flow_row *r, const char *ifn,
			   __s64 off, const struct rst_owner *o)
{
	char a[INET6_ADDRSTRLEN];
	const struct rst_flow_key *k = r->k;
	const struct rst_flow_val *v = r->v;

	jw_start_object(w);
	jw_str_field(w, "family", family_str(k->family));
	jw_str_field(w, "addr_a", addr_str(k->addr_a, k->family, a, sizeof(a)));
	jw_u64_field(w, "port_a", k->port_a);
	jw_str_field(w, "addr_b", addr_str(k->addr_b, k->family, a, sizeof(a)));
	jw_u64_field(w, "port_b", k->port_b);
	flow_json_dir(w, "a_to_b", v, 0);
	flow_json_dir(w, "b_to_a", v, 1);
	jw_u64_field(w, "rsts", flow_rsts(v));
	jw_time_field(w, "first_seen", v->first_ns + off);
	jw_time_field(w, "last_seen", v->last_ns + off);
	jw_u64_field(w, "ifindex", v->ifindex);
	jw_str_field(w, "iface", ifn); /* NULL: null */
	/* The socket's owner, where a running watch recorded one (docs/stage.md). */
	jw_str_field(w, "cgroup", o->have_sock ? o->cgroup : NULL);
	if (o->have_sock) {
		jw_u64_field(w, "cgroup_id", o->cgroup_id);
		jw_u64_field(w, "uid", o->uid);
	} else {
		jw_null_field(w, "cgroup_id");
		jw_null_field(w, "uid");
	}
	if (o->have_task)
		jw_u64_field(w, "pid", o->pid);
	else
		jw_null_field(w, "pid");
	jw_str_field(w, "comm", o->have_task ? o->comm : NULL);
	jw_end_object(w);
}

/* The picked flows, in text or as one JSON object. */
static void flows_print(const struct flows_cfg *c, struct source *src, const struct topn *rows,
			int owners_fd)
{
	struct rst_owner o;
	__s64 off = mono_to_real_offset();
	struct json_writer w;
	char nm[IF_NAMESIZE];
	size_t i;

	jw_init_file(&w, stdout);
	if (c->json) {
		jw_start_object(&w);
		jw_str_field(&w, "source", source_kind(src));
		jw_key(&w, "flows");
		jw_start_array(&w);
	} else {
		flows_text_head(stdout);
	}
	for (i = 0; i < rows->n; i++) {
		const struct flow_row *r = topn_row(rows, i);
		const char *ifn = source_ifname(src, r->v->ifindex, nm);

		owner_of_flow(owners_fd, r->k, &o);
		if (c->json)
			flows_json_row(&w, r, ifn, off, &o);
		else
			flows_text_row(r, ifn, off, &o, stdout);
	}
	if (c->json) {
		jw_end_array(&w);
		jw_end_object(&w);
		putchar('\n');
	}
}

static int do_flows(const struct flows_cfg *c)
{
	struct flow_pick pick = { .flt = &c->flt };
	struct map_dump d = {};
	struct source src;
	int err, ret = EXIT_RUNTIME, owners;

	if (source_open(c->pin_path, &src))
		return EXIT_RUNTIME;
	/* A persistent attachment pins its owners map; a watch's is found through its programs. */
	owners = src.m.owners >= 0 ? dup(src.m.owners) : fate_owners_near(src.m.counters);
	err = flows_pick(c, src.m.flows, &d, &pick);
	if (err) {
		pr_warn("flows: reading the flow map: %s", strerror(-err));
	} else {
		flows_print(c, &src, &pick.rows, owners);
		ret = fflush(stdout) ? EXIT_RUNTIME : EXIT_OK;
	}
	topn_free(&pick.rows);
	free(pick.slots);
	map_dump_free(&d);
	source_close(&src);
	if (owners >= 0)
		close(owners);
	return ret;
}

int cmd_flows(int argc, char **argv)
{
	struct flows_cfg c = {};
	int err;

	err = opt_parse(&flows_cmd, argc, argv, &c, NULL);
	if (err)
		return opt_exit_status(err);
	return do_flows(&c);
}

/*
 * Every flow of src as `flows` lists them, most RSTs first: the text
 * table into f (w NULL) or the rows as a JSON array into w; times are
 * CLOCK_MONOTONIC + off. For `rsttrace -r` (offline.c), whose clock is the
 * capture's. 0 or -errno (printed).
 */
int flows_list(struct source *src, struct json_writer *w, __s64 off, FILE *f)
{
	struct flows_cfg c = {};
	struct flow_pick pick = { .flt = &c.flt };
	struct map_dump d = {};
	const struct rst_owner no_owner = {};
	char nm[IF_NAMESIZE];
	size_t i;
	int err;

	err = flows_pick(&c, src->m.flows, &d, &pick);
	if (err) {
		pr_warn("flows: reading the flow map: %s", strerror(-err));
		goto out;
	}
	if (w)
		jw_start_array(w);
	else
		flows_text_head(f);
	for (i = 0; i < pick.rows.n; i++) {
		const struct flow_row *r = topn_row(&pick.rows, i);
		const char *ifn = source_ifname(src, r->v->ifindex, nm);

		/* A replay has no sockets: no owner (null keys, "-"). */
		if (w)
			flows_json_row(w, r, ifn, off, &no_owner);
		else
			flows_text_row(r, ifn, off, &no_owner, f);
	}
	if (w)
		jw_end_array(w);
out:
	topn_free(&pick.rows);
	free(pick.slots);
	map_dump_free(&d);
	return err;
}
