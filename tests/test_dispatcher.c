/*
 * Command dispatcher tests.
 *
 * Timing rules run on the virtual-clock fixture: the test thread drives the
 * loop with LSCHED_RUN_NOWAIT cycles (moving the clock itself) or with
 * lsched_loop_run_for() and auto-advance, so latency and forced builds are
 * checked to the nanosecond with no sleeps. A dispatcher made with
 * lsched_dispatcher_new() is stopped or destroyed on its loop's thread
 * (on_loop(): inside a loop timer callback), as its header asks, except in
 * the test of destroying it while the loop does not run.
 *
 * lsched_dispatcher_spawn() tests use a real thread and the real clock;
 * they synchronise with semaphores posted by commands, never with time.
 * Where a helper must act while another thread is blocked inside a call,
 * it waits until that thread sleeps (/proc/self/task/<tid>/stat); that
 * wait only makes the scenario meaningful. The idle test alone sleeps: it
 * measures the dispatcher thread's CPU time over 1.2 s.
 *
 * Every test arms a watchdog (alarm()): a hang kills the binary with the
 * test's name instead of stalling CI. Run one test alone with
 * `test_dispatcher <name-pattern>`. A dispatcher left behind by a failed
 * assertion is destroyed by the teardown; the command records its discard
 * callbacks touch are static for that reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>

#include "testutil.h"

#define WATCHDOG_S 60

/* ---- watchdog and small helpers -------------------------------------------- */

#include "threadutil.h"


static void sem_wait_ok(sem_t *s)
{
	while (sem_wait(s) != 0)
		assert_int_equal(errno, EINTR);
}

static lsched_loop *fix_loop(void **state)
{
	return ((struct vfix *)*state)->loop;
}

static lsched_clock *fix_clock(void **state)
{
	return ((struct vfix *)*state)->clock;
}

#define T0 LSCHED_S(1) /* the fixture clock's start */

/* Runs fn(arg) on the loop's thread: inside a loop timer callback of one
 * NOWAIT cycle run by this thread. */
struct on_loop_call {
	void (*fn)(void *);
	void *arg;
	int calls;
};

static void on_loop_cb(lsched_timer *t, void *arg)
{
	struct on_loop_call *c = arg;

	c->calls++;
	c->fn(c->arg);
}

static void on_loop(lsched_loop *loop, void (*fn)(void *), void *arg)
{
	struct on_loop_call c = { fn, arg, 0 };
	lsched_timer *t = lsched_timer_new(loop, on_loop_cb, &c);

	assert_non_null(t);
	assert_int_equal(lsched_timer_start(t, 0, 0, LSCHED_CATCHUP_SKIP), 0);
	assert_int_equal(lsched_loop_run(loop, LSCHED_RUN_NOWAIT), 0);
	lsched_timer_destroy(t);
	assert_int_equal(c.calls, 1);
}

struct dcall {
	lsched_dispatcher *d;
	int rc;
};

static void do_destroy(void *arg)
{
	struct dcall *c = arg;

	c->rc = lsched_dispatcher_destroy(c->d);
}

static void do_stop(void *arg)
{
	struct dcall *c = arg;

	c->rc = lsched_dispatcher_stop(c->d);
}

/* The dispatcher a virtual-clock test made and has not destroyed yet: the
 * teardown destroys it when an assertion ended the test early. */
static lsched_dispatcher *live_disp;

/* Destroys d on its loop's thread; returns destroy's result. */
static int destroy_on_loop(lsched_loop *loop, lsched_dispatcher *d)
{
	struct dcall c = { d, -1 };

	on_loop(loop, do_destroy, &c);
	if (live_disp == d)
		live_disp = NULL;
	return c.rc;
}

static void teardown_cb(lsched_timer *t, void *arg)
{
	lsched_dispatcher_destroy(arg);
}

static int dfix_teardown(void **state)
{
	struct vfix *f = *state;

	if (live_disp) {
		lsched_timer *t = lsched_timer_new(f->loop, teardown_cb,
						   live_disp);

		live_disp = NULL;
		if (!t || lsched_timer_start(t, 0, 0, LSCHED_CATCHUP_SKIP) ||
		    lsched_loop_run(f->loop, LSCHED_RUN_NOWAIT))
			return -1;
		lsched_timer_destroy(t);
	}
	return vfix_teardown(state);
}

static int stop_on_loop(lsched_loop *loop, lsched_dispatcher *d)
{
	struct dcall c = { d, -1 };

	on_loop(loop, do_stop, &c);
	return c.rc;
}

/* ---- what ran ------------------------------------------------------------------ */

#define MAXB 16

struct dlog {
	lsched_dispatcher *d;
	lsched_loop *loop;
	struct evlog log;       /* commands and builds, in order */
	int builds;
	int64_t build_at[MAXB]; /* loop time of each build */
	uint32_t queued_at_build[MAXB];
	uint64_t executed_at_build[MAXB];
};

static void builder_cb(void *arg)
{
	struct dlog *l = arg;
	struct lsched_dispatcher_stats st;

	if (l->builds < MAXB) {
		l->build_at[l->builds] = lsched_loop_now(l->loop);
		if (l->d && lsched_dispatcher_stats(l->d, &st) == 0) {
			l->queued_at_build[l->builds] = st.queued;
			l->executed_at_build[l->builds] = st.executed;
		}
	}
	l->builds++;
	evlog_add(&l->log, "B");
}

struct cmd {
	struct dlog *l;
	char name[16];
	int runs, discards;
	int rc; /* what an action inside it returned */
};

static void cmd_run(void *arg)
{
	struct cmd *c = arg;

	c->runs++;
	evlog_add(&c->l->log, c->name);
}

static void cmd_discard(void *arg)
{
	struct cmd *c = arg;

	c->discards++;
}

static void cmd_init(struct cmd *c, struct dlog *l, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->l = l;
	snprintf(c->name, sizeof(c->name), "%s", name);
}

static lsched_dispatcher *new_disp(lsched_loop *loop, struct dlog *l,
				   int64_t latency, int64_t force)
{
	struct lsched_dispatcher_config cfg = {
		.builder = builder_cb,
		.builder_arg = l,
		.latency_ns = latency,
		.force_ns = force,
	};
	lsched_dispatcher *d;

	memset(l, 0, sizeof(*l));
	l->loop = loop;
	d = lsched_dispatcher_new(loop, &cfg);
	assert_non_null(d);
	l->d = d;
	live_disp = d;
	return d;
}

static void enqueue_ok(lsched_dispatcher *d, struct cmd *c)
{
	assert_int_equal(lsched_dispatcher_enqueue(d, c->name, cmd_run,
						   cmd_discard, c),
			 0);
}

static struct lsched_dispatcher_stats stats_of(lsched_dispatcher *d)
{
	struct lsched_dispatcher_stats st;

	assert_int_equal(lsched_dispatcher_stats(d, &st), 0);
	return st;
}

/* ---- configuration ------------------------------------------------------------- */

static void test_dispatcher_invalid_config(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct lsched_dispatcher_config cfg = { .builder = builder_cb };

	WATCHDOG();
	errno = 0;
	assert_null(lsched_dispatcher_new(NULL, &cfg));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(lsched_dispatcher_new(loop, NULL));
	assert_int_equal(errno, EINVAL);

	cfg.builder = NULL;
	errno = 0;
	assert_null(lsched_dispatcher_new(loop, &cfg));
	assert_int_equal(errno, EINVAL);

	cfg.builder = builder_cb;
	cfg.latency_ns = -1;
	errno = 0;
	assert_null(lsched_dispatcher_new(loop, &cfg));
	assert_int_equal(errno, EINVAL);

	cfg.latency_ns = 0;
	cfg.force_ns = -1;
	errno = 0;
	assert_null(lsched_dispatcher_new(loop, &cfg));
	assert_int_equal(errno, EINVAL);

	cfg.latency_ns = LSCHED_MS(100);
	cfg.force_ns = LSCHED_MS(100) - 1; /* force < latency */
	errno = 0;
	assert_null(lsched_dispatcher_new(loop, &cfg));
	assert_int_equal(errno, EINVAL);

	/* force == latency is fine. */
	static struct dlog l;
	lsched_dispatcher *d = new_disp(loop, &l, LSCHED_MS(100),
					LSCHED_MS(100));
	assert_ptr_equal(lsched_dispatcher_loop(d), loop);
	assert_int_equal(destroy_on_loop(loop, d), 0);
	watchdog_off();
}

static void test_dispatcher_null_arguments(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct lsched_dispatcher_stats st;
	static struct dlog l;
	static struct cmd c;
	lsched_dispatcher *d;

	WATCHDOG();
	assert_int_equal(lsched_dispatcher_enqueue(NULL, "x", cmd_run, NULL,
						   NULL),
			 -EINVAL);
	assert_int_equal(lsched_dispatcher_deactivate(NULL), -EINVAL);
	assert_int_equal(lsched_dispatcher_activate(NULL), -EINVAL);
	assert_int_equal(lsched_dispatcher_await_dormant(NULL), -EINVAL);
	assert_int_equal(lsched_dispatcher_stop(NULL), -EINVAL);
	assert_int_equal(lsched_dispatcher_destroy(NULL), -EINVAL);
	assert_int_equal(lsched_dispatcher_stats(NULL, &st), -EINVAL);
	assert_null(lsched_dispatcher_loop(NULL));

	d = new_disp(loop, &l, 0, 0);
	cmd_init(&c, &l, "A");
	assert_int_equal(lsched_dispatcher_enqueue(d, "x", NULL, cmd_discard,
						   &c),
			 -EINVAL);
	assert_int_equal(lsched_dispatcher_stats(d, NULL), -EINVAL);
	st = stats_of(d);
	assert_int_equal(st.enqueued, 0);
	assert_true(st.active);
	assert_false(st.dirty);
	assert_int_equal(destroy_on_loop(loop, d), 0);
	assert_int_equal(c.runs + c.discards, 0);
	watchdog_off();
}

/* ---- commands ----------------------------------------------------------------- */

static void test_dispatcher_commands_fifo_one_per_run(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct lsched_dispatcher_stats st;
	static struct dlog l;
	static struct cmd c[3];
	lsched_dispatcher *d = new_disp(loop, &l, 0, 0);

	WATCHDOG();
	cmd_init(&c[0], &l, "A");
	cmd_init(&c[1], &l, "B");
	cmd_init(&c[2], &l, "C");
	for (int i = 0; i < 3; i++)
		enqueue_ok(d, &c[i]);
	assert_int_equal(l.log.n, 0); /* nothing runs on the caller */

	/* One command per run of the command task, one run per cycle. */
	assert_int_equal(run_cycles(loop, 1), 1);
	assert_log(&l.log, "A");
	st = stats_of(d);
	assert_int_equal(st.executed, 1);
	assert_int_equal(st.queued, 2);
	assert_true(st.dirty);
	assert_int_equal(run_cycles(loop, 1), 1);
	assert_log(&l.log, "A B");
	assert_int_equal(run_cycles(loop, 1), 1);
	assert_log(&l.log, "A B C");
	assert_int_equal(run_cycles(loop, 5), 5);
	assert_log(&l.log, "A B C"); /* the clock did not move: no build */

	st = stats_of(d);
	assert_int_equal(st.enqueued, 3);
	assert_int_equal(st.executed, 3);
	assert_int_equal(st.queued, 0);
	assert_int_equal(st.discarded, 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(c[i].runs, 1);
		assert_int_equal(c[i].discards, 0);
	}
	assert_int_equal(destroy_on_loop(loop, d), 0);
	watchdog_off();
}

/* A command enqueued by a command runs after those already queued. */
struct chain {
	lsched_dispatcher *d;
	struct cmd *next;
	struct cmd self;
};

static void cmd_chain(void *arg)
{
	struct chain *ch = arg;

	cmd_run(&ch->self);
	ch->self.rc = lsched_dispatcher_enqueue(ch->d, ch->next->name, cmd_run,
						cmd_discard, ch->next);
}

static void test_dispatcher_command_enqueues_command(void **state)
{
	lsched_loop *loop = fix_loop(state);
	static struct dlog l;
	static struct cmd b, z;
	static struct chain ch;
	lsched_dispatcher *d = new_disp(loop, &l, 0, 0);

	WATCHDOG();
	cmd_init(&ch.self, &l, "A");
	cmd_init(&b, &l, "B");
	cmd_init(&z, &l, "Z");
	ch.d = d;
	ch.next = &z;
	assert_int_equal(lsched_dispatcher_enqueue(d, "A", cmd_chain, NULL,
						   &ch),
			 0);
	enqueue_ok(d, &b);
	assert_int_equal(run_cycles(loop, 5), 5);
	assert_int_equal(ch.self.rc, 0);
	assert_log(&l.log, "A B Z");
	assert_int_equal(destroy_on_loop(loop, d), 0);
	watchdog_off();
}

/* Accepted commands not run yet are waiting: queued counts them. */
static void test_dispatcher_stats_queued_counts_accepted(void **state)
{
	lsched_loop *loop = fix_loop(state);
	struct lsched_dispatcher_stats st;
	static struct dlog l;
	static struct cmd c[2];
	lsched_dispatcher *d = new_disp(loop, &l, 0, 0);

	WATCHDOG();
	cmd_init(&c[0], &l, "A");
	cmd_init(&c[1], &l, "B");
	enqueue_ok(d, &c[0]);
	enqueue_ok(d, &c[1]);
	st = stats_of(d);
	assert_int_equal(st.enqueued, 2);
	assert_int_equal(st.executed, 0);
	assert_int_equal(st.queued, 2); /* enqueued - executed - discarded */
	assert_int_equal(run_cycles(loop, 3), 3);
	st = stats_of(d);
	assert_int_equal(st.queued, 0);
	assert_int_equal(destroy_on_loop(loop, d), 0);
	watchdog_off();
}

/* ---- the builder ------------------------------------------------------------------ */

static void test_dispatcher_builder_after_latency(void **state)
{
	lsched_loop *loop = fix_loop(state);
	lsched_clock *clock = fix_clock(state);
	struct lsched_dispatcher_stats st;
	static struct dlog l;
	static struct cmd a, b, c;
	lsched_dispatcher *d = new_disp(loop, &l, 0, 0); /* defaults */

	WATCHDOG();
	/* Never dirty: no build, however long. */
	assert_int_equal(lsched_clock_set(clock, T0 + LSCHED_S(2)), 0);
	assert_int_equal(run_cycles(loop, 3), 3);
	assert_int_equal(l.builds, 0);

	const int64_t t1 = T0 + LSCHED_S(2);
	cmd_init(&a, &l, "A");
	enqueue_ok(d, &a);
	assert_int_equal(run_cycles(loop, 1), 1); /* A runs at t1 */
	assert_log(&l.log, "A");

	/* Not before the latency... */
	assert_int_equal(lsched_clock_set(clock, t1 + LSCHED_DISPATCHER_LATENCY
							 - 1),
			 0);
	assert_int_equal(run_cycles(loop, 3), 3);
	assert_int_equal(l.builds, 0);
	assert_true(stats_of(d).dirty);

	/* ...but at it, once. */
	assert_int_equal(lsched_clock_set(clock,
					  t1 + LSCHED_DISPATCHER_LATENCY),
			 0);
	assert_int_equal(run_cycles(loop, 1), 1);
	assert_int_equal(l.builds, 1);
	assert_int_equal(l.build_at[0], t1 + LSCHED_DISPATCHER_LATENCY);
	st = stats_of(d);
	assert_int_equal(st.builds_latency, 1);
	assert_int_equal(st.builds_forced, 0);
	assert_false(st.dirty);
	assert_int_equal(lsched_clock_advance(clock, LSCHED_S(1)), 0);
	assert_int_equal(run_cycles(loop, 3), 3);
	assert_int_equal(l.builds, 1);

	/* Each command restarts the latency. */
	const int64_t t2 = lsched_clock_now(clock);
	cmd_init(&b, &l, "B");
	cmd_init(&c, &l, "C");
	enqueue_ok(d, &b);
	assert_int_equal(run_cycles(loop, 1), 1); /* B at t2 */
	assert_int_equal(lsched_clock_set(clock, t2 + LSCHED_MS(30)), 0);
	enqueue_ok(d, &c);
	assert_int_equal(run_cycles(loop, 1), 1); /* C at t2 + 30 ms */
	assert_int_equal(lsched_clock_set(clock, t2 + LSCHED_MS(80) - 1), 0);
	assert_int_equal(run_cycles(loop, 3), 3);
	assert_int_equal(l.builds, 1);
	assert_int_equal(lsched_clock_set(clock, t2 + LSCHED_MS(80)), 0);
	assert_int_equal(run_cycles(loop, 1), 1);
	assert_int_equal(l.builds, 2);
	assert_int_equal(l.build_at[1], t2 + LSCHED_MS(80));
	assert_log(&l.log, "A B B C B");
	st = stats_of(d);
	assert_int_equal(st.builds_latency, 2);
	assert_int_equal(st.builds_forced, 0);
	assert_int_equal(destroy_on_loop(loop, d), 0);
	watchdog_off();
}

static void test_dispatcher_builder_run_for_auto_advance(void **state)
{
	lsched_loop *loop = fix_loop(state);
	lsched_clock *clock = fix_clock(state);
	static struct dlog l;
	static struct cmd a;
	lsched_dispatcher *d = new_disp(loop, &l, 0, 0);

	WATCHDOG();
	assert_int_equal(lsched_clock_set_auto_advance(clock, true), 0);
	cmd_init(&a, &l, "A");
	enqueue_ok(d, &a);
	assert_int_equal(lsched_loop_run_for(loop, LSCHED_S(1)), 0);
	assert_log(&l.log, "A B");
	assert_int_equal(l.build_at[0], T0 + LSCHED_DISPATCHER_LATENCY);
	assert_int_equal(lsched_clock_now(clock), T0 + LSCHED_S(1));
	assert_int_equal(stats_of(d).builds_latency, 1);
	assert_int_equal(destroy_on_loop(loop, d), 0);
	watchdog_off();
}

/* A command every 10 ms: the latency never passes, the build is forced
 * 750 ms after the builder became dirty, while a command is queued. */
static void test_dispatcher_builder_forced_under_steady_commands(void **state)
{
	lsched_loop *loop = fix_loop(state);
	lsched_clock *clock = fix_clock(state);
	struct lsched_dispatcher_stats st;
	static struct dlog l;
	static struct cmd c[200];
	lsched_dispatcher *d = new_disp(loop, &l, 0, 0);
	int k;

	WATCHDOG();
	for (k = 0; k <= 150; k++) {
		char name[16];

		snprintf(name, sizeof(name), "c%d", k);
		cmd_init(&c[k], &l, name);
		assert_int_equal(lsched_clock_set(clock, T0 + k * LSCHED_MS(10)),
				 0);
		enqueue_ok(d, &c[k]);
		assert_int_equal(run_cycles(loop, 1), 1);
		assert_int_equal(c[k].runs, 1);
		if (k < 75) {
			assert_int_equal(l.builds, 0);
		} else if (k == 75) {
			assert_int_equal(l.builds, 1);
			st = stats_of(d);
			assert_int_equal(st.builds_forced, 1);
			assert_int_equal(st.builds_latency, 0);
		}
	}
	/* The first command ran at T0: forced at T0 + 750 ms, ahead of the
	 * command that had arrived then. */
	assert_int_equal(l.build_at[0], T0 + LSCHED_DISPATCHER_FORCE);
	assert_int_equal(l.queued_at_build[0], 1);
	assert_int_equal(l.executed_at_build[0], 75);
	/* Dirty again from c75 (T0 + 750 ms): forced again 750 ms later. */
	assert_int_equal(l.builds, 2);
	assert_int_equal(l.build_at[1], T0 + 2 * LSCHED_DISPATCHER_FORCE);
	st = stats_of(d);
	assert_int_equal(st.builds_forced, 2);
	assert_int_equal(st.builds_latency, 0);

	/* Commands stop: the next build comes after the latency. */
	const int64_t last = T0 + 150 * LSCHED_MS(10);
	assert_int_equal(lsched_clock_set(clock, last +
						 LSCHED_DISPATCHER_LATENCY - 1),
			 0);
	assert_int_equal(run_cycles(loop, 2), 2);
	assert_int_equal(l.builds, 2);
	assert_int_equal(lsched_clock_set(clock,
					  last + LSCHED_DISPATCHER_LATENCY),
			 0);
	assert_int_equal(run_cycles(loop, 1), 1);
	assert_int_equal(l.builds, 3);
	st = stats_of(d);
	assert_int_equal(st.builds_forced, 2);
	assert_int_equal(st.builds_latency, 1);
	assert_int_equal(destroy_on_loop(loop, d), 0);
	watchdog_off();
}

/* The queue never empties (a backlog, one command per 10 ms cycle): the
 * build falls due 750 ms after the builder became dirty and runs next,
 * ahead of the queued commands, at that time. */
static void test_dispatcher_builder_forced_with_backlog(void **state)
{
	lsched_loop *loop = fix_loop(state);
	lsched_clock *clock = fix_clock(state);
	static struct dlog l;
	static struct cmd c[120];
	lsched_dispatcher *d = new_disp(loop, &l, 0, 0);

	WATCHDOG();
	for (int i = 0; i < 120; i++) {
		char name[16];

		snprintf(name, sizeof(name), "c%d", i);
		cmd_init(&c[i], &l, name);
		enqueue_ok(d, &c[i]);
	}
	for (int k = 0; k <= 80; k++) {
		assert_int_equal(lsched_clock_set(clock, T0 + k * LSCHED_MS(10)),
				 0);
		assert_int_equal(run_cycles(loop, 1), 1);
	}
	assert_true(l.builds >= 1);
	assert_true(l.queued_at_build[0] > 0);
	assert_int_equal(stats_of(d).builds_forced, 1);
	assert_int_equal(stats_of(d).builds_latency, 0);
	assert_int_equal(l.build_at[0], T0 + LSCHED_DISPATCHER_FORCE);
	/* One command per cycle: the rest of the backlog is discarded. */
	int left = 120 - (int)stats_of(d).executed;
	assert_int_equal(destroy_on_loop(loop, d), left);
	watchdog_off();
}

/* Custom latency and force, driven by run_for with auto-advance and a
 * loop timer that enqueues a command every 10 ms for 36 ticks. */
struct ticker {
	lsched_dispatcher *d;
	struct cmd cmds[64];
	int ticks, max;
	int errors;
};

static void tick_cb(lsched_timer *t, void *arg)
{
	struct ticker *tk = arg;
	struct cmd *c = &tk->cmds[tk->ticks];

	if (lsched_dispatcher_enqueue(tk->d, c->name, cmd_run, cmd_discard, c))
		tk->errors++;
	if (++tk->ticks == tk->max)
		lsched_timer_stop(t);
}

static void test_dispatcher_custom_latency_and_force(void **state)
{
	lsched_loop *loop = fix_loop(state);
	lsched_clock *clock = fix_clock(state);
	struct lsched_dispatcher_stats st;
	static struct dlog l;
	static struct ticker tk;
	lsched_dispatcher *d = new_disp(loop, &l, LSCHED_MS(20), LSCHED_MS(100));
	lsched_timer *t;

	WATCHDOG();
	memset(&tk, 0, sizeof(tk));
	tk.d = d;
	tk.max = 36; /* ticks at T0, T0 + 10 ms, ..., T0 + 350 ms */
	for (int i = 0; i < tk.max; i++) {
		char name[16];

		snprintf(name, sizeof(name), "c%d", i);
		cmd_init(&tk.cmds[i], &l, name);
	}
	assert_int_equal(lsched_clock_set_auto_advance(clock, true), 0);
	t = lsched_timer_new(loop, tick_cb, &tk);
	assert_non_null(t);
	assert_int_equal(lsched_timer_start(t, 0, LSCHED_MS(10),
					    LSCHED_CATCHUP_SKIP),
			 0);
	assert_int_equal(lsched_loop_run_for(loop, LSCHED_S(1)), 0);
	lsched_timer_destroy(t);

	assert_int_equal(tk.ticks, 36);
	assert_int_equal(tk.errors, 0);
	for (int i = 0; i < tk.max; i++)
		assert_int_equal(tk.cmds[i].runs, 1);
	/* Forced every 100 ms while commands keep coming (each forced build
	 * runs ahead of the command of its tick, which dirties it again),
	 * then one build 20 ms after the last command (T0 + 350 ms). */
	assert_int_equal(l.builds, 4);
	assert_int_equal(l.build_at[0], T0 + LSCHED_MS(100));
	assert_int_equal(l.build_at[1], T0 + LSCHED_MS(200));
	assert_int_equal(l.build_at[2], T0 + LSCHED_MS(300));
	assert_int_equal(l.build_at[3], T0 + LSCHED_MS(370));
	st = stats_of(d);
	assert_int_equal(st.builds_forced, 3);
	assert_int_equal(st.builds_latency, 1);
	assert_int_equal(st.executed, 36);
	assert_false(st.dirty);
	assert_int_equal(destroy_on_loop(loop, d), 0);
	watchdog_off();
}

/* ---- dormancy ------------------------------------------------------------------- */

static void test_dispatcher_deactivate_keeps_queue(void **state)
{
	lsched_loop *loop = fix_loop(state);
	lsched_clock *clock = fix_clock(state);
	struct lsched_dispatcher_stats st;
	static struct dlog l;
	static struct cmd a, b, c;
	lsched_dispatcher *d = new_disp(loop, &l, 0, 0);

	WATCHDOG();
	cmd_init(&a, &l, "A");
	cmd_init(&b, &l, "P");
	cmd_init(&c, &l, "Q");
	enqueue_ok(d, &a);
	enqueue_ok(d, &b);
	assert_int_equal(run_cycles(loop, 1), 1);
	assert_log(&l.log, "A");

	assert_int_equal(lsched_dispatcher_deactivate(d), 0);
	assert_int_equal(run_cycles(loop, 3), 3);
	enqueue_ok(d, &c);
	assert_int_equal(run_cycles(loop, 3), 3);
	/* Dormant: the commands stay queued, the dirty builder waits, past
	 * the latency and past the force bound. */
	assert_int_equal(lsched_clock_advance(clock, LSCHED_S(1)), 0);
	assert_int_equal(run_cycles(loop, 5), 5);
	assert_log(&l.log, "A");
	st = stats_of(d);
	assert_false(st.active);
	assert_true(st.dirty);
	assert_int_equal(st.queued, 2);
	assert_int_equal(st.executed, 1);
	/* Dormant already: returns at once. */
	assert_int_equal(lsched_dispatcher_await_dormant(d), 0);

	/* Active again: the queued commands run in order, then a build. */
	assert_int_equal(lsched_dispatcher_activate(d), 0);
	assert_int_equal(run_cycles(loop, 5), 5);
	assert_int_equal(lsched_clock_advance(clock, LSCHED_S(1)), 0);
	assert_int_equal(run_cycles(loop, 3), 3);
	assert_int_equal(b.runs, 1);
	assert_int_equal(c.runs, 1);
	assert_true(l.builds >= 1);
	/* Builds only after reactivation, commands in their order. */
	assert_string_equal(l.log.ev[0], "A");
	{
		int ib = -1, ic = -1;

		for (int i = 0; i < l.log.n; i++) {
			if (!strcmp(l.log.ev[i], "P"))
				ib = i;
			if (!strcmp(l.log.ev[i], "Q"))
				ic = i;
		}
		if (!(ib > 0 && ic > ib))
			assert_log(&l.log, "A P Q (builds anywhere after A)");
	}
	st = stats_of(d);
	assert_true(st.active);
	assert_false(st.dirty);
	assert_int_equal(st.queued, 0);
	assert_int_equal(destroy_on_loop(loop, d), 0);
	watchdog_off();
}

/* A command that deactivates: it finishes, then nothing more runs. */
struct in_cmd {
	struct cmd c;
	lsched_dispatcher *d;
	int deact_rc, await_rc;
};

static void cmd_deactivate_and_await(void *arg)
{
	struct in_cmd *ic = arg;

	cmd_run(&ic->c);
	ic->deact_rc = lsched_dispatcher_deactivate(ic->d);
	ic->await_rc = lsched_dispatcher_await_dormant(ic->d);
}

static void test_dispatcher_await_dormant_in_command_edeadlk(void **state)
{
	lsched_loop *loop = fix_loop(state);
	static struct dlog l;
	static struct in_cmd ic;
	static struct cmd b;
	lsched_dispatcher *d = new_disp(loop, &l, 0, 0);

	WATCHDOG();
	memset(&ic, 0, sizeof(ic));
	cmd_init(&ic.c, &l, "A");
	ic.d = d;
	cmd_init(&b, &l, "B");
	assert_int_equal(lsched_dispatcher_enqueue(d, "A",
						   cmd_deactivate_and_await,
						   NULL, &ic),
			 0);
	enqueue_ok(d, &b);
	assert_int_equal(run_cycles(loop, 5), 5);
	assert_int_equal(ic.deact_rc, 0);
	assert_int_equal(ic.await_rc, -EDEADLK);
	assert_log(&l.log, "A"); /* B waits: the dispatcher went dormant */
	assert_false(stats_of(d).active);
	assert_int_equal(lsched_dispatcher_await_dormant(d), 0);
	assert_int_equal(lsched_dispatcher_activate(d), 0);
	assert_int_equal(run_cycles(loop, 3), 3);
	assert_log(&l.log, "A B");
	assert_int_equal(destroy_on_loop(loop, d), 0);
	watchdog_off();
}

/* ---- stop ------------------------------------------------------------------------ */

static void test_dispatcher_stop_discards_queued(void **state)
{
	lsched_loop *loop = fix_loop(state);
	lsched_clock *clock = fix_clock(state);
	struct lsched_dispatcher_stats st;
	static struct dlog l;
	static struct cmd c[4], e;
	lsched_dispatcher *d = new_disp(loop, &l, 0, 0);

	WATCHDOG();
	cmd_init(&c[0], &l, "A");
	cmd_init(&c[1], &l, "B");
	cmd_init(&c[2], &l, "C");
	cmd_init(&c[3], &l, "D");
	for (int i = 0; i < 4; i++)
		enqueue_ok(d, &c[i]);
	assert_int_equal(run_cycles(loop, 1), 1);
	assert_log(&l.log, "A");

	assert_int_equal(stop_on_loop(loop, d), 3);
	assert_int_equal(c[0].runs, 1);
	assert_int_equal(c[0].discards, 0);
	for (int i = 1; i < 4; i++) {
		assert_int_equal(c[i].runs, 0);
		assert_int_equal(c[i].discards, 1);
	}
	st = stats_of(d);
	assert_int_equal(st.enqueued, 4);
	assert_int_equal(st.executed, 1);
	assert_int_equal(st.discarded, 3);
	assert_int_equal(st.queued, 0);
	assert_false(st.active);

	/* Refused from now on; neither callback of a refused one runs. */
	cmd_init(&e, &l, "E");
	assert_int_equal(lsched_dispatcher_enqueue(d, "E", cmd_run, cmd_discard,
						   &e),
			 -ESHUTDOWN);
	assert_int_equal(lsched_dispatcher_deactivate(d), -ESHUTDOWN);
	assert_int_equal(lsched_dispatcher_activate(d), -ESHUTDOWN);
	/* Stopped counts as dormant for a waiter. */
	assert_int_equal(lsched_dispatcher_await_dormant(d), 0);

	/* No build any more, though A left it dirty. */
	assert_int_equal(lsched_clock_advance(clock, LSCHED_S(2)), 0);
	assert_int_equal(run_cycles(loop, 5), 5);
	assert_int_equal(l.builds, 0);
	assert_log(&l.log, "A");
	assert_int_equal(e.runs + e.discards, 0);

	/* A second stop: 0; discards never run twice. */
	assert_int_equal(stop_on_loop(loop, d), 0);
	assert_int_equal(destroy_on_loop(loop, d), 0);
	for (int i = 1; i < 4; i++)
		assert_int_equal(c[i].discards, 1);
	watchdog_off();
}

struct stopper_cmd {
	struct cmd c;
	lsched_dispatcher *d;
};

static void cmd_stop_own(void *arg)
{
	struct stopper_cmd *s = arg;

	cmd_run(&s->c);
	s->c.rc = lsched_dispatcher_stop(s->d);
}

static void test_dispatcher_command_stops_own_dispatcher(void **state)
{
	lsched_loop *loop = fix_loop(state);
	lsched_clock *clock = fix_clock(state);
	static struct dlog l;
	static struct stopper_cmd s;
	static struct cmd b, c, e;
	lsched_dispatcher *d = new_disp(loop, &l, 0, 0);

	WATCHDOG();
	cmd_init(&s.c, &l, "S");
	s.d = d;
	cmd_init(&b, &l, "B");
	cmd_init(&c, &l, "C");
	assert_int_equal(lsched_dispatcher_enqueue(d, "S", cmd_stop_own,
						   cmd_discard, &s),
			 0);
	enqueue_ok(d, &b);
	enqueue_ok(d, &c);
	assert_int_equal(run_cycles(loop, 5), 5);
	assert_int_equal(s.c.rc, 2);
	assert_int_equal(s.c.runs, 1);
	assert_int_equal(s.c.discards, 0);
	assert_int_equal(b.discards, 1);
	assert_int_equal(c.discards, 1);
	assert_int_equal(b.runs + c.runs, 0);
	cmd_init(&e, &l, "E");
	assert_int_equal(lsched_dispatcher_enqueue(d, "E", cmd_run, cmd_discard,
						   &e),
			 -ESHUTDOWN);
	assert_int_equal(lsched_clock_advance(clock, LSCHED_S(2)), 0);
	assert_int_equal(run_cycles(loop, 3), 3);
	assert_log(&l.log, "S");
	assert_int_equal(stats_of(d).discarded, 2);
	assert_int_equal(destroy_on_loop(loop, d), 0);
	watchdog_off();
}

/* The header allows destroying a dispatcher made with new() while its loop
 * does not run (the loop's owner tearing down). */
static void test_dispatcher_destroy_while_loop_idle(void **state)
{
	lsched_loop *loop = fix_loop(state);
	static struct dlog l;
	static struct cmd a, b;
	lsched_dispatcher *d = new_disp(loop, &l, 0, 0);

	WATCHDOG();
	cmd_init(&a, &l, "A");
	cmd_init(&b, &l, "B");
	enqueue_ok(d, &a);
	enqueue_ok(d, &b);
	assert_int_equal(run_cycles(loop, 1), 1);
	live_disp = NULL;
	assert_int_equal(lsched_dispatcher_destroy(d), 1);
	assert_int_equal(a.runs, 1);
	assert_int_equal(b.discards, 1);
	assert_int_equal(b.runs, 0);
	watchdog_off();
}

/* ---- spawned dispatchers (real thread, real clock) -------------------------------- */

static void nobuild(void *arg)
{
	(void)arg;
}

/* Destroying a dispatcher made with new() from one of its own commands:
 * that is its loop's thread, as the header asks. The command that called
 * destroy returns into the dispatcher's runner; nothing may touch the freed
 * dispatcher afterwards (run under ASan or VALGRIND=1 to see it). */
struct own_destroyer_cmd {
	struct cmd c;
	lsched_dispatcher *d;
};

static void cmd_destroy_own_new(void *arg)
{
	struct own_destroyer_cmd *s = arg;

	cmd_run(&s->c);
	live_disp = NULL;
	s->c.rc = lsched_dispatcher_destroy(s->d);
}

static void test_dispatcher_command_destroys_own_dispatcher(void **state)
{
	lsched_loop *loop = fix_loop(state);
	static struct dlog l;
	static struct own_destroyer_cmd s;
	static struct cmd b;
	lsched_dispatcher *d = new_disp(loop, &l, 0, 0);

	WATCHDOG();
	cmd_init(&s.c, &l, "S");
	s.d = d;
	cmd_init(&b, &l, "B");
	assert_int_equal(lsched_dispatcher_enqueue(d, "S", cmd_destroy_own_new,
						   cmd_discard, &s),
			 0);
	enqueue_ok(d, &b);
	assert_int_equal(run_cycles(loop, 5), 5);
	assert_int_equal(s.c.runs, 1);
	assert_int_equal(s.c.rc, 1);
	assert_int_equal(b.discards, 1);
	assert_int_equal(b.runs, 0);
	assert_log(&l.log, "S");
	watchdog_off();
}

/* stop() from another thread while the loop's owner drives the loop in
 * NOWAIT slices with other work in between (the loop is "not running"
 * between two slices). The header promises that discard callbacks run on
 * the dispatcher's thread; the stop must not run the dispatcher's loop
 * state on the calling thread while the owner may start the next slice. */
struct slice_driver {
	lsched_loop *loop;
	atomic_int quit;
	atomic_int slices;
};

static void *slice_driver_main(void *arg)
{
	struct slice_driver *s = arg;
	struct timespec gap = { 0, 50000 }; /* the owner's other work */

	while (!atomic_load(&s->quit)) {
		lsched_loop_run(s->loop, LSCHED_RUN_NOWAIT);
		atomic_fetch_add(&s->slices, 1);
		nanosleep(&gap, NULL);
	}
	return NULL;
}

static pthread_t slice_thread;
static atomic_int wrong_thread;

static void cmd_on_slice_thread(void *arg)
{
	(void)arg;
	if (!pthread_equal(pthread_self(), slice_thread))
		atomic_fetch_add(&wrong_thread, 1);
}

static void test_dispatcher_stop_from_other_thread_between_slices(void **state)
{
	WATCHDOG();
	for (int round = 0; round < 20; round++) {
		lsched_loop *loop = lsched_loop_new(NULL);
		struct lsched_dispatcher_config cfg = { .builder = nobuild };
		struct slice_driver s = { .loop = loop };
		lsched_dispatcher *d;

		assert_non_null(loop);
		d = lsched_dispatcher_new(loop, &cfg);
		assert_non_null(d);
		atomic_store(&wrong_thread, 0);
		for (int i = 0; i < 100; i++)
			assert_int_equal(lsched_dispatcher_enqueue(
						 d, "c", cmd_on_slice_thread,
						 cmd_on_slice_thread, NULL),
					 0);
		assert_int_equal(pthread_create(&slice_thread, NULL,
						slice_driver_main, &s),
				 0);
		while (atomic_load(&s.slices) < 3)
			pause_1ms();
		assert_true(lsched_dispatcher_stop(d) >= 0);
		atomic_store(&s.quit, 1);
		assert_int_equal(pthread_join(slice_thread, NULL), 0);
		assert_int_equal(lsched_dispatcher_destroy(d), 0);
		assert_int_equal(lsched_loop_destroy(loop), 0);
		if (atomic_load(&wrong_thread))
			fail_msg("round %d: %d commands or discards ran on the "
				 "thread calling stop()", round,
				 atomic_load(&wrong_thread));
	}
	watchdog_off();
}


struct sync_cmd {
	sem_t sem;
	pthread_t thread;
};

static void cmd_post(void *arg)
{
	struct sync_cmd *s = arg;

	s->thread = pthread_self();
	sem_post(&s->sem);
}

/* Waits until every command enqueued before ran; returns the thread. */
static pthread_t disp_sync(lsched_dispatcher *d)
{
	struct sync_cmd s;

	assert_int_equal(sem_init(&s.sem, 0, 0), 0);
	assert_int_equal(lsched_dispatcher_enqueue(d, "sync", cmd_post, NULL,
						   &s),
			 0);
	sem_wait_ok(&s.sem);
	sem_destroy(&s.sem);
	return s.thread;
}

static lsched_dispatcher *spawn_disp(const char *name,
				     lsched_command_fn builder, void *arg)
{
	struct lsched_dispatcher_config cfg = { .builder = builder,
						.builder_arg = arg };
	lsched_dispatcher *d = lsched_dispatcher_spawn(name, &cfg);

	assert_non_null(d);
	return d;
}

static void test_dispatcher_spawn_invalid(void **state)
{
	struct lsched_dispatcher_config cfg = { .builder = nobuild };
	lsched_dispatcher *d;

	WATCHDOG();
	errno = 0;
	assert_null(lsched_dispatcher_spawn("sp-inval", NULL));
	assert_int_equal(errno, EINVAL);
	cfg.builder = NULL;
	errno = 0;
	assert_null(lsched_dispatcher_spawn("sp-inval", &cfg));
	assert_int_equal(errno, EINVAL);
	cfg.builder = nobuild;
	cfg.latency_ns = LSCHED_MS(10);
	cfg.force_ns = LSCHED_MS(5);
	errno = 0;
	assert_null(lsched_dispatcher_spawn("sp-inval", &cfg));
	assert_int_equal(errno, EINVAL);
	cfg.latency_ns = cfg.force_ns = 0;
	errno = 0;
	assert_null(lsched_dispatcher_spawn("", &cfg));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(lsched_dispatcher_spawn(NULL, &cfg));
	assert_int_equal(errno, EINVAL);
	assert_null(lsched_server_find("sp-inval"));

	/* It is a thread server named name: the name is taken. */
	d = lsched_dispatcher_spawn("sp-inval", &cfg);
	assert_non_null(d);
	assert_non_null(lsched_server_find("sp-inval"));
	assert_non_null(lsched_dispatcher_loop(d));
	errno = 0;
	assert_null(lsched_dispatcher_spawn("sp-inval", &cfg));
	assert_int_equal(errno, EEXIST);
	assert_int_equal(lsched_dispatcher_destroy(d), 0);
	assert_null(lsched_server_find("sp-inval"));
	watchdog_off();
}

#define PRODUCERS 4
#define PER_PRODUCER 2000

struct mt {
	lsched_dispatcher *d;
	pthread_t disp_thread; /* set by the first command */
	bool have_thread;
	int next[PRODUCERS];
	int ran, out_of_order, wrong_thread;
	atomic_int enqueue_errors;
};

struct mt_cmd {
	struct mt *m;
	int producer, seq;
};

static void cmd_mt(void *arg)
{
	struct mt_cmd *c = arg;
	struct mt *m = c->m;

	if (!m->have_thread) {
		m->disp_thread = pthread_self();
		m->have_thread = true;
	} else if (!pthread_equal(m->disp_thread, pthread_self())) {
		m->wrong_thread++;
	}
	if (c->seq != m->next[c->producer])
		m->out_of_order++;
	m->next[c->producer] = c->seq + 1;
	m->ran++;
}

struct producer {
	struct mt *m;
	struct mt_cmd *cmds;
	pthread_t self;
};

static void *producer_main(void *arg)
{
	struct producer *p = arg;

	for (int i = 0; i < PER_PRODUCER; i++)
		if (lsched_dispatcher_enqueue(p->m->d, "mt", cmd_mt, NULL,
					      &p->cmds[i]))
			atomic_fetch_add(&p->m->enqueue_errors, 1);
	return NULL;
}

static void test_dispatcher_spawn_commands_from_threads(void **state)
{
	static struct mt_cmd cmds[PRODUCERS][PER_PRODUCER];
	struct producer prod[PRODUCERS];
	struct lsched_dispatcher_stats st;
	struct mt m;
	pthread_t last;

	WATCHDOG();
	memset(&m, 0, sizeof(m));
	atomic_init(&m.enqueue_errors, 0);
	m.d = spawn_disp("sp-mt", nobuild, NULL);
	for (int p = 0; p < PRODUCERS; p++) {
		for (int i = 0; i < PER_PRODUCER; i++)
			cmds[p][i] = (struct mt_cmd){ &m, p, i };
		prod[p] = (struct producer){ &m, cmds[p], 0 };
		assert_int_equal(pthread_create(&prod[p].self, NULL,
						producer_main, &prod[p]),
				 0);
	}
	for (int p = 0; p < PRODUCERS; p++)
		assert_int_equal(pthread_join(prod[p].self, NULL), 0);
	last = disp_sync(m.d);

	assert_int_equal(atomic_load(&m.enqueue_errors), 0);
	assert_int_equal(m.ran, PRODUCERS * PER_PRODUCER);
	assert_int_equal(m.out_of_order, 0);
	assert_int_equal(m.wrong_thread, 0);
	assert_true(m.have_thread);
	assert_true(pthread_equal(last, m.disp_thread));
	assert_false(pthread_equal(m.disp_thread, pthread_self()));
	for (int p = 0; p < PRODUCERS; p++) {
		assert_false(pthread_equal(m.disp_thread, prod[p].self));
		assert_int_equal(m.next[p], PER_PRODUCER);
	}
	/* A command is counted as executed once it returned: a second sync
	 * makes sure the first one is counted. */
	disp_sync(m.d);
	st = stats_of(m.d);
	assert_int_equal(st.enqueued, PRODUCERS * PER_PRODUCER + 2);
	assert_true(st.executed >= PRODUCERS * PER_PRODUCER + 1);
	assert_int_equal(lsched_dispatcher_destroy(m.d), 0);
	watchdog_off();
}

/* A command that blocks until released. */
struct blocker {
	sem_t entered, release;
	atomic_bool finished;
	pthread_t thread;
};

static void blocker_init(struct blocker *b)
{
	assert_int_equal(sem_init(&b->entered, 0, 0), 0);
	assert_int_equal(sem_init(&b->release, 0, 0), 0);
	atomic_init(&b->finished, false);
}

static void blocker_fini(struct blocker *b)
{
	sem_destroy(&b->entered);
	sem_destroy(&b->release);
}

static void cmd_block(void *arg)
{
	struct blocker *b = arg;

	b->thread = pthread_self();
	sem_post(&b->entered);
	sem_wait_ok(&b->release);
	atomic_store(&b->finished, true);
}

/* Releases b once thread tid sleeps. */
struct releaser {
	struct blocker *b;
	pid_t tid;
	pthread_t self;
};

static void *releaser_main(void *arg)
{
	struct releaser *r = arg;

	wait_thread_sleeps(r->tid);
	sem_post(&r->b->release);
	return NULL;
}

/* Counts runs and discards across threads. */
struct counted {
	atomic_int runs, discards;
	pthread_t discard_thread;
};

static void counted_run(void *arg)
{
	atomic_fetch_add(&((struct counted *)arg)->runs, 1);
}

static void counted_discard(void *arg)
{
	struct counted *c = arg;

	c->discard_thread = pthread_self();
	atomic_fetch_add(&c->discards, 1);
}

static void test_dispatcher_spawn_await_dormant_waits_for_command(void **state)
{
	struct lsched_dispatcher_stats st;
	struct blocker b;
	struct releaser r;
	struct counted y;
	lsched_dispatcher *d;

	WATCHDOG();
	blocker_init(&b);
	memset(&y, 0, sizeof(y));
	atomic_init(&y.runs, 0);
	atomic_init(&y.discards, 0);
	d = spawn_disp("sp-dormant", nobuild, NULL);
	assert_int_equal(lsched_dispatcher_enqueue(d, "X", cmd_block, NULL, &b),
			 0);
	assert_int_equal(lsched_dispatcher_enqueue(d, "Y", counted_run,
						   counted_discard, &y),
			 0);
	sem_wait_ok(&b.entered); /* X runs */
	assert_int_equal(lsched_dispatcher_deactivate(d), 0);

	/* Another thread releases X once we wait. */
	r = (struct releaser){ &b, my_tid(), 0 };
	assert_int_equal(pthread_create(&r.self, NULL, releaser_main, &r), 0);
	assert_int_equal(lsched_dispatcher_await_dormant(d), 0);
	/* Only after X finished; Y stays queued. */
	assert_true(atomic_load(&b.finished));
	assert_int_equal(atomic_load(&y.runs), 0);
	st = stats_of(d);
	assert_false(st.active);
	assert_int_equal(st.executed, 1);
	assert_int_equal(st.queued, 1);
	assert_int_equal(pthread_join(r.self, NULL), 0);

	/* Active again: Y runs. */
	assert_int_equal(lsched_dispatcher_activate(d), 0);
	disp_sync(d);
	assert_int_equal(atomic_load(&y.runs), 1);
	assert_int_equal(lsched_dispatcher_destroy(d), 0);
	assert_int_equal(atomic_load(&y.discards), 0);
	blocker_fini(&b);
	watchdog_off();
}

struct stopper {
	lsched_dispatcher *d;
	pid_t tid;
	int rc;
	sem_t started;
	atomic_bool done;
};

static void *stopper_main(void *arg)
{
	struct stopper *s = arg;

	s->tid = my_tid();
	sem_post(&s->started);
	s->rc = lsched_dispatcher_stop(s->d);
	atomic_store(&s->done, true);
	return NULL;
}

static void test_dispatcher_spawn_stop_from_other_thread(void **state)
{
	struct lsched_dispatcher_stats st;
	struct blocker b;
	struct counted q;
	struct stopper s;
	pthread_t th;
	lsched_dispatcher *d;

	WATCHDOG();
	blocker_init(&b);
	memset(&q, 0, sizeof(q));
	atomic_init(&q.runs, 0);
	atomic_init(&q.discards, 0);
	d = spawn_disp("sp-stop", nobuild, NULL);
	assert_int_equal(lsched_dispatcher_enqueue(d, "X", cmd_block, NULL, &b),
			 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(lsched_dispatcher_enqueue(d, "Q", counted_run,
							   counted_discard, &q),
				 0);
	sem_wait_ok(&b.entered);

	memset(&s, 0, sizeof(s));
	s.d = d;
	assert_int_equal(sem_init(&s.started, 0, 0), 0);
	assert_int_equal(pthread_create(&th, NULL, stopper_main, &s), 0);
	sem_wait_ok(&s.started);
	wait_thread_sleeps(s.tid); /* the stopper waits in stop */
	assert_false(atomic_load(&b.finished));
	sem_post(&b.release);
	assert_int_equal(pthread_join(th, NULL), 0);

	/* The running command finished; the queued ones were discarded, on
	 * the dispatcher's thread, and counted. */
	assert_int_equal(s.rc, 3);
	assert_true(atomic_load(&b.finished));
	assert_int_equal(atomic_load(&q.runs), 0);
	assert_int_equal(atomic_load(&q.discards), 3);
	assert_true(pthread_equal(q.discard_thread, b.thread));
	st = stats_of(d);
	assert_int_equal(st.executed, 1);
	assert_int_equal(st.discarded, 3);
	assert_int_equal(lsched_dispatcher_enqueue(d, "Q", counted_run,
						   counted_discard, &q),
			 -ESHUTDOWN);
	assert_int_equal(lsched_dispatcher_stop(d), 0);
	assert_int_equal(lsched_dispatcher_destroy(d), 0);
	assert_int_equal(atomic_load(&q.discards), 3);
	sem_destroy(&s.started);
	blocker_fini(&b);
	watchdog_off();
}

/* lsched_perform() is wrapped (-Wl,--wrap=lsched_perform, see the
 * Makefile): the thread set in gate_thread, when armed, stops inside the
 * dispatcher's enqueue between its acceptance and its post, until
 * released. Every other call goes straight through. */
int __real_lsched_perform(lsched_performer *p, lsched_work_cb cb, void *arg,
			  unsigned flags);
int __wrap_lsched_perform(lsched_performer *p, lsched_work_cb cb, void *arg,
			  unsigned flags);

static struct {
	atomic_bool armed;
	pthread_t thread;
	sem_t entered, release;
} gate;

int __wrap_lsched_perform(lsched_performer *p, lsched_work_cb cb, void *arg,
			  unsigned flags)
{
	if (atomic_load(&gate.armed) &&
	    pthread_equal(pthread_self(), gate.thread)) {
		atomic_store(&gate.armed, false);
		sem_post(&gate.entered);
		sem_wait_ok(&gate.release);
	}
	return __real_lsched_perform(p, cb, arg, flags);
}

struct late_sender {
	lsched_dispatcher *d;
	struct counted *q;
	pid_t tid;
	int rc;
};

static void *late_sender_main(void *arg)
{
	struct late_sender *ls = arg;

	ls->tid = my_tid();
	gate.thread = pthread_self();
	atomic_store(&gate.armed, true);
	ls->rc = lsched_dispatcher_enqueue(ls->d, "late", counted_run,
					   counted_discard, ls->q);
	return NULL;
}

/* An enqueue accepted just before a stop, its post still on the way
 * (the CI stress run found it: the stop returned, the stats said one
 * command queued, and the command was discarded later). The stop waits
 * for that post, discards the command and counts it; when it returns
 * the stats are final. */
static void test_dispatcher_spawn_stop_waits_for_enqueue_in_flight(void **state)
{
	struct lsched_dispatcher_stats st;
	struct late_sender ls;
	struct counted q, other;
	struct stopper s;
	pthread_t th_send, th_stop;
	lsched_dispatcher *d;
	int rc;

	WATCHDOG();
	memset(&q, 0, sizeof(q));
	memset(&other, 0, sizeof(other));
	atomic_init(&q.runs, 0);
	atomic_init(&q.discards, 0);
	atomic_init(&other.runs, 0);
	atomic_init(&other.discards, 0);
	assert_int_equal(sem_init(&gate.entered, 0, 0), 0);
	assert_int_equal(sem_init(&gate.release, 0, 0), 0);
	d = spawn_disp("sp-late", nobuild, NULL);

	ls = (struct late_sender){ .d = d, .q = &q, .rc = 1 };
	assert_int_equal(pthread_create(&th_send, NULL, late_sender_main, &ls),
			 0);
	sem_wait_ok(&gate.entered); /* accepted, not posted */

	memset(&s, 0, sizeof(s));
	s.d = d;
	atomic_init(&s.done, false);
	assert_int_equal(sem_init(&s.started, 0, 0), 0);
	assert_int_equal(pthread_create(&th_stop, NULL, stopper_main, &s), 0);
	sem_wait_ok(&s.started);
	/* The stop has begun once enqueues are refused. */
	while ((rc = lsched_dispatcher_enqueue(d, "other", counted_run,
					       counted_discard, &other)) == 0)
		pause_1ms();
	assert_int_equal(rc, -ESHUTDOWN);
	/* Sleeping in the stop, waiting for the late post (returning
	 * here is the bug). */
	while (!atomic_load(&s.done) && !thread_sleeps(s.tid))
		pause_1ms();
	assert_false(atomic_load(&s.done));

	sem_post(&gate.release);
	assert_int_equal(pthread_join(th_send, NULL), 0);
	assert_int_equal(pthread_join(th_stop, NULL), 0);
	assert_int_equal(ls.rc, 0);
	/* Every "other" accepted before the stop began, and the late one,
	 * are counted by the stop. */
	assert_int_equal(atomic_load(&q.runs) + atomic_load(&q.discards), 1);
	st = stats_of(d);
	assert_int_equal(st.queued, 0);
	assert_int_equal(st.enqueued, st.executed + st.discarded);
	assert_int_equal(s.rc, (int)st.discarded);
	assert_int_equal(atomic_load(&q.discards), 1);
	assert_int_equal(atomic_load(&q.runs), 0);
	assert_int_equal(atomic_load(&other.runs) +
				 atomic_load(&other.discards),
			 (int)st.enqueued - 1);
	assert_int_equal(lsched_dispatcher_destroy(d), 0);
	assert_int_equal(atomic_load(&q.discards), 1);
	sem_destroy(&s.started);
	sem_destroy(&gate.entered);
	sem_destroy(&gate.release);
	watchdog_off();
}

struct self_destroy {
	lsched_dispatcher *d;
	int rc;
};

static void cmd_destroy_own(void *arg)
{
	struct self_destroy *s = arg;

	s->rc = lsched_dispatcher_destroy(s->d);
}

static void test_dispatcher_spawn_destroy_from_own_thread_edeadlk(void **state)
{
	struct self_destroy s = { 0 };

	WATCHDOG();
	s.d = spawn_disp("sp-selfdestroy", nobuild, NULL);
	s.rc = 1;
	assert_int_equal(lsched_dispatcher_enqueue(s.d, "D", cmd_destroy_own,
						   NULL, &s),
			 0);
	disp_sync(s.d); /* still running: nothing was done */
	assert_int_equal(s.rc, -EDEADLK);
	assert_int_equal(lsched_dispatcher_destroy(s.d), 0);
	watchdog_off();
}

/* The builder runs on the dispatcher thread; after it, the dispatcher is
 * idle and must sleep: its thread's CPU time stays near zero. */
struct idle_rec {
	atomic_int builds;
	pthread_t thread;
};

static void idle_builder(void *arg)
{
	atomic_fetch_add(&((struct idle_rec *)arg)->builds, 1);
}

static int64_t cpu_ns(clockid_t cid)
{
	struct timespec ts;

	assert_int_equal(clock_gettime(cid, &ts), 0);
	return (int64_t)ts.tv_sec * INT64_C(1000000000) + ts.tv_nsec;
}

static void test_dispatcher_spawn_idle_uses_no_cpu(void **state)
{
	struct idle_rec ir;
	struct lsched_dispatcher_stats st;
	struct timespec nap = { 1, 200000000 }; /* 1.2 s */
	lsched_dispatcher *d;
	pthread_t thread;
	clockid_t cid;
	int64_t before, used;

	WATCHDOG();
	atomic_init(&ir.builds, 0);
	d = spawn_disp("sp-idle", idle_builder, &ir);
	thread = disp_sync(d); /* one command: the builder runs in 50 ms */
	assert_int_equal(pthread_getcpuclockid(thread, &cid), 0);
	before = cpu_ns(cid);
	while (nanosleep(&nap, &nap) != 0)
		assert_int_equal(errno, EINTR);
	used = cpu_ns(cid) - before;
	st = stats_of(d);
	assert_int_equal(atomic_load(&ir.builds), 1);
	assert_int_equal(st.builds_latency, 1);
	assert_int_equal(st.builds_forced, 0);
	assert_false(st.dirty);
	if (used >= LSCHED_MS(20))
		fail_msg("idle dispatcher thread used %lld ns of CPU in 1.2 s",
			 (long long)used);
	assert_int_equal(lsched_dispatcher_destroy(d), 0);
	watchdog_off();
}

int main(int argc, char **argv)
{
#define VT(f) cmocka_unit_test_setup_teardown(f, vfix_setup, dfix_teardown)
	const struct CMUnitTest tests[] = {
		VT(test_dispatcher_invalid_config),
		VT(test_dispatcher_null_arguments),
		VT(test_dispatcher_commands_fifo_one_per_run),
		VT(test_dispatcher_command_enqueues_command),
		VT(test_dispatcher_stats_queued_counts_accepted),
		VT(test_dispatcher_builder_after_latency),
		VT(test_dispatcher_builder_run_for_auto_advance),
		VT(test_dispatcher_builder_forced_under_steady_commands),
		VT(test_dispatcher_builder_forced_with_backlog),
		VT(test_dispatcher_custom_latency_and_force),
		VT(test_dispatcher_deactivate_keeps_queue),
		VT(test_dispatcher_await_dormant_in_command_edeadlk),
		VT(test_dispatcher_stop_discards_queued),
		VT(test_dispatcher_command_stops_own_dispatcher),
		cmocka_unit_test(test_dispatcher_spawn_invalid),
		cmocka_unit_test(test_dispatcher_spawn_commands_from_threads),
		cmocka_unit_test(test_dispatcher_spawn_await_dormant_waits_for_command),
		cmocka_unit_test(test_dispatcher_spawn_stop_from_other_thread),
		cmocka_unit_test(test_dispatcher_spawn_stop_waits_for_enqueue_in_flight),
		cmocka_unit_test(test_dispatcher_spawn_destroy_from_own_thread_edeadlk),
		cmocka_unit_test(test_dispatcher_spawn_idle_uses_no_cpu),
		VT(test_dispatcher_destroy_while_loop_idle),
		VT(test_dispatcher_command_destroys_own_dispatcher),
		cmocka_unit_test(test_dispatcher_stop_from_other_thread_between_slices),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
