/* Array-backed binary min-heap; see heap.h. */
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
		struct lsched__heap_node **v;

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

static inline bool less(const struct lsched__heap_node *a,
			const struct lsched__heap_node *b)
{
	return a->key < b->key || (a->key == b->key && a->seq < b->seq);
}

static inline void place(struct lsched__heap *h, uint32_t i,
			 struct lsched__heap_node *n)
{
	h->v[i] = n;
	n->index = i;
}

static void sift_up(struct lsched__heap *h, uint32_t i,
		    struct lsched__heap_node *n)
{
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (!less(n, h->v[parent]))
			break;
		place(h, i, h->v[parent]);
		i = parent;
	}
	place(h, i, n);
}

static void sift_down(struct lsched__heap *h, uint32_t i,
		      struct lsched__heap_node *n)
{
	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && less(h->v[c + 1], h->v[c]))
			c++;
		if (!less(h->v[c], n))
			break;
		place(h, i, h->v[c]);
		i = c;
	}
	place(h, i, n);
}

void lsched__heap_push(struct lsched__heap *h, struct lsched__heap_node *n)
{
	/* Capacity was reserved when n's owner was created. */
	sift_up(h, h->n++, n);
}

void lsched__heap_remove(struct lsched__heap *h, struct lsched__heap_node *n)
{
	uint32_t i = n->index;
	struct lsched__heap_node *last;

	n->index = LSCHED__HEAP_NONE;
	last = h->v[--h->n];
	if (last == n)
		return;
	/* Put the last node in the hole and restore order in its direction. */
	if (i > 0 && less(last, h->v[(i - 1) / 2]))
		sift_up(h, i, last);
	else
		sift_down(h, i, last);
}
