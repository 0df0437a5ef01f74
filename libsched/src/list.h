/* Intrusive circular doubly-linked list with a sentinel head. */
#ifndef LSCHED_LIST_H
#define LSCHED_LIST_H

#include <stdbool.h>

struct lsched__list {
	struct lsched__list *prev, *next;
};

static inline void lsched__list_init(struct lsched__list *l)
{
	l->prev = l->next = l;
}

static inline bool lsched__list_empty(const struct lsched__list *l)
{
	return l->next == l;
}

/* Inserts n before pos (at the tail when pos is the head). */
static inline void lsched__list_insert_before(struct lsched__list *pos,
					      struct lsched__list *n)
{
	n->prev = pos->prev;
	n->next = pos;
	pos->prev->next = n;
	pos->prev = n;
}

static inline void lsched__list_push_tail(struct lsched__list *head,
					  struct lsched__list *n)
{
	lsched__list_insert_before(head, n);
}

/* Unlinks n and leaves it self-linked, so a second remove is harmless. */
static inline void lsched__list_remove(struct lsched__list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}

#endif /* LSCHED_LIST_H */
