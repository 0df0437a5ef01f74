/*
 * The Performer: cross-thread posts onto a loop's thread.
 *
 * The inbox is one atomic word, p->head: a LIFO list of accepted items
 * (newest first) whose two low bits are flags, SIGNALLED (the loop was
 * told: it counts in loop->xthread_pending and a wake-up was written or is
 * not needed) and CLOSED. A post is accepted by the compare-and-swap that
 * links its item into that word, so accepting, closing and taking the
 * inbox are ordered by one word:
 *
 *  - the common path (no lock): while the word says SIGNALLED and not
 *    CLOSED, a producer links its item with one CAS that expects exactly
 *    those flags. The loop is already told, so nothing else is needed; a
 *    CAS that finds the flags changed (the loop took the batch, or a close
 *    came) fails and the post goes the locked path;
 *  - the locked path (p->lock): the first post of a batch, waiting posts,
 *    close markers, and every post while tracing is on. Under the lock it
 *    counts the loop pending, writes the wake-up, and only then links the
 *    item with SIGNALLED set: a failed write leaves nothing linked (the
 *    post is refused with -EIO) and no common-path post can slip in behind
 *    a wake-up that failed;
 *  - the loop takes the inbox under p->lock (once per batch, never
 *    contended by the common path) with one fetch-and that empties the
 *    list and clears SIGNALLED, keeping CLOSED; it reverses the list into
 *    acceptance order and numbers the posts not yet numbered;
 *  - close (and the loop's destruction) sets CLOSED under p->lock with a
 *    fetch-or on the same word. A post whose CAS came first is in the list
 *    and runs in the close's drain; a post whose CAS comes after sees
 *    CLOSED and is refused. No producer count or epoch is needed: there is
 *    no window between "checked open" and "linked".
 *
 * Holding p->lock therefore freezes everything but common-path links: no
 * take, no close, and SIGNALLED set stays set. The locked path numbers its
 * post (after numbering the common-path posts linked before it) and emits
 * perform_enqueue before unlocking, so the trace shows it before the loop
 * can run it. Common-path posts are numbered by the loop when it takes
 * them: ids stay gap-free and in acceptance order.
 *
 * Items come from per-thread caches. The loop hands finished items back in
 * batches: it pushes a whole chain onto p->ret with one CAS, and a producer
 * whose cache is empty takes the whole of p->ret with one exchange (taking
 * all, never one item, so there is no ABA). Items are not tied to a
 * performer: they come from a pool of chunks shared by the live
 * performers, which grows only when every item is in flight, takes items
 * back when a performer is freed or a thread exits, and is freed with the
 * last performer.
 *
 * Waiting posts block on a waiter on the poster's stack. Before blocking,
 * the poster checks the wait graph (which thread runs which loop, which
 * thread waits on which loop) under one global mutex, so a cycle is refused
 * with -EDEADLK instead of hanging.
 */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define FIRST_CLASS (-1) /* runs before the scheduler's tasks */
#define CHUNK_ITEMS 256

/* The flags in the low bits of p->head (items are 8-aligned). */
#define SIGNALLED ((uintptr_t)1)
#define CLOSED ((uintptr_t)2)
#define FLAGS (SIGNALLED | CLOSED)
#define LIST(v) ((struct item *)((v) & ~FLAGS))

struct waiter {
	pthread_mutex_t m;
	pthread_cond_t c;
	bool done;
	int result;
	struct lsched__thread_wait *tw; /* the poster's entry in the graph */
};

/* The fields a post writes and the loop reads in its first cache line; the
 * rest only for a post at a priority. */
struct item {
	_Alignas(64) struct item *next;
	lsched_work_cb cb;
	void *arg;
	struct waiter *waiter;
	uint64_t id;       /* the post's number; 0: not yet */
	const char *name;
	int64_t posted_at; /* when traced, else -1 */
	int prio;
	/* A post at a priority, while it waits as a scheduler task: */
	lsched_performer *p;
	lsched_task *task;
	struct lsched__list out_link; /* p->outstanding */
};

struct chunk {
	struct chunk *next;
	void *raw; /* what malloc returned */
	struct item items[CHUNK_ITEMS];
};

struct lsched_performer {
	/* The producers' line: the inbox word and the count of posts. */
	_Alignas(64) _Atomic uintptr_t head;
	_Atomic uint64_t posts;
	/* Finished items handed back to producers (a whole chain at once). */
	_Alignas(64) _Atomic(struct item *) ret;
	_Alignas(64) pthread_mutex_t lock;
	/* Under lock: */
	lsched_loop *loop; /* NULL once the loop is destroyed */
	uint64_t next_post; /* numbers posts for the trace */
	/* A first post of a batch is between counting itself pending (and
	 * waking the loop) and linking with SIGNALLED: set and cleared under
	 * lock, read by the loop without it (lsched__perform_phase). */
	atomic_bool signalling;
	/* Loop side: numbers reserved by the last take for the posts of the
	 * batch that have none yet, given as they run. */
	uint64_t id_next, id_left;
	/* Set once: */
	lsched_loop *home; /* the loop it was made for (for the trace) */
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
	void *raw; /* what calloc returned */
	_Atomic uint64_t wakes, ran, refused, waits;
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

/* The process-wide pool: every chunk made while some performer exists,
 * and the items no thread caches. When the last performer is freed, every
 * chunk is freed and the generation moves on: a thread's cache from an
 * older generation is dropped without being touched (no item can be in
 * flight then, and none is used by a post, which needs a live performer). */
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct chunk *pool_chunks;
static struct item *pool_free;
static long pool_users;             /* live performers */
static _Atomic uint64_t pool_gen;   /* moves when the chunks are freed */

/* This thread's cache of free items, and the generation it belongs to. */
static _Thread_local struct item *tcache;
static _Thread_local uint64_t tcache_gen;
static _Thread_local bool tcache_registered;
static pthread_key_t tcache_key;
static pthread_once_t tcache_once = PTHREAD_ONCE_INIT;

/* Gives a chain of generation gen back to the pool (dropped if the chunks
 * were freed since). */
static void pool_put(struct item *head, uint64_t gen)
{
	struct item *tail = head;

	if (!head)
		return;
	while (tail->next)
		tail = tail->next;
	pthread_mutex_lock(&pool_lock);
	if (gen == atomic_load_explicit(&pool_gen, memory_order_relaxed)) {
		tail->next = pool_free;
		pool_free = head;
	}
	pthread_mutex_unlock(&pool_lock);
}

/* At a thread's exit: its cache goes back to the pool. The walk to its
 * tail reads items: only while they cannot be freed. */
static void tcache_exit(void *unused)
{
	struct item *head = tcache, *tail;

	(void)unused;
	tcache = NULL;
	pthread_mutex_lock(&pool_lock);
	if (head &&
	    tcache_gen == atomic_load_explicit(&pool_gen, memory_order_relaxed)) {
		for (tail = head; tail->next;)
			tail = tail->next;
		tail->next = pool_free;
		pool_free = head;
	}
	pthread_mutex_unlock(&pool_lock);
}

static void tcache_key_make(void)
{
	if (pthread_key_create(&tcache_key, tcache_exit))
		tcache_key = (pthread_key_t)-1;
}

/* 64-aligned memory from malloc/calloc (the allocator a program or a test
 * wraps); *raw is what to free. */
static void *alloc_aligned(size_t size, bool zero, void **raw)
{
	void *m = zero ? calloc(1, size + 63) : malloc(size + 63);

	*raw = m;
	return m ? (void *)(((uintptr_t)m + 63) & ~(uintptr_t)63) : NULL;
}

static void pool_join(void)
{
	pthread_mutex_lock(&pool_lock);
	pool_users++;
	pthread_mutex_unlock(&pool_lock);
}

/* The last performer gone: every item is free (in the pool, or dropped
 * with a thread's cache), so the chunks go. */
static void pool_leave(void)
{
	pthread_mutex_lock(&pool_lock);
	if (--pool_users == 0) {
		while (pool_chunks) {
			struct chunk *c = pool_chunks;

			pool_chunks = c->next;
			free(c->raw);
		}
		pool_free = NULL;
		atomic_fetch_add(&pool_gen, 1);
	}
	pthread_mutex_unlock(&pool_lock);
}

/* Up to one chunk's worth of items from the pool, or a new chunk. */
static struct item *pool_take(void)
{
	struct item *head;

	pthread_mutex_lock(&pool_lock);
	head = pool_free;
	if (head) {
		struct item *it = head;

		for (int i = 1; i < CHUNK_ITEMS && it->next; i++)
			it = it->next;
		pool_free = it->next;
		it->next = NULL;
	} else {
		void *raw;
		struct chunk *c = alloc_aligned(sizeof(*c), false, &raw);

		if (c) {
			c->raw = raw;
			c->next = pool_chunks;
			pool_chunks = c;
			for (int i = 0; i < CHUNK_ITEMS; i++)
				c->items[i].next = i + 1 < CHUNK_ITEMS ?
							   &c->items[i + 1] :
							   NULL;
			head = &c->items[0];
		}
	}
	pthread_mutex_unlock(&pool_lock);
	return head;
}

/* A free item: this thread's cache, else everything p's loop handed back
 * (one exchange), else the pool. NULL when memory ran out. */
static struct item *item_get(lsched_performer *p)
{
	struct item *it = tcache;
	uint64_t gen = atomic_load_explicit(&pool_gen, memory_order_relaxed);

	if (__builtin_expect(it != NULL && tcache_gen == gen, 1)) {
		tcache = it->next;
		return it;
	}
	/* Empty, or of a generation whose chunks were freed: dropped. The
	 * generation cannot move while p lives. */
	tcache = NULL;
	tcache_gen = gen;
	it = atomic_exchange_explicit(&p->ret, NULL, memory_order_acquire);
	if (!it) {
		it = pool_take();
		if (!it)
			return NULL;
	}
	if (!tcache_registered) {
		/* The key's value only makes its destructor run. */
		tcache_registered = true;
		pthread_once(&tcache_once, tcache_key_make);
		if (tcache_key != (pthread_key_t)-1)
			pthread_setspecific(tcache_key, &tcache);
	}
	tcache = it->next;
	return it;
}

/* An item taken for a post that was not accepted. */
static void item_unget(struct item *it)
{
	it->next = tcache;
	tcache = it;
}

/* Hands a chain of finished items back to p's producers: one CAS for the
 * chain. Pushing a chain races only with producers taking the whole list,
 * so there is no ABA. */
static void items_put(lsched_performer *p, struct item *head,
		      struct item *tail)
{
	struct item *old;

	if (!head)
		return;
	old = atomic_load_explicit(&p->ret, memory_order_relaxed);
	do
		tail->next = old;
	while (!atomic_compare_exchange_weak_explicit(
		&p->ret, &old, head, memory_order_release,
		memory_order_relaxed));
}

static void item_put(lsched_performer *p, struct item *it)
{
	items_put(p, it, it);
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

/* A number for a post taken while numbers could not be seen, now that
 * they can: after every number given so far (unique, though no longer in
 * acceptance order across the moment a recording began). */
static __attribute__((noinline, cold)) uint64_t number_late(lsched_performer *p)
{
	uint64_t id;

	pthread_mutex_lock(&p->lock);
	id = ++p->next_post;
	pthread_mutex_unlock(&p->lock);
	return id;
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
	lsched_clock *clock = p->home->clock;
	lsched_loop *loop = p->home;
	int64_t begin = 0, end;
	bool traced = false, check = false;

	/* Close markers are not posts: the trace does not show them. One
	 * branch while nobody listens. */
	if (LSCHED_TRACE_ON3(perform_fire_begin, perform_fire_end,
			     loop_check) &&
	    it->cb != close_marker) {
		traced = true;
		if (!it->id)
			it->id = number_late(p);
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
	it->p = p;
	lsched__list_push_tail(&p->outstanding, &it->out_link);
	lsched_task_start(t);
}

/* Numbers the posts of the inbox list top (newest first) that have no
 * number yet: those linked by the common path since the last numbering,
 * which sit above every numbered one. Oldest first, so numbers follow
 * acceptance. Under p->lock. */
static void number_posts(lsched_performer *p, struct item *top)
{
	uint64_t n = 0, id;
	struct item *it;

	for (it = top; it && !it->id; it = it->next)
		if (it->cb != close_marker)
			n++;
	id = p->next_post + n;
	p->next_post = id;
	for (it = top; it && !it->id; it = it->next)
		if (it->cb != close_marker)
			it->id = id--;
}

/* Gives the numbers still reserved to the batch's posts that have none
 * (before a new take reserves more). Loop side, under p->lock. */
static void number_batch(lsched_performer *p)
{
	for (struct item *it = p->batch_head; it && p->id_left; it = it->next)
		if (!it->id && it->cb != close_marker) {
			it->id = p->id_next++;
			p->id_left--;
		}
}

/* The list from last (newest first) in acceptance order; adds to
 * *unnumbered the posts in it that have no number yet. */
static struct item *reverse(struct item *last, uint64_t *unnumbered)
{
	struct item *it, *fifo = NULL;

	for (it = last; it;) {
		struct item *next = it->next;

		*unnumbered += !it->id && it->cb != close_marker;
		it->next = fifo;
		fifo = it;
		it = next;
	}
	return fifo;
}

/* Moves the inbox to the end of the batch, in acceptance order, in one
 * pass over the items. The loop thread, or the thread running everything
 * (the gate).
 *
 * While a post's number can be seen (PERFORM_TRACED()), the pass runs under
 * p->lock: it counts the posts the common path linked, which have no
 * number yet (the newest ones), and reserves their numbers, given as they
 * run, before a locked post numbers itself. Otherwise only the take is
 * locked and the pass runs after the unlock, on a list nobody else can
 * reach: a producer's next post (locked, the inbox being empty) waits for
 * one exchange, not for a walk of thousands of items that another CPU
 * wrote (xpost: that wait was a futex sleep per batch). Posts taken so
 * have no number; one that fires while traced gets one then
 * (number_late()). */
static lsched_loop *take_inbox(lsched_performer *p)
{
	lsched_loop *loop;
	uintptr_t old;
	struct item *fifo = NULL, *last;
	uint64_t n = 0;
	bool numbered = PERFORM_TRACED();

	pthread_mutex_lock(&p->lock);
	loop = p->loop;
	/* Empties the list and clears SIGNALLED; keeps CLOSED. */
	old = atomic_fetch_and_explicit(&p->head, CLOSED, memory_order_acquire);
	last = LIST(old);
	if (last && numbered) {
		if (p->id_left)
			number_batch(p);
		fifo = reverse(last, &n);
		p->id_next = p->next_post + 1;
		p->id_left = n;
		p->next_post += n;
	}
	if ((old & SIGNALLED) && loop)
		atomic_fetch_sub(&loop->xthread_pending, 1);
	pthread_mutex_unlock(&p->lock);
	if (last && !numbered)
		fifo = reverse(last, &n); /* n unused: no number is reserved */
	if (fifo) {
		if (p->batch_tail)
			p->batch_tail->next = fifo;
		else
			p->batch_head = fifo;
		p->batch_tail = last;
	}
	return loop;
}

/* Runs the batch in order. inline_all: run prioritised items now instead
 * of scheduling them (at close). Loop thread. */
static void run_batch(lsched_performer *p, lsched_loop *loop, bool inline_all)
{
	struct item *it, *done = NULL, *done_tail = NULL;
	uint64_t ran = 0;
	/* Whether the fire events are off, looked at every 64 posts rather
	 * than per post: a recording that starts meanwhile sees the batch's
	 * runs from the next look on. */
	bool plain = !LSCHED_TRACE_ON3(perform_fire_begin, perform_fire_end,
				       loop_check);
	unsigned look = 0;

	while ((it = p->batch_head)) {
		p->batch_head = it->next;
		if (!p->batch_head)
			p->batch_tail = NULL;
		if (!it->id && p->id_left && it->cb != close_marker) {
			/* Numbers follow the batch's order. */
			it->id = p->id_next++;
			p->id_left--;
		}
		if (it->prio == FIRST_CLASS || inline_all || !loop) {
			if (++look % 64 == 0)
				plain = !LSCHED_TRACE_ON3(perform_fire_begin,
							  perform_fire_end,
							  loop_check);
			if (plain && !it->waiter && it->cb != close_marker) {
				/* A plain post: run it, counted once for the
				 * batch. */
				it->cb(it->arg);
				ran++;
			} else {
				/* Counted first: whoever this releases sees
				 * the posts before it counted as run. */
				atomic_fetch_add_explicit(&p->ran, ran,
							  memory_order_relaxed);
				ran = 0;
				item_finish(p, it, 0);
			}
			it->next = done;
			done = it;
			if (!done_tail)
				done_tail = it;
		} else {
			item_schedule(p, loop, it);
		}
	}
	if (ran)
		atomic_fetch_add_explicit(&p->ran, ran, memory_order_relaxed);
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
		/* Signalling: a first post has counted itself pending (so
		 * the loop does not sleep) but not linked yet. Draining takes
		 * the lock it holds, so the loop waits for the link instead
		 * of going round its cycle, spinning, until the poster gets
		 * a CPU again (a poster preempted by the loop it woke, on
		 * the same CPU, made a 3 ms stall: bench/hosted's wake p99). */
		if ((atomic_load_explicit(&p->head, memory_order_relaxed) &
		     SIGNALLED) ||
		    atomic_load(&p->signalling)) {
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
		atomic_fetch_or(&p->head, CLOSED);
		pthread_mutex_unlock(&p->lock);
		run_all_gated(p);
		/* A close marker (which passes the closed flag) may have been
		 * queued after that drain: once the loop is gone nothing can be
		 * queued any more, so one more drain runs whatever made it. */
		pthread_mutex_lock(&p->lock);
		p->loop = NULL;
		more = LIST(atomic_load(&p->head)) != NULL;
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
	void *raw;

	if (!loop) {
		errno = EINVAL;
		return NULL;
	}
	/* Aligned: the producers' line is apart from the rest. */
	p = alloc_aligned(sizeof(*p), true, &raw);
	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	p->raw = raw;
	if (pthread_mutex_init(&p->lock, NULL)) {
		free(raw);
		errno = ENOMEM;
		return NULL;
	}
	if (pthread_cond_init(&p->gate_cv, NULL)) {
		pthread_mutex_destroy(&p->lock);
		free(raw);
		errno = ENOMEM;
		return NULL;
	}
	pool_join();
	p->loop = loop;
	p->home = loop;
	lsched__list_init(&p->outstanding);
	atomic_init(&p->head, 0);
	atomic_init(&p->ret, NULL);
	atomic_init(&p->signalling, false);
	lsched__list_push_tail(&loop->performers, &p->loop_link);
	return p;
}

static void refuse(lsched_performer *p)
{
	atomic_fetch_add_explicit(&p->refused, 1, memory_order_relaxed);
}

/* While perform_enqueue or an event reading a post's time is on, every
 * post goes the locked path, which numbers it and emits perform_enqueue
 * before the loop can take it, and reads the clock (the common path never
 * touches the loop, which may be going away). perform_wake is only ever
 * emitted on the locked path. */
#define ENQUEUE_TRACED() PERFORM_TRACED()

/* The locked path: accepts an item into the inbox and, first of a batch,
 * signals the loop. A close marker (internal) passes a closed performer
 * and is not counted. Under p->lock, so nothing but common-path links
 * changes p->head meanwhile (see the top of this file). */
static int enqueue_locked(lsched_performer *p, lsched_work_cb cb, void *arg,
			  const char *name, int prio, struct waiter *w,
			  bool marker)
{
	struct item *it;
	lsched_loop *loop = p->loop;
	uintptr_t old = atomic_load(&p->head);
	bool signalled = false;
	int wrote = 0;

	if (((old & CLOSED) && !marker) || !loop)
		return -ESHUTDOWN;
	it = item_get(p);
	if (!it)
		return -ENOMEM;
	it->cb = cb;
	it->arg = arg;
	it->name = name;
	it->prio = prio;
	it->waiter = w;
	it->id = 0;
	it->posted_at = -1;
	if (PERFORM_TRACED())
		it->posted_at = lsched__clock_read(loop->clock);
	if (!(old & SIGNALLED)) {
		/* First of a batch: signal the loop before the item is
		 * linked, so that a failed write leaves nothing to take back
		 * and no common-path post follows a wake-up that failed.
		 * Counted pending first: the loop looks at the counter
		 * before it sleeps, so it cannot sleep through the link
		 * below. The write happens under the lock so that the loop
		 * cannot be destroyed under it (its destruction closes us
		 * under this lock first). From the loop's own thread no
		 * write is needed. SIGNALLED clear means the list is empty
		 * and nobody but us (under the lock) can change the word. */
		signalled = true;
		atomic_store(&p->signalling, true);
		atomic_fetch_add(&loop->xthread_pending, 1);
		if (!lsched_loop_in_thread(loop)) {
			int rc = lsched__loop_wake(loop);

			wrote = rc == 1;
			if (rc == 1)
				atomic_fetch_add_explicit(&p->wakes, 1,
							  memory_order_relaxed);
			if (rc < 0) {
				/* Not accepted: nothing was linked. */
				atomic_fetch_sub(&loop->xthread_pending, 1);
				atomic_store(&p->signalling, false);
				item_unget(it);
				return rc;
			}
		}
	}
	if (!marker) {
		/* Numbered once accepted (nothing below can fail): refused
		 * posts leave no gap. The common-path posts linked before
		 * this one are older: they are numbered first. */
		number_posts(p, LIST(old));
		it->id = ++p->next_post;
	}
	/* Retried only when a common-path post linked meanwhile; SIGNALLED
	 * and CLOSED cannot change while we hold the lock. */
	do
		it->next = LIST(old);
	while (!atomic_compare_exchange_weak_explicit(
		&p->head, &old, (uintptr_t)it | (old & CLOSED) | SIGNALLED,
		memory_order_release, memory_order_relaxed));
	if (signalled)
		atomic_store(&p->signalling, false);
	if (!marker) {
		/* The links that made the CAS retry are newer than the
		 * numbers given above, and are numbered by the loop. */
		atomic_fetch_add_explicit(&p->posts, 1, memory_order_relaxed);
		LSCHED_TRACE(perform_enqueue, loop, p, it->id, name,
			     prio, w != NULL, signalled, it->posted_at);
	}
	if (wrote)
		LSCHED_TRACE(perform_wake, loop, p, it->id);
	return 0;
}

/* The common path: no lock. Links the item while the loop is signalled and
 * the performer open; 1 when the locked path must take the post. */
static int enqueue_fast(lsched_performer *p, lsched_work_cb cb, void *arg,
			const char *name, int prio)
{
	uintptr_t old = atomic_load_explicit(&p->head, memory_order_relaxed);
	struct item *it;

	if ((old & FLAGS) != SIGNALLED || ENQUEUE_TRACED())
		return 1;
	it = item_get(p);
	if (!it)
		return -ENOMEM;
	it->cb = cb;
	it->arg = arg;
	it->name = name;
	it->prio = prio;
	it->waiter = NULL;
	it->id = 0;
	it->posted_at = -1;
	do {
		if ((old & FLAGS) != SIGNALLED) {
			/* Taken by the loop, or closed: the locked path
			 * signals again or refuses. */
			item_unget(it);
			return 1;
		}
		it->next = LIST(old);
	} while (!atomic_compare_exchange_weak_explicit(
		&p->head, &old, (uintptr_t)it | SIGNALLED, memory_order_release,
		memory_order_relaxed));
	atomic_fetch_add_explicit(&p->posts, 1, memory_order_relaxed);
	return 0;
}

static int enqueue(lsched_performer *p, lsched_work_cb cb, void *arg,
		   const char *name, int prio)
{
	int err = enqueue_fast(p, cb, arg, name, prio);

	if (err <= 0)
		return err;
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
	if (((atomic_load(&p->head) & CLOSED) && !marker) || !p->loop)
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
			   .prio = prio, .posted_at = -1 };

	pthread_mutex_lock(&p->lock);
	/* The inbox was drained just before, on this thread; posts linked
	 * since are older than this one: numbered first. */
	number_posts(p, LIST(atomic_load(&p->head)));
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
	err = (atomic_load(&p->head) & CLOSED) || !loop ? -ESHUTDOWN : 0;
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
	if (__builtin_expect(p && cb && !flags, 1)) {
		/* The common path first; the rest below. */
		int err = enqueue_fast(p, cb, arg, NULL, FIRST_CLASS);

		if (err <= 0) {
			if (err)
				refuse(p);
			return err;
		}
	}
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
	/* Under the lock: a post linked before this is in the list (and
	 * runs below); a post after it sees CLOSED. */
	atomic_fetch_or(&p->head, CLOSED);
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
	closed = (atomic_load(&p->head) & CLOSED) || !p->loop;
	pthread_mutex_unlock(&((lsched_performer *)p)->lock);
	return closed;
}

static void pfree(lsched_performer *p)
{
	/* Items handed back and not taken by a producer: to the pool. */
	pool_put(atomic_exchange(&p->ret, NULL),
		 atomic_load_explicit(&pool_gen, memory_order_relaxed));
	pthread_cond_destroy(&p->gate_cv);
	pthread_mutex_destroy(&p->lock);
	free(p->raw);
	pool_leave();
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
