/*
 * Internal definitions shared by the library's source files. Not installed.
 * Internal non-static names are lsched__*.
 */
#ifndef LSCHED_INTERNAL_H
#define LSCHED_INTERNAL_H

#include <libsched/libsched.h>
#include <libsched/performer.h>
#include <stdatomic.h>
#include <stddef.h>

#include "backend.h"
#include "heap.h"
#include "list.h"
#include "trace.h"

#define lsched__container_of(ptr, type, member)                                \
	((type *)(void *)((char *)(ptr)-offsetof(type, member)))

#define LSCHED__DEFAULT_INPUT_INTERVAL LSCHED_US(100)
/* Tasks one pass may run before the loop goes round its cycle again, so
 * that NOWAIT and ONCE return even while tasks keep posting new tasks. */
#define LSCHED__PASS_MAX 4096
#define LSCHED__MAX_EVENTS 64
/* The most tasks the pass runs between two reads of the clock, and the
 * time the tasks between two reads may take before it reads after every
 * task again (docs/architecture.md, Time). */
#define LSCHED__CLOCK_TASKS_MAX 64
#define LSCHED__CLOCK_SPAN LSCHED_US(10)
/* Freed tasks a loop keeps for reuse (with their heap slots), so that
 * short-lived tasks, such as work posted at a priority, do not allocate. */
#define LSCHED__SPARE_TASKS 256
/* Backend token of the loop's own wake-up eventfd. */
#define LSCHED__WAKE_TOKEN UINT64_MAX
/* Backend token of the timerfd a hosted loop arms for its host
 * (lsched_loop_fd()). Tokens below it are descriptors. */
#define LSCHED__TIMERFD_TOKEN (UINT64_MAX - 1)

struct lsched_clock {
	_Atomic int64_t now; /* virtual time; unused by the real clock */
	bool is_virtual;
	atomic_bool auto_advance;
};

/* Where a task is queued. */
enum lsched__queue {
	LSCHED__Q_NONE = 0,
	LSCHED__Q_HEAP,  /* timer waiting for its deadline */
	LSCHED__Q_READY, /* in its priority's ready queue */
};

/*
 * Laid out by use: everything starting, picking and running a plain task
 * touches is in its first cache line (tasks are allocated on a line's
 * boundary: lsched_task_new()); the maximum wait, the children, the timer
 * node and everything that only names, traces or lists the task come
 * after, behind a hint in line 0 for the first two. At 1M queued tasks
 * this is what a pass walks: one line per task.
 */
/* The fallback's state at a traced run's begin (tracecpu.c). */
struct lsched__tcpu_sys {
	int64_t now, cpu;
	uint64_t vcsw, ivcsw;
};

struct lsched_task {
	/* Line 0: start, pick, dequeue, run (64 bytes). */
	struct lsched__list link;       /* ready queue, while Q_READY */
	lsched_loop *loop;
	lsched_task_cb cb;
	void *arg;
	int64_t ready_at;
	/* The pass's number, low 32 bits, when it last ran: a match after a
	 * wrap only ends a pass one task early. */
	uint32_t last_pass;
	uint16_t runs_lo;               /* runs = runs_hi + runs_lo */
	uint8_t kind;
	uint8_t prio;
	uint8_t queue;                  /* enum lsched__queue */
	bool active;
	bool running;
	bool destroyed;
	bool traced;                    /* this run's begin was traced */
	uint8_t tr_prio;
	bool started;                   /* started since its run began */
	uint8_t hints;                  /* LSCHED__HINT_* */
	/* Line 1: max wait, children (behind hints). */
	uint64_t runs_hi;
	int64_t max_wait;
	struct lsched__list children;   /* of child tasks, by sibling */
	struct lsched__heap_node onode; /* overdue heap, while ready with max wait */
	/* Cold: timers, names, trace, the loop's list, the family. */
	struct lsched__heap_node tnode; /* timer heap, while Q_HEAP */
	int64_t timeout;
	const char *name;
	uint64_t id;
	struct lsched__list all_link;   /* loop->tasks */
	lsched_task *parent;
	struct lsched__list sibling;
	/* Kept for task_fire_end while a traced run goes on: what
	 * task_fire_begin said, and the stopwatch checks made since. */
	int64_t tr_begin, tr_ready_at;
	uint64_t sw_checks, sw_yields, sw_overruns;
	/* The loop thread's CPU time and switch counts at the traced run's
	 * begin (tr_cpu -1: not read: a virtual clock, or no clock); and
	 * for slice.cpu_elapsed, the start of the stopwatch last started or
	 * reset in this run with the CPU time at that instant. */
	int64_t tr_cpu, tr_sw_start, tr_sw_cpu;
	/* With tr_cpu (or tr_sw_cpu) LSCHED__TR_CPU_PERF: the position in
	 * the loop's perf ring at the begin (at the stopwatch's start);
	 * with tr_cpu >= 0, the fallback's begin (tracecpu.c). */
	uint64_t tr_pos, tr_sw_pos;
	struct lsched__tcpu_sys tr_sys;
	/* The loop's tr_name_gen when its task_name was last emitted (0:
	 * never, or its parent changed since). */
	uint32_t tr_name_gen;
};

/* lsched_task.hints, set once and kept: the task has had a maximum wait
 * (its overdue node may be queued), children (its list may be non-empty).
 * Tested in line 0 before line 1 is read. */
#define LSCHED__HINT_MAX_WAIT 1u
#define LSCHED__HINT_CHILDREN 2u

/* tr_cpu, tr_sw_cpu: measured from the perf ring, not the CPU clock. */
#define LSCHED__TR_CPU_PERF (-2)

/* What the dispatch reads first (the first 64 bytes), then the rest. */
struct lsched_timer {
	struct lsched__heap_node node;
	lsched_timer_cb cb;
	void *arg;
	int64_t period;
	uint32_t due_slot; /* in loop->due, while on_due */
	uint8_t mode;
	bool active;
	bool on_due;
	bool firing;
	bool destroyed;
	int64_t deadline;
	uint64_t missed;
	struct lsched__list all_link; /* loop->timerlist */
	lsched_loop *loop;
};

/* One watcher of a descriptor: a callback for the conditions it owns. */
struct lsched__fdw {
	lsched_fd_cb cb;  /* NULL: this entry is free */
	void *arg;
	unsigned events;  /* LSCHED_FD_READ and/or LSCHED_FD_WRITE */
	uint64_t gen;     /* loop->watch_gen when it was set */
};

/* A watched descriptor: one poller registration for the union of its
 * watchers' conditions, and one watcher per condition at most (so two
 * entries are always enough). */
struct lsched__watcher {
	int fd;
	unsigned events;  /* registered with the poller */
	uint64_t gen;     /* loop->watch_gen when it was registered */
	struct lsched__fdw w[2];
};

/* Per thread: the loop this thread blocks on in a waiting post, if any. */
struct lsched__thread_wait {
	lsched_loop *waiting_on;
};

struct lsched_loop {
	lsched_clock *clock;
	const struct lsched__backend_ops *bops;
	void *backend;

	int64_t now;            /* cached: cycle start, refreshed as needed */
	/* The cached time may lag while tiny tasks run (docs/architecture.md,
	 * Time): now_stale says a task ended since the last read; the pass
	 * reads again after clock_every tasks (clock_left counts down), a
	 * power of two from 1 to LSCHED__CLOCK_TASKS_MAX that doubles while
	 * the tasks between reads took less than LSCHED__CLOCK_SPAN / 2 since
	 * clock_mark and drops to 1 when they took more than the span. */
	bool now_stale;
	uint32_t clock_left, clock_every;
	int64_t clock_mark;
	/* The TSC anchor of the refresh after a task (clock.c): a real read
	 * and the TSC just after it; tsc_ok when this loop may extrapolate
	 * from it (the real clock on a CPU with an invariant TSC). */
	uint64_t tsc_anchor;
	int64_t ns_anchor;
	bool tsc_ok;
	int64_t input_interval;
	int64_t spin;           /* spin-then-sleep: ns, 0 off */
	int64_t last_poll;      /* when descriptors were last polled */
	bool input_seen;        /* last non-blocking poll found input */
	/* The input check (lsched__poll_input(), input_uring.c). io_uring:
	 * in_tail points at the completion ring's tail, in shared memory,
	 * and in_seen is the tail the last probe answered for (any other
	 * value makes the next check probe). Fallback (in_tail NULL): the
	 * clock is read every in_stride checks, in_left counts them down. */
	const unsigned *in_tail;
	unsigned in_seen;
	unsigned in_left;
	unsigned in_stride;
	int in_source;          /* enum lsched_input_source */
	int64_t in_read;        /* fallback: the clock at its last read */
	struct lsched__uring *uring; /* NULL: fallback */

	struct lsched__heap timers;  /* loop timers and waiting timer tasks */
	struct lsched__heap overdue; /* ready tasks with a max wait */
	/* Loop timers due, fired in order from due[due_head] to
	 * due[due_tail - 1]; a NULL slot held a timer stopped since. Room for
	 * every timer of the loop (reserved by lsched_timer_new()); due_live
	 * counts the non-NULL slots. */
	lsched_timer **due;
	uint32_t due_head, due_tail, due_cap, due_live;
	uint32_t ntimers;
	struct lsched__list ready[LSCHED_PRIO_COUNT];
	uint32_t ready_count[LSCHED_PRIO_COUNT];
	uint32_t ready_mask;         /* bit p set: ready[p] not empty */
	/* Bit p clear: ready[p] is in ready time order, so its head has
	 * waited longest (loop_check). Set when a task joins the queue
	 * behind one made ready later (a timer collected late, a priority
	 * change); cleared by the loop_check that finds it in order again. */
	uint32_t ready_unsorted;
	uint64_t seq;                /* heap insertion order: FIFO ties */
	uint64_t pass;
	uint64_t perform_pass;
	lsched_task *current;

	struct lsched__watcher **fds; /* indexed by fd */
	int nfds;                     /* size of fds */
	/* Counts watcher changes; poll_gen is its value at the last poll
	 * that is dispatched: a watcher set after it missed that poll, and
	 * its events are not its own (removed-and-added in a callback). */
	uint64_t watch_gen;
	uint64_t poll_gen;

	struct lsched__list tasks;
	struct lsched__list spare_tasks; /* freed tasks kept for reuse */
	uint32_t nspare;
	struct lsched__list timerlist;
	/* Loop timers are cut from slabs (timer.c), to sit together in
	 * memory; a destroyed timer's slot waits in timer_spare. */
	struct lsched__timer_slab *timer_slabs;
	struct lsched__list timer_spare;
	struct lsched__list performers;
	/* The thread running the loop, for the wait graph (under its lock). */
	struct lsched__thread_wait *owner;
	/* The trace's CPU-time source (tracecpu.c), made by the first traced
	 * run; NULL until then. */
	struct lsched__tcpu *tcpu;
	/* lsched_loop_set_name(); "" for none. Cold: read by the trace. */
	char name[LSCHED_LOOP_NAME_MAX + 1];
	/* The trace's name epoch (scheduler.c, trace_name()): its number,
	 * and the loop time it ends at. */
	uint32_t tr_name_gen;
	int64_t tr_name_until;

	atomic_bool running;
	atomic_bool stop;
	atomic_int wake_pending;     /* a wake-up write is outstanding */
	atomic_bool spinning;        /* in the spin before a sleep: no write */
	atomic_uint xthread_pending; /* queued cross-thread work (Performer) */
	int wake_fd;
	/* Hosting (lsched_loop_fd()): a timerfd in the poller, made on the
	 * first lsched_loop_fd() (-1 before), and the absolute deadline it
	 * is armed for (-1: disarmed), so that re-arming to the same
	 * deadline costs no system call. */
	int timer_fd;
	int64_t tfd_armed;
	bool hosted;     /* inside lsched_loop_dispatch() */

	struct lsched__poll_event events[LSCHED__MAX_EVENTS];
};

static inline int64_t lsched__add_sat(int64_t a, int64_t b)
{
	return b > 0 && a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* clock.c */
int64_t lsched__clock_read(const lsched_clock *clock);
/* True when the real clock may be extrapolated with the TSC here. */
bool lsched__tsc_usable(void);
/* The calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID), in ns, or
 * LSCHED_TP_CPU_UNKNOWN if it cannot be read. A system call: read only
 * for the trace, while a consumer listens. */
int64_t lsched__thread_cpu(void);
/* The calling thread's voluntary and involuntary context switches so far
 * (getrusage(RUSAGE_THREAD)); false if they cannot be read. Same cost. */
bool lsched__thread_switches(uint64_t *voluntary, uint64_t *involuntary);

/* tracecpu.c: the loop thread's time off the CPU in traced runs, from perf
 * context-switch records (no system call). All on the loop's thread.
 * lsched__tcpu_begin() makes the loop's state on first use (and emits
 * loop_cpu_source), and gives in *pos where the run's records begin;
 * false: perf is not available here, use the system calls. first: an
 * outermost run, whose begin frees what came before. */
bool lsched__tcpu_begin(lsched_loop *loop, bool first, uint64_t *pos);
/* Like lsched__tcpu_begin() inside a run, for a stopwatch's start: false
 * unless a begin on this thread made the state. */
bool lsched__tcpu_mark(lsched_loop *loop, uint64_t *pos);
/* The time in [from, to] (loop time, ns) the thread spent off the CPU
 * since *pos; -1 if not known (records dropped). Sets LSCHED_TP_END_BLOCKED
 * and LSCHED_TP_END_PREEMPTED in *flags for the switches before to. */
int64_t lsched__tcpu_off(const lsched_loop *loop, uint64_t pos, int64_t from,
			 int64_t to, int *flags);
/* Where lsched__tcpu_begin() said false: the system calls, two to four per
 * run (getrusage() at both ends, the CPU clock only after a switch).
 * now: the loop's time at the begin or end; the begin's state is a
 * struct lsched__tcpu_sys (above, kept in the task). */
bool lsched__tcpu_sys_begin(lsched_loop *loop, int64_t now,
			    struct lsched__tcpu_sys *b);
/* The run's CPU time, LSCHED_TP_CPU_UNKNOWN if not known; sets BLOCKED
 * and PREEMPTED in *flags. */
int64_t lsched__tcpu_sys_end(lsched_loop *loop, int64_t now,
			     const struct lsched__tcpu_sys *b, int *flags);
/* Closes the loop's event and frees its state (lsched_loop_destroy). */
void lsched__tcpu_fini(lsched_loop *loop);
/* Reads the loop's clock into loop->now and, on the real clock with a
 * usable TSC, re-anchors the extrapolation (and feeds its calibration). */
void lsched__loop_read_now(lsched_loop *loop);

#if defined(__x86_64__)
#include <x86intrin.h>
/* ns per TSC tick, << 32, a little low (clock.c); 0 while not
 * calibrated. TSC ticks an anchor is trusted for. */
extern _Atomic uint64_t lsched__tsc_mult;
extern _Atomic uint64_t lsched__tsc_max_delta;
#endif

/*
 * Refreshes loop->now after a task. On the real clock, with an invariant
 * TSC calibrated against CLOCK_MONOTONIC, it extrapolates from the last
 * real read (the anchor) if that is less than 20 us old: rdtsc costs
 * about half of clock_gettime() on kvm-clock, and this runs after many
 * tasks (lsched__loop_clock_tick()). The rate is biased low and the
 * anchor is taken after its read, so the result is never ahead of
 * CLOCK_MONOTONIC and lags it by tens of ns at most; it never goes below
 * loop->now. Otherwise (virtual clock, no usable TSC, old anchor,
 * another CPU's TSC behind ours) it reads.
 */
static inline void lsched__loop_refresh_now(lsched_loop *loop)
{
#if defined(__x86_64__)
	if (loop->tsc_ok) {
		uint64_t mult = atomic_load_explicit(&lsched__tsc_mult,
						     memory_order_acquire);
		uint64_t d = __rdtsc() - loop->tsc_anchor;

		if (mult && d < atomic_load_explicit(&lsched__tsc_max_delta,
						     memory_order_relaxed)) {
			int64_t t = loop->ns_anchor + (int64_t)((d * mult) >> 32);

			if (t > loop->now)
				loop->now = t;
			return;
		}
	}
#endif
	lsched__loop_read_now(loop);
}

/* lsched__loop_refresh_now(), out of line (clock.c): for the traced path,
 * whose callers' inlining must not change with it (scheduler.c). */
void lsched__loop_refresh_now_cold(lsched_loop *loop);
/* The pass's counted read (clock.c): refreshes loop->now, clears
 * now_stale and sets how many tasks run before the next such read. */
void lsched__loop_clock_tick(lsched_loop *loop);

/*
 * The loop's time where it must not lag: a timer's deadline, a maximum
 * wait's ready time, an auto-timer's dispatch, lsched_loop_now() in a
 * callback. Refreshes loop->now if a task ended since the last read, else
 * returns it as cached.
 */
static inline int64_t lsched__loop_fresh_now(lsched_loop *loop)
{
	if (loop->now_stale) {
		loop->now_stale = false;
		lsched__loop_refresh_now_cold(loop);
	}
	return loop->now;
}

/* timer.c: moves due heap entries to the due list (loop timers) or their
 * ready queue (tasks), in (deadline, start) order. */
void lsched__collect_due(lsched_loop *loop);
/* True when the timer heap's earliest entry is due: the test before
 * lsched__collect_due() on the task pass's path. */
static inline bool lsched__timers_due(const lsched_loop *loop)
{
	const struct lsched__heap_node *min = lsched__heap_min(&loop->timers);

	return min && min->key <= loop->now;
}
/* True when loop timers wait to be fired (lsched__fire_due_timers()). */
static inline bool lsched__timers_on_due(const lsched_loop *loop)
{
	return loop->due_live != 0;
}
/* Fires the due loop timers; returns how many callbacks ran. */
unsigned lsched__fire_due_timers(lsched_loop *loop);
void lsched__timer_free_all(lsched_loop *loop);

/* scheduler.c */
void lsched__task_make_ready(lsched_task *task, int64_t ready_at);
/* The loop_check event after a run ended at now (kind 0 a task, 1 posted
 * work; run, delay: tracepoints.md). Call only under
 * LSCHED_TRACE_ON(loop_check), on the loop's thread: it finds the ready
 * task that has waited longest. */
void lsched__trace_loop_check(lsched_loop *loop, int kind, uint64_t id,
			      int prio, int64_t run, int64_t delay,
			      int64_t now);
void lsched__run_pass(lsched_loop *loop);
void lsched__task_free_all(lsched_loop *loop);
bool lsched__tasks_ready(const lsched_loop *loop);

/* loop.c */
int lsched__loop_wake(lsched_loop *loop);

/* Queued cross-thread work (Performer): one relaxed atomic load, after
 * every task. */
static inline bool lsched__xthread_pending(const lsched_loop *loop)
{
	return atomic_load_explicit(&((lsched_loop *)loop)->xthread_pending,
				    memory_order_relaxed) != 0;
}

/* input_uring.c. Called as a run begins (lsched_loop_run(), _dispatch()),
 * on the loop's thread: picks the input check of the loop (io_uring on the
 * real clock if the kernel allows it, else the interval fallback) on its
 * first run, and again after a fork or on another thread. Cheap when
 * nothing changed: a thread-local and an atomic load. */
void lsched__input_attach(lsched_loop *loop);
/* After the cycle's poll dispatched n events: the next check probes again
 * if one was input (a level-triggered descriptor its callback did not
 * drain makes no new completion). */
void lsched__input_dispatched(lsched_loop *loop, int n);
/* The ring's descriptor and memory (lsched_loop_destroy()). */
void lsched__input_fini(lsched_loop *loop);
/* The slow part of lsched__poll_input(): io_uring, reads the completions
 * (re-arming the poll if it ended) and probes; fallback, reads the clock
 * and probes once the input interval has passed. */
bool lsched__poll_input_slow(lsched_loop *loop);
/* The non-blocking poll itself: records whether it found input. */
bool lsched__input_probe(lsched_loop *loop);

/*
 * Whether input is pending, checked after every task, so inline up to the
 * test that is false almost always. The events found are left for the next
 * cycle to dispatch (it polls again), only their existence is recorded.
 * io_uring path: a multishot poll on the poller's descriptor posts a
 * completion when a watched descriptor (or the wake-up eventfd) becomes
 * ready; the check is one load of the completion ring's tail, and a
 * non-blocking poll only when it moved. Fallback: a countdown, and every
 * in_stride checks a clock read; the poll once the input interval passed.
 * Neither reads loop->now.
 */
static inline bool lsched__poll_input(lsched_loop *loop)
{
	if (loop->input_seen)
		return true;
	if (loop->in_tail) {
		if (__atomic_load_n(loop->in_tail, __ATOMIC_ACQUIRE) ==
		    loop->in_seen)
			return false;
	} else if (loop->in_left > 1) {
		loop->in_left--;
		return false;
	}
	return lsched__poll_input_slow(loop);
}

/* Input pending: the last non-blocking poll found input, or cross-thread
 * work is queued. */
static inline bool lsched__input_pending(const lsched_loop *loop)
{
	return loop->input_seen || lsched__xthread_pending(loop);
}

/* performer.c */
void lsched__perform_phase(lsched_loop *loop);
void lsched__performers_loop_gone(lsched_loop *loop);
void lsched__loop_set_owner(lsched_loop *loop, bool running);

#endif /* LSCHED_INTERNAL_H */
