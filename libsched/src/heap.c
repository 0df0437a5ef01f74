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
	return a->key < b->key || (a->key == b->key && a->seq < b->seq);
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
