/*
 * libsched TaskStopwatch: time slices for long-running tasks.
 *
 * A task that has long work splits it into iterations and asks the
 * stopwatch after each one whether it may go on:
 *
 *     struct lsched_stopwatch sw;
 *     lsched_stopwatch_init(&sw, loop);
 *     while (have_work() && lsched_stopwatch_continue(&sw))
 *             do_one_piece();
 *     if (have_work())
 *             lsched_task_start(task);   // or keep an auto-idle running
 *
 * lsched_stopwatch_continue() answers false once the elapsed time plus the
 * last iteration's time would exceed the slice (so the next iteration is
 * not expected to fit), or when input is pending.
 *
 * Ownership: the struct belongs to the caller (usually on the stack); its
 * fields are private. Thread-safety: use a stopwatch from the thread of its
 * loop. The process-wide default slice may be set from any thread.
 */
#ifndef LIBSCHED_STOPWATCH_H
#define LIBSCHED_STOPWATCH_H

#include <libsched/common.h>
#include <libsched/loop.h>

#ifdef __cplusplus
extern "C" {
#endif

/* VCL's time slice. */
#define LSCHED_STOPWATCH_DEFAULT_SLICE LSCHED_MS(50)

/* What counts as pending input for lsched_stopwatch_continue(). */
enum lsched_stopwatch_flags {
	LSCHED_SW_INPUT_FD = 1u << 0,          /* a descriptor is readable */
	LSCHED_SW_INPUT_CROSS_THREAD = 1u << 1, /* cross-thread work queued */
	LSCHED_SW_INPUT_HIGHER_TASK = 1u << 2,  /* a higher priority is ready */
	LSCHED_SW_ELAPSED_ONLY = 1u << 3, /* ignore the last iteration's time */
};
#define LSCHED_SW_INPUT_ALL                                                    \
	(LSCHED_SW_INPUT_FD | LSCHED_SW_INPUT_CROSS_THREAD |                   \
	 LSCHED_SW_INPUT_HIGHER_TASK)

/* Why lsched_stopwatch_continue() last answered as it did. */
enum lsched_stopwatch_verdict {
	LSCHED_SW_CONTINUE = 0,  /* go on */
	LSCHED_SW_SLICE_USED,    /* the slice is (about to be) used up */
	LSCHED_SW_INPUT_PENDING, /* input is pending */
};

/* A stopwatch. Fields are private; use the functions below. */
struct lsched_stopwatch {
	lsched_loop *loop;
	int64_t start;     /* when started or reset */
	int64_t iter_start; /* start of the current iteration */
	int64_t last_iter; /* duration of the last iteration */
	int64_t slice;
	unsigned flags;
	int priority;      /* priority of the task it runs in, or -1 */
	int verdict;
	uint64_t checks;
};

/*
 * Starts a stopwatch now, with the process default slice and
 * LSCHED_SW_INPUT_ALL. loop may be NULL: then time comes from the
 * monotonic clock and only the slice counts. Inside a task callback the
 * stopwatch remembers the task's priority at this call for
 * LSCHED_SW_INPUT_HIGHER_TASK (a later priority change is not seen).
 * Errors: -EINVAL if sw is NULL.
 */
LSCHED_API int lsched_stopwatch_init(struct lsched_stopwatch *sw,
				     lsched_loop *loop);

/* Restarts the elapsed time and the iteration time. -EINVAL for NULL. */
LSCHED_API int lsched_stopwatch_reset(struct lsched_stopwatch *sw);

/* Sets this stopwatch's slice (> 0). Errors: -EINVAL. */
LSCHED_API int lsched_stopwatch_set_slice(struct lsched_stopwatch *sw,
					  int64_t slice_ns);

/* Sets the flags (enum lsched_stopwatch_flags). Errors: -EINVAL. */
LSCHED_API int lsched_stopwatch_set_flags(struct lsched_stopwatch *sw,
					  unsigned flags);

/*
 * Ends an iteration: answers true if the task may run another iteration,
 * false if the slice is used up or input is pending (see flags). The reason
 * is kept in lsched_stopwatch_verdict(). NULL answers false.
 */
LSCHED_API bool lsched_stopwatch_continue(struct lsched_stopwatch *sw);

/* The reason of the last lsched_stopwatch_continue() answer. */
LSCHED_API enum lsched_stopwatch_verdict
lsched_stopwatch_verdict(const struct lsched_stopwatch *sw);

/* Time since start or reset, in ns (uncached clock read); -EINVAL. */
LSCHED_API int64_t lsched_stopwatch_elapsed(const struct lsched_stopwatch *sw);

/* True if the elapsed time exceeds the slice. */
LSCHED_API bool lsched_stopwatch_exceeded(const struct lsched_stopwatch *sw);

/*
 * Sets the process-wide default slice (> 0) used by later
 * lsched_stopwatch_init() calls. Thread-safe. Errors: -EINVAL.
 */
LSCHED_API int lsched_stopwatch_set_default_slice(int64_t slice_ns);

/* The process-wide default slice in ns. Thread-safe. */
LSCHED_API int64_t lsched_stopwatch_default_slice(void);

#ifdef __cplusplus
}
#endif

#endif /* LIBSCHED_STOPWATCH_H */
