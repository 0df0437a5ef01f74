/*
 * The scheduler: tasks, per-priority ready queues, the task pass.
 *
 * Ready tasks sit in one FIFO per priority; a bit mask tells which queues
 * are non-empty, so the next task is found in O(1). Timer tasks wait in the
 * loop's timer heap and move to their ready queue when due. Ready tasks with
 * a maximum wait are also kept in the overdue heap, keyed by when their
 * wait runs out.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static atomic_uint_fast64_t next_task_id = 1;

static const char *const prio_names[LSCHED_PRIO_COUNT] = {
	"HIGHEST", "DEFAULT", "HIGH_IDLE", "RESIZE",
	"REPAINT", "POST_PAINT", "DEFAULT_IDLE", "LOWEST",
};

static bool is_repeating(const lsched_task *t)
{
	return t->kind == LSCHED_TASK_AUTO_IDLE ||
	       t->kind == LSCHED_TASK_AUTO_TIMER;
}

static bool is_timer(const lsched_task *t)
{
	return t->kind == LSCHED_TASK_TIMER ||
	       t->kind == LSCHED_TASK_AUTO_TIMER;
}

bool lsched__tasks_ready(const lsched_loop *loop)
{
	return loop->ready_mask != 0;
}

/* ---- queues --------------------------------------------------------------- */

void lsched__task_make_ready(lsched_task *t, int64_t ready_at)
{
	lsched_loop *loop = t->loop;
	struct lsched__list *q = &loop->ready[t->prio];

	t->queue = LSCHED__Q_READY;
	t->ready_at = ready_at;
	/* The tail's line is written by the push anyway: keeping the order
	 * flag costs a compare, and spares loop_check a walk of the queue. */
	if (q->prev != q &&
	    lsched__container_of(q->prev, lsched_task, link)->ready_at >
		    ready_at)
		loop->ready_unsorted |= 1u << t->prio;
	lsched__list_push_tail(q, &t->link);
	loop->ready_count[t->prio]++;
	loop->ready_mask |= 1u << t->prio;
	if ((t->hints & LSCHED__HINT_MAX_WAIT) && t->max_wait > 0) {
		t->onode.key = lsched__add_sat(ready_at, t->max_wait);
		t->onode.seq = ++loop->seq;
		lsched__heap_push(&loop->overdue, &t->onode);
	}
}

static void dequeue(lsched_task *t)
{
	lsched_loop *loop = t->loop;

	switch (t->queue) {
	case LSCHED__Q_HEAP:
		lsched__heap_remove(&loop->timers, &t->tnode);
		break;
	case LSCHED__Q_READY:
		lsched__list_remove(&t->link);
		if (--loop->ready_count[t->prio] == 0)
			loop->ready_mask &= ~(1u << t->prio);
		if ((t->hints & LSCHED__HINT_MAX_WAIT) &&
		    lsched__heap_node_queued(&t->onode))
			lsched__heap_remove(&loop->overdue, &t->onode);
		break;
	default:
		break;
	}
	t->queue = LSCHED__Q_NONE;
}

static int queue_state(const lsched_task *t)
{
	return t->queue == LSCHED__Q_HEAP    ? LSCHED_TP_STATE_WAITING
	       : t->queue == LSCHED__Q_READY ? LSCHED_TP_STATE_READY
					     : LSCHED_TP_STATE_IDLE;
}

/*
 * The trace sites of the hot path call these cold helpers with the task
 * only: the caller pays a test and a call in a cold block, and keeps its
 * registers for the fast path (see tracepoints/trace.h).
 */
/*
 * task_name, before a task's first traced enqueue or run of each name
 * epoch (LSCHED__TR_NAME_EPOCH_NS of loop time) and after its parent
 * changed: what the task events of schema 2 leave out, said once per task
 * and not in every event, yet again often enough that a flight recorder's
 * snapshot (ring buffers overwritten) names the tasks of its last epoch.
 */
#define LSCHED__TR_NAME_EPOCH_NS 100000000
static void trace_name(lsched_task *t)
{
	lsched_loop *loop = t->loop;

	if (loop->now >= loop->tr_name_until) {
		loop->tr_name_gen++;
		loop->tr_name_until =
			lsched__add_sat(loop->now, LSCHED__TR_NAME_EPOCH_NS);
	}
	if (t->tr_name_gen == loop->tr_name_gen)
		return;
	t->tr_name_gen = loop->tr_name_gen;
	LSCHED_TRACE(task_name, loop, t->id, t->name, t->kind, t->prio,
		     t->max_wait, t->parent ? t->parent->id : 0);
}

static __attribute__((noinline, cold)) void
trace_enqueue(lsched_task *t, int cause, int64_t due)
{
	const lsched_loop *loop = t->loop;

	trace_name(t);
	LSCHED_TRACE(task_enqueue, loop, t->id, t->name, t->prio, t->kind,
		     loop->now, due, t->max_wait, cause,
		     t->parent ? t->parent->id : 0);
}

/* lsched__loop_fresh_now() where the time lags, out of line: the start
 * path's callers keep their inlining (a plain start never needs it). */
static __attribute__((noinline, cold)) int64_t fresh_now_cold(lsched_loop *loop)
{
	return lsched__loop_fresh_now(loop);
}

/* Queues a task that is not queued: an idle becomes ready now, a timer
 * waits for deadline. cause: enum lsched_tp_cause, for the trace. */
static inline __attribute__((always_inline)) void
enqueue_at(lsched_task *t, int cause, int64_t deadline)
{
	lsched_loop *loop = t->loop;

	if (LSCHED_TRACE_ON(task_enqueue))
		trace_enqueue(t, cause, is_timer(t) ? deadline : loop->now);
	if (!is_timer(t)) {
		/* A plain task's ready time is only the trace's: the cached
		 * time will do (it lags by a few tasks at most); a maximum
		 * wait counts from the real one. */
		lsched__task_make_ready(t, __builtin_expect(
						   (t->hints &
						    LSCHED__HINT_MAX_WAIT) &&
							   t->max_wait > 0 &&
							   loop->now_stale,
						   0)
						   ? fresh_now_cold(loop)
						   : loop->now);
		return;
	}
	t->queue = LSCHED__Q_HEAP;
	t->tnode.key = deadline;
	t->tnode.seq = ++loop->seq;
	lsched__heap_push(&loop->timers, &t->tnode);
}

/* The same, a timer's deadline being now + its timeout (the time read
 * afresh if a task ended since: a lagging one would make it due early). */
static inline __attribute__((always_inline)) void
enqueue(lsched_task *t, int cause)
{
	int64_t now = __builtin_expect(is_timer(t) && t->loop->now_stale, 0)
			      ? fresh_now_cold(t->loop)
			      : t->loop->now;

	enqueue_at(t, cause, lsched__add_sat(now, t->timeout));
}

/* Takes a queued task out of line and says so in the trace (reason: enum
 * lsched_tp_stop). */
static void dequeue_stop(lsched_task *t, int reason)
{
	if (t->queue != LSCHED__Q_NONE)
		LSCHED_TRACE(task_stop, t->loop, t->id, t->prio, reason,
			     queue_state(t), t->loop->now);
	dequeue(t);
}

/*
 * The ready task of priority p that has waited longest: the queue's head
 * while the queue is in ready time order (ready_unsorted clear), else the
 * first of the earliest ready time found by a walk, which clears the flag
 * if it found the queue in order after all.
 */
static const lsched_task *oldest_ready(lsched_loop *loop, int p)
{
	const struct lsched__list *q = &loop->ready[p], *l;
	const lsched_task *best =
		lsched__container_of(q->next, lsched_task, link);
	int64_t last;
	bool sorted = true;

	if (!(loop->ready_unsorted & (1u << p)))
		return best;
	last = best->ready_at;
	for (l = q->next->next; l != q; l = l->next) {
		const lsched_task *t =
			lsched__container_of(l, lsched_task, link);

		if (t->ready_at < last)
			sorted = false;
		last = t->ready_at;
		if (t->ready_at < best->ready_at)
			best = t;
	}
	if (sorted)
		loop->ready_unsorted &= ~(1u << p);
	return best;
}

__attribute__((noinline, cold)) void
lsched__trace_loop_check(lsched_loop *loop, int kind, uint64_t id, int prio,
			 int64_t run, int64_t delay, int64_t now)
{
	const lsched_task *w = NULL;
	uint32_t mask = loop->ready_mask;
	int64_t wait = 0;

	/* From the lowest priority up, replaced only by an earlier ready
	 * time: of equal waits, the one that runs last is named. */
	int64_t ready_at = 0;
	const struct lsched__heap_node *top = lsched__heap_min(&loop->timers);

	while (mask) {
		int p = 31 - __builtin_clz(mask);
		const lsched_task *t = oldest_ready(loop, p);

		mask &= ~(1u << p);
		if (!w || t->ready_at < w->ready_at)
			w = t;
	}
	if (w)
		ready_at = w->ready_at;
	/* A timer task due but not collected yet (a run held the loop past
	 * its due time) is ready in all but name: its collection gives it
	 * its due time as ready time (lsched__collect_due()). The heap's top
	 * only: the earliest due entry. A loop timer there is not a task and
	 * is passed over, and with it any task due later beneath it. */
	if (top && top->kind == LSCHED__NODE_TASK && top->key <= now &&
	    (!w || top->key < ready_at)) {
		w = lsched__container_of(top, lsched_task, tnode);
		ready_at = top->key;
	}
	if (w && now > ready_at)
		wait = now - ready_at;
	LSCHED_TRACE(loop_check, loop, kind, id, prio, run, delay,
		     w ? w->id : 0, w ? w->prio : -1, wait, now);
}

/* ---- children ---------------------------------------------------------- */

static void stop_task(lsched_task *t, int reason);
static void start_task(lsched_task *t, int cause);

static void start_children(lsched_task *t)
{
	struct lsched__list *l;

	/* A child's start stops its own children only: it cannot reach the
	 * list being walked, since cycles are refused. */
	for (l = t->children.next; l != &t->children; l = l->next)
		start_task(lsched__container_of(l, lsched_task, sibling),
			   LSCHED_TP_CAUSE_CHILD);
}

static void stop_children(lsched_task *t)
{
	struct lsched__list *l;

	for (l = t->children.next; l != &t->children; l = l->next)
		stop_task(lsched__container_of(l, lsched_task, sibling),
			  LSCHED_TP_STOP_PARENT);
}

/*
 * A start of a ready task leaves it where it is: its place in its queue,
 * its ready time and so its max-wait deadline (VCL: Start() on an active
 * task does not move it; only the task that ran goes to the tail). Were it
 * moved, a task restarting itself and then another would keep running
 * ahead of that other, and a task restarted more often than its max wait
 * would never be rescued. A waiting timer is re-armed (VCL's
 * Timer::Start()). The trace still says RESTART, with the kept ready time
 * as its due time.
 */
static void start_task(lsched_task *t, int cause)
{
	switch (t->queue) {
	case LSCHED__Q_READY:
		if (LSCHED_TRACE_ON(task_enqueue))
			trace_enqueue(t, LSCHED_TP_CAUSE_RESTART, t->ready_at);
		break;
	case LSCHED__Q_HEAP:
		dequeue(t);
		enqueue(t, LSCHED_TP_CAUSE_RESTART);
		break;
	default:
		enqueue(t, cause);
		break;
	}
	t->active = true;
	t->started = true;
	/* Tested here, not in the walk: most tasks have no children, and
	 * this runs on every start. */
	if ((t->hints & LSCHED__HINT_CHILDREN) &&
	    !lsched__list_empty(&t->children))
		stop_children(t);
}

static void stop_task(lsched_task *t, int reason)
{
	bool was_active = t->active;

	dequeue_stop(t, reason);
	t->active = false;
	if (was_active)
		start_children(t);
}

static void detach(lsched_task *t)
{
	while (!lsched__list_empty(&t->children)) {
		lsched_task *c = lsched__container_of(t->children.next,
						      lsched_task, sibling);

		lsched__list_remove(&c->sibling);
		c->parent = NULL;
		c->tr_name_gen = 0;
	}
	if (t->parent) {
		lsched__list_remove(&t->sibling);
		t->parent = NULL;
	}
}

/* ---- the pass ---------------------------------------------------------- */

/* The next task to run; *overdue tells whether its max wait chose it. */
static lsched_task *pick(lsched_loop *loop, bool *overdue)
{
	struct lsched__heap_node *o = lsched__heap_min(&loop->overdue);
	uint32_t mask = loop->ready_mask;
	int p;

	*overdue = o && o->key <= loop->now;
	if (*overdue)
		return lsched__container_of(o, lsched_task, onode);
	if (!mask)
		return NULL;
	p = __builtin_ctz(mask);
	return lsched__container_of(loop->ready[p].next, lsched_task, link);
}

static void task_free(lsched_task *t)
{
	lsched_loop *loop = t->loop;

	lsched__list_remove(&t->all_link);
	if (loop->nspare < LSCHED__SPARE_TASKS) {
		/* Kept with its heap slots still reserved. */
		lsched__list_push_tail(&loop->spare_tasks, &t->all_link);
		loop->nspare++;
		return;
	}
	lsched__heap_unreserve(&loop->timers);
	lsched__heap_unreserve(&loop->overdue);
	free(t);
}

/*
 * The loop thread's CPU time and context switches around a traced run, for
 * task_fire_end's cpu and flags: what tells a run that computes from one
 * that blocks or was preempted. Where perf events are allowed, the loop
 * thread's context-switch records (tracecpu.c): a load of the ring's head
 * at begin and end, the run's wall time minus its time off the CPU. Else
 * system calls (1-3 us each here): the switch counts at both ends, the CPU
 * clock only after a switch.
 * Never on a virtual clock, whose times are not the thread's.
 */
static void trace_cpu_begin(lsched_loop *loop, lsched_task *t, bool first)
{
	t->tr_cpu = LSCHED_TP_CPU_UNKNOWN;
	t->tr_sw_start = INT64_MIN;
	if (loop->clock->is_virtual || !LSCHED_TRACE_ON(task_fire_end))
		return;
	if (lsched__tcpu_begin(loop, first, &t->tr_pos))
		t->tr_cpu = LSCHED__TR_CPU_PERF;
	else if (lsched__tcpu_sys_begin(loop, loop->now, &t->tr_sys))
		t->tr_cpu = t->tr_sys.cpu;
}

/* The run's CPU time, LSCHED_TP_CPU_UNKNOWN if not measured; *flags gets
 * the BLOCKED and PREEMPTED bits. */
static int64_t trace_cpu_end(lsched_loop *loop, const lsched_task *t,
			     int *flags)
{
	if (t->tr_cpu == LSCHED__TR_CPU_PERF) {
		int64_t wall = loop->now - t->tr_begin;
		int sw = 0;
		int64_t off = lsched__tcpu_off(loop, t->tr_pos, t->tr_begin,
					       loop->now, &sw);

		/* The flags come with a measured cpu only (tracepoints.md). */
		if (off < 0 || wall < 0)
			return LSCHED_TP_CPU_UNKNOWN;
		*flags |= sw;
		return wall > off ? wall - off : 0;
	}
	if (t->tr_cpu < 0)
		return LSCHED_TP_CPU_UNKNOWN;
	return lsched__tcpu_sys_end(loop, loop->now, &t->tr_sys, flags);
}

/* A traced run: what task_fire_end will need is kept in the task.
 * Its begin is fresh: the cached now was last refreshed when the previous
 * run ended, and what happened since (that run's end event, the start of
 * its children, the input poll, this pick) belongs to this run's wait. A
 * child started at its parent's end would else show a wait of 0 ns
 * (REPAINT's after layout). The refresh costs an rdtsc on the real clock,
 * on the traced path only; an untraced run keeps the cached time. Out of
 * line: inlined here, it made gcc stop inlining enqueue_at() into
 * start_task(), 9 more instructions per untraced start (callgrind). */
static __attribute__((noinline, cold)) void
trace_fire_begin(lsched_loop *loop, lsched_task *t, bool overdue)
{
	lsched__loop_refresh_now_cold(loop);
	t->tr_begin = loop->now;
	t->tr_ready_at = t->ready_at;
	t->sw_checks = t->sw_yields = t->sw_overruns = 0;
	t->traced = true; /* the stopwatch counts its checks */
	trace_cpu_begin(loop, t, !loop->current);
	trace_name(t);
	LSCHED_TRACE(task_fire_begin, loop, t->id, t->name, t->prio, t->kind,
		     t->ready_at, loop->now, loop->ready_count[t->prio],
		     loop->ready_mask, overdue ? LSCHED_TP_BEGIN_OVERDUE : 0,
		     loop->now - t->ready_at);
}

static __attribute__((noinline, cold)) void
trace_fire_end(lsched_loop *loop, lsched_task *t)
{
	int flags = (t->destroyed ? LSCHED_TP_END_DESTROYED : 0) |
		    (t->active ? LSCHED_TP_END_ACTIVE : 0);
	int64_t cpu = trace_cpu_end(loop, t, &flags);

	t->traced = false;
	LSCHED_TRACE(task_fire_end, loop, t->id, t->tr_prio, t->tr_ready_at,
		     t->tr_begin, loop->now, t->sw_checks, t->sw_yields,
		     t->sw_overruns, flags, cpu, loop->now - t->tr_begin);
}

static void run_task(lsched_loop *loop, lsched_task *t, uint64_t pass,
		     bool overdue)
{
	lsched_task *prev = loop->current;
	int64_t dispatched;
	bool traced, check;

	dequeue(t);
	/* The run's priority, for its task_fire_end and loop_check (the run
	 * may change it): a store to a line this function writes anyway. */
	t->tr_prio = t->prio;
	/* A run whose begin was not traced gets no end either: a consumer
	 * that attaches meanwhile sees whole runs only. */
	traced = LSCHED_TRACE_ON2(task_fire_begin, task_fire_end);
	if (traced)
		trace_fire_begin(loop, t, overdue);
	else if (t->kind == LSCHED_TASK_AUTO_TIMER && loop->now_stale)
		fresh_now_cold(loop); /* its next period's base */
	dispatched = loop->now; /* after the traced begin's refresh */
	t->last_pass = (uint32_t)pass;
	/* Like VCL: a one-shot task is inactive while it runs, so it may
	 * start itself again; a repeating one stays active. */
	if (!is_repeating(t))
		t->active = false;
	t->started = false;
	t->running = true;
	if (++t->runs_lo == 0)
		t->runs_hi += 1u << 16;
	loop->current = t;
	t->cb(t, t->arg);
	loop->current = prev;
	t->running = false;
	/* The clock is read after the run only when something needs the
	 * time now: a traced run (its end), a ready task with a maximum wait
	 * (pick()), or every clock_every-th task, for timers falling due
	 * and the input interval (lsched__loop_clock_tick()). Otherwise the
	 * cached time stands, marked as lagging (lsched__loop_fresh_now()). */
	/* Looked at once: the test and the event below use the same answer
	 * (a tracepoint's state is a load the compiler cannot merge). */
	check = LSCHED_TRACE_ON(loop_check);
	if (__builtin_expect(traced | check | (loop->overdue.n != 0), 0)) {
		lsched__loop_refresh_now(loop);
		loop->now_stale = false;
	} else if (--loop->clock_left == 0) {
		lsched__loop_clock_tick(loop);
	} else {
		loop->now_stale = true;
	}
	if (traced)
		trace_fire_end(loop, t);
	/* After the end, so that a trigger on it saves the run's events.
	 * dispatched is the begin task_fire_begin says; the priority is the
	 * run's own, kept at its begin (a run may change it). */
	if (check)
		lsched__trace_loop_check(loop, 0, t->id, t->tr_prio,
					 loop->now - dispatched, 0, loop->now);

	if (t->destroyed) {
		task_free(t);
		return;
	}
	if (is_repeating(t)) {
		/* Not restarted or stopped inside: back to the tail. An
		 * auto-timer keeps its period: re-armed from when it was
		 * dispatched, as VCL, GLib and libuv do, not from when its
		 * callback returned; a callback that took longer than the
		 * timeout makes it due at once, and the periods it overran
		 * are not made up (task.h). */
		if (t->active && t->queue == LSCHED__Q_NONE) {
			int64_t next = lsched__add_sat(dispatched, t->timeout);

			enqueue_at(t, LSCHED_TP_CAUSE_REPEAT,
				   next > loop->now ? next : loop->now);
		}
	} else if (!t->active && !t->started &&
		   (t->hints & LSCHED__HINT_CHILDREN) &&
		   !lsched__list_empty(&t->children)) {
		start_children(t); /* a one-shot run completed */
	}
}

/*
 * Runs ready tasks, highest priority first, until none is ready, the next
 * one already ran in this pass (round-robin came round), input is pending,
 * a loop timer is due, stop was asked, or LSCHED__PASS_MAX tasks ran.
 * Input is checked after every task: cross-thread work by an atomic load,
 * descriptors by a non-blocking poll once the input interval has passed.
 */
void lsched__run_pass(lsched_loop *loop)
{
	uint64_t pass = ++loop->pass;

	/* The caller has just read the clock. */
	if (!loop->clock_every)
		loop->clock_every = 1;
	loop->clock_left = loop->clock_every;
	loop->clock_mark = loop->now;
	for (int n = 0; n < LSCHED__PASS_MAX; n++) {
		lsched_task *t;
		bool overdue;

		if (lsched__input_pending(loop))
			break;
		t = pick(loop, &overdue);
		if (!t || t->last_pass == (uint32_t)pass)
			break;
		run_task(loop, t, pass, overdue);
		if (atomic_load_explicit(&loop->stop, memory_order_relaxed))
			break;
		/* Loop timers may also have been collected by a stopwatch
		 * inside the task: the due list is what counts. */
		if (lsched__timers_due(loop))
			lsched__collect_due(loop);
		if (lsched__timers_on_due(loop))
			break;
		lsched__poll_input(loop);
	}
}

void lsched__task_free_all(lsched_loop *loop)
{
	while (!lsched__list_empty(&loop->tasks)) {
		lsched_task *t = lsched__container_of(loop->tasks.next,
						      lsched_task, all_link);

		dequeue_stop(t, LSCHED_TP_STOP_LOOP);
		detach(t);
		lsched__list_remove(&t->all_link);
		free(t);
	}
	while (!lsched__list_empty(&loop->spare_tasks)) {
		lsched_task *t = lsched__container_of(loop->spare_tasks.next,
						      lsched_task, all_link);

		lsched__list_remove(&t->all_link);
		free(t);
	}
	loop->nspare = 0;
}

/* ---- public API ----------------------------------------------------------- */

static bool valid_prio(int prio)
{
	return prio >= 0 && prio < LSCHED_PRIO_COUNT;
}

lsched_task *lsched_task_new(lsched_loop *loop, const char *name,
			     enum lsched_task_kind kind, int prio,
			     lsched_task_cb cb, void *arg)
{
	lsched_task *t;

	if (!loop || !name || !*name || !cb || !valid_prio(prio) ||
	    (unsigned)kind > LSCHED_TASK_AUTO_TIMER) {
		errno = EINVAL;
		return NULL;
	}
	if (!lsched__list_empty(&loop->spare_tasks)) {
		/* A spare still holds its heap slots. */
		t = lsched__container_of(loop->spare_tasks.next, lsched_task,
					 all_link);
		lsched__list_remove(&t->all_link);
		loop->nspare--;
		memset(t, 0, sizeof(*t));
		goto init;
	}
	/* malloc, not aligned_alloc(64): glibc spaces line-aligned blocks of
	 * 328 bytes 448 apart, and a walk of 1M queued tasks paid for the
	 * extra pages more than the aligned line saved (docs/performance.md). */
	t = malloc(sizeof(*t));
	if (!t)
		goto out_nomem;
	memset(t, 0, sizeof(*t));
	if (lsched__heap_reserve(&loop->timers))
		goto out_free;
	if (lsched__heap_reserve(&loop->overdue))
		goto out_unreserve_timers;
init:
	t->tnode.index = LSCHED__HEAP_NONE;
	t->tnode.kind = LSCHED__NODE_TASK;
	t->onode.index = LSCHED__HEAP_NONE;
	t->onode.kind = LSCHED__NODE_TASK;
	lsched__list_init(&t->link);
	lsched__list_init(&t->children);
	lsched__list_init(&t->sibling);
	t->loop = loop;
	t->name = name;
	t->kind = (uint8_t)kind;
	t->prio = (uint8_t)prio;
	t->cb = cb;
	t->arg = arg;
	t->id = atomic_fetch_add(&next_task_id, 1);
	lsched__list_push_tail(&loop->tasks, &t->all_link);
	return t;

out_unreserve_timers:
	lsched__heap_unreserve(&loop->timers);
out_free:
	free(t);
out_nomem:
	errno = ENOMEM;
	return NULL;
}

void lsched_task_destroy(lsched_task *task)
{
	if (!task || task->destroyed)
		return;
	dequeue_stop(task, LSCHED_TP_STOP_DESTROY);
	task->active = false;
	detach(task);
	if (task->running) {
		task->destroyed = true; /* freed when its callback returns */
		return;
	}
	task_free(task);
}

int lsched_task_start(lsched_task *task)
{
	if (!task || task->destroyed)
		return -EINVAL;
	start_task(task, LSCHED_TP_CAUSE_START);
	return 0;
}

int lsched_task_stop(lsched_task *task)
{
	if (!task || task->destroyed)
		return -EINVAL;
	stop_task(task, LSCHED_TP_STOP_STOP);
	return 0;
}

bool lsched_task_is_active(const lsched_task *task)
{
	return task && task->active;
}

bool lsched_task_is_running(const lsched_task *task)
{
	return task && task->running;
}

int lsched_task_set_priority(lsched_task *task, int prio)
{
	if (!task || task->destroyed || !valid_prio(prio))
		return -EINVAL;
	if (task->prio != prio)
		LSCHED_TRACE(task_priority, task->loop, task->id, task->prio,
			     prio, queue_state(task));
	if (task->queue == LSCHED__Q_READY) {
		dequeue(task);
		task->prio = (uint8_t)prio;
		lsched__task_make_ready(task, task->ready_at);
		return 0;
	}
	task->prio = (uint8_t)prio;
	return 0;
}

int lsched_task_set_callback(lsched_task *task, lsched_task_cb cb, void *arg)
{
	if (!task || task->destroyed || !cb)
		return -EINVAL;
	task->cb = cb;
	task->arg = arg;
	return 0;
}

int lsched_task_priority(const lsched_task *task)
{
	return task ? task->prio : -EINVAL;
}

int lsched_task_set_timeout(lsched_task *task, int64_t timeout_ns)
{
	if (!task || task->destroyed || timeout_ns < 0)
		return -EINVAL;
	task->timeout = timeout_ns;
	if (task->queue == LSCHED__Q_HEAP) {
		dequeue(task);
		enqueue(task, LSCHED_TP_CAUSE_RESTART);
	}
	return 0;
}

int64_t lsched_task_timeout(const lsched_task *task)
{
	return task ? task->timeout : -EINVAL;
}

int lsched_task_set_max_wait(lsched_task *task, int64_t max_wait_ns)
{
	lsched_loop *loop;

	if (!task || task->destroyed || max_wait_ns < 0)
		return -EINVAL;
	loop = task->loop;
	if (task->max_wait != max_wait_ns)
		LSCHED_TRACE(task_max_wait, loop, task->id, task->prio,
			     task->max_wait, max_wait_ns, queue_state(task));
	if (lsched__heap_node_queued(&task->onode))
		lsched__heap_remove(&loop->overdue, &task->onode);
	task->max_wait = max_wait_ns;
	if (max_wait_ns > 0)
		task->hints |= LSCHED__HINT_MAX_WAIT;
	if (task->queue == LSCHED__Q_READY && max_wait_ns > 0) {
		task->onode.key = lsched__add_sat(task->ready_at, max_wait_ns);
		task->onode.seq = ++loop->seq;
		lsched__heap_push(&loop->overdue, &task->onode);
	}
	return 0;
}

int64_t lsched_task_max_wait(const lsched_task *task)
{
	return task ? task->max_wait : -EINVAL;
}

int lsched_task_add_child(lsched_task *parent, lsched_task *child)
{
	if (!parent || !child || parent == child ||
	    parent->loop != child->loop || parent->destroyed ||
	    child->destroyed)
		return -EINVAL;
	if (child->parent)
		return -EBUSY;
	for (lsched_task *a = parent->parent; a; a = a->parent)
		if (a == child)
			return -ELOOP;
	child->parent = parent;
	child->tr_name_gen = 0; /* its task_name says the parent */
	parent->hints |= LSCHED__HINT_CHILDREN;
	lsched__list_push_tail(&parent->children, &child->sibling);
	return 0;
}

int lsched_task_remove_child(lsched_task *child)
{
	if (!child)
		return -EINVAL;
	if (!child->parent)
		return -ENOENT;
	lsched__list_remove(&child->sibling);
	child->parent = NULL;
	child->tr_name_gen = 0;
	return 0;
}

lsched_task *lsched_task_parent(const lsched_task *task)
{
	return task ? task->parent : NULL;
}

const char *lsched_task_name(const lsched_task *task)
{
	return task ? task->name : NULL;
}

enum lsched_task_kind lsched_task_kind(const lsched_task *task)
{
	return task ? (enum lsched_task_kind)task->kind : LSCHED_TASK_IDLE;
}

lsched_loop *lsched_task_loop(const lsched_task *task)
{
	return task ? task->loop : NULL;
}

uint64_t lsched_task_id(const lsched_task *task)
{
	return task ? task->id : 0;
}

uint64_t lsched_task_runs(const lsched_task *task)
{
	return task ? task->runs_hi + task->runs_lo : 0;
}

int64_t lsched_task_ready_since(const lsched_task *task)
{
	if (!task)
		return -EINVAL;
	return task->queue == LSCHED__Q_READY || task->running ? task->ready_at
								 : -ENOENT;
}

lsched_task *lsched_loop_current_task(const lsched_loop *loop)
{
	return loop ? loop->current : NULL;
}

int64_t lsched_loop_ready_count(const lsched_loop *loop, int prio)
{
	if (!loop || !valid_prio(prio))
		return -EINVAL;
	return loop->ready_count[prio];
}

const char *lsched_priority_name(int prio)
{
	return valid_prio(prio) ? prio_names[prio] : NULL;
}

int lsched_priority_from_name(const char *name)
{
	if (!name)
		return -EINVAL;
	for (int p = 0; p < LSCHED_PRIO_COUNT; p++)
		if (!strcasecmp(name, prio_names[p]))
			return p;
	return -EINVAL;
}
