/*
 * libsched Performer: any thread posts work that runs on a loop's thread.
 *
 * A post is a callback and an argument. It runs on the loop's thread, in
 * the order posts were accepted (across all producers), either before the
 * scheduler's tasks of the next cycle (the default, as VCL runs user events
 * first) or as a one-shot scheduler task at a priority of your choice
 * (lsched_perform_at()).
 *
 * Delivery guarantees:
 *  - every post that returned 0 runs exactly once; a post that returned an
 *    error never runs;
 *  - lsched_performer_close() runs every post accepted before it (including
 *    those waiting in the scheduler as tasks), then refuses new ones with
 *    -ESHUTDOWN;
 *  - a caller blocked in a waiting post (LSCHED_PERFORM_WAIT) is always
 *    released: with 0 once its work ran, or with an error if it was refused;
 *    it blocks until the loop's thread runs the work (or the loop is
 *    destroyed), so do not make one from the thread that is going to run
 *    the loop, before it runs it: nothing would ever run the work;
 *    crossed waiting posts that would deadlock (loop A's thread waits on B
 *    while B's thread waits on A, or any longer cycle) return -EDEADLK at
 *    once instead of blocking;
 *  - destroying the loop closes its performers first (running what they
 *    accepted); afterwards a post returns -ESHUTDOWN, never undefined
 *    behaviour;
 *  - a failed wake-up write is returned to the poster (-EIO) and the post is
 *    not accepted.
 *
 * Wake-ups collapse: one eventfd write per batch, none while the loop is
 * already signalled. The loop takes the inbox as it stands when it starts
 * draining; work posted while it drains runs next cycle, so work that keeps
 * posting itself cannot starve descriptors and timers. An asynchronous post
 * to a loop already signalled takes no lock (one compare-and-swap) and
 * allocates nothing: items come from a per-thread cache, refilled in
 * batches from the items the loop hands back, else from a pool shared by
 * the live performers, which grows only when every item is in flight and
 * is freed with the last performer.
 *
 * Ownership: the creator owns the performer and destroys it with
 * lsched_performer_destroy(); it may outlive its loop. The argument of a
 * post belongs to the poster; the library never frees it.
 *
 * Thread-safety: lsched_perform(), lsched_perform_at(),
 * lsched_performer_close(), lsched_performer_is_closed() and the counters
 * may be called from any thread. lsched_performer_new() and
 * lsched_performer_destroy() are called from the loop's thread or while the
 * loop does not run.
 */
#ifndef LIBSCHED_PERFORMER_H
#define LIBSCHED_PERFORMER_H

#include <libsched/common.h>
#include <libsched/loop.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lsched_performer lsched_performer;

/* Posted work. Runs on the loop's thread. */
typedef void (*lsched_work_cb)(void *arg);

enum lsched_perform_flags {
	/* Block until the work ran (or was refused). From the loop's own
	 * thread: drains the inbox first (default posts run, posts at a
	 * priority become tasks), then runs the work inline. */
	LSCHED_PERFORM_WAIT = 1u << 0,
};

/*
 * Creates a performer for loop. Returns NULL with errno EINVAL (NULL loop)
 * or ENOMEM.
 */
LSCHED_API lsched_performer *lsched_performer_new(lsched_loop *loop);

/*
 * Posts cb(arg) to run on the loop's thread before the scheduler's tasks.
 * flags: 0 or LSCHED_PERFORM_WAIT.
 * Returns 0 (accepted; with WAIT: it ran). Errors: -EINVAL (NULL
 * performer or cb, unknown flags), -ESHUTDOWN (closed, or its loop was
 * destroyed), -EDEADLK (a waiting post that would close a wait cycle; not
 * accepted), -ENOMEM (the item pool could not grow), -EIO (the wake-up
 * write failed; not accepted).
 */
LSCHED_API int lsched_perform(lsched_performer *p, lsched_work_cb cb,
			      void *arg, unsigned flags);

/*
 * Like lsched_perform(), but the work becomes a one-shot scheduler task
 * named name (borrowed; must stay valid until it ran) at priority prio,
 * ordered with the loop's other tasks. A waiting post from the loop's own
 * thread runs it inline. Errors as lsched_perform(), and -EINVAL for a NULL
 * or empty name or an unknown priority.
 */
LSCHED_API int lsched_perform_at(lsched_performer *p, int prio,
				 const char *name, lsched_work_cb cb, void *arg,
				 unsigned flags);

/*
 * Closes the performer: refuses new posts from now on, then runs every post
 * accepted before, in order. From the loop's thread, or while the loop does
 * not run (and no thread starts it meanwhile), they run inline before this
 * returns. From another thread while the loop runs, this blocks until the
 * loop's thread ran them (or the loop was destroyed); so does a second
 * close racing with the first. Idempotent.
 * Errors: -EINVAL for NULL; and, from another thread while the loop runs:
 * -EDEADLK when waiting for the loop would close a wait cycle, -ENOMEM or
 * -EIO when the request to the loop's thread could not be queued. In
 * those cases the performer is closed all the same and its pending work
 * runs when the loop next drains it (or at the loop's destruction).
 */
LSCHED_API int lsched_performer_close(lsched_performer *p);

/* True once the performer refuses posts. Thread-safe. */
LSCHED_API bool lsched_performer_is_closed(const lsched_performer *p);

/*
 * Closes (see lsched_performer_close()) and frees the performer. From the
 * loop's thread or while the loop does not run; also from inside work the
 * performer runs (it is then freed once that work returns). NULL is a
 * no-op.
 */
LSCHED_API void lsched_performer_destroy(lsched_performer *p);

/* Counters, readable from any thread. */
struct lsched_performer_stats {
	uint64_t posts;   /* accepted posts */
	uint64_t wakes;   /* wake-up signals actually written */
	uint64_t ran;     /* posts that ran */
	uint64_t refused; /* posts refused (closed, deadlock, errors) */
	uint64_t waits;   /* accepted waiting posts */
};

/* Fills *st. Errors: -EINVAL for NULL. */
LSCHED_API int lsched_performer_stats(const lsched_performer *p,
				      struct lsched_performer_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* LIBSCHED_PERFORMER_H */
