/*
 * Scheduler tests: strict priority, round-robin, timers, reentrancy,
 * priority changes, input deferral, maximum wait, children, errors.
 *
 * Every test runs on the fixture's virtual clock (1 s at start) and moves
 * time explicitly; nothing sleeps. Callbacks only record what they saw:
 * asserting inside a callback would longjmp out of a running loop and leave
 * it busy, so the asserts come after lsched_loop_run() returns.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <fcntl.h>

#include "testutil.h"

/* What the callbacks of one test share. */
struct ctx {
	struct evlog log;
	lsched_clock *clock;
	lsched_loop *loop;
	lsched_task *other;  /* a task a callback acts on */
	lsched_task *other2;
	int64_t advance;     /* ns a callback moves the clock by */
	int64_t times[64];   /* clock readings taken by callbacks */
	int ntimes;
	int count;
	int limit;
	int fds[2];          /* a pipe: [0] watched, [1] written by tasks */
	/* What a callback observed about itself. */
	bool seen_active;
	bool seen_running;
	bool seen_current;
	int seen_prio;
	int seen_rc;
	int seen_rc2;
};

static void ctx_init(struct ctx *c, const struct vfix *f)
{
	memset(c, 0, sizeof(*c));
	c->clock = f->clock;
	c->loop = f->loop;
	c->fds[0] = c->fds[1] = -1;
	c->seen_prio = -1;
}

static lsched_task *new_task(lsched_loop *loop, const char *name,
			     enum lsched_task_kind kind, int prio,
			     lsched_task_cb cb, void *arg)
{
	lsched_task *t = lsched_task_new(loop, name, kind, prio, cb, arg);
	assert_non_null(t);
	return t;
}

static void advance(lsched_clock *clock, int64_t ns)
{
	assert_int_equal(lsched_clock_advance(clock, ns), 0);
}

static int64_t rel_now(const struct ctx *c)
{
	return lsched_clock_now(c->clock) - LSCHED_S(1);
}

/* Logs the task's name; arg is a struct evlog. */
static void log_cb(lsched_task *task, void *arg)
{
	evlog_add(arg, lsched_task_name(task));
}

static void nop_cb(lsched_task *task, void *arg)
{
	(void)task;
	(void)arg;
}

/* Logs the name and records the clock (relative to 1 s). */
static void time_cb(lsched_task *task, void *arg)
{
	struct ctx *c = arg;
	evlog_add(&c->log, lsched_task_name(task));
	if (c->ntimes < 64)
		c->times[c->ntimes++] = rel_now(c);
}

/* Logs, then moves the clock by c->advance (simulated run time). */
static void busy_cb(lsched_task *task, void *arg)
{
	struct ctx *c = arg;
	time_cb(task, arg);
	advance(c->clock, c->advance);
}

/* ---- strict priority ---------------------------------------------------- */

static void test_task_strict_priority_order(void **state)
{
	struct vfix *f = *state;
	static const char *const names[LSCHED_PRIO_COUNT] = {
		"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7"};
	struct evlog log = {0};
	lsched_task *t[LSCHED_PRIO_COUNT];

	for (int p = LSCHED_PRIO_LOWEST; p >= LSCHED_PRIO_HIGHEST; p--) {
		t[p] = new_task(f->loop, names[p], LSCHED_TASK_IDLE, p, log_cb,
				&log);
		assert_int_equal(lsched_task_start(t[p]), 0);
	}
	for (int p = 0; p < LSCHED_PRIO_COUNT; p++)
		assert_int_equal(lsched_loop_ready_count(f->loop, p), 1);

	assert_int_equal(run_cycles(f->loop, 3), 3);
	assert_log(&log, "p0 p1 p2 p3 p4 p5 p6 p7");
	for (int p = 0; p < LSCHED_PRIO_COUNT; p++) {
		assert_int_equal(lsched_loop_ready_count(f->loop, p), 0);
		assert_int_equal(lsched_task_runs(t[p]), 1);
		lsched_task_destroy(t[p]);
	}
}

static void test_task_strict_priority_starves(void **state)
{
	struct vfix *f = *state;
	struct evlog log = {0};
	lsched_task *low = new_task(f->loop, "low", LSCHED_TASK_IDLE,
				    LSCHED_PRIO_LOWEST, log_cb, &log);
	lsched_task *hog = new_task(f->loop, "hog", LSCHED_TASK_AUTO_IDLE,
				    LSCHED_PRIO_DEFAULT, nop_cb, NULL);

	assert_int_equal(lsched_task_start(low), 0);
	assert_int_equal(lsched_task_start(hog), 0);
	assert_int_equal(run_cycles(f->loop, 1000), 1000);
	/* A repeating task runs at most once per cycle, and here every cycle. */
	assert_int_equal(lsched_task_runs(hog), 1000);
	assert_int_equal(lsched_task_runs(low), 0);
	assert_true(lsched_task_is_active(low));
	assert_int_equal(lsched_loop_ready_count(f->loop, LSCHED_PRIO_LOWEST), 1);

	assert_int_equal(lsched_task_stop(hog), 0);
	assert_false(lsched_task_is_active(hog));
	run_cycles(f->loop, 1);
	assert_int_equal(lsched_task_runs(low), 1);
	assert_int_equal(lsched_task_runs(hog), 1000);
	assert_log(&log, "low");

	lsched_task_destroy(hog);
	lsched_task_destroy(low);
}

/* ---- round-robin -------------------------------------------------------- */

static void test_task_round_robin_auto_idles(void **state)
{
	struct vfix *f = *state;
	struct evlog log = {0};
	lsched_task *a = new_task(f->loop, "A", LSCHED_TASK_AUTO_IDLE,
				  LSCHED_PRIO_REPAINT, log_cb, &log);
	lsched_task *b = new_task(f->loop, "B", LSCHED_TASK_AUTO_IDLE,
				  LSCHED_PRIO_REPAINT, log_cb, &log);
	lsched_task *c = new_task(f->loop, "C", LSCHED_TASK_AUTO_IDLE,
				  LSCHED_PRIO_REPAINT, log_cb, &log);

	assert_int_equal(lsched_task_start(a), 0);
	assert_int_equal(lsched_task_start(b), 0);
	assert_int_equal(lsched_task_start(c), 0);
	run_cycles(f->loop, 1);
	assert_log(&log, "A B C");
	run_cycles(f->loop, 2);
	assert_log(&log, "A B C A B C A B C");
	assert_int_equal(lsched_loop_ready_count(f->loop, LSCHED_PRIO_REPAINT),
			 3);

	lsched_task_destroy(a);
	lsched_task_destroy(b);
	lsched_task_destroy(c);
	assert_int_equal(lsched_loop_ready_count(f->loop, LSCHED_PRIO_REPAINT),
			 0);
}

static void test_task_one_shot_idles_fifo(void **state)
{
	struct vfix *f = *state;
	struct evlog log = {0};
	lsched_task *x = new_task(f->loop, "x", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, log_cb, &log);
	lsched_task *y = new_task(f->loop, "y", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, log_cb, &log);
	lsched_task *z = new_task(f->loop, "z", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, log_cb, &log);

	/* Start order, not creation order. */
	assert_int_equal(lsched_task_start(z), 0);
	assert_int_equal(lsched_task_start(x), 0);
	assert_int_equal(lsched_task_start(y), 0);
	run_cycles(f->loop, 3);
	assert_log(&log, "z x y");
	assert_false(lsched_task_is_active(x));
	assert_false(lsched_task_is_active(y));
	assert_false(lsched_task_is_active(z));

	lsched_task_destroy(x);
	lsched_task_destroy(y);
	lsched_task_destroy(z);
}

/* VCL: Start() of an active task leaves it where it is. */
static void test_task_restart_ready_keeps_its_place(void **state)
{
	struct vfix *f = *state;
	struct evlog log = {0};
	lsched_task *a = new_task(f->loop, "a", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, log_cb, &log);
	lsched_task *b = new_task(f->loop, "b", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, log_cb, &log);
	lsched_task *c = new_task(f->loop, "c", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, log_cb, &log);
	int64_t since;

	assert_int_equal(lsched_task_start(a), 0);
	since = lsched_task_ready_since(a);
	assert_int_equal(lsched_task_start(b), 0);
	assert_int_equal(lsched_task_start(c), 0);
	advance(f->clock, LSCHED_MS(5));
	lsched_loop_update_now(f->loop);
	assert_int_equal(lsched_task_start(a), 0);
	assert_true(lsched_task_is_active(a));
	/* Restarting must not queue the task twice, move it, or reset the
	 * time it became ready. */
	assert_int_equal(lsched_loop_ready_count(f->loop, LSCHED_PRIO_DEFAULT),
			 3);
	assert_int_equal(lsched_task_ready_since(a), since);
	run_cycles(f->loop, 3);
	assert_log(&log, "a b c");
	assert_int_equal(lsched_task_runs(a), 1);

	lsched_task_destroy(a);
	lsched_task_destroy(b);
	lsched_task_destroy(c);
}

/* Restarts itself, then starts c->other (issue 14's A and B; VCL's
 * testTriggerIdleFromIdle). */
static void restart_self_then_other_cb(lsched_task *task, void *arg)
{
	struct ctx *c = arg;

	evlog_add(&c->log, lsched_task_name(task));
	lsched_task_start(task);
	lsched_task_start(c->other);
}

/* A restarts A, then starts B, in every run: one step = one cycle. B runs
 * every second step; before, B's restart put it behind A again each time
 * and B never ran. */
static void test_task_restart_self_then_other_both_run(void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	lsched_task *a = new_task(f->loop, "A", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT_IDLE,
				  restart_self_then_other_cb, &c);
	c.other = new_task(f->loop, "B", LSCHED_TASK_IDLE,
			   LSCHED_PRIO_DEFAULT_IDLE, log_cb, &c.log);

	assert_int_equal(lsched_task_start(a), 0);
	assert_int_equal(run_cycles(f->loop, 10), 10);
	/* Step 1 runs A, which queues A then B; step 2 runs A (which goes
	 * behind B) then B; and so on: B runs every second step. */
	assert_int_equal(lsched_task_runs(a), 10);
	assert_int_equal(lsched_task_runs(c.other), 5);
	assert_log(&c.log, "A A B A A B A A B A A B A A B");

	lsched_task_destroy(a);
	lsched_task_destroy(c.other);
}

/* Restarts c->other and moves the clock by c->advance. */
static void restart_other_cb(lsched_task *task, void *arg)
{
	struct ctx *c = arg;

	(void)task;
	c->seen_rc = lsched_task_start(c->other);
	advance(c->clock, c->advance);
}

/* A task restarted more often than its max wait is still rescued by it:
 * the restart does not reset the time it became ready. */
static void test_task_restart_keeps_max_wait_counting(void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	c.advance = LSCHED_MS(1);
	lsched_task *hog = new_task(f->loop, "hog", LSCHED_TASK_AUTO_IDLE,
				    LSCHED_PRIO_HIGHEST, restart_other_cb, &c);
	c.other = new_task(f->loop, "low", LSCHED_TASK_IDLE, LSCHED_PRIO_LOWEST,
			   time_cb, &c);

	assert_int_equal(lsched_task_set_max_wait(c.other, LSCHED_MS(10)), 0);
	assert_int_equal(lsched_task_start(c.other), 0);
	assert_int_equal(lsched_task_start(hog), 0);
	run_cycles(f->loop, 30);
	/* Ready at 0, restarted every ms by the hog: overdue at 10 ms, it
	 * runs right after the hog's run that crossed 10 ms; the hog's next
	 * restart makes it ready again from 10 ms, and so on. */
	assert_int_equal(c.ntimes, 3);
	assert_int_equal(c.times[0], LSCHED_MS(10));
	assert_int_equal(c.times[1], LSCHED_MS(20));
	assert_int_equal(c.times[2], LSCHED_MS(30));
	assert_int_equal(c.seen_rc, 0);

	lsched_task_destroy(hog);
	lsched_task_destroy(c.other);
}

/* A timer task that fell due is ready: a restart before it runs leaves it
 * due (its wait counts from its deadline), where a waiting one is
 * re-armed (below). */
static void test_task_restart_due_timer_keeps_its_deadline(void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	lsched_task *first = new_task(f->loop, "first", LSCHED_TASK_IDLE,
				      LSCHED_PRIO_HIGHEST, restart_other_cb,
				      &c);
	c.other = new_task(f->loop, "timer", LSCHED_TASK_TIMER,
			   LSCHED_PRIO_DEFAULT, time_cb, &c);

	assert_int_equal(lsched_task_set_timeout(c.other, LSCHED_MS(10)), 0);
	assert_int_equal(lsched_task_start(c.other), 0);
	advance(f->clock, LSCHED_MS(10));
	assert_int_equal(lsched_task_start(first), 0);
	/* The cycle makes the timer ready, then "first" restarts it. */
	assert_int_equal(run_cycles(f->loop, 1), 1);
	assert_int_equal(c.ntimes, 1);
	assert_int_equal(c.times[0], LSCHED_MS(10));
	assert_false(lsched_task_is_active(c.other));

	lsched_task_destroy(first);
	lsched_task_destroy(c.other);
}

/* VCL's Timer::Start(): a restart of a waiting timer re-arms it. */
static void test_task_restart_waiting_timer_rearms(void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	lsched_task *t = new_task(f->loop, "timer", LSCHED_TASK_TIMER,
				  LSCHED_PRIO_DEFAULT, time_cb, &c);

	assert_int_equal(lsched_task_set_timeout(t, LSCHED_MS(10)), 0);
	assert_int_equal(lsched_task_start(t), 0);
	advance(f->clock, LSCHED_MS(6));
	run_cycles(f->loop, 1);
	assert_int_equal(lsched_task_start(t), 0);
	while (rel_now(&c) < LSCHED_MS(30)) {
		run_cycles(f->loop, 1);
		advance(f->clock, LSCHED_MS(1));
	}
	assert_int_equal(c.ntimes, 1);
	assert_int_equal(c.times[0], LSCHED_MS(16));
	lsched_task_destroy(t);
}

/* VCL's testInvokedReStart: a one-shot idle restarted inside its own
 * callback runs once more, then stops. */
static void restart_once_cb(lsched_task *task, void *arg)
{
	struct ctx *c = arg;

	if (++c->count < 2)
		lsched_task_start(task);
}

static void test_task_restart_inside_own_callback_runs_again(void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	lsched_task *t = new_task(f->loop, "again", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, restart_once_cb, &c);

	assert_int_equal(lsched_task_start(t), 0);
	run_cycles(f->loop, 5);
	assert_int_equal(c.count, 2);
	assert_false(lsched_task_is_active(t));
	lsched_task_destroy(t);
}

/* ---- timers ------------------------------------------------------------- */

static void test_task_timer_fires_at_deadline(void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	lsched_task *t = new_task(f->loop, "t", LSCHED_TASK_TIMER,
				  LSCHED_PRIO_DEFAULT, time_cb, &c);

	assert_int_equal(lsched_task_set_timeout(t, LSCHED_MS(10)), 0);
	assert_int_equal(lsched_task_timeout(t), LSCHED_MS(10));
	assert_int_equal(lsched_task_start(t), 0);
	assert_true(lsched_task_is_active(t));
	/* Waiting, not ready. */
	assert_int_equal(lsched_loop_ready_count(f->loop, LSCHED_PRIO_DEFAULT),
			 0);

	run_cycles(f->loop, 2);
	assert_int_equal(lsched_task_runs(t), 0);
	advance(f->clock, LSCHED_MS(9));
	run_cycles(f->loop, 2);
	assert_int_equal(lsched_task_runs(t), 0);
	advance(f->clock, LSCHED_MS(1) - 1);
	run_cycles(f->loop, 2);
	assert_int_equal(lsched_task_runs(t), 0);
	assert_true(lsched_task_is_active(t));

	advance(f->clock, 1);
	run_cycles(f->loop, 2);
	assert_int_equal(lsched_task_runs(t), 1);
	assert_int_equal(c.ntimes, 1);
	assert_int_equal(c.times[0], LSCHED_MS(10));
	assert_false(lsched_task_is_active(t));

	/* One-shot: no further run. */
	advance(f->clock, LSCHED_MS(50));
	run_cycles(f->loop, 3);
	assert_int_equal(lsched_task_runs(t), 1);
	lsched_task_destroy(t);
}

static void test_task_timer_equal_deadlines_fifo(void **state)
{
	struct vfix *f = *state;
	struct evlog log = {0};
	lsched_task *a = new_task(f->loop, "a", LSCHED_TASK_TIMER,
				  LSCHED_PRIO_DEFAULT, log_cb, &log);
	lsched_task *b = new_task(f->loop, "b", LSCHED_TASK_TIMER,
				  LSCHED_PRIO_DEFAULT, log_cb, &log);
	lsched_task *c = new_task(f->loop, "c", LSCHED_TASK_TIMER,
				  LSCHED_PRIO_DEFAULT, log_cb, &log);
	lsched_task *early = new_task(f->loop, "early", LSCHED_TASK_TIMER,
				      LSCHED_PRIO_DEFAULT, log_cb, &log);

	assert_int_equal(lsched_task_set_timeout(a, LSCHED_MS(10)), 0);
	assert_int_equal(lsched_task_set_timeout(b, LSCHED_MS(10)), 0);
	assert_int_equal(lsched_task_set_timeout(c, LSCHED_MS(10)), 0);
	assert_int_equal(lsched_task_set_timeout(early, LSCHED_MS(5)), 0);
	assert_int_equal(lsched_task_start(b), 0);
	assert_int_equal(lsched_task_start(a), 0);
	assert_int_equal(lsched_task_start(c), 0);
	assert_int_equal(lsched_task_start(early), 0);

	advance(f->clock, LSCHED_MS(10));
	run_cycles(f->loop, 3);
	assert_log(&log, "early b a c");

	lsched_task_destroy(a);
	lsched_task_destroy(b);
	lsched_task_destroy(c);
	lsched_task_destroy(early);
}

static void test_task_auto_timer_repeats(void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	lsched_task *t = new_task(f->loop, "tick", LSCHED_TASK_AUTO_TIMER,
				  LSCHED_PRIO_DEFAULT, time_cb, &c);

	assert_int_equal(lsched_task_set_timeout(t, LSCHED_MS(10)), 0);
	assert_int_equal(lsched_task_start(t), 0);
	while (rel_now(&c) < LSCHED_MS(35)) {
		run_cycles(f->loop, 1);
		advance(f->clock, LSCHED_MS(1));
	}
	assert_int_equal(c.ntimes, 3);
	assert_int_equal(c.times[0], LSCHED_MS(10));
	assert_int_equal(c.times[1], LSCHED_MS(20));
	assert_int_equal(c.times[2], LSCHED_MS(30));
	assert_true(lsched_task_is_active(t));

	assert_int_equal(lsched_task_stop(t), 0);
	advance(f->clock, LSCHED_MS(100));
	run_cycles(f->loop, 3);
	assert_int_equal(c.ntimes, 3);
	lsched_task_destroy(t);
}

/* VCL, GLib and libuv re-arm a repeating timer from its dispatch: a slow
 * callback does not stretch the period. */
static void test_task_auto_timer_rearms_from_dispatch(void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	c.advance = LSCHED_MS(3);
	lsched_task *t = new_task(f->loop, "tick", LSCHED_TASK_AUTO_TIMER,
				  LSCHED_PRIO_DEFAULT, busy_cb, &c);

	assert_int_equal(lsched_task_set_timeout(t, LSCHED_MS(10)), 0);
	assert_int_equal(lsched_task_start(t), 0);
	/* Each run takes 3 ms; the next deadline is its start + 10 ms. */
	while (rel_now(&c) < LSCHED_MS(50)) {
		run_cycles(f->loop, 1);
		advance(f->clock, LSCHED_MS(1));
	}
	assert_int_equal(c.ntimes, 4);
	assert_int_equal(c.times[0], LSCHED_MS(10));
	assert_int_equal(c.times[1], LSCHED_MS(20));
	assert_int_equal(c.times[2], LSCHED_MS(30));
	assert_int_equal(c.times[3], LSCHED_MS(40));
	lsched_task_destroy(t);
}

/* The catch-up rule: a run longer than the timeout makes the timer due as
 * it returns; the periods it overran are skipped, not made up. */
static void test_task_auto_timer_overrun_fires_once_then_keeps_period(
	void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	c.advance = LSCHED_MS(25);
	lsched_task *t = new_task(f->loop, "slow", LSCHED_TASK_AUTO_TIMER,
				  LSCHED_PRIO_DEFAULT, busy_cb, &c);

	assert_int_equal(lsched_task_set_timeout(t, LSCHED_MS(10)), 0);
	assert_int_equal(lsched_task_start(t), 0);
	advance(f->clock, LSCHED_MS(10));
	run_cycles(f->loop, 1); /* runs 10..35 */
	assert_int_equal(c.ntimes, 1);
	c.advance = 0;
	run_cycles(f->loop, 1); /* due at 35: runs at once, once */
	assert_int_equal(c.ntimes, 2);
	assert_int_equal(c.times[1], LSCHED_MS(35));
	run_cycles(f->loop, 3);
	assert_int_equal(c.ntimes, 2);
	advance(f->clock, LSCHED_MS(10));
	run_cycles(f->loop, 1);
	assert_int_equal(c.ntimes, 3);
	assert_int_equal(c.times[2], LSCHED_MS(45));
	lsched_task_destroy(t);
}

/* Stands for a 10 ns auto-timer that is always behind: moves the clock by
 * 1 us per run. */
static void tiny_timer_cb(lsched_task *task, void *arg)
{
	struct ctx *c = arg;

	(void)task;
	c->count++;
	advance(c->clock, LSCHED_US(1));
	if (c->count > 100000)
		lsched_loop_stop(c->loop); /* starved: end the test */
}

static void stop_after_cb(lsched_task *task, void *arg)
{
	struct ctx *c = arg;

	(void)task;
	advance(c->clock, LSCHED_US(1));
	if (++c->seen_prio == c->limit)
		lsched_loop_stop(c->loop);
}

static void tiny_fd_cb(lsched_loop *loop, int fd, unsigned revents,
		       void *arg)
{
	struct ctx *c = arg;
	char b;

	(void)loop;
	(void)revents;
	if (read(fd, &b, 1) == 1)
		c->ntimes++;
}

/* No period floor is needed: a 10 ns auto-timer runs once per pass, and
 * a task of its priority, descriptor input and a stop all get through. */
static void test_task_tiny_auto_timer_starves_nothing(void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	c.seen_prio = 0;
	c.limit = 50;
	lsched_task *tiny = new_task(f->loop, "tiny", LSCHED_TASK_AUTO_TIMER,
				     LSCHED_PRIO_DEFAULT, tiny_timer_cb, &c);
	lsched_task *other = new_task(f->loop, "other", LSCHED_TASK_AUTO_IDLE,
				      LSCHED_PRIO_DEFAULT, stop_after_cb, &c);

	assert_int_equal(pipe(c.fds), 0);
	assert_int_equal(write(c.fds[1], "xyz", 3), 3);
	assert_int_equal(lsched_loop_watch_fd(f->loop, c.fds[0], LSCHED_FD_READ,
					      tiny_fd_cb, &c),
			 0);
	assert_int_equal(lsched_task_set_timeout(tiny, 10), 0);
	assert_int_equal(lsched_task_start(tiny), 0);
	assert_int_equal(lsched_task_start(other), 0);
	assert_int_equal(lsched_loop_run(f->loop, LSCHED_RUN_DEFAULT), 0);
	assert_int_equal(c.seen_prio, 50); /* the other task, then the stop */
	/* The tiny timer ran about once per cycle too (not the first:
	 * not yet due), and not 100 000 times. */
	assert_in_range(c.count, 40, 51);
	assert_int_equal(c.ntimes, 3);     /* all the input was read */

	assert_int_equal(lsched_loop_unwatch_fd(f->loop, c.fds[0]), 0);
	close(c.fds[0]);
	close(c.fds[1]);
	lsched_task_destroy(tiny);
	lsched_task_destroy(other);
}

static void test_task_set_timeout_rearms_waiting_timer(void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	lsched_task *t = new_task(f->loop, "t", LSCHED_TASK_TIMER,
				  LSCHED_PRIO_DEFAULT, time_cb, &c);

	assert_int_equal(lsched_task_set_timeout(t, LSCHED_MS(10)), 0);
	assert_int_equal(lsched_task_start(t), 0);
	advance(f->clock, LSCHED_MS(5));
	run_cycles(f->loop, 1); /* the loop's now becomes 1.005 s */
	assert_int_equal(lsched_loop_now(f->loop), LSCHED_S(1) + LSCHED_MS(5));

	assert_int_equal(lsched_task_set_timeout(t, LSCHED_MS(20)), 0);
	assert_true(lsched_task_is_active(t));
	advance(f->clock, LSCHED_MS(19)); /* past the old deadline */
	run_cycles(f->loop, 2);
	assert_int_equal(lsched_task_runs(t), 0);
	advance(f->clock, LSCHED_MS(1));
	run_cycles(f->loop, 2);
	assert_int_equal(lsched_task_runs(t), 1);
	assert_int_equal(c.times[0], LSCHED_MS(25));

	/* On a stopped timer the timeout is only stored. */
	assert_int_equal(lsched_task_set_timeout(t, LSCHED_MS(7)), 0);
	assert_false(lsched_task_is_active(t));
	assert_int_equal(lsched_task_timeout(t), LSCHED_MS(7));
	lsched_task_destroy(t);
}

/* A waiting timer whose priority changes becomes ready at the new one. */
static void test_task_set_priority_waiting_timer(void **state)
{
	struct vfix *f = *state;
	struct evlog log = {0};
	lsched_task *i = new_task(f->loop, "idle", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, log_cb, &log);
	lsched_task *t = new_task(f->loop, "timer", LSCHED_TASK_TIMER,
				  LSCHED_PRIO_LOWEST, log_cb, &log);

	assert_int_equal(lsched_task_set_timeout(t, LSCHED_MS(1)), 0);
	assert_int_equal(lsched_task_start(t), 0);
	assert_int_equal(lsched_task_set_priority(t, LSCHED_PRIO_HIGHEST), 0);
	assert_int_equal(lsched_task_start(i), 0);
	advance(f->clock, LSCHED_MS(1));
	run_cycles(f->loop, 3);
	assert_log(&log, "timer idle");

	lsched_task_destroy(i);
	lsched_task_destroy(t);
}

/* After every task the loop moves newly due timers: a more urgent timer that
 * fell due while a task ran goes before the rest of the pass. */
static void test_task_timer_due_mid_pass_runs_next(void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	c.advance = LSCHED_MS(5);
	lsched_task *t = new_task(f->loop, "T", LSCHED_TASK_TIMER,
				  LSCHED_PRIO_HIGHEST, time_cb, &c);
	lsched_task *a = new_task(f->loop, "A", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT_IDLE, busy_cb, &c);
	lsched_task *b = new_task(f->loop, "B", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT_IDLE, time_cb, &c);

	assert_int_equal(lsched_task_set_timeout(t, LSCHED_MS(5)), 0);
	assert_int_equal(lsched_task_start(t), 0);
	assert_int_equal(lsched_task_start(a), 0);
	assert_int_equal(lsched_task_start(b), 0);
	run_cycles(f->loop, 3);
	assert_log(&c.log, "A T B");

	lsched_task_destroy(t);
	lsched_task_destroy(a);
	lsched_task_destroy(b);
}

/* ---- the clock read after tasks (task.h, "When the loop reads the clock") */

/* A run of tiny tasks (each moves the clock by c->advance) and a HIGHEST
 * timer: the tasks count themselves; the timer records how many had run
 * and when it ran. */
struct tiny {
	lsched_clock *clock;
	int64_t advance;
	int ran;           /* tiny tasks run */
	int ran_at_timer;  /* ... when the timer ran, -1 before */
	int64_t timer_at;  /* lsched_loop_now() in the timer */
	lsched_loop *loop;
	int64_t seen[8];   /* lsched_loop_now() in the first tiny tasks */
	int64_t fires[16]; /* an auto-timer's dispatch times */
	int nfires;
	int start_at;      /* tiny task that starts timer (0: none) */
	lsched_task *timer;
	int64_t started;   /* the clock when it did */
};

static void tiny_cb(lsched_task *task, void *arg)
{
	struct tiny *s = arg;

	(void)task;
	if (s->ran < 8)
		s->seen[s->ran] = lsched_loop_now(s->loop) - LSCHED_S(1);
	s->ran++;
	if (s->start_at && s->ran == s->start_at) {
		s->started = lsched_clock_now(s->clock) - LSCHED_S(1);
		assert_int_equal(lsched_task_start(s->timer), 0);
	}
	advance(s->clock, s->advance);
}

static void run_timer_cb(lsched_task *task, void *arg)
{
	struct tiny *s = arg;

	(void)task;
	s->ran_at_timer = s->ran;
	s->timer_at = lsched_loop_now(s->loop) - LSCHED_S(1);
}

/* Runs n one-shot idles of 100 ns (or s->advance) behind a HIGHEST timer
 * due after timeout; frees them. */
static void run_tiny_with_timer(const struct vfix *f, struct tiny *s, int n,
				int64_t timeout)
{
	lsched_task **idles = calloc((size_t)n, sizeof(*idles));
	lsched_task *t = new_task(f->loop, "T", LSCHED_TASK_TIMER,
				  LSCHED_PRIO_HIGHEST, run_timer_cb, s);

	assert_non_null(idles);
	for (int i = 0; i < n; i++) {
		idles[i] = new_task(f->loop, "idle", LSCHED_TASK_IDLE,
				    LSCHED_PRIO_DEFAULT_IDLE, tiny_cb, s);
		assert_int_equal(lsched_task_start(idles[i]), 0);
	}
	assert_int_equal(lsched_task_set_timeout(t, timeout), 0);
	assert_int_equal(lsched_task_start(t), 0);
	run_cycles(f->loop, 3);
	for (int i = 0; i < n; i++)
		lsched_task_destroy(idles[i]);
	lsched_task_destroy(t);
	free(idles);
}

/* Tiny tasks read the clock every 64th task at most: a HIGHEST timer that
 * falls due in the middle of them still runs within 64 tasks of its
 * deadline, never before it. VCL (vcl/qa timer.cxx) and GLib check timers
 * between dispatches; this is the bound that replaces "after the task". */
static void test_task_due_timer_preempts_tiny_tasks_within_64(void **state)
{
	struct vfix *f = *state;
	struct tiny s = { .clock = f->clock, .loop = f->loop, .advance = 100,
			  .ran_at_timer = -1 };

	/* Due at 50 us: during the 500th task (each takes 100 ns). */
	run_tiny_with_timer(f, &s, 2000, LSCHED_US(50));
	assert_int_equal(s.ran, 2000);
	assert_true(s.ran_at_timer >= 500);
	assert_true(s.ran_at_timer <= 500 + 64);
	assert_true(s.timer_at >= LSCHED_US(50));
	assert_true(s.timer_at <= LSCHED_US(50) + 64 * 100);
}

/* Tasks longer than the span (10 us) read the clock after each: a due
 * timer runs right after the task during which it fell due, as VCL's. */
static void test_task_due_timer_preempts_long_tasks_next(void **state)
{
	struct vfix *f = *state;
	struct tiny s = { .clock = f->clock, .loop = f->loop,
			  .advance = LSCHED_US(20), .ran_at_timer = -1 };

	/* Due at 1 ms: during the 50th task. */
	run_tiny_with_timer(f, &s, 200, LSCHED_MS(1));
	assert_int_equal(s.ran, 200);
	assert_int_equal(s.ran_at_timer, 50);
	assert_int_equal(s.timer_at, LSCHED_MS(1));
}

/* The same after a run of tiny tasks: the first read that sees a span
 * above 10 us goes back to a read after every task, so the timer waits
 * 64 long tasks at most, once. */
static void test_task_clock_reads_every_task_again_after_long_ones(void **state)
{
	struct vfix *f = *state;
	struct tiny s = { .clock = f->clock, .loop = f->loop, .advance = 100,
			  .ran_at_timer = -1 };
	lsched_task *warm[1000];

	/* Tiny ones first: the loop reads every 64th task. */
	for (int i = 0; i < 1000; i++) {
		warm[i] = new_task(f->loop, "warm", LSCHED_TASK_IDLE,
				   LSCHED_PRIO_DEFAULT_IDLE, tiny_cb, &s);
		assert_int_equal(lsched_task_start(warm[i]), 0);
	}
	assert_int_equal(run_cycles(f->loop, 1), 1);
	assert_int_equal(s.ran, 1000);
	for (int i = 0; i < 1000; i++)
		lsched_task_destroy(warm[i]);
	/* Then 20 us ones, and a timer due 2 ms after they begin: during
	 * the 100th. The first 64 still run between two reads; the read
	 * after them sees 1.28 ms gone, so every task reads from then on
	 * and the timer runs right after the 100th. */
	s.ran = 0;
	s.advance = LSCHED_US(20);
	run_tiny_with_timer(f, &s, 400, LSCHED_MS(2));
	assert_int_equal(s.ran, 400);
	assert_int_equal(s.ran_at_timer, 100);
}

/* lsched_loop_now() in a callback is the time the previous task ended at
 * the earliest, read or not after that task. */
static void test_task_loop_now_in_callback_never_lags(void **state)
{
	struct vfix *f = *state;
	struct tiny s = { .clock = f->clock, .loop = f->loop, .advance = 100,
			  .ran_at_timer = -1 };

	run_tiny_with_timer(f, &s, 300, LSCHED_S(10));
	assert_int_equal(s.ran, 300);
	for (int i = 0; i < 8; i++)
		assert_int_equal(s.seen[i], i * 100);
}

/* A timer started by a task in a run of tiny ones is armed from the time
 * of its start, read then: the time cached at the last read would make it
 * due early (the 190th task's start, 6 us after the read at the 127th). */
static void test_task_timer_started_among_tiny_tasks_never_early(void **state)
{
	struct vfix *f = *state;
	struct tiny s = { .clock = f->clock, .loop = f->loop, .advance = 100,
			  .ran_at_timer = -1, .start_at = 190 };
	lsched_task *idles[400];

	s.timer = new_task(f->loop, "T", LSCHED_TASK_TIMER, LSCHED_PRIO_HIGHEST,
			   run_timer_cb, &s);
	assert_int_equal(lsched_task_set_timeout(s.timer, LSCHED_US(1)), 0);
	for (int i = 0; i < 400; i++) {
		idles[i] = new_task(f->loop, "idle", LSCHED_TASK_IDLE,
				    LSCHED_PRIO_DEFAULT_IDLE, tiny_cb, &s);
		assert_int_equal(lsched_task_start(idles[i]), 0);
	}
	run_cycles(f->loop, 3);
	assert_int_equal(s.ran, 400);
	assert_true(s.ran_at_timer > 190);
	assert_true(s.timer_at >= s.started + LSCHED_US(1));
	for (int i = 0; i < 400; i++)
		lsched_task_destroy(idles[i]);
	lsched_task_destroy(s.timer);
}

/* The run count is kept in two parts (16 bits in the task's first cache
 * line, the rest beside it): it counts on past 65535. */
static void test_task_runs_counts_past_16_bits(void **state)
{
	struct vfix *f = *state;
	lsched_task *t = new_task(f->loop, "auto", LSCHED_TASK_AUTO_IDLE,
				  LSCHED_PRIO_DEFAULT, nop_cb, NULL);

	assert_int_equal(lsched_task_start(t), 0);
	/* One run per cycle: an auto-idle comes round once per pass. */
	assert_int_equal(run_cycles(f->loop, 70000), 70000);
	assert_int_equal(lsched_task_runs(t), 70000);
	lsched_task_destroy(t);
}

/* Records an auto-timer's dispatch times (lsched_loop_now()). */
static void fires_cb(lsched_task *task, void *arg)
{
	struct tiny *s = arg;

	(void)task;
	if (s->nfires < 16)
		s->fires[s->nfires++] = lsched_loop_now(s->loop) - LSCHED_S(1);
	if (s->nfires == 16)
		lsched_task_stop(task);
}

/* An auto-timer among tiny tasks keeps its period from its real dispatch
 * time: a lagging cached time would make its next run early. Each of its
 * periods is at least its timeout. */
static void test_task_auto_timer_among_tiny_tasks_never_early(void **state)
{
	struct vfix *f = *state;
	struct tiny s = { .clock = f->clock, .loop = f->loop, .advance = 100,
			  .ran_at_timer = -1 };
	lsched_task *at = new_task(f->loop, "auto", LSCHED_TASK_AUTO_TIMER,
				   LSCHED_PRIO_HIGHEST, fires_cb, &s);
	lsched_task *idle = new_task(f->loop, "idle", LSCHED_TASK_AUTO_IDLE,
				     LSCHED_PRIO_DEFAULT_IDLE, tiny_cb, &s);
	lsched_task *more[3000];

	assert_int_equal(lsched_task_set_timeout(at, LSCHED_US(10)), 0);
	assert_int_equal(lsched_task_start(at), 0);
	for (int i = 0; i < 3000; i++) {
		more[i] = new_task(f->loop, "tiny", LSCHED_TASK_IDLE,
				   LSCHED_PRIO_DEFAULT_IDLE, tiny_cb, &s);
		assert_int_equal(lsched_task_start(more[i]), 0);
	}
	assert_int_equal(lsched_task_start(idle), 0);
	run_cycles(f->loop, 20);
	assert_int_equal(s.nfires, 16);
	for (int i = 1; i < 16; i++) {
		assert_true(s.fires[i] - s.fires[i - 1] >= LSCHED_US(10));
		/* Tiny tasks: late by 64 of them (6.4 us) at most. */
		assert_true(s.fires[i] - s.fires[i - 1] <=
			    LSCHED_US(10) + 64 * 100);
	}
	for (int i = 0; i < 3000; i++)
		lsched_task_destroy(more[i]);
	lsched_task_destroy(idle);
	lsched_task_destroy(at);
}

/* A due timer waiting behind a hog is ready since its deadline. */
static void test_task_ready_since_timer_deadline(void **state)
{
	struct vfix *f = *state;
	lsched_task *hog = new_task(f->loop, "hog", LSCHED_TASK_AUTO_IDLE,
				    LSCHED_PRIO_HIGHEST, nop_cb, NULL);
	lsched_task *t = new_task(f->loop, "t", LSCHED_TASK_TIMER,
				  LSCHED_PRIO_DEFAULT, nop_cb, NULL);

	assert_int_equal(lsched_task_set_timeout(t, LSCHED_MS(10)), 0);
	assert_int_equal(lsched_task_start(t), 0);
	assert_int_equal(lsched_task_start(hog), 0);
	advance(f->clock, LSCHED_MS(15));
	run_cycles(f->loop, 2);
	assert_int_equal(lsched_task_runs(hog), 2);
	assert_int_equal(lsched_task_runs(t), 0);
	assert_int_equal(lsched_loop_ready_count(f->loop, LSCHED_PRIO_DEFAULT),
			 1);
	assert_int_equal(lsched_task_ready_since(t),
			 LSCHED_S(1) + LSCHED_MS(10));

	lsched_task_destroy(hog);
	lsched_task_destroy(t);
}

static void loop_timer_log_cb(lsched_timer *timer, void *arg)
{
	(void)timer;
	evlog_add(arg, "ltimer");
}

/* A loop timer falling due while a task runs ends the pass. */
static void test_task_loop_timer_due_ends_pass(void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	c.advance = LSCHED_MS(5);
	lsched_timer *lt = lsched_timer_new(f->loop, loop_timer_log_cb, &c.log);
	assert_non_null(lt);
	lsched_task *a = new_task(f->loop, "A", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, busy_cb, &c);
	lsched_task *b = new_task(f->loop, "B", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, time_cb, &c);

	assert_int_equal(lsched_timer_start(lt, LSCHED_MS(5), 0,
					    LSCHED_CATCHUP_SKIP),
			 0);
	assert_int_equal(lsched_task_start(a), 0);
	assert_int_equal(lsched_task_start(b), 0);
	run_cycles(f->loop, 3);
	assert_log(&c.log, "A ltimer B");

	lsched_task_destroy(a);
	lsched_task_destroy(b);
	lsched_timer_destroy(lt);
}

static void stop_loop_cb(lsched_task *task, void *arg)
{
	struct ctx *c = arg;
	evlog_add(&c->log, lsched_task_name(task));
	c->seen_rc = lsched_loop_stop(c->loop);
}

/* A stop requested by a task ends the pass at once. */
static void test_task_stop_in_callback_ends_pass(void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	c.seen_rc = -1;
	lsched_task *a = new_task(f->loop, "A", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, stop_loop_cb, &c);
	lsched_task *b = new_task(f->loop, "B", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, time_cb, &c);

	assert_int_equal(lsched_task_start(a), 0);
	assert_int_equal(lsched_task_start(b), 0);
	assert_int_equal(lsched_loop_run(f->loop, LSCHED_RUN_DEFAULT), 0);
	assert_int_equal(c.seen_rc, 0);
	assert_log(&c.log, "A");
	assert_true(lsched_task_is_active(b));
	run_cycles(f->loop, 2);
	assert_log(&c.log, "A B");

	lsched_task_destroy(a);
	lsched_task_destroy(b);
}

/* ---- start/stop/restart/destroy inside callbacks ------------------------- */

static void restart_self_cb(lsched_task *task, void *arg)
{
	struct ctx *c = arg;
	c->count++;
	c->seen_active = lsched_task_is_active(task);
	evlog_add(&c->log, lsched_task_name(task));
	if (c->count < c->limit)
		c->seen_rc = lsched_task_start(task);
}

static void test_task_restart_self_runs_next_cycle(void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	c.limit = 3;
	c.seen_active = true;
	lsched_task *t = new_task(f->loop, "r", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, restart_self_cb, &c);

	assert_int_equal(lsched_task_start(t), 0);
	run_cycles(f->loop, 1);
	assert_int_equal(c.count, 1);
	/* A one-shot task is inactive while its callback runs. */
	assert_false(c.seen_active);
	assert_int_equal(c.seen_rc, 0);
	assert_true(lsched_task_is_active(t));
	run_cycles(f->loop, 1);
	assert_int_equal(c.count, 2);
	run_cycles(f->loop, 5);
	assert_int_equal(c.count, 3);
	assert_false(lsched_task_is_active(t));
	assert_log(&c.log, "r r r");
	lsched_task_destroy(t);
}

static void stop_self_cb(lsched_task *task, void *arg)
{
	struct ctx *c = arg;
	c->count++;
	c->seen_active = lsched_task_is_active(task);
	c->seen_rc = lsched_task_stop(task);
}

static void test_task_auto_idle_stop_self(void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	lsched_task *t = new_task(f->loop, "s", LSCHED_TASK_AUTO_IDLE,
				  LSCHED_PRIO_DEFAULT, stop_self_cb, &c);

	assert_int_equal(lsched_task_start(t), 0);
	run_cycles(f->loop, 5);
	assert_int_equal(c.count, 1);
	assert_int_equal(lsched_task_runs(t), 1);
	/* A repeating task stays active while its callback runs. */
	assert_true(c.seen_active);
	assert_int_equal(c.seen_rc, 0);
	assert_false(lsched_task_is_active(t));
	assert_int_equal(lsched_loop_ready_count(f->loop, LSCHED_PRIO_DEFAULT),
			 0);
	lsched_task_destroy(t);
}

static void destroy_self_cb(lsched_task *task, void *arg)
{
	struct ctx *c = arg;
	c->count++;
	evlog_add(&c->log, lsched_task_name(task));
	lsched_task_destroy(task);
}

static void test_task_destroy_self_in_callback(void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	lsched_task *self = new_task(f->loop, "self", LSCHED_TASK_AUTO_IDLE,
				     LSCHED_PRIO_DEFAULT, destroy_self_cb, &c);
	lsched_task *after = new_task(f->loop, "after", LSCHED_TASK_IDLE,
				      LSCHED_PRIO_DEFAULT, time_cb, &c);
	lsched_task *tself = new_task(f->loop, "tself",
				      LSCHED_TASK_AUTO_TIMER,
				      LSCHED_PRIO_HIGHEST, destroy_self_cb, &c);

	assert_int_equal(lsched_task_set_timeout(tself, LSCHED_MS(1)), 0);
	assert_int_equal(lsched_task_start(self), 0);
	assert_int_equal(lsched_task_start(after), 0);
	assert_int_equal(lsched_task_start(tself), 0);
	run_cycles(f->loop, 5);
	assert_log(&c.log, "self after");
	assert_int_equal(lsched_loop_ready_count(f->loop, LSCHED_PRIO_DEFAULT),
			 0);

	advance(f->clock, LSCHED_MS(1));
	run_cycles(f->loop, 5);
	advance(f->clock, LSCHED_MS(5));
	run_cycles(f->loop, 5);
	assert_log(&c.log, "self after tself");
	assert_int_equal(c.count, 2);
	lsched_task_destroy(after);
}

/* Destroys its task, then tries every call that changes it. */
static void destroy_then_change_cb(lsched_task *task, void *arg)
{
	struct ctx *c = arg;
	int rc[7];

	lsched_task_destroy(task);
	rc[0] = lsched_task_set_priority(task, LSCHED_PRIO_LOWEST);
	rc[1] = lsched_task_set_timeout(task, LSCHED_MS(1));
	rc[2] = lsched_task_set_max_wait(task, LSCHED_MS(1));
	rc[3] = lsched_task_set_callback(task, nop_cb, NULL);
	rc[4] = lsched_task_start(task);
	rc[5] = lsched_task_stop(task);
	rc[6] = lsched_task_add_child(task, c->other);
	c->count = 0;
	for (int i = 0; i < 7; i++)
		c->count += rc[i] == -EINVAL;
	/* The getters still answer until the callback returns. */
	c->seen_prio = lsched_task_priority(task);
	c->seen_active = lsched_task_is_active(task);
}

/* issue 17 §10: set_priority and set_timeout said 0 on a task destroyed in
 * its own callback, where start said -EINVAL: every changing call refuses
 * it now. */
static void test_task_destroyed_in_callback_refuses_every_change(
	void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	lsched_task *t = new_task(f->loop, "doomed", LSCHED_TASK_TIMER,
				  LSCHED_PRIO_DEFAULT, destroy_then_change_cb,
				  &c);
	c.other = new_task(f->loop, "child", LSCHED_TASK_IDLE,
			   LSCHED_PRIO_DEFAULT, nop_cb, NULL);

	assert_int_equal(lsched_task_start(t), 0);
	run_cycles(f->loop, 2);
	assert_int_equal(c.count, 7);
	assert_int_equal(c.seen_prio, LSCHED_PRIO_DEFAULT);
	assert_false(c.seen_active);
	assert_null(lsched_task_parent(c.other));
	assert_int_equal(lsched_loop_ready_count(f->loop, LSCHED_PRIO_LOWEST),
			 0);
	lsched_task_destroy(c.other);
}

static void swap_cb(lsched_task *task, void *arg);

/* Logs "old", and replaces its own callback by swap_cb. */
static void old_cb(lsched_task *task, void *arg)
{
	struct ctx *c = arg;

	evlog_add(&c->log, "old");
	c->seen_rc = lsched_task_set_callback(task, swap_cb, c);
}

static void swap_cb(lsched_task *task, void *arg)
{
	struct ctx *c = arg;

	(void)task;
	evlog_add(&c->log, "new");
}

/* rtmfp-cpp arms a timer and assigns its action later: a callback set
 * while the task is queued, or inside its own run, takes effect from its
 * next run. */
static void test_task_set_callback_takes_effect_next_run(void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	lsched_task *t = new_task(f->loop, "cb", LSCHED_TASK_AUTO_TIMER,
				  LSCHED_PRIO_DEFAULT, nop_cb, NULL);

	assert_int_equal(lsched_task_set_timeout(t, LSCHED_MS(1)), 0);
	assert_int_equal(lsched_task_start(t), 0);
	/* Armed, then given its action. */
	assert_int_equal(lsched_task_set_callback(t, old_cb, &c), 0);
	assert_int_equal(lsched_task_set_callback(NULL, old_cb, &c), -EINVAL);
	assert_int_equal(lsched_task_set_callback(t, NULL, &c), -EINVAL);
	for (int i = 0; i < 3; i++) {
		advance(f->clock, LSCHED_MS(1));
		run_cycles(f->loop, 1);
	}
	assert_log(&c.log, "old new new");
	assert_int_equal(c.seen_rc, 0);
	assert_true(lsched_task_is_active(t));
	lsched_task_destroy(t);
}

static void kill_other_cb(lsched_task *task, void *arg)
{
	struct ctx *c = arg;
	evlog_add(&c->log, lsched_task_name(task));
	lsched_task_destroy(c->other);
	c->other = NULL;
	lsched_task_destroy(c->other2);
	c->other2 = NULL;
}

static void test_task_destroy_other_in_callback(void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	lsched_task *a = new_task(f->loop, "a", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, kill_other_cb, &c);
	lsched_task *b = new_task(f->loop, "b", LSCHED_TASK_AUTO_IDLE,
				  LSCHED_PRIO_DEFAULT, time_cb, &c);
	lsched_task *d = new_task(f->loop, "d", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_LOWEST, time_cb, &c);
	lsched_task *e = new_task(f->loop, "e", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, time_cb, &c);

	c.other = b;
	c.other2 = d;
	assert_int_equal(lsched_task_start(a), 0);
	assert_int_equal(lsched_task_start(b), 0);
	assert_int_equal(lsched_task_start(d), 0);
	assert_int_equal(lsched_task_start(e), 0);
	run_cycles(f->loop, 5);
	assert_log(&c.log, "a e");
	for (int p = 0; p < LSCHED_PRIO_COUNT; p++)
		assert_int_equal(lsched_loop_ready_count(f->loop, p), 0);
	lsched_task_destroy(a);
	lsched_task_destroy(e);
}

static void stop_other_cb(lsched_task *task, void *arg)
{
	struct ctx *c = arg;
	evlog_add(&c->log, lsched_task_name(task));
	c->seen_rc = lsched_task_stop(c->other);
}

static void test_task_stop_other_in_callback(void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	lsched_task *a = new_task(f->loop, "a", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, stop_other_cb, &c);
	lsched_task *b = new_task(f->loop, "b", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, time_cb, &c);
	lsched_task *e = new_task(f->loop, "e", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, time_cb, &c);

	c.other = b;
	assert_int_equal(lsched_task_start(a), 0);
	assert_int_equal(lsched_task_start(b), 0);
	assert_int_equal(lsched_task_start(e), 0);
	run_cycles(f->loop, 5);
	assert_int_equal(c.seen_rc, 0);
	assert_log(&c.log, "a e");
	assert_false(lsched_task_is_active(b));
	assert_int_equal(lsched_task_runs(b), 0);

	/* Still usable afterwards. */
	assert_int_equal(lsched_task_start(b), 0);
	run_cycles(f->loop, 2);
	assert_log(&c.log, "a e b");
	lsched_task_destroy(a);
	lsched_task_destroy(b);
	lsched_task_destroy(e);
}

static void start_new_higher_cb(lsched_task *task, void *arg)
{
	struct ctx *c = arg;
	evlog_add(&c->log, lsched_task_name(task));
	c->other = lsched_task_new(c->loop, "h", LSCHED_TASK_IDLE,
				   LSCHED_PRIO_HIGHEST, log_cb, &c->log);
	if (c->other)
		c->seen_rc = lsched_task_start(c->other);
}

static void test_task_start_higher_in_callback(void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	c.seen_rc = -1;
	lsched_task *a = new_task(f->loop, "a", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT_IDLE, start_new_higher_cb,
				  &c);
	lsched_task *b = new_task(f->loop, "b", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT_IDLE, log_cb, &c.log);

	assert_int_equal(lsched_task_start(a), 0);
	assert_int_equal(lsched_task_start(b), 0);
	run_cycles(f->loop, 3);
	assert_non_null(c.other);
	assert_int_equal(c.seen_rc, 0);
	assert_log(&c.log, "a h b");
	lsched_task_destroy(c.other);
	lsched_task_destroy(a);
	lsched_task_destroy(b);
}

/* ---- changing priority -------------------------------------------------- */

static void test_task_set_priority_ready_moves_to_tail(void **state)
{
	struct vfix *f = *state;
	struct evlog log = {0};
	lsched_task *x = new_task(f->loop, "x", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, log_cb, &log);
	lsched_task *z = new_task(f->loop, "z", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_LOWEST, log_cb, &log);
	lsched_task *y = new_task(f->loop, "y", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT_IDLE, log_cb, &log);
	lsched_task *w = new_task(f->loop, "w", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, log_cb, &log);

	assert_int_equal(lsched_task_start(z), 0);
	assert_int_equal(lsched_task_start(x), 0);
	assert_int_equal(lsched_task_start(y), 0);
	assert_int_equal(lsched_task_start(w), 0);
	assert_int_equal(lsched_task_set_priority(z, LSCHED_PRIO_DEFAULT), 0);
	assert_int_equal(lsched_task_priority(z), LSCHED_PRIO_DEFAULT);
	assert_true(lsched_task_is_active(z));
	assert_int_equal(lsched_loop_ready_count(f->loop, LSCHED_PRIO_DEFAULT),
			 3);
	assert_int_equal(lsched_loop_ready_count(f->loop, LSCHED_PRIO_LOWEST),
			 0);
	run_cycles(f->loop, 3);
	assert_log(&log, "x w z y");

	lsched_task_destroy(x);
	lsched_task_destroy(y);
	lsched_task_destroy(z);
	lsched_task_destroy(w);
}

static void demote_self_cb(lsched_task *task, void *arg)
{
	struct ctx *c = arg;
	evlog_add(&c->log, lsched_task_name(task));
	if (++c->count == 1) {
		c->seen_rc = lsched_task_set_priority(task, LSCHED_PRIO_LOWEST);
		c->seen_prio = lsched_task_priority(task);
		c->seen_running = lsched_task_is_running(task);
	} else {
		lsched_task_stop(task);
	}
}

static void test_task_set_priority_in_callback(void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	lsched_task *a = new_task(f->loop, "A", LSCHED_TASK_AUTO_IDLE,
				  LSCHED_PRIO_DEFAULT, demote_self_cb, &c);
	lsched_task *b = new_task(f->loop, "B", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT_IDLE, log_cb, &c.log);

	assert_int_equal(lsched_task_start(a), 0);
	assert_int_equal(lsched_task_start(b), 0);
	run_cycles(f->loop, 1);
	assert_int_equal(c.seen_rc, 0);
	assert_int_equal(c.seen_prio, LSCHED_PRIO_LOWEST);
	assert_true(c.seen_running);
	assert_log(&c.log, "A B");
	assert_int_equal(lsched_loop_ready_count(f->loop, LSCHED_PRIO_LOWEST),
			 1);
	assert_int_equal(lsched_loop_ready_count(f->loop, LSCHED_PRIO_DEFAULT),
			 0);
	run_cycles(f->loop, 3);
	assert_log(&c.log, "A B A");
	assert_false(lsched_task_is_active(a));

	lsched_task_destroy(a);
	lsched_task_destroy(b);
}

/* ---- idle deferral under input ------------------------------------------ */

static void drain_fd_cb(lsched_loop *loop, int fd, unsigned revents, void *arg)
{
	struct ctx *c = arg;
	char buf[64];
	(void)loop;
	(void)revents;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	evlog_add(&c->log, "fd");
}

static void open_watched_pipe(struct ctx *c)
{
	assert_int_equal(pipe2(c->fds, O_NONBLOCK | O_CLOEXEC), 0);
	assert_int_equal(lsched_loop_watch_fd(c->loop, c->fds[0],
					      LSCHED_FD_READ, drain_fd_cb, c),
			 0);
}

static void close_watched_pipe(struct ctx *c)
{
	assert_int_equal(lsched_loop_unwatch_fd(c->loop, c->fds[0]), 0);
	close(c->fds[0]);
	close(c->fds[1]);
}

/* Writes a byte to the pipe, then simulates its run time. */
static void write_pipe_cb(lsched_task *task, void *arg)
{
	struct ctx *c = arg;
	ssize_t n = write(c->fds[1], "x", 1);
	c->seen_rc = (int)n;
	advance(c->clock, c->advance);
	evlog_add(&c->log, lsched_task_name(task));
}

static void run_input_scenario(struct vfix *f, int64_t interval,
			       const char *expected)
{
	struct ctx c;
	ctx_init(&c, f);
	c.advance = LSCHED_US(200);
	open_watched_pipe(&c);
	if (interval >= 0) {
		assert_int_equal(lsched_loop_set_input_interval(f->loop,
								interval),
				 0);
		assert_int_equal(lsched_loop_input_interval(f->loop), interval);
	}
	lsched_task *def = new_task(f->loop, "default", LSCHED_TASK_IDLE,
				    LSCHED_PRIO_DEFAULT, write_pipe_cb, &c);
	lsched_task *idle = new_task(f->loop, "idle", LSCHED_TASK_IDLE,
				     LSCHED_PRIO_DEFAULT_IDLE, log_cb, &c.log);

	assert_int_equal(lsched_task_start(def), 0);
	assert_int_equal(lsched_task_start(idle), 0);
	run_cycles(f->loop, 4);
	assert_int_equal(c.seen_rc, 1);
	assert_log(&c.log, expected);

	lsched_task_destroy(def);
	lsched_task_destroy(idle);
	close_watched_pipe(&c);
}

static void test_task_idle_waits_for_input(void **state)
{
	struct vfix *f = *state;
	assert_int_equal(lsched_loop_input_interval(f->loop), LSCHED_US(100));
	run_input_scenario(f, -1, "default fd idle");
}

static void test_task_input_interval_bounds_poll(void **state)
{
	/* The task ran 200 us < 10 ms: no poll mid-pass, so the idle runs. */
	run_input_scenario(*state, LSCHED_MS(10), "default idle fd");
}

/* ---- maximum wait ------------------------------------------------------- */

/* The hog: every run takes 10 ms of virtual time. */
static void hog_cb(lsched_task *task, void *arg)
{
	struct ctx *c = arg;
	(void)task;
	c->count++;
	advance(c->clock, LSCHED_MS(10));
}

/* The starved task: records when it ran and how often the hog had run. */
static void starved_cb(lsched_task *task, void *arg)
{
	struct ctx *c = arg;
	(void)task;
	c->times[c->ntimes++] = rel_now(c);
	c->limit = c->count;
}

static void run_starvation(struct vfix *f, struct ctx *c, int64_t max_wait)
{
	lsched_task *low = new_task(f->loop, "low", LSCHED_TASK_IDLE,
				    LSCHED_PRIO_LOWEST, starved_cb, c);
	lsched_task *hog = new_task(f->loop, "hog", LSCHED_TASK_AUTO_IDLE,
				    LSCHED_PRIO_DEFAULT, hog_cb, c);

	assert_int_equal(lsched_task_set_max_wait(low, max_wait), 0);
	assert_int_equal(lsched_task_max_wait(low), max_wait);
	assert_int_equal(lsched_task_start(low), 0);
	assert_int_equal(lsched_task_start(hog), 0);
	for (int i = 0; i < 200 && c->ntimes == 0; i++)
		run_cycles(f->loop, 1);
	lsched_task_destroy(hog);
	lsched_task_destroy(low);
}

static void test_task_max_wait_runs_starved(void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	run_starvation(f, &c, LSCHED_MS(750));
	assert_int_equal(c.ntimes, 1);
	/* Ready at 1 s; runs once it has waited 750 ms, not before. */
	assert_true(c.times[0] >= LSCHED_MS(750));
	assert_true(c.times[0] <= LSCHED_MS(770));
	assert_in_range(c.limit, 75, 77);
}

static void test_task_max_wait_off_starves(void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	run_starvation(f, &c, 0);
	assert_int_equal(c.ntimes, 0);
	assert_int_equal(c.count, 200);
	assert_true(rel_now(&c) >= LSCHED_S(2));
}

/* Overdue tasks run longest overdue first, whatever their priorities. */
static void test_task_max_wait_longest_overdue_first(void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	c.advance = LSCHED_MS(200);
	lsched_task *x = new_task(f->loop, "x", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT_IDLE, time_cb, &c);
	lsched_task *y = new_task(f->loop, "y", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_LOWEST, time_cb, &c);
	lsched_task *hog = new_task(f->loop, "hog", LSCHED_TASK_AUTO_IDLE,
				    LSCHED_PRIO_DEFAULT, busy_cb, &c);

	assert_int_equal(lsched_task_set_max_wait(x, LSCHED_MS(100)), 0);
	assert_int_equal(lsched_task_set_max_wait(y, LSCHED_MS(50)), 0);
	assert_int_equal(lsched_task_start(x), 0);
	assert_int_equal(lsched_task_start(y), 0);
	assert_int_equal(lsched_task_start(hog), 0);
	/* After the hog's 200 ms run, y is 150 ms overdue and x 100 ms. */
	run_cycles(f->loop, 1);
	run_cycles(f->loop, 1);
	assert_log(&c.log, "hog y x hog");

	lsched_task_destroy(x);
	lsched_task_destroy(y);
	lsched_task_destroy(hog);
}

/* A maximum wait set on a task already ready counts from when it became
 * ready; destroying a ready task with a maximum wait leaves nothing behind. */
static void test_task_max_wait_set_while_ready(void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	c.advance = LSCHED_MS(10);
	lsched_task *low = new_task(f->loop, "low", LSCHED_TASK_IDLE,
				    LSCHED_PRIO_LOWEST, time_cb, &c);
	lsched_task *gone = new_task(f->loop, "gone", LSCHED_TASK_IDLE,
				     LSCHED_PRIO_LOWEST, time_cb, &c);
	lsched_task *hog = new_task(f->loop, "hog", LSCHED_TASK_AUTO_IDLE,
				    LSCHED_PRIO_DEFAULT, hog_cb, &c);

	assert_int_equal(lsched_task_start(low), 0);
	assert_int_equal(lsched_task_start(gone), 0);
	assert_int_equal(lsched_task_start(hog), 0);
	run_cycles(f->loop, 3); /* 30 ms of hog */
	assert_int_equal(lsched_task_set_max_wait(low, LSCHED_MS(45)), 0);
	assert_int_equal(lsched_task_set_max_wait(gone, LSCHED_MS(45)), 0);
	lsched_task_destroy(gone);
	for (int i = 0; i < 20 && c.ntimes == 0; i++)
		run_cycles(f->loop, 1);
	assert_log(&c.log, "low");
	assert_int_equal(c.times[0], LSCHED_MS(50));

	lsched_task_destroy(hog);
	lsched_task_destroy(low);
}

static void test_task_max_wait_invalid(void **state)
{
	struct vfix *f = *state;
	lsched_task *t = new_task(f->loop, "t", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_LOWEST, nop_cb, NULL);
	assert_int_equal(lsched_task_max_wait(t), 0);
	assert_int_equal(lsched_task_set_max_wait(t, LSCHED_MS(5)), 0);
	assert_int_equal(lsched_task_set_max_wait(t, -1), -EINVAL);
	assert_int_equal(lsched_task_max_wait(t), LSCHED_MS(5));
	assert_int_equal(lsched_task_set_max_wait(t, 0), 0);
	assert_int_equal(lsched_task_max_wait(t), 0);
	assert_int_equal(lsched_task_set_max_wait(NULL, 1), -EINVAL);
	assert_int_equal(lsched_task_max_wait(NULL), -EINVAL);
	lsched_task_destroy(t);
}

/* ---- children ----------------------------------------------------------- */

static void test_task_child_starts_after_parent_run(void **state)
{
	struct vfix *f = *state;
	struct evlog log = {0};
	lsched_task *p = new_task(f->loop, "P", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, log_cb, &log);
	lsched_task *c = new_task(f->loop, "C", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, log_cb, &log);

	assert_int_equal(lsched_task_add_child(p, c), 0);
	assert_ptr_equal(lsched_task_parent(c), p);
	assert_null(lsched_task_parent(p));
	assert_int_equal(lsched_task_start(p), 0);
	assert_false(lsched_task_is_active(c));
	run_cycles(f->loop, 3);
	assert_log(&log, "P C");
	assert_false(lsched_task_is_active(c));
	/* The link stays. */
	assert_ptr_equal(lsched_task_parent(c), p);

	lsched_task_destroy(p);
	lsched_task_destroy(c);
}

static void test_task_child_starts_when_parent_stopped(void **state)
{
	struct vfix *f = *state;
	struct evlog log = {0};
	lsched_task *p = new_task(f->loop, "P", LSCHED_TASK_AUTO_IDLE,
				  LSCHED_PRIO_DEFAULT, log_cb, &log);
	lsched_task *c = new_task(f->loop, "C", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, log_cb, &log);

	assert_int_equal(lsched_task_add_child(p, c), 0);
	/* Stopping an inactive parent starts nothing. */
	assert_int_equal(lsched_task_stop(p), 0);
	assert_false(lsched_task_is_active(c));

	assert_int_equal(lsched_task_start(p), 0);
	run_cycles(f->loop, 2);
	assert_log(&log, "P P");
	assert_false(lsched_task_is_active(c));
	assert_int_equal(lsched_task_stop(p), 0);
	assert_true(lsched_task_is_active(c));
	run_cycles(f->loop, 2);
	assert_log(&log, "P P C");

	lsched_task_destroy(p);
	lsched_task_destroy(c);
}

static void test_task_parent_start_stops_child(void **state)
{
	struct vfix *f = *state;
	struct evlog log = {0};
	lsched_task *p = new_task(f->loop, "P", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT_IDLE, log_cb, &log);
	lsched_task *c = new_task(f->loop, "C", LSCHED_TASK_AUTO_IDLE,
				  LSCHED_PRIO_DEFAULT, log_cb, &log);

	assert_int_equal(lsched_task_add_child(p, c), 0);
	assert_int_equal(lsched_task_start(c), 0);
	assert_true(lsched_task_is_active(c));
	assert_int_equal(lsched_task_start(p), 0);
	assert_false(lsched_task_is_active(c));
	assert_int_equal(lsched_loop_ready_count(f->loop, LSCHED_PRIO_DEFAULT),
			 0);
	run_cycles(f->loop, 1);
	/* C was stopped; it starts again once P's run completes. */
	assert_log(&log, "P C");
	assert_true(lsched_task_is_active(c));

	lsched_task_destroy(p);
	lsched_task_destroy(c);
}

static void parent_restart_cb(lsched_task *task, void *arg)
{
	struct ctx *c = arg;
	evlog_add(&c->log, lsched_task_name(task));
	if (++c->count == 1)
		c->seen_rc = lsched_task_start(task);
}

static void test_task_parent_restart_self_keeps_child(void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	lsched_task *p = new_task(f->loop, "P", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, parent_restart_cb, &c);
	lsched_task *ch = new_task(f->loop, "C", LSCHED_TASK_IDLE,
				   LSCHED_PRIO_DEFAULT, log_cb, &c.log);

	assert_int_equal(lsched_task_add_child(p, ch), 0);
	assert_int_equal(lsched_task_start(p), 0);
	run_cycles(f->loop, 1);
	assert_log(&c.log, "P");
	assert_true(lsched_task_is_active(p));
	assert_false(lsched_task_is_active(ch));
	run_cycles(f->loop, 3);
	assert_log(&c.log, "P P C");

	lsched_task_destroy(p);
	lsched_task_destroy(ch);
}

/* A repeating parent destroying itself in its callback: children are
 * detached, not started. */
static void test_task_parent_destroy_self_keeps_child_stopped(void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	lsched_task *p = new_task(f->loop, "P", LSCHED_TASK_AUTO_IDLE,
				  LSCHED_PRIO_DEFAULT, destroy_self_cb, &c);
	lsched_task *ch = new_task(f->loop, "C", LSCHED_TASK_IDLE,
				   LSCHED_PRIO_DEFAULT, log_cb, &c.log);

	assert_int_equal(lsched_task_add_child(p, ch), 0);
	assert_int_equal(lsched_task_start(p), 0);
	run_cycles(f->loop, 3);
	assert_log(&c.log, "P");
	assert_false(lsched_task_is_active(ch));
	assert_null(lsched_task_parent(ch));
	lsched_task_destroy(ch);
}

/* Stopping a repeating parent inside its callback starts the child once. */
static void test_task_parent_stop_self_starts_child(void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	lsched_task *p = new_task(f->loop, "P", LSCHED_TASK_AUTO_TIMER,
				  LSCHED_PRIO_DEFAULT, stop_self_cb, &c);
	lsched_task *ch = new_task(f->loop, "C", LSCHED_TASK_IDLE,
				   LSCHED_PRIO_DEFAULT, log_cb, &c.log);

	assert_int_equal(lsched_task_add_child(p, ch), 0);
	assert_int_equal(lsched_task_set_timeout(p, LSCHED_MS(1)), 0);
	assert_int_equal(lsched_task_start(p), 0);
	advance(f->clock, LSCHED_MS(1));
	run_cycles(f->loop, 3);
	assert_int_equal(c.count, 1);
	assert_log(&c.log, "C");
	assert_int_equal(lsched_task_runs(ch), 1);
	advance(f->clock, LSCHED_MS(10));
	run_cycles(f->loop, 3);
	assert_int_equal(c.count, 1);
	assert_int_equal(lsched_task_runs(ch), 1);

	lsched_task_destroy(p);
	lsched_task_destroy(ch);
}

static void test_task_children_start_in_order(void **state)
{
	struct vfix *f = *state;
	struct evlog log = {0};
	lsched_task *p = new_task(f->loop, "P", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, log_cb, &log);
	lsched_task *c1 = new_task(f->loop, "c1", LSCHED_TASK_IDLE,
				   LSCHED_PRIO_DEFAULT, log_cb, &log);
	lsched_task *c2 = new_task(f->loop, "c2", LSCHED_TASK_IDLE,
				   LSCHED_PRIO_DEFAULT, log_cb, &log);
	lsched_task *c3 = new_task(f->loop, "c3", LSCHED_TASK_IDLE,
				   LSCHED_PRIO_DEFAULT, log_cb, &log);

	assert_int_equal(lsched_task_add_child(p, c2), 0);
	assert_int_equal(lsched_task_add_child(p, c1), 0);
	assert_int_equal(lsched_task_add_child(p, c3), 0);
	assert_int_equal(lsched_task_start(p), 0);
	run_cycles(f->loop, 3);
	assert_log(&log, "P c2 c1 c3");

	lsched_task_destroy(p);
	lsched_task_destroy(c1);
	lsched_task_destroy(c2);
	lsched_task_destroy(c3);
}

static void test_task_child_errors(void **state)
{
	struct vfix *f = *state;
	lsched_loop *loop2 = lsched_loop_new(f->clock);
	assert_non_null(loop2);
	lsched_task *p = new_task(f->loop, "p", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, nop_cb, NULL);
	lsched_task *c = new_task(f->loop, "c", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, nop_cb, NULL);
	lsched_task *g = new_task(f->loop, "g", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, nop_cb, NULL);
	lsched_task *o = new_task(f->loop, "o", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, nop_cb, NULL);
	lsched_task *q = new_task(loop2, "q", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, nop_cb, NULL);

	assert_int_equal(lsched_task_add_child(p, p), -EINVAL);
	assert_int_equal(lsched_task_add_child(NULL, c), -EINVAL);
	assert_int_equal(lsched_task_add_child(p, NULL), -EINVAL);
	assert_int_equal(lsched_task_add_child(p, q), -EINVAL);
	assert_int_equal(lsched_task_add_child(q, p), -EINVAL);
	assert_null(lsched_task_parent(q));
	assert_null(lsched_task_parent(p));

	assert_int_equal(lsched_task_add_child(p, c), 0);
	assert_int_equal(lsched_task_add_child(o, c), -EBUSY);
	assert_int_equal(lsched_task_add_child(p, c), -EBUSY);
	assert_ptr_equal(lsched_task_parent(c), p);

	assert_int_equal(lsched_task_add_child(c, g), 0); /* p -> c -> g */
	assert_int_equal(lsched_task_add_child(c, p), -ELOOP);
	assert_int_equal(lsched_task_add_child(g, p), -ELOOP);
	assert_null(lsched_task_parent(p));

	assert_int_equal(lsched_task_remove_child(o), -ENOENT);
	assert_int_equal(lsched_task_remove_child(p), -ENOENT);
	assert_int_equal(lsched_task_remove_child(NULL), -EINVAL);
	assert_int_equal(lsched_task_remove_child(g), 0);
	assert_null(lsched_task_parent(g));
	assert_int_equal(lsched_task_remove_child(g), -ENOENT);
	/* Free again: it may get a new parent now. */
	assert_int_equal(lsched_task_add_child(o, g), 0);
	assert_ptr_equal(lsched_task_parent(g), o);

	lsched_task_destroy(p);
	lsched_task_destroy(c);
	lsched_task_destroy(g);
	lsched_task_destroy(o);
	lsched_task_destroy(q);
	assert_int_equal(lsched_loop_destroy(loop2), 0);
}

static void test_task_remove_child_unlinks(void **state)
{
	struct vfix *f = *state;
	struct evlog log = {0};
	lsched_task *p = new_task(f->loop, "P", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, log_cb, &log);
	lsched_task *c = new_task(f->loop, "C", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, log_cb, &log);

	assert_int_equal(lsched_task_add_child(p, c), 0);
	assert_int_equal(lsched_task_remove_child(c), 0);
	assert_int_equal(lsched_task_start(p), 0);
	run_cycles(f->loop, 3);
	assert_log(&log, "P");
	assert_false(lsched_task_is_active(c));

	lsched_task_destroy(p);
	lsched_task_destroy(c);
}

static void test_task_destroy_parent_detaches_children(void **state)
{
	struct vfix *f = *state;
	struct evlog log = {0};
	lsched_task *p = new_task(f->loop, "P", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, log_cb, &log);
	lsched_task *c1 = new_task(f->loop, "c1", LSCHED_TASK_IDLE,
				   LSCHED_PRIO_DEFAULT, log_cb, &log);
	lsched_task *c2 = new_task(f->loop, "c2", LSCHED_TASK_IDLE,
				   LSCHED_PRIO_DEFAULT, log_cb, &log);

	assert_int_equal(lsched_task_add_child(p, c1), 0);
	assert_int_equal(lsched_task_add_child(p, c2), 0);
	assert_int_equal(lsched_task_start(p), 0);
	lsched_task_destroy(p); /* while active */
	assert_null(lsched_task_parent(c1));
	assert_null(lsched_task_parent(c2));
	assert_false(lsched_task_is_active(c1));
	assert_false(lsched_task_is_active(c2));
	run_cycles(f->loop, 3);
	assert_log(&log, "");
	assert_int_equal(lsched_task_remove_child(c1), -ENOENT);

	lsched_task_destroy(c1);
	lsched_task_destroy(c2);
}

static void test_task_destroy_child_leaves_parent(void **state)
{
	struct vfix *f = *state;
	struct evlog log = {0};
	lsched_task *p = new_task(f->loop, "P", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, log_cb, &log);
	lsched_task *c1 = new_task(f->loop, "c1", LSCHED_TASK_IDLE,
				   LSCHED_PRIO_DEFAULT, log_cb, &log);
	lsched_task *c2 = new_task(f->loop, "c2", LSCHED_TASK_IDLE,
				   LSCHED_PRIO_DEFAULT, log_cb, &log);

	assert_int_equal(lsched_task_add_child(p, c1), 0);
	assert_int_equal(lsched_task_add_child(p, c2), 0);
	lsched_task_destroy(c1);
	assert_int_equal(lsched_task_start(p), 0);
	run_cycles(f->loop, 3);
	assert_log(&log, "P c2");
	assert_int_equal(lsched_task_stop(p), 0);

	lsched_task_destroy(p);
	lsched_task_destroy(c2);
}

/* ---- errors ------------------------------------------------------------- */

#define assert_new_einval(loop, name, kind, prio, cb)                          \
	do {                                                                   \
		errno = 0;                                                     \
		assert_null(lsched_task_new((loop), (name), (kind), (prio),    \
					    (cb), NULL));                      \
		assert_int_equal(errno, EINVAL);                               \
	} while (0)

static void test_task_new_invalid(void **state)
{
	struct vfix *f = *state;
	assert_new_einval(NULL, "x", LSCHED_TASK_IDLE, LSCHED_PRIO_DEFAULT,
			  nop_cb);
	assert_new_einval(f->loop, NULL, LSCHED_TASK_IDLE, LSCHED_PRIO_DEFAULT,
			  nop_cb);
	assert_new_einval(f->loop, "", LSCHED_TASK_IDLE, LSCHED_PRIO_DEFAULT,
			  nop_cb);
	assert_new_einval(f->loop, "x", LSCHED_TASK_IDLE, LSCHED_PRIO_DEFAULT,
			  NULL);
	assert_new_einval(f->loop, "x", LSCHED_TASK_IDLE, -1, nop_cb);
	assert_new_einval(f->loop, "x", LSCHED_TASK_IDLE, LSCHED_PRIO_COUNT,
			  nop_cb);
	assert_new_einval(f->loop, "x", (enum lsched_task_kind)4,
			  LSCHED_PRIO_DEFAULT, nop_cb);
	assert_new_einval(f->loop, "x", (enum lsched_task_kind)99,
			  LSCHED_PRIO_DEFAULT, nop_cb);
	assert_new_einval(f->loop, "x", (enum lsched_task_kind)-1,
			  LSCHED_PRIO_DEFAULT, nop_cb);

	/* Every kind and priority is accepted. */
	for (int k = LSCHED_TASK_IDLE; k <= LSCHED_TASK_AUTO_TIMER; k++) {
		for (int p = 0; p < LSCHED_PRIO_COUNT; p++) {
			lsched_task *t = new_task(f->loop, "ok",
						  (enum lsched_task_kind)k, p,
						  nop_cb, NULL);
			assert_int_equal(lsched_task_kind(t), k);
			assert_int_equal(lsched_task_priority(t), p);
			lsched_task_destroy(t);
		}
	}
}

static void test_task_invalid_args(void **state)
{
	struct vfix *f = *state;
	lsched_task *t = new_task(f->loop, "t", LSCHED_TASK_TIMER,
				  LSCHED_PRIO_REPAINT, nop_cb, NULL);

	assert_int_equal(lsched_task_set_priority(t, LSCHED_PRIO_COUNT),
			 -EINVAL);
	assert_int_equal(lsched_task_set_priority(t, -1), -EINVAL);
	assert_int_equal(lsched_task_priority(t), LSCHED_PRIO_REPAINT);
	assert_int_equal(lsched_task_set_timeout(t, LSCHED_MS(3)), 0);
	assert_int_equal(lsched_task_set_timeout(t, -1), -EINVAL);
	assert_int_equal(lsched_task_timeout(t), LSCHED_MS(3));
	assert_int_equal(lsched_loop_ready_count(f->loop, -1), -EINVAL);
	assert_int_equal(lsched_loop_ready_count(f->loop, LSCHED_PRIO_COUNT),
			 -EINVAL);
	assert_int_equal(lsched_loop_ready_count(NULL, 0), -EINVAL);
	assert_null(lsched_loop_current_task(NULL));
	lsched_task_destroy(t);
}

static void test_task_null_task(void **state)
{
	(void)state;
	assert_int_equal(lsched_task_start(NULL), -EINVAL);
	assert_int_equal(lsched_task_stop(NULL), -EINVAL);
	assert_int_equal(lsched_task_set_priority(NULL, 0), -EINVAL);
	assert_int_equal(lsched_task_priority(NULL), -EINVAL);
	assert_int_equal(lsched_task_set_timeout(NULL, 0), -EINVAL);
	assert_int_equal(lsched_task_timeout(NULL), -EINVAL);
	assert_int_equal(lsched_task_set_max_wait(NULL, 0), -EINVAL);
	assert_int_equal(lsched_task_max_wait(NULL), -EINVAL);
	assert_int_equal(lsched_task_add_child(NULL, NULL), -EINVAL);
	assert_int_equal(lsched_task_remove_child(NULL), -EINVAL);
	assert_int_equal(lsched_task_ready_since(NULL), -EINVAL);
	assert_false(lsched_task_is_active(NULL));
	assert_false(lsched_task_is_running(NULL));
	assert_null(lsched_task_parent(NULL));
	lsched_task_destroy(NULL);
}

/* Accessors without a documented error value: NULL in, NULL or 0 out. */
static void test_task_null_accessors(void **state)
{
	(void)state;
	assert_null(lsched_task_name(NULL));
	assert_null(lsched_task_loop(NULL));
	assert_int_equal(lsched_task_id(NULL), 0);
	assert_int_equal(lsched_task_runs(NULL), 0);
}

/* ---- accessors ---------------------------------------------------------- */

static void test_task_accessors(void **state)
{
	struct vfix *f = *state;
	static const char name[] = "alpha";
	lsched_task *t = new_task(f->loop, name, LSCHED_TASK_TIMER,
				  LSCHED_PRIO_REPAINT, nop_cb, NULL);
	lsched_task *i = new_task(f->loop, "beta", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, nop_cb, NULL);
	lsched_task *a = new_task(f->loop, "gamma", LSCHED_TASK_AUTO_IDLE,
				  LSCHED_PRIO_LOWEST, nop_cb, NULL);
	lsched_task *at = new_task(f->loop, "delta", LSCHED_TASK_AUTO_TIMER,
				   LSCHED_PRIO_HIGHEST, nop_cb, NULL);

	/* The name is borrowed, not copied. */
	assert_ptr_equal(lsched_task_name(t), name);
	assert_string_equal(lsched_task_name(i), "beta");
	assert_int_equal(lsched_task_kind(t), LSCHED_TASK_TIMER);
	assert_int_equal(lsched_task_kind(i), LSCHED_TASK_IDLE);
	assert_int_equal(lsched_task_kind(a), LSCHED_TASK_AUTO_IDLE);
	assert_int_equal(lsched_task_kind(at), LSCHED_TASK_AUTO_TIMER);
	assert_ptr_equal(lsched_task_loop(t), f->loop);
	assert_int_equal(lsched_task_priority(t), LSCHED_PRIO_REPAINT);
	assert_int_equal(lsched_task_timeout(t), 0);
	assert_int_equal(lsched_task_max_wait(t), 0);
	assert_null(lsched_task_parent(t));
	assert_false(lsched_task_is_active(t));
	assert_false(lsched_task_is_running(t));
	assert_int_equal(lsched_task_runs(t), 0);
	assert_int_equal(lsched_task_ready_since(i), -ENOENT);

	uint64_t ids[4] = {lsched_task_id(t), lsched_task_id(i),
			   lsched_task_id(a), lsched_task_id(at)};
	for (int x = 0; x < 4; x++) {
		assert_true(ids[x] != 0);
		for (int y = 0; y < x; y++)
			assert_true(ids[x] != ids[y]);
	}
	assert_int_equal(lsched_task_id(t), ids[0]);

	/* The loop's now starts at the clock's time. */
	assert_int_equal(lsched_loop_now(f->loop), LSCHED_S(1));
	assert_int_equal(lsched_task_start(i), 0);
	assert_int_equal(lsched_task_start(a), 0);
	assert_int_equal(lsched_task_ready_since(i), LSCHED_S(1));
	assert_int_equal(lsched_loop_ready_count(f->loop, LSCHED_PRIO_DEFAULT),
			 1);
	assert_int_equal(lsched_loop_ready_count(f->loop, LSCHED_PRIO_LOWEST),
			 1);
	assert_int_equal(lsched_loop_ready_count(f->loop, LSCHED_PRIO_REPAINT),
			 0);

	run_cycles(f->loop, 1);
	assert_int_equal(lsched_task_runs(i), 1);
	assert_int_equal(lsched_task_runs(a), 1);
	assert_int_equal(lsched_task_ready_since(i), -ENOENT);
	run_cycles(f->loop, 2);
	assert_int_equal(lsched_task_runs(i), 1);
	assert_int_equal(lsched_task_runs(a), 3);
	assert_int_equal(lsched_loop_ready_count(f->loop, LSCHED_PRIO_DEFAULT),
			 0);
	assert_int_equal(lsched_loop_ready_count(f->loop, LSCHED_PRIO_LOWEST),
			 1);
	/* ids are stable. */
	assert_int_equal(lsched_task_id(i), ids[1]);

	lsched_task_destroy(t);
	lsched_task_destroy(i);
	lsched_task_destroy(a);
	lsched_task_destroy(at);
	assert_int_equal(lsched_loop_ready_count(f->loop, LSCHED_PRIO_LOWEST),
			 0);
}

static void observe_cb(lsched_task *task, void *arg)
{
	struct ctx *c = arg;
	c->count++;
	c->seen_running = lsched_task_is_running(task);
	c->seen_active = lsched_task_is_active(task);
	c->seen_current = lsched_loop_current_task(c->loop) == task;
	c->seen_rc = lsched_loop_destroy(c->loop);
	c->seen_rc2 = lsched_loop_run(c->loop, LSCHED_RUN_NOWAIT);
}

static void test_task_running_state_in_callback(void **state)
{
	struct vfix *f = *state;
	struct ctx c;
	ctx_init(&c, f);
	lsched_task *t = new_task(f->loop, "once", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, observe_cb, &c);
	lsched_task *r = new_task(f->loop, "again", LSCHED_TASK_AUTO_IDLE,
				  LSCHED_PRIO_DEFAULT, observe_cb, &c);

	assert_null(lsched_loop_current_task(f->loop));
	assert_int_equal(lsched_task_start(t), 0);
	run_cycles(f->loop, 1);
	assert_int_equal(c.count, 1);
	assert_true(c.seen_running);
	assert_false(c.seen_active); /* a one-shot is inactive in its run */
	assert_true(c.seen_current);
	/* The loop cannot be destroyed or re-entered from a callback. */
	assert_int_equal(c.seen_rc, -EBUSY);
	assert_int_equal(c.seen_rc2, -EBUSY);
	assert_false(lsched_task_is_running(t));
	assert_null(lsched_loop_current_task(f->loop));

	assert_int_equal(lsched_task_start(r), 0);
	run_cycles(f->loop, 1);
	assert_int_equal(c.count, 2);
	assert_true(c.seen_running);
	assert_true(c.seen_active); /* a repeating task stays active */
	assert_true(c.seen_current);
	assert_false(lsched_task_is_running(r));
	assert_true(lsched_task_is_active(r));
	assert_null(lsched_loop_current_task(f->loop));

	lsched_task_destroy(t);
	lsched_task_destroy(r);
}

static void test_task_priority_names(void **state)
{
	(void)state;
	assert_string_equal(lsched_priority_name(LSCHED_PRIO_HIGHEST),
			    "HIGHEST");
	assert_string_equal(lsched_priority_name(LSCHED_PRIO_LOWEST),
			    "LOWEST");
	for (int p = 0; p < LSCHED_PRIO_COUNT; p++) {
		const char *name = lsched_priority_name(p);
		char lower[32];
		size_t i;

		assert_non_null(name);
		assert_int_equal(lsched_priority_from_name(name), p);
		for (i = 0; name[i] && i < sizeof(lower) - 1; i++)
			lower[i] = (char)tolower((unsigned char)name[i]);
		lower[i] = '\0';
		assert_int_equal(lsched_priority_from_name(lower), p);
		for (int q = 0; q < p; q++)
			assert_string_not_equal(lsched_priority_name(q), name);
	}
	assert_null(lsched_priority_name(-1));
	assert_null(lsched_priority_name(LSCHED_PRIO_COUNT));
	assert_int_equal(lsched_priority_from_name("nope"), -EINVAL);
	assert_int_equal(lsched_priority_from_name(""), -EINVAL);
	assert_int_equal(lsched_priority_from_name(NULL), -EINVAL);
}

/* ---- many tasks --------------------------------------------------------- */

#define MANY 100000

struct many;
struct many_ent {
	struct many *m;
	int idx;
	int prio;
};
struct many {
	struct many_ent ent[MANY];
	lsched_task *task[MANY];
	int order[MANY];
	int n;
};

static void many_cb(lsched_task *task, void *arg)
{
	struct many_ent *e = arg;
	(void)task;
	if (e->m->n < MANY)
		e->m->order[e->m->n] = e->idx;
	e->m->n++;
}

static void test_task_many_tasks_priority_fifo(void **state)
{
	struct vfix *f = *state;
	struct many *m = calloc(1, sizeof(*m));
	uint32_t seed = 12345;
	assert_non_null(m);

	for (int i = 0; i < MANY; i++) {
		seed = seed * 1103515245u + 12345u;
		m->ent[i] = (struct many_ent){m, i, (int)((seed >> 16) % 8)};
		m->task[i] = new_task(f->loop, "many", LSCHED_TASK_IDLE,
				      m->ent[i].prio, many_cb, &m->ent[i]);
		assert_int_equal(lsched_task_start(m->task[i]), 0);
	}
	int64_t total = 0;
	for (int p = 0; p < LSCHED_PRIO_COUNT; p++)
		total += lsched_loop_ready_count(f->loop, p);
	assert_int_equal(total, MANY);

	/* The loop may split a long pass over several cycles; the order must
	 * hold across them. */
	for (int i = 0; i < 1000 && m->n < MANY; i++)
		run_cycles(f->loop, 1);
	assert_int_equal(m->n, MANY);
	for (int i = 1; i < MANY; i++) {
		const struct many_ent *prev = &m->ent[m->order[i - 1]];
		const struct many_ent *cur = &m->ent[m->order[i]];
		assert_true(cur->prio >= prev->prio);
		if (cur->prio == prev->prio)
			assert_true(cur->idx > prev->idx);
	}
	for (int i = 0; i < MANY; i++) {
		assert_int_equal(lsched_task_runs(m->task[i]), 1);
		lsched_task_destroy(m->task[i]);
	}
	free(m);
}

/* ---- loop destruction --------------------------------------------------- */

static void test_task_loop_destroy_frees_tasks(void **state)
{
	(void)state;
	lsched_clock *clock = lsched_clock_new_virtual(LSCHED_S(1));
	assert_non_null(clock);
	lsched_loop *loop = lsched_loop_new(clock);
	assert_non_null(loop);
	struct evlog log = {0};

	lsched_task *hog = new_task(loop, "hog", LSCHED_TASK_AUTO_IDLE,
				    LSCHED_PRIO_DEFAULT, log_cb, &log);
	assert_int_equal(lsched_task_start(hog), 0);
	assert_int_equal(run_cycles(loop, 1), 1);

	lsched_task *ready = new_task(loop, "ready", LSCHED_TASK_IDLE,
				      LSCHED_PRIO_LOWEST, log_cb, &log);
	lsched_task *wait = new_task(loop, "wait", LSCHED_TASK_TIMER,
				     LSCHED_PRIO_HIGHEST, log_cb, &log);
	lsched_task *tick = new_task(loop, "tick", LSCHED_TASK_AUTO_TIMER,
				     LSCHED_PRIO_REPAINT, log_cb, &log);
	lsched_task *p = new_task(loop, "p", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_RESIZE, log_cb, &log);
	lsched_task *ch = new_task(loop, "ch", LSCHED_TASK_IDLE,
				   LSCHED_PRIO_RESIZE, log_cb, &log);
	lsched_task *stopped = new_task(loop, "stopped", LSCHED_TASK_TIMER,
					LSCHED_PRIO_DEFAULT, log_cb, &log);

	assert_non_null(stopped);
	assert_int_equal(lsched_task_set_timeout(wait, LSCHED_S(1)), 0);
	assert_int_equal(lsched_task_set_timeout(tick, LSCHED_MS(10)), 0);
	assert_int_equal(lsched_task_set_max_wait(ready, LSCHED_S(5)), 0);
	assert_int_equal(lsched_task_add_child(p, ch), 0);
	assert_int_equal(lsched_task_start(ready), 0);
	assert_int_equal(lsched_task_start(wait), 0);
	assert_int_equal(lsched_task_start(tick), 0);
	assert_int_equal(lsched_task_start(p), 0);

	/* Every task above is freed by the loop (checked by Valgrind/ASan). */
	assert_int_equal(lsched_loop_destroy(loop), 0);
	lsched_clock_destroy(clock);
	assert_log(&log, "hog");
}

/* ---- huge durations ------------------------------------------------------ */

static void log_huge_timeout_cb(lsched_task *task, void *arg)
{
	log_cb(task, arg);
	lsched_task_set_timeout(task, INT64_MAX);
}

/* A timer task whose now + timeout does not fit in int64_t must not wrap to
 * a deadline in the past and run at once: not when started, not when its
 * timeout is changed while it waits, not when an auto timer re-arms. */
static void test_task_huge_timeout_never_due(void **state)
{
	struct vfix *f = *state;
	struct evlog log = {0};
	lsched_task *once = new_task(f->loop, "once", LSCHED_TASK_TIMER,
				     LSCHED_PRIO_HIGHEST, log_cb, &log);
	lsched_task *rearm = new_task(f->loop, "rearm", LSCHED_TASK_TIMER,
				      LSCHED_PRIO_HIGHEST, log_cb, &log);
	lsched_task *aut = new_task(f->loop, "auto", LSCHED_TASK_AUTO_TIMER,
				    LSCHED_PRIO_HIGHEST, log_huge_timeout_cb,
				    &log);

	assert_int_equal(lsched_task_set_timeout(once, INT64_MAX), 0);
	assert_int_equal(lsched_task_start(once), 0);
	assert_int_equal(lsched_task_set_timeout(rearm, LSCHED_MS(1)), 0);
	assert_int_equal(lsched_task_start(rearm), 0);
	assert_int_equal(lsched_task_set_timeout(rearm, INT64_MAX), 0);
	/* timeout 0: runs at once, and its callback sets the huge timeout
	 * the auto timer re-arms with. */
	assert_int_equal(lsched_task_start(aut), 0);

	assert_int_equal(run_cycles(f->loop, 3), 3);
	advance(f->clock, LSCHED_S(3600));
	assert_int_equal(run_cycles(f->loop, 3), 3);
	assert_log(&log, "auto");
	assert_true(lsched_task_is_active(once));
	assert_true(lsched_task_is_active(rearm));
	assert_true(lsched_task_is_active(aut));
	lsched_task_destroy(once);
	lsched_task_destroy(rearm);
	lsched_task_destroy(aut);
}

/* A maximum wait so large that ready_at + max_wait overflows is in practice
 * no bound: the task must not count as overdue and jump ahead of higher
 * priorities. */
static void test_task_max_wait_huge_not_overdue(void **state)
{
	struct vfix *f = *state;
	struct evlog log = {0};
	lsched_task *hi = new_task(f->loop, "hi", LSCHED_TASK_IDLE,
				   LSCHED_PRIO_HIGHEST, log_cb, &log);
	lsched_task *lo = new_task(f->loop, "lo", LSCHED_TASK_IDLE,
				   LSCHED_PRIO_LOWEST, log_cb, &log);

	/* Set before the start (pushed by make_ready) ... */
	assert_int_equal(lsched_task_set_max_wait(lo, INT64_MAX), 0);
	assert_int_equal(lsched_task_start(lo), 0);
	assert_int_equal(lsched_task_start(hi), 0);
	assert_int_equal(run_cycles(f->loop, 2), 2);
	assert_log(&log, "hi lo");

	/* ... and while ready (pushed by set_max_wait). */
	log.n = 0;
	assert_int_equal(lsched_task_set_max_wait(lo, 0), 0);
	assert_int_equal(lsched_task_start(lo), 0);
	assert_int_equal(lsched_task_start(hi), 0);
	assert_int_equal(lsched_task_set_max_wait(lo, INT64_MAX), 0);
	assert_int_equal(run_cycles(f->loop, 2), 2);
	assert_log(&log, "hi lo");
	lsched_task_destroy(hi);
	lsched_task_destroy(lo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, vfix_setup, vfix_teardown)
		T(test_task_strict_priority_order),
		T(test_task_strict_priority_starves),
		T(test_task_round_robin_auto_idles),
		T(test_task_one_shot_idles_fifo),
		T(test_task_restart_ready_keeps_its_place),
		T(test_task_restart_self_then_other_both_run),
		T(test_task_restart_keeps_max_wait_counting),
		T(test_task_restart_due_timer_keeps_its_deadline),
		T(test_task_restart_waiting_timer_rearms),
		T(test_task_restart_inside_own_callback_runs_again),
		T(test_task_timer_fires_at_deadline),
		T(test_task_timer_equal_deadlines_fifo),
		T(test_task_auto_timer_repeats),
		T(test_task_auto_timer_rearms_from_dispatch),
		T(test_task_auto_timer_overrun_fires_once_then_keeps_period),
		T(test_task_tiny_auto_timer_starves_nothing),
		T(test_task_set_timeout_rearms_waiting_timer),
		T(test_task_set_priority_waiting_timer),
		T(test_task_timer_due_mid_pass_runs_next),
		T(test_task_ready_since_timer_deadline),
		T(test_task_due_timer_preempts_tiny_tasks_within_64),
		T(test_task_due_timer_preempts_long_tasks_next),
		T(test_task_clock_reads_every_task_again_after_long_ones),
		T(test_task_loop_now_in_callback_never_lags),
		T(test_task_auto_timer_among_tiny_tasks_never_early),
		T(test_task_timer_started_among_tiny_tasks_never_early),
		T(test_task_runs_counts_past_16_bits),
		T(test_task_loop_timer_due_ends_pass),
		T(test_task_stop_in_callback_ends_pass),
		T(test_task_restart_self_runs_next_cycle),
		T(test_task_auto_idle_stop_self),
		T(test_task_destroy_self_in_callback),
		T(test_task_destroyed_in_callback_refuses_every_change),
		T(test_task_set_callback_takes_effect_next_run),
		T(test_task_destroy_other_in_callback),
		T(test_task_stop_other_in_callback),
		T(test_task_start_higher_in_callback),
		T(test_task_set_priority_ready_moves_to_tail),
		T(test_task_set_priority_in_callback),
		T(test_task_idle_waits_for_input),
		T(test_task_input_interval_bounds_poll),
		T(test_task_max_wait_runs_starved),
		T(test_task_max_wait_off_starves),
		T(test_task_max_wait_longest_overdue_first),
		T(test_task_max_wait_set_while_ready),
		T(test_task_max_wait_invalid),
		T(test_task_child_starts_after_parent_run),
		T(test_task_child_starts_when_parent_stopped),
		T(test_task_parent_start_stops_child),
		T(test_task_parent_restart_self_keeps_child),
		T(test_task_parent_destroy_self_keeps_child_stopped),
		T(test_task_parent_stop_self_starts_child),
		T(test_task_children_start_in_order),
		T(test_task_child_errors),
		T(test_task_remove_child_unlinks),
		T(test_task_destroy_parent_detaches_children),
		T(test_task_destroy_child_leaves_parent),
		T(test_task_new_invalid),
		T(test_task_invalid_args),
		T(test_task_null_task),
		T(test_task_null_accessors),
		T(test_task_accessors),
		T(test_task_running_state_in_callback),
		T(test_task_priority_names),
		T(test_task_many_tasks_priority_fifo),
		T(test_task_loop_destroy_frees_tasks),
		T(test_task_huge_timeout_never_due),
		T(test_task_max_wait_huge_not_overdue),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
