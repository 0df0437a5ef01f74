/*
 * libsched scheduler: prioritised, cooperative tasks in the VCL model.
 *
 * Every loop has one scheduler. A task is a named callback with a priority.
 * It is an idle (ready as soon as it starts) or a timer (ready once its
 * timeout has passed), and one-shot or auto-repeating (VCL's Idle, AutoIdle,
 * Timer, AutoTimer).
 *
 * Policy:
 *  - strict priority: a ready task of a higher priority always runs before
 *    any of a lower one; higher priorities can starve lower ones;
 *  - round-robin within a priority: tasks run in the order they became
 *    ready, and a repeating task goes to the tail after it runs; a
 *    restart of a task that is ready does not move it;
 *  - cooperative: a task runs until its callback returns (split long work,
 *    see stopwatch.h);
 *  - input first: the loop gives descriptors and cross-thread work a chance
 *    between two tasks; no task starts while input is pending (the pass
 *    ends and the next cycle handles the input first);
 *  - finding the next task costs O(1) whatever the number of tasks.
 *
 * Timers falling due while tasks run: the loop reads its clock after a
 * task only when something needs the time then (a traced run, a ready
 * task with a maximum wait), and otherwise after every Nth task, N a power
 * of two from 1 to 64: N doubles while the N tasks between two reads took
 * less than 5 us together and drops to 1 when they took more than 10 us.
 * So a timer (or a loop timer) that falls due in a run of tasks longer
 * than 10 us runs right after the task during which it fell due, as
 * before; in a run of tiny tasks, within 64 tasks of its deadline (about
 * 10 us in a steady run); never before its deadline. Timer deadlines,
 * maximum waits, an auto-timer's next period and lsched_loop_now() in a
 * callback read the clock afresh if a task ended since the last read, so
 * they never count from a lagging time (docs/architecture.md, Time).
 * Two extensions, off by default: a maximum wait per task, and children.
 *
 * Ownership: the caller owns a task from lsched_task_new() until
 * lsched_task_destroy() or the destruction of its loop. The name is
 * borrowed, not copied: it must stay valid for the task's life (a string
 * literal usually).
 *
 * Thread-safety: tasks are used from the thread running their loop (or any
 * single thread while the loop does not run). Cross-thread work goes
 * through the Performer.
 */
#ifndef LIBSCHED_TASK_H
#define LIBSCHED_TASK_H

#include <libsched/common.h>
#include <libsched/loop.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The VCL priorities, highest first. Lower values are more urgent. */
enum lsched_priority {
	LSCHED_PRIO_HIGHEST = 0,
	LSCHED_PRIO_DEFAULT,
	LSCHED_PRIO_HIGH_IDLE,
	LSCHED_PRIO_RESIZE,
	LSCHED_PRIO_REPAINT,
	LSCHED_PRIO_POST_PAINT,
	LSCHED_PRIO_DEFAULT_IDLE,
	LSCHED_PRIO_LOWEST,
};
#define LSCHED_PRIO_COUNT 8

/* Task kinds (VCL: Idle, AutoIdle, Timer, AutoTimer). */
enum lsched_task_kind {
	LSCHED_TASK_IDLE = 0,    /* ready at once, runs once per start */
	LSCHED_TASK_AUTO_IDLE,   /* ready at once, repeats until stopped */
	LSCHED_TASK_TIMER,       /* ready after its timeout, runs once */
	LSCHED_TASK_AUTO_TIMER,  /* ready after its timeout, repeats */
};

/*
 * Auto-timers keep their period: after a run, an auto-timer is re-armed
 * to (the time its run was dispatched) + timeout, as VCL, GLib and libuv
 * re-arm from the dispatch, so a 1 s auto-timer whose callback takes
 * 90 ms still fires every 1 s. Catch-up rule: if the callback ran past
 * that deadline, the timer is due as its callback returns, and fires once
 * then: the periods it overran are skipped, never made up (as
 * LSCHED_CATCHUP_SKIP of a loop timer). A wait between the deadline and
 * the dispatch (other tasks ran first) moves the next deadline with it.
 *
 * Any timeout >= 0 is accepted, with no floor: a timer task runs at most
 * once per task pass (each task runs at most once per cycle), and every
 * cycle also polls descriptors, runs cross-thread work and checks for a
 * stop, so even a 0 or 10 ns auto-timer cannot starve input, a stop, or
 * the tasks of its own or a higher priority; like any ready task it does
 * starve lower priorities (strict priority, or set a max wait).
 */

/*
 * Task callback. The task may be restarted, stopped or destroyed inside.
 * Once it is destroyed (inside its own callback, before it returns), every
 * setter and lsched_task_start()/stop() refuse it with -EINVAL; the getters
 * still answer until the callback returns and the task is freed.
 */
typedef void (*lsched_task_cb)(lsched_task *task, void *arg);

/*
 * Creates a stopped task on loop. name is required (non-empty) and
 * borrowed. prio is an enum lsched_priority. Timers start with a 0 timeout.
 * Returns NULL with errno EINVAL (NULL loop, name or cb, empty name,
 * unknown kind or priority) or ENOMEM.
 */
LSCHED_API lsched_task *lsched_task_new(lsched_loop *loop, const char *name,
					enum lsched_task_kind kind, int prio,
					lsched_task_cb cb, void *arg);

/*
 * Stops and frees a task. Safe at any time, including inside its own
 * callback (freed when the callback returns). Its children are detached
 * (not started); if it is a child, it leaves its parent. NULL is a no-op.
 */
LSCHED_API void lsched_task_destroy(lsched_task *task);

/*
 * Starts the task. What a start does depends on the task's state:
 *  - inactive (never started, stopped, or a one-shot that ran): an idle or
 *    auto-idle becomes ready at the tail of its priority's queue, ready
 *    since now; a timer or auto-timer waits for now + timeout (now: the
 *    loop's cached time, lsched_loop_now(); saturating);
 *  - waiting (a timer or auto-timer before its deadline): re-armed to
 *    now + timeout, as VCL's Timer::Start();
 *  - ready (an idle, or a timer whose deadline passed, not yet run):
 *    nothing moves: it keeps its place in its queue and the time it
 *    became ready, so its wait and its max-wait deadline keep counting
 *    from then (VCL: Start() of an active task does not move it);
 *  - running, inside its own callback: a one-shot task is inactive while
 *    it runs (VCL), so it is queued again as from inactive, at the tail;
 *    a repeating task is queued the same way at once instead of going
 *    back to the tail when its callback returns (the same place).
 * A started task stops its children (VCL TODO "task dependencies"); a
 * start of a ready task does too.
 * Errors: -EINVAL for NULL or a task destroyed inside its own callback.
 */
LSCHED_API int lsched_task_start(lsched_task *task);

/*
 * Stops the task (no-op if inactive). If it was active, its children start.
 * Errors: -EINVAL for NULL or a task destroyed inside its own callback.
 */
LSCHED_API int lsched_task_stop(lsched_task *task);

/* True if the task is started and has not finished or been stopped. */
LSCHED_API bool lsched_task_is_active(const lsched_task *task);

/* True while the task's callback runs. */
LSCHED_API bool lsched_task_is_running(const lsched_task *task);

/*
 * Changes the priority. A ready task moves to the tail of its new queue
 * (keeping the time it became ready); a running task keeps running and
 * uses the new priority when it next becomes ready.
 * Errors: -EINVAL (NULL, unknown priority, destroyed in its callback).
 */
LSCHED_API int lsched_task_set_priority(lsched_task *task, int prio);

/* The task's priority, or -EINVAL for NULL. */
LSCHED_API int lsched_task_priority(const lsched_task *task);

/*
 * Sets a timer's timeout (>= 0). If the timer is waiting for its deadline,
 * it is re-armed to now + timeout; if it is already ready (due) or
 * inactive, the timeout applies from its next start or re-arm. For idles
 * the timeout is stored and ignored. No minimum (see the auto-timers note
 * above). Errors: -EINVAL (NULL, negative timeout, destroyed in its
 * callback).
 */
LSCHED_API int lsched_task_set_timeout(lsched_task *task, int64_t timeout_ns);

/*
 * Replaces the task's callback and its argument. Allowed in any state,
 * including while the task is queued or inside its own callback: the run
 * under way (if any) finishes with the old callback, every later run
 * calls the new one (rtmfp-cpp assigns a timer's action after arming it).
 * Errors: -EINVAL (NULL task or cb, destroyed in its callback).
 */
LSCHED_API int lsched_task_set_callback(lsched_task *task, lsched_task_cb cb,
					void *arg);

/* The task's timeout in ns, or -EINVAL for NULL. */
LSCHED_API int64_t lsched_task_timeout(const lsched_task *task);

/*
 * Sets a maximum wait (> 0), or 0 for none (the default): once the task has
 * been ready for max_wait_ns or longer, it runs next whatever its
 * priority (tasks overdue longest first). A restart of a ready task does
 * not reset it (lsched_task_start()). Errors: -EINVAL (NULL, negative,
 * destroyed in its callback).
 */
LSCHED_API int lsched_task_set_max_wait(lsched_task *task,
					int64_t max_wait_ns);

/* The task's maximum wait in ns (0: none), or -EINVAL for NULL. */
LSCHED_API int64_t lsched_task_max_wait(const lsched_task *task);

/*
 * Makes child a child of parent: when parent stops or a one-shot run of
 * parent completes, child starts; when parent starts, child stops. A task
 * has at most one parent; a parent any number of children, started in the
 * order they were added.
 * Errors: -EINVAL (NULL, same task, tasks of different loops), -EBUSY
 * (child already has a parent), -ELOOP (child is an ancestor of parent).
 */
LSCHED_API int lsched_task_add_child(lsched_task *parent, lsched_task *child);

/*
 * Detaches child from its parent. Errors: -EINVAL for NULL; -ENOENT if it
 * has no parent.
 */
LSCHED_API int lsched_task_remove_child(lsched_task *child);

/* The task's parent, or NULL. */
LSCHED_API lsched_task *lsched_task_parent(const lsched_task *task);

/* The task's name, kind, loop. */
LSCHED_API const char *lsched_task_name(const lsched_task *task);
LSCHED_API enum lsched_task_kind lsched_task_kind(const lsched_task *task);
LSCHED_API lsched_loop *lsched_task_loop(const lsched_task *task);

/* An id unique within the process, stable for the task's life (never 0). */
LSCHED_API uint64_t lsched_task_id(const lsched_task *task);

/* How many times the task's callback has run. */
LSCHED_API uint64_t lsched_task_runs(const lsched_task *task);

/*
 * When the task last became ready (ns; for a timer, its deadline), while it
 * is ready or its callback runs: inside the callback, the loop's now minus
 * this is how long the run waited. -ENOENT otherwise, -EINVAL for NULL.
 */
LSCHED_API int64_t lsched_task_ready_since(const lsched_task *task);

/* The task whose callback runs now on loop, or NULL. */
LSCHED_API lsched_task *lsched_loop_current_task(const lsched_loop *loop);

/* Number of ready tasks at priority prio on loop (O(1)); -EINVAL if bad. */
LSCHED_API int64_t lsched_loop_ready_count(const lsched_loop *loop, int prio);

/* The priority's name ("HIGHEST"...), or NULL if prio is unknown.
 * Thread-safe (a static string). */
LSCHED_API const char *lsched_priority_name(int prio);

/* Parses a priority name (case-insensitive); -EINVAL if unknown or NULL.
 * Thread-safe. */
LSCHED_API int lsched_priority_from_name(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* LIBSCHED_TASK_H */
