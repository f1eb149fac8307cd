// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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
static int index_build(struct top_state *st, const struct top_sample *prev)
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
		h = key_hash(&prev->recs[i].key) & (cap - 1);
		while (st->index[h])
			h = (h + 1) & (cap - 1);
		st->index[h] = (__u32)i + 1;
	}
	return 0;
}

static const struct host_rec *index_find(const struct top_state *st, const struct top_sample *prev,
					 const struct rst_host_key *k)
{
	size_t cap = st->index_cap;
	__u32 h = key_hash(k) & (cap - 1), e;

	while ((e = st->index[h])) {
		if (!memcmp(&prev->recs[e - 1].key, k, sizeof(*k)))
			return &prev->recs[e - 1];
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

const char *const top_sort_names[TOP_SORT_MAX] = {
	[TOP_SORT_RATE] = "RST/s",
	[TOP_SORT_IN] = "RST/s in",
	[TOP_SORT_OUT] = "RST/s out",
	[TOP_SORT_SYN] = "SYN/s",
};

/* The rate a sort key ranks by, of rates ps[] (in, out, syn, fin). */
static double sort_val(int sort, const double ps[4])
{
	switch (sort) {
	case TOP_SORT_IN:
		return ps[0];
	case TOP_SORT_OUT:
		return ps[1];
	case TOP_SORT_SYN:
		return ps[2];
	}
	return ps[0] + ps[1];
}

static double row_val(int sort, const struct host_row *r)
{
	const double ps[4] = { r->rst_in_ps, r->rst_out_ps, r->syn_ps, r->fin_ps };

	return sort_val(sort, ps);
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

#define ROW_CMP(name, sort)                                                                        \
	static int name(const void *a, const void *b)                                              \
	{                                                                                          \
		const struct host_row *x = a, *y = b;                                              \
                                                                                                   \
		return order(row_val(sort, x), &x->key, &x->v, row_val(sort, y), &y->key, &y->v);  \
	}

ROW_CMP(cmp_in, TOP_SORT_IN)
ROW_CMP(cmp_out, TOP_SORT_OUT)
ROW_CMP(cmp_syn, TOP_SORT_SYN)

topn_cmp_fn host_row_cmp_for(int sort)
{
	switch (sort) {
	case TOP_SORT_IN:
		return cmp_in;
	case TOP_SORT_OUT:
		return cmp_out;
	case TOP_SORT_SYN:
		return cmp_syn;
	}
	return host_row_cmp;
}

void top_resort(struct top_state *st, int sort)
{
	st->sort = sort;
	if (st->rows && st->n_rows)
		qsort(st->rows, st->n_rows, sizeof(*st->rows), host_row_cmp_for(sort));
}

double host_interval_ratio(const struct host_row *r)
{
	/* Rates over one interval: their quotient is the quotient of the deltas. */
	return r->syn_ps > 0 ? (r->rst_in_ps + r->rst_out_ps) / r->syn_ps : NAN;
}

/*
 * Keep the host k/v with these rates if it is among the best st->limit
 * (0: keep all): once that many are kept, a host that does not sort
 * before the worst of them is passed over before its row is built, so
 * most hosts cost a single comparison and no write; the rows are copies,
 * the batch they came from is reused.
 */
static int offer(struct top_state *st, const struct rst_host_key *k, const struct rst_host_val *v,
		 const double ps[4])
{
	const struct host_row *w = topn_worst(&st->best);
	struct host_row r;

	if (w && order(sort_val(st->sort, ps), k, v, row_val(st->sort, w), &w->key, &w->v) >= 0)
		return 0;
	r.key = *k;
	r.v = *v;
	r.rst_in_ps = ps[0];
	r.rst_out_ps = ps[1];
	r.syn_ps = ps[2];
	r.fin_ps = ps[3];
	return topn_add(&st->best, &r) < 0 ? -ENOMEM : 0;
}

/* A batch of the host map: each host recorded in the newest sample, and rated against the last. */
static int top_batch(void *ctx, const struct map_dump *b)
{
	static const struct host_rec zero;
	struct top_state *st = ctx;
	struct top_sample *cur = &st->s[st->cur], *prev = &st->s[!st->cur];
	/* Nothing will rate against a last sample: rate and rank only. */
	int keep = !st->last || !st->n_samples, err, fresh;
	const struct host_rec *old;
	size_t i, t, j;
	double ps[4];

	if (keep && cur->n + b->n > cur->cap) {
		size_t cap = cur->n + b->n < 4096 ? 4096 : 2 * (cur->n + b->n);
		void *p = map_buf_resize(cur->recs, cur->cap * sizeof(*cur->recs),
					 cap * sizeof(*cur->recs));

		if (!p)
			return -ENOMEM;
		cur->recs = p;
		cur->cap = cap;
	}
	for (i = 0; i < b->n; i++) {
		const struct rst_host_key *k = map_dump_key(b, i);
		const struct rst_host_val *v = map_dump_val(b, i);

		st->n_hosts++;
		if (keep) {
			struct host_rec *rec = &cur->recs[cur->n++];

			rec->key = *k;
			rec->pad = 0;
			rec->first_ns = v->first_ns;
			rec->rst_in = v->rst_in;
			rec->rst_out = v->rst_out;
			rec->syn = v->syn_in + v->syn_out;
			rec->fin = v->fin_in + v->fin_out;
		}
		if (st->n_samples < 1)
			continue; /* the first sample: nothing to rate against */
		/*
		 * A batch read walks the buckets in order, so two reads list
		 * nearly the same keys in the same order: follow the previous
		 * read with a cursor (streaming, cache friendly) and hash only
		 * when the cursor loses the key.
		 */
		old = NULL;
		j = st->cursor;
		for (t = 0; t < 4 && j + t < prev->n; t++) {
			if (!memcmp(&prev->recs[j + t].key, k, sizeof(*k))) {
				old = &prev->recs[j + t];
				st->cursor = j + t + 1;
				break;
			}
		}
		if (!old && prev->n) {
			if (!st->indexed) {
				err = index_build(st, prev);
				if (err)
					return err;
				st->indexed = 1;
			}
			old = index_find(st, prev, k);
			if (old)
				st->cursor = (size_t)(old - prev->recs) + 1;
		}
		fresh = !old || old->first_ns != v->first_ns;
		if (!old)
			old = &zero;
		ps[0] = rate(v->rst_in, old->rst_in, fresh, st->secs);
		ps[1] = rate(v->rst_out, old->rst_out, fresh, st->secs);
		ps[2] = rate(v->syn_in + v->syn_out, old->syn, fresh, st->secs);
		ps[3] = rate(v->fin_in + v->fin_out, old->fin, fresh, st->secs);
		err = offer(st, k, v, ps);
		if (err)
			return err;
	}
	return 0;
}

static double grate(const struct rst_totals *c, const struct rst_totals *p, int idx, double secs)
{
	return rate(c->c[idx], p->c[idx], 0, secs);
}

int top_read(struct top_state *st, int counters_fd, int hosts_fd, size_t limit)
{
	struct top_sample *cur, *prev;
	int err;

	st->cur = st->n_samples ? !st->cur : 0;
	cur = &st->s[st->cur];
	prev = &st->s[!st->cur];
	cur->mono_ns = now_mono_ns();
	cur->n = 0;
	st->rows = NULL;
	st->n_rows = 0;
	if (!st->best.size)
		topn_init(&st->best, sizeof(struct host_row), limit, host_row_cmp);
	else
		topn_restart(&st->best, limit);
	/* The sort key may have changed since the last read (a key press in top). */
	st->best.cmp = host_row_cmp_for(st->sort);
	st->n_hosts = 0;
	err = counters_read(counters_fd, &cur->tot, NULL, 0, NULL);
	if (err)
		return err;
	/* The rates need the window before the hosts are read. */
	st->secs = st->n_samples ? (double)(cur->mono_ns - prev->mono_ns) / 1e9 : 0;
	st->limit = limit;
	st->cursor = 0;
	st->indexed = 0;
	err = hosts_dump_each(hosts_fd, &st->batch, top_batch, st);
	if (err) {
		topn_restart(&st->best, limit);
		return err;
	}
	st->n_samples++;
	if (st->n_samples < 2)
		return 0;

	st->elapsed = st->secs;
	st->rst_ps = grate(&cur->tot, &prev->tot, RST_C_RST, st->secs) +
		     grate(&cur->tot, &prev->tot, RST_C_RSTACK, st->secs);
	st->syn_ps = grate(&cur->tot, &prev->tot, RST_C_SYN, st->secs);
	st->fin_ps = grate(&cur->tot, &prev->tot, RST_C_FIN, st->secs);
	st->ev_delivered_ps = grate(&cur->tot, &prev->tot, RST_C_EV_SENT, st->secs);
	st->ev_ring_full_ps = grate(&cur->tot, &prev->tot, RST_C_EV_RINGFULL, st->secs);
	st->ev_sampled_ps = grate(&cur->tot, &prev->tot, RST_C_EV_SAMPLED, st->secs);
	st->ev_rate_limited_ps = grate(&cur->tot, &prev->tot, RST_C_EV_RATELIM, st->secs);
	st->ev_filtered_ps = grate(&cur->tot, &prev->tot, RST_C_EV_FILTERED, st->secs);
	topn_sort(&st->best);
	st->rows = st->best.rows;
	st->n_rows = st->best.n;
	return 0;
}

static void sample_free(struct top_sample *s)
{
	if (s->recs)
		munmap(s->recs, s->cap * sizeof(*s->recs));
}

void top_free(struct top_state *st)
{
	sample_free(&st->s[0]);
	sample_free(&st->s[1]);
	map_dump_free(&st->batch);
	free(st->index);
	topn_free(&st->best);
	memset(st, 0, sizeof(*st));
}
