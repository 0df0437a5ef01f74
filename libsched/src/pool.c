/*
 * The task pool: worker threads for one-off blocking jobs.
 *
 * Submitters append job records to a FIFO queue under the pool's mutex and
 * signal a condition variable; idle workers sleep on it. A worker runs the
 * job outside the lock, then posts the same record to the submitter's
 * performer (asynchronously) as the delivery: the record carries status and
 * result to the loop's thread, where deliver() calls the completion and
 * puts the record back on the pool's free list. Records come from chunks
 * that grow only when every record is in use, so a steady stream of jobs
 * allocates nothing.
 *
 * Because records live in the pool, a completion that is still queued in a
 * performer when lsched_pool_destroy() returns keeps the pool's memory
 * alive: destroy and the last outstanding delivery each check, under the
 * lock, whether the other is done, and whichever comes last frees it.
 */
#include "internal.h"

#include <libsched/pool.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 256
#define CHUNK_JOBS 64
/* Linux thread names hold 15 bytes and a NUL. */
#define THREAD_NAME_MAX 16
#define DEFAULT_NAME "pool"

struct job {
	struct job *next; /* queue, free list or cancel list */
	lsched_pool *pool;
	lsched_performer *reply;
	lsched_job_fn fn;
	lsched_job_done_cb done;
	void *arg;
	void *result;
	int status;
};

struct chunk {
	struct chunk *next;
	struct job jobs[CHUNK_JOBS];
};

struct worker {
	pthread_t tid;
	lsched_pool *pool;
	unsigned index;
};

struct lsched_pool {
	pthread_mutex_t lock;
	pthread_cond_t work; /* workers: a job was queued, or stop */
	/* Under lock: */
	struct job *head, *tail; /* queued jobs, FIFO */
	struct job *free;        /* recycled records */
	struct chunk *chunks;
	uint32_t live;  /* records off the free list: queued, running, or
			 * posted and not yet delivered */
	bool stopping;  /* destroy started: submissions are refused */
	bool destroyed; /* destroy returned: the last delivery frees us */
	uint64_t submitted, completed, cancelled, undeliverable;
	uint32_t queued, running;
	/* Set at creation: */
	char name[THREAD_NAME_MAX];
	unsigned nthreads;
	struct worker workers[];
};

/* The pool whose worker this thread is, so that destroy can refuse to join
 * the calling thread (-EDEADLK) without scanning the workers. */
static _Thread_local lsched_pool *this_worker_pool;

/* ---- records ----------------------------------------------------------- */

/* Under pool->lock. */
static struct job *job_get(lsched_pool *pool)
{
	struct job *j = pool->free;

	if (!j) {
		struct chunk *c = malloc(sizeof(*c));

		if (!c)
			return NULL;
		c->next = pool->chunks;
		pool->chunks = c;
		for (int i = CHUNK_JOBS - 1; i >= 0; i--) {
			c->jobs[i].next = pool->free;
			pool->free = &c->jobs[i];
		}
		j = pool->free;
	}
	pool->free = j->next;
	pool->live++;
	return j;
}

/* Frees the pool's memory. Only once no worker runs and no record is out:
 * nobody else can reach the pool any more. */
static void pool_free(lsched_pool *pool)
{
	while (pool->chunks) {
		struct chunk *c = pool->chunks;

		pool->chunks = c->next;
		free(c);
	}
	pthread_cond_destroy(&pool->work);
	pthread_mutex_destroy(&pool->lock);
	free(pool);
}

/* Recycles a record whose completion ran. The pool may already be
 * destroyed: then the last record out frees it. */
static void job_put(lsched_pool *pool, struct job *j)
{
	bool last;

	pthread_mutex_lock(&pool->lock);
	j->next = pool->free;
	pool->free = j;
	pool->live--;
	last = pool->destroyed && pool->live == 0;
	pthread_mutex_unlock(&pool->lock);
	if (last)
		pool_free(pool);
}

/* ---- delivery ---------------------------------------------------------- */

/* Performed on the reply loop's thread. The record stays out of the free
 * list until done() returned, so done() may submit, or even destroy the
 * pool (destroy then leaves the freeing to job_put() below). */
static void deliver(void *arg)
{
	struct job *j = arg;
	lsched_pool *pool = j->pool;

	j->done(j->status, j->result, j->arg);
	job_put(pool, j);
}

/* Posts j's completion to its performer; if that is refused, completes it
 * on this thread with -ESHUTDOWN rather than losing it. */
static void post_completion(lsched_pool *pool, struct job *j)
{
	if (lsched_perform(j->reply, deliver, j, 0) == 0)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->undeliverable++;
	pthread_mutex_unlock(&pool->lock);
	j->done(-ESHUTDOWN, j->result, j->arg);
	job_put(pool, j);
}

/* ---- workers ----------------------------------------------------------- */

static void set_thread_name(const lsched_pool *pool, unsigned index)
{
	char suffix[8];
	char tname[THREAD_NAME_MAX];
	int slen = snprintf(suffix, sizeof(suffix), "/%u", index);
	/* Truncate the pool's name, not the index: "averylongna/12"
	 * still tells the workers apart. */
	int room = THREAD_NAME_MAX - 1 - slen;

	snprintf(tname, sizeof(tname), "%.*s%s", room, pool->name, suffix);
	/* Best effort: a name is a debugging aid, not worth failing for. */
	(void)pthread_setname_np(pthread_self(), tname);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	lsched_pool *pool = w->pool;

	this_worker_pool = pool;
	set_thread_name(pool, w->index);

	pthread_mutex_lock(&pool->lock);
	for (;;) {
		struct job *j;

		while (!pool->head && !pool->stopping)
			pthread_cond_wait(&pool->work, &pool->lock);
		/* Destroy takes the queue itself when it sets stopping, so
		 * a stopping worker never leaves a job behind. */
		if (pool->stopping)
			break;
		j = pool->head;
		pool->head = j->next;
		if (!pool->head)
			pool->tail = NULL;
		pool->queued--;
		pool->running++;
		pthread_mutex_unlock(&pool->lock);

		j->result = NULL;
		j->status = j->fn(j->arg, &j->result);

		/* Counted before posting, so a completion that reads the
		 * stats sees its own job as completed. */
		pthread_mutex_lock(&pool->lock);
		pool->running--;
		pool->completed++;
		pthread_mutex_unlock(&pool->lock);
		post_completion(pool, j);

		pthread_mutex_lock(&pool->lock);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

/* Wakes every worker to exit and joins the first n. */
static void stop_workers(lsched_pool *pool, unsigned n)
{
	pthread_mutex_lock(&pool->lock);
	pool->stopping = true;
	pthread_cond_broadcast(&pool->work);
	pthread_mutex_unlock(&pool->lock);
	for (unsigned i = 0; i < n; i++)
		pthread_join(pool->workers[i].tid, NULL);
}

/* Starts the workers with asynchronous signals blocked (threads inherit
 * the creator's mask), so that process signals go to the application's own
 * threads and never interrupt a job; the creator's mask is restored.
 * Returns 0 or a positive errno; on error the workers started are joined. */
static int start_workers(lsched_pool *pool)
{
	sigset_t all, old;
	unsigned i;
	int err = 0;

	sigfillset(&all);
	/* Faults must still reach the faulting thread. */
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < pool->nthreads; i++) {
		struct worker *w = &pool->workers[i];

		w->pool = pool;
		w->index = i;
		err = pthread_create(&w->tid, NULL, worker_main, w);
		if (err)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		stop_workers(pool, i);
	return err;
}

/* ---- the API ----------------------------------------------------------- */

lsched_pool *lsched_pool_new(unsigned nthreads, const char *name)
{
	lsched_pool *pool;
	int err;

	if (nthreads == 0 || nthreads > MAX_THREADS) {
		err = EINVAL;
		goto out;
	}
	pool = calloc(1, sizeof(*pool) + nthreads * sizeof(pool->workers[0]));
	if (!pool) {
		err = ENOMEM;
		goto out;
	}
	err = pthread_mutex_init(&pool->lock, NULL);
	if (err)
		goto out_free;
	err = pthread_cond_init(&pool->work, NULL);
	if (err)
		goto out_destroy_mutex;
	snprintf(pool->name, sizeof(pool->name), "%s",
		 name && *name ? name : DEFAULT_NAME);
	pool->nthreads = nthreads;
	err = start_workers(pool);
	if (err)
		goto out_destroy_cond;
	return pool;

out_destroy_cond:
	pthread_cond_destroy(&pool->work);
out_destroy_mutex:
	pthread_mutex_destroy(&pool->lock);
out_free:
	free(pool);
out:
	errno = err;
	return NULL;
}

int lsched_pool_submit(lsched_pool *pool, lsched_performer *reply,
		       lsched_job_fn fn, lsched_job_done_cb done, void *arg)
{
	struct job *j;
	int err = 0;

	if (!pool || !reply || !fn || !done)
		return -EINVAL;
	pthread_mutex_lock(&pool->lock);
	if (pool->stopping) {
		err = -ESHUTDOWN;
		goto out_unlock;
	}
	j = job_get(pool);
	if (!j) {
		err = -ENOMEM;
		goto out_unlock;
	}
	*j = (struct job){ .pool = pool, .reply = reply, .fn = fn,
			   .done = done, .arg = arg };
	if (pool->tail)
		pool->tail->next = j;
	else
		pool->head = j;
	pool->tail = j;
	pool->queued++;
	pool->submitted++;
	pthread_cond_signal(&pool->work);
out_unlock:
	pthread_mutex_unlock(&pool->lock);
	return err;
}

int lsched_pool_destroy(lsched_pool *pool)
{
	struct job *cancel, *j;
	int ncancelled = 0;
	bool last;

	if (!pool)
		return -EINVAL;
	if (this_worker_pool == pool)
		return -EDEADLK; /* we would join ourselves */

	/* Refuse submissions and take the queue in one step: no worker
	 * can start a job after this, and none is left behind. */
	pthread_mutex_lock(&pool->lock);
	pool->stopping = true;
	cancel = pool->head;
	pool->head = pool->tail = NULL;
	for (j = cancel; j; j = j->next)
		ncancelled++;
	pool->queued = 0;
	pool->cancelled += (uint64_t)ncancelled;
	pthread_cond_broadcast(&pool->work);
	pthread_mutex_unlock(&pool->lock);

	/* Deliver the cancellations before waiting for the running jobs,
	 * so that they are not held up by a long job. */
	while ((j = cancel)) {
		cancel = j->next;
		j->status = -ECANCELED;
		j->result = NULL;
		post_completion(pool, j);
	}

	stop_workers(pool, pool->nthreads);

	pthread_mutex_lock(&pool->lock);
	pool->destroyed = true;
	last = pool->live == 0;
	pthread_mutex_unlock(&pool->lock);
	if (last)
		pool_free(pool);
	return ncancelled;
}

int lsched_pool_stats(lsched_pool *pool, struct lsched_pool_stats *st)
{
	if (!pool || !st)
		return -EINVAL;
	pthread_mutex_lock(&pool->lock);
	st->submitted = pool->submitted;
	st->completed = pool->completed;
	st->cancelled = pool->cancelled;
	st->undeliverable = pool->undeliverable;
	st->queued = pool->queued;
	st->running = pool->running;
	pthread_mutex_unlock(&pool->lock);
	return 0;
}
