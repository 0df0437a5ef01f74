/*
 * libsched task pool: worker threads for one-off blocking jobs.
 *
 * A job runs on one of the pool's worker threads. When it finishes, its
 * completion callback runs on the loop that submitted it, posted through
 * that loop's performer, with the job's status and result.
 *
 * Delivery guarantees: every submitted job (submit returned 0) gets its
 * completion callback called exactly once:
 *  - with the job's own status (0 or a negative errno it returned) after it
 *    ran;
 *  - with -ECANCELED if the pool was destroyed before the job started (the
 *    job never runs);
 *  - on the loop's thread in both cases, through the reply performer; only
 *    if that performer refuses the delivery (it was closed, or its loop
 *    destroyed, or the post failed) is the callback called on the pool's
 *    side instead (the worker, or for a cancelled job the thread calling
 *    lsched_pool_destroy()), with status -ESHUTDOWN and the job's result
 *    (NULL if it never ran), so that resources can still be freed.
 *
 * Ownership: the creator owns the pool and destroys it with
 * lsched_pool_destroy(); the handle is invalid once that returned. A
 * completion still waiting in a performer at that point keeps the pool's
 * internal memory alive until it ran (the last one frees it), so destroying
 * the pool never has to wait for the reply loops to run. The job's argument
 * and result belong to the submitter; the pool never frees them. The reply
 * performer is borrowed: it must not be destroyed while a job submitted
 * with it is pending (closing it is fine: the completion then takes the
 * -ESHUTDOWN path above).
 *
 * Threads: workers are named "name/i" (see lsched_pool_new()) and start
 * with asynchronous signals blocked, so that process signals go to the
 * application's threads; a job may change its own thread's mask. Workers
 * sleep while the queue is empty.
 *
 * Thread-safety: lsched_pool_new(), lsched_pool_submit() and
 * lsched_pool_stats() may be called from any thread, jobs and completions
 * included. lsched_pool_destroy() may
 * be called from any thread but the pool's own workers (-EDEADLK),
 * including from a completion on the reply loop. It blocks until the
 * running jobs returned: a job must not wait for the thread that destroys
 * the pool (for instance with a waiting post to its loop).
 */
#ifndef LIBSCHED_POOL_H
#define LIBSCHED_POOL_H

#include <libsched/common.h>
#include <libsched/performer.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lsched_pool lsched_pool;

/* A job: runs on a worker; may block. Stores its result (or leaves NULL)
 * and returns 0 or a negative errno. */
typedef int (*lsched_job_fn)(void *arg, void **result);

/* Completion: status is the job's return value, or -ECANCELED, or
 * -ESHUTDOWN (see above). It may submit to the pool, or destroy it. */
typedef void (*lsched_job_done_cb)(int status, void *result, void *arg);

/*
 * Creates a pool of nthreads workers (1..256). name is copied; NULL or ""
 * means "pool". Worker i is named "name/i", the name truncated so that
 * the whole fits the system's 15 bytes ("averylongpoo/12"). Returns NULL
 * with errno EINVAL (nthreads out of range), ENOMEM or the error of
 * pthread_create() (EAGAIN); on error no thread is left running.
 */
LSCHED_API lsched_pool *lsched_pool_new(unsigned nthreads, const char *name);

/*
 * Submits a job: fn(arg, &result) runs on a worker (result starts NULL);
 * then done(status, result, arg) runs on reply's loop. Jobs start in
 * submission order. Does not allocate once the pool's recycled job
 * records cover the jobs in flight.
 * Errors: -EINVAL (NULL pool, fn, done or reply), -ESHUTDOWN (the pool is
 * being destroyed), -ENOMEM. On error nothing runs.
 */
LSCHED_API int lsched_pool_submit(lsched_pool *pool, lsched_performer *reply,
				  lsched_job_fn fn, lsched_job_done_cb done,
				  void *arg);

/*
 * Stops the pool: refuses new jobs (-ESHUTDOWN) from now on, posts every
 * job that never started as -ECANCELED (result NULL; they never run), lets
 * the running jobs finish and posts their completions, joins the workers
 * and frees the pool (see Ownership for completions not yet run). Returns
 * the number of jobs cancelled (>= 0).
 * Errors: -EINVAL for NULL; -EDEADLK from one of this pool's workers
 * (nothing done; the pool keeps running).
 */
LSCHED_API int lsched_pool_destroy(lsched_pool *pool);

struct lsched_pool_stats {
	uint64_t submitted; /* accepted jobs */
	uint64_t completed; /* jobs that ran to the end (counted before their
			     * completion is posted) */
	uint64_t cancelled; /* jobs that never ran: destroy took them */
	uint64_t undeliverable; /* completions refused by their performer,
				 * run instead with -ESHUTDOWN (ran or
				 * cancelled jobs alike) */
	uint32_t queued;    /* waiting for a worker now */
	uint32_t running;   /* running now */
};

/* Fills *st with a consistent snapshot. Thread-safe, also while
 * lsched_pool_destroy() waits. Errors: -EINVAL for NULL. */
LSCHED_API int lsched_pool_stats(lsched_pool *pool,
				 struct lsched_pool_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* LIBSCHED_POOL_H */
