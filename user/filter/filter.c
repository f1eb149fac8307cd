// SPDX-License-Identifier: GPL-2.0
/*
 * The filter expression: libpcap compiles and runs it on every event's
 * snapshot (the truth), and a small recogniser turns the plain host / net /
 * port part of the pcap-filter(7) language into kernel rules.
 *
 * The recogniser follows pcap's grammar where it accepts anything:
 * "and" and "or" have equal precedence and associate to the left, "not"
 * binds tightest, a bare value inherits the qualifiers of the primitive
 * before it ("port 80 or 443"), and "src or dst" / "src and dst" are
 * direction qualifiers. Everything else (names to resolve, other
 * protocols, byte offsets, portrange, ...) makes it give up, and then the
 * kernel delivers every RST and userspace filters alone. The result is put
 * in disjunctive normal form, the shape bpf/evfilter.bpf.h evaluates.
 * tests/unit/test_filter.c checks it against pcap_offline_filter().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <pcap/pcap.h>

#include "filter.h"
#include "log.h"

int filter_compile_str(struct rst_filter *f, const char *expr)
{
	struct bpf_program *prog;
	pcap_t *p;

	memset(f, 0, sizeof(*f));
	if (!expr || !*expr)
		return 0;
	f->expr = strdup(expr);
	prog = calloc(1, sizeof(*prog));
	p = pcap_open_dead(DLT_EN10MB, FILTER_SNAPLEN);
	if (!f->expr || !prog || !p) {
		if (p)
			pcap_close(p);
		free(prog);
		filter_free(f);
		return -ENOMEM;
	}
	/* Optimised, netmask 0: what tcpdump passes without -f. */
	if (pcap_compile(p, prog, f->expr, 1, 0) < 0) {
		pr_warn("%s", pcap_geterr(p));
		pcap_close(p);
		free(prog);
		filter_free(f);
		return -EINVAL;
	}
	pcap_close(p);
	f->prog = prog;
	return 0;
}

int filter_compile(struct rst_filter *f, char *const *words, int n)
{
	size_t len = 0, off = 0;
	char *expr;
	int i, err;

	memset(f, 0, sizeof(*f));
	if (n <= 0)
		return 0;
	for (i = 0; i < n; i++)
		len += strlen(words[i]) + 1;
	expr = malloc(len);
	if (!expr)
		return -ENOMEM;
	/* tcpdump's copy_argv(): the words joined by one space. */
	for (i = 0; i < n; i++) {
		size_t l = strlen(words[i]);

		memcpy(expr + off, words[i], l);
		off += l;
		expr[off++] = i + 1 < n ? ' ' : '\0';
	}
	err = filter_compile_str(f, expr);
	free(expr);
	return err;
}

int filter_match(const struct rst_filter *f, const struct rst_event *e)
{
	struct pcap_pkthdr h = {};

	if (!f || !f->prog)
		return 1;
	if (!e->snap_len)
		return 0;
	h.caplen = e->snap_len < RST_SNAPLEN_MAX ? e->snap_len : RST_SNAPLEN_MAX;
	h.len = e->pkt_len > h.caplen ? e->pkt_len : h.caplen;
	return pcap_offline_filter(f->prog, &h, e->snap) != 0;
}

void filter_free(struct rst_filter *f)
{
	if (f->prog) {
		pcap_freecode(f->prog);
		free(f->prog);
	}
	free(f->expr);
	memset(f, 0, sizeof(*f));
}

/* ---- the recogniser ------------------------------------------------------ */

#define MAX_TOKENS 128
#define MAX_NODES  128
#define WORD_MAX   64

enum { T_END, T_LP, T_RP, T_NOT, T_AND, T_OR, T_WORD };

struct tok {
	int type;
	char s[WORD_MAX];
};

enum { N_LIT, N_TRUE, N_AND, N_OR, N_NOT };

struct node {
	int op;
	struct node *a, *b;
	struct rst_evf_lit lit;
};

enum { P_NONE, P_IP, P_IP6, P_TCP };
enum { D_NONE, D_SRC, D_DST, D_EITHER, D_BOTH };
enum { Y_NONE, Y_HOST, Y_NET, Y_PORT };

struct qual {
	int proto, dir, type;
};

struct parser {
	struct tok tok[MAX_TOKENS];
	int n_tok, pos;
	struct node node[MAX_NODES];
	int n_node;
	struct qual last; /* qualifiers a bare value inherits */
	int have_last;
	char *why;
	size_t whylen;
	int failed;
};

static void __attribute__((format(printf, 2, 3))) give_up(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return;
	p->failed = 1;
	if (p->why && p->whylen) {
		va_start(ap, fmt);
		vsnprintf(p->why, p->whylen, fmt, ap);
		va_end(ap);
	}
}

static int is_delim(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ')' ||
	       c == '!' || c == '&' || c == '|';
}

static int tokenize(struct parser *p, const char *s)
{
	while (*s) {
		struct tok *t;
		size_t n = 0;

		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
			s++;
			continue;
		}
		if (p->n_tok >= MAX_TOKENS - 1) {
			give_up(p, "expression too long");
			return -1;
		}
		t = &p->tok[p->n_tok++];
		if (*s == '(' || *s == ')') {
			t->type = *s == '(' ? T_LP : T_RP;
			s++;
		} else if (*s == '!') {
			if (s[1] == '=') {
				give_up(p, "comparisons are not recognised");
				return -1;
			}
			t->type = T_NOT;
			s++;
		} else if ((s[0] == '&' && s[1] == '&') || (s[0] == '|' && s[1] == '|')) {
			t->type = s[0] == '&' ? T_AND : T_OR;
			s += 2;
		} else if (*s == '&' || *s == '|') {
			give_up(p, "arithmetic is not recognised");
			return -1;
		} else {
			while (s[n] && !is_delim(s[n]))
				n++;
			if (n >= WORD_MAX) {
				give_up(p, "word too long");
				return -1;
			}
			memcpy(t->s, s, n);
			t->s[n] = '\0';
			s += n;
			if (!strcmp(t->s, "and"))
				t->type = T_AND;
			else if (!strcmp(t->s, "or"))
				t->type = T_OR;
			else if (!strcmp(t->s, "not"))
				t->type = T_NOT;
			else
				t->type = T_WORD;
		}
	}
	p->tok[p->n_tok].type = T_END;
	return 0;
}

static const struct tok *peek(const struct parser *p, int ahead)
{
	int i = p->pos + ahead;

	return &p->tok[i < p->n_tok ? i : p->n_tok];
}

static struct node *mknode(struct parser *p, int op, struct node *a, struct node *b)
{
	struct node *n;

	if (p->failed)
		return NULL;
	if (p->n_node >= MAX_NODES) {
		give_up(p, "expression too long");
		return NULL;
	}
	n = &p->node[p->n_node++];
	memset(n, 0, sizeof(*n));
	n->op = op;
	n->a = a;
	n->b = b;
	return n;
}

static int word_is(const struct tok *t, const char *w)
{
	return t->type == T_WORD && !strcmp(t->s, w);
}

static int is_keyword(const char *s)
{
	static const char *const kw[] = { "ip", "ip6", "tcp", "src", "dst", "host", "net", "port" };
	size_t i;

	for (i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (!strcmp(s, kw[i]))
			return 1;
	return 0;
}

/* A decimal port, as pcap reads one (no sign, no leading zero, <= 65535). */
static int parse_port(const char *s, __u16 *out)
{
	unsigned long v = 0;
	const char *c;

	if (!*s || (s[0] == '0' && s[1]) || strlen(s) > 5)
		return -1;
	for (c = s; *c; c++) {
		if (*c < '0' || *c > '9')
			return -1;
		v = v * 10 + (unsigned long)(*c - '0');
	}
	if (v > 65535)
		return -1;
	*out = (__u16)v;
	return 0;
}

/* An address literal, with an optional /len for net; family AF_INET or AF_INET6. */
static int parse_addr(const char *s, int want_len, struct rst_evf_lit *l)
{
	char buf[WORD_MAX];
	const char *slash = strchr(s, '/');
	unsigned long len;
	int family, bits, i;
	char *end;

	snprintf(buf, sizeof(buf), "%s", s);
	if (slash) {
		if (!want_len)
			return -1;
		buf[slash - s] = '\0';
	} else if (want_len) {
		/* "net 10" is a classful network in pcap: not recognised. */
		return -1;
	}
	memset(l->addr, 0, sizeof(l->addr));
	if (inet_pton(AF_INET, buf, l->addr) == 1) {
		family = AF_INET;
		bits = 32;
	} else if (inet_pton(AF_INET6, buf, l->addr) == 1) {
		family = AF_INET6;
		bits = 128;
	} else {
		return -1;
	}
	len = bits;
	if (slash) {
		if (!slash[1] || slash[1] < '0' || slash[1] > '9')
			return -1;
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (errno || *end || len > (unsigned long)bits)
			return -1;
	}
	memset(l->mask, 0, sizeof(l->mask));
	for (i = 0; i < (int)len; i++)
		l->mask[i / 8] |= (__u8)(0x80 >> (i % 8));
	for (i = 0; i < 16; i++) {
		/* pcap refuses host bits in a net; never guess what was meant. */
		if (l->addr[i] & ~l->mask[i])
			return -1;
	}
	l->family = (__u8)family;
	return 0;
}

static struct node *lit_node(struct parser *p, __u8 kind)
{
	struct node *n = mknode(p, N_LIT, NULL, NULL);

	if (n)
		n->lit.kind = kind;
	return n;
}

static struct node *family_node(struct parser *p, int proto)
{
	struct node *n;

	if (proto == P_TCP)
		return mknode(p, N_TRUE, NULL, NULL);
	n = lit_node(p, RST_EVF_FAMILY);
	if (n)
		n->lit.family = proto == P_IP ? AF_INET : AF_INET6;
	return n;
}

static __u8 dir_flags(int dir)
{
	switch (dir) {
	case D_SRC:
		return RST_EVF_SRC;
	case D_DST:
		return RST_EVF_DST;
	case D_BOTH:
		return RST_EVF_BOTH;
	}
	return 0; /* D_NONE, D_EITHER: either endpoint */
}

/* The primitive for qualifiers q and value v. */
static struct node *value_node(struct parser *p, const struct qual *q, const char *v)
{
	struct node *n;

	switch (q->type) {
	case Y_HOST:
	case Y_NET:
		if (q->proto == P_TCP) {
			give_up(p, "'tcp %s' is not recognised",
				q->type == Y_HOST ? "host" : "net");
			return NULL;
		}
		n = lit_node(p, RST_EVF_ADDR);
		if (!n)
			return NULL;
		if (parse_addr(v, q->type == Y_NET, &n->lit)) {
			give_up(p, "'%s' is not a numeric %s", v,
				q->type == Y_NET ? "address/length" : "address");
			return NULL;
		}
		if ((q->proto == P_IP && n->lit.family != AF_INET) ||
		    (q->proto == P_IP6 && n->lit.family != AF_INET6)) {
			give_up(p, "address family does not match the protocol");
			return NULL;
		}
		n->lit.flags = dir_flags(q->dir);
		return n;
	case Y_PORT:
		n = lit_node(p, RST_EVF_PORT);
		if (!n)
			return NULL;
		if (parse_port(v, &n->lit.port)) {
			give_up(p, "'%s' is not a decimal port number", v);
			return NULL;
		}
		n->lit.flags = dir_flags(q->dir);
		/* "ip port 80" is IPv4 only; "tcp port" is every event's port. */
		if (q->proto == P_IP || q->proto == P_IP6)
			return mknode(p, N_AND, family_node(p, q->proto), n);
		return n;
	}
	give_up(p, "'%s' needs host, net or port", v);
	return NULL;
}

static struct node *parse_primitive(struct parser *p)
{
	struct qual q = { P_NONE, D_NONE, Y_NONE };
	const struct tok *t = peek(p, 0);
	int quals = 0;

	if (t->type != T_WORD) {
		give_up(p, "unexpected token");
		return NULL;
	}
	if (word_is(t, "ip") || word_is(t, "ip6") || word_is(t, "tcp")) {
		q.proto = word_is(t, "ip") ? P_IP : word_is(t, "ip6") ? P_IP6 : P_TCP;
		p->pos++;
		quals++;
	}
	t = peek(p, 0);
	if (word_is(t, "src") || word_is(t, "dst")) {
		int src = word_is(t, "src");
		const struct tok *op = peek(p, 1), *other = peek(p, 2);

		q.dir = src ? D_SRC : D_DST;
		p->pos++;
		if ((op->type == T_AND || op->type == T_OR) &&
		    word_is(other, src ? "dst" : "src")) {
			q.dir = op->type == T_AND ? D_BOTH : D_EITHER;
			p->pos += 2;
		}
		quals++;
	}
	t = peek(p, 0);
	if (word_is(t, "host") || word_is(t, "net") || word_is(t, "port")) {
		q.type = word_is(t, "host") ? Y_HOST : word_is(t, "net") ? Y_NET : Y_PORT;
		p->pos++;
		quals++;
	}
	t = peek(p, 0);
	if (!quals) {
		/* A bare value: the qualifiers of the primitive before it. */
		if (is_keyword(t->s)) {
			give_up(p, "'%s' is not recognised here", t->s);
			return NULL;
		}
		if (!p->have_last || p->last.type == Y_NONE) {
			give_up(p, "'%s' without host, net or port is not recognised", t->s);
			return NULL;
		}
		q = p->last;
	} else if (q.type == Y_NONE) {
		if (q.dir == D_NONE) {
			/* "ip", "ip6", "tcp" alone. */
			p->last = q;
			p->have_last = 1;
			return family_node(p, q.proto);
		}
		/* pcap's default type: "src 10.0.0.1" is "src host 10.0.0.1". */
		q.type = Y_HOST;
	}
	if (t->type != T_WORD || is_keyword(t->s)) {
		give_up(p, "missing value");
		return NULL;
	}
	p->pos++;
	p->last = q;
	p->have_last = 1;
	return value_node(p, &q, t->s);
}

static struct node *parse_expr(struct parser *p, int depth);

static struct node *parse_unary(struct parser *p, int depth)
{
	const struct tok *t = peek(p, 0);
	struct node *n;

	if (depth > 32) {
		give_up(p, "expression nested too deep");
		return NULL;
	}
	if (t->type == T_NOT) {
		p->pos++;
		n = parse_unary(p, depth + 1);
		return n ? mknode(p, N_NOT, n, NULL) : NULL;
	}
	if (t->type == T_LP) {
		p->pos++;
		n = parse_expr(p, depth + 1);
		if (!n)
			return NULL;
		if (peek(p, 0)->type != T_RP) {
			give_up(p, "unbalanced parentheses");
			return NULL;
		}
		p->pos++;
		return n;
	}
	return parse_primitive(p);
}

/* pcap: "and" and "or" have equal precedence and associate to the left. */
static struct node *parse_expr(struct parser *p, int depth)
{
	struct node *n = parse_unary(p, depth);

	while (n && (peek(p, 0)->type == T_AND || peek(p, 0)->type == T_OR)) {
		int op = peek(p, 0)->type == T_AND ? N_AND : N_OR;
		struct node *r;

		p->pos++;
		r = parse_unary(p, depth);
		if (!r)
			return NULL;
		n = mknode(p, op, n, r);
	}
	return n;
}

/* ---- disjunctive normal form ---------------------------------------------- */

/* An OR of terms, each an AND of literals. No terms: false; an empty term: true. */
struct dnf {
	int n;
	int len[RST_EVF_TERMS];
	struct rst_evf_lit t[RST_EVF_TERMS][RST_EVF_LITS];
};

static int dnf_is_true(const struct dnf *d)
{
	int i;

	for (i = 0; i < d->n; i++)
		if (d->len[i] == 0)
			return 1;
	return 0;
}

static void dnf_true(struct dnf *d)
{
	memset(d, 0, sizeof(*d));
	d->n = 1;
}

static int dnf_or(struct parser *p, struct dnf *out, const struct dnf *a, const struct dnf *b)
{
	int i;

	if (dnf_is_true(a) || dnf_is_true(b)) {
		dnf_true(out);
		return 0;
	}
	if (a->n + b->n > RST_EVF_TERMS) {
		give_up(p, "more than %d alternatives", RST_EVF_TERMS);
		return -1;
	}
	memset(out, 0, sizeof(*out));
	for (i = 0; i < a->n; i++) {
		out->len[out->n] = a->len[i];
		memcpy(out->t[out->n++], a->t[i], sizeof(a->t[i]));
	}
	for (i = 0; i < b->n; i++) {
		out->len[out->n] = b->len[i];
		memcpy(out->t[out->n++], b->t[i], sizeof(b->t[i]));
	}
	return 0;
}

static int dnf_and(struct parser *p, struct dnf *out, const struct dnf *a, const struct dnf *b)
{
	int i, j;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < a->n; i++) {
		for (j = 0; j < b->n; j++) {
			int k = out->n, la = a->len[i], lb = b->len[j];

			if (k >= RST_EVF_TERMS) {
				give_up(p, "more than %d alternatives", RST_EVF_TERMS);
				return -1;
			}
			if (la + lb > RST_EVF_LITS) {
				give_up(p, "more than %d conditions in one alternative",
					RST_EVF_LITS);
				return -1;
			}
			memcpy(out->t[k], a->t[i], la * sizeof(a->t[i][0]));
			memcpy(out->t[k] + la, b->t[j], lb * sizeof(b->t[j][0]));
			out->len[k] = la + lb;
			out->n++;
		}
	}
	if (dnf_is_true(out))
		dnf_true(out);
	return 0;
}

/* The DNF of n, negated if neg: negations are pushed down to the literals. */
static int to_dnf(struct parser *p, const struct node *n, int neg, struct dnf *out)
{
	struct dnf *a, *b;
	int err;

	switch (n->op) {
	case N_TRUE:
		if (neg)
			memset(out, 0, sizeof(*out)); /* false */
		else
			dnf_true(out);
		return 0;
	case N_LIT:
		memset(out, 0, sizeof(*out));
		out->n = 1;
		out->len[0] = 1;
		out->t[0][0] = n->lit;
		if (neg)
			out->t[0][0].flags ^= RST_EVF_NOT;
		return 0;
	case N_NOT:
		return to_dnf(p, n->a, !neg, out);
	}
	/* A DNF is 1.3 KB: off the stack, since the recursion may go deep. */
	a = malloc(sizeof(*a));
	b = malloc(sizeof(*b));
	err = -1;
	if (!a || !b) {
		give_up(p, "out of memory");
		goto out;
	}
	if (to_dnf(p, n->a, neg, a) || to_dnf(p, n->b, neg, b))
		goto out;
	/* De Morgan: not (x and y) = not x or not y, and the converse. */
	if ((n->op == N_AND) != !!neg)
		err = dnf_and(p, out, a, b);
	else
		err = dnf_or(p, out, a, b);
out:
	free(a);
	free(b);
	return err;
}

int filter_kernel_rules(const char *expr, struct rst_evfilter *out, char *why, size_t whylen)
{
	struct parser *p;
	struct dnf *d = NULL;
	struct node *root;
	int i, err = -EOPNOTSUPP;

	memset(out, 0, sizeof(*out));
	if (why && whylen)
		why[0] = '\0';
	if (!expr || !*expr)
		return 0;
	p = calloc(1, sizeof(*p));
	d = calloc(1, sizeof(*d));
	if (!p || !d) {
		free(p);
		free(d);
		return -ENOMEM;
	}
	p->why = why;
	p->whylen = whylen;
	if (tokenize(p, expr))
		goto out;
	root = parse_expr(p, 0);
	if (!root || p->failed)
		goto out;
	if (peek(p, 0)->type != T_END) {
		give_up(p, "unexpected '%s'", peek(p, 0)->type == T_RP ? ")" : peek(p, 0)->s);
		goto out;
	}
	if (to_dnf(p, root, 0, d))
		goto out;
	if (dnf_is_true(d)) {
		/* Every TCP packet matches: nothing for the kernel to do. */
		err = 0;
		goto out;
	}
	if (d->n == 0) {
		/* Nothing matches: one literal no event satisfies (family 0). */
		out->n_terms = 1;
		out->lit[0][0].kind = RST_EVF_FAMILY;
		err = 0;
		goto out;
	}
	out->n_terms = (__u32)d->n;
	for (i = 0; i < d->n; i++)
		memcpy(out->lit[i], d->t[i], d->len[i] * sizeof(d->t[i][0]));
	err = 0;
out:
	free(p);
	free(d);
	return err;
}
