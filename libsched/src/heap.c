/* Array-backed 4-ary min-heap with the keys in the array; see heap.h. */
#include "heap.h"

#include <errno.h>
#include <stdlib.h>

void lsched__heap_init(struct lsched__heap *h)
{
	h->v = NULL;
	h->n = h->cap = h->reserved = 0;
}

void lsched__heap_fini(struct lsched__heap *h)
{
	free(h->v);
	lsched__heap_init(h);
}

int lsched__heap_reserve(struct lsched__heap *h)
{
	if (h->reserved == UINT32_MAX - 1)
		return -ENOMEM;
	if (h->reserved + 1 > h->cap) {
		uint32_t cap = h->cap ? h->cap * 2 : 16;
		struct lsched__heap_entry *v;

		if (cap < h->cap)
			return -ENOMEM;
		v = realloc(h->v, (size_t)cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	h->reserved++;
	return 0;
}

void lsched__heap_unreserve(struct lsched__heap *h)
{
	h->reserved--;
}

static inline bool less(const struct lsched__heap_entry *a,
			const struct lsched__heap_entry *b)
{
	/* Both halves evaluated (no branch): sifts pick the least of four
	 * children with conditional moves, the keys being random. */
	return (a->key < b->key) | ((a->key == b->key) & (a->seq < b->seq));
}

static inline void place(struct lsched__heap *h, uint32_t i,
			 const struct lsched__heap_entry *e)
{
	h->v[i] = *e;
	e->node->index = i;
}

#define ARITY 4

static void sift_up(struct lsched__heap *h, uint32_t i,
		    const struct lsched__heap_entry *e)
{
	while (i > 0) {
		uint32_t parent = (i - 1) / ARITY;

		if (!less(e, &h->v[parent]))
			break;
		place(h, i, &h->v[parent]);
		i = parent;
	}
	place(h, i, e);
}

static void sift_down(struct lsched__heap *h, uint32_t i,
		      const struct lsched__heap_entry *e)
{
	for (;;) {
		uint32_t first = ARITY * i + 1, end, c;

		if (first >= h->n)
			break;
		end = h->n - first < ARITY ? h->n : first + ARITY;
		c = first;
		for (uint32_t k = first + 1; k < end; k++)
			if (less(&h->v[k], &h->v[c]))
				c = k;
		if (!less(&h->v[c], e))
			break;
		place(h, i, &h->v[c]);
		i = c;
	}
	place(h, i, e);
}

/* Fills the hole at the root with e, writing no node's index (the bulk
 * path of lsched__heap_take_due()): the hole goes down to a leaf along the
 * least children, then e rises from there, which takes fewer comparisons
 * than sifting e down, since e (the last leaf) mostly belongs near the
 * bottom. */
static void pop_bottom_up(struct lsched__heap *h,
			  const struct lsched__heap_entry *e)
{
	struct lsched__heap_entry *v = h->v;
	uint32_t i = 0, n = h->n;

	for (;;) {
		uint32_t first = ARITY * i + 1, c = first;

		if (first + ARITY <= n) {
			c = less(&v[first + 1], &v[c]) ? first + 1 : c;
			c = less(&v[first + 2], &v[c]) ? first + 2 : c;
			c = less(&v[first + 3], &v[c]) ? first + 3 : c;
		} else if (first < n) {
			for (uint32_t k = first + 1; k < n; k++)
				c = less(&v[k], &v[c]) ? k : c;
		} else {
			break;
		}
		v[i] = v[c];
		i = c;
	}
	while (i > 0) {
		uint32_t parent = (i - 1) / ARITY;

		if (!less(e, &v[parent]))
			break;
		v[i] = v[parent];
		i = parent;
	}
	v[i] = *e;
}

void lsched__heap_push(struct lsched__heap *h, struct lsched__heap_node *n)
{
	struct lsched__heap_entry e = { n->key, n->seq, n };

	/* Capacity was reserved when n's owner was created. */
	sift_up(h, h->n++, &e);
}

void lsched__heap_remove(struct lsched__heap *h, struct lsched__heap_node *n)
{
	uint32_t i = n->index;
	struct lsched__heap_entry last;

	n->index = LSCHED__HEAP_NONE;
	last = h->v[--h->n];
	if (last.node == n)
		return;
	/* Put the last entry in the hole and restore order in its direction. */
	if (i > 0 && less(&last, &h->v[(i - 1) / ARITY]))
		sift_up(h, i, &last);
	else
		sift_down(h, i, &last);
}

/* How many entries have key <= limit, counting no further than cap: a walk
 * of the due subtree at the top (they form one, by heap order), in
 * preorder by index arithmetic, reading only the array. */
static uint32_t count_due(const struct lsched__heap *h, int64_t limit,
			  uint32_t cap)
{
	uint32_t i = 0, count = 0;

	if (!h->n || h->v[0].key > limit)
		return 0;
	for (;;) {
		uint32_t c = ARITY * i + 1;

		/* i is due. */
		if (++count > cap)
			return count;
		if (c < h->n && h->v[c].key <= limit) {
			i = c;
			continue;
		}
		/* The next due sibling of i or of an ancestor. */
		for (;;) {
			if (i == 0)
				return count;
			if ((i - 1) % ARITY != ARITY - 1 && i + 1 < h->n) {
				i++;
				if (h->v[i].key <= limit)
					break;
				continue;
			}
			i = (i - 1) / ARITY;
		}
	}
}

uint32_t lsched__heap_take_due(struct lsched__heap *h, int64_t limit)
{
	uint32_t k = 0, due;
	bool bulk;

	if (!h->n || h->v[0].key > limit)
		return 0;
	/* Each pop's sift-down writes the index of every entry it moves into
	 * that entry's node, a node anywhere in memory: about log4(n) writes
	 * per pop. When a large share is due, pop without them and write
	 * the index of each entry left once at the end. */
	due = count_due(h, limit, h->n / 8);
	bulk = due > h->n / 8;
	while (h->n && h->v[0].key <= limit) {
		struct lsched__heap_entry top = h->v[0];
		struct lsched__heap_entry last = h->v[--h->n];

		if (!h->n)
			;
		else if (bulk)
			pop_bottom_up(h, &last);
		else
			sift_down(h, 0, &last);
		/* The freed slot at the end keeps the taken entry. */
		h->v[h->n] = top;
		k++;
	}
	if (bulk)
		for (uint32_t i = 0; i < h->n; i++)
			h->v[i].node->index = i;
	return k;
}
