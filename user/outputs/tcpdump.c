// SPDX-License-Identifier: GPL-2.0
/*
 * The tcpdump line of an RST event, assembled: print.c's
 * pretty_print_packet() choosing the link-layer printer (print-ether.c, or
 * print-ip.c's ipN_print for DLT_RAW), the line of an event without
 * snapshot, the -t timestamps (util-print.c ts_print), the -i any prefix
 * (print-sll.c) and rsttrace's extras. The protocol printers are the
 * print-*.c files beside this one; netdissect.h says how they stop.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <string.h>
#include <time.h>

#include "loader.h"
#include "netdissect.h"
#include "rsttrace.h"
#include "tcpdump.h"
#include "why.h"
#include "util.h"

/* What an event without snapshot prints: its fields, as if without options. */
static void print_fields(struct strbuf *o, const struct rst_event *ev)
{
	__u32 length = ev->payload_len;
	int is6 = ev->family == AF_INET6;

	if (is6)
		sb_lit(o, "IP6 ");
	else
		sb_lit(o, "IP ");
	print_endpoints(o, ev->saddr, ev->sport, ev->daddr, ev->dport, is6);
	print_tcp_flags(o, ev->tcp_flags);
	/* The event keeps no urgent pointer: no ", urg", whatever the flags. */
	print_seq_win(o, (__u8)(ev->tcp_flags & ~TH_URG), ev->seq, ev->ack, ev->win, 0, length);
	sb_lit(o, ", length ");
	sb_u32(o, length);
}

/* print_packet(): a record tcpdump refuses, and so dumps no byte of. */
#define NO_DUMP UINT32_MAX

/* Linux cooked v2 (print-sll.c): the header tcpdump -i any reads before the packet. */
#define SLL2_HDR_LEN 20

/*
 * The bytes a line is decoded from, and the dumps read: the snapshot, or
 * (with the -i any prefix) the packet as tcpdump -i any records it, a
 * cooked header in place of the Ethernet header.
 */
struct view {
	const __u8 *b;
	__u32 caplen;
	__u32 length; /* the record's wire length */
	__u8 cooked[SLL2_HDR_LEN + RST_SNAPLEN_MAX];
};

/*
 * What libpcap's -i any makes of the frame: sll2_protocol (the ethertype
 * after the MACs; a VLAN tag stays in the data after it, as libpcap puts
 * an offloaded tag back), sll2_if_index, sll2_hatype (Ethernet, or
 * ARPHRD_NONE for a bare IP interface), sll2_pkttype (host or outgoing),
 * the source MAC, then the frame from its network header on.
 * XXX: a frame that came in for another host or a group says "In", not
 * "P", "M" or "B". (watch's -s counts the cooked record, as tcpdump's.)
 */
static void cook(struct view *v, const struct rst_event *ev, __u32 caplen)
{
	__u32 hoff = ev->l3_off ? 14 : 0, n = caplen > hoff ? caplen - hoff : 0;
	__u8 *c = v->cooked;
	__u16 proto = 0;

	memset(c, 0, SLL2_HDR_LEN);
	if (hoff && caplen >= 14)
		proto = (__u16)(ev->snap[12] << 8 | ev->snap[13]);
	else if (!hoff && caplen >= 1)
		proto = (ev->snap[0] >> 4) == 6 ? 0x86dd : 0x0800;
	c[0] = (__u8)(proto >> 8);
	c[1] = (__u8)proto;
	c[4] = (__u8)(ev->ifindex >> 24);
	c[5] = (__u8)(ev->ifindex >> 16);
	c[6] = (__u8)(ev->ifindex >> 8);
	c[7] = (__u8)ev->ifindex;
	c[8] = hoff ? 0 : 0xff; /* ARPHRD_ETHER 1, ARPHRD_NONE 65534 */
	c[9] = hoff ? 1 : 0xfe;
	c[10] = ev->dir == RST_DIR_OUT ? 4 : 0; /* PACKET_OUTGOING, PACKET_HOST */
	if (hoff && caplen >= 12) {
		c[11] = 6;
		memcpy(c + 12, ev->snap + 6, 6);
	}
	memcpy(c + SLL2_HDR_LEN, ev->snap + hoff, n);
	v->b = c;
	v->caplen = SLL2_HDR_LEN + n;
	v->length = ev->pkt_len >= hoff ? ev->pkt_len - hoff + SLL2_HDR_LEN : SLL2_HDR_LEN;
}

/*
 * print.c pretty_print_packet() and the link printers it calls; returns
 * the link header length the dumps start after (ndo_ll_hdr_len). A
 * printer that gave up on a truncated packet leaves none: a dump then
 * starts at the first byte.
 */
static __u32 print_packet(struct strbuf *o, const struct rst_event *ev, const struct fmt_opts *fo,
			  struct view *v)
{
	struct pkt p = {
		.proto = "",
		.o = o,
	};
	__u32 caplen = ev->snap_len < RST_SNAPLEN_MAX ? ev->snap_len : RST_SNAPLEN_MAX;
	int r;

	v->b = ev->snap;
	v->caplen = caplen;
	v->length = ev->pkt_len;
	if (fo) {
		p.eflag = fo->eflag;
		p.qflag = fo->qflag;
		p.suppress_default = fo->qflag || fo->xflag || fo->Xflag;
	}
	if (caplen == 0) {
		print_fields(o, ev);
		v->caplen = 0;
		return 0;
	}
	/* print.c pretty_print_packet() refuses a record longer than its packet. */
	if (ev->pkt_len == 0) {
		sb_str(o, "[Invalid header: len==0]");
		return NO_DUMP;
	}
	if (caplen > ev->pkt_len) {
		sb_printf(o, "[Invalid header: len(%u) < caplen(%u)]", ev->pkt_len, caplen);
		return NO_DUMP;
	}
	if (fo && fo->any_prefix)
		cook(v, ev, caplen);
	p.data = v->b;
	p.caplen = p.end = v->caplen;
	if (fo && fo->any_prefix) {
		r = sll2_print(&p, v->length);
	} else if (ev->l3_off == 0) {
		/* print-raw.c raw_if_print() */
		if (p.eflag)
			sb_lit(o, "ip: ");
		r = ipn_print(&p, ev->pkt_len);
	} else {
		r = ether_print(&p, ev->pkt_len);
	}
	if (r == P_TRUNC) {
		print_trunc(&p);
		return 0;
	}
	return p.ll_hdr_len;
}

/*
 * pretty_print_packet()'s dumps: -X, else -x, else -A; from the link
 * header's end on, or (doubled) from the first byte; nothing when the
 * capture ends with the link header. An event without snapshot has none.
 */
static void print_dump(struct strbuf *o, const struct view *v, const struct fmt_opts *fo,
		       __u32 hdrlen)
{
	const __u8 *b = v->b;
	__u32 n;
	int level;

	if (!fo || !v->caplen || hdrlen == NO_DUMP)
		return;
	level = fo->Xflag ? fo->Xflag : fo->xflag ? fo->xflag : fo->Aflag;
	if (!level)
		return;
	if (level > 1) {
		n = v->caplen;
	} else {
		if (v->caplen <= hdrlen)
			return;
		b += hdrlen;
		n = v->caplen - hdrlen;
	}
	if (fo->Xflag)
		hex_and_ascii_print(o, b, n);
	else if (fo->xflag)
		hex_print(o, b, n);
	else
		ascii_print(o, b, n);
}

int fmt_tcpdump_packet_opts(char *buf, size_t len, const struct rst_event *ev,
			    const struct fmt_opts *o)
{
	struct strbuf sb;
	struct view v;
	__u32 hdrlen;
	int err;

	err = sb_init(&sb, buf, len);
	if (err)
		return err;
	if (!ev)
		return -EINVAL;
	hdrlen = print_packet(&sb, ev, o, &v);
	print_dump(&sb, &v, o, hdrlen);
	return sb_done(&sb);
}

int fmt_tcpdump_packet(char *buf, size_t len, const struct rst_event *ev)
{
	return fmt_tcpdump_packet_opts(buf, len, ev, NULL);
}

/* ---- timestamps and the line -------------------------------------------- */

static __s64 ts_usec(const struct timespec *t)
{
	/* tcpdump sees microseconds: truncate, do not round. */
	__s64 ns = t->tv_nsec;

	if (ns < 0)
		ns = 0;
	if (ns > 999999999)
		ns = 999999999;
	return (__s64)t->tv_sec * 1000000 + ns / 1000;
}

/* The [-]HH:MM:SS.uuuuuu of -ttt and -ttttt; whole days are dropped. */
static void print_delta(struct strbuf *o, __s64 us)
{
	__u64 a = us < 0 ? (__u64)-us : (__u64)us;
	__u64 s = a / 1000000;

	sb_printf(o, "%c%02u:%02u:%02u.%06u", us < 0 ? '-' : ' ', (unsigned int)(s / 3600 % 24),
		  (unsigned int)(s / 60 % 60), (unsigned int)(s % 60), (unsigned int)(a % 1000000));
}

/*
 * localtime_r() of the last second converted, per thread: a flood of
 * events shares a handful of seconds, and the conversion (the zone's lock,
 * a search of its transitions) costs as much as the rest of the line.
 * localtime_r() leaves tzname, timezone and daylight describing the zone
 * at the time it converted; a tzset() to another zone changes them, and
 * so does a conversion elsewhere in the process of a time whose zone
 * state differs: either way the next line converts again.
 * XXX: a tzset() to a zone with the same names, base offset and DST flag
 * but other rules is not noticed before the second changes.
 */
struct tm_cache {
	time_t sec;
	struct tm tm;
	const char *tzname0, *tzname1;
	long tz_off;
	int tz_dst;
	int valid;
};

static _Thread_local struct tm_cache tm_cache;

static const struct tm *local_tm(time_t sec)
{
	struct tm_cache *c = &tm_cache;

	if (c->valid && c->sec == sec && c->tzname0 == tzname[0] && c->tzname1 == tzname[1] &&
	    c->tz_off == timezone && c->tz_dst == daylight)
		return &c->tm;
	c->valid = 0;
	if (!localtime_r(&sec, &c->tm))
		return NULL;
	c->sec = sec;
	c->tzname0 = tzname[0];
	c->tzname1 = tzname[1];
	c->tz_off = timezone;
	c->tz_dst = daylight;
	c->valid = 1;
	return &c->tm;
}

/*
 * tcpdump takes a reference time of exactly 0 for "no reference yet", so a
 * line at the epoch starts the count again; so does this.
 */
static int ref_set(const struct fmt_state *st, const struct timespec *ref)
{
	return st->have_prev && ts_usec(ref) != 0;
}

int fmt_timestamp(char *buf, size_t len, int mode, const struct timespec *wall,
		  struct fmt_state *st)
{
	char t[sizeof("YYYY-MM-DD HH:MM:SS.uuuuuu")], *b, *q;
	const struct tm *tm;
	struct strbuf o;
	time_t sec;
	__u32 usec;
	int err;

	err = sb_init(&o, buf, len);
	if (err)
		return err;
	if (!wall)
		return -EINVAL;
	if ((mode == TS_DELTA || mode == TS_SINCE_FIRST) && !st)
		return -EINVAL;
	sec = wall->tv_sec;
	usec = (__u32)(ts_usec(wall) - (__s64)sec * 1000000);
	b = sb_begin(&o, t, sizeof(t));
	q = b;

	switch (mode) {
	case TS_NONE:
		break;
	case TS_DEFAULT:
	case TS_EPOCH:
	case TS_DATE:
		/* tcpdump's pcap timestamps are 32-bit: it refuses the rest. */
		if (sec < 0 || sec > INT32_MAX) {
			sb_str(&o, "[Error converting time]");
			break;
		}
		if (mode == TS_EPOCH) {
			/* "%lld.%06u"; sec fits 32 bits here. */
			q = put_u32(q, (__u32)sec);
			*q++ = '.';
			q = put_06u(q, usec);
			sb_end(&o, b, q);
			break;
		}
		tm = local_tm(sec);
		if (!tm) {
			sb_str(&o, "[Error converting time]");
			break;
		}
		if (mode == TS_DATE) {
			/* "%04d-%02d-%02d ": years 1901 to 2038 here. */
			q = put_02u(q, (__u32)(tm->tm_year + 1900) / 100);
			q = put_02u(q, (__u32)(tm->tm_year + 1900) % 100);
			*q++ = '-';
			q = put_02u(q, (__u32)tm->tm_mon + 1);
			*q++ = '-';
			q = put_02u(q, (__u32)tm->tm_mday);
			*q++ = ' ';
		}
		/* "%02d:%02d:%02d.%06u"; a leap second is tm_sec 60. */
		q = put_02u(q, (__u32)tm->tm_hour);
		*q++ = ':';
		q = put_02u(q, (__u32)tm->tm_min);
		*q++ = ':';
		q = put_02u(q, (__u32)tm->tm_sec);
		*q++ = '.';
		q = put_06u(q, usec);
		sb_end(&o, b, q);
		break;
	case TS_DELTA:
		print_delta(&o, ref_set(st, &st->prev) ? ts_usec(wall) - ts_usec(&st->prev) : 0);
		break;
	case TS_SINCE_FIRST:
		print_delta(&o, ref_set(st, &st->first) ? ts_usec(wall) - ts_usec(&st->first) : 0);
		break;
	default:
		return -EINVAL;
	}
	if (st) {
		if (!ref_set(st, &st->first))
			st->first = *wall;
		st->prev = *wall;
		st->have_prev = 1;
	}
	return sb_done(&o);
}

static void print_any_prefix(struct strbuf *o, const char *ifname, int dir)
{
	/* if_indextoname() failing makes tcpdump print "?". */
	const char *raw = ifname && *ifname ? ifname : "?";
	char name[IF_NAMESIZE * 4 + 1];
	size_t n;

	/*
	 * tcpdump prints the name raw; a name with ESC or BEL in it (the
	 * kernel allows them) must not reach the terminal so: \xNN. Names
	 * of printable ASCII come out the same as tcpdump's.
	 */
	n = escape_text(name, sizeof(name), raw);
	/* "%-5s %-3s " */
	sb_raw(o, name, n);
	if (n < 5)
		sb_raw(o, "     ", 5 - n);
	if (dir == RST_DIR_OUT)
		sb_lit(o, " Out ");
	else
		sb_lit(o, " In  ");
}

int fmt_any_prefix(char *buf, size_t len, const char *ifname, int dir)
{
	struct strbuf o;
	int err;

	err = sb_init(&o, buf, len);
	if (err)
		return err;
	print_any_prefix(&o, ifname, dir);
	return sb_done(&o);
}

/*
 * loader.h's hook names; the line has always said "unknown" where the
 * loader says "?" (no kernel sends such a hook), so that stays.
 */
static const char *line_hook_name(int hook)
{
	return hook >= 0 && hook < RST_HOOK_MAX ? hook_name(hook) : "unknown";
}

/* The -v words of views/why.h, each only where known. */
static void print_why(struct strbuf *out, const struct rst_why *w)
{
	if (w->fate) {
		sb_lit(out, " fate ");
		sb_str(out, w->fate);
	}
	if (w->drop_reason) {
		sb_lit(out, " drop ");
		sb_str(out, w->drop_reason);
	}
	if (w->signal) {
		sb_lit(out, " signal ");
		sb_str(out, w->signal);
	}
	if (w->have_stage) {
		sb_lit(out, " stage ");
		sb_str(out, w->st.stage);
		if (w->st.conn) {
			sb_lit(out, " conn ");
			sb_str(out, w->st.conn);
		}
	}
	if (w->have_owner && w->own.have_sock) {
		sb_lit(out, " cgroup ");
		sb_str(out, w->own.cgroup ? w->own.cgroup : "?");
		sb_lit(out, " uid");
		sb_sp_u32(out, w->own.uid);
	}
	if (w->have_owner && w->own.have_task) {
		sb_lit(out, " pid");
		sb_sp_u32(out, w->own.pid);
		sb_lit(out, " comm ");
		sb_str(out, w->own.comm);
	}
}

int fmt_event_line(char *buf, size_t len, const struct rst_event *ev, const char *ifname,
		   const struct timespec *wall, const struct fmt_opts *o, struct fmt_state *st)
{
	struct strbuf out;
	struct view v;
	__u32 hdrlen;
	int err, n;

	err = sb_init(&out, buf, len);
	if (err)
		return err;
	if (!ev || !o || (o->tstamp != TS_NONE && !wall))
		return -EINVAL;
	if (o->tstamp != TS_NONE) {
		n = fmt_timestamp(buf, len, o->tstamp, wall, st);
		if (n < 0)
			return n;
		out.len = (size_t)n;
		sb_lit(&out, " ");
	}
	if (o->any_prefix)
		print_any_prefix(&out, ifname, ev->dir);
	hdrlen = print_packet(&out, ev, o, &v);
	if (o->verbose > 0) {
		sb_lit(&out, " ttl");
		sb_sp_u32(&out, ev->ttl);
		sb_lit(&out, " id");
		sb_sp_u32(&out, ev->ip_id);
		sb_lit(&out, " hook ");
		sb_str(&out, line_hook_name(ev->hook));
		if (o->class) {
			sb_lit(&out, " class ");
			sb_str(&out, o->class);
		}
		if (o->reason) {
			sb_lit(&out, " reason ");
			sb_str(&out, o->reason);
		}
		if (o->state) {
			sb_lit(&out, " state ");
			sb_str(&out, o->state);
		}
		if (o->why)
			print_why(&out, o->why);
	}
	print_dump(&out, &v, o, hdrlen);
	sb_lit(&out, "\n");
	return sb_done(&out);
}
