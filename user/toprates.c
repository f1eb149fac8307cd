// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "toprates.h"
#include "util.h"

static __u32 key_hash(const struct rst_host_key *k)
{
	const __u8 *b = (const __u8 *)k;
	__u32 h = 2166136261u;
	size_t i;

	/* FNV-1a over the key bytes (the pad bytes are zero, the BPF side clears them). */
	for (i = 0; i < sizeof(*k); i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	return h;
}

/* Index the previous sample's keys so each current host finds its old counts in O(1). */
static int index_build(struct top_state *st, const struct map_dump *prev)
{
	size_t cap = 1024, i;
	__u32 h;

	while (cap < prev->n * 2)
		cap *= 2;
	if (cap > st->index_cap) {
		free(st->index);
		st->index = calloc(cap, sizeof(*st->index));
		if (!st->index) {
			st->index_cap = 0;
			return -ENOMEM;
		}
		st->index_cap = cap;
	} else {
		cap = st->index_cap;
		memset(st->index, 0, cap * sizeof(*st->index));
	}
	for (i = 0; i < prev->n; i++) {
		h = key_hash(map_dump_key(prev, i)) & (cap - 1);
		while (st->index[h])
			h = (h + 1) & (cap - 1);
		st->index[h] = (__u32)i + 1;
	}
	return 0;
}

static const struct rst_host_val *index_find(const struct top_state *st,
					     const struct map_dump *prev,
					     const struct rst_host_key *k)
{
	size_t cap = st->index_cap;
	__u32 h = key_hash(k) & (cap - 1), e;

	while ((e = st->index[h])) {
		if (!memcmp(map_dump_key(prev, e - 1), k, sizeof(*k)))
			return map_dump_val(prev, e - 1);
		h = (h + 1) & (cap - 1);
	}
	return NULL;
}

static double rate(__u64 cur, __u64 prev, int fresh, double secs)
{
	/* A counter that went backwards belongs to a new entry: count it whole. */
	__u64 d = (fresh || cur < prev) ? cur : cur - prev;

	return secs > 0 ? (double)d / secs : 0.0;
}

int host_row_cmp(const void *a, const void *b)
{
	const struct host_row *x = a, *y = b;
	double rx = x->rst_in_ps + x->rst_out_ps, ry = y->rst_in_ps + y->rst_out_ps;
	__u64 tx = x->v.rst_in + x->v.rst_out, ty = y->v.rst_in + y->v.rst_out;

	if (rx != ry)
		return rx > ry ? -1 : 1;
	if (tx != ty)
		return tx > ty ? -1 : 1;
	if (x->key.family != y->key.family)
		return x->key.family < y->key.family ? -1 : 1;
	return memcmp(x->key.addr, y->key.addr, sizeof(x->key.addr));
}

static double grate(const struct rst_totals *c, const struct rst_totals *p, int idx, double secs)
{
	return rate(c->c[idx], p->c[idx], 0, secs);
}

int top_read(struct top_state *st, int counters_fd, int hosts_fd)
{
	struct top_sample *cur, *prev;
	const struct rst_host_val *old;
	struct host_row *r;
	double secs;
	size_t i;
	int err;

	st->cur = st->n_samples ? !st->cur : 0;
	cur = &st->s[st->cur];
	prev = &st->s[!st->cur];
	cur->mono_ns = now_mono_ns();
	err = counters_read(counters_fd, &cur->tot, NULL, 0, NULL);
	if (!err)
		err = map_dump_read(hosts_fd, sizeof(struct rst_host_key),
				    sizeof(struct rst_host_val), &cur->hosts);
	if (err)
		return err;
	st->n_samples++;
	st->n_rows = 0;
	if (st->n_samples < 2)
		return 0;

	secs = (double)(cur->mono_ns - prev->mono_ns) / 1e9;
	st->elapsed = secs;
	st->rst_ps = grate(&cur->tot, &prev->tot, RST_C_RST, secs) +
		     grate(&cur->tot, &prev->tot, RST_C_RSTACK, secs);
	st->syn_ps = grate(&cur->tot, &prev->tot, RST_C_SYN, secs);
	st->fin_ps = grate(&cur->tot, &prev->tot, RST_C_FIN, secs);
	st->ev_delivered_ps = grate(&cur->tot, &prev->tot, RST_C_EV_SENT, secs);
	st->ev_ring_full_ps = grate(&cur->tot, &prev->tot, RST_C_EV_RINGFULL, secs);
	st->ev_sampled_ps = grate(&cur->tot, &prev->tot, RST_C_EV_SAMPLED, secs);
	st->ev_rate_limited_ps = grate(&cur->tot, &prev->tot, RST_C_EV_RATELIM, secs);
	st->ev_filtered_ps = grate(&cur->tot, &prev->tot, RST_C_EV_FILTERED, secs);

	err = index_build(st, &prev->hosts);
	if (err)
		return err;
	if (cur->hosts.n > st->rows_cap) {
		free(st->rows);
		st->rows = malloc(cur->hosts.n * sizeof(*st->rows));
		if (!st->rows) {
			st->rows_cap = 0;
			return -ENOMEM;
		}
		st->rows_cap = cur->hosts.n;
	}
	for (i = 0; i < cur->hosts.n; i++) {
		static const struct rst_host_val zero;
		int fresh;

		r = &st->rows[i];
		memcpy(&r->key, map_dump_key(&cur->hosts, i), sizeof(r->key));
		memcpy(&r->v, map_dump_val(&cur->hosts, i), sizeof(r->v));
		old = index_find(st, &prev->hosts, &r->key);
		fresh = !old || old->first_ns != r->v.first_ns;
		if (!old)
			old = &zero;
		r->rst_in_ps = rate(r->v.rst_in, old->rst_in, fresh, secs);
		r->rst_out_ps = rate(r->v.rst_out, old->rst_out, fresh, secs);
		r->syn_ps = rate(r->v.syn_in + r->v.syn_out, old->syn_in + old->syn_out, fresh, secs);
		r->fin_ps = rate(r->v.fin_in + r->v.fin_out, old->fin_in + old->fin_out, fresh, secs);
	}
	st->n_rows = cur->hosts.n;
	qsort(st->rows, st->n_rows, sizeof(*st->rows), host_row_cmp);
	return 0;
}

void top_free(struct top_state *st)
{
	map_dump_free(&st->s[0].hosts);
	map_dump_free(&st->s[1].hosts);
	free(st->index);
	free(st->rows);
	memset(st, 0, sizeof(*st));
}
