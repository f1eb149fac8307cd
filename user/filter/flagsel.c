// SPDX-License-Identifier: GPL-2.0
/*
 * Which TCP flag values a pcap-filter expression can pass (flagsel.h).
 * libpcap has compiled the expression into a classic BPF program; this
 * file runs that program abstractly, over frames whose bytes are known
 * only where the frame's structure fixes them (ethertypes, IP version and
 * header length, protocol, fragment offset 0, the TCP flag byte under
 * test) and unknown everywhere else: addresses, ports, sequence numbers,
 * lengths, payload. A value is a tnum (known bits, unknown bits), as the
 * kernel's verifier tracks registers; a jump whose outcome depends on
 * unknown bits follows both ways. A program that may return non-zero on
 * some path for a frame with flag byte v passes v. Every step that cannot
 * be followed precisely becomes unknown, never guessed, so the answer is a
 * superset: the kernel may send an event the expression then rejects in
 * userspace, never drop one it would have kept.
 *
 * The frames are every shape an event has (bpf/parse.bpf.h): no, one or
 * two VLAN tags (0x8100, 0x88a8 each), then IPv4 with IHL 5..15, or IPv6
 * with TCP next, or IPv6 with an extension header next (everything after
 * unknown: the flag byte is nowhere known, so it tells nothing about v).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <pcap/pcap.h>

#include "flagsel.h"
#include "log.h"
#include "rsttrace.h"

/* Known bits v, unknown bits m (v & m == 0), as the verifier's tnum. */
struct tn {
	__u32 v, m;
};

static const struct tn TN_UNKNOWN = { 0, 0xffffffffU };

static struct tn tn_const(__u32 v)
{
	return (struct tn){ v, 0 };
}

static struct tn tn_add(struct tn a, struct tn b)
{
	__u32 sm = a.m + b.m, sv = a.v + b.v, sigma = sm + sv, chi = sigma ^ sv;
	__u32 mu = chi | a.m | b.m;

	return (struct tn){ sv & ~mu, mu };
}

static struct tn tn_neg(struct tn a)
{
	/* -a = ~a + 1 */
	return tn_add((struct tn){ ~a.v & ~a.m, a.m }, tn_const(1));
}

static struct tn tn_and(struct tn a, struct tn b)
{
	__u32 alpha = a.v | a.m, beta = b.v | b.m, v = a.v & b.v;

	return (struct tn){ v, alpha & beta & ~v };
}

static struct tn tn_or(struct tn a, struct tn b)
{
	__u32 v = a.v | b.v, mu = a.m | b.m;

	return (struct tn){ v, mu & ~v };
}

static struct tn tn_xor(struct tn a, struct tn b)
{
	__u32 v = a.v ^ b.v, mu = a.m | b.m;

	return (struct tn){ v & ~mu, mu };
}

/* Frame bytes: known value and unknown-bit mask, per byte. */
#define FRAME_BYTES 128

struct aframe {
	__u8 v[FRAME_BYTES];
	__u8 m[FRAME_BYTES];
	int flag_at; /* offset of the TCP flag byte, -1: not known */
};

/* A load of size bytes at off, big-endian as BPF_LD; beyond the model: unknown. */
static struct tn load(const struct aframe *f, __u32 off, int size)
{
	struct tn r = { 0, 0 };
	int i;

	if (off >= FRAME_BYTES || off + (__u32)size > FRAME_BYTES)
		return TN_UNKNOWN;
	for (i = 0; i < size; i++) {
		r.v = r.v << 8 | f->v[off + i];
		r.m = r.m << 8 | f->m[off + i];
	}
	return r;
}

struct astate {
	struct tn a, x;
	struct tn mem[BPF_MEMWORDS];
};

struct arun {
	const struct bpf_insn *insn;
	u_int len;
	const struct aframe *f;
	long budget; /* steps left; out: the run may accept */
	int accept;
	int exhausted;
};

/* 1 taken, 0 not, -1 either. */
static int jump_outcome(__u16 op, struct tn a, struct tn b)
{
	__u32 amin = a.v, amax = a.v | a.m, bmin = b.v, bmax = b.v | b.m;

	switch (op) {
	case BPF_JEQ:
		if (!a.m && !b.m)
			return a.v == b.v;
		if ((a.v ^ b.v) & ~(a.m | b.m))
			return 0;
		return -1;
	case BPF_JGT:
		if (amin > bmax)
			return 1;
		if (amax <= bmin)
			return 0;
		return -1;
	case BPF_JGE:
		if (amin >= bmax)
			return 1;
		if (amax < bmin)
			return 0;
		return -1;
	case BPF_JSET:
		if (a.v & b.v)
			return 1;
		if (!((a.v | a.m) & (b.v | b.m)))
			return 0;
		return -1;
	}
	return -1;
}

static struct tn alu(__u16 op, struct tn a, struct tn b, int *reject)
{
	switch (op) {
	case BPF_ADD:
		return tn_add(a, b);
	case BPF_SUB:
		return tn_add(a, tn_neg(b));
	case BPF_AND:
		return tn_and(a, b);
	case BPF_OR:
		return tn_or(a, b);
	case BPF_XOR:
		return tn_xor(a, b);
	case BPF_LSH:
		if (b.m || b.v >= 32)
			return TN_UNKNOWN;
		return (struct tn){ a.v << b.v, a.m << b.v };
	case BPF_RSH:
		if (b.m || b.v >= 32)
			return TN_UNKNOWN;
		return (struct tn){ a.v >> b.v, a.m >> b.v };
	case BPF_NEG:
		return tn_neg(a);
	}
	if (a.m || b.m)
		return TN_UNKNOWN;
	switch (op) {
	case BPF_MUL:
		return tn_const(a.v * b.v);
	case BPF_DIV:
	case BPF_MOD:
		/* pcap_filter returns 0 on a division by zero. */
		if (!b.v) {
			*reject = 1;
			return TN_UNKNOWN;
		}
		return tn_const(op == BPF_DIV ? a.v / b.v : a.v % b.v);
	}
	return TN_UNKNOWN;
}

/* Run from pc with state s; sets r->accept when some path may return non-zero. */
static void arun_from(struct arun *r, u_int pc, struct astate s)
{
	while (!r->accept && !r->exhausted) {
		const struct bpf_insn *i;
		struct tn src;
		int reject = 0, out;

		if (pc >= r->len || --r->budget < 0) {
			/* Off the end or too long to follow: assume it may pass. */
			r->exhausted = pc < r->len;
			r->accept = 1;
			return;
		}
		i = &r->insn[pc++];
		switch (BPF_CLASS(i->code)) {
		case BPF_RET:
			src = BPF_RVAL(i->code) == BPF_A ? s.a : tn_const(i->k);
			if (src.v | src.m)
				r->accept = 1;
			return;
		case BPF_LD:
			switch (BPF_MODE(i->code)) {
			case BPF_IMM:
				s.a = tn_const(i->k);
				break;
			case BPF_MEM:
				s.a = i->k < BPF_MEMWORDS ? s.mem[i->k] : TN_UNKNOWN;
				break;
			case BPF_LEN:
				s.a = TN_UNKNOWN;
				break;
			case BPF_ABS:
			case BPF_IND: {
				int size = BPF_SIZE(i->code) == BPF_W	? 4
					   : BPF_SIZE(i->code) == BPF_H ? 2
									: 1;
				__u32 off = i->k;

				if (BPF_MODE(i->code) == BPF_IND) {
					if (s.x.m) {
						s.a = TN_UNKNOWN;
						break;
					}
					off += s.x.v;
				}
				s.a = load(r->f, off, size);
				break;
			}
			default:
				r->accept = 1;
				return;
			}
			break;
		case BPF_LDX:
			switch (BPF_MODE(i->code)) {
			case BPF_IMM:
				s.x = tn_const(i->k);
				break;
			case BPF_MEM:
				s.x = i->k < BPF_MEMWORDS ? s.mem[i->k] : TN_UNKNOWN;
				break;
			case BPF_LEN:
				s.x = TN_UNKNOWN;
				break;
			case BPF_MSH: {
				struct tn b = load(r->f, i->k, 1);

				b = tn_and(b, tn_const(0xf));
				s.x = (struct tn){ b.v << 2, b.m << 2 };
				break;
			}
			default:
				r->accept = 1;
				return;
			}
			break;
		case BPF_ST:
			if (i->k < BPF_MEMWORDS)
				s.mem[i->k] = s.a;
			break;
		case BPF_STX:
			if (i->k < BPF_MEMWORDS)
				s.mem[i->k] = s.x;
			break;
		case BPF_ALU:
			src = BPF_SRC(i->code) == BPF_X ? s.x : tn_const(i->k);
			s.a = alu(BPF_OP(i->code), s.a, src, &reject);
			if (reject)
				return;
			break;
		case BPF_JMP:
			if (BPF_OP(i->code) == BPF_JA) {
				pc += i->k;
				break;
			}
			src = BPF_SRC(i->code) == BPF_X ? s.x : tn_const(i->k);
			out = jump_outcome(BPF_OP(i->code), s.a, src);
			if (out < 0) {
				/* Both ways: the true branch on its own, then on with the false. */
				arun_from(r, pc + i->jt, s);
				pc += i->jf;
			} else {
				pc += out ? i->jt : i->jf;
			}
			break;
		case BPF_MISC:
			if (BPF_MISCOP(i->code) == BPF_TAX)
				s.x = s.a;
			else
				s.a = s.x;
			break;
		default:
			r->accept = 1;
			return;
		}
	}
}

/*
 * Steps one run may take, and all runs of one expression (about 30,000
 * runs): far beyond any expression typed by hand (the classic ones take
 * tens of steps a run); past them the answer is "every value".
 */
#define RUN_BUDGET   100000
#define TOTAL_BUDGET 50000000L

static int may_pass(const struct bpf_program *p, const struct aframe *f, long *total,
		    int *exhausted)
{
	struct arun r = { .insn = p->bf_insns, .len = p->bf_len, .f = f, .budget = RUN_BUDGET };
	struct astate s;
	int i;

	if (*total <= 0) {
		*exhausted = 1;
		return 1;
	}
	s.a = s.x = tn_const(0);
	for (i = 0; i < BPF_MEMWORDS; i++)
		s.mem[i] = tn_const(0);
	arun_from(&r, 0, s);
	*total -= RUN_BUDGET - (r.budget > 0 ? r.budget : 0);
	*exhausted |= r.exhausted;
	return r.accept;
}

static void set_known(struct aframe *f, int off, __u8 v, __u8 unknown)
{
	f->v[off] = v & ~unknown;
	f->m[off] = unknown;
}

/* One frame shape: tags TPIDs (0, 1 or 2), then l3 (4: IPv4 with ihl; 6: IPv6, next header nh). */
static void shape(struct aframe *f, const __u16 *tpid, int ntags, int l3, int ihl, __u8 nh)
{
	int off = 12, t;

	memset(f->v, 0, sizeof(f->v));
	memset(f->m, 0xff, sizeof(f->m));
	for (t = 0; t < ntags; t++) {
		set_known(f, off, tpid[t] >> 8, 0);
		set_known(f, off + 1, tpid[t] & 0xff, 0);
		off += 4;
	}
	set_known(f, off, l3 == 4 ? 0x08 : 0x86, 0);
	set_known(f, off + 1, l3 == 4 ? 0x00 : 0xdd, 0);
	off += 2;
	if (l3 == 4) {
		set_known(f, off, (__u8)(0x40 | ihl), 0);
		/* Flags unknown (DF, MF), fragment offset 0: non-first fragments are no events. */
		set_known(f, off + 6, 0, 0xe0);
		set_known(f, off + 7, 0, 0);
		set_known(f, off + 9, IPPROTO_TCP, 0);
		off += ihl * 4;
	} else {
		set_known(f, off, 0x60, 0x0f);
		set_known(f, off + 6, nh, 0);
		off += 40;
		if (nh != IPPROTO_TCP) {
			f->flag_at = -1;
			return;
		}
	}
	f->flag_at = off + 13 < FRAME_BYTES ? off + 13 : -1;
}

int flagsel_flag_values(const struct rst_filter *f, __u32 out[8])
{
	static const __u16 tp1[][2] = { { 0x8100 }, { 0x88a8 } };
	static const __u16 tp2[][2] = {
		{ 0x8100, 0x8100 }, { 0x8100, 0x88a8 }, { 0x88a8, 0x8100 }, { 0x88a8, 0x88a8 }
	};
	static const __u8 ext[] = { 0, 43, 44, 51, 60 };
	const struct bpf_program *p = f ? f->prog : NULL;
	const __u16 *tags[7];
	int ntags[7], nt = 0, t, l3, ihl, e, v, exhausted = 0;
	long total = TOTAL_BUDGET;
	struct aframe fr;

	memset(out, 0, 8 * sizeof(__u32));
	if (!p) {
		memset(out, 0xff, 8 * sizeof(__u32));
		return 0;
	}
	tags[nt] = NULL;
	ntags[nt++] = 0;
	for (t = 0; t < 2; t++) {
		tags[nt] = tp1[t];
		ntags[nt++] = 1;
	}
	for (t = 0; t < 4; t++) {
		tags[nt] = tp2[t];
		ntags[nt++] = 2;
	}
	for (t = 0; t < nt; t++) {
		for (l3 = 0; l3 < 11 + 1 + 5; l3++) {
			if (l3 < 11) {
				ihl = 5 + l3;
				shape(&fr, tags[t], ntags[t], 4, ihl, 0);
			} else if (l3 == 11) {
				shape(&fr, tags[t], ntags[t], 6, 0, IPPROTO_TCP);
			} else {
				e = l3 - 12;
				shape(&fr, tags[t], ntags[t], 6, 0, ext[e]);
			}
			if (fr.flag_at < 0) {
				/* Nothing known of the flags: a pass passes every value. */
				if (may_pass(p, &fr, &total, &exhausted))
					memset(out, 0xff, 8 * sizeof(__u32));
				continue;
			}
			for (v = 0; v < 256; v++) {
				if (out[v / 32] & (1U << (v % 32)))
					continue;
				set_known(&fr, fr.flag_at, (__u8)v, 0);
				if (may_pass(p, &fr, &total, &exhausted))
					out[v / 32] |= 1U << (v % 32);
			}
		}
	}
	if (exhausted) {
		memset(out, 0xff, 8 * sizeof(__u32));
		return -E2BIG;
	}
	return 0;
}

/* The kinds a packet of flag byte v belongs to (0: not a control packet). */
static __u32 kinds_of(int v)
{
	__u32 k = 0;

	if (v & RST_TCP_SYN)
		k |= (v & RST_TCP_ACK) ? EVK_SYNACK : EVK_SYN;
	if (v & RST_TCP_FIN)
		k |= EVK_FIN;
	if (v & RST_TCP_RST)
		k |= EVK_RST;
	return k;
}

__u32 flagsel_from_filter(const struct rst_filter *f, int *none)
{
	__u32 vals[8], best = EVK_DEFAULT, kinds;
	int v, best_cost = 1 << 30, cost, any = 0;

	*none = 0;
	if (flagsel_flag_values(f, vals))
		return EVK_DEFAULT;
	for (v = 0; v < 256; v++) {
		__u32 k = kinds_of(v);

		if (!(vals[v / 32] >> (v % 32) & 1))
			continue;
		/*
		 * It can pass a plain RST (nor SYN nor FIN with it): an RST
		 * expression, as every one that does not look at the flags;
		 * RSTs only, as always.
		 */
		if (k == EVK_RST)
			return EVK_DEFAULT;
		any |= !!k;
	}
	if (!any) {
		*none = 1;
		return EVK_DEFAULT;
	}
	/*
	 * Only SYN, SYN-ACK or FIN packets (an RST among them has one of
	 * those too): the kinds among these three that cover every control
	 * value it can pass (each has one of its kinds asked), at the least
	 * cost: the number of flag values the kernel then lets through.
	 */
	for (kinds = 1; kinds < EVK_RST; kinds++) {
		int covers = 1;

		cost = 0;
		for (v = 0; v < 256; v++) {
			__u32 k = kinds_of(v);

			if (k & kinds)
				cost++;
			if ((vals[v / 32] >> (v % 32) & 1) && k && !(k & kinds))
				covers = 0;
		}
		if (covers && cost < best_cost) {
			best_cost = cost;
			best = kinds;
		}
	}
	return best;
}

__u32 flagsel_cfg_bits(__u32 kinds)
{
	__u32 b = 0;

	if (kinds & EVK_SYN)
		b |= RST_CFG_EV_SYN;
	if (kinds & EVK_SYNACK)
		b |= RST_CFG_EV_SYNACK;
	if (kinds & EVK_FIN)
		b |= RST_CFG_EV_FIN;
	if (!(kinds & EVK_RST))
		b |= RST_CFG_EV_NORST;
	return b;
}

static const struct {
	const char *name;
	__u32 kinds;
} kind_names[] = {
	{ "syn", EVK_SYN }, { "synack", EVK_SYNACK }, { "fin", EVK_FIN },
	{ "rst", EVK_RST }, { "all", EVK_ALL },
};

int flagsel_parse(const char *opt, const char *list, __u32 *kinds)
{
	const char *s = list;
	__u32 k = 0;
	size_t i, n;

	while (*s) {
		n = strcspn(s, ",");
		for (i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
			if (strlen(kind_names[i].name) == n && !strncmp(s, kind_names[i].name, n))
				break;
		if (i == sizeof(kind_names) / sizeof(kind_names[0])) {
			pr_warn("invalid %s '%s': '%.*s' is not syn, synack, fin, rst or all", opt,
				list, (int)n, s);
			return -EINVAL;
		}
		k |= kind_names[i].kinds;
		s += n;
		if (*s == ',')
			s++;
	}
	if (!k) {
		pr_warn("invalid %s '%s': name at least one of syn, synack, fin, rst, all", opt,
			list);
		return -EINVAL;
	}
	*kinds = k;
	return 0;
}

const char *flagsel_names(__u32 kinds, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	/* The four single kinds, not "all". */
	for (i = 0; i < 4; i++)
		if (kinds & kind_names[i].kinds)
			off += snprintf(buf + off, off < len ? len - off : 0, "%s%s",
					off ? "," : "", kind_names[i].name);
	return buf;
}
