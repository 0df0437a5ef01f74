/*
 * The Performer: cross-thread posts onto a loop's thread.
 *
 * Producers append items to the inbox under the performer's mutex. The
 * first item of a batch marks the performer signalled, bumps the loop's
 * cross-thread counter and writes the loop's eventfd once; later items of
 * the batch only append. The loop's perform phase takes the whole inbox
 * (clearing the signal) and runs it; items come from a recycled pool.
 *
 * Waiting posts block on a waiter on the poster's stack. Before blocking,
 * the poster checks the wait graph (which thread runs which loop, which
 * thread waits on which loop) under one global mutex, so a cycle is refused
 * with -EDEADLK instead of hanging.
 */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>

#define FIRST_CLASS (-1) /* runs before the scheduler's tasks */
#define CHUNK_ITEMS 256

struct waiter {
	pthread_mutex_t m;
	pthread_cond_t c;
	bool done;
	int result;
	struct lsched__thread_wait *tw; /* the poster's entry in the graph */
};

struct item {
	struct item *next;
	lsched_performer *p;
	lsched_work_cb cb;
	void *arg;
	const char *name;
	int prio;
	struct waiter *waiter;
	lsched_loop *loop;            /* at the post: for the trace */
	uint64_t id;                  /* the post's number in this performer */
	int64_t posted_at;            /* when traced, else -1 */
	lsched_task *task;            /* while it waits as a scheduler task */
	struct lsched__list out_link; /* p->outstanding, while a task */
};

struct chunk {
	struct chunk *next;
	struct item items[CHUNK_ITEMS];
};

struct lsched_performer {
	pthread_mutex_t lock;
	/* Under lock: */
	lsched_loop *loop; /* NULL once the loop is destroyed */
	bool closed;
	bool signalled;
	uint64_t next_post;       /* numbers posts for the trace */
	struct item *head, *tail; /* inbox */
	struct item *free;        /* recycled items */
	struct chunk *chunks;
	/* Loop thread only: */
	struct item *batch_head, *batch_tail; /* taken, not yet run */
	struct lsched__list outstanding;      /* items waiting as tasks */
	struct lsched__list loop_link;        /* loop->performers */
	uint64_t drain_pass;                  /* last perform phase seen */
	int busy;      /* running our work: destruction waits for 0 */
	bool zombie;   /* destroyed while busy: freed when busy drops */
	/* The gate: one thread at a time runs everything (close, the
	 * loop's destruction); under lock. */
	pthread_cond_t gate_cv;
	pthread_t gate_owner;
	int gate_depth;
	atomic_bool pending; /* mirrors signalled, read without the lock */
	_Atomic uint64_t posts, wakes, ran, refused, waits;
};

/* ---- the wait graph ------------------------------------------------------ */

static pthread_mutex_t graph_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local struct lsched__thread_wait this_thread;

void lsched__loop_set_owner(lsched_loop *loop, bool running)
{
	pthread_mutex_lock(&graph_lock);
	loop->owner = running ? &this_thread : NULL;
	pthread_mutex_unlock(&graph_lock);
}

/* Registers this thread as waiting on loop, unless that closes a cycle:
 * the thread running loop waits on a loop whose thread ... is this one. */
static int wait_graph_enter(lsched_loop *loop)
{
	int err = 0;

	pthread_mutex_lock(&graph_lock);
	for (lsched_loop *l = loop; l && l->owner; l = l->owner->waiting_on) {
		if (l->owner == &this_thread) {
			err = -EDEADLK;
			break;
		}
	}
	if (!err)
		this_thread.waiting_on = loop;
	pthread_mutex_unlock(&graph_lock);
	return err;
}

static void wait_graph_leave(struct lsched__thread_wait *tw)
{
	pthread_mutex_lock(&graph_lock);
	tw->waiting_on = NULL;
	pthread_mutex_unlock(&graph_lock);
}

/* ---- items ----------------------------------------------------------------- */

/* Under p->lock. */
static struct item *item_get(lsched_performer *p)
{
	struct item *it = p->free;

	if (!it) {
		struct chunk *c = malloc(sizeof(*c));

		if (!c)
			return NULL;
		c->next = p->chunks;
		p->chunks = c;
		for (int i = CHUNK_ITEMS - 1; i >= 0; i--) {
			c->items[i].next = p->free;
			p->free = &c->items[i];
		}
		it = p->free;
	}
	p->free = it->next;
	return it;
}

static void item_put(lsched_performer *p, struct item *it)
{
	pthread_mutex_lock(&p->lock);
	it->next = p->free;
	p->free = it;
	pthread_mutex_unlock(&p->lock);
}

static void close_marker(void *arg);

static void release(struct waiter *w, int result)
{
	/* The releaser leaves the graph for the poster, before the loop can
	 * be destroyed: no entry ever points at a freed loop. */
	wait_graph_leave(w->tw);
	pthread_mutex_lock(&w->m);
	w->result = result;
	w->done = true;
	pthread_cond_signal(&w->c);
	pthread_mutex_unlock(&w->m);
	/* w lives on the poster's stack: not touched after the unlock. */
}

/* Any Performer event is recorded, or loop_check (whose delay a backlog
 * trigger reads) is enabled: posts then carry their time. */
#define PERFORM_TRACED()                                                       \
	LSCHED_TRACE_ON4(perform_enqueue, perform_fire_begin,                  \
			 perform_fire_end, loop_check)

static int64_t delay_of(int64_t posted_at, int64_t begin)
{
	return posted_at >= 0 ? begin - posted_at : -1;
}

/* Runs an item's work and completes it. task: the id of the scheduler
 * task running it (a post at a priority), else 0. A post run outside a
 * task by the thread running its loop (first-class work in the perform
 * phase or inline, any work run inline at a close inside the loop) is a
 * run of the loop's own: a loop_check follows it while that is enabled. */
static void item_finish(lsched_performer *p, struct item *it, uint64_t task)
{
	struct waiter *w = it->waiter;
	/* The work may destroy the loop (when it does not run): only the
	 * clock, which outlives it, is read after, and the loop only when
	 * this thread runs it (it cannot be destroyed then). */
	lsched_clock *clock = it->loop->clock;
	lsched_loop *loop = it->loop;
	int64_t begin = 0, end;
	bool traced = false, check = false;

	/* Close markers are not posts: the trace does not show them. One
	 * branch while nobody listens. */
	if (LSCHED_TRACE_ON3(perform_fire_begin, perform_fire_end,
			     loop_check) &&
	    it->cb != close_marker) {
		traced = true;
		check = !task && LSCHED_TRACE_ON(loop_check) &&
			lsched_loop_in_thread(loop);
		begin = lsched__clock_read(clock);
		LSCHED_TRACE(perform_fire_begin, loop, p, it->id, it->name,
			     it->prio, task, it->posted_at, begin,
			     delay_of(it->posted_at, begin));
	}
	it->cb(it->arg);
	if (traced) {
		end = lsched__clock_read(clock);
		LSCHED_TRACE(perform_fire_end, loop, p, it->id, it->prio, task,
			     it->posted_at, begin, end,
			     delay_of(it->posted_at, begin));
		if (check)
			lsched__trace_loop_check(loop, 1, it->id, it->prio,
						 end - begin,
						 delay_of(it->posted_at, begin),
						 end);
	}
	if (it->cb != close_marker)
		atomic_fetch_add_explicit(&p->ran, 1, memory_order_relaxed);
	if (w)
		release(w, 0);
}

static void item_run(lsched_performer *p, struct item *it, uint64_t task)
{
	item_finish(p, it, task);
	item_put(p, it);
}

/* Returns a chain of finished items to the pool under one lock: taking
 * the lock per item would contend with the producers for every post. */
static void items_put(lsched_performer *p, struct item *head,
		      struct item *tail)
{
	if (!head)
		return;
	pthread_mutex_lock(&p->lock);
	tail->next = p->free;
	p->free = head;
	pthread_mutex_unlock(&p->lock);
}

/* ---- the loop side ------------------------------------------------------------ */

static void pfree(lsched_performer *p);

/* Work we run may destroy us: destruction is deferred until no work of
 * ours runs, so that the code around a callback never touches freed
 * memory. Loop thread. */
static void hold(lsched_performer *p)
{
	p->busy++;
}

static void unhold(lsched_performer *p)
{
	if (--p->busy == 0 && p->zombie)
		pfree(p);
}

static void task_trampoline(lsched_task *task, void *arg)
{
	struct item *it = arg;

	lsched_performer *p = it->p;
	uint64_t id = lsched_task_id(task);

	lsched__list_remove(&it->out_link);
	it->task = NULL;
	lsched_task_destroy(task); /* freed when this callback returns */
	hold(p);
	item_run(p, it, id);
	unhold(p);
}

/* Turns an item posted at a priority into a one-shot task. If no task can
 * be made (out of memory), the work runs now rather than being lost. */
static void item_schedule(lsched_performer *p, lsched_loop *loop,
			  struct item *it)
{
	lsched_task *t = lsched_task_new(loop, it->name, LSCHED_TASK_IDLE,
					 it->prio, task_trampoline, it);

	if (!t) {
		item_run(p, it, 0);
		return;
	}
	it->task = t;
	lsched__list_push_tail(&p->outstanding, &it->out_link);
	lsched_task_start(t);
}

/* Moves the inbox to the end of the batch. Loop thread. */
static lsched_loop *take_inbox(lsched_performer *p)
{
	lsched_loop *loop;

	pthread_mutex_lock(&p->lock);
	loop = p->loop;
	if (p->head) {
		if (p->batch_tail)
			p->batch_tail->next = p->head;
		else
			p->batch_head = p->head;
		p->batch_tail = p->tail;
		p->head = p->tail = NULL;
	}
	if (p->signalled) {
		p->signalled = false;
		atomic_store(&p->pending, false);
		if (loop)
			atomic_fetch_sub(&loop->xthread_pending, 1);
	}
	pthread_mutex_unlock(&p->lock);
	return loop;
}

/* Runs the batch in order. inline_all: run prioritised items now instead
 * of scheduling them (at close). Loop thread. */
static void run_batch(lsched_performer *p, lsched_loop *loop, bool inline_all)
{
	struct item *it, *done = NULL, *done_tail = NULL;

	while ((it = p->batch_head)) {
		p->batch_head = it->next;
		if (!p->batch_head)
			p->batch_tail = NULL;
		if (it->prio == FIRST_CLASS || inline_all || !loop) {
			item_finish(p, it, 0);
			it->next = done;
			done = it;
			if (!done_tail)
				done_tail = it;
		} else {
			item_schedule(p, loop, it);
		}
	}
	items_put(p, done, done_tail);
}

static void drain(lsched_performer *p)
{
	lsched_loop *loop;

	hold(p);
	loop = take_inbox(p);
	run_batch(p, loop, false);
	unhold(p);
}

void lsched__perform_phase(lsched_loop *loop)
{
	uint64_t pass = ++loop->perform_pass;
	struct lsched__list *l;

	/* Work may create or destroy performers, this one included: after
	 * each drain, walk the list again from its head, skipping those
	 * already seen in this phase. */
restart:
	for (l = loop->performers.next; l != &loop->performers; l = l->next) {
		lsched_performer *p =
			lsched__container_of(l, lsched_performer, loop_link);

		if (p->drain_pass == pass)
			continue;
		p->drain_pass = pass;
		if (atomic_load(&p->pending)) {
			drain(p);
			goto restart;
		}
	}
}

/* Runs everything accepted: the tasks made from earlier batches first
 * (they are older), then the inbox, inline. Loop thread, or the loop does
 * not run. */
static void run_all(lsched_performer *p)
{
	lsched_loop *loop;

	/* The caller (run_all_gated) holds p. */
	while (!lsched__list_empty(&p->outstanding)) {
		struct item *it = lsched__container_of(p->outstanding.next,
						       struct item, out_link);

		lsched__list_remove(&it->out_link);
		lsched_task_destroy(it->task);
		it->task = NULL;
		item_run(p, it, 0);
	}
	loop = take_inbox(p);
	run_batch(p, loop, true);
}

/* Runs everything accepted, one thread at a time: a close on a thread
 * while the loop does not run, a racing second close, and the loop's
 * destruction take turns (re-entry from work we run is allowed). */
static void run_all_gated(lsched_performer *p)
{
	pthread_t self = pthread_self();
	bool gone;

	pthread_mutex_lock(&p->lock);
	while (p->gate_depth && !pthread_equal(p->gate_owner, self))
		pthread_cond_wait(&p->gate_cv, &p->lock);
	p->gate_owner = self;
	p->gate_depth++;
	pthread_mutex_unlock(&p->lock);
	/* busy is only touched inside the gate (or on the loop's thread,
	 * which never overlaps it): settle it before leaving. */
	hold(p);
	run_all(p);
	gone = --p->busy == 0 && p->zombie;
	pthread_mutex_lock(&p->lock);
	if (--p->gate_depth == 0)
		pthread_cond_broadcast(&p->gate_cv);
	pthread_mutex_unlock(&p->lock);
	if (gone)
		pfree(p); /* destroyed by work run here */
}

void lsched__performers_loop_gone(lsched_loop *loop)
{
	while (!lsched__list_empty(&loop->performers)) {
		lsched_performer *p = lsched__container_of(
			loop->performers.next, lsched_performer, loop_link);

		bool more;

		pthread_mutex_lock(&p->lock);
		p->closed = true;
		pthread_mutex_unlock(&p->lock);
		run_all_gated(p);
		/* A close marker (which passes the closed flag) may have been
		 * queued after that drain: once the loop is gone nothing can be
		 * queued any more, so one more drain runs whatever made it. */
		pthread_mutex_lock(&p->lock);
		p->loop = NULL;
		more = p->head != NULL;
		pthread_mutex_unlock(&p->lock);
		if (more)
			run_all_gated(p);
		lsched__list_remove(&p->loop_link);
	}
}

/* ---- the poster side ------------------------------------------------------------ */

lsched_performer *lsched_performer_new(lsched_loop *loop)
{
	lsched_performer *p;

	if (!loop) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	if (pthread_mutex_init(&p->lock, NULL)) {
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	if (pthread_cond_init(&p->gate_cv, NULL)) {
		pthread_mutex_destroy(&p->lock);
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	p->loop = loop;
	lsched__list_init(&p->outstanding);
	atomic_init(&p->pending, false);
	lsched__list_push_tail(&loop->performers, &p->loop_link);
	return p;
}

static void refuse(lsched_performer *p)
{
	atomic_fetch_add_explicit(&p->refused, 1, memory_order_relaxed);
}

/* Accepts an item into the inbox and signals the loop once per batch. A
 * close marker (internal) passes a closed performer and is not counted. */
static int enqueue_locked(lsched_performer *p, lsched_work_cb cb, void *arg,
			  const char *name, int prio, struct waiter *w,
			  bool marker)
{
	struct item *it;
	lsched_loop *loop = p->loop;
	bool signalled = false;
	int wrote = 0;

	if ((p->closed && !marker) || !loop)
		return -ESHUTDOWN;
	it = item_get(p);
	if (!it)
		return -ENOMEM;
	*it = (struct item){ .p = p, .cb = cb, .arg = arg, .name = name,
			     .prio = prio, .waiter = w, .loop = loop,
			     .posted_at = -1 };
	if (PERFORM_TRACED())
		it->posted_at = lsched__clock_read(loop->clock);
	lsched__list_init(&it->out_link);
	if (p->tail)
		p->tail->next = it;
	else
		p->head = it;
	p->tail = it;
	if (!p->signalled) {
		/* First of a batch: signal the loop. The write happens under
		 * the lock so that the loop cannot be destroyed under it (its
		 * destruction closes us under this lock first). From the
		 * loop's own thread no write is needed: the loop looks at
		 * the counter before it sleeps. */
		p->signalled = true;
		signalled = true;
		atomic_store(&p->pending, true);
		atomic_fetch_add(&loop->xthread_pending, 1);
		if (!lsched_loop_in_thread(loop)) {
			int rc = lsched__loop_wake(loop);

			wrote = rc == 1;
			if (rc == 1)
				atomic_fetch_add_explicit(&p->wakes, 1,
							  memory_order_relaxed);
			if (rc < 0) {
				/* Not accepted: take it back out. */
				p->signalled = false;
				atomic_store(&p->pending, false);
				atomic_fetch_sub(&loop->xthread_pending, 1);
				if (p->head == it)
					p->head = p->tail = NULL;
				it->next = p->free;
				p->free = it;
				return rc;
			}
		}
	}
	if (!marker) {
		/* Numbered once accepted: refused posts leave no gap. */
		it->id = ++p->next_post;
		atomic_fetch_add_explicit(&p->posts, 1, memory_order_relaxed);
		LSCHED_TRACE(perform_enqueue, loop, p, it->id, name,
			     prio, w != NULL, signalled, it->posted_at);
	}
	if (wrote)
		LSCHED_TRACE(perform_wake, loop, p, it->id);
	return 0;
}

static int enqueue(lsched_performer *p, lsched_work_cb cb, void *arg,
		   const char *name, int prio)
{
	int err;

	pthread_mutex_lock(&p->lock);
	err = enqueue_locked(p, cb, arg, name, prio, NULL, false);
	pthread_mutex_unlock(&p->lock);
	return err;
}

/* A waiting post from a thread that does not run the loop. Checking the
 * wait graph and queueing happen under the performer's lock, which the
 * loop's destruction takes before freeing the loop: the loop cannot go
 * away in between. */
static int post_and_wait(lsched_performer *p, lsched_work_cb cb, void *arg,
			 const char *name, int prio, bool marker)
{
	struct waiter w = { .tw = &this_thread };
	int err;

	pthread_mutex_init(&w.m, NULL);
	pthread_cond_init(&w.c, NULL);
	pthread_mutex_lock(&p->lock);
	if ((p->closed && !marker) || !p->loop)
		err = -ESHUTDOWN;
	else
		err = wait_graph_enter(p->loop);
	if (!err) {
		err = enqueue_locked(p, cb, arg, name, prio, &w, marker);
		if (err)
			wait_graph_leave(&this_thread);
	}
	pthread_mutex_unlock(&p->lock);
	if (!err) {
		if (!marker)
			atomic_fetch_add_explicit(&p->waits, 1,
						  memory_order_relaxed);
		pthread_mutex_lock(&w.m);
		while (!w.done)
			pthread_cond_wait(&w.c, &w.m);
		err = w.result;
		pthread_mutex_unlock(&w.m);
	}
	pthread_cond_destroy(&w.c);
	pthread_mutex_destroy(&w.m);
	return err;
}

/* A waiting post from the loop's own thread runs inline, numbered as
 * any post; the trace shows it as a post that ran at once. */
static void run_inline(lsched_performer *p, lsched_loop *loop,
		       lsched_work_cb cb, void *arg, const char *name, int prio)
{
	struct item it = { .p = p, .cb = cb, .arg = arg, .name = name,
			   .prio = prio, .loop = loop, .posted_at = -1 };

	pthread_mutex_lock(&p->lock);
	it.id = ++p->next_post;
	pthread_mutex_unlock(&p->lock);
	if (PERFORM_TRACED())
		it.posted_at = lsched__clock_read(loop->clock);
	LSCHED_TRACE(perform_enqueue, loop, p, it.id, name, prio, 1, 0,
		     it.posted_at);
	item_finish(p, &it, 0); /* counts it as run */
}

static int post(lsched_performer *p, int prio, const char *name,
		lsched_work_cb cb, void *arg, unsigned flags)
{
	lsched_loop *loop;
	bool inline_run;
	int err;

	if (!(flags & LSCHED_PERFORM_WAIT)) {
		err = enqueue(p, cb, arg, name, prio);
		goto out;
	}
	pthread_mutex_lock(&p->lock);
	loop = p->loop;
	err = p->closed || !loop ? -ESHUTDOWN : 0;
	inline_run = !err && lsched_loop_in_thread(loop);
	pthread_mutex_unlock(&p->lock);
	if (err)
		goto out;
	if (inline_run) {
		/* The seed's semantics: run what is queued, then the work,
		 * inline. The loop is ours, so it cannot go away meanwhile. */
		hold(p);
		drain(p);
		atomic_fetch_add_explicit(&p->posts, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&p->waits, 1, memory_order_relaxed);
		run_inline(p, loop, cb, arg, name, prio);
		unhold(p);
		return 0;
	}
	err = post_and_wait(p, cb, arg, name, prio, false);
out:
	if (err)
		refuse(p);
	return err;
}

int lsched_perform(lsched_performer *p, lsched_work_cb cb, void *arg,
		   unsigned flags)
{
	if (!p || !cb || (flags & ~(unsigned)LSCHED_PERFORM_WAIT)) {
		if (p)
			refuse(p);
		return -EINVAL;
	}
	return post(p, FIRST_CLASS, NULL, cb, arg, flags);
}

int lsched_perform_at(lsched_performer *p, int prio, const char *name,
		      lsched_work_cb cb, void *arg, unsigned flags)
{
	if (!p || !cb || !name || !*name || prio < 0 ||
	    prio >= LSCHED_PRIO_COUNT || (flags & ~(unsigned)LSCHED_PERFORM_WAIT)) {
		if (p)
			refuse(p);
		return -EINVAL;
	}
	return post(p, prio, name, cb, arg, flags);
}

static void close_marker(void *arg)
{
	run_all_gated(arg);
}

int lsched_performer_close(lsched_performer *p)
{
	bool inline_run;
	int err;

	if (!p)
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	p->closed = true;
	/* Under the lock the loop cannot be destroyed; without a loop, its
	 * destruction runs (or ran) everything: the gate waits for it. */
	inline_run = !p->loop || lsched_loop_in_thread(p->loop) ||
		     !lsched_loop_is_running(p->loop);
	pthread_mutex_unlock(&p->lock);
	if (inline_run) {
		run_all_gated(p);
		return 0;
	}
	/* Another thread while the loop runs: let the loop's thread run
	 * what was accepted, behind a marker that passes the closed flag.
	 * Every such close waits, a second one too: it returns only once
	 * everything accepted before it ran. */
	err = post_and_wait(p, close_marker, p, NULL, FIRST_CLASS, true);
	if (err == -ESHUTDOWN) {
		/* The loop was destroyed meanwhile: its destruction runs
		 * everything; the gate waits until it has. */
		run_all_gated(p);
		return 0;
	}
	return err;
}

bool lsched_performer_is_closed(const lsched_performer *p)
{
	bool closed;

	if (!p)
		return true;
	pthread_mutex_lock(&((lsched_performer *)p)->lock);
	closed = p->closed || !p->loop;
	pthread_mutex_unlock(&((lsched_performer *)p)->lock);
	return closed;
}

static void pfree(lsched_performer *p)
{
	while (p->chunks) {
		struct chunk *c = p->chunks;

		p->chunks = c->next;
		free(c);
	}
	pthread_cond_destroy(&p->gate_cv);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

void lsched_performer_destroy(lsched_performer *p)
{
	lsched_loop *loop;

	if (!p || p->zombie)
		return;
	lsched_performer_close(p);
	pthread_mutex_lock(&p->lock);
	loop = p->loop;
	p->loop = NULL;
	pthread_mutex_unlock(&p->lock);
	if (loop)
		lsched__list_remove(&p->loop_link);
	if (p->busy) {
		p->zombie = true; /* inside our own work: freed after it */
		return;
	}
	pfree(p);
}

int lsched_performer_stats(const lsched_performer *p,
			   struct lsched_performer_stats *st)
{
	if (!p || !st)
		return -EINVAL;
	st->posts = atomic_load(&p->posts);
	st->wakes = atomic_load(&p->wakes);
	st->ran = atomic_load(&p->ran);
	st->refused = atomic_load(&p->refused);
	st->waits = atomic_load(&p->waits);
	return 0;
}
