/*
 * Loop timers, and the heap phase they share with scheduler timer tasks:
 * due entries leave the heap in (deadline, start order); loop timers go to
 * the due list and fire in the timer phase, tasks go to their ready queue.
 */
#include "internal.h"

#include <stdlib.h>

static lsched_timer *timer_of(struct lsched__heap_node *n)
{
	return lsched__container_of(n, lsched_timer, node);
}

void lsched__collect_due(lsched_loop *loop)
{
	struct lsched__heap_node *n;

	while ((n = lsched__heap_min(&loop->timers)) && n->key <= loop->now) {
		lsched__heap_remove(&loop->timers, n);
		if (n->kind == LSCHED__NODE_TASK) {
			lsched_task *t =
				lsched__container_of(n, lsched_task, tnode);

			lsched__task_make_ready(t, n->key);
			LSCHED_TRACE(task_wake, loop, t->id, t->prio, n->key,
				     loop->now, loop->now - n->key);
		} else {
			lsched_timer *tm = timer_of(n);

			tm->on_due = true;
			lsched__list_push_tail(&loop->due, &tm->due_link);
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
		lsched__list_remove(&tm->due_link);
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
	lsched__list_remove(&tm->all_link);
	lsched__heap_unreserve(&tm->loop->timers);
	free(tm);
}

unsigned lsched__fire_due_timers(lsched_loop *loop)
{
	unsigned fired = 0;

	while (!lsched__list_empty(&loop->due)) {
		lsched_timer *tm = lsched__container_of(loop->due.next,
							lsched_timer, due_link);

		lsched__list_remove(&tm->due_link);
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
}

lsched_timer *lsched_timer_new(lsched_loop *loop, lsched_timer_cb cb,
			       void *arg)
{
	lsched_timer *tm;

	if (!loop || !cb) {
		errno = EINVAL;
		return NULL;
	}
	tm = calloc(1, sizeof(*tm));
	if (!tm)
		goto out_nomem;
	if (lsched__heap_reserve(&loop->timers))
		goto out_free;
	tm->node.index = LSCHED__HEAP_NONE;
	tm->node.kind = LSCHED__NODE_TIMER;
	lsched__list_init(&tm->due_link);
	tm->loop = loop;
	tm->cb = cb;
	tm->arg = arg;
	lsched__list_push_tail(&loop->timerlist, &tm->all_link);
	return tm;

out_free:
	free(tm);
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
