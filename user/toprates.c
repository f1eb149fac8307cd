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

static const struct rst_host_val *
index_find(const struct top_state *st, const struct map_dump *prev, const struct rst_host_key *k)
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

/* The one ordering, on rates and the entry behind them. */
static int order(double rx, const struct rst_host_key *kx, const struct rst_host_val *vx, double ry,
		 const struct rst_host_key *ky, const struct rst_host_val *vy)
{
	__u64 tx = vx->rst_in + vx->rst_out, ty = vy->rst_in + vy->rst_out;

	if (rx != ry)
		return rx > ry ? -1 : 1;
	if (tx != ty)
		return tx > ty ? -1 : 1;
	if (kx->family != ky->family)
		return kx->family < ky->family ? -1 : 1;
	return memcmp(kx->addr, ky->addr, sizeof(kx->addr));
}

int host_row_cmp(const void *a, const void *b)
{
	const struct host_row *x = a, *y = b;

	return order(x->rst_in_ps + x->rst_out_ps, &x->key, &x->v, y->rst_in_ps + y->rst_out_ps,
		     &y->key, &y->v);
}

static int cand_cmp(const void *a, const void *b, void *ctx)
{
	const struct top_cand *x = a, *y = b;
	const struct map_dump *d = ctx;

	return order(x->rst_in_ps + x->rst_out_ps, map_dump_key(d, x->idx), map_dump_val(d, x->idx),
		     y->rst_in_ps + y->rst_out_ps, map_dump_key(d, y->idx),
		     map_dump_val(d, y->idx));
}

/*
 * Keep the first k candidates in c[0..k) as a heap whose root sorts last,
 * so each further candidate costs one comparison unless it belongs in.
 */
static void heap_down(struct top_cand *h, size_t n, size_t i, const struct map_dump *d)
{
	struct top_cand t;
	size_t w, l;

	for (;;) {
		w = i;
		l = 2 * i + 1;
		if (l < n && cand_cmp(&h[l], &h[w], (void *)d) > 0)
			w = l;
		if (l + 1 < n && cand_cmp(&h[l + 1], &h[w], (void *)d) > 0)
			w = l + 1;
		if (w == i)
			return;
		t = h[i];
		h[i] = h[w];
		h[w] = t;
		i = w;
	}
}

/*
 * Keep x if it is among the best k seen (k 0: keep all) in h[0..*n): a
 * heap once full, its root the one that sorts last, so most hosts cost a
 * single comparison and no write.
 */
static void offer(struct top_cand *h, size_t *n, size_t k, const struct top_cand *x,
		  const struct map_dump *d)
{
	size_t i;

	if (!k || *n < k) {
		h[(*n)++] = *x;
		if (k && *n == k)
			for (i = k / 2; i-- > 0;)
				heap_down(h, k, i, d);
		return;
	}
	if (cand_cmp(x, &h[0], (void *)d) < 0) {
		h[0] = *x;
		heap_down(h, k, 0, d);
	}
}

static double grate(const struct rst_totals *c, const struct rst_totals *p, int idx, double secs)
{
	return rate(c->c[idx], p->c[idx], 0, secs);
}

static int grow(void **buf, size_t *cap, size_t want, size_t elem)
{
	void *n;

	if (want <= *cap)
		return 0;
	n = realloc(*buf, want * elem);
	if (!n)
		return -ENOMEM;
	*buf = n;
	*cap = want;
	return 0;
}

int top_read(struct top_state *st, int counters_fd, int hosts_fd, size_t limit)
{
	static const struct rst_host_val zero;
	const struct rst_host_val *old, *v;
	struct top_sample *cur, *prev;
	struct top_cand *c;
	struct host_row *r;
	size_t i, j, t, n;
	int err, fresh, indexed;
	double secs;

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
	st->n_hosts = cur->hosts.n;
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

	n = limit && limit < cur->hosts.n ? limit : cur->hosts.n;
	err = grow((void **)&st->cand, &st->cand_cap, n ? n : 1, sizeof(*st->cand));
	if (err)
		return err;
	for (i = 0, j = 0, n = 0, indexed = 0; i < cur->hosts.n; i++) {
		const struct rst_host_key *k = map_dump_key(&cur->hosts, i);
		struct top_cand x;

		c = &x;
		v = map_dump_val(&cur->hosts, i);
		/*
		 * A batch read walks the buckets in order, so two reads list
		 * nearly the same keys in the same order: follow the previous
		 * read with a cursor (streaming, cache friendly) and hash only
		 * when the cursor loses the key.
		 */
		old = NULL;
		for (t = 0; t < 4 && j + t < prev->hosts.n; t++) {
			if (!memcmp(map_dump_key(&prev->hosts, j + t), k, sizeof(*k))) {
				old = map_dump_val(&prev->hosts, j + t);
				j += t + 1;
				break;
			}
		}
		if (!old && prev->hosts.n) {
			if (!indexed) {
				err = index_build(st, &prev->hosts);
				if (err)
					return err;
				indexed = 1;
			}
			old = index_find(st, &prev->hosts, k);
			if (old)
				j = ((const char *)old - (const char *)prev->hosts.vals) /
					    prev->hosts.val_size +
				    1;
		}
		fresh = !old || old->first_ns != v->first_ns;
		if (!old)
			old = &zero;
		c->idx = (__u32)i;
		c->rst_in_ps = rate(v->rst_in, old->rst_in, fresh, secs);
		c->rst_out_ps = rate(v->rst_out, old->rst_out, fresh, secs);
		c->syn_ps = rate(v->syn_in + v->syn_out, old->syn_in + old->syn_out, fresh, secs);
		c->fin_ps = rate(v->fin_in + v->fin_out, old->fin_in + old->fin_out, fresh, secs);
		offer(st->cand, &n, limit, c, &cur->hosts);
	}
	qsort_r(st->cand, n, sizeof(*st->cand), cand_cmp, &cur->hosts);
	err = grow((void **)&st->rows, &st->rows_cap, n ? n : 1, sizeof(*st->rows));
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		c = &st->cand[i];
		r = &st->rows[i];
		memcpy(&r->key, map_dump_key(&cur->hosts, c->idx), sizeof(r->key));
		memcpy(&r->v, map_dump_val(&cur->hosts, c->idx), sizeof(r->v));
		r->rst_in_ps = c->rst_in_ps;
		r->rst_out_ps = c->rst_out_ps;
		r->syn_ps = c->syn_ps;
		r->fin_ps = c->fin_ps;
	}
	st->n_rows = n;
	return 0;
}

void top_free(struct top_state *st)
{
	map_dump_free(&st->s[0].hosts);
	map_dump_free(&st->s[1].hosts);
	free(st->index);
	free(st->cand);
	free(st->rows);
	memset(st, 0, sizeof(*st));
}
