/*
 * TaskStopwatch tests: the default slice, the slice rule, pending input
 * (descriptors and higher-priority tasks), reset and NULL handling.
 *
 * Time is the fixture's virtual clock, moved by hand between calls. Inside
 * task callbacks the results are recorded and asserted after the loop
 * returns, so a failing assert never leaves the loop running.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>

#include "testutil.h"

static void advance(lsched_clock *clock, int64_t ns)
{
	assert_int_equal(lsched_clock_advance(clock, ns), 0);
}

static lsched_task *new_task(lsched_loop *loop, const char *name,
			     enum lsched_task_kind kind, int prio,
			     lsched_task_cb cb, void *arg)
{
	lsched_task *t = lsched_task_new(loop, name, kind, prio, cb, arg);
	assert_non_null(t);
	return t;
}

static void log_cb(lsched_task *task, void *arg)
{
	evlog_add(arg, lsched_task_name(task));
}

/* ---- default slice ------------------------------------------------------ */

static void test_stopwatch_default_slice(void **state)
{
	struct vfix *f = *state;
	struct lsched_stopwatch before, after;

	assert_int_equal(LSCHED_STOPWATCH_DEFAULT_SLICE, LSCHED_MS(50));
	assert_int_equal(lsched_stopwatch_default_slice(), LSCHED_MS(50));
	assert_int_equal(lsched_stopwatch_set_default_slice(0), -EINVAL);
	assert_int_equal(lsched_stopwatch_set_default_slice(-1), -EINVAL);
	assert_int_equal(lsched_stopwatch_default_slice(), LSCHED_MS(50));

	assert_int_equal(lsched_stopwatch_init(&before, f->loop), 0);
	assert_int_equal(lsched_stopwatch_set_default_slice(LSCHED_MS(20)), 0);
	assert_int_equal(lsched_stopwatch_default_slice(), LSCHED_MS(20));
	assert_int_equal(lsched_stopwatch_init(&after, f->loop), 0);

	advance(f->clock, LSCHED_MS(20));
	assert_false(lsched_stopwatch_exceeded(&after));
	advance(f->clock, 1);
	assert_true(lsched_stopwatch_exceeded(&after));
	/* A stopwatch keeps the slice it was initialised with. */
	assert_false(lsched_stopwatch_exceeded(&before));

	assert_int_equal(
		lsched_stopwatch_set_default_slice(LSCHED_STOPWATCH_DEFAULT_SLICE),
		0);
	assert_int_equal(lsched_stopwatch_default_slice(), LSCHED_MS(50));
}

/* ---- the slice rule ----------------------------------------------------- */

/*
 * Slice 50 ms, 10 ms iterations: continue answers false once
 * elapsed + last iteration > slice. At elapsed 40 ms: 40 + 10 = 50, not
 * more than 50, so true; at 50 ms: 50 + 10 = 60 > 50, false.
 */
static void test_stopwatch_slice_used(void **state)
{
	struct vfix *f = *state;
	struct lsched_stopwatch sw;

	assert_int_equal(lsched_stopwatch_init(&sw, f->loop), 0);
	assert_int_equal(lsched_stopwatch_set_slice(&sw, LSCHED_MS(50)), 0);
	assert_int_equal(lsched_stopwatch_verdict(&sw), LSCHED_SW_CONTINUE);
	for (int ms = 10; ms <= 40; ms += 10) {
		advance(f->clock, LSCHED_MS(10));
		assert_true(lsched_stopwatch_continue(&sw));
		assert_int_equal(lsched_stopwatch_verdict(&sw),
				 LSCHED_SW_CONTINUE);
		assert_int_equal(lsched_stopwatch_elapsed(&sw), LSCHED_MS(ms));
	}
	advance(f->clock, LSCHED_MS(10));
	assert_false(lsched_stopwatch_continue(&sw));
	assert_int_equal(lsched_stopwatch_verdict(&sw), LSCHED_SW_SLICE_USED);
	/* Not yet past the slice itself. */
	assert_false(lsched_stopwatch_exceeded(&sw));
	advance(f->clock, LSCHED_MS(10));
	assert_false(lsched_stopwatch_continue(&sw));
	assert_int_equal(lsched_stopwatch_verdict(&sw), LSCHED_SW_SLICE_USED);
	assert_true(lsched_stopwatch_exceeded(&sw));
}

/* The last iteration's time is what counts, not an average. */
static void test_stopwatch_long_iteration(void **state)
{
	struct vfix *f = *state;
	struct lsched_stopwatch sw;

	assert_int_equal(lsched_stopwatch_init(&sw, f->loop), 0);
	assert_int_equal(lsched_stopwatch_set_slice(&sw, LSCHED_MS(50)), 0);
	advance(f->clock, LSCHED_MS(5));
	assert_true(lsched_stopwatch_continue(&sw)); /* 5 + 5 */
	advance(f->clock, LSCHED_MS(5));
	assert_true(lsched_stopwatch_continue(&sw)); /* 10 + 5 */
	advance(f->clock, LSCHED_MS(20));
	assert_true(lsched_stopwatch_continue(&sw)); /* 30 + 20 = 50 */
	advance(f->clock, LSCHED_MS(1));
	assert_true(lsched_stopwatch_continue(&sw)); /* 31 + 1 */
	advance(f->clock, LSCHED_MS(10));
	assert_false(lsched_stopwatch_continue(&sw)); /* 41 + 10 = 51 */
	assert_int_equal(lsched_stopwatch_verdict(&sw), LSCHED_SW_SLICE_USED);

	/* A first iteration longer than half the slice stops at once. */
	assert_int_equal(lsched_stopwatch_reset(&sw), 0);
	advance(f->clock, LSCHED_MS(30));
	assert_false(lsched_stopwatch_continue(&sw)); /* 30 + 30 = 60 */
	assert_int_equal(lsched_stopwatch_verdict(&sw), LSCHED_SW_SLICE_USED);
}

static void test_stopwatch_elapsed_only(void **state)
{
	struct vfix *f = *state;
	struct lsched_stopwatch sw;

	assert_int_equal(lsched_stopwatch_init(&sw, f->loop), 0);
	assert_int_equal(lsched_stopwatch_set_slice(&sw, LSCHED_MS(50)), 0);
	assert_int_equal(lsched_stopwatch_set_flags(
				 &sw, LSCHED_SW_INPUT_ALL |
					      LSCHED_SW_ELAPSED_ONLY),
			 0);
	for (int ms = 10; ms <= 50; ms += 10) {
		advance(f->clock, LSCHED_MS(10));
		assert_true(lsched_stopwatch_continue(&sw));
		assert_int_equal(lsched_stopwatch_verdict(&sw),
				 LSCHED_SW_CONTINUE);
	}
	advance(f->clock, 1);
	assert_false(lsched_stopwatch_continue(&sw)); /* 50 ms + 1 ns */
	assert_int_equal(lsched_stopwatch_verdict(&sw), LSCHED_SW_SLICE_USED);
}

/* ---- pending input from a descriptor ------------------------------------ */

struct swctx {
	struct evlog log;
	lsched_clock *clock;
	lsched_loop *loop;
	int fds[2];
	unsigned flags;
	int64_t advance;
	bool write_pipe;
	lsched_task *start_in_cb; /* started inside the callback */
	/* What the callback saw. */
	int rc;
	bool ok;
	int verdict;
	int calls;
};

static void swctx_init(struct swctx *c, const struct vfix *f)
{
	memset(c, 0, sizeof(*c));
	c->clock = f->clock;
	c->loop = f->loop;
	c->fds[0] = c->fds[1] = -1;
	c->flags = LSCHED_SW_INPUT_ALL;
	c->rc = -1;
}

static void drain_fd_cb(lsched_loop *loop, int fd, unsigned revents, void *arg)
{
	struct swctx *c = arg;
	char buf[64];
	(void)loop;
	(void)revents;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	evlog_add(&c->log, "fd");
}

/* One iteration of a long task: optional input arrives, time passes. */
static void long_task_cb(lsched_task *task, void *arg)
{
	struct swctx *c = arg;
	struct lsched_stopwatch sw;

	c->calls++;
	c->rc = lsched_stopwatch_init(&sw, c->loop);
	if (lsched_stopwatch_set_flags(&sw, c->flags) != 0)
		c->rc = -100;
	if (c->write_pipe && write(c->fds[1], "x", 1) != 1)
		c->rc = -101;
	if (c->start_in_cb && lsched_task_start(c->start_in_cb) != 0)
		c->rc = -102;
	if (lsched_clock_advance(c->clock, c->advance) != 0)
		c->rc = -103;
	c->ok = lsched_stopwatch_continue(&sw);
	c->verdict = lsched_stopwatch_verdict(&sw);
	evlog_add(&c->log, lsched_task_name(task));
}

static void run_fd_scenario(struct vfix *f, unsigned flags, bool expect_ok)
{
	struct swctx c;
	swctx_init(&c, f);
	c.flags = flags;
	c.write_pipe = true;
	/* Past the 100 us input interval, so the stopwatch polls. */
	c.advance = LSCHED_MS(1);
	assert_int_equal(pipe2(c.fds, O_NONBLOCK | O_CLOEXEC), 0);
	assert_int_equal(lsched_loop_watch_fd(f->loop, c.fds[0], LSCHED_FD_READ,
					      drain_fd_cb, &c),
			 0);
	lsched_task *t = new_task(f->loop, "long", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, long_task_cb, &c);

	assert_int_equal(lsched_task_start(t), 0);
	run_cycles(f->loop, 3);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.rc, 0);
	assert_int_equal(c.ok, expect_ok);
	assert_int_equal(c.verdict, expect_ok ? LSCHED_SW_CONTINUE
					      : LSCHED_SW_INPUT_PENDING);
	assert_log(&c.log, "long fd");

	lsched_task_destroy(t);
	assert_int_equal(lsched_loop_unwatch_fd(f->loop, c.fds[0]), 0);
	close(c.fds[0]);
	close(c.fds[1]);
}

static void test_stopwatch_input_fd_pending(void **state)
{
	run_fd_scenario(*state, LSCHED_SW_INPUT_ALL, false);
}

static void test_stopwatch_input_fd_ignored(void **state)
{
	run_fd_scenario(*state, LSCHED_SW_INPUT_ALL & ~LSCHED_SW_INPUT_FD,
			true);
}

/* ---- the loop's own descriptors are not input -------------------------- */

struct xctx {
	lsched_clock *clock;
	lsched_loop *loop;
	lsched_performer *perf;
	unsigned flags;
	int rc;
	int verdict;
	int posted_ran;
};

static void posted_cb(void *arg)
{
	((struct xctx *)arg)->posted_ran++;
}

static void *post_thread(void *arg)
{
	struct xctx *x = arg;

	x->rc = lsched_perform(x->perf, posted_cb, x, 0);
	return NULL;
}

/* Work is posted from another thread while the task runs: that wakes the
 * loop's eventfd, which is the loop's own descriptor, not input. */
static void post_then_check_cb(lsched_task *task, void *arg)
{
	struct xctx *x = arg;
	struct lsched_stopwatch sw;
	pthread_t th;

	(void)task;
	lsched_stopwatch_init(&sw, x->loop);
	lsched_stopwatch_set_flags(&sw, x->flags);
	if (pthread_create(&th, NULL, post_thread, x) != 0 ||
	    pthread_join(th, NULL) != 0)
		x->rc = -100;
	lsched_clock_advance(x->clock, LSCHED_MS(1)); /* past the interval */
	lsched_stopwatch_continue(&sw);
	x->verdict = lsched_stopwatch_verdict(&sw);
}

static void run_post_scenario(struct vfix *f, unsigned flags, int verdict)
{
	struct xctx x = { .clock = f->clock, .loop = f->loop, .flags = flags,
			  .rc = -1 };
	lsched_task *t = new_task(f->loop, "long", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, post_then_check_cb, &x);

	x.perf = lsched_performer_new(f->loop);
	assert_non_null(x.perf);
	assert_int_equal(lsched_task_start(t), 0);
	run_cycles(f->loop, 2);
	assert_int_equal(x.rc, 0);
	assert_int_equal(x.verdict, verdict);
	assert_int_equal(x.posted_ran, 1);
	lsched_task_destroy(t);
	lsched_performer_destroy(x.perf);
}

/* With descriptor input only, queued Performer work is not input: it used
 * to be, through the loop's wake-up eventfd. */
static void test_stopwatch_input_fd_ignores_loop_wakeup(void **state)
{
	run_post_scenario(*state, LSCHED_SW_INPUT_FD, LSCHED_SW_CONTINUE);
}

static void test_stopwatch_input_cross_thread_sees_posted_work(void **state)
{
	run_post_scenario(*state, LSCHED_SW_INPUT_CROSS_THREAD,
			  LSCHED_SW_INPUT_PENDING);
}

/* ---- a more urgent task becoming ready ---------------------------------- */

/*
 * A DEFAULT_IDLE task runs; a timer at prio with a 5 ms timeout becomes due
 * while it runs (the callback moves the clock 5 ms).
 */
static void run_timer_scenario(struct vfix *f, unsigned flags, int prio,
			       bool expect_ok, const char *expected_log)
{
	struct swctx c;
	swctx_init(&c, f);
	c.flags = flags;
	c.advance = LSCHED_MS(5);
	lsched_task *urgent = new_task(f->loop, "timer", LSCHED_TASK_TIMER,
				       prio, log_cb, &c.log);
	lsched_task *t = new_task(f->loop, "long", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT_IDLE, long_task_cb, &c);

	assert_int_equal(lsched_task_set_timeout(urgent, LSCHED_MS(5)), 0);
	assert_int_equal(lsched_task_start(urgent), 0);
	assert_int_equal(lsched_task_start(t), 0);
	run_cycles(f->loop, 3);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.rc, 0);
	assert_int_equal(c.ok, expect_ok);
	assert_int_equal(c.verdict, expect_ok ? LSCHED_SW_CONTINUE
					      : LSCHED_SW_INPUT_PENDING);
	assert_log(&c.log, expected_log);

	lsched_task_destroy(urgent);
	lsched_task_destroy(t);
}

static void test_stopwatch_higher_timer_due(void **state)
{
	run_timer_scenario(*state, LSCHED_SW_INPUT_ALL, LSCHED_PRIO_HIGHEST,
			   false, "long timer");
}

static void test_stopwatch_higher_timer_ignored(void **state)
{
	run_timer_scenario(*state,
			   LSCHED_SW_INPUT_ALL & ~LSCHED_SW_INPUT_HIGHER_TASK,
			   LSCHED_PRIO_HIGHEST, true, "long timer");
}

static void test_stopwatch_lower_timer_due(void **state)
{
	run_timer_scenario(*state, LSCHED_SW_INPUT_ALL, LSCHED_PRIO_LOWEST, true,
			   "long timer");
}

static void test_stopwatch_higher_idle_started(void **state)
{
	struct vfix *f = *state;
	struct swctx c;
	swctx_init(&c, f);
	c.advance = LSCHED_MS(1);
	lsched_task *hi = new_task(f->loop, "hi", LSCHED_TASK_IDLE,
				   LSCHED_PRIO_REPAINT, log_cb, &c.log);
	lsched_task *t = new_task(f->loop, "long", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT_IDLE, long_task_cb, &c);

	c.start_in_cb = hi;
	assert_int_equal(lsched_task_start(t), 0);
	run_cycles(f->loop, 3);
	assert_int_equal(c.rc, 0);
	assert_false(c.ok);
	assert_int_equal(c.verdict, LSCHED_SW_INPUT_PENDING);
	assert_log(&c.log, "long hi");

	lsched_task_destroy(hi);
	lsched_task_destroy(t);
}

/* Ready tasks at the same or a lower priority do not cut the slice. */
static void test_stopwatch_peer_and_lower_ready(void **state)
{
	struct vfix *f = *state;
	struct swctx c;
	swctx_init(&c, f);
	c.advance = LSCHED_MS(1);
	lsched_task *t = new_task(f->loop, "long", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_REPAINT, long_task_cb, &c);
	lsched_task *peer = new_task(f->loop, "peer", LSCHED_TASK_IDLE,
				     LSCHED_PRIO_REPAINT, log_cb, &c.log);
	lsched_task *low = new_task(f->loop, "low", LSCHED_TASK_IDLE,
				    LSCHED_PRIO_LOWEST, log_cb, &c.log);

	assert_int_equal(lsched_task_start(t), 0);
	assert_int_equal(lsched_task_start(peer), 0);
	assert_int_equal(lsched_task_start(low), 0);
	run_cycles(f->loop, 3);
	assert_int_equal(c.rc, 0);
	assert_true(c.ok);
	assert_int_equal(c.verdict, LSCHED_SW_CONTINUE);
	assert_log(&c.log, "long peer low");

	lsched_task_destroy(t);
	lsched_task_destroy(peer);
	lsched_task_destroy(low);
}

static void loop_timer_log_cb(lsched_timer *timer, void *arg)
{
	(void)timer;
	evlog_add(arg, "ltimer");
}

/*
 * Asking the stopwatch inside a task must not change what the loop does
 * after the task: a loop timer that fell due while the task ran still ends
 * the pass, exactly as without the stopwatch ("A ltimer B").
 */
static void run_loop_timer_scenario(struct vfix *f, bool use_stopwatch)
{
	struct swctx c;
	swctx_init(&c, f);
	c.advance = LSCHED_MS(5);
	lsched_timer *lt = lsched_timer_new(f->loop, loop_timer_log_cb, &c.log);
	assert_non_null(lt);
	lsched_task *a = new_task(f->loop, "A", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, long_task_cb, &c);
	lsched_task *b = new_task(f->loop, "B", LSCHED_TASK_IDLE,
				  LSCHED_PRIO_DEFAULT, log_cb, &c.log);

	if (!use_stopwatch)
		c.flags = 0; /* no input check at all */
	assert_int_equal(lsched_timer_start(lt, LSCHED_MS(5), 0,
					    LSCHED_CATCHUP_SKIP),
			 0);
	assert_int_equal(lsched_task_start(a), 0);
	assert_int_equal(lsched_task_start(b), 0);
	run_cycles(f->loop, 3);
	assert_int_equal(c.rc, 0);
	assert_true(c.ok);
	assert_log(&c.log, "A ltimer B");

	lsched_task_destroy(a);
	lsched_task_destroy(b);
	lsched_timer_destroy(lt);
}

static void test_stopwatch_no_input_check_keeps_loop_timer(void **state)
{
	run_loop_timer_scenario(*state, false);
}

static void test_stopwatch_higher_task_check_keeps_loop_timer(void **state)
{
	run_loop_timer_scenario(*state, true);
}

/* ---- reset, elapsed, exceeded ------------------------------------------- */

static void test_stopwatch_reset_elapsed_exceeded(void **state)
{
	struct vfix *f = *state;
	struct lsched_stopwatch sw;

	assert_int_equal(lsched_stopwatch_init(&sw, f->loop), 0);
	assert_int_equal(lsched_stopwatch_set_slice(&sw, LSCHED_MS(50)), 0);
	assert_int_equal(lsched_stopwatch_elapsed(&sw), 0);
	assert_false(lsched_stopwatch_exceeded(&sw));
	advance(f->clock, LSCHED_MS(30));
	assert_int_equal(lsched_stopwatch_elapsed(&sw), LSCHED_MS(30));
	assert_false(lsched_stopwatch_exceeded(&sw));
	advance(f->clock, LSCHED_MS(20));
	assert_false(lsched_stopwatch_exceeded(&sw)); /* exactly the slice */
	advance(f->clock, LSCHED_MS(5));
	assert_int_equal(lsched_stopwatch_elapsed(&sw), LSCHED_MS(55));
	assert_true(lsched_stopwatch_exceeded(&sw));

	/* Reset restarts both the elapsed and the iteration time. */
	assert_int_equal(lsched_stopwatch_reset(&sw), 0);
	assert_int_equal(lsched_stopwatch_elapsed(&sw), 0);
	assert_false(lsched_stopwatch_exceeded(&sw));
	advance(f->clock, LSCHED_MS(10));
	assert_true(lsched_stopwatch_continue(&sw)); /* 10 + 10, not + 65 */
	assert_int_equal(lsched_stopwatch_verdict(&sw), LSCHED_SW_CONTINUE);
	assert_int_equal(lsched_stopwatch_elapsed(&sw), LSCHED_MS(10));
}

static void test_stopwatch_invalid_args(void **state)
{
	struct vfix *f = *state;
	struct lsched_stopwatch sw;

	assert_false(lsched_stopwatch_continue(NULL));
	assert_int_equal(lsched_stopwatch_init(NULL, f->loop), -EINVAL);
	assert_int_equal(lsched_stopwatch_reset(NULL), -EINVAL);
	assert_int_equal(lsched_stopwatch_set_slice(NULL, LSCHED_MS(1)),
			 -EINVAL);
	assert_int_equal(lsched_stopwatch_set_flags(NULL, 0), -EINVAL);
	assert_int_equal(lsched_stopwatch_elapsed(NULL), -EINVAL);
	assert_false(lsched_stopwatch_exceeded(NULL));

	assert_int_equal(lsched_stopwatch_init(&sw, f->loop), 0);
	assert_int_equal(lsched_stopwatch_set_slice(&sw, 0), -EINVAL);
	assert_int_equal(lsched_stopwatch_set_slice(&sw, -1), -EINVAL);
	/* The slice was left alone: still the 50 ms default. */
	advance(f->clock, LSCHED_MS(50));
	assert_false(lsched_stopwatch_exceeded(&sw));
	advance(f->clock, 1);
	assert_true(lsched_stopwatch_exceeded(&sw));
}

static void test_stopwatch_unknown_flags(void **state)
{
	struct vfix *f = *state;
	struct lsched_stopwatch sw;

	assert_int_equal(lsched_stopwatch_init(&sw, f->loop), 0);
	assert_int_equal(lsched_stopwatch_set_flags(&sw, 0), 0);
	assert_int_equal(lsched_stopwatch_set_flags(&sw, 1u << 10), -EINVAL);
}

static void test_stopwatch_monotonic_without_loop(void **state)
{
	struct lsched_stopwatch sw;
	(void)state;

	assert_int_equal(lsched_stopwatch_init(&sw, NULL), 0);
	assert_int_equal(lsched_stopwatch_set_slice(&sw, LSCHED_S(3600)), 0);
	assert_true(lsched_stopwatch_continue(&sw));
	assert_int_equal(lsched_stopwatch_verdict(&sw), LSCHED_SW_CONTINUE);
	assert_true(lsched_stopwatch_continue(&sw));
	assert_true(lsched_stopwatch_elapsed(&sw) >= 0);
	assert_false(lsched_stopwatch_exceeded(&sw));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, vfix_setup, vfix_teardown)
		T(test_stopwatch_default_slice),
		T(test_stopwatch_slice_used),
		T(test_stopwatch_long_iteration),
		T(test_stopwatch_elapsed_only),
		T(test_stopwatch_input_fd_pending),
		T(test_stopwatch_input_fd_ignored),
		T(test_stopwatch_input_fd_ignores_loop_wakeup),
		T(test_stopwatch_input_cross_thread_sees_posted_work),
		T(test_stopwatch_higher_timer_due),
		T(test_stopwatch_higher_timer_ignored),
		T(test_stopwatch_lower_timer_due),
		T(test_stopwatch_higher_idle_started),
		T(test_stopwatch_peer_and_lower_ready),
		T(test_stopwatch_no_input_check_keeps_loop_timer),
		T(test_stopwatch_higher_task_check_keeps_loop_timer),
		T(test_stopwatch_reset_elapsed_exceeded),
		T(test_stopwatch_invalid_args),
		T(test_stopwatch_unknown_flags),
		T(test_stopwatch_monotonic_without_loop),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
