/*
 * The RunLoop: lifecycle, the cycle, descriptors and cross-thread wake-ups.
 * The cycle reads as a list of named phases (see lsched_loop_run()).
 */
#include "internal.h"

#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <limits.h>
#include <unistd.h>

/* The loops this thread is running, innermost first: answers
 * lsched_loop_in_thread() without any shared state. */
struct running_frame {
	const lsched_loop *loop;
	struct running_frame *up;
};
static _Thread_local struct running_frame *running_top;

static bool in_thread(const lsched_loop *loop)
{
	for (struct running_frame *f = running_top; f; f = f->up)
		if (f->loop == loop)
			return true;
	return false;
}

lsched_loop *lsched_loop_new(lsched_clock *clock)
{
	lsched_loop *loop;
	int err;

	loop = calloc(1, sizeof(*loop));
	if (!loop) {
		err = ENOMEM;
		goto out;
	}
	loop->clock = clock ? clock : lsched_clock_monotonic();
	loop->bops = &lsched__backend_epoll;
	err = -loop->bops->open(&loop->backend);
	if (err)
		goto out_free;
	loop->timer_fd = -1;
	loop->tfd_armed = -1;
	loop->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (loop->wake_fd < 0) {
		err = errno;
		goto out_close_backend;
	}
	err = -loop->bops->add(loop->backend, loop->wake_fd, LSCHED_FD_READ,
			       LSCHED__WAKE_TOKEN);
	if (err)
		goto out_close_eventfd;

	loop->input_interval = LSCHED__DEFAULT_INPUT_INTERVAL;
	lsched__heap_init(&loop->timers);
	lsched__heap_init(&loop->overdue);
	for (int p = 0; p < LSCHED_PRIO_COUNT; p++)
		lsched__list_init(&loop->ready[p]);
	lsched__list_init(&loop->tasks);
	lsched__list_init(&loop->spare_tasks);
	lsched__list_init(&loop->timerlist);
	lsched__list_init(&loop->timer_spare);
	lsched__list_init(&loop->performers);
	atomic_init(&loop->running, false);
	atomic_init(&loop->stop, false);
	atomic_init(&loop->wake_pending, 0);
	atomic_init(&loop->spinning, false);
	atomic_init(&loop->xthread_pending, 0);
	loop->now = lsched__clock_read(loop->clock);
	loop->last_poll = loop->now;
	loop->in_read = loop->now;
	loop->in_left = 1;
	loop->in_stride = 1;
	loop->tsc_ok = !loop->clock->is_virtual && lsched__tsc_usable();
	return loop;

out_close_eventfd:
	close(loop->wake_fd);
out_close_backend:
	loop->bops->close(loop->backend);
out_free:
	free(loop);
out:
	errno = err;
	return NULL;
}

int lsched_loop_destroy(lsched_loop *loop)
{
	if (!loop)
		return -EINVAL;
	if (atomic_load(&loop->running))
		return -EBUSY;
	/* Performers first: the work they accepted runs, while every task
	 * and timer it may touch still exists. */
	lsched__performers_loop_gone(loop);
	lsched__task_free_all(loop);
	lsched__timer_free_all(loop);
	for (int fd = 0; fd < loop->nfds; fd++)
		free(loop->fds[fd]);
	free(loop->fds);
	lsched__heap_fini(&loop->timers);
	lsched__heap_fini(&loop->overdue);
	lsched__tcpu_fini(loop);
	lsched__input_fini(loop);
	loop->bops->close(loop->backend);
	close(loop->wake_fd);
	if (loop->timer_fd >= 0)
		close(loop->timer_fd);
	free(loop);
	return 0;
}

/* ---- time ------------------------------------------------------------- */

lsched_clock *lsched_loop_clock(const lsched_loop *loop)
{
	return loop ? loop->clock : NULL;
}

int64_t lsched_loop_now(const lsched_loop *loop)
{
	if (!loop)
		return -EINVAL;
	/* On the loop's thread, after a task whose end did not read the
	 * clock: read it now (loop.h). */
	if (loop->now_stale && lsched_loop_in_thread(loop))
		return lsched__loop_fresh_now((lsched_loop *)loop);
	return loop->now;
}

int64_t lsched_loop_update_now(lsched_loop *loop)
{
	if (!loop)
		return -EINVAL;
	loop->now_stale = false;
	loop->now = lsched__clock_read(loop->clock);
	return loop->now;
}

int lsched_loop_set_input_interval(lsched_loop *loop, int64_t interval_ns)
{
	if (!loop || interval_ns < 0)
		return -EINVAL;
	loop->input_interval = interval_ns;
	return 0;
}

int64_t lsched_loop_input_interval(const lsched_loop *loop)
{
	return loop ? loop->input_interval : -EINVAL;
}

int lsched_loop_set_spin(lsched_loop *loop, int64_t spin_ns)
{
	if (!loop || spin_ns < 0)
		return -EINVAL;
	loop->spin = spin_ns;
	return 0;
}

int64_t lsched_loop_spin(const lsched_loop *loop)
{
	return loop ? loop->spin : -EINVAL;
}

/* ---- threads ----------------------------------------------------------- */

bool lsched_loop_in_thread(const lsched_loop *loop)
{
	return loop && in_thread(loop);
}

bool lsched_loop_is_running(const lsched_loop *loop)
{
	return loop && atomic_load(&loop->running);
}

/* Writes the wake-up eventfd unless a write is already outstanding: one
 * write per batch of wake-ups, none while the loop is already signalled.
 * Returns 1 if it wrote, 0 if the loop was already signalled, -EIO. */
int lsched__loop_wake(lsched_loop *loop)
{
	uint64_t one = 1;

	/* A spinning loop watches the reason for this wake-up (set by the
	 * caller before this call, seq_cst) and looks again after it stops
	 * spinning (see spin()): either it sees the reason, or we see it
	 * no longer spinning and write. */
	if (atomic_load(&loop->spinning))
		return 0;
	if (atomic_exchange(&loop->wake_pending, 1))
		return 0;
	if (write(loop->wake_fd, &one, sizeof(one)) == (ssize_t)sizeof(one))
		return 1;
	/* EAGAIN: the counter is saturated, so the loop is signalled. */
	if (errno == EAGAIN)
		return 0;
	atomic_store(&loop->wake_pending, 0);
	return -EIO;
}

/* Returns 0, or the read error (a broken wake-up descriptor: surfaced by
 * lsched_loop_run()). */
static int drain_wake(lsched_loop *loop)
{
	uint64_t v;
	ssize_t n;

	/* Read first, then clear: clearing first would let a racing wake-up
	 * write between the two, have its write swallowed by the read, and
	 * leave the flag set with nothing to read: every later wake-up would
	 * be skipped. A wake-up that still sees the flag set does not write,
	 * but its reason (stop flag, cross-thread counter) is set before and
	 * checked after this poll. One read empties an eventfd (not in
	 * semaphore mode): reading again until EAGAIN cost a system call per
	 * wake-up for nothing. */
	n = read(loop->wake_fd, &v, sizeof(v));
	atomic_store(&loop->wake_pending, 0);
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return -errno;
	return 0;
}

int lsched_loop_stop(lsched_loop *loop)
{
	if (!loop)
		return -EINVAL;
	atomic_store(&loop->stop, true);
	if (in_thread(loop))
		return 0;
	return lsched__loop_wake(loop) < 0 ? -EIO : 0;
}

bool lsched_loop_input_pending(const lsched_loop *loop)
{
	return loop && lsched__input_pending(loop);
}

/* The non-blocking poll of lsched__poll_input() (internal.h), once its
 * check says to look. */
bool lsched__input_probe(lsched_loop *loop)
{
	struct lsched__poll_event probe[16];
	int n;

	loop->last_poll = loop->now;
	/* A scratch buffer: this may run inside a descriptor callback, while
	 * dispatch still walks loop->events. */
	n = loop->bops->wait(loop->backend, probe, 16, 0);
	/* Input is something to read (data, hang-up, error) on a descriptor
	 * the program watches. A descriptor that is merely writable is not: a
	 * socket watched for writing would otherwise end every pass and every
	 * slice. Nor is the loop's own wake-up eventfd: what it signals
	 * (cross-thread work, a stop) is seen through its own flags, and
	 * counting it made LSCHED_SW_INPUT_FD report queued Performer work. */
	for (int i = 0; i < n && !loop->input_seen; i++)
		loop->input_seen = probe[i].token < LSCHED__TIMERFD_TOKEN &&
				   (probe[i].events & (LSCHED_FD_READ |
						       LSCHED_FD_HUP |
						       LSCHED_FD_ERROR));
	return loop->input_seen;
}

bool lsched_loop_check_input(lsched_loop *loop)
{
	if (!loop)
		return false;
	loop->now = lsched__clock_read(loop->clock);
	loop->in_left = 1; /* the fallback reads the clock now */
	return lsched__poll_input(loop) || lsched__xthread_pending(loop);
}

/* ---- descriptors -------------------------------------------------------- */

static int grow_fds(lsched_loop *loop, int fd)
{
	int n = loop->nfds ? loop->nfds : 64;
	struct lsched__watcher **v;

	while (n <= fd)
		n *= 2;
	v = realloc(loop->fds, (size_t)n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	memset(v + loop->nfds, 0, (size_t)(n - loop->nfds) * sizeof(*v));
	loop->fds = v;
	loop->nfds = n;
	return 0;
}

/* The conditions a set of watchers asks for. */
static unsigned watchers_events(const struct lsched__fdw *w)
{
	return (w[0].cb ? w[0].events : 0) | (w[1].cb ? w[1].events : 0);
}

/* Takes the conditions in events away from their watchers; a watcher left
 * with none is freed. */
static void watchers_drop(struct lsched__fdw *w, unsigned events)
{
	for (int k = 0; k < 2; k++) {
		if (!w[k].cb)
			continue;
		w[k].events &= ~events;
		if (!w[k].events)
			memset(&w[k], 0, sizeof(w[k]));
	}
}

static void forget_fd(lsched_loop *loop, int fd)
{
	free(loop->fds[fd]);
	loop->fds[fd] = NULL;
}

int lsched_loop_watch_fd(lsched_loop *loop, int fd, unsigned events,
			 lsched_fd_cb cb, void *arg)
{
	struct lsched__fdw nw[2];
	struct lsched__watcher *s;
	int err;

	if (!loop || !cb || !events ||
	    (events & ~(unsigned)(LSCHED_FD_READ | LSCHED_FD_WRITE)))
		return -EINVAL;
	if (fd < 0 || fd == loop->wake_fd || fd == loop->timer_fd)
		return -EBADF;
	if (fd < loop->nfds && loop->fds[fd]) {
		int k;

		s = loop->fds[fd];
		memcpy(nw, s->w, sizeof(nw));
		watchers_drop(nw, events);
		/* At most one other condition is left: an entry is free. */
		k = nw[0].cb ? 1 : 0;
		nw[k] = (struct lsched__fdw){ .cb = cb, .arg = arg,
					      .events = events,
					      .gen = loop->watch_gen + 1 };
		/* One registration per fd, changed in place. Told even
		 * with the same events: a fd closed and its number reused
		 * behind our back shows here. */
		err = loop->bops->modify(loop->backend, fd,
					 watchers_events(nw), (uint32_t)fd);
		if (err == -ENOENT) {
			/* epoll forgot it: register it afresh. */
			err = loop->bops->add(loop->backend, fd,
					      watchers_events(nw),
					      (uint32_t)fd);
			if (err) {
				/* Nothing is registered any more: say so. */
				forget_fd(loop, fd);
				return err;
			}
		}
		if (err)
			return err;
		loop->watch_gen++;
		memcpy(s->w, nw, sizeof(nw));
		s->events = watchers_events(nw);
		return 0;
	}
	if (fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	if (fd >= loop->nfds) {
		err = grow_fds(loop, fd);
		if (err)
			return err;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd = fd;
	s->events = events;
	err = loop->bops->add(loop->backend, fd, events, (uint32_t)fd);
	/* The poller still has it: an earlier unwatch whose removal failed
	 * (the registration was dropped on our side all the same). */
	if (err == -EEXIST)
		err = loop->bops->modify(loop->backend, fd, events,
					 (uint32_t)fd);
	if (err) {
		free(s);
		return err;
	}
	s->gen = ++loop->watch_gen;
	s->w[0] = (struct lsched__fdw){ .cb = cb, .arg = arg,
					.events = events, .gen = s->gen };
	loop->fds[fd] = s;
	return 0;
}

int lsched_loop_unwatch_fd_events(lsched_loop *loop, int fd, unsigned events)
{
	struct lsched__fdw nw[2];
	struct lsched__watcher *s;
	unsigned left;
	int err;

	if (!loop || !events ||
	    (events & ~(unsigned)(LSCHED_FD_READ | LSCHED_FD_WRITE)))
		return -EINVAL;
	if (fd < 0 || fd >= loop->nfds || !loop->fds[fd] ||
	    !(loop->fds[fd]->events & events))
		return -ENOENT;
	s = loop->fds[fd];
	memcpy(nw, s->w, sizeof(nw));
	watchers_drop(nw, events);
	left = watchers_events(nw);
	if (!left)
		return lsched_loop_unwatch_fd(loop, fd);
	err = loop->bops->modify(loop->backend, fd, left, (uint32_t)fd);
	if (err)
		return err;
	memcpy(s->w, nw, sizeof(nw));
	s->events = left;
	return 0;
}

int lsched_loop_unwatch_fd(lsched_loop *loop, int fd)
{
	if (!loop)
		return -EINVAL;
	if (fd < 0 || fd >= loop->nfds || !loop->fds[fd])
		return -ENOENT;
	/* The fd may already be closed: the registration goes either way. */
	(void)loop->bops->remove(loop->backend, fd);
	forget_fd(loop, fd);
	return 0;
}

/* ---- the cycle ----------------------------------------------------------- */

/*
 * Gives one descriptor's events to its watchers: each gets its own
 * conditions, and errors and hang-ups go to every one. A watcher set
 * after the poll (gen) is not given events it did not ask for; the
 * watcher set is read again after every callback, which may have removed,
 * replaced or added watchers, or dropped the descriptor.
 */
static void dispatch_fd(lsched_loop *loop, int fd, unsigned revents)
{
	for (int k = 0; k < 2; k++) {
		struct lsched__watcher *s =
			fd < loop->nfds ? loop->fds[fd] : NULL;
		struct lsched__fdw *w;
		unsigned got;

		if (!s || s->gen > loop->poll_gen)
			return;
		w = &s->w[k];
		got = revents & (w->events | LSCHED_FD_ERROR | LSCHED_FD_HUP);
		if (!w->cb || w->gen > loop->poll_gen || !got)
			continue;
		w->cb(loop, fd, got, w->arg);
		if (atomic_load_explicit(&loop->stop, memory_order_relaxed))
			return;
	}
}

static void drain_timerfd(lsched_loop *loop);

static int dispatch_events(lsched_loop *loop, int n)
{
	int err = 0;

	for (int i = 0; i < n; i++) {
		uint64_t token = loop->events[i].token;

		if (token == LSCHED__WAKE_TOKEN) {
			err = drain_wake(loop);
			continue;
		}
		if (token == LSCHED__TIMERFD_TOKEN) {
			/* Hosted, it is re-armed after the cycle; left
			 * readable, it would keep a native run awake. */
			if (!loop->hosted)
				drain_timerfd(loop);
			continue;
		}
		dispatch_fd(loop, (int)(uint32_t)token, loop->events[i].events);
		if (atomic_load_explicit(&loop->stop, memory_order_relaxed))
			break;
	}
	return err;
}

/* Why the poll returned, for loop_wake: LSCHED_TP_WAKE_* bits; 0 if
 * nothing woke it before its deadline (a signal) or the wait failed. */
static int wake_reason(const lsched_loop *loop, int n, bool deadline)
{
	int why = 0;

	for (int i = 0; i < n; i++)
		why |= loop->events[i].token == LSCHED__WAKE_TOKEN
			       ? LSCHED_TP_WAKE_SIGNAL
		       : loop->events[i].token == LSCHED__TIMERFD_TOKEN
			       ? LSCHED_TP_WAKE_TIMEOUT
			       : LSCHED_TP_WAKE_FD;
	return n == 0 && deadline ? LSCHED_TP_WAKE_TIMEOUT : why;
}

static __attribute__((noinline, cold)) void
trace_wake(lsched_loop *loop, int64_t want, bool jumped, int n)
{
	int64_t before = loop->now;

	loop->now = lsched__clock_read(loop->clock);
	LSCHED_TRACE(loop_wake, loop, loop->now - before,
		     wake_reason(loop, n,
				 jumped || (want >= 0 &&
					    loop->now - before >= want)),
		     n, loop->now);
}

/* How long the poll may block: 0 while anything is ready, else until the
 * next deadline (or the end of run_for), -1 for no limit. */
static int64_t poll_timeout(lsched_loop *loop, enum lsched_run_mode mode,
			    int64_t run_end)
{
	struct lsched__heap_node *min = lsched__heap_min(&loop->timers);
	int64_t t = -1;

	if (mode == LSCHED_RUN_NOWAIT || atomic_load(&loop->stop) ||
	    lsched__tasks_ready(loop) || lsched__timers_on_due(loop) ||
	    lsched__xthread_pending(loop))
		return 0;
	if (min)
		t = min->key > loop->now ? min->key - loop->now : 0;
	if (run_end >= 0) {
		int64_t left = run_end > loop->now ? run_end - loop->now : 0;

		if (t < 0 || left < t)
			t = left;
	}
	return t;
}

static bool spin_reason(lsched_loop *loop)
{
	return atomic_load(&loop->stop) || atomic_load(&loop->xthread_pending);
}

/*
 * Spin-then-sleep (lsched_loop_set_spin()): spins up to limit ns on the
 * loop's stop flag and cross-thread counter, and polls the descriptors
 * without blocking every input interval, as during a run of tasks. True if
 * something is there: the poll must not block. While `spinning` is set,
 * wakers skip the eventfd write, so the flag is cleared (seq_cst) before
 * the last look: a waker that saw it set had stored its reason before,
 * and this look sees it (the store-load pairs of both sides are ordered
 * by seq_cst).
 */
static bool spin(lsched_loop *loop, int64_t limit)
{
	int64_t start = lsched__clock_read(loop->clock);
	bool found = false;

	atomic_store(&loop->spinning, true);
	for (unsigned i = 1; !found; i++) {
		found = spin_reason(loop);
		if (!found && !(i & 15)) {
			loop->now = lsched__clock_read(loop->clock);
			if (lsched__poll_input(loop)) {
				found = true;
				break;
			}
			if (loop->now - start >= limit)
				break;
			/* The poster may share this CPU (a woken thread
			 * tends to land on its waker's CPU): let it run.
			 * Without this, a loaded 2-core VM measured 50+ us
			 * (the whole spin) for most messages. */
			sched_yield();
		}
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
	}
	atomic_store(&loop->spinning, false);
	return found || spin_reason(loop);
}

/* Waits for and dispatches descriptor events. On a virtual clock the loop
 * never sleeps for a deadline: with auto-advance it jumps the clock to it,
 * otherwise it only polls. */
/* Returns 0 or the poller's error. *wake_err gets the read error of the
 * wake-up descriptor, if any (the cycle still goes on). */
static int phase_poll(lsched_loop *loop, enum lsched_run_mode mode,
		      int64_t run_end, bool *waited, int *wake_err)
{
	int64_t timeout, want;
	bool jump = false, sleeps;
	int n;

	/* Timer callbacks took time: count from now, not the cycle start. */
	loop->now = lsched__clock_read(loop->clock);
	timeout = poll_timeout(loop, mode, run_end);
	want = timeout;
	*waited = timeout != 0;

	if (loop->clock->is_virtual && timeout > 0) {
		jump = atomic_load(&loop->clock->auto_advance);
		timeout = 0;
	}
	/* Spin-then-sleep: work that arrives while spinning is polled
	 * for without blocking; else the sleep is what is left of the
	 * wait. Never past the next deadline. */
	if (timeout != 0 && loop->spin > 0) {
		if (spin(loop, timeout > 0 && timeout < loop->spin
				       ? timeout
				       : loop->spin)) {
			/* No system call for the work found: descriptors
			 * wait for the next cycle's poll, as they wait
			 * during a run of tasks, unless input was seen or
			 * the last poll is older than the input interval. */
			loop->now = lsched__clock_read(loop->clock);
			if (!loop->input_seen &&
			    loop->now - loop->last_poll < loop->input_interval)
				return 0;
			timeout = 0;
		} else {
			loop->now = lsched__clock_read(loop->clock);
			timeout = poll_timeout(loop, mode, run_end);
		}
		want = timeout;
	}
	/* It sleeps if the poll may block, or virtual time may jump. */
	sleeps = timeout != 0 || jump;
	if (sleeps)
		LSCHED_TRACE(loop_sleep, loop, want, loop->now);
	loop->poll_gen = loop->watch_gen;
	n = loop->bops->wait(loop->backend, loop->events, LSCHED__MAX_EVENTS,
			     timeout);
	if (n < 0) {
		if (sleeps && LSCHED_TRACE_ON(loop_wake))
			trace_wake(loop, want, false, n);
		return n;
	}
	if (n == 0 && jump) {
		int64_t target = poll_timeout(loop, mode, run_end);

		(void)lsched_clock_set(loop->clock, loop->now + target);
	}
	if (sleeps && LSCHED_TRACE_ON(loop_wake))
		trace_wake(loop, want, n == 0 && jump, n);
	loop->now = lsched__clock_read(loop->clock);
	loop->last_poll = loop->now;
	loop->input_seen = false;
	*wake_err = dispatch_events(loop, n);
	lsched__input_dispatched(loop, n);
	return 0;
}

/* Returns how many loop timer callbacks ran. */
static unsigned phase_timers(lsched_loop *loop)
{
	/* A real read, which also re-anchors the TSC extrapolation. */
	lsched__loop_read_now(loop);
	lsched__collect_due(loop);
	return lsched__fire_due_timers(loop);
}

static int cycle(lsched_loop *loop, enum lsched_run_mode mode, int64_t run_end)
{
	bool waited;
	int err = 0, wait_err;
	unsigned fired;

	/* A stop made before the run (from any thread) is honoured before
	 * anything is dispatched, as libuv's uv_stop() before uv_run(). Its
	 * wake-up write is read now: left, it would wake the next run's poll
	 * at once, and a RUN_ONCE would return having run nothing. Work
	 * posted meanwhile is not lost with it: its counter, not this read,
	 * keeps the next poll from blocking. */
	if (atomic_load_explicit(&loop->stop, memory_order_relaxed))
		return drain_wake(loop);
	fired = phase_timers(loop);
	if (atomic_load_explicit(&loop->stop, memory_order_relaxed))
		return 0;
	/* RUN_ONCE blocks only if nothing was due at the cycle's start: a
	 * cycle that already fired a timer polls without blocking, then
	 * returns (it would otherwise wait for the next deadline or event
	 * and dispatch a second time, or forever). A due task or queued
	 * work makes the poll non-blocking anyway. */
	if (fired && mode == LSCHED_RUN_ONCE)
		mode = LSCHED_RUN_NOWAIT;
	/* A failed wait ends the cycle; a failed read of the wake-up
	 * descriptor is reported once the cycle is done: its work runs. */
	wait_err = phase_poll(loop, mode, run_end, &waited, &err);
	if (wait_err)
		return wait_err;
	if (atomic_load_explicit(&loop->stop, memory_order_relaxed))
		return err;
	/* The poll waited (for a deadline, maybe): handle what fell due, so
	 * that RUN_ONCE and run_for fire what they waited for. */
	if (waited) {
		phase_timers(loop);
		if (atomic_load_explicit(&loop->stop, memory_order_relaxed))
			return err;
	}
	lsched__perform_phase(loop);
	/* Timer callbacks and posted work took time since the last read:
	 * the pass's first task begins (and waited until) now, not then. */
	lsched__loop_read_now(loop);
	lsched__run_pass(loop);
	return err;
}

static int run(lsched_loop *loop, enum lsched_run_mode mode, int64_t duration)
{
	struct running_frame frame = { .loop = loop, .up = running_top };
	int64_t run_end = -1;
	int err = 0;

	if (atomic_exchange(&loop->running, true))
		return -EBUSY;
	running_top = &frame;
	lsched__loop_set_owner(loop, true);
	lsched__input_attach(loop);
	/* Armed by a host (lsched_loop_timeout()) for a deadline since gone,
	 * or expired for work since done: left so, it would wake this run's
	 * poll for nothing, and a RUN_ONCE would return having run nothing.
	 * The cycle computes its own timeout. */
	if (loop->timer_fd >= 0 && loop->tfd_armed != -1)
		drain_timerfd(loop);
	if (duration >= 0)
		run_end = lsched__add_sat(lsched__clock_read(loop->clock),
					  duration);
	for (;;) {
		err = cycle(loop, mode, run_end);
		if (err || mode != LSCHED_RUN_DEFAULT)
			break;
		if (atomic_load_explicit(&loop->stop, memory_order_relaxed))
			break;
		if (run_end >= 0 && loop->now >= run_end)
			break;
	}
	atomic_store(&loop->stop, false);
	lsched__loop_set_owner(loop, false);
	running_top = frame.up;
	atomic_store(&loop->running, false);
	return err;
}

int lsched_loop_run(lsched_loop *loop, enum lsched_run_mode mode)
{
	if (!loop || (mode != LSCHED_RUN_DEFAULT && mode != LSCHED_RUN_ONCE &&
		      mode != LSCHED_RUN_NOWAIT))
		return -EINVAL;
	return run(loop, mode, -1);
}

int lsched_loop_run_for(lsched_loop *loop, int64_t duration_ns)
{
	if (!loop || duration_ns < 0)
		return -EINVAL;
	return run(loop, LSCHED_RUN_DEFAULT, duration_ns);
}

int lsched_loop_set_name(lsched_loop *loop, const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (!loop)
		return -EINVAL;
	if (len > LSCHED_LOOP_NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(loop->name, name ? name : "", len);
	loop->name[len] = '\0';
	LSCHED_TRACE(loop_name, loop, loop->name);
	return 0;
}

const char *lsched_loop_name(const lsched_loop *loop)
{
	return loop ? loop->name : NULL;
}

/* ---- hosting: driven by another main loop ------------------------------- */
/*
 * A host loop (GLib, libuv, a hand-written poll loop) polls the poller's
 * own descriptor, which is readable while a watched descriptor is ready or
 * the wake-up eventfd is signalled (posted work, a stop from another
 * thread). Deadlines and "something is ready now" reach it through a
 * timerfd in the same poller: armed for the next deadline, or already
 * expired while tasks are ready, a timer is due, or a stop was asked. A
 * cycle hosted this way is a RUN_NOWAIT cycle: it never blocks, so the
 * loop never sleeps or spins by itself.
 */

/* Disarms the timerfd after a native poll saw it expired: disarming also
 * makes it unreadable, and the next hosted cycle arms it again. */
static void drain_timerfd(lsched_loop *loop)
{
	struct itimerspec off = { 0 };

	(void)timerfd_settime(loop->timer_fd, 0, &off, NULL);
	loop->tfd_armed = -1;
}

/* When the host must dispatch next, in the loop's clock: now (or before)
 * when something is ready, the next deadline, or -1 with nothing armed.
 * On a virtual clock a deadline is always now: its time is not the
 * host's, and a hosted dispatch jumps an auto-advancing clock to it (a
 * clock without auto-advance is polled, as lsched_loop_run() polls it). */
static int64_t host_deadline(lsched_loop *loop, int64_t now)
{
	struct lsched__heap_node *min = lsched__heap_min(&loop->timers);

	if (atomic_load(&loop->stop) || lsched__tasks_ready(loop) ||
	    lsched__timers_on_due(loop) || lsched__input_pending(loop))
		return now;
	if (!min)
		return -1;
	return loop->clock->is_virtual ? now : min->key;
}

/* Arms the timerfd (if the host asked for the descriptor) to expire at
 * deadline (absolute CLOCK_MONOTONIC ns; -1 disarms; <= now expires at
 * once). A deadline already armed costs no system call. */
static void arm_timerfd(lsched_loop *loop, int64_t deadline, int64_t now)
{
	struct itimerspec its = { 0 };
	int64_t target = deadline < 0 ? -1 : deadline <= now ? 0 : deadline;

	if (loop->timer_fd < 0 || target == loop->tfd_armed)
		return;
	if (target == 0) {
		/* The epoch has long passed: expired at once. */
		its.it_value.tv_nsec = 1;
	} else if (target > 0) {
		its.it_value.tv_sec = (time_t)(target / 1000000000);
		its.it_value.tv_nsec = (long)(target % 1000000000);
	}
	if (timerfd_settime(loop->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		loop->tfd_armed = target;
	else
		loop->tfd_armed = -2; /* unknown: set it again next time */
}

int lsched_loop_fd(lsched_loop *loop)
{
	int64_t now;
	int fd, err;

	if (!loop)
		return -EINVAL;
	if (!loop->bops->fd)
		return -EOPNOTSUPP;
	if (loop->timer_fd < 0) {
		fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (fd < 0)
			return -errno;
		err = loop->bops->add(loop->backend, fd, LSCHED_FD_READ,
				      LSCHED__TIMERFD_TOKEN);
		if (err) {
			close(fd);
			return err;
		}
		loop->timer_fd = fd;
		loop->tfd_armed = -1;
		/* What is already ready shows at once. The cached time is
		 * left alone: this may run inside a callback. */
		now = lsched__clock_read(loop->clock);
		arm_timerfd(loop, host_deadline(loop, now), now);
	}
	return loop->bops->fd(loop->backend);
}

int lsched_loop_timeout(lsched_loop *loop)
{
	int64_t now, deadline, ns;

	if (!loop)
		return -EINVAL;
	now = lsched__clock_read(loop->clock);
	deadline = host_deadline(loop, now);
	arm_timerfd(loop, deadline, now);
	if (deadline < 0)
		return -1;
	if (deadline <= now)
		return 0;
	/* Rounded up: a host woken before the deadline would find nothing
	 * due and poll again at once. */
	ns = deadline - now;
	return ns / 1000000 >= INT_MAX ? INT_MAX : (int)((ns + 999999) / 1000000);
}

/* A hosted cycle on an auto-advancing virtual clock: where
 * lsched_loop_run() would sleep until the next deadline (nothing ready, no
 * input, no posted work), the clock jumps to it, as it does there. */
static void host_jump(lsched_loop *loop)
{
	struct lsched__heap_node *min = lsched__heap_min(&loop->timers);

	loop->now = lsched__clock_read(loop->clock);
	if (!loop->clock->is_virtual ||
	    !atomic_load(&loop->clock->auto_advance) || !min ||
	    host_deadline(loop, loop->now) < 0 || min->key <= loop->now ||
	    atomic_load(&loop->stop) || lsched__tasks_ready(loop) ||
	    lsched__timers_on_due(loop) || lsched__input_pending(loop))
		return;
	/* The cycle's poll would find this input: no jump over it. */
	if (lsched__input_probe(loop))
		return;
	(void)lsched_clock_set(loop->clock, min->key);
}

int lsched_loop_dispatch(lsched_loop *loop)
{
	struct running_frame frame = { .loop = loop, .up = running_top };
	bool stopped;
	int err;

	if (!loop)
		return -EINVAL;
	if (atomic_exchange(&loop->running, true))
		return -EBUSY;
	running_top = &frame;
	lsched__loop_set_owner(loop, true);
	lsched__input_attach(loop);
	loop->hosted = true;
	host_jump(loop);
	err = cycle(loop, LSCHED_RUN_NOWAIT, -1);
	loop->hosted = false;
	stopped = atomic_exchange(&loop->stop, false);
	loop->now = lsched__clock_read(loop->clock);
	arm_timerfd(loop, host_deadline(loop, loop->now), loop->now);
	lsched__loop_set_owner(loop, false);
	running_top = frame.up;
	atomic_store(&loop->running, false);
	if (err)
		return err;
	return stopped ? 1 : 0;
}
