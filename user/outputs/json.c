// SPDX-License-Identifier: GPL-2.0
/*
 * JSON lines of RST events. Built in a caller's buffer so that one event is
 * one write(2)-able line; nothing from the event is used as a format.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "json.h"
#include "loader.h"

struct jb {
	char *buf;
	size_t size, pos;
	int full;
};

static void jb_raw(struct jb *b, const char *s, size_t n)
{
	if (b->full)
		return;
	if (n >= b->size - b->pos) {
		b->full = 1;
		return;
	}
	memcpy(b->buf + b->pos, s, n);
	b->pos += n;
	b->buf[b->pos] = '\0';
}

static void __attribute__((format(printf, 2, 3))) jb_fmt(struct jb *b, const char *fmt, ...)
{
	size_t room;
	va_list ap;
	int n;

	if (b->full)
		return;
	room = b->size - b->pos;
	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->pos, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room) {
		b->full = 1;
		b->buf[b->pos] = '\0';
		return;
	}
	b->pos += (size_t)n;
}

static int jb_init(struct jb *b, char *buf, size_t len)
{
	if (!buf || !len)
		return -ENOSPC;
	b->buf = buf;
	b->size = len;
	b->pos = 0;
	b->full = 0;
	buf[0] = '\0';
	return 0;
}

static int jb_done(struct jb *b)
{
	if (b->full) {
		b->buf[0] = '\0';
		return -ENOSPC;
	}
	return (int)b->pos;
}

static void jb_escaped(struct jb *b, const void *src, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = src;
	char esc[7];
	size_t i;

	for (i = 0; i < n && !b->full; i++) {
		unsigned char c = s[i];

		switch (c) {
		case '"':
			jb_raw(b, "\\\"", 2);
			continue;
		case '\\':
			jb_raw(b, "\\\\", 2);
			continue;
		case '\b':
			jb_raw(b, "\\b", 2);
			continue;
		case '\f':
			jb_raw(b, "\\f", 2);
			continue;
		case '\n':
			jb_raw(b, "\\n", 2);
			continue;
		case '\r':
			jb_raw(b, "\\r", 2);
			continue;
		case '\t':
			jb_raw(b, "\\t", 2);
			continue;
		}
		if (c >= 0x20 && c < 0x7f) {
			jb_raw(b, (const char *)&c, 1);
			continue;
		}
		/*
		 * Controls must be escaped (RFC 8259 7); DEL and bytes >= 0x80
		 * are, too, as the code point of the same value, since they
		 * need not be valid UTF-8.
		 */
		memcpy(esc, "\\u00", 4);
		esc[4] = hex[c >> 4];
		esc[5] = hex[c & 15];
		jb_raw(b, esc, 6);
	}
}

/* A quoted string, or null. */
static void jb_str(struct jb *b, const char *s)
{
	if (!s) {
		jb_raw(b, "null", 4);
		return;
	}
	jb_raw(b, "\"", 1);
	jb_escaped(b, s, strlen(s));
	jb_raw(b, "\"", 1);
}

static void jb_key(struct jb *b, const char *key, int first)
{
	if (!first)
		jb_raw(b, ",", 1);
	jb_str(b, key);
	jb_raw(b, ":", 1);
}

int json_escape(char *dst, size_t len, const void *src, size_t n)
{
	struct jb b;
	int err;

	err = jb_init(&b, dst, len);
	if (err)
		return err;
	jb_escaped(&b, src, n);
	return jb_done(&b);
}

int json_rfc3339(char *buf, size_t len, const struct timespec *wall)
{
	struct tm tm;
	time_t sec;
	struct jb b;
	long ns;
	int err;

	err = jb_init(&b, buf, len);
	if (err)
		return err;
	sec = wall->tv_sec;
	ns = wall->tv_nsec;
	if (ns < 0 || ns > 999999999)
		ns = 0;
	if (!gmtime_r(&sec, &tm)) {
		b.full = 1;
		return jb_done(&b);
	}
	/* Microseconds truncated, as tcpdump and pcap files have them. */
	jb_fmt(&b, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
	       tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ns / 1000);
	return jb_done(&b);
}

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

int json_event(char *buf, size_t len, const struct rst_event *e, const struct json_info *info)
{
	char ts[40], src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], flags[12];
	int af = e->family == AF_INET6 ? AF_INET6 : AF_INET;
	struct jb b;
	int err;

	err = jb_init(&b, buf, len);
	if (err)
		return err;
	if (!info || !info->wall || json_rfc3339(ts, sizeof(ts), info->wall) < 0)
		return -EINVAL;
	if (!inet_ntop(af, e->saddr, src, sizeof(src)) ||
	    !inet_ntop(af, e->daddr, dst, sizeof(dst)))
		return -EINVAL;
	json_tcp_flags(flags, sizeof(flags), e->tcp_flags);

	jb_raw(&b, "{", 1);
	jb_key(&b, "ts", 1);
	jb_str(&b, ts);
	jb_key(&b, "iface", 0);
	jb_str(&b, info->ifname);
	jb_key(&b, "ifindex", 0);
	jb_fmt(&b, "%u", e->ifindex);
	jb_key(&b, "dir", 0);
	jb_str(&b, e->dir == RST_DIR_OUT ? "out" : "in");
	jb_key(&b, "hook", 0);
	jb_str(&b, hook_name(e->hook));
	jb_key(&b, "family", 0);
	jb_str(&b, family_name(e->family));
	jb_key(&b, "src", 0);
	jb_str(&b, src);
	jb_key(&b, "sport", 0);
	jb_fmt(&b, "%u", e->sport);
	jb_key(&b, "dst", 0);
	jb_str(&b, dst);
	jb_key(&b, "dport", 0);
	jb_fmt(&b, "%u", e->dport);
	jb_key(&b, "flags", 0);
	jb_str(&b, flags);
	jb_key(&b, "seq", 0);
	jb_fmt(&b, "%u", e->seq);
	jb_key(&b, "ack", 0);
	jb_fmt(&b, "%u", e->ack);
	jb_key(&b, "win", 0);
	jb_fmt(&b, "%u", e->win);
	jb_key(&b, "len", 0);
	jb_fmt(&b, "%u", e->payload_len);
	jb_key(&b, "ttl", 0);
	jb_fmt(&b, "%u", e->ttl);
	jb_key(&b, "ip_id", 0);
	jb_fmt(&b, "%u", e->ip_id);
	jb_key(&b, "pkt_len", 0);
	jb_fmt(&b, "%u", e->pkt_len);
	jb_key(&b, "snap_len", 0);
	jb_fmt(&b, "%u", e->snap_len);
	jb_key(&b, "vlan", 0);
	jb_raw(&b, e->ev_flags & RST_EV_VLAN ? "true" : "false", e->ev_flags & RST_EV_VLAN ? 4 : 5);
	jb_key(&b, "class", 0);
	jb_str(&b, info->class);
	jb_key(&b, "reason", 0);
	jb_str(&b, info->reason);
	jb_key(&b, "state", 0);
	jb_str(&b, info->state);
	jb_raw(&b, "}\n", 2);
	return jb_done(&b);
}
