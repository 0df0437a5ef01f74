/* TaskStopwatch: time slices for long tasks (VCL's TaskStopwatch). */
#include "internal.h"

static _Atomic int64_t default_slice = LSCHED_STOPWATCH_DEFAULT_SLICE;

static int64_t sw_now(const struct lsched_stopwatch *sw)
{
	return lsched__clock_read(sw->loop ? sw->loop->clock
					   : lsched_clock_monotonic());
}

int lsched_stopwatch_init(struct lsched_stopwatch *sw, lsched_loop *loop)
{
	if (!sw)
		return -EINVAL;
	sw->loop = loop;
	sw->slice = atomic_load(&default_slice);
	sw->flags = LSCHED_SW_INPUT_ALL;
	sw->priority = loop && loop->current ? loop->current->prio : -1;
	sw->checks = 0;
	return lsched_stopwatch_reset(sw);
}

/*
 * The task whose traced run this stopwatch measures, on a real clock; NULL
 * if none. Only then does a slice event carry cpu_elapsed: the CPU time is
 * the loop thread's, so the stopwatch must run on that thread, inside the
 * run (an lsched_stopwatch holds no room for it: the task keeps it).
 */
static lsched_task *cpu_task(const struct lsched_stopwatch *sw)
{
	lsched_task *t = sw->loop ? sw->loop->current : NULL;

	return t && t->traced && !sw->loop->clock->is_virtual ? t : NULL;
}

/* Notes the CPU time at the stopwatch's start, while slices are traced:
 * where its run is measured from perf records (scheduler.c), the ring's
 * position, else the CPU clock. */
static void cpu_mark(const struct lsched_stopwatch *sw)
{
	lsched_task *t;

	if (!LSCHED_TRACE_ON(slice) || !(t = cpu_task(sw)))
		return;
	t->tr_sw_start = sw->start;
	if (t->tr_cpu == LSCHED__TR_CPU_PERF &&
	    lsched__tcpu_mark(sw->loop, &t->tr_sw_pos))
		t->tr_sw_cpu = LSCHED__TR_CPU_PERF;
	else
		t->tr_sw_cpu = lsched__thread_cpu();
}

/* CPU time from the stopwatch's start to now, if its start was noted in
 * this run; LSCHED_TP_CPU_UNKNOWN otherwise. */
static int64_t cpu_elapsed(const struct lsched_stopwatch *sw, int64_t now)
{
	lsched_task *t = cpu_task(sw);
	int64_t cpu;

	if (!t || t->tr_sw_start != sw->start)
		return LSCHED_TP_CPU_UNKNOWN;
	if (t->tr_sw_cpu == LSCHED__TR_CPU_PERF) {
		int flags = 0;
		int64_t off = lsched__tcpu_off(sw->loop, t->tr_sw_pos,
					       sw->start, now, &flags);

		if (off < 0 || now < sw->start)
			return LSCHED_TP_CPU_UNKNOWN;
		return now - sw->start > off ? now - sw->start - off : 0;
	}
	if (t->tr_sw_cpu < 0)
		return LSCHED_TP_CPU_UNKNOWN;
	cpu = lsched__thread_cpu();
	return cpu >= t->tr_sw_cpu ? cpu - t->tr_sw_cpu : LSCHED_TP_CPU_UNKNOWN;
}

int lsched_stopwatch_reset(struct lsched_stopwatch *sw)
{
	if (!sw)
		return -EINVAL;
	sw->start = sw->iter_start = sw_now(sw);
	cpu_mark(sw);
	sw->last_iter = 0;
	sw->verdict = LSCHED_SW_CONTINUE;
	return 0;
}

int lsched_stopwatch_set_slice(struct lsched_stopwatch *sw, int64_t slice_ns)
{
	if (!sw || slice_ns <= 0)
		return -EINVAL;
	sw->slice = slice_ns;
	return 0;
}

int lsched_stopwatch_set_flags(struct lsched_stopwatch *sw, unsigned flags)
{
	if (!sw || (flags & ~(unsigned)(LSCHED_SW_INPUT_ALL |
					LSCHED_SW_ELAPSED_ONLY)))
		return -EINVAL;
	sw->flags = flags;
	return 0;
}

/* A task of a higher priority than the stopwatch's task is ready, counting
 * timers that fell due while the task ran. */
static bool higher_ready(struct lsched_stopwatch *sw)
{
	lsched_loop *loop = sw->loop;

	if (sw->priority <= 0)
		return false;
	lsched__collect_due(loop);
	return (loop->ready_mask & ((1u << sw->priority) - 1)) != 0;
}

static bool input(struct lsched_stopwatch *sw)
{
	lsched_loop *loop = sw->loop;

	if (!loop)
		return false;
	if ((sw->flags & LSCHED_SW_INPUT_CROSS_THREAD) &&
	    lsched__xthread_pending(loop))
		return true;
	if ((sw->flags & LSCHED_SW_INPUT_FD) && lsched__poll_input(loop))
		return true;
	return (sw->flags & LSCHED_SW_INPUT_HIGHER_TASK) && higher_ready(sw);
}

bool lsched_stopwatch_continue(struct lsched_stopwatch *sw)
{
	int64_t now, elapsed;
	bool over;

	if (!sw)
		return false;
	now = sw_now(sw);
	if (sw->loop) {
		sw->loop->now = now;
		sw->loop->now_stale = false;
	}
	sw->last_iter = now - sw->iter_start;
	sw->iter_start = now;
	sw->checks++;
	elapsed = now - sw->start;
	if (sw->flags & LSCHED_SW_ELAPSED_ONLY)
		over = elapsed > sw->slice;
	else
		over = elapsed + sw->last_iter > sw->slice;
	if (input(sw))
		sw->verdict = LSCHED_SW_INPUT_PENDING;
	else if (over)
		sw->verdict = LSCHED_SW_SLICE_USED;
	else
		sw->verdict = LSCHED_SW_CONTINUE;
	/* Counted for task_fire_end, in traced runs only. */
	if (sw->loop && sw->loop->current && sw->loop->current->traced) {
		lsched_task *t = sw->loop->current;

		t->sw_checks++;
		t->sw_yields += sw->verdict != LSCHED_SW_CONTINUE;
		t->sw_overruns += elapsed > sw->slice;
	}
	if (LSCHED_TRACE_ON(slice))
		LSCHED_TRACE(slice, sw->loop,
			     sw->loop && sw->loop->current
				     ? sw->loop->current->id
				     : 0,
			     sw->priority, elapsed, sw->slice, sw->last_iter,
			     sw->verdict, sw->checks, cpu_elapsed(sw, now));
	return sw->verdict == LSCHED_SW_CONTINUE;
}

enum lsched_stopwatch_verdict
lsched_stopwatch_verdict(const struct lsched_stopwatch *sw)
{
	return sw ? (enum lsched_stopwatch_verdict)sw->verdict
		  : LSCHED_SW_SLICE_USED;
}

int64_t lsched_stopwatch_elapsed(const struct lsched_stopwatch *sw)
{
	return sw ? sw_now(sw) - sw->start : -EINVAL;
}

bool lsched_stopwatch_exceeded(const struct lsched_stopwatch *sw)
{
	return sw && sw_now(sw) - sw->start > sw->slice;
}

int lsched_stopwatch_set_default_slice(int64_t slice_ns)
{
	if (slice_ns <= 0)
		return -EINVAL;
	atomic_store(&default_slice, slice_ns);
	return 0;
}

int64_t lsched_stopwatch_default_slice(void)
{
	return atomic_load(&default_slice);
}
