/*
 * Min-heap of intrusive nodes ordered by (key, seq): equal keys come out in
 * insertion order. It is 4-ary, and its array holds each node's key and
 * seq beside the node's pointer, so that a sift compares entries that sit
 * together in memory instead of reaching every node (with 100k timers
 * scattered in memory, that was a cache miss per comparison); a node's key
 * and seq must not change while it is queued. Each node knows its index,
 * so removal is O(log n). Capacity is reserved when an object that may
 * enter the heap is created (lsched__heap_reserve), so pushing never
 * allocates and never fails.
 */
#ifndef LSCHED_HEAP_H
#define LSCHED_HEAP_H

#include <stdbool.h>
#include <stdint.h>

#define LSCHED__HEAP_NONE UINT32_MAX

enum lsched__node_kind { LSCHED__NODE_TIMER = 1, LSCHED__NODE_TASK };

struct lsched__heap_node {
	int64_t key;
	uint64_t seq;
	uint32_t index; /* LSCHED__HEAP_NONE when not in a heap */
	uint8_t kind;   /* enum lsched__node_kind */
};

struct lsched__heap_entry {
	int64_t key;  /* copies of the node's */
	uint64_t seq;
	struct lsched__heap_node *node;
};

struct lsched__heap {
	struct lsched__heap_entry *v;
	uint32_t n;
	uint32_t cap;
	uint32_t reserved;
};

void lsched__heap_init(struct lsched__heap *h);
void lsched__heap_fini(struct lsched__heap *h);
/* Reserves room for one more node; 0 or -ENOMEM. */
int lsched__heap_reserve(struct lsched__heap *h);
void lsched__heap_unreserve(struct lsched__heap *h);
void lsched__heap_push(struct lsched__heap *h, struct lsched__heap_node *n);
void lsched__heap_remove(struct lsched__heap *h, struct lsched__heap_node *n);
/*
 * Takes every node whose key is at most limit out of the heap at once and
 * returns how many, k. They are left in h->v[h->n + k - 1] down to
 * h->v[h->n], the first in (key, seq) order at the top, valid until the
 * next push. Their nodes' indices are NOT updated: the caller sets each to
 * LSCHED__HEAP_NONE (or queues it again) while it walks them, touching
 * each node once. When a large share of the heap is due, the nodes left
 * get their indices written once at the end instead of at every move.
 */
uint32_t lsched__heap_take_due(struct lsched__heap *h, int64_t limit);

static inline struct lsched__heap_node *
lsched__heap_min(const struct lsched__heap *h)
{
	return h->n ? h->v[0].node : (struct lsched__heap_node *)0;
}

static inline bool lsched__heap_node_queued(const struct lsched__heap_node *n)
{
	return n->index != LSCHED__HEAP_NONE;
}

#endif /* LSCHED_HEAP_H */
