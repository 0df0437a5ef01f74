/*
 * libsched RunLoop: descriptors, timers and the scheduler's home.
 *
 * A loop runs in one thread at a time. Each cycle:
 *   1. reads the clock once and caches it (lsched_loop_now());
 *   2. moves due timers off the timer heap: loop timers to the due list,
 *      scheduler tasks to their priority's ready queue;
 *   3. fires due loop timers;
 *   4. polls descriptors (without blocking while a task is ready, otherwise
 *      until the next deadline) and dispatches their callbacks; if the poll
 *      waited, steps 2 and 3 run again;
 *   5. runs the work queued by its performers (performer.h);
 *   6. runs ready scheduler tasks, highest priority first, giving input a
 *      chance between two tasks (see lsched_loop_input_source(): an
 *      io_uring completion seen with one load, or the input interval).
 *      This pass ends when no task is ready, when the next task already
 *      ran in this cycle (each task runs at most once per cycle), when
 *      input is pending, a loop timer is due or a stop was asked, or after
 *      4096 tasks; then the cycle starts again.
 * docs/architecture.md describes the cycle and its data structures.
 *
 * Ownership: the creator owns the loop and destroys it with
 * lsched_loop_destroy() once it no longer runs. Destroying a loop first
 * closes its performers (running the work they accepted), then frees every
 * timer, task and descriptor registration still attached to it: their
 * handles become invalid. Descriptors themselves are never closed by the
 * library.
 *
 * Thread-safety: a loop, its timers, tasks and registrations are used from
 * the thread running the loop (or from any single thread while it does not
 * run). The exceptions, callable from any thread at any time while the loop
 * exists, are lsched_loop_stop(), lsched_loop_in_thread() and
 * lsched_loop_is_running().
 *
 * Reentrancy: callbacks may add or remove descriptors, timers and tasks,
 * including their own, and may destroy their own object. A timer started
 * or re-armed during the timer phase fires in a later timer phase, never in
 * the same one; an event of a descriptor watcher removed or replaced during
 * the descriptor phase is not delivered to it (nor to its replacement). A task started by a task may run in
 * the same pass (it has not run in it yet), unless the pass ends first.
 */
#ifndef LIBSCHED_LOOP_H
#define LIBSCHED_LOOP_H

#include <libsched/common.h>
#include <libsched/clock.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Descriptor events, for lsched_loop_watch_fd() and its callback. */
enum lsched_fd_events {
	LSCHED_FD_READ = 1u << 0,  /* readable */
	LSCHED_FD_WRITE = 1u << 1, /* writable */
	LSCHED_FD_ERROR = 1u << 2, /* error condition (reported, not asked) */
	LSCHED_FD_HUP = 1u << 3,   /* hang-up (reported, not asked) */
};

/* How lsched_loop_run() runs. */
enum lsched_run_mode {
	LSCHED_RUN_DEFAULT = 0, /* cycle until lsched_loop_stop() */
	/* One cycle, which dispatches once and returns. It blocks only if
	 * nothing was due or ready when the cycle began, and then only
	 * until the first thing is (a deadline, an event, posted work, a
	 * stop), which it dispatches; a cycle that found a timer due polls
	 * without blocking (libuv's UV_RUN_ONCE). With nothing armed at
	 * all, it blocks until a descriptor, a post or a stop wakes it. */
	LSCHED_RUN_ONCE,
	LSCHED_RUN_NOWAIT,      /* one cycle; never waits */
};

/* Descriptor callback: revents holds the lsched_fd_events that occurred. */
typedef void (*lsched_fd_cb)(lsched_loop *loop, int fd, unsigned revents,
			     void *arg);

/* Loop timer callback. */
typedef void (*lsched_timer_cb)(lsched_timer *timer, void *arg);

/*
 * Creates a loop reading time from clock (NULL: the monotonic clock). The
 * clock must outlive the loop. Returns NULL with errno set: ENOMEM, or the
 * errno of the poller's creation (EMFILE, ENFILE).
 */
LSCHED_API lsched_loop *lsched_loop_new(lsched_clock *clock);

/*
 * Destroys a loop and everything still attached to it (timers, tasks,
 * descriptor registrations; descriptors are not closed). Its performers are
 * closed first, running the work they accepted; they stay valid (closed)
 * until their own lsched_performer_destroy().
 * Errors: -EINVAL for NULL; -EBUSY if the loop is running (nothing freed).
 */
LSCHED_API int lsched_loop_destroy(lsched_loop *loop);

/*
 * Runs the loop in the calling thread (see enum lsched_run_mode).
 * Returns 0 when it returns normally (stopped, or one cycle done).
 * Errors: -EINVAL for NULL or an unknown mode; -EBUSY if the loop already
 * runs (in this thread, from a callback, or in another thread); the poller's
 * error (negative errno) if waiting for events fails, or the read error of
 * the loop's wake-up eventfd, reported at the end of the cycle it happened
 * in (that cycle's work still ran; the loop stays usable and may be run
 * again).
 * A stop requested while the loop did not run makes the next run return
 * at once, before it dispatches anything (libuv's uv_stop() before
 * uv_run()); that run consumes the stop.
 */
LSCHED_API int lsched_loop_run(lsched_loop *loop, enum lsched_run_mode mode);

/*
 * Runs the loop for duration_ns of its clock's time (>= 0), or until
 * stopped; timers due exactly at the end still fire. On a virtual clock
 * with auto-advance, the clock is moved to the end of the duration if
 * nothing else is due; on a virtual clock without auto-advance, time only
 * moves when another thread (or a callback) moves it, and the loop polls
 * without sleeping meanwhile. Errors as lsched_loop_run(), and -EINVAL for
 * a negative duration.
 */
LSCHED_API int lsched_loop_run_for(lsched_loop *loop, int64_t duration_ns);

/*
 * Asks the loop to return from lsched_loop_run() at the end of the current
 * callback. Thread-safe; wakes the loop if it sleeps. Made while the loop
 * does not run, it makes the next run return before any dispatch.
 * Errors: -EINVAL for NULL; -EIO if the wake-up write fails (the stop is
 * still recorded).
 */
LSCHED_API int lsched_loop_stop(lsched_loop *loop);

/* The longest loop name, in bytes (lsched_loop_set_name()). */
#define LSCHED_LOOP_NAME_MAX 63

/*
 * Names the loop, for traces and the tools: a copy of name is kept, and
 * the trace event loop_name carries it (docs/tracepoints.md), so that
 * schedprof, schedtop and schedreplay show the loop as "NAME" beside its
 * thread's name and id. Without a name the tools show the thread alone.
 * The thread itself is not renamed (pthread_setname_np() does that). A
 * trace started after the call lacks the event: name a loop before it
 * runs. NULL or "" removes the name. Thread servers name their loop after
 * the server.
 * Not synchronised: call it on the loop's thread, or while no thread runs
 * the loop and none reads lsched_loop_name().
 * Errors: -EINVAL for a NULL loop; -ENAMETOOLONG for a name longer than
 * LSCHED_LOOP_NAME_MAX bytes (the name is unchanged).
 */
LSCHED_API int lsched_loop_set_name(lsched_loop *loop, const char *name);

/* The loop's name, "" if it has none (NULL for a NULL loop). Owned by the
 * loop: valid until the next lsched_loop_set_name() or the loop's
 * destruction. Same threading rule as lsched_loop_set_name(). */
LSCHED_API const char *lsched_loop_name(const lsched_loop *loop);

/* True if the calling thread is running loop right now. Thread-safe. */
LSCHED_API bool lsched_loop_in_thread(const lsched_loop *loop);

/* True if some thread is running loop right now. Thread-safe. */
LSCHED_API bool lsched_loop_is_running(const lsched_loop *loop);

/* The loop's clock (never NULL for a valid loop). */
LSCHED_API lsched_clock *lsched_loop_clock(const lsched_loop *loop);

/*
 * The loop's time, in ns: cached at the start of the current cycle and
 * refreshed as the task pass needs it (task.h); called on the loop's
 * thread after a task ended without a read (in a callback, say), it reads
 * the clock, so it is never behind the time the previous task ended.
 * Cheap otherwise. Returns -EINVAL for NULL. On the real clock,
 * on x86_64 with an invariant TSC, the refresh after a task extrapolates
 * from the cycle's real read with the TSC (docs/architecture.md, Time):
 * never ahead of CLOCK_MONOTONIC, behind it by tens of ns at most, never
 * backwards; LSCHED_TSC=0 in the environment makes it a real read.
 */
LSCHED_API int64_t lsched_loop_now(const lsched_loop *loop);

/* Reads the clock, refreshes the cached time and returns it (ns); -EINVAL
 * for NULL. */
LSCHED_API int64_t lsched_loop_update_now(lsched_loop *loop);

/*
 * Sets how long tiny tasks may run back to back before the loop polls its
 * descriptors without blocking (default 100 us; 0 polls after every task),
 * where the loop uses the interval check (LSCHED_INPUT_INTERVAL, see
 * lsched_loop_input_source()). Input then waits at most this interval plus
 * the tasks run until the loop next reads its clock: the task running when
 * it arrived on a virtual clock or while tasks are long, up to 16 tasks
 * while they are short (16 of the last ones' average length take less
 * than a quarter of the interval), so about 1.25 intervals with tasks of
 * steady length.
 * With LSCHED_INPUT_IO_URING the interval is not used: input is seen at the
 * first check (after a task, in a stopwatch) after it arrives.
 * Errors: -EINVAL for NULL or a negative interval.
 */
LSCHED_API int lsched_loop_set_input_interval(lsched_loop *loop,
					      int64_t interval_ns);

/* Current input interval in ns, or -EINVAL for NULL. */
LSCHED_API int64_t lsched_loop_input_interval(const lsched_loop *loop);

/* How a loop notices input between two tasks (lsched_loop_input_source()). */
enum lsched_input_source {
	LSCHED_INPUT_UNKNOWN = 0, /* not chosen yet: the loop never ran */
	/* A multishot io_uring poll on the loop's poller descriptor posts a
	 * completion when a watched descriptor (or the wake-up eventfd)
	 * becomes ready; the check after each task is one memory load, and
	 * polls without blocking only when a completion came. One ring per
	 * loop (a descriptor and two pages), made by the loop's first run on
	 * the real clock, on the thread that runs it (a run on another
	 * thread arms a new one); rings are reused by later loops and stay
	 * open until the process ends (docs/architecture.md); at most 128
	 * loops of a process hold one at once, the others fall back. While a ring is
	 * armed, the kernel may interrupt the thread that armed it (task
	 * work): a blocking epoll_wait() of its own can return EINTR. */
	LSCHED_INPUT_IO_URING = 1,
	/* The fallback: the loop polls once the input interval has passed
	 * (lsched_loop_set_input_interval()). Used on a virtual clock (its
	 * interval is virtual time, for deterministic tests), where io_uring
	 * is missing or refused (kernel, io_uring_disabled, seccomp,
	 * Valgrind), after a fork() in the child, and when the environment
	 * holds LSCHED_IO_URING=0 as the loop first runs. */
	LSCHED_INPUT_INTERVAL = 2,
};

/*
 * Which enum lsched_input_source the loop uses: chosen by its first run
 * (lsched_loop_run(), lsched_loop_dispatch()), and again by a run in a
 * forked child or on another thread; the trace's loop_input_source event
 * says the same with the errno that refused io_uring. LSCHED_INPUT_UNKNOWN
 * before the first run; -EINVAL for NULL.
 */
LSCHED_API int lsched_loop_input_source(const lsched_loop *loop);

/*
 * Spin-then-sleep, for latency-critical loops: when the loop is about to
 * sleep in the poller, it first spins for up to spin_ns (never past its
 * next deadline) watching its stop flag and its queued cross-thread work
 * (performers, lsched_loop_stop()), and only then sleeps. Work posted
 * while it spins is seen within about a microsecond (when the poster runs
 * on another CPU) and costs the poster no eventfd write; without a spin, waking a sleeping thread costs about
 * 10 us on a VM. The price: the loop burns its CPU for up to spin_ns every
 * time it would sleep (it yields the CPU between looks, so a poster on the
 * same CPU still runs). Descriptors are polled without blocking every
 * input interval while it spins, as during a run of tasks, so input waits
 * no longer than it would behind tasks. A loop on a virtual clock never
 * sleeps, so it never spins.
 *
 * 0 (the default) turns spinning off. Set from the thread that runs the
 * loop (or while it does not run), like every setting of a loop; the spin
 * itself pairs with the posting threads through atomics, so no wake-up is
 * lost (docs/architecture.md, Threads).
 * Errors: -EINVAL for NULL or a negative spin_ns.
 */
LSCHED_API int lsched_loop_set_spin(lsched_loop *loop, int64_t spin_ns);

/* Current spin in ns (0: off), or -EINVAL for NULL. */
LSCHED_API int64_t lsched_loop_spin(const lsched_loop *loop);

/*
 * True if input is pending: a descriptor seen ready by the last non-blocking
 * poll and not yet dispatched, or queued cross-thread work. Does not poll.
 */
LSCHED_API bool lsched_loop_input_pending(const lsched_loop *loop);

/*
 * Refreshes the cached time, polls the descriptors without blocking if the
 * last poll is older than the input interval, then answers
 * lsched_loop_input_pending() (false for NULL). Used by stopwatches in long
 * tasks; call from the loop's thread.
 */
LSCHED_API bool lsched_loop_check_input(lsched_loop *loop);

/* ---- Descriptors ------------------------------------------------------ */

/*
 * Watches fd for events (LSCHED_FD_READ and/or LSCHED_FD_WRITE); cb(arg)
 * runs in the loop's thread when one occurs (level-triggered).
 *
 * One watcher per condition: a descriptor has at most one callback for
 * readable and one for writable (GLib's two sources on one fd, rtmfp-cpp's
 * per-condition registration). A watch takes the conditions in events for
 * cb, replacing whatever watched those conditions before, and leaves the
 * fd's other condition to its own watcher: watching READ with a and then
 * WRITE with b keeps both; watching READ|WRITE with one callback makes one
 * watcher, called once with both bits. The fd keeps one registration with
 * the poller for the union, changed in place (EPOLL_CTL_MOD).
 * Each watcher's revents holds its own conditions that occurred, plus
 * LSCHED_FD_ERROR and LSCHED_FD_HUP, which reach every watcher of the fd.
 * A watcher removed or replaced by another callback of the same cycle is
 * not called with that cycle's events.
 * Errors: -EINVAL (NULL loop or cb, events empty or unknown bits, or an fd
 * the poller refuses such as its own), -EBADF (fd negative or not open, or
 * the loop's own wake-up eventfd),
 * -EPERM (fd type the poller cannot watch, e.g. a regular file), -ENOMEM,
 * or another negative errno of epoll_ctl(2) (-ENOSPC: the user's watch
 * limit). On error nothing is registered or changed, except when fd was
 * closed and its number reused without an unwatch: then the stale
 * registration is dropped.
 */
LSCHED_API int lsched_loop_watch_fd(lsched_loop *loop, int fd, unsigned events,
				    lsched_fd_cb cb, void *arg);

/*
 * Stops watching fd (every condition). The fd is not closed. Unwatch
 * before closing an fd.
 * Errors: -EINVAL for NULL; -ENOENT if fd is not watched.
 */
LSCHED_API int lsched_loop_unwatch_fd(lsched_loop *loop, int fd);

/*
 * Stops watching the conditions in events (LSCHED_FD_READ and/or
 * LSCHED_FD_WRITE) of fd; the watcher of its other condition stays. With
 * no condition left, as lsched_loop_unwatch_fd().
 * Errors: -EINVAL (NULL loop, events empty or unknown bits); -ENOENT if
 * none of those conditions is watched; a negative errno of epoll_ctl(2)
 * when the registration cannot be changed (then nothing changes).
 */
LSCHED_API int lsched_loop_unwatch_fd_events(lsched_loop *loop, int fd,
					     unsigned events);

/* ---- Loop timers -------------------------------------------------------- */

/* What a recurring timer does after the loop missed some of its periods. */
enum lsched_catchup {
	LSCHED_CATCHUP_SKIP = 0, /* fire once, skip missed periods */
	LSCHED_CATCHUP_EACH,     /* fire once per missed period */
};

/*
 * Creates a stopped timer on loop. Timers live in an intrusive min-heap;
 * equal deadlines fire in the order they were started. Returns NULL with
 * errno EINVAL (NULL loop or cb) or ENOMEM.
 * Ownership: the caller owns the timer until lsched_timer_destroy() or the
 * loop's destruction.
 */
LSCHED_API lsched_timer *lsched_timer_new(lsched_loop *loop, lsched_timer_cb cb,
					  void *arg);

/*
 * Starts (or restarts) the timer: first expiry timeout_ns after the loop's
 * cached now (lsched_loop_now(); call lsched_loop_update_now() first if the
 * loop has not run for a while); deadlines saturate at INT64_MAX; then, if
 * period_ns > 0, every period_ns after the previous deadline (fixed rate),
 * catching up as mode says. period_ns == 0 makes a
 * one-shot timer. May be called from any callback, including the timer's
 * own. Errors: -EINVAL (NULL, negative timeout or period, unknown mode).
 *
 * Any period > 0 is accepted, with no floor, because none is needed for
 * the loop's progress: a timer fires at most once per timer phase (one
 * re-armed in the phase waits for the next), and between two timer phases
 * the loop polls its descriptors, runs its performers' work, runs ready
 * tasks (at least one, unless input came first) and checks for a stop. A 10 ns period thus costs one
 * call per cycle, not 100 000 per millisecond, and the rest of the loop
 * goes on (tests/test_timer.c checks tasks, input and a stop). What it
 * costs is CPU: the loop never sleeps while the timer is due, and with
 * LSCHED_CATCHUP_EACH it owes one call per period missed.
 */
LSCHED_API int lsched_timer_start(lsched_timer *timer, int64_t timeout_ns,
				  int64_t period_ns, enum lsched_catchup mode);

/*
 * Replaces the timer's callback and its argument. Allowed while the timer
 * is armed, due or inside its own callback: a firing under way finishes
 * with the old callback, every later one calls the new one.
 * Errors: -EINVAL (NULL timer or cb, destroyed in its own callback).
 */
LSCHED_API int lsched_timer_set_callback(lsched_timer *timer,
					 lsched_timer_cb cb, void *arg);

/* Stops the timer; a no-op if stopped. Errors: -EINVAL for NULL. */
LSCHED_API int lsched_timer_stop(lsched_timer *timer);

/*
 * Stops and frees the timer. Safe at any time, including inside its own
 * callback (freed when the callback returns). NULL is a no-op.
 */
LSCHED_API void lsched_timer_destroy(lsched_timer *timer);

/* True if the timer is started (waiting for its deadline or due). */
LSCHED_API bool lsched_timer_is_active(const lsched_timer *timer);

/* The timer's next deadline (ns), or -ENOENT if stopped, -EINVAL for NULL. */
LSCHED_API int64_t lsched_timer_deadline(const lsched_timer *timer);

/*
 * Periods skipped before the current (or last) firing of a
 * LSCHED_CATCHUP_SKIP timer, 0 if none. Useful inside the callback.
 */
LSCHED_API uint64_t lsched_timer_missed(const lsched_timer *timer);

/* The timer's loop. */
LSCHED_API lsched_loop *lsched_timer_loop(const lsched_timer *timer);

/* ---- Hosting: driven by another main loop ------------------------------ */
/*
 * A program that already has a main loop (GLib, libuv, its own poll(2)
 * loop) keeps it and drives libsched from it, in sd-event's and libuv's
 * way (docs/embedding.md):
 *
 *     fd = lsched_loop_fd(loop);                      once
 *     loop forever:
 *         t = lsched_loop_timeout(loop);              ms, -1 none, 0 now
 *         poll fd for reading, with the host's own descriptors, up to t
 *         if fd was readable or t ran out:
 *             if (lsched_loop_dispatch(loop) == 1)    a stop was asked
 *                 ...
 *
 * Everything of the loop works hosted: tasks, timers, descriptor
 * watchers, Performer posts and waiting posts from other threads, the
 * pool's completions and the dispatcher (they post through performers),
 * stopwatches, stops. What differs from lsched_loop_run():
 * - the loop never blocks, sleeps or spins itself (lsched_loop_set_spin()
 *   has no effect); the host's poll is its sleep;
 * - input-first: within a cycle it is as native. The loop polls its own
 *   descriptors without blocking between tasks (every input interval) and
 *   stopwatches see them, so input on the loop's own descriptors still ends
 *   a pass or a slice. The host's descriptors are not the loop's: input
 *   the host watches is seen only when the hosted cycle returns, and a
 *   cycle runs one pass of tasks (at most 4096 tasks, each at most once);
 *   a program whose input lives in the host should keep slices short or
 *   watch those descriptors with lsched_loop_watch_fd() instead;
 * - on a virtual clock, time is not the host's: lsched_loop_timeout()
 *   answers 0 while any deadline is armed, and a dispatch jumps an
 *   auto-advancing clock to the next deadline when nothing else is to do,
 *   as lsched_loop_run() does.
 */

/*
 * A descriptor that becomes readable when the loop has something to do: a
 * watched descriptor is ready, a deadline passed, tasks are ready, work was
 * posted from another thread, or a stop was asked for. It is the loop's
 * epoll descriptor, with a timerfd in it for deadlines (made on the first
 * call). Poll it for reading only; never read it, close it or watch it
 * with the loop itself. It stays readable until a lsched_loop_dispatch()
 * takes what made it so. Changes made outside a dispatch (a task started,
 * a timer armed from the host's own callbacks) show in it after the next
 * lsched_loop_timeout(), which a host calls before each poll.
 * Ownership: the loop owns it; it is closed by lsched_loop_destroy().
 * Thread-safety: call from the loop's thread (or while it does not run);
 * the descriptor itself may be polled by any thread.
 * Errors: -EINVAL for NULL; the negative errno of timerfd_create(2) or of
 * adding it to the poller (-EMFILE, -ENOMEM); -EOPNOTSUPP for a poller
 * with no descriptor (not epoll's case).
 */
LSCHED_API int lsched_loop_fd(lsched_loop *loop);

/*
 * How long the host may wait before the next lsched_loop_dispatch(), in
 * ms (rounded up, at most INT_MAX): the time to the next deadline; 0 when
 * tasks are ready, a timer is due, input or posted work is pending, or a
 * stop was asked for; -1 when nothing is armed (wait for the descriptor
 * only). It also re-arms the timerfd of lsched_loop_fd() for that
 * deadline. Thread-safety: the loop's thread, outside a dispatch.
 * Errors: -EINVAL for NULL (returned as is: not a valid timeout).
 */
LSCHED_API int lsched_loop_timeout(lsched_loop *loop);

/*
 * Runs one cycle without blocking, as lsched_loop_run(loop,
 * LSCHED_RUN_NOWAIT): due timers, the descriptors' events, posted work,
 * one pass of ready tasks. Returns 0, or 1 when the cycle ended on a stop
 * (lsched_loop_stop(), from a callback or another thread): the stop is
 * consumed, and the host decides what stopping means (leave its loop,
 * remove the source). A stop made while no dispatch ran makes the next
 * one return 1 before dispatching anything, as lsched_loop_run() does.
 * Thread-safety: the loop's thread (one thread at a time).
 * Errors: -EINVAL for NULL; -EBUSY if the loop is running (a callback of
 * this loop, lsched_loop_run() elsewhere); the errors of lsched_loop_run()
 * (the poller's, the wake-up descriptor's read).
 */
LSCHED_API int lsched_loop_dispatch(lsched_loop *loop);

#ifdef __cplusplus
}
#endif

#endif /* LIBSCHED_LOOP_H */
