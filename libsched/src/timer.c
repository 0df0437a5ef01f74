/*
 * Loop timers, and the heap phase they share with scheduler timer tasks:
 * due entries leave the heap in (deadline, start order); loop timers go to
 * the due list and fire in the timer phase, tasks go to their ready queue.
 */
#include "internal.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Timers are cut from slabs of SLAB_SLOTS slots, each slot a multiple of
 * a cache line and line-aligned, so that what the dispatch reads (the
 * struct's first 64 bytes) is one line, and timers made together sit
 * together. Slabs are freed with the loop. */
#define SLAB_SLOTS 64
#define SLOT_SIZE ((sizeof(lsched_timer) + 63) & ~(size_t)63)

/* What the dispatch reads of a one-shot timer is the slot's first line. */
_Static_assert(offsetof(lsched_timer, destroyed) < 64,
	       "the timer's dispatch fields leave its first cache line");

struct lsched__timer_slab {
	struct lsched__timer_slab *next;
	/* The slots follow, from the first line boundary after this. */
};

static lsched_timer *slot_get(lsched_loop *loop)
{
	struct lsched__timer_slab *slab;

	if (lsched__list_empty(&loop->timer_spare)) {
		uintptr_t slots;

		/* malloc (not aligned_alloc): what test_oom wraps. */
		slab = malloc(sizeof(*slab) + 63 + SLAB_SLOTS * SLOT_SIZE);
		if (!slab)
			return NULL;
		slab->next = loop->timer_slabs;
		loop->timer_slabs = slab;
		slots = ((uintptr_t)(slab + 1) + 63) & ~(uintptr_t)63;
		for (size_t i = 0; i < SLAB_SLOTS; i++) {
			lsched_timer *tm =
				(lsched_timer *)(slots + i * SLOT_SIZE);

			lsched__list_push_tail(&loop->timer_spare,
					       &tm->all_link);
		}
	}
	return lsched__container_of(loop->timer_spare.next, lsched_timer,
				    all_link);
}

static lsched_timer *timer_of(struct lsched__heap_node *n)
{
	return lsched__container_of(n, lsched_timer, node);
}

/* Moves the live slots of loop->due to its front (when a batch would not
 * fit behind them: slots of timers stopped since keep their place until
 * fired over). Room is reserved for every timer, each live at most once. */
static void due_compact(lsched_loop *loop)
{
	uint32_t j = 0;

	for (uint32_t i = loop->due_head; i < loop->due_tail; i++) {
		lsched_timer *tm = loop->due[i];

		if (!tm)
			continue;
		tm->due_slot = j;
		loop->due[j++] = tm;
	}
	loop->due_head = 0;
	loop->due_tail = j;
}

void lsched__collect_due(lsched_loop *loop)
{
	struct lsched__heap *h = &loop->timers;
	uint32_t k = lsched__heap_take_due(h, loop->now);
	const struct lsched__heap_entry *e;

	if (!k)
		return;
	if (loop->due_head == loop->due_tail)
		loop->due_head = loop->due_tail = 0;
	else if (loop->due_cap - loop->due_tail < k)
		due_compact(loop);
	/* The taken entries sit at h->v[h->n + k - 1] down to h->v[h->n],
	 * first due first; each node is touched once, prefetched ahead. */
	for (e = &h->v[h->n + k - 1]; k; k--, e--) {
		struct lsched__heap_node *n = e->node;

		if (k > 8)
			__builtin_prefetch(e[-8].node, 1);
		n->index = LSCHED__HEAP_NONE;
		if (n->kind == LSCHED__NODE_TASK) {
			lsched_task *t =
				lsched__container_of(n, lsched_task, tnode);

			lsched__task_make_ready(t, n->key);
			LSCHED_TRACE(task_wake, loop, t->id, t->prio, n->key,
				     loop->now, loop->now - n->key);
		} else {
			lsched_timer *tm = timer_of(n);

			tm->on_due = true;
			tm->due_slot = loop->due_tail;
			loop->due[loop->due_tail++] = tm;
			loop->due_live++;
		}
	}
}

static void arm(lsched_timer *tm, int64_t deadline)
{
	lsched_loop *loop = tm->loop;

	tm->deadline = deadline;
	tm->node.key = deadline;
	tm->node.seq = ++loop->seq;
	lsched__heap_push(&loop->timers, &tm->node);
}

static void unqueue(lsched_timer *tm)
{
	if (lsched__heap_node_queued(&tm->node))
		lsched__heap_remove(&tm->loop->timers, &tm->node);
	if (tm->on_due) {
		tm->loop->due[tm->due_slot] = NULL;
		tm->loop->due_live--;
		tm->on_due = false;
	}
}

/* Re-arms a recurring timer that just fell due, before its callback runs,
 * so that the callback may stop or restart it. */
static void rearm_period(lsched_timer *tm, int64_t now)
{
	int64_t next = lsched__add_sat(tm->deadline, tm->period);

	tm->missed = 0;
	if (tm->mode == LSCHED_CATCHUP_SKIP && next <= now) {
		int64_t k = (now - tm->deadline) / tm->period;

		tm->missed = (uint64_t)k;
		next = lsched__add_sat(tm->deadline + k * tm->period, tm->period);
	}
	arm(tm, next);
}

static void timer_free(lsched_timer *tm)
{
	lsched_loop *loop = tm->loop;

	lsched__list_remove(&tm->all_link);
	lsched__heap_unreserve(&loop->timers);
	loop->ntimers--;
	lsched__list_push_tail(&loop->timer_spare, &tm->all_link);
}

unsigned lsched__fire_due_timers(lsched_loop *loop)
{
	unsigned fired = 0;

	/* loop->due is read afresh each time: a callback may make timers
	 * (which may move it) or run a nested cycle (which fires some). */
	while (loop->due_head < loop->due_tail) {
		uint32_t ahead = loop->due_head + 8;
		lsched_timer *tm = loop->due[loop->due_head++];

		if (ahead < loop->due_tail && loop->due[ahead])
			__builtin_prefetch(loop->due[ahead], 1);
		if (!tm)
			continue; /* stopped since it fell due */
		loop->due_live--;
		tm->on_due = false;
		if (tm->period > 0)
			rearm_period(tm, loop->now);
		else
			tm->active = false;
		tm->firing = true;
		fired++;
		tm->cb(tm, tm->arg);
		tm->firing = false;
		if (tm->destroyed)
			timer_free(tm);
		if (atomic_load_explicit(&loop->stop, memory_order_relaxed))
			break;
	}
	return fired;
}

void lsched__timer_free_all(lsched_loop *loop)
{
	while (!lsched__list_empty(&loop->timerlist)) {
		lsched_timer *tm = lsched__container_of(
			loop->timerlist.next, lsched_timer, all_link);

		unqueue(tm);
		timer_free(tm);
	}
	free(loop->due);
	loop->due = NULL;
	loop->due_cap = 0;
	while (loop->timer_slabs) {
		struct lsched__timer_slab *slab = loop->timer_slabs;

		loop->timer_slabs = slab->next;
		free(slab);
	}
	lsched__list_init(&loop->timer_spare);
}

/* Room in loop->due for one more timer; 0 or -ENOMEM. */
static int due_reserve(lsched_loop *loop)
{
	lsched_timer **v;
	uint32_t cap;

	if (loop->ntimers < loop->due_cap)
		return 0;
	cap = loop->due_cap ? loop->due_cap * 2 : 16;
	if (cap < loop->due_cap)
		return -ENOMEM;
	v = realloc(loop->due, (size_t)cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	loop->due = v;
	loop->due_cap = cap;
	return 0;
}

lsched_timer *lsched_timer_new(lsched_loop *loop, lsched_timer_cb cb,
			       void *arg)
{
	lsched_timer *tm;

	if (!loop || !cb) {
		errno = EINVAL;
		return NULL;
	}
	if (due_reserve(loop) || lsched__heap_reserve(&loop->timers))
		goto out_nomem;
	if (!(tm = slot_get(loop))) {
		lsched__heap_unreserve(&loop->timers);
		goto out_nomem;
	}
	lsched__list_remove(&tm->all_link);
	memset(tm, 0, sizeof(*tm));
	loop->ntimers++;
	tm->node.index = LSCHED__HEAP_NONE;
	tm->node.kind = LSCHED__NODE_TIMER;
	tm->loop = loop;
	tm->cb = cb;
	tm->arg = arg;
	lsched__list_push_tail(&loop->timerlist, &tm->all_link);
	return tm;

out_nomem:
	errno = ENOMEM;
	return NULL;
}

int lsched_timer_start(lsched_timer *timer, int64_t timeout_ns,
		       int64_t period_ns, enum lsched_catchup mode)
{
	if (!timer || timer->destroyed || timeout_ns < 0 || period_ns < 0 ||
	    (mode != LSCHED_CATCHUP_SKIP && mode != LSCHED_CATCHUP_EACH))
		return -EINVAL;
	unqueue(timer);
	timer->period = period_ns;
	timer->mode = (uint8_t)mode;
	timer->missed = 0;
	timer->active = true;
	arm(timer, lsched__add_sat(lsched__loop_fresh_now(timer->loop),
				   timeout_ns));
	return 0;
}

int lsched_timer_set_callback(lsched_timer *timer, lsched_timer_cb cb,
			      void *arg)
{
	if (!timer || timer->destroyed || !cb)
		return -EINVAL;
	timer->cb = cb;
	timer->arg = arg;
	return 0;
}

int lsched_timer_stop(lsched_timer *timer)
{
	if (!timer)
		return -EINVAL;
	unqueue(timer);
	timer->active = false;
	return 0;
}

void lsched_timer_destroy(lsched_timer *timer)
{
	if (!timer || timer->destroyed)
		return;
	unqueue(timer);
	timer->active = false;
	if (timer->firing) {
		timer->destroyed = true; /* freed when the callback returns */
		return;
	}
	timer_free(timer);
}

bool lsched_timer_is_active(const lsched_timer *timer)
{
	return timer && timer->active;
}

int64_t lsched_timer_deadline(const lsched_timer *timer)
{
	if (!timer)
		return -EINVAL;
	return timer->active ? timer->deadline : -ENOENT;
}

uint64_t lsched_timer_missed(const lsched_timer *timer)
{
	return timer ? timer->missed : 0;
}

lsched_loop *lsched_timer_loop(const lsched_timer *timer)
{
	return timer ? timer->loop : NULL;
}
